/* SPDX-License-Identifier: MIT */
/* docker_archive.c - a `docker save` archive's manifest.json (docker_archive.h). */
#include "docker_archive.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX (4u << 20)

/* A member name: a non-empty string, bounded.  (cJSON ends a string at a
 * \u0000: such a name reads shorter, and then names no member, or another
 * member of the same archive, never anything outside it.) */
static int member_name(const cJSON *v, const char *what, size_t image, char **out,
		       struct pd_error *err)
{
	size_t n;

	if (!cJSON_IsString(v) || !v->valuestring)
		return pd_error_set_msg(err, EINVAL, "manifest.json: image %zu: %s is not a string",
					image, what);
	n = strlen(v->valuestring);
	if (n == 0 || n > PD_DOCKER_ARCHIVE_PATH_MAX)
		return pd_error_set_msg(err, EINVAL,
					"manifest.json: image %zu: %s is empty or longer than %d "
					"bytes",
					image, what, PD_DOCKER_ARCHIVE_PATH_MAX);
	*out = pd_xstrdup(v->valuestring);
	return 0;
}

/* A JSON array of at most @max names into a NULL-terminated vector. */
static int names(const cJSON *arr, const char *what, size_t image, size_t max, char ***out,
		 size_t *n, struct pd_error *err)
{
	size_t count = (size_t)cJSON_GetArraySize(arr), i = 0;

	if (count > max)
		return pd_error_set_msg(err, E2BIG, "manifest.json: image %zu: more than %zu %s",
					image, max, what);
	*out = pd_xcalloc(count + 1, sizeof(char *));
	for (const cJSON *v = arr ? arr->child : NULL; v; v = v->next, i++)
		if (member_name(v, what, image, &(*out)[i], err) < 0)
			return -1;
	*n = i;
	return 0;
}

static int image(const cJSON *o, size_t idx, struct pd_docker_archive_image *im,
		 struct pd_error *err)
{
	const cJSON *cfg, *tags, *layers;
	size_t ntags = 0;

	if (!cJSON_IsObject(o))
		return pd_error_set_msg(err, EINVAL, "manifest.json: image %zu is not an object",
					idx);
	cfg = cJSON_GetObjectItemCaseSensitive(o, "Config");
	tags = cJSON_GetObjectItemCaseSensitive(o, "RepoTags");
	layers = cJSON_GetObjectItemCaseSensitive(o, "Layers");
	if (!cfg)
		return pd_error_set_msg(err, EINVAL, "manifest.json: image %zu has no Config", idx);
	if (member_name(cfg, "Config", idx, &im->config, err) < 0)
		return -1;
	if (tags && !cJSON_IsNull(tags) && !cJSON_IsArray(tags))
		return pd_error_set_msg(err, EINVAL,
					"manifest.json: image %zu: RepoTags is not an array", idx);
	if (cJSON_IsArray(tags)) {
		if (names(tags, "RepoTags", idx, PD_DOCKER_ARCHIVE_MAX_TAGS, &im->repo_tags, &ntags,
			  err) < 0)
			return -1;
	} else {
		im->repo_tags = pd_xcalloc(1, sizeof(char *));
	}
	if (!cJSON_IsArray(layers) || !layers->child)
		return pd_error_set_msg(
			err, EINVAL, "manifest.json: image %zu: Layers is missing or empty", idx);
	return names(layers, "Layers", idx, PD_DOCKER_ARCHIVE_MAX_LAYERS, &im->layers,
		     &im->n_layers, err);
}

int pd_docker_archive_parse(const char *body, size_t len, struct pd_docker_archive *out,
			    struct pd_error *err)
{
	cJSON *root;
	const char *end = NULL;
	size_t n, i = 0;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (len > BODY_MAX)
		return pd_error_set_msg(err, EFBIG, "manifest.json: %zu bytes, more than %u", len,
					BODY_MAX);
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!root)
		return pd_error_set_msg(err, EINVAL, "manifest.json: not JSON");
	if (!cJSON_IsArray(root)) {
		pd_error_set_msg(err, EINVAL, "manifest.json: not an array of images");
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(root);
	if (n == 0 || n > PD_DOCKER_ARCHIVE_MAX_IMAGES) {
		pd_error_set_msg(err, n ? E2BIG : EINVAL,
				 "manifest.json: %zu images (1 to %d are read)", n,
				 PD_DOCKER_ARCHIVE_MAX_IMAGES);
		goto out;
	}
	out->images = pd_xcalloc(n, sizeof(*out->images));
	out->n_images = n;
	for (const cJSON *o = root->child; o; o = o->next, i++)
		if (image(o, i, &out->images[i], err) < 0)
			goto out;
	r = 0;
out:
	cJSON_Delete(root);
	if (r < 0)
		pd_docker_archive_release(out);
	return r;
}

void pd_docker_archive_release(struct pd_docker_archive *a)
{
	for (size_t i = 0; a->images && i < a->n_images; i++) {
		struct pd_docker_archive_image *im = &a->images[i];

		free(im->config);
		pd_strv_free(im->repo_tags);
		pd_strv_free(im->layers);
	}
	free(a->images);
	memset(a, 0, sizeof(*a));
}
