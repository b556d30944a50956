/* SPDX-License-Identifier: MIT */
/*
 * session_client.h - what session commands ask of a session's supervisor:
 * its state, spawning it, stopping it (session_client.c).
 */
#ifndef PAUDE_SESSION_CLIENT_H
#define PAUDE_SESSION_CLIENT_H

#include "session.h"

#include <stddef.h>

enum pd_session_state {
	PD_SESSION_STOPPED,
	PD_SESSION_RUNNING,
	PD_SESSION_ERROR, /* a supervisor that is gone or does not answer */
};

/* pd_session_state_name() - "stopped", "running", "error". */
const char *pd_session_state_name(enum pd_session_state st);

/*
 * pd_session_probe() - ask the supervisor (never a stored pid): running when
 * it answers on its control socket, stopped when there is no run directory,
 * error otherwise (@why says what, when not NULL).
 */
enum pd_session_state pd_session_probe(const struct pd_session_paths *p, char *why, size_t cap);

/* pd_session_control() - a connection to the running supervisor of @p, or -1 with @err. */
int pd_session_control(const struct pd_session_paths *p, struct pd_error *err);

/*
 * pd_session_spawn() - start the supervisor of the stopped session @p
 * (detached) and wait until it reports the session running, or its error.
 */
int pd_session_spawn(const struct pd_session_paths *p, struct pd_error *err);

/*
 * pd_session_stop() - stop a running session and wait for its end; a dead
 * supervisor's leftovers are cleared.  Return: 1 stopped, 0 was not running, -1.
 */
int pd_session_stop(const struct pd_session_paths *p, struct pd_error *err);

/* pd_session_not_running() - "Session 'x' is not running. Use 'paude start x' to start it." */
int pd_session_not_running(const char *name, struct pd_error *err);

#endif
