/* SPDX-License-Identifier: MIT */
/*
 * fuzz_name.c - libFuzzer target for proxy/name.c over arbitrary bytes.
 *
 * Oracles:
 *   - pd_name_normalize(): a result is 1-253 characters of [a-z0-9-_.] in
 *     labels of 1-63, and normalizes to itself; a failure has a reason and
 *     an empty output.  For ASCII input a reference written here decides:
 *     valid exactly when, after one trailing dot is dropped, it is 1-253
 *     bytes of labels of 1-63 [A-Za-z0-9-_]; the result is then the input
 *     lowercased without that dot.
 *   - pd_ip_literal() agrees with the C library: without ':' or a leading
 *     '[' (and without whitespace or NUL, which inet_aton() stops at), it
 *     returns 1 exactly when glibc's inet_aton() accepts the input minus one
 *     trailing dot, with the same address, and 0 only when the last label
 *     does not start with a digit; with ':' or '[' it is never 0, and 1
 *     exactly when inet_pton(AF_INET6) takes it (brackets removed), with the
 *     same address.  Normalizing an ASCII name does not change its answer.
 *   - pd_addr_parse() round-trips through pd_addr_format() (a dotted quad
 *     to itself) and agrees with pd_ip_literal().
 *   - pd_addr_special() answers from a fixed set of classes, and judges
 *     IPv4-mapped, NAT64 and 6to4 forms as their IPv4 address.
 * Seeds: tests/fuzz/corpus/fuzz_name/.
 */
#include "proxy/name.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const classes[] = {
	"unspecified",
	"this network",
	"loopback",
	"private (RFC 1918)",
	"link-local",
	"carrier-grade NAT (RFC 6598)",
	"IETF protocol assignments",
	"documentation",
	"benchmarking (RFC 2544)",
	"broadcast",
	"multicast",
	"reserved",
	"discard-only",
	"Teredo",
	"benchmarking (RFC 5180)",
	"unique local (ULA)",
	"site-local",
	"NAT64 local-use (RFC 8215)",
};

static bool known_class(const char *s)
{
	if (!s)
		return true;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!strcmp(s, classes[i]))
			return true;
	return false;
}

