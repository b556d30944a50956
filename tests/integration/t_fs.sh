# Filesystem: masks, read-only kernel files, /dev, /tmp, mount flags, the
# writable layer that vanishes, --read-only, generated /etc files.

# A fingerprint of a tree: every entry's path, type, mode, owner, size, mtime, link target.
tree_sum() { find "$1" -printf '%P %y %m %U %G %s %T@ %l\n' | sort | md5sum; }

# podman's masked paths (read empty: an empty file, an empty directory) and
# read-only paths, as README and docs/ISOLATION.md promise; every one of them,
# whether this host has it or not.
MASKED_PATHS="/proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list
/proc/timer_stats /proc/sched_debug /proc/scsi /proc/interrupts
/sys/firmware /sys/fs/selinux /sys/devices/virtual/powercap"
READONLY_PATHS="/proc/asound /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger"

# The checker run inside: "KIND:PATH RESULT" per argument (KIND mask or ro).
# A masked directory: its entry count, what creating a file in it gives, and
# the first option of the mount at PATH; a read-only directory: the mount
# (procfs answers ENOENT to a create before it looks at the mount); a masked
# file: what reading gives, and the mount; a read-only file: what writing
# gives, and the mount.
MASK_CHECK='for a; do
	k=${a%%:*} p=${a#*:}
	m=$(awk -v p="$p" '\''$5 == p { split($6, o, ","); r = o[1] } END { print r ? r : "none" }'\'' /proc/self/mountinfo)
	if [ -d "$p" ]; then
		if [ "$k" = mask ]; then echo "$a dir entries=$(ls -A "$p" | wc -l) $(pd-probe write "$p/.paude-it") mount=$m"
		else echo "$a dir mount=$m"; fi
	elif [ -e "$p" ]; then
		if [ "$k" = mask ]; then echo "$a file $(pd-probe read "$p") mount=$m"
		else echo "$a file $(pd-probe write "$p") mount=$m"; fi
	else
		echo "$a absent"
	fi
done'

# What MASK_CHECK must print for KIND:PATH, as a case pattern.  A path this
# host lacks must be absent inside too, or masked.
mask_want() {
	local k=${1%%:*} p=${1#*:}
	if [ -d "$p" ]; then
		[ "$k" = mask ] && echo "$1 dir entries=0 write EROFS mount=ro" || echo "$1 dir mount=ro"
	elif [ -e "$p" ]; then
		# A masked file: any mount that reads empty (the mask's own
		# options are the implementation's business).
		[ "$k" = mask ] && echo "$1 file read 0 bytes mount=r[ow]" || echo "$1 file write EROFS mount=ro"
	elif [ "$k" = mask ]; then
		echo "$1 @(absent|dir entries=0 write EROFS mount=ro|file read 0 bytes mount=r[ow])"
	else
		echo "$1 @(absent|dir mount=ro|file write EROFS mount=ro)"
	fi
}

t_fs_masked_and_readonly_paths() {
	local args=() a line want p
	for p in $MASKED_PATHS /sys/devices/system/cpu/cpu0/thermal_throttle; do args+=("mask:$p"); done
	# thermal_throttle of every cpu the host has (podman masks each).
	for p in /sys/devices/system/cpu/cpu[0-9]*/thermal_throttle; do
		[ "$p" = /sys/devices/system/cpu/cpu0/thermal_throttle ] || [ ! -e "$p" ] || args+=("mask:$p")
	done
	for p in $READONLY_PATHS; do args+=("ro:$p"); done
	pcap "$IMG" /bin/sh -c "$MASK_CHECK" sh "${args[@]}"
	status_is "$RC" 0 "($ERR)"
	eq "$(count_lines "$OUT")" "${#args[@]}" "one line per path ($OUT)"
	shopt -s extglob
	for a in "${args[@]}"; do
		line=$(printf '%s\n' "$OUT" | grep -F -- "$a " | head -n 1)
		want=$(mask_want "$a")
		# shellcheck disable=SC2254
		case $line in $want) ;; *) fail "$a: expected [$want], got [$line]" ;; esac
	done
	# The host's are not empty, so the masks are what makes them so.
	[ "$(wc -c < /proc/interrupts)" -gt 0 ] || fail "host /proc/interrupts empty"
	[ "$(wc -c < /proc/timer_list)" -gt 0 ] || fail "host /proc/timer_list empty"
	[ -n "$(find /sys/firmware -mindepth 1 -maxdepth 1)" ] || fail "host /sys/firmware empty"
}

