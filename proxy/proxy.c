/* SPDX-License-Identifier: MIT */
/*
 * proxy.c - listeners, the connection table, the sweep timer, the policy in
 * force and the denial tally (proxy.h has the theory of operation; one
 * connection's life is conn.c).
 */
#include "proxy_int.h"
#include "proxy/audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ACCEPTS_PER_WAKE 16
#define SWEEP_MS 500

uint64_t pd_proxy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void accept_some(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct listener *l = data;
	struct pd_proxy *p = l->proxy;

	(void)events;
	for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
		int fd = accept4(pd_loop_source_fd(src), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if ((errno == EMFILE || errno == ENFILE) && p->upool.n) {
				/* Idle upstream connections go first. */
				pd_upool_clear(&p->upool);
				continue;
			}
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Out of fds: stop accepting until the next sweep. */
				(void)pd_loop_fd_set_events(src, 0, NULL);
				l->paused = true;
			}
			return;
		}
		if (p->nconns >= p->max_conns) {
			pd_conn_refuse_full(p, fd, l);
			continue;
		}
		pd_conn_start(p, fd, l);
	}
}

static void sweep(struct pd_loop_source *src, uint64_t exp, void *data)
{
	struct pd_proxy *p = data;
	uint64_t now = pd_proxy_now_ms();
	struct conn *c, *next;

	(void)src;
	(void)exp;
	for (size_t i = 0; i < p->nlisteners; i++)
		if (p->listeners[i].paused) {
			p->listeners[i].paused = false;
			(void)pd_loop_fd_set_events(p->listeners[i].src, EPOLLIN, NULL);
		}
	for (c = p->conns; c; c = next) {
		next = c->next;
		if (c->deadline && now >= c->deadline)
			pd_conn_timeout(c);
	}
	pd_upool_expire(&p->upool, now, PD_UPOOL_IDLE_MS);
}

struct pd_proxy *pd_proxy_new(struct pd_loop *loop, struct pd_policy *policy,
			      const struct pd_proxy_opts *opts, struct pd_error *err)
{
	struct pd_proxy *p = calloc(1, sizeof(*p));

	if (!p) {
		pd_error_set(err, ENOMEM, "proxy");
		return NULL;
	}
	p->loop = loop;
	p->policy = pd_policy_ref(policy);
	p->opts = *opts;
	p->opts.pins = NULL;
	if (!p->opts.max_conns)
		p->opts.max_conns = PD_PROXY_MAX_CONNS;
	p->max_conns = p->opts.max_conns;
	if (!p->opts.head_timeout_ms)
		p->opts.head_timeout_ms = 10000;
	if (!p->opts.connect_timeout_ms)
		p->opts.connect_timeout_ms = 10000;
	if (!p->opts.idle_timeout_ms)
		p->opts.idle_timeout_ms = 600000;
	if (!p->opts.fix_hint)
		p->opts.fix_hint = "paude run --allowed-domains";
	if (opts->npins) {
		p->pins = calloc(opts->npins, sizeof(*p->pins));
		if (!p->pins) {
			pd_error_set(err, ENOMEM, "proxy");
			pd_proxy_free(p);
			return NULL;
		}
		memcpy(p->pins, opts->pins, opts->npins * sizeof(*p->pins));
		p->npins = opts->npins;
	}
	p->sweep = pd_loop_add_timer(loop, SWEEP_MS, true, sweep, p, "proxy sweep", err);
	if (!p->sweep) {
		pd_proxy_free(p);
		return NULL;
	}
	return p;
}

int pd_proxy_listen(struct pd_proxy *p, int fd, bool transparent, uint16_t port,
		    struct pd_error *err)
{
	struct listener *l;

