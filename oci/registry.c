/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the registry v2 (OCI distribution) client (registry.h).
 *
 * Theory of operation
 *
 * A struct pd_registry owns one libcurl easy handle, so connections (and TLS
 * sessions) are reused from request to request.  Every request starts with
 * curl_easy_reset() and sets every option again, so nothing leaks from one
 * request into the next; the connection cache survives the reset.  libcurl
 * follows no redirect and does no authentication of its own: both are done
 * here, because the Authorization header must go to the registry only.
 *
 *  1. First contact.  The first request of a handle is a ping, GET /v2/, over
 *     HTTPS.  With opts.insecure (the caller's decision: a literal loopback
 *     reference, --tls-verify=false, or an insecure registry), a failed TLS
 *     handshake switches the handle to plain HTTP and the ping is made again;
 *     without it, HTTP is never spoken to the registry.  The ping's answer
 *     says what authentication the registry wants: none (200), or the
 *     challenges of its 401 WWW-Authenticate (auth.c parses them): Bearer is
 *     preferred to Basic, anything else is refused.
 *
 *  2. Authorization.  Basic: the credentials (opts.username/password, else
 *     pd_auth_lookup() for the registry and repository: auth files and
 *     credential helpers) go on every request to the registry.  Bearer: a
 *     token for the request's scope ("repository:REPO:pull", ":pull,push",
 *     plus "repository:FROM:pull" for a cross-repository mount) comes from
 *     the cache, or from the realm the challenge named: GET
 *     realm?service=&scope= (with Basic credentials when there are some), or
 *     the OAuth2 POST with a refresh token when the credentials are an
 *     identity token.  Credentials are never sent to a realm over plain HTTP
 *     unless the registry itself is insecure.  A 401 on a request that can be
 *     replayed makes the handle learn the new challenge, drop the cached
 *     token and try once more with a fresh one.
 *
 *  3. Redirects (GET and HEAD: blobs served from a CDN).  The Location is
 *     resolved against the request's URL (libcurl's URL API) and followed by
 *     hand, at most 10 times; only http and https are followed, and HTTPS to
 *     HTTP only for an insecure registry.  The Authorization header (and the
 *     certs.d client certificate) is added only when the URL's scheme, host
 *     and port are the registry's own: a CDN gets neither.
 *
 *  4. Retries.  A transfer cut by a reset or a stall (no byte for
 *     opts.stall_timeout_s), and the statuses 408, 429, 500, 502, 503 and 504
 *     are retried opts.retries times, waiting opts.backoff_ms doubled each
 *     time, or the Retry-After the server sent (seconds or an HTTP date,
 *     libcurl parses both), capped at opts.retry_after_max_ms.  A blob being
 *     received restarts at byte 0, and its sink is told to drop what it got.
 *     An upload is retried as a whole: a new session, the source rewound.
 *
 *  5. Verification.  Blobs are hashed (OpenSSL EVP) as they stream; more
 *     bytes than the expected size stop the transfer at once, and a final
 *     digest or size that differs fails, naming the blob.  Manifests are read
 *     into memory up to a limit; the body's digest must equal a digest
 *     reference and any Docker-Content-Digest header.  A pushed blob is
 *     hashed as it is read from the source and compared before its last byte
 *     is sent, so a wrong blob is never committed.
 *
 *  6. TLS.  libcurl's verification (peer and name) is on unless
 *     opts.tls_verify is false.  certs.d/HOST[:PORT]/ (the user's directory
 *     first, then the system's; the first that exists): every *.crt is added
 *     to the system bundle in one in-memory PEM bundle (CURLOPT_CAINFO_BLOB),
 *     and a *.cert with its *.key is the client certificate.
 *
 * Threads: libcurl's threaded resolver runs each name lookup on a thread of
 * its own, so the process using a handle may have threads; see registry.h.
 * libcurl never raises signals here (CURLOPT_NOSIGNAL).
 */
#include "registry.h"
#include "auth.h"
#include "common/lazylib.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#ifndef PAUDE_VERSION
#define PAUDE_VERSION "dev"
#endif

#define MAX_REDIRECTS 10
#define CONNECT_TIMEOUT_S 30L
#define ERROR_BODY_MAX 4096
#define TOKEN_BODY_MAX (PD_TOKEN_MAX + 16384)
#define CERT_FILE_MAX (1u << 20)
#define CERT_FILES_MAX 64
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define BACKOFF_MAX_MS 60000u

enum auth_kind { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct origin {
	char scheme[8];
	char host[256];
	long port;
};

struct pd_registry {
	CURL *curl;
	struct pd_registry_opts o; /* its strings are the copies in owned */
	char **owned;
	char name[256]; /* as named (docker.io's aliases: "docker.io"): credentials, certs.d */
	char host[256]; /* host[:port] contacted */
	struct origin origin;
	bool pinged;
	/* TLS from certs.d */
	char *ca; /* PEM bundle: the system's and certs.d's *.crt; NULL: libcurl's default */
	size_t ca_len;
	char *client_cert, *client_key;
	/* authentication */
	enum auth_kind auth;
	struct pd_auth_challenge chal;
	bool creds_explicit; /* opts.username/password: never looked up */
	bool creds_known;    /* creds are those of creds_repo */
	bool have_creds;
	char *creds_repo;
	struct pd_auth_creds creds;
	struct pd_token_cache *tokens;
	char errbuf[CURL_ERROR_SIZE];
};

/* ---- small helpers ---- */

static void md_freep(EVP_MD_CTX **c)
{
	EVP_MD_CTX_free(*c);
}

static void slist_freep(struct curl_slist **l)
{
	curl_slist_free_all(*l);
}

static void curlu_freep(CURLU **u)
{
	if (*u)
		curl_url_cleanup(*u);
}

static void cjson_freep(cJSON **j)
{
	if (*j)
		cJSON_Delete(*j);
}

#define cleanup_md __attribute__((cleanup(md_freep)))
#define cleanup_slist __attribute__((cleanup(slist_freep)))
#define cleanup_curlu __attribute__((cleanup(curlu_freep)))
#define cleanup_cjson __attribute__((cleanup(cjson_freep)))

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* ---- names ---- */

bool pd_registry_repo_valid(const char *s)
{
	const char *p = s;

	if (strlen(s) == 0 || strlen(s) > 255)
		return false;
	for (;;) {
		if (!lower_alnum(*p))
			return false;
		while (lower_alnum(*p))
			p++;
		for (;;) {
			if (*p == '.') {
				p++;
			} else if (*p == '_') {
				p += p[1] == '_' ? 2 : 1;
			} else if (*p == '-') {
				while (*p == '-')
					p++;
			} else {
				break;
			}
			if (!lower_alnum(*p))
				return false;
			while (lower_alnum(*p))
				p++;
		}
		if (*p == '\0')
			return true;
		if (*p++ != '/')
			return false;
	}
}

static bool tag_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

/* The digest algorithm a digest string names (sha256, sha512), or NULL. */
static const EVP_MD *digest_alg(const char *d)
{
	if (!strncmp(d, "sha256:", 7))
		return EVP_sha256();
	if (!strncmp(d, "sha512:", 7))
		return EVP_sha512();
	return NULL;
}

bool pd_registry_digest_valid(const char *s)
{
	const EVP_MD *alg = digest_alg(s);
	size_t want;

	if (!alg)
		return false;
	want = (size_t)EVP_MD_get_size(alg) * 2;
	if (strlen(s + 7) != want)
		return false;
	for (size_t i = 0; i < want; i++)
		if (!is_hex_lower(s[7 + i]))
			return false;
	return true;
}

/* "ALG:hex" of a finished hash into @out (PD_DIGEST_MAX bytes). */
static void md_finish(EVP_MD_CTX *ctx, const EVP_MD *alg, char *out)
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	size_t w;

	EVP_DigestFinal_ex(ctx, raw, &n);
	w = (size_t)snprintf(out, PD_DIGEST_MAX, "%s:", alg == EVP_sha512() ? "sha512" : "sha256");
	for (unsigned i = 0; i < n && w + 2 < PD_DIGEST_MAX; i++, w += 2)
		snprintf(out + w, PD_DIGEST_MAX - w, "%02x", raw[i]);
}

static void digest_of(const EVP_MD *alg, const void *buf, size_t n, char *out)
{
	cleanup_md EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !EVP_DigestInit_ex(ctx, alg, NULL) || !EVP_DigestUpdate(ctx, buf, n)) {
		fprintf(stderr, "paude: OpenSSL cannot hash\n");
		abort();
	}
	md_finish(ctx, alg, out);
}

static EVP_MD_CTX *md_start(const EVP_MD *alg)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !EVP_DigestInit_ex(ctx, alg, NULL)) {
		fprintf(stderr, "paude: OpenSSL cannot hash\n");
		abort();
	}
	return ctx;
}

