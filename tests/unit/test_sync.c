/* SPDX-License-Identifier: MIT */
/*
 * test_sync.c - the parent/child socket protocol of runtime/sync.c over a
 * real SOCK_SEQPACKET pair: every message type, fd passing, error shipping,
 * the size limit, EOF, and datagrams that do not follow the wire format
 * (sent raw with sendmsg), which must be refused without leaking an fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "unit.h"
#include "common/cleanup.h"
#include "common/error.h"
#include "runtime/sync.h"

/* The wire header as sync.c lays it out (five 32-bit fields). */
struct raw_hdr {
	uint32_t type;
	int32_t code;
	int32_t status;
	uint32_t arg;
	uint32_t len;
};

static int sv[2] = { -1, -1 };

static void setup(void)
{
	struct pd_error e = { 0 };

	ck_assert_msg(pd_sync_pair(sv, &e) == 0, "pd_sync_pair: expected 0, got -1 (%s)", e.msg);
}

static void teardown(void)
{
	pd_close(sv[0]);
	pd_close(sv[1]);
	sv[0] = sv[1] = -1;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_msg(d != NULL, "opendir /proc/self/fd: expected a stream, got errno %d", errno);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Receive on sv[1]; must return @want. */
static void recv_expect(struct pd_sync_msg *m, int want, int want_errno)
{
	int r;

	memset(m, 0x5a, sizeof(*m));
	errno = 0;
	r = pd_sync_recv(sv[1], m);
	ck_assert_msg(r == want, "pd_sync_recv: expected %d, got %d (errno %d)", want, r, errno);
	if (want < 0)
		ck_assert_msg(errno == want_errno, "pd_sync_recv: expected errno %d, got %d",
			      want_errno, errno);
}

/* Send a datagram that bypasses pd_sync_send, optionally with fds attached. */
static ssize_t send_raw(const void *buf, size_t len, const int *fds, size_t nfds)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(sv[0], &msg, MSG_NOSIGNAL);
}

START_TEST(pair_properties)
{
	int type = 0;
	socklen_t l = sizeof(type);

	for (int i = 0; i < 2; i++) {
		ck_assert_msg(fcntl(sv[i], F_GETFD) & FD_CLOEXEC,
			      "sv[%d]: expected FD_CLOEXEC, got none", i);
		ck_assert_msg(getsockopt(sv[i], SOL_SOCKET, SO_TYPE, &type, &l) == 0,
			      "getsockopt: expected 0, got errno %d", errno);
		EXPECT_INT(type, SOCK_SEQPACKET);
	}
}
END_TEST

START_TEST(go_and_types)
{
	struct pd_sync_msg m;

	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_GO, 0, -1, NULL, 0), 0);
	recv_expect(&m, 1, 0);
	EXPECT_INT(m.type, PD_SYNC_GO);
	EXPECT_INT(m.arg, 0);
	EXPECT_INT(m.code, 0);
	EXPECT_INT(m.status, 0);
	EXPECT_INT(m.fd, -1);
	EXPECT_STR(m.text, "");

	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_MOUNT_FD, 7, -1, "payload", 7), 0);
	recv_expect(&m, 1, 0);
	EXPECT_INT(m.type, PD_SYNC_MOUNT_FD);
	EXPECT_INT(m.arg, 7);
	EXPECT_INT(m.fd, -1);
	EXPECT_STR(m.text, "payload");

	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_PTY, 0xffffffffu, -1, "a\0b", 3), 0);
	recv_expect(&m, 1, 0);
	EXPECT_INT(m.type, PD_SYNC_PTY);
	EXPECT_INT(m.arg, 0xffffffffu);
	ck_assert_msg(memcmp(m.text, "a\0b\0", 4) == 0,
		      "text: expected \"a\\0b\\0\", got other bytes");

	/* Messages keep their boundaries and order. */
	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_GO, 1, -1, "one", 3), 0);
	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_GO, 2, -1, NULL, 0), 0);
	recv_expect(&m, 1, 0);
	EXPECT_INT(m.arg, 1);
	EXPECT_STR(m.text, "one");
	recv_expect(&m, 1, 0);
	EXPECT_INT(m.arg, 2);
	EXPECT_STR(m.text, "");
}
END_TEST

