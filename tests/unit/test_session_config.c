/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/session_config.c: a session's config.json (every field
 * checked for its type and range, a round trip keeping the struct) and the
 * list of sessions in a data directory.
 */
#include "unit.h"

#include "session.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The fields every config must have, for the cases that add one more. */
#define REQ "\"name\":\"a\",\"workspace\":\"/w\",\"image\":\"host\",\"idmap\":\"subid\""

/* A heap vector of the strings of @src (NULL-terminated). */
static char **vec(const char *const *src)
{
	char **v = pd_xcalloc(1, sizeof(char *));

	for (; src && *src; src++)
		pd_strv_push(&v, *src);
	return v;
}

static void expect_strv(char *const *got, const char *const *want, const char *what)
{
	size_t i;

	ck_assert_msg(got != NULL, "%s: NULL", what);
	for (i = 0; want && want[i]; i++) {
		ck_assert_msg(got[i] != NULL, "%s[%zu]: missing, want \"%s\"", what, i, want[i]);
		ck_assert_msg(!strcmp(got[i], want[i]), "%s[%zu]: \"%s\", want \"%s\"", what, i,
			      got[i], want[i]);
	}
	ck_assert_msg(got[i] == NULL, "%s[%zu]: \"%s\", want the end", what, i, got[i]);
}

static void expect_same(const struct pd_session *a, const struct pd_session *b)
{
	EXPECT_STR(a->name, b->name);
	EXPECT_STR(a->workspace, b->workspace);
	EXPECT_STR(a->image, b->image);
	EXPECT_STR(a->image_id, b->image_id);
	EXPECT_INT(a->created, b->created);
	expect_strv(a->args, (const char *const *)b->args, "args");
	EXPECT_INT(a->yolo, b->yolo);
	expect_strv(a->allowed_domains, (const char *const *)b->allowed_domains, "allowed_domains");
	expect_strv(a->resolve, (const char *const *)b->resolve, "resolve");
	expect_strv(a->env, (const char *const *)b->env, "env");
	EXPECT_UINT(a->memory, b->memory);
	EXPECT_UINT(a->pids, b->pids);
	EXPECT_UINT(a->cpu_quota_us, b->cpu_quota_us);
	EXPECT_UINT(a->cpu_period_us, b->cpu_period_us);
	EXPECT_INT(a->idmap, b->idmap);
	EXPECT_UINT(a->uid_start, b->uid_start);
	EXPECT_UINT(a->gid_start, b->gid_start);
	EXPECT_INT(a->agent_root, b->agent_root);
}

/* to_json then from_json of @s must give @s back. */
static void round_trip(const struct pd_session *s)
{
	struct pd_session back;
	struct pd_error e = { 0 };
	char *text = pd_session_to_json(s);

	ck_assert_ptr_nonnull(text);
	ck_assert_msg(pd_session_from_json(text, strlen(text), &back, &e) == 0, "%s\n%s", e.msg,
		      text);
	expect_same(&back, s);
	pd_session_release(&back);
	free(text);
}

START_TEST(test_round_trip_full)
{
	static const char *const args[] = { "--yolo", "--model", "claude x", "a\"b\\c\n", NULL };
	static const char *const domains[] = { "example.com", ".github.com", "*.npmjs.org", NULL };
	static const char *const resolve[] = { "host.test:10.0.0.1", "v6.test:[::1]", NULL };
	static const char *const env[] = { "A=1", "B=", "UTF8=h\xc3\xa9llo", "TAB=\t", NULL };
	struct pd_session s = {
		.name = "proj-1a2b3c",
		.workspace = pd_xstrdup("/home/u/my \"project\""),
		.image = pd_xstrdup("dir:/srv/rootfs"),
		.image_id = pd_xstrdup("sha256:0123456789abcdef"),
		.created = 1700000000,
		.args = vec(args),
		.yolo = true,
		.allowed_domains = vec(domains),
		.resolve = vec(resolve),
		.env = vec(env),
		.memory = 8ull << 30,
		.pids = UINT32_MAX,
		.cpu_quota_us = 200000,
		.cpu_period_us = 100000,
		.idmap = PD_IDMAP_ROOT,
		.uid_start = UINT32_MAX,
		.gid_start = 100000,
		.agent_root = true,
	};

	round_trip(&s);
	/*
	 * the longest name, no time, and numbers of 16 digits (cJSON prints 15
	 * and checks: these need all 17).  From 2^52 on, cJSON's check is not
	 * exact and the last digits are lost (see tests/fuzz/fuzz_session_config.c).
	 */
	memset(s.name, 'n', PD_SESSION_NAME_MAX);
	s.name[PD_SESSION_NAME_MAX] = '\0';
	s.created = 0;
	s.memory = 999999999999999ull; /* the largest a config holds */
	s.created = 999999999999999;
	round_trip(&s);
	pd_session_release(&s);
}
END_TEST

