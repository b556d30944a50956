/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proxy/resolve.c: c-ares lookups on the event loop.
 *
 * A fake DNS server lives inside the test: a UDP socket on 127.0.0.1 (an
 * ephemeral port), an fd source of the same loop as the resolver, answering
 * with hand-built wire bytes and counting the queries it gets:
 *
 *	ok.test       A 192.0.2.1, 192.0.2.2, 192.0.2.1 (a duplicate);
 *	              AAAA 2001:db8::1, 2001:db8::2
 *	v4only.test   A 198.51.100.7; AAAA: no records (NODATA)
 *	many.test     A 10.1.0.1 .. 10.1.0.20; AAAA 2001:db8::100
 *	nN.test       A 10.0.0.N; AAAA: no records
 *	refused.test  REFUSED
 *	slow.test     never answered
 *	anything else NXDOMAIN
 *
 * Waits are bounded (RUN_UNTIL fails the test after its limit); the
 * resolver is told to ask only the fake server, so nothing leaves the host.
 */
#include "unit.h"
#include "common/loop.h"
#include "proxy/resolve.h"

#include <arpa/inet.h>
#include <ctype.h>
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

static int run_once(struct pd_loop *loop, int timeout_ms)
{
	struct pd_error err = { 0 };
	int r = pd_loop_run_once(loop, timeout_ms, &err);

	ck_assert_msg(r >= 0, "pd_loop_run_once: %s", err.msg);
	return r;
}

