/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for oci/registry.c, the registry v2 client, against real
 * registries: tests/oci/registry.sh starts Debian's docker-registry four
 * times on 127.0.0.1 (plain HTTP; HTTPS with htpasswd; HTTPS wanting a
 * client certificate; token authentication with tests/oci/token_issuer.py
 * as its realm) and tests/oci/fake_registry.py, a registry that misbehaves
 * on purpose (429/503 with Retry-After, resets and stalls mid-blob,
 * redirects to another host that logs what it gets, corrupt and oversized
 * answers).  They start once for the "live" case (about a second) and are
 * stopped by pid in its teardown.
 *
 * Every handle gets an explicit auth file in the scratch directory, so the
 * credentials of whoever runs the tests are never read.
 */
#include "unit.h"
#include "oci/auth.h"
#include "oci/registry.h"
#include "common/util.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const OCI_MT = "application/vnd.oci.image.manifest.v1+json";
static const char *const ACCEPT[] = { "application/vnd.oci.image.manifest.v1+json",
				      "application/vnd.docker.distribution.manifest.v2+json",
				      NULL };

/* ---- helpers ---- */

static void sha256_digest(const void *data, size_t n, char *out)
{
	unsigned char md[32];
	unsigned len = 0;

	EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* A blob of @n bytes that differs with @seed. */
static unsigned char *make_blob(size_t n, unsigned seed)
{
	unsigned char *b = pd_xmalloc(n ? n : 1);
	uint32_t x = 2463534242u ^ seed;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (unsigned char)x;
	}
	return b;
}

struct membuf {
	unsigned char *data;
	size_t len, cap;
	int resets;
	int fail_after; /* refuse once this many bytes arrived (0: never) */
};

static int sink_mem(void *d, const void *buf, size_t n)
{
	struct membuf *m = d;

	if (!buf) {
		m->len = 0;
		m->resets++;
		return 0;
	}
	if (m->fail_after && m->len + n >= (size_t)m->fail_after)
		return -1;
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->data = pd_xrealloc(m->data, m->cap);
	}
	memcpy(m->data + m->len, buf, n);
	m->len += n;
	return 0;
}

struct memsrc {
	const unsigned char *data;
	size_t len, off;
	int rewinds;
};

static int src_mem(void *d, void *buf, size_t cap, size_t *n)
{
	struct memsrc *s = d;

	if (!buf) {
		s->off = 0;
		s->rewinds++;
		return 0;
	}
	*n = s->len - s->off < cap ? s->len - s->off : cap;
	memcpy(buf, s->data + s->off, *n);
	s->off += *n;
	return 0;
}

static long elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* ---- the servers ---- */

struct live {
	unsigned plain, basic, mtls, token, issuer, fake, fake_other;
	char ca[1024], certs_d[1024], issuer_log[1024], fake_log[1024];
};

static struct live L;
static char *dir;
static bool up;

static void env_value(const char *text, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s=", key);
	p = strstr(text, pat);
	ck_assert_msg(p != NULL, "registry.sh env: no %s", key);
	p += strlen(pat);
	snprintf(out, cap, "%.*s", (int)strcspn(p, "\n"), p);
}

static unsigned env_port(const char *text, const char *key)
{
	char v[32];

	env_value(text, key, v, sizeof(v));
	return (unsigned)strtoul(v, NULL, 10);
}

static void live_setup(void)
{
	char cmd[4200], *text, *envf;
	FILE *f;
	size_t n;

	dir = pd_unit_tmpdir();
	/* our pid: should this process die, the servers go too */
	snprintf(cmd, sizeof(cmd), "tests/oci/registry.sh start '%s' %d", dir, (int)getpid());
	ck_assert_msg(system(cmd) == 0,
		      "tests/oci/registry.sh start failed (run from the top of the tree; "
		      "needs docker-registry, apache2-utils, openssl, python3: make deps)");
	up = true;
	envf = pd_xasprintf("%s/env", dir);
	f = fopen(envf, "re");
	ck_assert_ptr_nonnull(f);
	text = pd_xmalloc(8192);
	text[0] = '\n';
	n = fread(text + 1, 1, 8190, f);
	text[n + 1] = '\0';
	fclose(f);
	free(envf);
	L.plain = env_port(text, "PLAIN_PORT");
	L.basic = env_port(text, "BASIC_PORT");
	L.mtls = env_port(text, "MTLS_PORT");
	L.token = env_port(text, "TOKEN_PORT");
	L.issuer = env_port(text, "ISSUER_PORT");
	L.fake = env_port(text, "FAKE_PORT");
	L.fake_other = env_port(text, "FAKE_OTHER_PORT");
	env_value(text, "CA", L.ca, sizeof(L.ca));
	env_value(text, "CERTS_D", L.certs_d, sizeof(L.certs_d));
	env_value(text, "ISSUER_LOG", L.issuer_log, sizeof(L.issuer_log));
	env_value(text, "FAKE_LOG", L.fake_log, sizeof(L.fake_log));
	free(text);
}

