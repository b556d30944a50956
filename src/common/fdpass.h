/* SPDX-License-Identifier: MIT */
/*
 * fdpass.h - pass a handful of fds over a unix socket (SCM_RIGHTS).
 *
 * Used where a short-lived helper makes fds in namespaces its parent cannot
 * enter (the gateway's listening sockets) and hands them back.  One message
 * carries at most PD_FDPASS_MAX fds and a 32-bit tag naming what they are.
 */
#ifndef PAUDE_FDPASS_H
#define PAUDE_FDPASS_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

#define PD_FDPASS_MAX 32

/*
 * pd_fds_send() - send @n fds (1..PD_FDPASS_MAX) and @tag in one message.
 * Return: 0, or -1 with @err set.
 */
int pd_fds_send(int sock, uint32_t tag, const int *fds, size_t n, struct pd_error *err);

/*
 * pd_fds_recv() - receive one message of pd_fds_send(): its tag in *@tag,
 * its fds (close-on-exec) in @fds, their number in *@n.  A message with more
 * than @cap fds, a truncated one or one without fds is refused (whatever
 * came is closed).  Return: 1, 0 at end-of-file, -1 with @err set.
 */
int pd_fds_recv(int sock, uint32_t *tag, int *fds, size_t cap, size_t *n, struct pd_error *err);

#endif
