/* SPDX-License-Identifier: MIT */
/*
 * ref.c - image references and image sources (ref.h).
 *
 * Theory of operation
 *
 * A reference is read the way podman reads one (containers/image's
 * docker/reference, a copy of docker/distribution's):
 *
 *	reference  := name [ ":" tag ] [ "@" digest ]
 *	name       := [ registry "/" ] component ( "/" component )*
 *	registry   := host [ ":" port ]
 *	host       := label ( "." label )*  |  "[" [0-9A-Fa-f:]+ "]"
 *	label      := [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]
 *	component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *	tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * The text is cut from the right: at the first '@' (a digest, read by
 * pd_digest_parse(): sha256 or sha512 only), then at the last ':' if no '/'
 * follows it (a tag; so "localhost:5000/x" has none, and "localhost:5000"
 * alone is the name "localhost" with tag "5000", as with docker).  The first
 * '/'-component of the name is the registry iff it holds '.' or ':' or is
 * "localhost" (the podman rule: "Foo/bar" is a docker.io repository and is
 * then refused for its upper case).  Then:
 *   - no registry: docker.io (defaulted_registry); "index.docker.io" is
 *     docker.io; a docker.io repository without '/' gets "library/";
 *   - neither tag nor digest: tag "latest" (defaulted_tag);
 *   - "registry/repository" after that is at most 255 bytes;
 *   - a 64-digit lowercase hex string alone is an image ID, not a name.
 * paude is stricter than docker/distribution in three places, each a
 * refusal with its reason rather than a different reading: a port must be
 * 1-65535, an IPv6 literal must be one inet_pton() reads, and a first
 * component that looks like a registry must be a valid host (docker would
 * quietly read "a_b.c/x" as a docker.io-less path).
 *
 * Image sources follow skopeo's transport spellings.  containers/image
 * splits "oci:" and "oci-archive:" (and "docker-archive:") at the *first*
 * ':' on Linux (oci/internal.SplitPathAndImage), so the path there cannot
 * hold ':' while the image name may ("oci:dir:example.com/app:v1" is the
 * layout "dir", image "example.com/app:v1"); "dir:" takes the whole rest.
 */
#include "oci/ref.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/util.h"

#define SHOWN_MAX 300

static const char library_prefix[] = "library/";

