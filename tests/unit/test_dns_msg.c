/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for proxy/dns_msg.c: parsing queries (every FORMERR, NOTIMP,
 * BADVERS and drop case), byte-exact answers, truncation at the size limits,
 * the EDNS echo, type names and the TCP length prefix.
 */
#include "unit.h"
#include "proxy/dns_msg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hex (spaces ignored) into @out; returns the byte count. */
static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; *h; h++) {
		unsigned v;

		if (*h == ' ')
			continue;
		ck_assert_msg(h[1] && sscanf(h, "%2x", &v) == 1, "bad hex at \"%s\"", h);
		ck_assert_msg(n < cap, "hex longer than %zu bytes", cap);
		out[n++] = (uint8_t)v;
		h++;
	}
	return n;
}

static void expect_bytes(const uint8_t *got, size_t got_n, const char *want_hex)
{
	uint8_t want[2048];
	size_t n = unhex(want_hex, want, sizeof(want));
	char gh[4200] = "";

	for (size_t i = 0; i < got_n && i < 2048; i++)
		snprintf(gh + 2 * i, sizeof(gh) - 2 * i, "%02x", got[i]);
	ck_assert_msg(got_n == n && memcmp(got, want, n) == 0,
		      "expected %zu bytes %s\n got %zu bytes %s", n, want_hex, got_n, gh);
}

/* Parse @hex; check the return value and rcode. */
static int parse_hex(const char *hex, struct pd_dns_query *q, int want_ret, int want_rcode)
{
	uint8_t buf[1024], *msg;
	size_t n = unhex(hex, buf, sizeof(buf));
	int rcode = -99;
	int r;

	/* exactly @n bytes on the heap: the ASan run sees a read past the end */
	msg = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(msg);
	memcpy(msg, buf, n);
	r = pd_dns_parse_query(msg, n, q, &rcode);
	free(msg);

	ck_assert_msg(r == want_ret && rcode == want_rcode,
		      "%s: expected return %d rcode %d, got %d rcode %d", hex, want_ret, want_rcode,
		      r, rcode);
	return r;
}

static struct pd_addr v4(const char *s)
{
	struct pd_addr a = { .family = AF_INET };

	ck_assert_int_eq(inet_pton(AF_INET, s, &a.v4), 1);
	return a;
}

static struct pd_addr v6(const char *s)
{
	struct pd_addr a = { .family = AF_INET6 };

	ck_assert_int_eq(inet_pton(AF_INET6, s, &a.v6), 1);
	return a;
}

/*
 * Captured from glibc 2.36's stub resolver (`getent ahosts Example.COM` and,
 * with "options edns0", `getent ahostsv4 api.github.com`) sending to a
 * python listener through a bind-mounted resolv.conf.
 */
#define GLIBC_A "11f301000001000000000000 074578616d706c6503434f4d00 0001 0001"
#define GLIBC_AAAA "a6f501000001000000000000 074578616d706c6503434f4d00 001c 0001"
#define GLIBC_EDNS \
	"d02c01000001000000000001 036170690667697468756203636f6d00 0001 0001" \
	" 00 0029 04b0 00 00 0000 0000"

START_TEST(test_parse_real_clients)
{
	struct pd_dns_query q;

	parse_hex(GLIBC_A, &q, 0, 0);
	EXPECT_UINT(q.id, 0x11f3);
	ck_assert_msg(q.rd, "RD expected");
	EXPECT_UINT(q.opcode, 0);
	EXPECT_UINT(q.qtype, PD_DNS_A);
	EXPECT_UINT(q.qclass, PD_DNS_CLASS_IN);
	EXPECT_STR(q.name, "example.com"); /* lowercased */
	EXPECT_UINT(q.question_len, 17);
	ck_assert_msg(!q.edns, "no EDNS expected");
	EXPECT_UINT(pd_dns_udp_max_len(&q), 512);

	parse_hex(GLIBC_AAAA, &q, 0, 0);
	EXPECT_UINT(q.id, 0xa6f5);
	EXPECT_UINT(q.qtype, PD_DNS_AAAA);
	EXPECT_STR(q.name, "example.com");

	parse_hex(GLIBC_EDNS, &q, 0, 0);
	EXPECT_UINT(q.id, 0xd02c);
	EXPECT_STR(q.name, "api.github.com");
	EXPECT_UINT(q.question_len, 20);
	ck_assert_msg(q.edns && !q.edns_do, "EDNS without DO expected");
	EXPECT_UINT(q.edns_udp_size, 1200);
	EXPECT_UINT(pd_dns_udp_max_len(&q), 1200);
}
END_TEST

