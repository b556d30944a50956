/* SPDX-License-Identifier: MIT */
/*
 * runtime.h - paude's container runtime: the one public header of runtime/.
 *
 * The runtime takes a plain description of a sandbox (root filesystem layers,
 * mounts, process, limits, seccomp program) and runs it confined.  It never
 * knows what an image is: src/ turns an image reference into this spec.
 * See runtime/sandbox.c for the theory of operation.
 */
#ifndef PAUDE_RUNTIME_H
#define PAUDE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum pd_mount_type {
	PD_MOUNT_BIND,   /* a host file or directory (recursive bind) */
	PD_MOUNT_TMPFS,  /* a fresh tmpfs */
};

struct pd_mount {
	enum pd_mount_type type;
	char *source;     /* bind: host path, trusted (the user or src/ chose it) */
	char *dest;       /* absolute path inside the sandbox */
	bool read_only;   /* recursive read-only */
	char *tmpfs_size; /* tmpfs: size in bytes (decimal), or NULL for the default */
	uint64_t tmpfs_inodes; /* tmpfs: nr_inodes, 0 for the default */
	uint32_t tmpfs_mode; /* tmpfs: mode bits, 0 = 01777 */
	bool noexec;      /* tmpfs: noexec */
	bool host_owners; /* bind, root mode: keep the host's owners (unmapped: nobody)
			   * instead of an idmapped mount; for the host's own system
			   * files, which container root must not be seen to own */
};

struct pd_symlink {
	char *target;     /* link contents */
	char *path;       /* absolute path inside the sandbox */
};

/*
 * The root filesystem: an overlay of @lowers (topmost first, host directories)
 * under a per-run writable layer that lives in the sandbox's own mount
 * namespace.  No lowers means an empty root.  @mounts and @links are what the
 * image adds on top (the `host` image binds /usr and friends).
 */
struct pd_rootfs {
	char **lowers;
	size_t n_lowers;
	bool read_only;
	struct pd_mount *mounts;
	size_t n_mounts;
	struct pd_symlink *links;
	size_t n_links;
};

struct pd_rlimit {
	int resource;      /* RLIMIT_* */
	uint64_t soft, hard;
};

struct pd_limits {
	uint64_t memory;        /* bytes; 0 = no limit */
	uint64_t pids;          /* tasks; 0 = no limit */
	bool pids_default;      /* @pids is the default, not asked for: enforced per uid
				 * with RLIMIT_NPROC, so no cgroup is made for it alone */
	uint64_t cpu_quota_us;  /* with cpu_period_us; 0 = no limit */
	uint64_t cpu_period_us;
	struct pd_rlimit *rlimits;  /* --ulimit */
	size_t n_rlimits;
};

/* A compiled seccomp BPF program (struct sock_filter instructions). */
struct pd_seccomp_prog {
	void *insns;
	size_t len;        /* number of instructions */
};

struct pd_sandbox_spec {
	struct pd_rootfs rootfs;
	struct pd_mount *mounts;    /* user volumes and tmpfs, applied in order */
	size_t n_mounts;
	char **argv;                /* argv[0] resolved in the sandbox's PATH */
	char **env;                 /* complete environment, K=V */
	const char *workdir;        /* absolute; created when missing */
	const char *user;           /* NAME|UID[:GROUP|GID]; NULL = root */
	const char *hostname;
	bool tty;                   /* -t: a pty from the sandbox's own devpts */
	bool interactive;           /* -i: stdin reaches the command */
	struct pd_limits limits;
	const struct pd_seccomp_prog *seccomp;  /* required */
};

/*
 * pd_sandbox_run() - run spec->argv confined, wait for it, clean up.
 * @exit_status: the command's status (0-255; 128+N when killed by signal N)
 * Return: 0 when the command ran; -1 with @err set when paude failed (then
 * err->status is 126/127 if exec itself failed, else 0 for "paude's fault").
 */
int pd_sandbox_run(const struct pd_sandbox_spec *spec, int *exit_status, struct pd_error *err);

/* Seccomp (runtime/seccomp.c): the default filter and Docker/OCI JSON profiles. */
int pd_seccomp_default(struct pd_seccomp_prog *out, struct pd_error *err);
int pd_seccomp_from_json(const char *json, size_t len, struct pd_seccomp_prog *out,
			 struct pd_error *err);
void pd_seccomp_prog_release(struct pd_seccomp_prog *prog);

#endif
