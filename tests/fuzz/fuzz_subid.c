/* SPDX-License-Identifier: MIT */
/*
 * fuzz_subid.c - libFuzzer target for /etc/subuid parsing and the free-range
 * finder of runtime/subid.c.  Input: 13 bytes of parameters (uid, min,
 * floor: 32-bit little-endian; an alignment exponent byte), then two texts
 * separated by the first NUL byte (subuid, subgid), each handed over as an
 * exact-size block.  The alignment is 2^16..2^23 (the one caller uses
 * 65536); small counts only make the search slow, not more interesting; the
 * floor is raised so that at most 4096 blocks are tried.
 *
 * The oracle is a reference reading of both texts, written here apart from
 * runtime/subid.c, of the format as paude documents it: lines split at
 * '\n' (one trailing '\r' dropped), '#' comments and blank lines skipped,
 * "name:start:count" with a non-empty name, start and count of 1-15 bytes
 * read as shadow reads them (decimal, 0x hex, 0 octal), count > 0, start + count <= UINT32_MAX; anything else is
 * skipped (a NUL byte is an ordinary byte: a number with one is not a
 * number).  Then:
 *  - pd_subid_find() returns the first entry named after the user or its
 *    decimal uid with at least min ids, or 0 when there is none;
 *  - pd_subid_free_start() returns a block that is well-formed (aligned,
 *    >= floor, inside the id space) and free (it overlaps no entry of
 *    either text), and the lowest such block; it fails with ERANGE exactly
 *    when no such block exists.
 * Seeds: tests/fuzz/corpus/fuzz_subid/.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/idmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ref_entry {
	const char *name;
	size_t name_len;
	uint64_t start, end; /* [start, end) */
};

struct ref {
	struct ref_entry e[1024];
	size_t n;
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* [s, s+n), 1-15 bytes, as shadow's getulong() reads it (strtoul base 0:
 * "0x" hex, a leading 0 octal, else decimal; no blanks or signs), no
 * larger than UINT32_MAX. */
static int ref_number(const char *s, size_t n, uint64_t *v)
{
	unsigned base = 10;
	size_t i = 0;

	if (n == 0 || n > 15)
		return -1;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	} else if (n >= 2 && s[0] == '0') {
		base = 8;
		i = 1;
	}
	if (i == n)
		return -1;
	*v = 0;
	for (; i < n; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		if ((unsigned)d >= base)
			return -1;
		*v = *v * base + (uint64_t)d; /* 13 hex digits cannot overflow */
	}
	return *v > UINT32_MAX ? -1 : 0;
}

/* Every valid entry of @text, in order. */
static void ref_parse(const char *text, size_t len, struct ref *r)
{
	size_t a = 0;

	r->n = 0;
	while (a < len) {
		size_t b = a, n, c1, c2;
		uint64_t start, count;

		while (b < len && text[b] != '\n')
			b++;
		n = b - a;
		if (n > 0 && text[a + n - 1] == '\r')
			n--;
		/* the two first colons */
		for (c1 = a; c1 < a + n && text[c1] != ':'; c1++)
			;
		for (c2 = c1 + 1; c2 < a + n && text[c2] != ':'; c2++)
			;
		/* A line with a NUL anywhere is not an entry (paude's rule: a NUL
		 * would end a number early in any C-string parser). */
		if (n > 0 && text[a] != '#' && c1 > a && c2 < a + n && !memchr(text + a, '\0', n) &&
		    ref_number(text + c1 + 1, c2 - c1 - 1, &start) == 0 &&
		    ref_number(text + c2 + 1, a + n - c2 - 1, &count) == 0 && count > 0 &&
		    start + count <= UINT32_MAX) {
			if (r->n == sizeof(r->e) / sizeof(r->e[0]))
				abort(); /* the input cap makes this impossible */
			r->e[r->n++] = (struct ref_entry){ text + a, c1 - a, start, start + count };
		}
		a = b + 1;
	}
}

static int ref_overlaps(const struct ref *r, uint64_t s, uint64_t e)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].start < e && s < r->e[i].end)
			return 1;
	return 0;
}

/* The reference answer of pd_subid_find(). */
static int ref_find(const struct ref *r, const char *user, uint32_t uid, uint32_t min,
		    struct pd_subid_range *out)
{
	char num[16];
	int nl = snprintf(num, sizeof(num), "%u", uid);

	for (size_t i = 0; i < r->n; i++) {
		const struct ref_entry *e = &r->e[i];
		int named = user && strlen(user) == e->name_len &&
			    !memcmp(user, e->name, e->name_len);
		int numbered = (size_t)nl == e->name_len && !memcmp(num, e->name, e->name_len);

		if ((named || numbered) && e->end - e->start >= min) {
			out->start = (uint32_t)e->start;
			out->count = (uint32_t)(e->end - e->start);
			return 1;
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref ra, rb;
	static const char *const names[] = { "paude", "alice", "root", "", NULL };
	uint32_t uid, min, floor, count, start = 0;
	uint64_t first, s;
	const uint8_t *t;
	const uint8_t *sep;
	size_t tlen, alen, blen;
	char *a, *b;
	int got, want = 0;

	if (size < 13 || size > 1024) /* the range search is O(ranges x text) */
		return 0;
	uid = rd32(data);
	min = rd32(data + 4) & 0x1ffff;
	floor = rd32(data + 8);
	count = 1u << (16 + (data[12] & 7));
	/* at most 4096 candidate blocks per input, so each run stays fast */
	if (4096ull * count < (1ull << 32) && floor < (1ull << 32) - 4096ull * count)
		floor = (uint32_t)((1ull << 32) - 4096ull * count) + (floor & (count - 1));
	t = data + 13;
	tlen = size - 13;
	sep = memchr(t, '\0', tlen);
	alen = sep ? (size_t)(sep - t) : tlen;
	blen = sep ? tlen - alen - 1 : 0;
	a = malloc(alen ? alen : 1);
	b = malloc(blen ? blen : 1);
	if (!a || !b)
		abort();
	memcpy(a, t, alen);
	if (blen)
		memcpy(b, sep + 1, blen);
	ref_parse(a, alen, &ra);
	ref_parse(b, blen, &rb);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct pd_subid_range r = { 0xdead, 0xbeef }, w = { 0xdead, 0xbeef };
		int found = pd_subid_find(a, alen, names[i], uid, min, &r);

		if (found != ref_find(&ra, names[i], uid, min, &w) || r.start != w.start ||
		    r.count != w.count)
			abort();
	}

	/* The lowest aligned block at or above floor that overlaps no entry. */
	first = ((uint64_t)floor + count - 1) / count * count;
	for (s = first; s + count <= UINT32_MAX; s += count) {
		if (!ref_overlaps(&ra, s, s + count) && !ref_overlaps(&rb, s, s + count)) {
			want = 1;
			break;
		}
	}
	errno = 0;
	got = pd_subid_free_start(a, alen, b, blen, floor, count, &start) == 0;
	if (got != want)
		abort();
	if (got) {
		/* well-formed ... */
		if (start % count || start < floor || (uint64_t)start + count > UINT32_MAX)
			abort();
		/* ... free in both files ... */
		if (ref_overlaps(&ra, start, (uint64_t)start + count) ||
		    ref_overlaps(&rb, start, (uint64_t)start + count))
			abort();
		/* ... and the lowest such block */
		if (start != s)
			abort();
	} else if (errno != ERANGE) {
		abort();
	}
	free(a);
	free(b);
	return 0;
}