/* Runs @loop until @cond holds; fails the test after @max_ms. */
#define RUN_UNTIL(loop, cond, max_ms) \
	do { \
		uint64_t end_ = now_ms() + (max_ms); \
		while (!(cond)) { \
			ck_assert_msg(now_ms() < end_, "waited %d ms for %s", (int)(max_ms), \
				      #cond); \
			run_once((loop), 20); \
		} \
	} while (0)

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

/* How many open sockets lack close-on-exec (c-ares sets it after socket()). */
static int sockets_without_cloexec(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_msg(d != NULL, "opendir /proc/self/fd: errno %d", errno);
	while ((e = readdir(d))) {
		char path[64], target[64];
		ssize_t len;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = (int)strtol(e->d_name, NULL, 10);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (!strncmp(target, "socket:", 7) && !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			n++;
	}
	closedir(d);
	return n;
}

static int thread_count(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int n = -1;

	ck_assert_msg(f != NULL, "open /proc/self/status: errno %d", errno);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Threads:", 8)) {
			n = (int)strtol(line + 8, NULL, 10);
			break;
		}
	fclose(f);
	return n;
}

/* ---- the fake DNS server ---- */

#define T_A 1
#define T_AAAA 28
#define MAX_RR 24

struct fake_dns {
	int fd;
	uint16_t port;
	struct pd_loop_source *src;
	int queries, a_queries, aaaa_queries;
	/* Hold each A answer back until the next AAAA answer went out. */
	bool a_after_aaaa;
	bool reordered;
	bool mute_a; /* never answer A queries */
	int muted;   /* A queries left unanswered so */
	uint8_t held[512];
	size_t held_len;
	struct sockaddr_in held_to;
};

static struct pd_addr v4(const char *s)
{
	struct pd_addr a = { .family = AF_INET };

	ck_assert_msg(inet_pton(AF_INET, s, &a.v4) == 1, "bad IPv4 \"%s\"", s);
	return a;
}

static struct pd_addr v6(const char *s)
{
	struct pd_addr a = { .family = AF_INET6 };

	ck_assert_msg(inet_pton(AF_INET6, s, &a.v6) == 1, "bad IPv6 \"%s\"", s);
	return a;
}

/* The zone: fills @rr (both families) and returns the rcode, or -1: no answer. */
static int zone(const char *name, struct pd_addr *rr, size_t *nrr)
{
	unsigned long n;
	char *end;

	*nrr = 0;
	if (!strcmp(name, "ok.test")) {
		rr[(*nrr)++] = v4("192.0.2.1");
		rr[(*nrr)++] = v4("192.0.2.2");
		rr[(*nrr)++] = v4("192.0.2.1");
		rr[(*nrr)++] = v6("2001:db8::1");
		rr[(*nrr)++] = v6("2001:db8::2");
		return 0;
	}
	if (!strcmp(name, "v4only.test")) {
		rr[(*nrr)++] = v4("198.51.100.7");
		return 0;
	}
	if (!strcmp(name, "many.test")) {
		for (unsigned i = 1; i <= 20; i++) {
			struct pd_addr a = { .family = AF_INET };

			a.v4.s_addr = htonl(0x0a010000u | i);
			rr[(*nrr)++] = a;
		}
		rr[(*nrr)++] = v6("2001:db8::100");
		return 0;
	}
	if (name[0] == 'n' && isdigit((unsigned char)name[1]) &&
	    (n = strtoul(name + 1, &end, 10)) < 256 && !strcmp(end, ".test")) {
		struct pd_addr a = { .family = AF_INET };

		a.v4.s_addr = htonl(0x0a000000u | (uint32_t)n);
		rr[(*nrr)++] = a;
		return 0;
	}
	if (!strcmp(name, "refused.test"))
		return 5;
	if (!strcmp(name, "slow.test"))
		return -1;
	return 3; /* NXDOMAIN */
}

/* Reads the question; returns its end offset, or 0 when malformed. */
static size_t parse_query(const uint8_t *m, size_t n, char *name, size_t cap, uint16_t *qtype)
{
	size_t off = 12, out = 0;

	if (n < 12)
		return 0;
	for (;;) {
		uint8_t l;

		if (off >= n)
			return 0;
		l = m[off++];
		if (l == 0)
			break;
		if (l > 63 || off + l > n || out + l + 2 > cap)
			return 0;
		if (out)
			name[out++] = '.';
		for (size_t i = 0; i < l; i++)
			name[out++] = (char)tolower(m[off + i]);
		off += l;
	}
	name[out] = '\0';
	if (off + 4 > n)
		return 0;
	*qtype = (uint16_t)(m[off] << 8 | m[off + 1]);
	return off + 4;
}

/* Header and question of @q (OPT record dropped), then the records of @qtype. */
static size_t build_answer(const uint8_t *q, size_t qend, uint16_t qtype, int rcode,
			   const struct pd_addr *rr, size_t nrr, uint8_t *out, size_t cap)
{
	size_t len = qend, an = 0;

	ck_assert(qend <= cap);
	memcpy(out, q, qend);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x01)); /* QR, opcode 0, RD copied */
	out[3] = (uint8_t)(0x80 | rcode);         /* RA */
	memset(out + 6, 0, 6);                    /* AN, NS, AR */
	for (size_t i = 0; rcode == 0 && i < nrr; i++) {
		size_t dlen = rr[i].family == AF_INET ? 4 : 16;

		if ((qtype == T_A) != (rr[i].family == AF_INET) ||
		    (qtype != T_A && qtype != T_AAAA))
			continue;
		ck_assert(len + 12 + dlen <= cap);
		out[len++] = 0xc0;
		out[len++] = 0x0c;
		out[len++] = 0;
		out[len++] = (uint8_t)qtype;
		out[len++] = 0;
		out[len++] = 1; /* IN */
		memcpy(out + len, "\0\0\0\x3c", 4);
		len += 4;
		out[len++] = 0;
		out[len++] = (uint8_t)dlen;
		memcpy(out + len, rr[i].family == AF_INET ? (const void *)&rr[i].v4 : &rr[i].v6,
		       dlen);
		len += dlen;
		an++;
	}
	out[7] = (uint8_t)an;
	return len;
}

static void send_to(struct fake_dns *d, const uint8_t *buf, size_t len,
		    const struct sockaddr_in *to)
{
	ssize_t n = sendto(d->fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to));

	ck_assert_msg(n == (ssize_t)len, "fake DNS: sendto: errno %d", errno);
}

