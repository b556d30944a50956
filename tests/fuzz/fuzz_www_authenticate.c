/* SPDX-License-Identifier: MIT */
/*
 * fuzz_www_authenticate.c - libFuzzer target for the WWW-Authenticate parser
 * (oci/auth.c, pd_www_auth_parse) over arbitrary bytes.
 *
 * The first byte picks the room for challenges (1-4); the rest is the header.
 * The oracle is a reference reading written here apart from the parser, in
 * another shape: the header is first cut into list elements at the commas
 * outside quoted strings (a quoted string with a backslash escape that has
 * no byte after it, or no closing quote, refuses the header), then each
 * element, without its surrounding spaces and tabs, is one of
 *   - empty: nothing;
 *   - SCHEME: a new challenge without parameters;
 *   - NAME BWS "=" BWS VALUE: a parameter of the current challenge (refused
 *     before any challenge or after a token68);
 *   - SCHEME 1*SP then a token68 (token68 characters, then '='s): a
 *     challenge with a token68;
 *   - SCHEME 1*SP then NAME BWS "=" BWS VALUE: a challenge and its first
 *     parameter;
 * where SCHEME and NAME are tokens, VALUE the whole rest of the element and
 * either a token or one quoted string (qdtext: tab, space, 0x21, 0x23-0x5b,
 * 0x5d-0x7e, 0x80-0xff; an escape: backslash then tab, space or 0x21-0x7e or
 * 0x80-0xff).  Anything else refuses the header, and so do: an empty header
 * or one over PD_WWW_AUTH_MAX bytes, no challenge at all, more challenges
 * than room, a scheme name of 32 bytes or more, a parameter name twice in a
 * challenge (ignoring case), more than 32 parameters in one, and a realm,
 * service, scope or error value that does not fit its field.
 * The parser must refuse exactly when the reference does, and otherwise
 * return the same challenges: the scheme (Basic, Bearer, other: ignoring
 * case), its name as sent, the token68 flag, the parameter count, and the
 * four kept values (unescaped), each NUL-terminated within its field.
 * Seeds: tests/fuzz/corpus/fuzz_www_authenticate/.
 */
#include "oci/auth.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	const char *s;
	size_t n;
};

struct ref {
	int n;
	struct pd_auth_challenge c[4];
	struct span names[4][33];
};

static bool tch(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != 0 && memchr("!#$%&'*+-.^_`|~", c, 15) != NULL);
}

