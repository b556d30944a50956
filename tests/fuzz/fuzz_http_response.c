/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http_response.c - libFuzzer target for proxy/http_response.c: where
 * a response head ends, the response-head parser and the head forwarded to
 * the client, over arbitrary bytes.
 *
 * Input: the first byte says how the proxy asked and answers (bit 0: the
 * request was HEAD; bit 1: the client connection is kept alive); the rest
 * is what upstream sent.  Heads are taken from it one after the other (a
 * 1xx head is followed by another), at most 8.
 *
 * The oracles, for each head:
 *  - head_end: equals a reference (the first LF LF or LF CR LF), and
 *    feeding the bytes byte by byte and in pieces of 1-48 bytes (sizes
 *    derived from the data), resuming with the scan, answers 0 until the
 *    bytes through the end are there and then the same end, never moving
 *    the scan past the bytes given;
 *  - parse (of the head alone, in a buffer of exactly its size): 1 or -1,
 *    -1 with a reason, and 1 exactly when a reference reading of RFC 9112
 *    written here accepts it (status line, line ends, fields, limits,
 *    Content-Length, Transfer-Encoding codings), with the same status,
 *    minor, head_len, Transfer-Encoding flag, framing (NONE for HEAD, 1xx,
 *    204, 304; never 101) and content_length; parsing the whole stream
 *    gives 1 only when the first head is all of it;
 *  - forwarded head: fits head_len + PD_HTTP_RESPONSE_GROWTH, needs exactly
 *    its length of room (one byte less: -1), equals a reference built here
 *    (status line after "HTTP/1.1", the fields kept, CRLF line ends), starts
 *    with "HTTP/1.1 ", has CR only before LF and LF only after CR, no empty
 *    line but the last, no hop-by-hop field and no Content-Length next to
 *    Transfer-Encoding, a "Connection: close" line (the last field) iff
 *    !keep_alive, ends in CRLF CRLF, and head_end finds it whole;
 *  - re-parse: the forwarded head parses (unless the added line crosses the
 *    field or size limit, with that reason) to the same status and framing
 *    and content_length and Transfer-Encoding flag, as HTTP/1.1, and
 *    forwarding it again gives the same bytes (unless "Connection: close"
 *    then drops a field named "close").
 *
 * A Connection or Proxy-Connection option naming Content-Length or
 * Transfer-Encoding is refused (forwarding would drop the field the body is
 * framed by); an HTTP/1.0 head with Transfer-Encoding is read until close
 * (RFC 9112 6.1), and its forwarded HTTP/1.1 head may say chunked.
 *
 * Seeds: tests/fuzz/corpus/fuzz_http_response/.
 */
