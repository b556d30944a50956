/* SPDX-License-Identifier: MIT */
/*
 * audit.c - the network audit log: one JSON line per proxy or DNS decision.
 *
 * Theory of operation.
 *
 * Lines.  A record is formatted into a stack buffer of PD_AUDIT_LINE_MAX
 * bytes: fixed keys, six strings escaped and each capped at
 * PD_AUDIT_STR_MAX bytes, an address, four numbers and the time, so the
 * worst case (about 3.4 KiB, see LINE_WORST below) always fits and nothing
 * is ever allocated per line.  The line is then handed to the kernel with
 * ONE write(2) on an fd opened with O_APPEND: the kernel places each such
 * write at the end of the file under the inode's lock, so lines written by
 * any number of processes (several sandboxes, each with its own proxy,
 * sharing one log) never interleave or overwrite each other.  On stderr
 * (no path) a line is at most PIPE_BUF bytes, which keeps it whole on a
 * pipe too.
 *
 * Rotation.  Before each write the writer fstat()s its own fd.  When the
 * line would take the file past max_bytes (and the file is not empty):
 *   1. flock(LOCK_EX) on the fd: every writer whose fd is the file at the
 *      path takes the same lock, so at most one of them rotates it;
 *   2. fstatat() the path (without following a symlink) and compare its
 *      inode with the fd's.  A different inode or none means another
 *      process rotated already: just reopen the path (creating it when the
 *      other one has not yet) and go on;
 *   3. still the same file: renameat path.(keep-1) -> path.keep, ...,
 *      path.1 -> path.2, then path -> path.1 (the oldest one is replaced,
 *      gaps are skipped), and open a new file at the path;
 *   4. unlock and close the old fd; check the new file's size again (a few
 *      rounds at most: then the line goes where the fd points).
 * A writer that missed a rotation keeps appending to its old file, now
 * path.1, until that file's size sends it through step 2 (a file is only
 * rotated when full, so that is at most a few lines), or at once when the
 * file was unlinked (rotated past keep, or removed by hand: st_nlink is 0).
 * Nothing is lost but lines beyond the kept files, and a rotated file may
 * exceed max_bytes by the lines of such late writers.  All of it works relative to an
 * O_PATH fd of the log's directory, opened once: the rotated names are the
 * file's own name plus ".k", never a path built from strings.
 *
 * Opening.  The parents are walked one component at a time with openat()
 * from "/" (or the working directory).  A missing directory is made with
 * mkdirat(0700) and opened with O_NOFOLLOW (what we made, not a link put
 * there since); existing ones are followed, symlinks included, since the
 * path comes from the user's own configuration.  The file itself is opened
 * with O_NOFOLLOW (a symlink there is refused, even a dangling one: O_CREAT
 * would otherwise create its target) and O_NONBLOCK (a FIFO there fails
 * instead of blocking; the flag means nothing for a regular file), and must
 * be a regular file.
 */
#include "proxy/audit.h"

#include "common/cleanup.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct pd_audit {
	int fd;                  /* the log; STDERR_FILENO (not ours) without a path */
	int dirfd;               /* O_PATH fd of the log's directory; -1 for stderr */
	char base[NAME_MAX + 1]; /* the log's name in that directory */
	uint64_t max_bytes;
	unsigned keep;
};

/*
 * The longest line: the keys and punctuation (under 200 bytes), the time
 * (a 24-byte string, more only for years past 9999, which gmtime_r bounds
 * to an int), six strings of PD_AUDIT_STR_MAX plus quotes, an address,
 * a port and three 20-digit numbers.
 */
#define LINE_WORST (200 + 40 + 6 * (PD_AUDIT_STR_MAX + 2) + PD_ADDR_STRLEN + 2 + 5 + 3 * 20)
_Static_assert(LINE_WORST < PD_AUDIT_LINE_MAX, "an audit line must fit its buffer");

/* Rotation rounds per write before the line goes where the fd points. */
#define ROTATE_ROUNDS 4

struct line {
	char *b;
	size_t n;
};

