/* SPDX-License-Identifier: MIT */
/*
 * seccomp_profile.c - paude's default seccomp profile, as a table.
 *
 * Theory of operation.  The facts come from containers/common's default
 * profile (pkg/seccomp/seccomp.json, the one podman uses), read for a
 * process with no capabilities at all, which is what a paude sandbox runs:
 * every call podman allows only with a capability is refused with EPERM.
 * paude then tightens it (see docs/seccomp.md):
 *
 *   - the kernel keyring, the whole mount API, setns, and unshare/clone with
 *     any CLONE_NEW* flag are refused with EPERM: no nested sandboxes;
 *   - clone3 is left out, so it fails with ENOSYS and glibc falls back to
 *     clone, whose flags a filter can see (clone3 passes them in memory);
 *   - fcntl F_SETLEASE (a lease stalls every other opener of the file on
 *     the host) is refused with EPERM;
 *   - ioctl TIOCSTI and TIOCLINUX (typing into, or driving, the terminal
 *     the sandbox shares with its caller) are refused with EPERM;
 *   - socket families other than unix, inet, inet6 and netlink, and
 *     socketcall, are refused;
 *   - setting S_ISUID or S_ISGID (chmod, open/creat/mknod/mkdir modes) is
 *     refused, and openat2 left out (ENOSYS);
 *   - syslog is refused (podman allows it; moby asks for CAP_SYSLOG).
 *
 * Calls not listed fail with ENOSYS, as with podman, so that programs take
 * their fallback for "not implemented".
 *
 * libseccomp lets an unconditional rule for a syscall swallow every
 * argument-filtered rule for it, so a call is either listed unconditionally
 * or only with arguments.  The argument rules of one call cover disjoint
 * sets, so their order does not matter: ioctl in particular is allowed by
 * rules that spell out "the low 32 bits are neither TIOCSTI nor TIOCLINUX"
 * bit by bit (the kernel truncates the request to 32 bits, so the upper
 * half must not matter).  tests/unit/test_seccomp.c checks both properties.
 *
 * This table is compiled at build time (runtime/gen/seccomp-gen.c) and the
 * BPF embedded; a test checks that the two never drift apart.
 */
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

/* Rows number themselves, so that errors can name them: syscalls[N]. */
#define ROW .origin = __COUNTER__
#define NAMES(...) \
	.names = (const char *const[]){ __VA_ARGS__ }, \
	.n_names = sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)
#define ALLOW .action = { PD_SECCOMP_ALLOW, 0 }
#define DENY(e) .action = { PD_SECCOMP_ERRNO, (e) }
#define ARG(i, o, v, v2) \
	{ \
		.index = (i), .op = PD_SECCOMP_CMP_##o, .value = (v), .value2 = (v2) \
	}
#define ARGS1(a) .args = { a }, .n_args = 1
#define ARGS2(a, b) .args = { a, b }, .n_args = 2

/* Every namespace a clone or unshare flag can create. */
#define PD_CLONE_NEW_ALL \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP | CLONE_NEWTIME)
/*
 * clone(2) cannot create a time namespace: bit 0x80 of its flags is part of
 * the exit signal (CSIGNAL), which the kernel strips before looking at flags.
 */
#define PD_CLONE_NEW_CLONE (PD_CLONE_NEW_ALL & ~(uint64_t)CLONE_NEWTIME)

#define NS_ALLOW(call, mask) \
	{ \
		ROW, ALLOW, NAMES(call), ARGS1(ARG(0, MASKED_EQ, mask, 0)) \
	}
#define NS_DENY(call, flag) \
	{ \
		ROW, DENY(EPERM), NAMES(call), ARGS1(ARG(0, MASKED_EQ, flag, flag)) \
	}

