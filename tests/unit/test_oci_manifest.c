/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for oci/manifest.c: manifests, indexes, configs, platforms and
 * index chains, on documents shaped like the ones registries serve.
 */
#include "unit.h"
#include "common/util.h"
#include "oci/manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define R4(s) s s s s
#define R64(s) R4(R4(R4(s)))
#define DG(c) "sha256:" R64(c)
#define DA DG("a")
#define DB DG("b")
#define DC DG("c")
#define DD DG("d")
#define DE DG("e")
#define DF DG("f")
#define D0 DG("0")
#define D1 DG("1")
#define D2 DG("2")
#define D3 DG("3")

#define MT_OCI_M "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_I "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_M "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_L "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_C "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_C "application/vnd.docker.container.image.v1+json"

#define ENTRY(mt, dg, size, plat) \
	"{\"mediaType\":\"" mt "\",\"digest\":\"" dg "\",\"size\":" #size ",\"platform\":" plat "}"

/* Like alpine's index on Docker Hub: eight platforms and BuildKit attestations. */
static const char alpine_index[] =
	"{\n"
	"  \"manifests\": [\n"
	"    {\"annotations\": {\"com.docker.official-images.bashbrew.arch\": \"amd64\",\n"
	"      \"org.opencontainers.image.version\": \"3.19.1\"},\n"
	"     \"digest\": \"" DA "\", \"mediaType\": \"" MT_OCI_M
	"\",\n"
	"     \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"}, \"size\": 1022},\n"
	"    {\"digest\": \"" DB "\", \"mediaType\": \"" MT_OCI_M
	"\",\n"
	"     \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v6\"},\n"
	"     \"size\": 1025},\n"
	"    {\"digest\": \"" DC "\", \"mediaType\": \"" MT_OCI_M
	"\",\n"
	"     \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v7\"},\n"
	"     \"size\": 1025},\n"
	"    {\"digest\": \"" DD "\", \"mediaType\": \"" MT_OCI_M
	"\",\n"
	"     \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": \"v8\"},\n"
	"     \"size\": 1025},\n"
	"    {\"digest\": \"" DE "\", \"mediaType\": \"" MT_OCI_M
	"\",\n"
	"     \"platform\": {\"architecture\": \"386\", \"os\": \"linux\"}, \"size\": 1020},\n"
	"    {\"digest\": \"" DF "\", \"mediaType\": \"" MT_OCI_M
	"\",\n"
	"     \"platform\": {\"architecture\": \"ppc64le\", \"os\": \"linux\"}, \"size\": 1024},\n"
	"    {\"digest\": \"" D0 "\", \"mediaType\": \"" MT_OCI_M
	"\",\n"
	"     \"platform\": {\"architecture\": \"riscv64\", \"os\": \"linux\"}, \"size\": 1024},\n"
	"    {\"digest\": \"" D1 "\", \"mediaType\": \"" MT_OCI_M
	"\",\n"
	"     \"platform\": {\"architecture\": \"s390x\", \"os\": \"linux\"}, \"size\": 1022},\n"
	"    {\"annotations\": {\"vnd.docker.reference.digest\": \"" DA
	"\",\n"
	"      \"vnd.docker.reference.type\": \"attestation-manifest\"},\n"
	"     \"digest\": \"" D2 "\", \"mediaType\": \"" MT_OCI_M
	"\",\n"
	"     \"platform\": {\"architecture\": \"unknown\", \"os\": \"unknown\"}, \"size\": 840}\n"
	"  ],\n"
	"  \"mediaType\": \"" MT_OCI_I
	"\",\n"
	"  \"schemaVersion\": 2\n"
	"}\n";