static void live_teardown(void)
{
	char cmd[4200];

	if (up) {
		snprintf(cmd, sizeof(cmd), "tests/oci/registry.sh stop '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "test_registry: registry.sh stop failed\n");
	}
	up = false;
	pd_unit_rmrf(dir);
	free(dir);
	dir = NULL;
}

/* Options for the tests: certs.d and an auth file of the scratch directory, quick retries. */
static void test_opts(struct pd_registry_opts *o, const char *auth_file)
{
	static char none[4200];

	pd_registry_opts_init(o);
	snprintf(none, sizeof(none), "%s/no-auth.json", dir);
	o->insecure = true;
	o->certs_dir_system = L.certs_d;
	o->auth_file = auth_file ? auth_file : none;
	o->backoff_ms = 10;
	o->retry_after_max_ms = 3000;
}

static struct pd_registry *open_reg(unsigned port, const struct pd_registry_opts *o)
{
	struct pd_error e = { 0 };
	char name[64];
	struct pd_registry *r;

	snprintf(name, sizeof(name), "127.0.0.1:%u", port);
	r = pd_registry_new(name, o, &e);
	ck_assert_msg(r != NULL, "pd_registry_new %s: %s", name, e.msg);
	return r;
}

/* How many lines of @file hold every one of the (NULL-terminated) strings. */
static int count_lines(const char *file, ...)
{
	FILE *f = fopen(file, "re");
	char line[8192];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		va_list ap;
		const char *s;
		bool all = true;

		va_start(ap, file);
		while ((s = va_arg(ap, const char *)))
			all = all && strstr(line, s);
		va_end(ap);
		n += all;
	}
	fclose(f);
	return n;
}

