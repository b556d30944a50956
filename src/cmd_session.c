/* SPDX-License-Identifier: MIT */
/*
 * cmd_session.c - paude start, stop, connect, delete, list, and the
 * hidden `supervise` a started session runs as.  State changes (start,
 * stop, delete) hold the session's lock; connect never does, so a second
 * terminal can pull while the first is attached.
 */
#include "cli.h"
#include "session.h"
#include "session_audit.h"
#include "session_client.h"
#include "session_exec.h"
#include "session_select.h"
#include "session_spec.h"
#include "supervisor.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Options shared by start, stop, connect: [-d] [--github-token T] [NAME]. */
struct sess_opts {
	const char *name;
	const char *token; /* --github-token, else $PAUDE_GITHUB_TOKEN */
	bool detach, confirm, json;
};

static int parse(int argc, char **argv, const char *cmd, const char *flags, struct sess_opts *o,
		 struct pd_error *err)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strchr(flags, 'd') && (!strcmp(a, "-d") || !strcmp(a, "--detach")))
			o->detach = true;
		else if (strchr(flags, 't') && !strcmp(a, "--github-token") && i + 1 < argc)
			o->token = argv[++i];
		else if (strchr(flags, 't') && pd_str_has_prefix(a, "--github-token="))
			o->token = a + strlen("--github-token=");
		else if (strchr(flags, 'c') && !strcmp(a, "--confirm"))
			o->confirm = true;
		else if (strchr(flags, 'j') && !strcmp(a, "--json"))
			o->json = true;
		else if (!strcmp(a, "--backend") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "local") || !strcmp(argv[i + 1], "podman")))
			i++;
		else if (a[0] == '-')
			return pd_usage_error(err, "%s: unknown option \"%s\"", cmd, a);
		else if (!o->name && strchr(flags, 'n'))
			o->name = a;
		else
			return pd_usage_error(err, "%s: unexpected argument \"%s\"", cmd, a);
	}
	if (strchr(flags, 't') && !o->token) {
		const char *t = getenv("PAUDE_GITHUB_TOKEN");

		o->token = t && *t ? t : NULL;
	}
	return 0;
}

/*
 * The GitHub token into the tmux session's environment (memory only): the
 * agent's new shells see it; paude writes it nowhere.
 */
static int give_token(const struct pd_session_paths *p, const char *token, struct pd_error *err)
{
	/* printf is the shell's own: the token is in no process's argv, where
	 * /proc would show it to everyone on the host */
	static const char script[] =
		"printf 'set-environment -t claude GH_TOKEN %s\\n' \"$GH_TOKEN\" | tmux source-file -";
	const char *argv[] = { "sh", "-c", script, NULL };
	cleanup_free char *kv = NULL;
	char *env[2] = { NULL, NULL };
	struct pd_exec_req q = { .argv = argv };
	int status = 0;

	if (!token)
		return 0;
	/* a token is letters, digits and '_' (it goes into a tmux command) */
	if (!token[0] || strspn(token,
				"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789_") != strlen(token))
		return pd_usage_error(err,
				      "--github-token: not a GitHub token (letters, digits, _)");
	kv = pd_xasprintf("GH_TOKEN=%s", token);
	env[0] = kv;
	q.env = env;
	if (pd_session_exec(p, &q, &status, err) < 0)
		return -1;
	if (status != 0)
		return pd_error_set_msg(err, EIO,
					"could not give the session the GitHub token "
					"(tmux set-environment: status %d)",
					status);
	return 0;
}

static int attach(const struct pd_session_paths *p, const struct pd_session *s, int *status,
		  struct pd_error *err);

/* ---- start ---- */

static int cmd_start(int argc, char **argv, struct pd_error *err)
{
	struct sess_opts o = { 0 };
	struct pd_session_paths p;
	struct pd_session s;
	char name[PD_SESSION_NAME_MAX + 1];
	int lock, status = 0, r;

	if (parse(argc, argv, "start", "dnt", &o, err) < 0 ||
	    pd_session_select(o.name, false, name, err) < 0 || pd_session_paths(name, &p, err) < 0)
		return -1;
	lock = pd_session_lock(&p, err);
	if (lock < 0)
		return -1;
	r = pd_session_load(&p, &s, err);
	if (r == 0 && pd_session_probe(&p, NULL, 0) != PD_SESSION_RUNNING) {
		r = pd_session_spawn(&p, err);
		if (r == 0) {
			pd_session_event(&p, "start", NULL);
			printf("Session '%s' started.\n", name);
		} else {
			pd_error_wrap(err, "start session '%s'", name);
		}
	} else if (r == 0 && o.detach) {
		printf("Session '%s' is already running.\n", name);
	}
	close(lock);
	if (r == 0)
		r = give_token(&p, o.token, err);
	if (r == 0 && !o.detach && isatty(STDIN_FILENO))
		r = attach(&p, &s, &status, err);
	pd_session_release(&s);
	return r < 0 ? -1 : status;
}

/* ---- stop ---- */

