# Volumes (-v) and --tmpfs.

# The uid the sandbox's root shows for a file the host's root owns.
host_root_inside() { [ "$MODE" = root ] && echo 0 || echo 65534; }

t_vol_read_write() {
	local d
	d=$(scratch)
	echo from-host > "$d/hostfile"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$d/hostfile"
	pcap -v "$d:/data" "$IMG" /bin/sh -c 'cat /data/hostfile; echo from-inside > /data/new; mkdir /data/sub; echo x > /data/sub/f; rm /data/hostfile; echo done'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "from-host
done" "reading the volume"
	eq "$(cat "$d/new" 2>&1)" from-inside "a write inside, on the host"
	[ -f "$d/sub/f" ] || fail "a directory made inside is not on the host"
	[ ! -e "$d/hostfile" ] || fail "a file removed inside is still on the host"
	# Owned on the host by the host id of the container's root.
	local want
	case $MODE in
	root) want=0 ;;    # idmapped: container root writes as host root
	*)    want=$(id -u "$RUNUSER") ;;
	esac
	eq "$(stat -c %u "$d/new")" "$want" "host owner of a file created inside"
}

t_vol_read_only() {
	local d
	d=$(scratch)
	echo keep > "$d/f"
	pcap -v "$d:/ro:ro" "$IMG" /bin/sh -c 'cat /ro/f; pd-probe write /ro/f; pd-probe write /ro/new; rm /ro/f 2>/dev/null || echo rm-refused
		chmod 777 /ro/f 2>/dev/null || echo chmod-refused; mkdir /ro/d 2>/dev/null || echo mkdir-refused'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "keep
write EROFS
write EROFS
rm-refused
chmod-refused
mkdir-refused" ":ro volume"
	eq "$(cat "$d/f")" keep "the file on the host"
	eq "$(ls "$d")" f "the host directory"
	# :rw is the default spelled out.
	pcap -v "$d:/rw:rw" "$IMG" pd-probe write /rw/new
	eq "$OUT" "write ok" ":rw volume"
}

t_vol_ro_not_remountable() {
	local d p
	d=$(scratch)
	pcap -v "$d:/ro:ro" "$IMG" /bin/sh -c 'mount -o remount,rw /ro; echo "mount=$?"; pd-probe write /ro/x'
	eq "$OUT" "mount=1
write EROFS" "remounting a :ro volume read-write"
	eq "$(without_notes "$ERR")" "mount: permission denied (are you root?)" "mount's error (EPERM)"
	# That was the filter (and the missing CAP_SYS_ADMIN).  Past both, with a
	# profile that allows everything and in a user and mount namespace of its
	# own, where the sandbox holds CAP_SYS_ADMIN over its copy of the mounts,
	# the kernel still refuses: the read-only flag is locked.  The control:
	# the same remount of a writable volume to read-only succeeds.
	p=$(scratch)/allow.json
	echo '{ "defaultAction": "SCMP_ACT_ALLOW" }' >"$p"
	chmod 644 "$p"
	pcap --seccomp-profile "$p" -v "$d:/ro:ro" -v "$d:/rw" "$IMG" /bin/sh -c 'pd-probe nested-remount /ro rw; pd-probe nested-remount /rw ro; pd-probe write /ro/x'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "remount EPERM
remount ok
write EROFS" "remount in a nested user namespace: :ro read-write, then the control"
	[ ! -e "$d/x" ] || fail "a write reached the host"
}

# README: ":ro is recursive".  A volume source with a mount inside it: the
# sandbox gets the submount too (recursive bind), read-only like the rest.
t_vol_ro_recursive() {
	local d out
	d=$(scratch)
	mkdir "$d/sub"
	echo top >"$d/top"
	mount -t tmpfs -o size=1m,mode=0755 paude-it-sub "$d/sub"
	# shellcheck disable=SC2064
	trap "umount -l '$d/sub' 2>/dev/null" EXIT
	echo keep >"$d/sub/f"
	# Owned by the container's root, so that only the mount can refuse.
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$d/top" "$d/sub" "$d/sub/f"
	pcap -v "$d:/ro:ro" "$IMG" /bin/sh -c 'cat /ro/sub/f; pd-probe write /ro/sub/f; pd-probe write /ro/sub/new; pd-probe write /ro/top
		awk '"'"'$5 == "/ro/sub" { print $6 }'"'"' /proc/self/mountinfo | cut -d, -f1'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "keep
write EROFS
write EROFS
write EROFS
ro" "writes into a submount of a :ro volume"
	eq "$(cat "$d/sub/f")" keep "the host file in the submount"
	eq "$(ls "$d/sub")" f "the host submount's directory"
	# The control: the same submount through a writable volume is written.
	pcap -v "$d:/rw" "$IMG" pd-probe write /rw/sub/f
	out=$(cat "$d/sub/f")
	umount "$d/sub"
	trap - EXIT
	eq "$OUT" "write ok" "a write into the submount of a writable volume"
	eq "$out" x "the host file after that write"
}

