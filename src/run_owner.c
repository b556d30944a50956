/* SPDX-License-Identifier: MIT */
/*
 * run_owner.c - `paude run` as a sandbox's owner: one loop, from create to
 * the last byte of output.
 *
 * Theory of operation
 * -------------------
 * What the runtime leaves to its owner happens here, and only here: the
 * signals paude forwards are blocked and read from the loop (a signalfd),
 * SIGPIPE is ignored (a reader that goes away is an EPIPE the relay handles),
 * and paude turns non-dumpable once the sandbox exists (its /proc/self is
 * root's from then on, so nothing in the sandbox can reach paude's memory
 * through a mapped uid).  The loop serves:
 *  - the sandbox's sync fd: a step's error (the first one wins), the pty
 *    master with -t, end-of-file once the command was exec'd;
 *  - its pidfd: the sandbox ended; the relay then drains the output and the
 *    run ends when it has;
 *  - the forwarded signals: SIGWINCH resizes the pty, the rest go to the
 *    sandbox's init, which passes them on;
 *  - the stdio relay (relay.c).
 * Everything is restored before returning, whatever happened.
 */
#include "run_owner.h"
#include "relay.h"
#include "common/cleanup.h"
#include "common/loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

struct owner {
	struct pd_loop *loop;
	struct pd_sandbox *sb;
	struct pd_relay *relay;
	const struct pd_sandbox_spec *spec;
	const struct pd_run_hooks *hooks;
	bool attached;
	bool interactive;
	struct pd_loop_source *sync_src, *pid_src, *sig_src;
	struct pd_error child_err;
	bool have_err, exited, stopping;
	int status;
	struct pd_error fail; /* paude's own failure on the way */
	bool failed;
};

