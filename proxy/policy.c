/* SPDX-License-Identifier: MIT */
/*
 * policy.c - the network allowlist.
 *
 * Theory of operation
 *
 * pd_policy_new() turns the --allowed-domains values into a flat list of
 * rules: groups are expanded in place (each rule remembers "group:entry"),
 * "default" stands for claude, vertexai, pypi and github, and a rule that is
 * the same as an earlier one (same kind, normalized value and port) is
 * dropped.  Five kinds of rule exist:
 *
 *	host     "github.com"      the normalized name, equal
 *	domain   ".anthropic.com"  equal, or ending in "." + the domain
 *	regex    "~re"             regexec() on ^(re)$, whole normalized name
 *	cidr     "10.0.0.0/8"      the address's leading bits (IPv4 rules also
 *	                           see the IPv4 inside ::ffff:0:0/96)
 *	all      "all"             any name, any public address
 *
 * Every rule carries a port (0 standing for 80 and 443).  The policy never
 * changes after it is built, and it is reference-counted so a proxy can
 * install a new one while open connections keep theirs.
 *
 * A decision is default-deny and comes in two steps:
 *
 * 1. pd_policy_check_name(), on the host the client sent.  Anything
 *    pd_ip_literal() calls an address (before or after normalization:
 *    "0x7f.1", "[::ffff:127.0.0.1]", fullwidth digits) is judged as an
 *    address: cidr rules, then "all" for a public one; name rules never
 *    see it.  A numeric-looking host that is no valid address is denied.
 *    A name must match a name rule whose port matches.
 *
 * 2. pd_policy_check_addr(), on each address the name resolved to, right
 *    before connecting: the name check again, then a special address
 *    (loopback, RFC 1918, link-local, ...; see name.c) is refused unless the
 *    user pinned the name to it (--resolve) or a cidr rule covers it on
 *    that port.  "all" means all *public* hosts.
 *
 * Regex rules are anchored by wrapping them in ^( )$.  A pattern could try
 * to close that group early ("a)|(b" or, with glibc's lone ')' being
 * ordinary, "a)|b") and match at one end only, so patterns whose
 * parentheses do not balance (outside bracket expressions, escapes
 * counted) are refused before compiling.
 */
#include "proxy/policy.h"
#include "common/lazylib.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

enum rule_kind { RULE_ALL, RULE_HOST, RULE_DOMAIN, RULE_REGEX, RULE_CIDR };

struct rule {
	enum rule_kind kind;
	uint16_t port;      /* 0: 80 and 443 */
	int group;          /* index in groups[], -1 for the user's own entry */
	bool grouped;       /* part of a group shown by pd_policy_display() */
	char *text;         /* as written, or "group:entry" */
	const char *entry;  /* @text without "group:" */
	char *value;        /* host, domain: the normalized name; regex: the pattern */
	regex_t *re;        /* regex */
	struct pd_addr net; /* cidr: the network, host bits clear */
	unsigned prefix;    /* cidr: its length in bits */
};

/* The groups, in the order pd_policy_display() lists them. */
enum { G_VERTEXAI, G_CLAUDE, G_PYPI, G_GITHUB, G_GOLANG, G_NODEJS, G_RUST, G_COUNT };

struct pd_policy {
	unsigned long refs;
	struct rule *rules;
	size_t n;
	const struct rule *all; /* the "all" rule, if any */
	bool shown[G_COUNT];    /* groups whose whole set is present */
	bool python_named;      /* "python" asked for, "pypi" not: show that name */
};

struct group {
	const char *name;
	const char *const *entries; /* NULL-terminated */
};

static const char *const g_vertexai[] = {
	"accounts.google.com",
	"oauth2.googleapis.com",
	"www.googleapis.com",
	"~([a-z0-9-]+-)?aiplatform\\.googleapis\\.com", /* REGION-aiplatform hosts */
	"cloudresourcemanager.googleapis.com",
	"iamcredentials.googleapis.com",
	"sts.googleapis.com",
	"storage.googleapis.com",
	NULL,
};
static const char *const g_claude[] = { ".claude.ai", ".anthropic.com", NULL };
static const char *const g_pypi[] = { ".pypi.org", ".pythonhosted.org", NULL };
static const char *const g_github[] = {
	"github.com",
	"api.github.com",
	"raw.githubusercontent.com",
	"codeload.github.com",
	"release-assets.githubusercontent.com",
	"results-receiver.actions.githubusercontent.com",
	NULL,
};
static const char *const g_golang[] = {
	"go.dev",         "dl.google.com",          "proxy.golang.org",
	"sum.golang.org", "storage.googleapis.com", NULL,
};
static const char *const g_nodejs[] = { "registry.npmjs.org", ".npmjs.org", ".yarnpkg.com", NULL };
static const char *const g_rust[] = { "crates.io", "static.crates.io", "static.rust-lang.org",
				      NULL };

