/* SPDX-License-Identifier: MIT */
/*
 * rootfs.c - the sandbox's root: an overlay in a staging tmpfs, then
 * pivot_root into it.
 *
 * In the sandbox's fresh mount namespace (a private copy of the host's):
 *   1. all propagation is made private, so nothing mounted here reaches the
 *      host and nothing from the host arrives later;
 *   2. a staging tmpfs is mounted on top of "/" (inside this namespace only);
 *      it holds upper/ and work/ (the writable layer: it lives exactly as long
 *      as the mount namespace, so even a SIGKILLed paude leaves nothing on
 *      disk), root/ (the overlay's mount point) and l0..lN (the lower layers);
 *   3. each lower directory is attached at lN: as root, the idmapped mount the
 *      parent made (host uid 0 shows as the container's root, nothing is
 *      chowned); rootless, a plain recursive bind of the path;
 *   4. overlayfs is created from those fds (lowerdir+, upperdir, workdir,
 *      userxattr, as it is mounted in a user namespace) and attached at root/,
 *      nosuid,nodev;
 * ... the other mounts go on top (mounts.c, kernfs.c, dev.c) ...
 *   5. pivot_root(".", ".") from inside root/ stacks the old root on top of
 *      the new one, and a lazy unmount of "." drops the host's whole tree,
 *      staging tmpfs included (the overlay keeps its layers referenced).
 */
