# Nothing left on the host after a run: mounts, temporary files, processes.

# The host's state a run could leave traces in.
host_state() {
	echo "mounts $(wc -l < /proc/self/mountinfo)"
	echo "tmp:"
	ls -A /tmp | grep -v -e '^bash_' | sort
	echo "run:"
	ls -A /run | sort
	if [ -n "$RUNUSER" ]; then
		echo "run-user:"
		ls -A "/run/user/$(id -u "$RUNUSER")" | sort
		echo "home:"
		ls -A "/home/$RUNUSER" | sort
	fi
	echo "dev-shm:"
	ls -A /dev/shm | sort
}

# Processes running as the sandbox's host ids (zombies aside: reaping an
# orphaned init is the host's pid 1's job, and it may take a moment).
sandbox_procs() {
	sandbox_procs_all | grep -v '<defunct>' || true
}

sandbox_procs_all() {
	case $MODE in
	root)
		local s
		s=$(paude_range_start)
		ps -e -o uid=,pid=,args= | awk -v s="$s" '$1 >= s && $1 < s + 65536'
		;;
	subid)
		ps -e -o uid=,pid=,args= | awk -v u="$(id -u "$RUNUSER")" -v s="$IT_SUB_START" '$1 == u || ($1 >= s && $1 < s + 65536)'
		;;
	single)
		ps -e -o uid=,pid=,args= | awk -v u="$(id -u "$RUNUSER")" '$1 == u'
		;;
	esac
}

t_cleanup_after_runs() {
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
	eq "$after" "$before" "the host's mounts and temporary directories (diff: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' ' '))"
	eq "$(sandbox_procs)" "" "processes left running as the sandbox's ids"
}

t_cleanup_after_tty_run() {
	local before after
	before=$(host_state)
	pexec "$PTYRUN" --timeout 10 -- "$PAUDE" run -t -i "$IMG" /bin/sh -c 'exit 0' >/dev/null 2>&1
	after=$(host_state)
	eq "$after" "$before" "the host after a -t run"
	eq "$(sandbox_procs)" "" "processes left running"
}

t_cleanup_after_sigkill() {
	local before after out mark="sleep 71.$$"
	out=$(mktemp -p "$IT_DIR")
	before=$(host_state)
	pbg "$out" -v "$(scratch):/v" --tmpfs /run "$IMG" pd-probe $mark
	local i=0
	until pgrep -f "^pd-probe $mark" >/dev/null; do
		i=$((i + 1)); [ $i -le 200 ] || fail "never started: $(cat "$out")"
		sleep 0.05
	done
	kill -KILL "$BG_PID"
	wait "$BG_PID" || true
	wait_gone "^pd-probe $mark" 5
	after=$(host_state)
	eq "$after" "$before" "the host after SIGKILL of paude"
	local left
	left=$(sandbox_procs)
	eq "$left" "" "processes left running"
}

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
