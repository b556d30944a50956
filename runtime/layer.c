/* SPDX-License-Identifier: MIT */
/*
 * layer.c - a persistent writable layer: a host directory whose upper/ and
 * work/ outlive the sandbox, for the next one started on it.
 *
 * The layer's directory is the caller's, mode 0700: nobody else on the host
 * reaches what the sandbox wrote.  In it, layer/ (holding upper/ and work/,
 * which overlayfs wants on one mount) belongs to the sandbox's root in its
 * own id range (as root: the range's first id, never host uid 0; rootless:
 * the user, who is the sandbox's root), and is bound into the sandbox
 * without an idmap, so what container ids write lands on disk as
 * their ids in that range and nothing lands as host root.  Removing it needs
 * those ids too: pd_layer_remove() does it from a helper in a user namespace
 * of the same mapping.
 */
#include "sandbox.h"
#include "common/cleanup.h"
#include "common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int layer_subdir(int dir, const char *name, mode_t mode, const struct pd_idmap_plan *ids,
			struct pd_error *err)
{
	struct stat st;

	if (mkdirat(dir, name, mode) < 0 && errno != EEXIST)
		return pd_error_set(err, errno, "mkdir \"%s\"", name);
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return pd_error_set(err, errno, "\"%s\"", name);
	if (!S_ISDIR(st.st_mode))
		return pd_error_set_msg(err, ENOTDIR, "\"%s\" is not a directory", name);
	/* The sandbox's root owns it, in its own range (rootless: the user). */
	if (ids->mode == PD_IDMAP_ROOT &&
	    (st.st_uid != ids->uid[0].outside || st.st_gid != ids->gid[0].outside) &&
	    fchownat(dir, name, ids->uid[0].outside, ids->gid[0].outside, AT_SYMLINK_NOFOLLOW) < 0)
		return pd_error_set(err, errno, "chown \"%s\" to the sandbox's root", name);
	return 0;
}

int pd_layer_prepare(const char *path, const struct pd_idmap_plan *ids, struct pd_error *err)
{
	cleanup_close int dir = -1, sub = -1;
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return pd_error_set(err, errno, "writable layer \"%s\": mkdir", path);
	dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0 || fstat(dir, &st) < 0)
		return pd_error_set(err, errno, "writable layer \"%s\"", path);
	if (st.st_uid != getuid())
		return pd_error_set_msg(err, EPERM,
					"writable layer \"%s\" belongs to uid %u, not to "
					"the caller",
					path, (unsigned)st.st_uid);
	if ((st.st_mode & 07777) != 0700 && fchmod(dir, 0700) < 0)
		return pd_error_set(err, errno, "writable layer \"%s\": chmod 0700", path);
	if (layer_subdir(dir, "layer", 0700, ids, err) < 0)
		return pd_error_wrap(err, "writable layer \"%s\"", path);
	sub = openat(dir, "layer", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return pd_error_set(err, errno, "writable layer \"%s\": layer/", path);
	if (layer_subdir(sub, "upper", 0755, ids, err) < 0 ||
	    layer_subdir(sub, "work", 0700, ids, err) < 0)
		return pd_error_wrap(err, "writable layer \"%s\"", path);
	return 0;
}

struct removal {
	const char *path;
};

static int remove_cb(void *data, struct pd_error *err)
{
	const struct removal *r = data;

	return pd_remove_tree(AT_FDCWD, r->path, err);
}

int pd_layer_remove(const char *path, const struct pd_idmap_plan *ids, struct pd_error *err)
{
	struct removal r = { .path = path };
	struct stat st;

	if (path[0] != '/')
		return pd_error_set_msg(err, EINVAL, "writable layer \"%s\": not an absolute path",
					path);
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : pd_error_set(err, errno, "writable layer \"%s\"", path);
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid())
		return pd_error_set_msg(err, EPERM,
					"writable layer \"%s\" is not a directory of the "
					"caller's: not removed",
					path);
	if (ids->mode == PD_IDMAP_ROOT)
		return pd_remove_tree(AT_FDCWD, path, err) < 0
			       ? pd_error_wrap(err, "writable layer \"%s\"", path)
			       : 0;
	/* Rootless: files of subordinate ids are only the user's inside. */
	if (pd_userns_helper_plan(ids, remove_cb, &r, err) < 0)
		return pd_error_wrap(err, "writable layer \"%s\"", path);
	return 0;
}
