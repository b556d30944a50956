/* SPDX-License-Identifier: MIT */
/*
 * supervisor.c - paude on the host while the sandbox runs.
 *
 * One poll loop over:
 *  - the sync socket: an ERROR from a step inside is kept (the first one
 *    wins); PTY hands over the master of the sandbox's pty; EOF means the
 *    command was exec'd or the sandbox is gone;
 *  - a signalfd of the forwarded signals: SIGWINCH resizes the pty, the rest
 *    go to the sandbox's init (pidfd_send_signal), which passes them on;
 *  - init's pidfd: when it exits, its status is the command's;
 *  - with -t, the host terminal (raw) and the pty master, relayed both ways
 *    without blocking: stdin is only read when the pending input has been
 *    written to the pty, and the pty is drained to EOF after init exits.
 * The host terminal is restored before returning, whatever happened.
 */
#include "sandbox.h"
#include "sync.h"
#include "tty.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

struct relay {
	int master;            /* pty master, -1 when none */
	bool stdin_open;
	char in[4096];         /* stdin bytes not yet written to the master */
	size_t in_len, in_off;
};

static void relay_out(struct relay *r)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(r->master, buf, sizeof(buf));

		if (n > 0) {
			if (pd_write_all(STDOUT_FILENO, buf, (size_t)n) < 0 && errno == EPIPE)
				continue;   /* nobody reads our stdout: keep draining */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		/* EOF or EIO: every slave fd in the sandbox is closed. */
		pd_close(r->master);
		r->master = -1;
		return;
	}
}

static void relay_in(struct relay *r)
{
	ssize_t n;

	if (r->in_len == 0) {
		n = read(STDIN_FILENO, r->in, sizeof(r->in));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) {
			r->stdin_open = false;
			return;
		}
		r->in_len = (size_t)n;
		r->in_off = 0;
	}
	n = write(r->master, r->in + r->in_off, r->in_len - r->in_off);
	if (n > 0) {
		r->in_off += (size_t)n;
		if (r->in_off == r->in_len)
			r->in_len = r->in_off = 0;
	}
}

static void on_signal(int sigfd, int pidfd, struct relay *r)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGWINCH) {
			struct winsize ws;

			if (r->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
				(void)ioctl(r->master, TIOCSWINSZ, &ws);
			continue;
		}
		(void)pd_pidfd_send_signal(pidfd, (int)si.ssi_signo);
	}
}

/* Returns 1 while the sync socket is open. */
static int on_sync(struct pd_sandbox *sb, struct relay *r, struct pd_tty *tty,
		   struct pd_error *child_err, bool *have_err)
{
	struct pd_sync_msg m;
	int n = pd_sync_recv(sb->sync, &m);

	if (n <= 0)
		return 0;
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
		if (m.fd >= 0 && r->master < 0) {
			r->master = steal_fd(&m.fd);
			(void)fcntl(r->master, F_SETFL, O_NONBLOCK);
			if (sb->spec->interactive)
				pd_tty_make_raw(tty, STDIN_FILENO);
		}
		break;
	default:
		break;
	}
	pd_close(m.fd);
	return 1;
}

int pd_supervise(struct pd_sandbox *sb, int pidfd, int sigfd, int *exit_status,
		 struct pd_error *err)
{
	struct relay r = { .master = -1, .stdin_open = sb->spec->interactive };
	struct pd_tty tty = { .fd = -1 };
	struct pd_error child_err = { 0 };
	bool have_err = false, sync_open = true, exited = false;
	siginfo_t info = { 0 };

	while (!exited) {
		struct pollfd p[5];
		nfds_t n = 0;
		int ip_sync = -1, ip_sig, ip_pid, ip_master = -1, ip_in = -1;

		if (sync_open) {
			ip_sync = (int)n;
			p[n++] = (struct pollfd){ .fd = sb->sync, .events = POLLIN };
		}
		ip_sig = (int)n;
		p[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		ip_pid = (int)n;
		p[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		if (r.master >= 0) {
			ip_master = (int)n;
			p[n++] = (struct pollfd){ .fd = r.master,
						  .events = (short)(POLLIN | (r.in_len ? POLLOUT : 0)) };
			if (r.stdin_open && r.in_len == 0) {
				ip_in = (int)n;
				p[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
			}
		}
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			pd_tty_restore(&tty);
			return pd_error_set(err, errno, "poll");
		}
		if (ip_sync >= 0 && p[ip_sync].revents)
			sync_open = on_sync(sb, &r, &tty, &child_err, &have_err);
		if (p[ip_sig].revents)
			on_signal(sigfd, pidfd, &r);
		if (ip_master >= 0 && p[ip_master].revents & POLLOUT)
			relay_in(&r);
		if (ip_master >= 0 && r.master >= 0 && p[ip_master].revents & (POLLIN | POLLHUP | POLLERR))
			relay_out(&r);
		if (ip_in >= 0 && r.master >= 0 && p[ip_in].revents)
			relay_in(&r);
		if (p[ip_pid].revents & POLLIN) {
			if (waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED) < 0 && errno != EINTR) {
				pd_tty_restore(&tty);
				return pd_error_set(err, errno, "wait for the sandbox");
			}
			exited = info.si_pid != 0;
		}
	}
	/* Output the sandbox wrote just before it ended, and a late error. */
	if (r.master >= 0) {
		(void)fcntl(r.master, F_SETFL, 0);
		relay_out(&r);
	}
	while (sync_open)
		sync_open = on_sync(sb, &r, &tty, &child_err, &have_err);
	pd_tty_restore(&tty);
	pd_close(r.master);
	if (have_err) {
		*err = child_err;
		return -1;
	}
	*exit_status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
	return 0;
}