/* Like an older Docker Hub manifest list (hello-world), with a Windows entry. */
static const char docker_list[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_L
	"\",\"manifests\":["
	"{\"mediaType\":\"" MT_DOCKER_M "\",\"size\":525,\"digest\":\"" DA
	"\","
	"\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"" MT_DOCKER_M "\",\"size\":525,\"digest\":\"" DB
	"\","
	"\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v5\"}},"
	"{\"mediaType\":\"" MT_DOCKER_M "\",\"size\":525,\"digest\":\"" DC
	"\","
	"\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}},"
	"{\"mediaType\":\"" MT_DOCKER_M "\",\"size\":525,\"digest\":\"" DD
	"\","
	"\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
	"{\"mediaType\":\"" MT_DOCKER_M "\",\"size\":525,\"digest\":\"" DE
	"\","
	"\"platform\":{\"architecture\":\"386\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"" MT_DOCKER_M "\",\"size\":525,\"digest\":\"" DF
	"\","
	"\"platform\":{\"architecture\":\"mips64le\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"" MT_DOCKER_M "\",\"size\":1125,\"digest\":\"" D0
	"\","
	"\"platform\":{\"architecture\":\"amd64\",\"os\":\"windows\","
	"\"os.version\":\"10.0.20348.2113\",\"features\":[]}}]}";

/* A Docker schema 2 image manifest. */
static const char docker_manifest[] =
	"{\n"
	"   \"schemaVersion\": 2,\n"
	"   \"mediaType\": \"" MT_DOCKER_M
	"\",\n"
	"   \"config\": {\n"
	"      \"mediaType\": \"" MT_DOCKER_C
	"\",\n"
	"      \"size\": 1469,\n"
	"      \"digest\": \"" DA
	"\"\n"
	"   },\n"
	"   \"layers\": [\n"
	"      {\n"
	"         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
	"         \"size\": 2479,\n"
	"         \"digest\": \"" DB
	"\"\n"
	"      },\n"
	"      {\n"
	"         \"mediaType\": \"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\n"
	"         \"size\": 1673287,\n"
	"         \"digest\": \"" DC
	"\",\n"
	"         \"urls\": [\"https://go.microsoft.com/fwlink/?linkid=837858\"]\n"
	"      }\n"
	"   ]\n"
	"}";

/* An OCI manifest with zstd layers, a nondistributable one and no mediaType (optional in OCI). */
static const char oci_zstd_manifest[] =
	"{\"schemaVersion\":2,"
	"\"config\":{\"mediaType\":\"" MT_OCI_C "\",\"digest\":\"" DA
	"\",\"size\":2297},"
	"\"layers\":["
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" DB
	"\","
	"\"size\":3408729,\"annotations\":{\"io.github.containers.zstd-chunked.manifest-position\":"
	"\"3389014:15261:53773:1\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" DC
	"\","
	"\"size\":0},"
	"{\"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd\","
	"\"digest\":\"" DD
	"\",\"size\":12,\"urls\":[\"https://example.com/l\"]},"
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" DE
	"\","
	"\"size\":9007199254740991}],"
	"\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-27T00:00:00Z\"},"
	"\"subject\":{\"mediaType\":\"" MT_OCI_M "\",\"digest\":\"" DF "\",\"size\":1}}";

/* An image config with every field paude reads, and some it does not. */
static const char full_config[] =
	"{\"architecture\":\"arm\",\"variant\":\"v7\",\"os\":\"linux\","
	"\"created\":\"2024-01-27T00:07:12.348912345Z\",\"author\":\"someone\","
	"\"config\":{\"User\":\"1000:1000\",\"ExposedPorts\":{\"80/tcp\":{}},"
	"\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"\"EMPTY=\",\"EQ=a=b\"],"
	"\"Entrypoint\":[\"/docker-entrypoint.sh\"],\"Cmd\":[\"nginx\",\"-g\",\"daemon off;\"],"
	"\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"/srv\",\"StopSignal\":\"SIGQUIT\","
	"\"Labels\":{\"maintainer\":\"NGINX <docker-maint@nginx.com>\",\"org.x\":\"\"},"
	"\"OnBuild\":null},"
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DA "\",\"" DB
	"\"]},"
	"\"history\":[{\"created\":\"2024-01-27T00:07:12Z\",\"created_by\":\"/bin/sh\"}]}";

/* ---- parsing ---- */

static void parse_ok(const char *body, const char *ct, struct pd_oci_manifest *m)
{
	struct pd_error err = { 0 };

	ck_assert_msg(pd_oci_manifest_parse(body, strlen(body), ct, m, &err) == 0, "%s", err.msg);
}

START_TEST(test_alpine_index)
{
	struct pd_oci_manifest m;
	const struct pd_oci_descriptor *d;

	parse_ok(alpine_index, "application/vnd.oci.image.index.v1+json", &m);
	EXPECT_INT(m.kind, PD_OCI_INDEX);
	EXPECT_INT(m.docker, 0);
	EXPECT_UINT(m.n_manifests, 9);
	EXPECT_UINT(m.n_layers, 0);
	ck_assert_ptr_null(m.layers);
	d = &m.manifests[0];
	EXPECT_STR(d->media_type, MT_OCI_M);
	EXPECT_STR(d->digest, DA);
	EXPECT_INT(d->size, 1022);
	EXPECT_INT(d->has_platform, 1);
	EXPECT_STR(d->os, "linux");
	EXPECT_STR(d->arch, "amd64");
	EXPECT_STR(d->variant, "");
	d = &m.manifests[3];
	EXPECT_STR(d->arch, "arm64");
	EXPECT_STR(d->variant, "v8");
	EXPECT_STR(m.manifests[8].os, "unknown");
	EXPECT_INT(m.manifests[8].size, 840);
	pd_oci_manifest_release(&m);
	EXPECT_UINT(m.n_manifests, 0);
	ck_assert_ptr_null(m.manifests);

	/* The same without a Content-Type (an OCI layout's index.json). */
	parse_ok(alpine_index, NULL, &m);
	EXPECT_INT(m.kind, PD_OCI_INDEX);
	pd_oci_manifest_release(&m);
}
END_TEST

struct pick {
	const char *os, *arch, *variant;
	long want; /* index, or -1 for "none" */
};

static void check_picks(const char *body, const struct pick *p, size_t n)
{
	struct pd_oci_manifest m;
	struct pd_error err = { 0 };

	parse_ok(body, NULL, &m);
	for (size_t i = 0; i < n; i++) {
		size_t which = 999;
		int r = pd_oci_index_select(&m, p[i].os, p[i].arch, p[i].variant, &which, &err);

		if (p[i].want < 0) {
			ck_assert_msg(r == -1, "%s/%s/%s: expected no match, got %zu", p[i].os,
				      p[i].arch, p[i].variant ? p[i].variant : "", which);
			EXPECT_INT(err.code, ENOENT);
		} else {
			ck_assert_msg(r == 0 && which == (size_t)p[i].want,
				      "%s/%s/%s: expected entry %ld, got r=%d entry %zu (%s)",
				      p[i].os, p[i].arch, p[i].variant ? p[i].variant : "",
				      p[i].want, r, which, r ? err.msg : "");
		}
	}
	pd_oci_manifest_release(&m);
}

/* An OCI layout's index.json names its images with ref.name annotations. */
START_TEST(test_layout_ref_names)
{
	static const char idx[] =
		"{\"schemaVersion\":2,\"manifests\":["
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
		"\"sha256:6d7a9e18e461ec0b1315f4d1d16664502218019c2e6e9e31d14c2f11c4a63c33\","
		"\"size\":349,\"annotations\":{\"org.opencontainers.image.ref.name\":\"t1\"}},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
		"\"sha256:6d7a9e18e461ec0b1315f4d1d16664502218019c2e6e9e31d14c2f11c4a63c33\","
		"\"size\":349,\"annotations\":{\"other\":\"x\"}}]}";
	struct pd_oci_manifest m;

	parse_ok(idx, NULL, &m);
	ck_assert_int_eq(m.kind, PD_OCI_INDEX);
	ck_assert_uint_eq(m.n_manifests, 2);
	EXPECT_STR(m.manifests[0].ref_name, "t1");
	EXPECT_STR(m.manifests[1].ref_name, "");
	pd_oci_manifest_release(&m);
}
END_TEST

START_TEST(test_alpine_select)
{
	static const struct pick picks[] = {
		{ "linux", "amd64", NULL, 0 },    { "linux", "amd64", "", 0 },
		{ "linux", "x86_64", NULL, 0 },   { "Linux", "AMD64", NULL, 0 },
		{ "linux", "amd64", "v3", 0 }, /* v3 runs v1 */
		{ "linux", "arm", NULL, 2 },   /* arm means arm/v7 */
		{ "linux", "arm", "v7", 2 },      { "linux", "arm", "v6", 1 },
		{ "linux", "arm", "v8", 2 }, /* v8 (32-bit) takes v7 first */
		{ "linux", "arm", "v5", -1 },     { "linux", "armhf", NULL, 2 },
		{ "linux", "armel", NULL, 1 },    { "linux", "arm64", NULL, 3 },
		{ "linux", "arm64", "v8", 3 },    { "linux", "aarch64", NULL, 3 },
		{ "linux", "arm64", "v9", 3 }, /* v9 falls back to v8 */
		{ "linux", "386", NULL, 4 },      { "linux", "i386", NULL, 4 },
		{ "linux", "ppc64le", NULL, 5 },  { "linux", "riscv64", NULL, 6 },
		{ "linux", "s390x", NULL, 7 },    { "linux", "mips64le", NULL, -1 },
		{ "windows", "amd64", NULL, -1 }, { "linux", "ppc64le", "power9", 5 },
	};

	check_picks(alpine_index, picks, sizeof(picks) / sizeof(picks[0]));
}
END_TEST

START_TEST(test_select_errors)
{
	struct pd_oci_manifest m;
	struct pd_error err = { 0 };
	size_t which = 0;

	parse_ok(alpine_index, NULL, &m);
	ck_assert_int_eq(pd_oci_index_select(&m, "linux", "mips64le", NULL, &which, &err), -1);
	EXPECT_STR(err.msg,
		   "no image for linux/mips64le in the index (available: linux/amd64, "
		   "linux/arm/v6, linux/arm/v7, linux/arm64/v8, linux/386, linux/ppc64le, "
		   "linux/riscv64, linux/s390x, unknown/unknown)");
	ck_assert_int_eq(pd_oci_index_select(&m, "linux", "arm", "v5", &which, &err), -1);
#define ARM5 "no image for linux/arm/v5 in the index (available: "
	ck_assert_msg(!strncmp(err.msg, ARM5, strlen(ARM5)), "%s", err.msg);
	pd_oci_manifest_release(&m);

	parse_ok(docker_manifest, NULL, &m);
	ck_assert_int_eq(pd_oci_index_select(&m, "linux", "amd64", NULL, &which, &err), -1);
	EXPECT_STR(err.msg, "not an image index");
	EXPECT_INT(err.code, EINVAL);
	pd_oci_manifest_release(&m);
}
END_TEST

START_TEST(test_docker_list)
{
	static const struct pick picks[] = {
		{ "linux", "amd64", NULL, 0 },    { "linux", "arm", "v6", 1 }, /* v6 runs v5 */
		{ "linux", "arm", "v7", 2 },      { "linux", "arm", "v5", 1 },
		{ "linux", "arm64", NULL, 3 },    { "linux", "386", NULL, 4 },
		{ "linux", "mips64le", NULL, 5 }, { "windows", "amd64", NULL, 6 },
		{ "linux", "s390x", NULL, -1 },
	};
	struct pd_oci_manifest m;

	parse_ok(docker_list, "application/vnd.docker.distribution.manifest.list.v2+json", &m);
	EXPECT_INT(m.kind, PD_OCI_INDEX);
	EXPECT_INT(m.docker, 1);
	EXPECT_UINT(m.n_manifests, 7);
	EXPECT_STR(m.manifests[6].os, "windows");
	EXPECT_INT(m.manifests[6].size, 1125);
	pd_oci_manifest_release(&m);
	check_picks(docker_list, picks, sizeof(picks) / sizeof(picks[0]));
}
END_TEST

START_TEST(test_select_amd64_levels)
{
	static const char idx[] =
		"{\"schemaVersion\":2,\"manifests\":[" ENTRY(MT_OCI_M, DA, 1, "{\"os\":\"linux\",\"architecture\":\"amd64\",\"variant\":\"v3\"}") "," ENTRY(
			MT_OCI_M, DB, 1,
			"{\"os\":\"linux\",\"architecture\":\"amd64\",\"variant\":\"v2\"}") "," ENTRY(MT_OCI_M,
												      DC,
												      1,
												      "{\"os\":\"linux\",\"architecture\":\"x86_64\",\"variant\":\"v1\"}") "]}";
	static const char only_v3[] = "{\"schemaVersion\":2,\"manifests\":[" ENTRY(
		MT_OCI_M, DA, 1,
		"{\"os\":\"linux\",\"architecture\":\"amd64\",\"variant\":\"v3\"}") "]}";
	static const struct pick picks[] = {
		{ "linux", "amd64", NULL, 2 }, /* the host default is v1 */
		{ "linux", "amd64", "v1", 2 }, { "linux", "amd64", "v2", 1 },
		{ "linux", "amd64", "v3", 0 }, { "linux", "amd64", "v4", 0 },
	};
	static const struct pick v3_picks[] = {
		{ "linux", "amd64", NULL, -1 },
		{ "linux", "amd64", "v2", -1 },
		{ "linux", "amd64", "v3", 0 },
		{ "linux", "amd64", "v4", 0 },
	};

	check_picks(idx, picks, sizeof(picks) / sizeof(picks[0]));
	check_picks(only_v3, v3_picks, sizeof(v3_picks) / sizeof(v3_picks[0]));
}
END_TEST

START_TEST(test_select_no_platform)
{
	/* Entries without a platform are the fallback; other media types are never picked. */
	static const char idx[] =
		"{\"schemaVersion\":2,\"manifests\":["
		"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" DA
		"\","
		"\"size\":1},"
		"{\"mediaType\":\"application/vnd.example.sbom\",\"digest\":\"" DB
		"\",\"size\":1,"
		"\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
		"{\"mediaType\":\"" MT_OCI_I "\",\"digest\":\"" DC
		"\",\"size\":1},"
		"{\"mediaType\":\"" MT_OCI_M "\",\"digest\":\"" DD
		"\",\"size\":1,"
		"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}";
	static const struct pick picks[] = {
		{ "linux", "arm64", NULL, 3 },
		{ "linux", "amd64", NULL, 2 }, /* the nested index, not the sbom */
	};
	static const char empty[] = "{\"schemaVersion\":2,\"manifests\":[]}";
	struct pd_oci_manifest m;
	struct pd_error err = { 0 };
	size_t which;

	check_picks(idx, picks, sizeof(picks) / sizeof(picks[0]));
	parse_ok(empty, NULL, &m);
	EXPECT_INT(m.kind, PD_OCI_INDEX);
	EXPECT_UINT(m.n_manifests, 0);
	ck_assert_int_eq(pd_oci_index_select(&m, "linux", "amd64", NULL, &which, &err), -1);
	EXPECT_STR(err.msg,
		   "no image for linux/amd64 in the index (available: no entry names a platform)");
	pd_oci_manifest_release(&m);
}
END_TEST

START_TEST(test_docker_manifest)
{
	struct pd_oci_manifest m;
	enum pd_oci_compression c;

	parse_ok(docker_manifest, "application/vnd.docker.distribution.manifest.v2+json", &m);
	EXPECT_INT(m.kind, PD_OCI_MANIFEST);
	EXPECT_INT(m.docker, 1);
	EXPECT_STR(m.config.media_type, MT_DOCKER_C);
	EXPECT_STR(m.config.digest, DA);
	EXPECT_INT(m.config.size, 1469);
	EXPECT_INT(m.config.has_platform, 0);
	EXPECT_UINT(m.n_layers, 2);
	EXPECT_STR(m.layers[0].media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip");
	EXPECT_STR(m.layers[0].digest, DB);
	EXPECT_INT(m.layers[0].size, 2479);
	EXPECT_INT(m.layers[0].has_urls, 0);
	EXPECT_INT(m.layers[1].size, 1673287);
	EXPECT_INT(m.layers[1].has_urls, 1);
	EXPECT_UINT(m.n_manifests, 0);
	ck_assert_int_eq(pd_oci_layer_compression(m.layers[1].media_type, &c), 0);
	EXPECT_INT(c, PD_OCI_COMPRESSION_GZIP);
	pd_oci_manifest_release(&m);

	/* Parameters and case in the Content-Type do not matter; generic types say nothing. */
	parse_ok(docker_manifest, " Application/VND.docker.distribution.manifest.v2+JSON ; q=1",
		 &m);
	pd_oci_manifest_release(&m);
	parse_ok(docker_manifest, "application/json; charset=utf-8", &m);
	EXPECT_INT(m.docker, 1);
	pd_oci_manifest_release(&m);
	parse_ok(docker_manifest, "", &m);
	pd_oci_manifest_release(&m);
}
END_TEST

START_TEST(test_oci_zstd_manifest)
{
	struct pd_oci_manifest m;
	enum pd_oci_compression c;

	/* No mediaType: an OCI manifest by its shape, with or without a Content-Type. */
	parse_ok(oci_zstd_manifest, NULL, &m);
	EXPECT_INT(m.kind, PD_OCI_MANIFEST);
	EXPECT_INT(m.docker, 0);
	EXPECT_STR(m.config.media_type, MT_OCI_C);
	EXPECT_INT(m.config.size, 2297);
	EXPECT_UINT(m.n_layers, 4);
	EXPECT_STR(m.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
	EXPECT_INT(m.layers[0].size, 3408729);
	EXPECT_INT(m.layers[1].size, 0);
	EXPECT_INT(m.layers[2].has_urls, 1);
	EXPECT_STR(m.layers[2].digest, DD);
	EXPECT_INT(m.layers[3].size, 9007199254740991LL);
	ck_assert_int_eq(pd_oci_layer_compression(m.layers[0].media_type, &c), 0);
	EXPECT_INT(c, PD_OCI_COMPRESSION_ZSTD);
	ck_assert_int_eq(pd_oci_layer_compression(m.layers[2].media_type, &c), 0);
	EXPECT_INT(c, PD_OCI_COMPRESSION_ZSTD);
	ck_assert_int_eq(pd_oci_layer_compression(m.layers[3].media_type, &c), 0);
	EXPECT_INT(c, PD_OCI_COMPRESSION_NONE);
	pd_oci_manifest_release(&m);

	parse_ok(oci_zstd_manifest, MT_OCI_M, &m);
	EXPECT_INT(m.docker, 0);
	pd_oci_manifest_release(&m);
	/* A Docker Content-Type for a body without mediaType: Docker by the header. */
	parse_ok(oci_zstd_manifest, MT_DOCKER_M, &m);
	EXPECT_INT(m.docker, 1);
	pd_oci_manifest_release(&m);

	errno = 0;
	ck_assert_int_eq(pd_oci_layer_compression("application/x-tar", &c), -1);
	EXPECT_INT(errno, EINVAL);
	ck_assert(pd_oci_media_type_is_manifest(MT_DOCKER_L));
	ck_assert(!pd_oci_media_type_is_manifest(MT_OCI_C));
	ck_assert(!pd_oci_media_type_is_manifest(
		"application/vnd.docker.distribution.manifest.v1+json"));
}
END_TEST

START_TEST(test_every_layer_type)
{
	static const char *const types[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};
	static const enum pd_oci_compression want[] = {
		PD_OCI_COMPRESSION_NONE, PD_OCI_COMPRESSION_GZIP, PD_OCI_COMPRESSION_ZSTD,
		PD_OCI_COMPRESSION_NONE, PD_OCI_COMPRESSION_GZIP, PD_OCI_COMPRESSION_ZSTD,
		PD_OCI_COMPRESSION_GZIP, PD_OCI_COMPRESSION_GZIP,
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char body[512];
		struct pd_oci_manifest m;
		enum pd_oci_compression c;

		snprintf(body, sizeof(body),
			 "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_C
			 "\",\"digest\":\"" DA
			 "\",\"size\":1},\"layers\":[{\"mediaType\":\"%s\","
			 "\"digest\":\"" DB "\",\"size\":2}]}",
			 types[i]);
		parse_ok(body, NULL, &m);
		EXPECT_STR(m.layers[0].media_type, types[i]);
		ck_assert_int_eq(pd_oci_layer_compression(types[i], &c), 0);
		EXPECT_INT(c, want[i]);
		pd_oci_manifest_release(&m);
	}
}
END_TEST

/* ---- refusals ---- */

struct refusal {
	const char *body;
	const char *ct;
	const char *msg;
};

#define CFG "\"config\":{\"mediaType\":\"" MT_OCI_C "\",\"digest\":\"" DA "\",\"size\":1}"
#define LAYER(mt) "{\"mediaType\":\"" mt "\",\"digest\":\"" DB "\",\"size\":2}"
#define GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define MANIFEST(extra) "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(GZ) "]" extra "}"

static const struct refusal refusals[] = {
	/* Docker schema 1, three ways */
	{ MANIFEST(""), "application/vnd.docker.distribution.manifest.v1+prettyjws",
	  "manifest: Docker schema 1 is not supported" },
	{ MANIFEST(""), "application/vnd.docker.distribution.manifest.v1+json; charset=x",
	  "manifest: Docker schema 1 is not supported" },
	{ "{\"schemaVersion\":1,\"name\":\"library/hello\",\"tag\":\"latest\","
	  "\"architecture\":\"amd64\",\"fsLayers\":[{\"blobSum\":\"" DA "\"}],"
	  "\"history\":[],\"signatures\":[]}",
	  NULL, "manifest: Docker schema 1 is not supported" },
	{ "{\"schemaVersion\":2,\"mediaType\":"
	  "\"application/vnd.docker.distribution.manifest.v1+json\"}",
	  NULL, "manifest: Docker schema 1 is not supported" },
	/* schemaVersion */
	{ "{\"schemaVersion\":3," CFG ",\"layers\":[]}", NULL,
	  "manifest: schemaVersion: must be 2, got 3" },
	{ "{" CFG ",\"layers\":[]}", NULL, "manifest: schemaVersion: missing" },
	{ "{\"schemaVersion\":\"2\"," CFG ",\"layers\":[]}", NULL,
	  "manifest: schemaVersion: expected a number, got a string" },
	{ "{\"schemaVersion\":2.5," CFG ",\"layers\":[]}", NULL,
	  "manifest: schemaVersion: must be 2, got 2.5" },
	/* shape */
	{ "{\"schemaVersion\":2,\"manifests\":[]," CFG ",\"layers\":[]}", NULL,
	  "manifest: both an index and a manifest (\"manifests\" with \"layers\")" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_I "\",\"manifests\":[]," CFG "}", NULL,
	  "manifest: both an index and a manifest (\"manifests\" with \"config\")" },
	{ "{\"schemaVersion\":2}", NULL,
	  "manifest: neither a manifest nor an index (no manifests, config or layers)" },
	{ "{\"schemaVersion\":2,\"layers\":null,\"manifests\":null}", NULL,
	  "manifest: neither a manifest nor an index (no manifests, config or layers)" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_I "\"," CFG ",\"layers\":[]}", NULL,
	  "manifest: mediaType: \"" MT_OCI_I "\" but the document is shaped like a manifest "
	  "(config, layers)" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_M "\",\"manifests\":[]}", NULL,
	  "manifest: mediaType: \"" MT_DOCKER_M "\" but the document is shaped like an index "
	  "(manifests)" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\","
	  "\"blobs\":[],\"layers\":[]}",
	  NULL,
	  "manifest: mediaType: unsupported media type "
	  "\"application/vnd.oci.artifact.manifest.v1+json\"" },
	{ "{\"schemaVersion\":2,\"mediaType\":7," CFG ",\"layers\":[]}", NULL,
	  "manifest: mediaType: expected a string, got a number" },
	/* Content-Type against the body */
	{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_M "\"," CFG ",\"layers\":[]}", MT_DOCKER_M,
	  "manifest: Content-Type \"" MT_DOCKER_M
	  "\" disagrees with the body's mediaType \"" MT_OCI_M "\"" },
	{ "{\"schemaVersion\":2,\"manifests\":[]}", MT_OCI_M,
	  "manifest: Content-Type \"" MT_OCI_M "\" disagrees with the body, shaped like an index" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[]}", MT_DOCKER_L,
	  "manifest: Content-Type \"" MT_DOCKER_L
	  "\" disagrees with the body, shaped like a manifest" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[]}", "application/vnd.oci.image.config.v1+json",
	  "manifest: Content-Type \"" MT_OCI_C "\" is not a manifest media type" },
	/* config */
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\","
	  "\"digest\":\"" DA "\",\"size\":1},\"layers\":[]}",
	  NULL,
	  "manifest: config.mediaType: unsupported config media type "
	  "\"application/vnd.cncf.helm.config.v1+json\" (not a container image)" },
	{ "{\"schemaVersion\":2,\"layers\":[]}", NULL, "manifest: config: missing" },
	{ "{\"schemaVersion\":2,\"config\":[],\"layers\":[]}", NULL,
	  "manifest: config: expected an object, got an array" },
	{ "{\"schemaVersion\":2," CFG "}", NULL, "manifest: layers: missing" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":{}}", NULL,
	  "manifest: layers: expected an array, got an object" },
	/* layers */
	{ MANIFEST("") "", NULL, NULL }, /* (accepted: the base for the ones below) */
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(GZ) "," LAYER(
		  "application/vnd.cncf.helm.chart.content.v1.tar+gzip") "]}",
	  NULL,
	  "manifest: layers[1].mediaType: unsupported layer media type "
	  "\"application/vnd.cncf.helm.chart.content.v1.tar+gzip\"" },
	{ "{\"schemaVersion\":2," CFG
	  ",\"layers\":[" LAYER("application/vnd.oci.image.layer.v1.tar+bzip2") "]}",
	  NULL,
	  "manifest: layers[0].mediaType: unsupported layer media type "
	  "\"application/vnd.oci.image.layer.v1.tar+bzip2\"" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\",\"size\":-1}]}",
	  NULL, "manifest: layers[0].size: negative size" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\",\"size\":1.5}]}",
	  NULL, "manifest: layers[0].size: not an integer" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\",\"size\":\"12\"}]}",
	  NULL, "manifest: layers[0].size: expected a number, got a string" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\",\"size\":9007199254740993}]}",
	  NULL, "manifest: layers[0].size: 2^53 or larger" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\",\"size\":9007199254740992}]}",
	  NULL, "manifest: layers[0].size: 2^53 or larger" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\",\"size\":1e999}]}",
	  NULL, "manifest: layers[0].size: not an integer" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\"}]}",
	  NULL, "manifest: layers[0].size: missing" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"size\":1}]}", NULL,
	  "manifest: layers[0].digest: missing" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ
	  "\",\"digest\":\"sha256:abc\",\"size\":1}]}",
	  NULL, "manifest: layers[0].digest: sha256 needs 64 hex digits, got 3" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ
	  "\",\"digest\":\"sha256:../../etc/passwd\",\"size\":1}]}",
	  NULL, "manifest: layers[0].digest: '.' at offset 7 is not a hex digit" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"digest\":\"" DB "\",\"size\":1}]}", NULL,
	  "manifest: layers[0].mediaType: missing" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"\",\"digest\":\"" DB
	  "\",\"size\":1}]}",
	  NULL, "manifest: layers[0].mediaType: empty" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[7]}", NULL,
	  "manifest: layers[0]: expected an object, got a number" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\",\"size\":1,\"urls\":[\"https://x\",3]}]}",
	  NULL, "manifest: layers[0].urls[1]: expected a string, got a number" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\",\"size\":1,\"urls\":\"https://x\"}]}",
	  NULL, "manifest: layers[0].urls: expected an array, got a string" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\",\"size\":1,\"annotations\":{\"a\":true}}]}",
	  NULL,
	  "manifest: layers[0].annotations: value of \"a\": expected a string, got a boolean" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"" GZ "\",\"digest\":\"" DB
	  "\",\"size\":1,\"size\":2}]}",
	  NULL, "manifest: layers[0].size: duplicate key" },
	{ "{\"schemaVersion\":2," CFG ",\"layers\":[],\"layers\":[" LAYER(GZ) "]}", NULL,
	  "manifest: layers: duplicate key" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_M "\",\"mediaType\":\"" MT_OCI_I "\"," CFG
	  ",\"layers\":[]}",
	  NULL, "manifest: mediaType: duplicate key" },
	/* index entries */
	{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_M "\",\"digest\":\"" DA
	  "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}",
	  NULL, "image index: manifests[0].platform.architecture: missing" },
	{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_M "\",\"digest\":\"" DA
	  "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":"
	  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}]}",
	  NULL, "image index: manifests[0].platform.architecture: longer than 31 bytes" },
	{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_M "\",\"digest\":\"" DA
	  "\",\"size\":1,\"platform\":\"linux/amd64\"}]}",
	  NULL, "image index: manifests[0].platform: expected an object, got a string" },
	{ "{\"schemaVersion\":2,\"manifests\":{}}", NULL,
	  "image index: manifests: expected an array, got an object" },
	/* not JSON, or not one object */
	{ "", NULL, "manifest: not valid JSON (near byte 0)" },
	{ "{\"schemaVersion\":2,", NULL, "manifest: not valid JSON (near byte 18)" },
	{ "[1]", NULL, "manifest: expected a JSON object, got an array" },
	{ MANIFEST("") " {}", NULL, "manifest: data after the JSON document (byte 341)" },
	{ "{\"schemaVersion\":2,\"x\":\"a\\u0000b\"," CFG ",\"layers\":[]}", NULL,
	  "manifest: contains a \\u0000 escape" },
	/* an escaped backslash before "u0000" is no NUL escape */
	{ "{\"schemaVersion\":2,\"x\":\"a\\\\u0000b\"," CFG ",\"layers\":[]}", NULL, NULL },
	{ "{\"schemaVersion\":2,\"x\":\"a\\\\\\u0000b\"," CFG ",\"layers\":[]}", NULL,
	  "manifest: contains a \\u0000 escape" },
};

