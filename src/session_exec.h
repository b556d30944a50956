/* SPDX-License-Identifier: MIT */
/*
 * session_exec.h - run a command in a running session through its
 * supervisor, relaying paude's own stdio (session_exec.c): `paude exec`,
 * `connect`, git's ext:: transport, and the steps of `remote add`.
 */
#ifndef PAUDE_SESSION_EXEC_H
#define PAUDE_SESSION_EXEC_H

#include "session.h"

#include <stdbool.h>
#include <stdint.h>

struct pd_exec_req {
	const char *const *argv;
	char *const *env;    /* K=V added to the agent's, may be NULL */
	const char *user;    /* NULL: the agent's user */
	const char *workdir; /* NULL: /pvc/workspace */
	uint64_t caps;       /* --cap-add */
	bool interactive;    /* paude's stdin reaches the command */
	bool tty;            /* a pty; paude's terminal goes raw while attached */
};

/*
 * pd_session_exec() - run @req in the running session @p and wait for it
 * and the end of its output.  *@status: its exit status (0-255, 128+N).
 * Return: 0, or -1 with @err (not running: pd_session_not_running()'s error;
 * 126/127 in err->status when the command could not be executed).
 */
int pd_session_exec(const struct pd_session_paths *p, const struct pd_exec_req *req, int *status,
		    struct pd_error *err);

#endif
