/* SPDX-License-Identifier: MIT */
/*
 * sandbox.c - run one command confined: paude's runtime core.
 *
 * Theory of operation
 * -------------------
 * paude (the parent, on the host) decides the id mapping (idmap.c) and the
 * limits (limits.c), then clone()s a child into new user, mount, pid,
 * network, uts and ipc namespaces.  That child is pid 1 of the sandbox.
 *
 * The parent, for the child:
 *   - writes its uid/gid maps (itself as root, or through newuidmap/
 *     newgidmap, or a single-id map with setgroups denied);
 *   - moves it into the sandbox's cgroup, when limits need one;
 *   - as root, makes an idmapped mount of every host directory the sandbox
 *     gets (rootfs layers, volumes) against the child's user namespace, so
 *     host uid 0 shows as the container's root without chowning anything,
 *     and passes the mount fds over the sync socket (sync.c);
 *   - sends GO, becomes non-dumpable, and supervises (supervisor.c).
 * The child, in sandbox_setup() below, does every isolation step in order;
 * any failure travels back over the sync socket with its errno and the step
 * that failed, and the parent prints it (exit 125).  Then it forks the
 * command (exec.c), which sheds its privileges and execs, and itself becomes
 * the sandbox's init (init.c).
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
#include "common/mountinfo.h"
#include "common/path.h"
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

#define SANDBOX_NS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | \
		    CLONE_NEWIPC)

/* ---- inside the sandbox ---- */

/* Receive the parent's mount fds until GO; EOF means the parent is gone. */
static int wait_for_go(struct pd_sandbox *sb, struct pd_error *err)
{
	for (;;) {
		struct pd_sync_msg m;
		int r = pd_sync_recv(sb->sync, &m);

		if (r < 0)
			return pd_error_set(err, errno, "wait for paude");
		if (r == 0)
			_exit(125);
		if (m.type == PD_SYNC_GO) {
			pd_close(m.fd);
			return 0;
		}
		if (m.type == PD_SYNC_MOUNT_FD && m.fd >= 0) {
			pd_source_received(sb, m.arg, m.fd);
			continue;
		}
		if (m.type == PD_SYNC_DEV_FD && m.fd >= 0 && sb->devnodes_fd < 0) {
			sb->devnodes_fd = m.fd;
			continue;
		}
		pd_close(m.fd);
	}
}

