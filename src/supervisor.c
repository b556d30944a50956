/* SPDX-License-Identifier: MIT */
/*
 * supervisor.c - a running session's one process.
 *
 * Theory of operation
 * -------------------
 * `paude start` (and create) spawns `paude supervise NAME` detached (its
 * own session, stdio to DATA/NAME/supervisor.log) and waits on a pipe at
 * fd 3 for "ok" or the error that stopped it.  The supervisor:
 *  1. builds the sandbox from the session's config (session_spec.c) and
 *     creates it with no first command: paude's init stays up as pid 1;
 *  2. wires the proxied network (run_net.c) between create and start, so the
 *     proxy and the DNS server serve on this process's loop;
 *  3. once the sandbox is set up, runs the setup step as the sandbox's root
 *     with CAP_CHOWN/DAC_OVERRIDE/FOWNER only: the agent's user (made in
 *     the writable layer when the image lacks it), its home, the workspace,
 *     git's safe.directory, and the check that the image has tmux, git,
 *     bash and claude;
 *  4. starts the tmux session "claude" running the agent, as the agent;
 *  5. listens on RUN/NAME/control.sock (0700 directory, peers of its own uid
 *     only), writes its pid, and reports ready.
 * Then it serves: status, stop, exec (sup_exec.c).  The sandbox's init has
 * PDEATHSIG: if the supervisor dies, so does the sandbox (never a sandbox
 * without its proxy).  If the sandbox ends on its own, the supervisor writes
 * RUN/NAME/error and exits: `list` shows "error", `start` recovers.  A clean
 * stop (the request, or SIGTERM) sends SIGTERM to init (everyone inside gets
 * it), SIGKILL after STOP_GRACE_MS, and removes RUN/NAME.
 */
#include "supervisor.h"
#include "control.h"
#include "run_owner.h"
#include "session_creds.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP_GRACE_MS 10000
#define START_TIMEOUT_MS 300000
#define OUTPUT_MAX 4096

/*
 * The setup step (3. above), run by the image's sh as the sandbox's root with
 * root's environment (no PATH entry the agent can write: nothing it planted
 * runs with these capabilities).
 */
static const char setup_script[] =
	"set -e\n"
	"missing=\n"
	"for c in tmux git bash claude; do\n"
	"  command -v \"$c\" >/dev/null 2>&1 || missing=\"$missing $c\"\n"
	"done\n"
	"if [ -n \"$missing\" ]; then echo \"the image lacks:$missing\"; exit 3; fi\n"
	"if [ \"$1\" = agent ]; then\n"
	"  if ! grep -q '^paude:' /etc/passwd; then\n"
	"    grep -q '^paude:' /etc/group || echo 'paude:x:1000:' >>/etc/group\n"
	"    echo 'paude:x:1000:1000:paude:/home/paude:/bin/bash' >>/etc/passwd\n"
	"  fi\n"
	"  mkdir -p /home/paude /pvc/workspace\n"
	/* the agent's own directories; a link there (the agent made it) is
	 * never followed by chown: refused, or left alone */
	"  for p in /pvc /pvc/workspace /home/paude; do\n"
	"    if [ -L \"$p\" ]; then echo \"$p is a symbolic link\"; exit 4; fi\n"
	"    [ \"$(stat -c %U \"$p\")\" = paude ] || chown -h paude:paude \"$p\"\n"
	"  done\n"
	"  if [ ! -L /home/paude/.config ]; then\n"
	"    for d in .config .config/git .config/gcloud; do\n"
	"      p=/home/paude/$d\n"
	"      if [ -d \"$p\" ] && [ ! -L \"$p\" ] && [ \"$(stat -c %U \"$p\")\" != paude ]; then\n"
	"        chown -h paude:paude \"$p\"\n"
	"      fi\n"
	"    done\n"
	"  fi\n"
	"else\n"
	"  mkdir -p /pvc/workspace\n"
	"fi\n"
	"git config --system --get-all safe.directory 2>/dev/null | grep -qx /pvc/workspace ||\n"
	"  git config --system --add safe.directory /pvc/workspace\n";