t_vol_file() {
	local d
	d=$(scratch)
	echo file-volume > "$d/conf"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$d/conf"
	pcap -v "$d/conf:/etc/x" -v "$d/conf:/new/dir/y:ro" "$IMG" /bin/sh -c 'cat /etc/x; cat /new/dir/y; echo appended >> /etc/x; pd-probe write /new/dir/y; [ -f /etc/x ] && echo is-file'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "file-volume
file-volume
write EROFS
is-file" "file volumes"
	eq "$(cat "$d/conf")" "file-volume
appended" "the host file after a write inside"
}

t_vol_missing_destination_created() {
	local d before
	d=$(scratch)
	touch "$d/marker"
	before=$(find "$R" | sort | md5sum)
	pcap -v "$d:/deep/new/dest" "$IMG" ls /deep/new/dest
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" marker "the volume at a destination that did not exist"
	eq "$(find "$R" | sort | md5sum)" "$before" "the destination was made in the source rootfs"
}

t_vol_over_existing_dir() {
	local d
	d=$(scratch)
	touch "$d/only-this"
	pcap -v "$d:/etc" "$IMG" ls /etc
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "only-this" "a volume hides the image's directory"
}

t_vol_host_root_file_ids() {
	# A file the host's root owns: idmapped to the container's root in root
	# mode; unmapped (nobody) rootless.
	local d
	d=$(mktemp -d "$IT_DIR/rootvol.XXXXXX")
	chmod 755 "$d"
	echo root-owned > "$d/rf"
	chmod 644 "$d/rf"
	pcap -v "$d:/rv" "$IMG" /bin/sh -c 'stat -c "%u %g" /rv/rf /rv; cat /rv/rf; echo new > /rv/created && echo created'
	eq "$(printf '%s\n' "$OUT" | sed -n 1,3p)" "$(host_root_inside) $(host_root_inside)
$(host_root_inside) $(host_root_inside)
root-owned" "owner of host-root files inside"
	if [ "$MODE" = root ]; then
		contains "$OUT" created "the container's root writes to a host-root directory"
		eq "$(stat -c '%u %g' "$d/created")" "0 0" "host owner of a file the container's root made"
	else
		not_contains "$OUT" created "a rootless sandbox wrote into a directory of the host's root"
		[ ! -e "$d/created" ] || fail "$d/created exists"
	fi
}

t_vol_user_file_ids() {
	local d want
	d=$(scratch)
	maps_ids || { single_refuses_user 1000; return 0; }
	case $MODE in
	root)  chown 1000:1000 "$d"; want=$((1000)) ;;
	subid) chown $((IT_SUB_START + 999)):$((IT_SUB_START + 999)) "$d"; want=$((IT_SUB_START + 999)) ;;
	esac
	pcap --user 1000 -v "$d:/home/agent/work" "$IMG" /bin/sh -c 'stat -c %u /home/agent/work; touch /home/agent/work/mine && echo ok'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "1000
ok" "uid 1000's volume"
	eq "$(stat -c %u "$d/mine")" "$want" "host owner of uid 1000's file"
}

t_tmpfs_size_and_mode() {
	pcap --tmpfs /run:size=1m,mode=755 "$IMG" /bin/sh -c 'stat -c "%a %u" /run
		dd if=/dev/zero of=/run/a bs=1k count=512 2>/dev/null && echo half-ok
		dd if=/dev/zero of=/run/b bs=1k count=2048 2>&1 | grep -o "No space left on device" | head -n 1
		awk '"'"'$5 == "/run"'"'"' /proc/self/mountinfo'
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | sed -n 1,3p)" "755 0
half-ok
No space left on device" "--tmpfs /run:size=1m,mode=755"
	contains "$OUT" "size=1024k" "size in the mount options"
	contains "$OUT" "nosuid,nodev,noexec" "tmpfs flags"
}

t_tmpfs_defaults() {
	pcap --tmpfs /scratch "$IMG" /bin/sh -c 'stat -c %a /scratch; cp /bin/busybox /scratch/bb; /scratch/bb true 2>/dev/null || echo noexec'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "1777
noexec" "a default --tmpfs: 1777, noexec"
	pcap --tmpfs /scratch:exec "$IMG" /bin/sh -c 'cp /bin/busybox /scratch/busybox; /scratch/busybox true && echo exec-ok'
	eq "$OUT" exec-ok "--tmpfs ...:exec"
	pcap --tmpfs /scratch:ro "$IMG" pd-probe write /scratch/x
	eq "$OUT" "write EROFS" "--tmpfs ...:ro"
}

