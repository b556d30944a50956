/* SPDX-License-Identifier: MIT */
/*
 * sandbox.c - a confined sandbox and its life: paude's runtime core.
 *
 * Theory of operation
 * -------------------
 * The owner (paude run, later a session's supervisor) calls
 * pd_sandbox_create(): it decides the id mapping (idmap.c) and the limits
 * (limits.c), then clone()s a child into new user, mount, pid, network, uts
 * and ipc namespaces.  That child is pid 1 of the sandbox.
 *
 * The owner, for the child, before it says GO (pd_sandbox_start()):
 *   - writes its uid/gid maps (itself as root, or through newuidmap/
 *     newgidmap, or a single-id map with setgroups denied);
 *   - moves it into the sandbox's cgroup, when limits need one;
 *   - as root, makes an idmapped mount of every host directory the sandbox
 *     gets (rootfs layers, volumes) against the child's user namespace, so
 *     host uid 0 shows as the container's root without chowning anything,
 *     and passes the mount fds over the sync socket (sync.c);
 *   - opens the child's namespaces (while it is still dumpable) and keeps
 *     them for the sandbox's life (the cgroup namespace's fd comes over the
 *     sync socket once the child made it).
 * The child, in sandbox_setup() below, does every isolation step in order;
 * any failure travels back over the sync socket with its errno and the step
 * that failed, as an event on the owner's loop.  Then it forks the first
 * command (process.c), which sheds its privileges and execs, and itself
 * becomes the sandbox's init (init.c).  Later processes join it through
 * pd_sandbox_exec() (join.c).
 *
 * Nothing is left on the host: mounts live in the sandbox's mount namespace,
 * the writable layer in a tmpfs inside it, and the cgroup is removed when
 * the sandbox ends (or by the next run, if paude was SIGKILLed).
 */
#include "sandbox.h"
#include "sync.h"
#include "syscalls.h"
#include "mnt.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proctitle.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/kcmp.h>
#include <unistd.h>

#define SANDBOX_NS \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)

/* ---- inside the sandbox ---- */

/*
 * Receive the parent's mount fds (into @sources) and, root mode, its tmpfs
 * of device nodes (*@devnodes) until GO; EOF means the parent is gone.
 */
static int wait_for_go(int sync, struct pd_sources *sources, int *devnodes, struct pd_error *err)
{
	for (;;) {
		struct pd_sync_msg m;
		int r = pd_sync_recv(sync, &m);

		if (r < 0)
			return pd_error_set(err, errno, "wait for paude");
		if (r == 0)
			_exit(125);
		if (m.type == PD_SYNC_GO) {
			pd_close(m.fd);
			return 0;
		}
		if (m.type == PD_SYNC_MOUNT_FD && m.fd >= 0) {
			pd_source_received(sources, m.arg, m.fd);
			continue;
		}
		if (m.type == PD_SYNC_DEV_FD && m.fd >= 0 && *devnodes < 0) {
			*devnodes = m.fd;
			continue;
		}
		pd_close(m.fd);
	}
}

