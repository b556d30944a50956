/* SPDX-License-Identifier: MIT */
/*
 * dns_msg.c - DNS wire format for the sandbox's allowlist-only resolver.
 *
 * Theory of operation.  The resolver in the proxy process is authoritative
 * for exactly what the allowlist holds and knows nothing else, so this file
 * only has to read queries and write answers, never the other way round.
 *
 * Parsing is a single forward pass over a buffer of known length, every read
 * preceded by a check of the bytes left:
 *   1. the 12-byte header: shorter messages and responses (QR=1) are
 *      dropped (-2): answering either would let a spoofed source turn the
 *      resolver into a reflector or start a loop between two resolvers;
 *   2. OPCODE other than QUERY: NOTIMP, without reading further;
 *   3. the counts: one question, no answer or authority records, at most
 *      one additional record (else FORMERR);
 *   4. the question name, label by label.  Compression pointers are refused
 *      (a query has nothing to point back at, and it spares the loop and
 *      bounds bookkeeping pointers need), as are the unassigned label types
 *      0x40/0x80, labels with bytes outside 0x21-0x7e or a '.', and names
 *      over 255 wire bytes.  The presentation form is built at the same
 *      time, lowercased; since '.' cannot occur inside a label it needs no
 *      escapes and maps back to the wire form one to one (up to case);
 *   5. QTYPE and QCLASS, taken as they are: which ones get answers is the
 *      caller's policy;
 *   6. the OPT record when ARCOUNT is 1: root owner, type 41, an RDATA that
 *      ends exactly at the end of the message and is a well-formed list of
 *      options (which are then ignored); version 0, else BADVERS;
 *   7. nothing may follow the last declared section.
 *
 * Building an answer copies the header fields a client matches on (id,
 * opcode, RD) and the question's wire bytes, unchanged (so a client's
 * 0x20 case randomisation comes back as it sent it), then appends one
 * record per address of the asked family, each owned by the pointer 0xc00c
 * (the question name at offset 12), and the OPT record when the query had
 * one.  Room for the OPT record is set aside first; answers that would
 * cross the size limit are left out and TC is set, so a UDP client retries
 * over TCP, where the limit is 65535.
 */
#include "proxy/dns_msg.h"

#include <stdio.h>
#include <string.h>

#define OPT_RR_LEN 11   /* root name, type, class, ttl, rdlength */
#define ANSWER_FIXED 12 /* pointer, type, class, ttl, rdlength */
#define QUESTION_MAX (255 + 4)

/* Header flag bits (byte 2 and byte 3 of the header). */
#define F2_QR 0x80
#define F2_AA 0x04
#define F2_TC 0x02
#define F2_RD 0x01
#define F3_RA 0x80

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * The question name at @msg[@off], into @name (presentation form, lowercased).
 * Return: its wire length (terminating zero included), or 0 when malformed.
 */
static size_t read_qname(const uint8_t *msg, size_t len, size_t off, char *name)
{
	size_t p = off, w = 0;

	for (;;) {
		size_t l;

		if (p >= len)
			return 0; /* truncated */
		l = msg[p];
		if (l == 0)
			break;
		if (l > 63)
			return 0; /* a compression pointer (0xc0) or a label type 0x40/0x80 */
		/* this label, its length byte and the root label must fit in 255 */
		if (p - off + 1 + l + 1 > 255)
			return 0;
		if (len - p - 1 < l)
			return 0; /* truncated */
		if (w > 0)
			name[w++] = '.';
		for (size_t i = 0; i < l; i++) {
			uint8_t c = msg[p + 1 + i];

			if (c < 0x21 || c > 0x7e || c == '.')
				return 0;
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			name[w++] = (char)c;
		}
		p += 1 + l;
	}
	name[w] = '\0';
	return p + 1 - off;
}

/*
 * The additional section at @msg[@off]: one OPT record ending the message.
 * Return: 0 (q->edns_* set), or the rcode to answer with.
 */
