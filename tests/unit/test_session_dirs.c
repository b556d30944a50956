/* SPDX-License-Identifier: MIT */
/* Unit tests for src/session_dirs.c (where sessions live, their names). */
#include "unit.h"

#include "session_dirs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/*
 * Rootless: the directories under the user's XDG ones, or a private
 * /tmp/paude-UID.  As an unprivileged uid in a child of its own: the
 * runner itself keeps its ids (the ASan run does not fork per test).
 * Return: 0, or the number of the check that failed.
 */
#define CHECK(n, cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "check %d: %s\n", n, e.msg); \
			return n; \
		} \
	} while (0)

static int rootless_dirs(const char *top, uid_t nobody)
{
	char data[512], run[512], tmpdir[64];
	struct pd_session_dirs d;
	struct pd_error e = { 0 };
	struct stat st;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/paude-%u", (unsigned)nobody);
	CHECK(1, setresgid(nobody, nobody, nobody) == 0 && setresuid(nobody, nobody, nobody) == 0);
	snprintf(data, sizeof(data), "%s/data", top);
	snprintf(run, sizeof(run), "%s/run", top);
	setenv("XDG_DATA_HOME", data, 1);
	setenv("XDG_RUNTIME_DIR", run, 1);
	CHECK(2, pd_session_dirs_get(&d, &e) == 0);
	CHECK(3, strncmp(d.data, data, strlen(data)) == 0 && strstr(d.data, "/paude/sessions"));
	CHECK(4, stat(d.data, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(5, strncmp(d.run, run, strlen(run)) == 0 && stat(d.run, &st) == 0);
	/* without XDG_RUNTIME_DIR: /tmp/paude-UID, made private */
	unsetenv("XDG_RUNTIME_DIR");
	CHECK(6, pd_session_dirs_get(&d, &e) == 0 && strcmp(d.run, tmpdir) == 0);
	CHECK(7, lstat(tmpdir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == nobody &&
			 (st.st_mode & 0777) == 0700);
	/* one that is not private is refused, not used */
	CHECK(8, chmod(tmpdir, 0755) == 0 && pd_session_dirs_get(&d, &e) < 0);
	CHECK(9, strstr(e.msg, "mode 755: a private directory of yours is needed") != NULL);
	/* a symlink there is refused too */
	CHECK(10, rmdir(tmpdir) == 0 && symlink(data, tmpdir) == 0);
	CHECK(11, pd_session_dirs_get(&d, &e) < 0 && strstr(e.msg, "not a directory of yours"));
	CHECK(12, unlink(tmpdir) == 0);
	unsetenv("XDG_DATA_HOME");
	unsetenv("HOME");
	CHECK(13, pd_session_dirs_get(&d, &e) < 0 &&
			  strstr(e.msg, "neither XDG_DATA_HOME nor HOME") != NULL);
	pd_unit_rmrf(top);
	return access(top, F_OK) == 0 ? 14 : 0;
}

START_TEST(test_dirs_rootless)
{
	char *top = pd_unit_tmpdir(), tmpdir[64];
	uid_t nobody = 65534;
	int status = 0;
	pid_t pid;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/paude-%u", (unsigned)nobody);
	rmdir(tmpdir);
	unlink(tmpdir);
	ck_assert_int_eq(chown(top, nobody, nobody), 0); /* so it can remove it at the end */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(rootless_dirs(top, nobody));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "check %d failed",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	rmdir(tmpdir);
	unlink(tmpdir);
	pd_unit_rmrf(top);
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
