/* SPDX-License-Identifier: MIT */
/*
 * pull.c - a registry image into the store (pull.h).
 *
 * Theory of operation
 * -------------------
 *   1. A worker process is forked: it speaks to the registry (libcurl, which
 *      may start threads of its own, so not in this process, which must
 *      stay single-threaded to clone sandboxes and helpers).  It fetches the
 *      manifest (through indexes, for the platform, with a guard against
 *      loops and deep nesting) and the config, each verified (digest and
 *      size) while it streams into a temporary file of the store and
 *      renamed into blobs/ only then.  It reports the manifest's digest, or
 *      its error, over a pipe.
 *   2. This process reads the manifest and config back from the store, and
 *      pull_layers.c downloads and unpacks the layers, several at once, each
 *      unpacked while it downloads: as root directly (the layer keeps the
 *      archive's ids), rootless in a helper inside the user's own user
 *      namespace (the ids land in the subuid range; a single-id user gets
 *      them all squashed to its own).  The uncompressed stream's digest
 *      must be the config's diff_id for that layer, or nothing is
 *      committed: layers are shared by diff_id, so one forged config must
 *      never poison another image.
 *   3. The image record and its name are written last.
 * A pull killed at any point leaves only files in the store's tmp/.
 */
#include "pull.h"
#include "pull_int.h"
#include "progress.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/regconf.h"
#include "oci/registry.h"
#include "oci/unpack.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct worker_result {
	int ok;
	char manifest[PD_DIGEST_MAX];
	struct pd_error err;
};

int pd_pull_name(const char *ref, char *out, size_t cap, struct pd_error *err)
{
	struct pd_oci_ref r;

	if (pd_oci_ref_parse(ref, &r, err) < 0)
		return -1;
	if (pd_oci_ref_format(&r, out, cap) < 0)
		return pd_error_set(err, ENAMETOOLONG, "image reference \"%s\"", ref);
	return 0;
}

/* ---- short names ---- */

/* @ref without a transport, tag or digest: the name an alias is looked up by. */
static void short_part(const char *ref, char *out, size_t cap)
{
	const char *slash;
	size_t n;

	if (pd_str_has_prefix(ref, "docker://"))
		ref += 9;
	n = strcspn(ref, "@");
	slash = memrchr(ref, '/', n);
	for (size_t i = slash ? (size_t)(slash - ref) : 0; i < n; i++)
		if (ref[i] == ':') {
			n = i;
			break;
		}
	snprintf(out, cap, "%.*s", (int)n, ref);
}

static int candidate(struct pd_pull_candidates *out, const char *base, const struct pd_oci_ref *r,
		     struct pd_error *err)
{
	char s[2048];
	struct pd_oci_ref c;

	snprintf(s, sizeof(s), "%s%s%s", base, r->digest[0] ? "@" : ":",
		 r->digest[0] ? r->digest : r->tag);
	if (pd_oci_ref_parse(s, &c, err) < 0 ||
	    pd_oci_ref_format(&c, out->name[out->n], sizeof(out->name[0])) < 0)
		return pd_error_wrap(err, "registries.conf: candidate \"%s\"", s);
	out->n++;
	return 0;
}

_Static_assert(PD_REGCONF_SEARCH + 1 <= PD_PULL_CANDIDATES, "localhost/ and every search registry");

/* enforcing: more than one registry to choose from and no alias is refused, as podman does without a prompt. */
static int refuse_guess(const char *ref, const char *name, const struct pd_regconf *rc,
			struct pd_error *err)
{
	char list[512] = "";
	size_t n = 0;

	for (size_t i = 0; i < rc->n_search && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
				      rc->search[i]);
	return pd_error_set_msg(
		err, EINVAL,
		"short name \"%s\": registries.conf's short-name-mode is enforcing "
		"and %zu registries could serve it (%s); paude does not guess: name "
		"the registry (%s/%s), add an [aliases] entry, or set "
		"short-name-mode = \"permissive\"",
		ref, rc->n_search, list, rc->search[0], name);
}

