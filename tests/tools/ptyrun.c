/* SPDX-License-Identifier: MIT */
/*
 * ptyrun.c - run a command on a fresh pseudo-terminal, for the -t tests.
 *
 * Usage:
 *   ptyrun [--rows R] [--cols C] [--send STRING]... [--send-after MS STRING]...
 *          [--resize-after MS ROWS COLS]... [--timeout SECONDS] -- COMMAND [ARG...]
 *
 * Theory of operation: ptyrun opens a pty pair with the given window size
 * (default 24x80) and snapshots the slave's termios.  The child starts a new
 * session, takes the slave as its controlling terminal and as fds 0-2, and
 * execs COMMAND.  Once the exec has happened (a close-on-exec pipe tells us),
 * ptyrun runs one poll loop that
 *   - copies everything readable on the master to its own stdout;
 *   - writes the --send strings (C escapes decoded) to the master at time 0
 *     and the --send-after strings at their time, in command-line order for
 *     equal times; the writes are non-blocking and queued, so a command that
 *     never reads cannot wedge ptyrun;
 *   - applies --resize-after with TIOCSWINSZ on the master, upon which the
 *     kernel sends SIGWINCH to the slave's foreground process group;
 *   - forwards SIGINT, SIGTERM and SIGHUP it receives to the command;
 *   - on --timeout (default 30 s) SIGKILLs the command's process group.
 * When the command has exited, ptyrun snapshots the slave's termios again
 * (it keeps its own slave fd open for exactly this), closes that fd and
 * drains the master until EIO/EOF, so output buffered in the pty is never
 * lost and a lingering holder of the slave cannot make ptyrun hang.
 *
 * On stderr it then prints
 *   ptyrun: exit N            or   ptyrun: signal SIGNAME
 *   ptyrun: termios-restored yes|no
 * (preceded by "ptyrun: timeout" on a timeout) and exits with the command's
 * status: N, 128+signal, 124 on timeout, 126/127 when COMMAND cannot be
 * executed, 125 on a usage error or a failure of ptyrun itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define EXIT_TIMEOUT 124
#define EXIT_FAILURE_OWN 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

/* After the command exits: stop draining after this long without output. */
#define DRAIN_IDLE_MS 300
/* ... and after this long in total, even if a leftover process still writes. */
#define DRAIN_MAX_MS 3000

enum event_type {
	EV_SEND,
	EV_RESIZE,
};

/* A timed action from the command line; sends at 0 ms are --send. */
struct event {
	long at_ms;
	enum event_type type;
	char *data; /* EV_SEND: decoded bytes (owned) */
	size_t len;
	struct winsize ws; /* EV_RESIZE */
};

struct options {
	struct winsize ws;
	double timeout_s;
	struct event *events;
	size_t n_events;
	char **command;
};

/* Bytes queued for the master; written as the pty accepts them. */
struct outbuf {
	char *data;
	size_t len, off;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ptyrun: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE_OWN);
}

static void usage_error(const char *what, const char *arg)
{
	if (arg)
		fprintf(stderr, "ptyrun: %s \"%s\"\n", what, arg);
	else
		fprintf(stderr, "ptyrun: %s\n", what);
	fprintf(stderr,
		"usage: ptyrun [--rows R] [--cols C] [--send STRING]... "
		"[--send-after MS STRING]...\n"
		"              [--resize-after MS ROWS COLS]... [--timeout SECONDS] "
		"-- COMMAND [ARG...]\n");
	exit(EXIT_FAILURE_OWN);
}

static long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* parse_num() - strict decimal in [@min, @max], else a usage error. */
static long parse_num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || errno || *end || v < min || v > max)
		usage_error(what, s);
	return v;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * decode_escapes() - decode C escapes in @s: \n \r \t \a \b \e \f \v \\ \"
 * \' \xH[H] and octal \N[N[N]] (so \0 and \003 work too).  Unknown escapes
 * are kept as written.  Returns a malloc'd buffer, its length in @len.
 */
