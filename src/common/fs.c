/* SPDX-License-Identifier: MIT */
#include "fs.h"
#include "cleanup.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int pd_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = resolve,
	};
	long r;

	do
		r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (r < 0 && (errno == EINTR || errno == EAGAIN));
	/* Without resolve flags openat is the same call: use it where openat2
	 * is missing (an old kernel, a tracer).  With them there is no safe
	 * fallback, and the caller gets ENOSYS. */
	if (r < 0 && errno == ENOSYS && resolve == 0)
		r = openat(dirfd, path, flags | O_CLOEXEC, mode);
	return (int)r;
}

int pd_open_in_root(int rootfd, const char *path, int flags, mode_t mode, const char *what,
		    struct pd_error *err)
{
	int fd = pd_openat2(rootfd, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);

	if (fd < 0)
		return pd_error_set(err, errno, "%s \"%s\"", what, path);
	return fd;
}

/* Split off the next path component; returns its length, 0 at the end. */
static size_t next_component(const char **p)
{
	while (**p == '/')
		(*p)++;
	return strcspn(*p, "/");
}

int pd_mkdirs_in_root(int rootfd, const char *path, mode_t mode, const char *what,
		      struct pd_error *err)
{
	return pd_mkdirs_in_root_x(rootfd, path, mode, 0, what, err);
}

int pd_mkdirs_in_root_x(int rootfd, const char *path, mode_t mode, uint64_t resolve,
			const char *what, struct pd_error *err)
{
	char prefix[4096];
	size_t plen = 0;
	const char *p = path;
	cleanup_close int cur = -1;
	size_t n;

	cur = pd_openat2(rootfd, ".", O_PATH | O_DIRECTORY, 0, 0);
	if (cur < 0)
		return pd_error_set(err, errno, "%s \"/\"", what);
	while ((n = next_component(&p)) > 0) {
		int fd;

		if (plen + n + 2 > sizeof(prefix))
			return pd_error_set(err, ENAMETOOLONG, "%s \"%s\"", what, path);
		prefix[plen++] = '/';
		memcpy(prefix + plen, p, n);
		plen += n;
		prefix[plen] = '\0';
		p += n;
		fd = pd_openat2(rootfd, prefix, O_PATH | O_DIRECTORY, 0,
				RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve);
		if (fd < 0 && errno == ENOENT) {
			/* Create the last component in the resolved parent. */
			const char *name = prefix + plen - n;

			if ((n == 1 && name[0] == '.') ||
			    (n == 2 && name[0] == '.' && name[1] == '.'))
				return pd_error_set(err, ENOENT, "%s \"%s\"", what, prefix);
			if (mkdirat(cur, name, mode) < 0 && errno != EEXIST)
				return pd_error_set(err, errno, "%s: mkdir \"%s\"", what, prefix);
			fd = pd_openat2(rootfd, prefix, O_PATH | O_DIRECTORY, 0,
					RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve);
			if (fd < 0 && errno == ENOENT) /* it exists: a link to nowhere */
				return pd_error_set_msg(err, ENOENT,
							"%s \"%s\" is a symbolic link to a "
							"missing target",
							what, prefix);
		}
		if (fd < 0 && errno == EXDEV)
			return pd_error_set_msg(err, EXDEV,
						"%s \"%s\" leads into another mount (a "
						"symbolic link?)",
						what, prefix);
		if (fd < 0)
			return pd_error_set(err, errno, "%s \"%s\"", what, prefix);
		pd_close(cur);
		cur = fd;
	}
	return steal_fd(&cur);
}

int pd_mkfile_in_root(int rootfd, const char *path, mode_t mode, const char *what,
		      struct pd_error *err)
{
	return pd_mkfile_in_root_x(rootfd, path, mode, 0, what, err);
}

