/* SPDX-License-Identifier: MIT */
/*
 * resolve.c - asynchronous host name lookups on paude's event loop.
 *
 * Theory of operation
 *
 * c-ares 1.18 has no threads of its own: a channel opens its sockets,
 * tells the application which of them to watch through its socket-state
 * callback (ARES_OPT_SOCK_STATE_CB) and does its work when the application
 * calls ares_process_fd().  So a struct pd_resolver is one ares_channel and
 * the loop sources that drive it:
 *
 *  - one fd source per c-ares socket ("dns"), added, changed (EPOLLIN,
 *    EPOLLOUT) and removed from on_sock_state() as c-ares asks.  c-ares
 *    reports a socket closed (0, 0) before it closes it, so the source is
 *    always gone before its fd number can be reused.  A ready socket gets
 *    exactly one ares_process_fd(channel, rfd, wfd) per wake-up (c-ares reads
 *    what that socket has queued, which is bounded by its receive buffer).
 *  - one timer source ("dns-timer"), re-armed after every c-ares activity
 *    (a lookup started, a socket served, the timer itself) from
 *    ares_timeout() (whole milliseconds, plus one), and disarmed when
 *    c-ares has nothing in flight.  When it fires, c-ares handles its
 *    timeouts through ares_process_fd(channel, ARES_SOCKET_BAD,
 *    ARES_SOCKET_BAD).  ares_timeout() is linear in the queries in flight,
 *    which max_pending bounds.
 *
 * c-ares 1.18 makes its sockets close-on-exec with fcntl() right after
 * socket(): not atomic, but this process has one thread, so no clone can
 * come in between.
 *
 * Without ARES_FLAG_STAYOPEN, c-ares closes its sockets when its last query
 * ends, so an idle resolver has no fd source and a disarmed timer: it never
 * keeps pd_loop_run() going.
 *
 * Never synchronous.  c-ares sometimes calls a getaddrinfo callback from
 * inside ares_getaddrinfo() itself (an /etc/hosts hit, a ".onion" name, a
 * send that fails at once), and IP literals are answered here without c-ares
 * (c-ares 1.18 sends DNS queries for an IPv4 literal with AF_UNSPEC).  A
 * caller must never see its callback before pd_resolve() returned, so any
 * completion that arrives while pd_resolve() runs (r->starting) is stored in
 * the request and queued on r->ready; the timer is then armed for 1 ms and
 * its callback delivers the queue (the batch it detached first: lookups that
 * complete meanwhile wait for the next expiry), in order.  Completions that
 * come from ares_process_fd() are delivered at once: that already is the
 * loop.
 *
 * A request's life.  pd_resolve() allocates a struct pd_resolve_req and
 * gives it to c-ares as the callback argument (in_cares).  on_addrinfo()
 * copies the answer into the request (v4 first, then v6, duplicates and
 * other families dropped, PD_RESOLVE_MAX_ADDRS at most), frees c-ares'
 * result and either queues the request (see above) or delivers it: the
 * callback runs with `delivering` set, and the request is freed after it
 * returns.  c-ares has no way to cancel one query (ares_cancel() ends them
 * all), so pd_resolve_cancel() on a request c-ares still holds only marks it
 * `cancelled`: on_addrinfo() frees it when its answer, timeout or error
 * comes, without a call.  A cancelled request that is already queued is
 * unlinked and freed at once.  Every live request counts in r->pending,
 * which max_pending caps.
 *
 * Freeing.  pd_resolver_free() sets r->destroying and calls ares_destroy(),
 * which ends every query with ARES_EDESTRUCTION (c-ares 1.18 may also
 * report ARES_SUCCESS for a getaddrinfo whose A answer came but whose AAAA
 * did not): on_addrinfo() frees each request silently, and c-ares' socket
 * callbacks remove the fd sources.  The queued requests are freed, the
 * timer removed, and the c-ares library reference dropped.
 *
 * Statuses: ARES_SUCCESS -> 0; ARES_ENOTFOUND, ARES_ENODATA -> -ENOENT;
 * ARES_ETIMEOUT -> -ETIMEDOUT; ARES_ECONNREFUSED, ARES_EREFUSED ->
 * -ECONNREFUSED (c-ares 1.18 moves on to the next server after a SERVFAIL,
 * NOTIMP or REFUSED answer and, when none is left, ends the query with its
 * initial ARES_ECONNREFUSED; later versions report ARES_EREFUSED or
 * ARES_ESERVFAIL); ARES_EBADNAME -> -EINVAL; ARES_ENOMEM -> -ENOMEM;
 * ARES_ECANCELLED, ARES_EDESTRUCTION -> never delivered (this file never
 * calls ares_cancel(), so they only come from ares_destroy()); anything
 * else -> -EIO.  Search domains are off (ARES_OPT_DOMAINS with none): a proxy
 * must resolve exactly the name it was given.
 */
