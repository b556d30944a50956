/* SPDX-License-Identifier: MIT */
/*
 * test_fs.c - the fd-relative helpers of src/common/fs.h against a hostile
 * tree.
 *
 * Each test gets a scratch directory TMP with two subtrees: TMP/root, the
 * "container" tree opened as rootfd, and TMP/outside, which stands for the
 * host.  The root holds symlinks an image could ship:
 *
 *   root/abs      -> /etc                  (absolute: root/etc when in root)
 *   root/up       -> ../../..              (climbs: clamps at root)
 *   root/out      -> TMP/outside           (absolute host path of a real dir)
 *   root/dotdot   -> ../outside            (relative escape to a real dir)
 *   root/c1 -> c2 -> /c3 -> ../../etc      (a chain ending in root/etc)
 *   root/dangling -> nowhere
 *   root/lnk      -> etc                   (plain in-root link)
 *   root/leaf_out -> TMP/outside/newfile   (a leaf pointing outside)
 *
 * Every escape attempt is checked both ways: the call fails or resolves
 * inside root (by the /proc/self/fd path of the fd it returns), and
 * TMP/outside still holds exactly what it held before.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "unit.h"
#include "common/cleanup.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/util.h"

/* A call returning an fd that must succeed. */
#define EXPECT_FD(fd, e) \
	ck_assert_msg((fd) >= 0, "%s: expected an fd, got %d (%s)", #fd, (fd), (e).msg)
/* A call that must fail with @code. */
#define EXPECT_ERR(r, e, want_code) \
	do { \
		ck_assert_msg((r) < 0, "%s: expected failure (errno %d), got %d", #r, (want_code), \
			      (int)(r)); \
		ck_assert_msg((e).code == (want_code), "%s: expected errno %d, got %d (%s)", #r, \
			      (want_code), (e).code, (e).msg); \
	} while (0)

static char *tmp, *root, *outside;
static int rootfd = -1;

static char *path_of(const char *base, const char *rel)
{
	return pd_xasprintf("%s/%s", base, rel);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "fopen \"%s\": expected success, got errno %d", path, errno);
	fputs(text, f);
	ck_assert_msg(fclose(f) == 0, "fclose \"%s\": expected 0, got errno %d", path, errno);
}

static void make_link(const char *target, const char *rel)
{
	char *p = path_of(root, rel);

	ck_assert_msg(symlink(target, p) == 0, "symlink %s -> %s: expected 0, got errno %d", p,
		      target, errno);
	free(p);
}

static void make_dir(const char *p)
{
	ck_assert_msg(mkdir(p, 0755) == 0, "mkdir %s: expected 0, got errno %d", p, errno);
}

static void setup(void)
{
	char *p;

	umask(022);
	tmp = pd_unit_tmpdir();
	root = path_of(tmp, "root");
	outside = path_of(tmp, "outside");
	make_dir(root);
	make_dir(outside);
	p = path_of(outside, "secret");
	write_file(p, "host secret\n");
	free(p);
	p = path_of(root, "etc");
	make_dir(p);
	free(p);
	p = path_of(root, "etc/hostname");
	write_file(p, "inside\n");
	free(p);

	make_link("/etc", "abs");
	make_link("../../..", "up");
	make_link(outside, "out");
	make_link("../outside", "dotdot");
	make_link("c2", "c1");
	make_link("/c3", "c2");
	make_link("../../etc", "c3");
	make_link("nowhere", "dangling");
	make_link("etc", "lnk");
	p = path_of(outside, "newfile");
	make_link(p, "leaf_out");
	free(p);

	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_msg(rootfd >= 0, "open %s: expected an fd, got errno %d", root, errno);
}

static void teardown(void)
{
	pd_close(rootfd);
	rootfd = -1;
	pd_unit_rmrf(tmp);
	free(tmp);
	free(root);
	free(outside);
	tmp = root = outside = NULL;
}