START_TEST(test_parse_shapes)
{
	struct pd_dns_query q;

	/* the root, class CH, no RD, AD and CD and TC and a query rcode ignored */
	parse_hex("beef 023f 0001 0000 0000 0000 00 0002 0003", &q, 0, 0);
	EXPECT_UINT(q.id, 0xbeef);
	ck_assert_msg(!q.rd, "RD not expected");
	EXPECT_STR(q.name, "");
	EXPECT_UINT(q.question_len, 5);
	EXPECT_UINT(q.qtype, PD_DNS_NS);
	EXPECT_UINT(q.qclass, 3);

	/* allowed label bytes: 0x21 and 0x7e, '_', '*', uppercase folded */
	parse_hex("0001 0100 0001 0000 0000 0000 03 21 7e 5f 01 2a 03 41 5a 7a 00 0010 0001", &q, 0,
		  0);
	EXPECT_STR(q.name, "!~_.*.azz");
	EXPECT_UINT(q.qtype, PD_DNS_TXT);

	/* EDNS with DO, an option (cookie), payload 4096 (clamped), ext rcode ignored */
	parse_hex(
		"0002 0100 0001 0000 0000 0001 01 61 00 001c 0001"
		" 00 0029 1000 05 00 8000 000c 000a 0008 0102030405060708",
		&q, 0, 0);
	ck_assert_msg(q.edns && q.edns_do, "EDNS with DO expected");
	EXPECT_UINT(q.edns_udp_size, 4096);
	EXPECT_UINT(pd_dns_udp_max_len(&q), 1232);
	EXPECT_STR(q.name, "a");

	/* payload below 512 counts as 512; an empty option list */
	parse_hex("0003 0100 0001 0000 0000 0001 01 61 00 0001 0001 00 0029 0100 00 00 0000 0000",
		  &q, 0, 0);
	EXPECT_UINT(pd_dns_udp_max_len(&q), 512);
	/* zero-length option */
	parse_hex(
		"0003 0100 0001 0000 0000 0001 01 61 00 0001 0001 00 0029 0200 00 00 0000 0004"
		" 000c 0000",
		&q, 0, 0);
}
END_TEST

/* 3 labels of 63 and one of 61: 3 * 64 + 62 + 1 = 255 wire bytes, the most. */
static size_t long_name(uint8_t *m, unsigned last)
{
	size_t n = unhex("0007 0100 0001 0000 0000 0000", m, 12);

	for (int l = 0; l < 4; l++) {
		unsigned len = l < 3 ? 63 : last;

		m[n++] = (uint8_t)len;
		memset(m + n, 'a' + l, len);
		n += len;
	}
	m[n++] = 0;
	n += unhex("0001 0001", m + n, 4);
	return n;
}

START_TEST(test_parse_name_limits)
{
	uint8_t m[512];
	struct pd_dns_query q;
	int rcode;
	size_t n = long_name(m, 61);

	ck_assert_int_eq(pd_dns_parse_query(m, n, &q, &rcode), 0);
	EXPECT_UINT(q.question_len, 259);
	EXPECT_UINT(strlen(q.name), 253);
	ck_assert_msg(q.name[63] == '.' && q.name[64] == 'b' && q.name[252] == 'd', "name: %s",
		      q.name);

	/* a label of 64 bytes (its length byte 0x40 is also an extended label type) */
	n = unhex("0008 0100 0001 0000 0000 0000 40", m, 13);
	memset(m + n, 'x', 64);
	n += 64;
	n += unhex("00 0001 0001", m + n, 5);
	EXPECT_INT(pd_dns_parse_query(m, n, &q, &rcode), -1);
	EXPECT_INT(rcode, PD_DNS_RCODE_FORMERR);
	EXPECT_UINT(q.id, 8);
	memset(m + 12, 0, 100);
	m[12] = 63;
	memset(m + 13, 'x', 63);
	n = 12 + 64 + unhex("00 0001 0001", m + 76, 5);
	EXPECT_INT(pd_dns_parse_query(m, n, &q, &rcode), 0);

	n = long_name(m, 62); /* 256 wire bytes */
	EXPECT_INT(pd_dns_parse_query(m, n, &q, &rcode), -1);
	EXPECT_INT(rcode, PD_DNS_RCODE_FORMERR);
	EXPECT_UINT(q.id, 7);
	EXPECT_UINT(q.question_len, 0);
	EXPECT_STR(q.name, "");
}
END_TEST