START_TEST(test_round_trip_empty)
{
	struct pd_session s = {
		.name = "a",
		.workspace = pd_xstrdup("/"),
		.image = pd_xstrdup("host"),
		.args = vec(NULL),
		.allowed_domains = vec(NULL),
		.resolve = vec(NULL),
		.env = vec(NULL),
	};

	for (int m = PD_IDMAP_ROOT; m <= PD_IDMAP_SINGLE; m++) {
		s.idmap = (enum pd_idmap_mode)m;
		round_trip(&s);
	}
	pd_session_release(&s);
}
END_TEST

START_TEST(test_to_json_fields)
{
	struct pd_session s = { .name = "x",
				.workspace = pd_xstrdup("/w"),
				.image = pd_xstrdup("img"),
				.args = vec(NULL),
				.idmap = PD_IDMAP_SINGLE };
	char *text = pd_session_to_json(&s);

	/* the predecessor's "backend"; no image_id when none is pinned */
	ck_assert_ptr_nonnull(strstr(text, "\"backend\":\t\"local\""));
	ck_assert_ptr_nonnull(strstr(text, "\"idmap\":\t\"single\""));
	ck_assert_ptr_null(strstr(text, "image_id"));
	/* NULL vectors are written as empty arrays */
	ck_assert_ptr_nonnull(strstr(text, "\"allowed_domains\":\t[]"));
	free(text);
	pd_session_release(&s);
}
END_TEST

/* The smallest config: everything optional takes its zero. */
START_TEST(test_defaults)
{
	static const char text[] = "{" REQ "}";
	struct pd_session s;
	struct pd_error e = { 0 };

	ck_assert_msg(pd_session_from_json(text, strlen(text), &s, &e) == 0, "%s", e.msg);
	EXPECT_STR(s.name, "a");
	EXPECT_STR(s.workspace, "/w");
	EXPECT_STR(s.image, "host");
	ck_assert_ptr_null(s.image_id);
	EXPECT_INT(s.created, 0);
	EXPECT_INT(s.idmap, PD_IDMAP_SUBID);
	ck_assert(!s.yolo && !s.agent_root);
	expect_strv(s.args, NULL, "args");
	expect_strv(s.allowed_domains, NULL, "allowed_domains");
	expect_strv(s.resolve, NULL, "resolve");
	expect_strv(s.env, NULL, "env");
	ck_assert(s.memory == 0 && s.pids == 0 && s.cpu_quota_us == 0 && s.cpu_period_us == 0);
	ck_assert(s.uid_start == 0 && s.gid_start == 0);
	pd_session_release(&s);
	ck_assert_ptr_null(s.workspace);
}
END_TEST

