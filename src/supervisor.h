/* SPDX-License-Identifier: MIT */
/*
 * supervisor.h - the one process per running session (supervisor.c): it
 * owns the sandbox, its proxy and DNS, and the control socket, all on one
 * event loop.  Internal interface between supervisor.c and sup_exec.c.
 */
#ifndef PAUDE_SUPERVISOR_H
#define PAUDE_SUPERVISOR_H

#include "common/error.h"
#include "common/loop.h"
#include "runtime/runtime.h"
#include "session_spec.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/types.h>

/* The supervisor's readiness report goes to this fd (an inherited pipe). */
#define PD_SUPERVISOR_READY_FD 3
/* In the run directory: write-locked (fcntl) by the living supervisor. */
#define PD_SUPERVISOR_LOCK "supervisor.lock"

struct sup;

/* A process the supervisor started in the sandbox, with a pidfd on the loop. */
struct sup_proc {
	struct sup *sup;
	pid_t pid;
	int pidfd;
	struct pd_loop_source *src;
	int out; /* captured output (setup steps), or -1 */
	void (*done)(struct sup_proc *p, int status);
	void *data;
};

/* A connection on the control socket. */
struct sup_client {
	struct sup *sup;
	int fd;
	struct pd_loop_source *src;
	struct sup_proc *proc; /* its exec, while running */
	bool wants_stop;
	struct sup_client *next;
};

struct sup {
	struct pd_loop *loop;
	struct pd_session s;
	struct pd_session_paths p;
	struct pd_session_spec ss;
	struct pd_sandbox *sb;
	struct pd_run_hooks hooks;
	bool attached, running, stopping, first_start;
	int ready_fd;
	int seed_fd;    /* the ~/.claude copy, first start only */
	int alive_fd;   /* holds RUN/NAME/supervisor.lock while the supervisor lives */
	ino_t sock_ino; /* our control socket's, so teardown removes only ours */
	int listen_fd;
	struct pd_loop_source *sync_src, *pid_src, *sig_src, *listen_src, *kill_timer, *start_timer;
	struct sup_client *clients;
	int status; /* the supervisor's exit status */
};

/*
 * sup_spawn() - run @p in the sandbox; with @capture its stdout and stderr
 * are kept for @done (else @p's stdio are used); with @p->tty the pty
 * master goes to *@master_out.  @done gets the wait
 * status as the shell reports it (0-255, 128+N).
 */
struct sup_proc *sup_spawn(struct sup *sup, struct pd_process *p, bool capture, int *master_out,
			   void (*done)(struct sup_proc *, int), void *data, struct pd_error *err);
/* sup_proc_output() - what a capturing process wrote (at most 4 KiB), NUL-terminated. */
void sup_proc_output(struct sup_proc *p, char *buf, size_t cap);
void sup_proc_free(struct sup_proc *p);

/* sup_exec.c: an "exec" request from @c. */
void sup_exec_request(struct sup_client *c, const cJSON *req);
/* sup_exec.c: the process of @c ended or the client went: tidy up. */
void sup_exec_hangup(struct sup_client *c);
void sup_client_send(struct sup_client *c, cJSON *msg, const int *fds, size_t n);
/* sup_client_unlink() - take @c off its supervisor's list of clients. */
void sup_client_unlink(struct sup_client *c);

/* pd_supervise() - `paude supervise NAME`: the whole life of a running session. */
int pd_supervise(const char *name, struct pd_error *err);

#endif
