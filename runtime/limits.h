/* SPDX-License-Identifier: MIT */
/*
 * limits.h - --memory, --pids-limit, --cpus and --ulimit.
 *
 * Enforcement, strongest first (docs/LIMITS.md has the table):
 *  - cgroup v2, when /sys/fs/cgroup is unified and our cgroup is delegated
 *    (writable, with the controllers): memory.max, pids.max, cpu.max for the
 *    whole sandbox;
 *  - cgroup v1 controllers (memory, pids, cpu), writable as root on a v1 or
 *    hybrid host: memory.limit_in_bytes (+memsw), pids.max, cfs quota;
 *  - otherwise pids through RLIMIT_NPROC, which the kernel counts per user
 *    in the sandbox's own user namespace (so it caps the sandbox's tasks);
 *    --memory and --cpus have no rlimit that bounds the whole sandbox and
 *    are refused with how to get them.
 * A cgroup is only made when one of those limits is asked for: the default
 * task limit (PD_DEFAULT_PIDS_LIMIT of src/) is always RLIMIT_NPROC, so that
 * a SIGKILLed paude leaves no cgroup behind.
 */
#ifndef PAUDE_LIMITS_H
#define PAUDE_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "runtime.h"

enum pd_limits_mode {
	PD_LIMITS_NONE,
	PD_LIMITS_CGROUP2,
	PD_LIMITS_CGROUP1,
	PD_LIMITS_RLIMIT,
};

#define PD_CGROUP_MAX_DIRS 4

/*
 * Per-user kernel quotas a sandbox could drain from its caller (every user
 * namespace's use is charged to its creator's too): the sandbox's own user
 * namespace gets a quarter of the caller's (/proc/sys/user/max_*), and its
 * command a quarter of the caller's queued signals and message-queue bytes
 * (RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE) unless --ulimit says otherwise.
 */
#define PD_QUOTA_SHARE 4
#define PD_N_QUOTAS 4
extern const char *const pd_quota_names[PD_N_QUOTAS];

/*
 * What pd_cgroup_delegate() changed in a cgroup v2 directory, for
 * pd_cgroup_undelegate() at the end of the run (cgroup.c).
 */
#define PD_CGROUP_MAX_CTL 4
struct pd_cgroup_deleg {
	char *parent; /* the cgroup whose children got the controllers; NULL: none */
	char *leaf;   /* parent/paude-<pid>-<random> this process moved into; NULL: none */
	pid_t pid;    /* the process that moved (the one the undo moves back) */
	char added[PD_CGROUP_MAX_CTL][32]; /* controllers this run enabled in parent */
	size_t n_added;
};

struct pd_limits_plan {
	enum pd_limits_mode mode;
	uint64_t quota[PD_N_QUOTAS];    /* /proc/sys/user/<pd_quota_names[i]>, 0 = leave */
	uint64_t sigpending, msgqueue;  /* rlimits of the command, 0 = leave */
	char *dirs[PD_CGROUP_MAX_DIRS]; /* cgroups made for this sandbox */
	size_t n_dirs;
	uint64_t nproc;               /* rlimit mode: 0 = none */
	struct pd_cgroup_deleg deleg; /* cgroup v2: enabling the controllers */
};

/* pd_limits_setup() - make the cgroup(s) and write the limits (parent, before clone). */
int pd_limits_setup(struct pd_limits_plan *lp, const struct pd_limits *l, struct pd_error *err);

/* pd_limits_apply_quota_rlimits() - the sigpending and msgqueue shares, on this
 * process (init too: a queued signal counts against its receiver's limit). */
int pd_limits_apply_quota_rlimits(const struct pd_limits_plan *lp, struct pd_error *err);

/* pd_limits_write_quotas() - in the sandbox: its user namespace's quotas, through @procfd. */
int pd_limits_write_quotas(const struct pd_limits_plan *lp, int procfd, struct pd_error *err);

/* pd_limits_enter() - move @pid into the sandbox's cgroup(s) (parent, after clone). */
int pd_limits_enter(const struct pd_limits_plan *lp, pid_t pid, struct pd_error *err);

/*
 * pd_limits_apply_rlimits() - in the command: --ulimit, then the rlimit
 * fallbacks.  @extra_tasks: tasks of the same uid already in the sandbox
 * (paude's init when the command runs as root) so RLIMIT_NPROC counts right.
 */
int pd_limits_apply_rlimits(const struct pd_limits_plan *lp, const struct pd_limits *l,
			    uint64_t extra_tasks, struct pd_error *err);

/* pd_limits_cleanup() - remove the cgroups (waits briefly for exiting tasks), then
 * undo what enabling the cgroup v2 controllers changed (pd_cgroup_undelegate()). */
void pd_limits_cleanup(struct pd_limits_plan *lp);

/*
 * Every tmpfs the sandbox can write (the writable layer, /tmp, --tmpfs) is
 * bounded in size and inodes, --memory or not: PD_TMPFS_DEFAULT_DIVISOR-th
 * of RAM and an inode per 16 KiB of that by default; a size asked for
 * (--tmpfs size=) may be larger; --memory caps both (inodes are memory too,
 * about 1 KiB of slab each: at most one per 2 KiB of the limit).
 */
#define PD_TMPFS_DEFAULT_DIVISOR 4
#define PD_TMPFS_BYTES_PER_INODE 16384
struct pd_tmpfs_cap {
	char size[32], inodes[32];
};
/*
 * pd_tmpfs_cap() - the size= and nr_inodes= options of a writable tmpfs,
 * @size and @inodes as asked (0: the defaults), written to @opts (room for
 * 5 entries, NULL-ended).  Return: the number of entries written (4).
 */
size_t pd_tmpfs_cap(const struct pd_limits *l, uint64_t size, uint64_t inodes,
		    struct pd_tmpfs_cap *c, const char **opts);
/* pd_tmpfs_default_size() - the default size of a writable tmpfs, in bytes. */
uint64_t pd_tmpfs_default_size(void);

/* Parsers behind the detection, exposed for tests. */
/* pd_cgroup_self_path() - the path of @controller ("" = v2) in /proc/self/cgroup text. */
int pd_cgroup_self_path(const char *text, size_t len, const char *controller, char *out,
			size_t outsz);

/* cgroup.c: the sandbox's cgroup directory, made under paude's own. */
/* pd_cgroup_dir() - paude's own cgroup directory for @controller ("" = v2). */
int pd_cgroup_dir(const char *controller, char *out, size_t outsz);
/* pd_cgroup_make() - sweep the cgroups of dead paudes, make @parent/@name. NULL+errno. */
char *pd_cgroup_make(const char *parent, const char *name);
int pd_cgroup_write(const char *dir, const char *file, const char *value, struct pd_error *err);
/* pd_cgroup_delegate() - enable @controllers for @dir's children (v2), moving into a
 * leaf of our own if needed; records it in @d.  0, or -1 with @err (undone). */
int pd_cgroup_delegate(const char *dir, const char *const *controllers, size_t n,
		       struct pd_cgroup_deleg *d, struct pd_error *err);
/* pd_cgroup_undelegate() - at the end of the run: leave and remove the leaf, and
 * disable the controllers, when no other run uses them. Frees @d. */
void pd_cgroup_undelegate(struct pd_cgroup_deleg *d);

#endif
