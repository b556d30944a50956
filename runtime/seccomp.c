/* SPDX-License-Identifier: MIT */
/*
 * seccomp.c - compile a seccomp profile into BPF with libseccomp, and
 * install a compiled program.
 *
 * Theory of operation.  A filter covers the native architecture and those
 * sub-architectures of it the profile lists (x86_64: the i386 and x32 ABIs,
 * which a 64-bit process can reach with `int $0x80` or bit 30 of the syscall
 * number).  Other architectures can never appear in seccomp_data here and
 * are ignored; a syscall from an architecture the filter does not cover
 * kills the process.
 *
 * Each architecture is built in its own libseccomp context, and the
 * contexts are merged at the end.  That way a call whose argument rules
 * libseccomp cannot express on a sub-architecture (on x86, socket(2) rules
 * with arguments are also rewritten onto the multiplexed socketcall(2),
 * whose arguments live in memory) is handled there alone, and fails closed
 * (collapse(): refused outright with the profile's first refusal of it).
 * On the native architecture every libseccomp error is an error.
 *
 * libseccomp compares only the low 32 bits of an argument on 32-bit ABIs
 * (i386, x32) and silently truncates wider values.  Comparisons are
 * therefore narrowed first, exactly: one that can never hold on a 32-bit
 * argument drops the rule on that ABI, one that always holds is dropped from
 * the rule.
 *
 * Names libseccomp does not know, or that do not exist on an architecture,
 * are skipped there (as runc does): such calls meet the default action.  A
 * rule whose action equals the default action changes nothing and is
 * skipped (libseccomp refuses it).
 *
 * The program is exported into a memfd and read back; installing it is a
 * bare seccomp(2) call so that it can run between fork and execve.
 */
#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* libseccomp's pseudo numbers for calls absent on an arch start here. */
#define PD_SCMP_PNR_ABSENT (-10000)

struct arch_name {
	const char *go;   /* Go / libseccomp-golang spelling */
	const char *scmp; /* SCMP_ARCH_* spelling */
	uint32_t token;   /* 0: this libseccomp cannot build for it */
	bool is32;        /* libseccomp compares 32-bit arguments */
};

#ifndef SCMP_ARCH_LOONGARCH64
#define SCMP_ARCH_LOONGARCH64 0
#endif
#ifndef SCMP_ARCH_M68K
#define SCMP_ARCH_M68K 0
#endif
#ifndef SCMP_ARCH_SH
#define SCMP_ARCH_SH 0
#endif
#ifndef SCMP_ARCH_SHEB
#define SCMP_ARCH_SHEB 0
#endif

