/* SPDX-License-Identifier: MIT */
/*
 * init.c - paude's pid 1 inside the sandbox.
 *
 * Once the command is forked, init keeps nothing of paude's: the sync socket
 * and every other fd are closed, stdio is /dev/null, it is non-dumpable (so
 * /proc/1/exe, /proc/1/environ, /proc/1/fd are closed to the sandbox) and its
 * command line is blanked.  It holds no capability but CAP_KILL, has
 * no_new_privs and a seccomp filter of its own (init_filter.c).  It then only waits for signals:
 *  - SIGCHLD: reap every zombie (orphans are reparented to pid 1); when the
 *    command itself exits, exit with its status (128+N for a signal), which
 *    tears the whole pid namespace down - unless init stays up (a session's
 *    sandbox, init_stays): then it goes on reaping what comes and goes; a
 *    child that made init its tracer (PTRACE_TRACEME, an anti-debugging
 *    idiom) is detached, not taken for dead;
 *  - a forwarded signal (from paude on the host, or sent to pid 1 from
 *    inside): pass it on to the command; staying up, a stop signal (TERM,
 *    INT, HUP, QUIT) goes to every process of the sandbox, and init exits
 *    with 128+N once they are all gone (the owner may SIGKILL it sooner).
 * The kernel drops signals a pid-namespace init has no handler for; here all
 * of them are blocked and taken with sigwaitinfo, so they queue instead.
 */
#include "sandbox.h"
#include "common/cleanup.h"
#include "common/proctitle.h"
#include "sync.h"

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Give up what setting the sandbox up took: every capability but CAP_KILL
 * (a command of another uid must still get its signals), no_new_privs, and
 * a filter of only the calls the loop below makes.  A failure is reported
 * like a setup step's, and the sandbox ends.
 */
static void drop_privileges(int sync, const struct pd_limits_plan *lp, pid_t command)
{
	struct pd_error err = { 0 };

	/* Signals queued to init count against init's own limit, and are
	 * charged to the caller's uid on the host too: the same share. */
	if (pd_limits_apply_quota_rlimits(lp, &err) == 0 &&
	    pd_caps_keep_only(CAP_KILL, &err) == 0 && pd_init_filter_apply(&err) == 0)
		return;
	pd_error_wrap(&err, "paude's init");
	pd_sync_send_error(sync, &err);
	if (command > 0)
		(void)kill(command, SIGKILL);
	_exit(125);
}

static bool is_stop_signal(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}

_Noreturn void pd_init_run(int sync, const struct pd_limits_plan *lp, bool stays, pid_t command)
{
	int stop_sig = 0;
	sigset_t all;
	int fd;

	sigfillset(&all); /* already blocked since before the fork (sandbox.c) */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; fd >= 0 && i < 3; i++)
		(void)dup2(fd, i);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	pd_proctitle_set("paude-init");
	drop_privileges(sync, lp, command);
	(void)close_range(3, ~0U, 0);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* Staying up, a stop signal stops everyone, then init. */
			if (stays && is_stop_signal(sig)) {
				stop_sig = sig;
				(void)kill(-1, sig);
			} else if (command > 0) {
				(void)kill(command, sig);
			}
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG | __WALL);

			if (p < 0 && errno == ECHILD && stop_sig)
				_exit(128 + stop_sig); /* everyone is gone */
			if (p <= 0)
				break;
			/* A child that made init its tracer (PTRACE_TRACEME) reports
			 * its stops here: let it go on, with its signal. */
			if (WIFSTOPPED(st)) {
				(void)syscall(SYS_ptrace, PTRACE_DETACH, (long)p, 0L,
					      (long)WSTOPSIG(st));
				continue;
			}
			if (p != command)
				continue;
			command = 0;
			if (stays)
				continue;
			if (WIFSIGNALED(st))
				_exit(128 + WTERMSIG(st));
			_exit(WEXITSTATUS(st));
		}
	}
}
