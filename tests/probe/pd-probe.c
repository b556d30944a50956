/* SPDX-License-Identifier: MIT */
/*
 * pd-probe.c - a static multi-call probe that the integration tests run
 * INSIDE paude sandboxes (and, for comparison, on the host).
 *
 * Usage: pd-probe SUBCOMMAND [ARGS...]
 *
 * Each subcommand observes one property of the process it runs in and prints
 * machine-readable lines on stdout (see tests/probe/README.md for every
 * format).  Exit status:
 *   0  the probe itself worked, even if the probed thing was denied
 *      (a denied syscall or write is a result, not a failure);
 *   1  the probe could not observe what it was asked to (e.g. /proc missing);
 *   2  bad usage (unknown subcommand, wrong arguments, unknown syscall name).
 * `exit N` and `kill-self SIG` are the exceptions: they exist to produce a
 * given status.
 *
 * Theory of operation of `try-syscall`: each known name maps to a function
 * that issues the syscall with arguments chosen so that an ALLOWED call
 * either fails harmlessly (bad fd, NULL pointer, invalid flags or command)
 * or succeeds without lasting effect.  A denied call returns whatever errno
 * the seccomp filter chose, or kills the caller.  Every probe runs in its own
 * forked child that reports errno over a pipe, so
 *   - a filter that kills (SIGSYS) ends only that probe, and the parent
 *     reports the signal instead of an errno;
 *   - probes that succeed with side effects on the caller (unshare, setsid,
 *     personality) leave the next probe untouched.
 * Several syscalls check a capability before looking at their arguments, so
 * "allowed but unprivileged" also shows up as EPERM there; the README lists
 * the expected "allowed" result of every probe.
 *
 * The binary is linked with -static so it runs in any root filesystem.  It
 * deliberately uses no NSS function (getpwnam, getaddrinfo): those need
 * shared libraries at run time even in a static glibc binary.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/reboot.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define EXIT_PROBE_FAILED 1
#define EXIT_USAGE 2

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* Names: errno and signal tables                                           */
/* ------------------------------------------------------------------------ */

#define NAME_ENTRY(x) \
	{ \
		x, #x \
	}

struct num_name {
	int num;
	const char *name;
};

/*
 * Symbolic errno names.  Aliases (EWOULDBLOCK, EDEADLOCK, ENOTSUP) are left
 * out so that each value has exactly one spelling: EAGAIN, EDEADLK,
 * EOPNOTSUPP.
 */
static const struct num_name errno_names[] = {
	NAME_ENTRY(EPERM),
	NAME_ENTRY(ENOENT),
	NAME_ENTRY(ESRCH),
	NAME_ENTRY(EINTR),
	NAME_ENTRY(EIO),
	NAME_ENTRY(ENXIO),
	NAME_ENTRY(E2BIG),
	NAME_ENTRY(ENOEXEC),
	NAME_ENTRY(EBADF),
	NAME_ENTRY(ECHILD),
	NAME_ENTRY(EAGAIN),
	NAME_ENTRY(ENOMEM),
	NAME_ENTRY(EACCES),
	NAME_ENTRY(EFAULT),
	NAME_ENTRY(ENOTBLK),
	NAME_ENTRY(EBUSY),
	NAME_ENTRY(EEXIST),
	NAME_ENTRY(EXDEV),
	NAME_ENTRY(ENODEV),
	NAME_ENTRY(ENOTDIR),
	NAME_ENTRY(EISDIR),
	NAME_ENTRY(EINVAL),
	NAME_ENTRY(ENFILE),
	NAME_ENTRY(EMFILE),
	NAME_ENTRY(ENOTTY),
	NAME_ENTRY(ETXTBSY),
	NAME_ENTRY(EFBIG),
	NAME_ENTRY(ENOSPC),
	NAME_ENTRY(ESPIPE),
	NAME_ENTRY(EROFS),
	NAME_ENTRY(EMLINK),
	NAME_ENTRY(EPIPE),
	NAME_ENTRY(EDOM),
	NAME_ENTRY(ERANGE),
	NAME_ENTRY(EDEADLK),
	NAME_ENTRY(ENAMETOOLONG),
	NAME_ENTRY(ENOLCK),
	NAME_ENTRY(ENOSYS),
	NAME_ENTRY(ENOTEMPTY),
	NAME_ENTRY(ELOOP),
	NAME_ENTRY(ENOMSG),
	NAME_ENTRY(EIDRM),
	NAME_ENTRY(ENOSTR),
	NAME_ENTRY(ENODATA),
	NAME_ENTRY(ETIME),
	NAME_ENTRY(ENOSR),
	NAME_ENTRY(EREMOTE),
	NAME_ENTRY(ENOLINK),
	NAME_ENTRY(EPROTO),
	NAME_ENTRY(EMULTIHOP),
	NAME_ENTRY(EBADMSG),
	NAME_ENTRY(EOVERFLOW),
	NAME_ENTRY(EBADFD),
	NAME_ENTRY(EILSEQ),
	NAME_ENTRY(EUSERS),
	NAME_ENTRY(ENOTSOCK),
	NAME_ENTRY(EDESTADDRREQ),
	NAME_ENTRY(EMSGSIZE),
	NAME_ENTRY(EPROTOTYPE),
	NAME_ENTRY(ENOPROTOOPT),
	NAME_ENTRY(EPROTONOSUPPORT),
	NAME_ENTRY(ESOCKTNOSUPPORT),
	NAME_ENTRY(EOPNOTSUPP),
	NAME_ENTRY(EPFNOSUPPORT),
	NAME_ENTRY(EAFNOSUPPORT),
	NAME_ENTRY(EADDRINUSE),
	NAME_ENTRY(EADDRNOTAVAIL),
	NAME_ENTRY(ENETDOWN),
	NAME_ENTRY(ENETUNREACH),
	NAME_ENTRY(ENETRESET),
	NAME_ENTRY(ECONNABORTED),
	NAME_ENTRY(ECONNRESET),
	NAME_ENTRY(ENOBUFS),
	NAME_ENTRY(EISCONN),
	NAME_ENTRY(ENOTCONN),
	NAME_ENTRY(ESHUTDOWN),
	NAME_ENTRY(ETOOMANYREFS),
	NAME_ENTRY(ETIMEDOUT),
	NAME_ENTRY(ECONNREFUSED),
	NAME_ENTRY(EHOSTDOWN),
	NAME_ENTRY(EHOSTUNREACH),
	NAME_ENTRY(EALREADY),
	NAME_ENTRY(EINPROGRESS),
	NAME_ENTRY(ESTALE),
	NAME_ENTRY(EDQUOT),
	NAME_ENTRY(ECANCELED),
	NAME_ENTRY(ENOKEY),
	NAME_ENTRY(EKEYEXPIRED),
	NAME_ENTRY(EKEYREVOKED),
	NAME_ENTRY(EKEYREJECTED),
	NAME_ENTRY(EOWNERDEAD),
	NAME_ENTRY(ENOTRECOVERABLE),
	NAME_ENTRY(ERFKILL),
	NAME_ENTRY(EHWPOISON),
	NAME_ENTRY(ENOMEDIUM),
	NAME_ENTRY(EMEDIUMTYPE),
	NAME_ENTRY(ENOTUNIQ),
	NAME_ENTRY(EREMOTEIO),
	NAME_ENTRY(EUCLEAN),
	NAME_ENTRY(EISNAM),
	NAME_ENTRY(ENOPKG),
	NAME_ENTRY(ENONET),
	NAME_ENTRY(ECOMM),
	NAME_ENTRY(ESTRPIPE),
	NAME_ENTRY(ERESTART),
	NAME_ENTRY(ELIBEXEC),
	NAME_ENTRY(ELIBBAD),
	NAME_ENTRY(ELIBACC),
	NAME_ENTRY(ENOCSI),
	NAME_ENTRY(EL2HLT),
	NAME_ENTRY(EL3HLT),
	NAME_ENTRY(EL3RST),
	NAME_ENTRY(ELNRNG),
	NAME_ENTRY(EUNATCH),
	NAME_ENTRY(ECHRNG),
	NAME_ENTRY(EL2NSYNC),
	NAME_ENTRY(EBADE),
	NAME_ENTRY(EBADR),
	NAME_ENTRY(EXFULL),
	NAME_ENTRY(ENOANO),
	NAME_ENTRY(EBADRQC),
	NAME_ENTRY(EBADSLT),
	NAME_ENTRY(EBFONT),
	NAME_ENTRY(ESRMNT),
	NAME_ENTRY(EADV),
	NAME_ENTRY(EDOTDOT),
	NAME_ENTRY(ENOTNAM),
	NAME_ENTRY(ENAVAIL),
	NAME_ENTRY(ELIBSCN),
	NAME_ENTRY(ELIBMAX),
};

static const struct num_name signal_names[] = {
	NAME_ENTRY(SIGHUP),  NAME_ENTRY(SIGINT),    NAME_ENTRY(SIGQUIT), NAME_ENTRY(SIGILL),
	NAME_ENTRY(SIGTRAP), NAME_ENTRY(SIGABRT),   NAME_ENTRY(SIGBUS),  NAME_ENTRY(SIGFPE),
	NAME_ENTRY(SIGKILL), NAME_ENTRY(SIGUSR1),   NAME_ENTRY(SIGSEGV), NAME_ENTRY(SIGUSR2),
	NAME_ENTRY(SIGPIPE), NAME_ENTRY(SIGALRM),   NAME_ENTRY(SIGTERM), NAME_ENTRY(SIGSTKFLT),
	NAME_ENTRY(SIGCHLD), NAME_ENTRY(SIGCONT),   NAME_ENTRY(SIGSTOP), NAME_ENTRY(SIGTSTP),
	NAME_ENTRY(SIGTTIN), NAME_ENTRY(SIGTTOU),   NAME_ENTRY(SIGURG),  NAME_ENTRY(SIGXCPU),
	NAME_ENTRY(SIGXFSZ), NAME_ENTRY(SIGVTALRM), NAME_ENTRY(SIGPROF), NAME_ENTRY(SIGWINCH),
	NAME_ENTRY(SIGIO),   NAME_ENTRY(SIGPWR),    NAME_ENTRY(SIGSYS),
};