static const struct arch_name arch_names[] = {
	{ "x86", "SCMP_ARCH_X86", SCMP_ARCH_X86, true },
	{ "amd64", "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64, false },
	{ "x32", "SCMP_ARCH_X32", SCMP_ARCH_X32, true },
	{ "arm", "SCMP_ARCH_ARM", SCMP_ARCH_ARM, true },
	{ "arm64", "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64, false },
	{ "mips", "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS, true },
	{ "mips64", "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64, false },
	{ "mips64n32", "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32, true },
	{ "mipsel", "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL, true },
	{ "mipsel64", "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64, false },
	{ "mipsel64n32", "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32, true },
	{ "ppc", "SCMP_ARCH_PPC", SCMP_ARCH_PPC, true },
	{ "ppc64", "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64, false },
	{ "ppc64le", "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE, false },
	{ "s390", "SCMP_ARCH_S390", SCMP_ARCH_S390, true },
	{ "s390x", "SCMP_ARCH_S390X", SCMP_ARCH_S390X, false },
	{ "parisc", "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC, true },
	{ "parisc64", "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64, false },
	{ "riscv64", "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64, false },
	{ "loong64", "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64, false },
	{ "m68k", "SCMP_ARCH_M68K", SCMP_ARCH_M68K, true },
	{ "sh", "SCMP_ARCH_SH", SCMP_ARCH_SH, true },
	{ "sheb", "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB, true },
};

/* Which sub-architectures a native architecture runs (moby's archMap). */
static const struct {
	uint32_t native;
	uint32_t sub[2];
} arch_families[] = {
	{ SCMP_ARCH_X86_64, { SCMP_ARCH_X86, SCMP_ARCH_X32 } },
	{ SCMP_ARCH_AARCH64, { SCMP_ARCH_ARM, 0 } },
	{ SCMP_ARCH_MIPS64, { SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64N32 } },
	{ SCMP_ARCH_MIPS64N32, { SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64 } },
	{ SCMP_ARCH_MIPSEL64, { SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64N32 } },
	{ SCMP_ARCH_MIPSEL64N32, { SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64 } },
	{ SCMP_ARCH_S390X, { SCMP_ARCH_S390, 0 } },
};

bool pd_seccomp_arch_lookup(const char *name, uint32_t *token)
{
	for (size_t i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++) {
		if (strcmp(name, arch_names[i].go) == 0 || strcmp(name, arch_names[i].scmp) == 0) {
			*token = arch_names[i].token;
			return true;
		}
	}
	return false;
}

static const struct arch_name *arch_by_token(uint32_t token)
{
	for (size_t i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++)
		if (arch_names[i].token == token && token != 0)
			return &arch_names[i];
	return NULL;
}

bool pd_seccomp_arch_in_family(uint32_t native, uint32_t arch)
{
	if (arch == native)
		return true;
	for (size_t i = 0; i < sizeof(arch_families) / sizeof(arch_families[0]); i++)
		if (arch_families[i].native == native)
			return arch != 0 &&
			       (arch_families[i].sub[0] == arch || arch_families[i].sub[1] == arch);
	return false;
}

static int parse_release(const char *s, unsigned *major, unsigned *minor)
{
	unsigned v[2] = { 0, 0 };

	for (int i = 0; i < 2; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9') {
			if (v[i] > 100000)
				return -1;
			v[i] = v[i] * 10 + (unsigned)(*s++ - '0');
		}
		if (i == 0 && *s++ != '.')
			return -1;
	}
	*major = v[0];
	*minor = v[1];
	return 0;
}

int pd_seccomp_host_detect(struct pd_seccomp_host *host, struct pd_error *err)
{
	struct utsname u;

	host->arch = seccomp_arch_native();
	if (uname(&u) < 0)
		return pd_error_set(err, errno, "uname");
	if (parse_release(u.release, &host->kernel_major, &host->kernel_minor) < 0)
		return pd_error_set(err, EINVAL, "parse kernel release \"%s\"", u.release);
	return 0;
}

/* ---- compiling ---- */

static void pd_scmp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
	*ctx = NULL;
}

#define cleanup_scmp __attribute__((cleanup(pd_scmp_releasep)))

struct arch_ctx {
	scmp_filter_ctx ctx;
	uint32_t token;
	bool native;
	bool is32;
	/* Calls whose argument rules this ABI cannot express (see collapse()). */
	struct collapsed *collapsed;
	size_t n_collapsed;
	/* The argument rules added, when a plan is recorded (seccomp_bpf.c). */
	bool record;
	struct pd_seccomp_plan_rule *plan;
	size_t n_plan;
};

struct collapsed {
	const char *name;
	bool refuse;                     /* refuse it outright here ... */
	struct pd_seccomp_action action; /* ... with the profile's first refusal */
	bool added;
};

/* One libseccomp context per architecture, merged at the end. */
struct build {
	struct arch_ctx arch[PD_SECCOMP_MAX_ARCHES];
	size_t n;
	const char *what;
	uint32_t badarch; /* the action for a call from an ABI not covered */
	bool record;      /* record each architecture's plan */
};

static void build_release(struct build *b)
{
	for (size_t i = 0; i < b->n; i++) {
		pd_scmp_releasep(&b->arch[i].ctx);
		free(b->arch[i].collapsed);
		b->arch[i].collapsed = NULL;
		b->arch[i].n_collapsed = 0;
		free(b->arch[i].plan);
		b->arch[i].plan = NULL;
		b->arch[i].n_plan = 0;
	}
	b->n = 0;
}

#define cleanup_build __attribute__((cleanup(build_release)))

static uint32_t scmp_action(const struct pd_seccomp_action *a)
{
	switch (a->kind) {
	case PD_SECCOMP_ALLOW:
		return SCMP_ACT_ALLOW;
	case PD_SECCOMP_ERRNO:
		return SCMP_ACT_ERRNO(a->data);
	case PD_SECCOMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case PD_SECCOMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case PD_SECCOMP_TRAP:
		return SCMP_ACT_TRAP;
	case PD_SECCOMP_LOG:
		return SCMP_ACT_LOG;
	case PD_SECCOMP_TRACE:
		return SCMP_ACT_TRACE(a->data);
	default:
		return SCMP_ACT_KILL_PROCESS;
	}
}

static bool action_permissive(const struct pd_seccomp_action *a)
{
	return a->kind == PD_SECCOMP_ALLOW || a->kind == PD_SECCOMP_LOG;
}

static int scmp_op(enum pd_seccomp_op op, enum scmp_compare *out)
{
	switch (op) {
	case PD_SECCOMP_CMP_NE:
		*out = SCMP_CMP_NE;
		return 0;
	case PD_SECCOMP_CMP_LT:
		*out = SCMP_CMP_LT;
		return 0;
	case PD_SECCOMP_CMP_LE:
		*out = SCMP_CMP_LE;
		return 0;
	case PD_SECCOMP_CMP_EQ:
		*out = SCMP_CMP_EQ;
		return 0;
	case PD_SECCOMP_CMP_GE:
		*out = SCMP_CMP_GE;
		return 0;
	case PD_SECCOMP_CMP_GT:
		*out = SCMP_CMP_GT;
		return 0;
	case PD_SECCOMP_CMP_MASKED_EQ:
		*out = SCMP_CMP_MASKED_EQ;
		return 0;
	default:
		return -1;
	}
}

enum narrowed { CMP_KEEP, CMP_ALWAYS, CMP_NEVER };

/* Rewrite @c for an ABI whose arguments are 32 bits wide. */
static enum narrowed narrow32(struct scmp_arg_cmp *c)
{
	const uint64_t lo = UINT32_MAX;

	switch (c->op) {
	case SCMP_CMP_NE:
	case SCMP_CMP_LT:
	case SCMP_CMP_LE:
		return c->datum_a > lo ? CMP_ALWAYS : CMP_KEEP;
	case SCMP_CMP_EQ:
	case SCMP_CMP_GE:
	case SCMP_CMP_GT:
		return c->datum_a > lo ? CMP_NEVER : CMP_KEEP;
	case SCMP_CMP_MASKED_EQ:
		c->datum_a &= lo;
		if (c->datum_b & ~c->datum_a)
			return CMP_NEVER;
		return c->datum_a == 0 ? CMP_ALWAYS : CMP_KEEP;
	case _SCMP_CMP_MIN:
	case _SCMP_CMP_MAX:
	default:
		return CMP_NEVER;
	}
}

static int arch_add(struct build *b, uint32_t token, uint32_t native, uint32_t def,
		    struct pd_error *err)
{
	const struct arch_name *an = arch_by_token(token);
	cleanup_scmp scmp_filter_ctx ctx = NULL;
	struct arch_ctx *a;
	int rc;

	if (b->n == PD_SECCOMP_MAX_ARCHES)
		return pd_error_set(err, E2BIG, "%s: more than %d architectures", b->what,
				    PD_SECCOMP_MAX_ARCHES);
	ctx = seccomp_init(def);
	if (!ctx)
		return pd_error_set(err, EINVAL, "%s: seccomp_init", b->what);
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, b->badarch);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* A binary search over syscall numbers instead of a linear list. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc < 0)
		return pd_error_set(err, -rc, "%s: seccomp_attr_set", b->what);
	if (token != native) {
		rc = seccomp_arch_add(ctx, token);
		if (rc == 0)
			rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (rc < 0)
			return pd_error_set(err, -rc, "%s: add architecture %s", b->what,
					    an ? an->scmp : "?");
	}
	a = &b->arch[b->n++];
	a->ctx = ctx;
	ctx = NULL;
	a->token = token;
	a->native = token == native;
	a->is32 = an ? an->is32 : false;
	a->record = b->record;
	a->plan = NULL;
	a->n_plan = 0;
	return 0;
}

static enum pd_seccomp_op pd_op(enum scmp_compare op)
{
	switch (op) {
	case SCMP_CMP_NE:
		return PD_SECCOMP_CMP_NE;
	case SCMP_CMP_LT:
		return PD_SECCOMP_CMP_LT;
	case SCMP_CMP_LE:
		return PD_SECCOMP_CMP_LE;
	case SCMP_CMP_EQ:
		return PD_SECCOMP_CMP_EQ;
	case SCMP_CMP_GE:
		return PD_SECCOMP_CMP_GE;
	case SCMP_CMP_GT:
		return PD_SECCOMP_CMP_GT;
	case SCMP_CMP_MASKED_EQ:
	case _SCMP_CMP_MIN:
	case _SCMP_CMP_MAX:
	default:
		return PD_SECCOMP_CMP_MASKED_EQ;
	}
}

/* Note an argument rule for call @arch_nr of @a's ABI in its plan. */
static void plan_add(struct arch_ctx *a, uint32_t act, int arch_nr, const struct scmp_arg_cmp *c,
		     unsigned m)
{
	struct pd_seccomp_plan_rule *r;

	if (!a->record || m == 0 || arch_nr < 0)
		return;
	a->plan = pd_xreallocarray(a->plan, a->n_plan + 1, sizeof(*a->plan));
	r = &a->plan[a->n_plan];
	*r = (struct pd_seccomp_plan_rule){
		.nr = arch_nr, .action = act, .order = a->n_plan, .n = m
	};
	a->n_plan++;
	for (unsigned k = 0; k < m; k++)
		r->cmp[k] = (struct pd_seccomp_arg){ .index = c[k].arg,
						     .op = pd_op(c[k].op),
						     .value = c[k].datum_a,
						     .value2 = c[k].datum_b };
	/* libseccomp compares a masked argument with the value's masked bits */
	for (unsigned k = 0; k < m; k++)
		if (r->cmp[k].op == PD_SECCOMP_CMP_MASKED_EQ)
			r->cmp[k].value2 &= r->cmp[k].value;
}

/* Add one rule (already split) to one architecture's context (call @arch_nr there). */
static int arch_rule_add(struct arch_ctx *a, const struct pd_seccomp_action *action, int nr,
			 int arch_nr, const struct scmp_arg_cmp *conds, size_t n)
{
	int rc;

	struct scmp_arg_cmp c[PD_SECCOMP_MAX_ARGS];
	uint32_t act = scmp_action(action);
	unsigned m = 0;

	for (size_t k = 0; k < n; k++) {
		c[m] = conds[k];
		if (!a->is32) {
			m++;
			continue;
		}
		switch (narrow32(&c[m])) {
		case CMP_NEVER:
			return 0;
		case CMP_ALWAYS:
			break;
		case CMP_KEEP:
		default:
			m++;
			break;
		}
	}
	rc = seccomp_rule_add_array(a->ctx, act, nr, m, c);
	if (rc == 0)
		plan_add(a, act, arch_nr, c, m);
	return rc;
}

/* The conditions of rule @r, and whether they must be added one by one. */
static int rule_conds(const struct build *b, const struct pd_seccomp_rule *r,
		      struct scmp_arg_cmp *conds, bool *split, struct pd_error *err)
{
	unsigned seen = 0;

	*split = false;
	if (r->n_args > PD_SECCOMP_MAX_ARGS)
		return pd_error_set(err, E2BIG,
				    "%s: syscalls[%zu]: %zu argument comparisons, at most %d",
				    b->what, r->origin, r->n_args, PD_SECCOMP_MAX_ARGS);
	for (size_t k = 0; k < r->n_args; k++) {
		const struct pd_seccomp_arg *arg = &r->args[k];
		enum scmp_compare op;

		if (arg->index >= PD_SECCOMP_MAX_ARGS || scmp_op(arg->op, &op) < 0)
			return pd_error_set(err, EINVAL,
					    "%s: syscalls[%zu].args[%zu]: invalid comparison",
					    b->what, r->origin, k);
		if (seen & (1u << arg->index))
			*split = true;
		seen |= 1u << arg->index;
		conds[k] = (struct scmp_arg_cmp){
			.arg = arg->index, .op = op, .datum_a = arg->value, .datum_b = arg->value2
		};
	}
	return 0;
}

static bool rule_names(const struct pd_seccomp_rule *r, const char *name)
{
	for (size_t i = 0; i < r->n_names; i++)
		if (!strcmp(r->names[i], name))
			return true;
	return false;
}

/* Add rule @r's conditions for call @nr to @a (split when needed). */
static int arch_add_conds(struct arch_ctx *a, const struct pd_seccomp_rule *r, int nr, int arch_nr,
			  const struct scmp_arg_cmp *conds, bool split)
{
	int rc = 0;

	if (!split)
		return arch_rule_add(a, &r->action, nr, arch_nr, conds, r->n_args);
	for (size_t k = 0; k < r->n_args && rc == 0; k++)
		rc = arch_rule_add(a, &r->action, nr, arch_nr, &conds[k], 1);
	return rc;
}

/*
 * On a sub-architecture, libseccomp cannot express some argument rules (on
 * i386 it rewrites socket(2) rules onto the multiplexed socketcall(2), whose
 * arguments live in memory).  Whether it can is decided per call, up front,
 * by adding all of that call's rules to a scratch filter.  When it cannot,
 * the call is refused outright on that ABI with the profile's first refusal
 * of it, or, when the profile only ever allows it, left to the default
 * action: it fails closed either way, and the decision no longer depends on
 * the order of the rules.  On the native architecture every rule must go in.
 */
static int collapse(struct build *b, struct arch_ctx *a, const struct pd_seccomp_profile *p,
		    uint32_t def, struct pd_error *err)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct pd_seccomp_rule *r = &p->rules[i];

		if (r->n_args == 0 || scmp_action(&r->action) == def)
			continue;
		for (size_t j = 0; j < r->n_names; j++) {
			const char *name = r->names[j];
			int nr = seccomp_syscall_resolve_name(name);
			struct arch_ctx scratch = *a;
			struct collapsed c = { .name = name };
			bool known = false, ok = true;

			for (size_t k = 0; k < a->n_collapsed; k++)
				known = known || !strcmp(a->collapsed[k].name, name);
			if (known || nr == __NR_SCMP_ERROR ||
			    seccomp_syscall_resolve_name_arch(a->token, name) <= PD_SCMP_PNR_ABSENT)
				continue;
			scratch.record = false;
			scratch.ctx = seccomp_init(def);
			if (!scratch.ctx || seccomp_arch_add(scratch.ctx, a->token) < 0 ||
			    seccomp_arch_remove(scratch.ctx, SCMP_ARCH_NATIVE) < 0) {
				pd_scmp_releasep(&scratch.ctx);
				return pd_error_set(err, EINVAL, "%s: scratch filter", b->what);
			}
			for (size_t k = i; k < p->n_rules && ok; k++) {
				struct scmp_arg_cmp conds[PD_SECCOMP_MAX_ARGS];
				bool split;

				if (!rule_names(&p->rules[k], name) ||
				    scmp_action(&p->rules[k].action) == def)
					continue;
				if (rule_conds(b, &p->rules[k], conds, &split, err) < 0) {
					pd_scmp_releasep(&scratch.ctx);
					return -1;
				}
				ok = arch_add_conds(&scratch, &p->rules[k], nr, -1, conds, split) ==
				     0;
				if (!c.refuse && !action_permissive(&p->rules[k].action)) {
					c.refuse = true;
					c.action = p->rules[k].action;
				}
			}
			pd_scmp_releasep(&scratch.ctx);
			if (ok)
				continue;
			a->collapsed = pd_xreallocarray(a->collapsed, a->n_collapsed + 1,
							sizeof(*a->collapsed));
			a->collapsed[a->n_collapsed++] = c;
		}
	}
	return 0;
}

static struct collapsed *collapsed_of(struct arch_ctx *a, const char *name)
{
	for (size_t k = 0; k < a->n_collapsed; k++)
		if (!strcmp(a->collapsed[k].name, name))
			return &a->collapsed[k];
	return NULL;
}

static int rule_add(struct build *b, const struct pd_seccomp_rule *r, uint32_t def,
		    struct pd_error *err)
{
	struct scmp_arg_cmp conds[PD_SECCOMP_MAX_ARGS];
	bool split;

	if (rule_conds(b, r, conds, &split, err) < 0)
		return -1;
	if (scmp_action(&r->action) == def)
		return 0;

	for (size_t i = 0; i < r->n_names; i++) {
		const char *name = r->names[i];
		int nr = seccomp_syscall_resolve_name(name);

		if (nr == __NR_SCMP_ERROR)
			continue;
		for (size_t j = 0; j < b->n; j++) {
			struct arch_ctx *a = &b->arch[j];
			const struct arch_name *an = arch_by_token(a->token);
			struct collapsed *c = collapsed_of(a, name);
			int arch_nr = seccomp_syscall_resolve_name_arch(a->token, name);
			int rc;

			if (arch_nr <= PD_SCMP_PNR_ABSENT)
				continue;
			if (c) {
				if (!c->refuse || c->added)
					continue;
				c->added = true;
				rc = seccomp_rule_add_array(a->ctx, scmp_action(&c->action), nr, 0,
							    NULL);
			} else {
				rc = arch_add_conds(a, r, nr, arch_nr, conds, split);
			}
			if (rc < 0)
				return pd_error_set(err, -rc,
						    "%s: syscalls[%zu]: add rule for \"%s\" (%s)",
						    b->what, r->origin, name, an ? an->scmp : "?");
		}
	}
	return 0;
}

/* Export the merged filter through a memfd into a heap program. */
static int export_prog(scmp_filter_ctx ctx, const char *what, struct pd_seccomp_prog *out,
		       struct pd_error *err)
{
	cleanup_close int fd = memfd_create("paude-seccomp", MFD_CLOEXEC);
	cleanup_free struct sock_filter *insns = NULL;
	struct stat st;
	size_t size, n, done = 0;
	int rc;

	if (fd < 0)
		return pd_error_set(err, errno, "%s: memfd_create \"paude-seccomp\"", what);
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return pd_error_set(err, -rc, "%s: seccomp_export_bpf", what);
	if (fstat(fd, &st) < 0)
		return pd_error_set(err, errno, "%s: fstat memfd", what);
	size = (size_t)st.st_size;
	if (size == 0 || size % sizeof(struct sock_filter) != 0)
		return pd_error_set(err, EPROTO, "%s: libseccomp exported %zu bytes of BPF", what,
				    size);
	n = size / sizeof(struct sock_filter);
	if (n > BPF_MAXINSNS)
		return pd_error_set(
			err, E2BIG,
			"%s: compiled filter has %zu instructions, the kernel takes at most %d",
			what, n, BPF_MAXINSNS);
	insns = pd_xmalloc(size);
	while (done < size) {
		ssize_t got = pread(fd, (char *)insns + done, size - done, (off_t)done);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return pd_error_set(err, errno, "%s: read memfd", what);
		if (got == 0)
			return pd_error_set(err, EPROTO, "%s: short read of memfd", what);
		done += (size_t)got;
	}
	out->insns = insns;
	insns = NULL;
	out->len = n;
	return 0;
}

static void plan_release(struct pd_seccomp_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		free(plan->abi[i].rules);
	memset(plan, 0, sizeof(*plan));
}

/* Compile @p; with @plan, also record what each ABI got (ownership passes to @plan). */
static int compile(const struct pd_seccomp_profile *p, struct pd_seccomp_prog *out,
		   struct pd_seccomp_plan *plan, struct pd_error *err)
{
	cleanup_build struct build b = {
		.what = p->what ? p->what : "seccomp profile",
		.badarch = p->badarch_errno ? SCMP_ACT_ERRNO((uint32_t)p->badarch_errno)
					    : SCMP_ACT_KILL_PROCESS,
		.record = plan != NULL,
	};
	uint32_t native = seccomp_arch_native();
	uint32_t def = scmp_action(&p->default_action);

	out->insns = NULL;
	out->len = 0;
	if (arch_add(&b, native, native, def, err) < 0)
		return -1;
	for (size_t i = 0; i < p->n_arches; i++) {
		bool dup = false;

		if (!pd_seccomp_arch_in_family(native, p->arches[i]))
			continue;
		for (size_t j = 0; j < b.n; j++)
			dup = dup || b.arch[j].token == p->arches[i];
		if (!dup && arch_add(&b, p->arches[i], native, def, err) < 0)
			return -1;
	}
	for (size_t i = 1; i < b.n; i++)
		if (collapse(&b, &b.arch[i], p, def, err) < 0)
			return -1;
	for (size_t i = 0; i < p->n_rules; i++)
		if (rule_add(&b, &p->rules[i], def, err) < 0)
			return -1;
	for (size_t i = 1; i < b.n; i++) {
		int rc = seccomp_merge(b.arch[0].ctx, b.arch[i].ctx);

		if (rc < 0)
			return pd_error_set(err, -rc, "%s: seccomp_merge", b.what);
		b.arch[i].ctx = NULL; /* merged means released */
	}
	if (plan) {
		plan->def = def;
		plan->badarch = b.badarch;
		plan->n = b.n;
		for (size_t i = 0; i < b.n; i++) {
			plan->abi[i] = (struct pd_seccomp_plan_abi){
				.token = b.arch[i].token,
				.is32 = b.arch[i].is32,
				.rules = b.arch[i].plan,
				.n_rules = b.arch[i].n_plan,
				/* the multiplexers libseccomp adds argument rules to by itself */
				.mux = { seccomp_syscall_resolve_name_arch(b.arch[i].token,
									   "socketcall"),
					 seccomp_syscall_resolve_name_arch(b.arch[i].token,
									   "ipc") },
			};
			b.arch[i].plan = NULL;
		}
	}
	return export_prog(b.arch[0].ctx, b.what, out, err);
}

int pd_seccomp_compile(const struct pd_seccomp_profile *p, struct pd_seccomp_prog *out,
		       struct pd_error *err)
{
	return compile(p, out, NULL, err);
}

int pd_seccomp_compile_compact(const struct pd_seccomp_profile *p, struct pd_seccomp_prog *out,
			       struct pd_error *err)
{
	__attribute__((cleanup(plan_release))) struct pd_seccomp_plan plan = { .n = 0 };
	struct pd_seccomp_prog ref = { 0 };
	int rc;

	out->insns = NULL;
	out->len = 0;
	if (compile(p, &ref, &plan, err) < 0) {
		pd_seccomp_prog_release(&ref);
		return -1;
	}
	rc = pd_seccomp_emit_compact(&ref, &plan, out, err);
	if (rc == 0 && pd_seccomp_check_same(&ref, out, &plan, err) < 0) {
		pd_seccomp_prog_release(out);
		rc = -1;
	}
	pd_seccomp_prog_release(&ref);
	return rc;
}

/* ---- public API ---- */

static void profile_freep(struct pd_seccomp_profile **p)
{
	pd_seccomp_profile_free(*p);
	*p = NULL;
}

/**
 * pd_seccomp_from_json() - compile a Docker/OCI JSON seccomp profile.
 * @json: profile text, @len bytes
 * @out: receives the program; release it with pd_seccomp_prog_release()
 * @err: error naming the offending field, e.g.
 *       seccomp profile: syscalls[3].args[0].op: unknown operator "SCMP_CMP_FOO"
 *
 * Return: 0, or -1 with @err set.
 */
int pd_seccomp_from_json(const char *json, size_t len, struct pd_seccomp_prog *out,
			 struct pd_error *err)
{
	__attribute__((cleanup(profile_freep))) struct pd_seccomp_profile *p = NULL;
	struct pd_seccomp_host host;

	out->insns = NULL;
	out->len = 0;
	if (pd_seccomp_host_detect(&host, err) < 0)
		return pd_error_wrap(err, "seccomp profile");
	if (pd_seccomp_profile_parse(json, len, &host, &p, err) < 0)
		return -1;
	return pd_seccomp_compile(p, out, err);
}

/**
 * pd_seccomp_prog_release() - free a program from pd_seccomp_default(),
 * pd_seccomp_from_json() or pd_seccomp_compile(); safe on a zeroed one and
 * twice.
 * @prog: the program; left empty
 */
void pd_seccomp_prog_release(struct pd_seccomp_prog *prog)
{
	if (!prog)
		return;
	free(prog->insns);
	prog->insns = NULL;
	prog->len = 0;
}

int pd_seccomp_apply(const struct pd_seccomp_prog *prog, struct pd_error *err)
{
	struct sock_fprog fprog;

	if (!prog || !prog->insns || prog->len == 0 || prog->len > BPF_MAXINSNS)
		return pd_error_set(err, EINVAL, "seccomp: no valid filter program to install");
	fprog.len = (unsigned short)prog->len;
	fprog.filter = prog->insns;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
		return pd_error_set(err, errno, "seccomp(SECCOMP_SET_MODE_FILTER)");
	return 0;
}
