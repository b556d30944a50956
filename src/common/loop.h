/* SPDX-License-Identifier: MIT */
/*
 * loop.h - paude's one event loop (epoll; one per process, single-threaded).
 *
 * Everything a paude process waits for is a source registered with its
 * struct pd_loop: fds (pipes, ptys, sockets, pidfds), signals (a signalfd)
 * and timers (a timerfd).  The caller keeps the struct pd_loop_source * it
 * gets back, changes its interest through it and removes it with
 * pd_loop_remove(), from anywhere, including from inside any callback.
 *
 *	loop = pd_loop_new(err);
 *	in = pd_loop_add_fd(loop, fd, EPOLLIN, on_input, ctx, "stdin", err);
 *	sig = pd_loop_add_signals(loop, &blocked, on_signal, ctx, "signals", err);
 *	r = pd_loop_run(loop, err);     // until pd_loop_stop() or nothing left
 *	pd_loop_free(loop);
 *
 * Callbacks return nothing; one that wants the loop to end calls
 * pd_loop_stop(loop, status).  Each callback must do a bounded amount of
 * work (one read, one write, one accept) and come back: the loop serves
 * every ready source once per wake-up, so a flooding fd cannot keep a
 * signal or a timer waiting.  See loop.c for the details.
 */
#ifndef PAUDE_LOOP_H
#define PAUDE_LOOP_H

#include "error.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

struct pd_loop;
struct pd_loop_source;

/* Names are for debugging and error messages; longer ones are cut. */
#define PD_LOOP_NAME_MAX 32

/*
 * An fd became ready: @events is what epoll reported, limited to the interest
 * set with pd_loop_fd_set_events() plus EPOLLERR and EPOLLHUP (always
 * reported while the interest is not 0).
 */
typedef void (*pd_loop_fd_fn)(struct pd_loop_source *src, uint32_t events, void *data);
/* One queued signal, as read from the signalfd. */
typedef void (*pd_loop_signal_fn)(struct pd_loop_source *src, const struct signalfd_siginfo *si,
				  void *data);
/* A timer expired @expirations (>= 1) times since the last call or arming. */
typedef void (*pd_loop_timer_fn)(struct pd_loop_source *src, uint64_t expirations, void *data);

/*
 * pd_loop_new() - an empty loop (an epoll fd, close-on-exec).
 * @err: filled on failure
 *
 * Return: the loop, or NULL with @err set.
 */
struct pd_loop *pd_loop_new(struct pd_error *err);

/*
 * pd_loop_free() - free @loop and every source still registered, without
 * calling any callback; closes the fds the loop created (its epoll fd, the
 * signalfds and timerfds), never the caller's fds.  Not from a callback.
 * @loop: may be NULL
 */
void pd_loop_free(struct pd_loop *loop);

/*
 * pd_loop_add_fd() - watch an fd.
 * @loop: the loop
 * @fd: the fd; it stays the caller's: the loop never closes it.  Remove the
 *      source before closing the fd (closing it right after pd_loop_remove()
 *      is fine, also inside a callback).  One source per open file
 *      description: a second source for the same fd fails with EEXIST.  Any
 *      fd epoll takes works: pipes, sockets, ttys, eventfds and pidfds (a
 *      pidfd reports EPOLLIN once its process has exited); epoll refuses
 *      regular files and directories (EPERM).
 * @events: EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLPRI; 0 registers the source
 *          disabled.  Level-triggered only (no EPOLLET, EPOLLONESHOT).
 * @fn: called with the ready events
 * @data: passed to @fn
 * @name: short name for debugging and error messages (may be NULL)
 * @err: filled on failure, naming @name and @fd
 *
 * Return: the source, or NULL with @err set (a bad fd: EBADF).
 */
struct pd_loop_source *pd_loop_add_fd(struct pd_loop *loop, int fd, uint32_t events,
				      pd_loop_fd_fn fn, void *data, const char *name,
				      struct pd_error *err);

/*
 * pd_loop_fd_set_events() - change what an fd source waits for, e.g. switch a
 * relay between EPOLLIN on its source fd and EPOLLOUT on its destination.
 * @src: an fd source
 * @events: as for pd_loop_add_fd(); 0 disables the source (it stays
 *          registered and is not reported, not even EPOLLHUP)
 * @err: filled on failure
 *
 * Takes effect at once: an event of the current batch that is no longer in
 * the interest set is not delivered.
 *
 * Return: 0, or -1 with @err set (e.g. the fd was closed under the source).
 */
int pd_loop_fd_set_events(struct pd_loop_source *src, uint32_t events, struct pd_error *err);

