/* SPDX-License-Identifier: MIT */
/* libFuzzer: the mountinfo walker over arbitrary bytes. */
#include "common/mountinfo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(const struct pd_mountinfo *m, void *p)
{
	(void)p;
	/* Every field is NUL-terminated inside its buffer. */
	if (strnlen(m->root, sizeof(m->root)) == sizeof(m->root) ||
	    strnlen(m->mountpoint, sizeof(m->mountpoint)) == sizeof(m->mountpoint) ||
	    strnlen(m->fstype, sizeof(m->fstype)) == sizeof(m->fstype) ||
	    strnlen(m->superopts, sizeof(m->superopts)) == sizeof(m->superopts))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pd_mountinfo_foreach((const char *)data, size, check, NULL);
	return 0;
}
