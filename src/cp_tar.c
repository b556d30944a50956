/* SPDX-License-Identifier: MIT */
/*
 * cp_tar.c - the host's ends of `paude cp` (cp_tar.h).
 *
 * Into a session: the host path is walked beneath directory fds with
 * O_NOFOLLOW, so a symlink is sent as a link and never read through.
 * Out of a session: the tar is untrusted.  Each member's name is cleaned
 * (pd_cp_member_name; the caller gives the top name, so every member lands
 * under the one object the user named), its parent is made or found with
 * openat2's RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS from the destination's fd
 * (a symlink, planted earlier in the same archive or already there, is
 * never traversed: such a member fails the copy), and the last component is
 * created with O_NOFOLLOW (a symlink already there is replaced, not written
 * through).  Only directories, regular files and
 * symlinks are made; set-id bits are dropped; owners are the caller's.
 */
#include "cp_tar.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEPTH_MAX 256
#define ENTRIES_MAX 1000000ull
#define BUF (128 * 1024)

int pd_cp_member_name(const char *raw, const char *top, char *out, size_t cap)
{
	size_t k = 0, depth = 0;
	bool first = true;

	if (!raw || raw[0] == '/' || cap == 0)
		return -1;
	for (const char *p = raw; *p;) {
		size_t n = strcspn(p, "/");
		const char *comp = p;

		p += n;
		while (*p == '/')
			p++;
		if (n == 0 || (n == 1 && comp[0] == '.'))
			continue;
		if (n == 2 && comp[0] == '.' && comp[1] == '.')
			return -1;
		if (++depth > DEPTH_MAX)
			return -1;
		if (first && top) {
			comp = top;
			n = strlen(top);
			if (n == 0 || strchr(top, '/') || !strcmp(top, ".") || !strcmp(top, ".."))
				return -1;
		}
		first = false;
		if (k + (k ? 1 : 0) + n + 1 > cap)
			return -1;
		if (k)
			out[k++] = '/';
		memcpy(out + k, comp, n);
		k += n;
	}
	if (k == 0)
		return -1;
	out[k] = '\0';
	return 0;
}

/* ---- into a session ---- */

struct wr {
	struct archive *a;
	int fd;
	int werr;
	char *buf;
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t n)
{
	struct wr *w = data;

	(void)a;
	if (pd_write_all(w->fd, buf, n) < 0) {
		w->werr = errno;
		return -1;
	}
	return (la_ssize_t)n;
}

static int wr_fail(struct wr *w, const char *name, struct pd_error *err)
{
	if (w->werr)
		return pd_error_set(err, w->werr, "send \"%s\"", name);
	return pd_error_set_msg(err, EIO, "send \"%s\": %s", name,
				archive_error_string(w->a) ? archive_error_string(w->a)
							   : "libarchive");
}

static int add_entry(struct wr *w, int dirfd, const char *base, const char *name, int depth,
		     struct pd_error *err);

static int add_dir(struct wr *w, int fd, const char *name, int depth, struct pd_error *err)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		pd_close(dup_fd);
		return pd_error_set(err, errno, "\"%s\"", name);
	}
	while ((e = readdir(d))) {
		cleanup_free char *child = NULL;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		child = pd_xasprintf("%s/%s", name, e->d_name);
		if (add_entry(w, fd, e->d_name, child, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

static int add_entry(struct wr *w, int dirfd, const char *base, const char *name, int depth,
		     struct pd_error *err)
{
	struct archive_entry *e;
	cleanup_close int fd = -1;
	struct stat st;
	char target[PATH_MAX];
	int r = -1;

	if (depth > DEPTH_MAX)
		return pd_error_set_msg(err, ELOOP, "\"%s\": too deep", name);
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return pd_error_set(err, errno, "\"%s\"", name);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return 0; /* devices, fifos, sockets: not copied */
	if (!S_ISLNK(st.st_mode)) {
		fd = openat(dirfd, base,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
				    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0 || fstat(fd, &st) < 0)
			return pd_error_set(err, errno, "\"%s\"", name);
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			return 0; /* it changed under us */
	}
	e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_perm(e, st.st_mode & 0777);
	archive_entry_set_mtime(e, st.st_mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dirfd, base, target, sizeof(target) - 1);

		if (n < 0) {
			pd_error_set(err, errno, "\"%s\"", name);
			goto out;
		}
		target[n] = '\0';
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, target);
		archive_entry_set_size(e, 0);
	} else {
		archive_entry_set_filetype(e, S_ISDIR(st.st_mode) ? AE_IFDIR : AE_IFREG);
		archive_entry_set_size(e, S_ISREG(st.st_mode) ? st.st_size : 0);
	}
	if (archive_write_header(w->a, e) < ARCHIVE_WARN) {
		wr_fail(w, name, err);
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		for (off_t done = 0; done < st.st_size;) {
			size_t want = (size_t)(st.st_size - done) < BUF
					      ? (size_t)(st.st_size - done)
					      : BUF;
			ssize_t n = read(fd, w->buf, want);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				pd_error_set(err, errno, "read \"%s\"", name);
				goto out;
			}
			if (n == 0) { /* it shrank: pad to the size the header gave */
				memset(w->buf, 0, want);
				n = (ssize_t)want;
			}
			if (archive_write_data(w->a, w->buf, (size_t)n) != n) {
				wr_fail(w, name, err);
				goto out;
			}
			done += n;
		}
	}
	r = S_ISDIR(st.st_mode) ? add_dir(w, fd, name, depth, err) : 0;
out:
	archive_entry_free(e);
	return r;
}

