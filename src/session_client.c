/* SPDX-License-Identifier: MIT */
/*
 * session_client.c - talking to a session's supervisor (session_client.h).
 *
 * The supervisor is found only through its control socket, and checked to
 * run as this user (SO_PEERCRED): a pid file could name a recycled pid, so
 * none is ever signalled.  A supervisor is spawned detached: a double fork
 * with its own session, its stdio on DATA/NAME/supervisor.log, and a pipe
 * at fd 3 on which it says "ok" or "error TEXT" once it knows.
 */
#include "session_client.h"
#include "control.h"
#include "supervisor.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *pd_session_state_name(enum pd_session_state st)
{
	static const char *const names[] = { "stopped", "running", "error" };

	return names[st];
}

int pd_session_not_running(const char *name, struct pd_error *err)
{
	pd_error_set_msg(err, ESRCH,
			 "Session '%s' is not running. Use 'paude start %s' to start it.", name,
			 name);
	err->status = 1;
	return -1;
}

int pd_session_control(const struct pd_session_paths *p, struct pd_error *err)
{
	char path[4200];
	struct timeval tv = { .tv_sec = 30 };
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->run, PD_SESSION_SOCKET);
	fd = pd_ctl_connect(path, err);
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* The pid of the living supervisor of @p (it holds the alive lock), or 0. */
static pid_t alive_pid(const struct pd_session_paths *p)
{
	char path[4200];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	cleanup_close int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", p->run, PD_SUPERVISOR_LOCK);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		return 0;
	return fl.l_pid;
}

/*
 * A supervisor that is alive but does not answer (busy, or stuck in its
 * start): signalled through a pidfd taken while it still held the lock, so
 * the pid cannot be another process's; SIGKILL after 30 s.
 */
static int stop_unanswering(const struct pd_session_paths *p, pid_t pid, struct pd_error *err)
{
	cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	if (pidfd < 0 || alive_pid(p) != pid)
		return 0; /* gone meanwhile */
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH)
		return pd_error_set(err, errno, "stop the session's supervisor");
	if (poll(&pfd, 1, 30000) == 0) {
		(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		(void)poll(&pfd, 1, 10000);
	}
	return 0;
}

enum pd_session_state pd_session_probe(const struct pd_session_paths *p, char *why, size_t cap)
{
	struct pd_error err = { 0 };
	struct timeval tv = { .tv_sec = 5 };
	cleanup_close int fd = -1;
	cJSON *req, *ans;
	int fds[1];
	size_t n = 0;
	struct stat st;

	if (why && cap)
		why[0] = '\0';
	if (stat(p->run, &st) < 0)
		return PD_SESSION_STOPPED;
	fd = pd_session_control(p, &err);
	if (fd >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "op", "status");
		ans = pd_ctl_call(fd, req, fds, 0, &n, &err);
		cJSON_Delete(req);
		if (ans) {
			cJSON_Delete(ans);
			return PD_SESSION_RUNNING;
		}
	}
	if (alive_pid(p) > 0) { /* alive, only busy: running all the same */
		if (why && cap)
			snprintf(why, cap, "its supervisor does not answer (%s)", err.msg);
		return PD_SESSION_RUNNING;
	}
	if (why && cap) {
		cleanup_free char *text = NULL;
		size_t len = 0;
		cleanup_close int dir = open(p->run, O_PATH | O_DIRECTORY | O_CLOEXEC);
		struct pd_error ignore;

		if (dir >= 0 && pd_read_file_at(dir, "error", 0, 4096, &text, &len, &ignore) == 0)
			snprintf(why, cap, "%s", text);
		else
			snprintf(why, cap, "the supervisor is gone (%s)", err.msg);
	}
	return PD_SESSION_ERROR;
}

/* Remove what a supervisor that is gone left in RUN/NAME. */
static void clear_run_dir(const struct pd_session_paths *p)
{
	static const char *const names[] = { PD_SESSION_SOCKET, "supervisor.pid", "error",
					     PD_SUPERVISOR_LOCK };
	char path[4200];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->run, names[i]);
		unlink(path);
	}
	rmdir(p->run);
}

