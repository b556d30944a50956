/* SPDX-License-Identifier: MIT */
/* Unit tests for oci/docker_archive.c (a `docker save` manifest.json). */
#include "unit.h"

#include "oci/docker_archive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int parse(const char *s, struct pd_docker_archive *a, struct pd_error *e)
{
	return pd_docker_archive_parse(s, strlen(s), a, e);
}

START_TEST(test_docker_save)
{
	static const char doc[] =
		"[{\"Config\":\"abc.json\",\"RepoTags\":[\"busybox:latest\",\"x/y:1\"],"
		"\"Layers\":[\"1/layer.tar\",\"2/layer.tar\"],\"LayerSources\":{}},"
		"{\"Config\":\"def.json\",\"RepoTags\":null,\"Layers\":[\"3/layer.tar\"]}]";
	struct pd_docker_archive a;
	struct pd_error e = { 0 };

	ck_assert_msg(parse(doc, &a, &e) == 0, "%s", e.msg);
	EXPECT_INT(a.n_images, 2);
	EXPECT_STR(a.images[0].config, "abc.json");
	EXPECT_STR(a.images[0].repo_tags[0], "busybox:latest");
	EXPECT_STR(a.images[0].repo_tags[1], "x/y:1");
	ck_assert_ptr_null(a.images[0].repo_tags[2]);
	EXPECT_INT(a.images[0].n_layers, 2);
	EXPECT_STR(a.images[0].layers[1], "2/layer.tar");
	ck_assert_ptr_null(a.images[0].layers[2]);
	ck_assert_ptr_null(a.images[1].repo_tags[0]); /* null: no tags */
	EXPECT_INT(a.images[1].n_layers, 1);
	pd_docker_archive_release(&a);
	ck_assert_ptr_null(a.images);
}
END_TEST

START_TEST(test_refusals)
{
	static const struct {
		const char *doc, *why;
	} bad[] = {
		{ "", "not JSON" },
		{ "{}", "not an array of images" },
		{ "[]", "0 images" },
		{ "[1]", "image 0 is not an object" },
		{ "[{\"Layers\":[\"a\"]}]", "image 0 has no Config" },
		{ "[{\"Config\":5,\"Layers\":[\"a\"]}]", "Config is not a string" },
		{ "[{\"Config\":\"\",\"Layers\":[\"a\"]}]", "Config is empty" },
		{ "[{\"Config\":\"c\"}]", "Layers is missing or empty" },
		{ "[{\"Config\":\"c\",\"Layers\":[]}]", "Layers is missing or empty" },
		{ "[{\"Config\":\"c\",\"Layers\":[1]}]", "Layers is not a string" },
		{ "[{\"Config\":\"c\",\"Layers\":[\"\\u0000x\"]}]", "Layers is empty" },
		{ "[{\"Config\":\"c\",\"RepoTags\":\"t\",\"Layers\":[\"a\"]}]",
		  "RepoTags is not an array" },
		{ "[{\"Config\":\"c\",\"Layers\":[\"a\"]},2]", "image 1 is not an object" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_docker_archive a;
		struct pd_error e = { 0 };

		ck_assert_msg(parse(bad[i].doc, &a, &e) < 0, "accepted: %s", bad[i].doc);
		ck_assert_msg(strstr(e.msg, bad[i].why) != NULL, "%s: %s", bad[i].doc, e.msg);
		ck_assert_msg(strncmp(e.msg, "manifest.json: ", 15) == 0, "%s", e.msg);
		ck_assert_ptr_null(a.images);
	}
}
END_TEST

START_TEST(test_limits)
{
	char *doc;
	size_t cap = 64 + (PD_DOCKER_ARCHIVE_MAX_LAYERS + 1) * 6, off;
	struct pd_docker_archive a;
	struct pd_error e = { 0 };

	/* one layer too many */
	doc = malloc(cap);
	off = (size_t)snprintf(doc, cap, "[{\"Config\":\"c\",\"Layers\":[");
	for (int i = 0; i <= PD_DOCKER_ARCHIVE_MAX_LAYERS; i++)
		off += (size_t)snprintf(doc + off, cap - off, "%s\"l\"", i ? "," : "");
	snprintf(doc + off, cap - off, "]}]");
	EXPECT_INT(parse(doc, &a, &e), -1);
	ck_assert_msg(strstr(e.msg, "more than 1024 Layers") != NULL, "%s", e.msg);
	free(doc);
	/* a name one byte too long */
	cap = PD_DOCKER_ARCHIVE_PATH_MAX + 64;
	doc = malloc(cap);
	off = (size_t)snprintf(doc, cap, "[{\"Config\":\"");
	memset(doc + off, 'c', PD_DOCKER_ARCHIVE_PATH_MAX + 1);
	off += PD_DOCKER_ARCHIVE_PATH_MAX + 1;
	snprintf(doc + off, cap - off, "\",\"Layers\":[\"a\"]}]");
	EXPECT_INT(parse(doc, &a, &e), -1);
	ck_assert_msg(strstr(e.msg, "longer than 1024") != NULL, "%s", e.msg);
	free(doc);
	EXPECT_INT(pd_docker_archive_parse("[", (4u << 20) + 1, &a, &e), -1);
	EXPECT_INT(e.code, EFBIG);
}
END_TEST

static Suite *docker_archive_suite(void)
{
	Suite *s = suite_create("docker_archive");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_docker_save);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(docker_archive_suite);
