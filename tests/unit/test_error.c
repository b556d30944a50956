/* SPDX-License-Identifier: MIT */
/*
 * test_error.c - the error contract (src/common/error.h): exact message
 * text, wrapping, the middle cut of an over-long message (both ends and the
 * errno text survive, UTF-8 stays whole) and clearing.
 *
 * The truncation tests use a struct pd_error on the heap, sized exactly, so
 * the ASan build catches a write one byte past the message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "common/error.h"
#include "common/util.h"

/* The message is NUL-terminated inside the array. */
#define EXPECT_TERMINATED(e) \
	ck_assert_msg(memchr((e)->msg, '\0', sizeof((e)->msg)) != NULL, \
		      "msg: expected a NUL within %zu bytes, got none", sizeof((e)->msg))

static struct pd_error *new_error(void)
{
	struct pd_error *e = pd_xmalloc(sizeof(*e));

	memset(e, 0x5a, sizeof(*e)); /* garbage, as an uninitialised struct */
	return e;
}

START_TEST(set_with_errno)
{
	struct pd_error e;
	int r;

	memset(&e, 0, sizeof(e));
	e.status = 126;
	r = pd_error_set(&e, EACCES, "mount \"%s\"", "/x");
	EXPECT_INT(r, -1);
	EXPECT_STR(e.msg, "mount \"/x\": Permission denied");
	EXPECT_INT(e.code, EACCES);
	EXPECT_INT(e.status, 0); /* a fresh error carries no status hint */
}
END_TEST

START_TEST(set_without_errno)
{
	struct pd_error e;

	memset(&e, 0, sizeof(e));
	EXPECT_INT(pd_error_set(&e, 0, "image \"%s\" has no %s", "dir:/r", "/bin/sh"), -1);
	EXPECT_STR(e.msg, "image \"dir:/r\" has no /bin/sh");
	EXPECT_INT(e.code, 0);
}
END_TEST

START_TEST(set_null_error)
{
	/* A caller may pass NULL: the failure is still returned. */
	EXPECT_INT(pd_error_set(NULL, EIO, "x"), -1);
	EXPECT_INT(pd_error_wrap(NULL, "ctx"), -1);
	pd_error_clear(NULL);
}
END_TEST

START_TEST(wrap_prepends_context)
{
	struct pd_error e;

	memset(&e, 0, sizeof(e));
	pd_error_set(&e, ENOENT, "open \"%s\"", "/etc/passwd");
	e.status = 127;
	EXPECT_INT(pd_error_wrap(&e, "user \"%s\"", "agent"), -1);
	EXPECT_STR(e.msg, "user \"agent\": open \"/etc/passwd\": No such file or directory");
	EXPECT_INT(e.code, ENOENT); /* wrap keeps the code ... */
	EXPECT_INT(e.status, 127);  /* ... and the status hint */
	pd_error_wrap(&e, "run");
	EXPECT_STR(e.msg, "run: user \"agent\": open \"/etc/passwd\": No such file or directory");
}
END_TEST

/*
 * A long text whose every position is recognisable: "<" then the decimal
 * offset of every tenth byte, padded with '.', then ">".
 */
static char *pattern(size_t n)
{
	char *s = pd_xmalloc(n + 1);

	memset(s, '.', n);
	for (size_t i = 0; i < n; i += 10) {
		char num[24];
		int k = snprintf(num, sizeof(num), "%zu", i);

		memcpy(s + i, num, (size_t)k < n - i ? (size_t)k : n - i);
	}
	s[0] = '<';
	s[n - 1] = '>';
	s[n] = '\0';
	return s;
}

/*
 * @e->msg is @head_len bytes of @head, "...", then the last @tail_len bytes
 * of @tail: nothing else, NUL-terminated within the buffer.
 */
