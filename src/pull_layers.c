/* SPDX-License-Identifier: MIT */
/*
 * pull_layers.c - an image's layers downloaded and unpacked, several at
 * once, each unpacked while it downloads (pull_int.h).
 *
 * Theory of operation
 * -------------------
 * Every layer whose blob or unpacked tree is missing is one job; up to
 * PD_PULL_JOBS run at once, each in a process forked from this one (which
 * stays single-threaded, so that it and the jobs may clone):
 *
 *   paude ─┬─ job (one layer) ─┬─ download (libcurl: threads allowed, never clones)
 *          │                   └─ unpack (as root in the job itself; rootless
 *          │                      in a helper inside the user's namespace)
 *          └─ job ...
 *
 * The download writes the blob into a temporary file of the store and the
 * same bytes into a pipe that the unpack reads, so a layer is decompressed
 * and extracted while it arrives.  Nothing is committed until both ends
 * agree: the download checked the blob's digest and size and renamed it
 * into blobs/, and the unpack found the config's diff_id.  A download that
 * starts over (a retry after a reset or a 5xx) cuts the stream the unpack
 * was reading; the job then unpacks again from the stored blob.  A layer is
 * unpacked under its own lock: a concurrent pull of the same layer waits,
 * then finds it made.
 *
 * Progress: each download counts its bytes into a shared anonymous page
 * that this process draws from while it waits for the jobs.  The first job
 * that fails stops new ones from starting; those running finish (what they
 * commit is whole and verified) and the first error is returned.
 */
#include "pull_int.h"
#include "progress.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/registry.h"
#include "oci/unpack.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct task {
	const struct pd_oci_descriptor *d;
	const char *diff_id;
	size_t row; /* its index in the counters and the progress board */
	bool fetch; /* the blob is not stored */
	pid_t pid;  /* the job, while it runs */
	int fd;     /* its report, while it runs; else -1 */
};

struct ctx {
	struct pd_store *s;
	const struct pd_pull_opts *o;
	const struct pd_pull_source *src;
	int64_t *counts; /* shared: the bytes each download has so far */
};

/* What a download or a job reports over its pipe. */
struct report {
	int ok;
	int cut; /* a download: the stream was cut by a restart */
	struct pd_error err;
};

static void report_send(int fd, const struct report *r)
{
	(void)pd_write_all(fd, r, sizeof(*r));
}

/* Read a child's report and reap it. */
static int report_take(int fd, pid_t pid, struct report *r)
{
	int status = 0;
	ssize_t n = pd_read_all(fd, r, sizeof(*r));

	close(fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*r)) {
		memset(r, 0, sizeof(*r));
		return pd_error_set_msg(&r->err, ECHILD, "pull: a worker died (status %d)", status);
	}
	return r->ok ? 0 : -1;
}

/* ---- the download: into the store's tmp/ and the unpack's pipe ---- */

struct tee {
	int file, pipe;
	int64_t written;
	bool sent, cut;
	int64_t *count;
};

static int tee_write(void *data, const void *buf, size_t n)
{
	struct tee *t = data;

	if (!buf) { /* the download starts again at byte 0 */
		if (ftruncate(t->file, 0) < 0 || lseek(t->file, 0, SEEK_SET) < 0)
			return -1;
		t->written = 0;
		/* bytes already went to the unpack: what it made of them is void,
		 * whether it is still reading (the stream is cut here) or not */
		t->cut = t->cut || t->sent;
		if (t->pipe >= 0 && t->sent) {
			close(t->pipe);
			t->pipe = -1;
		}
		__atomic_store_n(t->count, 0, __ATOMIC_RELAXED);
		return 0;
	}
	if (pd_write_all(t->file, buf, n) < 0)
		return -1;
	if (t->pipe >= 0) {
		/* EPIPE: the unpack stopped early; it reports why */
		if (pd_write_all(t->pipe, buf, n) < 0) {
			close(t->pipe);
			t->pipe = -1;
		} else {
			t->sent = true;
		}
	}
	t->written += (int64_t)n;
	__atomic_store_n(t->count, t->written, __ATOMIC_RELAXED);
	return 0;
}

static int download(const struct ctx *c, const struct task *t, struct tee *tee,
		    struct pd_error *err)
{
	struct pd_registry *reg;
	char tmp[64];
	int r;

