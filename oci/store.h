/* SPDX-License-Identifier: MIT */
/*
 * store.h - paude's image store: content-addressed blobs, layers unpacked
 * once by diff_id and shared read-only, image records and a names index.
 *
 * Theory of operation
 * -------------------
 * One directory, 0700, its owner's alone ($XDG_DATA_HOME/paude/storage
 * rootless, /var/lib/paude/storage as root):
 *
 *   blobs/sha256/HEX       manifests, configs and compressed layers, named
 *                          by the sha256 of their bytes (verified before
 *                          they get that name)
 *   layers/HEX/            a layer unpacked, named by its diff_id (the
 *                          sha256 of its uncompressed tar, verified while it
 *                          was unpacked); the lower dir an overlay stacks
 *   images/HEX.json        an image record, named by its manifest's digest:
 *                          config, layers (digest, diff_id, size, media type),
 *                          platform, created, pulled
 *   names.json             "registry/repo:tag" -> manifest digest
 *   tmp/                   everything is made here first
 *   locks/                 one lock file per object being made
 *
 * Crash safety: an object becomes visible only by a rename(2) from tmp/ once
 * it is complete and verified; what a killed pull leaves in tmp/ is never
 * read, and `paude image prune` removes it (store_gc.c).  Concurrency: whoever makes an object
 * holds its lock (flock on locks/HEX.lock); a second puller of the same
 * object waits for the lock, then finds it made.  The names index is
 * replaced whole (temp + rename) under its own lock.
 *
 * Names in the store are digests checked to be 64 lowercase hex digits, so
 * no name from an image ever becomes a path.
 */
#ifndef PAUDE_OCI_STORE_H
#define PAUDE_OCI_STORE_H

#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_store;

struct pd_store_layer {
	char digest[136];  /* the compressed blob's digest */
	char diff_id[136]; /* the uncompressed tar's digest */
	char media_type[128];
	int64_t size; /* compressed */
};

struct pd_store_image {
	char manifest[136]; /* its digest: the image's id */
	char config[136];
	char platform[64];
	char created[64]; /* from the config, may be "" */
	int64_t pulled;   /* unix time */
	struct pd_store_layer *layers;
	size_t n_layers;
	char **names; /* names pointing at it (filled by pd_store_image_get) */
};

/* pd_store_default_root() - the store's place for this user (malloc'd). */
char *pd_store_default_root(void);

/* pd_store_open() - open (make, 0700) the store at @root. */
struct pd_store *pd_store_open(const char *root, struct pd_error *err);
void pd_store_close(struct pd_store *s);
const char *pd_store_root(const struct pd_store *s);

/* pd_store_hex() - the hex part of "sha256:HEX", or NULL when it is not one. */
const char *pd_store_hex(const char *digest);

/* Locks: fd of locks/@name.lock held exclusively (wait), or -1 with @err. */
int pd_store_lock(struct pd_store *s, const char *name, struct pd_error *err);
void pd_store_unlock(int fd);

/* Blobs. */
bool pd_store_has_blob(struct pd_store *s, const char *digest);
int pd_store_blob_open(struct pd_store *s, const char *digest, struct pd_error *err);
/*
 * pd_store_tmp_file() - a new file in tmp/ (its name in @name, @cap bytes):
 * an O_RDWR fd, or -1 with @err.  Committed with pd_store_blob_commit().
 */
int pd_store_tmp_file(struct pd_store *s, char *name, size_t cap, struct pd_error *err);
/* pd_store_tmp_open() - read back a file pd_store_tmp_file() made (O_RDONLY). */
int pd_store_tmp_open(struct pd_store *s, const char *tmpname, struct pd_error *err);
/* pd_store_tmp_unlink() - drop a file pd_store_tmp_file() made. */
void pd_store_tmp_unlink(struct pd_store *s, const char *tmpname);
int pd_store_blob_commit(struct pd_store *s, const char *tmpname, const char *digest,
			 struct pd_error *err);
/* pd_store_read_blob() - a small blob's bytes (at most @max). */
int pd_store_read_blob(struct pd_store *s, const char *digest, size_t max, char **out, size_t *len,
		       struct pd_error *err);
