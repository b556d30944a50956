/* SPDX-License-Identifier: MIT */
/*
 * exec.c - the command's process, from fork (by init) to execve.
 *
 * Runs inside the finished sandbox (after pivot_root), as the container's
 * root with full capabilities in the user namespace, and gives them all up
 * in this order:
 *   1. signals back to defaults and the caller's mask;
 *   2. a new session: the pty from the sandbox's own devpts becomes the
 *      controlling terminal (-t), or stdio are pipes paude pumps (the host's
 *      own fds never reach the command); without -i stdin is /dev/null;
 *   3. rlimits (--ulimit, and the rlimit fallbacks of limits.c);
 *   4. securebits locked, bounding and ambient sets emptied;
 *   5. groups, gid, uid of --user;
 *   6. effective/permitted/inheritable cleared;
 *   7. working directory;
 *   8. no_new_privs;
 *   9. every fd but 0-2 marked close-on-exec (the sync socket must survive
 *      until exec to report an exec failure, and is gone after it);
 *  10. the seccomp filter, last: nothing after it but execve.
 * Any failure is shipped to the parent over the sync socket, then _exit.
 */
#include "sandbox.h"
#include "seccomp.h"
#include "sync.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static _Noreturn void fail(struct pd_sandbox *sb, struct pd_error *err, int status)
{
	if (!err->status)
		err->status = status;
	pd_sync_send_error(sb->sync, err);
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

/* -t: a pty from the sandbox's devpts; the master goes to the parent. */
static int setup_pty(struct pd_sandbox *sb, struct pd_error *err)
{
	cleanup_close int master = -1, slave = -1;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return pd_error_set(err, errno, "open \"/dev/ptmx\"");
	if (unlockpt(master) < 0)
		return pd_error_set(err, errno, "unlock pty");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return pd_error_set(err, errno, "open pty peer");
	if (sb->have_winsize && ioctl(slave, TIOCSWINSZ, &sb->winsize) < 0)
		return pd_error_set(err, errno, "set pty window size");
	if (pd_sync_send(sb->sync, PD_SYNC_PTY, 0, master, NULL, 0) < 0)
		return pd_error_set(err, errno, "send pty to paude");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return pd_error_set(err, errno, "make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return pd_error_set(err, errno, "dup pty to fd %d", fd);
	return 0;
}

static int setup_stdio(struct pd_sandbox *sb, struct pd_error *err)
{
	int in;

	if (setsid() < 0)
		return pd_error_set(err, errno, "setsid");
	if (sb->spec->tty)
		return setup_pty(sb, err);
	in = sb->spec->interactive ? sb->child_stdio[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return pd_error_set(err, errno, "open \"/dev/null\"");
	/* No pipe of its own for stderr: it shares stdout's (sandbox.c). */
	if (dup2(in, STDIN_FILENO) < 0 || dup2(sb->child_stdio[1], STDOUT_FILENO) < 0 ||
	    dup2(sb->child_stdio[2] >= 0 ? sb->child_stdio[2] : sb->child_stdio[1],
		 STDERR_FILENO) < 0)
		return pd_error_set(err, errno, "stdio pipes");
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

/* The environment: the spec's, plus PATH, HOME, HOSTNAME and TERM when unset. */
static char **build_env(const struct pd_sandbox *sb)
{
	char **env = pd_strv_dup(sb->spec->env);
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
		pd_strv_push_take(&env, pd_xasprintf("HOME=%s", sb->user.home));
	if (!host && sb->spec->hostname)
		pd_strv_push_take(&env, pd_xasprintf("HOSTNAME=%s", sb->spec->hostname));
	if (!term && sb->spec->tty)
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

_Noreturn void pd_command_exec(struct pd_sandbox *sb)
{
	const struct pd_sandbox_spec *spec = sb->spec;
	struct pd_error err = { 0 };
	cleanup_strv char **env = NULL;
	bool searched;
	int e;

	reset_signals(&sb->orig_mask);
	if (setup_stdio(sb, &err) < 0)
		fail(sb, &err, 0);
	if (pd_limits_apply_rlimits(&sb->limits, &spec->limits, sb->user.uid == 0 ? 1 : 0, &err) < 0)
		fail(sb, &err, 0);
	if (pd_caps_prepare_drop(&err) < 0)
		fail(sb, &err, 0);
	if (switch_user(&sb->user, sb->ids.mode != PD_IDMAP_SINGLE, &err) < 0)
		fail(sb, &err, 0);
	if (pd_caps_clear(&err) < 0)
		fail(sb, &err, 0);
	if (chdir(spec->workdir ? spec->workdir : "/") < 0) {
		pd_error_set(&err, errno, "working directory \"%s\"", spec->workdir ? spec->workdir : "/");
		fail(sb, &err, 0);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		pd_error_set(&err, errno, "no_new_privs");
		fail(sb, &err, 0);
	}
	env = build_env(sb);
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		pd_error_set(&err, errno, "close_range");
		fail(sb, &err, 0);
	}
	if (pd_seccomp_apply(spec->seccomp, &err) < 0)
		fail(sb, &err, 0);
	e = exec_search(spec->argv, env, &searched);
	if (searched && e == ENOENT)
		pd_error_set(&err, 0, "exec \"%s\": executable file not found in $PATH", spec->argv[0]);
	else
		pd_error_set(&err, e, "exec \"%s\"", spec->argv[0]);
	fail(sb, &err, e == ENOENT || e == ENOTDIR ? 127 : 126);
}