/* errno_name() - symbolic name of errno value @e ("EPERM"); never NULL. */
static const char *errno_name(int e)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].num == e)
			return errno_names[i].name;
#ifdef __GLIBC__
	{
		const char *s = strerrorname_np(e);

		if (s)
			return s;
	}
#endif
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* signal_name() - "SIGTERM" for SIGTERM, "SIGRTMIN+3", or "SIG42". */
static const char *signal_name(int sig)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (signal_names[i].num == sig)
			return signal_names[i].name;
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, sizeof(buf), "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, sizeof(buf), "SIG%d", sig);
	return buf;
}

/*
 * parse_long() - strict decimal parse of @s into [@min, @max].
 * Return: true on success.
 */
static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* signal_from_name() - "TERM", "SIGTERM" or "15" to 15; -1 if unknown. */
static int signal_from_name(const char *s)
{
	char full[32];
	size_t i;
	long n;

	if (parse_long(s, 1, SIGRTMAX, &n))
		return (int)n;
	snprintf(full, sizeof(full), "%s%s", strncmp(s, "SIG", 3) ? "SIG" : "", s);
	for (i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (!strcmp(signal_names[i].name, full))
			return signal_names[i].num;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

/* write_all() - write all of @buf to @fd, retrying on EINTR; -1 on error. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * cat_fd_path() - copy the file at @path to stdout.
 * Return: 0, or -1 with errno set.
 */
static int cat_path(const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	fflush(stdout);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
			n = -1;
			break;
		}
	}
	if (n < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

/* print_winsize() - "rows R cols C" for @fd, or "winsize ERRNO". */
static void print_winsize(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
		printf("winsize %s\n", errno_name(errno));
	else
		printf("rows %u cols %u\n", ws.ws_row, ws.ws_col);
}

/*
 * wait_for_signals() - block @sigs, print "ready", and wait for one of them.
 * Blocking before printing "ready" means a signal sent as soon as the test
 * sees the line is never lost.  This also works as pid 1 of a pid namespace:
 * blocked signals are queued even for init.
 * Return: the signal number, or -1 with errno set.
 */
static int wait_for_signals(const int *sigs, size_t n)
{
	sigset_t set;
	siginfo_t si;
	size_t i;
	int sig;

	sigemptyset(&set);
	for (i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	printf("ready\n");
	fflush(stdout);
	do
		sig = sigwaitinfo(&set, &si);
	while (sig < 0 && errno == EINTR);
	return sig;
}

/* ------------------------------------------------------------------------ */
/* try-syscall: one function per probe                                      */
/* ------------------------------------------------------------------------ */

/*
 * Each probe returns a negative value with errno set when the call failed,
 * anything else when it succeeded.  A probe runs in a forked child, alone.
 */
typedef long (*probe_fn)(void);

/* An address the kernel will refuse to read or write (EFAULT when allowed). */
#define BAD_PTR ((void *)1)

/* glibc 2.36 has no struct clone_args; this is CLONE_ARGS_SIZE_VER0. */
struct probe_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#define X32_SYSCALL_BIT 0x40000000L
#define I386_NR_GETPID 20
#define I386_NR_KEYCTL 288

/* reap() - wait for @pid; a probe that forked uses this on its child. */
static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* fork_like_result() - shared tail of the clone probes: child exits at once. */
static long fork_like_result(long ret)
{
	if (ret == 0)
		_exit(0);
	if (ret > 0)
		reap((pid_t)ret);
	return ret;
}

/* KEYCTL command -1 does not exist: EOPNOTSUPP when allowed. */
static long probe_keyctl(void)
{
	return syscall(SYS_keyctl, -1L, 0L, 0L, 0L, 0L);
}

/* NULL type and description: EFAULT when allowed. */
static long probe_add_key(void)
{
	return syscall(SYS_add_key, NULL, NULL, NULL, 0L, 0L);
}

static long probe_request_key(void)
{
	return syscall(SYS_request_key, NULL, NULL, NULL, 0L);
}

/* 8 bytes of attributes from an unreadable address: EFAULT when allowed. */
static long probe_bpf(void)
{
	return syscall(SYS_bpf, 0L, BAD_PTR, 8L);
}

/* The attr struct is copied first: EFAULT when allowed. */
static long probe_perf_event_open(void)
{
	return syscall(SYS_perf_event_open, BAD_PTR, 0L, -1L, -1L, 0L);
}

/*
 * UFFD_USER_MODE_ONLY passes the unprivileged check; the extra unknown flag
 * then fails with EINVAL when allowed.
 */
static long probe_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, (long)(UFFD_USER_MODE_ONLY | 0x20000000));
}

/*
 * CAP_SYS_BOOT first (EPERM), then the unknown flag, the unknown arch and the
 * segment count: EINVAL, long before anything is loaded.
 */
static long probe_kexec_load(void)
{
	return syscall(SYS_kexec_load, 0L, 0x7fffffffL, NULL, 0x7fff0100L);
}

/* CAP_SYS_MODULE first (EPERM), then the NULL image. */
static long probe_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0L, "");
}

/* CAP_SYS_MODULE first (EPERM), then the bad fd: EBADF. */
static long probe_finit_module(void)
{
	return syscall(SYS_finit_module, -1L, "", 0L);
}

/* CAP_SYS_MODULE first (EPERM), then the NULL name: EFAULT.  Never a name. */
static long probe_delete_module(void)
{
	return syscall(SYS_delete_module, NULL, 0L);
}

/* The target path is resolved before any permission check: EFAULT. */
static long probe_mount(void)
{
	return syscall(SYS_mount, NULL, NULL, NULL, 0L, NULL);
}

/* Unknown umount flags are rejected first: EINVAL. */
static long probe_umount2(void)
{
	return syscall(SYS_umount2, NULL, 0x40000000L);
}

/* CAP_SYS_ADMIN first (EPERM), then the NULL paths: EFAULT. */
static long probe_pivot_root(void)
{
	return syscall(SYS_pivot_root, NULL, NULL);
}

static long probe_chroot(void)
{
	return syscall(SYS_chroot, NULL);
}

/* CAP_SYS_ADMIN first (EPERM), then the unknown flags: EINVAL. */
static long probe_fsopen(void)
{
	return syscall(SYS_fsopen, NULL, 0x40000000L);
}

static long probe_fsmount(void)
{
	return syscall(SYS_fsmount, -1L, 0x40000000L, 0L);
}

/* A negative fd is rejected first: EINVAL. */
static long probe_fsconfig(void)
{
	return syscall(SYS_fsconfig, -1L, 0x7fffL, NULL, NULL, 0L);
}

static long probe_fspick(void)
{
	return syscall(SYS_fspick, -1L, NULL, 0x40000000L);
}

static long probe_move_mount(void)
{
	return syscall(SYS_move_mount, -1L, NULL, -1L, NULL, 0x40000000L);
}

/* Unknown flags are rejected first: EINVAL. */
static long probe_open_tree(void)
{
	return syscall(SYS_open_tree, -1L, NULL, 0x40000000L);
}

static long probe_mount_setattr(void)
{
	return syscall(SYS_mount_setattr, -1L, NULL, 0x40000000L, NULL, 0L);
}

static long probe_setns(void)
{
	return syscall(SYS_setns, -1L, 0L);
}

/* The unshare probes really unshare: they run in a throwaway child. */
static long probe_unshare_user(void)
{
	return unshare(CLONE_NEWUSER);
}

static long probe_unshare_ns(void)
{
	return unshare(CLONE_NEWNS);
}

static long probe_unshare_net(void)
{
	return unshare(CLONE_NEWNET);
}

static long probe_unshare_pid(void)
{
	return unshare(CLONE_NEWPID);
}

static long probe_unshare_uts(void)
{
	return unshare(CLONE_NEWUTS);
}

static long probe_unshare_ipc(void)
{
	return unshare(CLONE_NEWIPC);
}

static long probe_unshare_cgroup(void)
{
	return unshare(CLONE_NEWCGROUP);
}

/* Harmless and used by ordinary programs: must be allowed ("ok"). */
static long probe_unshare_files(void)
{
	return unshare(CLONE_FILES);
}

/*
 * Raw fork-like clone (no new stack: the child runs on a copy of ours, as
 * after fork) into a new user namespace; the child exits at once.
 */
static long probe_clone_newuser(void)
{
	return fork_like_result(
		syscall(SYS_clone, (long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, 0L));
}

/* A plain fork through clone3; the child exits at once. */
static long probe_clone3(void)
{
	struct probe_clone_args args = { .exit_signal = SIGCHLD };

	return fork_like_result(syscall(SYS_clone3, &args, sizeof(args)));
}

/* The params struct is copied first: EFAULT when allowed. */
static long probe_io_uring_setup(void)
{
	return syscall(SYS_io_uring_setup, 1L, BAD_PTR);
}

/* We do not trace ourselves, so PEEKDATA on our own pid fails with ESRCH. */
static long probe_ptrace(void)
{
	long data;

	return syscall(SYS_ptrace, (long)PTRACE_PEEKDATA, (long)getpid(), NULL, &data);
}

/* 0xffffffff only queries the persona. */
static long probe_personality_query(void)
{
	return syscall(SYS_personality, 0xffffffffL);
}

/* Switch to PER_LINUX32 and back. */
static long probe_personality_linux32(void)
{
	long old = syscall(SYS_personality, 0xffffffffL);
	long r;

	if (old < 0)
		return old;
	r = syscall(SYS_personality, (long)PER_LINUX32);
	if (r >= 0)
		syscall(SYS_personality, old);
	return r;
}

/*
 * tty_for_tiocsti() - a terminal on which TIOCSTI harms nobody.
 *
 * Preferred: a fresh pty from /dev/ptmx, made our controlling terminal in a
 * new session (we run in a throwaway child), so an allowed TIOCSTI either
 * succeeds ("ok", injecting a byte into our own pty) or is refused by the
 * kernel with EIO when dev.tty.legacy_tiocsti=0 and we lack CAP_SYS_ADMIN.
 * Without /dev/ptmx: fd 0 when it is not a terminal (ENOTTY when allowed),
 * else -1 (EBADF when allowed) -- never inject into a terminal we share.
 */
static int tty_for_tiocsti(void)
{
	int master, slave;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master >= 0 && unlockpt(master) == 0) {
		slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0) {
			const char *name = ptsname(master);

			slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
		}
		if (slave >= 0) {
			/* Best effort: without a ctty the kernel says EPERM. */
			if (setsid() >= 0)
				ioctl(slave, TIOCSCTTY, 0L);
			return slave;
		}
	}
	return isatty(STDIN_FILENO) ? -1 : STDIN_FILENO;
}

