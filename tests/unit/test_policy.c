/* SPDX-License-Identifier: MIT */
/*
 * test_policy.c - proxy/policy.c: the allowlist.  Groups and "default",
 * host/domain/regex/CIDR entries and their ports, IP literals that must
 * never match a domain rule, special addresses after resolution (with
 * "all", pins and CIDR exceptions), the display line, the port list, and
 * --resolve pins.
 */
#include "unit.h"
#include "proxy/policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static struct pd_policy *mk(const char *const *entries, size_t n)
{
	struct pd_error err = { 0 };
	struct pd_policy *p = pd_policy_new(entries, n, &err);

	ck_assert_msg(p != NULL, "pd_policy_new(%s%s): %s", n ? entries[0] : "(none)",
		      n > 1 ? ", ..." : "", err.msg);
	return p;
}

#define INVALID_LITERAL \
	"not a valid IP address (a host with ':' or a numeric last label is never a name)"
#define ENTRIES(...) ((const char *const[]){ __VA_ARGS__ })
#define N_ENTRIES(...) (sizeof(ENTRIES(__VA_ARGS__)) / sizeof(const char *))
#define POLICY(...) mk(ENTRIES(__VA_ARGS__), N_ENTRIES(__VA_ARGS__))

/* @host on @port must be allowed by exactly @rule. */
static void allowed(const struct pd_policy *p, const char *host, uint16_t port, const char *rule)
{
	struct pd_verdict v;

	ck_assert_int_eq(pd_policy_check_name(p, host, strlen(host), port, &v), 0);
	ck_assert_msg(v.allow, "%s:%u: expected allowed by \"%s\", denied: %s", host, port, rule,
		      v.reason);
	ck_assert_msg(v.rule && !strcmp(v.rule, rule), "%s:%u: expected rule \"%s\", got \"%s\"",
		      host, port, rule, v.rule ? v.rule : "(null)");
	EXPECT_STR(v.reason, "");
}

/* @host (@len bytes) on @port must be denied, for exactly @reason (NULL: any). */
static void denied_n(const struct pd_policy *p, const char *host, size_t len, uint16_t port,
		     const char *reason)
{
	struct pd_verdict v;

	ck_assert_int_eq(pd_policy_check_name(p, host, len, port, &v), 0);
	ck_assert_msg(!v.allow, "%.*s:%u: expected denied, allowed by \"%s\"", (int)len, host, port,
		      v.rule ? v.rule : "(null)");
	ck_assert_msg(v.rule == NULL, "%.*s: a denial names no rule", (int)len, host);
	ck_assert_msg(v.reason[0] != '\0', "%.*s: a denial has a reason", (int)len, host);
	if (reason)
		ck_assert_msg(!strcmp(v.reason, reason),
			      "%.*s:%u: expected reason \"%s\", got \"%s\"", (int)len, host, port,
			      reason, v.reason);
}

static void denied(const struct pd_policy *p, const char *host, uint16_t port, const char *reason)
{
	denied_n(p, host, strlen(host), port, reason);
}

/* check_addr(@name, @addr): @allow, and then @what is the rule, else the reason. */
static void addr(const struct pd_policy *p, const char *name, const char *addr_text, uint16_t port,
		 bool pinned, bool allow, const char *what)
{
	struct pd_addr a;
	struct pd_verdict v;

	ck_assert_msg(pd_addr_parse(addr_text, &a) == 0, "bad test address %s", addr_text);
	ck_assert_int_eq(pd_policy_check_addr(p, name, &a, port, pinned, &v), 0);
	ck_assert_msg(v.allow == allow, "%s -> %s:%u%s: expected %s, got %s (%s)",
		      name ? name : "(literal)", addr_text, port, pinned ? " pinned" : "",
		      allow ? "allowed" : "denied", v.allow ? "allowed" : "denied",
		      v.allow ? v.rule : v.reason);
	if (allow)
		ck_assert_msg(v.rule && !strcmp(v.rule, what), "%s -> %s: expected rule %s, got %s",
			      name ? name : "(literal)", addr_text, what,
			      v.rule ? v.rule : "(null)");
	else
		ck_assert_msg(!strcmp(v.reason, what),
			      "%s -> %s: expected reason \"%s\", got \"%s\"",
			      name ? name : "(literal)", addr_text, what, v.reason);
}

/* Entry @e alone must fail with exactly @msg. */
static void bad_entry(const char *e, const char *msg)
{
	struct pd_error err = { 0 };
	const char *entries[] = { "github", e };
	struct pd_policy *p = pd_policy_new(entries, 2, &err);

	ck_assert_msg(p == NULL, "entry \"%s\": expected an error, got a policy", e);
	pd_policy_unref(p);
	EXPECT_INT(err.code, EINVAL);
	ck_assert_msg(!strcmp(err.msg, msg), "entry \"%s\":\nexpected: %s\n     got: %s", e, msg,
		      err.msg);
}

static void display(const struct pd_policy *p, const char *want)
{
	char out[512];

	EXPECT_INT(pd_policy_display(p, out, sizeof(out)), 0);
	EXPECT_STR(out, want);
}

