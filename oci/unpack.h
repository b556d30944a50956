/* SPDX-License-Identifier: MIT */
/*
 * unpack.h - unpack one image layer (a tar stream, gzip/zstd/plain) into an
 * empty directory, in overlayfs form, without ever touching anything
 * outside that directory.  See the theory of operation atop unpack.c.
 */
#ifndef PAUDE_OCI_UNPACK_H
#define PAUDE_OCI_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "decompress.h"

/* Defaults (settled: "Bomb guards by default"); a 0 in a limit means its default. */
#define PD_UNPACK_MAX_BYTES_DEFAULT (32ull << 30)    /* uncompressed bytes per layer */
#define PD_UNPACK_MAX_ENTRIES_DEFAULT 1000000ull     /* tar headers per layer */
#define PD_UNPACK_RATIO_DEFAULT 100u                 /* uncompressed:compressed */
#define PD_UNPACK_RATIO_FLOOR_DEFAULT (256ull << 20) /* the ratio counts past this */
#define PD_UNPACK_MAX_DEPTH_DEFAULT 1024u            /* components of a name */
#define PD_UNPACK_MAX_ID_DEFAULT 65535u              /* highest uid/gid of an entry */

/*
 * struct pd_unpack_limits - the bomb guards; every refusal for one of them
 * names it ("the max_entries limit") and its value.  A field left 0 takes
 * its default.
 * @max_bytes: uncompressed bytes of the whole stream (tar padding included);
 *             also the largest size one file may claim (sparse files too)
 * @max_entries: tar entries (headers), whiteouts and skipped ones included
 * @ratio: once more than @ratio_floor bytes came out, the stream fails as a
 *         decompression bomb when uncompressed > @ratio x compressed bytes
 *         decoded so far (plain streams are 1:1 and never trip it)
 * @ratio_floor: see @ratio
 * @max_depth: components of an entry's name (and of a hard link's target)
 */
struct pd_unpack_limits {
	uint64_t max_bytes;
	uint64_t max_entries;
	unsigned ratio;
	uint64_t ratio_floor;
	unsigned max_depth;
};

/*
 * struct pd_unpack_opts - how to unpack.
 * @lim: the limits (zeroes: defaults)
 * @rootless: the caller runs us inside its user namespace (root there):
 *            character and block devices are skipped and counted (one note
 *            for the layer), fifos are made; whiteouts (0/0 character
 *            devices) are still made, which a user namespace may do
 * @max_id: the highest uid/gid an entry may carry (0: 65535); above it the
 *          entry is refused, naming it (unless @squash_ids)
 * @squash_ids: single-id rootless mode: every entry is owned by 0 (one note)
 * @layer_name: names the layer in every message (its digest); NULL: "layer"
 * @limit_hint: how to raise a limit, appended to a limit's refusal after
 *              "; " (e.g. "raise it with --layer-limit"); NULL: nothing
 *
 * Ownership is the archive's uid/gid as they are (or 0 when squashing): as
 * root the store keeps the archive's ids; rootless, the caller runs the
 * unpack inside its user namespace, where those ids land in its subuid range.
 */
struct pd_unpack_opts {
	struct pd_unpack_limits lim;
	bool rootless;
	uint32_t max_id;
	bool squash_ids;
	const char *layer_name;
	const char *limit_hint;
};

/*
 * struct pd_unpack_result - what a successful unpack saw.
 * @diff_id: "sha256:<64 hex>" of the whole uncompressed stream, end-of-archive
 *           blocks and any bytes after them included (the OCI diff_id)
 * @bytes: uncompressed bytes
 * @entries: tar entries
 * @skipped_devices: device nodes not made (rootless)
 * @skipped_xattrs: extended attributes the filesystem or the kernel refused
 *                  with ENOTSUP or EPERM (one note for the layer), as
 *                  containers/storage does; any other failure is an error
 */
struct pd_unpack_result {
	char diff_id[72];
	uint64_t bytes;
	uint64_t entries;
	uint64_t skipped_devices;
	uint64_t skipped_xattrs;
};

/*
 * pd_unpack_layer() - unpack one layer into the empty directory @dirfd.
 * @src_fd: the layer blob, read sequentially from its current offset to its
 *          end (a pipe is fine); not closed
 * @comp: its compression (PD_COMP_AUTO: by its magic bytes)
 * @dirfd: the layer's root, an empty directory (O_PATH is enough), on one
 *         filesystem; nothing else may write into it meanwhile
 * @o: options (see struct pd_unpack_opts)
 * @res: filled on success
 * @err: on failure, a message naming the layer, the entry (when there is
 *       one) and the reason: `layer sha256:...: entry "../x": name has a
 *       ".." component`
 *
 * Whiteouts come out in overlayfs form: ".wh.NAME" is a 0/0 character
 * device NAME, ".wh..wh..opq" sets user.overlay.opaque="y" on its directory
 * (the `userxattr` form the runtime mounts with).
 *
 * Nothing outside @dirfd is ever created, changed or removed.  On failure
 * the partial content stays inside @dirfd: the caller unpacks into a
 * temporary directory, removes it on failure and renames it into place on
 * success.
 *
 * Return: 0, or -1 with @err set.
 */
