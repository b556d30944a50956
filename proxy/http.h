/* SPDX-License-Identifier: MIT */
/*
 * http.h - the proxy's HTTP/1.x request-head parser, the head it forwards
 * upstream, the response-head parser and the head it forwards to the
 * client, a chunked body scanner and its error responses.
 *
 * Everything works on the caller's buffers, with explicit lengths; nothing
 * allocates, nothing keeps a pointer.  The parser is strict: whatever it
 * accepts, an upstream server reads the same way (one Host, one framing,
 * CRLF only, no folding), so a sandbox cannot make the proxy check one
 * target and reach another.
 *
 *	r = pd_http_parse_request(buf, len, &req, &status, &reason);
 *	if (r == 0)  read more (buf keeps growing, up to PD_HTTP_HEAD_MAX)
 *	if (r < 0)   n = pd_http_error_response(out, sizeof(out), status, reason);
 *	             send out, close
 *	if (r == 1)  check req.host/req.port against the allowlist, then
 *	             CONNECT: answer 200, relay; else
 *	             n = pd_http_forward_head(buf, &req, true, out, sizeof(out));
 *	             send out, then the body (req.body), then the next request
 *	             starts at buf + req.head_len + body length
 */
#ifndef PAUDE_PROXY_HTTP_H
#define PAUDE_PROXY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The whole request head, request line to the empty line included. */
#define PD_HTTP_HEAD_MAX 16384
/* The request line with its CRLF. */
#define PD_HTTP_LINE_MAX 8192
/* Header fields per head. */
#define PD_HTTP_FIELDS_MAX 100
/* The largest Content-Length taken: 2^53. */
#define PD_HTTP_CONTENT_LENGTH_MAX (UINT64_C(1) << 53)
/* A chunk-size line (size, extensions, CRLF). */
#define PD_HTTP_CHUNK_LINE_MAX 4096
/* The trailer section after the last chunk, its final CRLF included. */
#define PD_HTTP_TRAILER_MAX 16384

enum pd_http_body {
	PD_HTTP_BODY_NONE,    /* no body (no Content-Length, no Transfer-Encoding) */
	PD_HTTP_BODY_LENGTH,  /* content_length bytes follow (maybe 0) */
	PD_HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked (pd_http_chunked_scan) */
};

struct pd_http_request {
	char method[16]; /* as sent (case matters), NUL-terminated */
	bool connect;    /* the method is CONNECT (authority-form target) */
	int minor;       /* HTTP/1.<minor>: 0 or 1 */
	bool absolute;   /* absolute-form target "http://host[:port]/path" */
	/*
	 * Target host, lowercased, NUL-terminated: a name of [a-z0-9.-_] or an
	 * IPv6 literal without its brackets.  From the request target (CONNECT,
	 * absolute-form) or from the Host header (origin-form).
	 */
	char host[256];
	uint16_t port;      /* 1-65535; 80 when no port was given (not CONNECT) */
	bool port_explicit; /* a port was written in the target (or the Host header) */
	/*
	 * The path and query inside the caller's buffer, to send upstream;
	 * none for CONNECT.  Origin-form: starts with '/'.  Absolute-form: may
	 * be empty or start with '?' (an empty path): the upstream target is
	 * then "/" followed by it.
	 */
	size_t path_off, path_len;
	size_t head_len; /* bytes up to and including the CRLFCRLF */
	enum pd_http_body body;
	uint64_t content_length; /* PD_HTTP_BODY_LENGTH: the body's size */
	bool client_keep_alive;  /* the client may send another request after this one */
	bool expect_continue;    /* "Expect: 100-continue" (HTTP/1.1 only) */
	bool host_header;        /* a Host header was sent */
	unsigned fields;         /* header fields in the head */
};

