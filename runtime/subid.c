/* SPDX-License-Identifier: MIT */
/*
 * subid.c - /etc/subuid and /etc/subgid: parsing, and the root-mode entry.
 *
 * The files are "name_or_uid:start:count" lines.  They are parsed from a
 * bounded buffer, line by line, without allocation; malformed lines are
 * skipped (as shadow's tools do), never trusted.
 *
 * As root, paude's sandboxes map onto the range of the passwd-less name
 * "paude" (podman's "containers" for --userns=auto is the model).  When the
 * entry is missing, paude picks a 65536-aligned range above shadow's
 * SUB_UID_MAX default (600100000), so useradd never hands it out, that
 * overlaps no entry in either file, and appends the same line to both files
 * under shadow's lock-file protocol ("<file>.lock"), writing a new file and
 * renaming it into place.
 */
#include "idmap.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SUBID_FILE_MAX (4u << 20)
#define PAUDE_RANGE_FLOOR 0x70000000u

struct subid_line {
	const char *name;
	size_t name_len;
	uint32_t start, count;
};

/* Parse one line; 1 when it is a valid entry. */
static int parse_line(const char *line, size_t n, struct subid_line *out)
{
	const char *c1 = memchr(line, ':', n);
	const char *c2;
	char num[16];
	size_t l;

	if (!c1 || c1 == line)
		return 0;
	c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line));
	if (!c2)
		return 0;
	l = (size_t)(c2 - c1 - 1);
	if (l == 0 || l >= sizeof(num))
		return 0;
	memcpy(num, c1 + 1, l);
	num[l] = '\0';
	if (pd_parse_u32(num, &out->start) < 0)
		return 0;
	l = n - (size_t)(c2 + 1 - line);
	if (l == 0 || l >= sizeof(num))
		return 0;
	memcpy(num, c2 + 1, l);
	num[l] = '\0';
	if (pd_parse_u32(num, &out->count) < 0 || out->count == 0)
		return 0;
	if ((uint64_t)out->start + out->count > UINT32_MAX)
		return 0;
	out->name = line;
	out->name_len = (size_t)(c1 - line);
	return 1;
}

/* Iterate the valid entries of @text; @fn returns non-zero to stop. */
static int for_each_line(const char *text, size_t len,
			 int (*fn)(const struct subid_line *, void *), void *ctx)
{
	size_t off = 0;

	while (off < len) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;
		struct subid_line e;
		int r;

		off += n + (nl ? 1 : 0);
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#' || !parse_line(line, n, &e))
			continue;
		r = fn(&e, ctx);
		if (r)
			return r;
	}
	return 0;
}

struct find_ctx {
	const char *user;
	char uidstr[16];
	uint32_t min;
	struct pd_subid_range *out;
};

static int find_cb(const struct subid_line *e, void *p)
{
	struct find_ctx *c = p;
	bool by_name = c->user && strlen(c->user) == e->name_len &&
		       !memcmp(c->user, e->name, e->name_len);
	bool by_uid = strlen(c->uidstr) == e->name_len && !memcmp(c->uidstr, e->name, e->name_len);

	if ((by_name || by_uid) && e->count >= c->min) {
		c->out->start = e->start;
		c->out->count = e->count;
		return 1;
	}
	return 0;
}

int pd_subid_find(const char *text, size_t len, const char *user, uint32_t uid, uint32_t min,
		  struct pd_subid_range *out)
{
	struct find_ctx c = { .user = user, .min = min, .out = out };

	snprintf(c.uidstr, sizeof(c.uidstr), "%u", uid);
	return for_each_line(text, len, find_cb, &c);
}

struct overlap_ctx {
	uint64_t start, end;
};

static int overlap_cb(const struct subid_line *e, void *p)
{
	struct overlap_ctx *c = p;
	uint64_t s = e->start, t = (uint64_t)e->start + e->count;

	return s < c->end && c->start < t;
}

int pd_subid_free_start(const char *a, size_t alen, const char *b, size_t blen,
			uint32_t floor, uint32_t count, uint32_t *start)
{
	uint64_t s;

	if (count == 0) {
		errno = EINVAL;
		return -1;
	}
	s = ((uint64_t)floor + count - 1) / count * count;
	for (; s + count <= (uint64_t)UINT32_MAX; s += count) {
		struct overlap_ctx c = { .start = s, .end = s + count };

		if (!for_each_line(a, alen, overlap_cb, &c) && !for_each_line(b, blen, overlap_cb, &c)) {
			*start = (uint32_t)s;
			return 0;
		}
	}
	errno = ERANGE;
	return -1;
}

/* A lock file left by a process that is gone (shadow writes its pid in it). */
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

int pd_subid_root_range(uint32_t *ustart, uint32_t *gstart, struct pd_error *err)
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
	have_u = pd_subid_find(u, ul, PD_SUBID_USER, UINT32_MAX, PD_SUBID_COUNT, &ru);
	have_g = pd_subid_find(g, gl, PD_SUBID_USER, UINT32_MAX, PD_SUBID_COUNT, &rg);
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
	have_u = pd_subid_find(u, ul, PD_SUBID_USER, UINT32_MAX, PD_SUBID_COUNT, &ru);
	have_g = pd_subid_find(g, gl, PD_SUBID_USER, UINT32_MAX, PD_SUBID_COUNT, &rg);
	if (!have_u || !have_g) {
		if (pd_subid_free_start(u, ul, g, gl, PAUDE_RANGE_FLOOR, PD_SUBID_COUNT, &fresh) < 0) {
			pd_error_set(err, errno, "no free 65536-id range in /etc/subuid and /etc/subgid");
			goto out;
		}
		snprintf(line, sizeof(line), "%s:%u:%u\n", PD_SUBID_USER, fresh, PD_SUBID_COUNT);
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