static void on_dns_query(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct fake_dns *d = data;

	(void)src;
	(void)events;
	for (int k = 0; k < 8; k++) {
		uint8_t q[1500], out[1500];
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		struct pd_addr rr[MAX_RR];
		size_t nrr, qend, len;
		char name[256];
		uint16_t qtype = 0;
		ssize_t n = recvfrom(d->fd, q, sizeof(q), MSG_DONTWAIT, (struct sockaddr *)&from,
				     &flen);
		int rcode;

		if (n < 0) {
			ck_assert_msg(errno == EAGAIN, "fake DNS: recvfrom: errno %d", errno);
			return;
		}
		qend = parse_query(q, (size_t)n, name, sizeof(name), &qtype);
		ck_assert_msg(qend > 0, "fake DNS: malformed query of %zd bytes", n);
		d->queries++;
		d->a_queries += qtype == T_A;
		d->aaaa_queries += qtype == T_AAAA;
		rcode = zone(name, rr, &nrr);
		if (rcode < 0)
			continue;
		if (d->mute_a && qtype == T_A) {
			d->muted++;
			continue;
		}
		len = build_answer(q, qend, qtype, rcode, rr, nrr, out, sizeof(out));
		if (d->a_after_aaaa && qtype == T_A && !d->held_len) {
			memcpy(d->held, out, len);
			d->held_len = len;
			d->held_to = from;
			continue;
		}
		send_to(d, out, len, &from);
		if (qtype == T_AAAA && d->held_len) {
			send_to(d, d->held, d->held_len, &d->held_to);
			d->held_len = 0;
			d->reordered = true;
		}
	}
}

/* ---- fixture ---- */

struct fx {
	struct pd_loop *loop;
	struct fake_dns dns;
	struct pd_resolver *r;
	int fds_before; /* open fds before the resolver was made */
};

static void fake_dns_start(struct fx *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct pd_error err = { 0 };

	f->dns.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_msg(f->dns.fd >= 0, "socket: errno %d", errno);
	ck_assert_msg(bind(f->dns.fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind: errno %d",
		      errno);
	ck_assert(getsockname(f->dns.fd, (struct sockaddr *)&sa, &len) == 0);
	f->dns.port = ntohs(sa.sin_port);
	f->dns.src = pd_loop_add_fd(f->loop, f->dns.fd, EPOLLIN, on_dns_query, &f->dns, "fake-dns",
				    &err);
	ck_assert_msg(f->dns.src != NULL, "add fake DNS: %s", err.msg);
}

/* A loop, the fake server, and a resolver asking it (@port 0: the fake server's). */
static void fx_init_port(struct fx *f, unsigned timeout_ms, unsigned tries, unsigned max_pending,
			 uint16_t port)
{
	struct pd_error err = { 0 };
	char servers[64];
	struct pd_resolver_opts o = {
		.servers = servers,
		.timeout_ms = timeout_ms,
		.tries = tries,
		.max_pending = max_pending,
	};

	memset(f, 0, sizeof(*f));
	f->loop = pd_loop_new(&err);
	ck_assert_msg(f->loop != NULL, "pd_loop_new: %s", err.msg);
	fake_dns_start(f);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", port ? port : f->dns.port);
	f->fds_before = fd_count();
	f->r = pd_resolver_new(f->loop, &o, &err);
	ck_assert_msg(f->r != NULL, "pd_resolver_new(\"%s\"): %s", servers, err.msg);
}

static void fx_init(struct fx *f, unsigned timeout_ms, unsigned tries, unsigned max_pending)
{
	fx_init_port(f, timeout_ms, tries, max_pending, 0);
}

static void fx_fini(struct fx *f)
{
	pd_resolver_free(f->r);
	f->r = NULL;
	EXPECT_INT(fd_count(), f->fds_before);
	pd_loop_remove(f->dns.src);
	close(f->dns.fd);
	pd_loop_free(f->loop);
}

/* ---- one lookup's record ---- */

struct rec {
	struct pd_addr addrs[PD_RESOLVE_MAX_ADDRS];
	size_t naddrs;
	uint64_t at_ms;
	/* for the callbacks that act */
	struct pd_resolve_req *req;
	struct pd_resolve_req **cancel; /* cancel *cancel from the callback */
	int *total;                     /* shared call counter */
	int calls;
	int status;
	unsigned seq;  /* order of delivery among all callbacks */
	bool sync;     /* called from inside pd_resolve() */
	bool bad_args; /* addrs/naddrs inconsistent with status */
};

static bool in_resolve;
static unsigned delivered;

static void on_done(void *data, int status, const struct pd_addr *addrs, size_t naddrs)
{
	struct rec *rec = data;

	rec->calls++;
	rec->status = status;
	rec->sync |= in_resolve;
	rec->at_ms = now_ms();
	rec->seq = ++delivered;
	if (status == 0)
		rec->bad_args |= !addrs || naddrs == 0 || naddrs > PD_RESOLVE_MAX_ADDRS;
	else
		rec->bad_args |= addrs != NULL || naddrs != 0;
	rec->naddrs = naddrs <= PD_RESOLVE_MAX_ADDRS ? naddrs : 0;
	if (addrs && rec->naddrs)
		memcpy(rec->addrs, addrs, rec->naddrs * sizeof(*addrs));
	if (rec->total)
		(*rec->total)++;
	if (rec->cancel && *rec->cancel) {
		pd_resolve_cancel(*rec->cancel);
		*rec->cancel = NULL;
	}
}

static struct pd_resolve_req *start(struct fx *f, const char *name, int family, struct rec *rec)
{
	struct pd_resolve_req *req;

	in_resolve = true;
	req = pd_resolve(f->r, name, family, on_done, rec);
	in_resolve = false;
	ck_assert_msg(req != NULL, "pd_resolve(\"%s\"): errno %d", name, errno);
	EXPECT_INT(rec->calls, 0);
	rec->req = req;
	return req;
}

static const char *addr_str(const struct pd_addr *a, char *buf)
{
	if (!inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->v4 : &a->v6, buf,
		       PD_ADDR_STRLEN))
		snprintf(buf, PD_ADDR_STRLEN, "(family %d)", a->family);
	return buf;
}