int pd_pull_candidates(const char *ref, bool lookup, struct pd_pull_candidates *out,
		       struct pd_error *err)
{
	struct pd_oci_ref r;
	struct pd_regconf rc;
	char name[PD_REGCONF_LOCATION_MAX], base[2 * PD_REGCONF_LOCATION_MAX];
	const char *alias;
	int rv = -1;

	memset(out, 0, sizeof(*out));
	if (pd_oci_ref_parse(ref, &r, err) < 0)
		return -1;
	if (!r.defaulted_registry) {
		out->how = PD_SHORT_QUALIFIED;
		if (pd_oci_ref_format(&r, out->name[0], sizeof(out->name[0])) < 0)
			return pd_error_set(err, ENAMETOOLONG, "image reference \"%s\"", ref);
		out->n = 1;
		return 0;
	}
	if (pd_regconf_load(&rc, err) < 0)
		return -1;
	short_part(ref, name, sizeof(name));
	alias = pd_regconf_alias(&rc, name);
	rv = 0;
	if (alias) {
		out->how = PD_SHORT_ALIAS;
		rv = candidate(out, alias, &r, err);
	}
	/* looking in the store, what `paude pull`, save or import named localhost/ too */
	if (rv == 0 && lookup) {
		snprintf(base, sizeof(base), "localhost/%s", name);
		rv = candidate(out, base, &r, err);
	}
	if (rv < 0 || alias) {
		/* an alias is the name's one meaning */
	} else if (rc.has_search) {
		out->how = PD_SHORT_SEARCH;
		if (rc.n_search == 0)
			rv = pd_error_set_msg(err, ENOENT,
					      "short name \"%s\": no alias and no "
					      "unqualified-search-registries in registries.conf; "
					      "name the registry (docker.io/%s)",
					      ref, name);
		else if (!lookup && rc.n_search > 1 && rc.short_mode == PD_SHORT_ENFORCING)
			rv = refuse_guess(ref, name, &rc, err);
		for (size_t i = 0; rv == 0 && i < rc.n_search; i++) {
			snprintf(base, sizeof(base), "%s/%s", rc.search[i], name);
			rv = candidate(out, base, &r, err);
		}
	} else {
		out->how = PD_SHORT_DEFAULT;
		if (pd_oci_ref_format(&r, out->name[out->n], sizeof(out->name[0])) < 0)
			rv = pd_error_set(err, ENAMETOOLONG, "image reference \"%s\"", ref);
		else
			out->n++;
	}
	pd_regconf_release(&rc);
	return rv;
}

bool pd_pull_is_short(const char *ref)
{
	struct pd_oci_ref r;
	struct pd_error e = { 0 };

	return pd_oci_ref_parse(ref, &r, &e) == 0 && r.defaulted_registry;
}

int pd_pull_find(struct pd_store *s, const char *ref, struct pd_store_image *img, char *name,
		 size_t cap, struct pd_error *err)
{
	struct pd_pull_candidates c;
	struct pd_oci_ref r;
	struct pd_error ignored;
	int found = 0;

	if (name && cap)
		name[0] = '\0';
	/* not a reference: perhaps an image id */
	if (pd_oci_ref_parse(ref, &r, &ignored) == 0) {
		if (pd_pull_candidates(ref, true, &c, err) < 0)
			return -1;
		for (size_t i = 0; found == 0 && i < c.n; i++) {
			found = pd_store_image_get(s, c.name[i], img, err);
			if (found > 0 && name)
				snprintf(name, cap, "%s", c.name[i]);
		}
	}
	if (found == 0)
		found = pd_store_image_get(s, ref, img, err);
	return found;
}

/* ---- workers (may be threaded; never clone) ---- */

