/* SPDX-License-Identifier: MIT */
/*
 * manifest.c - manifests, indexes, configs and platform selection (manifest.h).
 *
 * Theory of operation
 *
 * A registry (or an OCI layout's index.json and blobs) hands over JSON
 * documents that paude trusts no more than the network: each body is capped
 * (4 MiB) before it is looked at, must hold no NUL byte and no "\u0000"
 * escape (cJSON would cut the string there while Go, which wrote it, would
 * not), and is parsed once with cJSON, rejecting trailing data.  Then every
 * field paude uses is read by exact name and type-checked; null counts as
 * absent (as with Go's encoding/json); unknown fields are ignored; a
 * duplicated key among those read is refused, since JSON readers disagree
 * on which copy counts and the registry may have used the other one.
 *
 * What a document is comes from, in this order:
 *   1. Docker schema 1, in the Content-Type, the body's mediaType or as
 *      schemaVersion 1: refused ("Docker schema 1 is not supported");
 *   2. schemaVersion, which must be 2;
 *   3. the shape: "manifests" with "config" or "layers" is refused as both
 *      an index and a manifest;
 *   4. the body's mediaType when present (one of the four types below, and
 *      it must agree with the shape), else the shape: "manifests" is an OCI
 *      index, "config"/"layers" an OCI manifest (OCI leaves mediaType
 *      optional; Docker always writes it);
 *   5. the Content-Type, when it says something (not NULL, "", or a
 *      generic application/json, text/plain, application/octet-stream):
 *      equal to the body's mediaType, or when the body has none, one of the
 *      two types of its shape (and then it tells OCI from Docker).
 *
 *	OCI manifest      application/vnd.oci.image.manifest.v1+json
 *	OCI index         application/vnd.oci.image.index.v1+json
 *	Docker manifest   application/vnd.docker.distribution.manifest.v2+json
 *	Docker list       application/vnd.docker.distribution.manifest.list.v2+json
 *
 * A descriptor has a mediaType, a digest (sha256 or sha512, digest.c) and
 * a size that is an integer below 2^53 (cJSON keeps numbers as doubles,
 * which are not exact from there on; no blob is that large).  "urls" marks a
 * foreign layer: recorded, never followed.  Index entries keep a platform.
 *
 * Platforms are normalized as containerd's platforms.Normalize does and
 * ranked as its Only() matcher does, restricted to the exact architecture
 * (no arm64 -> arm or amd64 -> 386 fallback): see pd_oci_index_select().
 */
#include "oci/manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/cleanup.h"
#include "common/util.h"

#define PATH_LEN 64
#define SHOWN_MAX 160
#define EXACT_LIMIT 9007199254740992.0 /* 2^53 */

static const char *const layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};
static const enum pd_oci_compression layer_compression[] = {
	PD_OCI_COMPRESSION_NONE, PD_OCI_COMPRESSION_GZIP, PD_OCI_COMPRESSION_ZSTD,
	PD_OCI_COMPRESSION_NONE, PD_OCI_COMPRESSION_GZIP, PD_OCI_COMPRESSION_ZSTD,
	PD_OCI_COMPRESSION_GZIP, PD_OCI_COMPRESSION_GZIP,
};

#define SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

static void cjson_deletep(cJSON **j)
{
	if (*j)
		cJSON_Delete(*j);
	*j = NULL;
}

#define cleanup_cjson __attribute__((cleanup(cjson_deletep)))

/* A printable, bounded copy of untrusted text for a message. */
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