#include "proxy/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: oracle failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A byte of a reason phrase or a field value: HTAB, SP, VCHAR, obs-text. */
static bool text(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool same_ci(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

static bool name_is(const char *s, size_t n, const char *lit)
{
	return same_ci(s, n, lit, strlen(lit));
}

static const char *const hop[] = {
	"connection", "proxy-connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
	"te",         "upgrade",
};

static bool hop_by_hop(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (name_is(s, n, hop[i]))
			return true;
	return false;
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* ---- a head as lines ---- */

struct hline {
	const char *s; /* without CR LF */
	size_t n;
	const char *v; /* fields: the value after the colon, untrimmed */
	size_t nn, vn; /* name and value lengths (fields) */
};

/*
 * The lines of @b up to @hl (each ending in LF, one CR before it dropped),
 * at most @max; 0 when a line has no LF.
 */
static size_t split(const char *b, size_t hl, struct hline *lines, size_t max)
{
	size_t i = 0, k = 0;

	while (i < hl && k < max) {
		const char *nl = memchr(b + i, '\n', hl - i);
		struct hline *l = &lines[k++];
		const char *colon;

		if (!nl)
			return 0;
		l->s = b + i;
		l->n = (size_t)(nl - l->s);
		i += l->n + 1;
		if (l->n && l->s[l->n - 1] == '\r')
			l->n--;
		colon = memchr(l->s, ':', l->n);
		l->nn = colon ? (size_t)(colon - l->s) : l->n;
		l->v = colon ? colon + 1 : l->s + l->n;
		l->vn = colon ? l->n - l->nn - 1 : 0;
	}
	return k;
}

static struct hline lines_a[PD_HTTP_RESPONSE_HEAD_MAX / 2 + 2];
static struct hline lines_b[PD_HTTP_RESPONSE_HEAD_MAX / 2 + 2];

/* ---- head_end ---- */

static size_t ref_head_end(const char *b, size_t len)
{
	for (size_t e = 2; e <= len; e++)
		if (b[e - 1] == '\n' &&
		    (b[e - 2] == '\n' || (e >= 3 && b[e - 2] == '\r' && b[e - 3] == '\n')))
			return e;
	return 0;
}

static size_t check_head_end(const char *b, size_t len, uint32_t seed)
{
	size_t want = ref_head_end(b, len), scan = 0, n, r = 0;

	CHECK(pd_http_head_end(b, len, &scan) == want && scan <= len);
	scan = 0;
	CHECK(pd_http_head_end(b, 0, &scan) == 0 && scan == 0);
	for (n = 1; n <= len; n++) {
		r = pd_http_head_end(b, n, &scan);
		CHECK(scan <= n);
		if (r)
			break;
		CHECK(!want || n < want);
	}
	CHECK(r == want && (!want || n == want));
	scan = 0;
	n = 0;
	r = 0;
	while (n < len) {
		size_t piece = 1 + (seed >> 16) % 48;

		seed = seed * 1103515245u + 12345u;
		n = piece < len - n ? n + piece : len;
		r = pd_http_head_end(b, n, &scan);
		CHECK(scan <= n);
		if (r)
			break;
		CHECK(!want || n < want);
	}
	CHECK(r == want);
	return want;
}

/* ---- a reference parse ---- */

struct ref {
	int status, minor;
	enum pd_http_framing framing;
	uint64_t content_length;
	bool te;
};

/* A Transfer-Encoding value: every coding a token (maybe with parameters). */
static bool ref_codings(const char *v, size_t vn, bool *chunked)
{
	size_t i = 0;

	while (i <= vn) {
		size_t s = i, k = 0, j, tn;
		const char *t;

		while (i < vn && v[i] != ',')
			i++;
		t = v + s;
		tn = i - s;
		i++;
		trim(&t, &tn);
		if (!tn)
			continue;
		while (k < tn && tchar((unsigned char)t[k]))
			k++;
		for (j = k; j < tn && (t[j] == ' ' || t[j] == '\t');)
			j++;
		if (!k || (j < tn && t[j] != ';'))
			return false;
		*chunked = k == tn && name_is(t, tn, "chunked");
	}
	return true;
}

/* Connection options: tokens, at most 64 list elements in the head, no framing field. */
static bool ref_options(const char *v, size_t vn, unsigned *count)
{
	size_t i = 0;

	while (i <= vn) {
		size_t s = i, tn;
		const char *t;

		while (i < vn && v[i] != ',')
			i++;
		t = v + s;
		tn = i - s;
		i++;
		trim(&t, &tn);
		if (++*count > 64) /* empty elements count too */
			return false;
		if (!tn)
			continue;
		for (size_t k = 0; k < tn; k++)
			if (!tchar((unsigned char)t[k]))
				return false;
		if (name_is(t, tn, "content-length") || name_is(t, tn, "transfer-encoding"))
			return false;
	}
	return true;
}

static bool ref_content_length(const char *v, size_t vn, bool *seen, uint64_t *len)
{
	uint64_t x = 0;

	trim(&v, &vn);
	if (!vn)
		return false;
	for (size_t i = 0; i < vn; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
		if (x > PD_HTTP_CONTENT_LENGTH_MAX)
			return false;
	}
	if (*seen && x != *len)
		return false;
	*seen = true;
	*len = x;
	return true;
}

static bool ref_parse(const char *b, size_t hl, bool head_request, struct ref *x)
{
	const struct hline *st = &lines_a[0];
	bool cl = false, chunked = false;
	unsigned options = 0;
	uint64_t len = 0;
	size_t nl;

	memset(x, 0, sizeof(*x));
	if (hl > PD_HTTP_RESPONSE_HEAD_MAX)
		return false;
	nl = split(b, hl, lines_a, sizeof(lines_a) / sizeof(lines_a[0]));
	if (nl < 2 || lines_a[nl - 1].n != 0)
		return false;
	/* CR only right before LF */
	for (size_t i = 0; i < hl; i++)
		if (b[i] == '\r' && (i + 1 == hl || b[i + 1] != '\n'))
			return false;
	/* "HTTP/1.x ddd[ reason]" */
	if (st->n < 12 || memcmp(st->s, "HTTP/1.", 7) != 0 ||
	    (st->s[7] != '0' && st->s[7] != '1') || st->s[8] != ' ')
		return false;
	for (size_t i = 9; i < 12; i++)
		if (st->s[i] < '0' || st->s[i] > '9')
			return false;
	x->minor = st->s[7] - '0';
	x->status = (st->s[9] - '0') * 100 + (st->s[10] - '0') * 10 + (st->s[11] - '0');
	if (x->status < 100 || x->status > 599 || x->status == 101)
		return false;
	if (st->n > 12 && st->s[12] != ' ')
		return false;
	for (size_t i = 12; i < st->n; i++)
		if (!text((unsigned char)st->s[i]))
			return false;
	/* the fields: every line between the status line and the last */
	if (nl - 2 > PD_HTTP_RESPONSE_FIELDS_MAX)
		return false;
	for (size_t k = 1; k + 1 < nl; k++) {
		const struct hline *l = &lines_a[k];

		if (!l->n || l->nn == l->n || !l->nn)
			return false;
		for (size_t i = 0; i < l->nn; i++)
			if (!tchar((unsigned char)l->s[i]))
				return false;
		for (size_t i = 0; i < l->vn; i++)
			if (!text((unsigned char)l->v[i]))
				return false;
		if (name_is(l->s, l->nn, "content-length") &&
		    !ref_content_length(l->v, l->vn, &cl, &len))
			return false;
		if (name_is(l->s, l->nn, "transfer-encoding")) {
			x->te = true;
			if (!ref_codings(l->v, l->vn, &chunked))
				return false;
		}
		if ((name_is(l->s, l->nn, "connection") ||
		     name_is(l->s, l->nn, "proxy-connection")) &&
		    !ref_options(l->v, l->vn, &options))
			return false;
	}
	if (head_request || x->status < 200 || x->status == 204 || x->status == 304)
		x->framing = PD_HTTP_FRAME_NONE;
	else if (x->te)
		x->framing = chunked && x->minor ? PD_HTTP_FRAME_CHUNKED : PD_HTTP_FRAME_CLOSE;
	else if (cl)
		x->framing = PD_HTTP_FRAME_LENGTH;
	else
		x->framing = PD_HTTP_FRAME_CLOSE;
	x->content_length = x->framing == PD_HTTP_FRAME_LENGTH ? len : 0;
	return true;
}

/* ---- a reference forwarded head ---- */

/* Whether a Connection or Proxy-Connection field among @lines names [s, s+n). */
static bool ref_listed(const struct hline *lines, size_t nl, const char *s, size_t n)
{
	for (size_t k = 1; k + 1 < nl; k++) {
		const struct hline *l = &lines[k];
		size_t i = 0;

		if (!name_is(l->s, l->nn, "connection") &&
		    !name_is(l->s, l->nn, "proxy-connection"))
			continue;
		while (i <= l->vn) {
			size_t b = i, tn;
			const char *t;

			while (i < l->vn && l->v[i] != ',')
				i++;
			t = l->v + b;
			tn = i - b;
			i++;
			trim(&t, &tn);
			if (same_ci(t, tn, s, n))
				return true;
		}
	}
	return false;
}

static size_t ref_forward(const char *b, const struct pd_http_response *r, bool keep_alive,
			  char *out)
{
	size_t nl = split(b, r->head_len, lines_a, sizeof(lines_a) / sizeof(lines_a[0])), o = 0;

#define PUT(p, len) \
	do { \
		memcpy(out + o, (p), (len)); \
		o += (len); \
	} while (0)
	PUT("HTTP/1.1", 8);
	PUT(lines_a[0].s + 8, lines_a[0].n - 8);
	PUT("\r\n", 2);
	for (size_t k = 1; k + 1 < nl; k++) {
		const struct hline *l = &lines_a[k];

		if (hop_by_hop(l->s, l->nn) ||
		    (r->transfer_encoding && name_is(l->s, l->nn, "content-length")) ||
		    ref_listed(lines_a, nl, l->s, l->nn))
			continue;
		PUT(l->s, l->n);
		PUT("\r\n", 2);
	}
	if (!keep_alive)
		PUT("Connection: close\r\n", 19);
	PUT("\r\n", 2);
#undef PUT
	return o;
}

/* ---- the forwarded head ---- */

static void check_forward(const char *h, const struct pd_http_response *r, bool head_request,
			  bool keep_alive)
{
	static char out[PD_HTTP_RESPONSE_HEAD_MAX + PD_HTTP_RESPONSE_GROWTH + 64];
	static char want[PD_HTTP_RESPONSE_HEAD_MAX + PD_HTTP_RESPONSE_GROWTH + 64];
	static char again[PD_HTTP_RESPONSE_HEAD_MAX + 2 * PD_HTTP_RESPONSE_GROWTH + 64];
	ssize_t n = pd_http_response_head(h, r, keep_alive, out, sizeof(out)), n2;
	size_t wn = ref_forward(h, r, keep_alive, want), nl, fields, close_lines = 0;
	struct pd_http_response f;
	const char *reason = NULL;
	bool close_field = false;
	char *tight;
	int rc;

	CHECK(n > 0 && (size_t)n <= r->head_len + PD_HTTP_RESPONSE_GROWTH);
	CHECK((size_t)n == wn && memcmp(out, want, wn) == 0);
	/* exactly its length of room, on the heap so ASan sees any overrun */
	tight = malloc((size_t)n);
	CHECK(tight);
	CHECK(pd_http_response_head(h, r, keep_alive, tight, (size_t)n) == n);
	CHECK(memcmp(tight, out, (size_t)n) == 0);
	CHECK(pd_http_response_head(h, r, keep_alive, tight, (size_t)n - 1) == -1);
	free(tight);

	/* its shape */
	CHECK(n >= 13 && memcmp(out, "HTTP/1.1 ", 9) == 0);
	CHECK(memcmp(out + n - 4, "\r\n\r\n", 4) == 0);
	for (ssize_t i = 0; i < n; i++) {
		if (out[i] == '\r')
			CHECK(i + 1 < n && out[i + 1] == '\n');
		if (out[i] == '\n')
			CHECK(i > 0 && out[i - 1] == '\r');
	}
	{
		size_t scan = 0;

		CHECK(pd_http_head_end(out, (size_t)n, &scan) == (size_t)n);
	}
	nl = split(out, (size_t)n, lines_b, sizeof(lines_b) / sizeof(lines_b[0]));
	CHECK(nl >= 2 && lines_b[nl - 1].n == 0);
	fields = nl - 2;
	for (size_t k = 1; k + 1 < nl; k++) {
		const struct hline *l = &lines_b[k];

		CHECK(l->n > 0 && l->nn < l->n);
		if (l->n == 17 && memcmp(l->s, "Connection: close", 17) == 0) {
			close_lines++;
			CHECK(k + 2 == nl);
			continue;
		}
		CHECK(!hop_by_hop(l->s, l->nn));
		CHECK(!r->transfer_encoding || !name_is(l->s, l->nn, "content-length"));
		close_field |= name_is(l->s, l->nn, "close");
	}
	CHECK(close_lines == (keep_alive ? 0u : 1u));

	/* parsed again: the same framing, unless a limit is crossed */
	rc = pd_http_parse_response(out, (size_t)n, head_request, &f, &reason);
	if ((size_t)n > PD_HTTP_RESPONSE_HEAD_MAX) {
		CHECK(rc == -1 && strcmp(reason, "the response head is too large") == 0);
		return;
	}
	if (fields > PD_HTTP_RESPONSE_FIELDS_MAX) {
		CHECK(rc == -1 && strcmp(reason, "too many header fields") == 0);
		return;
	}
	CHECK(rc == 1);
	CHECK(f.status == r->status && f.minor == 1 && f.head_len == (size_t)n);
	/* an HTTP/1.0 chunked head was read until close; as HTTP/1.1 it says chunked */
	if (r->minor == 0 && r->transfer_encoding && r->framing == PD_HTTP_FRAME_CLOSE)
		CHECK(f.framing == PD_HTTP_FRAME_CLOSE || f.framing == PD_HTTP_FRAME_CHUNKED);
	else
		CHECK(f.framing == r->framing);
	CHECK(f.content_length == r->content_length);
	CHECK(f.transfer_encoding == r->transfer_encoding);
	/* and forwarded again: the same bytes */
	n2 = pd_http_response_head(out, &f, keep_alive, again, sizeof(again));
	CHECK(n2 > 0);
	if (keep_alive || !close_field)
		CHECK(n2 == n && memcmp(again, out, (size_t)n) == 0);
}

/* ---- one head ---- */

static void check_head(const char *b, size_t end, bool head_request, bool keep_alive)
{
	char *h = malloc(end); /* exactly the head: ASan sees a read past it */
	struct pd_http_response r;
	struct ref x;
	const char *reason = NULL;
	bool ok;
	int rc;

	CHECK(h);
	memcpy(h, b, end);
	rc = pd_http_parse_response(h, end, head_request, &r, &reason);
	ok = ref_parse(h, end, head_request, &x);
	CHECK(rc == 1 || rc == -1);
	CHECK((rc == 1) == ok);
	if (rc < 0) {
		CHECK(reason && reason[0]);
		if (end > PD_HTTP_RESPONSE_HEAD_MAX)
			CHECK(strcmp(reason, "the response head is too large") == 0);
		free(h);
		return;
	}
	CHECK(r.status >= 100 && r.status <= 599 && r.status != 101);
	CHECK(r.status == x.status && r.minor == x.minor && r.head_len == end);
	CHECK(r.transfer_encoding == x.te);
	CHECK(r.framing == x.framing && r.content_length == x.content_length);
	CHECK((r.framing == PD_HTTP_FRAME_NONE) ==
	      (head_request || r.status < 200 || r.status == 204 || r.status == 304));
	CHECK(r.content_length <= PD_HTTP_CONTENT_LENGTH_MAX);
	CHECK(r.framing == PD_HTTP_FRAME_LENGTH || r.content_length == 0);
	check_forward(h, &r, head_request, keep_alive);
	free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data + 1;
	bool head_request, keep_alive;
	struct pd_http_response r;
	const char *reason = NULL;
	uint32_t seed = 2166136261u;
	size_t len, off = 0, first;

	if (size < 1 || size > 2 * PD_HTTP_RESPONSE_HEAD_MAX)
		return 0;
	head_request = data[0] & 1;
	keep_alive = data[0] & 2;
	len = size - 1;
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;

	/* the whole stream as one head: accepted only when it is exactly one */
	first = ref_head_end(buf, len);
	if (pd_http_parse_response(buf, len, head_request, &r, &reason) == 1)
		CHECK(first == len);
	else
		CHECK(reason && reason[0]);

	for (int k = 0; k < MAX_HEADS && off < len; k++) {
		size_t end = check_head_end(buf + off, len - off, seed + (uint32_t)k);

		if (!end)
			break;
		check_head(buf + off, end, head_request, keep_alive);
		off += end;
	}
	return 0;
}
