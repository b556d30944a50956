/* SPDX-License-Identifier: MIT */
/*
 * cgroup.c - find this process's cgroups and make the sandbox's.
 *
 * The sandbox's cgroup is made under paude's own, named paude-<random>.
 * Before making one, empty paude-* siblings left by a paude that was
 * SIGKILLed are removed (rmdir only succeeds on an empty cgroup, so a live
 * sandbox's cgroup is never touched).
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