/* Each number at the top of its range, and fields the parser does not know. */
START_TEST(test_limits)
{
	static const char text[] = "{" REQ
				   ",\"memory\":999999999999999,"
				   "\"pids\":4294967295,\"cpu_quota_us\":4294967295,"
				   "\"cpu_period_us\":4294967295,\"uid_start\":4294967295,"
				   "\"gid_start\":4294967295,\"created\":1e3,\"other\":[{}],"
				   "\"backend\":\"local\"}";
	struct pd_session s;
	struct pd_error e = { 0 };

	ck_assert_msg(pd_session_from_json(text, strlen(text), &s, &e) == 0, "%s", e.msg);
	EXPECT_UINT(s.memory, 999999999999999ull);
	EXPECT_UINT(s.pids, UINT32_MAX);
	EXPECT_UINT(s.cpu_quota_us, UINT32_MAX);
	EXPECT_UINT(s.cpu_period_us, UINT32_MAX);
	EXPECT_UINT(s.uid_start, UINT32_MAX);
	EXPECT_UINT(s.gid_start, UINT32_MAX);
	EXPECT_INT(s.created, 1000);
	pd_session_release(&s);
}
END_TEST

/* Only @len bytes are read: the text need not be NUL-terminated. */
START_TEST(test_length)
{
	static const char text[] = "{" REQ "}{";
	char *copy = pd_xmalloc(sizeof(text) - 1);
	struct pd_session s;
	struct pd_error e = { 0 };

	memcpy(copy, text, sizeof(text) - 1); /* no NUL: ASan sees any overread */
	ck_assert_msg(pd_session_from_json(copy, sizeof(text) - 2, &s, &e) == 0, "%s", e.msg);
	pd_session_release(&s);
	ck_assert_int_lt(pd_session_from_json(copy, sizeof(text) - 3, &s, &e), 0);
	EXPECT_STR(e.msg, "not valid JSON: Invalid argument");
	free(copy);
}
END_TEST

/* Whether the @n bytes at @p are all zero (a struct cleared with memset). */
static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

