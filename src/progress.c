/* SPDX-License-Identifier: MIT */
/* progress.c - a pull's per-blob progress on stderr (progress.h). */
#include "progress.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REDRAW_NS 100000000LL /* 0.1 s */

static int64_t ns_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

static void draw(struct pd_progress *p, const char *tail)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "Copying %s %s  %8.1f MiB / %.1f MiB  %s", p->what,
			 p->id, (double)p->done / 1048576.0, (double)p->total / 1048576.0, tail);

	if (n < 0)
		return;
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	/* spaces clear what a longer line before left */
	fprintf(stderr, "\r%s%*s", line, p->width > n ? p->width - n : 0, "");
	p->width = n;
	fflush(stderr);
}

void pd_progress_begin(struct pd_progress *p, bool quiet, const char *what, const char *digest,
		       int64_t total)
{
	const char *hex = strchr(digest, ':');

	memset(p, 0, sizeof(*p));
	if (quiet)
		return;
	p->on = true;
	p->tty = isatty(STDERR_FILENO) == 1;
	p->what = what;
	p->total = total;
	pd_strlcpy(p->id, hex ? hex + 1 : digest, 13);
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
	if (p->tty)
		draw(p, "");
	else
		fprintf(stderr, "Copying %s %.19s (%lld bytes)\n", what, digest, (long long)total);
}

void pd_progress_set(struct pd_progress *p, int64_t done)
{
	struct timespec now;
	char rate[32];
	int64_t ns;

	if (!p->on || !p->tty)
		return;
	p->done = done;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ns_between(&p->last, &now) < REDRAW_NS)
		return;
	p->last = now;
	ns = ns_between(&p->start, &now);
	snprintf(rate, sizeof(rate), "%.1f MiB/s",
		 ns > 0 ? (double)done / 1048576.0 / ((double)ns / 1e9) : 0.0);
	draw(p, rate);
}

void pd_progress_end(struct pd_progress *p, bool ok)
{
	if (!p->on || !p->tty)
		return;
	if (ok)
		p->done = p->total;
	draw(p, ok ? "done" : "failed");
	fputc('\n', stderr);
}

/* ---- a board of several rows ---- */

void pd_progress_board_begin(struct pd_progress_board *b, bool quiet, size_t n)
{
	const char *term = getenv("TERM");

	memset(b, 0, sizeof(*b));
	if (quiet || n == 0)
		return;
	b->on = true;
	b->tty = isatty(STDERR_FILENO) == 1 && !(term && strcmp(term, "dumb") == 0);
	b->n = n;
	b->rows = pd_xcalloc(n, sizeof(*b->rows));
}

void pd_progress_board_start(struct pd_progress_board *b, size_t i, const char *what,
			     const char *digest, int64_t total)
{
	struct pd_progress_row *r;
	const char *hex = strchr(digest, ':');

	if (!b->on || i >= b->n)
		return;
	r = &b->rows[i];
	r->what = what;
	r->total = total;
	r->state = PD_ROW_RUNNING;
	pd_strlcpy(r->id, hex ? hex + 1 : digest, 13);
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	if (b->tty)
		pd_progress_board_draw(b, true);
	else
		fprintf(stderr, "Copying %s %.19s (%lld bytes)\n", what, digest, (long long)total);
}

void pd_progress_board_set(struct pd_progress_board *b, size_t i, int64_t done)
{
	if (b->on && i < b->n)
		b->rows[i].done = done;
}

void pd_progress_board_finish(struct pd_progress_board *b, size_t i, bool ok)
{
	if (!b->on || i >= b->n || b->rows[i].state != PD_ROW_RUNNING)
		return;
	b->rows[i].state = ok ? PD_ROW_DONE : PD_ROW_FAILED;
	if (ok)
		b->rows[i].done = b->rows[i].total;
	if (b->tty)
		pd_progress_board_draw(b, true);
}

static void draw_row(struct pd_progress_row *r, const struct timespec *now)
{
	char line[160], tail[32];
	int64_t ns = ns_between(&r->start, now);
	int n;

	if (r->state == PD_ROW_DONE || r->state == PD_ROW_FAILED)
		snprintf(tail, sizeof(tail), "%s", r->state == PD_ROW_DONE ? "done" : "failed");
	else
		snprintf(tail, sizeof(tail), "%.1f MiB/s",
			 ns > 0 ? (double)r->done / 1048576.0 / ((double)ns / 1e9) : 0.0);
	n = snprintf(line, sizeof(line), "Copying %s %s  %8.1f MiB / %.1f MiB  %s", r->what, r->id,
		     (double)r->done / 1048576.0, (double)r->total / 1048576.0, tail);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	fprintf(stderr, "\r%s%*s\n", line, r->width > n ? r->width - n : 0, "");
	r->width = n;
}

void pd_progress_board_draw(struct pd_progress_board *b, bool now)
{
	struct timespec t;
	int shown = 0;

	if (!b->on || !b->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (!now && ns_between(&b->last, &t) < REDRAW_NS)
		return;
	b->last = t;
	if (b->drawn > 0)
		fprintf(stderr, "\033[%dA", b->drawn);
	for (size_t i = 0; i < b->n; i++)
		if (b->rows[i].state != PD_ROW_WAITING) {
			draw_row(&b->rows[i], &t);
			shown++;
		}
	b->drawn = shown;
	fflush(stderr);
}

void pd_progress_board_end(struct pd_progress_board *b)
{
	pd_progress_board_draw(b, true);
	free(b->rows);
	memset(b, 0, sizeof(*b));
}
