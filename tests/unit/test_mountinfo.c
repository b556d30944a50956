/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common/mountinfo.c: the /proc/PID/mountinfo walker. */
#include "unit.h"
#include "common/mountinfo.h"

#include <stdio.h>
#include <string.h>

struct seen {
	struct pd_mountinfo m[8];
	int n;
};

static int collect(const struct pd_mountinfo *m, void *p)
{
	struct seen *s = p;

	if (s->n < 8)
		s->m[s->n++] = *m;
	return 0;
}

static int stop_at_second(const struct pd_mountinfo *m, void *p)
{
	(void)m;
	return ++*(int *)p == 2 ? 7 : 0;
}

START_TEST(test_fields)
{
	static const char text[] =
		"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
		"35 31 0:32 /../.. /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
		"60 27 0:50 /a\\040b /mnt/with\\040space\\134x rw shared:1 master:2 - tmpfs none rw,size=4k";
	struct seen s = { .n = 0 };

	ck_assert_int_eq(pd_mountinfo_foreach(text, strlen(text), collect, &s), 0);
	ck_assert_msg(s.n == 3, "expected 3 entries, got %d", s.n);
	ck_assert_msg(s.m[0].id == 27 && s.m[0].parent == 1, "ids: got %u %u", s.m[0].id,
		      s.m[0].parent);
	ck_assert_str_eq(s.m[0].mountpoint, "/");
	ck_assert_str_eq(s.m[0].fstype, "ext4");
	ck_assert_str_eq(s.m[0].superopts, "rw,discard");
	ck_assert_str_eq(s.m[1].root, "/../..");
	ck_assert_str_eq(s.m[1].superopts, "rw,memory");
	/* optional fields skipped; octal escapes undone */
	ck_assert_str_eq(s.m[2].root, "/a b");
	ck_assert_str_eq(s.m[2].mountpoint, "/mnt/with space\\x");
	ck_assert_str_eq(s.m[2].fstype, "tmpfs");
}
END_TEST

/* An overlay of hundreds of layers: its super options do not fit, the line still counts. */
START_TEST(test_long_superopts)
{
	char text[8192];
	struct seen s = { .n = 0 };
	int n = snprintf(text, sizeof(text), "99 1 0:60 / / rw - overlay overlay rw");

	for (int i = 0; i < 500; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, ",lowerdir+=/l%d", i);
	ck_assert_int_lt(n, (int)sizeof(text));
	ck_assert_int_eq(pd_mountinfo_foreach(text, (size_t)n, collect, &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.m[0].mountpoint, "/");
	ck_assert(strlen(s.m[0].superopts) < sizeof(s.m[0].superopts));
	ck_assert(strncmp(s.m[0].superopts, "rw,lowerdir+=/l0,", 17) == 0);
	/* cut after a whole option: the text after it starts the next one */
	ck_assert(text[strstr(text, s.m[0].superopts) - text + strlen(s.m[0].superopts)] == ',');
}
END_TEST

START_TEST(test_malformed_skipped)
{
	static const char text[] =
		"garbage\n"
		"1 2 3 4\n"
		"x 1 0:1 / / rw - tmpfs none rw\n"           /* non-numeric id */
		"5 1 0:1 / /no-separator rw tmpfs none rw\n" /* no " - " */
		"6 1 0:1 / /ok rw - tmpfs none rw\n"
		"7 1 0:1 / /short rw - tmpfs\n" /* too few after " - " */
		"\n";
	struct seen s = { .n = 0 };

	pd_mountinfo_foreach(text, strlen(text), collect, &s);
	ck_assert_msg(s.n == 1, "expected only the one valid line, got %d", s.n);
	ck_assert_str_eq(s.m[0].mountpoint, "/ok");
}
END_TEST

START_TEST(test_too_long_skipped)
{
	char text[3000];
	struct seen s = { .n = 0 };
	int n = snprintf(text, sizeof(text), "1 1 0:1 / /");

	memset(text + n, 'a', 2000);
	n += 2000;
	n += snprintf(text + n, sizeof(text) - (size_t)n,
		      " rw - tmpfs none rw\n2 1 0:1 / /b rw - t n o");
	pd_mountinfo_foreach(text, (size_t)n, collect, &s);
	ck_assert_msg(s.n == 1 && !strcmp(s.m[0].mountpoint, "/b"),
		      "a 2000-byte mount point is skipped, the next line kept: got %d entries",
		      s.n);
}
END_TEST

START_TEST(test_stop_value)
{
	static const char text[] =
		"1 1 0:1 / /a rw - t n o\n2 1 0:1 / /b rw - t n o\n3 1 0:1 / /c rw - t n o\n";
	int count = 0;

	ck_assert_int_eq(pd_mountinfo_foreach(text, strlen(text), stop_at_second, &count), 7);
	ck_assert_int_eq(count, 2);
}
END_TEST

static Suite *mountinfo_suite(void)
{
	Suite *s = suite_create("mountinfo");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_long_superopts);
	tcase_add_test(tc, test_malformed_skipped);
	tcase_add_test(tc, test_too_long_skipped);
	tcase_add_test(tc, test_stop_value);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(mountinfo_suite);
