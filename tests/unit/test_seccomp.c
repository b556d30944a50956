/* SPDX-License-Identifier: MIT */
/*
 * test_seccomp.c - the seccomp module: the default filter, enforced by the
 * kernel, and JSON profiles.
 *
 * A filter is only ever installed in a child this file forks (the runner may
 * not fork, as in the ASan build): the child sets no_new_privs, installs the
 * program, runs a list of probe syscalls and writes each result (0 or the
 * errno) down a pipe; the parent compares them with what it expects and
 * prints every mismatch.  Probes use arguments the kernel itself would
 * reject with another errno (EBADF, ENOENT, EFAULT, EINVAL...), so an EPERM
 * can only come from the filter, and nothing happens when a filter is broken.
 *
 * The i386 ABI is reached with `int $0x80`, the x32 ABI with bit 30 of the
 * syscall number; the kernel runs the filter before it looks at either, so
 * they are testable even where x32 is compiled out.
 *
 * What no probe can cover - every call, every ABI, every argument path - is
 * read off the compiled program with a small BPF interpreter (bpf_run(),
 * checked against the kernel on every probe): the calls paude promises to
 * refuse, each row of the table, fcntl(F_SETLEASE), and the default filter
 * side by side with containers-common's profile (podman's default), which
 * it must be at least as strict as.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "common/cleanup.h"
#include "runtime/seccomp.h"

#define X32_BIT 0x40000000L

enum abi { NATIVE, I386, X32 };

struct probe {
	const char *what;
	enum abi abi;
	long nr;
	unsigned long a[6];
	int want; /* 0: the call succeeds; else its errno */
};

/* ---- running probes under a filter ---- */

#ifdef __x86_64__
static long i386_syscall(long nr, const unsigned long *a)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
			 : "memory", "cc", "r8", "r9", "r10", "r11");
	return ret;
}
#endif

/* Runs in the filtered child: 0 on success, else the errno. */
static int probe_run(const struct probe *p)
{
	long r;

	switch (p->abi) {
	case I386:
#ifdef __x86_64__
		r = i386_syscall(p->nr, p->a);
		if (r == 0 && p->nr == 120) /* a clone that got through: the child leaves */
			_exit(0);
		return r < 0 && r > -4096 ? (int)-r : 0;
#else
		return ENOSYS;
#endif
	case X32:
	case NATIVE:
	default:
		errno = 0;
		r = syscall(p->nr | (p->abi == X32 ? X32_BIT : 0), p->a[0], p->a[1], p->a[2],
			    p->a[3], p->a[4], p->a[5]);
		if (r == 0 && p->abi == NATIVE && p->nr == SYS_clone)
			_exit(0);
		return r < 0 ? errno : 0;
	}
}

typedef void (*child_fn)(int wfd, const void *arg, size_t n);

static void write_results(int wfd, const int *res, size_t n)
{
	const char *b = (const char *)res;
	size_t len = n * sizeof(int);

	while (len > 0) {
		ssize_t w = write(wfd, b, len);

		if (w <= 0)
			_exit(202);
		b += w;
		len -= (size_t)w;
	}
}

static void child_probes(int wfd, const void *arg, size_t n)
{
	const struct probe *p = arg;

	for (size_t i = 0; i < n; i++) {
		int r = probe_run(&p[i]);

		write_results(wfd, &r, 1);
	}
}

/*
 * Fork, install @prog in the child, run @fn there; read up to @n results.
 * Return: the child's wait status; *got is how many results arrived.
 */
static int in_filter(const struct pd_seccomp_prog *prog, child_fn fn, const void *arg, size_t n,
		     int *res, size_t *got)
{
	int pfd[2], status = 0;
	size_t bytes = 0;
	pid_t pid;

	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct pd_error err;

		close(pfd[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(200);
		if (pd_seccomp_apply(prog, &err) < 0)
			_exit(201);
		fn(pfd[1], arg, n);
		_exit(0);
	}
	close(pfd[1]);
	while (bytes < n * sizeof(int)) {
		ssize_t r = read(pfd[0], (char *)res + bytes, n * sizeof(int) - bytes);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		bytes += (size_t)r;
	}
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	*got = bytes / sizeof(int);
	return status;
}

/* in_filter() that must run to completion. */
static void in_filter_ok(const struct pd_seccomp_prog *prog, child_fn fn, const void *arg, size_t n,
			 int *res)
{
	size_t got = 0;
	int status = in_filter(prog, fn, arg, n, res, &got);

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == n,
		      "filtered child sent %zu of %zu results, wait status 0x%x", got, n, status);
}

