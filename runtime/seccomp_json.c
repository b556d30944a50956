/* SPDX-License-Identifier: MIT */
/*
 * seccomp_json.c - read a Docker/OCI JSON seccomp profile into a profile.
 *
 * Theory of operation.  The format is the one of moby's
 * profiles/seccomp/default.json and containers/common's
 * pkg/seccomp/seccomp.json:
 *
 *   { "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
 *     "architectures": [...] | "archMap": [{"architecture": ..,
 *                                          "subArchitectures": [..]}],
 *     "syscalls": [{ "names": [..], "action": .., "errnoRet": ..,
 *                    "args": [{"index", "value", "valueTwo", "op"}],
 *                    "includes": {"caps", "arches", "minKernel"},
 *                    "excludes": {...} }] }
 *
 * The whole document is validated: every malformed field is an error that
 * names it by path (syscalls[3].args[0].op), even in a rule that does not
 * apply here.  Then each rule is filtered as moby does, for the host at
 * hand and for a process with no capabilities: a rule that includes
 * capabilities is dropped, one that excludes capabilities is kept; arches
 * match the native architecture only; minKernel compares with uname(2).
 * Unknown keys are ignored, as Go's encoding/json does; null is "absent".
 *
 * JSON numbers are doubles in cJSON: integers are exact only below 2^53, so
 * larger argument values are refused rather than rounded.
 */
#include "seccomp.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

#define PATH_MAX_LEN 96
#define NAME_MAX_LEN 64
#define LIST_MAX 256                   /* arches, caps, archMap entries */
#define EXACT_LIMIT 9007199254740992.0 /* 2^53 */

static void cjson_deletep(cJSON **j)
{
	if (*j)
		cJSON_Delete(*j);
	*j = NULL;
}

#define cleanup_cjson __attribute__((cleanup(cjson_deletep)))

static void profile_freep(struct pd_seccomp_profile **p)
{
	pd_seccomp_profile_free(*p);
	*p = NULL;
}

