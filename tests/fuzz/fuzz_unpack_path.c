/* SPDX-License-Identifier: MIT */
/*
 * fuzz_unpack_path.c - libFuzzer target for the entry-name normalizer of the
 * layer unpacker (pd_unpack_path_parse, oci/unpack.c).
 *
 * Input: one byte choosing max_depth (1-16, or 1024 when its top bit is
 * set), then the name's bytes (NUL is an ordinary byte here).
 *
 * Oracles:
 *   - a reference reading written here apart from the normalizer: the name
 *     is tokenized at every '/' (one trailing '/' removed first) and the
 *     tokens are judged left to right: "" refused, ".." refused, "."
 *     dropped, more than 255 bytes refused, a component past max_depth
 *     refused, a result of 4096 bytes or more refused; then ".wh." in a
 *     kept component before the last is refused, and the last component
 *     classified (".wh..wh..opq" opaque, ".wh..wh.*" bookkeeping, ".wh.X"
 *     a whiteout of X, refused for X "", "." and "..").  The verdict, the
 *     path, the kind, depth, base and target must be the same;
 *   - whatever is accepted: never starts with '/', no "//", no trailing
 *     '/', no "." or ".." component, no NUL, depth = its components <=
 *     max_depth, each component <= 255 bytes, parent/base offsets
 *     consistent, a whiteout's target non-empty, not "." or "..", no '/';
 *   - normalizing the output again gives the same output and kind.
 * Seeds: tests/fuzz/corpus/fuzz_unpack_path/.
 */
#include "oci/unpack.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ref {
	enum pd_unpack_path_error err;
	char path[PD_UNPACK_PATH_MAX];
	size_t len, base, target;
	unsigned depth;
	enum pd_unpack_kind kind;
};

#define MAX_TOKENS 9000

static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !memcmp(s, prefix, k);
}

static bool equals(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && !memcmp(s, word, n);
}

static void ref_parse(const char *name, size_t len, unsigned max_depth, struct ref *r)
{
	static size_t at[MAX_TOKENS], tn[MAX_TOKENS], kept[MAX_TOKENS];
	size_t ntok = 0, nkept = 0, i, a = 0, w = 0;
	const char *last;
	size_t lastn;

	memset(r, 0, sizeof(*r));
	if (len == 0) {
		r->err = PD_UNPACK_PATH_EMPTY;
		return;
	}
	if (memchr(name, '\0', len)) {
		r->err = PD_UNPACK_PATH_NUL;
		return;
	}
	if (name[0] == '/') {
		r->err = PD_UNPACK_PATH_ABSOLUTE;
		return;
	}
	if (name[len - 1] == '/')
		len--;
	/* tokens: the pieces between '/' (len is > 0 here or the name was "/") */
	for (i = 0; i <= len; i++) {
		if (i == len || name[i] == '/') {
			at[ntok] = a;
			tn[ntok++] = i - a;
			a = i + 1;
		}
	}
	for (i = 0; i < ntok; i++) {
		const char *c = name + at[i];

		if (tn[i] == 0) {
			r->err = PD_UNPACK_PATH_EMPTY_COMPONENT;
			return;
		}
		if (equals(c, tn[i], "..")) {
			r->err = PD_UNPACK_PATH_DOTDOT;
			return;
		}
		if (equals(c, tn[i], "."))
			continue;
		if (tn[i] > 255) {
			r->err = PD_UNPACK_PATH_NAME_TOO_LONG;
			return;
		}
		if (nkept + 1 > max_depth) {
			r->err = PD_UNPACK_PATH_TOO_DEEP;
			return;
		}
		if (w + (nkept ? 1 : 0) + tn[i] > PD_UNPACK_PATH_MAX - 1) {
			r->err = PD_UNPACK_PATH_TOO_LONG;
			return;
		}
		w += (nkept ? 1 : 0) + tn[i];
		kept[nkept++] = i;
	}
	for (i = 0; i + 1 < nkept; i++)
		if (starts(name + at[kept[i]], tn[kept[i]], ".wh.")) {
			r->err = PD_UNPACK_PATH_WH_DIR;
			return;
		}
	for (i = 0; i < nkept; i++) {
		if (i)
			r->path[r->len++] = '/';
		if (i == nkept - 1)
			r->base = r->len;
		memcpy(r->path + r->len, name + at[kept[i]], tn[kept[i]]);
		r->len += tn[kept[i]];
	}
	r->path[r->len] = '\0';
	r->depth = (unsigned)nkept;
	r->kind = PD_UNPACK_PLAIN;
	if (!nkept)
		return;
	last = r->path + r->base;
	lastn = r->len - r->base;
	if (equals(last, lastn, ".wh..wh..opq")) {
		r->kind = PD_UNPACK_OPAQUE;
	} else if (starts(last, lastn, ".wh..wh.")) {
		r->kind = PD_UNPACK_META;
	} else if (starts(last, lastn, ".wh.")) {
		r->kind = PD_UNPACK_WHITEOUT;
		r->target = r->base + 4;
		if (lastn == 4)
			r->err = PD_UNPACK_PATH_WH_EMPTY;
		else if (equals(last + 4, lastn - 4, "."))
			r->err = PD_UNPACK_PATH_WH_DOT;
		else if (equals(last + 4, lastn - 4, ".."))
			r->err = PD_UNPACK_PATH_WH_DOTDOT;
	}
}

