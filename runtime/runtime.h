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
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "common/error.h"

enum pd_mount_type {
	PD_MOUNT_BIND,  /* a host file or directory (recursive bind) */
	PD_MOUNT_TMPFS, /* a fresh tmpfs */
};

struct pd_mount {
	enum pd_mount_type type;
	char *source;          /* bind: host path, trusted (the user or src/ chose it) */
	char *dest;            /* absolute path inside the sandbox */
	bool read_only;        /* recursive read-only */
	char *tmpfs_size;      /* tmpfs: size in bytes (decimal), or NULL for the default */
	uint64_t tmpfs_inodes; /* tmpfs: nr_inodes, 0 for the default */
	uint32_t tmpfs_mode;   /* tmpfs: mode bits, 0 = 01777 */
	bool noexec;           /* tmpfs: noexec */
	bool host_owners;      /* bind, root mode: keep the host's owners (unmapped: nobody)
			   * instead of an idmapped mount; for the host's own system
			   * files, which container root must not be seen to own */
};

struct pd_symlink {
	char *target; /* link contents */
	char *path;   /* absolute path inside the sandbox */
};

/*
 * The root filesystem: an overlay of @lowers (topmost first, host directories)
 * under a writable layer: a tmpfs in the sandbox's own mount namespace
 * (nothing survives), or with @layer_dir a host directory whose upper/ and
 * work/ persist from one sandbox to the next.  No lowers means an empty
 * root.  @mounts and @links are what the image adds on top (the `host` image
 * binds /usr and friends).
 */
struct pd_rootfs {
	char **lowers;
	size_t n_lowers;
	const char *layer_dir; /* persistent writable layer, or NULL; made when
				     * missing (0700), upper/ and work/ owned by the
				     * sandbox's root in its own id range */
	bool read_only;
	struct pd_mount *mounts;
	size_t n_mounts;
	struct pd_symlink *links;
	size_t n_links;
};

struct pd_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

struct pd_limits {
	uint64_t memory;       /* bytes; 0 = no limit */
	uint64_t pids;         /* tasks; 0 = no limit */
	bool pids_default;     /* @pids is the default, not asked for: enforced per uid
				 * with RLIMIT_NPROC, so no cgroup is made for it alone */
	uint64_t cpu_quota_us; /* with cpu_period_us; 0 = no limit */
	uint64_t cpu_period_us;
	struct pd_rlimit *rlimits; /* --ulimit */
	size_t n_rlimits;
};

/*
 * The id plan: which host ids the sandbox's user namespace maps (three
 * modes, docs/ISOLATION.md).  The caller decides it (src/idrange.c) and
 * passes it in the spec, so a session decides its mapping once and keeps it.
 *  - root: container ids 0-65535 map onto a dedicated unprivileged range
 *    (the /etc/subuid entry of "paude"); paude writes the maps itself;
 *  - subid: an unprivileged user with a range and newuidmap/newgidmap:
 *    container 0 is the user, 1-65536 the range (as rootless podman); with
 *    keep_id the user is container uid/gid = its own, the range around it;
 *  - single: only container id 0 (the user); setgroups is denied.
 */
#define PD_SUBID_COUNT 65536u
#define PD_SUBID_USER "paude"

enum pd_idmap_mode {
	PD_IDMAP_ROOT,
	PD_IDMAP_SUBID,
	PD_IDMAP_SINGLE,
};

struct pd_idmap_range {
	uint32_t inside, outside, count;
};

struct pd_idmap_plan {
	enum pd_idmap_mode mode;
	struct pd_idmap_range uid[3], gid[3];
	size_t n_uid, n_gid;
	uid_t host_uid;     /* the invoking user */
	char user_name[64]; /* their name, or their uid when it has none */
	gid_t host_gid;
	bool keep_id; /* the user is the container's user of the same uid/gid */
	char newuidmap[256], newgidmap[256];
};

struct pd_subid_range {
	uint32_t start, count;
};

/*
 * pd_subid_find() - the first range of at least @min ids for @user (by name
 * or numeric @uid) in the text of an /etc/subuid-format file.
 * Return: 1 found, 0 none; malformed lines are skipped, as shadow does.
 */
int pd_subid_find(const char *text, size_t len, const char *user, uint32_t uid, uint32_t min,
		  struct pd_subid_range *out);

/*
 * pd_subid_free_start() - the lowest start >= @floor, aligned to @count, whose
 * [start, start+count) overlaps no range in either text.
 * Return: 0 with *start, or -1 (errno ERANGE) when the id space is full.
 */
int pd_subid_free_start(const char *a, size_t alen, const char *b, size_t blen, uint32_t floor,
			uint32_t count, uint32_t *start);