static const char *ename(int code, char *buf, size_t size)
{
	const char *n = code > 0 ? strerrorname_np(code) : NULL;

	if (code == 0)
		snprintf(buf, size, "success");
	else if (n)
		snprintf(buf, size, "%s", n);
	else
		snprintf(buf, size, "%d", code);
	return buf;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

#ifdef __x86_64__
/* ck_assert_*() reports progress to the runner on every call: too slow in a loop. */
#define BPF_CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/*
 * ---- reading a compiled filter: a classic BPF interpreter ----
 *
 * bpf_run() runs a program over a struct seccomp_data as the kernel does,
 * so a test can ask the compiled filter for its answer to any call on any
 * ABI with any arguments without making the call.  check_probes() checks
 * it against the kernel on every probe it runs.
 *
 * It also notes each comparison of an argument word with a constant (after
 * an optional mask), and explore() uses those notes to walk the paths of
 * the program for one call: starting from a few argument vectors, every
 * constant a path compares a word with yields new vectors (the constant,
 * one either side, the bits outside the mask flipped...), until nothing new
 * turns up.
 */
struct bpf_cmp {
	uint32_t off;  /* byte offset of the argument word in seccomp_data */
	uint32_t k;    /* the constant it was compared with */
	uint32_t mask; /* the bits of the word that reached the comparison */
};

struct bpf_trace {
	bool args_read;
	size_t n;
	struct bpf_cmp cmp[128];
};

#define ARGS_OFF ((uint32_t)offsetof(struct seccomp_data, args))

static uint32_t bpf_run(const struct pd_seccomp_prog *prog, const struct seccomp_data *d,
			struct bpf_trace *t)
{
	const struct sock_filter *f = prog->insns;
	unsigned char raw[sizeof(*d)];
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	int64_t a_off = -1; /* a holds (bits of) the argument word at this offset */
	uint32_t a_mask = 0;

	memcpy(raw, d, sizeof(raw));
	if (t) {
		t->args_read = false;
		t->n = 0;
	}
	for (size_t pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *in = &f[pc];
		uint32_t k = in->k, src = BPF_SRC(in->code) == BPF_X ? x : k;
		bool cond = false;

		switch (BPF_CLASS(in->code)) {
		case BPF_LD:
			a_off = -1;
			if (BPF_MODE(in->code) == BPF_ABS) {
				BPF_CHECK(BPF_SIZE(in->code) == BPF_W && k % 4 == 0 &&
						  k <= sizeof(raw) - 4,
					  "insn %zu: load at %u", pc, k);
				memcpy(&a, raw + k, 4);
				if (k >= ARGS_OFF) {
					a_off = k;
					a_mask = UINT32_MAX;
					if (t)
						t->args_read = true;
				}
			} else if (BPF_MODE(in->code) == BPF_IMM) {
				a = k;
			} else if (BPF_MODE(in->code) == BPF_MEM && k < BPF_MEMWORDS) {
				a = mem[k];
			} else if (BPF_MODE(in->code) == BPF_LEN) {
				a = sizeof(raw);
			} else {
				ck_abort_msg("insn %zu: unknown load 0x%x", pc, in->code);
			}
			break;
		case BPF_LDX:
			if (BPF_MODE(in->code) == BPF_IMM)
				x = k;
			else if (BPF_MODE(in->code) == BPF_MEM && k < BPF_MEMWORDS)
				x = mem[k];
			else if (BPF_MODE(in->code) == BPF_LEN)
				x = sizeof(raw);
			else
				ck_abort_msg("insn %zu: unknown load 0x%x", pc, in->code);
			break;
		case BPF_ST:
		case BPF_STX:
			BPF_CHECK(k < BPF_MEMWORDS, "insn %zu: store to M[%u]", pc, k);
			mem[k] = BPF_CLASS(in->code) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			if (BPF_OP(in->code) == BPF_AND && BPF_SRC(in->code) == BPF_K)
				a_mask &= k;
			else
				a_off = -1;
			switch (BPF_OP(in->code)) {
			case BPF_ADD:
				a += src;
				break;
			case BPF_SUB:
				a -= src;
				break;
			case BPF_MUL:
				a *= src;
				break;
			case BPF_OR:
				a |= src;
				break;
			case BPF_AND:
				a &= src;
				break;
			case BPF_XOR:
				a ^= src;
				break;
			case BPF_NEG:
				a = -a;
				break;
			case BPF_DIV:
			case BPF_MOD:
				BPF_CHECK(src != 0, "insn %zu: division by zero", pc);
				a = BPF_OP(in->code) == BPF_DIV ? a / src : a % src;
				break;
			case BPF_LSH:
			case BPF_RSH:
				BPF_CHECK(src < 32, "insn %zu: shift by %u", pc, src);
				a = BPF_OP(in->code) == BPF_LSH ? a << src : a >> src;
				break;
			default:
				ck_abort_msg("insn %zu: unknown ALU op 0x%x", pc, in->code);
			}
			break;
		case BPF_JMP:
			if (BPF_OP(in->code) == BPF_JA) {
				BPF_CHECK(k < prog->len - pc - 1, "insn %zu: jump past the end",
					  pc);
				pc += k;
				break;
			}
			switch (BPF_OP(in->code)) {
			case BPF_JEQ:
				cond = a == src;
				break;
			case BPF_JGT:
				cond = a > src;
				break;
			case BPF_JGE:
				cond = a >= src;
				break;
			case BPF_JSET:
				cond = (a & src) != 0;
				break;
			default:
				ck_abort_msg("insn %zu: unknown jump 0x%x", pc, in->code);
			}
			if (t && a_off >= 0 && BPF_SRC(in->code) == BPF_K && t->n < N(t->cmp))
				t->cmp[t->n++] = (struct bpf_cmp){ (uint32_t)a_off, k, a_mask };
			BPF_CHECK((size_t)(cond ? in->jt : in->jf) < prog->len - pc - 1,
				  "insn %zu: jump past the end", pc);
			pc += cond ? in->jt : in->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(in->code) == BPF_A ? a : k;
		case BPF_MISC:
			if (BPF_MISCOP(in->code) == BPF_TAX) {
				x = a;
			} else if (BPF_MISCOP(in->code) == BPF_TXA) {
				a = x;
				a_off = -1;
			} else {
				ck_abort_msg("insn %zu: unknown misc op 0x%x", pc, in->code);
			}
			break;
		default:
			ck_abort_msg("insn %zu: unknown class 0x%x", pc, in->code);
		}
	}
	ck_abort_msg("the program runs off its end");
	return 0;
}

/* What the kernel hands the filter for a call @nr of @abi (i386 registers are 32 bits). */
static struct seccomp_data bpf_data(enum abi abi, long nr, const uint64_t *args)
{
	struct seccomp_data d;

	memset(&d, 0, sizeof(d));
	d.nr = (int)(abi == X32 ? nr | X32_BIT : nr);
	d.arch = abi == I386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
	for (int i = 0; i < 6; i++)
		d.args[i] = abi == I386 ? (uint32_t)args[i] : args[i];
	return d;
}

static uint32_t bpf_answer(const struct pd_seccomp_prog *prog, enum abi abi, long nr,
			   const uint64_t *args)
{
	struct seccomp_data d = bpf_data(abi, nr, args);

	return bpf_run(prog, &d, NULL);
}

static bool act_allows(uint32_t r)
{
	r &= SECCOMP_RET_ACTION_FULL;
	return r == SECCOMP_RET_ALLOW || r == SECCOMP_RET_LOG;
}

static const char *act_name(uint32_t r, char *buf, size_t size)
{
	uint32_t data = r & SECCOMP_RET_DATA;
	const char *e = strerrorname_np((int)data);

	switch (r & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
		snprintf(buf, size, "ALLOW");
		break;
	case SECCOMP_RET_LOG:
		snprintf(buf, size, "LOG");
		break;
	case SECCOMP_RET_ERRNO:
		if (e)
			snprintf(buf, size, "ERRNO(%s)", e);
		else
			snprintf(buf, size, "ERRNO(%u)", data);
		break;
	case SECCOMP_RET_KILL_PROCESS:
		snprintf(buf, size, "KILL_PROCESS");
		break;
	case SECCOMP_RET_KILL_THREAD:
		snprintf(buf, size, "KILL_THREAD");
		break;
	case SECCOMP_RET_TRAP:
		snprintf(buf, size, "TRAP");
		break;
	case SECCOMP_RET_TRACE:
		snprintf(buf, size, "TRACE(%u)", data);
		break;
	default:
		snprintf(buf, size, "0x%08x", r);
		break;
	}
	return buf;
}

static const uint32_t abi_token[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32 };
static const char *const abi_name[] = { "x86_64", "i386", "x32" };

/* libseccomp's number for @name on @abi, without the x32 bit; -1 where it does not exist. */
static long abi_nr(enum abi abi, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(abi_token[abi], name);

	return nr < 0 ? -1 : (long)(nr & ~(int)X32_BIT);
}

/* "name" of call @nr on @abi into @buf, or its number when libseccomp has no name for it. */
static const char *call_name(enum abi abi, long nr, char *buf, size_t size)
{
	char *n = seccomp_syscall_resolve_num_arch(abi_token[abi],
						   (int)(abi == X32 ? nr | X32_BIT : nr));

	if (n)
		snprintf(buf, size, "%s %s", abi_name[abi], n);
	else
		snprintf(buf, size, "%s #%ld", abi_name[abi], nr);
	free(n);
	return buf;
}

#define EXPLORE_MAX 8192
#define EXPLORE_HASH (4 * EXPLORE_MAX)

struct explore {
	uint64_t (*vec)[6];
	size_t n, head;
	uint64_t *seen; /* open-addressing set of vector hashes (0: empty) */
};

static uint64_t vec_hash(const uint64_t *v)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p = (const unsigned char *)v;

	for (size_t i = 0; i < 6 * sizeof(uint64_t); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h ? h : 1;
}

static void explore_push(struct explore *e, enum abi abi, const uint64_t *v)
{
	uint64_t w[6], h;
	size_t slot;

	for (int i = 0; i < 6; i++)
		w[i] = abi == I386 ? (uint32_t)v[i] : v[i];
	h = vec_hash(w);
	for (slot = h % EXPLORE_HASH; e->seen[slot]; slot = (slot + 1) % EXPLORE_HASH)
		if (e->seen[slot] == h)
			return;
	if (e->n == EXPLORE_MAX)
		return;
	e->seen[slot] = h;
	memcpy(e->vec[e->n++], w, sizeof(w));
}

/* Vectors that differ from @v in the word @c compared, around its constant. */
static void explore_children(struct explore *e, enum abi abi, const uint64_t *v,
			     const struct bpf_cmp *c)
{
	unsigned word = (c->off - ARGS_OFF) / 4, arg = word / 2, shift = word % 2 ? 32 : 0;
	const uint32_t cand[] = {
		c->k, c->k - 1, c->k + 1, c->k | ~c->mask, ~c->k, 0, c->k ^ (c->mask & -c->mask)
	};

	for (size_t i = 0; i < N(cand); i++) {
		uint64_t w[6];

		memcpy(w, v, sizeof(w));
		w[arg] = (w[arg] & ~(0xffffffffULL << shift)) | ((uint64_t)cand[i] << shift);
		explore_push(e, abi, w);
	}
}

typedef void (*explore_fn)(const uint64_t *args, const uint32_t *act, void *ctx);

/*
 * explore() - call @fn with the answers of @progs[0..@np) for call @nr of
 * @abi, for argument vectors that take every path of the programs for it.
 * Return: how many vectors were tried.
 */
static size_t explore(const struct pd_seccomp_prog *const *progs, size_t np, enum abi abi, long nr,
		      explore_fn fn, void *ctx)
{
	static const uint64_t base[][6] = {
		{ 0, 0, 0, 0, 0, 0 },
		{ ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL },
		{ 1, 1, 1, 1, 1, 1 },
		{ 0xffffffffULL, 0xffffffffULL, 0xffffffffULL, 0xffffffffULL, 0xffffffffULL,
		  0xffffffffULL },
		{ 0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0xdeadbeef00005412ULL,
		  0x8000000000000000ULL, 0x00000000deadbeefULL, 0x5a5a5a5a5a5a5a5aULL },
	};
	struct explore e = { 0 };
	struct bpf_trace t;
	uint32_t act[4];

	BPF_CHECK(np <= N(act), "explore: %zu programs", np);
	e.vec = calloc(EXPLORE_MAX, sizeof(*e.vec));
	e.seen = calloc(EXPLORE_HASH, sizeof(*e.seen));
	BPF_CHECK(e.vec && e.seen, "explore: out of memory");
	for (size_t i = 0; i < N(base); i++)
		explore_push(&e, abi, base[i]);
	while (e.head < e.n) {
		const uint64_t *v = e.vec[e.head++];
		struct seccomp_data d = bpf_data(abi, nr, v);

		for (size_t j = 0; j < np; j++) {
			act[j] = bpf_run(progs[j], &d, &t);
			for (size_t c = 0; c < t.n; c++)
				explore_children(&e, abi, v, &t.cmp[c]);
		}
		fn(v, act, ctx);
	}
	free(e.vec);
	free(e.seen);
	return e.n;
}

/* A failure report that fills up to a limit and counts the rest. */
struct report {
	char text[4096];
	size_t used, bad;
};

static void report_add(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report_add(struct report *r, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (r->bad++ >= 20 || r->used >= sizeof(r->text) - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(r->text + r->used, sizeof(r->text) - r->used, fmt, ap);
	va_end(ap);
	if (k > 0)
		r->used = (size_t)k < sizeof(r->text) - r->used ? r->used + (size_t)k
								: sizeof(r->text) - 1;
}
#endif /* __x86_64__ */

/* Run @p[0..n) under @prog and fail listing every probe that mismatched. */
static void check_probes(const struct pd_seccomp_prog *prog, const struct probe *p, size_t n)
{
	int *res = calloc(n, sizeof(int));
	char report[4096] = "";
	size_t used = 0, bad = 0;

	ck_assert_ptr_nonnull(res);
	in_filter_ok(prog, child_probes, p, n, res);
	for (size_t i = 0; i < n; i++) {
		char w[32], g[32];
		int k;

		char interp[48] = "";

#ifdef __x86_64__
		{
			/* The interpreter must agree with the kernel on every refusal. */
			uint64_t a[6];
			uint32_t act;

			for (int j = 0; j < 6; j++)
				a[j] = p[i].a[j];
			act = bpf_answer(prog, p[i].abi, p[i].nr, a);
			if ((act & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO &&
			    (int)(act & SECCOMP_RET_DATA) != res[i])
				act_name(act, interp, sizeof(interp));
		}
#endif
		if (res[i] == p[i].want && !interp[0])
			continue;
		bad++;
		k = snprintf(report + used, sizeof(report) - used,
			     "\n  %s: expected %s, got %s%s%s", p[i].what,
			     ename(p[i].want, w, sizeof(w)), ename(res[i], g, sizeof(g)),
			     interp[0] ? "; the BPF interpreter says " : "", interp);
		if (k > 0 && (size_t)k < sizeof(report) - used)
			used += (size_t)k;
	}
	free(res);
	ck_assert_msg(bad == 0, "%zu of %zu probes mismatched:%s", bad, n, report);
}

/* The whole default filter (x32 included), whatever this kernel runs:
 * the tests below probe x32 decisions too. */
static struct pd_seccomp_prog default_prog(void)
{
	struct pd_seccomp_prog prog = { 0 };

	ck_assert_int_eq(pd_seccomp_default_abi(true, &prog), 0);
	ck_assert_ptr_nonnull(prog.insns);
	ck_assert_uint_gt(prog.len, 0);
	return prog;
}

static struct pd_seccomp_prog default_prog_no_x32(void)
{
	struct pd_seccomp_prog prog = { 0 };

	ck_assert_int_eq(pd_seccomp_default_abi(false, &prog), 0);
	ck_assert_ptr_nonnull(prog.insns);
	ck_assert_uint_gt(prog.len, 0);
	return prog;
}

static void check_default(const struct probe *p, size_t n)
{
	struct pd_seccomp_prog prog = default_prog();

	check_probes(&prog, p, n);
	pd_seccomp_prog_release(&prog);
}

#define BADPTR 1UL /* a user address the kernel cannot read: EFAULT */

/* ---- the default filter ---- */

START_TEST(test_default_matches_table)
{
	struct pd_seccomp_prog fresh = { 0 };
	struct pd_seccomp_prog embedded = _i ? default_prog_no_x32() : default_prog();
	struct pd_error err = { 0 };
	size_t first = 0;

	ck_assert_msg(pd_seccomp_compile_compact(_i ? &pd_seccomp_default_profile_no_x32
						    : &pd_seccomp_default_profile,
						 &fresh, &err) == 0,
		      "compile default profile: %s", err.msg);
	ck_assert_msg(fresh.len == embedded.len,
		      "embedded default filter has %zu instructions, the table compiles to %zu "
		      "(rebuild build/gen/seccomp-default.h)",
		      embedded.len, fresh.len);
	while (first < fresh.len &&
	       memcmp((char *)fresh.insns + first * sizeof(struct sock_filter),
		      (char *)embedded.insns + first * sizeof(struct sock_filter),
		      sizeof(struct sock_filter)) == 0)
		first++;
	ck_assert_msg(first == fresh.len,
		      "embedded default filter differs at instruction %zu of %zu", first,
		      fresh.len);
	pd_seccomp_prog_release(&fresh);
	pd_seccomp_prog_release(&embedded);
}
END_TEST

/*
 * The filter without x32 decides every x86_64 and i386 call exactly as the
 * whole one (every number, with argument values the profile's rules look
 * at), and answers ENOSYS to every x32 call, as a kernel without x32 does.
 */
START_TEST(test_default_no_x32_same_decisions)
{
	static const uint64_t argsets[][6] = {
		{ 0 },
		{ 1, 1, 1, 1, 1, 1 },
		{ 0x10000000 /* CLONE_NEWUSER */, 0, 0, 0, 0, 0 },
		{ 0x7e020000 /* every CLONE_NEW* */, 0, 0, 0, 0, 0 },
		{ 8 /* PER_LINUX32 */, 0, 0, 0, 0, 0 },
		{ 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff },
		{ 16 /* AF_NETLINK */, 3, 9 /* NETLINK_AUDIT */, 0, 0, 0 },
		{ 40 /* AF_VSOCK */, 1, 0, 0, 0, 0 },
		{ 0, 0x5412 /* TIOCSTI */, 0, 0, 0, 0 },
		{ 0, 0x541c /* TIOCLINUX */, 0, 0, 0, 0 },
		{ 0, 1024 /* F_SETLEASE */, 1, 0, 0, 0 },
		{ 0, 0, 04000 /* S_ISUID */, 0, 0, 0 },
		{ 0xffffffffffffffffULL, 0x100000000ULL, 0x12345678, 0, 0, 0 },
	};
	struct pd_seccomp_prog whole = default_prog(), small = default_prog_no_x32();
	size_t bad = 0;
	char a[64], b[64];

	ck_assert_uint_lt(small.len, whole.len);
	for (int abi = NATIVE; abi <= I386; abi++)
		for (long nr = -1; nr < 1024; nr++)
			for (size_t k = 0; k < sizeof(argsets) / sizeof(argsets[0]); k++) {
				uint32_t rw = bpf_answer(&whole, (enum abi)abi, nr, argsets[k]);
				uint32_t rs = bpf_answer(&small, (enum abi)abi, nr, argsets[k]);

				if (rw != rs && bad++ < 5)
					fprintf(stderr,
						"%s nr %ld args #%zu: whole %s, no-x32 %s\n",
						abi_name[abi], nr, k, act_name(rw, a, sizeof(a)),
						act_name(rs, b, sizeof(b)));
			}
	ck_assert_msg(bad == 0, "%zu decisions differ between the two filters", bad);
	for (long nr = 0; nr < 1024; nr++) {
		uint32_t r = bpf_answer(&small, X32, nr, argsets[0]);

		ck_assert_msg(r == (SECCOMP_RET_ERRNO | ENOSYS), "x32 call %ld: %s", nr,
			      act_name(r, a, sizeof(a)));
	}
	pd_seccomp_prog_release(&whole);
	pd_seccomp_prog_release(&small);
}
END_TEST

/* The answers of @c->progs differ nowhere. */
struct same_ctx {
	enum abi abi;
	long nr;
	struct report rep;
	size_t tried;
};

static void same_answers(const uint64_t *args, const uint32_t *act, void *ctx)
{
	struct same_ctx *c = ctx;
	char a[64], b[64], n[64];

	c->tried++;
	if (act[0] != act[1])
		report_add(&c->rep,
			   "\n  %s (%lx, %lx, %lx, %lx, %lx, %lx): libseccomp %s, short %s",
			   call_name(c->abi, c->nr, n, sizeof(n)), (unsigned long)args[0],
			   (unsigned long)args[1], (unsigned long)args[2], (unsigned long)args[3],
			   (unsigned long)args[4], (unsigned long)args[5],
			   act_name(act[0], a, sizeof(a)), act_name(act[1], b, sizeof(b)));
}

/*
 * The embedded (short) default filter decides every call exactly as
 * libseccomp's program for the same table: every number of every ABI
 * (numbers up to 2047 and the edges above), with argument values that take
 * every path of both programs.  And it is much shorter, or it misses its
 * point (the kernel's cost of installing it).
 */
START_TEST(test_default_short_same_as_libseccomp)
{
	struct pd_seccomp_prog ref = { 0 }, got = _i ? default_prog_no_x32() : default_prog();
	const struct pd_seccomp_prog *progs[] = { &ref, &got };
	struct pd_error err = { 0 };
	struct same_ctx c = { .tried = 0 };
	static const long edges[] = { 2048, 4095, 65535, 0x3fffffffL,    0x7fffffffL,
				      -1,   -2,   -4096, (long)INT32_MIN };
	size_t calls = 0;

	ck_assert_msg(pd_seccomp_compile(_i ? &pd_seccomp_default_profile_no_x32
					    : &pd_seccomp_default_profile,
					 &ref, &err) == 0,
		      "compile: %s", err.msg);
	ck_assert_msg(5 * got.len < 3 * ref.len, "short filter %zu instructions, libseccomp's %zu",
		      got.len, ref.len);
	for (int abi = NATIVE; abi <= X32; abi++)
		for (long i = -(long)N(edges); i < 2048; i++) {
			c.abi = (enum abi)abi;
			c.nr = i < 0 ? edges[-i - 1] : i;
			explore(progs, 2, c.abi, c.nr, same_answers, &c);
			calls++;
		}
	/* Architectures the filter does not cover. */
	for (uint32_t arch = 0; arch < 4; arch++) {
		static const uint32_t others[] = { 0, AUDIT_ARCH_AARCH64,
						   AUDIT_ARCH_X86_64 & ~0x80000000u,
						   AUDIT_ARCH_I386 | 0x80000000u };
		struct seccomp_data d = { .nr = 0, .arch = others[arch] };

		ck_assert_uint_eq(bpf_run(&ref, &d, NULL), bpf_run(&got, &d, NULL));
	}
	ck_assert_msg(c.rep.bad == 0, "%zu of %zu answers differ:%s", c.rep.bad, c.tried,
		      c.rep.text);
	ck_assert_uint_gt(calls, 3 * 2048);
	pd_seccomp_prog_release(&ref);
	pd_seccomp_prog_release(&got);
}
END_TEST

/*
 * The short program's every kind of comparison (each operator, 64-bit
 * constants, masks with and without the high word, enumerated masks,
 * ranges, chains long enough to need far jumps) against libseccomp's, on
 * a profile made up for it, with and without the x32 ABI.
 */
#define SYN(act, name, ...) \
	{ \
		.names = (const char *const[]){ name }, .n_names = 1, .action = act, \
		.args = { __VA_ARGS__ }, .n_args = 1 \
	}
#define SYN_ARG(i, o, v, v2) \
	{ \
		.index = (i), .op = PD_SECCOMP_CMP_##o, .value = (v), .value2 = (v2) \
	}
#define SYN_ALLOW \
	{ \
		PD_SECCOMP_ALLOW, 0 \
	}
#define SYN_EPERM \
	{ \
		PD_SECCOMP_ERRNO, EPERM \
	}
#define SYN_EACCES \
	{ \
		PD_SECCOMP_ERRNO, EACCES \
	}

START_TEST(test_short_every_comparison)
{
	static const char *const many[] = {
		/* What the child needs to report and exit, under ASan too. */
		"read",         "write",         "close",    "fstat",       "lseek",
		"mmap",         "munmap",        "mprotect", "madvise",     "brk",
		"pipe",         "dup",           "getpid",   "gettid",      "exit",
		"exit_group",   "uname",         "futex",    "sigaltstack", "rt_sigprocmask",
		"rt_sigaction", "open",          "openat",   "readlink",    "prlimit64",
		"sched_yield",  "clock_gettime", "nanosleep"
	};
	static const uint32_t arches[] = { SCMP_ARCH_X86, SCMP_ARCH_X32 };
	struct pd_seccomp_rule rules[128] = {
		{ .names = many, .n_names = N(many), .action = SYN_ALLOW },
		SYN(SYN_ALLOW, "getppid", SYN_ARG(0, LT, 0x100000005ULL, 0)),
		SYN(SYN_EPERM, "getpgid", SYN_ARG(1, LE, 7, 0)),
		SYN(SYN_ALLOW, "getpgid", SYN_ARG(1, GT, 7, 0)),
		SYN(SYN_ALLOW, "getsid", SYN_ARG(2, GE, 0x8000000000000001ULL, 0)),
		SYN(SYN_EACCES, "getsid", SYN_ARG(2, LT, 0x8000000000000001ULL, 0)),
		SYN(SYN_ALLOW, "setsid", SYN_ARG(0, NE, 3, 0)),
		SYN(SYN_ALLOW, "setpgid", SYN_ARG(0, MASKED_EQ, 0xff000000ffULL, 0x0100000001ULL)),
		SYN(SYN_EPERM, "setpgid", SYN_ARG(0, MASKED_EQ, 0xff000000ffULL, 0x0200000001ULL)),
		SYN(SYN_ALLOW, "umask", SYN_ARG(0, MASKED_EQ, 0x0f0, 0x010)),
		SYN(SYN_EPERM, "umask", SYN_ARG(0, MASKED_EQ, 0x0f0, 0x020)),
		SYN(SYN_EACCES, "umask", SYN_ARG(0, MASKED_EQ, 0xf00, 0x100)),
		SYN(SYN_ALLOW, "alarm", SYN_ARG(0, GE, 100, 0)),
		SYN(SYN_EPERM, "alarm", SYN_ARG(0, LT, 50, 0)),
		SYN(SYN_ALLOW, "getuid", SYN_ARG(1, NE, 0xffffffffULL, 0)),
		SYN(SYN_ALLOW, "getgid", SYN_ARG(1, LE, 0, 0)),
		SYN(SYN_ALLOW, "geteuid", SYN_ARG(3, GT, 0xffffffffULL, 0)),
		/* libseccomp compares the value's masked bits only */
		SYN(SYN_EACCES, "sync", SYN_ARG(5, MASKED_EQ, 0x80, 0xfffffffdULL)),
		/* a comparison alone deciding at its bound, on every ABI */
		SYN(SYN_ALLOW, "setgid", SYN_ARG(0, GT, 5, 0)),
		SYN(SYN_ALLOW, "setuid", SYN_ARG(0, GE, 5, 0)),
		SYN(SYN_ALLOW, "setpriority", SYN_ARG(1, LT, 5, 0)),
		SYN(SYN_ALLOW, "getpriority", SYN_ARG(1, LE, 5, 0)),
	};
	size_t n = 22;
	struct pd_seccomp_profile prof = {
		.what = "synthetic",
		.default_action = { PD_SECCOMP_ERRNO, ENOSYS },
		.arches = arches,
		.n_arches = N(arches),
		.rules = rules,
	};
	static uint64_t kill_vals[100];
	static const char *const kill_name[] = { "kill" }, *const tgkill_name[] = { "tgkill" };

	/* A call with a long chain (a far jump over it), and one with many ranges. */
	for (int i = 0; i < 50; i++) {
		kill_vals[i] = 0x100000000ULL * (uint64_t)(i % 3) + (uint64_t)i * 977;
		rules[n++] = (struct pd_seccomp_rule)SYN(SYN_EPERM, "kill", SYN_ARG(1, EQ, 0, 0));
		rules[n - 1].names = kill_name; /* the literal's lifetime is this block */
		rules[n - 1].args[0].value = kill_vals[i];
	}
	for (int i = 0; i < 40; i++) {
		rules[n++] = (struct pd_seccomp_rule)SYN(SYN_EPERM, "tgkill", SYN_ARG(2, EQ, 0, 0));
		rules[n - 1].names = tgkill_name;
		rules[n - 1].args[0].value = (uint64_t)i * 4099;
		rules[n - 1].action.data = i % 2 ? EPERM : EACCES;
	}
	prof.n_rules = n;
	for (int x32 = 0; x32 < 2; x32++) {
		struct pd_seccomp_prog ref = { 0 }, got = { 0 };
		const struct pd_seccomp_prog *progs[] = { &ref, &got };
		struct pd_error err = { 0 };
		struct same_ctx c = { .tried = 0 };

		prof.n_arches = x32 ? 2 : 1;
		/* an answer for other ABIs unlike the default: call -1 tells them apart */
		prof.badarch_errno = x32 ? 0 : EMLINK;
		ck_assert_msg(pd_seccomp_compile(&prof, &ref, &err) == 0, "%s", err.msg);
		ck_assert_msg(pd_seccomp_compile_compact(&prof, &got, &err) == 0, "%s", err.msg);
		for (int abi = NATIVE; abi <= X32; abi++)
			for (long nr = -1; nr < 1100; nr++) {
				c.abi = (enum abi)abi;
				c.nr = nr;
				explore(progs, 2, c.abi, c.nr, same_answers, &c);
			}
		ck_assert_msg(c.rep.bad == 0, "x32 %d: %zu of %zu answers differ:%s", x32,
			      c.rep.bad, c.tried, c.rep.text);
		/* The kernel takes it, and it decides as read. */
		{
			static const struct probe p[] = {
				{ "getpgid(0, 7)", NATIVE, SYS_getpgid, { 0, 7 }, EPERM },
				{ "kill(0, 2931)", NATIVE, SYS_kill, { 0, 2931 }, EPERM },
				{ "tgkill(0, 0, 4099)", NATIVE, SYS_tgkill, { 0, 0, 4099 }, EPERM },
				{ "tgkill(0, 0, 8198)", NATIVE, SYS_tgkill, { 0, 0, 8198 }, EACCES },
				{ "setsid(3)", NATIVE, SYS_setsid, { 3 }, ENOSYS },
			};

			check_probes(&got, p, N(p));
		}
		pd_seccomp_prog_release(&ref);
		pd_seccomp_prog_release(&got);
	}
}
END_TEST

/* Argument rules libseccomp puts on socketcall(2) by itself are refused, not copied wrong. */
START_TEST(test_short_refuses_multiplexed)
{
	static const char *const sock[] = { "socket" }, *const sc[] = { "socketcall" };
	static const uint32_t arches[] = { SCMP_ARCH_X86 };
	const struct pd_seccomp_rule rules[] = {
		{ .names = sock, .n_names = 1, .action = SYN_EPERM },
		{ .names = sc,
		  .n_names = 1,
		  .action = SYN_EACCES,
		  .args = { SYN_ARG(0, EQ, 5, 0) },
		  .n_args = 1 },
	};
	const struct pd_seccomp_profile prof = {
		.what = "synthetic",
		.default_action = SYN_ALLOW,
		.arches = arches,
		.n_arches = 1,
		.rules = rules,
		.n_rules = N(rules),
	};
	struct pd_seccomp_prog got = { 0 };
	struct pd_error err = { 0 };

	ck_assert_int_eq(pd_seccomp_compile_compact(&prof, &got, &err), -1);
	ck_assert_ptr_null(got.insns);
	ck_assert_msg(strstr(err.msg, "multiplexer") != NULL, "%s", err.msg);
}
END_TEST

/* pd_seccomp_default() hands out the filter for what this kernel runs,
 * asked independently here (a child under no filter makes an x32 call). */
START_TEST(test_default_picks_for_kernel)
{
	struct pd_seccomp_prog got = { 0 }, want = { 0 };
	struct pd_error err = { 0 };
	bool has_x32;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		long r = syscall(X32_BIT | SYS_getpid);

		_exit(r == -1 && errno == ENOSYS ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	has_x32 = WEXITSTATUS(status) != 0;
	ck_assert_int_eq(pd_seccomp_kernel_has_x32(), has_x32);
	ck_assert_int_eq(pd_seccomp_default(&got, &err), 0);
	ck_assert_int_eq(pd_seccomp_default_abi(has_x32, &want), 0);
	ck_assert_uint_eq(got.len, want.len);
	ck_assert(memcmp(got.insns, want.insns, got.len * sizeof(struct sock_filter)) == 0);
	pd_seccomp_prog_release(&got);
	pd_seccomp_prog_release(&want);
}
END_TEST

START_TEST(test_default_keyring)
{
	static const struct probe p[] = {
		{ "keyctl", NATIVE, SYS_keyctl, { 9999 }, EPERM },
		{ "add_key", NATIVE, SYS_add_key, { BADPTR, BADPTR, 0, 0, 0 }, EPERM },
		{ "request_key", NATIVE, SYS_request_key, { BADPTR, BADPTR, 0, 0 }, EPERM },
	};

	check_default(p, N(p));
}
END_TEST

START_TEST(test_default_kernel_interfaces)
{
	static const struct probe p[] = {
		{ "bpf", NATIVE, SYS_bpf, { 9999, 0, 0 }, EPERM },
		{ "perf_event_open",
		  NATIVE,
		  SYS_perf_event_open,
		  { BADPTR, 0, -1UL, -1UL, 0 },
		  EPERM },
		{ "kexec_load", NATIVE, SYS_kexec_load, { 0, 0, 0, 0xdead0000 }, EPERM },
		{ "kexec_file_load",
		  NATIVE,
		  SYS_kexec_file_load,
		  { -1UL, -1UL, 0, 0, 0xdead0000 },
		  EPERM },
		{ "init_module", NATIVE, SYS_init_module, { BADPTR, 0, BADPTR }, EPERM },
		{ "finit_module", NATIVE, SYS_finit_module, { -1UL, BADPTR, 0 }, EPERM },
		{ "delete_module", NATIVE, SYS_delete_module, { BADPTR, O_NONBLOCK }, EPERM },
		{ "userfaultfd", NATIVE, SYS_userfaultfd, { 0xdead }, EPERM },
		{ "open_by_handle_at", NATIVE, SYS_open_by_handle_at, { -1UL, BADPTR, 0 }, EPERM },
		{ "iopl", NATIVE, SYS_iopl, { 99 }, EPERM },
		{ "settimeofday", NATIVE, SYS_settimeofday, { BADPTR, 0 }, EPERM },
		{ "sethostname", NATIVE, SYS_sethostname, { BADPTR, 99999 }, EPERM },
	};

	check_default(p, N(p));
}
END_TEST

START_TEST(test_default_mounts)
{
	static const struct probe p[] = {
		{ "mount", NATIVE, SYS_mount, { BADPTR, BADPTR, BADPTR, 0, 0 }, EPERM },
		{ "umount2", NATIVE, SYS_umount2, { BADPTR, 0 }, EPERM },
		{ "pivot_root", NATIVE, SYS_pivot_root, { BADPTR, BADPTR }, EPERM },
		{ "chroot", NATIVE, SYS_chroot, { BADPTR }, EPERM },
		{ "fsopen", NATIVE, SYS_fsopen, { BADPTR, 0 }, EPERM },
		{ "fsconfig", NATIVE, SYS_fsconfig, { -1UL, 0, 0, 0, 0 }, EPERM },
		{ "fsmount", NATIVE, SYS_fsmount, { -1UL, 0, 0 }, EPERM },
		{ "fspick", NATIVE, SYS_fspick, { -1UL, BADPTR, 0 }, EPERM },
		{ "move_mount", NATIVE, SYS_move_mount, { -1UL, BADPTR, -1UL, BADPTR, 0 }, EPERM },
		{ "open_tree", NATIVE, SYS_open_tree, { -1UL, BADPTR, 0 }, EPERM },
		{ "mount_setattr", NATIVE, SYS_mount_setattr, { -1UL, BADPTR, 0, 0, 0 }, EPERM },
		/* open_tree_attr (Linux 6.15) is newer than libseccomp 2.5: default action. */
		{ "open_tree_attr", NATIVE, 467, { -1UL, BADPTR, 0, 0, 0 }, ENOSYS },
	};

	check_default(p, N(p));
}
END_TEST

START_TEST(test_default_clone3_enosys)
{
	static const struct probe p[] = {
		{ "clone3", NATIVE, SYS_clone3, { BADPTR, 88 }, ENOSYS },
	};

	check_default(p, N(p));
}
END_TEST

START_TEST(test_default_no_namespaces)
{
	static const struct probe p[] = {
		{ "unshare(CLONE_NEWUSER)", NATIVE, SYS_unshare, { CLONE_NEWUSER }, EPERM },
		{ "unshare(CLONE_NEWNS)", NATIVE, SYS_unshare, { CLONE_NEWNS }, EPERM },
		{ "unshare(CLONE_NEWUTS)", NATIVE, SYS_unshare, { CLONE_NEWUTS }, EPERM },
		{ "unshare(CLONE_NEWIPC)", NATIVE, SYS_unshare, { CLONE_NEWIPC }, EPERM },
		{ "unshare(CLONE_NEWPID)", NATIVE, SYS_unshare, { CLONE_NEWPID }, EPERM },
		{ "unshare(CLONE_NEWNET)", NATIVE, SYS_unshare, { CLONE_NEWNET }, EPERM },
		{ "unshare(CLONE_NEWCGROUP)", NATIVE, SYS_unshare, { CLONE_NEWCGROUP }, EPERM },
		{ "unshare(CLONE_NEWTIME)", NATIVE, SYS_unshare, { CLONE_NEWTIME }, EPERM },
		{ "unshare(CLONE_NEWUSER|CLONE_FILES)",
		  NATIVE,
		  SYS_unshare,
		  { CLONE_NEWUSER | CLONE_FILES },
		  EPERM },
		{ "unshare(CLONE_FILES)", NATIVE, SYS_unshare, { CLONE_FILES }, 0 },
		{ "unshare(0)", NATIVE, SYS_unshare, { 0 }, 0 },
		{ "clone(CLONE_NEWUSER)", NATIVE, SYS_clone, { CLONE_NEWUSER | SIGCHLD }, EPERM },
		{ "clone(CLONE_NEWNS)", NATIVE, SYS_clone, { CLONE_NEWNS | SIGCHLD }, EPERM },
		{ "clone(CLONE_NEWPID)", NATIVE, SYS_clone, { CLONE_NEWPID | SIGCHLD }, EPERM },
		{ "clone(CLONE_NEWNET)", NATIVE, SYS_clone, { CLONE_NEWNET | SIGCHLD }, EPERM },
		{ "clone(CLONE_NEWUTS)", NATIVE, SYS_clone, { CLONE_NEWUTS | SIGCHLD }, EPERM },
		{ "clone(CLONE_NEWIPC)", NATIVE, SYS_clone, { CLONE_NEWIPC | SIGCHLD }, EPERM },
		{ "clone(CLONE_NEWCGROUP)",
		  NATIVE,
		  SYS_clone,
		  { CLONE_NEWCGROUP | SIGCHLD },
		  EPERM },
		{ "setns", NATIVE, SYS_setns, { -1UL, 0 }, EPERM },
	};

	check_default(p, N(p));
}
END_TEST

static void *thread_main(void *arg)
{
	return arg;
}

/* fork, a thread (glibc tries clone3 first, then falls back to clone). */
static void child_fork_thread(int wfd, const void *arg, size_t n)
{
	int res[2] = { -1, -1 }, status;
	pthread_t t;
	void *ret = NULL;
	pid_t pid;

	(void)arg;
	(void)n;
	pid = fork();
	if (pid == 0)
		_exit(7);
	if (pid < 0)
		res[0] = errno;
	else
		res[0] = waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
					 WEXITSTATUS(status) == 7
				 ? 0
				 : 1000;
	errno = pthread_create(&t, NULL, thread_main, &res);
	if (errno)
		res[1] = errno;
	else
		res[1] = pthread_join(t, &ret) == 0 && ret == &res ? 0 : 1000;
	write_results(wfd, res, 2);
}

START_TEST(test_default_fork_and_threads)
{
	struct pd_seccomp_prog prog = default_prog();
	int res[2];

	in_filter_ok(&prog, child_fork_thread, NULL, 2, res);
	ck_assert_msg(res[0] == 0, "fork under the default filter: expected success, got %d",
		      res[0]);
	ck_assert_msg(res[1] == 0,
		      "pthread_create under the default filter: expected success, got %d", res[1]);
	pd_seccomp_prog_release(&prog);
}
END_TEST

static void child_basics(int wfd, const void *arg, size_t n)
{
	int res[4], p[2];
	char c = 'x';

	(void)arg;
	(void)n;
	res[0] = syscall(SYS_getpid) > 0 ? 0 : errno;
	res[1] = pipe2(p, O_CLOEXEC) == 0 ? 0 : errno;
	res[2] = write(p[1], &c, 1) == 1 ? 0 : errno;
	res[3] = read(p[0], &c, 1) == 1 && c == 'x' ? 0 : errno;
	write_results(wfd, res, 4);
}

START_TEST(test_default_basics)
{
	struct pd_seccomp_prog prog = default_prog();
	static const char *const what[] = { "getpid", "pipe2", "write", "read" };
	int res[4];

	in_filter_ok(&prog, child_basics, NULL, 4, res);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(res[i] == 0, "%s under the default filter: expected success, got %d",
			      what[i], res[i]);
	pd_seccomp_prog_release(&prog);
}
END_TEST

START_TEST(test_default_unlisted_enosys)
{
	static const struct probe p[] = {
		{ "io_uring_setup", NATIVE, SYS_io_uring_setup, { 1, BADPTR }, ENOSYS },
		{ "io_uring_enter", NATIVE, SYS_io_uring_enter, { -1UL, 0, 0, 0, 0, 0 }, ENOSYS },
		{ "getpriority (listed)", NATIVE, SYS_getpriority, { 9999, 0 }, EINVAL },
		{ "openat2 (mode out of sight)",
		  NATIVE,
		  SYS_openat2,
		  { -1UL, BADPTR, BADPTR, 24 },
		  ENOSYS },
	};

	check_default(p, N(p));
}
END_TEST

START_TEST(test_default_personality)
{
	static const struct probe p[] = {
		{ "personality(0xffffffff)", NATIVE, SYS_personality, { 0xffffffffUL }, 0 },
		{ "personality(PER_LINUX)", NATIVE, SYS_personality, { 0 }, 0 },
		{ "personality(PER_LINUX32)", NATIVE, SYS_personality, { 0x0008 }, 0 },
		{ "personality(PER_LINUX32|ADDR_NO_RANDOMIZE)",
		  NATIVE,
		  SYS_personality,
		  { 0x0040008 },
		  ENOSYS },
		{ "personality(READ_IMPLIES_EXEC)", NATIVE, SYS_personality, { 0x0400000 }, ENOSYS },
		{ "personality(PER_BSD)", NATIVE, SYS_personality, { 0x0006 }, ENOSYS },
	};

	check_default(p, N(p));
}
END_TEST

START_TEST(test_default_socket)
{
	static const struct probe p[] = {
		{ "socket(AF_NETLINK, NETLINK_AUDIT)",
		  NATIVE,
		  SYS_socket,
		  { AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT },
		  EINVAL },
		{ "socket(AF_NETLINK, NETLINK_ROUTE)",
		  NATIVE,
		  SYS_socket,
		  { AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE },
		  0 },
		{ "socket(AF_UNIX)",
		  NATIVE,
		  SYS_socket,
		  { AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0 },
		  0 },
		{ "socket(AF_INET)",
		  NATIVE,
		  SYS_socket,
		  { AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0 },
		  0 },
		{ "socket(AF_INET6)",
		  NATIVE,
		  SYS_socket,
		  { AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0 },
		  0 },
		{ "socket(AF_VSOCK)",
		  NATIVE,
		  SYS_socket,
		  { AF_VSOCK, SOCK_STREAM, 0 },
		  EAFNOSUPPORT },
		{ "socket(AF_PACKET)",
		  NATIVE,
		  SYS_socket,
		  { AF_PACKET, SOCK_RAW, 0 },
		  EAFNOSUPPORT },
		{ "socket(AF_ALG)",
		  NATIVE,
		  SYS_socket,
		  { AF_ALG, SOCK_SEQPACKET, 0 },
		  EAFNOSUPPORT },
		{ "socket(AF_UNSPEC)",
		  NATIVE,
		  SYS_socket,
		  { AF_UNSPEC, SOCK_STREAM, 0 },
		  EAFNOSUPPORT },
		{ "socket(AF_KEY)", NATIVE, SYS_socket, { AF_KEY, SOCK_RAW, 0 }, EAFNOSUPPORT },
		{ "socketpair(AF_UNIX)",
		  NATIVE,
		  SYS_socketpair,
		  { AF_UNIX, SOCK_STREAM, 0, BADPTR },
		  EFAULT },
		{ "socketpair(AF_VSOCK)",
		  NATIVE,
		  SYS_socketpair,
		  { AF_VSOCK, SOCK_STREAM, 0, BADPTR },
		  EAFNOSUPPORT },
		{ "socketpair(AF_TIPC)",
		  NATIVE,
		  SYS_socketpair,
		  { AF_TIPC, SOCK_SEQPACKET, 0, BADPTR },
		  EAFNOSUPPORT },
		{ "socket(AF_INET | high bits)",
		  NATIVE,
		  SYS_socket,
		  { 0x100000000UL | AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0 },
		  EAFNOSUPPORT },
	};

	check_default(p, N(p));
}
END_TEST

/* No setuid/setgid bits through any call that sets a mode. */
START_TEST(test_default_no_setid_modes)
{
	static const struct probe p[] = {
		{ "chmod(04755)", NATIVE, SYS_chmod, { BADPTR, 04755 }, EPERM },
		{ "chmod(02755)", NATIVE, SYS_chmod, { BADPTR, 02755 }, EPERM },
		{ "chmod(0755)", NATIVE, SYS_chmod, { BADPTR, 0755 }, EFAULT },
		{ "fchmod(04755)", NATIVE, SYS_fchmod, { -1UL, 04755 }, EPERM },
		{ "fchmod(0644)", NATIVE, SYS_fchmod, { -1UL, 0644 }, EBADF },
		{ "fchmodat(06755)", NATIVE, SYS_fchmodat, { -1UL, BADPTR, 06755 }, EPERM },
		{ "fchmodat(0700)", NATIVE, SYS_fchmodat, { -1UL, BADPTR, 0700 }, EFAULT },
		{ "creat(04755)", NATIVE, SYS_creat, { BADPTR, 04755 }, EPERM },
		{ "open(O_CREAT, 04755)", NATIVE, SYS_open, { BADPTR, O_CREAT, 04755 }, EPERM },
		{ "open(O_CREAT, 0644)", NATIVE, SYS_open, { BADPTR, O_CREAT, 0644 }, EFAULT },
		{ "openat(O_CREAT, 02755)",
		  NATIVE,
		  SYS_openat,
		  { -1UL, BADPTR, O_CREAT, 02755 },
		  EPERM },
		{ "openat(O_CREAT, 0600)",
		  NATIVE,
		  SYS_openat,
		  { -1UL, BADPTR, O_CREAT, 0600 },
		  EFAULT },
		{ "mknod(S_IFREG|04755)", NATIVE, SYS_mknod, { BADPTR, S_IFREG | 04755, 0 }, EPERM },
		{ "mknodat(S_IFREG|0644)",
		  NATIVE,
		  SYS_mknodat,
		  { -1UL, BADPTR, S_IFREG | 0644, 0 },
		  EFAULT },
		{ "mkdir(02775)", NATIVE, SYS_mkdir, { BADPTR, 02775 }, EPERM },
		{ "mkdirat(0755)", NATIVE, SYS_mkdirat, { -1UL, BADPTR, 0755 }, EFAULT },
		{ "chmod(0755 with garbage in the upper half)",
		  NATIVE,
		  SYS_chmod,
		  { BADPTR, 0xffffffff00000000UL | 0755 },
		  EFAULT },
		{ "syslog", NATIVE, SYS_syslog, { 9999, 0, 0 }, EPERM },
	};

	check_default(p, N(p));
}
END_TEST

START_TEST(test_default_ioctl)
{
	static const struct probe p[] = {
		{ "ioctl(TIOCSTI)", NATIVE, SYS_ioctl, { -1UL, TIOCSTI, BADPTR }, EPERM },
		{ "ioctl(TIOCLINUX)", NATIVE, SYS_ioctl, { -1UL, TIOCLINUX, BADPTR }, EPERM },
		{ "ioctl(TIOCSTI | garbage << 32)",
		  NATIVE,
		  SYS_ioctl,
		  { -1UL, 0xdeadbeef00000000UL | TIOCSTI, BADPTR },
		  EPERM },
		{ "ioctl(TIOCLINUX | garbage << 32)",
		  NATIVE,
		  SYS_ioctl,
		  { -1UL, 0xffffffff00000000UL | TIOCLINUX, BADPTR },
		  EPERM },
		{ "ioctl(TCGETS)", NATIVE, SYS_ioctl, { -1UL, TCGETS, BADPTR }, EBADF },
		{ "ioctl(FIONREAD | garbage << 32)",
		  NATIVE,
		  SYS_ioctl,
		  { -1UL, 0x1234567800000000UL | FIONREAD, BADPTR },
		  EBADF },
		{ "ioctl(TIOCSTI + 0x100000000 - 0x10)",
		  NATIVE,
		  SYS_ioctl,
		  { -1UL, 0x100000000UL + TIOCSTI - 0x10, BADPTR },
		  EBADF },
	};

	check_default(p, N(p));
}
END_TEST

struct ioctl_sweep {
	enum abi abi;
	long nr;
};

/* Request @i of the sweep: every low 16 bits, then each flip of bits 16-31. */
static uint32_t sweep_request(uint32_t i)
{
	if (i < 0x10000)
		return i;
	i -= 0x10000;
	return i < 16 ? TIOCSTI ^ (1u << (16 + i)) : TIOCLINUX ^ (1u << i);
}

#define SWEEP_LEN (0x10000 + 32)

/* ... each with garbage above bit 31 on x86_64. */
static void child_ioctl_sweep(int wfd, const void *arg, size_t n)
{
	static const uint64_t hi[] = { 0, 0xdeadbeefULL << 32, 1ULL << 32, ~0ULL << 32 };
	const struct ioctl_sweep *s = arg;
	struct probe p = { "ioctl", s->abi, s->nr, { -1UL, 0, BADPTR }, 0 };
	int res[3] = { 0, 0, 0 }; /* mismatches; the first one's request and result */

	(void)n;
	for (size_t h = 0; h < (s->abi == NATIVE ? N(hi) : 1); h++) {
		for (uint32_t i = 0; i < SWEEP_LEN; i++) {
			uint32_t req = sweep_request(i);
			bool tioc = req == TIOCSTI || req == TIOCLINUX;
			int r;

			p.a[1] = (unsigned long)(hi[h] | req);
			r = probe_run(&p);
			/* allowed: EBADF (ENOSYS for x32 where the kernel lacks it) */
			if (tioc ? r == EPERM : (r == EBADF || (s->abi == X32 && r == ENOSYS)))
				continue;
			if (res[0]++ == 0) {
				res[1] = (int)req;
				res[2] = r;
			}
		}
	}
	write_results(wfd, res, 3);
}

static void ioctl_sweep(enum abi abi, long nr, const char *what)
{
	struct pd_seccomp_prog prog = default_prog();
	struct ioctl_sweep s = { abi, nr };
	int res[3];

	in_filter_ok(&prog, child_ioctl_sweep, &s, 3, res);
	ck_assert_msg(res[0] == 0, "%s: %d ioctl requests got the wrong answer; first 0x%x: got %d",
		      what, res[0], (unsigned)res[1], res[2]);
	pd_seccomp_prog_release(&prog);
}

START_TEST(test_default_ioctl_sweep_native)
{
	ioctl_sweep(NATIVE, SYS_ioctl, "x86_64");
}
END_TEST

#ifdef __x86_64__
START_TEST(test_default_ioctl_sweep_i386)
{
	ioctl_sweep(I386, 54, "i386");
}
END_TEST

START_TEST(test_default_ioctl_sweep_x32)
{
	ioctl_sweep(X32, 514, "x32");
}
END_TEST

START_TEST(test_default_i386_abi)
{
	static const struct probe p[] = {
		{ "i386 keyctl", I386, 288, { 9999 }, EPERM },
		{ "i386 add_key", I386, 286, { BADPTR, BADPTR, 0, 0, 0 }, EPERM },
		{ "i386 unshare(CLONE_NEWUSER)", I386, 310, { CLONE_NEWUSER }, EPERM },
		{ "i386 clone(CLONE_NEWNET)", I386, 120, { CLONE_NEWNET | SIGCHLD }, EPERM },
		{ "i386 setns", I386, 346, { -1UL, 0 }, EPERM },
		{ "i386 mount", I386, 21, { BADPTR, BADPTR, BADPTR, 0, 0 }, EPERM },
		{ "i386 umount", I386, 22, { BADPTR }, EPERM },
		{ "i386 ioctl(TIOCSTI)", I386, 54, { -1UL, TIOCSTI, BADPTR }, EPERM },
		{ "i386 bpf", I386, 357, { 9999, 0, 0 }, EPERM },
		{ "i386 clone3", I386, 435, { BADPTR, 88 }, ENOSYS },
		{ "i386 io_uring_setup", I386, 425, { 1, BADPTR }, ENOSYS },
		{ "i386 getpid", I386, 20, { 0 }, 0 },
		{ "i386 socket(AF_NETLINK, NETLINK_AUDIT)",
		  I386,
		  359,
		  { AF_NETLINK, SOCK_RAW, NETLINK_AUDIT },
		  EINVAL },
		/* i386 socket rules cannot all be expressed: refused outright, with
		 * the profile's first refusal of socket (EINVAL). */
		{ "i386 socket(AF_VSOCK)", I386, 359, { AF_VSOCK, SOCK_STREAM, 0 }, EINVAL },
		{ "i386 socket(AF_UNIX)", I386, 359, { AF_UNIX, SOCK_STREAM, 0 }, EINVAL },
		{ "i386 socketcall", I386, 102, { 1, BADPTR }, EPERM },
		{ "i386 chmod(04755)", I386, 15, { BADPTR, 04755 }, EPERM },
		{ "i386 chmod(0755)", I386, 15, { BADPTR, 0755 }, EFAULT },
	};

	check_default(p, N(p));
}
END_TEST

START_TEST(test_default_x32_abi)
{
	static const struct probe p[] = {
		{ "x32 keyctl", X32, 250, { 9999 }, EPERM },
		{ "x32 request_key", X32, 249, { BADPTR, BADPTR, 0, 0 }, EPERM },
		{ "x32 unshare(CLONE_NEWUSER)", X32, 272, { CLONE_NEWUSER }, EPERM },
		{ "x32 mount", X32, 165, { BADPTR, BADPTR, BADPTR, 0, 0 }, EPERM },
		{ "x32 ioctl(TIOCSTI)", X32, 514, { -1UL, TIOCSTI, BADPTR }, EPERM },
		{ "x32 perf_event_open", X32, 298, { BADPTR, 0, -1UL, -1UL, 0 }, EPERM },
	};

	check_default(p, N(p));
}
END_TEST
#endif

/*
 * The table must not depend on libseccomp's rule merging: a call is listed
 * either unconditionally once, or only with argument comparisons.
 */
START_TEST(test_default_table_invariants)
{
	const struct pd_seccomp_profile *p = &pd_seccomp_default_profile;

	for (size_t i = 0; i < p->n_rules; i++) {
		ck_assert_msg(p->rules[i].origin == i, "row %zu numbers itself %zu", i,
			      p->rules[i].origin);
		for (size_t j = 0; j < p->rules[i].n_names; j++) {
			const char *name = p->rules[i].names[j];

			for (size_t k = 0; k < p->n_rules; k++) {
				for (size_t l = 0; l < p->rules[k].n_names; l++) {
					if ((k == i && l == j) ||
					    strcmp(name, p->rules[k].names[l]) != 0)
						continue;
					ck_assert_msg(
						p->rules[i].n_args > 0 && p->rules[k].n_args > 0,
						"\"%s\" is listed in rows %zu and %zu, one of them "
						"unconditionally",
						name, i, k);
				}
			}
		}
	}
}
END_TEST

/* ---- JSON profiles ---- */

static void compile_json(const char *json, struct pd_seccomp_prog *out)
{
	struct pd_error err = { 0 };

	ck_assert_msg(pd_seccomp_from_json(json, strlen(json), out, &err) == 0,
		      "pd_seccomp_from_json: expected success, got: %s", err.msg);
}

START_TEST(test_json_enforced)
{
	static const char json[] =
		"{ \"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
		"  \"syscalls\": [\n"
		"    { \"names\": [\"getppid\", \"no_such_syscall\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
		"      \"errnoRet\": 13 },\n"
		"    { \"name\": \"fchdir\", \"action\": \"SCMP_ACT_ERRNO\", \"errno\": \"EXDEV\",\n"
		"      \"args\": [ { \"index\": 0, \"value\": 100, \"op\": \"SCMP_CMP_EQ\" },\n"
		"                { \"index\": 0, \"value\": 200, \"op\": \"SCMP_CMP_EQ\" } ] },\n"
		"    { \"names\": [\"fchmod\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
		"      \"args\": [ { \"index\": 1, \"value\": 2048, \"valueTwo\": 2048,\n"
		"                  \"op\": \"SCMP_CMP_MASKED_EQ\" } ] },\n"
		"    { \"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5,\n"
		"      \"includes\": { \"caps\": [\"CAP_SYS_ADMIN\"] } },\n"
		"    { \"names\": [\"getsid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5,\n"
		"      \"excludes\": { \"caps\": [\"CAP_SYS_ADMIN\"] } }\n"
		"  ] }\n";
	static const struct probe p[] = {
		{ "getppid", NATIVE, SYS_getppid, { 0 }, EACCES },
		{ "getpid", NATIVE, SYS_getpid, { 0 }, 0 },
		{ "fchdir(100)", NATIVE, SYS_fchdir, { 100 }, EXDEV },
		{ "fchdir(200)", NATIVE, SYS_fchdir, { 200 }, EXDEV },
		{ "fchdir(300)", NATIVE, SYS_fchdir, { 300 }, EBADF },
		{ "fchmod(S_ISUID)", NATIVE, SYS_fchmod, { -1UL, 04755 }, EPERM },
		{ "fchmod(0755)", NATIVE, SYS_fchmod, { -1UL, 0755 }, EBADF },
		{ "getpgid (includes a capability: dropped)", NATIVE, SYS_getpgid, { 0 }, 0 },
		{ "getsid (excludes a capability: kept)", NATIVE, SYS_getsid, { 0 }, EIO },
	};
	struct pd_seccomp_prog prog = { 0 };

	compile_json(json, &prog);
	check_probes(&prog, p, N(p));
	pd_seccomp_prog_release(&prog);
}
END_TEST

/* No rules at all: libseccomp <= 2.5.3 lost the default action then (#370). */
START_TEST(test_json_no_rules)
{
	static const char json[] =
		"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": null, "
		"\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"]}";
	static const struct probe p[] = {
		{ "getpid", NATIVE, SYS_getpid, { 0 }, 0 },
		{ "keyctl", NATIVE, SYS_keyctl, { 9999 }, EOPNOTSUPP },
#ifdef __x86_64__
		{ "i386 getpid", I386, 20, { 0 }, 0 },
#endif
	};
	struct pd_seccomp_prog prog = { 0 };

	compile_json(json, &prog);
	check_probes(&prog, p, N(p));
	pd_seccomp_prog_release(&prog);
}
END_TEST

/* Read tests/unit/data/@name (tests run from the top of the tree). */
static char *read_fixture(const char *name, size_t *len)
{
	char path[256];
	char *buf = malloc(1 << 20);
	FILE *f;

	snprintf(path, sizeof(path), "tests/unit/data/%s", name);
	f = fopen(path, "re");
	ck_assert_msg(f != NULL, "open %s: %s (run from the top of the tree)", path,
		      strerror(errno));
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	ck_assert_uint_gt(*len, 1000);
	return buf;
}

/* containers/common's profile (podman's default), verbatim. */
START_TEST(test_json_containers_common)
{
	static const struct probe p[] = {
		{ "getpid", NATIVE, SYS_getpid, { 0 }, 0 },
		{ "keyctl (podman allows it)", NATIVE, SYS_keyctl, { 9999 }, EOPNOTSUPP },
		{ "io_uring_setup", NATIVE, SYS_io_uring_setup, { 1, BADPTR }, ENOSYS },
		{ "open_by_handle_at (no CAP_DAC_READ_SEARCH)",
		  NATIVE,
		  SYS_open_by_handle_at,
		  { -1UL, BADPTR, 0 },
		  EPERM },
		{ "bpf (no CAP_SYS_ADMIN)", NATIVE, SYS_bpf, { 9999, 0, 0 }, EPERM },
		{ "personality(PER_LINUX32|ADDR_NO_RANDOMIZE)",
		  NATIVE,
		  SYS_personality,
		  { 0x0040008 },
		  ENOSYS },
		{ "socket(AF_NETLINK, NETLINK_AUDIT)",
		  NATIVE,
		  SYS_socket,
		  { AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT },
		  EINVAL },
#ifdef __x86_64__
		{ "i386 getpid (archMap adds x86)", I386, 20, { 0 }, 0 },
		{ "x32 io_uring_setup (archMap adds x32)", X32, 425, { 1, BADPTR }, ENOSYS },
#endif
	};
	cleanup_free char *json = NULL;
	struct pd_seccomp_prog prog = { 0 };
	struct pd_error err = { 0 };
	size_t len = 0;

	json = read_fixture("containers-common-seccomp.json", &len);
	ck_assert_msg(pd_seccomp_from_json(json, len, &prog, &err) == 0,
		      "containers/common profile: expected success, got: %s", err.msg);
	check_probes(&prog, p, N(p));
	pd_seccomp_prog_release(&prog);
}
END_TEST

/* moby's profile (Docker's default), verbatim: defaultErrnoRet 1. */
START_TEST(test_json_moby)
{
	static const struct probe p[] = {
		{ "getpid", NATIVE, SYS_getpid, { 0 }, 0 },
		{ "keyctl (unlisted)", NATIVE, SYS_keyctl, { 9999 }, EPERM },
		{ "clone3 (ENOSYS without CAP_SYS_ADMIN)",
		  NATIVE,
		  SYS_clone3,
		  { BADPTR, 88 },
		  ENOSYS },
		{ "unshare (needs CAP_SYS_ADMIN)", NATIVE, SYS_unshare, { CLONE_NEWUSER }, EPERM },
		{ "clone(CLONE_NEWUSER)", NATIVE, SYS_clone, { CLONE_NEWUSER | SIGCHLD }, EPERM },
		{ "mount (needs CAP_SYS_ADMIN)",
		  NATIVE,
		  SYS_mount,
		  { BADPTR, BADPTR, BADPTR, 0, 0 },
		  EPERM },
#ifdef __x86_64__
		{ "i386 getpid (archMap adds x86)", I386, 20, { 0 }, 0 },
		{ "i386 keyctl", I386, 288, { 9999 }, EPERM },
#endif
	};
	cleanup_free char *json = NULL;
	struct pd_seccomp_prog prog = { 0 };
	struct pd_error err = { 0 };
	size_t len = 0;

	json = read_fixture("moby-default-seccomp.json", &len);
	ck_assert_msg(pd_seccomp_from_json(json, len, &prog, &err) == 0,
		      "moby profile: expected success, got: %s", err.msg);
	check_probes(&prog, p, N(p));
	pd_seccomp_prog_release(&prog);
}
END_TEST

#ifdef __x86_64__
/* A profile for x86_64 alone: an i386 syscall is a bad architecture. */
/*
 * On i386 a call whose argument rules libseccomp cannot express is refused
 * outright with the profile's first refusal of it, whatever the rule order:
 * socket(AF_UNIX) is allowed on x86_64 only.
 */
START_TEST(test_json_subarch_collapse)
{
	static const char json[] =
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		"\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\","
		"\"subArchitectures\":[\"SCMP_ARCH_X86\"]}],"
		"\"syscalls\":["
		"{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":97,"
		"\"args\":[{\"index\":0,\"value\":40,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":22,"
		"\"args\":[{\"index\":0,\"value\":41,\"op\":\"SCMP_CMP_EQ\"}]}]}";
	static const struct probe p[] = {
		{ "socket(AF_UNIX)",
		  NATIVE,
		  SYS_socket,
		  { AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0 },
		  0 },
		{ "socket(AF_VSOCK)",
		  NATIVE,
		  SYS_socket,
		  { AF_VSOCK, SOCK_STREAM, 0 },
		  EAFNOSUPPORT },
		{ "i386 socket(AF_UNIX)", I386, 359, { AF_UNIX, SOCK_STREAM, 0 }, EAFNOSUPPORT },
		{ "i386 socket(AF_VSOCK)", I386, 359, { AF_VSOCK, SOCK_STREAM, 0 }, EAFNOSUPPORT },
		{ "i386 getpid", I386, 20, { 0 }, 0 },
	};
	struct pd_seccomp_prog prog = { 0 };

	compile_json(json, &prog);
	check_probes(&prog, p, N(p));
	pd_seccomp_prog_release(&prog);
}
END_TEST

START_TEST(test_json_bad_arch_kills)
{
	static const char json[] =
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		"\"architectures\":[\"SCMP_ARCH_X86_64\"],"
		"\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
	static const struct probe p[] = { { "i386 getpid", I386, 20, { 0 }, 0 } };
	struct pd_seccomp_prog prog = { 0 };
	size_t got = 0;
	int res[1], status;

	compile_json(json, &prog);
	status = in_filter(&prog, child_probes, p, 1, res, &got);
	ck_assert_uint_eq(got, 0);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		      "i386 syscall under an x86_64-only filter: expected death by SIGSYS, "
		      "got wait status 0x%x",
		      status);
	pd_seccomp_prog_release(&prog);
}
END_TEST

/*
 * libseccomp compares only the low 32 bits on i386 and would truncate
 * 0x100000000 to 0; paude narrows the comparison instead (never true).
 */
START_TEST(test_json_32bit_narrowing)
{
	static const char json[] =
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		"\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
		"\"syscalls\":["
		"{\"names\":[\"getpgid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,"
		" \"args\":[{\"index\":0,\"value\":4294967296,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"getsid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,"
		" \"args\":[{\"index\":0,\"value\":4294967296,\"op\":\"SCMP_CMP_NE\"}]}]}";
	static const struct probe p[] = {
		{ "x86_64 getpgid(0)", NATIVE, SYS_getpgid, { 0 }, 0 },
		{ "x86_64 getpgid(1<<32)", NATIVE, SYS_getpgid, { 1UL << 32 }, EACCES },
		{ "i386 getpgid(0)", I386, 132, { 0 }, 0 },
		{ "x86_64 getsid(0)", NATIVE, SYS_getsid, { 0 }, EACCES },
		{ "i386 getsid(0)", I386, 147, { 0 }, EACCES },
	};
	struct pd_seccomp_prog prog = { 0 };

	compile_json(json, &prog);
	check_probes(&prog, p, N(p));
	pd_seccomp_prog_release(&prog);
}
END_TEST
#endif

#ifdef __x86_64__
/* ---- the compiled default filter, read with the interpreter ---- */

struct expect_ctx {
	const char *what;
	enum abi abi;
	long nr;
	uint32_t want; /* the exact answer expected for every vector */
	struct report *r;
	bool reported; /* one line per call; the others only count */
};

static void expect_answer(const uint64_t *a, const uint32_t *act, void *p)
{
	struct expect_ctx *c = p;
	char w[32], g[32], n[64];

	if (act[0] == c->want)
		return;
	if (c->reported) {
		c->r->bad++; /* one line per call: the other paths only count */
		return;
	}
	c->reported = true;
	report_add(c->r, "\n  %s (%s) args {0x%llx, 0x%llx, 0x%llx, 0x%llx}: expected %s, got %s",
		   call_name(c->abi, c->nr, n, sizeof(n)), c->what, (unsigned long long)a[0],
		   (unsigned long long)a[1], (unsigned long long)a[2], (unsigned long long)a[3],
		   act_name(c->want, w, sizeof(w)), act_name(act[0], g, sizeof(g)));
}

/*
 * @name gets @want on every x86 ABI where it exists (libseccomp must know
 * it on one at least), whatever its arguments: every path of the program.
 */
static void expect_call(const struct pd_seccomp_prog *prog, const char *name, uint32_t want,
			const char *what, struct report *r)
{
	const struct pd_seccomp_prog *progs[1] = { prog };

	if (abi_nr(NATIVE, name) < 0 && abi_nr(I386, name) < 0 && abi_nr(X32, name) < 0) {
		report_add(r, "\n  %s: libseccomp knows it on no x86 ABI: it would not be filtered",
			   name);
		return;
	}
	for (enum abi abi = NATIVE; abi <= X32; abi++) {
		struct expect_ctx c = { what, abi, abi_nr(abi, name), want, r };

		if (c.nr >= 0)
			explore(progs, 1, abi, c.nr, expect_answer, &c);
	}
}

static void expect_refused(const uint64_t *a, const uint32_t *act, void *p)
{
	struct expect_ctx *c = p;
	char g[32], n[64];

	if (!act_allows(act[0]))
		return;
	if (c->reported) {
		c->r->bad++; /* one line per call: the other paths only count */
		return;
	}
	c->reported = true;
	report_add(c->r,
		   "\n  %s (%s) args {0x%llx, 0x%llx, 0x%llx, 0x%llx}: expected a refusal, got %s",
		   call_name(c->abi, c->nr, n, sizeof(n)), c->what, (unsigned long long)a[0],
		   (unsigned long long)a[1], (unsigned long long)a[2], (unsigned long long)a[3],
		   act_name(act[0], g, sizeof(g)));
}

/*
 * paude's promises (docs/seccomp.md), written out independently of the
 * table: these calls are refused on x86_64, i386 and x32, with this errno,
 * for any arguments.
 */
static const struct {
	const char *name;
	int err;
} refused[] = {
	{ "keyctl", EPERM },
	{ "add_key", EPERM },
	{ "request_key", EPERM },
	{ "bpf", EPERM },
	{ "perf_event_open", EPERM },
	{ "userfaultfd", EPERM },
	{ "kexec_load", EPERM },
	{ "kexec_file_load", EPERM },
	{ "init_module", EPERM },
	{ "finit_module", EPERM },
	{ "delete_module", EPERM },
	{ "query_module", EPERM },
	{ "mount", EPERM },
	{ "umount", EPERM },
	{ "umount2", EPERM },
	{ "pivot_root", EPERM },
	{ "chroot", EPERM },
	{ "mount_setattr", EPERM },
	{ "fsopen", EPERM },
	{ "fsconfig", EPERM },
	{ "fsmount", EPERM },
	{ "fspick", EPERM },
	{ "move_mount", EPERM },
	{ "open_tree", EPERM },
	{ "setns", EPERM },
	{ "socketcall", EPERM },
	{ "syslog", EPERM },
	{ "open_by_handle_at", EPERM },
	{ "lookup_dcookie", EPERM },
	{ "quotactl", EPERM },
	{ "quotactl_fd", EPERM },
	{ "sethostname", EPERM },
	{ "setdomainname", EPERM },
	{ "acct", EPERM },
	{ "kcmp", EPERM },
	{ "process_madvise", EPERM },
	{ "ioperm", EPERM },
	{ "iopl", EPERM },
	{ "clock_settime", EPERM },
	{ "clock_settime64", EPERM },
	{ "settimeofday", EPERM },
	{ "stime", EPERM },
	{ "vhangup", EPERM },
	{ "bdflush", EPERM },
	{ "futex_waitv", EPERM },
	{ "io_pgetevents", EPERM },
	{ "migrate_pages", EPERM },
	{ "move_pages", EPERM },
	{ "nfsservctl", EPERM },
	{ "nice", EPERM },
	{ "oldfstat", EPERM },
	{ "olduname", EPERM },
	{ "swapon", EPERM },
	{ "swapoff", EPERM },
	{ "sysfs", EPERM },
	{ "uselib", EPERM },
	{ "ustat", EPERM },
	{ "vm86", EPERM },
	{ "vm86old", EPERM },
	{ "vmsplice", EPERM },
	/* left off the list: the default action */
	{ "clone3", ENOSYS },
	{ "openat2", ENOSYS },
	{ "io_uring_setup", ENOSYS },
	{ "io_uring_enter", ENOSYS },
	{ "io_uring_register", ENOSYS },
};

START_TEST(test_default_refuses_listed)
{
	struct pd_seccomp_prog prog = default_prog();
	struct report r = { .used = 0 };

	for (size_t i = 0; i < N(refused); i++)
		expect_call(&prog, refused[i].name, SECCOMP_RET_ERRNO | (uint32_t)refused[i].err,
			    "listed refusal", &r);
	ck_assert_msg(r.bad == 0, "%zu answers of the compiled default filter are wrong:%s", r.bad,
		      r.text);
	pd_seccomp_prog_release(&prog);
}
END_TEST

/*
 * Every unconditional row of the table comes out of libseccomp as written,
 * on every ABI where the call exists, for any arguments.
 */
START_TEST(test_default_table_compiled)
{
	const struct pd_seccomp_profile *p = &pd_seccomp_default_profile;
	struct pd_seccomp_prog prog = default_prog();
	struct report r = { .used = 0 };
	size_t checked = 0;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct pd_seccomp_rule *row = &p->rules[i];
		uint32_t want = row->action.kind == PD_SECCOMP_ALLOW
					? SECCOMP_RET_ALLOW
					: SECCOMP_RET_ERRNO | row->action.data;

		if (row->n_args)
			continue;
		ck_assert_msg(row->action.kind == PD_SECCOMP_ALLOW ||
				      row->action.kind == PD_SECCOMP_ERRNO,
			      "row %zu: an action this test does not know", i);
		for (size_t j = 0; j < row->n_names; j++) {
			const struct pd_seccomp_prog *progs[1] = { &prog };

			for (enum abi abi = NATIVE; abi <= X32; abi++) {
				struct expect_ctx c = { "table row", abi,
							abi_nr(abi, row->names[j]), want, &r };

				if (c.nr < 0)
					continue;
				explore(progs, 1, abi, c.nr, expect_answer, &c);
				checked++;
			}
		}
	}
	ck_assert_uint_gt(checked, 800);
	ck_assert_msg(r.bad == 0,
		      "%zu answers of the compiled default filter differ from the table:%s", r.bad,
		      r.text);
	pd_seccomp_prog_release(&prog);
}
END_TEST

/*
 * fcntl(F_SETLEASE) is refused with EPERM, every other command allowed, on
 * every ABI and with garbage above bit 31 (the kernel truncates cmd to an
 * unsigned int).  Through the kernel with fd -1, where an allowed fcntl
 * fails with EBADF (ENOSYS on x32 when the kernel lacks x32: the
 * interpreter below is exact there); then the compiled program for every
 * command 0-4095 and every one-bit flip of F_SETLEASE.
 */
START_TEST(test_default_fcntl_setlease)
{
	static const struct probe p[] = {
		{ "fcntl(F_SETLEASE)", NATIVE, SYS_fcntl, { -1UL, F_SETLEASE, F_RDLCK }, EPERM },
		{ "fcntl(F_SETLEASE, F_UNLCK)",
		  NATIVE,
		  SYS_fcntl,
		  { -1UL, F_SETLEASE, F_UNLCK },
		  EPERM },
		{ "fcntl(F_SETLEASE | garbage << 32)",
		  NATIVE,
		  SYS_fcntl,
		  { -1UL, 0xdeadbeef00000000UL | F_SETLEASE, F_WRLCK },
		  EPERM },
		{ "i386 fcntl(F_SETLEASE)", I386, 55, { -1UL, F_SETLEASE, F_RDLCK }, EPERM },
		{ "i386 fcntl64(F_SETLEASE)", I386, 221, { -1UL, F_SETLEASE, F_RDLCK }, EPERM },
		{ "x32 fcntl(F_SETLEASE)", X32, 72, { -1UL, F_SETLEASE, F_RDLCK }, EPERM },
		{ "fcntl(F_GETFL)", NATIVE, SYS_fcntl, { -1UL, F_GETFL }, EBADF },
		{ "fcntl(F_GETLEASE)", NATIVE, SYS_fcntl, { -1UL, F_GETLEASE }, EBADF },
		{ "fcntl(F_SETFL)", NATIVE, SYS_fcntl, { -1UL, F_SETFL, O_NONBLOCK }, EBADF },
		{ "fcntl(F_DUPFD_CLOEXEC)", NATIVE, SYS_fcntl, { -1UL, F_DUPFD_CLOEXEC, 0 }, EBADF },
		{ "fcntl(F_SETLK)", NATIVE, SYS_fcntl, { -1UL, F_SETLK, BADPTR }, EBADF },
		{ "fcntl(F_SETLEASE + 0x100000000 - 1)",
		  NATIVE,
		  SYS_fcntl,
		  { -1UL, 0x100000000UL + F_SETLEASE - 1 },
		  EBADF },
		{ "i386 fcntl64(F_GETFL)", I386, 221, { -1UL, F_GETFL }, EBADF },
		{ "i386 fcntl(F_GETFL)", I386, 55, { -1UL, F_GETFL }, EBADF },
		{ "x32 fcntl(F_GETFL)", X32, 72, { -1UL, F_GETFL }, EBADF },
	};
	static const char *const calls[] = { "fcntl", "fcntl64" };
	struct pd_seccomp_prog prog = default_prog();
	struct report r = { .used = 0 };
	int res[N(p)];
	size_t tried = 0;

	in_filter_ok(&prog, child_probes, p, N(p), res);
	for (size_t i = 0; i < N(p); i++) {
		char w[32], g[32];

		if (res[i] != p[i].want &&
		    !(p[i].abi == X32 && p[i].want == EBADF && res[i] == ENOSYS))
			report_add(&r, "\n  %s: expected %s, got %s", p[i].what,
				   ename(p[i].want, w, sizeof(w)), ename(res[i], g, sizeof(g)));
	}
	for (enum abi abi = NATIVE; abi <= X32; abi++) {
		for (size_t c = 0; c < N(calls); c++) {
			long nr = abi_nr(abi, calls[c]);

			for (uint64_t hi = 0; nr >= 0 && hi < (abi == I386 ? 1u : 3u); hi++) {
				for (uint32_t i = 0; i < 4096 + 32; i++) {
					uint32_t cmd = i < 4096 ? i
								: F_SETLEASE ^ (1u << (i - 4096));
					uint64_t a[6] = { 3,       (hi * 0x7fffffffULL) << 32 | cmd,
							  F_RDLCK, 0,
							  0,       0 };
					uint32_t act = bpf_answer(&prog, abi, nr, a);
					uint32_t want = cmd == F_SETLEASE
								? SECCOMP_RET_ERRNO | EPERM
								: SECCOMP_RET_ALLOW;
					char n[64], g[32];

					tried++;
					if (act != want)
						report_add(&r, "\n  %s(fd, 0x%llx): got %s",
							   call_name(abi, nr, n, sizeof(n)),
							   (unsigned long long)a[1],
							   act_name(act, g, sizeof(g)));
				}
			}
		}
	}
	/* x86_64 fcntl, i386 fcntl and fcntl64, x32 fcntl */
	EXPECT_UINT(tried, (3 + 1 + 1 + 3) * (4096 + 32));
	ck_assert_msg(r.bad == 0, "%zu fcntl answers are wrong:%s", r.bad, r.text);
	pd_seccomp_prog_release(&prog);
}
END_TEST

/* ---- equivalent to podman's default, and stricter ---- */

/* containers.conf's default_capabilities (podman 4 and later). */
static const char *const podman_caps[] = {
	"CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
	"CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
	"CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT",
};

/*
 * Where paude's default allows what containers-common's refuses: each entry
 * needs a reason.  There are none: a call name here (with the ABI) would be
 * let through by the comparisons below.
 */
static const struct {
	const char *call; /* as call_name() prints it: "x86_64 name" */
	const char *why;
} paude_allows_more[] = {
	{ NULL, NULL },
};

static bool allowed_more_used[N(paude_allows_more)];

static bool allowed_more(const char *call)
{
	for (size_t i = 0; i < N(paude_allows_more); i++) {
		if (paude_allows_more[i].call && !strcmp(paude_allows_more[i].call, call)) {
			allowed_more_used[i] = true;
			return true;
		}
	}
	return false;
}

static bool json_str_in(const cJSON *arr, const char *const *set, size_t n, bool all)
{
	const cJSON *it;
	size_t hits = 0, count = 0;

	cJSON_ArrayForEach (it, arr) {
		bool in = false;

		count++;
		for (size_t i = 0; i < n && cJSON_IsString(it); i++)
			in = in || !strcmp(it->valuestring, set[i]);
		hits += in;
	}
	return all ? hits == count : hits > 0;
}

/*
 * Whether containers-common's rule @r applies to a process holding @caps
 * on amd64, as containers/common decides it: every included capability
 * held, no excluded one; "arches" against the native architecture.
 */
static bool cc_rule_applies(const cJSON *r, const char *const *caps, size_t n_caps)
{
	static const char *const amd64[] = { "amd64" };
	const cJSON *inc = cJSON_GetObjectItemCaseSensitive(r, "includes");
	const cJSON *exc = cJSON_GetObjectItemCaseSensitive(r, "excludes");
	const cJSON *v;

	BPF_CHECK(!cJSON_GetObjectItemCaseSensitive(inc, "minKernel") &&
			  !cJSON_GetObjectItemCaseSensitive(exc, "minKernel"),
		  "the fixture has grown a minKernel: teach this test");
	if ((v = cJSON_GetObjectItemCaseSensitive(inc, "caps")) && cJSON_GetArraySize(v) > 0 &&
	    !json_str_in(v, caps, n_caps, true))
		return false;
	if ((v = cJSON_GetObjectItemCaseSensitive(exc, "caps")) &&
	    json_str_in(v, caps, n_caps, false))
		return false;
	if ((v = cJSON_GetObjectItemCaseSensitive(inc, "arches")) && cJSON_GetArraySize(v) > 0 &&
	    !json_str_in(v, amd64, 1, false))
		return false;
	if ((v = cJSON_GetObjectItemCaseSensitive(exc, "arches")) &&
	    json_str_in(v, amd64, 1, false))
		return false;
	return true;
}

static cJSON *cc_profile(void)
{
	cleanup_free char *json = NULL;
	size_t len = 0;
	cJSON *root;

	json = read_fixture("containers-common-seccomp.json", &len);
	root = cJSON_ParseWithLength(json, len);
	ck_assert_msg(root != NULL, "containers-common-seccomp.json does not parse");
	/* Everything not allowed is refused: the verdicts below rely on it. */
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(root, "defaultAction")->valuestring,
			 "SCMP_ACT_ERRNO");
	return root;
}

