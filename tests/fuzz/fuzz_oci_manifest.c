/* SPDX-License-Identifier: MIT */
/*
 * fuzz_oci_manifest.c - libFuzzer target for manifests, indexes and image
 * configs (oci/manifest.c) over arbitrary bytes.
 *
 * Input: byte 0 picks a Content-Type (NULL, "", each manifest type, schema
 * 1, a generic or an unrelated type); the rest is the body, given both to
 * pd_oci_manifest_parse() and to pd_oci_config_parse().
 *
 * Oracles:
 *   - invariants of an accepted manifest or index: counts within the
 *     limits (and arrays present exactly when counts are); every digest
 *     reads back with pd_digest_parse(); sizes in 0..2^53-1; media types
 *     non-empty and NUL-terminated in their buffers; every layer type has
 *     a compression; the config type is one of the two image configs;
 *     a refusal leaves the struct zeroed and its message starts with
 *     "manifest:" or "image index:";
 *   - round trip: the accepted document written back as canonical JSON
 *     (cJSON, with an explicit mediaType from kind and docker, sizes as raw
 *     integers) and parsed
 *     with that mediaType as Content-Type gives the same struct;
 *   - formatting does not matter: when cJSON reads the body as one JSON
 *     value (no NUL, no \u0000, nothing after it), re-printing it
 *     unformatted (when cJSON prints every number back exactly: not inf,
 *     nan, or 15-digit approximations) and parsing that gives the same outcome, the same struct
 *     or the same message, for manifests and configs alike;
 *   - index selection, for the platform of each of the first entries and a
 *     few fixed ones: a chosen entry is a manifest or index type; one with
 *     a platform has the wanted os and architecture after normalization;
 *     when some entry matches exactly (os, architecture, variant after
 *     normalization), the first such entry is chosen; a failure (ENOENT)
 *     happens only when no such entry and no platform-less manifest entry
 *     exist;
 *   - configs: Env entries hold '=' after a non-empty name, label keys are
 *     unique and as many as values, vectors are NULL-terminated, diff_ids
 *     are digests; the config written back as JSON parses to the same.
 * Seeds: tests/fuzz/corpus/fuzz_oci_manifest/.
 */
#include "common/util.h"
#include "oci/manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
	NULL,
	"",
	PD_OCI_MT_MANIFEST,
	PD_OCI_MT_INDEX,
	PD_OCI_MT_DOCKER_MANIFEST,
	PD_OCI_MT_DOCKER_LIST,
	"application/vnd.docker.distribution.manifest.v1+prettyjws",
	"application/json; charset=utf-8",
	"application/vnd.oci.image.config.v1+json",
	"Application/VND.OCI.image.manifest.v1+JSON ;x=y",
};

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_descriptor(const struct pd_oci_descriptor *d)
{
	struct pd_digest dg;
	const char *why;

	if (!terminated(d->media_type, sizeof(d->media_type)) || !d->media_type[0] ||
	    !terminated(d->digest, sizeof(d->digest)) || !terminated(d->os, sizeof(d->os)) ||
	    !terminated(d->arch, sizeof(d->arch)) || !terminated(d->variant, sizeof(d->variant)))
		abort();
	if (pd_digest_parse(d->digest, strlen(d->digest), &dg, &why) != 0)
		abort();
	if (d->size < 0 || d->size >= (INT64_C(1) << 53))
		abort();
	if (!d->has_platform && (d->os[0] || d->arch[0] || d->variant[0]))
		abort();
	if (d->has_platform && (!d->os[0] || !d->arch[0]))
		abort();
}