START_TEST(test_default_group)
{
	struct pd_policy *p = POLICY("default");
	struct pd_policy *none = pd_policy_new(NULL, 0, NULL);

	allowed(p, "us-central1-aiplatform.googleapis.com", 443,
		"vertexai:~([a-z0-9-]+-)?aiplatform\\.googleapis\\.com");
	allowed(p, "aiplatform.googleapis.com", 443,
		"vertexai:~([a-z0-9-]+-)?aiplatform\\.googleapis\\.com");
	allowed(p, "oauth2.googleapis.com", 443, "vertexai:oauth2.googleapis.com");
	allowed(p, "api.anthropic.com", 443, "claude:.anthropic.com");
	allowed(p, "anthropic.com", 80, "claude:.anthropic.com");
	allowed(p, "claude.ai", 443, "claude:.claude.ai");
	allowed(p, "files.pythonhosted.org", 443, "pypi:.pythonhosted.org");
	allowed(p, "GitHub.com.", 443, "github:github.com");
	allowed(p, "results-receiver.actions.githubusercontent.com", 443,
		"github:results-receiver.actions.githubusercontent.com");
	denied(p, "evilgoogleapis.com", 443, "evilgoogleapis.com is not in the allowlist");
	denied(p, "googleapis.com.evil.test", 443, NULL);
	denied(p, "github.com.evil.test", 443, "github.com.evil.test is not in the allowlist");
	denied(p, "xgithub.com", 443, "xgithub.com is not in the allowlist");
	denied(p, "gist.github.com", 443, NULL); /* github.com is exact */
	denied(p, "fooanthropic.com", 443, "fooanthropic.com is not in the allowlist");
	denied(p, "anthropic.com.evil.test", 443, NULL);
	denied(p, "us-central1-aiplatform.googleapis.com.evil.test", 443, NULL);
	denied(p, "x.aiplatform.googleapis.com", 443, NULL);
	denied(p, "aiplatform.googleapis.com.", 22,
	       "port 22 is not allowed for aiplatform.googleapis.com (allowed: 80, 443)");
	denied(p, "registry.npmjs.org", 443, NULL); /* nodejs is not in default */
	/* no entries at all means default */
	ck_assert_ptr_nonnull(none);
	allowed(none, "api.github.com", 443, "github:api.github.com");
	denied(none, "evil.test", 443, "evil.test is not in the allowlist");
	pd_policy_unref(none);
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_domain_semantics)
{
	struct pd_policy *p = POLICY(".anthropic.com", "exact.test");

	allowed(p, "anthropic.com", 443, ".anthropic.com");
	allowed(p, "api.anthropic.com", 443, ".anthropic.com");
	allowed(p, "a.b.c.anthropic.com", 80, ".anthropic.com");
	denied(p, "fooanthropic.com", 443, "fooanthropic.com is not in the allowlist");
	denied(p, "anthropic.com.evil", 443, NULL);
	denied(p, "anthropic.co", 443, NULL);
	allowed(p, "EXACT.test.", 443, "exact.test");
	denied(p, "sub.exact.test", 443, "sub.exact.test is not in the allowlist");
	denied(p, "xexact.test", 443, NULL);
	/* what a client sends that is no name at all */
	denied(p, "api.anthropic.com:443", 443, INVALID_LITERAL);
	denied(p, "a b.anthropic.com", 443, "invalid host name: contains a space");
	denied(p, "api%2eanthropic.com", 443,
	       "invalid host name: contains '%' (percent-escapes are not host names)");
	denied(p, "evil.test@api.anthropic.com", 443, "invalid host name: contains '@'");
	denied_n(p, "api.anthropic.com\0.evil.test", 28, 443,
		 "invalid host name: contains a NUL byte");
	denied(p, "", 443, "invalid host name: empty name");
	denied(p, "api..anthropic.com", 443, NULL);
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_custom_replaces_default)
{
	struct pd_policy *p = POLICY("ok.test");
	struct pd_policy *q = POLICY("ok.test", "default");

	allowed(p, "ok.test", 443, "ok.test");
	denied(p, "github.com", 443, "github.com is not in the allowlist");
	denied(p, "api.anthropic.com", 443, NULL);
	allowed(q, "ok.test", 443, "ok.test");
	allowed(q, "github.com", 443, "github:github.com");
	pd_policy_unref(q);
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_groups)
{
	struct pd_policy *p = POLICY("golang", "nodejs", "rust", "python");

	allowed(p, "proxy.golang.org", 443, "golang:proxy.golang.org");
	allowed(p, "storage.googleapis.com", 443, "golang:storage.googleapis.com");
	allowed(p, "registry.npmjs.org", 443, "nodejs:registry.npmjs.org");
	allowed(p, "www.npmjs.org", 443, "nodejs:.npmjs.org");
	allowed(p, "repo.yarnpkg.com", 443, "nodejs:.yarnpkg.com");
	allowed(p, "static.rust-lang.org", 443, "rust:static.rust-lang.org");
	allowed(p, "pypi.org", 443, "pypi:.pypi.org");
	denied(p, "github.com", 443, NULL);
	denied(p, "rust-lang.org", 443, NULL);
	display(p, "python, golang, nodejs, rust");
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_ports)
{
	struct pd_policy *p = POLICY("github.com", "alt.test:8443", "both.test", "both.test:8443",
				     ".corp.test:22");

	allowed(p, "github.com", 80, "github.com");
	allowed(p, "github.com", 443, "github.com");
	denied(p, "github.com", 8080, "port 8080 is not allowed for github.com (allowed: 80, 443)");
	allowed(p, "alt.test", 8443, "alt.test:8443");
	denied(p, "alt.test", 443, "port 443 is not allowed for alt.test (allowed: 8443)");
	allowed(p, "both.test", 443, "both.test");
	allowed(p, "both.test", 8443, "both.test:8443");
	denied(p, "both.test", 22, "port 22 is not allowed for both.test (allowed: 80, 443, 8443)");
	allowed(p, "git.corp.test", 22, ".corp.test:22");
	denied(p, "git.corp.test", 443, "port 443 is not allowed for git.corp.test (allowed: 22)");
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_bad_entries)
{
	static const char port_err[] = "invalid port (1-65535, plain decimal)";
	static const char *const bad_ports[] = { "a.test:0",          "a.test:65536", "a.test:+80",
						 "a.test:80x",        "a.test:0x50",  "a.test: 80",
						 "a.test:080",        "a.test:",      "a.test:-1",
						 "a.test:99999999999" };
	char long_re[PD_POLICY_REGEX_MAX + 3];
	char msg[256];

	for (size_t i = 0; i < sizeof(bad_ports) / sizeof(bad_ports[0]); i++) {
		snprintf(msg, sizeof(msg), "allowlist entry \"%s\": %s", bad_ports[i], port_err);
		bad_entry(bad_ports[i], msg);
	}
	bad_entry("", "allowlist entry \"\": empty entry");
	bad_entry("a b", "allowlist entry \"a b\": invalid host name: contains a space");
	bad_entry("a\x1b[31m",
		  "allowlist entry \"a\\x1b[31m\": invalid host name: contains a "
		  "control character");
	bad_entry("*.x.test",
		  "allowlist entry \"*.x.test\": wildcards are written .example.com "
		  "(the domain and every name under it)");
	bad_entry("..x.test",
		  "allowlist entry \"..x.test\": invalid host name: empty label "
		  "(\"..\" or a leading dot)");
	bad_entry(".", "allowlist entry \".\": invalid host name: empty name");
	bad_entry("127.1",
		  "allowlist entry \"127.1\": not an IP address in canonical form "
		  "(write IPv4 as a dotted quad, e.g. 127.0.0.1)");
	bad_entry("2130706433",
		  "allowlist entry \"2130706433\": not an IP address in canonical "
		  "form (write IPv4 as a dotted quad, e.g. 127.0.0.1)");
	bad_entry(".0.1", "allowlist entry \".0.1\": a domain cannot be an IP address");
	bad_entry("10.0.0.1/8",
		  "allowlist entry \"10.0.0.1/8\": host bits set (did you mean 10.0.0.0/8?)");
	bad_entry("10.0.0.0/33", "allowlist entry \"10.0.0.0/33\": invalid prefix length (0-32)");
	bad_entry("10.0.0.0/08", "allowlist entry \"10.0.0.0/08\": invalid prefix length (0-32)");
	bad_entry("[2001:db8::1]/32",
		  "allowlist entry \"[2001:db8::1]/32\": host bits set (did "
		  "you mean 2001:db8::/32?)");
	bad_entry("[1.2.3.4]",
		  "allowlist entry \"[1.2.3.4]\": not an IP address or network in "
		  "canonical form (IPv6 expected)");
	bad_entry("[::1]x", "allowlist entry \"[::1]x\": unexpected text after ']'");
	bad_entry("[::1", "allowlist entry \"[::1\": '[' without ']'");
	bad_entry("::1:80:x",
		  "allowlist entry \"::1:80:x\": not an IP address or network in "
		  "canonical form (IPv6 expected)");
	bad_entry("example.com/path",
		  "allowlist entry \"example.com/path\": not an IP address "
		  "or network in canonical form");
	bad_entry("all:8080", "allowlist entry \"all:8080\": groups and \"all\" take no port");
	bad_entry("github:443", "allowlist entry \"github:443\": groups and \"all\" take no port");
	bad_entry("~", "allowlist entry \"~\": empty regex");
	bad_entry("~(",
		  "allowlist entry \"~(\": regex parentheses or brackets do not balance (or "
		  "it ends in a backslash)");
	bad_entry("~a)|b",
		  "allowlist entry \"~a)|b\": regex parentheses or brackets do not "
		  "balance (or it ends in a backslash)");
	bad_entry("~a)|(b",
		  "allowlist entry \"~a)|(b\": regex parentheses or brackets do not "
		  "balance (or it ends in a backslash)");
	bad_entry("~a\\",
		  "allowlist entry \"~a\\\\\": regex parentheses or brackets do not "
		  "balance (or it ends in a backslash)");
	bad_entry("~[a",
		  "allowlist entry \"~[a\": regex parentheses or brackets do not balance "
		  "(or it ends in a backslash)");
	bad_entry("~foo\\.com:443",
		  "allowlist entry \"~foo\\\\.com:443\": a regex matches host "
		  "names only, which have no ':' (regexes take no port)");
	bad_entry("~a{2,1}",
		  "allowlist entry \"~a{2,1}\": invalid regex: Invalid content of \\{\\}");
	bad_entry("~a\nb", "allowlist entry \"~a\\x0ab\": regex contains a control character");
	/* a long entry is cut in the message: its first 195 bytes, then "..." */
	long_re[0] = '~';
	memset(long_re + 1, 'a', PD_POLICY_REGEX_MAX + 1);
	long_re[PD_POLICY_REGEX_MAX + 2] = '\0';
	snprintf(msg, sizeof(msg), "allowlist entry \"%.195s...\": regex longer than 512 bytes",
		 long_re);
	bad_entry(long_re, msg);
}
END_TEST