pid_t pd_pull_fork(int *report_fd, int *child_fd, struct pd_error *err)
{
	int p[2];
	pid_t parent = getpid(), pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return pd_error_set(err, errno, "pull: pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return pd_error_set(err, errno, "pull: fork a worker");
	}
	if (pid == 0) {
		/* Dies with its parent, even a SIGKILLed one: the store is
		 * consistent at any point, and work nobody awaits is waste. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
			_exit(1);
		close(p[0]);
		(void)signal(SIGPIPE, SIG_IGN);
		*child_fd = p[1];
		return 0;
	}
	close(p[1]);
	*report_fd = p[0];
	return pid;
}

struct blob_sink {
	int fd;
	int64_t written;
	struct pd_progress *progress;
};

static int sink_write(void *data, const void *buf, size_t n)
{
	struct blob_sink *b = data;
	const char *p = buf;

	if (!buf) { /* start again */
		if (ftruncate(b->fd, 0) < 0 || lseek(b->fd, 0, SEEK_SET) < 0)
			return -1;
		b->written = 0;
		pd_progress_set(b->progress, 0);
		return 0;
	}
	if (pd_write_all(b->fd, p, n) < 0)
		return -1;
	b->written += (int64_t)n;
	pd_progress_set(b->progress, b->written);
	return 0;
}

static int fetch_blob(struct pd_store *s, struct pd_registry *reg, const char *repo,
		      const struct pd_oci_descriptor *d, const char *what, bool quiet,
		      struct pd_error *err)
{
	struct pd_progress progress;
	struct blob_sink b = { .fd = -1, .progress = &progress };
	char tmp[64];
	int r;

	if (pd_store_has_blob(s, d->digest))
		return 0;
	b.fd = pd_store_tmp_file(s, tmp, sizeof(tmp), err);
	if (b.fd < 0)
		return -1;
	pd_progress_begin(&progress, quiet, what, d->digest, d->size);
	r = pd_registry_get_blob(reg, repo, d->digest, d->size, sink_write, &b, err);
	if (r == 0 && fsync(b.fd) < 0)
		r = pd_error_set(err, errno, "write %s %s", what, d->digest);
	pd_progress_end(&progress, r == 0);
	close(b.fd);
	if (r == 0)
		r = pd_store_blob_commit(s, tmp, d->digest, err);
	if (r < 0) {
		pd_store_tmp_unlink(s, tmp);
		return pd_error_wrap(err, "%s %s", what, d->digest);
	}
	return 0;
}

static const char *const accept_types[] = {
	PD_OCI_MT_INDEX, PD_OCI_MT_MANIFEST, PD_OCI_MT_DOCKER_LIST, PD_OCI_MT_DOCKER_MANIFEST, NULL,
};

/* The manifest for the platform: its body stored, its digest in @digest. */
static int fetch_manifest(struct pd_store *s, struct pd_registry *reg, const struct pd_oci_ref *ref,
			  const struct pd_platform *plat, char *digest, struct pd_oci_manifest *m,
			  struct pd_error *err)
{
	struct pd_oci_chain chain = { 0 };
	char want[PD_DIGEST_MAX];

	snprintf(want, sizeof(want), "%s", ref->digest[0] ? ref->digest : ref->tag);
	for (;;) {
		cleanup_free char *body = NULL;
		size_t len = 0, which = 0;
		char ct[128];

		if (pd_registry_get_manifest(reg, ref->repository, want, accept_types, &body, &len,
					     ct, sizeof(ct), digest, PD_OCI_MANIFEST_MAX, err) < 0)
			return -1;
		if (pd_oci_chain_push(&chain, digest, err) < 0 ||
		    pd_oci_manifest_parse(body, len, ct, m, err) < 0)
			return pd_error_wrap(err, "manifest %s", digest);
		if (pd_store_write_blob(s, digest, body, len, err) < 0)
			return -1;
		if (m->kind == PD_OCI_MANIFEST)
			return 0;
		if (pd_oci_index_select(m, plat->os, plat->arch,
					plat->variant[0] ? plat->variant : NULL, &which, err) < 0) {
			pd_oci_manifest_release(m);
			return pd_error_wrap(err, "image index %s", digest);
		}
		snprintf(want, sizeof(want), "%s", m->manifests[which].digest);
		pd_oci_manifest_release(m);
	}
}