static void check_manifest(const struct pd_oci_manifest *m)
{
	enum pd_oci_compression c;

	if (m->kind == PD_OCI_INDEX) {
		if (m->n_layers || m->layers || m->config.media_type[0])
			abort();
		if (m->n_manifests > PD_OCI_INDEX_ENTRIES_MAX ||
		    (!m->manifests) != (!m->n_manifests))
			abort();
		for (size_t i = 0; i < m->n_manifests; i++)
			check_descriptor(&m->manifests[i]);
		return;
	}
	if (m->kind != PD_OCI_MANIFEST || m->n_manifests || m->manifests)
		abort();
	if (m->n_layers > PD_OCI_LAYERS_MAX || (!m->layers) != (!m->n_layers))
		abort();
	check_descriptor(&m->config);
	if (m->config.has_platform || (strcmp(m->config.media_type, PD_OCI_MT_CONFIG) != 0 &&
				       strcmp(m->config.media_type, PD_OCI_MT_DOCKER_CONFIG) != 0))
		abort();
	for (size_t i = 0; i < m->n_layers; i++) {
		check_descriptor(&m->layers[i]);
		if (m->layers[i].has_platform ||
		    pd_oci_layer_compression(m->layers[i].media_type, &c) != 0)
			abort();
	}
}

static bool same_descriptor(const struct pd_oci_descriptor *a, const struct pd_oci_descriptor *b)
{
	return !strcmp(a->media_type, b->media_type) && !strcmp(a->digest, b->digest) &&
	       a->size == b->size && !strcmp(a->os, b->os) && !strcmp(a->arch, b->arch) &&
	       !strcmp(a->variant, b->variant) && a->has_platform == b->has_platform &&
	       a->has_urls == b->has_urls && !strcmp(a->ref_name, b->ref_name);
}

static bool same_manifest(const struct pd_oci_manifest *a, const struct pd_oci_manifest *b)
{
	if (a->kind != b->kind || a->docker != b->docker || a->n_layers != b->n_layers ||
	    a->n_manifests != b->n_manifests)
		return false;
	if (a->kind == PD_OCI_MANIFEST && !same_descriptor(&a->config, &b->config))
		return false;
	for (size_t i = 0; i < a->n_layers; i++)
		if (!same_descriptor(&a->layers[i], &b->layers[i]))
			return false;
	for (size_t i = 0; i < a->n_manifests; i++)
		if (!same_descriptor(&a->manifests[i], &b->manifests[i]))
			return false;
	return true;
}

static cJSON *write_descriptor(const struct pd_oci_descriptor *d)
{
	cJSON *o = cJSON_CreateObject();
	char size[32];

	if (!o)
		abort();
	cJSON_AddStringToObject(o, "mediaType", d->media_type);
	cJSON_AddStringToObject(o, "digest", d->digest);
	/* raw: cJSON prints doubles past 1e15 with 15 digits, losing the integer */
	snprintf(size, sizeof(size), "%" PRId64, d->size);
	cJSON_AddRawToObject(o, "size", size);
	if (d->has_urls) {
		cJSON *u = cJSON_AddArrayToObject(o, "urls");

		cJSON_AddItemToArray(u, cJSON_CreateString("https://example.com/blob"));
	}
	if (d->ref_name[0]) {
		cJSON *a = cJSON_AddObjectToObject(o, "annotations");

		cJSON_AddStringToObject(a, "org.opencontainers.image.ref.name", d->ref_name);
	}
	if (d->has_platform) {
		cJSON *p = cJSON_AddObjectToObject(o, "platform");

		cJSON_AddStringToObject(p, "architecture", d->arch);
		cJSON_AddStringToObject(p, "os", d->os);
		if (d->variant[0])
			cJSON_AddStringToObject(p, "variant", d->variant);
	}
	return o;
}