static long probe_ioctl_tiocsti(void)
{
	char c = ' ';

	return ioctl(tty_for_tiocsti(), TIOCSTI, &c);
}

/*
 * CVE-2019-10063: the kernel truncates the request to 32 bits, so a filter
 * that compares all 64 bits of the argument can be bypassed this way.
 */
static long probe_ioctl_tiocsti_hi(void)
{
	unsigned long req = 0xdead000000000000UL | (unsigned long)TIOCSTI;
	char c = ' ';

	return syscall(SYS_ioctl, (long)tty_for_tiocsti(), req, &c);
}

/*
 * TIOCLINUX on a pty is not a VT ioctl (ENOTTY or EINVAL when allowed);
 * without a pty, fd -1 gives EBADF.
 */
static long probe_ioctl_tioclinux(void)
{
	char subcode = 0;
	int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);

	return ioctl(fd, TIOCLINUX, &subcode);
}

#if defined(__x86_64__)
/*
 * int80() - an i386 syscall from this 64-bit process via `int $0x80`.
 * Seccomp sees AUDIT_ARCH_I386.  Without IA32 emulation the kernel answers
 * with SIGSEGV, reported as such by the parent.  Only 32-bit arguments.
 */
static long int80(long nr, long a1, long a2, long a3)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a1), "c"(a2), "d"(a3)
			 : "memory", "r8", "r9", "r10", "r11");
	if ((int)ret < 0 && (int)ret > -4096) {
		errno = -(int)ret;
		return -1;
	}
	return ret;
}

static long probe_i386_keyctl(void)
{
	return int80(I386_NR_KEYCTL, -1L, 0L, 0L);
}

static long probe_i386_getpid(void)
{
	return int80(I386_NR_GETPID, 0L, 0L, 0L);
}

/* x32 ABI: same keyctl with the x32 bit; ENOSYS without CONFIG_X86_X32_ABI. */
static long probe_x32_keyctl(void)
{
	return syscall(SYS_keyctl | X32_SYSCALL_BIT, -1L, 0L, 0L, 0L, 0L);
}
#else
static long probe_unsupported_arch(void)
{
	errno = ENOSYS;
	return -1;
}
#define probe_i386_keyctl probe_unsupported_arch
#define probe_i386_getpid probe_unsupported_arch
#define probe_x32_keyctl probe_unsupported_arch
#endif

/* Creating (and dropping) an audit socket is harmless: "ok" when allowed. */
static long probe_socket_netlink_audit(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
}

