/* SPDX-License-Identifier: MIT */
/* oci/store.c: blobs, layers, image records and names in a scratch store. */
#include "unit.h"
#include "oci/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define M1 "sha256:aaaa111111111111111111111111111111111111111111111111111111111111"
#define M2 "sha256:aaaa222222222222222222222222222222222222222222222222222222222222"

static char *dir;
static struct pd_store *s;

static void setup(void)
{
	struct pd_error err = { 0 };
	char *root;

	dir = pd_unit_tmpdir();
	root = malloc(strlen(dir) + 16);
	snprintf(root, strlen(dir) + 16, "%s/st/ore", dir);
	s = pd_store_open(root, &err);
	ck_assert_msg(s != NULL, "open: %s", err.msg);
	free(root);
}

static void teardown(void)
{
	pd_store_close(s);
	pd_unit_rmrf(dir);
	free(dir);
}

START_TEST(store_layout_private)
{
	struct stat st;
	char p[4096];

	snprintf(p, sizeof(p), "%s/st/ore", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	EXPECT_UINT(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/st/ore/blobs/sha256", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

START_TEST(store_hex)
{
	EXPECT_STR(pd_store_hex(D1), D1 + 7);
	ck_assert_ptr_null(pd_store_hex("sha256:../../etc/passwd"));
	ck_assert_ptr_null(pd_store_hex("sha512:11"));
	ck_assert_ptr_null(pd_store_hex(D1 "0"));
	ck_assert_ptr_null(pd_store_hex(
		"sha256:AAAA111111111111111111111111111111111111111111111111111111111111"));
	ck_assert_ptr_null(pd_store_hex(NULL));
}
END_TEST

START_TEST(store_blobs)
{
	struct pd_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;

	ck_assert(!pd_store_has_blob(s, D1));
	ck_assert_int_eq(pd_store_write_blob(s, D1, "hello", 5, &err), 0);
	ck_assert(pd_store_has_blob(s, D1));
	ck_assert_int_eq(pd_store_read_blob(s, D1, 100, &buf, &len, &err), 0);
	EXPECT_UINT(len, 5);
	EXPECT_STR(buf, "hello");
	free(buf);
	ck_assert_int_eq(pd_store_read_blob(s, D1, 4, &buf, &len, &err), -1);
	EXPECT_INT(err.code, EFBIG);
	ck_assert_int_eq(pd_store_blob_open(s, "sha256:x", &err), -1);
	EXPECT_INT(err.code, EINVAL);
	ck_assert_int_eq(pd_store_blob_open(s, D2, &err), -1);
	EXPECT_INT(err.code, ENOENT);
}
END_TEST

START_TEST(store_layers)
{
	struct pd_error err = { 0 };
	char tmp[4096], tmp2[4096], path[4096], want[4096];

	ck_assert_int_eq(pd_store_tmp_dir(s, tmp, sizeof(tmp), &err), 0);
	ck_assert_int_eq(pd_store_tmp_dir(s, tmp2, sizeof(tmp2), &err), 0);
	ck_assert_str_ne(tmp, tmp2);
	ck_assert(!pd_store_has_layer(s, D3));
	EXPECT_INT(pd_store_layer_commit(s, tmp, D3, &err), 1);
	ck_assert(pd_store_has_layer(s, D3));
	/* a second unpack of the same layer loses the race and keeps its tmp */
	EXPECT_INT(pd_store_layer_commit(s, tmp2, D3, &err), 0);
	ck_assert_int_eq(access(tmp2, F_OK), 0);
	ck_assert_int_eq(pd_store_layer_path(s, D3, path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/st/ore/layers/%s", dir, D3 + 7);
	EXPECT_STR(path, want);
	/* only the store's own temporary dirs are committed */
	EXPECT_INT(pd_store_layer_commit(s, "/etc", D2, &err), -1);
	EXPECT_INT(err.code, EINVAL);
}
END_TEST

static void fill(struct pd_store_image *img, const char *m, size_t nl)
{
	memset(img, 0, sizeof(*img));
	snprintf(img->manifest, sizeof(img->manifest), "%s", m);
	snprintf(img->config, sizeof(img->config), "%s", D1);
	snprintf(img->platform, sizeof(img->platform), "linux/amd64");
	snprintf(img->created, sizeof(img->created), "2026-01-01T00:00:00Z");
	img->pulled = 1234;
	img->n_layers = nl;
	img->layers = calloc(nl, sizeof(*img->layers));
	for (size_t i = 0; i < nl; i++) {
		snprintf(img->layers[i].digest, sizeof(img->layers[i].digest), "%s", D2);
		snprintf(img->layers[i].diff_id, sizeof(img->layers[i].diff_id), "%s", D3);
		snprintf(img->layers[i].media_type, sizeof(img->layers[i].media_type),
			 "application/vnd.oci.image.layer.v1.tar+gzip");
		img->layers[i].size = 42 + (int64_t)i;
	}
}

START_TEST(store_images)
{
	struct pd_error err = { 0 };
	struct pd_store_image a, b, got, *all;
	size_t n;

	fill(&a, M1, 2);
	fill(&b, M2, 1);
	ck_assert_int_eq(pd_store_image_put(s, &a, "reg.test/x:1", &err), 0);
	ck_assert_int_eq(pd_store_image_put(s, &a, "reg.test/x:latest", &err), 0);
	ck_assert_int_eq(pd_store_image_put(s, &b, "reg.test/y:1", &err), 0);
	/* a tag moves to the newer image */
	ck_assert_int_eq(pd_store_image_put(s, &b, "reg.test/x:1", &err), 0);

	EXPECT_INT(pd_store_image_get(s, "reg.test/x:latest", &got, &err), 1);
	EXPECT_STR(got.manifest, M1);
	EXPECT_UINT(got.n_layers, 2);
	EXPECT_INT(got.layers[1].size, 43);
	EXPECT_STR(got.layers[0].diff_id, D3);
	EXPECT_STR(got.platform, "linux/amd64");
	EXPECT_INT(got.pulled, 1234);
	EXPECT_STR(got.names[0], "reg.test/x:latest");
	ck_assert_ptr_null(got.names[1]);
	pd_store_image_release(&got);

	EXPECT_INT(pd_store_image_get(s, "reg.test/x:1", &got, &err), 1);
	EXPECT_STR(got.manifest, M2);
	pd_store_image_release(&got);
	EXPECT_INT(pd_store_image_get(s, M1, &got, &err), 1);
	pd_store_image_release(&got);
	EXPECT_INT(pd_store_image_get(s, "aaaa22222222", &got, &err), 1);
	EXPECT_STR(got.manifest, M2);
	pd_store_image_release(&got);
	/* ambiguous prefix, unknown name */
	EXPECT_INT(pd_store_image_get(s,
				      "aaaa11111111"
				      "1",
				      &got, &err),
		   1);
	pd_store_image_release(&got);
	EXPECT_INT(pd_store_image_get(s, "aaaa00000000", &got, &err), 0);
	EXPECT_INT(pd_store_image_get(s, "aaaa", &got, &err), 0);
	EXPECT_INT(pd_store_image_get(s, "reg.test/none:1", &got, &err), 0);

	ck_assert_int_eq(pd_store_images(s, &all, &n, &err), 0);
	EXPECT_UINT(n, 2);
	pd_store_images_free(all, n);
	free(a.layers);
	free(b.layers);
}
END_TEST

START_TEST(store_lock_excludes)
{
	struct pd_error err = { 0 };
	int a = pd_store_lock(s, "x", &err), b;
	char p[4096];

	ck_assert_int_ge(a, 0);
	snprintf(p, sizeof(p), "%s/st/ore/locks/x.lock", dir);
	b = open(p, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(flock(b, LOCK_EX | LOCK_NB), -1);
	EXPECT_INT(errno, EWOULDBLOCK);
	pd_store_unlock(a);
	ck_assert_int_eq(flock(b, LOCK_EX | LOCK_NB), 0);
	close(b);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *su = suite_create("store");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, store_layout_private);
	tcase_add_test(tc, store_hex);
	tcase_add_test(tc, store_blobs);
	tcase_add_test(tc, store_layers);
	tcase_add_test(tc, store_images);
	tcase_add_test(tc, store_lock_excludes);
	suite_add_tcase(su, tc);
	return su;
}

PD_UNIT_SUITE(store_suite);
