/* SPDX-License-Identifier: MIT */
/*
 * user.c - the container's users and groups, from its own files.
 *
 * /etc/passwd and /etc/group of the sandbox are untrusted bytes: they are
 * read through the root fd with openat2(RESOLVE_IN_ROOT), capped in size,
 * and split into fields with explicit lengths; a line that does not parse
 * is skipped, never half-used.  Docker's rules apply: a numeric uid without
 * an entry runs with gid 0 and HOME=/; a name must exist.
 */
#include "user.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <errno.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>

#define ACCOUNT_FILE_MAX (8u << 20)
#define MAX_FIELDS 8

struct fields {
	const char *f[MAX_FIELDS];
	size_t len[MAX_FIELDS];
	size_t n;
};

/* Split one line at ':' into at most MAX_FIELDS fields. */
static void split_fields(const char *line, size_t n, struct fields *out)
{
	size_t start = 0;

	out->n = 0;
	for (size_t i = 0; i <= n && out->n < MAX_FIELDS; i++) {
		if (i == n || line[i] == ':') {
			out->f[out->n] = line + start;
			out->len[out->n] = i - start;
			out->n++;
			start = i + 1;
		}
	}
}

static bool field_eq(const struct fields *fl, size_t i, const char *s)
{
	return strlen(s) == fl->len[i] && !memcmp(fl->f[i], s, fl->len[i]);
}

static int field_u32(const struct fields *fl, size_t i, uint32_t *v)
{
	char num[16];

	if (fl->len[i] == 0 || fl->len[i] >= sizeof(num))
		return -1;
	memcpy(num, fl->f[i], fl->len[i]);
	num[fl->len[i]] = '\0';
	return pd_parse_u32(num, v);
}

/* Call @fn for every line with the fields split; @fn returns 1 to stop. */
static int for_each_record(const char *text, size_t len, size_t min_fields,
			   int (*fn)(const struct fields *, void *), void *ctx)
{
	size_t off = 0;

	while (off < len) {
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;
		struct fields fl;

		off += n + (nl ? 1 : 0);
		if (n == 0 || line[0] == '#' || memchr(line, '\0', n))
			continue;
		split_fields(line, n, &fl);
		if (fl.n < min_fields || fl.len[0] == 0)
			continue;
		if (fn(&fl, ctx))
			return 1;
	}
	return 0;
}

struct pw_ctx {
	const char *name;
	uint32_t uid;
	struct pd_passwd_entry *out;
};

static int pw_cb(const struct fields *fl, void *p)
{
	struct pw_ctx *c = p;
	uint32_t uid, gid;

	if (field_u32(fl, 2, &uid) < 0 || field_u32(fl, 3, &gid) < 0)
		return 0;
	if (c->name ? !field_eq(fl, 0, c->name) : uid != c->uid)
		return 0;
	c->out->name = fl->f[0];
	c->out->name_len = fl->len[0];
	c->out->uid = uid;
	c->out->gid = gid;
	c->out->home = fl->f[5];
	c->out->home_len = fl->len[5];
	return 1;
}

int pd_passwd_lookup(const char *text, size_t len, const char *name, uint32_t uid,
		     struct pd_passwd_entry *out)
{
	struct pw_ctx c = { .name = name, .uid = uid, .out = out };

	return for_each_record(text, len, 7, pw_cb, &c);
}

struct gr_ctx {
	const char *name;
	uint32_t *gid;
};

static int gr_cb(const struct fields *fl, void *p)
{
	struct gr_ctx *c = p;
	uint32_t gid;

	if (field_u32(fl, 2, &gid) < 0)
		return 0;
	if (c->name ? !field_eq(fl, 0, c->name) : gid != *c->gid)
		return 0;
	*c->gid = gid;
	return 1;
}

int pd_group_lookup(const char *text, size_t len, const char *name, uint32_t *gid)
{
	struct gr_ctx c = { .name = name, .gid = gid };

	return for_each_record(text, len, 4, gr_cb, &c);
}