/*
 * ioctl: TIOCSTI (0x5412) and TIOCLINUX (0x541C) share bits 31..4 (0x541?).
 * IOCTL_OTHER_BIT(n) allows requests whose low 32 bits first differ from
 * that prefix at bit n; IOCTL_LOW() covers the prefix's other low nibbles.
 */
#define TIOC_PREFIX 0x5410ULL
#define LOW32_FROM(n) (0xffffffffULL & ~((1ULL << (n)) - 1))
#define IOCTL_ALLOW(mask, val) \
	{ \
		ROW, ALLOW, NAMES("ioctl"), ARGS1(ARG(1, MASKED_EQ, mask, val)) \
	}
#define IOCTL_OTHER_BIT(n) IOCTL_ALLOW(LOW32_FROM(n), (TIOC_PREFIX ^ (1ULL << (n))) & LOW32_FROM(n))
#define IOCTL_LOW(width, nibble) IOCTL_ALLOW(LOW32_FROM(width), TIOC_PREFIX | (nibble))
#define IOCTL_DENY(req) \
	{ \
		ROW, DENY(EPERM), NAMES("ioctl"), ARGS1(ARG(1, MASKED_EQ, 0xffffffffULL, req)) \
	}

_Static_assert((TIOCSTI & ~0xfULL) == TIOC_PREFIX && (TIOCSTI & 0xf) == 0x2, "TIOCSTI");
_Static_assert((TIOCLINUX & ~0xfULL) == TIOC_PREFIX && (TIOCLINUX & 0xf) == 0xc, "TIOCLINUX");

/* fcntl: every command but F_SETLEASE, as "the low 32 bits first differ at bit n". */
#define FCNTL_OTHER_BIT(call, n) \
	{ \
		ROW, ALLOW, NAMES(call), \
			ARGS1(ARG(1, MASKED_EQ, LOW32_FROM(n), \
				  ((uint64_t)F_SETLEASE ^ (1ULL << (n))) & LOW32_FROM(n))) \
	}
#define FCNTL_DENY(call) \
	{ \
		ROW, DENY(EPERM), NAMES(call), ARGS1(ARG(1, MASKED_EQ, 0xffffffffULL, F_SETLEASE)) \
	}
#define FCNTL_ALLOW_OTHERS(call) \
	FCNTL_OTHER_BIT(call, 31), FCNTL_OTHER_BIT(call, 30), FCNTL_OTHER_BIT(call, 29), \
		FCNTL_OTHER_BIT(call, 28), FCNTL_OTHER_BIT(call, 27), FCNTL_OTHER_BIT(call, 26), \
		FCNTL_OTHER_BIT(call, 25), FCNTL_OTHER_BIT(call, 24), FCNTL_OTHER_BIT(call, 23), \
		FCNTL_OTHER_BIT(call, 22), FCNTL_OTHER_BIT(call, 21), FCNTL_OTHER_BIT(call, 20), \
		FCNTL_OTHER_BIT(call, 19), FCNTL_OTHER_BIT(call, 18), FCNTL_OTHER_BIT(call, 17), \
		FCNTL_OTHER_BIT(call, 16), FCNTL_OTHER_BIT(call, 15), FCNTL_OTHER_BIT(call, 14), \
		FCNTL_OTHER_BIT(call, 13), FCNTL_OTHER_BIT(call, 12), FCNTL_OTHER_BIT(call, 11), \
		FCNTL_OTHER_BIT(call, 10), FCNTL_OTHER_BIT(call, 9), FCNTL_OTHER_BIT(call, 8), \
		FCNTL_OTHER_BIT(call, 7), FCNTL_OTHER_BIT(call, 6), FCNTL_OTHER_BIT(call, 5), \
		FCNTL_OTHER_BIT(call, 4), FCNTL_OTHER_BIT(call, 3), FCNTL_OTHER_BIT(call, 2), \
		FCNTL_OTHER_BIT(call, 1), FCNTL_OTHER_BIT(call, 0)

