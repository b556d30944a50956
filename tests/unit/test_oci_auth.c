/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for oci/auth.c: the WWW-Authenticate parser (exact challenges
 * and every class of malformed header), token answers and the token cache,
 * base64, credentials from auth files and docker-credential helpers (a fake
 * helper script on $PATH), and login/logout (file contents, mode 0600).
 *
 * The credential tests run with HOME, XDG_RUNTIME_DIR and PATH pointing into
 * a scratch directory (setenv), restored afterwards: the runner may not fork
 * (CK_FORK=no in the ASan run).
 */
#include "unit.h"
#include "oci/auth.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- WWW-Authenticate ---- */

static int parse(const char *h, struct pd_auth_challenge *c, size_t cap, const char **why)
{
	return pd_www_auth_parse(h, strlen(h), c, cap, why);
}

START_TEST(test_www_bearer)
{
	struct pd_auth_challenge c[4];
	const char *why = NULL;
	int n = parse(
		"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		"scope=\"repository:library/alpine:pull\"",
		c, 4, &why);

	ck_assert_msg(n == 1, "expected 1 challenge, got %d (%s)", n, why ? why : "");
	EXPECT_INT(c[0].scheme, PD_AUTH_BEARER);
	EXPECT_STR(c[0].scheme_name, "Bearer");
	EXPECT_STR(c[0].realm, "https://auth.docker.io/token");
	EXPECT_STR(c[0].service, "registry.docker.io");
	EXPECT_STR(c[0].scope, "repository:library/alpine:pull");
	EXPECT_STR(c[0].error, "");
	EXPECT_INT(c[0].token68, false);
	EXPECT_UINT(c[0].n_params, 3);
}
END_TEST

START_TEST(test_www_basic_and_several)
{
	struct pd_auth_challenge c[4];
	const char *why = NULL;
	int n = parse("Basic realm=\"Registry Realm\"", c, 4, &why);

	EXPECT_INT(n, 1);
	EXPECT_INT(c[0].scheme, PD_AUTH_BASIC);
	EXPECT_STR(c[0].realm, "Registry Realm");

	/* two challenges in one list; BWS around '='; a comma inside quotes */
	n =
		parse("Bearer realm = \"a,b\" , service= svc ,scope=\"repository:x:pull,push\", "
		      "Basic realm=\"c\"",
		      c, 4, &why);
	ck_assert_msg(n == 2, "expected 2 challenges, got %d (%s)", n, why ? why : "");
	EXPECT_STR(c[0].realm, "a,b");
	EXPECT_STR(c[0].service, "svc");
	EXPECT_STR(c[0].scope, "repository:x:pull,push");
	EXPECT_INT(c[1].scheme, PD_AUTH_BASIC);
	EXPECT_STR(c[1].realm, "c");

	/* a scheme alone, then another; empty list elements */
	n = parse(" , Basic,, Bearer realm=x ,", c, 4, &why);
	EXPECT_INT(n, 2);
	EXPECT_INT(c[0].scheme, PD_AUTH_BASIC);
	EXPECT_UINT(c[0].n_params, 0);
	EXPECT_STR(c[1].realm, "x");
	EXPECT_INT(parse("Basic", c, 4, &why), 1);
}
END_TEST

START_TEST(test_www_escapes_case_token68)
{
	struct pd_auth_challenge c[4];
	const char *why = NULL;
	int n;

	n = parse("Bearer realm=\"a\\\"b\\\\c\\d\"", c, 4, &why);
	EXPECT_INT(n, 1);
	EXPECT_STR(c[0].realm, "a\"b\\cd");

	/* scheme and parameter names case-insensitive; names kept as sent */
	n = parse("bEaReR REALM=\"x\", Service=y, ERROR=insufficient_scope", c, 4, &why);
	EXPECT_INT(n, 1);
	EXPECT_INT(c[0].scheme, PD_AUTH_BEARER);
	EXPECT_STR(c[0].scheme_name, "bEaReR");
	EXPECT_STR(c[0].realm, "x");
	EXPECT_STR(c[0].service, "y");
	EXPECT_STR(c[0].error, "insufficient_scope");

	/* token68, then another challenge; unknown schemes are OTHER */
	n = parse("Negotiate abc/+12==, Basic realm=\"r\"", c, 4, &why);
	EXPECT_INT(n, 2);
	EXPECT_INT(c[0].scheme, PD_AUTH_OTHER);
	EXPECT_INT(c[0].token68, true);
	EXPECT_STR(c[1].realm, "r");

	/* unknown parameters count and are dropped; tabs, UTF-8 in quotes */
	n = parse("Bearer realm=\"r\\\t\xc3\xa9\",foo=bar,x=\"y\"", c, 4, &why);
	EXPECT_INT(n, 1);
	EXPECT_STR(c[0].realm, "r\t\xc3\xa9");
	EXPECT_UINT(c[0].n_params, 3);
}
END_TEST

