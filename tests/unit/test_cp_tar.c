/* SPDX-License-Identifier: MIT */
/*
 * test_cp_tar.c - src/cp_tar.c, the host's ends of `paude cp`: member names
 * made safe (pd_cp_member_name), untrusted tars extracted strictly inside a
 * destination (pd_cp_extract), and host trees sent as tars (pd_cp_write_tar)
 * and read back.
 *
 * Each test gets a scratch directory TMP holding dest/ (the destination,
 * passed as an fd) and outside/victim (standing for the host).  Hostile
 * archives are built here with libarchive's writer (pax) into a memfd, so
 * the names are exactly what the test says.  After every extraction TMP
 * must hold exactly dest/ and outside/ (and src/ where a test made it), and
 * outside/ exactly victim with its content.
 *
 * The tests run in one process under ASan (CK_FORK=no): no cwd, umask or
 * uid changes, and only absolute paths for pd_cp_write_tar (a relative one
 * is taken from the cwd).
 *
 * The "regressions" case holds what an earlier cp_tar.c got wrong: hard
 * links, a fifo at a file's name, non-ASCII names, a "./" member.
 */
#include "unit.h"

#include "cp_tar.h"
#include "common/cleanup.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VICTIM "victim\n"

static char *tmp;
static int tmpfd = -1, destfd = -1;

/* ---- scratch ---- */

static char *tmp_path(const char *rel)
{
	return pd_xasprintf("%s/%s", tmp, rel);
}

