/* SPDX-License-Identifier: MIT */
/*
 * paude system reset: everything paude keeps for this user, removed (podman
 * system reset).
 *
 * The image store (every image, layer and blob; its gc lock file stays, as
 * waiting processes hold it), the sessions' directory and the runtime
 * directory go, after a confirmation (or -f).  Nothing is
 * removed while a sandbox runs on the store: under the store's exclusive gc
 * lock no run, pull or import is half-way, and a held image or layer means
 * a sandbox is up; paude then says so and removes nothing.  Rootless, the
 * layers hold files of the user's subordinate ids: they are removed from a
 * helper in the user's own user namespace (as `paude unshare rm -rf`
 * would); nothing is followed or crossed into (pd_remove_tree).
 */
#include "cli.h"
#include "idrange.h"
#include "session_dirs.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"
#include "oci/store.h"
#include "runtime/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
	"Usage: paude system reset [-f]\n"
	"\n"
	"Remove everything paude keeps for you: every image, layer and blob of the\n"
	"image store, and every session's files. Nothing is removed while a sandbox\n"
	"runs. Asks first unless -f; without a terminal to ask on, -f is needed.\n"
	"\n"
	"Options:\n"
	"  -f, --force   do not ask first\n"
	"  -h, --help    this help\n";

/* Whether a sandbox holds any image or layer of @s (under the exclusive gc lock). */
static int busy(struct pd_store *s, struct pd_error *err)
{
	struct pd_store_image *imgs = NULL;
	cleanup_strv char **layers = NULL;
	size_t n = 0, nl = 0;
	int r = 0;

	if (pd_store_images(s, &imgs, &n, err) < 0 ||
	    pd_store_list(s, "layers", &layers, &nl, err) < 0) {
		pd_store_images_free(imgs, n);
		return -1;
	}
	for (size_t i = 0; i < n && !r; i++)
		r = pd_store_image_busy(s, imgs[i].manifest);
	for (size_t i = 0; i < nl && !r; i++)
		r = pd_store_layer_busy(s, layers[i]);
	pd_store_images_free(imgs, n);
	return r;
}

/* Everything in directory @dir, but its entry @keep (NULL: none). */
static int empty_dir(int dir, const char *what, const char *keep, struct pd_error *err)
{
	int fd = fcntl(dir, F_DUPFD_CLOEXEC, 3);
	cleanup_closedir DIR *d = NULL;
	cleanup_strv char **names = NULL;
	struct dirent *e;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return pd_error_set(err, errno, "\"%s\"", what);
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    (!keep || strcmp(e->d_name, keep) != 0))
			pd_strv_push(&names, e->d_name);
	for (char **n = names; n && *n; n++)
		if (pd_remove_tree(dir, *n, err) < 0)
			return -1;
	return 0;
}

struct removal {
	const char *path;
	bool store; /* keep locks/gc.lock: waiting runs and pulls hold it */
};

/*
 * Everything in @data's directory, then the directory (kept when it is a
 * mount point).  The store keeps locks/gc.lock: a process waiting for it
 * must wake up holding the lock everyone else takes, not an unlinked one.
 */
static int remove_cb(void *data, struct pd_error *err)
{
	const struct removal *r = data;
	cleanup_close int top = open(r->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int locks = -1;

	if (top < 0)
		return pd_error_set(err, errno, "\"%s\"", r->path);
	if (!r->store)
		return empty_dir(top, r->path, NULL, err) < 0 ? -1
		       : rmdir(r->path) < 0 && errno != EBUSY && errno != ENOENT
			       ? pd_error_set(err, errno, "rmdir \"%s\"", r->path)
			       : 0;
	if (empty_dir(top, r->path, "locks", err) < 0)
		return -1;
	locks = openat(top, "locks", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (locks >= 0 && empty_dir(locks, "locks", "gc.lock", err) < 0)
		return -1;
	return 0;
}

/* @path and all below it, if it is there and the caller's (rootless: through the helper). */
static int remove_all(const char *path, bool store, const struct pd_idmap_plan *ids, bool *removed,
		      struct pd_error *err)
{
	struct removal rm = { .path = path, .store = store };
	struct stat st;

	*removed = false;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : pd_error_set(err, errno, "\"%s\"", path);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return pd_error_set_msg(err, EPERM,
					"\"%s\" is not a directory of yours: not removed", path);
	if (ids->mode == PD_IDMAP_ROOT ? remove_cb(&rm, err) < 0
				       : pd_userns_helper_plan(ids, remove_cb, &rm, err) < 0)
		return pd_error_wrap(err, "remove \"%s\"", path);
	*removed = true;
	return 0;
}

static bool confirm(void)
{
	char line[16];

	fprintf(stderr,
		"WARNING! This removes every image, layer and blob paude stored for you,\n"
		"and every paude session of yours with its files.\n"
		"Are you sure you want to continue? [y/N] ");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static int reset(bool force, struct pd_error *err)
{
	cleanup_free char *root = pd_store_default_root();
	struct pd_session_dirs d;
	struct pd_idmap_plan ids;
	struct pd_store *s = NULL;
	struct stat st;
	bool gone;
	int gc = -1, r = -1;

	if (!force && !isatty(STDIN_FILENO))
		return pd_usage_error(err,
				      "system reset: no terminal to ask on: give -f to reset "
				      "without asking");
	if (!root)
		return pd_error_set_msg(err, EINVAL,
					"no place for the image store ($HOME is not set)");
	if (pd_session_dirs_paths(&d, err) < 0 || pd_idmap_decide(&ids, false, err) < 0)
		return -1;
	if (!force && !confirm())
		return 0;
	if (stat(root, &st) == 0) {
		s = pd_store_open(root, err);
		if (!s)
			return -1;
		gc = pd_store_gc_lock(s, true, err);
		if (gc < 0)
			goto out;
		r = busy(s, err);
		if (r != 0) {
			if (r > 0)
				pd_error_set_msg(err, EBUSY,
						 "a sandbox runs on images of the store: stop it "
						 "first; nothing was removed");
			r = -1;
			goto out;
		}
	}
	/* the store under its gc lock, then the sessions' files */
	r = -1; /* from here every failure is one */
	if (remove_all(root, true, &ids, &gone, err) < 0)
		goto out;
	if (gone)
		printf("%s\n", root);
	if (remove_all(d.data, false, &ids, &gone, err) < 0)
		goto out;
	if (gone)
		printf("%s\n", d.data);
	if (remove_all(d.run, false, &ids, &gone, err) < 0)
		goto out;
	if (gone)
		printf("%s\n", d.run);
	r = 0;
out:
	pd_store_unlock(gc);
	if (s)
		pd_store_close(s);
	return r < 0 ? pd_error_wrap(err, "system reset") : 0;
}

static int cmd_system(int argc, char **argv, struct pd_error *err)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false;
	int c;

	if (argc < 2 || strcmp(argv[1], "reset") != 0)
		return pd_usage_error(err, "system: expected \"reset\"");
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "+fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		default:
			return pd_usage_error(err, "system reset: unknown option \"%s\"",
					      argv[optind]);
		}
	}
	if (optind != argc - 1)
		return pd_usage_error(err, "system reset: no arguments expected");
	return reset(force, err);
}

const struct pd_command pd_cmd_system = {
	.name = "system",
	.summary = "Remove every image and session paude keeps for you (system reset)",
	.help = help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_system,
};