/* HOST[:PORT] with HOST a DNS name, an IPv4 address or a bracketed IPv6 one. */
static bool registry_name_ok(const char *s)
{
	const char *p = s;

	if (strlen(s) == 0 || strlen(s) >= 256)
		return false;
	if (*p == '[') {
		for (p++; *p && *p != ']'; p++)
			if (!is_hex_lower(*p) && !(*p >= 'A' && *p <= 'F') && *p != ':' &&
			    *p != '.')
				return false;
		if (*p++ != ']' || p == s + 2)
			return false;
	} else {
		const char *h = p;

		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9') || *p == '.' || *p == '-')
			p++;
		if (p == h || *h == '-' || *h == '.')
			return false;
	}
	if (*p == ':') {
		unsigned long port = 0;
		const char *d = ++p;

		while (*p >= '0' && *p <= '9' && p - d < 6)
			port = port * 10 + (unsigned long)(*p++ - '0');
		if (p == d || port == 0 || port > 65535)
			return false;
	}
	return *p == '\0';
}

/* The URL without its query (pre-signed CDN URLs carry credentials there), for messages. */
static void url_for_msg(const char *url, char *out, size_t cap)
{
	size_t n;

	if (!url)
		url = "(no URL)";
	n = strcspn(url, "?#");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, url, n);
	out[n] = '\0';
}

static bool origin_of(const char *url, struct origin *o)
{
	cleanup_curlu CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	bool ok = false;

	if (u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
	    !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) &&
	    !curl_url_get(u, CURLUPART_HOST, &host, 0) &&
	    !curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
		ok = strlen(scheme) < sizeof(o->scheme) && strlen(host) < sizeof(o->host);
		if (ok) {
			pd_strlcpy(o->scheme, scheme, sizeof(o->scheme));
			pd_strlcpy(o->host, host, sizeof(o->host));
			o->port = strtol(port, NULL, 10);
			for (char *c = o->host; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
		}
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return ok;
}

static bool same_origin(const struct pd_registry *r, const char *url)
{
	struct origin o;

	return origin_of(url, &o) && !strcmp(o.scheme, r->origin.scheme) &&
	       !strcmp(o.host, r->origin.host) && o.port == r->origin.port;
}

/* @loc resolved against @base; NULL when it is not a URL. */
static char *resolve_url(const char *base, const char *loc)
{
	cleanup_curlu CURLU *u = curl_url();
	char *out = NULL;
	char *res = NULL;

	if (u && !curl_url_set(u, CURLUPART_URL, base, 0) &&
	    !curl_url_set(u, CURLUPART_URL, loc, 0) && !curl_url_get(u, CURLUPART_URL, &out, 0))
		res = pd_xstrdup(out);
	curl_free(out);
	return res;
}

static char *url_escape(struct pd_registry *r, const char *s)
{
	char *e = curl_easy_escape(r->curl, s, 0);
	char *out;

	if (!e) {
		fprintf(stderr, "paude: out of memory\n");
		abort();
	}
	out = pd_xstrdup(e);
	curl_free(e);
	return out;
}

/* Append a header line; out of memory is not an error path. */
static struct curl_slist *hdr_add(struct curl_slist *h, const char *line)
{
	struct curl_slist *n = curl_slist_append(h, line);

	if (!n) {
		fprintf(stderr, "paude: out of memory\n");
		abort();
	}
	return n;
}

/* ---- HTTP exchange plumbing ---- */

/* Bytes of a pushed blob as they go out. */
struct blob_tx {
	pd_registry_source_fn source;
	void *data;
	const char *digest;
	const EVP_MD *alg;
	EVP_MD_CTX *md;
	int64_t size, sent;
	enum { TX_OK, TX_SOURCE_FAILED, TX_SHORT, TX_OVERRUN, TX_BAD_DIGEST } state;
	bool verified;
	char got[PD_DIGEST_MAX];
};

/* A request body: bytes in memory, or the next chunk of a pushed blob. */
struct body {
	const char *mem;
	size_t mem_len, off;
	struct blob_tx *tx;
	int64_t chunk_left;
	int64_t len; /* Content-Length */
};

/* Bytes of a pulled blob as they arrive. */
struct blob_rx {
	pd_registry_sink_fn sink;
	void *data;
	const EVP_MD *alg;
	EVP_MD_CTX *md;
	int64_t want, got;
	bool delivered; /* the sink has bytes of this attempt */
	enum { RX_OK, RX_TOO_LONG, RX_ANNOUNCED, RX_SINK_FAILED } state;
	int64_t announced;
};

struct resp {
	CURL *curl;
	long status;
	int64_t retry_after; /* seconds; 0: none */
	int64_t content_length;
	char *location, *www_auth, *content_type, *docker_digest, *range;
	/* a 2xx body kept in memory (manifests, tokens) up to max bytes */
	bool to_buf;
	char *buf;
	size_t len, bufcap, max;
	bool too_big;
	/* or streamed to a blob sink */
	struct blob_rx *rx;
	/* the start of any other status's body (a registry's error JSON) */
	char ebody[ERROR_BODY_MAX + 1];
	size_t elen;
	/* stall detection: when a byte last moved either way */
	int64_t moved_ms, stall_ms;
	curl_off_t dl, ul;
	bool stalled;
};

static void resp_clear(struct resp *rs)
{
	free(rs->location);
	free(rs->www_auth);
	free(rs->content_type);
	free(rs->docker_digest);
	free(rs->range);
	rs->location = rs->www_auth = rs->content_type = rs->docker_digest = rs->range = NULL;
	rs->status = 0;
	rs->retry_after = 0;
	rs->content_length = -1;
	rs->len = 0;
	rs->too_big = false;
	rs->elen = 0;
	rs->ebody[0] = '\0';
	rs->stalled = false;
	rs->dl = rs->ul = 0;
	if (rs->buf)
		rs->buf[0] = '\0';
}

static void resp_release(struct resp *rs)
{
	resp_clear(rs);
	if (rs->buf) {
		explicit_bzero(rs->buf, rs->bufcap); /* token answers */
		free(rs->buf);
		rs->buf = NULL;
		rs->bufcap = 0;
	}
}

#define cleanup_resp __attribute__((cleanup(resp_release)))

struct req {
	const char *method;
	const char *url;
	char *scope; /* the token scope; NULL: no authorization */
	const char *repo;
	const char *accept;
	const char *content_type;
	char content_range[64];
	bool follow; /* follow redirects (GET, HEAD) */
	bool ping;   /* GET /v2/ itself: no authorization */
	struct body *body;
	/* results */
	bool transient;  /* the failure may pass: retry */
	bool tls_failed; /* the TLS handshake failed */
	bool auth_stale; /* 401 on a body that could not be replayed; token dropped */
	unsigned retried;
	char *final_url; /* after redirects */
};

static void req_release(struct req *q)
{
	free(q->scope);
	free(q->final_url);
	q->scope = q->final_url = NULL;
}

#define cleanup_req __attribute__((cleanup(req_release)))

static bool tx_verify(struct blob_tx *tx)
{
	md_finish(tx->md, tx->alg, tx->got);
	tx->verified = true;
	if (strcmp(tx->got, tx->digest) != 0) {
		tx->state = TX_BAD_DIGEST;
		return false;
	}
	return true;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	struct blob_tx *tx = b->tx;
	size_t cap = size * nmemb, n = 0;

	if (!tx) {
		n = b->mem_len - b->off < cap ? b->mem_len - b->off : cap;
		if (n)
			memcpy(buf, b->mem + b->off, n);
		b->off += n;
		return n;
	}
	if (b->chunk_left <= 0)
		return 0;
	if ((int64_t)cap > b->chunk_left)
		cap = (size_t)b->chunk_left;
	if (tx->source(tx->data, buf, cap, &n) < 0) {
		tx->state = TX_SOURCE_FAILED;
		return CURL_READFUNC_ABORT;
	}
	if (n == 0) {
		tx->state = TX_SHORT;
		return CURL_READFUNC_ABORT;
	}
	if (n > cap) {
		tx->state = TX_OVERRUN;
		return CURL_READFUNC_ABORT;
	}
	EVP_DigestUpdate(tx->md, buf, n);
	tx->sent += (int64_t)n;
	b->chunk_left -= (int64_t)n;
	/* The last byte goes out only when the whole blob has its digest. */
	if (tx->sent == tx->size && !tx_verify(tx))
		return CURL_READFUNC_ABORT;
	return n;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
	struct body *b = ud;

	if (b->tx || origin != SEEK_SET || offset < 0 || (size_t)offset > b->mem_len)
		return CURL_SEEKFUNC_CANTSEEK;
	b->off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t rx_write(struct resp *rs, struct blob_rx *rx, const char *p, size_t n)
{
	if (!rx->delivered && rx->got == 0) {
		curl_off_t cl = -1;

		curl_easy_getinfo(rs->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		if (cl >= 0 && rx->want >= 0 && cl != rx->want) {
			rx->state = RX_ANNOUNCED;
			rx->announced = cl;
			return 0;
		}
	}
	if (rx->want >= 0 && rx->got + (int64_t)n > rx->want) {
		rx->state = RX_TOO_LONG;
		return 0;
	}
	EVP_DigestUpdate(rx->md, p, n);
	rx->got += (int64_t)n;
	rx->delivered = true;
	if (rx->sink(rx->data, p, n) < 0) {
		rx->state = RX_SINK_FAILED;
		return 0;
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct resp *rs = ud;
	size_t n = size * nmemb;
	long st = 0;

	curl_easy_getinfo(rs->curl, CURLINFO_RESPONSE_CODE, &st);
	if (st < 200 || st >= 300) {
		size_t take = ERROR_BODY_MAX - rs->elen < n ? ERROR_BODY_MAX - rs->elen : n;

		memcpy(rs->ebody + rs->elen, p, take);
		rs->elen += take;
		rs->ebody[rs->elen] = '\0';
		return n;
	}
	if (rs->rx)
		return rx_write(rs, rs->rx, p, n);
	if (!rs->to_buf)
		return n;
	if (rs->len == 0) {
		curl_off_t cl = -1;

		curl_easy_getinfo(rs->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		if (cl > (curl_off_t)rs->max) {
			rs->too_big = true;
			return 0;
		}
	}
	if (n > rs->max - rs->len) {
		rs->too_big = true;
		return 0;
	}
	if (rs->len + n + 1 > rs->bufcap) {
		size_t cap = rs->bufcap ? rs->bufcap : 16384;

		while (cap < rs->len + n + 1)
			cap *= 2;
		if (cap > rs->max + 1)
			cap = rs->max + 1;
		rs->buf = pd_xrealloc(rs->buf, cap);
		rs->bufcap = cap;
	}
	memcpy(rs->buf + rs->len, p, n);
	rs->len += n;
	rs->buf[rs->len] = '\0';
	return n;
}

/* Stop a transfer that has moved no byte for stall_ms (libcurl calls this at least once a second). */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct resp *rs = ud;
	int64_t now = mono_ms();
	curl_off_t pre = 0;

	(void)dltotal;
	(void)ultotal;
	/* Connecting (and the TLS handshake) has its own limit: the clock
	 * starts when the request is ready to go. */
	curl_easy_getinfo(rs->curl, CURLINFO_PRETRANSFER_TIME_T, &pre);
	if (pre == 0 || dlnow != rs->dl || ulnow != rs->ul) {
		rs->dl = dlnow;
		rs->ul = ulnow;
		rs->moved_ms = now;
		return 0;
	}
	if (now - rs->moved_ms >= rs->stall_ms) {
		rs->stalled = true;
		return 1;
	}
	return 0;
}

static char *header_one(CURL *c, const char *name)
{
	struct curl_header *h = NULL;

	if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h->value)
		return NULL;
	return pd_xstrdup(h->value);
}

/* Every header @name of the answer joined by ", " (one list, as HTTP allows). */
static char *header_all(CURL *c, const char *name)
{
	struct curl_header *h = NULL;
	char *out = NULL;
	size_t amount, len = 0;

	if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	amount = h->amount;
	for (size_t i = 0; i < amount && i < 16; i++) {
		size_t n;

		if (curl_easy_header(c, name, i, CURLH_HEADER, -1, &h) != CURLHE_OK)
			break;
		n = strlen(h->value);
		if (len + n > PD_WWW_AUTH_MAX + 2)
			n = PD_WWW_AUTH_MAX + 2 - len; /* the parser refuses it as too long */
		out = pd_xrealloc(out, len + n + 3);
		if (len) {
			memcpy(out + len, ", ", 2);
			len += 2;
		}
		memcpy(out + len, h->value, n);
		len += n;
		out[len] = '\0';
	}
	return out;
}

/* One HTTP request on the handle: libcurl's result; the answer in @rs. */
static CURLcode http_do(struct pd_registry *r, const char *method, const char *url,
			struct curl_slist *hdrs, struct body *b, bool client_cert, struct resp *rs)
{
	static const struct body empty = { .mem = "" };
	struct body none = empty;
	struct curl_blob ca = { .data = r->ca, .len = r->ca_len, .flags = CURL_BLOB_NOCOPY };
	CURL *c = r->curl;
	curl_off_t ra = 0, cl = -1;
	CURLcode rc;

	resp_clear(rs);
	rs->curl = c;
	if (!b)
		b = &none;
	curl_easy_reset(c);
	r->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, r->o.user_agent);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	rs->stall_ms = (int64_t)r->o.stall_timeout_s * 1000;
	rs->moved_ms = mono_ms();
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, rs);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, r->o.tls_verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, r->o.tls_verify ? 2L : 0L);
	if (r->ca)
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
	if (client_cert && r->client_cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, r->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, r->client_key);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, b);
	if (!b->tx) {
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, b);
	}
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
	} else if (!strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)b->len);
		if (method[1] == 'A')
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
	if (rc != CURLE_OK)
		return rc;
	curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra);
	curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	rs->retry_after = ra > 0 ? (int64_t)ra : 0;
	rs->content_length = cl;
	rs->location = header_one(c, "Location");
	rs->www_auth = header_all(c, "WWW-Authenticate");
	rs->content_type = header_one(c, "Content-Type");
	rs->docker_digest = header_one(c, "Docker-Content-Digest");
	rs->range = header_one(c, "Range");
	return CURLE_OK;
}

