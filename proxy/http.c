/* SPDX-License-Identifier: MIT */
/*
 * http.c - the proxy's HTTP/1.x request-head parser, forward head, chunked
 * body scanner and error responses.
 *
 * Theory of operation
 *
 * The proxy stands between a sandbox and the allowlist: it must see the
 * same request the upstream server will see.  Request smuggling lives in
 * the gaps between two lenient parsers (a bare LF one side takes for a line
 * end, two Content-Lengths, a folded header, a Host that names another
 * site than the target), so this parser accepts one spelling only and
 * refuses everything else with a status and a reason.
 *
 * pd_http_parse_request() is a single forward pass over the buffer with a
 * cursor.  Every byte is fetched through get(), which knows the current
 * limit (PD_HTTP_LINE_MAX for the request line, PD_HTTP_HEAD_MAX for the
 * head) and the end of the data:
 *   - past the limit: the error of that limit (414 or 431);
 *   - past the data: "need more" (0), up through every caller;
 *   - else the byte.
 * Each check looks only at bytes already fetched, and the checks run in
 * the order of the bytes (the method as it comes, the target at the space
 * after it, each header field when its CRLF has come, the head-wide rules
 * at the empty line).  So the result for a prefix of a stream is either
 * "need more" or the result for the whole stream: a request fed byte by
 * byte ends exactly as one fed at once, and an error shows as soon as its
 * bytes are in (the fuzz target checks this on every input).  The parser
 * keeps no state between calls; re-parsing costs one pass over at most
 * PD_HTTP_HEAD_MAX bytes.
 *
 * Header semantics are applied per field as it completes (duplicate Host,
 * Content-Length with Transfer-Encoding, Host against the target, ...);
 * what needs the whole head (a missing Host, the keep-alive decision) is
 * decided at the empty line.
 *
 * pd_http_forward_head() walks the validated head again (each line is known
 * to be "name:value CRLF") and copies every end-to-end line verbatim behind
 * a rebuilt origin-form request line; "Connection: close" ends the head
 * unless the caller keeps the upstream connection for another request.
 *
 * pd_http_chunked_scan() is a byte state machine (with a bulk skip over
 * chunk data) whose state lives in the caller's struct, so a body can come
 * in pieces of any size; it only delimits the body, it never rewrites it.
 */
#include "proxy/http.h"
#include "proxy/http_util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ---- host and port ---- */

struct authority {
	char host[256]; /* lowercased; IPv6 without brackets */
	uint16_t port;
	bool port_explicit;
};

/*
 * A host name: [A-Za-z0-9.-_], 1-255 bytes, no empty label (no leading,
 * trailing or double dot).  NULL when it is one, else the reason.
 */
static const char *check_name(const char *s, size_t n)
{
	if (n == 0)
		return "empty host";
	if (n > 255)
		return "host name too long";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (i == 0 || i == n - 1 || s[i - 1] == '.')
				return "empty label in host";
			continue;
		}
		if (c == '%')
			return "percent-escape in host";
		if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_'))
			return "invalid character in host";
	}
	return NULL;
}

