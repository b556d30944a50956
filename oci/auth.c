/* SPDX-License-Identifier: MIT */
/*
 * auth.c - registry authentication pieces that do not talk HTTP (auth.h):
 *
 *  - WWW-Authenticate: a bounded, strict RFC 9110 challenge parser.  What it
 *    accepts is exactly the grammar; anything else is refused with a reason
 *    (the registry client then reports the header as unusable).
 *  - bearer tokens: the token server's JSON answer, and a small cache keyed
 *    by registry and scope, valid until expires_in (60 s when absent).
 *  - credentials: podman's auth files in podman's order, docker's config.json
 *    ("auths" with base64 "auth" or "identitytoken", "credHelpers",
 *    "credsStore"), and docker-credential-* helpers run with posix_spawn (no
 *    shell, bounded output, a timeout).
 *  - login/logout: the containers auth file, rewritten atomically (0600).
 *
 * Secrets are wiped (explicit_bzero) before their memory is freed.
 */
#include "auth.h"

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ====================== WWW-Authenticate ====================== */

/* Parameters one challenge may carry (kept or not); more is refused. */
#define MAX_PARAMS 32

static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_t68char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("-._~+/", c));
}

static size_t skip_ows(const char *s, size_t len, size_t p)
{
	while (p < len && (s[p] == ' ' || s[p] == '\t'))
		p++;
	return p;
}

static size_t span_token(const char *s, size_t len, size_t p)
{
	while (p < len && is_tchar((unsigned char)s[p]))
		p++;
	return p;
}

/* Is [p, ...) a token68 that ends the element (end of input or a comma)?  Its end in *end. */
static bool token68_at(const char *s, size_t len, size_t p, size_t *end)
{
	size_t q = p;

	while (q < len && is_t68char((unsigned char)s[q]))
		q++;
	if (q == p)
		return false;
	while (q < len && s[q] == '=')
		q++;
	*end = q;
	q = skip_ows(s, len, q);
	return q == len || s[q] == ',';
}

/* Copy @n bytes into @dst (@cap with the NUL); false when they do not fit. */
static bool put_field(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

/*
 * A parameter value at @p: a quoted-string (unquoted into @val) or a token.
 * Return: the position after it, or 0 with *reason set (a value never starts at 0).
 */
static size_t parse_value(const char *s, size_t len, size_t p, char *val, size_t *vlen,
			  const char **reason)
{
	size_t q, w = 0;

	if (p < len && s[p] == '"') {
		for (q = p + 1; q < len; q++) {
			unsigned char c = (unsigned char)s[q];

			if (c == '"') {
				*vlen = w;
				return q + 1;
			}
			if (c == '\\') {
				if (++q == len)
					break;
				c = (unsigned char)s[q];
				if (c != '\t' && (c < 0x20 || c == 0x7f)) {
					*reason = "control byte escaped in a quoted string";
					return 0;
				}
			} else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
				*reason = "control byte in a quoted string";
				return 0;
			}
			val[w++] = (char)c;
		}
		*reason = "unterminated quoted string";
		return 0;
	}
	q = span_token(s, len, p);
	if (q == p) {
		*reason = "parameter without a value";
		return 0;
	}
	memcpy(val, s + p, q - p);
	*vlen = q - p;
	return q;
}

static enum pd_auth_scheme scheme_of(const char *name)
{
	if (!strcasecmp(name, "Basic"))
		return PD_AUTH_BASIC;
	if (!strcasecmp(name, "Bearer"))
		return PD_AUTH_BEARER;
	return PD_AUTH_OTHER;
}

/* Keep a parameter's value when it is one of the four we use. */
static bool keep_param(struct pd_auth_challenge *c, const char *name, size_t nlen, const char *val,
		       size_t vlen)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} kept[] = {
		{ "realm", offsetof(struct pd_auth_challenge, realm), sizeof(c->realm) },
		{ "service", offsetof(struct pd_auth_challenge, service), sizeof(c->service) },
		{ "scope", offsetof(struct pd_auth_challenge, scope), sizeof(c->scope) },
		{ "error", offsetof(struct pd_auth_challenge, error), sizeof(c->error) },
	};

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (strlen(kept[i].name) == nlen && !strncasecmp(kept[i].name, name, nlen))
			return put_field((char *)c + kept[i].off, kept[i].cap, val, vlen);
	return true;
}

