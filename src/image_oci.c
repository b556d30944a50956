/* SPDX-License-Identifier: MIT */
/*
 * image_oci.c - an image of the store as a root filesystem: its layers,
 * topmost first, are the overlay's lower directories (shared read-only by
 * every sandbox; nothing is copied per run), and its config gives the
 * defaults (Env, Entrypoint, Cmd, WorkingDir, User).  A missing image is
 * pulled first (podman's --pull=missing), saying so on stderr; an OCI
 * layout or archive (oci:, oci-archive:, docker-archive:) is imported each
 * time, which costs little once its blobs and layers are stored.
 */
#include "image.h"
#include "image_flat.h"
#include "oci/flatten.h"
#include "image_import.h"
#include "pull.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/manifest.h"
#include "oci/store.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char **strv_take(char ***v)
{
	char **r = *v;

	*v = NULL;
	return r;
}

/* Lower @path for the image, held for as long as the image is (`image prune` keeps it). */
static int add_lower(struct pd_store *s, struct pd_image *img, const char *diff_id,
		     const char *manifest, struct pd_error *err)
{
	char path[PATH_MAX];

	if (!pd_store_has_layer(s, diff_id) ||
	    pd_store_layer_path(s, diff_id, path, sizeof(path)) < 0)
		return pd_error_set_msg(err, ENOENT,
					"layer %s of image %s is missing from the store (pull the "
					"image again)",
					diff_id, manifest);
	img->rootfs.lowers[img->rootfs.n_lowers++] = pd_xstrdup(path);
	img->holds[img->n_holds] = pd_store_layer_hold(s, diff_id, err);
	if (img->holds[img->n_holds] < 0)
		return -1;
	img->n_holds++;
	return 0;
}

static int from_store(struct pd_store *s, const struct pd_store_image *si,
		      const struct pd_idmap_plan *ids, struct pd_image *img, struct pd_error *err)
{
	cleanup_free char *body = NULL;
	struct pd_oci_config cfg = { 0 };
	size_t len = 0, merged = 0, top;
	char chain[PD_DIGEST_STR_MAX];

	if (pd_store_read_blob(s, si->config, PD_OCI_CONFIG_MAX, &body, &len, err) < 0 ||
	    pd_oci_config_parse(body, len, &cfg, err) < 0)
		return -1;
	img->rootfs.lowers = pd_xcalloc(si->n_layers + 1, sizeof(char *));
	img->holds = pd_xcalloc(si->n_layers + 2, sizeof(int));
	img->holds[0] = pd_store_image_hold(s, si->manifest, err);
	if (img->holds[0] < 0) {
		pd_oci_config_release(&cfg);
		return -1;
	}
	img->n_holds = 1;
	img->id = pd_xstrdup(si->manifest);
	/* more layers than overlayfs stacks: the bottom ones are merged into one */
	if (si->n_layers > PD_OVERLAY_MAX_LOWERS) {
		merged = si->n_layers - (PD_OVERLAY_MAX_LOWERS - 1);
		if (pd_image_flat_layer(s, si, merged, ids, chain, sizeof(chain), err) < 0) {
			pd_oci_config_release(&cfg);
			return -1;
		}
	}
	top = si->n_layers - merged;
	for (size_t i = 0; i < top; i++)
		if (add_lower(s, img, si->layers[si->n_layers - 1 - i].diff_id, si->manifest, err) <
		    0) {
			pd_oci_config_release(&cfg);
			return -1;
		}
	if (merged && add_lower(s, img, chain, si->manifest, err) < 0) {
		pd_oci_config_release(&cfg);
		return -1;
	}
	img->env = strv_take(&cfg.env);
	img->entrypoint = strv_take(&cfg.entrypoint);
	img->cmd = strv_take(&cfg.cmd);
	if (cfg.workdir && cfg.workdir[0]) {
		img->workdir = cfg.workdir;
		cfg.workdir = NULL;
	}
	if (cfg.user && cfg.user[0]) {
		img->user = cfg.user;
		cfg.user = NULL;
	}
	pd_oci_config_release(&cfg);
	if (si->n_layers == 0)
		return pd_error_set_msg(err, EINVAL, "image %s has no layers", si->manifest);
	return 0;
}

int pd_image_oci(const char *ref, const struct pd_image_opts *o, struct pd_image *img,
		 struct pd_error *err)
{
	struct pd_image_opts def = { .pull = PD_PULL_MISSING, .tls_verify = true };
	cleanup_free char *root = pd_store_default_root();
	struct pd_store *s;
	struct pd_store_image si = { 0 };
	char name[1024], matched[1024];
	int found = 0, r = -1, gc = -1;
	bool said = false; /* the message names the image already */

