/* SPDX-License-Identifier: MIT */
/*
 * targets.c - mount destinations made in the writable layer before the
 * overlay exists.
 *
 * Theory of operation
 * -------------------
 * A mount needs its destination to exist.  Made later through the overlay,
 * a missing destination is a mkdir in a directory of the image, which the
 * kernel refuses when that directory belongs to an id the sandbox does not
 * map (a rootless run on a root-owned dir: rootfs).  So before the overlay
 * is mounted, each destination (the image's mounts, the user's volumes and
 * tmpfs, the working directory) is looked up in the layers as overlayfs
 * would merge them, topmost first: the first layer that has a path decides
 * it, a whiteout (a 0/0 character device) or a file on the way hides the
 * layers below, and so does an opaque directory for what is beneath it.
 * When part of the destination is missing, the directories on the way are
 * made in the upper layer as overlayfs's copy-up would make them (the
 * lower directory's mode, and its owner when the sandbox maps it), then the
 * missing rest: directories, and an empty file for a file's bind.
 *
 * A symlink on the way, or anything the lookup cannot decide, leaves the
 * destination to the mount step, which resolves it in the merged root and
 * reports what it finds.  Nothing here follows a symlink or leaves a layer
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS).
 */
#include "sandbox.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/path.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define RESOLVE_LAYER (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

enum found { F_MISSING, F_DIR, F_OTHER, F_UNSURE };

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static bool opaque(int layer, const char *dir)
{
	cleanup_close int fd = pd_openat2(layer, dir, O_RDONLY | O_DIRECTORY, 0, RESOLVE_LAYER);
	char v[2];

	if (fd < 0)
		return false;
	return (fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y') ||
	       (fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
}

/*
 * @rel ("a/b/c", no leading '/') in the merged layers: the first *@n of
 * @lowers (topmost first) count, the directories above @rel having been
 * found to be directories in them.  *@st: what was found.  A directory
 * found opaque narrows *@n to the layers down to its own, for what is
 * beneath it.
 */
static enum found lookup(const int *lowers, size_t *n, const char *rel, struct stat *st)
{
	for (size_t i = 0; i < *n; i++) {
		cleanup_close int fd =
			pd_openat2(lowers[i], rel, O_PATH | O_NOFOLLOW, 0, RESOLVE_LAYER);

		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			/* ENOTDIR: a file above hides the layers below */
			return errno == ENOTDIR ? F_MISSING : F_UNSURE;
		}
		if (fstat(fd, st) < 0)
			return F_UNSURE;
		if (is_whiteout(st))
			return F_MISSING;
		if (S_ISLNK(st->st_mode))
			return F_UNSURE; /* resolved in the merged root, later */
		if (!S_ISDIR(st->st_mode))
			return F_OTHER;
		if (opaque(lowers[i], rel))
			*n = i + 1;
		return F_DIR;
	}
	return F_MISSING;
}

/* The id an unmapped owner shows as here (/proc/sys/kernel/overflow[ug]id, 65534). */
static unsigned overflow_id(const char *which)
{
	char path[64], buf[16] = "";
	uint32_t v = 65534;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/kernel/overflow%s", which);
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			if (pd_parse_u32(buf, &v) < 0)
				v = 65534;
		}
		fclose(f);
	}
	return v;
}