START_TEST(test_rejects)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "not valid JSON" },
		{ "{", "not valid JSON" },
		{ "{\"name\":}", "not valid JSON" },
		{ "[1]", "not a JSON object" },
		{ "\"x\"", "not a JSON object" },
		{ "null", "not a JSON object" },
		{ "42", "not a JSON object" },
		{ "{}", "field \"name\": not a string" },
		{ "{\"name\":1}", "field \"name\": not a string" },
		{ "{\"name\":null}", "field \"name\": not a string" },
		{ "{\"name\":\"abcdefghijabcdefghijabcdefghijabcdefghijk\",\"workspace\":\"/w\","
		  "\"image\":\"host\",\"idmap\":\"subid\"}",
		  "field \"name\": too long" },
		{ "{\"name\":\"a\",\"image\":\"host\",\"idmap\":\"subid\"}",
		  "field \"workspace\": not a string" },
		{ "{\"name\":\"a\",\"workspace\":[\"/w\"],\"image\":\"host\",\"idmap\":\"subid\"}",
		  "field \"workspace\": not a string" },
		{ "{\"name\":\"a\",\"workspace\":\"w\",\"image\":\"host\",\"idmap\":\"subid\"}",
		  "field \"workspace\": not an absolute path" },
		{ "{\"name\":\"a\",\"workspace\":\"\",\"image\":\"host\",\"idmap\":\"subid\"}",
		  "field \"workspace\": not an absolute path" },
		{ "{\"name\":\"a\",\"workspace\":\"./w\",\"image\":\"host\",\"idmap\":\"subid\"}",
		  "field \"workspace\": not an absolute path" },
		{ "{\"name\":\"a\",\"workspace\":\"/w\",\"idmap\":\"subid\"}",
		  "field \"image\": not a string" },
		{ "{\"name\":\"a\",\"workspace\":\"/w\",\"image\":false,\"idmap\":\"subid\"}",
		  "field \"image\": not a string" },
		{ "{\"name\":\"a\",\"workspace\":\"/w\",\"image\":\"host\"}",
		  "field \"idmap\": not a string" },
		{ "{\"name\":\"a\",\"workspace\":\"/w\",\"image\":\"host\",\"idmap\":0}",
		  "field \"idmap\": not a string" },
		{ "{\"name\":\"a\",\"workspace\":\"/w\",\"image\":\"host\",\"idmap\":\"ROOT\"}",
		  "field \"idmap\": \"ROOT\" is no mapping mode" },
		{ "{\"name\":\"a\",\"workspace\":\"/w\",\"image\":\"host\",\"idmap\":\"\"}",
		  "field \"idmap\": \"\" is no mapping mode" },
		{ "{\"name\":\"a\",\"workspace\":\"/w\",\"image\":\"host\",\"idmap\":\"keep-id\"}",
		  "is no mapping mode" },
		{ "{" REQ ",\"image_id\":null}", "field \"image_id\": not a string" },
		{ "{" REQ ",\"image_id\":5}", "field \"image_id\": not a string" },
		{ "{" REQ ",\"created\":\"1\"}", "field \"created\": not a number in range" },
		{ "{" REQ ",\"created\":-1}", "field \"created\": not a number in range" },
		{ "{" REQ ",\"created\":1.5}", "field \"created\": not a number in range" },
		{ "{" REQ ",\"created\":1e300}", "field \"created\": not a number in range" },
		{ "{" REQ ",\"args\":\"--yolo\"}", "field \"args\": not an array" },
		{ "{" REQ ",\"args\":{}}", "field \"args\": not an array" },
		{ "{" REQ ",\"args\":[\"a\",1]}", "field \"args\": not an array of strings" },
		{ "{" REQ ",\"args\":[null]}", "field \"args\": not an array of strings" },
		{ "{" REQ ",\"yolo\":1}", "field \"yolo\": not true or false" },
		{ "{" REQ ",\"yolo\":\"true\"}", "field \"yolo\": not true or false" },
		{ "{" REQ ",\"yolo\":null}", "field \"yolo\": not true or false" },
		{ "{" REQ ",\"allowed_domains\":\"a.com\"}",
		  "field \"allowed_domains\": not an array" },
		{ "{" REQ ",\"resolve\":[[\"a\"]]}", "field \"resolve\": not an array of strings" },
		{ "{" REQ ",\"env\":[true]}", "field \"env\": not an array of strings" },
		{ "{" REQ ",\"memory\":-1}", "field \"memory\": not a number in range" },
		{ "{" REQ ",\"memory\":1000000000000000}",
		  "field \"memory\": not a number in range" },
		{ "{" REQ "} x", "text after the JSON object" },
		{ "{" REQ ",\"memory\":0.5}", "field \"memory\": not a number in range" },
		{ "{" REQ ",\"memory\":\"1g\"}", "field \"memory\": not a number in range" },
		{ "{" REQ ",\"memory\":1e19}", "field \"memory\": not a number in range" },
		{ "{" REQ ",\"pids\":4294967296}", "field \"pids\": not a number in range" },
		{ "{" REQ ",\"cpu_quota_us\":4294967296}",
		  "field \"cpu_quota_us\": not a number in range" },
		{ "{" REQ ",\"cpu_period_us\":-0.5}",
		  "field \"cpu_period_us\": not a number in range" },
		{ "{" REQ ",\"uid_start\":4294967296}",
		  "field \"uid_start\": not a number in range" },
		{ "{" REQ ",\"gid_start\":-1}", "field \"gid_start\": not a number in range" },
		{ "{" REQ ",\"gid_start\":true}", "field \"gid_start\": not a number in range" },
		{ "{" REQ ",\"agent_root\":0}", "field \"agent_root\": not true or false" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_session s;
		struct pd_error e = { 0 };
		ck_assert_msg(pd_session_from_json(bad[i].text, strlen(bad[i].text), &s, &e) < 0,
			      "accepted: %s", bad[i].text);
		ck_assert_msg(strstr(e.msg, bad[i].why) != NULL, "%s: \"%s\", want \"%s\"",
			      bad[i].text, e.msg, bad[i].why);
		EXPECT_INT(e.code, EINVAL);
		/* nothing is left allocated (ASan's leak check sees the rest) */
		ck_assert_msg(all_zero(&s, sizeof(s)), "%s: the struct was not cleared",
			      bad[i].text);
	}
}
END_TEST