START_TEST(test_bad_entry_null)
{
	struct pd_error err = { 0 };
	const char *entries[] = { "ok.test", NULL };

	ck_assert_ptr_null(pd_policy_new(entries, 2, &err));
	EXPECT_STR(err.msg, "allowlist entry 2: missing");
	ck_assert_ptr_null(pd_policy_new(NULL, 1, &err));
	EXPECT_STR(err.msg, "allowlist: no entries given");
}
END_TEST

/* The spellings of 127.0.0.1 (and friends) the brief names. */
static const char *const loopback_spellings[] = {
	"127.0.0.1",
	"2130706433",
	"0177.0.0.1",
	"0x7f.1",
	"127.1",
	"0x7f000001",
	"127.0.0.1.",
	"[::ffff:127.0.0.1]",
	"::ffff:7f00:1",
	"64:ff9b::7f00:1",
	"2002:7f00:1::",
	"[::1]",
	"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1", /* fullwidth digits, IDNA-mapped */
	"127.0.0.\xef\xbc\x91",
};

START_TEST(test_literals_never_match_names)
{
	struct pd_policy *re = POLICY("~.*", ".com", "default");
	struct pd_policy *all = POLICY("all");

	for (size_t i = 0; i < sizeof(loopback_spellings) / sizeof(loopback_spellings[0]); i++) {
		const char *s = loopback_spellings[i];
		struct pd_verdict v;
		struct pd_addr a;
		char norm[PD_NAME_MAX + 1];

		/* it is a literal, before or after normalization, and special */
		if (pd_ip_literal(s, strlen(s), &a) != 1) {
			ck_assert_msg(pd_name_normalize(s, strlen(s), norm, sizeof(norm), NULL) ==
					      0,
				      "%s: neither literal nor name", s);
			ck_assert_msg(pd_ip_literal(norm, strlen(norm), &a) == 1,
				      "%s: not a literal after normalization (%s)", s, norm);
		}
		ck_assert_msg(pd_addr_special(&a) != NULL, "%s: not special", s);
		ck_assert_int_eq(pd_policy_check_name(re, s, strlen(s), 443, &v), 0);
		ck_assert_msg(!v.allow, "%s: allowed by a name rule: %s", s, v.rule);
		ck_assert_int_eq(pd_policy_check_name(all, s, strlen(s), 443, &v), 0);
		ck_assert_msg(!v.allow, "%s: allowed by all: %s", s, v.rule);
		ck_assert_msg(!pd_policy_name_allowed_any_port(re, s), "%s: answered by DNS", s);
	}
	denied(re, "0x7f.1", 443, "127.0.0.1 is a loopback address");
	denied(re, "[::ffff:127.0.0.1]", 443, "::ffff:127.0.0.1 is a loopback address");
	denied(re, "64:ff9b::7f00:1", 443, "64:ff9b::7f00:1 is a loopback address");
	denied(re, "8.8.8.8", 443,
	       "8.8.8.8 is not in the allowlist (IP literals match only IP/CIDR entries)");
	denied(re, "0x8.0x8.0x8.0x8", 443,
	       "8.8.8.8 is not in the allowlist (IP literals match only IP/CIDR entries)");
	denied(re, "256.1.1.1", 443, INVALID_LITERAL);
	denied(re, "0x1g.1", 443, NULL);
	denied(re, "fe80::1%eth0", 443, NULL);
	denied(all, "10.0.0.1", 443, "10.0.0.1 is a private (RFC 1918) address");
	denied(all, "169.254.169.254", 80, "169.254.169.254 is a link-local address");
	denied(all, "0", 443, "0.0.0.0 is an unspecified address");
	denied(all, "[fd00::1]", 443, "fd00::1 is a unique local (ULA) address");
	denied(all, "192.0.0.8", 443, "192.0.0.8 is an IETF protocol assignments address");
	allowed(all, "8.8.8.8", 443, "all");
	allowed(all, "[2606:4700:4700::1111]", 443, "all");
	denied(all, "8.8.8.8", 8080, "port 8080 is not allowed for 8.8.8.8 (allowed: 80, 443)");
	/* names the regex takes */
	allowed(re, "example.org", 443, "~.*");
	allowed(re, "1.2.3.4.nip.io", 443, "~.*");
	pd_policy_unref(all);
	pd_policy_unref(re);
}
END_TEST