enum cc_verdict { CC_REFUSED, CC_ALLOWED, CC_DEPENDS };

/* containers-common's verdict on @name for @caps on amd64, from the JSON alone. */
static enum cc_verdict cc_verdict(const cJSON *root, const char *name, const char *const *caps,
				  size_t n_caps)
{
	const cJSON *r;
	enum cc_verdict v = CC_REFUSED;

	cJSON_ArrayForEach (r, cJSON_GetObjectItemCaseSensitive(root, "syscalls")) {
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(r, "names");
		const char *action = cJSON_GetObjectItemCaseSensitive(r, "action")->valuestring;
		const cJSON *args = cJSON_GetObjectItemCaseSensitive(r, "args");
		bool allow = !strcmp(action, "SCMP_ACT_ALLOW") || !strcmp(action, "SCMP_ACT_LOG");
		const char *one[] = { name };

		if (!allow || !json_str_in(names, one, 1, false) ||
		    !cc_rule_applies(r, caps, n_caps))
			continue;
		if (cJSON_GetArraySize(args) == 0)
			return CC_ALLOWED; /* an unconditional allow beats argument rules */
		v = CC_DEPENDS;
	}
	return v;
}

/*
 * Syscall by syscall, from containers-common's JSON read independently of
 * paude's parser, for podman's default capabilities on amd64: every x86
 * call that profile never allows is refused by paude's compiled default on
 * every path of its program (x86_64, i386, x32: the profile's archMap).
 */
