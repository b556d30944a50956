/* SPDX-License-Identifier: MIT */
/* Unit tests for oci/regconf.c (registries.conf). */
#include "unit.h"

#include "oci/regconf.h"

#include <errno.h>

static int parse(const char *s, struct pd_regconf *c, struct pd_error *e)
{
	return pd_regconf_parse(s, strlen(s), "r.conf", c, e);
}

START_TEST(test_entries)
{
	static const char text[] =
		"# comment\n"
		"unqualified-search-registries = [\"docker.io\", 'quay.io']\n"
		"short-name-mode = \"enforcing\"\n"
		"\n"
		"[[registry]]\n"
		"location = \"localhost:5000\"  # a comment\n"
		"insecure = true\n"
		"\n"
		"[[registry]]\n"
		"prefix = \"example.com/foo\"\n"
		"location = \"internal.test:5000/bar\"\r\n"
		"blocked = false\n"
		"[[registry.mirror]]\n"
		"location = \"mirror1.test\"\n"
		"[[registry.mirror]]\n"
		"location = 'mirror2.test:444'\n"
		"insecure = true\n"
		"[[registry]]\n"
		"location = \"*.evil.test\"\n"
		"blocked = true\n"
		"[aliases]\n"
		"\"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
		"\"org/tool\" = \"quay.io/org/tool\"\n"
		"\"fedora\" = \"registry.fedoraproject.org/fedora-minimal\"\n"
		"[other]\n"
		"multi = [\n"
		"  \"a]\", # ] in a string and a comment\n"
		"  \"b\",\n"
		"]\n";
	struct pd_regconf c;
	struct pd_error e = { 0 };
	const struct pd_regconf_entry *x;

	ck_assert_msg(parse(text, &c, &e) == 0, "%s", e.msg);
	ck_assert(c.has_search);
	ck_assert(c.short_mode == PD_SHORT_ENFORCING);
	EXPECT_INT(c.n_search, 2);
	EXPECT_STR(c.search[0], "docker.io");
	EXPECT_STR(c.search[1], "quay.io");
	EXPECT_INT(c.n_aliases, 2);
	EXPECT_STR(pd_regconf_alias(&c, "fedora"), "registry.fedoraproject.org/fedora-minimal");
	EXPECT_STR(pd_regconf_alias(&c, "org/tool"), "quay.io/org/tool");
	ck_assert_ptr_null(pd_regconf_alias(&c, "org"));
	EXPECT_INT(c.n, 3);
	EXPECT_STR(c.entries[0].prefix, "localhost:5000");
	ck_assert(c.entries[0].insecure && !c.entries[0].blocked);
	EXPECT_STR(c.entries[1].prefix, "example.com/foo");
	EXPECT_STR(c.entries[1].location, "internal.test:5000/bar");
	EXPECT_INT(c.entries[1].n_mirrors, 2);
	EXPECT_STR(c.entries[1].mirrors[1].location, "mirror2.test:444");
	ck_assert(!c.entries[1].mirrors[0].insecure && c.entries[1].mirrors[1].insecure);
	ck_assert(c.entries[2].blocked);
	x = pd_regconf_find(&c, "localhost:5000/x/y");
	ck_assert(x == &c.entries[0]);
	ck_assert(pd_regconf_find(&c, "localhost:50000/x") == NULL); /* a path boundary */
	ck_assert(pd_regconf_find(&c, "example.com/foo/img") == &c.entries[1]);
	ck_assert(pd_regconf_find(&c, "example.com/foobar/img") == NULL);
	ck_assert(pd_regconf_find(&c, "a.b.evil.test/img") == &c.entries[2]);
	ck_assert(pd_regconf_find(&c, "evil.test/img") == NULL);
	ck_assert(pd_regconf_find(&c, "notevil.test/img") == NULL);
	pd_regconf_release(&c);
	ck_assert_ptr_null(c.entries);
}
END_TEST

START_TEST(test_longest_prefix)
{
	static const char text[] =
		"[[registry]]\nlocation = \"q.test\"\n"
		"[[registry]]\nlocation = \"q.test/team\"\ninsecure = true\n";
	struct pd_regconf c;
	struct pd_error e = { 0 };

	ck_assert_msg(parse(text, &c, &e) == 0, "%s", e.msg);
	ck_assert(pd_regconf_find(&c, "q.test/team/app") == &c.entries[1]);
	ck_assert(pd_regconf_find(&c, "q.test/other/app") == &c.entries[0]);
	pd_regconf_release(&c);
}
END_TEST

START_TEST(test_short_name_mode)
{
	static const struct {
		const char *text;
		enum pd_short_mode mode;
	} cases[] = {
		{ "", PD_SHORT_ENFORCING },
		{ "short-name-mode = 'permissive'\n", PD_SHORT_PERMISSIVE },
		{ "short-name-mode = \"disabled\"\n", PD_SHORT_DISABLED },
		{ "[other]\nshort-name-mode = \"permissive\"\n", PD_SHORT_ENFORCING },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pd_regconf c;
		struct pd_error e = { 0 };

		ck_assert_msg(parse(cases[i].text, &c, &e) == 0, "%s", e.msg);
		ck_assert_msg(c.short_mode == cases[i].mode, "%s", cases[i].text);
		pd_regconf_release(&c);
	}
}
END_TEST

