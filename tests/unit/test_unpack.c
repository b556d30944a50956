/* SPDX-License-Identifier: MIT */
/*
 * test_unpack.c - oci/unpack.c, the layer unpacker, against good and
 * hostile tar streams.
 *
 * Each test gets a scratch directory TMP holding layer/ (the empty layer
 * directory, passed as an O_PATH fd) and sentinel/ (a file and a directory,
 * standing for the host).  Streams are built here: with libarchive's writer
 * (pax) for the round trips, and as hand-made ustar headers for the hostile
 * names, so the bytes are exactly what the test says.  Every refusal is
 * checked for its exact message and for TMP and sentinel/ being exactly as
 * before (names, types, modes, owners, sizes, mtimes).
 *
 * The overlay checks mount the unpacked layer over a lower directory
 * (fsopen/fsmount, `userxattr`, a detached mount read through its fd) in a
 * child with its own mount namespace.  The rootless checks unpack in a
 * child that unshare(CLONE_NEWUSER)s, mapped by this (root) process onto
 * 100000-165535, or onto 100000 alone with squash_ids.
 */
#include "unit.h"
#include "common/cleanup.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <openssl/evp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define LAYER "sha256:abc"
#define PFX "layer " LAYER ": "

/* ---- byte buffers and streams ---- */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 4096;
		b->p = pd_xrealloc(b->p, b->cap);
	}
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void buf_zeros(struct buf *b, size_t n)
{
	static const unsigned char z[4096];

	while (n) {
		size_t k = n < sizeof(z) ? n : sizeof(z);

		buf_add(b, z, k);
		n -= k;
	}
}

static void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}