#define EXPECT_ERR(rc, e, want_code, fragment) \
	do { \
		ck_assert_msg((rc) == -1, "%s: expected -1, got %d", #rc, (int)(rc)); \
		ck_assert_msg((e).code == (want_code) && strstr((e).msg, (fragment)), \
			      "expected %s (%d) with \"%s\", got %d: %s", #want_code, \
			      (int)(want_code), (fragment), (e).code, (e).msg); \
	} while (0)

/* Push a blob, then read it back whole. */
static void push_and_pull(struct pd_registry *r, const char *repo, size_t n, unsigned seed,
			  int want)
{
	struct pd_error e = { 0 };
	unsigned char *b = make_blob(n, seed);
	struct memsrc src = { .data = b, .len = n };
	struct membuf got = { 0 };
	char d[PD_DIGEST_MAX];
	int rc;

	sha256_digest(b, n, d);
	rc = pd_registry_put_blob(r, repo, d, (int64_t)n, NULL, src_mem, &src, &e);
	ck_assert_msg(rc == want, "push %s to %s: expected %d, got %d: %s", d, repo, want, rc,
		      e.msg);
	rc = pd_registry_get_blob(r, repo, d, (int64_t)n, sink_mem, &got, &e);
	ck_assert_msg(rc == 0, "pull %s: %s", d, e.msg);
	ck_assert_msg(got.len == n && (n == 0 || !memcmp(got.data, b, n)),
		      "pulled %zu bytes, pushed %zu (or they differ)", got.len, n);
	free(got.data);
	free(b);
}

/* ---- no server ---- */

START_TEST(test_names)
{
	static const char *const good_repo[] = { "a", "library/alpine", "a-b/c__d/e.f_g",
						 "x--y/0" };
	static const char *const bad_repo[] = { "",      "A",  "a/", "/a",  "a//b", "a..b",
						"a___b", "-a", "a-", "a:b", "a b" };
	static const char *const good_reg[] = { "127.0.0.1:5000", "[::1]:5000", "localhost",
						"docker.io",      "quay.io",    "a-b.example:1" };
	static const char *const bad_reg[] = { "",      "a/b",      "host:0", "host:99999",
					       "[::1",  "-bad",     "u@host", "host:",
					       "[]:80", "http://x", "a b" };
	struct pd_registry_opts o;
	struct pd_error e;

	for (size_t i = 0; i < sizeof(good_repo) / sizeof(*good_repo); i++)
		ck_assert_msg(pd_registry_repo_valid(good_repo[i]), "%s", good_repo[i]);
	for (size_t i = 0; i < sizeof(bad_repo) / sizeof(*bad_repo); i++)
		ck_assert_msg(!pd_registry_repo_valid(bad_repo[i]), "%s", bad_repo[i]);
	ck_assert(pd_registry_digest_valid(
		"sha256:"
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	ck_assert(!pd_registry_digest_valid(
		"sha256:"
		"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	ck_assert(!pd_registry_digest_valid("sha256:e3b0"));
	ck_assert(!pd_registry_digest_valid("md5:d41d8cd98f00b204e9800998ecf8427e"));
	pd_registry_opts_init(&o);
	o.certs_dir_system = "/nonexistent";
	for (size_t i = 0; i < sizeof(good_reg) / sizeof(*good_reg); i++) {
		struct pd_registry *r = pd_registry_new(good_reg[i], &o, &e);

		ck_assert_msg(r != NULL, "%s: %s", good_reg[i], e.msg);
		pd_registry_free(r);
	}
	for (size_t i = 0; i < sizeof(bad_reg) / sizeof(*bad_reg); i++) {
		ck_assert_msg(pd_registry_new(bad_reg[i], &o, &e) == NULL, "%s accepted",
			      bad_reg[i]);
		EXPECT_INT(e.code, EINVAL);
	}
	o.chunk_size = 0;
	ck_assert_ptr_null(pd_registry_new("quay.io", &o, &e));
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct pd_registry_opts o;
	struct pd_error e;
	struct pd_registry *r;
	char *body = NULL;
	size_t len;
	struct membuf m = { 0 };
	static const char *const bad_accept[] = { "a\r\nX-Evil: 1", NULL };

	pd_registry_opts_init(&o);
	o.certs_dir_system = "/nonexistent";
	/* refused before anything is contacted (the port is closed) */
	r = pd_registry_new("127.0.0.1:1", &o, &e);
	ck_assert_ptr_nonnull(r);
	EXPECT_ERR(pd_registry_get_manifest(r, "Bad", "latest", ACCEPT, &body, &len, NULL, 0, NULL,
					    0, &e),
		   e, EINVAL, "repository name");
	EXPECT_ERR(pd_registry_get_manifest(r, "a", "../x", ACCEPT, &body, &len, NULL, 0, NULL, 0,
					    &e),
		   e, EINVAL, "neither a tag nor a digest");
	EXPECT_ERR(pd_registry_get_manifest(r, "a", "sha256:abc", ACCEPT, &body, &len, NULL, 0,
					    NULL, 0, &e),
		   e, EINVAL, "neither a tag nor a digest");
	EXPECT_ERR(pd_registry_get_manifest(r, "a", "v1", bad_accept, &body, &len, NULL, 0, NULL, 0,
					    &e),
		   e, EINVAL, "no valid media type");
	EXPECT_ERR(pd_registry_get_blob(r, "a", "sha256:00", -1, sink_mem, &m, &e), e, EINVAL,
		   "not a digest");
	EXPECT_ERR(
		pd_registry_put_manifest(r, "a",
					 "sha256:"
					 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
					 "7852b855",
					 OCI_MT, "{}", 2, NULL, &e),
		e, EINVAL, "the body's digest is sha256:44136fa");
	/* and a closed port is ECONNREFUSED, not retried */
	EXPECT_ERR(pd_registry_ping(r, &e), e, ECONNREFUSED, "https://127.0.0.1:1/v2/");
	pd_registry_free(r);
}
END_TEST

/* ---- docker-registry, plain HTTP ---- */

START_TEST(test_plain_push_pull)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	unsigned char *cfg = make_blob(1000, 7);
	char cd[PD_DIGEST_MAX], md[PD_DIGEST_MAX], got_d[PD_DIGEST_MAX], ct[128];
	char manifest[1024], *body = NULL, unknown[PD_DIGEST_MAX];
	struct memsrc src = { .data = cfg, .len = 1000 };
	struct membuf m = { 0 };
	int64_t size = 0;
	size_t len = 0;

	test_opts(&o, NULL);
	r = open_reg(L.plain, &o);
	ck_assert_msg(pd_registry_ping(r, &e) == 0, "ping: %s", e.msg);
	push_and_pull(r, "paude/one", 300000, 1, PD_REGISTRY_UPLOADED);
	push_and_pull(r, "paude/one", 300000, 1, PD_REGISTRY_EXISTED);
	push_and_pull(r, "paude/one", 0, 0, PD_REGISTRY_UPLOADED);

	sha256_digest(cfg, 1000, cd);
	EXPECT_INT(pd_registry_put_blob(r, "paude/one", cd, 1000, NULL, src_mem, &src, &e), 0);
	EXPECT_INT(pd_registry_blob_exists(r, "paude/one", cd, &size, &e), 1);
	EXPECT_INT(size, 1000);
	sha256_digest("x", 1, unknown);
	EXPECT_INT(pd_registry_blob_exists(r, "paude/one", unknown, &size, &e), 0);
	EXPECT_ERR(pd_registry_get_blob(r, "paude/one", unknown, -1, sink_mem, &m, &e), e, ENOENT,
		   "404 Not Found: BLOB_UNKNOWN");
	ck_assert_msg(strstr(e.msg, unknown) != NULL, "the blob is named: %s", e.msg);

	snprintf(manifest, sizeof(manifest),
		 "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
		 "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":1000},"
		 "\"layers\":[]}",
		 OCI_MT, cd);
	ck_assert_msg(pd_registry_put_manifest(r, "paude/one", "v1", OCI_MT, manifest,
					       strlen(manifest), md, &e) == 0,
		      "put manifest: %s", e.msg);
	sha256_digest(manifest, strlen(manifest), got_d);
	EXPECT_STR(md, got_d);
	ck_assert_msg(pd_registry_get_manifest(r, "paude/one", "v1", ACCEPT, &body, &len, ct,
					       sizeof(ct), got_d, 0, &e) == 0,
		      "get manifest: %s", e.msg);
	ck_assert_msg(len == strlen(manifest) && !strcmp(body, manifest), "body: %s", body);
	EXPECT_STR(ct, OCI_MT);
	EXPECT_STR(got_d, md);
	free(body);
	ck_assert_msg(pd_registry_get_manifest(r, "paude/one", md, ACCEPT, &body, &len, ct,
					       sizeof(ct), got_d, 0, &e) == 0,
		      "get manifest by digest: %s", e.msg);
	EXPECT_STR(got_d, md);
	free(body);
	/* and by digest under a tag name of its own */
	ck_assert_int_eq(pd_registry_put_manifest(r, "paude/one", md, OCI_MT, manifest,
						  strlen(manifest), NULL, &e),
			 0);
	EXPECT_ERR(pd_registry_get_manifest(r, "paude/one", "nope", ACCEPT, &body, &len, ct,
					    sizeof(ct), got_d, 0, &e),
		   e, ENOENT, "MANIFEST_UNKNOWN");
	ck_assert_msg(strstr(e.msg, "manifest 127.0.0.1:") &&
			      strstr(e.msg, "/paude/one:nope: GET "),
		      "context: %s", e.msg);
	/* a limit smaller than the manifest */
	EXPECT_ERR(pd_registry_get_manifest(r, "paude/one", "v1", ACCEPT, &body, &len, ct,
					    sizeof(ct), got_d, 16, &e),
		   e, EFBIG, "larger than 16 bytes");
	pd_registry_free(r);
	free(cfg);
}
END_TEST

START_TEST(test_plain_chunked_and_mount)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	unsigned char *b = make_blob(300000, 2);
	struct memsrc src = { .data = b, .len = 300000 };
	char d[PD_DIGEST_MAX], log[4200];
	int64_t size = 0;
	int patches;

	test_opts(&o, NULL);
	o.chunk_size = 65536;
	r = open_reg(L.plain, &o);
	snprintf(log, sizeof(log), "%s/plain/log", dir);
	patches = count_lines(log, "http.request.method=PATCH", "response completed", NULL);
	push_and_pull(r, "paude/chunked", 300000, 2, PD_REGISTRY_UPLOADED);
	patches =
		count_lines(log, "http.request.method=PATCH", "response completed", NULL) - patches;
	ck_assert_msg(patches == 5, "expected 5 PATCH requests of 64 KiB, the registry saw %d",
		      patches);
	/* exactly one chunk */
	push_and_pull(r, "paude/chunked", 65536, 22, PD_REGISTRY_UPLOADED);

	sha256_digest(b, 300000, d);
	EXPECT_INT(pd_registry_blob_exists(r, "paude/two", d, NULL, &e), 0);
	ck_assert_msg(pd_registry_put_blob(r, "paude/two", d, 300000, "paude/chunked", src_mem,
					   &src, &e) == PD_REGISTRY_MOUNTED,
		      "mount: %s", e.msg);
	EXPECT_INT(src.off, 0); /* not one byte read */
	EXPECT_INT(pd_registry_blob_exists(r, "paude/two", d, &size, &e), 1);
	EXPECT_INT(size, 300000);
	/* a mount from a repository without it: uploaded after all */
	pd_registry_free(r);
	test_opts(&o, NULL);
	r = open_reg(L.plain, &o);
	ck_assert_msg(pd_registry_put_blob(r, "paude/three", d, 300000, "paude/empty", src_mem,
					   &src, &e) == PD_REGISTRY_UPLOADED,
		      "mount from an empty repository: %s", e.msg);
	EXPECT_INT(src.off, 300000);
	pd_registry_free(r);
	free(b);
}
END_TEST

START_TEST(test_plain_bad_source)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	unsigned char *b = make_blob(300000, 3);
	struct memsrc src = { .data = b, .len = 300000 };
	char d[PD_DIGEST_MAX];

	test_opts(&o, NULL);
	r = open_reg(L.plain, &o);
	sha256_digest(b, 300000, d);
	b[12345] ^= 0x40; /* the bytes no longer have digest d */
	EXPECT_ERR(pd_registry_put_blob(r, "paude/bad", d, 300000, NULL, src_mem, &src, &e), e,
		   EBADMSG, "have digest sha256:");
	ck_assert_msg(strstr(e.msg, d) != NULL, "names the blob: %s", e.msg);
	EXPECT_INT(pd_registry_blob_exists(r, "paude/bad", d, NULL, &e), 0);
	EXPECT_INT(src.rewinds, 0);
	pd_registry_free(r);

	/* chunked: caught before the last PATCH completes */
	test_opts(&o, NULL);
	o.chunk_size = 100000;
	r = open_reg(L.plain, &o);
	src.off = 0;
	EXPECT_ERR(pd_registry_put_blob(r, "paude/bad", d, 300000, NULL, src_mem, &src, &e), e,
		   EBADMSG, "have digest sha256:");
	EXPECT_INT(pd_registry_blob_exists(r, "paude/bad", d, NULL, &e), 0);
	/* a source that ends early */
	src.off = 0;
	src.len = 1000;
	EXPECT_ERR(pd_registry_put_blob(r, "paude/bad", d, 300000, NULL, src_mem, &src, &e), e,
		   EBADMSG, "end after 1000 of 300000 bytes");
	EXPECT_INT(pd_registry_blob_exists(r, "paude/bad", d, NULL, &e), 0);
	pd_registry_free(r);
	free(b);
}
END_TEST

START_TEST(test_plain_sizes_and_scheme)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	struct membuf m = { 0 };
	char d[PD_DIGEST_MAX];
	unsigned char *b = make_blob(5000, 4);
	struct memsrc src = { .data = b, .len = 5000 };

	test_opts(&o, NULL);
	r = open_reg(L.plain, &o);
	sha256_digest(b, 5000, d);
	EXPECT_INT(pd_registry_put_blob(r, "paude/sizes", d, 5000, NULL, src_mem, &src, &e), 0);
	EXPECT_ERR(pd_registry_get_blob(r, "paude/sizes", d, 4999, sink_mem, &m, &e), e, EBADMSG,
		   "announces 5000 bytes, the blob has 4999");
	EXPECT_INT(m.len, 0);
	ck_assert_msg(pd_registry_get_blob(r, "paude/sizes", d, -1, sink_mem, &m, &e) == 0, "%s",
		      e.msg);
	EXPECT_INT(m.len, 5000);
	/* a sink that gives up */
	m.len = 0;
	m.fail_after = 100;
	EXPECT_ERR(pd_registry_get_blob(r, "paude/sizes", d, 5000, sink_mem, &m, &e), e, ECANCELED,
		   "stopped by the receiver");
	pd_registry_free(r);
	free(m.data);
	free(b);

	/* not insecure: HTTPS only, and this one speaks HTTP */
	test_opts(&o, NULL);
	o.insecure = false;
	r = open_reg(L.plain, &o);
	EXPECT_ERR(pd_registry_ping(r, &e), e, EPROTO, "GET https://127.0.0.1:");
	pd_registry_free(r);
}
END_TEST