START_TEST(test_www_malformed)
{
	static const struct {
		const char *hdr;
		const char *why;
	} bad[] = {
		{ "", "empty header" },
		{ "   ", "no challenge" },
		{ ",", "no challenge" },
		{ "realm=\"x\"", "parameter before any scheme" },
		{ "=x", "byte outside a token" },
		{ "Bearer realm=\"x", "unterminated quoted string" },
		{ "Bearer realm=\"x\\", "unterminated quoted string" },
		{ "Bearer a=b, c=", "parameter without a value" },
		{ "Bearer a=b, c= ,", "parameter without a value" },
		{ "Bearer realm=\"a\" service=\"b\"", "expected ',' after a parameter" },
		{ "Bearer realm=x y", "expected ',' after a parameter" },
		{ "Bearer realm=a\x7f", "expected ',' after a parameter" },
		{ "Bearer realm=\"a\", realm=\"b\"", "parameter repeated in one challenge" },
		{ "Bearer realm=\"a\", REALM=\"b\"", "parameter repeated in one challenge" },
		{ "Bearer x=1, y=2, X=3", "parameter repeated in one challenge" },
		{ "Bearer \"x\"", "byte outside a token" },
		{ "Bearer\trealm=\"x\"", "expected a space after the scheme" },
		{ "Bearer;realm=x", "expected a space after the scheme" },
		{ "Bearer foo bar", "expected a parameter or token68 after the scheme" },
		{ "Bearer realm=\"a\x01\"", "control byte in a quoted string" },
		{ "Bearer realm=\"a\\\x01\"", "control byte escaped in a quoted string" },
		{ "Negotiate abc==, realm=x", "parameter after a token68" },
		{ "Negotiate abc== def", "parameter without a value" },
		{ "Bearer r\xc3\xa9"
		  "alm=x",
		  "expected a parameter or token68 after the scheme" },
	};
	struct pd_auth_challenge c[4];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		int n = parse(bad[i].hdr, c, 4, &why);

		ck_assert_msg(n == -1, "\"%s\": expected a refusal, got %d", bad[i].hdr, n);
		ck_assert_msg(why && !strcmp(why, bad[i].why),
			      "\"%s\": expected \"%s\", got \"%s\"", bad[i].hdr, bad[i].why,
			      why ? why : "(null)");
	}
}
END_TEST

START_TEST(test_www_bounds)
{
	struct pd_auth_challenge c[4];
	const char *why = NULL;
	char *h = malloc(PD_WWW_AUTH_MAX + 64);
	size_t n;

	ck_assert_ptr_nonnull(h);
	/* NUL is a control byte, even inside quotes */
	ck_assert_int_eq(pd_www_auth_parse("Basic realm=\"a\0b\"", 17, c, 4, &why), -1);
	EXPECT_STR(why, "control byte in a quoted string");
	/* more challenges than room */
	ck_assert_int_eq(parse("Basic, Bearer realm=x, Digest", c, 2, &why), -1);
	EXPECT_STR(why, "too many challenges");
	/* a kept value that does not fit its field; an unknown one of any length */
	n = (size_t)snprintf(h, PD_WWW_AUTH_MAX, "Bearer realm=\"");
	memset(h + n, 'a', 1100);
	snprintf(h + n + 1100, 8, "\"");
	ck_assert_int_eq(parse(h, c, 4, &why), -1);
	EXPECT_STR(why, "parameter value too long");
	memcpy(h + 7, "other", 5);
	ck_assert_int_eq(parse(h, c, 4, &why), 1);
	/* a scheme name longer than its field */
	ck_assert_int_eq(parse("Abcdefghijabcdefghijabcdefghijabcdefghij", c, 4, &why), -1);
	EXPECT_STR(why, "scheme name too long");
	/* 33 parameters */
	n = (size_t)snprintf(h, PD_WWW_AUTH_MAX, "Bearer p0=x");
	for (int i = 1; i < 33; i++)
		n += (size_t)snprintf(h + n, PD_WWW_AUTH_MAX - n, ",p%d=x", i);
	ck_assert_int_eq(parse(h, c, 4, &why), -1);
	EXPECT_STR(why, "too many parameters");
	/* the whole header */
	memset(h, ' ', PD_WWW_AUTH_MAX + 1);
	memcpy(h, "Basic", 5);
	ck_assert_int_eq(pd_www_auth_parse(h, PD_WWW_AUTH_MAX + 1, c, 4, &why), -1);
	EXPECT_STR(why, "header too long");
	ck_assert_int_eq(pd_www_auth_parse(h, PD_WWW_AUTH_MAX, c, 4, &why), 1);
	free(h);
}
END_TEST

