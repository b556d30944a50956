/* SPDX-License-Identifier: MIT */
/*
 * log.c - notes to the user, each said once per process, written to the
 * sink the process's owner chose: stderr by default (`paude run`), a
 * session's log later.
 */
#include "log.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int quiet;
static pd_log_sink_fn sink;
static void *sink_data;
static char seen[8][256];
static unsigned n_seen;

void pd_log_quiet(int q)
{
	quiet = q;
}

void pd_log_set_sink(pd_log_sink_fn fn, void *data)
{
	sink = fn;
	sink_data = data;
}

void pd_note(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (quiet)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	for (unsigned i = 0; i < n_seen; i++)
		if (!strncmp(seen[i], line, sizeof(seen[i]) - 1))
			return;
	if (n_seen < sizeof(seen) / sizeof(seen[0]))
		pd_strlcpy(seen[n_seen++], line, sizeof(seen[0]));
	if (sink)
		sink(line, sink_data);
	else
		dprintf(STDERR_FILENO, "paude: note: %s\n", line);
}

void pd_say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (quiet)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (sink)
		sink(line, sink_data);
	else
		dprintf(STDERR_FILENO, "paude: %s\n", line);
}