START_TEST(test_parse_formerr)
{
	static const char *const bad[] = {
		/* counts */
		"0001 0100 0000 0000 0000 0000", /* QDCOUNT 0 */
		"0001 0100 0002 0000 0000 0000 01 61 00 0001 0001 01 62 00 0001 0001", /* 2 */
		"0001 0100 0001 0001 0000 0000 01 61 00 0001 0001",                    /* ANCOUNT */
		"0001 0100 0001 0000 0001 0000 01 61 00 0001 0001",                    /* NSCOUNT */
		"0001 0100 0001 0000 0000 0002 01 61 00 0001 0001", /* ARCOUNT 2 */
		/* truncated question */
		"0001 0100 0001 0000 0000 0000",
		"0001 0100 0001 0000 0000 0000 03 61 62",
		"0001 0100 0001 0000 0000 0000 01 61",
		"0001 0100 0001 0000 0000 0000 01 61 00 0001 00",
		/* label types and lengths */
		"0001 0100 0001 0000 0000 0000 c0 0c 0001 0001", /* pointer */
		"0001 0100 0001 0000 0000 0000 01 61 c0 0c 0001 0001",
		"0001 0100 0001 0000 0000 0000 40 0001 0001", /* 0x40: 64, extended type */
		"0001 0100 0001 0000 0000 0000 80 0001 0001",
		/* label bytes */
		"0001 0100 0001 0000 0000 0000 03 61 2e 62 00 0001 0001", /* '.' */
		"0001 0100 0001 0000 0000 0000 03 61 00 62 00 0001 0001", /* NUL */
		"0001 0100 0001 0000 0000 0000 03 61 20 62 00 0001 0001", /* space */
		"0001 0100 0001 0000 0000 0000 01 7f 00 0001 0001",
		"0001 0100 0001 0000 0000 0000 02 c3 a9 00 0001 0001",
		"0001 0100 0001 0000 0000 0000 01 0a 00 0001 0001",
	};
	struct pd_dns_query q;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse_hex(bad[i], &q, -1, PD_DNS_RCODE_FORMERR);
		EXPECT_UINT(q.id, 1);
		ck_assert_msg(q.rd, "%s: RD kept", bad[i]);
		EXPECT_UINT(q.question_len, 0);
		ck_assert_msg(!q.edns, "%s: no EDNS", bad[i]);
	}
}
END_TEST

/* id 2, no RD, the question "a" A IN; ARCOUNT 0 or 1 */
#define A0 "0002 0000 0001 0000 0000 0000 01 61 00 0001 0001 "
#define A1 "0002 0000 0001 0000 0000 0001 01 61 00 0001 0001 "