/* A port: 1-5 decimal digits, 1-65535 (no sign, no suffix).  0 when it is not one. */
static unsigned parse_port(const char *s, size_t n)
{
	unsigned v = 0;

	if (n < 1 || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= 65535 ? v : 0;
}

/*
 * "host[:port]" or "[v6][:port]" in [s, s+n) into @a (port 80 when absent
 * and not @port_required).  NULL when it parses, else the reason.
 */
static const char *parse_authority(const char *s, size_t n, bool port_required, struct authority *a)
{
	const char *hs, *rest;
	size_t hn, rn;
	unsigned port;

	if (n == 0)
		return "empty host";
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		char tmp[INET6_ADDRSTRLEN];
		struct in6_addr v6;

		if (!close)
			return "invalid IPv6 literal in host";
		hs = s + 1;
		hn = (size_t)(close - hs);
		if (hn < 2 || hn >= sizeof(tmp))
			return "invalid IPv6 literal in host";
		for (size_t i = 0; i < hn; i++) {
			unsigned char c = (unsigned char)hs[i];

			if (!(is_digit(c) || (pd_http_lower(c) >= 'a' && pd_http_lower(c) <= 'f') ||
			      c == ':' || c == '.'))
				return "invalid IPv6 literal in host";
		}
		memcpy(tmp, hs, hn);
		tmp[hn] = '\0';
		if (inet_pton(AF_INET6, tmp, &v6) != 1)
			return "invalid IPv6 literal in host";
		rest = close + 1;
	} else {
		const char *colon = memchr(s, ':', n);
		const char *why;

		hs = s;
		hn = colon ? (size_t)(colon - s) : n;
		if ((why = check_name(hs, hn)))
			return why;
		rest = s + hn;
	}
	rn = (size_t)(s + n - rest);
	for (size_t i = 0; i < hn; i++)
		a->host[i] = (char)pd_http_lower((unsigned char)hs[i]);
	a->host[hn] = '\0';
	a->port = 80;
	a->port_explicit = false;
	if (rn == 0)
		return port_required ? "CONNECT target without port" : NULL;
	if (rest[0] != ':' || !(port = parse_port(rest + 1, rn - 1)))
		return "invalid port";
	a->port = (uint16_t)port;
	a->port_explicit = true;
	return NULL;
}

/* ---- the request head ---- */

enum { R_OK = 0, R_MORE = 1, R_FAIL = -1 };

struct parser {
	const char *buf;
	size_t len;
	size_t pos;
	size_t limit; /* first offset that may not be read */
	int limit_status;
	const char *limit_reason;
	struct pd_http_request *req;
	int status;
	const char *reason;
	/* what the fields said so far */
	bool cl_seen, te_seen, close_seen, keep_alive_seen;
};

static int fail(struct parser *p, int status, const char *reason)
{
	p->status = status;
	p->reason = reason;
	return R_FAIL;
}

/* The byte at the cursor (not consumed). */
static int get(struct parser *p, unsigned char *c)
{
	if (p->pos >= p->limit)
		return fail(p, p->limit_status, p->limit_reason);
	if (p->pos >= p->len)
		return R_MORE;
	*c = (unsigned char)p->buf[p->pos];
	return R_OK;
}

/* A byte that may not be at the cursor: a line-ending problem, or @what. */
static int bad_byte(struct parser *p, unsigned char c, const char *what)
{
	if (c == '\n')
		return fail(p, 400, "bare LF in request head");
	return fail(p, 400, what);
}

/* CR at the cursor was read: the LF after it, consumed. */
static int expect_lf(struct parser *p)
{
	unsigned char c;
	int r = get(p, &c);

	if (r != R_OK)
		return r;
	if (c != '\n')
		return fail(p, 400, "bare CR in request head");
	p->pos++;
	return R_OK;
}

static int parse_target(struct parser *p, const char *t, size_t n)
{
	struct pd_http_request *req = p->req;
	struct authority a;
	const char *why;

	if (memchr(t, '#', n))
		return fail(p, 400, "fragment in request target");
	if (req->connect) {
		if (t[0] == '/' || t[0] == '*' || memchr(t, '/', n))
			return fail(p, 400, "CONNECT target is not host:port");
		if (memchr(t, '@', n))
			return fail(p, 400, "userinfo in request target");
		if ((why = parse_authority(t, n, true, &a)))
			return fail(p, 400, why);
	} else if (t[0] == '/') {
		req->path_off = (size_t)(t - p->buf);
		req->path_len = n;
		return R_OK;
	} else if (t[0] == '*') {
		return fail(p, 400, "asterisk-form request target");
	} else if (n >= 7 && pd_http_ieq(t, 7, "http://")) {
		const char *auth = t + 7, *end = t + n, *e = auth;

		while (e < end && *e != '/' && *e != '?')
			e++;
		if (memchr(auth, '@', (size_t)(e - auth)))
			return fail(p, 400, "userinfo in request target");
		if ((why = parse_authority(auth, (size_t)(e - auth), false, &a)))
			return fail(p, 400, why);
		req->absolute = true;
		req->path_off = (size_t)(e - p->buf);
		req->path_len = (size_t)(end - e);
	} else {
		/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
		size_t i = 0;

		while (i < n && (is_alpha((unsigned char)t[i]) || is_digit((unsigned char)t[i]) ||
				 t[i] == '+' || t[i] == '-' || t[i] == '.'))
			i++;
		if (i > 0 && i < n && t[i] == ':' && is_alpha((unsigned char)t[0]))
			return fail(p, 400, "unsupported URI scheme (only http://)");
		return fail(p, 400, "invalid request target");
	}
	memcpy(req->host, a.host, sizeof(req->host));
	req->port = a.port;
	req->port_explicit = a.port_explicit;
	return R_OK;
}

