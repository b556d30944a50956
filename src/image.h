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

struct pd_image {
	struct pd_rootfs rootfs;
	char **env;        /* K=V defaults */
	char **entrypoint; /* may be NULL */
	char **cmd;        /* default command, may be NULL */
	char *workdir;     /* NULL: "/" */
	char *user;        /* NULL: root */
};

int pd_image_resolve(const char *ref, struct pd_image *img, struct pd_error *err);
void pd_image_release(struct pd_image *img);

/* The /etc entries the `host` image exposes (NULL-terminated), for docs and tests. */
extern const char *const pd_host_etc_entries[];

#endif
