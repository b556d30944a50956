# Hardening of the runtime's second pass: one sandbox must not hurt the host
# (leases, tasks, kernel quotas, RAM-backed storage), paude's own pid 1 holds
# no privilege, masks and device nodes reveal nothing of the host, and
# output is never lost.  Each test fails on the build before the fix.

# The quarter of RAM every writable tmpfs is bounded by (kB).
quarter_kb() { awk '/^MemTotal:/ { print int($2 / 4) }' /proc/meminfo; }

t_hard_output_kept_for_a_slow_reader() {
	# The reader pauses while the command has long exited: nothing is lost.
	local last
	last=$(pexec_prefix; timeout -s KILL 60 "${PEXEC[@]}" "$PAUDE" run "$IMG" seq 1 20000 2>/dev/null |
		(sleep 1; tail -n 1))
	eq "$last" 20000 "the last line a paused reader gets"
}

t_hard_output_write_error_reported() {
	# A reader that fails (ENOSPC) is paude's failure, said as such.
	local rc=0 err
	err=$(pexec_prefix; "${PEXEC[@]}" "$PAUDE" run "$IMG" seq 1 20000 2>&1 >/dev/full) || rc=$?
	status_is "$rc" 125 "exit status when paude cannot write its stdout"
	eq "$(errlines "$err")" "paude: write the command's output to paude's stdout: No space left on device" \
		"the error"
}

t_hard_output_stop_signal_bounds_the_drain() {
	# Asked to stop, paude does not wait for a reader that never reads.
	local d pid
	d=$(scratch)
	# shellcheck disable=SC2216 # a reader that never reads, on purpose
	( rc=0; pexec "$PAUDE" run "$IMG" yes floodfloodflood 2>/dev/null || rc=$?; echo $rc >"$d/rc" ) |
		sleep 60 &
	for _ in $(seq 1 100); do
		pid=$(pgrep -f -- "^$PAUDE run $IMG yes flood" | head -n 1)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || fail "paude did not start"
	kill -TERM "$pid"
	for _ in $(seq 1 200); do
		[ -s "$d/rc" ] && break
		sleep 0.05
	done
	pkill -f -- "^$PAUDE run $IMG yes flood" && fail "paude still running 10 s after SIGTERM"
	pkill -f "^sleep 60$" -P $$ || true
	eq "$(cat "$d/rc")" 143 "paude's exit status (the command killed by SIGTERM)"
}

t_hard_lease_refused() {
	# fcntl(F_SETLEASE) would let one sandbox stall every host program that
	# opens a file it is seen to own: refused, every other fcntl works.
	local d
	d=$(scratch)
	printf 'x\n' >"$d/f"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$d/f"
	pcap -v "$d:/v:ro" host python3 -c '
import fcntl, os, errno
for p in ("/v/f", "/etc/passwd", "/etc/ld.so.cache"):
    fd = os.open(p, os.O_RDONLY)
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK); r = "taken"
    except OSError as e:
        r = errno.errorcode[e.errno]
    print(p, r, fcntl.fcntl(fd, fcntl.F_GETFL) >= 0, os.stat(p).st_uid)'
	status_is "$RC" 0 "($ERR)"
	local vowner=0
	# The volume's file is the sandbox root's (idmapped, or the user's own).
	eq "$OUT" "/v/f EPERM True $vowner
/etc/passwd EPERM True 65534
/etc/ld.so.cache EPERM True 65534" "leases and owners"
}

t_hard_pid1_unprivileged() {
	pcap "$IMG" /bin/sh -c 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/1/status'
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | tr -s '\t ' ' ')" "CapInh: 0000000000000000
CapPrm: 0000000000000020
CapEff: 0000000000000020
CapBnd: 0000000000000020
CapAmb: 0000000000000000
NoNewPrivs: 1
Seccomp: 2" "paude's init: CAP_KILL alone, no_new_privs, its own filter"
}

t_hard_pid1_forwards_to_another_uid() {
	# With nothing but CAP_KILL, init still forwards to a command of another
	# uid (a single-id map has no other uid: there, to its own).
	local out sig want user=--user=1000
	maps_ids || user=--user=0
	for sig in INT TERM; do
		out=$(mktemp -p "$IT_DIR")
		pbg "$out" "$user" "$IMG" /bin/sh -c 'echo ready; exec pd-probe sleep 30'
		wait_for "$out" ready
		kill -"$sig" "$BG_PID"
		rc=0; wait "$BG_PID" || rc=$?
		want=$((128 + $(kill -l "$sig")))
		status_is "$rc" "$want" "a --user 1000 command after SIG$sig"
	done
}

