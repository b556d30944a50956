/* SPDX-License-Identifier: MIT */
/*
 * cmd_image.c - `paude image SUBCOMMAND`, podman's image group: prune, and
 * ls/list, rm, inspect, pull, push, save as the top-level commands.
 *
 * `paude image prune [-a] [-f]` removes what no image needs and no sandbox
 * uses, under the store's exclusive gc lock (oci/store_gc.c), so no pull,
 * import, save, push or run is half-way through meanwhile:
 *   1. image records: those without a name (podman's "dangling"), or with
 *      -a every one, unless a sandbox runs it (holds its record);
 *   2. layers no remaining image lists, unless a sandbox holds them (the
 *      ones rootless paude unpacked hold files of subordinate ids: they are
 *      removed by the runtime's helper in the user's own user namespace);
 *   3. blobs no remaining image lists (manifest, config, layer blobs);
 *   4. everything in tmp/ (what killed pulls left: none is in progress);
 *   5. image hold files (locks/image-HEX.lock) of records that are gone
 *      and that no sandbox holds (`rmi -f` of a running image leaves one).
 * It asks first, unless -f; without a terminal to ask on, -f is needed.
 */
#include "cli.h"
#include "session.h"
#include "idrange.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "oci/store.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char prune_help[] =
	"Usage: paude image prune [-a] [-f]\n"
	"\n"
	"Remove images without a name, and every layer, blob and leftover of a\n"
	"killed pull that no remaining image needs.  An image or layer that a\n"
	"running sandbox uses is kept.\n"
	"\n"
	"Options:\n"
	"  -a, --all     remove every image a running sandbox does not use, named or not\n"
	"  -f, --force   do not ask first\n"
	"  -h, --help    this help\n";

