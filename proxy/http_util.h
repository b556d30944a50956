/* SPDX-License-Identifier: MIT */
/*
 * http_util.h - byte classes and comparisons the request and response
 * parsers share (internal to proxy/).
 */
#ifndef PAUDE_PROXY_HTTP_UTIL_H
#define PAUDE_PROXY_HTTP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* RFC 9110 tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA. */
static inline bool pd_http_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static inline unsigned char pd_http_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* [s, s+n) equals the lowercase literal @lit, in any case. */
static inline bool pd_http_ieq(const char *s, size_t n, const char *lit)
{
	size_t m = strlen(lit);

	if (n != m)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pd_http_lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

/* [a, a+an) and [b, b+bn) are equal in any case. */
static inline bool pd_http_ieq2(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (pd_http_lower((unsigned char)a[i]) != pd_http_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* Drop optional whitespace (SP, HTAB) around [*s, *s+*n). */
static inline void pd_http_trim_ows(const char **s, size_t *n)
{
	while (*n > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/*
 * pd_http_next_token() - the next element of a comma-separated list in
 * [v, v+vn), from *@i on, without its surrounding whitespace (maybe empty).
 * Return: false once the list is done.
 */
static inline bool pd_http_next_token(const char *v, size_t vn, size_t *i, const char **t,
				      size_t *tn)
{
	size_t s = *i;

	if (*i > vn)
		return false;
	while (*i < vn && v[*i] != ',')
		(*i)++;
	*t = v + s;
	*tn = *i - s;
	pd_http_trim_ows(t, tn);
	(*i)++;
	return true;
}

/* An output buffer that says when it overflowed instead of writing past its end. */
struct pd_http_out {
	char *buf;
	size_t cap, len;
	bool overflow;
};

static inline void pd_http_put(struct pd_http_out *o, const char *s, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static inline void pd_http_puts(struct pd_http_out *o, const char *s)
{
	pd_http_put(o, s, strlen(s));
}

#endif
