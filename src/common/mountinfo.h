/* SPDX-License-Identifier: MIT */
/*
 * mountinfo.h - walk /proc/PID/mountinfo lines.
 *
 * The kernel writes the file, but mount points can hold any byte a path can,
 * escaped as octal (\040): fields are split by explicit length and unescaped
 * into bounded buffers; a line that does not parse is skipped.
 */
#ifndef PAUDE_MOUNTINFO_H
#define PAUDE_MOUNTINFO_H

#include <stddef.h>

#include "error.h"

struct pd_mountinfo {
	unsigned id, parent;
	char root[1024];       /* path of the mount's root within its filesystem */
	char mountpoint[1024]; /* relative to the reader's root */
	char fstype[64];
	char superopts[1024]; /* cut after the last whole option that fits */
};

/*
 * pd_mountinfo_foreach() - call @fn for each parsable line of @text; @fn
 * returns non-zero to stop (that value is returned).
 */
int pd_mountinfo_foreach(const char *text, size_t len,
			 int (*fn)(const struct pd_mountinfo *, void *), void *ctx);

/* pd_mountinfo_read() - /proc/self/mountinfo into a heap buffer. */
int pd_mountinfo_read(char **text, size_t *len, struct pd_error *err);

#endif
