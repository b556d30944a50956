/* SPDX-License-Identifier: MIT */
/*
 * seccomp_bpf.c - rewrite a libseccomp program into a short one that decides
 * every call exactly as it does.
 *
 * Theory of operation.  The kernel's cost of installing a filter grows with
 * its length (it is checked, converted to eBPF and JIT-compiled each time:
 * ~0.4 ms for libseccomp's 1,331 instructions of paude's default filter),
 * and libseccomp spends many instructions: a node and a return per syscall,
 * and an argument rule per bit where the profile says "anything but X"
 * (fcntl without F_SETLEASE, ioctl without TIOCSTI, clone without CLONE_NEW*).
 *
 * The short program is built from two inputs:
 *
 *   - libseccomp's own program (@ref), for what every call number decides
 *     when no argument matters.  It is run here, for every number of every
 *     ABI up to PD_SCAN_NR, stopping at the first load of an argument; a
 *     number past that answers as the last one does (libseccomp compares
 *     numbers only with numbers it was given, all below PD_SCAN_NR);
 *   - the plan (the profile's argument rules as libseccomp got them for
 *     each ABI: narrowed to 32 bits, split per argument), for the numbers
 *     whose answer depends on arguments.  A number libseccomp reads
 *     arguments for and the plan has no rule for is an error.
 *
 * Emitted: a test of the architecture; per ABI a load of the number and a
 * binary search over runs of numbers with the same answer (x86_64 numbers
 * with bit 30 are the x32 ABI's); each run ends in a return shared by the
 * runs near it (a pool of returns after every subtree of about a hundred
 * instructions), or in the call's argument rules; a single number between
 * two runs with the same answer is a `jeq` inside one merged run (it would
 * cost two nodes of the search).  Argument rules on one
 * 32-bit word are decided as a whole: masked comparisons with few bits by
 * enumerating those bits (clone without CLONE_NEW*: "and; jeq 0"),
 * comparisons that each select one range of values by a binary search over
 * the ranges (fcntl without F_SETLEASE: two comparisons); other rules are a
 * chain of comparisons, first match wins (the profile's rules for one call
 * select disjoint sets, so order does not matter: test_seccomp.c checks it),
 * with libseccomp's 64-bit semantics, or 32-bit on 32-bit ABIs.  Only jumps
 * and returns on numbers are used where numbers decide, so the kernel's
 * seccomp action cache still sees which calls are always allowed.
 *
 * Jumps are emitted to labels; assemble() then lays the program out,
 * adding a `ja` after a conditional jump whose target is more than 255
 * instructions ahead, until nothing moves.
 *
 * tests/unit/test_seccomp.c runs both programs side by side on every
 * number of every ABI, with argument values that take every path of both.
 * Only the x86 family is handled (x86_64, x32, i386); elsewhere
 * seccomp-gen embeds libseccomp's program as it is.
 */
#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

#define PD_SCAN_NR 2048u /* numbers scanned per ABI; libseccomp knows none above */
#define X32_BIT 0x40000000u
#define NEXT (-1)    /* jump target: the next instruction */
#define POOL_SPAN 96 /* instructions a pool of returns serves */
#define POOL_MAX 8   /* distinct answers one pool holds */
#define ENUM_BITS 8  /* mask bits enumerated at most */
#define ENUM_MAX 24  /* enumerated values answered apart from the common one */
#define EXC_MAX 4    /* single numbers tested with jeq in one run */
#define ARG_LO(i) ((uint32_t)offsetof(struct seccomp_data, args) + 8u * (uint32_t)(i))

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "low argument word first");

/* ---- an assembler with labels ---- */

struct insn {
	uint16_t code;
	uint32_t k;
	int jt, jf; /* labels or NEXT; a `ja` goes to jt */
};

struct bld {
	struct insn *v;
	size_t n, cap;
	size_t *label; /* label -> index of the instruction it marks; SIZE_MAX: unbound */
	size_t n_label, cap_label;
};

static void bld_release(struct bld *b)
{
	free(b->v);
	free(b->label);
	memset(b, 0, sizeof(*b));
}

static int new_label(struct bld *b)
{
	if (b->n_label == b->cap_label) {
		b->cap_label = b->cap_label ? 2 * b->cap_label : 64;
		b->label = pd_xreallocarray(b->label, b->cap_label, sizeof(*b->label));
	}
	b->label[b->n_label] = SIZE_MAX;
	return (int)b->n_label++;
}

static void bind(struct bld *b, int l)
{
	b->label[l] = b->n;
}