START_TEST(test_default_refuses_what_podman_refuses)
{
	struct pd_seccomp_prog prog = default_prog();
	const struct pd_seccomp_prog *progs[1] = { &prog };
	cJSON *root = cc_profile();
	struct report r = { .used = 0 };
	size_t refused_names = 0;

	for (enum abi abi = NATIVE; abi <= X32; abi++) {
		for (long nr = 0; nr < 1024; nr++) {
			char *name = seccomp_syscall_resolve_num_arch(
				abi_token[abi], (int)(abi == X32 ? nr | X32_BIT : nr));
			char n[64];
			struct expect_ctx c = { "containers-common refuses it", abi, nr,
						SECCOMP_RET_ALLOW, &r };

			if (!name)
				continue;
			if (cc_verdict(root, name, podman_caps, N(podman_caps)) == CC_REFUSED &&
			    !allowed_more(call_name(abi, nr, n, sizeof(n)))) {
				refused_names++;
				explore(progs, 1, abi, nr, expect_refused, &c);
			}
			free(name);
		}
	}
	cJSON_Delete(root);
	ck_assert_uint_gt(refused_names, 100);
	ck_assert_msg(r.bad == 0,
		      "%zu paths of paude's default allow a call containers-common "
		      "refuses:%s",
		      r.bad, r.text);
	pd_seccomp_prog_release(&prog);
}
END_TEST