START_TEST(fd_passes)
{
	struct pd_sync_msg m;
	struct stat a, b;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int before;

	ck_assert_msg(fd >= 0, "open: expected an fd, got errno %d", errno);
	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_MOUNT_FD, 3, fd, NULL, 0), 0);
	before = count_fds();
	recv_expect(&m, 1, 0);
	EXPECT_INT(m.type, PD_SYNC_MOUNT_FD);
	EXPECT_INT(m.arg, 3);
	ck_assert_msg(m.fd >= 0 && m.fd != fd, "m.fd: expected a new fd, got %d (sent %d)", m.fd,
		      fd);
	ck_assert_msg(fstat(fd, &a) == 0 && fstat(m.fd, &b) == 0, "fstat: expected 0, got errno %d",
		      errno);
	ck_assert_msg(a.st_dev == b.st_dev && a.st_ino == b.st_ino,
		      "received fd: expected the same file (ino %llu), got ino %llu",
		      (unsigned long long)a.st_ino, (unsigned long long)b.st_ino);
	ck_assert_msg(fcntl(m.fd, F_GETFD) & FD_CLOEXEC,
		      "received fd: expected FD_CLOEXEC, got none");
	EXPECT_INT(count_fds(), before + 1);
	pd_close(m.fd);
	pd_close(fd);

	/* An fd together with a payload (the pty case). */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_PTY, 0, fd, "pty", 3), 0);
	recv_expect(&m, 1, 0);
	ck_assert_msg(m.fd >= 0, "m.fd: expected an fd, got %d", m.fd);
	EXPECT_STR(m.text, "pty");
	ck_assert_msg(fstat(fd, &a) == 0 && fstat(m.fd, &b) == 0 && a.st_rdev == b.st_rdev,
		      "received fd: expected /dev/null, got rdev %llu",
		      (unsigned long long)b.st_rdev);
	pd_close(m.fd);
	pd_close(fd);
}
END_TEST

START_TEST(error_round_trip)
{
	struct pd_sync_msg m;
	struct pd_error e = { 0 };

	pd_error_set(&e, EACCES, "mount \"%s\"", "/x");
	e.status = 126;
	pd_sync_send_error(sv[0], &e);
	recv_expect(&m, 1, 0);
	EXPECT_INT(m.type, PD_SYNC_ERROR);
	EXPECT_INT(m.code, EACCES);
	EXPECT_INT(m.status, 126);
	EXPECT_INT(m.fd, -1);
	EXPECT_STR(m.text, "mount \"/x\": Permission denied");

	/* The longest message an error holds goes through whole. */
	memset(e.msg, 'm', sizeof(e.msg) - 1);
	e.msg[sizeof(e.msg) - 1] = '\0';
	e.code = 0;
	e.status = -2;
	pd_sync_send_error(sv[0], &e);
	recv_expect(&m, 1, 0);
	EXPECT_INT(m.code, 0);
	EXPECT_INT(m.status, -2);
	EXPECT_INT(strlen(m.text), sizeof(e.msg) - 1);
	ck_assert_msg(memcmp(m.text, e.msg, sizeof(e.msg)) == 0,
		      "text: expected the whole message, got other bytes");

	/* An unterminated message is cut at the buffer, not read past it. */
	memset(e.msg, 'u', sizeof(e.msg));
	pd_sync_send_error(sv[0], &e);
	recv_expect(&m, 1, 0);
	EXPECT_INT(strlen(m.text), sizeof(e.msg) - 1);
}
END_TEST

START_TEST(size_limit)
{
	struct pd_sync_msg m;
	char big[PD_ERROR_MSG_MAX + 2];

	memset(big, 'b', sizeof(big));
	errno = 0;
	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_GO, 0, -1, big, PD_ERROR_MSG_MAX + 1), -1);
	EXPECT_INT(errno, EMSGSIZE);
	errno = 0;
	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_GO, 0, -1, big, (size_t)1 << 33), -1);
	EXPECT_INT(errno, EMSGSIZE);

	/* Nothing went out: the next message is the one that follows. */
	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_GO, 9, -1, big, PD_ERROR_MSG_MAX - 1), 0);
	recv_expect(&m, 1, 0);
	EXPECT_INT(m.arg, 9);
	EXPECT_INT(strlen(m.text), PD_ERROR_MSG_MAX - 1);
}
END_TEST

START_TEST(eof)
{
	struct pd_sync_msg m;

	pd_close(sv[0]);
	sv[0] = -1;
	recv_expect(&m, 0, 0);
	EXPECT_INT(m.fd, -1);
	recv_expect(&m, 0, 0); /* and again */
}
END_TEST

START_TEST(send_to_closed_peer)
{
	pd_close(sv[1]);
	sv[1] = -1;
	errno = 0;
	/* MSG_NOSIGNAL: an error, not a SIGPIPE that kills paude */
	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_GO, 0, -1, NULL, 0), -1);
	EXPECT_INT(errno, EPIPE);
}
END_TEST

