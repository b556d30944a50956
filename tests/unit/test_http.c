/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proxy/http.c: the request-head parser (every refusal with
 * its status and reason, the accepted forms field by field, limits,
 * pipelining, byte-by-byte feeding), the forward head, the chunked body
 * scanner and the error responses.
 */
#include "unit.h"
#include "proxy/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T(s) s, sizeof(s) - 1

static bool req_equal(const struct pd_http_request *a, const struct pd_http_request *b)
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

/*
 * Feed @buf one byte at a time, as a client trickling it would: each prefix
 * must be "need more" until the byte that completes the head (same request
 * as parsing all at once) or shows the error (same status and reason), and
 * every longer prefix must give that same answer.
 */
static void check_incremental(const char *buf, size_t len)
{
	struct pd_http_request full, part;
	int fstatus = 0, pstatus = 0;
	const char *freason = NULL, *preason = NULL;
	int fr = pd_http_parse_request(buf, len, &full, &fstatus, &freason);
	bool decided = false;

	for (size_t n = 0; n <= len; n++) {
		int r = pd_http_parse_request(buf, n, &part, &pstatus, &preason);

		if (r == 0) {
			ck_assert_msg(!decided, "prefix %zu: need more after a decision", n);
			ck_assert_msg(fr != 1 || n < full.head_len,
				      "prefix %zu: need more though head_len is %zu", n,
				      full.head_len);
			continue;
		}
		decided = true;
		ck_assert_msg(r == fr, "prefix %zu: got %d, all at once %d", n, r, fr);
		if (r == 1) {
			ck_assert_msg(n >= full.head_len,
				      "prefix %zu: complete before head_len %zu", n, full.head_len);
			ck_assert_msg(req_equal(&part, &full), "prefix %zu: another request", n);
		} else {
			ck_assert_msg(pstatus == fstatus && strcmp(preason, freason) == 0,
				      "prefix %zu: %d \"%s\", all at once %d \"%s\"", n, pstatus,
				      preason, fstatus, freason);
		}
	}
}

static struct pd_http_request parse_ok(const char *buf, size_t len)
{
	struct pd_http_request req;
	int status = 0;
	const char *reason = "";
	int r = pd_http_parse_request(buf, len, &req, &status, &reason);

	ck_assert_msg(r == 1, "parse of \"%.*s\": expected 1, got %d (%d %s)", (int)len, buf, r,
		      status, r < 0 ? reason : "");
	check_incremental(buf, len);
	return req;
}

static void expect_refused(const char *buf, size_t len, int want_status, const char *want_reason)
{
	struct pd_http_request req;
	int status = 0;
	const char *reason = NULL;
	int r = pd_http_parse_request(buf, len, &req, &status, &reason);

	ck_assert_msg(r == -1, "parse of \"%.*s\": expected -1, got %d", (int)len, buf, r);
	ck_assert_msg(status == want_status && reason && strcmp(reason, want_reason) == 0,
		      "parse of \"%.*s\": expected %d \"%s\", got %d \"%s\"", (int)len, buf,
		      want_status, want_reason, status, reason ? reason : "(null)");
	check_incremental(buf, len);
}

#define H11 " HTTP/1.1\r\n"
#define END "\r\n"

