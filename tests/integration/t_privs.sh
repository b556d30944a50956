# Privileges: no capabilities, no_new_privs, the seccomp filter, nothing of
# paude's reachable, only fds 0-2.

check_no_privs() {   # PROBE-STATUS-OUTPUT WHAT
	local k
	for k in CapInh CapPrm CapEff CapBnd CapAmb; do
		eq "$(val "$1" $k)" 0000000000000000 "$2: $k"
	done
	eq "$(val "$1" NoNewPrivs)" 1 "$2: NoNewPrivs"
	eq "$(val "$1" Seccomp)" 2 "$2: Seccomp"
	eq "$(val "$1" dumpable)" 1 "$2: dumpable (the command's own)"
	# runtime/caps.c: SECBIT_NOROOT | NOROOT_LOCKED | NO_SETUID_FIXUP_LOCKED |
	# KEEP_CAPS_LOCKED | NO_CAP_AMBIENT_RAISE | NO_CAP_AMBIENT_RAISE_LOCKED
	# (bits 0 1 3 5 6 7): root gains nothing by exec, and none of it can be
	# undone (README: "locked securebits").
	eq "$(val "$1" securebits)" 0xeb "$2: securebits"
}

t_privs_root_has_nothing() {
	pcap "$IMG" pd-probe status
	status_is "$RC" 0 "($ERR)"
	check_no_privs "$OUT" "container root"
	eq "$(val "$OUT" uid)" 0 "uid"
	eq "$(val "$OUT" euid)" 0 "euid"
}

t_privs_user_has_nothing() {
	maps_ids || { single_refuses_user 1000; return 0; }
	pcap --user 1000 "$IMG" pd-probe status
	status_is "$RC" 0 "($ERR)"
	check_no_privs "$OUT" "--user 1000"
	eq "$(val "$OUT" uid)" 1000 "uid"
	eq "$(val "$OUT" suid)" 1000 "suid"
	eq "$(val "$OUT" gid)" 1000 "gid"
}

t_privs_exec_gains_nothing() {
	# A shell that execs the probe again: still nothing (bounding set empty,
	# securebits locked), even through exec by uid 0.
	pcap "$IMG" /bin/sh -c 'exec /bin/sh -c "exec pd-probe status"'
	status_is "$RC" 0
	check_no_privs "$OUT" "after two execs"
}

# The exact result of every syscall the probe knows, under paude's default
# filter (see runtime/seccomp_profile.c).  EPERM where the filter refuses;
# ENOSYS for calls it leaves out (clone3, io_uring_setup); the kernel's own
# answer for allowed calls (ptrace ESRCH, seccomp EFAULT, ...).
SYSCALL_TABLE="getpid ok
keyctl EPERM
add_key EPERM
request_key EPERM
bpf EPERM
perf_event_open EPERM
userfaultfd EPERM
kexec_load EPERM
init_module EPERM
finit_module EPERM
delete_module EPERM
mount EPERM
umount2 EPERM
pivot_root EPERM
chroot EPERM
fsopen EPERM
fsmount EPERM
fsconfig EPERM
fspick EPERM
move_mount EPERM
open_tree EPERM
mount_setattr EPERM
setns EPERM
unshare-user EPERM
unshare-ns EPERM
unshare-net EPERM
unshare-pid EPERM
unshare-uts EPERM
unshare-ipc EPERM
unshare-cgroup EPERM
unshare-files ok
clone-newuser EPERM
clone3 ENOSYS
io_uring_setup ENOSYS
ptrace ESRCH
personality-query ok
personality-linux32 ok
ioctl-tiocsti EPERM
ioctl-tiocsti-hi EPERM
ioctl-tioclinux EPERM
i386-keyctl EPERM
i386-getpid ok
x32-keyctl EPERM
socket-netlink-audit EINVAL
socket-vsock EAFNOSUPPORT
socket-packet EAFNOSUPPORT
socket-alg EAFNOSUPPORT
socket-inet ok
chmod-setuid EPERM
sethostname EPERM
setdomainname EPERM
reboot EPERM
open_by_handle_at EPERM
process_vm_readv EINVAL
swapon EPERM
acct EPERM
syslog EPERM
clock_settime EPERM
kcmp EPERM
iopl EPERM
seccomp EFAULT"

# The table for this kernel: where it runs no x32 calls (the probe on the
# host says ENOSYS), paude installs its filter without x32, and the x32
# call fails with ENOSYS as the kernel itself would (seccomp_default_bpf.c);
# elsewhere the whole filter refuses it with EPERM.
syscall_table() {
	local x32
	x32=$("$R/bin/pd-probe" try-syscall x32-keyctl | awk '{ print $2 }')
	[ "$x32" = ENOSYS ] || x32=EPERM
	printf '%s\n' "$SYSCALL_TABLE" | sed "s/^x32-keyctl .*/x32-keyctl $x32/"
}

