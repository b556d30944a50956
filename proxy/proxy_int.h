/* SPDX-License-Identifier: MIT */
/*
 * proxy_int.h - what proxy.c and conn.c share (internal to proxy/).
 */
#ifndef PAUDE_PROXY_INT_H
#define PAUDE_PROXY_INT_H

#include "proxy/addr.h"
#include "proxy/http.h"
#include "proxy/name.h"
#include "proxy/proxy.h"
#include "proxy/resolve.h"
#include "proxy/upool.h"

#include <stdbool.h>
#include <stdint.h>

#define PD_PROXY_MAX_LISTENERS 32
#define PD_PROXY_TALLY 6

struct pd_audit_record;

struct listener {
	struct pd_proxy *proxy;
	struct pd_loop_source *src;
	int fd;
	bool transparent;
	bool paused;
	uint16_t port;
};

/* One direction of a relay: from -> pipe -> to. */
struct pump {
	int pipe[2];
	size_t inpipe;  /* bytes in the pipe */
	size_t cap;     /* what one read asks for (PIPE_CAP, more once it streams) */
	unsigned full;  /* reads in a row that filled cap */
	uint64_t limit; /* bytes still to read (UINT64_MAX: until EOF) */
	uint64_t bytes; /* bytes written to the destination */
	bool rd_done;   /* nothing more to read (EOF, or the limit reached) */
	bool truncated; /* EOF came before the limit */
	bool wr_done;   /* the destination was shut (or must not be) */
	bool chunked;   /* a chunked body: copied through buf / rbuf, checked */
	bool streaming; /* spliced through the pipe (else copied, see conn.c) */
	struct pd_http_chunked ch;
};

enum conn_state {
	C_HEAD,    /* reading the request head / first bytes */
	C_RESOLVE, /* waiting for the resolver */
	C_CONNECT, /* connecting upstream */
	C_RELAY,   /* both ways */
	C_LINGER,  /* an answer sent: draining the client until it closes */
};

struct conn {
	struct pd_proxy *proxy;
	struct conn *prev, *next;
	struct listener *listener;
	struct pd_loop_source *csrc, *usrc;
	const char *kind;         /* "connect", "http", "transparent" */
	const char *rule;         /* from the policy in force at the verdict */
	struct pd_policy *policy; /* the reference @rule lives in */
	struct pd_resolve_req *rq;
	size_t naddrs, ai;
	/* bytes read before the relay: the head, then what is still to send;
	 * plain HTTP keeps it for the next request's bytes */
	char *buf;
	size_t cap, len;
	/* to send upstream before relaying (the forwarded head, early bytes) */
	char *up;
	size_t up_len, up_off;
	/* to send to the client (200 Connection established, a response head, an error) */
	char *down;
	size_t down_len, down_off, down_cap;
	/* plain HTTP: the response head from upstream (then a chunked body's staging) */
	char *rbuf;
	size_t rlen, rscan;
	uint64_t t0, deadline;
	struct pump c2u, u2c;
	int cfd, ufd;
	enum conn_state st;
	int minor;        /* plain HTTP: the client's HTTP/1.<minor> */
	unsigned interim; /* plain HTTP: 1xx heads passed on for this request */
	struct pd_addr peer;
	struct pd_addr up_peer; /* plain HTTP: where the kept upstream connection goes */
	struct pd_addr addrs[PD_RESOLVE_MAX_ADDRS];
	uint16_t port;
	uint16_t up_port; /* plain HTTP: the kept upstream connection's port */
	bool pinned;
	bool up_pinned;   /* ... and whether its name was pinned */
	bool has_body;    /* plain HTTP: the request has a body (its upstream is not reused) */
	bool up_keep;     /* plain HTTP: upstream was asked to keep the connection */
	bool up_reusable; /* ... and the response left it clean for the next request */
	bool up_idle;     /* ufd is such a kept connection, between requests */
	bool reused;      /* this request went on a kept upstream connection */
	bool retry;       /* ... which had died: a new connection sends its head again */
	bool http;        /* plain HTTP forwarding: one request at a time */
	bool resp_body;   /* the response head is through: its body follows */
	bool keep_alive;  /* the client may send its next request on this connection */
	bool head_req;    /* the request is HEAD: the response has no body */
	bool dechunk;     /* a chunked response to an HTTP/1.0 client: decoded */
	bool audited;
	char method[16];
	char cause[96];                /* the last upstream failure */
	char norm[PD_NAME_MAX + 1];    /* normalized name, "" for an IP literal */
	char host[PD_NAME_MAX + 3];    /* as asked (normalized once known) */
	char up_name[PD_NAME_MAX + 3]; /* the kept upstream connection's name (or literal) */
};

struct pd_proxy {
	struct pd_loop *loop;
	struct pd_policy *policy;
	struct pd_proxy_opts opts;
	struct pd_pin *pins;
	size_t npins;
	struct listener listeners[PD_PROXY_MAX_LISTENERS];
	size_t nlisteners;
	struct pd_loop_source *sweep;
	struct pd_upool upool; /* idle upstream connections, for any client */
	struct conn *conns;
	size_t nconns, max_conns;
	uint64_t denied, tally_other;
	struct {
		char host[64];
		uint64_t count;
	} tally[PD_PROXY_TALLY];
	size_t ntally;
};

uint64_t pd_proxy_now_ms(void);
const struct pd_pin *pd_proxy_pin(const struct pd_proxy *p, const char *name);
void pd_proxy_audit(struct pd_proxy *p, const struct pd_audit_record *r);

void pd_conn_start(struct pd_proxy *p, int fd, struct listener *l);
void pd_conn_refuse_full(struct pd_proxy *p, int fd, struct listener *l);
void pd_conn_timeout(struct conn *c);
void pd_conn_close(struct conn *c);

#endif
