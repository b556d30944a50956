/* SPDX-License-Identifier: MIT */
/*
 * tls_sni.c - the SNI host name of a TLS ClientHello.
 *
 * Theory of operation
 *
 * The transparent proxy reads the first flight of a TLS client and must
 * name the host before it connects anywhere.  That flight starts with one
 * handshake record (RFC 8446 5.1, RFC 5246 6.2.1):
 *
 *	record:      type 22 | version(2) | length(2) | fragment
 *	handshake:   type 1 (ClientHello) | length(3) | body
 *	ClientHello: version(2) random(32) session_id<0..32>
 *	             cipher_suites<2..2^16-2> compression_methods<1..2^8-1>
 *	             extensions<0..2^16-1>  (type(2) | data<0..2^16-1>)*
 *	server_name: server_name_list<1..2^16-1>  (name_type(1) | name<1..2^16-1>)*
 *
 * The header fields are checked as soon as they are there (so a client
 * speaking something else is refused on its first bytes), then the parser
 * waits for the whole record (0: need more) and walks it with a bounded
 * cursor: every vector is taken from its parent only when its length fits
 * what is left of the parent, and every parent must be used up exactly.
 * Records are 2^14 bytes at most; a ClientHello that a client fragments
 * over several records (a large one, or a deliberately split one) is
 * refused rather than reassembled: its header already says it does not fit
 * the first record.  The name is validated as a DNS name and lowercased so
 * the allowlist can compare it byte for byte; the bytes on the wire are
 * relayed untouched by the caller.
 */
#include "proxy/tls_sni.h"

#include <stdbool.h>
#include <string.h>

/* A bounded view of bytes. */
struct span {
	const uint8_t *p;
	size_t n;
};

static bool take(struct span *s, size_t k, struct span *out)
{
	if (k > s->n)
		return false;
	out->p = s->p;
	out->n = k;
	s->p += k;
	s->n -= k;
	return true;
}

static bool u8(struct span *s, unsigned *v)
{
	struct span b;

	if (!take(s, 1, &b))
		return false;
	*v = b.p[0];
	return true;
}

static bool u16(struct span *s, unsigned *v)
{
	struct span b;

	if (!take(s, 2, &b))
		return false;
	*v = (unsigned)b.p[0] << 8 | b.p[1];
	return true;
}

/* A vector with a @width-byte length prefix (1 or 2). */
static bool vec(struct span *s, int width, struct span *out)
{
	unsigned n;

	if (!(width == 1 ? u8(s, &n) : u16(s, &n)))
		return false;
	return take(s, n, out);
}

static int fail(const char **reason, const char *why)
{
	if (reason)
		*reason = why;
	return -1;
}

/* NULL when @name is a plausible DNS name, else the reason. */
static const char *check_name(struct span name)
{
	size_t label = 0;

	if (name.n == 0)
		return "empty server name";
	if (name.n > PD_TLS_SNI_NAME_MAX)
		return "server name too long";
	for (size_t i = 0; i < name.n; i++) {
		uint8_t c = name.p[i];

		if (c == '.') {
			if (label == 0 || i == name.n - 1)
				return "empty label in server name";
			label = 0;
			continue;
		}
		if (c == '\0')
			return "NUL in server name";
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return "invalid character in server name";
		if (++label > 63)
			return "server name label too long";
	}
	return NULL;
}

/*
 * The server_name extension's data: exactly one host_name.  @name gets it;
 * NULL or the reason.
 */
static const char *parse_server_name(struct span ext, struct span *name)
{
	struct span list, entry;
	bool found = false;

	if (!vec(&ext, 2, &list) || ext.n != 0)
		return "bad server_name extension length";
	if (list.n == 0)
		return "empty server_name list";
	while (list.n > 0) {
		unsigned type;

		if (!u8(&list, &type))
			return "bad server_name list";
		if (type != 0)
			return "SNI name type not host_name";
		if (!vec(&list, 2, &entry))
			return "bad server name length";
		if (found)
			return "more than one host_name";
		found = true;
		*name = entry;
	}
	return NULL;
}

/* The ClientHello body: the server name into @name. */
static const char *parse_client_hello(struct span ch, struct span *name)
{
	struct span random, sid, suites, comp, exts;
	unsigned version;
	bool sni = false;

	if (!u16(&ch, &version))
		return "truncated ClientHello";
	if (version < 0x0301 || version > 0x0304)
		return "unsupported ClientHello version";
	if (!take(&ch, 32, &random))
		return "truncated ClientHello";
	if (!vec(&ch, 1, &sid) || sid.n > 32)
		return "bad session id length";
	if (!vec(&ch, 2, &suites) || suites.n < 2 || suites.n % 2 != 0)
		return "bad cipher suites length";
	if (!vec(&ch, 1, &comp) || comp.n < 1)
		return "bad compression methods length";
	if (ch.n == 0)
		return "no SNI extension";
	if (!vec(&ch, 2, &exts) || ch.n != 0)
		return "bad extensions length";
	while (exts.n > 0) {
		struct span data;
		unsigned type;
		const char *why;

		if (!u16(&exts, &type) || !vec(&exts, 2, &data))
			return "bad extension length";
		if (type != 0)
			continue;
		if (sni)
			return "duplicate SNI extension";
		sni = true;
		if ((why = parse_server_name(data, name)))
			return why;
	}
	if (!sni)
		return "no SNI extension";
	return NULL;
}

int pd_tls_sni(const uint8_t *buf, size_t len, char *host, size_t cap, const char **reason)
{
	struct span ch, name = { NULL, 0 };
	size_t reclen, hlen;
	const char *why;

	/* record header: type, version, length - each checked once it is in */
	if (len < 1)
		return 0;
	if (buf[0] != 22)
		return fail(reason, "not a TLS handshake record");
	if (len < 2)
		return 0;
	if (buf[1] != 3)
		return fail(reason, "unsupported TLS record version");
	if (len < 3)
		return 0;
	if (buf[2] > 4)
		return fail(reason, "unsupported TLS record version");
	if (len < 5)
		return 0;
	reclen = (size_t)buf[3] << 8 | buf[4];
	if (reclen == 0)
		return fail(reason, "empty TLS record");
	if (reclen > PD_TLS_RECORD_MAX)
		return fail(reason, "TLS record too long");
	/* handshake header */
	if (len < 6)
		return 0;
	if (buf[5] != 1)
		return fail(reason, "not a ClientHello");
	if (reclen < 4)
		return fail(reason, "ClientHello spans several records");
	if (len < 9)
		return 0;
	hlen = (size_t)buf[6] << 16 | (size_t)buf[7] << 8 | buf[8];
	if (hlen > reclen - 4)
		return fail(reason, "ClientHello spans several records");
	if (hlen < reclen - 4)
		return fail(reason, "data after the ClientHello in its record");
	if (len < 5 + reclen)
		return 0;

	ch.p = buf + 9;
	ch.n = hlen;
	if ((why = parse_client_hello(ch, &name)) || (why = check_name(name)))
		return fail(reason, why);
	if (name.n >= cap)
		return fail(reason, "server name too long for the buffer");
	for (size_t i = 0; i < name.n; i++) {
		uint8_t c = name.p[i];

		host[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	host[name.n] = '\0';
	return 1;
}