int pd_www_auth_parse(const char *hdr, size_t len, struct pd_auth_challenge *out, size_t cap,
		      const char **reason)
{
	/* Names of the current challenge's parameters, for the duplicate check. */
	size_t name_at[MAX_PARAMS] = { 0 }, name_len[MAX_PARAMS] = { 0 };
	cleanup_free char *val = NULL;
	struct pd_auth_challenge *cur = NULL;
	bool want_param = false; /* right after "scheme SP": a parameter must follow */
	size_t n = 0, p = 0;

	*reason = NULL;
	if (len == 0) {
		*reason = "empty header";
		return -1;
	}
	if (len > PD_WWW_AUTH_MAX) {
		*reason = "header too long";
		return -1;
	}
	val = pd_xmalloc(len + 1);
	for (;;) {
		size_t t, tend, q, vlen = 0;

		p = skip_ows(hdr, len, p);
		if (p == len)
			break;
		if (hdr[p] == ',') { /* an empty list element, or the end of one */
			p++;
			want_param = false;
			continue;
		}
		t = p;
		tend = span_token(hdr, len, p);
		if (tend == t) {
			*reason = "byte outside a token";
			return -1;
		}
		q = skip_ows(hdr, len, tend);
		if (q < len && hdr[q] == '=') {
			/* auth-param = token BWS "=" BWS ( token / quoted-string ) */
			if (!cur) {
				*reason = "parameter before any scheme";
				return -1;
			}
			if (cur->token68) {
				*reason = "parameter after a token68";
				return -1;
			}
			for (unsigned i = 0; i < cur->n_params && i < MAX_PARAMS; i++)
				if (name_len[i] == tend - t &&
				    !strncasecmp(hdr + name_at[i], hdr + t, tend - t)) {
					*reason = "parameter repeated in one challenge";
					return -1;
				}
			if (cur->n_params == MAX_PARAMS) {
				*reason = "too many parameters";
				return -1;
			}
			name_at[cur->n_params] = t;
			name_len[cur->n_params] = tend - t;
			cur->n_params++;
			p = parse_value(hdr, len, skip_ows(hdr, len, q + 1), val, &vlen, reason);
			if (!p)
				return -1;
			if (!keep_param(cur, hdr + t, tend - t, val, vlen)) {
				*reason = "parameter value too long";
				return -1;
			}
			p = skip_ows(hdr, len, p);
			if (p < len && hdr[p] != ',') {
				*reason = "expected ',' after a parameter";
				return -1;
			}
			want_param = false;
			continue;
		}
		if (want_param) {
			*reason = "expected a parameter or token68 after the scheme";
			return -1;
		}
		/* A new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ] */
		if (n == cap) {
			*reason = "too many challenges";
			return -1;
		}
		cur = &out[n++];
		memset(cur, 0, sizeof(*cur));
		if (!put_field(cur->scheme_name, sizeof(cur->scheme_name), hdr + t, tend - t)) {
			*reason = "scheme name too long";
			return -1;
		}
		cur->scheme = scheme_of(cur->scheme_name);
		if (q == len || hdr[q] == ',') {
			p = q;
			continue;
		}
		if (q == tend || hdr[tend] != ' ') {
			*reason = "expected a space after the scheme";
			return -1;
		}
		if (token68_at(hdr, len, q, &p)) {
			cur->token68 = true;
			continue;
		}
		p = q;
		want_param = true;
	}
	if (n == 0) {
		*reason = "no challenge";
		return -1;
	}
	return (int)n;
}

/* ====================== tokens ====================== */

static bool token_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PD_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static void cjson_deletep(cJSON **j)
{
	if (*j)
		cJSON_Delete(*j);
}
#define cleanup_cjson __attribute__((cleanup(cjson_deletep)))

static const char *json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && v->valuestring && v->valuestring[0] ? v->valuestring : NULL;
}

