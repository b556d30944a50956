/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proxy/synth.c: the name <-> synthetic address table of the
 * transparent path.  Addresses are compared as dotted quads; every lookup
 * is checked both ways (name -> address -> name).
 */
#include "unit.h"
#include "proxy/synth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	ck_assert_msg(inet_pton(AF_INET, s, &a) == 1, "bad test address %s", s);
	return a;
}

static struct pd_synth *mk(const char *base, uint8_t prefix, size_t max)
{
	struct pd_synth *s = pd_synth_new(ip(base), prefix, max);

	ck_assert_msg(s != NULL, "pd_synth_new(%s/%u, %zu) failed", base, prefix, max);
	return s;
}

/* pd_synth_addr() of @name must be @want, and the reverse lookup @name. */
static void expect_addr(struct pd_synth *s, const char *name, const char *want)
{
	struct in_addr a = { 0 };
	char txt[INET_ADDRSTRLEN] = "";

	EXPECT_INT(pd_synth_addr(s, name, &a), 0);
	inet_ntop(AF_INET, &a, txt, sizeof(txt));
	ck_assert_msg(!strcmp(txt, want), "address of %s: expected %s, got %s", name, want, txt);
	EXPECT_STR(pd_synth_name(s, a), name);
}

static void expect_name(const struct pd_synth *s, const char *addr, const char *want)
{
	EXPECT_STR(pd_synth_name(s, ip(addr)), want);
}

START_TEST(test_bad_ranges)
{
	ck_assert_msg(pd_synth_new(ip("127.0.0.0"), 7, 0) == NULL, "prefix 7 taken");
	ck_assert_msg(pd_synth_new(ip("127.0.0.0"), 31, 0) == NULL, "prefix 31 taken");
	ck_assert_msg(pd_synth_new(ip("127.0.0.0"), 0, 0) == NULL, "prefix 0 taken");
}
END_TEST

START_TEST(test_contains)
{
	struct pd_synth *s = mk("198.18.77.5", 16, 0); /* host bits are dropped */

	ck_assert(pd_synth_contains(s, ip("198.18.0.0")));
	ck_assert(pd_synth_contains(s, ip("198.18.0.1")));
	ck_assert(pd_synth_contains(s, ip("198.18.255.255")));
	ck_assert(!pd_synth_contains(s, ip("198.19.0.1")));
	ck_assert(!pd_synth_contains(s, ip("198.17.255.255")));
	ck_assert(!pd_synth_contains(s, ip("10.0.0.1")));
	ck_assert(!pd_synth_contains(s, ip("0.0.0.0")));
	/* the first address handed out is the range's first usable one */
	expect_addr(s, "a.test", "198.18.0.1");
	pd_synth_free(s);

	s = mk("127.0.0.0", 8, 4);
	ck_assert(pd_synth_contains(s, ip("127.255.255.255")));
	ck_assert(pd_synth_contains(s, ip("127.0.0.1")));
	ck_assert(!pd_synth_contains(s, ip("128.0.0.1")));
	ck_assert(!pd_synth_contains(s, ip("126.255.255.255")));
	pd_synth_free(s);
}
END_TEST

START_TEST(test_stable)
{
	struct pd_synth *s = mk("198.18.0.0", 16, 0);

	expect_addr(s, "a.test", "198.18.0.1");
	expect_addr(s, "b.test", "198.18.0.2");
	expect_addr(s, "a.test", "198.18.0.1"); /* asked again: the same address */
	expect_addr(s, "c.example.test", "198.18.0.3");
	expect_addr(s, "b.test", "198.18.0.2");
	/* the reverse lookup: only mapped addresses of the range have a name */
	expect_name(s, "198.18.0.1", "a.test");
	expect_name(s, "198.18.0.3", "c.example.test");
	expect_name(s, "198.18.0.4", NULL); /* in the range, not handed out */
	expect_name(s, "198.18.0.0", NULL); /* the network address */
	expect_name(s, "198.18.255.255", NULL);
	expect_name(s, "10.0.0.1", NULL); /* outside the range */
	expect_name(s, "198.19.0.1", NULL);
	expect_name(s, "198.17.0.1", NULL);
	pd_synth_free(s);
}
END_TEST