/*
 * containers-common's profile as containers/common reads it for @caps:
 * the rules that do not apply are removed and the capability conditions of
 * the others dropped, so that paude's parser (which reads for no
 * capabilities) compiles exactly that reading.
 */
static void cc_compile(const char *const *caps, size_t n_caps, struct pd_seccomp_prog *out)
{
	cJSON *root = cc_profile();
	cJSON *rules = cJSON_GetObjectItemCaseSensitive(root, "syscalls");
	struct pd_error err = { 0 };
	char *json;

	for (int i = cJSON_GetArraySize(rules) - 1; i >= 0; i--) {
		cJSON *rule = cJSON_GetArrayItem(rules, i);

		if (!cc_rule_applies(rule, caps, n_caps)) {
			cJSON_DeleteItemFromArray(rules, i);
			continue;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(rule, "includes"), "caps");
		cJSON_DeleteItemFromObjectCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(rule, "excludes"), "caps");
	}
	json = cJSON_PrintUnformatted(root);
	ck_assert_ptr_nonnull(json);
	ck_assert_msg(pd_seccomp_from_json(json, strlen(json), out, &err) == 0,
		      "containers-common profile: %s", err.msg);
	cJSON_free(json);
	cJSON_Delete(root);
}

struct compare_ctx {
	enum abi abi;
	long nr;
	const char *view;
	struct report *r;
	size_t paths;
	bool reported;
};