static const char *reason_phrase(long st)
{
	switch (st) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 416:
		return "Range Not Satisfiable";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "";
	}
}

static int status_errno(long st)
{
	if (st == 401 || st == 403)
		return EACCES;
	if (st == 404)
		return ENOENT;
	if (st == 405)
		return EOPNOTSUPP;
	if (st == 408 || st == 504)
		return ETIMEDOUT;
	if (st == 413)
		return EFBIG;
	if (st == 429)
		return EAGAIN;
	if (st >= 400)
		return EIO;
	return EPROTO;
}

static bool status_transient(long st)
{
	return st == 408 || st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

/* Keep printable ASCII of [s, s+n) in @out, for a message. */
static void printable_copy(const char *s, size_t n, char *out, size_t cap)
{
	size_t w = 0;

	for (size_t i = 0; i < n && s[i] && w + 1 < cap; i++)
		out[w++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[w] = '\0';
}

/* "CODE: message" of a registry's error body ({"errors":[{...}]}), or its first line. */
static void error_detail(const struct resp *rs, char *out, size_t cap)
{
	cleanup_cjson cJSON *j = rs->elen ? cJSON_ParseWithLength(rs->ebody, rs->elen) : NULL;
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "errors"), 0);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
	char a[64], b[200];

	out[0] = '\0';
	if (cJSON_IsString(code) && code->valuestring) {
		printable_copy(code->valuestring, strlen(code->valuestring), a, sizeof(a));
		b[0] = '\0';
		if (cJSON_IsString(msg) && msg->valuestring)
			printable_copy(msg->valuestring, strlen(msg->valuestring), b, sizeof(b));
		snprintf(out, cap, "%s%s%s", a, b[0] ? ": " : "", b);
	} else if (rs->elen && !j) {
		printable_copy(rs->ebody, strcspn(rs->ebody, "\r\n"), out, cap < 120 ? cap : 120);
	}
}

static int status_error(const char *method, const char *url, const struct resp *rs,
			unsigned retried, struct pd_error *err)
{
	char u[512], detail[300], tries[40] = "";

	url_for_msg(url, u, sizeof(u));
	error_detail(rs, detail, sizeof(detail));
	if (retried)
		snprintf(tries, sizeof(tries), " (after %u retries)", retried);
	return pd_error_set_msg(err, status_errno(rs->status), "%s %s: %ld%s%s%s%s%s", method, u,
				rs->status, reason_phrase(rs->status)[0] ? " " : "",
				reason_phrase(rs->status), detail[0] ? ": " : "", detail, tries);
}

static bool tls_code(CURLcode rc)
{
	return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
	       rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CIPHER ||
	       rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_ISSUER_ERROR;
}

