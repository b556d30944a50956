/* SPDX-License-Identifier: MIT */
/*
 * dns_msg.h - the DNS wire format of the sandbox's resolver: parse one query,
 * build its answer.
 *
 * The resolver answers only allowlisted names, only with A/AAAA records it
 * already knows; it never recurses and never parses a response.  So the
 * parser takes exactly one shape of message (a standard query with one
 * question and at most an EDNS0 OPT record), refuses everything else with
 * the rcode a client expects (FORMERR, NOTIMP) or tells the caller to drop
 * it, and the builder writes answers that point back at the question's name.
 * No allocation, no state: both work on caller buffers with explicit lengths.
 *
 *	struct pd_dns_query q;
 *	int rcode;
 *	int r = pd_dns_parse_query(pkt, n, &q, &rcode);
 *	if (r == -2)
 *		return;                     // not for us to answer
 *	len = pd_dns_build_response(&q, pkt, r == 0 ? verdict : rcode, addrs, naddrs, 60,
 *				    pd_dns_udp_max_len(&q), out, sizeof(out));
 */
#ifndef PAUDE_PROXY_DNS_MSG_H
#define PAUDE_PROXY_DNS_MSG_H

#include "proxy/addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Record types (RFC 1035, 3596, 6891). */
#define PD_DNS_A 1
#define PD_DNS_NS 2
#define PD_DNS_CNAME 5
#define PD_DNS_SOA 6
#define PD_DNS_PTR 12
#define PD_DNS_MX 15
#define PD_DNS_TXT 16
#define PD_DNS_AAAA 28
#define PD_DNS_SRV 33
#define PD_DNS_OPT 41
#define PD_DNS_DS 43
#define PD_DNS_RRSIG 46
#define PD_DNS_DNSKEY 48
#define PD_DNS_SVCB 64
#define PD_DNS_HTTPS 65
#define PD_DNS_IXFR 251
#define PD_DNS_AXFR 252
#define PD_DNS_ANY 255

#define PD_DNS_CLASS_IN 1

/* Response codes; BADVERS (16) only travels with EDNS (its upper bits sit in the OPT record). */
#define PD_DNS_RCODE_NOERROR 0
#define PD_DNS_RCODE_FORMERR 1
#define PD_DNS_RCODE_SERVFAIL 2
#define PD_DNS_RCODE_NXDOMAIN 3
#define PD_DNS_RCODE_NOTIMP 4
#define PD_DNS_RCODE_REFUSED 5
#define PD_DNS_RCODE_BADVERS 16

#define PD_DNS_HEADER_LEN 12
/* Message size limits: plain UDP, the EDNS payload size we use and accept, TCP. */
#define PD_DNS_UDP_MAX 512
#define PD_DNS_EDNS_MAX 1232
#define PD_DNS_TCP_MAX 65535
/* A name in presentation form: at most 253 characters and the NUL. */
#define PD_DNS_NAME_MAX 256
/* pd_dns_type_name()'s buffer: "TYPE65535" and the NUL fit. */
#define PD_DNS_TYPE_NAME_MAX 16

/* One parsed query. */
struct pd_dns_query {
	uint16_t id;
	bool rd;        /* recursion desired: copied into the response */
	uint8_t opcode; /* copied into the response (0 unless NOTIMP) */
	uint16_t qtype, qclass;
	/*
	 * Presentation form: labels joined by '.', no trailing dot, ASCII
	 * lowercased; "" for the root.  Labels hold only bytes 0x21-0x7e
	 * other than '.', so the form is unambiguous and needs no escapes.
	 */
	char name[PD_DNS_NAME_MAX];
	/* Wire bytes of the question (name, qtype, qclass) at offset 12; 0: none usable. */
	size_t question_len;
	bool edns;              /* an OPT record came (version 0, or BADVERS) */
	uint16_t edns_udp_size; /* the client's payload size, as sent */
	bool edns_do;           /* DNSSEC OK: echoed in our OPT record */
};