/* Checks one delivered success with exactly @want (NULL-terminated), in order. */
static void expect_ok(const struct rec *rec, const char *const *want)
{
	size_t n = 0;

	EXPECT_INT(rec->calls, 1);
	ck_assert_msg(rec->status == 0, "status: expected 0, got %d (%s)", rec->status,
		      pd_resolve_strerror(rec->status));
	ck_assert_msg(!rec->sync, "callback called from inside pd_resolve()");
	ck_assert_msg(!rec->bad_args, "addrs/naddrs do not match the status");
	while (want[n])
		n++;
	EXPECT_UINT(rec->naddrs, n);
	for (size_t i = 0; i < n; i++) {
		char got[PD_ADDR_STRLEN];

		addr_str(&rec->addrs[i], got);
		ck_assert_msg(!strcmp(got, want[i]), "address %zu: expected %s, got %s", i, want[i],
			      got);
	}
}

static void expect_fail(const struct rec *rec, int status)
{
	EXPECT_INT(rec->calls, 1);
	ck_assert_msg(rec->status == status, "status: expected %d (%s), got %d (%s)", status,
		      pd_resolve_strerror(status), rec->status, pd_resolve_strerror(rec->status));
	ck_assert_msg(!rec->sync, "callback called from inside pd_resolve()");
	ck_assert_msg(!rec->bad_args, "addrs/naddrs given with a failure");
}

/* ---- answers ---- */

START_TEST(test_answers)
{
	static const char *const ok_all[] = { "192.0.2.1", "192.0.2.2", "2001:db8::1",
					      "2001:db8::2", NULL };
	static const char *const ok_v4[] = { "192.0.2.1", "192.0.2.2", NULL };
	static const char *const ok_v6[] = { "2001:db8::1", "2001:db8::2", NULL };
	static const char *const v4only[] = { "198.51.100.7", NULL };
	struct rec a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 }, e = { 0 }, m = { 0 };
	struct fx f;
	char want[PD_RESOLVE_MAX_ADDRS][PD_ADDR_STRLEN];
	const char *many[PD_RESOLVE_MAX_ADDRS + 1] = { 0 };

	fx_init(&f, 3000, 1, 0);
	/* The AAAA answer comes first; IPv4 still comes first, the duplicate once. */
	f.dns.a_after_aaaa = true;
	start(&f, "ok.test", AF_UNSPEC, &a);
	EXPECT_UINT(pd_resolver_pending(f.r), 1);
	RUN_UNTIL(f.loop, a.calls, 3000);
	ck_assert_msg(f.dns.reordered, "the fake server did not send AAAA before A");
	expect_ok(&a, ok_all);
	EXPECT_INT(f.dns.queries, 2);
	EXPECT_INT(f.dns.a_queries, 1);
	EXPECT_INT(f.dns.aaaa_queries, 1);
	EXPECT_UINT(pd_resolver_pending(f.r), 0);
	f.dns.a_after_aaaa = false;

	/* One family: one query of its type. */
	start(&f, "ok.test", AF_INET, &b);
	RUN_UNTIL(f.loop, b.calls, 3000);
	expect_ok(&b, ok_v4);
	start(&f, "ok.test", AF_INET6, &c);
	RUN_UNTIL(f.loop, c.calls, 3000);
	expect_ok(&c, ok_v6);
	EXPECT_INT(f.dns.a_queries, 2);
	EXPECT_INT(f.dns.aaaa_queries, 2);

	/* A answered, AAAA empty (NODATA): the A record alone; asked AAAA only: -ENOENT. */
	start(&f, "v4only.test", AF_UNSPEC, &d);
	start(&f, "v4only.test", AF_INET6, &e);
	RUN_UNTIL(f.loop, d.calls && e.calls, 3000);
	expect_ok(&d, v4only);
	expect_fail(&e, -ENOENT);

	/* 20 A and 1 AAAA: the first 16 A records. */
	for (int i = 0; i < PD_RESOLVE_MAX_ADDRS; i++) {
		snprintf(want[i], sizeof(want[i]), "10.1.0.%d", i + 1);
		many[i] = want[i];
	}
	start(&f, "many.test", AF_UNSPEC, &m);
	RUN_UNTIL(f.loop, m.calls, 3000);
	expect_ok(&m, many);
	EXPECT_INT(f.dns.queries, 9);

	/* Idle: c-ares closed its socket; only the resolver's timerfd is left. */
	EXPECT_UINT(pd_resolver_pending(f.r), 0);
	EXPECT_INT(fd_count(), f.fds_before + 1);
	EXPECT_INT(thread_count(), 1);
	fx_fini(&f);
}
END_TEST