/* A failed transfer: what the body callbacks saw, else libcurl's reason. */
static int transfer_error(struct pd_registry *r, struct req *q, const char *url, CURLcode rc,
			  const struct resp *rs, struct pd_error *err)
{
	struct blob_tx *tx = q->body ? q->body->tx : NULL;
	char u[512];
	int code;

	url_for_msg(url, u, sizeof(u));
	if (rs->too_big)
		return pd_error_set_msg(err, EFBIG, "%s %s: the answer is larger than %zu bytes",
					q->method, u, rs->max);
	if (rs->rx && rs->rx->state == RX_ANNOUNCED)
		return pd_error_set_msg(err, EBADMSG,
					"%s %s: the registry announces %lld bytes, the blob has "
					"%lld",
					q->method, u, (long long)rs->rx->announced,
					(long long)rs->rx->want);
	if (rs->rx && rs->rx->state == RX_TOO_LONG)
		return pd_error_set_msg(err, EBADMSG, "%s %s: more than the blob's %lld bytes",
					q->method, u, (long long)rs->rx->want);
	if (rs->rx && rs->rx->state == RX_SINK_FAILED)
		return pd_error_set_msg(err, ECANCELED, "%s %s: stopped by the receiver", q->method,
					u);
	if (tx && tx->state == TX_BAD_DIGEST)
		return pd_error_set_msg(err, EBADMSG,
					"the bytes given for blob %s have digest %s: not sent",
					tx->digest, tx->got);
	if (tx && tx->state == TX_SHORT)
		return pd_error_set_msg(err, EBADMSG,
					"the bytes given for blob %s end after %lld of %lld bytes",
					tx->digest, (long long)tx->sent, (long long)tx->size);
	if (tx && tx->state != TX_OK)
		return pd_error_set_msg(err, ECANCELED, "reading blob %s to send it failed",
					tx->digest);
	if (rs->stalled) {
		q->transient = true;
		return pd_error_set_msg(err, ETIMEDOUT, "%s %s: no data moved for %lld s",
					q->method, u, (long long)(rs->stall_ms / 1000));
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		code = ETIMEDOUT;
		q->transient = true;
	} else if (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
		   rc == CURLE_PARTIAL_FILE || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM) {
		code = ECONNRESET;
		q->transient = true;
	} else if (rc == CURLE_COULDNT_CONNECT) {
		code = ECONNREFUSED;
	} else if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY) {
		code = EHOSTUNREACH;
	} else {
		code = EPROTO;
	}
	q->tls_failed = tls_code(rc);
	return pd_error_set_msg(err, code, "%s %s: %s%s", q->method, u,
				r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc),
				rc == CURLE_PEER_FAILED_VERIFICATION
					? " (a private CA goes in certs.d/HOST[:PORT]/*.crt)"
					: "");
}

/* ---- authentication ---- */

/* The credentials for @repo (NULL: none), looked up once per repository. */
static int get_creds(struct pd_registry *r, const char *repo, const struct pd_auth_creds **out,
		     struct pd_error *err)
{
	int rc;

	*out = NULL;
	if (r->creds_explicit) {
		*out = &r->creds;
		return 1;
	}
	if (r->creds_known &&
	    (repo ? r->creds_repo && !strcmp(repo, r->creds_repo) : !r->creds_repo)) {
		*out = r->have_creds ? &r->creds : NULL;
		return r->have_creds;
	}
	pd_auth_creds_release(&r->creds);
	free(r->creds_repo);
	r->creds_repo = repo ? pd_xstrdup(repo) : NULL;
	r->creds_known = false;
	rc = pd_auth_lookup(r->name, repo, r->o.auth_file, &r->creds, err);
	if (rc < 0)
		return -1;
	r->creds_known = true;
	r->have_creds = rc > 0;
	*out = r->have_creds ? &r->creds : NULL;
	return rc;
}

static char *basic_value(const struct pd_auth_creds *c)
{
	char *pair = pd_xasprintf("%s:%s", c->username, c->password);
	char *enc = pd_base64_encode(pair, strlen(pair));
	char *v = pd_xasprintf("Basic %s", enc);

	explicit_bzero(pair, strlen(pair));
	explicit_bzero(enc, strlen(enc));
	free(pair);
	free(enc);
	return v;
}

/* Learn the registry's challenge from a 401. */
static int learn_challenge(struct pd_registry *r, const char *url, const struct resp *rs,
			   struct pd_error *err)
{
	struct pd_auth_challenge ch[8];
	const char *why = NULL;
	const struct pd_auth_challenge *bearer = NULL, *basic = NULL;
	char u[512];
	int n;

	url_for_msg(url, u, sizeof(u));
	if (!rs->www_auth)
		return pd_error_set_msg(err, EPROTO, "GET %s: 401 without WWW-Authenticate", u);
	n = pd_www_auth_parse(rs->www_auth, strlen(rs->www_auth), ch, 8, &why);
	if (n < 0)
		return pd_error_set_msg(err, EPROTO, "%s: WWW-Authenticate not understood: %s", u,
					why);
	for (int i = 0; i < n; i++) {
		if (ch[i].scheme == PD_AUTH_BEARER && ch[i].realm[0] && !bearer)
			bearer = &ch[i];
		if (ch[i].scheme == PD_AUTH_BASIC && !basic)
			basic = &ch[i];
	}
	if (bearer) {
		r->chal = *bearer;
		r->auth = AUTH_BEARER;
	} else if (basic) {
		r->chal = *basic;
		r->auth = AUTH_BASIC;
	} else {
		return pd_error_set_msg(err, EPROTO,
					"%s: the registry asks for authentication paude does not "
					"speak (%s)",
					u, ch[0].scheme_name);
	}
	return 0;
}

/* Who the request went as, for a 401/403 message. */
static void whoami(const struct pd_registry *r, char *out, size_t cap)
{
	if (r->have_creds || r->creds_explicit) {
		if (r->creds.username)
			snprintf(out, cap, " (as %s, credentials from %s)", r->creds.username,
				 r->creds.from);
		else
			snprintf(out, cap, " (identity token from %s)", r->creds.from);
	} else {
		snprintf(out, cap, " (anonymous: no credentials for %s)", r->name);
	}
}

/* How long to wait before retry @attempt (0-based): Retry-After, capped, else the backoff. */
static unsigned delay_ms(const struct pd_registry *r, unsigned attempt, int64_t retry_after)
{
	uint64_t d;

	if (retry_after > 0) {
		d = (uint64_t)retry_after * 1000;
		return d > r->o.retry_after_max_ms ? r->o.retry_after_max_ms : (unsigned)d;
	}
	d = (uint64_t)r->o.backoff_ms << (attempt < 16 ? attempt : 16);
	return d > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : (unsigned)d;
}

/* A token for @q's scope from the realm; cached. */
static int fetch_token(struct pd_registry *r, const struct req *q, const char *key, char **out,
		       struct pd_error *err)
{
	const struct pd_auth_creds *c = NULL;
	struct origin ro;
	cleanup_free char *url = NULL, *form = NULL, *authz = NULL, *tok = NULL;
	cleanup_free char *svc = NULL;
	cleanup_slist struct curl_slist *h = NULL;
	cleanup_resp struct resp rs = { .to_buf = true, .max = TOKEN_BODY_MAX };
	struct body b = { 0 };
	int64_t expires = 0;
	bool post;
	char u[512], who[600];
	CURLcode rc = CURLE_OK;

	url_for_msg(r->chal.realm, u, sizeof(u));
	if (!origin_of(r->chal.realm, &ro) ||
	    (strcmp(ro.scheme, "https") != 0 && strcmp(ro.scheme, "http") != 0))
		return pd_error_set_msg(err, EPROTO, "token realm \"%s\" is not an HTTP(S) URL", u);
	if (get_creds(r, q->repo, &c, err) < 0)
		return -1;
	if (c && !strcmp(ro.scheme, "http") && !r->o.insecure)
		return pd_error_set_msg(err, EACCES,
					"will not send the credentials for %s to the token realm "
					"%s over plain HTTP",
					r->name, u);
	svc = url_escape(r, r->chal.service);
	post = c && c->identity_token;
	if (post) {
		cleanup_free char *sc = url_escape(r, q->scope);
		cleanup_free char *rt = url_escape(r, c->identity_token);

		form = pd_xasprintf(
			"grant_type=refresh_token&client_id=paude&service=%s&scope=%s"
			"&refresh_token=%s",
			svc, sc, rt);
		explicit_bzero(rt, strlen(rt));
		url = pd_xstrdup(r->chal.realm);
		h = hdr_add(h, "Content-Type: application/x-www-form-urlencoded");
		b.mem = form;
		b.mem_len = strlen(form);
		b.len = (int64_t)b.mem_len;
	} else {
		/* One scope= per space-separated scope, as docker sends them. */
		cleanup_free char *query = r->chal.service[0] ? pd_xasprintf("service=%s", svc)
							      : pd_xstrdup("");
		const char *sc = q->scope;

		while (*sc) {
			size_t n = strcspn(sc, " ");
			cleanup_free char *one = pd_xstrndup(sc, n);
			cleanup_free char *e = url_escape(r, one);
			char *longer = pd_xasprintf("%s%sscope=%s", query, *query ? "&" : "", e);

			free(query);
			query = longer;
			sc += n + (sc[n] == ' ');
		}
		url = pd_xasprintf("%s%c%s", r->chal.realm, strchr(r->chal.realm, '?') ? '&' : '?',
				   query);
		if (c && c->username) {
			cleanup_free char *v = basic_value(c);

			authz = pd_xasprintf("Authorization: %s", v);
			explicit_bzero(v, strlen(v));
			h = hdr_add(h, authz);
		}
	}
	h = hdr_add(h, "Expect:");
	for (unsigned attempt = 0;; attempt++) {
		b.off = 0;
		rc = http_do(r, post ? "POST" : "GET", url, h, &b, false, &rs);
		if (rc == CURLE_OK ? !status_transient(rs.status)
				   : !(rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR ||
				       rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR ||
				       rc == CURLE_PARTIAL_FILE))
			break;
		if (attempt >= r->o.retries)
			break;
		sleep_ms(delay_ms(r, attempt, rs.retry_after));
	}
	if (authz)
		explicit_bzero(authz, strlen(authz));
	if (form)
		explicit_bzero(form, strlen(form));
	if (rc != CURLE_OK)
		return pd_error_set_msg(err, rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EPROTO,
					"token from %s: %s", u,
					r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
	if (rs.status != 200) {
		whoami(r, who, sizeof(who));
		status_error(post ? "POST" : "GET", u, &rs, 0, err);
		return pd_error_wrap(err, "token for %s%s", q->scope, who);
	}
	if (pd_auth_parse_token(rs.buf ? rs.buf : "", rs.len, &tok, &expires, NULL, err) < 0)
		return pd_error_wrap(err, "token from %s", u);
	pd_token_cache_put(r->tokens, key, tok, expires, mono_ms());
	*out = steal_ptr(&tok);
	return 0;
}

/* The Authorization header line for @q, or NULL when none goes. @fresh: not from the cache. */
static int authorization(struct pd_registry *r, const struct req *q, bool fresh, char **out,
			 struct pd_error *err)
{
	const struct pd_auth_creds *c = NULL;
	cleanup_free char *key = NULL;
	const char *cached;
	char *tok = NULL;