/* Families a sandbox has no use for: "ok" (then closed) when allowed. */
static long probe_socket_vsock(void)
{
	return socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static long probe_socket_packet(void)
{
	return socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static long probe_socket_alg(void)
{
	return socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
}

static long probe_socket_inet(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/* A setuid bit on a file: fchmod on a fresh file in /tmp, then removed. */
static long probe_chmod_setuid(void)
{
	char path[] = "/tmp/pd-probe-suid-XXXXXX";
	int fd = mkstemp(path);
	long r;

	if (fd < 0)
		return -1;
	r = fchmod(fd, 04755);
	{
		int saved = errno;

		close(fd);
		unlink(path);
		errno = saved;
	}
	return r;
}

/* CAP_SYS_ADMIN first (EPERM), then the negative length: EINVAL. */
static long probe_sethostname(void)
{
	return syscall(SYS_sethostname, NULL, -1L);
}

static long probe_setdomainname(void)
{
	return syscall(SYS_setdomainname, NULL, -1L);
}

/* CAP_SYS_BOOT first (EPERM), then the wrong magic: EINVAL.  Never reboots. */
static long probe_reboot(void)
{
	return syscall(SYS_reboot, 0L, 0L, (long)LINUX_REBOOT_CMD_CAD_OFF, NULL);
}

/* A control: must always be "ok". */
static long probe_getpid(void)
{
	return syscall(SYS_getpid);
}

/* CAP_DAC_READ_SEARCH first (EPERM), then the bad fd: EBADF. */
static long probe_open_by_handle_at(void)
{
	return syscall(SYS_open_by_handle_at, -1L, NULL, 0L);
}

/* Non-zero flags are rejected first: EINVAL. */
static long probe_process_vm_readv(void)
{
	return syscall(SYS_process_vm_readv, (long)getpid(), NULL, 0L, NULL, 0L, 1L);
}

/* Unknown swap flags are rejected before the capability check: EINVAL. */
static long probe_swapon(void)
{
	return syscall(SYS_swapon, NULL, 0x40000000L);
}

/* CAP_SYS_PACCT first (EPERM), then the bad path: EFAULT (never NULL: off). */
static long probe_acct(void)
{
	return syscall(SYS_acct, BAD_PTR);
}

/*
 * SYSLOG_ACTION_SIZE_BUFFER reads nothing: "ok" when allowed, EPERM when
 * kernel.dmesg_restrict=1 and we lack CAP_SYSLOG (in the initial userns).
 */
static long probe_syslog(void)
{
	return syscall(SYS_syslog, 10L, NULL, 0L);
}

/* The timespec is copied before the CAP_SYS_TIME check: EFAULT. */
static long probe_clock_settime(void)
{
	return syscall(SYS_clock_settime, (long)CLOCK_REALTIME, BAD_PTR);
}

/* KCMP_VM of ourselves against ourselves: "ok" (0) when allowed. */
static long probe_kcmp(void)
{
	return syscall(SYS_kcmp, (long)getpid(), (long)getpid(), 1L /* KCMP_VM */, 0L, 0L);
}

/* Level 0 never raises privilege: "ok" when allowed. */
static long probe_iopl(void)
{
	return syscall(SYS_iopl, 0L);
}

/* The program is copied before the NNP/CAP check: EFAULT. */
static long probe_seccomp(void)
{
	return syscall(SYS_seccomp, 1L /* SECCOMP_SET_MODE_FILTER */, 0L, NULL);
}

/* The probes try-syscall knows, in the order `try-syscall --list` prints. */
static const struct {
	const char *name;
	probe_fn fn;
} probes[] = {
	{ "getpid", probe_getpid },
	{ "keyctl", probe_keyctl },
	{ "add_key", probe_add_key },
	{ "request_key", probe_request_key },
	{ "bpf", probe_bpf },
	{ "perf_event_open", probe_perf_event_open },
	{ "userfaultfd", probe_userfaultfd },
	{ "kexec_load", probe_kexec_load },
	{ "init_module", probe_init_module },
	{ "finit_module", probe_finit_module },
	{ "delete_module", probe_delete_module },
	{ "mount", probe_mount },
	{ "umount2", probe_umount2 },
	{ "pivot_root", probe_pivot_root },
	{ "chroot", probe_chroot },
	{ "fsopen", probe_fsopen },
	{ "fsmount", probe_fsmount },
	{ "fsconfig", probe_fsconfig },
	{ "fspick", probe_fspick },
	{ "move_mount", probe_move_mount },
	{ "open_tree", probe_open_tree },
	{ "mount_setattr", probe_mount_setattr },
	{ "setns", probe_setns },
	{ "unshare-user", probe_unshare_user },
	{ "unshare-ns", probe_unshare_ns },
	{ "unshare-net", probe_unshare_net },
	{ "unshare-pid", probe_unshare_pid },
	{ "unshare-uts", probe_unshare_uts },
	{ "unshare-ipc", probe_unshare_ipc },
	{ "unshare-cgroup", probe_unshare_cgroup },
	{ "unshare-files", probe_unshare_files },
	{ "clone-newuser", probe_clone_newuser },
	{ "clone3", probe_clone3 },
	{ "io_uring_setup", probe_io_uring_setup },
	{ "ptrace", probe_ptrace },
	{ "personality-query", probe_personality_query },
	{ "personality-linux32", probe_personality_linux32 },
	{ "ioctl-tiocsti", probe_ioctl_tiocsti },
	{ "ioctl-tiocsti-hi", probe_ioctl_tiocsti_hi },
	{ "ioctl-tioclinux", probe_ioctl_tioclinux },
	{ "i386-keyctl", probe_i386_keyctl },
	{ "i386-getpid", probe_i386_getpid },
	{ "x32-keyctl", probe_x32_keyctl },
	{ "socket-netlink-audit", probe_socket_netlink_audit },
	{ "socket-vsock", probe_socket_vsock },
	{ "socket-packet", probe_socket_packet },
	{ "socket-alg", probe_socket_alg },
	{ "socket-inet", probe_socket_inet },
	{ "chmod-setuid", probe_chmod_setuid },
	{ "sethostname", probe_sethostname },
	{ "setdomainname", probe_setdomainname },
	{ "reboot", probe_reboot },
	{ "open_by_handle_at", probe_open_by_handle_at },
	{ "process_vm_readv", probe_process_vm_readv },
	{ "swapon", probe_swapon },
	{ "acct", probe_acct },
	{ "syslog", probe_syslog },
	{ "clock_settime", probe_clock_settime },
	{ "kcmp", probe_kcmp },
	{ "iopl", probe_iopl },
	{ "seccomp", probe_seccomp },
};

static probe_fn find_probe(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(probes); i++)
		if (!strcmp(probes[i].name, name))
			return probes[i].fn;
	return NULL;
}

/*
 * run_probe() - run @fn in a child and print "NAME RESULT".
 * RESULT is "ok", an errno name, or the name of the signal that killed the
 * child ("SIGSYS" for a seccomp KILL action).
 * Return: 0, or -1 if the probe could not be run at all.
 */
static int run_probe(const char *name, probe_fn fn)
{
	int pfd[2], status, result = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		long r;

		close(pfd[0]);
		errno = 0;
		r = fn();
		result = r < 0 ? (errno ? errno : -1) : 0;
		(void)!write(pfd[1], &result, sizeof(result));
		_exit(0);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &result, sizeof(result));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (n == (ssize_t)sizeof(result) && result == 0)
		printf("%s ok\n", name);
	else if (n == (ssize_t)sizeof(result) && result > 0)
		printf("%s %s\n", name, errno_name(result));
	else if (WIFSIGNALED(status))
		printf("%s %s\n", name, signal_name(WTERMSIG(status)));
	else
		printf("%s unknown\n", name);
	return 0;
}

static int cmd_try_syscall(int argc, char **argv)
{
	int i;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		size_t j;

		for (j = 0; j < ARRAY_SIZE(probes); j++)
			printf("%s\n", probes[j].name);
		return 0;
	}
	/* Check every name first, so a typo never yields half a report. */
	for (i = 1; i < argc; i++) {
		if (!find_probe(argv[i])) {
			fprintf(stderr,
				"pd-probe: try-syscall: unknown syscall \"%s\" "
				"(see try-syscall --list)\n",
				argv[i]);
			return EXIT_USAGE;
		}
	}
	for (i = 1; i < argc; i++) {
		if (run_probe(argv[i], find_probe(argv[i])) < 0) {
			fprintf(stderr, "pd-probe: try-syscall %s: %s\n", argv[i],
				errno_name(errno));
			return EXIT_PROBE_FAILED;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Process state                                                            */
/* ------------------------------------------------------------------------ */

/*
 * status: selected /proc/self/status fields as KEY=VALUE, then ids and
 * process relationships.  A field the kernel does not report prints
 * KEY=missing.
 */
static int cmd_status(int argc, char **argv)
{
	static const char *const keys[] = {
		"CapInh", "CapPrm",     "CapEff",  "CapBnd",
		"CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters",
	};
	char values[ARRAY_SIZE(keys)][128] = { { 0 } };
	char line[512], cwd[PATH_MAX], *tty;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	static gid_t groups[NGROUPS_MAX]; /* 256 KiB: not on the stack */
	struct utsname uts;
	size_t i;
	FILE *f;
	int ngroups, j;

	(void)argc;
	(void)argv;
	f = fopen("/proc/self/status", "re");
	if (!f) {
		fprintf(stderr, "pd-probe: status: /proc/self/status: %s\n", errno_name(errno));
		return EXIT_PROBE_FAILED;
	}
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *v;

		if (!colon)
			continue;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		v[strcspn(v, "\n")] = '\0';
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (!strcmp(line, keys[i]))
				snprintf(values[i], sizeof(values[i]), "%s", v);
	}
	fclose(f);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		printf("%s=%s\n", keys[i], values[i][0] ? values[i] : "missing");

	getresuid(&ruid, &euid, &suid);
	getresgid(&rgid, &egid, &sgid);
	printf("uid=%u\neuid=%u\nsuid=%u\n", ruid, euid, suid);
	printf("gid=%u\negid=%u\nsgid=%u\n", rgid, egid, sgid);
	ngroups = getgroups(NGROUPS_MAX, groups);
	printf("groups=");
	for (j = 0; j < ngroups; j++)
		printf("%s%u", j ? "," : "", groups[j]);
	printf("\n");
	printf("pid=%d\nppid=%d\n", (int)getpid(), (int)getppid());
	printf("dumpable=%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	{
		int sb = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

		if (sb < 0)
			printf("securebits=%s\n", errno_name(errno));
		else
			printf("securebits=0x%x\n", (unsigned)sb);
	}
	printf("sid=%d\npgid=%d\n", (int)getsid(0), (int)getpgid(0));
	tty = ttyname(STDIN_FILENO);
	printf("tty=%s\n", tty ? tty : "none");
	printf("hostname=%s\n", uname(&uts) == 0 ? uts.nodename : "unknown");
	printf("cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errno_name(errno));
	return 0;
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* fds: "fd N -> TARGET" for each open fd, in numeric order. */
static int cmd_fds(int argc, char **argv)
{
	int fds[4096];
	size_t n = 0, i;
	struct dirent *de;
	DIR *dir;
	int dfd;

	(void)argc;
	(void)argv;
	dir = opendir("/proc/self/fd");
	if (!dir) {
		fprintf(stderr, "pd-probe: fds: /proc/self/fd: %s\n", errno_name(errno));
		return EXIT_PROBE_FAILED;
	}
	dfd = dirfd(dir);
	while ((de = readdir(dir)) && n < ARRAY_SIZE(fds)) {
		long fd;

		if (parse_long(de->d_name, 0, INT_MAX, &fd) && fd != dfd)
			fds[n++] = (int)fd;
	}
	qsort(fds, n, sizeof(fds[0]), int_cmp);
	for (i = 0; i < n; i++) {
		char name[16], target[PATH_MAX];
		ssize_t len;

		snprintf(name, sizeof(name), "%d", fds[i]);
		len = readlinkat(dfd, name, target, sizeof(target) - 1);
		if (len < 0)
			snprintf(target, sizeof(target), "%s", errno_name(errno));
		else
			target[len] = '\0';
		printf("fd %d -> %s\n", fds[i], target);
	}
	closedir(dir);
	return 0;
}

/* ns: "NAME INODE" per namespace, "NAME ERRNO" when the link is unreadable. */
static int cmd_ns(int argc, char **argv)
{
	static const char *const names[] = {
		"user", "mnt", "pid", "net", "uts", "ipc", "cgroup",
	};
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		char path[64], target[128];
		const char *open_br;
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
		len = readlink(path, target, sizeof(target) - 1);
		if (len < 0) {
			printf("%s %s\n", names[i], errno_name(errno));
			continue;
		}
		target[len] = '\0';
		/* "user:[4026531837]" */
		open_br = strchr(target, '[');
		printf("%s %.*s\n", names[i], open_br ? (int)strcspn(open_br + 1, "]") : (int)len,
		       open_br ? open_br + 1 : target);
	}
	return 0;
}

/* rlimits: "NAME SOFT HARD" with "unlimited" for RLIM_INFINITY. */
static int cmd_rlimits(int argc, char **argv)
{
	static const struct num_name limits[] = {
		{ RLIMIT_AS, "as" },         { RLIMIT_CORE, "core" },
		{ RLIMIT_CPU, "cpu" },       { RLIMIT_DATA, "data" },
		{ RLIMIT_FSIZE, "fsize" },   { RLIMIT_MEMLOCK, "memlock" },
		{ RLIMIT_NOFILE, "nofile" }, { RLIMIT_NPROC, "nproc" },
		{ RLIMIT_RSS, "rss" },       { RLIMIT_STACK, "stack" },
	};
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		struct rlimit rl;
		char soft[32], hard[32];

		if (getrlimit((__rlimit_resource_t)limits[i].num, &rl) < 0) {
			printf("%s %s\n", limits[i].name, errno_name(errno));
			continue;
		}
		if (rl.rlim_cur == RLIM_INFINITY)
			snprintf(soft, sizeof(soft), "unlimited");
		else
			snprintf(soft, sizeof(soft), "%llu", (unsigned long long)rl.rlim_cur);
		if (rl.rlim_max == RLIM_INFINITY)
			snprintf(hard, sizeof(hard), "unlimited");
		else
			snprintf(hard, sizeof(hard), "%llu", (unsigned long long)rl.rlim_max);
		printf("%s %s %s\n", limits[i].name, soft, hard);
	}
	return 0;
}

/* env: the environment, one VAR=VALUE a line. */
static int cmd_env(int argc, char **argv)
{
	char **e;

	(void)argc;
	(void)argv;
	for (e = environ; e && *e; e++)
		printf("%s\n", *e);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Resource limits                                                          */
/* ------------------------------------------------------------------------ */

/*
 * forkbomb [MAX]: fork children that pause until fork fails or MAX children
 * exist, report, then SIGKILL and reap them all.  Children die with us
 * (PR_SET_PDEATHSIG) should the probe itself be killed.
 */
static int cmd_forkbomb(int argc, char **argv)
{
	long max = 100000, count = 0, i;
	pid_t parent = getpid(), *pids;
	int fork_errno = 0;

	if (argc > 1 && !parse_long(argv[1], 0, 10000000, &max)) {
		fprintf(stderr, "pd-probe: forkbomb: bad MAX \"%s\"\n", argv[1]);
		return EXIT_USAGE;
	}
	pids = calloc((size_t)max + 1, sizeof(*pids));
	if (!pids) {
		fprintf(stderr, "pd-probe: forkbomb: out of memory\n");
		return EXIT_PROBE_FAILED;
	}
	fflush(stdout);
	while (count < max) {
		pid_t pid = fork();

		if (pid < 0) {
			fork_errno = errno;
			break;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			if (getppid() != parent)
				_exit(0);
			for (;;)
				pause();
		}
		pids[count++] = pid;
	}
	printf("forked %ld\n", count);
	printf("fork-error %s\n", fork_errno ? errno_name(fork_errno) : "none");
	fflush(stdout);
	for (i = 0; i < count; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < count; i++)
		reap(pids[i]);
	free(pids);
	return 0;
}

/*
 * alloc MIB: allocate and touch MIB MiB, one MiB at a time.  Under a cgroup
 * memory limit the OOM killer may end the probe (SIGKILL) before it prints.
 */
static int cmd_alloc(int argc, char **argv)
{
	const size_t chunk = 1024 * 1024;
	long mib, done = 0, i;
	void **blocks;
	int alloc_errno = 0;

	(void)argc;
	if (!parse_long(argv[1], 0, 1L << 24, &mib)) {
		fprintf(stderr, "pd-probe: alloc: bad MIB \"%s\"\n", argv[1]);
		return EXIT_USAGE;
	}
	blocks = calloc((size_t)mib + 1, sizeof(*blocks));
	if (!blocks) {
		fprintf(stderr, "pd-probe: alloc: out of memory for the index\n");
		return EXIT_PROBE_FAILED;
	}
	while (done < mib) {
		void *p = malloc(chunk);

		if (!p) {
			alloc_errno = errno ? errno : ENOMEM;
			break;
		}
		memset(p, 0xa5, chunk);
		blocks[done++] = p;
	}
	printf("allocated %ld\n", done);
	printf("alloc-error %s\n", alloc_errno ? errno_name(alloc_errno) : "none");
	for (i = 0; i < done; i++)
		free(blocks[i]);
	free(blocks);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

/* write PATH: create/truncate and write "x"; "write ok" or "write ERRNO". */
static int cmd_write(int argc, char **argv)
{
	int fd, e = 0;

	(void)argc;
	fd = open(argv[1], O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
	} else {
		if (write_all(fd, "x", 1) < 0)
			e = errno;
		if (close(fd) < 0 && !e && errno != EINTR)
			e = errno;
	}
	if (e)
		printf("write %s\n", errno_name(e));
	else
		printf("write ok\n");
	return 0;
}

/*
 * fallocate PATH MIB: create PATH (mode 0644) and allocate MIB MiB for it
 * (fallocate(2), mode 0): "fallocate ok" or "fallocate ERRNO".  On a tmpfs
 * the kernel checks the size against the filesystem's size= first, so a
 * request larger than the whole filesystem fails with ENOSPC at once,
 * without allocating (or being charged for) anything.
 */
static int cmd_fallocate(int argc, char **argv)
{
	long mib;
	int fd, e = 0;

	(void)argc;
	if (!parse_long(argv[2], 1, 1L << 24, &mib)) {
		fprintf(stderr, "pd-probe: fallocate: bad MIB \"%s\"\n", argv[2]);
		return EXIT_USAGE;
	}
	fd = open(argv[1], O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
	} else {
		if (fallocate(fd, 0, 0, (off_t)mib * 1024 * 1024) < 0)
			e = errno;
		close(fd);
	}
	if (e)
		printf("fallocate %s\n", errno_name(e));
	else
		printf("fallocate ok\n");
	return 0;
}

/*
 * pipe-fill PATH: for the host side of a test: open the pipe or FIFO at PATH
 * (e.g. /proc/PID/fd/N of a reader) without blocking and print "pipe USED
 * SIZE": the bytes waiting in it (FIONREAD) and its capacity (F_GETPIPE_SZ).
 * "pipe ERRNO" when it cannot be opened or is no pipe.
 */
static int cmd_pipe_fill(int argc, char **argv)
{
	int fd, used, size;

	(void)argc;
	fd = open(argv[1], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		printf("pipe %s\n", errno_name(errno));
		return 0;
	}
	size = fcntl(fd, F_GETPIPE_SZ);
	if (size < 0 || ioctl(fd, FIONREAD, &used) < 0)
		printf("pipe %s\n", errno_name(errno));
	else
		printf("pipe %d %d\n", used, size);
	close(fd);
	return 0;
}

/* read PATH: "read N bytes" (whole file) or "read ERRNO". */
static int cmd_read(int argc, char **argv)
{
	char buf[8192];
	long long total = 0;
	ssize_t n;
	int fd;

	(void)argc;
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("read %s\n", errno_name(errno));
		return 0;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	if (n < 0)
		printf("read %s\n", errno_name(errno));
	else
		printf("read %lld bytes\n", total);
	close(fd);
	return 0;
}

/* cat PATH: the file's bytes on stdout, or "cat ERRNO". */
static int cmd_cat(int argc, char **argv)
{
	(void)argc;
	if (cat_path(argv[1]) < 0)
		printf("cat %s\n", errno_name(errno));
	return 0;
}

/* readlink PATH: "readlink TARGET" or "readlink ERRNO". */
static int cmd_readlink(int argc, char **argv)
{
	char target[PATH_MAX];
	ssize_t len;

	(void)argc;
	len = readlink(argv[1], target, sizeof(target) - 1);
	if (len < 0) {
		printf("readlink %s\n", errno_name(errno));
		return 0;
	}
	target[len] = '\0';
	printf("readlink %s\n", target);
	return 0;
}

/* mountinfo: /proc/self/mountinfo verbatim. */
static int cmd_mountinfo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (cat_path("/proc/self/mountinfo") < 0) {
		fprintf(stderr, "pd-probe: mountinfo: %s\n", errno_name(errno));
		return EXIT_PROBE_FAILED;
	}
	return 0;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * dev: the entries of /dev (one level), sorted bytewise:
 *   NAME char MAJ:MIN | NAME block MAJ:MIN | NAME dir | NAME link TARGET |
 *   NAME file | NAME socket | NAME fifo
 */
static int cmd_dev(int argc, char **argv)
{
	struct dirent **list;
	int n, i, dfd;

	(void)argc;
	(void)argv;
	dfd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	n = dfd < 0 ? -1 : scandir("/dev", &list, NULL, name_cmp);
	if (n < 0) {
		fprintf(stderr, "pd-probe: dev: /dev: %s\n", errno_name(errno));
		if (dfd >= 0)
			close(dfd);
		return EXIT_PROBE_FAILED;
	}
	for (i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char target[PATH_MAX];
		struct stat st;
		ssize_t len;

		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			free(list[i]);
			continue;
		}
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			printf("%s %s\n", name, errno_name(errno));
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			printf("%s %s %u:%u\n", name, S_ISCHR(st.st_mode) ? "char" : "block",
			       major(st.st_rdev), minor(st.st_rdev));
		} else if (S_ISLNK(st.st_mode)) {
			len = readlinkat(dfd, name, target, sizeof(target) - 1);
			target[len < 0 ? 0 : len] = '\0';
			printf("%s link %s\n", name, target);
		} else {
			printf("%s %s\n", name,
			       S_ISDIR(st.st_mode)    ? "dir"
			       : S_ISREG(st.st_mode)  ? "file"
			       : S_ISSOCK(st.st_mode) ? "socket"
			       : S_ISFIFO(st.st_mode) ? "fifo"
						      : "unknown");
		}
		free(list[i]);
	}
	free(list);
	close(dfd);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Signals and terminals                                                    */
/* ------------------------------------------------------------------------ */

/* wait-signal: "ready", then "signal NAME" for the first of the set. */
static int cmd_wait_signal(int argc, char **argv)
{
	static const int sigs[] = {
		SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT,
	};
	int sig;

	(void)argc;
	(void)argv;
	sig = wait_for_signals(sigs, ARRAY_SIZE(sigs));
	if (sig < 0) {
		fprintf(stderr, "pd-probe: wait-signal: %s\n", errno_name(errno));
		return EXIT_PROBE_FAILED;
	}
	printf("signal %s\n", signal_name(sig));
	return 0;
}

static int cmd_winsize(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print_winsize(STDIN_FILENO);
	return 0;
}

/* wait-winch: "ready", then after SIGWINCH the new "rows R cols C". */
static int cmd_wait_winch(int argc, char **argv)
{
	static const int sigs[] = { SIGWINCH };

	(void)argc;
	(void)argv;
	if (wait_for_signals(sigs, 1) < 0) {
		fprintf(stderr, "pd-probe: wait-winch: %s\n", errno_name(errno));
		return EXIT_PROBE_FAILED;
	}
	print_winsize(STDIN_FILENO);
	return 0;
}

static int cmd_isatty(int argc, char **argv)
{
	int fd;

	(void)argc;
	(void)argv;
	for (fd = 0; fd <= 2; fd++)
		printf("isatty %d %s\n", fd, isatty(fd) ? "yes" : "no");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Exit status, time, network                                               */
/* ------------------------------------------------------------------------ */

static int cmd_exit(int argc, char **argv)
{
	long code;

	(void)argc;
	if (!parse_long(argv[1], 0, 255, &code)) {
		fprintf(stderr, "pd-probe: exit: bad status \"%s\"\n", argv[1]);
		return EXIT_USAGE;
	}
	return (int)code;
}

/*
 * kill-self SIG: die of SIG with its default action.  As pid 1 of a pid
 * namespace the kernel ignores such a signal; the probe then prints
 * "kill-self survived" and exits 1.
 */
/* traceme: make the parent (init) our tracer, stop on a signal, go on. */
static int cmd_traceme(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0) {
		printf("traceme %s\n", errno_name(errno));
		return 0;
	}
	raise(SIGWINCH); /* a traced process stops on every signal */
	raise(SIGURG);
	printf("traceme survived\n");
	return 0;
}

static int cmd_kill_self(int argc, char **argv)
{
	int sig = signal_from_name(argv[1]);
	sigset_t set;

	(void)argc;
	if (sig < 0) {
		fprintf(stderr, "pd-probe: kill-self: unknown signal \"%s\"\n", argv[1]);
		return EXIT_USAGE;
	}
	fflush(stdout);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	printf("kill-self survived\n");
	return EXIT_PROBE_FAILED;
}

static int cmd_sleep(int argc, char **argv)
{
	struct timespec ts;
	char *end;
	double s;

	(void)argc;
	errno = 0;
	s = strtod(argv[1], &end);
	if (errno || *end || end == argv[1] || !(s >= 0 && s < 1e9)) {
		fprintf(stderr, "pd-probe: sleep: bad SECONDS \"%s\"\n", argv[1]);
		return EXIT_USAGE;
	}
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

/*
 * connect ADDR PORT [TIMEOUT]: TCP connect to a numeric IPv4 or IPv6 address
 * (no name resolution in a static binary); "connect ok" or "connect ERRNO"
 * (ETIMEDOUT after TIMEOUT seconds, default 5).
 */
static int cmd_connect(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	long port, timeout = 5;
	struct pollfd pfd;
	socklen_t len;
	int fd, e = 0, r;

	if (!parse_long(argv[2], 1, 65535, &port) ||
	    (argc > 3 && !parse_long(argv[3], 1, 3600, &timeout))) {
		fprintf(stderr, "pd-probe: connect: bad PORT or TIMEOUT\n");
		return EXIT_USAGE;
	}
	if (inet_pton(AF_INET, argv[1], &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, argv[1], &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else {
		fprintf(stderr, "pd-probe: connect: \"%s\" is not a numeric address\n", argv[1]);
		return EXIT_USAGE;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		printf("connect %s\n", errno_name(errno));
		return 0;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		e = errno;
		if (e == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do
				r = poll(&pfd, 1, (int)timeout * 1000);
			while (r < 0 && errno == EINTR);
			if (r == 0) {
				e = ETIMEDOUT;
			} else {
				socklen_t elen = sizeof(e);

				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
					e = errno;
			}
		}
	}
	close(fd);
	if (e)
		printf("connect %s\n", errno_name(e));
	else
		printf("connect ok\n");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Network clients: raw TCP, TLS ClientHello, UDP, DNS, ICMP                */
/* ------------------------------------------------------------------------ */

/* now_ms() - CLOCK_MONOTONIC in milliseconds. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* make_sockaddr() - numeric IPv4/IPv6 @addr and @port; false if not numeric. */
static bool make_sockaddr(const char *addr, long port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return true;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return true;
	}
	return false;
}

/*
 * tcp_dial() - a TCP connection to @ss within @timeout_s seconds, left
 * non-blocking.  Return: the fd, or -1 with errno (ETIMEDOUT on timeout).
 */
static int tcp_dial(const struct sockaddr_storage *ss, socklen_t len, long timeout_s)
{
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int fd, e = 0, r;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, len) < 0) {
		e = errno;
		if (e == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do
				r = poll(&pfd, 1, (int)timeout_s * 1000);
			while (r < 0 && errno == EINTR);
			if (r == 0)
				e = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
				e = errno;
		}
	}
	if (e) {
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * recv_until() - read into @buf (at most @cap bytes) until @stop returns
 * true for what was read, EOF, an error or @deadline (now_ms()).
 * Return: bytes read; *@end is 0 (stop or full), 1 (EOF), -1 (timeout) or
 * an errno value.
 */
static size_t recv_until(int fd, uint8_t *buf, size_t cap, long long deadline,
			 bool (*stop)(const uint8_t *, size_t), int *end)
{
	size_t got = 0;

	*end = 0;
	while (got < cap && !(stop && stop(buf, got))) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			*end = -1;
			break;
		}
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			*end = -1;
			break;
		}
		n = recv(fd, buf + got, cap - got, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			*end = errno;
			break;
		}
		if (n == 0) {
			*end = 1;
			break;
		}
		got += (size_t)n;
	}
	return got;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* unescape() - \r \n \t \0 \\ \xHH of @s into @out (as long as @s). */
static bool unescape(const char *s, uint8_t *out, size_t *len)
{
	size_t k = 0;

	for (; *s; s++) {
		if (*s != '\\') {
			out[k++] = (uint8_t)*s;
			continue;
		}
		switch (*++s) {
		case 'r':
			out[k++] = '\r';
			break;
		case 'n':
			out[k++] = '\n';
			break;
		case 't':
			out[k++] = '\t';
			break;
		case '0':
			out[k++] = '\0';
			break;
		case '\\':
			out[k++] = '\\';
			break;
		case 'x':
			if (hexval(s[1]) < 0 || hexval(s[2]) < 0)
				return false;
			out[k++] = (uint8_t)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
			break;
		default:
			return false;
		}
	}
	*len = k;
	return true;
}

static int send_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			(void)poll(&pfd, 1, 1000);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* print_end() - "end eof", "end timeout" or "end ERRNO" for recv_until's @end. */
static void print_end(int end)
{
	printf("end %s\n", end == 1    ? "eof"
			   : end == -1 ? "timeout"
			   : end == 0  ? "full"
				       : errno_name(end));
}

/*
 * tcp ADDR PORT [DATA [TIMEOUT]]: a TCP connection to a numeric address:
 * "connect ok" or "connect ERRNO", then "connect-ms N" (how long connect
 * took).  With DATA (escapes \r \n \t \0 \\ \xHH): send it, then print what
 * comes back verbatim until the peer closes or TIMEOUT seconds (default 5)
 * pass, a newline if it did not end with one, and "end eof", "end timeout"
 * or "end ERRNO" (ECONNRESET for a reset; "end full" after 1 MiB), and
 * "end-ms N": how long after the send that was.
 */
static int cmd_tcp(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	struct sockaddr_storage ss;
	socklen_t len;
	long port, timeout = 5;
	long long t0;
	size_t dlen = 0, got;
	uint8_t *data = NULL;
	int fd, end;

	if (!parse_long(argv[2], 1, 65535, &port) ||
	    (argc > 4 && !parse_long(argv[4], 1, 3600, &timeout)) ||
	    !make_sockaddr(argv[1], port, &ss, &len)) {
		fprintf(stderr, "pd-probe: tcp: bad ADDR, PORT or TIMEOUT\n");
		return EXIT_USAGE;
	}
	if (argc > 3) {
		data = malloc(strlen(argv[3]) + 1);
		if (!data || !unescape(argv[3], data, &dlen)) {
			fprintf(stderr, "pd-probe: tcp: bad escape in DATA\n");
			free(data);
			return EXIT_USAGE;
		}
	}
	t0 = now_ms();
	fd = tcp_dial(&ss, len, timeout);
	printf("connect %s\n", fd < 0 ? errno_name(errno) : "ok");
	printf("connect-ms %lld\n", now_ms() - t0);
	if (fd < 0 || !data) {
		free(data);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (send_all(fd, data, dlen) < 0) {
		printf("send %s\n", errno_name(errno));
		free(data);
		close(fd);
		return 0;
	}
	free(data);
	t0 = now_ms();
	got = recv_until(fd, buf, sizeof(buf), t0 + timeout * 1000, NULL, &end);
	fwrite(buf, 1, got, stdout);
	if (got && buf[got - 1] != '\n')
		putchar('\n');
	print_end(end);
	printf("end-ms %lld\n", now_ms() - t0);
	close(fd);
	return 0;
}

static bool head_complete(const uint8_t *b, size_t n)
{
	return n >= 4 && !memcmp(b + n - 4, "\r\n\r\n", 4);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* client_hello() - a TLS 1.2 ClientHello record naming @sni; its length. */
static size_t client_hello(uint8_t *out, const char *sni)
{
	static const uint8_t suites[] = { 0xc0, 0x2f, 0xc0, 0x30, 0xc0, 0x2b, 0xc0, 0x2c,
					  0x00, 0x9c, 0x00, 0x9d, 0x00, 0x2f, 0x00, 0x35 };
	static const uint8_t tail_ext[] = {
		0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, /* groups */
		0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, /* point formats */
		0x00, 0x0d, 0x00, 0x0e, 0x00, 0x0c, 0x08, 0x04, 0x08, 0x05, 0x04, 0x01,
		0x05, 0x01, 0x04, 0x03, 0x05, 0x03, /* signature algorithms */
		0x00, 0x17, 0x00, 0x00,             /* extended master secret */
	};
	size_t sl = strlen(sni), k = 0, ext_at, hs_at;

	out[k++] = 0x16;
	out[k++] = 0x03;
	out[k++] = 0x01;
	k += 2; /* record length */
	hs_at = k;
	out[k++] = 0x01;
	k += 3; /* handshake length */
	out[k++] = 0x03;
	out[k++] = 0x03;
	for (int i = 0; i < 32; i++)
		out[k++] = (uint8_t)(rand() & 0xff);
	out[k++] = 0; /* no session id */
	put16(out + k, sizeof(suites));
	k += 2;
	memcpy(out + k, suites, sizeof(suites));
	k += sizeof(suites);
	out[k++] = 1;
	out[k++] = 0; /* null compression */
	ext_at = k;
	k += 2;
	if (sl) {
		put16(out + k, 0);
		put16(out + k + 2, sl + 5);
		put16(out + k + 4, sl + 3);
		out[k + 6] = 0;
		put16(out + k + 7, sl);
		memcpy(out + k + 9, sni, sl);
		k += 9 + sl;
	}
	memcpy(out + k, tail_ext, sizeof(tail_ext));
	k += sizeof(tail_ext);
	put16(out + ext_at, k - ext_at - 2);
	put16(out + 3, k - 5);
	out[hs_at + 1] = (uint8_t)((k - hs_at - 4) >> 16);
	put16(out + hs_at + 2, k - hs_at - 4);
	return k;
}

/*
 * tls-hello ADDR PORT SNI [TARGET]: connect; with TARGET (host:port) first
 * ask for a tunnel ("CONNECT TARGET") and print "proxy STATUS-LINE" (and
 * stop there unless it is a 200); send a TLS 1.2 ClientHello with server
 * name SNI ("-": none) and print how the first record back begins:
 * "tls serverhello" (a handshake record holding a ServerHello), "tls alert",
 * "tls record 0xNN", "tls eof", "tls timeout" or "tls ERRNO".
 * "connect ERRNO" when the connection fails.  Nothing is verified.
 */
static int cmd_tls_hello(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint8_t hello[600], head[4096];
	size_t n, got;
	long port;
	int fd, end;

	if (!parse_long(argv[2], 1, 65535, &port) || !make_sockaddr(argv[1], port, &ss, &len) ||
	    strlen(argv[3]) > 255 || (argc > 4 && strlen(argv[4]) > 300)) {
		fprintf(stderr, "pd-probe: tls-hello: bad ADDR, PORT, SNI or TARGET\n");
		return EXIT_USAGE;
	}
	srand((unsigned)now_ms());
	fd = tcp_dial(&ss, len, 5);
	if (fd < 0) {
		printf("connect %s\n", errno_name(errno));
		return 0;
	}
	if (argc > 4) {
		char req[700];
		char *eol;

		snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", argv[4],
			 argv[4]);
		if (send_all(fd, (const uint8_t *)req, strlen(req)) < 0) {
			printf("send %s\n", errno_name(errno));
			close(fd);
			return 0;
		}
		got = recv_until(fd, head, sizeof(head) - 1, now_ms() + 10000, head_complete, &end);
		head[got] = '\0';
		eol = strstr((char *)head, "\r\n");
		if (eol)
			*eol = '\0';
		printf("proxy %s\n", got ? (char *)head : "(nothing)");
		if (!eol || strncmp((char *)head, "HTTP/1.1 200 ", 13)) {
			close(fd);
			return 0;
		}
	}
	n = client_hello(hello, strcmp(argv[3], "-") ? argv[3] : "");
	if (send_all(fd, hello, n) < 0) {
		printf("tls %s\n", errno_name(errno));
		close(fd);
		return 0;
	}
	got = recv_until(fd, head, 6, now_ms() + 10000, NULL, &end);
	if (got == 6 && head[0] == 0x16 && head[5] == 0x02)
		printf("tls serverhello\n");
	else if (got >= 1 && head[0] == 0x15)
		printf("tls alert\n");
	else if (got >= 1)
		printf("tls record 0x%02x\n", head[0]);
	else
		printf("tls %s\n", end == 1 ? "eof" : end == -1 ? "timeout" : errno_name(end));
	close(fd);
	return 0;
}

/* udp ADDR PORT: send one datagram: "udp ok" or "udp ERRNO". */
static int cmd_udp(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long port;
	int fd;

	(void)argc;
	if (!parse_long(argv[2], 1, 65535, &port) || !make_sockaddr(argv[1], port, &ss, &len)) {
		fprintf(stderr, "pd-probe: udp: bad ADDR or PORT\n");
		return EXIT_USAGE;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		printf("udp %s\n", errno_name(errno));
		return 0;
	}
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0)
		printf("udp %s\n", errno_name(errno));
	else
		printf("udp ok\n");
	close(fd);
	return 0;
}

/*
 * icmp ADDR: an echo request to a numeric IPv4 address, through an ICMP
 * datagram socket and through a raw socket: "icmp-dgram ok|ERRNO" and
 * "icmp-raw ok|ERRNO" (the errno of socket() or sendto()).
 */
static int cmd_icmp(int argc, char **argv)
{
	static const int types[] = { SOCK_DGRAM, SOCK_RAW };
	uint8_t pkt[8] = { 8, 0, 0xf7, 0xfe, 0, 1, 0, 0 }; /* type 8, checksum of the rest */
	struct sockaddr_in sin = { .sin_family = AF_INET };
	size_t i;

	(void)argc;
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "pd-probe: icmp: \"%s\" is not an IPv4 address\n", argv[1]);
		return EXIT_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		const char *name = types[i] == SOCK_DGRAM ? "icmp-dgram" : "icmp-raw";
		int fd = socket(AF_INET, types[i] | SOCK_CLOEXEC, IPPROTO_ICMP);

		if (fd < 0) {
			printf("%s %s\n", name, errno_name(errno));
			continue;
		}
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			printf("%s %s\n", name, errno_name(errno));
		else
			printf("%s ok\n", name);
		close(fd);
	}
	return 0;
}

static const struct num_name dns_types[] = {
	{ 1, "A" },    { 2, "NS" },     { 5, "CNAME" }, { 6, "SOA" },
	{ 12, "PTR" }, { 15, "MX" },    { 16, "TXT" },  { 28, "AAAA" },
	{ 33, "SRV" }, { 65, "HTTPS" }, { 255, "ANY" },
};

static const char *const dns_rcodes[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
};

/* dns_skip_name() - the offset after the (possibly compressed) name at @off, or 0. */
static size_t dns_skip_name(const uint8_t *m, size_t n, size_t off)
{
	while (off < n) {
		if ((m[off] & 0xc0) == 0xc0)
			return off + 2 <= n ? off + 2 : 0;
		if (m[off] == 0)
			return off + 1;
		off += 1 + (size_t)m[off];
	}
	return 0;
}

/* dns_query() - one query and its answer in @ans; its length, or -1 with errno. */
static ssize_t dns_query(const struct sockaddr_in *srv, bool tcp, const uint8_t *q, size_t qlen,
			 uint8_t *ans, size_t cap)
{
	int fd, end;
	size_t got;
	ssize_t n = -1;

	if (tcp) {
		uint8_t framed[600];

		fd = tcp_dial((const struct sockaddr_storage *)srv, sizeof(*srv), 5);
		if (fd < 0)
			return -1;
		put16(framed, qlen);
		memcpy(framed + 2, q, qlen);
		if (send_all(fd, framed, qlen + 2) == 0) {
			got = recv_until(fd, ans, 2, now_ms() + 5000, NULL, &end);
			if (got == 2) {
				size_t want = ((size_t)ans[0] << 8 | ans[1]);

				if (want > cap)
					want = cap;
				got = recv_until(fd, ans, want, now_ms() + 5000, NULL, &end);
				if (got == want)
					n = (ssize_t)got;
			}
			if (n < 0)
				errno = end > 1 ? end : end == -1 ? ETIMEDOUT : EPROTO;
		}
		close(fd);
		return n;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)srv, sizeof(*srv)) == 0 &&
	    send(fd, q, qlen, 0) >= 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r;

		do
			r = poll(&pfd, 1, 3000);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			errno = ETIMEDOUT;
		else if (r > 0)
			n = recv(fd, ans, cap, 0);
	}
	end = errno;
	close(fd);
	errno = end;
	return n;
}