static void round_trip(const struct pd_oci_manifest *m)
{
	const char *mt = m->kind == PD_OCI_INDEX
				 ? (m->docker ? PD_OCI_MT_DOCKER_LIST : PD_OCI_MT_INDEX)
				 : (m->docker ? PD_OCI_MT_DOCKER_MANIFEST : PD_OCI_MT_MANIFEST);
	cJSON *o = cJSON_CreateObject(), *a;
	struct pd_oci_manifest again;
	struct pd_error err;
	char *text;

	if (!o)
		abort();
	cJSON_AddNumberToObject(o, "schemaVersion", 2);
	cJSON_AddStringToObject(o, "mediaType", mt);
	if (m->kind == PD_OCI_INDEX) {
		a = cJSON_AddArrayToObject(o, "manifests");
		for (size_t i = 0; i < m->n_manifests; i++)
			cJSON_AddItemToArray(a, write_descriptor(&m->manifests[i]));
	} else {
		cJSON_AddItemToObject(o, "config", write_descriptor(&m->config));
		a = cJSON_AddArrayToObject(o, "layers");
		for (size_t i = 0; i < m->n_layers; i++)
			cJSON_AddItemToArray(a, write_descriptor(&m->layers[i]));
	}
	text = cJSON_PrintUnformatted(o);
	if (!text)
		abort();
	if (strlen(text) <= PD_OCI_MANIFEST_MAX) {
		if (pd_oci_manifest_parse(text, strlen(text), mt, &again, &err) != 0)
			abort();
		if (!same_manifest(m, &again))
			abort();
		pd_oci_manifest_release(&again);
	}
	free(text);
	cJSON_Delete(o);
}

/* ---- index selection ---- */

static bool exact(const struct pd_platform *w, const struct pd_oci_descriptor *d)
{
	struct pd_platform e;

	memset(&e, 0, sizeof(e));
	pd_strlcpy(e.os, d->os, sizeof(e.os));
	pd_strlcpy(e.arch, d->arch, sizeof(e.arch));
	pd_strlcpy(e.variant, d->variant, sizeof(e.variant));
	pd_platform_normalize(&e);
	return !strcmp(w->os, e.os) && !strcmp(w->arch, e.arch) && !strcmp(w->variant, e.variant);
}

static void check_select(const struct pd_oci_manifest *m, const char *os, const char *arch,
			 const char *variant)
{
	struct pd_platform w;
	struct pd_error err;
	size_t which = SIZE_MAX, first_exact = SIZE_MAX;
	bool platformless = false;
	int r = pd_oci_index_select(m, os, arch, variant, &which, &err);

	memset(&w, 0, sizeof(w));
	pd_strlcpy(w.os, os, sizeof(w.os));
	pd_strlcpy(w.arch, arch, sizeof(w.arch));
	pd_strlcpy(w.variant, variant ? variant : "", sizeof(w.variant));
	pd_platform_normalize(&w);
	for (size_t i = 0; i < m->n_manifests; i++) {
		const struct pd_oci_descriptor *d = &m->manifests[i];

		if (!pd_oci_media_type_is_manifest(d->media_type))
			continue;
		if (!d->has_platform)
			platformless = true;
		else if (first_exact == SIZE_MAX && exact(&w, d))
			first_exact = i;
	}
	if (r != 0) {
		if (r != -1 || err.code != ENOENT || first_exact != SIZE_MAX || platformless)
			abort();
		return;
	}
	if (which >= m->n_manifests ||
	    !pd_oci_media_type_is_manifest(m->manifests[which].media_type))
		abort();
	if (first_exact != SIZE_MAX && which != first_exact)
		abort();
	if (m->manifests[which].has_platform) {
		struct pd_platform e;

		memset(&e, 0, sizeof(e));
		pd_strlcpy(e.os, m->manifests[which].os, sizeof(e.os));
		pd_strlcpy(e.arch, m->manifests[which].arch, sizeof(e.arch));
		pd_platform_normalize(&e);
		if (strcmp(e.os, w.os) || strcmp(e.arch, w.arch))
			abort();
	}
}

static void check_selections(const struct pd_oci_manifest *m)
{
	static const char *const fixed[][3] = {
		{ "linux", "amd64", NULL }, { "linux", "arm64", NULL }, { "linux", "arm", "v6" },
		{ "linux", "amd64", "v3" }, { "linux", "arm", NULL },   { "windows", "amd64", "" },
	};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check_select(m, fixed[i][0], fixed[i][1], fixed[i][2]);
	for (size_t i = 0; i < m->n_manifests && i < 4; i++)
		if (m->manifests[i].has_platform)
			check_select(m, m->manifests[i].os, m->manifests[i].arch,
				     m->manifests[i].variant);
}