/* pd_idmap_plan_root() - the root-mode plan on the range at @ustart, @gstart. */
void pd_idmap_plan_root(struct pd_idmap_plan *p, uint32_t ustart, uint32_t gstart);

/*
 * pd_idmap_plan_rootless() - the plan of an unprivileged caller: its
 * /etc/subuid range when it has one and newuidmap is there, else a
 * single-id map (said once).  @keep_id: as podman's --userns=keep-id;
 * refused without a range.  Return: 0, or -1 with @err set.
 */
int pd_idmap_plan_rootless(struct pd_idmap_plan *p, bool keep_id, struct pd_error *err);

/* A compiled seccomp BPF program (struct sock_filter instructions). */
struct pd_seccomp_prog {
	void *insns;
	size_t len; /* number of instructions */
};

/*
 * A process to run confined: the sandbox's first command, or one joined to
 * a running sandbox later (pd_sandbox_exec).  Everything it gets is named
 * here; nothing else of the owner's reaches it.
 */
struct pd_process {
	char **argv;         /* argv[0] resolved in the sandbox's PATH */
	char **env;          /* complete environment, K=V */
	const char *workdir; /* absolute; created when missing (first command) */
	const char *user;    /* NAME|UID[:GROUP|GID] of the image's files; NULL = root */
	uint64_t caps;       /* capabilities kept, bit CAP_*; only in the sandbox's
				     * user namespace; 0 = none (the default) */
	const struct pd_seccomp_prog *seccomp; /* required */
	int stdio[3];                          /* the owner's fds it gets as 0-2; -1 = /dev/null;
				     * ignored with @tty */
	bool tty;                              /* a pty of the sandbox's own devpts; the master goes
				     * to the owner (PD_SANDBOX_EV_PTY, or *pty_master) */
	bool have_winsize;
	struct winsize winsize; /* the pty's size */
	sigset_t sigmask;       /* the signal mask it starts with */
};

/* A generated file of /etc: @name has no '/'; mode 0644. */
struct pd_etc_file {
	const char *name;
	const char *data;
};

struct pd_sandbox_spec {
	const struct pd_idmap_plan *ids; /* required: the caller's decision */
	struct pd_rootfs rootfs;
	struct pd_mount *mounts; /* user volumes and tmpfs, applied in order */
	size_t n_mounts;
	const char *hostname;
	const char *resolv_conf;   /* /etc/resolv.conf's text; NULL: "no network" */
	struct pd_limits limits;   /* for the whole sandbox; rlimits for every process */
	struct pd_process process; /* the first command, forked by init */
	bool init_stays;           /* init outlives the first command, until it is
				     * stopped (SIGTERM, SIGINT, SIGHUP) or killed */	/* more files paude generates in the image's /etc (its own replaced, in the
	 * writable layer): /etc/passwd and /etc/group of a session on `host` */
	const struct pd_etc_file *etc_files;
	size_t n_etc_files;
};

/*
 * The life of a sandbox, as crun's create/start/exec/kill/delete.  The
 * runtime changes nothing process-wide: the owner blocks the signals it
 * wants on its loop, ignores SIGPIPE, and decides its own dumpability.
 *
 *   pd_sandbox_create()  clone the sandbox's init into its namespaces, write
 *                        its id maps, join its cgroup, hand it its mounts; it
 *                        waits for GO.  The namespace fds are the owner's from
 *                        here on (the cgroup namespace's arrives after start);
 *   pd_sandbox_start()   GO: the sandbox sets itself up and forks its first
 *                        command;
 *   events               on the sync fd (pd_sandbox_sync_fd): a step's error,
 *                        the first command's pty master, the cgroup namespace,
 *                        end-of-file once the first command is exec'd;
 *                        the sandbox's end on its pidfd (pd_sandbox_pidfd);
 *   pd_sandbox_exec()    run another process in it;
 *   pd_sandbox_kill()    a signal to its init;
 *   pd_sandbox_destroy() kill whatever is left, reap, remove its cgroups,
 *                        close every fd.
 * Whoever creates a sandbox, or runs pd_userns_helper(), must be
 * single-threaded then (docs/HACKING.md), and should have called
 * pd_proctitle_init() at start: init's command line (a copy of the owner's,
 * readable in the sandbox's /proc) is blanked through it.
 */
struct pd_sandbox;

enum pd_sandbox_ns {
	PD_NS_USER,
	PD_NS_MNT,
	PD_NS_PID,
	PD_NS_NET,
	PD_NS_UTS,
	PD_NS_IPC,
	PD_NS_CGROUP,
	PD_NS_COUNT,
};

enum pd_sandbox_event_type {
	PD_SANDBOX_EV_NONE,
	PD_SANDBOX_EV_ERROR,       /* a setup step or the first exec failed: @err */
	PD_SANDBOX_EV_PTY,         /* the first command's pty master: @fd, now the owner's */
	PD_SANDBOX_EV_SYNC_CLOSED, /* the first command was exec'd, or the sandbox is gone */
};

