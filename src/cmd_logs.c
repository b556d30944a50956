/* SPDX-License-Identifier: MIT */
/*
 * cmd_logs.c - paude logs NAME [-f] [--json] and paude status [NAME].
 *
 * logs prints the session's audit log: session events and the proxy's
 * decisions, one line each (--json: the lines as they are).  -f follows
 * the file as tail -F does: it waits for more, and starts over on the new
 * file when the log was rotated.  status tells a session's state and what it
 * runs, or lists the running sessions.
 */
#include "cli.h"
#include "control.h"
#include "session.h"
#include "session_audit.h"
#include "session_client.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 8192

static const char logs_help[] =
	"Usage: paude logs NAME [-f] [--json]\n"
	"\n"
	"A session's audit log: its events (create, start, stop, connect, exec,\n"
	"remote, policy) and every decision of its proxy and DNS.\n"
	"  -f, --follow   wait for more\n"
	"      --json     the lines as they are (JSON)\n";

static const char status_help[] =
	"Usage: paude status [NAME]\n"
	"\n"
	"A session's state, image, workspace and allowlist; without NAME, the\n"
	"running sessions.\n";

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void print_line(const char *line, bool json)
{
	cJSON *o;
	const char *kind, *method, *host, *rule, *reason, *verdict;
	const cJSON *port;

	if (json) {
		puts(line);
		return;
	}
	o = cJSON_Parse(line);
	if (!o) {
		puts(line);
		return;
	}
	kind = str(o, "kind");
	method = str(o, "method");
	host = str(o, "host");
	rule = str(o, "rule");
	reason = str(o, "reason");
	verdict = str(o, "verdict");
	port = cJSON_GetObjectItemCaseSensitive(o, "port");
	if (kind && !strcmp(kind, "session"))
		printf("%s  %-8s %s%s%s\n", str(o, "time") ? str(o, "time") : "?",
		       method ? method : "?", "", reason ? reason : "", "");
	else
		printf("%s  %-8s %-5s %s %s:%d  %s\n", str(o, "time") ? str(o, "time") : "?",
		       kind ? kind : "?", verdict ? verdict : "?", method ? method : "?",
		       host ? host : "?", cJSON_IsNumber(port) ? (int)port->valuedouble : 0,
		       verdict && !strcmp(verdict, "deny") ? (reason ? reason : "")
							   : (rule ? rule : ""));
	cJSON_Delete(o);
}

/* Print the complete lines of @fd from its current offset; keep a partial one in @buf. */
static void drain(int fd, char *buf, size_t *len, bool json)
{
	for (;;) {
		ssize_t n = read(fd, buf + *len, LINE_MAX_LEN - 1 - *len);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
		buf[*len] = '\0';
		while ((nl = memchr(buf, '\n', *len))) {
			*nl = '\0';
			print_line(buf, json);
			*len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, *len);
		}
		if (*len == LINE_MAX_LEN - 1) { /* a line too long: as it is */
			buf[*len] = '\0';
			print_line(buf, true);
			*len = 0;
		}
	}
	fflush(stdout);
}

static int cmd_logs(int argc, char **argv, struct pd_error *err)
{
	const char *name = NULL;
	bool follow = false, json = false;
	char path[4200], buf[LINE_MAX_LEN];
	size_t len = 0;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
			follow = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (argv[i][0] == '-')
			return pd_usage_error(err, "logs: unknown option \"%s\"", argv[i]);
		else if (!name)
			name = argv[i];
		else
			return pd_usage_error(err, "logs: unexpected \"%s\"", argv[i]);
	}
	if (!name)
		return pd_usage_error(err, "logs: NAME is required");
	if (pd_session_audit_of(name, path, sizeof(path), err) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && (errno != ENOENT || !follow))
		return errno == ENOENT ? 0 : pd_error_set(err, errno, "\"%s\"", path);
	if (fd >= 0)
		drain(fd, buf, &len, json);
	while (follow) {
		struct stat a, b;

		(void)poll(NULL, 0, 250);
		if (fd >= 0)
			drain(fd, buf, &len, json);
		/* rotated (or made): the new file from its start */
		if (stat(path, &a) == 0 &&
		    (fd < 0 ||
		     (fstat(fd, &b) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev)))) {
			if (fd >= 0)
				close(fd);
			fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			len = 0;
		}
		if (ferror(stdout))
			break;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

static void status_one(const struct pd_session_paths *p, const struct pd_session *s)
{
	char why[512], created[32];
	enum pd_session_state st = pd_session_probe(p, why, sizeof(why));
	struct tm tm;

	localtime_r(&s->created, &tm);
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S", &tm);
	printf("Session:    %s\n", s->name);
	printf("Status:     %s%s%s\n", pd_session_state_name(st),
	       st == PD_SESSION_ERROR ? " (" : "", st == PD_SESSION_ERROR ? why : "");
	if (st == PD_SESSION_ERROR)
		printf(")\n");
	printf("Backend:    local\n");
	printf("Image:      %s%s%s\n", s->image, s->image_id ? " @ " : "",
	       s->image_id ? s->image_id : "");
	printf("Workspace:  %s\n", s->workspace);
	printf("Created:    %s\n", created);
	printf("Network:   ");
	if (!s->allowed_domains || !s->allowed_domains[0])
		printf(" default");
	for (char **a = s->allowed_domains; a && *a; a++)
		printf(" %s", *a);
	printf("\nAgent:      %s\n",
	       s->agent_root ? "root (no subordinate ids; IS_SANDBOX=1)" : "paude (uid 1000)");
}

/* One running session's row of `status`; the header before the first. */
static int running_row(const struct pd_session_paths *p, const struct pd_session *s, void *data)
{
	bool *any = data;

	if (pd_session_probe(p, NULL, 0) != PD_SESSION_RUNNING)
		return 0;
	if (!*any)
		printf("%-25s %-12s %-40s %s\n", "SESSION", "BACKEND", "WORKSPACE", "IMAGE");
	*any = true;
	printf("%-25s %-12s %-40s %s\n", s->name, "local", s->workspace, s->image);
	return 0;
}

static int cmd_status(int argc, char **argv, struct pd_error *err)
{
	struct pd_session_dirs d;
	bool any = false;

	if (argc > 2)
		return pd_usage_error(err, "status: one NAME at most");
	if (argc == 2) {
		struct pd_session_paths p;
		struct pd_session s;

		if (argv[1][0] == '-')
			return pd_usage_error(err, "status: unknown option \"%s\"", argv[1]);
		if (pd_session_paths(argv[1], &p, err) < 0 || pd_session_load(&p, &s, err) < 0)
			return -1;
		status_one(&p, &s);
		pd_session_release(&s);
		return 0;
	}
	if (pd_session_dirs_get(&d, err) < 0 || pd_session_each(&d, running_row, &any, err) < 0)
		return -1;
	if (!any)
		printf("No running sessions.\n");
	return 0;
}

const struct pd_command pd_cmd_logs = {
	.name = "logs",
	.summary = "A session's audit log (events and network decisions)",
	.help = logs_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_logs,
};

const struct pd_command pd_cmd_status = {
	.name = "status",
	.summary = "A session's state, or the running sessions",
	.help = status_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_status,
};
