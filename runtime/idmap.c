/* SPDX-License-Identifier: MIT */
/*
 * idmap.c - choose the sandbox's id mapping and write it (see idmap.h).
 */
#include "idmap.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SUBID_FILE_MAX (4u << 20)

static void find_helper(const char *name, char *out, size_t outsz)
{
	const char *path = getenv("PATH");
	cleanup_free char *copy = pd_xstrdup(path && *path ? path : "/usr/bin:/bin");
	static const char *const fallback[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" };
	char *save = NULL;

	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/')
			continue;
		snprintf(out, outsz, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return;
	}
	for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
		snprintf(out, outsz, "%s/%s", fallback[i], name);
		if (access(out, X_OK) == 0)
			return;
	}
	out[0] = '\0';
}

/* keep-id: container @id is the user's own host id; the range maps around it. */
static int keep_id_ranges(struct pd_idmap_range *r, uint32_t id, uint32_t host, uint32_t start,
			  const char *what, struct pd_error *err)
{
	if (id >= PD_SUBID_COUNT)
		return pd_error_set_msg(err, ERANGE,
					"--userns=keep-id: your %s %u is beyond the "
					"%u ids a sandbox maps",
					what, id, PD_SUBID_COUNT);
	r[0] = (struct pd_idmap_range){ 0, start, id };
	r[1] = (struct pd_idmap_range){ id, host, 1 };
	r[2] = (struct pd_idmap_range){ id + 1, start + id, PD_SUBID_COUNT - id };
	return 0;
}

static int plan_rootless(struct pd_idmap_plan *p, bool keep_id, struct pd_error *err)
{
	cleanup_free char *su = NULL, *sg = NULL;
	struct pd_subid_range ru, rg;
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];
	const char *name = NULL;
	size_t sul = 0, sgl = 0;
	struct pd_error ignore;

	if (getpwuid_r(p->host_uid, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
		name = pw.pw_name;
	if (name)
		pd_strlcpy(p->user_name, name, sizeof(p->user_name));
	else
		snprintf(p->user_name, sizeof(p->user_name), "%u", (unsigned)p->host_uid);
	p->mode = PD_IDMAP_SINGLE;
	p->uid[0] = (struct pd_idmap_range){ 0, p->host_uid, 1 };
	p->gid[0] = (struct pd_idmap_range){ 0, p->host_gid, 1 };
	p->n_uid = p->n_gid = 1;

	if (pd_read_file_at(AT_FDCWD, "/etc/subuid", 0, SUBID_FILE_MAX, &su, &sul, &ignore) < 0 ||
	    pd_read_file_at(AT_FDCWD, "/etc/subgid", 0, SUBID_FILE_MAX, &sg, &sgl, &ignore) < 0 ||
	    !pd_subid_find(su, sul, name, p->host_uid, PD_SUBID_COUNT, &ru) ||
	    !pd_subid_find(sg, sgl, name, p->host_uid, PD_SUBID_COUNT, &rg)) {
		if (keep_id)
			return pd_error_set_msg(
				err, EPERM,
				"--userns=keep-id needs a range of %u "
				"subordinate ids for \"%s\" in /etc/subuid and /etc/subgid "
				"(usermod --add-subuids 100000-165535 --add-subgids "
				"100000-165535 %s)",
				PD_SUBID_COUNT, name ? name : "?", name ? name : "USER");
		pd_note("no range of %u subordinate ids for user \"%s\" in /etc/subuid and /etc/subgid: "
			"the sandbox maps only its root (add one with: usermod --add-subuids "
			"100000-165535 --add-subgids 100000-165535 %s)",
			PD_SUBID_COUNT, name ? name : "?", name ? name : "USER");
		return 0;
	}
	find_helper("newuidmap", p->newuidmap, sizeof(p->newuidmap));
	find_helper("newgidmap", p->newgidmap, sizeof(p->newgidmap));
	if (!p->newuidmap[0] || !p->newgidmap[0]) {
		if (keep_id)
			return pd_error_set_msg(err, EPERM,
						"--userns=keep-id needs newuidmap and "
						"newgidmap (Debian package \"uidmap\")");
		pd_note("newuidmap/newgidmap not found (Debian package \"uidmap\"): the sandbox maps "
			"only its root");
		return 0;
	}
	p->mode = PD_IDMAP_SUBID;
	if (keep_id) {
		if (keep_id_ranges(p->uid, p->host_uid, p->host_uid, ru.start, "uid", err) < 0 ||
		    keep_id_ranges(p->gid, p->host_gid, p->host_gid, rg.start, "gid", err) < 0)
			return -1;
		p->keep_id = true;
		p->n_uid = p->n_gid = 3;
		return 0;
	}
	p->uid[1] = (struct pd_idmap_range){ 1, ru.start, PD_SUBID_COUNT };
	p->gid[1] = (struct pd_idmap_range){ 1, rg.start, PD_SUBID_COUNT };
	p->n_uid = p->n_gid = 2;
	return 0;
}

void pd_idmap_plan_root(struct pd_idmap_plan *p, uint32_t ustart, uint32_t gstart)
{
	memset(p, 0, sizeof(*p));
	p->host_uid = getuid();
	p->host_gid = getgid();
	p->mode = PD_IDMAP_ROOT;
	p->uid[0] = (struct pd_idmap_range){ 0, ustart, PD_SUBID_COUNT };
	p->gid[0] = (struct pd_idmap_range){ 0, gstart, PD_SUBID_COUNT };
	p->n_uid = p->n_gid = 1;
	snprintf(p->user_name, sizeof(p->user_name), "root");
}

int pd_idmap_plan_rootless(struct pd_idmap_plan *p, bool keep_id, struct pd_error *err)
{
	memset(p, 0, sizeof(*p));
	p->host_uid = getuid();
	p->host_gid = getgid();
	return plan_rootless(p, keep_id, err);
}

static bool has_id(const struct pd_idmap_range *r, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= r[i].inside && id - r[i].inside < r[i].count)
			return true;
	return false;
}