static void say_ready(struct sup *sup, const char *text)
{
	if (sup->ready_fd < 0)
		return;
	(void)pd_write_all(sup->ready_fd, text, strlen(text));
	close(sup->ready_fd);
	sup->ready_fd = -1;
}

static void fail(struct sup *sup, const struct pd_error *err)
{
	char buf[PD_ERROR_MSG_MAX + 8];

	fprintf(stderr, "paude supervisor: %s\n", err->msg);
	snprintf(buf, sizeof(buf), "error %s", err->msg);
	if (sup->ready_fd >= 0) {
		say_ready(sup, buf);
	} else {
		char path[4200];
		cleanup_close int dir = open(sup->p.run, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		snprintf(path, sizeof(path), "%s/error", sup->p.run);
		if (dir >= 0)
			(void)pd_replace_file_at(dir, "error", err->msg, strlen(err->msg), 0600,
						 NULL);
	}
	sup->status = 1;
	if (sup->loop)
		pd_loop_stop(sup->loop, 1);
}

/* ---- processes in the sandbox ---- */

static void proc_ready(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct sup_proc *p = data;
	siginfo_t si = { 0 };
	int status;

	(void)src;
	(void)events;
	if (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) < 0) {
		if (errno == EINTR)
			return;
		/* cannot be reaped (someone else did): never spin on its pidfd */
		status = 255;
	} else if (si.si_pid == 0) {
		return;
	} else {
		status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	}
	pd_loop_remove(p->src);
	p->src = NULL;
	p->pid = 0;
	p->done(p, status);
}

struct sup_proc *sup_spawn(struct sup *sup, struct pd_process *proc, bool capture, int *master_out,
			   void (*done)(struct sup_proc *, int), void *data, struct pd_error *err)
{
	struct sup_proc *p = pd_xcalloc(1, sizeof(*p));
	int pipefd[2] = { -1, -1 };
	int master = -1, r;

	p->sup = sup;
	p->out = p->pidfd = -1;
	p->done = done;
	p->data = data;
	proc->seccomp = &sup->ss.prog;
	if (capture) {
		if (pipe2(pipefd, O_CLOEXEC) < 0) {
			free(p);
			pd_error_set(err, errno, "pipe");
			return NULL;
		}
		proc->stdio[1] = proc->stdio[2] = pipefd[1];
	}
	r = pd_sandbox_exec(sup->sb, proc, &p->pid, &p->pidfd, &master, err);
	if (master_out)
		*master_out = master;
	else
		pd_close(master);
	pd_close(pipefd[1]);
	p->out = pipefd[0];
	if (r < 0) {
		sup_proc_free(p);
		return NULL;
	}
	p->src = pd_loop_add_fd(sup->loop, p->pidfd, EPOLLIN, proc_ready, p, "exec pidfd", err);
	if (!p->src) {
		sup_proc_free(p);
		return NULL;
	}
	return p;
}

void sup_proc_output(struct sup_proc *p, char *buf, size_t cap)
{
	ssize_t n = 0;

	buf[0] = '\0';
	if (p->out < 0 || cap == 0)
		return;
	(void)fcntl(p->out, F_SETFL, O_NONBLOCK);
	n = read(p->out, buf, cap - 1);
	buf[n > 0 ? n : 0] = '\0';
	/* the sandbox wrote it, a terminal will show it: no control bytes */
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] == 0x7f ||
		    (unsigned char)buf[i] >= 0x80)
			buf[i] = buf[i] == '\n' ? '\n' : '?';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

void sup_proc_free(struct sup_proc *p)
{
	if (!p)
		return;
	pd_loop_remove(p->src);
	if (p->pid > 0 && p->pidfd >= 0) {
		siginfo_t si;

		(void)syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
		(void)waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED);
	}
	pd_close(p->pidfd);
	pd_close(p->out);
	free(p);
}

/* ---- start-up: setup step, then the agent's tmux ---- */

static int listen_control(struct sup *sup, struct pd_error *err);

