/* SPDX-License-Identifier: MIT */
/*
 * test_name.c - proxy/name.c: host name normalization (case, trailing dot,
 * IDNA, refusals), IP literals in every spelling inet_aton() takes, the
 * special address classes, and formatting and strict parsing of addresses.
 */
#include "unit.h"
#include "proxy/name.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Normalize a NUL-terminated @in; expect success and @want. */
static void norm_ok(const char *in, const char *want)
{
	char out[PD_NAME_MAX + 1], again[PD_NAME_MAX + 1];
	const char *reason = "(unset)";
	int r = pd_name_normalize(in, strlen(in), out, sizeof(out), &reason);

	ck_assert_msg(r == 0, "normalize \"%s\": expected success, got -1 (%s)", in, reason);
	ck_assert_msg(!strcmp(out, want), "normalize \"%s\": expected \"%s\", got \"%s\"", in, want,
		      out);
	/* a normalized name is a fixed point */
	r = pd_name_normalize(out, strlen(out), again, sizeof(again), &reason);
	ck_assert_msg(r == 0 && !strcmp(again, out), "re-normalize \"%s\": got %d \"%s\"", out, r,
		      again);
}

/* Normalize @len bytes of @in; expect -1 with exactly @want_reason and "" out. */
static void norm_fail_n(const char *in, size_t len, const char *want_reason)
{
	char out[PD_NAME_MAX + 1] = "garbage";
	const char *reason = NULL;
	int r = pd_name_normalize(in, len, out, sizeof(out), &reason);

	ck_assert_msg(r == -1, "normalize \"%.*s\": expected -1, got %d (\"%s\")", (int)len, in, r,
		      out);
	ck_assert_msg(reason && !strcmp(reason, want_reason),
		      "normalize \"%.*s\": expected reason \"%s\", got \"%s\"", (int)len, in,
		      want_reason, reason ? reason : "(null)");
	ck_assert_msg(out[0] == '\0', "normalize \"%.*s\": output not cleared: \"%s\"", (int)len,
		      in, out);
}

static void norm_fail(const char *in, const char *want_reason)
{
	norm_fail_n(in, strlen(in), want_reason);
}

START_TEST(test_normalize_ok)
{
	norm_ok("GitHub.COM.", "github.com");
	norm_ok("example.com", "example.com");
	norm_ok("a", "a");
	norm_ok("_dmarc.Example.org", "_dmarc.example.org");
	norm_ok("xn--bcher-kva.example", "xn--bcher-kva.example");
	norm_ok("1.2.3.4", "1.2.3.4"); /* allowed characters; pd_ip_literal says what it is */
	/* IDNA: Unicode to A-labels, case-folded, NFC */
	norm_ok("b\xc3\xbc"
		"cher.example",
		"xn--bcher-kva.example");
	norm_ok("B\xc3\x9c"
		"CHER.Example.",
		"xn--bcher-kva.example");
	norm_ok("bu\xcc\x88"
		"cher.example",
		"xn--bcher-kva.example");
	norm_ok("stra\xc3\x9f"
		"e.de",
		"xn--strae-oqa.de"); /* non-transitional: sharp s kept */
	/* fullwidth letters and the ideographic full stop map onto ASCII */
	norm_ok("\xef\xbd\x85vil.com", "evil.com");
	norm_ok("a\xe3\x80\x82"
		"b\xc3\xbc",
		"a.xn--b-eha");
}
END_TEST

