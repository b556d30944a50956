/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/shsplit.c: word splitting as Python's shlex.split()
 * (and a POSIX shell without expansion) does it.
 */
#include "unit.h"

#include "shsplit.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXW 8

/* @in must split into the words of @want (NULL-terminated). */
static void expect_split(const char *in, const char *const *want)
{
	struct pd_error e = { 0 };
	char **v = NULL;
	size_t i;

	ck_assert_msg(pd_shsplit(in, &v, &e) == 0, "[%s]: %s", in, e.msg);
	ck_assert_ptr_nonnull(v);
	for (i = 0; want[i]; i++) {
		ck_assert_msg(v[i] != NULL, "[%s]: word %zu missing, want [%s]", in, i, want[i]);
		ck_assert_msg(!strcmp(v[i], want[i]), "[%s]: word %zu is [%s], want [%s]", in, i,
			      v[i], want[i]);
	}
	ck_assert_msg(v[i] == NULL, "[%s]: extra word %zu [%s]", in, i, v[i]);
	pd_strv_free(v);
}

START_TEST(test_words)
{
	static const struct {
		const char *in;
		const char *want[MAXW];
	} cases[] = {
		/* blanks */
		{ "", { NULL } },
		{ "   ", { NULL } },
		{ " \t\n \t", { NULL } },
		{ "a", { "a", NULL } },
		{ "a b  c", { "a", "b", "c", NULL } },
		{ "  lead trail  ", { "lead", "trail", NULL } },
		{ "a\tb\nc\n", { "a", "b", "c", NULL } },
		{ "--model 'claude x' --yolo", { "--model", "claude x", "--yolo", NULL } },
		/* single quotes: everything literal */
		{ "'a b'", { "a b", NULL } },
		{ "'a\\b'", { "a\\b", NULL } },
		{ "'\\'", { "\\", NULL } },
		{ "'\"'", { "\"", NULL } },
		{ "'$HOME `x`'", { "$HOME `x`", NULL } },
		{ "'a\nb'", { "a\nb", NULL } },
		/* double quotes: \" \\ \$ \` are escapes, other backslashes stay */
		{ "\"a b\"", { "a b", NULL } },
		{ "\"'\"", { "'", NULL } },
		{ "\"a\\\"b\"", { "a\"b", NULL } },
		{ "\"a\\\\b\"", { "a\\b", NULL } },
		{ "\"\\$HOME\"", { "$HOME", NULL } },
		{ "\"\\`x\\`\"", { "`x`", NULL } },
		{ "\"\\n\\a\"", { "\\n\\a", NULL } },
		{ "\"a\tb\nc\"", { "a\tb\nc", NULL } },
		/* empty quotes are an empty word */
		{ "''", { "", NULL } },
		{ "\"\"", { "", NULL } },
		{ "a '' b", { "a", "", "b", NULL } },
		{ "a \"\" b", { "a", "", "b", NULL } },
		{ "''\"\"", { "", NULL } },
		/* adjacent parts make one word */
		{ "a'b'\"c\"", { "abc", NULL } },
		{ "'a'b", { "ab", NULL } },
		{ "x\"y z\"'w v'", { "xy zw v", NULL } },
		{ "--opt='a b' c", { "--opt=a b", "c", NULL } },
		{ "a'' b", { "a", "b", NULL } },
		/* a backslash outside quotes escapes the next character */
		{ "a\\ b", { "a b", NULL } },
		{ "\\'", { "'", NULL } },
		{ "\\\"", { "\"", NULL } },
		{ "\\\\", { "\\", NULL } },
		{ "\\a\\b", { "ab", NULL } },
		{ "a\\\tb", { "a\tb", NULL } },
		{ "\\ ", { " ", NULL } },
		/* no expansion of any kind */
		{ "$HOME ~ * ?x [a] {a,b} $(x)",
		  { "$HOME", "~", "*", "?x", "[a]", "{a,b}", "$(x)", NULL } },
		{ "`y` ; | & > <", { "`y`", ";", "|", "&", ">", "<", NULL } },
		{ "a;b|c", { "a;b|c", NULL } },
		{ "h\xc3\xa9llo w\xc3\xb6rld", { "h\xc3\xa9llo", "w\xc3\xb6rld", NULL } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_split(cases[i].in, cases[i].want);
}
END_TEST

/* More words than the table above holds. */
START_TEST(test_many_words)
{
	static const char *const want[] = { "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",
					    "10", "11", "12", "13", "14", "15", "16", "17", NULL };
	char in[128] = "";
	size_t n = 0;

	for (size_t i = 0; want[i]; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%s%s", i ? " \t" : "", want[i]);
	expect_split(in, want);
}
END_TEST

START_TEST(test_unclosed)
{
	static const char *const bad[] = {
		"'",       "\"",     "a 'b",      "a \"b", "'a'\"",
		"\"a\\\"", "\"\\\"", "a'b\"c'\"", "\"'",   "x \"y\\",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_error e = { 0 };
		char *dummy[1] = { NULL };
		char **v = dummy;

		ck_assert_msg(pd_shsplit(bad[i], &v, &e) < 0, "[%s]: accepted", bad[i]);
		ck_assert_ptr_null(v);
		EXPECT_STR(e.msg, "No closing quotation");
		EXPECT_INT(e.code, EINVAL);
	}
}
END_TEST

/* A long input: the word buffer is sized by the input, never overrun. */
START_TEST(test_long)
{
	size_t len = 100000;
	char *in = malloc(len + 1);
	struct pd_error e = { 0 };
	char **v = NULL;

	ck_assert_ptr_nonnull(in);
	for (size_t i = 0; i < len; i++)
		in[i] = "a'b'\"c\" \\d"[i % 10];
	in[len] = '\0';
	ck_assert_msg(pd_shsplit(in, &v, &e) == 0, "%s", e.msg);
	EXPECT_UINT(pd_strv_len(v), len / 10 + 1);
	EXPECT_STR(v[0], "abc");
	EXPECT_STR(v[1], "dabc");
	EXPECT_STR(v[len / 10], "d");
	pd_strv_free(v);
	free(in);
}
END_TEST

/* Carriage returns separate (--args with Windows line endings); a trailing backslash escapes nothing. */
START_TEST(test_cr_and_trailing_backslash)
{
	static const char *const two[] = { "a", "b", NULL };
	struct pd_error e = { 0 };
	char **v = NULL;

	expect_split("a\r\nb\r", two);
	ck_assert_int_eq(pd_shsplit("a\\", &v, &e), -1);
	ck_assert_ptr_null(v);
	EXPECT_STR(e.msg, "No escaped character");
}
END_TEST

static Suite *shsplit_suite(void)
{
	Suite *s = suite_create("shsplit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_words);
	tcase_add_test(tc, test_many_words);
	tcase_add_test(tc, test_unclosed);
	tcase_add_test(tc, test_long);
	tcase_add_test(tc, test_cr_and_trailing_backslash);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(shsplit_suite);
