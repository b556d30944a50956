/* SPDX-License-Identifier: MIT */
/*
 * sandbox.h - state shared by the steps of one sandbox run (runtime-internal).
 */
#ifndef PAUDE_SANDBOX_H
#define PAUDE_SANDBOX_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "runtime.h"
#include "idmap.h"
#include "limits.h"
#include "user.h"

struct pd_source {
	bool used;   /* a bind source (not a tmpfs slot) */
	bool is_dir; /* a directory (else a regular file) */
	int host_fd; /* O_PATH, opened by paude on the host */
	dev_t dev;   /* ... and what it was */
	ino_t ino;
	int mnt_fd; /* in the sandbox: the mount paude sent, or -1 */
};

/* The bind sources of a sandbox (sources.c), numbered by pd_source_index(). */
struct pd_sources {
	const struct pd_sandbox_spec *spec;
	const char *layer_path; /* the persistent layer's layer/, or NULL */
	struct pd_source *src;
	size_t n;
};

/*
 * The new root while the steps inside the sandbox build it: rootfs.c makes
 * it, dev.c, kernfs.c, etcfiles.c and mounts.c add to it, and
 * pd_rootfs_pivot() consumes it.
 */
struct pd_root {
	int root_fd;       /* O_PATH of the new root */
	int stage_fd;      /* the staging tmpfs it sits in */
	bool read_only;    /* it goes read-only at the pivot */
	bool etc_written;  /* the generated /etc files are in its writable layer */
	bool workdir_made; /* paude made the working directory (it goes to the user) */
};

/* Mounts placed so far (mounts.c): a destination's base for resolution. */
struct pd_placed {
	char dest[4096];
	int fd;
};

struct pd_placement {
	struct pd_placed *p;
	size_t n;
};

/*
 * The owner's handle of one sandbox (sandbox.c).  The steps inside the
 * sandbox get from it only what sandbox_setup() hands each of them.
 */
struct pd_sandbox {
	const struct pd_sandbox_spec *spec; /* the owner's, valid until destroy */
	struct pd_idmap_plan ids;
	struct pd_limits_plan limits;
	bool root_read_only; /* --read-only, or a rootless root we do not own */
	int sync;            /* this side's end of the sync socket */
	struct pd_sources sources;
	char *layer_path; /* the persistent layer's layer/ (upper/, work/) */

	/* The owner's view: init, its namespaces, how far it got. */
	pid_t pid;
	int pidfd;
	int ns[PD_NS_COUNT];
	bool started, reaped;
};

/* What a confined process needs besides its description (process.c). */
struct pd_process_ctx {
	const struct pd_user *user; /* resolved in the sandbox's own files */
	bool may_setgroups;         /* false in a single-id map */
	const struct pd_limits_plan *lp;
	const struct pd_limits *limits;
	uint64_t extra_tasks; /* tasks of uid 0 already there (init) */
	const char *hostname; /* for $HOSTNAME */
	int report_fd;        /* errors and the pty master go here */
};

/* process.c: a confined process, from fork to execve. Never returns. */
_Noreturn void pd_process_exec(const struct pd_process *p, const struct pd_process_ctx *ctx);

/* pd_user_for() - resolve @spec (NULL: root) in the root @rootfd and check
 * it is mapped by @ids (sandbox.c). */
int pd_user_for(int rootfd, const char *spec, const struct pd_idmap_plan *ids, struct pd_user *u,
		struct pd_error *err);

/*
 * Bind sources are numbered: the rootfs lowers, then the image's mounts,
 * then the user's mounts, then the persistent writable layer (if any).
 * Non-bind slots are simply unused.
 */
size_t pd_source_count(const struct pd_sandbox_spec *spec);
size_t pd_source_index(const struct pd_sandbox_spec *spec, int list, size_t i);
enum { PD_SRC_LOWER, PD_SRC_IMAGE, PD_SRC_USER, PD_SRC_LAYER };

/*
 * rootfs.c: the overlay root in a staging tmpfs (@root: read_only in; the
 * fds and etc_written out), then pivot_root into it (consumes @root).
 */
int pd_rootfs_build(const struct pd_sandbox_spec *spec, enum pd_idmap_mode mode,
		    struct pd_sources *sources, struct pd_root *root, struct pd_error *err);
int pd_rootfs_pivot(struct pd_root *root, struct pd_error *err);
/* sources.c: the host paths a sandbox gets, opened once by paude. */
int pd_sources_open(struct pd_sources *ss, const struct pd_sandbox_spec *spec,
		    const char *layer_path, struct pd_error *err);
/* pd_sources_send_idmapped() - root mode: each source idmapped to init @pid's userns, over @sync. */
int pd_sources_send_idmapped(const struct pd_sources *ss, int sync, pid_t pid,
			     struct pd_error *err);
void pd_sources_close_host(struct pd_sources *ss);
void pd_sources_release(struct pd_sources *ss);
/* pd_source_received() - in the sandbox: keep the mount paude sent for @idx. */
void pd_source_received(struct pd_sources *ss, size_t idx, int fd);
/*
 * pd_source_open() - the detached mount of bind source @idx at host @path:
 * the one paude sent (idmapped, attributes set: *prepared true), or a bind
 * made here and checked to be what paude opened.
 */
