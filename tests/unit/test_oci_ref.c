/* SPDX-License-Identifier: MIT */
/* Unit tests for oci/digest.c and oci/ref.c: digests, references, image sources. */
#include "unit.h"
#include "oci/digest.h"
#include "oci/ref.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define H16 "0123456789abcdef"
#define H64 H16 H16 H16 H16
#define H128 H64 H64
#define D256 "sha256:" H64
#define D512 "sha512:" H128

/* ---- digests ---- */

static void expect_digest_refused(const char *s, const char *want_reason)
{
	struct pd_digest d;
	const char *why = NULL;

	ck_assert_msg(pd_digest_parse(s, strlen(s), &d, &why) == -1, "\"%s\" was accepted", s);
	ck_assert_msg(why && !strcmp(why, want_reason),
		      "\"%s\": expected reason \"%s\", got \"%s\"", s, want_reason,
		      why ? why : "(null)");
}

START_TEST(test_digest_accepts)
{
	struct pd_digest d;
	const char *why = NULL;
	char buf[PD_DIGEST_STR_MAX];

	EXPECT_INT(pd_digest_parse(D256, strlen(D256), &d, &why), 0);
	EXPECT_INT(d.algo, PD_DIGEST_SHA256);
	EXPECT_STR(d.hex, H64);
	EXPECT_INT(pd_digest_format(&d, buf, sizeof(buf)), 71);
	EXPECT_STR(buf, D256);

	EXPECT_INT(pd_digest_parse(D512, strlen(D512), &d, &why), 0);
	EXPECT_INT(d.algo, PD_DIGEST_SHA512);
	EXPECT_STR(d.hex, H128);
	EXPECT_INT(pd_digest_format(&d, buf, sizeof(buf)), 135);
	EXPECT_STR(buf, D512);
	EXPECT_UINT(sizeof(buf), 136);
	EXPECT_STR(pd_digest_algo_name(PD_DIGEST_SHA512), "sha512");
	EXPECT_UINT(pd_digest_hex_len(PD_DIGEST_SHA256), 64);

	/* Exactly len bytes are read: what follows does not count. */
	EXPECT_INT(pd_digest_parse(D256 "zz", strlen(D256), &d, &why), 0);
	EXPECT_STR(d.hex, H64);

	/* Too small a buffer: -1, ENOSPC, "". */
	errno = 0;
	EXPECT_INT(pd_digest_format(&d, buf, 71), -1);
	EXPECT_INT(errno, ENOSPC);
	EXPECT_STR(buf, "");
}
END_TEST

START_TEST(test_digest_refusals)
{
	struct pd_digest d;
	const char *why = NULL;
	static const char with_nul[] = "sha256:012\0" H16;

	expect_digest_refused("", "empty digest");
	expect_digest_refused(H64, "no algorithm (expected sha256:<64 hex digits>)");
	expect_digest_refused(":" H64, "empty digest algorithm");
	expect_digest_refused("SHA256:" H64, "digest algorithm \"SHA256\" must be lowercase");
	expect_digest_refused("Sha512:" H128, "digest algorithm \"Sha512\" must be lowercase");
	expect_digest_refused("md5:" H16 H16,
			      "unsupported digest algorithm \"md5\" (sha256 or sha512)");
	expect_digest_refused("sha384:" H64 H16 H16,
			      "unsupported digest algorithm \"sha384\" (sha256 or sha512)");
	expect_digest_refused("blake3:" H64,
			      "unsupported digest algorithm \"blake3\" (sha256 or sha512)");
	expect_digest_refused("sha256:" H16 H16 H16 "0123456789ABCDEF",
			      "uppercase hex digit 'A' at offset 65: digests are lowercase");
	expect_digest_refused("sha256:" H64 "/", "'/' at offset 71 is not a hex digit");
	expect_digest_refused("sha256:../etc", "'.' at offset 7 is not a hex digit");
	expect_digest_refused("sha256:" H16 H16 H16 "0123456789abcde",
			      "sha256 needs 64 hex digits, got 63");
	expect_digest_refused("sha256:" H64 "0", "sha256 needs 64 hex digits, got 65");
	expect_digest_refused("sha512:" H64, "sha512 needs 128 hex digits, got 64");
	expect_digest_refused("sha256:", "sha256 needs 64 hex digits, got 0");
	expect_digest_refused("sha256:" H64 ":x", "':' at offset 71 is not a hex digit");

	ck_assert_int_eq(pd_digest_parse(with_nul, sizeof(with_nul) - 1, &d, &why), -1);
	EXPECT_STR(why, "byte 0x00 at offset 10 is not a hex digit");
	/* A NULL reason is allowed. */
	ck_assert_int_eq(pd_digest_parse("x", 1, &d, NULL), -1);
}
END_TEST

