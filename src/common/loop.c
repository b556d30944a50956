/* SPDX-License-Identifier: MIT */
/*
 * loop.c - paude's one event loop.
 *
 * Theory of operation
 *
 * A struct pd_loop is an epoll fd and the list of its sources; there is no
 * global state, and nothing here is thread-safe: one loop per process, used
 * from one thread.  Every source is a struct pd_loop_source registered with
 * epoll under its own pointer (epoll_event.data.ptr), level-triggered:
 *
 *  - fd sources wait on a caller's fd, which stays the caller's.  Interest 0
 *    takes the fd out of the epoll set (EPOLL_CTL_DEL) instead of setting
 *    an empty mask, because epoll reports EPOLLHUP and EPOLLERR whatever the
 *    mask says: a disabled pipe whose writer went away would otherwise wake
 *    the loop forever.  Re-enabling adds it back.
 *  - signal sources own a signalfd (SFD_CLOEXEC | SFD_NONBLOCK).  The loop
 *    never blocks signals itself: the process owner does, before adding the
 *    source.  Each wake-up reads at most SIGNAL_BATCH siginfos, one callback
 *    each; more queued real-time signals keep the fd readable for the next.
 *  - timer sources own a timerfd on CLOCK_MONOTONIC (TFD_CLOEXEC |
 *    TFD_NONBLOCK), always in the epoll set: a disarmed timerfd is never
 *    ready.  Re-arming resets the kernel's expiry count, so an expiry that
 *    was fetched but not yet dispatched reads as EAGAIN and is dropped.
 *
 * One wake-up (pd_loop_run_once) is one epoll_wait for at most MAX_EVENTS
 * events, then one callback per ready source.  Fairness comes from two
 * places.  epoll re-queues a level-triggered item at the tail of its ready
 * list each time it reports it, so when more than MAX_EVENTS sources are
 * ready they take turns and every one is reported within a few wake-ups.
 * Within a batch the loop starts at a rotating offset, so the same source is
 * not always served first.  Both only help if callbacks do bounded work (one
 * read, one write, one accept) and return: a callback that drains a flooding
 * fd to its end would starve everything else, signals included.
 *
 * Removal during a batch: pd_loop_remove() takes the source out of epoll and
 * closes the fds the loop owns at once, but while a batch is being
 * dispatched it only marks the source dead and parks it on a list; the rest
 * of the batch skips dead sources, and the list is freed when the batch
 * ends.  So a callback may remove any source, itself included, and an event
 * already fetched for a removed source is never delivered (nor is one that
 * is no longer in the source's interest set).  Freed memory is never
 * reached through a stale epoll_event.
 *
 * Keeping the loop alive: pd_loop_run() returns 0 once no source has a
 * nonzero interest (an fd source with events, an armed timer, any signal
 * source): nothing could ever wake it again.
 */
#include "loop.h"
#include "cleanup.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define MAX_EVENTS 32
#define SIGNAL_BATCH 16
/* What an fd source may ask for: level-triggered readiness only. */
#define FD_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLERR | EPOLLHUP)
/* Longest timer: 68 years keeps tv_sec in range even for a 32-bit time_t. */
#define TIMER_MAX_MS ((uint64_t)INT32_MAX * 1000)

enum loop_kind {
	LOOP_FD,
	LOOP_SIGNAL,
	LOOP_TIMER,
};

struct pd_loop_source {
	struct pd_loop *loop;
	enum loop_kind kind;
	int fd;
	uint32_t events; /* fd: the interest set; others: EPOLLIN */
	bool in_epoll;   /* in the epoll set */
	bool active;     /* counted in loop->n_active */
	bool dead;       /* removed during a batch, freed after it */
	bool repeat;     /* timer */
	union {
		pd_loop_fd_fn fd;
		pd_loop_signal_fn sig;
		pd_loop_timer_fn timer;
	} fn;
	void *data;
	struct pd_loop_source *prev, *next; /* loop->sources; next: loop->dead */
	char name[PD_LOOP_NAME_MAX];
};

