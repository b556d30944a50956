/* SPDX-License-Identifier: MIT */
/*
 * lazy_curl.c - the libcurl functions paude calls, forwarded to libcurl
 * loaded on first use (see common/lazylib.h for why).  Each forwarder has curl's
 * own prototype, which <curl/curl.h> checks.
 */
#define CURL_DISABLE_TYPECHECK 1 /* the type-checking macros would rename ours */
#include "common/lazylib.h"

#include <curl/curl.h>
#include <stdarg.h>

#define CURL_SONAME "libcurl.so.4"

/* X(return type, name, parameters, arguments); V(...) for void ones. */
#define CURL_FNS(X, V) \
	X(CURL *, curl_easy_init, (void), ()) \
	V(curl_easy_cleanup, (CURL * h), (h)) \
	V(curl_easy_reset, (CURL * h), (h)) \
	X(CURLcode, curl_easy_perform, (CURL * h), (h)) \
	X(const char *, curl_easy_strerror, (CURLcode c), (c)) \
	X(char *, curl_easy_escape, (CURL * h, const char *s, int n), (h, s, n)) \
	X(CURLHcode, curl_easy_header, \
	  (CURL * h, const char *name, size_t i, unsigned int origin, int req, \
	   struct curl_header **out), \
	  (h, name, i, origin, req, out)) \
	V(curl_free, (void *p), (p)) \
	X(CURLcode, curl_global_init, (long flags), (flags)) \
	X(struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s)) \
	V(curl_slist_free_all, (struct curl_slist * l), (l)) \
	X(curl_version_info_data *, curl_version_info, (CURLversion v), (v)) \
	X(CURLU *, curl_url, (void), ()) \
	V(curl_url_cleanup, (CURLU * u), (u)) \
	X(CURLUcode, curl_url_get, (CURLU * u, CURLUPart what, char **part, unsigned int flags), \
	  (u, what, part, flags)) \
	X(CURLUcode, curl_url_set, \
	  (CURLU * u, CURLUPart what, const char *part, unsigned int flags), \
	  (u, what, part, flags))

static void need(void)
{
	pd_lazy_need(pd_lazy_curl, "libcurl");
}

CURL_FNS(PD_LAZY_SLOT, PD_LAZY_SLOTV)
static void *p_curl_easy_setopt, *p_curl_easy_getinfo;

CURL_FNS(PD_LAZY_FWD, PD_LAZY_FWDV)

typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);

/* curl_easy_setopt() takes one argument whose type the option's number
 * range says (curl.h's CURLOPTTYPE_*); it is passed on with that type. */
CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	setopt_fn f;
	CURLcode rc;
	va_list ap;

	if (!p_curl_easy_setopt)
		need();
	f = (setopt_fn)p_curl_easy_setopt;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = f(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = f(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = f(h, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = f(h, opt, va_arg(ap, curl_off_t));
	else
		rc = f(h, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where its answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	CURLcode rc;
	va_list ap;

	if (!p_curl_easy_getinfo)
		need();
	va_start(ap, info);
	rc = ((CURLcode(*)(CURL *, CURLINFO, ...))p_curl_easy_getinfo)(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

static const struct pd_lazy_sym syms[] = { CURL_FNS(PD_LAZY_SYM, PD_LAZY_SYMV){
						   "curl_easy_setopt", &p_curl_easy_setopt },
					   { "curl_easy_getinfo", &p_curl_easy_getinfo } };

int pd_lazy_curl(struct pd_error *err)
{
	static void *handle;

	return pd_lazy_load(&handle, CURL_SONAME, syms, PD_LAZY_N(syms), err);
}
