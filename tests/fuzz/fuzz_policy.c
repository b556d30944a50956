/* SPDX-License-Identifier: MIT */
/*
 * fuzz_policy.c - libFuzzer target for the allowlist (proxy/policy.c).
 *
 * Input: byte 0 picks a port and an address, the rest is split at '\n':
 * every field but the last is an allowlist entry (at most 8), the last is
 * a host as a client would send it.
 *
 * Oracles, on fixed policies:
 *   - under { "~.*" } (a regex that takes every name) the host is allowed
 *     on 443 exactly when it normalizes and pd_ip_literal() calls it no
 *     literal, before or after normalization: an IP literal never matches a
 *     domain rule, and every name does match that regex;
 *   - under { "all" } a literal is allowed on 443 exactly when its address
 *     is not special, and a name always is;
 * and on the policy built from the fuzzed entries (if it builds):
 *   - a verdict is allowed with a rule and an empty reason, or denied with
 *     no rule and a reason; the call is repeatable, and the host upper-cased
 *     or with a trailing dot added gets the same verdict;
 *   - an allowed literal was allowed by "all" (public address) or by an
 *     entry that is an address or network; an allowed name never by one;
 *   - when the rule is one the user wrote: ".d" (with or without a port)
 *     means the normalized host is d or ends in ".d", "h" means it is h,
 *     "~re" means ^(re)$ matches it; without a port the port is 80 or 443;
 *   - pd_policy_check_addr() never allows what pd_policy_check_name() denies
 *     for the normalized name, pinning only adds allowances, and with no pin
 *     a special address is allowed only through an address entry;
 *   - an allowed name is one pd_policy_name_allowed_any_port() answers for;
 *   - pd_policy_ports() is ascending and holds 80 and 443; the display line
 *     fits and is not empty.
 * Seeds: tests/fuzz/corpus/fuzz_policy/.
 */
#include "proxy/policy.h"

#include <arpa/inet.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENTRIES 8

static struct pd_policy *fixed_regex, *fixed_all;

static const uint16_t port_choices[8] = { 443, 80, 8080, 22, 8443, 1, 65535, 53 };
static const char *const addr_choices[8] = {
	"8.8.8.8", "127.0.0.1", "10.1.2.3",        "2606:4700:4700::1111",
	"::1",     "fd00::1",   "169.254.169.254", "::ffff:10.0.0.1",
};

static void init_fixed(void)
{
	static const char *const re[] = { "~.*" };
	static const char *const all[] = { "all" };

	if (fixed_regex)
		return;
	fixed_regex = pd_policy_new(re, 1, NULL);
	fixed_all = pd_policy_new(all, 1, NULL);
	if (!fixed_regex || !fixed_all)
		abort();
}

static void check_verdict_shape(const struct pd_verdict *v)
{
	if (!memchr(v->reason, '\0', sizeof(v->reason)))
		abort();
	if (v->allow ? (!v->rule || v->reason[0]) : (v->rule || !v->reason[0]))
		abort();
}

static bool same_verdict(const struct pd_verdict *a, const struct pd_verdict *b)
{
	return a->allow == b->allow && a->rule == b->rule && !strcmp(a->reason, b->reason);
}

/* An entry that is an address or network ("10.0.0.0/8:22", "[::1]:80", "::/0"). */
static bool is_addr_entry(const char *e)
{
	char buf[PD_POLICY_ENTRY_MAX + 1];
	size_t n = strlen(e);
	char *p;
	struct pd_addr a;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, e, n + 1);
	if (buf[0] == '[') {
		p = strchr(buf, ']');
		if (!p)
			return false;
		*p = '\0';
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
	} else {
		p = strchr(buf, ':');
		if (p && !strchr(p + 1, ':'))
			*p = '\0'; /* "a.b.c.d[/n]:port" */
		p = strchr(buf, '/');
		if (p)
			*p = '\0';
	}
	p = strchr(buf, '/');
	if (p)
		*p = '\0';
	return pd_addr_parse(buf, &a) == 0;
}

