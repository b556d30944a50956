/* SPDX-License-Identifier: MIT */
/*
 * seccomp.h - the seccomp module's internal interface.
 *
 * A profile (struct pd_seccomp_profile) is a plain description of a filter:
 * a default action, the architectures it covers and an ordered list of rules
 * (syscall names, an action, up to six argument comparisons).  It comes from
 * one of two places:
 *
 *   seccomp_profile.c   paude's default profile, a static table;
 *   seccomp_json.c      a Docker/OCI JSON profile (--seccomp-profile).
 *
 * seccomp.c compiles either one into classic BPF with libseccomp and
 * installs a compiled program in the sandboxed child.  The default profile
 * is compiled once at build time (runtime/gen/seccomp-gen.c) and embedded,
 * so running a sandbox never pays for libseccomp.
 *
 * Capabilities, architecture includes/excludes and kernel versions are
 * resolved while parsing: a profile holds only the rules that apply.
 */
#ifndef PAUDE_SECCOMP_H
#define PAUDE_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime.h"

#define PD_SECCOMP_MAX_ARGS 6          /* a syscall has at most six arguments */
#define PD_SECCOMP_MAX_RULES 4096      /* rules in one profile */
#define PD_SECCOMP_MAX_NAMES 16384     /* syscall names over all rules */
#define PD_SECCOMP_MAX_ARCHES 8        /* architectures in one profile */
#define PD_SECCOMP_JSON_MAX (1u << 20) /* bytes of JSON accepted */

enum pd_seccomp_act {
	PD_SECCOMP_ALLOW,
	PD_SECCOMP_ERRNO, /* fail with errno @data */
	PD_SECCOMP_KILL_THREAD,
	PD_SECCOMP_KILL_PROCESS,
	PD_SECCOMP_TRAP,  /* SIGSYS */
	PD_SECCOMP_LOG,   /* allow, and log */
	PD_SECCOMP_TRACE, /* notify a ptrace tracer with message @data */
};

struct pd_seccomp_action {
	enum pd_seccomp_act kind;
	uint16_t data; /* ERRNO: the errno; TRACE: the message */
};

/* The libseccomp comparison operators (SCMP_CMP_*). */
enum pd_seccomp_op {
	PD_SECCOMP_CMP_NE,
	PD_SECCOMP_CMP_LT,
	PD_SECCOMP_CMP_LE,
	PD_SECCOMP_CMP_EQ,
	PD_SECCOMP_CMP_GE,
	PD_SECCOMP_CMP_GT,
	PD_SECCOMP_CMP_MASKED_EQ, /* (arg & value) == value2 */
};

/* One argument comparison: arg[index] <op> value (value2 only for MASKED_EQ). */
struct pd_seccomp_arg {
	unsigned index; /* 0..5 */
	enum pd_seccomp_op op;
	uint64_t value;
	uint64_t value2;
};

/*
 * A rule: every name in @names gets @action when all @args hold.  Two
 * comparisons on the same argument are not an AND (libseccomp cannot express
 * that): as runc does, each comparison then becomes a rule of its own.
 */
struct pd_seccomp_rule {
	const char *const *names;
	size_t n_names;
	struct pd_seccomp_action action;
	struct pd_seccomp_arg args[PD_SECCOMP_MAX_ARGS];
	size_t n_args;
	size_t origin; /* index in the source (syscalls[N]), for errors */
};

struct pd_seccomp_profile {
	const char *what; /* names the source in errors: "seccomp profile" */
	struct pd_seccomp_action default_action;
	const uint32_t *arches; /* SCMP_ARCH_* tokens; the native one is implied */
	size_t n_arches;
	/* A call from an ABI the filter does not cover kills the process (0),
	 * or fails with this errno: only for a filter chosen because the
	 * kernel lacks that ABI, where the kernel itself would say ENOSYS. */
	int badarch_errno;
	const struct pd_seccomp_rule *rules;
	size_t n_rules;
};

/* What a JSON profile's includes/excludes are evaluated against. */
struct pd_seccomp_host {
	uint32_t arch; /* native SCMP_ARCH_* token */
	unsigned kernel_major;
	unsigned kernel_minor;
};

/*
 * A plan: the argument rules libseccomp was given for each ABI of a filter
 * (after narrowing to 32 bits and splitting), from which
 * pd_seccomp_emit_compact() writes a short program (seccomp_bpf.c).
 */
struct pd_seccomp_plan_rule {
	int32_t nr;      /* the call's number on this ABI (x32: with bit 30) */
	uint32_t action; /* SECCOMP_RET_* */
	size_t order;    /* rules of one call are tried in this order */
	size_t n;        /* comparisons, all of which must hold (one per argument) */
	struct pd_seccomp_arg cmp[PD_SECCOMP_MAX_ARGS];
};

struct pd_seccomp_plan_abi {
	uint32_t token; /* SCMP_ARCH_* */
	bool is32;      /* libseccomp compares only the low 32 bits */
	struct pd_seccomp_plan_rule *rules;
	size_t n_rules;
	int32_t mux[2]; /* socketcall(2) and ipc(2) here, or negative */
};

