/* SPDX-License-Identifier: MIT */
/*
 * cmd_image_ops.c - `paude inspect IMAGE`, `paude rmi IMAGE...` and
 * `paude save IMAGE oci:DIR[:TAG]`: what the store holds, shown, removed
 * or written out as an OCI image layout (blobs copied byte for byte, so
 * digests stay what the registry served).
 */
#include "cli.h"
#include "session.h"
#include "image.h"
#include "pull.h"
#include "save_archive.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct pd_store *open_store(struct pd_error *err)
{
	cleanup_free char *root = pd_store_default_root();

	if (!root) {
		pd_error_set_msg(err, EINVAL, "no place for the image store ($HOME is not set)");
		return NULL;
	}
	return pd_store_open(root, err);
}

/* The image @ref names: by name (normalized), id or digest. */
static int find_image(struct pd_store *s, const char *ref, struct pd_store_image *img,
		      struct pd_error *err)
{
	int r = pd_pull_find(s, ref, img, NULL, 0, err);

	if (r == 0)
		return pd_error_set_msg(err, ENOENT, "image \"%s\": not in the store", ref);
	return r < 0 ? -1 : 0;
}

/* ---- inspect ---- */

static int cmd_inspect(int argc, char **argv, struct pd_error *err)
{
	struct pd_store *s;
	cJSON *arr;
	char *text;
	int r = 0;

	if (argc < 2)
		return pd_usage_error(err, "inspect: expected IMAGE...");
	if (pd_is_help_arg(argv[1])) {
		puts("Usage: paude inspect IMAGE...\n\nThe stored images as JSON: names, "
		     "digests, config, layers.");
		return 0;
	}
	s = open_store(err);
	if (!s)
		return -1;
	arr = cJSON_CreateArray();
	for (int i = 1; i < argc && r == 0; i++) {
		struct pd_store_image img;
		cleanup_free char *cfg = NULL;
		size_t len = 0;
		cJSON *o, *layers, *names, *c;

		if (find_image(s, argv[i], &img, err) < 0 ||
		    pd_store_read_blob(s, img.config, PD_OCI_CONFIG_MAX, &cfg, &len, err) < 0) {
			r = -1;
			break;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "Id", img.manifest);
		cJSON_AddStringToObject(o, "Digest", img.manifest);
		names = cJSON_AddArrayToObject(o, "RepoTags");
		for (char **p = img.names; p && *p; p++)
			cJSON_AddItemToArray(names, cJSON_CreateString(*p));
		cJSON_AddStringToObject(o, "ConfigDigest", img.config);
		cJSON_AddStringToObject(o, "Platform", img.platform);
		cJSON_AddStringToObject(o, "Created", img.created);
		layers = cJSON_AddArrayToObject(o, "Layers");
		for (size_t k = 0; k < img.n_layers; k++) {
			cJSON *l = cJSON_CreateObject();

			cJSON_AddStringToObject(l, "Digest", img.layers[k].digest);
			cJSON_AddStringToObject(l, "DiffID", img.layers[k].diff_id);
			cJSON_AddStringToObject(l, "MediaType", img.layers[k].media_type);
			cJSON_AddNumberToObject(l, "Size", (double)img.layers[k].size);
			cJSON_AddItemToArray(layers, l);
		}
		c = cJSON_ParseWithLength(cfg, len);
		if (c)
			cJSON_AddItemToObject(o, "Config", c);
		cJSON_AddItemToArray(arr, o);
		pd_store_image_release(&img);
	}
	if (r == 0) {
		text = cJSON_Print(arr);
		puts(text);
		free(text);
	}
	cJSON_Delete(arr);
	pd_store_close(s);
	return r;
}

const struct pd_command pd_cmd_inspect = {
	.name = "inspect",
	.summary = "Show a stored image as JSON",
	.help = "Usage: paude inspect IMAGE...\n",
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_inspect,
};

/* ---- rmi ---- */