static void add_group(struct pd_user *u, uint32_t gid)
{
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i] == gid)
			return;
	if (u->n_groups < PD_USER_MAX_GROUPS)
		u->groups[u->n_groups++] = gid;
}

struct mem_ctx {
	const char *user;
	struct pd_user *u;
};

static int mem_cb(const struct fields *fl, void *p)
{
	struct mem_ctx *c = p;
	size_t ulen = strlen(c->user);
	const char *m = fl->f[3];
	size_t left = fl->len[3];
	uint32_t gid;

	if (field_u32(fl, 2, &gid) < 0)
		return 0;
	while (left > 0) {
		const char *comma = memchr(m, ',', left);
		size_t n = comma ? (size_t)(comma - m) : left;

		if (n == ulen && !memcmp(m, c->user, n))
			add_group(c->u, gid);
		if (!comma)
			break;
		left -= n + 1;
		m = comma + 1;
	}
	return 0;
}

void pd_group_members(const char *text, size_t len, const char *user, struct pd_user *u)
{
	struct mem_ctx c = { .user = user, .u = u };

	if (user && *user)
		(void)for_each_record(text, len, 4, mem_cb, &c);
}

/* Read one of the account files; a missing file reads as empty. */
static int read_account_file(int rootfd, const char *path, char **text, size_t *len,
			     struct pd_error *err)
{
	if (pd_read_file_at(rootfd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, ACCOUNT_FILE_MAX,
			    text, len, err) == 0)
		return 0;
	if (err->code != ENOENT)
		return pd_error_wrap(err, "the image's %s", path);
	*text = pd_xstrdup("");
	*len = 0;
	return 0;
}

static int not_found(struct pd_error *err, const char *what, const char *name, const char *file)
{
	return pd_error_set_msg(err, ENOENT, "%s \"%s\" not found in the image's %s", what, name,
				file);
}

static bool is_number(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int pd_user_resolve(int rootfd, const char *spec, struct pd_user *u, struct pd_error *err)
{
	cleanup_free char *pw = NULL, *gr = NULL;
	cleanup_free char *uname = NULL, *gname = NULL;
	struct pd_passwd_entry e;
	size_t pwl = 0, grl = 0;
	const char *colon;
	bool found;

	memset(u, 0, sizeof(*u));
	pd_strlcpy(u->home, "/", sizeof(u->home));
	spec = spec && *spec ? spec : "0";
	colon = strchr(spec, ':');
	uname = colon ? pd_xstrndup(spec, (size_t)(colon - spec)) : pd_xstrdup(spec);
	gname = colon ? pd_xstrdup(colon + 1) : NULL;

	if (read_account_file(rootfd, "/etc/passwd", &pw, &pwl, err) < 0 ||
	    read_account_file(rootfd, "/etc/group", &gr, &grl, err) < 0)
		return -1;

	if (is_number(uname, strlen(uname))) {
		if (pd_parse_u32(uname, &u->uid) < 0)
			return pd_error_set(err, ERANGE, "user \"%s\"", uname);
		found = pd_passwd_lookup(pw, pwl, NULL, u->uid, &e);
	} else {
		found = pd_passwd_lookup(pw, pwl, uname, 0, &e);
		if (!found)
			return not_found(err, "user", uname, "/etc/passwd");
		u->uid = e.uid;
	}
	if (found) {
		u->gid = e.gid;
		snprintf(u->name, sizeof(u->name), "%.*s", (int)e.name_len, e.name);
		if (e.home_len > 0 && e.home[0] == '/')
			snprintf(u->home, sizeof(u->home), "%.*s", (int)e.home_len, e.home);
	}
	if (gname) {
		if (is_number(gname, strlen(gname))) {
			if (pd_parse_u32(gname, &u->gid) < 0)
				return pd_error_set(err, ERANGE, "group \"%s\"", gname);
		} else if (!pd_group_lookup(gr, grl, gname, &u->gid)) {
			return not_found(err, "group", gname, "/etc/group");
		}
	}
	add_group(u, u->gid);
	pd_group_members(gr, grl, u->name, u);
	return 0;
}