static struct buf gzip_of(const unsigned char *p, size_t n)
{
	struct buf out = { 0 };
	z_stream z = { 0 };

	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	out.cap = deflateBound(&z, n) + 64;
	out.p = pd_xmalloc(out.cap);
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	z.next_out = out.p;
	z.avail_out = (uInt)out.cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	out.len = out.cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static struct buf zstd_of(const unsigned char *p, size_t n)
{
	struct buf out = { 0 };
	size_t r;

	out.cap = ZSTD_compressBound(n);
	out.p = pd_xmalloc(out.cap);
	r = ZSTD_compress(out.p, out.cap, p, n, 3);
	ck_assert_msg(!ZSTD_isError(r), "ZSTD_compress: %s", ZSTD_getErrorName(r));
	out.len = r;
	return out;
}

static void sha256_hex(const unsigned char *p, size_t n, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t w;

	ck_assert_ptr_nonnull(c);
	ck_assert(EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1);
	ck_assert(EVP_DigestUpdate(c, p, n) == 1);
	ck_assert(EVP_DigestFinal_ex(c, md, &mdlen) == 1);
	EVP_MD_CTX_free(c);
	w = (size_t)snprintf(out, 72, "sha256:");
	for (unsigned i = 0; i < mdlen; i++)
		w += (size_t)snprintf(out + w, 72 - w, "%02x", md[i]);
}

/* A memfd holding @b, at offset 0. */
static int stream_fd(const struct buf *b)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);

	ck_assert_msg(fd >= 0, "memfd_create: %s", pd_strerror(errno));
	ck_assert_int_eq(pd_write_all(fd, b->p, b->len), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* ---- tar streams with libarchive's writer (pax) ---- */

static la_ssize_t tar_write_cb(struct archive *a, void *data, const void *p, size_t n)
{
	(void)a;
	buf_add(data, p, n);
	return (la_ssize_t)n;
}

struct ent {
	const char *name;
	mode_t type; /* AE_IF* (0: regular) */
	mode_t perm;
	int64_t uid, gid;
	const void *data;
	size_t len;
	const char *symlink;
	const char *hardlink;
	unsigned maj, min;
	time_t mtime;
	long mtime_ns;
	const char *xname[4];
	const char *xval[4];
	size_t xlen[4];
};

static struct archive *tar_new(struct buf *b)
{
	struct archive *a = archive_write_new();

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(archive_write_set_format_pax(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open(a, b, NULL, tar_write_cb, NULL), ARCHIVE_OK);
	return a;
}

static void tar_add(struct archive *a, const struct ent *e)
{
	struct archive_entry *ae = archive_entry_new();
	int r;

	archive_entry_set_pathname(ae, e->name);
	archive_entry_set_filetype(ae, e->type ? e->type : AE_IFREG);
	archive_entry_set_perm(ae, e->perm);
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	archive_entry_set_mtime(ae, e->mtime, e->mtime_ns);
	if (e->symlink)
		archive_entry_set_symlink(ae, e->symlink);
	if (e->hardlink)
		archive_entry_set_hardlink(ae, e->hardlink);
	if (e->type == AE_IFCHR || e->type == AE_IFBLK) {
		archive_entry_set_rdevmajor(ae, e->maj);
		archive_entry_set_rdevminor(ae, e->min);
	}
	for (int i = 0; i < 4 && e->xname[i]; i++)
		archive_entry_xattr_add_entry(ae, e->xname[i], e->xval[i], e->xlen[i]);
	archive_entry_set_size(ae, (e->type == 0 && !e->hardlink) ? (la_int64_t)e->len : 0);
	r = archive_write_header(a, ae);
	ck_assert_msg(r == ARCHIVE_OK, "archive_write_header %s: %s", e->name,
		      archive_error_string(a));
	if (e->len && e->type == 0 && !e->hardlink)
		ck_assert_int_eq(archive_write_data(a, e->data, e->len), (la_ssize_t)e->len);
	archive_entry_free(ae);
}

static void tar_end(struct archive *a)
{
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* ---- hand-made ustar ---- */

static void ustar_hdr(struct buf *b, const char *name, char type, const char *link,
		      unsigned long size, unsigned long uid, unsigned long gid)
{
	char h[512];
	unsigned sum = 0;

	memset(h, 0, sizeof(h));
	memcpy(h, name, strnlen(name, 100));
	snprintf(h + 100, 8, "%07o", 0644);
	snprintf(h + 108, 8, "%07lo", uid);
	snprintf(h + 116, 8, "%07lo", gid);
	snprintf(h + 124, 12, "%011lo", size);
	snprintf(h + 136, 12, "%011lo", 1000ul);
	memset(h + 148, ' ', 8);
	h[156] = type;
	if (link)
		memcpy(h + 157, link, strnlen(link, 100));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	h[155] = ' ';
	buf_add(b, h, sizeof(h));
}

/* A regular file with @n bytes of @data (NULL: zeros), padded. */
static void ustar_file(struct buf *b, const char *name, const void *data, size_t n)
{
	ustar_hdr(b, name, '0', NULL, n, 0, 0);
	if (data)
		buf_add(b, data, n);
	else
		buf_zeros(b, n);
	buf_zeros(b, (512 - n % 512) % 512);
}

static void ustar_end(struct buf *b)
{
	buf_zeros(b, 1024);
}

/* ---- scratch directories ---- */

struct scratch {
	char *tmp;
	char *layer_path;
	char *sentinel;
	int layer; /* O_PATH */
	struct buf snap;
};

static struct buf *snap_out;
static const char *snap_skip;
static size_t snap_base;

static int snap_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	char line[PATH_MAX + 128];
	int n;

	(void)flag;
	(void)f;
	if (!strcmp(p, snap_skip))
		return FTW_SKIP_SUBTREE;
	n = snprintf(line, sizeof(line), "%s %o %u:%u %lld %lld.%09ld\n", p + snap_base,
		     (unsigned)st->st_mode, (unsigned)st->st_uid, (unsigned)st->st_gid,
		     (long long)st->st_size, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	buf_add(snap_out, line, (size_t)n);
	return FTW_CONTINUE;
}

/* Everything under TMP but layer/: names, types and modes, owners, sizes, mtimes. */
static void snapshot(const struct scratch *s, struct buf *out)
{
	out->len = 0;
	snap_out = out;
	snap_skip = s->layer_path;
	snap_base = strlen(s->tmp);
	ck_assert_int_eq(nftw(s->tmp, snap_one, 16, FTW_PHYS | FTW_ACTIONRETVAL), 0);
	buf_add(out, "", 1);
}

static char *join(const char *a, const char *b)
{
	return pd_xasprintf("%s/%s", a, b);
}

static void scratch_new(struct scratch *s)
{
	cleanup_free char *keep = NULL, *sub = NULL;
	int fd;

	memset(s, 0, sizeof(*s));
	s->tmp = pd_unit_tmpdir();
	s->layer_path = join(s->tmp, "layer");
	s->sentinel = join(s->tmp, "sentinel");
	keep = join(s->sentinel, "keep");
	sub = join(s->sentinel, "sub");
	ck_assert_int_eq(mkdir(s->layer_path, 0755), 0);
	ck_assert_int_eq(mkdir(s->sentinel, 0755), 0);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	fd = open(keep, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pd_write_all(fd, "keep\n", 5), 0);
	close(fd);
	s->layer = open(s->layer_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(s->layer, 0);
	snapshot(s, &s->snap);
}

/* TMP and sentinel/ are exactly as they were. */
static void expect_outside_unchanged(const struct scratch *s)
{
	struct buf now = { 0 };

	snapshot(s, &now);
	ck_assert_msg(!strcmp((char *)now.p, (char *)s->snap.p),
		      "outside the layer changed:\nbefore:\n%s\nafter:\n%s", (char *)s->snap.p,
		      (char *)now.p);
	buf_free(&now);
}

static void scratch_free(struct scratch *s)
{
	if (s->layer >= 0)
		close(s->layer);
	pd_unit_rmrf(s->tmp);
	free(s->tmp);
	free(s->layer_path);
	free(s->sentinel);
	buf_free(&s->snap);
}

static char *lpath(const struct scratch *s, const char *rel)
{
	return join(s->layer_path, rel);
}

static int unpack_buf(const struct scratch *s, const struct buf *b, enum pd_compression comp,
		      const struct pd_unpack_opts *o, struct pd_unpack_result *res,
		      struct pd_error *e)
{
	int fd = stream_fd(b);
	int r = pd_unpack_layer(fd, comp, s->layer, o, res, e);

	close(fd);
	return r;
}

static struct pd_unpack_opts opts(void)
{
	return (struct pd_unpack_opts){ .layer_name = LAYER };
}

static bool is_root(void)
{
	if (geteuid() == 0)
		return true;
	fprintf(stderr, "test_unpack: not root: ownership and device checks left out\n");
	return false;
}

/* ---- what a path in the layer is ---- */

static struct stat lst(const struct scratch *s, const char *rel)
{
	cleanup_free char *p = lpath(s, rel);
	struct stat st;

	ck_assert_msg(lstat(p, &st) == 0, "lstat %s: %s", rel, pd_strerror(errno));
	return st;
}

static void expect_absent(const struct scratch *s, const char *rel)
{
	cleanup_free char *p = lpath(s, rel);
	struct stat st;

	ck_assert_msg(lstat(p, &st) < 0 && errno == ENOENT, "%s: expected absent", rel);
}

static void expect_node(const struct scratch *s, const char *rel, mode_t type, mode_t perm,
			uid_t uid, gid_t gid)
{
	struct stat st = lst(s, rel);

	ck_assert_msg((st.st_mode & S_IFMT) == type, "%s: expected type 0%o, got 0%o", rel,
		      (unsigned)type, (unsigned)(st.st_mode & S_IFMT));
	if (type != S_IFLNK)
		ck_assert_msg((st.st_mode & 07777) == perm, "%s: expected mode %04o, got %04o", rel,
			      (unsigned)perm, (unsigned)(st.st_mode & 07777));
	ck_assert_msg(st.st_uid == uid && st.st_gid == gid, "%s: expected owner %u:%u, got %u:%u",
		      rel, (unsigned)uid, (unsigned)gid, (unsigned)st.st_uid, (unsigned)st.st_gid);
}

static void expect_content(const struct scratch *s, const char *rel, const void *data, size_t n)
{
	cleanup_free char *p = lpath(s, rel);
	cleanup_free unsigned char *got = pd_xmalloc(n + 1);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	ck_assert_msg(fd >= 0, "open %s: %s", rel, pd_strerror(errno));
	r = read(fd, got, n + 1);
	close(fd);
	ck_assert_msg(r == (ssize_t)n && !memcmp(got, data, n),
		      "%s: expected %zu bytes of content, got %zd (or different bytes)", rel, n, r);
}

static void expect_mtime(const struct scratch *s, const char *rel, time_t sec, long ns)
{
	struct stat st = lst(s, rel);

	ck_assert_msg(st.st_mtim.tv_sec == sec && st.st_mtim.tv_nsec == ns,
		      "%s: expected mtime %lld.%09ld, got %lld.%09ld", rel, (long long)sec, ns,
		      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void expect_xattr(const struct scratch *s, const char *rel, const char *name,
			 const void *val, ssize_t n)
{
	cleanup_free char *p = lpath(s, rel);
	char got[256];
	ssize_t r = lgetxattr(p, name, got, sizeof(got));

	if (n < 0) {
		ck_assert_msg(r < 0 && errno == ENODATA, "%s: xattr %s: expected none, got %zd",
			      rel, name, r);
		return;
	}
	ck_assert_msg(r == n && !memcmp(got, val, (size_t)n),
		      "%s: xattr %s: expected %zd bytes, got %zd (%s)", rel, name, n, r,
		      r < 0 ? pd_strerror(errno) : "bytes differ");
}

static void expect_whiteout(const struct scratch *s, const char *rel, uid_t uid)
{
	struct stat st = lst(s, rel);

	ck_assert_msg(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
		      "%s: expected a 0/0 character device, got mode 0%o rdev %u:%u", rel,
		      (unsigned)st.st_mode, major(st.st_rdev), minor(st.st_rdev));
	ck_assert_msg(st.st_uid == uid, "%s: whiteout owner: expected %u, got %u", rel,
		      (unsigned)uid, (unsigned)st.st_uid);
}

/* No name under the layer starts with ".wh.". */
static const char *wh_found;

static int wh_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	if (!strncmp(p + f->base, ".wh.", 4)) {
		wh_found = pd_xstrdup(p);
		return 1;
	}
	return 0;
}

static void expect_no_wh_names(const struct scratch *s)
{
	wh_found = NULL;
	nftw(s->layer_path, wh_one, 16, FTW_PHYS);
	ck_assert_msg(!wh_found, "an AUFS whiteout name was created: %s", wh_found);
}

/* ---- the round trip ---- */

static unsigned char big[300 * 1024 + 17];

/* Incompressible bytes, the same in every process. */
static void big_init(void)
{
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(big); i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (unsigned char)(x >> 16);
	}
}

static const unsigned char capv2[20] = {
	0x01, 0x00, 0x00, 0x02, /* VFS_CAP_REVISION_2 | effective */
	0x00, 0x04, 0x00, 0x00, /* permitted: CAP_NET_BIND_SERVICE */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* Every kind of entry; *n gets the number of entries. */
static struct buf roundtrip_tar(unsigned *n, bool with_devices)
{
	struct buf b = { 0 };
	struct archive *a = tar_new(&b);
	const struct ent ents[] = {
		{ .name = "./", .type = AE_IFDIR, .perm = 0755, .mtime = 1000 },
		{ .name = "d/", .type = AE_IFDIR, .perm = 0750, .uid = 1, .gid = 2, .mtime = 2000 },
		{ .name = "d/f",
		  .perm = 0644,
		  .uid = 1000,
		  .gid = 1000,
		  .data = "hello\n",
		  .len = 6,
		  .mtime = 3000,
		  .mtime_ns = 123456789,
		  .xname = { "user.test", "trusted.x", "security.selinux", "user.overlay.opaque" },
		  .xval = { "v", "t", "s", "y" },
		  .xlen = { 1, 1, 1, 1 } },
		{ .name = "suid",
		  .perm = 04755,
		  .data = "#!/bin/sh\n",
		  .len = 10,
		  .mtime = 4000,
		  .xname = { "security.capability" },
		  .xval = { (const char *)capv2 },
		  .xlen = { sizeof(capv2) } },
		{ .name = "sgid", .perm = 02710, .gid = 50, .mtime = 4001 },
		{ .name = "sticky/", .type = AE_IFDIR, .perm = 01777, .mtime = 4002 },
		{ .name = "d/l",
		  .type = AE_IFLNK,
		  .perm = 0777,
		  .uid = 5,
		  .gid = 6,
		  .symlink = "../suid",
		  .mtime = 5000 },
		{ .name = "abs", .type = AE_IFLNK, .perm = 0777, .symlink = "/etc/passwd" },
		{ .name = "d/h", .perm = 0644, .hardlink = "d/f" },
		{ .name = "p", .type = AE_IFIFO, .perm = 0640, .uid = 7, .gid = 8, .mtime = 6000 },
		{ .name = "dev/null", .type = AE_IFCHR, .perm = 0666, .maj = 1, .min = 3 },
		{ .name = "dev/loop0", .type = AE_IFBLK, .perm = 0660, .gid = 6, .maj = 7 },
		{ .name = "big", .perm = 0600, .data = big, .len = sizeof(big), .mtime = 7000 },
		{ .name = "empty", .perm = 0444 },
		{ .name = "a/b/c/deep", .perm = 0644, .data = "x", .len = 1 },
		{ .name = "f2", .perm = 0644, .data = "first", .len = 5 },
		{ .name = "f2", .perm = 0600, .data = "second", .len = 6 },
		{ .name = "repl/", .type = AE_IFDIR, .perm = 0755 },
		{ .name = "repl/x", .perm = 0644, .data = "x", .len = 1 },
		{ .name = "repl", .perm = 0644, .data = "now a file", .len = 10 },
		{ .name = "l2", .type = AE_IFLNK, .perm = 0777, .symlink = "/" },
		{ .name = "l2", .perm = 0644, .data = "file", .len = 4 },
		{ .name = "./d/./g", .perm = 0644, .data = "g", .len = 1, .mtime = 8000 },
	};

	*n = 0;
	big_init();
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		if (!with_devices && (ents[i].type == AE_IFCHR || ents[i].type == AE_IFBLK))
			continue;
		tar_add(a, &ents[i]);
		(*n)++;
	}
	tar_end(a);
	return b;
}

static void check_roundtrip(const struct scratch *s)
{
	struct stat f, h;

	expect_node(s, "d", S_IFDIR, 0750, 1, 2);
	expect_node(s, "d/f", S_IFREG, 0644, 1000, 1000);
	expect_content(s, "d/f", "hello\n", 6);
	expect_mtime(s, "d/f", 3000, 123456789);
	expect_xattr(s, "d/f", "user.test", "v", 1);
	expect_xattr(s, "d/f", "trusted.x", NULL, -1);
	expect_xattr(s, "d/f", "security.selinux", NULL, -1);
	expect_xattr(s, "d/f", "user.overlay.opaque", NULL, -1);
	expect_node(s, "suid", S_IFREG, 04755, 0, 0);
	expect_content(s, "suid", "#!/bin/sh\n", 10);
	expect_xattr(s, "suid", "security.capability", capv2, sizeof(capv2));
	expect_node(s, "sgid", S_IFREG, 02710, 0, 50);
	expect_node(s, "sticky", S_IFDIR, 01777, 0, 0);
	expect_node(s, "d/l", S_IFLNK, 0, 5, 6);
	expect_mtime(s, "d/l", 5000, 0);
	{
		cleanup_free char *p = lpath(s, "d/l");
		char t[64];
		ssize_t n = readlink(p, t, sizeof(t));

		ck_assert_msg(n == 7 && !memcmp(t, "../suid", 7), "d/l: target");
		free(p);
		p = lpath(s, "abs");
		n = readlink(p, t, sizeof(t));
		ck_assert_msg(n == 11 && !memcmp(t, "/etc/passwd", 11), "abs: target");
	}
	f = lst(s, "d/f");
	h = lst(s, "d/h");
	ck_assert_msg(f.st_ino == h.st_ino && f.st_nlink == 2,
		      "d/h: expected a hard link of d/f (ino %lu, nlink 2), got ino %lu nlink %lu",
		      (unsigned long)f.st_ino, (unsigned long)h.st_ino, (unsigned long)f.st_nlink);
	expect_node(s, "p", S_IFIFO, 0640, 7, 8);
	expect_mtime(s, "p", 6000, 0);
	expect_node(s, "big", S_IFREG, 0600, 0, 0);
	expect_content(s, "big", big, sizeof(big));
	expect_mtime(s, "big", 7000, 0);
	expect_node(s, "empty", S_IFREG, 0444, 0, 0);
	expect_node(s, "a", S_IFDIR, 0755, 0, 0);
	expect_node(s, "a/b/c", S_IFDIR, 0755, 0, 0);
	expect_content(s, "a/b/c/deep", "x", 1);
	expect_node(s, "f2", S_IFREG, 0600, 0, 0);
	expect_content(s, "f2", "second", 6);
	expect_node(s, "repl", S_IFREG, 0644, 0, 0);
	expect_content(s, "repl", "now a file", 10);
	expect_node(s, "l2", S_IFREG, 0644, 0, 0);
	expect_content(s, "d/g", "g", 1);
	/* directory times are set last, after their entries */
	expect_mtime(s, "d", 2000, 0);
	expect_mtime(s, "sticky", 4002, 0);
	expect_mtime(s, ".", 1000, 0);
	expect_node(s, ".", S_IFDIR, 0755, 0, 0);
}

static void roundtrip(enum pd_compression how, enum pd_compression pass)
{
	struct pd_unpack_opts o = opts();
	struct pd_unpack_result res;
	struct pd_error e = { 0 };
	struct scratch s;
	struct buf tar, stream = { 0 };
	char want[72];
	unsigned n;
	int r;

	if (!is_root())
		return;
	tar = roundtrip_tar(&n, true);
	sha256_hex(tar.p, tar.len, want);
	if (how == PD_COMP_GZIP)
		stream = gzip_of(tar.p, tar.len);
	else if (how == PD_COMP_ZSTD)
		stream = zstd_of(tar.p, tar.len);
	else
		buf_add(&stream, tar.p, tar.len);
	scratch_new(&s);
	r = unpack_buf(&s, &stream, pass, &o, &res, &e);
	ck_assert_msg(r == 0, "%s: unpack failed: %s", pd_decomp_name(how), e.msg);
	EXPECT_STR(res.diff_id, want);
	EXPECT_UINT(res.bytes, tar.len);
	EXPECT_UINT(res.entries, n);
	EXPECT_UINT(res.skipped_devices, 0);
	check_roundtrip(&s);
	expect_node(&s, "dev/null", S_IFCHR, 0666, 0, 0);
	ck_assert(lst(&s, "dev/null").st_rdev == makedev(1, 3));
	expect_node(&s, "dev/loop0", S_IFBLK, 0660, 0, 6);
	ck_assert(lst(&s, "dev/loop0").st_rdev == makedev(7, 0));
	expect_outside_unchanged(&s);
	scratch_free(&s);
	buf_free(&tar);
	buf_free(&stream);
}

START_TEST(test_roundtrip_plain)
{
	roundtrip(PD_COMP_NONE, PD_COMP_NONE);
}
END_TEST

START_TEST(test_roundtrip_gzip)
{
	roundtrip(PD_COMP_GZIP, PD_COMP_GZIP);
}
END_TEST

START_TEST(test_roundtrip_zstd)
{
	roundtrip(PD_COMP_ZSTD, PD_COMP_ZSTD);
}
END_TEST

START_TEST(test_roundtrip_auto)
{
	roundtrip(PD_COMP_NONE, PD_COMP_AUTO);
	roundtrip(PD_COMP_GZIP, PD_COMP_AUTO);
	roundtrip(PD_COMP_ZSTD, PD_COMP_AUTO);
}
END_TEST

/* Several gzip members and zstd frames, a pipe as the source, bytes after the end. */
START_TEST(test_stream_shapes)
{
	struct pd_unpack_opts o = opts();
	struct pd_unpack_result res;
	struct pd_error e = { 0 };
	struct scratch s;
	struct buf tar = { 0 }, stream = { 0 }, part;
	char want[72];
	int p[2];

	ustar_file(&tar, "one", "1", 1);
	ustar_file(&tar, "two", "22", 2);
	ustar_end(&tar);
	buf_zeros(&tar, 3000); /* padding after the end-of-archive blocks: hashed too */
	sha256_hex(tar.p, tar.len, want);

	/* gzip: three members, cut anywhere */
	part = gzip_of(tar.p, 700);
	buf_add(&stream, part.p, part.len);
	buf_free(&part);
	part = gzip_of(tar.p + 700, 0);
	buf_add(&stream, part.p, part.len);
	buf_free(&part);
	part = gzip_of(tar.p + 700, tar.len - 700);
	buf_add(&stream, part.p, part.len);
	buf_free(&part);
	scratch_new(&s);
	ck_assert_msg(unpack_buf(&s, &stream, PD_COMP_GZIP, &o, &res, &e) == 0, "gzip: %s", e.msg);
	EXPECT_STR(res.diff_id, want);
	EXPECT_UINT(res.bytes, tar.len);
	EXPECT_UINT(res.entries, 2);
	expect_content(&s, "two", "22", 2);
	scratch_free(&s);

	/* zstd: two frames */
	stream.len = 0;
	part = zstd_of(tar.p, 1500);
	buf_add(&stream, part.p, part.len);
	buf_free(&part);
	part = zstd_of(tar.p + 1500, tar.len - 1500);
	buf_add(&stream, part.p, part.len);
	buf_free(&part);
	scratch_new(&s);
	ck_assert_msg(unpack_buf(&s, &stream, PD_COMP_AUTO, &o, &res, &e) == 0, "zstd: %s", e.msg);
	EXPECT_STR(res.diff_id, want);
	expect_content(&s, "one", "1", 1);
	scratch_free(&s);

	/* a pipe, read sequentially */
	scratch_new(&s);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(pd_write_all(p[1], tar.p, tar.len), 0);
	close(p[1]);
	ck_assert_msg(pd_unpack_layer(p[0], PD_COMP_AUTO, s.layer, &o, &res, &e) == 0, "pipe: %s",
		      e.msg);
	close(p[0]);
	EXPECT_STR(res.diff_id, want);
	EXPECT_UINT(res.bytes, tar.len);
	expect_content(&s, "one", "1", 1);
	scratch_free(&s);
	buf_free(&tar);
	buf_free(&stream);
}
END_TEST

/*
 * Highly compressible layers: the decoders take in all of their input long
 * before they have handed out all of their output, so the end of the fd
 * comes while output is still pending (and must not read as a truncation).
 */
START_TEST(test_compressible)
{
	struct pd_unpack_opts o = opts();
	struct pd_unpack_result res;
	struct pd_error e = { 0 };
	struct scratch s;
	struct buf tar = { 0 }, z;
	char want[72];

	big_init();
	ustar_file(&tar, "head", big, 1000); /* no longer block-aligned after this */
	ustar_file(&tar, "zeros", NULL, 4 << 20);
	ustar_file(&tar, "after", "after", 5);
	ustar_end(&tar);
	sha256_hex(tar.p, tar.len, want);
	for (int i = 0; i < 2; i++) {
		z = i ? zstd_of(tar.p, tar.len) : gzip_of(tar.p, tar.len);
		scratch_new(&s);
		ck_assert_msg(unpack_buf(&s, &z, PD_COMP_AUTO, &o, &res, &e) == 0, "%s: %s",
			      i ? "zstd" : "gzip", e.msg);
		EXPECT_STR(res.diff_id, want);
		EXPECT_UINT(res.bytes, tar.len);
		ck_assert(lst(&s, "zeros").st_size == 4 << 20);
		expect_content(&s, "after", "after", 5);
		scratch_free(&s);
		buf_free(&z);
	}
	buf_free(&tar);
}
END_TEST

/* A GNU sparse entry whose map points past its size: no block lands there. */
START_TEST(test_sparse_beyond)
{
	struct pd_unpack_opts o = opts();
	struct pd_unpack_result res;
	struct pd_error e = { 0 };
	struct scratch s;
	struct buf b = { 0 };
	unsigned char *h;
	unsigned sum = 0;

	ustar_hdr(&b, "sp", 'S', NULL, 512, 0, 0);
	h = b.p;
	memcpy(h + 257, "ustar  ", 8);                    /* GNU magic and version */
	snprintf((char *)h + 386, 12, "%011o", 1u << 20); /* sparse[0].offset */
	snprintf((char *)h + 398, 12, "%011o", 512u);     /* sparse[0].numbytes */
	snprintf((char *)h + 483, 12, "%011o", 1024u);    /* realsize */
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	buf_zeros(&b, 512);
	ustar_end(&b);
	scratch_new(&s);
	ck_assert_int_eq(unpack_buf(&s, &b, PD_COMP_NONE, &o, &res, &e), -1);
	EXPECT_STR(e.msg, PFX "entry \"sp\": data beyond the entry's size");
	expect_outside_unchanged(&s);
	scratch_free(&s);
	buf_free(&b);
}
END_TEST

/* The empty layer (1024 zero bytes, gzipped: the well-known a3ed95ca... blob). */
START_TEST(test_empty_layer)
{
	struct pd_unpack_opts o = opts();
	struct pd_unpack_result res;
	struct pd_error e = { 0 };
	struct scratch s;
	struct buf tar = { 0 }, gz;

	ustar_end(&tar);
	gz = gzip_of(tar.p, tar.len);
	scratch_new(&s);
	ck_assert_msg(unpack_buf(&s, &gz, PD_COMP_AUTO, &o, &res, &e) == 0, "%s", e.msg);
	EXPECT_STR(res.diff_id,
		   "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
	EXPECT_UINT(res.entries, 0);
	scratch_free(&s);
	buf_free(&tar);
	buf_free(&gz);
}
END_TEST

/* ---- whiteouts and overlayfs ---- */

static struct buf whiteout_tar(void)
{
	struct buf b = { 0 };

	ustar_hdr(&b, "a/", '5', NULL, 0, 0, 0);
	ustar_file(&b, "a/new", "n", 1);
	ustar_file(&b, "a/.wh..wh..opq", NULL, 0);
	ustar_file(&b, "b/.wh.gone", NULL, 0);
	ustar_file(&b, ".wh.top", NULL, 0);
	ustar_file(&b, "c/.wh..wh.plnk", NULL, 0); /* AUFS bookkeeping: skipped */
	ustar_file(&b, "d/x", "mine", 4);
	ustar_file(&b, "d/.wh.x", NULL, 0); /* never this layer's own d/x (image-spec) */
	ustar_hdr(&b, "e/sub/", '5', NULL, 0, 0, 0);
	ustar_file(&b, "e/sub/f", "f", 1);
	ustar_file(&b, "e/.wh.sub", NULL, 0);      /* this layer's own e/sub: made opaque */
	ustar_file(&b, "o/.wh..wh..opq", NULL, 0); /* makes o */
	/* a directory whited out and made again, in either order: opaque */
	ustar_file(&b, ".wh.g", NULL, 0);
	ustar_hdr(&b, "g/", '5', NULL, 0, 0, 0);
	ustar_file(&b, "g/new", "n", 1);
	ustar_hdr(&b, "h/", '5', NULL, 0, 0, 0);
	ustar_file(&b, ".wh.h", NULL, 0);
	ustar_file(&b, "h/new", "n", 1);
	ustar_end(&b);
	return b;
}

static void check_whiteouts(const struct scratch *s, uid_t owner)
{
	cleanup_free char *a = lpath(s, "a");
	char v[8];
	ssize_t n = lgetxattr(a, "user.overlay.opaque", v, sizeof(v));

	ck_assert_msg(n == 1 && v[0] == 'y', "a: expected user.overlay.opaque=y, got %zd (%s)", n,
		      n < 0 ? pd_strerror(errno) : "other value");
	expect_xattr(s, "o", "user.overlay.opaque", "y", 1);
	expect_xattr(s, "a", "trusted.overlay.opaque", NULL, -1);
	expect_content(s, "a/new", "n", 1);
	expect_whiteout(s, "b/gone", owner);
	expect_whiteout(s, "top", owner);
	expect_content(s, "d/x", "mine", 4);
	expect_xattr(s, "e/sub", "user.overlay.opaque", "y", 1);
	expect_content(s, "e/sub/f", "f", 1);
	expect_xattr(s, "g", "user.overlay.opaque", "y", 1);
	expect_xattr(s, "h", "user.overlay.opaque", "y", 1);
	expect_content(s, "g/new", "n", 1);
	expect_content(s, "h/new", "n", 1);
	expect_absent(s, "c"); /* skipped whole: not even its directory */
	expect_no_wh_names(s);
}

/* A lower directory with what the whiteouts hide. */
static char *make_lower(const struct scratch *s)
{
	char *lower = join(s->tmp, "lower");
	const char *dirs[] = { "", "/a", "/b", "/d", "/e", "/e/sub", "/g", "/h" };
	const char *files[] = { "/a/old", "/b/gone",  "/b/kept", "/top",
				"/d/x",   "/e/sub/y", "/g/old",  "/h/old" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		cleanup_free char *p = pd_xasprintf("%s%s", lower, dirs[i]);

		ck_assert_int_eq(mkdir(p, 0755), 0);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		cleanup_free char *p = pd_xasprintf("%s%s", lower, files[i]);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	return lower;
}

/*
 * In the current process (a child): mount overlay(layer over lower) with
 * userxattr, detached, and look through it.  The layers are opened by path
 * after unshare(CLONE_NEWNS): overlayfs clones its layers' mounts, which
 * must be in the mounter's namespace.  Returns 0, or the number of the
 * first check that failed (10+: setting up).
 */
static int overlay_checks(const char *layer, const char *lower)
{
	static const char *const hidden[] = {
		"a/old", "b/gone", "top", "e/sub/y", "g/old", "h/old"
	};
	static const char *const seen[] = { "a/new", "b/kept",  "a",     "o",
					    "d/x",   "e/sub/f", "g/new", "h/new" };
	int fs, m, l, lo;
	struct stat st;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 10;
	l = open(layer, O_PATH | O_DIRECTORY | O_CLOEXEC);
	lo = open(lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (l < 0 || lo < 0 || fs < 0)
		return 11;
	if (fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, l) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, lo) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return 12;
	m = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (m < 0)
		return 13;
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (fstatat(m, hidden[i], &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			return 1 + (int)i;
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++)
		if (fstatat(m, seen[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			return 20 + (int)i;
	return 0;
}

static const char *overlay_check_name(int code)
{
	switch (code) {
	case 1:
		return "a/old visible through the opaque a/";
	case 2:
		return "b/gone visible through its whiteout";
	case 3:
		return "top visible through its whiteout";
	case 4:
		return "e/sub/y of the lower layer visible through this layer's opaque e/sub";
	case 5:
		return "g/old (or h/old) visible through a directory whited out and made again";
	case 10:
		return "unshare/mount private";
	case 11:
		return "open the layers";
	case 12:
		return "configure overlay";
	case 13:
		return "fsmount";
	case 20:
		return "a/new missing";
	case 21:
		return "b/kept missing";
	case 22:
		return "a missing";
	case 23:
		return "o missing";
	default:
		return "?";
	}
}

START_TEST(test_whiteouts)
{
	struct pd_unpack_opts o = opts();
	struct pd_unpack_result res;
	struct pd_error e = { 0 };
	struct scratch s;
	struct buf tar = whiteout_tar();
	cleanup_free char *lower = NULL;
	int status;
	pid_t pid;

	if (!is_root())
		return;
	scratch_new(&s);
	ck_assert_msg(unpack_buf(&s, &tar, PD_COMP_NONE, &o, &res, &e) == 0, "%s", e.msg);
	EXPECT_UINT(res.entries, 18);
	check_whiteouts(&s, 0);
	expect_outside_unchanged(&s);

	lower = make_lower(&s);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(overlay_checks(s.layer_path, lower));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "overlay: %s (status %d)",
		      overlay_check_name(WEXITSTATUS(status)), status);
	scratch_free(&s);
	buf_free(&tar);
}
END_TEST

/* ---- refusals: the exact message, and nothing outside touched ---- */

struct bad {
	const char *what;
	void (*build)(struct buf *b, const struct scratch *s);
	enum pd_compression comp;
	struct pd_unpack_limits lim;
	const char *hint;
	const char *msg;
};

static void b_dotdot(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "../x", "pwn", 3);
	ustar_end(b);
}

static void b_abs(struct buf *b, const struct scratch *s)
{
	cleanup_free char *p = join(s->sentinel, "pwn");

	ustar_file(b, "/abs", "pwn", 3);
	ustar_file(b, p, "pwn", 3);
	ustar_end(b);
}

static void b_dotdot_deep(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "a/", '5', NULL, 0, 0, 0);
	ustar_file(b, "a/../../sentinel/keep", "pwn", 3);
	ustar_end(b);
}

static void b_dotdot_mid(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "a/../../x", "pwn", 3);
	ustar_end(b);
}

static void b_empty_component(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "a//b", "x", 1);
	ustar_end(b);
}

static void b_empty_name(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "", "x", 1);
	ustar_end(b);
}

/* "l -> TMP/sentinel" then "l/pwn": writing through a symlinked parent. */
static void b_symlink_write(struct buf *b, const struct scratch *s)
{
	ustar_hdr(b, "l", '2', s->sentinel, 0, 0, 0);
	ustar_file(b, "l/pwn", "pwn", 3);
	ustar_end(b);
}

static void b_symlink_rel_write(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "l", '2', "../sentinel", 0, 0, 0);
	ustar_file(b, "l/keep", "pwn", 3);
	ustar_end(b);
}

static void b_symlink_tmp(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "l", '2', "/tmp", 0, 0, 0);
	ustar_file(b, "l/pwn", "pwn", 3);
	ustar_end(b);
}

static void b_symlink_deep_write(struct buf *b, const struct scratch *s)
{
	ustar_hdr(b, "d/", '5', NULL, 0, 0, 0);
	ustar_hdr(b, "d/l", '2', s->tmp, 0, 0, 0);
	ustar_hdr(b, "d/l/sentinel/sub/", '5', NULL, 0, 0, 0);
	ustar_end(b);
}

static void b_symlink_whiteout(struct buf *b, const struct scratch *s)
{
	ustar_hdr(b, "l", '2', s->sentinel, 0, 0, 0);
	ustar_file(b, "l/.wh.keep", NULL, 0);
	ustar_end(b);
}

static void b_symlink_opaque(struct buf *b, const struct scratch *s)
{
	ustar_hdr(b, "l", '2', s->sentinel, 0, 0, 0);
	ustar_file(b, "l/.wh..wh..opq", NULL, 0);
	ustar_end(b);
}

/* "up -> .." then a hard link through it to the sentinel. */
static void b_symlink_hardlink(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "up", '2', "..", 0, 0, 0);
	ustar_hdr(b, "h", '1', "up/sentinel/keep", 0, 0, 0);
	ustar_end(b);
}

static void b_hardlink_dotdot(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "h", '1', "../sentinel/keep", 0, 0, 0);
	ustar_end(b);
}