/*
 * pd_unpack_load() - load the libraries unpacking a layer compressed as
 * @comp needs (libarchive, libcrypto, zlib and/or libzstd: see
 * common/lazylib.h), so a helper forked afterwards inherits them.
 * pd_unpack_layer() calls it too.  Return: 0, or -1 with @err set.
 */
int pd_unpack_load(enum pd_compression comp, struct pd_error *err);

int pd_unpack_layer(int src_fd, enum pd_compression comp, int dirfd, const struct pd_unpack_opts *o,
		    struct pd_unpack_result *res, struct pd_error *err);

/* ---- entry names (pure; fuzzed by tests/fuzz/fuzz_unpack_path.c) ---- */

#define PD_UNPACK_PATH_MAX 4096 /* a normalized name, with its NUL */
#define PD_UNPACK_NAME_MAX 255  /* one component */

/* What an entry's name asks for. */
enum pd_unpack_kind {
	PD_UNPACK_PLAIN,    /* an ordinary entry at path */
	PD_UNPACK_WHITEOUT, /* ".wh.NAME": hide NAME (target) in the parent directory */
	PD_UNPACK_OPAQUE,   /* ".wh..wh..opq": the parent directory is opaque */
	PD_UNPACK_META,     /* another ".wh..wh.*" (AUFS bookkeeping): skipped */
};

/* Why a name is refused. */
enum pd_unpack_path_error {
	PD_UNPACK_PATH_OK,
	PD_UNPACK_PATH_EMPTY,           /* "" */
	PD_UNPACK_PATH_NUL,             /* a NUL byte within the given length */
	PD_UNPACK_PATH_ABSOLUTE,        /* starts with '/' */
	PD_UNPACK_PATH_EMPTY_COMPONENT, /* "a//b" (one trailing '/' is fine) */
	PD_UNPACK_PATH_DOTDOT,          /* a ".." component anywhere */
	PD_UNPACK_PATH_TOO_LONG,        /* normalized, PD_UNPACK_PATH_MAX or longer */
	PD_UNPACK_PATH_NAME_TOO_LONG,   /* a component over PD_UNPACK_NAME_MAX bytes */
	PD_UNPACK_PATH_TOO_DEEP,        /* more components than max_depth */
	PD_UNPACK_PATH_WH_DIR,          /* a ".wh." component before the last */
	PD_UNPACK_PATH_WH_EMPTY,        /* ".wh." */
	PD_UNPACK_PATH_WH_DOT,          /* ".wh.." */
	PD_UNPACK_PATH_WH_DOTDOT,       /* ".wh..." */
};

/*
 * struct pd_unpack_path - a normalized entry name.
 * @path: the components joined by single '/', no "." component, no leading
 *        or trailing '/'; "" is the layer's root (names "." and "./")
 * @len: strlen(@path)
 * @parent_len: bytes of @path before the last component's '/' (0: the root)
 * @base: offset of the last component in @path (0 for the root)
 * @depth: components in @path
 * @kind: see enum pd_unpack_kind
 * @target: WHITEOUT: offset in @path of the hidden name (after ".wh.")
 */
struct pd_unpack_path {
	char path[PD_UNPACK_PATH_MAX];
	size_t len;
	size_t parent_len;
	size_t base;
	unsigned depth;
	enum pd_unpack_kind kind;
	size_t target;
};

/*
 * pd_unpack_path_parse() - normalize and classify an archive entry's name.
 * @name: the name's bytes (not necessarily NUL-terminated)
 * @len: its length
 * @max_depth: the most components allowed
 * @p: the result
 *
 * "." components are dropped (so "./etc/x" is "etc/x"), one trailing '/' is
 * allowed; refused: an empty name, a NUL byte, a leading '/', an empty
 * component, a ".." component anywhere, more than @max_depth components, a
 * component over 255 bytes or a result over 4095, ".wh." in a component
 * before the last, and whiteouts of "", "." and "..".
 *
 * Return: PD_UNPACK_PATH_OK (0), or why the name is refused.
 */
enum pd_unpack_path_error pd_unpack_path_parse(const char *name, size_t len, unsigned max_depth,
					       struct pd_unpack_path *p);

/* pd_unpack_path_strerror() - the reason as a phrase: "name has a \"..\" component". */
const char *pd_unpack_path_strerror(enum pd_unpack_path_error e);

#endif