struct pd_registry *pd_pull_registry(const struct pd_pull_opts *o, const struct pd_pull_source *src,
				     struct pd_error *err)
{
	struct pd_registry_opts ro;
	char user_certs[4096];
	const char *home = getenv("HOME");

	pd_registry_opts_init(&ro);
	/* registries.conf's insecure = podman's: plain HTTP and unverified TLS */
	ro.tls_verify = o->tls_verify && !src->insecure;
	ro.insecure = src->insecure || !o->tls_verify ||
		      pd_oci_registry_is_loopback_literal(src->ref.registry);
	if (geteuid() != 0 && home && home[0] == '/') {
		snprintf(user_certs, sizeof(user_certs), "%s/.config/containers/certs.d", home);
		ro.certs_dir_user = user_certs;
	}
	return pd_registry_new(src->ref.registry, &ro, err);
}

/* The manifest and the config; the layers come after (pull_layers.c). */
static int worker(struct pd_store *s, const struct pd_pull_opts *o,
		  const struct pd_pull_source *src, const struct pd_platform *plat, char *digest,
		  struct pd_error *err)
{
	struct pd_registry *reg;
	struct pd_oci_manifest m = { 0 };
	int r = -1;

	reg = pd_pull_registry(o, src, err);
	if (!reg)
		return -1;
	if (fetch_manifest(s, reg, &src->ref, plat, digest, &m, err) < 0)
		goto out;
	if (fetch_blob(s, reg, src->ref.repository, &m.config, "config", o->quiet, err) < 0)
		goto out;
	r = 0;
out:
	pd_oci_manifest_release(&m);
	pd_registry_free(reg);
	return r;
}

static int run_worker(struct pd_store *s, const struct pd_pull_opts *o,
		      const struct pd_pull_source *src, const struct pd_platform *plat,
		      char *digest, struct pd_error *err)
{
	int rd = -1, wr = -1, status = 0;
	struct worker_result res;
	pid_t pid;
	ssize_t n;

	pid = pd_pull_fork(&rd, &wr, err);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		memset(&res, 0, sizeof(res));
		res.ok = worker(s, o, src, plat, res.manifest, &res.err) == 0;
		n = write(wr, &res, sizeof(res));
		_exit(n == (ssize_t)sizeof(res) && res.ok ? 0 : 1);
	}
	n = pd_read_all(rd, &res, sizeof(res));
	close(rd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(res))
		return pd_error_set_msg(err, ECHILD, "pull: the worker died (status %d)", status);
	if (!res.ok) {
		*err = res.err;
		return -1;
	}
	snprintf(digest, PD_DIGEST_MAX, "%s", res.manifest);
	return 0;
}

/* ---- the image (single-threaded) ---- */

