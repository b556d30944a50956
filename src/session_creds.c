/* SPDX-License-Identifier: MIT */
/*
 * session_creds.c - the user's files a session gets (session_creds.h).
 *
 * Everything is read as the user, on the host, by the supervisor before the
 * sandbox starts; the sandbox never sees a host path.  Inside ~/.claude
 * nothing is followed: each name is opened beneath its directory's fd with
 * O_NOFOLLOW, and only directories and regular files are taken (a symlink,
 * fifo, socket or device is skipped; files are opened O_NONBLOCK and checked
 * with fstat before a byte is read, so a fifo never hangs paude).  The
 * whole copy is bounded (SEED_MAX), each file too.
 */
#include "session_creds.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_MAX (1u << 20)     /* a staged file */
#define FILE_MAX (64ull << 20)  /* a file of ~/.claude */
#define SEED_MAX (512ull << 20) /* all of it */
#define DEPTH_MAX 32

/* The predecessor's exclusions: per-machine state, history and caches. */
static const char *const excluded[] = {
	"debug",
	"file-history",
	"history.jsonl",
	"paste-cache",
	"session-env",
	"shell-snapshots",
	"stats-cache.json",
	"tasks",
	"todos",
	"projects",
	"cache",
	".git",
	NULL,
};

/* Files holding absolute plugin paths. */
static const char *const rewritten[] = {
	"plugins/installed_plugins.json",
	"plugins/known_marketplaces.json",
	NULL,
};

static const struct {
	const char *src, *dst;
} staged[] = {
	{ ".gitconfig", ".gitconfig" },
	{ ".config/git/ignore", ".config/git/ignore" },
	{ ".config/gcloud/application_default_credentials.json",
	  ".config/gcloud/application_default_credentials.json" },
};

/* Sections of a gitconfig that carry credentials, or host paths: never copied. */
static const char *const gitconfig_dropped[] = {
	"credential", "http",    "url",       "github",    "hub",
	"gh",         "include", "includeif", "sendemail", NULL,
};

static bool word_in(const char *w, size_t n, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == n && !strncasecmp(w, list[i], n))
			return true;
	return false;
}

char *pd_gitconfig_filter(const char *text, size_t len, size_t *out_len)
{
	char *out = pd_xmalloc(len + 1);
	bool skip_section = false, cont_skip = false, cont = false;
	size_t k = 0;

	for (size_t i = 0; i < len;) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) + 1 : len - i;
		const char *p = line;
		bool drop;

		i += n;
		while (p < line + n && (*p == ' ' || *p == '\t'))
			p++;
		if (cont) {
			drop = cont_skip; /* a continued value goes with its key */
		} else if (p < line + n && *p == '[') {
			size_t w = strcspn(p + 1, " \t.]\"\n");

			skip_section = word_in(p + 1, w, gitconfig_dropped);
			drop = skip_section;
		} else {
			size_t w = strcspn(p, " \t=\n");
			char key[64];

			snprintf(key, sizeof(key), "%.*s", (int)(w < 63 ? w : 63), p);
			for (char *c = key; *c; c++)
				*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
			drop = skip_section || strstr(key, "token") || strstr(key, "password") ||
			       strstr(key, "extraheader") || strstr(key, "askpass") ||
			       strstr(key, "secret");
		}
		/* a value ending in a backslash goes on on the next line */
		cont = n >= 2 && line[n - 1] == '\n' && line[n - 2] == '\\';
		cont_skip = drop;
		if (!drop) {
			memcpy(out + k, line, n);
			k += n;
		}
	}
	out[k] = '\0';
	*out_len = k;
	return out;
}

