/* SPDX-License-Identifier: MIT */
/*
 * lazylib.h - the libraries only some commands need, loaded when first used.
 *
 * Theory of operation: paude is linked against libseccomp, libcap and cJSON
 * only.  libcurl (with its TLS, Kerberos, LDAP, SSH... stack) and libarchive
 * (with libxml2 and ICU) are ~45 shared objects whose loading and
 * relocation cost every process ~8 ms; libcrypto, zlib, libzstd, libnl,
 * c-ares and libidn2 another ~3 ms.  Only pulling, pushing, unpacking and the
 * proxied network use them, while `paude run --network none`, init and the
 * short commands (exec, list) should start as fast as bubblewrap.
 *
 * So each such library has a lazy_*.c file next to its user (oci/, proxy/,
 * netfilter/) that defines each function paude calls, with the library's
 * own prototype (its header checks it), as a forwarder to the real function
 * resolved with dlopen()/dlsym() by that file's loader.
 *
 * The loaders are the contract: code that uses a library calls its loader
 * first and gets a pd_error naming the library when it cannot be loaded.  A
 * forwarder reached without it (a unit test, a fuzz target) loads on the
 * spot, and aborts with the library's name if that fails.
 *
 * The libraries are found as any NEEDED one would be (the sonames of
 * Debian's libcurl4 and libarchive13); paude refuses to run setuid, so the
 * loader's search path is the user's own business.
 */
#ifndef PAUDE_COMMON_LAZYLIB_H
#define PAUDE_COMMON_LAZYLIB_H

#include "error.h"

#include <stddef.h>

/* The loaders (0, or -1 with @err naming the library). */
int pd_lazy_curl(struct pd_error *err);    /* oci/lazy_curl.c */
int pd_lazy_archive(struct pd_error *err); /* oci/lazy_archive.c */
int pd_lazy_crypto(struct pd_error *err);  /* oci/lazy_crypto.c */
int pd_lazy_zlib(struct pd_error *err);    /* oci/lazy_zlib.c */
int pd_lazy_zstd(struct pd_error *err);    /* oci/lazy_zstd.c */
int pd_lazy_cares(struct pd_error *err);   /* proxy/lazy_cares.c */
int pd_lazy_idn2(struct pd_error *err);    /* proxy/lazy_idn2.c */
int pd_lazy_nl(struct pd_error *err);      /* netfilter/lazy_nl.c */

/* One symbol to resolve: its name and where its address goes. */
struct pd_lazy_sym {
	const char *name;
	void **slot;
};

/*
 * pd_lazy_load() - dlopen @soname and resolve every entry of @syms; on
 * success *@handle is set (later calls return 0 at once).  Nothing is kept
 * when a symbol is missing.
 */
int pd_lazy_load(void **handle, const char *soname, const struct pd_lazy_sym *syms, size_t n,
		 struct pd_error *err);

/* A forwarder reached before its loader: load now or abort naming @what. */
void pd_lazy_need(int (*loader)(struct pd_error *), const char *what);

/*
 * The pieces of a lazy_*.c file.  It lists its functions once as an X-macro,
 * X(return type, name, (parameters), (arguments)) or V(name, (parameters),
 * (arguments)) for a void one, defines `static void need(void)` (calls
 * pd_lazy_need with its loader), and expands the list with PD_LAZY_SLOT(V),
 * then PD_LAZY_FWD(V), then PD_LAZY_SYM(V) for its pd_lazy_sym table.
 */
#define PD_LAZY_SLOT(ret, name, params, args) static void *p_##name;
#define PD_LAZY_SLOTV(name, params, args) static void *p_##name;
/* params and args are parenthesized lists already: (a, b), spliced as they are. */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define PD_LAZY_FWD(ret, name, params, args) \
	ret name params \
	{ \
		if (!p_##name) \
			need(); \
		return ((ret(*) params)p_##name)args; \
	}
#define PD_LAZY_FWDV(name, params, args) \
	void name params \
	{ \
		if (!p_##name) \
			need(); \
		((void(*) params)p_##name) args; \
	}
/* NOLINTEND(bugprone-macro-parentheses) */
#define PD_LAZY_SYM(ret, name, params, args) { #name, &p_##name },
#define PD_LAZY_SYMV(name, params, args) { #name, &p_##name },
#define PD_LAZY_N(a) (sizeof(a) / sizeof((a)[0]))

#endif
