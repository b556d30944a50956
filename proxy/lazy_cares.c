/* SPDX-License-Identifier: MIT */
/*
 * lazy_cares.c - the c-ares functions the proxy's resolver calls, forwarded
 * to c-ares loaded on first use (see common/lazylib.h).
 */
#include "common/lazylib.h"

#include <ares.h>

#define FNS(X, V) \
	X(int, ares_library_init, (int flags), (flags)) \
	V(ares_library_cleanup, (void), ()) \
	X(int, ares_init_options, (ares_channel * c, struct ares_options * o, int mask), \
	  (c, o, mask)) \
	V(ares_destroy, (ares_channel c), (c)) \
	V(ares_cancel, (ares_channel c), (c)) \
	X(int, ares_set_servers_ports_csv, (ares_channel c, const char *s), (c, s)) \
	V(ares_getaddrinfo, \
	  (ares_channel c, const char *name, const char *service, \
	   const struct ares_addrinfo_hints *hints, ares_addrinfo_callback cb, void *arg), \
	  (c, name, service, hints, cb, arg)) \
	V(ares_freeaddrinfo, (struct ares_addrinfo * ai), (ai)) \
	V(ares_process_fd, (ares_channel c, ares_socket_t r, ares_socket_t w), (c, r, w)) \
	X(struct timeval *, ares_timeout, \
	  (ares_channel c, struct timeval * max, struct timeval * tv), (c, max, tv)) \
	X(const char *, ares_strerror, (int code), (code))

static void need(void)
{
	pd_lazy_need(pd_lazy_cares, "c-ares");
}

FNS(PD_LAZY_SLOT, PD_LAZY_SLOTV)
FNS(PD_LAZY_FWD, PD_LAZY_FWDV)
static const struct pd_lazy_sym syms[] = { FNS(PD_LAZY_SYM, PD_LAZY_SYMV) };

int pd_lazy_cares(struct pd_error *err)
{
	static void *handle;

	return pd_lazy_load(&handle, "libcares.so.2", syms, PD_LAZY_N(syms), err);
}