struct pd_seccomp_plan {
	uint32_t def;     /* SECCOMP_RET_* for calls no rule names */
	uint32_t badarch; /* ... and for an ABI the filter does not cover */
	struct pd_seccomp_plan_abi abi[PD_SECCOMP_MAX_ARCHES];
	size_t n;
};

/*
 * pd_seccomp_emit_compact() - a program that answers every call as @ref
 * (libseccomp's program for the profile @plan was recorded from) does, in
 * far fewer instructions.  x86 family only (ENOTSUP elsewhere).
 * Return: 0, or -1 with @err set.
 */
int pd_seccomp_emit_compact(const struct pd_seccomp_prog *ref, const struct pd_seccomp_plan *plan,
			    struct pd_seccomp_prog *out, struct pd_error *err);

/*
 * pd_seccomp_check_same() - @got answers every call of the numbers, ABIs
 * and argument values seccomp_check.c tries as @ref does.
 * Return: 0, or -1 with @err naming the first call answered otherwise.
 */
int pd_seccomp_check_same(const struct pd_seccomp_prog *ref, const struct pd_seccomp_prog *got,
			  const struct pd_seccomp_plan *plan, struct pd_error *err);

/*
 * pd_seccomp_compile_compact() - pd_seccomp_compile(), then
 * pd_seccomp_emit_compact() on the result, checked with
 * pd_seccomp_check_same(): how the default filter is built.
 * Return: 0, or -1 with @err set.
 */
int pd_seccomp_compile_compact(const struct pd_seccomp_profile *profile,
			       struct pd_seccomp_prog *out, struct pd_error *err);

/* paude's default profile (seccomp_profile.c). */
extern const struct pd_seccomp_profile pd_seccomp_default_profile;
/*
 * The same without the x32 ABI, whose calls fail with ENOSYS, as on a
 * kernel without it: for such kernels (most: CONFIG_X86_X32_ABI is off or
 * disabled at boot), a third smaller filter that starts faster and decides
 * every x86_64 and i386 call exactly as the whole one does.
 */
extern const struct pd_seccomp_profile pd_seccomp_default_profile_no_x32;

/*
 * pd_seccomp_kernel_has_x32() - whether this kernel runs x32 calls (probed
 * once; true when paude is itself under a seccomp filter and so cannot
 * safely ask).  pd_seccomp_default() picks its program with it.
 */
bool pd_seccomp_kernel_has_x32(void);

/* pd_seccomp_default_abi() - the embedded default program, whole (@x32) or
 * without x32, whatever this kernel runs (for tests).  Return: 0. */
int pd_seccomp_default_abi(bool x32, struct pd_seccomp_prog *out);

/*
 * pd_seccomp_host_detect() - the native architecture and uname(2) release.
 * Return: 0, or -1 with @err set.
 */
int pd_seccomp_host_detect(struct pd_seccomp_host *host, struct pd_error *err);

/*
 * pd_seccomp_profile_parse() - parse a Docker/OCI JSON seccomp profile.
 * @json: the text, @len bytes (need not be NUL-terminated)
 * @host: the machine includes/excludes are evaluated for
 * @out: receives a heap profile; free it with pd_seccomp_profile_free()
 *
 * The sandboxed process has no capabilities: a rule that includes a
 * capability is dropped, one that excludes capabilities is kept.
 * Return: 0, or -1 with @err naming the offending field (code EINVAL).
 */
int pd_seccomp_profile_parse(const char *json, size_t len, const struct pd_seccomp_host *host,
			     struct pd_seccomp_profile **out, struct pd_error *err);

/* pd_seccomp_profile_free() - free a profile from pd_seccomp_profile_parse(). */
void pd_seccomp_profile_free(struct pd_seccomp_profile *p);

/*
 * pd_seccomp_compile() - compile @profile into BPF for the native
 * architecture and those of its sub-architectures the profile lists.
 * @out: receives the program; release with pd_seccomp_prog_release()
 * Return: 0, or -1 with @err set.
 */
int pd_seccomp_compile(const struct pd_seccomp_profile *profile, struct pd_seccomp_prog *out,
		       struct pd_error *err);

/*
 * pd_seccomp_apply() - install @prog on the calling thread with seccomp(2)
 * SECCOMP_SET_MODE_FILTER.  The caller has set PR_SET_NO_NEW_PRIVS.  Safe
 * right before execve in a child: it neither allocates nor prints.
 * Return: 0, or -1 with @err set.
 */
int pd_seccomp_apply(const struct pd_seccomp_prog *prog, struct pd_error *err);

/*
 * Architecture names as profiles spell them: "amd64" (Go) or
 * "SCMP_ARCH_X86_64" (libseccomp).  pd_seccomp_arch_lookup() returns false
 * for a name it has never heard of; *token is 0 for an architecture this
 * libseccomp cannot build filters for.
 */
bool pd_seccomp_arch_lookup(const char *name, uint32_t *token);

/* pd_seccomp_arch_in_family() - @arch is @native or one of its sub-architectures. */
bool pd_seccomp_arch_in_family(uint32_t native, uint32_t arch);

#endif
