# Signals sent to paude reach the command; SIGKILL of paude leaves nothing.

forward_one() {   # SIGNAME
	local out rc=0
	out=$(mktemp -p "$IT_DIR")
	pbg "$out" "$IMG" pd-probe wait-signal
	wait_for "$out" ready
	kill -"$1" "$BG_PID"
	wait "$BG_PID" || rc=$?
	status_is "$rc" 0 "paude after SIG$1 ($(cat "$out"))"
	eq "$(grep -v '^paude: note: ' "$out")" "ready
signal SIG$1" "SIG$1 sent to paude"
}

t_signal_term() { forward_one TERM; }
t_signal_int() { forward_one INT; }
t_signal_hup() { forward_one HUP; }
t_signal_usr1() { forward_one USR1; }
t_signal_usr2() { forward_one USR2; }
t_signal_quit() { forward_one QUIT; }

t_signal_default_action() {
	# A command that does not handle SIGTERM dies of it: 143.
	local out rc=0
	out=$(mktemp -p "$IT_DIR")
	pbg "$out" "$IMG" /bin/sh -c 'echo ready; exec pd-probe sleep 30'
	wait_for "$out" ready
	# (Should SIGTERM come before the exec, the shell dies of it alike.)
	kill -TERM "$BG_PID"
	wait "$BG_PID" || rc=$?
	status_is "$rc" 143 "paude's status after SIGTERM to a command without a handler"
}

t_signal_to_process_group() {
	# Ctrl-C in a shell hits paude's whole process group: paude passes SIGINT
	# on once (the sandbox is in its own session, out of the group).  Then
	# SIGUSR1 to paude alone: paude forwards in order, so by the time the
	# command has it, any second SIGINT has come too.
	local out rc=0
	out=$(mktemp -p "$IT_DIR")
	setsid bash -c "$(declare -f pexec_prefix); $(declare -p IT_DIR RUNUSER PAUDE IMG); pexec_prefix; exec \"\${PEXEC[@]}\" \"\$PAUDE\" run \"\$IMG\" /bin/sh -c 'trap \"echo got-int\" INT; trap \"echo got-usr1; exit 0\" USR1; echo ready; while :; do sleep 0.1; done'" >"$out" 2>&1 &
	local leader=$!
	wait_for "$out" ready
	kill -INT -- "-$leader"
	wait_for "$out" got-int
	kill -USR1 "$leader"
	wait_for "$out" got-usr1
	wait "$leader" || rc=$?
	status_is "$rc" 0 "paude's status ($(cat "$out"))"
	eq "$(grep -c got-int "$out")" 1 "SIGINT delivered once ($(cat "$out"))"
}

t_sigkill_leaves_nothing() {
	local out mark before
	out=$(mktemp -p "$IT_DIR")
	mark="sleep 61.$$"
	before=$(cg_leftovers)
	pbg "$out" --pids-limit 50 "$IMG" /bin/sh -c "pd-probe $mark & pd-probe $mark; wait"
	wait_until 10 "the sandbox's processes ($(cat "$out"))" '[ "$(pgrep -fc "^pd-probe $mark")" -ge 2 ]'
	kill -KILL "$BG_PID"
	wait "$BG_PID" || true
	# Every process of the sandbox goes with paude (init dies of its
	# parent-death signal and takes the pid namespace with it).
	wait_gone "^pd-probe $mark" 5
	wait_until 5 "paude-init to go" '[ -z "$(it_pgrep "^paude-init")" ]'
	if [ "$MODE" = root ]; then
		# The cgroup of the killed paude is left (nobody was there to remove
		# it) and the next run sweeps it.
		local left
		left=$(comm -13 <(printf '%s\n' "$before") <(cg_leftovers) | grep . || true)
		[ -n "$left" ] || fail "expected the killed sandbox's cgroup to be left for the next run to sweep"
		prun --pids-limit 5 "$IMG" true
		for d in $left; do
			[ ! -d "$d" ] || fail "the next run did not sweep $d"
		done
	fi
	eq "$(cg_leftovers)" "$before" "paude-* cgroups after the sweep"
}

t_sigkill_during_setup_leaves_nothing() {
	# Kill paude at once, many times: never a stray sandbox.
	local out n=0 secs=62.$$ mark="sleep 62.$$"
	out=$(mktemp -p "$IT_DIR")
	while [ $n -lt 10 ]; do
		pbg "$out" "$IMG" pd-probe sleep "$secs"
		sleep "0.00$n"
		kill -KILL "$BG_PID"
		wait "$BG_PID" || true
		n=$((n + 1))
	done
	wait_gone "^pd-probe $mark" 5
	wait_until 5 "paude-init to go" '[ -z "$(it_pgrep "^paude-init")" ]'
}