int pd_mkfile_in_root_x(int rootfd, const char *path, mode_t mode, uint64_t resolve,
			const char *what, struct pd_error *err)
{
	cleanup_free char *dir = NULL;
	cleanup_close int dfd = -1;
	const char *base;
	int fd;

	fd = pd_openat2(rootfd, path, O_PATH, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve);
	if (fd >= 0)
		return fd;
	if (errno == EXDEV)
		return pd_error_set_msg(err, EXDEV,
					"%s \"%s\" leads into another mount (a symbolic "
					"link?)",
					what, path);
	if (errno != ENOENT)
		return pd_error_set(err, errno, "%s \"%s\"", what, path);
	base = strrchr(path, '/');
	dir = base ? pd_xstrndup(path, (size_t)(base - path)) : pd_xstrdup(".");
	base = base ? base + 1 : path;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return pd_error_set(err, EINVAL, "%s \"%s\": not a file name", what, path);
	dfd = pd_mkdirs_in_root_x(rootfd, dir, 0755, resolve, what, err);
	if (dfd < 0)
		return -1;
	fd = pd_openat2(dfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, mode, 0);
	if (fd < 0 && errno == EEXIST) /* e.g. a dangling symlink: refuse it */
		return pd_error_set(err, ELOOP, "%s \"%s\"", what, path);
	if (fd < 0)
		return pd_error_set(err, errno, "%s: create \"%s\"", what, path);
	pd_close(fd);
	fd = pd_openat2(dfd, base, O_PATH | O_NOFOLLOW, 0, 0);
	if (fd < 0)
		return pd_error_set(err, errno, "%s \"%s\"", what, path);
	return fd;
}

int pd_replace_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		       struct pd_error *err)
{
	cleanup_close int fd = -1;

	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return pd_error_set(err, errno, "remove \"%s\"", name);
	fd = pd_openat2(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode, 0);
	if (fd < 0)
		return pd_error_set(err, errno, "create \"%s\"", name);
	if (pd_write_all(fd, data, len) < 0)
		return pd_error_set(err, errno, "write \"%s\"", name);
	return 0;
}

/* Read all of @fd (at most @max bytes, else EFBIG) into a NUL-terminated heap buffer. */
static int read_bounded(int fd, const char *path, size_t max, char **out, size_t *len,
			struct pd_error *err)
{
	cleanup_free char *buf = NULL;
	size_t cap = 4096, n = 0;

	if (max >= SIZE_MAX / 2)
		max = SIZE_MAX / 2 - 1;
	buf = pd_xmalloc(cap + 1);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= max + 1)
				return pd_error_set(err, EFBIG,
						    "read \"%s\": larger than %zu bytes", path,
						    max);
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = pd_xrealloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return pd_error_set(err, errno, "read \"%s\"", path);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max)
		return pd_error_set(err, EFBIG, "read \"%s\": larger than %zu bytes", path, max);
	buf[n] = '\0';
	*out = steal_ptr(&buf);
	if (len)
		*len = n;
	return 0;
}

/* Read the file open at @fd (or report why it did not open); @regular_only
 * refuses anything but a regular file, else only directories are refused. */
static int read_opened(int fd, const char *path, bool regular_only, size_t max, char **out,
		       size_t *len, struct pd_error *err)
{
	struct stat st;

	if (fd < 0)
		return pd_error_set(err, errno, "open \"%s\"", path);
	if (fstat(fd, &st) < 0)
		return pd_error_set(err, errno, "stat \"%s\"", path);
	if (S_ISDIR(st.st_mode))
		return pd_error_set(err, EISDIR, "read \"%s\"", path);
	if (regular_only && !S_ISREG(st.st_mode))
		return pd_error_set_msg(err, EINVAL, "\"%s\" is not a regular file", path);
	return read_bounded(fd, path, max, out, len, err);
}

