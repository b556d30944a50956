/* SPDX-License-Identifier: MIT */
/*
 * unpack.c - the layer unpacker: one image layer (a tar stream, gzip, zstd
 * or plain) into an empty directory, in the overlayfs form the runtime
 * mounts (runtime/rootfs.c: lowerdir+ fds, `userxattr`).
 *
 * Theory of operation
 *
 * The stream.  src_fd is read sequentially and decoded here (decompress.c:
 * zlib with gzip framing and several members, libzstd frames); every
 * uncompressed byte goes through one function, stream_read(), which feeds
 * the SHA-256 (OpenSSL EVP) and enforces the limits before libarchive sees
 * it: the uncompressed size (max_bytes) and, past ratio_floor bytes, the
 * expansion ratio against the compressed bytes decoded so far (ratio).
 * libarchive gets the bytes through archive_read_open() with a read
 * callback, with the tar format only (archive_read_support_format_tar:
 * ustar, pax, GNU) and no filter, so it never decompresses or guesses.
 * After libarchive's end of archive the rest of the stream (the padding of
 * the last record, anything after it) is drained through stream_read() too:
 * the diff_id covers the whole uncompressed blob.  A truncated or corrupt
 * stream fails, naming the layer.
 *
 * The entries.  libarchive only parses: nothing is extracted by path and
 * archive_write_disk is never used.  For each header:
 *   1. its name is normalized by pd_unpack_path_parse() (pure, fuzzed):
 *      "." components dropped, one trailing '/' allowed; refused: absolute
 *      names, ".." anywhere, empty components, NUL, depth > max_depth,
 *      overlong names, ".wh." used as a directory, whiteouts of "", ".",
 *      "..";  uid/gid above max_id are refused (or squashed to 0);
 *   2. its parent directory is opened with openat2(root, parent, O_PATH |
 *      O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
 *      RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV): no symlink is followed on
 *      the way, so an earlier entry "l -> /" cannot carry a later "l/x"
 *      anywhere (refused: "parent "l" is a symbolic link").  When that
 *      fails the parent is walked one component at a time with the same
 *      flags, creating missing directories (mkdirat, 0755) and naming the
 *      component at fault;
 *   3. the last component is made relative to that parent fd, never
 *      following a symlink at it: an existing non-directory there is
 *      unlinked first and an existing directory removed recursively through
 *      fds (pd_remove_tree: no symlink followed, no mount crossed) - later
 *      entries replace earlier ones, as tar does - except that a directory
 *      entry over a directory only updates it;
 *        regular file  openat(O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW), data by
 *                      archive_read_data_block (sparse holes stay holes;
 *                      no block beyond the entry's size), then fchown,
 *                      fchmod (setuid/setgid kept: data, like the rest),
 *                      fsetxattr, futimens on that fd;
 *        directory     mkdirat, then the same on an O_RDONLY|O_NOFOLLOW fd;
 *                      its times are set at the end (entries made in it
 *                      later would change them), found again by the same
 *                      openat2 and skipped when no longer a directory;
 *        symlink       symlinkat: the target is data, never resolved;
 *                      fchownat and utimensat with AT_SYMLINK_NOFOLLOW;
 *        hard link     its target is normalized like a name, its parent
 *                      walked without symlinks and without creating
 *                      anything, and it must be a regular file
 *                      (fstatat NOFOLLOW): a symlink, a directory, a device
 *                      or a missing name is refused, naming the entry.
 *                      The layer directory starts empty (checked), so the
 *                      file was made by this layer.  linkat(tparent, tname,
 *                      parent, name, 0) does not follow a symlink either.
 *                      A hard link's own mode/owner/times are not applied
 *                      (they would change the shared inode), as GNU tar;
 *        fifo, device  mknodat, fchownat NOFOLLOW, fchmodat2 NOFOLLOW (on
 *                      kernels before 6.6, which lack it: fchmodat after
 *                      an fstatat that it is no symlink - nothing else
 *                      writes into the layer meanwhile), utimensat
 *                      NOFOLLOW.  Rootless, character and block devices
 *                      are skipped and counted (one note); fifos are made.
 *                      A 0/0 character device is overlayfs's whiteout and
 *                      is made in both modes, so it means the same
 *                      everywhere;
 *   4. ownership is the archive's ids (0 when squashing), then the mode
 *      (chown clears setuid bits, so it comes first), then the xattrs, then
 *      the times.
 *
 * Extended attributes are set with fsetxattr on the fd of a regular file or
 * a directory only.  Dropped: trusted.* (overlayfs's privileged namespace
 * and more), security.* except security.capability (LSM labels belong to
 * the host), user.overlay.* (overlayfs's `userxattr` namespace: an image
 * must not forge an opaque directory, a redirect or a metacopy).  Others are
 * kept; ENOTSUP/EPERM from the filesystem skip the attribute (counted, one
 * note).  Symlinks, fifos and devices get none: lsetxattr would need a path
 * (or /proc/self/fd), and nothing that survives the filter can be set on
 * them anyway (the kernel refuses user.* there; security.capability is for
 * executables).
 *
 * Whiteouts (the OCI image spec's AUFS form in, overlayfs form out):
 *   DIR/.wh..wh..opq  user.overlay.opaque="y" on DIR (made if missing);
 *                     what this layer puts into DIR stays;
 *   DIR/.wh.NAME      a 0/0 character device DIR/NAME (mknodat), after
 *                     removing what this layer had at DIR/NAME; it never
 *                     acts outside DIR.  NAME "", "." and ".." are refused;
 *   DIR/.wh..wh.*     other AUFS bookkeeping: skipped (as containerd does).
 * overlayfs has no reserved names besides whiteouts: all its other state is
 * xattrs (opaque, redirect, metacopy, origin; in trusted.overlay.* or, with
 * userxattr, user.overlay.*), which are dropped above, so no entry name
 * needs refusing beyond what the normalizer refuses.
 *
 * Nothing outside the layer directory is touched: every path is relative to
 * it or to a directory fd opened beneath it without following symlinks;
 * names never hold "..", and the final component is never followed.  On
 * failure what was made stays inside it; the caller removes the directory.
 */