START_TEST(test_parse_formerr_after_question)
{
	static const char *const bad[] = {
		/* trailing bytes */
		A0 "00",
		A1 "00 0029 0200 00 00 0000 0000 ff",
		/* additional record that is not OPT, or not at the root */
		A1 "00 0001 0001 00000000 0004 01020304",
		A1 "01 61 00 0029 0200 0000 0000 0000",
		A1 "c0 0c 0029 0200 0000 0000 0000",
		A1 "01 0029 0200 00 00 0000 0000",
		/* OPT truncated, RDLENGTH beyond the end, options malformed */
		A1,
		A1 "00 0029 0200 00 00 0000 00",
		A1 "00 0029 0200 00 00 0000 0004 000a",
		A1 "00 0029 0200 00 00 0000 0003 000a 00",
		A1 "00 0029 0200 00 00 0000 0006 000a 0004 0102",
		/* a bad version is FORMERR while the record is also malformed */
		A1 "00 0029 0200 00 01 0000 0001 00",
	};
	struct pd_dns_query q;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse_hex(bad[i], &q, -1, PD_DNS_RCODE_FORMERR);
		EXPECT_UINT(q.id, 2);
		ck_assert_msg(!q.rd, "%s: no RD", bad[i]);
		/* the question was fine: the answer can repeat it */
		EXPECT_UINT(q.question_len, 7);
		EXPECT_STR(q.name, "a");
		EXPECT_UINT(q.qtype, 1);
		ck_assert_msg(!q.edns, "%s: FORMERR carries no OPT", bad[i]);
	}
}
END_TEST

START_TEST(test_parse_notimp_badvers_drop)
{
	struct pd_dns_query q;
	uint8_t m[64];
	int rcode;

	/* OPCODE 1 (IQUERY), 2 (STATUS), 5 (UPDATE): NOTIMP, nothing else read */
	parse_hex("0a0b 0900 0001 0000 0000 0000 01 61 00 0001 0001", &q, -1, PD_DNS_RCODE_NOTIMP);
	EXPECT_UINT(q.id, 0x0a0b);
	EXPECT_UINT(q.opcode, 1);
	ck_assert_msg(q.rd, "RD kept");
	EXPECT_UINT(q.question_len, 0);
	parse_hex("0a0c 1000", &q, -2, 0); /* too short: dropped before the opcode */
	parse_hex("0a0c 1000 0000 0000 0000 0000", &q, -1, PD_DNS_RCODE_NOTIMP);
	EXPECT_UINT(q.opcode, 2);
	parse_hex("0a0d 2800 0001 0000 0005 0000 ffff", &q, -1, PD_DNS_RCODE_NOTIMP);
	EXPECT_UINT(q.opcode, 5);

	/* EDNS version 1: BADVERS, question and EDNS kept for the answer */
	parse_hex("0a0e 0100 0001 0000 0000 0001 01 61 00 0001 0001 00 0029 0400 00 01 8000 0000",
		  &q, -1, PD_DNS_RCODE_BADVERS);
	EXPECT_UINT(q.question_len, 7);
	ck_assert_msg(q.edns && q.edns_do, "EDNS kept with BADVERS");

	/* dropped: shorter than a header, or a response */
	for (size_t n = 0; n < 12; n++) {
		memset(m, 0, sizeof(m));
		rcode = -99;
		EXPECT_INT(pd_dns_parse_query(m, n, &q, &rcode), -2);
		EXPECT_INT(rcode, 0);
	}
	parse_hex("0a0f 8100 0001 0000 0000 0000 01 61 00 0001 0001", &q, -2, 0);
	parse_hex(
		"0a0f 8580 0001 0001 0000 0000 01 61 00 0001 0001 c00c 0001 0001 0000003c 0004"
		" 01020304",
		&q, -2, 0);
	parse_hex("0a0f 8800 0001 0000 0000 0000", &q, -2, 0); /* QR wins over OPCODE */
}
END_TEST

/* Build the answer to @qhex; check the length and bytes. */
static void build_hex(const char *qhex, int rcode, const struct pd_addr *addrs, size_t naddrs,
		      size_t max_len, const char *want_hex)
{
	uint8_t m[1024], out[2048];
	struct pd_dns_query q;
	size_t n = unhex(qhex, m, sizeof(m));
	int prc;
	ssize_t r;

	pd_dns_parse_query(m, n, &q, &prc);
	r = pd_dns_build_response(&q, m, rcode, addrs, naddrs, 60, max_len, out, sizeof(out));
	ck_assert_msg(r > 0, "build failed: %zd", r);
	expect_bytes(out, (size_t)r, want_hex);
}