static void put(struct line *l, const char *s, size_t n)
{
	/* LINE_WORST makes this unreachable; cut rather than overflow all the same */
	if (n > PD_AUDIT_LINE_MAX - 2 - l->n)
		n = PD_AUDIT_LINE_MAX - 2 - l->n;
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static bool cont(uint8_t c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * The escaped form of the character at @s (NUL-terminated) into @piece.
 * Return: its length; *adv is how many input bytes it took.
 */
static size_t escape_one(const uint8_t *s, size_t *adv, char piece[8])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t c = s[0];
	uint32_t cp;
	size_t n;

	if (c < 0x80) {
		*adv = 1;
		if (c == '"' || c == '\\') {
			piece[0] = '\\';
			piece[1] = (char)c;
			return 2;
		}
		if (c >= 0x20 && c != 0x7f) {
			piece[0] = (char)c;
			return 1;
		}
		cp = c;
		goto u00;
	}
	/* Well-formed UTF-8 (Unicode 15, table 3-7); NUL stops every check. */
	if (c >= 0xc2 && c <= 0xdf && cont(s[1])) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef && cont(s[1]) && cont(s[2]) &&
		   (c != 0xe0 || s[1] >= 0xa0) && (c != 0xed || s[1] <= 0x9f)) {
		n = 3;
	} else if (c >= 0xf0 && c <= 0xf4 && cont(s[1]) && cont(s[2]) && cont(s[3]) &&
		   (c != 0xf0 || s[1] >= 0x90) && (c != 0xf4 || s[1] <= 0x8f)) {
		n = 4;
	} else {
		*adv = 1;
		piece[0] = (char)0xef; /* U+FFFD */
		piece[1] = (char)0xbf;
		piece[2] = (char)0xbd;
		return 3;
	}
	*adv = n;
	if (n == 2 && c == 0xc2 && s[1] <= 0x9f) {
		cp = s[1]; /* a C1 control */
		goto u00;
	}
	memcpy(piece, s, n);
	return n;
u00:
	piece[0] = '\\';
	piece[1] = 'u';
	piece[2] = '0';
	piece[3] = '0';
	piece[4] = hex[cp >> 4];
	piece[5] = hex[cp & 0xf];
	return 6;
}

/* @s as a JSON string (or null), its escaped form capped at PD_AUDIT_STR_MAX. */
static void put_str(struct line *l, const char *str)
{
	const uint8_t *s = (const uint8_t *)str;
	char piece[8];
	size_t total = 0, adv, k, w = 0;
	bool cut;

	if (!s) {
		puts_(l, "null");
		return;
	}
	/* does it fit whole?  (count no further than the cap) */
	for (k = 0; s[k] && total <= PD_AUDIT_STR_MAX; k += adv)
		total += escape_one(s + k, &adv, piece);
	cut = total > PD_AUDIT_STR_MAX;
	put(l, "\"", 1);
	for (k = 0; s[k]; k += adv) {
		size_t pn = escape_one(s + k, &adv, piece);

		if (cut && w + pn > PD_AUDIT_STR_MAX - 3)
			break;
		put(l, piece, pn);
		w += pn;
	}
	if (cut)
		put(l, "...", 3);
	put(l, "\"", 1);
}

static void put_u64(struct line *l, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);

	put(l, num, (size_t)n);
}

