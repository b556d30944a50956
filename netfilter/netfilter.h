/* SPDX-License-Identifier: MIT */
/*
 * netfilter.h - the sandbox's network: a veth pair to a gateway namespace.
 *
 * Theory of operation (docs/NETWORK.md has the whole argument)
 * ------------------------------------------------------------
 * The sandbox's network namespace gets one interface, eth0, the sandbox
 * end of a veth pair whose other end, pd-gw, lives in a gateway network
 * namespace made for this sandbox.  Both namespaces belong to the
 * sandbox's user namespace, so everything here runs rootless too, from a
 * short-lived helper that is root there (pd_userns_helper), and nothing in
 * the host's network changes: no host interface, route, rule or sysctl.
 *
 *   sandbox netns                      gateway netns
 *   eth0 10.0.2.100/24  <--veth-->     pd-gw 10.0.2.2/24
 *   routes: 10.0.2.0/24 (link),        local (AnyIP) routes: the synthetic
 *           synthetic range and the    range and the allowlist's IP/CIDR
 *           allowlist's IP/CIDR        entries, so a listener on 0.0.0.0
 *           entries via 10.0.2.2;      accepts a connection to any of them;
 *           no default route: any      listening sockets for the proxy
 *           other destination is       (10.0.2.2:3128), DNS (10.0.2.2:53,
 *           ENETUNREACH at once;       udp and tcp) and the transparent
 *           IPv6 disabled.             ports, made here and passed to paude.
 *
 * The gateway forwards nothing: forwarding is off and it has no route
 * anywhere but its own subnet and lo.  Its only way out is paude's own
 * sockets: paude (in the netns it was started in) accepts on the listening
 * sockets and makes the upstream connections itself.
 *
 * pd_net_build() is the helper's body; it never touches the netns it was
 * started in (the first thing it does is unshare a new one).
 */
#ifndef PAUDE_NETFILTER_H
#define PAUDE_NETFILTER_H

#include "common/error.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define PD_NET_MAX_PORTS 24  /* transparent listener ports */
#define PD_NET_MAX_ROUTES 64 /* IPv4 CIDRs routed to the gateway */

struct pd_net_cidr {
	struct in_addr net;
	uint8_t prefix;
};

struct pd_net_plan {
	struct in_addr gateway;                       /* pd-gw's address: proxy and DNS */
	struct in_addr sandbox;                       /* eth0's address */
	uint8_t prefix;                               /* of both, on the link */
	struct pd_net_cidr routes[PD_NET_MAX_ROUTES]; /* routed to the gateway, local there */
	size_t nroutes;
	uint16_t proxy_port;              /* on the gateway's address */
	uint16_t dns_port;                /* udp and tcp, on the gateway's address */
	uint16_t ports[PD_NET_MAX_PORTS]; /* transparent: on 0.0.0.0 in the gateway */
	size_t nports;
};

/* The fds pd_net_build() makes, in this order. */
enum pd_net_fd {
	PD_NET_FD_GWNS,    /* the gateway netns (for later listeners) */
	PD_NET_FD_PROXY,   /* listening tcp */
	PD_NET_FD_DNS_UDP, /* bound udp */
	PD_NET_FD_DNS_TCP, /* listening tcp */
	PD_NET_FD_PORTS,   /* then one listening tcp socket per plan port */
};

/*
 * pd_net_plan_default() - the addresses above, proxy 3128, DNS 53, no
 * routes or transparent ports yet.
 */
void pd_net_plan_default(struct pd_net_plan *plan);

/*
 * pd_net_plan_add_route() - route @net/@prefix to the gateway (and make it
 * local there).  Return: 0, or -1 with @err (full, or a bad prefix).
 */
int pd_net_plan_add_route(struct pd_net_plan *plan, struct in_addr net, uint8_t prefix,
			  struct pd_error *err);

/*
 * pd_net_build() - in a helper that is root of the sandbox's user namespace
 * (and still in the netns paude started in): make the gateway netns, the
 * veth pair into @sandbox_netns, addresses, routes, sysctls and the
 * listening sockets.  @fds gets PD_NET_FD_PORTS + plan->nports fds
 * (non-blocking, close-on-exec); the caller passes them on.
 * Return: 0, or -1 with @err; the helper then exits and what it made goes
 * with the namespaces.
 */
int pd_net_build(const struct pd_net_plan *plan, int sandbox_netns, int *fds, size_t cap,
		 struct pd_error *err);

/*
 * pd_net_listen_port() - in a helper inside the gateway netns: a listening
 * socket on 0.0.0.0:@port (a port a replaced allowlist adds).
 * Return: the fd, or -1 with @err.
 */
int pd_net_listen_port(uint16_t port, struct pd_error *err);

#endif