/* "METHOD SP target SP HTTP/1.x CRLF" */
static int parse_request_line(struct parser *p)
{
	struct pd_http_request *req = p->req;
	static const char http[] = "HTTP/";
	size_t start, tstart;
	unsigned char c, major, minor;
	int r;

	p->limit = PD_HTTP_LINE_MAX;
	p->limit_status = 414;
	p->limit_reason = "request line too long";

	/* method */
	for (start = p->pos;; p->pos++) {
		if ((r = get(p, &c)) != R_OK)
			return r;
		if (c == ' ')
			break;
		if (!pd_http_is_tchar(c)) {
			if (c == '\r' && p->pos == start)
				return fail(p, 400, "empty line before the request line");
			return bad_byte(p, c, "invalid character in method");
		}
		if (p->pos - start >= sizeof(req->method) - 1)
			return fail(p, 501, "method too long");
		req->method[p->pos - start] = (char)c;
	}
	if (p->pos == start)
		return fail(p, 400, "empty method");
	req->connect = strcmp(req->method, "CONNECT") == 0;
	p->pos++;

	/* request target */
	for (tstart = p->pos;; p->pos++) {
		if ((r = get(p, &c)) != R_OK)
			return r;
		if (c == ' ')
			break;
		if (c == '\r')
			return fail(p, 400, "request line without HTTP version");
		if (c < 0x21 || c > 0x7e)
			return bad_byte(p, c, "invalid character in request target");
	}
	if (p->pos == tstart)
		return fail(p, 400, "empty request target");
	if ((r = parse_target(p, p->buf + tstart, p->pos - tstart)) != R_OK)
		return r;
	p->pos++;

	/* "HTTP/" DIGIT "." DIGIT CRLF: 1.0 and 1.1 taken, other digits 505 */
	for (size_t i = 0; i < sizeof(http) - 1; i++, p->pos++) {
		if ((r = get(p, &c)) != R_OK)
			return r;
		if (c != (unsigned char)http[i])
			return bad_byte(p, c, "malformed HTTP version");
	}
	if ((r = get(p, &major)) != R_OK)
		return r;
	if (!is_digit(major))
		return bad_byte(p, major, "malformed HTTP version");
	p->pos++;
	if ((r = get(p, &c)) != R_OK)
		return r;
	if (c != '.')
		return bad_byte(p, c, "malformed HTTP version");
	p->pos++;
	if ((r = get(p, &minor)) != R_OK)
		return r;
	if (!is_digit(minor))
		return bad_byte(p, minor, "malformed HTTP version");
	p->pos++;
	if ((r = get(p, &c)) != R_OK)
		return r;
	if (c != '\r')
		return bad_byte(p, c, "malformed HTTP version");
	p->pos++;
	if ((r = expect_lf(p)) != R_OK)
		return r;
	if (major != '1' || (minor != '0' && minor != '1'))
		return fail(p, 505, "unsupported HTTP version");
	req->minor = minor - '0';
	return R_OK;
}