/* paude holds the other end of the sync socket until it exits. */
static bool parent_gone(int sync)
{
	struct pollfd p = { .fd = sync, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

static int send_cgroup_ns(int sync, struct pd_error *err)
{
	cleanup_close int fd = open("/proc/self/ns/cgroup", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return pd_error_set(err, errno, "open the cgroup namespace");
	if (pd_sync_send(sync, PD_SYNC_NS_FD, PD_NS_CGROUP, fd, NULL, 0) < 0)
		return pd_error_set(err, errno, "send the cgroup namespace to paude");
	return 0;
}

/* Become uid/gid 0 of the new user namespace, without the host's groups. */
static int become_root(enum pd_idmap_mode mode, struct pd_error *err)
{
	if (setresgid(0, 0, 0) < 0)
		return pd_error_set(err, errno, "setresgid 0 in the user namespace");
	if (mode != PD_IDMAP_SINGLE && setgroups(0, NULL) < 0)
		return pd_error_set(err, errno, "drop supplementary groups");
	if (setresuid(0, 0, 0) < 0)
		return pd_error_set(err, errno, "setresuid 0 in the user namespace");
	return 0;
}

int pd_user_for(int rootfd, const char *spec, const struct pd_idmap_plan *ids, struct pd_user *u,
		struct pd_error *err)
{
	/* Without --user the error is the account file's own, not a --user one. */
	if (pd_user_resolve(rootfd, spec, u, err) < 0)
		return spec ? pd_error_wrap(err, "--user") : -1;
	if (!pd_idmap_has_uid(ids, u->uid) || !pd_idmap_has_gid(ids, u->gid)) {
		if (ids->mode == PD_IDMAP_SINGLE)
			return pd_error_set_msg(
				err, EINVAL,
				"--user \"%s\" (uid %u, gid %u): this "
				"sandbox maps only uid and gid 0, because %s has no "
				"subordinate ids; add a range (usermod --add-subuids "
				"100000-165535 --add-subgids 100000-165535 %s) and install "
				"newuidmap (Debian package uidmap)",
				spec, u->uid, u->gid, ids->user_name, ids->user_name);
		return pd_error_set_msg(err, EINVAL,
					"--user \"%s\" (uid %u, gid %u) is outside the "
					"sandbox's id map (0-%u)",
					spec, u->uid, u->gid, pd_idmap_max(ids));
	}
	/* Supplementary groups that are not mapped cannot be set: leave them out. */
	for (size_t i = 0; i < u->n_groups;) {
		if (pd_idmap_has_gid(ids, u->groups[i]))
			i++;
		else
			u->groups[i] = u->groups[--u->n_groups];
	}
	return 0;
}

/* The working directory; one paude creates belongs to the command's user, as podman does. */
static int make_workdir(const struct pd_root *r, const struct pd_placement *placed, const char *wd,
			const struct pd_user *u, struct pd_error *err)
{
	cleanup_close int fd = -1;
	bool made = r->workdir_made; /* in the writable layer, by targets.c */
	int root = r->root_fd;

	if (!wd)
		return 0;
	fd = pd_openat2(root, wd, O_PATH | O_DIRECTORY, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (fd < 0) {
		fd = pd_mounts_mkdir(root, placed, wd, err);
		made = true;
	}
	if (fd < 0)
		return -1;
	if (made && (u->uid || u->gid) && fchownat(fd, "", u->uid, u->gid, AT_EMPTY_PATH) < 0)
		return pd_error_set(err, errno, "working directory \"%s\": chown to %u:%u", wd,
				    u->uid, u->gid);
	return 0;
}

/*
 * sandbox_setup() - every isolation step, in order, as pid 1 of the sandbox.
 * Each step gets what it needs and hands back what it makes; the new root
 * (struct pd_root) goes from step to step until the pivot consumes it.  The
 * command's own steps (session, rlimits, identity, capabilities,
 * no_new_privs, fds, seccomp) follow in process.c after the fork; who it
 * runs as comes back in @user.
 */
static int sandbox_setup(struct pd_sandbox *sb, struct pd_user *user, struct pd_error *err)
{
	const struct pd_sandbox_spec *spec = sb->spec;
	struct pd_root root = { .root_fd = -1, .stage_fd = -1, .read_only = sb->root_read_only };
	struct pd_placement placed = { 0 };
	cleanup_close int devnodes = -1, tmp_mnt = -1;
	int r = -1;

	/* 1. The parent writes our id maps and prepares mounts, then says GO. */
	if (wait_for_go(sb->sync, &sb->sources, &devnodes, err) < 0)
		return -1;
	/* 2. From here on nothing in the sandbox may ptrace or read us, and our
	 *    command line (host paths) is gone from /proc. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return pd_error_set(err, errno, "set non-dumpable");
	pd_proctitle_set("paude-init");
	/* 3. The container's root, with the capabilities of the user namespace.
	 *    A credential change clears the parent-death signal: set it after,
	 *    and make sure paude did not die in between. */
	if (become_root(sb->ids.mode, err) < 0)
		return -1;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return pd_error_set(err, errno, "set the parent-death signal");
	if (parent_gone(sb->sync))
		_exit(125);
	/* 4. A cgroup namespace rooted at the sandbox's cgroup (joined by now);
	 *    the owner keeps an fd of it. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		return pd_error_set(err, errno, "unshare the cgroup namespace");
	if (send_cgroup_ns(sb->sync, err) < 0)
		return -1;
	/* 5. The overlay root in a staging tmpfs (host tree still reachable),
	 *    the generated /etc files in its writable layer when they can be. */
	if (pd_rootfs_build(spec, sb->ids.mode, &sb->sources, &root, err) < 0)
		goto out;
	/* 6. /dev (nodes of its own, or the host's bound), /proc and /sys with
	 *    their masks, /tmp. */
	if (pd_dev_mount(&root, steal_fd(&devnodes), &sb->ids, err) < 0 ||
	    pd_kernfs_mount(&root, &sb->limits, err) < 0 ||
	    pd_tmp_mount(&root, spec, &tmp_mnt, err) < 0)
		goto out;
	/* 7. /etc/hostname, /etc/hosts, /etc/resolv.conf, if step 5 could not. */
	if (pd_etcfiles_write(&root, spec, sb->ids.mode, err) < 0)
		goto out;
	/* 8. The image's mounts and links, then the user's volumes and tmpfs. */
	if (pd_mounts_apply(root.root_fd, spec, &sb->sources, steal_fd(&tmp_mnt), &placed, err) < 0)
		goto out;
	/* 9. Who the first command runs as, from the image's own account files. */
	if (pd_user_for(root.root_fd, spec->process.user, &sb->ids, user, err) < 0 ||
	    make_workdir(&root, &placed, spec->process.workdir, user, err) < 0)
		goto out;
	/* 10. pivot_root: the host's tree is detached; the root goes read-only
	 *     when asked. */
	pd_placement_release(&placed);
	if (pd_rootfs_pivot(&root, err) < 0)
		goto out;
	/* 11. The uts and network namespaces: hostname, loopback up. */
	if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
		pd_error_set(err, errno, "sethostname \"%s\"", spec->hostname);
		goto out;
	}
	r = pd_net_loopback_up(err);
out:
	pd_placement_release(&placed);
	pd_close(root.root_fd);
	pd_close(root.stage_fd);
	return r;
}

static _Noreturn void child_main(struct pd_sandbox *sb)
{
	const struct pd_sandbox_spec *spec = sb->spec;
	struct pd_error err = { 0 };
	struct pd_user user = { 0 };
	pid_t cmd = 0;

	/* Die with paude: the kernel then tears the whole pid namespace down. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Out of the host terminal's process group: keyboard signals reach
	 * paude only, which forwards them once. */
	(void)setsid();
	if (parent_gone(sb->sync))
		_exit(125);
	if (sandbox_setup(sb, &user, &err) < 0) {
		pd_sync_send_error(sb->sync, &err);
		_exit(125);
	}
	/*
	 * Block every signal before the command exists: pid 1 drops a signal it
	 * has no handler for unless it is blocked, so a command that exits at
	 * once would otherwise take its SIGCHLD with it and init would wait
	 * forever.  The command sets its own mask.
	 */
	{
		sigset_t all;

		sigfillset(&all);
		(void)sigprocmask(SIG_BLOCK, &all, NULL);
	}
	if (spec->process.argv) {
		cmd = fork();
		if (cmd < 0) {
			pd_error_set(&err, errno, "fork the command");
			pd_sync_send_error(sb->sync, &err);
			_exit(125);
		}
		if (cmd == 0) {
			struct pd_process_ctx ctx = {
				.user = &user,
				.may_setgroups = sb->ids.mode != PD_IDMAP_SINGLE,
				.lp = &sb->limits,
				.limits = &spec->limits,
				.extra_tasks = 1, /* init */
				.hostname = spec->hostname,
				.report_fd = sb->sync,
			};

			pd_process_exec(&spec->process, &ctx);
		}
	}
	pd_init_run(sb->sync, &sb->limits, spec->init_stays, cmd);
}

/* ---- on the host ---- */

/* ---- on the host: the owner's side ---- */

static int parent_prepare(struct pd_sandbox *sb, struct pd_error *err)
{
	pid_t pid = sb->pid;

	if (pd_idmap_write(&sb->ids, pid, err) < 0)
		return pd_error_wrap(err, "user namespace id map");
	if (pd_limits_enter(&sb->limits, pid, err) < 0)
		return pd_error_wrap(err, "limits");
	if (sb->ids.mode == PD_IDMAP_ROOT) {
		cleanup_close int nodes = -1;

		if (pd_sources_send_idmapped(&sb->sources, sb->sync, pid, err) < 0)
			return -1;
		nodes = pd_devnodes_make(sb->ids.uid[0].outside, sb->ids.gid[0].outside, err);
		if (nodes < 0)
			return -1;
		if (pd_sync_send(sb->sync, PD_SYNC_DEV_FD, 0, nodes, NULL, 0) < 0)
			return pd_error_set(err, errno, "send the device nodes to the sandbox");
	}
	return 0;
}

/*
 * The sandbox's namespaces, opened while its init is still dumpable (after
 * GO it is not, and a rootless owner could not open them any more).
 */
static int open_namespaces(struct pd_sandbox *sb, struct pd_error *err)
{
	static const char *const names[PD_NS_COUNT] = {
		[PD_NS_USER] = "user", [PD_NS_MNT] = "mnt", [PD_NS_PID] = "pid",
		[PD_NS_NET] = "net",   [PD_NS_UTS] = "uts", [PD_NS_IPC] = "ipc",
	};

	for (int i = 0; i < PD_NS_COUNT; i++) {
		char path[64];

		if (!names[i])
			continue; /* the cgroup namespace comes from the sandbox */
		snprintf(path, sizeof(path), "/proc/%ld/ns/%s", (long)sb->pid, names[i]);
		sb->ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (sb->ns[i] < 0)
			return pd_error_set(err, errno, "open \"%s\"", path);
	}
	return 0;
}

static void decide_root_read_only(struct pd_sandbox *sb)
{
	const struct pd_rootfs *rfs = &sb->spec->rootfs;
	struct stat st;

	sb->root_read_only = rfs->read_only;
	if (sb->ids.mode == PD_IDMAP_ROOT || rfs->n_lowers == 0 || sb->root_read_only)
		return;
	if (stat(rfs->lowers[0], &st) < 0 || st.st_uid == sb->ids.host_uid)
		return;
	if (sb->ids.mode == PD_IDMAP_SUBID && st.st_uid >= sb->ids.uid[1].outside &&
	    st.st_uid - sb->ids.uid[1].outside < sb->ids.uid[1].count)
		return;
	sb->root_read_only = true;
	pd_note("root filesystem \"%s\" is owned by uid %u, which this sandbox does not map: "
		"it is read-only inside",
		rfs->lowers[0], (unsigned)st.st_uid);
}
static int validate(const struct pd_sandbox_spec *spec, struct pd_error *err)
{
	const struct pd_process *p = &spec->process;

	if (!spec->ids)
		return pd_error_set(err, EINVAL, "no id plan");
	if (!p->argv && !spec->init_stays)
		return pd_error_set(err, EINVAL, "no command to run");
	if (p->argv && (!p->argv[0] || !p->argv[0][0]))
		return pd_error_set(err, EINVAL, "no command to run");
	if (p->argv && !p->seccomp)
		return pd_error_set(err, EINVAL, "no seccomp filter");
	if (p->workdir && p->workdir[0] != '/')
		return pd_error_set(err, EINVAL, "working directory \"%s\" is not absolute",
				    p->workdir);
	return 0;
}

static struct pd_sandbox *sandbox_new(const struct pd_sandbox_spec *spec)
{
	struct pd_sandbox *sb = pd_xcalloc(1, sizeof(*sb));

	sb->spec = spec;
	sb->sync = sb->pidfd = -1;
	for (int i = 0; i < PD_NS_COUNT; i++)
		sb->ns[i] = -1;
	return sb;
}

int pd_sandbox_create(const struct pd_sandbox_spec *spec, struct pd_sandbox **out,
		      struct pd_error *err)
{
	struct pd_sandbox *sb;
	int sv[2];

	*out = NULL;
	pd_assert_single_threaded();
	if (validate(spec, err) < 0)
		return -1;
	sb = sandbox_new(spec);
	sb->ids = *spec->ids;
	decide_root_read_only(sb);
	if (spec->rootfs.layer_dir) {
		if (pd_layer_prepare(spec->rootfs.layer_dir, &sb->ids, err) < 0)
			goto fail;
		sb->layer_path = pd_xasprintf("%s/layer", spec->rootfs.layer_dir);
	}
	if (pd_sources_open(&sb->sources, spec, sb->layer_path, err) < 0 ||
	    pd_limits_setup(&sb->limits, &spec->limits, err) < 0 || pd_sync_pair(sv, err) < 0)
		goto fail;
	sb->pid = pd_clone_pidfd(SANDBOX_NS, &sb->pidfd);
	if (sb->pid == 0) {
		pd_close(sv[0]);
		sb->sync = sv[1];
		child_main(sb);
	}
	pd_close(sv[1]);
	sb->sync = sv[0];
	if (sb->pid < 0) {
		sb->pidfd = -1;
		pd_error_set(err, errno,
			     "clone the sandbox (user, mount, pid, network, uts, ipc "
			     "namespaces)");
		goto fail;
	}
	if (parent_prepare(sb, err) < 0 || open_namespaces(sb, err) < 0)
		goto fail;
	*out = sb;
	return 0;
fail:
	pd_sandbox_destroy(sb);
	return -1;
}

int pd_sandbox_start(struct pd_sandbox *sb, struct pd_error *err)
{
	if (sb->started)
		return pd_error_set(err, EALREADY, "start the sandbox");
	if (pd_sync_send(sb->sync, PD_SYNC_GO, 0, -1, NULL, 0) < 0)
		return pd_error_set(err, errno, "start the sandbox");
	sb->started = true;
	pd_sources_close_host(&sb->sources);
	return 0;
}

int pd_sandbox_sync_fd(const struct pd_sandbox *sb)
{
	return sb->sync;
}

int pd_sandbox_pidfd(const struct pd_sandbox *sb)
{
	return sb->pidfd;
}

int pd_sandbox_ns_fd(const struct pd_sandbox *sb, enum pd_sandbox_ns ns)
{
	return ns < PD_NS_COUNT ? sb->ns[ns] : -1;
}

int pd_sandbox_next_event(struct pd_sandbox *sb, struct pd_sandbox_event *ev, struct pd_error *err)
{
	struct pd_sync_msg m;
	int n = pd_sync_recv(sb->sync, &m);

	memset(ev, 0, sizeof(*ev));
	ev->fd = -1;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1; /* PD_SANDBOX_EV_NONE */
	if (n < 0)
		return pd_error_set(err, errno, "read from the sandbox");
	if (n == 0) {
		ev->type = PD_SANDBOX_EV_SYNC_CLOSED;
		return 0;
	}
	switch (m.type) {
	case PD_SYNC_ERROR:
		ev->type = PD_SANDBOX_EV_ERROR;
		ev->err.code = m.code;
		ev->err.status = m.status;
		memcpy(ev->err.msg, m.text, sizeof(ev->err.msg));
		ev->err.msg[sizeof(ev->err.msg) - 1] = '\0';
		break;
	case PD_SYNC_PTY:
		if (m.fd >= 0 && sb->spec->process.tty) {
			ev->type = PD_SANDBOX_EV_PTY;
			ev->fd = steal_fd(&m.fd);
		}
		break;
	case PD_SYNC_NS_FD:
		if (m.fd >= 0 && m.arg == PD_NS_CGROUP && sb->ns[PD_NS_CGROUP] < 0)
			sb->ns[PD_NS_CGROUP] = steal_fd(&m.fd);
		break;
	default:
		break;
	}
	pd_close(m.fd);
	return 1;
}

int pd_sandbox_reap(struct pd_sandbox *sb, int *status, struct pd_error *err)
{
	siginfo_t info = { 0 };

	if (sb->reaped)
		return pd_error_set(err, ECHILD, "wait for the sandbox");
	if (waitid(P_PIDFD, (id_t)sb->pidfd, &info, WEXITED | WNOHANG) < 0)
		return errno == EINTR ? 0 : pd_error_set(err, errno, "wait for the sandbox");
	if (info.si_pid == 0)
		return 0;
	sb->reaped = true;
	*status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
	return 1;
}

int pd_sandbox_kill(struct pd_sandbox *sb, int sig)
{
	if (sb->reaped || sb->pidfd < 0)
		return -1;
	return pd_pidfd_send_signal(sb->pidfd, sig);
}

/*
 * The one place a sandbox is released, whole or half-built (crun's
 * cleanup_pid): a child that is still there is killed and reaped by pid -
 * it is ours and unreaped, so the pid cannot have been reused - then the
 * cgroups go (and, on cgroup v2, the leaf paude may have moved into:
 * pd_limits_cleanup()), then every fd.
 */
void pd_sandbox_destroy(struct pd_sandbox *sb)
{
	if (!sb)
		return;
	if (sb->pid > 0 && !sb->reaped) {
		if (sb->pidfd < 0 || pd_pidfd_send_signal(sb->pidfd, SIGKILL) < 0)
			(void)kill(sb->pid, SIGKILL);
		while (waitpid(sb->pid, NULL, __WALL) < 0 && errno == EINTR)
			;
		sb->reaped = true;
	}
	pd_close(sb->sync);
	pd_close(sb->pidfd);
	for (int i = 0; i < PD_NS_COUNT; i++)
		pd_close(sb->ns[i]);
	pd_limits_cleanup(&sb->limits);
	pd_sources_release(&sb->sources);
	free(sb->layer_path);
	free(sb);
}
