/* SPDX-License-Identifier: MIT */
/*
 * lazy_archive.c - the libarchive functions paude calls, forwarded to
 * libarchive loaded on first use (see common/lazylib.h for why).  Each forwarder has
 * libarchive's own prototype, which its headers check.
 */
#include "common/lazylib.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>

#define ARCHIVE_SONAME "libarchive.so.13"

#define AE struct archive_entry *
#define AR struct archive *

/* X(return type, name, parameters, arguments); V(...) for void ones. */
#define ARCHIVE_FNS(X, V) \
	X(AR, archive_read_new, (void), ()) \
	X(int, archive_read_free, (AR a), (a)) \
	X(int, archive_read_support_format_tar, (AR a), (a)) \
	X(int, archive_read_open, \
	  (AR a, void *d, archive_open_callback *o, archive_read_callback *r, \
	   archive_close_callback *c), \
	  (a, d, o, r, c)) \
	X(int, archive_read_next_header, (AR a, AE * e), (a, e)) \
	X(int, archive_read_data_block, (AR a, const void **b, size_t *n, la_int64_t *off), \
	  (a, b, n, off)) \
	X(const char *, archive_error_string, (AR a), (a)) \
	X(AR, archive_write_new, (void), ()) \
	X(int, archive_write_free, (AR a), (a)) \
	X(int, archive_write_set_format_pax, (AR a), (a)) \
	X(int, archive_write_open, \
	  (AR a, void *d, archive_open_callback *o, archive_write_callback *w, \
	   archive_close_callback *c), \
	  (a, d, o, w, c)) \
	X(int, archive_write_header, (AR a, AE e), (a, e)) \
	X(la_ssize_t, archive_write_data, (AR a, const void *b, size_t n), (a, b, n)) \
	X(int, archive_write_close, (AR a), (a)) \
	X(AE, archive_entry_new, (void), ()) \
	V(archive_entry_free, (AE e), (e)) \
	X(__LA_MODE_T, archive_entry_filetype, (AE e), (e)) \
	X(__LA_MODE_T, archive_entry_perm, (AE e), (e)) \
	X(const char *, archive_entry_pathname, (AE e), (e)) \
	X(const char *, archive_entry_symlink, (AE e), (e)) \
	X(const char *, archive_entry_hardlink, (AE e), (e)) \
	X(la_int64_t, archive_entry_uid, (AE e), (e)) \
	X(la_int64_t, archive_entry_gid, (AE e), (e)) \
	X(la_int64_t, archive_entry_size, (AE e), (e)) \
	X(int, archive_entry_size_is_set, (AE e), (e)) \
	X(dev_t, archive_entry_rdevmajor, (AE e), (e)) \
	X(dev_t, archive_entry_rdevminor, (AE e), (e)) \
	X(time_t, archive_entry_mtime, (AE e), (e)) \
	X(long, archive_entry_mtime_nsec, (AE e), (e)) \
	X(time_t, archive_entry_atime, (AE e), (e)) \
	X(long, archive_entry_atime_nsec, (AE e), (e)) \
	X(int, archive_entry_atime_is_set, (AE e), (e)) \
	X(int, archive_entry_xattr_reset, (AE e), (e)) \
	X(int, archive_entry_xattr_next, (AE e, const char **n, const void **v, size_t *s), \
	  (e, n, v, s)) \
	V(archive_entry_xattr_add_entry, (AE e, const char *n, const void *v, size_t s), \
	  (e, n, v, s)) \
	V(archive_entry_set_filetype, (AE e, unsigned int t), (e, t)) \
	V(archive_entry_set_perm, (AE e, __LA_MODE_T m), (e, m)) \
	V(archive_entry_set_pathname, (AE e, const char *p), (e, p)) \
	V(archive_entry_set_symlink, (AE e, const char *p), (e, p)) \
	V(archive_entry_set_hardlink, (AE e, const char *p), (e, p)) \
	V(archive_entry_set_uid, (AE e, la_int64_t id), (e, id)) \
	V(archive_entry_set_gid, (AE e, la_int64_t id), (e, id)) \
	V(archive_entry_set_size, (AE e, la_int64_t n), (e, n)) \
	V(archive_entry_set_mtime, (AE e, time_t t, long ns), (e, t, ns)) \
	V(archive_entry_set_rdevmajor, (AE e, dev_t d), (e, d)) \
	V(archive_entry_set_rdevminor, (AE e, dev_t d), (e, d))

static void need(void)
{
	pd_lazy_need(pd_lazy_archive, "libarchive");
}

ARCHIVE_FNS(PD_LAZY_SLOT, PD_LAZY_SLOTV)
static void *p_archive_set_error;

ARCHIVE_FNS(PD_LAZY_FWD, PD_LAZY_FWDV)

/* The message is formatted here and handed on as one "%s" argument. */
void archive_set_error(struct archive *a, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!p_archive_set_error)
		need();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	((void (*)(struct archive *, int, const char *, ...))p_archive_set_error)(a, code, "%s",
										  msg);
}

static const struct pd_lazy_sym syms[] = { ARCHIVE_FNS(PD_LAZY_SYM, PD_LAZY_SYMV){
	"archive_set_error", &p_archive_set_error } };

int pd_lazy_archive(struct pd_error *err)
{
	static void *handle;

	return pd_lazy_load(&handle, ARCHIVE_SONAME, syms, PD_LAZY_N(syms), err);
}