static int read_opt(const uint8_t *msg, size_t len, size_t off, struct pd_dns_query *q)
{
	size_t p, end;

	if (len - off < OPT_RR_LEN || msg[off] != 0 || get16(msg + off + 1) != PD_DNS_OPT)
		return PD_DNS_RCODE_FORMERR;
	if (len - off - OPT_RR_LEN != get16(msg + off + 9))
		return PD_DNS_RCODE_FORMERR; /* RDATA truncated, or bytes after it */
	/* options: code, length, data, filling RDATA exactly */
	end = len;
	for (p = off + OPT_RR_LEN; p < end;) {
		if (end - p < 4 || end - p - 4 < get16(msg + p + 2))
			return PD_DNS_RCODE_FORMERR;
		p += 4 + (size_t)get16(msg + p + 2);
	}
	q->edns = true;
	q->edns_udp_size = get16(msg + off + 3);
	q->edns_do = (msg[off + 7] & 0x80) != 0;
	/* off + 5: the upper bits of a query's rcode, meaningless: ignored */
	if (msg[off + 6] != 0)
		return PD_DNS_RCODE_BADVERS;
	return 0;
}

int pd_dns_parse_query(const uint8_t *msg, size_t len, struct pd_dns_query *q, int *rcode)
{
	size_t nlen, off;
	int r;

	memset(q, 0, sizeof(*q));
	*rcode = 0;
	if (len < PD_DNS_HEADER_LEN || (msg[2] & F2_QR))
		return -2;
	q->id = get16(msg);
	q->rd = (msg[2] & F2_RD) != 0;
	q->opcode = (uint8_t)((msg[2] >> 3) & 0xf);
	if (q->opcode != 0) {
		*rcode = PD_DNS_RCODE_NOTIMP;
		return -1;
	}
	*rcode = PD_DNS_RCODE_FORMERR;
	if (get16(msg + 4) != 1 || get16(msg + 6) != 0 || get16(msg + 8) != 0 ||
	    get16(msg + 10) > 1)
		return -1;
	nlen = read_qname(msg, len, PD_DNS_HEADER_LEN, q->name);
	if (nlen == 0 || len - PD_DNS_HEADER_LEN - nlen < 4) {
		q->name[0] = '\0';
		return -1;
	}
	off = PD_DNS_HEADER_LEN + nlen;
	q->qtype = get16(msg + off);
	q->qclass = get16(msg + off + 2);
	q->question_len = nlen + 4;
	off += 4;
	if (get16(msg + 10) == 0)
		r = off == len ? 0 : PD_DNS_RCODE_FORMERR;
	else
		r = read_opt(msg, len, off, q);
	*rcode = r; /* read_opt() sets q->edns only once the record is well-formed */
	return r ? -1 : 0;
}

size_t pd_dns_udp_max_len(const struct pd_dns_query *q)
{
	if (!q->edns || q->edns_udp_size <= PD_DNS_UDP_MAX)
		return PD_DNS_UDP_MAX;
	return q->edns_udp_size < PD_DNS_EDNS_MAX ? q->edns_udp_size : PD_DNS_EDNS_MAX;
}

