/* SPDX-License-Identifier: MIT */
/*
 * cmd_exec.c - paude exec [-i] [-t] [-u USER] [-w DIR] [-e K=V] [--cap-add CAP]
 * NAME [--] CMD...: a command in a running session, with exactly its agent's
 * confinement, asked of the session's supervisor (session_exec.c).  Exit
 * status as podman's: the command's, 125 paude failed, 126/127.
 */
#include "cli.h"
#include "run_options.h"
#include "session.h"
#include "session_exec.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"Usage: paude exec [OPTIONS] NAME [--] COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND in the running session NAME, confined as its agent is.\n"
	"\n"
	"Options:\n"
	"  -i, --interactive         pass stdin to the command\n"
	"  -t, --tty                 give the command a terminal\n"
	"  -u, --user NAME|UID[:GROUP|GID]\n"
	"                            run as this user (default: the agent's)\n"
	"  -w, --workdir DIR         working directory (default /pvc/workspace)\n"
	"  -e, --env K=V|K           set a variable (K alone: the host's value)\n"
	"      --cap-add CAP         keep CAP (one of podman's defaults)\n"
	"      --github-token T      GH_TOKEN for this command only (else\n"
	"                            $PAUDE_GITHUB_TOKEN)\n"
	"  -h, --help                this help\n"
	"\n"
	"Exit status: the command's; 125 paude failed; 126 not executable;\n"
	"127 not found.\n";

enum { OPT_CAP = 256, OPT_TOKEN };

static int cmd_exec(int argc, char **argv, struct pd_error *err)
{
	static const struct option longs[] = {
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "cap-add", required_argument, NULL, OPT_CAP },
		{ "github-token", required_argument, NULL, OPT_TOKEN },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct pd_exec_req q = { 0 };
	struct pd_session_paths p;
	cleanup_strv char **env = NULL;
	uint64_t caps = 0;
	const char *token = NULL;
	int c, status = 125;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+itu:w:e:h", longs, NULL)) != -1) {
		switch (c) {
		case 'i':
			q.interactive = true;
			break;
		case 't':
			q.tty = true;
			break;
		case 'u':
			if (pd_check_user_spec(optarg, err) < 0)
				return -1;
			q.user = optarg;
			break;
		case 'w':
			if (optarg[0] != '/')
				return pd_usage_error(err, "exec: --workdir must be absolute");
			q.workdir = optarg;
			break;
		case 'e':
			if (pd_parse_env_arg(optarg, environ, &env, err) < 0)
				return -1;
			break;
		case OPT_CAP:
			if (pd_parse_cap_add(optarg, &caps, err) < 0)
				return -1;
			break;
		case OPT_TOKEN:
			token = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		default:
			return pd_usage_error(err, "exec: unknown or incomplete option \"%s\"",
					      argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return pd_usage_error(err, "exec: NAME and COMMAND are required");
	if (pd_session_name_check(argv[optind], "/", err) < 0) {
		err->status = PD_STATUS_USAGE;
		return -1;
	}
	if (pd_session_paths(argv[optind], &p, err) < 0)
		return -1;
	optind++;
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		return pd_usage_error(err, "exec: COMMAND is required");
	/* GH_TOKEN for this process only: --github-token, else $PAUDE_GITHUB_TOKEN */
	if (!token) {
		const char *t = getenv("PAUDE_GITHUB_TOKEN");

		token = t && *t ? t : NULL;
	}
	if (token)
		pd_strv_push_take(&env, pd_xasprintf("GH_TOKEN=%s", token));
	q.argv = (const char *const *)(argv + optind);
	q.env = env;
	q.caps = caps;
	if (pd_session_exec(&p, &q, &status, err) < 0) {
		if (!err->status || err->status == 1)
			err->status = 125;
		return -1;
	}
	return status;
}

const struct pd_command pd_cmd_exec = {
	.name = "exec",
	.summary = "Run a command in a running session",
	.help = help,
	.failure_status = 125,
	.usage_status = 125,
	.fn = cmd_exec,
};
