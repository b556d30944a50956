/* SPDX-License-Identifier: MIT */
/*
 * run_options.c - parse `paude run [OPTIONS] IMAGE [COMMAND [ARG...]]`.
 *
 * Option parsing stops at the first non-option (IMAGE), so the command's own
 * arguments are never mistaken for paude's.  Every malformed value is a
 * one-line usage error that quotes the value.
 */
#include "run_options.h"
#include "cli.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/path.h"
#include "common/util.h"
#include "proxy/policy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#define ENV_FILE_MAX (1u << 20)

void pd_mount_release(struct pd_mount *m)
{
	free(m->source);
	free(m->dest);
	free(m->tmpfs_size);
	memset(m, 0, sizeof(*m));
}

const char *pd_env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], name, n) && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

void pd_env_set(char ***env, const char *kv)
{
	size_t n = strcspn(kv, "=");

	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (!strncmp((*env)[i], kv, n) && (*env)[i][n] == '=') {
			free((*env)[i]);
			(*env)[i] = pd_xstrdup(kv);
			return;
		}
	}
	pd_strv_push(env, kv);
}

static bool valid_env_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (isspace((unsigned char)s[i]) || s[i] == '\0')
			return false;
	return true;
}

/*
 * One "NAME=VALUE" or "NAME" item, from -e or a line of --env-file, as the
 * "K=V" string it sets (*out NULL when "-e NAME" names nothing on the host).
 */
static int env_item(const char *item, size_t len, const char *where, char *const *environ_,
		    char **out, struct pd_error *err)
{
	const char *eq = memchr(item, '=', len);
	size_t nlen = eq ? (size_t)(eq - item) : len;
	cleanup_free char *name = NULL;
	const char *host;

	*out = NULL;
	if (!valid_env_name(item, nlen))
		return pd_usage_error(err, "%s: invalid environment variable \"%.*s\"", where,
				      (int)(len > 200 ? 200 : len), item);
	if (eq) {
		*out = pd_xstrndup(item, len);
		return 0;
	}
	/* "-e NAME": the host's value, or nothing when the host has none. */
	name = pd_xstrndup(item, nlen);
	host = pd_env_get(environ_, name);
	if (host)
		*out = pd_xasprintf("%s=%s", name, host);
	return 0;
}

static int add_env_item(const char *item, size_t len, const char *where, char *const *environ_,
			char ***env, struct pd_error *err)
{
	cleanup_free char *kv = NULL;

	if (env_item(item, len, where, environ_, &kv, err) < 0)
		return -1;
	if (kv)
		pd_env_set(env, kv);
	return 0;
}

struct env_entry {
	const char *kv;
	size_t nlen; /* the name's length */
	size_t idx;  /* position among base, then adds */
};