static void b_hardlink_abs(struct buf *b, const struct scratch *s)
{
	ustar_hdr(b, "h", '1', s->sentinel, 0, 0, 0);
	ustar_end(b);
}

static void b_hardlink_symlink(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "f", "f", 1);
	ustar_hdr(b, "s", '2', "f", 0, 0, 0);
	ustar_hdr(b, "h", '1', "s", 0, 0, 0);
	ustar_end(b);
}

static void b_hardlink_dir(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "d/", '5', NULL, 0, 0, 0);
	ustar_hdr(b, "h", '1', "d", 0, 0, 0);
	ustar_end(b);
}

static void b_hardlink_missing(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "h", '1', "nope", 0, 0, 0);
	ustar_end(b);
}

static void b_hardlink_fifo(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "p", '6', NULL, 0, 0, 0);
	ustar_hdr(b, "h", '1', "p", 0, 0, 0);
	ustar_end(b);
}

static void b_hardlink_self(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "f", "f", 1);
	ustar_hdr(b, "f", '1', "./f", 0, 0, 0);
	ustar_end(b);
}

static void b_wh_parent(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "a/", '5', NULL, 0, 0, 0);
	ustar_file(b, "a/.wh...", NULL, 0);
	ustar_end(b);
}

static void b_wh_dot(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "a/.wh..", NULL, 0);
	ustar_end(b);
}

