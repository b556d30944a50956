/* SPDX-License-Identifier: MIT */
/*
 * image_import.c - an image from a local OCI layout or archive into the
 * store (image_import.h).
 *
 * Theory of operation
 * -------------------
 * Three sources, in skopeo's spelling:
 *   oci:DIR[:NAME]             an OCI image layout directory
 *   oci-archive:FILE[:NAME]    a tar of one
 *   docker-archive:FILE[:REF]  what `docker save` writes: manifest.json
 *                              lists each image's config and layer tars
 * Everything a source holds is untrusted, and nothing of it is ever used as
 * a host path:
 *   - a layout's blobs are opened beneath its directory fd by digest
 *     (blobs/sha256/HEX, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
 *   - an archive is read once, as a stream (gzip and zstd undone on the
 *     way), and every regular member is copied into a temporary file of the
 *     store while its sha256 is computed; member names are only keys to
 *     find those files again (a symlink or hard link member is an alias).
 * A blob enters the store only under the digest of its own bytes: a
 * layout's blob must hash to its name and have its descriptor's size.
 * Then the manifest is found (index.json's entry named NAME, or its only
 * one; an index for the platform, as a pull does) or, for a docker-archive,
 * made: an OCI manifest of the config and the layer tars.  From there
 * pd_pull_commit() does what it does after a pull: each layer unpacked and
 * checked against the config's diff_ids, then the record.  The temporary
 * files of members the image does not use are removed.
 */
#include "image_import.h"
#include "pull.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/lazylib.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/decompress.h"
#include "oci/digest.h"
#include "oci/docker_archive.h"
#include "oci/manifest.h"
#include "oci/registry.h"
#include "oci/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_BUF (128 * 1024)
#define MEMBERS_MAX 100000 /* regular members and links of an archive */
#define NAME_MAX_LEN 4096  /* a member's name or link target */
#define RATIO_MAX 100      /* bytes out per byte in, once past RATIO_FLOOR */
#define RATIO_FLOOR (256ULL << 20)
#define MEMBER_MAX (32ULL << 30)  /* one member's bytes */
#define ARCHIVE_MAX (64ULL << 30) /* all of them */
#define LINK_HOPS 8               /* aliases followed to a member's bytes */
#define NAMES_SHOWN 10            /* image names listed in a message */

/* ---- hashing copies ---- */

struct hashed {
	EVP_MD_CTX *md;
	int out;
	uint64_t size, max;
};

static int hashed_begin(struct hashed *h, int out, uint64_t max, struct pd_error *err)
{
	h->out = out;
	h->size = 0;
	h->max = max;
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->md);
		h->md = NULL;
		return pd_error_set_msg(err, EIO, "sha256 failed");
	}
	return 0;
}

static int hashed_write(struct hashed *h, const void *buf, size_t n, struct pd_error *err)
{
	if (h->size + n > h->max)
		return pd_error_set_msg(err, EFBIG, "more than %llu bytes",
					(unsigned long long)h->max);
	if (EVP_DigestUpdate(h->md, buf, n) != 1)
		return pd_error_set_msg(err, EIO, "sha256 failed");
	if (pd_write_all(h->out, buf, n) < 0)
		return pd_error_set(err, errno, "write to the store");
	h->size += n;
	return 0;
}

/* "sha256:HEX" of @len digest bytes into @digest (PD_DIGEST_MAX bytes). */
static void hex_digest(const unsigned char *md, unsigned int len, char *digest)
{
	size_t off = (size_t)snprintf(digest, PD_DIGEST_MAX, "sha256:");

	for (unsigned int i = 0; i < len && off + 2 < PD_DIGEST_MAX; i++, off += 2)
		snprintf(digest + off, PD_DIGEST_MAX - off, "%02x", md[i]);
}

/* Finish: "sha256:HEX" into @digest (PD_DIGEST_MAX bytes). */
static int hashed_end(struct hashed *h, char *digest, struct pd_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int r = 0;

	if (EVP_DigestFinal_ex(h->md, md, &len) != 1 || len != 32)
		r = pd_error_set_msg(err, EIO, "sha256 failed");
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
	if (r < 0)
		return -1;
	hex_digest(md, len, digest);
	return 0;
}

static void hashed_abort(struct hashed *h)
{
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}