/*
 * dns [tcp:]SERVER NAME TYPE [COUNT]: ask the IPv4 DNS server SERVER (port
 * 53; "tcp:" over TCP) for NAME's TYPE (A, AAAA, MX, TXT, ANY, ... or a
 * number): "rcode NAME", "answers N", then one line per answer: "A ADDR",
 * "AAAA ADDR" or "TYPE N"; "dns ERRNO" when nothing came back.  COUNT > 1:
 * ask COUNT times and print only "answered N of COUNT".
 */
static int cmd_dns(int argc, char **argv)
{
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(53) };
	const char *server = argv[1], *name = argv[2];
	uint8_t q[600], ans[65536];
	long type = -1, count = 1, answered = 0;
	size_t k = 12, i;
	bool tcp = false;

	if (!strncmp(server, "tcp:", 4)) {
		tcp = true;
		server += 4;
	}
	for (i = 0; i < ARRAY_SIZE(dns_types); i++)
		if (!strcmp(argv[3], dns_types[i].name))
			type = dns_types[i].num;
	if ((type < 0 && !parse_long(argv[3], 0, 65535, &type)) ||
	    (argc > 4 && !parse_long(argv[4], 1, 1000000, &count)) ||
	    inet_pton(AF_INET, server, &srv.sin_addr) != 1 || strlen(name) > 500) {
		fprintf(stderr, "pd-probe: dns: bad SERVER, TYPE or COUNT\n");
		return EXIT_USAGE;
	}
	memset(q, 0, 12);
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* one question */
	for (const char *p = name; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l > 63) {
			fprintf(stderr, "pd-probe: dns: label too long\n");
			return EXIT_USAGE;
		}
		if (l) {
			q[k++] = (uint8_t)l;
			memcpy(q + k, p, l);
			k += l;
		}
		p += l + (dot ? 1 : 0);
	}
	q[k++] = 0;
	put16(q + k, (size_t)type);
	put16(q + k + 2, 1);
	k += 4;
	srand((unsigned)now_ms() ^ (unsigned)getpid());
	for (long round = 0; round < count; round++) {
		ssize_t n;
		size_t off, an;
		unsigned rc;

		put16(q, (size_t)(rand() & 0xffff));
		n = dns_query(&srv, tcp, q, k, ans, sizeof(ans));
		if (n < 12 || ans[0] != q[0] || ans[1] != q[1] || !(ans[2] & 0x80)) {
			if (count == 1)
				printf("dns %s\n", n < 0 ? errno_name(errno) : "bad-answer");
			continue;
		}
		answered++;
		if (count > 1)
			continue;
		rc = ans[3] & 0x0f;
		an = (size_t)ans[6] << 8 | ans[7];
		if (rc < ARRAY_SIZE(dns_rcodes))
			printf("rcode %s\n", dns_rcodes[rc]);
		else
			printf("rcode %u\n", rc);
		printf("answers %zu\n", an);
		off = dns_skip_name(ans, (size_t)n, 12);
		off = off ? off + 4 : 0;
		for (i = 0; i < an && off && off < (size_t)n; i++) {
			size_t rdlen;
			unsigned t;
			char text[INET6_ADDRSTRLEN];

			off = dns_skip_name(ans, (size_t)n, off);
			if (!off || off + 10 > (size_t)n)
				break;
			t = (unsigned)ans[off] << 8 | ans[off + 1];
			rdlen = (size_t)ans[off + 8] << 8 | ans[off + 9];
			off += 10;
			if (off + rdlen > (size_t)n)
				break;
			if (t == 1 && rdlen == 4)
				printf("A %s\n", inet_ntop(AF_INET, ans + off, text, sizeof(text)));
			else if (t == 28 && rdlen == 16)
				printf("AAAA %s\n",
				       inet_ntop(AF_INET6, ans + off, text, sizeof(text)));
			else
				printf("TYPE %u\n", t);
			off += rdlen;
		}
	}
	if (count > 1)
		printf("answered %ld of %ld\n", answered, count);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Privilege, keys, mounts                                                  */
