/* SPDX-License-Identifier: MIT */
/*
 * fuzz_oci_ref.c - libFuzzer target for digests, image references and image
 * sources (oci/digest.c, oci/ref.c) over arbitrary bytes.
 *
 * The whole input is a digest (with its length: NUL bytes included); the
 * input up to its first NUL is a reference and an image source.
 *
 * Oracles:
 *   - digest: accepted exactly when POSIX regex ^(sha256:[a-f0-9]{64}|
 *     sha512:[a-f0-9]{128})$ matches (and there is no NUL); then the
 *     algorithm and hex are the input's, pd_digest_format() gives the input
 *     back and the hex is a safe path component; a refusal has a reason.
 *     pd_digest_safe_component() is true exactly for 1-128 bytes of [0-9a-f].
 *   - reference: a reference reader written here the way containers/image
 *     goes about it, apart from ref.c: refuse a 64-hex-digit string, split
 *     the registry off at the first '/' of the *whole* text (first
 *     component with '.' or ':' or "localhost"), check the lower case of
 *     the remainder up to its first ':', then cut the digest at '@' and
 *     the tag at ':' and match each part against the docker/distribution
 *     grammar with POSIX regexes (plus paude's port 1-65535 and
 *     inet_pton() for IPv6 literals), normalize (index.docker.io,
 *     library/, latest) and apply the 255-byte name limit.  The parser
 *     must accept exactly what the reader accepts, with equal fields and
 *     flags, and an error message naming the reference otherwise.
 *   - round trip: pd_oci_ref_format() of a parsed reference fits
 *     PD_OCI_REF_STR_MAX and parses back to the same fields, defaulted
 *     flags cleared; formatting into one byte less fails with "".
 *   - loopback: pd_oci_registry_is_loopback_literal() agrees with a reader
 *     built on inet_pton() (AF_INET, 127/8; AF_INET6 in [hex:colons], ::1;
 *     "localhost") and strtoul() for the port, on the input and on every
 *     parsed registry.
 *   - image source: the transport chosen by prefix as documented, paths
 *     split at the first ':' for oci:, oci-archive:, docker-archive:, the
 *     OCI image name grammar by regex, and "docker://REF" or a bare REF
 *     giving exactly what pd_oci_ref_parse() gives.
 * Seeds: tests/fuzz/corpus/fuzz_oci_ref/.
 */
#include "oci/digest.h"
#include "oci/ref.h"

#include <arpa/inet.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define COMP "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*"
#define LABEL "([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
#define OCOMP "[A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*"

static regex_t re_digest, re_path, re_domain, re_ipv6, re_tag, re_id, re_ociname;

static void compile(regex_t *re, const char *pattern)
{
	if (regcomp(re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		abort();
}

static void init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	compile(&re_digest, "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$");
	compile(&re_path, "^" COMP "(/" COMP ")*$");
	compile(&re_domain, "^" LABEL "(\\." LABEL ")*(:[0-9]+)?$");
	compile(&re_ipv6, "^\\[[a-fA-F0-9:]+\\](:[0-9]+)?$");
	compile(&re_tag, "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$");
	compile(&re_id, "^[a-f0-9]{64}$");
	compile(&re_ociname, "^" OCOMP "(/" OCOMP ")*$");
}

static bool matches(const regex_t *re, const char *s)
{
	return regexec(re, s, 0, NULL, 0) == 0;
}

/* ---- digests ---- */

static void check_digest(const uint8_t *data, size_t size)
{
	struct pd_digest d;
	const char *why = NULL;
	char text[300], out[PD_DIGEST_STR_MAX];
	bool want = false;
	int r = pd_digest_parse((const char *)data, size, &d, &why);

	if (size < sizeof(text) && !memchr(data, '\0', size)) {
		memcpy(text, data, size);
		text[size] = '\0';
		want = matches(&re_digest, text);
	}
	if (r != (want ? 0 : -1))
		abort();
	if (r < 0) {
		if (!why || !*why)
			abort();
		return;
	}
	if (d.algo != (text[3] == '2' ? PD_DIGEST_SHA256 : PD_DIGEST_SHA512))
		abort();
	if (strcmp(d.hex, text + 7) != 0 || pd_digest_format(&d, out, sizeof(out)) != (int)size ||
	    strcmp(out, text) != 0)
		abort();
	if (!pd_digest_safe_component(d.hex, strlen(d.hex)))
		abort();
}

static void check_safe_component(const uint8_t *data, size_t size)
{
	bool want = size >= 1 && size <= PD_DIGEST_HEX_MAX;

	for (size_t i = 0; want && i < size; i++)
		want = (data[i] >= '0' && data[i] <= '9') || (data[i] >= 'a' && data[i] <= 'f');
	if (pd_digest_safe_component((const char *)data, size) != want)
		abort();
}

/* ---- loopback ---- */

static bool ref_port_ok(const char *p)
{
	char *end;
	unsigned long v;

	if (!*p || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p))
		return false;
	v = strtoul(p, &end, 10);
	return *end == '\0' && v >= 1 && v <= 65535;
}