static char *decode_escapes(const char *s, size_t *len)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		die("out of memory");
	while (*s) {
		int v, d, i;

		if (*s != '\\' || !s[1]) {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n':
			*o++ = '\n';
			s++;
			break;
		case 'r':
			*o++ = '\r';
			s++;
			break;
		case 't':
			*o++ = '\t';
			s++;
			break;
		case 'a':
			*o++ = '\a';
			s++;
			break;
		case 'b':
			*o++ = '\b';
			s++;
			break;
		case 'e':
			*o++ = '\033';
			s++;
			break;
		case 'f':
			*o++ = '\f';
			s++;
			break;
		case 'v':
			*o++ = '\v';
			s++;
			break;
		case '\\':
			*o++ = '\\';
			s++;
			break;
		case '"':
			*o++ = '"';
			s++;
			break;
		case '\'':
			*o++ = '\'';
			s++;
			break;
		case 'x':
			s++;
			for (v = 0, i = 0; i < 2 && (d = hexval(*s)) >= 0; i++, s++)
				v = v * 16 + d;
			if (i == 0) { /* "\x" without digits: keep it */
				*o++ = '\\';
				*o++ = 'x';
			} else {
				*o++ = (char)v;
			}
			break;
		default:
			if (*s >= '0' && *s <= '7') {
				for (v = 0, i = 0; i < 3 && *s >= '0' && *s <= '7'; i++, s++)
					v = v * 8 + (*s - '0');
				*o++ = (char)v;
			} else {
				*o++ = '\\';
				*o++ = *s++;
			}
			break;
		}
	}
	*len = (size_t)(o - out);
	return out;
}

static void add_event(struct options *o, const struct event *ev)
{
	struct event *grown = realloc(o->events, (o->n_events + 1) * sizeof(*grown));

	if (!grown)
		die("out of memory");
	o->events = grown;
	o->events[o->n_events++] = *ev;
}

/* Sort events by time; insertion sort keeps command-line order for ties. */
static void sort_events(struct options *o)
{
	size_t i;

	for (i = 1; i < o->n_events; i++) {
		struct event cur = o->events[i];
		size_t j = i;

		while (j > 0 && o->events[j - 1].at_ms > cur.at_ms) {
			o->events[j] = o->events[j - 1];
			j--;
		}
		o->events[j] = cur;
	}
}

static void free_events(struct options *o)
{
	size_t i;

	for (i = 0; i < o->n_events; i++)
		free(o->events[i].data);
	free(o->events);
	o->events = NULL;
	o->n_events = 0;
}

/* need_args() - the option at @i needs @n more words. */
static void need_args(int argc, char **argv, int i, int n)
{
	if (i + n >= argc)
		usage_error("missing argument for", argv[i]);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int i;

	o->ws.ws_row = 24;
	o->ws.ws_col = 80;
	o->timeout_s = 30;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		struct event ev = { 0 };

		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "--rows")) {
			need_args(argc, argv, i, 1);
			o->ws.ws_row = (unsigned short)parse_num(argv[++i], 1, 65535, "bad --rows");
		} else if (!strcmp(a, "--cols")) {
			need_args(argc, argv, i, 1);
			o->ws.ws_col = (unsigned short)parse_num(argv[++i], 1, 65535, "bad --cols");
		} else if (!strcmp(a, "--send")) {
			need_args(argc, argv, i, 1);
			ev.type = EV_SEND;
			ev.data = decode_escapes(argv[++i], &ev.len);
			add_event(o, &ev);
		} else if (!strcmp(a, "--send-after")) {
			need_args(argc, argv, i, 2);
			ev.type = EV_SEND;
			ev.at_ms = parse_num(argv[++i], 0, 86400000L, "bad --send-after MS");
			ev.data = decode_escapes(argv[++i], &ev.len);
			add_event(o, &ev);
		} else if (!strcmp(a, "--resize-after")) {
			need_args(argc, argv, i, 3);
			ev.type = EV_RESIZE;
			ev.at_ms = parse_num(argv[++i], 0, 86400000L, "bad --resize-after MS");
			ev.ws.ws_row = (unsigned short)parse_num(argv[++i], 1, 65535,
								 "bad --resize-after ROWS");
			ev.ws.ws_col = (unsigned short)parse_num(argv[++i], 1, 65535,
								 "bad --resize-after COLS");
			add_event(o, &ev);
		} else if (!strcmp(a, "--timeout")) {
			char *end;

			need_args(argc, argv, i, 1);
			errno = 0;
			o->timeout_s = strtod(argv[++i], &end);
			if (errno || *end || end == argv[i] ||
			    !(o->timeout_s > 0 && o->timeout_s < 1e6))
				usage_error("bad --timeout", argv[i]);
		} else if (a[0] == '-') {
			usage_error("unknown option", a);
		} else {
			break;
		}
	}
	if (i >= argc)
		usage_error("no command given", NULL);
	o->command = argv + i;
	sort_events(o);
}

