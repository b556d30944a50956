/* SPDX-License-Identifier: MIT */
/*
 * session_spec.c - a session's sandbox spec (session_spec.h).
 *
 * The image is the one pinned at create (a stored image by its manifest
 * digest, never pulled again here), on the session's persistent writable
 * layer; the persistent volume is bound at /pvc.  For `host`, /etc/passwd
 * and /etc/group are generated (root, the agent, nobody) instead of the
 * host's, so the sandbox learns no host account name.  The agent's
 * environment is built, not inherited: the image's, a few sane defaults,
 * the variables of pd_session_passthrough that are set on the host, the
 * proxy's, and the session's --env last.
 */
#include "session_spec.h"
#include "run_options.h"
#include "session_creds.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const pd_session_passthrough[] = {
	"ANTHROPIC_API_KEY",
	"ANTHROPIC_BASE_URL",
	"ANTHROPIC_MODEL",
	"CLAUDE_CODE_USE_VERTEX",
	"ANTHROPIC_VERTEX_PROJECT_ID",
	"GOOGLE_CLOUD_PROJECT",
	"CLOUD_ML_REGION",
	"CLAUDE_CODE_USE_BEDROCK",
	"AWS_REGION",
	NULL,
};

int pd_session_env_allowed(const char *kv)
{
	size_t n = strcspn(kv, "=");

	if (!kv[n])
		return 0;
	for (size_t i = 0; pd_session_passthrough[i]; i++)
		if (strlen(pd_session_passthrough[i]) == n &&
		    !strncmp(kv, pd_session_passthrough[i], n))
			return 1;
	return n > 15 && !strncmp(kv, "CLOUDSDK_AUTH_", 14);
}

static bool host_identity_file(const char *dest)
{
	return !strcmp(dest, "/etc/passwd") || !strcmp(dest, "/etc/group") ||
	       !strcmp(dest, "/etc/gitconfig");
}

/* `host`: the account files and gitconfig are generated, not the host's. */
static void host_files(struct pd_session_spec *ss, bool agent_root)
{
	struct pd_rootfs *r = &ss->img.rootfs;
	cleanup_free char *gc = NULL;
	size_t len = 0, k = 0;
	struct pd_error ignore;

	for (size_t i = 0; i < r->n_mounts; i++) {
		if (host_identity_file(r->mounts[i].dest)) {
			pd_mount_release(&r->mounts[i]);
			continue;
		}
		r->mounts[k++] = r->mounts[i];
	}
	r->n_mounts = k;
	ss->passwd = pd_xasprintf(
		"root:x:0:0:root:/root:/bin/bash\n"
		"%s"
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		agent_root ? "" : "paude:x:1000:1000:paude:/home/paude:/bin/bash\n");
	ss->group = pd_xasprintf("root:x:0:\n%snogroup:x:65534:\n",
				 agent_root ? "" : "paude:x:1000:\n");
	/* the host's system git settings still apply */
	if (pd_read_file_at(AT_FDCWD, "/etc/gitconfig", 0, 65536, &gc, &len, &ignore) < 0)
		gc = NULL;
	ss->gitconfig = pd_xstrdup(gc ? gc : "");
	ss->etc[0] = (struct pd_etc_file){ "passwd", ss->passwd };
	ss->etc[1] = (struct pd_etc_file){ "group", ss->group };
	ss->etc[2] = (struct pd_etc_file){ "gitconfig", ss->gitconfig };
	ss->spec.etc_files = ss->etc;
	ss->spec.n_etc_files = 3;
}

/*
 * The environment of the agent (@agent), or of a process of another user:
 * the sandbox's root for the setup step and `exec -u`, which must never run
 * what the agent planted, so its PATH has no directory the agent writes
 * (/pvc/.local/bin, ~/.local/bin come first for the agent only) and its
 * HOME is root's.
 */
