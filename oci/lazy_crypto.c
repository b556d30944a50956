/* SPDX-License-Identifier: MIT */
/*
 * lazy_crypto.c - the libcrypto (OpenSSL) digest functions paude calls,
 * forwarded to libcrypto loaded on first use (see common/lazylib.h).
 */
#include "common/lazylib.h"

#include <openssl/evp.h>

#define FNS(X, V) \
	X(int, EVP_Digest, \
	  (const void *d, size_t n, unsigned char *md, unsigned int *s, const EVP_MD *t, \
	   ENGINE *e), \
	  (d, n, md, s, t, e)) \
	X(int, EVP_DigestInit_ex, (EVP_MD_CTX * c, const EVP_MD *t, ENGINE *e), (c, t, e)) \
	X(int, EVP_DigestUpdate, (EVP_MD_CTX * c, const void *d, size_t n), (c, d, n)) \
	X(int, EVP_DigestFinal_ex, (EVP_MD_CTX * c, unsigned char *md, unsigned int *s), \
	  (c, md, s)) \
	X(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ()) \
	V(EVP_MD_CTX_free, (EVP_MD_CTX * c), (c)) \
	X(int, EVP_MD_get_size, (const EVP_MD *t), (t)) \
	X(const EVP_MD *, EVP_sha256, (void), ()) \
	X(const EVP_MD *, EVP_sha512, (void), ())

static void need(void)
{
	pd_lazy_need(pd_lazy_crypto, "libcrypto");
}

FNS(PD_LAZY_SLOT, PD_LAZY_SLOTV)
FNS(PD_LAZY_FWD, PD_LAZY_FWDV)
static const struct pd_lazy_sym syms[] = { FNS(PD_LAZY_SYM, PD_LAZY_SYMV) };

int pd_lazy_crypto(struct pd_error *err)
{
	static void *handle;

	return pd_lazy_load(&handle, "libcrypto.so.3", syms, PD_LAZY_N(syms), err);
}
