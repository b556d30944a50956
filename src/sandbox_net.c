/* SPDX-License-Identifier: MIT */
/*
 * sandbox_net.c - the glue between runtime/ (a helper inside the sandbox's
 * user namespace), netfilter/ (what the helper builds) and whoever serves
 * the gateway's sockets.  The helper sends the fds it made over a socket
 * pair the owner created before forking it, then exits; the fds wait in the
 * socket until the owner reads them.
 */
#include "sandbox_net.h"
#include "common/cleanup.h"
#include "common/fdpass.h"
#include "common/lazylib.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define TAG_NET 0x4e455430u  /* "NET0" */
#define TAG_PORT 0x504f5254u /* "PORT" */

struct build_ctx {
	const struct pd_net_plan *plan;
	int netns;
	int sock;
};

static int build_in_helper(void *data, struct pd_error *err)
{
	struct build_ctx *c = data;
	int fds[PD_NET_FD_PORTS + PD_NET_MAX_PORTS];
	size_t n = PD_NET_FD_PORTS + c->plan->nports;

	if (pd_net_build(c->plan, c->netns, fds, sizeof(fds) / sizeof(fds[0]), err) < 0)
		return -1;
	return pd_fds_send(c->sock, TAG_NET, fds, n, err);
}

void pd_net_fds_init(struct pd_net_fds *f)
{
	memset(f, 0, sizeof(*f));
	f->gwns = f->proxy = f->dns_udp = f->dns_tcp = -1;
	for (size_t i = 0; i < PD_NET_MAX_PORTS; i++)
		f->ports[i] = -1;
}

void pd_net_fds_close(struct pd_net_fds *f)
{
	pd_close(f->gwns);
	pd_close(f->proxy);
	pd_close(f->dns_udp);
	pd_close(f->dns_tcp);
	for (size_t i = 0; i < f->nports; i++)
		pd_close(f->ports[i]);
	pd_net_fds_init(f);
}

int pd_sandbox_net_attach(int userns, int netns, const struct pd_net_plan *plan,
			  struct pd_net_fds *out, struct pd_error *err)
{
	int sv[2], fds[PD_NET_FD_PORTS + PD_NET_MAX_PORTS];
	size_t want = PD_NET_FD_PORTS + plan->nports, n = 0;
	uint32_t tag = 0;
	struct build_ctx c = { .plan = plan, .netns = netns };
	int r;

	pd_net_fds_init(out);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		fds[i] = -1;
	if (pd_lazy_nl(err) < 0) /* loaded here, so the helper inherits it */
		return pd_error_wrap(err, "network");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return pd_error_set(err, errno, "network: socket pair");
	c.sock = sv[1];
	r = pd_userns_helper(userns, -1, build_in_helper, &c, err);
	pd_close(sv[1]);
	if (r == 0) {
		r = pd_fds_recv(sv[0], &tag, fds, sizeof(fds) / sizeof(fds[0]), &n, err);
		if (r == 0)
			r = pd_error_set_msg(err, EPROTO, "the network helper sent nothing");
		else if (r > 0 && (tag != TAG_NET || n != want)) {
			for (size_t i = 0; i < n; i++)
				pd_close(fds[i]);
			r = pd_error_set_msg(err, EPROTO,
					     "the network helper sent %zu fds, not %zu", n, want);
		}
	}
	pd_close(sv[0]);
	if (r < 0)
		return pd_error_wrap(err, "sandbox network");
	out->gwns = fds[PD_NET_FD_GWNS];
	out->proxy = fds[PD_NET_FD_PROXY];
	out->dns_udp = fds[PD_NET_FD_DNS_UDP];
	out->dns_tcp = fds[PD_NET_FD_DNS_TCP];
	for (size_t i = 0; i < plan->nports; i++) {
		out->ports[i] = fds[PD_NET_FD_PORTS + i];
		out->port_nums[i] = plan->ports[i];
	}
	out->nports = plan->nports;
	return 0;
}

struct listen_ctx {
	uint16_t port;
	int sock;
};

static int listen_in_helper(void *data, struct pd_error *err)
{
	struct listen_ctx *c = data;
	cleanup_close int fd = pd_net_listen_port(c->port, err);

	if (fd < 0)
		return -1;
	return pd_fds_send(c->sock, TAG_PORT, &fd, 1, err);
}

int pd_sandbox_net_listen(int userns, int gwns, uint16_t port, struct pd_error *err)
{
	struct listen_ctx c = { .port = port };
	int sv[2], fd = -1, r;
	size_t n = 0;
	uint32_t tag = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return pd_error_set(err, errno, "network: socket pair");
	c.sock = sv[1];
	r = pd_userns_helper(userns, gwns, listen_in_helper, &c, err);
	pd_close(sv[1]);
	if (r == 0) {
		r = pd_fds_recv(sv[0], &tag, &fd, 1, &n, err);
		if (r == 0 || (r > 0 && tag != TAG_PORT)) {
			if (r > 0)
				pd_close(fd);
			r = pd_error_set_msg(err, EPROTO, "the network helper sent no listener");
		}
	}
	pd_close(sv[0]);
	if (r < 0)
		return pd_error_wrap(err, "listen on port %u in the gateway", port);
	return fd;
}