START_TEST(test_normalize_refused)
{
	char longname[300], label[80];

	norm_fail("", "empty name");
	norm_fail(".", "empty name");
	norm_fail("..", "empty label (\"..\" or a leading dot)");
	norm_fail("a..b", "empty label (\"..\" or a leading dot)");
	norm_fail(".a", "empty label (\"..\" or a leading dot)");
	norm_fail("a.b..", "empty label (\"..\" or a leading dot)");
	norm_fail("a b", "contains a space");
	norm_fail("a%2eb.com", "contains '%' (percent-escapes are not host names)");
	norm_fail("a/b", "contains '/'");
	norm_fail("user@example.com", "contains '@'");
	norm_fail("example.com:443", "contains ':'");
	norm_fail("a\\.b", "contains a backslash");
	norm_fail("a*.b", "contains a character not allowed in a host name");
	norm_fail_n("a\0b.com", 7, "contains a NUL byte");
	norm_fail("a\tb", "contains a control character");
	norm_fail(
		"a\x7f"
		"b",
		"contains a control character");
	norm_fail("\xff.com", "invalid UTF-8");
	norm_fail("\xc0\xae.com", "invalid UTF-8");     /* overlong '.' */
	norm_fail("\xed\xa0\x80.com", "invalid UTF-8"); /* a surrogate */
	norm_fail("\xc3", "invalid UTF-8");             /* truncated */
	norm_fail("\xc3\xbc.-a", "not a valid internationalized name (IDNA)");
	/* a fullwidth solidus becomes '/', judged after IDNA */
	norm_fail(
		"ex\xef\xbc\x8f"
		"ample.\xc3\xbc",
		"contains '/'");
	/* lengths: labels up to 63, names up to 253 */
	memset(label, 'a', 63);
	label[63] = '\0';
	norm_ok(label, label);
	memset(label, 'a', 64);
	label[64] = '\0';
	norm_fail(label, "label too long (more than 63 characters)");
	for (int i = 0; i < 127; i++) {
		longname[2 * i] = 'a';
		longname[2 * i + 1] = '.';
	}
	longname[253] = '\0'; /* 127 labels "a", 253 characters */
	norm_ok(longname, longname);
	longname[253] = 'b';
	longname[254] = '\0';
	norm_fail(longname, "name too long (more than 253 characters)");
	longname[254] = '.';
	longname[255] = '\0'; /* 254 with a trailing dot: 253 without */
	norm_fail(longname, "name too long (more than 253 characters)");
}
END_TEST

START_TEST(test_normalize_buffers)
{
	char small[4] = "xyz";
	const char *reason = NULL;

	EXPECT_INT(pd_name_normalize("abcd", 4, small, sizeof(small), &reason), -1);
	EXPECT_STR(reason, "name too long (more than 253 characters)");
	EXPECT_STR(small, "");
	EXPECT_INT(pd_name_normalize("abc", 3, small, sizeof(small), NULL), 0);
	EXPECT_STR(small, "abc");
	/* only @len bytes are read */
	EXPECT_INT(pd_name_normalize("abc.evil", 3, small, sizeof(small), &reason), 0);
	EXPECT_STR(small, "abc");
	EXPECT_INT(pd_name_normalize(NULL, 3, small, sizeof(small), &reason), -1);
}
END_TEST

/* pd_ip_literal() on @s: expect @want, and for 1 the address formatted as @addr. */
static void lit(const char *s, int want, const char *addr)
{
	struct pd_addr a = { .family = 0 };
	char txt[PD_ADDR_STRLEN] = "";
	int r = pd_ip_literal(s, strlen(s), &a);

	ck_assert_msg(r == want, "pd_ip_literal(\"%s\"): expected %d, got %d", s, want, r);
	if (want != 1)
		return;
	ck_assert_msg(pd_addr_format(&a, txt, sizeof(txt)) == 0 && !strcmp(txt, addr),
		      "pd_ip_literal(\"%s\"): expected %s, got %s", s, addr, txt);
}