START_TEST(test_refusals)
{
	const struct refusal *c = &refusals[_i];
	struct pd_oci_manifest m;
	struct pd_error err = { 0 };
	int r;

	memset(&m, 0x55, sizeof(m));
	r = pd_oci_manifest_parse(c->body, strlen(c->body), c->ct, &m, &err);
	if (!c->msg) {
		ck_assert_msg(r == 0, "%s", err.msg);
		pd_oci_manifest_release(&m);
		return;
	}
	ck_assert_msg(r == -1, "accepted: %s", c->body);
	EXPECT_STR(err.msg, c->msg);
	EXPECT_INT(err.code, EINVAL);
	ck_assert_ptr_null(m.layers);
	ck_assert_ptr_null(m.manifests);
	EXPECT_UINT(m.n_layers, 0);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char body[] = "{\"schemaVersion\":2,\0}";
	struct pd_oci_manifest m;
	struct pd_oci_config c;
	struct pd_error err = { 0 };

	ck_assert_int_eq(pd_oci_manifest_parse(body, sizeof(body) - 1, NULL, &m, &err), -1);
	EXPECT_STR(err.msg, "manifest: contains a NUL byte");
	ck_assert_int_eq(pd_oci_config_parse(body, sizeof(body) - 1, &c, &err), -1);
	EXPECT_STR(err.msg, "image config: contains a NUL byte");
}
END_TEST