/* The host path an fd refers to. */
static char *fd_path(int fd)
{
	char link[64], buf[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	ck_assert_msg(n > 0, "readlink %s: expected a path, got errno %d", link, errno);
	buf[n] = '\0';
	return pd_xstrdup(buf);
}

/* @fd must be the object at root/@rel (or root itself for ""). */
static void expect_fd_at(int fd, const char *rel)
{
	char *got = fd_path(fd);
	char *want = *rel ? path_of(root, rel) : pd_xstrdup(root);

	ck_assert_msg(strcmp(got, want) == 0, "fd %d: expected to resolve to \"%s\", got \"%s\"",
		      fd, want, got);
	free(got);
	free(want);
}

/* The names in @dir, sorted and joined with ',' ("" when empty). */
static char *list_dir(const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	char *out = pd_xstrdup("");

	ck_assert_msg(n >= 0, "scandir %s: expected a listing, got errno %d", dir, errno);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			char *t = pd_xasprintf("%s%s%s", out, *out ? "," : "", names[i]->d_name);

			free(out);
			out = t;
		}
		free(names[i]);
	}
	free(names);
	return out;
}

static void expect_outside_untouched(void)
{
	char *o = list_dir(outside);
	char *t = list_dir(tmp);

	EXPECT_STR(o, "secret");
	EXPECT_STR(t, "outside,root");
	free(o);
	free(t);
}

static bool exists_in_root(const char *rel)
{
	char *p = path_of(root, rel);
	struct stat st;
	bool r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static char *read_fd(int fd)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	ck_assert_msg(n >= 0, "pread: expected data, got errno %d", errno);
	buf[n] = '\0';
	return pd_xstrdup(buf);
}

/* ---- pd_open_in_root ---- */

static void expect_open_reads(const char *path, const char *rel, const char *text)
{
	struct pd_error e = { 0 };
	int fd = pd_open_in_root(rootfd, path, O_RDONLY, 0, "rootfs", &e);
	char *got;

	ck_assert_msg(fd >= 0, "open_in_root \"%s\": expected an fd, got %d (%s)", path, fd, e.msg);
	expect_fd_at(fd, rel);
	got = read_fd(fd);
	EXPECT_STR(got, text);
	free(got);
	ck_assert_msg(fcntl(fd, F_GETFD) & FD_CLOEXEC,
		      "open_in_root \"%s\": expected O_CLOEXEC, got none", path);
	pd_close(fd);
}

START_TEST(open_in_root_stays_inside)
{
	expect_open_reads("/etc/hostname", "etc/hostname", "inside\n");
	expect_open_reads("etc/hostname", "etc/hostname", "inside\n");
	expect_open_reads("/abs/hostname", "etc/hostname", "inside\n");
	expect_open_reads("/up/etc/hostname", "etc/hostname", "inside\n");
	expect_open_reads("/up/up/up/abs/hostname", "etc/hostname", "inside\n");
	expect_open_reads("../../../etc/hostname", "etc/hostname", "inside\n");
	expect_open_reads("/c1/hostname", "etc/hostname", "inside\n");
	expect_open_reads("/lnk/hostname", "etc/hostname", "inside\n");
	expect_outside_untouched();
}
END_TEST

START_TEST(open_in_root_up_is_root)
{
	struct pd_error e = { 0 };
	int fd = pd_open_in_root(rootfd, "/up", O_PATH | O_DIRECTORY, 0, "rootfs", &e);

	EXPECT_FD(fd, e);
	expect_fd_at(fd, "");
	pd_close(fd);
	fd = pd_open_in_root(rootfd, "/dotdot/..", O_PATH | O_DIRECTORY, 0, "rootfs", &e);
	ck_assert_msg(fd < 0,
		      "open_in_root \"/dotdot/..\": expected failure (root/outside is absent), "
		      "got fd at %s",
		      fd >= 0 ? fd_path(fd) : "");
}
END_TEST

