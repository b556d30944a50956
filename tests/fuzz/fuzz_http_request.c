/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http_request.c - libFuzzer target for proxy/http.c: the request-head
 * parser, the forward head, the chunked body scanner and the error
 * response, over arbitrary bytes (the input is the client's byte stream).
 *
 * The oracles:
 *  - parse: the answer is 1, 0 or -1; 0 only when the input holds no
 *    CRLFCRLF and is shorter than PD_HTTP_HEAD_MAX; -1 with one of the
 *    documented statuses and a reason (414 and 431 only when the bytes show
 *    the limit was crossed).  On 1 the request is checked against a
 *    reading of the head written here: head_len ends at the first CRLFCRLF,
 *    every CR is followed by LF and every LF preceded by CR, the request
 *    line is "method SP target SP HTTP/1.x" with that method and minor,
 *    one field per line (fields counts them), at most one Host (exactly one
 *    for 1.1; host_header says whether), Content-Length and
 *    Transfer-Encoding at most once and not both, the host made of allowed
 *    bytes (or a valid IPv6 literal), the path inside the head, of visible
 *    bytes and no '#', origin-form paths starting with '/';
 *  - incremental: every prefix parses to 0 or to the same answer (same
 *    request, or same status and reason), 0 below the deciding byte and
 *    the answer from it on (all prefixes of short inputs, a sample of long
 *    ones): feeding byte by byte ends like feeding at once;
 *  - forward head: fits head_len + 300 bytes, needs exactly its length of
 *    room, has no hop-by-hop field but its final "Connection: close" (the
 *    same head without that line when the caller keeps the connection),
 *    re-parses (unless the extra lines cross a limit: 431) to the same
 *    method, host, port, framing and path as HTTP/1.1 origin-form that
 *    closes, and forwarding that again gives the same bytes (unless a
 *    field is named "close", which "Connection: close" then drops);
 *  - chunked: the scanner over the input (and over the bytes after a
 *    parsed chunked head), fed at once and in pieces, agrees with a
 *    reference decoder written here on where the body ends, that it goes
 *    on, or that it is malformed; pd_http_chunked_decode() (at once, in
 *    place, and in pieces) ends the same way and gives the reference's
 *    data for a whole body;
 *  - error response: a well-formed response whose Content-Length is the
 *    length of what follows, a prefix of the body cut at a UTF-8 boundary
 *    only when the next character would not fit.
 * Seeds: tests/fuzz/corpus/fuzz_http_request/.
 */
#include "proxy/http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static bool name_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static bool same_request(const struct pd_http_request *a, const struct pd_http_request *b)
{
	return strcmp(a->method, b->method) == 0 && a->connect == b->connect &&
	       a->minor == b->minor && a->absolute == b->absolute &&
	       strcmp(a->host, b->host) == 0 && a->port == b->port &&
	       a->port_explicit == b->port_explicit && a->path_off == b->path_off &&
	       a->path_len == b->path_len && a->head_len == b->head_len && a->body == b->body &&
	       a->content_length == b->content_length &&
	       a->client_keep_alive == b->client_keep_alive &&
	       a->expect_continue == b->expect_continue && a->host_header == b->host_header &&
	       a->fields == b->fields;
}

static void check_host(const char *host)
{
	size_t n = strnlen(host, 256);

	CHECK(n > 0 && n < 256);
	if (strchr(host, ':')) {
		struct in6_addr a;

		CHECK(inet_pton(AF_INET6, host, &a) == 1);
		for (size_t i = 0; i < n; i++)
			CHECK(strchr("0123456789abcdef:.", host[i]));
		return;
	}
	CHECK(host[0] != '.' && host[n - 1] != '.' && !strstr(host, ".."));
	for (size_t i = 0; i < n; i++)
		CHECK((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= '0' && host[i] <= '9') ||
		      strchr(".-_", host[i]));
}

/* A request parse returned 1 for: check it against the bytes of its head. */
static void check_accepted(const char *buf, size_t len, const struct pd_http_request *r)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	size_t hl = r->head_len, lines = 0, hosts = 0, cls = 0, tes = 0;
	const char *sp1, *sp2, *eol;

	CHECK(end && (size_t)(end - buf) + 4 == hl && hl <= len && hl <= PD_HTTP_HEAD_MAX);
	for (size_t i = 0; i < hl; i++) {
		if (buf[i] == '\r')
			CHECK(i + 1 < hl && buf[i + 1] == '\n');
		if (buf[i] == '\n')
			CHECK(i > 0 && buf[i - 1] == '\r');
		if (buf[i] == '\n')
			lines++;
	}
	CHECK(lines == (size_t)r->fields + 2 && r->fields <= PD_HTTP_FIELDS_MAX);

	/* request line */
	eol = memchr(buf, '\r', hl);
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	CHECK(sp1);
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	CHECK(sp2 && !memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1)));
	CHECK(eol - buf <= PD_HTTP_LINE_MAX - 2);
	CHECK((size_t)(sp1 - buf) == strlen(r->method) &&
	      memcmp(buf, r->method, strlen(r->method)) == 0);
	for (const char *m = r->method; *m; m++)
		CHECK(tchar((unsigned char)*m));
	CHECK(eol - sp2 - 1 == 8 && memcmp(sp2 + 1, "HTTP/1.", 7) == 0 &&
	      sp2[8] == '0' + r->minor && (r->minor == 0 || r->minor == 1));
	CHECK(r->connect == (strcmp(r->method, "CONNECT") == 0));

	/* fields */
	for (const char *l = eol + 2; l < buf + hl - 2;) {
		const char *e = memchr(l, '\r', (size_t)(buf + hl - l));
		const char *colon = memchr(l, ':', (size_t)(e - l));

		CHECK(colon && colon > l);
		for (const char *c = l; c < colon; c++)
			CHECK(tchar((unsigned char)*c));
		for (const char *c = colon + 1; c < e; c++)
			CHECK(*c == '\t' || ((unsigned char)*c >= 0x20 && *c != 0x7f));
		hosts += name_is(l, (size_t)(colon - l), "host");
		cls += name_is(l, (size_t)(colon - l), "content-length");
		tes += name_is(l, (size_t)(colon - l), "transfer-encoding");
		l = e + 2;
	}
	CHECK(hosts == (r->host_header ? 1u : 0u) && (r->minor == 0 || hosts == 1));
	CHECK(cls <= 1 && tes <= 1 && cls + tes <= 1);
	CHECK(r->body == (tes   ? PD_HTTP_BODY_CHUNKED
			  : cls ? PD_HTTP_BODY_LENGTH
				: PD_HTTP_BODY_NONE));
	CHECK(r->body != PD_HTTP_BODY_CHUNKED || r->minor == 1);
	CHECK(r->content_length <= PD_HTTP_CONTENT_LENGTH_MAX);
	CHECK(r->body == PD_HTTP_BODY_LENGTH || r->content_length == 0);
	CHECK(!r->expect_continue || r->minor == 1);

	/* target */
	check_host(r->host);
	CHECK(r->port >= 1 && (r->port_explicit || r->port == 80) &&
	      (r->port_explicit || !r->connect));
	CHECK(r->path_off <= hl && r->path_len <= hl - r->path_off);
	if (r->connect) {
		CHECK(r->body == PD_HTTP_BODY_NONE && r->path_len == 0 && !r->absolute);
		return;
	}
	CHECK(buf + r->path_off + r->path_len == sp2);
	for (size_t i = 0; i < r->path_len; i++) {
		unsigned char c = (unsigned char)buf[r->path_off + i];

		CHECK(c > 0x20 && c < 0x7f && c != '#');
	}
	if (r->absolute) {
		CHECK(strncasecmp(sp1 + 1, "http://", 7) == 0);
		CHECK(r->path_len == 0 || buf[r->path_off] == '/' || buf[r->path_off] == '?');
	} else {
		CHECK(buf + r->path_off == sp1 + 1 && r->path_len > 0 && buf[r->path_off] == '/');
		CHECK(r->host_header);
	}
}