#define SOCKET_DENY(family) \
	{ \
		ROW, DENY(EAFNOSUPPORT), NAMES("socket"), ARGS1(ARG(0, EQ, family, 0)) \
	}

/* A mode argument: allowed without S_ISUID|S_ISGID, EPERM with either. */
#define MODE_RULES(call, i) \
	{ ROW, ALLOW, NAMES(call), ARGS1(ARG(i, MASKED_EQ, 06000, 0)) }, \
		{ ROW, DENY(EPERM), NAMES(call), ARGS1(ARG(i, MASKED_EQ, 04000, 04000)) }, \
	{ \
		ROW, DENY(EPERM), NAMES(call), ARGS1(ARG(i, MASKED_EQ, 02000, 02000)) \
	}

#define PERSONALITY(v) \
	{ \
		ROW, ALLOW, NAMES("personality"), ARGS1(ARG(0, EQ, v, 0)) \
	}

static const struct pd_seccomp_rule rules[] = {
	/* podman's allow list, less the calls paude filters further down. */
	{ ROW, ALLOW,
	  NAMES("_llseek", "_newselect", "accept", "accept4", "access", "adjtimex", "alarm", "bind",
		"brk", "capget", "capset", "chdir", "chown", "chown32", "clock_adjtime",
		"clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
		"clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close",
		"close_range", "connect", "copy_file_range", "dup", "dup2", "dup3", "epoll_create",
		"epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2",
		"epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit",
		"exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
		"fanotify_init", "fanotify_mark", "fchdir", "fchown", "fchown32", "fchownat",
		"fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
		"fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync",
		"ftruncate", "ftruncate64", "futex", "futex_time64", "futimesat", "get_mempolicy",
		"get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64",
		"getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
		"getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
		"getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
		"getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt",
		"gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
		"inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy",
		"io_getevents", "io_setup", "io_submit", "ioprio_get", "ioprio_set", "ipc", "kill",
		"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
		"lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr",
		"lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "mbind",
		"membarrier", "memfd_create", "memfd_secret", "mincore", "mlock", "mlock2",
		"mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
		"mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
		"mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
		"munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "pause",
		"pidfd_getfd", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
		"pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64",
		"preadv", "preadv2", "prlimit64", "process_mrelease", "process_vm_readv",
		"process_vm_writev", "pselect6", "pselect6_time64", "ptrace", "pwrite64", "pwritev",
		"pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "reboot",
		"recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
		"removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir",
		"rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
		"rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
		"rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min",
		"sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler",
		"sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
		"sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
		"select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
		"sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_mempolicy",
		"set_robust_list", "set_thread_area", "set_tid_address", "setfsgid", "setfsgid32",
		"setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
		"setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid",
		"setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
		"setsid", "setsockopt", "setuid", "setuid32", "setxattr", "shmat", "shmctl",
		"shmdt", "shmget", "shutdown", "sigaltstack", "signal", "signalfd", "signalfd4",
		"sigprocmask", "sigreturn", "splice", "stat", "stat64", "statfs", "statfs64",
		"statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo",
		"tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
		"timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
		"timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
		"timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit",
		"umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64",
		"utimes", "vfork", "wait4", "waitid", "waitpid", "write", "writev") },
	/* Architecture-specific calls podman allows (skipped where absent). */
	{ ROW, ALLOW,
	  NAMES("arch_prctl", "modify_ldt", "arm_fadvise64_64", "arm_sync_file_range", "breakpoint",
		"cacheflush", "set_tls", "sync_file_range2", "swapcontext", "s390_pci_mmio_read",
		"s390_pci_mmio_write", "s390_runtime_instr", "riscv_flush_icache") },

	/* personality: Linux, 32-bit Linux, uname26 of either, and the query. */
	PERSONALITY(PER_LINUX),
	PERSONALITY(PER_LINUX32),
	PERSONALITY(UNAME26),
	PERSONALITY(UNAME26 | PER_LINUX32),
	PERSONALITY(0xffffffffULL),

	/* podman's explicit deny list (includes kexec_* and userfaultfd). */
	{ ROW, DENY(EPERM),
	  NAMES("bdflush", "cachestat", "futex_requeue", "futex_wait", "futex_waitv", "futex_wake",
		"io_pgetevents", "io_pgetevents_time64", "kexec_file_load", "kexec_load",
		"map_shadow_stack", "migrate_pages", "move_pages", "nfsservctl", "nice", "oldfstat",
		"oldlstat", "oldolduname", "oldstat", "olduname", "pciconfig_iobase",
		"pciconfig_read", "pciconfig_write", "sgetmask", "ssetmask", "swapoff", "swapon",
		"syscall", "sysfs", "uselib", "userfaultfd", "ustat", "vm86", "vm86old",
		"vmsplice") },

	/* Allowed by podman only with a capability; the sandbox has none. */
	{ ROW, DENY(EPERM),
	  NAMES("open_by_handle_at",                            /* CAP_DAC_READ_SEARCH */
		"lookup_dcookie", "quotactl", "quotactl_fd",    /* CAP_SYS_ADMIN */
		"setdomainname", "sethostname", "chroot",       /* CAP_SYS_CHROOT */
		"init_module", "finit_module", "delete_module", /* CAP_SYS_MODULE */
		"query_module", "acct",                         /* CAP_SYS_PACCT */
		"kcmp", "process_madvise",                      /* CAP_SYS_PTRACE */
		"ioperm", "iopl",                               /* CAP_SYS_RAWIO */
		"clock_settime", "clock_settime64", "settimeofday", "stime", /* CAP_SYS_TIME */
		"vhangup",                   /* CAP_SYS_TTY_CONFIG */
		"syslog",                    /* CAP_SYSLOG */
		"bpf", "perf_event_open") }, /* CAP_BPF, CAP_PERFMON */

	/*
	 * socket: paude allows the families a sandbox has a use for - unix,
	 * IPv4, IPv6 and netlink (less audit, EINVAL as podman) - and refuses
	 * the rest with EAFNOSUPPORT: vsock would reach the hypervisor past the
	 * network namespace, and AF_ALG, AF_KCM, AF_XDP... are attack surface.
	 * socketcall(2), the i386 multiplexer, hides its arguments in memory:
	 * refused (where the direct calls exist, libc uses them).
	 */
	{ ROW, ALLOW, NAMES("socket"), ARGS1(ARG(0, EQ, AF_UNIX, 0)) },
	{ ROW, ALLOW, NAMES("socket"), ARGS1(ARG(0, EQ, AF_INET, 0)) },
	{ ROW, ALLOW, NAMES("socket"), ARGS1(ARG(0, EQ, AF_INET6, 0)) },
	{ ROW, ALLOW, NAMES("socket"),
	  ARGS2(ARG(0, EQ, AF_NETLINK, 0), ARG(2, NE, NETLINK_AUDIT, 0)) },
	{ ROW, DENY(EINVAL), NAMES("socket"),
	  ARGS2(ARG(0, EQ, AF_NETLINK, 0), ARG(2, EQ, NETLINK_AUDIT, 0)) },
	SOCKET_DENY(AF_UNSPEC),
	SOCKET_DENY(3),
	SOCKET_DENY(4),
	SOCKET_DENY(5),
	SOCKET_DENY(6),
	SOCKET_DENY(7),
	SOCKET_DENY(8),
	SOCKET_DENY(9),
	SOCKET_DENY(11),
	SOCKET_DENY(12),
	SOCKET_DENY(13),
	SOCKET_DENY(14),
	SOCKET_DENY(15),
	{ ROW, DENY(EAFNOSUPPORT), NAMES("socket"), ARGS1(ARG(0, GT, AF_NETLINK, 0)) },
	/* socketpair creates sockets of its family first: unix pairs only. */
	{ ROW, ALLOW, NAMES("socketpair"), ARGS1(ARG(0, EQ, AF_UNIX, 0)) },
	{ ROW, DENY(EAFNOSUPPORT), NAMES("socketpair"), ARGS1(ARG(0, NE, AF_UNIX, 0)) },
	{ ROW, DENY(EPERM), NAMES("socketcall") },

	/*
	 * paude: no setuid or setgid files.  They do nothing inside (nosuid,
	 * no_new_privs), but on a volume they are the host's: as root the
	 * sandbox's root writes files as host uid 0, and a setuid-root file
	 * there would be a way up for anyone on the host.  Every call that
	 * sets a mode is allowed only without S_ISUID and S_ISGID; openat2,
	 * whose mode is out of a filter's sight, fails with ENOSYS (callers
	 * fall back to openat).
	 */
	MODE_RULES("chmod", 1),
	MODE_RULES("fchmod", 1),
	MODE_RULES("fchmodat", 2),
	MODE_RULES("creat", 1),
	MODE_RULES("open", 2),
	MODE_RULES("openat", 3),
	MODE_RULES("mknod", 1),
	MODE_RULES("mknodat", 2),
	MODE_RULES("mkdir", 1),
	MODE_RULES("mkdirat", 2),

	/* paude: the kernel keyring is not namespaced by the sandbox. */
	{ ROW, DENY(EPERM), NAMES("keyctl", "add_key", "request_key") },

	/* paude: the mount API, old and new (chroot is above). */
	{ ROW, DENY(EPERM),
	  NAMES("mount", "umount", "umount2", "pivot_root", "mount_setattr", "fsopen", "fsconfig",
		"fsmount", "fspick", "move_mount", "open_tree", "open_tree_attr") },

	/* paude: no new namespaces from inside the sandbox, of any kind. */
	{ ROW, DENY(EPERM), NAMES("setns") },
	NS_ALLOW("clone", PD_CLONE_NEW_CLONE),
	NS_DENY("clone", CLONE_NEWNS),
	NS_DENY("clone", CLONE_NEWUTS),
	NS_DENY("clone", CLONE_NEWIPC),
	NS_DENY("clone", CLONE_NEWUSER),
	NS_DENY("clone", CLONE_NEWPID),
	NS_DENY("clone", CLONE_NEWNET),
	NS_DENY("clone", CLONE_NEWCGROUP),
	NS_ALLOW("unshare", PD_CLONE_NEW_ALL),
	NS_DENY("unshare", CLONE_NEWNS),
	NS_DENY("unshare", CLONE_NEWUTS),
	NS_DENY("unshare", CLONE_NEWIPC),
	NS_DENY("unshare", CLONE_NEWUSER),
	NS_DENY("unshare", CLONE_NEWPID),
	NS_DENY("unshare", CLONE_NEWNET),
	NS_DENY("unshare", CLONE_NEWCGROUP),
	NS_DENY("unshare", CLONE_NEWTIME),
	/* clone3 is not listed: ENOSYS, and glibc falls back to clone. */

	/*
	 * paude: no file leases.  A write lease on a file the sandbox is seen
	 * to own (its volumes; a read-only one too) makes every other opener
	 * on the host wait up to lease-break-time: one sandbox could stall the
	 * host's program starts.  F_SETLEASE is refused (EPERM); every other
	 * fcntl command is allowed, the low 32 bits compared (the kernel
	 * truncates cmd to an unsigned int).
	 */
	FCNTL_DENY("fcntl"),
	FCNTL_ALLOW_OTHERS("fcntl"),
	FCNTL_DENY("fcntl64"),
	FCNTL_ALLOW_OTHERS("fcntl64"),

	/* paude: no typing into (TIOCSTI) or driving (TIOCLINUX) the terminal. */
	IOCTL_DENY(TIOCSTI),
	IOCTL_DENY(TIOCLINUX),
	IOCTL_OTHER_BIT(31),
	IOCTL_OTHER_BIT(30),
	IOCTL_OTHER_BIT(29),
	IOCTL_OTHER_BIT(28),
	IOCTL_OTHER_BIT(27),
	IOCTL_OTHER_BIT(26),
	IOCTL_OTHER_BIT(25),
	IOCTL_OTHER_BIT(24),
	IOCTL_OTHER_BIT(23),
	IOCTL_OTHER_BIT(22),
	IOCTL_OTHER_BIT(21),
	IOCTL_OTHER_BIT(20),
	IOCTL_OTHER_BIT(19),
	IOCTL_OTHER_BIT(18),
	IOCTL_OTHER_BIT(17),
	IOCTL_OTHER_BIT(16),
	IOCTL_OTHER_BIT(15),
	IOCTL_OTHER_BIT(14),
	IOCTL_OTHER_BIT(13),
	IOCTL_OTHER_BIT(12),
	IOCTL_OTHER_BIT(11),
	IOCTL_OTHER_BIT(10),
	IOCTL_OTHER_BIT(9),
	IOCTL_OTHER_BIT(8),
	IOCTL_OTHER_BIT(7),
	IOCTL_OTHER_BIT(6),
	IOCTL_OTHER_BIT(5),
	IOCTL_OTHER_BIT(4),
	IOCTL_LOW(1, 0x0), /* 0x5410, 0x5411 */
	IOCTL_LOW(0, 0x3), /* 0x5413 */
	IOCTL_LOW(2, 0x4), /* 0x5414 - 0x5417 */
	IOCTL_LOW(2, 0x8), /* 0x5418 - 0x541B */
	IOCTL_LOW(0, 0xd), /* 0x541D */
	IOCTL_LOW(1, 0xe), /* 0x541E, 0x541F */
};