/* A printable, bounded copy of untrusted text for a message. */
static const char *shown(const char *s, size_t n, char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < n && i + 1 < size; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
	buf[i] = '\0';
	if (i < n && size >= 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

static int fail(struct pd_error *err, const char *ref, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "image reference "REF": MESSAGE", EINVAL. */
static int fail(struct pd_error *err, const char *ref, const char *fmt, ...)
{
	char msg[PD_ERROR_MSG_MAX], buf[SHOWN_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	return pd_error_set_msg(err, EINVAL, "image reference \"%s\": %s",
				shown(ref, strlen(ref), buf, sizeof(buf)), msg);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_tag_char(char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

bool pd_oci_tag_valid(const char *s, size_t len)
{
	if (len == 0 || len > PD_OCI_TAG_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_tag_char(s[i]))
			return false;
	return true;
}

/* A port: 1-5 digits, 1-65535. */
static bool port_valid(const char *s, size_t n)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* "[v6]" (brackets included): hex digits and ':' that inet_pton() reads. */
static bool ipv6_literal(const char *s, size_t n)
{
	char buf[64];
	struct in6_addr a;

	if (n < 3 || s[0] != '[' || s[n - 1] != ']' || n - 2 >= sizeof(buf))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!(is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':'))
			return false;
	memcpy(buf, s + 1, n - 2);
	buf[n - 2] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

/* label ( "." label )*, label = [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]. */
static bool domain_name(const char *s, size_t n)
{
	size_t i = 0;

	while (i <= n) {
		size_t a = i;

		while (i < n && s[i] != '.')
			i++;
		if (i == a || !is_alnum(s[a]) || !is_alnum(s[i - 1]))
			return false;
		for (size_t k = a; k < i; k++)
			if (!is_alnum(s[k]) && s[k] != '-')
				return false;
		i++; /* past the '.', or past the end */
	}
	return true;
}

/*
 * Split "host[:port]" (@n bytes): *host_len gets the host's length; the
 * port, if any, starts at s + *host_len + 1.  false when there is no host.
 */
static bool split_host_port(const char *s, size_t n, size_t *host_len)
{
	const char *end;

	if (n > 0 && s[0] == '[') {
		end = memchr(s, ']', n);
		if (!end)
			return false;
		*host_len = (size_t)(end - s) + 1;
		return *host_len == n || s[*host_len] == ':';
	}
	end = memchr(s, ':', n);
	*host_len = end ? (size_t)(end - s) : n;
	return true;
}

/* Why @n bytes of @s are not a registry, or NULL when they are one. */
static const char *registry_error(const char *s, size_t n)
{
	size_t hl;

	if (!split_host_port(s, n, &hl))
		return "invalid registry host";
	if (hl < n && !port_valid(s + hl + 1, n - hl - 1))
		return "registry port must be 1-65535";
	if (hl > 0 && s[0] == '[') {
		if (!ipv6_literal(s, hl))
			return "invalid IPv6 address";
	} else if (!domain_name(s, hl)) {
		return "invalid registry host (letters, digits and '-' in dot-separated labels)";
	}
	return NULL;
}

static bool all_dashes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '-')
			return false;
	return true;
}

/*
 * Why the repository path (@n bytes, '/'-separated components) is not
 * valid, or NULL; *c_out is the offending byte for "invalid character".
 * Upper case has been refused before.
 */
static const char *path_error(const char *s, size_t n, char *c_out)
{
	size_t i = 0;

	while (i <= n) {
		size_t a = i;

		while (i < n && s[i] != '/')
			i++;
		if (i == a)
			return "empty path component";
		for (size_t k = a; k < i;) {
			size_t j = k;

			if (is_lower_alnum(s[k])) {
				k++;
				continue;
			}
			while (j < i && (s[j] == '.' || s[j] == '_' || s[j] == '-'))
				j++;
			if (j == k) {
				*c_out = s[k];
				return "invalid character";
			}
			if (k == a || j == i)
				return "a path component must start and end with a letter or digit";
			if (!(j - k == 1 || (j - k == 2 && s[k] == '_' && s[k + 1] == '_') ||
			      all_dashes(s + k, j - k)))
				return "invalid separator (one '.', one or two '_', or any number of '-')";
			k = j;
		}
		i++;
	}
	return NULL;
}

static bool is_image_id(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

/* The first component is a registry: it holds '.' or ':' or is "localhost". */
static bool looks_like_registry(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !memcmp(s, "localhost", 9));
}

int pd_oci_ref_parse(const char *s, struct pd_oci_ref *out, struct pd_error *err)
{
	size_t len = strlen(s), name_len, reg_len, rem_len, lib_len = 0;
	const char *at, *colon, *slash, *reg, *rem, *why;
	const char *tag = NULL;
	size_t tag_len = 0;
	char buf[SHOWN_MAX], bad = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return fail(err, s, "empty reference");
	if (len >= PD_OCI_REF_STR_MAX)
		return fail(err, s, "longer than %zu bytes", (size_t)PD_OCI_REF_STR_MAX - 1);
	if (is_image_id(s, len))
		return fail(err, s, "a 64-digit hex string is an image ID, not a reference");

	/* "@digest": everything after the first '@'. */
	at = memchr(s, '@', len);
	name_len = at ? (size_t)(at - s) : len;
	if (at) {
		struct pd_digest d;

		if (pd_digest_parse(at + 1, len - name_len - 1, &d, &why) < 0)
			return fail(err, s, "digest: %s", why);
		if (pd_digest_format(&d, out->digest, sizeof(out->digest)) < 0)
			return fail(err, s, "digest: too long");
	}
	/* ":tag": after the last ':' when no '/' follows it. */
	colon = memrchr(s, ':', name_len);
	slash = memrchr(s, '/', name_len);
	if (colon && (!slash || colon > slash)) {
		tag = colon + 1;
		tag_len = name_len - (size_t)(tag - s);
		name_len = (size_t)(colon - s);
		if (tag_len == 0)
			return fail(err, s, "empty tag");
		if (tag_len > PD_OCI_TAG_MAX)
			return fail(err, s, "tag longer than %d characters", PD_OCI_TAG_MAX);
		if (!pd_oci_tag_valid(tag, tag_len))
			return fail(err, s,
				    "invalid tag \"%s\" (letters, digits, '_', '.' and '-', not "
				    "starting with '.' or '-')",
				    shown(tag, tag_len, buf, sizeof(buf)));
	}
	if (name_len == 0)
		return fail(err, s, "no repository name");

	/* The registry: a first component that looks like one. */
	slash = memchr(s, '/', name_len);
	if (slash && looks_like_registry(s, (size_t)(slash - s))) {
		reg = s;
		reg_len = (size_t)(slash - s);
		rem = slash + 1;
		rem_len = name_len - reg_len - 1;
		if (reg_len == 15 && !memcmp(reg, "index.docker.io", 15)) {
			reg = PD_OCI_DEFAULT_REGISTRY;
			reg_len = strlen(reg);
		}
		why = registry_error(reg, reg_len);
		if (why)
			return fail(err, s, "%s \"%s\"", why,
				    shown(reg, reg_len, buf, sizeof(buf)));
	} else {
		reg = PD_OCI_DEFAULT_REGISTRY;
		reg_len = strlen(reg);
		rem = s;
		rem_len = name_len;
		out->defaulted_registry = true;
	}
	if (has_upper(rem, rem_len))
		return fail(err, s, "repository name must be lowercase");
	why = path_error(rem, rem_len, &bad);
	if (why && bad >= 0x20 && bad < 0x7f)
		return fail(err, s,
			    "%s '%c' in the repository name (lowercase letters, digits, "
			    "'.', '_', '-' and '/')",
			    why, bad);
	if (why && bad)
		return fail(err, s, "%s (byte 0x%02x) in the repository name", why,
			    (unsigned)(unsigned char)bad);
	if (why)
		return fail(err, s, "%s in \"%s\"", why, shown(rem, rem_len, buf, sizeof(buf)));
	if (reg_len == strlen(PD_OCI_DEFAULT_REGISTRY) &&
	    !memcmp(reg, PD_OCI_DEFAULT_REGISTRY, reg_len) && !memchr(rem, '/', rem_len))
		lib_len = sizeof(library_prefix) - 1;
	if (reg_len + 1 + lib_len + rem_len > PD_OCI_NAME_MAX)
		return fail(err, s, "name longer than %d characters", PD_OCI_NAME_MAX);

	memcpy(out->registry, reg, reg_len);
	out->registry[reg_len] = '\0';
	memcpy(out->repository, library_prefix, lib_len);
	memcpy(out->repository + lib_len, rem, rem_len);
	out->repository[lib_len + rem_len] = '\0';
	if (tag) {
		memcpy(out->tag, tag, tag_len);
		out->tag[tag_len] = '\0';
	} else if (!at) {
		pd_strlcpy(out->tag, "latest", sizeof(out->tag));
		out->defaulted_tag = true;
	}
	return 0;
}

int pd_oci_ref_format(const struct pd_oci_ref *r, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s%s%s%s%s", r->registry, r->repository,
			 r->tag[0] ? ":" : "", r->tag, r->digest[0] ? "@" : "", r->digest);

	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			out[0] = '\0';
		errno = ENOSPC;
		return -1;
	}
	return n;
}

/* "127.A.B.C": four plain decimal octets 0-255 (no leading zeros), the first 127. */
static bool ipv4_loopback(const char *s, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t a = i;
		unsigned v = 0;

		while (i < n && is_digit(s[i]) && i - a < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == a || v > 255 || (s[a] == '0' && i - a > 1) || (part == 0 && v != 127))
			return false;
		if (part < 3) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == n;
}

bool pd_oci_registry_is_loopback_literal(const char *registry)
{
	size_t n = strlen(registry), hl;

	if (!split_host_port(registry, n, &hl))
		return false;
	if (hl < n && !port_valid(registry + hl + 1, n - hl - 1))
		return false;
	if (hl == 9 && !memcmp(registry, "localhost", 9))
		return true;
	if (hl > 0 && registry[0] == '[') {
		char buf[64];
		struct in6_addr a;

		if (!ipv6_literal(registry, hl))
			return false;
		memcpy(buf, registry + 1, hl - 2);
		buf[hl - 2] = '\0';
		return inet_pton(AF_INET6, buf, &a) == 1 && IN6_IS_ADDR_LOOPBACK(&a);
	}
	return ipv4_loopback(registry, hl);
}

/* ---- image sources ---- */

static int src_fail(struct pd_error *err, const char *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "image "SRC": MESSAGE", EINVAL. */
static int src_fail(struct pd_error *err, const char *s, const char *fmt, ...)
{
	char msg[PD_ERROR_MSG_MAX], buf[SHOWN_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	return pd_error_set_msg(err, EINVAL, "image \"%s\": %s",
				shown(s, strlen(s), buf, sizeof(buf)), msg);
}

/*
 * The OCI ref.name grammar containers/image checks for "oci:DIR:IMAGE":
 * components of [A-Za-z0-9]+ joined by one of - . _ : @ + or by "--",
 * separated by '/'.
 */
static bool oci_image_name_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i <= n) {
		size_t a = i;

		while (i < n && s[i] != '/')
			i++;
		if (i == a || !is_alnum(s[a]) || !is_alnum(s[i - 1]))
			return false;
		for (size_t k = a; k < i;) {
			size_t j = k;

			if (is_alnum(s[k])) {
				k++;
				continue;
			}
			while (j < i && !is_alnum(s[j]))
				j++;
			if (!(j - k == 1 && strchr("-._:@+", s[k])) &&
			    !(j - k == 2 && s[k] == '-' && s[k + 1] == '-'))
				return false;
			k = j;
		}
		i++;
	}
	return true;
}

static int set_path(const char *s, const char *p, size_t n, struct pd_image_src *out,
		    struct pd_error *err, const char *what)
{
	if (n == 0)
		return src_fail(err, s, "missing the %s", what);
	if (n >= sizeof(out->path))
		return src_fail(err, s, "%s longer than %zu bytes", what, sizeof(out->path) - 1);
	memcpy(out->path, p, n);
	out->path[n] = '\0';
	return 0;
}

/* "PATH[:IMAGE]" of oci: and oci-archive:, split at the first ':'. */
static int path_and_image(const char *s, const char *rest, struct pd_image_src *out,
			  struct pd_error *err, const char *what)
{
	const char *colon = strchr(rest, ':');
	size_t n = colon ? (size_t)(colon - rest) : strlen(rest);
	char buf[SHOWN_MAX];

	if (set_path(s, rest, n, out, err, what) < 0)
		return -1;
	if (colon) {
		const char *img = colon + 1;
		size_t il = strlen(img);

		if (il > PD_OCI_TAG_MAX)
			return src_fail(err, s, "image name longer than %d bytes", PD_OCI_TAG_MAX);
		if (il > 0 && !oci_image_name_valid(img, il))
			return src_fail(err, s,
					"invalid image name \"%s\" (letters and digits joined by "
					"one of - . _ : @ + or --, components separated by '/'; "
					"the %s ends at the first ':')",
					shown(img, il, buf, sizeof(buf)), what);
		memcpy(out->tag, img, il);
		out->tag[il] = '\0';
	}
	return 0;
}

static int docker_archive(const char *s, const char *rest, struct pd_image_src *out,
			  struct pd_error *err)
{
	const char *colon = strchr(rest, ':');
	size_t n = colon ? (size_t)(colon - rest) : strlen(rest);

	if (set_path(s, rest, n, out, err, "archive") < 0)
		return -1;
	if (!colon)
		return 0;
	if (pd_oci_ref_parse(colon + 1, &out->ref, err) < 0) {
		char buf[SHOWN_MAX];

		return pd_error_wrap(err, "image \"docker-archive:%s\"",
				     shown(out->path, n, buf, sizeof(buf)));
	}
	if (out->ref.digest[0]) {
		memset(&out->ref, 0, sizeof(out->ref));
		return src_fail(err, s, "a docker-archive reference takes no digest");
	}
	return 0;
}

const char *pd_image_src_kind_name(enum pd_image_src_kind kind)
{
	switch (kind) {
	case PD_SRC_DOCKER:
		return "docker";
	case PD_SRC_OCI_LAYOUT:
		return "oci";
	case PD_SRC_OCI_ARCHIVE:
		return "oci-archive";
	case PD_SRC_DOCKER_ARCHIVE:
		return "docker-archive";
	case PD_SRC_DIR:
		return "dir";
	case PD_SRC_HOST:
		return "host";
	default:
		return "?";
	}
}

int pd_image_src_parse(const char *s, struct pd_image_src *out, struct pd_error *err)
{
	static const char *const unsupported[] = { "containers-storage:", "docker-daemon:",
						   "ostree:", "sif:", "tarball:" };

	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "host")) {
		out->kind = PD_SRC_HOST;
		return 0;
	}
	if (pd_str_has_prefix(s, "docker://")) {
		out->kind = PD_SRC_DOCKER;
		return pd_oci_ref_parse(s + 9, &out->ref, err);
	}
	if (pd_str_has_prefix(s, "docker:"))
		return src_fail(err, s, "the docker transport is written docker://REFERENCE");
	if (pd_str_has_prefix(s, "oci:")) {
		out->kind = PD_SRC_OCI_LAYOUT;
		return path_and_image(s, s + 4, out, err, "directory");
	}
	if (pd_str_has_prefix(s, "oci-archive:")) {
		out->kind = PD_SRC_OCI_ARCHIVE;
		return path_and_image(s, s + 12, out, err, "archive");
	}
	if (pd_str_has_prefix(s, "docker-archive:")) {
		out->kind = PD_SRC_DOCKER_ARCHIVE;
		return docker_archive(s, s + 15, out, err);
	}
	if (pd_str_has_prefix(s, "dir:")) {
		out->kind = PD_SRC_DIR;
		return set_path(s, s + 4, strlen(s + 4), out, err, "directory");
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (pd_str_has_prefix(s, unsupported[i]))
			return src_fail(err, s,
					"transport \"%.*s\" is not supported (docker://, oci:, "
					"oci-archive:, docker-archive:, dir:, host)",
					(int)strlen(unsupported[i]) - 1, unsupported[i]);
	out->kind = PD_SRC_DOCKER;
	return pd_oci_ref_parse(s, &out->ref, err);
}
