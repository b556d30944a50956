/* SPDX-License-Identifier: MIT */
/* paude version: print the version. */
#include "cli.h"

#include <stdio.h>

static int cmd_version(int argc, char **argv, struct pd_error *err)
{
	(void)argv;
	if (argc > 1)
		return pd_usage_error(err, "version: takes no arguments");
	printf("paude %s\n", PAUDE_VERSION);
	return 0;
}

const struct pd_command pd_cmd_version = {
	.name = "version",
	.summary = "Print paude's version",
	.help = "Usage: paude version\n\nPrint paude's version (also: paude --version).\n",
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_version,
};
