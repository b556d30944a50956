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

# Mount destinations and a working directory the image lacks are made in
# the writable layer before the overlay is mounted, so they exist even
# under directories of ids the sandbox does not map (rootless, a root-owned
# dir: rootfs): a file's bind under /bin, a directory's under /etc/new, the
# working directory /bin/wd.  The image's own entries stay visible beside
# them, and the rootfs on the host does not change.
t_rootless_foreign_rootfs_targets() {
	local rfs before vol n
	rfs=$(ROOT_RFS)
	before=$(find "$rfs" -printf '%P %m %U %s %T@\n' | sort | md5sum)
	vol=$(scratch)
	echo hi >"$vol/f"
	chmod 644 "$vol/f"
	n=$(find "$rfs/bin" -mindepth 1 -maxdepth 1 | wc -l)
	pcap -v "$vol:/etc/new/deep:ro" -v "$vol/f:/bin/newfile:ro" -w /bin/wd "dir:$rfs" \
		/bin/sh -c 'cat /etc/new/deep/f /bin/newfile; pwd; ls -A /bin | wc -l; cat /etc/hostname >/dev/null && echo etc'
	status_is "$RC" 0 "volumes under the image's own directories ($ERR)"
	eq "$OUT" "hi
hi
/bin/wd
$((n + 2))
etc" "the binds, the working directory and the image's /bin, and the generated /etc files"
	eq "$(find "$rfs" -printf '%P %m %U %s %T@\n' | sort | md5sum)" "$before" "the rootfs on the host"
}

# A working directory in a volume is the volume's own directory: it is not
# made in the writable layer, and an existing one is never chowned to the
# command's user (it is the host's).
t_workdir_in_volume_not_chowned() {
	local vol before
	maps_ids || return 0 # --user 1000 needs a mapped 1000
	vol=$(scratch)
	mkdir "$vol/sub"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$vol/sub"
	before=$(stat -c %u:%g "$vol/sub")
	pcap --user 1000 -v "$vol:/src" -w /src/sub "$IMG" pwd
	status_is "$RC" 0 "run in a volume's directory ($ERR)"
	eq "$OUT" "/src/sub" "the working directory"
	eq "$(stat -c %u:%g "$vol/sub")" "$before" "the host directory keeps its owner"
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
	# A rootfs owned by the subid user's subordinate uid 300999.  subid: that
	# range maps (its files show as container ids 1-65536): no note,
	# writable.  single: the uid is not the user's and not mapped: read-only
	# with the note, files show as nobody.  root: outside the container's
	# 0-65535 range, unmapped too, but the root is not read-only.
	local d
	d=$(mktemp -d "$IT_DIR/subroot.XXXXXX")
	cp -a "$R/." "$d/"
	chown -R $((IT_SUB_START + 999)):$((IT_SUB_START + 999)) "$d"
	chmod 755 "$d"
	pcap "dir:$d" /bin/sh -c 'stat -c %u /bin/busybox; pd-probe write /x'
	case $MODE in
	subid)
		status_is "$RC" 0 "($ERR)"
		not_contains "$ERR" "read-only" "a note on a rootfs owned by the subordinate range"
		eq "$OUT" "1000
write ok" "a rootfs owned by subordinate uid $((IT_SUB_START + 999))"
		;;
	single)
		status_is "$RC" 0 "($ERR)"
		eq "$(printf '%s\n' "$ERR" | grep -c "is owned by uid $((IT_SUB_START + 999)), which this sandbox does not map: it is read-only inside")" 1 \
			"the read-only note ($ERR)"
		eq "$OUT" "65534
write EROFS" "a rootfs owned by an unmapped uid"
		;;
	root)
		# Unmapped, its files show as nobody; the writable layer above it
		# is the container root's all the same (no note: n/a as root).
		status_is "$RC" 0 "($ERR)"
		eq "$(errlines "$ERR")" "" "paude's errors"
		eq "$OUT" "65534
write ok" "a rootfs owned by a uid outside the container's range"
		;;
	esac
}