/* ---- tokens ---- */

START_TEST(test_token_answer)
{
	struct pd_error e;
	char *tok = NULL, *refresh = NULL;
	int64_t exp = 0;
	const char *j;

	j = "{\"token\":\"abc.def\",\"expires_in\":300,\"refresh_token\":\"r1\"}";
	ck_assert_int_eq(pd_auth_parse_token(j, strlen(j), &tok, &exp, &refresh, &e), 0);
	EXPECT_STR(tok, "abc.def");
	EXPECT_INT(exp, 300);
	EXPECT_STR(refresh, "r1");
	free(tok);
	free(refresh);
	/* access_token (OAuth2) when "token" is absent or empty; a short life is 60 s */
	j = "{\"token\":\"\",\"access_token\":\"xyz\",\"expires_in\":10}";
	ck_assert_int_eq(pd_auth_parse_token(j, strlen(j), &tok, &exp, &refresh, &e), 0);
	EXPECT_STR(tok, "xyz");
	EXPECT_INT(exp, 60);
	ck_assert_ptr_null(refresh);
	free(tok);
	j = "{\"access_token\":\"q\"}";
	ck_assert_int_eq(pd_auth_parse_token(j, strlen(j), &tok, &exp, NULL, &e), 0);
	EXPECT_INT(exp, PD_TOKEN_MIN_LIFETIME);
	free(tok);

	static const char *const bad[] = {
		"not json",
		"[]",
		"{}",
		"{\"token\":3}",
		"{\"token\":\"a b\"}",
		"{\"token\":\"a\\r\\nX-Evil: 1\"}",
		"{\"token\":\"ok\",\"refresh_token\":\"a\\nb\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tok = NULL;
		ck_assert_msg(pd_auth_parse_token(bad[i], strlen(bad[i]), &tok, &exp, &refresh,
						  &e) == -1,
			      "%s: expected a refusal", bad[i]);
		ck_assert_ptr_null(tok);
		EXPECT_INT(e.code, EPROTO);
	}
}
END_TEST

START_TEST(test_token_cache)
{
	struct pd_token_cache *c = pd_token_cache_new();
	char key[32];

	pd_token_cache_put(c, "r repository:a:pull", "T1", 60, 0);
	EXPECT_STR(pd_token_cache_get(c, "r repository:a:pull", 49999), "T1");
	ck_assert_ptr_null(pd_token_cache_get(c, "r repository:a:pull,push", 1));
	/* expired 10 s early */
	ck_assert_ptr_null(pd_token_cache_get(c, "r repository:a:pull", 50000));
	/* a short life: half of it */
	pd_token_cache_put(c, "k", "T2", 10, 1000);
	EXPECT_STR(pd_token_cache_get(c, "k", 5999), "T2");
	ck_assert_ptr_null(pd_token_cache_get(c, "k", 6000));
	/* replace, drop */
	pd_token_cache_put(c, "k", "T3", 60, 0);
	pd_token_cache_put(c, "k", "T4", 60, 0);
	EXPECT_STR(pd_token_cache_get(c, "k", 0), "T4");
	pd_token_cache_drop(c, "k");
	ck_assert_ptr_null(pd_token_cache_get(c, "k", 0));
	/* full: the entry that expires first goes */
	for (int i = 0; i < 64; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		pd_token_cache_put(c, key, "T", i == 7 ? 61 : 3600, 0);
	}
	pd_token_cache_put(c, "new", "N", 3600, 0);
	EXPECT_STR(pd_token_cache_get(c, "new", 0), "N");
	ck_assert_ptr_null(pd_token_cache_get(c, "k7", 0));
	EXPECT_STR(pd_token_cache_get(c, "k8", 0), "T");
	pd_token_cache_free(c);
}
END_TEST

