/* SPDX-License-Identifier: MIT */
/*
 * test_util.c - src/common/util.h and cleanup.h: number parsing, bounded
 * copies, string vectors, random hex, and the scope-bound release helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "common/cleanup.h"
#include "common/util.h"

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

/* A parse that must fail with @want_errno and leave *out alone. */
#define EXPECT_U64_FAIL(s, max, want_errno) \
	do { \
		uint64_t out_ = 4242; \
		errno = 0; \
		EXPECT_INT(pd_parse_u64((s), (max), &out_), -1); \
		ck_assert_msg(errno == (want_errno), \
			      "pd_parse_u64(\"%s\", %llu): expected errno %d, got %d", show(s), \
			      (unsigned long long)(max), (want_errno), errno); \
		EXPECT_UINT(out_, 4242); \
	} while (0)
#define EXPECT_U64_OK(s, max, want) \
	do { \
		uint64_t out_ = 4242; \
		int r_ = pd_parse_u64((s), (max), &out_); \
		ck_assert_msg(r_ == 0, "pd_parse_u64(\"%s\"): expected 0, got %d (errno %d)", (s), \
			      r_, errno); \
		EXPECT_UINT(out_, (want)); \
	} while (0)

START_TEST(parse_u64_valid)
{
	EXPECT_U64_OK("0", UINT64_MAX, 0);
	EXPECT_U64_OK("7", UINT64_MAX, 7);
	EXPECT_U64_OK("007", UINT64_MAX, 7);
	EXPECT_U64_OK("18446744073709551615", UINT64_MAX, UINT64_MAX);
	EXPECT_U64_OK("18446744073709551614", UINT64_MAX - 1, UINT64_MAX - 1);
	EXPECT_U64_OK("100", 100, 100);
	EXPECT_U64_OK("4194304", 1u << 22, 1u << 22);
	EXPECT_U64_OK("9", 9, 9);
	EXPECT_U64_OK("0", 0, 0);
}
END_TEST

START_TEST(parse_u64_invalid)
{
	EXPECT_U64_FAIL("", UINT64_MAX, EINVAL);
	EXPECT_U64_FAIL(NULL, UINT64_MAX, EINVAL);
	EXPECT_U64_FAIL("12a", UINT64_MAX, EINVAL);
	EXPECT_U64_FAIL("a12", UINT64_MAX, EINVAL);
	EXPECT_U64_FAIL("-1", UINT64_MAX, EINVAL);
	EXPECT_U64_FAIL("+1", UINT64_MAX, EINVAL);
	EXPECT_U64_FAIL(" 1", UINT64_MAX, EINVAL);
	EXPECT_U64_FAIL("1 ", UINT64_MAX, EINVAL);
	EXPECT_U64_FAIL("0x10", UINT64_MAX, EINVAL);
	EXPECT_U64_FAIL("1.0", UINT64_MAX, EINVAL);
}
END_TEST

START_TEST(parse_u64_range)
{
	EXPECT_U64_FAIL("18446744073709551616", UINT64_MAX, ERANGE);
	EXPECT_U64_FAIL("18446744073709551620", UINT64_MAX, ERANGE);
	EXPECT_U64_FAIL("99999999999999999999999", UINT64_MAX, ERANGE);
	EXPECT_U64_FAIL("18446744073709551615", UINT64_MAX - 1, ERANGE);
	EXPECT_U64_FAIL("101", 100, ERANGE);
	EXPECT_U64_FAIL("1000", 100, ERANGE);
	EXPECT_U64_FAIL("4194305", 1u << 22, ERANGE);
	EXPECT_U64_FAIL("10", 9, ERANGE);
	EXPECT_U64_FAIL("15", 12, ERANGE);
}
END_TEST