int pd_auth_parse_token(const char *body, size_t len, char **token, int64_t *expires_in,
			char **refresh_token, struct pd_error *err)
{
	cleanup_cjson cJSON *j = cJSON_ParseWithLength(body, len);
	const char *tok, *refresh;
	const cJSON *exp;

	if (!j || !cJSON_IsObject(j))
		return pd_error_set_msg(err, EPROTO, "token server answer is not a JSON object");
	tok = json_str(j, "token");
	if (!tok)
		tok = json_str(j, "access_token");
	if (!tok)
		return pd_error_set_msg(err, EPROTO,
					"token server answer has no \"token\" or \"access_token\"");
	if (!token_ok(tok))
		return pd_error_set_msg(err, EPROTO,
					"token server answer: the token is empty, too long or "
					"holds bytes a header cannot carry");
	refresh = json_str(j, "refresh_token");
	if (refresh && !token_ok(refresh))
		return pd_error_set_msg(err, EPROTO,
					"token server answer: unusable \"refresh_token\"");
	*expires_in = PD_TOKEN_MIN_LIFETIME;
	exp = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
	if (cJSON_IsNumber(exp) && exp->valuedouble > PD_TOKEN_MIN_LIFETIME)
		*expires_in = exp->valuedouble > 86400.0 ? 86400 : (int64_t)exp->valuedouble;
	*token = pd_xstrdup(tok);
	if (refresh_token)
		*refresh_token = refresh ? pd_xstrdup(refresh) : NULL;
	return 0;
}

#define CACHE_SLOTS 64

struct token_slot {
	char *key;
	char *token;
	int64_t usable_until; /* ms, CLOCK_MONOTONIC */
};

struct pd_token_cache {
	struct token_slot slot[CACHE_SLOTS];
};

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void slot_clear(struct token_slot *s)
{
	free(s->key);
	wipe_free(s->token);
	memset(s, 0, sizeof(*s));
}

struct pd_token_cache *pd_token_cache_new(void)
{
	return pd_xcalloc(1, sizeof(struct pd_token_cache));
}

void pd_token_cache_free(struct pd_token_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		slot_clear(&c->slot[i]);
	free(c);
}

static struct token_slot *slot_find(struct pd_token_cache *c, const char *key)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (c->slot[i].key && !strcmp(c->slot[i].key, key))
			return &c->slot[i];
	return NULL;
}

const char *pd_token_cache_get(struct pd_token_cache *c, const char *key, int64_t now_ms)
{
	struct token_slot *s = slot_find(c, key);

	if (!s)
		return NULL;
	if (now_ms >= s->usable_until) {
		slot_clear(s);
		return NULL;
	}
	return s->token;
}

void pd_token_cache_put(struct pd_token_cache *c, const char *key, const char *token,
			int64_t expires_in, int64_t now_ms)
{
	struct token_slot *s = slot_find(c, key);
	int64_t life = (expires_in > 0 ? expires_in : PD_TOKEN_MIN_LIFETIME) * 1000;
	int64_t margin = life / 2 < 10000 ? life / 2 : 10000;

	if (!s) {
		for (size_t i = 0; i < CACHE_SLOTS && !s; i++)
			if (!c->slot[i].key)
				s = &c->slot[i];
	}
	if (!s) {
		s = &c->slot[0];
		for (size_t i = 1; i < CACHE_SLOTS; i++)
			if (c->slot[i].usable_until < s->usable_until)
				s = &c->slot[i];
	}
	slot_clear(s);
	s->key = pd_xstrdup(key);
	s->token = pd_xstrdup(token);
	s->usable_until = now_ms + life - margin;
}

void pd_token_cache_drop(struct pd_token_cache *c, const char *key)
{
	struct token_slot *s = slot_find(c, key);

	if (s)
		slot_clear(s);
}

/* ====================== base64 ====================== */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *pd_base64_encode(const void *data, size_t len)
{
	const unsigned char *s = data;
	char *out = pd_xmalloc((len + 2) / 3 * 4 + 1);
	size_t w = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];

		out[w++] = b64[v >> 18];
		out[w++] = b64[(v >> 12) & 63];
		out[w++] = b64[(v >> 6) & 63];
		out[w++] = b64[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0);

		out[w++] = b64[v >> 18];
		out[w++] = b64[(v >> 12) & 63];
		out[w++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[w++] = '=';
	}
	out[w] = '\0';
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

