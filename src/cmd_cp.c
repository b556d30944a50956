/* SPDX-License-Identifier: MIT */
/*
 * cmd_cp.c - paude cp SRC DEST: copy between the host and a running
 * session; one side is NAME:PATH (relative to /pvc/workspace; an empty NAME
 * means the running session of this directory, or the only one).
 *
 * The copy inside the sandbox is made by the sandbox's own tar, as the
 * agent, through `exec`; the host side streams a tar (cp_tar.c): into the
 * session it is written from the host path without following a symlink; out
 * of it the untrusted tar is extracted strictly inside the destination, so a
 * symlink the agent planted can never make paude read or write a host path
 * outside it.
 */
#include "cli.h"
#include "cp_tar.h"
#include "session.h"
#include "session_exec.h"
#include "session_select.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char help[] =
	"Usage: paude cp SRC DEST\n"
	"\n"
	"Copy files between the host and a running session.  One of SRC and DEST is\n"
	"NAME:PATH (PATH relative to /pvc/workspace; NAME may be empty for this\n"
	"directory's session); a path starting with / or . is local.\n"
	"\n"
	"  paude cp ./notes.txt my-session:docs/\n"
	"  paude cp my-session:build/report.html .\n";

struct side {
	bool remote;
	char name[PD_SESSION_NAME_MAX + 1];
	char path[PATH_MAX];
};

static int parse_side(const char *arg, struct side *s, struct pd_error *err)
{
	const char *colon = strchr(arg, ':');

	memset(s, 0, sizeof(*s));
	if (arg[0] == '/' || arg[0] == '.' || !colon) {
		if (!arg[0])
			return pd_usage_error(err, "cp: an empty path");
		pd_strlcpy(s->path, arg, sizeof(s->path));
		return 0;
	}
	s->remote = true;
	if ((size_t)(colon - arg) > PD_SESSION_NAME_MAX)
		return pd_usage_error(err, "cp: \"%.*s\" is no session name", (int)(colon - arg),
				      arg);
	memcpy(s->name, arg, (size_t)(colon - arg));
	if (colon[1] == '/')
		pd_strlcpy(s->path, colon + 1, sizeof(s->path));
	else
		snprintf(s->path, sizeof(s->path), "%s/%s", PD_SESSION_WORKSPACE, colon + 1);
	/* "x/", "x/." and "x/./" name x */
	for (size_t n = strlen(s->path); n > 1;) {
		if (s->path[n - 1] == '/')
			s->path[--n] = '\0';
		else if (n > 2 && s->path[n - 1] == '.' && s->path[n - 2] == '/')
			s->path[n -= 2] = '\0';
		else
			break;
	}
	return 0;
}

/* The last component of @path (a copy in @out). */
static void base_of(const char *path, char *out, size_t cap)
{
	char tmp[PATH_MAX];

	pd_strlcpy(tmp, path, sizeof(tmp));
	pd_strlcpy(out, basename(tmp), cap);
}

static void dir_of(const char *path, char *out, size_t cap)
{
	char tmp[PATH_MAX];

	pd_strlcpy(tmp, path, sizeof(tmp));
	pd_strlcpy(out, dirname(tmp), cap);
}

static int run_in(const struct pd_session_paths *p, const char *const *argv, bool in,
		  struct pd_error *err)
{
	struct pd_exec_req q = { .argv = argv, .interactive = in };
	int status = 0;

	if (pd_session_exec(p, &q, &status, err) < 0)
		return -1;
	return status;
}

/* Host -> session. */
static int copy_in(const struct pd_session_paths *p, const char *src, const char *dst,
		   struct pd_error *err)
{
	const char *test[] = { "test", "-d", dst, NULL };
	char dir[PATH_MAX], top[NAME_MAX + 1];
	const char *untar[] = { "tar", "-x", "--no-same-owner", "-f", "-", "-C", dir, NULL };
	struct stat st;
	int pfd[2], saved, st_child = 0, r;
	pid_t pid;

