/* SPDX-License-Identifier: MIT */
/*
 * fuzz_shsplit.c - libFuzzer target for shell-like word splitting
 * (src/shsplit.c) over arbitrary bytes, cut at the first NUL as a C string.
 *
 * Oracles: a refusal returns no vector and says "No closing quotation" (or,
 * for a trailing backslash, "No escaped character"); the
 * words of an accepted string together are no longer than it, and there
 * are no more of them than (length + 1) / 2 (an empty word takes two
 * quotes and a separator); text without quotes or backslashes splits as
 * strtok() on blanks does; and every word, single-quoted the way
 * shlex.quote() does it ('\'' for a quote) and joined with blanks, splits
 * back into the same words.  Seeds: tests/fuzz/corpus/fuzz_shsplit/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shsplit.h"
#include "common/cleanup.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The words of @v, each single-quoted, joined with blanks (heap). */
static char *quote_all(char *const *v)
{
	size_t len = 1;
	char *out, *p;

	for (size_t i = 0; v[i]; i++)
		len += 3 + 4 * strlen(v[i]);
	out = pd_xmalloc(len);
	p = out;
	for (size_t i = 0; v[i]; i++) {
		if (i)
			*p++ = ' ';
		*p++ = '\'';
		for (const char *c = v[i]; *c; c++) {
			if (*c == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *c;
			}
		}
		*p++ = '\'';
	}
	*p = '\0';
	return out;
}

static void same(char *const *a, char *const *b)
{
	size_t i;

	for (i = 0; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			abort();
	if (a[i] || b[i])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = pd_xmalloc(size + 1), *q, **v = NULL, **w = NULL;
	struct pd_error e = { 0 };
	size_t len, total = 0, n;

	memcpy(in, data, size);
	in[size] = '\0';
	len = strlen(in);
	if (pd_shsplit(in, &v, &e) < 0) {
		if (v || (strcmp(e.msg, "No closing quotation") != 0 &&
			  strcmp(e.msg, "No escaped character") != 0))
			abort();
		free(in);
		return 0;
	}
	if (!v)
		abort();
	n = pd_strv_len(v);
	for (size_t i = 0; i < n; i++)
		total += strlen(v[i]);
	if (total > len || n > (len + 1) / 2)
		abort();
	if (!strpbrk(in, "'\"\\")) {
		char *copy = pd_xstrdup(in), *save = NULL, *tok;
		size_t i = 0;

		for (tok = strtok_r(copy, " \t\n\r", &save); tok;
		     tok = strtok_r(NULL, " \t\n\r", &save))
			if (!v[i] || strcmp(v[i++], tok) != 0)
				abort();
		if (v[i])
			abort();
		free(copy);
	}
	q = quote_all(v);
	if (pd_shsplit(q, &w, &e) < 0)
		abort();
	same(v, w);
	free(q);
	pd_strv_free(v);
	pd_strv_free(w);
	free(in);
	return 0;
}