static void check_refused(const char *buf, size_t len, int status, const char *reason)
{
	CHECK(reason && reason[0]);
	CHECK(status == 400 || status == 414 || status == 431 || status == 501 || status == 505);
	if (status == 414)
		CHECK(len >= PD_HTTP_LINE_MAX && !memchr(buf, '\n', PD_HTTP_LINE_MAX));
	if (status == 431 && strcmp(reason, "request head too large") == 0)
		CHECK(len >= PD_HTTP_HEAD_MAX && !memmem(buf, PD_HTTP_HEAD_MAX, "\r\n\r\n", 4));
}

/* Prefix @n must answer 0 before the deciding byte, the full answer from it on. */
static void check_prefix(const char *buf, size_t n, int fr, const struct pd_http_request *full,
			 int fstatus, const char *freason, size_t *decided_at)
{
	struct pd_http_request part;
	int status = 0;
	const char *reason = NULL;
	int r = pd_http_parse_request(buf, n, &part, &status, &reason);

	if (r == 0) {
		CHECK(n < *decided_at);
		CHECK(fr != 1 || n < full->head_len);
		return;
	}
	CHECK(r == fr);
	if (n < *decided_at)
		*decided_at = n;
	if (r == 1)
		CHECK(n >= full->head_len && same_request(&part, full));
	else
		CHECK(status == fstatus && strcmp(reason, freason) == 0);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Prefixes shortest first: once decided, never "need more" again. */
static void check_incremental(const char *buf, size_t len, int fr,
			      const struct pd_http_request *full, int fstatus, const char *freason)
{
	size_t decided_at = fr == 0 ? SIZE_MAX : len;
	size_t cut[72], nc = 0;

	if (len <= 300) {
		for (size_t n = 0; n < len; n++)
			check_prefix(buf, n, fr, full, fstatus, freason, &decided_at);
		return;
	}
	/* a sample of long inputs, with the bytes around the end of an accepted head */
	if (fr == 1) {
		cut[nc++] = full->head_len;
		cut[nc++] = full->head_len - 1;
	}
	for (size_t i = 0; i < 64; i++)
		cut[nc++] = (size_t)((uint64_t)len * i / 64);
	qsort(cut, nc, sizeof(cut[0]), cmp_size);
	for (size_t i = 0; i < nc; i++)
		if (cut[i] < len)
			check_prefix(buf, cut[i], fr, full, fstatus, freason, &decided_at);
}

static void check_forward(const char *buf, const struct pd_http_request *r)
{
	static char out[2 * PD_HTTP_HEAD_MAX], again[2 * PD_HTTP_HEAD_MAX];
	static const char *const hop[] = { "connection",
					   "proxy-connection",
					   "keep-alive",
					   "proxy-authorization",
					   "proxy-authenticate",
					   "te",
					   "trailer",
					   "upgrade" };
	struct pd_http_request f;
	int status = 0;
	const char *reason = NULL;
	ssize_t n = pd_http_forward_head(buf, r, true, out, sizeof(out)), n2;
	bool close_field = false;
	const char *rl_end, *path;
	size_t pl;

	CHECK(n > 0 && (size_t)n <= r->head_len + 300);
	CHECK(pd_http_forward_head(buf, r, true, again, (size_t)n) == n);
	CHECK(pd_http_forward_head(buf, r, true, again, (size_t)n - 1) == -1);
	CHECK(memcmp(out + n - 23, "\r\nConnection: close\r\n\r\n", 23) == 0);
	/* without @close: the same head without that line */
	CHECK(pd_http_forward_head(buf, r, false, again, sizeof(again)) == n - 19);
	CHECK(memcmp(again, out, (size_t)n - 21) == 0 && memcmp(again + n - 21, "\r\n", 2) == 0);

	/* no hop-by-hop field but the last line */
	rl_end = memmem(out, (size_t)n, "\r\n", 2);
	for (const char *l = rl_end + 2; l < out + n - 21;) {
		const char *e = memmem(l, (size_t)(out + n - l), "\r\n", 2);
		const char *colon = memchr(l, ':', (size_t)(e - l));

		CHECK(colon);
		for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
			CHECK(!name_is(l, (size_t)(colon - l), hop[i]));
		close_field |= name_is(l, (size_t)(colon - l), "close");
		l = e + 2;
	}

	if (pd_http_parse_request(out, (size_t)n, &f, &status, &reason) != 1) {
		CHECK(status == 431);
		return;
	}
	CHECK(f.head_len == (size_t)n && strcmp(f.method, r->method) == 0 && !f.connect);
	CHECK(f.minor == 1 && !f.absolute && f.host_header && !f.client_keep_alive);
	CHECK(strcmp(f.host, r->host) == 0 && f.port == r->port);
	CHECK(f.body == r->body && f.content_length == r->content_length);
	CHECK(!r->expect_continue || f.expect_continue);
	/* the path: "/" first when the client's did not start with one */
	path = out + f.path_off;
	pl = f.path_len;
	if (r->path_len == 0 || buf[r->path_off] != '/') {
		CHECK(pl >= 1 && path[0] == '/');
		path++;
		pl--;
	}
	CHECK(pl == r->path_len && memcmp(path, buf + r->path_off, pl) == 0);

	n2 = pd_http_forward_head(out, &f, true, again, sizeof(again));
	CHECK(close_field || (n2 == n && memcmp(again, out, (size_t)n) == 0));
}

/* ---- chunked: a reference decoder ---- */

#define REF_NEED (-2)

static int hexv(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/*
 * Where a chunked body at the start of @b ends (bytes), REF_NEED when it
 * goes on past @len, -1 when it is malformed; its chunks' data, whole
 * ones, go to @data (@dlen bytes).  Size lines: 1-16 hex digits,
 * ";ext" without CTLs, CRLF, at most 4096 bytes; data then CRLF; after the
 * zero chunk, "name:value" CRLF lines and CRLF, at most 16384 bytes.
 */
static long ref_chunked(const unsigned char *b, size_t len, unsigned char *data, size_t *dlen)
{
	size_t i = 0, lim;

	*dlen = 0;
#define AT(k) \
	do { \
		if ((k) >= len) \
			return REF_NEED; \
		if ((k) >= lim) \
			return -1; \
	} while (0)
	for (;;) {
		uint64_t size = 0;
		size_t digits = 0;

		lim = i + PD_HTTP_CHUNK_LINE_MAX;
		for (;; i++) {
			AT(i);
			if (hexv(b[i]) < 0)
				break;
			if (++digits > 16)
				return -1;
			size = size * 16 + (uint64_t)hexv(b[i]);
		}
		if (digits == 0)
			return -1;
		if (b[i] == ';')
			for (i++;; i++) {
				AT(i);
				if (b[i] == '\r')
					break;
				if (ctl(b[i]))
					return -1;
			}
		if (b[i] != '\r')
			return -1;
		AT(i + 1);
		if (b[i + 1] != '\n')
			return -1;
		i += 2;
		if (size == 0)
			break;
		lim = SIZE_MAX;
		if (size >= len - i)
			return REF_NEED;
		memcpy(data + *dlen, b + i, size);
		*dlen += size;
		i += size;
		AT(i);
		if (b[i] != '\r')
			return -1;
		AT(i + 1);
		if (b[i + 1] != '\n')
			return -1;
		i += 2;
	}
	lim = i + PD_HTTP_TRAILER_MAX;
	for (;;) {
		AT(i);
		if (b[i] == '\r') {
			AT(i + 1);
			return b[i + 1] == '\n' ? (long)(i + 2) : -1;
		}
		if (!tchar(b[i]))
			return -1;
		for (;; i++) {
			AT(i);
			if (b[i] == ':')
				break;
			if (!tchar(b[i]))
				return -1;
		}
		for (i++;; i++) {
			AT(i);
			if (b[i] == '\r')
				break;
			if (ctl(b[i]))
				return -1;
		}
		AT(i + 1);
		if (b[i + 1] != '\n')
			return -1;
		i += 2;
	}
#undef AT
}

/*
 * pd_http_chunked_decode() over @b, at once and in pieces of 1-64 bytes (in
 * place): it ends as the scanner does, and a whole body decodes to the
 * reference's data.
 */
static void check_decode(const unsigned char *b, size_t len, uint32_t seed, long want,
			 const unsigned char *data, size_t dlen)
{
	static char buf[1 << 20], piece_out[64];
	struct pd_http_chunked c;
	bool done = false;
	size_t out = 0, total_out = 0, off = 0;
	ssize_t r;

	if (len > sizeof(buf))
		return;
	memcpy(buf, b, len);
	pd_http_chunked_init(&c);
	r = pd_http_chunked_decode(&c, buf, len, buf, &out, &done);
	if (want == -1) {
		CHECK(r == -1);
	} else if (want == REF_NEED) {
		CHECK(r == (ssize_t)len && !done && out <= len);
	} else {
		CHECK(r == want && done && out == dlen && memcmp(buf, data, dlen) == 0);
	}
	/* in pieces, into a buffer of each piece's size */
	pd_http_chunked_init(&c);
	done = false;
	while (off < len && !done) {
		size_t piece = 1 + (seed >> 5) % 64;

		seed = seed * 1103515245u + 12345u;
		if (piece > len - off)
			piece = len - off;
		r = pd_http_chunked_decode(&c, (const char *)b + off, piece, piece_out, &out,
					   &done);
		if (r < 0)
			break;
		CHECK(out <= (size_t)r);
		memcpy(buf + total_out, piece_out, out);
		total_out += out;
		off += piece;
	}
	if (want >= 0)
		CHECK(done && total_out == dlen && memcmp(buf, data, dlen) == 0);
	else if (want == -1)
		CHECK(r == -1);
}

static void check_chunked(const unsigned char *b, size_t len, uint32_t seed)
{
	static unsigned char data[1 << 20];
	size_t dlen = 0;
	long want = len <= sizeof(data) ? ref_chunked(b, len, data, &dlen) : -3;
	struct pd_http_chunked c;
	bool done = false;
	ssize_t r, total = 0;
	size_t off = 0;

	if (want == -3)
		return;
	check_decode(b, len, seed, want, data, dlen);

	pd_http_chunked_init(&c);
	r = pd_http_chunked_scan(&c, (const char *)b, len, &done);
	if (want == -1)
		CHECK(r == -1 && c.error && c.error[0]);
	else if (want == REF_NEED)
		CHECK(r == (ssize_t)len && !done);
	else
		CHECK(r == want && done);

	/* in pieces of 1 to 64 bytes */
	pd_http_chunked_init(&c);
	done = false;
	while (off < len && !done) {
		size_t piece = 1 + (seed >> 3) % 64;

		seed = seed * 1103515245u + 12345u;
		if (piece > len - off)
			piece = len - off;
		r = pd_http_chunked_scan(&c, (const char *)b + off, piece, &done);
		if (r < 0) {
			total = -1;
			break;
		}
		CHECK(done ? (size_t)r <= piece : (size_t)r == piece);
		total += r;
		off += piece;
	}
	if (want == -1)
		CHECK(total == -1);
	else if (want == REF_NEED)
		CHECK(total == (ssize_t)len && !done);
	else
		CHECK(total == want && done);
	if (done) {
		CHECK(pd_http_chunked_scan(&c, "0\r\n\r\n", 5, &done) == 0 && done);
	}
}

/* ---- error responses ---- */

static size_t head_len_for(int status, const char *phrase, size_t n)
{
	char tmp[256];

	return (size_t)snprintf(tmp, sizeof(tmp),
				"HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
				"Content-Length: %zu\r\nConnection: close\r\n\r\n",
				status, phrase, n);
}

static void check_error_response(const uint8_t *data, size_t size)
{
	static char out[1024], body[512];
	int raw, status;
	size_t cap, blen, n, cl, next;
	const char *phrase, *hend;

	if (size < 3)
		return;
	raw = (data[0] | data[1] << 8) % 700;
	status = raw;
	cap = data[2] * 4u;
	blen = size - 3 < sizeof(body) - 1 ? size - 3 : sizeof(body) - 1;
	memcpy(body, data + 3, blen);
	body[blen] = '\0';
	blen = strlen(body);
	phrase = pd_http_status_phrase(status);
	if (!phrase) {
		status = 500;
		phrase = "Internal Server Error";
	}
	memset(out, 'X', sizeof(out));
	n = pd_http_error_response(out, cap, raw, body);
	if (n == 0) {
		CHECK(cap == 0 || out[0] == '\0');
		CHECK(head_len_for(status, phrase, 0) + 1 > cap);
		return;
	}
	CHECK(n < cap && out[n] == '\0' && strlen(out) == n);
	CHECK(strncmp(out, "HTTP/1.1 ", 9) == 0 && atoi(out + 9) == status &&
	      strncmp(out + 13, phrase, strlen(phrase)) == 0);
	hend = strstr(out, "\r\n\r\n");
	CHECK(hend);
	CHECK(sscanf(strstr(out, "Content-Length: ") + 16, "%zu", &cl) == 1);
	CHECK(head_len_for(status, phrase, cl) == (size_t)(hend + 4 - out));
	CHECK(n - (size_t)(hend + 4 - out) == cl && cl <= blen && memcmp(hend + 4, body, cl) == 0);
	if (cl < blen) {
		CHECK(cl == 0 || ((unsigned char)body[cl] & 0xc0) != 0x80);
		next = cl + 1;
		while (next < blen && ((unsigned char)body[next] & 0xc0) == 0x80)
			next++;
		CHECK(head_len_for(status, phrase, next) + next + 1 > cap);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct pd_http_request req;
	int status = 0;
	const char *reason = NULL;
	int r;

	if (size > 2 * PD_HTTP_HEAD_MAX)
		return 0;
	r = pd_http_parse_request(buf, size, &req, &status, &reason);
	CHECK(r >= -1 && r <= 1);
	if (r == 0)
		CHECK(size < PD_HTTP_HEAD_MAX && !memmem(buf, size, "\r\n\r\n", 4));
	else if (r < 0)
		check_refused(buf, size, status, reason);
	else
		check_accepted(buf, size, &req);
	check_incremental(buf, size, r, &req, status, reason);
	if (r == 1 && !req.connect)
		check_forward(buf, &req);
	if (r == 1 && req.body == PD_HTTP_BODY_CHUNKED)
		check_chunked(data + req.head_len, size - req.head_len, (uint32_t)size);
	check_chunked(data, size, (uint32_t)(size * 2654435761u));
	check_error_response(data, size);
	return 0;
}
