/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cp_name.c - libFuzzer target for pd_cp_member_name (src/cp_tar.c),
 * the cleaning of an untrusted archive member's name.
 *
 * Input: the first byte picks the output's size (0xff: PATH_MAX, otherwise
 * the byte itself, 0 included); the rest up to the first '\n' is the raw
 * name, and what follows a '\n' is the top name (none without one).  The
 * output buffer is exactly that size, so ASan sees any write past it.
 * Oracles:
 *   - the result (refused or the name) is what a plain restatement of the
 *     rules below gives: split on '/', drop empty and "." components, refuse
 *     an absolute name, a ".." component, no component at all or more than
 *     256; with a top name (non-empty, no '/', not "." or "..") replace the
 *     first; refuse what does not fit the buffer with its NUL;
 *   - a name given back: shorter than the buffer, no leading '/', no empty,
 *     "." or ".." component, at most 256 components, the first one the top
 *     name when there is one, and cleaning it again gives it unchanged.
 * Seeds: tests/fuzz/corpus/fuzz_cp_name/.
 */
#include "cp_tar.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEPTH_MAX 256

static bool bad_top(const char *top)
{
	return !top[0] || strchr(top, '/') || !strcmp(top, ".") || !strcmp(top, "..");
}

/* The rules restated: 0 with the name in @out (malloc'd), or -1. */
static int reference(const char *raw, const char *top, size_t cap, char **out)
{
	size_t len = strlen(raw), k = 0, depth = 0;
	char *res = malloc(len + (top ? strlen(top) : 0) + 2);
	const char *p = raw;

	*out = NULL;
	if (!res)
		abort();
	if (raw[0] == '/')
		goto refused;
	while (*p) {
		size_t n = strcspn(p, "/");
		const char *comp = p;

		p += n;
		if (*p == '/')
			p++;
		if (n == 0 || (n == 1 && comp[0] == '.'))
			continue;
		if (n == 2 && comp[0] == '.' && comp[1] == '.')
			goto refused;
		if (++depth == 1 && top) {
			if (bad_top(top))
				goto refused;
			comp = top;
			n = strlen(top);
		}
		if (k)
			res[k++] = '/';
		memcpy(res + k, comp, n);
		k += n;
	}
	res[k] = '\0';
	if (depth == 0 || depth > DEPTH_MAX || k + 1 > cap)
		goto refused;
	*out = res;
	return 0;
refused:
	free(res);
	return -1;
}

/* The invariants of a name given back. */
static void check_clean(const char *out, const char *top, size_t cap)
{
	size_t len = strlen(out), depth = 0;

	if (len + 1 > cap || len == 0 || out[0] == '/')
		abort();
	for (const char *p = out;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			abort();
		if (++depth == 1 && top && (n != strlen(top) || memcmp(p, top, n) != 0))
			abort();
		if (!p[n])
			break;
		p += n + 1;
	}
	if (depth > DEPTH_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl;
	char *raw, *top = NULL, *out, *again, *want;
	size_t cap, rawlen;
	int r, w;

	if (size < 1 || size > 65536)
		return 0;
	cap = data[0] == 0xff ? PATH_MAX : data[0];
	nl = memchr(data + 1, '\n', size - 1);
	rawlen = nl ? (size_t)(nl - (const char *)data) - 1 : size - 1;
	raw = strndup((const char *)data + 1, rawlen);
	if (nl)
		top = strndup(nl + 1, size - (size_t)(nl - (const char *)data) - 1);
	out = malloc(cap);
	again = malloc(cap);
	if (!raw || (nl && !top) || (cap && (!out || !again)))
		abort();

	r = pd_cp_member_name(raw, top, out, cap);
	w = reference(raw, top, cap, &want);
	if (r != w || (r == 0 && strcmp(out, want) != 0))
		abort();
	if (r == 0) {
		check_clean(out, top, cap);
		if (pd_cp_member_name(out, NULL, again, cap) != 0 || strcmp(out, again) != 0)
			abort();
	}
	free(want);
	free(again);
	free(out);
	free(top);
	free(raw);
	return 0;
}