bool pd_idmap_has_uid(const struct pd_idmap_plan *p, uint32_t id)
{
	return has_id(p->uid, p->n_uid, id);
}

bool pd_idmap_has_gid(const struct pd_idmap_plan *p, uint32_t id)
{
	return has_id(p->gid, p->n_gid, id);
}

uint32_t pd_idmap_max(const struct pd_idmap_plan *p)
{
	uint32_t m = 0;

	for (size_t i = 0; i < p->n_uid; i++)
		if (p->uid[i].inside + p->uid[i].count - 1 > m)
			m = p->uid[i].inside + p->uid[i].count - 1;
	return m;
}

static int write_proc(pid_t pid, const char *file, const char *s, struct pd_error *err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	return pd_write_file(path, s, err);
}

static void format_map(const struct pd_idmap_range *r, size_t n, char *buf, size_t sz)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < sz; i++) {
		int w = snprintf(buf + off, sz - off, "%u %u %u\n", r[i].inside, r[i].outside,
				 r[i].count);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/* Run newuidmap/newgidmap; their stderr becomes part of the error. */
struct helper {
	pid_t pid;
	int errfd;
	const char *path;
};

static int spawn_helper(struct helper *h, const char *path, pid_t target,
			const struct pd_idmap_range *r, size_t n, struct pd_error *err)
{
	char args[1 + 3 * 3][24];
	char *argv[2 + 3 * 3 + 1];
	char *envp[] = { NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2];
	size_t a = 0;
	int rc;

	snprintf(args[a], sizeof(args[a]), "%ld", (long)target);
	argv[0] = (char *)path;
	argv[1] = args[a++];
	for (size_t i = 0; i < n && i < 3; i++) {
		snprintf(args[a], sizeof(args[a]), "%u", r[i].inside);
		argv[a + 1] = args[a];
		a++;
		snprintf(args[a], sizeof(args[a]), "%u", r[i].outside);
		argv[a + 1] = args[a];
		a++;
		snprintf(args[a], sizeof(args[a]), "%u", r[i].count);
		argv[a + 1] = args[a];
		a++;
	}
	argv[a + 1] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return pd_error_set(err, errno, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	rc = posix_spawn(&h->pid, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	pd_close(pipefd[1]);
	if (rc != 0) {
		pd_close(pipefd[0]);
		return pd_error_set(err, rc, "run \"%s\"", path);
	}
	h->errfd = pipefd[0];
	h->path = path;
	return 0;
}

static int wait_helper(struct helper *h, struct pd_error *err)
{
	char out[512];
	ssize_t n = pd_read_all(h->errfd, out, sizeof(out) - 1);
	int st;

	pd_close(h->errfd);
	while (waitpid(h->pid, &st, 0) < 0)
		if (errno != EINTR)
			return pd_error_set(err, errno, "wait for \"%s\"", h->path);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return pd_error_set(err, 0, "\"%s\" failed%s%s", h->path, out[0] ? ": " : "", out);
	return 0;
}

int pd_idmap_write(const struct pd_idmap_plan *p, pid_t pid, struct pd_error *err)
{
	char map[128];

	switch (p->mode) {
	case PD_IDMAP_SUBID: {
		struct helper hu = { .pid = -1 }, hg = { .pid = -1 };
		int ru, rg;

		if (spawn_helper(&hu, p->newuidmap, pid, p->uid, p->n_uid, err) < 0)
			return -1;
		if (spawn_helper(&hg, p->newgidmap, pid, p->gid, p->n_gid, err) < 0) {
			struct pd_error ignore;

			(void)wait_helper(&hu, &ignore);
			return -1;
		}
		ru = wait_helper(&hu, err);
		if (ru < 0) {
			struct pd_error ignore;

			(void)wait_helper(&hg, &ignore);
			return -1;
		}
		rg = wait_helper(&hg, err);
		return rg;
	}
	case PD_IDMAP_SINGLE:
		if (write_proc(pid, "setgroups", "deny", err) < 0)
			return -1;
		__attribute__((fallthrough));
	case PD_IDMAP_ROOT:
		format_map(p->uid, p->n_uid, map, sizeof(map));
		if (write_proc(pid, "uid_map", map, err) < 0)
			return -1;
		format_map(p->gid, p->n_gid, map, sizeof(map));
		return write_proc(pid, "gid_map", map, err);
	default:
		return pd_error_set(err, EINVAL, "id map mode %d", (int)p->mode);
	}
}
