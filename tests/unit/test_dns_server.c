/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proxy/dns_server.c: the sandbox's resolver, served on a
 * real loop from UDP and TCP sockets on 127.0.0.1 (ephemeral ports), asked
 * by sockets the test drives without blocking.  Answers are compared byte
 * for byte with messages built here by hand; the policy is the proxy's
 * (ok.test, .dom.test), the addresses come from a synth table over
 * 198.18.0.0/16.
 *
 * Waits are bounded (RUN_UNTIL fails the test after its limit); the only
 * fixed waits check that something does NOT happen.
 */
#include "unit.h"
#include "common/loop.h"
#include "proxy/audit.h"
#include "proxy/dns_server.h"
#include "proxy/policy.h"
#include "proxy/proxy.h"
#include "proxy/resolve.h"
#include "proxy/synth.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int fd_count(void)
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

struct fx {
	struct pd_loop *loop;
	struct pd_resolver *res;
	struct pd_policy *pol;
	struct pd_proxy *proxy;
	struct pd_synth *synth;
	struct pd_audit *audit;
	struct pd_dns_server *dns;
	struct sockaddr_in udp_addr, tcp_addr;
	int client; /* a UDP socket connected to the server */
	char *tmp, *audit_path;
	int fds_before;
};

static void run_once(struct fx *f, int timeout_ms)
{
	struct pd_error err = { 0 };

	ck_assert_msg(pd_loop_run_once(f->loop, timeout_ms, &err) >= 0, "pd_loop_run_once: %s",
		      err.msg);
}