/* ---- configs ---- */

static bool same_strv(char **a, char **b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return !*a && !*b;
}

static bool same_str(const char *a, const char *b)
{
	return (!a || !b) ? a == b : !strcmp(a, b);
}

static bool same_config(const struct pd_oci_config *a, const struct pd_oci_config *b)
{
	return same_strv(a->env, b->env) && same_strv(a->entrypoint, b->entrypoint) &&
	       same_strv(a->cmd, b->cmd) && same_str(a->workdir, b->workdir) &&
	       same_str(a->user, b->user) && same_str(a->stop_signal, b->stop_signal) &&
	       a->n_labels == b->n_labels && same_strv(a->label_keys, b->label_keys) &&
	       same_strv(a->label_values, b->label_values) && !strcmp(a->os, b->os) &&
	       !strcmp(a->arch, b->arch) && !strcmp(a->variant, b->variant) &&
	       !strcmp(a->created, b->created) && a->n_diff_ids == b->n_diff_ids &&
	       same_strv(a->diff_ids, b->diff_ids);
}

static void check_config(const struct pd_oci_config *c)
{
	struct pd_digest d;
	const char *why;

	for (char **e = c->env; e && *e; e++) {
		const char *eq = strchr(*e, '=');

		if (!eq || eq == *e)
			abort();
	}
	if (pd_strv_len(c->label_keys) != c->n_labels ||
	    pd_strv_len(c->label_values) != c->n_labels)
		abort();
	for (size_t i = 0; i < c->n_labels; i++)
		for (size_t k = i + 1; k < c->n_labels && k < i + 64; k++)
			if (!strcmp(c->label_keys[i], c->label_keys[k]))
				abort();
	if (c->n_diff_ids > PD_OCI_LAYERS_MAX || pd_strv_len(c->diff_ids) != c->n_diff_ids)
		abort();
	for (size_t i = 0; i < c->n_diff_ids; i++)
		if (pd_digest_parse(c->diff_ids[i], strlen(c->diff_ids[i]), &d, &why) != 0)
			abort();
}

static void add_strv(cJSON *o, const char *key, char **v)
{
	cJSON *a;

	if (!v)
		return;
	a = cJSON_AddArrayToObject(o, key);
	for (; *v; v++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*v));
}

static void config_round_trip(const struct pd_oci_config *c)
{
	cJSON *o = cJSON_CreateObject(), *cfg, *rootfs;
	struct pd_oci_config again;
	struct pd_error err;
	char *text;

	if (!o)
		abort();
	if (c->os[0])
		cJSON_AddStringToObject(o, "os", c->os);
	if (c->arch[0])
		cJSON_AddStringToObject(o, "architecture", c->arch);
	if (c->variant[0])
		cJSON_AddStringToObject(o, "variant", c->variant);
	if (c->created[0])
		cJSON_AddStringToObject(o, "created", c->created);
	cfg = cJSON_AddObjectToObject(o, "config");
	add_strv(cfg, "Env", c->env);
	add_strv(cfg, "Entrypoint", c->entrypoint);
	add_strv(cfg, "Cmd", c->cmd);
	if (c->workdir)
		cJSON_AddStringToObject(cfg, "WorkingDir", c->workdir);
	if (c->user)
		cJSON_AddStringToObject(cfg, "User", c->user);
	if (c->stop_signal)
		cJSON_AddStringToObject(cfg, "StopSignal", c->stop_signal);
	if (c->label_keys) {
		cJSON *l = cJSON_AddObjectToObject(cfg, "Labels");

		for (size_t i = 0; i < c->n_labels; i++)
			cJSON_AddStringToObject(l, c->label_keys[i], c->label_values[i]);
	}
	rootfs = cJSON_AddObjectToObject(o, "rootfs");
	cJSON_AddStringToObject(rootfs, "type", "layers");
	cJSON_AddItemToObject(rootfs, "diff_ids", cJSON_CreateArray());
	for (size_t i = 0; i < c->n_diff_ids; i++)
		cJSON_AddItemToArray(cJSON_GetObjectItem(rootfs, "diff_ids"),
				     cJSON_CreateString(c->diff_ids[i]));
	text = cJSON_PrintUnformatted(o);
	if (!text)
		abort();
	if (strlen(text) <= PD_OCI_CONFIG_MAX) {
		if (pd_oci_config_parse(text, strlen(text), &again, &err) != 0)
			abort();
		if (!same_config(c, &again))
			abort();
		pd_oci_config_release(&again);
	}
	free(text);
	cJSON_Delete(o);
}

