/* SPDX-License-Identifier: MIT */
/*
 * test_subid.c - the /etc/subuid parser (pd_subid_find) and the free-range
 * finder (pd_subid_free_start) of runtime/subid.c.  Pure text in, numbers
 * out: nothing here touches the host's files.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "common/util.h"
#include "runtime/idmap.h"

static const char subuid[] =
	"# comment:1:65536\n"
	"alice:100000:65536\n"
	"1001:200000:65536\n"
	"small:300000:100\n"
	"small:400000:65536\n"
	"bad:x:65536\n"
	"bad2:1:\n"
	"bad3:1\n"
	"bad4\n"
	"bad5:-1:65536\n"
	"bad6::65536\n"
	"bad7:1:0x\n"
	"bad8:08:65536\n"
	"bad9: 1:65536\n"
	"bad10:+1:65536\n"
	"bad11:0xg:65536\n"
	"bad12:0x100000000:65536\n"
	"hex:0x30000:0X10000\n"
	"oct:0400000:0200000\n"
	":500000:65536\n"
	"zero:600000:0\n"
	"over:4294967295:2\n"
	"ovf:4294901760:65536\n"
	"top:4294901759:65536\n"
	"long:000000000000001:65536\n"
	"toolong:0000000000000001:65536\n"
	"crlf:700000:65536\r\n"
	"extra:1:2:3\n"
	"\n"
	"nul\0x:750000:65536\n"
	"last:800000:65536";

#define SUBUID_LEN (sizeof(subuid) - 1)

static void expect_find(const char *user, uint32_t uid, uint32_t min, uint32_t start,
			uint32_t count)
{
	struct pd_subid_range r = { 0, 0 };
	int found = pd_subid_find(subuid, SUBUID_LEN, user, uid, min, &r);

	ck_assert_msg(found == 1 && r.start == start && r.count == count,
		      "find %s/%u min %u: expected 1 %u:%u, got %d %u:%u", user ? user : "(null)",
		      uid, min, start, count, found, r.start, r.count);
}

static void expect_none(const char *user, uint32_t uid, uint32_t min)
{
	struct pd_subid_range r = { 0, 0 };
	int found = pd_subid_find(subuid, SUBUID_LEN, user, uid, min, &r);

	ck_assert_msg(found == 0, "find %s/%u min %u: expected none, got %d %u:%u",
		      user ? user : "(null)", uid, min, found, r.start, r.count);
}

START_TEST(find_by_name_and_uid)
{
	expect_find("alice", 4000, 65536, 100000, 65536);
	expect_find("bob", 1001, 65536, 200000, 65536); /* by numeric uid */
	expect_find(NULL, 1001, 65536, 200000, 65536);
	expect_find("alice", 1001, 65536, 100000, 65536);    /* first line that matches either */
	expect_find("last", 4000, 1, 800000, 65536);         /* no trailing newline */
	expect_find("crlf", 4000, 65536, 700000, 65536);     /* CRLF line */
	expect_find("long", 4000, 65536, 1, 65536);          /* 15 digits: still a number */
	expect_find("top", 4000, 65536, 4294901759u, 65536); /* ends exactly at UINT32_MAX */
	expect_find("hex", 4000, 65536, 0x30000, 65536);     /* as shadow reads it: base 0 */
	expect_find("oct", 4000, 65536, 0400000, 65536);
	expect_none("bob", 1002, 1);
	expect_none("alic", 4000, 1);
	expect_none("alicee", 4000, 1);
	expect_none(NULL, 100, 1); /* "1001" is not uid 100 */
	expect_none(NULL, 10011, 1);
}
END_TEST

START_TEST(find_skips_small)
{
	expect_find("small", 4000, 65536, 400000, 65536);
	expect_find("small", 4000, 100, 300000, 100);
	expect_find("small", 4000, 0, 300000, 100);
	expect_none("small", 4000, 65537);
	expect_none("alice", 4000, 65537);
}
END_TEST

