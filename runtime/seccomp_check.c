/* SPDX-License-Identifier: MIT */
/*
 * seccomp_check.c - check that two seccomp programs answer alike, at build
 * time: the short program of seccomp_bpf.c against libseccomp's.
 *
 * Theory of operation.  Both programs are run by a classic-BPF interpreter
 * (the kernel's semantics for what seccomp allows) over struct seccomp_data
 * built for: every architecture the plan covers and two it does not; every
 * number up to and a little past PD_CHECK_NR of each ABI (x32's with bit
 * 30), and the edges above (-1, -2, 2^31, the bit-30 boundary); a few
 * fixed argument vectors for every number, and for each number with
 * argument rules, vectors built from the rules' constants (each constant,
 * one either side, its words swapped, its mask's bits flipped) in the
 * argument it compares.  The first difference fails the build with the
 * call and the vector.  tests/unit/test_seccomp.c goes further (it also
 * follows every constant each program compares an argument with); this
 * check makes a libseccomp that changes its output under paude fail
 * `make`, not pass silently.
 */
#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>

#define PD_CHECK_NR 4096u
#define X32_BIT 0x40000000u

/* Run @p over @d.  Return: 0 with *@act, or -1 for an instruction this does not run. */
static int run(const struct pd_seccomp_prog *p, const struct seccomp_data *d, uint32_t *act)
{
	const struct sock_filter *f = p->insns;
	unsigned char raw[sizeof(*d)];
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

	memcpy(raw, d, sizeof(raw));
	for (size_t pc = 0; pc < p->len; pc++) {
		const struct sock_filter *in = &f[pc];
		uint32_t k = in->k, src = BPF_SRC(in->code) == BPF_X ? x : k, skip = 0;

		switch (BPF_CLASS(in->code)) {
		case BPF_LD:
			if (in->code == (BPF_LD | BPF_W | BPF_ABS) && k % 4 == 0 &&
			    k <= sizeof(raw) - 4)
				memcpy(&a, raw + k, 4);
			else if (in->code == (BPF_LD | BPF_IMM))
				a = k;
			else if (in->code == (BPF_LD | BPF_MEM) && k < BPF_MEMWORDS)
				a = mem[k];
			else
				return -1;
			continue;
		case BPF_LDX:
			if (in->code == (BPF_LDX | BPF_IMM))
				x = k;
			else if (in->code == (BPF_LDX | BPF_MEM) && k < BPF_MEMWORDS)
				x = mem[k];
			else
				return -1;
			continue;
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return -1;
			mem[k] = BPF_CLASS(in->code) == BPF_ST ? a : x;
			continue;
		case BPF_ALU:
			switch (BPF_OP(in->code)) {
			case BPF_ADD:
				a += src;
				break;
			case BPF_SUB:
				a -= src;
				break;
			case BPF_AND:
				a &= src;
				break;
			case BPF_OR:
				a |= src;
				break;
			case BPF_XOR:
				a ^= src;
				break;
			case BPF_LSH:
				a = src < 32 ? a << src : 0;
				break;
			case BPF_RSH:
				a = src < 32 ? a >> src : 0;
				break;
			case BPF_NEG:
				a = -a;
				break;
			default:
				return -1;
			}
			continue;
		case BPF_MISC:
			if (BPF_MISCOP(in->code) == BPF_TAX)
				x = a;
			else
				a = x;
			continue;
		case BPF_RET:
			*act = BPF_RVAL(in->code) == BPF_A ? a : k;
			return 0;
		case BPF_JMP:
			switch (BPF_OP(in->code)) {
			case BPF_JA:
				skip = k;
				break;
			case BPF_JEQ:
				skip = a == src ? in->jt : in->jf;
				break;
			case BPF_JGT:
				skip = a > src ? in->jt : in->jf;
				break;
			case BPF_JGE:
				skip = a >= src ? in->jt : in->jf;
				break;
			case BPF_JSET:
				skip = (a & src) ? in->jt : in->jf;
				break;
			default:
				return -1;
			}
			if (skip >= p->len - pc - 1)
				return -1;
			pc += skip;
			continue;
		default:
			return -1;
		}
	}
	return -1;
}

struct check {
	const struct pd_seccomp_prog *ref, *got;
	struct pd_error *err;
};

