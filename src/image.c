/* SPDX-License-Identifier: MIT */
/*
 * image.c - "dir:PATH" and "host" images (see image.h).
 *
 * The host image is built from the host's own files, all read-only:
 * /usr, the merged-usr links (/bin, /sbin, /lib*) recreated as links (or
 * bound when the host is not merged), and the /etc entries programs need to
 * run.  Never shadow, gshadow, sudoers, ssh/, machine-id, or private keys:
 * of /etc/ssl only the public certificates and openssl.cnf.
 */
#include "image.h"
#include "image_import.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const pd_host_etc_entries[] = {
	"ld.so.cache",
	"ld.so.conf",
	"ld.so.conf.d",
	"alternatives",
	"ssl/certs",
	"ssl/openssl.cnf",
	"ca-certificates",
	"ca-certificates.conf",
	"nsswitch.conf",
	"localtime",
	"os-release",
	"passwd",
	"group",
	"profile",
	"bash.bashrc",
	"environment",
	"gitconfig",
	"terminfo",
	NULL,
};

static const char *const host_top[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32", NULL };

static void add_bind(struct pd_rootfs *r, const char *src, const char *dst)
{
	r->mounts = pd_xreallocarray(r->mounts, r->n_mounts + 1, sizeof(*r->mounts));
	r->mounts[r->n_mounts++] = (struct pd_mount){
		.type = PD_MOUNT_BIND,
		.source = pd_xstrdup(src),
		.dest = pd_xstrdup(dst),
		.read_only = true,
		.host_owners = true, /* the host's files are never container root's */
	};
}

static void add_link(struct pd_rootfs *r, const char *target, const char *path)
{
	r->links = pd_xreallocarray(r->links, r->n_links + 1, sizeof(*r->links));
	r->links[r->n_links++] = (struct pd_symlink){
		.target = pd_xstrdup(target),
		.path = pd_xstrdup(path),
	};
}

/* A host path becomes a link (when it is one) or a read-only bind. */
static void add_host_entry(struct pd_rootfs *r, const char *path)
{
	struct stat st;
	char target[PATH_MAX];
	ssize_t n;

	if (lstat(path, &st) < 0)
		return; /* this host does not have it */
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			return;
		target[n] = '\0';
		add_link(r, target, path);
		return;
	}
	if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))
		add_bind(r, path, path);
}

static int image_host(struct pd_image *img)
{
	char path[PATH_MAX];

	add_bind(&img->rootfs, "/usr", "/usr");
	for (size_t i = 0; host_top[i]; i++) {
		snprintf(path, sizeof(path), "/%s", host_top[i]);
		add_host_entry(&img->rootfs, path);
	}
	for (size_t i = 0; pd_host_etc_entries[i]; i++) {
		snprintf(path, sizeof(path), "/etc/%s", pd_host_etc_entries[i]);
		add_host_entry(&img->rootfs, path);
	}
	pd_strv_push(&img->cmd, "/bin/sh");
	return 0;
}

static int image_dir(const char *path, struct pd_image *img, struct pd_error *err)
{
	cleanup_free char *real = NULL;
	struct stat st;

	if (!*path)
		return pd_error_set_msg(err, EINVAL, "image \"dir:\": missing the directory");
	real = realpath(path, NULL);
	if (!real)
		return pd_error_set(err, errno, "image \"dir:%s\"", path);
	if (stat(real, &st) < 0)
		return pd_error_set(err, errno, "image \"dir:%s\"", path);
	if (!S_ISDIR(st.st_mode))
		return pd_error_set(err, ENOTDIR, "image \"dir:%s\"", path);
	img->rootfs.lowers = pd_xcalloc(1, sizeof(char *));
	img->rootfs.lowers[0] = steal_ptr(&real);
	img->rootfs.n_lowers = 1;
	pd_strv_push(&img->cmd, "/bin/sh");
	return 0;
}

int pd_image_resolve(const char *ref, const struct pd_image_opts *o, struct pd_image *img,
		     struct pd_error *err)
{
	memset(img, 0, sizeof(*img));
	if (!strcmp(ref, "host"))
		return image_host(img);
	if (pd_str_has_prefix(ref, "dir:"))
		return image_dir(ref + 4, img, err);
	if (pd_import_is_source(ref))
		return pd_image_import(ref, o, img, err);
	if (pd_str_has_prefix(ref, "docker://"))
		ref += 9;
	return pd_image_oci(ref, o, img, err);
}

int pd_parse_pull_policy(const char *s, enum pd_pull_policy *out)
{
	static const char *const names[] = { "missing", "always", "never", "newer" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*out = (enum pd_pull_policy)i;
			return 0;
		}
	return -1;
}

void pd_image_release(struct pd_image *img)
{
	struct pd_rootfs *r = &img->rootfs;

	for (size_t i = 0; i < r->n_lowers; i++)
		free(r->lowers[i]);
	free(r->lowers);
	for (size_t i = 0; i < r->n_mounts; i++) {
		free(r->mounts[i].source);
		free(r->mounts[i].dest);
		free(r->mounts[i].tmpfs_size);
	}
	free(r->mounts);
	for (size_t i = 0; i < r->n_links; i++) {
		free(r->links[i].target);
		free(r->links[i].path);
	}
	free(r->links);
	pd_strv_free(img->env);
	pd_strv_free(img->entrypoint);
	pd_strv_free(img->cmd);
	for (size_t i = 0; i < img->n_holds; i++)
		close(img->holds[i]);
	free(img->holds);
	free(img->workdir);
	free(img->user);
	free(img->id);
	memset(img, 0, sizeof(*img));
}
