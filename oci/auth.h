/* SPDX-License-Identifier: MIT */
/*
 * auth.h - registry authentication: WWW-Authenticate challenges, bearer
 * tokens, credentials from auth files and credential helpers, and
 * login/logout.
 *
 * Used by oci/registry.c; nothing here talks HTTP.  Secrets live only in
 * heap strings that pd_auth_creds_release() wipes.
 */
#ifndef PAUDE_OCI_AUTH_H
#define PAUDE_OCI_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* ---- WWW-Authenticate (RFC 7235 section 4.1, RFC 9110 section 11.6.1) ---- */

/* Longest header pd_www_auth_parse() reads; longer ones are refused. */
#define PD_WWW_AUTH_MAX 8192

enum pd_auth_scheme {
	PD_AUTH_OTHER,  /* a scheme paude does not speak (Negotiate, Digest, ...) */
	PD_AUTH_BASIC,  /* RFC 7617 */
	PD_AUTH_BEARER, /* the distribution token protocol */
};

/*
 * struct pd_auth_challenge - one challenge of a WWW-Authenticate header.
 * Parameter names are matched case-insensitively; values are unquoted (with
 * escapes undone).  Parameters other than the four below are checked for
 * syntax and dropped.  A field that was not sent is "".
 */
struct pd_auth_challenge {
	enum pd_auth_scheme scheme;
	char scheme_name[32]; /* as sent, e.g. "Bearer" */
	char realm[1024];
	char service[256];
	char scope[1024];
	char error[64];    /* Bearer: "invalid_token", "insufficient_scope" */
	bool token68;      /* the challenge carried a token68 instead of parameters */
	unsigned n_params; /* parameters seen, kept or not */
};

/*
 * pd_www_auth_parse() - parse the value of WWW-Authenticate header(s).
 * @hdr: the field value (several header lines joined with ", " are one list)
 * @len: its length in bytes (NUL is refused like any control byte)
 * @out: array of @cap challenges to fill, in order
 * @cap: how many fit; more challenges than that is an error
 * @reason: on failure, a static text naming what was wrong
 *
 * The grammar is RFC 9110's: challenge = auth-scheme [ 1*SP ( token68 /
 * #auth-param ) ], auth-param = token BWS "=" BWS ( token / quoted-string ),
 * challenges separated by commas, empty list elements ignored.  Refused: an
 * empty header, bytes outside the grammar (controls, DEL, non-token bytes
 * outside quotes), an unterminated quoted string or escape, a parameter
 * without a value, a parameter twice in one challenge, a token68 followed by
 * anything but the next challenge, a kept value that does not fit its field,
 * a header over PD_WWW_AUTH_MAX bytes, and more than @cap challenges.
 *
 * Return: the number of challenges (>= 1), or -1 with *@reason set.
 */
int pd_www_auth_parse(const char *hdr, size_t len, struct pd_auth_challenge *out, size_t cap,
		      const char **reason);

/* ---- bearer tokens ---- */

/* Lifetime of a token whose response has no (or a shorter) expires_in, as docker. */
#define PD_TOKEN_MIN_LIFETIME 60
/* Longest token accepted from a token server. */
#define PD_TOKEN_MAX (64 * 1024)

/*
 * pd_auth_parse_token() - read a token server's JSON answer.
 * @body, @len: the response body
 * @token: gets a heap copy of "token", else "access_token"
 * @expires_in: gets "expires_in" in seconds, at least PD_TOKEN_MIN_LIFETIME
 * @refresh_token: when non-NULL, gets a heap copy of "refresh_token" or NULL
 *
 * A token must be 1..PD_TOKEN_MAX visible ASCII bytes (it goes into a header
 * line, so CR, LF and spaces are refused).
 * Return: 0, or -1 with @err set.
 */
int pd_auth_parse_token(const char *body, size_t len, char **token, int64_t *expires_in,
			char **refresh_token, struct pd_error *err);

struct pd_token_cache;

/* pd_token_cache_new() - an empty cache of at most 64 tokens. */
struct pd_token_cache *pd_token_cache_new(void);
/* pd_token_cache_free() - wipe and free every token; NULL is fine. */
void pd_token_cache_free(struct pd_token_cache *c);

/*
 * pd_token_cache_get() - the token stored under @key that is still valid at
 * @now_ms (CLOCK_MONOTONIC milliseconds), or NULL.  A token counts as expired
 * 10 seconds early (or at half its lifetime when that is shorter), so it does
 * not run out in flight.  The pointer is valid until the next put or drop.
 */
const char *pd_token_cache_get(struct pd_token_cache *c, const char *key, int64_t now_ms);

/*
 * pd_token_cache_put() - store a copy of @token under @key (the registry and
 * the scope, e.g. "quay.io repository:a/b:pull"), obtained at @now_ms and
 * valid @expires_in seconds.  Replaces an entry with the same key; when the
 * cache is full the entry that expires first goes.
 */
void pd_token_cache_put(struct pd_token_cache *c, const char *key, const char *token,
			int64_t expires_in, int64_t now_ms);

/* pd_token_cache_drop() - forget @key's token (the registry refused it). */
void pd_token_cache_drop(struct pd_token_cache *c, const char *key);

/* ---- credentials ---- */

/*
 * struct pd_auth_creds - credentials for one registry.  Either a username
 * and password (Basic, or a token server's GET with Basic), or an identity
 * (refresh) token for the OAuth2 POST to the token server.
 */
