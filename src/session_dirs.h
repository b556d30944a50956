/* SPDX-License-Identifier: MIT */
/*
 * session_dirs.h - where sessions live, and what a session may be called.
 *
 *   data  $XDG_DATA_HOME/paude/sessions (default ~/.local/share/paude/sessions)
 *         rootless, /var/lib/paude/sessions as root: each session's
 *         config, persistent volume, writable layer and audit log, in NAME/
 *   run   $XDG_RUNTIME_DIR/paude rootless, /run/paude as root: each running
 *         session's supervisor pid and control socket, in NAME/; without
 *         XDG_RUNTIME_DIR (su, sudo -u) /tmp/paude-UID, which must then be
 *         the user's own directory with mode 0700 (made so when missing;
 *         anything else there is refused: someone else could read or plant
 *         the sockets)
 * Both are made 0700 when missing.  A name is 1-40 characters of [a-z0-9-],
 * starting and ending with a letter or digit (a DNS label, which the
 * OpenShift backend needs too), and short enough that the control socket's
 * path fits a unix socket address.
 */
#ifndef PAUDE_SESSION_DIRS_H
#define PAUDE_SESSION_DIRS_H

#include "common/error.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define PD_SESSION_NAME_MAX 40
#define PD_SESSION_SOCKET "control.sock"

struct pd_session_dirs {
	char data[PATH_MAX];
	char run[PATH_MAX];
};

/* pd_session_dirs_paths() - the two directories' names, nothing made or checked. */
int pd_session_dirs_paths(struct pd_session_dirs *d, struct pd_error *err);

/*
 * pd_session_dirs_get() - the two directories for this user, made (0700)
 * when missing and checked.  Return: 0, or -1 with @err (no $HOME rootless,
 * a /tmp/paude-UID that is not the user's private directory, ...).
 */
int pd_session_dirs_get(struct pd_session_dirs *d, struct pd_error *err);

/*
 * pd_session_name_check() - whether @name may name a session whose run
 * directory is under @run.  Return: 0, or -1 with @err saying which rule.
 */
int pd_session_name_check(const char *name, const char *run, struct pd_error *err);

/*
 * pd_session_name_default() - the name the predecessor gives a session of
 * the workspace @dir: its last component, lowercased, every other byte
 * than [a-z0-9] made '-', dashes squeezed and trimmed, at most 20
 * characters ("session" when nothing is left), then '-' and 6 random hex
 * digits: "my-project-1a2b3c".  @out holds at least 28 bytes.
 */
void pd_session_name_default(const char *dir, char *out, size_t cap);

#endif