/* Runs the loop until @cond holds; fails the test after @max_ms. */
#define RUN_UNTIL(f, cond, max_ms) \
	do { \
		uint64_t end_ = now_ms() + (max_ms); \
		while (!(cond)) { \
			ck_assert_msg(now_ms() < end_, "waited %d ms for %s", (int)(max_ms), \
				      #cond); \
			run_once((f), 5); \
		} \
	} while (0)

static int sock_on_loopback(int type, struct sockaddr_in *sa)
{
	socklen_t sl = sizeof(*sa);
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_msg(fd >= 0, "socket: errno %d", errno);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(bind(fd, (struct sockaddr *)sa, sizeof(*sa)) == 0, "bind: errno %d", errno);
	ck_assert_msg(getsockname(fd, (struct sockaddr *)sa, &sl) == 0, "getsockname: errno %d",
		      errno);
	if (type == SOCK_STREAM)
		ck_assert_msg(listen(fd, 16) == 0, "listen: errno %d", errno);
	return fd;
}

static void fx_init(struct fx *f, bool with_audit)
{
	static const char *const entries[] = { "ok.test", ".dom.test" };
	struct pd_resolver_opts ro = { .servers = "127.0.0.1:9", .timeout_ms = 200, .tries = 1 };
	struct pd_proxy_opts po = { .sandbox = "sbx" };
	struct pd_dns_server_opts dopts = { .sandbox = "sbx" };
	struct pd_error err = { 0 };
	struct in_addr base;
	int udp, tcp;

	memset(f, 0, sizeof(*f));
	f->fds_before = fd_count();
	f->loop = pd_loop_new(&err);
	ck_assert_msg(f->loop != NULL, "pd_loop_new: %s", err.msg);
	f->res = pd_resolver_new(f->loop, &ro, &err);
	ck_assert_msg(f->res != NULL, "pd_resolver_new: %s", err.msg);
	f->pol = pd_policy_new(entries, 2, &err);
	ck_assert_msg(f->pol != NULL, "pd_policy_new: %s", err.msg);
	inet_pton(AF_INET, "198.18.0.0", &base);
	f->synth = pd_synth_new(base, 16, 0);
	ck_assert(f->synth != NULL);
	if (with_audit) {
		size_t n;

		f->tmp = pd_unit_tmpdir();
		n = strlen(f->tmp) + sizeof("/audit.jsonl");
		f->audit_path = malloc(n);
		ck_assert(f->audit_path != NULL);
		snprintf(f->audit_path, n, "%s/audit.jsonl", f->tmp);
		f->audit = pd_audit_open(f->audit_path, 0, 0, &err);
		ck_assert_msg(f->audit != NULL, "pd_audit_open: %s", err.msg);
	}
	po.resolver = f->res;
	po.audit = f->audit;
	po.synth = f->synth;
	f->proxy = pd_proxy_new(f->loop, f->pol, &po, &err);
	ck_assert_msg(f->proxy != NULL, "pd_proxy_new: %s", err.msg);
	udp = sock_on_loopback(SOCK_DGRAM, &f->udp_addr);
	tcp = sock_on_loopback(SOCK_STREAM, &f->tcp_addr);
	dopts.proxy = f->proxy;
	dopts.synth = f->synth;
	dopts.audit = f->audit;
	f->dns = pd_dns_server_new(f->loop, udp, tcp, &dopts, &err);
	ck_assert_msg(f->dns != NULL, "pd_dns_server_new: %s", err.msg);
	f->client = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert(f->client >= 0);
	ck_assert_msg(connect(f->client, (struct sockaddr *)&f->udp_addr, sizeof(f->udp_addr)) == 0,
		      "connect: errno %d", errno);
}

static void fx_fini(struct fx *f)
{
	close(f->client);
	pd_dns_server_free(f->dns);
	pd_proxy_free(f->proxy);
	pd_policy_unref(f->pol);
	pd_resolver_free(f->res);
	pd_synth_free(f->synth);
	pd_audit_close(f->audit);
	pd_loop_free(f->loop);
	if (f->tmp)
		pd_unit_rmrf(f->tmp);
	free(f->tmp);
	free(f->audit_path);
	/* every socket, pipe and timer the server had is closed */
	EXPECT_INT(fd_count(), f->fds_before);
}

/* ---- messages ---- */

struct msg {
	uint8_t b[600];
	size_t n;
};

static void put8(struct msg *m, uint8_t v)
{
	ck_assert(m->n < sizeof(m->b));
	m->b[m->n++] = v;
}

static void put16(struct msg *m, uint16_t v)
{
	put8(m, (uint8_t)(v >> 8));
	put8(m, (uint8_t)v);
}

static void put_bytes(struct msg *m, const void *p, size_t n)
{
	ck_assert(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* The question: @name as labels (as written, case kept), @qtype, class IN. */
static void put_question(struct msg *m, const char *name, uint16_t qtype)
{
	const char *p = name;

	while (*p) {
		size_t l = strcspn(p, ".");

		put8(m, (uint8_t)l);
		put_bytes(m, p, l);
		p += l + (p[l] == '.');
	}
	put8(m, 0);
	put16(m, qtype);
	put16(m, 1);
}

/* A query: id, flags (0x0100: RD; 0x8000: QR), one question. */
static struct msg query(uint16_t id, uint16_t flags, const char *name, uint16_t qtype)
{
	struct msg m = { .n = 0 };

	put16(&m, id);
	put16(&m, flags);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 0);
	put16(&m, 0);
	put_question(&m, name, qtype);
	return m;
}

/*
 * The answer the server must give a query from query(id, RD, ...): QR AA RD
 * RA and @rcode, the question as asked, and an A record (TTL 30) per
 * address in @addrs (dotted quads, NULL-terminated list).
 */
static struct msg answer(uint16_t id, const char *name, uint16_t qtype, int rcode,
			 const char *const *addrs)
{
	struct msg m = { .n = 0 };
	uint16_t an = 0;

	while (addrs && addrs[an])
		an++;
	put16(&m, id);
	put16(&m, (uint16_t)(0x8000 | 0x0400 | 0x0100 | 0x0080 | rcode));
	put16(&m, 1);
	put16(&m, an);
	put16(&m, 0);
	put16(&m, 0);
	put_question(&m, name, qtype);
	for (uint16_t i = 0; i < an; i++) {
		struct in_addr a;

		ck_assert(inet_pton(AF_INET, addrs[i], &a) == 1);
		put16(&m, 0xc00c);
		put16(&m, 1);
		put16(&m, 1);
		put16(&m, 0);
		put16(&m, 30);
		put16(&m, 4);
		put_bytes(&m, &a, 4);
	}
	return m;
}

static void expect_msg(const uint8_t *got, size_t n, const struct msg *want, const char *what)
{
	char g[1300] = "", w[1300] = "";

	for (size_t i = 0; i < n && i * 2 + 2 < sizeof(g); i++)
		snprintf(g + i * 2, 3, "%02x", got[i]);
	for (size_t i = 0; i < want->n && i * 2 + 2 < sizeof(w); i++)
		snprintf(w + i * 2, 3, "%02x", want->b[i]);
	ck_assert_msg(n == want->n && memcmp(got, want->b, n) == 0, "%s:\nexpected %s\ngot      %s",
		      what, w, g);
}

/* Send @q over UDP and return the one datagram that comes back. */
static size_t ask_udp(struct fx *f, const struct msg *q, uint8_t *out, size_t cap)
{
	ssize_t n = -1;

	ck_assert_msg(send(f->client, q->b, q->n, 0) == (ssize_t)q->n, "send: errno %d", errno);
	RUN_UNTIL(f, (n = recv(f->client, out, cap, MSG_DONTWAIT)) >= 0 || errno != EAGAIN, 2000);
	ck_assert_msg(n >= 0, "recv: errno %d", errno);
	return (size_t)n;
}

static void expect_udp(struct fx *f, const struct msg *q, const struct msg *want, const char *what)
{
	uint8_t buf[1500];
	size_t n = ask_udp(f, q, buf, sizeof(buf));

	expect_msg(buf, n, want, what);
}

static const char *const A1[] = { "198.18.0.1", NULL };
static const char *const A2[] = { "198.18.0.2", NULL };

/* ---- UDP ---- */

START_TEST(test_a_allowed)
{
	struct fx f;
	struct msg q, a;

	fx_init(&f, false);
	q = query(0x1234, 0x0100, "ok.test", 1);
	a = answer(0x1234, "ok.test", 1, 0, A1);
	expect_udp(&f, &q, &a, "A ok.test");
	/* the same name again: the same address */
	q = query(0x1235, 0x0100, "ok.test", 1);
	a = answer(0x1235, "ok.test", 1, 0, A1);
	expect_udp(&f, &q, &a, "A ok.test again");
	/* a name under .dom.test: the next address */
	q = query(7, 0x0100, "www.dom.test", 1);
	a = answer(7, "www.dom.test", 1, 0, A2);
	expect_udp(&f, &q, &a, "A www.dom.test");
	/* mixed case (0x20 randomization): the question comes back as asked,
	 * the address is ok.test's */
	q = query(8, 0x0100, "Ok.TeSt", 1);
	a = answer(8, "Ok.TeSt", 1, 0, A1);
	expect_udp(&f, &q, &a, "A Ok.TeSt");
	/* the table agrees with what was handed out */
	{
		struct in_addr x;

		inet_pton(AF_INET, "198.18.0.2", &x);
		EXPECT_STR(pd_synth_name(f.synth, x), "www.dom.test");
	}
	EXPECT_UINT(pd_proxy_denials(f.proxy, NULL, 0), 0);
	fx_fini(&f);
}
END_TEST

START_TEST(test_other_types)
{
	struct fx f;
	struct msg q, a;

	fx_init(&f, false);
	/* AAAA of an allowed name: NOERROR without records (no IPv6 inside) */
	q = query(1, 0x0100, "ok.test", 28);
	a = answer(1, "ok.test", 28, 0, NULL);
	expect_udp(&f, &q, &a, "AAAA ok.test");
	/* MX too */
	q = query(2, 0x0100, "ok.test", 15);
	a = answer(2, "ok.test", 15, 0, NULL);
	expect_udp(&f, &q, &a, "MX ok.test");
	/* and ANY (RFC 8482: a subset will do; here, none) */
	q = query(4, 0x0100, "x.dom.test", 255);
	a = answer(4, "x.dom.test", 255, 0, NULL);
	expect_udp(&f, &q, &a, "ANY x.dom.test");
	/* none of these took an address: the first A answer gets the first one */
	q = query(3, 0x0100, "ok.test", 1);
	a = answer(3, "ok.test", 1, 0, A1);
	expect_udp(&f, &q, &a, "A ok.test");
	{
		struct in_addr x;

		inet_pton(AF_INET, "198.18.0.2", &x);
		EXPECT_STR(pd_synth_name(f.synth, x), NULL);
	}
	EXPECT_UINT(pd_proxy_denials(f.proxy, NULL, 0), 0);
	fx_fini(&f);
}
END_TEST

START_TEST(test_denied)
{
	struct fx f;
	struct msg q, a;
	char sum[200];

	fx_init(&f, false);
	q = query(1, 0x0100, "evil.test", 1);
	a = answer(1, "evil.test", 1, 3, NULL);
	expect_udp(&f, &q, &a, "A evil.test");
	q = query(2, 0x0100, "evil.test", 28);
	a = answer(2, "evil.test", 28, 3, NULL);
	expect_udp(&f, &q, &a, "AAAA evil.test");
	/* dom.test itself is allowed (".dom.test" covers it); xdom.test is not */
	q = query(3, 0x0100, "xdom.test", 1);
	a = answer(3, "xdom.test", 1, 3, NULL);
	expect_udp(&f, &q, &a, "A xdom.test");
	/* reverse lookups and IP literals: NXDOMAIN */
	q = query(4, 0x0100, "1.0.0.127.in-addr.arpa", 12);
	a = answer(4, "1.0.0.127.in-addr.arpa", 12, 3, NULL);
	expect_udp(&f, &q, &a, "PTR");
	q = query(5, 0x0100, "127.0.0.1", 1);
	a = answer(5, "127.0.0.1", 1, 3, NULL);
	expect_udp(&f, &q, &a, "A 127.0.0.1");
	/* no address was taken by a denied name */
	q = query(6, 0x0100, "dom.test", 1);
	a = answer(6, "dom.test", 1, 0, A1);
	expect_udp(&f, &q, &a, "A dom.test");
	/* each denial counts in the proxy's summary, under the name as asked */
	EXPECT_UINT(pd_proxy_denials(f.proxy, sum, sizeof(sum)), 5);
	EXPECT_STR(sum,
		   "5 requests denied (evil.test \xc3\x97"
		   "2, xdom.test, 1.0.0.127.in-addr.arpa, 127.0.0.1)");
	fx_fini(&f);
}
END_TEST

/* The server follows the proxy's policy in force. */
START_TEST(test_policy_swap)
{
	static const char *const entries[] = { "new.test" };
	struct pd_error err = { 0 };
	struct pd_policy *np;
	struct fx f;
	struct msg q, a;

	fx_init(&f, false);
	q = query(1, 0x0100, "new.test", 1);
	a = answer(1, "new.test", 1, 3, NULL);
	expect_udp(&f, &q, &a, "A new.test before");
	np = pd_policy_new(entries, 1, &err);
	ck_assert_msg(np != NULL, "pd_policy_new: %s", err.msg);
	pd_proxy_set_policy(f.proxy, np);
	pd_policy_unref(np);
	q = query(2, 0x0100, "new.test", 1);
	a = answer(2, "new.test", 1, 0, A1);
	expect_udp(&f, &q, &a, "A new.test after");
	q = query(3, 0x0100, "ok.test", 1);
	a = answer(3, "ok.test", 1, 3, NULL);
	expect_udp(&f, &q, &a, "A ok.test after");
	fx_fini(&f);
}
END_TEST

/* Malformed queries get FORMERR; a response (QR=1) gets nothing at all. */
START_TEST(test_malformed_and_responses)
{
	struct fx f;
	struct msg q, a, r;
	uint8_t buf[1500];
	size_t n;

	fx_init(&f, false);
	/* QDCOUNT 2: FORMERR without a question */
	q = query(0x4242, 0x0100, "ok.test", 1);
	q.b[5] = 2;
	a = (struct msg){ .n = 0 };
	put16(&a, 0x4242);
	put16(&a, 0x8000 | 0x0400 | 0x0100 | 0x0080 | 1);
	put16(&a, 0);
	put16(&a, 0);
	put16(&a, 0);
	put16(&a, 0);
	expect_udp(&f, &q, &a, "QDCOUNT 2");

	/* a response, then a query: the first answer is the query's */
	r = query(0x1111, 0x8100, "ok.test", 1);
	ck_assert(send(f.client, r.b, r.n, 0) == (ssize_t)r.n);
	r = query(0x1112, 0x8580, "evil.test", 1); /* one with answer flags, too */
	ck_assert(send(f.client, r.b, r.n, 0) == (ssize_t)r.n);
	q = query(0x2222, 0x0100, "ok.test", 1);
	a = answer(0x2222, "ok.test", 1, 0, A1);
	n = ask_udp(&f, &q, buf, sizeof(buf));
	expect_msg(buf, n, &a, "the query after two responses");
	/* and nothing else comes */
	for (int i = 0; i < 10; i++)
		run_once(&f, 10);
	EXPECT_INT(recv(f.client, buf, sizeof(buf), MSG_DONTWAIT), -1);
	EXPECT_INT(errno, EAGAIN);
	/* a runt (shorter than a header) is dropped too */
	ck_assert(send(f.client, "\x12\x34\x01", 3, 0) == 3);
	for (int i = 0; i < 10; i++)
		run_once(&f, 10);
	EXPECT_INT(recv(f.client, buf, sizeof(buf), MSG_DONTWAIT), -1);
	EXPECT_INT(errno, EAGAIN);
	/* neither was a denial */
	EXPECT_UINT(pd_proxy_denials(f.proxy, NULL, 0), 0);
	fx_fini(&f);
}
END_TEST

/* ---- TCP ---- */

static int tcp_client(struct fx *f)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert(fd >= 0);
	ck_assert_msg(connect(fd, (struct sockaddr *)&f->tcp_addr, sizeof(f->tcp_addr)) == 0 ||
			      errno == EINPROGRESS,
		      "connect: errno %d", errno);
	return fd;
}

static void tcp_send(int fd, const void *p, size_t n)
{
	ck_assert_msg(send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n, "send: errno %d", errno);
}

static void tcp_send_frame(int fd, const struct msg *m)
{
	uint8_t len[2] = { (uint8_t)(m->n >> 8), (uint8_t)m->n };

	tcp_send(fd, len, 2);
	tcp_send(fd, m->b, m->n);
}

/* Read until @want bytes came (or EOF: *eof); returns how many came. */
static size_t tcp_read(struct fx *f, int fd, uint8_t *buf, size_t want, bool *eof)
{
	size_t got = 0;
	uint64_t end = now_ms() + 2000;

	*eof = false;
	while (got < want) {
		ssize_t n = recv(fd, buf + got, want - got, MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			*eof = true;
			break;
		}
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		ck_assert_msg(now_ms() < end, "waited 2000 ms for %zu bytes, got %zu", want, got);
		run_once(f, 5);
	}
	return got;
}

/* One framed answer: its length prefix, then the message. */
static void expect_tcp_answer(struct fx *f, int fd, const struct msg *want, const char *what)
{
	uint8_t buf[1500];
	bool eof;

	EXPECT_UINT(tcp_read(f, fd, buf, 2, &eof), 2);
	EXPECT_UINT((size_t)buf[0] << 8 | buf[1], want->n);
	EXPECT_UINT(tcp_read(f, fd, buf, want->n, &eof), want->n);
	expect_msg(buf, want->n, want, what);
}

START_TEST(test_tcp)
{
	struct fx f;
	struct msg q1, q2, q3, r, a;
	uint8_t frames[1200], buf[16];
	size_t n = 0;
	bool eof;
	int fd;

	fx_init(&f, false);
	fd = tcp_client(&f);
	/* two frames in one write, a response frame between them */
	q1 = query(0xa001, 0x0100, "ok.test", 1);
	r = query(0xa002, 0x8100, "ok.test", 1);
	q2 = query(0xa003, 0x0100, "evil.test", 1);
	frames[n++] = 0;
	frames[n++] = (uint8_t)q1.n;
	memcpy(frames + n, q1.b, q1.n);
	n += q1.n;
	frames[n++] = 0;
	frames[n++] = (uint8_t)r.n;
	memcpy(frames + n, r.b, r.n);
	n += r.n;
	frames[n++] = 0;
	frames[n++] = (uint8_t)q2.n;
	memcpy(frames + n, q2.b, q2.n);
	n += q2.n;
	RUN_UNTIL(&f, send(fd, frames, n, MSG_NOSIGNAL) == (ssize_t)n, 2000);
	a = answer(0xa001, "ok.test", 1, 0, A1);
	expect_tcp_answer(&f, fd, &a, "TCP A ok.test");
	a = answer(0xa003, "evil.test", 1, 3, NULL);
	expect_tcp_answer(&f, fd, &a, "TCP A evil.test");

	/* one frame in three pieces: the prefix split too */
	q3 = query(0xa004, 0x0100, "x.dom.test", 1);
	buf[0] = 0;
	buf[1] = (uint8_t)q3.n;
	tcp_send(fd, buf, 1);
	for (int i = 0; i < 5; i++)
		run_once(&f, 5);
	tcp_send(fd, buf + 1, 1);
	tcp_send(fd, q3.b, 5);
	for (int i = 0; i < 5; i++)
		run_once(&f, 5);
	tcp_send(fd, q3.b + 5, q3.n - 5);
	a = answer(0xa004, "x.dom.test", 1, 0, A2);
	expect_tcp_answer(&f, fd, &a, "TCP A x.dom.test in pieces");

	/* a frame too short to be a message closes the connection */
	tcp_send(fd, "\x00\x05hello", 7);
	EXPECT_UINT(tcp_read(&f, fd, buf, sizeof(buf), &eof), 0);
	ck_assert_msg(eof, "the connection stayed open after a 5-byte frame");
	close(fd);

	/* as does one longer than 512 bytes (announced: nothing else is read) */
	fd = tcp_client(&f);
	tcp_send(fd, "\x02\x01", 2);
	EXPECT_UINT(tcp_read(&f, fd, buf, sizeof(buf), &eof), 0);
	ck_assert_msg(eof, "the connection stayed open after a 513-byte frame");
	close(fd);

	/* a client that goes away after a query is no trouble */
	fd = tcp_client(&f);
	tcp_send_frame(fd, &q1);
	close(fd);
	for (int i = 0; i < 10; i++)
		run_once(&f, 5);
	EXPECT_UINT(pd_proxy_denials(f.proxy, NULL, 0), 1);
	fx_fini(&f);
}
END_TEST

/* The server owns its fds also when it cannot start. */
START_TEST(test_new_fails)
{
	struct pd_dns_server_opts o = { 0 };
	struct pd_error err = { 0 };
	struct pd_loop *loop = pd_loop_new(&err);
	struct sockaddr_in sa;
	int tcp, before = fd_count();

	ck_assert(loop != NULL);
	tcp = sock_on_loopback(SOCK_STREAM, &sa);
	ck_assert_msg(pd_dns_server_new(loop, 9999, tcp, &o, &err) == NULL, "a bad UDP fd taken");
	EXPECT_INT(err.code, EBADF);
	EXPECT_INT(fcntl(tcp, F_GETFD), -1);
	EXPECT_INT(fd_count(), before);
	pd_loop_free(loop);
}
END_TEST

/* At most 64 TCP connections: the next is closed at once, the others go on. */
START_TEST(test_tcp_limit)
{
	struct fx f;
	int fds[65];
	uint8_t buf[16];
	struct msg q, a;
	bool eof;

	fx_init(&f, false);
	for (int i = 0; i < 64; i++) {
		fds[i] = tcp_client(&f);
		/* one at a time, so each is accepted before the next comes */
		for (int k = 0; k < 3; k++)
			run_once(&f, 2);
	}
	fds[64] = tcp_client(&f);
	EXPECT_UINT(tcp_read(&f, fds[64], buf, sizeof(buf), &eof), 0);
	ck_assert_msg(eof, "the 65th connection stayed open");
	q = query(0x77, 0x0100, "ok.test", 1);
	a = answer(0x77, "ok.test", 1, 0, A1);
	tcp_send_frame(fds[63], &q);
	expect_tcp_answer(&f, fds[63], &a, "the 64th connection");
	/* one goes: a new one is served */
	close(fds[0]);
	for (int k = 0; k < 10; k++)
		run_once(&f, 2);
	close(fds[64]);
	fds[0] = tcp_client(&f);
	for (int k = 0; k < 5; k++)
		run_once(&f, 2);
	tcp_send_frame(fds[0], &q);
	expect_tcp_answer(&f, fds[0], &a, "a connection after one closed");
	for (int i = 0; i < 64; i++)
		close(fds[i]);
	fx_fini(&f);
}
END_TEST

/* ---- audit ---- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	ck_assert_msg(v != NULL, "audit line without \"%s\"", k);
	return cJSON_IsNull(v) ? NULL : v->valuestring;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	ck_assert_msg(v != NULL && cJSON_IsNumber(v), "audit line without number \"%s\"", k);
	return v->valuedouble;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "re");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	ck_assert_msg(fp != NULL, "open %s: errno %d", path, errno);
	ck_assert(buf != NULL);
	n = fread(buf, 1, (1 << 16) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

START_TEST(test_audit)
{
	struct fx f;
	struct msg q, a;
	char *text, *line, *save = NULL;
	cJSON *j[5] = { NULL };
	int nl = 0;

	fx_init(&f, true);
	q = query(1, 0x0100, "ok.test", 1);
	a = answer(1, "ok.test", 1, 0, A1);
	expect_udp(&f, &q, &a, "A ok.test");
	q = query(2, 0x0100, "ok.test", 28);
	a = answer(2, "ok.test", 28, 0, NULL);
	expect_udp(&f, &q, &a, "AAAA ok.test");
	q = query(3, 0x0100, "Evil.Test", 1);
	a = answer(3, "Evil.Test", 1, 3, NULL);
	expect_udp(&f, &q, &a, "A Evil.Test");
	q = query(4, 0x0100, "ok.test", 1);
	q.b[q.n - 1] = 3; /* class CH: REFUSED, not a denial */
	a = answer(4, "ok.test", 1, 5, NULL);
	a.b[a.n - 1] = 3;
	expect_udp(&f, &q, &a, "A ok.test class CH");
	q = query(5, 0x0100, "new.dom.test", 255);
	a = answer(5, "new.dom.test", 255, 0, NULL);
	expect_udp(&f, &q, &a, "ANY new.dom.test");
	text = slurp(f.audit_path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(nl < 5, "more than 5 audit lines: %s", line);
		j[nl] = cJSON_Parse(line);
		ck_assert_msg(j[nl] != NULL, "not JSON: %s", line);
		nl++;
	}
	EXPECT_INT(nl, 5);
	for (int i = 0; i < 5; i++) {
		EXPECT_STR(jstr(j[i], "sandbox"), "sbx");
		EXPECT_STR(jstr(j[i], "kind"), "dns");
		EXPECT_INT(jnum(j[i], "port"), 0);
		EXPECT_INT(jnum(j[i], "bytes_up"), 0);
		EXPECT_INT(jnum(j[i], "bytes_down"), 0);
		ck_assert_msg(strlen(jstr(j[i], "time")) == 24, "time: %s", jstr(j[i], "time"));
	}
	/* the entry that allowed an answered name; none for the others */
	EXPECT_STR(jstr(j[0], "rule"), "ok.test");
	EXPECT_STR(jstr(j[1], "rule"), "ok.test");
	EXPECT_STR(jstr(j[2], "rule"), NULL);
	EXPECT_STR(jstr(j[3], "rule"), NULL);
	EXPECT_STR(jstr(j[4], "rule"), ".dom.test");
	EXPECT_STR(jstr(j[0], "method"), "A");
	EXPECT_STR(jstr(j[0], "host"), "ok.test");
	EXPECT_STR(jstr(j[0], "addr"), "198.18.0.1");
	EXPECT_STR(jstr(j[0], "verdict"), "allow");
	EXPECT_STR(jstr(j[0], "reason"), NULL);
	EXPECT_STR(jstr(j[1], "method"), "AAAA");
	EXPECT_STR(jstr(j[1], "host"), "ok.test");
	EXPECT_STR(jstr(j[1], "addr"), NULL);
	EXPECT_STR(jstr(j[1], "verdict"), "allow");
	EXPECT_STR(jstr(j[2], "method"), "A");
	EXPECT_STR(jstr(j[2], "host"), "evil.test");
	EXPECT_STR(jstr(j[2], "addr"), NULL);
	EXPECT_STR(jstr(j[2], "verdict"), "deny");
	EXPECT_STR(jstr(j[2], "reason"), "not in the allowlist");
	EXPECT_STR(jstr(j[3], "host"), "ok.test");
	EXPECT_STR(jstr(j[3], "verdict"), "deny");
	EXPECT_STR(jstr(j[3], "reason"), "not class IN");
	EXPECT_STR(jstr(j[4], "method"), "ANY");
	EXPECT_STR(jstr(j[4], "host"), "new.dom.test");
	EXPECT_STR(jstr(j[4], "addr"), NULL); /* none was given out */
	EXPECT_STR(jstr(j[4], "verdict"), "allow");
	EXPECT_UINT(pd_proxy_denials(f.proxy, NULL, 0), 1);
	for (int i = 0; i < 5; i++)
		cJSON_Delete(j[i]);
	free(text);
	fx_fini(&f);
}
END_TEST

static Suite *dns_server_suite(void)
{
	Suite *s = suite_create("dns_server");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_a_allowed);
	tcase_add_test(tc, test_other_types);
	tcase_add_test(tc, test_denied);
	tcase_add_test(tc, test_policy_swap);
	tcase_add_test(tc, test_malformed_and_responses);
	tcase_add_test(tc, test_tcp);
	tcase_add_test(tc, test_new_fails);
	tcase_add_test(tc, test_tcp_limit);
	tcase_add_test(tc, test_audit);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(dns_server_suite);
