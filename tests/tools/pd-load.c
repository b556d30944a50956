/* SPDX-License-Identifier: MIT */
/*
 * pd-load.c - the origin server and the load generator of the network bench
 * (bench/network.sh).  One file, libc only; every mode prints one
 * machine-readable line (KEY=VALUE words) on stdout, errors go to stderr.
 *
 * Origins (PORT [ADDR]: one epoll loop on 127.0.0.1, or on ADDR, an IPv4
 * address; PORT 0 picks a free port; the first line printed is
 * "listening ADDR:PORT"):
 *   serve-http PORT      HTTP/1.1, every request answered with a 1 KiB body;
 *                        keep-alive unless the request says "Connection:
 *                        close" (or is HTTP/1.0 without keep-alive), then the
 *                        server shuts its side down after the response
 *   serve-sink PORT      takes a "PDLOAD <bytes>\n" line, then reads and
 *                        drops that many bytes and answers "OK <bytes>\n"
 *   serve-source PORT    writes until the peer goes away
 *
 * Clients (--proxy HOST:PORT goes through a forward proxy; without it, or
 * with "--proxy none", straight to --target):
 *   tput --target T --bytes N --dir up|down
 *        one CONNECT tunnel to a sink (up) or a source (down), N bytes
 *   rps --target T --requests N --concurrency C
 *       --keepalive|--http-keepalive|--new-conn
 *        keep-alive: C tunnels opened first (not timed), then N GETs of the
 *        1 KiB resource spread over them, one at a time on each;
 *        http-keepalive: C plain connections to the proxy opened first (not
 *        timed), then N absolute-form GETs (HTTP/1.1, Host, no "Connection:
 *        close") spread over them, one at a time on each, every response
 *        read by its Content-Length; a connection the proxy ends (or any
 *        other failure on it) costs that request, counted as an error, and
 *        is opened again for the next one (timed from its connect), so a
 *        proxy without client keep-alive still gives a figure; with no
 *        proxy, origin-form GETs on C keep-alive connections to T;
 *        new-conn: every GET a new connection, as an absolute-form request
 *        through the proxy ("Connection: close"), C at a time;
 *        latency is from the request's first syscall (the connect, for
 *        new-conn and a re-opened http-keepalive connection) to the
 *        response's last byte
 *   idle --target T --tunnels N --hold SECONDS
 *        N tunnels, one request through each, then "idle ... ready" and
 *        they stay open (idle) for SECONDS or until a signal
 * Others:
 *   time-cmd [--runs N] [--warmup W] [--http-port P] [--timeout S] [--log F] -- CMD...
 *        runs CMD N times; per run the time to its exit and, with
 *        --http-port, the time until the first byte of the first request
 *        reached the origin this process serves on P (medians, p90)
 *   freeport             prints a free 127.0.0.1 TCP port
 *   wait-port HOST:PORT [SECONDS]
 *                        waits until HOST:PORT accepts a connection
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BODY_LEN 1024
#define BIG (256 * 1024)
#define MAX_EVENTS 256

/* ---- little helpers ---- */

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("pd-load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned long long num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		die("%s: \"%s\" is not a number", what, s);
	return v;
}

/* "127.0.0.1:80" or "localhost:80" */
static void parse_addr(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	size_t hl;
	unsigned long long port;

	if (!colon || (hl = (size_t)(colon - s)) == 0 || hl >= sizeof(host))
		die("\"%s\": expected IPV4:PORT", s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	port = num(colon + 1, "port");
	if (port > 65535)
		die("\"%s\": bad port", s);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		die("\"%s\": not an IPv4 address", host);
}

static void set_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
}

static int listen_on(struct in_addr addr, uint16_t port, uint16_t *bound)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr = addr };
	socklen_t sl = sizeof(sa);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind %s:%u: %s", inet_ntoa(addr), port, strerror(errno));
	if (listen(fd, 4096) < 0)
		die("listen: %s", strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		die("getsockname: %s", strerror(errno));
	*bound = ntohs(sa.sin_port);
	return fd;
}

/* A blocking connection (-1 and errno on failure). */
static int dial(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	set_nodelay(fd);
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The status code of a response head ("HTTP/1.x NNN ..."), or -1. */
static int status_of(const char *h, size_t n)
{
	if (n < 12 || strncmp(h, "HTTP/1.", 7) != 0 || h[8] != ' ')
		return -1;
	if (h[9] < '0' || h[9] > '9' || h[10] < '0' || h[10] > '9' || h[11] < '0' || h[11] > '9')
		return -1;
	return (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
}

/* Whether the header @name (lowercase, with the colon) of a head has @token in its value. */
static bool header_has(const char *h, size_t n, const char *name, const char *token)
{
	const char *p = h, *end = h + n;
	size_t nl = strlen(name), tl = strlen(token);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > nl && !strncasecmp(p, name, nl)) {
			for (const char *v = p + nl; v + tl <= eol; v++)
				if (!strncasecmp(v, token, tl))
					return true;
		}
		p = eol + 1;
	}
	return false;
}