/* The user's entry @e (no group): check that allowing @norm on @port fits it. */
static void check_user_rule(const char *e, const char *norm, uint16_t port)
{
	char host[PD_POLICY_ENTRY_MAX + 1], hn[PD_NAME_MAX + 1];
	const char *colon;
	size_t n, dl, nl = strlen(norm);

	if (!strcmp(e, "all")) {
		if (port != 80 && port != 443)
			abort();
		return;
	}
	if (e[0] == '~') {
		char *wrapped = malloc(strlen(e) + 8);
		regex_t re;

		if (!wrapped)
			abort();
		memcpy(wrapped, "^(", 2);
		memcpy(wrapped + 2, e + 1, strlen(e + 1));
		memcpy(wrapped + 2 + strlen(e + 1), ")$", 3);
		if (regcomp(&re, wrapped, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
			abort();
		if (regexec(&re, norm, 0, NULL, 0) != 0)
			abort();
		regfree(&re);
		free(wrapped);
		if (port != 80 && port != 443)
			abort();
		return;
	}
	colon = strchr(e, ':');
	n = colon ? (size_t)(colon - e) : strlen(e);
	if (colon ? (size_t)atoi(colon + 1) != port : port != 80 && port != 443)
		abort();
	memcpy(host, e, n);
	host[n] = '\0';
	if (host[0] == '.') {
		if (pd_name_normalize(host + 1, n - 1, hn, sizeof(hn), NULL) != 0)
			abort();
		dl = strlen(hn);
		if (!(nl == dl && !strcmp(norm, hn)) &&
		    !(nl > dl && norm[nl - dl - 1] == '.' && !strcmp(norm + nl - dl, hn)))
			abort();
	} else {
		if (pd_name_normalize(host, n, hn, sizeof(hn), NULL) != 0 || strcmp(hn, norm) != 0)
			abort();
	}
}

static bool from_user(const char *rule, char *const *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rule, entries[i]))
			return true;
	return false;
}