/* ---- docker-registry over HTTPS ---- */

START_TEST(test_basic_tls)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	char *auth = pd_xasprintf("%s/auth-basic.json", dir);
	char *empty = pd_xasprintf("%s/empty-certs.d", dir);
	char name[64];
	unsigned char *b = make_blob(2000, 5);
	struct memsrc src = { .data = b, .len = 2000 };
	char d[PD_DIGEST_MAX];

	sha256_digest(b, 2000, d);
	mkdir(empty, 0700);
	/* the test CA unknown: refused, with the hint */
	test_opts(&o, NULL);
	o.certs_dir_system = empty;
	o.insecure = false;
	r = open_reg(L.basic, &o);
	EXPECT_ERR(pd_registry_ping(r, &e), e, EPROTO, "certs.d/HOST[:PORT]/*.crt");
	pd_registry_free(r);
	/* insecure: HTTP is tried after HTTPS, and both failures are told */
	o.insecure = true;
	r = open_reg(L.basic, &o);
	EXPECT_ERR(pd_registry_ping(r, &e), e, EPROTO, "over HTTPS: GET https://127.0.0.1:");
	ck_assert_msg(strstr(e.msg, "certificate") && strstr(e.msg, "; over HTTP: ") &&
			      strstr(e.msg, "GET http://127.0.0.1:") &&
			      strstr(e.msg, "400 Bad Request"),
		      "got %s", e.msg);
	pd_registry_free(r);
	/* --tls-verify=false: no certificate check, and no credentials: refused by Basic */
	o.tls_verify = false;
	o.insecure = false;
	r = open_reg(L.basic, &o);
	ck_assert_msg(pd_registry_ping(r, &e) == 0, "ping without verification: %s", e.msg);
	EXPECT_ERR(pd_registry_put_blob(r, "paude/basic", d, 2000, NULL, src_mem, &src, &e), e,
		   EACCES, "401 Unauthorized");
	pd_registry_free(r);
	/* the CA in certs.d, HTTPS only; a wrong password */
	test_opts(&o, NULL);
	o.insecure = false;
	o.username = "alice";
	o.password = "wrong";
	r = open_reg(L.basic, &o);
	EXPECT_ERR(pd_registry_put_blob(r, "paude/basic", d, 2000, NULL, src_mem, &src, &e), e,
		   EACCES, "401 Unauthorized");
	pd_registry_free(r);
	/* credentials from the auth file that login wrote */
	snprintf(name, sizeof(name), "127.0.0.1:%u", L.basic);
	ck_assert_msg(pd_auth_login(name, "alice", "secret", auth, &e) == 0, "%s", e.msg);
	test_opts(&o, auth);
	o.insecure = false;
	r = open_reg(L.basic, &o);
	push_and_pull(r, "paude/basic", 2000, 5, PD_REGISTRY_UPLOADED);
	push_and_pull(r, "paude/basic", 100000, 6, PD_REGISTRY_UPLOADED);
	pd_registry_free(r);
	free(auth);
	free(empty);
	free(b);
}
END_TEST