static void b_wh_empty(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "a/.wh.", NULL, 0);
	ustar_end(b);
}

static void b_wh_dir(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, ".wh.x/y", NULL, 0);
	ustar_end(b);
}

static void b_file_parent(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "f", "f", 1);
	ustar_file(b, "f/x", "x", 1);
	ustar_end(b);
}

static void b_small_files(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "f1", "1", 1);
	ustar_file(b, "f2", "2", 1);
	ustar_file(b, "f3", "3", 1);
	ustar_file(b, "f4", "4", 1);
	ustar_end(b);
}

static void b_deep(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "a/b/c", "c", 1);
	ustar_file(b, "a/b/c/d", "d", 1);
	ustar_end(b);
}

static void b_uid(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "f", '0', NULL, 0, 70000, 0);
	ustar_end(b);
}

static void b_gid(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_hdr(b, "g", '5', NULL, 0, 0, 65536);
	ustar_end(b);
}

static void b_big_file(struct buf *b, const struct scratch *s)
{
	(void)s;
	ustar_file(b, "big", NULL, 3 << 20);
	ustar_end(b);
}

/* 16 MiB of zeros: gzip makes that about 16 KiB, 1000:1. */
static void b_bomb(struct buf *b, const struct scratch *s)
{
	struct buf tar = { 0 }, gz;

	(void)s;
	ustar_file(&tar, "zeros", NULL, 16 << 20);
	ustar_end(&tar);
	gz = gzip_of(tar.p, tar.len);
	buf_add(b, gz.p, gz.len);
	buf_free(&gz);
	buf_free(&tar);
}

