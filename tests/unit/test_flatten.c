/* SPDX-License-Identifier: MIT */
/* Unit tests for oci/flatten.c (layers merged as overlayfs shows them). */
#include "unit.h"

#include "oci/flatten.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static void put(int dir, const char *name, const char *text)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_msg(fd >= 0, "create %s: %s", name, strerror(errno));
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char *get(int dir, const char *name)
{
	static char buf[256];
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int layer(const char *top, const char *name)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", top, name);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	return open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool exists(int dir, const char *name)
{
	struct stat st;

	return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

START_TEST(test_flatten_merges_as_overlay)
{
	char *top = pd_unit_tmpdir();
	int l[3], dst, d;
	struct stat a, b;
	struct pd_error e = { 0 };
	char link[64];
	ssize_t n;

	l[0] = layer(top, "l0");
	l[1] = layer(top, "l1");
	l[2] = layer(top, "l2");
	dst = layer(top, "dst");
	/* bottom: files, a directory, hard links, a symlink, a directory to replace */
	put(l[0], "gone", "bottom");
	ck_assert_int_eq(mkdirat(l[0], "d", 0750), 0);
	d = openat(l[0], "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	put(d, "x", "x0");
	put(d, "y", "y0");
	close(d);
	put(l[0], "h1", "linked");
	ck_assert_int_eq(linkat(l[0], "h1", l[0], "h2", 0), 0);
	ck_assert_int_eq(symlinkat("/etc/shadow", l[0], "s"), 0);
	ck_assert_int_eq(mkdirat(l[0], "keep", 0755), 0);
	put(l[0], "over", "old");
	/* middle: a whiteout, an opaque directory, a new file */
	/* a whiteout is a character device: the unit tests run as root (make check) */
	ck_assert_msg(mknodat(l[1], "gone", S_IFCHR | 0, makedev(0, 0)) == 0, "mknod: %s",
		      strerror(errno));
	ck_assert_int_eq(mkdirat(l[1], "d", 0700), 0);
	d = openat(l[1], "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_eq(fsetxattr(d, "user.overlay.opaque", "y", 1, 0), 0);
	ck_assert_int_eq(fsetxattr(d, "user.note", "kept", 4, 0), 0);
	put(d, "z", "z1");
	close(d);
	put(l[1], "new", "middle");
	/* top: a file where a directory was, a file replaced */
	put(l[2], "keep", "now a file");
	put(l[2], "over", "new");
	ck_assert_msg(pd_flatten(l, 3, dst, &e) == 0, "%s", e.msg);

	ck_assert(!exists(dst, "gone"));       /* the whiteout removed it */
	EXPECT_STR(get(dst, "new"), "middle"); /* and is not copied */
	d = openat(dst, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(d, 0);
	ck_assert(!exists(d, "x") && !exists(d, "y")); /* opaque: the bottom's are gone */
	EXPECT_STR(get(d, "z"), "z1");
	ck_assert_int_lt(fgetxattr(d, "user.overlay.opaque", link, sizeof(link)), 0);
	ck_assert_int_eq(fgetxattr(d, "user.note", link, sizeof(link)), 4);
	ck_assert_int_eq(fstat(d, &a), 0);
	EXPECT_UINT(a.st_mode & 07777, 0700); /* the topmost directory's mode */
	close(d);
	ck_assert_int_eq(fstatat(dst, "h1", &a, 0), 0);
	ck_assert_int_eq(fstatat(dst, "h2", &b, 0), 0);
	ck_assert(a.st_ino == b.st_ino); /* still hard links */
	n = readlinkat(dst, "s", link, sizeof(link) - 1);
	ck_assert_int_eq(n, 11); /* copied as a symlink, never followed */
	link[n] = '\0';
	EXPECT_STR(link, "/etc/shadow");
	ck_assert_int_eq(fstatat(dst, "keep", &a, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISREG(a.st_mode));
	EXPECT_STR(get(dst, "keep"), "now a file");
	EXPECT_STR(get(dst, "over"), "new");
	for (int i = 0; i < 3; i++)
		close(l[i]);
	close(dst);
	pd_unit_rmrf(top);
	free(top);
}
END_TEST

START_TEST(test_chain_id)
{
	const char *ids[] = {
		"sha256:1111111111111111111111111111111111111111111111111111111111111111",
		"sha256:2222222222222222222222222222222222222222222222222222222222222222",
	};
	char out[80];
	struct pd_error e = { 0 };

	ck_assert_int_eq(pd_flatten_chain_id(ids, 1, out, sizeof(out), &e), 0);
	EXPECT_STR(out, ids[0]); /* one layer: its diff_id */
	ck_assert_int_eq(pd_flatten_chain_id(ids, 2, out, sizeof(out), &e), 0);
	/* sha256("sha256:1...1 sha256:2...2"), as `printf %s | sha256sum` gives */
	EXPECT_STR(out, "sha256:9932074217c35353d2e03a3f5a86549f7c67bfeb0ba53e23d69f4d4c8f7958f5");
	ck_assert_int_lt(pd_flatten_chain_id(ids, 0, out, sizeof(out), &e), 0);
}
END_TEST

static Suite *flatten_suite(void)
{
	Suite *s = suite_create("flatten");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_flatten_merges_as_overlay);
	tcase_add_test(tc, test_chain_id);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(flatten_suite);
