/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/cmd_remote.c's pd_git_https_url(): the host's origin
 * as the sandbox can reach it (no SSH keys inside).
 */
#include "unit.h"

#include "session_git.h"

#include <stdlib.h>

static void expect_url(const char *in, const char *want)
{
	char *got = pd_git_https_url(in);

	ck_assert_msg(!strcmp(got, want), "[%s] -> [%s], want [%s]", in, got, want);
	free(got);
}

START_TEST(test_https_url)
{
	expect_url("git@github.com:org/repo.git", "https://github.com/org/repo.git");
	expect_url("ssh://git@github.com/org/repo.git", "https://github.com/org/repo.git");
	expect_url("ssh://git@gitlab.example.com:2222/g/r.git",
		   "https://gitlab.example.com/g/r.git");
	expect_url("ssh://host.test/r", "https://host.test/r");
	expect_url("https://github.com/org/repo.git", "https://github.com/org/repo.git");
	expect_url("http://user@host.test:8080/r.git", "http://host.test:8080/r.git");
	expect_url("https://x-access-token:ghp_SECRET@github.com/o/r.git",
		   "https://github.com/o/r.git");
	expect_url("https://github.com/a@b/r.git", "https://github.com/a@b/r.git");
	expect_url("/srv/git/repo.git", "/srv/git/repo.git");
	expect_url("ssh://", "ssh://");
	expect_url("", "");
}
END_TEST

static Suite *session_git_suite(void)
{
	Suite *s = suite_create("session_git");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_https_url);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(session_git_suite);
