/* SPDX-License-Identifier: MIT */
/*
 * fuzz_unpack.c - libFuzzer target for the whole layer unpacker
 * (pd_unpack_layer, oci/unpack.c and oci/decompress.c): arbitrary bytes as a
 * layer stream (PD_COMP_AUTO, so plain tar, gzip and zstd are all reached)
 * unpacked into a scratch directory.
 *
 * Each run makes /tmp/paude-fuzz-unpack-XXXXXX (mkdtemp) holding layer/
 * (the layer directory) and sentinel/keep, unpacks, and removes it all.
 * Oracles:
 *   - the scratch directory holds exactly layer/ and sentinel/ (and the
 *     same inode, mode, owner and mtime), and
 *     sentinel/ exactly keep, with its content, mode and mtime: no entry,
 *     symlink, hard link or whiteout reached outside layer/;
 *   - success on a plain stream (no gzip/zstd magic): the diff_id is the
 *     SHA-256 of the input and bytes its size, computed here;
 *   - failure: the message names the layer ("layer fuzz").
 * Limits are lowered (4 MiB, 512 entries, depth 32) to keep runs short.
 * Run as root, device nodes are made for real (inside the 0700 scratch
 * directory); every other input is rootless (devices skipped).
 * Seeds: tests/fuzz/corpus/fuzz_unpack/.
 */
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "oci/unpack.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The names in @dir, each followed by '/', in directory order, into @out. */
static void list(int dirfd, const char *dir, char *out, size_t n)
{
	int fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	size_t w = 0;
	DIR *d;

	out[0] = '\0';
	if (fd < 0)
		abort();
	d = fdopendir(fd);
	if (!d)
		abort();
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		w += (size_t)snprintf(out + w, n > w ? n - w : 0, "%s/", de->d_name);
	}
	closedir(d);
	if (w >= n)
		abort();
}

static void same_stat(int dirfd, const char *name, const struct stat *want)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_mode != want->st_mode ||
	    st.st_ino != want->st_ino || st.st_uid != want->st_uid || st.st_size != want->st_size ||
	    st.st_mtim.tv_sec != want->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != want->st_mtim.tv_nsec)
		abort();
}

static int sorted_eq(const char *got, const char *a, const char *b)
{
	char ab[64], ba[64];

	snprintf(ab, sizeof(ab), "%s/%s/", a, b);
	snprintf(ba, sizeof(ba), "%s/%s/", b, a);
	return !strcmp(got, ab) || !strcmp(got, ba);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char tmpl[] = "/tmp/paude-fuzz-unpack-XXXXXX";
	struct pd_unpack_opts o = {
		.lim = { .max_bytes = 4u << 20,
			 .max_entries = 512,
			 .ratio = 100,
			 .ratio_floor = 1u << 20,
			 .max_depth = 32 },
		.rootless = (size & 1) || geteuid() != 0,
		.layer_name = "fuzz",
	};
	struct pd_unpack_result res;
	struct pd_error err = { 0 };
	struct stat top, sent, keep;
	char names[256];
	int tmpfd, layer, src, fd, r;

	if (size > (1u << 20))
		return 0;
	pd_log_quiet(1);
	if (!mkdtemp(tmpl))
		abort();
	tmpfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0 || mkdirat(tmpfd, "layer", 0755) < 0 || mkdirat(tmpfd, "sentinel", 0755) < 0)
		abort();
	fd = openat(tmpfd, "sentinel/keep", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || pd_write_all(fd, "keep\n", 5) < 0)
		abort();
	close(fd);
	if (fstatat(tmpfd, ".", &top, 0) < 0 || fstatat(tmpfd, "sentinel", &sent, 0) < 0 ||
	    fstatat(tmpfd, "sentinel/keep", &keep, 0) < 0)
		abort();
	layer = openat(tmpfd, "layer", O_PATH | O_DIRECTORY | O_CLOEXEC);
	src = memfd_create("layer", MFD_CLOEXEC);
	if (layer < 0 || src < 0 || pd_write_all(src, data, size) < 0 ||
	    lseek(src, 0, SEEK_SET) != 0)
		abort();

	r = pd_unpack_layer(src, PD_COMP_AUTO, layer, &o, &res, &err);

	/* Nothing outside layer/ changed. */
	list(tmpfd, ".", names, sizeof(names));
	if (!sorted_eq(names, "layer", "sentinel"))
		abort();
	list(tmpfd, "sentinel", names, sizeof(names));
	if (strcmp(names, "keep/"))
		abort();
	same_stat(tmpfd, ".", &top);
	same_stat(tmpfd, "sentinel", &sent);
	same_stat(tmpfd, "sentinel/keep", &keep);
	if (r == 0) {
		bool plain = !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b) &&
			     !(size >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f &&
			       data[3] == 0xfd);

		if (plain) {
			unsigned char md[32];
			char want[72];
			size_t w = (size_t)snprintf(want, sizeof(want), "sha256:");

			if (!EVP_Digest(data, size, md, NULL, EVP_sha256(), NULL))
				abort();
			for (int i = 0; i < 32; i++)
				w += (size_t)snprintf(want + w, sizeof(want) - w, "%02x", md[i]);
			if (strcmp(want, res.diff_id) || res.bytes != size)
				abort();
		}
	} else if (strncmp(err.msg, "layer fuzz", 10) != 0) {
		abort();
	}

	close(src);
	close(layer);
	close(tmpfd);
	{
		int tmp = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (tmp < 0 || pd_remove_tree(tmp, tmpl + 5, &err) < 0)
			abort();
		close(tmp);
	}
	return 0;
}