static void put(struct bld *b, uint16_t code, uint32_t k, int jt, int jf)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 256;
		b->v = pd_xreallocarray(b->v, b->cap, sizeof(*b->v));
	}
	b->v[b->n++] = (struct insn){ code, k, jt, jf };
}

static void ld(struct bld *b, uint32_t off)
{
	put(b, BPF_LD | BPF_W | BPF_ABS, off, NEXT, NEXT);
}

static void ret(struct bld *b, uint32_t act)
{
	put(b, BPF_RET | BPF_K, act, NEXT, NEXT);
}

static void jmp(struct bld *b, uint16_t op, uint32_t k, int jt, int jf)
{
	put(b, BPF_JMP | op | BPF_K, k, jt, jf);
}

static void ja(struct bld *b, int l)
{
	put(b, BPF_JMP | BPF_JA, 0, l, NEXT);
}

static bool is_cond(const struct insn *in)
{
	return BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) != BPF_JA;
}

/* Position of jump target @t of instruction @i; SIZE_MAX when unbound or past the end. */
static size_t target(const struct bld *b, const size_t *pos, size_t i, int t)
{
	size_t at = t == NEXT ? i + 1 : b->label[t];

	return at < b->n ? pos[at] : SIZE_MAX;
}

/* Lay out @b (adding `ja` where a conditional jump is too short) into @out. */
static int assemble(const struct bld *b, struct pd_seccomp_prog *out, struct pd_error *err)
{
	cleanup_free unsigned char *extra = pd_xcalloc(b->n ? b->n : 1, 1);
	cleanup_free size_t *pos = pd_xcalloc(b->n ? b->n : 1, sizeof(*pos));
	cleanup_free struct sock_filter *f = NULL;
	bool moved = true;
	size_t len = 0;
	while (moved) {
		moved = false;
		len = 0;
		for (size_t i = 0; i < b->n; i++) {
			pos[i] = len;
			len += 1 + extra[i];
		}
		for (size_t i = 0; i < b->n; i++) {
			const struct insn *in = &b->v[i];
			size_t base = pos[i] + 1, tt, tf;
			unsigned char need;

			if (!is_cond(in))
				continue;
			tt = target(b, pos, i, in->jt);
			tf = target(b, pos, i, in->jf);
			if (tt == SIZE_MAX || tf == SIZE_MAX || tt < base || tf < base)
				return pd_error_set(err, EINVAL,
						    "seccomp: instruction %zu jumps nowhere", i);
			need = (unsigned char)((tt - base > 255) + (tf - base > 255));
			if (need > extra[i]) {
				extra[i] = need;
				moved = true;
			}
		}
	}
	if (len == 0 || len > BPF_MAXINSNS)
		return pd_error_set(err, E2BIG, "seccomp: %zu instructions", len);
	f = pd_xmalloc(len * sizeof(*f));
	for (size_t i = 0; i < b->n; i++) {
		const struct insn *in = &b->v[i];
		size_t p = pos[i], base = p + 1;

		f[p] = (struct sock_filter){ in->code, 0, 0, in->k };
		if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == BPF_JA) {
			size_t t = target(b, pos, i, in->jt);

			if (t == SIZE_MAX || t < base)
				return pd_error_set(err, EINVAL,
						    "seccomp: instruction %zu jumps nowhere", i);
			f[p].k = (uint32_t)(t - base);
		} else if (is_cond(in)) {
			size_t tt = target(b, pos, i, in->jt), tf = target(b, pos, i, in->jf);
			bool far_t = tt - base > 255, far_f = tf - base > 255;
			size_t slot = base;

			f[p].jt = (uint8_t)(far_t ? 0 : tt - base);
			f[p].jf = (uint8_t)(far_f ? far_t : tf - base);
			if (far_t) {
				f[slot] = (struct sock_filter)BPF_JUMP(
					BPF_JMP | BPF_JA, (uint32_t)(tt - slot - 1), 0, 0);
				slot++;
			}
			if (far_f)
				f[slot] = (struct sock_filter)BPF_JUMP(
					BPF_JMP | BPF_JA, (uint32_t)(tf - slot - 1), 0, 0);
		}
	}
	out->insns = f;
	f = NULL;
	out->len = len;
	return 0;
}

/* ---- what libseccomp's program answers for a number ---- */

enum ref_kind { REF_CONST, REF_ARGS };

