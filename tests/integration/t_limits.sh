# Limits: --pids-limit, --memory, --ulimit, --cpus, and no cgroup left behind.
#
# This host is cgroup v1 (+ an empty unified hierarchy): as root paude uses
# the v1 memory/pids/cpu controllers; rootless it falls back to rlimits and
# refuses --cpus.  The cgroup v2 delegated case is an expected skip here.

# Rootless without a delegated cgroup (this host), --memory is refused: an
# rlimit would bound each process, not the sandbox.  ARGS: the rest of the run.
memory_refused() {
	pcap "$@"
	status_is "$RC" 125 "--memory rootless without a writable cgroup ($OUT $ERR)"
	eq "$OUT" "" "the command ran"
	eq "$(count_lines "$(errlines "$ERR")")" 1 "one error line ($ERR)"
	contains "$(errlines "$ERR")" "paude: --memory needs a writable cgroup and none is available here" "the error"
}

t_limit_pids_forkbomb() {
	local before
	before=$(cg_leftovers)
	pcap --pids-limit 10 "$IMG" pd-probe forkbomb 100
	status_is "$RC" 0 "($ERR)"
	local n
	n=$(printf '%s\n' "$OUT" | sed -n 's/^forked //p')
	case $n in ''|*[!0-9]*) fail "no fork count: $OUT" ;; esac
	[ "$n" -lt 13 ] || fail "forked $n children under --pids-limit 10"
	[ "$n" -ge 5 ] || fail "forked only $n children under --pids-limit 10"
	eq "$(printf '%s\n' "$OUT" | sed -n 's/^fork-error //p')" EAGAIN "fork error"
	eq "$(cg_leftovers)" "$before" "paude-* cgroups after the run"
}

t_limit_pids_without_limit() {
	# The control: without the limit, 100 children fork fine.
	pcap "$IMG" pd-probe forkbomb 100
	status_is "$RC" 0
	eq "$OUT" "forked 100
fork-error none" "forkbomb 100 without a limit"
}

t_limit_pids_mechanism() {
	# root: the v1 pids controller (pids.max = limit + 1 for paude's init);
	# rootless: RLIMIT_NPROC in the sandbox's own user namespace.
	local out d before
	out=$(mktemp -p "$IT_DIR")
	before=$(cg_leftovers)
	pbg "$out" --pids-limit 10 "$IMG" /bin/sh -c 'pd-probe rlimits | grep ^nproc; echo ready; pd-probe sleep 5'
	wait_for "$out" ready
	if [ "$MODE" = root ]; then
		# This run's cgroup: paude-<pid of this paude>-<random>.
		d=$(find "$(cg_dir pids)" -maxdepth 1 -name "paude-$BG_PID-*" -type d | head -n 1)
		[ -n "$d" ] || { kill "$BG_PID"; fail "no paude-* cgroup under $(cg_dir pids)"; }
		local max
		max=$(cat "$d/pids.max")
		kill -TERM "$BG_PID"; wait "$BG_PID" || true
		eq "$max" 11 "pids.max"
	else
		kill -TERM "$BG_PID"; wait "$BG_PID" || true
		eq "$(cg_leftovers)" "$before" "cgroups after a rootless run"
		contains "$(cat "$out")" "nproc 11 11" "RLIMIT_NPROC (the limit + the command's own process)"
	fi
}

t_limit_memory() {
	local before
	before=$(cg_leftovers)
	[ "$MODE" = root ] || { memory_refused --memory 32m "$IMG" pd-probe alloc 100; return 0; }
	pcap --memory 32m "$IMG" pd-probe alloc 100
	case $MODE in
	root)
		# The cgroup's OOM killer (137, nothing printed) or a failed allocation.
		if [ "$RC" = 137 ]; then
			not_contains "$OUT" "alloc-error none" "alloc completed"
		else
			status_is "$RC" 0 "alloc under --memory 32m ($ERR)"
			eq "$(printf '%s\n' "$OUT" | sed -n 's/^alloc-error //p')" ENOMEM "alloc error"
		fi
		not_contains "$ERR" "RLIMIT_DATA" "root mode falls back to rlimits"
		;;
	*)	fail "unreachable" ;;
	esac
	eq "$(cg_leftovers)" "$before" "paude-* cgroups after the run"
}