static int fail(struct pd_error *err, const char *what, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "WHAT: PATH: MESSAGE" (or "WHAT: MESSAGE" without a path), EINVAL. */
static int fail(struct pd_error *err, const char *what, const char *path, const char *fmt, ...)
{
	char msg[PD_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	if (path && *path)
		return pd_error_set_msg(err, EINVAL, "%s: %s: %s", what, path, msg);
	return pd_error_set_msg(err, EINVAL, "%s: %s", what, msg);
}

static const char *type_name(const cJSON *v)
{
	if (!v)
		return "nothing";
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

/* "PREFIX.KEY" or "PREFIX[I]" into a PATH_LEN buffer (cut when longer: it only names). */
static void join_key(char *out, const char *prefix, const char *key)
{
	if (snprintf(out, PATH_LEN, "%s%s%s", prefix, *prefix ? "." : "", key) < 0)
		out[0] = '\0';
}

static void join_index(char *out, const char *prefix, size_t i)
{
	if (snprintf(out, PATH_LEN, "%s[%zu]", prefix, i) < 0)
		out[0] = '\0';
}

/*
 * The member @key of object @obj into *@v: NULL when missing or null.
 * -1 with @err when the key occurs more than once.
 */
static int member(const cJSON *obj, const char *key, const cJSON **v, const char *what,
		  const char *prefix, struct pd_error *err)
{
	const cJSON *c;
	char path[PATH_LEN];

	*v = NULL;
	for (c = obj->child; c; c = c->next) {
		if (!c->string || strcmp(c->string, key) != 0)
			continue;
		if (*v) {
			join_key(path, prefix, key);
			return fail(err, what, path, "duplicate key");
		}
		*v = c;
	}
	if (*v && cJSON_IsNull(*v))
		*v = NULL;
	return 0;
}

/*
 * An optional string member into *@s (NULL when absent or null); -1 when
 * it is some other type, or longer than @max bytes (0: no limit).
 */
static int opt_string(const cJSON *obj, const char *key, const char **s, size_t max,
		      const char *what, const char *prefix, struct pd_error *err)
{
	const cJSON *v;
	char path[PATH_LEN];

	*s = NULL;
	if (member(obj, key, &v, what, prefix, err) < 0)
		return -1;
	if (!v)
		return 0;
	join_key(path, prefix, key);
	if (!cJSON_IsString(v) || !v->valuestring)
		return fail(err, what, path, "expected a string, got %s", type_name(v));
	if (max && strlen(v->valuestring) > max)
		return fail(err, what, path, "longer than %zu bytes", max);
	*s = v->valuestring;
	return 0;
}

/* A string member copied into @buf (@size bytes with the NUL); "" when absent. */
static int copy_string(const cJSON *obj, const char *key, char *buf, size_t size, bool required,
		       const char *what, const char *prefix, struct pd_error *err)
{
	const char *s;
	char path[PATH_LEN];

	if (opt_string(obj, key, &s, size - 1, what, prefix, err) < 0)
		return -1;
	if (!s && required) {
		join_key(path, prefix, key);
		return fail(err, what, path, "missing");
	}
	pd_strlcpy(buf, s ? s : "", size);
	return 0;
}

/* An optional member that must be an object (or absent/null). */
static int opt_object(const cJSON *obj, const char *key, const cJSON **v, const char *what,
		      const char *prefix, struct pd_error *err)
{
	char path[PATH_LEN];

	if (member(obj, key, v, what, prefix, err) < 0)
		return -1;
	if (*v && !cJSON_IsObject(*v)) {
		join_key(path, prefix, key);
		return fail(err, what, path, "expected an object, got %s", type_name(*v));
	}
	return 0;
}

/* An optional member that must be an array (or absent/null). */
static int opt_array(const cJSON *obj, const char *key, const cJSON **v, const char *what,
		     const char *prefix, struct pd_error *err)
{
	char path[PATH_LEN];

	if (member(obj, key, v, what, prefix, err) < 0)
		return -1;
	if (*v && !cJSON_IsArray(*v)) {
		join_key(path, prefix, key);
		return fail(err, what, path, "expected an array, got %s", type_name(*v));
	}
	return 0;
}

static size_t array_len(const cJSON *a)
{
	size_t n = 0;

	for (const cJSON *c = a ? a->child : NULL; c; c = c->next)
		n++;
	return n;
}

/* An object whose values must all be strings (annotations, labels). */
static int string_map(const cJSON *obj, const char *what, const char *path, struct pd_error *err)
{
	for (const cJSON *c = obj->child; c; c = c->next)
		if (!cJSON_IsString(c) || !c->valuestring)
			return fail(err, what, path, "value of \"%s\": expected a string, got %s",
				    c->string ? c->string : "", type_name(c));
	return 0;
}

/* A size: an integer in 0..2^53-1 (above, doubles are not exact: 2^53+1 reads as 2^53). */
static int read_size(const cJSON *v, int64_t *out, const char *what, const char *path,
		     struct pd_error *err)
{
	double d;

	if (!v)
		return fail(err, what, path, "missing");
	if (!cJSON_IsNumber(v))
		return fail(err, what, path, "expected a number, got %s", type_name(v));
	d = v->valuedouble;
	if (!isfinite(d))
		return fail(err, what, path, "not an integer");
	if (d < 0)
		return fail(err, what, path, "negative size");
	if (d >= EXACT_LIMIT)
		return fail(err, what, path, "2^53 or larger");
	if (d != (double)(int64_t)d) /* in range: the cast is defined */
		return fail(err, what, path, "not an integer");
	*out = (int64_t)d;
	return 0;
}

/*
 * A descriptor at @path (an object): mediaType, digest, size, urls,
 * annotations and, for index entries (@platform), platform.
 */
static int descriptor(const cJSON *o, const char *what, const char *path, bool platform,
		      struct pd_oci_descriptor *d, struct pd_error *err)
{
	const cJSON *v;
	const char *s, *why;
	char sub[PATH_LEN];
	struct pd_digest dg;

	memset(d, 0, sizeof(*d));
	if (!cJSON_IsObject(o))
		return fail(err, what, path, "expected an object, got %s", type_name(o));
	if (copy_string(o, "mediaType", d->media_type, sizeof(d->media_type), true, what, path,
			err) < 0)
		return -1;
	if (!d->media_type[0]) {
		join_key(sub, path, "mediaType");
		return fail(err, what, sub, "empty");
	}
	if (opt_string(o, "digest", &s, 0, what, path, err) < 0)
		return -1;
	join_key(sub, path, "digest");
	if (!s)
		return fail(err, what, sub, "missing");
	if (pd_digest_parse(s, strlen(s), &dg, &why) < 0)
		return fail(err, what, sub, "%s", why);
	pd_digest_format(&dg, d->digest, sizeof(d->digest));
	if (member(o, "size", &v, what, path, err) < 0)
		return -1;
	join_key(sub, path, "size");
	if (read_size(v, &d->size, what, sub, err) < 0)
		return -1;
	if (opt_array(o, "urls", &v, what, path, err) < 0)
		return -1;
	if (v) {
		size_t i = 0;

		for (const cJSON *u = v->child; u; u = u->next, i++) {
			if (!cJSON_IsString(u) || !u->valuestring) {
				char upath[PATH_LEN];

				join_key(sub, path, "urls");
				join_index(upath, sub, i);
				return fail(err, what, upath, "expected a string, got %s",
					    type_name(u));
			}
		}
		d->has_urls = i > 0;
	}
	if (opt_object(o, "annotations", &v, what, path, err) < 0)
		return -1;
	join_key(sub, path, "annotations");
	if (v && string_map(v, what, sub, err) < 0)
		return -1;
	if (v) {
		/* string_map() checked every value is a string; one too long to
		 * be a layout's image name is simply no name. */
		const cJSON *rn =
			cJSON_GetObjectItemCaseSensitive(v, "org.opencontainers.image.ref.name");

		if (cJSON_IsString(rn) && rn->valuestring &&
		    strlen(rn->valuestring) < sizeof(d->ref_name))
			pd_strlcpy(d->ref_name, rn->valuestring, sizeof(d->ref_name));
	}
	if (!platform)
		return 0;
	if (opt_object(o, "platform", &v, what, path, err) < 0)
		return -1;
	if (!v)
		return 0;
	join_key(sub, path, "platform");
	if (copy_string(v, "os", d->os, sizeof(d->os), true, what, sub, err) < 0 ||
	    copy_string(v, "architecture", d->arch, sizeof(d->arch), true, what, sub, err) < 0 ||
	    copy_string(v, "variant", d->variant, sizeof(d->variant), false, what, sub, err) < 0)
		return -1;
	d->has_platform = true;
	return 0;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

int pd_oci_layer_compression(const char *media_type, enum pd_oci_compression *out)
{
	for (size_t i = 0; i < sizeof(layer_types) / sizeof(layer_types[0]); i++) {
		if (!strcmp(media_type, layer_types[i])) {
			*out = layer_compression[i];
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

bool pd_oci_media_type_is_manifest(const char *media_type)
{
	static const char *const types[] = { PD_OCI_MT_MANIFEST, PD_OCI_MT_INDEX,
					     PD_OCI_MT_DOCKER_MANIFEST, PD_OCI_MT_DOCKER_LIST };

	return in_list(media_type, types, sizeof(types) / sizeof(types[0]));
}

static bool is_index_type(const char *mt)
{
	return !strcmp(mt, PD_OCI_MT_INDEX) || !strcmp(mt, PD_OCI_MT_DOCKER_LIST);
}

static bool is_docker_type(const char *mt)
{
	return !strcmp(mt, PD_OCI_MT_DOCKER_MANIFEST) || !strcmp(mt, PD_OCI_MT_DOCKER_LIST);
}

static bool is_schema1(const char *mt)
{
	return !strcmp(mt, SCHEMA1) || !strcmp(mt, SCHEMA1_SIGNED);
}

/*
 * The Content-Type's media type, lower case, without parameters or
 * surrounding blanks, into @buf; "" when it says nothing (NULL, empty or
 * generic).  A value too long for @buf is kept cut (it matches nothing).
 */
static void content_type_of(const char *ct, char *buf, size_t size)
{
	static const char *const generic[] = { "application/json", "text/plain",
					       "application/octet-stream" };
	size_t n = 0;

	buf[0] = '\0';
	if (!ct)
		return;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	for (; *ct && *ct != ';' && n + 1 < size; ct++) {
		char c = *ct;

		buf[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (in_list(buf, generic, sizeof(generic) / sizeof(generic[0])))
		buf[0] = '\0';
}

/* Refuse what cJSON could not read as Go does: NUL bytes and \u0000 escapes. */
static int check_raw(const char *body, size_t len, const char *what, struct pd_error *err)
{
	if (memchr(body, '\0', len))
		return fail(err, what, NULL, "contains a NUL byte");
	/* Each backslash starts an escape (outside strings cJSON refuses it anyway). */
	for (size_t i = 0; i < len; i++) {
		if (body[i] != '\\')
			continue;
		if (len - i >= 6 && !memcmp(body + i + 1, "u0000", 5))
			return fail(err, what, NULL, "contains a \\u0000 escape");
		i++; /* the escaped character: "\\\\u0000" is a backslash and "u0000" */
	}
	return 0;
}

/* Parse @len bytes of JSON into *@root: one value, then only blanks. */
static int parse_json(const char *body, size_t len, cJSON **root, const char *what,
		      struct pd_error *err)
{
	const char *end = NULL;

	*root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!*root) {
		size_t off = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;

		return fail(err, what, NULL, "not valid JSON (near byte %zu)", off);
	}
	for (const char *p = end; p && p < body + len; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return fail(err, what, NULL, "data after the JSON document (byte %zu)",
				    (size_t)(p - body));
	if (!cJSON_IsObject(*root))
		return fail(err, what, NULL, "expected a JSON object, got %s", type_name(*root));
	return 0;
}

static int read_layers(const cJSON *root, struct pd_oci_manifest *out, const char *what,
		       struct pd_error *err)
{
	const cJSON *v;
	char path[PATH_LEN], buf[SHOWN_MAX];
	size_t n, i = 0;

	if (opt_object(root, "config", &v, what, "", err) < 0)
		return -1;
	if (!v)
		return fail(err, what, "config", "missing");
	if (descriptor(v, what, "config", false, &out->config, err) < 0)
		return -1;
	if (strcmp(out->config.media_type, PD_OCI_MT_CONFIG) != 0 &&
	    strcmp(out->config.media_type, PD_OCI_MT_DOCKER_CONFIG) != 0)
		return fail(err, what, "config.mediaType",
			    "unsupported config media type \"%s\" (not a container image)",
			    shown(out->config.media_type, buf, sizeof(buf)));
	if (opt_array(root, "layers", &v, what, "", err) < 0)
		return -1;
	if (!v)
		return fail(err, what, "layers", "missing");
	n = array_len(v);
	if (n > PD_OCI_LAYERS_MAX)
		return fail(err, what, "layers", "%zu layers, more than the %d allowed", n,
			    PD_OCI_LAYERS_MAX);
	out->layers = n ? pd_xcalloc(n, sizeof(*out->layers)) : NULL;
	for (const cJSON *c = v->child; c && i < n; c = c->next, i++) {
		struct pd_oci_descriptor *d = &out->layers[i];
		enum pd_oci_compression comp;

		join_index(path, "layers", i);
		if (descriptor(c, what, path, false, d, err) < 0)
			return -1;
		out->n_layers = i + 1;
		if (pd_oci_layer_compression(d->media_type, &comp) < 0) {
			char mpath[PATH_LEN];

			join_key(mpath, path, "mediaType");
			return fail(err, what, mpath, "unsupported layer media type \"%s\"",
				    shown(d->media_type, buf, sizeof(buf)));
		}
	}
	return 0;
}

static int read_entries(const cJSON *root, struct pd_oci_manifest *out, const char *what,
			struct pd_error *err)
{
	const cJSON *v;
	char path[PATH_LEN];
	size_t n, i = 0;

	if (opt_array(root, "manifests", &v, what, "", err) < 0)
		return -1;
	if (!v)
		return fail(err, what, "manifests", "missing");
	n = array_len(v);
	if (n > PD_OCI_INDEX_ENTRIES_MAX)
		return fail(err, what, "manifests", "%zu entries, more than the %d allowed", n,
			    PD_OCI_INDEX_ENTRIES_MAX);
	out->manifests = n ? pd_xcalloc(n, sizeof(*out->manifests)) : NULL;
	for (const cJSON *c = v->child; c && i < n; c = c->next, i++) {
		join_index(path, "manifests", i);
		if (descriptor(c, what, path, true, &out->manifests[i], err) < 0)
			return -1;
		out->n_manifests = i + 1;
	}
	return 0;
}

/* Present and not null. */
static int has_key(const cJSON *root, const char *key, bool *has, struct pd_error *err)
{
	const cJSON *v;

	if (member(root, key, &v, "manifest", "", err) < 0)
		return -1;
	*has = v != NULL;
	return 0;
}

static int classify(const cJSON *root, const char *ct, struct pd_oci_manifest *out,
		    struct pd_error *err)
{
	const char *mt;
	const cJSON *sv;
	bool has_manifests, has_layers, has_config, index_shape;
	char buf[SHOWN_MAX], buf2[SHOWN_MAX];

	if (opt_string(root, "mediaType", &mt, 0, "manifest", "", err) < 0 ||
	    member(root, "schemaVersion", &sv, "manifest", "", err) < 0)
		return -1;
	if ((mt && is_schema1(mt)) || (cJSON_IsNumber(sv) && sv->valuedouble == 1))
		return fail(err, "manifest", NULL, "Docker schema 1 is not supported");
	if (!sv)
		return fail(err, "manifest", "schemaVersion", "missing");
	if (!cJSON_IsNumber(sv))
		return fail(err, "manifest", "schemaVersion", "expected a number, got %s",
			    type_name(sv));
	if (sv->valuedouble != 2)
		return fail(err, "manifest", "schemaVersion", "must be 2, got %g", sv->valuedouble);
	if (has_key(root, "manifests", &has_manifests, err) < 0 ||
	    has_key(root, "layers", &has_layers, err) < 0 ||
	    has_key(root, "config", &has_config, err) < 0)
		return -1;
	if (has_manifests && (has_layers || has_config))
		return fail(err, "manifest", NULL,
			    "both an index and a manifest (\"manifests\" with \"%s\")",
			    has_layers ? "layers" : "config");
	if (!has_manifests && !has_layers && !has_config)
		return fail(err, "manifest", NULL,
			    "neither a manifest nor an index (no manifests, config or layers)");
	index_shape = has_manifests;
	if (mt) {
		if (!pd_oci_media_type_is_manifest(mt))
			return fail(err, "manifest", "mediaType", "unsupported media type \"%s\"",
				    shown(mt, buf, sizeof(buf)));
		if (is_index_type(mt) != index_shape)
			return fail(err, "manifest", "mediaType",
				    "\"%s\" but the document is shaped like %s", mt,
				    index_shape ? "an index (manifests)"
						: "a manifest (config, layers)");
	}
	if (ct[0]) {
		if (mt && strcmp(ct, mt) != 0)
			return fail(
				err, "manifest", NULL,
				"Content-Type \"%s\" disagrees with the body's mediaType \"%s\"",
				shown(ct, buf, sizeof(buf)), shown(mt, buf2, sizeof(buf2)));
		if (!mt && !pd_oci_media_type_is_manifest(ct))
			return fail(err, "manifest", NULL,
				    "Content-Type \"%s\" is not a manifest media type",
				    shown(ct, buf, sizeof(buf)));
		if (!mt && is_index_type(ct) != index_shape)
			return fail(err, "manifest", NULL,
				    "Content-Type \"%s\" disagrees with the body, shaped like %s",
				    ct, index_shape ? "an index" : "a manifest");
		if (!mt)
			mt = ct;
	}
	out->kind = index_shape ? PD_OCI_INDEX : PD_OCI_MANIFEST;
	out->docker = mt && is_docker_type(mt);
	return 0;
}

int pd_oci_manifest_parse(const char *body, size_t len, const char *content_type,
			  struct pd_oci_manifest *out, struct pd_error *err)
{
	cleanup_cjson cJSON *root = NULL;
	char ct[128];
	int r;

	memset(out, 0, sizeof(*out));
	if (len > PD_OCI_MANIFEST_MAX)
		return pd_error_set_msg(err, EFBIG, "manifest: %zu bytes, more than the %u allowed",
					len, PD_OCI_MANIFEST_MAX);
	content_type_of(content_type, ct, sizeof(ct));
	if (is_schema1(ct))
		return fail(err, "manifest", NULL, "Docker schema 1 is not supported");
	if (check_raw(body, len, "manifest", err) < 0 ||
	    parse_json(body, len, &root, "manifest", err) < 0 || classify(root, ct, out, err) < 0)
		return -1;
	if (out->kind == PD_OCI_INDEX)
		r = read_entries(root, out, "image index", err);
	else
		r = read_layers(root, out, "manifest", err);
	if (r < 0)
		pd_oci_manifest_release(out);
	return r;
}

void pd_oci_manifest_release(struct pd_oci_manifest *m)
{
	free(m->layers);
	free(m->manifests);
	memset(m, 0, sizeof(*m));
}

/* ---- platforms ---- */

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void set(char *dst, const char *src)
{
	pd_strlcpy(dst, src, sizeof(((struct pd_platform *)0)->os));
}

void pd_platform_normalize(struct pd_platform *p)
{
	char *a = p->arch, *v = p->variant;

	lower(p->os);
	lower(a);
	lower(v);
	if (!strcmp(a, "i386")) {
		set(a, "386");
		v[0] = '\0';
	} else if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64") || !strcmp(a, "amd64")) {
		set(a, "amd64");
		if (!strcmp(v, "v1"))
			v[0] = '\0';
	} else if (!strcmp(a, "aarch64") || !strcmp(a, "arm64")) {
		set(a, "arm64");
		if (!strcmp(v, "8") || !strcmp(v, "v8") || !strcmp(v, "v8.0"))
			v[0] = '\0';
		else if (!strcmp(v, "9") || !strcmp(v, "9.0") || !strcmp(v, "v9.0"))
			set(v, "v9");
	} else if (!strcmp(a, "armhf")) {
		set(a, "arm");
		set(v, "v7");
	} else if (!strcmp(a, "armel")) {
		set(a, "arm");
		set(v, "v6");
	} else if (!strcmp(a, "arm")) {
		if (!v[0] || !strcmp(v, "7"))
			set(v, "v7");
		else if (!strcmp(v, "5") || !strcmp(v, "6") || !strcmp(v, "8"))
			snprintf(v, sizeof(p->variant), "v%c", v[0]);
	}
}

static bool platform_part_valid(const char *s, size_t n)
{
	if (n == 0 || n >= sizeof(((struct pd_platform *)0)->os))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

int pd_platform_parse(const char *s, struct pd_platform *out, struct pd_error *err)
{
	char *parts[3] = { out->os, out->arch, out->variant };
	const char *p = s;
	size_t k = 0;
	char buf[SHOWN_MAX];

	memset(out, 0, sizeof(*out));
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (k == 3 || !platform_part_valid(p, n)) {
			memset(out, 0, sizeof(*out));
			return pd_error_set_msg(
				err, EINVAL,
				"platform \"%s\": expected os/arch[/variant], each part letters, "
				"digits, '_', '.' or '-' (at most 31)",
				shown(s, buf, sizeof(buf)));
		}
		memcpy(parts[k], p, n);
		parts[k++][n] = '\0';
		if (!slash)
			break;
		p = slash + 1;
	}
	if (k < 2) {
		memset(out, 0, sizeof(*out));
		return pd_error_set_msg(err, EINVAL, "platform \"%s\": expected os/arch[/variant]",
					shown(s, buf, sizeof(buf)));
	}
	pd_platform_normalize(out);
	return 0;
}

int pd_platform_format(const struct pd_platform *p, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "",
			 p->variant);

	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			out[0] = '\0';
		errno = ENOSPC;
		return -1;
	}
	return n;
}

int pd_platform_from_machine(const char *machine, struct pd_platform *out, struct pd_error *err)
{
	static const struct {
		const char *machine, *arch, *variant;
		bool prefix;
	} table[] = {
		{ "x86_64", "amd64", "", false },
		{ "amd64", "amd64", "", false },
		{ "i386", "386", "", false },
		{ "i486", "386", "", false },
		{ "i586", "386", "", false },
		{ "i686", "386", "", false },
		{ "aarch64", "arm64", "", false },
		{ "arm64", "arm64", "", false },
		{ "armv8l", "arm", "v8", false },
		{ "armv7", "arm", "v7", true },
		{ "armv6", "arm", "v6", true },
		{ "armv5", "arm", "v5", true },
		{ "ppc64le", "ppc64le", "", false },
		{ "ppc64", "ppc64", "", false },
		{ "s390x", "s390x", "", false },
		{ "riscv64", "riscv64", "", false },
		{ "loongarch64", "loong64", "", false },
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		{ "mips64", "mips64le", "", false },
		{ "mips", "mipsle", "", false },
#else
		{ "mips64", "mips64", "", false },
		{ "mips", "mips", "", false },
#endif
	};
	char buf[SHOWN_MAX];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].prefix ? !pd_str_has_prefix(machine, table[i].machine)
				    : strcmp(machine, table[i].machine) != 0)
			continue;
		set(out->os, "linux");
		set(out->arch, table[i].arch);
		set(out->variant, table[i].variant);
		return 0;
	}
	return pd_error_set_msg(err, EINVAL, "machine \"%s\": no OCI architecture known for it",
				shown(machine, buf, sizeof(buf)));
}

int pd_platform_host(struct pd_platform *out, struct pd_error *err)
{
	struct utsname u;

	if (uname(&u) < 0)
		return pd_error_set(err, errno, "uname");
	return pd_platform_from_machine(u.machine, out, err);
}

/* "vN" -> N (1..99); 0 for anything else. */
static int variant_level(const char *v)
{
	if (v[0] != 'v' || v[1] < '1' || v[1] > '9')
		return 0;
	if (!v[2])
		return v[1] - '0';
	if (v[2] >= '0' && v[2] <= '9' && !v[3])
		return (v[1] - '0') * 10 + (v[2] - '0');
	return 0;
}

/*
 * How well entry @e serves the wanted platform @w (both normalized): 0 is
 * an exact match, higher is a fallback, -1 is no match.
 */
static int platform_rank(const struct pd_platform *w, const struct pd_platform *e)
{
	int wl, el;

	if (strcmp(w->os, e->os) != 0 || strcmp(w->arch, e->arch) != 0)
		return -1;
	if (!strcmp(w->variant, e->variant))
		return 0;
	if (!strcmp(w->arch, "amd64") || !strcmp(w->arch, "arm")) {
		/* amd64: "" is v1; arm was normalized ("" is v7). */
		wl = w->variant[0] ? variant_level(w->variant) : 1;
		el = e->variant[0] ? variant_level(e->variant) : 1;
		if (wl == 0 || el == 0 || el > wl)
			return -1;
		if (!strcmp(w->arch, "arm") && el < 5)
			return -1;
		return wl - el;
	}
	/* arm64 ("" is v8) and the rest: a variant falls back to none. */
	return w->variant[0] && !e->variant[0] ? 1 : -1;
}

static void list_platforms(const struct pd_oci_manifest *idx, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const struct pd_oci_descriptor *d = &idx->manifests[i];
		struct pd_platform p;
		char one[128], buf[SHOWN_MAX];
		int k;

		if (!d->has_platform || !pd_oci_media_type_is_manifest(d->media_type))
			continue;
		set(p.os, d->os);
		set(p.arch, d->arch);
		set(p.variant, d->variant);
		pd_platform_format(&p, one, sizeof(one));
		k = snprintf(out + n, cap - n, "%s%s", n ? ", " : "", shown(one, buf, sizeof(buf)));
		if (k < 0 || (size_t)k >= cap - n) {
			if (cap > 4)
				memcpy(out + cap - 4, "...", 4);
			return;
		}
		n += (size_t)k;
	}
	if (!n)
		pd_strlcpy(out, "no entry names a platform", cap);
}

int pd_oci_index_select(const struct pd_oci_manifest *idx, const char *os, const char *arch,
			const char *variant, size_t *which, struct pd_error *err)
{
	struct pd_platform w;
	int best = -1;
	size_t best_i = 0;
	char want[128], avail[512];

	if (idx->kind != PD_OCI_INDEX)
		return pd_error_set_msg(err, EINVAL, "not an image index");
	memset(&w, 0, sizeof(w));
	set(w.os, os);
	set(w.arch, arch);
	set(w.variant, variant ? variant : "");
	pd_platform_normalize(&w);
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const struct pd_oci_descriptor *d = &idx->manifests[i];
		struct pd_platform e;
		int r;

		if (!d->has_platform || !pd_oci_media_type_is_manifest(d->media_type))
			continue;
		set(e.os, d->os);
		set(e.arch, d->arch);
		set(e.variant, d->variant);
		pd_platform_normalize(&e);
		r = platform_rank(&w, &e);
		if (r >= 0 && (best < 0 || r < best)) {
			best = r;
			best_i = i;
		}
	}
	if (best >= 0) {
		*which = best_i;
		return 0;
	}
	for (size_t i = 0; i < idx->n_manifests; i++) {
		if (!idx->manifests[i].has_platform &&
		    pd_oci_media_type_is_manifest(idx->manifests[i].media_type)) {
			*which = i;
			return 0;
		}
	}
	pd_platform_format(&w, want, sizeof(want));
	list_platforms(idx, avail, sizeof(avail));
	return pd_error_set_msg(err, ENOENT, "no image for %s in the index (available: %s)", want,
				avail);
}

/* ---- index chains ---- */

bool pd_oci_chain_seen(const struct pd_oci_chain *c, const char *digest)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->digests[i], digest))
			return true;
	return false;
}

