/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proxy/proxy.c and proxy/conn.c: the real proxy engine on a
 * real loop, with real sockets on 127.0.0.1 (ephemeral ports).
 *
 * Every socket the test holds (clients, origin servers) is a "peer" driven
 * without blocking from RUN_UNTIL, between wake-ups of the loop: what the
 * test queued is sent as the socket takes it, a requested half-close
 * follows it, and whatever comes in is kept (NUL-terminated) with EOF and
 * errors noted.  The origin is a listening socket of the test on
 * 127.0.0.1; names reach it through pins (ok.test -> 127.0.0.1).  The
 * resolver asks only a fake DNS server of the test (dns_step(): A records
 * for the names a test sets, no answer for slow.test, NXDOMAIN for the
 * rest), so nothing leaves the host.
 *
 * Waits are bounded (RUN_UNTIL fails the test after its limit); fixed waits
 * only check that something does NOT happen.  Each test checks at the end
 * that every fd the proxy had (sockets, pipes, timers) is closed again.
 *
 * The transparent path needs the address a client dialled: the synthetic
 * range is 127.0.0.0/24 here (any 127.0.0.N reaches this host), so an
 * address like 127.0.1.1 is outside the range and still local.  Listeners
 * that must reach an upstream bind the synthetic address itself
 * (127.0.0.1:PORT) rather than 0.0.0.0:PORT, because the upstream has to
 * listen on the same port (the transparent path connects to the listener's
 * port) at another address (127.0.0.200), which a wildcard listener would
 * take; the denial tests, which need no upstream, use 0.0.0.0:PORT.  Ports
 * 80 and 443 (the Host and SNI checks) need root (or a low
 * net.ipv4.ip_unprivileged_port_start): when they cannot be bound, those
 * two tests say so on stderr and pass.
 */
#include "unit.h"
#include "common/loop.h"
#include "proxy/audit.h"
#include "proxy/http.h"
#include "proxy/policy.h"
#include "proxy/proxy.h"
#include "proxy/resolve.h"
#include "proxy/synth.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* ---- peers: sockets the test drives ---- */

struct peer {
	bool used, closed;
	int fd;
	char name[32];
	char *out; /* queued to send */
	size_t out_len, out_off;
	bool shut_wr, shut_done; /* shutdown(SHUT_WR) once out is sent */
	char *in;                /* received, NUL-terminated */
	size_t in_len, in_cap;
	bool eof;
	int err;   /* errno of a failed recv or send */
	bool echo; /* send back whatever comes, and end when the other side does */
	size_t echoed;
};

#define MAX_PEERS 40
#define MAX_FDS 8

struct fx {
	struct pd_loop *loop;
	struct pd_resolver *res;
	struct pd_policy *pol;
	struct pd_proxy *p;
	struct pd_synth *synth;
	struct pd_audit *audit;
	char *tmp, *audit_path;
	int origin; /* listening on 127.0.0.1:oport */
	uint16_t oport;
	uint16_t port; /* the forward listener's */
	char ents[8][128];
	size_t nents;
	struct pd_pin pins[8];
	size_t npins;
	struct peer peers[MAX_PEERS];
	int fds[MAX_FDS]; /* other fds of the test, closed by fx_fini() */
	size_t nfds;
	int dns; /* the resolver's server (dns_step()) */
	unsigned dns_queries;
	const char *dns_names[4], *dns_addrs[4];
	int fds_before;
	struct sigaction old_pipe;
};

static void run_once(struct fx *f, int timeout_ms)
{
	struct pd_error err = { 0 };

	ck_assert_msg(pd_loop_run_once(f->loop, timeout_ms, &err) >= 0, "pd_loop_run_once: %s",
		      err.msg);
}

static void peer_grow(struct peer *p, size_t need)
{
	if (p->in_len + need + 1 <= p->in_cap)
		return;
	while (p->in_len + need + 1 > p->in_cap)
		p->in_cap = p->in_cap ? p->in_cap * 2 : 4096;
	p->in = realloc(p->in, p->in_cap);
	ck_assert(p->in != NULL);
}

static void peer_send(struct peer *p, const void *data, size_t n);

/* Send what is queued, half-close when asked, read what came: never blocks. */
static void peer_step(struct peer *p)
{
	size_t budget = 4u << 20;

	while (p->out_off < p->out_len) {
		ssize_t n = send(p->fd, p->out + p->out_off, p->out_len - p->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno != EAGAIN && errno != ENOTCONN && errno != EINTR && !p->err)
				p->err = errno;
			break;
		}
		p->out_off += (size_t)n;
	}
	if (p->shut_wr && !p->shut_done && p->out_off == p->out_len) {
		if (shutdown(p->fd, SHUT_WR) == 0)
			p->shut_done = true;
		else if (errno != ENOTCONN)
			ck_assert_msg(0, "%s: shutdown: errno %d", p->name, errno);
	}
	while (!p->eof && !p->err && budget) {
		ssize_t n;

		peer_grow(p, 65536);
		n = recv(p->fd, p->in + p->in_len, 65536, MSG_DONTWAIT);
		if (n == 0) {
			p->eof = true;
		} else if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				p->err = errno;
			break;
		} else {
			p->in_len += (size_t)n;
			p->in[p->in_len] = '\0';
			budget = (size_t)n < budget ? budget - (size_t)n : 0;
		}
	}
	if (p->echo && p->in_len > p->echoed) {
		peer_send(p, p->in + p->echoed, p->in_len - p->echoed);
		p->echoed = p->in_len;
	}
	if (p->echo && p->eof)
		p->shut_wr = true;
}

/*
 * The fake DNS server: the A records of f->dns_names[i] are the
 * comma-separated addresses f->dns_addrs[i] (AAAA: none); slow.test gets
 * no answer; every other name NXDOMAIN.
 */
static void dns_step(struct fx *f)
{
	uint8_t m[1024];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from), from_len;
	ssize_t n;

	while ((n = recvfrom(f->dns, m, 512, MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) >= 12) {
		char name[256] = "";
		size_t q = 12, nl = 0, len;
		uint16_t qtype, an = 0;
		const char *addrs = NULL;

		from_len = fl;
		fl = sizeof(from);
		f->dns_queries++;
		while (q < (size_t)n && m[q] && nl + m[q] + 2 < sizeof(name)) {
			memcpy(name + nl, m + q + 1, m[q]);
			nl += m[q];
			name[nl++] = '.';
			q += 1 + m[q];
		}
		if (nl)
			name[--nl] = '\0';
		if (q + 5 > (size_t)n)
			continue;
		qtype = (uint16_t)(m[q + 1] << 8 | m[q + 2]);
		len = q + 5; /* the question ends the answer's copy of the query */
		if (!strcasecmp(name, "slow.test"))
			continue;
		for (size_t i = 0; i < 4 && f->dns_names[i]; i++)
			if (!strcasecmp(name, f->dns_names[i]))
				addrs = f->dns_addrs[i];
		m[2] = (uint8_t)(m[2] | 0x80);  /* QR */
		m[3] = addrs ? 0x80 : 0x80 | 3; /* RA, NOERROR or NXDOMAIN */
		for (const char *a = addrs; qtype == 1 && a && *a;) {
			size_t al = strcspn(a, ",");
			char txt[INET_ADDRSTRLEN];
			struct in_addr v4;
			static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4 };

			snprintf(txt, sizeof(txt), "%.*s", (int)al, a);
			ck_assert(inet_pton(AF_INET, txt, &v4) == 1);
			memcpy(m + len, rr, sizeof(rr));
			memcpy(m + len + sizeof(rr), &v4, 4);
			len += sizeof(rr) + 4;
			an++;
			a += al + (a[al] == ',');
		}
		m[6] = (uint8_t)(an >> 8);
		m[7] = (uint8_t)an;
		m[8] = m[9] = m[10] = m[11] = 0;
		(void)sendto(f->dns, m, len, MSG_DONTWAIT, (struct sockaddr *)&from, from_len);
	}
}

static void step_all(struct fx *f)
{
	dns_step(f);
	for (size_t i = 0; i < MAX_PEERS; i++)
		if (f->peers[i].used && !f->peers[i].closed)
			peer_step(&f->peers[i]);
}