/*
 * A start-up step ended: its output into @out, the process freed.
 * Return: false when the supervisor was asked to stop meanwhile (go no further).
 */
static bool step_end(struct sup_proc *p, char *out, size_t cap)
{
	struct sup *sup = p->sup;

	sup_proc_output(p, out, cap);
	sup_proc_free(p);
	return !sup->stopping;
}

/* Setting up, seeding, starting the agent took too long: the agent may be stalling it. */
static void on_start_timeout(struct pd_loop_source *src, uint64_t n, void *data)
{
	struct sup *sup = data;
	struct pd_error err = { 0 };

	(void)src;
	(void)n;
	pd_error_set_msg(&err, ETIMEDOUT, "the session did not start within %d s",
			 START_TIMEOUT_MS / 1000);
	fail(sup, &err);
}

static void agent_started(struct sup_proc *p, int status)
{
	struct sup *sup = p->sup;
	struct pd_error err = { 0 };
	char out[OUTPUT_MAX];

	if (!step_end(p, out, sizeof(out)))
		return;
	if (status != 0) {
		pd_error_set_msg(&err, EIO,
				 "the agent's tmux session did not start (status %d)%s%s", status,
				 out[0] ? ": " : "", out);
		fail(sup, &err);
		return;
	}
	pd_loop_remove(sup->start_timer);
	sup->start_timer = NULL;
	sup->running = true;
	say_ready(sup, "ok");
	fprintf(stderr, "paude supervisor: session '%s' running\n", sup->s.name);
}

static void start_agent(struct sup *sup)
{
	struct pd_error err = { 0 };
	cleanup_free char *cmd = pd_session_agent_command(&sup->s, sup->first_start);
	const char *argv[] = {
		"tmux", "new-session",        "-d", "-s", "claude", "-x", "200", "-y", "50",
		"-c",   PD_SESSION_WORKSPACE, cmd,  NULL
	};
	struct pd_process proc = {
		.argv = (char **)argv,
		.env = sup->ss.env,
		.workdir = PD_SESSION_WORKSPACE,
		.user = sup->ss.user,
		.stdio = { -1, -1, -1 },
	};

	if (!sup_spawn(sup, &proc, true, NULL, agent_started, NULL, &err))
		fail(sup, &err);
}

static void seed_done(struct sup_proc *p, int status)
{
	struct sup *sup = p->sup;
	char out[OUTPUT_MAX];

	if (!step_end(p, out, sizeof(out)))
		return;
	/* a copy that failed leaves the agent to sign in again: said, not fatal */
	if (status != 0)
		fprintf(stderr, "paude supervisor: copying ~/.claude in failed (status %d): %s\n",
			status, out);
	start_agent(sup);
}

/* First start: ~/.claude and ~/.claude.json into the agent's home, as the agent. */
static void seed_claude(struct sup *sup)
{
	struct pd_error err = { 0 };
	const char *argv[] = { "tar", "-x", "--no-same-owner", "-f", "-", "-C", sup->ss.home, NULL };
	struct pd_process proc = {
		.argv = (char **)argv,
		.env = sup->ss.env,
		.workdir = sup->ss.home,
		.user = sup->ss.user,
		.stdio = { sup->seed_fd, -1, -1 },
	};
	struct sup_proc *p = sup_spawn(sup, &proc, true, NULL, seed_done, NULL, &err);

	pd_close(sup->seed_fd);
	sup->seed_fd = -1;
	if (!p)
		fail(sup, &err);
}

static void setup_done(struct sup_proc *p, int status)
{
	struct sup *sup = p->sup;
	struct pd_error err = { 0 };
	char out[OUTPUT_MAX];

	if (!step_end(p, out, sizeof(out)))
		return;
	if (status == 3 && pd_str_has_prefix(out, "the image lacks:")) {
		pd_error_set_msg(&err, ENOENT,
				 "image %s: %s (a session needs tmux, git, bash and claude)",
				 sup->s.image, out + 4);
		fail(sup, &err);
		return;
	}
	if (status != 0) {
		pd_error_set_msg(&err, EIO, "the session's setup step failed (status %d)%s%s",
				 status, out[0] ? ": " : "", out);
		fail(sup, &err);
		return;
	}
	if (sup->seed_fd >= 0)
		seed_claude(sup);
	else
		start_agent(sup);
}

