/* SPDX-License-Identifier: MIT */
/*
 * process.c - one confined process, from fork to execve: the sandbox's first
 * command (forked by init) and every process joined to it later (join.c)
 * take the same steps, from a struct pd_process.
 *
 * Runs inside the finished sandbox (after pivot_root, or after setns into
 * it), as the container's root with the user namespace's capabilities, and
 * gives them up in this order:
 *   1. signals back to defaults and the process's mask;
 *   2. a new session: the pty from the sandbox's own devpts becomes the
 *      controlling terminal (tty), or the owner's fds it was given become
 *      0-2 (the host's own fds never reach it unless the owner chose them);
 *      an absent one is /dev/null;
 *   3. rlimits (--ulimit, the default quotas, the task limit);
 *   4. securebits locked, bounding set emptied but for the capabilities it
 *      keeps (none by default), ambient cleared;
 *   5. groups, gid, uid of its user;
 *   6. effective/permitted/inheritable: its capabilities (ambient too, so
 *      they survive execve) or nothing;
 *   7. working directory;
 *   8. no_new_privs;
 *   9. every fd but 0-2 marked close-on-exec (the report socket must
 *      survive until exec to report an exec failure, and is gone after it);
 *  10. the seccomp filter, last: nothing after it but execve.
 * Any failure is shipped to the owner over the report socket, then _exit.
 */
#include "sandbox.h"
#include "seccomp.h"
#include "sync.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static _Noreturn void fail(const struct pd_process_ctx *ctx, struct pd_error *err, int status)
{
	if (!err->status)
		err->status = status;
	pd_sync_send_error(ctx->report_fd, err);
	_exit(err->status);
}

static void reset_signals(const sigset_t *mask)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &dfl, NULL);
	(void)sigprocmask(SIG_SETMASK, mask, NULL);
}

