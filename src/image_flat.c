/* SPDX-License-Identifier: MIT */
/*
 * image_flat.c - the bottom layers of an image with more layers than
 * overlayfs stacks, merged once into one layer of the store (image.h).
 *
 * The merged layer is named by the OCI ChainID of the layers it holds, so
 * every image that starts with the same layers shares it, and it is made
 * like an unpacked layer: in the store's tmp/, under the lock of its name,
 * as root directly and rootless in a helper inside the user's own user
 * namespace (the owners stay the sandbox's), then renamed into layers/.
 * No image record names it: `image prune` drops it when no sandbox holds
 * it, and the next run makes it again.
 */
#include "image_flat.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/flatten.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct flat_job {
	int *layers;
	size_t n;
	int dst;
};

static int flat_cb(void *data, struct pd_error *err)
{
	struct flat_job *j = data;

	return pd_flatten(j->layers, j->n, j->dst, err);
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Merge layers 0..@k-1 of @si (bottom first) into the new directory @tmp. */
static int make(struct pd_store *s, const struct pd_store_image *si, size_t k,
		const struct pd_idmap_plan *ids, const char *tmp, struct pd_error *err)
{
	cleanup_free int *fds = pd_xcalloc(k, sizeof(*fds));
	struct flat_job j = { .layers = fds, .n = k, .dst = -1 };
	int r = -1;

	for (size_t i = 0; i < k; i++)
		fds[i] = -1;
	for (size_t i = 0; i < k; i++) {
		char path[4096];

		if (pd_store_layer_path(s, si->layers[i].diff_id, path, sizeof(path)) < 0 ||
		    (fds[i] = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			pd_error_set(err, errno, "layer %s", si->layers[i].diff_id);
			goto out;
		}
	}
	j.dst = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (j.dst < 0) {
		pd_error_set(err, errno, "open \"%s\"", tmp);
		goto out;
	}
	r = ids && ids->mode != PD_IDMAP_ROOT ? pd_userns_helper_plan(ids, flat_cb, &j, err)
					      : flat_cb(&j, err);
out:
	if (j.dst >= 0)
		close(j.dst);
	close_all(fds, k);
	return r;
}

int pd_image_flat_layer(struct pd_store *s, const struct pd_store_image *si, size_t k,
			const struct pd_idmap_plan *ids, char *chain, size_t cap,
			struct pd_error *err)
{
	cleanup_free const char **diff_ids = pd_xcalloc(k + 1, sizeof(char *));
	char tmp[4096];
	struct pd_error ignored;
	int lock, r = -1;

	for (size_t i = 0; i < k; i++)
		diff_ids[i] = si->layers[i].diff_id;
	if (pd_flatten_chain_id(diff_ids, k, chain, cap, err) < 0)
		return -1;
	if (pd_store_has_layer(s, chain))
		return 0;
	lock = pd_store_lock(s, pd_store_hex(chain), err);
	if (lock < 0)
		return -1;
	if (pd_store_has_layer(s, chain)) {
		pd_store_unlock(lock);
		return 0;
	}
	pd_note("image %.19s has %zu layers, more than overlayfs stacks (%d): its bottom %zu are "
		"merged into one, once",
		si->manifest, si->n_layers, PD_OVERLAY_MAX_LOWERS, k);
	if (pd_store_tmp_dir(s, tmp, sizeof(tmp), err) < 0)
		goto out;
	r = make(s, si, k, ids, tmp, err);
	if (r == 0) {
		int c = pd_store_layer_commit(s, tmp, chain, err);

		r = c < 0 ? -1 : 0;
		if (c == 0 && ids) /* made meanwhile (it cannot be, under the lock) */
			(void)pd_layer_remove(tmp, ids, &ignored);
	}
	if (r < 0 && ids)
		(void)pd_layer_remove(tmp, ids, &ignored);
out:
	pd_store_unlock(lock);
	return r < 0 ? pd_error_wrap(err, "merge the bottom %zu layers of image %.19s", k,
				     si->manifest)
		     : 0;
}
