/* SPDX-License-Identifier: MIT */
#include "util.h"
#include "cleanup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static _Noreturn void oom(void)
{
	static const char m[] = "paude: out of memory\n";

	(void)!write(STDERR_FILENO, m, sizeof(m) - 1);
	abort();
}

void *pd_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *pd_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *pd_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom();
	return q;
}

void *pd_xreallocarray(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n ? n : 1, size ? size : 1);

	if (!q)
		oom();
	return q;
}

char *pd_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		oom();
	return d;
}

char *pd_xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (!d)
		oom();
	return d;
}

char *pd_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	return s;
}

size_t pd_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

void pd_strv_push_take(char ***v, char *s)
{
	size_t n = pd_strv_len(*v);

	*v = pd_xreallocarray(*v, n + 2, sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

void pd_strv_push(char ***v, const char *s)
{
	pd_strv_push_take(v, pd_xstrdup(s));
}

char **pd_strv_dup(char *const *v)
{
	size_t n = pd_strv_len(v);
	char **d = pd_xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		d[i] = pd_xstrdup(v[i]);
	return d;
}

size_t pd_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

bool pd_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int pd_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s) {
		errno = EINVAL;
		return -1;
	}
	for (const char *p = s; *p; p++) {
		unsigned d;

		if (*p < '0' || *p > '9') {
			errno = EINVAL;
			return -1;
		}
		d = (unsigned)(*p - '0');
		if (d > max || v > (max - d) / 10) {
			errno = ERANGE;
			return -1;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int pd_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (pd_parse_u64(s, UINT32_MAX, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

void pd_random_hex(char *buf, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];

	for (size_t done = 0; done < n;) {
		size_t chunk = n - done < sizeof(raw) ? n - done : sizeof(raw);
		size_t got = 0;

		while (got < chunk) {
			ssize_t r = getrandom(raw + got, chunk - got, 0);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				abort();
			}
			got += (size_t)r;
		}
		for (size_t i = 0; i < chunk; i++) {
			buf[2 * (done + i)] = hex[raw[i] >> 4];
			buf[2 * (done + i) + 1] = hex[raw[i] & 15];
		}
		done += chunk;
	}
	buf[2 * n] = '\0';
}

void pd_assert_single_threaded(void)
{
#ifndef NDEBUG
	struct stat st;

	/* procfs counts a process's threads in its task directory's links. */
	if (stat("/proc/self/task", &st) == 0 && st.st_nlink > 3) {
		static const char msg[] =
			"paude: internal error: a sandbox is cloned from a "
			"threaded process (docs/HACKING.md)\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
			/* nothing more to say */
		}
		abort();
	}
#endif
}
