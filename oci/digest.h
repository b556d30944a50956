/* SPDX-License-Identifier: MIT */
/*
 * digest.h - content digests as OCI and registries write them.
 *
 *	struct pd_digest d;
 *	const char *why;
 *	if (pd_digest_parse(s, strlen(s), &d, &why) < 0) ... why ...
 *	pd_digest_format(&d, buf, sizeof(buf));          // "sha256:<64 hex>"
 *	pd_digest_safe_component(d.hex, strlen(d.hex)); // true: a file name
 *
 * Only two spellings are taken: "sha256:" and 64 lowercase hex digits,
 * "sha512:" and 128.  Everything else (upper case, other algorithms, other
 * lengths) is refused with a reason.  This layer only reads digest strings;
 * it never hashes anything.
 */
#ifndef PAUDE_OCI_DIGEST_H
#define PAUDE_OCI_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

enum pd_digest_algo {
	PD_DIGEST_SHA256,
	PD_DIGEST_SHA512,
};

/* Longest hex part (sha512), and longest digest text with its NUL. */
#define PD_DIGEST_HEX_MAX 128
#define PD_DIGEST_STR_MAX (sizeof("sha512:") - 1 + PD_DIGEST_HEX_MAX + 1)

struct pd_digest {
	enum pd_digest_algo algo;
	char hex[PD_DIGEST_HEX_MAX + 1]; /* lowercase, 64 or 128 digits */
};

/*
 * pd_digest_parse() - read "ALGO:HEX" from exactly @len bytes of @s.
 * @s: the text (need not be NUL-terminated; a NUL inside @len is refused)
 * @len: its length
 * @out: filled on success (left untouched on failure)
 * @reason: on failure, why ("sha256 needs 64 hex digits, got 63",
 *          "unsupported digest algorithm \"blake3\" (sha256 or sha512)");
 *          the text lives in a thread-local buffer that the next call from
 *          the same thread overwrites.  May be NULL.
 *
 * Return: 0, or -1 with *@reason set (convention 4 of docs/HACKING.md: the
 * caller names the digest and where it came from).
 */
int pd_digest_parse(const char *s, size_t len, struct pd_digest *out, const char **reason);

/*
 * pd_digest_algo_name() - "sha256" or "sha512".
 * Return: a static string.
 */
const char *pd_digest_algo_name(enum pd_digest_algo algo);

/*
 * pd_digest_hex_len() - the number of hex digits @algo takes (64 or 128).
 * Return: that number.
 */
size_t pd_digest_hex_len(enum pd_digest_algo algo);

/*
 * pd_digest_format() - write "ALGO:HEX" into @out.
 * @d: a digest pd_digest_parse() filled
 * @out: destination
 * @cap: its size; PD_DIGEST_STR_MAX is always enough
 *
 * Return: the length written, or -1 with errno ENOSPC when it does not fit
 * (then @out holds "" if @cap > 0).
 */
int pd_digest_format(const struct pd_digest *d, char *out, size_t cap);

/*
 * pd_digest_safe_component() - whether @len bytes of @s can be used as one
 * file name in a store directory: 1 to PD_DIGEST_HEX_MAX lowercase hex
 * digits and nothing else (no '/', no '.', no NUL, not empty).
 * Return: true when safe.
 */
bool pd_digest_safe_component(const char *s, size_t len);

/*
 * pd_digest_sha256() - "sha256:HEX" of @len bytes at @buf into @out (at
 * least 72 bytes), with libcrypto (loaded on first use: common/lazylib.h).
 * Return: 0, or -1 with @err.
 */
int pd_digest_sha256(const void *buf, size_t len, char *out, size_t cap, struct pd_error *err);

#endif
