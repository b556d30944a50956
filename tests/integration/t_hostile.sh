# Hostile root filesystems: symlinks and files where paude mounts or writes
# must be refused or resolved inside the root, never followed onto the host.

# A fingerprint of a host directory (names, types, modes, sizes, mtimes).
hsum() { find "$1" -printf '%P %y %m %s %T@ %l\n' 2>/dev/null | sort | md5sum; }

# hostile_tree: a copy of $R owned by the mode's user, in a new scratch dir;
# prints the rootfs path.
hostile_tree() {
	local d
	d=$(scratch)
	mkroot "$d/r"
	echo "$d/r"
}

# own PATH...: give (symlinks themselves) to the mode's user.
own() { [ -z "$RUNUSER" ] || chown -h "$RUNUSER:" "$@"; }

# A host directory with a canary file that nothing may change.
canary_dir() {
	local d
	d=$(mktemp -d "$IT_DIR/canary.XXXXXX")
	chmod 777 "$d"
	echo canary > "$d/file"
	chmod 666 "$d/file"
	echo "$d"
}

# refused WHAT MESSAGE -- ARGS...: paude run ARGS exits 125 without running
# the command, with exactly one error line, which begins "paude: MESSAGE".
refused() {
	local what=$1 msg=$2 line
	shift 3
	pcap "$@"
	status_is "$RC" 125 "$what ($ERR)"
	eq "$OUT" "" "$what: the command ran"
	line=$(errlines "$ERR")
	eq "$(count_lines "$line")" 1 "$what: one error line ($ERR)"
	case $line in
	"paude: $msg"*) ;;
	*) fail "$what: expected the error [paude: $msg...], got [$line]" ;;
	esac
}

# paude's own refusal of a kernel filesystem's mount point that is a link
# (the kernel's later ELOOP would say "Too many levels of symbolic links").
link_refusal() { printf 'rootfs "/%s" is a symbolic link: refusing to mount over it' "$1"; }

t_hostile_proc_symlink_etc() {
	local r c before
	r=$(hostile_tree)
	c=$(canary_dir)
	rm -rf "${r:?}/proc"
	ln -s /etc "$r/proc"
	own "$r/proc"
	before=$(hsum /etc)
	refused "/proc -> /etc" "$(link_refusal proc)" -- "dir:$r" pd-probe exit 0
	eq "$(hsum /etc)" "$before" "the host's /etc"
}

hostile_proc_symlink_up() {
	local r before mi
	r=$(hostile_tree)
	rm -rf "${r:?}/proc"
	ln -s ../../.. "$r/proc"
	own "$r/proc"
	before=$(hsum "$r/..")
	mi=$(awk '{ print $5 }' /proc/self/mountinfo | sort)
	refused "/proc -> ../../.." "$(link_refusal proc)" -- "dir:$r" pd-probe exit 0
	eq "$(hsum "$r/..")" "$before" "the host directory above the rootfs"
	eq "$(awk '{ print $5 }' /proc/self/mountinfo | sort)" "$mi" "the host's mount table"
}
# In a private mount namespace: the mount table is then this test's alone.
t_hostile_proc_symlink_up() { in_private_host hostile_proc_symlink_up; }

t_hostile_proc_symlink_to_canary() {
	local r c before
	r=$(hostile_tree)
	c=$(canary_dir)
	rm -rf "${r:?}/proc"
	ln -s "$c" "$r/proc"
	own "$r/proc"
	before=$(hsum "$c")
	refused "/proc -> host dir" "$(link_refusal proc)" -- "dir:$r" pd-probe exit 0
	eq "$(hsum "$c")" "$before" "the host directory /proc pointed at"
}

t_hostile_dev_file() {
	local r
	r=$(hostile_tree)
	rm -rf "${r:?}/dev"
	echo not-a-dir > "$r/dev"
	own "$r/dev"
	refused "/dev a regular file" 'rootfs "/dev" is not a directory: refusing to mount over it' -- "dir:$r" pd-probe exit 0
	eq "$(cat "$r/dev")" not-a-dir "the file /dev in the source"
}