/* Read all of @fd (at most @max bytes) into a NUL-terminated buffer. */
static int read_small(int fd, size_t max, const char *what, char **out, size_t *len,
		      struct pd_error *err)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return pd_error_set(err, errno, "%s", what);
	if (!S_ISREG(st.st_mode))
		return pd_error_set_msg(err, EINVAL, "%s is not a regular file", what);
	if ((uint64_t)st.st_size > max)
		return pd_error_set_msg(err, EFBIG, "%s: %lld bytes, more than %zu", what,
					(long long)st.st_size, max);
	buf = pd_xmalloc((size_t)st.st_size + 1);
	n = pd_read_all(fd, buf, (size_t)st.st_size);
	if (n < 0 || (size_t)n != (size_t)st.st_size) {
		free(buf);
		return pd_error_set(err, n < 0 ? errno : EIO, "read %s", what);
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* ---- archive members ---- */

struct member {
	char *name;                 /* normalized */
	char *link;                 /* an alias: the member it names (normalized), or NULL */
	char tmp[64];               /* its bytes in the store's tmp/; "" once stored */
	char digest[PD_DIGEST_MAX]; /* of its bytes */
	uint64_t size;
};

struct members {
	struct member *v;
	size_t n, cap;
	size_t *by_name; /* indexes into v sorted by name, later ones first */
};

static void members_release(struct pd_store *s, struct members *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		if (ms->v[i].tmp[0])
			pd_store_tmp_unlink(s, ms->v[i].tmp);
		free(ms->v[i].name);
		free(ms->v[i].link);
	}
	free(ms->v);
	free(ms->by_name);
	memset(ms, 0, sizeof(*ms));
}

/*
 * A member name as a key: "." and empty components dropped, ".." taken
 * back textually (never above the top).  @base: the directory a relative
 * link target is read from ("" for a member's own name).
 */
static char *normalize(const char *base, const char *name)
{
	size_t cap = strlen(base) + strlen(name) + 2, n = 0;
	char *out = pd_xmalloc(cap);
	const char *parts[2] = { name[0] == '/' ? "" : base, name };

	out[0] = '\0';
	for (int k = 0; k < 2; k++) {
		const char *p = parts[k];

		while (*p) {
			size_t l = strcspn(p, "/");

			if ((l == 1 && p[0] == '.') || l == 0) {
				/* nothing */
			} else if (l == 2 && p[0] == '.' && p[1] == '.') {
				while (n > 0 && out[n - 1] != '/')
					n--;
				if (n > 0)
					n--;
				out[n] = '\0';
			} else {
				if (n > 0)
					out[n++] = '/';
				memcpy(out + n, p, l);
				n += l;
				out[n] = '\0';
			}
			p += l;
			while (*p == '/')
				p++;
		}
	}
	return out;
}

/* The directory part of a normalized name ("" at the top). */
static char *dir_of(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash ? pd_xstrndup(name, (size_t)(slash - name)) : pd_xstrdup("");
}

static struct member *member_add(struct members *ms, char *name)
{
	struct member *m;

	if (ms->n == ms->cap) {
		ms->cap = ms->cap ? ms->cap * 2 : 64;
		ms->v = pd_xrealloc(ms->v, ms->cap * sizeof(*ms->v));
	}
	m = &ms->v[ms->n++];
	memset(m, 0, sizeof(*m));
	m->name = name;
	return m;
}

static const struct members *sort_ms; /* qsort has no context argument */

static int by_name_cmp(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int c = strcmp(sort_ms->v[a].name, sort_ms->v[b].name);

	return c ? c : (a < b) - (a > b); /* the later member first */
}

/* Index the members by name, once they are all read. */
static void members_index(struct members *ms)
{
	ms->by_name = pd_xcalloc(ms->n ? ms->n : 1, sizeof(size_t));
	for (size_t i = 0; i < ms->n; i++)
		ms->by_name[i] = i;
	sort_ms = ms;
	qsort(ms->by_name, ms->n, sizeof(size_t), by_name_cmp);
	sort_ms = NULL;
}

/* The last member named @name (as tar extraction would have it), or NULL. */
static struct member *member_named(struct members *ms, const char *name)
{
	size_t lo = 0, hi = ms->n;

	while (lo < hi) { /* the first index whose name is >= @name */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ms->v[ms->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ms->n && !strcmp(ms->v[ms->by_name[lo]].name, name))
		return &ms->v[ms->by_name[lo]];
	return NULL;
}

/* The member @name holds its bytes under (its aliases followed); NULL if none. */
static struct member *member_find(struct members *ms, const char *name)
{
	cleanup_free char *key = normalize("", name);
	const char *n = key;

