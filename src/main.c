/* SPDX-License-Identifier: MIT */
/*
 * main.c - paude's entry point: global options, dispatch to a subcommand,
 * and the only place that prints errors and chooses the exit status.
 */
#include "cli.h"
#include "common/cleanup.h"
#include "common/proctitle.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static void print_error(const struct pd_command *c, const struct pd_error *err)
{
	fprintf(stderr, "paude: %s\n", err->msg[0] ? err->msg : "unknown error");
	if (err->status == PD_STATUS_USAGE)
		fprintf(stderr, "Try 'paude %s%s--help' for more information.\n", c ? c->name : "",
			c ? " " : "");
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
	char **args;
	int r;

	/* fds 0-2 must be taken, or the first pipe paude makes would become one
	 * of them and be clobbered when the command's stdio are set up. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR | O_CLOEXEC) < 0)
			return 125;

	{
		struct pd_error err = { 0 };

		if (pd_selfcheck(&err) < 0) {
			print_error(NULL, &err);
			return 125;
		}
	}
	/* From here on the arguments are a heap copy: the original area becomes
	 * the sandbox init's blanked command line. */
	args = pd_proctitle_init(argc, argv);
	r = dispatch(argc, args);
	pd_strv_free(args);
	return r;
}

static int dispatch(int argc, char **argv)
{
	struct pd_error err = { 0 };
	const struct pd_command *c;
	int r;

	if (argc < 2) /* bare `paude` lists the sessions, as the predecessor's */
		c = pd_command_find("list");
	else
		c = NULL;
	if (c) {
		char list0[] = "list";
		char *list_argv[] = { list0, NULL };

		r = c->fn(1, list_argv, &err);
		if (r >= 0)
			return r;
		print_error(c, &err);
		return err.status > 0 ? err.status : c->failure_status;
	}
	if (pd_is_help_arg(argv[1])) {
		pd_print_main_help();
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("paude %s\n", PAUDE_VERSION);
		return 0;
	}
	if (argv[1][0] == '-') {
		pd_usage_error(&err, "unknown option \"%s\"", argv[1]);
		print_error(NULL, &err);
		return 2;
	}
	c = pd_command_find(argv[1]);
	if (!c) {
		pd_usage_error(&err, "unknown command \"%s\"", argv[1]);
		print_error(NULL, &err);
		return 2;
	}
	if (argc >= 3 && pd_is_help_arg(argv[2])) {
		fputs(c->help, stdout);
		return 0;
	}
	r = c->fn(argc - 1, argv + 1, &err);
	if (r >= 0)
		return r;
	print_error(c, &err);
	if (err.status == PD_STATUS_USAGE)
		return c->usage_status;
	return err.status > 0 ? err.status : c->failure_status;
}