# /proc/keys lists, inside a user namespace, only the keys of uids the
# namespace maps, and only those the reader may view: the sandbox's would be
# empty even unmasked unless a key of its own host uid exists.  So: a key of
# the container root's host uid, visible to that uid in a user namespace like
# the sandbox's (the control), and not in the sandbox.
t_fs_proc_keys_masked() {
	local out desc gid pid
	out=$(mktemp -p "$IT_DIR")
	desc=paude-it-key.$$
	case $MODE in
	root) gid=$(sed -n 's/^paude:\([0-9][0-9]*\):.*/\1/p' /etc/subgid | head -n 1) ;;
	*)    gid=$(id -g "$RUNUSER") ;;
	esac
	setpriv --reuid="$HOST_UID" --regid="$gid" --clear-groups "$IT_DIR/bin/pd-probe" hold-key "$desc" >"$out" 2>&1 &
	pid=$!
	wait_for "$out" ready
	local control
	control=$(setpriv --reuid="$HOST_UID" --regid="$gid" --clear-groups unshare --user --map-root-user cat /proc/keys 2>&1 || true)
	pcap "$IMG" /bin/sh -c 'pd-probe read /proc/keys; cat /proc/keys'
	kill -TERM "$pid"; wait "$pid" || true
	contains "$control" " $desc: " "the control: the key in /proc/keys of a user namespace mapping its uid"
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "read 0 bytes" "/proc/keys in the sandbox"
}

t_fs_proc_sys_readonly() {
	pcap "$IMG" /bin/sh -c 'pd-probe write /proc/sys/kernel/hostname; pd-probe write /proc/sys/vm/drop_caches
		pd-probe write /proc/sysrq-trigger; pd-probe write /proc/irq/default_smp_affinity'
	status_is "$RC" 0 "($ERR)"
	local want_sysrq="write EROFS"
	# This kernel has no magic sysrq: then the file does not exist at all.
	[ -e /proc/sysrq-trigger ] || want_sysrq="write ENOENT"
	eq "$OUT" "write EROFS
write EROFS
$want_sysrq
write EROFS" "writes to /proc/sys, /proc/sysrq-trigger, /proc/irq"
}

t_fs_sys_readonly() {
	pcap "$IMG" /bin/sh -c 'pd-probe write /sys/class/net/lo/mtu; pd-probe write /sys/kernel/uevent_helper; pd-probe write /sys/newfile; awk '"'"'$5 == "/sys"'"'"' /proc/self/mountinfo'
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | sed -n 1,3p)" "write EROFS
write EROFS
write EROFS" "writes to /sys"
	contains "$(printf '%s\n' "$OUT" | sed -n 4p)" " /sys ro," "/sys mount"
}

t_fs_dev_exact() {
	pcap "$IMG" pd-probe dev
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "fd link /proc/self/fd
full char 1:7
mqueue dir
null char 1:3
ptmx link pts/ptmx
pts dir
random char 1:8
shm dir
stderr link /proc/self/fd/2
stdin link /proc/self/fd/0
stdout link /proc/self/fd/1
tty char 5:0
urandom char 1:9
zero char 1:5" "/dev"
}