static const struct group groups[G_COUNT] = {
	[G_VERTEXAI] = { "vertexai", g_vertexai },
	[G_CLAUDE] = { "claude", g_claude },
	[G_PYPI] = { "pypi", g_pypi },
	[G_GITHUB] = { "github", g_github },
	[G_GOLANG] = { "golang", g_golang },
	[G_NODEJS] = { "nodejs", g_nodejs },
	[G_RUST] = { "rust", g_rust },
};

/* What "default" (and no entry at all) stands for, in this order. */
static const int default_groups[] = { G_CLAUDE, G_VERTEXAI, G_PYPI, G_GITHUB };

/* The group called @name ("python" is pypi), or -1. */
static int group_lookup(const char *name)
{
	if (!strcmp(name, "python"))
		return G_PYPI;
	for (int g = 0; g < G_COUNT; g++)
		if (!strcmp(name, groups[g].name))
			return g;
	return -1;
}

static bool is_keyword(const char *s, size_t n)
{
	char buf[16];

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return !strcmp(buf, "all") || !strcmp(buf, "default") || group_lookup(buf) >= 0;
}

static void rule_release(struct rule *r)
{
	if (r->re) {
		regfree(r->re);
		free(r->re);
	}
	free(r->value);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

/* ---- parsing entries ---- */

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* Plain decimal @min-@max without a superfluous leading zero. */
static int parse_decimal(const char *s, size_t n, unsigned min, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (!all_digits(s, n) || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_port(const char *s, size_t n, uint16_t *port)
{
	unsigned v;

	if (parse_decimal(s, n, 1, 65535, &v) < 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static size_t addr_bits(const struct pd_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

static uint8_t *addr_bytes(struct pd_addr *a)
{
	return a->family == AF_INET ? (uint8_t *)&a->v4 : a->v6.s6_addr;
}

static const uint8_t *addr_cbytes(const struct pd_addr *a)
{
	return a->family == AF_INET ? (const uint8_t *)&a->v4 : a->v6.s6_addr;
}

/* Clear every bit of @a past the first @prefix. */
static void mask_addr(struct pd_addr *a, unsigned prefix)
{
	uint8_t *b = addr_bytes(a);
	size_t nbytes = addr_bits(a) / 8;

	for (size_t i = 0; i < nbytes; i++) {
		unsigned keep = prefix > 8 * i ? prefix - 8 * (unsigned)i : 0;

		if (keep < 8)
			b[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

/*
 * "ADDR" or "ADDR/PREFIX" (@n bytes; ADDR canonical, IPv6 only when @v6) into
 * a cidr rule.  1 done, 0 not an address (a name), -1 error in @why.
 */
static int parse_cidr(const char *s, size_t n, bool v6_only, struct rule *r, char *why, size_t cap)
{
	char buf[PD_ADDR_STRLEN + 2];
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n;
	struct pd_addr a, m;
	unsigned prefix;

	if (alen == 0 || alen >= PD_ADDR_STRLEN) {
		if (!slash && !v6_only)
			return 0;
		snprintf(why, cap, "not an IP address or network");
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (pd_addr_parse(buf, &a) < 0 || (v6_only && a.family != AF_INET6)) {
		if (!slash && !v6_only)
			return 0;
		snprintf(why, cap, "not an IP address or network in canonical form%s",
			 v6_only ? " (IPv6 expected)" : "");
		return -1;
	}
	prefix = (unsigned)addr_bits(&a);
	if (slash && parse_decimal(slash + 1, n - alen - 1, 0, prefix, &prefix) < 0) {
		snprintf(why, cap, "invalid prefix length (0-%zu)", addr_bits(&a));
		return -1;
	}
	m = a;
	mask_addr(&m, prefix);
	if (memcmp(addr_cbytes(&m), addr_cbytes(&a), addr_bits(&a) / 8) != 0) {
		char masked[PD_ADDR_STRLEN];

		pd_addr_format(&m, masked, sizeof(masked));
		snprintf(why, cap, "host bits set (did you mean %s/%u?)", masked, prefix);
		return -1;
	}
	r->kind = RULE_CIDR;
	r->net = a;
	r->prefix = prefix;
	return 1;
}

/*
 * Check an ERE before it is wrapped in ^( )$: its parentheses balance
 * outside bracket expressions, with backslash escapes counted (no ')' closes
 * more than was opened, all are closed), bracket expressions and escapes are
 * complete, and no ':' stands outside a bracket expression (names have none:
 * "~re:443" is a port that would never match).  Return: NULL or the reason.
 */
static const char *regex_scan(const char *p, size_t n)
{
	static const char unbalanced[] =
		"regex parentheses or brackets do not balance (or it ends in a backslash)";
	size_t depth = 0, i = 0;

	while (i < n) {
		char c = p[i];

		if (c == '\\') {
			if (i + 1 >= n)
				return unbalanced;
			i += 2;
			continue;
		}
		if (c == '[') {
			i++;
			if (i < n && p[i] == '^')
				i++;
			if (i < n && p[i] == ']')
				i++;
			for (;;) {
				if (i >= n)
					return unbalanced;
				if (p[i] == '[' && i + 1 < n &&
				    (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
					char d = p[i + 1];
					size_t j = i + 2;

					while (j + 1 < n && !(p[j] == d && p[j + 1] == ']'))
						j++;
					if (j + 1 >= n)
						return unbalanced;
					i = j + 2;
					continue;
				}
				if (p[i] == ']')
					break;
				i++;
			}
			i++;
			continue;
		}
		if (c == ':')
			return "a regex matches host names only, which have no ':' (regexes take no "
			       "port)";
		if (c == '(')
			depth++;
		else if (c == ')' && depth-- == 0)
			return unbalanced;
		i++;
	}
	return depth == 0 ? NULL : unbalanced;
}

static int parse_regex(const char *pat, size_t n, struct rule *r, char *why, size_t cap)
{
	const char *bad;
	char *wrapped;
	int rc;

	if (n == 0) {
		snprintf(why, cap, "empty regex");
		return -1;
	}
	if (n > PD_POLICY_REGEX_MAX) {
		snprintf(why, cap, "regex longer than %d bytes", PD_POLICY_REGEX_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)pat[i] < 0x20 || pat[i] == 0x7f) {
			snprintf(why, cap, "regex contains a control character");
			return -1;
		}
	if ((bad = regex_scan(pat, n))) {
		snprintf(why, cap, "%s", bad);
		return -1;
	}
	wrapped = pd_xasprintf("^(%s)$", pat);
	r->re = pd_xmalloc(sizeof(*r->re));
	rc = regcomp(r->re, wrapped, REG_EXTENDED | REG_NOSUB | REG_ICASE);
	free(wrapped);
	if (rc != 0) {
		char msg[128];

		regerror(rc, r->re, msg, sizeof(msg));
		free(r->re);
		r->re = NULL;
		snprintf(why, cap, "invalid regex: %s", msg);
		return -1;
	}
	r->kind = RULE_REGEX;
	r->value = pd_xstrndup(pat, n);
	return 0;
}

/* "host" or ".domain" (@n bytes, no port) into a host or domain rule. */
static int parse_name(const char *s, size_t n, struct rule *r, char *why, size_t cap)
{
	char norm[PD_NAME_MAX + 1];
	const char *reason;
	bool domain = n > 0 && s[0] == '.';
	const char *h = domain ? s + 1 : s;
	size_t hn = domain ? n - 1 : n;

	if (pd_ip_literal(h, hn, NULL) != 0) {
		snprintf(why, cap, "%s",
			 domain ? "a domain cannot be an IP address"
				: "not an IP address in canonical form (write IPv4 as a dotted "
				  "quad, e.g. 127.0.0.1)");
		return -1;
	}
	if (pd_name_normalize(h, hn, norm, sizeof(norm), &reason) < 0) {
		if (n >= 2 && s[0] == '*' && s[1] == '.')
			snprintf(why, cap,
				 "wildcards are written .example.com (the domain and every name "
				 "under it)");
		else
			snprintf(why, cap, "invalid host name: %s", reason);
		return -1;
	}
	if (pd_ip_literal(norm, strlen(norm), NULL) != 0) {
		snprintf(why, cap, "a host name cannot be an IP address");
		return -1;
	}
	r->kind = domain ? RULE_DOMAIN : RULE_HOST;
	r->value = pd_xstrdup(norm);
	return 0;
}

/* One entry (not a group) into @r; -1 with the reason in @why. */
static int parse_entry(const char *e, struct rule *r, char *why, size_t cap)
{
	size_t len = strlen(e), colons = 0, hlen;
	const char *colon;
	int rc;

	memset(r, 0, sizeof(*r));
	r->group = -1;
	if (len == 0) {
		snprintf(why, cap, "empty entry");
		return -1;
	}
	if (len > PD_POLICY_ENTRY_MAX) {
		snprintf(why, cap, "longer than %d bytes", PD_POLICY_ENTRY_MAX);
		return -1;
	}
	if (e[0] == '~')
		return parse_regex(e + 1, len - 1, r, why, cap);
	if (!strcmp(e, "all")) {
		r->kind = RULE_ALL;
		return 0;
	}
	if (e[0] == '[') {
		/* "[v6]", "[v6]/len", "[v6]:port", "[v6]/len:port" */
		const char *close = memchr(e, ']', len);
		const char *rest, *pc;
		char inner[PD_ADDR_STRLEN + 8];
		size_t in_len, plen;

		if (!close) {
			snprintf(why, cap, "'[' without ']'");
			return -1;
		}
		rest = close + 1;
		pc = strchr(rest, ':');
		in_len = (size_t)(close - e - 1);
		if (rest[0] != '\0' && rest[0] != '/' && rest[0] != ':') {
			snprintf(why, cap, "unexpected text after ']'");
			return -1;
		}
		if (pc && parse_port(pc + 1, strlen(pc + 1), &r->port) < 0) {
			snprintf(why, cap, "invalid port (1-65535, plain decimal)");
			return -1;
		}
		/* the address and its "/len", without the brackets */
		plen = (size_t)((pc ? pc : e + len) - rest);
		if (in_len + plen >= sizeof(inner)) {
			snprintf(why, cap, "not an IP address or network in canonical form");
			return -1;
		}
		memcpy(inner, e + 1, in_len);
		memcpy(inner + in_len, rest, plen);
		in_len += plen;
		rc = parse_cidr(inner, in_len, true, r, why, cap);
		return rc == 1 ? 0 : -1;
	}
	for (size_t i = 0; i < len; i++)
		colons += e[i] == ':';
	if (colons >= 2) {
		/* a bare IPv6 address or network; ports need brackets */
		rc = parse_cidr(e, len, true, r, why, cap);
		return rc == 1 ? 0 : -1;
	}
	colon = memchr(e, ':', len);
	hlen = colon ? (size_t)(colon - e) : len;
	if (colon) {
		if (is_keyword(e, hlen)) {
			snprintf(why, cap, "groups and \"all\" take no port");
			return -1;
		}
		if (parse_port(colon + 1, len - hlen - 1, &r->port) < 0) {
			snprintf(why, cap, "invalid port (1-65535, plain decimal)");
			return -1;
		}
	}
	if (hlen == 0) {
		snprintf(why, cap, "empty host");
		return -1;
	}
	rc = parse_cidr(e, hlen, false, r, why, cap);
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	return parse_name(e, hlen, r, why, cap);
}

/* Whether two rules are the same rule, however they were written. */
static bool rule_same(const struct rule *a, const struct rule *b)
{
	if (a->kind != b->kind || a->port != b->port)
		return false;
	switch (a->kind) {
	case RULE_ALL:
		return true;
	case RULE_HOST:
	case RULE_DOMAIN:
	case RULE_REGEX:
		return !strcmp(a->value, b->value);
	case RULE_CIDR:
		return a->net.family == b->net.family && a->prefix == b->prefix &&
		       !memcmp(addr_cbytes(&a->net), addr_cbytes(&b->net), addr_bits(&a->net) / 8);
	default:
		return false;
	}
}

static ssize_t rule_find(const struct pd_policy *p, const struct rule *r)
{
	for (size_t i = 0; i < p->n; i++)
		if (rule_same(&p->rules[i], r))
			return (ssize_t)i;
	return -1;
}

/* Copy @s for an error message: quotes, backslashes and controls escaped, cut. */
static void quote(const char *s, char *out, size_t cap)
{
	size_t w = 0;

	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		bool c1 = c == 0xc2 && (unsigned char)s[i + 1] >= 0x80 &&
			  (unsigned char)s[i + 1] <= 0x9f;
		char esc[8];
		size_t k;

		if (c < 0x20 || c == 0x7f || c1)
			k = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c1 ? s[++i] & 0xff : c);
		else if (c == '"' || c == '\\')
			k = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
		else
			k = (size_t)snprintf(esc, sizeof(esc), "%c", c);
		if (w + k + 4 >= cap) {
			memcpy(out + w, "...", 4);
			return;
		}
		memcpy(out + w, esc, k);
		w += k;
	}
	out[w] = '\0';
}

/* Add entry @e (from group @g, or the user's: -1) unless it is already there. */
static int add_entry(struct pd_policy *p, size_t *cap, const char *e, int g, struct pd_error *err)
{
	char why[200];
	struct rule r;

	if (parse_entry(e, &r, why, sizeof(why)) < 0) {
		char q[200];

		rule_release(&r);
		quote(e, q, sizeof(q));
		return pd_error_set_msg(err, EINVAL, "allowlist entry \"%s\": %s", q, why);
	}
	if (rule_find(p, &r) >= 0) {
		rule_release(&r);
		return 0;
	}
	r.group = g;
	r.text = g >= 0 ? pd_xasprintf("%s:%s", groups[g].name, e) : pd_xstrdup(e);
	r.entry = r.text + (g >= 0 ? strlen(groups[g].name) + 1 : 0);
	if (p->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		p->rules = pd_xreallocarray(p->rules, *cap, sizeof(*p->rules));
	}
	p->rules[p->n++] = r;
	return 0;
}

static int add_group(struct pd_policy *p, size_t *cap, int g, struct pd_error *err)
{
	for (const char *const *e = groups[g].entries; *e; e++)
		if (add_entry(p, cap, *e, g, err) < 0)
			return -1;
	return 0;
}

/* Which groups are wholly present, and which rules they account for. */
static void mark_groups(struct pd_policy *p)
{
	for (int g = 0; g < G_COUNT; g++) {
		bool whole = true;

		for (const char *const *e = groups[g].entries; *e && whole; e++) {
			char why[200];
			struct rule r;

			whole = parse_entry(*e, &r, why, sizeof(why)) == 0 && rule_find(p, &r) >= 0;
			rule_release(&r);
		}
		p->shown[g] = whole;
		for (const char *const *e = groups[g].entries; *e && whole; e++) {
			char why[200];
			struct rule r;

			if (parse_entry(*e, &r, why, sizeof(why)) == 0 && rule_find(p, &r) >= 0)
				p->rules[rule_find(p, &r)].grouped = true;
			rule_release(&r);
		}
	}
}

struct pd_policy *pd_policy_new(const char *const *entries, size_t n, struct pd_error *err)
{
	struct pd_policy *p;
	bool asked_pypi = false, asked_python = false;
	size_t cap = 0;

	if (pd_lazy_idn2(err) < 0) /* names are normalized with it */
		return NULL;
	p = pd_xcalloc(1, sizeof(*p));
	if (n > 0 && !entries) {
		pd_error_set_msg(err, EINVAL, "allowlist: no entries given");
		goto fail;
	}
	p->refs = 1;
	for (size_t i = 0; i < (n ? n : 1); i++) {
		const char *e = n ? entries[i] : "default";
		int g;

		if (!e) {
			pd_error_set_msg(err, EINVAL, "allowlist entry %zu: missing", i + 1);
			goto fail;
		}
		g = group_lookup(e);
		if (!strcmp(e, "default")) {
			asked_pypi = true;
			for (size_t k = 0; k < sizeof(default_groups) / sizeof(default_groups[0]);
			     k++)
				if (add_group(p, &cap, default_groups[k], err) < 0)
					goto fail;
		} else if (g >= 0) {
			asked_pypi |= !strcmp(e, "pypi");
			asked_python |= !strcmp(e, "python");
			if (add_group(p, &cap, g, err) < 0)
				goto fail;
		} else if (add_entry(p, &cap, e, -1, err) < 0) {
			goto fail;
		}
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->rules[i].kind == RULE_ALL)
			p->all = &p->rules[i];
	p->python_named = asked_python && !asked_pypi;
	mark_groups(p);
	return p;
fail:
	p->refs = 1;
	pd_policy_unref(p);
	return NULL;
}

struct pd_policy *pd_policy_ref(struct pd_policy *p)
{
	if (p)
		__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}

void pd_policy_unref(struct pd_policy *p)
{
	if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < p->n; i++)
		rule_release(&p->rules[i]);
	free(p->rules);
	free(p);
}

/* ---- matching ---- */

static bool port_ok(const struct rule *r, uint16_t port)
{
	return r->port ? port == r->port : port == 80 || port == 443;
}

/* Rule @r (not cidr) matches normalized name @name of @n bytes. */
static bool name_matches(const struct rule *r, const char *name, size_t n)
{
	size_t dl;

	switch (r->kind) {
	case RULE_ALL:
		return true;
	case RULE_HOST:
		return !strcmp(name, r->value);
	case RULE_DOMAIN:
		dl = strlen(r->value);
		if (n == dl)
			return !memcmp(name, r->value, n);
		return n > dl && name[n - dl - 1] == '.' && !memcmp(name + n - dl, r->value, dl);
	case RULE_REGEX:
		return regexec(r->re, name, 0, NULL, 0) == 0;
	case RULE_CIDR:
		return false;
	default:
		return false;
	}
}

/* Cidr rule @r covers @a (an IPv4 rule also covers ::ffff:a.b.c.d). */
static bool cidr_covers(const struct rule *r, const struct pd_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	uint8_t b[16];
	const uint8_t *net = addr_cbytes(&r->net);
	unsigned full = r->prefix / 8, rest = r->prefix % 8;

	if (r->kind != RULE_CIDR)
		return false;
	if (r->net.family == AF_INET) {
		if (a->family == AF_INET)
			memcpy(b, &a->v4, 4);
		else if (a->family == AF_INET6 && !memcmp(a->v6.s6_addr, mapped, 12))
			memcpy(b, a->v6.s6_addr + 12, 4);
		else
			return false;
	} else {
		if (a->family == AF_INET6) {
			memcpy(b, a->v6.s6_addr, 16);
		} else if (a->family == AF_INET) {
			memcpy(b, mapped, 12);
			memcpy(b + 12, &a->v4, 4);
		} else {
			return false;
		}
	}
	if (memcmp(b, net, full) != 0)
		return false;
	return rest == 0 || ((b[full] ^ net[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* A small sorted set of ports, for "(allowed: 80, 443)". */
struct portset {
	uint16_t v[8];
	size_t n;
	bool more;
};

static void ps_add1(struct portset *s, uint16_t port)
{
	size_t i = 0;

	while (i < s->n && s->v[i] < port)
		i++;
	if (i < s->n && s->v[i] == port)
		return;
	if (s->n == sizeof(s->v) / sizeof(s->v[0])) {
		s->more = true;
		return;
	}
	memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(s->v[0]));
	s->v[i] = port;
	s->n++;
}

static void ps_add(struct portset *s, const struct rule *r)
{
	if (r->port) {
		ps_add1(s, r->port);
	} else {
		ps_add1(s, 80);
		ps_add1(s, 443);
	}
}

static void ps_format(const struct portset *s, char *out, size_t cap)
{
	size_t w = 0;

	out[0] = '\0';
	for (size_t i = 0; i < s->n && w < cap; i++) {
		int k = snprintf(out + w, cap - w, "%s%u", i ? ", " : "", s->v[i]);

		w += k > 0 ? (size_t)k : 0;
	}
	if (s->more && w < cap)
		snprintf(out + w, cap - w, ", ...");
}

static void verdict_init(struct pd_verdict *v)
{
	v->allow = false;
	v->rule = NULL;
	v->reason[0] = '\0';
}

static void allow(struct pd_verdict *v, const struct rule *r)
{
	v->allow = true;
	v->rule = r->text;
	v->reason[0] = '\0';
}

__attribute__((format(printf, 2, 3))) static void deny(struct pd_verdict *v, const char *fmt, ...)
{
	va_list ap;

	v->allow = false;
	v->rule = NULL;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

static void deny_port(struct pd_verdict *v, uint16_t port, const char *what,
		      const struct portset *s)
{
	char list[64];

	ps_format(s, list, sizeof(list));
	deny(v, "port %u is not allowed for %s (allowed: %s)", port, what, list);
}

/* "a"/"an" before an address class. */
static const char *article(const char *cls)
{
	if (!strncmp(cls, "uni", 3))
		return "a";
	return strchr("aeiouAEIOU", cls[0]) ? "an" : "a";
}

/* Judge address @a as the destination: cidr rules, then "all" for a public one. */
static void check_ip(const struct pd_policy *p, const struct pd_addr *a, uint16_t port,
		     struct pd_verdict *v)
{
	const char *special = pd_addr_special(a);
	struct portset ps = { .n = 0 };
	char txt[PD_ADDR_STRLEN];
	bool covered = false;

	if (pd_addr_format(a, txt, sizeof(txt)) < 0)
		pd_strlcpy(txt, "(invalid address)", sizeof(txt));
	for (size_t i = 0; i < p->n; i++) {
		const struct rule *r = &p->rules[i];

		if (!cidr_covers(r, a))
			continue;
		if (port_ok(r, port)) {
			allow(v, r);
			return;
		}
		covered = true;
		ps_add(&ps, r);
	}
	if (covered) {
		deny_port(v, port, txt, &ps);
	} else if (special) {
		deny(v, "%s is %s %s address", txt, article(special), special);
	} else if (p->all && port_ok(p->all, port)) {
		allow(v, p->all);
	} else if (p->all) {
		ps_add(&ps, p->all);
		deny_port(v, port, txt, &ps);
	} else {
		deny(v, "%s is not in the allowlist (IP literals match only IP/CIDR entries)", txt);
	}
}

/* Judge normalized name @name: the first name rule that allows it on @port, or NULL. */
static const struct rule *check_norm_name(const struct pd_policy *p, const char *name,
					  uint16_t port, struct pd_verdict *v)
{
	struct portset ps = { .n = 0 };
	size_t n = strlen(name);
	bool matched = false;

	for (size_t i = 0; i < p->n; i++) {
		const struct rule *r = &p->rules[i];

		if (r->kind == RULE_CIDR || !name_matches(r, name, n))
			continue;
		if (port_ok(r, port)) {
			allow(v, r);
			return r;
		}
		matched = true;
		ps_add(&ps, r);
	}
	if (matched)
		deny_port(v, port, name, &ps);
	else
		deny(v, "%s is not in the allowlist", name);
	return NULL;
}

static const char invalid_literal[] =
	"not a valid IP address (a host with ':' or a numeric last label is never a name)";

int pd_policy_check_name(const struct pd_policy *p, const char *host, size_t len, uint16_t port,
			 struct pd_verdict *v)
{
	char norm[PD_NAME_MAX + 1];
	const char *reason;
	struct pd_addr a;
	int lit;

	if (!p || !host || !v) {
		errno = EINVAL;
		return -1;
	}
	verdict_init(v);
	lit = pd_ip_literal(host, len, &a);
	if (lit == 0) {
		if (pd_name_normalize(host, len, norm, sizeof(norm), &reason) < 0) {
			deny(v, "invalid host name: %s", reason);
			return 0;
		}
		lit = pd_ip_literal(norm, strlen(norm), &a);
	}
	if (lit < 0)
		deny(v, "%s", invalid_literal);
	else if (lit > 0)
		check_ip(p, &a, port, v);
	else
		check_norm_name(p, norm, port, v);
	return 0;
}

int pd_policy_check_addr(const struct pd_policy *p, const char *norm_name, const struct pd_addr *a,
			 uint16_t port, bool pinned, struct pd_verdict *v)
{
	char norm[PD_NAME_MAX + 1], txt[PD_ADDR_STRLEN];
	const struct rule *named;
	const char *reason, *special;
	int lit;

	if (!p || !a || !v || (a->family != AF_INET && a->family != AF_INET6)) {
		errno = EINVAL;
		return -1;
	}
	verdict_init(v);
	if (!norm_name) {
		check_ip(p, a, port, v);
		return 0;
	}
	if (pd_name_normalize(norm_name, strlen(norm_name), norm, sizeof(norm), &reason) < 0) {
		deny(v, "invalid host name: %s", reason);
		return 0;
	}
	lit = pd_ip_literal(norm, strlen(norm), NULL);
	if (lit < 0) {
		deny(v, "%s", invalid_literal);
		return 0;
	}
	if (lit > 0) {
		check_ip(p, a, port, v);
		return 0;
	}
	named = check_norm_name(p, norm, port, v);
	if (!named)
		return 0;
	special = pd_addr_special(a);
	if (!special || pinned)
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if (cidr_covers(&p->rules[i], a) && port_ok(&p->rules[i], port))
			return 0;
	if (pd_addr_format(a, txt, sizeof(txt)) < 0)
		pd_strlcpy(txt, "(invalid address)", sizeof(txt));
	deny(v, "%s is %s %s address", txt, article(special), special);
	return 0;
}

const char *pd_policy_name_rule_any_port(const struct pd_policy *p, const char *norm_name)
{
	char norm[PD_NAME_MAX + 1];
	size_t n;

	if (!p || !norm_name ||
	    pd_name_normalize(norm_name, strlen(norm_name), norm, sizeof(norm), NULL) < 0)
		return NULL;
	n = strlen(norm);
	if (pd_ip_literal(norm, n, NULL) != 0)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (p->rules[i].kind != RULE_CIDR && name_matches(&p->rules[i], norm, n))
			return p->rules[i].text;
	return NULL;
}

bool pd_policy_name_allowed_any_port(const struct pd_policy *p, const char *norm_name)
{
	return pd_policy_name_rule_any_port(p, norm_name) != NULL;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

size_t pd_policy_ports(const struct pd_policy *p, uint16_t *ports, size_t cap)
{
	uint16_t *all;
	size_t n = 0, u = 0;

	if (!p)
		return 0;
	all = pd_xreallocarray(NULL, p->n + 2, sizeof(*all));
	all[n++] = 80;
	all[n++] = 443;
	for (size_t i = 0; i < p->n; i++)
		if (p->rules[i].port)
			all[n++] = p->rules[i].port;
	qsort(all, n, sizeof(*all), cmp_u16);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && all[i] == all[i - 1])
			continue;
		if (ports && u < cap)
			ports[u] = all[i];
		u++;
	}
	free(all);
	return u;
}

/* ---- display ---- */

struct sbuf {
	char *out;
	size_t cap, len;
	bool cut;
};

static void sb_put(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->cut)
		return;
	if (b->len + n >= b->cap) {
		n = b->cap - 1 - b->len;
		b->cut = true;
	}
	memcpy(b->out + b->len, s, n);
	b->len += n;
	b->out[b->len] = '\0';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* @list (@n entries) sorted: all of them up to three, else "a, b, ... (+N more)". */
static void sb_list(struct sbuf *b, const char **list, size_t n)
{
	qsort(list, n, sizeof(*list), cmp_str);
	for (size_t i = 0; i < n && (n <= 3 || i < 2); i++) {
		if (i)
			sb_put(b, ", ");
		sb_put(b, list[i]);
	}
	if (n > 3) {
		char more[48];

		snprintf(more, sizeof(more), ", ... (+%zu more)", n - 2);
		sb_put(b, more);
	}
}

int pd_policy_display(const struct pd_policy *p, char *out, size_t cap)
{
	struct sbuf b = { out, cap, 0, false };
	const char **custom;
	size_t nc = 0;
	bool any = false;

	if (!p || !out || cap == 0) {
		errno = EINVAL;
		return -1;
	}
	out[0] = '\0';
	custom = pd_xreallocarray(NULL, p->n ? p->n : 1, sizeof(*custom));
	if (p->all) {
		sb_put(&b, "unrestricted (all public hosts)");
		any = true;
		for (size_t i = 0; i < p->n; i++)
			if (p->rules[i].kind == RULE_CIDR || p->rules[i].port)
				custom[nc++] = p->rules[i].entry;
	} else {
		for (int g = 0; g < G_COUNT; g++) {
			if (!p->shown[g])
				continue;
			sb_put(&b, any ? ", " : "");
			sb_put(&b, g == G_PYPI && p->python_named ? "python" : groups[g].name);
			any = true;
		}
		for (size_t i = 0; i < p->n; i++)
			if (!p->rules[i].grouped)
				custom[nc++] = p->rules[i].entry;
	}
	if (nc > 0) {
		sb_put(&b, any ? " + " : "");
		sb_list(&b, custom, nc);
		any = true;
	}
	if (!any)
		sb_put(&b, "none");
	free(custom);
	if (b.cut) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

/* ---- --resolve HOST:ADDR ---- */

int pd_pin_parse(const char *arg, struct pd_pin *out, struct pd_error *err)
{
	char q[200];
	const char *colon, *reason;

	if (!arg || !out)
		return pd_error_set_msg(err, EINVAL, "pinned address: no argument");
	memset(out, 0, sizeof(*out));
	quote(arg, q, sizeof(q));
	colon = strchr(arg, ':');
	if (!colon)
		return pd_error_set_msg(err, EINVAL, "\"%s\": expected HOST:ADDR", q);
	if (pd_name_normalize(arg, (size_t)(colon - arg), out->name, sizeof(out->name), &reason) <
	    0)
		return pd_error_set_msg(err, EINVAL, "\"%s\": invalid host name: %s", q, reason);
	if (pd_ip_literal(out->name, strlen(out->name), NULL) != 0) {
		memset(out, 0, sizeof(*out));
		return pd_error_set_msg(err, EINVAL, "\"%s\": HOST must be a name, not an address",
					q);
	}
	if (pd_addr_parse(colon + 1, &out->addr) < 0) {
		memset(out, 0, sizeof(*out));
		return pd_error_set_msg(
			err, EINVAL,
			"\"%s\": ADDR is not an IPv4 or IPv6 address (canonical form, e.g. "
			"10.0.0.5 or [fd00::5])",
			q);
	}
	return 0;
}

size_t pd_policy_ipv4_nets(const struct pd_policy *p, struct in_addr *nets, uint8_t *prefixes,
			   size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct rule *r = &p->rules[i];

		if (r->kind != RULE_CIDR || r->net.family != AF_INET)
			continue;
		for (size_t j = 0; j < k && j < cap; j++)
			if (nets[j].s_addr == r->net.v4.s_addr && prefixes[j] == r->prefix)
				goto next;
		if (k < cap) {
			nets[k] = r->net.v4;
			prefixes[k] = (uint8_t)r->prefix;
		}
		k++;
next:;
	}
	return k;
}

size_t pd_policy_entries(const struct pd_policy *p, const char **out, size_t cap)
{
	if (!p)
		return 0;
	for (size_t i = 0; i < p->n && i < cap; i++)
		out[i] = p->rules[i].text;
	return p->n;
}
