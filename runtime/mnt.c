/* SPDX-License-Identifier: MIT */
#include "mnt.h"
#include "common/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* The kernel logs why fsconfig failed into the fs context: append it. */
static int fs_error(int fsfd, int code, const char *what, const char *step, struct pd_error *err)
{
	char log[256];
	ssize_t n = read(fsfd, log, sizeof(log) - 1);

	if (n > 0) {
		log[n] = '\0';
		log[strcspn(log, "\n")] = '\0';
		return pd_error_set(err, code, "%s: %s (%s)", what, step, log);
	}
	return pd_error_set(err, code, "%s: %s", what, step);
}

int pd_mnt_fs(const char *fstype, const char *const *opts, unsigned int attrs, const char *what,
	      struct pd_error *err)
{
	cleanup_close int fs = fsopen(fstype, FSOPEN_CLOEXEC);
	int m;

	if (fs < 0)
		return pd_error_set(err, errno, "%s: fsopen \"%s\"", what, fstype);
	for (size_t i = 0; opts && opts[i]; i += 2) {
		int r = opts[i + 1] ? fsconfig(fs, FSCONFIG_SET_STRING, opts[i], opts[i + 1], 0)
				    : fsconfig(fs, FSCONFIG_SET_FLAG, opts[i], NULL, 0);

		if (r < 0)
			return fs_error(fs, errno, what, opts[i], err);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_error(fs, errno, what, "create", err);
	m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	if (m < 0)
		return pd_error_set(err, errno, "%s: fsmount", what);
	return m;
}

/*
 * ENOSPC from move_mount or open_tree is not about disk space: the mount
 * namespace would hold more mounts than /proc/sys/fs/mount-max allows (a
 * bind of a tree with very many mounts inside).  Say so.
 */
static int mount_error(int e, const char *step, const char *what, const char *path,
		       struct pd_error *err)
{
	if (e == ENOSPC)
		return pd_error_set_msg(err, ENOSPC,
					"%s %s%s%s%s: too many mounts (the limit of a "
					"mount namespace, /proc/sys/fs/mount-max, would be passed)",
					step, what, path ? " \"" : "", path ? path : "",
					path ? "\"" : "");
	if (path)
		return pd_error_set(err, e, "%s: %s \"%s\"", what, step, path);
	return pd_error_set(err, e, "%s %s", step, what);
}

int pd_mnt_clone(int dirfd, const char *path, bool recursive, const char *what,
		 struct pd_error *err)
{
	unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
	int fd;

	if (!path || !*path)
		flags |= AT_EMPTY_PATH;
	fd = open_tree(dirfd, path ? path : "", flags | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return mount_error(errno, "bind", what, path ? path : "", err);
	/* A clone keeps its source's propagation: make it private, so nothing
	 * mounted on it (or unmounted from it) can reach the host. */
	{
		struct mount_attr a = { .propagation = MS_PRIVATE };

		if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a,
				  sizeof(a)) < 0) {
			int e = errno;

			pd_close(fd);
			return pd_error_set(err, e, "%s: make \"%s\" private", what,
					    path ? path : "");
		}
	}
	return fd;
}

int pd_mnt_setattr(int mntfd, uint64_t set, uint64_t clr, bool recursive, int userns_fd,
		   const char *what, struct pd_error *err)
{
	struct mount_attr a = {
		.attr_set = set,
		.attr_clr = clr,
		.userns_fd = userns_fd >= 0 ? (uint64_t)userns_fd : 0,
	};

	if (mount_setattr(mntfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a,
			  sizeof(a)) < 0)
		return pd_error_set(err, errno, "%s: mount_setattr", what);
	return 0;
}

int pd_mnt_attach(int mntfd, int target_fd, const char *what, struct pd_error *err)
{
	if (move_mount(mntfd, "", target_fd, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return mount_error(errno, "mount", what, NULL, err);
	return 0;
}

int pd_mnt_attach_at(int mntfd, int dirfd, const char *name, const char *what, struct pd_error *err)
{
	if (move_mount(mntfd, "", dirfd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return mount_error(errno, "mount", what, NULL, err);
	return 0;
}
