/* SPDX-License-Identifier: MIT */
/*
 * conn.c - one proxied connection, from accept to close (proxy.h has the
 * stages).  Each callback does a bounded amount of work: one read or one
 * splice per direction and readiness, then the interest of both fds is
 * recomputed from the state (want_events()).
 *
 * Buffers: the request head (or a transparent connection's first bytes) is
 * read into a buffer of its own, freed once a tunnel starts (plain HTTP
 * keeps it: a chunked request body is staged there, and the bytes after a
 * request are the next request's); what must go out before the relay (the
 * forwarded head, bytes read with the head, "200 Connection established", a
 * response head, an error) sits in `up` / `down`.  A plain-HTTP response
 * head (and a chunked response body) is read into `rbuf`.  Short messages
 * are copied through a stack buffer (recv + send); a direction that
 * streams moves through its pipe with splice(), so nothing is allocated
 * per byte.
 *
 * Plain HTTP, one request at a time per client connection: each is parsed,
 * decided against the policy in force and audited on its own; its upstream
 * connection is kept for the next request when both sides keep theirs and
 * the response ended by its own framing, and used again only for a
 * bodiless request to the same name, port and pin whose address the
 * policy still allows, with nothing waiting on it (try_reuse()).  When the
 * client goes, or asks for another place, the kept connection moves to the
 * proxy's pool (upool.c), where any client's request may take it.
 */
#include "proxy_int.h"
#include "proxy/audit.h"
#include "proxy/synth.h"
#include "proxy/tls_sni.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIPE_CAP 65536
/* A tunnel that keeps filling its pipe asks for a bigger one, once; its
 * size is charged to the user (fs.pipe-user-pages-soft), so only a tunnel
 * that streams gets one, and a refusal just keeps PIPE_CAP. */
#define PIPE_BIG (512 * 1024)
#define PIPE_GROW_AFTER 8
/*
 * Small reads are copied (recv + send through a stack buffer, what the
 * destination does not take queued in up/down): for the short messages of
 * a request and its response that is cheaper than two splices through a
 * pipe, and a pump that never streams never makes its pipe.  A pump whose
 * reads fill the buffer COPY_TO_SPLICE times in a row streams with splice
 * from then on.
 */
#define COPY_MAX 16384
#define COPY_TO_SPLICE 4
/* Reads and writes through one pump per wake-up, at most (bounded work). */
#define PUMP_ROUNDS 8
#define LINGER_MS 2000
#define MAX_TRIES 4     /* addresses tried per connection */
#define PARSE_EARLY 64  /* request-head bytes parsed as they come */
#define PARSE_STEP 1024 /* then at least once per this many */

static void want_events(struct conn *c);
static void relay_client(struct pd_loop_source *src, uint32_t events, void *data);
static void relay_upstream(struct pd_loop_source *src, uint32_t events, void *data);
static void head_forward(struct conn *c);
static void try_next(struct conn *c);
static void drop_upstream(struct conn *c);
static void release_upstream(struct conn *c);

/* ---- audit and close ---- */

static void audit(struct conn *c, bool allowed, const char *reason)
{
	struct pd_audit_record r = {
		.sandbox = c->proxy->opts.sandbox,
		.kind = c->kind,
		.method = c->method[0] ? c->method : NULL,
		.host = c->host[0] ? c->host : NULL,
		.port = c->port,
		.addr = c->peer.family ? &c->peer : NULL,
		.rule = c->rule,
		.reason = reason && *reason ? reason : NULL,
		.allowed = allowed,
		.bytes_up = c->c2u.bytes,
		.bytes_down = c->u2c.bytes,
		.duration_ms = pd_proxy_now_ms() - c->t0,
	};

	if (c->audited)
		return;
	c->audited = true;
	pd_proxy_audit(c->proxy, &r);
}

static void close_pipe(struct pump *p)
{
	for (int i = 0; i < 2; i++)
		if (p->pipe[i] >= 0) {
			close(p->pipe[i]);
			p->pipe[i] = -1;
		}
}

void pd_conn_close(struct conn *c)
{
	struct pd_proxy *p = c->proxy;

	if (!c->audited)
		audit(c, c->rule != NULL, c->cause);
	pd_resolve_cancel(c->rq);
	pd_loop_remove(c->csrc);
	if (c->cfd >= 0)
		close(c->cfd);
	release_upstream(c);
	close_pipe(&c->c2u);
	close_pipe(&c->u2c);
	free(c->buf);
	free(c->up);
	free(c->down);
	free(c->rbuf);
	pd_policy_unref(c->policy);
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	p->nconns--;
	free(c);
}

/* A reset instead of a FIN: the client sees at once that this failed. */
static void close_reset(struct conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	(void)setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	pd_conn_close(c);
}

/*
 * Queue @n bytes of @a for the client behind what is still unsent (@append)
 * or instead of it; the buffer is kept and reused.
 */
static int queue_down(struct conn *c, const char *a, size_t n, bool append)
{
	size_t keep = append ? c->down_len - c->down_off : 0;

	if (keep + n > c->down_cap) {
		char *nb = malloc(keep + n);

		if (!nb)
			return -1;
		if (keep)
			memcpy(nb, c->down + c->down_off, keep);
		free(c->down);
		c->down = nb;
		c->down_cap = keep + n;
	} else if (keep && c->down_off) {
		memmove(c->down, c->down + c->down_off, keep);
	}
	if (n)
		memcpy(c->down + keep, a, n);
	c->down_len = keep + n;
	c->down_off = 0;
	return 0;
}

/* Send @text to the client, then wait (briefly) for it to close. */
static void answer(struct conn *c, int status, const char *body)
{
	char tmp[2048];
	size_t n = pd_http_error_response(tmp, sizeof(tmp), status, body);

	if (queue_down(c, tmp, n, false) < 0) {
		close_reset(c);
		return;
	}
	release_upstream(c);
	c->st = C_LINGER;
	c->deadline = pd_proxy_now_ms() + LINGER_MS;
	want_events(c);
}

