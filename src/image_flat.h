/* SPDX-License-Identifier: MIT */
/*
 * image_flat.h - an image's bottom layers merged into one (image_flat.c).
 */
#ifndef PAUDE_IMAGE_FLAT_H
#define PAUDE_IMAGE_FLAT_H

#include "common/error.h"
#include "oci/store.h"

#include <stddef.h>

struct pd_idmap_plan;

/*
 * pd_image_flat_layer() - layers 0..@k-1 of @si (bottom first) merged into
 * one layer of the store, made when missing (as @ids maps, rootless), whose
 * name (their ChainID, "sha256:HEX") goes to @chain.  The caller holds it
 * (pd_store_layer_hold) for as long as it runs on it.
 * Return: 0, or -1 with @err set.
 */
int pd_image_flat_layer(struct pd_store *s, const struct pd_store_image *si, size_t k,
			const struct pd_idmap_plan *ids, char *chain, size_t cap,
			struct pd_error *err);

#endif