static void run_setup(struct sup *sup)
{
	struct pd_error err = { 0 };
	const char *argv[] = {
		"/bin/sh", "-c", setup_script, "setup", sup->s.agent_root ? "root" : "agent", NULL
	};
	struct pd_process proc = {
		.argv = (char **)argv,
		.env = sup->ss.root_env,
		.workdir = "/",
		.caps = (1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_FOWNER),
		.stdio = { -1, -1, -1 },
	};

	if (!sup_spawn(sup, &proc, true, NULL, setup_done, NULL, &err))
		fail(sup, &err);
}

/* ---- the sandbox's events ---- */

static void on_sync(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct sup *sup = data;
	struct pd_sandbox_event ev;
	struct pd_error err = { 0 };
	int r;

	(void)events;
	r = pd_sandbox_next_event(sup->sb, &ev, &err);
	if (r < 0) {
		fail(sup, &err);
		return;
	}
	if (r == 0) { /* set up: init is waiting */
		pd_loop_remove(src);
		sup->sync_src = NULL;
		if (!sup->stopping)
			run_setup(sup);
		return;
	}
	if (ev.type == PD_SANDBOX_EV_ERROR)
		fail(sup, &ev.err);
	else if (ev.type == PD_SANDBOX_EV_PTY)
		pd_close(ev.fd);
}

static void answer_stoppers(struct sup *sup)
{
	for (struct sup_client *c = sup->clients; c; c = c->next) {
		if (!c->wants_stop)
			continue;
		cJSON *ok = cJSON_CreateObject();

		cJSON_AddBoolToObject(ok, "ok", true);
		sup_client_send(c, ok, NULL, 0);
		c->wants_stop = false;
	}
}

static void on_sandbox_end(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct sup *sup = data;
	struct pd_error err = { 0 };
	int status = 0, r;

	(void)events;
	r = pd_sandbox_reap(sup->sb, &status, &err);
	if (r == 0)
		return;
	pd_loop_remove(src);
	sup->pid_src = NULL;
	if (r < 0) {
		fail(sup, &err);
		return;
	}
	if (sup->stopping) {
		answer_stoppers(sup);
		pd_loop_stop(sup->loop, 0);
		return;
	}
	pd_error_set_msg(&err, 0, "the sandbox ended on its own (status %d)", status);
	fail(sup, &err);
}

static void on_kill_timer(struct pd_loop_source *src, uint64_t n, void *data)
{
	struct sup *sup = data;

	(void)src;
	(void)n;
	fprintf(stderr, "paude supervisor: the sandbox did not stop in %d s: killing it\n",
		STOP_GRACE_MS / 1000);
	(void)pd_sandbox_kill(sup->sb, SIGKILL);
}

static void begin_stop(struct sup *sup)
{
	struct pd_error err = { 0 };

	if (sup->stopping)
		return;
	sup->stopping = true;
	sup->running = false;
	fprintf(stderr, "paude supervisor: stopping session '%s'\n", sup->s.name);
	if (!sup->pid_src) {
		pd_loop_stop(sup->loop, 0);
		return;
	}
	(void)pd_sandbox_kill(sup->sb, SIGTERM);
	sup->kill_timer = pd_loop_add_timer(sup->loop, STOP_GRACE_MS, false, on_kill_timer, sup,
					    "stop", &err);
	if (!sup->kill_timer)
		(void)pd_sandbox_kill(sup->sb, SIGKILL);
}

static void on_signal(struct pd_loop_source *src, const struct signalfd_siginfo *si, void *data)
{
	(void)src;
	(void)si;
	begin_stop(data);
}

/* ---- the control socket ---- */