struct pd_sandbox_event {
	enum pd_sandbox_event_type type;
	int fd;
	struct pd_error err;
};

int pd_sandbox_create(const struct pd_sandbox_spec *spec, struct pd_sandbox **out,
		      struct pd_error *err);
int pd_sandbox_start(struct pd_sandbox *sb, struct pd_error *err);
int pd_sandbox_sync_fd(const struct pd_sandbox *sb);
int pd_sandbox_pidfd(const struct pd_sandbox *sb);
/* pd_sandbox_ns_fd() - the owner's fd of one of the sandbox's namespaces, or -1. */
int pd_sandbox_ns_fd(const struct pd_sandbox *sb, enum pd_sandbox_ns ns);
/*
 * pd_sandbox_next_event() - one message from the sandbox, when its sync fd
 * is readable.  Return: 1 with @ev filled, 0 at end-of-file (then the event
 * is PD_SANDBOX_EV_SYNC_CLOSED and the fd stays readable: stop polling it),
 * -1 with @err on a read error.
 */
int pd_sandbox_next_event(struct pd_sandbox *sb, struct pd_sandbox_event *ev, struct pd_error *err);
/*
 * pd_sandbox_reap() - when the pidfd is readable: the sandbox's end.
 * @status: its init's exit status (the first command's: 0-255, 128+N).
 * Return: 1 ended, 0 not yet, -1 with @err.
 */
int pd_sandbox_reap(struct pd_sandbox *sb, int *status, struct pd_error *err);
/* pd_sandbox_kill() - signal the sandbox's init (it forwards to the command). */
int pd_sandbox_kill(struct pd_sandbox *sb, int sig);
/*
 * pd_sandbox_exec() - run @p inside the running sandbox @sb: its namespaces,
 * its cgroup, the same user resolution, capability rule, no_new_privs and
 * @p->seccomp as the first command.  The process is the owner's child.
 * @pid, @pidfd: its pid and a pidfd of it (the owner waits for it);
 * @pty_master: with @p->tty, the pty master (else -1).
 * The sandbox is checked to be the one created (init alive, same namespaces).
 */
int pd_sandbox_exec(struct pd_sandbox *sb, const struct pd_process *p, pid_t *pid, int *pidfd,
		    int *pty_master, struct pd_error *err);
void pd_sandbox_destroy(struct pd_sandbox *sb);

/*
 * pd_layer_remove() - remove a persistent writable layer made for sandboxes
 * of this user (files of the sandbox's subordinate ids included: a helper
 * in a user namespace of the same mapping removes them), leaving nothing.
 */
int pd_layer_remove(const char *layer_dir, const struct pd_idmap_plan *ids, struct pd_error *err);

/*
 * pd_userns_helper() - run @fn(@data, @err) in a short-lived forked helper
 * inside the user namespace @userns_fd (and, when >= 0, the network
 * namespace @netns_fd), with every capability of that user namespace, and
 * wait for it.  What @fn fails with comes back in @err.  Returns @fn's
 * return value (0 or -1), -1 with @err when the helper could not run.
 * The caller must be single-threaded.
 */
int pd_userns_helper(int userns_fd, int netns_fd, int (*fn)(void *data, struct pd_error *err),
		     void *data, struct pd_error *err);

/*
 * pd_userns_helper_plan() - pd_userns_helper() in a new user namespace of
 * the mapping @ids (rootless: the user's own range; what the helper makes
 * is owned as a sandbox of that mapping would see it).  Used to unpack
 * image layers and to remove trees of subordinate ids.
 */
int pd_userns_helper_plan(const struct pd_idmap_plan *ids,
			  int (*fn)(void *data, struct pd_error *err), void *data,
			  struct pd_error *err);

/*
 * pd_userns_exec_plan() - run @argv (PATH searched) as root of a new user
 * namespace of the mapping @ids, with this process's environment, and wait
 * for it: `paude unshare`.  *@status gets its wait status.
 * Return: 0, or -1 with @err set (no namespace, or the command could not be
 * executed: the message names it).
 */
int pd_userns_exec_plan(const struct pd_idmap_plan *ids, char *const argv[], int *status,
			struct pd_error *err);

/* Seccomp (runtime/seccomp.c): the default filter and Docker/OCI JSON profiles. */
int pd_seccomp_default(struct pd_seccomp_prog *out, struct pd_error *err);
int pd_seccomp_from_json(const char *json, size_t len, struct pd_seccomp_prog *out,
			 struct pd_error *err);
void pd_seccomp_prog_release(struct pd_seccomp_prog *prog);

#endif
