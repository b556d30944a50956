/* SPDX-License-Identifier: MIT */
/*
 * sources.c - the host directories and files a sandbox gets: root
 * filesystem layers, the image's binds (the `host` image) and volumes.
 *
 * Each source is opened once, by paude on the host, before the sandbox is
 * made (O_PATH, following the path as the user wrote it, at that moment), and
 * its identity (device, inode) recorded.  From then on:
 *  - as root, the idmapped mount is cloned from that fd (open_tree with
 *    AT_EMPTY_PATH), never from the path again, made private, and passed to
 *    the sandbox over the sync socket (the `host` image's binds of the
 *    host's own system files are not idmapped: their owners stay unmapped,
 *    so container root is never seen to own them);
 *  - rootless, the sandbox can only clone a mount of its own namespace, so it
 *    binds the path in it and checks the result is the inode paude opened:
 *    a path swapped in between (a symlink planted by whoever can write a
 *    parent directory) is refused, not followed.
 * Sources are numbered: the rootfs lowers, then the image's mounts, then the
 * user's mounts (pd_source_index()); non-bind slots are unused.
 */
#include "sandbox.h"
#include "mnt.h"
#include "sync.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

size_t pd_source_count(const struct pd_sandbox_spec *spec)
{
	return spec->rootfs.n_lowers + spec->rootfs.n_mounts + spec->n_mounts +
	       (spec->rootfs.layer_dir ? 1 : 0);
}

size_t pd_source_index(const struct pd_sandbox_spec *spec, int list, size_t i)
{
	switch (list) {
	case PD_SRC_LOWER:
		return i;
	case PD_SRC_IMAGE:
		return spec->rootfs.n_lowers + i;
	case PD_SRC_LAYER:
		return spec->rootfs.n_lowers + spec->rootfs.n_mounts + spec->n_mounts;
	default:
		return spec->rootfs.n_lowers + spec->rootfs.n_mounts + i;
	}
}

uint64_t pd_source_attrs(const struct pd_mount *m)
{
	return MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (m->read_only ? MOUNT_ATTR_RDONLY : 0);
}

/* Source @idx: its host path, what to call it, and the attributes of its bind. */
static const char *source_at(const struct pd_sources *ss, size_t idx, const char **what,
			     uint64_t *attrs, bool *host_owners)
{
	const struct pd_sandbox_spec *spec = ss->spec;
	const struct pd_rootfs *r = &spec->rootfs;
	const struct pd_mount *m;

	*attrs = 0;
	*host_owners = false;
	if (idx < r->n_lowers) {
		*what = "root filesystem";
		return r->lowers[idx];
	}
	idx -= r->n_lowers;
	if (idx >= r->n_mounts + spec->n_mounts) {
		/* The persistent layer: its owners are the sandbox's own ids. */
		*what = "writable layer";
		*attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
		*host_owners = true;
		return ss->layer_path;
	}
	if (idx < r->n_mounts) {
		*what = "image mount";
		m = &r->mounts[idx];
	} else {
		*what = "volume";
		m = &spec->mounts[idx - r->n_mounts];
	}
	if (m->type != PD_MOUNT_BIND)
		return NULL;
	*attrs = pd_source_attrs(m);
	*host_owners = m->host_owners;
	return m->source;
}

int pd_sources_open(struct pd_sources *ss, const struct pd_sandbox_spec *spec,
		    const char *layer_path, struct pd_error *err)
{
	ss->spec = spec;
	ss->layer_path = layer_path;
	ss->n = pd_source_count(spec);
	ss->src = pd_xcalloc(ss->n + 1, sizeof(*ss->src));
	for (size_t i = 0; i < ss->n; i++)
		ss->src[i].host_fd = ss->src[i].mnt_fd = -1;
	for (size_t i = 0; i < ss->n; i++) {
		struct pd_source *s = &ss->src[i];
		const char *what, *path;
		uint64_t attrs;
		bool host_owners;
		struct stat st;

		path = source_at(ss, i, &what, &attrs, &host_owners);
		if (!path)
			continue;
		s->host_fd = open(path, O_PATH | O_CLOEXEC);
		if (s->host_fd < 0 || fstat(s->host_fd, &st) < 0)
			return pd_error_set(err, errno, "%s \"%s\"", what, path);
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			return pd_error_set_msg(err, EINVAL,
						"%s \"%s\" is neither a directory nor a "
						"regular file",
						what, path);
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->used = true;
		s->is_dir = S_ISDIR(st.st_mode);
	}
	return 0;
}

