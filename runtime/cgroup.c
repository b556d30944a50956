/* SPDX-License-Identifier: MIT */
/*
 * cgroup.c - find this process's cgroups and make the sandbox's.
 *
 * The sandbox's cgroup is made under paude's own, named paude-<random>.
 * Before making one, empty paude-* siblings left by a paude that was
 * SIGKILLed are removed (rmdir only succeeds on an empty cgroup, so a live
 * sandbox's cgroup is never touched).
 *
 * Delegation on cgroup v2 (pd_cgroup_delegate()): a controller reaches the
 * sandbox's cgroup only once paude's own cgroup lists it in
 * cgroup.subtree_control, and cgroup v2 refuses a domain controller (memory,
 * io, hugetlb) there with EBUSY while the cgroup holds processes ("no
 * internal processes") - and paude lives in it.  paude then moves itself
 * into a leaf paude-<pid>-<random> of its own and tries once more; when
 * that fails too (other processes are there), it enables nothing: what it
 * enabled is disabled again, it moves back and removes the leaf, and the
 * next mode is tried.  It never stays in a leaf on a failure path.
 *
 * The leaf is removed by the run that made it (pd_cgroup_undelegate(), at
 * the end of the run, after the sandbox's own cgroup is gone): empty
 * paude-* siblings of runs that have ended are swept, and when our leaf is
 * then the parent's only child, every controller of the parent's
 * subtree_control is disabled (the parent held processes when paude came,
 * so no domain controller was on before a paude enabled it; a threaded one
 * something else enabled goes too), paude moves back and the leaf is
 * removed.  When another child is there (a run still going), all that is
 * left for the last run out.  Enabling and moving, and the undo, hold
 * flock(LOCK_EX) on the parent directory, so concurrent paudes see each
 * other's leaves whole.
 */
#include "limits.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/mountinfo.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

int pd_cgroup_self_path(const char *text, size_t len, const char *controller, char *out,
			size_t outsz)
{
	size_t off = 0;

	while (off < len) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;
		const char *c1 = memchr(line, ':', n), *c2;
		size_t clen;

		off += n + (nl ? 1 : 0);
		if (!c1)
			continue;
		c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line));
		if (!c2)
			continue;
		clen = (size_t)(c2 - c1 - 1);
		/* v2: "0::/path"; v1: "N:ctl1,ctl2:/path" */
		if (!*controller ? clen == 0 && c1 - line == 1 && line[0] == '0' : clen > 0) {
			bool match = !*controller;

			for (const char *t = c1 + 1; !match && t < c2;) {
				const char *e = memchr(t, ',', (size_t)(c2 - t));
				size_t tl = e ? (size_t)(e - t) : (size_t)(c2 - t);

				match = tl == strlen(controller) && !memcmp(t, controller, tl);
				t += tl + 1;
			}
			if (match) {
				size_t pl = n - (size_t)(c2 + 1 - line);

				if (pl + 1 > outsz || pl == 0 || c2[1] != '/')
					return -1;
				memcpy(out, c2 + 1, pl);
				out[pl] = '\0';
				return 0;
			}
		}
	}
	return -1;
}

struct v1_find {
	const char *controller;
	char *mnt, *root;
	size_t msz, rsz;
};

static int v1_cb(const struct pd_mountinfo *m, void *p)
{
	struct v1_find *f = p;
	size_t n = strlen(f->controller);

	if (strcmp(m->fstype, "cgroup") != 0)
		return 0;
	for (const char *o = m->superopts; *o;) {
		size_t l = strcspn(o, ",");

		if (l == n && !strncmp(o, f->controller, n)) {
			pd_strlcpy(f->root, m->root, f->rsz);
			pd_strlcpy(f->mnt, m->mountpoint, f->msz);
			return 1;
		}
		o += l + (o[l] == ',');
	}
	return 0;
}

