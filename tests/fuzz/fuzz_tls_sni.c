/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tls_sni.c - libFuzzer target for proxy/tls_sni.c, the SNI host name
 * of a TLS ClientHello.
 *
 * Two readings of each input:
 *  - raw: the input is what a client sent.  The oracle is a reference
 *    walker written here apart from tls_sni.c (plain offsets into the
 *    buffer rather than nested views) of the documented format: one
 *    handshake record (type 22, version 3.0-3.4, length 1-16384) filled
 *    exactly by a ClientHello (version 0x0301-0x0304, random, session id of
 *    at most 32, an even non-empty cipher list, a non-empty compression
 *    list, an extensions block ending it), one server_name extension whose
 *    list holds exactly one host_name, and the name a plausible DNS name.
 *    pd_tls_sni() must give the same answer (1 with the same lowercased
 *    name, 0, or -1 with a reason); every prefix must give 0 or the same
 *    refusal (0 below the deciding byte, the answer from it on); a buffer
 *    one byte too small for the name is refused, an exact one is not;
 *  - built: the input (up to 300 bytes) is used as the server name of a
 *    well-formed ClientHello; it must be found, lowercased, exactly when the
 *    reference takes it as a name.
 * Seeds: tests/fuzz/corpus/fuzz_tls_sni/ (ClientHellos captured from
 * openssl s_client, and broken ones).
 */
#include "proxy/tls_sni.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: oracle failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* The name [p, p+n): 1-253 bytes, labels of 1-63 of [A-Za-z0-9-_]. */
static bool ref_name_ok(const uint8_t *p, size_t n)
{
	size_t start = 0;

	if (n < 1 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '.') {
			if (i - start < 1 || i - start > 63)
				return false;
			start = i + 1;
			continue;
		}
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_'))
			return false;
	}
	return true;
}

static size_t be16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

/* 1 and the name's offset and length; 0 need more; -1 refused. */
static int ref_sni(const uint8_t *d, size_t n, size_t *name_off, size_t *name_len)
{
	size_t rl, hl, p, end, k, ext_end;
	bool found = false;

	if (n >= 1 && d[0] != 22)
		return -1;
	if (n >= 2 && d[1] != 3)
		return -1;
	if (n >= 3 && d[2] > 4)
		return -1;
	if (n < 5)
		return 0;
	rl = be16(d + 3);
	if (rl == 0 || rl > 16384)
		return -1;
	if (n < 6)
		return 0;
	if (d[5] != 1 || rl < 4)
		return -1;
	if (n < 9)
		return 0;
	hl = (size_t)d[6] << 16 | be16(d + 7);
	if (hl != rl - 4)
		return -1;
	if (n < 5 + rl)
		return 0;

	p = 9;
	end = 5 + rl;
#define HAVE(k) \
	do { \
		if (end - p < (size_t)(k)) \
			return -1; \
	} while (0)
	HAVE(2);
	if (be16(d + p) < 0x0301 || be16(d + p) > 0x0304)
		return -1;
	p += 2;
	HAVE(32);
	p += 32;
	HAVE(1);
	k = d[p++];
	if (k > 32)
		return -1;
	HAVE(k);
	p += k;
	HAVE(2);
	k = be16(d + p);
	p += 2;
	if (k < 2 || k % 2)
		return -1;
	HAVE(k);
	p += k;
	HAVE(1);
	k = d[p++];
	if (k < 1)
		return -1;
	HAVE(k);
	p += k;
	if (p == end)
		return -1;
	HAVE(2);
	if (be16(d + p) != end - p - 2)
		return -1;
	p += 2;
	while (p < end) {
		size_t type, len;

		HAVE(4);
		type = be16(d + p);
		len = be16(d + p + 2);
		p += 4;
		HAVE(len);
		ext_end = p + len;
		if (type == 0) {
			size_t q = p;

			if (found)
				return -1;
			found = true;
			if (len < 2 || be16(d + q) != len - 2 || len == 2)
				return -1;
			q += 2;
			*name_len = SIZE_MAX;
			while (q < ext_end) {
				size_t nl;

				if (d[q] != 0 || ext_end - q < 3)
					return -1;
				nl = be16(d + q + 1);
				if (ext_end - q - 3 < nl || *name_len != SIZE_MAX)
					return -1;
				*name_off = q + 3;
				*name_len = nl;
				q += 3 + nl;
			}
		}
		p = ext_end;
	}
#undef HAVE
	if (!found || !ref_name_ok(d + *name_off, *name_len))
		return -1;
	return 1;
}

