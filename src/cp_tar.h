/* SPDX-License-Identifier: MIT */
/*
 * cp_tar.h - the two ends of `paude cp` on the host (cp_tar.c): a tar of a
 * host path to send into a session, and the safe extraction of a tar that
 * came out of one (untrusted: the sandbox's tar, or whatever replaced it,
 * wrote it).
 */
#ifndef PAUDE_CP_TAR_H
#define PAUDE_CP_TAR_H

#include "common/error.h"

#include <stddef.h>

/*
 * pd_cp_member_name() - an archive member's name made safe to create under
 * the destination: "./" and empty components dropped; absolute names, ".."
 * components, NUL-free names over @cap-1 bytes or deeper than 256 components
 * refused; with @top, the first component replaced by it.
 * Return: 0 with @out, -1 (refused).
 */
int pd_cp_member_name(const char *raw, const char *top, char *out, size_t cap);

/*
 * pd_cp_write_tar() - a tar of the host path @path to @fd, its top member
 * named @top: directories, regular files and symlinks (as links, never
 * followed); devices, fifos and sockets skipped.
 */
int pd_cp_write_tar(const char *path, const char *top, int fd, struct pd_error *err);

/*
 * pd_cp_extract() - extract the tar read from @fd under the directory
 * @destdir: every name through pd_cp_member_name() (with @top: give one,
 * so that every member lands under it), every parent resolved inside
 * @destdir without traversing any symlink, the final component never
 * followed; directories, regular files (no set-id bits) and symlinks only,
 * owned by the caller.  Return: 0, or -1 with @err naming the member.
 */
int pd_cp_extract(int fd, int destdir, const char *top, struct pd_error *err);

#endif