static char **build_env(struct pd_session_spec *ss, const struct pd_session *s,
			char *const *host_env, bool agent)
{
	char **env = pd_strv_dup(ss->img.env);
	char buf[4096], path[3500];
	const char *home = agent ? ss->home : "/root";

	if (!env)
		env = pd_xcalloc(1, sizeof(char *));
	if (!pd_env_get(env, "PATH"))
		pd_env_set(&env,
			   "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	snprintf(path, sizeof(path), "PATH=%s", pd_env_get(env, "PATH"));
	if (agent) {
		snprintf(buf, sizeof(buf), "PATH=/pvc/.local/bin:%s/.local/bin:%s", ss->home,
			 pd_env_get(env, "PATH"));
		pd_env_set(&env, buf);
	}
	if (!pd_env_get(env, "LANG"))
		pd_env_set(&env, "LANG=C.UTF-8");
	snprintf(buf, sizeof(buf), "HOME=%s", home);
	pd_env_set(&env, buf);
	snprintf(buf, sizeof(buf), "USER=%s", agent && ss->user ? ss->user : "root");
	pd_env_set(&env, buf);
	pd_env_set(&env, "TERM=xterm-256color");
	pd_env_set(&env, "SHELL=/bin/bash");
	pd_env_set(&env, "GH_CONFIG_DIR=/tmp/gh-config");
	pd_env_set(&env, "PAUDE_SESSION=1");
	if (s->agent_root)
		pd_env_set(&env, "IS_SANDBOX=1");
	for (char *const *e = host_env; e && *e; e++)
		if (pd_session_env_allowed(*e))
			pd_env_set(&env, *e);
	if (ss->net)
		pd_run_net_env(ss->net, &env);
	pd_env_merge(&env, s->env, pd_strv_len(s->env));
	if (!agent)
		pd_env_set(&env, path);
	return env;
}

static int add_pvc(struct pd_session_spec *ss, const struct pd_session_paths *p)
{
	ss->mounts = pd_xcalloc(1, sizeof(*ss->mounts));
	ss->mounts[0] = (struct pd_mount){
		.type = PD_MOUNT_BIND,
		.source = pd_xasprintf("%s/pvc", p->dir),
		.dest = pd_xstrdup("/pvc"),
	};
	ss->n_mounts = 1;
	return 0;
}

int pd_session_spec_build(const struct pd_session *s, const struct pd_session_paths *p,
			  char *const *host_env, struct pd_session_spec *ss, struct pd_error *err)
{
	struct pd_image_opts io = { .pull = PD_PULL_NEVER, .tls_verify = true };
	struct pd_sandbox_spec *sp = &ss->spec;

	memset(ss, 0, sizeof(*ss));
	if (pd_session_idmap(s, &ss->ids, err) < 0)
		return -1;
	io.ids = &ss->ids;
	if (pd_image_resolve(s->image_id ? s->image_id : s->image, &io, &ss->img, err) < 0) {
		if (s->image_id)
			pd_error_wrap(err, "image %s (pinned at create as %s)", s->image,
				      s->image_id);
		return -1;
	}
	if (pd_seccomp_default(&ss->prog, err) < 0)
		return -1;
	ss->user = s->agent_root ? NULL : PD_SESSION_AGENT;
	ss->home = s->agent_root ? "/root" : PD_SESSION_HOME;
	if (s->allowed_domains && s->allowed_domains[0] && !strcmp(s->allowed_domains[0], "none")) {
		ss->net = NULL;
	} else {
		struct pd_run_net_opts no = {
			.allowed_domains = s->allowed_domains && s->allowed_domains[0]
						   ? s->allowed_domains
						   : NULL,
			.resolve = s->resolve,
			.sandbox = s->name,
		};
		char audit[4200];

		snprintf(audit, sizeof(audit), "%s/audit.jsonl", p->dir);
		no.audit_log = audit;
		ss->fix_hint = pd_xasprintf("paude allowed-domains %s --add", s->name);
		no.fix_hint = ss->fix_hint;
		ss->net = pd_run_net_new(&no, err);
		if (!ss->net)
			return -1;
	}
	ss->env = build_env(ss, s, host_env, true);
	ss->root_env = s->agent_root ? pd_strv_dup(ss->env) : build_env(ss, s, host_env, false);
	add_pvc(ss, p);
	{
		char creds[4200];

		snprintf(creds, sizeof(creds), "%s/creds", p->dir);
		if (pd_creds_stage(pd_env_get(host_env, "HOME"), creds, ss->home, &ss->mounts,
				   &ss->n_mounts, err) < 0)
			return -1;
	}
	ss->layer_dir = pd_xasprintf("%s/layer", p->dir);
	snprintf(ss->hostname, sizeof(ss->hostname), "paude-%s", s->name);
	sp->ids = &ss->ids;
	sp->rootfs = ss->img.rootfs;
	if (!strcmp(s->image, "host")) {
		host_files(ss, s->agent_root);
		sp->rootfs = ss->img.rootfs;
	}
	sp->rootfs.layer_dir = ss->layer_dir;
	sp->mounts = ss->mounts;
	sp->n_mounts = ss->n_mounts;
	sp->hostname = ss->hostname;
	sp->resolv_conf = ss->net ? pd_run_net_resolv_conf(ss->net) : NULL;
	sp->limits.memory = s->memory;
	sp->limits.pids = s->pids ? s->pids : PD_DEFAULT_PIDS_LIMIT;
	sp->limits.pids_default = s->pids == 0;
	sp->limits.cpu_quota_us = s->cpu_quota_us;
	sp->limits.cpu_period_us = s->cpu_period_us;
	sp->init_stays = true;
	return 0;
}

void pd_session_spec_release(struct pd_session_spec *ss)
{
	pd_run_net_free(ss->net);
	for (size_t i = 0; i < ss->n_mounts; i++)
		pd_mount_release(&ss->mounts[i]);
	free(ss->mounts);
	pd_seccomp_prog_release(&ss->prog);
	pd_image_release(&ss->img);
	free(ss->passwd);
	free(ss->group);
	free(ss->gitconfig);
	free(ss->layer_dir);
	free(ss->fix_hint);
	pd_strv_free(ss->env);
	pd_strv_free(ss->root_env);
	memset(ss, 0, sizeof(*ss));
}

/* ' ARG' for sh, with ' inside as '\''. */
static void shell_quote(char **out, const char *arg)
{
	size_t n = strlen(*out), need = n + 3 + 4 * strlen(arg) + 1;
	char *s = pd_xrealloc(*out, need), *d = s + n;

	*d++ = ' ';
	*d++ = '\'';
	for (const char *c = arg; *c; c++) {
		if (*c == '\'') {
			memcpy(d, "'\\''", 4);
			d += 4;
		} else {
			*d++ = *c;
		}
	}
	*d++ = '\'';
	*d = '\0';
	*out = s;
}

char *pd_session_agent_command(const struct pd_session *s, bool first)
{
	char *plain = pd_xstrdup("claude"), *cont = pd_xstrdup("claude --continue"), *r;

	for (char **a = s->args; a && *a; a++) {
		shell_quote(&plain, *a);
		shell_quote(&cont, *a);
	}
	if (first)
		r = pd_xasprintf("%s; exec bash -l", plain);
	else
		r = pd_xasprintf("%s || %s; exec bash -l", cont, plain);
	free(plain);
	free(cont);
	return r;
}
