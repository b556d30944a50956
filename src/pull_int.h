/* SPDX-License-Identifier: MIT */
/*
 * pull_int.h - what pull.c and pull_layers.c share; not for other users.
 */
#ifndef PAUDE_PULL_INT_H
#define PAUDE_PULL_INT_H

#include "common/error.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/store.h"
#include "pull.h"

#include <stdbool.h>
#include <sys/types.h>

/* At most this many layers download and unpack at once. */
#define PD_PULL_JOBS 3

/* Where a pull's blobs come from: a mirror, or the registry itself. */
struct pd_pull_source {
	struct pd_oci_ref ref;
	bool insecure; /* registries.conf's insecure: plain HTTP, unverified TLS */
};

/*
 * pd_pull_registry() - a registry client for @src with the pull's options
 * (TLS verification, the user's certs.d).  Only in a process that will
 * never clone: libcurl may start threads.  Return: the client, or NULL
 * with @err set.
 */
struct pd_registry *pd_pull_registry(const struct pd_pull_opts *o, const struct pd_pull_source *src,
				     struct pd_error *err);

/*
 * pd_pull_layers() - every layer of @m (whose config is @cfg) stored and
 * unpacked: the blobs missing from the store are downloaded from @src
 * (NULL: none may be missing), the layers missing are unpacked, each while
 * its blob downloads, up to PD_PULL_JOBS at once.  Call it single-threaded:
 * it forks.  A layer is committed only once its blob's digest and its
 * content's diff_id both agree.  Return: 0, or -1 with @err set (the first
 * failure; the jobs running then finish, none starts after).
 */
int pd_pull_layers(struct pd_store *s, const struct pd_pull_opts *o,
		   const struct pd_pull_source *src, const struct pd_oci_manifest *m,
		   const struct pd_oci_config *cfg, struct pd_error *err);

/*
 * pd_pull_fork() - fork() a worker that dies with this process (parent-death
 * SIGKILL, checked against a race) and ignores SIGPIPE, with a pipe for its
 * report: 0 in the worker (the write end in *@child_fd), its pid here (the
 * read end in *@report_fd), -1 with @err set.
 */
pid_t pd_pull_fork(int *report_fd, int *child_fd, struct pd_error *err);

#endif
