/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/control.c: the control socket's messages over a
 * SOCK_SEQPACKET socketpair.  One message is one JSON object with at most
 * PD_CTL_FDS_MAX fds; anything else is refused with every fd that came
 * with it closed (counted in /proc/self/fd).
 */
#include "unit.h"

#include "control.h"
#include "common/util.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_msg(d != NULL, "opendir /proc/self/fd: errno %d", errno);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

/* Send @len raw bytes with @n fds, as a peer that does not play by the rules would. */
static void send_raw(int sock, const void *data, size_t len, const int *fds, size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	ck_assert_uint_le(n, 16);
	memset(&u, 0, sizeof(u));
	if (n) {
		struct cmsghdr *c;

		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	ck_assert_msg(sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)len, "sendmsg: errno %d", errno);
}

/* @n fds of fresh pipes' writing ends (without close-on-exec) in @w, reading ends in @r. */
static void make_pipes(int *r, int *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int p[2];

		ck_assert_int_eq(pipe2(p, 0), 0);
		r[i] = p[0];
		w[i] = p[1];
	}
}

static void close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* A message that is refused: -1 with EPROTO, nothing returned, no fd left behind. */
static void expect_refused(int sock, size_t cap, const char *why)
{
	int fds[PD_CTL_FDS_MAX + 1] = { -1, -1, -1, -1 };
	size_t n = 99;
	cJSON dummy, *msg = &dummy; /* must come back NULL */
	struct pd_error e = { 0 };
	int before = count_fds();

	ck_assert_int_eq(pd_ctl_recv(sock, &msg, fds, cap, &n, &e), -1);
	EXPECT_INT(e.code, EPROTO);
	ck_assert_msg(strstr(e.msg, why) != NULL, "\"%s\", want \"%s\"", e.msg, why);
	ck_assert_ptr_null(msg);
	EXPECT_UINT(n, 0);
	EXPECT_INT(fds[0], -1);
	EXPECT_INT(count_fds(), before);
}

START_TEST(test_round_trip)
{
	for (size_t nfd = 0; nfd <= PD_CTL_FDS_MAX; nfd++) {
		int sv[2], r[PD_CTL_FDS_MAX], w[PD_CTL_FDS_MAX], got[PD_CTL_FDS_MAX];
		cJSON *msg = cJSON_CreateObject(), *back = NULL;
		struct pd_error e = { 0 };
		size_t n = 99;
		int before;

		pair(sv);
		make_pipes(r, w, nfd);
		cJSON_AddStringToObject(msg, "op", "exec");
		cJSON_AddNumberToObject(msg, "fds", (double)nfd);
		cJSON_AddStringToObject(msg, "text", "quotes \" and \\ and \xc3\xa9");
		cJSON_AddItemToObject(msg, "argv", cJSON_CreateArray());
		cJSON_AddTrueToObject(msg, "tty");
		ck_assert_msg(pd_ctl_send(sv[0], msg, w, nfd, &e) == 0, "%s", e.msg);
		close_fds(w, nfd); /* the copies in flight keep the pipes open */
		before = count_fds();
		ck_assert_msg(pd_ctl_recv(sv[1], &back, got, PD_CTL_FDS_MAX, &n, &e) == 1, "%s",
			      e.msg);
		ck_assert_msg(cJSON_Compare(msg, back, true), "%zu fds: a different message", nfd);
		EXPECT_UINT(n, nfd);
		EXPECT_INT(count_fds(), before + (int)nfd);
		for (size_t i = 0; i < nfd; i++) {
			char c = 0;
			int fl = fcntl(got[i], F_GETFD);

			ck_assert_msg(fl >= 0 && (fl & FD_CLOEXEC), "fd %d: flags %d", got[i], fl);
			/* the same pipe, in the order sent */
			ck_assert_int_eq(write(got[i], "x", 1), 1);
			ck_assert_int_eq(read(r[i], &c, 1), 1);
			ck_assert_int_eq(c, 'x');
			for (size_t j = 0; j < i; j++)
				ck_assert_int_ne(got[i], got[j]);
		}
		close_fds(got, nfd);
		close_fds(r, nfd);
		cJSON_Delete(msg);
		cJSON_Delete(back);
		close(sv[0]);
		close(sv[1]);
	}
}
END_TEST