/* ------------------------------------------------------------------------ */

/*
 * become UID GID: try setgroups([GID]), setresgid(GID x3) and setresuid(UID
 * x3), in that order, each attempted whatever the previous gave; prints
 * "setgroups ok|ERRNO", "setresgid ok|ERRNO", "setresuid ok|ERRNO", then the
 * resulting "uid=R,E,S gid=R,E,S".  Only privilege (or a setuid/setgid exec
 * that left the target id saved) lets these succeed.
 */
static int cmd_become(int argc, char **argv)
{
	long uid, gid;
	uid_t r, e, s;
	gid_t rg, eg, sg, g;

	(void)argc;
	if (!parse_long(argv[1], 0, UINT32_MAX - 1, &uid) ||
	    !parse_long(argv[2], 0, UINT32_MAX - 1, &gid)) {
		fprintf(stderr, "pd-probe: become: bad UID or GID\n");
		return EXIT_USAGE;
	}
	g = (gid_t)gid;
	/* Raw syscalls: glibc's wrappers would act on every thread (one here). */
	printf("setgroups %s\n", syscall(SYS_setgroups, 1L, &g) < 0 ? errno_name(errno) : "ok");
	printf("setresgid %s\n",
	       syscall(SYS_setresgid, gid, gid, gid) < 0 ? errno_name(errno) : "ok");
	printf("setresuid %s\n",
	       syscall(SYS_setresuid, uid, uid, uid) < 0 ? errno_name(errno) : "ok");
	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	printf("uid=%u,%u,%u gid=%u,%u,%u\n", r, e, s, rg, eg, sg);
	return 0;
}

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif
#ifndef KEY_SPEC_SESSION_KEYRING
#define KEY_SPEC_SESSION_KEYRING -3
#endif

