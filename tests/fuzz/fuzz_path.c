/* SPDX-License-Identifier: MIT */
/* libFuzzer: pd_path_clean must never overflow and its output must be clean. */
#include "common/path.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[512], out[64], again[64];

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	if (pd_path_clean(in, out, sizeof(out)) < 0)
		return 0;
	/* Clean output: absolute, no "//", no "." or ".." component, no trailing "/". */
	if (out[0] != '/' || strstr(out, "//") || strstr(out, "/./") || strstr(out, "/../"))
		abort();
	{
		size_t n = strlen(out);

		if (n > 1 && out[n - 1] == '/')
			abort();
		if ((n >= 2 && !strcmp(out + n - 2, "/.")) ||
		    (n >= 3 && !strcmp(out + n - 3, "/..")))
			abort();
	}
	/* Cleaning is idempotent. */
	if (pd_path_clean(out, again, sizeof(again)) < 0 || strcmp(out, again) != 0)
		abort();
	return 0;
}
