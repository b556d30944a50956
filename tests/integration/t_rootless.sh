# Rootless ownership: a root filesystem the invoking user does not own is
# read-only to the sandbox, and paude says so once.  As root, every rootfs is
# the container root's (idmapped).

ROOT_RFS() { echo "$IT_DIR/rootfs-root"; }

t_rootless_foreign_rootfs_read_only() {
	local rfs before
	rfs=$(ROOT_RFS)
	before=$(find "$rfs" -printf '%P %m %U %s %T@\n' | sort | md5sum)
	pcap "dir:$rfs" /bin/sh -c 'echo ran; pd-probe write /x; pd-probe write /etc/passwd; pd-probe write /tmp/x; pd-probe write /dev/shm/x; stat -c %u /'
	status_is "$RC" 0 "the command runs ($ERR)"
	local notes
	notes=$(printf '%s\n' "$ERR" | grep -c 'read-only' || true)
	case $MODE in
	root)
		eq "$notes" 0 "no read-only note as root ($ERR)"
		eq "$OUT" "ran
write ok
write ok
write ok
write ok
0" "root mode: the container's root owns a root-owned rootfs"
		;;
	*)
		eq "$notes" 1 "one note that the root is read-only ($ERR)"
		contains "$ERR" "$rfs" "the note names the rootfs"
		eq "$(printf '%s\n' "$OUT" | sed -n 1,5p)" "ran
write EROFS
write EROFS
write ok
write ok" "rootless on a foreign rootfs: / read-only, /tmp and /dev/shm writable"
		;;
	esac
	eq "$(find "$rfs" -printf '%P %m %U %s %T@\n' | sort | md5sum)" "$before" "the rootfs on the host"
}

t_rootless_own_rootfs_writable() {
	# The mode's own rootfs: no note, writable (a copy on write).
	pcap "$IMG" /bin/sh -c 'pd-probe write /x; pd-probe write /etc/passwd'
	status_is "$RC" 0 "($ERR)"
	not_contains "$ERR" "read-only" "a note on the user's own rootfs"
	eq "$OUT" "write ok
write ok" "the user's own rootfs is writable inside"
}

t_rootless_subid_owned_rootfs() {
	# subid: a rootfs owned by the user's subordinate range maps too (its
	# files show as container ids 1-65536): no note, writable.
	[ "$MODE" = subid ] || { pcap "$IMG" true; status_is "$RC" 0; return 0; }
	local d
	d=$(mktemp -d "$IT_DIR/subroot.XXXXXX")
	cp -a "$R/." "$d/"
	chown -R $((IT_SUB_START + 999)):$((IT_SUB_START + 999)) "$d"
	chmod 755 "$d"
	pcap "dir:$d" /bin/sh -c 'stat -c %u /bin/busybox; pd-probe write /x'
	status_is "$RC" 0 "($ERR)"
	not_contains "$ERR" "read-only" "a note on a rootfs owned by the subordinate range"
	eq "$OUT" "1000
write ok" "a rootfs owned by subordinate uid $((IT_SUB_START + 999))"
}