int pd_read_file_at(int dirfd, const char *path, uint64_t resolve, size_t max, char **out,
		    size_t *len, struct pd_error *err)
{
	/* O_NONBLOCK: a FIFO planted where a file should be must not hang us. */
	cleanup_close int fd =
		pd_openat2(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, resolve);

	return read_opened(fd, path, true, max, out, len, err);
}

int pd_read_user_file(const char *path, size_t max, char **out, size_t *len, struct pd_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);

	return read_opened(fd, path, false, max, out, len, err);
}

int pd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

ssize_t pd_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, p + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int pd_write_file(const char *path, const char *s, struct pd_error *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return pd_error_set(err, errno, "open \"%s\"", path);
	if (pd_write_all(fd, s, strlen(s)) < 0)
		return pd_error_set(err, errno, "write \"%s\"", path);
	return 0;
}

/*
 * Deeper directories are renamed to the top of the tree and removed from
 * there: the walk holds one fd per level, and a tree any depth deep (a
 * sandbox can make one) must still go.
 */
#define REMOVE_DEPTH_MAX 64

struct rm_ctx {
	int top;             /* the tree's own directory */
	dev_t dev;           /* its filesystem: never crossed */
	unsigned long moved; /* deep directories moved up so far */
};

static int remove_at(struct rm_ctx *c, int at, const char *name, int depth, struct pd_error *err);

/* Every entry of the directory @fd (which it takes). */
static int remove_entries(struct rm_ctx *c, int fd, int depth, bool *any, struct pd_error *err)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		pd_close(fd);
		return pd_error_set(err, errno, "remove: read a directory");
	}
	while (r == 0 && (errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (any)
			*any = true;
		r = remove_at(c, dirfd(d), de->d_name, depth + 1, err);
	}
	if (r == 0 && errno)
		r = pd_error_set(err, errno, "remove: read a directory");
	closedir(d);
	return r;
}

static int remove_at(struct rm_ctx *c, int at, const char *name, int depth, struct pd_error *err)
{
	struct stat st;
	int fd;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : pd_error_set(err, errno, "remove \"%s\"", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(at, name, 0) < 0 && errno != ENOENT)
			return pd_error_set(err, errno, "remove \"%s\"", name);
		return 0;
	}
	if (st.st_dev != c->dev)
		return pd_error_set_msg(err, EXDEV, "remove \"%s\": a mount point (not crossed)",
					name);
	if (depth >= REMOVE_DEPTH_MAX) {
		char up[48];

		snprintf(up, sizeof(up), ".paude-remove-%lu", c->moved++);
		if (renameat(at, name, c->top, up) < 0)
			return pd_error_set(err, errno, "remove \"%s\": move it up", name);
		return 0; /* removed from the top in a later pass */
	}
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pd_error_set(err, errno, "remove \"%s\"", name);
	if (remove_entries(c, fd, depth, NULL, err) < 0)
		return -1;
	if (unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return pd_error_set(err, errno, "remove \"%s\"", name);
	return 0;
}

int pd_remove_tree(int dirfd, const char *name, struct pd_error *err)
{
	struct rm_ctx c = { .top = -1 };
	struct stat st;
	bool any = true;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : pd_error_set(err, errno, "remove \"%s\"", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return pd_error_set(err, errno, "remove \"%s\"", name);
		return 0;
	}
	c.dev = st.st_dev;
	c.top = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c.top < 0)
		return pd_error_set(err, errno, "remove \"%s\"", name);
	/* Passes over the top until it is empty: what was moved up goes too. */
	while (any) {
		int fd = fcntl(c.top, F_DUPFD_CLOEXEC, 3);

		any = false;
		if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
		    remove_entries(&c, fd, 0, &any, err) < 0) {
			if (fd < 0)
				pd_error_set(err, errno, "remove \"%s\"", name);
			pd_close(c.top);
			return pd_error_wrap(err, "remove \"%s\"", name);
		}
	}
	pd_close(c.top);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return pd_error_set(err, errno, "remove \"%s\"", name);
	return 0;
}