static int commit(struct pd_store *s, const struct pd_pull_opts *o,
		  const struct pd_pull_source *src, const char *digest,
		  const struct pd_platform *plat, const char *name, struct pd_store_image *out,
		  struct pd_error *err)
{
	struct pd_oci_manifest m = { 0 };
	struct pd_oci_config cfg = { 0 };
	struct pd_store_image img = { 0 };
	cleanup_free char *body = NULL;
	size_t len = 0;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (pd_store_read_blob(s, digest, PD_OCI_MANIFEST_MAX, &body, &len, err) < 0 ||
	    pd_oci_manifest_parse(body, len, NULL, &m, err) < 0)
		goto out;
	if (m.kind != PD_OCI_MANIFEST) {
		pd_error_set_msg(err, EINVAL, "%s is an index, not an image manifest", digest);
		goto out;
	}
	free(body);
	body = NULL;
	if (pd_store_read_blob(s, m.config.digest, PD_OCI_CONFIG_MAX, &body, &len, err) < 0 ||
	    pd_oci_config_parse(body, len, &cfg, err) < 0)
		goto out;
	if (cfg.n_diff_ids != m.n_layers) {
		pd_error_set_msg(err, EINVAL, "image %s: %zu layers but %zu diff_ids in its config",
				 digest, m.n_layers, cfg.n_diff_ids);
		goto out;
	}
	/* The store names layers by sha256 diff_id and blobs by sha256 digest. */
	for (size_t i = 0; i < m.n_layers; i++)
		if (!pd_store_hex(cfg.diff_ids[i]) || !pd_store_hex(m.layers[i].digest)) {
			pd_error_set_msg(err, EINVAL,
					 "layer %zu: only sha256 digests are stored (%s, %s)", i,
					 m.layers[i].digest, cfg.diff_ids[i]);
			goto out;
		}
	if (pd_pull_layers(s, o, src, &m, &cfg, err) < 0)
		goto out;
	snprintf(img.manifest, sizeof(img.manifest), "%s", digest);
	snprintf(img.config, sizeof(img.config), "%s", m.config.digest);
	pd_platform_format(plat, img.platform, sizeof(img.platform));
	snprintf(img.created, sizeof(img.created), "%s", cfg.created);
	img.pulled = (int64_t)time(NULL);
	img.n_layers = m.n_layers;
	img.layers = pd_xcalloc(m.n_layers ? m.n_layers : 1, sizeof(*img.layers));
	for (size_t i = 0; i < m.n_layers; i++) {
		snprintf(img.layers[i].digest, sizeof(img.layers[i].digest), "%s",
			 m.layers[i].digest);
		snprintf(img.layers[i].diff_id, sizeof(img.layers[i].diff_id), "%s",
			 cfg.diff_ids[i]);
		snprintf(img.layers[i].media_type, sizeof(img.layers[i].media_type), "%s",
			 m.layers[i].media_type);
		img.layers[i].size = m.layers[i].size;
	}
	if (pd_store_image_put(s, &img, name, err) < 0)
		goto out;
	*out = img;
	memset(&img, 0, sizeof(img));
	r = 0;
out:
	pd_store_image_release(&img);
	pd_oci_config_release(&cfg);
	pd_oci_manifest_release(&m);
	return r;
}

int pd_pull_commit(struct pd_store *s, const struct pd_pull_opts *o, const char *digest,
		   const struct pd_platform *plat, const char *name, struct pd_store_image *out,
		   struct pd_error *err)
{
	return commit(s, o, NULL, digest, plat, name, out, err);
}

/*
 * @ref as registries.conf entry @e rewrites it onto @location (the part of
 * the name past the entry's prefix kept), into @out.  A wildcard entry, or
 * an entry without a location, keeps the name.
 */
static int rewrite(const struct pd_oci_ref *ref, const struct pd_regconf_entry *e,
		   const char *location, struct pd_oci_ref *out, struct pd_error *err)
{
	char full[2 * PD_OCI_NAME_MAX + 2], s[2 * PD_OCI_NAME_MAX + PD_DIGEST_STR_MAX + 8];
	size_t pn = strlen(e->prefix);

	snprintf(full, sizeof(full), "%s/%s", ref->registry, ref->repository);
	if (!location[0] || e->prefix[0] == '*' || strncmp(full, e->prefix, pn) != 0) {
		*out = *ref;
		return 0;
	}
	if (snprintf(s, sizeof(s), "%s%s%s%s", location, full + pn, ref->digest[0] ? "@" : ":",
		     ref->digest[0] ? ref->digest : ref->tag) >= (int)sizeof(s))
		return pd_error_set_msg(err, ENAMETOOLONG,
					"registries.conf: \"%s\" rewritten "
					"is too long",
					full);
	if (pd_oci_ref_parse(s, out, err) < 0)
		return pd_error_wrap(err, "registries.conf: %s rewritten", full);
	return 0;
}

/* The mirrors registries.conf names for @ref, then the registry. */
static int sources_for(const struct pd_oci_ref *ref, struct pd_pull_source *src, size_t *n,
		       struct pd_error *err)
{
	struct pd_regconf rc;
	const struct pd_regconf_entry *e;
	char full[2 * PD_OCI_NAME_MAX + 2];
	int r = -1;