#include "proxy/resolve.h"
#include "common/lazylib.h"
#include "common/log.h"
#include "common/util.h"

#include <ares.h>
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* A circular doubly linked list with a head node: unlinking needs no head. */
struct link {
	struct link *prev, *next;
};

static void link_init(struct link *h)
{
	h->prev = h;
	h->next = h;
}

static bool link_empty(const struct link *h)
{
	return h->next == h;
}

static void link_add_tail(struct link *h, struct link *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static void link_del(struct link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	link_init(n);
}

/* Unlinks and returns the first node of the non-empty list @h. */
static struct link *link_pop(struct link *h)
{
	struct link *n = h->next;

	h->next = n->next;
	n->next->prev = h;
	link_init(n);
	return n;
}

/* Moves every node of @from to the empty list @to. */
static void link_splice(struct link *from, struct link *to)
{
	link_init(to);
	if (link_empty(from))
		return;
	to->next = from->next;
	to->prev = from->prev;
	to->next->prev = to;
	to->prev->next = to;
	link_init(from);
}

/* One c-ares socket and its loop source. */
struct sock {
	struct link link; /* r->socks */
	struct pd_resolver *r;
	int fd;
	uint32_t events;
	struct pd_loop_source *src;
};

struct pd_resolve_req {
	struct link link; /* r->ready (or a batch being delivered) while queued */
	struct pd_resolver *r;
	pd_resolve_fn fn;
	void *data;
	int family;
	bool in_cares;   /* c-ares holds it: on_addrinfo() will come */
	bool queued;     /* on r->ready or a batch */
	bool cancelled;  /* no callback; freed when c-ares lets go */
	bool delivering; /* its callback is running */
	int status;
	size_t naddrs;
	struct pd_addr addrs[PD_RESOLVE_MAX_ADDRS];
};

struct pd_resolver {
	struct pd_loop *loop;
	ares_channel channel;
	bool channel_ok;
	struct pd_loop_source *timer;
	bool timer_armed;
	struct link socks; /* struct sock */
	struct link ready; /* struct pd_resolve_req completed, to deliver from the timer */
	size_t pending;
	size_t max_pending;
	unsigned starting;   /* pd_resolve() calls running (nested from callbacks) */
	unsigned delivering; /* callbacks running */
	bool destroying;
	bool lib_ref;
};

/* ares_library_init() references taken by live resolvers (one thread: no lock). */
static unsigned lib_refs;

static int lib_get(struct pd_error *err)
{
	int rc;

	if (lib_refs++ > 0)
		return 0;
	if (pd_lazy_cares(err) < 0) {
		lib_refs--;
		return -1;
	}
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		lib_refs--;
		return pd_error_set_msg(err, rc == ARES_ENOMEM ? ENOMEM : EIO,
					"initialize c-ares: %s", ares_strerror(rc));
	}
	return 0;
}

static void lib_put(void)
{
	assert(lib_refs > 0);
	if (--lib_refs == 0)
		ares_library_cleanup();
}