	*out = NULL;
	if (q->ping || r->auth == AUTH_NONE || !q->scope)
		return 0;
	if (r->auth == AUTH_BASIC) {
		cleanup_free char *v = NULL;

		if (get_creds(r, q->repo, &c, err) < 0)
			return -1;
		if (!c || !c->username)
			return 0;
		v = basic_value(c);
		*out = pd_xasprintf("Authorization: %s", v);
		explicit_bzero(v, strlen(v));
		return 0;
	}
	key = pd_xasprintf("%s %s", r->name, q->scope);
	cached = fresh ? NULL : pd_token_cache_get(r->tokens, key, mono_ms());
	if (cached) {
		*out = pd_xasprintf("Authorization: Bearer %s", cached);
		return 0;
	}
	if (fetch_token(r, q, key, &tok, err) < 0 || !tok)
		return -1;
	*out = pd_xasprintf("Authorization: Bearer %s", tok);
	explicit_bzero(tok, strlen(tok));
	free(tok);
	return 0;
}

static void drop_token(struct pd_registry *r, const struct req *q)
{
	cleanup_free char *key = NULL;

	if (r->auth != AUTH_BEARER || !q->scope)
		return;
	key = pd_xasprintf("%s %s", r->name, q->scope);
	pd_token_cache_drop(r->tokens, key);
}

static void wipe_freep(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
	}
}

/* One request (following redirects and answering one 401): 0 with the answer in @rs. */
static int exchange(struct pd_registry *r, struct req *q, struct resp *rs, struct pd_error *err)
{
	cleanup_free char *url = pd_xstrdup(q->url);
	bool fresh = false;
	unsigned hops = 0;

	q->transient = q->tls_failed = q->auth_stale = false;
	for (;;) {
		bool same = same_origin(r, url);
		__attribute__((cleanup(wipe_freep))) char *authz = NULL;
		cleanup_slist struct curl_slist *h = NULL;
		CURLcode rc;

		if (same && authorization(r, q, fresh, &authz, err) < 0)
			return -1;
		h = hdr_add(h, "Expect:");
		if (q->accept) {
			cleanup_free char *line = pd_xasprintf("Accept: %s", q->accept);

			h = hdr_add(h, line);
		}
		if (q->content_type) {
			cleanup_free char *line = pd_xasprintf("Content-Type: %s", q->content_type);

			h = hdr_add(h, line);
		}
		if (q->content_range[0]) {
			cleanup_free char *line =
				pd_xasprintf("Content-Range: %s", q->content_range);

			h = hdr_add(h, line);
		}
		if (authz)
			h = hdr_add(h, authz);
		if (q->body)
			q->body->off = 0;
		rc = http_do(r, q->method, url, h, q->body, same, rs);
		if (rc != CURLE_OK)
			return transfer_error(r, q, url, rc, rs, err);
		if (rs->status == 401 && same && !q->ping) {
			bool replayable = !q->body || !q->body->tx;

			if (!fresh && replayable) {
				if (learn_challenge(r, url, rs, err) < 0)
					return -1;
				drop_token(r, q);
				fresh = true;
				if (r->auth != AUTH_NONE)
					continue;
			}
			if (!replayable) {
				drop_token(r, q);
				q->auth_stale = true;
			}
		}
		if (q->follow && rs->location &&
		    (rs->status == 301 || rs->status == 302 || rs->status == 303 ||
		     rs->status == 307 || rs->status == 308)) {
			char *next = resolve_url(url, rs->location);
			struct origin o;
			char u[512];

			url_for_msg(url, u, sizeof(u));
			if (!next || !origin_of(next, &o) ||
			    (strcmp(o.scheme, "https") != 0 && strcmp(o.scheme, "http") != 0)) {
				free(next);
				return pd_error_set_msg(
					err, EPROTO,
					"%s %s: redirected to something that is not "
					"an HTTP(S) URL",
					q->method, u);
			}
			if (!strcmp(o.scheme, "http") && !strcmp(r->origin.scheme, "https") &&
			    !r->o.insecure) {
				free(next);
				return pd_error_set_msg(
					err, EPROTO,
					"%s %s: redirected from HTTPS to plain HTTP: "
					"refused",
					q->method, u);
			}
			free(url);
			url = next;
			if (++hops > MAX_REDIRECTS)
				return pd_error_set_msg(err, ELOOP, "%s %s: more than %d redirects",
							q->method, u, MAX_REDIRECTS);
			continue;
		}
		free(q->final_url);
		q->final_url = steal_ptr(&url);
		return 0;
	}
}

/* Start a blob's reception again at byte 0. */
static int rx_restart(struct blob_rx *rx, struct pd_error *err)
{
	if (rx->delivered && rx->sink(rx->data, NULL, 0) < 0)
		return pd_error_set_msg(err, ECANCELED,
					"the receiver of a blob could not start it again");
	EVP_DigestInit_ex(rx->md, rx->alg, NULL);
	rx->got = 0;
	rx->delivered = false;
	rx->state = RX_OK;
	return 0;
}

/*
 * exchange(), retried on a transient failure or status; a request whose
 * body comes from a blob source is not retried here (its caller restarts
 * the upload).  0 with the last answer in @rs (its status may be an error).
 */
static int exchange_retry(struct pd_registry *r, struct req *q, struct resp *rs,
			  struct pd_error *err)
{
	for (unsigned attempt = 0;; attempt++) {
		int rc = exchange(r, q, rs, err);
		bool again = rc < 0 ? q->transient : status_transient(rs->status);

		q->retried = attempt;
		if (!again || attempt >= r->o.retries || (q->body && q->body->tx))
			return rc;
		sleep_ms(delay_ms(r, attempt, rc < 0 ? 0 : rs->retry_after));
		if (rs->rx && rx_restart(rs->rx, err) < 0)
			return -1;
	}
}

static void set_scheme(struct pd_registry *r, const char *scheme)
{
	cleanup_free char *u = pd_xasprintf("%s://%s/", scheme, r->host);

	if (!origin_of(u, &r->origin)) {
		/* registry_name_ok() let through something libcurl's URL parser refuses */
		memset(&r->origin, 0, sizeof(r->origin));
		pd_strlcpy(r->origin.scheme, scheme, sizeof(r->origin.scheme));
	}
}

/* A URL on the registry: its scheme and host, then the path formatted from @fmt. */
#define URL_OF(r, fmt, ...) pd_xasprintf("%s://%s" fmt, (r)->origin.scheme, (r)->host, __VA_ARGS__)

static int ping_once(struct pd_registry *r, struct resp *rs, struct pd_error *err)
{
	cleanup_free char *url = pd_xasprintf("%s://%s/v2/", r->origin.scheme, r->host);
	cleanup_req struct req q = { .method = "GET", .url = url, .ping = true };
	int rc = exchange_retry(r, &q, rs, err);

	if (rc < 0 && q.tls_failed)
		return -2;
	return rc;
}

/* The ping's answer: what authentication the registry wants. */
static int ping_answer(struct pd_registry *r, const struct resp *rs, struct pd_error *err)
{
	char u[512];

	snprintf(u, sizeof(u), "%s://%s/v2/", r->origin.scheme, r->host);
	if (rs->status == 401)
		return learn_challenge(r, u, rs, err);
	if (rs->status == 200) {
		r->auth = AUTH_NONE;
		return 0;
	}
	status_error("GET", u, rs, 0, err);
	return pd_error_wrap(err, "not a registry v2 API");
}

