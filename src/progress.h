/* SPDX-License-Identifier: MIT */
/*
 * progress.h - a pull's per-blob progress on stderr.
 *
 * On a terminal one line per blob is redrawn in place (at most ten times a
 * second): "Copying blob 1a2b3c4d5e6f   12.3 MiB / 50.0 MiB   5.1 MiB/s",
 * then "... 50.0 MiB done".  Elsewhere one line per blob, once, as before:
 * "Copying blob sha256:1a2b3c4d5e6f (N bytes)".  No colors and no escape
 * sequences (the line is cleared with spaces), so NO_COLOR and TERM=dumb
 * need nothing more.
 */
#ifndef PAUDE_PROGRESS_H
#define PAUDE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct pd_progress {
	bool on, tty;
	const char *what;
	char id[16];
	int64_t total, done;
	struct timespec start, last;
	int width; /* of the last line drawn */
};

/* pd_progress_begin() - a blob of @total bytes starts (@quiet: say nothing). */
void pd_progress_begin(struct pd_progress *p, bool quiet, const char *what, const char *digest,
		       int64_t total);
/* pd_progress_set() - @done bytes so far (0 again when the download restarts). */
void pd_progress_set(struct pd_progress *p, int64_t done);
/* pd_progress_end() - the blob is complete (@ok) or failed. */
void pd_progress_end(struct pd_progress *p, bool ok);

#endif