	for (int hop = 0; hop <= LINK_HOPS; hop++) {
		struct member *found = member_named(ms, n);

		if (!found || !found->link)
			return found;
		n = found->link;
	}
	return NULL;
}

struct tar_in {
	struct pd_decomp *dc;
	char *buf;
	struct pd_error *err;
	uint64_t out; /* uncompressed bytes so far */
	bool failed;
};

static la_ssize_t tar_read(struct archive *a, void *data, const void **out)
{
	struct tar_in *t = data;
	ssize_t n = pd_decomp_read(t->dc, t->buf, COPY_BUF, t->err);

	if (n > 0) {
		t->out += (uint64_t)n;
		if (t->out > RATIO_FLOOR && t->out / RATIO_MAX > pd_decomp_consumed(t->dc)) {
			pd_error_set_msg(t->err, EFBIG,
					 "expands more than %d:1 past %llu bytes: a decompression "
					 "bomb?",
					 RATIO_MAX, (unsigned long long)RATIO_FLOOR);
			n = -1;
		}
	}
	if (n < 0) {
		t->failed = true;
		archive_set_error(a, t->err->code ? t->err->code : EIO, "%s", "stream failed");
		return -1;
	}
	*out = t->buf;
	return n;
}

/* One regular member's bytes into a temporary file of the store, hashed. */
static int member_copy(struct pd_store *s, struct archive *a, struct member *m, uint64_t *total,
		       struct pd_error *err)
{
	struct hashed h = { 0 };
	cleanup_close int fd = pd_store_tmp_file(s, m->tmp, sizeof(m->tmp), err);

	if (fd < 0) {
		m->tmp[0] = '\0';
		return -1;
	}
	if (hashed_begin(&h, fd, MEMBER_MAX, err) < 0)
		return -1;
	for (;;) {
		const void *buf;
		size_t n;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &n, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			hashed_abort(&h);
			return pd_error_set_msg(err, EBADMSG, "member \"%s\": %s", m->name,
						archive_error_string(a) ? archive_error_string(a)
									: "read failed");
		}
		/* a sparse member's holes are zeros the caller never sees here */
		if ((uint64_t)off != h.size) {
			hashed_abort(&h);
			return pd_error_set_msg(
				err, EINVAL, "member \"%s\": sparse members are not read", m->name);
		}
		if (*total + n > ARCHIVE_MAX) {
			hashed_abort(&h);
			return pd_error_set_msg(err, EFBIG, "more than %llu bytes in all",
						(unsigned long long)ARCHIVE_MAX);
		}
		if (hashed_write(&h, buf, n, err) < 0) {
			hashed_abort(&h);
			return pd_error_wrap(err, "member \"%s\"", m->name);
		}
		*total += n;
	}
	m->size = h.size;
	if (fsync(fd) < 0) {
		hashed_abort(&h);
		return pd_error_set(err, errno, "member \"%s\": write to the store", m->name);
	}
	return hashed_end(&h, m->digest, err);
}

/* Read the archive at @path once: every regular member into the store's tmp/. */
static int members_read(struct pd_store *s, const char *path, struct members *ms,
			struct pd_error *err)
{
	/* O_NONBLOCK: a fifo given as the archive must not hang the open */
	cleanup_close int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	struct tar_in t = { .err = err };
	struct archive *a = NULL;
	struct stat st;
	uint64_t total = 0;
	int r = -1;

