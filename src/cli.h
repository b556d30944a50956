/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the table of subcommands.
 *
 * Each subcommand lives in its own src/cmd_*.c and exports one struct
 * pd_command; src/commands.c lists them.  A command's fn returns the process
 * exit status (>= 0), or -1 with err set; main() prints the error and exits
 * with err->status when set, else with the command's failure status.
 * A usage error sets err->status to PD_STATUS_USAGE: main adds the
 * "Try 'paude CMD --help'" hint and exits with the command's usage status
 * (125 for run and exec, as podman; 2 for every other command).
 */
#ifndef PAUDE_CLI_H
#define PAUDE_CLI_H

#include "common/error.h"

#define PD_STATUS_USAGE (-2)

struct pd_command {
	const char *name;
	const char *summary; /* one line for `paude --help`; NULL: not listed */
	const char *help;    /* full text for `paude help CMD` */
	int failure_status;  /* exit status when paude itself fails */
	int usage_status;    /* exit status for a usage error */
	int (*fn)(int argc, char **argv, struct pd_error *err);
};

extern const struct pd_command pd_cmd_run;
extern const struct pd_command pd_cmd_create;
extern const struct pd_command pd_cmd_start;
extern const struct pd_command pd_cmd_stop;
extern const struct pd_command pd_cmd_connect;
extern const struct pd_command pd_cmd_list;
extern const struct pd_command pd_cmd_delete;
extern const struct pd_command pd_cmd_exec;
extern const struct pd_command pd_cmd_remote;
extern const struct pd_command pd_cmd_cp;
extern const struct pd_command pd_cmd_allowed_domains;
extern const struct pd_command pd_cmd_blocked_domains;
extern const struct pd_command pd_cmd_logs;
extern const struct pd_command pd_cmd_status;
extern const struct pd_command pd_cmd_supervise;
extern const struct pd_command pd_cmd_proxy;
extern const struct pd_command pd_cmd_unshare;
extern const struct pd_command pd_cmd_system;
extern const struct pd_command pd_cmd_pull;
extern const struct pd_command pd_cmd_images;
extern const struct pd_command pd_cmd_image;
extern const struct pd_command pd_cmd_inspect;
extern const struct pd_command pd_cmd_rmi;
extern const struct pd_command pd_cmd_save;
extern const struct pd_command pd_cmd_push;
extern const struct pd_command pd_cmd_login;
extern const struct pd_command pd_cmd_logout;
extern const struct pd_command pd_cmd_help;
extern const struct pd_command pd_cmd_version;

/* NULL-terminated, in the order `paude --help` lists them. */
extern const struct pd_command *const pd_commands[];

const struct pd_command *pd_command_find(const char *name);

/* pd_usage_error() - a one-line usage error. Return: -1 */
int pd_usage_error(struct pd_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* pd_print_main_help() - `paude --help`. */
void pd_print_main_help(void);

/* pd_selfcheck() - refuse a setuid, setgid or file-capability paude (selfcheck.c). */
int pd_selfcheck(struct pd_error *err);

/* pd_is_help_arg() - "-h" or "--help". */
int pd_is_help_arg(const char *s);

#endif
