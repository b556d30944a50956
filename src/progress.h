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
 *
 * A board shows several blobs at once (a pull's layers download in
 * parallel): on a terminal its rows are redrawn together, the cursor moved
 * back up over them with "ESC [ N A", the one escape sequence paude writes
 * (TERM=dumb gets the line-per-blob form instead); elsewhere each row
 * prints its one line when it starts.
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

struct pd_progress_row {
	const char *what;
	char id[16];
	int64_t total, done;
	struct timespec start;
	enum { PD_ROW_WAITING, PD_ROW_RUNNING, PD_ROW_DONE, PD_ROW_FAILED } state;
	int width;
};

struct pd_progress_board {
	bool on, tty;
	size_t n;
	struct pd_progress_row *rows;
	int drawn; /* rows on the screen above the cursor */
	struct timespec last;
};

/* pd_progress_board_begin() - room for @n rows (@quiet: say nothing). */
void pd_progress_board_begin(struct pd_progress_board *b, bool quiet, size_t n);
/* pd_progress_board_start() - row @i, a blob of @total bytes, starts. */
void pd_progress_board_start(struct pd_progress_board *b, size_t i, const char *what,
			     const char *digest, int64_t total);
/* pd_progress_board_set() - row @i has @done bytes (0 again on a restart). */
void pd_progress_board_set(struct pd_progress_board *b, size_t i, int64_t done);
/* pd_progress_board_finish() - row @i is complete (@ok) or failed. */
void pd_progress_board_finish(struct pd_progress_board *b, size_t i, bool ok);
/* pd_progress_board_draw() - redraw a terminal's rows (at most ten times a second unless @now). */
void pd_progress_board_draw(struct pd_progress_board *b, bool now);
/* pd_progress_board_end() - the last drawing; frees the rows. */
void pd_progress_board_end(struct pd_progress_board *b);

#endif
