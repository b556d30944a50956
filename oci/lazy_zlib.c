/* SPDX-License-Identifier: MIT */
/*
 * lazy_zlib.c - the zlib functions paude calls (gzip layers), forwarded to
 * zlib loaded on first use (see common/lazylib.h).
 */
#include "common/lazylib.h"

#include <zlib.h>

#define FNS(X, V) \
	X(int, inflateInit2_, (z_streamp s, int bits, const char *v, int size), \
	  (s, bits, v, size)) \
	X(int, inflate, (z_streamp s, int flush), (s, flush)) \
	X(int, inflateReset, (z_streamp s), (s)) \
	X(int, inflateEnd, (z_streamp s), (s)) \
	X(const char *, zError, (int e), (e))

static void need(void)
{
	pd_lazy_need(pd_lazy_zlib, "zlib");
}

FNS(PD_LAZY_SLOT, PD_LAZY_SLOTV)
FNS(PD_LAZY_FWD, PD_LAZY_FWDV)
static const struct pd_lazy_sym syms[] = { FNS(PD_LAZY_SYM, PD_LAZY_SYMV) };

int pd_lazy_zlib(struct pd_error *err)
{
	static void *handle;

	return pd_lazy_load(&handle, "libz.so.1", syms, PD_LAZY_N(syms), err);
}