t_hostile_dev_symlink() {
	local r c before
	r=$(hostile_tree)
	c=$(canary_dir)
	rm -rf "${r:?}/dev"
	ln -s "$c" "$r/dev"
	own "$r/dev"
	before=$(hsum "$c")
	refused "/dev -> host dir" "$(link_refusal dev)" -- "dir:$r" pd-probe exit 0
	eq "$(hsum "$c")" "$before" "the host directory /dev pointed at"
}

t_hostile_sys_and_tmp_symlinks() {
	local r c before
	r=$(hostile_tree)
	c=$(canary_dir)
	rm -rf "${r:?}/sys"
	ln -s "$c" "$r/sys"
	own "$r/sys"
	before=$(hsum "$c")
	refused "/sys -> host dir" "$(link_refusal sys)" -- "dir:$r" pd-probe exit 0
	rm "$r/sys"; mkdir "$r/sys"; own "$r/sys"
	rm -rf "${r:?}/tmp"
	ln -s "$c" "$r/tmp"
	own "$r/tmp"
	# docs/ISOLATION.md: a /tmp that is a symlink is refused, as /proc is.
	refused "/tmp -> host dir" "$(link_refusal tmp)" -- "dir:$r" /bin/sh -c 'echo pwn > /tmp/file; touch /tmp/new'
	eq "$(hsum "$c")" "$before" "the host directory /sys, /tmp pointed at"
	eq "$(cat "$c/file")" canary "the canary file"
}

t_hostile_missing_proc_created_inside() {
	# A rootfs without /proc, /dev, /sys, /tmp: made in the writable layer.
	local r before
	r=$(hostile_tree)
	rm -rf "${r:?}/proc" "${r:?}/dev" "${r:?}/sys" "${r:?}/tmp"
	before=$(hsum "$r")
	pcap "dir:$r" /bin/sh -c 'ls -d /proc/self /dev/null /sys/kernel /tmp'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "/dev/null
/proc/self
/sys/kernel
/tmp" "kernel filesystems on a rootfs without mount points"
	eq "$(hsum "$r")" "$before" "the source rootfs"
}

t_hostile_etc_symlink_root() {
	# /etc -> / : the generated files land at the sandbox's own /.
	local r before_host
	r=$(hostile_tree)
	mv "$r/etc" "$r/etc.real"
	ln -s / "$r/etc"
	own "$r/etc"
	# Only these names matter on the host's / (other things may come and go).
	before_host=$(for f in /hostname /hosts /resolv.conf; do [ -e "$f" ] && md5sum "$f" || echo "absent $f"; done)
	local before_r
	before_r=$(hsum "$r")
	pcap --hostname hostile "dir:$r" /bin/sh -c 'cat /etc/hostname; ls /hostname /hosts /resolv.conf'
	case $RC in
	0)   eq "$OUT" "hostile
/hostname
/hosts
/resolv.conf" "generated files through /etc -> /" ;;
	125) ;;
	*)   fail "/etc -> /: exit $RC ($ERR)" ;;
	esac
	eq "$(for f in /hostname /hosts /resolv.conf; do [ -e "$f" ] && md5sum "$f" || echo "absent $f"; done)" \
		"$before_host" "the host's /hostname, /hosts, /resolv.conf"
	eq "$(hsum "$r")" "$before_r" "the source rootfs"
}

t_hostile_etc_files_symlinked_out() {
	local r c before
	r=$(hostile_tree)
	c=$(canary_dir)
	ln -s "$c/file" "$r/etc/hostname"
	ln -s "/../../..$c/file" "$r/etc/hosts"
	ln -s "../../../../../../../..$c/file" "$r/etc/resolv.conf"
	own "$r/etc/hostname" "$r/etc/hosts" "$r/etc/resolv.conf"
	before=$(hsum "$c")
	pcap --hostname hostile "dir:$r" /bin/sh -c 'cat /etc/hostname; echo pwn > /etc/hosts; echo pwn >> /etc/resolv.conf; ls -l /etc/hostname | cut -c1'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "hostile
-" "the generated /etc/hostname replaces the link"
	eq "$(cat "$c/file")" canary "the host file the links pointed at"
	eq "$(hsum "$c")" "$before" "the host directory"
	[ -L "$r/etc/hostname" ] || fail "the link in the source rootfs was removed"
}

