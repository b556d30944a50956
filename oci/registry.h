/* SPDX-License-Identifier: MIT */
/*
 * registry.h - a client of the OCI distribution (registry v2) API: manifests
 * and blobs, pulled and pushed, with the registry's authentication.
 *
 * One struct pd_registry per registry and process; it is not thread-safe.
 * libcurl's threaded resolver starts a thread per name lookup, so a process
 * that uses a pd_registry may have threads and must not clone sandboxes or
 * join user namespaces (pd_assert_single_threaded()): pulls and pushes run
 * in a worker process of their own that the caller forks, and the worker
 * hands back files and digests, never a live handle.
 *
 * Every function returns -1 with @err set on failure (HACKING.md, rule 1);
 * the message names the request ("GET https://quay.io/v2/...: 404 Not Found:
 * MANIFEST_UNKNOWN: ...") and the errno-style code says what kind of failure
 * it is: ENOENT (404), EACCES (401/403), EBADMSG (a digest or size that does
 * not match), EFBIG (a manifest over its limit), EPROTO (an answer outside
 * the protocol), ETIMEDOUT/ECONNRESET/ECONNREFUSED (the network), EIO (other
 * HTTP statuses).
 */
#ifndef PAUDE_OCI_REGISTRY_H
#define PAUDE_OCI_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Room for a digest string with its NUL: "sha512:" and 128 hex digits (the
 * same as oci/digest.h's PD_DIGEST_STR_MAX; this client depends only on
 * src/common). */
#define PD_DIGEST_MAX 136
/* The default limit on a manifest's size. */
#define PD_MANIFEST_MAX (4u << 20)

/*
 * struct pd_registry_opts - how to reach a registry.  Start from
 * pd_registry_opts_init(); every field is then used as it is.
 */
struct pd_registry_opts {
	/* Verify the server's certificate and name (default true). */
	bool tls_verify;
	/*
	 * Plain HTTP allowed: the first contact tries HTTPS and, when the TLS
	 * handshake fails, uses HTTP from then on (podman's insecure
	 * registries).  The client never decides this itself: the caller sets
	 * it for a literal loopback reference (127.0.0.1:PORT, [::1]:PORT,
	 * localhost:PORT), --tls-verify=false, or a registry registries.conf
	 * lists as insecure (settled.md).  Without it only HTTPS is spoken and a
	 * redirect from HTTPS to HTTP is refused.
	 */
	bool insecure;
	/* Per-registry TLS files: DIR/HOST[:PORT]/ holds *.crt (CAs, added to
	 * the system's), *.cert + *.key (a client certificate).  The user's
	 * directory is looked at first; the first that exists is used, as
	 * podman does.  Defaults: /etc/containers/certs.d and NULL; a rootless
	 * caller sets certs_dir_user to ~/.config/containers/certs.d. */
	const char *certs_dir_system;
	const char *certs_dir_user;
	/* Credentials: an explicit auth file (--authfile), else the search of
	 * pd_auth_file_paths(); username/password (--creds) override both. */
	const char *auth_file;
	const char *username;
	const char *password;
	/* Retries after a reset or timed-out connection, 408, 429 or 5xx
	 * (default 4), the first delay (doubling each time; default 500 ms),
	 * and the cap on a Retry-After the server asks for (default 60 s). */
	unsigned retries;
	unsigned backoff_ms;
	unsigned retry_after_max_ms;
	/* A transfer that moves no byte for this long fails (and is retried);
	 * the TCP+TLS connect has its own 30 s limit.  Default 60 s. */
	unsigned stall_timeout_s;
	/* Blobs up to this size are pushed with one PUT, larger ones in PATCH
	 * chunks of this size (default 16 MiB; must not be 0). */
	size_t chunk_size;
	/* The User-Agent header (default "paude/VERSION"). */
	const char *user_agent;
};

/* pd_registry_opts_init() - the defaults above. */
void pd_registry_opts_init(struct pd_registry_opts *o);

struct pd_registry;

/*
 * pd_registry_new() - a handle on one registry.  Nothing is contacted yet;
 * the first request pings /v2/ to learn the scheme (see @insecure) and the
 * authentication the registry wants.
 * @registry: "quay.io", "127.0.0.1:15001", "[::1]:5000", "localhost:5000";
 *            "docker.io" (and "index.docker.io") is reached at
 *            registry-1.docker.io, but keeps its name for credentials and
 *            certs.d.  Repositories are given whole ("library/alpine"): adding
 *            docker.io's "library/" is the reference parser's job.
 * @o: options (NULL: the defaults); the strings are copied
 *
 * The TLS files of certs.d are read here: a *.key without its *.cert, or a
 * file that cannot be read, is an error.
 * Return: the handle (pd_registry_free()), or NULL with @err set.
 */
struct pd_registry *pd_registry_new(const char *registry, const struct pd_registry_opts *o,
				    struct pd_error *err);

/* pd_registry_free() - close the connections and wipe the tokens; NULL is fine. */
void pd_registry_free(struct pd_registry *r);

/*
 * pd_registry_ping() - GET /v2/: 200, or 401 with a WWW-Authenticate header
 * paude can answer (Bearer or Basic), means this is a registry.
 * Return: 0, or -1 with @err set.
 */
int pd_registry_ping(struct pd_registry *r, struct pd_error *err);