static void expect_cut(const struct pd_error *e, const char *head, size_t head_len,
		       const char *tail, size_t tail_len)
{
	size_t len, tl = strlen(tail);

	EXPECT_TERMINATED(e);
	len = strlen(e->msg);
	ck_assert_msg(len == head_len + 3 + tail_len,
		      "msg: expected %zu + 3 + %zu bytes, got %zu: \"%.40s...%s\"", head_len,
		      tail_len, len, e->msg, len > 40 ? e->msg + len - 40 : e->msg);
	ck_assert_msg(memcmp(e->msg, head, head_len) == 0,
		      "msg: expected to start with \"%.*s\", got \"%.*s\"", (int)head_len, head,
		      (int)head_len, e->msg);
	ck_assert_msg(memcmp(e->msg + head_len, "...", 3) == 0,
		      "msg: expected \"...\" at offset %zu, got \"%.3s\"", head_len,
		      e->msg + head_len);
	ck_assert_msg(tail_len <= tl && strcmp(e->msg + head_len + 3, tail + tl - tail_len) == 0,
		      "msg: expected to end with \"%s\", got \"%s\"", tail + tl - tail_len,
		      e->msg + head_len + 3);
}

/* What survives a cut: (MAX - 1 - 3) bytes, half from each end. */
#define KEEP (PD_ERROR_MSG_MAX - 1 - 3)
#define HEAD (KEEP / 2)
#define TAIL (KEEP - HEAD)

START_TEST(set_truncates)
{
	struct pd_error *e = new_error();
	char *long_s = pattern(3 * PD_ERROR_MSG_MAX);
	char *full = pd_xmalloc(4 * PD_ERROR_MSG_MAX);

	/* Too long without a code: its middle goes, both ends stay. */
	pd_error_set(e, 0, "%s", long_s);
	expect_cut(e, long_s, HEAD, long_s, TAIL);
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 1);
	pd_error_set_msg(e, EIO, "%s", long_s);
	expect_cut(e, long_s, HEAD, long_s, TAIL);
	EXPECT_INT(e->code, EIO);

	/* Too long with a code: the strerror text survives at the end. */
	pd_error_set(e, EACCES, "%s", long_s);
	snprintf(full, 4 * PD_ERROR_MSG_MAX, "%s: Permission denied", long_s);
	expect_cut(e, long_s, HEAD, full, TAIL);
	EXPECT_INT(e->code, EACCES);

	/* A message that the suffix would push over the end: cut, suffix kept. */
	long_s[PD_ERROR_MSG_MAX - 10] = '\0';
	pd_error_set(e, EACCES, "%s", long_s);
	snprintf(full, 4 * PD_ERROR_MSG_MAX, "%s: Permission denied", long_s);
	expect_cut(e, long_s, HEAD, full, TAIL);

	/* Exactly full with the suffix: no cut at all; one byte more: cut. */
	long_s[PD_ERROR_MSG_MAX - 10] = '.';
	long_s[PD_ERROR_MSG_MAX - 1 - strlen(": Permission denied")] = '\0';
	pd_error_set(e, EACCES, "%s", long_s);
	snprintf(full, 4 * PD_ERROR_MSG_MAX, "%s: Permission denied", long_s);
	EXPECT_STR(e->msg, full);
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 1);
	pd_error_set(e, EACCES, "%s.", long_s);
	snprintf(full, 4 * PD_ERROR_MSG_MAX, "%s.: Permission denied", long_s);
	expect_cut(e, full, HEAD, full, TAIL);
	free(long_s);
	free(full);
	free(e);
}
END_TEST

/* Longer than paude formats at all (4 x MAX): the head, "...", the errno text. */
START_TEST(set_truncates_huge)
{
	struct pd_error *e = new_error();
	char *huge = pattern(5 * PD_ERROR_MSG_MAX);

	const char *suffix = ": No such file or directory";
	char *head = pd_xmalloc(6 * PD_ERROR_MSG_MAX);

	snprintf(head, 6 * PD_ERROR_MSG_MAX, "open \"%s", huge);
	pd_error_set(e, ENOENT, "open \"%s\"", huge);
	expect_cut(e, head, KEEP - strlen(suffix), suffix, strlen(suffix));
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 1);
	EXPECT_INT(e->code, ENOENT);
	/* No code: nothing is known of the end, so nothing follows "...". */
	pd_error_set(e, 0, "%s", huge);
	expect_cut(e, huge, KEEP, "", 0);
	free(head);
	free(huge);
	free(e);
}
END_TEST