START_TEST(test_build_a_aaaa)
{
	struct pd_addr addrs[] = { v4("93.184.215.14"),
				   v6("2606:2800:21f:cb07:6820:80da:af6b:8b2c"), v4("10.0.0.1") };

	/* A: the v4 addresses in order, the v6 one skipped; case of the question kept */
	build_hex(GLIBC_A, 0, addrs, 3, 512,
		  "11f3 8580 0001 0002 0000 0000 074578616d706c6503434f4d00 0001 0001"
		  " c00c 0001 0001 0000003c 0004 5db8d70e"
		  " c00c 0001 0001 0000003c 0004 0a000001");
	/* AAAA */
	build_hex(GLIBC_AAAA, 0, addrs, 3, 512,
		  "a6f5 8580 0001 0001 0000 0000 074578616d706c6503434f4d00 001c 0001"
		  " c00c 001c 0001 0000003c 0010 26062800021fcb07682080daaf6b8b2c");
	/* AAAA with only v4 addresses: NOERROR, no answers (IPv6 off) */
	build_hex(GLIBC_AAAA, 0, addrs + 2, 1, 512,
		  "a6f5 8580 0001 0000 0000 0000 074578616d706c6503434f4d00 001c 0001");
	/* MX of an allowed name: NOERROR, no answers; RD 0 copied */
	build_hex("0005 0000 0001 0000 0000 0000 01 61 00 000f 0001", 0, addrs, 3, 512,
		  "0005 8480 0001 0000 0000 0000 01 61 00 000f 0001");
	/* class CH asks for A: no IN answers */
	build_hex("0005 0100 0001 0000 0000 0000 01 61 00 0001 0003", 0, addrs, 3, 512,
		  "0005 8580 0001 0000 0000 0000 01 61 00 0001 0003");
	/* NXDOMAIN and REFUSED: addresses ignored */
	build_hex(GLIBC_A, PD_DNS_RCODE_NXDOMAIN, addrs, 3, 512,
		  "11f3 8583 0001 0000 0000 0000 074578616d706c6503434f4d00 0001 0001");
	build_hex(GLIBC_A, PD_DNS_RCODE_REFUSED, addrs, 3, 512,
		  "11f3 8585 0001 0000 0000 0000 074578616d706c6503434f4d00 0001 0001");
}
END_TEST

START_TEST(test_build_errors)
{
	/* FORMERR for an unreadable question: no question */
	build_hex("0001 0100 0001 0000 0000 0000 c0 0c 0001 0001", PD_DNS_RCODE_FORMERR, NULL, 0,
		  512, "0001 8581 0000 0000 0000 0000");
	/* FORMERR after a readable question: the question repeated, no OPT */
	build_hex("0002 0000 0001 0000 0000 0000 01 61 00 0001 0001 00", PD_DNS_RCODE_FORMERR, NULL,
		  0, 512, "0002 8481 0001 0000 0000 0000 01 61 00 0001 0001");
	/* NOTIMP: OPCODE echoed */
	build_hex("0a0d 2800 0001 0000 0005 0000 ffff", PD_DNS_RCODE_NOTIMP, NULL, 0, 512,
		  "0a0d ac84 0000 0000 0000 0000");
	/* BADVERS: rcode 16 = header 0 + OPT upper bits 1, DO echoed */
	build_hex("0a0e 0100 0001 0000 0000 0001 01 61 00 0001 0001 00 0029 0400 00 01 8000 0000",
		  PD_DNS_RCODE_BADVERS, NULL, 0, 512,
		  "0a0e 8580 0001 0000 0000 0001 01 61 00 0001 0001 00 0029 04d0 01 00 8000 0000");
}
END_TEST

START_TEST(test_build_edns)
{
	struct pd_addr a = v4("192.0.2.7");

	/* OPT echoed: payload 1232, version 0, no DO */
	build_hex(GLIBC_EDNS, 0, &a, 1, 1200,
		  "d02c 8580 0001 0001 0000 0001 036170690667697468756203636f6d00 0001 0001"
		  " c00c 0001 0001 0000003c 0004 c0000207"
		  " 00 0029 04d0 00 00 0000 0000");
	/* DO echoed; options not echoed */
	build_hex(
		"0002 0100 0001 0000 0000 0001 01 61 00 0001 0001"
		" 00 0029 1000 00 00 8000 000c 000a 0008 0102030405060708",
		0, &a, 1, 1232,
		"0002 8580 0001 0001 0000 0001 01 61 00 0001 0001"
		" c00c 0001 0001 0000003c 0004 c0000207 00 0029 04d0 00 00 8000 0000");
}
END_TEST