static bool ref_loopback(const char *r)
{
	char host[300];
	const char *port = NULL;
	size_t hl;

	if (strlen(r) >= sizeof(host))
		return false;
	if (r[0] == '[') {
		const char *close = strchr(r, ']');

		if (!close)
			return false;
		hl = (size_t)(close - r) + 1;
		if (r[hl] == ':')
			port = r + hl + 1;
		else if (r[hl])
			return false;
	} else {
		const char *colon = strchr(r, ':');

		hl = colon ? (size_t)(colon - r) : strlen(r);
		if (colon)
			port = colon + 1;
	}
	if (port && !ref_port_ok(port))
		return false;
	memcpy(host, r, hl);
	host[hl] = '\0';
	if (!strcmp(host, "localhost"))
		return true;
	if (host[0] == '[') {
		struct in6_addr a6;

		if (hl < 3 || strspn(host + 1, "0123456789abcdefABCDEF:") != hl - 2)
			return false;
		host[hl - 1] = '\0';
		return inet_pton(AF_INET6, host + 1, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	{
		struct in_addr a4;

		/* glibc's inet_pton takes exactly four decimal parts, no leading zeros */
		return inet_pton(AF_INET, host, &a4) == 1 &&
		       ((const uint8_t *)&a4.s_addr)[0] == 127;
	}
}

static void check_loopback(const char *r)
{
	if (pd_oci_registry_is_loopback_literal(r) != ref_loopback(r))
		abort();
}

/* ---- references ---- */

struct want_ref {
	char registry[600], repository[600], tag[600], digest[600];
	bool def_registry, def_tag;
};

static bool has_upper(const char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return true;
	return false;
}

/* The reference reader: true and @w filled when @s is a valid reference. */
static bool read_ref(const char *s, struct want_ref *w)
{
	char domain[600], rem[600], name[600], remote[600];
	const char *slash, *at, *colon;
	size_t n = strlen(s), k;

	memset(w, 0, sizeof(*w));
	if (n == 0 || n >= PD_OCI_REF_STR_MAX || matches(&re_id, s))
		return false;
	/* registry: the first '/'-component of the whole text */
	slash = strchr(s, '/');
	k = slash ? (size_t)(slash - s) : 0;
	if (slash &&
	    (memchr(s, '.', k) || memchr(s, ':', k) || (k == 9 && !strncmp(s, "localhost", 9)))) {
		memcpy(domain, s, k);
		domain[k] = '\0';
		snprintf(rem, sizeof(rem), "%s", slash + 1);
	} else {
		snprintf(domain, sizeof(domain), "docker.io");
		snprintf(rem, sizeof(rem), "%s", s);
		w->def_registry = true;
	}
	if (!strcmp(domain, "index.docker.io"))
		snprintf(domain, sizeof(domain), "docker.io");
	/* lower case: the remainder up to its first ':' */
	snprintf(remote, sizeof(remote), "%s", rem);
	if (strchr(remote, ':'))
		*strchr(remote, ':') = '\0';
	if (has_upper(remote))
		return false;
	/* [:tag][@digest] */
	at = strchr(rem, '@');
	if (at) {
		snprintf(w->digest, sizeof(w->digest), "%s", at + 1);
		if (!matches(&re_digest, w->digest))
			return false;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(at ? (size_t)(at - rem) : strlen(rem)), rem);
	colon = strchr(name, ':');
	if (colon) {
		snprintf(w->tag, sizeof(w->tag), "%s", colon + 1);
		if (!matches(&re_tag, w->tag))
			return false;
		name[colon - name] = '\0';
	} else if (!at) {
		snprintf(w->tag, sizeof(w->tag), "latest");
		w->def_tag = true;
	}
	if (!matches(&re_path, name))
		return false;
	if (!w->def_registry) {
		const char *port;

		if (domain[0] == '[') {
			char addr[600];
			struct in6_addr a6;
			const char *close = strchr(domain, ']');

			if (!matches(&re_ipv6, domain) || !close)
				return false;
			snprintf(addr, sizeof(addr), "%.*s", (int)(close - domain - 1), domain + 1);
			if (inet_pton(AF_INET6, addr, &a6) != 1)
				return false;
			port = close[1] == ':' ? close + 2 : NULL;
		} else {
			if (!matches(&re_domain, domain))
				return false;
			port = strchr(domain, ':') ? strchr(domain, ':') + 1 : NULL;
		}
		if (port && !ref_port_ok(port))
			return false;
	}
	snprintf(w->registry, sizeof(w->registry), "%s", domain);
	if (!strcmp(domain, "docker.io") && !strchr(name, '/'))
		snprintf(w->repository, sizeof(w->repository), "library/%s", name);
	else
		snprintf(w->repository, sizeof(w->repository), "%s", name);
	return strlen(w->registry) + 1 + strlen(w->repository) <= PD_OCI_NAME_MAX;
}

static bool same_ref(const struct pd_oci_ref *a, const struct pd_oci_ref *b)
{
	return !strcmp(a->registry, b->registry) && !strcmp(a->repository, b->repository) &&
	       !strcmp(a->tag, b->tag) && !strcmp(a->digest, b->digest) &&
	       a->defaulted_registry == b->defaulted_registry &&
	       a->defaulted_tag == b->defaulted_tag;
}

static void check_ref(const char *s)
{
	struct want_ref w;
	struct pd_oci_ref r, again;
	struct pd_error err;
	char buf[PD_OCI_REF_STR_MAX];
	bool want = read_ref(s, &w);
	int n, rc = pd_oci_ref_parse(s, &r, &err);

	if (rc != (want ? 0 : -1))
		abort();
	if (rc < 0) {
		if (strncmp(err.msg, "image reference \"", 17) != 0 || r.registry[0])
			abort();
		return;
	}
	if (strcmp(r.registry, w.registry) || strcmp(r.repository, w.repository) ||
	    strcmp(r.tag, w.tag) || strcmp(r.digest, w.digest) ||
	    r.defaulted_registry != w.def_registry || r.defaulted_tag != w.def_tag)
		abort();
	check_loopback(r.registry);
	n = pd_oci_ref_format(&r, buf, sizeof(buf));
	if (n <= 0 || (size_t)n != strlen(buf))
		abort();
	if (pd_oci_ref_parse(buf, &again, &err) != 0)
		abort();
	r.defaulted_registry = r.defaulted_tag = false;
	if (!same_ref(&r, &again))
		abort();
	if (pd_oci_ref_format(&r, buf, (size_t)n) != -1 || buf[0])
		abort();
}

/* ---- image sources ---- */

static void expect_same_as_ref(const char *ref, const struct pd_image_src *src, int rc)
{
	struct pd_oci_ref r;
	struct pd_error err;
	int want = pd_oci_ref_parse(ref, &r, &err);

	if (rc != want || (rc == 0 && (src->kind != PD_SRC_DOCKER || !same_ref(&r, &src->ref))))
		abort();
}

static void check_src(const char *s)
{
	static const char *const unsupported[] = { "containers-storage:", "docker-daemon:",
						   "ostree:", "sif:", "tarball:" };
	struct pd_image_src src;
	struct pd_error err;
	int rc = pd_image_src_parse(s, &src, &err);
	const char *rest, *colon;
	size_t pl;

	if (!strcmp(s, "host")) {
		if (rc != 0 || src.kind != PD_SRC_HOST)
			abort();
		return;
	}
	if (!strncmp(s, "docker://", 9)) {
		expect_same_as_ref(s + 9, &src, rc);
		return;
	}
	if (!strncmp(s, "docker:", 7)) {
		if (rc != -1)
			abort();
		return;
	}
	if (!strncmp(s, "dir:", 4)) {
		size_t n = strlen(s + 4);
		bool ok = n > 0 && n < PD_IMAGE_SRC_PATH_MAX;

		if (rc != (ok ? 0 : -1) ||
		    (ok && (src.kind != PD_SRC_DIR || strcmp(src.path, s + 4))))
			abort();
		return;
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (!strncmp(s, unsupported[i], strlen(unsupported[i]))) {
			if (rc != -1)
				abort();
			return;
		}
	if (!strncmp(s, "oci:", 4) || !strncmp(s, "oci-archive:", 12)) {
		bool archive = s[3] == '-';
		bool ok;

		rest = s + (archive ? 12 : 4);
		colon = strchr(rest, ':');
		pl = colon ? (size_t)(colon - rest) : strlen(rest);
		ok = pl > 0 && pl < PD_IMAGE_SRC_PATH_MAX &&
		     (!colon || !colon[1] ||
		      (strlen(colon + 1) <= PD_OCI_TAG_MAX && matches(&re_ociname, colon + 1)));
		if (rc != (ok ? 0 : -1))
			abort();
		if (ok && (src.kind != (archive ? PD_SRC_OCI_ARCHIVE : PD_SRC_OCI_LAYOUT) ||
			   strlen(src.path) != pl || strncmp(src.path, rest, pl) ||
			   strcmp(src.tag, colon ? colon + 1 : "")))
			abort();
		return;
	}
	if (!strncmp(s, "docker-archive:", 15)) {
		struct pd_oci_ref r;
		bool ok;

		rest = s + 15;
		colon = strchr(rest, ':');
		pl = colon ? (size_t)(colon - rest) : strlen(rest);
		ok = pl > 0 && pl < PD_IMAGE_SRC_PATH_MAX;
		if (ok && colon)
			ok = pd_oci_ref_parse(colon + 1, &r, &err) == 0 && !r.digest[0];
		if (rc != (ok ? 0 : -1))
			abort();
		if (ok && (src.kind != PD_SRC_DOCKER_ARCHIVE || strlen(src.path) != pl ||
			   (colon ? !same_ref(&r, &src.ref) : src.ref.registry[0] != '\0')))
			abort();
		return;
	}
	expect_same_as_ref(s, &src, rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t n;

	if (size > 8192)
		return 0;
	init();
	check_digest(data, size);
	check_safe_component(data, size);
	n = strnlen((const char *)data, size);
	s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	check_loopback(s);
	check_ref(s);
	check_src(s);
	free(s);
	return 0;
}