START_TEST(open_in_root_refuses_escapes)
{
	static const char *const escapes[] = {
		"/out/secret",        "/dotdot/secret", "../outside/secret",
		"/up/outside/secret", "/dangling",      "/leaf_out",
	};

	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		struct pd_error e = { 0 };
		int fd = pd_open_in_root(rootfd, escapes[i], O_RDONLY, 0, "rootfs", &e);

		if (fd >= 0) {
			char *p = fd_path(fd);

			ck_abort_msg("open_in_root \"%s\": expected ENOENT, got an fd at \"%s\"",
				     escapes[i], p);
		}
		EXPECT_INT(e.code, ENOENT);
	}
	{
		struct pd_error e = { 0 };
		char *want = pd_xasprintf("rootfs \"/out/secret\": No such file or directory");

		EXPECT_INT(pd_open_in_root(rootfd, "/out/secret", O_RDONLY, 0, "rootfs", &e), -1);
		EXPECT_STR(e.msg, want);
		free(want);
	}
	expect_outside_untouched();
}
END_TEST

START_TEST(open_in_root_creates_inside)
{
	struct pd_error e = { 0 };
	int fd = pd_open_in_root(rootfd, "/up/created", O_WRONLY | O_CREAT | O_EXCL, 0600, "rootfs",
				 &e);

	EXPECT_FD(fd, e);
	expect_fd_at(fd, "created");
	pd_close(fd);
	expect_outside_untouched();
}
END_TEST

START_TEST(open_in_root_refuses_magic_links)
{
	struct pd_error e = { 0 };
	int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd;

	ck_assert_msg(procfd >= 0, "open /proc: expected an fd, got errno %d", errno);
	/* self/exe is a magic link: RESOLVE_NO_MAGICLINKS refuses it */
	fd = pd_open_in_root(procfd, "self/exe", O_PATH, 0, "proc", &e);
	ck_assert_msg(fd < 0, "open_in_root \"self/exe\": expected ELOOP, got an fd");
	EXPECT_INT(e.code, ELOOP);
	pd_close(procfd);
}
END_TEST

/* ---- pd_mkdirs_in_root ---- */

static void expect_mkdirs(const char *path, const char *rel)
{
	struct pd_error e = { 0 };
	int fd = pd_mkdirs_in_root(rootfd, path, 0755, "volume", &e);
	struct stat st;

	ck_assert_msg(fd >= 0, "mkdirs_in_root \"%s\": expected an fd, got %d (%s)", path, fd,
		      e.msg);
	expect_fd_at(fd, rel);
	ck_assert_msg(fstat(fd, &st) == 0 && S_ISDIR(st.st_mode),
		      "mkdirs_in_root \"%s\": expected a directory, got mode 0%o", path,
		      st.st_mode);
	ck_assert_msg(fcntl(fd, F_GETFL) & O_PATH, "mkdirs_in_root \"%s\": expected O_PATH", path);
	pd_close(fd);
}

START_TEST(mkdirs_creates_inside)
{
	expect_mkdirs("/new/a/b", "new/a/b");
	expect_mkdirs("/new/a/b", "new/a/b"); /* again: already there */
	expect_mkdirs("new//a/./c/", "new/a/c");
	expect_mkdirs("/etc", "etc");
	expect_mkdirs("", "");
	expect_mkdirs("/", "");
	expect_outside_untouched();
}
END_TEST

START_TEST(mkdirs_follows_inside_links)
{
	expect_mkdirs("/lnk/sub", "etc/sub");
	expect_mkdirs("/abs/sub2", "etc/sub2");
	expect_mkdirs("/c1/sub3/deeper", "etc/sub3/deeper");
	expect_mkdirs("/up/escaped", "escaped");
	expect_mkdirs("/up/up/../x/y", "x/y");
	ck_assert_msg(!exists_in_root("sub"),
		      "root/sub: expected absent (made through /lnk), got present");
	expect_outside_untouched();
}
END_TEST