/* act[0]: containers-common's answer, act[1]: paude's. */
static void compare_answers(const uint64_t *a, const uint32_t *act, void *p)
{
	struct compare_ctx *c = p;
	char n[64], g0[32], g1[32];

	c->paths++;
	if (act_allows(act[0]) || !act_allows(act[1]) ||
	    allowed_more(call_name(c->abi, c->nr, n, sizeof(n))))
		return;
	if (c->reported) {
		c->r->bad++; /* one line per call: the other paths only count */
		return;
	}
	c->reported = true;
	report_add(c->r,
		   "\n  %s args {0x%llx, 0x%llx, 0x%llx, 0x%llx} (%s): "
		   "containers-common %s, paude %s",
		   n, (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2],
		   (unsigned long long)a[3], c->view, act_name(act[0], g0, sizeof(g0)),
		   act_name(act[1], g1, sizeof(g1)));
}

/*
 * The two compiled programs side by side: for every syscall number 0-1023
 * (and a few out of range) on x86_64, i386 and x32, for argument vectors
 * that take every path of either program, whatever containers-common
 * refuses paude refuses too.  Both readings of containers-common: podman's
 * default capabilities, and none at all (what a paude sandbox holds).
 */
START_TEST(test_default_stricter_than_podman)
{
	static const struct {
		const char *view;
		const char *const *caps;
		size_t n_caps;
	} views[] = {
		{ "podman's default capabilities", podman_caps, N(podman_caps) },
		{ "no capabilities", NULL, 0 },
	};
	static const long extra_nrs[] = { -1, 0x3fffffff, 0x7fffffff };
	struct pd_seccomp_prog prog = default_prog();
	struct report r = { .used = 0 };

	for (size_t v = 0; v < N(views); v++) {
		struct pd_seccomp_prog cc = { 0 };
		const struct pd_seccomp_prog *progs[2] = { &cc, &prog };
		const uint64_t zero[6] = { 0 };
		size_t paths = 0;

		cc_compile(views[v].caps, views[v].n_caps, &cc);
		/* The reading is right: a few answers podman is known to give. */
		ck_assert_uint_eq(bpf_answer(&cc, NATIVE, SYS_read, zero), SECCOMP_RET_ALLOW);
		ck_assert_uint_eq(bpf_answer(&cc, NATIVE, SYS_io_uring_setup, zero),
				  SECCOMP_RET_ERRNO | ENOSYS);
		ck_assert_uint_eq(bpf_answer(&cc, NATIVE, SYS_chroot, zero),
				  views[v].caps ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | EPERM);
		ck_assert_uint_eq(bpf_answer(&cc, I386, 26 /* ptrace */, zero), SECCOMP_RET_ALLOW);

		for (enum abi abi = NATIVE; abi <= X32; abi++) {
			for (size_t i = 0; i < 1024 + N(extra_nrs); i++) {
				struct compare_ctx c = { abi,
							 i < 1024 ? (long)i : extra_nrs[i - 1024],
							 views[v].view, &r, 0 };

				explore(progs, 2, abi, c.nr, compare_answers, &c);
				paths += c.paths;
			}
		}
		ck_assert_uint_gt(paths, 3 * 1024);
		pd_seccomp_prog_release(&cc);
	}
	ck_assert_msg(r.bad == 0,
		      "%zu paths where paude's default allows what containers-common "
		      "refuses (justify each in paude_allows_more[] or refuse it):%s",
		      r.bad, r.text);
	for (size_t i = 0; i < N(paude_allows_more); i++)
		ck_assert_msg(!paude_allows_more[i].call || allowed_more_used[i],
			      "paude_allows_more[%zu] (%s) is no longer a difference: remove it", i,
			      paude_allows_more[i].call);
	pd_seccomp_prog_release(&prog);
}
END_TEST
#endif /* __x86_64__ */

