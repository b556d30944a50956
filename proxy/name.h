/* SPDX-License-Identifier: MIT */
/*
 * name.h - host names and IP addresses as the allowlist sees them.
 *
 * Every host name that reaches a policy decision (a CONNECT authority, a URI
 * or Host header, a TLS SNI, a DNS qname, a CLI value) goes through
 * pd_name_normalize() first, and through pd_ip_literal() before and after
 * it: a string that any resolver or inet_aton() would read as an address is
 * an IP literal, never a name, so no domain rule can ever match it.
 * pd_addr_special() names the address classes a sandbox must not reach
 * unless the user says so explicitly (loopback, private, link-local, ...,
 * and IPv6 forms that embed such an IPv4 address).  See name.c.
 */
#ifndef PAUDE_PROXY_NAME_H
#define PAUDE_PROXY_NAME_H

#include "proxy/addr.h"

#include <stddef.h>

/* Longest normalized name, without its NUL (RFC 1035: 253 characters). */
#define PD_NAME_MAX 253
/* Longest label of a normalized name. */
#define PD_LABEL_MAX 63

/*
 * pd_name_normalize() - the one spelling of a host name that policy matches.
 * @in: the name as received (need not be NUL-terminated; untrusted)
 * @len: its length in bytes
 * @out: receives the normalized name, NUL-terminated
 * @cap: size of @out; PD_NAME_MAX + 1 always suffices
 * @reason: on failure, set to a short static reason (may be NULL)
 *
 * ASCII letters are folded to lowercase and one trailing dot is removed.  A
 * name with non-ASCII bytes must be valid UTF-8 and is converted to A-labels
 * by IDNA (UTS #46 non-transitional, libidn2): "bücher.example" becomes
 * "xn--bcher-kva.example".  The result has 1-PD_NAME_MAX characters, labels
 * of 1-PD_LABEL_MAX characters, and only [a-z0-9-_] in labels.  Refused:
 * an empty name or label ("..", a leading dot), NUL and control bytes, '%'
 * (percent-escapes), spaces, '/', '@', ':' and every other character, invalid
 * UTF-8, an IDNA failure, a name that is too long (or does not fit @cap).
 * A normalized name normalizes to itself.  An IP literal in dotted form
 * passes (it is made of allowed characters): callers ask pd_ip_literal().
 *
 * Return: 0, or -1 with *@reason set (and @out holding "" when @cap > 0).
 */
int pd_name_normalize(const char *in, size_t len, char *out, size_t cap, const char **reason);

/*
 * pd_ip_literal() - whether a host string is an IP address in any spelling.
 * @s: the host as received, or a normalized name (need not be NUL-terminated)
 * @len: its length in bytes
 * @out: receives the address when the result is 1 (may be NULL)
 *
 * IPv4 is read as inet_aton() reads it: 1-4 dot-separated parts, each
 * decimal, octal (leading 0) or hex (0x), the last part filling the
 * remaining bytes: "2130706433", "0177.0.0.1", "0x7f.1", "127.1" and
 * "0x7f000001" are all 127.0.0.1.  One trailing dot is ignored.  No
 * top-level domain starts with a digit, so a string whose last label starts
 * with an ASCII digit is never a name: it is an address, or it is refused.
 * A string with a ':' or a leading '[' is IPv6, with or without brackets
 * (inet_pton() spellings, embedded IPv4 included); a zone ("%eth0") is
 * refused.  IPv4-mapped addresses stay AF_INET6 in @out.
 *
 * Return: 1 an IP literal (@out filled, canonical); 0 not a literal (maybe a
 * name); -1 looks like an address but is not a valid one ("256.1.1.1",
 * "0x1g.1", "1.2.3.4.5", "[::1%eth0]"): refuse it, never treat it as a name.
 */
int pd_ip_literal(const char *s, size_t len, struct pd_addr *out);

/*
 * pd_addr_special() - whether an address is one a sandbox must not reach by
 * default.
 * @a: the address (AF_INET or AF_INET6)
 *
 * IPv4: "unspecified" 0.0.0.0, "this network" 0/8, "loopback" 127/8,
 * "private (RFC 1918)" 10/8 172.16/12 192.168/16, "link-local" 169.254/16
 * (the cloud metadata address 169.254.169.254 included), "carrier-grade NAT
 * (RFC 6598)" 100.64/10, "IETF protocol assignments" 192.0.0/24,
 * "documentation" 192.0.2/24 198.51.100/24 203.0.113/24, "benchmarking (RFC
 * 2544)" 198.18/15, "multicast" 224/4, "broadcast" 255.255.255.255,
 * "reserved" 240/4.
 * IPv6: "unspecified" ::, "loopback" ::1, "discard-only" 100::/64,
 * "Teredo" 2001::/32, "benchmarking (RFC 5180)" 2001:2::/48, "IETF protocol
 * assignments" the rest of 2001::/23, "documentation" 2001:db8::/32 and
 * 3fff::/20, "unique local (ULA)" fc00::/7, "link-local" fe80::/10,
 * "site-local" fec0::/10, "multicast" ff00::/8, "NAT64 local-use (RFC 8215)"
 * 64:ff9b:1::/48, and "reserved" for anything else outside 2000::/3.  Forms
 * that embed an IPv4 address are judged by it: IPv4-mapped ::ffff:0:0/96,
 * IPv4-compatible ::/96, NAT64 64:ff9b::/96 (and 64:ff9b:1::/48 by its last
 * 32 bits first), 6to4 2002::/16 (bits 16-47).
 *
 * Return: NULL for a public unicast address, else the class as a short
 * static string (also for a family that is neither: "invalid").
 */
const char *pd_addr_special(const struct pd_addr *a);

/*
 * pd_addr_format() - an address as text (inet_ntop(); an IPv4-mapped address
 * is shown as IPv6, "::ffff:127.0.0.1").
 * @a: the address
 * @out: receives the text, NUL-terminated
 * @cap: size of @out; PD_ADDR_STRLEN always suffices
 *
 * Return: 0, or -1 with errno set (EAFNOSUPPORT: bad family; ENOSPC: @cap too
 * small; @out then holds "" when @cap > 0).
 */
int pd_addr_format(const struct pd_addr *a, char *out, size_t cap);

/*
 * pd_addr_parse() - a CLI address (--resolve, allowlist entries): strictly a
 * canonical dotted quad ("10.0.0.1", no leading zeros) or an IPv6 address,
 * optionally in brackets ("::1", "[::1]"); no zone, no other spelling.
 * @s: NUL-terminated text
 * @out: receives the address
 *
 * Return: 0, or -1 (errno EINVAL) when @s is not such an address.
 */
int pd_addr_parse(const char *s, struct pd_addr *out);

#endif
