/* SPDX-License-Identifier: MIT */
/*
 * cmd_images.c - `paude images [--json] [--digests]`: the store's images,
 * one line per name (an image without a name shows <none>).
 */
#include "cli.h"
#include "common/cleanup.h"
#include "oci/store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char images_help[] =
	"Usage: paude images [--json] [--digests]\n"
	"\n"
	"List the images in paude's store: REPOSITORY, TAG, IMAGE ID (the\n"
	"manifest digest's first 12 digits), CREATED, SIZE (compressed).\n";

static const struct option images_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "digests", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void split_name(const char *name, char *repo, size_t rcap, char *tag, size_t tcap)
{
	const char *at = strchr(name, '@'), *slash = strrchr(name, '/'), *colon;

	if (at) {
		snprintf(repo, rcap, "%.*s", (int)(at - name), name);
		snprintf(tag, tcap, "<none>");
		return;
	}
	colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		snprintf(repo, rcap, "%.*s", (int)(colon - name), name);
		snprintf(tag, tcap, "%s", colon + 1);
	} else {
		snprintf(repo, rcap, "%s", name);
		snprintf(tag, tcap, "<none>");
	}
}

static int64_t image_size(const struct pd_store_image *img)
{
	int64_t n = 0;

	for (size_t i = 0; i < img->n_layers; i++)
		n += img->layers[i].size;
	return n;
}

static void human(int64_t n, char *out, size_t cap)
{
	static const char *const u[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t i = 0;

	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(out, cap, i ? "%.3g %s" : "%.0f %s", v, u[i]);
}

static int cmd_images(int argc, char **argv, struct pd_error *err)
{
	bool json = false, digests = false;
	cleanup_free char *root = NULL;
	struct pd_store_image *imgs = NULL;
	struct pd_store *s;
	size_t n = 0;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", images_opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'd')
			digests = true;
		else if (c == 'h') {
			fputs(images_help, stdout);
			return 0;
		} else
			return pd_usage_error(err, "images: unknown option \"%s\"",
					      argv[optind - 1]);
	}
	if (optind != argc)
		return pd_usage_error(err, "images: unexpected argument \"%s\"", argv[optind]);
	root = pd_store_default_root();
	if (!root)
		return pd_error_set_msg(err, EINVAL,
					"no place for the image store ($HOME is not set)");
	s = pd_store_open(root, err);
	if (!s || pd_store_images(s, &imgs, &n, err) < 0) {
		pd_store_close(s);
		return -1;
	}
	if (json) {
		cJSON *arr = cJSON_CreateArray();
		char *text;

		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject(),
			      *names = cJSON_AddArrayToObject(o, "names");

			cJSON_AddStringToObject(o, "id", imgs[i].manifest);
			cJSON_AddStringToObject(o, "digest", imgs[i].manifest);
			cJSON_AddStringToObject(o, "config", imgs[i].config);
			cJSON_AddStringToObject(o, "created", imgs[i].created);
			cJSON_AddStringToObject(o, "platform", imgs[i].platform);
			cJSON_AddNumberToObject(o, "size", (double)image_size(&imgs[i]));
			for (char **p = imgs[i].names; p && *p; p++)
				cJSON_AddItemToArray(names, cJSON_CreateString(*p));
			cJSON_AddItemToArray(arr, o);
		}
		text = cJSON_Print(arr);
		puts(text);
		free(text);
		cJSON_Delete(arr);
	} else {
		printf("%-40s %-16s %s%-14s %-22s %s\n", "REPOSITORY", "TAG",
		       digests ? "DIGEST                                                                   "
			       : "",
		       "IMAGE ID", "CREATED", "SIZE");
		for (size_t i = 0; i < n; i++) {
			char repo[512], tag[160], size[32];
			const char *hex = pd_store_hex(imgs[i].manifest);
			char *none[] = { (char *)"<none>", NULL };
			char **names = imgs[i].names ? imgs[i].names : none;

			human(image_size(&imgs[i]), size, sizeof(size));
			for (char **p = names; *p; p++) {
				split_name(*p, repo, sizeof(repo), tag, sizeof(tag));
				printf("%-40s %-16s %s%s%.12s   %-22.19s %s\n", repo, tag,
				       digests ? imgs[i].manifest : "", digests ? " " : "",
				       hex ? hex : "?", imgs[i].created[0] ? imgs[i].created : "-",
				       size);
			}
		}
	}
	pd_store_images_free(imgs, n);
	pd_store_close(s);
	return 0;
}

const struct pd_command pd_cmd_images = {
	.name = "images",
	.summary = "List the images in the store",
	.help = images_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_images,
};