	if (fd < 0)
		return pd_error_set(err, errno, "open \"%s\"", path);
	if (fstat(fd, &st) < 0)
		return pd_error_set(err, errno, "\"%s\"", path);
	if (!S_ISREG(st.st_mode))
		return pd_error_set_msg(err, EINVAL, "\"%s\" is not a regular file", path);
	if (pd_unpack_load(PD_COMP_AUTO, err) < 0)
		return -1;
	t.dc = pd_decomp_new(fd, PD_COMP_AUTO);
	t.buf = pd_xmalloc(COPY_BUF);
	a = archive_read_new();
	if (!a || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open(a, &t, NULL, tar_read, NULL) != ARCHIVE_OK) {
		if (!t.failed)
			pd_error_set_msg(err, EBADMSG, "not a tar archive: %s",
					 a && archive_error_string(a) ? archive_error_string(a)
								      : "libarchive failed");
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		const char *name, *target;
		int rc = archive_read_next_header(a, &e);
		struct member *m;
		mode_t type;

		if (rc == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
			if (!t.failed)
				pd_error_set_msg(err, EBADMSG, "corrupt tar archive: %s",
						 archive_error_string(a) ? archive_error_string(a)
									 : "unknown error");
			goto out;
		}
		name = archive_entry_pathname(e);
		type = archive_entry_filetype(e);
		target = archive_entry_hardlink(e);
		if (!name || !*name || (type != AE_IFREG && type != AE_IFLNK))
			continue;
		if (strlen(name) > NAME_MAX_LEN || (target && strlen(target) > NAME_MAX_LEN) ||
		    (type == AE_IFLNK && archive_entry_symlink(e) &&
		     strlen(archive_entry_symlink(e)) > NAME_MAX_LEN)) {
			pd_error_set_msg(err, ENAMETOOLONG,
					 "a member name or link target longer than %d bytes",
					 NAME_MAX_LEN);
			goto out;
		}
		if (ms->n == MEMBERS_MAX) {
			pd_error_set_msg(err, E2BIG, "more than %d files", MEMBERS_MAX);
			goto out;
		}
		m = member_add(ms, normalize("", name));
		if (target) { /* a hard link: names are from the top */
			m->link = normalize("", target);
		} else if (type == AE_IFLNK) {
			cleanup_free char *dir = dir_of(m->name);

			target = archive_entry_symlink(e);
			m->link = normalize(dir, target ? target : "");
		} else if (member_copy(s, a, m, &total, err) < 0) {
			goto out;
		}
	}
	members_index(ms);
	r = 0;
out:
	if (a)
		archive_read_free(a);
	pd_decomp_free(t.dc);
	free(t.buf);
	return r < 0 ? pd_error_wrap(err, "archive \"%s\"", path) : 0;
}

/*
 * The member @name as a blob of the store: its digest and size into
 * @digest/@size (either may be NULL); @want, when given, is the digest the
 * member must have.
 */
static int member_store(struct pd_store *s, struct members *ms, const char *name, const char *want,
			char *digest, uint64_t *size, struct pd_error *err)
{
	struct member *m = member_find(ms, name);

	if (!m || m->link || (!m->tmp[0] && !m->digest[0]))
		return pd_error_set_msg(err, ENOENT, "the archive has no file \"%s\"", name);
	if (want && strcmp(want, m->digest) != 0)
		return pd_error_set_msg(err, EINVAL, "\"%s\" is not %s: its bytes hash to %s", name,
					want, m->digest);
	if (m->tmp[0]) {
		if (pd_store_has_blob(s, m->digest))
			pd_store_tmp_unlink(s, m->tmp);
		else if (pd_store_blob_commit(s, m->tmp, m->digest, err) < 0)
			return -1;
		m->tmp[0] = '\0';
	}
	if (digest)
		snprintf(digest, PD_DIGEST_MAX, "%s", m->digest);
	if (size)
		*size = m->size;
	return 0;
}

/* A small member's bytes (not stored as a blob). */
static int member_read(struct pd_store *s, struct members *ms, const char *name, size_t max,
		       char **out, size_t *len, struct pd_error *err)
{
	struct member *m = member_find(ms, name);
	cleanup_close int fd = -1;

	if (!m || m->link || !m->tmp[0])
		return pd_error_set_msg(err, ENOENT, "the archive has no file \"%s\"", name);
	fd = pd_store_tmp_open(s, m->tmp, err);
	if (fd < 0)
		return -1;
	return read_small(fd, max, name, out, len, err);
}

/* ---- OCI layouts (a directory, or the members of an oci-archive) ---- */

struct layout {
	struct pd_store *s;
	int dir;            /* oci: the layout's directory */
	struct members *ms; /* oci-archive: its members */
};