static bool same_class(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool ref_label_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* The reference for ASCII input: valid and, if so, its expected form in @want. */
static bool ref_ascii_name(const uint8_t *s, size_t n, char *want)
{
	size_t label = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (!ref_label_char(s[i]) || ++label > 63) {
			return false;
		}
		want[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	}
	want[n] = '\0';
	return label > 0;
}

static void check_normalized(const char *out)
{
	char again[PD_NAME_MAX + 1];
	size_t n = strlen(out), label = 0;

	if (n == 0 || n > PD_NAME_MAX || out[0] == '.' || out[n - 1] == '.')
		abort();
	for (size_t i = 0; i < n; i++) {
		char c = out[i];

		if (c == '.') {
			if (label == 0)
				abort();
			label = 0;
		} else if (((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			    c == '_') &&
			   ++label <= PD_LABEL_MAX) {
			continue;
		} else {
			abort();
		}
	}
	if (pd_name_normalize(out, n, again, sizeof(again), NULL) != 0 || strcmp(again, out) != 0)
		abort();
}

static bool addr_eq(const struct pd_addr *a, const struct pd_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
}

static void check_literal(const uint8_t *data, size_t size, int lit, const struct pd_addr *a)
{
	char buf[2048];
	char txt[PD_ADDR_STRLEN];

	if (lit < -1 || lit > 1)
		abort();
	if (lit == 1 && pd_addr_format(a, txt, sizeof(txt)) != 0)
		abort();
	if (size >= sizeof(buf))
		return;
	if ((size > 0 && data[0] == '[') || memchr(data, ':', size)) {
		const uint8_t *in = data;
		size_t n = size;
		struct in6_addr a6;

		if (lit == 0)
			abort();
		if (data[0] == '[') {
			if (size < 2 || data[size - 1] != ']') {
				if (lit != -1)
					abort();
				return;
			}
			in++;
			n -= 2;
		}
		if (memchr(in, '\0', n))
			return;
		memcpy(buf, in, n);
		buf[n] = '\0';
		if ((inet_pton(AF_INET6, buf, &a6) == 1) != (lit == 1))
			abort();
		if (lit == 1 && (a->family != AF_INET6 || memcmp(&a6, &a->v6, sizeof(a6))))
			abort();
		return;
	}
	for (size_t i = 0; i < size; i++)
		if (data[i] == '\0' || data[i] == ' ' || (data[i] >= '\t' && data[i] <= '\r'))
			return;
	{
		size_t n = size > 0 && data[size - 1] == '.' ? size - 1 : size, last = n;
		struct in_addr in;
		int ok;

		memcpy(buf, data, n);
		buf[n] = '\0';
		ok = n > 0 && inet_aton(buf, &in);
		if (ok != (lit == 1))
			abort();
		if (ok && (a->family != AF_INET || a->v4.s_addr != in.s_addr))
			abort();
		while (last > 0 && data[last - 1] != '.')
			last--;
		/* 0 only when the last label does not start with a digit */
		if (lit == 0 && last < n && data[last] >= '0' && data[last] <= '9')
			abort();
		if (lit != 0 && (last == n || data[last] < '0' || data[last] > '9'))
			abort();
	}
}

static void check_parse(const uint8_t *data, size_t size)
{
	char buf[64], txt[PD_ADDR_STRLEN];
	struct pd_addr a, b;

	if (size >= sizeof(buf) || memchr(data, '\0', size))
		return;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (pd_addr_parse(buf, &a) != 0)
		return;
	if (pd_addr_format(&a, txt, sizeof(txt)) != 0 || pd_addr_parse(txt, &b) != 0 ||
	    !addr_eq(&a, &b))
		abort();
	if (a.family == AF_INET && strcmp(txt, buf) != 0)
		abort();
	if (pd_ip_literal(buf, size, &b) != 1 || !addr_eq(&a, &b))
		abort();
}

static void check_special(const uint8_t *data, size_t size)
{
	struct pd_addr v4 = { .family = AF_INET }, v6 = { .family = AF_INET6 };
	struct pd_addr e = { .family = AF_INET6 };
	const char *c4;

	if (size < 16)
		return;
	memcpy(&v4.v4, data, 4);
	memcpy(&v6.v6, data, 16);
	c4 = pd_addr_special(&v4);
	if (!known_class(c4) || !known_class(pd_addr_special(&v6)))
		abort();
	/* ::ffff:a.b.c.d, 64:ff9b::a.b.c.d, 2002:a.b.c.d:: are judged as a.b.c.d */
	memset(&e.v6, 0, 16);
	e.v6.s6_addr[10] = e.v6.s6_addr[11] = 0xff;
	memcpy(e.v6.s6_addr + 12, data, 4);
	if (!same_class(pd_addr_special(&e), c4))
		abort();
	memset(&e.v6, 0, 16);
	e.v6.s6_addr[1] = 0x64;
	e.v6.s6_addr[2] = 0xff;
	e.v6.s6_addr[3] = 0x9b;
	memcpy(e.v6.s6_addr + 12, data, 4);
	if (!same_class(pd_addr_special(&e), c4))
		abort();
	memcpy(&e.v6, data, 16);
	e.v6.s6_addr[0] = 0x20;
	e.v6.s6_addr[1] = 0x02;
	memcpy(e.v6.s6_addr + 2, data, 4);
	if (!same_class(pd_addr_special(&e), c4))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[PD_NAME_MAX + 1], want[2048];
	const char *reason = NULL;
	struct pd_addr a, b;
	bool ascii = true;
	int r, lit;

	if (size > 2000)
		return 0;
	for (size_t i = 0; i < size; i++)
		ascii &= data[i] < 0x80;

	r = pd_name_normalize((const char *)data, size, out, sizeof(out), &reason);
	if (r == 0) {
		check_normalized(out);
	} else if (r != -1 || !reason || !reason[0] || out[0] != '\0') {
		abort();
	}
	if (ascii) {
		bool ok = ref_ascii_name(data, size, want);

		if (ok != (r == 0) || (ok && strcmp(out, want) != 0))
			abort();
	}

	lit = pd_ip_literal((const char *)data, size, &a);
	check_literal(data, size, lit, &a);
	if (r == 0 && ascii &&
	    (pd_ip_literal(out, strlen(out), &b) != lit || (lit == 1 && !addr_eq(&a, &b))))
		abort();

	check_parse(data, size);
	check_special(data, size);
	return 0;
}
