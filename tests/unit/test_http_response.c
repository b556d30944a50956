/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proxy/http_response.c: where a response head ends (fed at
 * once and in pieces of every size), the status line, the framing of RFC
 * 9112 6.3, the field checks and limits, and the head forwarded to the
 * client (exact bytes, its length bound, the room it needs, and that it
 * frames the body as the proxy does).
 */
#include "unit.h"
#include "proxy/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T(s) s, sizeof(s) - 1

/* @s as C text (\r, \n, \xHH) for failure messages; static, three at a time. */
static const char *esc(const char *s, size_t n)
{
	static char bufs[3][4096];
	static unsigned next;
	char *buf = bufs[next++ % 3];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 8 < sizeof(bufs[0]); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			o += (size_t)snprintf(buf + o, sizeof(bufs[0]) - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(buf + o, sizeof(bufs[0]) - o, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, sizeof(bufs[0]) - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* ---- pd_http_head_end ---- */

static size_t head_end_at_once(const char *buf, size_t len)
{
	size_t scan = 0;
	size_t r = pd_http_head_end(buf, len, &scan);

	ck_assert_msg(scan <= len, "scan %zu past len %zu", scan, len);
	return r;
}

/*
 * The head of @buf ends at @want (0: not in it): at once, and fed in
 * pieces of every size from 1 to @len, resuming with the same scan; each
 * call answers 0 until the bytes through @want are there, then @want.
 */
static void expect_head_end(const char *buf, size_t len, size_t want)
{
	size_t got = head_end_at_once(buf, len);

	ck_assert_msg(got == want, "head_end of \"%s\": expected %zu, got %zu", esc(buf, len), want,
		      got);
	for (size_t step = 1; step <= len; step++) {
		size_t scan = 0, n = 0, r = 0;

		while (n < len) {
			n = n + step < len ? n + step : len;
			r = pd_http_head_end(buf, n, &scan);
			ck_assert_msg(scan <= n, "step %zu: scan %zu past %zu", step, scan, n);
			if (r)
				break;
			ck_assert_msg(want == 0 || n < want,
				      "head_end of \"%s\" in pieces of %zu: 0 at %zu, end is %zu",
				      esc(buf, len), step, n, want);
		}
		ck_assert_msg(r == want,
			      "head_end of \"%s\" in pieces of %zu: expected %zu, got %zu",
			      esc(buf, len), step, want, r);
		/* found no later than the piece holding its last byte */
		ck_assert_msg(!want || n - want < step, "step %zu: found at %zu only", step, n);
	}
}

START_TEST(test_head_end)
{
	expect_head_end(T("HTTP/1.1 200 OK\r\nA: b\r\n\r\n"), 25);
	expect_head_end(T("HTTP/1.1 200 OK\nA: b\n\n"), 22);
	/* mixed: a CRLF line, then a bare LF empty line, and the other way round */
	expect_head_end(T("HTTP/1.1 200 OK\r\nA: b\r\n\n"), 24);
	expect_head_end(T("HTTP/1.1 200 OK\nA: b\n\r\n"), 23);
	expect_head_end(T("HTTP/1.1 200 OK\r\nA: b\nB: c\r\n\r\n"), 30);
	/* the end is the first empty line; what follows is not looked at */
	expect_head_end(T("HTTP/1.1 200 OK\r\n\r\nbody\n\n\r\n"), 19);
	expect_head_end(T("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"), 25);
	/* the head ends with the buffer's last byte */
	expect_head_end(T("HTTP/1.1 204 No Content\r\n\r\n"), 27);
	expect_head_end(T("HTTP/1.1 204 No Content\n\n"), 25);
	/* an empty line first */
	expect_head_end(T("\n\n"), 2);
	expect_head_end(T("\r\n\r\n"), 4);
	expect_head_end(T("\n\r\n"), 3);
	/* not ended (yet) */
	expect_head_end(T(""), 0);
	expect_head_end(T("\n"), 0);
	expect_head_end(T("\n\r"), 0);
	expect_head_end(T("HTTP/1.1 200 OK"), 0);
	expect_head_end(T("HTTP/1.1 200 OK\r\nA: b\r\n"), 0);
	expect_head_end(T("HTTP/1.1 200 OK\r\nA: b\r\n\r"), 0);
	expect_head_end(T("HTTP/1.1 200 OK\r\n\r\r\nA: b\r\n"), 0);
	expect_head_end(T("a\n\rb\n\r\r\n"), 0);
	/* CR CR LF is no empty line, the LF LF after it is */
	expect_head_end(T("a\r\n\r\r\n\n"), 7);
	expect_head_end(T("a\n\rb\n\n"), 6);
}
END_TEST

START_TEST(test_head_end_resume)
{
	static const char head[] = "HTTP/1.1 200 OK\n\r\nrest";
	size_t scan = 0;

	/* "\n\r" at the end of what has come: no end yet, then "\n" completes it */
	EXPECT_UINT(pd_http_head_end(head, 17, &scan), 0);
	ck_assert_uint_le(scan, 17);
	EXPECT_UINT(pd_http_head_end(head, 18, &scan), 18);
	EXPECT_UINT(scan, 18);
	/* the same with "\n" as the last byte, then "\n" */
	{
		static const char h2[] = "HTTP/1.1 200 OK\r\n\n";

		scan = 0;
		EXPECT_UINT(pd_http_head_end(h2, 17, &scan), 0);
		EXPECT_UINT(pd_http_head_end(h2, 17, &scan), 0); /* nothing new: still 0 */
		EXPECT_UINT(pd_http_head_end(h2, 18, &scan), 18);
	}
	/* "\n\r" then another byte: not an empty line, the search goes on */
	{
		static const char h3[] = "HTTP/1.1 200 OK\n\rX: y\n\n";

		scan = 0;
		EXPECT_UINT(pd_http_head_end(h3, 17, &scan), 0);
		EXPECT_UINT(pd_http_head_end(h3, 18, &scan), 0);
		EXPECT_UINT(pd_http_head_end(h3, sizeof(h3) - 2, &scan), 0);
		EXPECT_UINT(pd_http_head_end(h3, sizeof(h3) - 1, &scan), sizeof(h3) - 1);
	}
	/* resuming searches only what is new: a long head fed byte by byte */
	{
		static char big[PD_HTTP_RESPONSE_HEAD_MAX];
		size_t n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
		size_t r = 0, i;

		while (n + 16 < sizeof(big))
			n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%05zu: yyyy\r\n", n);
		big[n++] = '\r';
		big[n++] = '\n';
		scan = 0;
		for (i = 1; i <= n && !r; i++)
			r = pd_http_head_end(big, i, &scan);
		EXPECT_UINT(r, n);
		EXPECT_UINT(i - 1, n);
		EXPECT_UINT(head_end_at_once(big, n), n);
	}
}
END_TEST

/* ---- pd_http_parse_response ---- */

static const struct parse_case {
	const char *head;
	size_t len;
	uint64_t content_length;
	const char *reason;
	int want;
	int status, minor;
	enum pd_http_framing framing;
	bool head_request;
	bool te;
} parse_cases[] = {
#define OK(h, hr, st, mi, fr, cl, te_) \
	{ \
		.head = (h), .len = sizeof(h) - 1, .head_request = (hr), .want = 1, \
		.status = (st), .minor = (mi), .framing = PD_HTTP_FRAME_##fr, \
		.content_length = (cl), .te = (te_) \
	}
#define BAD(h, why) \
	{ \
		.head = (h), .len = sizeof(h) - 1, .want = -1, .reason = (why) \
	}
#define E "\r\n"
#define S200 "HTTP/1.1 200 OK\r\n"
	/* status lines */
	OK(S200 E, false, 200, 1, CLOSE, 0, false),
	OK("HTTP/1.0 200 OK" E E, false, 200, 0, CLOSE, 0, false),
	OK("HTTP/1.1 200" E E, false, 200, 1, CLOSE, 0, false),
	OK("HTTP/1.1 200 " E E, false, 200, 1, CLOSE, 0, false),
	OK("HTTP/1.1 200 \x80\xff caf\xc3\xa9" E E, false, 200, 1, CLOSE, 0, false),
	OK("HTTP/1.1 200 O\tK  " E E, false, 200, 1, CLOSE, 0, false),
	OK("HTTP/1.1 404 Not Found" E E, false, 404, 1, CLOSE, 0, false),
	OK("HTTP/1.1 599 x" E E, false, 599, 1, CLOSE, 0, false),
	BAD("HTTP/1.1 200 O\x01K" E E, "a control byte in the reason phrase"),
	BAD("HTTP/1.1 200 OK\x7f" E E, "a control byte in the reason phrase"),
	BAD("HTTP/1.1 200 O\0K" E E, "a control byte in the reason phrase"),
	BAD("HTTP/1.1 200 OK\r\r\n\r\n", "a control byte in the reason phrase"),
	BAD("HTTP/1.1 200 O\rK" E E, "a control byte in the reason phrase"),
	BAD("HTTP/2 200 OK" E E, "not an HTTP/1.0 or HTTP/1.1 status line"),
	BAD("HTTP/2.0 200 OK" E E, "not an HTTP/1.0 or HTTP/1.1 status line"),
	BAD("HTTP/1.2 200 OK" E E, "not an HTTP/1.0 or HTTP/1.1 status line"),
	BAD("HTTP/0.9 200 OK" E E, "not an HTTP/1.0 or HTTP/1.1 status line"),
	BAD("http/1.1 200 OK" E E, "not an HTTP/1.0 or HTTP/1.1 status line"),
	BAD("HTTP/1.1\t200 OK" E E, "not an HTTP/1.0 or HTTP/1.1 status line"),
	BAD("HTTP/1.1 20" E E, "not an HTTP/1.0 or HTTP/1.1 status line"),
	BAD("ICY 200 OK" E E, "not an HTTP/1.0 or HTTP/1.1 status line"),
	BAD(E "HTTP/1.1 200 OK" E E, "not an HTTP/1.0 or HTTP/1.1 status line"),
	BAD("HTTP/1.1 099 x" E E, "bad status code"),
	BAD("HTTP/1.1 600 x" E E, "bad status code"),
	BAD("HTTP/1.1 000 x" E E, "bad status code"),
	BAD("HTTP/1.1 20 OK" E E, "bad status code"),
	BAD("HTTP/1.1 2000 OK" E E, "bad status code"),
	BAD("HTTP/1.1 2x0 OK" E E, "bad status code"),
	BAD("HTTP/1.1  200 OK" E E, "bad status code"),
	BAD("HTTP/1.1 200\tOK" E E, "bad status code"),
	BAD("HTTP/1.1 101 Switching Protocols" E "Upgrade: h2c" E "Connection: upgrade" E E,
	    "an upgrade the proxy did not ask for"),
	BAD("", "no status line"),
	BAD("HTTP/1.1 200 OK", "no status line"),
	/* the head must be exactly one head */
	BAD(S200 "A: b" E, "the head does not end where it should"),
	BAD(S200, "the head does not end where it should"),
	BAD(S200 E "x", "the head does not end where it should"),
	BAD(S200 E E, "the head does not end where it should"),
	/* framing: no body */
	OK(S200 "Content-Length: 10" E E, true, 200, 1, NONE, 0, false),
	OK(S200 "Transfer-Encoding: chunked" E E, true, 200, 1, NONE, 0, true),
	OK(S200 E, true, 200, 1, NONE, 0, false),
	OK("HTTP/1.1 100 Continue" E E, false, 100, 1, NONE, 0, false),
	OK("HTTP/1.1 103 Early Hints" E "Link: </s.css>; rel=preload" E E, false, 103, 1, NONE, 0,
	   false),
	OK("HTTP/1.1 199 x" E "Content-Length: 5" E E, false, 199, 1, NONE, 0, false),
	OK("HTTP/1.1 204 No Content" E "Content-Length: 5" E E, false, 204, 1, NONE, 0, false),
	OK("HTTP/1.1 304 Not Modified" E "Content-Length: 500" E E, false, 304, 1, NONE, 0, false),
	OK("HTTP/1.1 304 Not Modified" E "Transfer-Encoding: chunked" E E, false, 304, 1, NONE, 0,
	   true),
	/* only 204 and 304 among the others */
	OK("HTTP/1.1 205 Reset Content" E E, false, 205, 1, CLOSE, 0, false),
	OK("HTTP/1.1 200 OK" E "Content-Length: 0" E E, false, 200, 1, LENGTH, 0, false),
	/* Content-Length */
	OK(S200 "Content-Length: 12345678901" E E, false, 200, 1, LENGTH, 12345678901, false),
	OK(S200 "Content-Length: 9007199254740992" E E, false, 200, 1, LENGTH,
	   UINT64_C(9007199254740992), false),
	OK(S200 "Content-Length: 0000000000000000000000000000042" E E, false, 200, 1, LENGTH, 42,
	   false),
	OK(S200 "content-length:  \t7 \t" E E, false, 200, 1, LENGTH, 7, false),
	OK(S200 "Content-Length: 5" E "X: y" E "CONTENT-LENGTH: 5" E E, false, 200, 1, LENGTH, 5,
	   false),
	OK(S200 "Content-Length: 5" E "Content-Length: 005" E E, false, 200, 1, LENGTH, 5, false),
	OK("HTTP/1.0 200 OK" E "Content-Length: 3" E E, false, 200, 0, LENGTH, 3, false),
	BAD(S200 "Content-Length: 9007199254740993" E E, "a Content-Length too large"),
	BAD(S200 "Content-Length: 18446744073709551616" E E, "a Content-Length too large"),
	BAD(S200 "Content-Length: 99999999999999999999999999999" E E, "a Content-Length too large"),
	BAD(S200 "Content-Length: 5" E "Content-Length: 6" E E,
	    "Content-Length fields that disagree"),
	BAD(S200 "Content-Length: 0" E "Content-Length: 1" E E,
	    "Content-Length fields that disagree"),
	BAD(S200 "Content-Length: 5" E "Transfer-Encoding: chunked" E "Content-Length: 6" E E,
	    "Content-Length fields that disagree"),
	BAD(S200 "Content-Length: 5x" E E, "a Content-Length that is not a number"),
	BAD(S200 "Content-Length: -5" E E, "a Content-Length that is not a number"),
	BAD(S200 "Content-Length: +5" E E, "a Content-Length that is not a number"),
	BAD(S200 "Content-Length: 5 5" E E, "a Content-Length that is not a number"),
	BAD(S200 "Content-Length: 5, 5" E E, "a Content-Length that is not a number"),
	BAD(S200 "Content-Length: 0x10" E E, "a Content-Length that is not a number"),
	BAD(S200 "Content-Length: \xd9\xa5" E E, "a Content-Length that is not a number"),
	BAD(S200 "Content-Length:" E E, "an empty Content-Length"),
	BAD(S200 "Content-Length:  \t " E E, "an empty Content-Length"),
	/* an invalid Content-Length is refused even where it frames nothing */
	BAD("HTTP/1.1 204 No Content" E "Content-Length: x" E E,
	    "a Content-Length that is not a number"),
	/* Transfer-Encoding: chunked when chunked is the last coding, else until close */
	OK(S200 "Transfer-Encoding: chunked" E E, false, 200, 1, CHUNKED, 0, true),
	OK(S200 "transfer-encoding: Chunked" E E, false, 200, 1, CHUNKED, 0, true),
	OK(S200 "Transfer-Encoding: gzip, chunked" E E, false, 200, 1, CHUNKED, 0, true),
	OK(S200 "Transfer-Encoding: gzip;q=1 ,\tchunked" E E, false, 200, 1, CHUNKED, 0, true),
	OK(S200 "Transfer-Encoding: gzip" E "Transfer-Encoding: chunked" E E, false, 200, 1,
	   CHUNKED, 0, true),
	OK(S200 "Transfer-Encoding: chunked, gzip" E E, false, 200, 1, CLOSE, 0, true),
	OK(S200 "Transfer-Encoding: chunked" E "Transfer-Encoding: gzip" E E, false, 200, 1, CLOSE,
	   0, true),
	OK(S200 "Transfer-Encoding: gzip" E E, false, 200, 1, CLOSE, 0, true),
	OK(S200 "Transfer-Encoding: chunkedx" E E, false, 200, 1, CLOSE, 0, true),
	OK(S200 "Transfer-Encoding: chunked" E "Content-Length: 5" E E, false, 200, 1, CHUNKED, 0,
	   true),
	OK(S200 "Content-Length: 5" E "Transfer-Encoding: chunked" E E, false, 200, 1, CHUNKED, 0,
	   true),
	OK(S200 "Content-Length: 5" E "Transfer-Encoding: gzip" E E, false, 200, 1, CLOSE, 0, true),
	BAD(S200 "Transfer-Encoding: @" E E, "a malformed Transfer-Encoding"),
	BAD(S200 "Transfer-Encoding: gz/ip, chunked" E E, "a malformed Transfer-Encoding"),
	BAD(S200 "Transfer-Encoding: \"chunked\"" E E, "a malformed Transfer-Encoding"),
	/* neither: until close */
	OK(S200 "Content-Type: text/html" E E, false, 200, 1, CLOSE, 0, false),
	/* line ends: bare LF and CRLF, in any mix */
	OK("HTTP/1.1 200 OK\nContent-Length: 3\n\n", false, 200, 1, LENGTH, 3, false),
	OK("HTTP/1.1 200 OK\r\nContent-Length: 3\n\r\n", false, 200, 1, LENGTH, 3, false),
	OK("HTTP/1.0 200 OK\nTransfer-Encoding: chunked\r\n\n", false, 200, 0, CLOSE, 0, true),
	/* fields */
	OK(S200 "X-Ok: a\tb \x80\xff ~" E "x!#$%&'*+-.^_`|~0: v" E "Empty:" E E, false, 200, 1,
	   CLOSE, 0, false),
	BAD(S200 "A: b" E " c" E E, "a folded header field"),
	BAD(S200 "A: b" E "\tc" E E, "a folded header field"),
	BAD(S200 " A: b" E E, "a folded header field"),
	BAD(S200 "A : b" E E, "a malformed header field name"),
	BAD(S200 "A\t: b" E E, "a malformed header field name"),
	BAD(S200 "A b: c" E E, "a malformed header field name"),
	BAD(S200 "\xc3\xa9: b" E E, "a malformed header field name"),
	BAD(S200 "A\rB: c" E E, "a malformed header field name"),
	BAD(S200 ": b" E E, "a header line without a field name"),
	BAD(S200 "no colon" E E, "a header line without a field name"),
	BAD(S200 "A: b\rc" E E, "a control byte in a header field"),
	BAD(S200 "A: b\r\r\n\r\n", "a control byte in a header field"),
	BAD(S200 "A: b\0c" E E, "a control byte in a header field"),
	BAD(S200 "A: \x7f" E E, "a control byte in a header field"),
	BAD(S200 "A: \x1b[0m" E E, "a control byte in a header field"),
#undef OK
#undef BAD
};

static void check_forward_reparses(const char *head, const struct pd_http_response *r,
				   bool head_request, bool keep_alive);

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct pd_http_response r;
	const char *reason = "unset";
	int got = pd_http_parse_response(c->head, c->len, c->head_request, &r, &reason);

	ck_assert_msg(got == c->want, "parse of \"%s\": expected %d, got %d (%s)",
		      esc(c->head, c->len), c->want, got, reason ? reason : "(null)");
	if (got < 0) {
		ck_assert_msg(reason && strcmp(reason, c->reason) == 0,
			      "parse of \"%s\": expected \"%s\", got \"%s\"", esc(c->head, c->len),
			      c->reason, reason ? reason : "(null)");
		return;
	}
	ck_assert_msg(reason == NULL, "reason \"%s\" on success", reason);
	EXPECT_INT(r.status, c->status);
	EXPECT_INT(r.minor, c->minor);
	EXPECT_UINT(r.head_len, c->len);
	ck_assert_msg(r.framing == c->framing, "parse of \"%s\": framing expected %d, got %d",
		      esc(c->head, c->len), (int)c->framing, (int)r.framing);
	EXPECT_UINT(r.content_length, c->content_length);
	EXPECT_INT(r.transfer_encoding, c->te);
	/* an accepted head is one pd_http_head_end() finds whole */
	EXPECT_UINT(head_end_at_once(c->head, c->len), c->len);
	check_forward_reparses(c->head, &r, c->head_request, true);
	check_forward_reparses(c->head, &r, c->head_request, false);
}
END_TEST

/* A head of exactly @len bytes with one long field. */
static size_t sized_head(char *buf, size_t len)
{
	static const char pre[] = "HTTP/1.1 200 OK\r\nX: ";
	static const char end[4] = { '\r', '\n', '\r', '\n' };
	size_t n = sizeof(pre) - 1;

	memcpy(buf, pre, n);
	memset(buf + n, 'a', len - n - sizeof(end));
	memcpy(buf + len - sizeof(end), end, sizeof(end));
	return len;
}

START_TEST(test_head_limit)
{
	static char buf[PD_HTTP_RESPONSE_HEAD_MAX + 16];
	static char out[PD_HTTP_RESPONSE_HEAD_MAX + PD_HTTP_RESPONSE_GROWTH];
	struct pd_http_response r;
	const char *reason = NULL;
	size_t n = sized_head(buf, PD_HTTP_RESPONSE_HEAD_MAX);
	ssize_t o;

	EXPECT_UINT(head_end_at_once(buf, n), n);
	EXPECT_INT(pd_http_parse_response(buf, n, false, &r, &reason), 1);
	EXPECT_UINT(r.head_len, PD_HTTP_RESPONSE_HEAD_MAX);
	o = pd_http_response_head(buf, &r, false, out, sizeof(out));
	EXPECT_INT(o, PD_HTTP_RESPONSE_HEAD_MAX + 19);
	n = sized_head(buf, PD_HTTP_RESPONSE_HEAD_MAX + 1);
	EXPECT_UINT(head_end_at_once(buf, n), n);
	EXPECT_INT(pd_http_parse_response(buf, n, false, &r, &reason), -1);
	EXPECT_STR(reason, "the response head is too large");
}
END_TEST

/* "HTTP/1.1 200 OK" and @fields fields "X-<i>: y", with @eol line ends. */
static size_t fields_head(char *buf, size_t cap, int fields, const char *eol)
{
	size_t n = (size_t)snprintf(buf, cap, "HTTP/1.1 200 OK%s", eol);

	for (int i = 0; i < fields; i++)
		n += (size_t)snprintf(buf + n, cap - n, "X-%d: y%s", i, eol);
	n += (size_t)snprintf(buf + n, cap - n, "%s", eol);
	ck_assert_uint_lt(n, cap);
	return n;
}

START_TEST(test_field_count)
{
	static char buf[16384];
	struct pd_http_response r;
	const char *reason = NULL;
	size_t n = fields_head(buf, sizeof(buf), PD_HTTP_RESPONSE_FIELDS_MAX, "\r\n");

	EXPECT_INT(pd_http_parse_response(buf, n, false, &r, &reason), 1);
	EXPECT_INT(r.framing, PD_HTTP_FRAME_CLOSE);
	n = fields_head(buf, sizeof(buf), PD_HTTP_RESPONSE_FIELDS_MAX + 1, "\r\n");
	EXPECT_INT(pd_http_parse_response(buf, n, false, &r, &reason), -1);
	EXPECT_STR(reason, "too many header fields");
	n = fields_head(buf, sizeof(buf), PD_HTTP_RESPONSE_FIELDS_MAX, "\n");
	EXPECT_INT(pd_http_parse_response(buf, n, false, &r, &reason), 1);
	n = fields_head(buf, sizeof(buf), PD_HTTP_RESPONSE_FIELDS_MAX + 1, "\n");
	EXPECT_INT(pd_http_parse_response(buf, n, false, &r, &reason), -1);
	EXPECT_STR(reason, "too many header fields");
}
END_TEST

/* ---- pd_http_response_head ---- */

/*
 * The head pd_http_response_head() wrote for @head frames the body as the
 * proxy does: pd_http_head_end() finds it whole, and it parses back to the
 * same status, framing and length, as HTTP/1.1, within the length bound.
 */
static void check_forward_reparses(const char *head, const struct pd_http_response *r,
				   bool head_request, bool keep_alive)
{
	static char out[PD_HTTP_RESPONSE_HEAD_MAX + PD_HTTP_RESPONSE_GROWTH];
	struct pd_http_response f;
	const char *reason = NULL;
	ssize_t n = pd_http_response_head(head, r, keep_alive, out, sizeof(out));

	ck_assert_msg(n > 0 && (size_t)n <= r->head_len + PD_HTTP_RESPONSE_GROWTH,
		      "forward of \"%s\": length %zd, head %zu", esc(head, r->head_len), n,
		      r->head_len);
	EXPECT_UINT(head_end_at_once(out, (size_t)n), (size_t)n);
	ck_assert_msg(pd_http_parse_response(out, (size_t)n, head_request, &f, &reason) == 1,
		      "forwarded \"%s\" does not parse: %s", esc(out, (size_t)n), reason);
	EXPECT_INT(f.minor, 1);
	EXPECT_INT(f.status, r->status);
	EXPECT_UINT(f.head_len, (size_t)n);
	/* an HTTP/1.0 chunked head is read until close; as HTTP/1.1 it says chunked */
	ck_assert_msg((f.framing == r->framing || (r->minor == 0 && r->transfer_encoding &&
						   f.framing == PD_HTTP_FRAME_CHUNKED)) &&
			      f.content_length == r->content_length,
		      "forward of \"%s\"\nis \"%s\": framing %d/%llu became %d/%llu",
		      esc(head, r->head_len), esc(out, (size_t)n), (int)r->framing,
		      (unsigned long long)r->content_length, (int)f.framing,
		      (unsigned long long)f.content_length);
	EXPECT_INT(f.transfer_encoding, r->transfer_encoding);
}

/*
 * pd_http_response_head() of @head (parsed for @head_request) is exactly
 * @want; it needs exactly its length of room, and frames as the proxy does.
 */
static void expect_response_head(const char *head, size_t len, bool head_request, bool keep_alive,
				 const char *want)
{
	struct pd_http_response r;
	const char *reason = NULL;
	char out[2048];
	size_t wn = strlen(want);
	char *tight;
	ssize_t n;

	ck_assert_msg(pd_http_parse_response(head, len, head_request, &r, &reason) == 1,
		      "parse of \"%s\": %s", esc(head, len), reason);
	n = pd_http_response_head(head, &r, keep_alive, out, sizeof(out));
	ck_assert_msg(n == (ssize_t)wn && memcmp(out, want, wn) == 0,
		      "response head of \"%s\" (keep_alive %d):\nexpected \"%s\"\ngot (%zd) \"%s\"",
		      esc(head, len), keep_alive, esc(want, wn), n,
		      esc(out, n > 0 ? (size_t)n : 0));
	ck_assert_msg((size_t)n <= len + PD_HTTP_RESPONSE_GROWTH, "%zd bytes for a %zu-byte head",
		      n, len);
	/* exactly enough room works, one byte less does not (heap: ASan sees overruns) */
	tight = malloc(wn);
	ck_assert_ptr_nonnull(tight);
	EXPECT_INT(pd_http_response_head(head, &r, keep_alive, tight, wn), (ssize_t)wn);
	ck_assert(memcmp(tight, want, wn) == 0);
	EXPECT_INT(pd_http_response_head(head, &r, keep_alive, tight, wn - 1), -1);
	free(tight);
	EXPECT_INT(pd_http_response_head(head, &r, keep_alive, NULL, 0), -1);
	check_forward_reparses(head, &r, head_request, keep_alive);
}

START_TEST(test_response_head)
{
	/* bare LF becomes CRLF, HTTP/1.0 becomes HTTP/1.1; values as they came */
	expect_response_head(T("HTTP/1.0 200 OK\nContent-Type: text/plain\nContent-Length: 3\n\n"),
			     false, true,
			     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
			     "\r\n");
	expect_response_head(T("HTTP/1.0 200 OK\nContent-Type: text/plain\nContent-Length: 3\n\n"),
			     false, false,
			     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
			     "Connection: close\r\n\r\n");
	expect_response_head(T("HTTP/1.1 200 OK\r\nA:  x \t\r\nb:\r\nC:y\n\r\n"), false, true,
			     "HTTP/1.1 200 OK\r\nA:  x \t\r\nb:\r\nC:y\r\n\r\n");
	/* the status line's reason as it came, or none */
	expect_response_head(T("HTTP/1.0 200\r\n\r\n"), false, true, "HTTP/1.1 200\r\n\r\n");
	expect_response_head(T("HTTP/1.1 200 \n\n"), false, true, "HTTP/1.1 200 \r\n\r\n");
	expect_response_head(T("HTTP/1.1 404 Nicht \xc3\xa9\tgefunden\r\n\r\n"), false, false,
			     "HTTP/1.1 404 Nicht \xc3\xa9\tgefunden\r\nConnection: close\r\n\r\n");
	expect_response_head(T("HTTP/1.1 100 Continue\r\n\r\n"), false, true,
			     "HTTP/1.1 100 Continue\r\n\r\n");
	/* the server's Connection says nothing to the client; what it names is dropped */
	expect_response_head(T("HTTP/1.1 200 OK\r\n"
			       "Connection: close, X-A\r\n"
			       "x-a: 1\r\n"
			       "X-B: 2\r\n"
			       "X-A: 3\r\n"
			       "Content-Length: 0\r\n\r\n"),
			     false, true, "HTTP/1.1 200 OK\r\nX-B: 2\r\nContent-Length: 0\r\n\r\n");
	expect_response_head(T("HTTP/1.1 200 OK\r\n"
			       "Connection: keep-alive\r\n"
			       "Content-Length: 0\r\n\r\n"),
			     false, false,
			     "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	expect_response_head(T("HTTP/1.1 200 OK\r\n"
			       "X-Late: 1\r\n"
			       "cOnNeCtIoN: , X-Late ,\tx-early ,\r\n"
			       "X-EARLY: 2\r\n"
			       "X-Lately: 3\r\n"
			       "\r\n"),
			     false, true, "HTTP/1.1 200 OK\r\nX-Lately: 3\r\n\r\n");
	expect_response_head(T("HTTP/1.1 200 OK\r\n"
			       "Proxy-Connection: keep-alive, X-P\r\n"
			       "X-P: p\r\n"
			       "Connection: X-C\r\n"
			       "X-C: c\r\n"
			       "X-Q: q\r\n"
			       "\r\n"),
			     false, false,
			     "HTTP/1.1 200 OK\r\nX-Q: q\r\nConnection: close\r\n\r\n");
	/* hop-by-hop fields, in any case */
	expect_response_head(
		T("HTTP/1.1 200 OK\r\n"
		  "Keep-Alive: timeout=5\r\n"
		  "TE: trailers\r\n"
		  "Upgrade: h2c\r\n"
		  "Proxy-Authenticate: Basic realm=x\r\n"
		  "Proxy-Authorization: Basic eA==\r\n"
		  "KEEP-ALIVE: max=3\r\n"
		  "te: x\r\n"
		  "uPgRaDe: websocket\r\n"
		  "Trailer: X-T\r\n"
		  "WWW-Authenticate: Basic realm=y\r\n"
		  "Proxy-X: kept\r\n"
		  "Content-Length: 2\r\n"
		  "\r\n"),
		false, true,
		"HTTP/1.1 200 OK\r\nTrailer: X-T\r\nWWW-Authenticate: Basic realm=y\r\n"
		"Proxy-X: kept\r\nContent-Length: 2\r\n\r\n");
	/* Content-Length goes when Transfer-Encoding is there, whatever the framing */
	expect_response_head(T("HTTP/1.1 200 OK\r\n"
			       "content-LENGTH: 5\r\n"
			       "Transfer-Encoding: chunked\r\n"
			       "Content-Length: 5\r\n"
			       "X: y\r\n\r\n"),
			     false, true,
			     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n");
	expect_response_head(
		T("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n"
		  "\r\n"),
		false, false,
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n");
	expect_response_head(
		T("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n"
		  "Content-Length: 5\r\nETag: \"e\"\r\n\r\n"),
		false, true,
		"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nETag: \"e\"\r\n"
		"\r\n");
	/* and stays otherwise, also where it frames nothing */
	expect_response_head(
		T("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\n"), true, true,
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\n");
	expect_response_head(T("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"), false, true,
			     "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
}
END_TEST

/* The longest forwarded head: every line grows by a CR, and Connection is appended. */
START_TEST(test_response_head_growth)
{
	static char buf[16384], out[16384];
	struct pd_http_response r;
	const char *reason = NULL;
	size_t n = fields_head(buf, sizeof(buf), PD_HTTP_RESPONSE_FIELDS_MAX, "\n");
	size_t want = n + PD_HTTP_RESPONSE_FIELDS_MAX + 2 + 19;
	char *tight;

	EXPECT_INT(pd_http_parse_response(buf, n, false, &r, &reason), 1);
	EXPECT_INT(pd_http_response_head(buf, &r, false, out, sizeof(out)), (ssize_t)want);
	ck_assert_uint_le(want, n + PD_HTTP_RESPONSE_GROWTH);
	tight = malloc(want);
	ck_assert_ptr_nonnull(tight);
	EXPECT_INT(pd_http_response_head(buf, &r, false, tight, want), (ssize_t)want);
	ck_assert(memcmp(tight, out, want) == 0);
	EXPECT_INT(pd_http_response_head(buf, &r, false, tight, want - 1), -1);
	free(tight);
	EXPECT_INT(pd_http_response_head(buf, &r, true, out, sizeof(out)), (ssize_t)(want - 19));
	EXPECT_INT(pd_http_response_head(buf, &r, true, out, want - 20), -1);
	/* CRLF already: only Connection is added */
	n = fields_head(buf, sizeof(buf), PD_HTTP_RESPONSE_FIELDS_MAX, "\r\n");
	EXPECT_INT(pd_http_parse_response(buf, n, false, &r, &reason), 1);
	EXPECT_INT(pd_http_response_head(buf, &r, false, out, sizeof(out)), (ssize_t)(n + 19));
	EXPECT_INT(pd_http_response_head(buf, &r, true, out, sizeof(out)), (ssize_t)n);
}
END_TEST

/*
 * A Connection (or Proxy-Connection) option naming Content-Length or
 * Transfer-Encoding: forwarding would drop the field the body is framed by,
 * and the client would frame it otherwise than the proxy: refused.  So are
 * more than 64 options, a malformed one, and a coding with junk after it.
 */
static const char *const refused_heads[] = {
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: Content-Length\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: Transfer-Encoding\r\n\r\n",
	"HTTP/1.1 200 OK\r\nProxy-Connection: content-length\r\nContent-Length: 5\r\n\r\n",
	"HTTP/1.1 200 OK\r\nConnection: a b\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip x, chunked\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked x\r\n\r\n",
};

START_TEST(test_refused_connection_and_codings)
{
	const char *head = refused_heads[_i];
	struct pd_http_response r;
	const char *reason = NULL;

	EXPECT_INT(pd_http_parse_response(head, strlen(head), false, &r, &reason), -1);
	ck_assert_msg(reason != NULL, "no reason for [%s]", head);
}
END_TEST

START_TEST(test_connection_options_cap)
{
	char head[1024];
	size_t n = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nConnection: ");
	struct pd_http_response r;
	const char *reason = NULL;

	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(head + n, sizeof(head) - n, "%sx%d", i ? ", " : "", i);
	snprintf(head + n, sizeof(head) - n, "\r\n\r\n");
	EXPECT_INT(pd_http_parse_response(head, strlen(head), false, &r, &reason), 1);
	snprintf(head + n, sizeof(head) - n, ", one-more\r\n\r\n");
	EXPECT_INT(pd_http_parse_response(head, strlen(head), false, &r, &reason), -1);
	EXPECT_STR(reason, "too many Connection options");
}
END_TEST

/* PD_HTTP_RESP_DECHUNK: neither Transfer-Encoding nor Content-Length goes on. */
START_TEST(test_response_head_dechunk)
{
	static const char head[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
		"Content-Length: 3\r\nX-A: 1\r\n\r\n";
	struct pd_http_response r;
	const char *reason = NULL;
	char out[256];
	ssize_t n;

	EXPECT_INT(pd_http_parse_response(head, strlen(head), false, &r, &reason), 1);
	n = pd_http_response_head(head, &r, PD_HTTP_RESP_DECHUNK, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	EXPECT_STR(out, "HTTP/1.1 200 OK\r\nX-A: 1\r\nConnection: close\r\n\r\n");
	n = pd_http_response_head(head, &r, PD_HTTP_RESP_KEEP_ALIVE, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	EXPECT_STR(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nX-A: 1\r\n\r\n");
}
END_TEST

/* HTTP/1.0 with Transfer-Encoding: faulty framing, read until close (RFC 9112 6.1). */
START_TEST(test_http10_transfer_encoding)
{
	static const char head[] =
		"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n"
		"Content-Length: 3\r\n\r\n";
	struct pd_http_response r;
	const char *reason = NULL;

	EXPECT_INT(pd_http_parse_response(head, strlen(head), false, &r, &reason), 1);
	EXPECT_INT(r.framing, PD_HTTP_FRAME_CLOSE);
	ck_assert(r.transfer_encoding);
}
END_TEST

static Suite *http_response_suite(void)
{
	Suite *s = suite_create("http_response");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_head_end);
	tcase_add_test(tc, test_head_end_resume);
	tcase_add_loop_test(tc, test_parse, 0, (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_head_limit);
	tcase_add_test(tc, test_field_count);
	tcase_add_test(tc, test_response_head);
	tcase_add_test(tc, test_response_head_growth);
	tcase_add_loop_test(tc, test_refused_connection_and_codings, 0,
			    (int)(sizeof(refused_heads) / sizeof(refused_heads[0])));
	tcase_add_test(tc, test_connection_options_cap);
	tcase_add_test(tc, test_http10_transfer_encoding);
	tcase_add_test(tc, test_response_head_dechunk);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(http_response_suite);