void sup_client_send(struct sup_client *c, cJSON *msg, const int *fds, size_t n)
{
	struct pd_error err = { 0 };

	if (c->fd >= 0 && pd_ctl_send(c->fd, msg, fds, n, &err) < 0)
		fprintf(stderr, "paude supervisor: %s\n", err.msg);
	cJSON_Delete(msg);
}

void sup_client_unlink(struct sup_client *c)
{
	for (struct sup_client **pp = &c->sup->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->next = NULL;
}

/* Free @c, which is on no list. */
static void client_destroy(struct sup_client *c)
{
	pd_loop_remove(c->src);
	pd_close(c->fd);
	sup_proc_free(c->proc);
	free(c);
}

static void client_free(struct sup_client *c)
{
	sup_client_unlink(c);
	client_destroy(c);
}

static void status_request(struct sup_client *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", true);
	cJSON_AddStringToObject(o, "state",
				c->sup->stopping  ? "stopping"
				: c->sup->running ? "running"
						  : "starting");
	cJSON_AddNumberToObject(o, "pid", getpid());
	cJSON_AddStringToObject(o, "image", c->sup->s.image);
	sup_client_send(c, o, NULL, 0);
}

#define POLICY_ENTRIES_MAX 1024

/* Replace the proxy's allowlist: new connections and DNS answers follow it at once. */
static void policy_request(struct sup_client *c, const cJSON *req)
{
	struct sup *sup = c->sup;
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(req, "allowed_domains"), *e;
	struct pd_error err = { 0 };
	cleanup_strv char **v = pd_xcalloc(1, sizeof(char *));
	cJSON *ok;

	if (!sup->ss.net || !sup->running) {
		sup_client_send(c,
				pd_ctl_error_msg(sup->ss.net ? "the session is not running"
							     : "the session has no proxy",
						 1),
				NULL, 0);
		return;
	}
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > POLICY_ENTRIES_MAX) {
		sup_client_send(c, pd_ctl_error_msg("policy: a malformed request", 2), NULL, 0);
		return;
	}
	cJSON_ArrayForEach (e, a) {
		if (!cJSON_IsString(e)) {
			sup_client_send(c, pd_ctl_error_msg("policy: a malformed request", 2), NULL,
					0);
			return;
		}
		pd_strv_push(&v, e->valuestring);
	}
	if (pd_run_net_set_policy(sup->ss.net, sup->sb, v, &err) < 0) {
		sup_client_send(c, pd_ctl_error_msg(err.msg, 2), NULL, 0);
		return;
	}
	fprintf(stderr, "paude supervisor: allowlist replaced (%zu entries)\n", pd_strv_len(v));
	ok = cJSON_CreateObject();
	cJSON_AddBoolToObject(ok, "ok", true);
	sup_client_send(c, ok, NULL, 0);
}

static void on_client(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct sup_client *c = data;
	struct pd_error err = { 0 };
	cJSON *req = NULL;
	const cJSON *op;
	int fds[PD_CTL_FDS_MAX];
	size_t n = 0;
	int r;

	(void)src;
	(void)events;
	r = pd_ctl_recv(c->fd, &req, fds, 0, &n, &err);
	if (r <= 0) {
		if (r < 0 && err.code != ECONNRESET)
			fprintf(stderr, "paude supervisor: %s\n", err.msg);
		if (c->proc) {
			/* the client went: its process is told so, and reaped later */
			pd_loop_remove(c->src);
			c->src = NULL;
			pd_close(c->fd);
			c->fd = -1;
			sup_exec_hangup(c);
		} else {
			client_free(c);
		}
		return;
	}
	op = cJSON_GetObjectItemCaseSensitive(req, "op");
	if (!cJSON_IsString(op)) {
		sup_client_send(c, pd_ctl_error_msg("a request without \"op\"", 125), NULL, 0);
	} else if (!strcmp(op->valuestring, "status")) {
		status_request(c);
	} else if (!strcmp(op->valuestring, "stop")) {
		c->wants_stop = true;
		begin_stop(c->sup);
		if (!c->sup->pid_src)
			answer_stoppers(c->sup);
	} else if (!strcmp(op->valuestring, "policy")) {
		policy_request(c, req);
	} else if (!strcmp(op->valuestring, "exec") || !strcmp(op->valuestring, "signal")) {
		sup_exec_request(c, req);
	} else {
		sup_client_send(c, pd_ctl_error_msg("unknown request", 125), NULL, 0);
	}
	cJSON_Delete(req);
}

