/* SPDX-License-Identifier: MIT */
/*
 * log.h - notes to the user on stderr.
 *
 * Errors are never printed here (they travel up as struct pd_error and main
 * prints them); this is for one-line notes about a degraded mode the user
 * should know of ("no subuid range: single-id map").  Each distinct note is
 * printed at most once per process.
 */
#ifndef PAUDE_LOG_H
#define PAUDE_LOG_H

void pd_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* pd_say() - a line to the same sink, "paude: " first, not deduplicated (summaries). */
void pd_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* pd_log_quiet() - suppress notes (paude run --quiet, tests). */
void pd_log_quiet(int quiet);

/*
 * pd_log_set_sink() - where notes go: @fn(line, @data) gets each note once
 * (without "paude: note: " or a newline); NULL restores stderr.
 */
typedef void (*pd_log_sink_fn)(const char *line, void *data);
void pd_log_set_sink(pd_log_sink_fn fn, void *data);

#endif
