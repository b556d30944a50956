/* SPDX-License-Identifier: MIT */
/*
 * decompress.h - a streaming decompressor for image layers: reads a gzip,
 * zstd or plain stream from an fd, sequentially, and hands out the
 * uncompressed bytes in whatever pieces the caller asks for.
 *
 * No libarchive filter is involved: zlib (gzip framing, several members one
 * after another as gzip(1) and pigz write them) and libzstd (any number of
 * frames, skippable ones included; the window is capped at libzstd's
 * default streaming limit, 128 MiB) do the work, so the caller sees exactly
 * the bytes it hashes.  A stream that ends inside a member or frame is
 * "truncated"; bytes that do not decode are "corrupt".  Nothing is printed.
 */
#ifndef PAUDE_OCI_DECOMPRESS_H
#define PAUDE_OCI_DECOMPRESS_H

#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* How a layer's tar stream is compressed. */
enum pd_compression {
	PD_COMP_AUTO, /* decide by the magic bytes: gzip 1f 8b, zstd 28 b5 2f fd, else plain */
	PD_COMP_NONE,
	PD_COMP_GZIP,
	PD_COMP_ZSTD,
};

struct pd_decomp;

/*
 * pd_decomp_new() - a decompressor reading @fd from its current offset.
 * @fd: the compressed stream (not taken: the caller closes it)
 * @comp: its compression, or PD_COMP_AUTO
 *
 * Return: the decompressor (allocation failure aborts, as pd_x* do).
 */
struct pd_decomp *pd_decomp_new(int fd, enum pd_compression comp);

/*
 * pd_decomp_read() - the next uncompressed bytes.
 * @d: the decompressor
 * @buf: where to put them
 * @len: room in @buf (> 0)
 * @err: the reason on failure: "gzip stream truncated", "corrupt zstd
 *       stream: ...", "read the layer stream: ..." (the caller names the
 *       layer)
 *
 * Return: the number of bytes stored (> 0), 0 at the clean end of the
 * stream (and on every later call), or -1 with @err set.
 */
ssize_t pd_decomp_read(struct pd_decomp *d, void *buf, size_t len, struct pd_error *err);

/* pd_decomp_consumed() - compressed bytes decoded so far (for the expansion ratio). */
uint64_t pd_decomp_consumed(const struct pd_decomp *d);

/* pd_decomp_kind() - the compression in use (AUTO is resolved by the first read). */
enum pd_compression pd_decomp_kind(const struct pd_decomp *d);

/* pd_decomp_name() - "gzip", "zstd", "plain" or "auto", for messages. */
const char *pd_decomp_name(enum pd_compression comp);

/* pd_decomp_free() - release @d (NULL is fine). */
void pd_decomp_free(struct pd_decomp *d);

#endif