int pd_oci_chain_push(struct pd_oci_chain *c, const char *digest, struct pd_error *err)
{
	struct pd_digest d;
	const char *why;
	char buf[SHOWN_MAX];

	if (pd_digest_parse(digest, strlen(digest), &d, &why) < 0)
		return pd_error_set_msg(err, EINVAL, "image index: digest \"%s\": %s",
					shown(digest, buf, sizeof(buf)), why);
	if (pd_oci_chain_seen(c, digest))
		return pd_error_set_msg(err, ELOOP, "image index loop: %s refers back to itself",
					digest);
	if (c->n >= PD_OCI_INDEX_DEPTH_MAX + 1)
		return pd_error_set_msg(err, E2BIG,
					"image indexes nested more than %d deep (at %s)",
					PD_OCI_INDEX_DEPTH_MAX, digest);
	pd_strlcpy(c->digests[c->n++], digest, sizeof(c->digests[0]));
	return 0;
}

/* ---- configs ---- */

/* An optional array of strings into a NULL-terminated vector; *v stays NULL when absent. */
static int string_vector(const cJSON *obj, const char *key, char ***v, const char *what,
			 const char *prefix, struct pd_error *err)
{
	const cJSON *a;
	char path[PATH_LEN], ipath[PATH_LEN];
	size_t i = 0;

	*v = NULL;
	if (opt_array(obj, key, &a, what, prefix, err) < 0)
		return -1;
	if (!a)
		return 0;
	join_key(path, prefix, key);
	*v = pd_xcalloc(array_len(a) + 1, sizeof(char *));
	for (const cJSON *c = a->child; c; c = c->next, i++) {
		if (!cJSON_IsString(c) || !c->valuestring) {
			join_index(ipath, path, i);
			return fail(err, what, ipath, "expected a string, got %s", type_name(c));
		}
		(*v)[i] = pd_xstrdup(c->valuestring);
	}
	return 0;
}

