/* SPDX-License-Identifier: MIT */
/*
 * join.c - run another process in a running sandbox (pd_sandbox_exec), and
 * short-lived helpers inside a user namespace (pd_userns_helper).
 *
 * Theory of operation
 * -------------------
 * Only the sandbox's owner joins it, with the namespace fds it opened when
 * it created the sandbox: never a stored pid, never /proc of the sandbox.
 * Before anything, the sandbox is checked to be alive (its init's pidfd).
 *
 *   owner --fork--> intermediate: non-dumpable; setns into the user
 *                   namespace (becoming its root), then mount, network,
 *                   uts, ipc, cgroup and pid (for its children);
 *   intermediate --clone(CLONE_PARENT)--> the process: pid N of the
 *                   sandbox, and the owner's own child, so the owner waits
 *                   for it through a pidfd like any child; the intermediate
 *                   reports its pid and exits;
 *   owner:          moves it into the sandbox's cgroups, says GO;
 *   the process:    resolves its user in the sandbox's own files and takes
 *                   the same steps as the first command (process.c): the
 *                   same capability rule, no_new_privs, its seccomp program.
 * Errors come back over a socket pair, as from the first command: the owner
 * reads until end-of-file (the exec closed it) or an error.
 */
#include "sandbox.h"
#include "sync.h"
#include "syscalls.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/proctitle.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PD_SYNC_PID_MSG PD_SYNC_GO /* intermediate -> owner: @arg is the pid */

static _Noreturn void die(int sock, struct pd_error *err)
{
	pd_sync_send_error(sock, err);
	_exit(125);
}

/* Become the root of the user namespace joined (its id 0 is mapped). */
static int become_root(bool may_setgroups, struct pd_error *err)
{
	if (setresgid(0, 0, 0) < 0)
		return pd_error_set(err, errno, "setresgid 0 in the sandbox");
	if (may_setgroups && setgroups(0, NULL) < 0)
		return pd_error_set(err, errno, "drop supplementary groups");
	if (setresuid(0, 0, 0) < 0)
		return pd_error_set(err, errno, "setresuid 0 in the sandbox");
	return 0;
}