/* The mount point and root of the v1 hierarchy carrying @controller. */
static int find_v1_mount(const char *controller, char *mnt, size_t msz, char *root, size_t rsz)
{
	cleanup_free char *mi = NULL;
	struct v1_find f = { controller, mnt, root, msz, rsz };
	struct pd_error e;
	size_t len = 0;

	if (pd_mountinfo_read(&mi, &len, &e) < 0)
		return -1;
	return pd_mountinfo_foreach(mi, len, v1_cb, &f) == 1 ? 0 : -1;
}

/*
 * Remove the cgroups of paude processes that are gone: named
 * paude-<pid>-<random>, removed only when <pid> no longer exists (and rmdir
 * only succeeds on an empty cgroup anyway).  A live paude's cgroup, even one
 * it has just made and not joined yet, is never touched.
 */
static void sweep_stale(const char *parent)
{
	cleanup_closedir DIR *d = opendir(parent);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char num[16];
		const char *p = de->d_name + 6, *dash;
		uint32_t pid;

		if (de->d_type != DT_DIR || !pd_str_has_prefix(de->d_name, "paude-"))
			continue;
		dash = strchr(p, '-');
		if (!dash || (size_t)(dash - p) >= sizeof(num))
			continue;
		memcpy(num, p, (size_t)(dash - p));
		num[dash - p] = '\0';
		if (pd_parse_u32(num, &pid) < 0 || pid == 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		(void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
}

/*
 * pd_cgroup_dir() - where the sandbox's cgroup for @controller goes: the
 * directory of paude's own cgroup (@controller "" for the v2 hierarchy).
 * Return: 0 with @out, -1 when that hierarchy is not there.
 */
int pd_cgroup_dir(const char *controller, char *out, size_t outsz)
{
	cleanup_free char *self = NULL;
	struct pd_error e;
	char path[2048], mnt[1024], root[1024];
	size_t len = 0;
	struct statfs sf;

	if (pd_read_file_at(AT_FDCWD, "/proc/self/cgroup", 0, 1u << 16, &self, &len, &e) < 0)
		return -1;
	if (pd_cgroup_self_path(self, len, controller, path, sizeof(path)) < 0)
		return -1;
	if (!*controller) {
		if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
			return -1;
		snprintf(out, outsz, "/sys/fs/cgroup%s", strcmp(path, "/") ? path : "");
		return 0;
	}
	if (find_v1_mount(controller, mnt, sizeof(mnt), root, sizeof(root)) < 0)
		return -1;
	/* paude's cgroup path is relative to the hierarchy's root, which the
	 * mount may show only part of (inside a container). */
	if (strcmp(root, "/") != 0) {
		size_t rl = strlen(root);

		if (strncmp(path, root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
			return -1;
		memmove(path, path + rl, strlen(path + rl) + 1);
	}
	snprintf(out, outsz, "%s%s", mnt, strcmp(path, "/") != 0 ? path : "");
	return 0;
}

/*
 * pd_cgroup_make() - sweep stale siblings and make "@parent/@name".
 * Return: the new path, or NULL with errno set.
 */
char *pd_cgroup_make(const char *parent, const char *name)
{
	char *p = pd_xasprintf("%s/%s", parent, name);

	sweep_stale(parent);
	if (mkdir(p, 0755) < 0) {
		int saved = errno;

		free(p);
		errno = saved;
		return NULL;
	}
	return p;
}

/* pd_cgroup_write() - write @value to the control file @dir/@file. */
int pd_cgroup_write(const char *dir, const char *file, const char *value, struct pd_error *err)
{
	cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;

	if (dfd < 0)
		return pd_error_set(err, errno, "cgroup \"%s\"", dir);
	fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pd_write_all(fd, value, strlen(value)) < 0)
		return pd_error_set(err, errno, "cgroup \"%s/%s\": write \"%s\"", dir, file, value);
	return 0;
}

/* @word, whole, in a list of controllers ("cpu memory pids"). */
static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = text; (p = strstr(p, word)); p += n)
		if ((p == text || p[-1] == ' ' || p[-1] == '+') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

/* An fd of @dir holding flock(LOCK_EX), or -1 with errno set. */
static int lock_dir(const char *dir)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -1;
	return steal_fd(&fd);
}

/* The number of subdirectories (child cgroups) of @dir but @except; -1 on error. */
static int count_children(const char *dir, const char *except)
{
	cleanup_closedir DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (except && !strcmp(de->d_name, except)))
			continue;
		if (de->d_type == DT_DIR ||
		    (de->d_type == DT_UNKNOWN &&
		     fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		     S_ISDIR(st.st_mode)))
			n++;
	}
	return n;
}