/* ---- pd_session_names() ---- */

static void put(const char *top, const char *rel, const char *text)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "create %s: errno %d", p, errno);
	ck_assert_int_eq(pd_write_all(fd, text, strlen(text)), 0);
	close(fd);
}

static void mkdir_in(const char *top, const char *rel)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	ck_assert_msg(mkdir(p, 0700) == 0, "mkdir %s: errno %d", p, errno);
}

static void session_at(const char *top, const char *name)
{
	char rel[256];

	mkdir_in(top, name);
	snprintf(rel, sizeof(rel), "%s/%s", name, PD_SESSION_CONFIG);
	put(top, rel, "{}");
}

START_TEST(test_names)
{
	char *top = pd_unit_tmpdir();
	char long40[PD_SESSION_NAME_MAX + 1], long41[PD_SESSION_NAME_MAX + 2], p[4096], t[4096];
	struct pd_session_dirs d = { 0 };
	struct pd_error e = { 0 };
	char **v = NULL, *dummy[1] = { NULL };

	memset(long40, 'x', sizeof(long40) - 1);
	long40[sizeof(long40) - 1] = '\0';
	memset(long41, 'y', sizeof(long41) - 1);
	long41[sizeof(long41) - 1] = '\0';
	snprintf(d.data, sizeof(d.data), "%s", top);

	/* an empty directory: no sessions */
	ck_assert_msg(pd_session_names(&d, &v, &e) == 0, "%s", e.msg);
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_null(v[0]);
	pd_strv_free(v);

	session_at(top, "b");
	session_at(top, "a");
	session_at(top, "c-1");
	session_at(top, long40);
	session_at(top, long41);    /* too long a name */
	session_at(top, ".hidden"); /* a dot-name */
	mkdir_in(top, "noconfig");  /* no config */
	mkdir_in(top, "dirconfig"); /* a config that is a directory */
	mkdir_in(top, "dirconfig/" PD_SESSION_CONFIG);
	mkdir_in(top, "linkconfig"); /* a config that is a symlink */
	snprintf(p, sizeof(p), "%s/linkconfig/%s", top, PD_SESSION_CONFIG);
	snprintf(t, sizeof(t), "%s/a/%s", top, PD_SESSION_CONFIG);
	ck_assert_int_eq(symlink(t, p), 0);
	mkdir_in(top, "fifoconfig"); /* a config that is not a regular file */
	snprintf(p, sizeof(p), "%s/fifoconfig/%s", top, PD_SESSION_CONFIG);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	put(top, "plainfile", "x"); /* not a directory */
	put(top, PD_SESSION_CONFIG, "{}");

	ck_assert_msg(pd_session_names(&d, &v, &e) == 0, "%s", e.msg);
	{
		const char *const want[] = { "a", "b", "c-1", long40, NULL };

		expect_strv(v, want, "names");
	}
	pd_strv_free(v);

	/* a data directory that does not exist yet: no sessions either */
	snprintf(d.data, sizeof(d.data), "%s/missing", top);
	v = NULL;
	ck_assert_msg(pd_session_names(&d, &v, &e) == 0, "%s", e.msg);
	ck_assert(v && !v[0]);
	pd_strv_free(v);

	/* one that is not a directory is an error naming it */
	snprintf(d.data, sizeof(d.data), "%s/plainfile", top);
	v = dummy; /* overwritten with NULL on failure */
	ck_assert_int_lt(pd_session_names(&d, &v, &e), 0);
	ck_assert_ptr_null(v);
	EXPECT_INT(e.code, ENOTDIR);
	ck_assert_ptr_nonnull(strstr(e.msg, "plainfile"));

	pd_unit_rmrf(top);
	free(top);
}
END_TEST

static Suite *session_config_suite(void)
{
	Suite *s = suite_create("session_config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip_full);
	tcase_add_test(tc, test_round_trip_empty);
	tcase_add_test(tc, test_to_json_fields);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_length);
	tcase_add_test(tc, test_rejects);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(session_config_suite);