static int entry_by_name_then_idx(const void *pa, const void *pb)
{
	const struct env_entry *a = pa, *b = pb;
	size_t n = a->nlen < b->nlen ? a->nlen : b->nlen;
	int c = memcmp(a->kv, b->kv, n);

	if (c)
		return c;
	if (a->nlen != b->nlen)
		return a->nlen < b->nlen ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int entry_by_idx(const void *pa, const void *pb)
{
	const struct env_entry *a = pa, *b = pb;

	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

void pd_env_merge(char ***env, char *const *adds, size_t n_adds)
{
	size_t n_base = pd_strv_len(*env), total = n_base + n_adds, n_out = 0;
	cleanup_free struct env_entry *e = NULL;
	char **out;

	if (n_adds == 0)
		return;
	e = pd_xcalloc(total, sizeof(*e));
	for (size_t i = 0; i < total; i++) {
		const char *kv = i < n_base ? (*env)[i] : adds[i - n_base];

		e[i] = (struct env_entry){ .kv = kv, .nlen = strcspn(kv, "="), .idx = i };
	}
	/* Each name once: where it first stood, with the value it was set to last. */
	qsort(e, total, sizeof(*e), entry_by_name_then_idx);
	for (size_t i = 0; i < total;) {
		size_t j = i;

		while (j + 1 < total && e[j + 1].nlen == e[i].nlen &&
		       !memcmp(e[j + 1].kv, e[i].kv, e[i].nlen))
			j++;
		e[n_out++] =
			(struct env_entry){ .kv = e[j].kv, .nlen = e[i].nlen, .idx = e[i].idx };
		i = j + 1;
	}
	qsort(e, n_out, sizeof(*e), entry_by_idx);
	out = pd_xcalloc(n_out + 1, sizeof(*out));
	for (size_t i = 0; i < n_out; i++)
		out[i] = pd_xstrdup(e[i].kv);
	pd_strv_free(*env);
	*env = out;
}

int pd_parse_env_arg(const char *arg, char *const *environ_, char ***env, struct pd_error *err)
{
	return add_env_item(arg, strlen(arg), "--env", environ_, env, err);
}

int pd_parse_env_file(const char *text, size_t len, const char *name, char *const *environ_,
		      char ***env, struct pd_error *err)
{
	size_t off = 0, lineno = 0, n_items = 0, cap = 0;
	cleanup_strv char **items = NULL;

	while (off < len) {
		char *kv;
		const char *line = text + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;
		char where[256];

		off += n + (nl ? 1 : 0);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		while (n > 0 && (*line == ' ' || *line == '\t')) {
			line++;
			n--;
		}
		if (n == 0 || *line == '#')
			continue;
		if (memchr(line, '\0', n))
			return pd_usage_error(err, "--env-file \"%s\" line %zu: NUL byte", name,
					      lineno);
		snprintf(where, sizeof(where), "--env-file \"%.200s\" line %zu", name, lineno);
		if (env_item(line, n, where, environ_, &kv, err) < 0)
			return -1;
		if (!kv)
			continue;
		if (n_items + 1 >= cap) {
			cap = cap ? cap * 2 : 64;
			items = pd_xreallocarray(items, cap, sizeof(*items));
		}
		items[n_items++] = kv;
		items[n_items] = NULL;
	}
	/* One merge for the whole file: a large file costs n log n, not n^2. */
	pd_env_merge(env, items, n_items);
	return 0;
}

/* The destination, cleaned lexically ("/a/./b/" -> "/a/b"); relative kept as is. */
static char *clean_dest(const char *s, size_t n)
{
	cleanup_free char *raw = pd_xstrndup(s, n);
	char clean[4096];

	if (raw[0] != '/' || pd_path_clean(raw, clean, sizeof(clean)) < 0)
		return steal_ptr(&raw);
	return pd_xstrdup(clean);
}

/* Split "a:b:c" into at most @max fields (no allocation: pointers + lengths). */
static size_t split_colon(const char *s, const char **f, size_t *fl, size_t max)
{
	size_t n = 0;

	for (;;) {
		const char *c = strchr(s, ':');

		if (n == max)
			return max + 1;
		f[n] = s;
		fl[n] = c ? (size_t)(c - s) : strlen(s);
		n++;
		if (!c)
			return n;
		s = c + 1;
	}
}

int pd_parse_volume(const char *arg, struct pd_mount *m, struct pd_error *err)
{
	const char *f[3];
	size_t fl[3];
	size_t n = split_colon(arg, f, fl, 3);
	bool ro = false;

	memset(m, 0, sizeof(*m));
	if (n < 2 || n > 3)
		return pd_usage_error(err, "--volume \"%s\": expected SRC:DST[:ro|rw]", arg);
	if (fl[0] == 0 || f[0][0] != '/')
		return pd_usage_error(
			err, "--volume \"%s\": the source must be an absolute host path", arg);
	if (fl[1] == 0 || f[1][0] != '/')
		return pd_usage_error(
			err, "--volume \"%s\": the destination must be an absolute path", arg);
	if (n == 3 && fl[2] == 0)
		return pd_usage_error(err, "--volume \"%s\": empty option list", arg);
	if (n == 3) {
		cleanup_free char *opts = pd_xstrndup(f[2], fl[2]);
		char *save = NULL;

		for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			if (!strcmp(o, "ro"))
				ro = true;
			else if (!strcmp(o, "rw"))
				ro = false;
			else
				return pd_usage_error(
					err, "--volume \"%s\": unknown option \"%s\" (ro, rw)", arg,
					o);
		}
	}
	m->type = PD_MOUNT_BIND;
	m->source = pd_xstrndup(f[0], fl[0]);
	m->dest = clean_dest(f[1], fl[1]);
	m->read_only = ro;
	return 0;
}

int pd_parse_tmpfs(const char *arg, struct pd_mount *m, struct pd_error *err)
{
	const char *colon = strchr(arg, ':');
	cleanup_free char *opts = NULL;
	char *save = NULL;

	memset(m, 0, sizeof(*m));
	m->type = PD_MOUNT_TMPFS;
	m->dest = clean_dest(arg, colon ? (size_t)(colon - arg) : strlen(arg));
	m->noexec = true;
	m->tmpfs_mode = 01777;
	if (m->dest[0] != '/') {
		pd_mount_release(m);
		return pd_usage_error(
			err, "--tmpfs \"%s\": the destination must be an absolute path", arg);
	}
	if (!colon)
		return 0;
	opts = pd_xstrdup(colon + 1);
	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		uint64_t v = 0;

		if (!strcmp(o, "ro")) {
			m->read_only = true;
		} else if (!strcmp(o, "rw")) {
			m->read_only = false;
		} else if (!strcmp(o, "exec")) {
			m->noexec = false;
		} else if (!strcmp(o, "noexec")) {
			m->noexec = true;
		} else if (!strcmp(o, "nosuid") || !strcmp(o, "nodev")) {
			/* always applied */
		} else if (!strncmp(o, "size=", 5)) {
			if (pd_parse_bytes(o + 5, &v, err) < 0) {
				pd_mount_release(m);
				return pd_error_wrap(err, "--tmpfs \"%s\"", arg);
			}
			if (v == 0) {
				pd_mount_release(m);
				return pd_usage_error(
					err,
					"--tmpfs \"%s\": size=0 would be unlimited: "
					"give a size (the default is a quarter of RAM)",
					arg);
			}
			free(m->tmpfs_size);
			m->tmpfs_size = pd_xasprintf("%llu", (unsigned long long)v);
		} else if (!strncmp(o, "nr_inodes=", 10)) {
			if (pd_parse_u64(o + 10, UINT32_MAX, &v) < 0 || v == 0) {
				pd_mount_release(m);
				return pd_usage_error(err,
						      "--tmpfs \"%s\": nr_inodes= takes a number "
						      "of inodes from 1 (0 would be unlimited)",
						      arg);
			}
			m->tmpfs_inodes = v;
		} else if (!strncmp(o, "mode=", 5)) {
			char *end = NULL;
			unsigned long mode;

			errno = 0;
			mode = o[5] >= '0' && o[5] <= '7' ? strtoul(o + 5, &end, 8) : 0;
			if (errno || !end || *end || end == o + 5 || mode > 07777) {
				pd_mount_release(m);
				return pd_usage_error(err, "--tmpfs \"%s\": bad mode \"%s\"", arg,
						      o + 5);
			}
			m->tmpfs_mode = (uint32_t)mode;
		} else {
			cleanup_free char *bad = pd_xstrdup(o);

			pd_mount_release(m);
			return pd_usage_error(err,
					      "--tmpfs \"%s\": unknown option \"%s\" "
					      "(size=, nr_inodes=, mode=, ro, rw, exec, noexec)",
					      arg, bad);
		}
	}
	return 0;
}