START_TEST(test_errors)
{
	struct rec nx = { 0 }, nodots = { 0 }, refused = { 0 };
	struct fx f;

	/* A search domain c-ares would append (resolv.conf's "search") if allowed. */
	setenv("LOCALDOMAIN", "search.test", 1);
	fx_init(&f, 3000, 1, 0);
	unsetenv("LOCALDOMAIN");
	start(&f, "nx.test", AF_UNSPEC, &nx);
	RUN_UNTIL(f.loop, nx.calls, 3000);
	expect_fail(&nx, -ENOENT);
	/* No search domains: exactly the A and AAAA queries of the name itself. */
	EXPECT_INT(f.dns.queries, 2);
	start(&f, "nx", AF_INET, &nodots);
	RUN_UNTIL(f.loop, nodots.calls, 3000);
	expect_fail(&nodots, -ENOENT);
	EXPECT_INT(f.dns.queries, 3);

	start(&f, "refused.test", AF_INET, &refused);
	RUN_UNTIL(f.loop, refused.calls, 3000);
	expect_fail(&refused, -ECONNREFUSED);
	EXPECT_INT(f.dns.queries, 4);
	fx_fini(&f);
}
END_TEST

START_TEST(test_timeout)
{
	struct rec slow = { 0 };
	struct fx f;
	uint64_t t0;

	fx_init(&f, 200, 1, 0);
	t0 = now_ms();
	start(&f, "slow.test", AF_UNSPEC, &slow);
	RUN_UNTIL(f.loop, slow.calls, 5000);
	expect_fail(&slow, -ETIMEDOUT);
	ck_assert_msg(slow.at_ms - t0 >= 190 && slow.at_ms - t0 < 3000,
		      "timed out after %llu ms, expected about 200",
		      (unsigned long long)(slow.at_ms - t0));
	/* One try each for A and AAAA, no retry. */
	EXPECT_INT(f.dns.queries, 2);
	EXPECT_UINT(pd_resolver_pending(f.r), 0);
	/* Nothing comes later. */
	run_once(f.loop, 300);
	EXPECT_INT(slow.calls, 1);
	fx_fini(&f);
}
END_TEST

START_TEST(test_port_closed)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct rec rec = { 0 };
	struct fx f;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	/* A port that was just free: queries to it get ICMP port unreachable. */
	ck_assert(fd >= 0);
	ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	close(fd);
	fx_init_port(&f, 3000, 1, 0, ntohs(sa.sin_port));
	start(&f, "ok.test", AF_INET, &rec);
	RUN_UNTIL(f.loop, rec.calls, 2500);
	expect_fail(&rec, -ECONNREFUSED);
	EXPECT_INT(f.dns.queries, 0);
	fx_fini(&f);
}
END_TEST

/* ---- cancel ---- */