static int fail(struct pd_error *err, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record "seccomp profile: PATH: MESSAGE" with code EINVAL. */
static int fail(struct pd_error *err, const char *path, const char *fmt, ...)
{
	char msg[PD_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (path && *path)
		pd_error_set(err, 0, "seccomp profile: %s: %s", path, msg);
	else
		pd_error_set(err, 0, "seccomp profile: %s", msg);
	if (err)
		err->code = EINVAL;
	return -1;
}

/* A printable, bounded copy of untrusted text for an error message. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
	buf[i] = '\0';
	if (s[i] && size >= 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "null";
}

/* The member @key of @obj, or NULL when missing or null. */
static const cJSON *field(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNull(v) ? NULL : v;
}

static void join(char *out, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* out = prefix + formatted suffix, both bounded by PATH_MAX_LEN. */
static void join(char *out, const char *prefix, const char *fmt, ...)
{
	size_t n = pd_strlcpy(out, prefix, PATH_MAX_LEN);
	va_list ap;

	if (n >= PATH_MAX_LEN)
		return;
	va_start(ap, fmt);
	if (vsnprintf(out + n, PATH_MAX_LEN - n, fmt, ap) < 0)
		out[n] = '\0';
	va_end(ap);
}

static int want_string(const cJSON *v, const char *path, struct pd_error *err)
{
	if (!cJSON_IsString(v) || !v->valuestring)
		return fail(err, path, "expected a string, got %s", type_name(v));
	return 0;
}

static int want_array(const cJSON *v, const char *path, int max, struct pd_error *err)
{
	int n;

	if (!cJSON_IsArray(v))
		return fail(err, path, "expected an array, got %s", type_name(v));
	n = cJSON_GetArraySize(v);
	if (n > max)
		return fail(err, path, "%d entries, at most %d", n, max);
	return 0;
}

/* An exact non-negative integer no larger than @max. */
static int get_uint(const cJSON *v, const char *path, uint64_t max, uint64_t *out,
		    struct pd_error *err)
{
	double d;

	if (!cJSON_IsNumber(v))
		return fail(err, path, "expected a number, got %s", type_name(v));
	d = v->valuedouble;
	if (!(d >= 0.0))
		return fail(err, path, "must not be negative");
	if (d >= EXACT_LIMIT)
		return fail(err, path, "%.0f is too large (JSON numbers are exact below 2^53)", d);
	if ((double)(uint64_t)d != d)
		return fail(err, path, "%g is not an integer", d);
	if ((uint64_t)d > max)
		return fail(err, path, "%" PRIu64 " out of range (0-%" PRIu64 ")", (uint64_t)d,
			    max);
	*out = (uint64_t)d;
	return 0;
}

/* ---- actions ---- */

static const struct {
	const char *name;
	enum pd_seccomp_act kind;
	bool has_ret;
} actions[] = {
	{ "SCMP_ACT_ALLOW", PD_SECCOMP_ALLOW, false },
	{ "SCMP_ACT_ERRNO", PD_SECCOMP_ERRNO, true },
	{ "SCMP_ACT_KILL", PD_SECCOMP_KILL_THREAD, false },
	{ "SCMP_ACT_KILL_THREAD", PD_SECCOMP_KILL_THREAD, false },
	{ "SCMP_ACT_KILL_PROCESS", PD_SECCOMP_KILL_PROCESS, false },
	{ "SCMP_ACT_TRAP", PD_SECCOMP_TRAP, false },
	{ "SCMP_ACT_LOG", PD_SECCOMP_LOG, false },
	{ "SCMP_ACT_TRACE", PD_SECCOMP_TRACE, true },
};

#define ERRNO_MAX 4095

/* "EPERM" or "1" -> 1 (containers/common's "errno" field). */
static int errno_by_name(const char *s, const char *path, uint64_t *out, struct pd_error *err)
{
	char b[NAME_MAX_LEN];
	uint32_t v;

	if (pd_parse_u32(s, &v) == 0) {
		if (v > ERRNO_MAX)
			return fail(err, path, "%u out of range (0-%d)", v, ERRNO_MAX);
		*out = v;
		return 0;
	}
	for (int e = 1; e <= ERRNO_MAX; e++) {
		const char *name = strerrorname_np(e);

		if (name && strcmp(name, s) == 0) {
			*out = (uint64_t)e;
			return 0;
		}
	}
	return fail(err, path, "unknown errno \"%s\"", shown(s, b, sizeof(b)));
}

/*
 * The action @akey of @obj, with its return value from @ekey (an errno name,
 * which wins, as in containers/common) or @rkey (a number); EPERM when
 * neither is given.  @prefix is the path of @obj ("" or "syscalls[N].").
 */
static int parse_action(const cJSON *obj, const char *prefix, const char *akey, const char *rkey,
			const char *ekey, struct pd_seccomp_action *out, struct pd_error *err)
{
	const cJSON *a = field(obj, akey), *r = field(obj, rkey), *e = field(obj, ekey);
	char path[PATH_MAX_LEN], b[NAME_MAX_LEN];
	uint64_t ret = EPERM;
	size_t i;

	join(path, prefix, "%s", akey);
	if (!a)
		return fail(err, path, "missing");
	if (want_string(a, path, err) < 0)
		return -1;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(a->valuestring, actions[i].name) == 0)
			break;
	if (i == sizeof(actions) / sizeof(actions[0])) {
		if (strcmp(a->valuestring, "SCMP_ACT_NOTIFY") == 0)
			return fail(
				err, path,
				"SCMP_ACT_NOTIFY is not supported (paude has no seccomp notify listener)");
		return fail(err, path, "unknown action \"%s\"",
			    shown(a->valuestring, b, sizeof(b)));
	}

	if (r) {
		join(path, prefix, "%s", rkey);
		if (get_uint(r, path, actions[i].kind == PD_SECCOMP_TRACE ? UINT16_MAX : ERRNO_MAX,
			     &ret, err) < 0)
			return -1;
	}
	if (e) {
		join(path, prefix, "%s", ekey);
		if (want_string(e, path, err) < 0 ||
		    errno_by_name(e->valuestring, path, &ret, err) < 0)
			return -1;
	}
	out->kind = actions[i].kind;
	out->data = actions[i].has_ret ? (uint16_t)ret : 0;
	return 0;
}

/* ---- architectures ---- */

static int arch_token(const cJSON *v, const char *path, uint32_t *token, struct pd_error *err)
{
	char b[NAME_MAX_LEN];

	if (want_string(v, path, err) < 0)
		return -1;
	if (!pd_seccomp_arch_lookup(v->valuestring, token))
		return fail(err, path, "unknown architecture \"%s\"",
			    shown(v->valuestring, b, sizeof(b)));
	return 0;
}

#define ARCH_SLOTS 64

static int arch_push(uint32_t *arches, size_t *n, uint32_t token, struct pd_error *err)
{
	if (token == 0)
		return 0; /* known, but this libseccomp cannot build it: never native */
	for (size_t i = 0; i < *n; i++)
		if (arches[i] == token)
			return 0;
	if (*n == ARCH_SLOTS)
		return fail(err, NULL, "more than %d architectures", ARCH_SLOTS);
	arches[(*n)++] = token;
	return 0;
}

static int parse_arches(const cJSON *root, const struct pd_seccomp_host *host,
			struct pd_seccomp_profile *p, struct pd_error *err)
{
	const cJSON *list = field(root, "architectures"), *map = field(root, "archMap"), *v;
	char path[PATH_MAX_LEN];
	uint32_t *arches;
	size_t n = 0;
	int i = 0;

	if (list && map && cJSON_GetArraySize(list) > 0 && cJSON_GetArraySize(map) > 0)
		return fail(err, NULL, "both \"architectures\" and \"archMap\" are set: use one");
	if (list && want_array(list, "architectures", LIST_MAX, err) < 0)
		return -1;
	if (map && want_array(map, "archMap", LIST_MAX, err) < 0)
		return -1;
	arches = pd_xcalloc(ARCH_SLOTS, sizeof(uint32_t));
	p->arches = arches;

	cJSON_ArrayForEach (v, list) {
		uint32_t t;

		join(path, "", "architectures[%d]", i++);
		if (arch_token(v, path, &t, err) < 0 || arch_push(arches, &n, t, err) < 0)
			return -1;
	}
	i = 0;
	cJSON_ArrayForEach (v, map) {
		const cJSON *a, *subs, *s;
		char prefix[PATH_MAX_LEN];
		bool native;
		uint32_t t;
		int j = 0;

		join(prefix, "", "archMap[%d]", i++);
		if (!cJSON_IsObject(v))
			return fail(err, prefix, "expected an object, got %s", type_name(v));
		a = field(v, "architecture");
		join(path, prefix, ".architecture");
		if (!a)
			return fail(err, path, "missing");
		if (arch_token(a, path, &t, err) < 0)
			return -1;
		native = t != 0 && t == host->arch;
		if (native && arch_push(arches, &n, t, err) < 0)
			return -1;
		subs = field(v, "subArchitectures");
		join(path, prefix, ".subArchitectures");
		if (subs && want_array(subs, path, LIST_MAX, err) < 0)
			return -1;
		cJSON_ArrayForEach (s, subs) {
			uint32_t st;

			join(path, prefix, ".subArchitectures[%d]", j++);
			if (arch_token(s, path, &st, err) < 0)
				return -1;
			if (native && arch_push(arches, &n, st, err) < 0)
				return -1;
		}
	}
	p->n_arches = n;
	return 0;
}

/* ---- includes / excludes ---- */

struct cond {
	bool arch_listed; /* arches non-empty */
	bool arch_native; /* arches names the native architecture */
	bool caps;        /* caps non-empty */
	bool has_kernel;
	unsigned major, minor;
};

static int parse_kernel(const char *s, unsigned *major, unsigned *minor)
{
	unsigned v[2] = { 0, 0 };

	for (int i = 0; i < 2; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9') {
			if (v[i] > 100000)
				return -1;
			v[i] = v[i] * 10 + (unsigned)(*s++ - '0');
		}
		if (*s++ != (i == 0 ? '.' : '\0'))
			return -1;
	}
	*major = v[0];
	*minor = v[1];
	return 0;
}

static bool valid_cap(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 5 || n > NAME_MAX_LEN || strncmp(s, "CAP_", 4) != 0)
		return false;
	for (size_t i = 4; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static int parse_cond(const cJSON *obj, const char *prefix, const struct pd_seccomp_host *host,
		      struct cond *c, struct pd_error *err)
{
	const cJSON *caps, *arches, *kernel, *v;
	char path[PATH_MAX_LEN], b[NAME_MAX_LEN];
	int i = 0;

	memset(c, 0, sizeof(*c));
	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return fail(err, prefix, "expected an object, got %s", type_name(obj));

	caps = field(obj, "caps");
	join(path, prefix, ".caps");
	if (caps && want_array(caps, path, LIST_MAX, err) < 0)
		return -1;
	cJSON_ArrayForEach (v, caps) {
		join(path, prefix, ".caps[%d]", i++);
		if (want_string(v, path, err) < 0)
			return -1;
		if (!valid_cap(v->valuestring))
			return fail(err, path, "invalid capability \"%s\"",
				    shown(v->valuestring, b, sizeof(b)));
		c->caps = true;
	}

	arches = field(obj, "arches");
	join(path, prefix, ".arches");
	if (arches && want_array(arches, path, LIST_MAX, err) < 0)
		return -1;
	i = 0;
	cJSON_ArrayForEach (v, arches) {
		uint32_t t;

		join(path, prefix, ".arches[%d]", i++);
		if (arch_token(v, path, &t, err) < 0)
			return -1;
		c->arch_listed = true;
		c->arch_native = c->arch_native || (t != 0 && t == host->arch);
	}

	kernel = field(obj, "minKernel");
	join(path, prefix, ".minKernel");
	if (kernel) {
		if (want_string(kernel, path, err) < 0)
			return -1;
		if (parse_kernel(kernel->valuestring, &c->major, &c->minor) < 0)
			return fail(err, path, "invalid kernel version \"%s\" (want MAJOR.MINOR)",
				    shown(kernel->valuestring, b, sizeof(b)));
		c->has_kernel = true;
	}
	return 0;
}

static bool kernel_at_least(const struct pd_seccomp_host *h, unsigned major, unsigned minor)
{
	return h->kernel_major > major || (h->kernel_major == major && h->kernel_minor >= minor);
}

/* moby's filter, for a process without capabilities. */
static bool rule_applies(const struct cond *inc, const struct cond *exc,
			 const struct pd_seccomp_host *h)
{
	if (exc->arch_native)
		return false;
	if (exc->has_kernel && kernel_at_least(h, exc->major, exc->minor))
		return false;
	if (inc->arch_listed && !inc->arch_native)
		return false;
	if (inc->caps)
		return false;
	if (inc->has_kernel && !kernel_at_least(h, inc->major, inc->minor))
		return false;
	return true;
}

/* ---- syscalls ---- */

static const struct {
	const char *name;
	enum pd_seccomp_op op;
} ops[] = {
	{ "SCMP_CMP_NE", PD_SECCOMP_CMP_NE },
	{ "SCMP_CMP_LT", PD_SECCOMP_CMP_LT },
	{ "SCMP_CMP_LE", PD_SECCOMP_CMP_LE },
	{ "SCMP_CMP_EQ", PD_SECCOMP_CMP_EQ },
	{ "SCMP_CMP_GE", PD_SECCOMP_CMP_GE },
	{ "SCMP_CMP_GT", PD_SECCOMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", PD_SECCOMP_CMP_MASKED_EQ },
};

static int parse_arg(const cJSON *v, const char *prefix, struct pd_seccomp_arg *out,
		     struct pd_error *err)
{
	const cJSON *index, *value, *value2, *op;
	char path[PATH_MAX_LEN], b[NAME_MAX_LEN];
	uint64_t u = 0;
	size_t i;

	if (!cJSON_IsObject(v))
		return fail(err, prefix, "expected an object, got %s", type_name(v));
	memset(out, 0, sizeof(*out));

	index = field(v, "index");
	join(path, prefix, ".index");
	if (!index)
		return fail(err, path, "missing");
	if (get_uint(index, path, PD_SECCOMP_MAX_ARGS - 1, &u, err) < 0)
		return -1;
	out->index = (unsigned)u;

	value = field(v, "value");
	join(path, prefix, ".value");
	if (value && get_uint(value, path, UINT64_MAX, &out->value, err) < 0)
		return -1;
	value2 = field(v, "valueTwo");
	join(path, prefix, ".valueTwo");
	if (value2 && get_uint(value2, path, UINT64_MAX, &out->value2, err) < 0)
		return -1;

	op = field(v, "op");
	join(path, prefix, ".op");
	if (!op)
		return fail(err, path, "missing");
	if (want_string(op, path, err) < 0)
		return -1;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op->valuestring, ops[i].name) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return fail(err, path, "unknown operator \"%s\"",
			    shown(op->valuestring, b, sizeof(b)));
	out->op = ops[i].op;
	return 0;
}

static bool valid_syscall_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static int push_name(const cJSON *v, const char *path, char ***names, size_t *total,
		     struct pd_error *err)
{
	char b[NAME_MAX_LEN];

	if (want_string(v, path, err) < 0)
		return -1;
	if (!valid_syscall_name(v->valuestring))
		return fail(err, path, "invalid syscall name \"%s\"",
			    shown(v->valuestring, b, sizeof(b)));
	if (++*total > PD_SECCOMP_MAX_NAMES)
		return fail(err, path, "more than %d syscall names in the profile",
			    PD_SECCOMP_MAX_NAMES);
	pd_strv_push(names, v->valuestring);
	return 0;
}

/* Parse syscalls[@idx]; *keep says whether it applies here. */
static int parse_rule(const cJSON *v, int idx, const struct pd_seccomp_host *host,
		      struct pd_seccomp_rule *r, bool *keep, size_t *total, struct pd_error *err)
{
	cleanup_strv char **names = NULL;
	char prefix[PATH_MAX_LEN], path[PATH_MAX_LEN];
	const cJSON *name, *list, *args, *a;
	struct cond inc, exc;
	int i = 0;

	join(prefix, "", "syscalls[%d]", idx);
	if (!cJSON_IsObject(v))
		return fail(err, prefix, "expected an object, got %s", type_name(v));

	name = field(v, "name");
	list = field(v, "names");
	if (cJSON_IsString(name) && name->valuestring && !name->valuestring[0])
		name = NULL; /* Go's zero value: "name": "" means no name */
	if (name && list)
		return fail(err, prefix, "both \"name\" and \"names\" are set: use one");
	if (!name && !list)
		return fail(err, prefix, "no \"names\"");
	if (name) {
		join(path, prefix, ".name");
		if (push_name(name, path, &names, total, err) < 0)
			return -1;
	} else {
		join(path, prefix, ".names");
		if (want_array(list, path, PD_SECCOMP_MAX_NAMES, err) < 0)
			return -1;
		if (cJSON_GetArraySize(list) == 0)
			return fail(err, path, "empty");
		cJSON_ArrayForEach (a, list) {
			join(path, prefix, ".names[%d]", i++);
			if (push_name(a, path, &names, total, err) < 0)
				return -1;
		}
	}

	join(path, prefix, ".");
	if (parse_action(v, path, "action", "errnoRet", "errno", &r->action, err) < 0)
		return -1;

	args = field(v, "args");
	join(path, prefix, ".args");
	if (args && want_array(args, path, PD_SECCOMP_MAX_ARGS, err) < 0)
		return -1;
	i = 0;
	cJSON_ArrayForEach (a, args) {
		join(path, prefix, ".args[%d]", i);
		if (parse_arg(a, path, &r->args[i], err) < 0)
			return -1;
		i++;
	}
	r->n_args = (size_t)i;

	join(path, prefix, ".includes");
	if (parse_cond(field(v, "includes"), path, host, &inc, err) < 0)
		return -1;
	join(path, prefix, ".excludes");
	if (parse_cond(field(v, "excludes"), path, host, &exc, err) < 0)
		return -1;

	*keep = rule_applies(&inc, &exc, host);
	if (*keep) {
		r->n_names = pd_strv_len(names);
		r->names = (const char *const *)names;
		names = NULL;
	}
	r->origin = (size_t)idx;
	return 0;
}

static int parse_syscalls(const cJSON *root, const struct pd_seccomp_host *host,
			  struct pd_seccomp_profile *p, struct pd_error *err)
{
	const cJSON *list = field(root, "syscalls"), *v;
	struct pd_seccomp_rule *rules;
	size_t total = 0;
	int i = 0;

	if (!list)
		return 0;
	if (want_array(list, "syscalls", PD_SECCOMP_MAX_RULES, err) < 0)
		return -1;
	rules = pd_xcalloc((size_t)cJSON_GetArraySize(list), sizeof(*rules));
	p->rules = rules;
	cJSON_ArrayForEach (v, list) {
		bool keep = false;

		if (parse_rule(v, i++, host, &rules[p->n_rules], &keep, &total, err) < 0)
			return -1;
		if (keep)
			p->n_rules++;
		else
			memset(&rules[p->n_rules], 0, sizeof(rules[0]));
	}
	return 0;
}

static int check_unsupported(const cJSON *root, struct pd_error *err)
{
	const cJSON *flags = field(root, "flags"), *listener = field(root, "listenerPath");

	if (flags && want_array(flags, "flags", LIST_MAX, err) < 0)
		return -1;
	if (cJSON_GetArraySize(flags) > 0)
		return fail(err, "flags", "seccomp filter flags are not supported");
	if (listener && !(cJSON_IsString(listener) && listener->valuestring[0] == '\0'))
		return fail(err, "listenerPath",
			    "not supported (paude has no seccomp notify listener)");
	return 0;
}

int pd_seccomp_profile_parse(const char *json, size_t len, const struct pd_seccomp_host *host,
			     struct pd_seccomp_profile **out, struct pd_error *err)
{
	__attribute__((cleanup(profile_freep))) struct pd_seccomp_profile *p = NULL;
	cleanup_cjson cJSON *root = NULL;
	const char *end = NULL;

	*out = NULL;
	if (len > PD_SECCOMP_JSON_MAX)
		return fail(err, NULL, "%zu bytes, at most %u", len, PD_SECCOMP_JSON_MAX);
	if (!json || len == 0)
		return fail(err, NULL, "empty");
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!root)
		return fail(err, NULL, "invalid JSON at byte %zu",
			    end && end >= json ? (size_t)(end - json) : (size_t)0);
	for (size_t at = (size_t)(end - json); at < len; at++)
		if (!strchr(" \t\r\n", json[at]) || json[at] == '\0')
			return fail(err, NULL, "invalid JSON at byte %zu: data after the profile",
				    at);
	if (!cJSON_IsObject(root))
		return fail(err, NULL, "expected a JSON object, got %s", type_name(root));

	p = pd_xcalloc(1, sizeof(*p));
	p->what = "seccomp profile";
	if (parse_action(root, "", "defaultAction", "defaultErrnoRet", "defaultErrno",
			 &p->default_action, err) < 0)
		return -1;
	if (check_unsupported(root, err) < 0)
		return -1;
	if (parse_arches(root, host, p, err) < 0)
		return -1;
	if (parse_syscalls(root, host, p, err) < 0)
		return -1;
	*out = p;
	p = NULL;
	return 0;
}

void pd_seccomp_profile_free(struct pd_seccomp_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++) {
		for (size_t j = 0; j < p->rules[i].n_names; j++)
			free((void *)p->rules[i].names[j]);
		free((void *)p->rules[i].names);
	}
	free((void *)p->rules);
	free((void *)p->arches);
	free(p);
}
