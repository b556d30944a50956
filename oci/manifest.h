/* SPDX-License-Identifier: MIT */
/*
 * manifest.h - image manifests, indexes and configurations (OCI and
 * Docker schema 2), and platform selection in an index.
 *
 *	struct pd_oci_manifest m;
 *	pd_oci_manifest_parse(body, len, content_type, &m, err);
 *	if (m.kind == PD_OCI_INDEX)
 *		pd_oci_index_select(&m, "linux", "amd64", NULL, &i, err); // m.manifests[i]
 *	pd_oci_manifest_release(&m);
 *
 *	struct pd_oci_config c;
 *	pd_oci_config_parse(body, len, &c, err);
 *	pd_oci_config_release(&c);
 *
 * Pure parsing: nothing here fetches or hashes.  Bodies are untrusted and
 * capped before parsing; unknown fields are ignored, known ones are
 * type-checked.  See manifest.c.
 */
#ifndef PAUDE_OCI_MANIFEST_H
#define PAUDE_OCI_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "oci/digest.h"

/* Largest manifest, index or config body read. */
#define PD_OCI_MANIFEST_MAX (4u << 20)
#define PD_OCI_CONFIG_MAX (4u << 20)
/* Most layers in a manifest (and diff_ids in a config), most entries in an index. */
#define PD_OCI_LAYERS_MAX 1000
#define PD_OCI_INDEX_ENTRIES_MAX 1000
/* Most indexes on the way from a reference to a manifest (an index naming an index ...). */
#define PD_OCI_INDEX_DEPTH_MAX 4

#define PD_OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define PD_OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define PD_OCI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define PD_OCI_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define PD_OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define PD_OCI_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define PD_OCI_MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define PD_OCI_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define PD_OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
/* The Accept header a registry client sends for a manifest. */
#define PD_OCI_MANIFEST_ACCEPT \
	PD_OCI_MT_INDEX ", " PD_OCI_MT_MANIFEST ", " PD_OCI_MT_DOCKER_LIST \
			", " PD_OCI_MT_DOCKER_MANIFEST

struct pd_oci_descriptor {
	char media_type[128];
	char digest[PD_DIGEST_STR_MAX]; /* validated by pd_digest_parse() */
	int64_t size;                   /* >= 0 */
	/* platform, for index entries (has_platform) */
	char os[32], arch[32], variant[32];
	bool has_platform;
	/* foreign or non-distributable layer with "urls": they are never fetched */
	bool has_urls;
	/* the org.opencontainers.image.ref.name annotation (an OCI layout's
	 * index.json names its images so), or "" */
	char ref_name[256];
};

enum pd_oci_manifest_kind {
	PD_OCI_MANIFEST, /* an image manifest: config and layers */
	PD_OCI_INDEX,    /* an index or manifest list: manifests */
};

struct pd_oci_manifest {
	enum pd_oci_manifest_kind kind;
	bool docker;                      /* Docker schema 2 (manifest or list) rather than OCI */
	struct pd_oci_descriptor config;  /* manifest */
	struct pd_oci_descriptor *layers; /* manifest, base layer first */
	size_t n_layers;
	struct pd_oci_descriptor *manifests; /* index */
	size_t n_manifests;
};

/*
 * pd_oci_manifest_parse() - read a manifest or an index.
 * @body: the document (need not be NUL-terminated)
 * @len: its length; more than PD_OCI_MANIFEST_MAX is refused unread
 * @content_type: the registry's Content-Type, or NULL (an OCI layout file).
 *        Parameters (";charset=...") and case are ignored; generic types
 *        (application/json, text/plain, application/octet-stream) and ""
 *        say nothing.  Any other value must be the body's mediaType when the
 *        body has one, or agree with the body's shape when it has none.
 * @out: filled on success; zeroed on failure
 * @err: on failure, names the field and why:
 *       manifest: layers[2].mediaType: unsupported layer media type "..."
 *
 * Accepted: OCI image manifest and index, Docker schema 2 manifest and
 * manifest list, schemaVersion 2.  Refused, each with its reason: Docker
 * schema 1 ("Docker schema 1 is not supported"), a body with both
 * "manifests" and "layers" or "config" ("both an index and a manifest"),
 * a config media type other than the OCI or Docker image config, a layer
 * media type other than the OCI tar, tar+gzip, tar+zstd (and their
 * nondistributable forms) and Docker's rootfs.diff.tar.gzip and
 * foreign.diff.tar.gzip, more than PD_OCI_LAYERS_MAX layers or
 * PD_OCI_INDEX_ENTRIES_MAX entries, negative or non-integer sizes, bad
 * digests, a Content-Type that disagrees with the body.  Index entries may
 * have any media type (pd_oci_index_select() only picks manifests and
 * indexes).  Duplicate keys in an object paude reads are refused (parsers
 * disagree on which one counts).
 *
 * Return: 0, or -1 with @err set (EINVAL; EFBIG when too large).
 */
