/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common/lazylib.c and the lazy_*.c loaders. */
#include "unit.h"

#include "common/lazylib.h"

#include <dlfcn.h>
#include <errno.h>

START_TEST(test_missing_library)
{
	void *handle = NULL, *slot = NULL;
	const struct pd_lazy_sym syms[] = { { "strlen", &slot } };
	struct pd_error e = { 0 };

	EXPECT_INT(pd_lazy_load(&handle, "libpaude-no-such.so.9", syms, 1, &e), -1);
	EXPECT_INT(e.code, ENOENT);
	ck_assert_msg(strstr(e.msg, "load libpaude-no-such.so.9") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "install the package") != NULL, "%s", e.msg);
	ck_assert_ptr_null(handle);
	ck_assert_ptr_null(slot);
}
END_TEST

START_TEST(test_missing_symbol_keeps_nothing)
{
	void *handle = NULL, *a = NULL, *b = NULL;
	const struct pd_lazy_sym syms[] = { { "zlibVersion", &a }, { "pd_no_such_function", &b } };
	struct pd_error e = { 0 };

	EXPECT_INT(pd_lazy_load(&handle, "libz.so.1", syms, 2, &e), -1);
	ck_assert_msg(strstr(e.msg, "libz.so.1: it has no pd_no_such_function") != NULL, "%s",
		      e.msg);
	ck_assert_ptr_null(handle);
	ck_assert_ptr_null(a); /* resolved before the failure, then dropped */
	ck_assert_ptr_null(b);
}
END_TEST

START_TEST(test_load_once)
{
	void *handle = NULL, *slot = NULL, *first;
	const struct pd_lazy_sym syms[] = { { "zlibVersion", &slot } };
	struct pd_error e = { 0 };

	EXPECT_INT(pd_lazy_load(&handle, "libz.so.1", syms, 1, &e), 0);
	ck_assert_ptr_nonnull(handle);
	ck_assert_ptr_nonnull(slot);
	first = slot;
	slot = NULL;
	EXPECT_INT(pd_lazy_load(&handle, "libz.so.1", syms, 1, &e), 0); /* already loaded */
	ck_assert_ptr_null(slot);
	ck_assert_ptr_nonnull(first);
}
END_TEST

/* Every loader finds its library and every symbol its forwarders name (a
 * forwarder whose name the library lacks fails here, not in the field). */
START_TEST(test_every_loader)
{
	int (*const loaders[])(struct pd_error *) = { pd_lazy_curl, pd_lazy_archive, pd_lazy_crypto,
						      pd_lazy_zlib, pd_lazy_zstd,    pd_lazy_cares,
						      pd_lazy_idn2, pd_lazy_nl };

	for (size_t i = 0; i < PD_LAZY_N(loaders); i++) {
		struct pd_error e = { 0 };

		ck_assert_msg(loaders[i](&e) == 0, "loader %zu: %s", i, e.msg);
		ck_assert_msg(loaders[i](&e) == 0, "loader %zu again: %s", i, e.msg);
	}
}
END_TEST

static Suite *lazylib_suite(void)
{
	Suite *s = suite_create("lazylib");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_missing_library);
	tcase_add_test(tc, test_missing_symbol_keeps_nothing);
	tcase_add_test(tc, test_load_once);
	tcase_add_test(tc, test_every_loader);
	suite_add_tcase(s, tc);
	return s;
}
PD_UNIT_SUITE(lazylib_suite);
