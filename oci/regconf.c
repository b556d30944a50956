/* SPDX-License-Identifier: MIT */
/*
 * regconf.c - containers-registries.conf(5), the part a pull needs
 * (regconf.h).
 *
 * Theory of operation: the file is read line by line from a bounded buffer
 * (no allocation per line).  A line is a table header ([[registry]],
 * [[registry.mirror]], or any other, whose keys are then skipped), a
 * "key = value" pair, a comment or blank.  Values are basic or literal
 * strings, booleans, or arrays of strings (which may span lines; only
 * unqualified-search-registries keeps one, other keys' are skipped).  Every string read is bounded and free of
 * control bytes; anything else is an error naming the line.
 */
#include "regconf.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_LEN 4096

struct cur {
	const char *p, *end;
	size_t line;
	const char *what;
	struct pd_error *err;
};

static int bad(struct cur *c, const char *why)
{
	return pd_error_set_msg(c->err, EINVAL, "%s:%zu: %s", c->what, c->line, why);
}

static void skip_blank(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* At the end of a line (a comment counts as the end): consume it. */
static int end_of_line(struct cur *c)
{
	skip_blank(c);
	if (c->p < c->end && *c->p == '#')
		while (c->p < c->end && *c->p != '\n')
			c->p++;
	if (c->p < c->end && *c->p == '\r')
		c->p++;
	if (c->p < c->end && *c->p != '\n')
		return bad(c, "unexpected text after the value");
	if (c->p < c->end)
		c->p++;
	c->line++;
	return 0;
}

/* A "basic" or 'literal' string into @out (at most @cap - 1 bytes). */
static int string(struct cur *c, char *out, size_t cap)
{
	char q = *c->p++;
	size_t n = 0;

	if (c->p + 1 < c->end && c->p[0] == q && c->p[1] == q)
		return bad(c, "multi-line strings are not read");
	while (c->p < c->end && *c->p != q) {
		unsigned char ch = (unsigned char)*c->p++;

		if (ch < 0x20 || ch == 0x7f) /* a newline too */
			return bad(c, "a control character in a string");
		if (ch == '\\' && q == '"') {
			if (c->p >= c->end)
				break;
			ch = (unsigned char)*c->p++;
			if (ch != '"' && ch != '\\')
				return bad(c, "only \\\" and \\\\ are read in a string");
		}
		if (n + 1 >= cap)
			return bad(c, "a string too long");
		out[n++] = (char)ch;
	}
	if (c->p >= c->end)
		return bad(c, "an unterminated string");
	c->p++;
	out[n] = '\0';
	return 0;
}

/*
 * An array of strings (possibly over several lines): into @out (at most
 * @max of them, each under PD_REGCONF_LOCATION_MAX bytes), or skipped when
 * @out is NULL.
 */
static int array(struct cur *c, char (*out)[PD_REGCONF_LOCATION_MAX], size_t max, size_t *n)
{
	char tmp[LINE_MAX_LEN];

	c->p++; /* '[' */
	for (;;) {
		while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' ||
					 *c->p == '\n' || *c->p == ',')) {
			if (*c->p == '\n')
				c->line++;
			c->p++;
		}
		if (c->p < c->end && *c->p == '#') {
			while (c->p < c->end && *c->p != '\n')
				c->p++;
			continue;
		}
		if (c->p >= c->end)
			return bad(c, "an unterminated array");
		if (*c->p == ']') {
			c->p++;
			return 0;
		}
		if (*c->p != '"' && *c->p != '\'')
			return bad(c, "an array of anything but strings");
		if (!out) {
			if (string(c, tmp, sizeof(tmp)) < 0)
				return -1;
			continue;
		}
		if (*n == max)
			return bad(c, "too many entries in the array");
		if (string(c, out[*n], PD_REGCONF_LOCATION_MAX) < 0)
			return -1;
		(*n)++;
	}
}

enum vtype { V_STRING, V_BOOL, V_ARRAY };

struct value {
	enum vtype type;
	char s[PD_REGCONF_LOCATION_MAX];
	bool b;
	/* where an array is kept (NULL: skipped) */
	char (*list)[PD_REGCONF_LOCATION_MAX];
	size_t max, n;
};

