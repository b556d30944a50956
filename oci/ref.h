/* SPDX-License-Identifier: MIT */
/*
 * ref.h - image references and image sources, as podman and skopeo spell
 * them.
 *
 *	struct pd_oci_ref r;
 *	pd_oci_ref_parse("alpine", &r, err);   // docker.io/library/alpine:latest
 *	pd_oci_ref_format(&r, buf, sizeof(buf));
 *	pd_oci_registry_is_loopback_literal(r.registry); // may it be plain HTTP?
 *
 *	struct pd_image_src src;
 *	pd_image_src_parse("oci:/srv/layout:v1", &src, err);
 *
 * A reference is normalized as containers/image's ParseNormalizedNamed
 * does (the docker/distribution rules): see ref.c for the grammar.
 */
#ifndef PAUDE_OCI_REF_H
#define PAUDE_OCI_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "oci/digest.h"

/* The registry a short name ("alpine", "org/img") is pulled from. */
#define PD_OCI_DEFAULT_REGISTRY "docker.io"
/* Longest "registry/repository" (docker/distribution's NameTotalLengthMax). */
#define PD_OCI_NAME_MAX 255
/* Longest tag. */
#define PD_OCI_TAG_MAX 128
/* Longest formatted reference, "registry/repo:tag@digest", with its NUL. */
#define PD_OCI_REF_STR_MAX (PD_OCI_NAME_MAX + 1 + PD_OCI_TAG_MAX + 1 + PD_DIGEST_STR_MAX)

struct pd_oci_ref {
	/* "docker.io", "quay.io", "localhost:5000", "127.0.0.1:15001", "[::1]:5000" */
	char registry[PD_OCI_NAME_MAX + 1];
	/* "library/alpine", "org/img" */
	char repository[PD_OCI_NAME_MAX + 1];
	/* "" when only a digest was given */
	char tag[PD_OCI_TAG_MAX + 1];
	/* "" or "sha256:<64 hex>" / "sha512:<128 hex>"; when set, it is what is pulled */
	char digest[PD_DIGEST_STR_MAX];
	/* a short name: the registry was chosen (say once which) */
	bool defaulted_registry;
	/* neither tag nor digest given: tag is "latest" */
	bool defaulted_tag;
};

/*
 * pd_oci_ref_parse() - read and normalize an image reference.
 * @s: "alpine", "org/img", "quay.io/org/img:tag", "name@sha256:...",
 *     "name:tag@sha256:...", "localhost:5000/x", "[::1]:5000/x", ...
 * @out: filled on success (zeroed first, also on failure)
 * @err: on failure, names the reference and why:
 *       image reference "Alpine": repository name must be lowercase
 *
 * Normalization: a first '/'-component that contains '.' or ':' or is
 * "localhost" is the registry, otherwise the registry is docker.io
 * (defaulted_registry); "index.docker.io" becomes docker.io; a docker.io
 * name without '/' gets "library/"; without a tag or a digest the tag is
 * "latest" (defaulted_tag).  With both a tag and a digest, both are kept:
 * the digest is what is pulled, the tag names it.
 *
 * Return: 0, or -1 with @err set (EINVAL).
 */
int pd_oci_ref_parse(const char *s, struct pd_oci_ref *out, struct pd_error *err);

/*
 * pd_oci_ref_format() - the full form: "registry/repo:tag", "registry/repo@digest",
 * or "registry/repo:tag@digest" when both are set.  pd_oci_ref_parse() reads
 * it back to the same fields (with both defaulted flags false).
 * @r: a parsed reference
 * @out: destination
 * @cap: its size; PD_OCI_REF_STR_MAX is always enough
 *
 * Return: the length written, or -1 with errno ENOSPC ("" in @out when @cap > 0).
 */
int pd_oci_ref_format(const struct pd_oci_ref *r, char *out, size_t cap);

/*
 * pd_oci_tag_valid() - whether @len bytes of @s are a docker tag:
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
 * Return: true when valid.
 */
bool pd_oci_tag_valid(const char *s, size_t len);

/*
 * pd_oci_registry_is_loopback_literal() - whether @registry names the
 * loopback interface literally, the only case where plain HTTP is allowed
 * without the user asking: "localhost", "127.A.B.C" (a dotted quad in 127/8,
 * plain decimal octets 0-255 without leading zeros) or "[::1]" (any
 * spelling of ::1 in hex digits and colons, "[0:0:0:0:0:0:0:1]"), each
 * optionally with ":PORT" (1-65535).  A name that merely resolves to a
 * loopback address is not one.
 * Return: true for those only.
 */
bool pd_oci_registry_is_loopback_literal(const char *registry);

/* Image transports, in skopeo's spelling. */
enum pd_image_src_kind {
	PD_SRC_DOCKER,         /* docker://REF, or a bare REF */
	PD_SRC_OCI_LAYOUT,     /* oci:DIR[:IMAGE] */
	PD_SRC_OCI_ARCHIVE,    /* oci-archive:FILE[:IMAGE] */
	PD_SRC_DOCKER_ARCHIVE, /* docker-archive:FILE[:REF] */
	PD_SRC_DIR,            /* dir:PATH */
	PD_SRC_HOST,           /* host */
};

#define PD_IMAGE_SRC_PATH_MAX 4096

struct pd_image_src {
	enum pd_image_src_kind kind;
	/* docker: the reference; docker-archive: the REF after the path, or
	 * all zero (registry "") when none was given */
	struct pd_oci_ref ref;
	/* oci, oci-archive, docker-archive, dir: the path as written */
	char path[PD_IMAGE_SRC_PATH_MAX];
	/* oci, oci-archive: the image name after the path (matched against
	 * org.opencontainers.image.ref.name), or "" (the layout's only image) */
	char tag[PD_OCI_TAG_MAX + 1];
};

/*
 * pd_image_src_parse() - read an image source.
 * @s: one of
 *     "docker://REF"                a registry reference (pd_oci_ref_parse)
 *     "oci:DIR[:IMAGE]"             an OCI layout directory
 *     "oci-archive:FILE[:IMAGE]"    a tar of an OCI layout
 *     "docker-archive:FILE[:REF]"   a `docker save` tar (REF has no digest)
 *     "dir:PATH"                    an unpacked root file system (PATH may hold ':')
 *     "host"                        the host's own file system
 *     "REF"                         anything else: a registry reference
 *     For oci:, oci-archive: and docker-archive: the path ends at the
 *     *first* ':' (as containers/image splits them), so such a path cannot
 *     hold ':'.  IMAGE follows the OCI ref.name grammar: components of
 *     [A-Za-z0-9]+ joined by one of - . _ : @ + or "--", separated by '/',
 *     at most 128 bytes; it may be empty.  The path must not be empty.
 *     "docker:" without "//", and the containers/image transports paude
 *     does not read (containers-storage:, docker-daemon:, ostree:, sif:,
 *     tarball:), are refused by name.
 * @out: filled on success (zeroed first)
 * @err: on failure: image "oci:": missing the directory
 *
 * Return: 0, or -1 with @err set (EINVAL).
 */
int pd_image_src_parse(const char *s, struct pd_image_src *out, struct pd_error *err);

/*
 * pd_image_src_kind_name() - the transport's name: "docker", "oci",
 * "oci-archive", "docker-archive", "dir", "host".
 * Return: a static string.
 */
const char *pd_image_src_kind_name(enum pd_image_src_kind kind);

#endif
