/* SPDX-License-Identifier: MIT */
/*
 * session_exec.c - the client side of `paude exec` (session_exec.h).
 *
 * One loop: the relay between paude's stdio and the ends of the process's
 * stdio the supervisor handed over (relay.c), the control connection on
 * which the exit status arrives, and the signals paude passes on (as a
 * "signal" request; SIGWINCH resizes the pty here, which the client holds).
 * The run ends once the status came and the output was relayed to its end.
 */
#include "session_exec.h"
#include "control.h"
#include "relay.h"
#include "run_owner.h"
#include "session_client.h"
#include "common/cleanup.h"
#include "common/loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

struct client {
	struct pd_loop *loop;
	struct pd_relay *relay;
	int ctl;
	struct pd_loop_source *ctl_src, *sig_src;
	bool exited;
	int status;
	struct pd_error fail;
	bool failed;
};

static void drained(void *data)
{
	struct client *c = data;

	pd_loop_stop(c->loop, 0);
}

static void on_ctl(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct client *c = data;
	struct pd_error err = { 0 };
	cJSON *msg = NULL;
	const cJSON *ex;
	int fds[1];
	size_t n = 0;
	int r;

	(void)events;
	r = pd_ctl_recv(c->ctl, &msg, fds, 0, &n, &err);
	if (r <= 0) {
		pd_loop_remove(src);
		c->ctl_src = NULL;
		if (!c->exited) {
			if (r == 0)
				pd_error_set_msg(&err, ECONNRESET,
						 "the session stopped while the command ran");
			c->fail = err;
			c->failed = true;
			c->status = 255;
			c->exited = true;
			pd_relay_drain(c->relay, true, drained, c);
		}
		return;
	}
	ex = cJSON_GetObjectItemCaseSensitive(msg, "exit");
	if (cJSON_IsNumber(ex) && !c->exited) {
		c->status = (int)ex->valuedouble;
		c->exited = true;
		pd_relay_drain(c->relay, false, drained, c);
	}
	cJSON_Delete(msg);
}

static void on_signal(struct pd_loop_source *src, const struct signalfd_siginfo *si, void *data)
{
	struct client *c = data;
	struct pd_error ignore;
	cJSON *req;

	(void)src;
	if (si->ssi_signo == SIGWINCH) {
		pd_relay_resize(c->relay);
		return;
	}
	if (c->exited) {
		pd_relay_drain(c->relay, true, drained, c);
		return;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", "signal");
	cJSON_AddNumberToObject(req, "sig", si->ssi_signo);
	(void)pd_ctl_send(c->ctl, req, NULL, 0, &ignore);
	cJSON_Delete(req);
}

static cJSON *request(const struct pd_exec_req *q, bool merge)
{
	cJSON *o = cJSON_CreateObject(), *a;
	struct winsize ws;

	cJSON_AddStringToObject(o, "op", "exec");
	a = cJSON_AddArrayToObject(o, "argv");
	for (const char *const *v = q->argv; *v; v++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*v));
	a = cJSON_AddArrayToObject(o, "env");
	for (char *const *v = q->env; v && *v; v++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*v));
	if (q->user)
		cJSON_AddStringToObject(o, "user", q->user);
	if (q->workdir)
		cJSON_AddStringToObject(o, "workdir", q->workdir);
	cJSON_AddNumberToObject(o, "caps", (double)q->caps);
	cJSON_AddBoolToObject(o, "tty", q->tty);
	cJSON_AddBoolToObject(o, "stdin", q->interactive);
	cJSON_AddBoolToObject(o, "merge", merge);
	if (q->tty && pd_relay_winsize(&ws)) {
		cJSON_AddNumberToObject(o, "rows", ws.ws_row);
		cJSON_AddNumberToObject(o, "cols", ws.ws_col);
	}
	return o;
}

/* Hand the fds of the answer to the relay. */
static int adopt(struct client *c, const struct pd_exec_req *q, bool merge, int *fds, size_t n,
		 struct pd_error *err)
{
	size_t want = q->tty ? 1 : (q->interactive ? 1 : 0) + 1 + (merge ? 0 : 1);
	size_t k = 0;
	int in = -1, out, errout = -1;

	if (n != want) {
		for (size_t i = 0; i < n; i++)
			pd_close(fds[i]);
		return pd_error_set_msg(err, EPROTO, "the supervisor sent %zu fds, not %zu", n,
					want);
	}
	if (q->tty)
		return pd_relay_pty(c->relay, fds[0], q->interactive, err);
	if (q->interactive)
		in = fds[k++];
	out = fds[k++];
	if (!merge)
		errout = fds[k++];
	return pd_relay_fds(c->relay, in, out, errout, err);
}

static int run(struct client *c, const struct pd_exec_req *q, const sigset_t *fwd,
	       struct pd_error *err)
{
	bool merge = !q->tty && pd_relay_same_output();
	cJSON *req = request(q, merge), *ans;
	int fds[PD_CTL_FDS_MAX];
	size_t n = 0;

	ans = pd_ctl_call(c->ctl, req, fds, PD_CTL_FDS_MAX, &n, err);
	cJSON_Delete(req);
	if (!ans)
		return -1;
	cJSON_Delete(ans);
	if (adopt(c, q, merge, fds, n, err) < 0)
		return -1;
	c->ctl_src = pd_loop_add_fd(c->loop, c->ctl, EPOLLIN, on_ctl, c, "control", err);
	c->sig_src = c->ctl_src ? pd_loop_add_signals(c->loop, fwd, on_signal, c, "signals", err)
				: NULL;
	if (!c->sig_src || pd_loop_run(c->loop, err) < 0)
		return -1;
	if (c->failed) {
		*err = c->fail;
		return -1;
	}
	return pd_relay_error(c->relay, err);
}

int pd_session_exec(const struct pd_session_paths *p, const struct pd_exec_req *q, int *status,
		    struct pd_error *err)
{
	struct client c = { .ctl = -1, .status = 255 };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigset_t fwd, orig;
	int r = -1;

	c.ctl = pd_session_control(p, err);
	if (c.ctl < 0)
		return pd_session_not_running(strrchr(p->dir, '/') + 1, err);
	pd_forward_sigset(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, &orig);
	sigaction(SIGPIPE, &ign, &old_pipe);
	c.loop = pd_loop_new(err);
	if (c.loop) {
		c.relay = pd_relay_new(c.loop);
		r = run(&c, q, &fwd, err);
	}
	*status = c.status;
	pd_relay_free(c.relay);
	pd_loop_remove(c.ctl_src);
	pd_loop_remove(c.sig_src);
	pd_loop_free(c.loop);
	pd_close(c.ctl);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return r;
}
