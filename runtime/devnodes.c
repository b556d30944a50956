/* SPDX-License-Identifier: MIT */
/*
 * devnodes.c - device nodes and masks that belong to the sandbox alone.
 *
 * A user namespace cannot make device nodes, and a bind of the host's
 * /dev/null shares the host's inode: inotify inside would see every host
 * process that opens it, and a mask made of it is a devtmpfs mount.  So:
 *  - as root, paude (still on the host, with CAP_MKNOD) makes a tiny tmpfs
 *    of its own, outside any user namespace, holds null, zero, full, random,
 *    urandom and tty in it, owned by the sandbox's root, and passes the
 *    detached mount to the sandbox (pd_devnodes_make);  the sandbox binds
 *    its nodes into /dev (dev.c).  Rootless, the host's nodes are bound: a
 *    user cannot make nodes anywhere (docs/ISOLATION.md says what that shares);
 *  - a masked file of /proc or /sys is covered by an empty, read-only file,
 *    a masked directory by an empty, read-only directory, both on one private
 *    nodev,nosuid,noexec tmpfs of one page that holds nothing else
 *    (pd_masks_prepare).
 */
#include "sandbox.h"
#include "mnt.h"
#include "common/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

const struct pd_devnode pd_devnodes[PD_N_DEVNODES] = {
	{ "null", 1, 3 },   { "zero", 1, 5 },    { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

int pd_devnodes_make(uid_t owner, gid_t group, struct pd_error *err)
{
	static const char *const opts[] = { "mode", "0755", "size", "4k", "nr_inodes", "16", NULL };
	cleanup_close int m = -1;

	m = pd_mnt_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, "device nodes", err);
	if (m < 0)
		return -1;
	for (size_t i = 0; i < PD_N_DEVNODES; i++) {
		const struct pd_devnode *d = &pd_devnodes[i];

		if (mknodat(m, d->name, S_IFCHR | 0666, makedev(d->major, d->minor)) < 0)
			return pd_error_set(err, errno, "make device node \"%s\"", d->name);
		/* mknod obeys the umask: the mode is set again. */
		if (fchmodat(m, d->name, 0666, 0) < 0 ||
		    fchownat(m, d->name, owner, group, AT_SYMLINK_NOFOLLOW) < 0)
			return pd_error_set(err, errno, "device node \"%s\"", d->name);
	}
	if (pd_mnt_setattr(m, MOUNT_ATTR_RDONLY, 0, false, -1, "device nodes", err) < 0)
		return -1;
	return steal_fd(&m);
}

int pd_masks_prepare(int stage, int *file, int *dir, struct pd_error *err)
{
	static const char *const opts[] = { "mode", "0555", "size", "4k", "nr_inodes", "3", NULL };
	cleanup_close int m = -1, at = -1;
	int f;
	const char *what = "tmpfs of the masks";

	*file = *dir = -1;
	if (mkdirat(stage, "mask", 0700) < 0)
		return pd_error_set(err, errno, "staging: mkdir \"mask\"");
	at = openat(stage, "mask", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (at < 0)
		return pd_error_set(err, errno, "staging: open \"mask\"");
	m = pd_mnt_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, what,
		      err);
	if (m < 0)
		return -1;
	/* One tmpfs for every mask: an empty file, an empty directory. */
	f = openat(m, "empty", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (f < 0)
		return pd_error_set(err, errno, "%s: create the empty file", what);
	pd_close(f); /* a file open for writing would keep the mount writable */
	if (mkdirat(m, "void", 0555) < 0)
		return pd_error_set(err, errno, "%s: create the empty directory", what);
	if (pd_mnt_setattr(m, MOUNT_ATTR_RDONLY, 0, false, -1, what, err) < 0 ||
	    pd_mnt_attach(m, at, what, err) < 0)
		return -1;
	/* @at is the directory under the mount: look them up from above. */
	*file = openat(stage, "mask/empty", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	*dir = openat(stage, "mask/void", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*file < 0 || *dir < 0)
		return pd_error_set(err, errno, "%s: open the masks", what);
	return 0;
}
