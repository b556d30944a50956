/* SPDX-License-Identifier: MIT */
/*
 * link.c - rtnetlink through libnl-route-3 (see link.h).  libnl reports
 * its own codes (NLE_*); they are turned back into errno values where one
 * fits, and the message always carries libnl's own text.
 */
#include "link.h"
#include "common/lazylib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

static int nle_errno(int rc)
{
	switch (-rc) {
	case NLE_PERM:
		return EPERM;
	case NLE_EXIST:
		return EEXIST;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return ENODEV;
	case NLE_INVAL:
	case NLE_RANGE:
		return EINVAL;
	case NLE_BUSY:
		return EBUSY;
	case NLE_NOADDR:
		return EADDRNOTAVAIL;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	default:
		return EIO;
	}
}

static int nl_fail(struct pd_error *err, int rc, const char *what, const char *obj)
{
	return pd_error_set_msg(err, nle_errno(rc), "%s \"%s\": %s", what, obj, nl_geterror(rc));
}

struct nl_sock *pd_nl_open(struct pd_error *err)
{
	struct nl_sock *sk;
	int rc;

	if (pd_lazy_nl(err) < 0)
		return NULL;
	sk = nl_socket_alloc();
	if (!sk) {
		pd_error_set(err, ENOMEM, "netlink socket");
		return NULL;
	}
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		nl_fail(err, rc, "connect", "rtnetlink");
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

void pd_nl_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int pd_nl_veth(struct nl_sock *sk, const char *name, const char *peer_name, int peer_netns,
	       struct pd_error *err)
{
	struct rtnl_link *link = rtnl_link_veth_alloc(), *peer;
	int rc;

	if (!link)
		return pd_error_set(err, ENOMEM, "veth pair \"%s\"", name);
	rtnl_link_set_name(link, name);
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_ns_fd(peer, peer_netns);
	rtnl_link_put(peer);
	rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_veth_release(link);
	return rc < 0 ? nl_fail(err, rc, "create the veth pair", name) : 0;
}

int pd_nl_ifindex(struct nl_sock *sk, const char *name, struct pd_error *err)
{
	struct rtnl_link *link = NULL;
	int rc = rtnl_link_get_kernel(sk, 0, name, &link), idx;

	if (rc < 0)
		return nl_fail(err, rc, "find the interface", name);
	idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return idx;
}

int pd_nl_up(struct nl_sock *sk, const char *name, struct pd_error *err)
{
	struct rtnl_link *link = NULL, *change;
	int rc = rtnl_link_get_kernel(sk, 0, name, &link);

	if (rc < 0)
		return nl_fail(err, rc, "find the interface", name);
	change = rtnl_link_alloc();
	if (!change) {
		rtnl_link_put(link);
		return pd_error_set(err, ENOMEM, "bring \"%s\" up", name);
	}
	rtnl_link_set_flags(change, IFF_UP);
	rc = rtnl_link_change(sk, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return rc < 0 ? nl_fail(err, rc, "bring up", name) : 0;
}

static struct nl_addr *addr4(struct in_addr a, uint8_t prefix)
{
	struct nl_addr *n = nl_addr_build(AF_INET, &a, sizeof(a));

	if (n)
		nl_addr_set_prefixlen(n, prefix);
	return n;
}

int pd_nl_addr4(struct nl_sock *sk, int ifindex, struct in_addr a, uint8_t prefix,
		struct pd_error *err)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = addr4(a, prefix);
	char obj[INET_ADDRSTRLEN + 4];
	int rc = -NLE_NOMEM;

	if (ra && local) {
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_family(ra, AF_INET);
		rc = rtnl_addr_set_local(ra, local);
		if (rc >= 0)
			rc = rtnl_addr_add(sk, ra, 0);
	}
	nl_addr_put(local);
	rtnl_addr_put(ra);
	if (rc >= 0)
		return 0;
	if (!inet_ntop(AF_INET, &a, obj, sizeof(obj)))
		obj[0] = '\0';
	return nl_fail(err, rc, "add the address", obj);
}

int pd_nl_route4(struct nl_sock *sk, int ifindex, struct in_addr dst, uint8_t prefix,
		 struct in_addr via, struct pd_error *err)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = addr4(dst, prefix), *g = NULL;
	char obj[INET_ADDRSTRLEN];
	int rc = -NLE_NOMEM;

	if (r && nh && d) {
		rtnl_route_set_family(r, AF_INET);
		rtnl_route_set_protocol(r, RTPROT_STATIC);
		rc = rtnl_route_set_dst(r, d);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		if (via.s_addr != 0) {
			g = addr4(via, 32);
			if (!g)
				rc = -NLE_NOMEM;
			else
				rtnl_route_nh_set_gateway(nh, g);
			rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
		} else {
			rtnl_route_set_table(r, RT_TABLE_LOCAL);
			rtnl_route_set_type(r, RTN_LOCAL);
			rtnl_route_set_scope(r, RT_SCOPE_HOST);
		}
		rtnl_route_add_nexthop(r, nh);
		nh = NULL; /* the route's now */
		if (rc >= 0)
			rc = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_EXCL);
	}
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(g);
	nl_addr_put(d);
	rtnl_route_put(r);
	if (rc >= 0)
		return 0;
	if (!inet_ntop(AF_INET, &dst, obj, sizeof(obj)))
		obj[0] = '\0';
	return pd_error_set_msg(err, nle_errno(rc), "add the route to %s/%u: %s", obj, prefix,
				nl_geterror(rc));
}
