/* SPDX-License-Identifier: MIT */
/*
 * seccomp_default_bpf.c - paude's default seccomp filter, precompiled.
 *
 * Theory of operation.  build/gen/seccomp-default.h is written at build
 * time by runtime/gen/seccomp-gen.c, which compiles the default profile
 * (seccomp_profile.c) with the very code --seccomp-profile uses.  Starting a
 * sandbox therefore costs a copy of a few kilobytes, not a libseccomp run.
 * The copy is on the heap so that pd_seccomp_prog_release() frees every
 * program alike; a unit test checks the embedded program is byte-identical
 * to compiling the table afresh.
 */
#include "seccomp.h"

#include <linux/filter.h>
#include <string.h>

#include "common/util.h"
#include "seccomp-default.h"

_Static_assert(PD_SECCOMP_DEFAULT_LEN > 0 && PD_SECCOMP_DEFAULT_LEN <= BPF_MAXINSNS,
	       "the default filter must fit the kernel's limit");

/**
 * pd_seccomp_default() - paude's default seccomp filter.
 * @out: receives a heap copy of the program; release it with
 *       pd_seccomp_prog_release()
 * @err: unused: this cannot fail
 *
 * Return: 0.
 */
int pd_seccomp_default(struct pd_seccomp_prog *out, struct pd_error *err)
{
	(void)err;
	out->insns = pd_xmalloc(sizeof(pd_seccomp_default_insns));
	memcpy(out->insns, pd_seccomp_default_insns, sizeof(pd_seccomp_default_insns));
	out->len = PD_SECCOMP_DEFAULT_LEN;
	return 0;
}
