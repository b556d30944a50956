/* SPDX-License-Identifier: MIT */
/*
 * idrange.c - the host's provisioning for root-mode sandboxes: the
 * /etc/subuid and /etc/subgid entry of the passwd-less name "paude".
 *
 * As root, paude's sandboxes map onto that range (podman's "containers" for
 * --userns=auto is the model).  When the entry is missing, paude picks a
 * 65536-aligned range above shadow's SUB_UID_MAX default (600100000), so
 * useradd never hands it out, that overlaps no entry in either file, and
 * appends the same line to both files under shadow's lock-file protocol
 * ("<file>.lock"), writing a new file and renaming it into place.  This is
 * the caller's decision, made once (a session stores its plan), never the
 * runtime library's.
 */
#include "idrange.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SUBID_FILE_MAX (4u << 20)
#define PAUDE_RANGE_FLOOR 0x70000000u /* above shadow's SUB_UID_MAX default */

static bool lock_is_stale(const char *lock)
{
	char buf[32];
	cleanup_close int fd = open(lock, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;
	uint32_t pid;

	if (fd < 0)
		return false;
	n = pd_read_all(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (pd_parse_u32(buf, &pid) < 0 || pid == 0)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/*
 * shadow's lock protocol: write our pid to "<file>.<pid>", link it to
 * "<file>.lock" (atomic: exactly one process wins); a lock whose pid is dead
 * is stale and removed.  @lock is set only once the lock is ours.
 */
static int lock_file(const char *path, char *lock, size_t lsz, struct pd_error *err)
{
	char tmp[256], name[256], pid[32];
	cleanup_close int fd = -1;

	snprintf(name, sizeof(name), "%s.lock", path);
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return pd_error_set(err, errno, "create \"%s\"", tmp);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	if (pd_write_all(fd, pid, strlen(pid)) < 0) {
		pd_error_set(err, errno, "write \"%s\"", tmp);
		unlink(tmp);
		return -1;
	}
	for (int i = 0; i < 50; i++) {
		if (link(tmp, name) == 0) {
			unlink(tmp);
			pd_strlcpy(lock, name, lsz);
			return 0;
		}
		if (errno != EEXIST)
			break;
		if (lock_is_stale(name)) {
			(void)unlink(name);
			continue;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	pd_error_set(err, errno, "lock \"%s\" (held by another tool)", name);
	unlink(tmp);
	return -1;
}

/* Replace @path by its old text plus @line: same mode and owner, atomically. */
static int append_entry(const char *path, const char *old, size_t oldlen, const char *line,
			struct pd_error *err)
{
	char tmp[256];
	cleanup_close int fd = -1, dir = -1;
	struct stat st = { .st_mode = 0644, .st_uid = 0, .st_gid = 0 };
	bool existed = stat(path, &st) == 0;

	snprintf(tmp, sizeof(tmp), "%s+", path);
	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return pd_error_set(err, errno, "create \"%s\"", tmp);
	/* The umask must not narrow /etc/subuid: rootless users read it. */
	if (fchmod(fd, existed ? st.st_mode & 07777 : 0644) < 0 ||
	    (existed && fchown(fd, st.st_uid, st.st_gid) < 0) ||
	    pd_write_all(fd, old, oldlen) < 0 ||
	    (oldlen && old[oldlen - 1] != '\n' && pd_write_all(fd, "\n", 1) < 0) ||
	    pd_write_all(fd, line, strlen(line)) < 0 || fsync(fd) < 0) {
		pd_error_set(err, errno, "write \"%s\"", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		pd_error_set(err, errno, "rename \"%s\"", tmp);
		unlink(tmp);
		return -1;
	}
	dir = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0)
		(void)fsync(dir);
	return 0;
}

static int read_optional(const char *path, char **text, size_t *len, struct pd_error *err)
{
	if (pd_read_file_at(AT_FDCWD, path, 0, SUBID_FILE_MAX, text, len, err) == 0)
		return 0;
	if (err->code != ENOENT)
		return -1;
	*text = pd_xstrdup("");
	*len = 0;
	return 0;
}

/* The entry of @user (@count ids) in both files, added when missing. */
static int root_pool(const char *user, uint32_t count, uint32_t *ustart, uint32_t *gstart,
		     struct pd_error *err)
{
	static const char *const files[2] = { "/etc/subuid", "/etc/subgid" };
	cleanup_free char *u = NULL, *g = NULL;
	char locks[2][256] = { "", "" };
	struct pd_subid_range ru, rg;
	size_t ul = 0, gl = 0;
	bool have_u, have_g;
	uint32_t fresh;
	char line[64];
	int r = -1;

	if (read_optional(files[0], &u, &ul, err) < 0 || read_optional(files[1], &g, &gl, err) < 0)
		return -1;
	have_u = pd_subid_find(u, ul, user, UINT32_MAX, count, &ru);
	have_g = pd_subid_find(g, gl, user, UINT32_MAX, count, &rg);
	if (have_u && have_g) {
		*ustart = ru.start;
		*gstart = rg.start;
		return 0;
	}
	/* Missing: take both locks, re-read, and add the entry where it lacks. */
	if (lock_file(files[0], locks[0], sizeof(locks[0]), err) < 0)
		return -1;
	if (lock_file(files[1], locks[1], sizeof(locks[1]), err) < 0)
		goto out;
	free(u);
	free(g);
	u = g = NULL;
	if (read_optional(files[0], &u, &ul, err) < 0 || read_optional(files[1], &g, &gl, err) < 0)
		goto out;
	have_u = pd_subid_find(u, ul, user, UINT32_MAX, count, &ru);
	have_g = pd_subid_find(g, gl, user, UINT32_MAX, count, &rg);
	if (!have_u || !have_g) {
		if (pd_subid_free_start(u, ul, g, gl, PAUDE_RANGE_FLOOR, count, &fresh) < 0) {
			pd_error_set(err, errno,
				     "no free %u-id range in /etc/subuid and /etc/subgid", count);
			goto out;
		}
		snprintf(line, sizeof(line), "%s:%u:%u\n", user, fresh, count);
		if (!have_u && append_entry(files[0], u, ul, line, err) < 0)
			goto out;
		if (!have_g && append_entry(files[1], g, gl, line, err) < 0)
			goto out;
	}
	*ustart = have_u ? ru.start : fresh;
	*gstart = have_g ? rg.start : fresh;
	r = 0;
out:
	for (int i = 0; i < 2; i++)
		if (locks[i][0])
			unlink(locks[i]);
	return r;
}

int pd_subid_root_range(uint32_t *ustart, uint32_t *gstart, struct pd_error *err)
{
	return root_pool(PD_SUBID_USER, PD_SUBID_COUNT, ustart, gstart, err);
}

int pd_subid_sessions_pool(uint32_t *ustart, uint32_t *gstart, struct pd_error *err)
{
	return root_pool(PD_SUBID_SESSIONS_USER, PD_SUBID_COUNT * PD_SESSIONS_POOL_SLOTS, ustart,
			 gstart, err);
}

/* True when this process is in the initial user namespace (real root). */
static bool in_initial_userns(void)
{
	cleanup_free char *map = NULL;
	struct pd_error e;
	char *p, *end;
	unsigned long v[3];

	if (pd_read_file_at(AT_FDCWD, "/proc/self/uid_map", 0, 4096, &map, NULL, &e) < 0)
		return false;
	p = map;
	for (int i = 0; i < 3; i++) {
		errno = 0;
		v[i] = strtoul(p, &end, 10);
		if (errno || end == p)
			return false;
		p = end;
	}
	return v[0] == 0 && v[1] == 0 && v[2] == 4294967295ul;
}

/* Find an executable @name in $PATH or the usual places; "" when absent. */
int pd_idmap_decide(struct pd_idmap_plan *p, bool keep_id, struct pd_error *err)
{
	uint32_t us, gs;

	if (geteuid() == 0 && in_initial_userns()) {
		if (keep_id)
			return pd_error_set_msg(err, EINVAL,
						"--userns=keep-id is for rootless runs: as "
						"root the sandbox maps onto paude's own range");
		if (pd_subid_root_range(&us, &gs, err) < 0)
			return pd_error_wrap(err, "root-mode id range");
		pd_idmap_plan_root(p, us, gs);
		return 0;
	}
	return pd_idmap_plan_rootless(p, keep_id, err);
}