/* The answer to @q with @n distinct A addresses under @max_len: checks TC and the count. */
static void check_tc(const uint8_t *m, size_t mlen, size_t n, size_t max_len, size_t cap,
		     unsigned want_an, bool want_tc, size_t want_len)
{
	static struct pd_addr addrs[200];
	static uint8_t out[70000];
	struct pd_dns_query q;
	int rcode;
	ssize_t r;

	ck_assert_int_eq(pd_dns_parse_query(m, mlen, &q, &rcode), 0);
	for (size_t i = 0; i < n; i++) {
		addrs[i].family = AF_INET;
		addrs[i].v4.s_addr = htonl(0x0a000000u + (uint32_t)i);
	}
	r = pd_dns_build_response(&q, m, 0, addrs, n, 30, max_len, out, cap);
	EXPECT_INT(r, (long long)want_len);
	EXPECT_UINT(((unsigned)out[6] << 8) | out[7], want_an);
	ck_assert_msg(((out[2] & 0x02) != 0) == want_tc, "TC: expected %d, flags %02x", want_tc,
		      out[2]);
	/* the answers that are there are the first ones, in order */
	for (unsigned i = 0; i < want_an; i++) {
		const uint8_t *rr = out + 12 + q.question_len + 16 * i;

		ck_assert_msg(rr[0] == 0xc0 && rr[1] == 0x0c && rr[10] == 0 && rr[11] == 4 &&
				      rr[12] == 10 && rr[15] == (uint8_t)i,
			      "answer %u malformed", i);
	}
	/* a response is never taken for a query */
	ck_assert_int_eq(pd_dns_parse_query(out, (size_t)r, &q, &rcode), -2);
}

START_TEST(test_build_truncation)
{
	uint8_t m[512], e[512];
	size_t n = unhex(GLIBC_A, m, sizeof(m));
	size_t en =
		unhex("0002 0100 0001 0000 0000 0001 01 61 00 0001 0001"
		      " 00 0029 1000 00 00 0000 0000",
		      e, sizeof(e));

	/* UDP 512: header + question 29 bytes, 16 per answer: 30 fit (509 bytes) */
	check_tc(m, n, 30, 512, 70000, 30, false, 509);
	check_tc(m, n, 31, 512, 70000, 30, true, 509);
	check_tc(m, n, 40, 0, 70000, 30, true, 509); /* max_len below 512 counts as 512 */
	/* TCP: all of them */
	check_tc(m, n, 200, PD_DNS_TCP_MAX, 70000, 200, false, 29 + 200 * 16);
	/* the buffer limits too: room for 2 answers */
	check_tc(m, n, 5, PD_DNS_TCP_MAX, 29 + 2 * 16 + 15, 2, true, 29 + 32);
	/* room for none: header and question only, TC */
	check_tc(m, n, 5, PD_DNS_TCP_MAX, 29, 0, true, 29);
	/* EDNS 1232: 12 + 7 + 11 = 30, (1232 - 30) / 16 = 75 answers, OPT last */
	check_tc(e, en, 75, 1232, 70000, 75, false, 30 + 75 * 16);
	check_tc(e, en, 100, 1232, 70000, 75, true, 30 + 75 * 16);
	check_tc(e, en, 100, 512, 70000, 30, true, 30 + 30 * 16);
	/* the room for the OPT record is kept: 512 - 12 - 20 = 480 = 30 answers
	 * without it, 29 with it */
	n = unhex(GLIBC_EDNS, m, sizeof(m));
	check_tc(m, n, 40, 512, 70000, 29, true, 32 + 29 * 16 + 11);
	check_tc(m, n, 29, 512, 70000, 29, false, 32 + 29 * 16 + 11);
}
END_TEST

