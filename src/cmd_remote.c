/* SPDX-License-Identifier: MIT */
/*
 * cmd_remote.c - paude remote add|list|remove [--push] [NAME]: the git
 * remote paude-NAME of the current repository, whose URL is
 *   ext::paude exec -i NAME -- %S /pvc/workspace
 * so git's transport (git-upload-pack, git-receive-pack) runs inside the
 * sandbox, and the host's git never operates on the agent-written
 * repository.  protocol.ext.allow is enabled for this repository only.
 * `add` also makes the sandbox's repository (on the current branch, with
 * receive.denyCurrentBranch updateInstead, so a push updates its work tree).
 */
#include "cli.h"
#include "session.h"
#include "session_audit.h"
#include "session_client.h"
#include "session_exec.h"
#include "session_git.h"
#include "session_select.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char help[] =
	"Usage: paude remote add|list|remove [--push] [NAME]\n"
	"\n"
	"  add      add the git remote paude-NAME to the current repository (its\n"
	"           transport runs inside the session); --push pushes the current\n"
	"           branch\n"
	"  list     the paude-* remotes\n"
	"  remove   remove paude-NAME\n";

/* Run git with @args; with @out, its stdout (trimmed) goes there. Return: its status. */
static int git(const char *const args[], char *out, size_t cap)
{
	int pfd[2] = { -1, -1 }, st = 0;
	pid_t pid;

	if (out && pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out) {
			int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

			dup2(pfd[1], 1);
			if (null >= 0)
				dup2(null, 2);
		}
		execvp("git", (char *const *)args);
		_exit(127);
	}
	if (out) {
		size_t len = 0;
		ssize_t r;

		close(pfd[1]);
		while (len + 1 < cap && (r = read(pfd[0], out + len, cap - 1 - len)) > 0)
			len += (size_t)r;
		out[len] = '\0';
		while (len && (out[len - 1] == '\n' || out[len - 1] == '\r'))
			out[--len] = '\0';
		close(pfd[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The command git runs for the transport: "paude" when that is this binary on PATH. */
static void paude_command(char *out, size_t cap)
{
	char self[PATH_MAX], which[PATH_MAX];
	const char *path = getenv("PATH");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t k = 0;

	snprintf(out, cap, "paude");
	if (n <= 0)
		return;
	self[n] = '\0';
	while (path && *path) {
		size_t l = strcspn(path, ":");
		struct stat a, b;

		snprintf(which, sizeof(which), "%.*s/paude", (int)l, path);
		if (stat(which, &a) == 0 && stat(self, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return;
		if (stat(which, &a) == 0)
			break; /* another paude comes first */
		path += l + (path[l] == ':');
	}
	/* ext:: splits at spaces; "% " is a space, "%%" a percent */
	for (const char *c = self; *c && k + 3 < cap; c++) {
		if (*c == ' ' || *c == '%')
			out[k++] = '%';
		out[k++] = *c;
	}
	out[k] = '\0';
}

static int in_repo(struct pd_error *err)
{
	const char *args[] = { "git", "rev-parse", "--git-dir", NULL };
	char out[PATH_MAX];

	if (git(args, out, sizeof(out)) != 0)
		return pd_error_set_msg(err, ENOENT,
					"Not a git repository: run paude remote in your project");
	return 0;
}

static void current_branch(char *out, size_t cap)
{
	const char *args[] = { "git", "symbolic-ref", "--short", "-q", "HEAD", NULL };

	if (git(args, out, cap) != 0 || !out[0])
		snprintf(out, cap, "main");
}

int pd_session_remote_add(const char *name, bool push, struct pd_error *err)
{
	struct pd_session_paths p;
	char branch[256], cmd[PATH_MAX + 8], url[PATH_MAX + 128], remote[64], allow[64];
	const char *get_allow[] = { "git", "config", "--local", "protocol.ext.allow", NULL };
	/* "user": the ext:: URLs the user names (git pull paude-NAME) run, those
	 * git would follow from repository content (a submodule) do not */
	const char *set_allow[] = { "git", "config", "--local", "protocol.ext.allow", "user", NULL };
	const char *add[] = { "git", "remote", "add", remote, url, NULL };
	const char *set[] = { "git", "remote", "set-url", remote, url, NULL };
	const char *pushv[] = { "git", "push", "-q", remote, branch, NULL };
	char tagopt[96];
	const char *notags[] = { "git", "config", "--local", tagopt, "--no-tags", NULL };
	static const char script[] =
		"cd /pvc/workspace && { [ -d .git ] || git init -q -b \"$1\"; } && "
		"git config receive.denyCurrentBranch updateInstead";
	const char *init[] = { "sh", "-c", script, "sh", branch, NULL };
	struct pd_exec_req q = { .argv = init };
	cleanup_close int lock = -1;
	int status = 0;

	if (in_repo(err) < 0 || pd_session_paths(name, &p, err) < 0)
		return -1;
	/* remote setup changes the session: serialized with start, stop, delete */
	lock = pd_session_lock(&p, err);
	if (lock < 0)
		return -1;
	if (pd_session_probe(&p, NULL, 0) != PD_SESSION_RUNNING)
		return pd_session_not_running(name, err);
	if (git(get_allow, allow, sizeof(allow)) != 0 ||
	    (strcmp(allow, "always") != 0 && strcmp(allow, "user") != 0)) {
		if (git(set_allow, NULL, 0) != 0)
			return pd_error_set_msg(err, EIO, "git config protocol.ext.allow failed");
	}
	current_branch(branch, sizeof(branch));
	if (pd_session_exec(&p, &q, &status, err) < 0)
		return -1;
	if (status != 0)
		return pd_error_set_msg(
			err, EIO, "could not make the session's repository (status %d)", status);
	paude_command(cmd, sizeof(cmd));
	snprintf(remote, sizeof(remote), "paude-%s", name);
	snprintf(url, sizeof(url), "ext::%s exec -i %s -- %%S %s", cmd, name, PD_SESSION_WORKSPACE);
	if (git(add, NULL, 0) != 0 && git(set, NULL, 0) != 0)
		return pd_error_set_msg(err, EIO, "git remote add %s failed", remote);
	/* the agent's tags stay in the sandbox unless asked for */
	snprintf(tagopt, sizeof(tagopt), "remote.%s.tagOpt", remote);
	if (git(notags, NULL, 0) != 0)
		return pd_error_set_msg(err, EIO, "git config %s failed", tagopt);
	pd_session_event(&p, "remote", url);
	printf("Added git remote '%s'.\n", remote);
	if (push) {
		if (git(pushv, NULL, 0) != 0)
			return pd_error_set_msg(err, EIO, "git push %s %s failed", remote, branch);
		pd_session_event(&p, "push", branch);
		printf("Pushed %s to %s.\n", branch, remote);
	} else {
		printf("To push: git push %s %s\n", remote, branch);
	}
	printf("To pull the agent's commits: git pull %s %s\n", remote, branch);
	return 0;
}

/* An SSH remote URL as https (git@host:path, ssh://[user@]host[:port]/path); else a copy. */
char *pd_git_https_url(const char *url)
{
	const char *at, *colon, *slash;

	if (pd_str_has_prefix(url, "ssh://")) {
		const char *h = url + 6;

		at = strchr(h, '@');
		slash = strchr(h, '/');
		if (at && slash && at < slash)
			h = at + 1;
		if (!slash)
			return pd_xstrdup(url);
		colon = memchr(h, ':', (size_t)(slash - h));
		return pd_xasprintf("https://%.*s%s", (int)((colon ? colon : slash) - h), h, slash);
	}
	at = strchr(url, '@');
	colon = strchr(url, ':');
	if (!strstr(url, "://") && at && colon && at < colon)
		return pd_xasprintf("https://%.*s/%s", (int)(colon - at - 1), at + 1, colon + 1);
	/* http(s)://user:token@host/...: the credentials stay on the host */
	if (strstr(url, "://")) {
		const char *h = strstr(url, "://") + 3;
		const char *end = h + strcspn(h, "/");
		const char *a = memchr(h, '@', (size_t)(end - h));

		if (a)
			return pd_xasprintf("%.*s%s", (int)(h - url), url, a + 1);
	}
	return pd_xstrdup(url);
}

int pd_session_git_setup(const char *name, struct pd_error *err)
{
	struct pd_session_paths p;
	char remote[64], origin[4096];
	const char *get_origin[] = { "git", "remote", "get-url", "origin", NULL };
	const char *tags[] = { "git", "push", "-q", remote, "--tags", NULL };
	static const char script[] =
		"git remote add origin \"$1\" 2>/dev/null || "
		"git remote set-url origin \"$1\"";
	const char *set_origin[] = { "sh", "-c", script, "sh", NULL, NULL };
	cleanup_free char *https = NULL;
	struct pd_error ignore;
	int status = 0;

	if (in_repo(&ignore) < 0) {
		fprintf(stderr, "paude: --git: not a git repository: no remote set up\n");
		return 0;
	}
	if (pd_session_remote_add(name, true, err) < 0 || pd_session_paths(name, &p, err) < 0)
		return -1;
	snprintf(remote, sizeof(remote), "paude-%s", name);
	if (git(tags, NULL, 0) != 0)
		fprintf(stderr, "paude: --git: pushing the tags failed\n");
	if (git(get_origin, origin, sizeof(origin)) != 0 || !origin[0])
		return 0;
	https = pd_git_https_url(origin);
	set_origin[4] = https;
	{
		struct pd_exec_req q = { .argv = set_origin };

		if (pd_session_exec(&p, &q, &status, err) < 0)
			return -1;
	}
	if (status != 0)
		fprintf(stderr, "paude: --git: setting origin inside failed (status %d)\n", status);
	else
		printf("Set origin inside the session to %s\n", https);
	return 0;
}

static int remote_list(void)
{
	const char *args[] = { "git", "remote", "-v", NULL };
	char out[65536];
	bool any = false;

	if (git(args, out, sizeof(out)) != 0)
		return 1;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char nm[256], url[4096];

		if (sscanf(line, "%255s %4095s", nm, url) != 2 ||
		    !pd_str_has_prefix(nm, "paude-") || !strstr(line, "(fetch)"))
			continue;
		if (!any)
			printf("%-25s %s\n", "REMOTE", "URL");
		any = true;
		printf("%-25s %.57s%s\n", nm, url, strlen(url) > 60 ? "..." : "");
	}
	if (!any)
		printf("No paude git remotes found.\n");
	return 0;
}

static int cmd_remote(int argc, char **argv, struct pd_error *err)
{
	const char *action = NULL, *name = NULL;
	char sel[PD_SESSION_NAME_MAX + 1], remote[64];
	bool push = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--push"))
			push = true;
		else if (argv[i][0] == '-')
			return pd_usage_error(err, "remote: unknown option \"%s\"", argv[i]);
		else if (!action)
			action = argv[i];
		else if (!name)
			name = argv[i];
		else
			return pd_usage_error(err, "remote: unexpected argument \"%s\"", argv[i]);
	}
	if (!action)
		return pd_usage_error(err, "remote: an action is required (add, list, remove)");
	if (!strcmp(action, "list"))
		return in_repo(err) < 0 ? -1 : remote_list();
	if (strcmp(action, "add") != 0 && strcmp(action, "remove") != 0)
		return pd_usage_error(err, "Unknown action: %s\nValid actions: add, list, remove",
				      action);
	if (pd_session_select(name, false, sel, err) < 0)
		return -1;
	if (!strcmp(action, "add"))
		return pd_session_remote_add(sel, push, err) < 0 ? -1 : 0;
	{
		const char *rm[] = { "git", "remote", "remove", remote, NULL };

		if (in_repo(err) < 0)
			return -1;
		snprintf(remote, sizeof(remote), "paude-%s", sel);
		if (git(rm, NULL, 0) != 0)
			return pd_error_set_msg(err, ENOENT, "No remote '%s'.", remote);
		printf("Removed git remote '%s'.\n", remote);
	}
	return 0;
}

const struct pd_command pd_cmd_remote = {
	.name = "remote",
	.summary = "Manage the git remote of a session",
	.help = help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_remote,
};