static void write_at(int dirfd, const char *rel, const void *data, size_t len, mode_t mode)
{
	int fd = openat(dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	ck_assert_msg(fd >= 0, "create %s: errno %d", rel, errno);
	ck_assert_msg(pd_write_all(fd, data, len) == 0, "write %s: errno %d", rel, errno);
	ck_assert_msg(fchmod(fd, mode) == 0, "chmod %s: errno %d", rel, errno);
	close(fd);
}

static void setup(void)
{
	tmp = pd_unit_tmpdir();
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_msg(tmpfd >= 0, "open %s: errno %d", tmp, errno);
	ck_assert_int_eq(mkdirat(tmpfd, "dest", 0755), 0);
	ck_assert_int_eq(mkdirat(tmpfd, "outside", 0755), 0);
	write_at(tmpfd, "outside/victim", VICTIM, strlen(VICTIM), 0644);
	destfd = openat(tmpfd, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_msg(destfd >= 0, "open dest: errno %d", errno);
}

static void teardown(void)
{
	pd_close(destfd);
	pd_close(tmpfd);
	destfd = tmpfd = -1;
	pd_unit_rmrf(tmp);
	free(tmp);
	tmp = NULL;
}

/* The names in @rel under @dirfd, sorted, joined with ',' into @out. */
static const char *names_at(int dirfd, const char *rel, char *out, size_t cap)
{
	struct dirent **v = NULL;
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int n;
	size_t w = 0;

	ck_assert_msg(fd >= 0, "open %s: errno %d", rel, errno);
	n = scandirat(fd, ".", &v, NULL, alphasort);
	close(fd);
	ck_assert_msg(n >= 0, "scandir %s: errno %d", rel, errno);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (w < cap && strcmp(v[i]->d_name, ".") != 0 && strcmp(v[i]->d_name, "..") != 0)
			w += (size_t)snprintf(out + w, cap - w, "%s%s", w ? "," : "", v[i]->d_name);
		free(v[i]);
	}
	free(v);
	ck_assert_msg(w < cap, "%s: too many names", rel);
	return out;
}

static void expect_names(int dirfd, const char *rel, const char *want)
{
	char got[1024];

	names_at(dirfd, rel, got, sizeof(got));
	ck_assert_msg(!strcmp(got, want), "%s holds [%s], want [%s]", rel, got, want);
}

/* TMP holds exactly @want (sorted, ','-joined) and outside/ exactly victim, unchanged. */
static void expect_outside_unchanged_with(const char *want)
{
	cleanup_free char *buf = NULL;
	struct pd_error e = { 0 };
	struct stat st;
	size_t len = 0;

	expect_names(tmpfd, ".", want);
	expect_names(tmpfd, "outside", "victim");
	ck_assert_int_eq(fstatat(tmpfd, "outside/victim", &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_msg(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644 && st.st_nlink == 1,
		      "outside/victim: mode %o, %lu links", (unsigned)st.st_mode,
		      (unsigned long)st.st_nlink);
	ck_assert_msg(pd_read_file_at(tmpfd, "outside/victim", RESOLVE_NO_SYMLINKS, 4096, &buf,
				      &len, &e) == 0,
		      "read outside/victim: %s", e.msg);
	ck_assert_msg(len == strlen(VICTIM) && !memcmp(buf, VICTIM, len),
		      "outside/victim changed: [%.*s]", (int)len, buf);
}

static void expect_outside_unchanged(void)
{
	expect_outside_unchanged_with("dest,outside");
}

/* @rel (no symlink on the way) is a regular file holding @data, with @perm unless -1. */
static void expect_file_n(const char *rel, const void *data, size_t n, mode_t perm)
{
	cleanup_free char *buf = NULL;
	struct pd_error e = { 0 };
	struct stat st;
	size_t len = 0;

	ck_assert_msg(fstatat(destfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0, "dest/%s: errno %d", rel,
		      errno);
	ck_assert_msg(S_ISREG(st.st_mode), "dest/%s: mode %o, want a regular file", rel,
		      (unsigned)st.st_mode);
	if (perm != (mode_t)-1)
		ck_assert_msg((st.st_mode & 07777) == perm, "dest/%s: mode %04o, want %04o", rel,
			      (unsigned)(st.st_mode & 07777), (unsigned)perm);
	ck_assert_msg(pd_read_file_at(destfd, rel, RESOLVE_NO_SYMLINKS, 1u << 22, &buf, &len, &e) ==
			      0,
		      "read dest/%s: %s", rel, e.msg);
	ck_assert_msg(len == n && (n == 0 || !memcmp(buf, data, n)),
		      "dest/%s: %zu bytes, want %zu (or different content)", rel, len, n);
}

static void expect_file(const char *rel, const char *data, mode_t perm)
{
	expect_file_n(rel, data, strlen(data), perm);
}

static void expect_link(const char *rel, const char *target)
{
	char got[PATH_MAX];
	ssize_t n = readlinkat(destfd, rel, got, sizeof(got) - 1);

	ck_assert_msg(n >= 0, "dest/%s: not a symlink (errno %d)", rel, errno);
	got[n] = '\0';
	ck_assert_msg(!strcmp(got, target), "dest/%s -> [%s], want [%s]", rel, got, target);
}

static void expect_dir(const char *rel)
{
	struct stat st;

	ck_assert_msg(fstatat(destfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0, "dest/%s: errno %d", rel,
		      errno);
	ck_assert_msg(S_ISDIR(st.st_mode), "dest/%s: mode %o, want a directory", rel,
		      (unsigned)st.st_mode);
	ck_assert_msg(!(st.st_mode & (S_ISUID | S_ISGID)), "dest/%s: mode %o has set-id bits", rel,
		      (unsigned)st.st_mode);
}

static void expect_absent(const char *rel)
{
	struct stat st;

	ck_assert_msg(fstatat(destfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT,
		      "dest/%s exists (mode %o)", rel, (unsigned)st.st_mode);
}

/* ---- archives built here ---- */

struct ent {
	const char *name;
	unsigned int type; /* AE_IF*; 0 with @link set: a hard link */
	mode_t perm;
	const char *data; /* a file's content, a symlink's target */
	const char *link; /* a hard link's target */
};

static la_ssize_t tar_write_cb(struct archive *a, void *data, const void *p, size_t n)
{
	(void)a;
	if (pd_write_all(*(int *)data, p, n) < 0)
		return -1;
	return (la_ssize_t)n;
}

/* A memfd at offset 0 holding a pax tar of @n entries. */
static int tar_of(const struct ent *ents, size_t n)
{
	struct archive *a = archive_write_new();
	int fd = memfd_create("cp-tar", MFD_CLOEXEC);

	ck_assert_msg(fd >= 0, "memfd_create: errno %d", errno);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(archive_write_set_format_pax(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open(a, &fd, NULL, tar_write_cb, NULL), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		const struct ent *x = &ents[i];
		struct archive_entry *e = archive_entry_new();
		size_t len = x->type == AE_IFREG && x->data ? strlen(x->data) : 0;
		int r;

		archive_entry_set_pathname(e, x->name);
		archive_entry_set_filetype(e, x->link ? AE_IFREG : x->type);
		archive_entry_set_perm(e, x->perm);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_entry_set_size(e, (la_int64_t)len);
		if (x->link)
			archive_entry_set_hardlink(e, x->link);
		if (x->type == AE_IFLNK)
			archive_entry_set_symlink(e, x->data);
		if (x->type == AE_IFCHR || x->type == AE_IFBLK) {
			archive_entry_set_rdevmajor(e, 1);
			archive_entry_set_rdevminor(e, 3);
		}
		r = archive_write_header(a, e);
		ck_assert_msg(r == ARCHIVE_OK, "archive_write_header %s: %s", x->name,
			      archive_error_string(a) ? archive_error_string(a) : "?");
		if (len)
			ck_assert_int_eq(archive_write_data(a, x->data, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

#define TAR_OF(...) \
	tar_of((const struct ent[]){ __VA_ARGS__ }, \
	       sizeof((const struct ent[]){ __VA_ARGS__ }) / sizeof(struct ent))

/* pd_cp_extract of @fd (closed) into dest/. */
static int extract(int fd, const char *top, struct pd_error *e)
{
	int r;

	*e = (struct pd_error){ 0 };
	r = pd_cp_extract(fd, destfd, top, e);
	close(fd);
	return r;
}

static void extract_ok(int fd, const char *top)
{
	struct pd_error e = { 0 };

	ck_assert_msg(extract(fd, top, &e) == 0, "pd_cp_extract: %s", e.msg);
}

static bool host_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- pd_cp_member_name ---- */

START_TEST(member_names)
{
	static const struct {
		const char *raw, *top, *want; /* want NULL: refused */
	} cases[] = {
		/* cleaning */
		{ "a", NULL, "a" },
		{ "./a", NULL, "a" },
		{ "a//b/", NULL, "a/b" },
		{ "a/./b", NULL, "a/b" },
		{ "./././a/.//b/.", NULL, "a/b" },
		{ "a/b/", NULL, "a/b" },
		{ "...", NULL, "..." },
		{ ".a/..b/b..", NULL, ".a/..b/b.." },
		{ "a b/\tc\n", NULL, "a b/\tc\n" },
		/* nothing left */
		{ "", NULL, NULL },
		{ ".", NULL, NULL },
		{ "./", NULL, NULL },
		{ "./././/", NULL, NULL },
		/* absolute */
		{ "/abs", NULL, NULL },
		{ "/", NULL, NULL },
		{ "//a", NULL, NULL },
		/* .. anywhere */
		{ "..", NULL, NULL },
		{ "../", NULL, NULL },
		{ "../up", NULL, NULL },
		{ "a/../b", NULL, NULL },
		{ "a/..", NULL, NULL },
		{ "a/b/../../..", NULL, NULL },
		{ "./..", NULL, NULL },
		/* the first component replaced by top */
		{ "x", "T", "T" },
		{ "x/y", "T", "T/y" },
		{ "./x//y/", "T", "T/y" },
		{ "x/y/z", "top dir", "top dir/y/z" },
		{ "...", "T", "T" },
		{ ".", "T", NULL },
		{ "", "T", NULL },
		{ "/x", "T", NULL },
		{ "x/../y", "T", NULL },
		{ "../x", "T", NULL },
		/* a bad top */
		{ "x", "a/b", NULL },
		{ "x/y", "/T", NULL },
		{ "x/y", "T/", NULL },
		{ "x", "..", NULL },
		{ "x", ".", NULL },
		{ "x", "", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];
		int r;

		memset(out, 'Z', sizeof(out));
		r = pd_cp_member_name(cases[i].raw, cases[i].top, out, sizeof(out));
		if (!cases[i].want) {
			ck_assert_msg(r == -1, "[%s] top [%s]: expected refused, got 0 [%s]",
				      cases[i].raw, cases[i].top ? cases[i].top : "(null)", out);
			continue;
		}
		ck_assert_msg(r == 0, "[%s] top [%s]: refused, want [%s]", cases[i].raw,
			      cases[i].top ? cases[i].top : "(null)", cases[i].want);
		EXPECT_STR(out, cases[i].want);
	}
	{
		char out[8];

		ck_assert_int_eq(pd_cp_member_name(NULL, NULL, out, sizeof(out)), -1);
		ck_assert_int_eq(pd_cp_member_name(NULL, "T", out, sizeof(out)), -1);
		ck_assert_int_eq(pd_cp_member_name("a", NULL, out, 0), -1);
	}
}
END_TEST

/* @cap bounds the result (with its NUL); nothing is written at or past it. */
START_TEST(member_name_cap)
{
	static const struct {
		const char *raw, *top;
		size_t cap;
		const char *want;
	} cases[] = {
		{ "abc", NULL, 4, "abc" },     { "abc", NULL, 3, NULL },
		{ "a/b", NULL, 4, "a/b" },     { "a/b", NULL, 3, NULL },
		{ "./a//b/", NULL, 4, "a/b" }, { "a", NULL, 1, NULL },
		{ "a", NULL, 2, "a" },         { "x/y", "top", 6, "top/y" },
		{ "x/y", "top", 5, NULL },     { "longname", "t", 2, "t" },
		{ "x", "long", 4, NULL },      { "x", "long", 5, "long" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = pd_xmalloc(cases[i].cap + 8);
		int r;

		memset(out, 'Z', cases[i].cap + 8);
		r = pd_cp_member_name(cases[i].raw, cases[i].top, out, cases[i].cap);
		for (size_t k = cases[i].cap; k < cases[i].cap + 8; k++)
			ck_assert_msg(out[k] == 'Z', "[%s] cap %zu: byte %zu written", cases[i].raw,
				      cases[i].cap, k);
		if (cases[i].want) {
			ck_assert_msg(r == 0, "[%s] cap %zu: refused", cases[i].raw, cases[i].cap);
			EXPECT_STR(out, cases[i].want);
		} else {
			ck_assert_msg(r == -1, "[%s] cap %zu: expected refused", cases[i].raw,
				      cases[i].cap);
		}
		free(out);
	}
}
END_TEST

/* "a/a/.../a" with @n components, each prefixed with @pad. */
static char *deep_name(size_t n, const char *pad)
{
	size_t plen = strlen(pad), cap = n * (plen + 2) + 1, w = 0;
	char *s = pd_xmalloc(cap);

	for (size_t i = 0; i < n; i++) {
		memcpy(s + w, pad, plen);
		w += plen;
		s[w++] = 'a';
		if (i + 1 < n)
			s[w++] = '/';
	}
	s[w] = '\0';
	return s;
}

START_TEST(member_name_long_and_deep)
{
	char out[PATH_MAX];
	char *s;

	/* PATH_MAX - 1 bytes fit a PATH_MAX buffer; one more does not */
	s = pd_xmalloc(PATH_MAX + 2);
	memset(s, 'n', PATH_MAX + 1);
	s[PATH_MAX - 1] = '\0';
	ck_assert_int_eq(pd_cp_member_name(s, NULL, out, sizeof(out)), 0);
	EXPECT_UINT(strlen(out), PATH_MAX - 1);
	s[PATH_MAX - 1] = 'n';
	s[PATH_MAX] = '\0';
	ck_assert_int_eq(pd_cp_member_name(s, NULL, out, sizeof(out)), -1);
	/* what is dropped does not count: a raw name over PATH_MAX, a short result */
	free(s);
	s = deep_name(3000, "./");
	s[strlen(s) - 1] = '.'; /* ".../a/./." : 2999 components */
	ck_assert_msg(strlen(s) > PATH_MAX, "%zu", strlen(s));
	ck_assert_int_eq(pd_cp_member_name(s, NULL, out, sizeof(out)), -1); /* too deep */
	free(s);
	s = pd_xmalloc(3 * 3000 + 4);
	for (size_t i = 0; i < 3000; i++)
		memcpy(s + 3 * i, ".//", 3);
	memcpy(s + 3 * 3000, "x/y", 4);
	ck_assert_int_eq(pd_cp_member_name(s, NULL, out, sizeof(out)), 0);
	EXPECT_STR(out, "x/y");
	ck_assert_int_eq(pd_cp_member_name(s, "T", out, sizeof(out)), 0);
	EXPECT_STR(out, "T/y");
	free(s);
	/* 256 components are fine, 257 are not; "." and empty ones do not count */
	s = deep_name(256, "");
	ck_assert_int_eq(pd_cp_member_name(s, NULL, out, sizeof(out)), 0);
	EXPECT_STR(out, s);
	ck_assert_int_eq(pd_cp_member_name(s, "T", out, sizeof(out)), 0);
	ck_assert_msg(!strncmp(out, "T/a/a/", 6), "%.16s", out);
	free(s);
	s = deep_name(256, ".//");
	ck_assert_int_eq(pd_cp_member_name(s, NULL, out, sizeof(out)), 0);
	EXPECT_UINT(strlen(out), 256 * 2 - 1);
	free(s);
	s = deep_name(257, "");
	ck_assert_int_eq(pd_cp_member_name(s, NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(pd_cp_member_name(s, "T", out, sizeof(out)), -1);
	free(s);
}
END_TEST

/* ---- pd_cp_extract ---- */

/* (a) a symlink planted by the archive resolves inside the destination. */
START_TEST(extract_symlink_then_file)
{
	bool had_escaped = host_exists("/escaped"), had_x = host_exists("/x");
	struct pd_error e = { 0 };

	/* a member through a symlink of the same archive: refused, nothing
	 * made through it (inside the destination or out) */
	ck_assert_int_eq(extract(TAR_OF({ "a", AE_IFLNK, 0777, "/", NULL },
					{ "a/escaped", AE_IFREG, 0644, "in\n", NULL }),
				 NULL, &e),
			 -1);
	ck_assert_msg(strstr(e.msg, "\"/a\"") != NULL, "the message names the link: %s", e.msg);
	expect_link("a", "/");
	expect_names(destfd, ".", "a");
	ck_assert_int_eq(extract(TAR_OF({ "b", AE_IFLNK, 0777, "../../..", NULL },
					{ "b/x", AE_IFREG, 0644, "x\n", NULL }),
				 NULL, &e),
			 -1);
	expect_names(destfd, ".", "a,b");
	/* links alone are fine, and so are files beside them */
	extract_ok(TAR_OF({ "lnk", AE_IFLNK, 0777, "/etc/passwd", NULL },
			  { "newdir/", AE_IFDIR, 0755, NULL, NULL },
			  { "newdir/f", AE_IFREG, 0600, "nf\n", NULL }),
		   NULL);
	expect_link("lnk", "/etc/passwd");
	expect_file("newdir/f", "nf\n", 0600);
	expect_outside_unchanged();
	ck_assert_msg(had_escaped || !host_exists("/escaped"), "/escaped was made");
	ck_assert_msg(had_x || !host_exists("/x"), "/x was made");
}
END_TEST

/* A symlink to the real path of outside/: followed only inside the destination. */
START_TEST(extract_symlink_to_host_path)
{
	cleanup_free char *outside = tmp_path("outside");
	struct pd_error e = { 0 };
	struct ent ents[] = {
		{ "c", AE_IFLNK, 0777, outside, NULL },
		{ "c/victim", AE_IFREG, 0644, "pwned\n", NULL },
		{ "d", AE_IFLNK, 0777, "../outside", NULL },
		{ "d/victim", AE_IFREG, 0644, "pwned\n", NULL },
	};

	for (size_t i = 0; i < 4; i += 2) {
		cleanup_free char *member = pd_xstrdup(ents[i + 1].name);
		int r = extract(tar_of(ents + i, 2), NULL, &e);

		expect_outside_unchanged();
		expect_link(ents[i].name, ents[i].data);
		/* either refused (the link leads nowhere inside) or made inside */
		if (r == 0) {
			int fd = pd_open_in_root(destfd, member, O_RDONLY, 0, "dest", &e);

			ck_assert_msg(fd >= 0, "%s", e.msg);
			close(fd);
		} else {
			ck_assert_msg(e.msg[0] != '\0', "%s: no message", member);
		}
	}
}
END_TEST

/* (b) ".." or an absolute name: refused, naming the member; nothing made outside. */
START_TEST(extract_refuses_bad_names)
{
	static const char *const bad[] = { "../up", "a/../../up",        "..",
					   "../",   "/paude-cp-tar-abs", "sub/../../../up" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool had_abs = host_exists("/paude-cp-tar-abs");
		struct pd_error e = { 0 };
		int r = extract(TAR_OF({ "before", AE_IFREG, 0644, "b\n", NULL },
				       { bad[i], AE_IFREG, 0644, "up\n", NULL },
				       { "after", AE_IFREG, 0644, "a\n", NULL }),
				NULL, &e);

		ck_assert_msg(r == -1, "[%s]: extracted", bad[i]);
		ck_assert_msg(strstr(e.msg, bad[i]) != NULL, "[%s]: message [%s]", bad[i], e.msg);
		expect_file("before", "b\n", 0644);
		expect_absent("after");
		expect_absent("up");
		expect_outside_unchanged();
		ck_assert_msg(had_abs || !host_exists("/paude-cp-tar-abs"),
			      "/paude-cp-tar-abs made");
		ck_assert_int_eq(unlinkat(destfd, "before", 0), 0);
	}
	/* a directory member, too */
	{
		struct pd_error e = { 0 };

		ck_assert_int_eq(
			extract(TAR_OF({ "../updir/", AE_IFDIR, 0755, NULL, NULL }), NULL, &e), -1);
		ck_assert_msg(strstr(e.msg, "../updir") != NULL, "message [%s]", e.msg);
		expect_names(destfd, ".", "");
		expect_outside_unchanged();
	}
}
END_TEST

/* (c) a symlink already at a file's name is replaced, never written through. */
START_TEST(extract_replaces_existing_symlink)
{
	cleanup_free char *victim = tmp_path("outside/victim");
	cleanup_free char *newfile = tmp_path("outside/new");

	ck_assert_int_eq(symlinkat(victim, destfd, "f"), 0);
	ck_assert_int_eq(symlinkat(newfile, destfd, "g"), 0); /* dangling */
	ck_assert_int_eq(symlinkat("../outside/victim", destfd, "h"), 0);
	ck_assert_int_eq(symlinkat(victim, destfd, "l"), 0);
	ck_assert_int_eq(mkdirat(destfd, "sub", 0755), 0);
	ck_assert_int_eq(symlinkat(victim, destfd, "sub/f"), 0);
	extract_ok(TAR_OF({ "f", AE_IFREG, 0644, "new f\n", NULL },
			  { "g", AE_IFREG, 0600, "new g\n", NULL },
			  { "./h", AE_IFREG, 0644, "new h\n", NULL },
			  { "l", AE_IFLNK, 0777, "elsewhere", NULL },
			  { "sub/f", AE_IFREG, 0644, "new sub/f\n", NULL }),
		   NULL);
	expect_file("f", "new f\n", 0644);
	expect_file("g", "new g\n", 0600);
	expect_file("h", "new h\n", 0644);
	expect_link("l", "elsewhere");
	expect_file("sub/f", "new sub/f\n", 0644);
	expect_outside_unchanged(); /* victim as it was, no "new" */
}
END_TEST

/* (d) set-id and sticky bits are dropped, on new and on existing files. */
START_TEST(extract_drops_setid)
{
	write_at(destfd, "old", "old\n", 4, 0644);
	ck_assert_int_eq(fchmodat(destfd, "old", 04755, 0), 0);
	extract_ok(TAR_OF({ "suid", AE_IFREG, 04755, "s\n", NULL },
			  { "sgid", AE_IFREG, 02755, "g\n", NULL },
			  { "sticky", AE_IFREG, 01777, "t\n", NULL },
			  { "all", AE_IFREG, 07777, "a\n", NULL },
			  { "old", AE_IFREG, 04644, "new\n", NULL },
			  { "sdir/", AE_IFDIR, 06755, NULL, NULL },
			  { "sdir/f", AE_IFREG, 02700, "f\n", NULL }),
		   NULL);
	expect_file("suid", "s\n", 0755);
	expect_file("sgid", "g\n", 0755);
	expect_file("sticky", "t\n", 0755); /* never group- or world-writable */
	expect_file("all", "a\n", 0755);
	expect_file("old", "new\n", 0644);
	expect_dir("sdir");
	expect_file("sdir/f", "f\n", 0700);
	expect_outside_unchanged();
}
END_TEST

/* (e) fifos and device nodes are skipped; the rest goes on. */
START_TEST(extract_skips_special)
{
	extract_ok(TAR_OF({ "fifo", AE_IFIFO, 0644, NULL, NULL },
			  { "chr", AE_IFCHR, 0666, NULL, NULL },
			  { "blk", AE_IFBLK, 0660, NULL, NULL },
			  { "d/fifo", AE_IFIFO, 0644, NULL, NULL },
			  { "after", AE_IFREG, 0644, "after\n", NULL }),
		   NULL);
	expect_absent("fifo");
	expect_absent("chr");
	expect_absent("blk");
	expect_absent("d/fifo");
	expect_file("after", "after\n", 0644);
	expect_outside_unchanged();
}
END_TEST

/* (f) with top, the first component of every member is replaced. */
START_TEST(extract_top)
{
	struct pd_error e = { 0 };

	extract_ok(TAR_OF({ "orig/", AE_IFDIR, 0755, NULL, NULL },
			  { "orig/sub/", AE_IFDIR, 0755, NULL, NULL },
			  { "orig/sub/f", AE_IFREG, 0644, "f\n", NULL },
			  { "./orig/g", AE_IFREG, 0640, "g\n", NULL },
			  { "orig//l", AE_IFLNK, 0777, "sub/f", NULL }),
		   "renamed");
	expect_names(destfd, ".", "renamed");
	expect_names(destfd, "renamed", "g,l,sub");
	expect_file("renamed/sub/f", "f\n", 0644);
	expect_file("renamed/g", "g\n", 0640);
	expect_link("renamed/l", "sub/f");
	/* a single file */
	extract_ok(TAR_OF({ "file.txt", AE_IFREG, 0644, "one\n", NULL }), "new name.txt");
	expect_file("new name.txt", "one\n", 0644);
	expect_absent("file.txt");
	/* a top that is no name: refused, nothing made */
	ck_assert_int_eq(extract(TAR_OF({ "x/y", AE_IFREG, 0644, "y\n", NULL }), "a/b", &e), -1);
	ck_assert_msg(strstr(e.msg, "x/y") != NULL, "message [%s]", e.msg);
	ck_assert_int_eq(extract(TAR_OF({ "x", AE_IFREG, 0644, "x\n", NULL }), "..", &e), -1);
	ck_assert_int_eq(extract(TAR_OF({ "x", AE_IFREG, 0644, "x\n", NULL }), ".", &e), -1);
	ck_assert_int_eq(extract(TAR_OF({ "x", AE_IFREG, 0644, "x\n", NULL }), "", &e), -1);
	expect_names(destfd, ".", "new name.txt,renamed");
	expect_outside_unchanged();
}
END_TEST

/* Files replace what they meet: an empty directory; a file in a file's way fails. */
START_TEST(extract_conflicts)
{
	struct pd_error e = { 0 };

	ck_assert_int_eq(mkdirat(destfd, "was_dir", 0755), 0);
	write_at(destfd, "plain", "p\n", 2, 0644);
	extract_ok(TAR_OF({ "was_dir", AE_IFREG, 0644, "now a file\n", NULL },
			  { "plain", AE_IFREG, 0600, "over\n", NULL }),
		   NULL);
	expect_file("was_dir", "now a file\n", 0644);
	expect_file("plain", "over\n", 0600);
	ck_assert_int_eq(extract(TAR_OF({ "plain/under", AE_IFREG, 0644, "u\n", NULL }), NULL, &e),
			 -1);
	ck_assert_msg(e.msg[0] != '\0', "no message");
	expect_file("plain", "over\n", 0600);
	/* a truncated or garbage stream is an error */
	{
		int fd = memfd_create("junk", MFD_CLOEXEC);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pd_write_all(fd, "not a tar at all", 16), 0);
		ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
		ck_assert_int_eq(extract(fd, NULL, &e), -1);
		ck_assert_msg(e.msg[0] != '\0', "no message");
	}
	expect_names(destfd, ".", "plain,was_dir");
	expect_outside_unchanged();
}
END_TEST

/* ---- pd_cp_write_tar, read back ---- */

static int write_tar(const char *rel, const char *top, struct pd_error *e)
{
	cleanup_free char *path = tmp_path(rel);
	int fd = memfd_create("cp-out", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	*e = (struct pd_error){ 0 };
	if (pd_cp_write_tar(path, top, fd, e) < 0) {
		close(fd);
		return -1;
	}
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int write_tar_ok(const char *rel, const char *top)
{
	struct pd_error e = { 0 };
	int fd = write_tar(rel, top, &e);

	ck_assert_msg(fd >= 0, "pd_cp_write_tar %s: %s", rel, e.msg);
	return fd;
}

/* (g) a tree out and back: contents, modes, a link as a link, no fifo. */
START_TEST(round_trip)
{
	size_t big_len = 300000;
	cleanup_free unsigned char *big = pd_xmalloc(big_len);
	struct pd_error e = { 0 };

	for (size_t i = 0; i < big_len; i++)
		big[i] = (unsigned char)(i * 7 + i / 251);
	ck_assert_int_eq(mkdirat(tmpfd, "src", 0755), 0);
	ck_assert_int_eq(mkdirat(tmpfd, "src/tree", 0750), 0);
	ck_assert_int_eq(mkdirat(tmpfd, "src/tree/sub", 0755), 0);
	ck_assert_int_eq(mkdirat(tmpfd, "src/tree/emptydir", 0755), 0);
	write_at(tmpfd, "src/tree/file", big, big_len, 0644);
	write_at(tmpfd, "src/tree/sub/inner", "inner\n", 6, 0600);
	write_at(tmpfd, "src/tree/empty", "", 0, 0444);
	write_at(tmpfd, "src/tree/suid", "#!/bin/sh\n", 10, 04755);
	ck_assert_int_eq(symlinkat("/etc/passwd", tmpfd, "src/tree/link"), 0);
	ck_assert_int_eq(symlinkat("sub/inner", tmpfd, "src/tree/rel"), 0);
	ck_assert_int_eq(mkfifoat(tmpfd, "src/tree/fifo", 0644), 0);

	extract_ok(write_tar_ok("src/tree", "tree"), NULL);
	expect_names(destfd, ".", "tree");
	expect_names(destfd, "tree", "empty,emptydir,file,link,rel,sub,suid");
	expect_file_n("tree/file", big, big_len, 0644);
	expect_file("tree/sub/inner", "inner\n", 0600);
	expect_file("tree/empty", "", 0444);
	expect_file("tree/suid", "#!/bin/sh\n", 0755);
	expect_link("tree/link", "/etc/passwd");
	expect_link("tree/rel", "sub/inner");
	expect_dir("tree/emptydir");
	expect_names(destfd, "tree/emptydir", "");
	expect_absent("tree/fifo");

	/* under another top name, from a path with a trailing slash */
	extract_ok(write_tar_ok("src/tree/", "copy"), NULL);
	expect_names(destfd, "copy", "empty,emptydir,file,link,rel,sub,suid");
	expect_file_n("copy/file", big, big_len, 0644);
	/* a symlink named as the path is sent as a link, not followed */
	extract_ok(write_tar_ok("src/tree/link", "l"), NULL);
	expect_link("l", "/etc/passwd");
	/* a single file, renamed again on the way in */
	extract_ok(write_tar_ok("src/tree/sub/inner", "inner"), "renamed");
	expect_file("renamed", "inner\n", 0600);
	/* a fifo as the path: an empty archive */
	extract_ok(write_tar_ok("src/tree/fifo", "fifo"), NULL);
	expect_absent("fifo");
	/* a missing path */
	ck_assert_int_eq(write_tar("src/nothing", "nothing", &e), -1);
	ck_assert_msg(e.msg[0] != '\0', "no message");

	expect_names(destfd, ".", "copy,l,renamed,tree");
	expect_outside_unchanged_with("dest,outside,src");
}
END_TEST

/* ---- regressions ---- */

/* A hard link member (GNU tar writes one per extra name of a file) is another name. */
START_TEST(bug_hardlink)
{
	extract_ok(TAR_OF({ "d/", AE_IFDIR, 0755, NULL, NULL },
			  { "d/f", AE_IFREG, 0644, "data\n", NULL },
			  { "d/g", 0, 0644, NULL, "d/f" }),
		   NULL);
	expect_file("d/f", "data\n", 0644);
	expect_file("d/g", "data\n", 0644);
	expect_outside_unchanged();
}
END_TEST

/* A fifo already at a file's name is replaced, without blocking on it. */
START_TEST(bug_fifo_at_name)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int fd, status = 0;
	pid_t pid;

	ck_assert_int_eq(mkfifoat(destfd, "f", 0644), 0);
	fd = TAR_OF({ "f", AE_IFREG, 0644, "file\n", NULL });
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct pd_error e = { 0 };

		_exit(pd_cp_extract(fd, destfd, NULL, &e) == 0 ? 0 : 1);
	}
	close(fd);
	for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		nanosleep(&ts, NULL);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ck_abort_msg("pd_cp_extract blocked on a fifo at the file's name");
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	expect_file("f", "file\n", 0644);
}
END_TEST

/* A name that is not ASCII (paude runs in the C locale) goes out and back. */
START_TEST(bug_non_ascii_name)
{
	ck_assert_int_eq(mkdirat(tmpfd, "src", 0755), 0);
	write_at(tmpfd, "src/caf\xc3\xa9", "x\n", 2, 0644);
	write_at(tmpfd, "src/raw\xff", "y\n", 2, 0644);
	extract_ok(write_tar_ok("src", "src"), NULL);
	expect_file("src/caf\xc3\xa9", "x\n", 0644);
	expect_file("src/raw\xff", "y\n", 0644);
}
END_TEST

/* GNU tar -C dir . writes "./" first: the destination itself, not an error. */
START_TEST(bug_dot_member)
{
	extract_ok(TAR_OF({ "./", AE_IFDIR, 0755, NULL, NULL },
			  { "./a", AE_IFREG, 0644, "a\n", NULL }),
		   NULL);
	expect_file("a", "a\n", 0644);
}
END_TEST

static Suite *cp_tar_suite(void)
{
	Suite *s = suite_create("cp_tar");
	TCase *names = tcase_create("member_name");
	TCase *ex = tcase_create("extract");

	tcase_add_test(names, member_names);
	tcase_add_test(names, member_name_cap);
	tcase_add_test(names, member_name_long_and_deep);
	suite_add_tcase(s, names);
	if (!pd_unit_have_openat2()) {
		fprintf(stderr,
			"note: openat2 unavailable (ENOSYS): cp_tar extraction tests left "
			"out\n");
		return s;
	}
	tcase_add_checked_fixture(ex, setup, teardown);
	tcase_add_test(ex, extract_symlink_then_file);
	tcase_add_test(ex, extract_symlink_to_host_path);
	tcase_add_test(ex, extract_refuses_bad_names);
	tcase_add_test(ex, extract_replaces_existing_symlink);
	tcase_add_test(ex, extract_drops_setid);
	tcase_add_test(ex, extract_skips_special);
	tcase_add_test(ex, extract_top);
	tcase_add_test(ex, extract_conflicts);
	tcase_add_test(ex, round_trip);
	suite_add_tcase(s, ex);
	{
		TCase *bugs = tcase_create("regressions");

		tcase_add_checked_fixture(bugs, setup, teardown);
		tcase_add_test(bugs, bug_hardlink);
		tcase_add_test(bugs, bug_fifo_at_name);
		tcase_add_test(bugs, bug_non_ascii_name);
		tcase_add_test(bugs, bug_dot_member);
		suite_add_tcase(s, bugs);
	}
	return s;
}

PD_UNIT_SUITE(cp_tar_suite);
