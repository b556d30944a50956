/* SPDX-License-Identifier: MIT */
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
	while (tcsetattr(t->fd, TCSADRAIN, &t->saved) < 0 && errno == EINTR)
		;
	t->raw = false;
}