/* Connection / Proxy-Connection: a comma-separated list of tokens. */
static int field_connection(struct parser *p, const char *v, size_t n)
{
	size_t i = 0;

	while (i <= n) {
		size_t s = i;
		const char *t;
		size_t tn;

		while (i < n && v[i] != ',')
			i++;
		t = v + s;
		tn = i - s;
		pd_http_trim_ows(&t, &tn);
		i++;
		if (tn == 0)
			continue; /* empty list elements are allowed */
		for (size_t k = 0; k < tn; k++)
			if (!pd_http_is_tchar((unsigned char)t[k]))
				return fail(p, 400, "invalid Connection header");
		if (pd_http_ieq(t, tn, "close"))
			p->close_seen = true;
		else if (pd_http_ieq(t, tn, "keep-alive"))
			p->keep_alive_seen = true;
		else if (pd_http_ieq(t, tn, "host") || pd_http_ieq(t, tn, "content-length") ||
			 pd_http_ieq(t, tn, "transfer-encoding"))
			return fail(p, 400, "Connection header names an end-to-end header");
	}
	return R_OK;
}

static int field_host(struct parser *p, const char *v, size_t n)
{
	struct pd_http_request *req = p->req;
	struct authority a;
	const char *why;

	if (req->host_header)
		return fail(p, 400, "duplicate Host header");
	req->host_header = true;
	if (n == 0)
		return fail(p, 400, "empty Host header");
	if ((why = parse_authority(v, n, false, &a)))
		return fail(p, 400, why);
	if (req->connect || req->absolute) {
		bool port_ok = req->connect && !a.port_explicit ? true : a.port == req->port;

		if (strcmp(a.host, req->host) != 0 || !port_ok)
			return fail(p, 400, "Host header does not match the request target");
		return R_OK;
	}
	memcpy(req->host, a.host, sizeof(req->host));
	req->port = a.port;
	req->port_explicit = a.port_explicit;
	return R_OK;
}

static int field_content_length(struct parser *p, const char *v, size_t n)
{
	struct pd_http_request *req = p->req;
	uint64_t x = 0;

	if (req->connect)
		return fail(p, 400, "CONNECT request with a body");
	if (p->cl_seen)
		return fail(p, 400, "duplicate Content-Length header");
	if (p->te_seen)
		return fail(p, 400, "both Content-Length and Transfer-Encoding");
	p->cl_seen = true;
	if (n == 0)
		return fail(p, 400, "invalid Content-Length");
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)v[i]))
			return fail(p, 400, "invalid Content-Length");
		x = x * 10 + (uint64_t)(v[i] - '0'); /* x <= 2^53 before: no wrap */
		if (x > PD_HTTP_CONTENT_LENGTH_MAX)
			return fail(p, 400, "Content-Length too large");
	}
	req->content_length = x;
	return R_OK;
}

static int field_transfer_encoding(struct parser *p, const char *v, size_t n)
{
	struct pd_http_request *req = p->req;

	if (req->connect)
		return fail(p, 400, "CONNECT request with a body");
	if (p->te_seen)
		return fail(p, 400, "duplicate Transfer-Encoding header");
	if (req->minor == 0)
		return fail(p, 400, "Transfer-Encoding in an HTTP/1.0 request");
	if (p->cl_seen)
		return fail(p, 400, "both Content-Length and Transfer-Encoding");
	p->te_seen = true;
	if (!pd_http_ieq(v, n, "chunked"))
		return fail(p, 501, "unsupported transfer coding");
	return R_OK;
}

