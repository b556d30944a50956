/* SPDX-License-Identifier: MIT */
/*
 * session_select.h - which session a command means when NAME is omitted,
 * as the predecessor chose (session_select.c).
 */
#ifndef PAUDE_SESSION_SELECT_H
#define PAUDE_SESSION_SELECT_H

#include "session.h"

#include <stdbool.h>

/*
 * pd_session_select() - @name when given; else the session created for the
 * current directory, else the only session (only running ones with
 * @running_only).  None or several: an error listing them (status 1).
 * @out: PD_SESSION_NAME_MAX + 1 bytes.
 */
int pd_session_select(const char *name, bool running_only, char *out, struct pd_error *err);

#endif