t_hard_no_host_devtmpfs_outside_dev() {
	# Masks are not binds of the host's /dev/null; as root the sandbox's
	# device nodes are its own (a tmpfs paude made), rootless the host's.
	pcap "$IMG" /bin/sh -c 'cat /proc/self/mountinfo; echo x > /dev/null && echo null-ok;
		head -c 3 /dev/zero | od -An -tx1; head -c 8 /dev/urandom | wc -c; cat /proc/keys /proc/timer_list | wc -c'
	status_is "$RC" 0 "($ERR)"
	local dev
	dev=$(printf '%s\n' "$OUT" | awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { print $5, $(i + 1); break } }' |
		awk '$2 == "devtmpfs" { print $1 }' | tr '\n' ' ')
	case $MODE in
	root) eq "$dev" "" "devtmpfs mounts (root mode: none at all)" ;;
	*) eq "$dev" "/dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty " \
		"devtmpfs mounts (rootless: the host's nodes, in /dev only)" ;;
	esac
	contains "$OUT" "/empty /proc/keys ro,nosuid,nodev,noexec" "the mask of /proc/keys"
	contains "$OUT" "null-ok" "/dev/null takes writes"
	contains "$OUT" " 00 00 00" "/dev/zero"
	contains "$OUT" "
8
0" "/dev/urandom and the masks"
}