/* "123", "1.5g", "64MiB": binary multiples, as docker's --memory. */
int pd_parse_bytes(const char *arg, uint64_t *out, struct pd_error *err)
{
	static const struct {
		const char *s;
		double mult;
	} units[] = {
		{ "", 1 },
		{ "b", 1 },
		{ "k", 1024.0 },
		{ "kb", 1024.0 },
		{ "kib", 1024.0 },
		{ "m", 1048576.0 },
		{ "mb", 1048576.0 },
		{ "mib", 1048576.0 },
		{ "g", 1073741824.0 },
		{ "gb", 1073741824.0 },
		{ "gib", 1073741824.0 },
		{ "t", 1099511627776.0 },
		{ "tb", 1099511627776.0 },
		{ "tib", 1099511627776.0 },
	};
	const char *p = arg;
	char unit[8];
	size_t ul = 0;
	double v;

	while (isdigit((unsigned char)*p))
		p++;
	if (p == arg)
		return pd_usage_error(err, "invalid size \"%s\"", arg);
	if (*p == '.') {
		const char *q = ++p;

		while (isdigit((unsigned char)*p))
			p++;
		if (p == q)
			return pd_usage_error(err, "invalid size \"%s\"", arg);
	}
	while (*p && ul < sizeof(unit) - 1)
		unit[ul++] = (char)tolower((unsigned char)*p++);
	unit[ul] = '\0';
	if (*p)
		return pd_usage_error(err, "invalid size \"%s\"", arg);
	v = strtod(arg, NULL);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(unit, units[i].s)) {
			double b = v * units[i].mult;

			if (!(b < 9.2e18))
				return pd_usage_error(err, "size \"%s\" is too large", arg);
			*out = (uint64_t)b;
			return 0;
		}
	}
	return pd_usage_error(err, "invalid size \"%s\": unknown unit (b, k, m, g, t)", arg);
}

