/* SPDX-License-Identifier: MIT */
/*
 * docker_archive.h - the manifest.json of a `docker save` archive.
 *
 * A docker-archive (what `docker save`, `podman save` and skopeo's
 * docker-archive: write) is a tar whose manifest.json lists its images:
 *   [{"Config": "<hex>.json", "RepoTags": ["busybox:latest"],
 *     "Layers": ["<id>/layer.tar", ...]}, ...]
 * The paths name other members of the same tar.  This parses that list
 * from untrusted bytes, bounded; the archive itself is read by
 * src/image_import.c, which never uses a member name as a host path.
 */
#ifndef PAUDE_OCI_DOCKER_ARCHIVE_H
#define PAUDE_OCI_DOCKER_ARCHIVE_H

#include "common/error.h"

#include <stddef.h>

#define PD_DOCKER_ARCHIVE_MAX_IMAGES 256
#define PD_DOCKER_ARCHIVE_MAX_LAYERS 1024 /* per image */
#define PD_DOCKER_ARCHIVE_MAX_TAGS 256    /* per image */
#define PD_DOCKER_ARCHIVE_PATH_MAX 1024   /* a member name */

struct pd_docker_archive_image {
	char *config;     /* member name of the image config */
	char **repo_tags; /* NULL-terminated, may be empty */
	char **layers;    /* member names, base first; n_layers of them */
	size_t n_layers;
};

struct pd_docker_archive {
	struct pd_docker_archive_image *images;
	size_t n_images;
};

/*
 * pd_docker_archive_parse() - read manifest.json.
 * @body, @len: its bytes (more than 4 MiB is refused unread)
 * @out: filled on success (release with pd_docker_archive_release()); zeroed
 *       on failure
 * Every image needs a Config and at least one layer; names are non-empty,
 * at most PD_DOCKER_ARCHIVE_PATH_MAX bytes, without NUL; RepoTags may be
 * absent or null.  Unknown members are ignored (newer Docker adds some).
 * Return: 0, or -1 with @err naming what is wrong ("manifest.json: ...").
 */
int pd_docker_archive_parse(const char *body, size_t len, struct pd_docker_archive *out,
			    struct pd_error *err);
void pd_docker_archive_release(struct pd_docker_archive *a);

#endif
