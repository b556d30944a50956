/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mountinfo.c - libFuzzer target for the /proc/PID/mountinfo walker
 * (src/common/mountinfo.c) over arbitrary bytes.
 *
 * The oracle is a reference reading written here apart from the walker:
 * each line ('\n'-separated; NUL is an ordinary byte) is cut into its
 * space-separated tokens (a line that ends in a space has no empty last
 * token), and it is an entry when
 *   - it has six tokens before a "-" token that is followed by a space, the
 *     first such "-" from the seventh token on (the optional fields lie in
 *     between), and three tokens after it;
 *   - tokens 1 and 2 (id, parent) are 1-9 decimal digits;
 *   - tokens 4 and 5 (root, mount point) and fstype, unescaped, fit their
 *     buffers with the NUL (escapes: a backslash and three octal digits,
 *     the first 0-3, stand for that byte; any other backslash is itself).
 * The super options need not fit: then they are the token cut before the
 * last ',' among its first 1023 bytes whose part fits, or "".
 * The walker must call back exactly once per entry, in order, with every
 * field equal, byte for byte up to its NUL, to the reference's unescaped
 * token; each field is NUL-terminated within its buffer.  A second walk
 * that stops at a chosen entry must return the callback's value and make
 * no further call.
 * Seeds: tests/fuzz/corpus/fuzz_mountinfo/.
 */
#include "common/mountinfo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tok {
	const char *s;
	size_t n;
};

struct ref_entry {
	unsigned id, parent;
	struct tok root, mountpoint, fstype, superopts;
};

struct walk {
	struct ref_entry *want;
	size_t n_want;
	size_t calls;
	size_t stop_at; /* return non-zero on this call (SIZE_MAX: never) */
};

static int is_oct(char c, char hi)
{
	return c >= '0' && c <= hi;
}

/* Unescape @t into @out (@sz bytes with the NUL); -1 when it does not fit. */
static long ref_unescape(struct tok t, char *out, size_t sz)
{
	size_t w = 0, i = 0;

	while (i < t.n) {
		char c = t.s[i];

		if (c == '\\' && t.n - i >= 4 && is_oct(t.s[i + 1], '3') &&
		    is_oct(t.s[i + 2], '7') && is_oct(t.s[i + 3], '7')) {
			c = (char)(((t.s[i + 1] - '0') << 6) | ((t.s[i + 2] - '0') << 3) |
				   (t.s[i + 3] - '0'));
			i += 4;
		} else {
			i++;
		}
		if (w == sz - 1)
			return -1;
		out[w++] = c;
	}
	out[w] = '\0';
	return (long)w;
}

