/* SPDX-License-Identifier: MIT */
#include "proctitle.h"

#include <string.h>

static char *area_start, *area_end;

void pd_proctitle_init(int argc, char **argv)
{
	if (argc < 1 || !argv[0])
		return;
	area_start = argv[0];
	area_end = argv[argc - 1] + strlen(argv[argc - 1]);   /* the last NUL */
}

void pd_proctitle_set(const char *title)
{
	size_t n, t;

	if (!area_start)
		return;
	n = (size_t)(area_end - area_start);
	memset(area_start, 0, n);
	t = strlen(title);
	memcpy(area_start, title, t < n ? t : n);
}