static const struct refusal {
	const char *text;
	size_t len;
	int status;
	const char *reason;
} refusals[] = {
	/* request line, detected before the head is complete */
	{ T("\x16\x03\x01\x02\x00\x01"), 400, "invalid character in method" },
	{ T("GET /path\n"), 400, "bare LF in request head" },
	{ T("GET\n"), 400, "bare LF in request head" },
	{ T("G\tT / HTTP/1.1\r\n"), 400, "invalid character in method" },
	{ T(" GET / HTTP/1.1\r\n"), 400, "empty method" },
	{ T("\r\nGET / HTTP/1.1\r\n"), 400, "empty line before the request line" },
	{ T("ABCDEFGHIJKLMNOP / HTTP/1.1\r\n"), 501, "method too long" },
	{ T("GET  / HTTP/1.1\r\n"), 400, "empty request target" },
	{ T("GET /\r\n\r\n"), 400, "request line without HTTP version" },
	{ T("GET /a\tb HTTP/1.1"), 400, "invalid character in request target" },
	{ T("GET /a\x7f"), 400, "invalid character in request target" },
	{ T("GET /caf\xc3\xa9 HTTP/1.1"), 400, "invalid character in request target" },
	{ T("GET /a\0b HTTP/1.1"), 400, "invalid character in request target" },
	/* request target forms */
	{ T("GET * HTTP/1.1\r\n"), 400, "asterisk-form request target" },
	{ T("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "asterisk-form request target" },
	{ T("GET https://a.example/" H11), 400, "unsupported URI scheme (only http://)" },
	{ T("GET ftp://a.example/" H11), 400, "unsupported URI scheme (only http://)" },
	{ T("GET httpx://a.example/" H11), 400, "unsupported URI scheme (only http://)" },
	{ T("GET a.example" H11), 400, "invalid request target" },
	{ T("GET http:a.example" H11), 400, "unsupported URI scheme (only http://)" },
	{ T("GET http://user@a.example/" H11), 400, "userinfo in request target" },
	{ T("GET http://u:p@a.example/" H11), 400, "userinfo in request target" },
	{ T("GET http://a.example/#frag" H11), 400, "fragment in request target" },
	{ T("GET /x#y" H11), 400, "fragment in request target" },
	{ T("GET http://a%2eexample/" H11), 400, "percent-escape in host" },
	{ T("GET http:///" H11), 400, "empty host" },
	{ T("GET http://" H11), 400, "empty host" },
	{ T("GET http://:80/" H11), 400, "empty host" },
	{ T("GET http://a..example/" H11), 400, "empty label in host" },
	{ T("GET http://.a.example/" H11), 400, "empty label in host" },
	{ T("GET http://a.example./" H11), 400, "empty label in host" },
	{ T("GET http://a!b/" H11), 400, "invalid character in host" },
	{ T("GET http://a.example:/" H11), 400, "invalid port" },
	{ T("GET http://a.example:0/" H11), 400, "invalid port" },
	{ T("GET http://a.example:65536/" H11), 400, "invalid port" },
	{ T("GET http://a.example:+80/" H11), 400, "invalid port" },
	{ T("GET http://a.example:80x/" H11), 400, "invalid port" },
	{ T("GET http://a.example:000080/" H11), 400, "invalid port" },
	{ T("GET http://a.example:80:80/" H11), 400, "invalid port" },
	{ T("GET http://[::1/" H11), 400, "invalid IPv6 literal in host" },
	{ T("GET http://[fe80::1%25eth0]/" H11), 400, "invalid IPv6 literal in host" },
	{ T("GET http://[1.2.3.4]/" H11), 400, "invalid IPv6 literal in host" },
	{ T("GET http://[]/" H11), 400, "invalid IPv6 literal in host" },
	{ T("GET http://[::1]x/" H11), 400, "invalid port" },
	/* CONNECT */
	{ T("CONNECT a.example" H11), 400, "CONNECT target without port" },
	{ T("CONNECT a.example:" H11), 400, "invalid port" },
	{ T("CONNECT a.example:0" H11), 400, "invalid port" },
	{ T("CONNECT a.example:65536" H11), 400, "invalid port" },
	{ T("CONNECT a.example:+443" H11), 400, "invalid port" },
	{ T("CONNECT a.example:-443" H11), 400, "invalid port" },
	{ T("CONNECT a.example:443x" H11), 400, "invalid port" },
	{ T("CONNECT a.example:4294967739" H11), 400, "invalid port" },
	{ T("CONNECT a.example:000443" H11), 400, "invalid port" },
	{ T("CONNECT /foo" H11), 400, "CONNECT target is not host:port" },
	{ T("CONNECT http://a.example:443/" H11), 400, "CONNECT target is not host:port" },
	{ T("CONNECT * HTTP/1.1\r\n"), 400, "CONNECT target is not host:port" },
	{ T("CONNECT u@a.example:443" H11), 400, "userinfo in request target" },
	{ T("CONNECT ::1:443" H11), 400, "empty host" },
	{ T("CONNECT [::1]" H11), 400, "CONNECT target without port" },
	{ T("CONNECT a.example:443" H11 "Host: b.example:443\r\n" END), 400,
	  "Host header does not match the request target" },
	{ T("CONNECT a.example:443" H11 "Host: a.example:444\r\n" END), 400,
	  "Host header does not match the request target" },
	{ T("CONNECT a.example:443" H11 "Host: a.example:443\r\nContent-Length: 0\r\n" END), 400,
	  "CONNECT request with a body" },
	{ T("CONNECT a.example:443" H11 "Transfer-Encoding: chunked\r\n"), 400,
	  "CONNECT request with a body" },
	{ T("CONNECT a.example:443" H11 END), 400, "missing Host header" },
	/* version */
	{ T("GET / HTTP/2.0\r\n"), 505, "unsupported HTTP version" },
	{ T("GET / HTTP/1.2\r\n"), 505, "unsupported HTTP version" },
	{ T("GET / HTTP/0.9\r\n"), 505, "unsupported HTTP version" },
	{ T("GET / HTTP/1.1 \r\n"), 400, "malformed HTTP version" },
	{ T("GET / http/1.1\r\n"), 400, "malformed HTTP version" },
	{ T("GET / HTTP/1.10\r\n"), 400, "malformed HTTP version" },
	{ T("GET / HTTP/11\r\n"), 400, "malformed HTTP version" },
	{ T("GET / HTTP/2\r\n"), 400, "malformed HTTP version" },
	{ T("GET / HTTP/1.1\n"), 400, "bare LF in request head" },
	{ T("GET / HTTP/1.1\r\r\n"), 400, "bare CR in request head" },
	{ T("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400, "bare CR in request head" },
	/* header lines */
	{ T("GET /" H11 "Host: a\rX: y\r\n\r\n"), 400, "bare CR in request head" },
	{ T("GET /" H11 "Host: a\nX: y\r\n\r\n"), 400, "bare LF in request head" },
	{ T("GET /" H11 "Host: a\r\n\n"), 400, "bare LF in request head" },
	{ T("GET /" H11 "Host: a\r\n\r\r\n"), 400, "bare CR in request head" },
	{ T("GET /" H11 "Host: a\r\nX: a\r\n b\r\n\r\n"), 400, "obsolete line folding" },
	{ T("GET /" H11 "Host: a\r\nX: a\r\n\tb\r\n\r\n"), 400, "obsolete line folding" },
	{ T("GET /" H11 " Host: a\r\n\r\n"), 400, "obsolete line folding" },
	{ T("GET /" H11 "Host : a\r\n\r\n"), 400, "whitespace in header field name" },
	{ T("GET /" H11 "Host\t: a\r\n\r\n"), 400, "whitespace in header field name" },
	{ T("GET /" H11 "X Y: a\r\n"), 400, "whitespace in header field name" },
	{ T("GET /" H11 ": a\r\n"), 400, "empty header field name" },
	{ T("GET /" H11 "X\r\n"), 400, "header line without colon" },
	{ T("GET /" H11 "X(y): z\r\n"), 400, "invalid character in header field name" },
	{ T("GET /" H11 "X\xc3\xa9: z\r\n"), 400, "invalid character in header field name" },
	{ T("GET /" H11 "X: a\0b\r\n"), 400, "NUL in header field value" },
	{ T("GET /" H11 "X: a\x01"), 400, "control character in header field value" },
	{ T("GET /" H11 "X: a\x7f"), 400, "control character in header field value" },
	{ T("GET /" H11 "X: a\x1b[0m"), 400, "control character in header field value" },
	/* Host */
	{ T("GET /" H11 END), 400, "missing Host header" },
	{ T("GET /" H11 "X: y\r\n" END), 400, "missing Host header" },
	{ T("GET / HTTP/1.0\r\n" END), 400, "missing Host header" },
	{ T("GET http://a.example/" H11 END), 400, "missing Host header" },
	{ T("GET /" H11 "Host: a\r\nHost: a\r\n"), 400, "duplicate Host header" },
	{ T("GET /" H11 "Host: a\r\nhOsT: b\r\n"), 400, "duplicate Host header" },
	{ T("GET /" H11 "Host: \r\n"), 400, "empty Host header" },
	{ T("GET /" H11 "Host: a.example:99999\r\n"), 400, "invalid port" },
	{ T("GET /" H11 "Host: u@a.example\r\n"), 400, "invalid character in host" },
	{ T("GET /" H11 "Host: a.example/x\r\n"), 400, "invalid character in host" },
	{ T("GET /" H11 "Host: a b\r\n"), 400, "invalid character in host" },
	{ T("GET http://a.example/" H11 "Host: b.example\r\n"), 400,
	  "Host header does not match the request target" },
	{ T("GET http://a.example:8080/" H11 "Host: a.example\r\n"), 400,
	  "Host header does not match the request target" },
	{ T("GET http://a.example/" H11 "Host: a.example:8080\r\n"), 400,
	  "Host header does not match the request target" },
	{ T("GET http://a.example/ HTTP/1.0\r\nHost: b.example\r\n"), 400,
	  "Host header does not match the request target" },
	/* body framing */
	{ T("POST /" H11 "Host: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n"), 400,
	  "duplicate Content-Length header" },
	{ T("POST /" H11 "Host: a\r\nContent-Length: 5, 5\r\n"), 400, "invalid Content-Length" },
	{ T("POST /" H11 "Host: a\r\nContent-Length: +5\r\n"), 400, "invalid Content-Length" },
	{ T("POST /" H11 "Host: a\r\nContent-Length: -1\r\n"), 400, "invalid Content-Length" },
	{ T("POST /" H11 "Host: a\r\nContent-Length: \r\n"), 400, "invalid Content-Length" },
	{ T("POST /" H11 "Host: a\r\nContent-Length: 0x10\r\n"), 400, "invalid Content-Length" },
	{ T("POST /" H11 "Host: a\r\nContent-Length: 1 0\r\n"), 400, "invalid Content-Length" },
	{ T("POST /" H11 "Host: a\r\nContent-Length: 9007199254740993\r\n"), 400,
	  "Content-Length too large" },
	{ T("POST /" H11 "Host: a\r\nContent-Length: 184467440737095516160\r\n"), 400,
	  "Content-Length too large" },
	{ T("POST /" H11 "Host: a\r\nTransfer-Encoding: gzip, chunked\r\n"), 501,
	  "unsupported transfer coding" },
	{ T("POST /" H11 "Host: a\r\nTransfer-Encoding: gzip\r\n"), 501,
	  "unsupported transfer coding" },
	{ T("POST /" H11 "Host: a\r\nTransfer-Encoding: chunked, chunked\r\n"), 501,
	  "unsupported transfer coding" },
	{ T("POST /" H11 "Host: a\r\nTransfer-Encoding: \r\n"), 501,
	  "unsupported transfer coding" },
	{ T("POST /" H11 "Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
	  400, "duplicate Transfer-Encoding header" },
	{ T("POST /" H11 "Host: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400,
	  "both Content-Length and Transfer-Encoding" },
	{ T("POST /" H11 "Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400,
	  "both Content-Length and Transfer-Encoding" },
	{ T("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"), 400,
	  "Transfer-Encoding in an HTTP/1.0 request" },
	/* Connection */
	{ T("GET /" H11 "Host: a\r\nConnection: close, Content-Length\r\n"), 400,
	  "Connection header names an end-to-end header" },
	{ T("GET /" H11 "Host: a\r\nConnection: transfer-encoding\r\n"), 400,
	  "Connection header names an end-to-end header" },
	{ T("GET /" H11 "Host: a\r\nProxy-Connection: Host\r\n"), 400,
	  "Connection header names an end-to-end header" },
	{ T("GET /" H11 "Host: a\r\nConnection: a b\r\n"), 400, "invalid Connection header" },
	{ T("GET /" H11 "Host: a\r\nConnection: \"close\"\r\n"), 400, "invalid Connection header" },
};

START_TEST(test_refusals)
{
	const struct refusal *t = &refusals[_i];

	expect_refused(t->text, t->len, t->status, t->reason);
}
END_TEST

START_TEST(test_absolute_form)
{
	static const char head[] =
		"GET http://Example.COM/a/b?c=d HTTP/1.1\r\n"
		"Host: example.com\r\n"
		"User-Agent: t\r\n"
		"X: caf\xc3\xa9\t \r\n"
		"\r\n";
	struct pd_http_request r = parse_ok(T(head));

	EXPECT_STR(r.method, "GET");
	EXPECT_INT(r.connect, false);
	EXPECT_INT(r.minor, 1);
	EXPECT_INT(r.absolute, true);
	EXPECT_STR(r.host, "example.com");
	EXPECT_INT(r.port, 80);
	EXPECT_INT(r.port_explicit, false);
	EXPECT_INT(r.path_off, 22);
	EXPECT_INT(r.path_len, 8);
	ck_assert_msg(memcmp(head + r.path_off, "/a/b?c=d", 8) == 0, "path");
	EXPECT_UINT(r.head_len, sizeof(head) - 1);
	EXPECT_INT(r.body, PD_HTTP_BODY_NONE);
	EXPECT_INT(r.client_keep_alive, true);
	EXPECT_INT(r.expect_continue, false);
	EXPECT_INT(r.host_header, true);
	EXPECT_INT(r.fields, 3);
}
END_TEST

START_TEST(test_absolute_form_variants)
{
	static const char query[] = "GET http://a.example?q=1 HTTP/1.1\r\nHost: a.example\r\n\r\n";
	struct pd_http_request r;

	/* HTTP/1.0, no Host, explicit port, no path: path_len 0 means "/" */
	r = parse_ok(T("HEAD HTTP://a.example:8080 HTTP/1.0\r\n\r\n"));
	EXPECT_STR(r.method, "HEAD");
	EXPECT_INT(r.minor, 0);
	EXPECT_INT(r.absolute, true);
	EXPECT_STR(r.host, "a.example");
	EXPECT_INT(r.port, 8080);
	EXPECT_INT(r.port_explicit, true);
	EXPECT_INT(r.path_len, 0);
	EXPECT_INT(r.client_keep_alive, false);
	EXPECT_INT(r.host_header, false);

	/* an empty path with a query */
	r = parse_ok(T(query));
	EXPECT_INT(r.path_off, 20);
	EXPECT_INT(r.path_len, 4);
	ck_assert_msg(memcmp(&query[r.path_off], "?q=1", 4) == 0, "path");

	/* default port on either side */
	r = parse_ok(T("GET http://a.example:80/ HTTP/1.1\r\nHost: A.Example\r\n\r\n"));
	EXPECT_INT(r.port, 80);
	EXPECT_INT(r.port_explicit, true);
	r = parse_ok(T("GET http://a.example/ HTTP/1.1\r\nHost: a.example:80\r\n\r\n"));
	EXPECT_INT(r.port, 80);
	EXPECT_INT(r.port_explicit, false);

	/* IPv6 literal, lowercased, without brackets */
	r = parse_ok(T("GET http://[2001:DB8::1]:81/x HTTP/1.1\r\nHost: [2001:db8::1]:81\r\n\r\n"));
	EXPECT_STR(r.host, "2001:db8::1");
	EXPECT_INT(r.port, 81);

	/* 5-digit port with leading zeros, underscore and digits in names */
	r = parse_ok(T("GET http://my_host-1.example:00081/ HTTP/1.0\r\n\r\n"));
	EXPECT_STR(r.host, "my_host-1.example");
	EXPECT_INT(r.port, 81);
	r = parse_ok(T("GET http://a.example:65535/ HTTP/1.0\r\n\r\n"));
	EXPECT_INT(r.port, 65535);

	/* any token method, case kept */
	r = parse_ok(T("m-SEARCH! http://a.example/ HTTP/1.0\r\n\r\n"));
	EXPECT_STR(r.method, "m-SEARCH!");
	r = parse_ok(T("ABCDEFGHIJKLMNO http://a.example/ HTTP/1.0\r\n\r\n"));
	EXPECT_STR(r.method, "ABCDEFGHIJKLMNO");
}
END_TEST

START_TEST(test_origin_form)
{
	static const char head[] =
		"POST /up?x=1 HTTP/1.1\r\n"
		"Host:A.example:8443\r\n"
		"Content-Length:   42  \r\n"
		"Expect: 100-Continue\r\n"
		"Connection: foo, close\r\n"
		"\r\n";
	struct pd_http_request r = parse_ok(T(head));

	EXPECT_STR(r.method, "POST");
	EXPECT_INT(r.absolute, false);
	EXPECT_STR(r.host, "a.example");
	EXPECT_INT(r.port, 8443);
	EXPECT_INT(r.port_explicit, true);
	EXPECT_INT(r.path_off, 5);
	EXPECT_INT(r.path_len, 7);
	EXPECT_INT(r.body, PD_HTTP_BODY_LENGTH);
	EXPECT_UINT(r.content_length, 42);
	EXPECT_INT(r.client_keep_alive, false);
	EXPECT_INT(r.expect_continue, true);

	r = parse_ok(T("GET / HTTP/1.0\r\nHost: [::1]:8080\r\nConnection: Keep-Alive\r\n\r\n"));
	EXPECT_STR(r.host, "::1");
	EXPECT_INT(r.port, 8080);
	EXPECT_INT(r.client_keep_alive, true);

	r = parse_ok(T("GET // HTTP/1.1\r\nHost: a\r\n\r\n"));
	EXPECT_STR(r.host, "a");
	EXPECT_INT(r.port, 80);
	EXPECT_INT(r.port_explicit, false);
	EXPECT_INT(r.path_len, 2);
}
END_TEST

START_TEST(test_connect)
{
	struct pd_http_request r;

	r =
		parse_ok(T("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n"
			   "Proxy-Connection: Keep-Alive\r\n\r\n"));
	EXPECT_STR(r.method, "CONNECT");
	EXPECT_INT(r.connect, true);
	EXPECT_INT(r.absolute, false);
	EXPECT_STR(r.host, "a.example");
	EXPECT_INT(r.port, 443);
	EXPECT_INT(r.port_explicit, true);
	EXPECT_INT(r.path_len, 0);
	EXPECT_INT(r.body, PD_HTTP_BODY_NONE);
	EXPECT_INT(r.client_keep_alive, true);

	/* a Host without port agrees with any CONNECT port */
	r = parse_ok(T("CONNECT A.Example:8443 HTTP/1.1\r\nHost: a.example\r\n\r\n"));
	EXPECT_STR(r.host, "a.example");
	EXPECT_INT(r.port, 8443);

	r = parse_ok(T("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n"));
	EXPECT_STR(r.host, "2001:db8::1");
	EXPECT_INT(r.port, 443);

	/* HTTP/1.0: no Host needed, closes by default */
	r = parse_ok(T("CONNECT 10.0.0.1:1 HTTP/1.0\r\n\r\n"));
	EXPECT_STR(r.host, "10.0.0.1");
	EXPECT_INT(r.port, 1);
	EXPECT_INT(r.minor, 0);
	EXPECT_INT(r.client_keep_alive, false);
	EXPECT_INT(r.host_header, false);

	/* "connect" is another method, which needs an absolute target */
	expect_refused(T("connect a.example:443 HTTP/1.1\r\n"), 400,
		       "unsupported URI scheme (only http://)");
}
END_TEST

START_TEST(test_framing)
{
	struct pd_http_request r;

	r = parse_ok(T("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  Chunked \r\n\r\n"));
	EXPECT_INT(r.body, PD_HTTP_BODY_CHUNKED);
	r = parse_ok(T("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9007199254740992\r\n\r\n"));
	EXPECT_INT(r.body, PD_HTTP_BODY_LENGTH);
	EXPECT_UINT(r.content_length, UINT64_C(9007199254740992));
	r = parse_ok(T("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n"));
	EXPECT_UINT(r.content_length, 7);
	r = parse_ok(T("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
	EXPECT_INT(r.body, PD_HTTP_BODY_LENGTH);
	EXPECT_UINT(r.content_length, 0);
}
END_TEST

START_TEST(test_keep_alive_and_expect)
{
	struct pd_http_request r;

	r = parse_ok(T("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
	EXPECT_INT(r.client_keep_alive, true);
	r = parse_ok(T("GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: close\r\n\r\n"));
	EXPECT_INT(r.client_keep_alive, false);
	r = parse_ok(T("GET / HTTP/1.1\r\nHost: a\r\nConnection: ,, CLOSE ,\r\n\r\n"));
	EXPECT_INT(r.client_keep_alive, false);
	r = parse_ok(T("GET / HTTP/1.0\r\nHost: a\r\n\r\n"));
	EXPECT_INT(r.client_keep_alive, false);
	r = parse_ok(
		T("GET / HTTP/1.0\r\nHost: a\r\nConnection: TE\r\nConnection: keep-alive\r\n\r\n"));
	EXPECT_INT(r.client_keep_alive, true);
	r = parse_ok(T("GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n"));
	EXPECT_INT(r.client_keep_alive, false);
	r = parse_ok(T("GET / HTTP/1.0\r\nHost: a\r\nExpect: 100-continue\r\n\r\n"));
	EXPECT_INT(r.expect_continue, false);
	r = parse_ok(T("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continuex\r\n\r\n"));
	EXPECT_INT(r.expect_continue, false);
}
END_TEST

START_TEST(test_need_more)
{
	static const char head[] = "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n";
	struct pd_http_request r;
	int status = 0;
	const char *reason = NULL;

	EXPECT_INT(pd_http_parse_request(head, 0, &r, &status, &reason), 0);
	EXPECT_INT(pd_http_parse_request(head, sizeof(head) - 2, &r, &status, &reason), 0);
	EXPECT_INT(pd_http_parse_request(head, sizeof(head) - 1, &r, &status, &reason), 1);
	/* a head without its final CRLF and a request line alone need more */
	EXPECT_INT(pd_http_parse_request(T("GET / HTTP/1.1\r\nHost: a\r\n"), &r, &status, &reason),
		   0);
	EXPECT_INT(pd_http_parse_request(T("GET / HTTP/2.0"), &r, &status, &reason), 0);
}
END_TEST

START_TEST(test_pipelined)
{
	static const char two[] =
		"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n"
		"abc"
		"GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
		"GET /c HTTP/1.1\r\n";
	struct pd_http_request r;
	int status = 0;
	const char *reason = NULL;
	size_t off;

	EXPECT_INT(pd_http_parse_request(two, sizeof(two) - 1, &r, &status, &reason), 1);
	EXPECT_UINT(r.head_len, 48);
	EXPECT_UINT(r.content_length, 3);
	off = r.head_len + r.content_length;
	EXPECT_INT(pd_http_parse_request(two + off, sizeof(two) - 1 - off, &r, &status, &reason),
		   1);
	EXPECT_STR(r.method, "GET");
	EXPECT_INT(r.path_len, 2);
	ck_assert_msg(memcmp(two + off + r.path_off, "/b", 2) == 0, "second path");
	EXPECT_UINT(r.head_len, 28);
	off += r.head_len;
	EXPECT_INT(pd_http_parse_request(two + off, sizeof(two) - 1 - off, &r, &status, &reason),
		   0);
}
END_TEST

/* "GET /aaa...a HTTP/1.1\r\n" of exactly @line bytes, then "Host: a\r\n\r\n". */
static size_t long_line(char *buf, size_t line)
{
	size_t n = 0;

	memcpy(buf, "GET /", 5);
	n = 5;
	memset(buf + n, 'a', line - 16);
	n += line - 16;
	memcpy(buf + n, " HTTP/1.1\r\n", 11);
	n += 11;
	memcpy(buf + n, "Host: a\r\n\r\n", 11);
	return n + 11;
}

START_TEST(test_request_line_limit)
{
	static char buf[PD_HTTP_HEAD_MAX + 64];
	struct pd_http_request r;
	int status = 0;
	const char *reason = NULL;
	size_t n = long_line(buf, PD_HTTP_LINE_MAX);

	EXPECT_INT(pd_http_parse_request(buf, n, &r, &status, &reason), 1);
	EXPECT_INT(r.path_len, PD_HTTP_LINE_MAX - 15);
	n = long_line(buf, PD_HTTP_LINE_MAX + 1);
	EXPECT_INT(pd_http_parse_request(buf, n, &r, &status, &reason), -1);
	EXPECT_INT(status, 414);
	EXPECT_STR(reason, "request line too long");
	/* known once the byte after the cap is needed, before the line ends */
	EXPECT_INT(pd_http_parse_request(buf, PD_HTTP_LINE_MAX - 1, &r, &status, &reason), 0);
	EXPECT_INT(pd_http_parse_request(buf, PD_HTTP_LINE_MAX, &r, &status, &reason), -1);
	EXPECT_INT(status, 414);
}
END_TEST

/* "GET / HTTP/1.1\r\nHost: a\r\nX: vvv...v\r\n\r\n" of exactly @total bytes. */
static size_t big_head(char *buf, size_t total)
{
	static const char pre[] = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
	size_t n = sizeof(pre) - 1, fill = total - n - 4;

	memcpy(buf, pre, n);
	memset(buf + n, 'v', fill);
	n += fill;
	memcpy(buf + n, "\r\n\r\n", 4);
	return n + 4;
}

START_TEST(test_head_limit)
{
	static char buf[PD_HTTP_HEAD_MAX + 64];
	struct pd_http_request r;
	int status = 0;
	const char *reason = NULL;
	size_t n = big_head(buf, PD_HTTP_HEAD_MAX);

	EXPECT_INT(pd_http_parse_request(buf, n, &r, &status, &reason), 1);
	EXPECT_UINT(r.head_len, PD_HTTP_HEAD_MAX);
	n = big_head(buf, PD_HTTP_HEAD_MAX + 1);
	EXPECT_INT(pd_http_parse_request(buf, n, &r, &status, &reason), -1);
	EXPECT_INT(status, 431);
	EXPECT_STR(reason, "request head too large");
	/* with PD_HTTP_HEAD_MAX bytes and no end in them, no waiting for more */
	EXPECT_INT(pd_http_parse_request(buf, PD_HTTP_HEAD_MAX - 1, &r, &status, &reason), 0);
	EXPECT_INT(pd_http_parse_request(buf, PD_HTTP_HEAD_MAX, &r, &status, &reason), -1);
	EXPECT_INT(status, 431);
}
END_TEST

START_TEST(test_field_count)
{
	static char buf[4096];
	struct pd_http_request r;
	int status = 0;
	const char *reason = NULL;
	size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");

	for (int i = 1; i < PD_HTTP_FIELDS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X%d: y\r\n", i);
	memcpy(buf + n, "\r\n", 2);
	EXPECT_INT(pd_http_parse_request(buf, n + 2, &r, &status, &reason), 1);
	EXPECT_INT(r.fields, PD_HTTP_FIELDS_MAX);
	memcpy(buf + n, "Z: z\r\n\r\n", 8);
	EXPECT_INT(pd_http_parse_request(buf, n + 8, &r, &status, &reason), -1);
	EXPECT_INT(status, 431);
	EXPECT_STR(reason, "too many header fields");
	/* decided at the 101st field's CRLF, not at the end of the head */
	EXPECT_INT(pd_http_parse_request(buf, n + 6, &r, &status, &reason), -1);
	EXPECT_INT(pd_http_parse_request(buf, n + 5, &r, &status, &reason), 0);
}
END_TEST

/* pd_http_forward_head() of @head must be exactly @want. */
static void expect_forward(const char *head, size_t len, const char *want)
{
	struct pd_http_request r = parse_ok(head, len);
	char out[PD_HTTP_HEAD_MAX + 512];
	ssize_t n = pd_http_forward_head(head, &r, true, out, sizeof(out));
	size_t wn = strlen(want);

	ck_assert_msg(n == (ssize_t)wn && memcmp(out, want, wn) == 0,
		      "forward of \"%.*s\":\nexpected \"%s\"\ngot (%zd) \"%.*s\"", (int)len, head,
		      want, n, n > 0 ? (int)n : 0, out);
	/* exactly enough room works, one byte less does not */
	EXPECT_INT(pd_http_forward_head(head, &r, true, out, wn), (ssize_t)wn);
	EXPECT_INT(pd_http_forward_head(head, &r, true, out, wn - 1), -1);
}

START_TEST(test_forward_head)
{
	expect_forward(T("GET http://a.example/p?q HTTP/1.1\r\n"
			 "Host: a.example\r\n"
			 "Proxy-Connection: keep-alive, X-P\r\n"
			 "Connection: keep-alive, X-Secret\r\n"
			 "X-Secret: s\r\n"
			 "X-P: p\r\n"
			 "Keep-Alive: 300\r\n"
			 "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
			 "Proxy-Authenticate: x\r\n"
			 "TE: trailers\r\n"
			 "Trailer: X\r\n"
			 "Upgrade: h2c\r\n"
			 "Accept:  */* \r\n"
			 "X-Forwarded-For: 10.0.0.1\r\n"
			 "x-secret: s2\r\n"
			 "Via: 1.1 other\r\n"
			 "\r\n"),
		       "GET /p?q HTTP/1.1\r\n"
		       "Host: a.example\r\n"
		       "Accept:  */* \r\n"
		       "X-Forwarded-For: 10.0.0.1\r\n"
		       "Via: 1.1 other\r\n"
		       "Connection: close\r\n\r\n");
	/* HTTP/1.0 without Host: one is added; an empty path becomes "/" */
	expect_forward(T("POST http://[::1]:8080 HTTP/1.0\r\nContent-Length: 2\r\n\r\n"),
		       "POST / HTTP/1.1\r\nHost: [::1]:8080\r\nContent-Length: 2\r\n"
		       "Connection: close\r\n\r\n");
	expect_forward(T("GET http://A.example?x HTTP/1.0\r\n\r\n"),
		       "GET /?x HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n");
	/* origin-form: the client's Host stays as it was written */
	expect_forward(T("PUT /x HTTP/1.1\r\nHost: A:81\r\nConnection: close\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n"),
		       "PUT /x HTTP/1.1\r\nHost: A:81\r\nTransfer-Encoding: chunked\r\n"
		       "Connection: close\r\n\r\n");
}
END_TEST

START_TEST(test_forward_connect_refused)
{
	static const char head[] = "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n";
	struct pd_http_request r = parse_ok(T(head));
	char out[256];

	EXPECT_INT(pd_http_forward_head(head, &r, true, out, sizeof(out)), -1);
}
END_TEST

/* Scan @body all at once, then byte by byte: both must consume @want (-1: fail). */
static void expect_chunked(const char *body, size_t len, ssize_t want, bool want_done,
			   const char *want_error)
{
	struct pd_http_chunked c;
	bool done = true;
	ssize_t r, total = 0;

	pd_http_chunked_init(&c);
	r = pd_http_chunked_scan(&c, body, len, &done);
	ck_assert_msg(r == want && (r < 0 || done == want_done),
		      "chunked \"%.*s\": expected %zd done %d, got %zd done %d (%s)", (int)len,
		      body, want, want_done, r, done, c.error ? c.error : "");
	if (want < 0) {
		EXPECT_STR(c.error, want_error);
		EXPECT_INT(pd_http_chunked_scan(&c, "0\r\n\r\n", 5, &done), -1);
	}
	pd_http_chunked_init(&c);
	done = false;
	for (size_t i = 0; i < len; i++) {
		r = pd_http_chunked_scan(&c, body + i, 1, &done);
		if (r < 0) {
			total = -1;
			break;
		}
		ck_assert_msg(r == 1, "byte %zu: consumed %zd", i, r);
		total += r;
		if (done)
			break;
	}
	ck_assert_msg(total == want && (want < 0 || done == want_done),
		      "chunked byte by byte \"%.*s\": expected %zd done %d, got %zd done %d",
		      (int)len, body, want, want_done, total, done);
	if (want < 0)
		EXPECT_STR(c.error, want_error);
	if (want >= 0 && want_done) {
		/* once ended, nothing more belongs to the body */
		EXPECT_INT(pd_http_chunked_scan(&c, "x", 1, &done), 0);
		EXPECT_INT(done, true);
	}
}

START_TEST(test_chunked)
{
	expect_chunked(T("4\r\nWiki\r\n5;ext=1;q=\"a b\"\r\npedia\r\n0\r\n\r\nGET /"), 38, true,
		       NULL);
	expect_chunked(T("A\r\n0123456789\r\n0\r\nX-T: v\r\nY:\r\n\r\nrest"), 32, true, NULL);
	expect_chunked(T("0000000000000001\r\nx\r\n0\r\n\r\n"), 26, true, NULL);
	expect_chunked(T("0\r\n\r\n"), 5, true, NULL);
	/* not ended yet: everything belongs to the body */
	expect_chunked(T("ffffffffffffffff\r\nabcdef"), 24, false, NULL);
	expect_chunked(T("4\r\nWi"), 5, false, NULL);
	expect_chunked(T("0\r\nX: y\r\n"), 9, false, NULL);
	/* malformed */
	expect_chunked(T("00000000000000001\r\n"), -1, false, "chunk size too long");
	expect_chunked(T("g\r\n"), -1, false, "invalid chunk size");
	expect_chunked(T("\r\n"), -1, false, "invalid chunk size");
	expect_chunked(T(";x\r\n"), -1, false, "invalid chunk size");
	expect_chunked(T(" 4\r\n"), -1, false, "invalid chunk size");
	expect_chunked(T("4 \r\n"), -1, false, "invalid chunk size");
	expect_chunked(T("-4\r\n"), -1, false, "invalid chunk size");
	expect_chunked(T("0x4\r\n"), -1, false, "invalid chunk size");
	expect_chunked(T("4\n"), -1, false, "bare LF in chunked body");
	expect_chunked(T("4\rX"), -1, false, "bare CR in chunked body");
	expect_chunked(T("4;a\nb"), -1, false, "bare LF in chunked body");
	expect_chunked(T("4;a\x01\r\n"), -1, false, "control character in chunk extension");
	expect_chunked(T("4\r\nWikiX"), -1, false, "missing CRLF after chunk data");
	expect_chunked(T("4\r\nWiki\n"), -1, false, "bare LF in chunked body");
	expect_chunked(T("4\r\nWiki\rX"), -1, false, "missing CRLF after chunk data");
	expect_chunked(T("0\r\n X: y\r\n\r\n"), -1, false, "obsolete line folding in trailer");
	expect_chunked(T("0\r\nX\r\n\r\n"), -1, false, "invalid trailer field");
	expect_chunked(T("0\r\n: y\r\n\r\n"), -1, false, "invalid trailer field");
	expect_chunked(T("0\r\nX : y\r\n\r\n"), -1, false, "invalid trailer field");
	expect_chunked(T("0\r\nX: \x01\r\n\r\n"), -1, false, "control character in trailer field");
	expect_chunked(T("0\r\nX: y\n\r\n"), -1, false, "bare LF in chunked body");
	expect_chunked(T("0\r\nX: y\r\r\n"), -1, false, "bare CR in chunked body");
	expect_chunked(T("0\r\n\rX"), -1, false, "bare CR in chunked body");
	expect_chunked(T("0\r\n\n"), -1, false, "bare LF in chunked body");
}
END_TEST

/* Decoding takes the framing away: in place, at once and a byte at a time. */
static void expect_decoded(const char *body, size_t len, ssize_t want_r, const char *want)
{
	char buf[256], out[256];
	struct pd_http_chunked c;
	size_t n = 0, got = 0;
	bool done = false;
	ssize_t r, total = 0;

	ck_assert(len <= sizeof(buf));
	memcpy(buf, body, len);
	pd_http_chunked_init(&c);
	r = pd_http_chunked_decode(&c, buf, len, buf, &n, &done);
	EXPECT_INT(r, want_r);
	ck_assert_msg(n == strlen(want) && memcmp(buf, want, n) == 0, "decoded [%.*s], want [%s]",
		      (int)n, buf, want);
	pd_http_chunked_init(&c);
	done = false;
	for (size_t i = 0; i < len && !done; i++) {
		r = pd_http_chunked_decode(&c, body + i, 1, out + got, &n, &done);
		ck_assert_int_ge(r, 0);
		total += r;
		got += n;
	}
	EXPECT_INT(total, want_r);
	ck_assert_msg(got == strlen(want) && memcmp(out, want, got) == 0,
		      "byte by byte: [%.*s], want [%s]", (int)got, out, want);
}

START_TEST(test_chunked_decode)
{
	expect_decoded(T("4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-T: v\r\n\r\nGET /"), 38,
		       "Wikipedia");
	expect_decoded(T("0\r\n\r\n"), 5, "");
	expect_decoded(T("3\r\nabc\r\n1"), 9, "abc");
	{
		struct pd_http_chunked c;
		char buf[] = "4\r\nWikiX";
		size_t n;
		bool done;

		pd_http_chunked_init(&c);
		EXPECT_INT(pd_http_chunked_decode(&c, buf, 8, buf, &n, &done), -1);
		EXPECT_STR(c.error, "missing CRLF after chunk data");
	}
}
END_TEST

START_TEST(test_chunked_limits)
{
	static char buf[PD_HTTP_TRAILER_MAX + 64];
	size_t n;

	/* a size line of exactly PD_HTTP_CHUNK_LINE_MAX bytes, then one more */
	memcpy(buf, "1;", 2);
	memset(buf + 2, 'e', PD_HTTP_CHUNK_LINE_MAX - 4);
	memcpy(buf + PD_HTTP_CHUNK_LINE_MAX - 2, "\r\nx\r\n0\r\n\r\n", 10);
	expect_chunked(buf, PD_HTTP_CHUNK_LINE_MAX + 8, PD_HTTP_CHUNK_LINE_MAX + 8, true, NULL);
	memcpy(buf, "1;", 2);
	memset(buf + 2, 'e', PD_HTTP_CHUNK_LINE_MAX - 3);
	memcpy(buf + PD_HTTP_CHUNK_LINE_MAX - 1, "\r\n", 2);
	expect_chunked(buf, PD_HTTP_CHUNK_LINE_MAX + 1, -1, false, "chunk size line too long");

	/* a trailer section of exactly PD_HTTP_TRAILER_MAX bytes, then one more */
	memcpy(buf, "0\r\nX: ", 6);
	n = PD_HTTP_TRAILER_MAX - 4 - 3;
	memset(buf + 6, 'v', n);
	memcpy(buf + 6 + n, "\r\n\r\n", 4);
	expect_chunked(buf, 10 + n, (ssize_t)(10 + n), true, NULL);
	memset(buf + 6, 'v', n + 1);
	memcpy(buf + 7 + n, "\r\n\r\n", 4);
	expect_chunked(buf, 11 + n, -1, false, "trailer section too large");
}
END_TEST

START_TEST(test_chunked_pieces)
{
	static const char body[] = "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\nNEXT";
	size_t len = sizeof(body) - 1;

	/* every split into two pieces ends at the same byte */
	for (size_t cut = 0; cut <= len; cut++) {
		struct pd_http_chunked c;
		bool done = false;
		ssize_t a, b = 0;

		pd_http_chunked_init(&c);
		a = pd_http_chunked_scan(&c, body, cut, &done);
		ck_assert_msg(a >= 0, "cut %zu: first piece failed: %s", cut, c.error);
		if (!done)
			b = pd_http_chunked_scan(&c, body + cut, len - cut, &done);
		ck_assert_msg(done && a + b == (ssize_t)len - 4, "cut %zu: %zd + %zd, done %d", cut,
			      a, b, done);
	}
}
END_TEST

START_TEST(test_error_response)
{
	char out[512];
	size_t n;

	n = pd_http_error_response(out, sizeof(out), 403, "blocked: x.example\n");
	EXPECT_STR(out,
		   "HTTP/1.1 403 Forbidden\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 19\r\n"
		   "Connection: close\r\n"
		   "\r\n"
		   "blocked: x.example\n");
	EXPECT_UINT(n, strlen(out));

	n = pd_http_error_response(out, sizeof(out), 505, NULL);
	EXPECT_STR(out,
		   "HTTP/1.1 505 HTTP Version Not Supported\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 0\r\n"
		   "Connection: close\r\n"
		   "\r\n");
	n = pd_http_error_response(out, sizeof(out), 299, "x");
	ck_assert_msg(strncmp(out, "HTTP/1.1 500 Internal Server Error\r\n", 36) == 0, "got %s",
		      out);

	/* the body is cut to fit, Content-Length saying what is left */
	n = pd_http_error_response(out, 130, 400, "0123456789012345678901234567890123456789");
	EXPECT_UINT(n, 129);
	EXPECT_STR(out,
		   "HTTP/1.1 400 Bad Request\r\n"
		   "Content-Type: text/plain; charset=utf-8\r\n"
		   "Content-Length: 21\r\n"
		   "Connection: close\r\n"
		   "\r\n"
		   "012345678901234567890");
	/* ... to the longest that fits: with 4 digits 99 bytes would, with 3 then 100 do */
	{
		static char big[1001];

		memset(big, 'x', 1000);
		n = pd_http_error_response(out, 210, 400, big);
		EXPECT_UINT(n, 209);
		ck_assert_msg(strstr(out, "Content-Length: 100\r\n") != NULL, "got %s", out);
	}
	/* ... never inside a UTF-8 character: 14 bytes of room, 12 taken */
	n = pd_http_error_response(
		out, 122, 400, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	EXPECT_UINT(n, 120);
	ck_assert_msg(strstr(out, "Content-Length: 12\r\n") != NULL, "got %s", out);
	/* room for the head alone: an empty body; less: nothing */
	out[0] = 'x';
	EXPECT_UINT(pd_http_error_response(out, 108, 400, "body"), 107);
	ck_assert_msg(strstr(out, "Content-Length: 0\r\n") != NULL, "got %s", out);
	out[0] = 'x';
	EXPECT_UINT(pd_http_error_response(out, 107, 400, "body"), 0);
	EXPECT_STR(out, "");
	EXPECT_UINT(pd_http_error_response(out, 0, 400, "body"), 0);
}
END_TEST

START_TEST(test_status_phrases)
{
	static const int known[] = { 200, 400, 403, 405, 407, 408, 413, 414,
				     431, 500, 501, 502, 503, 504, 505 };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ck_assert_msg(pd_http_status_phrase(known[i]) != NULL, "%d has no phrase",
			      known[i]);
	EXPECT_STR(pd_http_status_phrase(407), "Proxy Authentication Required");
	EXPECT_STR(pd_http_status_phrase(431), "Request Header Fields Too Large");
	ck_assert_ptr_null(pd_http_status_phrase(404));
	ck_assert_ptr_null(pd_http_status_phrase(-1));
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_refusals, 0, (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_test(tc, test_absolute_form);
	tcase_add_test(tc, test_absolute_form_variants);
	tcase_add_test(tc, test_origin_form);
	tcase_add_test(tc, test_connect);
	tcase_add_test(tc, test_framing);
	tcase_add_test(tc, test_keep_alive_and_expect);
	tcase_add_test(tc, test_need_more);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_request_line_limit);
	tcase_add_test(tc, test_head_limit);
	tcase_add_test(tc, test_field_count);
	tcase_add_test(tc, test_forward_head);
	tcase_add_test(tc, test_forward_connect_refused);
	tcase_add_test(tc, test_chunked);
	tcase_add_test(tc, test_chunked_decode);
	tcase_add_test(tc, test_chunked_limits);
	tcase_add_test(tc, test_chunked_pieces);
	tcase_add_test(tc, test_error_response);
	tcase_add_test(tc, test_status_phrases);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(http_suite);