t_fs_dev_nodes_work() {
	pcap "$IMG" /bin/sh -c 'echo x > /dev/null && echo null-ok
		head -c 4 /dev/zero | od -An -tx1 | tr -d " "
		echo x > /dev/full 2>/dev/null || echo full-ENOSPC
		[ $(head -c 16 /dev/urandom | wc -c) = 16 ] && echo urandom-ok
		ls /dev/pts; echo "shm=$(ls -A /dev/shm | wc -l) mqueue=$(ls -A /dev/mqueue | wc -l)"
		touch /dev/shm/x && echo shm-writable
		mknod /dev/sda b 8 0; echo "mknod=$?"; mknod /tmp/null c 1 3; echo "mknod=$?"'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "null-ok
00000000
full-ENOSPC
urandom-ok
ptmx
shm=0 mqueue=0
shm-writable
mknod=1
mknod=1" "device nodes; a new devpts instance (only ptmx); empty shm and mqueue; no mknod"
	eq "$(printf '%s\n' "$ERR" | grep '^mknod')" "mknod: /dev/sda: Operation not permitted
mknod: /tmp/null: Operation not permitted" "mknod's errors"
}

t_fs_tmp_tmpfs() {
	pcap "$IMG" /bin/sh -c 'stat -c "%a %U" /tmp; grep " /tmp " /proc/self/mountinfo; ls -A /tmp | wc -l'
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | sed -n 1p)" "1777 root" "/tmp mode and owner"
	contains "$(printf '%s\n' "$OUT" | sed -n 2p)" " - tmpfs " "/tmp is a tmpfs"
	eq "$(printf '%s\n' "$OUT" | sed -n 3p)" 0 "/tmp starts empty"
}

# Every writable mount but the device nodes is nosuid,nodev.
t_fs_writable_mounts_nosuid_nodev() {
	local d bad
	d=$(scratch)
	pcap -v "$d:/vol" --tmpfs /run "$IMG" cat /proc/self/mountinfo
	status_is "$RC" 0 "($ERR)"
	for mp in / /tmp /dev/shm /vol /run; do
		printf '%s\n' "$OUT" | awk -v m="$mp" '$5 == m { f = 1 } END { exit !f }' || fail "no mount at $mp"
	done
	bad=$(printf '%s\n' "$OUT" | awk '{
		for (s = 1; s <= NF; s++) if ($s == "-") break
		fstype = $(s + 1)
		if (fstype == "devtmpfs" || fstype == "devpts") next   # device nodes need dev
		if ($6 !~ /^rw/) next
		if ($6 !~ /(^|,)nosuid(,|$)/ || $6 !~ /(^|,)nodev(,|$)/) print $5 " " $6 " " fstype }')
	eq "$bad" "" "writable mounts without nosuid,nodev"
	# devpts: nosuid at least.
	printf '%s\n' "$OUT" | awk '$5 == "/dev/pts"' | grep -q nosuid || fail "/dev/pts without nosuid"
}

t_fs_mountinfo_no_host_paths() {
	pcap "$IMG" cat /proc/self/mountinfo /proc/self/mounts
	status_is "$RC" 0 "($ERR)"
	not_contains "$OUT" "$R" "the rootfs's host path"
	not_contains "$OUT" "$IT_DIR" "the test directory"
	not_contains "$OUT" "/work/" "the source tree"
}

t_fs_writes_never_reach_source() {
	local before after
	before=$(tree_sum "$R")
	pcap "$IMG" /bin/sh -c 'set -e; touch /x; rm /bin/ls; chmod 700 /bin; echo evil >> /etc/passwd
		mkdir -p /new/dir; echo data > /new/dir/f; ln -s /etc /newlink; mv /bin/cat /bin/cat2
		rm -rf /home; chown 0:0 /etc; ls / > /dev/null; echo done'
	status_is "$RC" 0 "writes inside ($OUT $ERR)"
	eq "$OUT" "done"
	after=$(tree_sum "$R")
	eq "$after" "$before" "the rootfs on the host after writes inside"
	[ ! -e "$R/x" ] || fail "$R/x exists on the host"
	[ -e "$R/bin/ls" ] || fail "$R/bin/ls is gone on the host"
	# And the next run starts from the source again.
	pcap "$IMG" /bin/sh -c 'ls /x 2>&1; ls -d /bin/ls /home; grep -c evil /etc/passwd'
	eq "$(printf '%s\n' "$OUT" | sed -n '2,$p')" "/bin/ls
/home
0" "the next run sees the source ($OUT)"
}