START_TEST(find_skips_malformed)
{
	static const char *const bad[] = {
		"bad",  "bad2",  "bad3",  "bad4",    "bad5",      "bad6", "bad7",
		"bad8", "bad9",  "bad10", "bad11",   "bad12",     "zero", "over",
		"ovf",  "extra", "nul",   "toolong", "# comment", "#",    "",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_none(bad[i], 4000, 0);
	expect_none(NULL, 4000, 0);
	{
		struct pd_subid_range r;

		EXPECT_INT(pd_subid_find("", 0, "alice", 0, 0, &r), 0);
		EXPECT_INT(pd_subid_find(subuid, 5, "alice", 0, 0, &r), 0);
	}
}
END_TEST

START_TEST(find_bounded)
{
	/* Exact-size heap copy with no NUL: ASan sees any read past @len. */
	static const char line[] = "u:10:65536";
	char *heap = pd_xmalloc(sizeof(line) - 1);
	struct pd_subid_range r = { 0, 0 };

	memcpy(heap, line, sizeof(line) - 1);
	EXPECT_INT(pd_subid_find(heap, sizeof(line) - 1, "u", 0, 1, &r), 1);
	EXPECT_INT(r.count, 65536);
	EXPECT_INT(pd_subid_find(heap, sizeof(line) - 2, "u", 0, 1, &r), 1); /* "u:10:6553" */
	EXPECT_INT(r.count, 6553);
	EXPECT_INT(pd_subid_find(heap, 5, "u", 0, 1, &r), 0); /* "u:10:" */
	free(heap);
}
END_TEST

/* ---- pd_subid_free_start ---- */

#define FLOOR 0x70000000u
#define COUNT 65536u

static void expect_free(const char *a, const char *b, uint32_t floor, uint32_t count, uint32_t want)
{
	uint32_t s = 4242;
	int r = pd_subid_free_start(a, strlen(a), b, strlen(b), floor, count, &s);

	ck_assert_msg(
		r == 0 && s == want,
		"free_start floor %u count %u: expected 0 and %u (0x%x), got %d and %u (0x%x)",
		floor, count, want, want, r, s, s);
}

START_TEST(free_start_empty)
{
	expect_free("", "", FLOOR, COUNT, FLOOR);
	expect_free("", "", 0, COUNT, 0);
	expect_free("", "", 1, COUNT, COUNT); /* aligned up */
	expect_free("", "", 100, COUNT, COUNT);
	expect_free("", "", COUNT, COUNT, COUNT);
	expect_free("", "", FLOOR + 1, COUNT, FLOOR + COUNT);
	expect_free("", "", 5, 1, 5);
	expect_free("", "", 5, 4, 8);
	expect_free("# only a comment\n\njunk\n", "x:y:z\n", FLOOR, COUNT, FLOOR);
}
END_TEST

START_TEST(free_start_overlap)
{
	/* 0x70000000 = 1879048192 */
	expect_free("x:1879048192:10\n", "", FLOOR, COUNT, FLOOR + COUNT); /* in a */
	expect_free("", "x:1879048192:10\n", FLOOR, COUNT, FLOOR + COUNT); /* in b */
	expect_free("x:1879048192:10\n", "y:1879113728:1\n", FLOOR, COUNT, FLOOR + 2 * COUNT);
	expect_free("x:1879113727:1\n", "", FLOOR, COUNT, FLOOR + COUNT); /* last id of the block */
	expect_free("x:1879048000:192\n", "", FLOOR, COUNT, FLOOR);       /* ends right before */
	expect_free("x:1879048000:193\n", "", FLOOR, COUNT, FLOOR + COUNT); /* one id into it */
	expect_free("x:1879113728:65536\n", "", FLOOR, COUNT, FLOOR);       /* starts right after */
	expect_free("x:100000:2000000000\n", "", FLOOR, COUNT, 2000100000u / COUNT * COUNT + COUNT);
	expect_free("a:1879048192:65536\nb:1879113728:65536\n", "c:1879179264:65536\r\n", FLOOR,
		    COUNT, FLOOR + 3 * COUNT);
	/* Malformed lines never block a range. */
	expect_free("x:1879048192:0\nx:1879048192\nx:abc:10\n:1879048192:10\n", "", FLOOR, COUNT,
		    FLOOR);
	expect_free("x:5:1\n", "", 5, 1, 6);
	expect_free("x:4:4\n", "y:8:1\n", 0, 4, 0); /* [0,4) is free */
	expect_free("x:4:4\n", "y:8:1\n", 1, 4, 12);
}
END_TEST

START_TEST(free_start_full)
{
	uint32_t s = 4242;

	errno = 0;
	EXPECT_INT(pd_subid_free_start("x:0:4294967295\n", 15, "", 0, FLOOR, COUNT, &s), -1);
	EXPECT_INT(errno, ERANGE);
	EXPECT_INT(s, 4242);

	errno = 0;
	EXPECT_INT(pd_subid_free_start("x:1879048192:2415919103\n", 24, "", 0, FLOOR, COUNT, &s),
		   -1);
	EXPECT_INT(errno, ERANGE);

	/* The top block would reach id 2^32-1 (the invalid id): never handed out. */
	errno = 0;
	EXPECT_INT(pd_subid_free_start("", 0, "", 0, 0xffff0000u, COUNT, &s), -1);
	EXPECT_INT(errno, ERANGE);
	expect_free("", "", 0xfffe0000u, COUNT, 0xfffe0000u);
	expect_free("", "", 0xfffe0001u, 1, 0xfffe0001u);

	/* Split across both files. */
	errno = 0;
	EXPECT_INT(pd_subid_free_start("x:0:2147483648\n", 15, "y:2147483648:2147483647\n", 24, 0,
				       COUNT, &s),
		   -1);
	EXPECT_INT(errno, ERANGE);
}
END_TEST

/*
 * Regression (was a bug: run it
 * with CK_FORK=yes, it kills the process): @count 0 divides by zero (SIGFPE)
 * in the alignment of pd_subid_free_start().  The one caller passes 65536.
 */
START_TEST(bug_free_start_count_zero)
{
	uint32_t s = 4242;

	errno = 0;
	EXPECT_INT(pd_subid_free_start("", 0, "", 0, FLOOR, 0, &s), -1);
}
END_TEST

/* A NUL inside a line ends no number early: the line is not an entry. */
START_TEST(test_find_nul_in_number)
{
	static const char text[] = "alice:100000\0x:65536\nbob:1\0:5\n";
	struct pd_subid_range r = { 0, 0 };

	EXPECT_INT(pd_subid_find(text, sizeof(text) - 1, "alice", 0, 1, &r), 0);
	EXPECT_INT(pd_subid_find(text, sizeof(text) - 1, "bob", 0, 1, &r), 0);
}
END_TEST

static Suite *subid_suite(void)
{
	Suite *s = suite_create("subid");
	TCase *tc = tcase_create("subid");

	tcase_add_test(tc, test_find_nul_in_number);
	tcase_add_test(tc, find_by_name_and_uid);
	tcase_add_test(tc, find_skips_small);
	tcase_add_test(tc, find_skips_malformed);
	tcase_add_test(tc, find_bounded);
	tcase_add_test(tc, free_start_empty);
	tcase_add_test(tc, free_start_overlap);
	tcase_add_test(tc, free_start_full);
	tcase_add_test(tc, bug_free_start_count_zero);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(subid_suite);