/* The properties of an accepted result, whatever the reference says. */
static void check_clean(const struct pd_unpack_path *p, unsigned max_depth)
{
	size_t i = 0;
	unsigned comps = 0;

	if (p->len != strlen(p->path) || p->len >= PD_UNPACK_PATH_MAX)
		abort();
	if (p->len == 0) {
		if (p->depth != 0 || p->kind != PD_UNPACK_PLAIN)
			abort();
		return;
	}
	if (p->path[0] == '/' || p->path[p->len - 1] == '/' || strstr(p->path, "//"))
		abort();
	while (i < p->len) {
		size_t n = strcspn(p->path + i, "/");

		if (n == 0 || n > 255 || equals(p->path + i, n, ".") ||
		    equals(p->path + i, n, ".."))
			abort();
		if (i + n < p->len && starts(p->path + i, n, ".wh."))
			abort();
		comps++;
		i += n + 1;
	}
	if (comps != p->depth || comps > max_depth)
		abort();
	if (p->base > p->len ||
	    (p->base && (p->path[p->base - 1] != '/' || p->parent_len != p->base - 1)) ||
	    (!p->base && p->parent_len) || strchr(p->path + p->base, '/'))
		abort();
	if (p->kind == PD_UNPACK_WHITEOUT) {
		const char *t = p->path + p->target;

		if (p->target != p->base + 4 || !*t || !strcmp(t, ".") || !strcmp(t, "..") ||
		    strchr(t, '/'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pd_unpack_path p, again;
	static struct ref r;
	unsigned max_depth;
	enum pd_unpack_path_error e;
	const char *name;
	size_t len;

	if (size < 1 || size > 8192)
		return 0;
	max_depth = data[0] & 0x80 ? 1024 : 1 + data[0] % 16;
	name = (const char *)data + 1;
	len = size - 1;
	e = pd_unpack_path_parse(name, len, max_depth, &p);
	ref_parse(name, len, max_depth, &r);
	if (e != r.err)
		abort();
	if (e != PD_UNPACK_PATH_OK)
		return 0;
	if (strcmp(p.path, r.path) || p.len != r.len || p.kind != r.kind || p.depth != r.depth ||
	    p.base != r.base || (p.kind == PD_UNPACK_WHITEOUT && p.target != r.target))
		abort();
	check_clean(&p, max_depth);
	if (p.len > 0) {
		if (pd_unpack_path_parse(p.path, p.len, max_depth, &again) != PD_UNPACK_PATH_OK ||
		    strcmp(again.path, p.path) || again.kind != p.kind)
			abort();
	}
	return 0;
}
