/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct pd_command *const pd_commands[] = {
	&pd_cmd_create,
	&pd_cmd_start,
	&pd_cmd_stop,
	&pd_cmd_connect,
	&pd_cmd_list,
	&pd_cmd_delete,
	&pd_cmd_exec,
	&pd_cmd_cp,
	&pd_cmd_remote,
	&pd_cmd_allowed_domains,
	&pd_cmd_blocked_domains,
	&pd_cmd_logs,
	&pd_cmd_status,
	&pd_cmd_run,
	&pd_cmd_pull,
	&pd_cmd_images,
	&pd_cmd_image,
	&pd_cmd_inspect,
	&pd_cmd_rmi,
	&pd_cmd_save,
	&pd_cmd_push,
	&pd_cmd_login,
	&pd_cmd_logout,
	&pd_cmd_proxy,
	&pd_cmd_unshare,
	&pd_cmd_system,
	&pd_cmd_help,
	&pd_cmd_version,
	&pd_cmd_supervise,
	NULL,
};

const struct pd_command *pd_command_find(const char *name)
{
	for (const struct pd_command *const *c = pd_commands; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

int pd_usage_error(struct pd_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
	va_end(ap);
	err->code = 0;
	err->status = PD_STATUS_USAGE;
	return -1;
}

int pd_is_help_arg(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help");
}

void pd_print_main_help(void)
{
	printf("paude - run an AI coding agent in a sandbox it cannot escape or leak from\n\n"
	       "Usage: paude [--help] [--version] COMMAND [ARGS...]\n\n"
	       "Commands:\n");
	for (const struct pd_command *const *c = pd_commands; *c; c++)
		if ((*c)->summary)
			printf("  %-16s %s\n", (*c)->name, (*c)->summary);
	printf("\nRun 'paude help COMMAND' or 'paude COMMAND --help' for a command's options.\n");
}