	reg = pd_pull_registry(c->o, c->src, err);
	if (!reg)
		return -1;
	tee->file = pd_store_tmp_file(c->s, tmp, sizeof(tmp), err);
	if (tee->file < 0) {
		pd_registry_free(reg);
		return -1;
	}
	r = pd_registry_get_blob(reg, c->src->ref.repository, t->d->digest, t->d->size, tee_write,
				 tee, err);
	pd_registry_free(reg);
	if (r == 0 && fsync(tee->file) < 0)
		r = pd_error_set(err, errno, "write blob %s", t->d->digest);
	close(tee->file);
	tee->file = -1;
	if (r == 0)
		r = pd_store_blob_commit(c->s, tmp, t->d->digest, err);
	if (r < 0) {
		pd_store_tmp_unlink(c->s, tmp);
		pd_error_wrap(err, "blob %s", t->d->digest);
		if (t->d->has_urls)
			pd_error_wrap(err, "foreign layer (its urls are never fetched)");
	}
	return r;
}

/* Start the download of @t's blob in a child; its bytes also go to *@stream. */
static pid_t download_start(const struct ctx *c, const struct task *t, int *stream, int *report_fd,
			    struct pd_error *err)
{
	int p[2] = { -1, -1 }, rep = -1;
	pid_t pid;

	if (stream && pipe2(p, O_CLOEXEC) < 0)
		return pd_error_set(err, errno, "pull: pipe");
	pid = pd_pull_fork(report_fd, &rep, err);
	if (pid == 0) {
		struct report r = { 0 };
		struct tee tee = { .file = -1, .pipe = p[1], .count = &c->counts[t->row] };

		if (p[0] >= 0)
			close(p[0]);
		r.ok = download(c, t, &tee, &r.err) == 0;
		r.cut = tee.cut;
		if (tee.pipe >= 0)
			close(tee.pipe);
		report_send(rep, &r);
		_exit(r.ok ? 0 : 1);
	}
	if (p[1] >= 0)
		close(p[1]);
	if (pid < 0) {
		if (p[0] >= 0)
			close(p[0]);
		return -1;
	}
	if (stream)
		*stream = p[0];
	return pid;
}

/* ---- the unpack ---- */

static enum pd_compression compression_of(const char *media_type)
{
	enum pd_oci_compression c;

	if (pd_oci_layer_compression(media_type, &c) < 0)
		return PD_COMP_AUTO;
	switch (c) {
	case PD_OCI_COMPRESSION_GZIP:
		return PD_COMP_GZIP;
	case PD_OCI_COMPRESSION_ZSTD:
		return PD_COMP_ZSTD;
	case PD_OCI_COMPRESSION_NONE:
	default:
		return PD_COMP_NONE;
	}
}

struct unpack_job {
	int src_fd, dir_fd;
	enum pd_compression comp;
	struct pd_unpack_opts uo;
	const char *want_diff_id;
};

static int unpack_cb(void *data, struct pd_error *err)
{
	struct unpack_job *j = data;
	struct pd_unpack_result res;

	if (pd_unpack_layer(j->src_fd, j->comp, j->dir_fd, &j->uo, &res, err) < 0)
		return -1;
	if (strcmp(res.diff_id, j->want_diff_id) != 0)
		return pd_error_set_msg(err, EBADMSG,
					"layer %s: its content is %s, but the image's config says "
					"%s: not stored",
					j->uo.layer_name, res.diff_id, j->want_diff_id);
	if (res.skipped_devices)
		pd_note("layer %.19s: %llu device nodes skipped (rootless)", j->uo.layer_name,
			(unsigned long long)res.skipped_devices);
	return 0;
}

static bool rootless(const struct pd_pull_opts *o)
{
	return o->ids && o->ids->mode != PD_IDMAP_ROOT;
}

static void tmp_remove(const struct ctx *c, const char *tmp)
{
	struct pd_error e2 = { 0 };

	if (c->o->ids)
		(void)pd_layer_remove(tmp, c->o->ids, &e2);
}

/* Unpack the layer @src_fd streams into a new directory of tmp/ (@tmp). */
static int unpack_tmp(const struct ctx *c, const struct task *t, int src_fd, char *tmp, size_t cap,
		      struct pd_error *err)
{
	struct unpack_job j = { .src_fd = src_fd, .dir_fd = -1 };
	int r;

