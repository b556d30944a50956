/* SPDX-License-Identifier: MIT */
/*
 * save_archive.c - an OCI layout directory written as one tar file
 * (skopeo's oci-archive:), see save_archive.h.
 *
 * The layout is one paude just wrote (oci-layout, index.json,
 * blobs/sha256/HEX), so its shape is known: the tar holds exactly those
 * members, in sorted order, as pax entries owned by 0:0 with mtime 0, so
 * the same image gives the same archive.  It is written to FILE.tmp-XXXX
 * next to FILE and renamed over it only when complete: a failed save
 * leaves FILE as it was.
 */
#include "save_archive.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/lazylib.h"
#include "common/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUF (128 * 1024)

struct out {
	int fd;
	int err; /* errno of a failed write */
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t n)
{
	struct out *o = data;

	(void)a;
	if (pd_write_all(o->fd, buf, n) < 0) {
		o->err = errno;
		return -1;
	}
	return (la_ssize_t)n;
}

static int tar_fail(struct archive *a, const struct out *o, const char *what, struct pd_error *err)
{
	if (o->err)
		return pd_error_set(err, o->err, "write %s", what);
	return pd_error_set_msg(err, EIO, "write %s: %s", what,
				archive_error_string(a) ? archive_error_string(a) : "libarchive");
}

/* One member: a directory (@fd < 0) or the regular file open at @fd. */
static int add(struct archive *a, const struct out *o, const char *name, int fd, char *buf,
	       struct pd_error *err)
{
	struct archive_entry *e = archive_entry_new();
	struct stat st = { 0 };
	int r = -1;

	if (fd >= 0 && fstat(fd, &st) < 0) {
		pd_error_set(err, errno, "%s", name);
		goto out;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, fd >= 0 ? AE_IFREG : AE_IFDIR);
	archive_entry_set_perm(e, fd >= 0 ? 0644 : 0755);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_size(e, fd >= 0 ? st.st_size : 0);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		tar_fail(a, o, name, err);
		goto out;
	}
	for (off_t done = 0; fd >= 0 && done < st.st_size;) {
		ssize_t n = read(fd, buf, BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			pd_error_set(err, n < 0 ? errno : EIO, "read %s", name);
			goto out;
		}
		if (archive_write_data(a, buf, (size_t)n) != n) {
			tar_fail(a, o, name, err);
			goto out;
		}
		done += n;
	}
	r = 0;
out:
	archive_entry_free(e);
	return r;
}

static int add_file(struct archive *a, const struct out *o, int dirfd, const char *rel,
		    const char *name, char *buf, struct pd_error *err)
{
	cleanup_close int fd = openat(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return pd_error_set(err, errno, "open %s", name);
	return add(a, o, name, fd, buf, err);
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Every blob name under blobs/sha256, sorted. */
static int blob_names(int dfd, char ***out, size_t *n, struct pd_error *err)
{
	int bfd = openat(dfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;

	*out = NULL;
	*n = 0;
	if (bfd < 0)
		return pd_error_set(err, errno, "open blobs/sha256");
	d = fdopendir(bfd);
	if (!d) {
		close(bfd);
		return pd_error_set(err, errno, "read blobs/sha256");
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			pd_strv_push(out, de->d_name);
			(*n)++;
		}
	if (*n)
		qsort(*out, *n, sizeof(char *), cmp_names);
	return 0;
}

int pd_save_tar_layout(int dfd, const char *path, struct pd_error *err)
{
	cleanup_strv char **blobs = NULL;
	cleanup_free char *tmp = NULL, *buf = NULL;
	struct out o = { .fd = -1 };
	struct archive *a = NULL;
	size_t n = 0;
	int r = -1;

	if (pd_lazy_archive(err) < 0 || blob_names(dfd, &blobs, &n, err) < 0)
		return -1;
	tmp = pd_xasprintf("%s.tmp-XXXXXX", path);
	o.fd = mkostemp(tmp, O_CLOEXEC);
	if (o.fd < 0)
		return pd_error_set(err, errno, "create \"%s\"", tmp);
	buf = pd_xmalloc(BUF);
	a = archive_write_new();
	if (!a || archive_write_set_format_pax(a) != ARCHIVE_OK ||
	    archive_write_open(a, &o, NULL, write_cb, NULL) != ARCHIVE_OK) {
		tar_fail(a, &o, path, err);
		goto out;
	}
	if (add_file(a, &o, dfd, "oci-layout", "oci-layout", buf, err) < 0 ||
	    add_file(a, &o, dfd, "index.json", "index.json", buf, err) < 0 ||
	    add(a, &o, "blobs/", -1, buf, err) < 0 || add(a, &o, "blobs/sha256/", -1, buf, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *rel = pd_xasprintf("blobs/sha256/%s", blobs[i]);

		if (add_file(a, &o, dfd, rel, rel, buf, err) < 0)
			goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		tar_fail(a, &o, path, err);
		goto out;
	}
	if (fsync(o.fd) < 0 || rename(tmp, path) < 0) {
		pd_error_set(err, errno, "write \"%s\"", path);
		goto out;
	}
	r = 0;
out:
	if (a)
		archive_write_free(a);
	close(o.fd);
	if (r < 0)
		(void)unlink(tmp);
	return r;
}