void pd_sources_close_host(struct pd_sources *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		pd_close(ss->src[i].host_fd);
		ss->src[i].host_fd = -1;
	}
}

void pd_sources_release(struct pd_sources *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		pd_close(ss->src[i].host_fd);
		pd_close(ss->src[i].mnt_fd);
	}
	free(ss->src);
	ss->src = NULL;
	ss->n = 0;
}

/* Root mode: an idmapped, private clone of source @i, sent to the sandbox. */
static int send_one(const struct pd_sources *ss, int sync, int userns, size_t i,
		    struct pd_error *err)
{
	const char *what;
	uint64_t attrs;
	bool host_owners;
	const char *path = source_at(ss, i, &what, &attrs, &host_owners);
	cleanup_close int m = -1;
	struct mount_attr a;

	m = open_tree(ss->src[i].host_fd, "",
		      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (m < 0)
		return pd_error_set(err, errno, "%s \"%s\": bind", what, path);
	/* MS_PRIVATE: the clone must not stay in the host mount's peer group,
	 * or mounts and unmounts in the sandbox would propagate to the host. */
	a = (struct mount_attr){
		.attr_set = MOUNT_ATTR_IDMAP | attrs,
		.userns_fd = (uint64_t)userns,
		.propagation = MS_PRIVATE,
	};
	if (host_owners) {
		/* The host's system files: owned by nobody inside, so the
		 * sandbox can take no lease or owner's right on them. */
		a.attr_set = attrs;
		a.userns_fd = 0;
	}
	if (mount_setattr(m, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
		if (errno != EINVAL && errno != EOPNOTSUPP)
			return pd_error_set(err, errno, "%s \"%s\": idmap", what, path);
		pd_note("%s \"%s\": its filesystem cannot be idmapped; the sandbox sees its host "
			"owners unmapped (nobody)",
			what, path);
		/* Plain, then: still cloned from the fd, and private. */
		a = (struct mount_attr){ .attr_set = attrs, .propagation = MS_PRIVATE };
		if (mount_setattr(m, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
			return pd_error_set(err, errno, "%s \"%s\": mount attributes", what, path);
	}
	if (pd_sync_send(sync, PD_SYNC_MOUNT_FD, (uint32_t)i, m, NULL, 0) < 0)
		return pd_error_set(err, errno, "%s \"%s\": send to the sandbox", what, path);
	return 0;
}

int pd_sources_send_idmapped(const struct pd_sources *ss, int sync, pid_t pid, struct pd_error *err)
{
	cleanup_close int userns = -1;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/ns/user", (long)pid);
	userns = open(path, O_RDONLY | O_CLOEXEC);
	if (userns < 0)
		return pd_error_set(err, errno, "open \"%s\"", path);
	for (size_t i = 0; i < ss->n; i++)
		if (ss->src[i].used && send_one(ss, sync, userns, i, err) < 0)
			return -1;
	return 0;
}

void pd_source_received(struct pd_sources *ss, size_t idx, int fd)
{
	if (idx >= ss->n || !ss->src[idx].used) {
		pd_close(fd);
		return;
	}
	pd_close(ss->src[idx].mnt_fd);
	ss->src[idx].mnt_fd = fd;
}

int pd_source_open(struct pd_sources *ss, size_t idx, const char *path, bool *prepared,
		   struct pd_error *err)
{
	struct pd_source *s = idx < ss->n ? &ss->src[idx] : NULL;
	cleanup_close int m = -1;
	struct stat st;

	*prepared = s && s->mnt_fd >= 0;
	if (*prepared)
		return steal_fd(&s->mnt_fd);
	m = pd_mnt_clone(AT_FDCWD, path, true, "source", err);
	if (m < 0)
		return -1;
	if (fstat(m, &st) < 0)
		return pd_error_set(err, errno, "\"%s\"", path);
	if (s && s->used && (st.st_dev != s->dev || st.st_ino != s->ino))
		return pd_error_set_msg(err, ESTALE,
					"\"%s\" changed while the sandbox was being made "
					"(it is no longer what paude opened): refusing it",
					path);
	return steal_fd(&m);
}
