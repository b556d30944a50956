/* SPDX-License-Identifier: MIT */
/*
 * mounts.c - what goes on top of the root: the image's links and mounts,
 * then the user's volumes and tmpfs, in command-line order.
 *
 * A destination is resolved strictly inside the new root
 * (openat2 RESOLVE_IN_ROOT, so "..", absolute symlinks and magic links stay
 * inside) and created in the writable layer when missing: a directory for a
 * directory or tmpfs, an empty file for a file.  The mount is then attached
 * to that fd.  Binds are recursive, always nosuid,nodev, and read-only
 * recursively when asked; tmpfs is nosuid,nodev and noexec unless asked.
 * Destinations inside /proc, /sys and /dev are refused: they would hide the
 * masks and the device list.
 */
#include "sandbox.h"
#include "mnt.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/path.h"
#include "common/util.h"

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool pd_mounts_user_covers(const struct pd_sandbox_spec *spec, const char *dest)
{
	char clean[4096];

	for (size_t i = 0; i < spec->n_mounts; i++)
		if (pd_path_clean(spec->mounts[i].dest, clean, sizeof(clean)) == 0 &&
		    !strcmp(clean, dest))
			return true;
	return false;
}

/* A destination, cleaned lexically: not "/" and not inside a kernel filesystem. */
static int check_dest(const char *dest, char *clean, size_t sz, struct pd_error *err)
{
	static const char *const kernel[] = { "/proc", "/sys", "/dev" };

	if (pd_path_clean(dest, clean, sz) < 0)
		return pd_error_set(err, errno, "mount destination \"%s\"", dest);
	if (!strcmp(clean, "/"))
		return pd_error_set(err, EINVAL, "mount destination \"%s\" is the root", dest);
	for (size_t i = 0; i < sizeof(kernel) / sizeof(kernel[0]); i++)
		if (pd_path_is_under(clean, kernel[i]))
			return pd_error_set(err, EPERM, "mount destination \"%s\" is inside %s",
					    dest, kernel[i]);
	return 0;
}

/*
 * Mounts placed so far (the sandbox's /tmp, then each image and user mount),
 * by destination, with an fd of each mount's root.  A new destination is
 * resolved beneath the innermost placed mount that lexically encloses it, or
 * beneath the root, and never crosses into any other mount
 * (RESOLVE_NO_XDEV): an image's symlink cannot steer a mount into /proc,
 * /sys, /dev or a volume, nor make paude create directories there.
 */
#define MAX_PLACED 256

void pd_placement_release(struct pd_placement *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		pd_close(pl->p[i].fd);
	free(pl->p);
	pl->p = NULL;
	pl->n = 0;
}

static void place(struct pd_placement *pl, const char *dest, int mnt_fd)
{
	int fd = fcntl(mnt_fd, F_DUPFD_CLOEXEC, 3);
	size_t k = 0;

	/* Mounts the new one covers are out of sight: never a base again. */
	for (size_t i = 0; i < pl->n; i++) {
		if (pd_path_is_under(pl->p[i].dest, dest))
			pd_close(pl->p[i].fd);
		else
			pl->p[k++] = pl->p[i];
	}
	pl->n = k;
	if (fd < 0 || pl->n == MAX_PLACED) {
		pd_close(fd);
		return;
	}
	pl->p = pd_xreallocarray(pl->p, pl->n + 1, sizeof(*pl->p));
	pd_strlcpy(pl->p[pl->n].dest, dest, sizeof(pl->p[pl->n].dest));
	pl->p[pl->n++].fd = fd;
}

/* What applying the mounts works with. */
struct mctx {
	int root; /* the new root */
	const struct pd_sandbox_spec *spec;
	struct pd_sources *sources;
	struct pd_placement *pl;
};

/* The base to resolve @dest from, and @dest relative to it ("/" for itself). */
static int base_for(int root, const struct pd_placement *pl, const char *dest, const char **rel)
{
	size_t best = 0;
	int fd = root;

	*rel = dest;
	for (size_t i = 0; i < pl->n; i++) {
		size_t l = strlen(pl->p[i].dest);

		if (l >= best && pd_path_is_under(dest, pl->p[i].dest)) {
			best = l;
			fd = pl->p[i].fd;
			*rel = dest[l] ? dest + l : "/";
		}
	}
	return fd;
}

static int bind_one(const struct mctx *c, const struct pd_mount *m, const char *dest,
		    size_t src_idx, struct pd_error *err)
{
	cleanup_close int mnt = -1, target = -1;
	struct stat st;
	bool prepared;
	const char *rel;
	int base = base_for(c->root, c->pl, dest, &rel);

	mnt = pd_source_open(c->sources, src_idx, m->source, &prepared, err);
	if (mnt < 0)
		return pd_error_wrap(err, "volume \"%s\"", m->source);
	if (fstat(mnt, &st) < 0)
		return pd_error_set(err, errno, "volume \"%s\"", m->source);
	if (!strcmp(rel, "/") && base != c->root) {
		target = fcntl(base, F_DUPFD_CLOEXEC, 3); /* on top of an earlier mount */
		if (target < 0)
			return pd_error_set(err, errno, "mount destination \"%s\"", dest);
	} else if (S_ISDIR(st.st_mode)) {
		target = pd_mkdirs_in_root_x(base, rel, 0755, RESOLVE_NO_XDEV, "mount destination",
					     err);
	} else {
		target = pd_mkfile_in_root_x(base, rel, 0644, RESOLVE_NO_XDEV, "mount destination",
					     err);
	}
	if (target < 0)
		return rel == dest ? -1 : pd_error_wrap(err, "beneath the mount at \"%s\"", dest);
	if (!prepared && pd_mnt_setattr(mnt, pd_source_attrs(m), 0, true, -1, dest, err) < 0)
		return -1;
	if (pd_mnt_attach(mnt, target, dest, err) < 0)
		return pd_error_wrap(err, "volume \"%s\"", m->source);
	place(c->pl, dest, mnt);
	return 0;
}

