/* SPDX-License-Identifier: MIT */
/*
 * pd-drive - a test driver of the runtime's API, until sessions give it a
 * command line: creates a sandbox whose init stays up, runs each command
 * given in it through pd_sandbox_exec() one after the other (their stdio are
 * the driver's), then stops the sandbox.
 *
 *   pd-drive [--user U] [--tty] [--ns] [--first] [--layer DIR] [--workdir DIR] ROOTDIR
 *            CMD [ARG...] [--- CMD...]...
 *   pd-drive --remove-layer DIR
 *   pd-drive --bench N ROOTDIR CMD [ARG...]
 *
 * Each command's exit status is printed on stderr as "pd-drive: exit N",
 * the sandbox's own as "pd-drive: init N" after a SIGTERM to its init.
 * --ns prints the inodes of the namespaces the driver holds ("pd-drive: ns
 * user=N mnt=N pid=N net=N uts=N ipc=N cgroup=N"); --first runs the first
 * command through init (the first-command path) instead of exec; --tty gives
 * every exec'd command a pty (its master is read to stdout); --layer keeps
 * the writable layer in DIR (persistent), which --remove-layer removes.
 * --bench runs CMD N times through pd_sandbox_exec() (stdio /dev/null) and
 * prints the median and 90th percentile of exec-to-exit, in milliseconds:
 * "pd-drive: exec median 1.234 p90 2.345 ms (N runs)".
 * Exit status: 0, or 1 with "pd-drive: error: ..." on stderr.
 */
#include "runtime/runtime.h"
#include "idrange.h"
#include "common/cleanup.h"
#include "common/proctitle.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int die(const struct pd_error *err)
{
	fprintf(stderr, "pd-drive: error: %s\n", err->msg);
	return 1;
}

/* Until the sync socket closes: init is set up (or a step failed). */
static int wait_ready(struct pd_sandbox *sb, struct pd_error *err)
{
	for (;;) {
		struct pd_sandbox_event ev;
		int r = pd_sandbox_next_event(sb, &ev, err);

		if (r < 0)
			return -1;
		if (ev.type == PD_SANDBOX_EV_ERROR) {
			*err = ev.err;
			return -1;
		}
		if (ev.fd >= 0)
			close(ev.fd);
		if (r == 0)
			return 0;
	}
}

static int wait_pidfd(int pidfd, pid_t pid)
{
	siginfo_t si = { 0 };

	(void)pid;
	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0)
		if (errno != EINTR)
			return -1;
	return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

/* Copy the pty's output to stdout until it hangs up. */
static void pump_pty(int master)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(master, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, (size_t)n) != n)
			break;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* @n execs of @p, timed from the call to the process's end. */
static int bench(struct pd_sandbox *sb, struct pd_process *p, int n, struct pd_error *err)
{
	double *t = calloc((size_t)n, sizeof(double));
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (!t || null < 0)
		return pd_error_set(err, ENOMEM, "bench");
	p->stdio[0] = p->stdio[1] = p->stdio[2] = null;
	for (int k = 0; k < n; k++) {
		int pidfd, master;
		pid_t pid;
		double start = now_ms();

		if (pd_sandbox_exec(sb, p, &pid, &pidfd, &master, err) < 0) {
			free(t);
			close(null);
			return -1;
		}
		(void)wait_pidfd(pidfd, pid);
		t[k] = now_ms() - start;
		close(pidfd);
	}
	qsort(t, (size_t)n, sizeof(double), cmp_double);
	fprintf(stderr, "pd-drive: exec median %.3f p90 %.3f ms (%d runs)\n", t[n / 2],
		t[(n * 9) / 10], n);
	free(t);
	close(null);
	return 0;
}

