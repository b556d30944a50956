/* SPDX-License-Identifier: MIT */
/*
 * store.c - the image store (store.h has the layout and the rules).  Every
 * operation is relative to the store's directory fd; the only names joined
 * are fixed directory names and digests checked to be 64 hex digits.
 */
#include "store.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NAMES "names.json"
#define RECORD_MAX (4u << 20)

#include "store_int.h"

char *pd_store_default_root(void)
{
	const char *data = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		return pd_xstrdup("/var/lib/paude/storage");
	if (data && data[0] == '/')
		return pd_xasprintf("%s/paude/storage", data);
	if (home && home[0] == '/')
		return pd_xasprintf("%s/.local/share/paude/storage", home);
	return NULL;
}

const char *pd_store_hex(const char *digest)
{
	const char *h;

	if (!digest || strncmp(digest, "sha256:", 7) != 0)
		return NULL;
	h = digest + 7;
	for (size_t i = 0; i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return NULL;
	return h[64] == '\0' ? h : NULL;
}

/* mkdir -p of an absolute path the user chose (the store's root), 0700 for what is made. */
static int mkdir_p(const char *path, struct pd_error *err)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf) || path[0] != '/')
		return pd_error_set(err, EINVAL, "store \"%s\"", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return pd_error_set(err, errno, "make \"%s\"", buf);
		buf[i] = i == n ? '\0' : '/';
	}
	return 0;
}

struct pd_store *pd_store_open(const char *root, struct pd_error *err)
{
	static const char *const subdirs[] = { "blobs",  "blobs/sha256", "layers",
					       "images", "tmp",          "locks" };
	struct pd_store *s;
	struct stat st;
	int fd;

	if (mkdir_p(root, err) < 0)
		return NULL;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		pd_error_set(err, errno, "open the store \"%s\"", root);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
		close(fd);
		pd_error_set_msg(err, EPERM, "the store \"%s\" is not owned by this user", root);
		return NULL;
	}
	if ((st.st_mode & 077) && fchmod(fd, 0700) < 0) {
		pd_error_set(err, errno, "make the store \"%s\" private", root);
		close(fd);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++)
		if (mkdirat(fd, subdirs[i], 0700) < 0 && errno != EEXIST) {
			pd_error_set(err, errno, "store \"%s\": make %s", root, subdirs[i]);
			close(fd);
			return NULL;
		}
	s = pd_xcalloc(1, sizeof(*s));
	s->root = pd_xstrdup(root);
	s->fd = fd;
	return s;
}

void pd_store_close(struct pd_store *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s->root);
	free(s);
}

const char *pd_store_root(const struct pd_store *s)
{
	return s->root;
}

int pd_store_lock(struct pd_store *s, const char *name, struct pd_error *err)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "locks/%s.lock", name);
	fd = openat(s->fd, path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return pd_error_set(err, errno, "store lock %s", name);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			pd_error_set(err, errno, "store lock %s", name);
			close(fd);
			return -1;
		}
	}
	return fd;
}

void pd_store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int blob_path(const char *digest, char *out, size_t cap, struct pd_error *err)
{
	const char *hex = pd_store_hex(digest);

	if (!hex)
		return pd_error_set_msg(err, EINVAL, "\"%s\" is not a sha256 digest",
					digest ? digest : "");
	snprintf(out, cap, "blobs/sha256/%s", hex);
	return 0;
}

