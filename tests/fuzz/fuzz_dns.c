/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dns.c - libFuzzer target for the resolver's DNS wire format
 * (proxy/dns_msg.c): the input is one message as a client would send it.
 *
 * Oracles:
 *   1. a reference reading written here apart from the parser decides the
 *      outcome: drop (-2) for fewer than 12 bytes or QR=1; NOTIMP for an
 *      OPCODE other than 0; FORMERR unless QDCOUNT=1, ANCOUNT=NSCOUNT=0,
 *      ARCOUNT<=1, the name is labels of 1-63 bytes in 0x21-0x7e without
 *      '.' (at most 255 wire bytes), QTYPE/QCLASS follow, and then the
 *      message ends (ARCOUNT 0) or holds exactly one OPT record at the root
 *      whose RDATA is a list of options ending with the message; BADVERS
 *      for such an OPT record of version != 0.  The parser must agree on the
 *      return value, the rcode and every field (id, RD, opcode, name,
 *      qtype, qclass, question length, EDNS fields);
 *   2. the parsed name, encoded back into labels, equals the question's
 *      wire bytes up to ASCII case, followed by QTYPE and QCLASS;
 *   3. an answer built for it (rcode, addresses, TTL, size limit and
 *      buffer size picked from a hash of the input; the buffer is a heap
 *      block of exactly that size, so ASan sees any write past it) is -1
 *      exactly when header, question and OPT do not fit, and otherwise
 *      reads back with the same id, opcode and RD, QR, AA, RA, the rcode
 *      split between the header and the OPT record, the question copied,
 *      the answers of the asked family in order as long as they fit (TC
 *      set exactly when some were left out, and then the next one would
 *      not have fit), the OPT record iff EDNS, nothing else; and the parser
 *      drops it (a response);
 *   4. pd_dns_udp_max_len(), pd_dns_tcp_frame_len() and pd_dns_type_name()
 *      agree with their definitions.
 * Seeds: tests/fuzz/corpus/fuzz_dns/.
 */
