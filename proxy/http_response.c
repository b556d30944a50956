/* SPDX-License-Identifier: MIT */
/*
 * http_response.c - response heads from upstream: where one ends, what it
 * says about its body, and the head the client gets instead.
 *
 * Theory of operation
 *
 * A plain-HTTP client of the proxy keeps its connection for its next
 * request only when the proxy knows exactly where each response ends, so
 * the proxy reads the response head, decides the framing (RFC 9112 6.3)
 * and forwards a head of its own: its own version, the end-to-end fields
 * as they came, the hop-by-hop ones dropped.  What the server says about
 * its own connection only decides whether the proxy may use it again
 * (r->close); what the client is told is the proxy's decision alone.
 *
 * Upstream may trickle a head in as many pieces as it likes:
 * pd_http_head_end() resumes its search where it stopped, and the head is
 * parsed once, when complete, in one pass over at most
 * PD_HTTP_RESPONSE_HEAD_MAX bytes.  The parser is strict where a lenient
 * reading would let the proxy and the client frame the body differently
 * (folded fields, disagreeing Content-Lengths, a CR inside a line) and
 * takes what RFC 9112 lets a recipient take (bare LF line ends, an empty
 * reason phrase); the forwarded head is written in one spelling only.
 */
#include "proxy/http.h"
#include "proxy/http_util.h"

#include <stdio.h>
#include <string.h>

size_t pd_http_head_end(const char *buf, size_t len, size_t *scan)
{
	size_t i = *scan;

	for (; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return *scan = i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return *scan = i + 3;
		if (i + 2 >= len) /* maybe an empty line still arriving */
			break;
	}
	*scan = i;
	return 0;
}

/* A line of a complete head: [s, s+n) without its CRLF or LF. */
struct line {
	const char *s;
	size_t n;
};

/* The next line from *@off (0 once past the empty line or the head). */
static bool next_line(const char *buf, size_t head_len, size_t *off, struct line *l)
{
	const char *nl;
	size_t n;

	if (*off >= head_len)
		return false;
	nl = memchr(buf + *off, '\n', head_len - *off);
	if (!nl)
		return false;
	l->s = buf + *off;
	n = (size_t)(nl - l->s);
	*off += n + 1;
	if (n > 0 && l->s[n - 1] == '\r')
		n--;
	l->n = n;
	return true;
}

static bool text_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int bad(const char **reason, const char *why)
{
	*reason = why;
	return -1;
}