/* A growing text buffer for the big documents. */
struct buf {
	char *s;
	size_t n, cap;
};

static void put(struct buf *b, const char *s)
{
	size_t k = strlen(s);

	if (b->n + k + 1 > b->cap) {
		b->cap = (b->n + k + 1) * 2;
		b->s = realloc(b->s, b->cap);
		ck_assert_ptr_nonnull(b->s);
	}
	memcpy(b->s + b->n, s, k + 1);
	b->n += k;
}

static char *manifest_with_layers(size_t n)
{
	struct buf b = { NULL, 0, 0 };

	put(&b, "{\"schemaVersion\":2," CFG ",\"layers\":[");
	for (size_t i = 0; i < n; i++)
		put(&b, i ? "," LAYER(GZ) : LAYER(GZ));
	put(&b, "]}");
	return b.s;
}

static char *index_with_entries(size_t n)
{
	struct buf b = { NULL, 0, 0 };

	put(&b, "{\"schemaVersion\":2,\"manifests\":[");
	for (size_t i = 0; i < n; i++) {
		char e[300];

		snprintf(e, sizeof(e),
			 "%s{\"mediaType\":\"" MT_OCI_M "\",\"digest\":\"" DA
			 "\",\"size\":%zu,"
			 "\"platform\":{\"os\":\"linux\",\"architecture\":\"a%zu\"}}",
			 i ? "," : "", i, i);
		put(&b, e);
	}
	put(&b, "]}");
	return b.s;
}

