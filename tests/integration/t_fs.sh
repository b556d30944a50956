# Filesystem: masks, read-only kernel files, /dev, /tmp, mount flags, the
# writable layer that vanishes, --read-only, generated /etc files.

# A fingerprint of a tree: every entry's path, type, mode, owner, size, mtime, link target.
tree_sum() { find "$1" -printf '%P %y %m %U %G %s %T@ %l\n' | sort | md5sum; }

t_fs_masked_paths_empty() {
	pcap "$IMG" /bin/sh -c 'for f in /proc/keys /proc/timer_list /proc/interrupts /proc/sched_debug /proc/latency_stats /proc/kcore; do
			if [ -e $f ]; then echo "$f $(pd-probe read $f)"; else echo "$f absent"; fi; done
		for d in /proc/acpi /sys/firmware /proc/scsi; do
			if [ -d $d ]; then echo "$d $(ls -A $d | wc -l) entries"; else echo "$d absent"; fi; done'
	status_is "$RC" 0 "($ERR)"
	local f want
	for f in /proc/keys /proc/timer_list /proc/interrupts /proc/sched_debug /proc/latency_stats /proc/kcore; do
		# Present on the host: must read empty inside.  Absent: absent.
		if [ -e "$f" ]; then want="$f read 0 bytes"; else want="$f absent"; fi
		eq "$(printf '%s\n' "$OUT" | grep "^$f ")" "$want" "$f"
	done
	eq "$(printf '%s\n' "$OUT" | grep "^/proc/acpi ")" "/proc/acpi 0 entries" "/proc/acpi"
	eq "$(printf '%s\n' "$OUT" | grep "^/sys/firmware ")" "/sys/firmware 0 entries" "/sys/firmware"
	if [ -d /proc/scsi ]; then want="/proc/scsi 0 entries"; else want="/proc/scsi absent"; fi
	eq "$(printf '%s\n' "$OUT" | grep "^/proc/scsi ")" "$want" "/proc/scsi"
	# The host's are not empty, so the masks are what makes them so.
	[ -s /proc/keys ] || [ "$(wc -c < /proc/keys)" -gt 0 ] || fail "host /proc/keys empty"
	[ "$(wc -c < /proc/interrupts)" -gt 0 ] || fail "host /proc/interrupts empty"
	[ "$(ls -A /sys/firmware | wc -l)" -gt 0 ] || fail "host /sys/firmware empty"
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
		ls /dev/pts; ls -A /dev/shm /dev/mqueue | grep -c . ; touch /dev/shm/x && echo shm-writable
		touch /dev/newnode 2>/dev/null || echo dev-readonly-or-denied
		mknod /dev/sda b 8 0 2>/dev/null || echo mknod-refused'
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | sed -n 1,4p)" "null-ok
00000000
full-ENOSPC
urandom-ok" "device nodes"
	eq "$(printf '%s\n' "$OUT" | sed -n 5p)" "ptmx" "a new devpts instance: only ptmx"
	contains "$OUT" "shm-writable"
	contains "$OUT" "mknod-refused"
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
		for ns in $(awk '/^nameserver/ { print $2 }' /etc/resolv.conf); do
			not_contains "$resolv" "$ns" "host nameserver in the sandbox's resolv.conf"
		done
	fi
	[ ! -e "$R/etc/hostname" ] || fail "/etc/hostname written into the source rootfs"
}

t_fs_proc_is_the_sandboxs() {
	pcap "$IMG" /bin/sh -c 'grep " /proc " /proc/self/mountinfo; ls /proc | grep -cE "^[0-9]+$"'
	status_is "$RC" 0
	contains "$OUT" "nosuid,nodev,noexec" "/proc flags"
}