START_TEST(wrap_truncates)
{
	struct pd_error *e = new_error();
	char *big = pattern(2 * PD_ERROR_MSG_MAX);
	char *full = pd_xmalloc(4 * PD_ERROR_MSG_MAX);
	size_t n;

	/* Huge context: its head, "...", its tail and the whole old message. */
	pd_error_set(e, EPERM, "base");
	pd_error_wrap(e, "%s", big);
	snprintf(full, 4 * PD_ERROR_MSG_MAX, "%s: base: Operation not permitted", big);
	expect_cut(e, big, HEAD, full, TAIL);
	EXPECT_INT(e->code, EPERM);

	/* Exactly full: no cut; one byte more: cut. */
	n = PD_ERROR_MSG_MAX - 1 - strlen(": old");
	big[n] = '\0';
	pd_error_set(e, 0, "old");
	pd_error_wrap(e, "%s", big);
	snprintf(full, 4 * PD_ERROR_MSG_MAX, "%s: old", big);
	EXPECT_STR(e->msg, full);
	pd_error_set(e, 0, "old");
	pd_error_wrap(e, "%s.", big);
	snprintf(full, 4 * PD_ERROR_MSG_MAX, "%s.: old", big);
	expect_cut(e, full, HEAD, full, TAIL);
	big[n] = '.';

	/* Long old message: the new context, its head, "...", its tail. */
	big[PD_ERROR_MSG_MAX + 100] = '\0';
	pd_error_set(e, 0, "%s", big); /* itself cut */
	expect_cut(e, big, HEAD, big, TAIL);
	snprintf(full, 4 * PD_ERROR_MSG_MAX, "ctx: %s", e->msg);
	pd_error_wrap(e, "ctx");
	expect_cut(e, full, HEAD, full, TAIL);
	free(big);
	free(full);
	free(e);
}
END_TEST

/* The case: a long inner message and a long context keep both ends. */
START_TEST(wrap_keeps_both_ends)
{
	struct pd_error *e = new_error();
	char *inner = pattern(900), *outer = pattern(900);
	const char *want_end = "\": Permission denied";
	size_t len;

	pd_error_set(e, EACCES, "open \"%s\"", inner);
	pd_error_wrap(e, "volume \"%s\"", outer);
	pd_error_wrap(e, "run");
	EXPECT_TERMINATED(e);
	len = strlen(e->msg);
	EXPECT_INT(len, PD_ERROR_MSG_MAX - 1);
	ck_assert_msg(strncmp(e->msg, "run: volume \"<", 14) == 0,
		      "msg: expected the outermost context first, got \"%.40s\"", e->msg);
	ck_assert_msg(strcmp(e->msg + len - strlen(want_end), want_end) == 0,
		      "msg: expected the errno text at the end, got \"%s\"", e->msg + len - 40);
	ck_assert_msg(strstr(e->msg, "...") != NULL, "msg: expected a \"...\" cut, got none");
	/* The object's end (the inner path's last bytes) is there too. */
	ck_assert_msg(strstr(e->msg, inner + 900 - 200) != NULL,
		      "msg: expected the end of the inner path, got \"%s\"", e->msg + len - 220);
	EXPECT_INT(e->code, EACCES);

	/* Any number of wraps: the errno text never goes. */
	for (int i = 0; i < 100; i++)
		pd_error_wrap(e, "layer %d \"%s\"", i, outer);
	len = strlen(e->msg);
	ck_assert_msg(strncmp(e->msg, "layer 99 \"<", 11) == 0,
		      "msg: expected the outermost context first, got \"%.40s\"", e->msg);
	ck_assert_msg(len >= strlen(want_end) &&
			      strcmp(e->msg + len - strlen(want_end), want_end) == 0,
		      "msg: expected the errno text at the end after 100 wraps, got \"%s\"",
		      len > 40 ? e->msg + len - 40 : e->msg);
	free(inner);
	free(outer);
	free(e);
}
END_TEST

/* Whether @s is well-formed UTF-8 (no sequence cut in two). */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80             ? 0
			: (*p & 0xe0) == 0xc0 ? 1
			: (*p & 0xf0) == 0xe0 ? 2
			: (*p & 0xf8) == 0xf0 ? 3
					      : -1;

		if (n < 0)
			return false;
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