/* A gzip stream cut before its trailer. */
static void b_gzip_truncated(struct buf *b, const struct scratch *s)
{
	struct buf tar = { 0 }, gz;

	(void)s;
	ustar_file(&tar, "f", "hello", 5);
	ustar_end(&tar);
	gz = gzip_of(tar.p, tar.len);
	buf_add(b, gz.p, gz.len - 6);
	buf_free(&gz);
	buf_free(&tar);
}

static void b_gzip_garbage(struct buf *b, const struct scratch *s)
{
	struct buf tar = { 0 }, gz;

	(void)s;
	ustar_file(&tar, "f", "hello", 5);
	ustar_end(&tar);
	gz = gzip_of(tar.p, tar.len);
	buf_add(b, gz.p, gz.len);
	buf_add(b, "garbage!", 8);
	buf_free(&gz);
	buf_free(&tar);
}

/* RFC 8878 3.1.1.1: magic, descriptor, window, dictionary id, content size. */
static size_t zstd_header_size(const unsigned char *p)
{
	static const size_t did[4] = { 0, 1, 2, 4 }, fcs[4] = { 0, 2, 4, 8 };
	unsigned fhd = p[4];
	bool single = fhd & 0x20;

	return 5 + (single ? 0 : 1) + did[fhd & 3] + (fhd >> 6 ? fcs[fhd >> 6] : single);
}