	if (lstat(src, &st) < 0)
		return pd_error_set(err, errno, "\"%s\"", src);
	r = run_in(p, test, false, err);
	if (r < 0)
		return -1;
	if (r == 0) { /* into the directory, under its own name */
		pd_strlcpy(dir, dst, sizeof(dir));
		base_of(src, top, sizeof(top));
	} else {
		dir_of(dst, dir, sizeof(dir));
		base_of(dst, top, sizeof(top));
	}
	if (!strcmp(top, "/") || !strcmp(top, ".") || !strcmp(top, ".."))
		return pd_usage_error(err, "cp: \"%s\" names no file", src);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return pd_error_set(err, errno, "pipe");
	pid = fork();
	if (pid < 0)
		return pd_error_set(err, errno, "fork");
	if (pid == 0) {
		struct pd_error e2 = { 0 };

		close(pfd[0]);
		if (pd_cp_write_tar(src, top, pfd[1], &e2) < 0) {
			fprintf(stderr, "paude: cp: %s\n", e2.msg);
			_exit(1);
		}
		_exit(0);
	}
	close(pfd[1]);
	saved = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	dup2(pfd[0], STDIN_FILENO);
	close(pfd[0]);
	r = run_in(p, untar, true, err);
	dup2(saved, STDIN_FILENO);
	close(saved);
	while (waitpid(pid, &st_child, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (!WIFEXITED(st_child) || WEXITSTATUS(st_child) != 0)
		return pd_error_set_msg(err, EIO, "cp: reading \"%s\" failed", src);
	if (r != 0)
		return pd_error_set_msg(err, EIO, "cp: the session's tar failed (status %d)", r);
	return 0;
}

/* Session -> host. */
static int copy_out(const struct pd_session_paths *p, const char *src, const char *dst,
		    struct pd_error *err)
{
	char sdir[PATH_MAX], sbase[NAME_MAX + 1], ddir[PATH_MAX], top[NAME_MAX + 1];
	const char *tar[] = { "tar", "-c", "-f", "-", "-C", sdir, sbase, NULL };
	cleanup_close int destfd = -1;
	struct stat st;
	bool rename_top = false;
	int pfd[2], saved, st_child = 0, r;
	pid_t pid;

	dir_of(src, sdir, sizeof(sdir));
	base_of(src, sbase, sizeof(sbase));
	if (!strcmp(sbase, ".") || !strcmp(sbase, "..") || !strcmp(sbase, "/"))
		return pd_usage_error(err, "cp: \"%s\" names no file of the session", src);
	if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
		pd_strlcpy(ddir, dst, sizeof(ddir));
	} else {
		dir_of(dst, ddir, sizeof(ddir));
		base_of(dst, top, sizeof(top));
		rename_top = true;
	}
	destfd = open(ddir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (destfd < 0)
		return pd_error_set(err, errno, "\"%s\"", ddir);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return pd_error_set(err, errno, "pipe");
	pid = fork();
	if (pid < 0)
		return pd_error_set(err, errno, "fork");
	if (pid == 0) {
		struct pd_error e2 = { 0 };

		close(pfd[1]);
		/* every member under the one name the user asked for */
		if (pd_cp_extract(pfd[0], destfd, rename_top ? top : sbase, &e2) < 0) {
			fprintf(stderr, "paude: cp: %s\n", e2.msg);
			_exit(1);
		}
		_exit(0);
	}
	close(pfd[0]);
	fflush(stdout);
	saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	dup2(pfd[1], STDOUT_FILENO);
	close(pfd[1]);
	r = run_in(p, tar, false, err);
	dup2(saved, STDOUT_FILENO); /* the pipe's last writer goes: the extractor ends */
	close(saved);
	while (waitpid(pid, &st_child, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (r != 0)
		return pd_error_set_msg(err, EIO, "cp: the session's tar failed (status %d)", r);
	if (!WIFEXITED(st_child) || WEXITSTATUS(st_child) != 0)
		return pd_error_set_msg(err, EIO, "cp: extracting into \"%s\" failed", ddir);
	return 0;
}

static int cmd_cp(int argc, char **argv, struct pd_error *err)
{
	struct side a, b;
	struct pd_session_paths p;
	char name[PD_SESSION_NAME_MAX + 1];
	const struct side *remote;

	if (argc != 3)
		return pd_usage_error(err, "cp: SRC and DEST are required");
	if (parse_side(argv[1], &a, err) < 0 || parse_side(argv[2], &b, err) < 0)
		return -1;
	if (a.remote == b.remote)
		return pd_usage_error(err,
				      a.remote ? "Only one of SRC or DEST can be a remote path, "
						 "not both."
					       : "One of SRC or DEST must be a remote path "
						 "(session:path).");
	remote = a.remote ? &a : &b;
	if (pd_session_select(remote->name[0] ? remote->name : NULL, true, name, err) < 0 ||
	    pd_session_paths(name, &p, err) < 0)
		return -1;
	if (a.remote)
		return copy_out(&p, a.path, b.path, err) < 0 ? -1 : 0;
	return copy_in(&p, a.path, b.path, err) < 0 ? -1 : 0;
}

const struct pd_command pd_cmd_cp = {
	.name = "cp",
	.summary = "Copy files between the host and a session",
	.help = help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_cp,
};