t_seccomp_default_table() {
	local names want
	want=$(syscall_table)
	names=$(printf '%s\n' "$want" | awk '{ print $1 }')
	# shellcheck disable=SC2086
	pcap "$IMG" pd-probe try-syscall $names
	status_is "$RC" 0 "pd-probe try-syscall ($ERR)"
	eq "$OUT" "$want" "syscall results (diff: $(diff <(printf '%s\n' "$want") <(printf '%s\n' "$OUT") | grep '^[<>]' | tr '\n' ' '))"
}

t_seccomp_table_as_user() {
	maps_ids || { single_refuses_user 1000; return 0; }
	local names want
	want=$(syscall_table)
	names=$(printf '%s\n' "$want" | awk '{ print $1 }')
	# shellcheck disable=SC2086
	pcap --user 1000 "$IMG" pd-probe try-syscall $names
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "$want" "syscall results as uid 1000 (diff: $(diff <(printf '%s\n' "$want") <(printf '%s\n' "$OUT") | grep '^[<>]' | tr '\n' ' '))"
}

t_seccomp_probe_list_covered() {
	# Every name the probe knows is in the table above: a new probe must be
	# given its expected result here.
	local list
	list=$(pexec "$IT_DIR/bin/pd-probe" try-syscall --list | sort)
	eq "$list" "$(printf '%s\n' "$SYSCALL_TABLE" | awk '{ print $1 }' | sort)" "probe names vs the table"
}

t_proc1_closed() {
	pcap "$IMG" /bin/sh -c 'for f in exe root cwd; do pd-probe readlink /proc/1/$f; done
		for f in environ fd mem maps; do pd-probe read /proc/1/$f; done
		ls /proc/1/fd >/dev/null 2>&1; echo ls-fd=$?'
	status_is "$RC" 0
	eq "$OUT" "readlink EACCES
readlink EACCES
readlink EACCES
read EACCES
read EACCES
read EACCES
read EACCES
ls-fd=1" "paude-init's /proc entries"
}

t_proc1_closed_to_user() {
	maps_ids || { single_refuses_user 1000; return 0; }
	pcap --user 1000 "$IMG" /bin/sh -c 'pd-probe readlink /proc/1/exe; pd-probe read /proc/1/environ; kill -9 1; echo kill=$?'
	eq "$OUT" "readlink EACCES
read EACCES
kill=1" "paude-init as uid 1000"
}

t_init_survives_kill_from_inside() {
	# The sandbox's root cannot kill paude's init: SIGKILL from inside the
	# pid namespace does not reach its init; other signals sent to pid 1 are
	# passed on to the command.
	# (Had init died, the pid namespace would have gone with it, and paude
	# could not report the command's 3.)
	pcap "$IMG" /bin/sh -c 'kill -KILL 1; echo "kill=$?"; cat /proc/1/comm; exit 3'
	status_is "$RC" 3 "the command's status after kill -KILL 1 ($OUT $ERR)"
	eq "$OUT" "kill=0
paude" "after kill -KILL 1"
	pcap "$IMG" /bin/sh -c 'trap "echo got-term; exit 4" TERM; kill -TERM 1; sleep 60 & wait; echo no-term'
	status_is "$RC" 4 "SIGTERM sent to pid 1 reaches the command ($OUT $ERR)"
	eq "$OUT" got-term
}

t_fds_only_stdio() {
	local f
	f=$(mktemp -p "$IT_DIR")
	chmod 666 "$f"
	pcap_fds() {
		local o e
		o=$(mktemp -p "$IT_DIR")
		e=$(mktemp -p "$IT_DIR")
		RC=0
		# Extra fds, as make, CI runners and terminals hand them down.
		( exec 7</dev/null 9>"$f" 11<"$R/bin/busybox"; prun "$IMG" pd-probe fds ) >"$o" 2>"$e" || RC=$?
		OUT=$(cat "$o")
		ERR=$(cat "$e")
	}
	pcap_fds
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | awk '{ print $2 }' | tr '\n' ' ')" "0 1 2 " "open fds ($OUT)"
	not_contains "$OUT" "$f" "the host's fd 9"
	not_contains "$OUT" "busybox" "the host's fd 11"
	eq "$(printf '%s\n' "$OUT" | sed -n 1p)" "fd 0 -> /dev/null" "stdin without -i"
}

# init_fds PID: "N TARGET KIND" per open fd of PID, read as the host's root
# (which does not depend on init being dumpable).
init_fds() {
	local f
	for f in /proc/"$1"/fd/*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		echo "${f##*/} $(readlink "$f") $(stat -L -c '%F %t:%T' "$f" 2>/dev/null | tr ' ' _)"
	done | sort -n
}