/* A directory of the upper layer, as overlayfs's copy-up of @lower makes it. */
static int copy_up_dir(int at, const char *name, const struct stat *lower)
{
	if (mkdirat(at, name, lower->st_mode & 07777) < 0)
		return -1;
	/* An owner the sandbox does not map shows as the overflow id, which a
	 * subuid range maps: that is nobody's real id, so the copy stays ours. */
	if (lower->st_uid != overflow_id("uid") && lower->st_gid != overflow_id("gid") &&
	    fchownat(at, name, lower->st_uid, lower->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno != EINVAL && errno != EPERM)
		return -1;
	return fchmodat(at, name, lower->st_mode & 07777, 0);
}

/*
 * Make destination @dest (clean, absolute) in @upper when the merged
 * layers lack it.  @file: the last component is a file (a file's bind).
 * Return: 1 when the destination itself was made here, 0 when it was there
 * (or is left to the mount step), -1 with @err set.
 */
static int make_one(const int *lowers, size_t n_lowers, int upper, const char *dest, bool file,
		    struct pd_error *err)
{
	char rel[4096];
	cleanup_close int at = -1;
	size_t n = n_lowers, len;
	bool missing = false;

	if (!strcmp(dest, "/"))
		return 0;
	len = (size_t)snprintf(rel, sizeof(rel), "%s", dest + 1);
	if (len >= sizeof(rel))
		return 0; /* the mount step refuses it */
	at = fcntl(upper, F_DUPFD_CLOEXEC, 3);
	if (at < 0)
		return pd_error_set(err, errno, "writable layer");
	for (size_t start = 0; start < len;) {
		size_t end = start + strcspn(rel + start, "/");
		bool last = end == len;
		const char *name = rel + start;
		struct stat st;
		int sub;

		rel[end] = '\0'; /* rel is the path down to this component */
		if (!missing) {
			bool in_upper = fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
			enum found f;

			if (in_upper && (!S_ISDIR(st.st_mode) || last))
				return 0; /* the upper layer decides: it is there, or a whiteout */
			f = in_upper ? F_DIR : lookup(lowers, &n, rel, &st);
			if (f == F_UNSURE || f == F_OTHER || (f == F_DIR && last))
				return 0; /* there, or for the mount step to say why not */
			missing = f == F_MISSING;
			if (!missing && !in_upper && copy_up_dir(at, name, &st) < 0)
				return pd_error_set(err, errno, "writable layer: \"/%s\"", rel);
		}
		if (missing && last && file) {
			int fd = openat(at, name,
					O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

			if (fd < 0)
				return pd_error_set(err, errno, "writable layer: \"/%s\"", rel);
			pd_close(fd);
			return 1;
		}
		if (missing && mkdirat(at, name, 0755) < 0)
			return pd_error_set(err, errno, "writable layer: \"/%s\"", rel);
		sub = openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return pd_error_set(err, errno, "writable layer: \"/%s\"", rel);
		pd_close(at);
		at = sub;
		if (!last)
			rel[end] = '/';
		start = end + 1;
	}
	return missing ? 1 : 0;
}

/* Whether @path is @prefix or below it (both clean and absolute). */
static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strcmp(prefix, "/") ||
	       (!strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/'));
}

/* A destination on the way through one of the image's links (the host image's
 * /bin -> usr/bin, made later): the mount step resolves it through the link. */
static bool through_link(const struct pd_sandbox_spec *spec, const char *dest)
{
	for (size_t i = 0; i < spec->rootfs.n_links; i++) {
		char clean[4096];

		if (pd_path_clean(spec->rootfs.links[i].path, clean, sizeof(clean)) == 0 &&
		    under(dest, clean))
			return true;
	}
	return false;
}

/* A path at or below the destination of one of @ms (@n of them). */
static bool covered(const struct pd_mount *ms, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++) {
		char clean[4096];

		if (ms[i].dest && ms[i].dest[0] == '/' &&
		    pd_path_clean(ms[i].dest, clean, sizeof(clean)) == 0 && under(path, clean))
			return true;
	}
	return false;
}

static int make_list(const struct pd_sandbox_spec *spec, const struct pd_sources *sources,
		     const int *lowers, size_t n, int upper, const struct pd_mount *ms, size_t n_ms,
		     int list, struct pd_error *err)
{
	for (size_t i = 0; i < n_ms; i++) {
		size_t idx = pd_source_index(spec, list, i);
		bool file = ms[i].type == PD_MOUNT_BIND && idx < sources->n &&
			    sources->src[idx].used && !sources->src[idx].is_dir;
		char clean[4096];

		if (!ms[i].dest || ms[i].dest[0] != '/' ||
		    pd_path_clean(ms[i].dest, clean, sizeof(clean)) < 0 ||
		    through_link(spec, clean))
			continue; /* the mount step refuses it, or resolves the link */
		if (make_one(lowers, n, upper, clean, file, err) < 0)
			return pd_error_wrap(err, "mount destination \"%s\"", ms[i].dest);
	}
	return 0;
}

int pd_targets_make(const struct pd_sandbox_spec *spec, const struct pd_sources *sources,
		    const int *lowers, size_t n, int upper, bool *workdir_made,
		    struct pd_error *err)
{
	char clean[4096];
	int r;

	*workdir_made = false;
	if (make_list(spec, sources, lowers, n, upper, spec->rootfs.mounts, spec->rootfs.n_mounts,
		      PD_SRC_IMAGE, err) < 0 ||
	    make_list(spec, sources, lowers, n, upper, spec->mounts, spec->n_mounts, PD_SRC_USER,
		      err) < 0)
		return -1;
	if (!spec->process.workdir ||
	    pd_path_clean(spec->process.workdir, clean, sizeof(clean)) < 0)
		return 0;
	/* beneath a mount (a volume's own directory) or a link: the later steps' */
	if (through_link(spec, clean) ||
	    covered(spec->rootfs.mounts, spec->rootfs.n_mounts, clean) ||
	    covered(spec->mounts, spec->n_mounts, clean))
		return 0;
	r = make_one(lowers, n, upper, clean, false, err);
	if (r < 0)
		return pd_error_wrap(err, "working directory \"%s\"", spec->process.workdir);
	*workdir_made = r > 0; /* it goes to the command's user (sandbox.c) */
	return 0;
}