static int cmd_stop(int argc, char **argv, struct pd_error *err)
{
	struct sess_opts o = { 0 };
	struct pd_session_paths p;
	char name[PD_SESSION_NAME_MAX + 1];
	int lock, r;

	if (parse(argc, argv, "stop", "n", &o, err) < 0 ||
	    pd_session_select(o.name, true, name, err) < 0 || pd_session_paths(name, &p, err) < 0)
		return -1;
	lock = pd_session_lock(&p, err);
	if (lock < 0)
		return -1;
	{
		struct pd_session s;

		r = pd_session_load(&p, &s, err);
		if (r == 0)
			pd_session_release(&s);
	}
	if (r == 0)
		r = pd_session_stop(&p, err);
	if (r > 0)
		pd_session_event(&p, "stop", NULL);
	close(lock);
	if (r < 0)
		return -1;
	if (r == 0)
		printf("Session '%s' is not running.\n", name);
	else
		printf("Session '%s' stopped.\n", name);
	return 0;
}

/* ---- connect ---- */

static int attach(const struct pd_session_paths *p, const struct pd_session *s, int *status,
		  struct pd_error *err)
{
	const char *probe[] = { "test", "-d", "/pvc/workspace/.git", NULL };
	cleanup_free char *cmd = pd_session_agent_command(s, false);
	const char *tmux[] = { "tmux", "new-session",        "-A", "-s", "claude",
			       "-c",   PD_SESSION_WORKSPACE, cmd,  NULL };
	struct pd_exec_req q = { .argv = probe };
	cleanup_strv char **argv = NULL;

	if (pd_session_exec(p, &q, status, err) < 0)
		return -1;
	if (*status != 0)
		printf("Workspace is empty. To sync code:\n  paude remote add %s\n  git push "
		       "paude-%s main\n",
		       s->name, s->name);
	for (const char **a = tmux; *a; a++)
		pd_strv_push(&argv, *a);
	q = (struct pd_exec_req){ .argv = (const char *const *)argv,
				  .tty = true,
				  .interactive = true };
	pd_session_event(p, "connect", NULL);
	return pd_session_exec(p, &q, status, err);
}

static int cmd_connect(int argc, char **argv, struct pd_error *err)
{
	struct sess_opts o = { 0 };
	struct pd_session_paths p;
	struct pd_session s;
	char name[PD_SESSION_NAME_MAX + 1];
	int status = 0, r;

	if (parse(argc, argv, "connect", "nt", &o, err) < 0 ||
	    pd_session_select(o.name, true, name, err) < 0 || pd_session_paths(name, &p, err) < 0 ||
	    pd_session_load(&p, &s, err) < 0)
		return -1;
	if (pd_session_probe(&p, NULL, 0) != PD_SESSION_RUNNING)
		r = pd_session_not_running(name, err);
	else
		r = give_token(&p, o.token, err) < 0 ? -1 : attach(&p, &s, &status, err);
	pd_session_release(&s);
	return r < 0 ? -1 : status;
}

/* ---- delete ---- */

/* git remote remove paude-NAME in the current directory's repository, if there. */
static void remove_remote(const char *name)
{
	char remote[PD_SESSION_NAME_MAX + 8];
	pid_t pid;
	int st;

	snprintf(remote, sizeof(remote), "paude-%s", name);
	pid = fork();
	if (pid == 0) {
		const char *argv[] = { "git", "remote", "remove", remote, NULL };
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp("git", (char *const *)argv);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
}

static int cmd_delete(int argc, char **argv, struct pd_error *err)
{
	struct sess_opts o = { 0 };
	struct pd_session_paths p;
	struct pd_session s;
	struct pd_idmap_plan ids;
	int lock, r;

	if (parse(argc, argv, "delete", "nc", &o, err) < 0)
		return -1;
	if (!o.name)
		return pd_usage_error(err, "delete: NAME is required");
	if (!o.confirm) {
		printf("Deleting session '%s' will permanently remove all data.\n"
		       "Use --confirm to proceed.\n",
		       o.name);
		return 1;
	}
	if (pd_session_paths(o.name, &p, err) < 0)
		return -1;
	lock = pd_session_lock(&p, err);
	if (lock < 0)
		return -1;
	r = pd_session_load(&p, &s, err);
	if (r == 0) {
		r = pd_session_stop(&p, err) < 0 || pd_session_idmap(&s, &ids, err) < 0 ||
				    pd_layer_remove(p.dir, &ids, err) < 0
			    ? -1
			    : 0;
		pd_session_release(&s);
	}
	close(lock);
	if (r < 0)
		return pd_error_wrap(err, "delete session '%s'", o.name);
	remove_remote(o.name);
	printf("Session '%s' deleted.\n", o.name);
	return 0;
}

/* ---- list ---- */

static void list_row(const struct pd_session *s, enum pd_session_state st, bool json, cJSON *arr,
		     int width)
{
	char created[32], ws[48];
	struct tm tm;
	size_t n = strlen(s->workspace);

	localtime_r(&s->created, &tm);
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M", &tm);
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", s->name);
		cJSON_AddStringToObject(o, "backend", "local");
		cJSON_AddStringToObject(o, "status", pd_session_state_name(st));
		cJSON_AddStringToObject(o, "workspace", s->workspace);
		cJSON_AddStringToObject(o, "image", s->image);
		cJSON_AddNumberToObject(o, "created", (double)s->created);
		cJSON_AddItemToArray(arr, o);
		return;
	}
	if (n > 40)
		snprintf(ws, sizeof(ws), "...%s", s->workspace + n - 37);
	else
		snprintf(ws, sizeof(ws), "%s", s->workspace);
	printf("%-*s %-12s %-12s %-40s %s\n", width, s->name, "local", pd_session_state_name(st),
	       ws, created);
}

