/* SPDX-License-Identifier: MIT */
#include "proctitle.h"
#include "util.h"

#include <string.h>

static char *area_start, *area_end;

char **pd_proctitle_init(int argc, char **argv)
{
	char **copy = pd_xcalloc((size_t)argc + 1, sizeof(char *));

	for (int i = 0; i < argc; i++)
		copy[i] = pd_xstrdup(argv[i]);
	if (argc >= 1 && argv[0]) {
		area_start = argv[0];
		area_end = argv[argc - 1] + strlen(argv[argc - 1]); /* the last NUL */
	}
	return copy;
}

void pd_proctitle_set(const char *title)
{
	size_t n, t;

	if (!area_start || area_end <= area_start)
		return;
	n = (size_t)(area_end - area_start);
	memset(area_start, 0, n);
	t = strlen(title);
	memcpy(area_start, title, t < n ? t : n - 1);
	/*
	 * A non-NUL last byte tells the kernel the title was rewritten: it then
	 * shows the area up to the first NUL (just the title), not all of it.
	 */
	*area_end = ' ';
}
