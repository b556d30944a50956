/* SPDX-License-Identifier: MIT */
/*
 * policy.h - the network allowlist: which hosts and ports a sandbox may reach.
 *
 *	p = pd_policy_new(entries, n, err);        // the --allowed-domains values
 *	pd_policy_check_name(p, host, len, 443, &v); // a CONNECT, Host, SNI, qname
 *	pd_policy_check_addr(p, name, &addr, 443, pinned, &v); // each resolved address
 *	pd_policy_unref(p);
 *
 * A policy is immutable once made and reference-counted: a proxy swaps in a
 * new one while connections already open keep the one they started with.
 * Default deny: a host is allowed only when an entry matches it and the
 * port; IP literals match only IP/CIDR entries; special addresses (see
 * pd_addr_special()) are refused unless an IP/CIDR entry covers them or the
 * name was pinned with --resolve.  See policy.c.
 */
#ifndef PAUDE_PROXY_POLICY_H
#define PAUDE_PROXY_POLICY_H

#include "common/error.h"
#include "proxy/addr.h"
#include "proxy/name.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest allowlist entry, and longest ~regex pattern (without the '~'). */
#define PD_POLICY_ENTRY_MAX 1024
#define PD_POLICY_REGEX_MAX 512

struct pd_policy;

/* What a check decided. */
struct pd_verdict {
	bool allow;
	/* The entry that matched, as the user wrote it ("github.com",
	 * "10.0.0.0/8:5432", "all") or "group:entry" for an entry a group brought
	 * in ("github:api.github.com"); owned by the policy.  NULL on denial. */
	const char *rule;
	/* Why, for a denial ("" when allowed): "evil.test is not in the
	 * allowlist", "port 8080 is not allowed for github.com (allowed: 80,
	 * 443)", "10.0.0.1 is a private (RFC 1918) address", ... */
	char reason[160];
};

/*
 * pd_policy_new() - build a policy from allowlist entries.
 * @entries: the values of repeated --allowed-domains, one entry each (no
 *           comma splitting)
 * @n: how many; 0 means { "default" }
 * @err: filled on failure, naming the entry and why
 *
 * An entry is one of:
 *   - a group: "default" (claude, vertexai, pypi, github), "claude",
 *     "vertexai", "pypi" (alias "python"), "github", "golang", "nodejs",
 *     "rust"; it brings in its entries, each named "group:entry";
 *   - "all": any host name, and any public IP literal; special addresses
 *     stay refused (IP/CIDR entries can still open them);
 *   - "host" (that name only) or ".domain" (the domain itself and every
 *     name under it: squid's dstdomain), normalized by pd_name_normalize();
 *   - "~regex": a POSIX extended regex, at most PD_POLICY_REGEX_MAX bytes,
 *     matched against the whole normalized name (compiled as ^(regex)$,
 *     case-insensitive; parentheses must balance, so nothing escapes the
 *     anchors, and no ':' may stand outside a bracket expression: names
 *     have none, and a regex takes no port); it never matches an IP literal;
 *   - an IPv4 or IPv6 address or CIDR: "10.0.0.5", "10.0.0.0/8", "::1",
 *     "2001:db8::/32", "[2001:db8::]/32" (canonical spellings only; no host
 *     bits set); an IPv4 entry also covers the IPv4-mapped IPv6 form;
 *   - any host, domain or address entry with ":PORT" ("github.com:8443",
 *     ".corp.test:22", "1.2.3.4:8080", "[::1]:8080", "10.0.0.0/8:5432"):
 *     PORT is 1-65535 in plain decimal (no sign, no leading zero, no
 *     suffix).  An entry with a port allows exactly that port; one without
 *     allows 80 and 443.  Regexes, groups and "all" take no port.
 * Custom entries replace the default unless "default" is given too.
 * Duplicates (the same rule however spelled) are dropped; order is kept.
 *
 * Return: a policy holding one reference, or NULL with @err set (EINVAL).
 */
struct pd_policy *pd_policy_new(const char *const *entries, size_t n, struct pd_error *err);

/*
 * pd_policy_ref() - take another reference.
 * @p: the policy (may be NULL)
 *
 * Return: @p.
 */
struct pd_policy *pd_policy_ref(struct pd_policy *p);

/*
 * pd_policy_unref() - drop a reference; the last one frees the policy (and
 * with it every verdict's @rule string).
 * @p: the policy (may be NULL)
 */
void pd_policy_unref(struct pd_policy *p);

/*
 * pd_policy_check_name() - may the sandbox reach this host on this port?
 * @p: the policy
 * @host: the host as the client sent it (a CONNECT authority's host, a URI
 *        or Host header host, an SNI, a DNS qname): untrusted, need not be
 *        NUL-terminated, brackets allowed around IPv6
 * @len: length of @host
 * @port: the destination port
 * @v: receives the verdict
 *
 * The host is normalized (a host that fails is denied).  When it is an IP
 * literal in any spelling (pd_ip_literal() is not 0, before or after
 * normalization) only IP/CIDR entries and "all" may match it, and a special
 * address only an IP/CIDR entry that covers it; a numeric-looking host that
 * is not a valid address is denied.  Otherwise the name must match an entry
 * whose ports include @port.  A name allowed here must still pass
 * pd_policy_check_addr() for each address it resolves to.
 *
 * Return: 0 (the verdict is in @v), or -1 (errno EINVAL) when an argument is
 * NULL.
 */
