/* SPDX-License-Identifier: MIT */
/*
 * cmd_domains.c - paude allowed-domains NAME [--add|--remove|--replace D...]
 * and paude blocked-domains NAME.
 *
 * A change is checked (the entries must make a policy), sent to a running
 * session's supervisor, which swaps its proxy's policy in place (new
 * connections and DNS answers follow it at once, no restart), and only then
 * written to the session's config; a stopped session just gets the config.
 * blocked-domains reads the session's audit log and, for each host denied,
 * prints how often and the command that would allow it.
 */
#include "cli.h"
#include "control.h"
#include "session.h"
#include "session_audit.h"
#include "session_client.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"
#include "proxy/name.h"
#include "proxy/policy.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUDIT_READ_MAX (64u << 20)

static const char allowed_help[] =
	"Usage: paude allowed-domains NAME [--add D]... [--remove D]... [--replace D]...\n"
	"\n"
	"Show or change a session's allowlist; a running session's proxy follows at\n"
	"once, without a restart.  D: host, .domain, HOST:PORT, IP, CIDR, ~regex or\n"
	"a group (default, claude, vertexai, python, github, nodejs, golang, rust).\n";

static const char blocked_help[] =
	"Usage: paude blocked-domains NAME [--raw]\n"
	"\n"
	"The hosts a session's proxy denied, most often first, with the command\n"
	"that would allow each (--raw: the audit log's denial lines).\n";

enum change { NONE, ADD, REMOVE, REPLACE };

static bool has(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

static char **changed(char *const *cur, enum change how, char *const *vals, struct pd_error *err)
{
	char **v = pd_xcalloc(1, sizeof(char *));

	if (how == REPLACE) {
		for (char *const *a = vals; *a; a++)
			pd_strv_push(&v, *a);
		return v;
	}
	if (!cur || !cur[0])
		pd_strv_push(&v, "default"); /* no entries: the default */
	for (char *const *a = cur; a && *a; a++)
		pd_strv_push(&v, *a);
	for (char *const *a = vals; *a; a++) {
		if (how == ADD && !has(v, *a)) {
			pd_strv_push(&v, *a);
		} else if (how == REMOVE) {
			size_t k = 0, n = pd_strv_len(v);
			bool found = false;

			for (size_t i = 0; i < n; i++) {
				if (!strcmp(v[i], *a)) {
					free(v[i]);
					found = true;
					continue;
				}
				v[k++] = v[i];
			}
			v[k] = NULL;
			if (!found) {
				pd_strv_free(v);
				pd_error_set_msg(err, ENOENT, "'%s' is not in the allowlist", *a);
				return NULL;
			}
		}
	}
	return v;
}

static void print_list(char *const *v)
{
	struct pd_error e2 = { 0 };
	struct pd_policy *pol = pd_policy_new((const char *const *)v, pd_strv_len(v), &e2);
	char summary[512] = "";

	if (pol)
		(void)pd_policy_display(pol, summary, sizeof(summary));
	pd_policy_unref(pol);
	printf("Network: %s\n", summary);
	if (!v || !v[0])
		printf("default\n");
	for (; v && *v; v++)
		printf("%s\n", *v);
}

/* Tell a running supervisor; 0 also when the session is not running. */
static int tell_supervisor(const struct pd_session_paths *p, char *const *v, struct pd_error *err)
{
	cleanup_close int fd = -1;
	cJSON *req, *arr, *ans;
	int fds[1];
	size_t n = 0;

	if (pd_session_probe(p, NULL, 0) != PD_SESSION_RUNNING)
		return 0;
	fd = pd_session_control(p, err);
	if (fd < 0)
		return -1;
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", "policy");
	arr = cJSON_AddArrayToObject(req, "allowed_domains");
	for (; *v; v++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(*v));
	ans = pd_ctl_call(fd, req, fds, 0, &n, err);
	cJSON_Delete(req);
	if (!ans)
		return -1;
	cJSON_Delete(ans);
	return 0;
}

static int cmd_allowed(int argc, char **argv, struct pd_error *err)
{
	const char *name = NULL;
	enum change how = NONE;
	cleanup_strv char **vals = NULL;
	cleanup_strv char **v = NULL;
	struct pd_session_paths p;
	struct pd_session s;
	struct pd_policy *pol;
	int lock, r = -1;

	for (int i = 1; i < argc; i++) {
		enum change c = !strcmp(argv[i], "--add")       ? ADD
				: !strcmp(argv[i], "--remove")  ? REMOVE
				: !strcmp(argv[i], "--replace") ? REPLACE
								: NONE;

		if (c != NONE) {
			if (how != NONE && how != c)
				return pd_usage_error(err,
						      "Only one of --add, --remove, --replace can "
						      "be specified.");
			if (i + 1 >= argc)
				return pd_usage_error(err, "%s needs a domain", argv[i]);
			how = c;
			if (!strcmp(argv[++i], "all"))
				return pd_usage_error(err,
						      "'all' cannot be used with --add, --remove, "
						      "or --replace.");
			pd_strv_push(&vals, argv[i]);
		} else if (argv[i][0] == '-') {
			return pd_usage_error(err, "allowed-domains: unknown option \"%s\"",
					      argv[i]);
		} else if (!name) {
			name = argv[i];
		} else {
			return pd_usage_error(err, "allowed-domains: unexpected \"%s\"", argv[i]);
		}
	}
	if (!name)
		return pd_usage_error(err, "allowed-domains: NAME is required");
	if (pd_session_paths(name, &p, err) < 0)
		return -1;
	if (how == NONE) {
		if (pd_session_load(&p, &s, err) < 0)
			return -1;
		print_list(s.allowed_domains);
		pd_session_release(&s);
		return 0;
	}
	lock = pd_session_lock(&p, err);
	if (lock < 0)
		return -1;
	if (pd_session_load(&p, &s, err) < 0)
		goto out_lock;
	v = changed(s.allowed_domains, how, vals, err);
	if (!v)
		goto out;
	if (!v[0]) {
		pd_error_set_msg(err, EINVAL,
				 "the allowlist would be empty: keep at least one entry");
		goto out;
	}
	pol = pd_policy_new((const char *const *)v, pd_strv_len(v), err);
	if (!pol) {
		err->status = PD_STATUS_USAGE;
		goto out;
	}
	pd_policy_unref(pol);
	if (tell_supervisor(&p, v, err) < 0)
		goto out;
	pd_strv_free(s.allowed_domains);
	s.allowed_domains = pd_strv_dup(v);
	if (pd_session_save(&p, &s, err) < 0)
		goto out;
	{
		char detail[1024] = "";

		for (char **a = v; *a; a++) {
			size_t l = strlen(detail);

			snprintf(detail + l, sizeof(detail) - l, "%s%s", l ? " " : "", *a);
		}
		pd_session_event(&p, "policy", detail);
	}
	print_list(v);
	r = 0;
out:
	pd_session_release(&s);
out_lock:
	close(lock);
	return r;
}

/* ---- blocked-domains ---- */

struct tally {
	char *host;
	unsigned long n;
};

static int by_count(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->host, y->host);
}