int pd_cp_write_tar(const char *path, const char *top, int fd, struct pd_error *err)
{
	struct wr w = { .fd = fd };
	cleanup_free char *copy = pd_xstrdup(path);
	cleanup_close int parent = -1;
	char *slash;
	const char *base = copy;
	int r = -1;

	/* the path's own last component is not followed either; "x//" is x */
	for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
		copy[n - 1] = '\0';
	slash = strrchr(copy, '/');
	if (slash) {
		*slash = '\0';
		base = slash + 1;
		parent = open(slash == copy ? "/" : copy, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		parent = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (parent < 0)
		return pd_error_set(err, errno, "\"%s\"", path);
	w.buf = pd_xmalloc(BUF);
	w.a = archive_write_new();
	if (!w.a || archive_write_set_format_pax(w.a) != ARCHIVE_OK ||
	    archive_write_open(w.a, &w, NULL, write_cb, NULL) != ARCHIVE_OK) {
		pd_error_set_msg(err, EIO, "tar: libarchive");
		goto out;
	}
	if (add_entry(&w, parent, base, top, 0, err) < 0)
		goto out;
	if (archive_write_close(w.a) != ARCHIVE_OK) {
		wr_fail(&w, path, err);
		goto out;
	}
	r = 0;
out:
	if (w.a)
		archive_write_free(w.a);
	free(w.buf);
	return r;
}

/* ---- out of a session ---- */

struct rd {
	int fd;
	char *buf;
};

static la_ssize_t read_cb(struct archive *a, void *data, const void **out)
{
	struct rd *r = data;
	ssize_t n;

	(void)a;
	do
		n = read(r->fd, r->buf, BUF);
	while (n < 0 && errno == EINTR);
	*out = r->buf;
	return n;
}

/* The directory that will hold @name (made), and its last component in *@base. */
static int parent_of(int destdir, char *name, const char **base, struct pd_error *err)
{
	char *slash = strrchr(name, '/');

	if (!slash) {
		*base = name;
		return fcntl(destdir, F_DUPFD_CLOEXEC, 3);
	}
	*slash = '\0';
	*base = slash + 1;
	{
		int fd = pd_mkdirs_in_root_x(destdir, name, 0755, RESOLVE_NO_SYMLINKS,
					     "destination", err);

		*slash = '/';
		return fd;
	}
}

static int extract_file(struct archive *a, struct archive_entry *e, int dir, const char *base,
			const char *name, mode_t mode, struct pd_error *err)
{
	cleanup_close int fd = -1;
	const void *block;
	size_t size;
	la_int64_t off;
	int r;

	for (int tries = 0; tries < 2 && fd < 0; tries++) {
		fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    mode & 0755);
		if (fd < 0 && errno == EEXIST && unlinkat(dir, base, 0) < 0 && errno == EISDIR)
			(void)unlinkat(dir, base, AT_REMOVEDIR);
	}
	if (fd < 0)
		return pd_error_set(err, errno, "\"%s\"", name);
	while ((r = archive_read_data_block(a, &block, &size, &off)) == ARCHIVE_OK) {
		if (lseek(fd, off, SEEK_SET) < 0 || pd_write_all(fd, block, size) < 0)
			return pd_error_set(err, errno, "write \"%s\"", name);
	}
	if (r != ARCHIVE_EOF)
		return pd_error_set_msg(err, EIO, "\"%s\": %s", name,
					archive_error_string(a) ? archive_error_string(a) : "tar");
	/* a sparse file's trailing hole has no data block: the size is the header's */
	if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
		return pd_error_set(err, errno, "write \"%s\"", name);
	/* never group- or world-writable in the user's tree, whatever the sandbox said */
	(void)fchmod(fd, mode & 0755);
	return 0;
}

static int extract_one(struct archive *a, struct archive_entry *e, int destdir, const char *top,
		       struct pd_error *err)
{
	char name[PATH_MAX];
	const char *base;
	cleanup_close int dir = -1;
	unsigned int type = archive_entry_filetype(e);
	mode_t mode = archive_entry_perm(e) & 0777;

	const char *raw = archive_entry_pathname(e);
	const char *hl = archive_entry_hardlink(e);

	/* a hard link: another name of a member already extracted */
	if (type == AE_IFDIR && raw && raw[0] != '/' && raw[strspn(raw, "./")] == '\0' &&
	    !strstr(raw, ".."))
		return 0; /* "./": the destination itself */
	if (pd_cp_member_name(archive_entry_pathname(e), top, name, sizeof(name)) < 0)
		return pd_error_set_msg(err, EINVAL, "a member named \"%s\": refused",
					archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
	if (type == AE_IFDIR) {
		int fd = pd_mkdirs_in_root_x(destdir, name, 0755, RESOLVE_NO_SYMLINKS,
					     "destination", err);

		if (fd < 0)
			return -1;
		close(fd);
		return 0;
	}
	if (hl) {
		char src[PATH_MAX];
		const char *sbase;
		cleanup_close int sdir = -1;

		if (pd_cp_member_name(hl, top, src, sizeof(src)) < 0)
			return pd_error_set_msg(err, EINVAL, "\"%s\": a link to \"%s\": refused",
						name, hl);
		sdir = parent_of(destdir, src, &sbase, err);
		if (sdir < 0)
			return -1;
		dir = parent_of(destdir, name, &base, err);
		if (dir < 0)
			return -1;
		(void)unlinkat(dir, base, 0);
		/* no AT_SYMLINK_FOLLOW: a symlink at @src is linked, never followed */
		if (linkat(sdir, sbase, dir, base, 0) < 0)
			return pd_error_set(err, errno, "link \"%s\" to \"%s\"", name, src);
		return 0;
	}
	if (type != AE_IFREG && type != AE_IFLNK) {
		pd_note("cp: \"%s\" is neither a file, a directory nor a link: skipped", name);
		return 0;
	}
	dir = parent_of(destdir, name, &base, err);
	if (dir < 0)
		return -1;
	if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(e);

		if (!target)
			return 0;
		(void)unlinkat(dir, base, 0);
		if (symlinkat(target, dir, base) < 0)
			return pd_error_set(err, errno, "symlink \"%s\"", name);
		return 0;
	}
	return extract_file(a, e, dir, base, name, mode, err);
}

int pd_cp_extract(int fd, int destdir, const char *top, struct pd_error *err)
{
	struct rd rd = { .fd = fd };
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	uint64_t n = 0;
	int r = -1, h;

	rd.buf = pd_xmalloc(BUF);
	if (!a || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open(a, &rd, NULL, read_cb, NULL) != ARCHIVE_OK) {
		pd_error_set_msg(err, EIO, "tar: %s",
				 a && archive_error_string(a) ? archive_error_string(a)
							      : "libarchive");
		goto out;
	}
	while ((h = archive_read_next_header(a, &e)) == ARCHIVE_OK || h == ARCHIVE_WARN) {
		if (++n > ENTRIES_MAX) {
			pd_error_set_msg(err, EFBIG, "more than %llu members",
					 (unsigned long long)ENTRIES_MAX);
			goto out;
		}
		if (extract_one(a, e, destdir, top, err) < 0)
			goto out;
	}
	if (h != ARCHIVE_EOF) {
		pd_error_set_msg(err, EIO, "tar: %s",
				 archive_error_string(a) ? archive_error_string(a)
							 : "a bad archive");
		goto out;
	}
	r = 0;
out:
	if (a)
		archive_read_free(a);
	free(rd.buf);
	return r;
}