START_TEST(test_build_refused)
{
	uint8_t m[512], out[600];
	struct pd_dns_query q;
	size_t n = unhex(GLIBC_EDNS, m, sizeof(m));
	int rcode;

	ck_assert_int_eq(pd_dns_parse_query(m, n, &q, &rcode), 0);
	/* header + question + OPT = 12 + 20 + 11 = 43 */
	EXPECT_INT(pd_dns_build_response(&q, m, 0, NULL, 0, 1, 512, out, 42), -1);
	EXPECT_INT(pd_dns_build_response(&q, m, 0, NULL, 0, 1, 512, out, 43), 43);
	/* rcodes that cannot be expressed */
	EXPECT_INT(pd_dns_build_response(&q, m, -1, NULL, 0, 1, 512, out, sizeof(out)), -1);
	EXPECT_INT(pd_dns_build_response(&q, m, 4096, NULL, 0, 1, 512, out, sizeof(out)), -1);
	q.edns = false;
	EXPECT_INT(pd_dns_build_response(&q, m, 16, NULL, 0, 1, 512, out, sizeof(out)), -1);
	EXPECT_INT(pd_dns_build_response(&q, m, 15, NULL, 0, 1, 512, out, sizeof(out)), 32);
	EXPECT_INT(pd_dns_build_response(&q, m, 0, NULL, 0, 1, 512, out, 31), -1);
	/* a question length the parser never gives */
	q.question_len = 300;
	EXPECT_INT(pd_dns_build_response(&q, m, 0, NULL, 0, 1, 512, out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_type_name_and_frame)
{
	char buf[PD_DNS_TYPE_NAME_MAX];
	static const uint8_t frame[] = { 0x01, 0x02, 0xff };
	static const uint8_t big[] = { 0xff, 0xff };

	EXPECT_STR(pd_dns_type_name(PD_DNS_A, buf), "A");
	EXPECT_STR(pd_dns_type_name(PD_DNS_AAAA, buf), "AAAA");
	EXPECT_STR(pd_dns_type_name(15, buf), "MX");
	EXPECT_STR(pd_dns_type_name(16, buf), "TXT");
	EXPECT_STR(pd_dns_type_name(12, buf), "PTR");
	EXPECT_STR(pd_dns_type_name(255, buf), "ANY");
	EXPECT_STR(pd_dns_type_name(65, buf), "HTTPS");
	ck_assert_ptr_eq(pd_dns_type_name(123, buf), buf);
	EXPECT_STR(buf, "TYPE123");
	EXPECT_STR(pd_dns_type_name(0, buf), "TYPE0");
	EXPECT_STR(pd_dns_type_name(65535, buf), "TYPE65535");

	EXPECT_UINT(pd_dns_tcp_frame_len(frame, 0), 0);
	EXPECT_UINT(pd_dns_tcp_frame_len(frame, 1), 0);
	EXPECT_UINT(pd_dns_tcp_frame_len(frame, 2), 258);
	EXPECT_UINT(pd_dns_tcp_frame_len(frame, 3), 258);
	EXPECT_UINT(pd_dns_tcp_frame_len(big, 2), 65535);
}
END_TEST

static Suite *dns_msg_suite(void)
{
	Suite *s = suite_create("dns_msg");
	TCase *p = tcase_create("parse");
	TCase *b = tcase_create("build");

	tcase_add_test(p, test_parse_real_clients);
	tcase_add_test(p, test_parse_shapes);
	tcase_add_test(p, test_parse_name_limits);
	tcase_add_test(p, test_parse_formerr);
	tcase_add_test(p, test_parse_formerr_after_question);
	tcase_add_test(p, test_parse_notimp_badvers_drop);
	tcase_add_test(b, test_build_a_aaaa);
	tcase_add_test(b, test_build_errors);
	tcase_add_test(b, test_build_edns);
	tcase_add_test(b, test_build_truncation);
	tcase_add_test(b, test_build_refused);
	tcase_add_test(b, test_type_name_and_frame);
	suite_add_tcase(s, p);
	suite_add_tcase(s, b);
	return s;
}

PD_UNIT_SUITE(dns_msg_suite);
