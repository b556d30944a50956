/* SPDX-License-Identifier: MIT */
/*
 * mnt.h - fd-based mount primitives (the new mount API).
 *
 * Filesystems are created detached (fsopen/fsconfig/fsmount), bind sources
 * are cloned detached (open_tree), and everything is attached with
 * move_mount onto an O_PATH fd that was resolved strictly inside the
 * sandbox's root.  No mount target is ever named by a string after it was
 * checked.  Errors name the filesystem and the sandbox path.
 */
#ifndef PAUDE_MNT_H
#define PAUDE_MNT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/mount.h>

#include "common/error.h"

/* pd_mnt_fs() - a detached new filesystem: @opts is a NULL-terminated
 * key, value, key, value... list (value NULL for a flag). */
int pd_mnt_fs(const char *fstype, const char *const *opts, unsigned int attrs, const char *what,
	      struct pd_error *err);

/* pd_mnt_clone() - a detached recursive bind of @path (relative to @dirfd). */
int pd_mnt_clone(int dirfd, const char *path, bool recursive, const char *what,
		 struct pd_error *err);

/* pd_mnt_setattr() - mount_setattr on a (detached or attached) mount fd. */
int pd_mnt_setattr(int mntfd, uint64_t set, uint64_t clr, bool recursive, int userns_fd,
		   const char *what, struct pd_error *err);

/* pd_mnt_attach() - move the mount @mntfd onto the object @target_fd. */
int pd_mnt_attach(int mntfd, int target_fd, const char *what, struct pd_error *err);

/* pd_mnt_attach_at() - move the mount @mntfd onto @name under @dirfd. */
int pd_mnt_attach_at(int mntfd, int dirfd, const char *name, const char *what,
		     struct pd_error *err);

#endif