static void deny(struct conn *c, const char *reason)
{
	char body[640], entry[PD_NAME_MAX + 16];
	const char *h = c->norm[0] ? c->norm : c->host;
	bool v6 = strchr(h, ':') != NULL;

	/* The entry that would allow it: an entry without a port allows 80 and 443 only. */
	if (!h[0])
		snprintf(entry, sizeof(entry), "HOST");
	else if (c->port == 80 || c->port == 443 || c->port == 0)
		snprintf(entry, sizeof(entry), v6 ? "[%.*s]" : "%.*s", PD_NAME_MAX, h);
	else
		snprintf(entry, sizeof(entry), v6 ? "[%.*s]:%u" : "%.*s:%u", PD_NAME_MAX, h,
			 c->port);
	c->rule = NULL;
	audit(c, false, reason);
	pd_proxy_note_denial(c->proxy, h[0] ? h : NULL);
	if (c->listener->transparent && !c->http) {
		close_reset(c);
		return;
	}
	snprintf(body, sizeof(body),
		 "paude: access to %s denied: %s.\n"
		 "To allow it: %s %s\n",
		 h[0] ? h : "?", reason, c->proxy->opts.fix_hint, entry);
	answer(c, 403, body);
}

/* The upstream could not be reached: 502 or 504 with the cause. */
static void fail_upstream(struct conn *c, int status)
{
	char body[400];

	snprintf(body, sizeof(body), "paude: %s:%u could not be reached: %s\n",
		 c->norm[0] ? c->norm : c->host, c->port, c->cause[0] ? c->cause : "unknown");
	audit(c, true, c->cause);
	if (c->listener->transparent && !c->http) {
		close_reset(c);
		return;
	}
	answer(c, status, body);
}

void pd_conn_refuse_full(struct pd_proxy *p, int fd, struct listener *l)
{
	static const char full[] =
		"HTTP/1.1 503 Service Unavailable\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Length: 43\r\nConnection: close\r\n\r\n"
		"paude: the proxy's connection table is full";
	struct pd_audit_record r = {
		.sandbox = p->opts.sandbox,
		.kind = l->transparent ? "transparent" : "connect",
		.port = l->port,
		.reason = "the connection table is full",
	};

	if (!l->transparent)
		(void)send(fd, full, sizeof(full) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
	pd_proxy_audit(p, &r);
}

/* ---- events ---- */

/*
 * Read into the pipe only once it is empty.  Its real capacity may be less
 * than PIPE_CAP (an unprivileged user past fs.pipe-user-pages-soft gets
 * pipes of one or two pages; each spliced fragment takes a slot, whatever
 * its size), and splice() into a full pipe fails with EAGAIN while the
 * socket stays readable: waiting for EPOLLIN then would wake the loop
 * without end (and keep the idle timeout from ever firing).
 */
static bool pump_wants_read(const struct pump *p)
{
	return !p->rd_done && p->inpipe == 0;
}

static void set_events(struct conn *c, struct pd_loop_source *src, uint32_t ev)
{
	if (src && pd_loop_fd_set_events(src, ev, NULL) < 0) {
		/* cannot happen while the fd is open; do not spin on it */
		c->deadline = 1;
	}
}

/* Upstream is read into rbuf (a response head, a chunked body), not spliced. */
static bool reads_response(const struct conn *c)
{
	return c->http && (!c->resp_body || c->u2c.chunked);
}

static void want_events(struct conn *c)
{
	uint32_t ce = 0, ue = 0;

	switch (c->st) {
	case C_HEAD:
		ce = EPOLLIN;
		break;
	case C_RESOLVE:
		break;
	case C_CONNECT:
		ue = EPOLLOUT;
		break;
	case C_RELAY:
		if (c->up_off == c->up_len &&
		    (c->c2u.chunked ? !c->c2u.rd_done : pump_wants_read(&c->c2u)))
			ce |= EPOLLIN;
		if (c->down_off < c->down_len || c->u2c.inpipe)
			ce |= EPOLLOUT;
		if (c->down_off == c->down_len &&
		    (reads_response(c) ? !c->u2c.rd_done : pump_wants_read(&c->u2c)))
			ue |= EPOLLIN;
		if (c->up_off < c->up_len || c->c2u.inpipe)
			ue |= EPOLLOUT;
		break;
	case C_LINGER:
		ce = EPOLLIN;
		if (c->down_off < c->down_len)
			ce |= EPOLLOUT;
		break;
	default:
		break;
	}
	set_events(c, c->csrc, ce);
	set_events(c, c->usrc, ue);
}

/* Write what is pending in @buf to @fd: 1 all written, 0 not yet, -1 error. */
static int flush(int fd, const char *buf, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = send(fd, buf + *off, len - *off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		*off += (size_t)n;
	}
	return 1;
}

/* ---- the relay ---- */

/* Send what waits for upstream; it counts as bytes up. */
static int flush_up(struct conn *c)
{
	size_t before = c->up_off;
	int r = flush(c->ufd, c->up, c->up_len, &c->up_off);

	c->c2u.bytes += c->up_off - before;
	return r;
}

/* What one read of @p may ask for, at most @room: 0 once its limit is reached. */
static size_t pump_want(struct pump *p, size_t room)
{
	if (p->limit < room)
		room = (size_t)p->limit;
	if (!room)
		p->rd_done = true;
	return room;
}

/*
 * Account a read of @n bytes into @p: 1 when bytes came, 0 when there is
 * nothing more now (EAGAIN) or ever (EOF: before the limit, the body was cut
 * short), -1 on an error.
 */
static int pump_took(struct pump *p, ssize_t n)
{
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0) {
		p->rd_done = true;
		p->truncated = p->limit != UINT64_MAX;
		return 0;
	}
	if (p->limit != UINT64_MAX) {
		p->limit -= (uint64_t)n;
		if (!p->limit)
			p->rd_done = true;
	}
	return 1;
}