char *pd_base64_decode(const char *s, size_t len, size_t *out_len)
{
	cleanup_free char *out = NULL;
	size_t w = 0;

	if (len % 4)
		return NULL;
	out = pd_xmalloc(len / 4 * 3 + 1);
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		bool last = i + 4 == len;

		for (int k = 0; k < 4; k++)
			v[k] = b64_val(s[i + (size_t)k]);
		if (v[0] < 0 || v[1] < 0)
			return NULL;
		if (v[2] < 0 && !(last && s[i + 2] == '=' && s[i + 3] == '=' && !(v[1] & 15)))
			return NULL;
		if (v[2] >= 0 && v[3] < 0 && !(last && s[i + 3] == '=' && !(v[2] & 3)))
			return NULL;
		out[w++] = (char)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			out[w++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (v[2] >= 0 && v[3] >= 0)
			out[w++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	out[w] = '\0';
	*out_len = w;
	return steal_ptr(&out);
}

/* ====================== credentials ====================== */

void pd_auth_creds_release(struct pd_auth_creds *c)
{
	wipe_free(c->username);
	wipe_free(c->password);
	wipe_free(c->identity_token);
	memset(c, 0, sizeof(*c));
}

/* $HOME, else the password database's; NULL when neither is known. */
static const char *home_dir(char *buf, size_t cap)
{
	const char *h = getenv("HOME");
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (h && *h)
		return h;
	if (getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &res) || !res || !res->pw_dir)
		return NULL;
	pd_strlcpy(buf, res->pw_dir, cap);
	return buf;
}

/* $XDG_CONFIG_HOME, else ~/.config (NULL when there is no home either). */
static char *config_home(void)
{
	const char *x = getenv("XDG_CONFIG_HOME");
	char buf[4096];
	const char *h;

	if (x && *x == '/')
		return pd_xstrdup(x);
	h = home_dir(buf, sizeof(buf));
	return h ? pd_xasprintf("%s/.config", h) : NULL;
}

char **pd_auth_file_paths(const char *auth_file)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *rt = getenv("XDG_RUNTIME_DIR");
	const char *dc = getenv("DOCKER_CONFIG");
	cleanup_free char *cfg = NULL;
	char **v = pd_xcalloc(1, sizeof(char *));
	char buf[4096];
	const char *h;

	if (auth_file && *auth_file) {
		pd_strv_push(&v, auth_file);
		return v;
	}
	if (env && *env) {
		pd_strv_push(&v, env);
		return v;
	}
	if (rt && *rt)
		pd_strv_push_take(&v, pd_xasprintf("%s/containers/auth.json", rt));
	else
		pd_strv_push_take(&v, pd_xasprintf("/run/containers/%u/auth.json", getuid()));
	cfg = config_home();
	if (cfg)
		pd_strv_push_take(&v, pd_xasprintf("%s/containers/auth.json", cfg));
	h = home_dir(buf, sizeof(buf));
	if (dc && *dc)
		pd_strv_push_take(&v, pd_xasprintf("%s/config.json", dc));
	else if (h)
		pd_strv_push_take(&v, pd_xasprintf("%s/.docker/config.json", h));
	return v;
}

/* "index.docker.io" and "registry-1.docker.io" are "docker.io". */
static const char *docker_io(const char *host, size_t n)
{
	if ((n == 15 && !strncasecmp(host, "index.docker.io", n)) ||
	    (n == 20 && !strncasecmp(host, "registry-1.docker.io", n)))
		return "docker.io";
	return NULL;
}

/*
 * An auth file key as podman reads it: "https://host/v1/" (docker's legacy
 * form) is "host"; docker.io's aliases are "docker.io"; a trailing '/' goes.
 */
static char *normalize_key(const char *key)
{
	const char *k = key, *d;
	size_t n, h;

	if (!strncasecmp(k, "https://", 8) || !strncasecmp(k, "http://", 7)) {
		k = strchr(k, ':') + 3;
		n = strcspn(k, "/");
	} else {
		n = strlen(k);
		while (n > 0 && k[n - 1] == '/')
			n--;
	}
	h = strcspn(k, "/");
	if (h > n)
		h = n;
	d = docker_io(k, h);
	return d ? pd_xasprintf("%s%.*s", d, (int)(n - h), k + h) : pd_xstrndup(k, n);
}