static void put_time(struct line *l, struct timespec t)
{
	char buf[64];
	struct tm tm;
	time_t sec;
	long ms;
	int n;

	if (t.tv_sec == 0 && t.tv_nsec == 0)
		clock_gettime(CLOCK_REALTIME, &t);
	sec = t.tv_sec;
	if (!gmtime_r(&sec, &tm)) {
		puts_(l, "null");
		return;
	}
	ms = t.tv_nsec / 1000000;
	if (ms < 0 || ms > 999)
		ms = 0;
	n = snprintf(buf, sizeof(buf), "\"%04lld-%02d-%02dT%02d:%02d:%02d.%03ldZ\"",
		     (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ms);
	put(l, buf, (size_t)n);
}

static void put_addr(struct line *l, const struct pd_addr *a)
{
	char buf[PD_ADDR_STRLEN];
	const void *src;

	if (!a || (a->family != AF_INET && a->family != AF_INET6)) {
		puts_(l, "null");
		return;
	}
	src = a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6;
	if (!inet_ntop(a->family, src, buf, sizeof(buf))) {
		puts_(l, "null");
		return;
	}
	put(l, "\"", 1);
	puts_(l, buf);
	put(l, "\"", 1);
}

size_t pd_audit_format(const struct pd_audit_record *r, char buf[PD_AUDIT_LINE_MAX])
{
	struct line l = { buf, 0 };

	puts_(&l, "{\"time\":");
	put_time(&l, r->when);
	puts_(&l, ",\"sandbox\":");
	put_str(&l, r->sandbox);
	puts_(&l, ",\"kind\":");
	put_str(&l, r->kind);
	puts_(&l, ",\"method\":");
	put_str(&l, r->method);
	puts_(&l, ",\"host\":");
	put_str(&l, r->host);
	puts_(&l, ",\"port\":");
	put_u64(&l, r->port);
	puts_(&l, ",\"addr\":");
	put_addr(&l, r->addr);
	puts_(&l, ",\"rule\":");
	put_str(&l, r->rule);
	puts_(&l, r->allowed ? ",\"verdict\":\"allow\"" : ",\"verdict\":\"deny\"");
	puts_(&l, ",\"reason\":");
	put_str(&l, r->reason);
	puts_(&l, ",\"bytes_up\":");
	put_u64(&l, r->bytes_up);
	puts_(&l, ",\"bytes_down\":");
	put_u64(&l, r->bytes_down);
	puts_(&l, ",\"duration_ms\":");
	put_u64(&l, r->duration_ms);
	/* put() leaves two bytes: the brace, then the newline and the NUL */
	l.b[l.n++] = '}';
	l.b[l.n++] = '\n';
	l.b[l.n] = '\0';
	return l.n;
}

/*
 * Open (create) the directory holding @path, making missing ones, and copy
 * the last component into @base.  Return: an O_PATH fd, or -1 with @err set.
 */
static int open_parent(const char *path, char base[NAME_MAX + 1], struct pd_error *err)
{
	cleanup_close int dir = -1;
	size_t len = strlen(path);
	const char *p = path;

	if (len == 0 || path[len - 1] == '/')
		return pd_error_set(err, EINVAL, "audit log \"%s\": not a file name", path);
	dir = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return pd_error_set(err, errno, "audit log \"%s\": open %s", path,
				    path[0] == '/' ? "/" : "the working directory");
	for (;;) {
		char comp[NAME_MAX + 1];
		const char *e;
		size_t n;
		int next;

		while (*p == '/')
			p++;
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n > NAME_MAX)
			return pd_error_set(err, ENAMETOOLONG, "audit log \"%s\"", path);
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (!e) {
			memcpy(base, comp, n + 1);
			return steal_fd(&dir);
		}
		p = e;
		next = openat(dir, comp, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(dir, comp, 0700) < 0 && errno != EEXIST)
				return pd_error_set(err, errno, "create directory \"%.*s\"",
						    (int)(e - path), path);
			next = openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0)
			return pd_error_set(err, errno, "open directory \"%.*s\"", (int)(e - path),
					    path);
		pd_close(dir);
		dir = next;
	}
}

