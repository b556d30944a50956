/* SPDX-License-Identifier: MIT */
/*
 * unit.h - registration for libcheck suites.
 *
 * Each tests/unit/test_*.c ends with PD_UNIT_SUITE(fn), where fn builds a
 * Suite; the runner (main.c) finds every registered suite through a linker
 * section, so adding a test file needs no edit anywhere else.
 */
#ifndef PAUDE_UNIT_H
#define PAUDE_UNIT_H

#include <check.h>
#include <stdbool.h>
#include <string.h>

typedef Suite *(*pd_unit_suite_fn)(void);

struct pd_unit_reg {
	const char *name; /* the suite function's name */
	pd_unit_suite_fn fn;
};

#define PD_UNIT_SUITE(fn) \
	static const struct pd_unit_reg pd_unit_reg_##fn \
		__attribute__((used, section("pd_unit_suites"), aligned(sizeof(void *)))) = { #fn, \
											      fn }

/* Assertions that print what was expected and what came. */
#define EXPECT_INT(got, want) \
	do { \
		long long got_ = (long long)(got), want_ = (long long)(want); \
		ck_assert_msg(got_ == want_, "%s: expected %lld, got %lld", #got, want_, got_); \
	} while (0)
#define EXPECT_STR(got, want) \
	do { \
		const char *got_ = (got), *want_ = (want); \
		ck_assert_msg(got_ &&want_ ? strcmp(got_, want_) == 0 : got_ == want_, \
			      "%s: expected \"%s\", got \"%s\"", #got, want_ ? want_ : "(null)", \
			      got_ ? got_ : "(null)"); \
	} while (0)
#define EXPECT_UINT(got, want) \
	do { \
		unsigned long long got_ = (unsigned long long)(got), \
				   want_ = (unsigned long long)(want); \
		ck_assert_msg(got_ == want_, "%s: expected %llu, got %llu", #got, want_, got_); \
	} while (0)

/*
 * pd_unit_have_openat2() - whether openat2(2) exists here.  The fd-relative
 * code is built on it; where it is missing (valgrind 3.19 answers ENOSYS)
 * the tests that need it are left out with a note instead of failing.
 */
bool pd_unit_have_openat2(void);

/* A scratch directory for the current test (removed by the caller's teardown). */
char *pd_unit_tmpdir(void);
void pd_unit_rmrf(const char *path);

#endif