START_TEST(test_cidr)
{
	struct pd_policy *p = POLICY("10.0.0.0/8", "[2001:db8::]/32", "[::1]:8080", "1.2.3.4:8080",
				     "192.168.1.7", "fd00::/8", "100.64.0.0/10:5432");

	allowed(p, "10.1.2.3", 443, "10.0.0.0/8");
	allowed(p, "012.1.2.3", 443, "10.0.0.0/8"); /* octal 012 = 10 */
	allowed(p, "::ffff:10.1.2.3", 443, "10.0.0.0/8");
	allowed(p, "[::ffff:a01:203]", 80, "10.0.0.0/8");
	denied(p, "11.0.0.1", 443,
	       "11.0.0.1 is not in the allowlist (IP literals match only IP/CIDR entries)");
	denied(p, "10.1.2.3", 22, "port 22 is not allowed for 10.1.2.3 (allowed: 80, 443)");
	allowed(p, "2001:db8::1", 443, "[2001:db8::]/32");
	allowed(p, "[2001:db8:ffff::5]", 443, "[2001:db8::]/32");
	denied(p, "2001:db9::1", 443,
	       "2001:db9::1 is not in the allowlist (IP literals match "
	       "only IP/CIDR entries)");
	denied(p, "2001:db9::1", 443, NULL);
	allowed(p, "::1", 8080, "[::1]:8080");
	denied(p, "::1", 443, "port 443 is not allowed for ::1 (allowed: 8080)");
	allowed(p, "1.2.3.4", 8080, "1.2.3.4:8080");
	denied(p, "1.2.3.4", 443, "port 443 is not allowed for 1.2.3.4 (allowed: 8080)");
	denied(p, "1.2.3.5", 8080, NULL);
	allowed(p, "192.168.1.7", 443, "192.168.1.7");
	denied(p, "192.168.1.8", 443, "192.168.1.8 is a private (RFC 1918) address");
	allowed(p, "fd12::1", 443, "fd00::/8");
	denied(p, "fe12::1", 443, NULL);
	allowed(p, "100.100.0.1", 5432, "100.64.0.0/10:5432");
	denied(p, "100.100.0.1", 443, NULL);
	/* a CIDR entry is no name rule */
	denied(p, "ten.test", 443, "ten.test is not in the allowlist");
	ck_assert(!pd_policy_name_allowed_any_port(p, "ten.test"));
	/* the same after resolution, with no name */
	addr(p, NULL, "10.9.9.9", 443, false, true, "10.0.0.0/8");
	addr(p, NULL, "::ffff:10.9.9.9", 443, false, true, "10.0.0.0/8");
	addr(p, NULL, "11.9.9.9", 443, false, false,
	     "11.9.9.9 is not in the allowlist (IP literals match only IP/CIDR entries)");
	pd_policy_unref(p);

	/* v6 networks that hold mapped addresses also take IPv4 */
	p = POLICY("::ffff:0:0/96");
	allowed(p, "127.0.0.1", 443, "::ffff:0:0/96");
	denied(p, "::1", 443, "::1 is a loopback address");
	pd_policy_unref(p);
	p = POLICY("0.0.0.0/0");
	allowed(p, "127.0.0.1", 443, "0.0.0.0/0"); /* explicitly covered */
	allowed(p, "::ffff:169.254.169.254", 443, "0.0.0.0/0");
	denied(p, "::1", 443, "::1 is a loopback address");
	denied(p, "example.com", 443, "example.com is not in the allowlist");
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_check_addr)
{
	struct pd_policy *p =
		POLICY("default", "db.test", "10.0.0.0/8", "pg.test:5432", "172.16.0.0/12:5432");
	struct pd_policy *all = POLICY("all");
	struct pd_addr a;
	struct pd_verdict v;

	addr(p, "github.com", "140.82.112.3", 443, false, true, "github:github.com");
	addr(p, "github.com", "2606:50c0:8000::154", 443, false, true, "github:github.com");
	addr(p, "github.com", "192.168.0.1", 443, false, false,
	     "192.168.0.1 is a private (RFC 1918) address");
	addr(p, "github.com", "127.0.0.1", 443, false, false, "127.0.0.1 is a loopback address");
	addr(p, "github.com", "::ffff:127.0.0.1", 443, false, false,
	     "::ffff:127.0.0.1 is a loopback address");
	addr(p, "github.com", "169.254.169.254", 443, false, false,
	     "169.254.169.254 is a link-local address");
	addr(p, "github.com", "64:ff9b::a9fe:a9fe", 443, false, false,
	     "64:ff9b::a9fe:a9fe is a link-local address");
	addr(p, "github.com", "2002:a9fe:a9fe::", 443, false, false,
	     "2002:a9fe:a9fe:: is a link-local address");
	addr(p, "github.com", "140.82.112.3", 8443, false, false,
	     "port 8443 is not allowed for github.com (allowed: 80, 443)");
	/* a CIDR entry opens its range to allowed names */
	addr(p, "db.test", "10.1.1.1", 443, false, true, "db.test");
	addr(p, "db.test", "192.168.1.1", 443, false, false,
	     "192.168.1.1 is a private (RFC 1918) address");
	/* ... on its own port only */
	addr(p, "pg.test", "172.16.5.5", 5432, false, true, "pg.test:5432");
	addr(p, "pg.test", "192.168.5.5", 5432, false, false,
	     "192.168.5.5 is a private (RFC 1918) address");
	/* pinned: the special-address check is skipped, the name check is not */
	addr(p, "db.test", "192.168.1.1", 443, true, true, "db.test");
	addr(p, "db.test", "127.0.0.1", 443, true, true, "db.test");
	addr(p, "evil.test", "127.0.0.1", 443, true, false, "evil.test is not in the allowlist");
	addr(p, "evil.test", "8.8.8.8", 443, true, false, "evil.test is not in the allowlist");
	addr(p, "db.test", "127.0.0.1", 22, true, false,
	     "port 22 is not allowed for db.test (allowed: 80, 443)");
	/* the name is checked as given: normalized again */
	addr(p, "GitHub.com.", "140.82.112.3", 443, false, true, "github:github.com");
	addr(p, "git hub.com", "140.82.112.3", 443, false, false,
	     "invalid host name: contains a space");
	/* "all" still refuses special addresses, unless pinned */
	addr(all, "anything.test", "8.8.8.8", 443, false, true, "all");
	addr(all, "anything.test", "10.0.0.1", 443, false, false,
	     "10.0.0.1 is a private (RFC 1918) address");
	addr(all, "metadata.google.internal", "169.254.169.254", 80, false, false,
	     "169.254.169.254 is a link-local address");
	addr(all, "anything.test", "::1", 443, false, false, "::1 is a loopback address");
	addr(all, "anything.test", "fd00::1", 443, false, false,
	     "fd00::1 is a unique local (ULA) address");
	addr(all, "pinned.test", "10.0.0.1", 443, true, true, "all");
	addr(all, NULL, "10.0.0.1", 443, false, false, "10.0.0.1 is a private (RFC 1918) address");
	addr(all, NULL, "8.8.4.4", 443, false, true, "all");
	/* an IP literal as the name: judged as the address */
	addr(all, "127.1", "127.0.0.1", 443, true, false, "127.0.0.1 is a loopback address");
	/* bad arguments */
	a.family = 0;
	errno = 0;
	EXPECT_INT(pd_policy_check_addr(p, "github.com", &a, 443, false, &v), -1);
	EXPECT_INT(errno, EINVAL);
	EXPECT_INT(pd_policy_check_addr(NULL, "github.com", &a, 443, false, &v), -1);
	EXPECT_INT(pd_policy_check_name(p, NULL, 0, 443, &v), -1);
	EXPECT_INT(pd_policy_check_name(p, "x", 1, 443, NULL), -1);
	pd_policy_unref(all);
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_regex_anchoring)
{
	struct pd_policy *p = POLICY("~foo\\.com", "~a|b", "~(x|y)z", "~[)]?q");

	allowed(p, "foo.com", 443, "~foo\\.com");
	allowed(p, "FOO.com", 443, "~foo\\.com");
	denied(p, "xfoo.com", 443, "xfoo.com is not in the allowlist");
	denied(p, "foo.com.evil", 443, "foo.com.evil is not in the allowlist");
	denied(p, "a.foo.com", 443, NULL);
	denied(p, "fooxcom", 443, NULL); /* the dot is escaped */
	allowed(p, "a", 443, "~a|b");
	allowed(p, "b", 443, "~a|b");
	denied(p, "ab", 443, NULL);
	denied(p, "xa", 443, NULL);
	denied(p, "bx", 443, NULL);
	allowed(p, "xz", 443, "~(x|y)z");
	denied(p, "x", 443, NULL);
	denied(p, "xzz", 443, NULL);
	allowed(p, "q", 443, "~[)]?q");
	pd_policy_unref(p);
	/* ':' inside a bracket expression is no port */
	p = POLICY("~[[:alpha:]]+\\.test");
	allowed(p, "abc.test", 443, "~[[:alpha:]]+\\.test");
	denied(p, "a1.test", 443, NULL);
	/* a regex never takes an IP literal */
	pd_policy_unref(p);
	p = POLICY("~[0-9.]+", "~.*1");
	denied(p, "1.2.3.4", 443,
	       "1.2.3.4 is not in the allowlist (IP literals match only IP/CIDR entries)");
	denied(p, "2130706433", 443, NULL);
	allowed(p, "x.y1", 443, "~.*1"); /* the last label starts with a letter: a name */
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_idna)
{
	struct pd_policy *p =
		POLICY("b\xc3\xbc"
		       "cher.example",
		       ".xn--mnchen-3ya.test");

	allowed(p, "xn--bcher-kva.example", 443,
		"b\xc3\xbc"
		"cher.example");
	allowed(p,
		"B\xc3\x9c"
		"CHER.example",
		443,
		"b\xc3\xbc"
		"cher.example");
	allowed(p, "www.m\xc3\xbcnchen.test", 443, ".xn--mnchen-3ya.test");
	denied(p, "bucher.example", 443, "bucher.example is not in the allowlist");
	/* a Cyrillic look-alike is another name */
	denied(p,
	       "b\xd1\x83"
	       "cher.example",
	       443, NULL);
	denied(p,
	       "\xff"
	       "cher.example",
	       443, "invalid host name: invalid UTF-8");
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_duplicates_and_order)
{
	struct pd_policy *p = POLICY("b.test", "a.test", "B.test.", "github.com", "github",
				     "10.0.0.0/8", "10.0.0.0/8", "~x", "~x");

	allowed(p, "b.test", 443, "b.test"); /* the first spelling is kept */
	allowed(p, "github.com", 443, "github.com");
	allowed(p, "api.github.com", 443, "github:api.github.com");
	display(p, "github + 10.0.0.0/8, a.test, ... (+2 more)");
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_display)
{
	struct pd_policy *p;
	char small[12];

	p = POLICY("default");
	display(p, "vertexai, claude, pypi, github");
	pd_policy_unref(p);
	p = POLICY("all");
	display(p, "unrestricted (all public hosts)");
	pd_policy_unref(p);
	p = POLICY("all", "default", "10.0.0.0/8", "x.test:8080");
	display(p, "unrestricted (all public hosts) + 10.0.0.0/8, x.test:8080");
	pd_policy_unref(p);
	p = POLICY("default", "x.test");
	display(p, "vertexai, claude, pypi, github + x.test");
	pd_policy_unref(p);
	p = POLICY("d.test", "c.test", "b.test", "a.test");
	display(p, "a.test, b.test, ... (+2 more)");
	pd_policy_unref(p);
	p = POLICY("c.test", ".b.test", "~a");
	display(p, ".b.test, c.test, ~a");
	pd_policy_unref(p);
	p = POLICY("golang", "default");
	display(p, "vertexai, claude, pypi, github, golang");
	pd_policy_unref(p);
	/* a group spelled out entry by entry is still that group */
	p = POLICY(".claude.ai", ".anthropic.com", "pypi");
	display(p, "claude, pypi");
	pd_policy_unref(p);
	p = POLICY(".claude.ai", "pypi");
	display(p, "pypi + .claude.ai");
	pd_policy_unref(p);
	/* too small: cut, NUL-terminated, ENOSPC */
	p = POLICY("default");
	errno = 0;
	EXPECT_INT(pd_policy_display(p, small, sizeof(small)), -1);
	EXPECT_INT(errno, ENOSPC);
	EXPECT_STR(small, "vertexai, c");
	EXPECT_INT(pd_policy_display(p, small, 0), -1);
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_ports_list)
{
	struct pd_policy *p =
		POLICY("a.test:8443", "10.0.0.0/8:22", "b.test:443", "c.test:8443", "d.test");
	uint16_t ports[8] = { 0 };

	EXPECT_UINT(pd_policy_ports(p, ports, 8), 4);
	EXPECT_UINT(ports[0], 22);
	EXPECT_UINT(ports[1], 80);
	EXPECT_UINT(ports[2], 443);
	EXPECT_UINT(ports[3], 8443);
	memset(ports, 0, sizeof(ports));
	EXPECT_UINT(pd_policy_ports(p, ports, 2), 4);
	EXPECT_UINT(ports[0], 22);
	EXPECT_UINT(ports[1], 80);
	EXPECT_UINT(ports[2], 0);
	EXPECT_UINT(pd_policy_ports(p, NULL, 0), 4);
	pd_policy_unref(p);
	p = POLICY("default");
	EXPECT_UINT(pd_policy_ports(p, ports, 8), 2);
	EXPECT_UINT(ports[0], 80);
	EXPECT_UINT(ports[1], 443);
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_name_allowed_any_port)
{
	struct pd_policy *p = POLICY("default", "alt.test:8443", "10.0.0.0/8");
	struct pd_policy *all = POLICY("all");

	ck_assert(pd_policy_name_allowed_any_port(p, "api.github.com"));
	ck_assert(pd_policy_name_allowed_any_port(p, "europe-west4-aiplatform.googleapis.com"));
	ck_assert(pd_policy_name_allowed_any_port(p, "alt.test"));
	ck_assert(pd_policy_name_allowed_any_port(p, "ALT.test."));
	ck_assert(!pd_policy_name_allowed_any_port(p, "evil.test"));
	ck_assert(!pd_policy_name_allowed_any_port(p, "10.0.0.1"));
	ck_assert(!pd_policy_name_allowed_any_port(p, "1.0.0.10.in-addr.arpa.x.1"));
	ck_assert(!pd_policy_name_allowed_any_port(p, ""));
	ck_assert(!pd_policy_name_allowed_any_port(p, NULL));
	ck_assert(pd_policy_name_allowed_any_port(all, "anything.example"));
	ck_assert(!pd_policy_name_allowed_any_port(all, "127.0.0.1"));
	pd_policy_unref(all);
	pd_policy_unref(p);
}
END_TEST