#include "sandbox.h"
#include "mnt.h"
#include "syscalls.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/mountinfo.h"
#include "common/path.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pd_root_dir(int rootfd, const char *name, struct pd_error *err)
{
	int fd = openat(rootfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(rootfd, name, 0755) < 0 && errno != EEXIST)
			return pd_error_set(err, errno, "rootfs: create \"/%s\"", name);
		fd = openat(rootfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return pd_error_set(err, errno, "rootfs \"/%s\"", name);
	if (fstat(fd, &st) < 0) {
		pd_close(fd);
		return pd_error_set(err, errno, "rootfs \"/%s\"", name);
	}
	if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
		pd_close(fd);
		return pd_error_set(err, S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR,
				    "rootfs \"/%s\" is %s: refusing to mount over it", name,
				    S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory");
	}
	return fd;
}

static int staging_mkdir(int stage, const char *name, struct pd_error *err)
{
	int fd;

	if (mkdirat(stage, name, 0700) < 0)
		return pd_error_set(err, errno, "staging: mkdir \"%s\"", name);
	fd = openat(stage, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pd_error_set(err, errno, "staging: open \"%s\"", name);
	return fd;
}

/* Attach lower @i (a host directory) at staging/lI; return an O_PATH fd of it. */
static int attach_lower(const struct pd_sandbox_spec *spec, struct pd_sources *sources, int stage,
			size_t i, struct pd_error *err)
{
	const char *path = spec->rootfs.lowers[i];
	cleanup_close int m = -1, at = -1;
	char name[32];
	struct stat st;
	bool prepared;

	snprintf(name, sizeof(name), "l%zu", i);
	at = staging_mkdir(stage, name, err);
	if (at < 0)
		return -1;
	m = pd_source_open(sources, pd_source_index(spec, PD_SRC_LOWER, i), path, &prepared, err);
	if (m < 0)
		return pd_error_wrap(err, "root filesystem \"%s\"", path);
	if (fstat(m, &st) < 0 || !S_ISDIR(st.st_mode))
		return pd_error_set(err, ENOTDIR, "root filesystem \"%s\"", path);
	if (pd_mnt_attach(m, at, "root filesystem layer", err) < 0)
		return -1;
	return openat(stage, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/*
 * Whether the image's /etc is a directory (or absent) in the topmost layer
 * that has one: then the generated files can go into the writable layer's
 * etc/ before the overlay exists.  *@decided once a layer had an "etc".
 */
static void etc_in_lower(int lower, bool *decided, bool *dir_ok)
{
	struct stat st;

	if (*decided)
		return;
	if (fstatat(lower, "etc", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT) {
			*decided = true;
			*dir_ok = false;
		}
		return;
	}
	*decided = true;
	*dir_ok = S_ISDIR(st.st_mode);
}

/* The writable layer: the persistent one paude was given, or staging's. */
static int writable_layer(const struct pd_sandbox_spec *spec, struct pd_sources *sources, int stage,
			  int *upper, int *work, struct pd_error *err)
{
	const struct pd_rootfs *rfs = &spec->rootfs;

	if (rfs->layer_dir) {
		cleanup_close int m = -1, at = -1;
		bool prepared;

		/* DIR/layer, the sandbox root's own, is bound (DIR is its
		 * owner's alone, 0700); upper/ and work/ are on that mount. */
		at = staging_mkdir(stage, "layer", err);
		if (at < 0)
			return -1;
		m = pd_source_open(sources, pd_source_index(spec, PD_SRC_LAYER, 0),
				   sources->layer_path, &prepared, err);
		if (m < 0 || pd_mnt_attach(m, at, "writable layer", err) < 0)
			return pd_error_wrap(err, "writable layer \"%s\"", rfs->layer_dir);
		*upper =
			openat(stage, "layer/upper", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		*work = openat(stage, "layer/work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*upper < 0 || *work < 0)
			return pd_error_set(err, errno, "writable layer \"%s\": upper/ and work/",
					    rfs->layer_dir);
		return 0;
	}
	*upper = staging_mkdir(stage, "upper", err);
	*work = *upper >= 0 ? staging_mkdir(stage, "work", err) : -1;
	if (*upper < 0 || *work < 0)
		return -1;
	if (fchmodat(stage, "upper", 0755, 0) < 0)
		return pd_error_set(err, errno, "staging: chmod \"upper\"");
	return 0;
}

struct submount_find {
	const char *dir;
	char found[1024];
};

static int submount_cb(const struct pd_mountinfo *m, void *p)
{
	struct submount_find *f = p;

	if (strcmp(m->mountpoint, f->dir) != 0 && pd_path_is_under(m->mountpoint, f->dir)) {
		pd_strlcpy(f->found, m->mountpoint, sizeof(f->found));
		return 1;
	}
	return 0;
}

/*
 * Rootless, the kernel will not let overlayfs use a layer with mounts from
 * the host inside it (it would reveal what they cover).  When the overlay
 * could not be made, say so plainly instead of overlayfs's ENODATA if that
 * is why.  Only then: before the clone, reading the host's mount table
 * would cost every run.
 */
static void explain_overlay_failure(const struct pd_rootfs *rfs, enum pd_idmap_mode mode,
				    struct pd_error *err)
{
	cleanup_free char *mi = NULL;
	struct pd_error ignored;
	size_t len = 0;

	if (mode == PD_IDMAP_ROOT || rfs->n_lowers == 0)
		return;
	if (pd_mountinfo_read(&mi, &len, &ignored) < 0)
		return;
	for (size_t i = 0; i < rfs->n_lowers; i++) {
		struct submount_find f = { .dir = rfs->lowers[i] };

		if (pd_mountinfo_foreach(mi, len, submount_cb, &f) == 1) {
			pd_error_set_msg(err, EBUSY,
					 "root filesystem \"%s\" has a mount inside "
					 "it (\"%s\"); a rootless sandbox cannot layer over mounts "
					 "of the host: unmount it or copy the tree",
					 f.dir, f.found);
			return;
		}
	}
}

/* The overlay root's mount; @root learns what went into its upper layer. */
static int overlay_create(const struct pd_sandbox_spec *spec, struct pd_sources *sources, int stage,
			  struct pd_root *root, struct pd_error *err)
{
	const struct pd_rootfs *rfs = &spec->rootfs;
	size_t n = rfs->n_lowers ? rfs->n_lowers : 1;
	cleanup_free int *lowers = pd_xcalloc(n, sizeof(*lowers));
	cleanup_close int fs = -1, upper = -1, work = -1;
	bool etc_decided = false, etc_dir = true;
	int m = -1;

	for (size_t i = 0; i < n; i++)
		lowers[i] = -1;
	fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0) {
		m = pd_error_set(err, errno, "overlay: fsopen");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		lowers[i] = rfs->n_lowers ? attach_lower(spec, sources, stage, i, err)
					  : staging_mkdir(stage, "empty", err);
		if (lowers[i] < 0)
			goto out;
		if (fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, lowers[i]) < 0) {
			pd_error_set(err, errno, "overlay: lower layer %zu", i);
			goto out;
		}
		etc_in_lower(lowers[i], &etc_decided, &etc_dir);
	}
	if (writable_layer(spec, sources, stage, &upper, &work, err) < 0)
		goto out;
	/* the mount destinations, while the layers can be looked at one by one */
	if (pd_targets_make(spec, sources, lowers, n, upper, &root->workdir_made, err) < 0)
		goto out;
	/* /etc/hostname, hosts, resolv.conf: in the writable layer, before the
	 * overlay exists, so they are there whoever owns the image's /etc. */
	if (etc_dir) {
		int w = pd_etcfiles_write_upper(upper, spec, err);

		if (w < 0)
			goto out;
		root->etc_written = w > 0;
	}
	if (fsconfig(fs, FSCONFIG_SET_FD, "upperdir", NULL, upper) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FD, "workdir", NULL, work) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) {
		pd_error_set(err, errno, "overlay: configure layers");
		goto out;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		char log[256];
		ssize_t got = read(fs, log, sizeof(log) - 1);

		log[got > 0 ? got : 0] = '\0';
		log[strcspn(log, "\n")] = '\0';
		pd_error_set(err, errno, "overlay: create%s%s", log[0] ? ": " : "", log);
		goto out;
	}
	m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (m < 0)
		pd_error_set(err, errno, "overlay: fsmount");
out:
	for (size_t i = 0; i < n; i++)
		pd_close(lowers[i]);
	return m < 0 ? -1 : m;
}

int pd_rootfs_build(const struct pd_sandbox_spec *spec, enum pd_idmap_mode mode,
		    struct pd_sources *sources, struct pd_root *root, struct pd_error *err)
{
	struct pd_tmpfs_cap cap;
	const char *stage_opts[8] = { "mode", "0700", NULL };
	cleanup_close int stage = -1, ovl = -1, at = -1;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return pd_error_set(err, errno, "make \"/\" private");
	/* The writable layer is memory: bounded, and by --memory too (docs/LIMITS.md). */
	pd_tmpfs_cap(&spec->limits, 0, 0, &cap, stage_opts + 2);
	stage = pd_mnt_fs("tmpfs", stage_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
			  "staging tmpfs", err);
	if (stage < 0)
		return -1;
	if (move_mount(stage, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return pd_error_set(err, errno, "mount staging tmpfs");
	ovl = overlay_create(spec, sources, stage, root, err);
	if (ovl < 0) {
		explain_overlay_failure(&spec->rootfs, mode, err);
		return -1;
	}
	at = staging_mkdir(stage, "root", err);
	if (at < 0)
		return -1;
	if (pd_mnt_attach(ovl, at, "overlay root", err) < 0)
		return -1;
	root->root_fd = openat(stage, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root->root_fd < 0)
		return pd_error_set(err, errno, "open the new root");
	root->stage_fd = steal_fd(&stage);
	return 0;
}

static int at_root_cb(const struct pd_mountinfo *m, void *p)
{
	if (!strcmp(m->mountpoint, "/"))
		(*(int *)p)++;
	return 0;
}

/* How many mounts sit at "/" (the root and whatever is stacked on it). */
static int mounts_at_root(struct pd_error *err)
{
	cleanup_free char *mi = NULL;
	size_t len = 0;
	int n = 0;

	if (pd_mountinfo_read(&mi, &len, err) < 0)
		return -1;
	pd_mountinfo_foreach(mi, len, at_root_cb, &n);
	return n;
}

int pd_rootfs_pivot(struct pd_root *root, struct pd_error *err)
{
	int n;

	if (fchdir(root->root_fd) < 0)
		return pd_error_set(err, errno, "chdir to the new root");
	if (pd_pivot_root(".", ".") < 0)
		return pd_error_set(err, errno, "pivot_root");
	/*
	 * Three mounts are stacked at "/" now, by construction: the new root,
	 * the host's old root on it (pivot_root(".", ".")), and the staging
	 * tmpfs that pd_rootfs_build() moved onto the old root's "/".  A lazy
	 * unmount of "." takes the topmost: the two on top go without a look
	 * at mountinfo (which would list the whole host tree); then mountinfo,
	 * a few lines by now, must show the new root alone at "/" (anything
	 * else stacked there goes too), so the host's tree is gone and ours is
	 * never touched.
	 */
	for (int i = 0; i < 2; i++)
		if (umount2(".", MNT_DETACH) < 0)
			return pd_error_set(err, errno, "detach the host's root");
	for (int i = 0; (n = mounts_at_root(err)) > 1; i++) {
		if (i == 8)
			return pd_error_set(err, EBUSY,
					    "detach the host's root: still %d mounts at \"/\"", n);
		if (umount2(".", MNT_DETACH) < 0)
			return pd_error_set(err, errno, "detach the host's root");
	}
	if (n < 0)
		return pd_error_wrap(err, "check the new root");
	if (n == 0)
		return pd_error_set(err, ENOENT, "the new root is not mounted at \"/\"");
	if (chdir("/") < 0)
		return pd_error_set(err, errno, "chdir \"/\"");
	if (root->read_only && pd_mnt_setattr(root->root_fd, MOUNT_ATTR_RDONLY, 0, false, -1,
					      "read-only root", err) < 0)
		return -1;
	pd_close(root->root_fd);
	root->root_fd = -1;
	pd_close(root->stage_fd);
	root->stage_fd = -1;
	return 0;
}