/* Move this process from @leaf back to @parent and remove @leaf (best effort). */
static int leave_leaf(const char *parent, const char *leaf)
{
	if (pd_cgroup_write(parent, "cgroup.procs", "0", NULL) < 0)
		return -1;
	/* EBUSY while a process we forked is still in it: swept later. */
	(void)rmdir(leaf);
	return 0;
}

/*
 * Undo a delegation that failed half-way (the lock held): disable what we
 * enabled, newest first, and leave the leaf.  When paude cannot move back
 * (someone else enabled a domain controller meanwhile), the leaf stays in
 * @d for pd_cgroup_undelegate().
 */
static void undo_partial(const char *dir, struct pd_cgroup_deleg *d)
{
	while (d->n_added > 0) {
		char del[40];

		snprintf(del, sizeof(del), "-%s", d->added[--d->n_added]);
		(void)pd_cgroup_write(dir, "cgroup.subtree_control", del, NULL);
	}
	if (d->leaf && leave_leaf(dir, d->leaf) == 0) {
		free(d->leaf);
		d->leaf = NULL;
	}
	if (d->leaf)
		d->parent = pd_xstrdup(dir);
	else
		d->pid = 0;
}

/*
 * pd_cgroup_delegate() - enable @controllers for the children of the cgroup
 * v2 directory @dir (paude's own), moving this process into a leaf
 * @dir/paude-<pid>-<random> of its own when cgroup v2 refuses them while
 * @dir holds processes (see the top of this file).
 * @dir: the cgroup, a path (pd_cgroup_dir(""), or any a test makes)
 * @controllers: names, e.g. "memory"; at most PD_CGROUP_MAX_CTL
 * @n: their number
 * @d: filled with what changed, for pd_cgroup_undelegate() (zeroed first)
 * @err: why not
 *
 * Call pd_cgroup_undelegate(@d) once the cgroups made under @dir are
 * removed, whatever this returned.
 *
 * Return: 0 when the controllers are enabled; -1 with @err set when @dir
 * cannot give them, with everything it changed undone (and this process
 * back in @dir, unless even that is refused: then @d still names the leaf).
 */
int pd_cgroup_delegate(const char *dir, const char *const *controllers, size_t n,
		       struct pd_cgroup_deleg *d, struct pd_error *err)
{
	cleanup_free char *ctl = NULL, *sub = NULL;
	cleanup_close int lock = -1;
	char path[4200];
	size_t len;