struct pd_auth_creds {
	char *username;       /* NULL with an identity token */
	char *password;       /* NULL with an identity token */
	char *identity_token; /* NULL with a username */
	char from[512];       /* where they came from, for messages: a file or helper */
};

/* pd_auth_creds_release() - wipe and free the strings; the struct can be reused. */
void pd_auth_creds_release(struct pd_auth_creds *c);

/*
 * pd_auth_file_paths() - the files credentials are looked up in, in order.
 * @auth_file: an explicit file (--authfile); NULL looks at $REGISTRY_AUTH_FILE
 *
 * As podman: an explicit file or $REGISTRY_AUTH_FILE is the only one.
 * Otherwise $XDG_RUNTIME_DIR/containers/auth.json (without XDG_RUNTIME_DIR:
 * /run/containers/UID/auth.json), $XDG_CONFIG_HOME/containers/auth.json
 * (default ~/.config), then $DOCKER_CONFIG/config.json (default
 * ~/.docker/config.json).  Docker's legacy ~/.dockercfg is not read.
 * Return: a NULL-terminated heap string vector (pd_strv_free()); never NULL.
 */
char **pd_auth_file_paths(const char *auth_file);

/*
 * pd_auth_lookup() - find credentials for @registry (and @repo) in the auth
 * files.
 * @registry: the registry as the user names it ("quay.io",
 *            "127.0.0.1:5000", "docker.io")
 * @repo: the repository ("library/alpine"), or NULL; podman's
 *        repository-scoped keys ("quay.io/org/repo", "quay.io/org") win over
 *        the registry's own key, the longest first
 * @auth_file: as for pd_auth_file_paths()
 * @out: filled when found (release with pd_auth_creds_release())
 *
 * Each file in turn: "credHelpers"[registry] runs that helper; otherwise the
 * best "auths" entry ("auth" is base64 of "user:password", or
 * "identitytoken"); when it has neither, "credsStore" runs that helper.
 * Keys may carry docker's legacy "https://" scheme and "/v1/" path;
 * "index.docker.io" is docker.io.  A helper that knows nothing, an entry
 * without credentials and a missing file move on to the next.
 *
 * Return: 1 found, 0 none anywhere, -1 with @err set (a file that is not
 * JSON, an "auth" that is not base64 of user:password, a helper that failed).
 */
int pd_auth_lookup(const char *registry, const char *repo, const char *auth_file,
		   struct pd_auth_creds *out, struct pd_error *err);

/* How long a credential helper may run before it is killed, by default. */
#define PD_CRED_HELPER_TIMEOUT_MS 20000

/*
 * pd_cred_helper_get() - run `docker-credential-@helper get` with @server on
 * its stdin (found on $PATH, no shell; stderr discarded; its output capped at
 * 64 KiB; killed after @timeout_ms) and read the JSON it prints
 * ({"ServerURL", "Username", "Secret"}).  A Username of "<token>" makes
 * Secret an identity token.
 * @helper: the helper's name: letters, digits, '.', '_', '-' only
 *
 * Safe in a threaded process (posix_spawn); it waits for the helper.
 * Return: 1 found, 0 when the helper says it has no credentials for @server
 * ("credentials not found"), -1 with @err set.
 */
int pd_cred_helper_get(const char *helper, const char *server, int timeout_ms,
		       struct pd_auth_creds *out, struct pd_error *err);

/*
 * pd_auth_login_path() - the file pd_auth_login() writes: @auth_file when
 * given, else $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json,
 * else ~/.config/containers/auth.json (or $XDG_CONFIG_HOME's).
 * Return: a heap string, or NULL when there is no home directory to put it in.
 */
char *pd_auth_login_path(const char *auth_file);

/*
 * pd_auth_login() - store @user and @password for @registry in the auth file
 * (pd_auth_login_path()), as podman login does: "auths"[registry] =
 * {"auth": base64("user:password")}.  Every other entry and key is kept.
 * The file is replaced atomically (a temporary file in the same directory,
 * fsync, rename) with mode 0600; missing parent directories are made 0700.
 * Checking the credentials against the registry is the caller's business.
 * @registry: "quay.io", "127.0.0.1:5000", or "quay.io/org/repo" (a scoped
 *            key); an "https://" prefix and a trailing "/" are dropped
 * @user: must not contain ':' (Basic auth could not tell where it ends)
 * Return: 0, or -1 with @err set.
 */
int pd_auth_login(const char *registry, const char *user, const char *password,
		  const char *auth_file, struct pd_error *err);

/*
 * pd_auth_logout() - remove @registry's entry from the auth file
 * (pd_auth_login_path()), keeping the others: every key that names it
 * (legacy "https://" spellings too); NULL removes every "auths" entry.  Written back as pd_auth_login() does.
 * Return: the number of entries removed (0: there was none), or -1 with @err.
 */
int pd_auth_logout(const char *registry, const char *auth_file, struct pd_error *err);

/* ---- base64 (RFC 4648, padded), exposed for the tests ---- */

/* pd_base64_encode() - a heap NUL-terminated encoding of @len bytes. */
char *pd_base64_encode(const void *data, size_t len);

/*
 * pd_base64_decode() - strict decoding (padding required, no whitespace).
 * Return: a heap buffer with a NUL after the *@out_len bytes, or NULL when
 * @s is not base64.
 */
char *pd_base64_decode(const char *s, size_t len, size_t *out_len);

#endif
