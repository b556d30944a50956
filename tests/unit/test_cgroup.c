/* SPDX-License-Identifier: MIT */
/*
 * test_cgroup.c - pd_cgroup_self_path(): finding a controller's path in
 * /proc/self/cgroup text (v1 "N:ctl1,ctl2:/path" and v2 "0::/path").
 * The output buffer is an exact-size heap block with a guard check, so the
 * ASan build sees any write past @outsz.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "common/util.h"
#include "runtime/limits.h"

static const char hybrid[] =
	"12:pids:/p\n"
	"garbage line\n"
	"11:nocolon\n"
	"4:memory:/a/b\n"
	"3:blkio:\n"
	"2:cpu,cpuacct:/x\n"
	"5:,net_cls,net_prio,:/net\n"
	"1:name=systemd:/s\n"
	"7:devices:relative\n"
	"0::/user.slice/x\n";

static void expect_path(const char *text, const char *ctl, const char *want)
{
	char out[256];
	int r;

	memset(out, 'X', sizeof(out));
	r = pd_cgroup_self_path(text, strlen(text), ctl, out, sizeof(out));
	ck_assert_msg(r == 0, "cgroup path of \"%s\": expected 0 and \"%s\", got %d", ctl, want, r);
	ck_assert_msg(strcmp(out, want) == 0, "cgroup path of \"%s\": expected \"%s\", got \"%s\"",
		      ctl, want, out);
}

static void expect_none(const char *text, size_t len, const char *ctl)
{
	char out[64];
	int r;

	memset(out, 'X', sizeof(out));
	r = pd_cgroup_self_path(text, len, ctl, out, sizeof(out));
	ck_assert_msg(r == -1, "cgroup path of \"%s\": expected -1, got %d (\"%.64s\")", ctl, r,
		      out);
}

START_TEST(v1_controllers)
{
	expect_path(hybrid, "memory", "/a/b");
	expect_path(hybrid, "cpu", "/x");
	expect_path(hybrid, "cpuacct", "/x");
	expect_path(hybrid, "pids", "/p");
	expect_path(hybrid, "net_prio", "/net");
	expect_path(hybrid, "name=systemd", "/s");
	expect_path("4:memory:/a/b", "memory", "/a/b"); /* no trailing newline */
	expect_path("2:cpu,cpuacct:/x\n", "cpu", "/x");
	expect_path("4:memory:/\n", "memory", "/");
	expect_path("4:memory:/a:b\n", "memory", "/a:b"); /* ':' inside the path */
	expect_path("4:memory:/first\n5:memory:/second\n", "memory", "/first");
}
END_TEST

START_TEST(v1_missing_controller)
{
	size_t n = sizeof(hybrid) - 1;

	expect_none(hybrid, n, "blkio");       /* empty path */
	expect_none(hybrid, n, "devices");     /* relative path */
	expect_none(hybrid, n, "freezer");     /* absent */
	expect_none(hybrid, n, "cpuac");       /* prefix of a controller */
	expect_none(hybrid, n, "cpu,cpuacct"); /* the list is not one name */
	expect_none(hybrid, n, "mem");
	expect_none(hybrid, n, "memoryx");
	expect_none(hybrid, n, "nocolon");
	expect_none(hybrid, n, "garbage line");
	expect_none(hybrid, n, "name");
	expect_none("0::/only/v2\n", 12, "memory");
}
END_TEST

START_TEST(v2_path)
{
	expect_path(hybrid, "", "/user.slice/x");
	expect_path("0::/user.slice/x", "", "/user.slice/x");
	expect_path("0::/\n", "", "/");
	expect_path("4:memory:/a\n0::/v2\n", "", "/v2");
	expect_path("0::/a b/c\n", "", "/a b/c");
}
END_TEST

START_TEST(garbage)
{
	static const char *const texts[] = {
		"",         "\n",          "garbage",        "::",
		"0::",      "0::\n",       "0::relative\n",  "1::/x\n",
		"00::/x\n", ":0::/x\n",    "0:/x\n",         "0\n",
		":::::\n",  "4:memory:\n", "4:memory:rel\n", "0:memory:/x\n",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char out[64];
		int r;

		memset(out, 'X', sizeof(out));
		r = pd_cgroup_self_path(texts[i], strlen(texts[i]), "", out, sizeof(out));
		ck_assert_msg(r == -1, "v2 path in \"%s\": expected -1, got %d (\"%.64s\")",
			      texts[i], r, out);
	}
	expect_none("4:memory:\n", 10, "memory");
	expect_none("4:memory:rel\n", 13, "memory");
	expect_none("", 0, "memory");
	/* Only @len bytes count: the path is cut to nothing. */
	expect_none("0::/x", 3, "");
	expect_none("4:memory:/a", 9, "memory");
}
END_TEST

START_TEST(bounded_output)
{
	static const char text[] = "0::/abcdef\n";
	char *out;

	/* exactly fits: 7 chars + NUL */
	out = pd_xmalloc(8);
	EXPECT_INT(pd_cgroup_self_path(text, sizeof(text) - 1, "", out, 8), 0);
	ck_assert_msg(strcmp(out, "/abcdef") == 0, "out: expected \"/abcdef\", got \"%s\"", out);
	free(out);

	/* one byte short: refused, nothing written past the block */
	out = pd_xmalloc(7);
	memset(out, 'X', 7);
	EXPECT_INT(pd_cgroup_self_path(text, sizeof(text) - 1, "", out, 7), -1);
	free(out);

	out = pd_xmalloc(1);
	EXPECT_INT(pd_cgroup_self_path(text, sizeof(text) - 1, "", out, 1), -1);
	free(out);

	/* the input itself is an exact-size block without NUL */
	{
		char *in = pd_xmalloc(sizeof(text) - 2);
		char buf[32];

		memcpy(in, text, sizeof(text) - 2); /* no '\n', no NUL */
		EXPECT_INT(pd_cgroup_self_path(in, sizeof(text) - 2, "", buf, sizeof(buf)), 0);
		ck_assert_msg(strcmp(buf, "/abcdef") == 0, "buf: expected \"/abcdef\", got \"%s\"",
			      buf);
		free(in);
	}
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("self_path");

	tcase_add_test(tc, v1_controllers);
	tcase_add_test(tc, v1_missing_controller);
	tcase_add_test(tc, v2_path);
	tcase_add_test(tc, garbage);
	tcase_add_test(tc, bounded_output);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(cgroup_suite);