START_TEST(parse_u32)
{
	uint32_t v = 1;

	EXPECT_INT(pd_parse_u32("4294967295", &v), 0);
	EXPECT_UINT(v, UINT32_MAX);
	EXPECT_INT(pd_parse_u32("0", &v), 0);
	EXPECT_UINT(v, 0);
	v = 99;
	errno = 0;
	EXPECT_INT(pd_parse_u32("4294967296", &v), -1);
	EXPECT_INT(errno, ERANGE);
	EXPECT_UINT(v, 99);
	errno = 0;
	EXPECT_INT(pd_parse_u32("", &v), -1);
	EXPECT_INT(errno, EINVAL);
	errno = 0;
	EXPECT_INT(pd_parse_u32("1e3", &v), -1);
	EXPECT_INT(errno, EINVAL);
	EXPECT_UINT(v, 99);
}
END_TEST

START_TEST(strlcpy_truncates)
{
	char buf[16];

	memset(buf, 'X', sizeof(buf));
	EXPECT_UINT(pd_strlcpy(buf, "hello world", 5), 11);
	EXPECT_STR(buf, "hell");
	for (size_t i = 5; i < sizeof(buf); i++)
		ck_assert_msg(buf[i] == 'X', "buf[%zu]: expected 'X' (untouched), got 0x%02x", i,
			      (unsigned char)buf[i]);

	memset(buf, 'X', sizeof(buf));
	EXPECT_UINT(pd_strlcpy(buf, "abcd", 5), 4);
	EXPECT_STR(buf, "abcd");

	memset(buf, 'X', sizeof(buf)); /* exactly one byte too long */
	EXPECT_UINT(pd_strlcpy(buf, "abcde", 5), 5);
	EXPECT_STR(buf, "abcd");
	EXPECT_INT(buf[5], 'X');

	memset(buf, 'X', sizeof(buf));
	EXPECT_UINT(pd_strlcpy(buf, "abcd", 1), 4);
	EXPECT_STR(buf, "");
	EXPECT_INT(buf[1], 'X');

	memset(buf, 'X', sizeof(buf));
	EXPECT_UINT(pd_strlcpy(buf, "abcd", 0), 4);
	EXPECT_INT(buf[0], 'X');

	EXPECT_UINT(pd_strlcpy(buf, "", sizeof(buf)), 0);
	EXPECT_STR(buf, "");
}
END_TEST

START_TEST(has_prefix)
{
	ck_assert_msg(pd_str_has_prefix("dir:/x", "dir:"),
		      "\"dir:/x\" has prefix \"dir:\": expected true, got false");
	ck_assert_msg(pd_str_has_prefix("abc", ""),
		      "\"abc\" has prefix \"\": expected true, got false");
	ck_assert_msg(!pd_str_has_prefix("di", "dir:"),
		      "\"di\" has prefix \"dir:\": expected false, got true");
	ck_assert_msg(!pd_str_has_prefix("Dir:", "dir:"),
		      "\"Dir:\" has prefix \"dir:\": expected false, got true");
}
END_TEST

START_TEST(strv_push_dup_len)
{
	char **v = NULL, **d;
	char src[8] = "one";

	EXPECT_UINT(pd_strv_len(NULL), 0);
	pd_strv_push(&v, src);
	src[0] = 'X'; /* push copied: the vector keeps "one" */
	pd_strv_push(&v, "two");
	pd_strv_push_take(&v, pd_xstrdup("three"));
	EXPECT_UINT(pd_strv_len(v), 3);
	EXPECT_STR(v[0], "one");
	EXPECT_STR(v[1], "two");
	EXPECT_STR(v[2], "three");
	ck_assert_msg(v[3] == NULL, "v[3]: expected NULL terminator, got %p", (void *)v[3]);

	d = pd_strv_dup(v);
	EXPECT_UINT(pd_strv_len(d), 3);
	for (size_t i = 0; i < 3; i++) {
		EXPECT_STR(d[i], v[i]);
		ck_assert_msg(d[i] != v[i], "d[%zu]: expected a copy, got the same pointer %p", i,
			      (void *)d[i]);
	}
	ck_assert_msg(d[3] == NULL, "d[3]: expected NULL terminator, got %p", (void *)d[3]);
	pd_strv_free(v);
	pd_strv_free(d);

	d = pd_strv_dup(NULL);
	ck_assert_msg(d != NULL && d[0] == NULL,
		      "pd_strv_dup(NULL): expected an empty vector, got %p", (void *)d);
	pd_strv_free(d);
	pd_strv_free(NULL);
}
END_TEST