/*
 * hold-key DESC: for the host side of a test.  Join a new anonymous session
 * keyring, add a "user" key DESC to it, print "key SERIAL" and "ready", and
 * wait for SIGTERM, SIGINT or SIGHUP.
 * The key lives as long as the keyring, that is as long as this process: it
 * needs no cleanup.  "hold-key ERRNO" (exit 1) when the kernel refuses.
 */
static int cmd_hold_key(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	long serial;

	(void)argc;
	if (syscall(SYS_keyctl, (long)KEYCTL_JOIN_SESSION_KEYRING, NULL, 0L, 0L, 0L) < 0) {
		printf("hold-key %s\n", errno_name(errno));
		return EXIT_PROBE_FAILED;
	}
	serial = syscall(SYS_add_key, "user", argv[1], "pd-probe", 8L,
			 (long)KEY_SPEC_SESSION_KEYRING);
	if (serial < 0) {
		printf("hold-key %s\n", errno_name(errno));
		return EXIT_PROBE_FAILED;
	}
	printf("key %lx\n", serial);
	if (wait_for_signals(sigs, ARRAY_SIZE(sigs)) < 0)
		return EXIT_PROBE_FAILED;
	return 0;
}

/*
 * nested-remount PATH ro|rw: in a new user and mount namespace (where the
 * probe holds CAP_SYS_ADMIN over the mounts it sees), remount the mount at
 * PATH read-only or read-write, keeping its other per-mount flags (nosuid,
 * nodev, noexec, atime), so that only the read-only flag is asked to change.
 * Prints "unshare ERRNO" when the namespaces cannot be made, else
 * "remount ok|ERRNO".  The kernel refuses (EPERM) to clear a read-only flag
 * that was locked when the mount was copied into the less privileged
 * namespace; setting it, or clearing an unlocked one, succeeds.
 */
