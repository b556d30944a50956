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
 *  - otherwise rlimits set in the command: pids through RLIMIT_NPROC, which
 *    the kernel counts per user in the sandbox's own user namespace (so it
 *    caps the sandbox's tasks), memory through RLIMIT_DATA (per process, and
 *    paude says so); --cpus has no rlimit and is refused with how to get it.
 * A cgroup is only made when one of those limits is asked for.
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

struct pd_limits_plan {
	enum pd_limits_mode mode;
	char *dirs[PD_CGROUP_MAX_DIRS];   /* cgroups made for this sandbox */
	size_t n_dirs;
	uint64_t nproc;                   /* rlimit mode: 0 = none */
	uint64_t data;                    /* rlimit mode: 0 = none */
};

/* pd_limits_setup() - make the cgroup(s) and write the limits (parent, before clone). */
int pd_limits_setup(struct pd_limits_plan *lp, const struct pd_limits *l, struct pd_error *err);

/* pd_limits_enter() - move @pid into the sandbox's cgroup(s) (parent, after clone). */
int pd_limits_enter(const struct pd_limits_plan *lp, pid_t pid, struct pd_error *err);

/*
 * pd_limits_apply_rlimits() - in the command: --ulimit, then the rlimit
 * fallbacks.  @extra_tasks: tasks of the same uid already in the sandbox
 * (paude's init when the command runs as root) so RLIMIT_NPROC counts right.
 */
int pd_limits_apply_rlimits(const struct pd_limits_plan *lp, const struct pd_limits *l,
			    uint64_t extra_tasks, struct pd_error *err);

/* pd_limits_cleanup() - remove the cgroups (waits briefly for exiting tasks). */
void pd_limits_cleanup(struct pd_limits_plan *lp);

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

#endif