START_TEST(test_mtls)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	char *cd = pd_xasprintf("%s/ca-only.d", dir);
	char *cmd;

	/* the client certificate from certs.d */
	test_opts(&o, NULL);
	o.insecure = false;
	r = open_reg(L.mtls, &o);
	ck_assert_msg(pd_registry_ping(r, &e) == 0, "ping with a client certificate: %s", e.msg);
	push_and_pull(r, "paude/mtls", 3000, 8, PD_REGISTRY_UPLOADED);
	pd_registry_free(r);
	/* the CA alone: the server refuses the handshake */
	cmd = pd_xasprintf("mkdir -p '%s/127.0.0.1:%u' && cp '%s' '%s/127.0.0.1:%u/'", cd, L.mtls,
			   L.ca, cd, L.mtls);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	o.certs_dir_system = cd;
	r = open_reg(L.mtls, &o);
	ck_assert_int_eq(pd_registry_ping(r, &e), -1);
	pd_registry_free(r);
	/* the user's directory comes first */
	o.certs_dir_user = L.certs_d;
	r = open_reg(L.mtls, &o);
	ck_assert_msg(pd_registry_ping(r, &e) == 0, "certs_dir_user: %s", e.msg);
	pd_registry_free(r);
	/* a key without its certificate is refused up front */
	cmd = pd_xasprintf("touch '%s/127.0.0.1:%u/lonely.key'", cd, L.mtls);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	o.certs_dir_user = NULL;
	cmd = pd_xasprintf("127.0.0.1:%u", L.mtls);
	ck_assert_ptr_null(pd_registry_new(cmd, &o, &e));
	ck_assert_msg(strstr(e.msg, "lonely.key\" needs its pair") != NULL, "got %s", e.msg);
	free(cmd);
	free(cd);
}
END_TEST

/* ---- token authentication ---- */

