/* SPDX-License-Identifier: MIT */
/*
 * gateway.c - build the gateway netns and the veth pair (netfilter.h has the
 * picture).  Runs in a helper that is root of the sandbox's user namespace:
 *
 *   1. unshare a new netns (the gateway's): from here on nothing can touch
 *      the netns paude started in; keep an fd of it;
 *   2. sysctls of the gateway: no forwarding (v4, v6), IPv6 off;
 *   3. the veth pair, pd-gw here and eth0 created straight in the sandbox's
 *      netns; lo and pd-gw up, the gateway's address, the local (AnyIP)
 *      routes for every range the sandbox may reach;
 *   4. the listening sockets, bound in the gateway netns;
 *   5. join the sandbox's netns: IPv6 off, eth0's address, eth0 up, one route
 *      per range through the gateway and no default route.
 */
#include "netfilter.h"
#include "link.h"
#include "common/cleanup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GW_IF "pd-gw"
#define SB_IF "eth0"

void pd_net_plan_default(struct pd_net_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	inet_pton(AF_INET, "10.0.2.2", &plan->gateway);
	inet_pton(AF_INET, "10.0.2.100", &plan->sandbox);
	plan->prefix = 24;
	plan->proxy_port = 3128;
	plan->dns_port = 53;
}

int pd_net_plan_add_route(struct pd_net_plan *plan, struct in_addr net, uint8_t prefix,
			  struct pd_error *err)
{
	uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;

	if (prefix > 32)
		return pd_error_set(err, EINVAL, "route prefix /%u", prefix);
	net.s_addr &= mask;
	for (size_t i = 0; i < plan->nroutes; i++)
		if (plan->routes[i].net.s_addr == net.s_addr && plan->routes[i].prefix == prefix)
			return 0;
	if (plan->nroutes == PD_NET_MAX_ROUTES)
		return pd_error_set_msg(err, ENOSPC,
					"more than %d address ranges to route to the gateway",
					PD_NET_MAX_ROUTES);
	plan->routes[plan->nroutes].net = net;
	plan->routes[plan->nroutes++].prefix = prefix;
	return 0;
}

/* Write @val to /proc/sys/@key of the netns this process is in. */
static int sysctl_set(const char *key, const char *val, struct pd_error *err)
{
	char path[128];
	cleanup_close int fd = -1;
	size_t n = strlen(val);

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return pd_error_set(err, errno, "open %s", path);
	if (write(fd, val, n) != (ssize_t)n)
		return pd_error_set(err, errno, "write %s", path);
	return 0;
}

static int ipv6_off(struct pd_error *err)
{
	if (access("/proc/sys/net/ipv6", F_OK) < 0)
		return 0; /* no IPv6 in this kernel */
	if (sysctl_set("net/ipv6/conf/all/disable_ipv6", "1", err) < 0 ||
	    sysctl_set("net/ipv6/conf/default/disable_ipv6", "1", err) < 0 ||
	    sysctl_set("net/ipv6/conf/lo/disable_ipv6", "1", err) < 0)
		return -1;
	return 0;
}

static int listener(int type, struct in_addr a, uint16_t port, struct pd_error *err)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a, .sin_port = htons(port) };
	cleanup_close int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char obj[INET_ADDRSTRLEN];
	int one = 1;

	if (!inet_ntop(AF_INET, &a, obj, sizeof(obj)))
		obj[0] = '\0';
	if (fd < 0)
		return pd_error_set(err, errno, "socket for %s:%u", obj, port);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return pd_error_set(err, errno, "bind %s:%u in the gateway", obj, port);
	if (type == SOCK_STREAM && listen(fd, 4096) < 0)
		return pd_error_set(err, errno, "listen on %s:%u", obj, port);
	return steal_fd(&fd);
}

int pd_net_listen_port(uint16_t port, struct pd_error *err)
{
	return listener(SOCK_STREAM, (struct in_addr){ .s_addr = htonl(INADDR_ANY) }, port, err);
}

