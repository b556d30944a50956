/* SPDX-License-Identifier: MIT */
/*
 * name.c - host names and IP addresses for the allowlist.
 *
 * Theory of operation
 *
 * An allowlist is only as strong as the agreement between the string it
 * matches and the host the connection really reaches.  Three rules keep
 * them in agreement:
 *
 * 1. One spelling per name.  pd_name_normalize() folds case, drops one
 *    trailing dot (the root), converts Unicode to A-labels through IDNA
 *    (UTS #46 non-transitional, as browsers and libidn2 resolve), and then
 *    refuses anything that is not plain LDH (plus '_'): percent-escapes,
 *    '@', '/', ':', spaces, control bytes, empty labels.  The check runs on
 *    the ASCII result, so a Unicode character that IDNA maps onto '/' or '.'
 *    (U+FF0F, U+3002) ends up judged as what it becomes.  The output is a
 *    fixed point: it normalizes to itself.
 *
 * 2. An address is never a name.  inet_aton() and every resolver built on
 *    it read "2130706433", "0x7f.1", "0177.0.0.1" and "127.1" as
 *    127.0.0.1, so a rule such as ".1" or a regex must never see them as
 *    names.  pd_ip_literal() reads IPv4 exactly as glibc's inet_aton() does
 *    (checked against it by tests/fuzz/fuzz_name.c) and IPv6 as inet_pton()
 *    does, with or without brackets.  It answers before and after
 *    normalization (IDNA maps fullwidth digits onto ASCII ones).  Anything
 *    whose last label starts with a digit is never a name (no top-level
 *    domain does): when it does not parse as an address it is "-1", which
 *    callers refuse outright.  So is a string with ':' that is not IPv6.
 *
 * 3. Some addresses are never reached by accident.  pd_addr_special()
 *    classifies loopback, RFC 1918, link-local (the cloud metadata
 *    service), CGNAT, documentation, multicast, reserved space and the
 *    IPv6 ranges that carry an IPv4 address (mapped, compatible, NAT64,
 *    6to4), which are judged by that IPv4 address; outside 2000::/3
 *    everything IPv6 is special.
 *
 * Everything here works on explicit lengths and bounded buffers; nothing
 * allocates but libidn2 (its result is freed at once).
 */
#include "proxy/name.h"

#include <arpa/inet.h>
#include <errno.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/*
 * Longest input (without one trailing dot) taken to IDNA: Unicode labels are
 * longer than their A-labels, and UTS #46 drops some characters (U+00AD).
 */
#define NAME_INPUT_MAX 1024

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Bytes a normalized label may hold, before case folding. */
static bool is_label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
	       c == '_';
}

/* Why an ASCII byte (not a label character, not '.') is refused. */
static const char *ascii_refusal(unsigned char c)
{
	if (c == '\0')
		return "contains a NUL byte";
	if (c < 0x20 || c == 0x7f)
		return "contains a control character";
	if (c == ' ')
		return "contains a space";
	if (c == '%')
		return "contains '%' (percent-escapes are not host names)";
	if (c == '/')
		return "contains '/'";
	if (c == '@')
		return "contains '@'";
	if (c == ':')
		return "contains ':'";
	if (c == '\\')
		return "contains a backslash";
	return "contains a character not allowed in a host name";
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/*
 * Check and lowercase an ASCII name of @n bytes into @out (@cap bytes):
 * one trailing dot dropped, labels 1-63 of label characters, 1-253 in all.
 */
static int ascii_finish(const char *s, size_t n, char *out, size_t cap, const char **reason)
{
	size_t label = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0) {
		*reason = "empty name";
		return -1;
	}
	if (n > PD_NAME_MAX || n >= cap) {
		*reason = "name too long (more than 253 characters)";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0) {
				*reason = "empty label (\"..\" or a leading dot)";
				return -1;
			}
			label = 0;
		} else if (is_label_char(c)) {
			if (++label > PD_LABEL_MAX) {
				*reason = "label too long (more than 63 characters)";
				return -1;
			}
		} else {
			*reason = c >= 0x80 ? "not ASCII after IDNA" : ascii_refusal(c);
			return -1;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	if (label == 0) {
		*reason = "empty label (\"..\" or a leading dot)";
		return -1;
	}
	out[n] = '\0';
	return 0;
}