	*n = 0;
	if (pd_regconf_load(&rc, err) < 0)
		return -1;
	snprintf(full, sizeof(full), "%s/%s", ref->registry, ref->repository);
	e = pd_regconf_find(&rc, full);
	if (!e) {
		src[0] = (struct pd_pull_source){ .ref = *ref };
		*n = 1;
		r = 0;
		goto out;
	}
	if (e->blocked) {
		pd_error_set_msg(err, EACCES, "%s is blocked by registries.conf (%s)", full,
				 e->prefix);
		goto out;
	}
	for (size_t i = 0; i < e->n_mirrors; i++) {
		if (rewrite(ref, e, e->mirrors[i].location, &src[*n].ref, err) < 0)
			goto out;
		src[(*n)++].insecure = e->mirrors[i].insecure;
	}
	if (rewrite(ref, e, e->location, &src[*n].ref, err) < 0)
		goto out;
	src[(*n)++].insecure = e->insecure;
	r = 0;
out:
	pd_regconf_release(&rc);
	return r;
}

/* One candidate name, from its mirrors or its registry. */
static int pull_one(struct pd_store *s, const struct pd_pull_opts *o, const char *ref,
		    const struct pd_platform *plat, struct pd_store_image *out,
		    struct pd_error *err)
{
	struct pd_oci_ref r;
	struct pd_pull_source src[PD_REGCONF_MIRRORS + 1];
	char digest[PD_DIGEST_MAX], name[PD_OCI_REF_STR_MAX + 8];
	size_t n_src = 0, i;
	int gc, rv = -1;

	if (pd_oci_ref_parse(ref, &r, err) < 0 || pd_oci_ref_format(&r, name, sizeof(name)) < 0)
		return -1;
	if (sources_for(&r, src, &n_src, err) < 0)
		return pd_error_wrap(err, "pull %s", name);
	gc = pd_store_gc_lock(s, false, err); /* prune waits for this pull */
	for (i = 0; gc >= 0 && i < n_src; i++) {
		rv = run_worker(s, o, &src[i], plat, digest, err);
		if (rv == 0 || i + 1 == n_src)
			break;
		pd_note("mirror %s/%s: %s; trying the next source", src[i].ref.registry,
			src[i].ref.repository, err->msg);
		pd_error_clear(err);
	}
	if (gc < 0 || rv < 0 || commit(s, o, &src[i], digest, plat, name, out, err) < 0) {
		pd_store_unlock(gc);
		return pd_error_wrap(err, "pull %s", name);
	}
	pd_store_unlock(gc);
	return 0;
}

int pd_pull(struct pd_store *s, const struct pd_pull_opts *o, struct pd_store_image *out,
	    struct pd_error *err)
{
	struct pd_pull_candidates c;
	struct pd_platform plat;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (pd_pull_candidates(o->ref, false, &c, err) < 0)
		return -1;
	if ((o->platform ? pd_platform_parse(o->platform, &plat, err)
			 : pd_platform_host(&plat, err)) < 0)
		return -1;
	if (o->quiet)
		; /* -q: nothing but the id */
	else if (c.how == PD_SHORT_DEFAULT)
		pd_note("\"%s\" is a short name: pulling from docker.io", o->ref);
	else if (c.how == PD_SHORT_ALIAS)
		pd_note("\"%s\" is a short name: its alias in registries.conf is %s", o->ref,
			c.name[0]);
	else if (c.how == PD_SHORT_SEARCH)
		pd_note("\"%s\" is a short name: trying the unqualified-search-registries of "
			"registries.conf in order",
			o->ref);
	for (size_t i = 0; i < c.n; i++) {
		if (c.how != PD_SHORT_QUALIFIED && !o->quiet)
			fprintf(stderr, "Trying to pull %s...\n", c.name[i]);
		r = pull_one(s, o, c.name[i], &plat, out, err);
		if (r == 0 || i + 1 == c.n)
			break;
		pd_note("%s", err->msg);
		pd_error_clear(err);
	}
	return r;
}