/* paude holds the other end of the sync socket until it exits. */
static bool parent_gone(struct pd_sandbox *sb)
{
	struct pollfd p = { .fd = sb->sync, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

/* Become uid/gid 0 of the new user namespace, without the host's groups. */
static int become_root(struct pd_sandbox *sb, struct pd_error *err)
{
	if (setresgid(0, 0, 0) < 0)
		return pd_error_set(err, errno, "setresgid 0 in the user namespace");
	if (sb->ids.mode != PD_IDMAP_SINGLE && setgroups(0, NULL) < 0)
		return pd_error_set(err, errno, "drop supplementary groups");
	if (setresuid(0, 0, 0) < 0)
		return pd_error_set(err, errno, "setresuid 0 in the user namespace");
	return 0;
}

/* --user: resolved in the image's files, and mapped in this sandbox. */
static int resolve_user(struct pd_sandbox *sb, struct pd_error *err)
{
	const char *spec = sb->spec->user;

	/* Without --user the error is the account file's own, not a --user one. */
	if (pd_user_resolve(sb->root_fd, spec, &sb->user, err) < 0)
		return spec ? pd_error_wrap(err, "--user") : -1;
	if (!pd_idmap_has_uid(&sb->ids, sb->user.uid) || !pd_idmap_has_gid(&sb->ids, sb->user.gid)) {
		if (sb->ids.mode == PD_IDMAP_SINGLE)
			return pd_error_set_msg(err, EINVAL, "--user \"%s\" (uid %u, gid %u): this "
						"sandbox maps only uid and gid 0, because %s has no "
						"subordinate ids; add a range (usermod --add-subuids "
						"100000-165535 --add-subgids 100000-165535 %s) and install "
						"newuidmap (Debian package uidmap)", spec, sb->user.uid,
						sb->user.gid, sb->ids.user_name, sb->ids.user_name);
		return pd_error_set_msg(err, EINVAL, "--user \"%s\" (uid %u, gid %u) is outside the "
					"sandbox's id map (0-%u)", spec, sb->user.uid, sb->user.gid,
					pd_idmap_max(&sb->ids));
	}
	/* Supplementary groups that are not mapped cannot be set: leave them out. */
	for (size_t i = 0; i < sb->user.n_groups;) {
		if (pd_idmap_has_gid(&sb->ids, sb->user.groups[i]))
			i++;
		else
			sb->user.groups[i] = sb->user.groups[--sb->user.n_groups];
	}
	return 0;
}

/* The working directory; one paude creates belongs to the command's user, as podman does. */
static int make_workdir(struct pd_sandbox *sb, struct pd_error *err)
{
	cleanup_close int fd = -1;
	bool existed;

	if (!sb->spec->workdir)
		return 0;
	fd = pd_openat2(sb->root_fd, sb->spec->workdir, O_PATH | O_DIRECTORY, 0,
			RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	existed = fd >= 0;
	if (!existed)
		fd = pd_mounts_mkdir(sb, sb->spec->workdir, err);
	if (fd < 0)
		return -1;
	if (!existed && (sb->user.uid || sb->user.gid) &&
	    fchownat(fd, "", sb->user.uid, sb->user.gid, AT_EMPTY_PATH) < 0)
		return pd_error_set(err, errno, "working directory \"%s\": chown to %u:%u",
				    sb->spec->workdir, sb->user.uid, sb->user.gid);
	return 0;
}

/*
 * sandbox_setup() - every isolation step, in order, as pid 1 of the sandbox.
 * The command's own steps (session, rlimits, identity, capabilities,
 * no_new_privs, fds, seccomp) follow in exec.c after the fork.
 */
static int sandbox_setup(struct pd_sandbox *sb, struct pd_error *err)
{
	/* 1. The parent writes our id maps and prepares mounts, then says GO. */
	if (wait_for_go(sb, err) < 0)
		return -1;
	/* 2. From here on nothing in the sandbox may ptrace or read us, and our
	 *    command line (host paths) is gone from /proc. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return pd_error_set(err, errno, "set non-dumpable");
	pd_proctitle_set("paude-init");
	/* 3. The container's root, with the capabilities of the user namespace.
	 *    A credential change clears the parent-death signal: set it after,
	 *    and make sure paude did not die in between. */
	if (become_root(sb, err) < 0)
		return -1;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return pd_error_set(err, errno, "set the parent-death signal");
	if (parent_gone(sb))
		_exit(125);
	/* 4. A cgroup namespace rooted at the sandbox's cgroup (joined by now). */
	if (unshare(CLONE_NEWCGROUP) < 0)
		return pd_error_set(err, errno, "unshare the cgroup namespace");
	/* 5. The overlay root in a staging tmpfs (host tree still reachable). */
	if (pd_rootfs_build(sb, err) < 0)
		return -1;
	/* 6. /dev (host nodes bound), then /proc and /sys with their masks, /tmp. */
	if (pd_dev_mount(sb, err) < 0 || pd_kernfs_mount(sb, err) < 0)
		return -1;
	/* 7. /etc/hostname, /etc/hosts, /etc/resolv.conf in the writable layer. */
	if (pd_etcfiles_write(sb, err) < 0)
		return -1;
	/* 8. The image's mounts and links, then the user's volumes and tmpfs. */
	if (pd_mounts_apply(sb, err) < 0)
		return -1;
	/* 9. Who the command runs as, from the image's own account files. */
	if (resolve_user(sb, err) < 0 || make_workdir(sb, err) < 0)
		return -1;
	/* 10. pivot_root: the host's tree is detached; the root goes read-only
	 *     when asked. */
	pd_placement_release(&sb->placed);
	if (pd_rootfs_pivot(sb, err) < 0)
		return -1;
	/* 11. The uts and network namespaces: hostname, loopback up. */
	if (sb->spec->hostname &&
	    sethostname(sb->spec->hostname, strlen(sb->spec->hostname)) < 0)
		return pd_error_set(err, errno, "sethostname \"%s\"", sb->spec->hostname);
	if (pd_net_loopback_up(err) < 0)
		return -1;
	return 0;
}

static _Noreturn void child_main(struct pd_sandbox *sb)
{
	struct pd_error err = { 0 };
	pid_t cmd;

	/* Die with paude: the kernel then tears the whole pid namespace down. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Out of the host terminal's process group: keyboard signals reach
	 * paude only, which forwards them once. */
	(void)setsid();
	if (parent_gone(sb))
		_exit(125);
	if (sandbox_setup(sb, &err) < 0) {
		pd_sync_send_error(sb->sync, &err);
		_exit(125);
	}
	/*
	 * Block every signal before the command exists: pid 1 drops a signal it
	 * has no handler for unless it is blocked, so a command that exits at
	 * once would otherwise take its SIGCHLD with it and init would wait
	 * forever.  The command restores the caller's mask itself.
	 */
	{
		sigset_t all;

		sigfillset(&all);
		(void)sigprocmask(SIG_BLOCK, &all, NULL);
	}
	cmd = fork();
	if (cmd < 0) {
		pd_error_set(&err, errno, "fork the command");
		pd_sync_send_error(sb->sync, &err);
		_exit(125);
	}
	if (cmd == 0)
		pd_command_exec(sb);
	pd_init_run(sb, cmd);
}

/* ---- on the host ---- */

static int parent_prepare(struct pd_sandbox *sb, pid_t pid, struct pd_error *err)
{
	if (pd_idmap_write(&sb->ids, pid, err) < 0)
		return pd_error_wrap(err, "user namespace id map");
	if (pd_limits_enter(&sb->limits, pid, err) < 0)
		return pd_error_wrap(err, "limits");
	if (sb->ids.mode == PD_IDMAP_ROOT) {
		cleanup_close int nodes = -1;

		if (pd_sources_send_idmapped(sb, pid, err) < 0)
			return -1;
		nodes = pd_devnodes_make(sb->ids.uid[0].outside, sb->ids.gid[0].outside, err);
		if (nodes < 0)
			return -1;
		if (pd_sync_send(sb->sync, PD_SYNC_DEV_FD, 0, nodes, NULL, 0) < 0)
			return pd_error_set(err, errno, "send the device nodes to the sandbox");
	}
	if (pd_sync_send(sb->sync, PD_SYNC_GO, 0, -1, NULL, 0) < 0)
		return pd_error_set(err, errno, "start the sandbox");
	return 0;
}

/* A rootless sandbox's root owns its root filesystem only if it is ours. */
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
		"it is read-only inside", rfs->lowers[0], (unsigned)st.st_uid);
}

struct submount_find {
	const char *dir;
	char found[1024];
};

static int submount_cb(const struct pd_mountinfo *m, void *p)
{
	struct submount_find *f = p;

	if (strcmp(m->mountpoint, f->dir) != 0 && pd_path_is_under(m->mountpoint, f->dir)) {
		pd_strlcpy(f->found, m->mountpoint, sizeof(f->found));
		return 1;
	}
	return 0;
}

/*
 * Rootless, the kernel will not let overlayfs use a layer with mounts from
 * the host inside it (it would reveal what they cover): say so plainly
 * instead of overlayfs's ENODATA.
 */
static int check_lowers_rootless(const struct pd_sandbox *sb, struct pd_error *err)
{
	cleanup_free char *mi = NULL;
	size_t len = 0;

	if (sb->ids.mode == PD_IDMAP_ROOT || sb->spec->rootfs.n_lowers == 0)
		return 0;
	if (pd_mountinfo_read(&mi, &len, err) < 0)
		return -1;
	for (size_t i = 0; i < sb->spec->rootfs.n_lowers; i++) {
		struct submount_find f = { .dir = sb->spec->rootfs.lowers[i] };

		if (pd_mountinfo_foreach(mi, len, submount_cb, &f) == 1)
			return pd_error_set_msg(err, EBUSY, "root filesystem \"%s\" has a mount inside "
						"it (\"%s\"); a rootless sandbox cannot layer over mounts "
						"of the host: unmount it or copy the tree", f.dir, f.found);
	}
	return 0;
}

static int validate(const struct pd_sandbox_spec *spec, struct pd_error *err)
{
	if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
		return pd_error_set(err, EINVAL, "no command to run");
	if (!spec->seccomp)
		return pd_error_set(err, EINVAL, "no seccomp filter");
	if (spec->workdir && spec->workdir[0] != '/')
		return pd_error_set(err, EINVAL, "working directory \"%s\" is not absolute",
				    spec->workdir);
	return 0;
}

static void close_fds(int fds[3])
{
	for (int i = 0; i < 3; i++) {
		pd_close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * paude's stdout and stderr are one and the same (2>&1, or one terminal):
 * then the command gets one pipe for both, so their order is kept.
 */
static bool same_output(void)
{
	struct stat a, b;
	long k = syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, STDOUT_FILENO, STDERR_FILENO);

	if (k == 0)
		return true;
	return fstat(STDOUT_FILENO, &a) == 0 && fstat(STDERR_FILENO, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* stdout and stderr (and stdin with -i) as pipes; paude's ends non-blocking. */
static int make_stdio_pipes(struct pd_sandbox *sb, struct pd_error *err)
{
	bool shared = same_output();

	for (int i = 0; i < 3; i++) {
		int p[2];

		if ((i == 0 && !sb->spec->interactive) || (i == 2 && shared))
			continue;
		if (pipe2(p, O_CLOEXEC) < 0)
			return pd_error_set(err, errno, "stdio pipe");
		/* stdin: the command reads p[0]; stdout/stderr: it writes p[1]. */
		sb->child_stdio[i] = i == 0 ? p[0] : p[1];
		sb->stdio[i] = i == 0 ? p[1] : p[0];
		if (fcntl(sb->stdio[i], F_SETFL, O_NONBLOCK) < 0)
			return pd_error_set(err, errno, "stdio pipe");
	}
	return 0;
}

/* The child is ours and not reaped, so its pid cannot have been reused. */
static void kill_and_reap(int pidfd, pid_t pid)
{
	if (pd_pidfd_send_signal(pidfd, SIGKILL) < 0)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

int pd_sandbox_run(const struct pd_sandbox_spec *spec, int *exit_status, struct pd_error *err)
{
	struct pd_sandbox sb = {
		.spec = spec, .sync = -1, .root_fd = -1, .stage_fd = -1, .devnodes_fd = -1,
		.mask_fd = -1, .tmp_mnt_fd = -1,
		.stdio = { -1, -1, -1 }, .child_stdio = { -1, -1, -1 },
		.host_out = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 } },
	};
	cleanup_close int sigfd = -1, pidfd = -1;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigset_t fwd;
	int sv[2], r = -1;
	pid_t pid;

	if (validate(spec, err) < 0 || pd_idmap_plan(&sb.ids, err) < 0 ||
	    check_lowers_rootless(&sb, err) < 0)
		return -1;
	decide_root_read_only(&sb);
	if (spec->tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &sb.winsize) == 0)
		sb.have_winsize = true;
	/* While paude is dumpable: its /proc/self/fd is its own until then. */
	pd_host_output_open(&sb.host_out[1], STDOUT_FILENO);
	pd_host_output_open(&sb.host_out[2], STDERR_FILENO);
	if (pd_sources_open(&sb, err) < 0 || (!spec->tty && make_stdio_pipes(&sb, err) < 0) ||
	    pd_limits_setup(&sb.limits, &spec->limits, err) < 0) {
		pd_sources_release(&sb);
		close_fds(sb.stdio);
		close_fds(sb.child_stdio);
		pd_close(sb.host_out[1].fd);
		pd_close(sb.host_out[2].fd);
		return -1;
	}

	/* Forwarded signals queue on a signalfd from before the clone on. */
	pd_forward_sigset(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, &sb.orig_mask);
	sigfd = signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0 || pd_sync_pair(sv, err) < 0) {
		if (sigfd < 0)
			pd_error_set(err, errno, "signalfd");
		goto out;
	}
	sigaction(SIGPIPE, &ign, &old_pipe);

	pid = pd_clone_pidfd(SANDBOX_NS, &pidfd);
	if (pid == 0) {
		pd_close(sv[0]);
		sb.sync = sv[1];
		child_main(&sb);
	}
	pd_close(sv[1]);
	sb.sync = sv[0];
	close_fds(sb.child_stdio);
	if (pid < 0) {
		pd_error_set(err, errno, "clone the sandbox (user, mount, pid, network, uts, ipc "
			     "namespaces)");
		goto out_pipe;
	}
	if (parent_prepare(&sb, pid, err) < 0) {
		kill_and_reap(pidfd, pid);
		goto out_pipe;
	}
	pd_sources_close_host(&sb);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	r = pd_supervise(&sb, pidfd, sigfd, exit_status, err);
out_pipe:
	sigaction(SIGPIPE, &old_pipe, NULL);
out:
	pd_close(sb.sync);
	pd_limits_cleanup(&sb.limits);
	sigprocmask(SIG_SETMASK, &sb.orig_mask, NULL);
	close_fds(sb.stdio);
	close_fds(sb.child_stdio);
	pd_close(sb.host_out[1].fd);
	pd_close(sb.host_out[2].fd);
	pd_sources_release(&sb);
	return r;
}