# init_fds_ok LISTING: fds 0-2 on /dev/null (1:3); anything else only an
# anonymous inode (a signalfd, a pidfd): no socket, pipe, directory or file.
init_fds_ok() {
	printf '%s\n' "$1" | awk '
		$1 <= 2 { if ($3 != "character_special_file_1:3") bad = bad " " $0; n++; next }
		$2 !~ /^anon_inode:/ { bad = bad " " $0 }
		END { if (n != 3) bad = bad " (not exactly fds 0-2 on /dev/null)"; if (bad != "") { print bad; exit 1 } }'
}

t_fds_init_holds_nothing() {
	# pid 1 holds no fd of paude's (the sync socket, pipes, the host's root
	# directory, the host's files), read from the host: its own fd table.
	local out f v init fds args
	f=$(mktemp -p "$IT_DIR")
	for v in plain -t -i "-t -i"; do
		out=$(mktemp -p "$IT_DIR")
		args=()
		[ "$v" = plain ] || read -r -a args <<<"$v"
		# Extra fds handed down, as make, CI runners and terminals do.
		exec 7</dev/null 9>"$f" 11<"$R/bin/busybox"
		pbg "$out" "${args[@]}" "$IMG" /bin/sh -c 'echo ready; exec pd-probe sleep 60' <"$f"
		exec 7<&- 9>&- 11<&-
		wait_for "$out" ready
		init=$(init_pid "$BG_PID")
		fds=""
		[ -z "$init" ] || fds=$(init_fds "$init")
		kill -TERM "$BG_PID"; wait "$BG_PID" || true
		[ -n "$init" ] || fail "$v: no paude-init child of paude $BG_PID"
		init_fds_ok "$fds" >/dev/null || fail "$v: paude-init's fds: $(init_fds_ok "$fds"), all: $(tr '\n' ' ' <<<"$fds")"
	done
}

t_fds_only_stdio_tty() {
	# With -t: the pty as fds 0-2, nothing else (not even fds handed to paude).
	local f o
	f=$(mktemp -p "$IT_DIR")
	chmod 666 "$f"
	o=$(mktemp -p "$IT_DIR")
	exec 7</dev/null 9>"$f"
	RC=0
	pexec "$PTYRUN" --timeout 20 -- "$PAUDE" run -t -i "$IMG" pd-probe fds >"$o" 2>&1 </dev/null || RC=$?
	exec 7<&- 9>&-
	status_is "$RC" 0 "($(cat "$o"))"
	eq "$(tr -d '\r' <"$o" | grep '^fd ')" "fd 0 -> /dev/pts/0
fd 1 -> /dev/pts/0
fd 2 -> /dev/pts/0" "the command's fds with -t"
}

# A setuid-root and setgid-root program that keeps what exec gives it (unlike
# busybox, which drops a setuid root by itself): pd-probe, made so in a copy
# of the root filesystem.  Run as uid 1000 it must still be uid 1000 in every
# id, and unable to do what only root could (read a file mode 0400 of root's,
# set its ids to 0).  nosuid on the root, no_new_privs: each alone stops it.
t_setuid_binary_gains_nothing() {
	maps_ids || { single_refuses_user 1000; return 0; }
	local r
	r=$(scratch)/r
	mkroot "$r"
	cp "$R/bin/pd-probe" "$r/bin/suid-probe"
	echo secret >"$r/root-only"
	# The container's root owns them (host root in root mode, idmapped).
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$r/bin/suid-probe" "$r/root-only"
	chmod 6755 "$r/bin/suid-probe"
	chmod 400 "$r/root-only"
	pcap --user 1000 "dir:$r" /bin/sh -c 'ls -ln /bin/suid-probe /root-only | cut -c1-10
		suid-probe status | grep -E "^(uid|euid|suid|gid|egid|sgid)="
		suid-probe read /root-only; suid-probe become 0 0'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "-rwsr-sr-x
-r--------
uid=1000
euid=1000
suid=1000
gid=1000
egid=1000
sgid=1000
read EACCES
setgroups EPERM
setresgid EPERM
setresuid EPERM
uid=1000,1000,1000 gid=1000,1000,1000" "a setuid-root, setgid-root program run by uid 1000"
}

t_no_new_privs_blocks_setuid() {
	# The same program in a volume (nosuid there too).
	maps_ids || { single_refuses_user 1000; return 0; }
	local d
	d=$(scratch)
	cp "$R/bin/pd-probe" "$d/suid-probe"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$d/suid-probe"
	chmod 6755 "$d/suid-probe"
	pcap --user 1000 -v "$d:/v" "$IMG" /bin/sh -c '/v/suid-probe become 0 0; grep " /v " /proc/self/mountinfo | cut -d" " -f6'
	status_is "$RC" 0 "($ERR)"
	eq "$(printf '%s\n' "$OUT" | sed -n 1,4p)" "setgroups EPERM
setresgid EPERM
setresuid EPERM
uid=1000,1000,1000 gid=1000,1000,1000" "a setuid-root program in a volume, run by uid 1000"
	contains ",$(printf '%s\n' "$OUT" | sed -n 5p)," ",nosuid," "volume mount options"
}
