/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c - paude run [OPTIONS] IMAGE [COMMAND [ARG...]]
 *
 * Options -> image -> sandbox spec -> runtime.  Exit status as podman's:
 * the command's own, 125 when paude fails (usage errors included), 126 when
 * the command cannot be executed, 127 when it is not found, 128+N when it
 * was killed by signal N.
 */
#include "cli.h"
#include "image.h"
#include "run_options.h"
#include "run_net.h"
#include "run_owner.h"
#include "idrange.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#define SECCOMP_PROFILE_MAX (4u << 20)

static const char run_help[] =
	"Usage: paude run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	"\n"
	"Run COMMAND confined: its own user, mount, pid, network, uts, ipc and cgroup\n"
	"namespaces, no capabilities, no_new_privs, a seccomp filter, and a root\n"
	"filesystem whose writes vanish when it exits.\n"
	"\n"
	"IMAGE:\n"
	"  dir:PATH                  a root filesystem directory (never modified)\n"
	"  host                      the host's /usr and a safe part of /etc, read-only\n"
	"  REF, docker://REF         an image of the store, pulled when missing\n"
	"                            (127.0.0.1:5000/x, quay.io/org/img:tag, alpine, ...)\n"
	"\n"
	"Options:\n"
	"  -e, --env K=V|K           set a variable (K alone: the host's value)\n"
	"      --env-file FILE       read K=V lines from FILE\n"
	"  -w, --workdir DIR         working directory (absolute; created if missing)\n"
	"  -u, --user NAME|UID[:GROUP|GID]\n"
	"                            run as this user of the image's /etc/passwd\n"
	"  -v, --volume SRC:DST[:ro] bind the host path SRC at DST\n"
	"      --tmpfs DST[:OPTS]    a tmpfs at DST (size=, nr_inodes=, mode=, ro, exec;\n"
	"                            default size a quarter of RAM)\n"
	"      --hostname NAME       host name inside\n"
	"      --read-only           make the root filesystem read-only\n"
	"  -t, --tty                 give the command a terminal\n"
	"  -i, --interactive         pass stdin to the command\n"
	"      --cpus N              CPU time, e.g. 1.5 (needs a writable cgroup)\n"
	"      --memory SIZE         memory limit, e.g. 512m (needs a writable cgroup)\n"
	"      --pids-limit N        at most N processes and threads (default 2048;\n"
	"                            -1 or 0: no limit)\n"
	"      --ulimit NAME=SOFT[:HARD]\n"
	"                            an rlimit (nofile, nproc, core, stack, ...)\n"
	"      --network proxy|none  proxy (default): paude's allowlist proxy is the only\n"
	"                            way out; none: loopback only\n"
	"      --allowed-domains D   allow a host, .domain, HOST:PORT, IP, CIDR, ~regex or\n"
	"                            group (default: claude, vertexai, pypi, github;\n"
	"                            also python, golang, nodejs, rust, all); repeatable\n"
	"      --resolve HOST:ADDR   pin HOST to ADDR (also the only way to a private one)\n"
	"      --audit-log FILE      log every network decision there as JSON lines\n"
	"      --userns=keep-id      rootless: you are the command's user (your uid and\n"
	"                            gid), the subuid range maps around you\n"
	"      --cap-add CAP         keep CAP (one of podman's defaults: CHOWN, SETUID,\n"
	"                            DAC_OVERRIDE, ...) in the sandbox's user namespace\n"
	"      --entrypoint CMD      replace the image's entrypoint ('' clears it)\n"
	"      --pull POLICY         missing (default), always, never, newer\n"
	"      --platform OS/ARCH    the image's platform (default: the host's)\n"
	"      --tls-verify=false    allow plain HTTP and unverified TLS to the registry\n"
	"      --seccomp-profile FILE\n"
	"                            a Docker/OCI JSON seccomp profile instead of paude's\n"
	"  -h, --help                this help\n"
	"\n"
	"Exit status: the command's; 125 paude failed; 126 not executable;\n"
	"127 not found; 128+N killed by signal N.\n";

static int load_seccomp(const char *path, struct pd_seccomp_prog *prog, struct pd_error *err)
{
	cleanup_free char *json = NULL;
	size_t len = 0;

	if (!path)
		return pd_seccomp_default(prog, err);
	if (pd_read_user_file(path, SECCOMP_PROFILE_MAX, &json, &len, err) < 0)
		return pd_error_wrap(err, "--seccomp-profile");
	if (pd_seccomp_from_json(json, len, prog, err) < 0)
		return pd_error_wrap(err, "--seccomp-profile \"%s\"", path);
	return 0;
}

