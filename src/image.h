/* SPDX-License-Identifier: MIT */
/*
 * image.h - turn an IMAGE argument into a root filesystem spec and the
 * image's defaults.  The runtime never sees image references: this is the
 * one place that knows them, so adding a kind of image changes no runtime
 * code.  Kinds: "dir:PATH" (a root filesystem directory) and "host" (the
 * host's own /usr and a safe subset of /etc, read-only: the embedded
 * default that needs no image at all).
 */
#ifndef PAUDE_IMAGE_H
#define PAUDE_IMAGE_H

#include "common/error.h"
#include "runtime/runtime.h"

#include <stdbool.h>

struct pd_image {
	struct pd_rootfs rootfs;
	char **env;        /* K=V defaults */
	char **entrypoint; /* may be NULL */
	char **cmd;        /* default command, may be NULL */
	char *workdir;     /* NULL: "/" */
	char *user;        /* NULL: root */
	/* a stored image's layers, held (flock) so `image prune` keeps them
	 * while the image is in use: closed by pd_image_release() */
	int *holds;
	size_t n_holds;
	char *id; /* a stored image's id (its manifest digest), else NULL */
};

struct pd_idmap_plan;

enum pd_pull_policy { PD_PULL_MISSING, PD_PULL_ALWAYS, PD_PULL_NEVER, PD_PULL_NEWER };

struct pd_image_opts {
	enum pd_pull_policy pull;        /* --pull (default missing) */
	const char *platform;            /* --platform, NULL: the host's */
	bool tls_verify;                 /* --tls-verify */
	const struct pd_idmap_plan *ids; /* the sandbox's mapping (rootless unpack) */
};

/*
 * pd_image_resolve() - IMAGE into a root filesystem and defaults: "host",
 * "dir:PATH", or an image reference of the store (pulled first when
 * missing, as the pull policy says; image_oci.c).
 * @o: may be NULL for dir: and host
 */
int pd_image_resolve(const char *ref, const struct pd_image_opts *o, struct pd_image *img,
		     struct pd_error *err);
/* pd_image_import() - an image of an OCI layout or archive, imported into
 * the store first (oci:, oci-archive:, docker-archive:; image_oci.c). */
int pd_image_import(const char *ref, const struct pd_image_opts *o, struct pd_image *img,
		    struct pd_error *err);

/* pd_image_oci() - a stored (or pulled) OCI image (image_oci.c). */
int pd_image_oci(const char *ref, const struct pd_image_opts *o, struct pd_image *img,
		 struct pd_error *err);
/* pd_parse_pull_policy() - "missing", "always", "never", "newer". */
int pd_parse_pull_policy(const char *s, enum pd_pull_policy *out);
void pd_image_release(struct pd_image *img);

/* The /etc entries the `host` image exposes (NULL-terminated), for docs and tests. */
extern const char *const pd_host_etc_entries[];

#endif