static int opt_dup(const cJSON *obj, const char *key, char **out, const char *prefix,
		   struct pd_error *err)
{
	const char *s;

	if (opt_string(obj, key, &s, 0, "image config", prefix, err) < 0)
		return -1;
	*out = s ? pd_xstrdup(s) : NULL;
	return 0;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Refuse a key given twice (sorted copy: labels can be many). */
static int unique_keys(char *const *keys, size_t n, struct pd_error *err)
{
	cleanup_free char **sorted = NULL;
	char buf[SHOWN_MAX];

	if (n < 2)
		return 0;
	sorted = pd_xcalloc(n, sizeof(char *));
	memcpy(sorted, keys, n * sizeof(char *));
	qsort(sorted, n, sizeof(char *), strp_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(sorted[i - 1], sorted[i]))
			return fail(err, "image config", "config.Labels", "duplicate key \"%s\"",
				    shown(sorted[i], buf, sizeof(buf)));
	return 0;
}

static int config_section(const cJSON *cfg, struct pd_oci_config *out, struct pd_error *err)
{
	const char *what = "image config";
	const cJSON *labels;
	char path[PATH_LEN], buf[SHOWN_MAX];
	size_t i = 0;

	if (string_vector(cfg, "Env", &out->env, what, "config", err) < 0)
		return -1;
	for (char **e = out->env; e && *e; e++, i++) {
		const char *eq = strchr(*e, '=');

		join_index(path, "config.Env", i);
		if (!eq)
			return fail(err, what, path, "\"%s\" has no '='",
				    shown(*e, buf, sizeof(buf)));
		if (eq == *e)
			return fail(err, what, path, "\"%s\": empty variable name",
				    shown(*e, buf, sizeof(buf)));
	}
	if (string_vector(cfg, "Entrypoint", &out->entrypoint, what, "config", err) < 0 ||
	    string_vector(cfg, "Cmd", &out->cmd, what, "config", err) < 0 ||
	    opt_dup(cfg, "WorkingDir", &out->workdir, "config", err) < 0 ||
	    opt_dup(cfg, "User", &out->user, "config", err) < 0 ||
	    opt_dup(cfg, "StopSignal", &out->stop_signal, "config", err) < 0 ||
	    opt_object(cfg, "Labels", &labels, what, "config", err) < 0)
		return -1;
	if (!labels)
		return 0;
	if (string_map(labels, what, "config.Labels", err) < 0)
		return -1;
	i = 0;
	out->label_keys = pd_xcalloc(array_len(labels) + 1, sizeof(char *));
	out->label_values = pd_xcalloc(array_len(labels) + 1, sizeof(char *));
	for (const cJSON *c = labels->child; c; c = c->next) {
		out->label_keys[i] = pd_xstrdup(c->string ? c->string : "");
		out->label_values[i] = pd_xstrdup(c->valuestring);
		out->n_labels = ++i;
	}
	return unique_keys(out->label_keys, out->n_labels, err);
}

static int rootfs_section(const cJSON *root, struct pd_oci_config *out, struct pd_error *err)
{
	const char *what = "image config", *type, *why;
	const cJSON *rootfs, *ids;
	char path[PATH_LEN], buf[SHOWN_MAX];
	size_t n, i = 0;

	if (opt_object(root, "rootfs", &rootfs, what, "", err) < 0)
		return -1;
	if (!rootfs)
		return fail(err, what, "rootfs", "missing");
	if (opt_string(rootfs, "type", &type, 0, what, "rootfs", err) < 0)
		return -1;
	if (!type)
		return fail(err, what, "rootfs.type", "missing");
	if (strcmp(type, "layers") != 0)
		return fail(err, what, "rootfs.type", "must be \"layers\", got \"%s\"",
			    shown(type, buf, sizeof(buf)));
	if (opt_array(rootfs, "diff_ids", &ids, what, "rootfs", err) < 0)
		return -1;
	if (!ids)
		return fail(err, what, "rootfs.diff_ids", "missing");
	n = array_len(ids);
	if (n > PD_OCI_LAYERS_MAX)
		return fail(err, what, "rootfs.diff_ids", "%zu layers, more than the %d allowed", n,
			    PD_OCI_LAYERS_MAX);
	out->diff_ids = pd_xcalloc(n + 1, sizeof(char *));
	for (const cJSON *c = ids->child; c; c = c->next, i++) {
		struct pd_digest d;
		char text[PD_DIGEST_STR_MAX];

		join_index(path, "rootfs.diff_ids", i);
		if (!cJSON_IsString(c) || !c->valuestring)
			return fail(err, what, path, "expected a string, got %s", type_name(c));
		if (pd_digest_parse(c->valuestring, strlen(c->valuestring), &d, &why) < 0)
			return fail(err, what, path, "%s", why);
		pd_digest_format(&d, text, sizeof(text));
		out->diff_ids[i] = pd_xstrdup(text);
		out->n_diff_ids = i + 1;
	}
	return 0;
}

int pd_oci_config_parse(const char *body, size_t len, struct pd_oci_config *out,
			struct pd_error *err)
{
	const char *what = "image config";
	cleanup_cjson cJSON *root = NULL;
	const cJSON *cfg;