START_TEST(mkdirs_never_creates_outside)
{
	static const char *const escapes[] = {
		"/out/x",
		"/dotdot/x",
		"/out/secret_dir/x",
		"/c1/../../../out/x",
	};

	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		struct pd_error e = { 0 };
		int fd = pd_mkdirs_in_root(rootfd, escapes[i], 0755, "volume", &e);

		if (fd >= 0) {
			char *p = fd_path(fd);

			ck_abort_msg(
				"mkdirs_in_root \"%s\": expected ENOENT, got a directory at \"%s\"",
				escapes[i], p);
		}
		EXPECT_INT(e.code, ENOENT);
		expect_outside_untouched();
	}
	{
		struct pd_error e = { 0 };

		EXPECT_ERR(pd_mkdirs_in_root(rootfd, "/out/y", 0755, "volume", &e), e, ENOENT);
		EXPECT_STR(e.msg, "volume \"/out\" is a symbolic link to a missing target");
	}
	/* A relative climb clamps at the root: root/outside/x, not TMP/outside/x. */
	expect_mkdirs("../outside/x", "outside/x");
	/* ... and now the relative link resolves to that in-root directory. */
	expect_mkdirs("/dotdot/z", "outside/z");
	expect_outside_untouched();
}
END_TEST

START_TEST(mkdirs_refuses_dangling)
{
	struct pd_error e = { 0 };

	EXPECT_ERR(pd_mkdirs_in_root(rootfd, "/dangling/x", 0755, "volume", &e), e, ENOENT);
	ck_assert_msg(!exists_in_root("nowhere"),
		      "root/nowhere: expected absent, got created through the link");
	EXPECT_ERR(pd_mkdirs_in_root(rootfd, "/dangling", 0755, "volume", &e), e, ENOENT);
	ck_assert_msg(!exists_in_root("nowhere"),
		      "root/nowhere: expected absent, got created through the link");
	expect_outside_untouched();
}
END_TEST

START_TEST(mkdirs_refuses_file_and_long)
{
	struct pd_error e = { 0 };
	char *long_path = pd_xmalloc(5000);

	EXPECT_ERR(pd_mkdirs_in_root(rootfd, "/etc/hostname/x", 0755, "volume", &e), e, ENOTDIR);
	long_path[0] = '/';
	memset(long_path + 1, 'd', 4998);
	long_path[4999] = '\0';
	EXPECT_ERR(pd_mkdirs_in_root(rootfd, long_path, 0755, "volume", &e), e, ENAMETOOLONG);
	free(long_path);
}
END_TEST

/* ---- pd_mkfile_in_root ---- */

START_TEST(mkfile_creates_empty)
{
	struct pd_error e = { 0 };
	struct stat st;
	int fd = pd_mkfile_in_root(rootfd, "/files/sub/f1", 0644, "volume", &e);

	EXPECT_FD(fd, e);
	expect_fd_at(fd, "files/sub/f1");
	ck_assert_msg(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0,
		      "f1: expected an empty regular file, got mode 0%o size %lld", st.st_mode,
		      (long long)st.st_size);
	EXPECT_INT(st.st_mode & 07777, 0644);
	pd_close(fd);

	/* An existing file is kept as it is. */
	fd = pd_mkfile_in_root(rootfd, "/etc/hostname", 0644, "volume", &e);
	EXPECT_FD(fd, e);
	expect_fd_at(fd, "etc/hostname");
	ck_assert_msg(fstat(fd, &st) == 0 && st.st_size == 7,
		      "hostname: expected size 7 (untouched), got %lld", (long long)st.st_size);
	pd_close(fd);

	/* Through an in-root link to a directory. */
	fd = pd_mkfile_in_root(rootfd, "/up/abs/f2", 0600, "volume", &e);
	EXPECT_FD(fd, e);
	expect_fd_at(fd, "etc/f2");
	pd_close(fd);
	expect_outside_untouched();
}
END_TEST

