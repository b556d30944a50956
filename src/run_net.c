/* SPDX-License-Identifier: MIT */
/*
 * run_net.c - the proxied network of `paude run` (run_net.h).
 *
 * Before create: the policy, the pins and the audit log are checked and
 * opened, so a bad --allowed-domains fails before anything starts.
 * attach (between create and start): the gateway is built from a helper
 * in the sandbox's user namespace (sandbox_net.c), then the resolver, the
 * proxy (forward listener and one transparent listener per allowed port)
 * and the DNS server register with the owner's loop.
 * detach (after the sandbox ended): everything is freed; the denial
 * summary is said by pd_run_net_free().
 */
#include "run_net.h"
#include "cli.h"
#include "run_options.h"
#include "sandbox_net.h"
#include "common/log.h"
#include "common/util.h"
#include "proxy/audit.h"
#include "proxy/dns_server.h"
#include "proxy/policy.h"
#include "proxy/proxy.h"
#include "proxy/resolve.h"
#include "proxy/synth.h"
#include "runtime/runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define SYNTH_NET "198.18.0.0"
#define SYNTH_PREFIX 16

struct pd_run_net {
	struct pd_policy *policy;
	struct pd_pin *pins;
	size_t npins;
	struct pd_audit *audit;
	char *audit_path;
	char *sandbox;
	const char *fix_hint;
	struct pd_net_plan plan;
	char proxy_url[64];
	char resolv[128];
	/* while attached */
	struct pd_net_fds fds;
	struct pd_resolver *resolver;
	struct pd_synth *synth;
	struct pd_proxy *proxy;
	struct pd_dns_server *dns;
	char summary[512];
	uint64_t denied;
};

/* $XDG_STATE_HOME/paude/audit.jsonl rootless, /var/lib/paude/audit.jsonl as root. */
static char *default_audit_path(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char buf[4096];

	if (geteuid() == 0)
		return strdup("/var/lib/paude/audit.jsonl");
	if (state && state[0] == '/')
		snprintf(buf, sizeof(buf), "%s/paude/audit.jsonl", state);
	else if (home && home[0] == '/')
		snprintf(buf, sizeof(buf), "%s/.local/state/paude/audit.jsonl", home);
	else
		return NULL;
	return strdup(buf);
}

static int plan_ports(struct pd_run_net *n)
{
	uint16_t ports[PD_NET_MAX_PORTS + 4];
	size_t k = pd_policy_ports(n->policy, ports, sizeof(ports) / sizeof(ports[0]));

	if (k > sizeof(ports) / sizeof(ports[0]))
		k = sizeof(ports) / sizeof(ports[0]);
	n->plan.nports = 0;
	for (size_t i = 0; i < k && n->plan.nports < PD_NET_MAX_PORTS; i++) {
		/* the proxy's and DNS's own ports on the gateway stay theirs */
		if (ports[i] == n->plan.proxy_port || ports[i] == n->plan.dns_port)
			continue;
		n->plan.ports[n->plan.nports++] = ports[i];
	}
	return 0;
}

static bool overlaps(struct in_addr a, uint8_t pa, struct in_addr b, uint8_t pb)
{
	uint8_t p = pa < pb ? pa : pb;
	uint32_t mask = p ? ~0u << (32 - p) : 0;

	return (ntohl(a.s_addr) & mask) == (ntohl(b.s_addr) & mask);
}

/*
 * The allowlist's IPv4 entries are routed to the gateway too, so a program
 * that ignores the proxy variables reaches them; one that overlaps the
 * link or the synthetic range would break the gateway's own routing and is
 * left to the proxy.
 */
static int plan_routes(struct pd_run_net *n, struct in_addr synth, struct pd_error *err)
{
	struct in_addr nets[PD_NET_MAX_ROUTES];
	uint8_t pfx[PD_NET_MAX_ROUTES];
	size_t k = pd_policy_ipv4_nets(n->policy, nets, pfx, PD_NET_MAX_ROUTES - 1);

	if (k > PD_NET_MAX_ROUTES - 1) {
		pd_note("only the first %d IPv4 entries of the allowlist are routed to the "
			"gateway; the others are reachable through the proxy",
			PD_NET_MAX_ROUTES - 1);
		k = PD_NET_MAX_ROUTES - 1;
	}
	for (size_t i = 0; i < k; i++) {
		if (overlaps(nets[i], pfx[i], n->plan.gateway, n->plan.prefix) ||
		    overlaps(nets[i], pfx[i], synth, SYNTH_PREFIX)) {
			pd_note("an allowlist entry overlaps the sandbox's own link (10.0.2.0/24) or "
				"198.18.0.0/16: it is reachable through the proxy only");
			continue;
		}
		if (pd_net_plan_add_route(&n->plan, nets[i], pfx[i], err) < 0)
			return -1;
	}
	return 0;
}

