/* SPDX-License-Identifier: MIT */
/*
 * flatten.c - unpacked layers merged into one directory (flatten.h).
 *
 * Theory of operation
 * -------------------
 * overlayfs stacks at most PD_OVERLAY_MAX_LOWERS lower layers.  An image
 * with more has its bottom layers merged into one directory, once, which
 * then serves as a single lower layer under the others.  The merge applies
 * each layer in turn, bottom first, exactly as the overlay would read them:
 *   - an entry replaces whatever the layers below had under its name (a
 *     directory merges with a directory below; anything else replaces);
 *   - a whiteout (the 0/0 character device the unpacker makes for
 *     ".wh.NAME") removes the name and is not copied;
 *   - an opaque directory (user.overlay.opaque="y", from ".wh..wh..opq")
 *     first loses what the layers below put in it.
 * Every step works on directory fds and single names (openat, mkdirat,
 * unlinkat with AT_SYMLINK_NOFOLLOW or O_NOFOLLOW), so a symlink in a layer
 * is copied as a symlink and never followed.  Hard links between files of
 * one layer are kept (linkat to the first copy); across layers a name is a
 * new file anyway.  Owners, modes, times and extended attributes are
 * copied, except the overlay's own attributes.
 */
#include "flatten.h"
#include "digest.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define DEPTH_MAX 1024
#define XATTR_LIST_MAX_BYTES 65536
#define XATTR_VALUE_MAX_BYTES 65536

struct seen {
	dev_t dev;
	ino_t ino;
	char *path; /* below the destination's root */
};

struct flat {
	int root;            /* the destination */
	char path[PATH_MAX]; /* the entry being copied, below it */
	size_t len;
	struct seen *links; /* this layer's files with more than one link */
	size_t n_links;
	struct pd_error *err;
};

static void links_reset(struct flat *f)
{
	for (size_t i = 0; i < f->n_links; i++)
		free(f->links[i].path);
	free(f->links);
	f->links = NULL;
	f->n_links = 0;
}

static int fail(struct flat *f, int e, const char *what)
{
	return pd_error_set(f->err, e, "flatten: %s \"/%.*s\"", what, (int)f->len, f->path);
}

static bool push(struct flat *f, const char *name, size_t *saved)
{
	size_t n = strlen(name);

	*saved = f->len;
	if (f->len + n + 2 > sizeof(f->path))
		return false;
	if (f->len)
		f->path[f->len++] = '/';
	memcpy(f->path + f->len, name, n);
	f->len += n;
	f->path[f->len] = '\0';
	return true;
}

static void pop(struct flat *f, size_t saved)
{
	f->len = saved;
	f->path[f->len] = '\0';
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static bool overlay_attr(const char *name)
{
	return pd_str_has_prefix(name, "user.overlay.") ||
	       pd_str_has_prefix(name, "trusted.overlay.");
}

static bool opaque(int dir)
{
	char v[2];

	return (fgetxattr(dir, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y') ||
	       (fgetxattr(dir, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
}

/* Everything the layers below put in @dir (its own directory fd). */
static int clear_dir(struct flat *f, int dir)
{
	int fd = fcntl(dir, F_DUPFD_CLOEXEC, 3);
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fail(f, errno, "opaque directory");
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    pd_remove_tree(dir, e->d_name, f->err) < 0)
			return pd_error_wrap(f->err, "flatten: opaque directory \"/%s\"", f->path);
	return 0;
}

static int copy_xattrs(int src, int dst)
{
	cleanup_free char *list = pd_xmalloc(XATTR_LIST_MAX_BYTES);
	cleanup_free char *val = pd_xmalloc(XATTR_VALUE_MAX_BYTES);
	ssize_t n = flistxattr(src, list, XATTR_LIST_MAX_BYTES);

	if (n < 0)
		return errno == ENOTSUP ? 0 : -1;
	for (ssize_t off = 0; off < n; off += (ssize_t)strlen(list + off) + 1) {
		const char *name = list + off;
		ssize_t v;

		/* the overlay's own, and the host's security labels (SELinux, ...):
		 * not layer content; file capabilities are */
		if (overlay_attr(name) || (pd_str_has_prefix(name, "security.") &&
					   strcmp(name, "security.capability") != 0))
			continue;
		v = fgetxattr(src, name, val, XATTR_VALUE_MAX_BYTES);
		if (v < 0)
			return -1;
		if (fsetxattr(dst, name, val, (size_t)v, 0) < 0 && errno != ENOTSUP)
			return -1;
	}
	return 0;
}

/* Owner, mode, attributes and times of @st onto @dst (an fd that may read and write them). */
static int copy_meta(int src, const struct stat *st, int dst)
{
	struct timespec t[2] = { st->st_atim, st->st_mtim };

	if (fchown(dst, st->st_uid, st->st_gid) < 0 || fchmod(dst, st->st_mode & 07777) < 0 ||
	    copy_xattrs(src, dst) < 0 || futimens(dst, t) < 0)
		return -1;
	return 0;
}

/* Owner and times of a symlink, fifo or device, by name. */
static int meta_at(int dir, const char *name, const struct stat *st, bool chmod_too)
{
	struct timespec t[2] = { st->st_atim, st->st_mtim };

	if (fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (chmod_too && fchmodat(dir, name, st->st_mode & 07777, 0) < 0) ||
	    utimensat(dir, name, t, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return 0;
}

static int copy_bytes(int in, int out)
{
	char buf[65536];

	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);

		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return -1;
		break;
	}
	for (;;) { /* a filesystem copy_file_range does not serve */
		ssize_t n = read(in, buf, sizeof(buf));

		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));

			if (k < 0 && errno != EINTR)
				return -1;
			w += k > 0 ? k : 0;
		}
	}
}

static int copy_file(struct flat *f, int src, int dst, const char *name, const struct stat *st)
{
	cleanup_close int in = -1, out = -1;

	if (st->st_nlink > 1)
		for (size_t i = 0; i < f->n_links; i++)
			if (f->links[i].dev == st->st_dev && f->links[i].ino == st->st_ino)
				return linkat(f->root, f->links[i].path, dst, name, 0) < 0
					       ? fail(f, errno, "hard link")
					       : 0;
	in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (in < 0 || out < 0 || copy_bytes(in, out) < 0 || copy_meta(in, st, out) < 0)
		return fail(f, errno, "copy");
	if (st->st_nlink > 1) {
		f->links = pd_xreallocarray(f->links, f->n_links + 1, sizeof(*f->links));
		f->links[f->n_links++] = (struct seen){ .dev = st->st_dev,
							.ino = st->st_ino,
							.path = pd_xstrdup(f->path) };
	}
	return 0;
}

static int copy_other(struct flat *f, int src, int dst, const char *name, const struct stat *st)
{
	char target[PATH_MAX];
	ssize_t n;

	switch (st->st_mode & S_IFMT) {
	case S_IFLNK:
		n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return fail(f, errno, "read symlink");
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0 || meta_at(dst, name, st, false) < 0)
			return fail(f, errno, "symlink");
		return 0;
	case S_IFIFO:
		if (mkfifoat(dst, name, 0600) < 0 || meta_at(dst, name, st, true) < 0)
			return fail(f, errno, "fifo");
		return 0;
	case S_IFCHR:
	case S_IFBLK:
		if (mknodat(dst, name, st->st_mode, st->st_rdev) < 0 ||
		    meta_at(dst, name, st, true) < 0)
			return fail(f, errno, "device node");
		return 0;
	default:
		return 0; /* sockets: not layer content */
	}
}