int pd_policy_check_name(const struct pd_policy *p, const char *host, size_t len, uint16_t port,
			 struct pd_verdict *v);

/*
 * pd_policy_check_addr() - may the sandbox connect to this address for this
 * name?  Called after resolution, for each address about to be connected.
 * @p: the policy
 * @norm_name: the name that was resolved (normalized), or NULL when the
 *             client gave an IP literal
 * @a: the address
 * @port: the destination port
 * @pinned: @norm_name was pinned to @a by the user (--resolve)
 * @v: receives the verdict
 *
 * The name check is repeated (pinning never bypasses it: a pinned name that
 * no entry allows is denied).  Then a special address (pd_addr_special()) is
 * refused unless the name was pinned or an IP/CIDR entry covers @a on @port;
 * "all" does not change that.  Without a name (or with an IP literal as the
 * name) this is the IP literal check of pd_policy_check_name() on @a.
 *
 * Return: 0 (the verdict is in @v), or -1 (errno EINVAL) when @p, @a or @v is
 * NULL or @a has no address family.
 */
int pd_policy_check_addr(const struct pd_policy *p, const char *norm_name, const struct pd_addr *a,
			 uint16_t port, bool pinned, struct pd_verdict *v);

/*
 * pd_policy_name_allowed_any_port() - whether some entry allows this name on
 * some port (the DNS server answers only such names).
 * @p: the policy
 * @norm_name: a normalized name (NUL-terminated)
 *
 * Return: true when a host, domain or regex entry or "all" matches it; false
 * for anything else, IP literals and invalid names included.
 */
bool pd_policy_name_allowed_any_port(const struct pd_policy *p, const char *norm_name);

/*
 * pd_policy_name_rule_any_port() - the entry that allows this name on some
 * port, as written (it lives as long as @p), or NULL when none does (the
 * rule a DNS answer is audited with).
 */
const char *pd_policy_name_rule_any_port(const struct pd_policy *p, const char *norm_name);

/*
 * pd_policy_ports() - the distinct ports any entry allows, ascending: always
 * 80 and 443, plus every port an entry names.
 * @p: the policy
 * @ports: receives up to @cap of them (may be NULL when @cap is 0)
 * @cap: room in @ports
 *
 * Return: how many there are in all (more than @cap: the list was cut).
 */
size_t pd_policy_ports(const struct pd_policy *p, uint16_t *ports, size_t cap);

/*
 * pd_policy_ipv4_nets() - the IPv4 address and CIDR entries, for routing
 * them to the gateway (the transparent path reaches them too).
 * @p: the policy
 * @nets: receives up to @cap networks (host bits clear)
 * @prefixes: their prefix lengths
 * @cap: room in both
 *
 * Return: how many there are in all (more than @cap: the list was cut).
 */
size_t pd_policy_ipv4_nets(const struct pd_policy *p, struct in_addr *nets, uint8_t *prefixes,
			   size_t cap);

/*
 * pd_policy_display() - a one-line summary for humans, like the
 * predecessor's: the groups whose whole set is present ("vertexai, claude,
 * pypi, github"), then " + " and the other entries as written, sorted (up to
 * three; else "a, b, ... (+N more)").  With "all": "unrestricted (all public
 * hosts)", then " + " and the entries that reach beyond it (IP/CIDR entries
 * and entries with a port), if any.
 * @p: the policy
 * @out: receives the text, NUL-terminated
 * @cap: size of @out
 *
 * Return: 0, or -1 (errno ENOSPC) when it was cut to fit @cap (EINVAL: no
 * policy or no room at all).
 */
int pd_policy_display(const struct pd_policy *p, char *out, size_t cap);

/*
 * pd_policy_entries() - every entry of the policy, groups expanded: what the
 * user wrote, and "group:entry" for what a group brought in; in order.
 * @out: receives up to @cap pointers, valid as long as @p
 *
 * Return: how many there are in all.
 */
size_t pd_policy_entries(const struct pd_policy *p, const char **out, size_t cap);

/* A name pinned to an address (--resolve HOST:ADDR). */
struct pd_pin {
	char name[PD_NAME_MAX + 1]; /* normalized */
	struct pd_addr addr;
};

/*
 * pd_pin_parse() - read "HOST:ADDR", split at the first colon as podman's
 * --add-host: "db.test:10.0.0.5", "db.test:[fd00::5]", "db.test:fd00::5".
 * @arg: the argument
 * @out: receives the normalized name and the address
 * @err: filled on failure, naming @arg and why (EINVAL)
 *
 * HOST is normalized and must be a name, not an IP literal; ADDR is read by
 * pd_addr_parse() (a canonical dotted quad or IPv6, optionally bracketed).
 *
 * Return: 0, or -1 with @err set.
 */
int pd_pin_parse(const char *arg, struct pd_pin *out, struct pd_error *err);

#endif