START_TEST(cut_keeps_utf8_whole)
{
	struct pd_error *e = new_error();
	/* 2-, 3- and 4-byte sequences, at every alignment against the cut. */
	static const char *const units[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x90\x8d" };
	char *s = pd_xmalloc(3 * PD_ERROR_MSG_MAX);

	for (size_t u = 0; u < 3; u++) {
		for (size_t shift = 0; shift < 4; shift++) {
			size_t w = 0, ul = strlen(units[u]);

			memset(s, 'a', shift);
			w = shift;
			while (w + ul < 3 * PD_ERROR_MSG_MAX - 1) {
				memcpy(s + w, units[u], ul);
				w += ul;
			}
			s[w] = '\0';
			pd_error_set(e, EIO, "%s", s);
			ck_assert_msg(utf8_ok(e->msg),
				      "unit %zu shift %zu: a UTF-8 sequence was cut", u, shift);
			ck_assert_msg(strlen(e->msg) >= PD_ERROR_MSG_MAX - 1 - 6,
				      "unit %zu shift %zu: "
				      "expected at most 6 bytes short of full, got %zu",
				      u, shift, strlen(e->msg));
			pd_error_wrap(e, "%s", s);
			ck_assert_msg(utf8_ok(e->msg),
				      "unit %zu shift %zu: wrap cut a UTF-8 sequence", u, shift);
			ck_assert_msg(strstr(e->msg, ": Input/output error") != NULL,
				      "unit %zu shift %zu: the errno text was lost", u, shift);
		}
	}
	free(s);
	free(e);
}
END_TEST

/* Arguments may be the error's own message. */
START_TEST(set_from_own_message)
{
	struct pd_error e;

	pd_error_set(&e, 0, "inner");
	pd_error_set(&e, ENOENT, "outer (%s)", e.msg);
	EXPECT_STR(e.msg, "outer (inner): No such file or directory");
	pd_error_wrap(&e, "%.5s", e.msg);
	EXPECT_STR(e.msg, "outer: outer (inner): No such file or directory");
}
END_TEST

START_TEST(wrap_unterminated_old_message)
{
	struct pd_error *e = new_error(); /* msg is 0x5a bytes, no NUL anywhere */

	e->code = 0;
	e->status = 0;
	pd_error_wrap(e, "ctx");
	EXPECT_TERMINATED(e);
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 1);
	ck_assert_msg(strncmp(e->msg, "ctx: ZZZ", 8) == 0,
		      "msg: expected to start with \"ctx: ZZZ\", got \"%.16s\"", e->msg);
	free(e);
}
END_TEST

START_TEST(clear_resets)
{
	struct pd_error e;

	pd_error_set(&e, EIO, "disk");
	e.status = 126;
	pd_error_clear(&e);
	EXPECT_INT(e.code, 0);
	EXPECT_INT(e.status, 0);
	EXPECT_STR(e.msg, "");
}
END_TEST

START_TEST(strerror_text)
{
	EXPECT_STR(pd_strerror(EACCES), "Permission denied");
	EXPECT_STR(pd_strerror(ENOENT), "No such file or directory");
	EXPECT_STR(pd_strerror(123456), "Unknown error");
	EXPECT_STR(pd_strerror(-1), "Unknown error");
}
END_TEST

static Suite *error_suite(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("error");

	tcase_add_test(tc, set_with_errno);
	tcase_add_test(tc, set_without_errno);
	tcase_add_test(tc, set_null_error);
	tcase_add_test(tc, wrap_prepends_context);
	tcase_add_test(tc, set_truncates);
	tcase_add_test(tc, set_truncates_huge);
	tcase_add_test(tc, wrap_truncates);
	tcase_add_test(tc, wrap_keeps_both_ends);
	tcase_add_test(tc, cut_keeps_utf8_whole);
	tcase_add_test(tc, set_from_own_message);
	tcase_add_test(tc, wrap_unterminated_old_message);
	tcase_add_test(tc, clear_resets);
	tcase_add_test(tc, strerror_text);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(error_suite);
