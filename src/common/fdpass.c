/* SPDX-License-Identifier: MIT */
/*
 * fdpass.c - SCM_RIGHTS in one place (see fdpass.h).  Received fds get
 * MSG_CMSG_CLOEXEC; a message whose control data was cut (MSG_CTRUNC) or
 * whose payload is not exactly one tag is refused after closing every fd
 * that did arrive, so nothing leaks into the receiver.
 */
#include "fdpass.h"
#include "cleanup.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int pd_fds_send(int sock, uint32_t tag, const int *fds, size_t n, struct pd_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PD_FDPASS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &tag, .iov_len = sizeof(tag) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (n == 0 || n > PD_FDPASS_MAX)
		return pd_error_set(err, EINVAL, "pass %zu fds", n);
	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	for (;;) {
		ssize_t r = sendmsg(sock, &msg, MSG_NOSIGNAL);

		if (r == (ssize_t)sizeof(tag))
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		return pd_error_set(err, r < 0 ? errno : EIO, "pass %zu fds", n);
	}
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_close(fds[i]);
}

int pd_fds_recv(int sock, uint32_t *tag, int *fds, size_t cap, size_t *n, struct pd_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PD_FDPASS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = tag, .iov_len = sizeof(*tag) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int got[PD_FDPASS_MAX];
	size_t ngot = 0;
	ssize_t r;

	*n = 0;
	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return pd_error_set(err, errno, "receive fds");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && ngot < PD_FDPASS_MAX; i++)
			memcpy(&got[ngot++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (r == 0 && ngot == 0)
		return 0;
	if (r != (ssize_t)sizeof(*tag) || (msg.msg_flags & MSG_CTRUNC) || ngot == 0 || ngot > cap) {
		close_all(got, ngot);
		return pd_error_set_msg(err, EPROTO,
					"receive fds: a malformed message (%zd bytes, %zu fds)", r,
					ngot);
	}
	memcpy(fds, got, ngot * sizeof(int));
	*n = ngot;
	return 1;
}