/* Run @ref for @arch/@nr until it returns (*act) or reads an argument. */
static int ref_decide(const struct pd_seccomp_prog *ref, uint32_t arch, uint32_t nr,
		      enum ref_kind *kind, uint32_t *act, struct pd_error *err)
{
	const struct sock_filter *f = ref->insns;
	uint32_t a = 0;

	for (size_t pc = 0; pc < ref->len; pc++) {
		const struct sock_filter *in = &f[pc];
		size_t skip;
		bool cond;

		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k == offsetof(struct seccomp_data, nr)) {
				a = nr;
			} else if (in->k == offsetof(struct seccomp_data, arch)) {
				a = arch;
			} else if (in->k >= offsetof(struct seccomp_data, args)) {
				*kind = REF_ARGS;
				return 0;
			} else {
				return pd_error_set(err, EPROTO, "seccomp: libseccomp loads @%u",
						    in->k);
			}
			continue;
		case BPF_JMP | BPF_JA:
			skip = in->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			cond = BPF_OP(in->code) == BPF_JEQ   ? a == in->k
			       : BPF_OP(in->code) == BPF_JGT ? a > in->k
			       : BPF_OP(in->code) == BPF_JGE ? a >= in->k
							     : (a & in->k) != 0;
			skip = cond ? in->jt : in->jf;
			break;
		case BPF_RET | BPF_K:
			*kind = REF_CONST;
			*act = in->k;
			return 0;
		default:
			return pd_error_set(err, EPROTO,
					    "seccomp: libseccomp's instruction %zu (0x%04x) is "
					    "not understood here",
					    pc, in->code);
		}
		if (skip >= ref->len - pc - 1)
			return pd_error_set(err, EPROTO, "seccomp: libseccomp's program jumps out");
		pc += skip;
	}
	return pd_error_set(err, EPROTO, "seccomp: libseccomp's program runs off its end");
}

/* ---- runs of numbers (or of argument values) with one answer ---- */

struct run {
	uint32_t start;
	bool args;    /* decided by the argument rules in @rules[0..@n) */
	uint32_t act; /* otherwise this answer */
	const struct pd_seccomp_plan_rule *rules;
	size_t n;
	/* Single numbers inside the run that answer otherwise (tested with jeq). */
	const struct run *exc;
	size_t n_exc;
};

struct runs {
	struct run *v;
	size_t n, cap;
};

static void runs_add(struct runs *r, struct run x)
{
	if (r->n && !x.args && !r->v[r->n - 1].args && r->v[r->n - 1].act == x.act)
		return; /* same answer: the run goes on */
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = pd_xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n++] = x;
}

struct pool {
	uint32_t act[POOL_MAX];
	int label[POOL_MAX];
	size_t n;
};

/* A label that returns @act: from @pool when there is one and room in it, else -1. */
static int pool_label(struct bld *b, struct pool *pool, uint32_t act)
{
	if (!pool)
		return -1;
	for (size_t i = 0; i < pool->n; i++)
		if (pool->act[i] == act)
			return pool->label[i];
	if (pool->n == POOL_MAX)
		return -1;
	pool->act[pool->n] = act;
	pool->label[pool->n] = new_label(b);
	return pool->label[pool->n++];
}

static void pool_flush(struct bld *b, struct pool *pool)
{
	for (size_t i = 0; i < pool->n; i++) {
		bind(b, pool->label[i]);
		ret(b, pool->act[i]);
	}
	pool->n = 0;
}

static int arg_rules(struct bld *b, const struct run *r, bool is32, uint32_t def,
		     struct pd_error *err);

/* Rough size of the subtree over @v[0..@n), for placing pools. */
static size_t tree_size(const struct run *v, size_t n)
{
	size_t s = n;

	for (size_t i = 0; i < n; i++) {
		if (v[i].args)
			s += 8 * v[i].n;
		s += tree_size(v[i].exc, v[i].n_exc);
	}
	return s;
}

/*
 * Runs of one number between two runs with the same answer (A x A, A x y A)
 * become exceptions of one merged run: a jeq each, instead of two nodes of
 * the search each.  @exc has room for @in->n runs.
 */
static bool one_number(const struct runs *in, size_t j)
{
	return j + 1 < in->n && in->v[j + 1].start == in->v[j].start + 1;
}