START_TEST(garbage_rejected)
{
	struct pd_sync_msg m;
	struct {
		struct raw_hdr h;
		char data[2048];
	} pkt;

	/* shorter than a header */
	EXPECT_INT(send_raw("xyz", 3, NULL, 0), 3);
	recv_expect(&m, -1, EBADMSG);
	EXPECT_INT(m.fd, -1);

	/* a header claiming more payload than came */
	memset(&pkt, 0, sizeof(pkt));
	pkt.h.type = PD_SYNC_GO;
	pkt.h.len = 10;
	EXPECT_INT(send_raw(&pkt, sizeof(pkt.h) + 2, NULL, 0), (ssize_t)sizeof(pkt.h) + 2);
	recv_expect(&m, -1, EBADMSG);

	/* a header claiming less than came */
	pkt.h.len = 0;
	EXPECT_INT(send_raw(&pkt, sizeof(pkt.h) + 5, NULL, 0), (ssize_t)sizeof(pkt.h) + 5);
	recv_expect(&m, -1, EBADMSG);

	/* a huge claimed length */
	pkt.h.len = 0xffffffffu;
	EXPECT_INT(send_raw(&pkt, sizeof(pkt.h), NULL, 0), (ssize_t)sizeof(pkt.h));
	recv_expect(&m, -1, EBADMSG);

	/* more than the receive buffer: truncated datagram */
	memset(pkt.data, 'g', sizeof(pkt.data));
	pkt.h.len = sizeof(pkt.data);
	EXPECT_INT(send_raw(&pkt, sizeof(pkt), NULL, 0), (ssize_t)sizeof(pkt));
	recv_expect(&m, -1, EBADMSG);

	/* random bytes of header size */
	memset(&pkt, 0xa5, sizeof(pkt.h));
	EXPECT_INT(send_raw(&pkt, sizeof(pkt.h), NULL, 0), (ssize_t)sizeof(pkt.h));
	recv_expect(&m, -1, EBADMSG);

	/* the stream is still usable afterwards */
	EXPECT_INT(pd_sync_send(sv[0], PD_SYNC_GO, 5, -1, NULL, 0), 0);
	recv_expect(&m, 1, 0);
	EXPECT_INT(m.arg, 5);
}
END_TEST

START_TEST(garbage_with_fds_does_not_leak)
{
	struct pd_sync_msg m;
	struct raw_hdr h = { .type = PD_SYNC_MOUNT_FD, .len = 100 };
	int fds[2];
	int before;

	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fds[0] >= 0 && fds[1] >= 0, "open /dev/null: expected fds, got errno %d",
		      errno);

	/* a bad datagram carrying one fd: refused, and the received fd closed */
	EXPECT_INT(send_raw(&h, sizeof(h), fds, 1), (ssize_t)sizeof(h));
	before = count_fds();
	recv_expect(&m, -1, EBADMSG);
	EXPECT_INT(m.fd, -1);
	EXPECT_INT(count_fds(), before);

	/* a short datagram with an fd */
	EXPECT_INT(send_raw("x", 1, fds, 1), 1);
	before = count_fds();
	recv_expect(&m, -1, EBADMSG);
	EXPECT_INT(count_fds(), before);

	pd_close(fds[0]);
	pd_close(fds[1]);
}
END_TEST

START_TEST(nonblocking_empty)
{
	struct pd_sync_msg m;

	ck_assert_msg(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0, "fcntl: expected 0, got errno %d",
		      errno);
	recv_expect(&m, -1, EAGAIN);
	EXPECT_INT(m.fd, -1);
}
END_TEST

/*
 * Regressions (these were bugs):
 *  - a datagram carrying two fds is accepted (or refused) without closing
 *    the fds the kernel installed: they leak into the receiver;
 *  - pd_sync_send() accepts PD_ERROR_MSG_MAX bytes of payload, which
 *    pd_sync_recv() can only hold PD_ERROR_MSG_MAX - 1 of: refused as EBADMSG.
 */
START_TEST(bug_two_fds_leak)
{
	struct pd_sync_msg m;
	struct raw_hdr h = { .type = PD_SYNC_MOUNT_FD, .len = 0 };
	int fds[3];
	int before, r;

	for (int i = 0; i < 3; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (size_t n = 2; n <= 3; n++) {
		EXPECT_INT(send_raw(&h, sizeof(h), fds, n), (ssize_t)sizeof(h));
		before = count_fds();
		memset(&m, 0, sizeof(m));
		r = pd_sync_recv(sv[1], &m);
		if (r == 1 && m.fd >= 0)
			pd_close(m.fd);
		ck_assert_msg(count_fds() == before,
			      "%zu fds in one message: expected no fd left behind "
			      "(%d open before), got %d open (recv returned %d)",
			      n, before, count_fds(), r);
	}
	for (int i = 0; i < 3; i++)
		pd_close(fds[i]);
}
END_TEST

START_TEST(bug_max_payload_not_receivable)
{
	struct pd_sync_msg m;
	char big[PD_ERROR_MSG_MAX];
	int s, r;

	memset(big, 'b', sizeof(big));
	s = pd_sync_send(sv[0], PD_SYNC_GO, 0, -1, big, sizeof(big));
	r = s == 0 ? pd_sync_recv(sv[1], &m) : 0;
	ck_assert_msg(s == -1 || r == 1,
		      "a %zu-byte payload: expected refused by send or received whole, "
		      "got send %d, recv %d (errno %d)",
		      sizeof(big), s, r, errno);
}
END_TEST

static Suite *sync_suite(void)
{
	Suite *s = suite_create("sync");
	TCase *tc = tcase_create("sync");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pair_properties);
	tcase_add_test(tc, go_and_types);
	tcase_add_test(tc, fd_passes);
	tcase_add_test(tc, error_round_trip);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, eof);
	tcase_add_test(tc, send_to_closed_peer);
	tcase_add_test(tc, garbage_rejected);
	tcase_add_test(tc, garbage_with_fds_does_not_leak);
	tcase_add_test(tc, nonblocking_empty);
	tcase_add_test(tc, bug_two_fds_leak);
	tcase_add_test(tc, bug_max_payload_not_receivable);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(sync_suite);
