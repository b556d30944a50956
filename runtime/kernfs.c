/* SPDX-License-Identifier: MIT */
/*
 * kernfs.c - /proc and /sys of the sandbox.
 *
 * /proc is a new procfs of the sandbox's pid namespace (nosuid,nodev,noexec).
 * podman's masked paths read empty: a file is covered by a bind of an empty
 * read-only file on a private tmpfs (devnodes.c), a directory by an empty
 * read-only tmpfs that can hold nothing; podman's read-only
 * paths (/proc/sys, /proc/sysrq-trigger, ...) are re-bound read-only.
 * /sys is a new read-only sysfs of the sandbox's network namespace, with
 * podman's masks; when the kernel refuses a new sysfs, the host's is bound
 * read-only instead (as podman does).  Targets inside these filesystems are
 * looked up beneath their mount with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
 * so a mask can never land outside them.
 */
#include "sandbox.h"
#include "mnt.h"
#include "common/cleanup.h"
#include "common/fs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const proc_masked[] = {
	"acpi", "kcore",      "keys",        "latency_stats", "sched_debug",
	"scsi", "timer_list", "timer_stats", "interrupts",
};
static const char *const proc_readonly[] = {
	"asound", "bus", "fs", "irq", "sys", "sysrq-trigger",
};
static const char *const sys_masked[] = {
	"firmware",
	"fs/selinux",
	"devices/virtual/powercap",
};

#define RO_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/* Cover @rel (beneath the mount at @base) so it reads empty; absent is fine. */
/* The empty read-only file and directory the masks are binds of. */
struct masks {
	int file, dir;
};

static int mask_one(const struct masks *mk, int base, const char *fsname, const char *rel,
		    struct pd_error *err)
{
	cleanup_close int target = -1, m = -1;
	char what[128];
	struct stat st;

	target = pd_openat2(base, rel, O_PATH | O_NOFOLLOW, 0,
			    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	if (target < 0)
		return errno == ENOENT ? 0
				       : pd_error_set(err, errno, "mask \"%s/%s\"", fsname, rel);
	if (fstat(target, &st) < 0)
		return pd_error_set(err, errno, "mask \"%s/%s\"", fsname, rel);
	snprintf(what, sizeof(what), "mask over \"%s/%s\"", fsname, rel);
	/* An empty read-only directory or file of the masks' own tmpfs,
	 * which can hold nothing more (devnodes.c). */
	m = pd_mnt_clone(S_ISDIR(st.st_mode) ? mk->dir : mk->file, NULL, false, what, err);
	if (m < 0)
		return -1;
	return pd_mnt_attach(m, target, what, err);
}

/* Re-bind @rel beneath @base read-only (recursively). */
static int readonly_one(int base, const char *fsname, const char *rel, struct pd_error *err)
{
	cleanup_close int target = -1, m = -1;
	char what[128];

	target = pd_openat2(base, rel, O_PATH | O_NOFOLLOW, 0,
			    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	if (target < 0)
		return errno == ENOENT
			       ? 0
			       : pd_error_set(err, errno, "read-only \"%s/%s\"", fsname, rel);
	snprintf(what, sizeof(what), "read-only \"%s/%s\"", fsname, rel);
	m = pd_mnt_clone(target, NULL, true, what, err);
	if (m < 0)
		return -1;
	if (pd_mnt_setattr(m, RO_ATTRS, 0, true, -1, what, err) < 0)
		return -1;
	return pd_mnt_attach(m, target, what, err);
}

static int mount_proc(int root, const struct masks *mk, const struct pd_limits_plan *lp,
		      struct pd_error *err)
{
	cleanup_close int dir = -1, m = -1, proc = -1;

	dir = pd_root_dir(root, "proc", err);
	if (dir < 0)
		return -1;
	m = pd_mnt_fs("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
		      "proc", err);
	if (m < 0)
		return -1;
	if (pd_mnt_attach(m, dir, "proc at \"/proc\"", err) < 0)
		return -1;
	proc = openat(root, "proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (proc < 0)
		return pd_error_set(err, errno, "open \"/proc\"");
	/* While /proc/sys is still writable to the sandbox's root. */
	if (pd_limits_write_quotas(lp, proc, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(proc_masked) / sizeof(proc_masked[0]); i++)
		if (mask_one(mk, proc, "/proc", proc_masked[i], err) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(proc_readonly) / sizeof(proc_readonly[0]); i++)
		if (readonly_one(proc, "/proc", proc_readonly[i], err) < 0)
			return -1;
	return 0;
}

/* /sys/devices/system/cpu/cpu<N>/thermal_throttle, for every cpu. */
static int mask_thermal(const struct masks *mk, int sys, struct pd_error *err)
{
	int cpus = pd_openat2(sys, "devices/system/cpu", O_RDONLY | O_DIRECTORY, 0,
			      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;

	if (cpus < 0)
		return 0;
	d = fdopendir(cpus); /* owns cpus from here */
	if (!d) {
		pd_close(cpus);
		return pd_error_set(err, errno, "read \"/sys/devices/system/cpu\"");
	}
	while ((de = readdir(d))) {
		char rel[300];

		if (strncmp(de->d_name, "cpu", 3) != 0 || !isdigit((unsigned char)de->d_name[3]))
			continue;
		snprintf(rel, sizeof(rel), "devices/system/cpu/%s/thermal_throttle", de->d_name);
		if (mask_one(mk, sys, "/sys", rel, err) < 0)
			return -1;
	}
	return 0;
}

static int mount_sys(int root, const struct masks *mk, struct pd_error *err)
{
	cleanup_close int dir = -1, m = -1, sys = -1;
	struct pd_error first;

	dir = pd_root_dir(root, "sys", err);
	if (dir < 0)
		return -1;
	m = pd_mnt_fs("sysfs", NULL, RO_ATTRS, "sysfs", &first);
	if (m < 0) {
		m = pd_mnt_clone(AT_FDCWD, "/sys", true, "sysfs (host, read-only)", err);
		if (m < 0 || pd_mnt_setattr(m, RO_ATTRS, 0, true, -1, "/sys", err) < 0)
			return pd_error_wrap(err, "%s; then", first.msg);
	}
	if (pd_mnt_attach(m, dir, "sysfs at \"/sys\"", err) < 0)
		return -1;
	sys = openat(root, "sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sys < 0)
		return pd_error_set(err, errno, "open \"/sys\"");
	for (size_t i = 0; i < sizeof(sys_masked) / sizeof(sys_masked[0]); i++)
		if (mask_one(mk, sys, "/sys", sys_masked[i], err) < 0)
			return -1;
	return mask_thermal(mk, sys, err);
}

int pd_kernfs_mount(const struct pd_root *root, const struct pd_limits_plan *lp,
		    struct pd_error *err)
{
	cleanup_close int file = -1, dir = -1;
	struct masks mk;

	if (pd_masks_prepare(root->stage_fd, &file, &dir, err) < 0)
		return -1;
	mk = (struct masks){ .file = file, .dir = dir };
	if (mount_proc(root->root_fd, &mk, lp, err) < 0)
		return -1;
	return mount_sys(root->root_fd, &mk, err);
}