/* Content-Length of a response head, or -1 when there is none. */
static long content_length(const char *h, size_t n)
{
	const char *p = h, *end = h + n;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > 15 && !strncasecmp(p, "content-length:", 15)) {
			const char *v = p + 15;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			if (v < eol && *v >= '0' && *v <= '9')
				return strtol(v, NULL, 10);
		}
		p = eol + 1;
	}
	return -1;
}

/*
 * To @target, through @proxy (NULL: directly).  A tunnel's "200" head is
 * read a byte at a time, so nothing after it is taken from the socket.
 */
static int open_tunnel(const struct sockaddr_in *proxy, const char *target,
		       const struct sockaddr_in *tsa)
{
	char req[512], head[4096];
	size_t hl = 0;
	int fd, st;

	if (!proxy)
		return dial(tsa);
	fd = dial(proxy);
	if (fd < 0)
		return -1;
	snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: pd-load\r\n\r\n",
		 target, target);
	if (send_all(fd, req, strlen(req)) < 0)
		goto fail;
	while (hl < 4 || memcmp(head + hl - 4, "\r\n\r\n", 4) != 0) {
		ssize_t n;

		if (hl == sizeof(head) - 1) {
			errno = EPROTO;
			goto fail;
		}
		n = recv(fd, head + hl, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n < 0 ? errno : ECONNRESET;
			goto fail;
		}
		hl++;
	}
	head[hl] = '\0';
	st = status_of(head, hl);
	if (st != 200) {
		char *eol = strstr(head, "\r\n");

		if (eol)
			*eol = '\0';
		fprintf(stderr, "pd-load: CONNECT %s: \"%s\"\n", target, head);
		errno = EPROTO;
		goto fail;
	}
	return fd;
fail : {
	int e = errno;

	close(fd);
	errno = e;
	return -1;
}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @v. */
static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)((p / 100.0) * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/* ---- the origin ---- */

enum tag { T_LISTEN, T_CONN, T_CHILD };
enum skind { S_HTTP, S_SINK, S_SOURCE };

struct listener {
	enum tag tag; /* first: what epoll's pointer is */
	int fd;
	enum skind kind;
};

struct sconn {
	enum tag tag;
	int fd;
	enum skind kind;
	bool closing; /* the last response said close: shut down once it is out */
	bool shut;
	size_t inlen, outoff, outlen;
	unsigned long long bytes, expect;
	char in[8192];
	char out[16384];
};

static int ep = -1;
static char big[BIG];
static char resp_ka[512 + BODY_LEN], resp_close[512 + BODY_LEN];
static size_t resp_ka_len, resp_close_len;
/* time-cmd: when the first byte of a request arrived (0: none yet) */
static uint64_t first_req_ns;

static void make_responses(void)
{
	int n;

	memset(big, 'x', sizeof(big));
	n = snprintf(resp_ka, sizeof(resp_ka),
		     "HTTP/1.1 200 OK\r\nServer: pd-load\r\n"
		     "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
		     BODY_LEN);
	memset(resp_ka + n, 'x', BODY_LEN);
	resp_ka_len = (size_t)n + BODY_LEN;
	n = snprintf(resp_close, sizeof(resp_close),
		     "HTTP/1.1 200 OK\r\nServer: pd-load\r\n"
		     "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n"
		     "Connection: close\r\n\r\n",
		     BODY_LEN);
	memset(resp_close + n, 'x', BODY_LEN);
	resp_close_len = (size_t)n + BODY_LEN;
}

static void ep_add(int fd, uint32_t events, void *ptr)
{
	struct epoll_event e = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0)
		die("epoll_ctl: %s", strerror(errno));
}

