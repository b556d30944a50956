/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proxy/audit.c: the exact line format and its escaping and
 * caps, creating the log (modes, parents, refusals), rotation, write errors,
 * and lines of concurrent processes staying whole (with and without
 * rotation under way).
 */
#include "unit.h"
#include "proxy/audit.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* 2026-12-07T03:38:31.123Z */
#define WHEN ((struct timespec){ 1796614711, 123456789 })

static char *tmp;

static void setup(void)
{
	tmp = pd_unit_tmpdir();
}

static void teardown(void)
{
	pd_unit_rmrf(tmp);
	free(tmp);
	tmp = NULL;
}

static char *path_in_tmp(const char *rel)
{
	size_t n = strlen(tmp) + strlen(rel) + 2;
	char *p = malloc(n);

	ck_assert_ptr_nonnull(p);
	snprintf(p, n, "%s/%s", tmp, rel);
	return p;
}

/* The same into a buffer, for tests that fork: a child leaves no heap behind. */
static void tmp_path(char out[PATH_MAX], const char *rel)
{
	ck_assert_int_lt(snprintf(out, PATH_MAX, "%s/%s", tmp, rel), PATH_MAX);
}

/* The whole file at @path (NUL-terminated, heap), or NULL when it does not exist. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	char *buf;
	size_t cap = 1 << 16, n = 0, r;

	if (!f)
		return NULL;
	buf = malloc(cap + 1);
	ck_assert_ptr_nonnull(buf);
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *bigger = realloc(buf, 2 * cap + 1);

			ck_assert_ptr_nonnull(bigger);
			buf = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void expect_line(const struct pd_audit_record *r, const char *want)
{
	char buf[PD_AUDIT_LINE_MAX];
	size_t n = pd_audit_format(r, buf);

	ck_assert_msg(n == strlen(buf) && !strcmp(buf, want), "expected\n%s got\n%s", want, buf);
}

START_TEST(test_format_exact)
{
	struct pd_addr a4 = { .family = AF_INET }, a6 = { .family = AF_INET6 };
	struct pd_audit_record r = {
		.when = WHEN,
		.sandbox = "s1",
		.kind = "connect",
		.method = "CONNECT",
		.host = "example.com",
		.port = 443,
		.addr = &a4,
		.rule = ".example.com",
		.allowed = true,
		.bytes_up = 517,
		.bytes_down = 18446744073709551615u,
		.duration_ms = 840,
	};

	inet_pton(AF_INET, "93.184.215.14", &a4.v4);
	inet_pton(AF_INET6, "2001:db8::1", &a6.v6);
	expect_line(&r,
		    "{\"time\":\"2026-12-07T03:38:31.123Z\",\"sandbox\":\"s1\",\"kind\":"
		    "\"connect\",\"method\":\"CONNECT\",\"host\":\"example.com\",\"port\":443,"
		    "\"addr\":\"93.184.215.14\",\"rule\":\".example.com\",\"verdict\":\"allow\","
		    "\"reason\":null,\"bytes_up\":517,\"bytes_down\":18446744073709551615,"
		    "\"duration_ms\":840}\n");

	/* a denial: every NULL string is null, family 0 is null; v6 */
	r = (struct pd_audit_record){ .when = { 0, 999999999 }, .kind = "dns", .addr = &a6 };
	expect_line(&r,
		    "{\"time\":\"1970-01-01T00:00:00.999Z\",\"sandbox\":null,\"kind\":\"dns\","
		    "\"method\":null,\"host\":null,\"port\":0,\"addr\":\"2001:db8::1\","
		    "\"rule\":null,\"verdict\":\"deny\",\"reason\":null,\"bytes_up\":0,"
		    "\"bytes_down\":0,\"duration_ms\":0}\n");
	a6.family = 0;
	r.reason = "not in the allowlist";
	expect_line(&r,
		    "{\"time\":\"1970-01-01T00:00:00.999Z\",\"sandbox\":null,\"kind\":\"dns\","
		    "\"method\":null,\"host\":null,\"port\":0,\"addr\":null,\"rule\":null,"
		    "\"verdict\":\"deny\",\"reason\":\"not in the allowlist\",\"bytes_up\":0,"
		    "\"bytes_down\":0,\"duration_ms\":0}\n");
}
END_TEST