/* write_all() - blocking write of all of @buf (for ptyrun's stdout). */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * copy_output() - move what the master has to stdout.
 * Return: bytes copied (>0), 0 when nothing is available right now, -1 at
 * EOF/EIO (every slave fd is closed and the buffer is empty).
 */
static ssize_t copy_output(int master, bool *stdout_ok)
{
	char buf[16384];
	ssize_t n;

	do
		n = read(master, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0)
		return -1;
	/* Keep draining the pty even if our reader went away (EPIPE). */
	if (*stdout_ok && write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
		*stdout_ok = false;
	return n;
}

static void queue_send(struct outbuf *q, const char *data, size_t len)
{
	char *grown;

	if (q->off == q->len)
		q->off = q->len = 0;
	grown = realloc(q->data, q->len + len + 1);
	if (!grown)
		die("out of memory");
	q->data = grown;
	memcpy(q->data + q->len, data, len);
	q->len += len;
}

/* flush_sends() - write as much of the queue as the pty takes now. */
static void flush_sends(int master, struct outbuf *q)
{
	while (q->off < q->len) {
		ssize_t n = write(master, q->data + q->off, q->len - q->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			/* The slave side is gone: nobody will read the rest. */
			q->off = q->len;
			return;
		}
		q->off += (size_t)n;
	}
}

static bool termios_equal(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_lflag == b->c_lflag &&
	       a->c_cflag == b->c_cflag && !memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc));
}

/*
 * spawn() - fork COMMAND on the slave as its controlling terminal.
 * Returns the pid once the exec succeeded; exits 126/127 if it failed.
 */
static pid_t spawn(char **command, int master, int slave, const sigset_t *oldmask)
{
	int pfd[2], err = 0, status;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe: %m");
	pid = fork();
	if (pid < 0)
		die("fork: %m");
	if (pid == 0) {
		close(pfd[0]);
		close(master);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0L) < 0 ||
		    dup2(slave, STDIN_FILENO) < 0 || dup2(slave, STDOUT_FILENO) < 0 ||
		    dup2(slave, STDERR_FILENO) < 0) {
			err = errno;
		} else {
			if (slave > STDERR_FILENO)
				close(slave);
			execvp(command[0], command);
			err = errno;
		}
		(void)!write(pfd[1], &err, sizeof(err));
		_exit(err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(err)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		errno = err;
		fprintf(stderr, "ptyrun: cannot run %s: %m\n", command[0]);
		exit(err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
	}
	return pid;
}