START_TEST(test_token_auth)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	char *auth = pd_xasprintf("%s/auth-token.json", dir);
	char *idt = pd_xasprintf("%s/auth-idt.json", dir);
	char name[64], d[PD_DIGEST_MAX], md[PD_DIGEST_MAX], manifest[512], *body = NULL;
	unsigned char *b = make_blob(4000, 9);
	struct memsrc src = { .data = b, .len = 4000 };
	struct membuf m = { 0 };
	size_t len;
	int before;
	FILE *f;

	sha256_digest(b, 4000, d);
	snprintf(name, sizeof(name), "127.0.0.1:%u", L.token);
	/* anonymous: pull only */
	test_opts(&o, NULL);
	r = open_reg(L.token, &o);
	ck_assert_msg(pd_registry_ping(r, &e) == 0, "ping: %s", e.msg);
	EXPECT_ERR(pd_registry_put_blob(r, "team/app", d, 4000, NULL, src_mem, &src, &e), e, EACCES,
		   "anonymous: no credentials for 127.0.0.1:");
	pd_registry_free(r);

	/* alice: one token for the whole push (HEAD, POST, PUT, manifest PUT) */
	ck_assert_int_eq(pd_auth_login(name, "alice", "secret", auth, &e), 0);
	test_opts(&o, auth);
	r = open_reg(L.token, &o);
	before = count_lines(L.issuer_log, "\"GET\"", "\"alice\"",
			     "\"repository:team/app:pull,push\"", NULL);
	ck_assert_msg(pd_registry_put_blob(r, "team/app", d, 4000, NULL, src_mem, &src, &e) == 0,
		      "push as alice: %s", e.msg);
	snprintf(manifest, sizeof(manifest),
		 "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
		 "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":4000},"
		 "\"layers\":[]}",
		 OCI_MT, d);
	ck_assert_msg(pd_registry_put_manifest(r, "team/app", "latest", OCI_MT, manifest,
					       strlen(manifest), md, &e) == 0,
		      "put manifest: %s", e.msg);
	EXPECT_INT(count_lines(L.issuer_log, "\"GET\"", "\"alice\"",
			       "\"repository:team/app:pull,push\"", NULL) -
			   before,
		   1);
	/* a mount asks for both scopes in one token */
	ck_assert_msg(pd_registry_put_blob(r, "team/copy", d, 4000, "team/app", src_mem, &src,
					   &e) == PD_REGISTRY_MOUNTED,
		      "mount: %s", e.msg);
	EXPECT_INT(count_lines(L.issuer_log, "\"alice\"", "\"repository:team/copy:pull,push\"",
			       "\"repository:team/app:pull\"", NULL),
		   1);
	pd_registry_free(r);

	/* anonymous pull of what alice pushed; private/ is closed to anonymous */
	test_opts(&o, NULL);
	r = open_reg(L.token, &o);
	ck_assert_msg(pd_registry_get_manifest(r, "team/app", "latest", ACCEPT, &body, &len, NULL,
					       0, NULL, 0, &e) == 0,
		      "anonymous pull: %s", e.msg);
	free(body);
	ck_assert_msg(pd_registry_get_blob(r, "team/copy", d, 4000, sink_mem, &m, &e) == 0,
		      "anonymous pull of the mounted blob: %s", e.msg);
	EXPECT_INT(m.len, 4000);
	EXPECT_ERR(pd_registry_get_manifest(r, "private/x", "latest", ACCEPT, &body, &len, NULL, 0,
					    NULL, 0, &e),
		   e, EACCES, "401 Unauthorized");
	pd_registry_free(r);

	/* a wrong password: the token server says no */
	test_opts(&o, NULL);
	o.username = "alice";
	o.password = "wrong";
	r = open_reg(L.token, &o);
	EXPECT_ERR(pd_registry_get_blob(r, "team/app", d, 4000, sink_mem, &m, &e), e, EACCES,
		   "wrong user name or password");
	ck_assert_msg(strstr(e.msg,
			     "token for repository:team/app:pull (as alice, credentials "
			     "from the command line)"),
		      "got %s", e.msg);
	pd_registry_free(r);

	/* an identity token: the OAuth2 refresh grant (POST, access_token) */
	f = fopen(idt, "we");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"auths\":{\"%s\":{\"identitytoken\":\"refresh-alice\"}}}", name);
	fclose(f);
	test_opts(&o, idt);
	r = open_reg(L.token, &o);
	push_and_pull(r, "team/idt", 5000, 10, PD_REGISTRY_UPLOADED);
	EXPECT_INT(count_lines(L.issuer_log, "\"POST\"", "\"refresh_token\"", "\"alice\"",
			       "\"client_id\": \"paude\"", "repository:team/idt:pull,push", NULL),
		   1);
	pd_registry_free(r);
	free(m.data);
	free(b);
	free(auth);
	free(idt);
}
END_TEST

/* ---- the misbehaving registry ---- */

static char fake_digest[PD_DIGEST_MAX];
static size_t fake_size;
static unsigned char *fake_blob;

/* The fake's blob, computed as fake_registry.py does. */
static void fake_init(void)
{
	if (fake_blob)
		return;
	fake_size = 300000;
	fake_blob = pd_xmalloc(fake_size);
	for (size_t i = 0; i < fake_size; i++)
		fake_blob[i] = (unsigned char)((i * 7 + 3) % 251);
	sha256_digest(fake_blob, fake_size, fake_digest);
}

/* GET the fake's blob from @repo, its size given (@sized) or not. */
static int fake_get(struct pd_registry *r, const char *repo, bool sized, struct membuf *m,
		    struct pd_error *e)
{
	memset(m, 0, sizeof(*m));
	fake_init();
	return pd_registry_get_blob(r, repo, fake_digest, sized ? (int64_t)fake_size : -1, sink_mem,
				    m, e);
}

static void expect_blob(const struct membuf *m)
{
	ck_assert_msg(m->len == fake_size && !memcmp(m->data, fake_blob, fake_size),
		      "got %zu bytes (or they differ from the fake's blob)", m->len);
}

static int fake_requests(const char *repo)
{
	char path[256];

	snprintf(path, sizeof(path), "\"/v2/%s/blobs/", repo);
	return count_lines(L.fake_log, "\"server\": \"main\"", path, NULL);
}

