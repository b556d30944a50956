/* SPDX-License-Identifier: MIT */
/*
 * path.h - lexical path helpers for paths *inside* a sandbox (mount
 * destinations, working directories).  They never touch the filesystem:
 * resolution against a tree is the kernel's job (openat2 RESOLVE_IN_ROOT).
 */
#ifndef PAUDE_PATH_H
#define PAUDE_PATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * pd_path_clean() - make an absolute path canonical as Go's filepath.Clean
 * does: one slash between components, no "." components, ".." applied
 * lexically (and stopped at "/"), no trailing slash.
 * Return: 0, or -1 (errno EINVAL: not absolute; ENAMETOOLONG: no room).
 */
int pd_path_clean(const char *in, char *out, size_t outsz);

/* pd_path_is_under() - @path (clean) is @dir (clean) or inside it. */
bool pd_path_is_under(const char *path, const char *dir);

#endif
