/* SPDX-License-Identifier: MIT */
/*
 * fuzz_env_file.c - libFuzzer target for --env-file contents: any bytes go
 * through pd_parse_env_file().  Every variable it keeps must be "NAME=..."
 * with a non-empty name free of whitespace, names must be unique (later
 * lines replace earlier ones), and a failure must be a usage error.
 * Seeds: tests/fuzz/corpus/fuzz_env_file/.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_options.h"
#include "common/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char env_a[] = "HOSTVAR=hostvalue";
static char env_b[] = "EMPTY=";
static char *fake_environ[] = { env_a, env_b, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char **env = NULL;
	struct pd_error err;
	int r;

	memset(&err, 0, sizeof(err));
	/* data is exactly @size bytes, unterminated: ASan sees any overread */
	r = pd_parse_env_file((const char *)data, size, "fuzz.env", fake_environ, &env, &err);
	if (r < 0 && (err.status != PD_STATUS_USAGE || err.msg[0] == '\0'))
		abort();
	for (size_t i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		size_t n;

		if (!eq || eq == env[i])
			abort();
		n = (size_t)(eq - env[i]);
		for (size_t k = 0; k < n; k++)
			if (isspace((unsigned char)env[i][k]))
				abort();
		for (size_t j = 0; j < i; j++)
			if (!strncmp(env[j], env[i], n + 1))
				abort();
	}
	pd_strv_free(env);
	return 0;
}
