/* SPDX-License-Identifier: MIT */
/*
 * fs.h - fd-relative file helpers.
 *
 * Paths that come from an untrusted tree (a container's root filesystem, an
 * image layer) are only ever resolved by the kernel relative to an open
 * directory fd with openat2(RESOLVE_IN_ROOT): ".." and absolute symlinks stop
 * at that directory, and magic links (proc fd links) are refused.  Strings
 * are never joined into host paths for such content.  Every fd is O_CLOEXEC.
 */
#ifndef PAUDE_FS_H
#define PAUDE_FS_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* pd_openat2() - raw openat2(2); O_CLOEXEC added. Sets errno on failure. */
int pd_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve);

/*
 * pd_open_in_root() - open @path strictly inside the tree at @rootfd.
 * @path: absolute or relative; both are taken relative to @rootfd
 * @what: how to name the object in an error (e.g. "rootfs")
 * Return: fd, or -1 with @err set.
 */
int pd_open_in_root(int rootfd, const char *path, int flags, mode_t mode, const char *what,
		    struct pd_error *err);

/*
 * pd_mkdirs_in_root() - make the directory @path (and missing parents) inside
 * @rootfd, following symlinks only within the tree.
 * Return: an O_PATH|O_DIRECTORY fd of the directory, or -1 with @err set.
 */
int pd_mkdirs_in_root(int rootfd, const char *path, mode_t mode, const char *what,
		      struct pd_error *err);

/* pd_mkdirs_in_root_x() - the same, adding @resolve flags (RESOLVE_NO_XDEV). */
int pd_mkdirs_in_root_x(int rootfd, const char *path, mode_t mode, uint64_t resolve,
			const char *what, struct pd_error *err);

/*
 * pd_mkfile_in_root() - make sure a regular file exists at @path inside
 * @rootfd (creating parents); used for file bind-mount targets.
 * Return: an O_PATH fd of the file, or -1 with @err set.
 */
int pd_mkfile_in_root(int rootfd, const char *path, mode_t mode, const char *what,
		      struct pd_error *err);

int pd_mkfile_in_root_x(int rootfd, const char *path, mode_t mode, uint64_t resolve,
			const char *what, struct pd_error *err);

/*
 * pd_replace_file_at() - replace whatever non-directory is at @name in the
 * directory @dirfd with a new regular file holding @data (never follows a
 * symlink at @name).  Return: 0, or -1 with @err set.
 */
int pd_replace_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		       struct pd_error *err);

/*
 * pd_read_file_at() - read at most @max bytes of @path (relative to @dirfd,
 * resolved with @resolve flags) into a NUL-terminated heap buffer.
 * A file longer than @max is an error (EFBIG), never silently truncated;
 * anything but a regular file is refused (EINVAL) without blocking on it.
 * Return: 0 with the buffer in *out and its length in *len, or -1 with @err set.
 */
int pd_read_file_at(int dirfd, const char *path, uint64_t resolve, size_t max, char **out,
		    size_t *len, struct pd_error *err);

/*
 * pd_read_user_file() - read a file the user named on the command line
 * (--env-file, --seccomp-profile): a pipe such as <(...) or /dev/stdin is
 * fine, a directory is not; at most @max bytes (EFBIG beyond).
 */
int pd_read_user_file(const char *path, size_t max, char **out, size_t *len, struct pd_error *err);

/* pd_write_all() / pd_read_all() - loop over short I/O and EINTR. Set errno. */
int pd_write_all(int fd, const void *buf, size_t len);
ssize_t pd_read_all(int fd, void *buf, size_t len);

/* pd_write_file() - open an existing file (a /proc control file) and write @s. */
int pd_write_file(const char *path, const char *s, struct pd_error *err);

/*
 * pd_remove_tree() - remove @name under @dirfd and everything below it,
 * never following a symlink and never crossing into another mount
 * (refused: EXDEV).  Absent is fine.  Return: 0, or -1 with @err set.
 */
int pd_remove_tree(int dirfd, const char *name, struct pd_error *err);

#endif
