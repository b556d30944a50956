/* SPDX-License-Identifier: MIT */
/*
 * cmd_pull.c - `paude pull [-q] [--platform P] [--tls-verify=false] REF`:
 * an image from a registry into the store (pull.c); prints the image id.
 */
#include "cli.h"
#include "idrange.h"
#include "image_import.h"
#include "pull.h"
#include "common/cleanup.h"
#include "oci/store.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char pull_help[] =
	"Usage: paude pull [OPTIONS] IMAGE\n"
	"\n"
	"Pull IMAGE (registry/repository[:tag|@digest]; a short name means docker.io)\n"
	"into paude's image store: every blob verified, each layer unpacked once.\n"
	"IMAGE may also be oci:DIR[:NAME] (an OCI layout), oci-archive:FILE[:NAME]\n"
	"(a tar of one) or docker-archive:FILE[:REF] (a `docker save` tar).\n"
	"\n"
	"Options:\n"
	"  -q, --quiet               print only the image id\n"
	"      --platform OS/ARCH[/VARIANT]\n"
	"                            the platform to pull (default: the host's)\n"
	"      --tls-verify=false    allow plain HTTP and unverified TLS\n"
	"  -h, --help                this help\n";

enum { O_PLATFORM = 256, O_TLS };

static const struct option pull_opts[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ "platform", required_argument, NULL, O_PLATFORM },
	{ "tls-verify", optional_argument, NULL, O_TLS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_pull(int argc, char **argv, struct pd_error *err)
{
	struct pd_pull_opts po = { .tls_verify = true };
	struct pd_idmap_plan ids;
	struct pd_store_image img = { 0 };
	struct pd_store *s;
	cleanup_free char *root = NULL;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+qh", pull_opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			po.quiet = true;
			break;
		case 'h':
			fputs(pull_help, stdout);
			return 0;
		case O_PLATFORM:
			po.platform = optarg;
			break;
		case O_TLS:
			if (!optarg || !strcmp(optarg, "true"))
				po.tls_verify = true;
			else if (!strcmp(optarg, "false"))
				po.tls_verify = false;
			else
				return pd_usage_error(err, "--tls-verify=\"%s\": true or false",
						      optarg);
			break;
		default:
			return pd_usage_error(err, "pull: unknown or incomplete option \"%s\"",
					      argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return pd_usage_error(err, "pull: expected one IMAGE");
	po.ref = argv[optind];
	if (pd_idmap_decide(&ids, false, err) < 0)
		return -1;
	po.ids = &ids;
	root = pd_store_default_root();
	if (!root)
		return pd_error_set_msg(err, EINVAL,
					"no place for the image store ($HOME is not set)");
	s = pd_store_open(root, err);
	if (!s)
		return -1;
	if (pd_import_is_source(po.ref)) {
		struct pd_image_src src;
		struct pd_import_opts io = {
			.src = &src, .platform = po.platform, .quiet = po.quiet, .ids = po.ids
		};

		r = pd_image_src_parse(po.ref, &src, err);
		if (r == 0)
			r = pd_import(s, &io, &img, err);
	} else {
		r = pd_pull(s, &po, &img, err);
	}
	if (r == 0)
		printf("%s\n",
		       pd_store_hex(img.manifest) ? pd_store_hex(img.manifest) : img.manifest);
	pd_store_image_release(&img);
	pd_store_close(s);
	return r < 0 ? -1 : 0;
}

const struct pd_command pd_cmd_pull = {
	.name = "pull",
	.summary = "Pull an image from a registry into the store",
	.help = pull_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_pull,
};