/* Only the native architecture and its sub-architectures are compiled in. */
static const uint32_t arches[] = {
	SCMP_ARCH_X86_64,   SCMP_ARCH_X86,         SCMP_ARCH_X32,       SCMP_ARCH_AARCH64,
	SCMP_ARCH_ARM,      SCMP_ARCH_MIPS64,      SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPS,
	SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_MIPSEL,    SCMP_ARCH_S390X,
	SCMP_ARCH_S390,     SCMP_ARCH_PPC64LE,     SCMP_ARCH_RISCV64,
};

const struct pd_seccomp_profile pd_seccomp_default_profile = {
	.what = "default seccomp profile",
	.default_action = { PD_SECCOMP_ERRNO, ENOSYS },
	.arches = arches,
	.n_arches = sizeof(arches) / sizeof(arches[0]),
	.rules = rules,
	.n_rules = sizeof(rules) / sizeof(rules[0]),
};

static const uint32_t arches_no_x32[] = {
	SCMP_ARCH_X86_64,      SCMP_ARCH_X86,       SCMP_ARCH_AARCH64, SCMP_ARCH_ARM,
	SCMP_ARCH_MIPS64,      SCMP_ARCH_MIPS64N32, SCMP_ARCH_MIPS,    SCMP_ARCH_MIPSEL64,
	SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_MIPSEL,    SCMP_ARCH_S390X,   SCMP_ARCH_S390,
	SCMP_ARCH_PPC64LE,     SCMP_ARCH_RISCV64,
};

const struct pd_seccomp_profile pd_seccomp_default_profile_no_x32 = {
	.what = "default seccomp profile",
	.default_action = { PD_SECCOMP_ERRNO, ENOSYS },
	.arches = arches_no_x32,
	.n_arches = sizeof(arches_no_x32) / sizeof(arches_no_x32[0]),
	.badarch_errno = ENOSYS,
	.rules = rules,
	.n_rules = sizeof(rules) / sizeof(rules[0]),
};
