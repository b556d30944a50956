/* SPDX-License-Identifier: MIT */
/*
 * lazy_zstd.c - the libzstd functions paude calls (zstd layers), forwarded
 * to libzstd loaded on first use (see common/lazylib.h).
 */
#include "common/lazylib.h"

#include <zstd.h>

#define FNS(X, V) \
	X(ZSTD_DCtx *, ZSTD_createDCtx, (void), ()) \
	X(size_t, ZSTD_freeDCtx, (ZSTD_DCtx * c), (c)) \
	X(size_t, ZSTD_decompressStream, \
	  (ZSTD_DStream * s, ZSTD_outBuffer * o, ZSTD_inBuffer * i), (s, o, i)) \
	X(unsigned int, ZSTD_isError, (size_t c), (c)) \
	X(const char *, ZSTD_getErrorName, (size_t c), (c))

static void need(void)
{
	pd_lazy_need(pd_lazy_zstd, "libzstd");
}

FNS(PD_LAZY_SLOT, PD_LAZY_SLOTV)
FNS(PD_LAZY_FWD, PD_LAZY_FWDV)
static const struct pd_lazy_sym syms[] = { FNS(PD_LAZY_SYM, PD_LAZY_SYMV) };

int pd_lazy_zstd(struct pd_error *err)
{
	static void *handle;

	return pd_lazy_load(&handle, "libzstd.so.1", syms, PD_LAZY_N(syms), err);
}