/*
 * pd_loop_add_signals() - receive the signals of @set through a signalfd.
 * @loop: the loop
 * @set: the signals.  The caller must have blocked them (sigprocmask or
 *       pthread_sigmask SIG_BLOCK) beforehand, or they are delivered the
 *       usual way instead; the loop never changes process-wide state (the
 *       signal mask, dispositions).
 * @fn: called once per queued signal (a bounded number per wake-up)
 * @data: passed to @fn
 * @name: short name for debugging and error messages (may be NULL)
 * @err: filled on failure
 *
 * Return: the source, or NULL with @err set.
 */
struct pd_loop_source *pd_loop_add_signals(struct pd_loop *loop, const sigset_t *set,
					   pd_loop_signal_fn fn, void *data, const char *name,
					   struct pd_error *err);

/*
 * pd_loop_add_timer() - a timer on CLOCK_MONOTONIC (a timerfd).
 * @loop: the loop
 * @ms: first expiry in milliseconds from now; 0 adds it disarmed
 * @repeat: expire again every @ms until re-armed or disarmed
 * @fn: called on expiry
 * @data: passed to @fn
 * @name: short name for debugging and error messages (may be NULL)
 * @err: filled on failure
 *
 * A one-shot timer is disarmed once it fired (before @fn is called, so @fn
 * may re-arm it); it stays registered until removed.
 *
 * Return: the source, or NULL with @err set.
 */
struct pd_loop_source *pd_loop_add_timer(struct pd_loop *loop, uint64_t ms, bool repeat,
					 pd_loop_timer_fn fn, void *data, const char *name,
					 struct pd_error *err);

/*
 * pd_loop_timer_set() - re-arm a timer source (@ms from now) or disarm it
 * (@ms 0).  An expiry not yet delivered is dropped.
 * @src: a timer source
 * @ms: next expiry in milliseconds, 0 to disarm
 * @repeat: expire again every @ms
 * @err: filled on failure
 *
 * Return: 0, or -1 with @err set.
 */
int pd_loop_timer_set(struct pd_loop_source *src, uint64_t ms, bool repeat, struct pd_error *err);

/*
 * pd_loop_remove() - unregister and free a source; its callback is not called
 * again, even for an event already fetched in the current batch.  Safe from
 * any callback, for any source, including the one whose callback is running
 * (which must not touch @src afterwards).  Closes the fd only when the loop
 * created it (signals, timers).  Removing a source twice is a bug.
 * @src: may be NULL
 */
void pd_loop_remove(struct pd_loop_source *src);

/*
 * pd_loop_run() - wait and dispatch until pd_loop_stop() is called or no
 * source is left with a nonzero interest (fd sources with events 0 and
 * disarmed timers do not count; signal sources always do).  Not from a
 * callback (EBUSY).
 * @loop: the loop
 * @err: filled on failure
 *
 * Return: the status given to pd_loop_stop(), 0 when nothing is left, or -1
 * with @err set when epoll_wait fails (EINTR is retried).  Stop with
 * statuses >= 0 to keep them apart from a failure.
 */
int pd_loop_run(struct pd_loop *loop, struct pd_error *err);

/*
 * pd_loop_run_once() - one wake-up: wait at most @timeout_ms (-1: no limit,
 * 0: just poll) and dispatch what is ready; for tests and for bounded drains.
 * Whether a callback asked to stop is then told by pd_loop_stopped().
 * @loop: the loop
 * @timeout_ms: as for epoll_wait(2)
 * @err: filled on failure
 *
 * Return: the number of callbacks called (0 on timeout or EINTR), or -1 with
 * @err set.
 */
int pd_loop_run_once(struct pd_loop *loop, int timeout_ms, struct pd_error *err);

/*
 * pd_loop_stop() - make pd_loop_run() return @status once the running
 * callback returns; the rest of the current batch is not dispatched (it is
 * still ready next time: sources are level-triggered).  Meant for callbacks;
 * pd_loop_run() and pd_loop_run_once() forget an earlier stop when they start.
 * @loop: the loop
 * @status: what pd_loop_run() returns
 */
void pd_loop_stop(struct pd_loop *loop, int status);

/*
 * pd_loop_stopped() - whether pd_loop_stop() was called since the last
 * pd_loop_run() or pd_loop_run_once() started.
 * @loop: the loop
 * @status: if not NULL and stopped, the status given to pd_loop_stop()
 */
bool pd_loop_stopped(const struct pd_loop *loop, int *status);

/* pd_loop_source_loop() - the loop @src is registered with. */
struct pd_loop *pd_loop_source_loop(const struct pd_loop_source *src);
/* pd_loop_source_fd() - the fd @src waits on (the caller's, or the signalfd/timerfd). */
int pd_loop_source_fd(const struct pd_loop_source *src);
/* pd_loop_source_name() - the name given when @src was added ("?" if none). */
const char *pd_loop_source_name(const struct pd_loop_source *src);

#endif