static void on_accept(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct sup *sup = data;
	struct pd_error err = { 0 };
	struct sup_client *c;
	int fd;

	(void)src;
	(void)events;
	fd = accept4(sup->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (!pd_ctl_peer_ok(fd)) {
		close(fd);
		return;
	}
	c = pd_xcalloc(1, sizeof(*c));
	c->sup = sup;
	c->fd = fd;
	c->src = pd_loop_add_fd(sup->loop, fd, EPOLLIN, on_client, c, "control client", &err);
	if (!c->src) {
		close(fd);
		free(c);
		return;
	}
	c->next = sup->clients;
	sup->clients = c;
}

static int listen_control(struct sup *sup, struct pd_error *err)
{
	char path[4200], pid[32];
	cleanup_close int dir = -1;

	snprintf(path, sizeof(path), "%s/%s", sup->p.run, PD_SESSION_SOCKET);
	sup->listen_fd = pd_ctl_listen(path, err);
	if (sup->listen_fd < 0)
		return -1;
	{
		struct stat st;

		if (stat(path, &st) == 0)
			sup->sock_ino = st.st_ino;
	}
	sup->listen_src =
		pd_loop_add_fd(sup->loop, sup->listen_fd, EPOLLIN, on_accept, sup, "control", err);
	if (!sup->listen_src)
		return -1;
	dir = open(sup->p.run, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (dir < 0 || pd_replace_file_at(dir, "supervisor.pid", pid, strlen(pid), 0600, err) < 0)
		return pd_error_wrap(err, "session run directory \"%s\"", sup->p.run);
	return 0;
}

/* ---- the whole life ---- */

static int sandbox_up(struct sup *sup, const sigset_t *stops, struct pd_error *err)
{
	struct pd_sandbox_spec *spec = &sup->ss.spec;

	spec->process.stdio[0] = spec->process.stdio[1] = spec->process.stdio[2] = -1;
	if (pd_sandbox_create(spec, &sup->sb, err) < 0)
		return -1;
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (sup->ss.net) {
		pd_run_net_hooks(sup->ss.net, &sup->hooks);
		if (sup->hooks.attach(sup->hooks.data, sup->loop, sup->sb, err) < 0)
			return -1;
		sup->attached = true;
	}
	sup->sync_src = pd_loop_add_fd(sup->loop, pd_sandbox_sync_fd(sup->sb), EPOLLIN, on_sync,
				       sup, "sandbox sync", err);
	sup->pid_src = sup->sync_src ? pd_loop_add_fd(sup->loop, pd_sandbox_pidfd(sup->sb), EPOLLIN,
						      on_sandbox_end, sup, "sandbox pidfd", err)
				     : NULL;
	sup->sig_src =
		sup->pid_src ? pd_loop_add_signals(sup->loop, stops, on_signal, sup, "signals", err)
			     : NULL;
	if (!sup->sig_src)
		return -1;
	return pd_sandbox_start(sup->sb, err);
}

static void teardown(struct sup *sup)
{
	char path[4200];

	while (sup->clients) {
		struct sup_client *c = sup->clients;

		sup->clients = c->next;
		client_destroy(c);
	}
	pd_loop_remove(sup->listen_src);
	pd_close(sup->listen_fd);
	pd_loop_remove(sup->sync_src);
	pd_loop_remove(sup->pid_src);
	pd_loop_remove(sup->sig_src);
	pd_loop_remove(sup->kill_timer);
	pd_sandbox_destroy(sup->sb);
	if (sup->attached && sup->hooks.detach)
		sup->hooks.detach(sup->hooks.data);
	pd_loop_remove(sup->start_timer);
	snprintf(path, sizeof(path), "%s/%s", sup->p.run, PD_SESSION_SOCKET);
	{
		struct stat st;

		/* only our own socket: never another supervisor's */
		if (sup->sock_ino && stat(path, &st) == 0 && st.st_ino == sup->sock_ino)
			unlink(path);
	}
	if (sup->status == 0) {
		snprintf(path, sizeof(path), "%s/supervisor.pid", sup->p.run);
		unlink(path);
		snprintf(path, sizeof(path), "%s/error", sup->p.run);
		unlink(path);
		/* still held (the fd closes last): whoever looks now sees no file */
		snprintf(path, sizeof(path), "%s/%s", sup->p.run, PD_SUPERVISOR_LOCK);
		unlink(path);
		rmdir(sup->p.run);
	}
}

/*
 * RUN/NAME/supervisor.lock, write-locked (fcntl) for the supervisor's whole
 * life: a client that gets no answer on the socket still knows the
 * supervisor is alive (F_GETLK names it), and never takes its place.
 */
static int hold_alive_lock(struct sup *sup, struct pd_error *err)
{
	char path[4200];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	snprintf(path, sizeof(path), "%s/%s", sup->p.run, PD_SUPERVISOR_LOCK);
	sup->alive_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (sup->alive_fd < 0)
		return pd_error_set(err, errno, "\"%s\"", path);
	if (fcntl(sup->alive_fd, F_SETLK, &fl) < 0)
		return pd_error_set(err, errno == EAGAIN || errno == EACCES ? EBUSY : errno,
				    "\"%s\": another supervisor runs this session", path);
	return 0;
}

static void mark_started(struct sup *sup)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/started", sup->p.dir);
	sup->first_start = access(path, F_OK) != 0;
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	pd_close(fd);
}

int pd_supervise(const char *name, struct pd_error *err)
{
	struct sup sup = {
		.ready_fd = PD_SUPERVISOR_READY_FD, .listen_fd = -1, .seed_fd = -1, .alive_fd = -1
	};
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t stops;
	int r = -1;

	if (fcntl(sup.ready_fd, F_SETFD, FD_CLOEXEC) < 0)
		sup.ready_fd = -1;
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_BLOCK, &stops, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	signal(SIGCHLD, SIG_DFL); /* its children are reaped through their pidfds */
	if (pd_session_paths(name, &sup.p, err) < 0 || pd_session_load(&sup.p, &sup.s, err) < 0)
		goto out;
	if (mkdir(sup.p.run, 0700) < 0 && errno != EEXIST) {
		pd_error_set(err, errno, "mkdir \"%s\"", sup.p.run);
		goto out;
	}
	if (hold_alive_lock(&sup, err) < 0)
		goto out;
	mark_started(&sup);
	if (pd_session_spec_build(&sup.s, &sup.p, environ, &sup.ss, err) < 0)
		goto out;
	if (sup.first_start &&
	    pd_creds_claude_seed(getenv("HOME"), sup.ss.home, &sup.seed_fd, err) < 0)
		goto out;
	sup.loop = pd_loop_new(err);
	/* the control socket from the start: `stop` works while it starts */
	if (!sup.loop || sandbox_up(&sup, &stops, err) < 0 || listen_control(&sup, err) < 0)
		goto out;
	sup.start_timer = pd_loop_add_timer(sup.loop, START_TIMEOUT_MS, false, on_start_timeout,
					    &sup, "start", err);
	if (!sup.start_timer)
		goto out;
	if (pd_loop_run(sup.loop, err) < 0)
		goto out;
	r = 0;
out:
	if (r < 0) {
		sup.status = 1;
		fail(&sup, err);
	}
	if (sup.loop)
		teardown(&sup);
	pd_loop_free(sup.loop);
	pd_close(sup.seed_fd);
	pd_close(sup.alive_fd); /* last: the supervisor is gone once this lock is */
	pd_session_spec_release(&sup.ss);
	pd_session_release(&sup.s);
	say_ready(&sup, "error the supervisor ended before the session was ready");
	return sup.status;
}