START_TEST(test_fake_retries)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	struct membuf m;
	struct timespec t;
	long ms;

	test_opts(&o, NULL);
	o.retry_after_max_ms = 300;
	o.stall_timeout_s = 1;
	r = open_reg(L.fake, &o);
	/* 429 with an HTTP date 10 s ahead, capped at 300 ms (the bounds leave room for valgrind) */
	clock_gettime(CLOCK_MONOTONIC, &t);
	ck_assert_msg(fake_get(r, "retrydate", true, &m, &e) == 0, "%s", e.msg);
	ms = elapsed_ms(&t);
	ck_assert_msg(ms >= 250 && ms < 6000, "an HTTP-date Retry-After capped at 300 ms: %ld ms",
		      ms);
	expect_blob(&m);
	EXPECT_INT(fake_requests("retrydate"), 2);
	free(m.data);
	clock_gettime(CLOCK_MONOTONIC, &t);
	ck_assert_msg(fake_get(r, "retrybig", true, &m, &e) == 0, "%s", e.msg);
	ms = elapsed_ms(&t);
	ck_assert_msg(ms >= 250 && ms < 6000, "Retry-After: 3600 capped at 300 ms: %ld ms", ms);
	free(m.data);
	/* 503 twice */
	ck_assert_msg(fake_get(r, "retry503", true, &m, &e) == 0, "%s", e.msg);
	expect_blob(&m);
	EXPECT_INT(fake_requests("retry503"), 3);
	EXPECT_INT(m.resets, 0);
	free(m.data);
	/* a reset half way: the sink starts again */
	ck_assert_msg(fake_get(r, "reset", true, &m, &e) == 0, "%s", e.msg);
	expect_blob(&m);
	EXPECT_INT(m.resets, 1);
	EXPECT_INT(fake_requests("reset"), 2);
	free(m.data);
	/* a stall half way (stall_timeout_s 1) */
	clock_gettime(CLOCK_MONOTONIC, &t);
	ck_assert_msg(fake_get(r, "stall", true, &m, &e) == 0, "%s", e.msg);
	ms = elapsed_ms(&t);
	expect_blob(&m);
	EXPECT_INT(m.resets, 1);
	ck_assert_msg(ms >= 900 && ms < 7000,
		      "stall detected after %ld ms (the fake is silent 8 s)", ms);
	free(m.data);
	/* a manifest after 429 with Retry-After: 0 */
	{
		char *body = NULL, ct[128], dg[PD_DIGEST_MAX];
		size_t len;

		ck_assert_msg(pd_registry_get_manifest(r, "retry429", "v1", ACCEPT, &body, &len, ct,
						       sizeof(ct), dg, 0, &e) == 0,
			      "%s", e.msg);
		EXPECT_STR(ct, OCI_MT); /* "; charset=utf-8" dropped */
		free(body);
	}
	pd_registry_free(r);

	/* Retry-After: 1 honoured below the cap */
	test_opts(&o, NULL);
	r = open_reg(L.fake, &o);
	clock_gettime(CLOCK_MONOTONIC, &t);
	ck_assert_msg(fake_get(r, "retry429", true, &m, &e) == 0, "%s", e.msg);
	ms = elapsed_ms(&t);
	ck_assert_msg(ms >= 950, "Retry-After: 1 honoured: %ld ms", ms);
	free(m.data);
	/* always 500: given up after the retries, with the registry's words */
	pd_registry_free(r);
	test_opts(&o, NULL);
	o.retries = 2;
	r = open_reg(L.fake, &o);
	EXPECT_ERR(fake_get(r, "fail500", false, &m, &e), e, EIO,
		   "500 Internal Server Error: INTERNAL: the storage is on fire (after 2 retries)");
	EXPECT_INT(fake_requests("fail500"), 3);
	free(m.data);
	pd_registry_free(r);
}
END_TEST

START_TEST(test_fake_redirects)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	struct membuf m;
	char other[64];

	test_opts(&o, NULL);
	r = open_reg(L.fake, &o);
	/* to another host: it gets the blob request without the Authorization */
	ck_assert_msg(fake_get(r, "redirect", true, &m, &e) == 0, "%s", e.msg);
	expect_blob(&m);
	free(m.data);
	EXPECT_INT(count_lines(L.fake_log, "\"server\": \"main\"", "/v2/redirect/blobs/",
			       "\"authorization\": \"Bearer fake-token\"", NULL),
		   1);
	snprintf(other, sizeof(other), "\"Host\": \"127.0.0.2:%u\"", L.fake_other);
	EXPECT_INT(count_lines(L.fake_log, "\"server\": \"other\"", "/cdn/sha256:", other, NULL),
		   1);
	EXPECT_INT(count_lines(L.fake_log, "\"server\": \"other\"",
			       "/cdn/sha256:", "\"authorization\": null", NULL),
		   1);
	EXPECT_INT(count_lines(L.fake_log, "\"server\": \"other\"", "Bearer", NULL), 0);
	EXPECT_INT(count_lines(L.fake_log, "\"server\": \"other\"", "uthorization\": \"", NULL), 0);
	/* the CDN wants authentication of its own: not answered with the registry's */
	EXPECT_ERR(fake_get(r, "noauth-cdn", true, &m, &e), e, EACCES, "401 Unauthorized");
	ck_assert_msg(strstr(e.msg, "http://127.0.0.2:") != NULL, "names the CDN: %s", e.msg);
	EXPECT_INT(count_lines(L.fake_log, "\"server\": \"other\"", "/deny/", NULL), 1);
	EXPECT_INT(count_lines(L.fake_log, "\"server\": \"other\"", "Bearer", NULL), 0);
	free(m.data);
	/* to the same origin (a relative Location): the Authorization goes along */
	ck_assert_msg(fake_get(r, "redirect-same", true, &m, &e) == 0, "%s", e.msg);
	expect_blob(&m);
	free(m.data);
	EXPECT_ERR(fake_get(r, "redirect-loop", true, &m, &e), e, ELOOP, "more than 10 redirects");
	EXPECT_INT(fake_requests("redirect-loop"), 11);
	free(m.data);
	EXPECT_ERR(fake_get(r, "redirect-ftp", true, &m, &e), e, EPROTO, "not an HTTP(S) URL");
	free(m.data);
	pd_registry_free(r);
}
END_TEST