	if (!o)
		o = &def;
	/* A reference that cannot be one (and is no image id) touches nothing. */
	if (pd_pull_name(ref, name, sizeof(name), err) < 0) {
		size_t n = strlen(ref), i = pd_str_has_prefix(ref, "sha256:") ? 7 : 0;
		bool id = n - i >= 12 && n - i <= 64;

		for (; id && i < n; i++)
			id = (ref[i] >= '0' && ref[i] <= '9') || (ref[i] >= 'a' && ref[i] <= 'f');
		if (!id)
			return -1;
		pd_error_clear(err);
	}
	if (!root)
		return pd_error_set_msg(
			err, EINVAL,
			"image \"%s\": no place for the image store ($HOME is not set)", ref);
	s = pd_store_open(root, err);
	if (!s)
		return -1;
	/* held until the layers are: `image prune` never takes them in between */
	gc = pd_store_gc_lock(s, false, err);
	if (gc < 0)
		goto out;
	/* A stored image by name, by id (a manifest digest or its prefix), or as given. */
	found = pd_pull_find(s, ref, &si, matched, sizeof(matched), err);
	if (found < 0)
		goto out;
	/* pulled again, a short name is the name it was found under (podman's
	 * "resolved name"), never another search registry's image */
	if (found > 0 && matched[0] && !pd_str_has_prefix(matched, "localhost/"))
		ref = matched;
	if (found > 0 && o->platform) {
		/* a name holds one platform: another one asked for is pulled */
		struct pd_platform want;
		char w[64];

		if (pd_platform_parse(o->platform, &want, err) < 0)
			goto out;
		pd_platform_format(&want, w, sizeof(w));
		if (strcmp(w, si.platform) != 0)
			found = 0;
	}
	if (o->pull == PD_PULL_ALWAYS || o->pull == PD_PULL_NEWER || !found) {
		struct pd_pull_opts po = {
			.ref = ref,
			.platform = o->platform,
			.tls_verify = o->tls_verify,
			.ids = o->ids,
		};

		if (o->pull == PD_PULL_NEVER) {
			pd_error_set_msg(
				err, ENOENT,
				"image \"%s\" is not in the store and --pull=never was given", ref);
			said = true;
			goto out;
		}
		if (pd_pull_name(ref, name, sizeof(name), err) < 0)
			goto out;
		if (!pd_pull_is_short(ref)) /* a short name's candidates say it themselves */
			fprintf(stderr, "Trying to pull %s...\n", name);
		if (found && o->pull == PD_PULL_NEWER) {
			/* podman's newer: the registry's image when its digest differs
			 * (a pull fetches only what the store lacks), and the stored
			 * one when the registry cannot be asked */
			struct pd_store_image fresh = { 0 };

			if (pd_pull(s, &po, &fresh, err) == 0) {
				pd_store_image_release(&si);
				si = fresh;
			} else {
				pd_note("--pull=newer: %s; running the stored image", err->msg);
				pd_error_clear(err);
			}
		} else {
			pd_store_image_release(&si);
			if (pd_pull(s, &po, &si, err) < 0)
				goto out;
		}
	}
	r = from_store(s, &si, o ? o->ids : NULL, img, err);
out:
	pd_store_unlock(gc);
	pd_store_image_release(&si);
	pd_store_close(s);
	if (r < 0 && !said)
		pd_error_wrap(err, "image \"%s\"", ref);
	return r < 0 ? -1 : 0;
}

int pd_image_import(const char *ref, const struct pd_image_opts *o, struct pd_image *img,
		    struct pd_error *err)
{
	cleanup_free char *root = pd_store_default_root();
	struct pd_image_src src;
	struct pd_store_image si = { 0 };
	struct pd_import_opts io = { .src = &src };
	struct pd_store *s;
	int r, gc;

	if (pd_image_src_parse(ref, &src, err) < 0)
		return -1;
	if (!root)
		return pd_error_set_msg(
			err, EINVAL,
			"image \"%s\": no place for the image store ($HOME is not set)", ref);
	if (o) {
		io.platform = o->platform;
		io.ids = o->ids;
	}
	s = pd_store_open(root, err);
	if (!s)
		return -1;
	/* held until the layers are: `image prune` never takes them in between */
	gc = pd_store_gc_lock(s, false, err);
	r = gc < 0 ? -1 : pd_import(s, &io, &si, err);
	if (r == 0)
		r = from_store(s, &si, o ? o->ids : NULL, img, err);
	pd_store_unlock(gc);
	pd_store_image_release(&si);
	pd_store_close(s);
	return r < 0 ? -1 : 0;
}
