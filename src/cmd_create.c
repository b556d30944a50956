/* SPDX-License-Identifier: MIT */
/*
 * cmd_create.c - paude create [NAME]: decide a session once (image pinned,
 * id mapping, allowlist, limits, claude's arguments), write its config,
 * make its volume, and leave it running, as the predecessor's v0.8.2.
 */
#include "cli.h"
#include "idrange.h"
#include "image.h"
#include "run_options.h"
#include "session.h"
#include "session_audit.h"
#include "session_client.h"
#include "session_git.h"
#include "session_spec.h"
#include "shsplit.h"
#include "proxy/policy.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
	"Usage: paude create [OPTIONS] [NAME]\n"
	"\n"
	"Create a persistent session for the current directory and leave it running:\n"
	"Claude Code in tmux, confined, its only network paude's allowlist proxy.\n"
	"NAME defaults to the directory's name and a short random suffix.\n"
	"\n"
	"Options:\n"
	"      --image REF           the image (default: $PAUDE_IMAGE, else `host` when\n"
	"                            the host's /usr has git, tmux, bash and claude)\n"
	"      --yolo                claude --dangerously-skip-permissions\n"
	"  -a, --args \"...\"          claude's arguments (split as a shell would)\n"
	"      --allowed-domains D   host, .domain, HOST:PORT, IP, CIDR, ~regex or group\n"
	"                            (default; claude, vertexai, python, github, nodejs,\n"
	"                            golang, rust, all); repeatable\n"
	"      --resolve HOST:ADDR   pin HOST to ADDR (also the only way to a private one)\n"
	"  -e, --env K=V             a variable for the agent; repeatable\n"
	"      --cpus N, --memory SIZE, --pids-limit N\n"
	"                            limits (as for paude run)\n"
	"      --git                 then: remote add --push, tags, origin inside\n"
	"      --dry-run             print what would be created, create nothing\n"
	"  -v, --verbose             more detail with --dry-run\n"
	"      --backend local       where the session runs (podman: the same, local)\n"
	"  -h, --help                this help\n";

struct create_opts {
	const char *name, *image, *args, *backend;
	bool yolo, git, dry_run, verbose;
	char **allowed, **resolve, **env;
	struct pd_limits limits;
	bool pids_set;
};

enum {
	OPT_IMAGE = 256,
	OPT_YOLO,
	OPT_ALLOWED,
	OPT_RESOLVE,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_PIDS,
	OPT_GIT,
	OPT_DRY,
	OPT_BACKEND
};

