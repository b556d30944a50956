/* SPDX-License-Identifier: MIT */
/* Unit tests for src/session_dirs.c (where sessions live, their names). */
#include "unit.h"

#include "session_dirs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(test_name_check)
{
	static const char *const good[] = { "a", "proj-1a2b3c", "0", "a-b-c",
					    "abcdefghijabcdefghijabcdefghijabcdefghij" };
	static const struct {
		const char *name, *why;
	} bad[] = {
		{ "", "1 to 40 characters" },
		{ "abcdefghijabcdefghijabcdefghijabcdefghijk", "1 to 40 characters" },
		{ "Proj", "only a-z, 0-9 and '-' (not 'P')" },
		{ "a_b", "(not '_')" },
		{ "a/b", "(not '/')" },
		{ "..", "(not '.')" },
		{ "-a", "starts and ends with a letter or a digit" },
		{ "a-", "starts and ends" },
	};
	struct pd_error e = { 0 };
	char run[200];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(pd_session_name_check(good[i], "/run/user/1000/paude", &e) == 0,
			      "%s: %s", good[i], e.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(pd_session_name_check(bad[i].name, "/run/paude", &e) < 0, "%s",
			      bad[i].name);
		ck_assert_msg(strstr(e.msg, bad[i].why) != NULL, "%s: %s", bad[i].name, e.msg);
	}
	/* a name that would not let the socket path fit sun_path (108) */
	memset(run, 'r', 80);
	run[0] = '/';
	run[80] = '\0';
	ck_assert_int_eq(pd_session_name_check("abcdefghij", run, &e), 0);
	ck_assert_int_lt(pd_session_name_check("abcdefghijabcdefghij", run, &e), 0);
	ck_assert(strstr(e.msg, "would not fit a unix socket address") != NULL);
}
END_TEST

static void expect_default(const char *dir, const char *stem)
{
	char out[64];
	size_t n = strlen(stem);
	struct pd_error e = { 0 };

	pd_session_name_default(dir, out, sizeof(out));
	ck_assert_msg(strncmp(out, stem, n) == 0 && out[n] == '-' && strlen(out) == n + 7,
		      "%s: %s, want %s-XXXXXX", dir, out, stem);
	for (size_t i = n + 1; i < n + 7; i++)
		ck_assert_msg((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f'),
			      "%s: %s", dir, out);
	ck_assert_msg(pd_session_name_check(out, "/run/paude", &e) == 0, "%s: %s", out, e.msg);
}

START_TEST(test_name_default)
{
	expect_default("/home/u/My Project!", "my-project");
	expect_default("/home/u/proj/", "proj");
	expect_default("relative", "relative");
	expect_default("/", "session");
	expect_default("/home/u/___", "session");
	expect_default("/src/a_very_long_directory_name_indeed", "a-very-long-director");
	expect_default("/src/--x--y--", "x-y");
}
END_TEST

/* Rootless: the directories under the user's XDG ones, or a private /tmp/paude-UID. */
START_TEST(test_dirs_rootless)
{
	char *top = pd_unit_tmpdir(), data[512], run[512], tmpdir[64];
	struct pd_session_dirs d;
	struct pd_error e = { 0 };
	struct stat st;
	uid_t nobody = 65534;

	/* as an unprivileged uid, in this forked test process only */
	ck_assert_int_eq(chown(top, nobody, nobody), 0); /* so it can remove it at the end */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/paude-%u", (unsigned)nobody);
	rmdir(tmpdir);
	ck_assert_int_eq(setresgid(nobody, nobody, nobody), 0);
	ck_assert_int_eq(setresuid(nobody, nobody, nobody), 0);
	snprintf(data, sizeof(data), "%s/data", top);
	snprintf(run, sizeof(run), "%s/run", top);
	setenv("XDG_DATA_HOME", data, 1);
	setenv("XDG_RUNTIME_DIR", run, 1);
	ck_assert_msg(pd_session_dirs_get(&d, &e) == 0, "%s", e.msg);
	ck_assert(strcmp(d.data, data) > 0 && strstr(d.data, "/paude/sessions") != NULL);
	ck_assert_int_eq(stat(d.data, &st), 0);
	EXPECT_UINT(st.st_mode & 0777, 0700);
	ck_assert(strstr(d.run, "/run/paude") != NULL);
	/* without XDG_RUNTIME_DIR: /tmp/paude-UID, made private */
	unsetenv("XDG_RUNTIME_DIR");
	ck_assert_msg(pd_session_dirs_get(&d, &e) == 0, "%s", e.msg);
	EXPECT_STR(d.run, tmpdir);
	ck_assert_int_eq(lstat(tmpdir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode) && st.st_uid == nobody && (st.st_mode & 0777) == 0700);
	/* one that is not private is refused, not used */
	ck_assert_int_eq(chmod(tmpdir, 0755), 0);
	ck_assert_int_lt(pd_session_dirs_get(&d, &e), 0);
	ck_assert_msg(strstr(e.msg, "mode 755: a private directory of yours is needed") != NULL,
		      "%s", e.msg);
	ck_assert_int_eq(rmdir(tmpdir), 0);
	/* a symlink there is refused too */
	ck_assert_int_eq(symlink(data, tmpdir), 0);
	ck_assert_int_lt(pd_session_dirs_get(&d, &e), 0);
	ck_assert(strstr(e.msg, "not a directory of yours") != NULL);
	ck_assert_int_eq(unlink(tmpdir), 0);
	unsetenv("XDG_DATA_HOME");
	unsetenv("HOME");
	ck_assert_int_lt(pd_session_dirs_get(&d, &e), 0);
	ck_assert(strstr(e.msg, "neither XDG_DATA_HOME nor HOME") != NULL);
	rmdir(tmpdir);
	pd_unit_rmrf(top);
	ck_assert_int_ne(access(top, F_OK), 0);
	free(top);
}
END_TEST

static Suite *session_dirs_suite(void)
{
	Suite *s = suite_create("session_dirs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_name_check);
	tcase_add_test(tc, test_name_default);
	tcase_add_test(tc, test_dirs_rootless);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(session_dirs_suite);