t_limit_memory_control() {
	pcap "$IMG" pd-probe alloc 100
	status_is "$RC" 0
	eq "$OUT" "allocated 100
alloc-error none" "alloc 100 without a limit"
}

t_limit_memory_cgroup_value() {
	[ "$MODE" = root ] || { memory_refused --memory 64m "$IMG" pd-probe rlimits; return 0; }
	local out d v
	out=$(mktemp -p "$IT_DIR")
	pbg "$out" --memory 64m "$IMG" /bin/sh -c 'echo ready; pd-probe sleep 5'
	wait_for "$out" ready
	d=$(find "$(cg_dir memory)" -maxdepth 1 -name "paude-$BG_PID-*" -type d | head -n 1)
	v=$(cat "$d/memory.limit_in_bytes" 2>/dev/null)
	kill -TERM "$BG_PID"; wait "$BG_PID" || true
	eq "$v" 67108864 "memory.limit_in_bytes of the sandbox's cgroup ($d)"
}

t_limit_ulimit_nofile() {
	pcap --ulimit nofile=100:200 "$IMG" /bin/sh -c 'ulimit -n; ulimit -Hn; pd-probe rlimits | grep ^nofile'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "100
200
nofile 100 200" "--ulimit nofile=100:200"
	pcap --ulimit nofile=64 --ulimit core=0 "$IMG" pd-probe rlimits
	eq "$(printf '%s\n' "$OUT" | grep -E '^(nofile|core) ' | sort)" "core 0 0
nofile 64 64" "--ulimit nofile=64 (soft = hard) and core=0"
}

t_limit_ulimit_above_hard() {
	local hard want
	hard=$(pexec /bin/sh -c 'ulimit -Hn')
	case $hard in ''|*[!0-9]*) fail "host hard nofile: [$hard]" ;; esac
	want=$((hard + 10000))
	pcap --ulimit "nofile=$want:$want" "$IMG" pd-probe exit 0
	status_is "$RC" 125 "--ulimit nofile above the host's hard limit $hard"
	eq "$OUT" "" "the command ran"
	contains "$ERR" "$want" "the message names the value"
	contains "$ERR" "$hard" "the message names the host's limit"
	eq "$(count_lines "$(errlines "$ERR")")" 1 "one error line"
}

t_limit_cpus() {
	local out d
	if [ "$MODE" != root ]; then
		pcap --cpus 0.5 "$IMG" pd-probe exit 0
		status_is "$RC" 125 "--cpus rootless without a delegated cgroup"
		eq "$OUT" "" "the command ran"
		contains "$ERR" "--cpus" "the message names the option"
		contains "$ERR" "Delegate=yes" "the message names the fix"
		eq "$(count_lines "$(errlines "$ERR")")" 1 "one error line"
		return 0
	fi
	out=$(mktemp -p "$IT_DIR")
	pbg "$out" --cpus 0.5 "$IMG" /bin/sh -c 'echo ready; pd-probe sleep 5'
	wait_for "$out" ready
	d=$(find "$(cg_dir cpu)" -maxdepth 1 -name "paude-$BG_PID-*" -type d | head -n 1)
	local q p
	q=$(cat "$d/cpu.cfs_quota_us" 2>/dev/null)
	p=$(cat "$d/cpu.cfs_period_us" 2>/dev/null)
	kill -TERM "$BG_PID"
	local rc=0
	wait "$BG_PID" || rc=$?
	eq "$q" 50000 "cpu.cfs_quota_us of $d"
	eq "$p" 100000 "cpu.cfs_period_us of $d"
	status_is "$rc" 143 "the sandbox ended by SIGTERM"
	pcap --cpus 1.5 "$IMG" pd-probe exit 0
	status_is "$RC" 0 "--cpus 1.5 ($ERR)"
}

