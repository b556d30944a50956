/* SPDX-License-Identifier: MIT */
/* paude help [COMMAND]: the main help, or one command's full help. */
#include "cli.h"

#include <stdio.h>

static int cmd_help(int argc, char **argv, struct pd_error *err)
{
	const struct pd_command *c;

	if (argc > 2)
		return pd_usage_error(err, "help: expected at most one command name");
	if (argc < 2) {
		pd_print_main_help();
		return 0;
	}
	if (pd_is_help_arg(argv[1])) {
		fputs(pd_cmd_help.help, stdout);
		return 0;
	}
	c = pd_command_find(argv[1]);
	if (!c)
		return pd_usage_error(err, "help: unknown command \"%s\"", argv[1]);
	fputs(c->help, stdout);
	return 0;
}

const struct pd_command pd_cmd_help = {
	.name = "help",
	.summary = "Show help for paude or one of its commands",
	.help = "Usage: paude help [COMMAND]\n\n"
		"Show the list of commands, or the full help of COMMAND.\n",
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_help,
};
