/* SPDX-License-Identifier: MIT */
/*
 * run_net.h - `paude run`'s proxied network: the policy and pins from the
 * command line, the sandbox's environment and resolv.conf, and the hooks
 * that wire the gateway and serve the proxy and DNS on the owner's loop.
 */
#ifndef PAUDE_RUN_NET_H
#define PAUDE_RUN_NET_H

#include "common/error.h"
#include "run_owner.h"

#include <stdbool.h>
#include <stddef.h>

struct pd_run_net;

struct pd_run_net_opts {
	char *const *allowed_domains; /* NULL-terminated, may be NULL: "default" */
	char *const *resolve;         /* HOST:ADDR, NULL-terminated, may be NULL */
	const char *audit_log;        /* NULL: the default place */
	const char *sandbox;          /* name in audit lines */
	const char *fix_hint;         /* "paude run --allowed-domains" */
};

/*
 * pd_run_net_new() - check the options and build the policy (nothing runs
 * yet).  Return: the state, or NULL with @err (usage errors for bad entries).
 */
struct pd_run_net *pd_run_net_new(const struct pd_run_net_opts *o, struct pd_error *err);

/* pd_run_net_env() - add the proxy variables to @env. */
void pd_run_net_env(const struct pd_run_net *n, char ***env);

/* pd_run_net_resolv_conf() - the sandbox's /etc/resolv.conf text. */
const char *pd_run_net_resolv_conf(const struct pd_run_net *n);

/*
 * pd_run_net_set_policy() - replace the allowlist of a running sandbox @sb
 * with @entries (NULL-terminated): new connections, DNS answers and the
 * transparent path use it at once (a port no earlier entry named gets its
 * listener in the gateway now).  Return: 0, or -1 with @err (bad entries:
 * nothing changed).
 */
struct pd_sandbox;
int pd_run_net_set_policy(struct pd_run_net *n, struct pd_sandbox *sb, char *const *entries,
			  struct pd_error *err);

/* pd_run_net_hooks() - the hooks for pd_run_owned(). */
void pd_run_net_hooks(struct pd_run_net *n, struct pd_run_hooks *h);

/*
 * pd_run_net_free() - release everything; when requests were denied, say so
 * on stderr first ("paude: 3 requests denied (evil.test ×2, 10.0.0.1); see
 * AUDIT_LOG").
 */
void pd_run_net_free(struct pd_run_net *n);

#endif