START_TEST(test_refcount)
{
	struct pd_policy *p = POLICY("keep.test");
	struct pd_verdict v;

	ck_assert_ptr_eq(pd_policy_ref(p), p);
	ck_assert_int_eq(pd_policy_check_name(p, "keep.test", 9, 443, &v), 0);
	pd_policy_unref(p);
	/* the second reference keeps the policy and its rule strings alive */
	EXPECT_STR(v.rule, "keep.test");
	allowed(p, "keep.test", 443, "keep.test");
	pd_policy_unref(p);
	pd_policy_unref(NULL);
	ck_assert_ptr_null(pd_policy_ref(NULL));
}
END_TEST

/* pd_pin_parse(@arg): expect @name and @addr_text, or the error @msg. */
static void pin(const char *arg, const char *name, const char *addr_text, const char *msg)
{
	struct pd_error err = { 0 };
	struct pd_pin pn;
	char txt[PD_ADDR_STRLEN] = "";
	int r = pd_pin_parse(arg, &pn, &err);

	if (msg) {
		ck_assert_msg(r == -1, "pin \"%s\": expected an error", arg);
		ck_assert_msg(!strcmp(err.msg, msg), "pin \"%s\":\nexpected: %s\n     got: %s", arg,
			      msg, err.msg);
		EXPECT_INT(err.code, EINVAL);
		return;
	}
	ck_assert_msg(r == 0, "pin \"%s\": %s", arg, err.msg);
	EXPECT_STR(pn.name, name);
	pd_addr_format(&pn.addr, txt, sizeof(txt));
	EXPECT_STR(txt, addr_text);
}