static int map_status(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		return -ENOENT;
	case ARES_ETIMEOUT:
		return -ETIMEDOUT;
	case ARES_ECONNREFUSED:
	case ARES_EREFUSED:
		return -ECONNREFUSED;
	case ARES_EBADNAME:
		return -EINVAL;
	case ARES_ENOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

const char *pd_resolve_strerror(int status)
{
	switch (status) {
	case 0:
		return "resolved";
	case -ENOENT:
		return "name does not resolve";
	case -ETIMEDOUT:
		return "DNS timed out";
	case -ECONNREFUSED:
		return "DNS server refused";
	case -EAGAIN:
		return "too many DNS lookups pending";
	case -EINVAL:
		return "invalid host name";
	case -ENOMEM:
		return "out of memory resolving";
	case -EIO:
		return "DNS failure";
	default:
		return "DNS lookup failed";
	}
}

/* ---- timer ---- */

/*
 * Arms the timer for what comes first: queued completions (1 ms) or c-ares'
 * next timeout plus 1 ms (ares_timeout() truncates to whole milliseconds: an
 * expiry just before the query's deadline would only re-arm), so at least
 * 1 ms; disarms it when neither exists.
 */
static void rearm(struct pd_resolver *r)
{
	uint64_t ms = 0;

	if (!link_empty(&r->ready)) {
		ms = 1;
	} else {
		struct timeval tv;
		const struct timeval *tvp = ares_timeout(r->channel, NULL, &tv);

		if (tvp)
			ms = 1 + (uint64_t)tvp->tv_sec * 1000 +
			     ((uint64_t)tvp->tv_usec + 999) / 1000;
	}
	if (ms == 0 && !r->timer_armed)
		return;
	/*
	 * timerfd_settime() on a valid timerfd with valid values cannot fail;
	 * were it to, c-ares' timeouts would wait for the next socket event.
	 */
	if (pd_loop_timer_set(r->timer, ms, false, NULL) == 0)
		r->timer_armed = ms != 0;
}

static void req_free(struct pd_resolve_req *req)
{
	struct pd_resolver *r = req->r;

	if (req->queued)
		link_del(&req->link);
	assert(r->pending > 0);
	r->pending--;
	free(req);
}

static void deliver(struct pd_resolve_req *req)
{
	struct pd_resolver *r = req->r;

	req->delivering = true;
	r->delivering++;
	req->fn(req->data, req->status, req->status == 0 ? req->addrs : NULL,
		req->status == 0 ? req->naddrs : 0);
	r->delivering--;
	req_free(req);
}

static void on_timer(struct pd_loop_source *src, uint64_t expirations, void *data)
{
	struct pd_resolver *r = data;
	struct link batch;

	(void)src;
	(void)expirations;
	r->timer_armed = false;
	/* Only what was queued before now: callbacks may queue more. */
	link_splice(&r->ready, &batch);
	while (!link_empty(&batch)) {
		struct pd_resolve_req *req =
			container_of(link_pop(&batch), struct pd_resolve_req, link);

		req->queued = false;
		deliver(req);
	}
	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm(r);
}

/* ---- sockets ---- */

static struct sock *sock_find(struct pd_resolver *r, int fd)
{
	for (struct link *l = r->socks.next; l != &r->socks; l = l->next) {
		struct sock *s = container_of(l, struct sock, link);

		if (s->fd == fd)
			return s;
	}
	return NULL;
}

static void sock_free(struct sock *s)
{
	pd_loop_remove(s->src);
	link_del(&s->link);
	free(s);
}

static void on_sock(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct sock *s = data;
	/* c-ares may close the socket (and free @s) while it works. */
	struct pd_resolver *r = s->r;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	(void)src;
	if ((s->events & EPOLLIN) && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		rfd = s->fd;
	if ((s->events & EPOLLOUT) && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		wfd = s->fd;
	ares_process_fd(r->channel, rfd, wfd);
	rearm(r);
}

/* c-ares' socket-state callback: (0, 0) comes before it closes @fd. */
static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct pd_resolver *r = data;
	struct sock *s = sock_find(r, fd);
	struct pd_error err = { 0 };
	uint32_t events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

	if (!events) {
		if (s)
			sock_free(s);
		return;
	}
	if (s) {
		if (s->events != events && pd_loop_fd_set_events(s->src, events, NULL) == 0)
			s->events = events;
		return;
	}
	s = pd_xcalloc(1, sizeof(*s));
	s->r = r;
	s->fd = fd;
	s->events = events;
	s->src = pd_loop_add_fd(r->loop, fd, events, on_sock, s, "dns", &err);
	if (!s->src) {
		/* Unwatched: its queries end through c-ares' timeouts. */
		pd_note("DNS lookups will time out: %s", err.msg);
		free(s);
		return;
	}
	link_add_tail(&r->socks, &s->link);
}

/* ---- answers ---- */

static bool have_addr(const struct pd_resolve_req *req, const struct pd_addr *a)
{
	for (size_t i = 0; i < req->naddrs; i++) {
		const struct pd_addr *b = &req->addrs[i];

		if (b->family != a->family)
			continue;
		if (a->family == AF_INET ? b->v4.s_addr == a->v4.s_addr
					 : !memcmp(&b->v6, &a->v6, sizeof(a->v6)))
			return true;
	}
	return false;
}

static void add_addr(struct pd_resolve_req *req, const struct pd_addr *a)
{
	if (req->naddrs < PD_RESOLVE_MAX_ADDRS && !have_addr(req, a))
		req->addrs[req->naddrs++] = *a;
}

/* Copies @ai's addresses of @family into @req. */
static void take_family(struct pd_resolve_req *req, const struct ares_addrinfo *ai, int family)
{
	for (const struct ares_addrinfo_node *n = ai->nodes; n; n = n->ai_next) {
		struct pd_addr a = { .family = family };

		if (n->ai_family != family || !n->ai_addr)
			continue;
		if (family == AF_INET &&
		    n->ai_addrlen >= (ares_socklen_t)sizeof(struct sockaddr_in))
			a.v4 = ((const struct sockaddr_in *)(const void *)n->ai_addr)->sin_addr;
		else if (family == AF_INET6 &&
			 n->ai_addrlen >= (ares_socklen_t)sizeof(struct sockaddr_in6))
			a.v6 = ((const struct sockaddr_in6 *)(const void *)n->ai_addr)->sin6_addr;
		else
			continue;
		add_addr(req, &a);
	}
}

/* c-ares' getaddrinfo callback. */
static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct pd_resolve_req *req = arg;
	struct pd_resolver *r = req->r;

	(void)timeouts;
	req->in_cares = false;
	if (req->cancelled || r->destroying || status == ARES_ECANCELLED ||
	    status == ARES_EDESTRUCTION) {
		ares_freeaddrinfo(ai);
		req_free(req);
		return;
	}
	req->status = map_status(status);
	req->naddrs = 0;
	if (req->status == 0 && ai) {
		if (req->family != AF_INET6)
			take_family(req, ai, AF_INET);
		if (req->family != AF_INET)
			take_family(req, ai, AF_INET6);
	}
	if (req->status == 0 && req->naddrs == 0)
		req->status = -ENOENT;
	ares_freeaddrinfo(ai);
	if (r->starting) {
		req->queued = true;
		link_add_tail(&r->ready, &req->link);
		return; /* pd_resolve() re-arms the timer */
	}
	deliver(req);
}

/* An IP literal: answered here, through the ready queue.  Return: whether @name is one. */
static bool literal(struct pd_resolve_req *req, const char *name)
{
	struct pd_addr a = { 0 };

	if (inet_pton(AF_INET, name, &a.v4) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, name, &a.v6) == 1)
		a.family = AF_INET6;
	else
		return false;
	if (req->family == AF_UNSPEC || req->family == a.family) {
		req->status = 0;
		req->addrs[0] = a;
		req->naddrs = 1;
	} else {
		req->status = -ENOENT;
	}
	return true;
}