	if (p->nlisteners == PD_PROXY_MAX_LISTENERS) {
		close(fd);
		return pd_error_set(err, ENOSPC, "proxy: more than %d listeners",
				    PD_PROXY_MAX_LISTENERS);
	}
	l = &p->listeners[p->nlisteners];
	memset(l, 0, sizeof(*l));
	l->proxy = p;
	l->fd = fd;
	l->transparent = transparent;
	l->port = port;
	l->src = pd_loop_add_fd(p->loop, fd, EPOLLIN, accept_some, l,
				transparent ? "transparent" : "proxy", err);
	if (!l->src) {
		close(fd);
		return -1;
	}
	p->nlisteners++;
	return 0;
}

void pd_proxy_set_policy(struct pd_proxy *p, struct pd_policy *policy)
{
	struct pd_policy *old = p->policy;

	p->policy = pd_policy_ref(policy);
	pd_policy_unref(old);
}

struct pd_policy *pd_proxy_policy(const struct pd_proxy *p)
{
	return p->policy;
}

const struct pd_pin *pd_proxy_pin(const struct pd_proxy *p, const char *name)
{
	for (size_t i = 0; i < p->npins; i++)
		if (!strcmp(p->pins[i].name, name))
			return &p->pins[i];
	return NULL;
}

void pd_proxy_note_denial(struct pd_proxy *p, const char *host)
{
	size_t i;

	p->denied++;
	if (!host || !*host)
		host = "?";
	/* as kept: a name longer than the tally's field is its prefix there */
	for (i = 0; i < p->ntally; i++)
		if (!strncmp(p->tally[i].host, host, sizeof(p->tally[i].host) - 1)) {
			p->tally[i].count++;
			return;
		}
	if (p->ntally < PD_PROXY_TALLY) {
		snprintf(p->tally[p->ntally].host, sizeof(p->tally[0].host), "%s", host);
		p->tally[p->ntally++].count = 1;
	} else {
		p->tally_other++;
	}
}

uint64_t pd_proxy_denials(const struct pd_proxy *p, char *out, size_t cap)
{
	size_t off;
	int n;

	if (!cap)
		return p->denied;
	out[0] = '\0';
	if (!p->denied)
		return 0;
	n = snprintf(out, cap, "%llu request%s denied (", (unsigned long long)p->denied,
		     p->denied == 1 ? "" : "s");
	off = n > 0 && (size_t)n < cap ? (size_t)n : cap - 1;
	for (size_t i = 0; i < p->ntally && off < cap - 1; i++) {
		if (p->tally[i].count > 1)
			n = snprintf(out + off, cap - off, "%s%s \xc3\x97%llu", i ? ", " : "",
				     p->tally[i].host, (unsigned long long)p->tally[i].count);
		else
			n = snprintf(out + off, cap - off, "%s%s", i ? ", " : "", p->tally[i].host);
		off += n > 0 && (size_t)n < cap - off ? (size_t)n : cap - 1 - off;
	}
	if (p->tally_other && off < cap - 1) {
		n = snprintf(out + off, cap - off, ", %llu more",
			     (unsigned long long)p->tally_other);
		off += n > 0 && (size_t)n < cap - off ? (size_t)n : cap - 1 - off;
	}
	if (off < cap - 1)
		snprintf(out + off, cap - off, ")");
	return p->denied;
}

size_t pd_proxy_connections(const struct pd_proxy *p)
{
	return p->nconns;
}

void pd_proxy_audit(struct pd_proxy *p, const struct pd_audit_record *r)
{
	if (p->opts.audit)
		(void)pd_audit_write(p->opts.audit, r);
}

void pd_proxy_free(struct pd_proxy *p)
{
	if (!p)
		return;
	while (p->conns)
		pd_conn_close(p->conns);
	pd_upool_clear(&p->upool);
	for (size_t i = 0; i < p->nlisteners; i++) {
		pd_loop_remove(p->listeners[i].src);
		close(p->listeners[i].fd);
	}
	pd_loop_remove(p->sweep);
	pd_policy_unref(p->policy);
	free(p->pins);
	free(p);
}