static int parse_status_line(const struct line *l, struct pd_http_response *r, const char **reason)
{
	const char *s = l->s;

	if (l->n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') ||
	    s[8] != ' ')
		return bad(reason, "not an HTTP/1.0 or HTTP/1.1 status line");
	r->minor = s[7] - '0';
	if (s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9')
		return bad(reason, "bad status code");
	r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (l->n > 12 && s[12] != ' ')
		return bad(reason, "bad status code");
	for (size_t i = 12; i < l->n; i++)
		if (!text_byte((unsigned char)s[i]))
			return bad(reason, "a control byte in the reason phrase");
	return 0;
}

static int field_content_length(const char *v, size_t vn, bool *seen, uint64_t *len,
				const char **reason)
{
	uint64_t x = 0;

	if (!vn)
		return bad(reason, "an empty Content-Length");
	for (size_t i = 0; i < vn; i++) {
		if (v[i] < '0' || v[i] > '9')
			return bad(reason, "a Content-Length that is not a number");
		x = x * 10 + (uint64_t)(v[i] - '0');
		if (x > PD_HTTP_CONTENT_LENGTH_MAX)
			return bad(reason, "a Content-Length too large");
	}
	if (*seen && x != *len)
		return bad(reason, "Content-Length fields that disagree");
	*seen = true;
	*len = x;
	return 0;
}

/*
 * Transfer-Encoding: every coding a token, maybe with parameters after OWS
 * ";"; *@chunked is whether the last one is "chunked" (without any).
 */
static int field_transfer_encoding(const char *v, size_t vn, bool *chunked, const char **reason)
{
	const char *t;
	size_t tn, i = 0;

	while (pd_http_next_token(v, vn, &i, &t, &tn)) {
		size_t k = 0, j;

		if (!tn)
			continue;
		while (k < tn && pd_http_is_tchar((unsigned char)t[k]))
			k++;
		for (j = k; j < tn && (t[j] == ' ' || t[j] == '\t');)
			j++;
		if (k == 0 || (j < tn && t[j] != ';'))
			return bad(reason, "a malformed Transfer-Encoding");
		*chunked = pd_http_ieq(t, k, "chunked") && k == tn;
	}
	return 0;
}

/* Connection options per head: the forwarded head checks each field against them. */
#define CONNECTION_OPTIONS_MAX 64

/*
 * Connection, Proxy-Connection: tokens, at most CONNECTION_OPTIONS_MAX in
 * the head, none naming a framing field (dropping it would tell the client
 * another framing than the one the proxy follows).
 */
static int field_connection(const char *v, size_t vn, unsigned *options, bool *close,
			    bool *keep_alive, const char **reason)
{
	const char *t;
	size_t tn, i = 0;

	while (pd_http_next_token(v, vn, &i, &t, &tn)) {
		/* empty elements count too: each costs a pass */
		if (++*options > CONNECTION_OPTIONS_MAX)
			return bad(reason, "too many Connection options");
		if (!tn)
			continue;
		for (size_t k = 0; k < tn; k++)
			if (!pd_http_is_tchar((unsigned char)t[k]))
				return bad(reason, "a malformed Connection option");
		if (pd_http_ieq(t, tn, "content-length") || pd_http_ieq(t, tn, "transfer-encoding"))
			return bad(reason, "Connection names the body's framing");
		*close |= pd_http_ieq(t, tn, "close");
		*keep_alive |= pd_http_ieq(t, tn, "keep-alive");
	}
	return 0;
}

int pd_http_parse_response(const char *buf, size_t head_len, bool head_request,
			   struct pd_http_response *r, const char **reason)
{
	struct line l;
	size_t off = 0, fields = 0;
	bool cl = false, te = false, chunked = false, ended = false, close = false, ka = false;
	unsigned options = 0;
	uint64_t len = 0;

	*reason = NULL;
	memset(r, 0, sizeof(*r));
	if (head_len > PD_HTTP_RESPONSE_HEAD_MAX)
		return bad(reason, "the response head is too large");
	if (!next_line(buf, head_len, &off, &l) || parse_status_line(&l, r, reason) < 0)
		return *reason ? -1 : bad(reason, "no status line");
	while (next_line(buf, head_len, &off, &l)) {
		const char *colon, *v;
		size_t nn, vn;

		if (l.n == 0) {
			ended = true;
			break;
		}
		if (++fields > PD_HTTP_RESPONSE_FIELDS_MAX)
			return bad(reason, "too many header fields");
		if (l.s[0] == ' ' || l.s[0] == '\t')
			return bad(reason, "a folded header field");
		colon = memchr(l.s, ':', l.n);
		if (!colon || colon == l.s)
			return bad(reason, "a header line without a field name");
		nn = (size_t)(colon - l.s);
		for (size_t i = 0; i < nn; i++)
			if (!pd_http_is_tchar((unsigned char)l.s[i]))
				return bad(reason, "a malformed header field name");
		v = colon + 1;
		vn = l.n - nn - 1;
		for (size_t i = 0; i < vn; i++)
			if (!text_byte((unsigned char)v[i]))
				return bad(reason, "a control byte in a header field");
		pd_http_trim_ows(&v, &vn);
		if (pd_http_ieq(l.s, nn, "content-length")) {
			if (field_content_length(v, vn, &cl, &len, reason) < 0)
				return -1;
		} else if (pd_http_ieq(l.s, nn, "transfer-encoding")) {
			te = true;
			if (field_transfer_encoding(v, vn, &chunked, reason) < 0)
				return -1;
		} else if (pd_http_ieq(l.s, nn, "connection") ||
			   pd_http_ieq(l.s, nn, "proxy-connection")) {
			if (field_connection(v, vn, &options, &close, &ka, reason) < 0)
				return -1;
		}
	}
	if (!ended || off != head_len)
		return bad(reason, "the head does not end where it should");
	if (r->status == 101)
		return bad(reason, "an upgrade the proxy did not ask for");
	r->head_len = head_len;
	r->transfer_encoding = te;
	r->close = close || (r->minor == 0 && !ka);
	if (head_request || r->status < 200 || r->status == 204 || r->status == 304)
		r->framing = PD_HTTP_FRAME_NONE;
	else if (te) /* HTTP/1.0 with it: the framing is faulty (RFC 9112 6.1) */
		r->framing = chunked && r->minor ? PD_HTTP_FRAME_CHUNKED : PD_HTTP_FRAME_CLOSE;
	else if (cl) {
		r->framing = PD_HTTP_FRAME_LENGTH;
		r->content_length = len;
	} else {
		r->framing = PD_HTTP_FRAME_CLOSE;
	}
	return 1;
}

/* ---- the head the client gets ---- */

/* The options the head's Connection and Proxy-Connection fields name. */
struct options {
	const char *t[CONNECTION_OPTIONS_MAX];
	size_t n[CONNECTION_OPTIONS_MAX];
	size_t count;
};

static void collect_options(const char *buf, size_t head_len, struct options *o)
{
	struct line l;
	size_t off = 0;

	o->count = 0;
	(void)next_line(buf, head_len, &off, &l); /* the status line */
	while (next_line(buf, head_len, &off, &l) && l.n) {
		const char *colon = memchr(l.s, ':', l.n), *t;
		size_t cn, tn, i = 0;

		if (!colon)
			continue;
		cn = (size_t)(colon - l.s);
		if (!pd_http_ieq(l.s, cn, "connection") &&
		    !pd_http_ieq(l.s, cn, "proxy-connection"))
			continue;
		while (pd_http_next_token(colon + 1, l.n - cn - 1, &i, &t, &tn))
			if (tn && o->count < CONNECTION_OPTIONS_MAX) {
				o->t[o->count] = t;
				o->n[o->count++] = tn;
			}
	}
}

static bool dropped(const struct pd_http_response *r, unsigned flags, const struct options *o,
		    const char *name, size_t nn)
{
	static const char *const hop[] = {
		"connection",
		"proxy-connection",
		"keep-alive",
		"proxy-authenticate",
		"proxy-authorization",
		"te",
		"upgrade",
	};

	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (pd_http_ieq(name, nn, hop[i]))
			return true;
	if (r->transfer_encoding && pd_http_ieq(name, nn, "content-length"))
		return true;
	if ((flags & PD_HTTP_RESP_DECHUNK) && pd_http_ieq(name, nn, "transfer-encoding"))
		return true;
	for (size_t i = 0; i < o->count; i++)
		if (pd_http_ieq2(o->t[i], o->n[i], name, nn))
			return true;
	return false;
}

ssize_t pd_http_response_head(const char *buf, const struct pd_http_response *r, unsigned flags,
			      char *out, size_t cap)
{
	struct pd_http_out o = { out, cap, 0, false };
	struct options opts;
	struct line l;
	size_t off = 0;

	collect_options(buf, r->head_len, &opts);
	if (!next_line(buf, r->head_len, &off, &l) || l.n < 12)
		return -1;
	pd_http_put(&o, "HTTP/1.1", 8);
	pd_http_put(&o, l.s + 8, l.n - 8);
	pd_http_put(&o, "\r\n", 2);
	while (next_line(buf, r->head_len, &off, &l) && l.n) {
		const char *colon = memchr(l.s, ':', l.n);

		if (!colon || dropped(r, flags, &opts, l.s, (size_t)(colon - l.s)))
			continue;
		pd_http_put(&o, l.s, l.n);
		pd_http_put(&o, "\r\n", 2);
	}
	if (!(flags & PD_HTTP_RESP_KEEP_ALIVE))
		pd_http_put(&o, "Connection: close\r\n", 19);
	pd_http_put(&o, "\r\n", 2);
	return o.overflow ? -1 : (ssize_t)o.len;
}