struct pd_loop {
	int epfd;
	struct pd_loop_source *sources; /* live, doubly linked */
	struct pd_loop_source *dead;    /* removed during the current batch */
	size_t n_active;                /* sources with a nonzero interest */
	unsigned rotate;                /* where the next batch starts */
	bool dispatching;
	bool stopped;
	int status;
};

struct pd_loop *pd_loop_new(struct pd_error *err)
{
	struct pd_loop *loop;
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0) {
		pd_error_set(err, errno, "event loop: epoll_create1");
		return NULL;
	}
	loop = pd_xcalloc(1, sizeof(*loop));
	loop->epfd = epfd;
	return loop;
}

static void source_destroy(struct pd_loop_source *src)
{
	if (src->kind != LOOP_FD && src->fd >= 0)
		pd_close(src->fd);
	free(src);
}

static void free_dead(struct pd_loop *loop)
{
	while (loop->dead) {
		struct pd_loop_source *src = loop->dead;

		loop->dead = src->next;
		source_destroy(src);
	}
}

void pd_loop_free(struct pd_loop *loop)
{
	if (!loop)
		return;
	free_dead(loop);
	while (loop->sources) {
		struct pd_loop_source *src = loop->sources;

		loop->sources = src->next;
		source_destroy(src);
	}
	pd_close(loop->epfd);
	free(loop);
}

static void set_active(struct pd_loop_source *src, bool active)
{
	if (src->active == active)
		return;
	src->active = active;
	if (active)
		src->loop->n_active++;
	else
		src->loop->n_active--;
}

static struct pd_loop_source *source_new(struct pd_loop *loop, enum loop_kind kind, int fd,
					 void *data, const char *name)
{
	struct pd_loop_source *src = pd_xcalloc(1, sizeof(*src));

	src->loop = loop;
	src->kind = kind;
	src->fd = fd;
	src->data = data;
	pd_strlcpy(src->name, name && *name ? name : "?", sizeof(src->name));
	return src;
}

static void source_link(struct pd_loop_source *src)
{
	struct pd_loop *loop = src->loop;

	src->prev = NULL;
	src->next = loop->sources;
	if (loop->sources)
		loop->sources->prev = src;
	loop->sources = src;
}

static void source_unlink(struct pd_loop_source *src)
{
	struct pd_loop *loop = src->loop;

	if (src->prev)
		src->prev->next = src->next;
	else
		loop->sources = src->next;
	if (src->next)
		src->next->prev = src->prev;
	src->prev = src->next = NULL;
}

static int epoll_op(struct pd_loop_source *src, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(src->loop->epfd, op, src->fd, &ev);
}

/* Registers a source that owns a new signalfd/timerfd; closes @fd on failure. */
static struct pd_loop_source *add_owned(struct pd_loop *loop, enum loop_kind kind, int fd,
					void *data, const char *name, struct pd_error *err)
{
	struct pd_loop_source *src = source_new(loop, kind, fd, data, name);

	src->events = EPOLLIN;
	if (epoll_op(src, EPOLL_CTL_ADD, EPOLLIN) < 0) {
		pd_error_set(err, errno, "event loop source \"%s\": watch fd %d", src->name, fd);
		source_destroy(src);
		return NULL;
	}
	src->in_epoll = true;
	source_link(src);
	return src;
}

struct pd_loop_source *pd_loop_add_fd(struct pd_loop *loop, int fd, uint32_t events,
				      pd_loop_fd_fn fn, void *data, const char *name,
				      struct pd_error *err)
{
	struct pd_loop_source *src;

	if (events & ~(uint32_t)FD_EVENTS) {
		pd_error_set(err, EINVAL, "event loop source \"%s\": events 0x%x",
			     name ? name : "?", events);
		return NULL;
	}
	src = source_new(loop, LOOP_FD, fd, data, name);
	src->fn.fd = fn;
	/* Always through epoll_ctl, so a bad fd fails here even when disabled. */
	if (fd < 0 || epoll_op(src, EPOLL_CTL_ADD, events) < 0 ||
	    (events == 0 && epoll_op(src, EPOLL_CTL_DEL, 0) < 0)) {
		pd_error_set(err, fd < 0 ? EBADF : errno, "event loop source \"%s\": watch fd %d",
			     src->name, fd);
		free(src);
		return NULL;
	}
	src->events = events;
	src->in_epoll = events != 0;
	source_link(src);
	set_active(src, events != 0);
	return src;
}