int pd_parse_cpus(const char *arg, uint64_t *quota_us, uint64_t *period_us, struct pd_error *err)
{
	const char *p = arg;
	double v;

	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (p == arg || *p || !strcmp(arg, "."))
		return pd_usage_error(err, "--cpus \"%s\": expected a number such as 1.5", arg);
	v = strtod(arg, NULL);
	if (v < 0.01 || v > 1024)
		return pd_usage_error(err, "--cpus \"%s\": must be between 0.01 and 1024", arg);
	*period_us = 100000;
	*quota_us = (uint64_t)(v * 100000.0 + 0.5);
	return 0;
}

static const struct {
	const char *name;
	int res;
} ulimit_names[] = {
	{ "core", RLIMIT_CORE },         { "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA },         { "fsize", RLIMIT_FSIZE },
	{ "locks", RLIMIT_LOCKS },       { "memlock", RLIMIT_MEMLOCK },
	{ "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE },     { "nproc", RLIMIT_NPROC },
	{ "rss", RLIMIT_RSS },           { "rtprio", RLIMIT_RTPRIO },
	{ "rttime", RLIMIT_RTTIME },     { "sigpending", RLIMIT_SIGPENDING },
	{ "stack", RLIMIT_STACK },       { "as", RLIMIT_AS },
};

static int parse_rlim_value(const char *s, size_t n, uint64_t *out)
{
	char buf[32];

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!strcmp(buf, "unlimited") || !strcmp(buf, "-1")) {
		*out = RLIM_INFINITY;
		return 0;
	}
	return pd_parse_u64(buf, UINT64_MAX - 1, out);
}

int pd_parse_ulimit(const char *arg, struct pd_rlimit *rl, struct pd_error *err)
{
	const char *eq = strchr(arg, '=');
	const char *colon;
	size_t i;

	if (!eq)
		return pd_usage_error(err, "--ulimit \"%s\": expected NAME=SOFT[:HARD]", arg);
	for (i = 0; i < sizeof(ulimit_names) / sizeof(ulimit_names[0]); i++)
		if (strlen(ulimit_names[i].name) == (size_t)(eq - arg) &&
		    !strncmp(ulimit_names[i].name, arg, (size_t)(eq - arg)))
			break;
	if (i == sizeof(ulimit_names) / sizeof(ulimit_names[0]))
		return pd_usage_error(err, "--ulimit \"%s\": unknown limit \"%.*s\"", arg,
				      (int)(eq - arg), arg);
	rl->resource = ulimit_names[i].res;
	colon = strchr(eq + 1, ':');
	if (parse_rlim_value(eq + 1, colon ? (size_t)(colon - eq - 1) : strlen(eq + 1), &rl->soft) <
	    0)
		return pd_usage_error(err, "--ulimit \"%s\": bad soft limit", arg);
	rl->hard = rl->soft;
	if (colon && parse_rlim_value(colon + 1, strlen(colon + 1), &rl->hard) < 0)
		return pd_usage_error(err, "--ulimit \"%s\": bad hard limit", arg);
	if (rl->soft > rl->hard)
		return pd_usage_error(err, "--ulimit \"%s\": soft limit above hard limit", arg);
	return 0;
}

int pd_parse_pids_limit(const char *arg, uint64_t *out, struct pd_error *err)
{
	if (!strcmp(arg, "-1") || !strcmp(arg, "0")) {
		*out = 0;
		return 0;
	}
	if (pd_parse_u64(arg, 1u << 22, out) < 0)
		return pd_usage_error(err, "--pids-limit \"%s\": expected a number of processes",
				      arg);
	return 0;
}

/*
 * podman's default capability set, less CAP_SETFCAP: the only ones --cap-add
 * gives, and only in the sandbox's own user namespace.  SETFCAP is left out
 * because a file capability written through a root-mode volume (idmapped:
 * container root is host root there) is stored for host root: any host
 * user running that file would get it.
 */
static const struct {
	const char *name;
	int cap;
} cap_names[] = {
	{ "CHOWN", 0 },       { "DAC_OVERRIDE", 1 }, { "FOWNER", 3 },
	{ "FSETID", 4 },      { "KILL", 5 },         { "SETGID", 6 },
	{ "SETUID", 7 },      { "SETPCAP", 8 },      { "NET_BIND_SERVICE", 10 },
	{ "SYS_CHROOT", 18 },
};

int pd_parse_cap_add(const char *arg, uint64_t *caps, struct pd_error *err)
{
	const char *name = strncasecmp(arg, "CAP_", 4) == 0 ? arg + 4 : arg;

	if (!strcasecmp(name, "all"))
		return pd_usage_error(
			err,
			"--cap-add \"%s\": refused: name the capabilities "
			"(podman's defaults: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, "
			"SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT; SETFCAP is refused)",
			arg);
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++) {
		if (strcasecmp(name, cap_names[i].name) == 0) {
			*caps |= 1ULL << cap_names[i].cap;
			return 0;
		}
	}
	return pd_usage_error(
		err,
		"--cap-add \"%s\": not one of podman's default capabilities "
		"(CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, "
		"NET_BIND_SERVICE, SYS_CHROOT; not SETFCAP: a file capability in a volume would be "
		"host root's)",
		arg);
}

