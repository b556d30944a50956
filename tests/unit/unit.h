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

typedef Suite *(*pd_unit_suite_fn)(void);

struct pd_unit_reg {
	const char *name;        /* the suite function's name */
	pd_unit_suite_fn fn;
};

#define PD_UNIT_SUITE(fn) \
	static const struct pd_unit_reg pd_unit_reg_##fn \
	__attribute__((used, section("pd_unit_suites"), aligned(sizeof(void *)))) = { #fn, fn }

/* A scratch directory for the current test (removed by the caller's teardown). */
char *pd_unit_tmpdir(void);
void pd_unit_rmrf(const char *path);

#endif