#include "unpack.h"
#include "common/lazylib.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6, the same number on every architecture */
#endif

#define BUF_SIZE (128u << 10)
#define SHOW_MAX 200 /* bytes of a name shown in a message */
#define SHOW_SIZE (SHOW_MAX * 4 + 8)
#define RESOLVE_LAYER \
	(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
#define OPAQUE_XATTR "user.overlay.opaque"

struct dir_time {
	char *path;
	struct timespec ts[2];
};

struct unpack {
	const struct pd_unpack_opts *o;
	struct pd_unpack_limits lim;
	uint32_t max_id;
	char *layer; /* "layer NAME", the start of every message */
	int root;
	struct pd_decomp *dc;
	EVP_MD_CTX *md;
	unsigned char *buf;
	struct pd_error *err;
	bool failed;     /* stream_read() set *err */
	bool have_entry; /* messages name the current entry */
	uint64_t bytes, entries, skipped_devices, skipped_xattrs, squashed;
	char entry[SHOW_SIZE]; /* the current entry's name, escaped */
	/* the current entry */
	uid_t uid;
	gid_t gid;
	mode_t perm;
	struct timespec ts[2];
	struct pd_unpack_path p, link;
	char parent[PD_UNPACK_PATH_MAX];
	struct dir_time *dirs;
	size_t ndirs, cap_dirs;
};

/* ---- names ---- */

static bool is_wh(const char *s, size_t n)
{
	return n >= 4 && !memcmp(s, ".wh.", 4);
}

enum pd_unpack_path_error pd_unpack_path_parse(const char *name, size_t len, unsigned max_depth,
					       struct pd_unpack_path *p)
{
	size_t start = 0, w = 0, last = 0;
	unsigned depth = 0;
	const char *b;
	size_t bn;

	p->path[0] = '\0';
	p->len = p->parent_len = p->base = p->target = 0;
	p->depth = 0;
	p->kind = PD_UNPACK_PLAIN;
	if (len == 0)
		return PD_UNPACK_PATH_EMPTY;
	if (memchr(name, '\0', len))
		return PD_UNPACK_PATH_NUL;
	if (name[0] == '/')
		return PD_UNPACK_PATH_ABSOLUTE;
	if (name[len - 1] == '/')
		len--; /* one trailing '/': a directory's name */
	for (;;) {
		const char *c = name + start;
		size_t n = 0;

		while (start + n < len && c[n] != '/')
			n++;
		if (n == 0)
			return PD_UNPACK_PATH_EMPTY_COMPONENT;
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return PD_UNPACK_PATH_DOTDOT;
		if (!(n == 1 && c[0] == '.')) {
			if (n > PD_UNPACK_NAME_MAX)
				return PD_UNPACK_PATH_NAME_TOO_LONG;
			if (++depth > max_depth)
				return PD_UNPACK_PATH_TOO_DEEP;
			if (w + (w ? 1 : 0) + n >= PD_UNPACK_PATH_MAX)
				return PD_UNPACK_PATH_TOO_LONG;
			if (w)
				p->path[w++] = '/';
			last = w;
			memcpy(p->path + w, c, n);
			w += n;
		}
		start += n;
		if (start >= len)
			break;
		start++; /* the '/' */
	}
	p->path[w] = '\0';
	/* ".wh." before the last component: a whiteout cannot hold entries. */
	for (size_t i = 0; i < last;) {
		size_t n = strcspn(p->path + i, "/");

		if (is_wh(p->path + i, n)) {
			p->path[0] = '\0';
			return PD_UNPACK_PATH_WH_DIR;
		}
		i += n + 1;
	}
	p->len = w;
	p->depth = depth;
	p->base = last;
	p->parent_len = last ? last - 1 : 0;
	b = p->path + last;
	bn = w - last;
	if (!is_wh(b, bn))
		return PD_UNPACK_PATH_OK;
	if (!strcmp(b, ".wh..wh..opq")) {
		p->kind = PD_UNPACK_OPAQUE;
	} else if (bn >= 8 && !memcmp(b, ".wh..wh.", 8)) {
		p->kind = PD_UNPACK_META;
	} else {
		p->kind = PD_UNPACK_WHITEOUT;
		p->target = last + 4;
		if (bn == 4)
			return PD_UNPACK_PATH_WH_EMPTY;
		if (!strcmp(b + 4, "."))
			return PD_UNPACK_PATH_WH_DOT;
		if (!strcmp(b + 4, ".."))
			return PD_UNPACK_PATH_WH_DOTDOT;
	}
	return PD_UNPACK_PATH_OK;
}

const char *pd_unpack_path_strerror(enum pd_unpack_path_error e)
{
	switch (e) {
	case PD_UNPACK_PATH_OK:
		return "no error";
	case PD_UNPACK_PATH_EMPTY:
		return "name is empty";
	case PD_UNPACK_PATH_NUL:
		return "name has a NUL byte";
	case PD_UNPACK_PATH_ABSOLUTE:
		return "name is absolute";
	case PD_UNPACK_PATH_EMPTY_COMPONENT:
		return "name has an empty component";
	case PD_UNPACK_PATH_DOTDOT:
		return "name has a \"..\" component";
	case PD_UNPACK_PATH_TOO_LONG:
		return "name is longer than 4095 bytes";
	case PD_UNPACK_PATH_NAME_TOO_LONG:
		return "name has a component longer than 255 bytes";
	case PD_UNPACK_PATH_TOO_DEEP:
		return "name has too many components";
	case PD_UNPACK_PATH_WH_DIR:
		return "a whiteout name (\".wh.\") is used as a directory";
	case PD_UNPACK_PATH_WH_EMPTY:
		return "whiteout of an empty name";
	case PD_UNPACK_PATH_WH_DOT:
		return "whiteout of \".\"";
	case PD_UNPACK_PATH_WH_DOTDOT:
		return "whiteout of \"..\"";
	default:
		return "name refused";
	}
}

/* Escape @s for a message: printable ASCII as is, '"' and '\' escaped, else \xNN. */
static const char *show(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strnlen(s, SHOW_MAX + 1), w = 0, i;

	for (i = 0; i < n && i < SHOW_MAX && w + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			out[w++] = '\\';
			out[w++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			out[w++] = (char)c;
		} else {
			out[w++] = '\\';
			out[w++] = 'x';
			out[w++] = hex[c >> 4];
			out[w++] = hex[c & 15];
		}
	}
	if (i < n && w + 4 <= size) {
		memcpy(out + w, "...", 3);
		w += 3;
	}
	out[w] = '\0';
	return out;
}

/* ---- messages ---- */

static int u_vfail(struct unpack *u, int code, bool with_errno, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int u_vfail(struct unpack *u, int code, bool with_errno, const char *fmt, va_list ap)
{
	char why[PD_ERROR_MSG_MAX];

	vsnprintf(why, sizeof(why), fmt, ap);
	if (u->have_entry && with_errno)
		return pd_error_set(u->err, code, "%s: entry \"%s\": %s", u->layer, u->entry, why);
	if (u->have_entry)
		return pd_error_set_msg(u->err, code, "%s: entry \"%s\": %s", u->layer, u->entry,
					why);
	if (with_errno)
		return pd_error_set(u->err, code, "%s: %s", u->layer, why);
	return pd_error_set_msg(u->err, code, "%s: %s", u->layer, why);
}

/* A refusal: the message is the whole reason.  Return: -1 */
static int refuse(struct unpack *u, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct unpack *u, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = u_vfail(u, code, false, fmt, ap);
	va_end(ap);
	return r;
}

/* A failed system call: errno's text is appended.  Return: -1 */
static int sysfail(struct unpack *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int sysfail(struct unpack *u, const char *fmt, ...)
{
	int code = errno;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = u_vfail(u, code, true, fmt, ap);
	va_end(ap);
	return r;
}

static const char *hint_sep(const struct unpack *u)
{
	return u->o->limit_hint ? "; " : "";
}

static const char *hint(const struct unpack *u)
{
	return u->o->limit_hint ? u->o->limit_hint : "";
}

/* A refused name; @what is "" for the entry's own, else what it names ("hard link target ..."). */
static int name_refused(struct unpack *u, const char *what, enum pd_unpack_path_error e)
{
	switch (e) {
	case PD_UNPACK_PATH_TOO_DEEP:
		return refuse(u, ENAMETOOLONG,
			      "%sname deeper than %u components (the max_depth limit)%s%s", what,
			      u->lim.max_depth, hint_sep(u), hint(u));
	case PD_UNPACK_PATH_TOO_LONG:
	case PD_UNPACK_PATH_NAME_TOO_LONG:
		return refuse(u, ENAMETOOLONG, "%s%s", what, pd_unpack_path_strerror(e));
	case PD_UNPACK_PATH_OK:
	case PD_UNPACK_PATH_EMPTY:
	case PD_UNPACK_PATH_NUL:
	case PD_UNPACK_PATH_ABSOLUTE:
	case PD_UNPACK_PATH_EMPTY_COMPONENT:
	case PD_UNPACK_PATH_DOTDOT:
	case PD_UNPACK_PATH_WH_DIR:
	case PD_UNPACK_PATH_WH_EMPTY:
	case PD_UNPACK_PATH_WH_DOT:
	case PD_UNPACK_PATH_WH_DOTDOT:
	default:
		return refuse(u, EINVAL, "%s%s", what, pd_unpack_path_strerror(e));
	}
}

/* ---- the stream ---- */

/* The next uncompressed bytes into u->buf: hashed and counted against the limits. */
static ssize_t stream_read(struct unpack *u)
{
	struct pd_error e = { 0 };
	ssize_t n = pd_decomp_read(u->dc, u->buf, BUF_SIZE, &e);
	uint64_t in;

	if (n < 0) {
		u->failed = true;
		return refuse(u, e.code, "%s", e.msg);
	}
	if (n == 0)
		return 0;
	u->bytes += (uint64_t)n;
	if (EVP_DigestUpdate(u->md, u->buf, (size_t)n) != 1) {
		u->failed = true;
		return refuse(u, EIO, "sha256 failed");
	}
	if (u->bytes > u->lim.max_bytes) {
		u->failed = true;
		return refuse(u, EFBIG,
			      "larger than %llu bytes uncompressed (the max_bytes limit)%s%s",
			      (unsigned long long)u->lim.max_bytes, hint_sep(u), hint(u));
	}
	in = pd_decomp_consumed(u->dc);
	if (pd_decomp_kind(u->dc) != PD_COMP_NONE && u->bytes > u->lim.ratio_floor &&
	    (u->bytes - 1) / u->lim.ratio >= in) {
		u->failed = true;
		return refuse(u, EFBIG,
			      "expands more than %u:1 past %llu bytes (the ratio limit): a "
			      "decompression bomb?%s%s",
			      u->lim.ratio, (unsigned long long)u->lim.ratio_floor, hint_sep(u),
			      hint(u));
	}
	return n;
}

static la_ssize_t read_cb(struct archive *a, void *data, const void **out)
{
	struct unpack *u = data;
	ssize_t n = stream_read(u);

	if (n < 0) {
		archive_set_error(a, u->err->code ? u->err->code : EIO, "%s",
				  "layer stream failed");
		return -1;
	}
	*out = u->buf;
	return n;
}

/* libarchive failed: our own reason when the stream did, else libarchive's. */
static int tar_fail(struct unpack *u, struct archive *a)
{
	const char *why = archive_error_string(a);

	if (u->failed)
		return -1;
	return refuse(u, EBADMSG, "corrupt tar stream: %s", why ? why : "unknown error");
}

/* ---- making entries ---- */

/*
 * Open the parent of @p (an O_PATH fd), walking it component by component
 * when the one-call resolution fails: @create makes missing directories,
 * and a failure names the component.  @what prefixes messages ("" or
 * "hard link target \"x\": ").
 */
static int open_parent(struct unpack *u, const struct pd_unpack_path *p, const char *what,
		       bool create)
{
	size_t n = p->parent_len, i = 0;
	cleanup_close int cur = -1;
	int fd;

	if (n == 0) {
		fd = pd_openat2(u->root, ".", O_PATH | O_DIRECTORY, 0, 0);
		return fd < 0 ? sysfail(u, "open the layer directory") : fd;
	}
	memcpy(u->parent, p->path, n);
	u->parent[n] = '\0';
	fd = pd_openat2(u->root, u->parent, O_PATH | O_DIRECTORY, 0, RESOLVE_LAYER);
	if (fd >= 0)
		return fd;
	cur = pd_openat2(u->root, ".", O_PATH | O_DIRECTORY, 0, 0);
	if (cur < 0)
		return sysfail(u, "open the layer directory");
	while (i < n) {
		size_t j = i + strcspn(u->parent + i, "/");
		char save = u->parent[j];
		const char *comp = u->parent + i;
		int e;

		u->parent[j] = '\0';
		fd = pd_openat2(cur, comp, O_PATH | O_DIRECTORY, 0, RESOLVE_LAYER);
		if (fd < 0 && errno == ENOENT && create) {
			struct stat st;

			if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
				return sysfail(u, "%screate the directory \"%s\"", what, u->parent);
			/* An O_RDONLY fd serves as the next parent and fixes the mode
			 * (mkdirat's is cut by the umask). */
			fd = pd_openat2(cur, comp, O_RDONLY | O_DIRECTORY, 0, RESOLVE_LAYER);
			if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) != 0755 &&
			    fchmod(fd, 0755) < 0) {
				pd_close(fd);
				return sysfail(u, "%schmod the directory \"%s\"", what, u->parent);
			}
		}
		if (fd < 0) {
			e = errno;
			switch (e) {
			case ELOOP:
				return refuse(u, ELOOP, "%sparent \"%s\" is a symbolic link", what,
					      u->parent);
			case ENOTDIR:
				return refuse(u, ENOTDIR, "%sparent \"%s\" is not a directory",
					      what, u->parent);
			case EXDEV:
				return refuse(u, EXDEV, "%sparent \"%s\" is a mount point", what,
					      u->parent);
			case ENOENT:
				return refuse(u, ENOENT, "%sparent \"%s\" does not exist", what,
					      u->parent);
			default:
				errno = e;
				return sysfail(u, "%sparent \"%s\"", what, u->parent);
			}
		}
		u->parent[j] = save;
		pd_close(cur);
		cur = fd;
		i = j + 1;
	}
	return steal_fd(&cur);
}

/*
 * Make room for @name in @parent: a non-directory is unlinked, a directory
 * removed with what it holds (unless @keep_dir).
 * Return: 0 (nothing there now), 1 (a directory kept), -1 with the error set.
 */
static int clear(struct unpack *u, int parent, const char *name, bool keep_dir)
{
	struct pd_error e = { 0 };
	struct stat st;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : sysfail(u, "stat what is there");
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir)
			return 1;
		if (pd_remove_tree(parent, name, &e) < 0)
			return refuse(u, e.code, "replace a directory: %s", e.msg);
		return 0;
	}
	if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
		return sysfail(u, "replace what is there");
	return 0;
}