struct list_ctx {
	bool json;
	cJSON *arr;
	int width;
};

static int list_one(const struct pd_session_paths *p, const struct pd_session *s, void *data)
{
	struct list_ctx *lc = data;

	list_row(s, pd_session_probe(p, NULL, 0), lc->json, lc->arr, lc->width);
	return 0;
}

static int cmd_list(int argc, char **argv, struct pd_error *err)
{
	struct sess_opts o = { 0 };
	struct pd_session_dirs d;
	cleanup_strv char **names = NULL;
	cJSON *arr = NULL;
	int width = 25; /* the predecessor's, wider for longer names */

	if (parse(argc, argv, "list", "j", &o, err) < 0 || pd_session_dirs_get(&d, err) < 0 ||
	    pd_session_names(&d, &names, err) < 0)
		return -1;
	for (char **nm = names; *nm; nm++)
		if ((int)strlen(*nm) > width)
			width = (int)strlen(*nm);
	if (o.json) {
		arr = cJSON_CreateArray();
	} else if (!names[0]) {
		printf("No sessions found.\n\nQuick start: paude create && paude start\n"
		       "  1. cd into your project (a git repository)\n"
		       "  2. paude create            (makes a session and starts it)\n"
		       "  3. paude remote add --push (sends your code in)\n"
		       "  4. paude connect           (talk to Claude)\n"
		       "  5. git pull paude-NAME BRANCH (brings its commits back)\n");
		return 0;
	} else {
		printf("%-*s %-12s %-12s %-40s %s\n", width, "NAME", "BACKEND", "STATUS",
		       "WORKSPACE", "CREATED");
		printf("%.*s\n", 83 + width,
		       "------------------------------------------------------------------------"
		       "------------------------------------------------------------");
	}
	{
		struct list_ctx lc = { .json = o.json, .arr = arr, .width = width };

		if (pd_session_each(&d, list_one, &lc, err) < 0) {
			cJSON_Delete(arr);
			return -1;
		}
	}
	if (arr) {
		char *text = cJSON_Print(arr);

		puts(text ? text : "[]");
		free(text);
		cJSON_Delete(arr);
	}
	return 0;
}

static int cmd_supervise(int argc, char **argv, struct pd_error *err)
{
	if (argc != 2)
		return pd_usage_error(err, "supervise: NAME");
	return pd_supervise(argv[1], err);
}

static const char start_help[] =
	"Usage: paude start [-d] [--github-token T] [NAME]\n\nStart a stopped session and attach "
	"to its Claude (tmux; Ctrl-b d detaches).\n  -d, --detach          do not attach\n"
	"      --github-token T  GH_TOKEN for the agent's shells, in memory only (else\n"
	"                        $PAUDE_GITHUB_TOKEN; the host's GH_TOKEN never goes in)\n";
static const char stop_help[] =
	"Usage: paude stop [NAME]\n\nStop a running session; everything it has is kept.\n";
static const char connect_help[] =
	"Usage: paude connect [--github-token T] [NAME]\n\nAttach to a running session's Claude (tmux session "
	"\"claude\"; Ctrl-b d detaches,\nreconnecting resumes it).\n";
static const char delete_help[] =
	"Usage: paude delete NAME --confirm\n\nStop and remove a session and everything it has, "
	"and the git remote paude-NAME.\n";
static const char list_help[] =
	"Usage: paude list [--json]\n\nList sessions: NAME, BACKEND, STATUS (running, "
	"stopped, error), WORKSPACE, CREATED.\n";

const struct pd_command pd_cmd_start = {
	.name = "start",
	.summary = "Start a session and connect to it",
	.help = start_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_start,
};
const struct pd_command pd_cmd_stop = {
	.name = "stop",
	.summary = "Stop a session (preserves data)",
	.help = stop_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_stop,
};
const struct pd_command pd_cmd_connect = {
	.name = "connect",
	.summary = "Attach to a running session",
	.help = connect_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_connect,
};
const struct pd_command pd_cmd_delete = {
	.name = "delete",
	.summary = "Delete a session and all its data",
	.help = delete_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_delete,
};
const struct pd_command pd_cmd_list = {
	.name = "list",
	.summary = "List all sessions",
	.help = list_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_list,
};
const struct pd_command pd_cmd_supervise = {
	.name = "supervise",
	.summary = NULL,
	.help = "Internal: a running session's supervisor.\n",
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_supervise,
};