/* -t: a pty from the sandbox's devpts; the master goes to the owner. */
static int setup_pty(const struct pd_process *p, int report_fd, struct pd_error *err)
{
	cleanup_close int master = -1, slave = -1;

	/* Never through a magic link the sandbox planted (/proc/self/fd/N). */
	master = pd_openat2(AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, 0,
			    RESOLVE_NO_MAGICLINKS);
	if (master < 0)
		return pd_error_set(err, errno, "open \"/dev/ptmx\"");
	if (unlockpt(master) < 0)
		return pd_error_set(err, errno, "unlock pty");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return pd_error_set(err, errno, "open pty peer");
	if (p->have_winsize && ioctl(slave, TIOCSWINSZ, &p->winsize) < 0)
		return pd_error_set(err, errno, "set pty window size");
	if (pd_sync_send(report_fd, PD_SYNC_PTY, 0, master, NULL, 0) < 0)
		return pd_error_set(err, errno, "send pty to paude");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return pd_error_set(err, errno, "make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return pd_error_set(err, errno, "dup pty to fd %d", fd);
	return 0;
}

static int setup_stdio(const struct pd_process *p, int report_fd, struct pd_error *err)
{
	int fds[3];

	if (setsid() < 0)
		return pd_error_set(err, errno, "setsid");
	if (p->tty)
		return setup_pty(p, report_fd, err);
	/* Out of the way of 0-2 first, so that one given as another's fd survives. */
	for (int i = 0; i < 3; i++) {
		fds[i] = p->stdio[i] >= 0 ? fcntl(p->stdio[i], F_DUPFD_CLOEXEC, 3)
					  : pd_openat2(AT_FDCWD, "/dev/null",
						       (i ? O_WRONLY : O_RDONLY) | O_CLOEXEC, 0,
						       RESOLVE_NO_MAGICLINKS);
		if (fds[i] < 0)
			return pd_error_set(err, errno, "stdio fd %d", i);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			return pd_error_set(err, errno, "stdio fd %d", i);
	return 0;
}

static int switch_user(const struct pd_user *u, bool may_setgroups, struct pd_error *err)
{
	gid_t groups[PD_USER_MAX_GROUPS];

	for (size_t i = 0; i < u->n_groups; i++)
		groups[i] = u->groups[i];
	if (may_setgroups && setgroups(u->n_groups, groups) < 0)
		return pd_error_set(err, errno, "setgroups for user %u", u->uid);
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return pd_error_set(err, errno, "setresgid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return pd_error_set(err, errno, "setresuid %u", u->uid);
	return 0;
}

/* The environment: the process's, plus PATH, HOME, HOSTNAME and TERM when unset. */
static char **build_env(const struct pd_process *p, const struct pd_process_ctx *ctx)
{
	char **env = pd_strv_dup(p->env);
	bool path = false, home = false, host = false, term = false;

	for (size_t i = 0; env[i]; i++) {
		path |= pd_str_has_prefix(env[i], "PATH=");
		home |= pd_str_has_prefix(env[i], "HOME=");
		host |= pd_str_has_prefix(env[i], "HOSTNAME=");
		term |= pd_str_has_prefix(env[i], "TERM=");
	}
	if (!path)
		pd_strv_push(&env, "PATH=" DEFAULT_PATH);
	if (!home)
		pd_strv_push_take(&env, pd_xasprintf("HOME=%s", ctx->user->home));
	if (!host && ctx->hostname)
		pd_strv_push_take(&env, pd_xasprintf("HOSTNAME=%s", ctx->hostname));
	if (!term && p->tty)
		pd_strv_push(&env, "TERM=xterm");
	return env;
}

/* execve with a $PATH search in the sandbox's environment. Returns errno. */
static int exec_search(char *const *argv, char *const *envp, bool *searched)
{
	const char *file = argv[0];
	const char *path = NULL;
	int saved = ENOENT;
	bool eacces = false;

	*searched = false;
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return errno;
	}
	*searched = true;
	for (size_t i = 0; envp[i]; i++)
		if (pd_str_has_prefix(envp[i], "PATH="))
			path = envp[i] + 5;
	if (!path)
		path = DEFAULT_PATH;
	while (*path) {
		size_t n = strcspn(path, ":");
		char full[4096];

		if (n == 0) {
			snprintf(full, sizeof(full), "./%s", file);
		} else if ((size_t)snprintf(full, sizeof(full), "%.*s/%s", (int)n, path, file) >=
			   sizeof(full)) {
			path += n + (path[n] == ':');
			continue;
		}
		execve(full, argv, envp);
		if (errno == EACCES)
			eacces = true;
		else if (errno != ENOENT && errno != ENOTDIR)
			saved = errno;
		path += n + (path[n] == ':');
	}
	return eacces ? EACCES : saved;
}

/* The working directory, resolved inside the root and never through a magic link. */
static int enter_workdir(const char *wd, struct pd_error *err)
{
	cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -1;

	if (root >= 0)
		fd = pd_openat2(root, wd, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
				RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (fd < 0 || fchdir(fd) < 0)
		return pd_error_set(err, errno, "working directory \"%s\"", wd);
	return 0;
}

_Noreturn void pd_process_exec(const struct pd_process *p, const struct pd_process_ctx *ctx)
{
	struct pd_error err = { 0 };
	cleanup_strv char **env = NULL;
	const char *wd = p->workdir ? p->workdir : "/";
	bool searched;
	int e;

	reset_signals(&p->sigmask);
	if (setup_stdio(p, ctx->report_fd, &err) < 0)
		fail(ctx, &err, 0);
	if (pd_limits_apply_rlimits(ctx->lp, ctx->limits,
				    ctx->user->uid == 0 ? ctx->extra_tasks : 0, &err) < 0)
		fail(ctx, &err, 0);
	if (pd_caps_prepare_drop(p->caps, &err) < 0)
		fail(ctx, &err, 0);
	if (switch_user(ctx->user, ctx->may_setgroups, &err) < 0)
		fail(ctx, &err, 0);
	if (pd_caps_set(p->caps, &err) < 0)
		fail(ctx, &err, 0);
	if (enter_workdir(wd, &err) < 0)
		fail(ctx, &err, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		pd_error_set(&err, errno, "no_new_privs");
		fail(ctx, &err, 0);
	}
	env = build_env(p, ctx);
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		pd_error_set(&err, errno, "close_range");
		fail(ctx, &err, 0);
	}
	if (pd_seccomp_apply(p->seccomp, &err) < 0)
		fail(ctx, &err, 0);
	e = exec_search(p->argv, env, &searched);
	if (searched && e == ENOENT)
		pd_error_set(&err, 0, "exec \"%s\": executable file not found in $PATH",
			     p->argv[0]);
	else
		pd_error_set(&err, e, "exec \"%s\"", p->argv[0]);
	fail(ctx, &err, e == ENOENT || e == ENOTDIR ? 127 : 126);
}
