/* SPDX-License-Identifier: MIT */
/*
 * dns_server.h - the sandbox's resolver: answers allowlisted names only.
 *
 * Theory of operation
 * -------------------
 * It runs on the gateway's address (udp and tcp sockets made in the
 * gateway netns) from paude's own loop, and it never sends a query
 * anywhere: an allowlisted name gets one A record, a synthetic address
 * (synth.c) that the gateway accepts connections for and the transparent
 * path routes by name; an allowlisted name asked for another type (AAAA:
 * the sandbox has no IPv6; MX, TXT, ...) gets NOERROR without records, so
 * stub resolvers still use the A answer; every other name, PTR queries and
 * IP literals included, gets NXDOMAIN.  Nothing about a name that is not
 * allowlisted leaves the sandbox, so DNS cannot carry data out.  Each
 * query is an audit line; denied names count in the proxy's summary.
 */
#ifndef PAUDE_PROXY_DNS_SERVER_H
#define PAUDE_PROXY_DNS_SERVER_H

#include "common/error.h"
#include "common/loop.h"

#include <stdint.h>

struct pd_proxy;
struct pd_synth;
struct pd_audit;
struct pd_dns_server;

struct pd_dns_server_opts {
	struct pd_proxy *proxy; /* its policy decides; its tally counts denials */
	struct pd_synth *synth; /* the addresses handed out */
	struct pd_audit *audit; /* may be NULL */
	const char *sandbox;    /* name in audit lines */
	uint32_t ttl;           /* 0: 30 s */
};

/*
 * pd_dns_server_new() - serve @udp_fd (bound) and @tcp_fd (listening, or -1)
 * on @loop; the server owns both fds from now on, also on failure.
 * Return: the server, or NULL with @err.
 */
struct pd_dns_server *pd_dns_server_new(struct pd_loop *loop, int udp_fd, int tcp_fd,
					const struct pd_dns_server_opts *opts,
					struct pd_error *err);

/* pd_dns_server_free() - close its sockets and connections, remove its sources. */
void pd_dns_server_free(struct pd_dns_server *s);

#endif