static int value(struct cur *c, struct value *v)
{
	skip_blank(c);
	if (c->p >= c->end)
		return bad(c, "a key without a value");
	if (*c->p == '"' || *c->p == '\'') {
		v->type = V_STRING;
		return string(c, v->s, sizeof(v->s));
	}
	if (*c->p == '[') {
		v->type = V_ARRAY;
		return array(c, v->list, v->max, &v->n);
	}
	if ((size_t)(c->end - c->p) >= 4 && !memcmp(c->p, "true", 4)) {
		v->type = V_BOOL;
		v->b = true;
		c->p += 4;
		return 0;
	}
	if ((size_t)(c->end - c->p) >= 5 && !memcmp(c->p, "false", 5)) {
		v->type = V_BOOL;
		v->b = false;
		c->p += 5;
		return 0;
	}
	return bad(c, "a value that is not a string, a boolean or an array of strings");
}

static bool key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* A location or prefix: no blanks, no scheme, not empty. */
static int location(struct cur *c, const struct value *v, char *out)
{
	if (v->type != V_STRING)
		return bad(c, "location and prefix are strings");
	if (!v->s[0] || strchr(v->s, ' ') || strstr(v->s, "://"))
		return bad(c, "a location is HOST[:PORT][/NAMESPACE], without a scheme");
	pd_strlcpy(out, v->s, PD_REGCONF_LOCATION_MAX);
	return 0;
}

static int boolean(struct cur *c, const struct value *v, bool *out)
{
	if (v->type != V_BOOL)
		return bad(c, "insecure and blocked are true or false");
	*out = v->b;
	return 0;
}

enum table { T_TOP, T_REGISTRY, T_MIRROR, T_ALIASES, T_OTHER };

static int header(struct cur *c, struct pd_regconf *out, enum table *t)
{
	const char *start = c->p;
	size_t n;

	while (c->p < c->end && *c->p != '\n' && *c->p != '#')
		c->p++;
	n = (size_t)(c->p - start);
	while (n && (start[n - 1] == ' ' || start[n - 1] == '\t' || start[n - 1] == '\r'))
		n--;
	if (n == 12 && !memcmp(start, "[[registry]]", 12)) {
		if (out->n == PD_REGCONF_ENTRIES)
			return bad(c, "too many [[registry]] tables");
		memset(&out->entries[out->n++], 0, sizeof(out->entries[0]));
		*t = T_REGISTRY;
	} else if (n == 19 && !memcmp(start, "[[registry.mirror]]", 19)) {
		struct pd_regconf_entry *e = out->n ? &out->entries[out->n - 1] : NULL;

		if (!e)
			return bad(c, "[[registry.mirror]] before any [[registry]]");
		if (e->n_mirrors == PD_REGCONF_MIRRORS)
			return bad(c, "too many mirrors");
		memset(&e->mirrors[e->n_mirrors++], 0, sizeof(e->mirrors[0]));
		*t = T_MIRROR;
	} else if (n == 9 && !memcmp(start, "[aliases]", 9)) {
		*t = T_ALIASES;
	} else if (n >= 2 && start[0] == '[' && start[n - 1] == ']') {
		*t = T_OTHER;
	} else {
		return bad(c, "a malformed table header");
	}
	return end_of_line(c);
}

/* The first @n bytes of @s name a registry: a '.' or a ':' in them, or "localhost". */
static bool names_registry(const char *s, size_t n)
{
	return n > 0 &&
	       (memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !memcmp(s, "localhost", 9)));
}

/* A registry's name alone: no path, no scheme, no blanks. */
static bool search_registry_ok(const char *s)
{
	return !strpbrk(s, "/ @\t") && names_registry(s, strlen(s));
}

/* "NAME" = "HOST[:PORT]/REPO": a short name and a whole one, no tag or digest. */
static int alias(struct cur *c, struct pd_regconf *out, const char *key, const struct value *v)
{
	const char *slash = strchr(v->s, '/');
	struct pd_regconf_alias *a = NULL;
	size_t first = strcspn(key, "/");

	if (v->type != V_STRING)
		return bad(c, "an alias is a string");
	if (!key[0] || key[0] == '/' || strpbrk(key, ":@ \t") ||
	    (key[first] == '/' &&
	     (memchr(key, '.', first) || (first == 9 && !memcmp(key, "localhost", 9)))))
		return bad(c, "an alias's name is a short name (no registry, tag or digest)");
	if (!slash || !names_registry(v->s, (size_t)(slash - v->s)) || !slash[1] ||
	    strchr(v->s, '@') || strchr(v->s, ' ') || strchr(slash, ':'))
		return bad(c,
			   "an alias names HOST[:PORT]/REPO (a registry with a '.' or a ':', "
			   "or localhost), without a tag or digest");
	for (size_t i = 0; i < out->n_aliases && !a; i++)
		if (!strcmp(out->aliases[i].name, key))
			a = &out->aliases[i]; /* the last one wins */
	if (!a) {
		if (out->n_aliases == PD_REGCONF_ALIASES)
			return bad(c, "too many aliases");
		a = &out->aliases[out->n_aliases++];
	}
	pd_strlcpy(a->name, key, sizeof(a->name));
	pd_strlcpy(a->value, v->s, sizeof(a->value));
	return 0;
}