	memset(out, 0, sizeof(*out));
	if (len > PD_OCI_CONFIG_MAX)
		return pd_error_set_msg(err, EFBIG,
					"image config: %zu bytes, more than the %u allowed", len,
					PD_OCI_CONFIG_MAX);
	if (check_raw(body, len, what, err) < 0 || parse_json(body, len, &root, what, err) < 0)
		return -1;
	if (copy_string(root, "os", out->os, sizeof(out->os), false, what, "", err) < 0 ||
	    copy_string(root, "architecture", out->arch, sizeof(out->arch), false, what, "", err) <
		    0 ||
	    copy_string(root, "variant", out->variant, sizeof(out->variant), false, what, "", err) <
		    0 ||
	    copy_string(root, "created", out->created, sizeof(out->created), false, what, "", err) <
		    0 ||
	    opt_object(root, "config", &cfg, what, "", err) < 0 ||
	    (cfg && config_section(cfg, out, err) < 0) || rootfs_section(root, out, err) < 0) {
		pd_oci_config_release(out);
		return -1;
	}
	return 0;
}

void pd_oci_config_release(struct pd_oci_config *c)
{
	pd_strv_free(c->env);
	pd_strv_free(c->entrypoint);
	pd_strv_free(c->cmd);
	free(c->workdir);
	free(c->user);
	free(c->stop_signal);
	pd_strv_free(c->label_keys);
	pd_strv_free(c->label_values);
	pd_strv_free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}