/* How much of registry/repo @key names: its length, or -1 when it is another's. */
static long key_match(const char *key, const char *registry, const char *repo)
{
	size_t rl = strlen(registry), kl = strlen(key);
	const char *rest;

	if (strncmp(key, registry, rl) != 0)
		return -1;
	if (kl == rl)
		return (long)kl;
	if (key[rl] != '/' || !repo)
		return -1;
	rest = key + rl + 1;
	kl = strlen(rest);
	if (kl == 0 || strncmp(repo, rest, kl) != 0 || (repo[kl] != '\0' && repo[kl] != '/'))
		return -1;
	return (long)(rl + 1 + kl);
}

/* The "server" a helper is asked about; docker keeps docker.io under its legacy URL. */
static int helper_lookup(const char *helper, const char *registry, const char *file,
			 struct pd_auth_creds *out, struct pd_error *err)
{
	int r = pd_cred_helper_get(helper, registry, PD_CRED_HELPER_TIMEOUT_MS, out, err);

	if (r == 0 && !strcmp(registry, "docker.io"))
		r = pd_cred_helper_get(helper, "https://index.docker.io/v1/",
				       PD_CRED_HELPER_TIMEOUT_MS, out, err);
	if (r < 0)
		return pd_error_wrap(err, "credentials for %s (from %s)", registry, file);
	if (r > 0)
		snprintf(out->from, sizeof(out->from), "docker-credential-%s (%s)", helper, file);
	return r;
}

/* An "auths" entry: 1 with @out filled, 0 when it holds no credentials. */
static int auths_entry(const cJSON *e, const char *key, const char *file, struct pd_auth_creds *out,
		       struct pd_error *err)
{
	const char *auth = json_str(e, "auth");
	const char *idt = json_str(e, "identitytoken");
	cleanup_free char *dec = NULL;
	size_t n = 0;
	char *colon;

	if (idt) {
		out->identity_token = pd_xstrdup(idt);
		snprintf(out->from, sizeof(out->from), "%s", file);
		return 1;
	}
	if (!auth)
		return 0;
	dec = pd_base64_decode(auth, strlen(auth), &n);
	colon = dec && memchr(dec, '\0', n) == NULL ? strchr(dec, ':') : NULL;
	if (!colon || colon == dec) {
		if (dec)
			explicit_bzero(dec, n);
		return pd_error_set_msg(err, EINVAL,
					"auth file \"%s\": \"auths\".\"%s\".\"auth\" is not "
					"base64 of user:password",
					file, key);
	}
	out->username = pd_xstrndup(dec, (size_t)(colon - dec));
	out->password = pd_xstrdup(colon + 1);
	explicit_bzero(dec, n);
	snprintf(out->from, sizeof(out->from), "%s", file);
	return 1;
}

/* Read and parse one auth file; 0 with *j NULL when it does not exist. */
static int read_auth_file(const char *path, cJSON **j, struct pd_error *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	struct pd_error e;

	*j = NULL;
	if (pd_read_file_at(AT_FDCWD, path, 0, 1u << 20, &text, &len, &e) < 0) {
		if (e.code == ENOENT || e.code == ENOTDIR)
			return 0;
		*err = e;
		return -1;
	}
	*j = cJSON_ParseWithLength(text, len);
	explicit_bzero(text, len);
	if (!*j || !cJSON_IsObject(*j)) {
		cjson_deletep(j);
		*j = NULL;
		return pd_error_set_msg(err, EINVAL, "auth file \"%s\" is not a JSON object", path);
	}
	return 0;
}

static int lookup_file(const char *path, const char *registry, const char *repo,
		       struct pd_auth_creds *out, struct pd_error *err)
{
	cleanup_cjson cJSON *j = NULL;
	const cJSON *helpers, *auths, *e, *best = NULL;
	const char *store, *best_key = NULL;
	long best_len = -1;
	int r;

	if (read_auth_file(path, &j, err) < 0)
		return -1;
	if (!j)
		return 0;
	helpers = cJSON_GetObjectItemCaseSensitive(j, "credHelpers");
	if (cJSON_IsObject(helpers)) {
		const char *h = json_str(helpers, registry);

		if (h)
			return helper_lookup(h, registry, path, out, err);
	}
	auths = cJSON_GetObjectItemCaseSensitive(j, "auths");
	if (cJSON_IsObject(auths)) {
		cJSON_ArrayForEach (e, auths) {
			cleanup_free char *k = NULL;
			long m;

			if (!e->string || !cJSON_IsObject(e))
				continue;
			k = normalize_key(e->string);
			m = key_match(k, registry, repo);
			if (m > best_len) {
				best_len = m;
				best = e;
				best_key = e->string;
			}
		}
	}
	if (best) {
		r = auths_entry(best, best_key, path, out, err);
		if (r != 0)
			return r;
	}
	store = json_str(j, "credsStore");
	if (store)
		return helper_lookup(store, registry, path, out, err);
	return 0;
}