int pd_creds_stage(const char *home, const char *dir, const char *agent_home,
		   struct pd_mount **mounts, size_t *n, struct pd_error *err)
{
	cleanup_close int dfd = -1;
	cleanup_close int hfd = -1;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return pd_error_set(err, errno, "mkdir \"%s\"", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return pd_error_set(err, errno, "\"%s\"", dir);
	hfd = home ? open(home, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	for (size_t i = 0; i < sizeof(staged) / sizeof(staged[0]); i++) {
		cleanup_free char *text = NULL;
		struct pd_error ignore;
		char name[8];
		size_t len = 0;

		snprintf(name, sizeof(name), "f%zu", i);
		(void)unlinkat(dfd, name, 0);
		/* the user's own file: a symlink to their dotfiles is followed */
		if (hfd < 0 ||
		    pd_read_file_at(hfd, staged[i].src, 0, COPY_MAX, &text, &len, &ignore) < 0)
			continue;
		if (i == 0) { /* ~/.gitconfig: without credentials */
			size_t flen = 0;
			char *f = pd_gitconfig_filter(text, len, &flen);

			free(text);
			text = f;
			len = flen;
		}
		if (pd_replace_file_at(dfd, name, text, len, 0644, err) < 0)
			return pd_error_wrap(err, "\"%s\"", dir);
		*mounts = pd_xreallocarray(*mounts, *n + 1, sizeof(**mounts));
		(*mounts)[(*n)++] = (struct pd_mount){
			.type = PD_MOUNT_BIND,
			.source = pd_xasprintf("%s/%s", dir, name),
			.dest = pd_xasprintf("%s/%s", agent_home, staged[i].dst),
			.read_only = true,
		};
	}
	return 0;
}

/* ---- the ~/.claude seed ---- */

struct seed {
	struct archive *a;
	int fd;   /* the memfd */
	int werr; /* errno of a failed write */
	uint64_t total;
	const char *home, *agent_home;
	char *buf;
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t n)
{
	struct seed *s = data;

	(void)a;
	if (pd_write_all(s->fd, buf, n) < 0) {
		s->werr = errno;
		return -1;
	}
	return (la_ssize_t)n;
}

static int tar_fail(struct seed *s, const char *name, struct pd_error *err)
{
	if (s->werr)
		return pd_error_set(err, s->werr, "seed %s", name);
	return pd_error_set_msg(err, EIO, "seed %s: %s", name,
				archive_error_string(s->a) ? archive_error_string(s->a)
							   : "libarchive");
}

static int header(struct seed *s, const char *name, bool dir, mode_t mode, size_t size,
		  struct pd_error *err)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, (mode & 0700) | (dir ? 0700 : 0600));
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_size(e, (la_int64_t)size);
	if (archive_write_header(s->a, e) != ARCHIVE_OK)
		r = tar_fail(s, name, err);
	archive_entry_free(e);
	return r;
}

/* @text with every "@from" made "@to" (heap). */
static char *replace_all(const char *text, size_t len, const char *from, const char *to,
			 size_t *out_len)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0, k = 0;
	char *r;

	for (const char *p = text; fl && (p = memmem(p, len - (size_t)(p - text), from, fl));
	     p += fl)
		n++;
	r = pd_xmalloc(len + n * (tl > fl ? tl - fl : 0) + 1);
	for (size_t i = 0; i < len;) {
		if (fl && i + fl <= len && !memcmp(text + i, from, fl)) {
			memcpy(r + k, to, tl);
			k += tl;
			i += fl;
		} else {
			r[k++] = text[i++];
		}
	}
	r[k] = '\0';
	*out_len = k;
	return r;
}

static bool is_rewritten(const char *rel)
{
	for (size_t i = 0; rewritten[i]; i++)
		if (!strcmp(rel, rewritten[i]))
			return true;
	return false;
}

/* One regular file open at @fd, as member @name (@rel: its path in ~/.claude). */
static int add_file(struct seed *s, int fd, const struct stat *st, const char *name,
		    const char *rel, struct pd_error *err)
{
	if ((uint64_t)st->st_size > FILE_MAX || s->total + (uint64_t)st->st_size > SEED_MAX) {
		pd_note("~/%s is too large to copy into the session: skipped", name);
		return 0;
	}
	s->total += (uint64_t)st->st_size;
	if (rel && is_rewritten(rel)) {
		cleanup_free char *text = NULL, *from = NULL, *to = NULL, *out = NULL;
		size_t len = 0, out_len = 0;

		ssize_t got;

		text = pd_xmalloc((size_t)st->st_size + 1);
		got = pd_read_all(fd, text, (size_t)st->st_size);
		if (got < 0)
			return pd_error_set(err, errno, "read ~/%s", name);
		len = (size_t)got;
		from = pd_xasprintf("%s/.claude/", s->home);
		to = pd_xasprintf("%s/.claude/", s->agent_home);
		out = replace_all(text, len, from, to, &out_len);
		if (header(s, name, false, st->st_mode, out_len, err) < 0)
			return -1;
		if (archive_write_data(s->a, out, out_len) != (la_ssize_t)out_len)
			return tar_fail(s, name, err);
		return 0;
	}
	if (header(s, name, false, st->st_mode, (size_t)st->st_size, err) < 0)
		return -1;
	for (off_t done = 0; done < st->st_size;) {
		size_t want = (size_t)(st->st_size - done) < 65536 ? (size_t)(st->st_size - done)
								   : 65536;
		ssize_t r = read(fd, s->buf, want);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return pd_error_set(err, errno, "read ~/%s", name);
		if (r == 0) /* it shrank: pad, the header promised its size */
			memset(s->buf, 0, want), r = (ssize_t)want;
		if (archive_write_data(s->a, s->buf, (size_t)r) != r)
			return tar_fail(s, name, err);
		done += r;
	}
	return 0;
}

