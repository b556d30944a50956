/* SPDX-License-Identifier: MIT */
/*
 * fuzz_docker_archive.c - libFuzzer target for a docker-archive's
 * manifest.json (oci/docker_archive.c) over arbitrary bytes.
 *
 * Oracles: an accepted document has 1..PD_DOCKER_ARCHIVE_MAX_IMAGES images,
 * each with a Config name and 1..PD_DOCKER_ARCHIVE_MAX_LAYERS layer names
 * and at most PD_DOCKER_ARCHIVE_MAX_TAGS tags, every name non-empty and at
 * most PD_DOCKER_ARCHIVE_PATH_MAX bytes, every vector NULL-terminated at its
 * count; a refusal leaves the struct zeroed and says "manifest.json: ...".
 * Seeds: tests/fuzz/corpus/fuzz_docker_archive/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/docker_archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
	size_t n;

	if (!s)
		abort();
	n = strlen(s);
	if (n == 0 || n > PD_DOCKER_ARCHIVE_PATH_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_docker_archive a;
	struct pd_error e = { 0 };

	if (pd_docker_archive_parse((const char *)data, size, &a, &e) < 0) {
		if (a.images || a.n_images || strncmp(e.msg, "manifest.json: ", 15) != 0)
			abort();
		return 0;
	}
	if (a.n_images == 0 || a.n_images > PD_DOCKER_ARCHIVE_MAX_IMAGES)
		abort();
	for (size_t i = 0; i < a.n_images; i++) {
		const struct pd_docker_archive_image *im = &a.images[i];
		size_t t = 0;

		check_name(im->config);
		if (im->n_layers == 0 || im->n_layers > PD_DOCKER_ARCHIVE_MAX_LAYERS ||
		    im->layers[im->n_layers] || !im->repo_tags)
			abort();
		for (size_t l = 0; l < im->n_layers; l++)
			check_name(im->layers[l]);
		for (; im->repo_tags[t]; t++)
			check_name(im->repo_tags[t]);
		if (t > PD_DOCKER_ARCHIVE_MAX_TAGS)
			abort();
	}
	pd_docker_archive_release(&a);
	return 0;
}