/* registries.conf.d: a later file over an earlier one, as containers/image merges them. */
START_TEST(test_merge)
{
	static const char a[] =
		"unqualified-search-registries = [\"a.io\"]\n"
		"short-name-mode = \"permissive\"\n"
		"[[registry]]\nlocation = \"x.io\"\ninsecure = true\n"
		"[aliases]\n\"n\" = \"a.io/n\"\n\"m\" = \"a.io/m\"\n";
	static const char b[] =
		"[[registry]]\nlocation = \"x.io\"\nblocked = true\n"
		"[[registry]]\nlocation = \"y.io\"\n"
		"[aliases]\n\"n\" = \"b.io/n\"\n";
	static const char c[] =
		"unqualified-search-registries = []\n"
		"short-name-mode = \"enforcing\"\n";
	struct pd_regconf dst, one;
	struct pd_error e = { 0 };

	ck_assert_msg(parse(a, &dst, &e) == 0, "%s", e.msg);
	ck_assert_msg(parse(b, &one, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(pd_regconf_merge(&dst, &one, "b.conf", &e), 0);
	pd_regconf_release(&one);
	EXPECT_INT(dst.n, 2);
	ck_assert(dst.entries[0].blocked && !dst.entries[0].insecure); /* x.io replaced */
	EXPECT_STR(dst.entries[1].prefix, "y.io");
	EXPECT_INT(dst.n_search, 1); /* b sets neither: a's stay */
	ck_assert(dst.short_mode == PD_SHORT_PERMISSIVE);
	EXPECT_STR(pd_regconf_alias(&dst, "n"), "b.io/n");
	EXPECT_STR(pd_regconf_alias(&dst, "m"), "a.io/m");
	ck_assert_msg(parse(c, &one, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(pd_regconf_merge(&dst, &one, "c.conf", &e), 0);
	pd_regconf_release(&one);
	ck_assert(dst.has_search);
	EXPECT_INT(dst.n_search, 0); /* an empty list set later says: no search */
	ck_assert(dst.short_mode == PD_SHORT_ENFORCING);
	pd_regconf_release(&dst);
}
END_TEST

START_TEST(test_refusals)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "[[registry]]\nlocation = \"\"\n", "r.conf:2: a location is HOST" },
		{ "[[registry]]\nlocation = \"https://x\"\n", "without a scheme" },
		{ "[[registry]]\ninsecure = \"yes\"\n",
		  "r.conf:2: insecure and blocked are true or false" },
		{ "[[registry]]\nlocation = 5\n", "r.conf:2: a value that is not a string" },
		{ "[[registry]]\nlocation = \"x\" y\n", "unexpected text after the value" },
		{ "[[registry]]\nlocation = \"x\n", "a control character in a string" },
		{ "[[registry]]\nlocation = \"x", "an unterminated string" },
		{ "[[registry]]\nlocation = \"\"\"x\"\"\"\n", "multi-line strings" },
		{ "[[registry]]\nlocation = \"a\\tb\"\n", "only \\\" and \\\\" },
		{ "registry.location = \"x\"\n", "dotted keys are not read" },
		{ "[[registry.mirror]]\nlocation = \"x\"\n", "before any [[registry]]" },
		{ "[[registry\n", "a malformed table header" },
		{ "[[registry]]\ninsecure = true\n", "has no location or prefix" },
		{ "[[registry]]\nlocation=\"x\"\n[[registry.mirror]]\ninsecure=true\n",
		  "a mirror of x has no location" },
		{ "x = [1]\n", "an array of anything but strings" },
		{ "x = [\"a\"\n", "an unterminated array" },
		{ "= 1\n", "expected a key" },
		{ "unqualified-search-registries = \"docker.io\"\n", "is an array of strings" },
		{ "unqualified-search-registries = [\"docker.io/library\"]\n",
		  "r.conf:1: unqualified-search-registries holds registries" },
		{ "unqualified-search-registries = [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\","
		  "\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]\n",
		  "too many entries in the array" },
		{ "[aliases]\n\"x\" = [\"a\"]\n", "r.conf:2: an alias is a string" },
		{ "[aliases]\n\"quay.io/x\" = \"quay.io/x\"\n", "a short name" },
		{ "[aliases]\n\"x:1\" = \"quay.io/x\"\n", "a short name" },
		{ "[aliases]\n\"x\" = \"quay.io/x:1\"\n", "without a tag or digest" },
		{ "[aliases]\n\"x\" = \"x\"\n", "HOST[:PORT]/REPO" },
		{ "[aliases]\n\"x\" = \"internal/x\"\n", "a registry with a '.'" },
		{ "unqualified-search-registries = [\"internal\"]\n", "holds registries" },
		{ "short-name-mode = \"guess\"\n", "r.conf:1: short-name-mode is" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_regconf c;
		struct pd_error e = { 0 };

		ck_assert_msg(parse(bad[i].text, &c, &e) < 0, "accepted: %s", bad[i].text);
		ck_assert_msg(strstr(e.msg, bad[i].why) != NULL, "%s: %s", bad[i].text, e.msg);
		ck_assert_ptr_null(c.entries);
	}
}
END_TEST

static Suite *regconf_suite(void)
{
	Suite *s = suite_create("regconf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_entries);
	tcase_add_test(tc, test_longest_prefix);
	tcase_add_test(tc, test_short_name_mode);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(regconf_suite);
