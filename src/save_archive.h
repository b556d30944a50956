/* SPDX-License-Identifier: MIT */
/* save_archive.h - an OCI layout directory as an oci-archive: tar file. */
#ifndef PAUDE_SAVE_ARCHIVE_H
#define PAUDE_SAVE_ARCHIVE_H

#include "common/error.h"

/*
 * pd_save_tar_layout() - write the layout paude made in the directory @dfd
 * (oci-layout, index.json, each blob of blobs/sha256) as the tar file @path, replacing
 * it only once complete.  Return: 0, or -1 with @err.
 */
int pd_save_tar_layout(int dfd, const char *path, struct pd_error *err);

#endif
