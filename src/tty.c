/* SPDX-License-Identifier: MIT */
/*
 * tty.c - the host terminal in raw mode while a -t -i command runs, and
 * restored (pending input discarded) when it ends.
 */
#include "tty.h"

#include <errno.h>
#include <unistd.h>

void pd_tty_make_raw(struct pd_tty *t, int fd)
{
	struct termios raw;

	t->fd = -1;
	t->raw = false;
	if (!isatty(fd) || tcgetattr(fd, &t->saved) < 0)
		return;
	raw = t->saved;
	cfmakeraw(&raw);
	if (tcsetattr(fd, TCSADRAIN, &raw) < 0)
		return;
	t->fd = fd;
	t->raw = true;
}

void pd_tty_restore(struct pd_tty *t)
{
	if (!t->raw)
		return;
	/* TCSAFLUSH: input still pending (a terminal's answer to the command's
	 * last query) is discarded, never handed to the user's shell. */
	while (tcsetattr(t->fd, TCSAFLUSH, &t->saved) < 0 && errno == EINTR)
		;
	t->raw = false;
}