int pd_auth_lookup(const char *registry, const char *repo, const char *auth_file,
		   struct pd_auth_creds *out, struct pd_error *err)
{
	cleanup_strv char **paths = pd_auth_file_paths(auth_file);
	cleanup_free char *reg = normalize_key(registry);

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; paths[i]; i++) {
		int r = lookup_file(paths[i], reg, repo, out, err);

		if (r != 0) {
			if (r < 0)
				pd_auth_creds_release(out);
			return r;
		}
	}
	return 0;
}

/* ---- credential helpers ---- */

static bool helper_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first line of @s, printable ASCII only, for a message. */
static void first_line(const char *s, size_t n, char *out, size_t cap)
{
	size_t w = 0;

	for (size_t i = 0; i < n && s[i] != '\n' && w + 1 < cap; i++)
		out[w++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[w] = '\0';
}

#define HELPER_OUT_MAX (64 * 1024)

/* Read the helper's stdout until EOF, @deadline or too much: 0, or -1 with errno. */
static int read_helper(int fd, char *buf, size_t *n, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t r;
		int pr;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pr = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -1;
		if (pr == 0)
			continue;
		if (*n == HELPER_OUT_MAX) {
			errno = EFBIG;
			return -1;
		}
		r = read(fd, buf + *n, HELPER_OUT_MAX - *n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		*n += (size_t)r;
	}
}

/* posix_spawn's file actions, released at scope end. */
static void fa_destroyp(posix_spawn_file_actions_t **fa)
{
	if (*fa)
		posix_spawn_file_actions_destroy(*fa);
}

/* Start the helper: its stdin reads @in_r, its stdout writes @out_w.  0 or an errno. */
static int spawn_helper(const char *prog, int in_r, int out_w, pid_t *pid)
{
	posix_spawn_file_actions_t fa_store;
	__attribute__((cleanup(fa_destroyp))) posix_spawn_file_actions_t *fa = NULL;
	char *argv[] = { (char *)prog, (char *)"get", NULL };
	int r;

	if ((r = posix_spawn_file_actions_init(&fa_store)))
		return r;
	fa = &fa_store;
	if ((r = posix_spawn_file_actions_adddup2(fa, in_r, STDIN_FILENO)) ||
	    (r = posix_spawn_file_actions_adddup2(fa, out_w, STDOUT_FILENO)) ||
	    (r = posix_spawn_file_actions_addopen(fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0)) ||
	    (r = posix_spawn_file_actions_addclosefrom_np(fa, STDERR_FILENO + 1)))
		return r;
	return posix_spawnp(pid, prog, fa, NULL, argv, environ);
}

int pd_cred_helper_get(const char *helper, const char *server, int timeout_ms,
		       struct pd_auth_creds *out, struct pd_error *err)
{
	cleanup_close int in_r = -1, in_w = -1, out_r = -1, out_w = -1;
	cleanup_free char *buf = NULL;
	cleanup_cjson cJSON *j = NULL;
	char prog[96], line[200];
	int pfd[2], r, status = 0, rd_errno = 0;
	const char *user, *secret;
	size_t n = 0;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (!helper_name_ok(helper))
		return pd_error_set_msg(err, EINVAL, "credential helper name \"%s\" is not valid",
					helper);
	snprintf(prog, sizeof(prog), "docker-credential-%s", helper);
	if (strlen(server) >= 4096 || strchr(server, '\n'))
		return pd_error_set_msg(err, EINVAL, "%s: server name not valid", prog);
	/* The question fits a pipe buffer: written before the helper starts, so a
	 * helper that exits without reading cannot raise SIGPIPE in paude. */
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return pd_error_set(err, errno, "%s: pipe", prog);
	in_r = pfd[0];
	in_w = pfd[1];
	if (pd_write_all(in_w, server, strlen(server)) < 0)
		return pd_error_set(err, errno, "%s: write its input", prog);
	pd_close(steal_fd(&in_w));
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return pd_error_set(err, errno, "%s: pipe", prog);
	out_r = pfd[0];
	out_w = pfd[1];
	r = spawn_helper(prog, in_r, out_w, &pid);
	if (r)
		return pd_error_set(err, r, "run %s", prog);
	pd_close(steal_fd(&out_w));
	pd_close(steal_fd(&in_r));
	buf = pd_xmalloc(HELPER_OUT_MAX + 1);
	if (read_helper(out_r, buf, &n, now_ms() + (timeout_ms > 0 ? timeout_ms : 1)) < 0) {
		rd_errno = errno;
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[n] = '\0';
	if (rd_errno == ETIMEDOUT)
		r = pd_error_set_msg(err, ETIMEDOUT, "%s: no answer in %d ms (killed)", prog,
				     timeout_ms);
	else if (rd_errno == EFBIG)
		r = pd_error_set_msg(err, EFBIG, "%s: more than %d bytes of output (killed)", prog,
				     HELPER_OUT_MAX);
	else if (rd_errno)
		r = pd_error_set(err, rd_errno, "%s: read its output", prog);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (strstr(buf, "credentials not found"))
			r = 0;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && n == 0)
			/* posix_spawn reports a failed exec this way where it cannot
			 * share the child's memory (under valgrind, for one) */
			r = pd_error_set_msg(err, ENOENT, "run %s: not found on $PATH", prog);
		else {
			first_line(buf, n, line, sizeof(line));
			if (WIFEXITED(status))
				r = pd_error_set_msg(err, EIO, "%s get: exit status %d%s%s", prog,
						     WEXITSTATUS(status), line[0] ? ": " : "",
						     line);
			else
				r = pd_error_set_msg(err, EIO, "%s get: killed by signal %d", prog,
						     WTERMSIG(status));
		}
	} else {
		j = cJSON_ParseWithLength(buf, n);
		user = json_str(j, "Username");
		secret = json_str(j, "Secret");
		if (!cJSON_IsObject(j) || !secret) {
			r = pd_error_set_msg(err, EPROTO,
					     "%s get: output is not JSON with a \"Secret\"", prog);
		} else if (user && !strcmp(user, "<token>")) {
			out->identity_token = pd_xstrdup(secret);
			r = 1;
		} else if (!user || strchr(user, ':')) {
			r = pd_error_set_msg(err, EPROTO, "%s get: no usable \"Username\"", prog);
		} else {
			out->username = pd_xstrdup(user);
			out->password = pd_xstrdup(secret);
			r = 1;
		}
	}
	explicit_bzero(buf, n);
	if (r > 0)
		snprintf(out->from, sizeof(out->from), "%s", prog);
	return r;
}