int pd_loop_fd_set_events(struct pd_loop_source *src, uint32_t events, struct pd_error *err)
{
	if (src->kind != LOOP_FD || src->dead)
		return pd_error_set(err, EINVAL,
				    "event loop source \"%s\": set events: not a live fd source",
				    src->name);
	if (events & ~(uint32_t)FD_EVENTS)
		return pd_error_set(err, EINVAL, "event loop source \"%s\": events 0x%x", src->name,
				    events);
	if (events == src->events)
		return 0;
	if (events == 0) {
		if (epoll_op(src, EPOLL_CTL_DEL, 0) < 0)
			return pd_error_set(err, errno, "event loop source \"%s\": unwatch fd %d",
					    src->name, src->fd);
		src->in_epoll = false;
	} else if (epoll_op(src, src->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, events) < 0) {
		return pd_error_set(err, errno, "event loop source \"%s\": watch fd %d", src->name,
				    src->fd);
	} else {
		src->in_epoll = true;
	}
	src->events = events;
	set_active(src, events != 0);
	return 0;
}

struct pd_loop_source *pd_loop_add_signals(struct pd_loop *loop, const sigset_t *set,
					   pd_loop_signal_fn fn, void *data, const char *name,
					   struct pd_error *err)
{
	struct pd_loop_source *src;
	int fd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);

	if (fd < 0) {
		pd_error_set(err, errno, "event loop source \"%s\": signalfd", name ? name : "?");
		return NULL;
	}
	src = add_owned(loop, LOOP_SIGNAL, fd, data, name, err);
	if (!src)
		return NULL;
	src->fn.sig = fn;
	set_active(src, true);
	return src;
}

static int timer_arm(struct pd_loop_source *src, uint64_t ms, bool repeat, struct pd_error *err)
{
	struct itimerspec its = { 0 };

	if (ms > TIMER_MAX_MS)
		ms = TIMER_MAX_MS;
	its.it_value.tv_sec = (time_t)(ms / 1000);
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (repeat)
		its.it_interval = its.it_value;
	if (timerfd_settime(src->fd, 0, &its, NULL) < 0)
		return pd_error_set(err, errno, "event loop source \"%s\": arm timer", src->name);
	src->repeat = repeat && ms;
	set_active(src, ms != 0);
	return 0;
}

struct pd_loop_source *pd_loop_add_timer(struct pd_loop *loop, uint64_t ms, bool repeat,
					 pd_loop_timer_fn fn, void *data, const char *name,
					 struct pd_error *err)
{
	struct pd_loop_source *src;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0) {
		pd_error_set(err, errno, "event loop source \"%s\": timerfd_create",
			     name ? name : "?");
		return NULL;
	}
	src = add_owned(loop, LOOP_TIMER, fd, data, name, err);
	if (!src)
		return NULL;
	src->fn.timer = fn;
	if (ms && timer_arm(src, ms, repeat, err) < 0) {
		pd_loop_remove(src);
		return NULL;
	}
	return src;
}

int pd_loop_timer_set(struct pd_loop_source *src, uint64_t ms, bool repeat, struct pd_error *err)
{
	if (src->kind != LOOP_TIMER || src->dead)
		return pd_error_set(err, EINVAL,
				    "event loop source \"%s\": set timer: not a live timer",
				    src->name);
	return timer_arm(src, ms, repeat, err);
}

