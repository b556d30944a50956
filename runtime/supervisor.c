/* SPDX-License-Identifier: MIT */
/*
 * supervisor.c - paude on the host while the sandbox runs.
 *
 * The command never holds one of the host's fds: its stdio are pipes (or,
 * with -t, a pty of the sandbox's own devpts) whose other ends paude keeps
 * and pumps to and from its own stdio.  A host terminal given to the
 * sandbox as a plain fd could otherwise be read (keystrokes typed at the
 * shell) and reconfigured by the sandbox.
 *
 * One poll loop over:
 *  - the sync socket: an ERROR from a step inside is kept (the first one
 *    wins); PTY hands over the pty master; EOF means the command was exec'd
 *    or the sandbox is gone;
 *  - a signalfd of the forwarded signals: SIGWINCH resizes the pty, the rest
 *    go to the sandbox's init (pidfd_send_signal), which passes them on;
 *  - init's pidfd: when it exits, its status is the command's;
 *  - the pumps.  A pump moves one chunk at a time: it reads only when its
 *    buffer is empty and writes only when poll says the other side can take
 *    it, so back-pressure reaches the sandbox, and every wake-up of the loop
 *    does a bounded amount of work before signals and the pidfd are looked
 *    at again: a flooding command cannot make paude deaf to Ctrl-C or
 *    SIGTERM.  paude writes its own stdout and stderr through new,
 *    non-blocking open file descriptions of them (reopened through
 *    /proc/self/fd, so the caller's flags never change); a stalled reader
 *    then stalls the sandbox, not paude.  A reader that goes away (EPIPE)
 *    ends the pump and closes the sandbox's end, which then gets EPIPE too.
 * When init exits, the output still in the pipes or the pty is drained to
 * its end, however slow paude's reader; only a source that stays idle without
 * an end (held by someone outside) is given up.  A write error other than
 * EPIPE on paude's own output is paude's failure, reported as such.  The host terminal is restored
 * before returning, whatever happened.
 */
#include "sandbox.h"
#include "sync.h"
#include "tty.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DRAIN_IDLE_MS 200
#define MAX_PUMPS 3

struct pump {
	int src, dst;
	bool to_sandbox;       /* host stdin -> sandbox; else sandbox -> host */
	bool dst_is_socket;    /* write with send(MSG_DONTWAIT) */
	size_t chunk;          /* largest write, 0 = no limit (see pd_host_output_open) */
	bool done;
	int werr;              /* a write error other than EPIPE (paude's output failed) */
	int out_fd;            /* which of paude's outputs (1, 2), 0 for stdin */
	char last;             /* the last byte written, '\0' before any */
	char buf[16384];
	size_t len, off;       /* bytes read and not yet written */
};

struct pumps {
	struct pump p[MAX_PUMPS];
	size_t n;
	int master;            /* -t: the pty master (shared by two pumps), else -1 */
};

/*
 * A writable description of host fd @fd that never blocks paude: a new open
 * of it through /proc (ttys, pipes, FIFOs) with O_NONBLOCK.  This must run
 * while paude is still dumpable (its /proc/self/fd is root's afterwards).
 * Regular files and block devices never block for long; sockets get
 * send(MSG_DONTWAIT).  When the reopen fails, writes are kept small enough
 * that poll's POLLOUT promises they do not block (a pipe page; a few bytes
 * of a terminal's room).
 */
void pd_host_output_open(struct pd_host_output *o, int fd)
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

static struct pump *pump_add(struct pumps *ps, int src, int dst, bool to_sandbox)
{
	struct pump *p = &ps->p[ps->n++];

	memset(p, 0, sizeof(*p));
	p->src = src;
	p->dst = dst;
	p->to_sandbox = to_sandbox;
	return p;
}

/* A pump from the sandbox to one of paude's own outputs. */
static void pump_add_out(struct pumps *ps, int src, const struct pd_host_output *o, int out_fd)
{
	struct pump *p = pump_add(ps, src, o->fd, false);

	p->out_fd = out_fd;
	p->dst_is_socket = o->is_socket;
	p->chunk = o->chunk;
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
		return;   /* a raw-mode reader gets no end-of-file from a byte */
	eof[0] = eof[1] = (char)t.c_cc[VEOF];
	if (write(master, eof, last == '\n' || last == '\0' ? 1 : 2) < 0) {
		/* the pty is gone or full: nothing more to end */
	}
}

