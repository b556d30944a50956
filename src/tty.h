/* SPDX-License-Identifier: MIT */
/*
 * tty.h - the host terminal while a -t sandbox runs: raw mode in, restored
 * on every way out of the supervisor.
 */
#ifndef PAUDE_TTY_H
#define PAUDE_TTY_H

#include <stdbool.h>
#include <termios.h>

struct pd_tty {
	int fd; /* the host terminal (stdin), -1 when none */
	bool raw;
	struct termios saved;
};

/* pd_tty_make_raw() - put @fd in raw mode if it is a terminal; remembers the old mode. */
void pd_tty_make_raw(struct pd_tty *t, int fd);
/* pd_tty_restore() - put the terminal back as it was (idempotent). */
void pd_tty_restore(struct pd_tty *t);

#endif
