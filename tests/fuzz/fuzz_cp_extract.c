/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cp_extract.c - libFuzzer target for the extraction of the untrusted
 * tar that comes out of a session (pd_cp_extract, src/cp_tar.c): arbitrary
 * bytes as the stream, extracted into a fresh destination.
 *
 * The first run makes the per-process parent /tmp/fz-cp-PID (0700) holding
 * the sentinel file "keep"; each run makes PARENT/N (N counts up) with two
 * planted symlinks, "s" -> PARENT/keep and "t" -> "../keep", extracts into
 * it (with the top name "top" when the input's size is odd), and removes it.
 * Oracles:
 *   - PARENT holds exactly N and keep, and keep is the same file with the
 *     same content and mode: no member, planted or archived symlink, or
 *     ".." reached outside the destination;
 *   - the destination holds only directories, regular files without set-id
 *     bits and symlinks (fifos and devices are skipped);
 *   - a failure comes with a message;
 *   - the destination can be removed (pd_remove_tree).
 * Seeds: tests/fuzz/corpus/fuzz_cp_extract/ (made with python3's tarfile
 * and GNU tar: symlinks then files through them, "..", pax names, set-id
 * modes, fifos, devices, hard links, sparse files).
 */
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "cp_tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEEP "keep\n"

static char parent[64];
static int parentfd = -1;
static struct stat keep_st;
static unsigned long runs;

static void remove_parent(void)
{
	struct pd_error err = { 0 };
	int tmp = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (tmp >= 0) {
		(void)pd_remove_tree(tmp, parent + 5, &err);
		close(tmp);
	}
}

static void make_parent(void)
{
	int fd;

	snprintf(parent, sizeof(parent), "/tmp/fz-cp-%ld", (long)getpid());
	remove_parent(); /* a stale one from an earlier process with this pid */
	if (mkdir(parent, 0700) < 0)
		abort();
	parentfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parentfd < 0)
		abort();
	fd = openat(parentfd, "keep", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || pd_write_all(fd, KEEP, strlen(KEEP)) < 0)
		abort();
	close(fd);
	if (fstatat(parentfd, "keep", &keep_st, AT_SYMLINK_NOFOLLOW) < 0)
		abort();
	atexit(remove_parent);
}

/* PARENT holds exactly @dest and keep, as it was. */
static void check_parent(const char *dest)
{
	int fd = openat(parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[sizeof(KEEP) + 8];
	struct stat st;
	ssize_t n;
	DIR *d;

	if (fd < 0)
		abort();
	d = fdopendir(fd);
	if (!d)
		abort();
	for (struct dirent *de; (de = readdir(d));) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "keep") != 0 && strcmp(de->d_name, dest) != 0)
			abort(); /* something escaped the destination */
	}
	closedir(d);
	if (fstatat(parentfd, "keep", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_ino != keep_st.st_ino || st.st_mode != keep_st.st_mode ||
	    st.st_size != keep_st.st_size || st.st_nlink != keep_st.st_nlink ||
	    st.st_mtim.tv_sec != keep_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != keep_st.st_mtim.tv_nsec)
		abort();
	fd = openat(parentfd, "keep", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		abort();
	n = pd_read_all(fd, buf, sizeof(buf));
	close(fd);
	if (n != (ssize_t)strlen(KEEP) || memcmp(buf, KEEP, strlen(KEEP)) != 0)
		abort();
}

static int check_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path;
	(void)f;
	if (flag == FTW_NS || flag == FTW_DNR)
		abort();
	if (S_ISREG(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)))
		abort();
	if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_error err = { 0 };
	char dest[32], path[96];
	int destfd, src, r;

	if (size > (1u << 20))
		return 0;
	if (parentfd < 0) {
		pd_log_quiet(1);
		make_parent();
	}
	snprintf(dest, sizeof(dest), "%lu", runs++);
	if (mkdirat(parentfd, dest, 0755) < 0)
		abort();
	destfd = openat(parentfd, dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/keep", parent);
	if (destfd < 0 || symlinkat(path, destfd, "s") < 0 || symlinkat("../keep", destfd, "t") < 0)
		abort();
	src = memfd_create("cp-extract", MFD_CLOEXEC);
	if (src < 0 || pd_write_all(src, data, size) < 0 || lseek(src, 0, SEEK_SET) != 0)
		abort();

	r = pd_cp_extract(src, destfd, (size & 1) ? "top" : NULL, &err);

	close(src);
	close(destfd);
	if (r < 0 && err.msg[0] == '\0')
		abort();
	check_parent(dest);
	snprintf(path, sizeof(path), "%s/%s", parent, dest);
	/* (a tree deeper than PATH_MAX, built through symlinks, is not walked) */
	if (nftw(path, check_one, 32, FTW_PHYS) != 0 && errno != ENAMETOOLONG)
		abort();
	if (pd_remove_tree(parentfd, dest, &err) < 0)
		abort();
	return 0;
}