START_TEST(test_cancel_before_answer)
{
	struct rec rec = { 0 }, lit = { 0 }, after = { 0 };
	struct fx f;

	fx_init(&f, 3000, 1, 0);
	pd_resolve_cancel(start(&f, "ok.test", AF_UNSPEC, &rec));
	/* c-ares still works on it: its slot stays held until the answers came. */
	EXPECT_UINT(pd_resolver_pending(f.r), 1);
	RUN_UNTIL(f.loop, f.dns.queries == 2 && pd_resolver_pending(f.r) == 0, 3000);
	/* A queued literal is freed at once. */
	pd_resolve_cancel(start(&f, "192.0.2.9", AF_UNSPEC, &lit));
	EXPECT_UINT(pd_resolver_pending(f.r), 0);
	pd_resolve_cancel(NULL);
	/* The resolver still works, and nothing late arrives for the cancelled ones. */
	start(&f, "v4only.test", AF_INET, &after);
	RUN_UNTIL(f.loop, after.calls, 3000);
	run_once(f.loop, 50);
	EXPECT_INT(rec.calls, 0);
	EXPECT_INT(lit.calls, 0);
	EXPECT_INT(after.status, 0);
	fx_fini(&f);
}
END_TEST

/* Each cancels the other from its callback: exactly one is ever called. */
static void race_pair(struct fx *f, const char *name)
{
	struct rec x = { 0 }, y = { 0 };
	struct pd_resolve_req *rx, *ry;
	int total = 0;

	x.total = &total;
	y.total = &total;
	rx = start(f, name, AF_UNSPEC, &x);
	ry = start(f, name, AF_UNSPEC, &y);
	x.cancel = &ry;
	y.cancel = &rx;
	RUN_UNTIL(f->loop, total >= 1 && pd_resolver_pending(f->r) == 0, 3000);
	run_once(f->loop, 50);
	ck_assert_msg(total == 1, "%s: %d callbacks, expected 1 (x %d, y %d)", name, total, x.calls,
		      y.calls);
	EXPECT_INT(x.calls + y.calls, 1);
	EXPECT_INT((x.calls ? x.status : y.status), 0);
}

/* Cancels its own handle (a no-op) and starts a new lookup, from the callback. */
struct chain {
	struct fx *f;
	struct pd_resolve_req *self;
	int calls;
	struct rec next;
	bool started;
};

static void on_chain(void *data, int status, const struct pd_addr *addrs, size_t naddrs)
{
	struct chain *c = data;

	(void)status;
	(void)addrs;
	(void)naddrs;
	c->calls++;
	pd_resolve_cancel(c->self);
	c->started = pd_resolve(c->f->r, "nx.test", AF_INET, on_done, &c->next) != NULL;
}

START_TEST(test_cancel_from_callback)
{
	struct chain c = { 0 };
	struct fx f;

	fx_init(&f, 3000, 1, 0);
	/* Both answered in the same batch of c-ares: the second's answer is dropped. */
	race_pair(&f, "ok.test");
	EXPECT_INT(f.dns.queries, 4);
	/* Both on the ready queue: the second is unlinked from the batch. */
	race_pair(&f, "198.51.100.1");
	EXPECT_INT(f.dns.queries, 4);

	c.f = &f;
	c.self = pd_resolve(f.r, "v4only.test", AF_INET, on_chain, &c);
	ck_assert(c.self != NULL);
	RUN_UNTIL(f.loop, c.next.calls, 3000);
	EXPECT_INT(c.calls, 1);
	ck_assert_msg(c.started, "pd_resolve from a callback failed");
	expect_fail(&c.next, -ENOENT);
	EXPECT_UINT(pd_resolver_pending(f.r), 0);
	fx_fini(&f);
}
END_TEST

/* ---- load and limits ---- */

START_TEST(test_concurrent)
{
	enum { N = 50 };
	struct rec recs[N];
	char names[N][24], want[N][PD_ADDR_STRLEN];
	struct fx f;
	int done = 0;

	memset(recs, 0, sizeof(recs));
	fx_init(&f, 3000, 1, 0);
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d.test", i);
		snprintf(want[i], sizeof(want[i]), "10.0.0.%d", i);
		recs[i].total = &done;
		start(&f, names[i], AF_UNSPEC, &recs[i]);
	}
	EXPECT_UINT(pd_resolver_pending(f.r), N);
	RUN_UNTIL(f.loop, done == N, 5000);
	for (int i = 0; i < N; i++) {
		const char *w[] = { want[i], NULL };

		expect_ok(&recs[i], w);
	}
	EXPECT_INT(f.dns.queries, 2 * N);
	EXPECT_UINT(pd_resolver_pending(f.r), 0);
	EXPECT_INT(thread_count(), 1);
	fx_fini(&f);
}
END_TEST