static void ep_mod(int fd, uint32_t events, void *ptr)
{
	struct epoll_event e = { .events = events, .data.ptr = ptr };

	(void)epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static void sconn_close(struct sconn *c)
{
	close(c->fd); /* also leaves the epoll set */
	free(c);
}

/* Sends what is queued; 0 all out, 1 some left, -1 error. */
static int sconn_flush(struct sconn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : -1;
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

/* Answers every complete request head in the input; false if @c is gone. */
static bool http_process(struct sconn *c)
{
	char *end;

	while (!c->closing && (end = memmem(c->in, c->inlen, "\r\n\r\n", 4)) != NULL) {
		size_t hl = (size_t)(end - c->in) + 4;
		const char *eol = memchr(c->in, '\n', hl);
		bool v10 = eol && eol - c->in >= 9 && !memcmp(eol - 9, "HTTP/1.0", 8);
		bool close_it = header_has(c->in, hl, "connection:", "close") ||
				(v10 && !header_has(c->in, hl, "connection:", "keep-alive"));
		const char *r = close_it ? resp_close : resp_ka;
		size_t rl = close_it ? resp_close_len : resp_ka_len;

		if (c->outlen + rl > sizeof(c->out))
			break; /* room first: the rest waits for EPOLLOUT */
		memcpy(c->out + c->outlen, r, rl);
		c->outlen += rl;
		c->closing = close_it;
		memmove(c->in, c->in + hl, c->inlen - hl);
		c->inlen -= hl;
	}
	switch (sconn_flush(c)) {
	case -1:
		sconn_close(c);
		return false;
	case 1:
		ep_mod(c->fd, EPOLLOUT, c);
		return true;
	default:
		break;
	}
	if (c->closing && !c->shut) {
		/* then wait for the peer's end, so TIME_WAIT stays here */
		(void)shutdown(c->fd, SHUT_WR);
		c->shut = true;
	}
	ep_mod(c->fd, EPOLLIN, c);
	return true;
}

static void http_event(struct sconn *c, uint32_t events)
{
	if (events & EPOLLOUT) {
		if (!http_process(c))
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n;

		if (c->inlen == sizeof(c->in)) {
			if (c->closing) {
				c->inlen = 0; /* nothing more is answered */
			} else {
				fprintf(stderr, "pd-load: a request head over %zu bytes\n",
					sizeof(c->in));
				sconn_close(c);
				return;
			}
		}
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			sconn_close(c);
			return;
		}
		if (!first_req_ns)
			first_req_ns = now_ns();
		c->inlen += (size_t)n;
		if (c->outlen) /* still sending: answer the rest when that is out */
			return;
		(void)http_process(c);
	}
}

static void sink_event(struct sconn *c, uint32_t events)
{
	(void)events;
	for (int i = 0; i < 16; i++) {
		ssize_t n;

		if (!c->expect) { /* the "PDLOAD <bytes>" line first */
			char *nl;

			if (c->inlen == sizeof(c->in) - 1) {
				sconn_close(c);
				return;
			}
			n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen,
				 MSG_DONTWAIT);
			if (n > 0) {
				c->inlen += (size_t)n;
				c->in[c->inlen] = '\0';
				nl = strchr(c->in, '\n');
				if (!nl)
					continue;
				if (sscanf(c->in, "PDLOAD %llu", &c->expect) != 1 || !c->expect) {
					sconn_close(c);
					return;
				}
				c->bytes = c->inlen - (size_t)(nl + 1 - c->in);
				c->inlen = 0;
				goto counted;
			}
		} else {
			n = recv(c->fd, big, sizeof(big), MSG_DONTWAIT);
			if (n > 0)
				c->bytes += (unsigned long long)n;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			sconn_close(c);
			return;
		}
counted:
		if (c->expect && c->bytes >= c->expect && !c->shut) {
			/* all in: say so (no half-close needed: squid and
			 * tinyproxy end a tunnel at the client's EOF) */
			char msg[64];
			int l = snprintf(msg, sizeof(msg), "OK %llu\n", c->bytes);

			(void)send(c->fd, msg, (size_t)l, MSG_NOSIGNAL | MSG_DONTWAIT);
			c->shut = true;
		}
	}
}

static void source_event(struct sconn *c, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		char tmp[512];
		ssize_t n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			sconn_close(c);
			return;
		}
	}
	if (events & EPOLLOUT) {
		for (int i = 0; i < 16; i++) {
			ssize_t n = send(c->fd, big, sizeof(big), MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n < 0) {
				sconn_close(c);
				return;
			}
		}
	}
}

static void accept_some(struct listener *l)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct sconn *c;

		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->tag = T_CONN;
		c->fd = fd;
		c->kind = l->kind;
		set_nodelay(fd);
		ep_add(fd, l->kind == S_SOURCE ? EPOLLIN | EPOLLOUT : EPOLLIN, c);
	}
}

static void server_event(void *ptr, uint32_t events)
{
	enum tag t = *(enum tag *)ptr;
	struct sconn *c = ptr;

	switch (t) {
	case T_LISTEN:
		accept_some(ptr);
		return;
	case T_CONN:
		break;
	case T_CHILD:
	default:
		return;
	}
	switch (c->kind) {
	case S_HTTP:
		http_event(c, events);
		break;
	case S_SINK:
		sink_event(c, events);
		break;
	case S_SOURCE:
		source_event(c, events);
		break;
	default:
		break;
	}
}

static struct listener *serve_setup(const char *port_s, const char *addr_s, enum skind kind)
{
	struct in_addr addr = { .s_addr = htonl(INADDR_LOOPBACK) };
	static struct listener ls[4];
	static int nls;
	struct listener *l;
	uint16_t bound;
	unsigned long long port = num(port_s, "port");