int pd_check_hostname(const char *name, struct pd_error *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '-' || name[0] == '.')
		return pd_usage_error(err, "--hostname \"%s\": invalid host name", name);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '.')
			return pd_usage_error(err, "--hostname \"%s\": invalid host name", name);
	return 0;
}

int pd_check_user_spec(const char *spec, struct pd_error *err)
{
	const char *colon = strchr(spec, ':');

	if (!*spec || colon == spec || (colon && (!colon[1] || strchr(colon + 1, ':'))))
		return pd_usage_error(err, "--user \"%s\": expected NAME|UID[:GROUP|GID]", spec);
	for (const char *p = spec; *p; p++)
		if (isspace((unsigned char)*p) || *p == '/')
			return pd_usage_error(err, "--user \"%s\": expected NAME|UID[:GROUP|GID]",
					      spec);
	return 0;
}

static void add_mount(struct pd_run_options *o, const struct pd_mount *m)
{
	o->mounts = pd_xreallocarray(o->mounts, o->n_mounts + 1, sizeof(*m));
	o->mounts[o->n_mounts++] = *m;
}

static int read_env_file(const char *path, char *const *environ_, char ***env, struct pd_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;

	if (pd_read_user_file(path, ENV_FILE_MAX, &text, &len, err) < 0)
		return pd_error_wrap(err, "--env-file");
	return pd_parse_env_file(text, len, path, environ_, env, err);
}

