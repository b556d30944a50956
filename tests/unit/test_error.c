/* SPDX-License-Identifier: MIT */
/*
 * test_error.c - the error contract (src/common/error.h): exact message
 * text, wrapping, truncation at PD_ERROR_MSG_MAX and clearing.
 *
 * The truncation tests use a struct pd_error on the heap, sized exactly, so
 * the ASan build catches a write one byte past the message.
 */
#include <errno.h>
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

	memset(e, 0x5a, sizeof(*e));   /* garbage, as an uninitialised struct */
	return e;
}

static char *repeat(char c, size_t n)
{
	char *s = pd_xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
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
	EXPECT_INT(e.status, 0);   /* a fresh error carries no status hint */
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
	EXPECT_INT(e.code, ENOENT);    /* wrap keeps the code ... */
	EXPECT_INT(e.status, 127);     /* ... and the status hint */
	pd_error_wrap(&e, "run");
	EXPECT_STR(e.msg, "run: user \"agent\": open \"/etc/passwd\": No such file or directory");
}
END_TEST

START_TEST(set_truncates)
{
	struct pd_error *e = new_error();
	char *long_s = repeat('a', 3 * PD_ERROR_MSG_MAX);
	size_t len;

	pd_error_set(e, 0, "%s", long_s);
	EXPECT_TERMINATED(e);
	len = strnlen(e->msg, sizeof(e->msg));
	EXPECT_INT(len, PD_ERROR_MSG_MAX - 1);
	ck_assert_msg(memcmp(e->msg, long_s, len) == 0,
		      "msg: expected the first %zu bytes of the input, got other bytes", len);

	/* Too long with a code: no suffix at all, nothing past the end. */
	pd_error_set(e, EACCES, "%s", long_s);
	EXPECT_TERMINATED(e);
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 1);
	ck_assert_msg(memcmp(e->msg, long_s, PD_ERROR_MSG_MAX - 1) == 0,
		      "msg: expected the first %d bytes of the input, got other bytes", PD_ERROR_MSG_MAX - 1);

	/* With a code the ": strerror" suffix is cut, never written past the end. */
	long_s[PD_ERROR_MSG_MAX - 10] = '\0';
	pd_error_set(e, EACCES, "%s", long_s);
	EXPECT_TERMINATED(e);
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 1);
	EXPECT_STR(e->msg + PD_ERROR_MSG_MAX - 10, ": Permiss");
	EXPECT_INT(e->code, EACCES);

	/* A message that fills the buffer exactly leaves no room for the suffix. */
	long_s[PD_ERROR_MSG_MAX - 10] = 'a';
	long_s[PD_ERROR_MSG_MAX - 1] = '\0';
	pd_error_set(e, EACCES, "%s", long_s);
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 1);
	ck_assert_msg(strstr(e->msg, "Permission") == NULL,
		      "msg: expected no strerror text, got one at offset %td",
		      strstr(e->msg, "Permission") - e->msg);
	free(long_s);
	free(e);
}
END_TEST

START_TEST(wrap_truncates)
{
	struct pd_error *e = new_error();
	char *big = repeat('c', 2 * PD_ERROR_MSG_MAX);

	/* Huge context: the context alone, cut to fit. */
	pd_error_set(e, EPERM, "base");
	pd_error_wrap(e, "%s", big);
	EXPECT_TERMINATED(e);
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 1);
	EXPECT_INT(e->code, EPERM);

	/* Context leaving exactly room for ": " and nothing of the old text. */
	big[PD_ERROR_MSG_MAX - 3] = '\0';
	pd_error_set(e, 0, "old");
	pd_error_wrap(e, "%s", big);
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 1);
	EXPECT_STR(e->msg + PD_ERROR_MSG_MAX - 3, ": ");

	/* Context one byte shorter than the room for ": ": no separator at all. */
	big[PD_ERROR_MSG_MAX - 3] = 'c';
	big[PD_ERROR_MSG_MAX - 2] = '\0';
	pd_error_set(e, 0, "old");
	pd_error_wrap(e, "%s", big);
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 2);

	/* Long old message: its tail is cut. */
	pd_error_set(e, 0, "%s", big);
	pd_error_wrap(e, "ctx");
	EXPECT_INT(strlen(e->msg), PD_ERROR_MSG_MAX - 1);
	ck_assert_msg(strncmp(e->msg, "ctx: ccc", 8) == 0,
		      "msg: expected to start with \"ctx: ccc\", got \"%.16s\"", e->msg);
	free(big);
	free(e);
}
END_TEST

START_TEST(wrap_unterminated_old_message)
{
	struct pd_error *e = new_error();   /* msg is 0x5a bytes, no NUL anywhere */

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
	tcase_add_test(tc, wrap_truncates);
	tcase_add_test(tc, wrap_unterminated_old_message);
	tcase_add_test(tc, clear_resets);
	tcase_add_test(tc, strerror_text);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(error_suite);