static int tmpfs_one(const struct mctx *c, const struct pd_mount *m, const char *dest,
		     struct pd_error *err)
{
	const char *rel;
	int base = base_for(c->root, c->pl, dest, &rel);
	cleanup_close int mnt = -1, target = -1;
	char mode[16];
	const char *opts[8];
	struct pd_tmpfs_cap cap;
	unsigned int attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

	snprintf(mode, sizeof(mode), "%o", m->tmpfs_mode ? m->tmpfs_mode : 01777);
	opts[0] = "mode";
	opts[1] = mode;
	/* Bounded like the writable layer: asked-for size, --memory, defaults. */
	pd_tmpfs_cap(&c->spec->limits, m->tmpfs_size ? strtoull(m->tmpfs_size, NULL, 10) : 0,
		     m->tmpfs_inodes, &cap, opts + 2);
	if (m->noexec)
		attrs |= MOUNT_ATTR_NOEXEC;
	if (m->read_only)
		attrs |= MOUNT_ATTR_RDONLY;
	if (!strcmp(rel, "/") && base != c->root) {
		target = fcntl(base, F_DUPFD_CLOEXEC, 3); /* on top of an earlier mount */
		if (target < 0)
			return pd_error_set(err, errno, "mount destination \"%s\"", dest);
	} else {
		target = pd_mkdirs_in_root_x(base, rel, 0755, RESOLVE_NO_XDEV, "mount destination",
					     err);
	}
	if (target < 0)
		return rel == dest ? -1 : pd_error_wrap(err, "beneath the mount at \"%s\"", dest);
	mnt = pd_mnt_fs("tmpfs", opts, attrs, dest, err);
	if (mnt < 0)
		return -1;
	if (pd_mnt_attach(mnt, target, dest, err) < 0)
		return -1;
	place(c->pl, dest, mnt);
	return 0;
}

static int link_one(int root, const struct pd_symlink *l, struct pd_error *err)
{
	cleanup_free char *dir = NULL;
	cleanup_close int dfd = -1;
	const char *slash = strrchr(l->path, '/');
	const char *name = slash ? slash + 1 : l->path;

	if (!slash || !*name)
		return pd_error_set(err, EINVAL, "symlink \"%s\"", l->path);
	dir = pd_xstrndup(l->path, (size_t)(slash - l->path));
	dfd = pd_mkdirs_in_root(root, *dir ? dir : "/", 0755, "symlink", err);
	if (dfd < 0)
		return -1;
	if (symlinkat(l->target, dfd, name) < 0 && errno != EEXIST)
		return pd_error_set(err, errno, "symlink \"%s\"", l->path);
	return 0;
}

static int apply_list(const struct mctx *c, const struct pd_mount *ms, size_t n, int list,
		      struct pd_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct pd_mount *m = &ms[i];
		char dest[4096];
		int r;

		if (check_dest(m->dest, dest, sizeof(dest), err) < 0)
			return -1;
		switch (m->type) {
		case PD_MOUNT_BIND:
			r = bind_one(c, m, dest, pd_source_index(c->spec, list, i), err);
			break;
		case PD_MOUNT_TMPFS:
			r = tmpfs_one(c, m, dest, err);
			break;
		default:
			r = pd_error_set(err, EINVAL, "mount \"%s\": unknown type", m->dest);
			break;
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

int pd_mounts_apply(int root_fd, const struct pd_sandbox_spec *spec, struct pd_sources *sources,
		    int tmp_mnt_fd, struct pd_placement *placed, struct pd_error *err)
{
	const struct mctx c = { .root = root_fd, .spec = spec, .sources = sources, .pl = placed };
	int r = 0;

	if (tmp_mnt_fd >= 0) {
		place(placed, "/tmp", tmp_mnt_fd); /* a copy of it */
		pd_close(tmp_mnt_fd);
	}
	for (size_t i = 0; i < spec->rootfs.n_links && r == 0; i++)
		r = link_one(root_fd, &spec->rootfs.links[i], err);
	if (r == 0)
		r = apply_list(&c, spec->rootfs.mounts, spec->rootfs.n_mounts, PD_SRC_IMAGE, err);
	if (r == 0)
		r = apply_list(&c, spec->mounts, spec->n_mounts, PD_SRC_USER, err);
	return r;
}

int pd_mounts_mkdir(int root_fd, const struct pd_placement *placed, const char *path,
		    struct pd_error *err)
{
	char clean[4096];
	const char *rel;
	int base;

	if (pd_path_clean(path, clean, sizeof(clean)) < 0)
		return pd_error_set(err, errno, "\"%s\"", path);
	base = base_for(root_fd, placed, clean, &rel);
	if (!strcmp(rel, "/"))
		return fcntl(base, F_DUPFD_CLOEXEC, 3);
	return pd_mkdirs_in_root_x(base, rel, 0755, RESOLVE_NO_XDEV, "working directory", err);
}