/*
 * pd_registry_get_manifest() - GET /v2/@repo/manifests/@ref.
 * @ref: a tag, or a digest ("sha256:..."): then the body's digest must be it
 * @accept: NULL-terminated media types for the Accept header; the answer's
 *          Content-Type (parameters dropped) must be one of them
 * @body: gets the body, NUL-terminated, on the heap; @len its size
 * @content_type: gets the media type served (@ct_cap bytes with the NUL)
 * @digest_out: PD_DIGEST_MAX bytes: the body's own digest, computed here
 *              (sha256, or the algorithm of a digest @ref); a
 *              Docker-Content-Digest header that disagrees with it is an error
 * @max_len: the largest body accepted (0: PD_MANIFEST_MAX); a larger one
 *           fails with EFBIG without being read further
 * Return: 0, or -1 with @err set.
 */
int pd_registry_get_manifest(struct pd_registry *r, const char *repo, const char *ref,
			     const char *const *accept, char **body, size_t *len,
			     char *content_type, size_t ct_cap, char *digest_out, size_t max_len,
			     struct pd_error *err);

/*
 * pd_registry_sink_fn - where a blob's bytes go as they arrive.  Called with
 * @buf NULL and @n 0 to say "start again": a transfer was cut and is retried
 * from byte 0, so everything received so far must be dropped.  The bytes are
 * unverified until pd_registry_get_blob() returns 0: keep them aside (a
 * temporary file) until then.  Return 0, or -1 to stop the transfer.
 */
typedef int (*pd_registry_sink_fn)(void *data, const void *buf, size_t n);

/*
 * pd_registry_get_blob() - GET /v2/@repo/blobs/@digest, streamed to @sink.
 * @digest: "sha256:<64 hex>" or "sha512:<128 hex>"
 * @size: the size the manifest gives (-1: unknown); more bytes than that
 *        stop the transfer at once
 *
 * The digest and size are checked as the bytes stream; a mismatch fails
 * (EBADMSG) naming the blob.  Redirects (to a CDN) are followed, at most 10;
 * the registry's Authorization goes only to the registry's own scheme, host
 * and port, never to the host a redirect points at.  A reset or stalled
 * connection, 408, 429 and 5xx are retried (opts.retries) after a backoff or
 * the Retry-After asked for, each retry restarting at byte 0 (see the sink).
 * Return: 0, or -1 with @err set.
 */
int pd_registry_get_blob(struct pd_registry *r, const char *repo, const char *digest, int64_t size,
			 pd_registry_sink_fn sink, void *data, struct pd_error *err);

/*
 * pd_registry_blob_exists() - HEAD /v2/@repo/blobs/@digest.
 * @size: when non-NULL and found, gets the size (Content-Length; -1 unknown)
 * Return: 1 present, 0 absent (404), -1 with @err set.
 */
int pd_registry_blob_exists(struct pd_registry *r, const char *repo, const char *digest,
			    int64_t *size, struct pd_error *err);

/*
 * pd_registry_source_fn - where a pushed blob's bytes come from: fill @buf
 * (at most @cap bytes) and set *@n (0 only at the end).  Called with @buf
 * NULL to rewind to byte 0 before a retry; return -1 then when that is not
 * possible (the push then fails instead of being retried).  Return 0, or -1
 * to stop the push.
 */
typedef int (*pd_registry_source_fn)(void *data, void *buf, size_t cap, size_t *n);

enum pd_registry_put_result {
	PD_REGISTRY_UPLOADED = 0, /* the bytes were sent */
	PD_REGISTRY_EXISTED = 1,  /* the registry had the blob already */
	PD_REGISTRY_MOUNTED = 2,  /* mounted from @from without sending it */
};

/*
 * pd_registry_put_blob() - push a blob of @size bytes with digest @digest.
 * @from: another repository of this registry that has the blob, or NULL
 *
 * A HEAD first: a blob the repository has is not sent again.  With @from a
 * cross-repository mount is asked for (POST .../blobs/uploads/?mount=&from=;
 * 201 means done).  Otherwise one upload session: a single PUT ?digest= with
 * the bytes when @size <= opts.chunk_size, else PATCH requests of chunk_size
 * bytes (Content-Range) and a closing PUT ?digest=.  The bytes are hashed as
 * they are read; a source whose bytes do not have @digest and @size fails
 * (EBADMSG) before the upload is committed, and the session is cancelled.
 * A failed attempt is retried from a new session (the source is rewound).
 * Return: an enum pd_registry_put_result, or -1 with @err set.
 */
int pd_registry_put_blob(struct pd_registry *r, const char *repo, const char *digest, int64_t size,
			 const char *from, pd_registry_source_fn source, void *data,
			 struct pd_error *err);

/*
 * pd_registry_put_manifest() - PUT /v2/@repo/manifests/@ref with Content-Type
 * @media_type.
 * @ref: a tag, or the body's digest (checked here first)
 * @digest_out: when non-NULL, PD_DIGEST_MAX bytes: the body's sha256 digest
 * Return: 0, or -1 with @err set.
 */
int pd_registry_put_manifest(struct pd_registry *r, const char *repo, const char *ref,
			     const char *media_type, const void *body, size_t len, char *digest_out,
			     struct pd_error *err);

/*
 * pd_registry_digest_valid() - whether @s is "sha256:" and 64 lower-case hex digits,
 * or "sha512:" and 128.
 */
bool pd_registry_digest_valid(const char *s);

/*
 * pd_registry_repo_valid() - whether @s is a repository name as the
 * distribution spec has it: path components of [a-z0-9] runs joined by '.',
 * '_', '__' or '-'s, separated by '/', at most 255 bytes.
 */
bool pd_registry_repo_valid(const char *s);

#endif