	if (pd_store_tmp_dir(c->s, tmp, cap, err) < 0)
		return -1;
	j.dir_fd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (j.dir_fd < 0) {
		r = pd_error_set(err, errno, "open \"%s\"", tmp);
		tmp_remove(c, tmp);
		return r;
	}
	j.comp = compression_of(t->d->media_type);
	j.uo.rootless = rootless(c->o);
	j.uo.squash_ids = j.uo.rootless && c->o->ids->mode == PD_IDMAP_SINGLE;
	j.uo.layer_name = t->d->digest;
	j.uo.limit_hint = "the limits are set in oci/unpack.h (PD_UNPACK_*_DEFAULT)";
	j.want_diff_id = t->diff_id;
	r = j.uo.rootless ? pd_userns_helper_plan(c->o->ids, unpack_cb, &j, err)
			  : unpack_cb(&j, err);
	close(j.dir_fd);
	if (r < 0)
		tmp_remove(c, tmp);
	return r;
}

static int unpack_stored(const struct ctx *c, const struct task *t, char *tmp, size_t cap,
			 struct pd_error *err)
{
	int fd = pd_store_blob_open(c->s, t->d->digest, err), r;

	if (fd < 0)
		return -1;
	r = unpack_tmp(c, t, fd, tmp, cap, err);
	close(fd);
	return r;
}

/* ---- one job: a layer's blob and tree ---- */

static int job(const struct ctx *c, const struct task *t, struct pd_error *err)
{
	char tmp[4096] = "";
	struct report dl = { .ok = 1 };
	bool unpack = !pd_store_has_layer(c->s, t->diff_id);
	int lock = -1, stream = -1, dl_fd = -1, r = 0;
	pid_t dl_pid = -1;

	if (unpack) {
		lock = pd_store_lock(c->s, pd_store_hex(t->diff_id), err);
		if (lock < 0)
			return -1;
		unpack = !pd_store_has_layer(c->s, t->diff_id); /* made meanwhile? */
	}
	if (t->fetch) {
		dl_pid = download_start(c, t, unpack ? &stream : NULL, &dl_fd, err);
		if (dl_pid < 0) {
			pd_store_unlock(lock);
			return -1;
		}
	}
	if (unpack)
		r = t->fetch ? unpack_tmp(c, t, stream, tmp, sizeof(tmp), err)
			     : unpack_stored(c, t, tmp, sizeof(tmp), err);
	if (stream >= 0)
		close(stream); /* a download still writing gets EPIPE and goes on */
	if (dl_pid > 0 && report_take(dl_fd, dl_pid, &dl) < 0) {
		if (unpack && r == 0)
			tmp_remove(c, tmp);
		*err = dl.err; /* the download's failure explains the unpack's */
		r = -1;
	} else if (unpack && r < 0 && dl.cut) {
		/* the stream was cut by a retry: the stored blob is whole now */
		pd_error_clear(err);
		r = unpack_stored(c, t, tmp, sizeof(tmp), err);
	}
	if (unpack && r == 0) {
		r = pd_store_layer_commit(c->s, tmp, t->diff_id, err);
		if (r <= 0) /* failed, or made by another pull meanwhile: drop ours */
			tmp_remove(c, tmp);
		r = r < 0 ? -1 : 0;
	}
	pd_store_unlock(lock);
	return r;
}

static int job_start(const struct ctx *c, struct task *t, struct pd_error *err)
{
	int rep = -1;
	pid_t pid = pd_pull_fork(&t->fd, &rep, err);

	if (pid == 0) {
		struct report r = { 0 };

		r.ok = job(c, t, &r.err) == 0;
		report_send(rep, &r);
		_exit(r.ok ? 0 : 1);
	}
	if (pid < 0)
		return -1;
	t->pid = pid;
	return 0;
}

/* ---- the jobs, PD_PULL_JOBS at a time ---- */

static bool same_layer(const struct task *t, const struct pd_oci_descriptor *d, const char *diff_id)
{
	return strcmp(t->d->digest, d->digest) == 0 && strcmp(t->diff_id, diff_id) == 0;
}

/* The jobs @m needs, into @tasks; their count. */
static size_t plan(const struct ctx *c, const struct pd_oci_manifest *m,
		   const struct pd_oci_config *cfg, struct task *tasks)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_layers; i++) {
		const struct pd_oci_descriptor *d = &m->layers[i];
		bool fetch = !pd_store_has_blob(c->s, d->digest), dup = false;

		if (!fetch && pd_store_has_layer(c->s, cfg->diff_ids[i]))
			continue;
		for (size_t k = 0; k < n && !dup; k++)
			dup = same_layer(&tasks[k], d, cfg->diff_ids[i]);
		if (dup) /* one layer twice in an image: one job */
			continue;
		tasks[n] = (struct task){
			.d = d, .diff_id = cfg->diff_ids[i], .row = n, .fetch = fetch, .fd = -1
		};
		n++;
	}
	return n;
}