START_TEST(test_fake_bad_answers)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	struct membuf m;
	char *body = NULL, ct[128], dg[PD_DIGEST_MAX], mdigest[PD_DIGEST_MAX];
	size_t len;

	test_opts(&o, NULL);
	r = open_reg(L.fake, &o);
	EXPECT_ERR(fake_get(r, "corrupt", true, &m, &e), e, EBADMSG,
		   "digest mismatch: the 300000 bytes received have sha256:");
	ck_assert_msg(strstr(e.msg, fake_digest) != NULL, "names the blob: %s", e.msg);
	free(m.data);
	EXPECT_ERR(fake_get(r, "corrupt", false, &m, &e), e, EBADMSG, "digest mismatch");
	free(m.data);
	EXPECT_ERR(fake_get(r, "long", true, &m, &e), e, EBADMSG, "announces 300001 bytes");
	free(m.data);
	EXPECT_ERR(fake_get(r, "chunkedlong", true, &m, &e), e, EBADMSG,
		   "more than the blob's 300000 bytes");
	free(m.data);
	EXPECT_ERR(fake_get(r, "chunkedlong", false, &m, &e), e, EBADMSG, "digest mismatch");
	free(m.data);
	EXPECT_ERR(fake_get(r, "notfound", false, &m, &e), e, ENOENT,
		   "404 Not Found: BLOB_UNKNOWN: blob unknown to registry");
	free(m.data);

	ck_assert_msg(pd_registry_get_manifest(r, "ok", "v1", ACCEPT, &body, &len, ct, sizeof(ct),
					       mdigest, 0, &e) == 0,
		      "%s", e.msg);
	free(body);
	EXPECT_ERR(pd_registry_get_manifest(r, "badtype", "v1", ACCEPT, &body, &len, ct, sizeof(ct),
					    dg, 0, &e),
		   e, EPROTO, "Content-Type \"text/html\", not one of");
	EXPECT_ERR(pd_registry_get_manifest(r, "huge", "v1", ACCEPT, &body, &len, ct, sizeof(ct),
					    dg, 0, &e),
		   e, EFBIG, "larger than 4194304 bytes");
	EXPECT_ERR(pd_registry_get_manifest(r, "hugechunked", "v1", ACCEPT, &body, &len, ct,
					    sizeof(ct), dg, 0, &e),
		   e, EFBIG, "larger than 4194304 bytes");
	EXPECT_ERR(pd_registry_get_manifest(r, "baddigest", "v1", ACCEPT, &body, &len, ct,
					    sizeof(ct), dg, 0, &e),
		   e, EBADMSG, "Docker-Content-Digest says sha256:0000");
	/* by digest: the body must have it */
	EXPECT_ERR(pd_registry_get_manifest(r, "ok", fake_digest, ACCEPT, &body, &len, ct,
					    sizeof(ct), dg, 0, &e),
		   e, EBADMSG, "the registry sent a body with digest");
	ck_assert_msg(pd_registry_get_manifest(r, "ok", mdigest, ACCEPT, &body, &len, ct,
					       sizeof(ct), dg, 0, &e) == 0,
		      "%s", e.msg);
	EXPECT_STR(dg, mdigest);
	free(body);
	pd_registry_free(r);
}
END_TEST

START_TEST(test_fake_upload_retry)
{
	struct pd_registry_opts o;
	struct pd_registry *r;
	struct pd_error e = { 0 };
	unsigned char *b = make_blob(10000, 11);
	struct memsrc src = { .data = b, .len = 10000 };
	char d[PD_DIGEST_MAX];

	sha256_digest(b, 10000, d);
	test_opts(&o, NULL);
	r = open_reg(L.fake, &o);
	ck_assert_msg(pd_registry_put_blob(r, "upload", d, 10000, NULL, src_mem, &src, &e) ==
			      PD_REGISTRY_UPLOADED,
		      "%s", e.msg);
	EXPECT_INT(src.rewinds, 0);
	/* the first PUT answers 503: a new session, the source rewound */
	src.off = 0;
	ck_assert_msg(pd_registry_put_blob(r, "flaky", d, 10000, NULL, src_mem, &src, &e) ==
			      PD_REGISTRY_UPLOADED,
		      "%s", e.msg);
	EXPECT_INT(src.rewinds, 1);
	EXPECT_INT(count_lines(L.fake_log, "\"POST\"", "/v2/flaky/blobs/uploads/", NULL), 2);
	pd_registry_free(r);
	free(b);
}
END_TEST

static void live_free(void)
{
	free(fake_blob);
	fake_blob = NULL;
}

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tn = tcase_create("offline");
	TCase *tl = tcase_create("live");

	tcase_add_test(tn, test_names);
	tcase_add_test(tn, test_bad_arguments);
	suite_add_tcase(s, tn);
	tcase_add_unchecked_fixture(tl, live_setup, live_teardown);
	tcase_add_checked_fixture(tl, NULL, live_free);
	tcase_set_timeout(tl, 120);
	tcase_add_test(tl, test_plain_push_pull);
	tcase_add_test(tl, test_plain_chunked_and_mount);
	tcase_add_test(tl, test_plain_bad_source);
	tcase_add_test(tl, test_plain_sizes_and_scheme);
	tcase_add_test(tl, test_basic_tls);
	tcase_add_test(tl, test_mtls);
	tcase_add_test(tl, test_token_auth);
	tcase_add_test(tl, test_fake_retries);
	tcase_add_test(tl, test_fake_redirects);
	tcase_add_test(tl, test_fake_bad_answers);
	tcase_add_test(tl, test_fake_upload_retry);
	suite_add_tcase(s, tl);
	return s;
}

PD_UNIT_SUITE(registry_suite);
