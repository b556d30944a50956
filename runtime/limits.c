/* SPDX-License-Identifier: MIT */
/*
 * limits.c - choose how each limit is enforced and enforce it (limits.h).
 *
 * On cgroup v2 paude may have to move itself into a leaf cgroup of its own
 * to hand the controllers to the sandbox's (cgroup.c explains why); that is
 * recorded in the plan (lp->deleg), and pd_limits_cleanup(), which every
 * owner of a sandbox reaches through pd_sandbox_destroy(), undoes it after
 * removing the sandbox's cgroup: paude moves back and the leaf goes.
 */
#include "limits.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

static bool wants_cgroup(const struct pd_limits *l)
{
	return l->memory || (l->pids && !l->pids_default) || l->cpu_quota_us;
}

/*
 * cgroup v2: our cgroup is delegated when it can hand the controllers to a
 * child (pd_cgroup_delegate(), which may move paude into a leaf of its own;
 * pd_limits_cleanup() undoes that once the sandbox's cgroup is gone).
 */
static int setup_v2(struct pd_limits_plan *lp, const struct pd_limits *l, const char *name,
		    struct pd_error *err)
{
	char dir[2048], v[64];
	const char *need[3];
	size_t n_need = 0;
	struct pd_error ignore;

	if (pd_cgroup_dir("", dir, sizeof(dir)) < 0)
		return 0;
	if (l->memory)
		need[n_need++] = "memory";
	if (l->pids && !l->pids_default)
		need[n_need++] = "pids";
	if (l->cpu_quota_us)
		need[n_need++] = "cpu";
	/* Not delegated: the next mode (a leaf it could not leave stays in
	 * lp->deleg for pd_limits_cleanup()). */
	if (pd_cgroup_delegate(dir, need, n_need, &lp->deleg, &ignore) < 0)
		return 0;
	lp->dirs[0] = pd_cgroup_make(dir, name);
	if (!lp->dirs[0]) {
		pd_cgroup_undelegate(&lp->deleg);
		return 0;
	}
	lp->n_dirs = 1;
	lp->mode = PD_LIMITS_CGROUP2;
	if (l->memory) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory);
		if (pd_cgroup_write(lp->dirs[0], "memory.max", v, err) < 0)
			return -1;
		(void)pd_cgroup_write(lp->dirs[0], "memory.swap.max", "0", &ignore);
	}
	if (l->pids && !l->pids_default) {
		/* +1: paude's init is in the cgroup and is not the command's. */
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->pids + 1);
		if (pd_cgroup_write(lp->dirs[0], "pids.max", v, err) < 0)
			return -1;
	}
	if (l->cpu_quota_us) {
		snprintf(v, sizeof(v), "%llu %llu", (unsigned long long)l->cpu_quota_us,
			 (unsigned long long)l->cpu_period_us);
		if (pd_cgroup_write(lp->dirs[0], "cpu.max", v, err) < 0)
			return -1;
	}
	return 1;
}

/* Make the v1 cgroup for @controller; 0 when that hierarchy is not writable. */
static int v1_dir(struct pd_limits_plan *lp, const char *controller, const char *name, char **out)
{
	char dir[2048];
	char *p;

	if (pd_cgroup_dir(controller, dir, sizeof(dir)) < 0)
		return 0;
	p = pd_cgroup_make(dir, name);
	if (!p)
		return 0;
	lp->dirs[lp->n_dirs++] = p;
	*out = p;
	return 1;
}

static int setup_v1(struct pd_limits_plan *lp, const struct pd_limits *l, const char *name,
		    struct pd_error *err)
{
	char *mem = NULL, *pids = NULL, *cpu = NULL;
	char v[64];
	struct pd_error ignore;

	if ((l->memory && !v1_dir(lp, "memory", name, &mem)) ||
	    (l->pids && !l->pids_default && !v1_dir(lp, "pids", name, &pids)) ||
	    (l->cpu_quota_us && !v1_dir(lp, "cpu", name, &cpu))) {
		pd_limits_cleanup(lp);
		return 0;
	}
	lp->mode = PD_LIMITS_CGROUP1;
	if (mem) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory);
		if (pd_cgroup_write(mem, "memory.limit_in_bytes", v, err) < 0)
			return -1;
		/* No swapping past the limit where swap accounting exists. */
		(void)pd_cgroup_write(mem, "memory.memsw.limit_in_bytes", v, &ignore);
	}
	if (pids) {
		/* +1: paude's init is in the cgroup and is not the command's. */
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->pids + 1);
		if (pd_cgroup_write(pids, "pids.max", v, err) < 0)
			return -1;
	}
	if (cpu) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->cpu_period_us);
		if (pd_cgroup_write(cpu, "cpu.cfs_period_us", v, err) < 0)
			return -1;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->cpu_quota_us);
		if (pd_cgroup_write(cpu, "cpu.cfs_quota_us", v, err) < 0)
			return -1;
	}
	return 1;
}

