/* SPDX-License-Identifier: MIT */
/*
 * dns_server.c - see dns_server.h.  UDP: a bounded number of datagrams per
 * wake-up, each answered at once.  TCP: a bounded table of connections,
 * each with a small buffer for one framed query at a time (a query over
 * 512 bytes closes the connection), idle ones closed by a sweep timer.
 */
#include "dns_server.h"
#include "proxy/audit.h"
#include "proxy/dns_msg.h"
#include "proxy/name.h"
#include "proxy/policy.h"
#include "proxy/proxy.h"
#include "proxy/synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define UDP_PER_WAKE 16
#define TCP_MAX 64
#define TCP_QUERY_MAX 512
#define TCP_IDLE_MS 10000

struct tcp_conn {
	struct pd_dns_server *srv;
	int fd;
	struct pd_loop_source *src;
	uint8_t buf[2 + TCP_QUERY_MAX];
	size_t len;
	uint64_t deadline;
};

struct pd_dns_server {
	struct pd_loop *loop;
	struct pd_dns_server_opts o;
	int udp, tcp;
	struct pd_loop_source *udp_src, *tcp_src, *sweep;
	struct tcp_conn *conns[TCP_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Answer one query in @msg into @out; the length, or -1 for no answer. */
static ssize_t answer(struct pd_dns_server *s, const uint8_t *msg, size_t len, bool tcp,
		      uint8_t *out, size_t cap)
{
	struct pd_dns_query q;
	struct pd_addr a = { 0 };
	char norm[PD_NAME_MAX + 1], tn[PD_DNS_TYPE_NAME_MAX];
	const char *why = NULL;
	int rcode = 0, r = pd_dns_parse_query(msg, len, &q, &rcode);
	size_t max = tcp ? PD_DNS_TCP_MAX : pd_dns_udp_max_len(&q);
	bool allowed = false;
	struct pd_audit_record rec = { .sandbox = s->o.sandbox, .kind = "dns" };

	if (r == -2)
		return -1;
	if (r < 0)
		return pd_dns_build_response(&q, msg, rcode, NULL, 0, 0, max, out, cap);
	rec.method = pd_dns_type_name(q.qtype, tn);
	rec.host = q.name;
	if (q.qclass != PD_DNS_CLASS_IN) {
		rec.reason = "not class IN";
		rcode = PD_DNS_RCODE_REFUSED;
	} else if (pd_name_normalize(q.name, strlen(q.name), norm, sizeof(norm), &why) < 0) {
		rec.reason = why ? why : "not a host name";
		rcode = PD_DNS_RCODE_NXDOMAIN;
	} else if (!(rec.rule = pd_policy_name_rule_any_port(pd_proxy_policy(s->o.proxy), norm))) {
		rec.reason = "not in the allowlist";
		rcode = PD_DNS_RCODE_NXDOMAIN;
	} else {
		allowed = true;
		/* only an A answer carries the address (the builder puts none in
		 * an ANY answer): no other type takes a slot of the table */
		if (q.qtype == PD_DNS_A && pd_synth_addr(s->o.synth, norm, &a.v4) == 0)
			a.family = AF_INET;
	}
	rec.allowed = allowed;
	rec.addr = a.family ? &a : NULL;
	if (s->o.audit)
		(void)pd_audit_write(s->o.audit, &rec);
	if (!allowed && rcode == PD_DNS_RCODE_NXDOMAIN)
		pd_proxy_note_denial(s->o.proxy, q.name[0] ? q.name : ".");
	return pd_dns_build_response(&q, msg, rcode, a.family ? &a : NULL, a.family ? 1 : 0,
				     s->o.ttl, max, out, cap);
}

static void on_udp(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct pd_dns_server *s = data;

	(void)src;
	(void)events;
	for (int i = 0; i < UDP_PER_WAKE; i++) {
		uint8_t in[PD_DNS_EDNS_MAX + 512], out[PD_DNS_EDNS_MAX];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s->udp, in, sizeof(in), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &fl),
			m;

		if (n < 0)
			return;
		if ((size_t)n > sizeof(in))
			continue; /* larger than any query: drop */
		m = answer(s, in, (size_t)n, false, out, sizeof(out));
		if (m > 0)
			(void)sendto(s->udp, out, (size_t)m, MSG_DONTWAIT | MSG_NOSIGNAL,
				     (struct sockaddr *)&from, fl);
	}
}

static void tcp_close(struct tcp_conn *c)
{
	struct pd_dns_server *s = c->srv;

	for (size_t i = 0; i < TCP_MAX; i++)
		if (s->conns[i] == c)
			s->conns[i] = NULL;
	pd_loop_remove(c->src);
	close(c->fd);
	free(c);
}

static void on_tcp_conn(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct tcp_conn *c = data;
	ssize_t n;
	size_t want;

	(void)src;
	(void)events;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return tcp_close(c);
	if (n < 0)
		return;
	c->len += (size_t)n;
	c->deadline = now_ms() + TCP_IDLE_MS;
	while (c->len >= 2) {
		uint8_t out[2 + PD_DNS_EDNS_MAX];
		ssize_t m;

		want = pd_dns_tcp_frame_len(c->buf, c->len);
		if (want < 12 || want > TCP_QUERY_MAX)
			return tcp_close(c);
		if (c->len < 2 + want)
			return;
		m = answer(c->srv, c->buf + 2, want, true, out + 2, sizeof(out) - 2);
		if (m > 0) {
			out[0] = (uint8_t)(m >> 8);
			out[1] = (uint8_t)m;
			if (send(c->fd, out, (size_t)m + 2, MSG_DONTWAIT | MSG_NOSIGNAL) != m + 2)
				return tcp_close(c); /* a client that does not read */
		}
		memmove(c->buf, c->buf + 2 + want, c->len - 2 - want);
		c->len -= 2 + want;
	}
}

static void on_tcp_accept(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct pd_dns_server *s = data;
	struct tcp_conn *c;
	size_t slot = TCP_MAX;
	int fd;

	(void)src;
	(void)events;
	fd = accept4(s->tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (size_t i = 0; i < TCP_MAX && slot == TCP_MAX; i++)
		if (!s->conns[i])
			slot = i;
	c = slot < TCP_MAX ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->deadline = now_ms() + TCP_IDLE_MS;
	c->src = pd_loop_add_fd(s->loop, fd, EPOLLIN, on_tcp_conn, c, "dns tcp", NULL);
	if (!c->src) {
		close(fd);
		free(c);
		return;
	}
	s->conns[slot] = c;
}

static void sweep(struct pd_loop_source *src, uint64_t exp, void *data)
{
	struct pd_dns_server *s = data;
	uint64_t now = now_ms();

	(void)src;
	(void)exp;
	for (size_t i = 0; i < TCP_MAX; i++)
		if (s->conns[i] && now >= s->conns[i]->deadline)
			tcp_close(s->conns[i]);
}

struct pd_dns_server *pd_dns_server_new(struct pd_loop *loop, int udp_fd, int tcp_fd,
					const struct pd_dns_server_opts *opts, struct pd_error *err)
{
	struct pd_dns_server *s = calloc(1, sizeof(*s));

	if (!s) {
		pd_error_set(err, ENOMEM, "DNS server");
		if (udp_fd >= 0)
			close(udp_fd);
		if (tcp_fd >= 0)
			close(tcp_fd);
		return NULL;
	}
	s->loop = loop;
	s->o = *opts;
	if (!s->o.ttl)
		s->o.ttl = 30;
	s->udp = udp_fd;
	s->tcp = tcp_fd;
	s->udp_src = pd_loop_add_fd(loop, udp_fd, EPOLLIN, on_udp, s, "dns udp", err);
	if (!s->udp_src)
		goto fail;
	if (tcp_fd >= 0) {
		s->tcp_src =
			pd_loop_add_fd(loop, tcp_fd, EPOLLIN, on_tcp_accept, s, "dns tcp", err);
		s->sweep = s->tcp_src
				   ? pd_loop_add_timer(loop, 1000, true, sweep, s, "dns sweep", err)
				   : NULL;
		if (!s->sweep)
			goto fail;
	}
	return s;
fail:
	pd_dns_server_free(s);
	return NULL;
}

void pd_dns_server_free(struct pd_dns_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < TCP_MAX; i++)
		if (s->conns[i])
			tcp_close(s->conns[i]);
	pd_loop_remove(s->udp_src);
	pd_loop_remove(s->tcp_src);
	pd_loop_remove(s->sweep);
	if (s->udp >= 0)
		close(s->udp);
	if (s->tcp >= 0)
		close(s->tcp);
	free(s);
}