t_hostile_passwd_symlinked_out() {
	# /etc/passwd -> a host file: --user resolves inside the root only.
	local r c
	r=$(hostile_tree)
	c=$(canary_dir)
	printf 'evil:x:4321:4321:evil:/evil:/bin/sh\n' > "$c/passwd"
	rm "$r/etc/passwd"
	ln -s "$c/passwd" "$r/etc/passwd"
	own "$r/etc/passwd"
	pcap --user evil "dir:$r" id -u
	status_is "$RC" 125 "a user only in a host file /etc/passwd points at ($OUT)"
	contains "$ERR" "evil"
}

t_hostile_volume_dest_symlink_dangling() {
	# /evil -> /../../..$T/target: resolved inside the root, where it does
	# not exist.  Refused, or created inside; never the host's target.
	local r t v before
	r=$(hostile_tree)
	t=$(canary_dir)
	mkdir "$t/target"; chmod 777 "$t/target"
	v=$(scratch)
	echo vol > "$v/volfile"
	ln -s "/../../..$t/target" "$r/evil"
	own "$r/evil"
	before=$(hsum "$t")
	pcap -v "$v:/evil/sub" "dir:$r" /bin/sh -c 'cat /evil/sub/volfile; touch /evil/inside'
	case $RC in
	125) contains "$ERR" "/evil" "the refusal names the destination" ;;
	0)   eq "$OUT" vol "the volume through the link" ;;
	*)   fail "exit $RC ($ERR)" ;;
	esac
	eq "$(hsum "$t")" "$before" "the host target directory"
	[ ! -e "$t/target/sub" ] || fail "the volume's mount point was made on the host"
}

t_hostile_volume_dest_symlink_resolved_inside() {
	# The link's target exists inside the root (at the same path as a host
	# directory): the volume lands inside, the host directory is untouched.
	local r name v before
	r=$(hostile_tree)
	name=paude-it-evil.$$.$RANDOM
	mkdir -p "$r/$name/target"
	own "$r/$name" "$r/$name/target"
	ln -s "/../../../$name/target" "$r/evil"
	own "$r/evil"
	v=$(scratch)
	echo vol > "$v/volfile"
	before=$(hsum "$r")
	pcap -v "$v:/evil/sub" -w /evil/wd "dir:$r" /bin/sh -c "cat /$name/target/sub/volfile; pwd; touch /evil/inside; ls /$name/target"
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "vol
/$name/target/wd
inside
sub
wd" "the volume and the workdir through /evil, inside the root"
	[ ! -e "/$name" ] || { rm -rf "/${name:?}"; fail "/$name was made on the host"; }
	eq "$(hsum "$r")" "$before" "the source rootfs"
}

t_hostile_workdir_symlink_out() {
	local r t before
	r=$(hostile_tree)
	t=$(canary_dir)
	ln -s "$t" "$r/wd"
	ln -s "/../../..$t" "$r/wd2"
	own "$r/wd" "$r/wd2"
	before=$(hsum "$t")
	for w in /wd/new /wd2/new /wd /wd2/../../..$t/new2; do
		pcap -w "$w" "dir:$r" /bin/sh -c 'pwd; touch here; ls'
		case $RC in
		125) ;;
		0)   not_contains "$OUT" "file" "-w $w: sees the host canary" ;;
		*)   fail "-w $w: exit $RC ($ERR)" ;;
		esac
	done
	eq "$(hsum "$t")" "$before" "the host directory the links point at"
}

t_hostile_volume_dest_is_symlink_to_file() {
	# A file volume whose destination is a link to a host file.
	local r c v before
	r=$(hostile_tree)
	c=$(canary_dir)
	v=$(scratch)
	echo from-volume > "$v/f"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$v/f"
	ln -s "$c/file" "$r/etc/linked"
	own "$r/etc/linked"
	before=$(hsum "$c")
	pcap -v "$v/f:/etc/linked" "dir:$r" /bin/sh -c 'cat /etc/linked; echo appended >> /etc/linked'
	case $RC in
	0|125) ;;
	*) fail "exit $RC ($ERR)" ;;
	esac
	eq "$(cat "$c/file")" canary "the host file the destination linked to"
	eq "$(hsum "$c")" "$before" "the host directory"
}

