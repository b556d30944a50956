/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common/path.c: lexical cleaning of in-sandbox paths. */
#include "unit.h"
#include "common/path.h"

#include <errno.h>
#include <string.h>

static void expect_clean(const char *in, const char *want)
{
	char out[64];

	ck_assert_msg(pd_path_clean(in, out, sizeof(out)) == 0, "clean(\"%s\") failed: errno %d",
		      in, errno);
	ck_assert_msg(!strcmp(out, want), "clean(\"%s\"): expected \"%s\", got \"%s\"", in, want,
		      out);
}

START_TEST(test_clean)
{
	expect_clean("/", "/");
	expect_clean("//", "/");
	expect_clean("/a", "/a");
	expect_clean("/a/", "/a");
	expect_clean("/a//b///c/", "/a/b/c");
	expect_clean("/./a/./b/.", "/a/b");
	expect_clean("/a/b/..", "/a");
	expect_clean("/a/b/../../..", "/");
	expect_clean("/../../etc", "/etc");
	expect_clean("/tmp/../proc/x", "/proc/x");
	expect_clean("/a/..b/c..", "/a/..b/c..");
	expect_clean("/...", "/...");
}
END_TEST

START_TEST(test_clean_errors)
{
	char out[8];

	errno = 0;
	ck_assert_msg(pd_path_clean("relative", out, sizeof(out)) < 0 && errno == EINVAL,
		      "relative path: expected EINVAL, got errno %d", errno);
	errno = 0;
	ck_assert_msg(pd_path_clean("", out, sizeof(out)) < 0 && errno == EINVAL,
		      "empty path: expected EINVAL, got errno %d", errno);
	errno = 0;
	ck_assert_msg(pd_path_clean("/abcdefgh", out, sizeof(out)) < 0 && errno == ENAMETOOLONG,
		      "/abcdefgh into 8 bytes: expected ENAMETOOLONG, got errno %d", errno);
	ck_assert_msg(pd_path_clean("/abcdef", out, sizeof(out)) == 0 && !strcmp(out, "/abcdef"),
		      "/abcdef fits exactly in 8 bytes, got \"%s\"", out);
	ck_assert_msg(pd_path_clean("/", out, 1) < 0 && errno == ENAMETOOLONG,
		      "no room for \"/\": expected ENAMETOOLONG");
}
END_TEST

START_TEST(test_is_under)
{
	ck_assert_msg(pd_path_is_under("/proc", "/proc"), "/proc is under /proc");
	ck_assert_msg(pd_path_is_under("/proc/sys", "/proc"), "/proc/sys is under /proc");
	ck_assert_msg(!pd_path_is_under("/procfs", "/proc"), "/procfs is not under /proc");
	ck_assert_msg(!pd_path_is_under("/pro", "/proc"), "/pro is not under /proc");
	ck_assert_msg(pd_path_is_under("/anything", "/"), "everything is under /");
}
END_TEST

static Suite *path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_clean);
	tcase_add_test(tc, test_clean_errors);
	tcase_add_test(tc, test_is_under);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(path_suite);