/* One complete field line: name [ns, ns+nn), value (OWS trimmed) [v, v+vn). */
static int field(struct parser *p, const char *name, size_t nn, const char *v, size_t vn)
{
	if (pd_http_ieq(name, nn, "host"))
		return field_host(p, v, vn);
	if (pd_http_ieq(name, nn, "content-length"))
		return field_content_length(p, v, vn);
	if (pd_http_ieq(name, nn, "transfer-encoding"))
		return field_transfer_encoding(p, v, vn);
	if (pd_http_ieq(name, nn, "connection") || pd_http_ieq(name, nn, "proxy-connection"))
		return field_connection(p, v, vn);
	if (pd_http_ieq(name, nn, "expect") && pd_http_ieq(v, vn, "100-continue") &&
	    p->req->minor == 1)
		p->req->expect_continue = true;
	return R_OK;
}

static int end_of_head(struct parser *p)
{
	struct pd_http_request *req = p->req;

	if (!req->host_header && (req->minor == 1 || (!req->connect && !req->absolute)))
		return fail(p, 400, "missing Host header");
	req->head_len = p->pos;
	req->body = p->te_seen   ? PD_HTTP_BODY_CHUNKED
		    : p->cl_seen ? PD_HTTP_BODY_LENGTH
				 : PD_HTTP_BODY_NONE;
	if (p->close_seen)
		req->client_keep_alive = false;
	else
		req->client_keep_alive = req->minor == 1 || p->keep_alive_seen;
	return R_OK;
}

/* Header lines up to and including the empty line. */
static int parse_fields(struct parser *p)
{
	p->limit = PD_HTTP_HEAD_MAX;
	p->limit_status = 431;
	p->limit_reason = "request head too large";
	for (;;) {
		size_t ls = p->pos, vs, ve;
		const char *v;
		size_t vn;
		unsigned char c;
		int r;

		if ((r = get(p, &c)) != R_OK)
			return r;
		if (c == '\r') {
			p->pos++;
			if ((r = expect_lf(p)) != R_OK)
				return r;
			return end_of_head(p);
		}
		if (c == ' ' || c == '\t')
			return fail(p, 400, "obsolete line folding");
		for (;; p->pos++) {
			if ((r = get(p, &c)) != R_OK)
				return r;
			if (c == ':')
				break;
			if (pd_http_is_tchar(c))
				continue;
			if (c == ' ' || c == '\t')
				return fail(p, 400, "whitespace in header field name");
			if (c == '\r')
				return fail(p, 400, "header line without colon");
			return bad_byte(p, c, "invalid character in header field name");
		}
		if (p->pos == ls)
			return fail(p, 400, "empty header field name");
		p->pos++;
		for (vs = p->pos;; p->pos++) {
			if ((r = get(p, &c)) != R_OK)
				return r;
			if (c == '\r')
				break;
			if (c == '\0')
				return fail(p, 400, "NUL in header field value");
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return bad_byte(p, c, "control character in header field value");
		}
		ve = p->pos;
		p->pos++;
		if ((r = expect_lf(p)) != R_OK)
			return r;
		if (++p->req->fields > PD_HTTP_FIELDS_MAX)
			return fail(p, 431, "too many header fields");
		v = p->buf + vs;
		vn = ve - vs;
		pd_http_trim_ows(&v, &vn);
		if ((r = field(p, p->buf + ls, vs - 1 - ls, v, vn)) != R_OK)
			return r;
	}
}

int pd_http_parse_request(const char *buf, size_t len, struct pd_http_request *req, int *status,
			  const char **reason)
{
	struct parser p = { .buf = buf, .len = len, .req = req };
	int r;

	memset(req, 0, sizeof(*req));
	if ((r = parse_request_line(&p)) == R_OK)
		r = parse_fields(&p);
	if (r == R_OK)
		return 1;
	if (r == R_MORE)
		return 0;
	*status = p.status;
	*reason = p.reason;
	return -1;
}

/* ---- the head sent upstream ---- */

/* The header lines of a validated head: [*ls, *le) is the next line with its CRLF. */
static bool next_line(const char *buf, size_t head_len, size_t *ls, size_t *le)
{
	const char *nl;

	*ls = *le;
	if (*ls + 2 >= head_len) /* the empty line */
		return false;
	nl = memchr(buf + *ls, '\n', head_len - *ls);
	if (!nl)
		return false;
	*le = (size_t)(nl - buf) + 1;
	return true;
}

