/* SPDX-License-Identifier: MIT */
/*
 * run_options.h - `paude run` command line: pure parsers, unit-tested and
 * fuzzed.  Nothing here touches the host except reading --env-file.
 */
#ifndef PAUDE_RUN_OPTIONS_H
#define PAUDE_RUN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/runtime.h"

/* Tasks a sandbox may have unless --pids-limit says otherwise (podman: 2048). */
#define PD_DEFAULT_PIDS_LIMIT 2048

struct pd_run_options {
	char **env; /* K=V from -e/--env-file, in command-line order */
	const char *workdir;
	const char *user;
	const char *hostname;
	const char *network;    /* "proxy" (the default) or "none" */
	char **allowed_domains; /* --allowed-domains, in order (NULL: "default") */
	char **resolve;         /* --resolve HOST:ADDR, checked */
	const char *audit_log;  /* --audit-log FILE */
	const char *pull;       /* --pull missing|always|never|newer (NULL: missing) */
	const char *platform;   /* --platform os/arch[/variant] */
	bool tls_verify;        /* --tls-verify[=false] (default true) */
	const char *entrypoint; /* --entrypoint (NULL: the image's; "": none) */
	const char *seccomp_profile;
	struct pd_mount *mounts; /* -v and --tmpfs, in order */
	size_t n_mounts;
	bool read_only, tty, interactive;
	bool help; /* -h/--help seen: print help, run nothing */
	struct pd_limits limits;
	uint64_t caps; /* --cap-add: CAP_* bits, in the sandbox's user namespace */
	bool keep_id;  /* --userns=keep-id */
	const char *image;
	char **command; /* may be empty: the image's default */
};

/*
 * pd_run_options_parse() - parse `run` arguments (argv[0] is "run").
 * @environ_: the host environment, for "-e NAME" without a value
 * Return: 0, or -1 with @err set (usage errors have status PD_STATUS_USAGE).
 */
int pd_run_options_parse(int argc, char **argv, char *const *environ_, struct pd_run_options *o,
			 struct pd_error *err);
void pd_run_options_release(struct pd_run_options *o);

/* The single-option parsers. Each returns 0 or -1 with a usage error set. */
int pd_parse_env_arg(const char *arg, char *const *environ_, char ***env, struct pd_error *err);
int pd_parse_env_file(const char *text, size_t len, const char *name, char *const *environ_,
		      char ***env, struct pd_error *err);
int pd_parse_volume(const char *arg, struct pd_mount *m, struct pd_error *err);
int pd_parse_tmpfs(const char *arg, struct pd_mount *m, struct pd_error *err);
int pd_parse_bytes(const char *arg, uint64_t *out, struct pd_error *err);
int pd_parse_cpus(const char *arg, uint64_t *quota_us, uint64_t *period_us, struct pd_error *err);
int pd_parse_ulimit(const char *arg, struct pd_rlimit *rl, struct pd_error *err);
int pd_parse_pids_limit(const char *arg, uint64_t *out, struct pd_error *err);
int pd_check_hostname(const char *name, struct pd_error *err);
/* pd_parse_cap_add() - one of podman's default capabilities into *@caps. */
int pd_parse_cap_add(const char *arg, uint64_t *caps, struct pd_error *err);
int pd_check_user_spec(const char *spec, struct pd_error *err);
/* pd_env_set() - set K=V in an env vector, replacing an earlier K. */
void pd_env_set(char ***env, const char *kv);
/* pd_env_merge() - pd_env_set() of each of @adds in turn, in n log n. */
void pd_env_merge(char ***env, char *const *adds, size_t n_adds);
const char *pd_env_get(char *const *env, const char *name);

void pd_mount_release(struct pd_mount *m);

#endif
