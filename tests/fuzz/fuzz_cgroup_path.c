/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cgroup_path.c - libFuzzer target for pd_cgroup_self_path() over
 * /proc/self/cgroup-like text.  The first input byte picks the controller
 * and the output size (1..256); the output is an exact-size heap block so a
 * write past @outsz is an ASan report.  A success must be an absolute path
 * that fits.  Seeds: tests/fuzz/corpus/fuzz_cgroup_path/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctls[] = {
		"", "memory", "cpu", "cpuacct", "pids", "name=systemd", "net_cls", "m",
	};
	const char *ctl;
	size_t outsz;
	char *out;

	if (size < 2)
		return 0;
	ctl = ctls[data[0] & 7];
	outsz = (size_t)data[1] + 1;
	out = malloc(outsz);
	if (!out)
		abort();
	if (pd_cgroup_self_path((const char *)data + 2, size - 2, ctl, out, outsz) == 0) {
		size_t n = strnlen(out, outsz);

		if (n == outsz || n == 0 || out[0] != '/')
			abort();
	}
	free(out);
	return 0;
}