START_TEST(test_max_pending)
{
	struct rec s1 = { 0 }, s2 = { 0 }, lit = { 0 }, late = { 0 }, dummy = { 0 };
	struct pd_resolve_req *r1;
	struct fx f;

	fx_init(&f, 200, 1, 3);
	r1 = start(&f, "slow.test", AF_UNSPEC, &s1);
	start(&f, "slow.test", AF_UNSPEC, &s2);
	start(&f, "203.0.113.4", AF_UNSPEC, &lit);
	EXPECT_UINT(pd_resolver_pending(f.r), 3);
	errno = 0;
	ck_assert(pd_resolve(f.r, "ok.test", AF_UNSPEC, on_done, &dummy) == NULL);
	EXPECT_INT(errno, EAGAIN);
	/* Cancelled, but c-ares still holds it: the slot is not free yet. */
	pd_resolve_cancel(r1);
	errno = 0;
	ck_assert(pd_resolve(f.r, "ok.test", AF_UNSPEC, on_done, &dummy) == NULL);
	EXPECT_INT(errno, EAGAIN);
	/* The literal is delivered: one slot free. */
	RUN_UNTIL(f.loop, lit.calls, 3000);
	EXPECT_UINT(pd_resolver_pending(f.r), 2);
	start(&f, "ok.test", AF_INET, &late);
	RUN_UNTIL(f.loop, pd_resolver_pending(f.r) == 0, 5000);
	EXPECT_INT(s1.calls, 0);
	expect_fail(&s2, -ETIMEDOUT);
	expect_ok(&late, (const char *const[]){ "192.0.2.1", "192.0.2.2", NULL });
	EXPECT_INT(dummy.calls, 0);

	/* Refused at once, never called. */
	errno = 0;
	ck_assert(pd_resolve(f.r, "", AF_UNSPEC, on_done, &dummy) == NULL);
	EXPECT_INT(errno, EINVAL);
	errno = 0;
	ck_assert(pd_resolve(f.r, NULL, AF_UNSPEC, on_done, &dummy) == NULL);
	EXPECT_INT(errno, EINVAL);
	errno = 0;
	ck_assert(pd_resolve(f.r, "ok.test", AF_UNIX, on_done, &dummy) == NULL);
	EXPECT_INT(errno, EINVAL);
	run_once(f.loop, 20);
	EXPECT_INT(dummy.calls, 0);
	EXPECT_UINT(pd_resolver_pending(f.r), 0);
	fx_fini(&f);
}
END_TEST

/* ---- answered without a query ---- */

START_TEST(test_literals)
{
	struct rec a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 }, e = { 0 }, onion = { 0 };
	struct fx f;

	fx_init(&f, 3000, 1, 0);
	start(&f, "1.2.3.4", AF_UNSPEC, &a);
	start(&f, "2001:db8::5", AF_INET6, &b);
	start(&f, "1.2.3.4", AF_INET6, &c);
	start(&f, "::1", AF_INET, &d);
	start(&f, "2001:db8::5", AF_UNSPEC, &e);
	/* c-ares itself answers ".onion" from inside ares_getaddrinfo(). */
	start(&f, "hidden.onion", AF_UNSPEC, &onion);
	EXPECT_UINT(pd_resolver_pending(f.r), 6);
	RUN_UNTIL(f.loop, a.calls && b.calls && c.calls && d.calls && e.calls && onion.calls, 3000);
	expect_ok(&a, (const char *const[]){ "1.2.3.4", NULL });
	expect_ok(&b, (const char *const[]){ "2001:db8::5", NULL });
	expect_fail(&c, -ENOENT);
	expect_fail(&d, -ENOENT);
	expect_ok(&e, (const char *const[]){ "2001:db8::5", NULL });
	expect_fail(&onion, -ENOENT);
	/* In the order they were started. */
	ck_assert_msg(a.seq < b.seq && b.seq < c.seq && c.seq < d.seq && d.seq < e.seq &&
			      e.seq < onion.seq,
		      "delivered out of order: %u %u %u %u %u %u", a.seq, b.seq, c.seq, d.seq,
		      e.seq, onion.seq);
	EXPECT_INT(f.dns.queries, 0);
	EXPECT_UINT(pd_resolver_pending(f.r), 0);
	fx_fini(&f);
}
END_TEST