int pd_source_open(struct pd_sources *ss, size_t idx, const char *path, bool *prepared,
		   struct pd_error *err);
/*
 * targets.c: pd_targets_make() - the mount destinations and the working
 * directory of @spec that the merged @lowers (topmost first, @n) lack, made
 * in the writable layer @upper before the overlay is mounted;
 * *@workdir_made when the working directory was made there.
 */
int pd_targets_make(const struct pd_sandbox_spec *spec, const struct pd_sources *sources,
		    const int *lowers, size_t n, int upper, bool *workdir_made,
		    struct pd_error *err);

/* pd_source_attrs() - the mount attributes a bind of @m gets. */
uint64_t pd_source_attrs(const struct pd_mount *m);

/*
 * mounts.c: the image's and the user's mounts and links on @root_fd; each
 * mount placed goes into @placed (/tmp's, @tmp_mnt_fd, first when >= 0;
 * @tmp_mnt_fd is closed here).
 */
int pd_mounts_apply(int root_fd, const struct pd_sandbox_spec *spec, struct pd_sources *sources,
		    int tmp_mnt_fd, struct pd_placement *placed, struct pd_error *err);
bool pd_mounts_user_covers(const struct pd_sandbox_spec *spec, const char *dest);
/* pd_mounts_mkdir() - make directory @path like a mount destination (working directory). */
int pd_mounts_mkdir(int root_fd, const struct pd_placement *placed, const char *path,
		    struct pd_error *err);
void pd_placement_release(struct pd_placement *pl);

/* kernfs.c: /proc (masked, the quotas of @lp written) and /sys (masked). */
int pd_kernfs_mount(const struct pd_root *root, const struct pd_limits_plan *lp,
		    struct pd_error *err);
/*
 * dev.c: /dev, of device nodes the sandbox owns (@devnodes_fd, root mode;
 * consumed) or binds of the host's; devpts for @ids.
 */
int pd_dev_mount(const struct pd_root *root, int devnodes_fd, const struct pd_idmap_plan *ids,
		 struct pd_error *err);
/* dev.c: /tmp, a bounded tmpfs unless the user mounts there; its mount fd in *@tmp_mnt_fd (or -1). */
int pd_tmp_mount(const struct pd_root *root, const struct pd_sandbox_spec *spec, int *tmp_mnt_fd,
		 struct pd_error *err);

/* layer.c: the persistent writable layer, made or checked by the owner. */
int pd_layer_prepare(const char *path, const struct pd_idmap_plan *ids, struct pd_error *err);

/* devnodes.c: device nodes of the sandbox's own, and the file masks are made of. */
#define PD_N_DEVNODES 6
struct pd_devnode {
	const char *name;
	unsigned int major, minor;
};
extern const struct pd_devnode pd_devnodes[PD_N_DEVNODES];
/* pd_devnodes_make() - on the host, as root: a detached tmpfs holding pd_devnodes. */
int pd_devnodes_make(uid_t owner, gid_t group, struct pd_error *err);
/* pd_masks_prepare() - O_PATH fds of an empty file and an empty directory on a
 * read-only tmpfs of their own, mounted at @stage/mask. */
int pd_masks_prepare(int stage, int *file, int *dir, struct pd_error *err);

/*
 * etcfiles.c: /etc/hostname, /etc/hosts, /etc/resolv.conf as @spec says,
 * in @root's writable layer, unless they are there already (etc_written).
 */
int pd_etcfiles_write(const struct pd_root *root, const struct pd_sandbox_spec *spec,
		      enum pd_idmap_mode mode, struct pd_error *err);
/* pd_etcfiles_write_upper() - the same into the writable layer @upper, before the
 * overlay is made.  Return: 1 written, 0 left for pd_etcfiles_write(), -1. */
int pd_etcfiles_write_upper(int upper, const struct pd_sandbox_spec *spec, struct pd_error *err);

/* pd_root_dir() - a top-level directory of the root for a kernel filesystem:
 * created when missing, refused when it is a symlink or not a directory. */
int pd_root_dir(int rootfd, const char *name, struct pd_error *err);

/* net.c: bring the loopback up in the sandbox's network namespace. */
int pd_net_loopback_up(struct pd_error *err);

/* caps.c: no capabilities (or the kept ones), locked securebits. */
int pd_caps_prepare_drop(uint64_t keep, struct pd_error *err);
int pd_caps_set(uint64_t caps, struct pd_error *err);
/* pd_caps_keep_only() - securebits locked, every set but @keep (a CAP_*) emptied. */
int pd_caps_keep_only(int keep, struct pd_error *err);
/* init_filter.c: no_new_privs and the seccomp filter of paude's init. */
int pd_init_filter_apply(struct pd_error *err);

/*
 * init.c: pid 1 of the sandbox. Never returns. @command: 0 when there is
 * none; @stays: it outlives the command; errors go over @sync.
 */
_Noreturn void pd_init_run(int sync, const struct pd_limits_plan *lp, bool stays, pid_t command);

#endif