struct pd_resolve_req *pd_resolve(struct pd_resolver *r, const char *name, int family,
				  pd_resolve_fn fn, void *data)
{
	struct ares_addrinfo_hints hints = {
		.ai_flags = ARES_AI_NOSORT,
		.ai_family = family,
		.ai_socktype = SOCK_STREAM,
	};
	struct pd_resolve_req *req;

	if (!name || !*name || !fn ||
	    (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)) {
		errno = EINVAL;
		return NULL;
	}
	if (r->pending >= r->max_pending) {
		errno = EAGAIN;
		return NULL;
	}
	req = pd_xcalloc(1, sizeof(*req));
	req->r = r;
	req->fn = fn;
	req->data = data;
	req->family = family;
	link_init(&req->link);
	r->pending++;
	if (literal(req, name)) {
		req->queued = true;
		link_add_tail(&r->ready, &req->link);
	} else {
		req->in_cares = true;
		r->starting++;
		ares_getaddrinfo(r->channel, name, NULL, &hints, on_addrinfo, req);
		r->starting--;
	}
	rearm(r);
	return req;
}

void pd_resolve_cancel(struct pd_resolve_req *req)
{
	if (!req || req->delivering || req->cancelled)
		return;
	if (req->in_cares) {
		req->cancelled = true;
		req->fn = NULL;
		req->data = NULL;
		return;
	}
	req_free(req);
}