t_tmpfs_over_tmp() {
	pcap --tmpfs /tmp:size=1m "$IMG" /bin/sh -c 'awk '"'"'$5 == "/tmp"'"'"' /proc/self/mountinfo | grep -c .; awk '"'"'$5 == "/tmp"'"'"' /proc/self/mountinfo'
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | sed -n 1p)" 1 "one mount at /tmp"
	contains "$OUT" "size=1024k" "the user's /tmp"
}

t_vol_dest_in_kernel_dirs_refused() {
	local d dst
	d=$(scratch)
	for dst in /proc /proc/x /sys /sys/kernel /dev /dev/shm /dev/x //proc/y; do
		pcap -v "$d:$dst" "$IMG" pd-probe exit 0
		status_is "$RC" 125 "-v $d:$dst"
		# (paude may name it cleaned: //proc/y as /proc/y)
		contains "$ERR" "\"$(printf '%s' "$dst" | tr -s /)\"" "-v ...:$dst names the destination"
		eq "$OUT" "" "-v ...:$dst ran the command"
	done
	pcap --tmpfs /dev/x "$IMG" pd-probe exit 0
	status_is "$RC" 125 "--tmpfs /dev/x"
	eq "$(errlines "$ERR")" 'paude: mount destination "/dev/x" is inside /dev: Operation not permitted' "--tmpfs /dev/x: the message"
	pcap --tmpfs /proc/sys "$IMG" pd-probe exit 0
	status_is "$RC" 125 "--tmpfs /proc/sys"
	eq "$(errlines "$ERR")" 'paude: mount destination "/proc/sys" is inside /proc: Operation not permitted' "--tmpfs /proc/sys: the message"
}

t_vol_missing_source() {
	local d
	d=$(scratch)
	pcap -v "$d/none:/x" "$IMG" pd-probe exit 0
	status_is "$RC" 125 "a missing volume source"
	contains "$ERR" "$d/none"
}

t_vol_mount_flags() {
	local d
	d=$(scratch)
	pcap -v "$d:/v" -v "$d:/vro:ro" "$IMG" cat /proc/self/mountinfo
	local v vro
	v=$(printf '%s\n' "$OUT" | awk '$5 == "/v" { print $6 }')
	vro=$(printf '%s\n' "$OUT" | awk '$5 == "/vro" { print $6 }')
	contains ",$v," ",rw," "/v"
	contains ",$v," ",nosuid," "/v"
	contains ",$v," ",nodev," "/v"
	contains ",$vro," ",ro," "/vro"
	contains ",$vro," ",nosuid," "/vro"
	contains ",$vro," ",nodev," "/vro"
}

t_vol_no_setuid_files_on_host() {
	# The sandbox cannot make a setuid or setgid file, so none can appear on
	# the host through a volume (as root, a volume is written as host uid 0).
	local d out rc=0
	d=$(scratch)
	out=$(prun -v "$d:/v" "$IMG" /bin/sh -c '
		cp /bin/busybox /v/s
		chmod 4755 /v/s 2>&1 || echo chmod-u+s-refused
		chmod 2755 /v/s 2>&1 || echo chmod-g+s-refused
		mkdir -m 2775 /v/d 2>&1 || echo mkdir-g+s-refused
		install -m 4755 /bin/busybox /v/i 2>&1 || echo install-refused' 2>&1) || rc=$?
	status_is "$rc" 0 "($out)"
	contains "$out" chmod-u+s-refused
	contains "$out" chmod-g+s-refused
	contains "$out" mkdir-g+s-refused
	eq "$(find "$d" -perm /6000 | wc -l)" 0 "setuid/setgid files on the host: $(find "$d" -perm /6000)"
}

t_vol_file_over_file_mounts() {
	# A file volume over another file mount (twice at one place, or over a
	# file the host image binds) stacks on it.
	local d
	d=$(scratch)
	echo one > "$d/a"; echo two > "$d/b"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$d/a" "$d/b"
	pcap -v "$d/a:/w/f" -v "$d/b:/w/f" "$IMG" cat /w/f
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" two "the later file volume"
	pcap -v "$d/a:/etc/passwd" host cat /etc/passwd
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" one "a volume over the host image's /etc/passwd"
}

t_vol_covered_mount_not_used() {
	# -v A:/w -v B:/w/x -v C:/w -v D:/w/x/y: D lands in C (what /w shows),
	# never under the covered B, and nothing is made in B's host directory.
	local a b c dd before
	a=$(scratch); b=$(scratch); c=$(scratch); dd=$(scratch)
	before=$(find "$b" | sort)
	pcap -v "$a:/w" -v "$b:/w/x" -v "$c:/w" -v "$dd:/w/x/y" "$IMG" /bin/sh -c 'touch /w/x/y/here; ls /w/x'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" y "/w/x in the sandbox"
	[ -e "$dd/here" ] || fail "the file written to /w/x/y is not in D"
	eq "$(find "$b" | sort)" "$before" "B's host directory"
}