START_TEST(test_limits)
{
	struct pd_oci_manifest m;
	struct pd_error err = { 0 };
	char *body;
	size_t which;

	body = manifest_with_layers(1000);
	ck_assert_msg(pd_oci_manifest_parse(body, strlen(body), NULL, &m, &err) == 0, "%s",
		      err.msg);
	EXPECT_UINT(m.n_layers, 1000);
	EXPECT_STR(m.layers[999].digest, DB);
	pd_oci_manifest_release(&m);
	free(body);
	body = manifest_with_layers(1001);
	ck_assert_int_eq(pd_oci_manifest_parse(body, strlen(body), NULL, &m, &err), -1);
	EXPECT_STR(err.msg, "manifest: layers: 1001 layers, more than the 1000 allowed");
	free(body);

	body = index_with_entries(1000);
	ck_assert_msg(pd_oci_manifest_parse(body, strlen(body), NULL, &m, &err) == 0, "%s",
		      err.msg);
	EXPECT_UINT(m.n_manifests, 1000);
	EXPECT_INT(m.manifests[999].size, 999);
	ck_assert_int_eq(pd_oci_index_select(&m, "linux", "a999", NULL, &which, &err), 0);
	EXPECT_UINT(which, 999);
	/* the list of platforms in the error is cut, not overflowed */
	ck_assert_int_eq(pd_oci_index_select(&m, "linux", "b", NULL, &which, &err), -1);
	ck_assert_msg(strstr(err.msg, "(available: linux/a0, linux/a1, ") &&
			      !strcmp(err.msg + strlen(err.msg) - 4, "...)"),
		      "%s", err.msg);
	pd_oci_manifest_release(&m);
	free(body);
	body = index_with_entries(1001);
	ck_assert_int_eq(pd_oci_manifest_parse(body, strlen(body), NULL, &m, &err), -1);
	EXPECT_STR(err.msg, "image index: manifests: 1001 entries, more than the 1000 allowed");
	free(body);

	/* 4 MiB exactly is read; one byte more is refused unread (EFBIG) */
	body = malloc(PD_OCI_MANIFEST_MAX + 1);
	ck_assert_ptr_nonnull(body);
	memset(body, ' ', PD_OCI_MANIFEST_MAX + 1);
	memcpy(body, MANIFEST(""), strlen(MANIFEST("")));
	ck_assert_msg(pd_oci_manifest_parse(body, PD_OCI_MANIFEST_MAX, NULL, &m, &err) == 0, "%s",
		      err.msg);
	EXPECT_UINT(m.n_layers, 1);
	pd_oci_manifest_release(&m);
	ck_assert_int_eq(pd_oci_manifest_parse(body, PD_OCI_MANIFEST_MAX + 1, NULL, &m, &err), -1);
	EXPECT_STR(err.msg, "manifest: 4194305 bytes, more than the 4194304 allowed");
	EXPECT_INT(err.code, EFBIG);
	free(body);
}
END_TEST