	if (port > 65535)
		die("bad port %llu", port);
	if (addr_s && inet_pton(AF_INET, addr_s, &addr) != 1)
		die("bad IPv4 address %s", addr_s);
	if (nls == 4)
		die("too many listeners");
	if (ep < 0 && (ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	make_responses();
	l = &ls[nls++];
	l->tag = T_LISTEN;
	l->kind = kind;
	l->fd = listen_on(addr, (uint16_t)port, &bound);
	ep_add(l->fd, EPOLLIN, l);
	printf("listening %s:%u\n", inet_ntoa(addr), bound);
	fflush(stdout);
	return l;
}

static int cmd_serve(int argc, char **argv, enum skind kind)
{
	struct epoll_event evs[MAX_EVENTS];

	if (argc != 2 && argc != 3)
		die("usage: %s PORT [ADDR]", argv[0]);
	(void)serve_setup(argv[1], argc == 3 ? argv[2] : NULL, kind);
	for (;;) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, -1);

		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			server_event(evs[i].data.ptr, evs[i].events);
	}
}

/* ---- client options ---- */

/* rps: how requests reach the origin */
enum rmode {
	RM_UNSET,
	RM_TUNNEL,  /* --keepalive: GETs through CONNECT tunnels opened first */
	RM_HTTP,    /* --http-keepalive: absolute-form GETs on proxy connections opened first */
	RM_NEWCONN, /* --new-conn: a new connection per GET, "Connection: close" */
};

static const char *const rm_name[] = {
	[RM_UNSET] = "-",
	[RM_TUNNEL] = "keepalive",
	[RM_HTTP] = "http-keepalive",
	[RM_NEWCONN] = "new-conn",
};

struct copts {
	const char *proxy_s, *target;
	struct sockaddr_in proxy, tsa;
	bool via_proxy;
	unsigned long long bytes, requests, concurrency, tunnels, hold, stall;
	int dir; /* 1 up, 2 down */
	enum rmode mode;
};

static void parse_copts(int argc, char **argv, struct copts *o)
{
	memset(o, 0, sizeof(*o));
	o->requests = 10000;
	o->concurrency = 1;
	o->tunnels = 100;
	o->hold = 60;
	o->stall = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--keepalive")) {
			o->mode = RM_TUNNEL;
			continue;
		}
		if (!strcmp(a, "--http-keepalive")) {
			o->mode = RM_HTTP;
			continue;
		}
		if (!strcmp(a, "--new-conn")) {
			o->mode = RM_NEWCONN;
			continue;
		}
		if (!v)
			die("%s: %s needs a value", argv[0], a);
		i++;
		if (!strcmp(a, "--proxy"))
			o->proxy_s = v;
		else if (!strcmp(a, "--target"))
			o->target = v;
		else if (!strcmp(a, "--bytes"))
			o->bytes = num(v, a);
		else if (!strcmp(a, "--requests"))
			o->requests = num(v, a);
		else if (!strcmp(a, "--concurrency"))
			o->concurrency = num(v, a);
		else if (!strcmp(a, "--tunnels"))
			o->tunnels = num(v, a);
		else if (!strcmp(a, "--hold"))
			o->hold = num(v, a);
		else if (!strcmp(a, "--stall"))
			o->stall = num(v, a);
		else if (!strcmp(a, "--dir"))
			o->dir = !strcmp(v, "up") ? 1 : !strcmp(v, "down") ? 2 : 0;
		else
			die("%s: unknown option %s", argv[0], a);
	}
	if (!o->target)
		die("%s: --target HOST:PORT is required", argv[0]);
	parse_addr(o->target, &o->tsa);
	if (o->proxy_s && strcmp(o->proxy_s, "none") != 0) {
		parse_addr(o->proxy_s, &o->proxy);
		o->via_proxy = true;
	}
	if (!o->concurrency)
		o->concurrency = 1;
}

/* ---- tput ---- */