/* A pump ends.  Its sandbox-side end is closed: EOF on the command's stdin,
 * EPIPE on its stdout when nobody reads paude's. */
static void pump_finish(struct pumps *ps, struct pump *p)
{
	if (p->done)
		return;
	p->done = true;
	p->len = p->off = 0;
	if (p->to_sandbox && p->dst == ps->master && ps->master >= 0)
		pty_send_eof(ps->master, p->last);
	if (p->to_sandbox && p->dst != ps->master)
		pd_close(p->dst);
	if (!p->to_sandbox && p->src != ps->master)
		pd_close(p->src);
	if (!p->to_sandbox && p->src == ps->master && ps->master >= 0) {
		/* The pty's output is gone (or nobody reads it): hang the pty up,
		 * which the sandbox sees as SIGHUP, and end the input pump too. */
		for (size_t i = 0; i < ps->n; i++)
			if (ps->p[i].dst == ps->master)
				ps->p[i].done = true;
		pd_close(ps->master);
		ps->master = -1;
	}
}

/* One step of a pump: read a chunk when empty, or write what is buffered. */
static void pump_step(struct pumps *ps, struct pump *p, short revents)
{
	ssize_t n;

	if (p->len == 0) {
		if (!(revents & (POLLIN | POLLHUP | POLLERR)))
			return;
		n = read(p->src, p->buf, sizeof(p->buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) {   /* EOF, or EIO on a pty master: the writers are gone */
			pump_finish(ps, p);
			return;
		}
		p->len = (size_t)n;
		p->off = 0;
		return;   /* written when the other side polls writable */
	}
	if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
		return;
	{
		size_t want = p->len - p->off;

		if (p->chunk && want > p->chunk)
			want = p->chunk;
		if (p->dst_is_socket)
			n = send(p->dst, p->buf + p->off, want, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(p->dst, p->buf + p->off, want);
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {   /* EPIPE and friends: that side is gone */
		if (n < 0 && errno != EPIPE && !p->to_sandbox)
			p->werr = errno;
		pump_finish(ps, p);
		return;
	}
	p->off += (size_t)n;
	p->last = p->buf[p->off - 1];
	if (p->off == p->len)
		p->len = p->off = 0;
}

/* The pollfd a pump waits on now. */
static struct pollfd pump_poll(const struct pump *p)
{
	if (p->len)
		return (struct pollfd){ .fd = p->dst, .events = POLLOUT };
	return (struct pollfd){ .fd = p->src, .events = POLLIN };
}

/* A signal that asks paude to stop (as opposed to SIGWINCH, SIGUSR1...). */
static bool is_stop_signal(uint32_t sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}

static void on_signal(int sigfd, int pidfd, const struct pumps *ps, bool *stopping)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		*stopping |= is_stop_signal(si.ssi_signo);
		if (si.ssi_signo == SIGWINCH) {
			struct winsize ws;

			if (ps->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
				(void)ioctl(ps->master, TIOCSWINSZ, &ws);
			continue;
		}
		(void)pd_pidfd_send_signal(pidfd, (int)si.ssi_signo);
	}
}

/* Returns false once the sync socket is closed. */
static bool on_sync(struct pd_sandbox *sb, struct pumps *ps, struct pd_tty *tty,
		    struct pd_error *child_err, bool *have_err)
{
	struct pd_sync_msg m;
	int n = pd_sync_recv(sb->sync, &m);

	if (n <= 0)
		return false;
	switch (m.type) {
	case PD_SYNC_ERROR:
		if (!*have_err) {
			child_err->code = m.code;
			child_err->status = m.status;
			memcpy(child_err->msg, m.text, sizeof(child_err->msg));
			child_err->msg[sizeof(child_err->msg) - 1] = '\0';
			*have_err = true;
		}
		break;
	case PD_SYNC_PTY:
		if (m.fd >= 0 && ps->master < 0 && sb->spec->tty && ps->n + 2 <= MAX_PUMPS) {
			ps->master = steal_fd(&m.fd);
			(void)fcntl(ps->master, F_SETFL, O_NONBLOCK);
			pump_add_out(ps, ps->master, &sb->host_out[1], 1);
			if (sb->spec->interactive) {
				pump_add(ps, STDIN_FILENO, ps->master, true);
				pd_tty_make_raw(tty, STDIN_FILENO);
			}
		}
		break;
	default:
		break;
	}
	pd_close(m.fd);
	return true;
}

/*
 * After init exited: the rest of the output, to its end, however slowly
 * paude's readers take it.  Every process of the sandbox is gone, so a pipe
 * or pty that gives no end-of-file once empty is held by someone outside
 * (an end passed out through a volume's socket): a source that stays idle
 * for DRAIN_IDLE_MS is given up, a reader that is slow never is - unless
 * paude was asked to stop (@stopping, or a stop signal now): then whatever
 * does not move within DRAIN_IDLE_MS is dropped.
 */
static void drain(struct pumps *ps, int sigfd, bool stopping)
{
	for (;;) {
		struct pollfd pf[MAX_PUMPS + 1];
		struct pump *who[MAX_PUMPS];
		bool idle_bound = stopping;
		nfds_t n = 0;
		int r;

		for (size_t i = 0; i < ps->n; i++) {
			if (ps->p[i].done || ps->p[i].to_sandbox)
				continue;
			who[n] = &ps->p[i];
			pf[n++] = pump_poll(&ps->p[i]);
			idle_bound |= ps->p[i].len == 0;
		}
		if (n == 0)
			return;
		pf[n] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		r = poll(pf, n + 1, idle_bound ? DRAIN_IDLE_MS : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return;
		if (pf[n].revents) {
			struct signalfd_siginfo si;

			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				stopping |= is_stop_signal(si.ssi_signo);
		}
		for (nfds_t i = 0; i < n; i++) {
			if (pf[i].revents)
				pump_step(ps, who[i], pf[i].revents);
			else if (r == 0 && (stopping || who[i]->len == 0))
				pump_finish(ps, who[i]);   /* idle: not ours to wait for */
		}
	}
}

static void close_pumps(struct pumps *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		pump_finish(ps, &ps->p[i]);
	pd_close(ps->master);
	ps->master = -1;
}

int pd_supervise(struct pd_sandbox *sb, int pidfd, int sigfd, int *exit_status,
		 struct pd_error *err)
{
	struct pumps ps = { .master = -1 };
	struct pd_tty tty = { .fd = -1 };
	struct pd_error child_err = { 0 };
	bool have_err = false, sync_open = true, exited = false, stopping = false;
	siginfo_t info = { 0 };
	int r = 0;

	if (!sb->spec->tty) {
		for (int i = 1; i < 3; i++)
			if (sb->stdio[i] >= 0)   /* else stderr shares stdout's pipe */
				pump_add_out(&ps, steal_fd(&sb->stdio[i]), &sb->host_out[i], i);
		if (sb->spec->interactive)
			pump_add(&ps, STDIN_FILENO, steal_fd(&sb->stdio[0]), true);
	}
	while (!exited) {
		struct pollfd pf[3 + MAX_PUMPS];
		struct pump *who[3 + MAX_PUMPS];
		nfds_t n = 0, first_pump, total;

		if (sync_open)
			pf[n++] = (struct pollfd){ .fd = sb->sync, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		first_pump = n;
		for (size_t i = 0; i < ps.n; i++) {
			if (ps.p[i].done)
				continue;
			who[n] = &ps.p[i];
			pf[n++] = pump_poll(&ps.p[i]);
		}
		total = n;
		if (poll(pf, total, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = pd_error_set(err, errno, "poll");
			break;
		}
		n = 0;
		if (sync_open && pf[n++].revents)
			sync_open = on_sync(sb, &ps, &tty, &child_err, &have_err);
		if (pf[n++].revents)
			on_signal(sigfd, pidfd, &ps, &stopping);
		if (pf[n++].revents & POLLIN) {
			if (waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED) < 0 && errno != EINTR) {
				r = pd_error_set(err, errno, "wait for the sandbox");
				break;
			}
			exited = info.si_pid != 0;
		}
		for (nfds_t i = first_pump; i < total; i++)
			if (!who[i]->done && pf[i].revents)
				pump_step(&ps, who[i], pf[i].revents);
	}
	if (r == 0) {
		drain(&ps, sigfd, stopping);
		/* A late error (an exec failure) may still be queued. */
		while (sync_open)
			sync_open = on_sync(sb, &ps, &tty, &child_err, &have_err);
	}
	pd_tty_restore(&tty);
	close_pumps(&ps);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ps.n; i++)
		if (ps.p[i].werr)
			return pd_error_set(err, ps.p[i].werr, "write the command's output to paude's %s",
					    ps.p[i].out_fd == 2 ? "stderr" : "stdout");
	if (have_err) {
		*err = child_err;
		return -1;
	}
	*exit_status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
	return 0;
}