t_limit_no_cgroup_left() {
	local before
	before=$(cg_leftovers)
	prun --pids-limit 20 "$IMG" true 2>/dev/null
	[ "$MODE" != root ] || prun --memory 64m --cpus 1 "$IMG" true
	prun --pids-limit 20 "$IMG" /bin/sh -c 'exit 3' 2>/dev/null || true
	prun --pids-limit 20 "$IMG" /no/such 2>/dev/null || true
	prun --pids-limit 20 -v /nonexistent:/x "$IMG" true 2>/dev/null || true
	eq "$(cg_leftovers)" "$before" "paude-* cgroups after runs that succeed and fail"
}

t_limit_cgroup2_delegated() {
	# Needs a unified (v2) /sys/fs/cgroup with a cgroup delegated to the
	# mode's user: this host is v1 + an empty unified hierarchy.
	local fs
	fs=$(stat -f -c %T /sys/fs/cgroup)
	[ "$fs" = cgroup2fs ] || skip "no cgroup v2 at /sys/fs/cgroup (it is $fs)"
	local out
	out=$(mktemp -p "$IT_DIR")
	pbg "$out" --memory 64m --pids-limit 10 --cpus 0.5 "$IMG" /bin/sh -c 'echo ready; pd-probe sleep 5'
	wait_for "$out" ready
	local d
	d=$(find /sys/fs/cgroup -maxdepth 6 -name "paude-$BG_PID-*" -type d | head -n 1)
	local m p c
	m=$(cat "$d/memory.max"); p=$(cat "$d/pids.max"); c=$(cat "$d/cpu.max")
	kill -TERM "$BG_PID"; wait "$BG_PID" || true
	eq "$m" 67108864 "memory.max"
	eq "$p" 11 "pids.max"
	eq "$c" "50000 100000" "cpu.max"
}

t_limit_memory_bounds_tmpfs() {
	# The writable layer and /tmp are memory: --memory bounds them too.  A
	# request for more than the tmpfs holds fails with ENOSPC at once (the
	# kernel checks fallocate against size=), before the cgroup's OOM killer
	# could (a real fill meets that first: it charges the same memory).
	[ "$MODE" = root ] || { memory_refused --memory 32m "$IMG" true; return 0; }
	pcap --memory 32m "$IMG" /bin/sh -c '
		df -k / /tmp | awk "NR > 1 { print \$2 }"
		pd-probe fallocate /big 33; pd-probe fallocate /tmp/big 33
		pd-probe fallocate /big 8; pd-probe fallocate /tmp/big 8; rm -f /big /tmp/big'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "32768
32768
fallocate ENOSPC
fallocate ENOSPC
fallocate ok
fallocate ok" "sizes of / and /tmp in kB, then fallocate 33 MiB and 8 MiB"
}

# ENOSPC at the cap of an explicit --tmpfs size, filled for real (rootless
# nothing else bounds it; as root a 16m tmpfs under a 64m cgroup).
t_limit_tmpfs_fills_to_enospc() {
	pcap --tmpfs /x:size=16m "$IMG" /bin/sh -c 'pd-probe fallocate /x/a 17; rm -f /x/a
		dd if=/dev/zero of=/x/big bs=1M count=32 2>/dev/null; echo "dd=$?"; stat -c %s /x/big'
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | sed -n 1,2p)" "fallocate ENOSPC
dd=1" "fallocate and dd beyond size=16m ($OUT)"
	local n
	n=$(printf '%s\n' "$OUT" | sed -n 3p)
	if [ "$n" -le $((15 * 1048576)) ] || [ "$n" -gt $((16 * 1048576)) ]; then
		fail "bytes written before ENOSPC: $n, not within (15, 16] MiB ($OUT)"
	fi
}

t_limit_parallel_runs() {
	# Runs that make cgroups at the same time never remove each other's.
	local d i fails
	d=$(scratch)
	for i in $(seq 1 16); do
		# (--memory needs the cgroup only root has here.)
		# shellcheck disable=SC2046
		( prun --pids-limit 50 $([ "$MODE" = root ] && echo --memory 64m) "$IMG" /bin/sh -c 'sleep 0.2; echo ok' \
			>"$d/out.$i" 2>&1; echo "rc=$?" >>"$d/out.$i" ) &
	done
	wait
	fails=$(grep -L '^rc=0$' "$d"/out.* || true)
	[ -z "$fails" ] || fail "parallel runs failed: $(printf '%s\n' "$fails" | xargs cat | head -n 5)"
}