static int parse_with(const char *json, const struct pd_seccomp_host *h,
		      struct pd_seccomp_profile **out, struct pd_error *err)
{
	return pd_seccomp_profile_parse(json, strlen(json), h, out, err);
}

/* includes/excludes for a given host: which of rules 0..5 survive. */
START_TEST(test_json_includes_excludes)
{
	static const char json[] =
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
		"{\"names\":[\"a0\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"amd64\",\"x32\"]}},"
		"{\"names\":[\"a1\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"SCMP_ARCH_AARCH64\"]}},"
		"{\"names\":[\"a2\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"arches\":[\"amd64\"]}},"
		"{\"names\":[\"a3\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"5.8\"}},"
		"{\"names\":[\"a4\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"minKernel\":\"5.8\"}},"
		"{\"names\":[\"a5\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_BPF\"]},"
		" \"excludes\":{}},"
		"{\"names\":[\"a6\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"caps\":[\"CAP_BPF\"]},"
		" \"includes\":null}]}";
	static const struct {
		struct pd_seccomp_host host;
		const char *kept;
	} cases[] = {
		{ { SCMP_ARCH_X86_64, 6, 18 }, "a0 a3 a6" },
		{ { SCMP_ARCH_X86_64, 5, 7 }, "a0 a4 a6" },
		{ { SCMP_ARCH_X86_64, 5, 8 }, "a0 a3 a6" },
		{ { SCMP_ARCH_AARCH64, 4, 19 }, "a1 a2 a4 a6" },
	};

	for (size_t c = 0; c < N(cases); c++) {
		struct pd_seccomp_profile *p = NULL;
		struct pd_error err = { 0 };
		char kept[64] = "";
		size_t used = 0;

		ck_assert_msg(parse_with(json, &cases[c].host, &p, &err) == 0, "case %zu: %s", c,
			      err.msg);
		for (size_t i = 0; i < p->n_rules; i++)
			used += (size_t)snprintf(kept + used, sizeof(kept) - used, "%s%s",
						 i ? " " : "", p->rules[i].names[0]);
		ck_assert_msg(strcmp(kept, cases[c].kept) == 0,
			      "case %zu (kernel %u.%u): expected rules \"%s\", got \"%s\"", c,
			      cases[c].host.kernel_major, cases[c].host.kernel_minor, cases[c].kept,
			      kept);
		pd_seccomp_profile_free(p);
	}
}
END_TEST