static void check_policy(const struct pd_policy *p, char *const *entries, size_t ne,
			 const char *host, size_t hlen, uint16_t port, const struct pd_addr *pick,
			 int lit, const struct pd_addr *lit_addr, const char *norm)
{
	struct pd_verdict v, w;
	char up[2048], out[1024];
	uint16_t ports[64];
	size_t np;

	if (pd_policy_check_name(p, host, hlen, port, &v) != 0)
		abort();
	check_verdict_shape(&v);
	if (pd_policy_check_name(p, host, hlen, port, &w) != 0 || !same_verdict(&v, &w))
		abort();
	if (hlen + 1 < sizeof(up)) {
		for (size_t i = 0; i < hlen; i++)
			up[i] = host[i] >= 'a' && host[i] <= 'z' ? (char)(host[i] - 32) : host[i];
		if (pd_policy_check_name(p, up, hlen, port, &w) != 0 || w.allow != v.allow ||
		    w.rule != v.rule)
			abort();
		if (hlen > 0 && host[hlen - 1] != '.' && host[0] != '[' &&
		    !memchr(host, ':', hlen)) {
			memcpy(up, host, hlen);
			up[hlen] = '.';
			if (pd_policy_check_name(p, up, hlen + 1, port, &w) != 0 ||
			    w.allow != v.allow || w.rule != v.rule)
				abort();
		}
	}
	if (v.allow) {
		const char *r = strchr(v.rule, ':');
		bool grouped = !from_user(v.rule, entries, ne) && r && v.rule[0] != '[';

		if (lit != 0) {
			/* literals: "all" for a public address, or an address entry */
			if (lit < 0)
				abort();
			if (!strcmp(v.rule, "all")) {
				if (pd_addr_special(lit_addr))
					abort();
			} else if (!is_addr_entry(v.rule)) {
				abort();
			}
		} else {
			if (is_addr_entry(grouped ? r + 1 : v.rule))
				abort();
			if (!grouped)
				check_user_rule(v.rule, norm, port);
			if (!pd_policy_name_allowed_any_port(p, norm))
				abort();
		}
	}
	if (lit == 0 && norm[0]) {
		struct pd_verdict plain, pinned, by_name;

		if (pd_policy_check_name(p, norm, strlen(norm), port, &by_name) != 0 ||
		    pd_policy_check_addr(p, norm, pick, port, false, &plain) != 0 ||
		    pd_policy_check_addr(p, norm, pick, port, true, &pinned) != 0)
			abort();
		check_verdict_shape(&plain);
		check_verdict_shape(&pinned);
		if ((plain.allow || pinned.allow) && !by_name.allow)
			abort(); /* the name check is never bypassed */
		if (plain.allow && !pinned.allow)
			abort();
		if (pinned.allow != by_name.allow)
			abort(); /* pinned: the name check alone */
		if (plain.allow && pd_addr_special(pick)) {
			/* some address entry must cover it: without them it is refused */
			bool any = false;

			for (size_t i = 0; i < ne; i++)
				any |= is_addr_entry(entries[i]);
			if (!any)
				abort();
		}
	}
	np = pd_policy_ports(p, ports, 64);
	if (np < 2)
		abort();
	for (size_t i = 1; i < np && i < 64; i++)
		if (ports[i] <= ports[i - 1])
			abort();
	{
		bool has80 = false, has443 = false;

		for (size_t i = 0; i < np && i < 64; i++) {
			has80 |= ports[i] == 80;
			has443 |= ports[i] == 443;
		}
		if (!has80 || !has443)
			abort();
	}
	if (pd_policy_display(p, out, sizeof(out)) == 0 && out[0] == '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *entries[MAX_ENTRIES];
	char norm[PD_NAME_MAX + 1] = "";
	const char *host;
	size_t ne = 0, hlen, off = 1;
	uint16_t port;
	struct pd_addr pick, lit_addr = { .family = 0 };
	struct pd_verdict v;
	struct pd_error err;
	struct pd_policy *p;
	int lit;
	bool name_ok;

	if (size < 1 || size > 4096)
		return 0;
	init_fixed();
	port = port_choices[data[0] & 7];
	if (pd_addr_parse(addr_choices[(data[0] >> 3) & 7], &pick) != 0)
		abort();
	for (;;) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);

		if (!nl || ne == MAX_ENTRIES)
			break;
		entries[ne++] = strndup((const char *)data + off, (size_t)(nl - (data + off)));
		if (!entries[ne - 1])
			abort();
		off = (size_t)(nl - data) + 1;
	}
	host = (const char *)data + off;
	hlen = size - off;

	/* the host itself: literal, or name */
	lit = pd_ip_literal(host, hlen, &lit_addr);
	name_ok = pd_name_normalize(host, hlen, norm, sizeof(norm), NULL) == 0;
	if (lit == 0 && name_ok)
		lit = pd_ip_literal(norm, strlen(norm), &lit_addr);
	if (!name_ok)
		norm[0] = '\0';

	/* fixed policies */
	if (pd_policy_check_name(fixed_regex, host, hlen, 443, &v) != 0)
		abort();
	check_verdict_shape(&v);
	if (v.allow != (lit == 0 && name_ok))
		abort();
	if (pd_policy_check_name(fixed_all, host, hlen, 443, &v) != 0)
		abort();
	check_verdict_shape(&v);
	if (v.allow != (lit == 0 ? name_ok : lit == 1 && !pd_addr_special(&lit_addr)))
		abort();

	/* the fuzzed policy */
	p = pd_policy_new((const char *const *)entries, ne, &err);
	if (!p) {
		if (ne == 0 || !err.msg[0] || !memchr(err.msg, '\0', sizeof(err.msg)))
			abort();
	} else {
		check_policy(p, entries, ne, host, hlen, port, &pick, lit, &lit_addr, norm);
		pd_policy_unref(p);
	}
	for (size_t i = 0; i < ne; i++)
		free(entries[i]);
	return 0;
}