size_t pd_resolver_pending(const struct pd_resolver *r)
{
	return r->pending;
}

struct pd_resolver *pd_resolver_new(struct pd_loop *loop, const struct pd_resolver_opts *opts,
				    struct pd_error *err)
{
	static char lookups_dns[] = "b";
	struct pd_resolver_opts o = opts ? *opts : (struct pd_resolver_opts){ 0 };
	struct ares_options ao = { 0 };
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_DOMAINS;
	struct pd_resolver *r;
	int rc;

	if (o.servers && !*o.servers) {
		pd_error_set_msg(err, EINVAL, "DNS servers: the list is empty");
		return NULL;
	}
	r = pd_xcalloc(1, sizeof(*r));
	r->loop = loop;
	r->max_pending = o.max_pending ? o.max_pending : PD_RESOLVE_MAX_PENDING;
	link_init(&r->socks);
	link_init(&r->ready);
	if (lib_get(err) < 0)
		goto fail;
	r->lib_ref = true;

	ao.sock_state_cb = on_sock_state;
	ao.sock_state_cb_data = r;
	ao.timeout = (int)(o.timeout_ms ? (o.timeout_ms > INT_MAX ? INT_MAX : o.timeout_ms)
					: PD_RESOLVE_TIMEOUT_MS);
	ao.tries = (int)(o.tries ? (o.tries > 64 ? 64 : o.tries) : PD_RESOLVE_TRIES);
	ao.ndomains = 0; /* no search list */
	ao.domains = NULL;
	if (o.servers) {
		mask |= ARES_OPT_LOOKUPS;
		ao.lookups = lookups_dns;
	}
	rc = ares_init_options(&r->channel, &ao, mask);
	if (rc != ARES_SUCCESS) {
		pd_error_set_msg(err, rc == ARES_ENOMEM ? ENOMEM : EIO,
				 "initialize the DNS resolver: %s", ares_strerror(rc));
		goto fail;
	}
	r->channel_ok = true;
	if (o.servers) {
		rc = ares_set_servers_ports_csv(r->channel, o.servers);
		if (rc != ARES_SUCCESS) {
			pd_error_set_msg(err, rc == ARES_ENOMEM ? ENOMEM : EINVAL,
					 "DNS servers \"%s\": %s", o.servers, ares_strerror(rc));
			goto fail;
		}
	}
	r->timer = pd_loop_add_timer(loop, 0, false, on_timer, r, "dns-timer", err);
	if (!r->timer) {
		pd_error_wrap(err, "DNS resolver");
		goto fail;
	}
	return r;
fail:
	pd_resolver_free(r);
	return NULL;
}

void pd_resolver_free(struct pd_resolver *r)
{
	if (!r)
		return;
	assert(r->delivering == 0);
	r->destroying = true;
	/* Ends every query (on_addrinfo() frees each request) and closes the sockets. */
	if (r->channel_ok)
		ares_destroy(r->channel);
	while (!link_empty(&r->ready)) {
		struct pd_resolve_req *req =
			container_of(link_pop(&r->ready), struct pd_resolve_req, link);

		req->queued = false;
		req_free(req);
	}
	while (!link_empty(&r->socks))
		sock_free(container_of(link_pop(&r->socks), struct sock, link));
	assert(r->pending == 0);
	pd_loop_remove(r->timer);
	if (r->lib_ref)
		lib_put();
	free(r);
}
