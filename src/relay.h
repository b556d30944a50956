/* SPDX-License-Identifier: MIT */
/*
 * relay.h - the stdio relay between paude's own stdio and a sandbox's
 * command, on the owner's event loop (relay.c has the theory of operation).
 */
#ifndef PAUDE_RELAY_H
#define PAUDE_RELAY_H

#include <stdbool.h>
#include <sys/ioctl.h>

#include "common/error.h"
#include "common/loop.h"

struct pd_relay;

/*
 * pd_relay_new() - a relay on @loop for paude's stdin, stdout and stderr.
 * Opens paude's own outputs anew (non-blocking): call it while paude is
 * still dumpable (its /proc/self/fd is root's afterwards).
 */
struct pd_relay *pd_relay_new(struct pd_loop *loop);

/*
 * pd_relay_pipes() - pipes for a command without a terminal: @child[1] and
 * @child[2] (one pipe for both when paude's stdout and stderr are one and
 * the same, so their order is kept), and @child[0] with @interactive; -1
 * where none.  The command's ends are the caller's to pass and then close.
 */
int pd_relay_pipes(struct pd_relay *r, bool interactive, int child[3], struct pd_error *err);

/*
 * pd_relay_fds() - relay pipe ends made elsewhere (a session's supervisor
 * made them): @in is written with paude's stdin, @out and @errout are read
 * to paude's stdout and stderr; -1 where none.  They are the relay's now,
 * also on failure.
 */
int pd_relay_fds(struct pd_relay *r, int in, int out, int errout, struct pd_error *err);

/* pd_relay_same_output() - paude's stdout and stderr are one file (2>&1, a terminal). */
bool pd_relay_same_output(void);

/*
 * pd_relay_pty() - relay the pty master @master (the relay's from now on):
 * its output to paude's stdout, and with @interactive paude's stdin to it,
 * the host terminal then in raw mode until pd_relay_free().
 */
int pd_relay_pty(struct pd_relay *r, int master, bool interactive, struct pd_error *err);

/* pd_relay_winsize() - the host terminal's size, if stdin is one. */
bool pd_relay_winsize(struct winsize *ws);
/* pd_relay_resize() - SIGWINCH: the host terminal's size to the pty. */
void pd_relay_resize(struct pd_relay *r);

/*
 * pd_relay_drain() - the command's side is gone: the relay ends once every
 * output reached its reader; then @done(@data) is called.  With @stopping
 * (paude was asked to stop), whatever does not move for a moment is
 * dropped; otherwise only a source that stays idle without an end.
 */
void pd_relay_drain(struct pd_relay *r, bool stopping, void (*done)(void *data), void *data);

/* pd_relay_error() - a write error on paude's own output (not EPIPE). */
int pd_relay_error(const struct pd_relay *r, struct pd_error *err);

/* pd_relay_free() - restore the host terminal, unregister, close. */
void pd_relay_free(struct pd_relay *r);

#endif