/* Both programs for @arch, @nr and @args; -1 with the error at the first difference. */
static int same(const struct check *c, uint32_t arch, uint32_t nr, const uint64_t *args)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch };
	uint32_t r1 = 0, r2 = 0;

	for (int i = 0; i < 6; i++)
		d.args[i] = arch == AUDIT_ARCH_I386 ? (uint32_t)args[i] : args[i];
	if (run(c->ref, &d, &r1) < 0 || run(c->got, &d, &r2) < 0)
		return pd_error_set(c->err, EPROTO, "seccomp check: a program does not run");
	if (r1 == r2)
		return 0;
	return pd_error_set(c->err, EPROTO,
			    "seccomp check: arch 0x%x call 0x%x args (%llx, %llx, %llx, %llx, "
			    "%llx, %llx): libseccomp answers 0x%x, the short program 0x%x",
			    arch, nr, (unsigned long long)args[0], (unsigned long long)args[1],
			    (unsigned long long)args[2], (unsigned long long)args[3],
			    (unsigned long long)args[4], (unsigned long long)args[5], r1, r2);
}

static const uint64_t base_args[][6] = {
	{ 0, 0, 0, 0, 0, 0 },
	{ ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL },
	{ 1, 1, 1, 1, 1, 1 },
	{ 0xffffffffULL, 0xffffffffULL, 0xffffffffULL, 0xffffffffULL, 0xffffffffULL,
	  0xffffffffULL },
	{ 0x100000000ULL, 0x100000000ULL, 0x100000000ULL, 0x100000000ULL, 0x100000000ULL,
	  0x100000000ULL },
	{ 0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0xdeadbeef00005412ULL,
	  0x8000000000000000ULL, 0x00000000deadbeefULL, 0x5a5a5a5a5a5a5a5aULL },
};

/* Vectors from the constants of the rules for @nr in @abi. */
static int rule_vectors(const struct check *c, const struct pd_seccomp_plan_abi *abi, uint32_t arch,
			uint32_t nr)
{
	for (size_t i = 0; i < abi->n_rules; i++) {
		const struct pd_seccomp_plan_rule *r = &abi->rules[i];

		if ((uint32_t)r->nr != nr)
			continue;
		for (size_t k = 0; k < r->n; k++) {
			const struct pd_seccomp_arg *a = &r->cmp[k];
			uint64_t v = a->op == PD_SECCOMP_CMP_MASKED_EQ ? a->value2 : a->value;
			uint64_t cand[] = { v,
					    v - 1,
					    v + 1,
					    v | ~a->value,
					    v ^ 0xffffffff00000000ULL,
					    v & 0xffffffffULL,
					    (v << 32) | (v >> 32),
					    ~v };

			for (size_t j = 0; j < sizeof(cand) / sizeof(cand[0]); j++)
				for (size_t b = 0; b < 3; b++) {
					uint64_t args[6];

					memcpy(args, base_args[b], sizeof(args));
					/* the other rules' arguments at their constants too */
					for (size_t q = 0; q < r->n; q++)
						args[r->cmp[q].index] =
							r->cmp[q].op == PD_SECCOMP_CMP_MASKED_EQ
								? r->cmp[q].value2
								: r->cmp[q].value;
					args[a->index] = cand[j];
					if (same(c, arch, nr, args) < 0)
						return -1;
				}
		}
	}
	return 0;
}

static int numbers(const struct check *c, const struct pd_seccomp_plan_abi *abi, uint32_t arch,
		   uint32_t first)
{
	static const uint32_t edges[] = { UINT32_MAX,  UINT32_MAX - 1, 0x80000000u,
					  X32_BIT - 1, X32_BIT,        0x7fffffffu };

	for (uint32_t i = 0; i < PD_CHECK_NR + sizeof(edges) / sizeof(edges[0]); i++) {
		uint32_t nr = i < PD_CHECK_NR ? first + i : edges[i - PD_CHECK_NR];

		for (size_t b = 0; b < sizeof(base_args) / sizeof(base_args[0]); b++)
			if (same(c, arch, nr, base_args[b]) < 0)
				return -1;
		if (abi && rule_vectors(c, abi, arch, nr) < 0)
			return -1;
	}
	return 0;
}

int pd_seccomp_check_same(const struct pd_seccomp_prog *ref, const struct pd_seccomp_prog *got,
			  const struct pd_seccomp_plan *plan, struct pd_error *err)
{
	const struct check c = { ref, got, err };
	static const uint32_t others[] = { 0, AUDIT_ARCH_AARCH64, AUDIT_ARCH_X86_64 & ~0x80000000u,
					   AUDIT_ARCH_I386 | 0x80000000u };

	for (size_t i = 0; i < plan->n; i++) {
		const struct pd_seccomp_plan_abi *abi = &plan->abi[i];
		uint32_t arch = abi->token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : abi->token;
		uint32_t first = abi->token == SCMP_ARCH_X32 ? X32_BIT : 0;

		if (numbers(&c, abi, arch, first) < 0)
			return -1;
		/* x86_64 without x32 in the filter: its bit-30 numbers too */
		if (abi->token == SCMP_ARCH_X86_64 && numbers(&c, NULL, arch, X32_BIT) < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (numbers(&c, NULL, others[i], 0) < 0)
			return -1;
	return 0;
}