static int cmd_rmi(int argc, char **argv, struct pd_error *err)
{
	struct pd_store *s;
	bool force = false;
	int r = 0, first = 1;

	if (argc >= 2 && pd_is_help_arg(argv[1])) {
		puts("Usage: paude rmi [-f] IMAGE...\n\nRemove images (their names and records) "
		     "from the store; their blobs and layers stay until `paude image prune`.\nAn "
		     "image a running sandbox uses is refused unless -f (--force) is given; its "
		     "layers\nstay with the sandbox either way.");
		return 0;
	}
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "-f") || !strcmp(argv[first], "--force"))
			force = true;
		else
			return pd_usage_error(err, "rmi: unknown option \"%s\"", argv[first]);
	}
	if (first >= argc)
		return pd_usage_error(err, "rmi: expected IMAGE...");
	s = open_store(err);
	if (!s)
		return -1;
	for (int i = first; i < argc && r == 0; i++) {
		struct pd_store_image img;

		if (find_image(s, argv[i], &img, err) < 0)
			r = -1;
		else if (!force && pd_store_image_busy(s, img.manifest))
			r = pd_error_set_msg(err, EBUSY,
					     "image \"%s\" is in use by a running sandbox: stop it "
					     "first, or give -f (its layers stay with the sandbox)",
					     argv[i]);
		else if (!force && pd_session_pinning(img.manifest))
			r = pd_error_set_msg(
				err, EBUSY,
				"image \"%s\" is pinned by session '%s': delete the "
				"session first, or give -f (the session will not start "
				"again)",
				argv[i], pd_session_pinning(img.manifest));
		else if (pd_store_image_remove(s, &img, err) < 0)
			r = -1;
		else
			printf("Untagged and removed %s\n", img.manifest);
		pd_store_image_release(&img);
	}
	pd_store_close(s);
	return r;
}

const struct pd_command pd_cmd_rmi = {
	.name = "rmi",
	.summary = "Remove stored images",
	.help = "Usage: paude rmi [-f] IMAGE...\n",
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_rmi,
};

/* ---- save ---- */

static int write_file_at(int dirfd, const char *name, const void *data, size_t len,
			 struct pd_error *err)
{
	cleanup_close int fd =
		openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	const char *p = data;

	if (fd < 0 || pd_write_all(fd, p, len) < 0)
		return pd_error_set(err, errno, "write %s", name);
	return 0;
}