START_TEST(test_json_arches)
{
	static const struct pd_seccomp_host x86 = { SCMP_ARCH_X86_64, 6, 1 };
	static const char map[] =
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":["
		"{\"architecture\":\"SCMP_ARCH_AARCH64\",\"subArchitectures\":[\"SCMP_ARCH_ARM\"]},"
		"{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]}]}";
	static const char list[] =
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
		"[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_LOONGARCH64\"]}";
	struct pd_seccomp_profile *p = NULL;
	struct pd_error err = { 0 };

	ck_assert_msg(parse_with(map, &x86, &p, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(p->n_arches, 3);
	ck_assert_uint_eq(p->arches[0], SCMP_ARCH_X86_64);
	ck_assert_uint_eq(p->arches[1], SCMP_ARCH_X86);
	ck_assert_uint_eq(p->arches[2], SCMP_ARCH_X32);
	pd_seccomp_profile_free(p);
	ck_assert_msg(parse_with(list, &x86, &p, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(p->n_arches, 1);
	ck_assert_uint_eq(p->arches[0], SCMP_ARCH_X86);
	pd_seccomp_profile_free(p);
}
END_TEST

static const struct {
	const char *json;
	const char *msg;
} bad_profiles[] = {
	{ "", "seccomp profile: empty" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\"", "seccomp profile: invalid JSON at byte 33" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\"} x",
	  "seccomp profile: invalid JSON at byte 35: data after the profile" },
	{ "[]", "seccomp profile: expected a JSON object, got an array" },
	{ "{}", "seccomp profile: defaultAction: missing" },
	{ "{\"defaultAction\": 1}",
	  "seccomp profile: defaultAction: expected a string, got a number" },
	{ "{\"defaultAction\": \"SCMP_ACT_FOO\"}",
	  "seccomp profile: defaultAction: unknown action \"SCMP_ACT_FOO\"" },
	{ "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}",
	  "seccomp profile: defaultAction: SCMP_ACT_NOTIFY is not supported (paude has no seccomp notify listener)" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 4096}",
	  "seccomp profile: defaultErrnoRet: 4096 out of range (0-4095)" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrno\": \"EFOO\"}",
	  "seccomp profile: defaultErrno: unknown errno \"EFOO\"" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}",
	  "seccomp profile: syscalls: expected an array, got an object" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]}",
	  "seccomp profile: syscalls[0]: no \"names\"" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\"}, {\"names\": [\"write\", 7], \"action\": \"SCMP_ACT_ALLOW\"}]}",
	  "seccomp profile: syscalls[1].names[1]: expected a string, got a number" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"Read\\n\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\"}]}",
	  "seccomp profile: syscalls[0].names[0]: invalid syscall name \"Read?\"" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": []}]}",
	  "seccomp profile: syscalls[0].names: empty" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"read\", \"names\": [\"read\"],"
	  " \"action\": \"SCMP_ACT_ALLOW\"}]}",
	  "seccomp profile: syscalls[0]: both \"name\" and \"names\" are set: use one" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"]}]}",
	  "seccomp profile: syscalls[0].action: missing" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
	  "seccomp profile: syscalls[0].action: SCMP_ACT_NOTIFY is not supported (paude has no seccomp notify listener)" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{}, {}, {}, {\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_FOO\"}]}]}",
	  "seccomp profile: syscalls[0]: no \"names\"" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":[\"a\"],\"action\":\"SCMP_ACT_LOG\"},"
	  "{\"names\":[\"b\"],\"action\":\"SCMP_ACT_LOG\"},{\"names\":[\"c\"],\"action\":\"SCMP_ACT_LOG\"},"
	  "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
	  "\"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_FOO\"}]}]}",
	  "seccomp profile: syscalls[3].args[0].op: unknown operator \"SCMP_CMP_FOO\"" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	  "seccomp profile: syscalls[0].args[0].index: 6 out of range (0-5)" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	  "seccomp profile: syscalls[0].args[0].index: missing" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	  "seccomp profile: syscalls[0].args[0].value: must not be negative" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1.5, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	  "seccomp profile: syscalls[0].args[0].value: 1.5 is not an integer" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"valueTwo\": 18446744073709551615, "
	  "\"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}",
	  "seccomp profile: syscalls[0].args[0].valueTwo: 18446744073709551616 is too large (JSON numbers are exact below 2^53)" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\":0,\"op\":\"SCMP_CMP_EQ\"},"
	  "{\"index\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":2,\"op\":\"SCMP_CMP_EQ\"},{\"index\":3,\"op\":\"SCMP_CMP_EQ\"},"
	  "{\"index\":4,\"op\":\"SCMP_CMP_EQ\"},{\"index\":5,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"op\":\"SCMP_CMP_NE\"}]}]}",
	  "seccomp profile: syscalls[0].args: 7 entries, at most 6" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [7]}]}",
	  "seccomp profile: syscalls[0].args[0]: expected an object, got a number" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": \"CAP_SYS_ADMIN\"}}]}",
	  "seccomp profile: syscalls[0].includes.caps: expected an array, got a string" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"arches\": [\"amd64\", \"vax\"]}}]}",
	  "seccomp profile: syscalls[0].excludes.arches[1]: unknown architecture \"vax\"" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"5\"}}]}",
	  "seccomp profile: syscalls[0].includes.minKernel: invalid kernel version \"5\" (want MAJOR.MINOR)" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\"], "
	  "\"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]}",
	  "seccomp profile: both \"architectures\" and \"archMap\" are set: use one" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_PDP11\"]}",
	  "seccomp profile: architectures[1]: unknown architecture \"SCMP_ARCH_PDP11\"" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": [{\"subArchitectures\": []}]}",
	  "seccomp profile: archMap[0].architecture: missing" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"]}",
	  "seccomp profile: flags: seccomp filter flags are not supported" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/agent.sock\"}",
	  "seccomp profile: listenerPath: not supported (paude has no seccomp notify listener)" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": \"1\"}]}",
	  "seccomp profile: syscalls[0].errnoRet: expected a number, got a string" },
	/* libseccomp refuses two different actions for the very same condition. */
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
	  "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]},"
	  "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_LOG\", \"args\": [{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	  "seccomp profile: syscalls[1]: add rule for \"getpid\" (SCMP_ARCH_X86_64): File exists" },
};

START_TEST(test_json_errors)
{
	const char *json = bad_profiles[_i].json, *want = bad_profiles[_i].msg;
	struct pd_seccomp_prog prog = { 0 };
	struct pd_error err = { 0 };
	int r = pd_seccomp_from_json(json, strlen(json), &prog, &err);

	ck_assert_msg(r == -1, "profile %d: expected failure \"%s\", got success", _i, want);
	ck_assert_msg(strcmp(err.msg, want) == 0, "profile %d:\n  expected: %s\n  actual:   %s", _i,
		      want, err.msg);
	ck_assert_msg(err.code == EINVAL || err.code == EEXIST,
		      "profile %d: expected code EINVAL, got %d", _i, err.code);
	ck_assert_ptr_null(prog.insns);
}
END_TEST

START_TEST(test_json_limits)
{
	struct pd_seccomp_prog prog = { 0 };
	struct pd_error err = { 0 };
	size_t n = PD_SECCOMP_MAX_RULES + 1, used = 0, size = 64 + n * 3;
	char *json = malloc(size);

	ck_assert_ptr_nonnull(json);
	used += (size_t)snprintf(json, size,
				 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[");
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(json + used, size - used, "%s{}", i ? "," : "");
	used += (size_t)snprintf(json + used, size - used, "]}");
	ck_assert_int_eq(pd_seccomp_from_json(json, used, &prog, &err), -1);
	ck_assert_str_eq(err.msg, "seccomp profile: syscalls: 4097 entries, at most 4096");
	free(json);

	ck_assert_int_eq(pd_seccomp_from_json("{}", PD_SECCOMP_JSON_MAX + 1, &prog, &err), -1);
	ck_assert_str_eq(err.msg, "seccomp profile: 1048577 bytes, at most 1048576");
	ck_assert_int_eq(err.code, EINVAL);
}
END_TEST

START_TEST(test_prog_release_and_apply_checks)
{
	struct pd_seccomp_prog prog = { 0 };
	struct pd_error err = { 0 };

	pd_seccomp_prog_release(&prog);
	pd_seccomp_prog_release(NULL);
	ck_assert_int_eq(pd_seccomp_apply(&prog, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	prog = default_prog();
	pd_seccomp_prog_release(&prog);
	pd_seccomp_prog_release(&prog);
	ck_assert_ptr_null(prog.insns);
	ck_assert_uint_eq(prog.len, 0);
}
END_TEST

static Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("default");
	TCase *js = tcase_create("json");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_default_matches_table, 0, 2);
	tcase_add_test(tc, test_default_no_x32_same_decisions);
	tcase_add_loop_test(tc, test_default_short_same_as_libseccomp, 0, 2);
	tcase_add_test(tc, test_short_every_comparison);
	tcase_add_test(tc, test_short_refuses_multiplexed);
	tcase_add_test(tc, test_default_picks_for_kernel);
	tcase_add_test(tc, test_default_keyring);
	tcase_add_test(tc, test_default_kernel_interfaces);
	tcase_add_test(tc, test_default_mounts);
	tcase_add_test(tc, test_default_clone3_enosys);
	tcase_add_test(tc, test_default_no_namespaces);
	tcase_add_test(tc, test_default_fork_and_threads);
	tcase_add_test(tc, test_default_basics);
	tcase_add_test(tc, test_default_unlisted_enosys);
	tcase_add_test(tc, test_default_personality);
	tcase_add_test(tc, test_default_socket);
	tcase_add_test(tc, test_default_no_setid_modes);
	tcase_add_test(tc, test_default_ioctl);
	tcase_add_test(tc, test_default_ioctl_sweep_native);
#ifdef __x86_64__
	tcase_add_test(tc, test_default_ioctl_sweep_i386);
	tcase_add_test(tc, test_default_ioctl_sweep_x32);
	tcase_add_test(tc, test_default_i386_abi);
	tcase_add_test(tc, test_default_x32_abi);
	tcase_add_test(tc, test_default_refuses_listed);
	tcase_add_test(tc, test_default_table_compiled);
	tcase_add_test(tc, test_default_fcntl_setlease);
	tcase_add_test(tc, test_default_refuses_what_podman_refuses);
	tcase_add_test(tc, test_default_stricter_than_podman);
#endif
	tcase_add_test(tc, test_default_table_invariants);
	tcase_add_test(tc, test_prog_release_and_apply_checks);
	suite_add_tcase(s, tc);

	tcase_set_timeout(js, 60);
	tcase_add_test(js, test_json_enforced);
	tcase_add_test(js, test_json_no_rules);
	tcase_add_test(js, test_json_containers_common);
	tcase_add_test(js, test_json_moby);
#ifdef __x86_64__
	tcase_add_test(js, test_json_bad_arch_kills);
	tcase_add_test(js, test_json_subarch_collapse);
	tcase_add_test(js, test_json_32bit_narrowing);
#endif
	tcase_add_test(js, test_json_includes_excludes);
	tcase_add_test(js, test_json_arches);
	tcase_add_loop_test(js, test_json_errors, 0, (int)N(bad_profiles));
	tcase_add_test(js, test_json_limits);
	suite_add_tcase(s, js);
	return s;
}

PD_UNIT_SUITE(seccomp_suite);