static bool t68(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool qdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

static bool escapable(unsigned char c)
{
	return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80;
}

static size_t token_len(struct span e)
{
	size_t i = 0;

	while (i < e.n && tch((unsigned char)e.s[i]))
		i++;
	return i;
}

/* VALUE: a token or one whole quoted string; unescaped into @out (@cap). */
static bool ref_value(struct span v, char *out, size_t cap, size_t *len)
{
	size_t w = 0;

	if (v.n > 0 && v.s[0] != '"') {
		if (token_len(v) != v.n)
			return false;
		memcpy(out, v.s, v.n < cap ? v.n : cap);
		*len = v.n;
		return true;
	}
	if (v.n < 2 || v.s[v.n - 1] != '"')
		return false;
	for (size_t i = 1; i + 1 < v.n; i++) {
		unsigned char c = (unsigned char)v.s[i];

		if (c == '\\') {
			if (i + 2 >= v.n || !escapable((unsigned char)v.s[i + 1]))
				return false;
			c = (unsigned char)v.s[++i];
		} else if (!qdtext(c)) {
			return false;
		}
		if (w < cap)
			out[w] = (char)c;
		w++;
	}
	*len = w;
	return true;
}

static bool keep(struct pd_auth_challenge *c, struct span name, const char *v, size_t vlen)
{
	static const char *const names[] = { "realm", "service", "scope", "error" };
	char *fields[] = { c->realm, c->service, c->scope, c->error };
	size_t caps[] = { sizeof(c->realm), sizeof(c->service), sizeof(c->scope),
			  sizeof(c->error) };

	for (int i = 0; i < 4; i++)
		if (strlen(names[i]) == name.n && !strncasecmp(names[i], name.s, name.n)) {
			if (vlen >= caps[i])
				return false;
			memcpy(fields[i], v, vlen);
			fields[i][vlen] = '\0';
		}
	return true;
}

/* NAME BWS "=" BWS VALUE as the next parameter of challenge @k. */
static bool ref_param(struct ref *r, int k, struct span e, char *scratch)
{
	struct pd_auth_challenge *c = &r->c[k];
	size_t t = token_len(e), i = t, vlen = 0;
	struct span name = { e.s, t }, v;

	if (t == 0)
		return false;
	while (i < e.n && ows(e.s[i]))
		i++;
	if (i == e.n || e.s[i] != '=')
		return false;
	i++;
	while (i < e.n && ows(e.s[i]))
		i++;
	v = (struct span){ e.s + i, e.n - i };
	if (!ref_value(v, scratch, PD_WWW_AUTH_MAX, &vlen))
		return false;
	if (c->token68 || c->n_params == 32)
		return false;
	for (unsigned p = 0; p < c->n_params; p++)
		if (r->names[k][p].n == t && !strncasecmp(r->names[k][p].s, name.s, t))
			return false;
	r->names[k][c->n_params++] = name;
	return keep(c, name, scratch, vlen);
}

static bool ref_scheme(struct ref *r, size_t cap, struct span name)
{
	struct pd_auth_challenge *c;

	if ((size_t)r->n == cap || name.n >= sizeof(c->scheme_name))
		return false;
	c = &r->c[r->n++];
	memset(c, 0, sizeof(*c));
	memcpy(c->scheme_name, name.s, name.n);
	c->scheme = !strcasecmp(c->scheme_name, "basic")    ? PD_AUTH_BASIC
		    : !strcasecmp(c->scheme_name, "bearer") ? PD_AUTH_BEARER
							    : PD_AUTH_OTHER;
	return true;
}

static bool ref_element(struct ref *r, size_t cap, struct span e, char *scratch)
{
	size_t t, i, j;

	while (e.n > 0 && ows(e.s[0])) {
		e.s++;
		e.n--;
	}
	while (e.n > 0 && ows(e.s[e.n - 1]))
		e.n--;
	if (e.n == 0)
		return true;
	t = token_len(e);
	if (t == 0)
		return false;
	for (i = t; i < e.n && ows(e.s[i]); i++)
		;
	if (t == e.n)
		return ref_scheme(r, cap, e);
	if (e.s[i] == '=')
		return r->n > 0 && ref_param(r, r->n - 1, e, scratch);
	if (e.s[t] != ' ' || !ref_scheme(r, cap, (struct span){ e.s, t }))
		return false;
	/* a token68 that is the whole rest, or a first parameter */
	for (j = i; j < e.n && t68((unsigned char)e.s[j]); j++)
		;
	if (j > i) {
		size_t k = j;

		while (k < e.n && e.s[k] == '=')
			k++;
		if (k == e.n) {
			r->c[r->n - 1].token68 = true;
			return true;
		}
	}
	return ref_param(r, r->n - 1, (struct span){ e.s + i, e.n - i }, scratch);
}

/* 0 and @r filled, or -1: the reference's refusal. */
static int reference(const char *h, size_t len, size_t cap, struct ref *r)
{
	static char scratch[PD_WWW_AUTH_MAX];
	size_t start = 0, i = 0;

	r->n = 0;
	if (len == 0 || len > PD_WWW_AUTH_MAX)
		return -1;
	while (i <= len) {
		if (i < len && h[i] == '"') {
			for (i++; i < len && h[i] != '"'; i++)
				if (h[i] == '\\' && ++i == len)
					return -1;
			if (i == len)
				return -1;
			i++;
			continue;
		}
		if (i == len || h[i] == ',') {
			if (!ref_element(r, cap, (struct span){ h + start, i - start }, scratch))
				return -1;
			start = i + 1;
		}
		i++;
	}
	return r->n > 0 ? 0 : -1;
}

static void same_field(const char *got, size_t sz, const char *want)
{
	if (!memchr(got, '\0', sz) || strcmp(got, want) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref want;
	struct pd_auth_challenge got[4];
	const char *why = NULL;
	size_t cap;
	int n, rn;

	if (size < 1 || size > PD_WWW_AUTH_MAX + 2)
		return 0;
	cap = 1 + data[0] % 4;
	rn = reference((const char *)data + 1, size - 1, cap, &want);
	n = pd_www_auth_parse((const char *)data + 1, size - 1, got, cap, &why);
	if (n < 0) {
		if (rn == 0 || !why || !*why)
			abort(); /* refused what the reference takes, or without a reason */
		return 0;
	}
	if (rn < 0 || n != want.n || (size_t)n > cap)
		abort();
	for (int k = 0; k < n; k++) {
		const struct pd_auth_challenge *g = &got[k], *w = &want.c[k];

		if (g->scheme != w->scheme || g->token68 != w->token68 ||
		    g->n_params != w->n_params)
			abort();
		same_field(g->scheme_name, sizeof(g->scheme_name), w->scheme_name);
		same_field(g->realm, sizeof(g->realm), w->realm);
		same_field(g->service, sizeof(g->service), w->service);
		same_field(g->scope, sizeof(g->scope), w->scope);
		same_field(g->error, sizeof(g->error), w->error);
	}
	return 0;
}