int pd_registry_ping(struct pd_registry *r, struct pd_error *err)
{
	cleanup_resp struct resp rs = { 0 };
	int rc;

	set_scheme(r, "https");
	rc = ping_once(r, &rs, err);
	if (rc == -2 && r->o.insecure) {
		/* An insecure registry may speak plain HTTP; if that fails too,
		 * both reasons are told. */
		struct pd_error tls_err = *err;

		set_scheme(r, "http");
		rc = ping_once(r, &rs, err);
		if (rc == 0)
			rc = ping_answer(r, &rs, err);
		if (rc < 0) {
			char http_msg[PD_ERROR_MSG_MAX];

			pd_strlcpy(http_msg, err->msg, sizeof(http_msg));
			pd_error_set_msg(err, tls_err.code, "over HTTPS: %s; over HTTP: %s",
					 tls_err.msg, http_msg);
			return pd_error_wrap(err, "registry %s", r->name);
		}
	} else if (rc == 0) {
		rc = ping_answer(r, &rs, err);
	}
	if (rc < 0)
		return pd_error_wrap(err, "registry %s", r->name);
	r->pinged = true;
	return 0;
}

static int ensure_pinged(struct pd_registry *r, struct pd_error *err)
{
	return r->pinged ? 0 : pd_registry_ping(r, err);
}

/* ---- set-up ---- */

void pd_registry_opts_init(struct pd_registry_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tls_verify = true;
	o->certs_dir_system = "/etc/containers/certs.d";
	o->retries = 4;
	o->backoff_ms = 500;
	o->retry_after_max_ms = 60000;
	o->stall_timeout_s = 60;
	o->chunk_size = 16u << 20;
	o->user_agent = "paude/" PAUDE_VERSION;
}

static const char *own(struct pd_registry *r, const char *s)
{
	if (!s)
		return NULL;
	pd_strv_push(&r->owned, s);
	return r->owned[pd_strv_len(r->owned) - 1];
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && !strcmp(s + n - m, suf);
}

static void dirents_free(struct dirent **e, int n)
{
	for (int i = 0; i < n; i++)
		free(e[i]);
	free(e);
}

/* certs.d/HOST[:PORT]/: *.crt into one PEM bundle with the system's; a client pair. */
static int load_tls(struct pd_registry *r, struct pd_error *err)
{
	const char *dirs[2] = { r->o.certs_dir_user, r->o.certs_dir_system };
	cleanup_free char *dir = NULL;
	cleanup_strv char **crts = NULL;
	struct dirent **ents = NULL;
	const char *sys;
	struct stat st;
	size_t len = 0;
	char *bundle = NULL;
	int n;

	for (int i = 0; i < 2 && !dir; i++) {
		char *p;

		if (!dirs[i] || !*dirs[i])
			continue;
		p = pd_xasprintf("%s/%s", dirs[i], r->name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			dir = p;
		else
			free(p);
	}
	if (!dir)
		return 0;
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return pd_error_set(err, errno, "read \"%s\"", dir);
	for (int i = 0; i < n; i++) {
		const char *f = ents[i]->d_name;
		cleanup_free char *path = pd_xasprintf("%s/%s", dir, f);
		cleanup_free char *other = NULL;
		size_t base = strlen(path);

		if (f[0] == '.')
			continue;
		if (has_suffix(f, ".crt")) {
			if (pd_strv_len(crts) == CERT_FILES_MAX) {
				dirents_free(ents, n);
				return pd_error_set_msg(err, EMFILE, "\"%s\": more than %d *.crt",
							dir, CERT_FILES_MAX);
			}
			pd_strv_push(&crts, path);
		} else if (has_suffix(f, ".cert") || has_suffix(f, ".key")) {
			bool is_cert = has_suffix(f, ".cert");

			base -= is_cert ? 5 : 4;
			other = pd_xasprintf("%.*s%s", (int)base, path, is_cert ? ".key" : ".cert");
			if (stat(other, &st) < 0) {
				int e = errno;

				dirents_free(ents, n);
				return pd_error_set(err, e, "\"%s\" needs its pair \"%s\"", path,
						    other);
			}
			if (is_cert && !r->client_cert) {
				r->client_cert = steal_ptr(&path);
				r->client_key = steal_ptr(&other);
			}
		}
	}
	dirents_free(ents, n);
	if (!crts)
		return 0;
	sys = curl_version_info(CURLVERSION_NOW)->cainfo;
	if (!sys)
		sys = SYSTEM_CA_BUNDLE;
	for (ssize_t i = -1; i < (ssize_t)pd_strv_len(crts); i++) {
		const char *path = i < 0 ? sys : crts[i];
		cleanup_free char *text = NULL;
		struct pd_error e;
		size_t tl = 0;

		if (pd_read_file_at(AT_FDCWD, path, 0, i < 0 ? 16u << 20 : CERT_FILE_MAX, &text,
				    &tl, &e) < 0) {
			if (i < 0 && e.code == ENOENT)
				continue; /* no system bundle: certs.d's CAs alone */
			free(bundle);
			*err = e;
			return -1;
		}
		bundle = pd_xrealloc(bundle, len + tl + 2);
		memcpy(bundle + len, text, tl);
		len += tl;
		bundle[len++] = '\n';
		bundle[len] = '\0';
	}
	r->ca = bundle;
	r->ca_len = len;
	return 0;
}

struct pd_registry *pd_registry_new(const char *registry, const struct pd_registry_opts *o,
				    struct pd_error *err)
{
	static bool curl_ready;
	struct pd_registry_opts def;
	struct pd_registry *r;

	if (!o) {
		pd_registry_opts_init(&def);
		o = &def;
	}
	if (!registry_name_ok(registry)) {
		pd_error_set_msg(err, EINVAL, "registry \"%s\" is not HOST[:PORT]", registry);
		return NULL;
	}
	if (o->chunk_size == 0 || (!o->username != !o->password)) {
		pd_error_set_msg(err, EINVAL,
				 "registry %s: options: chunk_size 0, or a user without a "
				 "password",
				 registry);
		return NULL;
	}
	if (!curl_ready) {
		if (pd_lazy_curl(err) < 0 || pd_lazy_crypto(err) < 0)
			return NULL;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			pd_error_set_msg(err, ENOMEM, "libcurl did not initialise");
			return NULL;
		}
		curl_ready = true;
	}
	r = pd_xcalloc(1, sizeof(*r));
	r->o = *o;
	r->o.certs_dir_system = own(r, o->certs_dir_system);
	r->o.certs_dir_user = own(r, o->certs_dir_user);
	r->o.auth_file = own(r, o->auth_file);
	r->o.user_agent = own(r, o->user_agent ? o->user_agent : "paude/" PAUDE_VERSION);
	r->o.username = r->o.password = NULL; /* copied into r->creds below */
	if (!strcasecmp(registry, "docker.io") || !strcasecmp(registry, "index.docker.io") ||
	    !strcasecmp(registry, "registry-1.docker.io")) {
		pd_strlcpy(r->name, "docker.io", sizeof(r->name));
		pd_strlcpy(r->host, "registry-1.docker.io", sizeof(r->host));
	} else {
		pd_strlcpy(r->name, registry, sizeof(r->name));
		pd_strlcpy(r->host, registry, sizeof(r->host));
	}
	set_scheme(r, "https");
	r->tokens = pd_token_cache_new();
	r->curl = curl_easy_init();
	if (!r->curl) {
		pd_error_set_msg(err, ENOMEM, "registry %s: libcurl handle", registry);
		pd_registry_free(r);
		return NULL;
	}
	if (o->username) {
		r->creds.username = pd_xstrdup(o->username);
		r->creds.password = pd_xstrdup(o->password);
		pd_strlcpy(r->creds.from, "the command line", sizeof(r->creds.from));
		r->creds_explicit = true;
	}
	if (load_tls(r, err) < 0) {
		pd_error_wrap(err, "registry %s: certs.d", registry);
		pd_registry_free(r);
		return NULL;
	}
	return r;
}

void pd_registry_free(struct pd_registry *r)
{
	if (!r)
		return;
	if (r->curl)
		curl_easy_cleanup(r->curl);
	pd_auth_creds_release(&r->creds);
	pd_token_cache_free(r->tokens);
	free(r->creds_repo);
	free(r->ca);
	free(r->client_cert);
	free(r->client_key);
	pd_strv_free(r->owned);
	free(r);
}

/* ---- manifests ---- */

/* The Accept value: the media types joined by ", "; NULL when one is not a media type. */
static char *join_accept(const char *const *accept)
{
	char *out = NULL;
	size_t len = 0;

	if (!accept || !accept[0])
		return NULL;
	for (size_t i = 0; accept[i]; i++) {
		size_t n = strlen(accept[i]);

		if (n == 0 || n > 255 || len > 4096 || strcspn(accept[i], ",\r\n") != n) {
			free(out);
			return NULL;
		}
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)accept[i][k] < 0x20 || accept[i][k] == 0x7f) {
				free(out);
				return NULL;
			}
		out = pd_xrealloc(out, len + n + 3);
		if (len) {
			out[len++] = ',';
			out[len++] = ' ';
		}
		pd_strlcpy(out + len, accept[i], n + 1);
		len += n;
	}
	return out;
}

/* The media type of a Content-Type value: parameters and spaces dropped. */
static void media_type(const char *ct, char *out, size_t cap)
{
	size_t n;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, ct, n);
	out[n] = '\0';
}