/* More fds than the receiver takes: refused, and every one of them closed. */
START_TEST(test_too_many_fds)
{
	static const char obj[] = "{\"op\":\"x\"}";
	int sv[2], r[8], w[8];
	cJSON *msg = cJSON_CreateObject();
	struct pd_error e = { 0 };
	int base;

	pair(sv);
	make_pipes(r, w, 8);
	base = count_fds();
	/* through pd_ctl_send: 3 fds to a receiver taking 0, 1 or 2 */
	for (size_t cap = 0; cap < PD_CTL_FDS_MAX; cap++) {
		ck_assert_msg(pd_ctl_send(sv[0], msg, w, PD_CTL_FDS_MAX, &e) == 0, "%s", e.msg);
		expect_refused(sv[1], cap, "3 fds");
		EXPECT_INT(count_fds(), base);
	}
	/* raw: 4 (the receive buffer still holds them all) and 8 (it is cut) */
	send_raw(sv[0], obj, sizeof(obj) - 1, w, 4);
	expect_refused(sv[1], PD_CTL_FDS_MAX, "4 fds");
	send_raw(sv[0], obj, sizeof(obj) - 1, w, 8);
	expect_refused(sv[1], PD_CTL_FDS_MAX, "a malformed control message");
	EXPECT_INT(count_fds(), base);
	/* nothing of them is left open anywhere: closing ours makes every pipe see EOF */
	close_fds(w, 8);
	for (size_t i = 0; i < 8; i++) {
		char c;

		EXPECT_INT(read(r[i], &c, 1), 0);
	}
	close_fds(r, 8);
	/* the sender refuses more than PD_CTL_FDS_MAX itself */
	ck_assert_int_eq(pd_ctl_send(sv[0], msg, r, PD_CTL_FDS_MAX + 1, &e), -1);
	EXPECT_INT(e.code, EMSGSIZE);
	cJSON_Delete(msg);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Messages that are not one JSON object are refused (their fds closed too). */
START_TEST(test_not_object)
{
	static const char *const bad[] = { "[1]", "\"x\"",    "null",     "42",      "true",
					   "{",   "{\"a\":}", "not json", "\x80\xff" };
	int sv[2], r[2], w[2];

	pair(sv);
	make_pipes(r, w, 2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		send_raw(sv[0], bad[i], strlen(bad[i]), NULL, 0);
		expect_refused(sv[1], PD_CTL_FDS_MAX, "not a JSON object");
		send_raw(sv[0], bad[i], strlen(bad[i]), w, 2);
		expect_refused(sv[1], PD_CTL_FDS_MAX, "not a JSON object");
	}
	/* an empty message with fds is not end-of-file */
	send_raw(sv[0], "", 0, w, 1);
	expect_refused(sv[1], PD_CTL_FDS_MAX, "not a JSON object");
	close_fds(w, 2);
	for (size_t i = 0; i < 2; i++) {
		char c;

		EXPECT_INT(read(r[i], &c, 1), 0);
	}
	close_fds(r, 2);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_eof)
{
	int sv[2], fds[PD_CTL_FDS_MAX];
	cJSON dummy, *msg = &dummy;
	struct pd_error e = { 0 };
	size_t n = 99;

	pair(sv);
	close(sv[0]);
	ck_assert_int_eq(pd_ctl_recv(sv[1], &msg, fds, PD_CTL_FDS_MAX, &n, &e), 0);
	ck_assert_ptr_null(msg);
	EXPECT_UINT(n, 0);
	close(sv[1]);
	/* no socket at all: an error, not end-of-file */
	ck_assert_int_eq(pd_ctl_recv(-1, &msg, fds, PD_CTL_FDS_MAX, &n, &e), -1);
	EXPECT_INT(e.code, EBADF);
}
END_TEST

/* A JSON object of exactly @len bytes: {"a":"xxx..."}. */
static char *object_of(size_t len)
{
	char *t = pd_xmalloc(len + 1);

	ck_assert_uint_ge(len, 8);
	memset(t, 'x', len);
	t[0] = '{';
	t[1] = t[3] = t[5] = t[len - 2] = '"';
	t[2] = 'a';
	t[4] = ':';
	t[len - 1] = '}';
	t[len] = '\0';
	return t;
}

START_TEST(test_size)
{
	int sv[2], fds[PD_CTL_FDS_MAX], sz = 4 * PD_CTL_MSG_MAX;
	cJSON *msg = NULL;
	struct pd_error e = { 0 };
	size_t n = 0;
	char *t;

	pair(sv);
	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	/* exactly the largest */
	t = object_of(PD_CTL_MSG_MAX);
	send_raw(sv[0], t, PD_CTL_MSG_MAX, NULL, 0);
	ck_assert_msg(pd_ctl_recv(sv[1], &msg, fds, PD_CTL_FDS_MAX, &n, &e) == 1, "%s", e.msg);
	EXPECT_UINT(strlen(cJSON_GetObjectItem(msg, "a")->valuestring), PD_CTL_MSG_MAX - 8);
	cJSON_Delete(msg);
	free(t);
	/* one byte more, and much more (the datagram is cut) */
	t = object_of(PD_CTL_MSG_MAX + 1);
	send_raw(sv[0], t, PD_CTL_MSG_MAX + 1, NULL, 0);
	expect_refused(sv[1], PD_CTL_FDS_MAX, "65537 bytes");
	free(t);
	t = object_of(PD_CTL_MSG_MAX + 1000);
	send_raw(sv[0], t, PD_CTL_MSG_MAX + 1000, NULL, 0);
	expect_refused(sv[1], PD_CTL_FDS_MAX, "a malformed control message");
	/* and the sender does not send what is too long */
	msg = cJSON_Parse(t);
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(pd_ctl_send(sv[0], msg, NULL, 0, &e), -1);
	EXPECT_INT(e.code, EMSGSIZE);
	cJSON_Delete(msg);
	free(t);
	/* nothing more was queued */
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(pd_ctl_recv(sv[1], &msg, fds, PD_CTL_FDS_MAX, &n, &e), -1);
	EXPECT_INT(e.code, EAGAIN);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_send_closed)
{
	int sv[2];
	cJSON *msg = cJSON_CreateObject();
	struct pd_error e = { 0 };

	pair(sv);
	close(sv[1]);
	/* EPIPE, and no SIGPIPE (which would end the test runner) */
	ck_assert_int_eq(pd_ctl_send(sv[0], msg, NULL, 0, &e), -1);
	EXPECT_INT(e.code, EPIPE);
	cJSON_Delete(msg);
	close(sv[0]);
}
END_TEST

START_TEST(test_error_msg)
{
	cJSON *m = pd_ctl_error_msg("no such \"thing\"", 127);
	cJSON *want =
		cJSON_Parse("{\"ok\":false,\"error\":\"no such \\\"thing\\\"\",\"status\":127}");

	ck_assert_ptr_nonnull(want);
	ck_assert(cJSON_Compare(m, want, true));
	cJSON_Delete(m);
	cJSON_Delete(want);
}
END_TEST

/*
 * pd_ctl_call() against a peer whose answer (@answer with @an fds) is
 * already queued: the request must go out as it was, and pd_ctl_call()'s
 * result comes back.
 */
static cJSON *call_with(const char *answer, const int *afds, size_t an, int *fds, size_t cap,
			size_t *n, struct pd_error *e)
{
	int sv[2];
	cJSON *req = cJSON_CreateObject(), *seen = NULL, *ans;
	int pfds[PD_CTL_FDS_MAX];
	size_t pn = 0;
	struct pd_error pe = { 0 };

	pair(sv);
	cJSON_AddStringToObject(req, "op", "status");
	send_raw(sv[1], answer, strlen(answer), afds, an);
	ans = pd_ctl_call(sv[0], req, fds, cap, n, e);
	ck_assert_int_eq(pd_ctl_recv(sv[1], &seen, pfds, PD_CTL_FDS_MAX, &pn, &pe), 1);
	ck_assert(cJSON_Compare(req, seen, true));
	EXPECT_UINT(pn, 0);
	cJSON_Delete(seen);
	cJSON_Delete(req);
	close(sv[0]);
	close(sv[1]);
	return ans;
}

START_TEST(test_call)
{
	int fds[PD_CTL_FDS_MAX], r[2], w[2], before;
	struct pd_error e = { 0 };
	size_t n = 99;
	cJSON *ans;

	/* a refusal: its text and status */
	ans = call_with("{\"ok\":false,\"error\":\"E\",\"status\":126}", NULL, 0, fds,
			PD_CTL_FDS_MAX, &n, &e);
	ck_assert_ptr_null(ans);
	EXPECT_STR(e.msg, "E");
	EXPECT_INT(e.status, 126);
	EXPECT_UINT(n, 0);
	/* without a text, or with a status that is no exit status */
	ans = call_with("{\"ok\":false,\"status\":300}", NULL, 0, fds, PD_CTL_FDS_MAX, &n, &e);
	ck_assert_ptr_null(ans);
	EXPECT_STR(e.msg, "the supervisor refused");
	EXPECT_INT(e.status, 0);
	ans = call_with("{\"error\":5,\"status\":\"1\"}", NULL, 0, fds, PD_CTL_FDS_MAX, &n, &e);
	ck_assert_ptr_null(ans);
	EXPECT_STR(e.msg, "the supervisor refused");
	EXPECT_INT(e.status, 0);
	/* a refusal's fds are closed */
	make_pipes(r, w, 2);
	before = count_fds();
	ans = call_with("{\"ok\":false,\"error\":\"no\"}", w, 2, fds, PD_CTL_FDS_MAX, &n, &e);
	ck_assert_ptr_null(ans);
	EXPECT_UINT(n, 0);
	EXPECT_INT(count_fds(), before);
	close_fds(w, 2);
	/* an answer: returned with its fds */
	ans = call_with("{\"ok\":true,\"pid\":42}", r, 2, fds, PD_CTL_FDS_MAX, &n, &e);
	ck_assert_msg(ans != NULL, "%s", e.msg);
	EXPECT_INT(cJSON_GetObjectItem(ans, "pid")->valuedouble, 42);
	EXPECT_UINT(n, 2);
	EXPECT_INT(count_fds(), before); /* the 2 writing ends closed, 2 fds received */
	cJSON_Delete(ans);
	close_fds(fds, n);
	close_fds(r, 2);
	/* an answer that is not an object */
	ans = call_with("[true]", NULL, 0, fds, PD_CTL_FDS_MAX, &n, &e);
	ck_assert_ptr_null(ans);
	EXPECT_INT(e.code, EPROTO);
}
END_TEST

/* The supervisor hangs up before answering. */
START_TEST(test_call_hangup)
{
	int sv[2], fds[PD_CTL_FDS_MAX];
	cJSON *req = cJSON_CreateObject();
	struct pd_error e = { 0 };
	size_t n = 0;

	pair(sv);
	ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
	ck_assert_ptr_null(pd_ctl_call(sv[0], req, fds, PD_CTL_FDS_MAX, &n, &e));
	EXPECT_INT(e.code, ECONNRESET);
	EXPECT_STR(e.msg, "the session's supervisor hung up");
	close(sv[1]);
	/*
	 * and when it is gone altogether, the request cannot go out (EPIPE;
	 * ECONNRESET here, as it went with our first request unread)
	 */
	ck_assert_ptr_null(pd_ctl_call(sv[0], req, fds, PD_CTL_FDS_MAX, &n, &e));
	ck_assert_msg(e.code == EPIPE || e.code == ECONNRESET, "%s", e.msg);
	ck_assert_msg(!strncmp(e.msg, "send control message: ", 22), "%s", e.msg);
	cJSON_Delete(req);
	close(sv[0]);
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_too_many_fds);
	tcase_add_test(tc, test_not_object);
	tcase_add_test(tc, test_eof);
	tcase_add_test(tc, test_size);
	tcase_add_test(tc, test_send_closed);
	tcase_add_test(tc, test_error_msg);
	tcase_add_test(tc, test_call);
	tcase_add_test(tc, test_call_hangup);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(control_suite);