static bool listed(char **v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

static const char *hex_of(const char *digest)
{
	const char *h = pd_store_hex(digest);

	return h ? h : "";
}

/* Whether a sandbox runs @img (it holds the image's record), or a session pinned it. */
static bool image_busy(struct pd_store *s, const struct pd_store_image *img, char **pins)
{
	return pd_store_image_busy(s, img->manifest) || listed(pins, img->manifest);
}

static bool is_hex64(const char *s)
{
	size_t n = strlen(s);

	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

struct tally {
	size_t images, layers, blobs, tmp, kept_busy;
	unsigned long long bytes;
};

static unsigned long long blob_size(struct pd_store *s, const char *hex)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", pd_store_root(s), hex);
	return stat(path, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

static int prune(struct pd_store *s, bool all, const struct pd_idmap_plan *ids, struct tally *t,
		 struct pd_error *err)
{
	struct pd_store_image *imgs = NULL;
	cleanup_strv char **keep_layers = NULL, **keep_blobs = NULL, **layers = NULL,
			  **blobs = NULL, **tmp = NULL, **locks = NULL;
	size_t n = 0, nl = 0, nb = 0, nt = 0, nk = 0;
	int r = -1;

	cleanup_strv char **pins = pd_session_pinned_images();

	if (pd_store_images(s, &imgs, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct pd_store_image *img = &imgs[i];
		bool named = img->names && img->names[0];

		if ((all || !named) && !image_busy(s, img, pins)) {
			if (pd_store_image_remove(s, img, err) < 0)
				goto out;
			printf("%.12s\n", hex_of(img->manifest));
			t->images++;
			continue;
		}
		if ((all || !named))
			t->kept_busy++;
		pd_strv_push(&keep_blobs, hex_of(img->manifest));
		pd_strv_push(&keep_blobs, hex_of(img->config));
		for (size_t j = 0; j < img->n_layers; j++) {
			pd_strv_push(&keep_blobs, hex_of(img->layers[j].digest));
			pd_strv_push(&keep_layers, hex_of(img->layers[j].diff_id));
		}
	}
	if (pd_store_list(s, "layers", &layers, &nl, err) < 0 ||
	    pd_store_list(s, "blobs/sha256", &blobs, &nb, err) < 0 ||
	    pd_store_list(s, "tmp", &tmp, &nt, err) < 0 ||
	    pd_store_list(s, "locks", &locks, &nk, err) < 0)
		goto out;
	for (size_t i = 0; i < nl; i++) {
		char path[PATH_MAX];

		if (!is_hex64(layers[i]) || listed(keep_layers, layers[i]))
			continue;
		if (pd_store_layer_busy(s, layers[i])) {
			t->kept_busy++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/layers/%s", pd_store_root(s), layers[i]);
		if (pd_layer_remove(path, ids, err) < 0) {
			pd_error_wrap(err, "remove layer sha256:%s", layers[i]);
			goto out;
		}
		t->layers++;
	}
	for (size_t i = 0; i < nb; i++) {
		if (!is_hex64(blobs[i]) || listed(keep_blobs, blobs[i]))
			continue;
		t->bytes += blob_size(s, blobs[i]);
		if (pd_store_blob_remove(s, blobs[i], err) < 0)
			goto out;
		t->blobs++;
	}
	for (size_t i = 0; i < nt; i++) {
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/tmp/%s", pd_store_root(s), tmp[i]);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) ? pd_layer_remove(path, ids, err) < 0
					: (unlink(path) < 0 && errno != ENOENT &&
					   pd_error_set(err, errno, "remove \"%s\"", path) < 0)) {
			pd_error_wrap(err, "remove a leftover in tmp/");
			goto out;
		}
		t->tmp++;
	}
	for (size_t i = 0; i < nk; i++) {
		char digest[80], rec[96];
		struct stat st;

		if (strncmp(locks[i], "image-", 6) != 0 || strlen(locks[i]) != 6 + 64 + 5 ||
		    strcmp(locks[i] + 70, ".lock") != 0)
			continue;
		snprintf(digest, sizeof(digest), "sha256:%.64s", locks[i] + 6);
		snprintf(rec, sizeof(rec), "%s/images/%.64s.json", pd_store_root(s), locks[i] + 6);
		if (pd_store_hex(digest) && stat(rec, &st) < 0 && errno == ENOENT)
			pd_store_image_unhold_file(s, digest); /* only when nobody holds it */
	}
	r = 0;
out:
	for (size_t i = 0; i < n; i++)
		pd_store_image_release(&imgs[i]);
	free(imgs);
	return r;
}

static bool confirm(bool all)
{
	char line[16];

	fprintf(stderr,
		"WARNING! This removes %s, and every layer and blob no remaining image needs.\n"
		"Are you sure you want to continue? [y/N] ",
		all ? "every image no running sandbox uses" : "every image without a name");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static int cmd_prune(int argc, char **argv, struct pd_error *err)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cleanup_free char *root = pd_store_default_root();
	struct pd_idmap_plan ids;
	struct tally t = { 0 };
	struct pd_store *s;
	bool all = false, force = false;
	int c, gc, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+afh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(prune_help, stdout);
			return 0;
		default:
			return pd_usage_error(err, "image prune: unknown option \"%s\"",
					      argv[optind - 1]);
		}
	}
	if (optind != argc)
		return pd_usage_error(err, "image prune: no arguments expected");
	if (!force && !isatty(STDIN_FILENO))
		return pd_usage_error(err,
				      "image prune: no terminal to ask on: give -f to prune "
				      "without asking");
	if (!force && !confirm(all))
		return 0;
	if (!root)
		return pd_error_set_msg(err, EINVAL,
					"no place for the image store ($HOME is not set)");
	if (pd_idmap_decide(&ids, false, err) < 0)
		return -1;
	s = pd_store_open(root, err);
	if (!s)
		return -1;
	gc = pd_store_gc_lock(s, true, err);
	r = gc < 0 ? -1 : prune(s, all, &ids, &t, err);
	pd_store_unlock(gc);
	pd_store_close(s);
	if (r < 0)
		return pd_error_wrap(err, "image prune");
	fprintf(stderr,
		"paude: %zu images, %zu layers, %zu blobs (%.1f MB) and %zu leftovers removed%s\n",
		t.images, t.layers, t.blobs, (double)t.bytes / 1e6, t.tmp,
		t.kept_busy ? "; what running sandboxes use is kept" : "");
	return 0;
}

static const struct pd_command prune_cmd = {
	.name = "image prune",
	.fn = cmd_prune,
};

static const char image_help[] =
	"Usage: paude image SUBCOMMAND [ARGS...]\n"
	"\n"
	"Subcommands:\n"
	"  prune         remove unused images, layers and blobs (see `paude image prune -h`)\n"
	"  ls, list      as `paude images`\n"
	"  rm            as `paude rmi`\n"
	"  inspect, pull, push, save   as the commands of those names\n";

static int cmd_image(int argc, char **argv, struct pd_error *err)
{
	static const struct {
		const char *name;
		const struct pd_command *cmd;
	} subs[] = {
		{ "prune", &prune_cmd },        { "ls", &pd_cmd_images },
		{ "list", &pd_cmd_images },     { "rm", &pd_cmd_rmi },
		{ "inspect", &pd_cmd_inspect }, { "pull", &pd_cmd_pull },
		{ "push", &pd_cmd_push },       { "save", &pd_cmd_save },
	};

	if (argc < 2 || pd_is_help_arg(argv[1])) {
		fputs(image_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? pd_usage_error(err, "image: expected a subcommand") : 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].cmd->fn(argc - 1, argv + 1, err);
	return pd_usage_error(err, "image: unknown subcommand \"%s\"", argv[1]);
}

const struct pd_command pd_cmd_image = {
	.name = "image",
	.summary = "Manage images: prune, and ls, rm, inspect, pull, push, save",
	.help = image_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_image,
};