void pd_loop_remove(struct pd_loop_source *src)
{
	struct pd_loop *loop;

	if (!src || src->dead)
		return;
	loop = src->loop;
	/* Before the caller closes its fd: a dup of it elsewhere would keep it in the set. */
	if (src->in_epoll)
		(void)epoll_op(src, EPOLL_CTL_DEL, 0);
	src->in_epoll = false;
	set_active(src, false);
	source_unlink(src);
	if (!loop->dispatching) {
		source_destroy(src);
		return;
	}
	if (src->kind != LOOP_FD)
		pd_close(src->fd);
	src->fd = -1;
	src->dead = true;
	src->next = loop->dead;
	loop->dead = src;
}

/* One source's share of a wake-up; returns the number of callbacks called. */
static int dispatch(struct pd_loop_source *src, uint32_t revents)
{
	struct pd_loop *loop = src->loop;
	int calls = 0;

	switch (src->kind) {
	case LOOP_FD:
		/* Interest may have changed since epoll_wait (earlier in this batch). */
		if (!src->in_epoll)
			return 0;
		revents &= src->events | EPOLLERR | EPOLLHUP;
		if (!revents)
			return 0;
		src->fn.fd(src, revents, src->data);
		return 1;
	case LOOP_SIGNAL:
		while (calls < SIGNAL_BATCH && !src->dead && !loop->stopped) {
			struct signalfd_siginfo si;

			if (read(src->fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
				break; /* EAGAIN: none left */
			calls++;
			src->fn.sig(src, &si, src->data);
		}
		return calls;
	case LOOP_TIMER: {
		uint64_t n;

		if (read(src->fd, &n, sizeof(n)) != (ssize_t)sizeof(n) || n == 0)
			return 0; /* re-armed or disarmed since epoll_wait */
		if (!src->repeat)
			set_active(src, false); /* one-shot: disarmed by now */
		src->fn.timer(src, n, src->data);
		return 1;
	}
	default:
		return 0;
	}
}

static int wait_and_dispatch(struct pd_loop *loop, int timeout_ms, struct pd_error *err)
{
	struct epoll_event ev[MAX_EVENTS];
	int n, calls = 0;
	unsigned start;

	n = epoll_wait(loop->epfd, ev, MAX_EVENTS, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return pd_error_set(err, errno, "event loop: epoll_wait");
	}
	if (n == 0)
		return 0;
	loop->dispatching = true;
	start = loop->rotate++ % (unsigned)n;
	for (int i = 0; i < n && !loop->stopped; i++) {
		const struct epoll_event *e = &ev[(start + (unsigned)i) % (unsigned)n];
		struct pd_loop_source *src = e->data.ptr;

		if (!src->dead)
			calls += dispatch(src, e->events);
	}
	loop->dispatching = false;
	free_dead(loop);
	return calls;
}

int pd_loop_run_once(struct pd_loop *loop, int timeout_ms, struct pd_error *err)
{
	if (loop->dispatching)
		return pd_error_set(err, EBUSY, "event loop: run from a callback");
	loop->stopped = false;
	if (loop->n_active == 0 && timeout_ms < 0)
		return 0; /* nothing could ever wake it */
	return wait_and_dispatch(loop, timeout_ms, err);
}

int pd_loop_run(struct pd_loop *loop, struct pd_error *err)
{
	if (loop->dispatching)
		return pd_error_set(err, EBUSY, "event loop: run from a callback");
	loop->stopped = false;
	while (loop->n_active > 0) {
		if (wait_and_dispatch(loop, -1, err) < 0)
			return -1;
		if (loop->stopped)
			return loop->status;
	}
	return 0;
}

void pd_loop_stop(struct pd_loop *loop, int status)
{
	loop->stopped = true;
	loop->status = status;
}

bool pd_loop_stopped(const struct pd_loop *loop, int *status)
{
	if (loop->stopped && status)
		*status = loop->status;
	return loop->stopped;
}

struct pd_loop *pd_loop_source_loop(const struct pd_loop_source *src)
{
	return src->loop;
}

int pd_loop_source_fd(const struct pd_loop_source *src)
{
	return src->fd;
}

const char *pd_loop_source_name(const struct pd_loop_source *src)
{
	return src->name;
}