START_TEST(test_bad_names)
{
	struct pd_synth *s = mk("198.18.0.0", 16, 0);
	struct in_addr a = { 0 };
	char name[300];

	EXPECT_INT(pd_synth_addr(s, "", &a), -1);
	memset(name, 'a', sizeof(name));
	name[254] = '\0'; /* 254 bytes: longer than any DNS name */
	EXPECT_INT(pd_synth_addr(s, name, &a), -1);
	name[253] = '\0'; /* 253: the longest DNS name */
	expect_addr(s, name, "198.18.0.1");
	pd_synth_free(s);
}
END_TEST

START_TEST(test_evict_oldest)
{
	struct pd_synth *s = mk("198.18.0.0", 16, 3);

	expect_addr(s, "a.test", "198.18.0.1");
	expect_addr(s, "b.test", "198.18.0.2");
	expect_addr(s, "c.test", "198.18.0.3");
	/* full: the oldest slot (a's) goes to the new name */
	expect_addr(s, "d.test", "198.18.0.1");
	expect_name(s, "198.18.0.1", "d.test");
	expect_name(s, "198.18.0.4", NULL); /* nothing beyond max is handed out */
	/* b and c keep theirs (a lookup of a mapped name takes no slot) */
	expect_addr(s, "b.test", "198.18.0.2");
	expect_addr(s, "c.test", "198.18.0.3");
	/* a is new again: it takes the next oldest slot (b's), not its old one */
	expect_addr(s, "a.test", "198.18.0.2");
	expect_name(s, "198.18.0.1", "d.test");
	/* b is gone: asking again evicts c */
	expect_addr(s, "b.test", "198.18.0.3");
	expect_addr(s, "d.test", "198.18.0.1");
	expect_addr(s, "a.test", "198.18.0.2");
	pd_synth_free(s);
}
END_TEST

/* A tiny range: max is clamped to the usable addresses (/30: two). */
START_TEST(test_small_range)
{
	struct pd_synth *s = mk("10.9.8.4", 30, 10);

	expect_addr(s, "a.test", "10.9.8.5");
	expect_addr(s, "b.test", "10.9.8.6");
	expect_addr(s, "c.test", "10.9.8.5");
	expect_name(s, "10.9.8.7", NULL); /* broadcast */
	expect_name(s, "10.9.8.4", NULL); /* network */
	expect_name(s, "10.9.8.6", "b.test");
	pd_synth_free(s);
}
END_TEST

/*
 * Many names through a small table: after every insertion the last @max
 * names must still map both ways and older ones must not (each eviction
 * removes a name from the open-addressing hash, which must keep the rest
 * of the probe runs findable).
 */
START_TEST(test_churn)
{
	enum { MAX = 50, N = 2000 };
	struct pd_synth *s = mk("198.18.0.0", 16, MAX);
	static struct in_addr got[N];

	for (int i = 0; i < N; i++) {
		char name[32], want[INET_ADDRSTRLEN];
		struct in_addr a;

		snprintf(name, sizeof(name), "n%d.test", i);
		EXPECT_INT(pd_synth_addr(s, name, &got[i]), 0);
		snprintf(want, sizeof(want), "198.18.0.%d", 1 + i % MAX);
		ck_assert_msg(got[i].s_addr == ip(want).s_addr, "%s: expected %s", name, want);
		if (i % 7 != 0)
			continue;
		for (int j = i >= MAX - 1 ? i - (MAX - 1) : 0; j <= i; j++) {
			snprintf(name, sizeof(name), "n%d.test", j);
			EXPECT_STR(pd_synth_name(s, got[j]), name);
			EXPECT_INT(pd_synth_addr(s, name, &a), 0);
			ck_assert_msg(a.s_addr == got[j].s_addr, "%s moved after %d names", name,
				      i + 1);
		}
		if (i >= MAX) { /* the one just evicted no longer owns its address */
			snprintf(name, sizeof(name), "n%d.test", i - MAX);
			ck_assert_msg(strcmp(pd_synth_name(s, got[i - MAX]), name) != 0,
				      "%s still mapped", name);
		}
	}
	pd_synth_free(s);
}
END_TEST

static Suite *synth_suite(void)
{
	Suite *s = suite_create("synth");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_bad_ranges);
	tcase_add_test(tc, test_contains);
	tcase_add_test(tc, test_stable);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_evict_oldest);
	tcase_add_test(tc, test_small_range);
	tcase_add_test(tc, test_churn);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(synth_suite);