static int merge(struct flat *f, int src, int dst, int depth);

static int merge_dir(struct flat *f, int src, int dst, const char *name, const struct stat *st,
		     bool have_dir, int depth)
{
	cleanup_close int s = -1, d = -1;

	if (!have_dir && mkdirat(dst, name, 0700) < 0)
		return fail(f, errno, "mkdir");
	s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		return fail(f, errno, "open directory");
	if (merge(f, s, d, depth + 1) < 0)
		return -1;
	return copy_meta(s, st, d) < 0 ? fail(f, errno, "directory attributes") : 0;
}

/* One layer's directory @src over the merged directory @dst. */
static int merge(struct flat *f, int src, int dst, int depth)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;
	int fd;

	if (depth > DEPTH_MAX)
		return fail(f, ELOOP, "more than 1024 levels at");
	if (opaque(src) && clear_dir(f, dst) < 0)
		return -1;
	fd = fcntl(src, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fail(f, errno, "read directory");
	}
	while ((e = readdir(d))) {
		struct stat st, have;
		bool exists;
		size_t saved;
		int r;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!push(f, e->d_name, &saved))
			return fail(f, ENAMETOOLONG, "name too long below");
		if (fstatat(src, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return fail(f, errno, "stat");
		exists = fstatat(dst, e->d_name, &have, AT_SYMLINK_NOFOLLOW) == 0;
		if (exists &&
		    (is_whiteout(&st) || !S_ISDIR(st.st_mode) || !S_ISDIR(have.st_mode))) {
			if (pd_remove_tree(dst, e->d_name, f->err) < 0)
				return pd_error_wrap(f->err, "flatten: replace \"/%s\"", f->path);
			exists = false;
		}
		if (is_whiteout(&st))
			r = 0;
		else if (S_ISDIR(st.st_mode))
			r = merge_dir(f, src, dst, e->d_name, &st, exists, depth);
		else if (S_ISREG(st.st_mode))
			r = copy_file(f, src, dst, e->d_name, &st);
		else
			r = copy_other(f, src, dst, e->d_name, &st);
		if (r < 0)
			return -1;
		pop(f, saved);
	}
	return 0;
}

int pd_flatten(const int *layers, size_t n, int dst, struct pd_error *err)
{
	struct flat f = { .root = dst, .err = err };
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		struct stat st;

		f.len = 0;
		f.path[0] = '\0';
		r = merge(&f, layers[i], dst, 0);
		if (r == 0 && (fstat(layers[i], &st) < 0 || copy_meta(layers[i], &st, dst) < 0))
			r = pd_error_set(err, errno, "flatten: attributes of layer %zu's root", i);
		links_reset(&f);
	}
	return r;
}

int pd_flatten_chain_id(const char *const *diff_ids, size_t n, char *out, size_t cap,
			struct pd_error *err)
{
	char cur[PD_DIGEST_STR_MAX], buf[2 * PD_DIGEST_STR_MAX + 2];

	if (n == 0 || snprintf(cur, sizeof(cur), "%s", diff_ids[0]) >= (int)sizeof(cur))
		return pd_error_set_msg(err, EINVAL, "chain id: no layers or a bad diff_id");
	for (size_t i = 1; i < n; i++) {
		int len = snprintf(buf, sizeof(buf), "%s %s", cur, diff_ids[i]);

		if (len < 0 || len >= (int)sizeof(buf) ||
		    pd_digest_sha256(buf, (size_t)len, cur, sizeof(cur), err) < 0)
			return pd_error_set_msg(err, EINVAL, "chain id of %zu layers", n);
	}
	if (snprintf(out, cap, "%s", cur) >= (int)cap)
		return pd_error_set(err, ENAMETOOLONG, "chain id");
	return 0;
}
