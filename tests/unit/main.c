/* SPDX-License-Identifier: MIT */
/* Runs every suite registered with PD_UNIT_SUITE(); exit status 1 on any failure. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct pd_unit_reg __start_pd_unit_suites[];
extern const struct pd_unit_reg __stop_pd_unit_suites[];

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

bool pd_unit_have_openat2(void)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	long r = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));

	if (r >= 0)
		close((int)r);
	return r >= 0 || errno != ENOSYS;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

void pd_unit_rmrf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* PD_UNIT_EXCLUDE_SUITES=fn,fn leaves suites out (make valgrind: see the Makefile). */
static int excluded(const char *name)
{
	const char *ex = getenv("PD_UNIT_EXCLUDE_SUITES");
	size_t n = strlen(name);

	if (!ex || !*ex)
		return 0;
	for (const char *p = ex; *p;) {
		size_t l = strcspn(p, ",");

		if (l == n && !strncmp(p, name, n)) {
			fprintf(stderr, "unit: suite \"%s\" left out (PD_UNIT_EXCLUDE_SUITES)\n",
				name);
			return 1;
		}
		p += l + (p[l] == ',');
	}
	return 0;
}

int main(void)
{
	SRunner *sr = NULL;
	int failed;

	for (const struct pd_unit_reg *r = __start_pd_unit_suites; r < __stop_pd_unit_suites; r++) {
		Suite *s;

		if (excluded(r->name))
			continue;
		s = r->fn();
		if (!sr)
			sr = srunner_create(s);
		else
			srunner_add_suite(sr, s);
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
