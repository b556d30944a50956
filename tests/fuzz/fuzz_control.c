/* SPDX-License-Identifier: MIT */
/*
 * fuzz_control.c - libFuzzer target for the control socket's receiver
 * (src/control.c): arbitrary bytes arrive as one SOCK_SEQPACKET message.
 *
 * The first byte picks the fds that come with it (bits 0-2: 0 to 7 copies
 * of /dev/null) and how many the receiver takes (bits 3-4: 0 to 3); the
 * rest is the message.  Oracles: an accepted message is a JSON object with
 * at most that many fds, each open and close-on-exec, and it survives
 * pd_ctl_send() and pd_ctl_recv() again unchanged (compared as printed:
 * cJSON_Compare() cannot tell duplicate keys apart, and an infinite number
 * is printed as null); a refusal returns
 * nothing; and no fd is left behind either way (the lowest free fd number
 * is the same after every input).  Seeds: tests/fuzz/corpus/fuzz_control/.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FDS 7

static int sv[2] = { -1, -1 }, null_fd = -1, lowest = -1;

static int lowest_free(void)
{
	int fd = fcntl(null_fd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

static void setup(void)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		abort();
	lowest = lowest_free();
}

/* Send @len bytes with @n copies of /dev/null; 0, or -1 when the socket will not take it. */
static int send_raw(const uint8_t *buf, size_t len, size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(&u, 0, sizeof(u));
	if (n) {
		struct cmsghdr *c;

		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		for (size_t i = 0; i < n; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &null_fd, sizeof(int));
	}
	return sendmsg(sv[0], &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds[PD_CTL_FDS_MAX + 1];
	struct pd_error e = { 0 };
	cJSON *msg = NULL, *back = NULL;
	size_t nfd = 0, cap = 0, n = 99;
	int r;

	if (sv[0] < 0)
		setup();
	if (size) {
		nfd = data[0] & 7;
		cap = (data[0] >> 3) & 3;
		data++;
		size--;
	}
	if (send_raw(data, size, nfd) < 0)
		return 0;
	fds[cap] = -2; /* never written past @cap */
	r = pd_ctl_recv(sv[1], &msg, fds, cap, &n, &e);
	if (fds[cap] != -2)
		abort();
	if (r <= 0) {
		/* end-of-file only for an empty message without fds */
		if (msg || n != 0 || (r == 0 && (size || nfd)) || (r < 0 && !e.msg[0]))
			abort();
	} else {
		if (!cJSON_IsObject(msg) || n != nfd || n > cap)
			abort();
		for (size_t i = 0; i < n; i++) {
			int fl = fcntl(fds[i], F_GETFD);

			if (fl < 0 || !(fl & FD_CLOEXEC))
				abort();
			close(fds[i]);
		}
		/* what was accepted goes through again unchanged */
		if (pd_ctl_send(sv[0], msg, NULL, 0, &e) == 0) {
			char *a, *b;

			if (pd_ctl_recv(sv[1], &back, fds, cap, &n, &e) != 1 || n != 0)
				abort();
			a = cJSON_PrintUnformatted(msg);
			b = cJSON_PrintUnformatted(back);
			if (!a || !b || strcmp(a, b) != 0)
				abort();
			free(a);
			free(b);
			cJSON_Delete(back);
		}
	}
	cJSON_Delete(msg);
	if (lowest_free() != lowest)
		abort();
	return 0;
}