t_orphans_reaped() {
	# Zombies are reaped by init: a daemonised child's exit leaves no zombie.
	# Its pid is gone from /proc once reaped (waited for, up to 20 s).
	pcap "$IMG" /bin/sh -c '(sh -c "echo \$\$ > /tmp/orphan; exit 0" &)
		until [ -s /tmp/orphan ]; do sleep 0.05; done
		p=$(cat /tmp/orphan) i=0
		while [ -e /proc/$p ]; do
			i=$((i + 1)); [ $i -lt 400 ] || { echo "not reaped: $(cat /proc/$p/stat)"; exit 1; }
			sleep 0.05
		done
		echo reaped'
	status_is "$RC" 0 "($OUT $ERR)"
	eq "$OUT" reaped "the orphan"
}

t_exit_when_command_exits() {
	# A background child still running does not keep the sandbox alive.
	local s e
	s=$(date +%s%N)
	pcap "$IMG" /bin/sh -c 'pd-probe sleep 120 & exit 6'
	e=$(date +%s%N)
	status_is "$RC" 6 "the command's status"
	[ $(( (e - s) / 1000000 )) -lt 60000 ] || fail "paude waited for the background child"
}

t_signals_instant_exit_never_hangs() {
	# A command that exits at once: its SIGCHLD must reach init even when it
	# comes before init's loop starts (it did not once: init waited forever).
	local i rc
	for i in $(seq 1 60); do
		rc=0
		pexec timeout -s KILL 10 "$PAUDE" run "$IMG" /bin/true 2>/dev/null || rc=$?
		status_is "$rc" 0 "run $i of /bin/true (137: hung and killed)"
	done
}

t_signals_flood_with_stalled_reader() {
	# A command flooding its stdout while nobody reads paude's must still get
	# the signals paude is sent (paude must not block writing its output).
	local d pid sleeper
	d=$(scratch)
	# shellcheck disable=SC2216   # sleep is the reader that never reads
	( rc=0; pexec "$PAUDE" run "$IMG" yes floodfloodflood 2>"$d/err" || rc=$?; echo $rc >"$d/rc" ) | sleep 120 &
	sleeper=$!   # the last process of the pipeline: the reader that never reads
	wait_until 10 "paude to start" '[ -n "$(pgrep -f -- "$PAUDE run $IMG yes flood")" ]'
	pid=$(pgrep -f -- "$PAUDE run $IMG yes flood" | head -n 1)
	# Until the pipe to the stalled reader is full.
	wait_until 20 "the pipe to the reader to fill" 'pipe_full "/proc/$sleeper/fd/0"'
	kill -TERM "$pid"
	wait_until 20 "paude to exit after SIGTERM" '[ -s "$d/rc" ]'
	kill "$sleeper"
	eq "$(cat "$d/rc")" 143 "paude's exit status (the command killed by SIGTERM)"
}

pipe_full() {
	local used size
	read -r _ used size < <("$IT_DIR/bin/pd-probe" pipe-fill "$1")
	[ -n "$size" ] && [ "$used" = "$size" ]
}

t_signals_epipe_ends_the_command() {
	# `paude run IMG yes | head -1` ends like `yes | head -1`: once nobody
	# reads paude's stdout, the command's writes fail too (SIGPIPE: 141).
	local o
	o=$(pexec bash -c "timeout -s KILL 10 \"$PAUDE\" run \"$IMG\" yes 2>/dev/null | head -n 1; echo \"status=\${PIPESTATUS[0]}\"")
	eq "$o" "y
status=141" "yes | head -1"
}

t_signals_traceme_not_taken_for_exit() {
	# A command that makes init its tracer (PTRACE_TRACEME) and then stops
	# on a signal must go on, not be taken for dead.
	pcap "$IMG" pd-probe traceme
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "traceme survived" "the command, traced by init"
}

t_signals_nohup_respected() {
	# Under nohup (SIGHUP ignored) a SIGHUP to paude is not passed on.
	local out
	out=$(mktemp -p "$IT_DIR")
	pexec nohup "$PAUDE" run "$IMG" pd-probe wait-signal >"$out" 2>&1 </dev/null &
	local job=$! pid
	wait_for "$out" ready
	pid=$(pgrep -f -- "$PAUDE run $IMG pd-probe wait-signal" | head -n 1)
	[ -n "$pid" ] || fail "paude did not start: $(cat "$out")"
	# paude forwards in order: had it passed SIGHUP on, the command (which
	# reports the first signal it gets) would report SIGHUP, not SIGTERM.
	kill -HUP "$pid"
	kill -TERM "$pid"
	wait "$job" || true
	not_contains "$(cat "$out")" "signal SIGHUP" "SIGHUP under nohup"
	contains "$(cat "$out")" "signal SIGTERM" "SIGTERM still passed on"
}
