/* SPDX-License-Identifier: MIT */
/*
 * session_config.c - a session's config.json (session.h), its lock, and
 * the list of sessions.  The file is the user's own (0600) but is parsed as
 * untrusted text all the same: every field is checked for its type and
 * range, and the name inside must be the directory's.
 */
#include "session.h"
#include "idrange.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX (1u << 20)
/* cJSON writes 15 significant digits: larger numbers would not come back exact */
#define JSON_NUM_MAX 999999999999999ull

static const char *const idmap_names[] = { "root", "subid", "single" };

int pd_session_paths(const char *name, struct pd_session_paths *p, struct pd_error *err)
{
	memset(p, 0, sizeof(*p));
	if (pd_session_dirs_get(&p->dirs, err) < 0)
		return -1;
	if (pd_session_name_check(name, p->dirs.run, err) < 0)
		return -1;
	if ((size_t)snprintf(p->dir, sizeof(p->dir), "%s/%s", p->dirs.data, name) >=
		    sizeof(p->dir) ||
	    (size_t)snprintf(p->run, sizeof(p->run), "%s/%s", p->dirs.run, name) >= sizeof(p->run))
		return pd_error_set(err, ENAMETOOLONG, "session \"%s\"", name);
	return 0;
}

static void add_strv(cJSON *o, const char *key, char *const *v)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);

	for (; v && *v; v++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*v));
}

char *pd_session_to_json(const struct pd_session *s)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "backend", "local");
	cJSON_AddStringToObject(o, "workspace", s->workspace ? s->workspace : "");
	cJSON_AddStringToObject(o, "image", s->image ? s->image : "");
	if (s->image_id)
		cJSON_AddStringToObject(o, "image_id", s->image_id);
	cJSON_AddNumberToObject(o, "created", (double)s->created);
	add_strv(o, "args", s->args);
	cJSON_AddBoolToObject(o, "yolo", s->yolo);
	add_strv(o, "allowed_domains", s->allowed_domains);
	add_strv(o, "resolve", s->resolve);
	add_strv(o, "env", s->env);
	cJSON_AddNumberToObject(o, "memory", (double)s->memory);
	cJSON_AddNumberToObject(o, "pids", (double)s->pids);
	cJSON_AddNumberToObject(o, "cpu_quota_us", (double)s->cpu_quota_us);
	cJSON_AddNumberToObject(o, "cpu_period_us", (double)s->cpu_period_us);
	cJSON_AddStringToObject(o, "idmap", idmap_names[s->idmap]);
	cJSON_AddNumberToObject(o, "uid_start", s->uid_start);
	cJSON_AddNumberToObject(o, "gid_start", s->gid_start);
	cJSON_AddBoolToObject(o, "agent_root", s->agent_root);
	text = cJSON_Print(o);
	cJSON_Delete(o);
	if (!text)
		abort(); /* out of memory */
	return text;
}

static int get_str(const cJSON *o, const char *key, bool optional, char **out, struct pd_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (!v && optional)
		return 0;
	if (!v || !cJSON_IsString(v) || !v->valuestring)
		return pd_error_set(err, EINVAL, "field \"%s\": not a string", key);
	*out = pd_xstrdup(v->valuestring);
	return 0;
}

static int get_strv(const cJSON *o, const char *key, char ***out, struct pd_error *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *e;

	*out = pd_xcalloc(1, sizeof(char *));
	if (!a)
		return 0;
	if (!cJSON_IsArray(a))
		return pd_error_set(err, EINVAL, "field \"%s\": not an array", key);
	cJSON_ArrayForEach (e, a) {
		if (!cJSON_IsString(e) || !e->valuestring)
			return pd_error_set(err, EINVAL, "field \"%s\": not an array of strings",
					    key);
		pd_strv_push(out, e->valuestring);
	}
	return 0;
}

static int get_u64(const cJSON *o, const char *key, uint64_t max, uint64_t *out,
		   struct pd_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = 0;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)max ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return pd_error_set(err, EINVAL, "field \"%s\": not a number in range", key);
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int get_bool(const cJSON *o, const char *key, bool *out, struct pd_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = false;
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return pd_error_set(err, EINVAL, "field \"%s\": not true or false", key);
	*out = cJSON_IsTrue(v);
	return 0;
}