/* Whether a Connection or Proxy-Connection field of the head lists [name, name+nn). */
static bool listed_in_connection(const char *buf, size_t first, size_t head_len, const char *name,
				 size_t nn)
{
	size_t ls, le = first;

	while (next_line(buf, head_len, &ls, &le)) {
		const char *line = buf + ls, *colon = memchr(line, ':', le - ls);
		const char *v;
		size_t vn;

		if (!colon)
			continue;
		if (!pd_http_ieq(line, (size_t)(colon - line), "connection") &&
		    !pd_http_ieq(line, (size_t)(colon - line), "proxy-connection"))
			continue;
		v = colon + 1;
		vn = (size_t)(buf + le - 2 - v);
		for (size_t i = 0; i <= vn;) {
			size_t s = i;
			const char *t;
			size_t tn;

			while (i < vn && v[i] != ',')
				i++;
			t = v + s;
			tn = i - s;
			pd_http_trim_ows(&t, &tn);
			i++;
			if (pd_http_ieq2(t, tn, name, nn))
				return true;
		}
	}
	return false;
}

static bool hop_by_hop(const char *name, size_t n)
{
	static const char *const names[] = {
		"connection",
		"proxy-connection",
		"keep-alive",
		"proxy-authorization",
		"proxy-authenticate",
		"te",
		"trailer",
		"upgrade",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (pd_http_ieq(name, n, names[i]))
			return true;
	return false;
}

ssize_t pd_http_forward_head(const char *buf, const struct pd_http_request *req, bool close,
			     char *out, size_t cap)
{
	struct pd_http_out o = { out, cap, 0, false };
	const char *nl;
	size_t first, ls, le;

	if (req->connect || req->head_len < 4 || req->head_len > PD_HTTP_HEAD_MAX ||
	    req->path_off > req->head_len || req->path_len > req->head_len - req->path_off)
		return -1;
	nl = memchr(buf, '\n', req->head_len);
	if (!nl)
		return -1;
	first = (size_t)(nl - buf) + 1;

	pd_http_puts(&o, req->method);
	pd_http_puts(&o, " ");
	if (req->path_len == 0 || buf[req->path_off] != '/')
		pd_http_puts(&o, "/");
	pd_http_put(&o, buf + req->path_off, req->path_len);
	pd_http_puts(&o, " HTTP/1.1\r\n");
	if (!req->host_header) {
		bool v6 = strchr(req->host, ':') != NULL;

		pd_http_puts(&o, v6 ? "Host: [" : "Host: ");
		pd_http_puts(&o, req->host);
		if (v6)
			pd_http_puts(&o, "]");
		if (req->port_explicit) {
			char port[8];
			int n = snprintf(port, sizeof(port), ":%u", (unsigned)req->port);

			pd_http_put(&o, port, (size_t)n);
		}
		pd_http_puts(&o, "\r\n");
	}
	le = first;
	while (next_line(buf, req->head_len, &ls, &le)) {
		const char *line = buf + ls, *colon = memchr(line, ':', le - ls);
		size_t nn;

		if (!colon)
			return -1;
		nn = (size_t)(colon - line);
		if (hop_by_hop(line, nn) ||
		    listed_in_connection(buf, first, req->head_len, line, nn))
			continue;
		pd_http_put(&o, line, le - ls);
	}
	pd_http_puts(&o, close ? "Connection: close\r\n\r\n" : "\r\n");
	if (o.overflow)
		return -1;
	return (ssize_t)o.len;
}

/* ---- chunked request bodies ---- */

enum chunked_state {
	C_SIZE,    /* chunk-size hex digits */
	C_EXT,     /* after ';', up to CR */
	C_SIZE_LF, /* CR of the size line seen */
	C_DATA,    /* chunk data */
	C_DATA_CR, /* CRLF after the data */
	C_DATA_LF, /* CR after the data seen */
	C_TRAILER, /* start of a trailer line (or the final CRLF) */
	C_T_NAME,  /* trailer field name */
	C_T_VALUE, /* trailer field value, up to CR */
	C_T_LF,    /* CR of a trailer line seen */
	C_END_LF,  /* CR of the final empty line seen */
	C_DONE,    /* the body has ended */
	C_FAILED,  /* malformed: stays so */
};

void pd_http_chunked_init(struct pd_http_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = C_SIZE;
}

static ssize_t chunked_fail(struct pd_http_chunked *c, unsigned char b, const char *why)
{
	c->state = C_FAILED;
	c->error = b == '\n' ? "bare LF in chunked body" : why;
	return -1;
}

static int hexval(unsigned char b)
{
	if (is_digit(b))
		return b - '0';
	b = pd_http_lower(b);
	if (b >= 'a' && b <= 'f')
		return b - 'a' + 10;
	return -1;
}

ssize_t pd_http_chunked_scan(struct pd_http_chunked *c, const char *buf, size_t len, bool *done)
{
	size_t i = 0;

	*done = c->state == C_DONE;
	if (c->state == C_DONE)
		return 0;
	if (c->state == C_FAILED)
		return -1;
	while (i < len) {
		unsigned char b = (unsigned char)buf[i];

		if (c->state == C_DATA) {
			size_t k = len - i;

			if ((uint64_t)k > c->remaining)
				k = (size_t)c->remaining;
			c->remaining -= k;
			i += k;
			if (c->remaining == 0)
				c->state = C_DATA_CR;
			continue;
		}
		if (c->state <= C_SIZE_LF && ++c->line > PD_HTTP_CHUNK_LINE_MAX)
			return chunked_fail(c, 0, "chunk size line too long");
		if (c->state >= C_TRAILER && c->state <= C_END_LF &&
		    ++c->trailer > PD_HTTP_TRAILER_MAX)
			return chunked_fail(c, 0, "trailer section too large");
		switch ((enum chunked_state)c->state) {
		case C_SIZE:
			if (hexval(b) >= 0) {
				if (++c->digits > 16)
					return chunked_fail(c, b, "chunk size too long");
				c->size = c->size << 4 | (uint64_t)hexval(b);
			} else if (c->digits > 0 && b == ';') {
				c->state = C_EXT;
			} else if (c->digits > 0 && b == '\r') {
				c->state = C_SIZE_LF;
			} else {
				return chunked_fail(c, b, "invalid chunk size");
			}
			break;
		case C_EXT:
			if (b == '\r')
				c->state = C_SIZE_LF;
			else if ((b < 0x20 && b != '\t') || b == 0x7f)
				return chunked_fail(c, b, "control character in chunk extension");
			break;
		case C_SIZE_LF:
			if (b != '\n')
				return chunked_fail(c, b, "bare CR in chunked body");
			c->line = 0;
			c->digits = 0;
			if (c->size == 0) {
				c->state = C_TRAILER;
			} else {
				c->remaining = c->size;
				c->state = C_DATA;
			}
			c->size = 0;
			break;
		case C_DATA_CR:
			if (b != '\r')
				return chunked_fail(c, b, "missing CRLF after chunk data");
			c->state = C_DATA_LF;
			break;
		case C_DATA_LF:
			if (b != '\n')
				return chunked_fail(c, b, "missing CRLF after chunk data");
			c->state = C_SIZE;
			break;
		case C_TRAILER:
			if (b == '\r')
				c->state = C_END_LF;
			else if (b == ' ' || b == '\t')
				return chunked_fail(c, b, "obsolete line folding in trailer");
			else if (pd_http_is_tchar(b))
				c->state = C_T_NAME;
			else
				return chunked_fail(c, b, "invalid trailer field");
			break;
		case C_T_NAME:
			if (b == ':')
				c->state = C_T_VALUE;
			else if (!pd_http_is_tchar(b))
				return chunked_fail(c, b, "invalid trailer field");
			break;
		case C_T_VALUE:
			if (b == '\r')
				c->state = C_T_LF;
			else if ((b < 0x20 && b != '\t') || b == 0x7f)
				return chunked_fail(c, b, "control character in trailer field");
			break;
		case C_T_LF:
			if (b != '\n')
				return chunked_fail(c, b, "bare CR in chunked body");
			c->state = C_TRAILER;
			break;
		case C_END_LF:
			if (b != '\n')
				return chunked_fail(c, b, "bare CR in chunked body");
			c->state = C_DONE;
			*done = true;
			return (ssize_t)(i + 1);
		case C_DATA:
		case C_DONE:
		case C_FAILED:
		default:
			return chunked_fail(c, 0, "chunked scanner state corrupt");
		}
		i++;
	}
	return (ssize_t)len;
}

ssize_t pd_http_chunked_decode(struct pd_http_chunked *c, const char *buf, size_t len, char *out,
			       size_t *out_len, bool *done)
{
	size_t i = 0;

	*out_len = 0;
	*done = c->state == C_DONE;
	while (i < len && !*done) {
		/* chunk data goes out as it is, the framing around it does not */
		size_t k = c->state == C_DATA ? len - i : 1;
		ssize_t r;
		bool data = c->state == C_DATA;

		if (data && (uint64_t)k > c->remaining)
			k = (size_t)c->remaining;
		r = pd_http_chunked_scan(c, buf + i, k, done);
		if (r < 0)
			return -1;
		if (data) {
			memmove(out + *out_len, buf + i, (size_t)r);
			*out_len += (size_t)r;
		}
		i += (size_t)r;
		if (r == 0)
			break;
	}
	return (ssize_t)i;
}

/* ---- responses ---- */

const char *pd_http_status_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 407:
		return "Proxy Authentication Required";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return NULL;
	}
}