bool pd_store_has_blob(struct pd_store *s, const char *digest)
{
	char path[96];
	struct stat st;

	return blob_path(digest, path, sizeof(path), NULL) == 0 &&
	       fstatat(s->fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int pd_store_blob_open(struct pd_store *s, const char *digest, struct pd_error *err)
{
	char path[96];
	int fd;

	if (blob_path(digest, path, sizeof(path), err) < 0)
		return -1;
	fd = openat(s->fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pd_error_set(err, errno, "blob %s", digest);
	return fd;
}

int pd_store_tmp_file(struct pd_store *s, char *name, size_t cap, struct pd_error *err)
{
	char rnd[17];

	for (int tries = 0; tries < 16; tries++) {
		int fd;

		pd_random_hex(rnd, 8);
		snprintf(name, cap, "tmp/blob-%s", rnd);
		fd = openat(s->fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return pd_error_set(err, errno, "store: a temporary file");
	}
	return pd_error_set(err, EEXIST, "store: a temporary file");
}

int pd_store_tmp_open(struct pd_store *s, const char *tmpname, struct pd_error *err)
{
	int fd;

	if (strncmp(tmpname, "tmp/", 4) != 0 || strchr(tmpname + 4, '/'))
		return pd_error_set_msg(err, EINVAL, "store: \"%s\" is no temporary file", tmpname);
	fd = openat(s->fd, tmpname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pd_error_set(err, errno, "store: open %s", tmpname);
	return fd;
}

void pd_store_tmp_unlink(struct pd_store *s, const char *tmpname)
{
	if (strncmp(tmpname, "tmp/", 4) == 0 && !strchr(tmpname + 4, '/'))
		(void)unlinkat(s->fd, tmpname, 0);
}

int pd_store_blob_commit(struct pd_store *s, const char *tmpname, const char *digest,
			 struct pd_error *err)
{
	char path[96];

	if (blob_path(digest, path, sizeof(path), err) < 0)
		return -1;
	if (renameat(s->fd, tmpname, s->fd, path) < 0)
		return pd_error_set(err, errno, "store blob %s", digest);
	return 0;
}

int pd_store_read_blob(struct pd_store *s, const char *digest, size_t max, char **out, size_t *len,
		       struct pd_error *err)
{
	cleanup_close int fd = pd_store_blob_open(s, digest, err);
	struct stat st;
	char *buf;
	size_t off = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return pd_error_set(err, errno, "blob %s", digest);
	if ((uint64_t)st.st_size > max)
		return pd_error_set_msg(err, EFBIG, "blob %s: %lld bytes, more than %zu", digest,
					(long long)st.st_size, max);
	buf = pd_xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n <= 0) {
			free(buf);
			return pd_error_set(err, n < 0 ? errno : EIO, "read blob %s", digest);
		}
		off += (size_t)n;
	}
	buf[off] = '\0';
	*out = buf;
	*len = off;
	return 0;
}

int pd_store_write_blob(struct pd_store *s, const char *digest, const void *data, size_t len,
			struct pd_error *err)
{
	char tmp[64];
	int fd;

	if (pd_store_has_blob(s, digest))
		return 0;
	fd = pd_store_tmp_file(s, tmp, sizeof(tmp), err);
	if (fd < 0)
		return -1;
	if (pd_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		pd_error_set(err, errno, "write blob %s", digest);
		close(fd);
		unlinkat(s->fd, tmp, 0);
		return -1;
	}
	close(fd);
	if (pd_store_blob_commit(s, tmp, digest, err) < 0) {
		unlinkat(s->fd, tmp, 0);
		return -1;
	}
	return 0;
}

bool pd_store_has_layer(struct pd_store *s, const char *diff_id)
{
	const char *hex = pd_store_hex(diff_id);
	char path[96];
	struct stat st;

	if (!hex)
		return false;
	snprintf(path, sizeof(path), "layers/%s", hex);
	return fstatat(s->fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int pd_store_layer_path(struct pd_store *s, const char *diff_id, char *out, size_t cap)
{
	const char *hex = pd_store_hex(diff_id);
	int n;

	if (!hex)
		return -1;
	n = snprintf(out, cap, "%s/layers/%s", s->root, hex);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int pd_store_tmp_dir(struct pd_store *s, char *out, size_t cap, struct pd_error *err)
{
	char rnd[17], rel[64];

	for (int tries = 0; tries < 16; tries++) {
		pd_random_hex(rnd, 8);
		snprintf(rel, sizeof(rel), "tmp/layer-%s", rnd);
		if (mkdirat(s->fd, rel, 0700) == 0) {
			int n = snprintf(out, cap, "%s/%s", s->root, rel);

			if (n <= 0 || (size_t)n >= cap) {
				unlinkat(s->fd, rel, AT_REMOVEDIR);
				return pd_error_set(err, ENAMETOOLONG, "store: a temporary dir");
			}
			return 0;
		}
		if (errno != EEXIST)
			return pd_error_set(err, errno, "store: a temporary dir");
	}
	return pd_error_set(err, EEXIST, "store: a temporary dir");
}

int pd_store_layer_commit(struct pd_store *s, const char *tmpdir, const char *diff_id,
			  struct pd_error *err)
{
	const char *hex = pd_store_hex(diff_id);
	size_t rl = strlen(s->root);
	char path[96];

	if (!hex)
		return pd_error_set_msg(err, EINVAL, "\"%s\" is not a sha256 digest", diff_id);
	if (strncmp(tmpdir, s->root, rl) != 0 || strncmp(tmpdir + rl, "/tmp/", 5) != 0)
		return pd_error_set_msg(err, EINVAL, "\"%s\" is not the store's", tmpdir);
	snprintf(path, sizeof(path), "layers/%s", hex);
	if (renameat2(s->fd, tmpdir + rl + 1, s->fd, path, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			return 0;
		return pd_error_set(err, errno, "store layer %s", diff_id);
	}
	return 1;
}

/* ---- records ---- */

static cJSON *image_json(const struct pd_store_image *img)
{
	cJSON *o = cJSON_CreateObject(), *layers = cJSON_AddArrayToObject(o, "layers");

	cJSON_AddStringToObject(o, "manifest", img->manifest);
	cJSON_AddStringToObject(o, "config", img->config);
	cJSON_AddStringToObject(o, "platform", img->platform);
	cJSON_AddStringToObject(o, "created", img->created);
	cJSON_AddNumberToObject(o, "pulled", (double)img->pulled);
	for (size_t i = 0; i < img->n_layers; i++) {
		cJSON *l = cJSON_CreateObject();

		cJSON_AddStringToObject(l, "digest", img->layers[i].digest);
		cJSON_AddStringToObject(l, "diff_id", img->layers[i].diff_id);
		cJSON_AddStringToObject(l, "media_type", img->layers[i].media_type);
		cJSON_AddNumberToObject(l, "size", (double)img->layers[i].size);
		cJSON_AddItemToArray(layers, l);
	}
	return o;
}

static void copy_str(char *dst, size_t cap, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	snprintf(dst, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static int image_from_json(const cJSON *o, struct pd_store_image *img)
{
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(o, "layers"), *l;
	const cJSON *pulled = cJSON_GetObjectItemCaseSensitive(o, "pulled");
	size_t i = 0;

	memset(img, 0, sizeof(*img));
	copy_str(img->manifest, sizeof(img->manifest), o, "manifest");
	copy_str(img->config, sizeof(img->config), o, "config");
	copy_str(img->platform, sizeof(img->platform), o, "platform");
	copy_str(img->created, sizeof(img->created), o, "created");
	img->pulled = cJSON_IsNumber(pulled) ? (int64_t)pulled->valuedouble : 0;
	if (!pd_store_hex(img->manifest) || !pd_store_hex(img->config) || !cJSON_IsArray(layers))
		return -1;
	img->n_layers = (size_t)cJSON_GetArraySize(layers);
	img->layers = pd_xcalloc(img->n_layers ? img->n_layers : 1, sizeof(*img->layers));
	cJSON_ArrayForEach (l, layers) {
		const cJSON *sz = cJSON_GetObjectItemCaseSensitive(l, "size");

		copy_str(img->layers[i].digest, sizeof(img->layers[i].digest), l, "digest");
		copy_str(img->layers[i].diff_id, sizeof(img->layers[i].diff_id), l, "diff_id");
		copy_str(img->layers[i].media_type, sizeof(img->layers[i].media_type), l,
			 "media_type");
		img->layers[i].size = cJSON_IsNumber(sz) ? (int64_t)sz->valuedouble : 0;
		if (!pd_store_hex(img->layers[i].diff_id))
			return -1;
		i++;
	}
	return 0;
}

void pd_store_image_release(struct pd_store_image *img)
{
	free(img->layers);
	pd_strv_free(img->names);
	memset(img, 0, sizeof(*img));
}

/* Replace @rel with @text: temp file, fsync, rename. */
static int replace_file(struct pd_store *s, const char *rel, const char *text, struct pd_error *err)
{
	char tmp[64];
	int fd = pd_store_tmp_file(s, tmp, sizeof(tmp), err);

	if (fd < 0)
		return -1;
	if (pd_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		pd_error_set(err, errno, "store: write %s", rel);
		close(fd);
		unlinkat(s->fd, tmp, 0);
		return -1;
	}
	close(fd);
	if (renameat(s->fd, tmp, s->fd, rel) < 0) {
		pd_error_set(err, errno, "store: replace %s", rel);
		unlinkat(s->fd, tmp, 0);
		return -1;
	}
	return 0;
}

static cJSON *read_json(struct pd_store *s, const char *rel, struct pd_error *err)
{
	cleanup_close int fd = openat(s->fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;
	cJSON *j;

	if (fd < 0) {
		if (errno == ENOENT)
			return cJSON_CreateObject();
		pd_error_set(err, errno, "store: read %s", rel);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > RECORD_MAX) {
				pd_error_set_msg(err, EFBIG, "store: %s is too large", rel);
				return NULL;
			}
			buf = pd_xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pd_error_set(err, errno, "store: read %s", rel);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf)
		return cJSON_CreateObject();
	buf[len] = '\0';
	j = cJSON_ParseWithLength(buf, len);
	if (!j || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		pd_error_set_msg(err, EINVAL, "store: %s is damaged", rel);
		return NULL;
	}
	return j;
}

int pd_store_image_put(struct pd_store *s, const struct pd_store_image *img, const char *name,
		       struct pd_error *err)
{
	const char *hex = pd_store_hex(img->manifest);
	char rel[96];
	cJSON *rec, *names;
	char *text;
	int lock, r;

	if (!hex)
		return pd_error_set_msg(err, EINVAL, "image record without a manifest digest");
	snprintf(rel, sizeof(rel), "images/%s.json", hex);
	rec = image_json(img);
	text = cJSON_PrintUnformatted(rec);
	cJSON_Delete(rec);
	r = replace_file(s, rel, text, err);
	free(text);
	if (r < 0 || !name)
		return r;
	lock = pd_store_lock(s, "names", err);
	if (lock < 0)
		return -1;
	names = read_json(s, NAMES, err);
	if (!names) {
		pd_store_unlock(lock);
		return -1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(names, name);
	cJSON_AddStringToObject(names, name, img->manifest);
	text = cJSON_PrintUnformatted(names);
	cJSON_Delete(names);
	r = replace_file(s, NAMES, text, err);
	free(text);
	pd_store_unlock(lock);
	return r;
}

static int get_by_hex(struct pd_store *s, const char *hex, struct pd_store_image *out,
		      struct pd_error *err)
{
	char rel[96];
	cJSON *j;
	struct stat st;

	snprintf(rel, sizeof(rel), "images/%s.json", hex);
	if (fstatat(s->fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	j = read_json(s, rel, err);
	if (!j)
		return -1;
	if (image_from_json(j, out) < 0) {
		cJSON_Delete(j);
		pd_store_image_release(out);
		return pd_error_set_msg(err, EINVAL, "store: the record %s is damaged", rel);
	}
	cJSON_Delete(j);
	return 1;
}

static void fill_names(const cJSON *names, struct pd_store_image *img)
{
	const cJSON *n;

	cJSON_ArrayForEach (n, names) {
		if (cJSON_IsString(n) && !strcmp(n->valuestring, img->manifest))
			pd_strv_push(&img->names, n->string);
	}
}

/* A unique image whose hex starts with @prefix (12-64 hex digits). */
static int find_prefix(struct pd_store *s, const char *prefix, char *hex, struct pd_error *err)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;
	size_t n = strlen(prefix), found = 0;
	int fd = openat(s->fd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return pd_error_set(err, errno, "store: images");
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return pd_error_set(err, errno, "store: images");
	}
	while ((e = readdir(d))) {
		if (strlen(e->d_name) == 69 && !strncmp(e->d_name, prefix, n) &&
		    !strcmp(e->d_name + 64, ".json")) {
			if (found++)
				return pd_error_set_msg(err, EINVAL,
							"\"%s\" names more than one image", prefix);
			memcpy(hex, e->d_name, 64);
			hex[64] = '\0';
		}
	}
	return found ? 1 : 0;
}

int pd_store_image_get(struct pd_store *s, const char *name_or_id, struct pd_store_image *out,
		       struct pd_error *err)
{
	cJSON *names = read_json(s, NAMES, err);
	const cJSON *v;
	char hex[65] = "";
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (!names)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(names, name_or_id);
	if (cJSON_IsString(v) && pd_store_hex(v->valuestring)) {
		snprintf(hex, sizeof(hex), "%s", pd_store_hex(v->valuestring));
	} else if (pd_store_hex(name_or_id)) {
		snprintf(hex, sizeof(hex), "%s", pd_store_hex(name_or_id));
	} else {
		size_t n = strlen(name_or_id);
		bool allhex = n >= 12 && n <= 64;

		for (size_t i = 0; allhex && i < n; i++)
			allhex = (name_or_id[i] >= '0' && name_or_id[i] <= '9') ||
				 (name_or_id[i] >= 'a' && name_or_id[i] <= 'f');
		if (allhex)
			r = find_prefix(s, name_or_id, hex, err);
		if (r <= 0) {
			cJSON_Delete(names);
			return r;
		}
	}
	r = get_by_hex(s, hex, out, err);
	if (r > 0)
		fill_names(names, out);
	cJSON_Delete(names);
	return r;
}

int pd_store_images(struct pd_store *s, struct pd_store_image **out, size_t *n,
		    struct pd_error *err)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;
	cJSON *names;
	int fd;

	*out = NULL;
	*n = 0;
	names = read_json(s, NAMES, err);
	if (!names)
		return -1;
	fd = openat(s->fd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		cJSON_Delete(names);
		return pd_error_set(err, errno, "store: images");
	}
	while ((e = readdir(d))) {
		char hex[65];
		struct pd_store_image img;

		if (strlen(e->d_name) != 69 || strcmp(e->d_name + 64, ".json") != 0)
			continue;
		memcpy(hex, e->d_name, 64);
		hex[64] = '\0';
		if (get_by_hex(s, hex, &img, NULL) <= 0)
			continue;
		fill_names(names, &img);
		*out = pd_xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = img;
	}
	cJSON_Delete(names);
	return 0;
}

void pd_store_images_free(struct pd_store_image *imgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pd_store_image_release(&imgs[i]);
	free(imgs);
}

int pd_store_image_remove(struct pd_store *s, const struct pd_store_image *img,
			  struct pd_error *err)
{
	const char *hex = pd_store_hex(img->manifest);
	cJSON *names, *n, *next;
	char rel[96], *text;
	int lock, r;

	if (!hex)
		return pd_error_set_msg(err, EINVAL, "image record without a manifest digest");
	lock = pd_store_lock(s, "names", err);
	if (lock < 0)
		return -1;
	names = read_json(s, NAMES, err);
	if (!names) {
		pd_store_unlock(lock);
		return -1;
	}
	for (n = names->child; n; n = next) {
		next = n->next;
		if (cJSON_IsString(n) && !strcmp(n->valuestring, img->manifest))
			cJSON_Delete(cJSON_DetachItemViaPointer(names, n));
	}
	text = cJSON_PrintUnformatted(names);
	cJSON_Delete(names);
	r = replace_file(s, NAMES, text, err);
	free(text);
	pd_store_unlock(lock);
	if (r < 0)
		return -1;
	snprintf(rel, sizeof(rel), "images/%s.json", hex);
	if (unlinkat(s->fd, rel, 0) < 0 && errno != ENOENT)
		return pd_error_set(err, errno, "store: remove %s", rel);
	pd_store_image_unhold_file(s, img->manifest);
	return 0;
}