static int copy_blob(struct pd_store *s, const char *digest, int blobs_fd, struct pd_error *err)
{
	const char *hex = pd_store_hex(digest);
	cleanup_close int in = -1, out = -1;
	struct stat st;
	char buf[65536];

	if (!hex)
		return pd_error_set_msg(err, EINVAL, "\"%s\" is not a sha256 digest", digest);
	if (fstatat(blobs_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
		return 0; /* the layout has it already */
	in = pd_store_blob_open(s, digest, err);
	if (in < 0)
		return -1;
	out = openat(blobs_fd, hex, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return pd_error_set(err, errno, "write blob %s", digest);
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pd_error_set(err, errno, "read blob %s", digest);
		if (n == 0)
			return 0;
		if (pd_write_all(out, buf, (size_t)n) < 0)
			return pd_error_set(err, errno, "write blob %s", digest);
	}
}

/* Merge the manifest into DIR/index.json, named @tag (replacing an entry of that name). */
static int update_index(int dirfd, const char *digest, const char *media_type, size_t size,
			const char *tag, struct pd_error *err)
{
	cleanup_close int fd = openat(dirfd, "index.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cJSON *idx = NULL, *mans, *e, *ann;
	char *text;
	int r;

	if (fd >= 0) {
		char buf[1 << 16];
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		if (n > 0)
			idx = cJSON_ParseWithLength(buf, (size_t)n);
	}
	if (!idx || !cJSON_IsObject(idx)) {
		cJSON_Delete(idx);
		idx = cJSON_CreateObject();
		cJSON_AddNumberToObject(idx, "schemaVersion", 2);
		cJSON_AddStringToObject(idx, "mediaType", PD_OCI_MT_INDEX);
	}
	mans = cJSON_GetObjectItemCaseSensitive(idx, "manifests");
	if (!cJSON_IsArray(mans)) {
		cJSON_DeleteItemFromObjectCaseSensitive(idx, "manifests");
		mans = cJSON_AddArrayToObject(idx, "manifests");
	}
	for (int i = cJSON_GetArraySize(mans) - 1; tag && i >= 0; i--) {
		cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(mans, i),
							    "annotations");
		cJSON *n = cJSON_GetObjectItemCaseSensitive(a, "org.opencontainers.image.ref.name");

		if (cJSON_IsString(n) && !strcmp(n->valuestring, tag))
			cJSON_DeleteItemFromArray(mans, i);
	}
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "mediaType", media_type);
	cJSON_AddStringToObject(e, "digest", digest);
	cJSON_AddNumberToObject(e, "size", (double)size);
	if (tag) {
		ann = cJSON_AddObjectToObject(e, "annotations");
		cJSON_AddStringToObject(ann, "org.opencontainers.image.ref.name", tag);
	}
	cJSON_AddItemToArray(mans, e);
	text = cJSON_PrintUnformatted(idx);
	cJSON_Delete(idx);
	r = write_file_at(dirfd, "index.json", text, strlen(text), err);
	free(text);
	return r;
}

/* A layer media type of Docker's, as OCI names it. */
static const char *oci_layer_type(const char *mt)
{
	if (!strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar.gzip"))
		return "application/vnd.oci.image.layer.v1.tar+gzip";
	if (!strcmp(mt, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"))
		return "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
	if (!strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar"))
		return "application/vnd.oci.image.layer.v1.tar";
	return mt;
}

/*
 * A Docker schema 2 manifest as an OCI one (what skopeo writes into a
 * layout): the same config and layer blobs under OCI media types.  The
 * new manifest's bytes go into @blobs_fd; its digest and size come back.
 */
static int docker_to_oci(const struct pd_oci_manifest *m, int blobs_fd, char *digest, size_t dcap,
			 size_t *size, struct pd_error *err)
{
	cJSON *o = cJSON_CreateObject(), *c, *layers;
	char *text;
	size_t len;
	int r;

	cJSON_AddNumberToObject(o, "schemaVersion", 2);
	cJSON_AddStringToObject(o, "mediaType", PD_OCI_MT_MANIFEST);
	c = cJSON_AddObjectToObject(o, "config");
	cJSON_AddStringToObject(c, "mediaType", PD_OCI_MT_CONFIG);
	cJSON_AddStringToObject(c, "digest", m->config.digest);
	cJSON_AddNumberToObject(c, "size", (double)m->config.size);
	layers = cJSON_AddArrayToObject(o, "layers");
	for (size_t i = 0; i < m->n_layers; i++) {
		cJSON *l = cJSON_CreateObject();

		cJSON_AddStringToObject(l, "mediaType", oci_layer_type(m->layers[i].media_type));
		cJSON_AddStringToObject(l, "digest", m->layers[i].digest);
		cJSON_AddNumberToObject(l, "size", (double)m->layers[i].size);
		cJSON_AddItemToArray(layers, l);
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	len = strlen(text);
	if (pd_digest_sha256(text, len, digest, dcap, err) < 0) {
		free(text);
		return pd_error_wrap(err, "the converted manifest");
	}
	r = write_file_at(blobs_fd, digest + 7, text, len, err);
	free(text);
	*size = len;
	return r;
}

static int save_oci_layout(struct pd_store *s, const struct pd_store_image *img, const char *dir,
			   const char *tag, struct pd_error *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	cleanup_close int dfd = -1, bfd = -1;
	cleanup_free char *body = NULL;
	struct pd_oci_manifest m = { 0 };
	size_t len = 0;
	char ct[128], digest[PD_DIGEST_STR_MAX];
	int r = -1;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return pd_error_set(err, errno, "make \"%s\"", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return pd_error_set(err, errno, "open \"%s\"", dir);
	if ((mkdirat(dfd, "blobs", 0755) < 0 && errno != EEXIST) ||
	    (mkdirat(dfd, "blobs/sha256", 0755) < 0 && errno != EEXIST))
		return pd_error_set(err, errno, "\"%s\": make blobs/sha256", dir);
	bfd = openat(dfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd < 0)
		return pd_error_set(err, errno, "open \"%s/blobs/sha256\"", dir);
	if (pd_store_read_blob(s, img->manifest, PD_OCI_MANIFEST_MAX, &body, &len, err) < 0 ||
	    pd_oci_manifest_parse(body, len, NULL, &m, err) < 0)
		return -1;
	snprintf(ct, sizeof(ct), "%s", PD_OCI_MT_MANIFEST);
	snprintf(digest, sizeof(digest), "%s", img->manifest);
	if (copy_blob(s, m.config.digest, bfd, err) < 0)
		goto out;
	for (size_t i = 0; i < m.n_layers; i++)
		if (copy_blob(s, m.layers[i].digest, bfd, err) < 0)
			goto out;
	/* A layout's index names OCI manifests: a Docker one is converted, as skopeo does. */
	if ((m.docker ? docker_to_oci(&m, bfd, digest, sizeof(digest), &len, err)
		      : copy_blob(s, img->manifest, bfd, err)) < 0 ||
	    write_file_at(dfd, "oci-layout", layout, sizeof(layout) - 1, err) < 0 ||
	    update_index(dfd, digest, ct, len, tag, err) < 0)
		goto out;
	r = 0;
out:
	pd_oci_manifest_release(&m);
	return r;
}

/* The image as an oci-archive: a layout made in the store's tmp/, then tarred. */
static int save_oci_archive(struct pd_store *s, const struct pd_store_image *img, const char *file,
			    const char *tag, struct pd_error *err)
{
	char dir[PATH_MAX];
	cleanup_close int dfd = -1;
	struct pd_error e2;
	int r;

	if (pd_store_tmp_dir(s, dir, sizeof(dir), err) < 0)
		return -1;
	r = save_oci_layout(s, img, dir, tag, err);
	if (r == 0) {
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = dfd < 0 ? pd_error_set(err, errno, "open \"%s\"", dir)
			    : pd_save_tar_layout(dfd, file, err);
	}
	(void)pd_remove_tree(AT_FDCWD, dir, &e2);
	return r;
}

static int cmd_save(int argc, char **argv, struct pd_error *err)
{
	struct pd_store *s;
	struct pd_store_image img;
	char dir[PATH_MAX];
	const char *dest, *colon, *tag = NULL;
	bool archive;
	int r, gc;

	if (argc == 2 && pd_is_help_arg(argv[1])) {
		puts("Usage: paude save IMAGE oci:DIR[:TAG]|oci-archive:FILE[:TAG]\n\nWrite a "
		     "stored image as an OCI image layout (skopeo's oci: transport; an existing "
		     "layout gains the image) or as a tar of one (oci-archive:, replaced whole).");
		return 0;
	}
	if (argc != 3)
		return pd_usage_error(err,
				      "save: expected IMAGE oci:DIR[:TAG]|oci-archive:FILE[:TAG]");
	dest = argv[2];
	archive = pd_str_has_prefix(dest, "oci-archive:");
	if (!archive && !pd_str_has_prefix(dest, "oci:"))
		return pd_usage_error(err,
				      "save: \"%s\": the destinations are oci:DIR[:TAG] and "
				      "oci-archive:FILE[:TAG]",
				      dest);
	dest += archive ? 12 : 4;
	colon = strchr(dest, ':');
	if (colon) {
		tag = colon + 1;
		snprintf(dir, sizeof(dir), "%.*s", (int)(colon - dest), dest);
	} else {
		snprintf(dir, sizeof(dir), "%s", dest);
	}
	if (!dir[0] || (tag && !*tag))
		return pd_usage_error(err, "save: \"%s\": expected %s", argv[2],
				      archive ? "oci-archive:FILE[:TAG]" : "oci:DIR[:TAG]");
	s = open_store(err);
	if (!s)
		return -1;
	gc = pd_store_gc_lock(s, false, err); /* prune waits while the blobs are read */
	r = gc < 0 ? -1 : find_image(s, argv[1], &img, err);
	if (r == 0) {
		r = archive ? save_oci_archive(s, &img, dir, tag, err)
			    : save_oci_layout(s, &img, dir, tag, err);
		pd_store_image_release(&img);
	}
	pd_store_unlock(gc);
	pd_store_close(s);
	return r < 0 ? pd_error_wrap(err, "save %s", argv[1]) : 0;
}

const struct pd_command pd_cmd_save = {
	.name = "save",
	.summary = "Write a stored image as an OCI layout or a tar of one",
	.help = "Usage: paude save IMAGE oci:DIR[:TAG]|oci-archive:FILE[:TAG]\n",
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_save,
};
