/* SPDX-License-Identifier: MIT */
/*
 * init_filter.c - the seccomp filter of paude's init (pid 1 of a sandbox).
 *
 * Once the command is forked, init only waits for signals, forwards them,
 * reaps children, detaches a child that made it its tracer, and exits with
 * the command's status.  Its filter allows exactly the calls that needs, on
 * the native architecture only (an x32 or i386 call is a different number
 * or architecture and kills it), as bubblewrap's pid 1 does.  It is a few
 * instructions of hand-written BPF: no libseccomp at run time.
 */
#include "sandbox.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NATIVE_ARCH AUDIT_ARCH_I386
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define NATIVE_ARCH AUDIT_ARCH_S390X
#else
#error "init_filter.c: add this architecture's AUDIT_ARCH"
#endif

#define ALLOW_NR(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

int pd_init_filter_apply(struct pd_error *err)
{
	static struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		ALLOW_NR(__NR_rt_sigtimedwait), /* sigwaitinfo */
		ALLOW_NR(__NR_kill),            /* forward a signal to the command */
		ALLOW_NR(__NR_wait4),           /* reap */
		ALLOW_NR(__NR_waitid),
		ALLOW_NR(__NR_ptrace), /* PTRACE_DETACH a child that chose us */
		ALLOW_NR(__NR_exit_group),
		ALLOW_NR(__NR_exit),
		ALLOW_NR(__NR_rt_sigreturn),
		ALLOW_NR(__NR_restart_syscall),
		ALLOW_NR(__NR_close_range), /* once, right after this filter */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return pd_error_set(err, errno, "init: no_new_privs");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return pd_error_set(err, errno, "init: seccomp filter");
	return 0;
}