START_TEST(mkfile_refuses_dangling_leaf)
{
	struct pd_error e = { 0 };

	EXPECT_ERR(pd_mkfile_in_root(rootfd, "/dangling", 0644, "volume", &e), e, ELOOP);
	EXPECT_STR(e.msg, "volume \"/dangling\": Too many levels of symbolic links");
	ck_assert_msg(!exists_in_root("nowhere"),
		      "root/nowhere: expected absent, got created through the link");

	EXPECT_ERR(pd_mkfile_in_root(rootfd, "/leaf_out", 0644, "volume", &e), e, ELOOP);
	EXPECT_ERR(pd_mkfile_in_root(rootfd, "/out/newfile", 0644, "volume", &e), e, ENOENT);
	EXPECT_ERR(pd_mkfile_in_root(rootfd, "/dangling/f", 0644, "volume", &e), e, ENOENT);
	expect_outside_untouched();
}
END_TEST

START_TEST(mkfile_refuses_non_names)
{
	struct pd_error e = { 0 };

	EXPECT_ERR(pd_mkfile_in_root(rootfd, "/nodir/", 0644, "volume", &e), e, EINVAL);
	EXPECT_STR(e.msg, "volume \"/nodir/\": not a file name: Invalid argument");
	EXPECT_ERR(pd_mkfile_in_root(rootfd, "/nodir/..", 0644, "volume", &e), e, EINVAL);
	ck_assert_msg(!exists_in_root("nodir"), "root/nodir: expected absent, got created");
}
END_TEST

/* ---- pd_replace_file_at ---- */

START_TEST(replace_file_replaces_symlink)
{
	struct pd_error e = { 0 };
	cleanup_close int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *p = path_of(outside, "secret");
	char *victim = path_of(root, "victim");
	char *got;
	struct stat st;
	int fd;

	ck_assert_msg(dfd >= 0, "open %s: expected an fd, got errno %d", root, errno);
	ck_assert_msg(symlink(p, victim) == 0, "symlink: expected 0, got errno %d", errno);
	EXPECT_INT(pd_replace_file_at(dfd, "victim", "new\n", 4, 0640, &e), 0);
	ck_assert_msg(lstat(victim, &st) == 0 && S_ISREG(st.st_mode),
		      "victim: expected a regular file, got mode 0%o", st.st_mode);
	EXPECT_INT(st.st_mode & 07777, 0640);
	fd = open(victim, O_RDONLY | O_CLOEXEC);
	got = read_fd(fd);
	EXPECT_STR(got, "new\n");
	free(got);
	pd_close(fd);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	got = read_fd(fd);
	EXPECT_STR(got, "host secret\n"); /* never written through the link */
	free(got);
	pd_close(fd);

	/* A regular file is replaced too; a missing one is created. */
	EXPECT_INT(pd_replace_file_at(dfd, "victim", "again", 5, 0644, &e), 0);
	EXPECT_INT(pd_replace_file_at(dfd, "fresh", "", 0, 0644, &e), 0);
	ck_assert_msg(lstat(victim, &st) == 0 && st.st_size == 5,
		      "victim: expected 5 bytes, got %lld", (long long)st.st_size);

	/* A directory is not replaced. */
	EXPECT_ERR(pd_replace_file_at(dfd, "etc", "x", 1, 0644, &e), e, EISDIR);
	EXPECT_STR(e.msg, "remove \"etc\": Is a directory");
	ck_assert_msg(exists_in_root("etc/hostname"),
		      "etc/hostname: expected present, got removed");
	free(p);
	free(victim);
	expect_outside_untouched();
}
END_TEST

/* ---- pd_read_file_at ---- */

static void make_sized(const char *rel, size_t n)
{
	char *p = path_of(root, rel);
	char *buf = pd_xmalloc(n);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + i % 26);
	ck_assert_msg(fd >= 0 && pd_write_all(fd, buf, n) == 0,
		      "write %s: expected 0, got errno %d", p, errno);
	pd_close(fd);
	free(buf);
	free(p);
}

