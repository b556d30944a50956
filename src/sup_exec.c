/* SPDX-License-Identifier: MIT */
/*
 * sup_exec.c - `paude exec` as the supervisor serves it.
 *
 * The client's fds never enter the sandbox: the supervisor makes the
 * process's stdio itself (pipes, or a pty of the sandbox's own devpts with
 * "tty") and hands the client only the other ends, over the control
 * socket.  The kernel then moves the bytes; nothing is copied through the
 * supervisor.  The process is joined with the agent's confinement
 * (pd_sandbox_exec: the sandbox's namespaces and cgroup, no capability but
 * those asked for with --cap-add among podman's defaults, no_new_privs,
 * seccomp) as the agent's user unless another is asked for, in
 * /pvc/workspace unless told otherwise.  Its end is reported as
 * {"exit": STATUS}; a client that goes away sends its process SIGHUP, as a
 * terminal hangup would.
 */
#include "supervisor.h"
#include "control.h"
#include "run_options.h"
#include "session_audit.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXEC_ARGS_MAX 4096

/* The capabilities --cap-add may name (podman's default set). */
static uint64_t allowed_caps(void)
{
	static const int caps[] = {
		CAP_CHOWN,   CAP_DAC_OVERRIDE,     CAP_FOWNER,     CAP_FSETID,
		CAP_KILL,    CAP_NET_BIND_SERVICE, CAP_SETFCAP,    CAP_SETGID,
		CAP_SETPCAP, CAP_SETUID,           CAP_SYS_CHROOT,
	};
	uint64_t m = 0;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		m |= 1ULL << caps[i];
	return m;
}

static int get_strv(const cJSON *req, const char *key, char ***out)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(req, key), *e;
	size_t n = 0;

	*out = pd_xcalloc(1, sizeof(char *));
	if (!a)
		return 0;
	if (!cJSON_IsArray(a))
		return -1;
	cJSON_ArrayForEach (e, a) {
		if (!cJSON_IsString(e) || ++n > EXEC_ARGS_MAX)
			return -1;
		pd_strv_push(out, e->valuestring);
	}
	return 0;
}

static const char *get_str(const cJSON *req, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool get_bool(const cJSON *req, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, key));
}

static uint64_t get_num(const cJSON *req, const char *key, uint64_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)max)
		return 0;
	return (uint64_t)v->valuedouble;
}

static void exec_done(struct sup_proc *p, int status)
{
	struct sup_client *c = p->data;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "exit", status);
	sup_client_send(c, o, NULL, 0);
	c->proc = NULL;
	sup_proc_free(p);
	if (c->fd < 0) { /* the client went before: nothing is left of it */
		c->wants_stop = false;
		pd_loop_remove(c->src);
		c->src = NULL;
		sup_client_unlink(c);
		free(c);
	}
}

void sup_exec_hangup(struct sup_client *c)
{
	if (c->proc && c->proc->pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, c->proc->pidfd, SIGHUP, NULL, 0);
}

/* The stdio of a process without a terminal: the process's ends in @child, the client's in @mine. */
static int make_pipes(bool in, bool merge, int child[3], int mine[3], size_t *n,
		      struct pd_error *err)
{
	*n = 0;
	for (int i = 0; i < 3; i++) {
		int p[2];

		child[i] = -1;
		if ((i == 0 && !in) || (i == 2 && merge))
			continue;
		if (pipe2(p, O_CLOEXEC) < 0)
			return pd_error_set(err, errno, "pipe");
		child[i] = i == 0 ? p[0] : p[1];
		mine[(*n)++] = i == 0 ? p[1] : p[0];
	}
	if (merge)
		child[2] = child[1];
	return 0;
}

static void refuse(struct sup_client *c, const char *text, int status)
{
	sup_client_send(c, pd_ctl_error_msg(text, status), NULL, 0);
}

static void signal_request(struct sup_client *c, const cJSON *req)
{
	uint64_t sig = get_num(req, "sig", 64);

	if (c->proc && c->proc->pidfd >= 0 && sig > 0)
		(void)syscall(SYS_pidfd_send_signal, c->proc->pidfd, (int)sig, NULL, 0);
}