int pd_oci_manifest_parse(const char *body, size_t len, const char *content_type,
			  struct pd_oci_manifest *out, struct pd_error *err);

/* pd_oci_manifest_release() - free what pd_oci_manifest_parse() allocated; zeroes @m. */
void pd_oci_manifest_release(struct pd_oci_manifest *m);

enum pd_oci_compression {
	PD_OCI_COMPRESSION_NONE,
	PD_OCI_COMPRESSION_GZIP,
	PD_OCI_COMPRESSION_ZSTD,
};

/*
 * pd_oci_layer_compression() - how a layer of an accepted media type is
 * compressed.
 * @media_type: a layer media type pd_oci_manifest_parse() accepted
 * Return: 0 and *@out set, or -1 (errno EINVAL) for any other media type.
 */
int pd_oci_layer_compression(const char *media_type, enum pd_oci_compression *out);

/*
 * pd_oci_media_type_is_manifest() - whether @media_type is one of the four
 * manifest/index types pd_oci_manifest_parse() reads.
 * Return: true for those.
 */
bool pd_oci_media_type_is_manifest(const char *media_type);

/* A platform, normalized as containerd does (see pd_platform_parse()). */
struct pd_platform {
	char os[32];
	char arch[32];
	char variant[32]; /* "" when none */
};

/*
 * pd_platform_parse() - read "os/arch[/variant]" (--platform).
 * @s: each part [A-Za-z0-9_.-]+, at most 31 bytes
 * @out: the normalized platform: lower case; x86_64 -> amd64 (v1 -> "");
 *       aarch64 -> arm64 (v8 -> ""); armhf -> arm/v7; armel -> arm/v6; arm
 *       without a variant -> arm/v7; i386 -> 386
 * @err: on failure: platform "linux": expected os/arch[/variant]
 * Return: 0, or -1 with @err set (EINVAL).
 */
int pd_platform_parse(const char *s, struct pd_platform *out, struct pd_error *err);

/*
 * pd_platform_normalize() - normalize @p in place (the rules of
 * pd_platform_parse()).
 */
void pd_platform_normalize(struct pd_platform *p);

/*
 * pd_platform_from_machine() - the Go/OCI platform of a uname machine
 * string, with os "linux": x86_64 -> amd64, i386..i686 -> 386, aarch64 ->
 * arm64, armv7* -> arm/v7, armv6* -> arm/v6, armv5* -> arm/v5, armv8l (32-bit
 * on ARMv8) -> arm/v8, ppc64le, ppc64, s390x, riscv64, loongarch64 -> loong64,
 * mips/mips64 -> mipsle/mips64le on little-endian builds.
 * @machine: utsname.machine
 * @out: filled on success
 * @err: on failure: machine "xyz": no OCI architecture known for it
 * Return: 0, or -1 with @err set (EINVAL).
 */
int pd_platform_from_machine(const char *machine, struct pd_platform *out, struct pd_error *err);

/*
 * pd_platform_host() - the platform this process runs on (uname(2)).
 * Return: 0, or -1 with @err set.
 */
int pd_platform_host(struct pd_platform *out, struct pd_error *err);

/*
 * pd_platform_format() - "os/arch" or "os/arch/variant" into @out.
 * Return: the length written, or -1 with errno ENOSPC.
 */
int pd_platform_format(const struct pd_platform *p, char *out, size_t cap);