static bool xattr_kept(const char *name)
{
	if (pd_str_has_prefix(name, "trusted.") || pd_str_has_prefix(name, "user.overlay."))
		return false;
	if (pd_str_has_prefix(name, "security."))
		return !strcmp(name, "security.capability");
	return true;
}

static int set_xattrs(struct unpack *u, int fd, struct archive_entry *ae)
{
	const char *name;
	const void *val;
	size_t size;

	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &name, &val, &size) == ARCHIVE_OK) {
		char shown[SHOW_SIZE];

		if (!name || !xattr_kept(name))
			continue;
		if (fsetxattr(fd, name, val, size, 0) == 0)
			continue;
		if (errno == ENOTSUP || errno == EPERM) {
			u->skipped_xattrs++;
			continue;
		}
		return sysfail(u, "set the extended attribute \"%s\"",
			       show(name, shown, sizeof(shown)));
	}
	return 0;
}

/* Owner, mode, xattrs and (with @times) times on the fd of a file or directory. */
static int finish_fd(struct unpack *u, int fd, struct archive_entry *ae, bool times)
{
	if (fchown(fd, u->uid, u->gid) < 0)
		return sysfail(u, "chown to %u:%u", (unsigned)u->uid, (unsigned)u->gid);
	if (fchmod(fd, u->perm) < 0)
		return sysfail(u, "chmod %04o", (unsigned)u->perm);
	if (set_xattrs(u, fd, ae) < 0)
		return -1;
	if (times && futimens(fd, u->ts) < 0)
		return sysfail(u, "set the times");
	return 0;
}