/* ---- login / logout ---- */

char *pd_auth_login_path(const char *auth_file)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	const char *rt = getenv("XDG_RUNTIME_DIR");
	cleanup_free char *cfg = NULL;

	if (auth_file && *auth_file)
		return pd_xstrdup(auth_file);
	if (env && *env)
		return pd_xstrdup(env);
	if (rt && *rt)
		return pd_xasprintf("%s/containers/auth.json", rt);
	cfg = config_home();
	return cfg ? pd_xasprintf("%s/containers/auth.json", cfg) : NULL;
}

/* mkdir -p the parent directories of @path (0700 for those made). */
static int make_parents(const char *path, struct pd_error *err)
{
	cleanup_free char *p = pd_xstrdup(path);

	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return pd_error_set(err, errno, "make directory \"%s\"", p);
		*s = '/';
	}
	return 0;
}

/* Write @j to @path atomically with mode 0600. */
static int write_auth_file(const char *path, const cJSON *j, struct pd_error *err)
{
	cleanup_free char *tmp = pd_xasprintf("%s.tmpXXXXXX", path);
	char *text;
	size_t n;
	int fd, r = 0;

	if (make_parents(path, err) < 0)
		return -1;
	text = cJSON_Print(j);
	if (!text)
		return pd_error_set(err, ENOMEM, "format auth file \"%s\"", path);
	n = strlen(text);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = pd_error_set(err, errno, "create a temporary file for \"%s\"", path);
	} else {
		if (fchmod(fd, 0600) < 0 || pd_write_all(fd, text, n) < 0 ||
		    pd_write_all(fd, "\n", 1) < 0 || fsync(fd) < 0)
			r = pd_error_set(err, errno, "write \"%s\"", tmp);
		pd_close(fd);
		if (r == 0 && rename(tmp, path) < 0)
			r = pd_error_set(err, errno, "rename \"%s\" to \"%s\"", tmp, path);
		if (r < 0)
			unlink(tmp);
	}
	explicit_bzero(text, n);
	cJSON_free(text);
	return r;
}

