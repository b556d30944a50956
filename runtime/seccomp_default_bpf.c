/* SPDX-License-Identifier: MIT */
/*
 * seccomp_default_bpf.c - paude's default seccomp filter, precompiled.
 *
 * Theory of operation.  build/gen/seccomp-default.h is written at build
 * time by runtime/gen/seccomp-gen.c, which compiles the default profile
 * (seccomp_profile.c) with the very code --seccomp-profile uses, and then
 * rewrites libseccomp's program into a short one that answers every call
 * alike (seccomp_bpf.c: 584 instructions instead of 1,331 without x32).
 * Starting a sandbox therefore costs a copy of a few kilobytes, not a
 * libseccomp run.  The copy is on the heap so that pd_seccomp_prog_release()
 * frees every program alike; a unit test checks the embedded programs are
 * byte-identical to compiling the table afresh, another that they answer
 * every call as libseccomp's programs do.
 *
 * Two programs are embedded: the whole profile, and the same without the
 * x32 ABI (its calls fail with ENOSYS).  The kernel spends time in
 * proportion to a filter's length each time one is installed (checked,
 * converted and JIT-compiled: about 0.45 us per instruction on the
 * development VM), and most kernels have no x32 ABI, where a third of the
 * whole filter can never match.  So
 * the smaller one is used when the kernel answers ENOSYS to an x32 call,
 * exactly what the filter then answers.  The probe is made only when paude
 * itself runs under no seccomp filter (one around it could kill it for an
 * x32 call); otherwise, and when x32 answers, the whole filter is used.
 */
#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "seccomp-default.h"

_Static_assert(PD_SECCOMP_DEFAULT_LEN > 0 && PD_SECCOMP_DEFAULT_LEN <= BPF_MAXINSNS,
	       "the default filter must fit the kernel's limit");
_Static_assert(PD_SECCOMP_DEFAULT_NO_X32_LEN > 0 &&
		       PD_SECCOMP_DEFAULT_NO_X32_LEN <= PD_SECCOMP_DEFAULT_LEN,
	       "the filter without x32 is no longer than the whole one");

#define X32_SYSCALL_BIT 0x40000000L

bool pd_seccomp_kernel_has_x32(void)
{
#if defined(__x86_64__)
	static int known = -1;
	long r;

	if (known >= 0)
		return known;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0) {
		known = 1; /* filtered, or cannot tell: never probe */
		return true;
	}
	r = syscall(X32_SYSCALL_BIT | SYS_getpid);
	known = !(r == -1 && errno == ENOSYS);
	return known;
#else
	return false;
#endif
}

int pd_seccomp_default_abi(bool x32, struct pd_seccomp_prog *out)
{
	const struct sock_filter *insns = x32 ? pd_seccomp_default_insns
					      : pd_seccomp_default_no_x32_insns;
	size_t len = x32 ? PD_SECCOMP_DEFAULT_LEN : PD_SECCOMP_DEFAULT_NO_X32_LEN;

	out->insns = pd_xmalloc(len * sizeof(*insns));
	memcpy(out->insns, insns, len * sizeof(*insns));
	out->len = len;
	return 0;
}

/**
 * pd_seccomp_default() - paude's default seccomp filter for this kernel.
 * @out: receives a heap copy of the program; release it with
 *       pd_seccomp_prog_release()
 * @err: unused: this cannot fail
 *
 * Return: 0.
 */
int pd_seccomp_default(struct pd_seccomp_prog *out, struct pd_error *err)
{
	(void)err;
	return pd_seccomp_default_abi(pd_seccomp_kernel_has_x32(), out);
}
