/* SPDX-License-Identifier: MIT */
/*
 * pull.h - bring an image from a registry into the store (src/ wires oci/
 * and the runtime's user-namespace helper together).
 */
#ifndef PAUDE_PULL_H
#define PAUDE_PULL_H

#include "common/error.h"
#include "oci/store.h"

#include <stdbool.h>

struct pd_idmap_plan;

struct pd_pull_opts {
	const char *ref;                 /* "127.0.0.1:15001/acc/busybox:latest", "alpine", ... */
	const char *platform;            /* "os/arch[/variant]"; NULL: the host's */
	bool tls_verify;                 /* --tls-verify (default true) */
	bool quiet;                      /* -q: no progress */
	const struct pd_idmap_plan *ids; /* rootless: the user's own mapping (layers unpack there) */
};

/*
 * pd_pull() - pull @o->ref into @store: manifest (through an index, for the
 * platform), config, every layer blob verified, every layer not yet stored
 * unpacked and checked against the config's diff_ids, then the image record
 * and its name.  The registry is spoken to from a forked worker process
 * (libcurl may start threads: this process must not, since it clones
 * sandboxes and helpers); layers are unpacked here (as root) or in a helper
 * inside the user's own user namespace (rootless).
 * @out: the stored image (pd_store_image_release())
 * Return: 0, or -1 with @err.
 */
int pd_pull(struct pd_store *store, const struct pd_pull_opts *o, struct pd_store_image *out,
	    struct pd_error *err);

/*
 * pd_pull_commit() - make a stored image of the manifest @digest, whose
 * config and layer blobs are in @store already (a pull's worker, or an
 * import from a layout or archive, put them there): each layer not yet
 * stored is unpacked and checked against the config's diff_ids, then the
 * record is written, named @name unless it is NULL.  @o: ids and quiet.
 * Return: 0, or -1 with @err.
 */
struct pd_platform;
int pd_pull_commit(struct pd_store *store, const struct pd_pull_opts *o, const char *digest,
		   const struct pd_platform *plat, const char *name, struct pd_store_image *out,
		   struct pd_error *err);

/* pd_pull_name() - the name a reference is stored under ("registry/repo:tag" or "@digest"). */
int pd_pull_name(const char *ref, char *out, size_t cap, struct pd_error *err);

#endif