/*
 * pd_oci_index_select() - pick the entry of an index for a platform, as
 * containerd's platform matcher ranks them.
 * @idx: an index (kind PD_OCI_INDEX)
 * @os: exact (after lower-casing), e.g. "linux"
 * @arch: exact after normalization (x86_64 is amd64, aarch64 is arm64)
 * @variant: NULL or "" for the architecture's default (amd64: v1, arm64:
 *           v8, arm: v7); otherwise the best variant the machine runs
 * @which: the chosen entry's index in idx->manifests
 * @err: on failure, lists the platforms the index has:
 *       no image for linux/s390x in the index (available: linux/amd64, linux/arm64)
 *
 * Only entries whose media type is a manifest or an index are considered.
 * Ranking: amd64/vN accepts vN, then vN-1 ... v2, then v1 (or no variant);
 * arm/vN accepts vN down to v5; arm64 accepts v8 (or no variant) and, for
 * a later variant, that variant first; any other architecture accepts its
 * variant and then none.  Ties go to the first entry.  When no entry with
 * a platform matches, the first manifest entry without one is taken (as
 * containers/image does for indexes written without platforms).
 *
 * Return: 0, or -1 with @err set (ENOENT when nothing matches, EINVAL when
 * @idx is no index).
 */
int pd_oci_index_select(const struct pd_oci_manifest *idx, const char *os, const char *arch,
			const char *variant, size_t *which, struct pd_error *err);

/*
 * The digests on the way from a reference to its manifest, to stop index
 * loops and deep nesting.  Push the digest of each document before fetching
 * it (the first one when known, then each entry pd_oci_index_select()
 * picked); at most PD_OCI_INDEX_DEPTH_MAX indexes and the manifest fit.
 */
struct pd_oci_chain {
	char digests[PD_OCI_INDEX_DEPTH_MAX + 1][PD_DIGEST_STR_MAX];
	size_t n;
};

/*
 * pd_oci_chain_seen() - whether @digest is already in @c (a loop).
 * Return: true when it is.
 */
bool pd_oci_chain_seen(const struct pd_oci_chain *c, const char *digest);

/*
 * pd_oci_chain_push() - add @digest to @c.
 * Return: 0, or -1 with @err set: ELOOP when @digest was already visited
 * ("image index loop: sha256:... refers back to itself"), E2BIG when more
 * than PD_OCI_INDEX_DEPTH_MAX indexes are nested, EINVAL when @digest is
 * not a digest.
 */
int pd_oci_chain_push(struct pd_oci_chain *c, const char *digest, struct pd_error *err);

struct pd_oci_config {
	char **env;        /* NULL-terminated "NAME=value" (NULL when absent) */
	char **entrypoint; /* NULL when absent or null; an empty vector for [] */
	char **cmd;        /* likewise */
	char *workdir;     /* NULL when absent or null */
	char *user;
	char *stop_signal;
	char **label_keys, **label_values; /* n_labels each, NULL-terminated */
	size_t n_labels;
	char os[32], arch[32], variant[32]; /* "" when absent */
	char created[64];                   /* "" when absent */
	char **diff_ids;                    /* n_diff_ids digests, NULL-terminated */
	size_t n_diff_ids;
};

/*
 * pd_oci_config_parse() - read an image configuration (OCI or Docker).
 * @body: the document (need not be NUL-terminated)
 * @len: its length; more than PD_OCI_CONFIG_MAX is refused unread
 * @out: filled on success; zeroed on failure
 * @err: on failure, names the field and why:
 *       image config: config.Env[3]: "PATH" has no '='
 *
 * Read: architecture, os, variant, created, config.{Env, Entrypoint, Cmd,
 * WorkingDir, User, StopSignal, Labels} (each may be null), rootfs.type
 * (must be "layers"), rootfs.diff_ids (digests, at most PD_OCI_LAYERS_MAX).
 * Env entries must hold '=' after a non-empty name.
 *
 * Return: 0, or -1 with @err set (EINVAL; EFBIG when too large).
 */
int pd_oci_config_parse(const char *body, size_t len, struct pd_oci_config *out,
			struct pd_error *err);

/* pd_oci_config_release() - free what pd_oci_config_parse() allocated; zeroes @c. */
void pd_oci_config_release(struct pd_oci_config *c);

#endif