START_TEST(test_pin_parse)
{
	pin("db.test:10.0.0.5", "db.test", "10.0.0.5", NULL);
	pin("DB.Test.:[fd00::5]", "db.test", "fd00::5", NULL);
	pin("db.test:fd00::5", "db.test", "fd00::5", NULL);
	pin("localhost:127.0.0.1", "localhost", "127.0.0.1", NULL);
	pin("b\xc3\xbc"
	    "cher.test:192.0.2.1",
	    "xn--bcher-kva.test", "192.0.2.1", NULL);
	pin("db.test", NULL, NULL, "\"db.test\": expected HOST:ADDR");
	pin(":10.0.0.1", NULL, NULL, "\":10.0.0.1\": invalid host name: empty name");
	pin("a b:10.0.0.1", NULL, NULL, "\"a b:10.0.0.1\": invalid host name: contains a space");
	pin("1.2.3.4:10.0.0.1", NULL, NULL,
	    "\"1.2.3.4:10.0.0.1\": HOST must be a name, not an address");
	pin("db.test:10.0.0.300", NULL, NULL,
	    "\"db.test:10.0.0.300\": ADDR is not an IPv4 or IPv6 address (canonical form, e.g. "
	    "10.0.0.5 or [fd00::5])");
	pin("db.test:[10.0.0.1]", NULL, NULL,
	    "\"db.test:[10.0.0.1]\": ADDR is not an IPv4 or IPv6 address (canonical form, e.g. "
	    "10.0.0.5 or [fd00::5])");
	pin("db.test:127.1", NULL, NULL,
	    "\"db.test:127.1\": ADDR is not an IPv4 or IPv6 address (canonical form, e.g. "
	    "10.0.0.5 or [fd00::5])");
	pin("db.test:", NULL, NULL,
	    "\"db.test:\": ADDR is not an IPv4 or IPv6 address (canonical form, e.g. "
	    "10.0.0.5 or [fd00::5])");
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, test_default_group);
	tcase_add_test(tc, test_domain_semantics);
	tcase_add_test(tc, test_custom_replaces_default);
	tcase_add_test(tc, test_groups);
	tcase_add_test(tc, test_ports);
	tcase_add_test(tc, test_regex_anchoring);
	tcase_add_test(tc, test_idna);
	suite_add_tcase(s, tc);
	tc = tcase_create("entries");
	tcase_add_test(tc, test_bad_entries);
	tcase_add_test(tc, test_bad_entry_null);
	tcase_add_test(tc, test_duplicates_and_order);
	tcase_add_test(tc, test_display);
	tcase_add_test(tc, test_ports_list);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_pin_parse);
	suite_add_tcase(s, tc);
	tc = tcase_create("addresses");
	tcase_add_test(tc, test_literals_never_match_names);
	tcase_add_test(tc, test_cidr);
	tcase_add_test(tc, test_check_addr);
	tcase_add_test(tc, test_name_allowed_any_port);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(policy_suite);
