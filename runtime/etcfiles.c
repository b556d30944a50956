/* SPDX-License-Identifier: MIT */
/*
 * etcfiles.c - the files paude generates: /etc/hostname, /etc/hosts and
 * /etc/resolv.conf, written into the sandbox's writable layer before the
 * overlay is made (the image's own are replaced, never followed: a symlink
 * there is removed, not written through), so they are there even when the
 * image's /etc belongs to ids the sandbox does not map.  Their text comes
 * from the spec (resolv.conf, and a session's passwd and group) or the host
 * name.  Only when the image's /etc
 * is not a directory are they written through the finished root instead.
 */
#include "sandbox.h"
#include "common/cleanup.h"
#include "common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

struct etc_files {
	char hostname[128], hosts[512];
	const char *resolv;
};

static void contents(const struct pd_sandbox_spec *spec, struct etc_files *f)
{
	const char *host = spec->hostname ? spec->hostname : "localhost";

	snprintf(f->hostname, sizeof(f->hostname), "%s\n", host);
	snprintf(f->hosts, sizeof(f->hosts),
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n",
		 host);
	f->resolv = spec->resolv_conf ? spec->resolv_conf
				      : "# paude: this sandbox has no network (--network none)\n";
}

/* Write the three files into the directory @etc; @lenient: skip what we may not write. */
static int write_files(const struct pd_sandbox_spec *spec, int etc, bool lenient,
		       struct pd_error *err)
{
	struct etc_files f;
	const struct {
		const char *name, *data;
	} files[] = {
		{ "hostname", f.hostname },
		{ "hosts", f.hosts },
		{ "resolv.conf", NULL },
	};

	contents(spec, &f);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *data = files[i].data ? files[i].data : f.resolv;

		if (pd_replace_file_at(etc, files[i].name, data, strlen(data), 0644, err) < 0) {
			if (lenient &&
			    (err->code == EACCES || err->code == EPERM || err->code == EOVERFLOW))
				continue;
			return pd_error_wrap(err, "/etc");
		}
	}
	for (size_t i = 0; i < spec->n_etc_files; i++) {
		const struct pd_etc_file *ef = &spec->etc_files[i];

		if (strchr(ef->name, '/') || !ef->name[0] || ef->name[0] == '.')
			return pd_error_set(err, EINVAL, "/etc/%s: not a file name of /etc",
					    ef->name);
		if (pd_replace_file_at(etc, ef->name, ef->data, strlen(ef->data), 0644, err) < 0) {
			if (lenient &&
			    (err->code == EACCES || err->code == EPERM || err->code == EOVERFLOW))
				continue;
			return pd_error_wrap(err, "/etc");
		}
	}
	return 0;
}

int pd_etcfiles_write_upper(int upper, const struct pd_sandbox_spec *spec, struct pd_error *err)
{
	cleanup_close int etc = -1;

	if (mkdirat(upper, "etc", 0755) < 0 && errno != EEXIST)
		return pd_error_set(err, errno, "writable layer: mkdir \"etc\"");
	etc = openat(upper, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc < 0)
		return 0; /* a whiteout or a file left in a persistent layer: later, then */
	if (write_files(spec, etc, false, err) < 0)
		return -1;
	return 1;
}

int pd_etcfiles_write(const struct pd_root *root, const struct pd_sandbox_spec *spec,
		      enum pd_idmap_mode mode, struct pd_error *err)
{
	cleanup_close int etc = -1;

	if (root->etc_written)
		return 0;
	etc = pd_mkdirs_in_root(root->root_fd, "/etc", 0755, "rootfs", err);
	if (etc < 0)
		return root->read_only && mode != PD_IDMAP_ROOT ? 0 : -1;
	return write_files(spec, etc, root->read_only, err);
}