static void absorb_holes(const struct runs *in, struct runs *out, struct run *exc)
{
	size_t n_exc = 0;

	for (size_t i = 0; i < in->n;) {
		struct run cur = in->v[i++];

		cur.exc = exc + n_exc;
		cur.n_exc = 0;
		while (!cur.args) {
			size_t m = 0;

			/* in->v[i .. i+m) one number each, then in->v[i+m] answering as cur */
			while (i + m < in->n && cur.n_exc + m < EXC_MAX && one_number(in, i + m))
				m++;
			while (m > 0 && (in->v[i + m].args || in->v[i + m].act != cur.act))
				m--;
			if (m == 0)
				break;
			for (size_t k = 0; k < m; k++) {
				exc[n_exc] = in->v[i + k];
				exc[n_exc].exc = NULL;
				exc[n_exc++].n_exc = 0;
			}
			cur.n_exc += m;
			i += m + 1; /* the run after the holes goes on as cur */
		}
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 64;
			out->v = pd_xreallocarray(out->v, out->cap, sizeof(*out->v));
		}
		out->v[out->n++] = cur;
	}
}

static int subtree(struct bld *b, const struct run *v, size_t n, struct pool *pool, bool is32,
		   uint32_t def, struct pd_error *err);
static int leaf(struct bld *b, const struct run *r, struct pool *pool, bool is32, uint32_t def,
		struct pd_error *err);

/* Where a branch to the runs @v[0..@n) goes: a pool's return, or a label emitted later (*later). */
static int branch(struct bld *b, const struct run *v, size_t n, struct pool *pool, bool *later)
{
	int l = n == 1 && !v[0].args && !v[0].n_exc ? pool_label(b, pool, v[0].act) : -1;

	*later = l < 0;
	return l < 0 ? new_label(b) : l;
}

/* Emit run @r's answer here; A holds the value searched. */
static int leaf(struct bld *b, const struct run *r, struct pool *pool, bool is32, uint32_t def,
		struct pd_error *err)
{
	int label[EXC_MAX];
	bool later[EXC_MAX];

	if (r->args)
		return arg_rules(b, r, is32, def, err);
	for (size_t i = 0; i < r->n_exc; i++) {
		label[i] = branch(b, &r->exc[i], 1, pool, &later[i]);
		jmp(b, BPF_JEQ, r->exc[i].start, label[i], NEXT);
	}
	ret(b, r->act);
	for (size_t i = 0; i < r->n_exc; i++) {
		if (!later[i])
			continue;
		bind(b, label[i]);
		if (leaf(b, &r->exc[i], pool, is32, def, err) < 0)
			return -1;
	}
	return 0;
}