/* Open (create) the file at the path.  Return: the fd, or -errno. */
static int open_log(const struct pd_audit *a, struct stat *st)
{
	cleanup_close int fd = openat(a->dirfd, a->base,
				      O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
					      O_NOCTTY | O_CLOEXEC,
				      0600);

	if (fd < 0 || fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	return steal_fd(&fd);
}

struct pd_audit *pd_audit_open(const char *path, uint64_t max_bytes, unsigned keep,
			       struct pd_error *err)
{
	cleanup_free struct pd_audit *a = NULL;
	struct stat st;
	int fd;

	if (keep > PD_AUDIT_KEEP_MAX) {
		pd_error_set(err, EINVAL, "audit log: keep %u rotated files: at most %u", keep,
			     PD_AUDIT_KEEP_MAX);
		return NULL;
	}
	a = pd_xcalloc(1, sizeof(*a));
	a->max_bytes = max_bytes ? max_bytes : PD_AUDIT_DEFAULT_MAX_BYTES;
	a->keep = keep ? keep : PD_AUDIT_DEFAULT_KEEP;
	a->fd = STDERR_FILENO;
	a->dirfd = -1;
	if (!path)
		return steal_ptr(&a);
	a->dirfd = open_parent(path, a->base, err);
	if (a->dirfd < 0)
		return NULL;
	fd = open_log(a, &st);
	if (fd < 0) {
		pd_close(a->dirfd);
		if (fd == -ELOOP)
			pd_error_set_msg(err, ELOOP, "audit log \"%s\" is a symbolic link: refused",
					 path);
		else if (fd == -EINVAL)
			pd_error_set_msg(err, EINVAL, "audit log \"%s\" is not a regular file",
					 path);
		else
			pd_error_set(err, -fd, "open audit log \"%s\"", path);
		return NULL;
	}
	a->fd = fd;
	return steal_ptr(&a);
}

/* path -> path.1 -> ... -> path.keep (replaced).  Return: 0 or -errno. */
static int shift_files(const struct pd_audit *a)
{
	char from[NAME_MAX + 16], to[NAME_MAX + 16];

	for (unsigned k = a->keep; k >= 2; k--) {
		snprintf(from, sizeof(from), "%s.%u", a->base, k - 1);
		snprintf(to, sizeof(to), "%s.%u", a->base, k);
		if (renameat(a->dirfd, from, a->dirfd, to) < 0 && errno != ENOENT)
			return -errno;
	}
	snprintf(to, sizeof(to), "%s.1", a->base);
	if (renameat(a->dirfd, a->base, a->dirfd, to) < 0)
		return -errno;
	return 0;
}

/*
 * Steps 1-4 of the theory of operation for a file that is full (@st: its
 * fstat): rotate it or follow another process's rotation.
 * Return: 0 (a->fd is then the file at the path) or -errno (a->fd unchanged).
 */
static int rotate(struct pd_audit *a, const struct stat *st, size_t n)
{
	struct stat cur, nst;
	int old = a->fd, r = 0;

	while (flock(old, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	if (fstatat(a->dirfd, a->base, &cur, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			r = -errno;
		/* ENOENT: between another rotation's rename and its reopen */
	} else if (cur.st_ino == st->st_ino && cur.st_dev == st->st_dev) {
		/* ours is the current file: is it still due (under the lock)? */
		if (fstat(old, &cur) < 0)
			r = -errno;
		else if (cur.st_size == 0 || (uint64_t)cur.st_size + n <= a->max_bytes)
			r = 1; /* someone emptied it: keep writing to it */
		else
			r = shift_files(a);
	}
	if (r == 0) {
		int fd = open_log(a, &nst);

		if (fd < 0)
			r = fd;
		else
			a->fd = fd;
	}
	flock(old, LOCK_UN);
	if (a->fd != old)
		pd_close(old);
	return r < 0 ? r : 0;
}

/* Rotate when the line of @n bytes would overfill the file.  Return: 0 or -errno. */
static int rotate_if_due(struct pd_audit *a, size_t n)
{
	for (int round = 0; round < ROTATE_ROUNDS; round++) {
		struct stat st;
		int r;

		if (fstat(a->fd, &st) < 0)
			return -errno;
		/* a file that is no longer linked (rotated past keep, or removed) is
		 * not due but gone: rotate() sees another inode at the path, reopens */
		if (st.st_nlink > 0 &&
		    (st.st_size == 0 || (uint64_t)st.st_size + n <= a->max_bytes))
			return 0;
		r = rotate(a, &st, n);
		if (r < 0)
			return r;
	}
	return 0;
}

int pd_audit_write(struct pd_audit *a, const struct pd_audit_record *r)
{
	char line[PD_AUDIT_LINE_MAX];
	size_t n = pd_audit_format(r, line);
	int rot = 0;
	ssize_t w;

	if (a->dirfd >= 0)
		rot = rotate_if_due(a, n);
	do
		w = write(a->fd, line, n);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	if ((size_t)w != n) {
		errno = EIO;
		return -EIO;
	}
	if (rot < 0) {
		errno = -rot;
		return rot;
	}
	return 0;
}

void pd_audit_close(struct pd_audit *a)
{
	if (!a)
		return;
	if (a->dirfd >= 0) {
		pd_close(a->fd);
		pd_close(a->dirfd);
	}
	free(a);
}