static int cmd_tput(int argc, char **argv)
{
	struct copts o;
	unsigned long long done = 0;
	uint64_t t0, t1;
	double secs;
	int fd;

	parse_copts(argc, argv, &o);
	if (!o.dir || !o.bytes)
		die("tput: --dir up|down and --bytes N are required");
	memset(big, 'x', sizeof(big));
	fd = open_tunnel(o.via_proxy ? &o.proxy : NULL, o.target, &o.tsa);
	if (fd < 0)
		die("tput: %s: %s", o.target, strerror(errno));
	t0 = now_ns();
	if (o.dir == 1) {
		char reply[128];
		size_t rl = 0;
		unsigned long long got;
		int hl = snprintf(reply, sizeof(reply), "PDLOAD %llu\n", o.bytes);

		if (send_all(fd, reply, (size_t)hl) < 0)
			die("tput up: send: %s", strerror(errno));
		while (done < o.bytes) {
			size_t want = o.bytes - done < sizeof(big) ? (size_t)(o.bytes - done)
								   : sizeof(big);
			ssize_t n = send(fd, big, want, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die("tput up: send after %llu bytes: %s", done, strerror(errno));
			done += (unsigned long long)n;
		}
		while (!memchr(reply, '\n', rl) && rl < sizeof(reply) - 1) {
			ssize_t n = recv(fd, reply + rl, sizeof(reply) - 1 - rl, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die("tput up: waiting for the sink: %s", strerror(errno));
			if (n == 0)
				break;
			rl += (size_t)n;
		}
		reply[rl] = '\0';
		if (sscanf(reply, "OK %llu", &got) != 1 || got != o.bytes)
			die("tput up: the sink says \"%s\", not OK %llu", reply, o.bytes);
	} else {
		while (done < o.bytes) {
			ssize_t n = recv(fd, big, sizeof(big), 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die("tput down: %s after %llu bytes",
				    n < 0 ? strerror(errno) : "end of stream", done);
			done += (unsigned long long)n;
		}
	}
	t1 = now_ns();
	close(fd);
	secs = (double)(t1 - t0) / 1e9;
	printf("tput dir=%s bytes=%llu secs=%.4f mibps=%.1f\n", o.dir == 1 ? "up" : "down", o.bytes,
	       secs, (double)o.bytes / 1048576.0 / secs);
	return 0;
}

/* ---- rps ---- */

enum cst { CC_OFF, CC_CONNECTING, CC_RESP, CC_DRAIN };

struct cc {
	enum tag tag;
	int fd;
	enum cst st;
	uint64_t t0;
	size_t got;     /* bytes of this response so far */
	size_t need;    /* head + body, once the head is in (0 before) */
	bool until_eof; /* no Content-Length: the response ends at EOF */
	bool reopen;    /* http-keepalive: failed, to be opened again for the next request */
	char buf[4096]; /* the response's first bytes (the head must fit) */
};

struct rps {
	struct copts o;
	char req[1024];
	size_t reqlen;
	unsigned long long issued, ok, errors;
	uint64_t *lat;
	uint64_t last_progress;
	bool reported;
};

/* The modes that send many requests on one connection. */
static bool rps_persistent(const struct rps *r)
{
	return r->o.mode != RM_NEWCONN;
}

static void rps_error(struct rps *r, struct cc *c, const char *what)
{
	r->errors++;
	if (r->errors <= 3) {
		char line[128];
		const char *eol = c->got ? memchr(c->buf, '\r', c->got < 100 ? c->got : 100) : NULL;
		size_t l = eol ? (size_t)(eol - c->buf) : 0;

		snprintf(line, sizeof(line), "%.*s", (int)l, c->buf);
		fprintf(stderr, "pd-load: rps: request %llu: %s%s%s%s\n", r->issued, what,
			line[0] ? " (\"" : "", line, line[0] ? "\")" : "");
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->st = CC_OFF;
	/* Not rps_start() from here: a run of failures would recurse. */
	if (r->o.mode == RM_HTTP)
		c->reopen = true;
}

/*
 * Sends the next request on @c; new-conn (and http-keepalive after a
 * failure): on a new connection.
 */
static void rps_start(struct rps *r, struct cc *c)
{
	c->got = c->need = 0;
	c->until_eof = false;
	if (r->issued >= r->o.requests) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		c->st = CC_OFF;
		return;
	}
	r->issued++;
	c->t0 = now_ns();
	if (r->o.mode == RM_NEWCONN || (r->o.mode == RM_HTTP && c->fd < 0)) {
		const struct sockaddr_in *sa = r->o.via_proxy ? &r->o.proxy : &r->o.tsa;

		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			return rps_error(r, c, strerror(errno));
		set_nodelay(c->fd);
		if (connect(c->fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 &&
		    errno != EINPROGRESS)
			return rps_error(r, c, strerror(errno));
		c->st = CC_CONNECTING;
		ep_add(c->fd, EPOLLOUT, c);
		return;
	}
	if (send(c->fd, r->req, r->reqlen, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)r->reqlen)
		return rps_error(r, c, "send");
	c->st = CC_RESP;
}

static void rps_done(struct rps *r, struct cc *c)
{
	r->lat[r->ok++] = now_ns() - c->t0;
	r->last_progress = now_ns();
	if (rps_persistent(r))
		return rps_start(r, c);
	c->st = CC_DRAIN; /* the proxy or origin closes; then the next */
}

static void rps_event(struct rps *r, struct cc *c, uint32_t events)
{
	char scratch[16384];

	if (c->fd < 0)
		return; /* closed earlier in this batch of events */
	if (c->st == CC_CONNECTING) {
		int e = 0;
		socklen_t el = sizeof(e);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e)
			return rps_error(r, c, strerror(e));
		if (send(c->fd, r->req, r->reqlen, MSG_NOSIGNAL | MSG_DONTWAIT) !=
		    (ssize_t)r->reqlen)
			return rps_error(r, c, "send");
		c->st = CC_RESP;
		ep_mod(c->fd, EPOLLIN, c);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t n;
		char *into = c->got < sizeof(c->buf) ? c->buf + c->got : scratch;
		size_t room = c->got < sizeof(c->buf) ? sizeof(c->buf) - c->got : sizeof(scratch);

		if (c->st == CC_DRAIN) {
			into = scratch;
			room = sizeof(scratch);
		}
		n = recv(c->fd, into, room, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0)
			return rps_error(r, c, strerror(errno));
		if (n == 0) {
			if (c->st == CC_DRAIN) {
				close(c->fd);
				c->fd = -1;
				return rps_start(r, c);
			}
			if (c->until_eof && c->need) {
				rps_done(r, c);
				close(c->fd);
				c->fd = -1;
				return rps_start(r, c);
			}
			return rps_error(r, c, "the connection ended before the response");
		}
		if (c->st == CC_DRAIN)
			continue; /* anything after the response is not counted */
		c->got += (size_t)n;
		if (!c->need) {
			const char *end = memmem(c->buf,
						 c->got < sizeof(c->buf) ? c->got : sizeof(c->buf),
						 "\r\n\r\n", 4);
			long cl;

			if (!end) {
				if (c->got >= sizeof(c->buf))
					return rps_error(r, c, "response head too large");
				continue;
			}
			if (status_of(c->buf, c->got) != 200)
				return rps_error(r, c, "status not 200");
			cl = content_length(c->buf, (size_t)(end - c->buf));
			c->need = (size_t)(end - c->buf) + 4 + (cl < 0 ? 0 : (size_t)cl);
			c->until_eof = cl < 0;
			if (cl < 0 && rps_persistent(r))
				return rps_error(r, c,
						 "keep-alive response without Content-Length");
		}
		if (!c->until_eof && c->got >= c->need) {
			if (c->got > c->need)
				return rps_error(r, c, "more bytes than the response");
			rps_done(r, c);
			if (rps_persistent(r))
				return;
		}
	}
}

static int cmd_rps(int argc, char **argv)
{
	struct rps r;
	struct cc *cs;
	struct epoll_event evs[MAX_EVENTS];
	uint64_t t0, t1;
	double secs;
	bool stalled = false;
	const char *close_hdr;

	memset(&r, 0, sizeof(r));
	parse_copts(argc, argv, &r.o);
	if (r.o.mode == RM_UNSET)
		die("rps: --keepalive, --http-keepalive or --new-conn");
	if (!r.o.requests)
		die("rps: --requests must be at least 1");
	if (r.o.concurrency > r.o.requests)
		r.o.concurrency = r.o.requests;
	close_hdr = r.o.mode == RM_NEWCONN ? "Connection: close\r\n" : "";
	if (r.o.mode == RM_TUNNEL || !r.o.via_proxy)
		snprintf(r.req, sizeof(r.req),
			 "GET /1k HTTP/1.1\r\nHost: %s\r\nUser-Agent: pd-load\r\n%s\r\n",
			 r.o.target, close_hdr);
	else
		snprintf(r.req, sizeof(r.req),
			 "GET http://%s/1k HTTP/1.1\r\nHost: %s\r\nUser-Agent: pd-load\r\n%s\r\n",
			 r.o.target, r.o.target, close_hdr);
	r.reqlen = strlen(r.req);
	r.lat = calloc(r.o.requests, sizeof(*r.lat));
	cs = calloc(r.o.concurrency, sizeof(*cs));
	if (!r.lat || !cs)
		die("out of memory");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	for (size_t i = 0; i < r.o.concurrency; i++) {
		cs[i].tag = T_CONN;
		cs[i].fd = -1;
		if (r.o.mode == RM_TUNNEL) {
			cs[i].fd = open_tunnel(r.o.via_proxy ? &r.o.proxy : NULL, r.o.target,
					       &r.o.tsa);
			if (cs[i].fd < 0)
				die("rps: tunnel %zu to %s: %s", i, r.o.target, strerror(errno));
		} else if (r.o.mode == RM_HTTP) {
			cs[i].fd = dial(r.o.via_proxy ? &r.o.proxy : &r.o.tsa);
			if (cs[i].fd < 0)
				die("rps: connection %zu to %s: %s", i,
				    r.o.via_proxy ? r.o.proxy_s : r.o.target, strerror(errno));
		}
		if (cs[i].fd >= 0) {
			set_nonblock(cs[i].fd);
			ep_add(cs[i].fd, EPOLLIN, &cs[i]);
		}
	}
	t0 = r.last_progress = now_ns();
	for (size_t i = 0; i < r.o.concurrency; i++)
		rps_start(&r, &cs[i]);
	for (;;) {
		bool busy = false;
		int n;

		for (size_t i = 0; i < r.o.concurrency; i++) {
			/* http-keepalive: the next request on a new connection */
			while (cs[i].reopen) {
				cs[i].reopen = false;
				rps_start(&r, &cs[i]);
			}
			busy |= cs[i].st != CC_OFF;
		}
		if (!busy)
			break;
		n = epoll_wait(ep, evs, MAX_EVENTS, 1000);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			rps_event(&r, evs[i].data.ptr, evs[i].events);
		if (now_ns() - r.last_progress > r.o.stall * 1000000000ull) {
			stalled = true;
			break;
		}
	}
	t1 = now_ns();
	if (stalled) {
		size_t open = 0;

		for (size_t i = 0; i < r.o.concurrency; i++)
			open += cs[i].st != CC_OFF;
		fprintf(stderr,
			"pd-load: rps: stalled: no response for %llu s (%llu done, %zu requests "
			"outstanding)\n",
			r.o.stall, r.ok, open);
		t1 = r.last_progress;
	}
	secs = (double)(t1 - t0) / 1e9;
	qsort(r.lat, r.ok, sizeof(*r.lat), cmp_u64);
	printf("rps mode=%s conc=%llu requests=%llu ok=%llu errors=%llu stalled=%d secs=%.4f "
	       "rps=%.0f p50_us=%.1f p99_us=%.1f max_us=%.1f\n",
	       rm_name[r.o.mode], r.o.concurrency, r.o.requests, r.ok, r.errors, stalled, secs,
	       secs > 0 ? (double)r.ok / secs : 0.0, (double)pct(r.lat, r.ok, 50) / 1e3,
	       (double)pct(r.lat, r.ok, 99) / 1e3, r.ok ? (double)r.lat[r.ok - 1] / 1e3 : 0.0);
	return stalled ? 3 : r.errors ? 2 : 0;
}

/* ---- idle ---- */

static int cmd_idle(int argc, char **argv)
{
	struct copts o;
	int *fds;
	char req[512];
	size_t rl;
	struct timespec ts;

	parse_copts(argc, argv, &o);
	fds = calloc(o.tunnels ? o.tunnels : 1, sizeof(*fds));
	if (!fds)
		die("out of memory");
	snprintf(req, sizeof(req), "GET /1k HTTP/1.1\r\nHost: %s\r\nUser-Agent: pd-load\r\n\r\n",
		 o.target);
	rl = strlen(req);
	for (size_t i = 0; i < o.tunnels; i++) {
		size_t got = 0, need = 0;
		char buf[4096];

		fds[i] = open_tunnel(o.via_proxy ? &o.proxy : NULL, o.target, &o.tsa);
		if (fds[i] < 0)
			die("idle: tunnel %zu: %s", i, strerror(errno));
		if (send_all(fds[i], req, rl) < 0)
			die("idle: send: %s", strerror(errno));
		while (!need || got < need) {
			ssize_t n = recv(fds[i], buf + got, sizeof(buf) - got, 0);
			const char *end;

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die("idle: tunnel %zu: no response", i);
			got += (size_t)n;
			if (!need && (end = memmem(buf, got, "\r\n\r\n", 4)) != NULL) {
				long cl = content_length(buf, (size_t)(end - buf));

				if (status_of(buf, got) != 200 || cl < 0)
					die("idle: tunnel %zu: a bad response", i);
				need = (size_t)(end - buf) + 4 + (size_t)cl;
			}
			if (got == sizeof(buf) && got < need)
				die("idle: tunnel %zu: response too large", i);
		}
	}
	printf("idle tunnels=%llu ready\n", o.tunnels);
	fflush(stdout);
	ts.tv_sec = (time_t)o.hold;
	ts.tv_nsec = 0;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	for (size_t i = 0; i < o.tunnels; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

/* ---- time-cmd ---- */

static struct listener child_tag = { .tag = T_CHILD };

static int cmd_time(int argc, char **argv)
{
	unsigned long long runs = 20, warmup = 3, timeout = 30;
	const char *http_port = NULL, *log = "/dev/null";
	char **cmd = NULL;
	uint64_t *exits, *gets;
	size_t ngets = 0, nexits = 0, fails = 0;
	struct epoll_event evs[MAX_EVENTS];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			cmd = argv + i + 1;
			break;
		}
		if (i + 1 >= argc)
			die("time-cmd: %s needs a value", argv[i]);
		if (!strcmp(argv[i], "--runs"))
			runs = num(argv[++i], "--runs");
		else if (!strcmp(argv[i], "--warmup"))
			warmup = num(argv[++i], "--warmup");
		else if (!strcmp(argv[i], "--timeout"))
			timeout = num(argv[++i], "--timeout");
		else if (!strcmp(argv[i], "--http-port"))
			http_port = argv[++i];
		else if (!strcmp(argv[i], "--log"))
			log = argv[++i];
		else
			die("time-cmd: unknown option %s", argv[i]);
	}
	if (!cmd || !cmd[0] || !runs)
		die("usage: time-cmd [--runs N] [--warmup W] [--http-port P] -- CMD...");
	exits = calloc(runs, sizeof(*exits));
	gets = calloc(runs, sizeof(*gets));
	if (!exits || !gets)
		die("out of memory");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	if (http_port)
		(void)serve_setup(http_port, NULL, S_HTTP);
	for (unsigned long long k = 0; k < warmup + runs; k++) {
		uint64_t t0, tx = 0, deadline;
		int pidfd, status = 0;
		pid_t pid;

		first_req_ns = 0;
		t0 = now_ns();
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
			int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

			if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
			    dup2(out, 2) < 0)
				_exit(125);
			signal(SIGPIPE, SIG_DFL);
			execvp(cmd[0], cmd);
			_exit(127);
		}
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0)
			die("pidfd_open: %s", strerror(errno));
		ep_add(pidfd, EPOLLIN, &child_tag);
		deadline = t0 + timeout * 1000000000ull;
		while (!tx) {
			int n = epoll_wait(ep, evs, MAX_EVENTS, 100);

			if (n < 0 && errno != EINTR)
				die("epoll_wait: %s", strerror(errno));
			for (int i = 0; i < n; i++) {
				if (evs[i].data.ptr == &child_tag)
					tx = now_ns();
				else
					server_event(evs[i].data.ptr, evs[i].events);
			}
			if (!tx && now_ns() > deadline) {
				fprintf(stderr,
					"pd-load: time-cmd: run %llu timed out after %llu s\n",
					k + 1, timeout);
				kill(pid, SIGKILL);
			}
		}
		close(pidfd);
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (k >= warmup)
				fails++;
			if (fails <= 3)
				fprintf(stderr, "pd-load: time-cmd: run %llu: %s %d\n", k + 1,
					WIFEXITED(status) ? "exit status" : "signal",
					WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			continue;
		}
		if (k < warmup)
			continue;
		exits[nexits++] = tx - t0;
		if (first_req_ns && first_req_ns >= t0)
			gets[ngets++] = first_req_ns - t0;
	}
	qsort(exits, nexits, sizeof(*exits), cmp_u64);
	qsort(gets, ngets, sizeof(*gets), cmp_u64);
	printf("run runs=%llu ok=%zu fails=%zu exit_p50_ms=%.2f exit_p90_ms=%.2f exit_min_ms=%.2f",
	       runs, nexits, fails, (double)pct(exits, nexits, 50) / 1e6,
	       (double)pct(exits, nexits, 90) / 1e6, nexits ? (double)exits[0] / 1e6 : 0.0);
	if (http_port)
		printf(" gets=%zu get_p50_ms=%.2f get_p90_ms=%.2f get_min_ms=%.2f", ngets,
		       (double)pct(gets, ngets, 50) / 1e6, (double)pct(gets, ngets, 90) / 1e6,
		       ngets ? (double)gets[0] / 1e6 : 0.0);
	printf("\n");
	return fails ? 2 : 0;
}

