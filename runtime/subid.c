/* SPDX-License-Identifier: MIT */
/*
 * subid.c - /etc/subuid and /etc/subgid, parsed.
 *
 * The files are "name_or_uid:start:count" lines.  They are parsed from a
 * bounded buffer, line by line, without allocation; malformed lines are
 * skipped (as shadow's tools do), never trusted.  Numbers are read as
 * shadow reads them (strtoul with base 0: decimal, 0x hex, 0 octal), so
 * paude asks newuidmap for exactly the range newuidmap will find; what
 * strtoul would also take (blanks, a sign) makes the line malformed here.  Adding paude's own entry
 * (root mode) is the host's provisioning, done by src/ (src/idrange.c).
 */
#include "idmap.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct subid_line {
	const char *name;
	size_t name_len;
	uint32_t start, count;
};

/* A number as shadow's getulong() reads it, within 32 bits; -1 if not one. */
static int parse_id(const char *s, uint32_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s++;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (d >= base)
			return -1;
		v = v * base + d;
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Parse one line; 1 when it is a valid entry. */
static int parse_line(const char *line, size_t n, struct subid_line *out)
{
	const char *c1 = memchr(line, ':', n);
	const char *c2;
	char num[16];
	size_t l;

	/* A NUL inside a line would end a number early: not an entry. */
	if (!c1 || c1 == line || memchr(line, '\0', n))
		return 0;
	c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line));
	if (!c2)
		return 0;
	l = (size_t)(c2 - c1 - 1);
	if (l == 0 || l >= sizeof(num))
		return 0;
	memcpy(num, c1 + 1, l);
	num[l] = '\0';
	if (parse_id(num, &out->start) < 0)
		return 0;
	l = n - (size_t)(c2 + 1 - line);
	if (l == 0 || l >= sizeof(num))
		return 0;
	memcpy(num, c2 + 1, l);
	num[l] = '\0';
	if (parse_id(num, &out->count) < 0 || out->count == 0)
		return 0;
	if ((uint64_t)out->start + out->count > UINT32_MAX)
		return 0;
	out->name = line;
	out->name_len = (size_t)(c1 - line);
	return 1;
}

/* Iterate the valid entries of @text; @fn returns non-zero to stop. */
static int for_each_line(const char *text, size_t len, int (*fn)(const struct subid_line *, void *),
			 void *ctx)
{
	size_t off = 0;

	while (off < len) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;
		struct subid_line e;
		int r;

		off += n + (nl ? 1 : 0);
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#' || !parse_line(line, n, &e))
			continue;
		r = fn(&e, ctx);
		if (r)
			return r;
	}
	return 0;
}

struct find_ctx {
	const char *user;
	char uidstr[16];
	uint32_t min;
	struct pd_subid_range *out;
};

static int find_cb(const struct subid_line *e, void *p)
{
	struct find_ctx *c = p;
	bool by_name = c->user && strlen(c->user) == e->name_len &&
		       !memcmp(c->user, e->name, e->name_len);
	bool by_uid = strlen(c->uidstr) == e->name_len && !memcmp(c->uidstr, e->name, e->name_len);

	if ((by_name || by_uid) && e->count >= c->min) {
		c->out->start = e->start;
		c->out->count = e->count;
		return 1;
	}
	return 0;
}

int pd_subid_find(const char *text, size_t len, const char *user, uint32_t uid, uint32_t min,
		  struct pd_subid_range *out)
{
	struct find_ctx c = { .user = user, .min = min, .out = out };

	snprintf(c.uidstr, sizeof(c.uidstr), "%u", uid);
	return for_each_line(text, len, find_cb, &c);
}

struct overlap_ctx {
	uint64_t start, end;
};

static int overlap_cb(const struct subid_line *e, void *p)
{
	struct overlap_ctx *c = p;
	uint64_t s = e->start, t = (uint64_t)e->start + e->count;

	return s < c->end && c->start < t;
}

int pd_subid_free_start(const char *a, size_t alen, const char *b, size_t blen, uint32_t floor,
			uint32_t count, uint32_t *start)
{
	uint64_t s;

	if (count == 0) {
		errno = EINVAL;
		return -1;
	}
	s = ((uint64_t)floor + count - 1) / count * count;
	for (; s + count <= (uint64_t)UINT32_MAX; s += count) {
		struct overlap_ctx c = { .start = s, .end = s + count };

		if (!for_each_line(a, alen, overlap_cb, &c) &&
		    !for_each_line(b, blen, overlap_cb, &c)) {
			*start = (uint32_t)s;
			return 0;
		}
	}
	errno = ERANGE;
	return -1;
}

/* A lock file left by a process that is gone (shadow writes its pid in it). */
