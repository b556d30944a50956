/* SPDX-License-Identifier: MIT */
/*
 * resolve.h - asynchronous host name lookups on paude's event loop (c-ares).
 *
 * The allowlist proxy resolves upstream names without ever blocking its one
 * loop and without threads (the same process clones sandboxes, which needs
 * it single-threaded).  A struct pd_resolver is a c-ares channel whose
 * sockets and timeouts are sources of a struct pd_loop; each lookup is a
 * handle whose callback comes later, always from the loop:
 *
 *	r = pd_resolver_new(loop, NULL, err);      // servers of /etc/resolv.conf
 *	req = pd_resolve(r, "example.org", AF_UNSPEC, on_resolved, conn);
 *	if (!req)
 *		...errno: EAGAIN (too many pending), EINVAL...
 *	...
 *	pd_resolve_cancel(req);                    // if @conn goes away first
 *	pd_resolver_free(r);
 *
 *	static void on_resolved(void *data, int status, const struct pd_addr *addrs,
 *				size_t naddrs)
 *	{
 *		if (status < 0)
 *			...pd_resolve_strerror(status)...
 *	}
 *
 * Nothing here is thread-safe; everything runs on the loop's thread.  See
 * resolve.c for the details.
 */
#ifndef PAUDE_PROXY_RESOLVE_H
#define PAUDE_PROXY_RESOLVE_H

#include "common/error.h"
#include "common/loop.h"
#include "proxy/addr.h"

#include <stddef.h>

struct pd_resolver;
struct pd_resolve_req;

/* The most addresses a callback gets. */
#define PD_RESOLVE_MAX_ADDRS 16

/* Defaults for the fields of struct pd_resolver_opts left 0. */
#define PD_RESOLVE_TIMEOUT_MS 2000
#define PD_RESOLVE_TRIES 2
#define PD_RESOLVE_MAX_PENDING 1024

/* How a resolver asks; a NULL opts or a 0 field means the default. */
struct pd_resolver_opts {
	/*
	 * The servers to ask, in c-ares' CSV form: "127.0.0.1:5353,[::1]:53"
	 * (the port is optional; 53).  Then only DNS is asked: /etc/hosts is
	 * not read.  NULL: the nameservers of /etc/resolv.conf, and the
	 * lookup order of the system (usually /etc/hosts, then DNS).
	 */
	const char *servers;
	unsigned timeout_ms;  /* per try and server (c-ares doubles it on later rounds) */
	unsigned tries;       /* rounds over the server list */
	unsigned max_pending; /* lookups held at once (see pd_resolve()) */
};

/*
 * A lookup ended.  Called from the loop only, never from inside pd_resolve(),
 * and exactly once per handle that was neither cancelled nor freed with its
 * resolver.  The handle is released when the callback returns (cancelling it
 * from its own callback does nothing).
 * @data: as given to pd_resolve()
 * @status: 0, or a negative errno value:
 *          -ENOENT       the name does not exist (NXDOMAIN), or has no
 *                        address of the asked family (NODATA; an IP literal
 *                        of the other family)
 *          -ETIMEDOUT    no server answered in time
 *          -ECONNREFUSED the servers refused: a REFUSED answer (c-ares 1.18
 *                        also reports SERVFAIL and NOTIMP so), or the
 *                        port was closed (ICMP unreachable)
 *          -EINVAL       the name is not a valid DNS name (c-ares' EBADNAME)
 *          -ENOMEM       c-ares ran out of memory
 *          -EIO          anything else (a malformed answer, ...)
 *          pd_resolve_strerror() gives a message for each.
 * @addrs: with status 0, the addresses (never with status < 0: NULL); IPv4
 *         ones first, then IPv6 ones, each family in c-ares' (the answer's)
 *         order, without duplicates, at most PD_RESOLVE_MAX_ADDRS in all
 *         (IPv4 ones fill the list first).  Valid only during the call.
 * @naddrs: how many; at least 1 when @status is 0
 */
typedef void (*pd_resolve_fn)(void *data, int status, const struct pd_addr *addrs, size_t naddrs);

/*
 * pd_resolver_new() - a resolver whose sockets and timer are sources of @loop.
 * @loop: the loop; it must outlive the resolver
 * @opts: may be NULL (all defaults)
 * @err: filled on failure
 *
 * Search domains are never applied: a name is looked up as given.  The
 * first resolver of the process initialises the c-ares library
 * (ares_library_init), the last one freed releases it.
 *
 * Return: the resolver, or NULL with @err set (EINVAL: a bad @opts->servers).
 */
struct pd_resolver *pd_resolver_new(struct pd_loop *loop, const struct pd_resolver_opts *opts,
				    struct pd_error *err);

/*
 * pd_resolver_free() - drop every pending lookup WITHOUT calling its callback,
 * remove every loop source the resolver registered and close its sockets.
 * Not from a resolve callback (nor from any callback while one of this
 * resolver's callbacks is running).  Every handle of @r becomes invalid.
 * @r: may be NULL
 */
void pd_resolver_free(struct pd_resolver *r);

/*
 * pd_resolve() - start looking up @name's addresses.
 * @r: the resolver
 * @name: a host name, or an IPv4 (dotted quad) or IPv6 literal without
 *        brackets; a literal is answered without any query (still through
 *        the loop).  Copied.
 * @family: AF_UNSPEC (A and AAAA), AF_INET (A) or AF_INET6 (AAAA)
 * @fn: the callback, see pd_resolve_fn
 * @data: passed to @fn
 *
 * A lookup holds one of the resolver's max_pending slots from this call
 * until its callback returned, or, once cancelled, until c-ares has let go
 * of it (its answer came or timed out): cancelling does not free a slot at
 * once, so a client that starts and cancels lookups in a loop cannot grow
 * the resolver's memory.
 *
 * Return: the handle, valid until the callback returns or pd_resolve_cancel();
 * or NULL with errno set (then @fn is never called): EAGAIN when max_pending
 * lookups are already held, EINVAL for a NULL or empty @name, a NULL @fn or
 * another @family.
 */
struct pd_resolve_req *pd_resolve(struct pd_resolver *r, const char *name, int family,
				  pd_resolve_fn fn, void *data);

/*
 * pd_resolve_cancel() - forget a lookup: its callback will not be called and
 * the handle is invalid from now on.  The query c-ares sent goes on and its
 * answer is dropped (see pd_resolve() for its slot).  Safe from any callback,
 * including another lookup's callback; from the lookup's own callback it
 * does nothing.
 * @req: may be NULL
 */
void pd_resolve_cancel(struct pd_resolve_req *req);

/*
 * pd_resolver_pending() - how many max_pending slots are held: lookups not
 * yet delivered, and cancelled ones c-ares still works on.
 * @r: the resolver
 */
size_t pd_resolver_pending(const struct pd_resolver *r);

/*
 * pd_resolve_strerror() - a message for a callback's status, e.g. "name does
 * not resolve" (-ENOENT), "DNS timed out" (-ETIMEDOUT).
 * @status: 0 or a negative status of pd_resolve_fn
 *
 * Return: a string constant, never NULL.
 */
const char *pd_resolve_strerror(int status);

#endif