#define ERROR_HEAD \
	"HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n" \
	"Connection: close\r\n\r\n"

/* The length of the response head for a body of @n bytes. */
static size_t error_head_len(int status, const char *phrase, size_t n)
{
	int r = snprintf(NULL, 0, ERROR_HEAD, status, phrase, n);

	return r < 0 ? SIZE_MAX : (size_t)r;
}

/* A head, @n body bytes and the NUL fit @cap. */
static bool error_fits(int status, const char *phrase, size_t n, size_t cap)
{
	size_t h = error_head_len(status, phrase, n);

	return h < cap && n <= cap - 1 - h;
}

size_t pd_http_error_response(char *out, size_t cap, int status, const char *body)
{
	const char *phrase = pd_http_status_phrase(status);
	size_t blen = body ? strlen(body) : 0, n = blen, h;
	int r;

	if (!phrase) {
		status = 500;
		phrase = pd_http_status_phrase(500);
	}
	/* The longest body that fits: jump to the room left, then grow (a
	 * shorter Content-Length may leave room for a byte or two more). */
	while (n > 0 && !error_fits(status, phrase, n, cap)) {
		h = error_head_len(status, phrase, n);
		n = h + 1 < cap && cap - 1 - h < n ? cap - 1 - h : n - 1;
	}
	if (!error_fits(status, phrase, n, cap)) {
		if (cap > 0)
			out[0] = '\0';
		return 0;
	}
	while (n < blen && error_fits(status, phrase, n + 1, cap))
		n++;
	/* Cut at a UTF-8 character boundary: not before a continuation byte. */
	while (n > 0 && n < blen && ((unsigned char)body[n] & 0xc0) == 0x80)
		n--;
	r = snprintf(out, cap, ERROR_HEAD, status, phrase, n);
	if (r < 0 || (size_t)r >= cap) {
		if (cap > 0)
			out[0] = '\0';
		return 0;
	}
	h = (size_t)r;
	if (n > 0)
		memcpy(out + h, body, n);
	out[h + n] = '\0';
	return h + n;
}
