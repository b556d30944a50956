/* SPDX-License-Identifier: MIT */
/*
 * lazy_idn2.c - the libidn2 functions the policy's name normalization calls,
 * forwarded to libidn2 loaded on first use (see common/lazylib.h).
 */
#include "common/lazylib.h"

#include <idn2.h>

#define FNS(X, V) \
	X(int, idn2_to_ascii_8z, (const char *in, char **out, int flags), (in, out, flags)) \
	V(idn2_free, (void *p), (p))

static void need(void)
{
	pd_lazy_need(pd_lazy_idn2, "libidn2");
}

FNS(PD_LAZY_SLOT, PD_LAZY_SLOTV)
FNS(PD_LAZY_FWD, PD_LAZY_FWDV)
static const struct pd_lazy_sym syms[] = { FNS(PD_LAZY_SYM, PD_LAZY_SYMV) };

int pd_lazy_idn2(struct pd_error *err)
{
	static void *handle;

	return pd_lazy_load(&handle, "libidn2.so.0", syms, PD_LAZY_N(syms), err);
}