enum {
	OPT_ENV_FILE = 256,
	OPT_TMPFS,
	OPT_HOSTNAME,
	OPT_READ_ONLY,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_PIDS,
	OPT_ULIMIT,
	OPT_NETWORK,
	OPT_SECCOMP,
	OPT_CAP_ADD,
	OPT_USERNS,
	OPT_ALLOWED_DOMAINS,
	OPT_RESOLVE,
	OPT_AUDIT_LOG,
	OPT_PULL,
	OPT_PLATFORM,
	OPT_TLS_VERIFY,
	OPT_ENTRYPOINT,
};

static const struct option run_longopts[] = {
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, OPT_ENV_FILE },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "tty", no_argument, NULL, 't' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "pids-limit", required_argument, NULL, OPT_PIDS },
	{ "ulimit", required_argument, NULL, OPT_ULIMIT },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "net", required_argument, NULL, OPT_NETWORK },
	{ "seccomp-profile", required_argument, NULL, OPT_SECCOMP },
	{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
	{ "userns", required_argument, NULL, OPT_USERNS },
	{ "allowed-domains", required_argument, NULL, OPT_ALLOWED_DOMAINS },
	{ "resolve", required_argument, NULL, OPT_RESOLVE },
	{ "audit-log", required_argument, NULL, OPT_AUDIT_LOG },
	{ "pull", required_argument, NULL, OPT_PULL },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "tls-verify", optional_argument, NULL, OPT_TLS_VERIFY },
	{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_one(int c, const char *arg, char *const *environ_, struct pd_run_options *o,
		     struct pd_error *err)
{
	struct pd_mount m;
	struct pd_rlimit rl;

	switch (c) {
	case 'e':
		return pd_parse_env_arg(arg, environ_, &o->env, err);
	case OPT_ENV_FILE:
		return read_env_file(arg, environ_, &o->env, err);
	case 'w':
		if (arg[0] != '/')
			return pd_usage_error(err, "--workdir \"%s\": must be an absolute path",
					      arg);
		o->workdir = arg;
		return 0;
	case 'u':
		o->user = arg;
		return pd_check_user_spec(arg, err);
	case 'v':
		if (pd_parse_volume(arg, &m, err) < 0)
			return -1;
		add_mount(o, &m);
		return 0;
	case OPT_TMPFS:
		if (pd_parse_tmpfs(arg, &m, err) < 0)
			return -1;
		add_mount(o, &m);
		return 0;
	case OPT_HOSTNAME:
		o->hostname = arg;
		return pd_check_hostname(arg, err);
	case OPT_READ_ONLY:
		o->read_only = true;
		return 0;
	case 't':
		o->tty = true;
		return 0;
	case 'i':
		o->interactive = true;
		return 0;
	case OPT_CPUS:
		return pd_parse_cpus(arg, &o->limits.cpu_quota_us, &o->limits.cpu_period_us, err);
	case OPT_MEMORY:
		if (pd_parse_bytes(arg, &o->limits.memory, err) < 0)
			return pd_error_wrap(err, "--memory");
		if (o->limits.memory < 6u << 20)
			return pd_usage_error(err, "--memory \"%s\": the minimum is 6m", arg);
		return 0;
	case OPT_PIDS:
		o->limits.pids_default = false;
		return pd_parse_pids_limit(arg, &o->limits.pids, err);
	case OPT_ULIMIT:
		if (pd_parse_ulimit(arg, &rl, err) < 0)
			return -1;
		o->limits.rlimits =
			pd_xreallocarray(o->limits.rlimits, o->limits.n_rlimits + 1, sizeof(rl));
		o->limits.rlimits[o->limits.n_rlimits++] = rl;
		return 0;
	case OPT_NETWORK:
		if (strcmp(arg, "none") != 0 && strcmp(arg, "proxy") != 0)
			return pd_usage_error(err,
					      "--network \"%s\": unsupported network mode "
					      "(\"proxy\": the allowlist proxy, the default; "
					      "\"none\": loopback only)",
					      arg);
		o->network = arg;
		return 0;
	case OPT_ALLOWED_DOMAINS:
		if (!*arg)
			return pd_usage_error(err, "--allowed-domains: empty value");
		pd_strv_push(&o->allowed_domains, arg);
		return 0;
	case OPT_RESOLVE: {
		struct pd_pin pin;

		if (pd_pin_parse(arg, &pin, err) < 0) {
			pd_error_wrap(err, "--resolve");
			err->status = PD_STATUS_USAGE;
			return -1;
		}
		pd_strv_push(&o->resolve, arg);
		return 0;
	}
	case OPT_PULL:
		if (strcmp(arg, "missing") != 0 && strcmp(arg, "always") != 0 &&
		    strcmp(arg, "never") != 0 && strcmp(arg, "newer") != 0)
			return pd_usage_error(
				err, "--pull \"%s\": expected missing, always, never or newer",
				arg);
		o->pull = arg;
		return 0;
	case OPT_PLATFORM:
		if (!*arg || !strchr(arg, '/'))
			return pd_usage_error(err, "--platform \"%s\": expected OS/ARCH[/VARIANT]",
					      arg);
		o->platform = arg;
		return 0;
	case OPT_TLS_VERIFY:
		if (!arg || !strcmp(arg, "true"))
			o->tls_verify = true;
		else if (!strcmp(arg, "false"))
			o->tls_verify = false;
		else
			return pd_usage_error(err, "--tls-verify=\"%s\": expected true or false",
					      arg);
		return 0;
	case OPT_ENTRYPOINT:
		o->entrypoint = arg;
		return 0;
	case OPT_AUDIT_LOG:
		if (!*arg)
			return pd_usage_error(err, "--audit-log: empty file name");
		o->audit_log = arg;
		return 0;
	case OPT_SECCOMP:
		o->seccomp_profile = arg;
		return 0;
	case OPT_CAP_ADD:
		return pd_parse_cap_add(arg, &o->caps, err);
	case OPT_USERNS:
		if (strcmp(arg, "keep-id") != 0)
			return pd_usage_error(err,
					      "--userns \"%s\": unsupported (this build offers "
					      "\"keep-id\")",
					      arg);
		o->keep_id = true;
		return 0;
	default:
		return pd_usage_error(err, "run: unexpected option");
	}
}

int pd_run_options_parse(int argc, char **argv, char *const *environ_, struct pd_run_options *o,
			 struct pd_error *err)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->network = "proxy";
	o->tls_verify = true;
	o->limits.pids = PD_DEFAULT_PIDS_LIMIT; /* as podman: --pids-limit -1 lifts it */
	o->limits.pids_default = true;
	optind = 0; /* full re-initialisation of getopt's state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+e:w:u:v:tih", run_longopts, NULL)) != -1) {
		if (c == '?') {
			const char *bad = argv[optind - 1];

			if (bad && bad[0] == '-' && bad[1] == '-')
				return pd_usage_error(
					err, "run: unknown or incomplete option \"%s\"", bad);
			if (optopt && optopt < 256)
				return pd_usage_error(
					err, "run: unknown or incomplete option \"-%c\"", optopt);
			return pd_usage_error(err, "run: unknown or incomplete option \"%s\"",
					      argv[optind - 1]);
		}
		if (c == 'h') {
			o->help = true;
			return 0;
		}
		if (parse_one(c, optarg, environ_, o, err) < 0)
			return -1;
	}
	if (optind >= argc)
		return pd_usage_error(err, "run: missing IMAGE");
	o->image = argv[optind];
	o->command = &argv[optind + 1];
	return 0;
}

void pd_run_options_release(struct pd_run_options *o)
{
	pd_strv_free(o->env);
	pd_strv_free(o->allowed_domains);
	pd_strv_free(o->resolve);
	for (size_t i = 0; i < o->n_mounts; i++)
		pd_mount_release(&o->mounts[i]);
	free(o->mounts);
	free(o->limits.rlimits);
	memset(o, 0, sizeof(*o));
}
