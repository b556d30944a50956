/* SPDX-License-Identifier: MIT */
/*
 * decompress.c - streaming gzip/zstd/plain decoding for layer blobs (see
 * decompress.h).
 *
 * One 64 KiB input buffer is refilled from the fd whenever the decoder has
 * used it up; the caller's buffer is the decoder's output.  A call returns as
 * soon as it has produced anything.  When a call filled the caller's buffer
 * to the last byte the decoder may still hold output (zlib in the middle of a
 * match, zstd with a block not yet flushed), so the next call first runs the
 * decoder without new input ("pending") before it reads again: otherwise the
 * end of the fd could be taken for a truncation.
 *
 * gzip: inflate with windowBits 15 + 16 (gzip framing only; the CRC-32 and
 * length trailer of every member are checked by zlib).  After a member ends,
 * more bytes must be another member (inflateReset); the end of the fd there
 * is the clean end, anywhere else a truncation.  An empty stream is a
 * truncation too.  Trailing garbage after a member is reported as corrupt,
 * as Go's compress/gzip (which the registries' clients use) does.
 *
 * zstd: ZSTD_decompressStream decodes frame after frame; its return value
 * is 0 exactly when a frame is complete, which is when the end of the fd is
 * the clean end.
 */
#include "decompress.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define IN_SIZE (64u << 10)

struct pd_decomp {
	int fd;
	enum pd_compression kind;
	unsigned char *in;
	size_t in_pos, in_len; /* unread input is in[in_pos, in_len) */
	bool eof;              /* read() returned 0 */
	bool done;             /* the clean end was reported */
	bool pending;          /* the last call filled the caller's buffer */
	uint64_t consumed;
	/* gzip */
	z_stream z;
	bool z_ready;     /* inflateInit2 done */
	bool z_in_member; /* a member has started and not ended */
	bool z_any;       /* a member has ended */
	/* zstd */
	ZSTD_DCtx *zs;
	bool zs_in_frame; /* the last call left a frame unfinished */
	bool zs_any;      /* a frame has ended */
};

struct pd_decomp *pd_decomp_new(int fd, enum pd_compression comp)
{
	struct pd_decomp *d = pd_xcalloc(1, sizeof(*d));

	d->fd = fd;
	d->kind = comp;
	d->in = pd_xmalloc(IN_SIZE);
	return d;
}

void pd_decomp_free(struct pd_decomp *d)
{
	if (!d)
		return;
	if (d->z_ready)
		inflateEnd(&d->z);
	ZSTD_freeDCtx(d->zs);
	free(d->in);
	free(d);
}

uint64_t pd_decomp_consumed(const struct pd_decomp *d)
{
	return d->consumed;
}

enum pd_compression pd_decomp_kind(const struct pd_decomp *d)
{
	return d->kind;
}

const char *pd_decomp_name(enum pd_compression comp)
{
	switch (comp) {
	case PD_COMP_NONE:
		return "plain";
	case PD_COMP_GZIP:
		return "gzip";
	case PD_COMP_ZSTD:
		return "zstd";
	case PD_COMP_AUTO:
		return "auto";
	default:
		return "?";
	}
}

/* read(2) into @p, retrying EINTR; sets d->eof at the end. */
static ssize_t read_some(struct pd_decomp *d, void *p, size_t n, struct pd_error *err)
{
	ssize_t r;

	if (d->eof)
		return 0;
	do
		r = read(d->fd, p, n);
	while (r < 0 && (errno == EINTR || errno == EAGAIN));
	if (r < 0)
		return pd_error_set(err, errno, "read the layer stream");
	if (r == 0)
		d->eof = true;
	return r;
}

/* Refill the (used up) input buffer; at the end of the fd d->eof is set. */
static int fill(struct pd_decomp *d, struct pd_error *err)
{
	ssize_t r = read_some(d, d->in, IN_SIZE, err);

	if (r < 0)
		return -1;
	d->in_pos = 0;
	d->in_len = (size_t)r;
	return 0;
}

/* PD_COMP_AUTO: look at the first four bytes (fewer at the end: plain). */
static int detect(struct pd_decomp *d, struct pd_error *err)
{
	static const unsigned char gz[] = { 0x1f, 0x8b }, zst[] = { 0x28, 0xb5, 0x2f, 0xfd };

	while (d->in_len < sizeof(zst) && !d->eof) {
		ssize_t r = read_some(d, d->in + d->in_len, IN_SIZE - d->in_len, err);

		if (r < 0)
			return -1;
		d->in_len += (size_t)r;
	}
	if (d->in_len >= sizeof(gz) && !memcmp(d->in, gz, sizeof(gz)))
		d->kind = PD_COMP_GZIP;
	else if (d->in_len >= sizeof(zst) && !memcmp(d->in, zst, sizeof(zst)))
		d->kind = PD_COMP_ZSTD;
	else
		d->kind = PD_COMP_NONE;
	return 0;
}