static void print_ns(struct pd_sandbox *sb)
{
	static const char *const names[PD_NS_COUNT] = {
		"user", "mnt", "pid", "net", "uts", "ipc", "cgroup",
	};

	fprintf(stderr, "pd-drive: ns");
	for (int i = 0; i < PD_NS_COUNT; i++) {
		struct stat st;
		int fd = pd_sandbox_ns_fd(sb, (enum pd_sandbox_ns)i);

		fprintf(stderr, " %s=%llu", names[i],
			fd >= 0 && fstat(fd, &st) == 0 ? (unsigned long long)st.st_ino : 0ULL);
	}
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	struct pd_error err = { 0 };
	struct pd_seccomp_prog prog = { 0 };
	struct pd_sandbox_spec spec = { 0 };
	struct pd_sandbox *sb = NULL;
	struct pd_idmap_plan ids;
	const char *user = NULL, *layer = NULL, *workdir = NULL;
	bool tty = false, ns = false, first = false;
	int bench_runs = 0;
	char *lowers[1];
	int i = 1, status, r = 1;
	sigset_t none;

	/* As paude does: the area of argv becomes init's blanked command line. */
	argv = pd_proctitle_init(argc, argv);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--user") && i + 1 < argc)
			user = argv[++i];
		else if (!strcmp(argv[i], "--tty"))
			tty = true;
		else if (!strcmp(argv[i], "--ns"))
			ns = true;
		else if (!strcmp(argv[i], "--first"))
			first = true;
		else if (!strcmp(argv[i], "--layer") && i + 1 < argc)
			layer = argv[++i];
		else if (!strcmp(argv[i], "--workdir") && i + 1 < argc)
			workdir = argv[++i];
		else if (!strcmp(argv[i], "--bench") && i + 1 < argc)
			bench_runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--remove-layer") && i + 1 < argc) {
			struct pd_idmap_plan plan;

			r = pd_idmap_decide(&plan, false, &err) < 0 ||
					    pd_layer_remove(argv[i + 1], &plan, &err) < 0
				    ? die(&err)
				    : 0;
			pd_strv_free(argv);
			return r;
		} else
			break;
	}
	if (i + 1 >= argc) {
		fprintf(stderr,
			"usage: pd-drive [--user U] [--tty] [--ns] [--first] ROOTDIR CMD [ARG...] "
			"[--- CMD...]...\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	if (pd_seccomp_default(&prog, &err) < 0 || pd_idmap_decide(&ids, false, &err) < 0)
		return die(&err);
	spec.ids = &ids;
	lowers[0] = argv[i++];
	spec.rootfs.lowers = lowers;
	spec.rootfs.n_lowers = 1;
	spec.rootfs.layer_dir = layer;
	spec.hostname = "pd-drive";
	spec.limits.pids = 2048;
	spec.limits.pids_default = true;
	spec.init_stays = true;
	if (first) {
		int j = i;

		while (j < argc && strcmp(argv[j], "---") != 0)
			j++;
		spec.process.argv = argv + i;
		argv[j < argc ? j : argc] = NULL; /* the first command ends here */
		spec.process.user = user;
		spec.process.seccomp = &prog;
		spec.process.stdio[0] = -1;
		spec.process.stdio[1] = STDOUT_FILENO;
		spec.process.stdio[2] = STDERR_FILENO;
		spec.process.sigmask = none;
		i = j + 1;
	}
	if (pd_sandbox_create(&spec, &sb, &err) < 0 || pd_sandbox_start(sb, &err) < 0 ||
	    wait_ready(sb, &err) < 0) {
		r = die(&err);
		goto out;
	}
	if (ns)
		print_ns(sb);
	if (bench_runs > 0) {
		struct pd_process p = { 0 };

		p.argv = argv + i;
		p.user = user;
		p.seccomp = &prog;
		p.sigmask = none;
		if (bench(sb, &p, bench_runs, &err) < 0) {
			r = die(&err);
			goto out;
		}
		i = argc;
	}
	while (i < argc) {
		struct pd_process p = { 0 };
		int j = i, pidfd = -1, master = -1;
		pid_t pid;

		while (j < argc && strcmp(argv[j], "---") != 0)
			j++;
		p.argv = argv + i;
		argv[j < argc ? j : argc] = NULL;
		p.user = user;
		p.workdir = workdir;
		p.seccomp = &prog;
		p.tty = tty;
		p.stdio[0] = STDIN_FILENO;
		p.stdio[1] = STDOUT_FILENO;
		p.stdio[2] = STDERR_FILENO;
		p.sigmask = none;
		if (pd_sandbox_exec(sb, &p, &pid, &pidfd, &master, &err) < 0) {
			fprintf(stderr, "pd-drive: exec failed: %s (status %d)\n", err.msg,
				err.status);
		} else {
			if (master >= 0) {
				pump_pty(master);
				close(master);
			}
			fprintf(stderr, "pd-drive: exit %d\n", wait_pidfd(pidfd, pid));
			close(pidfd);
		}
		i = j + 1;
	}
	if (pd_sandbox_kill(sb, SIGTERM) < 0) {
		pd_error_set(&err, errno, "stop the sandbox");
		r = die(&err);
		goto out;
	}
	{
		struct pollfd pf = { .fd = pd_sandbox_pidfd(sb), .events = POLLIN };

		while (poll(&pf, 1, -1) < 0 && errno == EINTR)
			;
	}
	if (pd_sandbox_reap(sb, &status, &err) <= 0) {
		r = die(&err);
		goto out;
	}
	fprintf(stderr, "pd-drive: init %d\n", status);
	r = 0;
out:
	pd_sandbox_destroy(sb);
	pd_seccomp_prog_release(&prog);
	pd_strv_free(argv);
	return r;
}