t_fs_root_owns_root() {
	pcap "$IMG" /bin/sh -c 'stat -c "%u %g" / /etc /etc/passwd /bin/busybox; touch /owned && echo root-writable; echo x >> /etc/passwd && echo etc-writable'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "0 0
0 0
0 0
0 0
root-writable
etc-writable" "the container's root owns its root filesystem"
}

t_fs_read_only() {
	local before
	before=$(tree_sum "$R")
	pcap --read-only "$IMG" /bin/sh -c 'pd-probe write /x; pd-probe write /etc/passwd; pd-probe write /tmp/x; pd-probe write /dev/shm/x
		cat /etc/hostname; [ "$(cat /etc/hostname)" = "$(hostname)" ] && echo hostname-matches; grep -c localhost /etc/hosts; [ -f /etc/resolv.conf ] && echo resolv'
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | sed -n 1,4p)" "write EROFS
write EROFS
write ok
write ok" "--read-only: / and /etc read-only, /tmp and /dev/shm writable"
	contains "$OUT" "hostname-matches"
	contains "$OUT" "resolv"
	eq "$(tree_sum "$R")" "$before" "the rootfs on the host"
	# With a volume and a tmpfs on top.
	local d
	d=$(scratch)
	pcap --read-only -v "$d:/data" --tmpfs /run "$IMG" /bin/sh -c 'pd-probe write /data/f; pd-probe write /run/f; pd-probe write /newfile'
	eq "$OUT" "write ok
write ok
write EROFS" "--read-only with a volume and a tmpfs"
	[ -f "$d/f" ] || fail "the volume write did not reach $d"
}

t_fs_etc_generated() {
	pcap --hostname gen-test "$IMG" /bin/sh -c 'cat /etc/hostname; echo --; cat /etc/hosts; echo --; cat /etc/resolv.conf'
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | sed -n 1p)" "gen-test" "/etc/hostname"
	local hosts
	hosts=$(printf '%s\n' "$OUT" | sed -n '/^--$/,/^--$/p' | sed '1d;$d')
	printf '%s\n' "$hosts" | grep -qE '^127\.0\.0\.1[[:space:]]+localhost' || fail "/etc/hosts lacks 127.0.0.1 localhost: $hosts"
	printf '%s\n' "$hosts" | grep -qE '[[:space:]]gen-test([[:space:]]|$)' || fail "/etc/hosts lacks the hostname: $hosts"
	# No resolver: the host's is not copied in.
	local resolv
	resolv=$(printf '%s\n' "$OUT" | sed -n '/^--$/,$p' | sed '1,/^--$/d' | sed '1,/^--$/d')
	if [ -f /etc/resolv.conf ]; then
		local ns
		while read -r ns; do
			not_contains "$resolv" "$ns" "host nameserver in the sandbox's resolv.conf"
		done < <(awk '/^nameserver/ { print $2 }' /etc/resolv.conf)
	fi
	[ ! -e "$R/etc/hostname" ] || fail "/etc/hostname written into the source rootfs"
}

t_fs_proc_is_the_sandboxs() {
	# The shell expands the glob itself: the processes are init and the shell.
	pcap "$IMG" /bin/sh -c 'grep " /proc " /proc/self/mountinfo; cd /proc && echo [0-9]*'
	status_is "$RC" 0 "($ERR)"
	contains "$(printf '%s\n' "$OUT" | sed -n 1p)" " /proc rw,nosuid,nodev,noexec," "/proc flags"
	contains "$(printf '%s\n' "$OUT" | sed -n 1p)" " - proc " "/proc is a procfs"
	eq "$(printf '%s\n' "$OUT" | sed -n 2p)" "1 2" "the pids in /proc"
}