/* chmod of a just-made node, not following a symlink (see the top of the file). */
static int chmod_nofollow(int parent, const char *name, mode_t mode)
{
	struct stat st;

	if (syscall(SYS_fchmodat2, parent, name, mode, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (S_ISLNK(st.st_mode)) {
		errno = ELOOP;
		return -1;
	}
	return fchmodat(parent, name, mode, 0);
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
		off += w;
	}
	return 0;
}

static int copy_data(struct unpack *u, struct archive *a, int fd, int64_t size)
{
	int64_t end = 0;

	for (;;) {
		const void *buf;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &n, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return tar_fail(u, a);
		if (off < 0 || off > size || (uint64_t)n > (uint64_t)(size - off))
			return refuse(u, EBADMSG, "data beyond the entry's size");
		if (n > 0 && pwrite_all(fd, buf, n, (off_t)off) < 0)
			return sysfail(u, "write");
		if (off + (int64_t)n > end)
			end = off + (int64_t)n;
	}
	if (end < size && ftruncate(fd, (off_t)size) < 0)
		return sysfail(u, "write");
	return 0;
}

static const char *base_name(const struct unpack *u)
{
	return u->p.path + u->p.base;
}

static int make_file(struct unpack *u, struct archive *a, struct archive_entry *ae)
{
	cleanup_close int parent = -1, fd = -1;
	int64_t size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;

	if (size < 0 || (uint64_t)size > u->lim.max_bytes)
		return refuse(u, EFBIG, "larger than %llu bytes (the max_bytes limit)%s%s",
			      (unsigned long long)u->lim.max_bytes, hint_sep(u), hint(u));
	parent = open_parent(u, &u->p, "", true);
	if (parent < 0 || clear(u, parent, base_name(u), false) < 0)
		return -1;
	fd = openat(parent, base_name(u), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return sysfail(u, "create");
	if (copy_data(u, a, fd, size) < 0)
		return -1;
	return finish_fd(u, fd, ae, true);
}

static void defer_times(struct unpack *u)
{
	if (u->ndirs == u->cap_dirs) {
		u->cap_dirs = u->cap_dirs ? u->cap_dirs * 2 : 64;
		u->dirs = pd_xreallocarray(u->dirs, u->cap_dirs, sizeof(*u->dirs));
	}
	u->dirs[u->ndirs].path = pd_xstrdup(u->p.path);
	u->dirs[u->ndirs].ts[0] = u->ts[0];
	u->dirs[u->ndirs].ts[1] = u->ts[1];
	u->ndirs++;
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static int make_dir(struct unpack *u, struct archive_entry *ae)
{
	cleanup_close int parent = -1, fd = -1;
	bool was_whiteout = false;

	if (u->p.len == 0) {
		fd = pd_openat2(u->root, ".", O_RDONLY | O_DIRECTORY, 0, 0);
	} else {
		struct stat st;
		int there;

		parent = open_parent(u, &u->p, "", true);
		if (parent < 0)
			return -1;
		/* a directory this layer whited out and makes again hides the lower one */
		was_whiteout = fstatat(parent, base_name(u), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			       is_whiteout(&st);
		there = clear(u, parent, base_name(u), true);
		if (there < 0)
			return -1;
		if (there == 0 && mkdirat(parent, base_name(u), 0700) < 0)
			return sysfail(u, "create");
		fd = pd_openat2(parent, base_name(u), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
				RESOLVE_LAYER);
	}
	if (fd < 0)
		return sysfail(u, "open");
	if (finish_fd(u, fd, ae, false) < 0)
		return -1;
	if (was_whiteout && fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
		return sysfail(u, "mark the directory opaque (" OPAQUE_XATTR ")");
	defer_times(u);
	return 0;
}

/* Owner, mode (unless @mode_too is false) and times by name, never following. */
static int finish_at(struct unpack *u, int parent, bool mode_too)
{
	const char *name = base_name(u);

	if (fchownat(parent, name, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return sysfail(u, "chown to %u:%u", (unsigned)u->uid, (unsigned)u->gid);
	if (mode_too && chmod_nofollow(parent, name, u->perm) < 0)
		return sysfail(u, "chmod %04o", (unsigned)u->perm);
	if (utimensat(parent, name, u->ts, AT_SYMLINK_NOFOLLOW) < 0)
		return sysfail(u, "set the times");
	return 0;
}

static int make_symlink(struct unpack *u, struct archive_entry *ae)
{
	const char *target = archive_entry_symlink(ae);
	cleanup_close int parent = -1;

	if (!target || !*target)
		return refuse(u, EINVAL, "symbolic link without a target");
	parent = open_parent(u, &u->p, "", true);
	if (parent < 0 || clear(u, parent, base_name(u), false) < 0)
		return -1;
	if (symlinkat(target, parent, base_name(u)) < 0)
		return sysfail(u, "create");
	return finish_at(u, parent, false);
}

static int make_hardlink(struct unpack *u, const char *target)
{
	cleanup_close int tparent = -1, parent = -1;
	char shown[SHOW_SIZE], what[SHOW_SIZE + 32];
	const char *tbase;
	enum pd_unpack_path_error pe;
	struct stat st;

	show(target, shown, sizeof(shown));
	snprintf(what, sizeof(what), "hard link target \"%s\": ", shown);
	pe = pd_unpack_path_parse(target, strlen(target), u->lim.max_depth, &u->link);
	if (pe != PD_UNPACK_PATH_OK)
		return name_refused(u, what, pe);
	if (u->link.kind != PD_UNPACK_PLAIN || u->link.len == 0)
		return refuse(u, EINVAL, "hard link target \"%s\" is not a regular file", shown);
	if (!strcmp(u->link.path, u->p.path))
		return refuse(u, EINVAL, "hard link to itself");
	tbase = u->link.path + u->link.base;
	tparent = open_parent(u, &u->link, what, false);
	if (tparent < 0)
		return -1;
	if (fstatat(tparent, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return refuse(u, ENOENT, "hard link target \"%s\" does not exist", shown);
		return sysfail(u, "hard link target \"%s\"", shown);
	}
	if (S_ISLNK(st.st_mode))
		return refuse(u, EINVAL, "hard link target \"%s\" is a symbolic link", shown);
	if (S_ISDIR(st.st_mode))
		return refuse(u, EISDIR, "hard link target \"%s\" is a directory", shown);
	if (!S_ISREG(st.st_mode))
		return refuse(u, EINVAL, "hard link target \"%s\" is not a regular file", shown);
	parent = open_parent(u, &u->p, "", true);
	if (parent < 0 || clear(u, parent, base_name(u), false) < 0)
		return -1;
	if (linkat(tparent, tbase, parent, base_name(u), 0) < 0) {
		if (errno == ENOENT) /* it was under the name just cleared */
			return refuse(u, ENOENT, "hard link target \"%s\" does not exist", shown);
		return sysfail(u, "link to \"%s\"", shown);
	}
	return 0;
}

/*
 * A 0/0 character device @name in @parent: overlayfs's whiteout.  A
 * whiteout hides what the layers below have, never what this layer made
 * (image-spec: whatever the order of the entries): when this layer already
 * has @name, a directory becomes opaque instead, and anything else stays as
 * it is (it hides the lower entry by itself).  The layer's directory was
 * empty at the start, so what is there was made by this layer.
 */
static int make_whiteout_at(struct unpack *u, int parent, const char *name)
{
	struct stat st;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		cleanup_close int fd = -1;

		if (!S_ISDIR(st.st_mode))
			return 0;
		fd = pd_openat2(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
				RESOLVE_LAYER);
		if (fd < 0)
			return sysfail(u, "open the directory");
		if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
			return sysfail(u, "mark the directory opaque (" OPAQUE_XATTR ")");
		return 0;
	}
	if (errno != ENOENT)
		return sysfail(u, "look at the whiteout's name");
	if (mknodat(parent, name, S_IFCHR | 0, makedev(0, 0)) < 0)
		return sysfail(u, "create the whiteout");
	return 0;
}

static int make_node(struct unpack *u, struct archive_entry *ae)
{
	mode_t type = archive_entry_filetype(ae);
	cleanup_close int parent = -1;
	dev_t dev = 0;

	if (type != AE_IFIFO)
		dev = makedev(archive_entry_rdevmajor(ae), archive_entry_rdevminor(ae));
	if (type == AE_IFCHR && dev == makedev(0, 0)) {
		/* overlayfs's own whiteout: the same in both modes */
		parent = open_parent(u, &u->p, "", true);
		if (parent < 0 || make_whiteout_at(u, parent, base_name(u)) < 0)
			return -1;
		return finish_at(u, parent, false);
	}
	if (type != AE_IFIFO && u->o->rootless) {
		u->skipped_devices++;
		return 0;
	}
	parent = open_parent(u, &u->p, "", true);
	if (parent < 0 || clear(u, parent, base_name(u), false) < 0)
		return -1;
	if (mknodat(parent, base_name(u),
		    (type == AE_IFIFO   ? S_IFIFO
		     : type == AE_IFCHR ? S_IFCHR
					: S_IFBLK) |
			    0600,
		    dev) < 0)
		return sysfail(u, "create");
	return finish_at(u, parent, true);
}

static int make_whiteout(struct unpack *u)
{
	cleanup_close int parent = open_parent(u, &u->p, "", true);

	if (parent < 0)
		return -1;
	return make_whiteout_at(u, parent, u->p.path + u->p.target);
}

static int make_opaque(struct unpack *u)
{
	cleanup_close int parent = open_parent(u, &u->p, "", true);
	cleanup_close int fd = -1;

	if (parent < 0)
		return -1;
	fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sysfail(u, "open the directory");
	if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
		return sysfail(u, "mark the directory opaque (" OPAQUE_XATTR ")");
	return 0;
}

static int entry_ids(struct unpack *u, struct archive_entry *ae)
{
	int64_t id[2] = { archive_entry_uid(ae), archive_entry_gid(ae) };
	static const char *const what[2] = { "uid", "gid" };

	if (u->o->squash_ids) {
		u->squashed += id[0] != 0 || id[1] != 0;
		u->uid = 0;
		u->gid = 0;
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		if (id[i] < 0)
			return refuse(u, ERANGE, "%s %lld is negative", what[i], (long long)id[i]);
		if (id[i] > (int64_t)u->max_id)
			return refuse(u, ERANGE, "%s %lld is above %u, the highest id allowed",
				      what[i], (long long)id[i], (unsigned)u->max_id);
	}
	u->uid = (uid_t)id[0];
	u->gid = (gid_t)id[1];
	return 0;
}

static void entry_times(struct unpack *u, struct archive_entry *ae)
{
	long ns = archive_entry_mtime_nsec(ae);

	u->ts[1].tv_sec = archive_entry_mtime(ae);
	u->ts[1].tv_nsec = ns >= 0 && ns < 1000000000 ? ns : 0;
	u->ts[0] = u->ts[1];
	if (archive_entry_atime_is_set(ae)) {
		ns = archive_entry_atime_nsec(ae);
		u->ts[0].tv_sec = archive_entry_atime(ae);
		u->ts[0].tv_nsec = ns >= 0 && ns < 1000000000 ? ns : 0;
	}
}

static int entry(struct unpack *u, struct archive *a, struct archive_entry *ae)
{
	const char *name = archive_entry_pathname(ae);
	const char *link = archive_entry_hardlink(ae);
	enum pd_unpack_path_error pe;
	mode_t type;

	u->have_entry = true;
	show(name ? name : "", u->entry, sizeof(u->entry));
	if (++u->entries > u->lim.max_entries)
		return refuse(u, E2BIG, "more than %llu entries (the max_entries limit)%s%s",
			      (unsigned long long)u->lim.max_entries, hint_sep(u), hint(u));
	if (!name)
		return refuse(u, EILSEQ, "name cannot be read");
	pe = pd_unpack_path_parse(name, strlen(name), u->lim.max_depth, &u->p);
	if (pe != PD_UNPACK_PATH_OK)
		return name_refused(u, "", pe);
	if (entry_ids(u, ae) < 0)
		return -1;
	u->perm = archive_entry_perm(ae) & 07777;
	entry_times(u, ae);
	switch (u->p.kind) {
	case PD_UNPACK_META:
		return 0;
	case PD_UNPACK_OPAQUE:
		return make_opaque(u);
	case PD_UNPACK_WHITEOUT:
		return make_whiteout(u);
	case PD_UNPACK_PLAIN:
	default:
		break;
	}
	type = archive_entry_filetype(ae);
	if (u->p.len == 0 && (link || type != AE_IFDIR))
		return refuse(u, EINVAL, "only a directory can be the layer's root");
	if (link)
		return make_hardlink(u, link);
	switch (type) {
	case AE_IFDIR:
		return make_dir(u, ae);
	case AE_IFREG:
		return make_file(u, a, ae);
	case AE_IFLNK:
		return make_symlink(u, ae);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return make_node(u, ae);
	default:
		return refuse(u, EINVAL, "unsupported entry type 0%o", (unsigned)type);
	}
}

/* Directory times, last (entries made in a directory change its mtime). */
static int apply_dir_times(struct unpack *u)
{
	for (size_t i = 0; i < u->ndirs; i++) {
		const char *path = u->dirs[i].path;
		cleanup_close int fd = pd_openat2(u->root, *path ? path : ".",
						  O_RDONLY | O_DIRECTORY, 0, RESOLVE_LAYER);

		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
			continue; /* replaced by a later entry */
		if (fd < 0 || futimens(fd, u->dirs[i].ts) < 0)
			return sysfail(u, "set the times of the directory \"%s\"", path);
	}
	return 0;
}

static int check_empty(struct unpack *u)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int fd = pd_openat2(u->root, ".", O_RDONLY | O_DIRECTORY, 0, 0);

	if (fd < 0)
		return sysfail(u, "open the layer directory");
	d = fdopendir(fd);
	if (!d) {
		pd_close(fd);
		return sysfail(u, "read the layer directory");
	}
	while ((errno = 0, de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return refuse(u, ENOTEMPTY, "the layer directory is not empty");
	return errno ? sysfail(u, "read the layer directory") : 0;
}

static int walk(struct unpack *u, struct archive *a)
{
	for (;;) {
		struct archive_entry *ae;
		int r;

		u->have_entry = false;
		r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return tar_fail(u, a);
		if (entry(u, a, ae) < 0)
			return -1;
	}
	u->have_entry = false;
	/* The rest of the stream belongs to the blob: hash it too. */
	for (;;) {
		ssize_t n = stream_read(u);

		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
	}
}

static void limits_defaults(struct unpack *u, const struct pd_unpack_opts *o)
{
	u->lim = o->lim;
	if (!u->lim.max_bytes)
		u->lim.max_bytes = PD_UNPACK_MAX_BYTES_DEFAULT;
	if (!u->lim.max_entries)
		u->lim.max_entries = PD_UNPACK_MAX_ENTRIES_DEFAULT;
	if (!u->lim.ratio)
		u->lim.ratio = PD_UNPACK_RATIO_DEFAULT;
	if (!u->lim.ratio_floor)
		u->lim.ratio_floor = PD_UNPACK_RATIO_FLOOR_DEFAULT;
	if (!u->lim.max_depth)
		u->lim.max_depth = PD_UNPACK_MAX_DEPTH_DEFAULT;
	u->max_id = o->max_id ? o->max_id : PD_UNPACK_MAX_ID_DEFAULT;
}

static int finish(struct unpack *u, struct pd_unpack_result *res)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t w;

	if (EVP_DigestFinal_ex(u->md, md, &mdlen) != 1 || mdlen != 32)
		return refuse(u, EIO, "sha256 failed");
	w = (size_t)snprintf(res->diff_id, sizeof(res->diff_id), "sha256:");
	for (unsigned i = 0; i < mdlen; i++)
		w += (size_t)snprintf(res->diff_id + w, sizeof(res->diff_id) - w, "%02x", md[i]);
	res->bytes = u->bytes;
	res->entries = u->entries;
	res->skipped_devices = u->skipped_devices;
	res->skipped_xattrs = u->skipped_xattrs;
	if (u->skipped_devices)
		pd_note("%s: %llu device node%s not created: a user namespace cannot make them",
			u->layer, (unsigned long long)u->skipped_devices,
			u->skipped_devices == 1 ? "" : "s");
	if (u->skipped_xattrs)
		pd_note("%s: %llu extended attribute%s not supported here, left out", u->layer,
			(unsigned long long)u->skipped_xattrs, u->skipped_xattrs == 1 ? "" : "s");
	if (u->squashed)
		pd_note("single-id user namespace: every file of the image is owned by the "
			"container's root");
	return 0;
}

int pd_unpack_load(enum pd_compression comp, struct pd_error *err)
{
	if (pd_lazy_archive(err) < 0 || pd_lazy_crypto(err) < 0)
		return -1;
	if ((comp == PD_COMP_GZIP || comp == PD_COMP_AUTO) && pd_lazy_zlib(err) < 0)
		return -1;
	if ((comp == PD_COMP_ZSTD || comp == PD_COMP_AUTO) && pd_lazy_zstd(err) < 0)
		return -1;
	return 0;
}

int pd_unpack_layer(int src_fd, enum pd_compression comp, int dirfd, const struct pd_unpack_opts *o,
		    struct pd_unpack_result *res, struct pd_error *err)
{
	struct unpack *u = pd_xcalloc(1, sizeof(*u));
	struct archive *a = NULL;
	int r = -1;

	if (pd_unpack_load(comp, err) < 0) {
		free(u);
		return -1;
	}
	u->o = o;
	u->err = err;
	u->root = dirfd;
	u->layer = o->layer_name ? pd_xasprintf("layer %s", o->layer_name) : pd_xstrdup("layer");
	limits_defaults(u, o);
	if (check_empty(u) < 0)
		goto out;
	u->md = EVP_MD_CTX_new();
	if (!u->md || EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1) {
		refuse(u, EIO, "sha256 failed");
		goto out;
	}
	u->dc = pd_decomp_new(src_fd, comp);
	u->buf = pd_xmalloc(BUF_SIZE);
	a = archive_read_new();
	if (!a) {
		refuse(u, ENOMEM, "libarchive failed");
		goto out;
	}
	if (archive_read_support_format_tar(a) != ARCHIVE_OK) {
		tar_fail(u, a);
		goto out;
	}
	if (archive_read_open(a, u, NULL, read_cb, NULL) != ARCHIVE_OK) {
		tar_fail(u, a);
		goto out;
	}
	if (walk(u, a) < 0 || apply_dir_times(u) < 0 || finish(u, res) < 0)
		goto out;
	r = 0;
out:
	if (a)
		archive_read_free(a);
	for (size_t i = 0; i < u->ndirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
	free(u->buf);
	pd_decomp_free(u->dc);
	EVP_MD_CTX_free(u->md);
	free(u->layer);
	free(u);
	return r;
}
