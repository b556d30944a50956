/* SPDX-License-Identifier: MIT */
/*
 * flatten.h - unpacked layers merged into one directory, as overlayfs
 * shows them: for images with more layers than overlayfs stacks.
 */
#ifndef PAUDE_OCI_FLATTEN_H
#define PAUDE_OCI_FLATTEN_H

#include "common/error.h"

#include <stddef.h>

/* The most lower layers one overlay mount takes (the kernel's OVL_MAX_STACK). */
#define PD_OVERLAY_MAX_LOWERS 500

/*
 * pd_flatten() - merge the unpacked layers @layers (directory fds,
 * bottom first, @n of them) into the empty directory @dst, as an overlay of
 * them reads: each layer's entries replace the ones below; a whiteout (a
 * 0/0 character device) removes what is below and is not copied; an opaque
 * directory (user.overlay.opaque="y") hides what is below it.  Owners,
 * modes, times and extended attributes are kept (the overlay's own
 * user.overlay.* and trusted.overlay.* are not); hard links inside a layer
 * stay hard links.  Nothing is followed: every name is resolved beneath its
 * directory fd, symlinks are copied as symlinks.
 * Return: 0, or -1 with @err naming the entry.
 */
int pd_flatten(const int *layers, size_t n, int dst, struct pd_error *err);

/*
 * pd_flatten_chain_id() - the OCI ChainID of the layers @diff_ids (bottom
 * first, @n >= 1): the name of their flattened layer in the store.
 * Return: 0 with "sha256:HEX" in @out, or -1 with @err set.
 */
int pd_flatten_chain_id(const char *const *diff_ids, size_t n, char *out, size_t cap,
			struct pd_error *err);

#endif