static int gateway_side(const struct pd_net_plan *plan, int sandbox_netns, struct pd_error *err)
{
	struct nl_sock *sk;
	int idx, lo, r = -1;

	if (sysctl_set("net/ipv4/conf/all/forwarding", "0", err) < 0 ||
	    sysctl_set("net/ipv4/conf/default/forwarding", "0", err) < 0 || ipv6_off(err) < 0)
		return -1;
	sk = pd_nl_open(err);
	if (!sk)
		return -1;
	if (pd_nl_veth(sk, GW_IF, SB_IF, sandbox_netns, err) < 0 || pd_nl_up(sk, "lo", err) < 0 ||
	    (lo = pd_nl_ifindex(sk, "lo", err)) < 0 || (idx = pd_nl_ifindex(sk, GW_IF, err)) < 0 ||
	    pd_nl_addr4(sk, idx, plan->gateway, plan->prefix, err) < 0 ||
	    pd_nl_up(sk, GW_IF, err) < 0)
		goto out;
	for (size_t i = 0; i < plan->nroutes; i++)
		if (pd_nl_route4(sk, lo, plan->routes[i].net, plan->routes[i].prefix,
				 (struct in_addr){ 0 }, err) < 0)
			goto out;
	r = 0;
out:
	pd_nl_close(sk);
	return r;
}

static int sandbox_side(const struct pd_net_plan *plan, struct pd_error *err)
{
	struct nl_sock *sk;
	int idx, r = -1;

	if (ipv6_off(err) < 0)
		return -1;
	sk = pd_nl_open(err);
	if (!sk)
		return -1;
	if (pd_nl_up(sk, "lo", err) < 0 || (idx = pd_nl_ifindex(sk, SB_IF, err)) < 0 ||
	    pd_nl_addr4(sk, idx, plan->sandbox, plan->prefix, err) < 0 ||
	    pd_nl_up(sk, SB_IF, err) < 0)
		goto out;
	for (size_t i = 0; i < plan->nroutes; i++)
		if (pd_nl_route4(sk, idx, plan->routes[i].net, plan->routes[i].prefix,
				 plan->gateway, err) < 0)
			goto out;
	r = 0;
out:
	pd_nl_close(sk);
	return r;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			pd_close(fds[i]);
}

int pd_net_build(const struct pd_net_plan *plan, int sandbox_netns, int *fds, size_t cap,
		 struct pd_error *err)
{
	size_t n = PD_NET_FD_PORTS + plan->nports;

	if (cap < n)
		return pd_error_set(err, EINVAL, "gateway: room for %zu fds, %zu needed", cap, n);
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	if (unshare(CLONE_NEWNET) < 0)
		return pd_error_set(err, errno, "gateway: unshare a network namespace");
	fds[PD_NET_FD_GWNS] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fds[PD_NET_FD_GWNS] < 0) {
		pd_error_set(err, errno, "gateway: open its network namespace");
		goto fail;
	}
	if (gateway_side(plan, sandbox_netns, err) < 0)
		goto wrap;
	fds[PD_NET_FD_PROXY] = listener(SOCK_STREAM, plan->gateway, plan->proxy_port, err);
	if (fds[PD_NET_FD_PROXY] < 0)
		goto wrap;
	fds[PD_NET_FD_DNS_UDP] = listener(SOCK_DGRAM, plan->gateway, plan->dns_port, err);
	if (fds[PD_NET_FD_DNS_UDP] < 0)
		goto wrap;
	fds[PD_NET_FD_DNS_TCP] = listener(SOCK_STREAM, plan->gateway, plan->dns_port, err);
	if (fds[PD_NET_FD_DNS_TCP] < 0)
		goto wrap;
	for (size_t i = 0; i < plan->nports; i++) {
		fds[PD_NET_FD_PORTS + i] = pd_net_listen_port(plan->ports[i], err);
		if (fds[PD_NET_FD_PORTS + i] < 0)
			goto wrap;
	}
	if (setns(sandbox_netns, CLONE_NEWNET) < 0) {
		pd_error_set(err, errno, "join the sandbox's network namespace");
		goto wrap;
	}
	if (sandbox_side(plan, err) < 0) {
		pd_error_wrap(err, "sandbox network");
		goto fail;
	}
	return 0;
wrap:
	pd_error_wrap(err, "gateway");
fail:
	close_fds(fds, n);
	return -1;
}
