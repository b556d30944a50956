/* SPDX-License-Identifier: MIT */
/*
 * link.h - the few rtnetlink operations the gateway needs, over libnl-route-3,
 * each on a socket of the netns the caller is in.  Internal to netfilter/.
 */
#ifndef PAUDE_NETFILTER_LINK_H
#define PAUDE_NETFILTER_LINK_H

#include "common/error.h"

#include <netinet/in.h>
#include <stdint.h>

struct nl_sock;

struct nl_sock *pd_nl_open(struct pd_error *err);
void pd_nl_close(struct nl_sock *sk);

/* A veth pair: @name here, @peer_name created directly in @peer_netns. */
int pd_nl_veth(struct nl_sock *sk, const char *name, const char *peer_name, int peer_netns,
	       struct pd_error *err);
/* The index of @name, or -1 with @err. */
int pd_nl_ifindex(struct nl_sock *sk, const char *name, struct pd_error *err);
int pd_nl_up(struct nl_sock *sk, const char *name, struct pd_error *err);
int pd_nl_addr4(struct nl_sock *sk, int ifindex, struct in_addr a, uint8_t prefix,
		struct pd_error *err);
/*
 * A route to @dst/@prefix: through @via on @ifindex when @via is not 0.0.0.0,
 * else a local (AnyIP) route on @ifindex in the local table.
 */
int pd_nl_route4(struct nl_sock *sk, int ifindex, struct in_addr dst, uint8_t prefix,
		 struct in_addr via, struct pd_error *err);

#endif