/* A zstd frame with a corrupted block header. */
static void b_zstd_corrupt(struct buf *b, const struct scratch *s)
{
	struct buf tar = { 0 }, z;

	(void)s;
	big_init();
	ustar_file(&tar, "f", big, 40000);
	ustar_end(&tar);
	z = zstd_of(tar.p, tar.len);
	/* the first block header follows the frame header: make its type
	 * "reserved" (3) */
	z.p[zstd_header_size(z.p)] |= 0x06;
	buf_add(b, z.p, z.len);
	buf_free(&z);
	buf_free(&tar);
}

static void b_zstd_truncated(struct buf *b, const struct scratch *s)
{
	struct buf tar = { 0 }, z;

	(void)s;
	big_init();
	ustar_file(&tar, "f", big, 40000);
	ustar_end(&tar);
	z = zstd_of(tar.p, tar.len);
	buf_add(b, z.p, z.len / 2);
	buf_free(&z);
	buf_free(&tar);
}

static void b_tar_truncated(struct buf *b, const struct scratch *s)
{
	(void)s;
	big_init();
	ustar_hdr(b, "f", '0', NULL, 5000, 0, 0);
	buf_add(b, big, 1000);
}

static void b_not_tar(struct buf *b, const struct scratch *s)
{
	(void)s;
	big_init();
	buf_add(b, big, 2048);
}

static const struct bad bads[] = {
	{ "dotdot",
	  b_dotdot,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"../x\": name has a \"..\" component" },
	{ "absolute", b_abs, PD_COMP_NONE, { 0 }, NULL, PFX "entry \"/abs\": name is absolute" },
	{ "dotdot-deep",
	  b_dotdot_deep,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"a/../../sentinel/keep\": name has a \"..\" component" },
	{ "dotdot-mid",
	  b_dotdot_mid,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"a/../../x\": name has a \"..\" component" },
	{ "empty-component",
	  b_empty_component,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"a//b\": name has an empty component" },
	{ "empty-name", b_empty_name, PD_COMP_NONE, { 0 }, NULL, PFX "entry \"\": name is empty" },
	{ "symlink-write",
	  b_symlink_write,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"l/pwn\": parent \"l\" is a symbolic link" },
	{ "symlink-rel-write",
	  b_symlink_rel_write,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"l/keep\": parent \"l\" is a symbolic link" },
	{ "symlink-tmp",
	  b_symlink_tmp,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"l/pwn\": parent \"l\" is a symbolic link" },
	{ "symlink-deep-write",
	  b_symlink_deep_write,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"d/l/sentinel/sub/\": parent \"d/l\" is a symbolic link" },
	{ "symlink-whiteout",
	  b_symlink_whiteout,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"l/.wh.keep\": parent \"l\" is a symbolic link" },
	{ "symlink-opaque",
	  b_symlink_opaque,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"l/.wh..wh..opq\": parent \"l\" is a symbolic link" },
	{ "symlink-hardlink",
	  b_symlink_hardlink,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"h\": hard link target \"up/sentinel/keep\": parent \"up\" is a symbolic "
	      "link" },
	{ "hardlink-dotdot",
	  b_hardlink_dotdot,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"h\": hard link target \"../sentinel/keep\": name has a \"..\" component" },
	{ "hardlink-abs", b_hardlink_abs, PD_COMP_NONE, { 0 }, NULL, NULL /* built below */ },
	{ "hardlink-symlink",
	  b_hardlink_symlink,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"h\": hard link target \"s\" is a symbolic link" },
	{ "hardlink-dir",
	  b_hardlink_dir,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"h\": hard link target \"d\" is a directory" },
	{ "hardlink-missing",
	  b_hardlink_missing,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"h\": hard link target \"nope\" does not exist" },
	{ "hardlink-fifo",
	  b_hardlink_fifo,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"h\": hard link target \"p\" is not a regular file" },
	{ "hardlink-self",
	  b_hardlink_self,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"f\": hard link to itself" },
	{ "whiteout-parent",
	  b_wh_parent,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"a/.wh...\": whiteout of \"..\"" },
	{ "whiteout-dot",
	  b_wh_dot,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"a/.wh..\": whiteout of \".\"" },
	{ "whiteout-empty",
	  b_wh_empty,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"a/.wh.\": whiteout of an empty name" },
	{ "whiteout-dir",
	  b_wh_dir,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \".wh.x/y\": a whiteout name (\".wh.\") is used as a directory" },
	{ "file-parent",
	  b_file_parent,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"f/x\": parent \"f\" is not a directory" },
	{ "entries",
	  b_small_files,
	  PD_COMP_NONE,
	  { .max_entries = 3 },
	  NULL,
	  PFX "entry \"f4\": more than 3 entries (the max_entries limit)" },
	{ "entries-hint",
	  b_small_files,
	  PD_COMP_NONE,
	  { .max_entries = 2 },
	  "raise it with --layer-limit",
	  PFX
	  "entry \"f3\": more than 2 entries (the max_entries limit); raise it with --layer-limit" },
	{ "depth",
	  b_deep,
	  PD_COMP_NONE,
	  { .max_depth = 3 },
	  NULL,
	  PFX "entry \"a/b/c/d\": name deeper than 3 components (the max_depth limit)" },
	{ "uid",
	  b_uid,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"f\": uid 70000 is above 65535, the highest id allowed" },
	{ "gid",
	  b_gid,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"g\": gid 65536 is above 65535, the highest id allowed" },
	{ "file-size",
	  b_big_file,
	  PD_COMP_NONE,
	  { .max_bytes = 1 << 20 },
	  NULL,
	  PFX "entry \"big\": larger than 1048576 bytes (the max_bytes limit)" },
	{ "stream-size",
	  b_big_file,
	  PD_COMP_NONE,
	  { .max_bytes = 3 << 20 },
	  NULL,
	  PFX "entry \"big\": larger than 3145728 bytes uncompressed (the max_bytes limit)" },
	{ "bomb",
	  b_bomb,
	  PD_COMP_GZIP,
	  { .ratio_floor = 1 << 20 },
	  NULL,
	  PFX "entry \"zeros\": expands more than 100:1 past 1048576 bytes (the ratio limit): a "
	      "decompression bomb?" },
	{ "gzip-truncated",
	  b_gzip_truncated,
	  PD_COMP_GZIP,
	  { 0 },
	  NULL,
	  PFX "gzip stream truncated" },
	{ "gzip-garbage",
	  b_gzip_garbage,
	  PD_COMP_AUTO,
	  { 0 },
	  NULL,
	  PFX "corrupt gzip stream: incorrect header check" },
	{ "gzip-not",
	  b_dotdot,
	  PD_COMP_GZIP,
	  { 0 },
	  NULL,
	  PFX "corrupt gzip stream: incorrect header check" },
	{ "zstd-corrupt",
	  b_zstd_corrupt,
	  PD_COMP_ZSTD,
	  { 0 },
	  NULL,
	  PFX "corrupt zstd stream: Data corruption detected" },
	{ "zstd-truncated",
	  b_zstd_truncated,
	  PD_COMP_AUTO,
	  { 0 },
	  NULL,
	  PFX "zstd stream truncated" },
	{ "tar-truncated",
	  b_tar_truncated,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "entry \"f\": corrupt tar stream: Truncated tar archive" },
	{ "not-tar",
	  b_not_tar,
	  PD_COMP_NONE,
	  { 0 },
	  NULL,
	  PFX "corrupt tar stream: Unrecognized archive format" },
};

START_TEST(test_refused)
{
	const struct bad *t = &bads[_i];
	struct pd_unpack_opts o = opts();
	struct pd_unpack_result res;
	struct pd_error e = { 0 };
	struct buf b = { 0 };
	cleanup_free char *want = NULL;
	struct scratch s;
	int r;

	scratch_new(&s);
	t->build(&b, &s);
	o.lim = t->lim;
	o.limit_hint = t->hint;
	want = t->msg ? pd_xstrdup(t->msg)
		      : pd_xasprintf(PFX "entry \"h\": hard link target \"%s\": name is absolute",
				     s.sentinel);
	r = unpack_buf(&s, &b, t->comp, &o, &res, &e);
	ck_assert_msg(r == -1, "%s: expected a refusal, got %d", t->what, r);
	ck_assert_msg(!strcmp(e.msg, want), "%s: expected \"%s\", got \"%s\"", t->what, want,
		      e.msg);
	expect_outside_unchanged(&s);
	scratch_free(&s);
	buf_free(&b);
}
END_TEST