static int parse(const cJSON *o, struct pd_session *s, struct pd_error *err)
{
	cleanup_free char *name = NULL, *idmap = NULL;
	uint64_t created, us, gs;
	size_t i;

	if (!cJSON_IsObject(o))
		return pd_error_set(err, EINVAL, "not a JSON object");
	if (get_str(o, "name", false, &name, err) < 0 || !name)
		return -1;
	if (strlen(name) > PD_SESSION_NAME_MAX)
		return pd_error_set(err, EINVAL, "field \"name\": too long");
	pd_strlcpy(s->name, name, sizeof(s->name));
	if (get_str(o, "workspace", false, &s->workspace, err) < 0 ||
	    get_str(o, "image", false, &s->image, err) < 0 ||
	    get_str(o, "image_id", true, &s->image_id, err) < 0 ||
	    get_u64(o, "created", JSON_NUM_MAX, &created, err) < 0 ||
	    get_strv(o, "args", &s->args, err) < 0 || get_bool(o, "yolo", &s->yolo, err) < 0 ||
	    get_strv(o, "allowed_domains", &s->allowed_domains, err) < 0 ||
	    get_strv(o, "resolve", &s->resolve, err) < 0 || get_strv(o, "env", &s->env, err) < 0 ||
	    get_u64(o, "memory", JSON_NUM_MAX, &s->memory, err) < 0 ||
	    get_u64(o, "pids", UINT32_MAX, &s->pids, err) < 0 ||
	    get_u64(o, "cpu_quota_us", UINT32_MAX, &s->cpu_quota_us, err) < 0 ||
	    get_u64(o, "cpu_period_us", UINT32_MAX, &s->cpu_period_us, err) < 0 ||
	    get_str(o, "idmap", false, &idmap, err) < 0 ||
	    get_u64(o, "uid_start", UINT32_MAX, &us, err) < 0 ||
	    get_u64(o, "gid_start", UINT32_MAX, &gs, err) < 0 ||
	    get_bool(o, "agent_root", &s->agent_root, err) < 0 || !idmap || !s->workspace ||
	    !s->image)
		return -1;
	s->created = (time_t)created;
	s->uid_start = (uint32_t)us;
	s->gid_start = (uint32_t)gs;
	for (i = 0; i < sizeof(idmap_names) / sizeof(idmap_names[0]); i++)
		if (!strcmp(idmap, idmap_names[i]))
			break;
	if (i == sizeof(idmap_names) / sizeof(idmap_names[0]))
		return pd_error_set(err, EINVAL, "field \"idmap\": \"%s\" is no mapping mode",
				    idmap);
	s->idmap = (enum pd_idmap_mode)i;
	if (s->workspace[0] != '/')
		return pd_error_set(err, EINVAL, "field \"workspace\": not an absolute path");
	return 0;
}

int pd_session_from_json(const char *text, size_t len, struct pd_session *s, struct pd_error *err)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(text, len, &end, false);
	int r;

	memset(s, 0, sizeof(*s));
	if (!o)
		return pd_error_set(err, EINVAL, "not valid JSON");
	for (; end && end < text + len; end++) {
		if (*end != ' ' && *end != '\n' && *end != '\t' && *end != '\r') {
			cJSON_Delete(o);
			return pd_error_set(err, EINVAL, "text after the JSON object");
		}
	}
	r = parse(o, s, err);
	cJSON_Delete(o);
	if (r < 0)
		pd_session_release(s);
	return r;
}

int pd_session_load(const struct pd_session_paths *p, struct pd_session *s, struct pd_error *err)
{
	cleanup_free char *text = NULL;
	cleanup_close int dir = -1;
	size_t len = 0;

	memset(s, 0, sizeof(*s));
	dir = open(p->dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0 && errno == ENOENT)
		return pd_error_set_msg(err, ENOENT, "Session '%s' not found.",
					strrchr(p->dir, '/') + 1);
	if (dir < 0)
		return pd_error_set(err, errno, "session directory \"%s\"", p->dir);
	if (pd_read_file_at(dir, PD_SESSION_CONFIG, RESOLVE_NO_SYMLINKS, CONFIG_MAX, &text, &len,
			    err) < 0)
		return pd_error_wrap(err, "session \"%s\"", p->dir);
	if (pd_session_from_json(text, len, s, err) < 0)
		return pd_error_wrap(err, "session config \"%s/%s\"", p->dir, PD_SESSION_CONFIG);
	if (strcmp(s->name, strrchr(p->dir, '/') + 1) != 0) {
		pd_session_release(s);
		return pd_error_set(err, EINVAL, "session config \"%s/%s\": names another session",
				    p->dir, PD_SESSION_CONFIG);
	}
	return 0;
}

