/* SPDX-License-Identifier: MIT */
/*
 * etcfiles.c - the files paude generates: /etc/hostname, /etc/hosts and
 * /etc/resolv.conf, written into the sandbox's writable layer before it
 * starts (the image's own are replaced, never followed: a symlink there is
 * removed, not written through).  With --network none there is no resolver.
 * A rootless sandbox on a root filesystem it does not own cannot write its
 * /etc; it then keeps the image's files (paude already said the root is
 * read-only).
 */
#include "sandbox.h"
#include "common/cleanup.h"
#include "common/fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int pd_etcfiles_write(struct pd_sandbox *sb, struct pd_error *err)
{
	const char *host = sb->spec->hostname ? sb->spec->hostname : "localhost";
	cleanup_close int etc = -1;
	char hosts[512], hostname[128];
	static const char resolv[] = "# paude: this sandbox has no network (--network none)\n";
	struct {
		const char *name;
		const char *data;
	} files[] = {
		{ "hostname", hostname }, { "hosts", hosts }, { "resolv.conf", resolv },
	};

	snprintf(hostname, sizeof(hostname), "%s\n", host);
	snprintf(hosts, sizeof(hosts),
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n",
		 host);
	etc = pd_mkdirs_in_root(sb->root_fd, "/etc", 0755, "rootfs", err);
	if (etc < 0)
		return sb->root_read_only && sb->ids.mode != PD_IDMAP_ROOT ? 0 : -1;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (pd_replace_file_at(etc, files[i].name, files[i].data, strlen(files[i].data), 0644,
				       err) < 0) {
			if (sb->root_read_only && (err->code == EACCES || err->code == EPERM ||
						   err->code == EOVERFLOW))
				continue;
			return pd_error_wrap(err, "/etc");
		}
	}
	return 0;
}
