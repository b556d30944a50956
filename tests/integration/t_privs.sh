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
}

t_privs_root_has_nothing() {
	pcap "$IMG" pd-probe status
	status_is "$RC" 0 "($ERR)"
	check_no_privs "$OUT" "container root"
	eq "$(val "$OUT" uid)" 0 "uid"
	eq "$(val "$OUT" euid)" 0 "euid"
}

t_privs_user_has_nothing() {
	if ! maps_ids; then
		pcap --user 1000 "$IMG" pd-probe status
		status_is "$RC" 125 "--user 1000 in single mode"
		return 0
	fi
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

t_seccomp_default_table() {
	local names
	names=$(printf '%s\n' "$SYSCALL_TABLE" | awk '{ print $1 }')
	# shellcheck disable=SC2086
	pcap "$IMG" pd-probe try-syscall $names
	status_is "$RC" 0 "pd-probe try-syscall ($ERR)"
	eq "$OUT" "$SYSCALL_TABLE" "syscall results (diff: $(diff <(printf '%s\n' "$SYSCALL_TABLE") <(printf '%s\n' "$OUT") | grep '^[<>]' | tr '\n' ' '))"
}

t_seccomp_table_as_user() {
	maps_ids || { pcap --user 1000 "$IMG" true; status_is "$RC" 125; return 0; }
	local names
	names=$(printf '%s\n' "$SYSCALL_TABLE" | awk '{ print $1 }')
	# shellcheck disable=SC2086
	pcap --user 1000 "$IMG" pd-probe try-syscall $names
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "$SYSCALL_TABLE" "syscall results as uid 1000 (diff: $(diff <(printf '%s\n' "$SYSCALL_TABLE") <(printf '%s\n' "$OUT") | grep '^[<>]' | tr '\n' ' '))"
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
	maps_ids || { pcap --user 1000 "$IMG" true; status_is "$RC" 125; return 0; }
	pcap --user 1000 "$IMG" /bin/sh -c 'pd-probe readlink /proc/1/exe; pd-probe read /proc/1/environ; kill -9 1; echo kill=$?'
	eq "$OUT" "readlink EACCES
read EACCES
kill=1" "paude-init as uid 1000"
}

t_init_survives_kill_from_inside() {
	# The sandbox's root cannot kill paude's init: SIGKILL from inside the
	# pid namespace does not reach its init; other signals sent to pid 1 are
	# passed on to the command.
	pcap "$IMG" /bin/sh -c 'kill -KILL 1; sleep 0.2; echo alive; exit 3'
	status_is "$RC" 3 "the command's status after kill -KILL 1 ($OUT $ERR)"
	eq "$OUT" alive "after kill -KILL 1"
	pcap "$IMG" /bin/sh -c 'trap "echo got-term; exit 4" TERM; kill -TERM 1; sleep 5 & wait; echo no-term'
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

t_fds_init_holds_nothing() {
	# pid 1 holds no fd of paude's (sockets, the host's files).
	pcap "$IMG" /bin/sh -c 'ls /proc/1/fdinfo 2>&1; echo rc=$?'
	# fdinfo is readable by the owner only; as the same uid but non-dumpable
	# it is closed too.
	contains "$OUT" "Permission denied" "/proc/1/fdinfo"
}

t_no_new_privs_blocks_setuid() {
	# A setuid-root binary in a volume gains nothing: nosuid + no_new_privs.
	local d
	d=$(scratch)
	cp "$R/bin/busybox" "$d/busybox"
	chmod 4755 "$d/busybox"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$d/busybox"
	chmod 4755 "$d/busybox"
	if maps_ids; then
		pcap --user 1000 -v "$d:/v" "$IMG" /v/busybox id -u
		status_is "$RC" 0 "($ERR)"
		eq "$OUT" 1000 "euid after running a setuid binary"
	else
		pcap -v "$d:/v" "$IMG" /bin/sh -c 'grep " /v " /proc/self/mountinfo'
		contains "$OUT" "nosuid" "volume mount options"
	fi
}