/*
 * One denied host, with the command that allows it: only for a real host
 * name, in its normalized form.  The sandbox chooses what it asks for, and
 * a line to copy into a shell must not carry its metacharacters: anything
 * else is shown with every byte outside [a-z0-9.-_] as '?', and no command.
 */
static void print_blocked(const char *session, const char *host, unsigned long n)
{
	char norm[PD_NAME_MAX + 1], shown[64];
	const char *reason = NULL;
	size_t k = 0;

	if (pd_name_normalize(host, strlen(host), norm, sizeof(norm), &reason) == 0) {
		printf("%-40s %6lu   paude allowed-domains %s --add %s\n", norm, n, session, norm);
		return;
	}
	for (const char *c = host; *c && k < sizeof(shown) - 4; c++)
		shown[k++] = strchr("abcdefghijklmnopqrstuvwxyz0123456789.-_", *c) ? *c : '?';
	if (host[0] && k == sizeof(shown) - 4)
		memcpy(shown + k, "...", 3), k += 3;
	shown[k] = '\0';
	printf("%-40s %6lu   (not a host name: %s)\n", shown, n, reason ? reason : "refused");
}

static int cmd_blocked(int argc, char **argv, struct pd_error *err)
{
	const char *name = NULL;
	bool raw = false;
	cleanup_free char *text = NULL;
	struct tally *t = NULL;
	size_t nt = 0, len = 0;
	char path[4200];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--raw"))
			raw = true;
		else if (argv[i][0] == '-')
			return pd_usage_error(err, "blocked-domains: unknown option \"%s\"",
					      argv[i]);
		else if (!name)
			name = argv[i];
		else
			return pd_usage_error(err, "blocked-domains: unexpected \"%s\"", argv[i]);
	}
	if (!name)
		return pd_usage_error(err, "blocked-domains: NAME is required");
	if (pd_session_audit_of(name, path, sizeof(path), err) < 0)
		return -1;
	if (pd_read_file_at(AT_FDCWD, path, 0, AUDIT_READ_MAX, &text, &len, err) < 0 &&
	    err->code != ENOENT)
		return -1;
	for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		cJSON *o = cJSON_Parse(line);
		const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(o, "verdict");
		const cJSON *host = cJSON_GetObjectItemCaseSensitive(o, "host");
		size_t i;

		if (cJSON_IsString(verdict) && !strcmp(verdict->valuestring, "deny") &&
		    cJSON_IsString(host)) {
			if (raw)
				puts(line);
			for (i = 0; i < nt && strcmp(t[i].host, host->valuestring) != 0; i++)
				;
			if (i == nt) {
				t = pd_xreallocarray(t, nt + 1, sizeof(*t));
				t[nt++] = (struct tally){ pd_xstrdup(host->valuestring), 0 };
			}
			t[i].n++;
		}
		cJSON_Delete(o);
	}
	if (!raw) {
		if (!nt)
			printf("No blocked requests for session '%s'.\n", name);
		else
			qsort(t, nt, sizeof(*t), by_count);
		for (size_t i = 0; i < nt; i++)
			print_blocked(name, t[i].host, t[i].n);
	}
	for (size_t i = 0; i < nt; i++)
		free(t[i].host);
	free(t);
	return 0;
}

const struct pd_command pd_cmd_allowed_domains = {
	.name = "allowed-domains",
	.summary = "Show or change a session's allowlist (live)",
	.help = allowed_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_allowed,
};

const struct pd_command pd_cmd_blocked_domains = {
	.name = "blocked-domains",
	.summary = "What a session's proxy denied, and how to allow it",
	.help = blocked_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_blocked,
};