START_TEST(xasprintf_and_xstrndup)
{
	char *s = pd_xasprintf("%s=%d", "N", 42);
	char *t = pd_xstrndup("abcdef", 3);

	EXPECT_STR(s, "N=42");
	EXPECT_STR(t, "abc");
	free(s);
	free(t);
}
END_TEST

static void expect_hex(const char *buf, size_t want_len)
{
	size_t n = strlen(buf);

	ck_assert_msg(n == want_len, "pd_random_hex: expected %zu chars, got %zu", want_len, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f'),
			      "pd_random_hex[%zu]: expected [0-9a-f], got 0x%02x", i,
			      (unsigned char)buf[i]);
}

START_TEST(random_hex)
{
	char a[2 * 64 + 2], b[2 * 64 + 2];

	memset(a, 'X', sizeof(a));
	pd_random_hex(a, 8);
	expect_hex(a, 16);
	EXPECT_INT(a[17], 'X'); /* nothing written past the NUL */

	pd_random_hex(b, 8);
	ck_assert_msg(strcmp(a, b) != 0, "two random ids: expected different, got \"%s\" twice", a);

	pd_random_hex(a, 0);
	EXPECT_STR(a, "");

	memset(a, 'X', sizeof(a));
	pd_random_hex(a, 64);
	expect_hex(a, 128);
	EXPECT_INT(a[129], 'X');
}
END_TEST

START_TEST(cleanup_helpers)
{
	int fds[2];
	int kept;

	ck_assert_msg(pipe2(fds, O_CLOEXEC) == 0, "pipe2: expected 0, got errno %d", errno);
	{
		cleanup_close int a = fds[0];
		cleanup_close int b = fds[1];

		kept = steal_fd(&b);
		EXPECT_INT(b, -1);
		EXPECT_INT(kept, fds[1]);
		(void)a;
	}
	/* a was closed at scope exit, the stolen one was not */
	errno = 0;
	EXPECT_INT(fcntl(fds[0], F_GETFD), -1);
	EXPECT_INT(errno, EBADF);
	ck_assert_msg(fcntl(kept, F_GETFD) >= 0, "stolen fd %d: expected open, got errno %d", kept,
		      errno);

	errno = ENOSPC;
	pd_close(kept);
	EXPECT_INT(errno, ENOSPC); /* pd_close keeps errno */
	errno = 0;
	EXPECT_INT(fcntl(kept, F_GETFD), -1);
	pd_close(-1);

	{
		cleanup_free char *p = pd_xstrdup("x");
		char *q = steal_ptr(&p);

		ck_assert_msg(p == NULL, "steal_ptr: expected the source NULL, got %p", (void *)p);
		EXPECT_STR(q, "x");
		free(q);
	}
	{
		cleanup_strv char **v = NULL;

		pd_strv_push(&v, "a");
		pd_strv_push(&v, "b");
	} /* freed here: the leak checker of the ASan build and valgrind see it */
}
END_TEST

/*
 * Regression (was a bug):
 * pd_parse_u64() with @max below 9 accepts a single digit above @max, as
 * (max - d) wraps around.  No caller passes such a max today.
 */
START_TEST(bug_parse_u64_small_max)
{
	EXPECT_U64_FAIL("7", 5, ERANGE);
	EXPECT_U64_FAIL("1", 0, ERANGE);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, parse_u64_valid);
	tcase_add_test(tc, parse_u64_invalid);
	tcase_add_test(tc, parse_u64_range);
	tcase_add_test(tc, parse_u32);
	tcase_add_test(tc, strlcpy_truncates);
	tcase_add_test(tc, has_prefix);
	tcase_add_test(tc, strv_push_dup_len);
	tcase_add_test(tc, xasprintf_and_xstrndup);
	tcase_add_test(tc, random_hex);
	tcase_add_test(tc, cleanup_helpers);
	tcase_add_test(tc, bug_parse_u64_small_max);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(util_suite);