/* ---- configs ---- */

START_TEST(test_config_full)
{
	struct pd_oci_config c;
	struct pd_error err = { 0 };

	ck_assert_msg(pd_oci_config_parse(full_config, strlen(full_config), &c, &err) == 0, "%s",
		      err.msg);
	EXPECT_STR(c.os, "linux");
	EXPECT_STR(c.arch, "arm");
	EXPECT_STR(c.variant, "v7");
	EXPECT_STR(c.created, "2024-01-27T00:07:12.348912345Z");
	EXPECT_UINT(pd_strv_len(c.env), 3);
	EXPECT_STR(c.env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	EXPECT_STR(c.env[1], "EMPTY=");
	EXPECT_STR(c.env[2], "EQ=a=b");
	EXPECT_UINT(pd_strv_len(c.entrypoint), 1);
	EXPECT_STR(c.entrypoint[0], "/docker-entrypoint.sh");
	EXPECT_UINT(pd_strv_len(c.cmd), 3);
	EXPECT_STR(c.cmd[2], "daemon off;");
	EXPECT_STR(c.workdir, "/srv");
	EXPECT_STR(c.user, "1000:1000");
	EXPECT_STR(c.stop_signal, "SIGQUIT");
	EXPECT_UINT(c.n_labels, 2);
	EXPECT_STR(c.label_keys[0], "maintainer");
	EXPECT_STR(c.label_values[0], "NGINX <docker-maint@nginx.com>");
	EXPECT_STR(c.label_keys[1], "org.x");
	EXPECT_STR(c.label_values[1], "");
	ck_assert_ptr_null(c.label_keys[2]);
	EXPECT_UINT(c.n_diff_ids, 2);
	EXPECT_STR(c.diff_ids[0], DA);
	EXPECT_STR(c.diff_ids[1], DB);
	ck_assert_ptr_null(c.diff_ids[2]);
	pd_oci_config_release(&c);
	ck_assert_ptr_null(c.env);
	EXPECT_UINT(c.n_labels, 0);
}
END_TEST

START_TEST(test_config_minimal)
{
	/* null and absent are the same; [] is an empty vector, not NULL */
	static const char body[] =
		"{\"config\":{\"Entrypoint\":null,\"Cmd\":[],\"Env\":null,\"Labels\":null,"
		"\"WorkingDir\":null},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	static const char no_config[] = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	struct pd_oci_config c;
	struct pd_error err = { 0 };

	ck_assert_msg(pd_oci_config_parse(body, strlen(body), &c, &err) == 0, "%s", err.msg);
	ck_assert_ptr_null(c.entrypoint);
	ck_assert_ptr_nonnull(c.cmd);
	EXPECT_UINT(pd_strv_len(c.cmd), 0);
	ck_assert_ptr_null(c.env);
	ck_assert_ptr_null(c.workdir);
	ck_assert_ptr_null(c.user);
	EXPECT_UINT(c.n_labels, 0);
	EXPECT_UINT(c.n_diff_ids, 0);
	EXPECT_STR(c.os, "");
	EXPECT_STR(c.created, "");
	pd_oci_config_release(&c);

	/* no "config" at all */
	ck_assert_msg(pd_oci_config_parse(no_config, strlen(no_config), &c, &err) == 0, "%s",
		      err.msg);
	ck_assert_ptr_null(c.env);
	pd_oci_config_release(&c);
}
END_TEST

#define ROOTFS "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DA "\"]}"

static const struct refusal config_refusals[] = {
	{ "{\"config\":{\"Env\":[\"PATH\"]}," ROOTFS "}", NULL,
	  "image config: config.Env[0]: \"PATH\" has no '='" },
	{ "{\"config\":{\"Env\":[\"A=1\",\"=x\"]}," ROOTFS "}", NULL,
	  "image config: config.Env[1]: \"=x\": empty variable name" },
	{ "{\"config\":{\"Env\":[\"A=1\",2]}," ROOTFS "}", NULL,
	  "image config: config.Env[1]: expected a string, got a number" },
	{ "{\"config\":{\"Env\":\"A=1\"}," ROOTFS "}", NULL,
	  "image config: config.Env: expected an array, got a string" },
	{ "{\"config\":{\"Entrypoint\":\"/bin/sh -c\"}," ROOTFS "}", NULL,
	  "image config: config.Entrypoint: expected an array, got a string" },
	{ "{\"config\":{\"Cmd\":[[\"x\"]]}," ROOTFS "}", NULL,
	  "image config: config.Cmd[0]: expected a string, got an array" },
	{ "{\"config\":{\"User\":0}," ROOTFS "}", NULL,
	  "image config: config.User: expected a string, got a number" },
	{ "{\"config\":{\"WorkingDir\":[]}," ROOTFS "}", NULL,
	  "image config: config.WorkingDir: expected a string, got an array" },
	{ "{\"config\":{\"Labels\":{\"a\":\"1\",\"b\":2}}," ROOTFS "}", NULL,
	  "image config: config.Labels: value of \"b\": expected a string, got a number" },
	{ "{\"config\":{\"Labels\":{\"a\":\"1\",\"b\":\"2\",\"a\":\"3\"}}," ROOTFS "}", NULL,
	  "image config: config.Labels: duplicate key \"a\"" },
	{ "{\"config\":{\"Labels\":[]}," ROOTFS "}", NULL,
	  "image config: config.Labels: expected an object, got an array" },
	{ "{\"config\":[]," ROOTFS "}", NULL,
	  "image config: config: expected an object, got an array" },
	{ "{\"config\":{}}", NULL, "image config: rootfs: missing" },
	{ "{\"rootfs\":{\"diff_ids\":[]}}", NULL, "image config: rootfs.type: missing" },
	{ "{\"rootfs\":{\"type\":\"Layers\",\"diff_ids\":[]}}", NULL,
	  "image config: rootfs.type: must be \"layers\", got \"Layers\"" },
	{ "{\"rootfs\":{\"type\":\"layers\"}}", NULL, "image config: rootfs.diff_ids: missing" },
	{ "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DA
	  "\",\"sha1:" R4("0123456789") "\"]}}",
	  NULL,
	  "image config: rootfs.diff_ids[1]: unsupported digest algorithm \"sha1\" (sha256 or "
	  "sha512)" },
	{ "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[1]}}", NULL,
	  "image config: rootfs.diff_ids[0]: expected a string, got a number" },
	{ "{\"architecture\":\"" R64("x") "\"," ROOTFS "}", NULL,
	  "image config: architecture: longer than 31 bytes" },
	{ "{\"os\":1," ROOTFS "}", NULL, "image config: os: expected a string, got a number" },
	{ "{\"created\":\"" R64("1") "\"," ROOTFS "}", NULL,
	  "image config: created: longer than 63 bytes" },
	{ "{\"os\":\"linux\",\"os\":\"windows\"," ROOTFS "}", NULL,
	  "image config: os: duplicate key" },
	{ "[]", NULL, "image config: expected a JSON object, got an array" },
	{ "{", NULL, "image config: not valid JSON (near byte 0)" },
};

START_TEST(test_config_refusals)
{
	const struct refusal *c = &config_refusals[_i];
	struct pd_oci_config cfg;
	struct pd_error err = { 0 };

	memset(&cfg, 0x55, sizeof(cfg));
	ck_assert_msg(pd_oci_config_parse(c->body, strlen(c->body), &cfg, &err) == -1,
		      "accepted: %s", c->body);
	EXPECT_STR(err.msg, c->msg);
	EXPECT_INT(err.code, EINVAL);
	ck_assert_ptr_null(cfg.env);
	ck_assert_ptr_null(cfg.diff_ids);
	ck_assert_ptr_null(cfg.label_keys);
}
END_TEST

START_TEST(test_config_limits)
{
	struct buf b = { NULL, 0, 0 };
	struct pd_oci_config c;
	struct pd_error err = { 0 };
	char *big;

	put(&b, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (size_t i = 0; i < 1000; i++)
		put(&b, i ? ",\"" DC "\"" : "\"" DC "\"");
	put(&b, "]}}");
	ck_assert_msg(pd_oci_config_parse(b.s, b.n, &c, &err) == 0, "%s", err.msg);
	EXPECT_UINT(c.n_diff_ids, 1000);
	pd_oci_config_release(&c);
	b.n -= 3;
	put(&b, ",\"" DC "\"]}}");
	ck_assert_int_eq(pd_oci_config_parse(b.s, b.n, &c, &err), -1);
	EXPECT_STR(err.msg,
		   "image config: rootfs.diff_ids: 1001 layers, more than the 1000 allowed");
	free(b.s);

	big = malloc(PD_OCI_CONFIG_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', PD_OCI_CONFIG_MAX + 1);
	memcpy(big, "{" ROOTFS "}", strlen("{" ROOTFS "}"));
	ck_assert_msg(pd_oci_config_parse(big, PD_OCI_CONFIG_MAX, &c, &err) == 0, "%s", err.msg);
	EXPECT_UINT(c.n_diff_ids, 1);
	pd_oci_config_release(&c);
	ck_assert_int_eq(pd_oci_config_parse(big, PD_OCI_CONFIG_MAX + 1, &c, &err), -1);
	EXPECT_STR(err.msg, "image config: 4194305 bytes, more than the 4194304 allowed");
	EXPECT_INT(err.code, EFBIG);
	free(big);
}
END_TEST

/* ---- platforms ---- */

START_TEST(test_platform_parse)
{
	static const struct {
		const char *in, *os, *arch, *variant, *formatted;
	} ok[] = {
		{ "linux/amd64", "linux", "amd64", "", "linux/amd64" },
		{ "linux/x86_64", "linux", "amd64", "", "linux/amd64" },
		{ "linux/amd64/v1", "linux", "amd64", "", "linux/amd64" },
		{ "linux/amd64/v3", "linux", "amd64", "v3", "linux/amd64/v3" },
		{ "Linux/ARM64/V8", "linux", "arm64", "", "linux/arm64" },
		{ "linux/aarch64", "linux", "arm64", "", "linux/arm64" },
		{ "linux/arm64/9", "linux", "arm64", "v9", "linux/arm64/v9" },
		{ "linux/arm", "linux", "arm", "v7", "linux/arm/v7" },
		{ "linux/arm/6", "linux", "arm", "v6", "linux/arm/v6" },
		{ "linux/armhf", "linux", "arm", "v7", "linux/arm/v7" },
		{ "linux/armel", "linux", "arm", "v6", "linux/arm/v6" },
		{ "linux/i386", "linux", "386", "", "linux/386" },
		{ "windows/amd64", "windows", "amd64", "", "windows/amd64" },
		{ "linux/ppc64le", "linux", "ppc64le", "", "linux/ppc64le" },
	};
	static const char *const bad[] = {
		"linux",   "linux/",       "/amd64",           "linux//v7", "linux/amd64/",
		"a/b/c/d", "linux/amd 64", "linux/arm64/v8/x", "",          "linux/" R4("abcdefgh"),
	};
	struct pd_platform p;
	struct pd_error err = { 0 };
	char buf[128];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(pd_platform_parse(ok[i].in, &p, &err) == 0, "%s: %s", ok[i].in,
			      err.msg);
		EXPECT_STR(p.os, ok[i].os);
		EXPECT_STR(p.arch, ok[i].arch);
		EXPECT_STR(p.variant, ok[i].variant);
		EXPECT_INT(pd_platform_format(&p, buf, sizeof(buf)), strlen(ok[i].formatted));
		EXPECT_STR(buf, ok[i].formatted);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(pd_platform_parse(bad[i], &p, &err) == -1, "\"%s\" was accepted",
			      bad[i]);
	ck_assert_int_eq(pd_platform_parse("linux", &p, &err), -1);
	EXPECT_STR(err.msg, "platform \"linux\": expected os/arch[/variant]");
	ck_assert_int_eq(pd_platform_parse("a/b/c/d", &p, &err), -1);
	EXPECT_STR(err.msg,
		   "platform \"a/b/c/d\": expected os/arch[/variant], each part letters, "
		   "digits, '_', '.' or '-' (at most 31)");
	EXPECT_INT(err.code, EINVAL);
	/* 31 bytes fit */
	ck_assert_msg(pd_platform_parse("l/abcdefghabcdefghabcdefghabcdefg", &p, &err) == 0, "%s",
		      err.msg);
	EXPECT_UINT(strlen(p.arch), 31);
	errno = 0;
	EXPECT_INT(pd_platform_format(&p, buf, 10), -1);
	EXPECT_INT(errno, ENOSPC);
}
END_TEST

START_TEST(test_platform_machine)
{
	static const struct {
		const char *machine, *arch, *variant;
	} t[] = {
		{ "x86_64", "amd64", "" },    { "aarch64", "arm64", "" },
		{ "armv7l", "arm", "v7" },    { "armv6l", "arm", "v6" },
		{ "armv5tel", "arm", "v5" },  { "armv8l", "arm", "v8" },
		{ "i686", "386", "" },        { "i386", "386", "" },
		{ "ppc64le", "ppc64le", "" }, { "s390x", "s390x", "" },
		{ "riscv64", "riscv64", "" }, { "loongarch64", "loong64", "" },
	};
	struct pd_platform p, host;
	struct pd_error err = { 0 };
	struct utsname u;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_msg(pd_platform_from_machine(t[i].machine, &p, &err) == 0, "%s: %s",
			      t[i].machine, err.msg);
		EXPECT_STR(p.os, "linux");
		EXPECT_STR(p.arch, t[i].arch);
		EXPECT_STR(p.variant, t[i].variant);
	}
	ck_assert_int_eq(pd_platform_from_machine("pdp11", &p, &err), -1);
	EXPECT_STR(err.msg, "machine \"pdp11\": no OCI architecture known for it");
	ck_assert_int_eq(pd_platform_from_machine("x86_64x", &p, &err), -1);

	ck_assert_int_eq(uname(&u), 0);
	ck_assert_msg(pd_platform_host(&host, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(pd_platform_from_machine(u.machine, &p, &err), 0);
	EXPECT_STR(host.os, "linux");
	EXPECT_STR(host.arch, p.arch);
	EXPECT_STR(host.variant, p.variant);
}
END_TEST

/* ---- index chains ---- */

START_TEST(test_chain)
{
	static const char *const d[] = { DA, DB, DC, DD, DE, DF };
	struct pd_oci_chain c = { .n = 0 };
	struct pd_error err = { 0 };

	for (size_t i = 0; i < 5; i++)
		ck_assert_msg(pd_oci_chain_push(&c, d[i], &err) == 0, "%zu: %s", i, err.msg);
	EXPECT_UINT(c.n, PD_OCI_INDEX_DEPTH_MAX + 1);
	ck_assert(pd_oci_chain_seen(&c, DC));
	ck_assert(!pd_oci_chain_seen(&c, DF));
	ck_assert_int_eq(pd_oci_chain_push(&c, DF, &err), -1);
	EXPECT_INT(err.code, E2BIG);
	EXPECT_STR(err.msg, "image indexes nested more than 4 deep (at " DF ")");
	ck_assert_int_eq(pd_oci_chain_push(&c, DB, &err), -1);
	EXPECT_INT(err.code, ELOOP);
	EXPECT_STR(err.msg, "image index loop: " DB " refers back to itself");

	c.n = 0;
	ck_assert_int_eq(pd_oci_chain_push(&c, DA, &err), 0);
	ck_assert_int_eq(pd_oci_chain_push(&c, DA, &err), -1);
	EXPECT_INT(err.code, ELOOP);
	ck_assert_int_eq(pd_oci_chain_push(&c, "sha256:xyz", &err), -1);
	EXPECT_INT(err.code, EINVAL);
	EXPECT_STR(err.msg,
		   "image index: digest \"sha256:xyz\": 'x' at offset 7 is not a hex digit");
	EXPECT_UINT(c.n, 1);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *oci_manifest_suite(void)
{
	Suite *s = suite_create("oci_manifest");
	TCase *tm = tcase_create("manifest");
	TCase *ti = tcase_create("index");
	TCase *tc = tcase_create("config");
	TCase *tp = tcase_create("platform");

	tcase_add_test(tm, test_docker_manifest);
	tcase_add_test(tm, test_oci_zstd_manifest);
	tcase_add_test(tm, test_every_layer_type);
	tcase_add_loop_test(tm, test_refusals, 0, N(refusals));
	tcase_add_test(tm, test_nul_byte);
	tcase_add_test(tm, test_limits);
	tcase_set_timeout(tm, 30);
	tcase_add_test(ti, test_alpine_index);
	tcase_add_test(ti, test_layout_ref_names);
	tcase_add_test(ti, test_alpine_select);
	tcase_add_test(ti, test_select_errors);
	tcase_add_test(ti, test_docker_list);
	tcase_add_test(ti, test_select_amd64_levels);
	tcase_add_test(ti, test_select_no_platform);
	tcase_add_test(ti, test_chain);
	tcase_add_test(tc, test_config_full);
	tcase_add_test(tc, test_config_minimal);
	tcase_add_loop_test(tc, test_config_refusals, 0, N(config_refusals));
	tcase_add_test(tc, test_config_limits);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tp, test_platform_parse);
	tcase_add_test(tp, test_platform_machine);
	suite_add_tcase(s, tm);
	suite_add_tcase(s, ti);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tp);
	return s;
}

PD_UNIT_SUITE(oci_manifest_suite);