static int pair(struct cur *c, struct pd_regconf *out, enum table t)
{
	const char *k = c->p;
	struct value v = { 0 };
	struct pd_regconf_entry *e = out->n ? &out->entries[out->n - 1] : NULL;
	char key[PD_REGCONF_LOCATION_MAX];
	size_t kn;

	if (*c->p == '"' || *c->p == '\'') { /* a quoted key ([aliases] have them) */
		if (string(c, key, sizeof(key)) < 0)
			return -1;
	} else {
		while (c->p < c->end && key_char(*c->p))
			c->p++;
		kn = (size_t)(c->p - k);
		if (!kn || kn >= sizeof(key))
			return bad(c, "expected a key, a table or a comment");
		memcpy(key, k, kn);
		key[kn] = '\0';
	}
	skip_blank(c);
	if (c->p >= c->end || *c->p != '=')
		return bad(c, "expected '=' after the key (dotted keys are not read)");
	c->p++;
	if (t == T_TOP && !strcmp(key, "unqualified-search-registries")) {
		v.list = out->search;
		v.max = PD_REGCONF_SEARCH;
	}
	if (value(c, &v) < 0)
		return -1;
	if (t == T_TOP && !strcmp(key, "short-name-mode")) {
		if (v.type == V_STRING && !strcmp(v.s, "enforcing"))
			out->short_mode = PD_SHORT_ENFORCING;
		else if (v.type == V_STRING && !strcmp(v.s, "permissive"))
			out->short_mode = PD_SHORT_PERMISSIVE;
		else if (v.type == V_STRING && !strcmp(v.s, "disabled"))
			out->short_mode = PD_SHORT_DISABLED;
		else
			return bad(c,
				   "short-name-mode is \"enforcing\", \"permissive\" or "
				   "\"disabled\"");
		out->has_short_mode = true;
	} else if (v.list) {
		if (v.type != V_ARRAY)
			return bad(c, "unqualified-search-registries is an array of strings");
		for (size_t i = 0; i < v.n; i++)
			if (!search_registry_ok(v.list[i]))
				return bad(
					c,
					"unqualified-search-registries holds registries: HOST[:PORT]");
		out->n_search = v.n;
		out->has_search = true;
	} else if (t == T_ALIASES) {
		if (alias(c, out, key, &v) < 0)
			return -1;
	} else if (t == T_REGISTRY) {
		if (!strcmp(key, "location") && location(c, &v, e->location) < 0)
			return -1;
		if (!strcmp(key, "prefix") && location(c, &v, e->prefix) < 0)
			return -1;
		if (!strcmp(key, "insecure") && boolean(c, &v, &e->insecure) < 0)
			return -1;
		if (!strcmp(key, "blocked") && boolean(c, &v, &e->blocked) < 0)
			return -1;
	} else if (t == T_MIRROR) {
		struct pd_regconf_mirror *m = &e->mirrors[e->n_mirrors - 1];

		if (!strcmp(key, "location") && location(c, &v, m->location) < 0)
			return -1;
		if (!strcmp(key, "insecure") && boolean(c, &v, &m->insecure) < 0)
			return -1;
	}
	return end_of_line(c);
}

int pd_regconf_parse(const char *text, size_t len, const char *what, struct pd_regconf *out,
		     struct pd_error *err)
{
	struct cur c = { .p = text, .end = text + len, .line = 1, .what = what, .err = err };
	enum table t = T_TOP;