START_TEST(read_file_exact)
{
	struct pd_error e = { 0 };
	char *out = NULL;
	size_t len = 99;
	char *p = path_of(root, "bin");
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	ck_assert_msg(fd >= 0 && pd_write_all(fd, "a\0b\n", 4) == 0,
		      "write bin: expected 0, got errno %d", errno);
	pd_close(fd);
	free(p);

	EXPECT_INT(pd_read_file_at(rootfd, "bin", 0, 4, &out, &len, &e), 0);
	EXPECT_INT(len, 4);
	ck_assert_msg(memcmp(out, "a\0b\n", 5) == 0,
		      "bin: expected \"a\\0b\\n\\0\", got other bytes");
	free(out);

	/* In-root resolution through a hostile absolute link. */
	out = NULL;
	EXPECT_INT(pd_read_file_at(rootfd, "/abs/hostname", RESOLVE_IN_ROOT, 100, &out, NULL, &e),
		   0);
	EXPECT_STR(out, "inside\n");
	free(out);

	/* An empty file with max 0. */
	make_sized("empty", 0);
	out = NULL;
	EXPECT_INT(pd_read_file_at(rootfd, "empty", 0, 0, &out, &len, &e), 0);
	EXPECT_INT(len, 0);
	EXPECT_STR(out, "");
	free(out);

	/* A /proc file (st_size 0) reads whole. */
	out = NULL;
	EXPECT_INT(pd_read_file_at(AT_FDCWD, "/proc/self/status", 0, 1 << 16, &out, &len, &e), 0);
	ck_assert_msg(len > 0 && strncmp(out, "Name:", 5) == 0,
		      "/proc/self/status: expected \"Name:...\", got %zu bytes \"%.10s\"", len,
		      out);
	free(out);
}
END_TEST

START_TEST(read_file_limits)
{
	static const size_t sizes[] = { 5, 4095, 4096, 4097, 8192, 10000 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct pd_error e = { 0 };
		size_t n = sizes[i], len = 0;
		char *out = NULL;
		char *want = NULL;

		make_sized("sized", n);
		/* max == size: whole file */
		EXPECT_INT(pd_read_file_at(rootfd, "sized", 0, n, &out, &len, &e), 0);
		ck_assert_msg(
			len == n && out[n] == '\0' && out[n - 1] == (char)('a' + (n - 1) % 26),
			"size %zu, max %zu: expected the whole file, got %zu bytes", n, n, len);
		free(out);
		/* max == size - 1: EFBIG, nothing handed back */
		out = NULL;
		EXPECT_ERR(pd_read_file_at(rootfd, "sized", 0, n - 1, &out, &len, &e), e, EFBIG);
		ck_assert_msg(out == NULL, "size %zu, max %zu: expected no buffer, got %p", n,
			      n - 1, (void *)out);
		want = pd_xasprintf("read \"sized\": larger than %zu bytes: File too large", n - 1);
		EXPECT_STR(e.msg, want);
		free(want);
		/* a much smaller max */
		EXPECT_ERR(pd_read_file_at(rootfd, "sized", 0, 1, &out, &len, &e), e, EFBIG);
		ck_assert_msg(out == NULL, "max 1: expected no buffer, got %p", (void *)out);
	}
}
END_TEST

START_TEST(read_file_enoent)
{
	struct pd_error e = { 0 };
	char *out = NULL;

	EXPECT_ERR(pd_read_file_at(rootfd, "no/such", 0, 10, &out, NULL, &e), e, ENOENT);
	EXPECT_STR(e.msg, "open \"no/such\": No such file or directory");
	EXPECT_ERR(pd_read_file_at(rootfd, "/out/secret", RESOLVE_IN_ROOT, 100, &out, NULL, &e), e,
		   ENOENT);
	EXPECT_STR(e.msg, "open \"/out/secret\": No such file or directory");
	EXPECT_ERR(pd_read_file_at(rootfd, "etc", 0, 100, &out, NULL, &e), e, EISDIR);
	ck_assert_msg(out == NULL, "out: expected NULL after failures, got %p", (void *)out);
}
END_TEST

/* ---- I/O loops ---- */