/* The FIPS 180-2 vectors, and a buffer too small refused. */
START_TEST(test_digest_sha256)
{
	char out[80];
	struct pd_error e = { 0 };

	ck_assert_msg(pd_digest_sha256("abc", 3, out, sizeof(out), &e) == 0, "%s", e.msg);
	EXPECT_STR(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_msg(pd_digest_sha256("", 0, out, sizeof(out), &e) == 0, "%s", e.msg);
	EXPECT_STR(out, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	EXPECT_INT(pd_digest_sha256("abc", 3, out, 71, &e), -1);
}
END_TEST

START_TEST(test_digest_safe_component)
{
	ck_assert(pd_digest_safe_component(H64, 64));
	ck_assert(pd_digest_safe_component(H128, 128));
	ck_assert(pd_digest_safe_component("a", 1));
	ck_assert(!pd_digest_safe_component(H128 "0", 129));
	ck_assert(!pd_digest_safe_component("", 0));
	ck_assert(!pd_digest_safe_component("..", 2));
	ck_assert(!pd_digest_safe_component("a/b", 3));
	ck_assert(!pd_digest_safe_component("ABCDEF", 6));
	ck_assert(!pd_digest_safe_component(D256, strlen(D256)));
	ck_assert(!pd_digest_safe_component("ab\0cd", 5));
	ck_assert(!pd_digest_safe_component("abc ", 4));
}
END_TEST

/* ---- references ---- */

struct ref_case {
	const char *in;
	const char *registry, *repository, *tag, *digest;
	bool def_registry, def_tag;
	const char *formatted;
};

static const struct ref_case ref_cases[] = {
	{ "alpine", "docker.io", "library/alpine", "latest", "", true, true,
	  "docker.io/library/alpine:latest" },
	{ "alpine:3.19", "docker.io", "library/alpine", "3.19", "", true, false,
	  "docker.io/library/alpine:3.19" },
	{ "org/img", "docker.io", "org/img", "latest", "", true, true, "docker.io/org/img:latest" },
	{ "quay.io/org/img:tag", "quay.io", "org/img", "tag", "", false, false,
	  "quay.io/org/img:tag" },
	{ "alpine@" D256, "docker.io", "library/alpine", "", D256, true, false,
	  "docker.io/library/alpine@" D256 },
	{ "alpine:3.19@" D256, "docker.io", "library/alpine", "3.19", D256, true, false,
	  "docker.io/library/alpine:3.19@" D256 },
	{ "ghcr.io/o/r@" D512, "ghcr.io", "o/r", "", D512, false, false, "ghcr.io/o/r@" D512 },
	{ "localhost/x", "localhost", "x", "latest", "", false, true, "localhost/x:latest" },
	{ "localhost:5000/x", "localhost:5000", "x", "latest", "", false, true,
	  "localhost:5000/x:latest" },
	{ "127.0.0.1:15001/x:1", "127.0.0.1:15001", "x", "1", "", false, false,
	  "127.0.0.1:15001/x:1" },
	{ "[::1]:5000/x", "[::1]:5000", "x", "latest", "", false, true, "[::1]:5000/x:latest" },
	{ "[2001:db8::1]/a/b", "[2001:db8::1]", "a/b", "latest", "", false, true,
	  "[2001:db8::1]/a/b:latest" },
	{ "docker.io/alpine", "docker.io", "library/alpine", "latest", "", false, true,
	  "docker.io/library/alpine:latest" },
	{ "docker.io/library/alpine", "docker.io", "library/alpine", "latest", "", false, true,
	  "docker.io/library/alpine:latest" },
	{ "index.docker.io/alpine", "docker.io", "library/alpine", "latest", "", false, true,
	  "docker.io/library/alpine:latest" },
	{ "index.docker.io/org/img:v2", "docker.io", "org/img", "v2", "", false, false,
	  "docker.io/org/img:v2" },
	/* docker's reading: "localhost" with tag "5000" */
	{ "localhost:5000", "docker.io", "library/localhost", "5000", "", true, false,
	  "docker.io/library/localhost:5000" },
	/* upper case is allowed in the registry host only */
	{ "Example.COM/img", "Example.COM", "img", "latest", "", false, true,
	  "Example.COM/img:latest" },
	{ "r.example.com:443/a__b/c-d--e/f.g_h:V_1.0-rc", "r.example.com:443", "a__b/c-d--e/f.g_h",
	  "V_1.0-rc", "", false, false, "r.example.com:443/a__b/c-d--e/f.g_h:V_1.0-rc" },
	{ "a/b/c/d/e", "docker.io", "a/b/c/d/e", "latest", "", true, true,
	  "docker.io/a/b/c/d/e:latest" },
	{ "my-reg.internal/team/app:_x", "my-reg.internal", "team/app", "_x", "", false, false,
	  "my-reg.internal/team/app:_x" },
	{ "0/1", "docker.io", "0/1", "latest", "", true, true, "docker.io/0/1:latest" },
};

START_TEST(test_ref_normalization)
{
	const struct ref_case *c = &ref_cases[_i];
	struct pd_oci_ref r, again;
	struct pd_error err = { 0 };
	char buf[PD_OCI_REF_STR_MAX];

	ck_assert_msg(pd_oci_ref_parse(c->in, &r, &err) == 0, "\"%s\": %s", c->in, err.msg);
	EXPECT_STR(r.registry, c->registry);
	EXPECT_STR(r.repository, c->repository);
	EXPECT_STR(r.tag, c->tag);
	EXPECT_STR(r.digest, c->digest);
	EXPECT_INT(r.defaulted_registry, c->def_registry);
	EXPECT_INT(r.defaulted_tag, c->def_tag);
	EXPECT_INT(pd_oci_ref_format(&r, buf, sizeof(buf)), strlen(c->formatted));
	EXPECT_STR(buf, c->formatted);
	/* The full form reads back to the same fields, nothing defaulted. */
	ck_assert_msg(pd_oci_ref_parse(buf, &again, &err) == 0, "\"%s\": %s", buf, err.msg);
	EXPECT_STR(again.registry, r.registry);
	EXPECT_STR(again.repository, r.repository);
	EXPECT_STR(again.tag, r.tag);
	EXPECT_STR(again.digest, r.digest);
	EXPECT_INT(again.defaulted_registry, 0);
	EXPECT_INT(again.defaulted_tag, 0);
}
END_TEST

struct ref_refusal {
	const char *in;
	const char *msg;
};

static const struct ref_refusal ref_refusals[] = {
	{ "", "image reference \"\": empty reference" },
	{ "Alpine", "image reference \"Alpine\": repository name must be lowercase" },
	{ "org/Img:tag", "image reference \"org/Img:tag\": repository name must be lowercase" },
	/* "Foo" has no '.' or ':' and is not localhost: a repository, not a registry */
	{ "Foo/bar", "image reference \"Foo/bar\": repository name must be lowercase" },
	{ "quay.io/Org/img",
	  "image reference \"quay.io/Org/img\": repository name must be lowercase" },
	{ H64,
	  "image reference \"" H64 "\": a 64-digit hex string is an image ID, not a reference" },
	{ "alpine:", "image reference \"alpine:\": empty tag" },
	{ "alpine:-x",
	  "image reference \"alpine:-x\": invalid tag \"-x\" (letters, digits, '_', '.' and '-', "
	  "not starting with '.' or '-')" },
	{ "alpine:.x",
	  "image reference \"alpine:.x\": invalid tag \".x\" (letters, digits, '_', '.' and '-', "
	  "not starting with '.' or '-')" },
	{ "alpine:a+b",
	  "image reference \"alpine:a+b\": invalid tag \"a+b\" (letters, digits, '_', '.' and '-', "
	  "not starting with '.' or '-')" },
	{ "alpine@", "image reference \"alpine@\": digest: empty digest" },
	{ "alpine@sha256:abc",
	  "image reference \"alpine@sha256:abc\": digest: sha256 needs 64 hex "
	  "digits, got 3" },
	{ "alpine@SHA256:" H64, "image reference \"alpine@SHA256:" H64
				"\": digest: digest algorithm \"SHA256\" must be lowercase" },
	{ "alpine@md5:" H16 H16, "image reference \"alpine@md5:" H16 H16
				 "\": digest: unsupported digest algorithm \"md5\" (sha256 or "
				 "sha512)" },
	{ "alpine@" D256 "@" D256, "image reference \"alpine@" D256 "@" D256
				   "\": digest: '@' at offset 71 is not a hex digit" },
	{ "@" D256, "image reference \"@" D256 "\": no repository name" },
	{ ":tag", "image reference \":tag\": no repository name" },
	{ "a..b",
	  "image reference \"a..b\": invalid separator (one '.', one or two '_', or any number of "
	  "'-') in \"a..b\"" },
	{ "a___b",
	  "image reference \"a___b\": invalid separator (one '.', one or two '_', or any number of "
	  "'-') in \"a___b\"" },
	{ "a_-b",
	  "image reference \"a_-b\": invalid separator (one '.', one or two '_', or any number of "
	  "'-') in \"a_-b\"" },
	{ "-a",
	  "image reference \"-a\": a path component must start and end with a letter or "
	  "digit in \"-a\"" },
	{ "org/a-",
	  "image reference \"org/a-\": a path component must start and end with a "
	  "letter or digit in \"org/a-\"" },
	{ "a//b", "image reference \"a//b\": empty path component in \"a//b\"" },
	{ "org/", "image reference \"org/\": empty path component in \"org/\"" },
	{ "quay.io/", "image reference \"quay.io/\": empty path component in \"\"" },
	{ "a b",
	  "image reference \"a b\": invalid character ' ' in the repository name (lowercase "
	  "letters, digits, '.', '_', '-' and '/')" },
	{ "a$b",
	  "image reference \"a$b\": invalid character '$' in the repository name "
	  "(lowercase letters, digits, '.', '_', '-' and '/')" },
	{ "a\tb", "image reference \"a?b\": invalid character (byte 0x09) in the repository name" },
	{ "my_reg.io/x",
	  "image reference \"my_reg.io/x\": invalid registry host (letters, digits "
	  "and '-' in dot-separated labels) \"my_reg.io\"" },
	{ "-reg.io/x",
	  "image reference \"-reg.io/x\": invalid registry host (letters, digits and "
	  "'-' in dot-separated labels) \"-reg.io\"" },
	{ "reg..io/x",
	  "image reference \"reg..io/x\": invalid registry host (letters, digits and "
	  "'-' in dot-separated labels) \"reg..io\"" },
	{ "localhost:0/x",
	  "image reference \"localhost:0/x\": registry port must be 1-65535 \"localhost:0\"" },
	{ "localhost:65536/x",
	  "image reference \"localhost:65536/x\": registry port must be 1-65535 "
	  "\"localhost:65536\"" },
	{ "localhost:/x",
	  "image reference \"localhost:/x\": registry port must be 1-65535 \"localhost:\"" },
	{ "[::g]:5000/x", "image reference \"[::g]:5000/x\": invalid IPv6 address \"[::g]:5000\"" },
	{ "[1:2:3:4:5:6:7:8:9]/x",
	  "image reference \"[1:2:3:4:5:6:7:8:9]/x\": invalid IPv6 address \"[1:2:3:4:5:6:7:8:9]\"" },
	{ "[::1/x", "image reference \"[::1/x\": invalid registry host \"[::1\"" },
	{ "[::1]5000/x", "image reference \"[::1]5000/x\": invalid registry host \"[::1]5000\"" },
};

START_TEST(test_ref_refusals)
{
	const struct ref_refusal *c = &ref_refusals[_i];
	struct pd_oci_ref r;
	struct pd_error err = { 0 };

	memset(&r, 0x55, sizeof(r));
	ck_assert_msg(pd_oci_ref_parse(c->in, &r, &err) == -1, "\"%s\" was accepted", c->in);
	EXPECT_STR(err.msg, c->msg);
	EXPECT_INT(err.code, EINVAL);
	EXPECT_STR(r.registry, ""); /* zeroed on failure too */
}
END_TEST

START_TEST(test_ref_limits)
{
	struct pd_oci_ref r;
	struct pd_error err = { 0 };
	char in[1200], tag[200], want[1400];

	/* tag: 128 characters are fine, 129 are not */
	memset(tag, 'x', 128);
	tag[128] = '\0';
	snprintf(in, sizeof(in), "alpine:%s", tag);
	ck_assert_msg(pd_oci_ref_parse(in, &r, &err) == 0, "%s", err.msg);
	EXPECT_STR(r.tag, tag);
	snprintf(in, sizeof(in), "alpine:%sx", tag);
	ck_assert_int_eq(pd_oci_ref_parse(in, &r, &err), -1);
	snprintf(want, sizeof(want), "image reference \"%s\": tag longer than 128 characters", in);
	EXPECT_STR(err.msg, want);

	/* name: "r.io/" + 250 = 255 is fine, 256 is not */
	memset(in, 'a', sizeof(in));
	memcpy(in, "r.io/", 5);
	in[255] = '\0';
	ck_assert_msg(pd_oci_ref_parse(in, &r, &err) == 0, "%s", err.msg);
	EXPECT_UINT(strlen(r.repository), 250);
	in[255] = 'a';
	in[256] = '\0';
	ck_assert_int_eq(pd_oci_ref_parse(in, &r, &err), -1);
	ck_assert_msg(strstr(err.msg, "\": name longer than 255 characters"), "%s", err.msg);

	/* the normalized name counts: "docker.io/library/" + 237 = 255 */
	memset(in, 'b', 237);
	in[237] = '\0';
	ck_assert_msg(pd_oci_ref_parse(in, &r, &err) == 0, "%s", err.msg);
	in[237] = 'b';
	in[238] = '\0';
	ck_assert_int_eq(pd_oci_ref_parse(in, &r, &err), -1);
	ck_assert_msg(strstr(err.msg, "\": name longer than 255 characters"), "%s", err.msg);

	/* the longest reference formats within PD_OCI_REF_STR_MAX */
	memset(in, 'a', sizeof(in));
	memcpy(in, "r.io/", 5);
	snprintf(in + 255, sizeof(in) - 255, ":%s@%s", tag, D512);
	ck_assert_msg(pd_oci_ref_parse(in, &r, &err) == 0, "%s", err.msg);
	EXPECT_INT(pd_oci_ref_format(&r, want, PD_OCI_REF_STR_MAX), PD_OCI_REF_STR_MAX - 1);
	EXPECT_STR(want, in);
	errno = 0;
	EXPECT_INT(pd_oci_ref_format(&r, want, PD_OCI_REF_STR_MAX - 1), -1);
	EXPECT_INT(errno, ENOSPC);
	EXPECT_STR(want, "");

	/* anything longer is refused before it is read */
	memset(in, 'a', PD_OCI_REF_STR_MAX);
	in[PD_OCI_REF_STR_MAX] = '\0';
	ck_assert_int_eq(pd_oci_ref_parse(in, &r, &err), -1);
	ck_assert_msg(strstr(err.msg, "\": longer than 520 bytes"), "%s", err.msg);

	/* port boundaries */
	ck_assert_msg(pd_oci_ref_parse("localhost:65535/x", &r, &err) == 0, "%s", err.msg);
	ck_assert_msg(pd_oci_ref_parse("localhost:1/x", &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(pd_oci_ref_parse("localhost:123456/x", &r, &err), -1);
}
END_TEST

START_TEST(test_tag_valid)
{
	char t[130];

	ck_assert(pd_oci_tag_valid("latest", 6));
	ck_assert(pd_oci_tag_valid("_", 1));
	ck_assert(pd_oci_tag_valid("V1.2-rc_3", 9));
	ck_assert(!pd_oci_tag_valid("", 0));
	ck_assert(!pd_oci_tag_valid("-a", 2));
	ck_assert(!pd_oci_tag_valid(".a", 2));
	ck_assert(!pd_oci_tag_valid("a/b", 3));
	ck_assert(!pd_oci_tag_valid("a:b", 3));
	memset(t, 'a', sizeof(t));
	ck_assert(pd_oci_tag_valid(t, 128));
	ck_assert(!pd_oci_tag_valid(t, 129));
}
END_TEST

START_TEST(test_loopback_literal)
{
	static const char *const yes[] = {
		"localhost",       "localhost:5000",  "localhost:1",          "127.0.0.1",
		"127.0.0.1:15001", "127.255.255.254", "127.1.2.3:65535",      "127.0.0.0",
		"[::1]",           "[::1]:5000",      "[0:0:0:0:0:0:0:1]:80", "[0::1]",
	};
	static const char *const no[] = {
		"",
		"quay.io",
		"docker.io",
		"localhost.localdomain",
		"localhost.",
		"LOCALHOST",
		"my-localhost:5000",
		"127.0.0.1.nip.io",
		"127.0.0.1.nip.io:5000",
		"128.0.0.1",
		"10.0.0.1:5000",
		"0.0.0.0",
		"127.0.0.01",
		"0127.0.0.1",
		"127.1",
		"127.0.1",
		"127.0.0.1.1",
		"127.0.0.256",
		"127.0.0.1:0",
		"127.0.0.1:65536",
		"127.0.0.1:",
		"127.0.0.1:5000x",
		"0x7f.0.0.1",
		"localhost:0",
		"localhost:",
		"localhost:99999",
		"[::2]",
		"[::]",
		"[::ffff:127.0.0.1]",
		"::1",
		"[::1]x",
		"[::1]:",
		"[::1",
		"[]",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(pd_oci_registry_is_loopback_literal(yes[i]),
			      "\"%s\": expected loopback", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!pd_oci_registry_is_loopback_literal(no[i]),
			      "\"%s\": expected not loopback", no[i]);
}
END_TEST

/* ---- image sources ---- */

struct src_case {
	const char *in;
	enum pd_image_src_kind kind;
	const char *path, *tag;
	const char *ref; /* formatted, or "" when none */
};

static const struct src_case src_cases[] = {
	{ "docker://alpine", PD_SRC_DOCKER, "", "", "docker.io/library/alpine:latest" },
	{ "docker://quay.io/o/i:t", PD_SRC_DOCKER, "", "", "quay.io/o/i:t" },
	{ "alpine", PD_SRC_DOCKER, "", "", "docker.io/library/alpine:latest" },
	{ "localhost:5000/x", PD_SRC_DOCKER, "", "", "localhost:5000/x:latest" },
	{ "dir", PD_SRC_DOCKER, "", "", "docker.io/library/dir:latest" },
	{ "oci:/srv/layout", PD_SRC_OCI_LAYOUT, "/srv/layout", "", "" },
	{ "oci:/srv/layout:v1", PD_SRC_OCI_LAYOUT, "/srv/layout", "v1", "" },
	/* the path ends at the first ':'; the image name may hold ':' and '/' */
	{ "oci:dir:example.com/app:v1", PD_SRC_OCI_LAYOUT, "dir", "example.com/app:v1", "" },
	{ "oci:dir:", PD_SRC_OCI_LAYOUT, "dir", "", "" },
	{ "oci:rel/dir:a--b@c+d", PD_SRC_OCI_LAYOUT, "rel/dir", "a--b@c+d", "" },
	{ "oci-archive:/tmp/a.tar:Latest", PD_SRC_OCI_ARCHIVE, "/tmp/a.tar", "Latest", "" },
	{ "oci-archive:a.tar", PD_SRC_OCI_ARCHIVE, "a.tar", "", "" },
	{ "docker-archive:/tmp/a.tar", PD_SRC_DOCKER_ARCHIVE, "/tmp/a.tar", "", "" },
	{ "docker-archive:/tmp/a.tar:busybox:1", PD_SRC_DOCKER_ARCHIVE, "/tmp/a.tar", "",
	  "docker.io/library/busybox:1" },
	{ "dir:/a:b", PD_SRC_DIR, "/a:b", "", "" },
	{ "dir:rootfs", PD_SRC_DIR, "rootfs", "", "" },
	{ "host", PD_SRC_HOST, "", "", "" },
};

START_TEST(test_src_parse)
{
	const struct src_case *c = &src_cases[_i];
	struct pd_image_src src;
	struct pd_error err = { 0 };
	char buf[PD_OCI_REF_STR_MAX];

	ck_assert_msg(pd_image_src_parse(c->in, &src, &err) == 0, "\"%s\": %s", c->in, err.msg);
	EXPECT_INT(src.kind, c->kind);
	EXPECT_STR(src.path, c->path);
	EXPECT_STR(src.tag, c->tag);
	if (c->ref[0]) {
		ck_assert_int_ge(pd_oci_ref_format(&src.ref, buf, sizeof(buf)), 0);
		EXPECT_STR(buf, c->ref);
	} else {
		EXPECT_STR(src.ref.registry, "");
		EXPECT_STR(src.ref.repository, "");
	}
}
END_TEST

static const struct ref_refusal src_refusals[] = {
	{ "oci:", "image \"oci:\": missing the directory" },
	{ "oci::v1", "image \"oci::v1\": missing the directory" },
	{ "oci-archive:", "image \"oci-archive:\": missing the archive" },
	{ "docker-archive:", "image \"docker-archive:\": missing the archive" },
	{ "dir:", "image \"dir:\": missing the directory" },
	{ "oci:d:bad tag",
	  "image \"oci:d:bad tag\": invalid image name \"bad tag\" (letters and digits joined by "
	  "one of - . _ : @ + or --, components separated by '/'; the directory ends at the first "
	  "':')" },
	{ "oci:d:a---b",
	  "image \"oci:d:a---b\": invalid image name \"a---b\" (letters and digits joined by one "
	  "of - . _ : @ + or --, components separated by '/'; the directory ends at the first "
	  "':')" },
	{ "oci:d:/a",
	  "image \"oci:d:/a\": invalid image name \"/a\" (letters and digits joined by "
	  "one of - . _ : @ + or --, components separated by '/'; the directory ends "
	  "at the first ':')" },
	{ "oci-archive:f:x:",
	  "image \"oci-archive:f:x:\": invalid image name \"x:\" (letters and "
	  "digits joined by one of - . _ : @ + or --, components separated by "
	  "'/'; the archive ends at the first ':')" },
	{ "docker:alpine",
	  "image \"docker:alpine\": the docker transport is written docker://REFERENCE" },
	{ "docker://", "image reference \"\": empty reference" },
	{ "docker://Alpine", "image reference \"Alpine\": repository name must be lowercase" },
	{ "docker-archive:a.tar:Bad",
	  "image \"docker-archive:a.tar\": image reference \"Bad\": repository name must be lowercase" },
	{ "docker-archive:a.tar:busybox@" D256,
	  "image \"docker-archive:a.tar:busybox@" D256 "\": a docker-archive reference takes no "
	  "digest" },
	{ "containers-storage:alpine",
	  "image \"containers-storage:alpine\": transport \"containers-storage\" is not supported "
	  "(docker://, oci:, oci-archive:, docker-archive:, dir:, host)" },
	{ "docker-daemon:alpine:latest",
	  "image \"docker-daemon:alpine:latest\": transport \"docker-daemon\" is not supported "
	  "(docker://, oci:, oci-archive:, docker-archive:, dir:, host)" },
	{ "Host", "image reference \"Host\": repository name must be lowercase" },
};

START_TEST(test_src_refusals)
{
	const struct ref_refusal *c = &src_refusals[_i];
	struct pd_image_src src;
	struct pd_error err = { 0 };

	ck_assert_msg(pd_image_src_parse(c->in, &src, &err) == -1, "\"%s\" was accepted", c->in);
	EXPECT_STR(err.msg, c->msg);
	EXPECT_INT(err.code, EINVAL);
}
END_TEST

START_TEST(test_src_limits)
{
	static char in[PD_IMAGE_SRC_PATH_MAX + 200];
	struct pd_image_src src;
	struct pd_error err = { 0 };
	size_t n;

	/* a 4095-byte path fits, 4096 does not */
	memcpy(in, "dir:", 4);
	memset(in + 4, 'p', PD_IMAGE_SRC_PATH_MAX - 1);
	in[4 + PD_IMAGE_SRC_PATH_MAX - 1] = '\0';
	ck_assert_msg(pd_image_src_parse(in, &src, &err) == 0, "%s", err.msg);
	EXPECT_UINT(strlen(src.path), PD_IMAGE_SRC_PATH_MAX - 1);
	in[4 + PD_IMAGE_SRC_PATH_MAX - 1] = 'p';
	in[4 + PD_IMAGE_SRC_PATH_MAX] = '\0';
	ck_assert_int_eq(pd_image_src_parse(in, &src, &err), -1);
	ck_assert_msg(strstr(err.msg, "\": directory longer than 4095 bytes"), "%s", err.msg);

	/* an oci: image name of 128 bytes fits, 129 does not */
	n = (size_t)snprintf(in, sizeof(in), "oci:d:");
	memset(in + n, 'i', 128);
	in[n + 128] = '\0';
	ck_assert_msg(pd_image_src_parse(in, &src, &err) == 0, "%s", err.msg);
	EXPECT_UINT(strlen(src.tag), 128);
	in[n + 128] = 'i';
	in[n + 129] = '\0';
	ck_assert_int_eq(pd_image_src_parse(in, &src, &err), -1);
	EXPECT_STR(err.msg + strlen(err.msg) - strlen("image name longer than 128 bytes"),
		   "image name longer than 128 bytes");

	EXPECT_STR(pd_image_src_kind_name(PD_SRC_DOCKER), "docker");
	EXPECT_STR(pd_image_src_kind_name(PD_SRC_OCI_LAYOUT), "oci");
	EXPECT_STR(pd_image_src_kind_name(PD_SRC_OCI_ARCHIVE), "oci-archive");
	EXPECT_STR(pd_image_src_kind_name(PD_SRC_DOCKER_ARCHIVE), "docker-archive");
	EXPECT_STR(pd_image_src_kind_name(PD_SRC_DIR), "dir");
	EXPECT_STR(pd_image_src_kind_name(PD_SRC_HOST), "host");
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *oci_ref_suite(void)
{
	Suite *s = suite_create("oci_ref");
	TCase *td = tcase_create("digest");
	TCase *tr = tcase_create("reference");
	TCase *ts = tcase_create("source");

	tcase_add_test(td, test_digest_accepts);
	tcase_add_test(td, test_digest_refusals);
	tcase_add_test(td, test_digest_safe_component);
	tcase_add_test(td, test_digest_sha256);
	tcase_add_loop_test(tr, test_ref_normalization, 0, N(ref_cases));
	tcase_add_loop_test(tr, test_ref_refusals, 0, N(ref_refusals));
	tcase_add_test(tr, test_ref_limits);
	tcase_add_test(tr, test_tag_valid);
	tcase_add_test(tr, test_loopback_literal);
	tcase_add_loop_test(ts, test_src_parse, 0, N(src_cases));
	tcase_add_loop_test(ts, test_src_refusals, 0, N(src_refusals));
	tcase_add_test(ts, test_src_limits);
	suite_add_tcase(s, td);
	suite_add_tcase(s, tr);
	suite_add_tcase(s, ts);
	return s;
}

PD_UNIT_SUITE(oci_ref_suite);