	memset(out, 0, sizeof(*out));
	if (len > PD_REGCONF_MAX)
		return pd_error_set_msg(err, EFBIG, "%s: more than %u bytes", what, PD_REGCONF_MAX);
	if (memchr(text, '\0', len))
		return pd_error_set_msg(err, EINVAL, "%s: a NUL byte", what);
	out->entries = pd_xcalloc(PD_REGCONF_ENTRIES, sizeof(*out->entries));
	out->search = pd_xcalloc(PD_REGCONF_SEARCH, sizeof(*out->search));
	out->aliases = pd_xcalloc(PD_REGCONF_ALIASES, sizeof(*out->aliases));
	while (c.p < c.end) {
		int r;

		skip_blank(&c);
		if (c.p < c.end && *c.p == '[')
			r = header(&c, out, &t);
		else if (c.p >= c.end || *c.p == '#' || *c.p == '\n' || *c.p == '\r')
			r = end_of_line(&c);
		else
			r = pair(&c, out, t);
		if (r < 0) {
			pd_regconf_release(out);
			return -1;
		}
	}
	for (size_t i = 0; i < out->n; i++) {
		struct pd_regconf_entry *e = &out->entries[i];

		if (!e->location[0] && !e->prefix[0]) {
			pd_error_set_msg(err, EINVAL,
					 "%s: [[registry]] %zu has no location or prefix", what,
					 i + 1);
			pd_regconf_release(out);
			return -1;
		}
		if (!e->prefix[0])
			pd_strlcpy(e->prefix, e->location, sizeof(e->prefix));
		for (size_t j = 0; j < e->n_mirrors; j++)
			if (!e->mirrors[j].location[0]) {
				pd_error_set_msg(err, EINVAL, "%s: a mirror of %s has no location",
						 what, e->prefix);
				pd_regconf_release(out);
				return -1;
			}
	}
	return 0;
}

void pd_regconf_release(struct pd_regconf *c)
{
	free(c->entries);
	free(c->search);
	free(c->aliases);
	memset(c, 0, sizeof(*c));
}

/* How much of @name @prefix matches (0: not at all). */
static size_t match(const char *prefix, const char *name)
{
	size_t pn = strlen(prefix), hn = strcspn(name, "/");

	if (prefix[0] == '*' && prefix[1] == '.') {
		/* "*.example.com": any host under example.com, nothing else */
		if (strchr(prefix, '/') || hn < pn ||
		    memcmp(name + hn - (pn - 1), prefix + 1, pn - 1) != 0)
			return 0;
		return pn;
	}
	if (strncmp(name, prefix, pn) != 0 || (name[pn] != '\0' && name[pn] != '/'))
		return 0;
	return pn;
}

const struct pd_regconf_entry *pd_regconf_find(const struct pd_regconf *c, const char *name)
{
	const struct pd_regconf_entry *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; c && i < c->n; i++) {
		size_t m = match(c->entries[i].prefix, name);

		if (m > best_len) {
			best = &c->entries[i];
			best_len = m;
		}
	}
	return best;
}

const char *pd_regconf_alias(const struct pd_regconf *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_aliases; i++)
		if (!strcmp(c->aliases[i].name, name))
			return c->aliases[i].value;
	return NULL;
}