static int cmd_nested_remount(int argc, char **argv)
{
	static const struct {
		unsigned long st, ms;
	} keep[] = {
		{ ST_NOSUID, MS_NOSUID },         { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },         { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	unsigned long flags = MS_REMOUNT | MS_BIND;
	struct statvfs sv;
	size_t i;

	(void)argc;
	if (strcmp(argv[2], "ro") && strcmp(argv[2], "rw")) {
		fprintf(stderr, "pd-probe: nested-remount: ro or rw, not \"%s\"\n", argv[2]);
		return EXIT_USAGE;
	}
	if (statvfs(argv[1], &sv) < 0) {
		fprintf(stderr, "pd-probe: nested-remount: statvfs \"%s\": %s\n", argv[1],
			errno_name(errno));
		return EXIT_PROBE_FAILED;
	}
	for (i = 0; i < ARRAY_SIZE(keep); i++)
		if (sv.f_flag & keep[i].st)
			flags |= keep[i].ms;
	if (!strcmp(argv[2], "ro"))
		flags |= MS_RDONLY;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		printf("unshare %s\n", errno_name(errno));
		return 0;
	}
	if (mount(NULL, argv[1], NULL, flags, NULL) < 0)
		printf("remount %s\n", errno_name(errno));
	else
		printf("remount ok\n");
	return 0;
}

/*
 * listen PORT: a TCP listener on 127.0.0.1:PORT for one connection: prints
 * "listening" (flushed) once it accepts connections, then "got TEXT" with
 * what the peer sent until it closed (newlines as "\n"), or "listen ERRNO".
 */
static int cmd_listen(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[4096];
	size_t got = 0, i;
	long port;
	int fd, c, one = 1;
	ssize_t n;

	(void)argc;
	if (!parse_long(argv[1], 1, 65535, &port)) {
		fprintf(stderr, "pd-probe: listen: bad PORT \"%s\"\n", argv[1]);
		return EXIT_USAGE;
	}
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 1) < 0) {
		printf("listen %s\n", errno_name(errno));
		return 0;
	}
	printf("listening\n");
	fflush(stdout);
	do
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	if (c < 0) {
		printf("listen %s\n", errno_name(errno));
		return 0;
	}
	for (;;) {
		n = read(c, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(buf) - 1)
			break;
	}
	printf("got ");
	for (i = 0; i < got; i++)
		if (buf[i] == '\n')
			printf("\\n");
		else
			putchar(buf[i]);
	printf("\n");
	close(c);
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * The subcommand table.  min_args/max_args count the words after the
 * subcommand name (max_args -1: unlimited).  Handlers get argv[0] = the
 * subcommand name and return the exit status.
 */
static const struct subcommand {
	const char *name;
	int min_args, max_args;
	int (*fn)(int argc, char **argv);
	const char *usage;
} subcommands[] = {
	{ "try-syscall", 1, -1, cmd_try_syscall, "NAME... | --list" },
	{ "status", 0, 0, cmd_status, "" },
	{ "fds", 0, 0, cmd_fds, "" },
	{ "ns", 0, 0, cmd_ns, "" },
	{ "rlimits", 0, 0, cmd_rlimits, "" },
	{ "env", 0, 0, cmd_env, "" },
	{ "forkbomb", 0, 1, cmd_forkbomb, "[MAX]" },
	{ "alloc", 1, 1, cmd_alloc, "MIB" },
	{ "write", 1, 1, cmd_write, "PATH" },
	{ "read", 1, 1, cmd_read, "PATH" },
	{ "fallocate", 2, 2, cmd_fallocate, "PATH MIB" },
	{ "pipe-fill", 1, 1, cmd_pipe_fill, "PATH" },
	{ "cat", 1, 1, cmd_cat, "PATH" },
	{ "readlink", 1, 1, cmd_readlink, "PATH" },
	{ "dev", 0, 0, cmd_dev, "" },
	{ "mountinfo", 0, 0, cmd_mountinfo, "" },
	{ "wait-signal", 0, 0, cmd_wait_signal, "" },
	{ "winsize", 0, 0, cmd_winsize, "" },
	{ "wait-winch", 0, 0, cmd_wait_winch, "" },
	{ "isatty", 0, 0, cmd_isatty, "" },
	{ "exit", 1, 1, cmd_exit, "N" },
	{ "kill-self", 1, 1, cmd_kill_self, "SIGNAME" },
	{ "traceme", 0, 0, cmd_traceme, "" },
	{ "sleep", 1, 1, cmd_sleep, "SECONDS" },
	{ "connect", 2, 3, cmd_connect, "ADDR PORT [TIMEOUT]" },
	{ "listen", 1, 1, cmd_listen, "PORT" },
	{ "tcp", 2, 4, cmd_tcp, "ADDR PORT [DATA [TIMEOUT]]" },
	{ "tls-hello", 3, 4, cmd_tls_hello, "ADDR PORT SNI|- [HOST:PORT]" },
	{ "udp", 2, 2, cmd_udp, "ADDR PORT" },
	{ "icmp", 1, 1, cmd_icmp, "ADDR" },
	{ "dns", 3, 4, cmd_dns, "[tcp:]SERVER NAME TYPE [COUNT]" },
	{ "become", 2, 2, cmd_become, "UID GID" },
	{ "hold-key", 1, 1, cmd_hold_key, "DESC" },
	{ "nested-remount", 2, 2, cmd_nested_remount, "PATH ro|rw" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: pd-probe SUBCOMMAND [ARGS]\n");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(out, "  %s%s%s\n", subcommands[i].name, *subcommands[i].usage ? " " : "",
			subcommands[i].usage);
}

int main(int argc, char **argv)
{
	size_t i;
	int nargs;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	/* stdout is often a pipe to the test: keep lines whole and in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	nargs = argc - 2;
	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		const struct subcommand *c = &subcommands[i];

		if (strcmp(c->name, argv[1]))
			continue;
		if (nargs < c->min_args || (c->max_args >= 0 && nargs > c->max_args)) {
			fprintf(stderr, "usage: pd-probe %s%s%s\n", c->name, *c->usage ? " " : "",
				c->usage);
			return EXIT_USAGE;
		}
		return c->fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "pd-probe: unknown subcommand \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