void pd_forward_sigset(sigset_t *set)
{
	static const int sigs[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGWINCH,
	};

	sigemptyset(set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		/* Under nohup (SIGHUP ignored) a hangup is not passed on either.
		 * SIGINT and SIGQUIT are, even when ignored: a shell ignores them
		 * for every background job, and `kill -INT` must still reach the
		 * command (as with podman). */
		if (sigs[i] == SIGHUP && sigaction(SIGHUP, NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaddset(set, sigs[i]);
	}
}

static bool is_stop_signal(uint32_t sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}

static void fail(struct owner *o, const struct pd_error *err)
{
	if (!o->failed) {
		o->fail = *err;
		o->failed = true;
	}
	pd_loop_stop(o->loop, 1);
}

static void drained(void *data)
{
	struct owner *o = data;

	pd_loop_stop(o->loop, 0);
}

/* One message from the sandbox. */
static void on_sync(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct owner *o = data;
	struct pd_sandbox_event ev;
	struct pd_error err = { 0 };
	int r;

	(void)events;
	r = pd_sandbox_next_event(o->sb, &ev, &err);
	if (r < 0) {
		fail(o, &err);
		return;
	}
	if (r == 0) { /* exec'd, or gone: nothing more comes */
		pd_loop_remove(src);
		o->sync_src = NULL;
		return;
	}
	switch (ev.type) {
	case PD_SANDBOX_EV_ERROR:
		if (!o->have_err) {
			o->child_err = ev.err;
			o->have_err = true;
		}
		break;
	case PD_SANDBOX_EV_PTY:
		if (pd_relay_pty(o->relay, ev.fd, o->interactive, &err) < 0)
			fail(o, &err);
		break;
	case PD_SANDBOX_EV_NONE:
	case PD_SANDBOX_EV_SYNC_CLOSED:
	default:
		break;
	}
}

static void on_exit_ready(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct owner *o = data;
	struct pd_error err = { 0 };
	int r;

	(void)events;
	r = pd_sandbox_reap(o->sb, &o->status, &err);
	if (r < 0) {
		fail(o, &err);
		return;
	}
	if (r == 0)
		return;
	pd_loop_remove(src);
	o->pid_src = NULL;
	o->exited = true;
	pd_relay_drain(o->relay, o->stopping, drained, o);
}

static void on_signal(struct pd_loop_source *src, const struct signalfd_siginfo *si, void *data)
{
	struct owner *o = data;

	(void)src;
	if (si->ssi_signo == SIGWINCH) {
		pd_relay_resize(o->relay);
		return;
	}
	if (is_stop_signal(si->ssi_signo)) {
		o->stopping = true;
		if (o->exited) /* draining: stop waiting for a slow reader */
			pd_relay_drain(o->relay, true, drained, o);
	}
	if (!o->exited)
		(void)pd_sandbox_kill(o->sb, (int)si->ssi_signo);
}

/* A late error (an exec failure) may still be queued on the sync socket. */
static void read_late_events(struct owner *o)
{
	while (o->sync_src) {
		struct pd_loop_source *s = o->sync_src;

		on_sync(s, EPOLLIN, o);
		if (o->sync_src == s && !o->failed)
			continue;
		break;
	}
}

static int watch(struct owner *o, const sigset_t *fwd, struct pd_error *err)
{
	o->sync_src = pd_loop_add_fd(o->loop, pd_sandbox_sync_fd(o->sb), EPOLLIN, on_sync, o,
				     "sandbox sync", err);
	if (!o->sync_src)
		return -1;
	o->pid_src = pd_loop_add_fd(o->loop, pd_sandbox_pidfd(o->sb), EPOLLIN, on_exit_ready, o,
				    "sandbox pidfd", err);
	if (!o->pid_src)
		return -1;
	o->sig_src = pd_loop_add_signals(o->loop, fwd, on_signal, o, "signals", err);
	return o->sig_src ? 0 : -1;
}

static int own(struct owner *o, struct pd_sandbox_spec *spec, const sigset_t *fwd,
	       struct pd_error *err)
{
	int child[3] = { -1, -1, -1 };
	int r;

	if (!spec->process.tty && pd_relay_pipes(o->relay, o->interactive, child, err) < 0)
		return -1;
	memcpy(spec->process.stdio, child, sizeof(child));
	if (spec->process.tty)
		spec->process.have_winsize = pd_relay_winsize(&spec->process.winsize);
	r = pd_sandbox_create(spec, &o->sb, err);
	for (int i = 0; i < 3; i++)
		pd_close(child[i]); /* the sandbox has them now */
	if (r < 0)
		return -1;
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (o->hooks && o->hooks->attach) {
		if (o->hooks->attach(o->hooks->data, o->loop, o->sb, err) < 0)
			return -1;
		o->attached = true;
	}
	if (watch(o, fwd, err) < 0 || pd_sandbox_start(o->sb, err) < 0)
		return -1;
	if (pd_loop_run(o->loop, err) < 0)
		return -1;
	if (o->failed) {
		*err = o->fail;
		return -1;
	}
	read_late_events(o);
	if (o->have_err) {
		*err = o->child_err;
		return -1;
	}
	if (o->failed) {
		*err = o->fail;
		return -1;
	}
	return pd_relay_error(o->relay, err);
}

int pd_run_owned(struct pd_sandbox_spec *spec, bool interactive, const struct pd_run_hooks *hooks,
		 int *status, struct pd_error *err)
{
	struct owner o = { .spec = spec, .interactive = interactive, .hooks = hooks };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigset_t fwd, orig;
	int r = -1;

	pd_forward_sigset(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, &orig);
	sigaction(SIGPIPE, &ign, &old_pipe);
	spec->process.sigmask = orig;
	o.loop = pd_loop_new(err);
	if (o.loop) {
		o.relay = pd_relay_new(o.loop); /* while paude is dumpable */
		r = own(&o, spec, &fwd, err);
		*status = o.status;
	}
	pd_relay_free(o.relay);
	pd_loop_remove(o.sync_src);
	pd_loop_remove(o.pid_src);
	pd_loop_remove(o.sig_src);
	pd_sandbox_destroy(o.sb);
	if (o.attached && hooks->detach)
		hooks->detach(hooks->data);
	pd_loop_free(o.loop);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return r;
}