/* The escaped form of @s as the "host" value. */
static void expect_host(const char *s, const char *want)
{
	struct pd_audit_record r = { .when = WHEN, .host = s };
	char buf[PD_AUDIT_LINE_MAX];
	const char *h, *e;

	pd_audit_format(&r, buf);
	h = strstr(buf, ",\"host\":");
	e = strstr(buf, ",\"port\":");
	ck_assert_msg(h && e, "no host in %s", buf);
	h += strlen(",\"host\":");
	ck_assert_msg((size_t)(e - h) == strlen(want) && !strncmp(h, want, strlen(want)),
		      "expected %s got %.*s", want, (int)(e - h), h);
}

START_TEST(test_escaping)
{
	expect_host("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	expect_host("\n\r\t\x01\x1f\x7f ~", "\"\\u000a\\u000d\\u0009\\u0001\\u001f\\u007f ~\"");
	/* valid UTF-8 kept: 2, 3 and 4 bytes, U+10FFFF, U+2028 */
	expect_host("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xe2\x80\xa8",
		    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xe2\x80\xa8\"");
	/* C1 controls escaped */
	expect_host("\xc2\x80\xc2\x9b\xc2\xa0", "\"\\u0080\\u009b\xc2\xa0\"");
	/* each invalid byte is U+FFFD: stray continuation, 0xff, overlong (c0 80,
	 * e0 80 80, f0 80 80 80), surrogate (ed a0 80), over U+10FFFF (f4 90 80 80),
	 * cut sequences (e2 82 then ASCII, f0 9f 98 at the end) */
#define FFFD "\xef\xbf\xbd"
	expect_host("\x80", "\"" FFFD "\"");
	expect_host(
		"a\xff"
		"b",
		"\"a" FFFD "b\"");
	expect_host("\xc0\x80", "\"" FFFD FFFD "\"");
	expect_host("\xe0\x80\x80", "\"" FFFD FFFD FFFD "\"");
	expect_host("\xf0\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	expect_host("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");
	expect_host("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	expect_host("\xe2\x82z", "\"" FFFD FFFD "z\"");
	expect_host("x\xf0\x9f\x98", "\"x" FFFD FFFD FFFD "\"");
	expect_host("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
#undef FFFD
	expect_host("", "\"\"");
}
END_TEST

START_TEST(test_caps)
{
	char s[2000], want[700];

	/* 512 escaped bytes fit whole; 513 are cut to 509 and "..." */
	memset(s, 'a', 512);
	s[512] = '\0';
	want[0] = '"';
	memcpy(want + 1, s, 512);
	memcpy(want + 513, "\"", 2);
	expect_host(s, want);
	s[512] = 'b';
	s[513] = '\0';
	memset(want + 1, 'a', 509);
	memcpy(want + 510, "...\"", 5);
	expect_host(s, want);
	/* escapes are never split: 86 x \u0001 = 516 > 512, cut to 84 (504 bytes) */
	memset(s, 1, 86);
	s[86] = '\0';
	want[0] = '"';
	for (int i = 0; i < 84; i++)
		memcpy(want + 1 + 6 * i, "\\u0001", 6);
	memcpy(want + 1 + 504, "...\"", 5);
	expect_host(s, want);
	/* nor UTF-8 sequences: 508 'a' then a 4-byte character and more */
	memset(s, 'a', 508);
	memcpy(s + 508, "\xf0\x9f\x98\x80zz", 7);
	memset(want + 1, 'a', 508);
	memcpy(want + 509, "...\"", 5);
	expect_host(s, want);
}
END_TEST

START_TEST(test_longest_line)
{
	static char big[20000];
	struct pd_addr a = { .family = AF_INET6 };
	struct pd_audit_record r = { .when = { 253402300799, 999999999 } }; /* 9999-12-31 */
	char buf[PD_AUDIT_LINE_MAX];
	size_t n;
	cJSON *j;

	memset(&a.v6, 0xff, sizeof(a.v6));
	memset(big, 0x7f, sizeof(big) - 1);
	r.sandbox = r.kind = r.method = r.host = r.rule = r.reason = big;
	r.addr = &a;
	r.port = 65535;
	r.bytes_up = r.bytes_down = r.duration_ms = UINT64_MAX;
	n = pd_audit_format(&r, buf);
	ck_assert_msg(n < PD_AUDIT_LINE_MAX && buf[n - 1] == '\n' && strlen(buf) == n,
		      "line of %zu bytes", n);
	j = cJSON_ParseWithLength(buf, n);
	ck_assert_msg(j != NULL, "not JSON: %s", buf);
	EXPECT_STR(cJSON_GetObjectItem(j, "time")->valuestring, "9999-12-31T23:59:59.999Z");
	EXPECT_UINT(strlen(cJSON_GetObjectItem(j, "host")->valuestring), 84 + 3);
	EXPECT_STR(cJSON_GetObjectItem(j, "addr")->valuestring,
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_open_modes)
{
	struct pd_error err = { 0 };
	char *path = path_in_tmp("a/./b//audit.log");
	char *file = path_in_tmp("a/b/audit.log");
	char *da = path_in_tmp("a"), *db = path_in_tmp("a/b");
	struct pd_audit_record r = { .when = WHEN, .kind = "http", .method = "GET" };
	struct pd_audit *a = pd_audit_open(path, 0, 0, &err);
	struct stat st;
	char *text;

	ck_assert_msg(a != NULL, "open: %s", err.msg);
	ck_assert_int_eq(stat(da, &st), 0);
	EXPECT_UINT(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(db, &st), 0);
	EXPECT_UINT(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_msg(S_ISREG(st.st_mode), "a regular file");
	EXPECT_UINT(st.st_mode & 07777, 0600);
	EXPECT_INT(pd_audit_write(a, &r), 0);
	r.allowed = true;
	EXPECT_INT(pd_audit_write(a, &r), 0);
	pd_audit_close(a);

	/* reopened: appended, existing directories and file taken as they are */
	a = pd_audit_open(file, 0, 0, &err);
	ck_assert_msg(a != NULL, "reopen: %s", err.msg);
	r.port = 80;
	EXPECT_INT(pd_audit_write(a, &r), 0);
	pd_audit_close(a);
	text = slurp(file, NULL);
	EXPECT_STR(text,
		   "{\"time\":\"2026-12-07T03:38:31.123Z\",\"sandbox\":null,\"kind\":\"http\","
		   "\"method\":\"GET\",\"host\":null,\"port\":0,\"addr\":null,\"rule\":null,"
		   "\"verdict\":\"deny\",\"reason\":null,\"bytes_up\":0,\"bytes_down\":0,"
		   "\"duration_ms\":0}\n"
		   "{\"time\":\"2026-12-07T03:38:31.123Z\",\"sandbox\":null,\"kind\":\"http\","
		   "\"method\":\"GET\",\"host\":null,\"port\":0,\"addr\":null,\"rule\":null,"
		   "\"verdict\":\"allow\",\"reason\":null,\"bytes_up\":0,\"bytes_down\":0,"
		   "\"duration_ms\":0}\n"
		   "{\"time\":\"2026-12-07T03:38:31.123Z\",\"sandbox\":null,\"kind\":\"http\","
		   "\"method\":\"GET\",\"host\":null,\"port\":80,\"addr\":null,\"rule\":null,"
		   "\"verdict\":\"allow\",\"reason\":null,\"bytes_up\":0,\"bytes_down\":0,"
		   "\"duration_ms\":0}\n");
	free(text);
	free(path);
	free(file);
	free(da);
	free(db);
}
END_TEST

static void expect_refused(const char *path, int code, const char *msg_part)
{
	struct pd_error err = { 0 };
	struct pd_audit *a = pd_audit_open(path, 0, 0, &err);

	ck_assert_msg(a == NULL, "%s: opened", path);
	ck_assert_msg(err.code == code && strstr(err.msg, msg_part),
		      "%s: expected code %d with \"%s\", got %d \"%s\"", path, code, msg_part,
		      err.code, err.msg);
}

START_TEST(test_open_refused)
{
	char *target = path_in_tmp("target");
	char *link = path_in_tmp("link.log");
	char *dangling = path_in_tmp("dangling.log");
	char *gone = path_in_tmp("gone");
	char *fifo = path_in_tmp("fifo");
	char *dir = path_in_tmp("dir/");
	char *under_file = path_in_tmp("target/x.log");
	struct pd_error err = { 0 };
	struct stat st;
	char *text;
	int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep\n", 5), 5);
	close(fd);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(symlink(gone, dangling), 0);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);

	expect_refused(link, ELOOP, "is a symbolic link");
	text = slurp(target, NULL);
	EXPECT_STR(text, "keep\n");
	free(text);
	expect_refused(dangling, ELOOP, "is a symbolic link");
	ck_assert_msg(lstat(gone, &st) < 0 && errno == ENOENT, "the link's target was created");
	/* a FIFO fails at once (nobody reads it) instead of blocking */
	expect_refused(fifo, ENXIO, "fifo");
	expect_refused(tmp, EISDIR, tmp);
	expect_refused("/dev/null", EINVAL, "not a regular file");
	expect_refused(dir, EINVAL, "not a file name");
	expect_refused("", EINVAL, "not a file name");
	expect_refused(under_file, ENOTDIR, "target");
	ck_assert_ptr_null(pd_audit_open(target, 0, PD_AUDIT_KEEP_MAX + 1, &err));
	EXPECT_INT(err.code, EINVAL);
	free(target);
	free(link);
	free(dangling);
	free(gone);
	free(fifo);
	free(dir);
	free(under_file);
}
END_TEST

/*
 * Record @seq (< 9000) of writer @w (< 10): a line of fixed length; bytes_up
 * is 1000 + @seq (always 4 digits), bytes_down is @w.
 */
static struct pd_audit_record numbered(int w, int seq, char *reason, size_t rsize)
{
	struct pd_audit_record r = { .when = WHEN, .sandbox = "sandbox", .kind = "transparent" };

	snprintf(reason, rsize, "w%d seq %04d %.100s", w, seq,
		 "padding padding padding padding padding padding padding padding padding "
		 "padding padding");
	r.host = "h";
	r.port = 443;
	r.reason = reason;
	r.bytes_up = 1000 + (uint64_t)seq;
	r.bytes_down = (uint64_t)w;
	r.duration_ms = 1;
	return r;
}

START_TEST(test_rotation)
{
	struct pd_error err = { 0 };
	char *path = path_in_tmp("r/audit.log");
	char *p1 = path_in_tmp("r/audit.log.1"), *p2 = path_in_tmp("r/audit.log.2");
	char *p3 = path_in_tmp("r/audit.log.3");
	char reason[200], line[PD_AUDIT_LINE_MAX];
	struct pd_audit_record r = numbered(0, 0, reason, sizeof(reason));
	size_t len = pd_audit_format(&r, line), n;
	struct pd_audit *a = pd_audit_open(path, 3 * len + len / 2, 2, &err);
	char *f[3];
	struct stat st;

	ck_assert_msg(a != NULL, "open: %s", err.msg);
	/* 3 lines per file: 20 lines leave 18-19, .1 15-17, .2 12-14; 0-11 are gone */
	for (int i = 0; i < 20; i++) {
		r = numbered(0, i, reason, sizeof(reason));
		EXPECT_INT(pd_audit_write(a, &r), 0);
	}
	pd_audit_close(a);
	f[0] = slurp(path, &n);
	f[1] = slurp(p1, NULL);
	f[2] = slurp(p2, NULL);
	ck_assert_msg(f[0] && f[1] && f[2], "files missing: %p %p %p", (void *)f[0], (void *)f[1],
		      (void *)f[2]);
	ck_assert_msg(lstat(p3, &st) < 0 && errno == ENOENT, ".3 must not exist");
	for (int k = 0; k < 3; k++) {
		int first = k == 0 ? 18 : 18 - 3 * k, count = k == 0 ? 2 : 3;
		char *p = f[k];

		EXPECT_UINT(strlen(p), count * len);
		for (int i = 0; i < count; i++) {
			r = numbered(0, first + i, reason, sizeof(reason));
			pd_audit_format(&r, line);
			ck_assert_msg(!strncmp(p, line, len),
				      "file %d line %d: expected\n%s got\n%.*s", k, i, line,
				      (int)len, p);
			p += len;
		}
		free(f[k]);
	}
	ck_assert_int_eq(stat(p1, &st), 0);
	EXPECT_UINT(st.st_mode & 07777, 0600);

	/* a line longer than max_bytes gets a file of its own */
	a = pd_audit_open(path, 10, 2, &err);
	ck_assert_msg(a != NULL, "open: %s", err.msg);
	EXPECT_INT(pd_audit_write(a, &r), 0);
	pd_audit_close(a);
	f[0] = slurp(path, &n);
	EXPECT_UINT(n, len);
	f[1] = slurp(p1, &n);
	EXPECT_UINT(n, 2 * len);
	free(f[0]);
	free(f[1]);
	free(path);
	free(p1);
	free(p2);
	free(p3);
}
END_TEST

/* The lines numbered @first.. of writer 0, concatenated. */
static void expect_numbered(const char *path, int first, int count)
{
	char reason[200], line[PD_AUDIT_LINE_MAX], want[8 * PD_AUDIT_LINE_MAX] = "";
	size_t n = 0;
	char *text = slurp(path, NULL);

	for (int i = 0; i < count; i++) {
		struct pd_audit_record r = numbered(0, first + i, reason, sizeof(reason));
		size_t len = pd_audit_format(&r, line);

		memcpy(want + n, line, len + 1);
		n += len;
	}
	ck_assert_msg(text && !strcmp(text, want), "%s: expected\n%s got\n%s", path, want,
		      text ? text : "(none)");
	free(text);
}

static void append_numbered(const char *path, int seq)
{
	char reason[200], line[PD_AUDIT_LINE_MAX];
	struct pd_audit_record r = numbered(0, seq, reason, sizeof(reason));
	size_t len = pd_audit_format(&r, line);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, line, len), (ssize_t)len);
	close(fd);
}

/*
 * Another process's rotation, half done (the path renamed, no new file yet)
 * and done: this writer follows it (reopens the path) and never shifts the
 * files a second time.
 */
START_TEST(test_follow_rotation)
{
	struct pd_error err = { 0 };
	char *path = path_in_tmp("audit.log");
	char *p1 = path_in_tmp("audit.log.1"), *p2 = path_in_tmp("audit.log.2");
	char *p3 = path_in_tmp("audit.log.3");
	char reason[200], line[PD_AUDIT_LINE_MAX];
	struct pd_audit_record r = numbered(0, 0, reason, sizeof(reason));
	size_t len = pd_audit_format(&r, line);
	struct pd_audit *a = pd_audit_open(path, 3 * len + len / 2, 5, &err);
	struct stat st;

	ck_assert_msg(a != NULL, "open: %s", err.msg);
	for (int i = 0; i < 3; i++) {
		r = numbered(0, i, reason, sizeof(reason));
		EXPECT_INT(pd_audit_write(a, &r), 0);
	}
	/* renamed away, not yet replaced: the writer creates the new file */
	ck_assert_int_eq(rename(path, p1), 0);
	r = numbered(0, 3, reason, sizeof(reason));
	EXPECT_INT(pd_audit_write(a, &r), 0);
	expect_numbered(path, 3, 1);
	expect_numbered(p1, 0, 3);
	ck_assert_msg(lstat(p2, &st) < 0, ".2 must not exist");
	for (int i = 4; i < 6; i++) {
		r = numbered(0, i, reason, sizeof(reason));
		EXPECT_INT(pd_audit_write(a, &r), 0);
	}
	/* rotated by someone else, who wrote line 99 into the new file */
	ck_assert_int_eq(rename(p1, p2), 0);
	ck_assert_int_eq(rename(path, p1), 0);
	append_numbered(path, 99);
	r = numbered(0, 6, reason, sizeof(reason));
	EXPECT_INT(pd_audit_write(a, &r), 0);
	pd_audit_close(a);
	ck_assert_int_eq(lstat(path, &st), 0);
	EXPECT_UINT(st.st_size, 2 * len);
	r = numbered(0, 99, reason, sizeof(reason));
	pd_audit_format(&r, line);
	{
		char *text = slurp(path, NULL);

		ck_assert_msg(!strncmp(text, line, len), "line 99 first: %s", text);
		free(text);
	}
	expect_numbered(p1, 3, 3);
	expect_numbered(p2, 0, 3);
	ck_assert_msg(lstat(p3, &st) < 0, ".3 must not exist: shifted twice");
	free(path);
	free(p1);
	free(p2);
	free(p3);
}
END_TEST

/* The log removed under the writer: its next line goes to a new file at the path. */
START_TEST(test_log_removed)
{
	struct pd_error err = { 0 };
	char *path = path_in_tmp("audit.log");
	char reason[200];
	struct pd_audit_record r = numbered(0, 0, reason, sizeof(reason));
	struct pd_audit *a = pd_audit_open(path, 0, 0, &err);

	ck_assert_msg(a != NULL, "open: %s", err.msg);
	EXPECT_INT(pd_audit_write(a, &r), 0);
	ck_assert_int_eq(unlink(path), 0);
	r = numbered(0, 1, reason, sizeof(reason));
	EXPECT_INT(pd_audit_write(a, &r), 0);
	pd_audit_close(a);
	expect_numbered(path, 1, 1);
	free(path);
}
END_TEST

START_TEST(test_rotation_fails)
{
	struct pd_error err = { 0 };
	char *path = path_in_tmp("audit.log"), *p1 = path_in_tmp("audit.log.1");
	char *p1x = path_in_tmp("audit.log.1/x");
	struct pd_audit_record r = { .when = WHEN };
	struct pd_audit *a = pd_audit_open(path, 100, 1, &err);
	char line[PD_AUDIT_LINE_MAX], *text;
	size_t len = pd_audit_format(&r, line), n;
	int fd, rc;

	ck_assert_msg(a != NULL, "open: %s", err.msg);
	/* path.1 is a non-empty directory: path cannot be renamed onto it */
	ck_assert_int_eq(mkdir(p1, 0700), 0);
	fd = open(p1x, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	EXPECT_INT(pd_audit_write(a, &r), 0);
	/* due now: the rotation fails, the line still goes in, the error comes back */
	rc = pd_audit_write(a, &r);
	EXPECT_INT(rc, -EISDIR);
	EXPECT_INT(errno, EISDIR);
	pd_audit_close(a);
	text = slurp(path, &n);
	EXPECT_UINT(n, 2 * len);
	ck_assert_msg(!strncmp(text, line, len) && !strcmp(text + len, line), "got %s", text);
	free(text);
	free(path);
	free(p1);
	free(p1x);
}
END_TEST

START_TEST(test_write_errors)
{
	char path[PATH_MAX];
	pid_t pid;
	int status;

	tmp_path(path, "small.log");
	pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* a file size limit: the first line is cut (-EIO), the next one refused */
		struct rlimit rl = { 100, 100 };
		struct pd_audit_record r = { .when = WHEN };
		struct pd_audit *a = pd_audit_open(path, 0, 0, NULL);

		signal(SIGXFSZ, SIG_IGN);
		if (!a || setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(10);
		if (pd_audit_write(a, &r) != -EIO || errno != EIO)
			_exit(11);
		if (pd_audit_write(a, &r) != -EFBIG || errno != EFBIG)
			_exit(12);
		pd_audit_close(a);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
}
END_TEST

START_TEST(test_stderr)
{
	struct pd_error err = { 0 };
	struct pd_audit *a = pd_audit_open(NULL, 1, 1, &err);
	struct pd_audit_record r = { .when = WHEN, .sandbox = "e" };
	char want[PD_AUDIT_LINE_MAX], got[2 * PD_AUDIT_LINE_MAX];
	int p[2], saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	ssize_t n;

	ck_assert_msg(a != NULL, "open: %s", err.msg);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(dup2(p[1], 2), 2);
	/* max_bytes 1 means nothing on stderr: two lines, no rotation */
	EXPECT_INT(pd_audit_write(a, &r), 0);
	EXPECT_INT(pd_audit_write(a, &r), 0);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	close(p[1]);
	pd_audit_close(a); /* leaves fd 2 open */
	ck_assert_int_ge(fcntl(2, F_GETFD), 0);
	n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	ck_assert_int_gt(n, 0);
	got[n] = '\0';
	pd_audit_format(&r, want);
	ck_assert_msg((size_t)n == 2 * strlen(want) && !strncmp(got, want, strlen(want)),
		      "stderr got %s", got);
}
END_TEST

enum { WRITERS = 8, LINES = 500 };

/* WRITERS processes, each with its own handle, write LINES records each. */
static void run_writers(const char *path, uint64_t max_bytes, unsigned keep)
{
	pid_t pids[WRITERS];

	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0) {
			struct pd_audit *a = pd_audit_open(path, max_bytes, keep, NULL);
			char reason[200];

			if (!a)
				_exit(10);
			for (int i = 0; i < LINES; i++) {
				struct pd_audit_record r = numbered(w, i, reason, sizeof(reason));

				if (pd_audit_write(a, &r) != 0)
					_exit(11);
			}
			pd_audit_close(a);
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;

		ck_assert_int_eq(waitpid(pids[w], &status, 0), pids[w]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "writer %d: status %#x", w, status);
	}
}

/* Every line of @text is a whole JSON record; count them in @seen. */
static size_t check_lines(const char *name, const char *text, size_t len,
			  unsigned char seen[WRITERS][LINES])
{
	size_t lines = 0;

	ck_assert_msg(len == 0 || text[len - 1] == '\n', "%s does not end in a newline", name);
	for (const char *p = text; p < text + len;) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		cJSON *j = cJSON_ParseWithLength(p, (size_t)(nl - p));
		const cJSON *up, *down;

		ck_assert_msg(j != NULL, "%s: line %zu is not JSON: %.*s", name, lines,
			      (int)(nl - p), p);
		up = cJSON_GetObjectItem(j, "bytes_up");
		down = cJSON_GetObjectItem(j, "bytes_down");
		ck_assert_msg(cJSON_IsNumber(up) && cJSON_IsNumber(down) && down->valueint >= 0 &&
				      down->valueint < WRITERS && up->valueint >= 1000 &&
				      up->valueint < 1000 + LINES,
			      "%s: line %zu: bad numbers", name, lines);
		seen[down->valueint][up->valueint - 1000]++;
		cJSON_Delete(j);
		lines++;
		p = nl + 1;
	}
	return lines;
}

static void check_all_seen(unsigned char seen[WRITERS][LINES])
{
	for (int w = 0; w < WRITERS; w++)
		for (int i = 0; i < LINES; i++)
			ck_assert_msg(seen[w][i] == 1, "writer %d line %d seen %d times", w, i,
				      seen[w][i]);
}

START_TEST(test_concurrent_writers)
{
	static unsigned char seen[WRITERS][LINES];
	char path[PATH_MAX], p1[PATH_MAX];
	size_t len, lines;
	struct stat st;
	char *text;

	tmp_path(path, "c/audit.log");
	tmp_path(p1, "c/audit.log.1");
	memset(seen, 0, sizeof(seen));
	run_writers(path, 1u << 30, 0);
	text = slurp(path, &len);
	ck_assert_ptr_nonnull(text);
	lines = check_lines(path, text, len, seen);
	EXPECT_UINT(lines, WRITERS * LINES);
	check_all_seen(seen);
	ck_assert_msg(lstat(p1, &st) < 0, "no rotation expected");
	free(text);
}
END_TEST

START_TEST(test_concurrent_rotation)
{
	static unsigned char seen[WRITERS][LINES];
	char path[PATH_MAX];
	size_t total = 0, files = 0, line_len;
	char reason[200], line[PD_AUDIT_LINE_MAX];
	struct pd_audit_record r = numbered(0, 0, reason, sizeof(reason));

	line_len = pd_audit_format(&r, line);
	tmp_path(path, "audit.log");
	memset(seen, 0, sizeof(seen));
	/* about 1 MiB in files of 32 KiB: some 30 rotations, raced by 8 writers */
	run_writers(path, 32u << 10, 200);
	for (unsigned k = 0; k <= 200; k++) {
		char name[32], *p, *text;
		size_t len;

		snprintf(name, sizeof(name), k ? "audit.log.%u" : "audit.log", k);
		p = path_in_tmp(name);
		text = slurp(p, &len);
		if (text) {
			total += check_lines(p, text, len, seen);
			files++;
			/* a file is rotated only once the next line would not fit: no
			 * file was rotated twice, or while nearly empty */
			ck_assert_msg(k == 0 || len + line_len > 32u << 10,
				      "%s rotated at %zu bytes", p, len);
		}
		free(text);
		free(p);
	}
	EXPECT_UINT(total, WRITERS * LINES);
	check_all_seen(seen);
	ck_assert_msg(files > 20, "expected many rotated files, got %zu", files);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *f = tcase_create("format");
	TCase *o = tcase_create("file");

	tcase_add_test(f, test_format_exact);
	tcase_add_test(f, test_escaping);
	tcase_add_test(f, test_caps);
	tcase_add_test(f, test_longest_line);
	tcase_add_checked_fixture(o, setup, teardown);
	tcase_set_timeout(o, 60);
	tcase_add_test(o, test_open_modes);
	tcase_add_test(o, test_open_refused);
	tcase_add_test(o, test_rotation);
	tcase_add_test(o, test_follow_rotation);
	tcase_add_test(o, test_log_removed);
	tcase_add_test(o, test_rotation_fails);
	tcase_add_test(o, test_write_errors);
	tcase_add_test(o, test_stderr);
	tcase_add_test(o, test_concurrent_writers);
	tcase_add_test(o, test_concurrent_rotation);
	suite_add_tcase(s, f);
	suite_add_tcase(s, o);
	return s;
}

PD_UNIT_SUITE(audit_suite);