/* ---- freeing ---- */

START_TEST(test_free_in_flight)
{
	struct rec recs[7];
	struct fx f;

	memset(recs, 0, sizeof(recs));
	fx_init(&f, 3000, 1, 0);
	start(&f, "slow.test", AF_UNSPEC, &recs[0]);
	start(&f, "slow.test", AF_INET, &recs[1]);
	start(&f, "slow.test", AF_INET6, &recs[2]);
	pd_resolve_cancel(start(&f, "slow.test", AF_UNSPEC, &recs[3]));
	/* Half answered: no A answer, the AAAA one reaches c-ares. */
	f.dns.mute_a = true;
	start(&f, "ok.test", AF_UNSPEC, &recs[4]);
	RUN_UNTIL(f.loop, f.dns.queries == 8, 3000);
	EXPECT_INT(f.dns.muted, 1);
	run_once(f.loop, 50);
	/* Queued, and sent but not answered. */
	start(&f, "192.0.2.77", AF_UNSPEC, &recs[5]);
	start(&f, "v4only.test", AF_UNSPEC, &recs[6]);
	EXPECT_UINT(pd_resolver_pending(f.r), 7);
	EXPECT_INT(thread_count(), 1);
	/* c-ares' socket is open now (and was made close-on-exec). */
	ck_assert_msg(fd_count() > f.fds_before + 1, "no c-ares socket open: %d fds, %d before",
		      fd_count(), f.fds_before);
	EXPECT_INT(sockets_without_cloexec(), 0);
	/* fx_fini() frees the resolver and checks every fd it had is closed. */
	fx_fini(&f);
	for (int i = 0; i < 7; i++)
		EXPECT_INT(recs[i].calls, 0);
}
END_TEST

START_TEST(test_new_errors)
{
	struct pd_error err = { 0 };
	struct pd_loop *loop = pd_loop_new(&err);
	struct pd_resolver_opts bad = { .servers = "not-an-address" };
	struct pd_resolver_opts empty = { .servers = "" };
	struct pd_resolver *r;
	int fds;

	ck_assert_msg(loop != NULL, "pd_loop_new: %s", err.msg);
	fds = fd_count();
	ck_assert(pd_resolver_new(loop, &bad, &err) == NULL);
	EXPECT_INT(err.code, EINVAL);
	ck_assert_msg(strstr(err.msg, "\"not-an-address\"") != NULL, "message: %s", err.msg);
	pd_error_clear(&err);
	ck_assert(pd_resolver_new(loop, &empty, &err) == NULL);
	EXPECT_INT(err.code, EINVAL);
	EXPECT_INT(fd_count(), fds);

	/* The system's configuration: made and freed without a lookup. */
	r = pd_resolver_new(loop, NULL, &err);
	ck_assert_msg(r != NULL, "pd_resolver_new(NULL): %s", err.msg);
	EXPECT_UINT(pd_resolver_pending(r), 0);
	pd_resolver_free(r);
	pd_resolver_free(NULL);
	EXPECT_INT(fd_count(), fds);
	pd_loop_free(loop);

	EXPECT_STR(pd_resolve_strerror(-ENOENT), "name does not resolve");
	EXPECT_STR(pd_resolve_strerror(-ETIMEDOUT), "DNS timed out");
	EXPECT_STR(pd_resolve_strerror(-ECONNREFUSED), "DNS server refused");
	EXPECT_STR(pd_resolve_strerror(-EAGAIN), "too many DNS lookups pending");
	EXPECT_STR(pd_resolve_strerror(-EIO), "DNS failure");
	EXPECT_STR(pd_resolve_strerror(-E2BIG), "DNS lookup failed");
}
END_TEST

static Suite *resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_answers);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_port_closed);
	tcase_add_test(tc, test_cancel_before_answer);
	tcase_add_test(tc, test_cancel_from_callback);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_max_pending);
	tcase_add_test(tc, test_literals);
	tcase_add_test(tc, test_free_in_flight);
	tcase_add_test(tc, test_new_errors);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(resolve_suite);