ssize_t pd_dns_build_response(const struct pd_dns_query *q, const uint8_t *qmsg, int rcode,
			      const struct pd_addr *addrs, size_t naddrs, uint32_t ttl,
			      size_t max_len, uint8_t *out, size_t cap)
{
	size_t qlen = q->question_len, opt = q->edns ? OPT_RR_LEN : 0, lim, p;
	unsigned an = 0;
	bool tc = false;

	if (rcode < 0 || rcode > 0xfff || (rcode > 0xf && !q->edns))
		return -1;
	if (qlen > QUESTION_MAX || (qlen > 0 && qlen < 5))
		return -1; /* not what the parser fills in */
	lim = max_len < PD_DNS_UDP_MAX ? PD_DNS_UDP_MAX : max_len;
	if (lim > PD_DNS_TCP_MAX)
		lim = PD_DNS_TCP_MAX;
	if (lim > cap)
		lim = cap;
	if (PD_DNS_HEADER_LEN + qlen + opt > lim)
		return -1;

	put16(out, q->id);
	out[2] = (uint8_t)(F2_QR | (q->opcode & 0xf) << 3 | F2_AA | (q->rd ? F2_RD : 0));
	out[3] = (uint8_t)(F3_RA | (rcode & 0xf));
	put16(out + 4, qlen ? 1 : 0);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, opt ? 1 : 0);
	p = PD_DNS_HEADER_LEN;
	if (qlen) {
		memcpy(out + p, qmsg + PD_DNS_HEADER_LEN, qlen);
		p += qlen;
	}

	if (rcode == PD_DNS_RCODE_NOERROR && qlen && q->qclass == PD_DNS_CLASS_IN &&
	    (q->qtype == PD_DNS_A || q->qtype == PD_DNS_AAAA)) {
		int family = q->qtype == PD_DNS_A ? AF_INET : AF_INET6;
		size_t rdlen = family == AF_INET ? 4 : 16;

		for (size_t i = 0; i < naddrs; i++) {
			if (addrs[i].family != family)
				continue;
			if (lim - p - opt < ANSWER_FIXED + rdlen) {
				tc = true;
				break;
			}
			put16(out + p, 0xc000 | PD_DNS_HEADER_LEN);
			put16(out + p + 2, q->qtype);
			put16(out + p + 4, PD_DNS_CLASS_IN);
			put32(out + p + 6, ttl);
			put16(out + p + 10, (unsigned)rdlen);
			memcpy(out + p + ANSWER_FIXED,
			       family == AF_INET ? (const void *)&addrs[i].v4
						 : (const void *)&addrs[i].v6,
			       rdlen);
			p += ANSWER_FIXED + rdlen;
			an++;
		}
	}
	put16(out + 6, an);
	if (tc)
		out[2] |= F2_TC;

	if (opt) {
		out[p] = 0; /* root */
		put16(out + p + 1, PD_DNS_OPT);
		put16(out + p + 3, PD_DNS_EDNS_MAX);
		out[p + 5] = (uint8_t)(rcode >> 4); /* extended rcode */
		out[p + 6] = 0;                     /* version */
		put16(out + p + 7, q->edns_do ? 0x8000 : 0);
		put16(out + p + 9, 0); /* no options */
		p += OPT_RR_LEN;
	}
	return (ssize_t)p;
}

const char *pd_dns_type_name(uint16_t qtype, char buf[PD_DNS_TYPE_NAME_MAX])
{
	switch (qtype) {
	case PD_DNS_A:
		return "A";
	case PD_DNS_NS:
		return "NS";
	case PD_DNS_CNAME:
		return "CNAME";
	case PD_DNS_SOA:
		return "SOA";
	case PD_DNS_PTR:
		return "PTR";
	case PD_DNS_MX:
		return "MX";
	case PD_DNS_TXT:
		return "TXT";
	case PD_DNS_AAAA:
		return "AAAA";
	case PD_DNS_SRV:
		return "SRV";
	case PD_DNS_OPT:
		return "OPT";
	case PD_DNS_DS:
		return "DS";
	case PD_DNS_RRSIG:
		return "RRSIG";
	case PD_DNS_DNSKEY:
		return "DNSKEY";
	case PD_DNS_SVCB:
		return "SVCB";
	case PD_DNS_HTTPS:
		return "HTTPS";
	case PD_DNS_IXFR:
		return "IXFR";
	case PD_DNS_AXFR:
		return "AXFR";
	case PD_DNS_ANY:
		return "ANY";
	default:
		snprintf(buf, PD_DNS_TYPE_NAME_MAX, "TYPE%u", (unsigned)qtype);
		return buf;
	}
}

size_t pd_dns_tcp_frame_len(const uint8_t *buf, size_t len)
{
	return len >= 2 ? get16(buf) : 0;
}