static int parse(int argc, char **argv, struct create_opts *o, struct pd_error *err)
{
	static const struct option longs[] = {
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "yolo", no_argument, NULL, OPT_YOLO },
		{ "args", required_argument, NULL, 'a' },
		{ "allowed-domains", required_argument, NULL, OPT_ALLOWED },
		{ "resolve", required_argument, NULL, OPT_RESOLVE },
		{ "env", required_argument, NULL, 'e' },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "pids-limit", required_argument, NULL, OPT_PIDS },
		{ "git", no_argument, NULL, OPT_GIT },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+a:e:vh", longs, NULL)) != -1) {
		switch (c) {
		case OPT_IMAGE:
			o->image = optarg;
			break;
		case OPT_YOLO:
			o->yolo = true;
			break;
		case 'a':
			o->args = optarg;
			break;
		case OPT_ALLOWED:
			pd_strv_push(&o->allowed, optarg);
			break;
		case OPT_RESOLVE:
			pd_strv_push(&o->resolve, optarg);
			break;
		case 'e':
			if (pd_parse_env_arg(optarg, environ, &o->env, err) < 0)
				return -1;
			break;
		case OPT_CPUS:
			if (pd_parse_cpus(optarg, &o->limits.cpu_quota_us, &o->limits.cpu_period_us,
					  err) < 0)
				return -1;
			break;
		case OPT_MEMORY:
			if (pd_parse_bytes(optarg, &o->limits.memory, err) < 0)
				return -1;
			break;
		case OPT_PIDS:
			if (pd_parse_pids_limit(optarg, &o->limits.pids, err) < 0)
				return -1;
			o->pids_set = true;
			break;
		case OPT_GIT:
			o->git = true;
			break;
		case OPT_DRY:
			o->dry_run = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_BACKEND:
			o->backend = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return 1;
		default:
			return pd_usage_error(err, "create: unknown or incomplete option \"%s\"",
					      argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->name = argv[optind++];
	if (optind < argc)
		return pd_usage_error(err, "create: one NAME at most");
	if (o->backend && strcmp(o->backend, "local") != 0) {
		if (strcmp(o->backend, "podman") != 0)
			return pd_usage_error(err, "create: unknown backend \"%s\" (local)",
					      o->backend);
		pd_note("--backend podman is --backend local: paude runs the session itself");
	}
	return 0;
}

/* The host's /usr has @name (the `host` image would). */
static bool host_has(const char *name)
{
	static const char *const dirs[] = { "/usr/local/bin", "/usr/bin", "/usr/sbin", NULL };
	char path[PATH_MAX];

	for (size_t i = 0; dirs[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

static int choose_image(const struct create_opts *o, const char **out, struct pd_error *err)
{
	const char *env = getenv("PAUDE_IMAGE");

	if (o->image) {
		*out = o->image;
		return 0;
	}
	if (env && *env) {
		*out = env;
		return 0;
	}
	if (host_has("git") && host_has("tmux") && host_has("bash") && host_has("claude")) {
		pd_note("using the `host` image (the host's /usr has git, tmux, bash and claude)");
		*out = "host";
		return 0;
	}
	return pd_error_set_msg(
		err, ENOENT,
		"no image: the host's /usr lacks one of git, tmux, bash and claude; "
		"name an image with --image REF (or set PAUDE_IMAGE)");
}

/* ANTHROPIC_BASE_URL naming the loopback would mean the sandbox's own. */
static int check_base_url(char *const *env, struct pd_error *err)
{
	const char *u = pd_env_get(env, "ANTHROPIC_BASE_URL");
	const char *h;

	if (!u)
		u = getenv("ANTHROPIC_BASE_URL");
	if (!u)
		return 0;
	h = strstr(u, "://");
	h = h ? h + 3 : u;
	if (pd_str_has_prefix(h, "localhost") || pd_str_has_prefix(h, "127.") ||
	    pd_str_has_prefix(h, "[::1]") || pd_str_has_prefix(h, "0.0.0.0"))
		return pd_error_set_msg(
			err, EINVAL,
			"ANTHROPIC_BASE_URL \"%s\" names the loopback, which inside the sandbox is "
			"the sandbox's own: use a name, allow it and pin it to the address, e.g. "
			"--allowed-domains api.test --resolve api.test:127.0.0.1 with "
			"ANTHROPIC_BASE_URL=http://api.test:PORT",
			u);
	return 0;
}

static void dry_run(const struct create_opts *o, const char *name, const char *image,
		    char *const *args)
{
	printf("Session:          %s\n", name);
	printf("Backend:          local\n");
	printf("Image:            %s\n", image);
	printf("Allowed domains: ");
	{
		struct pd_error e2 = { 0 };
		struct pd_policy *pol = pd_policy_new((const char *const *)o->allowed,
						      pd_strv_len(o->allowed), &e2);
		const char *ents[256];
		size_t n = pol ? pd_policy_entries(pol, ents, 256) : 0;
		char summary[512] = "";

		if (!pol) {
			printf(" (refused: %s)", e2.msg);
		} else {
			(void)pd_policy_display(pol, summary, sizeof(summary));
			printf(" %s\n", summary);
		}
		for (size_t i = 0; i < n && i < 256; i++)
			printf("                  %s\n", ents[i]);
		pd_policy_unref(pol);
	}
	printf("Resolve:         ");
	for (char **a = o->resolve; a && *a; a++)
		printf(" %s", *a);
	printf("\nMounts:           <session volume> -> /pvc (workspace /pvc/workspace)\n");
	printf("Environment:     ");
	for (char **e = o->env; e && *e; e++) {
		size_t k = strcspn(*e, "=");

		printf(" %.*s=%s", (int)k, *e, o->verbose ? *e + k + 1 : "***");
	}
	for (char **e = environ; *e; e++)
		if (pd_session_env_allowed(*e))
			printf(" %.*s=***", (int)strcspn(*e, "="), *e);
	printf("\nLimits:           memory %llu, pids %llu, cpu %llu/%llu us\n",
	       (unsigned long long)o->limits.memory,
	       (unsigned long long)(o->pids_set ? o->limits.pids : PD_DEFAULT_PIDS_LIMIT),
	       (unsigned long long)o->limits.cpu_quota_us,
	       (unsigned long long)o->limits.cpu_period_us);
	printf("Claude args:     ");
	for (char *const *a = args; a && *a; a++)
		printf(" %s", *a);
	printf("\n");
}

/* The image, pulled when missing; a stored image's id is pinned. */
static int pin_image(struct pd_session *s, const struct pd_idmap_plan *ids, struct pd_error *err)
{
	struct pd_image_opts io = { .pull = PD_PULL_MISSING, .tls_verify = true, .ids = ids };
	struct pd_image img;

	if (pd_image_resolve(s->image, &io, &img, err) < 0)
		return -1;
	if (img.id)
		s->image_id = pd_xstrdup(img.id);
	pd_image_release(&img);
	return 0;
}

static int make_dirs(const struct pd_session_paths *p, struct pd_error *err)
{
	char path[4200];

	if (mkdir(p->dir, 0700) < 0)
		return pd_error_set(err, errno, "mkdir \"%s\"", p->dir);
	snprintf(path, sizeof(path), "%s/pvc", p->dir);
	if (mkdir(path, 0755) < 0)
		return pd_error_set(err, errno, "mkdir \"%s\"", path);
	return 0;
}

static int create(struct create_opts *o, struct pd_session *s, struct pd_error *err)
{
	struct pd_session_paths p;
	struct pd_idmap_plan ids;
	char name[PD_SESSION_NAME_MAX + 1], cwd[PATH_MAX];
	const char *image = NULL;
	cleanup_close int lock = -1;
	cleanup_close int ids_lock = -1;
	cleanup_strv char **args = NULL;
	struct stat st;

	if (!getcwd(cwd, sizeof(cwd)))
		return pd_error_set(err, errno, "the current directory");
	if (o->name)
		pd_strlcpy(name, o->name, sizeof(name));
	else
		pd_session_name_default(cwd, name, sizeof(name));
	if (o->args && pd_shsplit(o->args, &args, err) < 0) {
		pd_error_wrap(err, "Error parsing --args");
		err->status = PD_STATUS_USAGE;
		return -1;
	}
	if (o->yolo) {
		char **v = pd_xcalloc(1, sizeof(char *));

		pd_strv_push(&v, "--dangerously-skip-permissions");
		for (char **a = args; a && *a; a++)
			pd_strv_push(&v, *a);
		pd_strv_free(args);
		args = v;
	}
	if (choose_image(o, &image, err) < 0 || check_base_url(o->env, err) < 0)
		return -1;
	if (o->dry_run) {
		dry_run(o, name, image, args);
		return 1;
	}
	if (pd_session_paths(name, &p, err) < 0)
		return -1;
	lock = pd_session_lock(&p, err);
	if (lock < 0)
		return -1;
	if (lstat(p.dir, &st) == 0)
		return pd_error_set_msg(err, EEXIST, "Session '%s' already exists.", name);
	if (geteuid() == 0 ? pd_session_root_ids(&p.dirs, &ids, &ids_lock, err) < 0
			   : pd_idmap_decide(&ids, false, err) < 0)
		return -1;
	pd_strlcpy(s->name, name, sizeof(s->name));
	s->workspace = pd_xstrdup(cwd);
	s->image = pd_xstrdup(image);
	s->created = time(NULL);
	s->args = args ? pd_strv_dup(args) : pd_xcalloc(1, sizeof(char *));
	s->yolo = o->yolo;
	s->allowed_domains = o->allowed ? pd_strv_dup(o->allowed) : pd_xcalloc(1, sizeof(char *));
	s->resolve = o->resolve ? pd_strv_dup(o->resolve) : pd_xcalloc(1, sizeof(char *));
	s->env = o->env ? pd_strv_dup(o->env) : pd_xcalloc(1, sizeof(char *));
	s->memory = o->limits.memory;
	s->pids = o->pids_set ? o->limits.pids : 0;
	s->cpu_quota_us = o->limits.cpu_quota_us;
	s->cpu_period_us = o->limits.cpu_period_us;
	s->idmap = ids.mode;
	s->uid_start = ids.mode == PD_IDMAP_ROOT ? ids.uid[0].outside : 0;
	s->gid_start = ids.mode == PD_IDMAP_ROOT ? ids.gid[0].outside : 0;
	s->agent_root = ids.mode == PD_IDMAP_SINGLE;
	if (pin_image(s, &ids, err) < 0)
		return -1;
	if (make_dirs(&p, err) < 0 || pd_session_save(&p, s, err) < 0 ||
	    pd_session_spawn(&p, err) < 0) {
		struct pd_error ignore;

		(void)pd_layer_remove(p.dir, &ids, &ignore);
		return pd_error_wrap(err, "create session '%s'", name);
	}
	pd_session_event(&p, "create", s->image);
	if (s->agent_root)
		pd_note("no subordinate ids for this user: the agent runs as the sandbox's "
			"root (IS_SANDBOX=1), which is this user outside");
	return 0;
}

static int cmd_create(int argc, char **argv, struct pd_error *err)
{
	struct create_opts o = { 0 };
	struct pd_session s = { 0 };
	int r = parse(argc, argv, &o, err);

	if (r == 0)
		r = create(&o, &s, err);
	if (r == 0 && o.git)
		r = pd_session_git_setup(s.name, err);
	if (r == 0) {
		struct pd_error e2 = { 0 };
		struct pd_policy *pol = pd_policy_new((const char *const *)s.allowed_domains,
						      pd_strv_len(s.allowed_domains), &e2);
		char summary[512] = "";

		if (pol)
			(void)pd_policy_display(pol, summary, sizeof(summary));
		pd_policy_unref(pol);
		printf("Session '%s' created and running.\n", s.name);
		printf("  Network: %s\n", summary);
		if (s.yolo)
			printf("  Mode: YOLO (no permission prompts)\n");
		printf("To start working:\n  paude connect %s\n", s.name);
	}
	pd_session_release(&s);
	pd_strv_free(o.allowed);
	pd_strv_free(o.resolve);
	pd_strv_free(o.env);
	return r < 0 ? -1 : 0;
}

const struct pd_command pd_cmd_create = {
	.name = "create",
	.summary = "Create a persistent session and leave it running",
	.help = help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_create,
};