int pd_name_normalize(const char *in, size_t len, char *out, size_t cap, const char **reason)
{
	const char *dummy;
	bool non_ascii = false;
	char buf[NAME_INPUT_MAX + 2];
	char *idn = NULL;
	int r;

	if (!reason)
		reason = &dummy;
	if (out && cap > 0)
		out[0] = '\0';
	if (!out || cap == 0 || (!in && len > 0)) {
		*reason = "invalid arguments";
		return -1;
	}
	if (len == 0) {
		*reason = "empty name";
		return -1;
	}
	if (len - (in[len - 1] == '.') > NAME_INPUT_MAX) {
		*reason = "name too long (more than 253 characters)";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x80)
			non_ascii = true;
		else if (c != '.' && !is_label_char(c)) {
			*reason = ascii_refusal(c);
			return -1;
		}
	}
	if (!non_ascii) {
		r = ascii_finish(in, len, out, cap, reason);
		if (r < 0)
			out[0] = '\0';
		return r;
	}

	if (!utf8_valid((const unsigned char *)in, len)) {
		*reason = "invalid UTF-8";
		return -1;
	}
	memcpy(buf, in, len);
	buf[len] = '\0';
	if (idn2_to_ascii_8z(buf, &idn, IDN2_NONTRANSITIONAL) != IDN2_OK || !idn) {
		idn2_free(idn);
		*reason = "not a valid internationalized name (IDNA)";
		return -1;
	}
	r = ascii_finish(idn, strlen(idn), out, cap, reason);
	idn2_free(idn);
	if (r < 0)
		out[0] = '\0';
	return r;
}

/*
 * IPv4 as glibc's inet_aton() reads it (it parses each part with
 * strtoul(base 0) after checking for a leading digit): 1-4 parts of
 * [1-9][0-9]* | 0[0-7]* | 0[xX][0-9a-fA-F]+, each at most 0xffffffff, the
 * leading ones at most 0xff and the last one filling what is left.
 */
static int parse_v4(const char *s, size_t len, uint32_t *addr)
{
	static const uint32_t max_last[4] = { 0xffffffffu, 0xffffffu, 0xffffu, 0xffu };
	uint32_t parts[4];
	size_t n = 0, i = 0;
	uint32_t v;

	for (;;) {
		uint64_t x = 0;

		if (n == 4 || i >= len || !is_digit((unsigned char)s[i]))
			return -1;
		if (s[i] == '0' && i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
			size_t start = i += 2;
			int h;

			while (i < len && (h = hex_value((unsigned char)s[i])) >= 0) {
				x = x * 16 + (uint64_t)h;
				if (x > 0xffffffffu)
					return -1;
				i++;
			}
			if (i == start)
				return -1;
		} else {
			unsigned base = s[i] == '0' ? 8 : 10;

			while (i < len && is_digit((unsigned char)s[i])) {
				if (base == 8 && s[i] > '7')
					return -1;
				x = x * base + (uint64_t)(s[i] - '0');
				if (x > 0xffffffffu)
					return -1;
				i++;
			}
		}
		parts[n++] = (uint32_t)x;
		if (i == len)
			break;
		if (s[i] != '.')
			return -1;
		i++;
	}
	v = parts[n - 1];
	if (v > max_last[n - 1])
		return -1;
	for (size_t k = 0; k + 1 < n; k++) {
		if (parts[k] > 0xff)
			return -1;
		v |= parts[k] << (24 - 8 * k);
	}
	*addr = v;
	return 0;
}

/* IPv6, bracketed or not: 1 valid, -1 not (a ':' or '[' is never a name). */
static int v6_literal(const char *s, size_t len, struct pd_addr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;

	if (s[0] == '[') {
		if (len < 2 || s[len - 1] != ']')
			return -1;
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf) || memchr(s, '%', len) || memchr(s, '\0', len))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return -1;
	if (out) {
		memset(out, 0, sizeof(*out));
		out->family = AF_INET6;
		out->v6 = a6;
	}
	return 1;
}

int pd_ip_literal(const char *s, size_t len, struct pd_addr *out)
{
	size_t last;
	uint32_t v4;

	if (!s || len == 0)
		return 0;
	if (s[0] == '[' || memchr(s, ':', len))
		return v6_literal(s, len, out);
	if (s[len - 1] == '.')
		len--;
	last = len;
	while (last > 0 && s[last - 1] != '.')
		last--;
	if (last == len || !is_digit((unsigned char)s[last]))
		return 0;
	if (parse_v4(s, len, &v4) < 0)
		return -1;
	if (out) {
		memset(out, 0, sizeof(*out));
		out->family = AF_INET;
		out->v4.s_addr = htonl(v4);
	}
	return 1;
}

