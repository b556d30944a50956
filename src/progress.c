/* SPDX-License-Identifier: MIT */
/* progress.c - a pull's per-blob progress on stderr (progress.h). */
#include "progress.h"
#include "common/util.h"

#include <stdio.h>
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