START_TEST(test_not_empty)
{
	struct pd_unpack_opts o = opts();
	struct pd_unpack_result res;
	struct pd_error e = { 0 };
	struct buf b = { 0 };
	struct scratch s;
	cleanup_free char *p = NULL;

	scratch_new(&s);
	p = lpath(&s, "x");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ustar_file(&b, "f", "f", 1);
	ustar_end(&b);
	ck_assert_int_eq(unpack_buf(&s, &b, PD_COMP_NONE, &o, &res, &e), -1);
	EXPECT_STR(e.msg, PFX "the layer directory is not empty");
	scratch_free(&s);
	buf_free(&b);
}
END_TEST

/* Replacing a symlink (to outside) by a file or a directory replaces the link only. */
START_TEST(test_replace_symlink)
{
	struct pd_unpack_opts o = opts();
	struct pd_unpack_result res;
	struct pd_error e = { 0 };
	struct buf b = { 0 };
	struct scratch s;
	cleanup_free char *keep = NULL;

	scratch_new(&s);
	keep = join(s.sentinel, "keep");
	ustar_hdr(&b, "l", '2', keep, 0, 0, 0);
	ustar_file(&b, "l", "mine", 4);
	ustar_hdr(&b, "m", '2', s.sentinel, 0, 0, 0);
	ustar_hdr(&b, "m/", '5', NULL, 0, 0, 0);
	ustar_hdr(&b, "k", '2', keep, 0, 0, 0);
	ustar_file(&b, ".wh.k", NULL, 0);
	ustar_hdr(&b, "n", '2', s.sentinel, 0, 0, 0);
	ustar_hdr(&b, "n2", '1', "n", 0, 0, 0); /* a hard link to a symlink: refused */
	ustar_end(&b);
	ck_assert_int_eq(unpack_buf(&s, &b, PD_COMP_NONE, &o, &res, &e), -1);
	EXPECT_STR(e.msg, PFX "entry \"n2\": hard link target \"n\" is a symbolic link");
	expect_content(&s, "l", "mine", 4);
	ck_assert(S_ISDIR(lst(&s, "m").st_mode));
	ck_assert(S_ISLNK(lst(&s, "k").st_mode)); /* a whiteout hides lower layers only */
	expect_outside_unchanged(&s);
	scratch_free(&s);
	buf_free(&b);
}
END_TEST

/* rootless = true outside a user namespace: devices skipped, counted, one note. */
struct notes {
	char line[4][256];
	int n;
};

static void note_sink(const char *line, void *data)
{
	struct notes *c = data;

	if (c->n < 4)
		snprintf(c->line[c->n], sizeof(c->line[0]), "%s", line);
	c->n++;
}

START_TEST(test_rootless_devices_skipped)
{
	struct pd_unpack_opts o = opts();
	struct pd_unpack_result res;
	struct pd_error e = { 0 };
	struct notes c = { .n = 0 };
	struct buf b = { 0 };
	struct scratch s;

	if (!is_root())
		return;
	ustar_hdr(&b, "dev/null", '3', NULL, 0, 0, 0);
	ustar_hdr(&b, "dev/sda", '4', NULL, 0, 0, 0);
	ustar_hdr(&b, "p", '6', NULL, 0, 0, 0);
	ustar_hdr(&b, "wo", '3', NULL, 0, 0, 0); /* 0/0: overlayfs's whiteout, kept */
	ustar_end(&b);
	/* the headers above have no device numbers: give dev/null 1,3 */
	snprintf((char *)b.p + 329, 8, "%07o", 1);
	snprintf((char *)b.p + 337, 8, "%07o", 3);
	{
		unsigned sum = 0;

		memset(b.p + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += b.p[i];
		snprintf((char *)b.p + 148, 8, "%06o", sum);
		b.p[155] = ' ';
	}
	scratch_new(&s);
	o.rootless = true;
	o.layer_name = "sha256:rootless-note";
	pd_log_set_sink(note_sink, &c);
	ck_assert_msg(unpack_buf(&s, &b, PD_COMP_NONE, &o, &res, &e) == 0, "%s", e.msg);
	pd_log_set_sink(NULL, NULL);
	EXPECT_UINT(res.skipped_devices, 2);
	expect_absent(&s, "dev/null");
	expect_absent(&s, "dev/sda");
	expect_node(&s, "p", S_IFIFO, 0644, 0, 0);
	expect_whiteout(&s, "wo", 0);
	ck_assert_msg(c.n == 1, "expected one note, got %d", c.n);
	EXPECT_STR(c.line[0],
		   "layer sha256:rootless-note: 2 device nodes not created: a user "
		   "namespace cannot make them");
	scratch_free(&s);
	buf_free(&b);
}
END_TEST

/* ---- rootless: in a user namespace ---- */

#define SUB 100000u

struct child_report {
	int r;
	struct pd_unpack_result res;
	struct pd_error err;
	int overlay; /* overlay_checks() in the user namespace */
};

static void write_map(pid_t pid, const char *file, const char *map)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s: %s", path, pd_strerror(errno));
	ck_assert_msg(pd_write_all(fd, map, strlen(map)) == 0, "write %s \"%s\": %s", path, map,
		      pd_strerror(errno));
	close(fd);
}

/*
 * Unpack @b into s->layer from a child in a new user namespace mapped with
 * @map (uid and gid), as its root; then mount the result over @lower
 * there (when not NULL).  The report comes back through a pipe.
 */
