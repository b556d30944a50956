/* SPDX-License-Identifier: MIT */
/*
 * digest.c - reading and writing content digests (digest.h).
 *
 * Theory of operation
 *
 * A digest names a blob in a registry, in an OCI layout and in paude's
 * store, where its hex part becomes a file name.  The OCI image spec allows
 * any "algorithm:encoded" pair; go-digest (what podman, skopeo and the
 * registries use) accepts only sha256, sha384 and sha512, each with exactly
 * its length of lowercase hex.  paude takes the two that registries write,
 * sha256 and sha512, and refuses the rest by name: an image that used
 * another algorithm could not be verified later anyway.
 *
 * The checks run in this order, so the reason is the first thing wrong
 * reading left to right: the ':' separator, the algorithm (exact lowercase
 * name; a differently cased known name gets its own reason), each hex digit
 * (an uppercase one, or any other byte, by offset), then the count.
 *
 * Reasons that name something from the input are formatted into a
 * thread-local buffer (bounded, non-printable bytes shown as '?'), so a
 * caller can hand the reason on without owning memory.
 */
#include "oci/digest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/lazylib.h"
#include "common/util.h"

#include <openssl/evp.h>

#define REASON_MAX 128
#define SHOWN_MAX 32

static __thread char reason_buf[REASON_MAX];

/* A printable, bounded copy of @n bytes of @s for a reason. */
static void show(const char *s, size_t n, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < n && i + 1 < size; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
	buf[i] = '\0';
	if (i < n && size >= 4)
		memcpy(buf + size - 4, "...", 4);
}

static int refuse(const char **reason, const char *text)
{
	if (reason)
		*reason = text;
	return -1;
}

static int refusef(const char **reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refusef(const char **reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(reason_buf, sizeof(reason_buf), fmt, ap) < 0)
		pd_strlcpy(reason_buf, "invalid digest", sizeof(reason_buf));
	va_end(ap);
	return refuse(reason, reason_buf);
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool same_ignoring_case(const char *a, size_t n, const char *lower)
{
	if (strlen(lower) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lower[i])
			return false;
	}
	return true;
}

const char *pd_digest_algo_name(enum pd_digest_algo algo)
{
	return algo == PD_DIGEST_SHA512 ? "sha512" : "sha256";
}

size_t pd_digest_hex_len(enum pd_digest_algo algo)
{
	return algo == PD_DIGEST_SHA512 ? 128 : 64;
}

int pd_digest_parse(const char *s, size_t len, struct pd_digest *out, const char **reason)
{
	const char *colon, *hex;
	size_t alen, hlen;
	enum pd_digest_algo algo;
	char shown[SHOWN_MAX];

	if (len == 0)
		return refuse(reason, "empty digest");
	colon = memchr(s, ':', len);
	if (!colon)
		return refuse(reason, "no algorithm (expected sha256:<64 hex digits>)");
	alen = (size_t)(colon - s);
	if (alen == 0)
		return refuse(reason, "empty digest algorithm");
	if (alen == 6 && !memcmp(s, "sha256", 6)) {
		algo = PD_DIGEST_SHA256;
	} else if (alen == 6 && !memcmp(s, "sha512", 6)) {
		algo = PD_DIGEST_SHA512;
	} else if (same_ignoring_case(s, alen, "sha256") || same_ignoring_case(s, alen, "sha512")) {
		show(s, alen, shown, sizeof(shown));
		return refusef(reason, "digest algorithm \"%s\" must be lowercase", shown);
	} else {
		show(s, alen, shown, sizeof(shown));
		return refusef(reason, "unsupported digest algorithm \"%s\" (sha256 or sha512)",
			       shown);
	}
	hex = colon + 1;
	hlen = len - alen - 1;
	for (size_t i = 0; i < hlen; i++) {
		char c = hex[i];

		if (is_lower_hex(c))
			continue;
		if (c >= 'A' && c <= 'F')
			return refusef(
				reason,
				"uppercase hex digit '%c' at offset %zu: digests are lowercase", c,
				alen + 1 + i);
		if (c >= 0x21 && c < 0x7f)
			return refusef(reason, "'%c' at offset %zu is not a hex digit", c,
				       alen + 1 + i);
		return refusef(reason, "byte 0x%02x at offset %zu is not a hex digit",
			       (unsigned)(unsigned char)c, alen + 1 + i);
	}
	if (hlen != pd_digest_hex_len(algo))
		return refusef(reason, "%s needs %zu hex digits, got %zu",
			       pd_digest_algo_name(algo), pd_digest_hex_len(algo), hlen);
	out->algo = algo;
	memcpy(out->hex, hex, hlen);
	out->hex[hlen] = '\0';
	return 0;
}

int pd_digest_format(const struct pd_digest *d, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s:%s", pd_digest_algo_name(d->algo), d->hex);

	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			out[0] = '\0';
		errno = ENOSPC;
		return -1;
	}
	return n;
}

bool pd_digest_safe_component(const char *s, size_t len)
{
	if (len == 0 || len > PD_DIGEST_HEX_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

int pd_digest_sha256(const void *buf, size_t len, char *out, size_t cap, struct pd_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t off;

	if (cap < 72)
		return pd_error_set_msg(err, EINVAL, "sha256: no room for the digest");
	if (pd_lazy_crypto(err) < 0)
		return -1;
	if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return pd_error_set_msg(err, EIO, "sha256 failed");
	off = (size_t)snprintf(out, cap, "sha256:");
	for (unsigned int i = 0; i < n; i++, off += 2)
		snprintf(out + off, cap - off, "%02x", md[i]);
	return 0;
}