struct pd_run_net *pd_run_net_new(const struct pd_run_net_opts *o, struct pd_error *err)
{
	struct pd_run_net *n = calloc(1, sizeof(*n));
	size_t nent = 0, npin = 0;
	struct in_addr synth;
	char gw[INET_ADDRSTRLEN];

	if (!n) {
		pd_error_set(err, ENOMEM, "network");
		return NULL;
	}
	pd_net_fds_init(&n->fds);
	n->fix_hint = o->fix_hint ? o->fix_hint : "paude run --allowed-domains";
	n->sandbox = strdup(o->sandbox ? o->sandbox : "");
	while (o->allowed_domains && o->allowed_domains[nent])
		nent++;
	n->policy = pd_policy_new((const char *const *)o->allowed_domains, nent, err);
	if (!n->policy) {
		pd_error_wrap(err, "--allowed-domains");
		err->status = PD_STATUS_USAGE;
		goto fail;
	}
	while (o->resolve && o->resolve[npin])
		npin++;
	if (npin) {
		n->pins = calloc(npin, sizeof(*n->pins));
		if (!n->pins) {
			pd_error_set(err, ENOMEM, "network");
			goto fail;
		}
	}
	for (size_t i = 0; i < npin; i++) {
		if (pd_pin_parse(o->resolve[i], &n->pins[i], err) < 0) {
			pd_error_wrap(err, "--resolve");
			err->status = PD_STATUS_USAGE;
			goto fail;
		}
		n->npins++;
	}
	n->audit_path = o->audit_log ? strdup(o->audit_log) : default_audit_path();
	if (!n->audit_path) {
		pd_note("no audit log: neither $XDG_STATE_HOME nor $HOME is set (see --audit-log)");
	} else {
		n->audit = pd_audit_open(n->audit_path, 0, 0, err);
		if (!n->audit) {
			pd_error_wrap(err, "audit log (put it elsewhere with --audit-log FILE)");
			goto fail;
		}
	}
	pd_net_plan_default(&n->plan);
	inet_pton(AF_INET, SYNTH_NET, &synth);
	if (pd_net_plan_add_route(&n->plan, synth, SYNTH_PREFIX, err) < 0 || plan_ports(n) < 0 ||
	    plan_routes(n, synth, err) < 0)
		goto fail;
	inet_ntop(AF_INET, &n->plan.gateway, gw, sizeof(gw));
	snprintf(n->proxy_url, sizeof(n->proxy_url), "http://%s:%u", gw, n->plan.proxy_port);
	snprintf(n->resolv, sizeof(n->resolv),
		 "# paude: the sandbox's resolver answers allowlisted names only\n"
		 "nameserver %s\n",
		 gw);
	return n;
fail:
	pd_run_net_free(n);
	return NULL;
}

void pd_run_net_env(const struct pd_run_net *n, char ***env)
{
	static const char *const names[] = { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy",
					     "https_proxy" };
	char kv[128];
	char *adds[6];
	size_t k = 0;

	for (size_t i = 0; i < 4; i++) {
		snprintf(kv, sizeof(kv), "%s=%s", names[i], n->proxy_url);
		adds[k++] = strdup(kv);
	}
	adds[k++] = strdup("NO_PROXY=localhost,127.0.0.1");
	adds[k++] = strdup("no_proxy=localhost,127.0.0.1");
	pd_env_merge(env, adds, k);
	for (size_t i = 0; i < k; i++)
		free(adds[i]);
}

const char *pd_run_net_resolv_conf(const struct pd_run_net *n)
{
	return n->resolv;
}

