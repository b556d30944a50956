/* SPDX-License-Identifier: MIT */
/*
 * fuzz_run_options.c - libFuzzer target for the whole `paude run` command
 * line: the input is split at NUL bytes into arguments after "run", parsed
 * with pd_run_options_parse() and released.  Checks the contract: success
 * names an IMAGE inside argv and a NULL-terminated command after it; failure
 * is a usage error with a message.  Arguments that would reach --env-file
 * (a host file read) are dropped, so the target touches no file.
 * Seeds: tests/fuzz/corpus/fuzz_run_options/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_options.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char run_arg[] = "run";
static char env_a[] = "HOSTVAR=hostvalue";
static char env_b[] = "EMPTY=";
static char *fake_environ[] = { env_a, env_b, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	struct pd_run_options o;
	struct pd_error err;
	size_t off = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = run_arg;
	while (off <= size && argc < MAX_ARGS + 1) {
		char *a = buf + off;
		size_t n = strlen(a);

		/* "--env-f...", "--env-=..." and other abbreviations of --env-file */
		if (!strncmp(a, "--env-", 6)) {
			free(buf);
			return 0;
		}
		argv[argc++] = a;
		off += n + 1;
	}
	argv[argc] = NULL;

	memset(&err, 0, sizeof(err));
	if (pd_run_options_parse(argc, argv, fake_environ, &o, &err) == 0) {
		if (!o.help) {
			int i;

			if (!o.image || !o.command || o.command[-1] != o.image)
				abort();
			for (i = 0; o.command[i]; i++)
				if (o.command + i >= argv + argc)
					abort();
			if (o.command + i != argv + argc)
				abort();
			if (!o.network || (strcmp(o.network, "none") && strcmp(o.network, "proxy")))
				abort();
			for (size_t m = 0; m < o.n_mounts; m++)
				if (!o.mounts[m].dest || o.mounts[m].dest[0] != '/')
					abort();
			for (size_t e = 0; o.env && o.env[e]; e++)
				if (!strchr(o.env[e], '=') || o.env[e][0] == '=')
					abort();
		}
	} else {
		if (err.status != PD_STATUS_USAGE || err.msg[0] == '\0' ||
		    !memchr(err.msg, '\0', sizeof(err.msg)))
			abort();
	}
	pd_run_options_release(&o);
	free(buf);
	return 0;
}