static struct child_report unpack_in_userns(const struct scratch *s, const struct buf *b,
					    const struct pd_unpack_opts *o, const char *map,
					    const char *lower)
{
	struct child_report rep;
	int go[2], back[2], status;
	int src = stream_fd(b);
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(back, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		memset(&rep, 0, sizeof(rep));
		close(go[1]);
		close(back[0]);
		pd_log_quiet(1);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(90);
		if (write(back[1], "u", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(91);
		if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			_exit(92);
		rep.r = pd_unpack_layer(src, PD_COMP_AUTO, s->layer, o, &rep.res, &rep.err);
		rep.overlay = rep.r == 0 && lower ? overlay_checks(s->layer_path, lower) : -1;
		if (write(back[1], &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			_exit(93);
		_exit(0);
	}
	close(go[0]);
	close(back[1]);
	ck_assert_int_eq(read(back[0], &c, 1), 1);
	write_map(pid, "uid_map", map);
	write_map(pid, "gid_map", map);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	close(go[1]);
	ck_assert_int_eq(read(back[0], &rep, sizeof(rep)), (ssize_t)sizeof(rep));
	close(back[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	close(src);
	return rep;
}

START_TEST(test_rootless_range)
{
	struct pd_unpack_opts o = opts();
	struct child_report rep;
	struct buf tar, wh;
	struct scratch s;
	cleanup_free char *lower = NULL;
	unsigned n;
	char want[72];

	if (!is_root())
		return;
	tar = roundtrip_tar(&n, true);
	sha256_hex(tar.p, tar.len, want);
	o.rootless = true;
	scratch_new(&s);
	ck_assert_int_eq(chown(s.layer_path, SUB, SUB), 0);
	rep = unpack_in_userns(&s, &tar, &o, "0 100000 65536", NULL);
	ck_assert_msg(rep.r == 0, "unpack in the user namespace: %s", rep.err.msg);
	EXPECT_STR(rep.res.diff_id, want);
	EXPECT_UINT(rep.res.entries, n);
	EXPECT_UINT(rep.res.skipped_devices, 2);
	expect_absent(&s, "dev"); /* its only entries were skipped */
	expect_node(&s, "d", S_IFDIR, 0750, SUB + 1, SUB + 2);
	expect_node(&s, "d/f", S_IFREG, 0644, SUB + 1000, SUB + 1000);
	expect_xattr(&s, "d/f", "user.test", "v", 1);
	expect_node(&s, "suid", S_IFREG, 04755, SUB, SUB);
	expect_node(&s, "sgid", S_IFREG, 02710, SUB, SUB + 50);
	expect_node(&s, "d/l", S_IFLNK, 0, SUB + 5, SUB + 6);
	expect_node(&s, "p", S_IFIFO, 0640, SUB + 7, SUB + 8);
	expect_content(&s, "big", big, sizeof(big));
	expect_mtime(&s, "d", 2000, 0);
	expect_outside_unchanged(&s);
	scratch_free(&s);

	/* whiteouts made in the user namespace, and overlayfs mounted there */
	wh = whiteout_tar();
	scratch_new(&s);
	ck_assert_int_eq(chown(s.layer_path, SUB, SUB), 0);
	lower = make_lower(&s);
	/* the namespace's root opens the layers by path: let it through TMP */
	ck_assert_int_eq(chmod(s.tmp, 0711), 0);
	snapshot(&s, &s.snap);
	rep = unpack_in_userns(&s, &wh, &o, "0 100000 65536", lower);
	ck_assert_msg(rep.r == 0, "whiteouts in the user namespace: %s", rep.err.msg);
	check_whiteouts(&s, SUB);
	ck_assert_msg(rep.overlay == 0, "overlay in the user namespace: %s (%d)",
		      overlay_check_name(rep.overlay), rep.overlay);
	expect_outside_unchanged(&s);
	scratch_free(&s);
	buf_free(&tar);
	buf_free(&wh);
}
END_TEST

START_TEST(test_rootless_single)
{
	struct pd_unpack_opts o = opts();
	struct child_report rep;
	struct buf tar;
	struct scratch s;
	unsigned n;

	if (!is_root())
		return;
	tar = roundtrip_tar(&n, true);
	o.rootless = true;
	o.squash_ids = true;
	scratch_new(&s);
	ck_assert_int_eq(chown(s.layer_path, SUB, SUB), 0);
	rep = unpack_in_userns(&s, &tar, &o, "0 100000 1", NULL);
	ck_assert_msg(rep.r == 0, "unpack with one id: %s", rep.err.msg);
	EXPECT_UINT(rep.res.skipped_devices, 2);
	expect_node(&s, "d", S_IFDIR, 0750, SUB, SUB);
	expect_node(&s, "d/f", S_IFREG, 0644, SUB, SUB);
	expect_node(&s, "suid", S_IFREG, 04755, SUB, SUB);
	expect_node(&s, "sgid", S_IFREG, 02710, SUB, SUB);
	expect_node(&s, "d/l", S_IFLNK, 0, SUB, SUB);
	expect_outside_unchanged(&s);
	scratch_free(&s);

	/* without squashing, an id the namespace lacks fails naming the entry */
	o.squash_ids = false;
	scratch_new(&s);
	ck_assert_int_eq(chown(s.layer_path, SUB, SUB), 0);
	rep = unpack_in_userns(&s, &tar, &o, "0 100000 1", NULL);
	ck_assert_int_eq(rep.r, -1);
	EXPECT_STR(rep.err.msg, PFX "entry \"d/\": chown to 1:2: Invalid argument");
	expect_outside_unchanged(&s);
	scratch_free(&s);
	buf_free(&tar);
}
END_TEST

/* ---- names ---- */

START_TEST(test_path_parse)
{
	static const struct {
		const char *in;
		enum pd_unpack_path_error err;
		const char *path;
		enum pd_unpack_kind kind;
		unsigned depth;
		size_t parent_len;
	} cases[] = {
		{ "./etc/passwd", PD_UNPACK_PATH_OK, "etc/passwd", PD_UNPACK_PLAIN, 2, 3 },
		{ "etc/", PD_UNPACK_PATH_OK, "etc", PD_UNPACK_PLAIN, 1, 0 },
		{ "./", PD_UNPACK_PATH_OK, "", PD_UNPACK_PLAIN, 0, 0 },
		{ ".", PD_UNPACK_PATH_OK, "", PD_UNPACK_PLAIN, 0, 0 },
		{ "a/./b/.", PD_UNPACK_PATH_OK, "a/b", PD_UNPACK_PLAIN, 2, 1 },
		{ "a/.wh.b", PD_UNPACK_PATH_OK, "a/.wh.b", PD_UNPACK_WHITEOUT, 2, 1 },
		{ "a/.wh..wh..opq", PD_UNPACK_PATH_OK, "a/.wh..wh..opq", PD_UNPACK_OPAQUE, 2, 1 },
		{ ".wh..wh.plnk", PD_UNPACK_PATH_OK, ".wh..wh.plnk", PD_UNPACK_META, 1, 0 },
		{ "..a/b..", PD_UNPACK_PATH_OK, "..a/b..", PD_UNPACK_PLAIN, 2, 3 },
		{ "", PD_UNPACK_PATH_EMPTY, "", PD_UNPACK_PLAIN, 0, 0 },
		{ "/", PD_UNPACK_PATH_ABSOLUTE, "", PD_UNPACK_PLAIN, 0, 0 },
		{ "..", PD_UNPACK_PATH_DOTDOT, "", PD_UNPACK_PLAIN, 0, 0 },
		{ "a/..", PD_UNPACK_PATH_DOTDOT, "", PD_UNPACK_PLAIN, 0, 0 },
		{ "a//", PD_UNPACK_PATH_EMPTY_COMPONENT, "", PD_UNPACK_PLAIN, 0, 0 },
		{ ".//a", PD_UNPACK_PATH_EMPTY_COMPONENT, "", PD_UNPACK_PLAIN, 0, 0 },
		{ "a/b/c/d/e", PD_UNPACK_PATH_TOO_DEEP, "", PD_UNPACK_PLAIN, 0, 0 },
		{ "./a/./b/./c/./d", PD_UNPACK_PATH_OK, "a/b/c/d", PD_UNPACK_PLAIN, 4, 5 },
		{ "a/.wh.", PD_UNPACK_PATH_WH_EMPTY, "", PD_UNPACK_PLAIN, 0, 0 },
		{ ".wh..", PD_UNPACK_PATH_WH_DOT, "", PD_UNPACK_PLAIN, 0, 0 },
		{ ".wh...", PD_UNPACK_PATH_WH_DOTDOT, "", PD_UNPACK_PLAIN, 0, 0 },
		{ ".wh.a/b", PD_UNPACK_PATH_WH_DIR, "", PD_UNPACK_PLAIN, 0, 0 },
	};
	struct pd_unpack_path *p = pd_xmalloc(sizeof(*p));
	char longname[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum pd_unpack_path_error r =
			pd_unpack_path_parse(cases[i].in, strlen(cases[i].in), 4, p);

		ck_assert_msg(r == cases[i].err, "\"%s\": expected error %d, got %d", cases[i].in,
			      cases[i].err, r);
		if (r != PD_UNPACK_PATH_OK)
			continue;
		ck_assert_msg(!strcmp(p->path, cases[i].path) && p->len == strlen(cases[i].path),
			      "\"%s\": expected \"%s\", got \"%s\"", cases[i].in, cases[i].path,
			      p->path);
		ck_assert_msg(p->kind == cases[i].kind && p->depth == cases[i].depth &&
				      p->parent_len == cases[i].parent_len,
			      "\"%s\": kind %d depth %u parent %zu", cases[i].in, p->kind, p->depth,
			      p->parent_len);
	}
	ck_assert_int_eq(pd_unpack_path_parse("a\0b", 3, 4, p), PD_UNPACK_PATH_NUL);
	ck_assert_int_eq(pd_unpack_path_parse("a/.wh.b", 7, 4, p), PD_UNPACK_PATH_OK);
	EXPECT_STR(p->path + p->target, "b");
	memset(longname, 'n', sizeof(longname));
	ck_assert_int_eq(pd_unpack_path_parse(longname, 256, 4, p), PD_UNPACK_PATH_NAME_TOO_LONG);
	ck_assert_int_eq(pd_unpack_path_parse(longname, 255, 4, p), PD_UNPACK_PATH_OK);
	free(p);
}
END_TEST

static Suite *unpack_suite(void)
{
	Suite *s = suite_create("unpack");
	TCase *tc = tcase_create("unpack");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_path_parse);
	suite_add_tcase(s, tc);
	if (!pd_unit_have_openat2()) {
		fprintf(stderr,
			"note: openat2 unavailable (ENOSYS): unpack tests on it left out\n");
		return s;
	}
	tcase_add_test(tc, test_roundtrip_plain);
	tcase_add_test(tc, test_roundtrip_gzip);
	tcase_add_test(tc, test_roundtrip_zstd);
	tcase_add_test(tc, test_roundtrip_auto);
	tcase_add_test(tc, test_stream_shapes);
	tcase_add_test(tc, test_empty_layer);
	tcase_add_test(tc, test_compressible);
	tcase_add_test(tc, test_sparse_beyond);
	tcase_add_test(tc, test_whiteouts);
	tcase_add_loop_test(tc, test_refused, 0, (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(tc, test_not_empty);
	tcase_add_test(tc, test_replace_symlink);
	tcase_add_test(tc, test_rootless_devices_skipped);
	tcase_add_test(tc, test_rootless_range);
	tcase_add_test(tc, test_rootless_single);
	return s;
}

PD_UNIT_SUITE(unpack_suite);