t_hostile_tmpfs_dest_symlink() {
	local r c before
	r=$(hostile_tree)
	c=$(canary_dir)
	ln -s "$c" "$r/run"
	own "$r/run"
	before=$(hsum "$c")
	pcap --tmpfs /run "dir:$r" /bin/sh -c 'touch /run/x; ls /run'
	case $RC in
	0) eq "$OUT" x "the tmpfs is inside, empty but for x" ;;
	125) ;;
	*) fail "exit $RC ($ERR)" ;;
	esac
	eq "$(hsum "$c")" "$before" "the host directory /run linked to"
}

t_hostile_huge_passwd() {
	# A giant /etc/passwd is bounded, not read into memory without limit.
	local r
	r=$(hostile_tree)
	head -c 9000000 /dev/zero | tr '\0' 'a' > "$r/etc/passwd"
	own "$r/etc/passwd"
	PCAP_TIMEOUT=20 pcap --user agent "dir:$r" id -u
	status_is "$RC" 125 "--user with a 9 MB /etc/passwd ($ERR)"
	contains "$ERR" "/etc/passwd"
}

# A FIFO where the account files are: paude must not block on it (an image
# can hang paude otherwise).  Refusing the run is fine, hanging is not.
fifo_case() {   # FILE USER-ARGS...
	local f=$1 r
	shift
	r=$(hostile_tree)
	rm -f "$r/etc/$f"
	mkfifo "$r/etc/$f"
	own "$r/etc/$f"
	PCAP_TIMEOUT=5 pcap "$@" "dir:$r" pd-probe exit 0
	[ "$RC" != 137 ] || fail "paude hung on a FIFO /etc/$f (killed after 5s) with args [$*]"
	case $RC in
	0|125) ;;
	*) fail "FIFO /etc/$f: exit $RC ($ERR)" ;;
	esac
}

t_hostile_passwd_fifo() {
	fifo_case passwd
	fifo_case passwd --user agent
}

t_hostile_group_fifo() {
	fifo_case group
}

t_hostile_dest_symlink_into_proc() {
	# An image link into /proc, /sys or /dev cannot take a mount there.
	local r
	r=$(hostile_tree)
	ln -s /proc/sys "$r/cache"
	ln -s /sys/kernel "$r/kern"
	ln -s /dev/shm "$r/shm"
	own "$r/cache" "$r/kern" "$r/shm"
	refused "tmpfs via a link into /proc" 'mount destination "/cache" leads into another mount' -- --tmpfs /cache "dir:$r" true
	refused "volume via a link into /sys" 'mount destination "/kern" leads into another mount' -- -v "$(scratch):/kern/x" "dir:$r" true
	refused "tmpfs via a link into /dev" 'mount destination "/shm" leads into another mount' -- --tmpfs /shm "dir:$r" true
}

t_hostile_dest_symlink_into_volume() {
	# An image link cannot steer a mount into a volume, nor make paude
	# create directories in it (on the host).
	local r v before
	r=$(hostile_tree)
	v=$(scratch)
	echo keep > "$v/f"
	ln -s /data/planted "$r/steer"
	own "$r/steer"
	before=$(hsum "$v")
	refused "tmpfs via a link into a volume" 'mount destination "/steer" leads into another mount' -- \
		-v "$v:/data" --tmpfs /steer "dir:$r" true
	eq "$(hsum "$v")" "$before" "the volume on the host"
	# Nested on purpose, lexically: allowed, inside the outer volume.
	pcap -v "$v:/data" --tmpfs /data/inner "dir:$r" /bin/sh -c 'touch /data/inner/t && echo ok'
	status_is "$RC" 0 "a tmpfs inside a volume ($ERR)"
	eq "$OUT" ok
}