START_TEST(test_ip_literal_v4_spellings)
{
	lit("127.0.0.1", 1, "127.0.0.1");
	lit("2130706433", 1, "127.0.0.1");
	lit("0177.0.0.1", 1, "127.0.0.1");
	lit("0x7f.1", 1, "127.0.0.1");
	lit("127.1", 1, "127.0.0.1");
	lit("0x7f000001", 1, "127.0.0.1");
	lit("0X7F.0.0.01", 1, "127.0.0.1");
	lit("127.0.1", 1, "127.0.0.1");
	lit("0x7f.0x0.0x0.0x1", 1, "127.0.0.1");
	lit("000000000000000000000177.1", 1, "127.0.0.1");
	lit("127.0.0.1.", 1, "127.0.0.1"); /* one trailing dot: still an address */
	lit("0", 1, "0.0.0.0");
	lit("4294967295", 1, "255.255.255.255");
	lit("1.65536", 1, "1.1.0.0");
	lit("169.254.43518", 1, "169.254.169.254");
	/* numeric-looking but not an address: refused, never a name */
	lit("256.1.1.1", -1, NULL);
	lit("1.2.3.4.5", -1, NULL);
	lit("0x1g.1", -1, NULL);
	lit("08.0.0.1", -1, NULL);
	lit("4294967296", -1, NULL);
	lit("0x100000000", -1, NULL);
	lit("1.16777216", -1, NULL);
	lit("0x.1", -1, NULL);
	lit("1..2", -1, NULL);
	lit("foo.1abc", -1, NULL);
	lit("example.123", -1, NULL);
	lit("1.2.3.4 x", -1, NULL);
	/* names */
	lit("example.com", 0, NULL);
	lit("0x7f.example", 0, NULL);
	lit("1password.com", 0, NULL);
	lit("localhost", 0, NULL);
	lit("1.2.3.4.nip.io", 0, NULL);
	lit("", 0, NULL);
	lit("a.", 0, NULL);
}
END_TEST

START_TEST(test_ip_literal_v6)
{
	lit("::1", 1, "::1");
	lit("[::1]", 1, "::1");
	lit("[::ffff:127.0.0.1]", 1, "::ffff:127.0.0.1");
	lit("::ffff:7f00:1", 1, "::ffff:127.0.0.1");
	lit("::FFFF:7F00:1", 1, "::ffff:127.0.0.1");
	lit("64:ff9b::7f00:1", 1, "64:ff9b::7f00:1");
	lit("2002:7f00:1::", 1, "2002:7f00:1::");
	lit("0:0:0:0:0:0:0:1", 1, "::1");
	lit("fe80::1%eth0", -1, NULL);
	lit("[fe80::1%25eth0]", -1, NULL);
	lit("[::1", -1, NULL);
	lit("[1.2.3.4]", -1, NULL);
	lit("1::2::3", -1, NULL);
	lit("::ffff:127.1", -1, NULL);
	lit("example.com:443", -1, NULL);
	lit("[]", -1, NULL);
}
END_TEST

START_TEST(test_ip_literal_bounded)
{
	struct pd_addr a;

	/* only @len bytes count */
	EXPECT_INT(pd_ip_literal("127.0.0.1.evil.com", 9, &a), 1);
	EXPECT_INT(pd_ip_literal("1.2.3.4\0x", 9, &a), -1); /* last label "4\0x" */
	EXPECT_INT(pd_ip_literal("12\0", 3, &a), -1);
	EXPECT_INT(pd_ip_literal(NULL, 0, &a), 0);
	EXPECT_INT(pd_ip_literal("1.2.3.4", 7, NULL), 1);
}
END_TEST

/* pd_addr_special() of text @s (parsed with inet_pton) must be @want (NULL: public). */
static void special(const char *s, const char *want)
{
	struct pd_addr a = { .family = strchr(s, ':') ? AF_INET6 : AF_INET };
	const char *got;

	ck_assert_msg(inet_pton(a.family, s, a.family == AF_INET ? (void *)&a.v4 : (void *)&a.v6) ==
			      1,
		      "bad test address %s", s);
	got = pd_addr_special(&a);
	ck_assert_msg(want ? got && !strcmp(got, want) : !got, "%s: expected %s, got %s", s,
		      want ? want : "public", got ? got : "public");
}