/* The class of IPv4 address @a (host order), or NULL when public. */
static const char *v4_special(uint32_t a)
{
	if (a == 0)
		return "unspecified";
	if ((a >> 24) == 0)
		return "this network";
	if ((a >> 24) == 127)
		return "loopback";
	if ((a >> 24) == 10 || (a & 0xfff00000u) == 0xac100000u || (a & 0xffff0000u) == 0xc0a80000u)
		return "private (RFC 1918)";
	if ((a & 0xffff0000u) == 0xa9fe0000u)
		return "link-local";
	if ((a & 0xffc00000u) == 0x64400000u)
		return "carrier-grade NAT (RFC 6598)";
	if ((a & 0xffffff00u) == 0xc0000000u)
		return "IETF protocol assignments";
	if ((a & 0xffffff00u) == 0xc0000200u || (a & 0xffffff00u) == 0xc6336400u ||
	    (a & 0xffffff00u) == 0xcb007100u)
		return "documentation";
	if ((a & 0xfffe0000u) == 0xc6120000u)
		return "benchmarking (RFC 2544)";
	if (a == 0xffffffffu)
		return "broadcast";
	if ((a & 0xf0000000u) == 0xe0000000u)
		return "multicast";
	if ((a & 0xf0000000u) == 0xf0000000u)
		return "reserved";
	return NULL;
}

static uint32_t be32_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* @b starts with the @bits-bit prefix @p (bits a multiple of 8 or not). */
static bool has_prefix(const uint8_t *b, const uint8_t *p, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(b, p, full) != 0)
		return false;
	return rest == 0 || ((b[full] ^ p[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static const char *v6_special(const uint8_t *b)
{
	static const uint8_t zero[16];
	static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t nat64[16] = { 0x00, 0x64, 0xff, 0x9b };
	static const uint8_t nat64_local[16] = { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 };
	static const uint8_t discard[16] = { 0x01, 0x00 };
	static const uint8_t teredo[16] = { 0x20, 0x01, 0x00, 0x00 };
	static const uint8_t bench[16] = { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 };
	static const uint8_t ietf[16] = { 0x20, 0x01 };
	static const uint8_t doc[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const uint8_t doc2[16] = { 0x3f, 0xff };
	static const uint8_t sixto4[16] = { 0x20, 0x02 };

	if (memcmp(b, zero, 15) == 0 && b[15] <= 1)
		return b[15] == 0 ? "unspecified" : "loopback";
	if (has_prefix(b, mapped, 96) || has_prefix(b, zero, 96) || has_prefix(b, nat64, 96))
		return v4_special(be32_at(b + 12));
	if (has_prefix(b, nat64_local, 48)) {
		const char *s = v4_special(be32_at(b + 12));

		return s ? s : "NAT64 local-use (RFC 8215)";
	}
	if (has_prefix(b, discard, 64))
		return "discard-only";
	if (has_prefix(b, teredo, 32))
		return "Teredo";
	if (has_prefix(b, bench, 48))
		return "benchmarking (RFC 5180)";
	if (has_prefix(b, doc, 32) || has_prefix(b, doc2, 20))
		return "documentation";
	if (has_prefix(b, ietf, 23))
		return "IETF protocol assignments";
	if (has_prefix(b, sixto4, 16))
		return v4_special(be32_at(b + 2));
	if ((b[0] & 0xfe) == 0xfc)
		return "unique local (ULA)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "link-local";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return "site-local";
	if (b[0] == 0xff)
		return "multicast";
	if ((b[0] & 0xe0) != 0x20)
		return "reserved";
	return NULL;
}

const char *pd_addr_special(const struct pd_addr *a)
{
	if (!a)
		return "invalid";
	if (a->family == AF_INET)
		return v4_special(ntohl(a->v4.s_addr));
	if (a->family == AF_INET6)
		return v6_special(a->v6.s6_addr);
	return "invalid";
}

int pd_addr_format(const struct pd_addr *a, char *out, size_t cap)
{
	char buf[PD_ADDR_STRLEN];
	size_t n;

	if (out && cap > 0)
		out[0] = '\0';
	if (!a || !out || (a->family != AF_INET && a->family != AF_INET6)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (!inet_ntop(a->family,
		       a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6, buf,
		       sizeof(buf)))
		return -1;
	n = strlen(buf);
	if (n >= cap) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(out, buf, n + 1);
	return 0;
}

int pd_addr_parse(const char *s, struct pd_addr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	size_t n;
	bool v6;

	if (!s || !out) {
		errno = EINVAL;
		return -1;
	}
	n = strlen(s);
	v6 = n > 0 && s[0] == '[';
	if (v6) {
		if (n < 3 || s[n - 1] != ']') {
			errno = EINVAL;
			return -1;
		}
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (!v6 && inet_pton(AF_INET, buf, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	errno = EINVAL;
	return -1;
}