int pd_store_write_blob(struct pd_store *s, const char *digest, const void *data, size_t len,
			struct pd_error *err);

/* Layers. */
bool pd_store_has_layer(struct pd_store *s, const char *diff_id);
/* pd_store_layer_path() - the layer's absolute path (a lower dir). */
int pd_store_layer_path(struct pd_store *s, const char *diff_id, char *out, size_t cap);
/* pd_store_tmp_dir() - a new empty directory in tmp/; its absolute path in @out. */
int pd_store_tmp_dir(struct pd_store *s, char *out, size_t cap, struct pd_error *err);
/*
 * pd_store_layer_commit() - rename the unpacked @tmpdir to layers/HEX.
 * Return: 1 committed, 0 the layer already existed (@tmpdir is left for the
 * caller to remove), -1 with @err.
 */
int pd_store_layer_commit(struct pd_store *s, const char *tmpdir, const char *diff_id,
			  struct pd_error *err);

/* Images and names. */
int pd_store_image_put(struct pd_store *s, const struct pd_store_image *img, const char *name,
		       struct pd_error *err);
/*
 * pd_store_image_get() - the image a name ("registry/repo:tag"), a manifest
 * digest or a unique prefix of its hex (12+ digits) stands for.
 * Return: 1 found, 0 not found, -1 with @err.
 */
int pd_store_image_get(struct pd_store *s, const char *name_or_id, struct pd_store_image *out,
		       struct pd_error *err);
void pd_store_image_release(struct pd_store_image *img);
/*
 * pd_store_image_remove() - drop the image's record and every name pointing
 * at it (its blobs and layers stay until a prune finds them unused).
 */
int pd_store_image_remove(struct pd_store *s, const struct pd_store_image *img,
			  struct pd_error *err);
/* pd_store_images() - every image (names filled), @n of them. */
int pd_store_images(struct pd_store *s, struct pd_store_image **out, size_t *n,
		    struct pd_error *err);
void pd_store_images_free(struct pd_store_image *imgs, size_t n);

/*
 * Collection (store_gc.c).  Whoever reads or makes an image's blobs and
 * layers (a pull, an import, save, push, a run resolving its image) holds
 * the gc lock shared; `paude image prune` holds it exclusive, so it never
 * sees a half-made image, and everything in tmp/ then is a leftover.  A
 * sandbox holds its image and each layer it runs on (shared flocks on
 * locks/image-HEX.lock and on the layer's directory) for its whole life;
 * prune keeps what is held, also after a pull replaced the image's record.
 */
/* pd_store_gc_lock() - the gc lock, shared or @exclusive: an fd to close. */
int pd_store_gc_lock(struct pd_store *s, bool exclusive, struct pd_error *err);
/* pd_store_layer_hold() - hold the layer @diff_id (shared): an fd to close. */
int pd_store_layer_hold(struct pd_store *s, const char *diff_id, struct pd_error *err);
/* pd_store_image_hold() - hold the image record @manifest (shared): an fd. */
int pd_store_image_hold(struct pd_store *s, const char *manifest, struct pd_error *err);
/* pd_store_image_busy() - whether a sandbox holds the image @manifest. */
bool pd_store_image_busy(struct pd_store *s, const char *manifest);
/* pd_store_image_unhold_file() - remove @manifest's hold file unless it is held. */
void pd_store_image_unhold_file(struct pd_store *s, const char *manifest);
/* pd_store_layer_busy() - whether a sandbox holds the layer of hex name @hex. */
bool pd_store_layer_busy(struct pd_store *s, const char *hex);
/* pd_store_list() - the entries of "layers", "blobs/sha256" or "tmp", sorted. */
int pd_store_list(struct pd_store *s, const char *dir, char ***out, size_t *n,
		  struct pd_error *err);
/* pd_store_blob_remove() - unlink blobs/sha256/@hex (absent is fine). */
int pd_store_blob_remove(struct pd_store *s, const char *hex, struct pd_error *err);

#endif