/* Emit the search over @v[0..@n) here; A holds the value searched. */
static int subtree(struct bld *b, const struct run *v, size_t n, struct pool *pool, bool is32,
		   uint32_t def, struct pd_error *err)
{
	struct pool local = { .n = 0 };
	size_t mid;
	int lt, lf, rc;
	bool later_t, later_f;

	if (!pool && tree_size(v, n) <= POOL_SPAN) {
		rc = subtree(b, v, n, &local, is32, def, err);
		pool_flush(b, &local);
		return rc;
	}
	if (n == 1)
		return leaf(b, &v[0], pool, is32, def, err);
	mid = n / 2;
	lt = branch(b, v + mid, n - mid, pool, &later_t);
	lf = branch(b, v, mid, pool, &later_f);
	jmp(b, BPF_JGE, v[mid].start, lt, lf);
	if (later_f) {
		bind(b, lf);
		if (subtree(b, v, mid, pool, is32, def, err) < 0)
			return -1;
	}
	if (later_t) {
		bind(b, lt);
		if (subtree(b, v + mid, n - mid, pool, is32, def, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- argument rules ---- */

/* The values of a 32-bit word one comparison selects: a masked value (cube), or ranges. */
struct wset {
	bool cube;
	uint32_t m, v; /* cube: word & m == v */
	size_t n;      /* ranges: [lo[i], hi[i]] */
	uint32_t lo[2], hi[2];
};

/* @c as a set of values of its argument's low word; false when it needs the high word. */
static bool word_set(const struct pd_seccomp_arg *c, bool is32, struct wset *s)
{
	uint64_t v = c->value;

	memset(s, 0, sizeof(*s));
	if (!is32) {
		/* Only a masked comparison that ignores the high word. */
		if (c->op != PD_SECCOMP_CMP_MASKED_EQ || (c->value >> 32) || (c->value2 >> 32))
			return false;
	} else if (v > UINT32_MAX || c->value2 > UINT32_MAX) {
		return false; /* libseccomp narrowed these: not expected */
	}
	switch (c->op) {
	case PD_SECCOMP_CMP_MASKED_EQ:
		*s = (struct wset){ .cube = true,
				    .m = (uint32_t)c->value,
				    .v = (uint32_t)c->value2 };
		return true;
	case PD_SECCOMP_CMP_EQ:
		*s = (struct wset){ .cube = true, .m = UINT32_MAX, .v = (uint32_t)v };
		return true;
	case PD_SECCOMP_CMP_NE:
		if (v > 0) {
			s->lo[s->n] = 0;
			s->hi[s->n++] = (uint32_t)v - 1;
		}
		if (v < UINT32_MAX) {
			s->lo[s->n] = (uint32_t)v + 1;
			s->hi[s->n++] = UINT32_MAX;
		}
		return true;
	case PD_SECCOMP_CMP_GT:
	case PD_SECCOMP_CMP_GE:
		if (c->op == PD_SECCOMP_CMP_GT && v == UINT32_MAX)
			return true; /* empty */
		s->lo[0] = (uint32_t)v + (c->op == PD_SECCOMP_CMP_GT);
		s->hi[0] = UINT32_MAX;
		s->n = 1;
		return true;
	case PD_SECCOMP_CMP_LT:
	case PD_SECCOMP_CMP_LE:
		if (c->op == PD_SECCOMP_CMP_LT && v == 0)
			return true; /* empty */
		s->lo[0] = 0;
		s->hi[0] = (uint32_t)v - (c->op == PD_SECCOMP_CMP_LT);
		s->n = 1;
		return true;
	default:
		return false;
	}
}

/* A cube whose mask is a run of high bits is one range; false otherwise. */
static bool cube_range(struct wset *s)
{
	uint32_t free_bits = ~s->m;

	if (!s->cube)
		return true;
	if ((free_bits & (free_bits + 1)) != 0)
		return false;
	s->cube = false;
	s->n = 0;
	if ((s->v & ~s->m) == 0) {
		s->lo[0] = s->v;
		s->hi[0] = s->v | free_bits;
		s->n = 1;
	}
	return true;
}

static bool wset_has(const struct wset *s, uint32_t x)
{
	if (s->cube)
		return (x & s->m) == s->v;
	for (size_t i = 0; i < s->n; i++)
		if (x >= s->lo[i] && x <= s->hi[i])
			return true;
	return false;
}

static uint32_t word_answer(const struct wset *s, const struct pd_seccomp_plan_rule *r, size_t n,
			    uint32_t x, uint32_t def)
{
	for (size_t i = 0; i < n; i++)
		if (wset_has(&s[i], x))
			return r[i].action;
	return def;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Masked comparisons with few mask bits: enumerate them.  false when they do not fit. */
static bool word_enumerate(struct bld *b, const struct wset *s,
			   const struct pd_seccomp_plan_rule *r, size_t n, uint32_t off,
			   uint32_t def)
{
	uint32_t mall = 0, common = def, sub = 0, odd[ENUM_MAX], odd_act[ENUM_MAX];
	size_t n_odd = 0, best = 0;
	struct pool pool = { .n = 0 };

	for (size_t i = 0; i < n; i++) {
		if (!s[i].cube)
			return false;
		mall |= s[i].m;
	}
	if (__builtin_popcount(mall) > ENUM_BITS)
		return false;
	/* The most common answer over the enumerated values goes last. */
	for (size_t i = 0; i < n + 1; i++) {
		uint32_t cand = i < n ? r[i].action : def;
		size_t count = 0;

		sub = 0;
		do {
			count += word_answer(s, r, n, sub, def) == cand;
			sub = (sub - mall) & mall;
		} while (sub);
		if (count > best) {
			best = count;
			common = cand;
		}
	}
	sub = 0;
	do {
		uint32_t a = word_answer(s, r, n, sub, def);

		if (a != common) {
			if (n_odd == ENUM_MAX)
				return false;
			odd[n_odd] = sub;
			odd_act[n_odd++] = a;
		}
		sub = (sub - mall) & mall;
	} while (sub);
	for (size_t i = 0, distinct = 0; i < n_odd; i++) {
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen = seen || odd_act[j] == odd_act[i];
		if (!seen && ++distinct > POOL_MAX)
			return false;
	}
	ld(b, off);
	if (mall != UINT32_MAX)
		put(b, BPF_ALU | BPF_AND | BPF_K, mall, NEXT, NEXT);
	for (size_t i = 0; i < n_odd; i++)
		jmp(b, BPF_JEQ, odd[i], pool_label(b, &pool, odd_act[i]), NEXT);
	ret(b, common);
	pool_flush(b, &pool);
	return true;
}

/* Comparisons that each select ranges: search the ranges.  false when one is no range. */
static int word_ranges(struct bld *b, struct wset *s, const struct pd_seccomp_plan_rule *r,
		       size_t n, uint32_t off, uint32_t def, bool *done, struct pd_error *err)
{
	cleanup_free uint32_t *cut = pd_xreallocarray(NULL, 4 * n + 1, sizeof(uint32_t));
	struct runs runs = { 0 };
	size_t n_cut = 0;
	int rc;

	*done = false;
	for (size_t i = 0; i < n; i++)
		if (!cube_range(&s[i]))
			return 0;
	cut[n_cut++] = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < s[i].n; j++) {
			cut[n_cut++] = s[i].lo[j];
			if (s[i].hi[j] < UINT32_MAX)
				cut[n_cut++] = s[i].hi[j] + 1;
		}
	qsort(cut, n_cut, sizeof(*cut), cmp_u32);
	for (size_t i = 0; i < n_cut; i++)
		if (i == 0 || cut[i] != cut[i - 1])
			runs_add(&runs, (struct run){ .start = cut[i],
						      .act = word_answer(s, r, n, cut[i], def) });
	ld(b, off);
	rc = subtree(b, runs.v, runs.n, NULL, true, def, err);
	free(runs.v);
	*done = rc == 0;
	return rc;
}

/* One comparison with libseccomp's semantics; falls through when it holds, else to @fail. */
static void cmp_emit(struct bld *b, const struct pd_seccomp_arg *c, bool is32, int fail)
{
	uint32_t lo = ARG_LO(c->index), hi = lo + 4;
	uint32_t vlo = (uint32_t)c->value, vhi = (uint32_t)(c->value >> 32);
	int ok = new_label(b);

	if (c->op == PD_SECCOMP_CMP_MASKED_EQ) {
		uint64_t m = c->value, v = c->value2;

		if (is32)
			m &= UINT32_MAX; /* as libseccomp narrowed it */
		if (v & ~m) {
			ja(b, fail); /* can never hold */
		} else {
			if (!is32 && (m >> 32)) {
				ld(b, hi);
				if ((m >> 32) != UINT32_MAX)
					put(b, BPF_ALU | BPF_AND | BPF_K, (uint32_t)(m >> 32), NEXT,
					    NEXT);
				jmp(b, BPF_JEQ, (uint32_t)(v >> 32), NEXT, fail);
			}
			if ((uint32_t)m) {
				ld(b, lo);
				if ((uint32_t)m != UINT32_MAX)
					put(b, BPF_ALU | BPF_AND | BPF_K, (uint32_t)m, NEXT, NEXT);
				jmp(b, BPF_JEQ, (uint32_t)v, NEXT, fail);
			}
		}
		bind(b, ok);
		return;
	}
	if (!is32) {
		switch (c->op) {
		case PD_SECCOMP_CMP_EQ:
			ld(b, hi);
			jmp(b, BPF_JEQ, vhi, NEXT, fail);
			break;
		case PD_SECCOMP_CMP_NE:
			ld(b, hi);
			jmp(b, BPF_JEQ, vhi, NEXT, ok);
			break;
		case PD_SECCOMP_CMP_GT:
		case PD_SECCOMP_CMP_GE:
			ld(b, hi);
			jmp(b, BPF_JGT, vhi, ok, NEXT);
			jmp(b, BPF_JEQ, vhi, NEXT, fail);
			break;
		case PD_SECCOMP_CMP_LT:
		case PD_SECCOMP_CMP_LE:
		case PD_SECCOMP_CMP_MASKED_EQ:
		default:
			ld(b, hi);
			jmp(b, BPF_JGT, vhi, fail, NEXT);
			jmp(b, BPF_JEQ, vhi, NEXT, ok);
			break;
		}
	}
	ld(b, lo);
	switch (c->op) {
	case PD_SECCOMP_CMP_EQ:
		jmp(b, BPF_JEQ, vlo, NEXT, fail);
		break;
	case PD_SECCOMP_CMP_NE:
		jmp(b, BPF_JEQ, vlo, fail, NEXT);
		break;
	case PD_SECCOMP_CMP_GT:
		jmp(b, BPF_JGT, vlo, NEXT, fail);
		break;
	case PD_SECCOMP_CMP_GE:
		jmp(b, BPF_JGE, vlo, NEXT, fail);
		break;
	case PD_SECCOMP_CMP_LT:
		jmp(b, BPF_JGE, vlo, fail, NEXT);
		break;
	case PD_SECCOMP_CMP_LE:
	case PD_SECCOMP_CMP_MASKED_EQ:
	default:
		jmp(b, BPF_JGT, vlo, fail, NEXT);
		break;
	}
	bind(b, ok);
}

/* The argument rules of one call; A is free. */
static int arg_rules(struct bld *b, const struct run *run, bool is32, uint32_t def,
		     struct pd_error *err)
{
	const struct pd_seccomp_plan_rule *r = run->rules;
	size_t n = run->n;
	cleanup_free struct wset *s = pd_xreallocarray(NULL, n, sizeof(*s));
	bool one_word = n > 0;

	for (size_t i = 0; i < n && one_word; i++)
		one_word = r[i].n == 1 && r[i].cmp[0].index == r[0].cmp[0].index &&
			   word_set(&r[i].cmp[0], is32, &s[i]);
	if (one_word) {
		uint32_t off = ARG_LO(r[0].cmp[0].index);
		bool done;

		if (word_enumerate(b, s, r, n, off, def))
			return 0;
		if (word_ranges(b, s, r, n, off, def, &done, err) < 0)
			return -1;
		if (done)
			return 0;
	}
	for (size_t i = 0; i < n; i++) {
		int fail = new_label(b);

		for (size_t k = 0; k < r[i].n; k++) {
			if (r[i].cmp[k].index >= PD_SECCOMP_MAX_ARGS)
				return pd_error_set(err, EINVAL, "seccomp: argument %u",
						    r[i].cmp[k].index);
			cmp_emit(b, &r[i].cmp[k], is32, fail);
		}
		ret(b, r[i].action);
		bind(b, fail);
	}
	ret(b, def);
	return 0;
}

/* ---- the program ---- */

static int cmp_rule_nr(const void *a, const void *b)
{
	const struct pd_seccomp_plan_rule *x = a, *y = b;

	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The runs of numbers [@first, @first + PD_SCAN_NR) of one ABI, and their search. */
static int abi_section(struct bld *b, const struct pd_seccomp_prog *ref,
		       const struct pd_seccomp_plan_abi *abi, uint32_t audit, uint32_t first,
		       uint32_t def, struct pd_error *err)
{
	cleanup_free struct pd_seccomp_plan_rule *rules =
		pd_xreallocarray(NULL, abi->n_rules ? abi->n_rules : 1, sizeof(*rules));
	struct runs runs = { 0 };
	size_t k = 0;
	int rc = 0;

	if (abi->n_rules)
		memcpy(rules, abi->rules, abi->n_rules * sizeof(*rules));
	qsort(rules, abi->n_rules, sizeof(*rules), cmp_rule_nr);
	for (uint32_t nr = first; nr - first <= PD_SCAN_NR && rc == 0; nr++) {
		enum ref_kind kind = REF_CONST;
		uint32_t act = 0;
		size_t from;

		rc = ref_decide(ref, audit, nr, &kind, &act, err);
		if (rc < 0)
			break;
		while (k < abi->n_rules && (uint32_t)rules[k].nr < nr)
			k++;
		from = k;
		while (k < abi->n_rules && (uint32_t)rules[k].nr == nr)
			k++;
		if (nr - first == PD_SCAN_NR) {
			/* Past every number libseccomp was given: one answer from here. */
			if (kind != REF_CONST || from != k)
				rc = pd_error_set(err, EPROTO,
						  "seccomp: number 0x%x still has rules", nr);
			else
				runs_add(&runs, (struct run){ .start = nr, .act = act });
			break;
		}
		if (kind == REF_CONST) {
			runs_add(&runs, (struct run){ .start = nr, .act = act });
		} else if ((int32_t)nr == abi->mux[0] || (int32_t)nr == abi->mux[1]) {
			/* libseccomp's own rules on socketcall(2) or ipc(2) (from
			 * rules on the calls they multiplex) are not in the plan */
			rc = pd_error_set(err, ENOTSUP,
					  "seccomp: libseccomp filters the arguments of the "
					  "multiplexer 0x%x: not supported here",
					  nr);
		} else if (from == k) {
			rc = pd_error_set(err, EPROTO,
					  "seccomp: libseccomp reads arguments of call 0x%x, "
					  "which has no argument rules",
					  nr);
		} else {
			runs_add(&runs, (struct run){ .start = nr,
						      .args = true,
						      .rules = rules + from,
						      .n = k - from });
		}
	}
	if (rc == 0) {
		runs.v[0].start = 0; /* the search starts where the section does */
		struct runs merged = { 0 };
		struct run *exc = pd_xreallocarray(NULL, runs.n, sizeof(*exc));

		absorb_holes(&runs, &merged, exc);
		rc = subtree(b, merged.v, merged.n, NULL, abi->is32, def, err);
		free(merged.v);
		free(exc);
	}
	free(runs.v);
	return rc;
}

/*
 * Number -1 (what a tracer sets to skip a call) answered as libseccomp's
 * program answers it: that program tests it apart on x86_64 (before the
 * x32 split), so it need not answer as the numbers around it.  A holds nr.
 */
static int minus_one(struct bld *b, const struct pd_seccomp_prog *ref, uint32_t audit,
		     struct pd_error *err)
{
	enum ref_kind kind = REF_CONST;
	uint32_t act = 0;
	int rest = new_label(b);

	if (ref_decide(ref, audit, UINT32_MAX, &kind, &act, err) < 0)
		return -1;
	if (kind != REF_CONST)
		return pd_error_set(err, ENOTSUP,
				    "seccomp: libseccomp reads arguments for call -1");
	jmp(b, BPF_JEQ, UINT32_MAX, NEXT, rest);
	ret(b, act);
	bind(b, rest);
	return 0;
}

static const struct pd_seccomp_plan_abi *plan_abi(const struct pd_seccomp_plan *plan,
						  uint32_t token)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->abi[i].token == token)
			return &plan->abi[i];
	return NULL;
}

int pd_seccomp_emit_compact(const struct pd_seccomp_prog *ref, const struct pd_seccomp_plan *plan,
			    struct pd_seccomp_prog *out, struct pd_error *err)
{
	const struct pd_seccomp_plan_abi *x64 = plan_abi(plan, SCMP_ARCH_X86_64);
	const struct pd_seccomp_plan_abi *x32 = plan_abi(plan, SCMP_ARCH_X32);
	const struct pd_seccomp_plan_abi *i386 = plan_abi(plan, SCMP_ARCH_X86);
	__attribute__((cleanup(bld_release))) struct bld b = { 0 };
	int l64, l386 = -1, lx32;

	out->insns = NULL;
	out->len = 0;
	if (!x64 || plan->n != 1 + (size_t)(x32 != NULL) + (size_t)(i386 != NULL))
		return pd_error_set(
			err, ENOTSUP,
			"seccomp: a short filter is made for x86_64, x32 and i386 only");
	l64 = new_label(&b);
	ld(&b, offsetof(struct seccomp_data, arch));
	if (i386) {
		l386 = new_label(&b);
		jmp(&b, BPF_JEQ, AUDIT_ARCH_I386, l386, NEXT);
	}
	jmp(&b, BPF_JEQ, AUDIT_ARCH_X86_64, l64, NEXT);
	ret(&b, plan->badarch);

	bind(&b, l64);
	ld(&b, offsetof(struct seccomp_data, nr));
	if (minus_one(&b, ref, AUDIT_ARCH_X86_64, err) < 0)
		return -1;
	lx32 = new_label(&b);
	jmp(&b, BPF_JGE, X32_BIT, lx32, NEXT);
	/* Here, below X32_BIT: the last run reaches up to it. */
	if (abi_section(&b, ref, x64, AUDIT_ARCH_X86_64, 0, plan->def, err) < 0)
		return -1;
	bind(&b, lx32);
	if (x32) {
		if (abi_section(&b, ref, x32, AUDIT_ARCH_X86_64, X32_BIT, plan->def, err) < 0)
			return -1;
	} else {
		/* No x32 in the filter: what libseccomp answers there (the bad-ABI answer). */
		const struct pd_seccomp_plan_abi none = { .token = SCMP_ARCH_X32,
							  .is32 = true,
							  .mux = { -1, -1 } };

		if (abi_section(&b, ref, &none, AUDIT_ARCH_X86_64, X32_BIT, plan->def, err) < 0)
			return -1;
	}
	if (i386) {
		bind(&b, l386);
		ld(&b, offsetof(struct seccomp_data, nr));
		if (minus_one(&b, ref, AUDIT_ARCH_I386, err) < 0)
			return -1;
		if (abi_section(&b, ref, i386, AUDIT_ARCH_I386, 0, plan->def, err) < 0)
			return -1;
	}
	return assemble(&b, out, err);
}
