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

/*
 * A short name's candidates ("alpine", "org/tool:1"), as podman resolves
 * them with registries.conf: its [aliases] entry when there is one (one
 * candidate), else each of unqualified-search-registries in order, else
 * docker.io.  A reference with a registry is its own one candidate.
 */
#define PD_PULL_CANDIDATES 18 /* localhost/NAME and 16 search registries, with room */
enum pd_short_how { PD_SHORT_QUALIFIED, PD_SHORT_ALIAS, PD_SHORT_SEARCH, PD_SHORT_DEFAULT };
struct pd_pull_candidates {
	size_t n;
	enum pd_short_how how;
	char name[PD_PULL_CANDIDATES][1024]; /* normalized: "registry/repo:tag" or "@digest" */
};

/*
 * pd_pull_candidates() - @ref's candidates (see above); registries.conf is
 * read only for a short name.  @lookup: for finding a stored image, where
 * localhost/NAME comes after the alias (what imports are named) and
 * short-name-mode = "enforcing" does not refuse several search registries.
 * Return: 0, or -1 with @err set (not a reference; a registries.conf that
 * cannot be read; an empty search list and no alias; enforcing mode with
 * several registries to choose from).
 */
int pd_pull_candidates(const char *ref, bool lookup, struct pd_pull_candidates *out,
		       struct pd_error *err);

/*
 * pd_pull_find() - the stored image @ref names: the first of its
 * candidates that is stored (its name in @name, @cap bytes, when @name is
 * not NULL; "" when found otherwise), else an image id (a manifest digest
 * or its prefix).  Return: 1 found (@img filled), 0 not stored, -1 with
 * @err set (a registries.conf that cannot be read, ...).
 */
int pd_pull_find(struct pd_store *store, const char *ref, struct pd_store_image *img, char *name,
		 size_t cap, struct pd_error *err);

/* pd_pull_is_short() - whether @ref names no registry (a short name). */
bool pd_pull_is_short(const char *ref);

/* pd_pull_name() - the name a reference is stored under ("registry/repo:tag" or "@digest"). */
int pd_pull_name(const char *ref, char *out, size_t cap, struct pd_error *err);

#endif