t_hard_writable_tmpfs_bounded() {
	# Every tmpfs the sandbox can write, and its root, is bounded by default.
	local q bad blocks bsize
	q=$(quarter_kb)
	pcap --tmpfs /scratch "$IMG" /bin/sh -c 'cat /proc/self/mountinfo; stat -f -c "rootfs %b %S" /'
	status_is "$RC" 0 "($ERR)"
	bad=$(printf '%s\n' "$OUT" | awk -v q="$q" '{ fs = ""; for (i = 1; i <= NF; i++) if ($i == "-") { fs = $(i + 1); so = $(i + 3); mp = $5; o = $6 } }
		fs == "tmpfs" && o ~ /(^|,)rw(,|$)/ { sz = ""; if (match(so, /size=[0-9]+k/)) sz = substr(so, RSTART + 5, RLENGTH - 6);
		if (sz == "" || sz + 0 == 0 || sz + 0 > q + 0 || so !~ /nr_inodes=[1-9]/) print mp }' | tr '\n' ' ')
	eq "$bad" "" "writable tmpfs mounts without a bounded size and inode cap"
	read -r blocks bsize < <(printf '%s\n' "$OUT" | awk '/^rootfs / { print $2, $3 }')
	[ $((blocks * bsize / 1024)) -le "$q" ] || fail "the root's writable layer: $((blocks * bsize / 1024)) kB"
	# The three that must be there: /, /tmp, /scratch, /dev/shm.
	for m in /tmp /scratch /dev/shm; do
		printf '%s\n' "$OUT" | awk -v m="$m" '$5 == m' | grep -q "nr_inodes=" || fail "$m not bounded"
	done
}

t_hard_tmpfs_size_zero_refused() {
	pcap --tmpfs /x:size=0 "$IMG" true
	status_is "$RC" 125
	contains "$ERR" "paude: --tmpfs \"/x:size=0\": size=0 would be unlimited" "the error"
	pcap --tmpfs /x:size=2m,nr_inodes=8 "$IMG" /bin/sh -c 'grep " /x " /proc/self/mountinfo'
	status_is "$RC" 0 "($ERR)"
	contains "$OUT" "size=2048k,nr_inodes=8" "an explicit size and inode cap"
}

t_hard_default_task_limit() {
	# 2048 by default (podman's), lifted by --pids-limit -1.
	pcap "$IMG" pd-probe forkbomb 3000
	status_is "$RC" 0 "($ERR)"
	local n
	n=$(printf '%s\n' "$OUT" | sed -n 's/^forked //p')
	if [ -z "$n" ] || [ "$n" -gt 2048 ] || [ "$n" -lt 2000 ]; then
		fail "forked $n children by default"
	fi
	contains "$OUT" "fork-error EAGAIN" "the default limit's error"
	pcap --pids-limit -1 "$IMG" pd-probe forkbomb 3000
	eq "$OUT" "forked 3000
fork-error none" "--pids-limit -1"
}

t_hard_user_quotas_capped() {
	# A quarter of the caller's per-user kernel quotas, in the sandbox's own
	# user namespace, and of its queued signals and message-queue bytes.
	local want
	want="$(($(cat /proc/sys/user/max_inotify_instances) / 4)) $(($(cat /proc/sys/user/max_inotify_watches) / 4)) $(($(cat /proc/sys/user/max_fanotify_groups) / 4)) $(($(cat /proc/sys/user/max_fanotify_marks) / 4))"
	pcap "$IMG" /bin/sh -c 'echo $(cat /proc/sys/user/max_inotify_instances /proc/sys/user/max_inotify_watches /proc/sys/user/max_fanotify_groups /proc/sys/user/max_fanotify_marks); ulimit -i; ulimit -q'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "$want
$(($(pexec bash -c 'ulimit -i') / 4))
$(($(pexec bash -c 'ulimit -q') / 4))" "quotas inside"
	# init too: a signal queued to pid 1 counts against init's own limit.
	pcap "$IMG" /bin/sh -c 'grep -E "^Max (pending signals|msgqueue size)" /proc/1/limits | tr -s " " | cut -d" " -f4'
	eq "$OUT" "$(($(pexec bash -c 'ulimit -i') / 4))
$(($(pexec bash -c 'ulimit -q') / 4))" "init's quotas"
	pcap --ulimit sigpending=77 --ulimit msgqueue=4096 "$IMG" /bin/sh -c 'ulimit -i; ulimit -q'
	eq "$OUT" "77
4096" "--ulimit wins"
}

t_hard_tty_stdin_eof_ends() {
	# echo hi | paude run -t -i IMG cat: end-of-input reaches the pty.
	local out rc=0
	out=$(pexec_prefix; echo hi | timeout -s KILL 20 "${PEXEC[@]}" "$PAUDE" run -t -i "$IMG" cat 2>/dev/null) || rc=$?
	status_is "$rc" 0 "paude after its stdin ended ($out)"
	eq "$(printf '%s' "$out" | tr -d '\r')" "hi
hi" "the pty's echo and cat's copy"
}

t_hard_passwd_special_file() {
	# A FIFO /etc/passwd: an error about that file, not about --user.
	local r
	r=$(scratch)/root
	mkroot "$r"
	rm -f "$r/etc/passwd"
	mkfifo "$r/etc/passwd"
	[ -z "$RUNUSER" ] || chown -h "$RUNUSER:" "$r/etc/passwd"
	pcap "dir:$r" true
	status_is "$RC" 125
	contains "$ERR" "paude: the image's /etc/passwd" "the error names the file"
	not_contains "$ERR" "--user" "no --user was given"
}

t_hard_memory_refused_without_cgroup() {
	# Rootless here (no delegated cgroup v2): refused, never per-process.
	pcap --memory 64m "$IMG" true
	if [ "$MODE" = root ]; then
		status_is "$RC" 0 "($ERR)"
	else
		status_is "$RC" 125
		contains "$ERR" "paude: --memory needs a writable cgroup and none is available here" "the error"
	fi
}

t_hard_setuid_binary_refused() {
	local d
	d=$(scratch)
	cp "$PAUDE" "$d/paude"
	chmod 4755 "$d/paude"
	rc=0; out=$(pexec "$d/paude" version 2>&1) || rc=$?
	status_is "$rc" 125 "a setuid paude"
	# As root the binary's mode is seen; a user sees AT_SECURE first.
	contains "$out" "paude runs with its caller's privileges only (it uses user namespaces)" "the error"
	contains "$out" "/paude" "the error names the binary"
	chmod 2755 "$d/paude"
	rc=0; out=$(pexec "$d/paude" version 2>&1) || rc=$?
	status_is "$rc" 125 "a setgid paude"
	chmod 0755 "$d/paude"
	setcap cap_net_raw+ep "$d/paude"
	rc=0; out=$(pexec "$d/paude" version 2>&1) || rc=$?
	status_is "$rc" 125 "a paude with file capabilities"
	contains "$out" "capabilities" "the error"
	rm -f "$d/paude"
}

t_hard_etc_files_on_a_foreign_root() {
	# The generated /etc files are made in the writable layer before the
	# overlay: there even on a root filesystem of ids the sandbox does not
	# map (rootless, the root-owned one), and the image's own are not used.
	pcap --network none --hostname hx "dir:$IT_DIR/rootfs-root" /bin/sh -c 'cat /etc/hostname /etc/resolv.conf; grep hx /etc/hosts'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "hx
# paude: this sandbox has no network (--network none)
127.0.1.1	hx" "the generated files"
	[ ! -e "$IT_DIR/rootfs-root/etc/resolv.conf" ] || fail "written into the image"
}