/* The command: the user's, else the image's entrypoint + cmd. */
static char **command_argv(const struct pd_run_options *o, const struct pd_image *img)
{
	char **argv = NULL;

	if (o->entrypoint) {
		/* podman: --entrypoint replaces the image's, and its Cmd goes too */
		if (o->entrypoint[0])
			pd_strv_push(&argv, o->entrypoint);
		for (char **p = o->command; p && *p; p++)
			pd_strv_push(&argv, *p);
		return argv;
	}
	for (char **p = img->entrypoint; p && *p; p++)
		pd_strv_push(&argv, *p);
	if (o->command && o->command[0]) {
		for (char **p = o->command; *p; p++)
			pd_strv_push(&argv, *p);
	} else {
		for (char **p = img->cmd; p && *p; p++)
			pd_strv_push(&argv, *p);
	}
	return argv;
}

static int cmd_run(int argc, char **argv, struct pd_error *err)
{
	struct pd_run_options o;
	struct pd_image img = { 0 };
	struct pd_seccomp_prog prog = { 0 };
	struct pd_sandbox_spec spec = { 0 };
	struct pd_idmap_plan ids;
	struct pd_image_opts iopts = { .pull = PD_PULL_MISSING, .tls_verify = true };
	char keep_user[32];
	cleanup_strv char **cmd = NULL;
	cleanup_strv char **env = NULL;
	char hostname[32] = "paude-";
	int status = 125, r = -1;
	struct pd_run_net *net = NULL;
	struct pd_run_hooks hooks = { 0 };

	if (pd_run_options_parse(argc, argv, environ, &o, err) < 0) {
		pd_run_options_release(&o);
		return -1;
	}
	if (o.help) {
		fputs(run_help, stdout);
		pd_run_options_release(&o);
		return 0;
	}
	if (pd_idmap_decide(&ids, o.keep_id, err) < 0)
		goto out;
	iopts.tls_verify = o.tls_verify;
	iopts.platform = o.platform;
	iopts.ids = &ids;
	if (o.pull)
		(void)pd_parse_pull_policy(o.pull, &iopts.pull);
	if (o.keep_id && strcmp(o.image, "host") != 0 && !pd_str_has_prefix(o.image, "dir:")) {
		pd_error_set_msg(
			err, EINVAL,
			"--userns=keep-id works with dir: and host images only (an image's "
			"layers are stored for one mapping)");
		err->status = PD_STATUS_USAGE;
		goto out;
	}
	if (pd_image_resolve(o.image, &iopts, &img, err) < 0)
		goto out;
	cmd = command_argv(&o, &img);
	if (!cmd) {
		pd_error_set_msg(err, EINVAL, "no command given and image \"%s\" has none",
				 o.image);
		goto out;
	}
	env = pd_strv_dup(img.env);
	pd_env_merge(&env, o.env, pd_strv_len(o.env));
	if (load_seccomp(o.seccomp_profile, &prog, err) < 0)
		goto out;
	pd_random_hex(hostname + 6, 6);
	if (!strcmp(o.network, "proxy")) {
		struct pd_run_net_opts no = {
			.allowed_domains = o.allowed_domains,
			.resolve = o.resolve,
			.audit_log = o.audit_log,
			.sandbox = o.hostname ? o.hostname : hostname,
		};

		net = pd_run_net_new(&no, err);
		if (!net)
			goto out;
	}

	spec.ids = &ids;
	spec.rootfs = img.rootfs;
	spec.rootfs.read_only = o.read_only;
	spec.mounts = o.mounts;
	spec.n_mounts = o.n_mounts;
	spec.hostname = o.hostname ? o.hostname : hostname;
	spec.limits = o.limits;
	/* RLIMIT_NPROC counts per uid: a command that may change its uid gets
	 * the default task limit from a cgroup where there is one. */
	if (o.caps & ((1ULL << CAP_SETUID) | (1ULL << CAP_SETGID)))
		spec.limits.pids_default = false;
	spec.process.argv = cmd;
	spec.process.env = env;
	spec.process.workdir = o.workdir ? o.workdir : img.workdir;
	spec.process.user = o.user ? o.user : img.user;
	if (o.keep_id && !o.user) {
		/* keep-id: the command is the invoking user, by number. */
		snprintf(keep_user, sizeof(keep_user), "%u:%u", (unsigned)ids.host_uid,
			 (unsigned)ids.host_gid);
		spec.process.user = keep_user;
	}
	spec.process.caps = o.caps;
	spec.process.tty = o.tty;
	spec.process.seccomp = &prog;
	if (net) {
		pd_run_net_env(net, &env);
		pd_env_merge(&env, o.env, pd_strv_len(o.env)); /* -e wins, as in podman */
		spec.process.env = env;
		spec.resolv_conf = pd_run_net_resolv_conf(net);
		pd_run_net_hooks(net, &hooks);
	}
	r = pd_run_owned(&spec, o.interactive, net ? &hooks : NULL, &status, err);
out:
	pd_run_net_free(net);
	pd_seccomp_prog_release(&prog);
	pd_image_release(&img);
	pd_run_options_release(&o);
	return r < 0 ? -1 : status;
}

const struct pd_command pd_cmd_run = {
	.name = "run",
	.summary = "Run a command in a new sandbox",
	.help = run_help,
	.failure_status = 125,
	.usage_status = 125,
	.fn = cmd_run,
};
