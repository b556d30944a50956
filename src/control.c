/* SPDX-License-Identifier: MIT */
/*
 * control.c - the control socket's messages (control.h).  Received fds get
 * MSG_CMSG_CLOEXEC; a message whose data or control part was cut, or that
 * is not one JSON object, is refused after closing every fd that came with
 * it, so nothing leaks into the receiver.
 */
#include "control.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int addr_of(const char *path, struct sockaddr_un *a, struct pd_error *err)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return pd_error_set(err, ENAMETOOLONG, "control socket \"%s\"", path);
	memcpy(a->sun_path, path, strlen(path) + 1);
	return 0;
}

int pd_ctl_listen(const char *path, struct pd_error *err)
{
	struct sockaddr_un a;
	cleanup_close int fd = -1;

	if (addr_of(path, &a, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return pd_error_set(err, errno, "control socket");
	if (unlink(path) < 0 && errno != ENOENT)
		return pd_error_set(err, errno, "remove old control socket \"%s\"", path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0)
		return pd_error_set(err, errno, "control socket \"%s\"", path);
	return steal_fd(&fd);
}

int pd_ctl_peer_ok(int sock)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.uid == geteuid();
}

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

int pd_ctl_peer_pidfd(int sock)
{
	int fd = -1;
	socklen_t len = sizeof(fd);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) < 0)
		return -1;
	return fd;
}

int pd_ctl_connect(const char *path, struct pd_error *err)
{
	struct sockaddr_un a;
	cleanup_close int fd = -1;

	if (addr_of(path, &a, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pd_error_set(err, errno, "control socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return pd_error_set(err, errno, "connect to \"%s\"", path);
	if (!pd_ctl_peer_ok(fd))
		return pd_error_set_msg(err, EPERM,
					"control socket \"%s\": the supervisor is not yours", path);
	return steal_fd(&fd);
}

int pd_ctl_send(int sock, const cJSON *msg, const int *fds, size_t n, struct pd_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PD_CTL_FDS_MAX)];
		struct cmsghdr align;
	} u;
	cleanup_free char *text = cJSON_PrintUnformatted(msg);
	struct iovec iov;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t len;

	if (!text)
		abort(); /* out of memory */
	len = strlen(text);
	if (len > PD_CTL_MSG_MAX || n > PD_CTL_FDS_MAX)
		return pd_error_set(err, EMSGSIZE, "control message");
	iov.iov_base = text;
	iov.iov_len = len;
	if (n) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	for (;;) {
		ssize_t r = sendmsg(sock, &m, MSG_NOSIGNAL);

		if (r == (ssize_t)len)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		return pd_error_set(err, r < 0 ? errno : EIO, "send control message");
	}
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_close(fds[i]);
}

int pd_ctl_recv(int sock, cJSON **msg, int *fds, size_t cap, size_t *n, struct pd_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PD_CTL_FDS_MAX)];
		struct cmsghdr align;
	} u;
	cleanup_free char *buf = pd_xmalloc(PD_CTL_MSG_MAX + 1);
	struct iovec iov = { .iov_base = buf, .iov_len = PD_CTL_MSG_MAX + 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int got[PD_CTL_FDS_MAX * 2];
	size_t ngot = 0;
	ssize_t r;

	*msg = NULL;
	*n = 0;
	memset(&u, 0, sizeof(u));
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	do
		r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return pd_error_set(err, errno, "receive control message");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && ngot < sizeof(got) / sizeof(got[0]); i++)
			memcpy(&got[ngot++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (r == 0 && ngot == 0)
		return 0;
	if (r > PD_CTL_MSG_MAX || (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || ngot > cap) {
		close_all(got, ngot);
		return pd_error_set_msg(
			err, EPROTO, "a malformed control message (%zd bytes, %zu fds)", r, ngot);
	}
	{
		const char *end = NULL;

		*msg = cJSON_ParseWithLengthOpts(buf, (size_t)r, &end, false);
		/* one object and nothing after it but blanks */
		for (; *msg && end && end < buf + r; end++)
			if (*end != ' ' && *end != '\n' && *end != '\t' && *end != '\r') {
				cJSON_Delete(*msg);
				*msg = NULL;
			}
	}
	if (!*msg || !cJSON_IsObject(*msg)) {
		cJSON_Delete(*msg);
		*msg = NULL;
		close_all(got, ngot);
		return pd_error_set_msg(err, EPROTO, "a control message that is not a JSON object");
	}
	if (ngot)
		memcpy(fds, got, ngot * sizeof(int));
	*n = ngot;
	return 1;
}

cJSON *pd_ctl_error_msg(const char *text, int status)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", false);
	cJSON_AddStringToObject(o, "error", text);
	cJSON_AddNumberToObject(o, "status", status);
	return o;
}

cJSON *pd_ctl_call(int sock, const cJSON *req, int *fds, size_t cap, size_t *n,
		   struct pd_error *err)
{
	cJSON *ans = NULL;
	int r;

	if (pd_ctl_send(sock, req, NULL, 0, err) < 0)
		return NULL;
	r = pd_ctl_recv(sock, &ans, fds, cap, n, err);
	if (r < 0)
		return NULL;
	if (r == 0) {
		pd_error_set_msg(err, ECONNRESET, "the session's supervisor hung up");
		return NULL;
	}
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "ok"))) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(ans, "error");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(ans, "status");

		pd_error_set_msg(err, EPERM, "%s",
				 cJSON_IsString(e) ? e->valuestring : "the supervisor refused");
		if (cJSON_IsNumber(st) && st->valuedouble > 0 && st->valuedouble < 256)
			err->status = (int)st->valuedouble;
		for (size_t i = 0; i < *n; i++)
			pd_close(fds[i]);
		*n = 0;
		cJSON_Delete(ans);
		return NULL;
	}
	return ans;
}