/*
 * pd_dns_parse_query() - read one DNS message a client sent.
 * @msg: the message (a UDP datagram, or a TCP frame without its length prefix)
 * @len: its length in bytes
 * @q: filled (zeroed first); see below for what an error leaves in it
 * @rcode: set to the rcode of the error answer (0 otherwise)
 *
 * Accepted: QR=0, OPCODE=0, QDCOUNT=1, ANCOUNT=0, NSCOUNT=0, ARCOUNT 0 or 1,
 * the one additional record being an EDNS0 OPT record (root owner name,
 * well-formed option list), nothing after the declared sections.  The
 * question name must be uncompressed, labels of 1-63 bytes in 0x21-0x7e
 * without '.', at most 255 wire bytes.  Flags other than QR, OPCODE and RD
 * (AA, TC, Z, AD, CD, a nonzero RCODE) are ignored.
 *
 * On -1, q->id, q->rd and q->opcode are set.  When the error lies after a
 * well-formed question (trailing bytes, a bad additional record, BADVERS),
 * q->question_len, q->qtype, q->qclass and q->name are set too, so the error
 * answer can repeat the question; otherwise q->question_len is 0 and
 * q->name "".  q->edns is set only with BADVERS: a FORMERR answer carries no
 * OPT record.
 *
 * Return: 0 for a query to answer (*rcode 0); -1 for one to answer with
 * *rcode: FORMERR (malformed: truncated header or question, compression
 * pointer or extended label type in the question name, name over 255 bytes,
 * a byte outside 0x21-0x7e or '.' in a label, counts other than the above, a
 * second or malformed OPT record or another additional record, trailing
 * bytes), NOTIMP (OPCODE not 0; nothing else is read) or BADVERS (EDNS
 * version not 0; the question is parsed); -2 for a message to drop without
 * an answer (shorter than the 12-byte header, or QR=1: never answer a
 * response).
 */
int pd_dns_parse_query(const uint8_t *msg, size_t len, struct pd_dns_query *q, int *rcode);

/*
 * pd_dns_udp_max_len() - the largest UDP answer the client of @q takes: 512
 * without EDNS, else its payload size clamped to 512..1232 (RFC 6891 and the
 * DNS flag day 2020 size).  Over TCP the limit is PD_DNS_TCP_MAX.
 * @q: a parsed query
 *
 * Return: the size in bytes.
 */
size_t pd_dns_udp_max_len(const struct pd_dns_query *q);

/*
 * pd_dns_build_response() - write the answer to @q.
 * @q: the query, as pd_dns_parse_query() filled it (after 0 or -1)
 * @qmsg: the message @q was parsed from; its question (q->question_len bytes
 *        at offset 12) is copied into the answer
 * @rcode: 0-15, or BADVERS when q->edns
 * @addrs: the name's addresses; with rcode NOERROR, a question of class IN
 *         and qtype A (AAAA), each AF_INET (AF_INET6) one becomes an answer
 *         record, in order; the others are skipped.  Ignored otherwise.
 * @naddrs: how many (0: NOERROR without answers, e.g. MX of an allowed name)
 * @ttl: the answers' TTL in seconds
 * @max_len: the largest message the client takes: pd_dns_udp_max_len() over
 *           UDP, PD_DNS_TCP_MAX over TCP; clamped to 512..65535
 * @out: where to write
 * @cap: @out's size; the message never exceeds min(@cap, @max_len)
 *
 * The answer: same id and opcode, QR=1, AA=1, RD copied, RA=1, the rcode;
 * QDCOUNT 1 with the question copied byte for byte (QDCOUNT 0 when
 * q->question_len is 0); the answer records, each owned by a compression
 * pointer to the question name (0xc00c), class IN, @ttl, 4 or 16 bytes of
 * address; then, when q->edns, an OPT record (payload size 1232, version 0,
 * DO copied, no options, the upper rcode bits).  Answers that do not fit
 * set TC=1 and are left out from the first one that does not fit (possibly
 * all of them).  Over TCP, the caller sends the 2-byte length first.
 *
 * Return: the length written, or -1 when min(@cap, @max_len) cannot hold the
 * header, question and OPT record, or @rcode cannot be expressed (over 15
 * without EDNS, over 4095); nothing useful is in @out then.
 */
ssize_t pd_dns_build_response(const struct pd_dns_query *q, const uint8_t *qmsg, int rcode,
			      const struct pd_addr *addrs, size_t naddrs, uint32_t ttl,
			      size_t max_len, uint8_t *out, size_t cap);

/*
 * pd_dns_type_name() - a record type's mnemonic for logs: "A", "AAAA",
 * "MX", ... for the types above, "TYPE123" (RFC 3597) for the others.
 * @qtype: the type
 * @buf: PD_DNS_TYPE_NAME_MAX bytes the "TYPEn" form is written into
 *
 * Return: a string constant or @buf, never NULL.
 */
const char *pd_dns_type_name(uint16_t qtype, char buf[PD_DNS_TYPE_NAME_MAX]);

/*
 * pd_dns_tcp_frame_len() - the length prefix of DNS over TCP (RFC 1035
 * 4.2.2): each message is preceded by its length as 2 bytes, big-endian.
 * A reader accumulates bytes until it has 2 + the returned length; a zero
 * length frame is malformed (no message is shorter than 12 bytes) and
 * warrants closing the connection, as does a length below 12.
 * @buf: the bytes received so far on the connection, from a frame's start
 * @len: how many
 *
 * Return: the message length the prefix announces (0-65535) when @len >= 2,
 * else 0 (not known yet).
 */
size_t pd_dns_tcp_frame_len(const uint8_t *buf, size_t len);

#endif