static int load_file(const char *path, struct pd_regconf *out, bool must, struct pd_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		if (errno == ENOENT && !must)
			return 1;
		return pd_error_set(err, errno, "registries.conf \"%s\"", path);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return pd_error_set(err, S_ISREG(st.st_mode) ? errno : EINVAL,
				    "registries.conf \"%s\": not a regular file", path);
	if (st.st_size > PD_REGCONF_MAX)
		return pd_error_set_msg(err, EFBIG, "registries.conf \"%s\": more than %u bytes",
					path, PD_REGCONF_MAX);
	buf = pd_xmalloc((size_t)st.st_size + 1);
	n = pd_read_all(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return pd_error_set(err, errno, "read \"%s\"", path);
	return pd_regconf_parse(buf, (size_t)n, path, out, err);
}

/* An empty configuration that merges can grow. */
static void regconf_init(struct pd_regconf *c)
{
	memset(c, 0, sizeof(*c));
	c->entries = pd_xcalloc(PD_REGCONF_ENTRIES, sizeof(*c->entries));
	c->search = pd_xcalloc(PD_REGCONF_SEARCH, sizeof(*c->search));
	c->aliases = pd_xcalloc(PD_REGCONF_ALIASES, sizeof(*c->aliases));
}

int pd_regconf_merge(struct pd_regconf *dst, const struct pd_regconf *src, const char *what,
		     struct pd_error *err)
{
	for (size_t i = 0; i < src->n; i++) {
		size_t k = 0;

		while (k < dst->n && strcmp(dst->entries[k].prefix, src->entries[i].prefix) != 0)
			k++;
		if (k == dst->n && dst->n == PD_REGCONF_ENTRIES)
			return pd_error_set_msg(err, E2BIG,
						"%s: more than %d [[registry]] tables in all", what,
						PD_REGCONF_ENTRIES);
		dst->entries[k] = src->entries[i]; /* the later file's table wins */
		if (k == dst->n)
			dst->n++;
	}
	if (src->has_search) {
		memcpy(dst->search, src->search, src->n_search * sizeof(*src->search));
		dst->n_search = src->n_search;
		dst->has_search = true;
	}
	if (src->has_short_mode) {
		dst->short_mode = src->short_mode;
		dst->has_short_mode = true;
	}
	for (size_t i = 0; i < src->n_aliases; i++) {
		size_t k = 0;

		while (k < dst->n_aliases &&
		       strcmp(dst->aliases[k].name, src->aliases[i].name) != 0)
			k++;
		if (k == dst->n_aliases && dst->n_aliases == PD_REGCONF_ALIASES)
			return pd_error_set_msg(err, E2BIG, "%s: more than %d aliases in all", what,
						PD_REGCONF_ALIASES);
		dst->aliases[k] = src->aliases[i];
		if (k == dst->n_aliases)
			dst->n_aliases++;
	}
	return 0;
}

/* One file merged into @out. 1 when it is absent (and not @must), 0, or -1. */
static int merge_file(const char *path, struct pd_regconf *out, bool must, struct pd_error *err)
{
	struct pd_regconf one = { 0 };
	int r = load_file(path, &one, must, err);

	if (r != 0)
		return r;
	r = pd_regconf_merge(out, &one, path, err);
	pd_regconf_release(&one);
	return r;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The drop-ins of @dir ("*.conf", in the order of their names), merged into @out. */
static int merge_dir(const char *dir, struct pd_regconf *out, struct pd_error *err)
{
	cleanup_closedir DIR *d = opendir(dir);
	cleanup_strv char **names = NULL;
	size_t n = 0;
	struct dirent *e;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR
			       ? 0
			       : pd_error_set(err, errno, "\"%s\"", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		struct stat st;

		if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		/* other files and directories are ignored, as containers/image does */
		if (fstatat(dirfd(d), e->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == PD_REGCONF_DROPINS)
			return pd_error_set_msg(err, E2BIG, "\"%s\": more than %d files", dir,
						PD_REGCONF_DROPINS);
		pd_strv_push(&names, e->d_name);
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *p = pd_xasprintf("%s/%s", dir, names[i]);

		if (merge_file(p, out, false, err) < 0) /* gone meanwhile: fine */
			return -1;
	}
	return 0;
}

int pd_regconf_load(struct pd_regconf *out, struct pd_error *err)
{
	const char *env = getenv("CONTAINERS_REGISTRIES_CONF");
	const char *env_dir = getenv("CONTAINERS_REGISTRIES_CONF_DIR");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	const char *sys_dir = env_dir && *env_dir ? env_dir : "/etc/containers/registries.conf.d";
	cleanup_free char *user = NULL, *user_file = NULL, *user_dir = NULL;
	bool system_dir = true;
	int r;

	regconf_init(out);
	if (geteuid() != 0 && ((xdg && xdg[0] == '/') || (home && home[0] == '/'))) {
		user = xdg && xdg[0] == '/' ? pd_xasprintf("%s/containers", xdg)
					    : pd_xasprintf("%s/.config/containers", home);
		user_file = pd_xasprintf("%s/registries.conf", user);
		user_dir = pd_xasprintf("%s/registries.conf.d", user);
	}
	if (env && *env) { /* that file, then the drop-ins as usual */
		if (merge_file(env, out, true, err) < 0)
			goto fail;
	} else {
		r = user_file ? merge_file(user_file, out, false, err) : 1;
		if (r < 0)
			goto fail;
		/* the user's own registries.conf: only the user's drop-ins follow */
		system_dir = r == 1 || (env_dir && *env_dir);
		if (r == 1 && merge_file("/etc/containers/registries.conf", out, false, err) < 0)
			goto fail;
	}
	if (system_dir && merge_dir(sys_dir, out, err) < 0)
		goto fail;
	if (user_dir && merge_dir(user_dir, out, err) < 0)
		goto fail;
	return 0;
fail:
	pd_regconf_release(out);
	return -1;
}
