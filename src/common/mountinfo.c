/* SPDX-License-Identifier: MIT */
#include "mountinfo.h"
#include "fs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

/* Copy field [s, s+n) into @out (size @sz), undoing octal escapes. 0 when it fits. */
static int unescape(const char *s, size_t n, char *out, size_t sz)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (w + 1 >= sz)
			return -1;
		out[w++] = c;
	}
	out[w] = '\0';
	return 0;
}

/*
 * The super options, cut before the last ',' among their first @sz - 1
 * bytes whose part fits: an overlay of hundreds of layers lists them all
 * there, and the line must still count.
 */
static void unescape_options(const char *s, size_t n, char *out, size_t sz)
{
	if (unescape(s, n, out, sz) == 0)
		return;
	/* unescaping only shrinks: n >= sz here, so s[cut] is inside the field */
	for (size_t cut = sz - 1; cut > 0; cut--)
		if (s[cut] == ',' && unescape(s, cut, out, sz) == 0)
			return;
	out[0] = '\0';
}

static int parse_uint(const char *s, size_t n, unsigned *v)
{
	unsigned long x = 0;

	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	*v = (unsigned)x;
	return 0;
}

/* One line: "id parent maj:min root mountpoint opts [optional...] - fstype source superopts". */
static int parse_line(const char *line, size_t n, struct pd_mountinfo *m)
{
	const char *f[6];
	size_t fl[6], nf = 0, i = 0;
	const char *sep;
	const char *t[3];
	size_t tl[3], nt = 0;

	while (i < n && nf < 6) {
		size_t start = i;

		while (i < n && line[i] != ' ')
			i++;
		f[nf] = line + start;
		fl[nf++] = i - start;
		i++;
	}
	if (nf < 6)
		return -1;
	/* The optional fields end at " - ". */
	sep = NULL;
	for (size_t k = (size_t)(f[5] - line); k + 2 < n; k++)
		if (line[k] == ' ' && line[k + 1] == '-' && line[k + 2] == ' ') {
			sep = line + k + 3;
			break;
		}
	if (!sep)
		return -1;
	for (i = (size_t)(sep - line); i < n && nt < 3;) {
		size_t start = i;

		while (i < n && line[i] != ' ')
			i++;
		t[nt] = line + start;
		tl[nt++] = i - start;
		i++;
	}
	if (nt < 3)
		return -1;
	if (parse_uint(f[0], fl[0], &m->id) < 0 || parse_uint(f[1], fl[1], &m->parent) < 0 ||
	    unescape(f[3], fl[3], m->root, sizeof(m->root)) < 0 ||
	    unescape(f[4], fl[4], m->mountpoint, sizeof(m->mountpoint)) < 0 ||
	    unescape(t[0], tl[0], m->fstype, sizeof(m->fstype)) < 0)
		return -1;
	unescape_options(t[2], tl[2], m->superopts, sizeof(m->superopts));
	return 0;
}

int pd_mountinfo_foreach(const char *text, size_t len,
			 int (*fn)(const struct pd_mountinfo *, void *), void *ctx)
{
	struct pd_mountinfo *m = malloc(sizeof(*m));
	size_t off = 0;
	int r = 0;

	if (!m)
		return -1;
	while (off < len && !r) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;

		off += n + (nl ? 1 : 0);
		if (parse_line(line, n, m) == 0)
			r = fn(m, ctx);
	}
	free(m);
	return r;
}

int pd_mountinfo_read(char **text, size_t *len, struct pd_error *err)
{
	return pd_read_file_at(AT_FDCWD, "/proc/self/mountinfo", 0, 16u << 20, text, len, err);
}