static bool is_excluded(const char *name, int depth)
{
	if (depth != 0)
		return false;
	for (size_t i = 0; excluded[i]; i++)
		if (!strcmp(name, excluded[i]))
			return true;
	return false;
}

/* The directory open at @dfd as member @name (rel @rel, "" at the top). */
static int add_dir(struct seed *s, int dfd, const char *name, const char *rel, int depth,
		   struct pd_error *err)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;
	int dup_fd;

	if (depth > DEPTH_MAX)
		return 0;
	if (header(s, name, true, 0700, 0, err) < 0)
		return -1;
	dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		pd_close(dup_fd);
		return pd_error_set(err, errno, "~/%s", name);
	}
	while ((e = readdir(d))) {
		cleanup_close int fd = -1;
		cleanup_free char *child = NULL, *crel = NULL;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    is_excluded(e->d_name, depth))
			continue;
		fd = openat(dfd, e->d_name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			continue; /* a symlink (ELOOP), gone, or unreadable */
		child = pd_xasprintf("%s/%s", name, e->d_name);
		crel = rel[0] ? pd_xasprintf("%s/%s", rel, e->d_name) : pd_xstrdup(e->d_name);
		if (S_ISDIR(st.st_mode)) {
			if (add_dir(s, fd, child, crel, depth + 1, err) < 0)
				return -1;
		} else if (S_ISREG(st.st_mode)) {
			if (add_file(s, fd, &st, child, crel, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int seed_write(struct seed *s, int hfd, struct pd_error *err)
{
	cleanup_close int cdir = -1;
	cleanup_close int cjson = -1;
	struct stat st;

	/* ~/.claude itself may be the user's symlink (to dotfiles): followed */
	cdir = openat(hfd, ".claude", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cdir >= 0 && add_dir(s, cdir, ".claude", "", 0, err) < 0)
		return -1;
	cjson = openat(hfd, ".claude.json", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (cjson >= 0 && fstat(cjson, &st) == 0 && S_ISREG(st.st_mode) &&
	    add_file(s, cjson, &st, ".claude.json", NULL, err) < 0)
		return -1;
	return 0;
}

int pd_creds_claude_seed(const char *home, const char *agent_home, int *out, struct pd_error *err)
{
	struct seed s = { .fd = -1, .home = home, .agent_home = agent_home };
	cleanup_close int hfd = -1;
	int r = -1;

	*out = -1;
	if (!home || home[0] != '/')
		return 0;
	hfd = open(home, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (hfd < 0)
		return 0;
	if (faccessat(hfd, ".claude", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    faccessat(hfd, ".claude.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	s.fd = memfd_create("claude-seed", MFD_CLOEXEC);
	if (s.fd < 0)
		return pd_error_set(err, errno, "memfd");
	s.buf = pd_xmalloc(65536);
	s.a = archive_write_new();
	if (!s.a || archive_write_set_format_pax(s.a) != ARCHIVE_OK ||
	    archive_write_open(s.a, &s, NULL, write_cb, NULL) != ARCHIVE_OK) {
		pd_error_set_msg(err, EIO, "~/.claude seed: libarchive");
		goto out;
	}
	if (seed_write(&s, hfd, err) < 0)
		goto out;
	if (archive_write_close(s.a) != ARCHIVE_OK) {
		tar_fail(&s, "~/.claude", err);
		goto out;
	}
	if (lseek(s.fd, 0, SEEK_SET) < 0) {
		pd_error_set(err, errno, "memfd");
		goto out;
	}
	*out = steal_fd(&s.fd);
	r = 0;
out:
	if (s.a)
		archive_write_free(s.a);
	free(s.buf);
	pd_close(s.fd);
	return r;
}