const char *const pd_quota_names[PD_N_QUOTAS] = {
	"max_inotify_instances",
	"max_inotify_watches",
	"max_fanotify_groups",
	"max_fanotify_marks",
};

/* A quarter of the caller's quotas and rlimits (at least 1 of each). */
static void plan_quotas(struct pd_limits_plan *lp, const struct pd_limits *l)
{
	struct rlimit rl;
	bool sigpending = true, msgqueue = true;

	for (size_t i = 0; i < PD_N_QUOTAS; i++) {
		char path[96], buf[32];
		cleanup_close int fd = -1;
		uint64_t v;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/sys/user/%s", pd_quota_names[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			continue; /* a kernel without that quota */
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (pd_parse_u64(buf, INT32_MAX, &v) == 0)
			lp->quota[i] = v / PD_QUOTA_SHARE ? v / PD_QUOTA_SHARE : 1;
	}
	for (size_t i = 0; i < l->n_rlimits; i++) {
		sigpending &= l->rlimits[i].resource != RLIMIT_SIGPENDING;
		msgqueue &= l->rlimits[i].resource != RLIMIT_MSGQUEUE;
	}
	if (sigpending && getrlimit(RLIMIT_SIGPENDING, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		lp->sigpending = rl.rlim_cur / PD_QUOTA_SHARE ? rl.rlim_cur / PD_QUOTA_SHARE : 1;
	if (msgqueue && getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		lp->msgqueue = rl.rlim_cur / PD_QUOTA_SHARE;
}

int pd_limits_write_quotas(const struct pd_limits_plan *lp, int procfd, struct pd_error *err)
{
	for (size_t i = 0; i < PD_N_QUOTAS; i++) {
		char rel[96], v[32];
		cleanup_close int fd = -1;
		int len;

		if (!lp->quota[i])
			continue;
		snprintf(rel, sizeof(rel), "sys/user/%s", pd_quota_names[i]);
		fd = pd_openat2(procfd, rel, O_WRONLY | O_CLOEXEC, 0,
				RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
		if (fd < 0)
			return pd_error_set(err, errno, "quota \"/proc/%s\"", rel);
		len = snprintf(v, sizeof(v), "%llu", (unsigned long long)lp->quota[i]);
		if (write(fd, v, (size_t)len) != len)
			return pd_error_set(err, errno, "quota \"/proc/%s\": write %s", rel, v);
	}
	return 0;
}

int pd_limits_setup(struct pd_limits_plan *lp, const struct pd_limits *l, struct pd_error *err)
{
	char name[48], rnd[13];
	int r;

	memset(lp, 0, sizeof(*lp));
	plan_quotas(lp, l);
	/* The default task limit: RLIMIT_NPROC, counted per uid in the
	 * sandbox's own user namespace; nothing to leave behind on the host. */
	if (l->pids_default)
		lp->nproc = l->pids;
	if (!wants_cgroup(l))
		return 0;
	/* paude-<pid>-<random>: the pid tells a later sweep whether it is stale. */
	pd_random_hex(rnd, 6);
	snprintf(name, sizeof(name), "paude-%ld-%s", (long)getpid(), rnd);
	r = setup_v2(lp, l, name, err);
	if (r == 0)
		r = setup_v1(lp, l, name, err);
	if (r < 0) {
		pd_limits_cleanup(lp);
		return pd_error_wrap(err, "limits");
	}
	if (r > 0)
		return 0;
	/* No writable cgroup: rlimits where one exists. */
	if (l->cpu_quota_us)
		return pd_error_set_msg(
			err, EPERM,
			"--cpus needs a writable cgroup and none is available "
			"here (run as root, or on a cgroup v2 host with a delegated cgroup, "
			"e.g. systemd-run --user --scope -p Delegate=yes paude run ...)");
	/* An rlimit bounds each process, not the sandbox: a shared mapping or
	 * a memfd walks past it.  Refused, as --cpus. */
	if (l->memory)
		return pd_error_set_msg(
			err, EPERM,
			"--memory needs a writable cgroup and none is "
			"available here: without one it would bound each process, not "
			"the sandbox (run as root, or on a cgroup v2 host with a delegated "
			"cgroup, e.g. systemd-run --user --scope -p Delegate=yes paude "
			"run ...)");
	lp->mode = PD_LIMITS_RLIMIT;
	lp->nproc = l->pids; /* asked for, or the default */
	return 0;
}

int pd_limits_enter(const struct pd_limits_plan *lp, pid_t pid, struct pd_error *err)
{
	char v[32];

	snprintf(v, sizeof(v), "%ld", (long)pid);
	for (size_t i = 0; i < lp->n_dirs; i++)
		if (pd_cgroup_write(lp->dirs[i], "cgroup.procs", v, err) < 0)
			return -1;
	return 0;
}

static int set_rlimit(int res, uint64_t soft, uint64_t hard, const char *what, struct pd_error *err)
{
	struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };
	struct rlimit cur;

	if (setrlimit(res, &rl) == 0)
		return 0;
	if (errno == EPERM && getrlimit(res, &cur) == 0 && hard > cur.rlim_max)
		return pd_error_set(err, EPERM,
				    "%s: hard limit %llu is above this host's %llu "
				    "(raising a hard limit needs CAP_SYS_RESOURCE)",
				    what, (unsigned long long)hard,
				    (unsigned long long)cur.rlim_max);
	return pd_error_set(err, errno, "%s: setrlimit", what);
}

int pd_limits_apply_quota_rlimits(const struct pd_limits_plan *lp, struct pd_error *err)
{
	if (lp->sigpending && set_rlimit(RLIMIT_SIGPENDING, lp->sigpending, lp->sigpending,
					 "queued signals", err) < 0)
		return -1;
	if (lp->msgqueue &&
	    set_rlimit(RLIMIT_MSGQUEUE, lp->msgqueue, lp->msgqueue, "message queues", err) < 0)
		return -1;
	return 0;
}

int pd_limits_apply_rlimits(const struct pd_limits_plan *lp, const struct pd_limits *l,
			    uint64_t extra_tasks, struct pd_error *err)
{
	for (size_t i = 0; i < l->n_rlimits; i++) {
		const struct pd_rlimit *r = &l->rlimits[i];

		if (set_rlimit(r->resource, r->soft, r->hard, "--ulimit", err) < 0)
			return -1;
	}
	if (pd_limits_apply_quota_rlimits(lp, err) < 0)
		return -1;
	if (lp->nproc) {
		uint64_t n = lp->nproc + extra_tasks;

		if (set_rlimit(RLIMIT_NPROC, n, n, "--pids-limit", err) < 0)
			return -1;
	}
	return 0;
}

uint64_t pd_tmpfs_default_size(void)
{
	struct sysinfo si;
	uint64_t ram;

	if (sysinfo(&si) < 0 || si.totalram == 0)
		return 1ULL << 30; /* cannot happen on Linux; a modest 1 GiB then */
	ram = (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1);
	/* Whole MiB: tmpfs rounds a size up to pages, never past the share. */
	return (ram / PD_TMPFS_DEFAULT_DIVISOR) & ~((1ULL << 20) - 1);
}

size_t pd_tmpfs_cap(const struct pd_limits *l, uint64_t size, uint64_t inodes,
		    struct pd_tmpfs_cap *c, const char **opts)
{
	if (!size)
		size = pd_tmpfs_default_size();
	if (l->memory && size > l->memory)
		size = l->memory;
	if (!inodes) {
		inodes = size / PD_TMPFS_BYTES_PER_INODE;
		if (inodes > 1u << 20)
			inodes = 1u << 20;
		if (inodes < 1024)
			inodes = 1024;
	}
	if (l->memory && inodes > l->memory / 2048)
		inodes = l->memory / 2048 < 1024 ? 1024 : l->memory / 2048;
	snprintf(c->size, sizeof(c->size), "%llu", (unsigned long long)size);
	snprintf(c->inodes, sizeof(c->inodes), "%llu", (unsigned long long)inodes);
	opts[0] = "size";
	opts[1] = c->size;
	opts[2] = "nr_inodes";
	opts[3] = c->inodes;
	opts[4] = NULL;
	return 4;
}

void pd_limits_cleanup(struct pd_limits_plan *lp)
{
	for (size_t i = 0; i < lp->n_dirs; i++) {
		/* Tasks of a sandbox that just died may take a moment to leave. */
		for (int tries = 0; tries < 200; tries++) {
			if (rmdir(lp->dirs[i]) == 0 || errno != EBUSY)
				break;
			nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
		}
		free(lp->dirs[i]);
		lp->dirs[i] = NULL;
	}
	lp->n_dirs = 0;
	/* Only now: our leaf is its parent's last child once the sandbox's is gone. */
	pd_cgroup_undelegate(&lp->deleg);
}
