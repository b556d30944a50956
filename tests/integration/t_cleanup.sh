# Nothing left on the host after a run: mounts, temporary files, processes.

# The host's state a run could leave traces in.  Read inside in_private_host
# (see lib.sh), where only this test's runs can change it.
host_state() {
	echo "mounts:"
	awk '{ print $5 }' /proc/self/mountinfo | sort
	echo "tmp:"
	find /tmp -mindepth 1 -maxdepth 1 | sort
	echo "run:"
	find /run -mindepth 1 | sort
	if [ -n "$RUNUSER" ]; then
		echo "home:"
		# the audit log is paude's record, meant to stay (docs/NETWORK.md)
		find "/home/$RUNUSER" -mindepth 1 | grep -vxE "/home/$RUNUSER/\.local(/state(/paude(/audit\.jsonl)?)?)?" | sort
	fi
	echo "dev-shm:"
	find /dev/shm -mindepth 1 | sort
}

# Processes of this test still running as the sandbox's host ids.  Zombies
# aside: reaping an orphaned init is the host's pid 1's job, and it may take
# a moment.
sandbox_procs() {
	local pids lo hi
	case $MODE in
	root)   lo=$(paude_range_start); hi=$((lo + 65535)) ;;
	*)      lo=$(id -u "$RUNUSER"); hi=$lo ;;
	esac
	pids=$(it_pids | paste -sd, -)
	[ -n "$pids" ] || return 0
	ps -o uid=,pid=,stat=,args= -p "$pids" | awk -v lo="$lo" -v hi="$hi" -v s="$IT_SUB_START" -v m="$MODE" '
		$3 ~ /^Z/ { next }
		($1 >= lo && $1 <= hi) || (m == "subid" && $1 >= s && $1 < s + 65536)'
}

# same_state BEFORE AFTER WHAT: fails with what differs (< before, > after).
same_state() {
	[ "$1" = "$2" ] || fail "$3 changed: $(diff <(echo "$1") <(echo "$2") | grep '^[<>]' | tr '\n' ' ')"
}

cleanup_after_runs() {
	local before after d
	d=$(scratch)
	before=$(host_state)
	prun "$IMG" true 2>/dev/null
	prun -v "$d:/v" --tmpfs /run --read-only "$IMG" /bin/sh -c 'echo x > /v/f; echo y > /run/z' 2>/dev/null
	prun --pids-limit 20 "$IMG" /bin/sh -c 'exit 4' 2>/dev/null || true
	prun "$IMG" /no/such 2>/dev/null || true
	prun -v /nonexistent:/x "$IMG" true 2>/dev/null || true
	prun host true 2>/dev/null
	echo | prun -i "$IMG" cat >/dev/null 2>&1
	after=$(host_state)
	same_state "$before" "$after" "the host's mounts and temporary directories"
	eq "$(sandbox_procs)" "" "processes left running as the sandbox's ids"
}
t_cleanup_after_runs() { in_private_host cleanup_after_runs; }

cleanup_after_tty_run() {
	local before after
	before=$(host_state)
	pexec "$PTYRUN" --timeout 20 -- "$PAUDE" run -t -i "$IMG" /bin/sh -c 'exit 0' >/dev/null 2>&1
	after=$(host_state)
	same_state "$before" "$after" "the host after a -t run"
	eq "$(sandbox_procs)" "" "processes left running"
}
t_cleanup_after_tty_run() { in_private_host cleanup_after_tty_run; }

cleanup_after_sigkill() {
	local before after out secs=71.$$ mark="sleep 71.$$"
	out=$(mktemp -p "$IT_DIR")
	before=$(host_state)
	pbg "$out" -v "$(scratch):/v" --tmpfs /run "$IMG" pd-probe sleep "$secs"
	wait_until 10 "the sandbox's command" 'pgrep -f "^pd-probe $mark" >/dev/null'
	kill -KILL "$BG_PID"
	wait "$BG_PID" || true
	wait_gone "^pd-probe $mark" 5
	wait_until 5 "paude-init to go" '[ -z "$(it_pgrep "^paude-init")" ]'
	after=$(host_state)
	same_state "$before" "$after" "the host after SIGKILL of paude"
	eq "$(sandbox_procs)" "" "processes left running"
}
t_cleanup_after_sigkill() { in_private_host cleanup_after_sigkill; }

t_cleanup_background_children_gone() {
	# Daemons started inside die with the sandbox.
	local mark="sleep 72.$$"
	prun "$IMG" /bin/sh -c "(pd-probe $mark &) ; (setsid pd-probe $mark &) ; exit 0" 2>/dev/null
	wait_gone "^pd-probe $mark" 5
}

t_cleanup_rootfs_untouched_after_failure() {
	# A run that fails late (after the overlay is built) leaves the rootfs alone.
	local before
	before=$(find "$R" -printf '%P %y %m %U %s %T@\n' | sort | md5sum)
	prun -v "$(scratch):/proc/x" "$IMG" true 2>/dev/null || true
	prun --user ghost "$IMG" true 2>/dev/null || true
	eq "$(find "$R" -printf '%P %y %m %U %s %T@\n' | sort | md5sum)" "$before" "the rootfs after failed runs"
}

# Mount propagation: on a host whose mounts are shared (systemd makes "/"
# shared), nothing mounted or unmounted in the sandbox may reach the host.
# Both the volume and the rootfs here are shared bind mounts made for the test.
t_cleanup_no_propagation_to_host() {
	local d vol rfs before
	d=$(scratch)
	vol=$d/vol
	rfs=$d/rootfs
	mkdir -p "$vol/sub"
	mkroot "$rfs"
	mkdir -p "$rfs/mnt/inner"
	[ -z "$RUNUSER" ] || chown -R "$RUNUSER:" "$vol" "$rfs"
	mount --bind "$vol" "$vol" && mount --make-shared "$vol"
	mount --bind "$rfs" "$rfs" && mount --make-shared "$rfs"
	mount -t tmpfs -o size=1m inner "$rfs/mnt/inner"
	echo keep > "$rfs/mnt/inner/file"
	before=$(findmnt -rn -o TARGET -R "$d" | sort)
	local rc=0 out
	out=$(prun -v "$vol:/v" --tmpfs /v/sub "dir:$rfs" /bin/sh -c 'ls /v >/dev/null' 2>&1) || rc=$?
	local after
	after=$(findmnt -rn -o TARGET -R "$d" | sort)
	local inner
	inner=$(cat "$rfs/mnt/inner/file" 2>&1)
	umount "$rfs/mnt/inner" 2>/dev/null || true
	umount -l "$rfs" "$vol" 2>/dev/null || true
	eq "$after" "$before" "host mounts under the test dir after the run"
	eq "$inner" "keep" "the host's submount of the rootfs"
	if [ "$MODE" = root ]; then
		status_is "$rc" 0 "paude run on shared mounts ($out)"
	else
		# Rootless, overlayfs cannot use a layer with host mounts inside: refused plainly.
		status_is "$rc" 125 "rootless run on a rootfs with a submount ($out)"
		contains "$out" "has a mount inside it (\"$rfs/mnt/inner\")"
	fi
}