static int ref_uint(struct tok t, unsigned *v)
{
	if (t.n < 1 || t.n > 9)
		return -1;
	*v = 0;
	for (size_t i = 0; i < t.n; i++) {
		if (t.s[i] < '0' || t.s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(t.s[i] - '0');
	}
	return 0;
}

/*
 * Token @*pos of the line (@n bytes) into @t, moving @*pos past it and its
 * space; *spaced tells whether a space follows it.  0 when there is none
 * (an empty token after a final space does not count).
 */
static int next_tok(const char *line, size_t n, size_t *pos, struct tok *t, int *spaced)
{
	size_t a = *pos, b = a;

	if (a > n || (a == n && (n == 0 || line[n - 1] == ' ')))
		return 0;
	while (b < n && line[b] != ' ')
		b++;
	*t = (struct tok){ line + a, b - a };
	*spaced = b < n;
	*pos = b + 1;
	return 1;
}

/* Line @line of @n bytes: 1 and @e filled when it is an entry. */
static int ref_line(const char *line, size_t n, struct ref_entry *e)
{
	static char scratch[1024];
	struct tok f[6], t, after[3];
	size_t pos = 0, i;
	int spaced = 0, dash = 0;

	for (i = 0; i < 6; i++)
		if (!next_tok(line, n, &pos, &f[i], &spaced))
			return 0;
	/* the first "-" from the seventh token on that a space follows */
	while (!dash && next_tok(line, n, &pos, &t, &spaced))
		dash = t.n == 1 && t.s[0] == '-' && spaced;
	if (!dash)
		return 0;
	for (i = 0; i < 3; i++)
		if (!next_tok(line, n, &pos, &after[i], &spaced))
			return 0;
	if (ref_uint(f[0], &e->id) < 0 || ref_uint(f[1], &e->parent) < 0 ||
	    ref_unescape(f[3], scratch, 1024) < 0 || ref_unescape(f[4], scratch, 1024) < 0 ||
	    ref_unescape(after[0], scratch, 64) < 0)
		return 0;
	e->root = f[3];
	e->mountpoint = f[4];
	e->fstype = after[0];
	e->superopts = after[2];
	return 1;
}

/* Every entry of the text, in order (a heap array; *n of them). */
static struct ref_entry *ref_entries(const uint8_t *text, size_t size, size_t *n)
{
	struct ref_entry *v = malloc((size / 2 + 1) * sizeof(*v));
	size_t a = 0;

	if (!v)
		abort();
	*n = 0;
	while (a < size) {
		const uint8_t *nl = memchr(text + a, '\n', size - a);
		size_t len = nl ? (size_t)(nl - (text + a)) : size - a;

		*n += (size_t)ref_line((const char *)text + a, len, &v[*n]);
		a += len + 1;
	}
	return v;
}

/* @field holds exactly the unescaped @t (up to its NUL, within @sz bytes). */
static void expect_field(const char *field, size_t sz, struct tok t)
{
	static char want[1024];
	long n = ref_unescape(t, want, sz);

	if (n < 0 || !memchr(field, '\0', sz) || memcmp(field, want, (size_t)n + 1) != 0)
		abort();
}

/* The super options: whole, or cut before a ',' (see the top). */
static void expect_options(const char *field, size_t sz, struct tok t)
{
	static char want[1024];

	if (ref_unescape(t, want, sz) >= 0) {
		expect_field(field, sz, t);
		return;
	}
	for (size_t cut = sz - 1; cut > 0; cut--) {
		struct tok p = { t.s, cut };

		if (cut < t.n && t.s[cut] == ',' && ref_unescape(p, want, sz) >= 0) {
			expect_field(field, sz, p);
			return;
		}
	}
	if (field[0] != '\0')
		abort();
}

static int check(const struct pd_mountinfo *m, void *p)
{
	struct walk *w = p;
	size_t k = w->calls++;
	const struct ref_entry *e;

	if (k >= w->n_want)
		abort(); /* a call for a line the reference does not take */
	e = &w->want[k];
	if (m->id != e->id || m->parent != e->parent)
		abort();
	expect_field(m->root, sizeof(m->root), e->root);
	expect_field(m->mountpoint, sizeof(m->mountpoint), e->mountpoint);
	expect_field(m->fstype, sizeof(m->fstype), e->fstype);
	expect_options(m->superopts, sizeof(m->superopts), e->superopts);
	if (k == w->stop_at)
		return 1 + (int)(k % 1000);
	if (k > w->stop_at)
		abort(); /* called after it was told to stop */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w = { NULL, 0, 0, SIZE_MAX };
	int r;

	if (size > 65536)
		return 0;
	w.want = ref_entries(data, size, &w.n_want);
	r = pd_mountinfo_foreach((const char *)data, size, check, &w);
	if (r != 0 || w.calls != w.n_want)
		abort();
	if (w.n_want > 0) {
		/* Stop at one entry: its value comes back, nothing is called after it. */
		w.calls = 0;
		w.stop_at = (size * 2654435761u) % w.n_want;
		r = pd_mountinfo_foreach((const char *)data, size, check, &w);
		if (r != 1 + (int)(w.stop_at % 1000) || w.calls != w.stop_at + 1)
			abort();
	}
	free(w.want);
	return 0;
}