/* As many fds as a thousand tunnels need: the soft limit up to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int attach(void *data, struct pd_loop *loop, struct pd_sandbox *sb, struct pd_error *err)
{
	struct pd_run_net *n = data;
	struct pd_proxy_opts po = { 0 };
	struct pd_dns_server_opts dopts = { 0 };
	struct in_addr synth;

	if (pd_sandbox_net_attach(pd_sandbox_ns_fd(sb, PD_NS_USER), pd_sandbox_ns_fd(sb, PD_NS_NET),
				  &n->plan, &n->fds, err) < 0)
		return -1;
	raise_nofile();
	n->resolver = pd_resolver_new(loop, NULL, err);
	if (!n->resolver)
		return pd_error_wrap(err, "network");
	inet_pton(AF_INET, SYNTH_NET, &synth);
	n->synth = pd_synth_new(synth, SYNTH_PREFIX, 0);
	if (!n->synth)
		return pd_error_set(err, ENOMEM, "network");
	po.sandbox = n->sandbox;
	po.audit = n->audit;
	po.resolver = n->resolver;
	po.synth = n->synth;
	po.pins = n->pins;
	po.npins = n->npins;
	po.fix_hint = n->fix_hint;
	n->proxy = pd_proxy_new(loop, n->policy, &po, err);
	if (!n->proxy)
		return pd_error_wrap(err, "network");
	if (pd_proxy_listen(n->proxy, n->fds.proxy, false, n->plan.proxy_port, err) < 0) {
		n->fds.proxy = -1;
		return pd_error_wrap(err, "network");
	}
	n->fds.proxy = -1;
	for (size_t i = 0; i < n->fds.nports; i++) {
		int fd = n->fds.ports[i];

		n->fds.ports[i] = -1;
		if (pd_proxy_listen(n->proxy, fd, true, n->fds.port_nums[i], err) < 0)
			return pd_error_wrap(err, "network");
	}
	dopts.proxy = n->proxy;
	dopts.synth = n->synth;
	dopts.audit = n->audit;
	dopts.sandbox = n->sandbox;
	n->dns = pd_dns_server_new(loop, n->fds.dns_udp, n->fds.dns_tcp, &dopts, err);
	n->fds.dns_udp = n->fds.dns_tcp = -1;
	if (!n->dns)
		return pd_error_wrap(err, "network");
	return 0;
}

static void detach(void *data)
{
	struct pd_run_net *n = data;

	if (n->proxy)
		n->denied = pd_proxy_denials(n->proxy, n->summary, sizeof(n->summary));
	pd_dns_server_free(n->dns);
	n->dns = NULL;
	pd_proxy_free(n->proxy);
	n->proxy = NULL;
	pd_resolver_free(n->resolver);
	n->resolver = NULL;
	pd_synth_free(n->synth);
	n->synth = NULL;
	pd_net_fds_close(&n->fds);
}

int pd_run_net_set_policy(struct pd_run_net *n, struct pd_sandbox *sb, char *const *entries,
			  struct pd_error *err)
{
	uint16_t ports[PD_NET_MAX_PORTS + 4];
	struct pd_policy *p;
	size_t nent = 0, k;

	while (entries && entries[nent])
		nent++;
	p = pd_policy_new((const char *const *)entries, nent, err);
	if (!p)
		return -1;
	/* a port no earlier entry named: its transparent listener first */
	k = pd_policy_ports(p, ports, sizeof(ports) / sizeof(ports[0]));
	if (k > sizeof(ports) / sizeof(ports[0]))
		k = sizeof(ports) / sizeof(ports[0]);
	for (size_t i = 0; n->proxy && sb && i < k; i++) {
		bool have = ports[i] == n->plan.proxy_port || ports[i] == n->plan.dns_port;
		int fd;

		for (size_t j = 0; j < n->plan.nports && !have; j++)
			have = n->plan.ports[j] == ports[i];
		if (have)
			continue;
		if (n->plan.nports == PD_NET_MAX_PORTS) {
			pd_policy_unref(p);
			return pd_error_set_msg(err, ENOSPC, "at most %d ports may be allowed",
						PD_NET_MAX_PORTS);
		}
		fd = pd_sandbox_net_listen(pd_sandbox_ns_fd(sb, PD_NS_USER), n->fds.gwns, ports[i],
					   err);
		if (fd < 0 || pd_proxy_listen(n->proxy, fd, true, ports[i], err) < 0) {
			pd_policy_unref(p);
			return -1;
		}
		n->plan.ports[n->plan.nports++] = ports[i];
	}
	if (n->proxy)
		pd_proxy_set_policy(n->proxy, p);
	pd_policy_unref(n->policy);
	n->policy = p;
	return 0;
}

void pd_run_net_hooks(struct pd_run_net *n, struct pd_run_hooks *h)
{
	h->attach = attach;
	h->detach = detach;
	h->data = n;
}

void pd_run_net_free(struct pd_run_net *n)
{
	if (!n)
		return;
	detach(n);
	if (n->denied)
		pd_say("%s; see %s", n->summary, n->audit_path ? n->audit_path : "the audit log");
	pd_audit_close(n->audit);
	pd_policy_unref(n->policy);
	free(n->pins);
	free(n->audit_path);
	free(n->sandbox);
	free(n);
}