/* The exec, with its argv, in the session's audit log. */
static void log_exec(struct sup *sup, const struct pd_process *proc)
{
	char detail[1024];
	size_t l;

	snprintf(detail, sizeof(detail), "user=%s:", proc->user ? proc->user : "root");
	for (char **a = proc->argv; *a && (l = strlen(detail)) < sizeof(detail) - 1; a++)
		snprintf(detail + l, sizeof(detail) - l, " %s", *a);
	pd_session_event(&sup->p, "exec", detail);
}

/* @user (as exec -u names it) is the agent's: its name, its uid, or name:group forms of them. */
static bool is_agent(const struct sup *sup, const char *user)
{
	const char *agent = sup->ss.user ? sup->ss.user : "root";
	const char *uid = sup->ss.user ? "1000" : "0";
	size_t n;

	if (!user)
		return true;
	n = strcspn(user, ":");
	return (strlen(agent) == n && !strncmp(user, agent, n)) ||
	       (strlen(uid) == n && !strncmp(user, uid, n));
}

void sup_exec_request(struct sup_client *c, const cJSON *req)
{
	struct sup *sup = c->sup;
	struct pd_error err = { 0 };
	cleanup_strv char **argv = NULL;
	cleanup_strv char **env = NULL;
	cleanup_strv char **adds = NULL;
	struct pd_process proc = { 0 };
	int child[3] = { -1, -1, -1 }, mine[3] = { -1, -1, -1 }, master = -1;
	size_t n = 0;
	bool tty = get_bool(req, "tty");
	cJSON *ok;

	if (!strcmp(get_str(req, "op"), "signal")) {
		signal_request(c, req);
		return;
	}
	if (!sup->running) {
		refuse(c, "the session is not running", 125);
		return;
	}
	if (c->proc) {
		refuse(c, "one exec per connection", 125);
		return;
	}
	if (get_strv(req, "argv", &argv) < 0 || !argv[0] || !argv[0][0] ||
	    get_strv(req, "env", &adds) < 0) {
		refuse(c, "exec: a malformed request", 125);
		return;
	}
	proc.user = get_str(req, "user") ? get_str(req, "user") : sup->ss.user;
	/* another user than the agent never gets the agent's PATH or HOME */
	env = pd_strv_dup(is_agent(sup, proc.user) ? sup->ss.env : sup->ss.root_env);
	pd_env_merge(&env, adds, pd_strv_len(adds));
	proc.argv = argv;
	proc.env = env;
	proc.workdir = get_str(req, "workdir") ? get_str(req, "workdir") : PD_SESSION_WORKSPACE;
	proc.caps = get_num(req, "caps", UINT64_MAX / 2) & allowed_caps();
	proc.tty = tty;
	if (tty) {
		proc.winsize.ws_row = (unsigned short)get_num(req, "rows", 10000);
		proc.winsize.ws_col = (unsigned short)get_num(req, "cols", 10000);
		proc.have_winsize = proc.winsize.ws_row && proc.winsize.ws_col;
	} else if (make_pipes(get_bool(req, "stdin"), get_bool(req, "merge"), child, mine, &n,
			      &err) < 0) {
		goto fail;
	}
	memcpy(proc.stdio, child, sizeof(child));
	c->proc = sup_spawn(sup, &proc, false, tty ? &master : NULL, exec_done, c, &err);
	pd_close(child[0]);
	pd_close(child[1]);
	if (child[2] != child[1])
		pd_close(child[2]);
	child[0] = child[1] = child[2] = -1;
	if (!c->proc)
		goto fail;
	if (tty) {
		mine[0] = master;
		n = 1;
	}
	log_exec(sup, &proc);
	ok = cJSON_CreateObject();
	cJSON_AddBoolToObject(ok, "ok", true);
	cJSON_AddNumberToObject(ok, "pid", c->proc->pid);
	sup_client_send(c, ok, mine, n);
	for (size_t i = 0; i < n; i++)
		pd_close(mine[i]);
	return;
fail:
	pd_close(child[0]);
	pd_close(child[1]);
	if (child[2] != child[1])
		pd_close(child[2]);
	for (size_t i = 0; i < 3; i++)
		pd_close(mine[i]);
	pd_close(master);
	refuse(c, err.msg, err.status > 0 ? err.status : 125);
}