#include "proxy/dns_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) \
	do { \
		if (!(c)) { \
			fprintf(stderr, "fuzz_dns: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort(); \
		} \
	} while (0)

struct ref {
	int ret, rcode;
	char name[256];
	size_t qlen;
	unsigned qtype, qclass;
	int edns, edo;
	unsigned udp;
};

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] * 256 + p[1];
}

static char lower(uint8_t c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

static void ref_parse(const uint8_t *d, size_t n, struct ref *r)
{
	size_t i = 12, t = 0, end;
	char name[256];

	memset(r, 0, sizeof(*r));
	r->ret = -2;
	if (n < 12 || d[2] >= 0x80)
		return;
	r->ret = -1;
	if (d[2] & 0x78) {
		r->rcode = 4;
		return;
	}
	r->rcode = 1;
	if (be16(d + 4) != 1 || be16(d + 6) || be16(d + 8) || be16(d + 10) > 1)
		return;
	while (i < n && d[i] != 0) {
		unsigned l = d[i];

		if (l >= 64 || i - 12 + 1 + l + 1 > 255 || i + 1 + l > n)
			return;
		if (t)
			name[t++] = '.';
		for (unsigned k = 1; k <= l; k++) {
			if (d[i + k] <= 0x20 || d[i + k] >= 0x7f || d[i + k] == '.')
				return;
			name[t++] = lower(d[i + k]);
		}
		i += 1 + l;
	}
	if (i >= n || n - (i + 1) < 4)
		return; /* no root label, or no QTYPE/QCLASS */
	name[t] = '\0';
	memcpy(r->name, name, t + 1);
	r->qlen = i + 1 + 4 - 12;
	r->qtype = be16(d + i + 1);
	r->qclass = be16(d + i + 3);
	i += 5;
	if (be16(d + 10) == 0) {
		if (i == n)
			r->ret = r->rcode = 0;
		return;
	}
	if (n < i + 11 || d[i] != 0 || be16(d + i + 1) != 41 || i + 11 + be16(d + i + 9) != n)
		return;
	for (end = i + 11; end < n; end += 4 + be16(d + end + 2))
		if (n - end < 4 || n - end - 4 < be16(d + end + 2))
			return;
	r->edns = 1;
	r->udp = be16(d + i + 3);
	r->edo = d[i + 7] >> 7;
	if (d[i + 6]) {
		r->rcode = 16;
		return;
	}
	r->ret = r->rcode = 0;
}

/* Oracle 2: the name's labels are the question's wire name, up to case. */
static void check_reencode(const uint8_t *d, const struct pd_dns_query *q)
{
	uint8_t wire[300];
	size_t w = 0, nlen = strlen(q->name);
	const char *s = q->name;

	while (nlen) {
		const char *dot = memchr(s, '.', nlen);
		size_t l = dot ? (size_t)(dot - s) : nlen;

		CHECK(l >= 1 && l <= 63 && w + 1 + l < sizeof(wire));
		wire[w++] = (uint8_t)l;
		memcpy(wire + w, s, l);
		w += l;
		s += l + (dot ? 1 : 0);
		nlen -= l + (dot ? 1 : 0);
		CHECK(!dot || nlen > 0); /* no trailing dot */
	}
	wire[w++] = 0;
	CHECK(w + 4 == q->question_len);
	for (size_t i = 0; i < w; i++)
		CHECK(lower(d[12 + i]) == (char)wire[i]);
	CHECK(be16(d + 12 + w) == q->qtype && be16(d + 14 + w) == q->qclass);
}

static uint64_t hash(const uint8_t *d, size_t n)
{
	uint64_t h = 1469598103934665603u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ d[i]) * 1099511628211u;
	return h;
}

/* Oracle 3: build an answer with parameters from @h and read it back. */
static void check_answer(const uint8_t *d, const struct pd_dns_query *q, int rcode, uint64_t h)
{
	static const size_t limits[] = { 0, 512, 1232, PD_DNS_TCP_MAX, 700 };
	struct pd_addr addrs[64];
	size_t naddrs = (h >> 8) % 65, max_len, lim, cap, opt = q->edns ? 11 : 0, p, k = 0, an;
	uint32_t ttl = (uint32_t)(h >> 32);
	unsigned rrlen = q->qtype == PD_DNS_AAAA ? 28 : 16;
	int fam = q->qtype == PD_DNS_AAAA ? AF_INET6 : AF_INET;
	int answers = rcode == 0 && q->question_len && q->qclass == PD_DNS_CLASS_IN &&
		      (q->qtype == PD_DNS_A || q->qtype == PD_DNS_AAAA);
	uint8_t *out;
	ssize_t r;
	struct pd_dns_query back;
	int brc, left_out = 0;

	for (size_t i = 0; i < naddrs; i++) {
		memset(&addrs[i], 0, sizeof(addrs[i]));
		addrs[i].family = (h >> (i % 48)) & 1 ? AF_INET : AF_INET6;
		if ((h >> 20) % 17 == 0 && i == 3)
			addrs[i].family = 0; /* neither: always skipped */
		memset(&addrs[i].v6, (int)(i * 7 + 1), sizeof(addrs[i].v6));
	}
	max_len = (h >> 14) % 6 == 5 ? pd_dns_udp_max_len(q) : limits[(h >> 14) % 6];
	lim = max_len < 512 ? 512 : max_len > 65535 ? 65535 : max_len;
	switch ((h >> 40) % 4) {
	case 0:
		cap = lim;
		break;
	case 1:
		cap = 12 + q->question_len + opt + (h >> 44) % 40;
		break;
	case 2:
		cap = 12 + q->question_len + opt - (h >> 44) % 3;
		break;
	default:
		cap = 70000;
		break;
	}
	out = malloc(cap ? cap : 1);
	CHECK(out);
	r = pd_dns_build_response(q, d, rcode, addrs, naddrs, ttl, max_len, out, cap);
	if (cap < lim)
		lim = cap;
	if (12 + q->question_len + opt > lim) {
		CHECK(r == -1);
		free(out);
		return;
	}
	CHECK(r >= 12 && (size_t)r <= lim);
	CHECK(be16(out) == q->id);
	an = be16(out + 6);
	CHECK((out[2] & ~0x02) == (0x80 | q->opcode << 3 | 0x04 | (q->rd ? 1 : 0)));
	CHECK(out[3] == (0x80 | (rcode & 15)));
	CHECK(be16(out + 4) == (q->question_len ? 1 : 0) && be16(out + 8) == 0);
	CHECK(be16(out + 10) == (q->edns ? 1 : 0));
	CHECK(memcmp(out + 12, d + 12, q->question_len) == 0);
	p = 12 + q->question_len;
	for (size_t i = 0; answers && i < naddrs; i++) {
		const uint8_t *rr = out + p;

		if (addrs[i].family != fam)
			continue;
		if (k == an) {
			/* left out: it would not have fit */
			CHECK(p + rrlen + opt > lim);
			left_out = 1;
			break;
		}
		CHECK(be16(rr) == 0xc00c && be16(rr + 2) == q->qtype && be16(rr + 4) == 1);
		CHECK(be16(rr + 6) == ttl >> 16 && be16(rr + 8) == (ttl & 0xffff));
		CHECK(be16(rr + 10) == rrlen - 12);
		CHECK(memcmp(rr + 12, &addrs[i].v6, rrlen - 12) == 0);
		p += rrlen;
		k++;
	}
	CHECK(k == an);
	CHECK(!!(out[2] & 0x02) == left_out); /* TC exactly when answers were left out */
	if (q->edns) {
		static const uint8_t opt_rr[] = { 0, 0, 41, 0x04, 0xd0 };

		CHECK(memcmp(out + p, opt_rr, 5) == 0 && out[p + 5] == (rcode >> 4) &&
		      out[p + 6] == 0 && out[p + 7] == (q->edns_do ? 0x80 : 0) && out[p + 8] == 0 &&
		      be16(out + p + 9) == 0);
		p += 11;
	}
	CHECK((size_t)r == p);
	CHECK(pd_dns_parse_query(out, (size_t)r, &back, &brc) == -2 && brc == 0);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_dns_query q;
	struct ref ref;
	char tbuf[PD_DNS_TYPE_NAME_MAX], want[PD_DNS_TYPE_NAME_MAX];
	const char *tn;
	int rcode = -99, r;
	size_t want_max;
	uint64_t h;

	if (size > 70000)
		return 0;
	CHECK(pd_dns_tcp_frame_len(data, size) == (size >= 2 ? be16(data) : 0));

	r = pd_dns_parse_query(data, size, &q, &rcode);
	ref_parse(data, size, &ref);
	CHECK(r == ref.ret && rcode == ref.rcode);
	if (r == -2) {
		CHECK(q.question_len == 0 && !q.edns);
		return 0;
	}
	CHECK(q.id == be16(data) && q.rd == (data[2] & 1) && q.opcode == ((data[2] >> 3) & 15));
	CHECK(q.question_len == ref.qlen && !strcmp(q.name, ref.name));
	CHECK(q.edns == ref.edns);
	if (q.question_len) {
		CHECK(q.qtype == ref.qtype && q.qclass == ref.qclass);
		check_reencode(data, &q);
	}
	if (q.edns)
		CHECK(q.edns_udp_size == ref.udp && q.edns_do == ref.edo);
	want_max = 512;
	if (ref.edns && ref.udp > 512)
		want_max = ref.udp > 1232 ? 1232 : ref.udp;
	CHECK(pd_dns_udp_max_len(&q) == want_max);

	tn = pd_dns_type_name(q.qtype, tbuf);
	CHECK(tn && *tn && strlen(tn) < PD_DNS_TYPE_NAME_MAX);
	snprintf(want, sizeof(want), "TYPE%u", (unsigned)q.qtype);
	CHECK(tn != tbuf || !strcmp(tn, want));

	h = hash(data, size);
	if (r == 0) {
		static const int verdicts[] = { 0, 0, 0, 3, 5, 2 };

		check_answer(data, &q, verdicts[h % 6], h);
	} else {
		check_answer(data, &q, rcode, h);
	}
	return 0;
}
