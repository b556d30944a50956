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
	sleep 0.1
	kill -TERM "$BG_PID"
	wait "$BG_PID" || rc=$?
	status_is "$rc" 143 "paude's status after SIGTERM to a command without a handler"
}

t_signal_to_process_group() {
	# Ctrl-C in a shell hits paude's whole process group: paude passes SIGINT
	# on once (the sandbox is in its own session, out of the group).
	local out rc=0
	out=$(mktemp -p "$IT_DIR")
	setsid bash -c "$(declare -f pexec_prefix); $(declare -p IT_DIR RUNUSER PAUDE IMG); pexec_prefix; exec \"\${PEXEC[@]}\" \"\$PAUDE\" run \"\$IMG\" /bin/sh -c 'trap \"echo got-int\" INT; echo ready; while :; do sleep 0.1; done'" >"$out" 2>&1 &
	local leader=$!
	wait_for "$out" ready
	kill -INT -- "-$leader"
	sleep 0.5
	kill -TERM -- "-$leader" 2>/dev/null || true
	wait "$leader" || rc=$?
	eq "$(grep -c got-int "$out")" 1 "SIGINT delivered once ($(cat "$out"))"
}

t_sigkill_leaves_nothing() {
	local out mark before
	out=$(mktemp -p "$IT_DIR")
	mark="sleep 61.$$"
	before=$(cg_leftovers)
	pbg "$out" --pids-limit 50 "$IMG" /bin/sh -c "pd-probe $mark & pd-probe $mark; wait"
	local i=0
	while [ "$(pgrep -fc "^pd-probe $mark")" -lt 2 ]; do
		i=$((i + 1)); [ $i -le 200 ] || { kill -KILL "$BG_PID"; fail "the sandbox's processes never appeared: $(cat "$out")"; }
		sleep 0.05
	done
	kill -KILL "$BG_PID"
	wait "$BG_PID" || true
	# Every process of the sandbox goes with paude (init dies of its
	# parent-death signal and takes the pid namespace with it).
	wait_gone "^pd-probe $mark" 5
	pgrep -u "$HOST_UID" -f '^paude-init' >/dev/null && fail "paude-init still running: $(pgrep -af '^paude-init')"
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
	local out n=0 mark="sleep 62.$$"
	out=$(mktemp -p "$IT_DIR")
	while [ $n -lt 10 ]; do
		pbg "$out" "$IMG" pd-probe $mark
		sleep "0.00$n"
		kill -KILL "$BG_PID"
		wait "$BG_PID" || true
		n=$((n + 1))
	done
	wait_gone "^pd-probe $mark" 5
	sleep 0.2
	pgrep -u "$HOST_UID" -f '^paude-init' >/dev/null && fail "paude-init still running: $(pgrep -af '^paude-init')"
	true
}

t_orphans_reaped() {
	# Zombies are reaped by init: a daemonised child's exit leaves no zombie.
	pcap "$IMG" /bin/sh -c '(sh -c "exit 0" &) ; sleep 0.3; ps -o stat,comm 2>/dev/null | grep -c "^Z" || true'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" 0 "zombies in the sandbox"
}

t_exit_when_command_exits() {
	# A background child still running does not keep the sandbox alive.
	local s e
	s=$(date +%s%N)
	pcap "$IMG" /bin/sh -c 'pd-probe sleep 30 & exit 6'
	e=$(date +%s%N)
	status_is "$RC" 6 "the command's status"
	[ $(( (e - s) / 1000000 )) -lt 5000 ] || fail "paude waited for the background child"
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
	local d pid i
	d=$(scratch)
	( rc=0; pexec "$PAUDE" run "$IMG" yes floodfloodflood 2>"$d/err" || rc=$?; echo $rc >"$d/rc" ) | sleep 60 &
	for i in $(seq 1 50); do
		pid=$(pgrep -f -- "$PAUDE run $IMG yes flood" | head -n 1)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || fail "paude did not start"
	sleep 1   # the pipe to the stalled reader is full by now
	kill -TERM "$pid"
	for i in $(seq 1 80); do
		[ -s "$d/rc" ] && break
		sleep 0.1
	done
	pkill -f -- "$PAUDE run $IMG yes flood" 2>/dev/null && fail "paude still running 8 s after SIGTERM"
	pkill -x sleep -P $$ 2>/dev/null || true
	eq "$(cat "$d/rc")" 143 "paude's exit status (the command killed by SIGTERM)"
}

t_signals_epipe_ends_the_command() {
	# `paude run IMG yes | head -1` ends like `yes | head -1`: once nobody
	# reads paude's stdout, the command's writes fail too (SIGPIPE: 141).
	local o st
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
	local job=$! pid="" i
	for i in $(seq 1 50); do
		pid=$(pgrep -f -- "$PAUDE run $IMG pd-probe wait-signal" | head -n 1)
		[ -n "$pid" ] && grep -q ready "$out" && break
		sleep 0.1
	done
	[ -n "$pid" ] || fail "paude did not start: $(cat "$out")"
	kill -HUP "$pid"
	sleep 0.5
	kill -TERM "$pid"
	wait "$job" || true
	not_contains "$(cat "$out")" "signal SIGHUP" "SIGHUP under nohup"
	contains "$(cat "$out")" "signal SIGTERM" "SIGTERM still passed on"
}