	memset(d, 0, sizeof(*d));
	if (n > PD_CGROUP_MAX_CTL)
		return pd_error_set(err, EINVAL, "cgroup \"%s\": %zu controllers (at most %d)", dir,
				    n, PD_CGROUP_MAX_CTL);
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (pd_read_file_at(AT_FDCWD, path, 0, 4096, &ctl, &len, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strlen(controllers[i]) >= sizeof(d->added[0]) || !has_word(ctl, controllers[i]))
			return pd_error_set_msg(err, EOPNOTSUPP,
						"cgroup \"%s\": no %s controller (it has: %.*s)",
						dir, controllers[i], (int)strcspn(ctl, "\n"), ctl);
	}
	if (access(dir, W_OK) < 0)
		return pd_error_set(err, errno, "cgroup \"%s\"", dir);
	lock = lock_dir(dir);
	if (lock < 0)
		return pd_error_set(err, errno, "lock cgroup \"%s\"", dir);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	if (pd_read_file_at(AT_FDCWD, path, 0, 4096, &sub, &len, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char add[40], leaf_name[48], rnd[13];
		struct pd_error e;

		if (has_word(sub, controllers[i]))
			continue;
		snprintf(add, sizeof(add), "+%s", controllers[i]);
		if (pd_cgroup_write(dir, "cgroup.subtree_control", add, &e) < 0) {
			/* EBUSY: paude is in @dir; once only. */
			if (e.code != EBUSY || d->leaf) {
				if (err)
					*err = e;
				goto fail;
			}
			pd_random_hex(rnd, 6);
			snprintf(leaf_name, sizeof(leaf_name), "paude-%ld-%s", (long)getpid(), rnd);
			d->leaf = pd_cgroup_make(dir, leaf_name);
			if (!d->leaf) {
				pd_error_set(err, errno, "cgroup \"%s/%s\": mkdir", dir, leaf_name);
				goto fail;
			}
			d->pid = getpid();
			if (pd_cgroup_write(d->leaf, "cgroup.procs", "0", err) < 0) {
				(void)rmdir(d->leaf);
				free(d->leaf);
				d->leaf = NULL;
				goto fail;
			}
			if (pd_cgroup_write(dir, "cgroup.subtree_control", add, err) < 0)
				goto fail;
		}
		pd_strlcpy(d->added[d->n_added++], controllers[i], sizeof(d->added[0]));
	}
	d->parent = pd_xstrdup(dir);
	return 0;
fail:
	undo_partial(dir, d);
	return -1;
}

/*
 * The end of a run that moved into a leaf, under the lock: sweep ended
 * runs' cgroups, and when ours is then the parent's only child, disable
 * the parent's controllers, move back and remove the leaf.
 */
static void leave_if_last(const struct pd_cgroup_deleg *d)
{
	cleanup_close int lock = lock_dir(d->parent);
	cleanup_free char *sub = NULL;
	const char *slash = strrchr(d->leaf, '/');
	char path[4200];
	bool all_off = true;
	size_t len;

	if (lock < 0 || !slash)
		return;
	sweep_stale(d->parent);
	/* Another child: a run still going (it cleans up when it ends); a
	 * child of our leaf: not the state we made, left alone. */
	if (count_children(d->parent, slash + 1) != 0 || count_children(d->leaf, NULL) != 0)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", d->parent);
	if (pd_read_file_at(AT_FDCWD, path, 0, 4096, &sub, &len, NULL) < 0)
		return;
	for (char *save = NULL, *w = strtok_r(sub, " \n", &save); w;
	     w = strtok_r(NULL, " \n", &save)) {
		char del[64];

		snprintf(del, sizeof(del), "-%s", w);
		if (pd_cgroup_write(d->parent, "cgroup.subtree_control", del, NULL) < 0)
			all_off = false;
	}
	/* A domain controller still on: cgroup v2 would refuse the move. */
	if (all_off)
		(void)leave_leaf(d->parent, d->leaf);
}

/*
 * pd_cgroup_undelegate() - at the end of the run, after the sandbox's own
 * cgroup is removed: leave the leaf pd_cgroup_delegate() moved this process
 * into and remove it, and disable the parent's controllers, unless another
 * run still uses them (see the top of this file).  Only the process that
 * moved acts (a copy of it, e.g. a forked child, does not).  Frees and
 * zeroes @d.
 */
void pd_cgroup_undelegate(struct pd_cgroup_deleg *d)
{
	if (d->leaf && d->parent && d->pid == getpid())
		leave_if_last(d);
	free(d->parent);
	free(d->leaf);
	memset(d, 0, sizeof(*d));
}