int pd_session_save(const struct pd_session_paths *p, const struct pd_session *s,
		    struct pd_error *err)
{
	cleanup_free char *text = pd_session_to_json(s);
	cleanup_close int dir = -1;
	char tmp[64];
	int fd;

	dir = open(p->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return pd_error_set(err, errno, "session directory \"%s\"", p->dir);
	snprintf(tmp, sizeof(tmp), ".%s.XXXXXX", PD_SESSION_CONFIG);
	pd_random_hex(tmp + strlen(tmp) - 6, 3);
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return pd_error_set(err, errno, "session config \"%s/%s\"", p->dir, tmp);
	if (pd_write_all(fd, text, strlen(text)) < 0 || pd_write_all(fd, "\n", 1) < 0 ||
	    fsync(fd) < 0) {
		int e = errno;

		close(fd);
		unlinkat(dir, tmp, 0);
		return pd_error_set(err, e, "write \"%s/%s\"", p->dir, tmp);
	}
	close(fd);
	if (renameat(dir, tmp, dir, PD_SESSION_CONFIG) < 0) {
		int e = errno;

		unlinkat(dir, tmp, 0);
		return pd_error_set(err, e, "rename \"%s/%s\"", p->dir, tmp);
	}
	return 0;
}

void pd_session_release(struct pd_session *s)
{
	free(s->workspace);
	free(s->image);
	free(s->image_id);
	pd_strv_free(s->args);
	pd_strv_free(s->allowed_domains);
	pd_strv_free(s->resolve);
	pd_strv_free(s->env);
	memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pd_session_names(const struct pd_session_dirs *d, char ***out, struct pd_error *err)
{
	cleanup_closedir DIR *dir = opendir(d->data);
	struct dirent *e;
	char **v = pd_xcalloc(1, sizeof(char *));

	*out = NULL;
	if (!dir && errno != ENOENT) {
		pd_strv_free(v);
		return pd_error_set(err, errno, "sessions \"%s\"", d->data);
	}
	while (dir && (e = readdir(dir))) {
		struct stat st;
		char cfg[PD_SESSION_NAME_MAX + sizeof(PD_SESSION_CONFIG) + 2];

		/* only what the other commands can open: a valid name, a real
		 * directory (not a link to one) holding a regular config */
		if (strlen(e->d_name) > PD_SESSION_NAME_MAX ||
		    strspn(e->d_name, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
			    strlen(e->d_name) ||
		    e->d_name[0] == '-' ||
		    fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if ((size_t)snprintf(cfg, sizeof(cfg), "%s/%s", e->d_name, PD_SESSION_CONFIG) >=
			    sizeof(cfg) ||
		    fstatat(dirfd(dir), cfg, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		pd_strv_push(&v, e->d_name);
	}
	qsort(v, pd_strv_len(v), sizeof(char *), cmp_str);
	*out = v;
	return 0;
}

int pd_session_each(const struct pd_session_dirs *d, pd_session_fn fn, void *data,
		    struct pd_error *err)
{
	cleanup_strv char **names = NULL;

	if (pd_session_names(d, &names, err) < 0 || !names)
		return -1;
	for (char **nm = names; *nm; nm++) {
		struct pd_session_paths p = { .dirs = *d };
		struct pd_session s;
		struct pd_error ignore;
		int r;

		if ((size_t)snprintf(p.dir, sizeof(p.dir), "%s/%s", d->data, *nm) >=
			    sizeof(p.dir) ||
		    (size_t)snprintf(p.run, sizeof(p.run), "%s/%s", d->run, *nm) >= sizeof(p.run) ||
		    pd_session_load(&p, &s, &ignore) < 0)
			continue;
		r = fn(&p, &s, data);
		pd_session_release(&s);
		if (r)
			return r;
	}
	return 0;
}

int pd_session_lock(const struct pd_session_paths *p, struct pd_error *err)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s.lock", p->run);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return pd_error_set(err, errno, "session lock \"%s\"", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		pd_error_set(err, errno, "session lock \"%s\"", path);
		close(fd);
		return -1;
	}
	return fd;
}

int pd_session_idmap(const struct pd_session *s, struct pd_idmap_plan *ids, struct pd_error *err)
{
	if (s->idmap == PD_IDMAP_ROOT) {
		if (geteuid() != 0)
			return pd_error_set_msg(err, EPERM,
						"Session '%s' belongs to root: run paude as root",
						s->name);
		pd_idmap_plan_root(ids, s->uid_start, s->gid_start);
		return 0;
	}
	if (geteuid() == 0)
		return pd_error_set_msg(err, EPERM, "Session '%s' is not root's", s->name);
	if (pd_idmap_plan_rootless(ids, false, err) < 0)
		return -1;
	if (ids->mode != s->idmap)
		return pd_error_set_msg(
			err, EINVAL,
			"Session '%s' was created with %s ids and this user now has %s: its files "
			"would belong to other ids (restore /etc/subuid, or delete the session)",
			s->name, idmap_names[s->idmap], idmap_names[ids->mode]);
	return 0;
}

struct pool_use {
	uint32_t pu;
	bool *used;
};

/* The pool slot @s holds, if any. */
static int mark_used(const struct pd_session_paths *p, const struct pd_session *s, void *data)
{
	struct pool_use *u = data;

	(void)p;
	if (s->idmap == PD_IDMAP_ROOT && s->uid_start >= u->pu &&
	    (s->uid_start - u->pu) / PD_SUBID_COUNT < PD_SESSIONS_POOL_SLOTS)
		u->used[(s->uid_start - u->pu) / PD_SUBID_COUNT] = true;
	return 0;
}

int pd_session_root_ids(const struct pd_session_dirs *d, struct pd_idmap_plan *ids, int *lock_fd,
			struct pd_error *err)
{
	cleanup_free bool *used = pd_xcalloc(PD_SESSIONS_POOL_SLOTS, sizeof(bool));
	cleanup_close int lock = -1;
	char path[4200];
	uint32_t pu, pg, slot;

	*lock_fd = -1;
	snprintf(path, sizeof(path), "%s/.ids.lock", d->data);
	lock = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock < 0)
		return pd_error_set(err, errno, "\"%s\"", path);
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR)
			return pd_error_set(err, errno, "lock \"%s\"", path);
	if (pd_subid_sessions_pool(&pu, &pg, err) < 0)
		return pd_error_wrap(err, "the sessions' id pool");
	{
		struct pool_use u = { .pu = pu, .used = used };

		if (pd_session_each(d, mark_used, &u, err) < 0)
			return -1;
	}
	for (slot = 0; slot < PD_SESSIONS_POOL_SLOTS && used[slot]; slot++)
		;
	if (slot == PD_SESSIONS_POOL_SLOTS)
		return pd_error_set_msg(
			err, ENOSPC,
			"every one of the %u id ranges of root's sessions is taken: "
			"delete a session",
			PD_SESSIONS_POOL_SLOTS);
	pd_idmap_plan_root(ids, pu + slot * PD_SUBID_COUNT, pg + slot * PD_SUBID_COUNT);
	*lock_fd = steal_fd(&lock);
	return 0;
}

static int add_pin(const struct pd_session_paths *p, const struct pd_session *s, void *data)
{
	(void)p;
	if (s->image_id)
		pd_strv_push(data, s->image_id);
	return 0;
}

char **pd_session_pinned_images(void)
{
	struct pd_session_dirs d;
	struct pd_error ignore;
	char **pins = pd_xcalloc(1, sizeof(char *));

	if (pd_session_dirs_paths(&d, &ignore) == 0)
		(void)pd_session_each(&d, add_pin, &pins, &ignore);
	return pins;
}

struct pin_query {
	const char *manifest;
	char who[PD_SESSION_NAME_MAX + 1];
};

static int find_pin(const struct pd_session_paths *p, const struct pd_session *s, void *data)
{
	struct pin_query *q = data;

	(void)p;
	if (!s->image_id || strcmp(s->image_id, q->manifest) != 0)
		return 0;
	pd_strlcpy(q->who, s->name, sizeof(q->who));
	return 1;
}

const char *pd_session_pinning(const char *manifest)
{
	static struct pin_query q;
	struct pd_session_dirs d;
	struct pd_error ignore;

	q = (struct pin_query){ .manifest = manifest };
	if (pd_session_dirs_paths(&d, &ignore) < 0 ||
	    pd_session_each(&d, find_pin, &q, &ignore) != 1)
		return NULL;
	return q.who;
}
