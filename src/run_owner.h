/* SPDX-License-Identifier: MIT */
/*
 * run_owner.h - `paude run` owning one sandbox on its loop (run_owner.c).
 */
#ifndef PAUDE_RUN_OWNER_H
#define PAUDE_RUN_OWNER_H

#include <signal.h>
#include <stdbool.h>

#include "common/error.h"
#include "runtime/runtime.h"

/* pd_forward_sigset() - the signals paude passes on to a sandbox (and blocks). */
void pd_forward_sigset(sigset_t *set);

/*
 * pd_run_owned() - create and start the sandbox of @spec, relay its stdio
 * (its process's stdio, winsize and signal mask are filled in here), pass
 * signals on, and wait for its end and the end of its output.
 * @interactive: paude's stdin reaches the command
 * @hooks: may be NULL
 * @status: the command's exit status (0-255, 128+N for signal N)
 * Return: 0 when the command ran, -1 with @err when paude or a step of the
 * sandbox failed (err->status 126/127 when exec itself failed).
 */
struct pd_loop;

/*
 * What a caller adds to the owner's work: @attach runs once the sandbox is
 * created and before it starts (the network is wired there, its servers
 * registered on @loop); @detach runs once it ended, before the loop goes.
 */
struct pd_run_hooks {
	int (*attach)(void *data, struct pd_loop *loop, struct pd_sandbox *sb,
		      struct pd_error *err);
	void (*detach)(void *data);
	void *data;
};

int pd_run_owned(struct pd_sandbox_spec *spec, bool interactive, const struct pd_run_hooks *hooks,
		 int *status, struct pd_error *err);

#endif