/* ---- formatting invariance ---- */

/*
 * Whether cJSON prints every number of @j back to the same double: it
 * writes inf and nan as null, and a value outside int with "%1.15g" when
 * that is merely close (1e15 and up lose digits).
 */
static bool faithful(const cJSON *j)
{
	for (; j; j = j->next) {
		if (cJSON_IsNumber(j)) {
			char b[64];
			double d = j->valuedouble;

			if (!isfinite(d))
				return false;
			snprintf(b, sizeof(b), "%1.15g", d);
			if (d != (double)j->valueint && strtod(b, NULL) != d)
				return false;
		}
		if (j->child && !faithful(j->child))
			return false;
	}
	return true;
}

/* The body re-printed by cJSON when it is one clean JSON value, else NULL. */
static char *reprint(const char *body, size_t len)
{
	const char *end = NULL;
	cJSON *j;
	char *text;

	if (memchr(body, '\0', len) || memmem(body, len, "\\u0000", 6))
		return NULL;
	j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!j)
		return NULL;
	for (const char *p = end; p < body + len; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			cJSON_Delete(j);
			return NULL;
		}
	if (!faithful(j)) {
		cJSON_Delete(j);
		return NULL;
	}
	text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (text && strlen(text) > PD_OCI_MANIFEST_MAX) {
		free(text);
		return NULL;
	}
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *ct, *body;
	size_t len;
	struct pd_oci_manifest m, m2;
	struct pd_oci_config c, c2;
	struct pd_error err, err2;
	char *text;
	int r, r2;

	if (size < 1 || size > 1 << 20)
		return 0;
	ct = content_types[data[0] % (sizeof(content_types) / sizeof(content_types[0]))];
	body = (const char *)data + 1;
	len = size - 1;

	r = pd_oci_manifest_parse(body, len, ct, &m, &err);
	if (r == 0) {
		check_manifest(&m);
		round_trip(&m);
		if (m.kind == PD_OCI_INDEX) {
			check_selections(&m);
		} else {
			size_t which;

			if (pd_oci_index_select(&m, "linux", "amd64", NULL, &which, &err) != -1 ||
			    err.code != EINVAL)
				abort();
		}
	} else if (r != -1 || m.layers || m.manifests || m.n_layers || m.n_manifests ||
		   (strncmp(err.msg, "manifest: ", 10) && strncmp(err.msg, "image index: ", 13))) {
		abort();
	}

	r2 = pd_oci_config_parse(body, len, &c, &err2);
	if (r2 == 0) {
		check_config(&c);
		config_round_trip(&c);
	} else if (r2 != -1 || c.env || c.diff_ids || strncmp(err2.msg, "image config: ", 14)) {
		abort();
	}

	text = reprint(body, len);
	if (text) {
		struct pd_error e;

		if (pd_oci_manifest_parse(text, strlen(text), ct, &m2, &e) != r)
			abort();
		if (r == 0 ? !same_manifest(&m, &m2) : strcmp(e.msg, err.msg) != 0)
			abort();
		pd_oci_manifest_release(&m2);
		if (pd_oci_config_parse(text, strlen(text), &c2, &e) != r2)
			abort();
		if (r2 == 0 ? !same_config(&c, &c2) : strcmp(e.msg, err2.msg) != 0)
			abort();
		pd_oci_config_release(&c2);
		free(text);
	}
	if (r == 0)
		pd_oci_manifest_release(&m);
	if (r2 == 0)
		pd_oci_config_release(&c);
	return 0;
}
