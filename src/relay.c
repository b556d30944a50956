/* SPDX-License-Identifier: MIT */
/*
 * relay.c - paude's stdio and a sandboxed command's, on the owner's loop.
 *
 * Theory of operation
 * -------------------
 * The command never holds one of the host's fds: its stdio are pipes (or,
 * with -t, a pty of the sandbox's own devpts) whose other ends the relay
 * keeps and pumps to and from paude's own stdio.  A host terminal given to
 * the sandbox as a plain fd could otherwise be read (keystrokes typed at the
 * shell) and reconfigured by the sandbox.
 *
 * A pump moves one chunk at a time: it reads only when its buffer is empty
 * and writes only when the other side can take it, so back-pressure reaches
 * the sandbox, and every callback does a bounded amount of work: a flooding
 * command cannot make paude deaf to Ctrl-C or SIGTERM.  Each fd is one
 * "end" registered once with the loop; an end serves at most one reading
 * and one writing pump (the pty master serves both).  Regular files and the
 * like, which epoll refuses, are always ready: a pump writes to them at once,
 * or reads from them whenever its other side can take more.
 *
 * paude writes its own stdout and stderr through new, non-blocking open file
 * descriptions of them (reopened through /proc/self/fd, so the caller's flags
 * never change); a stalled reader then stalls the sandbox, not paude.  A
 * reader that goes away (EPIPE) ends the pump and closes the sandbox's end,
 * which then gets EPIPE too; any other write error is paude's failure.
 *
 * Once the command's side is gone (pd_relay_drain), the output still in the
 * pipes or the pty is relayed to its end, however slow the reader; a source
 * that stays idle without an end (held outside the sandbox) is given up
 * after DRAIN_IDLE_MS, and, when paude was asked to stop, anything that does
 * not move for that long.  The host terminal is restored (pending input
 * discarded) by pd_relay_free(), whatever happened.
 */
#include "relay.h"
#include "tty.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#define DRAIN_IDLE_MS 200
#define MAX_PUMPS 3
#define MAX_ENDS 6
#define ROUNDS 4 /* read+write rounds per callback with an always-ready side */

struct pump;

struct end {
	struct pd_relay *r;
	int fd;
	bool owned;  /* the relay closes it */
	bool always; /* epoll refuses it: always ready */
	struct pd_loop_source *src;
	struct pump *rd, *wr;
};

struct pump {
	struct end *from, *to;
	bool to_sandbox;
	bool dst_is_socket; /* write with send(MSG_DONTWAIT) */
	size_t chunk;       /* largest write, 0 = no limit */
	bool done, moved;
	int werr;   /* a write error other than EPIPE */
	int out_fd; /* paude's output it writes (1, 2), 0 for input */
	char last;  /* the last byte written, '\0' before any */
	char buf[16384];
	size_t len, off;
};

struct host_output {
	int fd;
	bool is_socket;
	size_t chunk;
};

struct pd_relay {
	struct pd_loop *loop;
	struct host_output out[3]; /* [1], [2]: paude's stdout and stderr */
	struct end ends[MAX_ENDS];
	size_t n_ends;
	struct pump pumps[MAX_PUMPS];
	size_t n_pumps;
	struct end *master; /* -t: the pty master's end */
	struct pd_tty tty;
	bool draining, stopping;
	struct pd_loop_source *timer;
	void (*done)(void *data);
	void *done_data;
};

static void pump_run(struct pump *p, bool can_read, bool can_write);

/*
 * A writable description of host fd @fd that never blocks paude: a new open
 * of it through /proc (ttys, pipes, FIFOs) with O_NONBLOCK.  Regular files
 * and block devices never block for long; sockets get send(MSG_DONTWAIT).
 * When the reopen fails, writes are kept small enough that readiness
 * promises they do not block (a pipe page; a few bytes of a terminal's room).
 */
static void host_output_open(struct host_output *o, int fd)
{
	struct stat st;
	char path[32];

	o->is_socket = false;
	o->chunk = 0;
	o->fd = -1;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		if (S_ISSOCK(st.st_mode)) {
			o->is_socket = true;
		} else {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			o->fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
			if (o->fd < 0)
				o->chunk = S_ISFIFO(st.st_mode) ? PIPE_BUF : 256;
		}
	}
	if (o->fd < 0)
		o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

struct pd_relay *pd_relay_new(struct pd_loop *loop)
{
	struct pd_relay *r = pd_xcalloc(1, sizeof(*r));

	r->loop = loop;
	r->tty.fd = -1;
	r->out[0].fd = -1;
	host_output_open(&r->out[1], STDOUT_FILENO);
	host_output_open(&r->out[2], STDERR_FILENO);
	return r;
}