/* Runs the loop and the peers until @cond holds; fails the test after @max_ms. */
#define RUN_UNTIL(f, cond, max_ms) \
	do { \
		uint64_t end_ = now_ms() + (max_ms); \
		for (;;) { \
			step_all(f); \
			if (cond) \
				break; \
			ck_assert_msg(now_ms() < end_, "waited %d ms for %s", (int)(max_ms), \
				      #cond); \
			run_once((f), 2); \
		} \
	} while (0)

/* Runs the loop and the peers for @ms (to see that something does NOT happen). */
static void run_for(struct fx *f, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (now_ms() < end) {
		step_all(f);
		run_once(f, 2);
	}
	step_all(f);
}

static struct peer *peer_new(struct fx *f, int fd, const char *name)
{
	for (size_t i = 0; i < MAX_PEERS; i++) {
		struct peer *p = &f->peers[i];

		if (p->used)
			continue;
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->fd = fd;
		snprintf(p->name, sizeof(p->name), "%s", name);
		peer_grow(p, 0);
		p->in[0] = '\0';
		return p;
	}
	ck_abort_msg("more than %d peers", MAX_PEERS);
	return NULL;
}

static void peer_send(struct peer *p, const void *data, size_t n)
{
	char *o = malloc(p->out_len - p->out_off + n + 1);

	ck_assert(o != NULL);
	if (p->out_len > p->out_off)
		memcpy(o, p->out + p->out_off, p->out_len - p->out_off);
	if (n)
		memcpy(o + p->out_len - p->out_off, data, n);
	free(p->out);
	p->out = o;
	p->out_len = p->out_len - p->out_off + n;
	p->out_off = 0;
}

static void peer_puts(struct peer *p, const char *s)
{
	peer_send(p, s, strlen(s));
}

static void peer_shut(struct peer *p)
{
	p->shut_wr = true;
}

static void peer_close(struct peer *p)
{
	if (!p->closed)
		close(p->fd);
	p->closed = true;
}

static bool peer_done(const struct peer *p)
{
	return p->eof || p->err;
}

static void peer_clear(struct peer *p)
{
	p->in_len = 0;
	p->in[0] = '\0';
}

static void track_fd(struct fx *f, int fd)
{
	ck_assert(f->nfds < MAX_FDS);
	f->fds[f->nfds++] = fd;
}

/* A listening socket on @ip:@port (0: any); its port in *@out. */
static int tcp_listen(const char *ip, uint16_t port, int backlog, uint16_t *out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t sl = sizeof(sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_msg(fd >= 0, "socket: errno %d", errno);
	ck_assert(inet_pton(AF_INET, ip, &sa.sin_addr) == 1);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	ck_assert_msg(listen(fd, backlog) == 0, "listen: errno %d", errno);
	ck_assert(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	*out = ntohs(sa.sin_port);
	return fd;
}

/* A port nothing listens on (it was free a moment ago). */
static uint16_t closed_port(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	ck_assert(fd >= 0);
	ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static struct peer *connect_to(struct fx *f, const char *ip, uint16_t port, const char *name)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_msg(fd >= 0, "socket: errno %d", errno);
	ck_assert(inet_pton(AF_INET, ip, &sa.sin_addr) == 1);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS,
		      "connect %s:%u: errno %d", ip, port, errno);
	return peer_new(f, fd, name);
}

/* A client of the forward proxy. */
static struct peer *client(struct fx *f)
{
	return connect_to(f, "127.0.0.1", f->port, "client");
}

/* The next connection on listening socket @lfd, as a peer. */
static struct peer *accept_on(struct fx *f, int lfd, const char *name)
{
	int fd = -1;

	RUN_UNTIL(f, (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0, 3000);
	return peer_new(f, fd, name);
}

static struct peer *accept_origin(struct fx *f)
{
	return accept_on(f, f->origin, "origin");
}

/* Nothing is waiting on listening socket @lfd. */
static void expect_no_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd >= 0)
		close(fd);
	ck_assert_msg(fd < 0, "an upstream connection was made");
}

/* ---- the fixture ---- */

static void fx_init(struct fx *f)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };

	memset(f, 0, sizeof(*f));
	f->fds_before = fd_count();
	/* as paude's loop owner does: a peer gone is an EPIPE, not a signal */
	sigaction(SIGPIPE, &ign, &f->old_pipe);
	{
		struct pd_error err = { 0 };

		f->loop = pd_loop_new(&err);
		ck_assert_msg(f->loop != NULL, "pd_loop_new: %s", err.msg);
	}
	f->origin = tcp_listen("127.0.0.1", 0, 64, &f->oport);
	ck_assert_msg(f->origin >= 0, "origin listen: errno %d", errno);
	{
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		f->dns = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ck_assert(f->dns >= 0);
		ck_assert(bind(f->dns, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	}
}

__attribute__((format(printf, 2, 3))) static void fx_allow(struct fx *f, const char *fmt, ...)
{
	va_list ap;

	ck_assert(f->nents < 8);
	va_start(ap, fmt);
	vsnprintf(f->ents[f->nents++], sizeof(f->ents[0]), fmt, ap);
	va_end(ap);
}

static void fx_pin(struct fx *f, const char *arg)
{
	struct pd_error err = { 0 };

	ck_assert(f->npins < 8);
	ck_assert_msg(pd_pin_parse(arg, &f->pins[f->npins++], &err) == 0, "pin %s: %s", arg,
		      err.msg);
}

static void fx_audit(struct fx *f)
{
	struct pd_error err = { 0 };
	size_t n;

	f->tmp = pd_unit_tmpdir();
	n = strlen(f->tmp) + sizeof("/audit.jsonl");
	f->audit_path = malloc(n);
	ck_assert(f->audit_path != NULL);
	snprintf(f->audit_path, n, "%s/audit.jsonl", f->tmp);
	f->audit = pd_audit_open(f->audit_path, 0, 0, &err);
	ck_assert_msg(f->audit != NULL, "pd_audit_open: %s", err.msg);
}

static struct pd_policy *policy_of(const char *const *ents, size_t n)
{
	struct pd_error err = { 0 };
	struct pd_policy *p = pd_policy_new(ents, n, &err);

	ck_assert_msg(p != NULL, "pd_policy_new: %s", err.msg);
	return p;
}

/* The resolver, policy (f->ents) and proxy with a forward listener; @o may be NULL. */
static void fx_start(struct fx *f, const struct pd_proxy_opts *o)
{
	char servers[32];
	struct pd_resolver_opts ro = { .servers = servers, .timeout_ms = 300, .tries = 1 };
	struct pd_proxy_opts po = { 0 };
	struct pd_error err = { 0 };
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	const char *ents[8];
	int lfd;

	ck_assert(getsockname(f->dns, (struct sockaddr *)&sa, &sl) == 0);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", ntohs(sa.sin_port));
	f->res = pd_resolver_new(f->loop, &ro, &err);
	ck_assert_msg(f->res != NULL, "pd_resolver_new: %s", err.msg);
	for (size_t i = 0; i < f->nents; i++)
		ents[i] = f->ents[i];
	f->pol = policy_of(ents, f->nents);
	if (o)
		po = *o;
	if (!po.sandbox)
		po.sandbox = "sbx";
	po.resolver = f->res;
	po.audit = f->audit;
	po.synth = f->synth;
	po.pins = f->pins;
	po.npins = f->npins;
	f->p = pd_proxy_new(f->loop, f->pol, &po, &err);
	ck_assert_msg(f->p != NULL, "pd_proxy_new: %s", err.msg);
	lfd = tcp_listen("127.0.0.1", 0, 64, &f->port);
	ck_assert(lfd >= 0);
	ck_assert_msg(pd_proxy_listen(f->p, lfd, false, 0, &err) == 0, "pd_proxy_listen: %s",
		      err.msg);
}

/* A transparent listener on @ip:@port (0: any); its port, or 0 when it cannot be bound. */
static uint16_t fx_transparent(struct fx *f, const char *ip, uint16_t port)
{
	struct pd_error err = { 0 };
	uint16_t got = 0;
	int fd = tcp_listen(ip, port, 64, &got);

	if (fd < 0)
		return 0;
	ck_assert_msg(pd_proxy_listen(f->p, fd, true, got, &err) == 0, "pd_proxy_listen: %s",
		      err.msg);
	return got;
}

static void fx_fini(struct fx *f)
{
	for (size_t i = 0; i < MAX_PEERS; i++) {
		if (!f->peers[i].used)
			continue;
		peer_close(&f->peers[i]);
		free(f->peers[i].in);
		free(f->peers[i].out);
	}
	for (size_t i = 0; i < f->nfds; i++)
		close(f->fds[i]);
	pd_proxy_free(f->p);
	pd_resolver_free(f->res);
	pd_policy_unref(f->pol);
	pd_synth_free(f->synth);
	pd_audit_close(f->audit);
	close(f->origin);
	close(f->dns);
	pd_loop_free(f->loop);
	if (f->tmp)
		pd_unit_rmrf(f->tmp);
	free(f->tmp);
	free(f->audit_path);
	sigaction(SIGPIPE, &f->old_pipe, NULL);
	EXPECT_INT(fd_count(), f->fds_before);
}

/* The common setup: ok.test on the origin's port, pinned to 127.0.0.1. */
static void fx_default(struct fx *f, const struct pd_proxy_opts *o)
{
	fx_init(f);
	fx_allow(f, "ok.test:%u", f->oport);
	fx_pin(f, "ok.test:127.0.0.1");
	fx_start(f, o);
}

/* ---- expectations ---- */

/* The exact error response the proxy sends, then EOF. */
static void expect_error(struct fx *f, struct peer *c, int status, const char *phrase,
			 const char *body)
{
	char want[4096];

	snprintf(want, sizeof(want),
		 "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 status, phrase, strlen(body), body);
	RUN_UNTIL(f, peer_done(c), 5000);
	EXPECT_INT(c->err, 0);
	EXPECT_STR(c->in, want);
}

/* The connection table drains to @n. */
static void expect_conns(struct fx *f, size_t n)
{
	RUN_UNTIL(f, pd_proxy_connections(f->p) == n, 5000);
}

static char *connect_head(const char *host, uint16_t port)
{
	static char buf[640];

	snprintf(buf, sizeof(buf), "CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n", host, port,
		 host, port);
	return buf;
}

#define ESTABLISHED "HTTP/1.1 200 Connection established\r\n\r\n"

/* A CONNECT tunnel to ok.test: the client and the origin's side of it. */
static void open_tunnel(struct fx *f, struct peer **c, struct peer **o)
{
	*c = client(f);
	peer_puts(*c, connect_head("ok.test", f->oport));
	*o = accept_origin(f);
	RUN_UNTIL(f, (*c)->in_len >= strlen(ESTABLISHED), 3000);
	EXPECT_STR((*c)->in, ESTABLISHED);
	peer_clear(*c);
}

/* ---- audit lines ---- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	ck_assert_msg(v != NULL, "audit line without \"%s\"", k);
	ck_assert_msg(cJSON_IsNull(v) || cJSON_IsString(v), "\"%s\" is not a string", k);
	return cJSON_IsNull(v) ? NULL : v->valuestring;
}

static long long jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	ck_assert_msg(v != NULL && cJSON_IsNumber(v), "audit line without number \"%s\"", k);
	return (long long)v->valuedouble;
}

/* The audit file's lines, parsed (at most @cap); returns how many. */
static int audit_lines(struct fx *f, cJSON **out, int cap)
{
	FILE *fp = fopen(f->audit_path, "re");
	char line[8192];
	int n = 0;

	ck_assert_msg(fp != NULL, "open %s: errno %d", f->audit_path, errno);
	while (fgets(line, sizeof(line), fp)) {
		ck_assert_msg(n < cap, "more than %d audit lines: %s", cap, line);
		ck_assert_msg(strchr(line, '\n') != NULL, "audit line not whole: %s", line);
		out[n] = cJSON_Parse(line);
		ck_assert_msg(out[n] != NULL, "not JSON: %s", line);
		n++;
	}
	fclose(fp);
	return n;
}

static void free_lines(cJSON **l, int n)
{
	for (int i = 0; i < n; i++)
		cJSON_Delete(l[i]);
}

/* ---- plain HTTP forwarding ---- */

START_TEST(test_http_get)
{
	struct fx f;
	struct peer *c, *o, *o2;
	char req[512], want[512];
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

	fx_default(&f, NULL);
	c = client(&f);
	snprintf(req, sizeof(req),
		 "GET http://ok.test:%u/path?q=1 HTTP/1.1\r\n"
		 "Host: ok.test:%u\r\n"
		 "Proxy-Connection: keep-alive\r\n"
		 "Connection: keep-alive, X-Hop\r\n"
		 "X-Hop: secret\r\n"
		 "Keep-Alive: 300\r\n"
		 "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
		 "Accept: */*\r\n"
		 "\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o = accept_origin(&f);
	/* hop-by-hop fields dropped; the client keeps its connection and the
	 * request has no body, so upstream is asked to keep its own */
	snprintf(want, sizeof(want),
		 "GET /path?q=1 HTTP/1.1\r\n"
		 "Host: ok.test:%u\r\n"
		 "Accept: */*\r\n\r\n",
		 f.oport);
	RUN_UNTIL(&f, o->in_len >= strlen(want), 3000);
	EXPECT_STR(o->in, want);
	/* the request had no body: the proxy does not end its side (the
	 * response is still to come), and sends nothing more */
	run_for(&f, 50);
	ck_assert_msg(!o->eof, "the origin saw EOF before it answered");
	EXPECT_STR(o->in, want);
	/* the response is relayed as it came; both connections stay */
	peer_puts(o, resp);
	RUN_UNTIL(&f, c->in_len >= strlen(resp), 3000);
	run_for(&f, 50);
	EXPECT_STR(c->in, resp);
	ck_assert_msg(!peer_done(c) && !peer_done(o), "a connection ended after one response");
	expect_conns(&f, 1);

	/* the next request to the same place goes on the same upstream connection */
	peer_clear(c);
	peer_clear(o);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/2 HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	snprintf(want, sizeof(want), "GET /2 HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", f.oport);
	RUN_UNTIL(&f, o->in_len >= strlen(want), 3000);
	EXPECT_STR(o->in, want);
	expect_no_accept(f.origin);
	/* the server says it closes: the client is not told (its connection
	 * is the proxy's), and that upstream connection is not used again */
	peer_puts(o, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
	RUN_UNTIL(&f, c->in_len >= 40 && peer_done(o), 3000);
	EXPECT_STR(c->in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	ck_assert_msg(!peer_done(c), "the client's connection ended");

	/* the next request: a new upstream connection */
	peer_clear(c);
	snprintf(req, sizeof(req), "HEAD http://ok.test:%u/3 HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o2 = accept_origin(&f);
	snprintf(want, sizeof(want), "HEAD /3 HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", f.oport);
	RUN_UNTIL(&f, o2->in_len >= strlen(want), 3000);
	EXPECT_STR(o2->in, want);
	/* a HEAD response has no body, whatever its Content-Length says */
	peer_puts(o2, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
	RUN_UNTIL(&f, c->in_len >= 38, 3000);
	run_for(&f, 50);
	EXPECT_STR(c->in, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
	ck_assert_msg(!peer_done(c), "the client's connection ended after a HEAD");

	/* an upstream connection the server closed while kept is not used:
	 * the next request gets a new one */
	peer_shut(o2);
	run_for(&f, 30);
	peer_clear(c);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/4 HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o = accept_origin(&f);
	RUN_UNTIL(&f, o->in_len > 0 && peer_done(o2), 3000);
	peer_puts(o, resp);
	RUN_UNTIL(&f, c->in_len >= strlen(resp), 3000);
	EXPECT_STR(c->in, resp);

	/* the client ends it: so does the proxy; the upstream connection, clean,
	 * stays in the proxy's pool until the proxy goes */
	peer_shut(c);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, 0);
	run_for(&f, 50);
	ck_assert_msg(!peer_done(o), "a clean upstream connection was closed");
	expect_conns(&f, 0);
	pd_proxy_free(f.p);
	f.p = NULL;
	RUN_UNTIL(&f, peer_done(o), 3000);
	fx_fini(&f);
}
END_TEST

/* A Content-Length body goes on exactly; bytes after it do not. */
START_TEST(test_http_content_length)
{
	struct fx f;
	struct peer *c, *o;
	char req[512], want[512];

	fx_default(&f, NULL);
	c = client(&f);
	snprintf(req, sizeof(req),
		 "POST http://ok.test:%u/up HTTP/1.1\r\nHost: ok.test:%u\r\n"
		 "Content-Length: 10\r\n\r\n012",
		 f.oport, f.oport);
	peer_puts(c, req);
	o = accept_origin(&f);
	snprintf(want, sizeof(want),
		 "POST /up HTTP/1.1\r\nHost: ok.test:%u\r\nContent-Length: 10\r\n"
		 "Connection: close\r\n\r\n012",
		 f.oport);
	RUN_UNTIL(&f, o->in_len >= strlen(want), 3000);
	EXPECT_STR(o->in, want);
	/* the rest of the body and a pipelined request after it */
	peer_puts(c, "3456789GET http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\n\r\n");
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s", "3456789");
	RUN_UNTIL(&f, o->in_len >= strlen(want), 3000);
	run_for(&f, 50);
	EXPECT_STR(o->in, want);
	peer_puts(o, "HTTP/1.1 204 No Content\r\n\r\n");
	peer_shut(o);
	/* the origin sees EOF once the response is through: nothing came
	 * after the body; the pipelined request is then decided on its own
	 * (port 80 is not allowed here: a 403 that ends the connection) */
	RUN_UNTIL(&f, peer_done(c) && peer_done(o), 3000);
	EXPECT_STR(o->in, want);
	{
		static const char w[] = "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 403 Forbidden\r\n";

		ck_assert_msg(strncmp(c->in, w, strlen(w)) == 0,
			      "the 204, then a 403 for the pipelined request: %s", c->in);
	}
	EXPECT_INT(c->err, 0);
	peer_close(c);
	expect_conns(&f, 0);

	/* the whole body and more in the first packet: the same cut */
	c = client(&f);
	snprintf(req, sizeof(req),
		 "PUT http://ok.test:%u/x HTTP/1.1\r\nHost: ok.test:%u\r\n"
		 "Content-Length: 4\r\n\r\nabcdEXTRA",
		 f.oport, f.oport);
	peer_puts(c, req);
	o = accept_origin(&f);
	snprintf(want, sizeof(want),
		 "PUT /x HTTP/1.1\r\nHost: ok.test:%u\r\nContent-Length: 4\r\n"
		 "Connection: close\r\n\r\nabcd",
		 f.oport);
	RUN_UNTIL(&f, o->in_len >= strlen(want), 3000);
	run_for(&f, 50);
	peer_puts(o, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	peer_shut(o);
	RUN_UNTIL(&f, peer_done(o) && c->in_len >= 38, 3000);
	/* "EXTRA" starts the next request: the client's end finishes it */
	peer_shut(c);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_STR(o->in, want);
	EXPECT_STR(c->in, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	peer_close(c);
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

/* A chunked body goes on exactly, up to the end of its trailer. */
START_TEST(test_http_chunked)
{
	struct fx f;
	struct peer *c, *o;
	char req[512], head[512], want[1024];
	static const char body1[] = "5\r\nhello\r\n6;ext=1\r\n wor", body2[] = "ld\r\n",
			  body3[] = "0\r\nX-Trailer: t\r\n\r\n";

	fx_default(&f, NULL);
	c = client(&f);
	snprintf(req, sizeof(req),
		 "POST http://ok.test:%u/c HTTP/1.1\r\nHost: ok.test:%u\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n%s",
		 f.oport, f.oport, body1);
	peer_puts(c, req);
	o = accept_origin(&f);
	snprintf(head, sizeof(head),
		 "POST /c HTTP/1.1\r\nHost: ok.test:%u\r\nTransfer-Encoding: chunked\r\n"
		 "Connection: close\r\n\r\n",
		 f.oport);
	snprintf(want, sizeof(want), "%s%s", head, body1);
	RUN_UNTIL(&f, o->in_len >= strlen(want), 3000);
	EXPECT_STR(o->in, want);
	peer_puts(c, body2);
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s", body2);
	RUN_UNTIL(&f, o->in_len >= strlen(want), 3000);
	EXPECT_STR(o->in, want);
	/* the last chunk and trailer, then bytes that are not part of the body */
	peer_puts(c, body3);
	peer_puts(c, "GARBAGE");
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s", body3);
	RUN_UNTIL(&f, o->in_len >= strlen(want), 3000);
	run_for(&f, 50);
	peer_puts(c, "MORE GARBAGE");
	run_for(&f, 50);
	EXPECT_STR(o->in, want);
	peer_puts(o, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
	peer_shut(o);
	/* "GARBAGEMORE GARBAGE" would start the next request: the client's
	 * end finishes it, with nothing passed on */
	RUN_UNTIL(&f, peer_done(o) && c->in_len >= 45, 3000);
	peer_shut(c);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_STR(o->in, want);
	EXPECT_STR(c->in, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
	EXPECT_INT(c->err, 0);
	peer_close(c);
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

START_TEST(test_http_chunked_malformed)
{
	struct fx f;
	struct peer *c, *o;
	char req[512], want[512];

	fx_default(&f, NULL);
	/* malformed in the bytes that came with the head: 400 */
	c = client(&f);
	snprintf(req, sizeof(req),
		 "POST http://ok.test:%u/c HTTP/1.1\r\nHost: ok.test:%u\r\n"
		 "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	expect_error(&f, c, 400, "Bad Request", "paude: malformed chunked request body\n");
	/* nothing reached the origin: its connection (if made) ends empty */
	o = accept_origin(&f);
	RUN_UNTIL(&f, peer_done(o), 3000);
	EXPECT_UINT(o->in_len, 0);
	peer_close(c);
	peer_close(o);
	expect_conns(&f, 0);

	/* malformed later: what was good went on, then both are closed */
	c = client(&f);
	snprintf(req, sizeof(req),
		 "POST http://ok.test:%u/c HTTP/1.1\r\nHost: ok.test:%u\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o = accept_origin(&f);
	snprintf(want, sizeof(want),
		 "POST /c HTTP/1.1\r\nHost: ok.test:%u\r\nTransfer-Encoding: chunked\r\n"
		 "Connection: close\r\n\r\n3\r\nabc\r\n",
		 f.oport);
	RUN_UNTIL(&f, o->in_len >= strlen(want), 3000);
	peer_puts(c, "4\r\nabcdX\r\n"); /* no CRLF after the chunk's data */
	RUN_UNTIL(&f, peer_done(c) && peer_done(o), 3000);
	EXPECT_STR(o->in, want);
	EXPECT_UINT(c->in_len, 0);
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

START_TEST(test_http10)
{
	struct fx f;
	struct peer *c, *o;
	char req[256], want[256];

	fx_default(&f, NULL);
	c = client(&f);
	snprintf(req, sizeof(req), "GET http://OK.test:%u/x HTTP/1.0\r\nUser-Agent: t\r\n\r\n",
		 f.oport);
	peer_puts(c, req);
	o = accept_origin(&f);
	/* HTTP/1.1 upstream, with a Host made from the target; bodiless, so
	 * upstream may keep its connection (for the proxy's pool) */
	snprintf(want, sizeof(want), "GET /x HTTP/1.1\r\nHost: ok.test:%u\r\nUser-Agent: t\r\n\r\n",
		 f.oport);
	RUN_UNTIL(&f, o->in_len >= strlen(want), 3000);
	EXPECT_STR(o->in, want);
	peer_puts(o, "HTTP/1.0 200 OK\r\n\r\nold school");
	peer_shut(o);
	/* the proxy's own version; the body ends at close, so does the connection */
	RUN_UNTIL(&f, peer_done(c) && peer_done(o), 3000);
	EXPECT_STR(c->in, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nold school");
	EXPECT_INT(c->err, 0);
	peer_close(c);
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

/* ---- plain HTTP keep-alive and response framing ---- */

/* Two pipelined requests: each decided, forwarded and audited on its own, in order. */
START_TEST(test_http_keepalive_pipelined)
{
	struct fx f;
	struct peer *c, *o1, *o2;
	char req[512], want[256], rule[64];
	cJSON *l[4];
	static const char r1[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none",
			  r2[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "3\r\ntwo\r\n0\r\nX-T: 1\r\n\r\n";
	int n;

	fx_init(&f);
	fx_allow(&f, "ok.test:%u", f.oport);
	fx_pin(&f, "ok.test:127.0.0.1");
	fx_audit(&f);
	fx_start(&f, NULL);
	snprintf(rule, sizeof(rule), "ok.test:%u", f.oport);
	c = client(&f);
	snprintf(req, sizeof(req),
		 "GET http://ok.test:%u/1 HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n"
		 "GET http://ok.test:%u/2 HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport, f.oport, f.oport);
	peer_puts(c, req);
	o1 = accept_origin(&f);
	/* bodiless requests of a client that keeps its connection: upstream
	 * is asked to keep its own */
	snprintf(want, sizeof(want), "GET /1 HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", f.oport);
	RUN_UNTIL(&f, o1->in_len >= strlen(want), 3000);
	run_for(&f, 50);
	EXPECT_STR(o1->in, want);
	/* the second waits for the first's response */
	expect_no_accept(f.origin);
	/* a response in pieces: the head cut anywhere, the body after it */
	peer_puts(o1, "HTTP/1.1 200 OK\r\nContent-Le");
	run_for(&f, 30);
	EXPECT_UINT(c->in_len, 0);
	peer_puts(o1, r1 + 27);
	RUN_UNTIL(&f, c->in_len >= strlen(r1), 3000);
	EXPECT_STR(c->in, r1);
	/* the second goes on the same upstream connection (same name, port,
	 * pin and address; the response ended by its length) */
	snprintf(want + strlen(want), sizeof(want) - strlen(want),
		 "GET /2 HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", f.oport);
	RUN_UNTIL(&f, o1->in_len >= strlen(want), 3000);
	EXPECT_STR(o1->in, want);
	expect_no_accept(f.origin);
	o2 = o1;
	/* a chunked response with a trailer goes through as it came, then the
	 * bytes after it are not passed on */
	peer_puts(o2, r2);
	peer_puts(o2, "JUNK AFTER THE BODY");
	RUN_UNTIL(&f, c->in_len >= strlen(r1) + strlen(r2), 3000);
	run_for(&f, 50);
	ck_assert_msg(c->in_len == strlen(r1) + strlen(r2) && !strcmp(c->in + strlen(r1), r2),
		      "the second response: %s", c->in + strlen(r1));
	ck_assert_msg(!peer_done(c), "the client's connection ended");
	peer_shut(c);
	RUN_UNTIL(&f, peer_done(c) && peer_done(o1), 3000);
	peer_close(c);
	expect_conns(&f, 0);
	n = audit_lines(&f, l, 4);
	EXPECT_INT(n, 2);
	for (int i = 0; i < n; i++) {
		EXPECT_STR(jstr(l[i], "kind"), "http");
		EXPECT_STR(jstr(l[i], "verdict"), "allow");
		EXPECT_STR(jstr(l[i], "rule"), rule);
	}
	EXPECT_INT(jnum(l[0], "bytes_down"), (long long)strlen(r1));
	EXPECT_INT(jnum(l[1], "bytes_down"), (long long)strlen(r2));
	free_lines(l, n);
	fx_fini(&f);
}
END_TEST

/* The request sent on @c reaches @o as @want; @o answers @resp, which @c gets. */
static void ka_request(struct fx *f, struct peer *c, struct peer *o, const char *want,
		       const char *resp)
{
	RUN_UNTIL(f, o->in_len >= strlen(want), 3000);
	run_for(f, 20);
	EXPECT_STR(o->in, want);
	peer_puts(o, resp);
	RUN_UNTIL(f, c->in_len >= strlen(resp), 3000);
	EXPECT_STR(c->in, resp);
}

/* When a kept upstream connection is not used again. */
START_TEST(test_http_upstream_reuse_rules)
{
	struct fx f;
	struct peer *c, *o1, *o2, *o3, *o4;
	char req[512], want[512];
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

	fx_default(&f, NULL);
	c = client(&f);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/a HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o1 = accept_origin(&f);
	snprintf(want, sizeof(want), "GET /a HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", f.oport);
	ka_request(&f, c, o1, want, ok);
	/* a request with a body: a connection of its own, closed after it (a
	 * body could not be sent again on a kept connection that died); the
	 * kept one waits in the proxy's pool */
	peer_clear(c);
	snprintf(
		req, sizeof(req),
		"POST http://ok.test:%u/b HTTP/1.1\r\nHost: ok.test:%u\r\nContent-Length: 3\r\n\r\nxyz",
		f.oport, f.oport);
	peer_puts(c, req);
	o2 = accept_origin(&f);
	run_for(&f, 50);
	ck_assert_msg(!peer_done(o1), "a clean kept connection was closed");
	snprintf(
		want, sizeof(want),
		"POST /b HTTP/1.1\r\nHost: ok.test:%u\r\nContent-Length: 3\r\nConnection: close\r\n\r\nxyz",
		f.oport);
	ka_request(&f, c, o2, want, ok);
	/* the next bodiless request: not on the POST's (it was to close), but
	 * on the first one, from the pool */
	peer_clear(c);
	peer_clear(o1);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/c HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o3 = o1;
	RUN_UNTIL(&f, peer_done(o2), 3000);
	expect_no_accept(f.origin);
	snprintf(want, sizeof(want), "GET /c HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", f.oport);
	ka_request(&f, c, o3, want, ok);
	/* bytes the server sends after a response: that connection is not
	 * used again, and the bytes reach nobody */
	peer_puts(o3, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil");
	run_for(&f, 50);
	EXPECT_STR(c->in, ok);
	peer_clear(c);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/d HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o4 = accept_origin(&f);
	RUN_UNTIL(&f, peer_done(o3), 3000);
	snprintf(want, sizeof(want), "GET /d HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", f.oport);
	ka_request(&f, c, o4, want, ok);
	/* a name the policy denies: its 403 ends the client's connection; the
	 * kept upstream connection, clean, goes to the proxy's pool */
	peer_clear(c);
	peer_puts(c, "GET http://other.test/ HTTP/1.1\r\nHost: other.test\r\n\r\n");
	RUN_UNTIL(&f, peer_done(c), 3000);
	ck_assert_msg(!strncmp(c->in, "HTTP/1.1 403 ", 13), "other.test: %s", c->in);
	run_for(&f, 50);
	ck_assert_msg(!peer_done(o4), "a clean upstream connection was closed");
	EXPECT_STR(o4->in, want);
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

/* A kept upstream connection the server closes just as it gets the next
 * request: the request goes again on a new connection, once. */
START_TEST(test_http_upstream_reuse_retry)
{
	struct fx f;
	struct peer *c, *o1, *o2;
	char req[512], want[512];
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

	fx_default(&f, NULL);
	c = client(&f);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/a HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o1 = accept_origin(&f);
	snprintf(want, sizeof(want), "GET /a HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", f.oport);
	ka_request(&f, c, o1, want, ok);
	/* the next request reaches the kept connection, whose server then
	 * closes it without an answer */
	peer_clear(c);
	peer_clear(o1);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/b HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	snprintf(want, sizeof(want), "GET /b HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", f.oport);
	RUN_UNTIL(&f, o1->in_len >= strlen(want), 3000);
	EXPECT_STR(o1->in, want);
	peer_close(o1);
	/* the same head on a new connection; the client sees only the answer */
	o2 = accept_origin(&f);
	ka_request(&f, c, o2, want, ok);
	ck_assert_msg(!peer_done(c), "the client's connection ended");
	/* a new connection that closes without an answer: a 502, no retry */
	peer_clear(c);
	peer_shut(o2);
	run_for(&f, 30);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/c HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o1 = accept_origin(&f);
	RUN_UNTIL(&f, o1->in_len > 0, 3000);
	peer_shut(o1);
	RUN_UNTIL(&f, peer_done(c), 3000);
	ck_assert_msg(!strncmp(c->in, "HTTP/1.1 502 ", 13), "a new connection closed: %s", c->in);
	expect_no_accept(f.origin);
	peer_close(c);
	peer_close(o1);
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

/* One GET for @path from a new client, answered on @o (which must get it); the client then goes. */
static void pooled_get(struct fx *f, struct peer *o, const char *path)
{
	struct peer *c = client(f);
	char req[512], want[512];
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

	snprintf(req, sizeof(req), "GET http://ok.test:%u%s HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f->oport, path, f->oport);
	snprintf(want, sizeof(want), "GET %s HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", path, f->oport);
	peer_clear(o);
	peer_puts(c, req);
	RUN_UNTIL(f, o->in_len >= strlen(want), 3000);
	EXPECT_STR(o->in, want);
	peer_puts(o, ok);
	RUN_UNTIL(f, c->in_len >= strlen(ok), 3000);
	EXPECT_STR(c->in, ok);
	peer_shut(c);
	RUN_UNTIL(f, peer_done(c), 3000);
	peer_close(c);
	expect_conns(f, 0);
}

/*
 * The proxy's pool: a clean upstream connection a client leaves serves the
 * next client's request to the same place; a CONNECT does not take it, and
 * one the server closed is not used (upool.c's own tests cover the bounds,
 * expiry and the policy check).
 */
START_TEST(test_http_upstream_pool)
{
	struct fx f;
	struct peer *c, *o1, *o2, *o3;
	char req[512];

	fx_default(&f, NULL);
	/* the first client makes the connection; the next two take it over */
	c = client(&f);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/a HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o1 = accept_origin(&f);
	RUN_UNTIL(&f, o1->in_len > 0, 3000);
	peer_puts(o1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	RUN_UNTIL(&f, c->in_len > 0, 3000);
	peer_shut(c);
	RUN_UNTIL(&f, peer_done(c), 3000);
	peer_close(c);
	pooled_get(&f, o1, "/a");
	pooled_get(&f, o1, "/b");
	pooled_get(&f, o1, "/c");
	expect_no_accept(f.origin);
	/* a client that closes after its request: its upstream connection is
	 * still kept (asked to stay), for the next client */
	c = client(&f);
	snprintf(
		req, sizeof(req),
		"GET http://ok.test:%u/z HTTP/1.1\r\nHost: ok.test:%u\r\nConnection: close\r\n\r\n",
		f.oport, f.oport);
	peer_clear(o1);
	peer_puts(c, req);
	RUN_UNTIL(&f, o1->in_len > 0, 3000);
	ck_assert_msg(!strstr(o1->in, "Connection: close"), "upstream asked to close: %s", o1->in);
	peer_puts(o1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_STR(c->in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
	peer_close(c);
	pooled_get(&f, o1, "/y");
	expect_no_accept(f.origin);
	/* a CONNECT to the same place does not take it */
	c = client(&f);
	snprintf(req, sizeof(req), "CONNECT ok.test:%u HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o2 = accept_origin(&f);
	RUN_UNTIL(&f, c->in_len > 0, 3000);
	ck_assert_msg(!strncmp(c->in, "HTTP/1.1 200 ", 13), "CONNECT: %s", c->in);
	peer_close(c);
	RUN_UNTIL(&f, peer_done(o2), 3000);
	peer_close(o2);
	ck_assert_msg(!peer_done(o1), "the pooled connection was closed");
	/* the server closes the pooled connection: the next request gets a new one */
	peer_shut(o1);
	run_for(&f, 30);
	c = client(&f);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/d HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o3 = accept_origin(&f);
	RUN_UNTIL(&f, peer_done(o1) && o3->in_len > 0, 3000);
	peer_puts(o3, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	RUN_UNTIL(&f, c->in_len > 0, 3000);
	peer_shut(c);
	RUN_UNTIL(&f, peer_done(c), 3000);
	peer_close(c);
	pooled_get(&f, o3, "/e");
	expect_no_accept(f.origin);
	/* the proxy goes: so does what it kept */
	pd_proxy_free(f.p);
	f.p = NULL;
	RUN_UNTIL(&f, peer_done(o3), 3000);
	fx_fini(&f);
}
END_TEST

/*
 * Send @resp from the origin (then its end) for a GET: the client gets
 * @want, then the end of its connection when @ends, else the connection
 * stays for the next request.
 */
static void response_case(struct fx *f, const char *resp, bool ends, const char *want)
{
	struct peer *c, *o;
	char req[256];

	c = client(f);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/ HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f->oport, f->oport);
	peer_puts(c, req);
	o = accept_origin(f);
	RUN_UNTIL(f, o->in_len > 0, 3000);
	peer_puts(o, resp);
	peer_shut(o);
	if (!ends) {
		RUN_UNTIL(f, c->in_len >= strlen(want), 3000);
		run_for(f, 50);
		ck_assert_msg(!peer_done(c), "for the response [%s]: the connection ended", resp);
		peer_shut(c);
	}
	RUN_UNTIL(f, peer_done(c), 3000);
	ck_assert_msg(!strcmp(c->in, want), "for the response [%s]: expected [%s], got [%s]", resp,
		      want, c->in);
	peer_close(c);
	peer_close(o);
	expect_conns(f, 0);
}

START_TEST(test_http_response_framing)
{
	struct fx f;
	static const char bad[] = "HTTP/1.1 502 Bad Gateway\r\n";
	char *big;

	fx_default(&f, NULL);
	/* a body cut short: the client's connection ends (no keep-alive on a lie) */
	response_case(&f, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true,
		      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
	/* close-delimited: said so, and the connection ends with the body */
	response_case(&f, "HTTP/1.1 200 OK\nServer: x\n\nbody", true,
		      "HTTP/1.1 200 OK\r\nServer: x\r\nConnection: close\r\n\r\nbody");
	/* hop-by-hop fields and those Connection names are dropped; a
	 * Content-Length beside Transfer-Encoding too */
	response_case(&f,
		      "HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n"
		      "Content-Length: 99\r\nTransfer-Encoding: chunked\r\nX-End: 2\r\n\r\n"
		      "0\r\n\r\n",
		      false,
		      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-End: 2\r\n\r\n0\r\n\r\n");
	/* a 100 Continue goes on to an HTTP/1.1 client, then the final response */
	response_case(&f, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", false,
		      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
	/* malformed heads: a 502, nothing of them passed on */
	{
		static const char *const heads[] = {
			"HTTP/2 200 OK\r\n\r\n",
			"HTTP/1.1 20 OK\r\n\r\n",
			"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
			"HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n",
			"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
			"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
			"garbage\r\n\r\n",
		};

		for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
			struct peer *c, *o;
			char req[256];

			c = client(&f);
			snprintf(req, sizeof(req),
				 "GET http://ok.test:%u/ HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
				 f.oport, f.oport);
			peer_puts(c, req);
			o = accept_origin(&f);
			RUN_UNTIL(&f, o->in_len > 0, 3000);
			peer_puts(o, heads[i]);
			RUN_UNTIL(&f, peer_done(c), 3000);
			ck_assert_msg(!strncmp(c->in, bad, strlen(bad)),
				      "the head [%s]: expected a 502, got [%s]", heads[i], c->in);
			ck_assert_msg(strstr(c->in, "a bad response from upstream") != NULL,
				      "the 502 names the cause: %s", c->in);
			peer_close(c);
			peer_close(o);
			expect_conns(&f, 0);
		}
	}
	/* a head that never ends within the cap: a 502 */
	big = malloc(PD_HTTP_RESPONSE_HEAD_MAX + 1);
	ck_assert(big != NULL);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(big + 20, 'a', PD_HTTP_RESPONSE_HEAD_MAX - 20);
	big[PD_HTTP_RESPONSE_HEAD_MAX] = '\0';
	{
		struct peer *c, *o;
		char req[256];

		c = client(&f);
		snprintf(req, sizeof(req),
			 "GET http://ok.test:%u/ HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n", f.oport,
			 f.oport);
		peer_puts(c, req);
		o = accept_origin(&f);
		RUN_UNTIL(&f, o->in_len > 0, 3000);
		peer_puts(o, big);
		RUN_UNTIL(&f, peer_done(c), 3000);
		ck_assert_msg(!strncmp(c->in, bad, strlen(bad)), "a huge head: %.80s", c->in);
		peer_close(c);
		peer_close(o);
		expect_conns(&f, 0);
	}
	free(big);
	fx_fini(&f);
}
END_TEST

/* An HTTP/1.0 client: no 1xx, no chunked coding, and the connection ends with the response. */
START_TEST(test_http10_no_interim)
{
	struct fx f;
	struct peer *c, *o;
	char req[256];

	fx_default(&f, NULL);
	c = client(&f);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/ HTTP/1.0\r\n\r\n", f.oport);
	peer_puts(c, req);
	o = accept_origin(&f);
	RUN_UNTIL(&f, o->in_len > 0, 3000);
	peer_puts(o,
		  "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
		  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_STR(c->in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
	peer_close(c);
	peer_close(o);
	expect_conns(&f, 0);

	/* a chunked response: HTTP/1.0 knows no chunked coding, so the body
	 * goes decoded (no Transfer-Encoding, no trailer) and ends at close */
	c = client(&f);
	peer_puts(c, req);
	o = accept_origin(&f);
	RUN_UNTIL(&f, o->in_len > 0, 3000);
	peer_puts(o,
		  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
		  "4\r\nWiki\r\n5;e=1\r\n");
	run_for(&f, 30);
	peer_puts(o, "pedia\r\n0\r\nX-T: v\r\n\r\n");
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_STR(c->in, "HTTP/1.1 200 OK\r\nX-A: 1\r\nConnection: close\r\n\r\nWikipedia");
	peer_close(c);
	peer_close(o);
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

/* ---- CONNECT ---- */

START_TEST(test_connect)
{
	struct fx f;
	struct peer *c, *o;
	fx_default(&f, NULL);
	c = client(&f);
	/* data right after the head, in the same packet */
	peer_puts(c, connect_head("ok.test", f.oport));
	peer_puts(c, "EARLY");
	o = accept_origin(&f);
	/* the origin speaks at once: the client still sees the 200 first */
	peer_puts(o, "HELLO");
	RUN_UNTIL(&f, c->in_len >= strlen(ESTABLISHED) + 5 && o->in_len >= 5, 3000);
	EXPECT_STR(c->in, ESTABLISHED "HELLO");
	EXPECT_STR(o->in, "EARLY");
	/* both ways, several times */
	for (int i = 0; i < 3; i++) {
		peer_clear(c);
		peer_clear(o);
		peer_puts(c, "ping");
		RUN_UNTIL(&f, o->in_len >= 4, 3000);
		EXPECT_STR(o->in, "ping");
		peer_puts(o, "pong!");
		RUN_UNTIL(&f, c->in_len >= 5, 3000);
		EXPECT_STR(c->in, "pong!");
	}
	EXPECT_UINT(pd_proxy_connections(f.p), 1);
	peer_close(c);
	RUN_UNTIL(&f, peer_done(o), 3000);
	peer_close(o);
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

/* The client ends its side: the origin reads EOF and can still answer. */
START_TEST(test_connect_half_close_client)
{
	struct fx f;
	struct peer *c, *o;

	fx_default(&f, NULL);
	open_tunnel(&f, &c, &o);
	peer_puts(c, "request");
	peer_shut(c);
	RUN_UNTIL(&f, peer_done(o), 3000);
	EXPECT_INT(o->err, 0);
	EXPECT_STR(o->in, "request");
	peer_puts(o, "reply after EOF");
	RUN_UNTIL(&f, c->in_len >= 15, 3000);
	EXPECT_STR(c->in, "reply after EOF");
	ck_assert_msg(!c->eof, "the client saw EOF before the origin ended");
	EXPECT_UINT(pd_proxy_connections(f.p), 1);
	peer_puts(o, " and more");
	peer_shut(o);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, 0);
	EXPECT_STR(c->in, "reply after EOF and more");
	/* both ways ended: the proxy is done with it */
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

/* The origin ends its side: the client reads EOF and can still send. */
START_TEST(test_connect_half_close_origin)
{
	struct fx f;
	struct peer *c, *o;

	fx_default(&f, NULL);
	open_tunnel(&f, &c, &o);
	peer_puts(o, "banner");
	peer_shut(o);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, 0);
	EXPECT_STR(c->in, "banner");
	peer_puts(c, "late data");
	RUN_UNTIL(&f, o->in_len >= 9, 3000);
	EXPECT_STR(o->in, "late data");
	ck_assert_msg(!o->eof, "the origin saw EOF before the client ended");
	peer_shut(c);
	RUN_UNTIL(&f, peer_done(o), 3000);
	EXPECT_INT(o->err, 0);
	EXPECT_STR(o->in, "late data");
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

static void fill(char *buf, size_t n, uint64_t seed)
{
	uint64_t x = seed;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (char)(x >> 24);
	}
}

static size_t first_diff(const char *a, const char *b, size_t n)
{
	size_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* 8 MiB each way at once, byte-exact, with the counts in the audit line. */
START_TEST(test_connect_large)
{
	enum { SIZE = 8 << 20 };
	struct fx f;
	struct peer *c, *o;
	char *up = malloc(SIZE), *down = malloc(SIZE);
	cJSON *l[4];
	int n;

	ck_assert(up && down);
	fill(up, SIZE, 0x9e3779b97f4a7c15ull);
	fill(down, SIZE, 0x2545f4914f6cdd1dull);
	fx_init(&f);
	fx_allow(&f, "ok.test:%u", f.oport);
	fx_pin(&f, "ok.test:127.0.0.1");
	fx_audit(&f);
	fx_start(&f, NULL);
	open_tunnel(&f, &c, &o);
	peer_send(c, up, SIZE);
	peer_shut(c);
	peer_send(o, down, SIZE);
	peer_shut(o);
	RUN_UNTIL(&f, peer_done(c) && peer_done(o), 60000);
	EXPECT_INT(c->err, 0);
	EXPECT_INT(o->err, 0);
	EXPECT_UINT(o->in_len, SIZE);
	EXPECT_UINT(c->in_len, SIZE);
	EXPECT_UINT(first_diff(o->in, up, SIZE), SIZE);
	EXPECT_UINT(first_diff(c->in, down, SIZE), SIZE);
	expect_conns(&f, 0);
	n = audit_lines(&f, l, 4);
	EXPECT_INT(n, 1);
	EXPECT_STR(jstr(l[0], "kind"), "connect");
	EXPECT_STR(jstr(l[0], "verdict"), "allow");
	EXPECT_INT(jnum(l[0], "bytes_up"), SIZE);
	EXPECT_INT(jnum(l[0], "bytes_down"), SIZE);
	free_lines(l, n);
	free(up);
	free(down);
	fx_fini(&f);
}
END_TEST

/* Bodies and responses larger than any buffer: byte-exact. */
START_TEST(test_http_large)
{
	enum { BODY = 3 << 20, RESP = 5 << 20 };
	struct fx f;
	struct peer *c, *o;
	char *body = malloc(BODY), *resp = malloc(RESP), *chunked = malloc(BODY + BODY / 8);
	char req[256], head[256];
	size_t hl, rl, cl = 0;

	ck_assert(body && resp && chunked);
	fill(body, BODY, 1);
	rl = (size_t)snprintf(resp, RESP, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n",
			      RESP - 44);
	ck_assert_msg(rl == 44, "the response head is %zu bytes", rl);
	fill(resp + rl, RESP - rl, 2);
	fx_default(&f, NULL);

	/* Content-Length */
	c = client(&f);
	snprintf(req, sizeof(req),
		 "POST http://ok.test:%u/big HTTP/1.1\r\nHost: ok.test:%u\r\n"
		 "Content-Length: %d\r\n\r\n",
		 f.oport, f.oport, BODY);
	peer_puts(c, req);
	peer_send(c, body, BODY);
	peer_puts(c, "AFTER");
	o = accept_origin(&f);
	hl = (size_t)snprintf(head, sizeof(head),
			      "POST /big HTTP/1.1\r\nHost: ok.test:%u\r\nContent-Length: %d\r\n"
			      "Connection: close\r\n\r\n",
			      f.oport, BODY);
	RUN_UNTIL(&f, o->in_len >= hl + BODY, 30000);
	run_for(&f, 30);
	EXPECT_UINT(o->in_len, hl + BODY);
	ck_assert_msg(memcmp(o->in, head, hl) == 0, "forwarded head: %.*s", (int)hl, o->in);
	EXPECT_UINT(first_diff(o->in + hl, body, BODY), BODY);
	peer_send(o, resp, RESP);
	peer_shut(o);
	RUN_UNTIL(&f, c->in_len >= RESP && peer_done(o), 30000);
	/* "AFTER" starts the next request; the client's end finishes it */
	peer_shut(c);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, 0);
	EXPECT_UINT(c->in_len, RESP);
	EXPECT_UINT(first_diff(c->in, resp, RESP), RESP);
	EXPECT_UINT(o->in_len, hl + BODY);
	peer_close(c);
	peer_close(o);
	expect_conns(&f, 0);

	/* chunked, chunks of many sizes, sent in pieces that cut lines anywhere */
	for (size_t off = 0, k = 1; off < BODY; k = k * 7 % 65521 + 1) {
		size_t n = k < BODY - off ? k : BODY - off;

		cl += (size_t)snprintf(chunked + cl, 32, "%zx%s\r\n", n, k % 3 ? "" : ";x=y");
		memcpy(chunked + cl, body + off, n);
		cl += n;
		memcpy(chunked + cl, "\r\n", 2);
		cl += 2;
		off += n;
	}
	memcpy(chunked + cl, "0\r\n\r\n", 5);
	cl += 5;
	c = client(&f);
	snprintf(req, sizeof(req),
		 "POST http://ok.test:%u/big HTTP/1.1\r\nHost: ok.test:%u\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	peer_send(c, chunked, cl);
	peer_puts(c, "AFTER");
	o = accept_origin(&f);
	hl = (size_t)snprintf(head, sizeof(head),
			      "POST /big HTTP/1.1\r\nHost: ok.test:%u\r\n"
			      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
			      f.oport);
	RUN_UNTIL(&f, o->in_len >= hl + cl, 30000);
	run_for(&f, 30);
	EXPECT_UINT(o->in_len, hl + cl);
	ck_assert_msg(memcmp(o->in, head, hl) == 0, "forwarded head: %.*s", (int)hl, o->in);
	EXPECT_UINT(first_diff(o->in + hl, chunked, cl), cl);
	peer_puts(o, "HTTP/1.1 200 OK\r\n\r\n");
	peer_shut(o);
	RUN_UNTIL(&f, peer_done(c) && peer_done(o), 30000);
	EXPECT_STR(c->in, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
	EXPECT_UINT(o->in_len, hl + cl);
	free(body);
	free(resp);
	free(chunked);
	fx_fini(&f);
}
END_TEST

/* Many tunnels at once, each an echo: every client gets its own bytes back. */
START_TEST(test_many_tunnels)
{
	enum { N = 16, SIZE = 200000 };
	struct fx f;
	struct peer *c[N], *o;
	char *data[N];

	fx_default(&f, NULL);
	for (int i = 0; i < N; i++) {
		data[i] = malloc(SIZE);
		ck_assert(data[i] != NULL);
		fill(data[i], SIZE, (uint64_t)i + 100);
		c[i] = client(&f);
		peer_puts(c[i], connect_head("ok.test", f.oport));
		peer_send(c[i], data[i], SIZE);
		peer_shut(c[i]);
	}
	for (int i = 0; i < N; i++) {
		o = accept_origin(&f);
		o->echo = true;
	}
	for (int i = 0; i < N; i++) {
		RUN_UNTIL(&f, peer_done(c[i]), 30000);
		EXPECT_INT(c[i]->err, 0);
		EXPECT_UINT(c[i]->in_len, strlen(ESTABLISHED) + SIZE);
		ck_assert(memcmp(c[i]->in, ESTABLISHED, strlen(ESTABLISHED)) == 0);
		EXPECT_UINT(first_diff(c[i]->in + strlen(ESTABLISHED), data[i], SIZE), SIZE);
		free(data[i]);
	}
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

/* The pipes among this process's fds, as a bitmap of fd numbers below 1024. */
static void pipes_now(uint8_t map[128])
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	memset(map, 0, 128);
	ck_assert(d != NULL);
	while ((e = readdir(d))) {
		struct stat st;
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd >= 1024 || fd == dirfd(d))
			continue;
		if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
			map[fd / 8] |= (uint8_t)(1u << (fd % 8));
	}
	closedir(d);
}

/* A hash of the bytes waiting in each socket (both queues) and pipe of this process. */
static uint64_t queues_hash(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	uint64_t h = 1469598103934665603ull;

	ck_assert(d != NULL);
	while ((e = readdir(d))) {
		struct stat st;
		int fd = atoi(e->d_name), in = -1, out = -1;

		if (e->d_name[0] == '.' || fd == dirfd(d) || fstat(fd, &st) < 0)
			continue;
		if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
			(void)ioctl(fd, FIONREAD, &in);
		if (S_ISSOCK(st.st_mode))
			(void)ioctl(fd, SIOCOUTQ, &out);
		h = (h ^ (uint64_t)fd) * 1099511628211ull;
		h = (h ^ (uint64_t)(uint32_t)in) * 1099511628211ull;
		h = (h ^ (uint64_t)(uint32_t)out) * 1099511628211ull;
	}
	closedir(d);
	return h;
}

/* The third field of a net.ipv4.tcp_[rw]mem sysctl (autotuning's bound), or @dflt. */
static size_t tcp_mem_max(const char *which, size_t dflt)
{
	char path[64], line[128];
	unsigned long long lo, mid, hi;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/tcp_%s", which);
	f = fopen(path, "re");
	if (!f)
		return dflt;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "%llu %llu %llu", &lo, &mid, &hi) != 3)
		hi = dflt;
	fclose(f);
	return (size_t)hi;
}

/*
 * A client that stops reading while the origin keeps sending: once every
 * buffer on the way is full the tunnel must wait without spinning (a few
 * wake-ups in 500 ms: the sweep timer), and stay byte-exact when the client
 * reads again.  Run with the tunnel's pipes at their full 64 KiB and at one
 * page: the kernel gives an unprivileged user's pipes one or two pages once
 * it holds more than fs.pipe-user-pages-soft (16384 pages: 512 tunnels),
 * and a pipe is also full when its slots are, whatever their bytes (a
 * spliced socket buffer takes a slot per fragment).
 *
 * The origin sends more than every buffer on the way could take: each of
 * the two receiving and two sending sockets may grow to its autotuning
 * bound (tcp_rmem 32 MiB on recent kernels), plus pipes.
 */
static void stalled_reader(size_t pipe_size)
{
	const size_t size =
		2 * (tcp_mem_max("rmem", 6 << 20) + tcp_mem_max("wmem", 4 << 20)) + (4 << 20);
	struct fx f;
	struct peer *c, *o;
	char *data = malloc(size);
	struct pd_error err = { 0 };
	uint8_t before_map[128], after_map[128];
	size_t before;
	int wakeups = 0, calls = 0, shrunk = 0;
	uint64_t end;

	ck_assert(data != NULL);
	fill(data, size, 7);
	fx_default(&f, NULL);
	pipes_now(before_map);
	open_tunnel(&f, &c, &o);
	if (pipe_size) {
		/* a pump makes its pipe once it streams (conn.c: COPY_MAX):
		 * stream 1 MiB down first, then shrink the pipe it made */
		enum { WARM = 1 << 20 };
		char *warm = malloc(WARM);

		ck_assert(warm != NULL);
		fill(warm, WARM, 8);
		peer_send(o, warm, WARM);
		RUN_UNTIL(&f, c->in_len >= WARM, 30000);
		EXPECT_UINT(first_diff(c->in, warm, WARM), WARM);
		free(warm);
		peer_clear(c);
		pipes_now(after_map);
		for (int fd = 0; fd < 1024; fd++)
			if ((after_map[fd / 8] & ~before_map[fd / 8]) & (1u << (fd % 8)) &&
			    fcntl(fd, F_SETPIPE_SZ, (int)pipe_size) >= 0)
				shrunk++;
		EXPECT_INT(shrunk, 2); /* both ends of the streaming direction's pipe */
	}
	peer_send(o, data, size);
	peer_shut(o);
	/* the client does not read: step only the origin until nothing moves
	 * (what the origin sent and each socket and pipe queue of this
	 * process stay the same for two rounds of 200 ms) */
	c->closed = true; /* (not stepped; still open) */
	for (int same = 0; same < 2;) {
		uint64_t q = queues_hash();

		before = o->out_off;
		end = now_ms() + 200;
		while (now_ms() < end) {
			peer_step(o);
			run_once(&f, 2);
		}
		same = o->out_off == before && q == queues_hash() ? same + 1 : 0;
	}
	ck_assert_msg(o->out_off < size, "all %zu bytes went into buffers", size);
	/* how busy is the loop while nothing can move? */
	end = now_ms() + 500;
	while (now_ms() < end) {
		int r = pd_loop_run_once(f.loop, 50, &err);

		ck_assert_msg(r >= 0, "pd_loop_run_once: %s", err.msg);
		wakeups += r > 0;
		calls += r;
	}
	ck_assert_msg(wakeups <= 5,
		      "pipes of %zu bytes: %d wake-ups (%d callbacks) in 500 ms with nothing to "
		      "move",
		      pipe_size, wakeups, calls);
	/* the client reads again: everything arrives (one page per wake-up
	 * with small pipes: many wake-ups per step of the peers) */
	c->closed = false;
	end = now_ms() + 120000;
	while (!peer_done(c)) {
		ck_assert_msg(now_ms() < end, "the client got %zu bytes in 120 s", c->in_len);
		for (int k = 0; k < 64 && pd_loop_run_once(f.loop, k ? 0 : 2, &err) > 0; k++)
			;
		step_all(&f);
	}
	EXPECT_UINT(c->in_len, size);
	EXPECT_UINT(first_diff(c->in, data, size), size);
	free(data);
	fx_fini(&f);
}

START_TEST(test_stalled_reader)
{
	stalled_reader(0);
}
END_TEST

START_TEST(test_stalled_reader_small_pipes)
{
	stalled_reader(4096);
}
END_TEST

/* Resolved names: every address is checked, then tried in turn (at most four). */
START_TEST(test_resolved_addresses)
{
	struct fx f;
	struct peer *c, *o;
	char body[256];
	cJSON *l[8];
	int n;

	fx_init(&f);
	fx_allow(&f, "multi.test:%u", f.oport);
	fx_allow(&f, "mixed.test:%u", f.oport);
	fx_allow(&f, "five.test:%u", f.oport);
	fx_allow(&f, "private.test:%u", f.oport);
	fx_allow(&f, "lo.test:%u", f.oport + 1u);
	fx_allow(&f, "127.0.0.0/8:%u", f.oport); /* loopback opened for this port only */
	f.dns_names[0] = "multi.test";
	f.dns_addrs[0] = "127.0.0.3,127.0.0.1";
	f.dns_names[1] = "mixed.test";
	f.dns_addrs[1] = "10.0.0.1,127.0.0.1";
	f.dns_names[2] = "five.test";
	f.dns_addrs[2] = "127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.1";
	f.dns_names[3] = "private.test";
	f.dns_addrs[3] = "10.0.0.1,192.168.1.1";
	fx_audit(&f);
	fx_start(&f, NULL);

	/* the first refuses, the second is the origin */
	c = client(&f);
	peer_puts(c, connect_head("multi.test", f.oport));
	o = accept_origin(&f);
	RUN_UNTIL(&f, c->in_len >= strlen(ESTABLISHED), 3000);
	EXPECT_STR(c->in, ESTABLISHED);
	peer_close(c);
	peer_close(o);
	expect_conns(&f, 0);
	/* a private address is left out (never connected), the loopback one is used */
	c = client(&f);
	peer_puts(c, connect_head("mixed.test", f.oport));
	o = accept_origin(&f);
	RUN_UNTIL(&f, c->in_len >= strlen(ESTABLISHED), 3000);
	EXPECT_STR(c->in, ESTABLISHED);
	peer_close(c);
	peer_close(o);
	expect_conns(&f, 0);
	/* four refuse: the fifth, the origin, is never tried */
	c = client(&f);
	peer_puts(c, connect_head("five.test", f.oport));
	snprintf(body, sizeof(body),
		 "paude: five.test:%u could not be reached: Connection refused\n", f.oport);
	expect_error(&f, c, 502, "Bad Gateway", body);
	expect_no_accept(f.origin);
	/* nothing it may reach */
	c = client(&f);
	peer_puts(c, connect_head("private.test", f.oport));
	snprintf(body, sizeof(body),
		 "paude: access to private.test denied: 10.0.0.1 is a private (RFC 1918) "
		 "address.\nTo allow it: paude run --allowed-domains private.test:%u\n",
		 f.oport);
	expect_error(&f, c, 403, "Forbidden", body);
	/* the CIDR entry opens loopback on its port only */
	f.dns_names[3] = "lo.test";
	f.dns_addrs[3] = "127.0.0.1";
	c = client(&f);
	peer_puts(c, connect_head("lo.test", (uint16_t)(f.oport + 1)));
	snprintf(body, sizeof(body),
		 "paude: access to lo.test denied: 127.0.0.1 is a loopback address.\n"
		 "To allow it: paude run --allowed-domains lo.test:%u\n",
		 (unsigned)(f.oport + 1));
	expect_error(&f, c, 403, "Forbidden", body);
	expect_no_accept(f.origin);
	peer_close(c);
	expect_conns(&f, 0);
	n = audit_lines(&f, l, 8);
	EXPECT_INT(n, 5);
	EXPECT_STR(jstr(l[0], "addr"), "127.0.0.1");
	EXPECT_STR(jstr(l[1], "addr"), "127.0.0.1");
	EXPECT_STR(jstr(l[2], "verdict"), "allow");
	EXPECT_STR(jstr(l[2], "reason"), "Connection refused");
	EXPECT_STR(jstr(l[3], "addr"), "10.0.0.1");
	EXPECT_STR(jstr(l[3], "reason"), "10.0.0.1 is a private (RFC 1918) address");
	EXPECT_STR(jstr(l[4], "host"), "lo.test");
	free_lines(l, n);
	fx_fini(&f);
}
END_TEST

/* The proxy is freed with connections in every state: nothing leaks, nothing is called. */
START_TEST(test_free_busy)
{
	struct fx f;
	struct peer *c, *o;
	uint16_t hole;
	int lfd;

	fx_init(&f);
	lfd = tcp_listen("127.0.0.1", 0, 0, &hole);
	ck_assert(lfd >= 0);
	track_fd(&f, lfd);
	c = connect_to(&f, "127.0.0.1", hole, "filler");
	peer_puts(c, "x");
	RUN_UNTIL(&f, c->out_off == 1, 3000);
	fx_allow(&f, "ok.test:%u", f.oport);
	fx_allow(&f, "slow.test:%u", f.oport);
	fx_allow(&f, "hole.test:%u", hole);
	fx_pin(&f, "ok.test:127.0.0.1");
	fx_pin(&f, "hole.test:127.0.0.1");
	fx_start(&f, NULL);
	c = client(&f); /* C_HEAD */
	peer_puts(c, "GET http://ok.test/ HTTP/1.1\r\n");
	c = client(&f); /* C_RESOLVE */
	peer_puts(c, connect_head("slow.test", f.oport));
	RUN_UNTIL(&f, f.dns_queries > 0, 3000);
	c = client(&f); /* C_CONNECT */
	peer_puts(c, connect_head("hole.test", hole));
	c = client(&f); /* C_LINGER */
	peer_puts(c, connect_head("evil.test", 443));
	RUN_UNTIL(&f, c->in_len > 0, 3000);
	open_tunnel(&f, &c, &o); /* C_RELAY */
	peer_puts(c, "data");
	RUN_UNTIL(&f, o->in_len == 4, 3000);
	EXPECT_UINT(pd_proxy_connections(f.p), 5);
	fx_fini(&f);
}
END_TEST

/* ---- denials ---- */

START_TEST(test_deny_name)
{
	struct fx f;
	struct peer *c;

	fx_default(&f, NULL);
	c = client(&f);
	peer_puts(c, connect_head("Evil.Test", 443));
	expect_error(&f, c, 403, "Forbidden",
		     "paude: access to evil.test denied: evil.test is not in the allowlist.\n"
		     "To allow it: paude run --allowed-domains evil.test\n");
	/* a plain request the same */
	c = client(&f);
	peer_puts(c, "GET http://evil.test/x HTTP/1.1\r\nHost: evil.test\r\n\r\n");
	expect_error(&f, c, 403, "Forbidden",
		     "paude: access to evil.test denied: evil.test is not in the allowlist.\n"
		     "To allow it: paude run --allowed-domains evil.test\n");
	expect_no_accept(f.origin);
	/* the answered clients got EOF; the proxy lets them go even though
	 * they never close (after a short linger) */
	EXPECT_UINT(pd_proxy_connections(f.p), 2);
	expect_conns(&f, 0);
	fx_fini(&f);
}
END_TEST

START_TEST(test_deny_port)
{
	struct fx f;
	struct peer *c;
	char body[256];

	fx_default(&f, NULL);
	c = client(&f);
	peer_puts(c, connect_head("ok.test", 8080));
	snprintf(body, sizeof(body),
		 "paude: access to ok.test denied: port 8080 is not allowed for ok.test "
		 "(allowed: %u).\nTo allow it: paude run --allowed-domains ok.test:8080\n",
		 f.oport);
	expect_error(&f, c, 403, "Forbidden", body);
	expect_no_accept(f.origin);
	fx_fini(&f);
}
END_TEST

/* A fix hint of the caller's; IP literals; the pinned name to 127.0.0.1 is fine. */
START_TEST(test_deny_ip_literal)
{
	struct fx f;
	struct pd_proxy_opts o = { .fix_hint = "paude proxy --allowed-domains" };
	struct peer *c, *up;
	char req[256], body[512];

	fx_init(&f);
	fx_allow(&f, "ok.test:%u", f.oport);
	fx_allow(&f, "all");
	fx_pin(&f, "ok.test:127.0.0.1");
	fx_start(&f, &o);
	/* "all" never opens a special address */
	c = client(&f);
	peer_puts(c, connect_head("127.0.0.1", f.oport));
	snprintf(body, sizeof(body),
		 "paude: access to 127.0.0.1 denied: 127.0.0.1 is a loopback address.\n"
		 "To allow it: paude proxy --allowed-domains 127.0.0.1:%u\n",
		 f.oport);
	expect_error(&f, c, 403, "Forbidden", body);
	c = client(&f);
	snprintf(req, sizeof(req),
		 "GET http://127.0.0.1:%u/ HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", f.oport,
		 f.oport);
	peer_puts(c, req);
	snprintf(body, sizeof(body),
		 "paude: access to 127.0.0.1 denied: 127.0.0.1 is a loopback address.\n"
		 "To allow it: paude proxy --allowed-domains 127.0.0.1:%u\n",
		 f.oport);
	expect_error(&f, c, 403, "Forbidden", body);
	/* other spellings are the same address */
	c = client(&f);
	peer_puts(c, connect_head("2130706433", 443));
	expect_error(&f, c, 403, "Forbidden",
		     "paude: access to 2130706433 denied: 127.0.0.1 is a loopback address.\n"
		     "To allow it: paude proxy --allowed-domains 2130706433\n");
	c = client(&f);
	peer_puts(c, "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
	expect_error(&f, c, 403, "Forbidden",
		     "paude: access to ::1 denied: ::1 is a loopback address.\n"
		     "To allow it: paude proxy --allowed-domains [::1]\n");
	expect_no_accept(f.origin);
	/* while the name pinned to it is allowed */
	c = client(&f);
	peer_puts(c, connect_head("ok.test", f.oport));
	up = accept_origin(&f);
	RUN_UNTIL(&f, c->in_len >= strlen(ESTABLISHED), 3000);
	EXPECT_STR(c->in, ESTABLISHED);
	peer_close(up);
	fx_fini(&f);

	/* without "all": IP literals match only IP/CIDR entries */
	fx_default(&f, NULL);
	c = client(&f);
	peer_puts(c, connect_head("127.0.0.1", f.oport));
	snprintf(body, sizeof(body),
		 "paude: access to 127.0.0.1 denied: 127.0.0.1 is a loopback address.\n"
		 "To allow it: paude run --allowed-domains 127.0.0.1:%u\n",
		 f.oport);
	expect_error(&f, c, 403, "Forbidden", body);
	c = client(&f);
	peer_puts(c, connect_head("8.8.8.8", 443));
	expect_error(&f, c, 403, "Forbidden",
		     "paude: access to 8.8.8.8 denied: 8.8.8.8 is not in the allowlist (IP "
		     "literals match only IP/CIDR entries).\n"
		     "To allow it: paude run --allowed-domains 8.8.8.8\n");
	fx_fini(&f);
}
END_TEST

/* An allowed name that is not pinned resolves on the host: here it cannot. */
START_TEST(test_resolve_fails)
{
	struct fx f;
	struct peer *c;
	char body[256], req[256];

	fx_init(&f);
	fx_allow(&f, "nx.test:%u", f.oport);
	fx_allow(&f, "slow.test:%u", f.oport);
	fx_start(&f, NULL);
	/* NXDOMAIN: 502 */
	c = client(&f);
	peer_puts(c, connect_head("nx.test", f.oport));
	snprintf(body, sizeof(body),
		 "paude: nx.test:%u could not be reached: name does not resolve\n", f.oport);
	expect_error(&f, c, 502, "Bad Gateway", body);
	ck_assert_msg(f.dns_queries >= 1, "no DNS query was made");
	c = client(&f);
	snprintf(req, sizeof(req), "GET http://nx.test:%u/ HTTP/1.1\r\nHost: nx.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	expect_error(&f, c, 502, "Bad Gateway", body);
	/* no answer at all: 504 */
	c = client(&f);
	peer_puts(c, connect_head("slow.test", f.oport));
	snprintf(body, sizeof(body), "paude: slow.test:%u could not be reached: DNS timed out\n",
		 f.oport);
	expect_error(&f, c, 504, "Gateway Timeout", body);
	expect_no_accept(f.origin);
	fx_fini(&f);
}
END_TEST

/* A name pinned to an address whose port has no listener. */
START_TEST(test_upstream_refused)
{
	struct fx f;
	struct peer *c;
	char body[256], req[256];
	uint16_t dead = closed_port(SOCK_STREAM);

	fx_init(&f);
	fx_allow(&f, "refused.test:%u", dead);
	fx_pin(&f, "refused.test:127.0.0.1");
	fx_start(&f, NULL);
	snprintf(body, sizeof(body),
		 "paude: refused.test:%u could not be reached: Connection refused\n", dead);
	c = client(&f);
	peer_puts(c, connect_head("refused.test", dead));
	expect_error(&f, c, 502, "Bad Gateway", body);
	c = client(&f);
	snprintf(req, sizeof(req),
		 "GET http://refused.test:%u/ HTTP/1.1\r\nHost: refused.test:%u\r\n\r\n", dead,
		 dead);
	peer_puts(c, req);
	expect_error(&f, c, 502, "Bad Gateway", body);
	fx_fini(&f);
}
END_TEST

/*
 * A connect that is never answered: a listener with a full accept queue
 * (backlog 0, one connection waiting) drops further SYNs, so the proxy's
 * connect hangs until connect_timeout_ms.
 */
START_TEST(test_connect_timeout)
{
	struct pd_proxy_opts po = { .connect_timeout_ms = 300 };
	struct fx f;
	struct peer *c, *filler;
	char body[256];
	uint16_t hole;
	uint64_t t0;
	int lfd;

	fx_init(&f);
	lfd = tcp_listen("127.0.0.1", 0, 0, &hole);
	ck_assert(lfd >= 0);
	track_fd(&f, lfd);
	filler = connect_to(&f, "127.0.0.1", hole, "filler");
	peer_puts(filler, "x"); /* sent once the handshake is done */
	RUN_UNTIL(&f, filler->out_off == 1, 3000);
	fx_allow(&f, "hole.test:%u", hole);
	fx_pin(&f, "hole.test:127.0.0.1");
	fx_start(&f, &po);
	c = client(&f);
	t0 = now_ms();
	peer_puts(c, connect_head("hole.test", hole));
	snprintf(body, sizeof(body),
		 "paude: hole.test:%u could not be reached: connection timed out\n", hole);
	expect_error(&f, c, 504, "Gateway Timeout", body);
	ck_assert_msg(now_ms() - t0 >= 300, "504 after %llu ms, before the 300 ms timeout",
		      (unsigned long long)(now_ms() - t0));
	fx_fini(&f);
}
END_TEST

/* ---- the request head ---- */

static void expect_bad(struct fx *f, const char *req, size_t len, int status, const char *phrase,
		       const char *body)
{
	struct peer *c = client(f);

	peer_send(c, req, len);
	expect_error(f, c, status, phrase, body);
	peer_close(c);
}

START_TEST(test_parse_errors)
{
	struct fx f;
	char *big = malloc(20000);
	size_t n;

	ck_assert(big != NULL);
	fx_default(&f, NULL);
#define BAD(req, st, ph, body) expect_bad(&f, req, strlen(req), st, ph, body)
	BAD("GET http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\nBad Header: x\r\n\r\n", 400,
	    "Bad Request", "paude: bad request: whitespace in header field name\n");
	BAD("G\x01T http://ok.test/ HTTP/1.1\r\n", 400, "Bad Request",
	    "paude: bad request: invalid character in method\n");
	BAD("ABCDEFGHIJKLMNOPQ http://ok.test/ HTTP/1.1\r\n\r\n", 501, "Not Implemented",
	    "paude: bad request: method too long\n");
	BAD("POST http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\nTransfer-Encoding: gzip\r\n\r\n",
	    501, "Not Implemented", "paude: bad request: unsupported transfer coding\n");
	BAD("GET http://ok.test/ HTTP/2.0\r\n\r\n", 505, "HTTP Version Not Supported",
	    "paude: bad request: unsupported HTTP version\n");
	/* origin-form is for servers, not proxies */
	BAD("GET / HTTP/1.1\r\nHost: ok.test\r\n\r\n", 400, "Bad Request",
	    "paude: this is a proxy: use an absolute URI or CONNECT\n");
#undef BAD
	/* a request line over 8 KiB */
	memcpy(big, "GET http://ok.test/", 19);
	memset(big + 19, 'a', 9000);
	expect_bad(&f, big, 9019, 414, "URI Too Long",
		   "paude: bad request: request line too long\n");
	/* 101 header fields */
	n = (size_t)snprintf(big, 20000, "GET http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\n");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(big + n, 20000 - n, "X-%d: v\r\n", i);
	n += (size_t)snprintf(big + n, 20000 - n, "\r\n");
	expect_bad(&f, big, n, 431, "Request Header Fields Too Large",
		   "paude: bad request: too many header fields\n");
	/* a head over 16 KiB */
	n = (size_t)snprintf(big, 20000, "GET http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\n");
	for (int i = 0; i < 20; i++) {
		n += (size_t)snprintf(big + n, 20000 - n, "X-%d: ", i);
		memset(big + n, 'v', 900);
		n += 900;
		n += (size_t)snprintf(big + n, 20000 - n, "\r\n");
	}
	expect_bad(&f, big, n, 431, "Request Header Fields Too Large",
		   "paude: bad request: request head too large\n");
	expect_no_accept(f.origin);
	expect_conns(&f, 0);
	free(big);
	fx_fini(&f);
}
END_TEST

START_TEST(test_head_timeout)
{
	struct pd_proxy_opts po = { .head_timeout_ms = 300 };
	struct fx f;
	struct peer *c, *silent;
	uint64_t t0;
	cJSON *l[4];
	int n;

	fx_init(&f);
	fx_allow(&f, "ok.test:%u", f.oport);
	fx_pin(&f, "ok.test:127.0.0.1");
	fx_audit(&f);
	fx_start(&f, &po);
	t0 = now_ms();
	c = client(&f);
	silent = client(&f);
	peer_puts(c, "GET http://ok.test/ HTTP/1.1\r\nHost: ok");
	expect_error(&f, c, 408, "Request Timeout", "paude: request timed out\n");
	ck_assert_msg(now_ms() - t0 >= 300, "408 after %llu ms",
		      (unsigned long long)(now_ms() - t0));
	/* one that sent nothing is closed without a word (and no audit line) */
	RUN_UNTIL(&f, peer_done(silent), 3000);
	EXPECT_UINT(silent->in_len, 0);
	peer_close(c);
	expect_conns(&f, 0);
	n = audit_lines(&f, l, 4);
	EXPECT_INT(n, 1);
	EXPECT_STR(jstr(l[0], "verdict"), "deny");
	EXPECT_STR(jstr(l[0], "reason"), "no complete request within 300 ms");
	free_lines(l, n);
	fx_fini(&f);
}
END_TEST

/* ---- the table ---- */

START_TEST(test_table_full)
{
	struct pd_proxy_opts po = { .max_conns = 2 };
	struct fx f;
	struct peer *a, *b, *c, *d, *o;

	fx_default(&f, &po);
	a = client(&f);
	b = client(&f);
	expect_conns(&f, 2);
	c = client(&f);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, 0);
	EXPECT_STR(c->in,
		   "HTTP/1.1 503 Service Unavailable\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 43\r\nConnection: close\r\n\r\n"
		   "paude: the proxy's connection table is full");
	EXPECT_UINT(pd_proxy_connections(f.p), 2);
	/* one leaves: the next is served */
	peer_close(a);
	expect_conns(&f, 1);
	d = client(&f);
	peer_puts(d, connect_head("ok.test", f.oport));
	o = accept_origin(&f);
	RUN_UNTIL(&f, d->in_len >= strlen(ESTABLISHED), 3000);
	EXPECT_STR(d->in, ESTABLISHED);
	EXPECT_UINT(pd_proxy_connections(f.p), 2);
	peer_puts(o, "hi");
	RUN_UNTIL(&f, d->in_len >= strlen(ESTABLISHED) + 2, 3000);
	EXPECT_STR(d->in, ESTABLISHED "hi");
	/* full again: one that sent its request at once still reads the
	 * 503 (then EOF, or a reset for the request left unread) */
	c = client(&f);
	peer_puts(c, connect_head("ok.test", f.oport));
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_STR(c->in,
		   "HTTP/1.1 503 Service Unavailable\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 43\r\nConnection: close\r\n\r\n"
		   "paude: the proxy's connection table is full");
	ck_assert_msg(c->eof || c->err == ECONNRESET, "errno %d", c->err);
	(void)b;
	fx_fini(&f);
}
END_TEST

/* At most PD_PROXY_MAX_LISTENERS listeners; a refused one's fd is closed too. */
START_TEST(test_listener_limit)
{
	struct pd_error err = { 0 };
	struct fx f;
	uint16_t port;
	int fd = -1;

	fx_default(&f, NULL); /* one listener */
	for (int i = 1; i < 32; i++) {
		fd = tcp_listen("127.0.0.1", 0, 4, &port);
		ck_assert(fd >= 0);
		ck_assert_msg(pd_proxy_listen(f.p, fd, i % 2, port, &err) == 0, "listener %d: %s",
			      i + 1, err.msg);
	}
	fd = tcp_listen("127.0.0.1", 0, 4, &port);
	ck_assert(fd >= 0);
	EXPECT_INT(pd_proxy_listen(f.p, fd, false, 0, &err), -1);
	EXPECT_INT(err.code, ENOSPC);
	EXPECT_INT(fcntl(fd, F_GETFD), -1); /* closed */
	/* the first still serves */
	{
		struct peer *c = client(&f), *o;

		peer_puts(c, connect_head("ok.test", f.oport));
		o = accept_origin(&f);
		RUN_UNTIL(&f, c->in_len >= strlen(ESTABLISHED), 3000);
		(void)o;
	}
	fx_fini(&f);
}
END_TEST

/*
 * The kernel's soft RLIMIT_NOFILE of this process, read from @limits_fd
 * (/proc/self/limits, opened beforehand: no fd may be needed), or -1.
 */
static long kernel_nofile(int limits_fd)
{
	char buf[4096];
	ssize_t n = pread(limits_fd, buf, sizeof(buf) - 1, 0);
	long v = -1;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (char *l = buf; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (sscanf(l, "Max open files %ld", &v) == 1)
			break;
	return v;
}

/*
 * Out of fds: the listener pauses (no wake-up per pending connection) and
 * takes them once fds are back (the sweep retries it).
 */
START_TEST(test_out_of_fds)
{
	struct pd_error err = { 0 };
	struct rlimit old, low;
	struct fx f;
	struct peer *c[3];
	int wakeups = 0, fd, limits;
	uint64_t end;

	fx_default(&f, NULL);
	for (int i = 0; i < 3; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ck_assert(fd >= 0);
		c[i] = peer_new(&f, fd, "client");
	}
	ck_assert(getrlimit(RLIMIT_NOFILE, &old) == 0);
	limits = open("/proc/self/limits", O_RDONLY | O_CLOEXEC);
	ck_assert(limits >= 0);
	/* the lowest free fd number: no new fd from now on (all below are taken) */
	fd = fcntl(0, F_DUPFD_CLOEXEC, 0);
	ck_assert(fd >= 0);
	close(fd);
	low = old;
	low.rlim_cur = (rlim_t)fd;
	ck_assert(setrlimit(RLIMIT_NOFILE, &low) == 0);
	if (kernel_nofile(limits) != (long)fd) {
		/* valgrind keeps the limit to itself (and closes what accept4
		 * returns above it): nothing to see here */
		setrlimit(RLIMIT_NOFILE, &old);
		fprintf(stderr, "note: %s: RLIMIT_NOFILE is emulated here: left out\n",
			tcase_name());
		close(limits);
		fx_fini(&f);
		return;
	}
	for (int i = 0; i < 3; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(f.port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		ck_assert(connect(c[i]->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
			  errno == EINPROGRESS);
	}
	end = now_ms() + 600;
	while (now_ms() < end) {
		int r = pd_loop_run_once(f.loop, 50, &err);

		ck_assert_msg(r >= 0, "pd_loop_run_once: %s", err.msg);
		wakeups += r > 0;
	}
	setrlimit(RLIMIT_NOFILE, &old);
	close(limits);
	ck_assert_msg(wakeups <= 4, "%d wake-ups in 600 ms without fds", wakeups);
	EXPECT_UINT(pd_proxy_connections(f.p), 0);
	/* fds again: all three are served */
	expect_conns(&f, 3);
	for (int i = 0; i < 3; i++)
		peer_puts(c[i], connect_head("ok.test", f.oport));
	for (int i = 0; i < 3; i++)
		accept_origin(&f);
	for (int i = 0; i < 3; i++) {
		RUN_UNTIL(&f, c[i]->in_len >= strlen(ESTABLISHED), 3000);
		EXPECT_STR(c[i]->in, ESTABLISHED);
	}
	fx_fini(&f);
}
END_TEST

START_TEST(test_idle_timeout)
{
	struct pd_proxy_opts po = { .idle_timeout_ms = 300 };
	struct fx f;
	struct peer *c, *o;
	uint64_t t0;
	cJSON *l[4];
	int n;

	fx_init(&f);
	fx_allow(&f, "ok.test:%u", f.oport);
	fx_pin(&f, "ok.test:127.0.0.1");
	fx_audit(&f);
	fx_start(&f, &po);
	open_tunnel(&f, &c, &o);
	peer_puts(c, "x");
	RUN_UNTIL(&f, o->in_len == 1, 3000);
	t0 = now_ms();
	RUN_UNTIL(&f, peer_done(c) && peer_done(o), 5000);
	ck_assert_msg(now_ms() - t0 >= 300, "closed after %llu ms idle",
		      (unsigned long long)(now_ms() - t0));
	EXPECT_UINT(c->in_len, 0);
	EXPECT_UINT(pd_proxy_connections(f.p), 0);
	n = audit_lines(&f, l, 4);
	EXPECT_INT(n, 1);
	EXPECT_STR(jstr(l[0], "verdict"), "allow");
	EXPECT_STR(jstr(l[0], "reason"), "idle for 300 ms");
	EXPECT_INT(jnum(l[0], "bytes_up"), 1);
	free_lines(l, n);
	fx_fini(&f);
}
END_TEST

/* ---- policy and summary ---- */

START_TEST(test_policy_swap)
{
	struct fx f;
	struct peer *c, *o, *c2, *o2;
	struct pd_policy *np;
	char e[64], body[512];
	const char *ents[] = { e };
	cJSON *l[8];
	int n;

	fx_init(&f);
	fx_allow(&f, "ok.test:%u", f.oport);
	fx_pin(&f, "ok.test:127.0.0.1");
	fx_pin(&f, "other.test:127.0.0.1");
	fx_audit(&f);
	fx_start(&f, NULL);
	open_tunnel(&f, &c, &o);
	snprintf(e, sizeof(e), "other.test:%u", f.oport);
	np = policy_of(ents, 1);
	pd_proxy_set_policy(f.p, np);
	ck_assert(pd_proxy_policy(f.p) == np);
	pd_policy_unref(np);
	/* the fixture's reference to the old one goes too: the tunnel holds it */
	pd_policy_unref(f.pol);
	f.pol = NULL;
	/* new connections follow the new policy */
	c2 = client(&f);
	peer_puts(c2, connect_head("ok.test", f.oport));
	snprintf(body, sizeof(body),
		 "paude: access to ok.test denied: ok.test is not in the allowlist.\n"
		 "To allow it: paude run --allowed-domains ok.test:%u\n",
		 f.oport);
	expect_error(&f, c2, 403, "Forbidden", body);
	c2 = client(&f);
	peer_puts(c2, connect_head("other.test", f.oport));
	o2 = accept_origin(&f);
	RUN_UNTIL(&f, c2->in_len >= strlen(ESTABLISHED), 3000);
	EXPECT_STR(c2->in, ESTABLISHED);
	peer_close(c2);
	peer_close(o2);
	/* the open tunnel keeps working */
	peer_puts(c, "still");
	peer_puts(o, "here");
	RUN_UNTIL(&f, c->in_len >= 4 && o->in_len >= 5, 3000);
	EXPECT_STR(c->in, "here");
	EXPECT_STR(o->in, "still");
	peer_close(c);
	peer_close(o);
	expect_conns(&f, 0);
	/* its audit line names the rule of the policy it started with */
	n = audit_lines(&f, l, 8);
	EXPECT_INT(n, 3);
	EXPECT_STR(jstr(l[0], "host"), "ok.test");
	EXPECT_STR(jstr(l[0], "verdict"), "deny");
	EXPECT_STR(jstr(l[1], "host"), "other.test");
	EXPECT_STR(jstr(l[1], "rule"), e);
	EXPECT_STR(jstr(l[2], "host"), "ok.test");
	EXPECT_STR(jstr(l[2], "verdict"), "allow");
	{
		char want[64];

		snprintf(want, sizeof(want), "ok.test:%u", f.oport);
		EXPECT_STR(jstr(l[2], "rule"), want);
	}
	EXPECT_INT(jnum(l[2], "bytes_up"), 5);
	EXPECT_INT(jnum(l[2], "bytes_down"), 4);
	free_lines(l, n);
	fx_fini(&f);
}
END_TEST

START_TEST(test_denials)
{
	struct fx f;
	struct peer *c;
	char sum[256];

	fx_default(&f, NULL);
	sum[0] = 'x';
	EXPECT_UINT(pd_proxy_denials(f.p, sum, sizeof(sum)), 0);
	EXPECT_STR(sum, "");
	c = client(&f);
	peer_puts(c, connect_head("a.test", 443));
	RUN_UNTIL(&f, peer_done(c), 3000);
	c = client(&f);
	peer_puts(c, "GET http://b.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n");
	RUN_UNTIL(&f, peer_done(c), 3000);
	c = client(&f);
	peer_puts(c, connect_head("A.TEST", 443));
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_UINT(pd_proxy_denials(f.p, sum, sizeof(sum)), 3);
	EXPECT_STR(sum,
		   "3 requests denied (a.test \xc3\x97"
		   "2, b.test)");
	/* one denial: no plural */
	fx_fini(&f);
	fx_default(&f, NULL);
	pd_proxy_note_denial(f.p, "x.test");
	EXPECT_UINT(pd_proxy_denials(f.p, sum, sizeof(sum)), 1);
	EXPECT_STR(sum, "1 request denied (x.test)");
	/* six hosts are named, the rest counted */
	for (int i = 2; i <= 8; i++) {
		char h[32];

		snprintf(h, sizeof(h), "h%d.test", i);
		pd_proxy_note_denial(f.p, h);
	}
	pd_proxy_note_denial(f.p, "h8.test");
	pd_proxy_note_denial(f.p, "x.test");
	EXPECT_UINT(pd_proxy_denials(f.p, sum, sizeof(sum)), 10);
	EXPECT_STR(sum,
		   "10 requests denied (x.test \xc3\x97"
		   "2, h2.test, h3.test, h4.test, h5.test, h6.test, 3 more)");
	/* a short buffer is cut, still NUL-terminated */
	EXPECT_UINT(pd_proxy_denials(f.p, sum, 12), 10);
	EXPECT_STR(sum, "10 requests");
	fx_fini(&f);

	/* a name longer than the tally keeps is still one host, counted twice */
	fx_default(&f, NULL);
	{
		char longname[128], want[256];

		memset(longname, 'a', 100);
		memcpy(longname + 100, ".evil.test", 11);
		for (int i = 0; i < 3; i++) {
			c = client(&f);
			peer_puts(c, connect_head(longname, 443));
			RUN_UNTIL(&f, peer_done(c), 3000);
			peer_close(c);
		}
		pd_proxy_note_denial(f.p, "b.test");
		EXPECT_UINT(pd_proxy_denials(f.p, sum, sizeof(sum)), 4);
		snprintf(want, sizeof(want), "4 requests denied (%.63s \xc3\x97%d, b.test)",
			 longname, 3);
		EXPECT_STR(sum, want);
	}
	fx_fini(&f);
}
END_TEST

/* ---- audit ---- */

START_TEST(test_audit)
{
	struct fx f;
	struct peer *c, *o;
	char req[256], rule[64];
	cJSON *l[8];
	size_t head_len;
	int n;

	fx_init(&f);
	fx_allow(&f, "ok.test:%u", f.oport);
	fx_pin(&f, "ok.test:127.0.0.1");
	fx_audit(&f);
	fx_start(&f, NULL);
	snprintf(rule, sizeof(rule), "ok.test:%u", f.oport);
	/* 1: a denial */
	c = client(&f);
	peer_puts(c, connect_head("evil.test", 443));
	RUN_UNTIL(&f, peer_done(c), 3000);
	peer_close(c);
	/* 2: a tunnel, 3 bytes up and 4 down */
	open_tunnel(&f, &c, &o);
	peer_puts(c, "abc");
	peer_puts(o, "defg");
	RUN_UNTIL(&f, c->in_len == 4 && o->in_len == 3, 3000);
	peer_close(c);
	RUN_UNTIL(&f, peer_done(o), 3000);
	peer_close(o);
	expect_conns(&f, 0);
	/* 3: a plain request */
	c = client(&f);
	snprintf(req, sizeof(req), "GET http://ok.test:%u/a HTTP/1.1\r\nHost: ok.test:%u\r\n\r\n",
		 f.oport, f.oport);
	peer_puts(c, req);
	o = accept_origin(&f);
	/* a client that keeps its connection: upstream is asked to keep its own */
	head_len =
		strlen(req) - strlen("http://ok.test:") - (size_t)snprintf(NULL, 0, "%u", f.oport);
	RUN_UNTIL(&f, o->in_len == head_len, 3000);
	peer_puts(o, "HTTP/1.1 200 OK\r\n\r\n!");
	peer_shut(o);
	RUN_UNTIL(&f, peer_done(c), 3000);
	peer_close(c);
	/* 4: a request that never parsed */
	c = client(&f);
	peer_puts(c, "BAD\x01 / HTTP/1.1\r\n\r\n");
	RUN_UNTIL(&f, peer_done(c), 3000);
	peer_close(c);
	expect_conns(&f, 0);

	n = audit_lines(&f, l, 8);
	EXPECT_INT(n, 4);
	for (int i = 0; i < n; i++) {
		EXPECT_STR(jstr(l[i], "sandbox"), "sbx");
		ck_assert_msg(strlen(jstr(l[i], "time")) == 24, "time %s", jstr(l[i], "time"));
		ck_assert(jnum(l[i], "duration_ms") >= 0);
	}
	EXPECT_STR(jstr(l[0], "kind"), "connect");
	EXPECT_STR(jstr(l[0], "method"), "CONNECT");
	EXPECT_STR(jstr(l[0], "host"), "evil.test");
	EXPECT_INT(jnum(l[0], "port"), 443);
	EXPECT_STR(jstr(l[0], "addr"), NULL);
	EXPECT_STR(jstr(l[0], "rule"), NULL);
	EXPECT_STR(jstr(l[0], "verdict"), "deny");
	EXPECT_STR(jstr(l[0], "reason"), "evil.test is not in the allowlist");
	EXPECT_INT(jnum(l[0], "bytes_up"), 0);
	EXPECT_INT(jnum(l[0], "bytes_down"), 0);

	EXPECT_STR(jstr(l[1], "kind"), "connect");
	EXPECT_STR(jstr(l[1], "method"), "CONNECT");
	EXPECT_STR(jstr(l[1], "host"), "ok.test");
	EXPECT_INT(jnum(l[1], "port"), f.oport);
	EXPECT_STR(jstr(l[1], "addr"), "127.0.0.1");
	EXPECT_STR(jstr(l[1], "rule"), rule);
	EXPECT_STR(jstr(l[1], "verdict"), "allow");
	EXPECT_STR(jstr(l[1], "reason"), NULL);
	EXPECT_INT(jnum(l[1], "bytes_up"), 3);
	EXPECT_INT(jnum(l[1], "bytes_down"), 4);

	EXPECT_STR(jstr(l[2], "kind"), "http");
	EXPECT_STR(jstr(l[2], "method"), "GET");
	EXPECT_STR(jstr(l[2], "host"), "ok.test");
	EXPECT_INT(jnum(l[2], "port"), f.oport);
	EXPECT_STR(jstr(l[2], "addr"), "127.0.0.1");
	EXPECT_STR(jstr(l[2], "rule"), rule);
	EXPECT_STR(jstr(l[2], "verdict"), "allow");
	EXPECT_STR(jstr(l[2], "reason"), NULL);
	EXPECT_INT(jnum(l[2], "bytes_up"), head_len);
	/* what the client got: the head with "Connection: close" (the body
	 * ends at close), then the body */
	EXPECT_INT(jnum(l[2], "bytes_down"), 39);

	EXPECT_STR(jstr(l[3], "host"), NULL);
	EXPECT_STR(jstr(l[3], "verdict"), "deny");
	EXPECT_STR(jstr(l[3], "reason"), "invalid character in method");
	free_lines(l, n);
	fx_fini(&f);
}
END_TEST

/* ---- the transparent path ---- */

static struct in_addr synth_map(struct fx *f, const char *name)
{
	struct in_addr a;

	ck_assert(pd_synth_addr(f->synth, name, &a) == 0);
	return a;
}

static void fx_synth(struct fx *f)
{
	struct in_addr base;

	inet_pton(AF_INET, "127.0.0.0", &base);
	f->synth = pd_synth_new(base, 24, 16);
	ck_assert(f->synth != NULL);
}

/* A port other than 80 and 443: the server may speak first; routed by the dialled name. */
START_TEST(test_transparent_server_first)
{
	struct fx f;
	struct peer *c, *o;
	uint16_t port;
	int lfd;
	cJSON *l[4];
	char rule[64];
	int n;

	fx_init(&f);
	fx_synth(&f);
	EXPECT_UINT(ntohl(synth_map(&f, "ok.test").s_addr), 0x7f000001); /* 127.0.0.1 */
	fx_pin(&f, "ok.test:127.0.0.200");
	fx_audit(&f);
	/* the policy names the listener's port, known only once it is bound:
	 * start with a stand-in and swap the real one in */
	fx_allow(&f, "stand-in.test");
	fx_start(&f, NULL);
	port = fx_transparent(&f, "127.0.0.1", 0);
	ck_assert(port != 0);
	lfd = tcp_listen("127.0.0.200", port, 16, &port);
	ck_assert_msg(lfd >= 0, "listen on 127.0.0.200:%u: errno %d", port, errno);
	track_fd(&f, lfd);
	snprintf(rule, sizeof(rule), "ok.test:%u", port);
	{
		const char *ents[] = { rule };
		struct pd_policy *np = policy_of(ents, 1);

		pd_proxy_set_policy(f.p, np);
		pd_policy_unref(np);
	}
	c = connect_to(&f, "127.0.0.1", port, "client");
	/* connected upstream at once, before the client said anything */
	o = accept_on(&f, lfd, "origin");
	peer_puts(o, "SSH-2.0-origin\r\n");
	RUN_UNTIL(&f, c->in_len >= 16, 3000);
	EXPECT_STR(c->in, "SSH-2.0-origin\r\n");
	peer_puts(c, "SSH-2.0-client\r\n");
	peer_shut(c);
	RUN_UNTIL(&f, peer_done(o), 3000);
	EXPECT_STR(o->in, "SSH-2.0-client\r\n");
	peer_shut(o);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, 0);
	EXPECT_STR(c->in, "SSH-2.0-origin\r\n");
	expect_conns(&f, 0);
	n = audit_lines(&f, l, 4);
	EXPECT_INT(n, 1);
	EXPECT_STR(jstr(l[0], "kind"), "transparent");
	EXPECT_STR(jstr(l[0], "method"), NULL);
	EXPECT_STR(jstr(l[0], "host"), "ok.test");
	EXPECT_INT(jnum(l[0], "port"), port);
	EXPECT_STR(jstr(l[0], "addr"), "127.0.0.200");
	EXPECT_STR(jstr(l[0], "rule"), rule);
	EXPECT_STR(jstr(l[0], "verdict"), "allow");
	EXPECT_INT(jnum(l[0], "bytes_up"), 16);
	EXPECT_INT(jnum(l[0], "bytes_down"), 16);
	free_lines(l, n);
	fx_fini(&f);
}
END_TEST

/* Denials on the transparent path are resets. */
START_TEST(test_transparent_denials)
{
	struct fx f;
	struct peer *c;
	uint16_t port;
	cJSON *l[8];
	char sum[256], why[128];
	int n;

	fx_init(&f);
	fx_synth(&f);
	synth_map(&f, "ok.test");   /* 127.0.0.1 */
	synth_map(&f, "evil.test"); /* 127.0.0.2: handed out, but not allowed */
	fx_allow(&f, "ok.test:%u", f.oport);
	fx_pin(&f, "ok.test:127.0.0.1");
	fx_audit(&f);
	fx_start(&f, NULL);
	port = fx_transparent(&f, "0.0.0.0", 0);
	ck_assert(port != 0);
	/* an address of the range DNS never gave out */
	c = connect_to(&f, "127.0.0.3", port, "unmapped");
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, ECONNRESET);
	/* the address of a name that is not allowed */
	c = connect_to(&f, "127.0.0.2", port, "evil");
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, ECONNRESET);
	/* an allowed name on a port it is not allowed on */
	c = connect_to(&f, "127.0.0.1", port, "ok");
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, ECONNRESET);
	/* outside the range: an IP literal, which no entry lists */
	c = connect_to(&f, "127.0.1.1", port, "outside");
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, ECONNRESET);
	expect_no_accept(f.origin);
	expect_conns(&f, 0);
	EXPECT_UINT(pd_proxy_denials(f.p, sum, sizeof(sum)), 4);
	EXPECT_STR(sum, "4 requests denied (127.0.0.3, evil.test, ok.test, 127.0.1.1)");
	n = audit_lines(&f, l, 8);
	EXPECT_INT(n, 4);
	for (int i = 0; i < n; i++) {
		EXPECT_STR(jstr(l[i], "kind"), "transparent");
		EXPECT_STR(jstr(l[i], "verdict"), "deny");
		EXPECT_INT(jnum(l[i], "port"), port);
	}
	EXPECT_STR(jstr(l[0], "host"), "127.0.0.3");
	EXPECT_STR(jstr(l[0], "reason"), "an address the sandbox's DNS never gave out");
	EXPECT_STR(jstr(l[1], "host"), "evil.test");
	EXPECT_STR(jstr(l[1], "reason"), "evil.test is not in the allowlist");
	snprintf(why, sizeof(why), "port %u is not allowed for ok.test (allowed: %u)", port,
		 f.oport);
	EXPECT_STR(jstr(l[2], "reason"), why);
	EXPECT_STR(jstr(l[3], "host"), "127.0.1.1");
	EXPECT_STR(jstr(l[3], "reason"), "127.0.1.1 is a loopback address");
	free_lines(l, n);
	fx_fini(&f);
}
END_TEST

/* Binds @ip:@port for a test that needs that port; false (and a note) when it cannot. */
static bool fx_transparent_fixed(struct fx *f, const char *ip, uint16_t port, int *origin)
{
	uint16_t got;

	if (!fx_transparent(f, ip, port)) {
		fprintf(stderr, "note: %s: %s:%u cannot be bound (errno %d): left out\n",
			tcase_name(), ip, port, errno);
		return false;
	}
	*origin = tcp_listen("127.0.0.200", port, 16, &got);
	if (*origin < 0) {
		fprintf(stderr, "note: %s: 127.0.0.200:%u cannot be bound (errno %d): left out\n",
			tcase_name(), port, errno);
		return false;
	}
	track_fd(f, *origin);
	return true;
}

/* Port 80: the Host header must name the name the dialled address stands for. */
START_TEST(test_transparent_http80)
{
	struct pd_proxy_opts po = { .head_timeout_ms = 300 };
	struct fx f;
	struct peer *c, *o;
	int lfd;
	static const char req[] = "GET /x HTTP/1.1\r\nHost: ok.test\r\nAccept: */*\r\n\r\nBODY?";

	fx_init(&f);
	fx_synth(&f);
	synth_map(&f, "ok.test"); /* 127.0.0.1 */
	fx_allow(&f, "ok.test");
	fx_allow(&f, "x.test");
	fx_pin(&f, "ok.test:127.0.0.200");
	fx_start(&f, &po);
	if (!fx_transparent_fixed(&f, "127.0.0.1", 80, &lfd)) {
		fx_fini(&f);
		return;
	}
	/* the head in two pieces: the first is not enough to decide */
	c = connect_to(&f, "127.0.0.1", 80, "client");
	peer_send(c, req, 20);
	run_for(&f, 50);
	expect_no_accept(lfd);
	peer_puts(c, req + 20);
	o = accept_on(&f, lfd, "origin");
	/* forwarded as it came: a tunnel, nothing rewritten */
	RUN_UNTIL(&f, o->in_len >= strlen(req), 3000);
	EXPECT_STR(o->in, req);
	peer_puts(o, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
	peer_shut(o);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_STR(c->in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
	peer_close(c);
	expect_conns(&f, 0);
	/* the same name in capitals: the same host */
	c = connect_to(&f, "127.0.0.1", 80, "client");
	peer_puts(c, "GET / HTTP/1.1\r\nHost: OK.Test\r\n\r\n");
	o = accept_on(&f, lfd, "origin");
	RUN_UNTIL(&f, o->in_len >= 33, 3000);
	EXPECT_STR(o->in, "GET / HTTP/1.1\r\nHost: OK.Test\r\n\r\n");
	peer_close(o);
	RUN_UNTIL(&f, peer_done(c), 3000);
	peer_close(c);
	expect_conns(&f, 0);
	/* another name at ok.test's address: refused with a 403 (it is HTTP) */
	c = connect_to(&f, "127.0.0.1", 80, "client");
	peer_puts(c, "GET / HTTP/1.1\r\nHost: x.test\r\n\r\n");
	expect_error(&f, c, 403, "Forbidden",
		     "paude: access to ok.test denied: it asked for x.test at the address of "
		     "ok.test.\nTo allow it: paude run --allowed-domains ok.test\n");
	expect_no_accept(lfd);
	/* a malformed head: the parser's status */
	c = connect_to(&f, "127.0.0.1", 80, "client");
	peer_puts(c, "GET / HTTP/1.1\r\nHost: ok.test\r\nBad Header: 1\r\n\r\n");
	expect_error(&f, c, 400, "Bad Request", "paude: bad request\n");
	/* a head that never ends: 408, as on the forward listener */
	c = connect_to(&f, "127.0.0.1", 80, "client");
	peer_puts(c, "GET / HTTP/1.1\r\nHost: ok");
	expect_error(&f, c, 408, "Request Timeout", "paude: request timed out\n");
	expect_no_accept(lfd);
	fx_fini(&f);
}
END_TEST

/* openssl s_client -servername x.example -tls1_2 (from test_tls_sni.c) */
static const uint8_t hello_x_example[] = {
	0x16, 0x03, 0x01, 0x00, 0xc9, 0x01, 0x00, 0x00, 0xc5, 0x03, 0x03, 0x4c, 0x1b, 0x89, 0x77,
	0x5a, 0xea, 0x52, 0x6c, 0xdd, 0x36, 0xb4, 0xd2, 0x24, 0x68, 0x81, 0xa4, 0xe6, 0xfd, 0x3a,
	0x46, 0x69, 0x55, 0xaf, 0x92, 0xaa, 0x5a, 0xba, 0x18, 0x6e, 0x6f, 0x61, 0x89, 0x00, 0x00,
	0x38, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b,
	0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00,
	0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d,
	0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00,
	0x64, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, 0x09, 0x78, 0x2e, 0x65, 0x78, 0x61,
	0x6d, 0x70, 0x6c, 0x65, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00,
	0x0c, 0x00, 0x0a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x00, 0x23,
	0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00,
	0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
	0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03,
	0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02,
};

/* Port 443: the ClientHello's SNI must name the name the dialled address stands for. */
START_TEST(test_transparent_tls443)
{
	struct pd_proxy_opts po = { .head_timeout_ms = 300 };
	struct fx f;
	struct peer *c, *o;
	int lfd;
	char sum[128];
	const size_t hl = sizeof(hello_x_example);

	fx_init(&f);
	fx_synth(&f);
	synth_map(&f, "x.example"); /* 127.0.0.1 */
	synth_map(&f, "ok.test");   /* 127.0.0.2 */
	fx_allow(&f, "x.example");
	fx_allow(&f, "ok.test");
	fx_pin(&f, "x.example:127.0.0.200");
	fx_start(&f, &po);
	if (!fx_transparent_fixed(&f, "127.0.0.1", 443, &lfd)) {
		fx_fini(&f);
		return;
	}
	ck_assert(fx_transparent(&f, "127.0.0.2", 443) == 443);
	/* the hello in two pieces; it goes on byte for byte */
	c = connect_to(&f, "127.0.0.1", 443, "client");
	peer_send(c, hello_x_example, 100);
	run_for(&f, 50);
	expect_no_accept(lfd);
	peer_send(c, hello_x_example + 100, hl - 100);
	o = accept_on(&f, lfd, "origin");
	RUN_UNTIL(&f, o->in_len >= hl, 3000);
	EXPECT_UINT(o->in_len, hl);
	ck_assert_msg(memcmp(o->in, hello_x_example, hl) == 0, "the ClientHello changed");
	peer_puts(o, "\x16\x03\x03 server hello");
	RUN_UNTIL(&f, c->in_len >= 16, 3000);
	EXPECT_STR(c->in, "\x16\x03\x03 server hello");
	peer_close(c);
	RUN_UNTIL(&f, peer_done(o), 3000);
	peer_close(o);
	expect_conns(&f, 0);
	/* x.example's hello at ok.test's address: a reset */
	c = connect_to(&f, "127.0.0.2", 443, "client");
	peer_send(c, hello_x_example, hl);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, ECONNRESET);
	expect_no_accept(lfd);
	EXPECT_UINT(pd_proxy_denials(f.p, sum, sizeof(sum)), 1);
	EXPECT_STR(sum, "1 request denied (ok.test)");
	/* a hello that never ends: a reset after the head timeout */
	c = connect_to(&f, "127.0.0.1", 443, "client");
	peer_send(c, hello_x_example, 50);
	RUN_UNTIL(&f, peer_done(c), 3000);
	EXPECT_INT(c->err, ECONNRESET);
	expect_no_accept(lfd);
	fx_fini(&f);
}
END_TEST

static Suite *proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_http_get);
	tcase_add_test(tc, test_http_content_length);
	tcase_add_test(tc, test_http_chunked);
	tcase_add_test(tc, test_http_chunked_malformed);
	tcase_add_test(tc, test_http10);
	tcase_add_test(tc, test_http_keepalive_pipelined);
	tcase_add_test(tc, test_http_upstream_reuse_rules);
	tcase_add_test(tc, test_http_upstream_reuse_retry);
	tcase_add_test(tc, test_http_upstream_pool);
	tcase_add_test(tc, test_http_response_framing);
	tcase_add_test(tc, test_http10_no_interim);
	tcase_add_test(tc, test_connect);
	tcase_add_test(tc, test_connect_half_close_client);
	tcase_add_test(tc, test_connect_half_close_origin);
	tcase_add_test(tc, test_connect_large);
	tcase_add_test(tc, test_http_large);
	tcase_add_test(tc, test_many_tunnels);
	tcase_add_test(tc, test_stalled_reader);
	tcase_add_test(tc, test_stalled_reader_small_pipes);
	tcase_add_test(tc, test_resolved_addresses);
	tcase_add_test(tc, test_free_busy);
	tcase_add_test(tc, test_deny_name);
	tcase_add_test(tc, test_deny_port);
	tcase_add_test(tc, test_deny_ip_literal);
	tcase_add_test(tc, test_resolve_fails);
	tcase_add_test(tc, test_upstream_refused);
	tcase_add_test(tc, test_connect_timeout);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_head_timeout);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_listener_limit);
	tcase_add_test(tc, test_out_of_fds);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_policy_swap);
	tcase_add_test(tc, test_denials);
	tcase_add_test(tc, test_audit);
	tcase_add_test(tc, test_transparent_server_first);
	tcase_add_test(tc, test_transparent_denials);
	tcase_add_test(tc, test_transparent_http80);
	tcase_add_test(tc, test_transparent_tls443);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(proxy_suite);
