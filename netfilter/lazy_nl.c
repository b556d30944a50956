/* SPDX-License-Identifier: MIT */
/*
 * lazy_nl.c - the libnl-3 and libnl-route-3 functions netfilter/ calls,
 * forwarded to libnl loaded on first use (see common/lazylib.h).
 * libnl-route-3 needs libnl-3, so loading it resolves both sets.
 */
#include "common/lazylib.h"

#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#define AD struct nl_addr *
#define LK struct rtnl_link *
#define RT struct rtnl_route *
#define NH struct rtnl_nexthop *
#define SK struct nl_sock *

#define FNS(X, V) \
	X(SK, nl_socket_alloc, (void), ()) \
	V(nl_socket_free, (SK s), (s)) \
	X(int, nl_connect, (SK s, int proto), (s, proto)) \
	X(const char *, nl_geterror, (int e), (e)) \
	X(AD, nl_addr_build, (int family, const void *buf, size_t n), (family, buf, n)) \
	V(nl_addr_put, (AD a), (a)) \
	V(nl_addr_set_prefixlen, (AD a, int n), (a, n)) \
	X(struct rtnl_addr *, rtnl_addr_alloc, (void), ()) \
	V(rtnl_addr_put, (struct rtnl_addr * a), (a)) \
	X(int, rtnl_addr_add, (SK s, struct rtnl_addr * a, int f), (s, a, f)) \
	V(rtnl_addr_set_family, (struct rtnl_addr * a, int f), (a, f)) \
	V(rtnl_addr_set_ifindex, (struct rtnl_addr * a, int i), (a, i)) \
	X(int, rtnl_addr_set_local, (struct rtnl_addr * a, AD l), (a, l)) \
	X(LK, rtnl_link_alloc, (void), ()) \
	V(rtnl_link_put, (LK l), (l)) \
	X(int, rtnl_link_add, (SK s, LK l, int f), (s, l, f)) \
	X(int, rtnl_link_change, (SK s, LK o, LK n, int f), (s, o, n, f)) \
	X(int, rtnl_link_get_kernel, (SK s, int i, const char *n, LK *out), (s, i, n, out)) \
	X(int, rtnl_link_get_ifindex, (LK l), (l)) \
	V(rtnl_link_set_flags, (LK l, unsigned int f), (l, f)) \
	V(rtnl_link_set_name, (LK l, const char *n), (l, n)) \
	V(rtnl_link_set_ns_fd, (LK l, int fd), (l, fd)) \
	X(LK, rtnl_link_veth_alloc, (void), ()) \
	X(LK, rtnl_link_veth_get_peer, (LK l), (l)) \
	V(rtnl_link_veth_release, (LK l), (l)) \
	X(RT, rtnl_route_alloc, (void), ()) \
	V(rtnl_route_put, (RT r), (r)) \
	X(int, rtnl_route_add, (SK s, RT r, int f), (s, r, f)) \
	V(rtnl_route_add_nexthop, (RT r, NH n), (r, n)) \
	X(int, rtnl_route_set_dst, (RT r, AD a), (r, a)) \
	X(int, rtnl_route_set_family, (RT r, uint8_t f), (r, f)) \
	V(rtnl_route_set_protocol, (RT r, uint8_t p), (r, p)) \
	V(rtnl_route_set_scope, (RT r, uint8_t s), (r, s)) \
	V(rtnl_route_set_table, (RT r, uint32_t t), (r, t)) \
	X(int, rtnl_route_set_type, (RT r, uint8_t t), (r, t)) \
	X(NH, rtnl_route_nh_alloc, (void), ()) \
	V(rtnl_route_nh_free, (NH n), (n)) \
	V(rtnl_route_nh_set_gateway, (NH n, AD a), (n, a)) \
	V(rtnl_route_nh_set_ifindex, (NH n, int i), (n, i))

static void need(void)
{
	pd_lazy_need(pd_lazy_nl, "libnl");
}

FNS(PD_LAZY_SLOT, PD_LAZY_SLOTV)
FNS(PD_LAZY_FWD, PD_LAZY_FWDV)
static const struct pd_lazy_sym syms[] = { FNS(PD_LAZY_SYM, PD_LAZY_SYMV) };

int pd_lazy_nl(struct pd_error *err)
{
	static void *handle;

	return pd_lazy_load(&handle, "libnl-route-3.so.200", syms, PD_LAZY_N(syms), err);
}