/* A blob of the layout into the store, checked against its descriptor. */
static int layout_blob(struct layout *l, const struct pd_oci_descriptor *d, struct pd_error *err)
{
	const char *hex = pd_store_hex(d->digest);
	char rel[96], digest[PD_DIGEST_MAX], tmp[64];
	cleanup_close int fd = -1, out = -1;
	struct hashed h = { 0 };
	bool bad = false;
	struct stat st;
	char *buf;

	if (!hex)
		return pd_error_set_msg(err, EINVAL, "blob %s: only sha256 blobs are read",
					d->digest);
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", hex);
	if (l->ms) {
		uint64_t size = 0;

		if (member_store(l->s, l->ms, rel, d->digest, NULL, &size, err) < 0)
			return -1;
		if (size != (uint64_t)d->size)
			return pd_error_set_msg(err, EINVAL, "blob %s: %llu bytes, not %lld",
						d->digest, (unsigned long long)size,
						(long long)d->size);
		return 0;
	}
	if (pd_store_has_blob(l->s, d->digest))
		return 0;
	if ((uint64_t)d->size > MEMBER_MAX)
		return pd_error_set_msg(err, EFBIG, "blob %s: %lld bytes, more than %llu",
					d->digest, (long long)d->size,
					(unsigned long long)MEMBER_MAX);
	fd = pd_openat2(l->dir, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0,
			RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return pd_error_set(err, errno, "blob %s (%s)", d->digest, rel);
	if (fstat(fd, &st) < 0)
		return pd_error_set(err, errno, "blob %s", d->digest);
	if (!S_ISREG(st.st_mode) || st.st_size != d->size)
		return pd_error_set_msg(err, EINVAL, "blob %s: %s%lld bytes, not %lld", d->digest,
					S_ISREG(st.st_mode) ? "" : "not a regular file, ",
					(long long)st.st_size, (long long)d->size);
	out = pd_store_tmp_file(l->s, tmp, sizeof(tmp), err);
	if (out < 0 || hashed_begin(&h, out, (uint64_t)d->size, err) < 0)
		goto fail;
	buf = pd_xmalloc(COPY_BUF);
	for (;;) {
		ssize_t n = read(fd, buf, COPY_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			bad = pd_error_set(err, errno, "read blob %s", d->digest) < 0;
		if (n > 0 && hashed_write(&h, buf, (size_t)n, err) < 0)
			bad = true;
		if (n <= 0 || bad)
			break;
	}
	free(buf);
	if (!bad && fsync(out) < 0)
		bad = pd_error_set(err, errno, "blob %s: write to the store", d->digest) < 0;
	if (bad || hashed_end(&h, digest, err) < 0)
		goto fail;
	if (strcmp(digest, d->digest) != 0) {
		pd_error_set_msg(err, EINVAL, "blob %s: its bytes hash to %s", d->digest, digest);
		goto fail;
	}
	if (pd_store_blob_commit(l->s, tmp, d->digest, err) < 0)
		goto fail;
	return 0;
fail:
	hashed_abort(&h);
	if (out >= 0)
		pd_store_tmp_unlink(l->s, tmp);
	return pd_error_wrap(err, "layout");
}

/* A top-level file of the layout (index.json, oci-layout). */
static int layout_file(struct layout *l, const char *name, char **out, size_t *len,
		       struct pd_error *err)
{
	cleanup_close int fd = -1;

	if (l->ms)
		return member_read(l->s, l->ms, name, PD_OCI_MANIFEST_MAX, out, len, err);
	fd = pd_openat2(l->dir, name, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0,
			RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return pd_error_set(err, errno, "%s", name);
	return read_small(fd, PD_OCI_MANIFEST_MAX, name, out, len, err);
}

/* "oci-layout" must say {"imageLayoutVersion": "1.0.0"} (the one version there is). */
static int layout_check(struct layout *l, struct pd_error *err)
{
	cleanup_free char *body = NULL;
	const cJSON *v;
	size_t len = 0;
	cJSON *j;
	bool ok;

	if (layout_file(l, "oci-layout", &body, &len, err) < 0)
		return pd_error_wrap(err, "not an OCI image layout");
	j = cJSON_ParseWithLength(body, len);
	v = j ? cJSON_GetObjectItemCaseSensitive(j, "imageLayoutVersion") : NULL;
	ok = v && cJSON_IsString(v) && v->valuestring && !strcmp(v->valuestring, "1.0.0");
	cJSON_Delete(j);
	if (!ok)
		return pd_error_set_msg(err, EINVAL,
					"oci-layout: imageLayoutVersion is not \"1.0.0\"");
	return 0;
}

/* "a, b, c" (the first NAMES_SHOWN) of the entries' ref names into @buf. */
static const char *list_names(const struct pd_oci_manifest *idx, char *buf, size_t cap)
{
	size_t off = 0, shown = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < idx->n_manifests && shown < NAMES_SHOWN && off < cap; i++) {
		if (!idx->manifests[i].ref_name[0])
			continue;
		off += (size_t)snprintf(buf + off, off < cap ? cap - off : 0, "%s%s",
					shown ? ", " : "", idx->manifests[i].ref_name);
		shown++;
	}
	if (!shown)
		snprintf(buf, cap, "none");
	return buf;
}

/*
 * The image manifest the layout names @name (its only image when @name is
 * ""), through indexes for @plat: its digest into @digest; it, its config
 * and its layers are in the store then.
 */
static int layout_image(struct layout *l, const char *name, const struct pd_platform *plat,
			char *digest, struct pd_error *err)
{
	cleanup_free char *body = NULL;
	struct pd_oci_manifest idx = { 0 }, m = { 0 };
	struct pd_oci_descriptor d;
	struct pd_oci_chain chain = { 0 };
	char names[512];
	size_t len = 0, pick = 0;
	int r = -1;

	if (layout_check(l, err) < 0 || layout_file(l, "index.json", &body, &len, err) < 0)
		return -1;
	if (pd_oci_manifest_parse(body, len, NULL, &idx, err) < 0)
		return pd_error_wrap(err, "index.json");
	if (idx.kind != PD_OCI_INDEX) {
		pd_error_set_msg(err, EINVAL, "index.json is not an image index");
		goto out;
	}
	if (name[0]) {
		for (pick = 0; pick < idx.n_manifests; pick++)
			if (!strcmp(idx.manifests[pick].ref_name, name))
				break;
		if (pick == idx.n_manifests) {
			pd_error_set_msg(err, ENOENT,
					 "no image named \"%s\" in the layout (it names: %s)", name,
					 list_names(&idx, names, sizeof(names)));
			goto out;
		}
	} else if (idx.n_manifests != 1) {
		pd_error_set_msg(
			err, idx.n_manifests ? EINVAL : ENOENT,
			"the layout holds %zu images: name one after the path (it names: %s)",
			idx.n_manifests, list_names(&idx, names, sizeof(names)));
		goto out;
	}
	d = idx.manifests[pick];
	for (;;) {
		size_t which = 0;

		free(body);
		body = NULL;
		if (pd_oci_chain_push(&chain, d.digest, err) < 0 || layout_blob(l, &d, err) < 0 ||
		    pd_store_read_blob(l->s, d.digest, PD_OCI_MANIFEST_MAX, &body, &len, err) < 0 ||
		    pd_oci_manifest_parse(body, len, d.media_type, &m, err) < 0) {
			pd_error_wrap(err, "manifest %s", d.digest);
			goto out;
		}
		if (m.kind == PD_OCI_MANIFEST)
			break;
		if (pd_oci_index_select(&m, plat->os, plat->arch,
					plat->variant[0] ? plat->variant : NULL, &which, err) < 0) {
			pd_error_wrap(err, "image index %s", d.digest);
			goto out;
		}
		d = m.manifests[which];
		pd_oci_manifest_release(&m);
	}
	if (layout_blob(l, &m.config, err) < 0)
		goto out;
	for (size_t i = 0; i < m.n_layers; i++)
		if (layout_blob(l, &m.layers[i], err) < 0)
			goto out;
	snprintf(digest, PD_DIGEST_MAX, "%s", d.digest);
	r = 0;
out:
	pd_oci_manifest_release(&m);
	pd_oci_manifest_release(&idx);
	return r;
}

/* ---- docker-archive ---- */

/* The layer media type a stored blob's first bytes say. */
static const char *layer_type(struct pd_store *s, const char *digest, struct pd_error *err)
{
	cleanup_close int fd = pd_store_blob_open(s, digest, err);
	unsigned char b[4] = { 0 };

	if (fd < 0)
		return NULL;
	if (pd_read_all(fd, b, sizeof(b)) < 0) {
		pd_error_set(err, errno, "read blob %s", digest);
		return NULL;
	}
	if (b[0] == 0x1f && b[1] == 0x8b)
		return PD_OCI_MT_LAYER_GZIP;
	if (b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return PD_OCI_MT_LAYER_ZSTD;
	return PD_OCI_MT_LAYER;
}

/* Which image of the archive: the one tagged @ref, or its only one. */
static int docker_pick(const struct pd_docker_archive *da, const struct pd_oci_ref *ref,
		       size_t *pick, char *name, size_t cap, struct pd_error *err)
{
	char want[1024] = "", have[1024];

	if (ref->registry[0] && pd_oci_ref_format(ref, want, sizeof(want)) < 0)
		return pd_error_set_msg(err, EINVAL, "a reference that cannot be one");
	for (size_t i = 0; i < da->n_images; i++) {
		for (char **t = da->images[i].repo_tags; *t; t++) {
			if (pd_pull_name(*t, have, sizeof(have), NULL) < 0)
				continue;
			if (!want[0] && da->n_images == 1) {
				*pick = i;
				snprintf(name, cap, "%s", have);
				return 0;
			}
			if (want[0] && !strcmp(want, have)) {
				*pick = i;
				snprintf(name, cap, "%s", have);
				return 0;
			}
		}
	}
	if (!want[0] && da->n_images == 1) {
		*pick = 0; /* untagged: stored by id only */
		name[0] = '\0';
		return 0;
	}
	if (want[0])
		return pd_error_set_msg(err, ENOENT, "no image tagged %s in the archive", want);
	return pd_error_set_msg(err, EINVAL,
				"the archive holds %zu images: name one after the path "
				"(docker-archive:FILE:REF)",
				da->n_images);
}

/*
 * Make the image manifest of a docker-archive's image (an OCI one over its
 * config and layer tars, all stored as blobs): digest into @digest, the
 * name it is stored under into @name ("" when untagged), platform @plat.
 */
static int docker_image(struct pd_store *s, struct members *ms, const struct pd_oci_ref *ref,
			char *digest, char *name, size_t cap, struct pd_platform *plat,
			struct pd_error *err)
{
	cleanup_free char *body = NULL, *text = NULL;
	struct pd_docker_archive da = { 0 };
	struct pd_oci_config cfg = { 0 };
	const struct pd_docker_archive_image *im;
	char cdigest[PD_DIGEST_MAX];
	uint64_t csize = 0;
	size_t len = 0, pick = 0;
	cJSON *o = NULL, *c, *layers;
	int r = -1;

	if (member_read(s, ms, "manifest.json", 4u << 20, &body, &len, err) < 0)
		return pd_error_wrap(err, "not a docker-archive");
	if (pd_docker_archive_parse(body, len, &da, err) < 0 ||
	    docker_pick(&da, ref, &pick, name, cap, err) < 0)
		goto out;
	im = &da.images[pick];
	if (member_store(s, ms, im->config, NULL, cdigest, &csize, err) < 0)
		goto out;
	free(body);
	body = NULL;
	if (pd_store_read_blob(s, cdigest, PD_OCI_CONFIG_MAX, &body, &len, err) < 0 ||
	    pd_oci_config_parse(body, len, &cfg, err) < 0) {
		pd_error_wrap(err, "config \"%s\"", im->config);
		goto out;
	}
	if (cfg.n_diff_ids != im->n_layers) {
		pd_error_set_msg(err, EINVAL, "%zu layers, but %zu diff_ids in its config",
				 im->n_layers, cfg.n_diff_ids);
		goto out;
	}
	if (cfg.os[0] && cfg.arch[0]) {
		snprintf(plat->os, sizeof(plat->os), "%s", cfg.os);
		snprintf(plat->arch, sizeof(plat->arch), "%s", cfg.arch);
		snprintf(plat->variant, sizeof(plat->variant), "%s", cfg.variant);
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "schemaVersion", 2);
	cJSON_AddStringToObject(o, "mediaType", PD_OCI_MT_MANIFEST);
	c = cJSON_AddObjectToObject(o, "config");
	cJSON_AddStringToObject(c, "mediaType", PD_OCI_MT_CONFIG);
	cJSON_AddStringToObject(c, "digest", cdigest);
	cJSON_AddNumberToObject(c, "size", (double)csize);
	layers = cJSON_AddArrayToObject(o, "layers");
	for (size_t i = 0; i < im->n_layers; i++) {
		char ld[PD_DIGEST_MAX];
		uint64_t lsize = 0;
		const char *mt;
		cJSON *l;

		if (member_store(s, ms, im->layers[i], NULL, ld, &lsize, err) < 0)
			goto out;
		mt = layer_type(s, ld, err);
		if (!mt)
			goto out;
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "mediaType", mt);
		cJSON_AddStringToObject(l, "digest", ld);
		cJSON_AddNumberToObject(l, "size", (double)lsize);
		cJSON_AddItemToArray(layers, l);
	}
	text = cJSON_PrintUnformatted(o);
	if (!text)
		pd_error_set_msg(err, ENOMEM, "the image manifest");
	if (!text || pd_digest_sha256(text, strlen(text), digest, PD_DIGEST_MAX, err) < 0 ||
	    pd_store_write_blob(s, digest, text, strlen(text), err) < 0)
		goto out;
	r = 0;
out:
	cJSON_Delete(o);
	pd_oci_config_release(&cfg);
	pd_docker_archive_release(&da);
	return r;
}

/* ---- the whole ---- */

/* "localhost/BASENAME:TAG" for a layout at @path, or "" when that is no reference. */
static void layout_name(const char *path, const char *tag, char *out, size_t cap)
{
	cleanup_free char *copy = pd_xstrdup(path);
	char base[256], cand[600];
	size_t n, j = 0;
	char *b, *dot;

	out[0] = '\0';
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	b = strrchr(copy, '/');
	b = b ? b + 1 : copy;
	dot = strchr(b, '.');
	if (dot && dot != b)
		*dot = '\0';
	for (; *b && j + 1 < sizeof(base); b++) {
		char ch = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')
			base[j++] = ch;
	}
	base[j] = '\0';
	if (!base[0])
		return;
	snprintf(cand, sizeof(cand), "localhost/%s:%s", base, tag[0] ? tag : "latest");
	if (pd_pull_name(cand, out, cap, NULL) < 0)
		out[0] = '\0';
}

/*
 * Whether @name already names another image than @digest: an archive's
 * own tags (when no REF was given) never take a name over (an untrusted docker-archive tagged
 * docker.io/library/ubuntu:latest must not become what `paude run ubuntu`
 * runs); the image is then stored by its id only, and paude says so.
 */
static bool name_taken(struct pd_store *s, const char *name, const char *digest)
{
	struct pd_store_image other = { 0 };
	struct pd_error ignored;
	bool taken = pd_store_image_get(s, name, &other, &ignored) > 0 &&
		     strcmp(other.manifest, digest) != 0;

	pd_store_image_release(&other);
	if (taken)
		pd_note("%s names another image already: this one is stored by its id only "
			"(remove that one with `paude rmi %s` first to give it the name)",
			name, name);
	return taken;
}

bool pd_import_is_source(const char *ref)
{
	return pd_str_has_prefix(ref, "oci:") || pd_str_has_prefix(ref, "oci-archive:") ||
	       pd_str_has_prefix(ref, "docker-archive:");
}

int pd_import(struct pd_store *s, const struct pd_import_opts *o, struct pd_store_image *out,
	      struct pd_error *err)
{
	const struct pd_image_src *src = o->src;
	struct members ms = { 0 };
	struct layout l = { .s = s, .dir = -1 };
	struct pd_platform plat;
	char digest[PD_DIGEST_MAX], name[1024] = "";
	struct pd_pull_opts po = { .quiet = o->quiet, .ids = o->ids };
	int r = -1, gc;

	memset(out, 0, sizeof(*out));
	if ((o->platform ? pd_platform_parse(o->platform, &plat, err)
			 : pd_platform_host(&plat, err)) < 0)
		return -1;
	if (pd_lazy_crypto(err) < 0)
		return -1;
	gc = pd_store_gc_lock(s, false, err); /* prune waits for this import */
	if (gc < 0)
		return -1;
	switch (src->kind) {
	case PD_SRC_OCI_LAYOUT:
		l.dir = open(src->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (l.dir < 0) {
			pd_error_set(err, errno, "open \"%s\"", src->path);
			break;
		}
		if (layout_image(&l, src->tag, &plat, digest, err) == 0) {
			layout_name(src->path, src->tag, name, sizeof(name));
			r = 0;
		}
		close(l.dir);
		break;
	case PD_SRC_OCI_ARCHIVE:
		l.ms = &ms;
		if (members_read(s, src->path, &ms, err) == 0 &&
		    layout_image(&l, src->tag, &plat, digest, err) == 0) {
			layout_name(src->path, src->tag, name, sizeof(name));
			r = 0;
		}
		break;
	case PD_SRC_DOCKER_ARCHIVE:
		if (members_read(s, src->path, &ms, err) == 0 &&
		    docker_image(s, &ms, &src->ref, digest, name, sizeof(name), &plat, err) == 0)
			r = 0;
		break;
	case PD_SRC_DOCKER:
	case PD_SRC_DIR:
	case PD_SRC_HOST:
	default:
		pd_error_set_msg(err, EINVAL, "not a layout or an archive");
		break;
	}
	members_release(s, &ms);
	/* only a name the archive chose; the user's REF or path names as asked */
	if (r == 0 && name[0] && src->kind == PD_SRC_DOCKER_ARCHIVE && !src->ref.registry[0] &&
	    name_taken(s, name, digest))
		name[0] = '\0';
	if (r == 0)
		r = pd_pull_commit(s, &po, digest, &plat, name[0] ? name : NULL, out, err);
	pd_store_unlock(gc);
	if (r < 0)
		return pd_error_wrap(err, "%s:%s", pd_image_src_kind_name(src->kind), src->path);
	return 0;
}