START_TEST(test_special_v4)
{
	special("0.0.0.0", "unspecified");
	special("0.1.2.3", "this network");
	special("127.0.0.1", "loopback");
	special("127.255.255.254", "loopback");
	special("10.0.0.1", "private (RFC 1918)");
	special("172.16.0.1", "private (RFC 1918)");
	special("172.31.255.255", "private (RFC 1918)");
	special("192.168.1.1", "private (RFC 1918)");
	special("169.254.169.254", "link-local");
	special("100.64.0.1", "carrier-grade NAT (RFC 6598)");
	special("100.127.255.255", "carrier-grade NAT (RFC 6598)");
	special("198.18.0.1", "benchmarking (RFC 2544)");
	special("198.19.255.255", "benchmarking (RFC 2544)");
	special("192.0.0.8", "IETF protocol assignments");
	special("192.0.2.1", "documentation");
	special("198.51.100.7", "documentation");
	special("203.0.113.9", "documentation");
	special("224.0.0.1", "multicast");
	special("239.255.255.250", "multicast");
	special("240.0.0.1", "reserved");
	special("255.255.255.254", "reserved");
	special("255.255.255.255", "broadcast");
	/* public neighbours of the ranges */
	special("8.8.8.8", NULL);
	special("1.1.1.1", NULL);
	special("172.15.255.255", NULL);
	special("172.32.0.0", NULL);
	special("100.63.255.255", NULL);
	special("100.128.0.0", NULL);
	special("198.17.255.255", NULL);
	special("198.20.0.0", NULL);
	special("192.0.1.0", NULL);
	special("223.255.255.255", NULL);
	special("1.0.0.0", NULL);
	special("126.255.255.255", NULL);
	special("128.0.0.0", NULL);
}
END_TEST

START_TEST(test_special_v6)
{
	special("::", "unspecified");
	special("::1", "loopback");
	special("fe80::1", "link-local");
	special("febf::1", "link-local");
	special("fec0::1", "site-local");
	special("fc00::1", "unique local (ULA)");
	special("fd12:3456::1", "unique local (ULA)");
	special("ff02::1", "multicast");
	special("2001:db8::1", "documentation");
	special("3fff::1", "documentation");
	special("100::1", "discard-only");
	special("2001::1", "Teredo");
	special("2001:0:4136:e378::1", "Teredo");
	special("2001:2::1", "benchmarking (RFC 5180)");
	special("2001:10::1", "IETF protocol assignments");
	special("4000::1", "reserved");
	special("::2:0:0:1", "reserved");
	/* embedded IPv4, judged by it */
	special("::ffff:127.0.0.1", "loopback");
	special("::ffff:10.0.0.1", "private (RFC 1918)");
	special("::ffff:169.254.169.254", "link-local");
	special("::ffff:8.8.8.8", NULL);
	special("::127.0.0.1", "loopback");
	special("::10.0.0.1", "private (RFC 1918)");
	special("64:ff9b::7f00:1", "loopback");
	special("64:ff9b::a9fe:a9fe", "link-local");
	special("64:ff9b::808:808", NULL);
	special("64:ff9b:1::7f00:1", "loopback");
	special("64:ff9b:1::808:808", "NAT64 local-use (RFC 8215)");
	special("2002:7f00:1::", "loopback");
	special("2002:c0a8:101::1", "private (RFC 1918)");
	special("2002:808:808::1", NULL);
	/* public */
	special("2606:4700:4700::1111", NULL);
	special("2a00:1450:4001::200e", NULL);
	special("3ffe::1", NULL);
	special("2001:200::1", NULL);
}
END_TEST

START_TEST(test_special_invalid_family)
{
	struct pd_addr a = { .family = 0 };

	EXPECT_STR(pd_addr_special(&a), "invalid");
	EXPECT_STR(pd_addr_special(NULL), "invalid");
}
END_TEST

