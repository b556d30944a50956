/* SPDX-License-Identifier: MIT */
/*
 * proxy.h - paude's allowlist proxy: HTTP CONNECT, plain HTTP forwarding and
 * the transparent path, on the caller's event loop.
 *
 * Theory of operation
 * -------------------
 * The proxy owns listening sockets it is given (made in the gateway netns of
 * a sandbox, or on the host for `paude proxy`) and serves every connection
 * from the caller's one loop, non-blocking throughout:
 *
 *   head      the client's request head (forward listeners: CONNECT or an
 *             absolute-form request, parsed by http.c) or its first bytes
 *             (transparent listeners: a TLS ClientHello's SNI or an HTTP
 *             Host, and the synthetic address the client dialled, synth.c);
 *   verdict   the policy (policy.c) decides on the name and port; a denial
 *             is a 403 whose body names the host, the reason and the fix;
 *   resolve   on the host side (resolve.c, c-ares on the loop; --resolve
 *             pins first), each address checked again (no private address
 *             unless pinned or listed, no rebinding window: the address
 *             checked is the address connected);
 *   connect   each allowed address in turn, non-blocking; 502/504 with the
 *             cause when none answers;
 *   relay     splice() through a pipe each way for tunnels and bodies of a
 *             known length; a chunked request body is checked as it passes;
 *             half-closes passed on; idle, head and connect timeouts from
 *             one sweep timer.
 * Every decision is one audit line (audit.c).  The connection table is
 * bounded: when full, a new connection gets a 503 and is closed.
 */
#ifndef PAUDE_PROXY_PROXY_H
#define PAUDE_PROXY_PROXY_H

#include "common/error.h"
#include "common/loop.h"
#include "proxy/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_proxy;
struct pd_resolver;
struct pd_audit;
struct pd_synth;

struct pd_proxy_opts {
	const char *sandbox;          /* name in audit lines (may be NULL) */
	struct pd_audit *audit;       /* may be NULL: no audit lines */
	struct pd_resolver *resolver; /* required */
	struct pd_synth *synth;       /* the transparent path's names (may be NULL) */
	const struct pd_pin *pins;    /* --resolve, copied */
	size_t npins;
	const char *fix_hint;        /* the denial's fix: "paude run --allowed-domains" */
	size_t max_conns;            /* 0: PD_PROXY_MAX_CONNS */
	unsigned head_timeout_ms;    /* 0: 10 s */
	unsigned connect_timeout_ms; /* 0: 10 s */
	unsigned idle_timeout_ms;    /* 0: 10 min */
};

#define PD_PROXY_MAX_CONNS 2048

/*
 * pd_proxy_new() - a proxy serving on @loop with @policy (a reference is
 * taken).  Return: the proxy, or NULL with @err.
 */
struct pd_proxy *pd_proxy_new(struct pd_loop *loop, struct pd_policy *policy,
			      const struct pd_proxy_opts *opts, struct pd_error *err);

/*
 * pd_proxy_listen() - serve the listening socket @fd (the proxy owns it from
 * now on, also on failure): a forward proxy, or with @transparent the
 * transparent path of port @port.  Return: 0, or -1 with @err.
 */
int pd_proxy_listen(struct pd_proxy *p, int fd, bool transparent, uint16_t port,
		    struct pd_error *err);

/* pd_proxy_set_policy() - new connections use @policy (referenced) from now on. */
void pd_proxy_set_policy(struct pd_proxy *p, struct pd_policy *policy);

/* pd_proxy_policy() - the policy in force (no reference taken). */
struct pd_policy *pd_proxy_policy(const struct pd_proxy *p);

/*
 * pd_proxy_note_denial() - count a denial made elsewhere (the DNS server) in
 * the summary pd_proxy_denials() writes.
 */
void pd_proxy_note_denial(struct pd_proxy *p, const char *host);

/*
 * pd_proxy_denials() - "3 requests denied (evil.test ×2, 10.0.0.1)" into
 * @out; returns the number of denials (0: @out is "").
 */
uint64_t pd_proxy_denials(const struct pd_proxy *p, char *out, size_t cap);

/* pd_proxy_connections() - connections open now. */
size_t pd_proxy_connections(const struct pd_proxy *p);

/* pd_proxy_free() - close every connection and listener, remove every source. */
void pd_proxy_free(struct pd_proxy *p);

#endif