/*
 * pd_http_parse_request() - parse the request head at the start of @buf.
 * @buf: the bytes received so far on the client connection (not
 *       NUL-terminated); bytes after the head (a body, a pipelined request)
 *       are not looked at
 * @len: their number
 * @req: filled when the head is complete (1); unspecified otherwise
 * @status: on -1, the HTTP status to answer: 400 (malformed), 414 (request
 *          line over PD_HTTP_LINE_MAX), 431 (head over PD_HTTP_HEAD_MAX, more
 *          than PD_HTTP_FIELDS_MAX fields), 501 (method over 15 bytes,
 *          Transfer-Encoding other than "chunked"), 505 ("HTTP/d.d" other
 *          than 1.0 and 1.1; any other version text is 400)
 * @reason: on -1, a short static English phrase naming the problem
 *
 * The bytes are read in order and every decision depends only on the bytes
 * before it, so an error is reported as soon as the bytes showing it are
 * there (a bad method byte, a bare LF, a request line too long), before the
 * head is complete, and feeding the head in any number of pieces gives the
 * same result as feeding it at once.  What is accepted:
 *  - "METHOD SP target SP HTTP/1.x CRLF", the method a token (RFC 9110), no
 *    empty line before it;
 *  - CONNECT with an authority-form target "host:port" or "[v6]:port" (port
 *    1-65535, 1-5 digits); any other method with "http://host[:port][/path]"
 *    (the scheme in any case; another scheme is refused) or "/path".  Hosts
 *    are [A-Za-z0-9.-_] (a bracketed IPv6 literal inet_pton takes); no
 *    userinfo, no '#', no byte outside 0x21-0x7e in the target;
 *  - header lines "name: value CRLF": name a token, no whitespace before
 *    the colon, no folding, values without control bytes but HTAB; CR only
 *    in CRLF, LF only after CR;
 *  - exactly one Host for HTTP/1.1, at most one for HTTP/1.0 (needed for
 *    origin-form), agreeing with the target (host in any case; the port,
 *    80 when omitted; for CONNECT a Host without port agrees with any);
 *  - at most one Content-Length (1*DIGIT, <= 2^53) or one Transfer-Encoding
 *    "chunked" (HTTP/1.1 only), not both, neither with CONNECT;
 *  - Connection (and Proxy-Connection) as comma-separated tokens, not
 *    naming Host, Content-Length or Transfer-Encoding.
 * Cost: one pass over at most PD_HTTP_HEAD_MAX bytes per call.
 *
 * Return: 1 and @req filled when a complete head was parsed; 0 when more
 * bytes are needed (only while @len < PD_HTTP_HEAD_MAX); -1 with @status and
 * @reason set when the request must be refused.
 */
int pd_http_parse_request(const char *buf, size_t len, struct pd_http_request *req, int *status,
			  const char **reason);

/*
 * pd_http_forward_head() - the head to send upstream for a parsed request
 * other than CONNECT.
 * @buf: the buffer @req was parsed from, unchanged
 * @req: a request pd_http_parse_request() returned 1 for
 * @out: where to write the head (not NUL-terminated)
 * @cap: its size
 *
 * Writes "METHOD origin-target HTTP/1.1" (the path, "/" first when it does
 * not start with one), a Host header built from @req when the client sent
 * none (HTTP/1.0 in absolute-form), every header line of the client as it
 * came except the hop-by-hop ones (Connection, Proxy-Connection, Keep-Alive,
 * Proxy-Authorization, Proxy-Authenticate, TE, Trailer, Upgrade, and every
 * field a Connection or Proxy-Connection header names), then
 * "Connection: close" when @close (else nothing: HTTP/1.1 keeps the
 * connection) and the empty line.  Nothing identifying is added.
 * At most @req->head_len + 300 bytes.
 *
 * Return: the length written, or -1 when @cap is too small or @req is a
 * CONNECT (or does not fit @buf).
 */
ssize_t pd_http_forward_head(const char *buf, const struct pd_http_request *req, bool close,
			     char *out, size_t cap);

/* ---- responses (http_response.c) ---- */