static int check_ref(const char *repo, const char *ref, bool *is_digest, struct pd_error *err)
{
	if (!pd_registry_repo_valid(repo))
		return pd_error_set_msg(err, EINVAL, "repository name \"%s\" is not valid", repo);
	*is_digest = strchr(ref, ':') != NULL;
	if (*is_digest ? !pd_registry_digest_valid(ref) : !tag_valid(ref))
		return pd_error_set_msg(err, EINVAL,
					"\"%s\" is neither a tag nor a digest paude knows", ref);
	return 0;
}

int pd_registry_get_manifest(struct pd_registry *r, const char *repo, const char *ref,
			     const char *const *accept, char **body, size_t *len,
			     char *content_type, size_t ct_cap, char *digest_out, size_t max_len,
			     struct pd_error *err)
{
	cleanup_free char *acc = join_accept(accept);
	cleanup_free char *url = NULL;
	cleanup_req struct req q = { .method = "GET", .follow = true, .repo = repo };
	cleanup_resp struct resp rs = { .to_buf = true };
	char what[600], mt[256], dg[PD_DIGEST_MAX];
	bool is_digest = false, ok = false;
	const EVP_MD *alg;

	if (check_ref(repo, ref, &is_digest, err) < 0)
		return -1;
	snprintf(what, sizeof(what), "manifest %s/%s%s%s", r->name, repo, is_digest ? "@" : ":",
		 ref);
	if (!acc)
		return pd_error_set_msg(err, EINVAL, "%s: no valid media type to accept", what);
	if (ensure_pinged(r, err) < 0)
		return -1;
	url = URL_OF(r, "/v2/%s/manifests/%s", repo, ref);
	q.url = url;
	q.scope = pd_xasprintf("repository:%s:pull", repo);
	q.accept = acc;
	rs.max = max_len ? max_len : PD_MANIFEST_MAX;
	if (exchange_retry(r, &q, &rs, err) < 0)
		return pd_error_wrap(err, "%s", what);
	if (rs.status != 200) {
		char who[600] = "";

		status_error("GET", q.final_url, &rs, q.retried, err);
		if (rs.status == 401 || rs.status == 403)
			whoami(r, who, sizeof(who));
		return pd_error_wrap(err, "%s%s", what, who);
	}
	media_type(rs.content_type ? rs.content_type : "", mt, sizeof(mt));
	for (size_t i = 0; accept[i] && !ok; i++)
		ok = !strcasecmp(mt, accept[i]);
	if (!ok && !strncasecmp(mt, "application/vnd.docker.distribution.manifest.v1", 47))
		return pd_error_set_msg(
			err, EPROTO,
			"%s: the registry serves Docker schema 1 (%s): Docker schema 1 "
			"is not supported",
			what, mt);
	/* A generic type says nothing: the manifest parser judges the body's shape. */
	if (!ok && (!strcasecmp(mt, "application/json") || !strcasecmp(mt, "text/plain") ||
		    !strcasecmp(mt, "application/octet-stream") || !mt[0]))
		ok = true;
	if (!ok)
		return pd_error_set_msg(err, EPROTO,
					"%s: the registry answered with Content-Type \"%s\", not "
					"one of %s",
					what, mt, acc);
	alg = is_digest ? digest_alg(ref) : EVP_sha256();
	digest_of(alg, rs.buf ? rs.buf : "", rs.len, dg);
	if (is_digest && strcmp(dg, ref) != 0)
		return pd_error_set_msg(err, EBADMSG, "%s: the registry sent a body with digest %s",
					what, dg);
	if (rs.docker_digest) {
		char hd[PD_DIGEST_MAX + 8], other[PD_DIGEST_MAX];

		media_type(rs.docker_digest, hd, sizeof(hd));
		if (pd_registry_digest_valid(hd)) {
			digest_of(digest_alg(hd), rs.buf ? rs.buf : "", rs.len, other);
			if (strcmp(other, hd) != 0)
				return pd_error_set_msg(err, EBADMSG,
							"%s: Docker-Content-Digest says %s, the "
							"body's digest is %s",
							what, hd, other);
		}
	}
	if (content_type && ct_cap)
		pd_strlcpy(content_type, mt, ct_cap);
	if (digest_out)
		pd_strlcpy(digest_out, dg, PD_DIGEST_MAX);
	*len = rs.len;
	*body = rs.buf ? steal_ptr(&rs.buf) : pd_xstrdup("");
	return 0;
}

int pd_registry_put_manifest(struct pd_registry *r, const char *repo, const char *ref,
			     const char *media_type_, const void *body, size_t len,
			     char *digest_out, struct pd_error *err)
{
	cleanup_free char *url = NULL;
	cleanup_req struct req q = { .method = "PUT", .repo = repo };
	cleanup_resp struct resp rs = { 0 };
	struct body b = { .mem = body, .mem_len = len, .len = (int64_t)len };
	char what[600], dg[PD_DIGEST_MAX];
	bool is_digest = false;

	if (check_ref(repo, ref, &is_digest, err) < 0)
		return -1;
	snprintf(what, sizeof(what), "push manifest %s/%s%s%s", r->name, repo,
		 is_digest ? "@" : ":", ref);
	if (!media_type_ || !*media_type_ || strcspn(media_type_, "\r\n,") != strlen(media_type_))
		return pd_error_set_msg(err, EINVAL, "%s: no valid media type", what);
	digest_of(is_digest ? digest_alg(ref) : EVP_sha256(), body, len, dg);
	if (is_digest && strcmp(dg, ref) != 0)
		return pd_error_set_msg(err, EINVAL, "%s: the body's digest is %s", what, dg);
	if (ensure_pinged(r, err) < 0)
		return -1;
	url = URL_OF(r, "/v2/%s/manifests/%s", repo, ref);
	q.url = url;
	q.scope = pd_xasprintf("repository:%s:pull,push", repo);
	q.content_type = media_type_;
	q.body = &b;
	if (exchange_retry(r, &q, &rs, err) < 0)
		return pd_error_wrap(err, "%s", what);
	if (rs.status != 201 && rs.status != 200) {
		char who[600] = "";

		status_error("PUT", q.final_url, &rs, q.retried, err);
		if (rs.status == 401 || rs.status == 403)
			whoami(r, who, sizeof(who));
		return pd_error_wrap(err, "%s%s", what, who);
	}
	if (digest_out)
		digest_of(EVP_sha256(), body, len, digest_out);
	return 0;
}

/* ---- blobs ---- */

static int check_blob(const char *repo, const char *digest, struct pd_error *err)
{
	if (!pd_registry_repo_valid(repo))
		return pd_error_set_msg(err, EINVAL, "repository name \"%s\" is not valid", repo);
	if (!pd_registry_digest_valid(digest))
		return pd_error_set_msg(err, EINVAL, "\"%s\" is not a digest paude knows", digest);
	return 0;
}

int pd_registry_get_blob(struct pd_registry *r, const char *repo, const char *digest, int64_t size,
			 pd_registry_sink_fn sink, void *data, struct pd_error *err)
{
	cleanup_free char *url = NULL;
	cleanup_req struct req q = { .method = "GET", .follow = true, .repo = repo };
	cleanup_resp struct resp rs = { 0 };
	cleanup_md EVP_MD_CTX *md = NULL;
	struct blob_rx rx = { .sink = sink, .data = data, .want = size < 0 ? -1 : size };
	char what[600], got[PD_DIGEST_MAX];

	if (check_blob(repo, digest, err) < 0)
		return -1;
	snprintf(what, sizeof(what), "blob %s of %s/%s", digest, r->name, repo);
	if (ensure_pinged(r, err) < 0)
		return -1;
	rx.alg = digest_alg(digest);
	md = rx.md = md_start(rx.alg);
	url = URL_OF(r, "/v2/%s/blobs/%s", repo, digest);
	q.url = url;
	q.scope = pd_xasprintf("repository:%s:pull", repo);
	rs.rx = &rx;
	if (exchange_retry(r, &q, &rs, err) < 0)
		return pd_error_wrap(err, "%s", what);
	if (rs.status != 200) {
		char who[600] = "";

		status_error("GET", q.final_url, &rs, q.retried, err);
		if (rs.status == 401 || rs.status == 403)
			whoami(r, who, sizeof(who));
		return pd_error_wrap(err, "%s%s", what, who);
	}
	if (rx.want >= 0 && rx.got != rx.want)
		return pd_error_set_msg(err, EBADMSG, "%s: got %lld bytes, expected %lld", what,
					(long long)rx.got, (long long)rx.want);
	md_finish(md, rx.alg, got);
	if (strcmp(got, digest) != 0)
		return pd_error_set_msg(err, EBADMSG,
					"%s: digest mismatch: the %lld bytes received have %s",
					what, (long long)rx.got, got);
	return 0;
}