static _Noreturn void exec_supervisor(const struct pd_session_paths *p, int ready)
{
	char log[4200], self[PATH_MAX];
	const char *name = strrchr(p->dir, '/') + 1;
	ssize_t n;
	const char *argv[] = { "paude", "supervise", name, NULL };
	int fd;

	if (setsid() < 0)
		_exit(125);
	if (fork() != 0)
		_exit(0);
	/* nothing of the caller's but what it is given: no other fd, not its cwd */
	if (ready != PD_SUPERVISOR_READY_FD) {
		if (dup2(ready, PD_SUPERVISOR_READY_FD) < 0)
			_exit(125);
		ready = PD_SUPERVISOR_READY_FD;
	}
	(void)fcntl(ready, F_SETFD, 0);
	if (chdir("/") < 0)
		_exit(125);
	snprintf(log, sizeof(log), "%s/supervisor.log", p->dir);
	/* fds 0-2 anew, without close-on-exec (opened above 3, then dup2'd) */
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || (fd = fcntl(fd, F_DUPFD_CLOEXEC, 4)) < 0 || dup2(fd, 1) < 0 ||
	    dup2(fd, 2) < 0)
		_exit(125);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (fd = fcntl(fd, F_DUPFD_CLOEXEC, 4)) < 0 || dup2(fd, 0) < 0)
		_exit(125);
	(void)close_range(4, ~0U, 0);
	/* by its path, so it is called "paude", not "exe" */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		execve(self, (char *const *)argv, environ);
	}
	execve("/proc/self/exe", (char *const *)argv, environ);
	_exit(127);
}

int pd_session_spawn(const struct pd_session_paths *p, struct pd_error *err)
{
	cleanup_close int rd = -1;
	char buf[PD_ERROR_MSG_MAX + 16];
	size_t len = 0;
	int pipefd[2], st;
	pid_t pid;

	if (alive_pid(p) > 0)
		return pd_error_set_msg(err, EBUSY,
					"the session's supervisor still runs: stop it first");
	clear_run_dir(p);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return pd_error_set(err, errno, "pipe");
	rd = pipefd[0];
	pid = fork();
	if (pid < 0) {
		close(pipefd[1]);
		return pd_error_set(err, errno, "fork");
	}
	if (pid == 0)
		exec_supervisor(p, pipefd[1]);
	close(pipefd[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	for (;;) {
		ssize_t r = read(rd, buf + len, sizeof(buf) - 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	if (!strcmp(buf, "ok"))
		return 0;
	if (pd_str_has_prefix(buf, "error "))
		return pd_error_set_msg(err, EIO, "%s", buf + 6);
	return pd_error_set_msg(
		err, EIO, "the session's supervisor ended without a word (see %s/supervisor.log)",
		p->dir);
}

int pd_session_stop(const struct pd_session_paths *p, struct pd_error *err)
{
	enum pd_session_state st = pd_session_probe(p, NULL, 0);
	cleanup_close int fd = -1;
	cleanup_close int pidfd = -1;
	cJSON *req, *ans;
	int fds[1];
	size_t n = 0;

	if (st == PD_SESSION_STOPPED)
		return 0;
	if (st == PD_SESSION_ERROR) {
		clear_run_dir(p);
		return 1;
	}
	fd = pd_session_control(p, err);
	if (fd >= 0) {
		pidfd = pd_ctl_peer_pidfd(fd);
		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "op", "stop");
		ans = pd_ctl_call(fd, req, fds, 0, &n, err);
		cJSON_Delete(req);
	} else {
		ans = NULL;
	}
	if (!ans) {
		pid_t pid = alive_pid(p);

		if (pid <= 0)
			return -1;
		pd_error_clear(err);
		if (stop_unanswering(p, pid, err) < 0)
			return -1;
		if (alive_pid(p) <= 0)
			clear_run_dir(p);
		return 1;
	}
	cJSON_Delete(ans);
	/* Done when the supervisor is: it removed its run directory then. */
	if (pidfd >= 0) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

		while (poll(&pfd, 1, 30000) < 0 && errno == EINTR)
			;
	}
	return 1;
}
