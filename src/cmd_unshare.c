/* SPDX-License-Identifier: MIT */
/*
 * paude unshare: a command in the user namespace paude's rootless files
 * live in (podman unshare's job).
 *
 * Rootless, the store's layers (and later a session's files) belong to the
 * user's subordinate ids, which the user cannot touch from the host.  This
 * runs a command as root of a new user namespace with the same mapping
 * paude's sandboxes and unpack helpers use, so `paude unshare rm -rf DIR`,
 * `paude unshare ls -ln ...` or a shell work on them.  Nothing else
 * changes: no mount, network or pid namespace, the same environment plus
 * PAUDE_STORAGE (the store's root).  As root there is nothing to enter:
 * the files are the host's own, and paude says so.
 */
#include "cli.h"
#include "idrange.h"
#include "oci/store.h"
#include "common/cleanup.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char help[] =
	"Usage: paude unshare [COMMAND [ARG...]]\n"
	"\n"
	"Run COMMAND (default: $SHELL, else /bin/sh) as root of a user namespace with\n"
	"the mapping paude's rootless sandboxes use: your subordinate ids are ids\n"
	"1-65536 there, so files they own (unpacked layers, a session's files) can be\n"
	"read, changed or removed. PAUDE_STORAGE names the image store. Rootless only:\n"
	"as root paude's files are plain host files.\n"
	"\n"
	"The exit status is COMMAND's (128+N when signal N ended it).\n";

/* The exit status a shell would give for wait status @status. */
static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static int cmd_unshare(int argc, char **argv, struct pd_error *err)
{
	struct pd_idmap_plan ids;
	cleanup_free char *store = NULL;
	const char *shell = getenv("SHELL");
	char *def[] = { (char *)(shell && shell[0] == '/' ? shell : "/bin/sh"), NULL };
	char **cmd = argc > 1 ? argv + 1 : def;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int status = 0, r;

	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--") != 0)
		return pd_usage_error(err, "unshare: unknown option \"%s\"", argv[1]);
	if (argc > 1 && !strcmp(argv[1], "--"))
		cmd = argc > 2 ? argv + 2 : def;
	if (geteuid() == 0)
		return pd_error_set_msg(
			err, EINVAL,
			"unshare is for rootless use: as root, paude's files are the "
			"host's own (run the command directly)");
	if (pd_idmap_decide(&ids, false, err) < 0)
		return -1;
	store = pd_store_default_root();
	if (store && setenv("PAUDE_STORAGE", store, 1) < 0)
		return pd_error_set(err, errno, "unshare: set PAUDE_STORAGE");
	/* As system() does: the terminal's Ctrl-C and Ctrl-\ are the command's. */
	(void)sigaction(SIGINT, &ign, &old_int);
	(void)sigaction(SIGQUIT, &ign, &old_quit);
	r = pd_userns_exec_plan(&ids, cmd, &status, err);
	(void)sigaction(SIGINT, &old_int, NULL);
	(void)sigaction(SIGQUIT, &old_quit, NULL);
	if (r < 0)
		return pd_error_wrap(err, "unshare");
	return exit_status(status);
}

const struct pd_command pd_cmd_unshare = {
	.name = "unshare",
	.summary = "Run a command in the user namespace of paude's rootless files",
	.help = help,
	.failure_status = 125,
	.usage_status = 125,
	.fn = cmd_unshare,
};