START_TEST(test_base64)
{
	static const char *const plain[] = { "", "a", "ab", "abc", "user:pa:ss", "\xff\x00\x10" };
	static const size_t plen[] = { 0, 1, 2, 3, 10, 3 };
	static const char *const enc[] = { "", "YQ==", "YWI=", "YWJj", "dXNlcjpwYTpzcw==", "/wAQ" };
	static const char *const bad[] = { "YQ=",      "Y===", "YR==", "YWJ=",
					   "YQ==YQ==", "@@@@", "YW J", "=AAA" };
	size_t n;

	for (size_t i = 0; i < 6; i++) {
		char *e = pd_base64_encode(plain[i], plen[i]);
		char *d = pd_base64_decode(enc[i], strlen(enc[i]), &n);

		EXPECT_STR(e, enc[i]);
		ck_assert_ptr_nonnull(d);
		ck_assert_msg(n == plen[i] && !memcmp(d, plain[i], n), "decode \"%s\"", enc[i]);
		free(e);
		free(d);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(pd_base64_decode(bad[i], strlen(bad[i]), &n) == NULL,
			      "\"%s\": expected a refusal", bad[i]);
}
END_TEST

/* ---- credentials: a scratch HOME, XDG_RUNTIME_DIR and PATH ---- */

static const char *const saved_names[] = {
	"HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "PATH"
};
#define N_SAVED (sizeof(saved_names) / sizeof(saved_names[0]))
static char *saved[N_SAVED];
static char *tmp;

static char *path_in(const char *rel)
{
	return pd_xasprintf("%s/%s", tmp, rel);
}

static void write_file(const char *rel, const char *text, mode_t mode)
{
	char *p = path_in(rel);
	char *dir = pd_xstrdup(p);
	char cmd[4200];
	FILE *f;

	*strrchr(dir, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(p, "we");
	ck_assert_msg(f != NULL, "create %s", p);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	free(dir);
	free(p);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = pd_xmalloc(1 << 16);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The fake helper: answers from the server name on its stdin, logs its calls. */
static const char helper_sh[] =
	"#!/bin/sh\n"
	"server=$(cat)\n"
	"echo \"$1 $server\" >>\"$(dirname \"$0\")/helper.log\"\n"
	"case \"$server\" in\n"
	"reg.example) printf '{\"ServerURL\":\"%s\",\"Username\":\"hu\",\"Secret\":\"hs\"}' "
	"\"$server\" ;;\n"
	"tok.example) printf '{\"Username\":\"<token>\",\"Secret\":\"idt\"}' ;;\n"
	"https://index.docker.io/v1/) printf '{\"Username\":\"dh\",\"Secret\":\"ds\"}' ;;\n"
	"slow.example) exec sleep 10 ;;\n"
	"bad.example) echo 'not json' ;;\n"
	"colon.example) printf '{\"Username\":\"a:b\",\"Secret\":\"s\"}' ;;\n"
	"fail.example) echo 'boom: helper failure'; exit 3 ;;\n"
	"*) echo 'credentials not found in native keychain'; exit 1 ;;\n"
	"esac\n";

/* Set @name to a path in the scratch directory. */
static void set_env_in(const char *name, const char *rel)
{
	char *p = path_in(rel);

	setenv(name, p, 1);
	free(p);
}

static void creds_setup(void)
{
	char *bin, *path;

	for (size_t i = 0; i < N_SAVED; i++)
		saved[i] = getenv(saved_names[i]) ? pd_xstrdup(getenv(saved_names[i])) : NULL;
	tmp = pd_unit_tmpdir();
	bin = path_in("bin");
	path = pd_xasprintf("%s:%s", bin, saved[5] ? saved[5] : "/usr/bin:/bin");
	write_file("bin/docker-credential-test", helper_sh, 0755);
	set_env_in("HOME", "home");
	set_env_in("XDG_RUNTIME_DIR", "run");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("DOCKER_CONFIG");
	setenv("PATH", path, 1);
	free(bin);
	free(path);
}

static void creds_teardown(void)
{
	for (size_t i = 0; i < N_SAVED; i++) {
		if (saved[i])
			setenv(saved_names[i], saved[i], 1);
		else
			unsetenv(saved_names[i]);
		free(saved[i]);
		saved[i] = NULL;
	}
	pd_unit_rmrf(tmp);
	free(tmp);
	tmp = NULL;
}

static void expect_paths(char **v, const char *const *want)
{
	size_t i = 0;

	for (; want[i]; i++) {
		char *w = want[i][0] == '/' ? pd_xstrdup(want[i]) : path_in(want[i]);

		ck_assert_msg(v[i] != NULL, "path %zu: expected %s, got the end", i, w);
		EXPECT_STR(v[i], w);
		free(w);
	}
	ck_assert_msg(v[i] == NULL, "expected %zu paths, got more: %s", i, v[i]);
	pd_strv_free(v);
}

START_TEST(test_auth_file_paths)
{
	char run_root[64];

	expect_paths(pd_auth_file_paths(NULL),
		     (const char *const[]){ "run/containers/auth.json",
					    "home/.config/containers/auth.json",
					    "home/.docker/config.json", NULL });
	set_env_in("XDG_CONFIG_HOME", "cfg");
	set_env_in("DOCKER_CONFIG", "dock");
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(run_root, sizeof(run_root), "/run/containers/%u/auth.json", getuid());
	expect_paths(pd_auth_file_paths(NULL),
		     (const char *const[]){ run_root, "cfg/containers/auth.json",
					    "dock/config.json", NULL });
	set_env_in("REGISTRY_AUTH_FILE", "f.json");
	expect_paths(pd_auth_file_paths(NULL), (const char *const[]){ "f.json", NULL });
	expect_paths(pd_auth_file_paths("/explicit.json"),
		     (const char *const[]){ "/explicit.json", NULL });
}
END_TEST

static int lookup(const char *reg, const char *repo, struct pd_auth_creds *c, struct pd_error *e)
{
	memset(e, 0, sizeof(*e));
	return pd_auth_lookup(reg, repo, NULL, c, e);
}

START_TEST(test_auth_lookup_order)
{
	struct pd_auth_creds c;
	struct pd_error e;
	char *want;

	ck_assert_int_eq(lookup("quay.io", "a/b", &c, &e), 0);
	/* dXNlcjE6cDE= is user1:p1, dXNlcjI6cDI= user2:p2 */
	write_file("home/.config/containers/auth.json",
		   "{\"auths\":{\"quay.io\":{\"auth\":\"dXNlcjI6cDI=\"}}}", 0600);
	ck_assert_int_eq(lookup("quay.io", "a/b", &c, &e), 1);
	EXPECT_STR(c.username, "user2");
	pd_auth_creds_release(&c);
	write_file("run/containers/auth.json",
		   "{\"auths\":{\"quay.io\":{\"auth\":\"dXNlcjE6cDE=\"}}}", 0600);
	ck_assert_int_eq(lookup("quay.io", "a/b", &c, &e), 1);
	EXPECT_STR(c.username, "user1");
	EXPECT_STR(c.password, "p1");
	want = path_in("run/containers/auth.json");
	EXPECT_STR(c.from, want);
	free(want);
	pd_auth_creds_release(&c);
	/* docker's legacy key for docker.io, in the docker config */
	write_file("home/.docker/config.json",
		   "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dXNlcjI6cDI=\"}}}",
		   0600);
	ck_assert_int_eq(lookup("docker.io", "library/alpine", &c, &e), 1);
	EXPECT_STR(c.username, "user2");
	pd_auth_creds_release(&c);
	ck_assert_int_eq(lookup("index.docker.io", NULL, &c, &e), 1);
	pd_auth_creds_release(&c);
	/* an explicit file is the only one */
	ck_assert_int_eq(pd_auth_lookup("quay.io", NULL, "/nonexistent/auth.json", &c, &e), 0);
}
END_TEST

START_TEST(test_auth_lookup_scoped)
{
	/* A = a:1, B = b:2, C = c:3 */
	static const struct {
		const char *repo;
		const char *user;
	} cases[] = {
		{ "org/repo", "c" }, { "org/repo/sub", "c" }, { "org/other", "b" },
		{ "org", "b" },      { "orgx/repo", "a" },    { NULL, "a" },
	};
	struct pd_auth_creds c;
	struct pd_error e;

	write_file("run/containers/auth.json",
		   "{\"auths\":{\"quay.io\":{\"auth\":\"YTox\"},"
		   "\"quay.io/org/\":{\"auth\":\"Yjoy\"},"
		   "\"quay.io/org/repo\":{\"auth\":\"Yzoz\"},"
		   "\"quay.iox\":{\"auth\":\"eDp4\"},"
		   "\"other.io\":{\"identitytoken\":\"IT\"}}}",
		   0600);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(lookup("quay.io", cases[i].repo, &c, &e), 1);
		ck_assert_msg(!strcmp(c.username, cases[i].user), "repo %s: expected %s, got %s",
			      cases[i].repo ? cases[i].repo : "(none)", cases[i].user, c.username);
		pd_auth_creds_release(&c);
	}
	ck_assert_int_eq(lookup("other.io", "x", &c, &e), 1);
	ck_assert_ptr_null(c.username);
	EXPECT_STR(c.identity_token, "IT");
	pd_auth_creds_release(&c);
	ck_assert_int_eq(lookup("quay", "x", &c, &e), 0);
}
END_TEST

START_TEST(test_auth_lookup_bad_files)
{
	static const struct {
		const char *json;
		const char *msg;
	} bad[] = {
		{ "not json", "is not a JSON object" },
		{ "[1]", "is not a JSON object" },
		{ "{\"auths\":{\"q.io\":{\"auth\":\"!!!!\"}}}", "\"q.io\".\"auth\" is not base64" },
		{ "{\"auths\":{\"q.io\":{\"auth\":\"bm9jb2xvbg==\"}}}", "is not base64 of user" },
		{ "{\"auths\":{\"q.io\":{\"auth\":\"OnA=\"}}}", "is not base64 of user" },
	};
	struct pd_auth_creds c;
	struct pd_error e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file("run/containers/auth.json", bad[i].json, 0600);
		ck_assert_msg(lookup("q.io", NULL, &c, &e) == -1, "%s: expected an error",
			      bad[i].json);
		ck_assert_msg(strstr(e.msg, bad[i].msg) &&
				      strstr(e.msg, "run/containers/auth.json"),
			      "%s: expected \"%s\" naming the file, got \"%s\"", bad[i].json,
			      bad[i].msg, e.msg);
	}
	/* an entry without credentials moves on to the next file */
	write_file("run/containers/auth.json", "{\"auths\":{\"q.io\":{}}}", 0600);
	write_file("home/.docker/config.json", "{\"auths\":{\"q.io\":{\"auth\":\"YTox\"}}}", 0600);
	ck_assert_int_eq(lookup("q.io", NULL, &c, &e), 1);
	EXPECT_STR(c.username, "a");
	pd_auth_creds_release(&c);
}
END_TEST

START_TEST(test_auth_helpers)
{
	struct pd_auth_creds c;
	struct pd_error e;
	char *log, *logpath;

	write_file("home/.docker/config.json",
		   "{\"credHelpers\":{\"reg.example\":\"test\",\"fail.example\":\"test\"},"
		   "\"credsStore\":\"test\","
		   "\"auths\":{\"tok.example\":{},\"plain.example\":{\"auth\":\"YTox\"}}}",
		   0600);
	ck_assert_int_eq(lookup("reg.example", "x/y", &c, &e), 1);
	EXPECT_STR(c.username, "hu");
	EXPECT_STR(c.password, "hs");
	ck_assert_msg(strstr(c.from, "docker-credential-test") != NULL, "from: %s", c.from);
	pd_auth_creds_release(&c);
	/* credsStore for an empty auths entry: an identity token */
	ck_assert_int_eq(lookup("tok.example", NULL, &c, &e), 1);
	EXPECT_STR(c.identity_token, "idt");
	ck_assert_ptr_null(c.username);
	pd_auth_creds_release(&c);
	/* an auths entry with credentials wins over credsStore */
	ck_assert_int_eq(lookup("plain.example", NULL, &c, &e), 1);
	EXPECT_STR(c.username, "a");
	pd_auth_creds_release(&c);
	/* the helper knows nothing: none */
	ck_assert_int_eq(lookup("nothere.example", NULL, &c, &e), 0);
	/* docker.io: asked again under docker's legacy URL */
	ck_assert_int_eq(lookup("docker.io", "library/x", &c, &e), 1);
	EXPECT_STR(c.username, "dh");
	pd_auth_creds_release(&c);
	/* a failing helper is an error naming it and its output */
	ck_assert_int_eq(lookup("fail.example", NULL, &c, &e), -1);
	ck_assert_msg(strstr(e.msg,
			     "docker-credential-test get: exit status 3: boom: helper "
			     "failure") != NULL,
		      "got \"%s\"", e.msg);
	logpath = path_in("bin/helper.log");
	log = read_text(logpath);
	free(logpath);
	ck_assert_ptr_nonnull(log);
	ck_assert_msg(strstr(log, "get reg.example\n") && strstr(log, "get tok.example\n") &&
			      strstr(log, "get docker.io\nget https://index.docker.io/v1/\n") &&
			      !strstr(log, "plain.example"),
		      "helper calls:\n%s", log);
	free(log);
}
END_TEST

START_TEST(test_cred_helper_direct)
{
	struct pd_auth_creds c;
	struct pd_error e;
	struct timespec a, b;
	long ms;

	ck_assert_int_eq(pd_cred_helper_get("test", "bad.example", 5000, &c, &e), -1);
	EXPECT_INT(e.code, EPROTO);
	ck_assert_int_eq(pd_cred_helper_get("test", "colon.example", 5000, &c, &e), -1);
	EXPECT_INT(e.code, EPROTO);
	ck_assert_int_eq(pd_cred_helper_get("missing", "x", 5000, &c, &e), -1);
	EXPECT_INT(e.code, ENOENT);
	ck_assert_msg(strstr(e.msg, "docker-credential-missing") != NULL, "got \"%s\"", e.msg);
	ck_assert_int_eq(pd_cred_helper_get("../test", "x", 5000, &c, &e), -1);
	EXPECT_INT(e.code, EINVAL);
	ck_assert_int_eq(pd_cred_helper_get("test", "a\nb", 5000, &c, &e), -1);
	EXPECT_INT(e.code, EINVAL);
	/* a helper that hangs is killed */
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(pd_cred_helper_get("test", "slow.example", 300, &c, &e), -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	EXPECT_INT(e.code, ETIMEDOUT);
	ck_assert_msg(ms >= 290 && ms < 3000, "timeout after %ld ms, expected about 300", ms);
}
END_TEST

/* ---- login / logout ---- */

START_TEST(test_login_logout)
{
	struct pd_auth_creds c;
	struct pd_error e;
	struct stat st;
	char *file = path_in("run/containers/auth.json");
	char *text;

	ck_assert_int_eq(pd_auth_login("quay.io", "me", "pw:with:colons", NULL, &e), 0);
	ck_assert_int_eq(stat(file, &st), 0);
	EXPECT_UINT(st.st_mode & 07777, 0600);
	{
		char *dir = path_in("run/containers");

		ck_assert_int_eq(stat(dir, &st), 0);
		EXPECT_UINT(st.st_mode & 07777, 0700);
		free(dir);
	}
	text = read_text(file);
	/* bWU6cHc6d2l0aDpjb2xvbnM= is me:pw:with:colons */
	ck_assert_msg(strstr(text, "\"quay.io\"") && strstr(text, "bWU6cHc6d2l0aDpjb2xvbnM="),
		      "auth file:\n%s", text);
	free(text);
	ck_assert_int_eq(lookup("quay.io", NULL, &c, &e), 1);
	EXPECT_STR(c.username, "me");
	EXPECT_STR(c.password, "pw:with:colons");
	pd_auth_creds_release(&c);

	/* other entries and keys are kept; the same registry is replaced; a scheme is dropped */
	write_file("run/containers/auth.json",
		   "{\"auths\":{\"other.io\":{\"auth\":\"YTox\"},\"quay.io\":{\"auth\":\"Yjoy\"}},"
		   "\"credHelpers\":{\"x.io\":\"test\"}}",
		   0644);
	ck_assert_int_eq(pd_auth_login("https://quay.io/", "new", "pw", NULL, &e), 0);
	ck_assert_int_eq(stat(file, &st), 0);
	EXPECT_UINT(st.st_mode & 07777, 0600);
	text = read_text(file);
	ck_assert_msg(strstr(text, "\"other.io\"") && strstr(text, "YTox") &&
			      strstr(text, "\"credHelpers\"") && strstr(text, "bmV3OnB3") &&
			      !strstr(text, "Yjoy") && !strstr(text, "https://"),
		      "auth file:\n%s", text);
	free(text);

	/* logout: that entry only, then nothing; NULL: every entry */
	ck_assert_int_eq(pd_auth_logout("quay.io", NULL, &e), 1);
	ck_assert_int_eq(pd_auth_logout("quay.io", NULL, &e), 0);
	text = read_text(file);
	ck_assert_msg(!strstr(text, "quay.io") && strstr(text, "other.io") &&
			      strstr(text, "credHelpers"),
		      "auth file:\n%s", text);
	free(text);
	ck_assert_int_eq(pd_auth_login("a.io", "u", "p", NULL, &e), 0);
	ck_assert_int_eq(pd_auth_logout(NULL, NULL, &e), 2);
	text = read_text(file);
	ck_assert_msg(!strstr(text, "a.io") && !strstr(text, "other.io") &&
			      strstr(text, "\"auths\"") && strstr(text, "credHelpers"),
		      "auth file:\n%s", text);
	free(text);
	ck_assert_int_eq(stat(file, &st), 0);
	EXPECT_UINT(st.st_mode & 07777, 0600);
	free(file);
}
END_TEST

START_TEST(test_login_paths_and_refusals)
{
	struct pd_error e;
	struct stat st;
	char *p, *text;

	/* no XDG_RUNTIME_DIR: ~/.config; REGISTRY_AUTH_FILE; an explicit file */
	unsetenv("XDG_RUNTIME_DIR");
	ck_assert_int_eq(pd_auth_login("r.io", "u", "p", NULL, &e), 0);
	p = path_in("home/.config/containers/auth.json");
	ck_assert_int_eq(stat(p, &st), 0);
	free(p);
	set_env_in("REGISTRY_AUTH_FILE", "env/auth.json");
	ck_assert_int_eq(pd_auth_login("r.io", "u", "p", NULL, &e), 0);
	p = path_in("env/auth.json");
	ck_assert_int_eq(stat(p, &st), 0);
	free(p);
	p = path_in("explicit.json");
	ck_assert_int_eq(pd_auth_login("r.io", "u", "p", p, &e), 0);
	EXPECT_UINT(stat(p, &st) == 0 ? st.st_mode & 07777 : 0, 0600);
	free(p);

	ck_assert_int_eq(pd_auth_login("r.io", "a:b", "p", NULL, &e), -1);
	EXPECT_INT(e.code, EINVAL);
	ck_assert_int_eq(pd_auth_login("r.io", "", "p", NULL, &e), -1);
	ck_assert_int_eq(pd_auth_login("", "u", "p", NULL, &e), -1);
	ck_assert_int_eq(pd_auth_login("r.io", "u", "p\n", NULL, &e), -1);
	/* a file that is not JSON is not clobbered */
	write_file("env/auth.json", "garbage", 0600);
	ck_assert_int_eq(pd_auth_login("r.io", "u", "p", NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, "is not a JSON object") != NULL, "got \"%s\"", e.msg);
	p = path_in("env/auth.json");
	text = read_text(p);
	EXPECT_STR(text, "garbage");
	free(text);
	free(p);
	ck_assert_int_eq(pd_auth_logout("r.io", NULL, &e), -1);
}
END_TEST

static Suite *oci_auth_suite(void)
{
	Suite *s = suite_create("oci_auth");
	TCase *tp = tcase_create("www_authenticate");
	TCase *tt = tcase_create("tokens");
	TCase *tc = tcase_create("credentials");

	tcase_add_test(tp, test_www_bearer);
	tcase_add_test(tp, test_www_basic_and_several);
	tcase_add_test(tp, test_www_escapes_case_token68);
	tcase_add_test(tp, test_www_malformed);
	tcase_add_test(tp, test_www_bounds);
	suite_add_tcase(s, tp);
	tcase_add_test(tt, test_token_answer);
	tcase_add_test(tt, test_token_cache);
	tcase_add_test(tt, test_base64);
	suite_add_tcase(s, tt);
	tcase_add_checked_fixture(tc, creds_setup, creds_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_auth_file_paths);
	tcase_add_test(tc, test_auth_lookup_order);
	tcase_add_test(tc, test_auth_lookup_scoped);
	tcase_add_test(tc, test_auth_lookup_bad_files);
	tcase_add_test(tc, test_auth_helpers);
	tcase_add_test(tc, test_cred_helper_direct);
	tcase_add_test(tc, test_login_logout);
	tcase_add_test(tc, test_login_paths_and_refusals);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(oci_auth_suite);
