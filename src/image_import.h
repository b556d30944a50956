/* SPDX-License-Identifier: MIT */
/*
 * image_import.h - an image from a local OCI layout or archive into the
 * store: oci:DIR[:NAME], oci-archive:FILE[:NAME], docker-archive:FILE[:REF].
 */
#ifndef PAUDE_IMAGE_IMPORT_H
#define PAUDE_IMAGE_IMPORT_H

#include "common/error.h"
#include "oci/ref.h"
#include "oci/store.h"

#include <stdbool.h>

struct pd_idmap_plan;

struct pd_import_opts {
	const struct pd_image_src *src;  /* PD_SRC_OCI_LAYOUT, _OCI_ARCHIVE or _DOCKER_ARCHIVE */
	const char *platform;            /* for an index: "os/arch[/variant]"; NULL: the host's */
	bool quiet;                      /* no progress lines */
	const struct pd_idmap_plan *ids; /* rootless: the user's own mapping (layers unpack there) */
};

/*
 * pd_import() - bring the image @o->src names into @store: its blobs, each
 * under the digest of its own bytes; its layers unpacked and checked against
 * the config's diff_ids (as after a pull); its record, named
 *   oci:, oci-archive:          localhost/BASENAME:NAME (NAME "latest" when
 *                               none was given), BASENAME the path's last
 *                               component without its extension
 *   docker-archive:             the RepoTag asked for, or the image's first
 *                               one; none: the record has only its id.
 * Nothing of the source is ever used as a host path but the source itself.
 * @out: the stored image (pd_store_image_release())
 * Return: 0, or -1 with @err.
 */
int pd_import(struct pd_store *store, const struct pd_import_opts *o, struct pd_store_image *out,
	      struct pd_error *err);

/* pd_import_is_source() - whether @ref names a source pd_import() reads. */
bool pd_import_is_source(const char *ref);

#endif