static int enter(struct pd_sandbox *sb, struct pd_error *err)
{
	static const struct {
		enum pd_sandbox_ns ns;
		int type;
		const char *name;
	} order[] = {
		{ PD_NS_USER, CLONE_NEWUSER, "user" },  { PD_NS_MNT, CLONE_NEWNS, "mount" },
		{ PD_NS_NET, CLONE_NEWNET, "network" }, { PD_NS_UTS, CLONE_NEWUTS, "uts" },
		{ PD_NS_IPC, CLONE_NEWIPC, "ipc" },     { PD_NS_CGROUP, CLONE_NEWCGROUP, "cgroup" },
		{ PD_NS_PID, CLONE_NEWPID, "pid" },
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (setns(sb->ns[order[i].ns], order[i].type) < 0)
			return pd_error_set(err, errno, "join the sandbox's %s namespace",
					    order[i].name);
		if (order[i].ns == PD_NS_USER &&
		    become_root(sb->ids.mode != PD_IDMAP_SINGLE, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * Only what the process was given survives: its stdio fds and the report
 * socket move to 3-6 and every other fd of the owner's (0-2 included) is
 * closed, before anything resolves a path the sandbox controls: a magic
 * link there (/proc/self/fd/N) must find nothing of the owner's.
 */
static void keep_only(const struct pd_process *p, struct pd_process *q, int *sock)
{
	int tmp[4];

	*q = *p;
	for (int i = 0; i < 4; i++) {
		int fd = i < 3 ? (p->tty ? -1 : p->stdio[i]) : *sock;

		tmp[i] = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 64) : -1;
		if (fd >= 0 && tmp[i] < 0)
			_exit(125);
	}
	(void)close_range(0, 63, 0);
	for (int i = 0; i < 4; i++)
		if (tmp[i] >= 0 && dup3(tmp[i], 3 + i, O_CLOEXEC) < 0)
			_exit(125);
	(void)close_range(7, ~0U, 0);
	for (int i = 0; i < 3; i++)
		q->stdio[i] = tmp[i] >= 0 ? 3 + i : -1;
	*sock = 6;
	/* 0-2 taken again (the sandbox's /dev/null), so that no fd opened
	 * later (a pty) lands there and is clobbered by the stdio set-up. */
	for (int i = 0; i < 3; i++)
		if (pd_openat2(AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC, 0,
			       RESOLVE_NO_MAGICLINKS) != i)
			_exit(125);
}

/* The process itself, in the sandbox: wait for GO, then confine and exec. */
static _Noreturn void joined(struct pd_sandbox *sb, const struct pd_process *given, int sock)
{
	struct pd_error err = { 0 };
	struct pd_process q;
	const struct pd_process *p = &q;
	struct pd_user user;
	struct pd_sync_msg m;
	cleanup_close int root = -1;
	int n;

	keep_only(given, &q, &sock);
	n = pd_sync_recv(sock, &m);
	if (n <= 0 || m.type != PD_SYNC_GO)
		_exit(125); /* the owner is gone, or changed its mind */
	pd_close(m.fd);
	/* Its parent is the owner, outside this pid namespace: getppid() says
	 * 0 here, so the owner's death is only caught from now on. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		pd_error_set(&err, errno, "open the sandbox's root");
		die(sock, &err);
	}
	if (pd_user_for(root, p->user, &sb->ids, &user, &err) < 0)
		die(sock, &err);
	{
		struct pd_process_ctx ctx = {
			.user = &user,
			.may_setgroups = sb->ids.mode != PD_IDMAP_SINGLE,
			.lp = &sb->limits,
			.limits = &sb->spec->limits,
			.extra_tasks = 1, /* init */
			.hostname = sb->spec->hostname,
			.report_fd = sock,
		};

		pd_process_exec(p, &ctx);
	}
}

/* The intermediate: into the namespaces, then the process as the owner's child. */
static _Noreturn void intermediate(struct pd_sandbox *sb, const struct pd_process *p, int sock)
{
	struct pd_error err = { 0 };
	pid_t pid;

	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* /proc/PID/cmdline is readable even when not dumpable: not the owner's. */
	pd_proctitle_set("paude-exec");
	(void)prctl(PR_SET_NAME, "paude-exec", 0, 0, 0);
	if (enter(sb, &err) < 0)
		die(sock, &err);
	if (chdir("/") < 0) {
		pd_error_set(&err, errno, "chdir to the sandbox's root");
		die(sock, &err);
	}
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0) {
		pd_error_set(&err, errno, "fork into the sandbox");
		die(sock, &err);
	}
	if (pid == 0)
		joined(sb, p, sock);
	if (pd_sync_send(sock, PD_SYNC_PID_MSG, (uint32_t)pid, -1, NULL, 0) < 0)
		_exit(125);
	_exit(0);
}

static int check_alive(struct pd_sandbox *sb, struct pd_error *err)
{
	if (!sb->started || sb->reaped || pd_pidfd_send_signal(sb->pidfd, 0) < 0)
		return pd_error_set_msg(err, ESRCH, "the sandbox is not running");
	for (int i = 0; i < PD_NS_COUNT; i++)
		if (sb->ns[i] < 0)
			return pd_error_set_msg(err, EAGAIN,
						"the sandbox is not set up yet (its "
						"namespaces are not all known)");
	return 0;
}

/*
 * How long the owner waits for a joined process to exec.  Until it switches
 * to its user it is the sandbox's root, whom the sandbox's own root may
 * SIGSTOP: every EXEC_CHECK_MS the owner looks whether its child is stopped
 * (then it gives up), and after EXEC_DEADLINE_MS it gives up in any case.
 * A process that is merely slow (a starved machine) is waited for.
 */
#define EXEC_CHECK_MS 2000
#define EXEC_DEADLINE_MS 120000

/* Whether the owner's child @pid is stopped now (its stop not reaped). */
static bool child_stopped(pid_t pid)
{
	siginfo_t si = { 0 };

	return pid > 0 && waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == pid;
}

