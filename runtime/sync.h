/* SPDX-License-Identifier: MIT */
/*
 * sync.h - the socket between paude (the parent on the host) and the
 * sandbox's processes.
 *
 * One AF_UNIX SOCK_SEQPACKET pair, so every message arrives whole.  A message
 * is a fixed header, an optional payload and at most one fd (SCM_RIGHTS).
 * The parent sends mount fds and then GO; the sandbox side sends an ERROR
 * (errno, exit-status hint, message) when a step fails, and the pty master
 * for -t.  The sandbox's end is O_CLOEXEC and closed by init once the command
 * is forked, so EOF on the parent's end means "the command was exec'd" (or
 * everyone in the sandbox is gone).  Every read checks the full size.
 */
#ifndef PAUDE_SYNC_H
#define PAUDE_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum pd_sync_type {
	PD_SYNC_GO = 1,   /* parent -> child: maps written, cgroup joined */
	PD_SYNC_MOUNT_FD, /* parent -> child: idmapped mount for source @arg */
	PD_SYNC_ERROR,    /* child -> parent: a step failed */
	PD_SYNC_PTY,      /* child -> parent: the pty master */
	PD_SYNC_DEV_FD,   /* parent -> child: the tmpfs of device nodes (root mode) */
	PD_SYNC_NS_FD,    /* child -> parent: a namespace (@arg: enum pd_sandbox_ns) */
};

struct pd_sync_msg {
	uint32_t type;
	int32_t code;   /* ERROR: errno */
	int32_t status; /* ERROR: exit-status hint */
	uint32_t arg;   /* MOUNT_FD: index of the source */
	int fd;         /* received fd or -1 */
	char text[PD_ERROR_MSG_MAX];
};

/* pd_sync_pair() - make the socket pair (both ends O_CLOEXEC). */
int pd_sync_pair(int sv[2], struct pd_error *err);

/* pd_sync_send() - send one message; @fd < 0 for none. Sets errno, returns -1. */
int pd_sync_send(int sock, uint32_t type, uint32_t arg, int fd, const void *data, size_t len);

/*
 * pd_sync_recv() - receive one message into @m.
 * Return: 1 with @m filled, 0 on EOF, -1 on error (errno set).
 */
int pd_sync_recv(int sock, struct pd_sync_msg *m);

/* pd_sync_send_error() - ship @err to the parent (best effort, no allocation). */
void pd_sync_send_error(int sock, const struct pd_error *err);

#endif