int pd_registry_blob_exists(struct pd_registry *r, const char *repo, const char *digest,
			    int64_t *size, struct pd_error *err)
{
	cleanup_free char *url = NULL;
	cleanup_req struct req q = { .method = "HEAD", .follow = true, .repo = repo };
	cleanup_resp struct resp rs = { 0 };
	char what[600];

	if (check_blob(repo, digest, err) < 0)
		return -1;
	snprintf(what, sizeof(what), "blob %s of %s/%s", digest, r->name, repo);
	if (ensure_pinged(r, err) < 0)
		return -1;
	url = URL_OF(r, "/v2/%s/blobs/%s", repo, digest);
	q.url = url;
	q.scope = pd_xasprintf("repository:%s:pull", repo);
	if (exchange_retry(r, &q, &rs, err) < 0)
		return pd_error_wrap(err, "%s", what);
	if (rs.status == 404)
		return 0;
	if (rs.status != 200) {
		status_error("HEAD", q.final_url, &rs, q.retried, err);
		return pd_error_wrap(err, "%s", what);
	}
	if (size)
		*size = rs.content_length;
	return 1;
}

/* The Location of an upload answer, resolved; NULL (with @err) when missing. */
static char *upload_location(const struct req *q, const struct resp *rs, struct pd_error *err)
{
	char *loc = rs->location ? resolve_url(q->final_url, rs->location) : NULL;
	char u[512];

	if (!loc) {
		url_for_msg(q->final_url, u, sizeof(u));
		pd_error_set_msg(err, EPROTO, "%s %s: %ld without a usable Location", q->method, u,
				 rs->status);
	}
	return loc;
}

/* Cancel an upload session (best effort: the registry also expires it). */
static void upload_cancel(struct pd_registry *r, const char *repo, const char *loc)
{
	cleanup_req struct req q = { .method = "DELETE", .url = loc, .repo = repo };
	cleanup_resp struct resp rs = { 0 };
	struct pd_error ignored;

	q.scope = pd_xasprintf("repository:%s:pull,push", repo);
	exchange(r, &q, &rs, &ignored);
}

struct upload {
	const char *repo, *digest, *from;
	struct blob_tx *tx;
	bool retryable;      /* the attempt failed in a way a new one may not */
	int64_t retry_after; /* what the server asked for, seconds */
};

/* One request of an upload (no retry here: the whole upload is retried). */
static int upload_step(struct pd_registry *r, struct upload *up, struct req *q, struct resp *rs,
		       struct pd_error *err)
{
	q->repo = up->repo;
	if (!q->scope)
		q->scope = up->from ? pd_xasprintf("repository:%s:pull,push repository:%s:pull",
						   up->repo, up->from)
				    : pd_xasprintf("repository:%s:pull,push", up->repo);
	if (exchange(r, q, rs, err) < 0) {
		up->retryable = q->transient;
		return -1;
	}
	up->retryable = status_transient(rs->status) || q->auth_stale;
	up->retry_after = rs->retry_after;
	return 0;
}

/* POST, then PUT (or PATCHes and a PUT): 0 with *@result, or -1. */
static int upload_once(struct pd_registry *r, struct upload *up, int *result, struct pd_error *err)
{
	cleanup_free char *url = NULL, *loc = NULL;
	cleanup_req struct req post = { .method = "POST" };
	cleanup_resp struct resp rs = { 0 };
	struct blob_tx *tx = up->tx;
	int64_t chunk = (int64_t)r->o.chunk_size;
	bool chunked = tx->size > chunk;

	if (up->from) {
		cleanup_free char *from = url_escape(r, up->from);

		url = pd_xasprintf("%s://%s/v2/%s/blobs/uploads/?mount=%s&from=%s",
				   r->origin.scheme, r->host, up->repo, up->digest, from);
	} else {
		url = URL_OF(r, "/v2/%s/blobs/uploads/", up->repo);
	}
	post.url = url;
	if (upload_step(r, up, &post, &rs, err) < 0)
		return -1;
	if (up->from && rs.status == 201) {
		*result = PD_REGISTRY_MOUNTED;
		return 0;
	}
	if (rs.status != 202)
		return status_error("POST", post.final_url, &rs, 0, err);
	loc = upload_location(&post, &rs, err);
	if (!loc)
		return -1;
	/* Chunked: every byte goes in PATCHes and the closing PUT has none;
	 * otherwise the closing PUT carries the whole blob. */
	while (chunked && tx->sent < tx->size) {
		cleanup_req struct req q = { .method = "PATCH", .url = loc };
		int64_t n = tx->size - tx->sent < chunk ? tx->size - tx->sent : chunk;
		struct body b = { .tx = tx, .chunk_left = n, .len = n };
		char *next;

		q.content_type = "application/octet-stream";
		q.body = &b;
		snprintf(q.content_range, sizeof(q.content_range), "%lld-%lld", (long long)tx->sent,
			 (long long)(tx->sent + n - 1));
		if (upload_step(r, up, &q, &rs, err) < 0)
			goto cancel;
		if (rs.status != 202) {
			status_error("PATCH", q.final_url, &rs, 0, err);
			goto cancel;
		}
		if (rs.range) {
			const char *have =
				rs.range + (pd_str_has_prefix(rs.range, "bytes=") ? 6 : 0);
			char want[64];

			snprintf(want, sizeof(want), "0-%lld", (long long)(tx->sent - 1));
			if (strcmp(have, want) != 0) {
				pd_error_set_msg(err, EPROTO,
						 "PATCH: the registry holds bytes %s of blob %s, "
						 "%s were sent",
						 rs.range, up->digest, want);
				goto cancel;
			}
		}
		next = upload_location(&q, &rs, err);
		if (!next)
			goto cancel;
		free(loc);
		loc = next;
	}
	{
		cleanup_free char *put_url = pd_xasprintf("%s%cdigest=%s", loc,
							  strchr(loc, '?') ? '&' : '?', up->digest);
		cleanup_req struct req q = { .method = "PUT", .url = put_url };
		int64_t n = tx->size - tx->sent;
		struct body b = { .tx = tx, .chunk_left = n, .len = n };

		if (tx->size == 0 && !tx_verify(tx)) {
			pd_error_set_msg(err, EBADMSG,
					 "the bytes given for blob %s have digest %s: not sent",
					 tx->digest, tx->got);
			goto cancel;
		}
		q.content_type = "application/octet-stream";
		q.body = &b;
		if (upload_step(r, up, &q, &rs, err) < 0)
			goto cancel;
		if (rs.status != 201) {
			status_error("PUT", q.final_url, &rs, 0, err);
			goto cancel;
		}
	}
	*result = PD_REGISTRY_UPLOADED;
	return 0;
cancel:
	upload_cancel(r, up->repo, loc);
	return -1;
}

int pd_registry_put_blob(struct pd_registry *r, const char *repo, const char *digest, int64_t size,
			 const char *from, pd_registry_source_fn source, void *data,
			 struct pd_error *err)
{
	cleanup_md EVP_MD_CTX *md = NULL;
	struct blob_tx tx = { .source = source, .data = data, .digest = digest, .size = size };
	struct upload up = { .repo = repo, .digest = digest, .from = from, .tx = &tx };
	char what[600];
	int result = 0, rc;

	if (check_blob(repo, digest, err) < 0)
		return -1;
	if (from && !pd_registry_repo_valid(from))
		return pd_error_set_msg(err, EINVAL, "repository name \"%s\" is not valid", from);
	if (size < 0)
		return pd_error_set_msg(err, EINVAL, "push blob %s: the size must be known",
					digest);
	snprintf(what, sizeof(what), "push blob %s to %s/%s", digest, r->name, repo);
	if (ensure_pinged(r, err) < 0)
		return -1;
	{
		/* HEAD with the push scope, so the upload reuses its token. */
		cleanup_free char *url = URL_OF(r, "/v2/%s/blobs/%s", repo, digest);
		cleanup_req struct req q = { .method = "HEAD", .url = url, .repo = repo };
		cleanup_resp struct resp rs = { 0 };

		q.scope = pd_xasprintf("repository:%s:pull,push", repo);
		if (exchange_retry(r, &q, &rs, err) < 0)
			return pd_error_wrap(err, "%s", what);
		if (rs.status == 200)
			return PD_REGISTRY_EXISTED;
	}
	tx.alg = digest_alg(digest);
	md = tx.md = md_start(tx.alg);
	for (unsigned attempt = 0;; attempt++) {
		rc = upload_once(r, &up, &result, err);
		if (rc == 0)
			return result;
		if (!up.retryable || attempt >= r->o.retries)
			break;
		sleep_ms(delay_ms(r, attempt, up.retry_after));
		{
			size_t n = 0;

			if (source(data, NULL, 0, &n) < 0)
				break; /* cannot rewind: the last failure stands */
		}
		EVP_DigestInit_ex(md, tx.alg, NULL);
		tx.sent = 0;
		tx.verified = false;
		tx.state = TX_OK;
	}
	if (err && err->code == EACCES) {
		char who[600];

		whoami(r, who, sizeof(who));
		return pd_error_wrap(err, "%s%s", what, who);
	}
	return pd_error_wrap(err, "%s", what);
}