static void end_update(struct end *e)
{
	uint32_t ev = 0;
	struct pd_error ignore;

	if (!e->src)
		return;
	if (e->rd && !e->rd->done && e->rd->len == 0)
		ev |= EPOLLIN;
	/* Towards an always-ready source, writability drives its reads too. */
	if (e->wr && !e->wr->done && (e->wr->len > 0 || e->wr->from->always))
		ev |= EPOLLOUT;
	(void)pd_loop_fd_set_events(e->src, ev, &ignore);
}

static void end_cb(struct pd_loop_source *src, uint32_t events, void *data)
{
	struct end *e = data;
	struct pump *rd = e->rd, *wr = e->wr;

	(void)src;
	if (rd && !rd->done && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		pump_run(rd, true, false);
	/* The read may have ended the end (a hung-up pty): look again. */
	if (wr && e->wr == wr && !wr->done && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
		pump_run(wr, false, true);
}

/* The end of @fd (registered once), or NULL with @err. */
static struct end *end_get(struct pd_relay *r, int fd, bool owned, const char *name,
			   struct pd_error *err)
{
	struct end *e;

	for (size_t i = 0; i < r->n_ends; i++)
		if (r->ends[i].fd == fd)
			return &r->ends[i];
	if (r->n_ends == MAX_ENDS) {
		pd_error_set(err, ENOSPC, "relay: too many fds");
		return NULL;
	}
	e = &r->ends[r->n_ends++];
	*e = (struct end){ .r = r, .fd = fd, .owned = owned };
	e->src = pd_loop_add_fd(r->loop, fd, 0, end_cb, e, name, err);
	if (!e->src) {
		if (err->code != EPERM) {
			r->n_ends--;
			return NULL;
		}
		e->always = true; /* a regular file or the like */
	}
	return e;
}

/* The end serves no pump any more: unregister it, close it if it is ours. */
static void end_release(struct end *e)
{
	if (e->rd && !e->rd->done)
		return;
	if (e->wr && !e->wr->done)
		return;
	pd_loop_remove(e->src);
	e->src = NULL;
	if (e->owned && e->fd >= 0)
		pd_close(e->fd);
	e->fd = -1;
}

static bool outputs_done(const struct pd_relay *r)
{
	for (size_t i = 0; i < r->n_pumps; i++)
		if (!r->pumps[i].to_sandbox && !r->pumps[i].done)
			return false;
	return true;
}

static void check_drained(struct pd_relay *r)
{
	void (*done)(void *data) = r->done;

	if (!r->draining || !done || !outputs_done(r))
		return;
	r->done = NULL;
	pd_loop_remove(r->timer);
	r->timer = NULL;
	done(r->done_data);
}

/*
 * The host's stdin ended under -t -i: type the pty's end-of-file character,
 * as docker does (twice after a partial line: the first one only ends the
 * line), so `echo hi | paude run -t -i IMG cat` ends.  Best effort.
 */
static void pty_send_eof(int master, char last)
{
	struct termios t;
	char eof[2];

	if (tcgetattr(master, &t) < 0 || !(t.c_lflag & ICANON))
		return; /* a raw-mode reader gets no end-of-file from a byte */
	eof[0] = eof[1] = (char)t.c_cc[VEOF];
	if (write(master, eof, last == '\n' || last == '\0' ? 1 : 2) < 0) {
		/* the pty is gone or full: nothing more to end */
	}
}

static void pump_finish(struct pump *p)
{
	struct pd_relay *r = p->from->r;
	struct end *m = r->master;

	if (p->done)
		return;
	p->done = true;
	p->len = p->off = 0;
	if (p->to_sandbox && p->to == m)
		pty_send_eof(m->fd, p->last);
	if (!p->to_sandbox && p->from == m) {
		/* The pty's output is gone (or nobody reads it): hang the pty
		 * up, which the sandbox sees as SIGHUP; the input ends too. */
		if (m->wr && !m->wr->done) {
			m->wr->done = true;
			end_release(m->wr->from);
		}
		r->master = NULL;
	}
	end_release(p->from);
	end_release(p->to);
	end_update(p->from);
	end_update(p->to);
	check_drained(r);
}

/* Read one chunk; false when the pump ended. */
static bool pump_read(struct pump *p)
{
	ssize_t n = read(p->from->fd, p->buf, sizeof(p->buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) { /* EOF, or EIO on a pty master: the writers are gone */
		pump_finish(p);
		return false;
	}
	p->len = (size_t)n;
	p->off = 0;
	p->moved = true;
	return true;
}

/* Write what the destination takes now; false when the pump ended. */
static bool pump_write(struct pump *p)
{
	size_t want = p->len - p->off;
	ssize_t n;

	if (p->chunk && want > p->chunk)
		want = p->chunk;
	if (p->dst_is_socket)
		n = send(p->to->fd, p->buf + p->off, want, MSG_DONTWAIT | MSG_NOSIGNAL);
	else
		n = write(p->to->fd, p->buf + p->off, want);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) { /* EPIPE and friends: that side is gone */
		if (n < 0 && errno != EPIPE && !p->to_sandbox)
			p->werr = errno;
		pump_finish(p);
		return false;
	}
	p->off += (size_t)n;
	p->last = p->buf[p->off - 1];
	p->moved = true;
	if (p->off == p->len)
		p->len = p->off = 0;
	return true;
}

/*
 * One bounded step of a pump: a read when its buffer is empty and the source
 * is ready, a write when it has data and the destination is.  An always-ready
 * side does not wait for an event: a few rounds are done at once.
 */
static void pump_run(struct pump *p, bool can_read, bool can_write)
{
	for (int round = 0; round < ROUNDS && !p->done; round++) {
		bool did = false;

		if (p->len == 0 && (can_read || p->from->always)) {
			if (!pump_read(p))
				return;
			did = p->len > 0;
			can_read = false;
		}
		if (p->len > 0 && (can_write || p->to->always)) {
			if (!pump_write(p))
				return;
			did = true;
			can_write = false;
		}
		if (!did || !(p->from->always || p->to->always))
			break;
	}
	end_update(p->from);
	end_update(p->to);
}

static struct pump *pump_add(struct pd_relay *r, struct end *from, struct end *to, bool to_sandbox,
			     int out_fd)
{
	struct pump *p = &r->pumps[r->n_pumps++];

	memset(p, 0, sizeof(*p));
	p->from = from;
	p->to = to;
	p->to_sandbox = to_sandbox;
	p->out_fd = out_fd;
	from->rd = p;
	to->wr = p;
	if (!to_sandbox) {
		p->dst_is_socket = r->out[out_fd].is_socket;
		p->chunk = r->out[out_fd].chunk;
	}
	end_update(from);
	end_update(to);
	if (from->always)
		pump_run(p, false, false); /* nothing will wake it otherwise */
	return p;
}

/* A pump from the sandbox's @fd (the relay's) to paude's output @out_fd. */
static int add_output(struct pd_relay *r, int fd, int out_fd, struct pd_error *err)
{
	struct end *from, *to;

	if (r->n_pumps == MAX_PUMPS || r->out[out_fd].fd < 0)
		return pd_error_set(err, EBADF, "relay: paude's fd %d", out_fd);
	from = end_get(r, fd, true, out_fd == 1 ? "stdout pipe" : "stderr pipe", err);
	to = from ? end_get(r, r->out[out_fd].fd, false, out_fd == 1 ? "stdout" : "stderr", err)
		  : NULL;
	if (!to)
		return -1;
	pump_add(r, from, to, false, out_fd);
	return 0;
}

/* A pump from paude's stdin to the sandbox's @fd (the relay's). */
static int add_input(struct pd_relay *r, int fd, struct pd_error *err)
{
	struct end *from, *to;

	if (r->n_pumps == MAX_PUMPS)
		return pd_error_set(err, ENOSPC, "relay: too many pumps");
	from = end_get(r, STDIN_FILENO, false, "stdin", err);
	to = from ? end_get(r, fd, true, "stdin pipe", err) : NULL;
	if (!to)
		return -1;
	pump_add(r, from, to, true, 0);
	return 0;
}

/*
 * paude's stdout and stderr are one and the same (2>&1, or one terminal):
 * then the command gets one pipe for both, so their order is kept.
 */
bool pd_relay_same_output(void)
{
	struct stat a, b;
	long k = syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, STDOUT_FILENO, STDERR_FILENO);

	if (k == 0)
		return true;
	return fstat(STDOUT_FILENO, &a) == 0 && fstat(STDERR_FILENO, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int pd_relay_pipes(struct pd_relay *r, bool interactive, int child[3], struct pd_error *err)
{
	bool shared = pd_relay_same_output();

	child[0] = child[1] = child[2] = -1;
	for (int i = 0; i < 3; i++) {
		int p[2], mine;

		if ((i == 0 && !interactive) || (i == 2 && shared))
			continue;
		if (pipe2(p, O_CLOEXEC) < 0)
			return pd_error_set(err, errno, "stdio pipe");
		/* stdin: the command reads p[0]; stdout/stderr: it writes p[1]. */
		child[i] = i == 0 ? p[0] : p[1];
		mine = i == 0 ? p[1] : p[0];
		if (fcntl(mine, F_SETFL, O_NONBLOCK) < 0) {
			pd_close(mine);
			return pd_error_set(err, errno, "stdio pipe");
		}
		if ((i == 0 ? add_input(r, mine, err) : add_output(r, mine, i, err)) < 0) {
			pd_close(mine);
			return -1;
		}
	}
	/* One pipe for both: the command's stderr is a second fd of it. */
	if (shared && child[1] >= 0) {
		child[2] = fcntl(child[1], F_DUPFD_CLOEXEC, 3);
		if (child[2] < 0)
			return pd_error_set(err, errno, "stdio pipe");
	}
	return 0;
}

int pd_relay_fds(struct pd_relay *r, int in, int out, int errout, struct pd_error *err)
{
	const int fds[3] = { in, out, errout };
	int r2 = 0;

	for (int i = 0; i < 3; i++) {
		if (fds[i] < 0)
			continue;
		if (r2 < 0 || fcntl(fds[i], F_SETFL, O_NONBLOCK) < 0) {
			if (r2 == 0)
				r2 = pd_error_set(err, errno, "stdio pipe");
			pd_close(fds[i]);
			continue;
		}
		if ((i == 0 ? add_input(r, fds[i], err) : add_output(r, fds[i], i, err)) < 0) {
			pd_close(fds[i]);
			r2 = -1;
		}
	}
	return r2;
}

int pd_relay_pty(struct pd_relay *r, int master, bool interactive, struct pd_error *err)
{
	struct end *m;

	if (r->master || r->n_pumps + 2 > MAX_PUMPS) {
		pd_close(master);
		return pd_error_set(err, EBUSY, "relay: a second pty");
	}
	if (fcntl(master, F_SETFL, O_NONBLOCK) < 0) {
		pd_close(master);
		return pd_error_set(err, errno, "pty master");
	}
	m = end_get(r, master, true, "pty", err);
	if (!m) {
		pd_close(master);
		return -1;
	}
	r->master = m;
	if (add_output(r, master, 1, err) < 0)
		return -1;
	if (interactive) {
		struct end *in = end_get(r, STDIN_FILENO, false, "stdin", err);

		if (!in)
			return -1;
		pump_add(r, in, m, true, 0);
		pd_tty_make_raw(&r->tty, STDIN_FILENO);
	}
	return 0;
}

bool pd_relay_winsize(struct winsize *ws)
{
	return ioctl(STDIN_FILENO, TIOCGWINSZ, ws) == 0;
}

void pd_relay_resize(struct pd_relay *r)
{
	struct winsize ws;

	if (r->master && pd_relay_winsize(&ws))
		(void)ioctl(r->master->fd, TIOCSWINSZ, &ws);
}

/* Every DRAIN_IDLE_MS while draining: give up what did not move. */
static void drain_tick(struct pd_loop_source *src, uint64_t expirations, void *data)
{
	struct pd_relay *r = data;

	(void)src;
	(void)expirations;
	for (size_t i = 0; i < r->n_pumps; i++) {
		struct pump *p = &r->pumps[i];

		if (p->to_sandbox || p->done)
			continue;
		if (!p->moved && (r->stopping || p->len == 0))
			pump_finish(p); /* may call done: r->timer is gone then */
		else
			p->moved = false;
	}
}

void pd_relay_drain(struct pd_relay *r, bool stopping, void (*done)(void *data), void *data)
{
	struct pd_error ignore;

	r->stopping |= stopping;
	if (r->draining)
		return; /* already; now perhaps stopping too */
	r->draining = true;
	r->done = done;
	r->done_data = data;
	for (size_t i = 0; i < r->n_pumps; i++)
		r->pumps[i].moved = false;
	r->timer = pd_loop_add_timer(r->loop, DRAIN_IDLE_MS, true, drain_tick, r, "drain", &ignore);
	if (!r->timer) {
		/* No timer: nothing is waited for. */
		for (size_t i = 0; i < r->n_pumps; i++)
			if (!r->pumps[i].to_sandbox)
				pump_finish(&r->pumps[i]);
	}
	check_drained(r);
}

int pd_relay_error(const struct pd_relay *r, struct pd_error *err)
{
	for (size_t i = 0; i < r->n_pumps; i++)
		if (r->pumps[i].werr)
			return pd_error_set(err, r->pumps[i].werr,
					    "write the command's output to paude's %s",
					    r->pumps[i].out_fd == 2 ? "stderr" : "stdout");
	return 0;
}

void pd_relay_free(struct pd_relay *r)
{
	if (!r)
		return;
	pd_tty_restore(&r->tty);
	pd_loop_remove(r->timer);
	for (size_t i = 0; i < r->n_ends; i++) {
		pd_loop_remove(r->ends[i].src);
		if (r->ends[i].owned)
			pd_close(r->ends[i].fd);
	}
	pd_close(r->out[1].fd);
	pd_close(r->out[2].fd);
	free(r);
}
