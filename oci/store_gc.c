/* SPDX-License-Identifier: MIT */
/*
 * store_gc.c - what lets `paude image prune` collect the store safely: the
 * gc lock, layer holds, and listings (see store.h, "Collection").
 *
 * The gc lock is flock(2) on locks/gc.lock: shared for every user of
 * blobs and layers, exclusive for prune.  A layer hold is a shared flock on
 * the layer's own directory, taken by a run once its image is resolved (and
 * still under the shared gc lock, so prune cannot slip in between) and
 * dropped only when the sandbox ends; prune tests it with a non-blocking
 * exclusive flock while it holds the gc lock exclusively, so no new hold
 * can start meanwhile.  An image hold is the same on locks/image-HEX.lock,
 * not on the record itself: a pull of the same image again replaces the
 * record (a rename, a new inode), and the hold must outlive that.
 */
#include "store.h"
#include "store_int.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int flock_retry(int fd, int op)
{
	int r;

	while ((r = flock(fd, op)) < 0 && errno == EINTR)
		;
	return r;
}

int pd_store_gc_lock(struct pd_store *s, bool exclusive, struct pd_error *err)
{
	int fd = openat(s->fd, "locks/gc.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return pd_error_set(err, errno, "store: the gc lock");
	if (flock_retry(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		pd_error_set(err, errno, "store: the gc lock");
		close(fd);
		return -1;
	}
	return fd;
}

static int layer_open(struct pd_store *s, const char *hex)
{
	char rel[96];

	snprintf(rel, sizeof(rel), "layers/%s", hex);
	return openat(s->fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int pd_store_layer_hold(struct pd_store *s, const char *diff_id, struct pd_error *err)
{
	const char *hex = pd_store_hex(diff_id);
	int fd = hex ? layer_open(s, hex) : -1;

	if (fd < 0)
		return pd_error_set(err, hex ? errno : EINVAL, "layer %s", diff_id);
	if (flock_retry(fd, LOCK_SH) < 0) {
		pd_error_set(err, errno, "hold layer %s", diff_id);
		close(fd);
		return -1;
	}
	return fd;
}

/* The image's hold file, locks/image-HEX.lock (made when @create). */
static int image_lock_open(struct pd_store *s, const char *manifest, bool create)
{
	const char *hex = pd_store_hex(manifest);
	char rel[96];

	if (!hex) {
		errno = EINVAL;
		return -1;
	}
	snprintf(rel, sizeof(rel), "locks/image-%s.lock", hex);
	return openat(s->fd, rel, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
}

/* Whether @fd is still the file at locks/image-HEX.lock (rmi may have removed it). */
static bool still_linked(struct pd_store *s, const char *manifest, int fd)
{
	struct stat a, b;
	char rel[96];

	snprintf(rel, sizeof(rel), "locks/image-%s.lock", pd_store_hex(manifest));
	return fstat(fd, &a) == 0 && fstatat(s->fd, rel, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int pd_store_image_hold(struct pd_store *s, const char *manifest, struct pd_error *err)
{
	for (int tries = 0; tries < 8; tries++) {
		int fd = image_lock_open(s, manifest, true);

		if (fd < 0)
			return pd_error_set(err, errno, "image %s", manifest);
		if (flock_retry(fd, LOCK_SH) < 0) {
			pd_error_set(err, errno, "hold image %s", manifest);
			close(fd);
			return -1;
		}
		/* held: nobody unlinks it now (that takes it exclusively) */
		if (still_linked(s, manifest, fd))
			return fd;
		close(fd);
	}
	return pd_error_set(err, EAGAIN, "hold image %s: its hold file keeps being replaced",
			    manifest);
}

bool pd_store_image_busy(struct pd_store *s, const char *manifest)
{
	cleanup_close int fd = image_lock_open(s, manifest, false);

	return fd >= 0 && flock_retry(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

void pd_store_image_unhold_file(struct pd_store *s, const char *manifest)
{
	const char *hex = pd_store_hex(manifest);
	cleanup_close int fd = image_lock_open(s, manifest, false);
	char rel[96];

	/* only a hold file nobody holds goes */
	if (!hex || fd < 0 || flock_retry(fd, LOCK_EX | LOCK_NB) < 0)
		return;
	snprintf(rel, sizeof(rel), "locks/image-%s.lock", hex);
	(void)unlinkat(s->fd, rel, 0);
}

bool pd_store_layer_busy(struct pd_store *s, const char *hex)
{
	cleanup_close int fd = layer_open(s, hex);

	/* LOCK_NB: held shared by a sandbox means EWOULDBLOCK */
	return fd >= 0 && flock_retry(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pd_store_list(struct pd_store *s, const char *dir, char ***out, size_t *n, struct pd_error *err)
{
	int fd = openat(s->fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (fd >= 0)
		d = fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return pd_error_set(err, errno, "store: list %s", dir);
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			pd_strv_push(out, e->d_name);
			(*n)++;
		}
	if (*n)
		qsort(*out, *n, sizeof(char *), cmp);
	return 0;
}

int pd_store_blob_remove(struct pd_store *s, const char *hex, struct pd_error *err)
{
	char rel[96];

	snprintf(rel, sizeof(rel), "blobs/sha256/%s", hex);
	if (unlinkat(s->fd, rel, 0) < 0 && errno != ENOENT)
		return pd_error_set(err, errno, "remove blob sha256:%s", hex);
	return 0;
}