/* The auth file's JSON (a new object when there is none yet). */
static cJSON *load_for_update(const char *path, struct pd_error *err)
{
	cJSON *j;

	if (read_auth_file(path, &j, err) < 0)
		return NULL;
	return j ? j : cJSON_CreateObject();
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int pd_auth_login(const char *registry, const char *user, const char *password,
		  const char *auth_file, struct pd_error *err)
{
	cleanup_free char *path = pd_auth_login_path(auth_file);
	cleanup_free char *key = normalize_key(registry);
	cleanup_cjson cJSON *j = NULL;
	cleanup_free char *pair = NULL, *enc = NULL;
	cJSON *auths, *entry;
	int r;

	if (!path)
		return pd_error_set_msg(err, ENOENT, "login: no home directory for the auth file");
	if (!*key || !printable(key) || strchr(key, ' '))
		return pd_error_set_msg(err, EINVAL, "login: registry \"%s\" is not valid",
					registry);
	if (!*user || strchr(user, ':') || !printable(user))
		return pd_error_set_msg(err, EINVAL,
					"login: user name must be non-empty, printable and "
					"without ':'");
	if (!printable(password))
		return pd_error_set_msg(err, EINVAL, "login: the password has control bytes");
	j = load_for_update(path, err);
	if (!j)
		return pd_error_wrap(err, "login to %s", key);
	auths = cJSON_GetObjectItemCaseSensitive(j, "auths");
	if (!auths) {
		auths = cJSON_AddObjectToObject(j, "auths");
	} else if (!cJSON_IsObject(auths)) {
		return pd_error_set_msg(err, EINVAL,
					"login to %s: \"auths\" in \"%s\" is not an object", key,
					path);
	}
	pair = pd_xasprintf("%s:%s", user, password);
	enc = pd_base64_encode(pair, strlen(pair));
	explicit_bzero(pair, strlen(pair));
	entry = cJSON_CreateObject();
	cJSON_AddStringToObject(entry, "auth", enc);
	explicit_bzero(enc, strlen(enc));
	if (cJSON_GetObjectItemCaseSensitive(auths, key))
		cJSON_ReplaceItemInObjectCaseSensitive(auths, key, entry);
	else
		cJSON_AddItemToObject(auths, key, entry);
	r = write_auth_file(path, j, err);
	return r < 0 ? pd_error_wrap(err, "login to %s", key) : 0;
}

int pd_auth_logout(const char *registry, const char *auth_file, struct pd_error *err)
{
	cleanup_free char *path = pd_auth_login_path(auth_file);
	cleanup_free char *key = registry ? normalize_key(registry) : NULL;
	cleanup_cjson cJSON *j = NULL;
	cJSON *auths;
	int removed = 0;

	if (!path)
		return pd_error_set_msg(err, ENOENT, "logout: no home directory for the auth file");
	if (read_auth_file(path, &j, err) < 0)
		return pd_error_wrap(err, "logout");
	if (!j)
		return 0;
	auths = cJSON_GetObjectItemCaseSensitive(j, "auths");
	if (!cJSON_IsObject(auths))
		return 0;
	if (key) {
		/* every entry that names it, in whichever spelling */
		for (cJSON *e = auths->child, *next; e; e = next) {
			cleanup_free char *k = e->string ? normalize_key(e->string) : NULL;

			next = e->next;
			if (k && !strcmp(k, key)) {
				cJSON_Delete(cJSON_DetachItemViaPointer(auths, e));
				removed++;
			}
		}
	} else {
		removed = cJSON_GetArraySize(auths);
		cJSON_DeleteItemFromObjectCaseSensitive(j, "auths");
		cJSON_AddObjectToObject(j, "auths");
	}
	if (removed && write_auth_file(path, j, err) < 0)
		return pd_error_wrap(err, "logout");
	return removed;
}