/* The whole response head from upstream, status line to the empty line. */
#define PD_HTTP_RESPONSE_HEAD_MAX 65536
/* Header fields per response head. */
#define PD_HTTP_RESPONSE_FIELDS_MAX 256
/* What the forwarded head may add to the received one (CRs, Connection). */
#define PD_HTTP_RESPONSE_GROWTH (PD_HTTP_RESPONSE_FIELDS_MAX + 64)

/* How a response's body ends. */
enum pd_http_framing {
	PD_HTTP_FRAME_NONE,    /* no body: HEAD, 1xx, 204, 304 */
	PD_HTTP_FRAME_LENGTH,  /* content_length bytes */
	PD_HTTP_FRAME_CHUNKED, /* Transfer-Encoding ending in chunked */
	PD_HTTP_FRAME_CLOSE,   /* until the server closes */
};

struct pd_http_response {
	int status;      /* 100-599 */
	int minor;       /* HTTP/1.<minor> */
	size_t head_len; /* bytes up to and including the empty line */
	enum pd_http_framing framing;
	uint64_t content_length; /* PD_HTTP_FRAME_LENGTH */
	bool transfer_encoding;  /* a Transfer-Encoding field was sent */
	bool close;              /* the server ends its connection after this response ("close",
		     * or HTTP/1.0 without "keep-alive") */
};

/*
 * pd_http_head_end() - where a head ends: the first empty line (LF LF or
 * LF CR LF) in @buf.
 * @scan: where the previous call stopped (0 at first); updated, so a head
 *        arriving in many pieces is searched once in all
 *
 * Return: the head's length (through the empty line's LF), or 0 when it has
 * not ended yet.
 */
size_t pd_http_head_end(const char *buf, size_t len, size_t *scan);

/*
 * pd_http_parse_response() - parse a complete response head (from upstream).
 * @buf: the head, @head_len bytes (pd_http_head_end())
 * @head_request: the request was HEAD (no body, whatever the fields say)
 * @r: filled on success
 * @reason: on -1, a short static English phrase
 *
 * Accepted: "HTTP/1.0" or "HTTP/1.1", SP, a three-digit status 100-599,
 * then SP and a reason phrase (HTAB, SP, VCHAR, obs-text) or nothing;
 * lines end in CRLF or a bare LF (RFC 9112 2.2), CR nowhere else; fields
 * "name: value" with a token name, no whitespace before the colon, no
 * folding, no control byte but HTAB in the value; at most
 * PD_HTTP_RESPONSE_FIELDS_MAX of them.  Content-Length fields agree (1*DIGIT,
 * at most 2^53); Transfer-Encoding codings are tokens (parameters after
 * ';'); Connection and Proxy-Connection options are tokens, at most 64 in
 * all, none of them Content-Length or Transfer-Encoding; 101 is refused
 * (the proxy never asks for an upgrade).
 * Framing follows RFC 9112 6.3: no body for HEAD, 1xx, 204 and 304;
 * Transfer-Encoding whose last coding is chunked: chunked (Content-Length
 * ignored; in an HTTP/1.0 response: until close, RFC 9112 6.1), any other
 * Transfer-Encoding: until close; Content-Length; else until close.
 *
 * Return: 1 and @r filled, or -1 with @reason.
 */
int pd_http_parse_response(const char *buf, size_t head_len, bool head_request,
			   struct pd_http_response *r, const char **reason);

/*
 * pd_http_response_head() - the head to send the client for a response
 * pd_http_parse_response() took: "HTTP/1.1" (the proxy's own version, RFC
 * 9110 6.2), the status and reason as received, every field as received
 * with CRLF line ends, except the hop-by-hop ones (Connection,
 * Proxy-Connection, Keep-Alive, Proxy-Authenticate, Proxy-Authorization,
 * TE, Upgrade and every field a Connection field names) and Content-Length
 * when Transfer-Encoding is there (and Transfer-Encoding with
 * PD_HTTP_RESP_DECHUNK); then "Connection: close" without
 * PD_HTTP_RESP_KEEP_ALIVE, and the empty line.
 * At most @r->head_len + PD_HTTP_RESPONSE_GROWTH bytes.
 *
 * Return: the length written, or -1 when @cap is too small.
 */