static int pump_read(struct pump *p, int from)
{
	size_t want = p->cap - p->inpipe;
	ssize_t n;
	int r;

	if (p->rd_done || !want)
		return 0;
	if (p->pipe[0] < 0 && pipe2(p->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	want = pump_want(p, want);
	if (!want)
		return 0;
	n = splice(from, NULL, p->pipe[1], NULL, want, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
	r = pump_took(p, n);
	if (r <= 0)
		return r;
	p->inpipe += (size_t)n;
	if ((size_t)n < p->cap) {
		p->full = 0;
	} else if (++p->full == PIPE_GROW_AFTER && p->cap == PIPE_CAP) {
		int got = fcntl(p->pipe[1], F_SETPIPE_SZ, PIPE_BIG);

		if (got >= PIPE_BIG)
			p->cap = PIPE_BIG;
	}
	return 0;
}

static int pump_write(struct pump *p, int to)
{
	ssize_t n;

	if (!p->inpipe)
		return 0;
	n = splice(p->pipe[0], NULL, to, NULL, p->inpipe, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	p->inpipe -= (size_t)n;
	p->bytes += (uint64_t)n;
	return 0;
}

static int set_up(struct conn *c, const char *a, size_t alen, const char *b, size_t blen);

/* One copied read of @p (from @from to @to), see COPY_MAX. */
static int pump_copy(struct conn *c, struct pump *p, int from, int to)
{
	char b[COPY_MAX];
	size_t want = pump_want(p, sizeof(b));
	ssize_t n, w;
	int r;

	if (!want)
		return 0;
	n = recv(from, b, want, MSG_DONTWAIT);
	r = pump_took(p, n);
	if (r <= 0)
		return r;
	p->full = (size_t)n == sizeof(b) ? p->full + 1 : 0;
	if (p->full >= COPY_TO_SPLICE) {
		p->streaming = true;
		p->full = 0;
	}
	w = send(to, b, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		w = 0;
	}
	p->bytes += (uint64_t)w;
	if (w == n)
		return 0;
	/* the rest waits where the head and early bytes wait */
	if (p == &c->c2u)
		return set_up(c, b + w, (size_t)(n - w), NULL, 0);
	if (queue_down(c, b + w, (size_t)(n - w), true) < 0)
		return -1;
	p->bytes += (uint64_t)(n - w);
	return 0;
}

/* One read of @p: copied while it is short messages, spliced once it streams. */
static int pump_move(struct conn *c, struct pump *p, int from, int to)
{
	bool drained = p == &c->c2u ? c->up_off == c->up_len : c->down_off == c->down_len;

	if (p->rd_done)
		return 0;
	if (!p->streaming && !p->inpipe && drained)
		return pump_copy(c, p, from, to);
	return pump_read(p, from);
}

/* A chunked body: read into the buffer, pass on what the scanner says is body. */
static int chunked_read(struct conn *c)
{
	ssize_t n, k;
	bool done = false;

	if (c->up_off < c->up_len || c->c2u.rd_done)
		return 0;
	n = recv(c->cfd, c->buf, c->cap, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0) {
		snprintf(c->cause, sizeof(c->cause), "the client ended the chunked body early");
		return -1;
	}
	k = pd_http_chunked_scan(&c->c2u.ch, c->buf, (size_t)n, &done);
	if (k < 0) {
		snprintf(c->cause, sizeof(c->cause), "malformed chunked body: %s",
			 c->c2u.ch.error ? c->c2u.ch.error : "?");
		return -1;
	}
	free(c->up);
	c->up = malloc((size_t)k ? (size_t)k : 1);
	if (!c->up)
		return -1;
	memcpy(c->up, c->buf, (size_t)k);
	c->up_len = (size_t)k;
	c->up_off = 0;
	if (done) {
		/* what follows the body is the next request's */
		c->c2u.rd_done = true;
		memmove(c->buf, c->buf + k, (size_t)n - (size_t)k);
		c->len = (size_t)n - (size_t)k;
	}
	return 0;
}

/* ---- plain HTTP responses ---- */

#define MAX_INTERIM 8 /* 1xx heads per request */

/* Upstream's response is unusable: a 502 if the client has seen nothing yet. */
static int bad_response(struct conn *c, const char *why)
{
	snprintf(c->cause, sizeof(c->cause), "a bad response from upstream: %s", why);
	if ((c->interim && c->minor) || c->u2c.bytes) {
		pd_conn_close(c);
		return 1;
	}
	fail_upstream(c, 502);
	return 1;
}

/* The body after a head: @rest bytes that came with it, then the framing's way. */
static int response_body(struct conn *c, const struct pd_http_response *r, char *rest, size_t nrest)
{
	struct pump *p = &c->u2c;
	size_t take = 0, out = 0;
	bool done = false;

	switch (r->framing) {
	case PD_HTTP_FRAME_NONE:
		p->rd_done = true;
		c->up_reusable &= nrest == 0;
		break;
	case PD_HTTP_FRAME_LENGTH:
		c->up_reusable &= nrest <= r->content_length;
		take = nrest < r->content_length ? nrest : (size_t)r->content_length;
		p->limit = r->content_length - take;
		p->rd_done = p->limit == 0;
		break;
	case PD_HTTP_FRAME_CHUNKED: {
		ssize_t k;

		pd_http_chunked_init(&p->ch);
		k = !nrest       ? 0
		    : c->dechunk ? pd_http_chunked_decode(&p->ch, rest, nrest, rest, &out, &done)
				 : pd_http_chunked_scan(&p->ch, rest, nrest, &done);
		if (k < 0)
			return bad_response(c,
					    p->ch.error ? p->ch.error : "malformed chunked body");
		take = c->dechunk ? out : (size_t)k;
		c->up_reusable &= !done || (size_t)k == nrest;
		p->chunked = !done;
		p->rd_done = done;
		break;
	}
	case PD_HTTP_FRAME_CLOSE:
	default:
		take = nrest;
		c->keep_alive = false;
		break;
	}
	if (queue_down(c, rest, take, true) < 0)
		return -1;
	p->bytes += take;
	c->resp_body = true;
	if (!p->chunked) {
		free(c->rbuf);
		c->rbuf = NULL;
	}
	return 0;
}

/* Heads in rbuf: pass 1xx on, then the final one; 0 when more is needed. */
static int response_heads(struct conn *c)
{
	for (;;) {
		struct pd_http_response r;
		const char *why = NULL;
		char head[PD_HTTP_RESPONSE_HEAD_MAX + PD_HTTP_RESPONSE_GROWTH];
		size_t hl = pd_http_head_end(c->rbuf, c->rlen, &c->rscan);
		ssize_t n;

		if (!hl)
			return c->rlen == PD_HTTP_RESPONSE_HEAD_MAX
				       ? bad_response(c, "the response head is too large")
				       : 0;
		if (pd_http_parse_response(c->rbuf, hl, c->head_req, &r, &why) < 0)
			return bad_response(c, why);
		/* a body that ends at close, or a request body not all read
		 * yet: this is the connection's last response */
		if (r.status >= 200 && (r.framing == PD_HTTP_FRAME_CLOSE || !c->c2u.rd_done))
			c->keep_alive = false;
		/* HTTP/1.0 knows no chunked coding: such a client gets the
		 * body decoded, ending at close */
		c->dechunk = !c->minor && r.status >= 200 && r.framing == PD_HTTP_FRAME_CHUNKED;
		n = pd_http_response_head(c->rbuf, &r,
					  (c->keep_alive || r.status < 200 ? PD_HTTP_RESP_KEEP_ALIVE
									   : 0) |
						  (c->dechunk ? PD_HTTP_RESP_DECHUNK : 0),
					  head, sizeof(head));
		if (n < 0)
			return bad_response(c, "the response head does not fit");
		if (r.status < 200) {
			/* HTTP/1.0 has no 1xx: such a client never sees one */
			if (++c->interim > MAX_INTERIM)
				return bad_response(c, "too many interim responses");
			if (c->minor) {
				if (queue_down(c, head, (size_t)n, true) < 0)
					return -1;
				c->u2c.bytes += (uint64_t)n;
			}
			memmove(c->rbuf, c->rbuf + hl, c->rlen - hl);
			c->rlen -= hl;
			c->rscan = 0;
			continue;
		}
		if (queue_down(c, head, (size_t)n, true) < 0)
			return -1;
		c->u2c.bytes += (uint64_t)n;
		/* the upstream connection may carry the next request when both
		 * sides meant to keep it and the framing ends this response */
		c->up_reusable = c->up_keep && !r.close && r.minor == 1 &&
				 r.framing != PD_HTTP_FRAME_CLOSE && !c->head_req;
		return response_body(c, &r, c->rbuf + hl, c->rlen - hl);
	}
}

/*
 * A kept upstream connection the server closed just as it was used (after
 * try_reuse() looked): before any byte of a response came, the request
 * (bodiless, its head still in `up`) goes again on a new connection to the
 * same address, which the policy in force allowed a moment ago.  1 when
 * retried so, 0 when the failure stands.
 */
static int retry_fresh(struct conn *c)
{
	if (!c->reused || c->rlen || c->interim || c->u2c.bytes || c->has_body)
		return 0;
	c->reused = false;
	c->retry = true;
	drop_upstream(c);
	c->up_off = 0;
	c->c2u.bytes = 0;
	c->addrs[0] = c->peer;
	c->naddrs = 1;
	c->ai = 0;
	try_next(c);
	return 1;
}

/*
 * One read from upstream while a response is parsed, not spliced: its head
 * (into rbuf), or a chunked body (through rbuf, scanned, into down).
 * Return: 0 go on, -1 failed (errno or cause), 1 the connection was answered
 * or closed here.
 */
static int response_read(struct conn *c)
{
	bool done = false;
	size_t out = 0;
	ssize_t n, k;

	if (c->u2c.rd_done || c->down_off < c->down_len)
		return 0;
	if (!c->rbuf) {
		c->rbuf = malloc(PD_HTTP_RESPONSE_HEAD_MAX);
		if (!c->rbuf)
			return -1;
	}
	if (!c->resp_body) {
		n = recv(c->ufd, c->rbuf + c->rlen, PD_HTTP_RESPONSE_HEAD_MAX - c->rlen,
			 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0 && retry_fresh(c))
			return 1;
		if (n < 0)
			return -1;
		if (n == 0)
			return bad_response(c, "it closed before a complete head");
		c->rlen += (size_t)n;
		return response_heads(c);
	}
	n = recv(c->ufd, c->rbuf, PD_HTTP_RESPONSE_HEAD_MAX, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0) {
		snprintf(c->cause, sizeof(c->cause), "upstream ended the chunked body early");
		return -1;
	}
	if (c->dechunk)
		k = pd_http_chunked_decode(&c->u2c.ch, c->rbuf, (size_t)n, c->rbuf, &out, &done);
	else
		k = pd_http_chunked_scan(&c->u2c.ch, c->rbuf, (size_t)n, &done);
	if (k < 0) {
		snprintf(c->cause, sizeof(c->cause), "a malformed chunked body from upstream: %s",
			 c->u2c.ch.error ? c->u2c.ch.error : "?");
		return -1;
	}
	if (!c->dechunk)
		out = (size_t)k;
	if (queue_down(c, c->rbuf, out, true) < 0)
		return -1;
	c->u2c.bytes += (uint64_t)out;
	if (done) {
		c->u2c.rd_done = true;
		c->u2c.chunked = false;
		c->up_reusable &= k == n;
		free(c->rbuf);
		c->rbuf = NULL;
	}
	return 0;
}

/*
 * A response ended by its framing, the upstream connection was asked to
 * stay (up_reusable) and the request went there whole: it is idle now,
 * unwatched, for a next request to the same place.  Return: whether it
 * was kept.
 */
static bool keep_upstream(struct conn *c)
{
	/* only once the request went upstream whole: nothing of it may
	 * precede the next request on that connection */
	if (!c->up_reusable || !c->c2u.wr_done || c->up_off < c->up_len || c->c2u.inpipe ||
	    c->u2c.inpipe)
		return false;
	snprintf(c->up_name, sizeof(c->up_name), "%s", c->norm[0] ? c->norm : c->host);
	c->up_port = c->port;
	c->up_pinned = c->pinned;
	c->up_peer = c->peer;
	c->up_idle = true;
	return true;
}

/* A response is complete and the client may go on: wait for its next request. */
static void next_request(struct conn *c)
{
	struct pump *ps[2] = { &c->c2u, &c->u2c };

	audit(c, true, NULL);
	if (!keep_upstream(c))
		drop_upstream(c);
	for (size_t i = 0; i < 2; i++) {
		struct pump *p = ps[i];

		/* empty by now; a pipe grown for one response is not kept idle */
		close_pipe(p);
		p->inpipe = 0;
		p->cap = PIPE_CAP;
		p->full = 0;
		p->limit = UINT64_MAX;
		p->bytes = 0;
		p->rd_done = p->wr_done = p->truncated = p->chunked = p->streaming = false;
	}
	c->method[0] = c->host[0] = c->norm[0] = '\0';
	c->port = 0;
	c->pinned = false;
	c->rule = NULL;
	pd_policy_unref(c->policy);
	c->policy = NULL;
	c->naddrs = c->ai = 0;
	memset(&c->peer, 0, sizeof(c->peer));
	c->cause[0] = '\0';
	free(c->up);
	c->up = NULL;
	c->up_len = c->up_off = 0;
	c->down_len = c->down_off = 0;
	c->rlen = c->rscan = 0;
	c->resp_body = c->keep_alive = c->head_req = c->has_body = c->up_keep = c->up_reusable =
		c->reused = c->retry = c->dechunk = false;
	c->interim = 0;
	c->audited = false;
	c->kind = "connect";
	c->st = C_HEAD;
	c->t0 = pd_proxy_now_ms();
	c->deadline = c->t0 + c->proxy->opts.head_timeout_ms;
	want_events(c);
	if (c->len) /* pipelined: it is here already */
		head_forward(c);
}

/* After any progress: pass half-closes on, end the connection when both are done. */
static void settle(struct conn *c)
{
	struct pump *cu = &c->c2u, *uc = &c->u2c;

	if (cu->rd_done && !cu->inpipe && c->up_off == c->up_len && !cu->wr_done) {
		cu->wr_done = true;
		/* A tunnel passes the client's end on; a forwarded request
		 * does not (the response is still to come). */
		if (!c->http)
			(void)shutdown(c->ufd, SHUT_WR);
	}
	if (uc->rd_done && !uc->inpipe && c->down_off == c->down_len && !uc->wr_done) {
		uc->wr_done = true;
		if (c->http && uc->truncated) {
			/* a reset: the client sees at once the response was cut */
			snprintf(c->cause, sizeof(c->cause),
				 "upstream closed before the end of the response");
			close_reset(c);
			return;
		}
		/* the next request only once this one went upstream whole:
		 * nothing of its body may reach the next upstream */
		if (c->http && c->keep_alive && cu->wr_done)
			return next_request(c);
		if (c->http) { /* the response is complete: no more on this connection */
			audit(c, true, NULL);
			(void)shutdown(c->cfd, SHUT_WR);
			/* a clean upstream connection serves other clients */
			if (keep_upstream(c))
				release_upstream(c);
			else
				drop_upstream(c);
			c->st = C_LINGER;
			c->deadline = pd_proxy_now_ms() + LINGER_MS;
			want_events(c);
			return;
		}
		(void)shutdown(c->cfd, SHUT_WR);
	}
	if (cu->wr_done && uc->wr_done) {
		pd_conn_close(c);
		return;
	}
	c->deadline = pd_proxy_now_ms() + c->proxy->opts.idle_timeout_ms;
	want_events(c);
}

static void relay_fail(struct conn *c, int e)
{
	if (!c->cause[0])
		snprintf(c->cause, sizeof(c->cause), "%s", pd_strerror(e));
	pd_conn_close(c);
}

static void relay_client(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct conn *c = data;

	(void)src;
	if (events & (EPOLLOUT | EPOLLERR)) {
		if (flush(c->cfd, c->down, c->down_len, &c->down_off) < 0 ||
		    (c->down_off == c->down_len && pump_write(&c->u2c, c->cfd) < 0))
			return relay_fail(c, errno);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (int round = 0; round < PUMP_ROUNDS; round++) {
			int r = c->c2u.chunked ? chunked_read(c)
					       : pump_move(c, &c->c2u, c->cfd, c->ufd);

			if (r < 0)
				return relay_fail(c, errno);
			if (flush_up(c) < 0 ||
			    (c->up_off == c->up_len && pump_write(&c->c2u, c->ufd) < 0))
				return relay_fail(c, errno);
			/* again only while a full read went straight through */
			if (c->c2u.chunked || c->c2u.inpipe || c->up_off != c->up_len ||
			    c->c2u.full == 0)
				break;
		}
	}
	settle(c);
}

static void relay_upstream(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct conn *c = data;

	(void)src;
	if (events & (EPOLLOUT | EPOLLERR)) {
		if (flush_up(c) < 0 ||
		    (c->up_off == c->up_len && pump_write(&c->c2u, c->ufd) < 0)) {
			if (retry_fresh(c))
				return;
			return relay_fail(c, errno);
		}
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && reads_response(c)) {
		int r = response_read(c);

		if (r > 0)
			return;
		if (r < 0 || flush(c->cfd, c->down, c->down_len, &c->down_off) < 0)
			return relay_fail(c, errno);
	} else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (int round = 0; round < PUMP_ROUNDS; round++) {
			if (pump_move(c, &c->u2c, c->ufd, c->cfd) < 0)
				return relay_fail(c, errno);
			if (c->down_off == c->down_len &&
			    (flush(c->cfd, c->down, c->down_len, &c->down_off) < 0 ||
			     pump_write(&c->u2c, c->cfd) < 0))
				return relay_fail(c, errno);
			/* again only while a full read went straight through */
			if (c->u2c.inpipe || c->down_off != c->down_len || c->u2c.full == 0)
				break;
		}
	}
	settle(c);
}

static int set_up(struct conn *c, const char *a, size_t alen, const char *b, size_t blen)
{
	free(c->up);
	c->up = malloc(alen + blen ? alen + blen : 1);
	if (!c->up)
		return -1;
	if (alen)
		memcpy(c->up, a, alen);
	if (blen)
		memcpy(c->up + alen, b, blen);
	c->up_len = alen + blen;
	c->up_off = 0;
	return 0;
}

/* Upstream is connected: set both directions up and start relaying. */
static void connected(struct conn *c)
{
	static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct pd_http_request req;
	int status;
	const char *reason;
	int one = 1;

	c->peer = c->addrs[c->ai];
	if (!c->reused) /* a kept connection has it from its first request */
		(void)setsockopt(c->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->listener->transparent) {
		/* everything read so far goes on as it came, both ways a tunnel */
		if (set_up(c, c->buf, c->len, NULL, 0) < 0)
			goto nomem;
		c->http = false;
	} else if (pd_http_parse_request(c->buf, c->len, &req, &status, &reason) == 1 &&
		   req.connect) {
		if (set_up(c, c->buf + req.head_len, c->len - req.head_len, NULL, 0) < 0 ||
		    queue_down(c, established, sizeof(established) - 1, false) < 0)
			goto nomem;
	} else {
		char head[PD_HTTP_HEAD_MAX + 512];
		ssize_t hl;
		size_t extra = c->len - req.head_len, body = 0;
		const char *rest = c->buf + req.head_len;
		bool done = false;

		c->http = true;
		/* HTTP/1.0 clients: one request per connection (no chunked
		 * framing can be sent to them, RFC 9112 6.1) */
		c->keep_alive = req.client_keep_alive && req.minor == 1;
		c->minor = req.minor;
		c->head_req = strcmp(req.method, "HEAD") == 0;
		c->has_body = req.body == PD_HTTP_BODY_CHUNKED ||
			      (req.body == PD_HTTP_BODY_LENGTH && req.content_length > 0);
		/* after a request without a body, ask upstream to keep its
		 * connection, for this client's next request or any client's
		 * (upool.c); a body could not be sent again if a kept connection
		 * turned out dead */
		c->up_keep = !c->has_body;
		hl = pd_http_forward_head(c->buf, &req, !c->up_keep, head, sizeof(head));
		if (hl < 0) {
			snprintf(c->cause, sizeof(c->cause), "the request head does not fit");
			return fail_upstream(c, 502);
		}
		switch (req.body) {
		case PD_HTTP_BODY_LENGTH:
			body = extra < req.content_length ? extra : (size_t)req.content_length;
			c->c2u.limit = req.content_length - body;
			c->c2u.rd_done = c->c2u.limit == 0;
			break;
		case PD_HTTP_BODY_CHUNKED: {
			ssize_t k;

			c->c2u.chunked = true;
			pd_http_chunked_init(&c->c2u.ch);
			k = extra ? pd_http_chunked_scan(&c->c2u.ch, rest, extra, &done) : 0;
			if (k < 0) {
				snprintf(c->cause, sizeof(c->cause), "malformed chunked body: %s",
					 c->c2u.ch.error ? c->c2u.ch.error : "?");
				return answer(c, 400, "paude: malformed chunked request body\n");
			}
			body = (size_t)k;
			c->c2u.rd_done = done;
			break;
		}
		case PD_HTTP_BODY_NONE:
		default:
			c->c2u.limit = 0;
			c->c2u.rd_done = true;
			break;
		}
		if (set_up(c, head, (size_t)hl, rest, body) < 0)
			goto nomem;
		/* what follows this request's bytes is the next request's */
		if (c->c2u.rd_done) {
			size_t used = req.head_len + body;

			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
		} else {
			c->len = 0;
		}
	}
	if (!c->http) {
		free(c->buf);
		c->buf = NULL;
		c->len = c->cap = 0;
	}
	c->st = C_RELAY;
	c->deadline = pd_proxy_now_ms() + c->proxy->opts.idle_timeout_ms;
	/* Both ends are writable as a rule (the connect just completed, or the
	 * connection is a kept one): what waits goes now, not after a wake-up. */
	if (flush(c->cfd, c->down, c->down_len, &c->down_off) < 0)
		return relay_fail(c, errno);
	relay_upstream(c->usrc, EPOLLOUT, c);
	return;
nomem:
	snprintf(c->cause, sizeof(c->cause), "out of memory or fds");
	pd_conn_close(c);
}

/* ---- connect ---- */

static void on_upstream(struct pd_loop_source *src, uint32_t events, void *data);

static void try_next(struct conn *c)
{
	for (; c->ai < c->naddrs && c->ai < MAX_TRIES; c->ai++) {
		const struct pd_addr *a = &c->addrs[c->ai];
		struct sockaddr_storage ss;
		socklen_t sl;
		int fd;

		memset(&ss, 0, sizeof(ss));
		if (a->family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			s4->sin_family = AF_INET;
			s4->sin_addr = a->v4;
			s4->sin_port = htons(c->port);
			sl = sizeof(*s4);
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			s6->sin6_addr = a->v6;
			s6->sin6_port = htons(c->port);
			sl = sizeof(*s6);
		}
		fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(c->cause, sizeof(c->cause), "socket: %s", pd_strerror(errno));
			continue;
		}
		if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
			snprintf(c->cause, sizeof(c->cause), "%s", pd_strerror(errno));
			close(fd);
			continue;
		}
		c->ufd = fd;
		c->usrc = pd_loop_add_fd(c->proxy->loop, fd, EPOLLOUT, on_upstream, c, "upstream",
					 NULL);
		if (!c->usrc) {
			snprintf(c->cause, sizeof(c->cause), "out of memory");
			close(fd);
			c->ufd = -1;
			break;
		}
		c->st = C_CONNECT;
		c->deadline = pd_proxy_now_ms() + c->proxy->opts.connect_timeout_ms;
		want_events(c);
		return;
	}
	fail_upstream(c, 502);
}

static void drop_upstream(struct conn *c)
{
	pd_loop_remove(c->usrc);
	c->usrc = NULL;
	if (c->ufd >= 0)
		close(c->ufd);
	c->ufd = -1;
	c->up_idle = false;
}

/* Done with the upstream connection: a kept idle one goes to the pool, any other is closed. */
static void release_upstream(struct conn *c)
{
	if (!c->up_idle || c->ufd < 0)
		return drop_upstream(c);
	pd_loop_remove(c->usrc);
	c->usrc = NULL;
	pd_upool_put(&c->proxy->upool, c->ufd, c->up_name, c->up_port, c->up_pinned, &c->up_peer,
		     pd_proxy_now_ms());
	c->ufd = -1;
	c->up_idle = false;
}

/* A retried request's new connection is up: its head (in `up`) goes again. */
static void resume(struct conn *c)
{
	int one = 1;

	c->retry = false;
	c->peer = c->addrs[c->ai];
	(void)setsockopt(c->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->st = C_RELAY;
	c->deadline = pd_proxy_now_ms() + c->proxy->opts.idle_timeout_ms;
	settle(c);
}

static void on_upstream(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct conn *c = data;
	int e = 0;
	socklen_t el = sizeof(e);

	if (c->st == C_RELAY)
		return relay_upstream(src, events, data);
	if (c->st != C_CONNECT)
		return;
	if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		e = errno;
	if (e == 0 && c->retry)
		return resume(c);
	if (e == 0)
		return connected(c);
	snprintf(c->cause, sizeof(c->cause), "%s", pd_strerror(e));
	drop_upstream(c);
	c->ai++;
	try_next(c);
}

/* Keep the addresses the policy lets this connection reach; deny if none. */
static void check_addrs(struct conn *c, const struct pd_addr *addrs, size_t n)
{
	struct pd_verdict v, first = { 0 };
	size_t k = 0;

	for (size_t i = 0; i < n && k < PD_RESOLVE_MAX_ADDRS; i++) {
		if (pd_policy_check_addr(c->proxy->policy, c->norm[0] ? c->norm : NULL, &addrs[i],
					 c->port, c->pinned, &v) < 0)
			continue;
		if (v.allow)
			c->addrs[k++] = addrs[i];
		else if (!first.reason[0])
			first = v;
	}
	c->naddrs = k;
	c->ai = 0;
	if (!k) {
		if (n)
			c->peer = addrs[0];
		return deny(c, first.reason[0] ? first.reason : "no address it may reach");
	}
	try_next(c);
}

static void resolved(void *data, int status, const struct pd_addr *addrs, size_t n)
{
	struct conn *c = data;

	c->rq = NULL;
	if (status < 0) {
		snprintf(c->cause, sizeof(c->cause), "%s", pd_resolve_strerror(status));
		return fail_upstream(c, status == -ETIMEDOUT ? 504 : 502);
	}
	check_addrs(c, addrs, n);
}

/* The policy in force allows a kept connection to @peer for this request. */
static bool kept_allowed(const struct pd_addr *peer, void *ctx)
{
	struct conn *c = ctx;
	struct pd_verdict v;

	return pd_policy_check_addr(c->proxy->policy, c->norm[0] ? c->norm : NULL, peer, c->port,
				    c->pinned, &v) == 0 &&
	       v.allow;
}

/*
 * A kept upstream connection for this request (plain HTTP, no body): the
 * one the previous request on this client connection left, or one from the
 * proxy's pool, for the same name (or literal), port and pin, whose address
 * the policy in force still allows, with nothing waiting on it (a close or
 * stray bytes from the server end it instead).  The client's own kept
 * connection goes to the pool when this request is for another place.
 */
static bool try_reuse(struct conn *c, const char *name)
{
	struct pd_addr peer;
	int fd;

	if (c->ufd >= 0) {
		bool here = c->port == c->up_port && c->pinned == c->up_pinned &&
			    strcmp(name, c->up_name) == 0;

		if (here && !kept_allowed(&c->up_peer, c)) {
			drop_upstream(c); /* the policy in force refuses it: for nobody */
		} else if (here && c->http && !c->has_body && pd_upool_clean(c->ufd)) {
			c->up_idle = false;
			c->addrs[0] = c->up_peer;
			c->naddrs = 1;
			c->ai = 0;
			c->reused = true;
			connected(c);
			return true;
		} else {
			release_upstream(c); /* to the pool, for another request */
		}
	}
	if (!c->http || c->has_body || c->listener->transparent)
		return false;
	fd = pd_upool_take(&c->proxy->upool, name, c->port, c->pinned, kept_allowed, c, &peer);
	if (fd < 0)
		return false;
	/* EPOLLIN: what it waits for once the request is sent, at once as a rule */
	c->usrc = pd_loop_add_fd(c->proxy->loop, fd, EPOLLIN, on_upstream, c, "upstream", NULL);
	if (!c->usrc) {
		close(fd);
		return false;
	}
	c->ufd = fd;
	c->addrs[0] = peer;
	c->naddrs = 1;
	c->ai = 0;
	c->reused = true;
	connected(c);
	return true;
}

/* The name (or literal) and port are known: decide, then find addresses. */
static void decide(struct conn *c)
{
	struct pd_verdict v;
	struct pd_addr lit;
	const struct pd_pin *pin;
	const char *why = NULL;

	if (pd_policy_check_name(c->proxy->policy, c->host, strlen(c->host), c->port, &v) < 0 ||
	    !v.allow)
		return deny(c, v.reason[0] ? v.reason : "not allowed");
	pd_policy_unref(c->policy);
	c->policy = pd_policy_ref(c->proxy->policy);
	c->rule = v.rule;
	if (pd_ip_literal(c->host, strlen(c->host), &lit) == 1) {
		c->norm[0] = '\0';
		if (try_reuse(c, c->host))
			return;
		return check_addrs(c, &lit, 1);
	}
	if (pd_name_normalize(c->host, strlen(c->host), c->norm, sizeof(c->norm), &why) < 0)
		return deny(c, why ? why : "bad host name");
	pin = pd_proxy_pin(c->proxy, c->norm);
	c->pinned = pin != NULL;
	if (try_reuse(c, c->norm))
		return;
	if (pin)
		return check_addrs(c, &pin->addr, 1);
	c->st = C_RESOLVE;
	c->deadline = 0; /* the resolver has its own timeout */
	want_events(c);
	c->rq = pd_resolve(c->proxy->opts.resolver, c->norm, AF_UNSPEC, resolved, c);
	if (!c->rq) {
		snprintf(c->cause, sizeof(c->cause), "resolver busy: %s", pd_strerror(errno));
		fail_upstream(c, 503);
	}
}

/* ---- the head ---- */

static void set_host(struct conn *c, const char *h)
{
	snprintf(c->host, sizeof(c->host), "%s", h);
}

/* Forward listener: the request head. */
static void head_forward(struct conn *c)
{
	struct pd_http_request req;
	int status = 400, r;
	const char *reason = NULL;

	r = pd_http_parse_request(c->buf, c->len, &req, &status, &reason);
	if (r == 0) {
		if (c->len == c->cap) /* cannot happen: the parser refuses first */
			answer(c, 431, "paude: request head too large\n");
		return;
	}
	if (r < 0) {
		char body[200];

		snprintf(c->cause, sizeof(c->cause), "%s", reason ? reason : "bad request");
		snprintf(body, sizeof(body), "paude: bad request: %s\n", c->cause);
		audit(c, false, c->cause);
		return answer(c, status, body);
	}
	memcpy(c->method, req.method, sizeof(c->method));
	c->kind = req.connect ? "connect" : "http";
	c->http = !req.connect;
	c->has_body = req.body == PD_HTTP_BODY_CHUNKED ||
		      (req.body == PD_HTTP_BODY_LENGTH && req.content_length > 0);
	set_host(c, req.host);
	c->port = req.port;
	if (!req.connect && !req.absolute) {
		audit(c, false, "not a proxy request (origin-form)");
		return answer(c, 400, "paude: this is a proxy: use an absolute URI or CONNECT\n");
	}
	decide(c);
}

static bool looks_http(const char *b, size_t n)
{
	return n > 0 && b[0] >= 'A' && b[0] <= 'Z';
}

/* Transparent listener: the name the sandbox dialled, checked against SNI or Host. */
static void head_transparent(struct conn *c)
{
	struct sockaddr_in dst = { 0 };
	socklen_t dl = sizeof(dst);
	const char *mapped = NULL, *reason = NULL;
	char said[PD_TLS_SNI_NAME_MAX + 1] = "";

	if (getsockname(c->cfd, (struct sockaddr *)&dst, &dl) < 0 || dst.sin_family != AF_INET)
		return close_reset(c);
	c->port = c->listener->port;
	if (c->proxy->opts.synth && pd_synth_contains(c->proxy->opts.synth, dst.sin_addr)) {
		mapped = pd_synth_name(c->proxy->opts.synth, dst.sin_addr);
		if (!mapped) {
			inet_ntop(AF_INET, &dst.sin_addr, c->host, sizeof(c->host));
			return deny(c, "an address the sandbox's DNS never gave out");
		}
	}
	if (c->port == 443 || (c->len && (uint8_t)c->buf[0] == 0x16)) {
		int r = pd_tls_sni((const uint8_t *)c->buf, c->len, said, sizeof(said), &reason);

		snprintf(c->method, sizeof(c->method), "TLS");
		if (r == 0)
			return; /* more to come */
		if (r < 0)
			said[0] = '\0'; /* no usable SNI: the dialled name decides */
	} else if (c->port == 80 || looks_http(c->buf, c->len)) {
		struct pd_http_request req;
		int status, r = pd_http_parse_request(c->buf, c->len, &req, &status, &reason);

		c->http = true;
		if (r == 0)
			return;
		if (r < 0) {
			snprintf(c->cause, sizeof(c->cause), "%s", reason ? reason : "bad request");
			audit(c, false, c->cause);
			return answer(c, status, "paude: bad request\n");
		}
		memcpy(c->method, req.method, sizeof(c->method));
		snprintf(said, sizeof(said), "%.*s", (int)sizeof(said) - 1, req.host);
	}
	if (mapped) {
		set_host(c, mapped);
		if (said[0] && strcasecmp(said, mapped) != 0) {
			char why[160];

			snprintf(why, sizeof(why), "it asked for %.60s at the address of %.60s",
				 said, mapped);
			return deny(c, why);
		}
		return decide(c);
	}
	/* An IP the allowlist lists and routes here: only that IP, on this port. */
	inet_ntop(AF_INET, &dst.sin_addr, c->host, sizeof(c->host));
	decide(c);
}

static void on_head(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct conn *c = data;
	ssize_t n;

	(void)src;
	(void)events;
	n = recv(c->cfd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		snprintf(c->cause, sizeof(c->cause), "%s", pd_strerror(errno));
		return pd_conn_close(c);
	}
	if (n == 0) {
		snprintf(c->cause, sizeof(c->cause), "the client closed before a request");
		c->audited = true; /* nothing was asked: nothing to record */
		return pd_conn_close(c);
	}
	if (c->len == 0) { /* a request's time starts with its first byte */
		c->t0 = pd_proxy_now_ms();
		c->deadline = c->t0 + c->proxy->opts.head_timeout_ms;
	}
	c->len += (size_t)n;
	if (c->listener->transparent)
		return head_transparent(c);
	/* Past its first bytes (a bad method shows there at once), a head
	 * ends with a line end; a line too long shows within PARSE_STEP
	 * bytes: a client trickling bytes costs one parse per line (or
	 * step), not one per byte. */
	if (c->len - (size_t)n >= PARSE_EARLY && c->len < c->cap &&
	    c->len / PARSE_STEP == (c->len - (size_t)n) / PARSE_STEP &&
	    !memchr(c->buf + c->len - (size_t)n, '\n', (size_t)n))
		return;
	head_forward(c);
}

static void on_linger(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct conn *c = data;
	char sink[4096];

	(void)src;
	if (events & EPOLLOUT) {
		int r = flush(c->cfd, c->down, c->down_len, &c->down_off);

		if (r < 0)
			return pd_conn_close(c);
		if (r > 0)
			(void)shutdown(c->cfd, SHUT_WR);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = recv(c->cfd, sink, sizeof(sink), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return pd_conn_close(c);
	}
	want_events(c);
}

static void on_client(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct conn *c = data;

	switch (c->st) {
	case C_LINGER:
		return on_linger(src, events, data);
	case C_HEAD:
		return on_head(src, events, data);
	case C_RELAY:
		return relay_client(src, events, data);
	case C_RESOLVE:
	case C_CONNECT:
	default:
		return;
	}
}

void pd_conn_timeout(struct conn *c)
{
	switch (c->st) {
	case C_HEAD:
		snprintf(c->cause, sizeof(c->cause), "no complete request within %u ms",
			 c->proxy->opts.head_timeout_ms);
		if (c->len == 0) {
			c->audited = true;
			return pd_conn_close(c);
		}
		audit(c, false, c->cause);
		if (c->listener->transparent && !c->http)
			return close_reset(c);
		return answer(c, 408, "paude: request timed out\n");
	case C_CONNECT:
		snprintf(c->cause, sizeof(c->cause), "connection timed out");
		drop_upstream(c);
		c->ai++;
		if (c->ai < c->naddrs && c->ai < MAX_TRIES)
			return try_next(c);
		return fail_upstream(c, 504);
	case C_RELAY:
		snprintf(c->cause, sizeof(c->cause), "idle for %u ms",
			 c->proxy->opts.idle_timeout_ms);
		return pd_conn_close(c);
	case C_LINGER:
	case C_RESOLVE:
	default:
		return pd_conn_close(c);
	}
}

void pd_conn_start(struct pd_proxy *p, int fd, struct listener *l)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c)
		c->cap = l->transparent ? PD_TLS_SNI_NEED_MAX : PD_HTTP_HEAD_MAX;
	if (c)
		c->buf = malloc(c->cap);
	if (!c || !c->buf) {
		free(c);
		close(fd);
		return;
	}
	c->proxy = p;
	c->listener = l;
	c->cfd = fd;
	c->ufd = -1;
	c->c2u.pipe[0] = c->c2u.pipe[1] = c->u2c.pipe[0] = c->u2c.pipe[1] = -1;
	c->c2u.limit = c->u2c.limit = UINT64_MAX;
	c->c2u.cap = c->u2c.cap = PIPE_CAP;
	c->kind = l->transparent ? "transparent" : "connect";
	c->st = C_HEAD;
	c->t0 = pd_proxy_now_ms();
	c->deadline = c->t0 + p->opts.head_timeout_ms;
	c->next = p->conns;
	if (p->conns)
		p->conns->prev = c;
	p->conns = c;
	p->nconns++;
	c->csrc = pd_loop_add_fd(p->loop, fd, EPOLLIN, on_client, c, "client", NULL);
	if (!c->csrc) {
		c->audited = true;
		return pd_conn_close(c);
	}
	/* A protocol where the server speaks first (ssh): nothing to wait for. */
	if (l->transparent && l->port != 80 && l->port != 443)
		head_transparent(c);
}