/* kill_command() - SIGKILL the command's session leader and process group. */
static void kill_command(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/*
 * drain() - after the command exited: read the master until EIO/EOF, at
 * most DRAIN_MAX_MS, and give up after DRAIN_IDLE_MS without output.
 */
static void drain(int master, bool *stdout_ok)
{
	long start = monotonic_ms(), idle_since = start;

	for (;;) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		long now = monotonic_ms();
		ssize_t n;

		if (now - idle_since >= DRAIN_IDLE_MS || now - start >= DRAIN_MAX_MS)
			return;
		if (poll(&p, 1, DRAIN_IDLE_MS) < 0 && errno != EINTR)
			return;
		n = copy_output(master, stdout_ok);
		if (n < 0)
			return;
		if (n > 0)
			idle_since = monotonic_ms();
	}
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct termios before, after;
	struct outbuf q = { 0 };
	sigset_t mask, oldmask;
	bool stdout_ok = true, exited = false, timed_out = false, restored;
	int master, slave, sfd, status = 0;
	long t0, deadline;
	size_t next = 0;
	pid_t pid;

	parse_options(argc, argv, &o);

	if (openpty(&master, &slave, NULL, NULL, &o.ws) < 0)
		die("openpty: %m");
	fcntl(master, F_SETFD, FD_CLOEXEC);
	fcntl(slave, F_SETFD, FD_CLOEXEC);
	if (tcgetattr(slave, &before) < 0)
		die("tcgetattr: %m");

	/* Signals arrive through a signalfd; SIGPIPE is handled as EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &oldmask) < 0)
		die("sigprocmask: %m");
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		die("signalfd: %m");

	pid = spawn(o.command, master, slave, &oldmask);
	if (fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK) < 0)
		die("fcntl: %m");
	t0 = monotonic_ms();
	deadline = t0 + (long)(o.timeout_s * 1000);

	while (!exited) {
		struct pollfd p[2] = {
			{ .fd = master, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		long now = monotonic_ms(), wait_ms;
		struct signalfd_siginfo si;

		/* Due events first, then the queued bytes. */
		for (; next < o.n_events && o.events[next].at_ms <= now - t0; next++) {
			struct event *ev = &o.events[next];

			if (ev->type == EV_SEND)
				queue_send(&q, ev->data, ev->len);
			else if (ioctl(master, TIOCSWINSZ, &ev->ws) < 0)
				fprintf(stderr, "ptyrun: TIOCSWINSZ: %m\n");
		}
		flush_sends(master, &q);
		if (q.off < q.len)
			p[0].events |= POLLOUT;

		if (!timed_out && now >= deadline) {
			timed_out = true;
			kill_command(pid);
		}
		wait_ms = timed_out ? 100 : deadline - now;
		if (next < o.n_events && o.events[next].at_ms - (now - t0) < wait_ms)
			wait_ms = o.events[next].at_ms - (now - t0);
		if (wait_ms < 0)
			wait_ms = 0;

		if (poll(p, 2, (int)wait_ms) < 0 && errno != EINTR)
			die("poll: %m");
		if (p[0].revents & POLLIN)
			copy_output(master, &stdout_ok);
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo != SIGCHLD)
				kill(pid, (int)si.ssi_signo);
		}
		/* Polled, not only on SIGCHLD: a coalesced signal is not lost. */
		if (waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
	}

	if (tcgetattr(slave, &after) < 0)
		die("tcgetattr after exit: %m");
	restored = termios_equal(&before, &after);
	close(slave);
	drain(master, &stdout_ok);
	close(master);
	close(sfd);
	free(q.data);
	free_events(&o);

	if (timed_out)
		fprintf(stderr, "ptyrun: timeout\n");
	if (WIFSIGNALED(status))
		fprintf(stderr, "ptyrun: signal SIG%s\n",
			sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status))
						       : "UNKNOWN");
	else
		fprintf(stderr, "ptyrun: exit %d\n", WEXITSTATUS(status));
	fprintf(stderr, "ptyrun: termios-restored %s\n", restored ? "yes" : "no");

	if (timed_out)
		return EXIT_TIMEOUT;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
