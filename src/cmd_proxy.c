/* SPDX-License-Identifier: MIT */
/*
 * cmd_proxy.c - `paude proxy`: the sandbox's allowlist proxy on its own, a
 * forward proxy on ADDR:PORT with the same policy, pins and audit lines
 * (to stderr unless --audit-log names a file).  For the OpenShift sidecar
 * later, and for benchmarks now.  SIGINT or SIGTERM stops it.
 */
#include "cli.h"
#include "common/cleanup.h"
#include "common/loop.h"
#include "common/util.h"
#include "proxy/audit.h"
#include "proxy/name.h"
#include "proxy/policy.h"
#include "proxy/proxy.h"
#include "proxy/resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static const char proxy_help[] =
	"Usage: paude proxy --listen ADDR:PORT [OPTIONS]\n"
	"\n"
	"Run paude's allowlist proxy as a standalone forward proxy (HTTP CONNECT and\n"
	"plain HTTP), with the same policy as a sandbox's.\n"
	"\n"
	"Options:\n"
	"      --listen ADDR:PORT      where to listen (127.0.0.1:3128, [::1]:3128)\n"
	"      --allowed-domains D     allowlist entry or group (repeatable; default\n"
	"                              \"default\"); see docs/NETWORK.md\n"
	"      --resolve HOST:ADDR     pin HOST to ADDR (repeatable)\n"
	"      --audit-log FILE        audit lines to FILE (default: stderr)\n"
	"      --max-connections N     connection table size (default 2048)\n"
	"  -h, --help                  this text\n";

enum { O_LISTEN = 256, O_ALLOWED, O_RESOLVE, O_AUDIT, O_MAXCONN };

static const struct option proxy_opts[] = {
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "allowed-domains", required_argument, NULL, O_ALLOWED },
	{ "resolve", required_argument, NULL, O_RESOLVE },
	{ "audit-log", required_argument, NULL, O_AUDIT },
	{ "max-connections", required_argument, NULL, O_MAXCONN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* "127.0.0.1:3128" or "[::1]:3128" into a listening socket. */
static int listen_on(const char *spec, struct pd_error *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *colon = strrchr(spec, ':');
	char host[INET6_ADDRSTRLEN + 2];
	unsigned long port;
	char *end;
	size_t hl;
	int one = 1;
	cleanup_close int fd = -1;

	if (!colon || colon == spec)
		return pd_usage_error(err, "--listen \"%s\": expected ADDR:PORT", spec);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port == 0 || port > 65535 || colon[1] == '+' ||
	    colon[1] == '-')
		return pd_usage_error(err, "--listen \"%s\": bad port", spec);
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return pd_usage_error(err, "--listen: bad address");
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		return pd_usage_error(err, "--listen: \"%s\" is not an IP address", host);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pd_error_set(err, errno, "proxy: socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		return pd_error_set(err, errno, "proxy: bind %s port %lu", host, port);
	if (listen(fd, 4096) < 0)
		return pd_error_set(err, errno, "proxy: listen");
	return steal_fd(&fd);
}

static void on_signal(struct pd_loop_source *src, const struct signalfd_siginfo *si, void *data)
{
	(void)si;
	(void)data;
	pd_loop_stop(pd_loop_source_loop(src), 0);
}

struct run {
	struct pd_loop *loop;
	struct pd_resolver *resolver;
	struct pd_audit *audit;
	struct pd_policy *policy;
	struct pd_proxy *proxy;
	struct pd_loop_source *sig;
};

static void run_free(struct run *r)
{
	pd_proxy_free(r->proxy);
	pd_resolver_free(r->resolver);
	pd_loop_remove(r->sig);
	pd_loop_free(r->loop);
	pd_audit_close(r->audit);
	pd_policy_unref(r->policy);
}

static int cmd_proxy(int argc, char **argv, struct pd_error *err)
{
	const char *listen_spec = NULL, *audit_path = NULL;
	cleanup_strv char **domains = NULL;
	struct pd_pin *pins = NULL;
	size_t npins = 0, ndom = 0;
	unsigned long maxc = 0;
	struct run r = { 0 };
	struct pd_proxy_opts po = { 0 };
	struct rlimit rl;
	sigset_t stop, orig;
	int c, fd, status = -1;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", proxy_opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'h':
			fputs(proxy_help, stdout);
			free(pins);
			return 0;
		case O_LISTEN:
			listen_spec = optarg;
			break;
		case O_ALLOWED:
			pd_strv_push(&domains, optarg);
			ndom++;
			break;
		case O_RESOLVE:
			pins = pd_xreallocarray(pins, npins + 1, sizeof(*pins));
			if (pd_pin_parse(optarg, &pins[npins], err) < 0) {
				free(pins);
				pd_error_wrap(err, "--resolve");
				err->status = PD_STATUS_USAGE;
				return -1;
			}
			npins++;
			break;
		case O_AUDIT:
			audit_path = optarg;
			break;
		case O_MAXCONN:
			errno = 0;
			maxc = strtoul(optarg, &end, 10);
			if (*end || errno || !maxc || maxc > 100000 || optarg[0] == '-') {
				free(pins);
				return pd_usage_error(err, "--max-connections \"%s\": 1-100000",
						      optarg);
			}
			break;
		default:
			free(pins);
			return pd_usage_error(err, "proxy: unknown or incomplete option \"%s\"",
					      argv[optind - 1]);
		}
	}
	if (optind < argc || !listen_spec) {
		free(pins);
		return pd_usage_error(err,
				      optind < argc ? "proxy: unexpected argument \"%s\""
						    : "proxy: --listen ADDR:PORT is required%s",
				      optind < argc ? argv[optind] : "");
	}
	r.policy = pd_policy_new((const char *const *)domains, ndom, err);
	if (!r.policy) {
		free(pins);
		pd_error_wrap(err, "--allowed-domains");
		err->status = PD_STATUS_USAGE;
		return -1;
	}
	fd = listen_on(listen_spec, err);
	if (fd < 0)
		goto out;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	r.audit = pd_audit_open(audit_path, 0, 0, err);
	if (!r.audit) {
		close(fd);
		goto out;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &orig);
	signal(SIGPIPE, SIG_IGN);
	r.loop = pd_loop_new(err);
	if (!r.loop ||
	    !(r.sig = pd_loop_add_signals(r.loop, &stop, on_signal, NULL, "signals", err)) ||
	    !(r.resolver = pd_resolver_new(r.loop, NULL, err))) {
		close(fd);
		goto restore;
	}
	po.audit = r.audit;
	po.resolver = r.resolver;
	po.pins = pins;
	po.npins = npins;
	po.max_conns = maxc;
	po.sandbox = "proxy";
	po.fix_hint = "paude proxy --allowed-domains";
	r.proxy = pd_proxy_new(r.loop, r.policy, &po, err);
	if (!r.proxy) {
		close(fd);
		goto restore;
	}
	if (pd_proxy_listen(r.proxy, fd, false, 0, err) < 0)
		goto restore;
	status = pd_loop_run(r.loop, err) < 0 ? -1 : 0;
restore:
	run_free(&r);
	r.policy = NULL;
	sigprocmask(SIG_SETMASK, &orig, NULL);
	free(pins);
	return status;
out:
	pd_policy_unref(r.policy);
	free(pins);
	return -1;
}

const struct pd_command pd_cmd_proxy = {
	.name = "proxy",
	.summary = "Run the allowlist proxy on its own",
	.help = proxy_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_proxy,
};