/* Load what the unpacks need here, once, so every job and helper inherits it. */
static int load_libraries(const struct ctx *c, const struct task *tasks, size_t n,
			  struct pd_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (!pd_store_has_layer(c->s, tasks[i].diff_id) &&
		    pd_unpack_load(compression_of(tasks[i].d->media_type), err) < 0)
			return -1;
	return 0;
}

static void munmap_counts(int64_t **p)
{
	if (*p && *p != MAP_FAILED)
		munmap(*p, PD_OCI_LAYERS_MAX * sizeof(int64_t));
}

/* Kill and reap the jobs still running (what they leave is in tmp/ only). */
static void stop_all(struct task **run, size_t running)
{
	for (size_t k = 0; k < running; k++) {
		struct report r;

		(void)kill(run[k]->pid, SIGKILL);
		(void)report_take(run[k]->fd, run[k]->pid, &r);
		run[k]->fd = -1;
	}
}

int pd_pull_layers(struct pd_store *s, const struct pd_pull_opts *o,
		   const struct pd_pull_source *src, const struct pd_oci_manifest *m,
		   const struct pd_oci_config *cfg, struct pd_error *err)
{
	cleanup_free struct task *tasks = NULL;
	int64_t *counts __attribute__((cleanup(munmap_counts))) = NULL;
	struct ctx c = { .s = s, .o = o, .src = src };
	struct pd_progress_board board;
	struct pollfd pfd[PD_PULL_JOBS];
	struct task *run[PD_PULL_JOBS];
	size_t n, next = 0, running = 0;
	bool failed = false;

	if (m->n_layers > PD_OCI_LAYERS_MAX)
		return pd_error_set_msg(err, E2BIG, "%zu layers: at most %d", m->n_layers,
					PD_OCI_LAYERS_MAX);
	tasks = pd_xcalloc(m->n_layers ? m->n_layers : 1, sizeof(*tasks));
	n = plan(&c, m, cfg, tasks);
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (tasks[i].fetch && !src)
			return pd_error_set_msg(err, ENOENT, "blob %s is not stored",
						tasks[i].d->digest);
	if (load_libraries(&c, tasks, n, err) < 0)
		return -1;
	counts = mmap(NULL, PD_OCI_LAYERS_MAX * sizeof(int64_t), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return pd_error_set(err, errno, "pull: mmap");
	c.counts = counts;
	if (rootless(o) && o->ids->mode == PD_IDMAP_SINGLE)
		pd_note("no subuid range: every file of the image's layers is owned by you");
	pd_progress_board_begin(&board, o->quiet, n);
	while (next < n || running > 0) {
		while (!failed && running < PD_PULL_JOBS && next < n) {
			struct task *t = &tasks[next++];

			if (job_start(&c, t, err) < 0) {
				failed = true;
				break;
			}
			if (t->fetch)
				pd_progress_board_start(&board, t->row, "blob", t->d->digest,
							t->d->size);
			run[running++] = t;
		}
		if (running == 0)
			break;
		for (size_t k = 0; k < running; k++)
			pfd[k] = (struct pollfd){ .fd = run[k]->fd, .events = POLLIN };
		if (poll(pfd, running, board.tty ? 100 : -1) < 0 && errno != EINTR) {
			pd_error_set(err, errno, "pull: poll");
			stop_all(run, running);
			pd_progress_board_end(&board);
			return -1;
		}
		for (size_t k = 0; k < running; k++)
			pd_progress_board_set(&board, run[k]->row,
					      __atomic_load_n(&counts[run[k]->row],
							      __ATOMIC_RELAXED));
		for (size_t k = running; k-- > 0;) {
			struct task *t = run[k];
			struct report r;

			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (report_take(t->fd, t->pid, &r) < 0 && !failed) {
				*err = r.err;
				pd_error_wrap(err, "layer %s", t->d->digest);
				failed = true;
			}
			t->fd = -1;
			pd_progress_board_finish(&board, t->row, r.ok);
			run[k] = run[--running];
			pfd[k] = pfd[running];
		}
		pd_progress_board_draw(&board, false);
	}
	pd_progress_board_end(&board);
	return failed ? -1 : 0;
}