ssize_t pd_http_response_head(const char *buf, const struct pd_http_response *r, unsigned flags,
			      char *out, size_t cap);

/* pd_http_response_head()'s @flags */
enum {
	PD_HTTP_RESP_KEEP_ALIVE =
		1,                /* the client keeps the connection (else "Connection: close") */
	PD_HTTP_RESP_DECHUNK = 2, /* the body goes decoded: no Transfer-Encoding either */
};

/* The chunked scanner's state; fields are private to http.c. */
struct pd_http_chunked {
	int state;
	uint64_t remaining; /* data bytes left in the current chunk */
	uint64_t size;      /* the chunk size being read */
	unsigned digits;    /* hex digits of it so far */
	unsigned line;      /* bytes of the current chunk-size or trailer line */
	unsigned trailer;   /* bytes of the trailer section so far */
	const char *error;  /* after -1: what was wrong (static English) */
};

/* pd_http_chunked_init() - a scanner at the start of a chunked body. */
void pd_http_chunked_init(struct pd_http_chunked *c);

/*
 * pd_http_chunked_scan() - follow a chunked body (a request's or a response's) through the bytes
 * of @buf, the next piece of it (pieces of any size, in order).
 * @c: the scanner (pd_http_chunked_init() first)
 * @buf: the next bytes from the client
 * @len: their number
 * @done: set to true once the body has ended (false before)
 *
 * Checks the framing strictly: chunk-size 1-16 hex digits, an optional
 * extension after ';' (no control byte but HTAB), each size line at most
 * PD_HTTP_CHUNK_LINE_MAX bytes, CRLF after the line and after each chunk's
 * data, trailer fields "name: value" (no folding) up to PD_HTTP_TRAILER_MAX
 * bytes in all.  The bytes are passed on as they are.
 *
 * Return: how many bytes at the start of @buf belong to the body (all of
 * them while it goes on; up to and including the trailer's final CRLF when
 * it ends there; 0 once it has ended), or -1 when the framing is malformed
 * (@c->error says why; the scanner stays failed).
 */
ssize_t pd_http_chunked_scan(struct pd_http_chunked *c, const char *buf, size_t len, bool *done);

/*
 * pd_http_chunked_decode() - pd_http_chunked_scan() that also takes the
 * framing away: the chunk data of the body's bytes in @buf go to @out (as
 * large as @buf at least, or @buf itself), chunk-size lines, extensions and
 * the trailer section do not.  Used for an HTTP/1.0 client, which knows no chunked
 * coding.
 * @out_len: set to the bytes written to @out
 *
 * Return: as pd_http_chunked_scan() (the bytes of @buf that belong to the
 * body; -1 when it is malformed, @c->error says why).
 */
ssize_t pd_http_chunked_decode(struct pd_http_chunked *c, const char *buf, size_t len, char *out,
			       size_t *out_len, bool *done);

/*
 * pd_http_status_phrase() - the reason phrase for @status: 200, 400, 403,
 * 405, 407, 408, 413, 414, 431, 500, 501, 502, 503, 504, 505.
 *
 * Return: the phrase, or NULL for another status.
 */
const char *pd_http_status_phrase(int status);

/*
 * pd_http_error_response() - a complete response closing the connection:
 * "HTTP/1.1 <status> <phrase>", Content-Type text/plain; charset=utf-8,
 * Content-Length, "Connection: close", then @body.
 * @out: where to write it, NUL-terminated
 * @cap: its size
 * @status: a status pd_http_status_phrase() knows (any other is sent as 500)
 * @body: the text (may be NULL: empty); cut to fit @cap, at a UTF-8
 *        character boundary, with Content-Length saying what was kept
 *
 * Return: the response's length (without the NUL), or 0 when @cap cannot
 * hold it with an empty body (then @out is "" when @cap > 0).
 */
size_t pd_http_error_response(char *out, size_t cap, int status, const char *body);

#endif
