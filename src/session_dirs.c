/* SPDX-License-Identifier: MIT */
/* session_dirs.c - where sessions live, and their names (session_dirs.h). */
#include "session_dirs.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* mkdir -p @path (absolute), each directory made 0700; the last must be a directory. */
static int make_dirs(const char *path, struct pd_error *err)
{
	char p[PATH_MAX];
	struct stat st;
	size_t n = strlen(path);

	if (path[0] != '/' || n >= sizeof(p))
		return pd_error_set(err, EINVAL, "\"%s\": not an absolute path", path);
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return pd_error_set(err, errno, "mkdir \"%s\"", p);
		if (i < n)
			p[i] = '/';
	}
	if (stat(path, &st) < 0)
		return pd_error_set(err, errno, "\"%s\"", path);
	if (!S_ISDIR(st.st_mode))
		return pd_error_set(err, ENOTDIR, "\"%s\"", path);
	return 0;
}

/* /tmp/paude-UID: made, or else checked to be this user's own, not a link, mode 0700. */
static int private_tmp(char *out, size_t cap, struct pd_error *err)
{
	cleanup_close int fd = -1;
	struct stat st;
	uid_t uid = geteuid();

	snprintf(out, cap, "/tmp/paude-%u", (unsigned)uid);
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return pd_error_set(err, errno, "mkdir \"%s\"", out);
	fd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return pd_error_set(
			err, errno,
			"\"%s\" (no XDG_RUNTIME_DIR): not a directory of yours; remove it "
			"or set XDG_RUNTIME_DIR",
			out);
	if (st.st_uid != uid || (st.st_mode & 0777) != 0700)
		return pd_error_set_msg(
			err, EPERM,
			"\"%s\" (no XDG_RUNTIME_DIR) belongs to uid %u with mode %03o: "
			"a private directory of yours is needed there; remove it or "
			"set XDG_RUNTIME_DIR",
			out, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
	return 0;
}

int pd_session_dirs_paths(struct pd_session_dirs *d, struct pd_error *err)
{
	const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	const char *run = getenv("XDG_RUNTIME_DIR");
	int n;

	if (geteuid() == 0) {
		snprintf(d->data, sizeof(d->data), "/var/lib/paude/sessions");
		snprintf(d->run, sizeof(d->run), "/run/paude");
		return 0;
	}
	if (data && data[0] == '/')
		n = snprintf(d->data, sizeof(d->data), "%s/paude/sessions", data);
	else if (home && home[0] == '/')
		n = snprintf(d->data, sizeof(d->data), "%s/.local/share/paude/sessions", home);
	else
		return pd_error_set_msg(
			err, EINVAL,
			"no place for sessions: neither XDG_DATA_HOME nor HOME is set");
	if (n < 0 || (size_t)n >= sizeof(d->data))
		return pd_error_set(err, ENAMETOOLONG, "the sessions directory");
	n = run && run[0] == '/'
		    ? snprintf(d->run, sizeof(d->run), "%s/paude", run)
		    : snprintf(d->run, sizeof(d->run), "/tmp/paude-%u", (unsigned)geteuid());
	if (n < 0 || (size_t)n >= sizeof(d->run))
		return pd_error_set(err, ENAMETOOLONG, "XDG_RUNTIME_DIR");
	return 0;
}

int pd_session_dirs_get(struct pd_session_dirs *d, struct pd_error *err)
{
	const char *run = getenv("XDG_RUNTIME_DIR");

	if (pd_session_dirs_paths(d, err) < 0)
		return -1;
	if (geteuid() != 0 && !(run && run[0] == '/') &&
	    private_tmp(d->run, sizeof(d->run), err) < 0)
		return -1;
	if (make_dirs(d->data, err) < 0 || make_dirs(d->run, err) < 0)
		return pd_error_wrap(err, "sessions");
	return 0;
}

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int pd_session_name_check(const char *name, const char *run, struct pd_error *err)
{
	size_t n = strlen(name);
	struct sockaddr_un sa;

	if (n == 0 || n > PD_SESSION_NAME_MAX)
		return pd_error_set_msg(
			err, EINVAL,
			"session name \"%.64s\": 1 to %d characters of a-z, 0-9 and "
			"'-'",
			name, PD_SESSION_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		if (!alnum(name[i]) && name[i] != '-')
			return pd_error_set_msg(err, EINVAL,
						"session name \"%s\": only a-z, 0-9 and '-' (not "
						"'%c')",
						name, name[i]);
	if (!alnum(name[0]) || !alnum(name[n - 1]))
		return pd_error_set_msg(err, EINVAL,
					"session name \"%s\": starts and ends with a letter or a "
					"digit",
					name);
	/* RUN/NAME/control.sock must fit sun_path with its NUL */
	if (strlen(run) + 1 + n + 1 + strlen(PD_SESSION_SOCKET) + 1 > sizeof(sa.sun_path))
		return pd_error_set_msg(
			err, ENAMETOOLONG,
			"session name \"%s\": its control socket under \"%s\" would "
			"not fit a unix socket address; use a shorter name",
			name, run);
	return 0;
}

void pd_session_name_default(const char *dir, char *out, size_t cap)
{
	const char *end = dir + strlen(dir), *base;
	char stem[21], hex[7];
	size_t n = 0;
	bool dash = false;

	while (end > dir && end[-1] == '/') /* "/src/proj/" is "proj" */
		end--;
	for (base = end; base > dir && base[-1] != '/'; base--)
		;
	for (const char *p = base; p < end && n < sizeof(stem) - 1; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;

		if (alnum(c)) {
			if (dash && n > 0 && n < sizeof(stem) - 2)
				stem[n++] = '-';
			dash = false;
			stem[n++] = c;
		} else {
			dash = true;
		}
	}
	stem[n] = '\0';
	pd_random_hex(hex, 3);
	snprintf(out, cap, "%s-%s", n ? stem : "session", hex);
}
