/* SPDX-License-Identifier: MIT */
/*
 * sandbox_net.h - wire a created sandbox's network (netfilter/) from a
 * helper in its user namespace (runtime/), and take back the gateway's
 * listening sockets for the proxy (proxy/).  src/ is where the three meet.
 */
#ifndef PAUDE_SANDBOX_NET_H
#define PAUDE_SANDBOX_NET_H

#include "common/error.h"
#include "netfilter/netfilter.h"

struct pd_net_fds {
	int gwns;                    /* the gateway netns */
	int proxy;                   /* listening: the forward proxy */
	int dns_udp;                 /* bound: DNS */
	int dns_tcp;                 /* listening: DNS over tcp */
	int ports[PD_NET_MAX_PORTS]; /* listening: transparent, one per port */
	uint16_t port_nums[PD_NET_MAX_PORTS];
	size_t nports;
};

/*
 * pd_sandbox_net_attach() - build @plan for the sandbox whose user and
 * network namespace fds are @userns and @netns (between create and start).
 * Return: 0 with @out filled (the caller's fds now), or -1 with @err.
 */
int pd_sandbox_net_attach(int userns, int netns, const struct pd_net_plan *plan,
			  struct pd_net_fds *out, struct pd_error *err);

/*
 * pd_sandbox_net_listen() - one more transparent listener on @port in the
 * gateway netns @gwns of the sandbox whose user namespace is @userns.
 * Return: the fd, or -1 with @err.
 */
int pd_sandbox_net_listen(int userns, int gwns, uint16_t port, struct pd_error *err);

/* pd_net_fds_close() - close whatever @f holds (-1s are skipped). */
void pd_net_fds_close(struct pd_net_fds *f);
void pd_net_fds_init(struct pd_net_fds *f);

#endif
