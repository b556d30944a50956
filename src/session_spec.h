/* SPDX-License-Identifier: MIT */
/*
 * session_spec.h - a session's sandbox, as its supervisor runs it: the
 * pinned image, the persistent volume at /pvc and writable layer, the
 * agent's environment, limits and network (session_spec.c).
 */
#ifndef PAUDE_SESSION_SPEC_H
#define PAUDE_SESSION_SPEC_H

#include "image.h"
#include "run_net.h"
#include "session.h"

struct pd_session_spec {
	struct pd_idmap_plan ids;
	struct pd_image img;
	struct pd_seccomp_prog prog;
	struct pd_sandbox_spec spec; /* points into the rest */
	struct pd_mount *mounts;
	size_t n_mounts;
	struct pd_etc_file etc[3];
	char *passwd, *group, *gitconfig;
	char *layer_dir;
	char **env;      /* the agent's environment */
	char **root_env; /* another user's (root's): nothing the agent planted on PATH */
	struct pd_run_net *net;
	char *fix_hint;
	char hostname[64];
	const char *user; /* the agent's user: "paude", or NULL (root) */
	const char *home;
};

/*
 * pd_session_spec_build() - everything the sandbox of @s needs; @host_env
 * is the environment the variables passed through come from.
 */
int pd_session_spec_build(const struct pd_session *s, const struct pd_session_paths *p,
			  char *const *host_env, struct pd_session_spec *out, struct pd_error *err);
void pd_session_spec_release(struct pd_session_spec *ss);

/*
 * pd_session_agent_command() - the shell command tmux runs for the agent:
 * claude with the session's arguments (after the first start, --continue
 * first), then a login shell once it exits, so the tmux session stays.
 */
char *pd_session_agent_command(const struct pd_session *s, bool first);

/* The host variables a session passes through when set (NULL-terminated). */
extern const char *const pd_session_passthrough[];

/* pd_session_env_allowed() - whether @kv's name is passed through from the host. */
int pd_session_env_allowed(const char *kv);

#endif