/* pd_sync_recv() that gives up (ETIMEDOUT) when @pid is stopped, or at the deadline. */
static int recv_within(int sock, struct pd_sync_msg *m, pid_t pid)
{
	struct pollfd pf = { .fd = sock, .events = POLLIN };
	int r, waited = 0;

	for (;;) {
		while ((r = poll(&pf, 1, EXEC_CHECK_MS)) < 0 && errno == EINTR)
			;
		if (r != 0)
			break;
		waited += EXEC_CHECK_MS;
		if (child_stopped(pid) || waited >= EXEC_DEADLINE_MS) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return r < 0 ? -1 : pd_sync_recv(sock, m);
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

/* Copy an error message received over the socket into @err. */
static int error_from(const struct pd_sync_msg *m, struct pd_error *err)
{
	err->code = m->code;
	err->status = m->status;
	memcpy(err->msg, m->text, sizeof(err->msg));
	err->msg[sizeof(err->msg) - 1] = '\0';
	return -1;
}

int pd_sandbox_exec(struct pd_sandbox *sb, const struct pd_process *p, pid_t *pid, int *pidfd,
		    int *pty_master, struct pd_error *err)
{
	cleanup_close int sock = -1, pfd = -1, master = -1;
	struct pd_sync_msg m;
	pid_t mid, child = -1;
	int sv[2], n;

	*pid = -1;
	*pidfd = *pty_master = -1;
	pd_assert_single_threaded();
	if (!p->argv || !p->argv[0] || !p->argv[0][0] || !p->seccomp)
		return pd_error_set(err, EINVAL, "exec: no command or no seccomp filter");
	if (check_alive(sb, err) < 0 || pd_sync_pair(sv, err) < 0)
		return -1;
	mid = fork();
	if (mid == 0) {
		pd_close(sv[0]);
		intermediate(sb, p, sv[1]);
	}
	pd_close(sv[1]);
	sock = sv[0];
	if (mid < 0)
		return pd_error_set(err, errno, "exec: fork");
	n = recv_within(sock, &m, mid);
	if (n < 0)
		(void)kill(mid, SIGKILL);
	reap(mid);
	if (n <= 0)
		return pd_error_set(err, n < 0 ? errno : EPIPE, "exec: join the sandbox");
	if (m.type == PD_SYNC_ERROR)
		return error_from(&m, err);
	child = (pid_t)m.arg;
	pfd = pd_pidfd_open(child);
	if (pfd < 0) {
		pd_error_set(err, errno, "exec: pidfd of %ld", (long)child);
		(void)kill(child, SIGKILL);
		reap(child);
		return -1;
	}
	if (pd_limits_enter(&sb->limits, child, err) < 0 ||
	    pd_sync_send(sock, PD_SYNC_GO, 0, -1, NULL, 0) < 0) {
		if (!err->msg[0])
			pd_error_set(err, errno, "exec: start the process");
		(void)pd_pidfd_send_signal(pfd, SIGKILL);
		reap(child);
		return -1;
	}
	/* Until the exec closes its end: a pty master, or an error. */
	while ((n = recv_within(sock, &m, child)) > 0) {
		if (m.type == PD_SYNC_PTY && m.fd >= 0 && p->tty && master < 0) {
			master = steal_fd(&m.fd);
			continue;
		}
		pd_close(m.fd);
		if (m.type == PD_SYNC_ERROR) {
			reap(child);
			return error_from(&m, err);
		}
	}
	if (n < 0) {
		pd_error_set(err, errno, "exec: wait for the process");
		(void)pd_pidfd_send_signal(pfd, SIGKILL);
		reap(child);
		return -1;
	}
	*pid = child;
	*pidfd = steal_fd(&pfd);
	*pty_master = steal_fd(&master);
	return 0;
}

/* ---- pd_userns_helper ---- */

/*
 * The owner's half: wait for the helper's word (an error, or nothing) and
 * its end.  With @status, the helper's wait status goes there instead of a
 * non-zero one being an error (a helper that exec'd a command).
 */
static int helper_wait_status(pid_t pid, int sock, int *status_out, struct pd_error *err)
{
	struct pd_sync_msg m;
	int n, status = 0;

	n = pd_sync_recv(sock, &m);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n > 0) {
		pd_close(m.fd);
		if (m.type == PD_SYNC_ERROR)
			return error_from(&m, err);
	}
	if (status_out) {
		*status_out = status;
		return 0;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return pd_error_set_msg(err, ECHILD, "the user-namespace helper died (status %d)",
					status);
	return 0;
}

static int helper_wait(pid_t pid, int sock, struct pd_error *err)
{
	return helper_wait_status(pid, sock, NULL, err);
}

static _Noreturn void helper_run(int sock, bool may_setgroups, int netns_fd,
				 int (*fn)(void *data, struct pd_error *err), void *data)
{
	struct pd_error e = { 0 };

	if (become_root(may_setgroups, &e) < 0)
		die(sock, &e);
	if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0) {
		pd_error_set(&e, errno, "join the network namespace");
		die(sock, &e);
	}
	if (fn(data, &e) < 0)
		die(sock, &e);
	_exit(0);
}

/*
 * Fork a helper with a socket to it: 0 in the helper (its end in *@sock),
 * its pid in the owner (the owner's end in *@sock), -1 with @err.
 */
static pid_t helper_fork(int *sock, struct pd_error *err)
{
	int sv[2];
	pid_t pid;

	pd_assert_single_threaded();
	if (pd_sync_pair(sv, err) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		pd_close(sv[0]);
		pd_close(sv[1]);
		return pd_error_set(err, errno, "fork a helper");
	}
	pd_close(sv[pid == 0 ? 0 : 1]);
	*sock = sv[pid == 0 ? 1 : 0];
	if (pid == 0)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	return pid;
}

int pd_userns_helper(int userns_fd, int netns_fd, int (*fn)(void *data, struct pd_error *err),
		     void *data, struct pd_error *err)
{
	int sock = -1, r;
	pid_t pid = helper_fork(&sock, err);

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct pd_error e = { 0 };

		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		if (setns(userns_fd, CLONE_NEWUSER) < 0) {
			pd_error_set(&e, errno, "join the user namespace");
			die(sock, &e);
		}
		/* The owner's groups stay (setgroups may be denied there). */
		helper_run(sock, false, netns_fd, fn, data);
	}
	r = helper_wait(pid, sock, err);
	pd_close(sock);
	return r;
}

