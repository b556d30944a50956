/* SPDX-License-Identifier: MIT */
/*
 * dev.c - the sandbox's /dev and /tmp.
 *
 * /dev is a small tmpfs (nosuid,nodev,noexec) holding exactly:
 *   null zero full random urandom tty   binds of the sandbox's own nodes
 *                                       (root mode: paude makes them on the
 *                                       host, devnodes.c) or, rootless, of the
 *                                       host's (a user namespace cannot
 *                                       mknod), each onto an empty file
 *   pts/     a new devpts instance (ptmxmode 0666; gid 5 when mapped)
 *   ptmx     -> pts/ptmx
 *   shm/     tmpfs 1777, nosuid,nodev,noexec, 64m
 *   mqueue/  the sandbox's own POSIX message queues (its ipc namespace)
 *   fd -> /proc/self/fd, stdin, stdout, stderr -> /proc/self/fd/0..2
 * The host's nodes are cloned while the host tree is still reachable (this
 * runs before pivot_root).  /tmp is a tmpfs 1777 (nosuid,nodev) unless the
 * user mounts something there.
 */
#include "sandbox.h"
#include "mnt.h"
#include "common/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *name, *target;
} dev_links[] = {
	{ "ptmx", "pts/ptmx" },          { "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },  { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

#define NO_SUID_DEV_EXEC (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/* Bind node @name from @nodes (paude's own, root mode) or the host's /dev. */
static int bind_node(int dev, int nodes, const char *name, struct pd_error *err)
{
	char host[64], what[64];
	cleanup_close int file = -1, m = -1;

	snprintf(host, sizeof(host), "/dev/%s", name);
	snprintf(what, sizeof(what), "\"/dev/%s\"", name);
	file = openat(dev, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (file < 0)
		return pd_error_set(err, errno, "create %s", what);
	m = nodes >= 0 ? pd_mnt_clone(nodes, name, false, what, err)
		       : pd_mnt_clone(AT_FDCWD, host, false, what, err);
	if (m < 0)
		return -1;
	return pd_mnt_attach(m, file, what, err);
}

/* Root mode: attach paude's tmpfs of nodes in the staging area; *out is its
 * directory, or -1 rootless (the host's nodes are bound then). */
static int attach_nodes(int stage, int devnodes, int *out, struct pd_error *err)
{
	*out = -1;
	if (devnodes < 0)
		return 0;
	if (mkdirat(stage, "devnodes", 0700) < 0)
		return pd_error_set(err, errno, "staging: mkdir \"devnodes\"");
	if (pd_mnt_attach_at(devnodes, stage, "devnodes", "device nodes", err) < 0)
		return -1;
	*out = openat(stage, "devnodes", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*out < 0)
		return pd_error_set(err, errno, "staging: open \"devnodes\"");
	return 0;
}

static int mount_sub(int dev, const char *name, const char *fstype, const char *const *opts,
		     unsigned int attrs, struct pd_error *err)
{
	cleanup_close int m = -1, at = -1;
	char what[64];

	snprintf(what, sizeof(what), "%s at \"/dev/%s\"", fstype, name);
	if (mkdirat(dev, name, 0755) < 0)
		return pd_error_set(err, errno, "create \"/dev/%s\"", name);
	at = openat(dev, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (at < 0)
		return pd_error_set(err, errno, "open \"/dev/%s\"", name);
	m = pd_mnt_fs(fstype, opts, attrs, what, err);
	if (m < 0)
		return -1;
	return pd_mnt_attach(m, at, what, err);
}

int pd_tmp_mount(const struct pd_root *root, const struct pd_sandbox_spec *spec, int *tmp_mnt_fd,
		 struct pd_error *err)
{
	struct pd_tmpfs_cap cap;
	const char *opts[8] = { "mode", "1777", NULL };
	cleanup_close int dir = -1, m = -1;

	*tmp_mnt_fd = -1;
	pd_tmpfs_cap(&spec->limits, 0, 0, &cap, opts + 2);
	if (pd_mounts_user_covers(spec, "/tmp"))
		return 0;
	dir = pd_root_dir(root->root_fd, "tmp", err);
	if (dir < 0)
		return -1;
	m = pd_mnt_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "tmpfs at \"/tmp\"",
		      err);
	if (m < 0)
		return -1;
	if (pd_mnt_attach(m, dir, "tmpfs at \"/tmp\"", err) < 0)
		return -1;
	*tmp_mnt_fd = steal_fd(&m); /* user mounts beneath /tmp resolve from here */
	return 0;
}

int pd_dev_mount(const struct pd_root *root, int devnodes_fd, const struct pd_idmap_plan *ids,
		 struct pd_error *err)
{
	static const char *const dev_opts[] = { "mode",      "0755", "size", "65536k",
						"nr_inodes", "256",  NULL };
	static const char *const shm_opts[] = { "mode",      "1777",  "size", "64m",
						"nr_inodes", "16384", NULL };
	const char *pts_opts[] = { "newinstance", NULL,  "ptmxmode", "0666", "mode",
				   "0620",        "gid", "5",        NULL };
	cleanup_close int dir = -1, m = -1, dev = -1, nodes = -1, given = devnodes_fd;

	if (attach_nodes(root->stage_fd, given, &nodes, err) < 0)
		return -1;
	dir = pd_root_dir(root->root_fd, "dev", err);
	if (dir < 0)
		return -1;
	m = pd_mnt_fs("tmpfs", dev_opts, NO_SUID_DEV_EXEC, "tmpfs at \"/dev\"", err);
	if (m < 0)
		return -1;
	if (pd_mnt_attach(m, dir, "tmpfs at \"/dev\"", err) < 0)
		return -1;
	dev = openat(root->root_fd, "dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dev < 0)
		return pd_error_set(err, errno, "open \"/dev\"");
	for (size_t i = 0; i < PD_N_DEVNODES; i++)
		if (bind_node(dev, nodes, pd_devnodes[i].name, err) < 0)
			return -1;
	if (!pd_idmap_has_gid(ids, 5))
		pts_opts[6] = NULL; /* no tty group in a single-id map */
	/* devpts holds the pty devices themselves: it cannot be nodev. */
	if (mount_sub(dev, "pts", "devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err) <
		    0 ||
	    mount_sub(dev, "shm", "tmpfs", shm_opts, NO_SUID_DEV_EXEC, err) < 0 ||
	    mount_sub(dev, "mqueue", "mqueue", NULL, NO_SUID_DEV_EXEC, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlinkat(dev_links[i].target, dev, dev_links[i].name) < 0)
			return pd_error_set(err, errno, "symlink \"/dev/%s\"", dev_links[i].name);
	return 0;
}