static ssize_t read_plain(struct pd_decomp *d, void *buf, size_t len, struct pd_error *err)
{
	ssize_t r;

	if (d->in_pos < d->in_len) {
		size_t n = d->in_len - d->in_pos < len ? d->in_len - d->in_pos : len;

		memcpy(buf, d->in + d->in_pos, n);
		d->in_pos += n;
		d->consumed += n;
		return (ssize_t)n;
	}
	r = read_some(d, buf, len, err);
	if (r > 0)
		d->consumed += (uint64_t)r;
	return r;
}

static ssize_t read_gzip(struct pd_decomp *d, void *buf, size_t len, struct pd_error *err)
{
	uInt room = len > UINT_MAX ? UINT_MAX : (uInt)len;

	if (!d->z_ready) {
		memset(&d->z, 0, sizeof(d->z));
		if (inflateInit2(&d->z, 15 + 16) != Z_OK)
			return pd_error_set(err, ENOMEM, "gzip: initialize");
		d->z_ready = true;
	}
	d->z.next_out = buf;
	d->z.avail_out = room;
	for (;;) {
		uInt before;
		size_t produced;
		int ret;

		if (d->in_pos == d->in_len && !d->pending) {
			if (fill(d, err) < 0)
				return -1;
			if (d->eof) {
				if (d->z_in_member || !d->z_any)
					return pd_error_set_msg(err, EBADMSG,
								"gzip stream truncated");
				d->done = true;
				return 0;
			}
		}
		if (!d->z_in_member) {
			if (d->z_any && inflateReset(&d->z) != Z_OK)
				return pd_error_set_msg(err, EBADMSG, "corrupt gzip stream");
			d->z_in_member = true;
		}
		d->z.next_in = d->in + d->in_pos;
		d->z.avail_in = before = (uInt)(d->in_len - d->in_pos);
		ret = inflate(&d->z, Z_NO_FLUSH);
		d->in_pos += before - d->z.avail_in;
		d->consumed += before - d->z.avail_in;
		produced = room - d->z.avail_out;
		d->pending = d->z.avail_out == 0;
		switch (ret) {
		case Z_STREAM_END:
			d->z_in_member = false;
			d->z_any = true;
			d->pending = false;
			break;
		case Z_OK:
			if (produced == 0 && before == d->z.avail_in && before > 0)
				return pd_error_set_msg(err, EBADMSG,
							"corrupt gzip stream: no progress");
			break;
		case Z_BUF_ERROR: /* no progress possible: it needs input */
			if (d->z.avail_in > 0)
				return pd_error_set_msg(err, EBADMSG,
							"corrupt gzip stream: no progress");
			d->pending = false;
			break;
		default:
			return pd_error_set_msg(err, EBADMSG, "corrupt gzip stream: %s",
						d->z.msg ? d->z.msg : zError(ret));
		}
		if (produced > 0)
			return (ssize_t)produced;
	}
}

static ssize_t read_zstd(struct pd_decomp *d, void *buf, size_t len, struct pd_error *err)
{
	ZSTD_outBuffer out = { buf, len, 0 };

	if (!d->zs) {
		d->zs = ZSTD_createDCtx();
		if (!d->zs)
			return pd_error_set(err, ENOMEM, "zstd: initialize");
	}
	for (;;) {
		ZSTD_inBuffer in;
		size_t r, before = d->in_pos;

		if (d->in_pos == d->in_len && !d->pending) {
			if (fill(d, err) < 0)
				return -1;
			if (d->eof) {
				if (d->zs_in_frame || !d->zs_any)
					return pd_error_set_msg(err, EBADMSG,
								"zstd stream truncated");
				d->done = true;
				return 0;
			}
			before = 0;
		}
		in = (ZSTD_inBuffer){ d->in, d->in_len, d->in_pos };
		r = ZSTD_decompressStream(d->zs, &out, &in);
		if (ZSTD_isError(r))
			return pd_error_set_msg(err, EBADMSG, "corrupt zstd stream: %s",
						ZSTD_getErrorName(r));
		d->in_pos = in.pos;
		d->consumed += in.pos - before;
		d->zs_in_frame = r != 0;
		if (r == 0)
			d->zs_any = true;
		d->pending = out.pos == out.size;
		if (out.pos > 0)
			return (ssize_t)out.pos;
		if (in.pos == before && in.pos < in.size && r != 0)
			return pd_error_set_msg(err, EBADMSG, "corrupt zstd stream: no progress");
	}
}

ssize_t pd_decomp_read(struct pd_decomp *d, void *buf, size_t len, struct pd_error *err)
{
	if (d->done || len == 0)
		return 0;
	if (d->kind == PD_COMP_AUTO && detect(d, err) < 0)
		return -1;
	switch (d->kind) {
	case PD_COMP_GZIP:
		return read_gzip(d, buf, len, err);
	case PD_COMP_ZSTD:
		return read_zstd(d, buf, len, err);
	case PD_COMP_NONE:
	case PD_COMP_AUTO:
	default:
		return read_plain(d, buf, len, err);
	}
}
