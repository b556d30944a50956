/* SPDX-License-Identifier: MIT */
/* Runs every suite registered with PD_UNIT_SUITE(); exit status 1 on any failure. */
#include "unit.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern pd_unit_suite_fn __start_pd_unit_suites[];
extern pd_unit_suite_fn __stop_pd_unit_suites[];

char *pd_unit_tmpdir(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	size_t n = strlen(base) + sizeof("/paude-unit-XXXXXX");
	char *t = malloc(n);

	ck_assert_ptr_nonnull(t);
	snprintf(t, n, "%s/paude-unit-XXXXXX", base);
	ck_assert_msg(mkdtemp(t) != NULL, "mkdtemp %s failed", t);
	return t;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

void pd_unit_rmrf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	SRunner *sr = NULL;
	int failed;

	for (pd_unit_suite_fn *f = __start_pd_unit_suites; f < __stop_pd_unit_suites; f++) {
		if (!sr)
			sr = srunner_create((*f)());
		else
			srunner_add_suite(sr, (*f)());
	}
	if (!sr) {
		fprintf(stderr, "no unit suites registered\n");
		return 1;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