static int helper_plan(const struct pd_idmap_plan *ids, int (*fn)(void *data, struct pd_error *err),
		       void *data, int *status, struct pd_error *err);

int pd_userns_helper_plan(const struct pd_idmap_plan *ids,
			  int (*fn)(void *data, struct pd_error *err), void *data,
			  struct pd_error *err)
{
	return helper_plan(ids, fn, data, NULL, err);
}

static int exec_cb(void *data, struct pd_error *err)
{
	char *const *argv = data;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	/* the command starts as from a shell: no signal ignored or blocked */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	{
		int e = errno;

		pd_error_set(err, e, "exec \"%s\"", argv[0]);
		/* as a shell says it: not found, or not executable */
		err->status = e == ENOENT || e == ENOTDIR ? 127 : 126;
		return -1;
	}
}

int pd_userns_exec_plan(const struct pd_idmap_plan *ids, char *const argv[], int *status,
			struct pd_error *err)
{
	if (!argv || !argv[0] || !argv[0][0])
		return pd_error_set(err, EINVAL, "no command");
	return helper_plan(ids, exec_cb, (void *)argv, status, err);
}

static int helper_plan(const struct pd_idmap_plan *ids, int (*fn)(void *data, struct pd_error *err),
		       void *data, int *status, struct pd_error *err)
{
	struct pd_sync_msg m;
	int sock = -1, r;
	pid_t pid = helper_fork(&sock, err);

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct pd_error e = { 0 };

		if (unshare(CLONE_NEWUSER) < 0) {
			pd_error_set(&e, errno, "a user namespace for the helper");
			die(sock, &e);
		}
		/* Maps are written by the owner: it says GO once they are. */
		if (pd_sync_send(sock, PD_SYNC_GO, 0, -1, NULL, 0) < 0 ||
		    pd_sync_recv(sock, &m) <= 0 || m.type != PD_SYNC_GO)
			_exit(125);
		/* Dumpable until then: the owner wrote our maps through /proc. */
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		helper_run(sock, ids->mode != PD_IDMAP_SINGLE, -1, fn, data);
	}
	if (pd_sync_recv(sock, &m) <= 0 || m.type != PD_SYNC_GO) {
		r = helper_wait(pid, sock, err);
		pd_close(sock);
		return r < 0 ? -1 : pd_error_set_msg(err, ECHILD, "the helper did not start");
	}
	if (pd_idmap_write(ids, pid, err) < 0 ||
	    pd_sync_send(sock, PD_SYNC_GO, 0, -1, NULL, 0) < 0) {
		if (!err->msg[0])
			pd_error_set(err, errno, "start the helper");
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		pd_close(sock);
		return -1;
	}
	r = helper_wait_status(pid, sock, status, err);
	pd_close(sock);
	return r;
}