START_TEST(test_addr_format)
{
	struct pd_addr a;
	char out[PD_ADDR_STRLEN], tiny[8] = "zzzzzzz";

	ck_assert_int_eq(pd_addr_parse("::ffff:127.0.0.1", &a), 0);
	EXPECT_INT(pd_addr_format(&a, out, sizeof(out)), 0);
	EXPECT_STR(out, "::ffff:127.0.0.1"); /* mapped stays IPv6 */
	ck_assert_int_eq(pd_addr_parse("203.0.113.77", &a), 0);
	EXPECT_INT(pd_addr_format(&a, out, sizeof(out)), 0);
	EXPECT_STR(out, "203.0.113.77");
	errno = 0;
	EXPECT_INT(pd_addr_format(&a, tiny, sizeof(tiny)), -1);
	EXPECT_INT(errno, ENOSPC);
	EXPECT_STR(tiny, "");
	ck_assert_int_eq(pd_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a), 0);
	EXPECT_INT(pd_addr_format(&a, out, sizeof(out)), 0);
	EXPECT_STR(out, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	a.family = 0;
	errno = 0;
	EXPECT_INT(pd_addr_format(&a, out, sizeof(out)), -1);
	EXPECT_INT(errno, EAFNOSUPPORT);
}
END_TEST

/* pd_addr_parse(@s): expect @ok, and the formatted address @want when it is. */
static void parse(const char *s, int ok, const char *want)
{
	struct pd_addr a;
	char txt[PD_ADDR_STRLEN] = "";
	int r = pd_addr_parse(s, &a);

	ck_assert_msg(r == (ok ? 0 : -1), "pd_addr_parse(\"%s\"): expected %d, got %d", s,
		      ok ? 0 : -1, r);
	if (!ok)
		return;
	pd_addr_format(&a, txt, sizeof(txt));
	ck_assert_msg(!strcmp(txt, want), "pd_addr_parse(\"%s\"): expected %s, got %s", s, want,
		      txt);
}

START_TEST(test_addr_parse_strict)
{
	parse("10.0.0.5", 1, "10.0.0.5");
	parse("0.0.0.0", 1, "0.0.0.0");
	parse("::1", 1, "::1");
	parse("[::1]", 1, "::1");
	parse("[FD00::5]", 1, "fd00::5");
	parse("::ffff:1.2.3.4", 1, "::ffff:1.2.3.4");
	parse("010.0.0.5", 0, NULL);
	parse("10.0.0.05", 0, NULL);
	parse("127.1", 0, NULL);
	parse("2130706433", 0, NULL);
	parse("0x7f.0.0.1", 0, NULL);
	parse("10.0.0.256", 0, NULL);
	parse("[10.0.0.1]", 0, NULL);
	parse("fe80::1%eth0", 0, NULL);
	parse("[::1", 0, NULL);
	parse("::1]", 0, NULL);
	parse("[]", 0, NULL);
	parse("", 0, NULL);
	parse(" 10.0.0.5", 0, NULL);
	parse("10.0.0.5 ", 0, NULL);
	parse("localhost", 0, NULL);
}
END_TEST

static Suite *name_suite(void)
{
	Suite *s = suite_create("name");
	TCase *tc = tcase_create("normalize");

	tcase_add_test(tc, test_normalize_ok);
	tcase_add_test(tc, test_normalize_refused);
	tcase_add_test(tc, test_normalize_buffers);
	suite_add_tcase(s, tc);
	tc = tcase_create("literal");
	tcase_add_test(tc, test_ip_literal_v4_spellings);
	tcase_add_test(tc, test_ip_literal_v6);
	tcase_add_test(tc, test_ip_literal_bounded);
	suite_add_tcase(s, tc);
	tc = tcase_create("addr");
	tcase_add_test(tc, test_special_v4);
	tcase_add_test(tc, test_special_v6);
	tcase_add_test(tc, test_special_invalid_family);
	tcase_add_test(tc, test_addr_format);
	tcase_add_test(tc, test_addr_parse_strict);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(name_suite);
