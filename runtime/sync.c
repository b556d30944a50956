/* SPDX-License-Identifier: MIT */
#include "sync.h"
#include "common/cleanup.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct wire_hdr {
	uint32_t type;
	int32_t code;
	int32_t status;
	uint32_t arg;
	uint32_t len;
};

int pd_sync_pair(int sv[2], struct pd_error *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return pd_error_set(err, errno, "socketpair");
	return 0;
}

static int send_raw(int sock, const struct wire_hdr *h, const void *data, int fd)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)h, .iov_len = sizeof(*h) },
		{ .iov_base = (void *)data, .iov_len = h->len },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = h->len ? 2 : 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != sizeof(*h) + h->len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int pd_sync_send(int sock, uint32_t type, uint32_t arg, int fd, const void *data, size_t len)
{
	struct wire_hdr h = { .type = type, .arg = arg, .len = (uint32_t)len };

	/* The receiver keeps a NUL after the payload: at most MAX - 1 bytes. */
	if (len >= PD_ERROR_MSG_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	return send_raw(sock, &h, data, fd);
}

void pd_sync_send_error(int sock, const struct pd_error *err)
{
	struct wire_hdr h = {
		.type = PD_SYNC_ERROR,
		.code = err->code,
		.status = err->status,
		.len = (uint32_t)strnlen(err->msg, sizeof(err->msg) - 1),
	};

	(void)send_raw(sock, &h, err->msg, -1);
}

int pd_sync_recv(int sock, struct pd_sync_msg *m)
{
	struct wire_hdr h;
	/* Room for more fds than a message may carry, so extra ones are
	 * received (and closed) instead of being cut off. */
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = m->text, .iov_len = sizeof(m->text) - 1 },
	};
	struct msghdr msg = {
		.msg_iov = iov,
		.msg_iovlen = 2,
		.msg_control = cm.buf,
		.msg_controllen = sizeof(cm.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	m->fd = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	/* Exactly one fd is accepted; any other fd that arrived is closed. */
	int n_fds = 0;

	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n_fds++ == 0)
				m->fd = fd;
			else
				pd_close(fd);
		}
	}
	if (n_fds > 1 || (size_t)n < sizeof(h) || (size_t)n != sizeof(h) + h.len ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		pd_close(m->fd);
		m->fd = -1;
		errno = EBADMSG;
		return -1;
	}
	m->type = h.type;
	m->code = h.code;
	m->status = h.status;
	m->arg = h.arg;
	m->text[h.len] = '\0';
	return 1;
}