/* ---- small ones ---- */

static int cmd_freeport(void)
{
	uint16_t port;
	int fd = listen_on((struct in_addr){ .s_addr = htonl(INADDR_LOOPBACK) }, 0, &port);

	close(fd);
	printf("%u\n", port);
	return 0;
}

static int cmd_wait_port(int argc, char **argv)
{
	struct sockaddr_in sa;
	uint64_t deadline;

	if (argc < 2)
		die("usage: wait-port HOST:PORT [SECONDS]");
	parse_addr(argv[1], &sa);
	deadline = now_ns() + (argc > 2 ? num(argv[2], "seconds") : 10) * 1000000000ull;
	for (;;) {
		int fd = dial(&sa);
		struct timespec ts = { 0, 20 * 1000000 };

		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (now_ns() > deadline)
			die("%s: nothing accepts there: %s", argv[1], strerror(errno));
		nanosleep(&ts, NULL);
	}
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "serve-http"))
		return cmd_serve(argc - 1, argv + 1, S_HTTP);
	if (!strcmp(m, "serve-sink"))
		return cmd_serve(argc - 1, argv + 1, S_SINK);
	if (!strcmp(m, "serve-source"))
		return cmd_serve(argc - 1, argv + 1, S_SOURCE);
	if (!strcmp(m, "tput"))
		return cmd_tput(argc - 1, argv + 1);
	if (!strcmp(m, "rps"))
		return cmd_rps(argc - 1, argv + 1);
	if (!strcmp(m, "idle"))
		return cmd_idle(argc - 1, argv + 1);
	if (!strcmp(m, "time-cmd"))
		return cmd_time(argc - 1, argv + 1);
	if (!strcmp(m, "freeport"))
		return cmd_freeport();
	if (!strcmp(m, "wait-port"))
		return cmd_wait_port(argc - 1, argv + 1);
	fprintf(stderr,
		"usage: pd-load serve-http|serve-sink|serve-source PORT [ADDR]\n"
		"       pd-load tput [--proxy H:P] --target H:P --bytes N --dir up|down\n"
		"       pd-load rps [--proxy H:P] --target H:P --requests N --concurrency C "
		"--keepalive|--http-keepalive|--new-conn\n"
		"       pd-load idle [--proxy H:P] --target H:P --tunnels N --hold SECONDS\n"
		"       pd-load time-cmd [--runs N] [--warmup W] [--http-port P] -- CMD...\n"
		"       pd-load freeport | wait-port H:P [SECONDS]\n");
	return 2;
}