START_TEST(write_read_all)
{
	int p[2];
	char buf[16] = { 0 };
	struct pd_error e = { 0 };
	char *f;

	ck_assert_msg(pipe2(p, O_CLOEXEC) == 0, "pipe2: expected 0, got errno %d", errno);
	EXPECT_INT(pd_write_all(p[1], "hello", 5), 0);
	pd_close(p[1]);
	EXPECT_INT(pd_read_all(p[0], buf, sizeof(buf)), 5); /* short at EOF */
	EXPECT_STR(buf, "hello");
	EXPECT_INT(pd_read_all(p[0], buf, sizeof(buf)), 0);
	pd_close(p[0]);
	errno = 0;
	EXPECT_INT(pd_write_all(-1, "x", 1), -1);
	EXPECT_INT(errno, EBADF);

	f = path_of(root, "etc/hostname");
	EXPECT_INT(pd_write_file(f, "IN", &e), 0);
	free(f);
	f = path_of(root, "missing");
	EXPECT_ERR(pd_write_file(f, "x", &e), e, ENOENT);
	ck_assert_msg(strstr(e.msg, f) != NULL, "msg: expected to name %s, got \"%s\"", f, e.msg);
	ck_assert_msg(!exists_in_root("missing"), "missing: expected not created, got created");
	free(f);
}
END_TEST

/* pd_remove_tree(): any depth, never through a symlink, the outside intact. */
START_TEST(remove_tree_deep_and_links)
{
	struct pd_error e = { 0 };
	char *tree = path_of(tmp, "tree"), *secret = path_of(outside, "secret");
	int fd;

	make_dir(tree);
	fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open the tree");
	/* 300 levels, deeper than the walk descends at once. */
	for (int i = 0; i < 300; i++) {
		int next;

		ck_assert_msg(mkdirat(fd, "d", 0755) == 0, "mkdir level %d", i);
		ck_assert_msg(symlinkat(secret, fd, "link") == 0, "symlink at level %d", i);
		ck_assert_msg(symlinkat(outside, fd, "dirlink") == 0, "dir symlink at level %d", i);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
		ck_assert_msg(fd >= 0, "open level %d", i);
	}
	close(fd);
	ck_assert_msg(pd_remove_tree(AT_FDCWD, tree, &e) == 0, "remove: %s", e.msg);
	ck_assert_msg(access(tree, F_OK) < 0 && errno == ENOENT, "the tree is still there");
	ck_assert_msg(access(secret, F_OK) == 0, "a symlink's target went with the tree");
	ck_assert_msg(pd_remove_tree(AT_FDCWD, tree, &e) == 0, "remove again: %s", e.msg);
	free(tree);
	free(secret);
}
END_TEST

static Suite *fs_suite(void)
{
	Suite *s = suite_create("fs");
	TCase *tc = tcase_create("fs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, write_read_all);
	tcase_add_test(tc, remove_tree_deep_and_links);
	suite_add_tcase(s, tc);
	if (!pd_unit_have_openat2()) {
		fprintf(stderr, "note: openat2 unavailable (ENOSYS): fs tests on it left out\n");
		return s;
	}
	tcase_add_test(tc, open_in_root_stays_inside);
	tcase_add_test(tc, open_in_root_up_is_root);
	tcase_add_test(tc, open_in_root_refuses_escapes);
	tcase_add_test(tc, open_in_root_creates_inside);
	tcase_add_test(tc, open_in_root_refuses_magic_links);
	tcase_add_test(tc, mkdirs_creates_inside);
	tcase_add_test(tc, mkdirs_follows_inside_links);
	tcase_add_test(tc, mkdirs_never_creates_outside);
	tcase_add_test(tc, mkdirs_refuses_dangling);
	tcase_add_test(tc, mkdirs_refuses_file_and_long);
	tcase_add_test(tc, mkfile_creates_empty);
	tcase_add_test(tc, mkfile_refuses_dangling_leaf);
	tcase_add_test(tc, mkfile_refuses_non_names);
	tcase_add_test(tc, replace_file_replaces_symlink);
	tcase_add_test(tc, read_file_exact);
	tcase_add_test(tc, read_file_limits);
	tcase_add_test(tc, read_file_enoent);
	return s;
}

PD_UNIT_SUITE(fs_suite);
