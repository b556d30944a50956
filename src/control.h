/* SPDX-License-Identifier: MIT */
/*
 * control.h - a session supervisor's control socket (control.c).
 *
 * A unix SOCK_SEQPACKET socket in the session's run directory (0700): one
 * message is one JSON object of at most PD_CTL_MSG_MAX bytes, with at most
 * PD_CTL_FDS_MAX fds (SCM_RIGHTS).  Only a peer of the supervisor's own uid
 * is served (SO_PEERCRED), and a client checks the same of the supervisor.
 *
 * Requests ({"op": ...}) and what the supervisor answers:
 *   status   {"ok":true,"state":"running","pid":N,"image":REF}
 *   stop     {"ok":true} once the sandbox is gone; the supervisor then exits
 *   exec     {"ok":true,"pid":N} with the fds of the process's stdio (the
 *            pty master with "tty"; else stdin's writing end with "stdin",
 *            stdout's and, unless "merge", stderr's reading ends), later
 *            {"exit":STATUS}; {"signal":N} from the client is passed on
 *   policy   {"ok":true,"allowed_domains":[...]} (replaced when given)
 * A refusal is {"ok":false,"error":TEXT,"status":N}.
 */
#ifndef PAUDE_CONTROL_H
#define PAUDE_CONTROL_H

#include "common/error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define PD_CTL_MSG_MAX 65536
#define PD_CTL_FDS_MAX 3

/* pd_ctl_listen() - a listening control socket at @path (an old one is replaced). */
int pd_ctl_listen(const char *path, struct pd_error *err);
/* pd_ctl_connect() - connect to the supervisor at @path and check it is ours. */
int pd_ctl_connect(const char *path, struct pd_error *err);
/* pd_ctl_peer_ok() - whether the peer of @sock runs as this process's uid. */
int pd_ctl_peer_ok(int sock);

/* pd_ctl_peer_pidfd() - a pidfd of the peer of @sock (SO_PEERPIDFD), or -1. */
int pd_ctl_peer_pidfd(int sock);

/* pd_ctl_send() - @msg with @n fds (0..PD_CTL_FDS_MAX). */
int pd_ctl_send(int sock, const cJSON *msg, const int *fds, size_t n, struct pd_error *err);
/*
 * pd_ctl_recv() - one message: the object in *@msg (the caller's), its fds
 * (close-on-exec) in @fds, their number in *@n.  A message that is not one
 * JSON object, is cut, or carries more than @cap fds is refused (its fds
 * closed).  Return: 1, 0 at end-of-file, -1 with @err.
 */
int pd_ctl_recv(int sock, cJSON **msg, int *fds, size_t cap, size_t *n, struct pd_error *err);

/* pd_ctl_error_msg() - {"ok":false,"error":@text,"status":@status}. */
cJSON *pd_ctl_error_msg(const char *text, int status);

/*
 * pd_ctl_call() - send @req (no fds) and wait for one answer; an answer with
 * "ok": false becomes an error with its text and status.
 * Return: the answer, or NULL with @err.
 */
cJSON *pd_ctl_call(int sock, const cJSON *req, int *fds, size_t cap, size_t *n,
		   struct pd_error *err);

#endif
