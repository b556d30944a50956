/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/session_creds.c's pd_gitconfig_filter(): what of the
 * user's ~/.gitconfig a session gets (never a credential).
 */
#include "unit.h"

#include "session_creds.h"

#include <stdlib.h>
#include <string.h>

static void expect_filtered(const char *in, const char *want)
{
	size_t n = 0;
	char *got = pd_gitconfig_filter(in, strlen(in), &n);

	ck_assert_msg(!strcmp(got, want), "filter of:\n%s\ngave:\n%s\nwant:\n%s", in, got, want);
	ck_assert_uint_eq(n, strlen(want));
	free(got);
}

START_TEST(test_gitconfig_filter)
{
	expect_filtered("[user]\n\tname = A\n\temail = a@a\n",
			"[user]\n\tname = A\n\temail = a@a\n");
	expect_filtered(
		"[user]\n\tname = A\n[credential]\n\thelper = store\n[core]\n\teditor = vi\n",
		"[user]\n\tname = A\n[core]\n\teditor = vi\n");
	expect_filtered(
		"[url \"https://ghp_x@github.com/\"]\n\tinsteadOf = https://github.com/\n"
		"[alias]\n\tst = status\n",
		"[alias]\n\tst = status\n");
	expect_filtered("[http \"https://x\"]\n\textraHeader = Authorization: bearer t\n", "");
	expect_filtered("[HTTP]\n\textraheader = X\n[Credential \"https://h\"]\n\tusername = u\n",
			"");
	expect_filtered("[github]\n\ttoken = t\n[hub]\n\toauthtoken = t\n[gh]\n\tx = 1\n", "");
	expect_filtered(
		"[include]\n\tpath = ~/.gitconfig.local\n[includeIf \"gitdir:~/w/\"]\n"
		"\tpath = w.inc\n[pull]\n\trebase = true\n",
		"[pull]\n\trebase = true\n");
	/* keys naming a secret, in any section; a continued value goes with its key */
	expect_filtered("[foo]\n\tapiToken = t\n\tPassword = p\n\tsecret = \\\n  more\n\tok = 1\n",
			"[foo]\n\tok = 1\n");
	expect_filtered("[core]\n\taskPass = /usr/bin/x\n\tpager = less\n",
			"[core]\n\tpager = less\n");
	expect_filtered("", "");
	expect_filtered("no newline at the end", "no newline at the end");
	expect_filtered("[credential]", "");
}
END_TEST

static Suite *session_creds_suite(void)
{
	Suite *s = suite_create("session_creds");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_gitconfig_filter);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(session_creds_suite);