static void lower_copy(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
	out[n] = '\0';
}

static void check_raw(const uint8_t *d, size_t n)
{
	char host[300], want[300];
	const char *reason = NULL, *reason_full, *preason;
	size_t off = 0, len = 0, decided_at = n;
	int r = pd_tls_sni(d, n, host, 256, &reason);
	int w = ref_sni(d, n, &off, &len);

	CHECK(r == w);
	reason_full = reason;
	if (r == 1) {
		lower_copy(want, d + off, len);
		CHECK(strcmp(host, want) == 0);
		CHECK(pd_tls_sni(d, n, host, len + 1, &reason) == 1 && strcmp(host, want) == 0);
		CHECK(pd_tls_sni(d, n, host, len, &reason) == -1);
		CHECK(strcmp(reason, "server name too long for the buffer") == 0);
	} else if (r == -1) {
		CHECK(reason && reason[0]);
	} else {
		CHECK(n < PD_TLS_SNI_NEED_MAX);
	}
	/* prefixes: all of them for short inputs, else a sample; shortest first */
	for (size_t i = 0; i < 200; i++) {
		size_t k = n <= 200 ? i : (size_t)((uint64_t)n * i / 200);
		int pr;

		if (k >= n)
			break;
		preason = NULL;
		pr = pd_tls_sni(d, k, host, 256, &preason);
		if (pr == 0) {
			CHECK(k < decided_at);
			continue;
		}
		CHECK(pr == r);
		if (k < decided_at)
			decided_at = k;
		if (pr == -1)
			CHECK(preason && strcmp(preason, reason_full) == 0);
	}
}

static size_t put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* A ClientHello with @name (@n bytes) as host_name between two other extensions. */
static void check_built(const uint8_t *name, size_t n)
{
	static uint8_t buf[1024];
	size_t p = 9, ext_len_at, hs;
	char host[300], want[300];
	const char *reason = NULL;
	int r;

	p += put16(buf + p, 0x0303);
	memset(buf + p, 0x11, 32);
	p += 32;
	buf[p++] = 0;
	p += put16(buf + p, 2);
	p += put16(buf + p, 0x1301);
	buf[p++] = 1;
	buf[p++] = 0;
	ext_len_at = p;
	p += 2;
	/* supported_versions */
	p += put16(buf + p, 43);
	p += put16(buf + p, 3);
	buf[p++] = 2;
	p += put16(buf + p, 0x0304);
	/* server_name */
	p += put16(buf + p, 0);
	p += put16(buf + p, n + 5);
	p += put16(buf + p, n + 3);
	buf[p++] = 0;
	p += put16(buf + p, n);
	memcpy(buf + p, name, n);
	p += n;
	/* an empty extension last */
	p += put16(buf + p, 23);
	p += put16(buf + p, 0);
	put16(buf + ext_len_at, p - ext_len_at - 2);
	hs = p - 9;
	buf[0] = 22;
	buf[1] = 3;
	buf[2] = 1;
	put16(buf + 3, hs + 4);
	buf[5] = 1;
	buf[6] = 0;
	put16(buf + 7, hs);

	r = pd_tls_sni(buf, p, host, sizeof(host), &reason);
	CHECK(r == (ref_name_ok(name, n) ? 1 : -1));
	if (r == 1) {
		lower_copy(want, name, n);
		CHECK(strcmp(host, want) == 0);
	}
	check_raw(buf, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * PD_TLS_SNI_NEED_MAX)
		return 0;
	check_raw(data, size);
	if (size <= 300)
		check_built(data, size);
	return 0;
}
