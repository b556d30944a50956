/* SPDX-License-Identifier: MIT */
/*
 * session_git.h - the git side of sessions (cmd_remote.c): the paude-NAME
 * remote of the current repository, and what `create --git` sets up.
 */
#ifndef PAUDE_SESSION_GIT_H
#define PAUDE_SESSION_GIT_H

#include "common/error.h"

#include <stdbool.h>

/*
 * pd_session_remote_add() - the remote paude-NAME (ext::, transport inside
 * the sandbox), the sandbox's repository on the current branch, and with
 * @push the branch pushed.
 */
int pd_session_remote_add(const char *name, bool push, struct pd_error *err);

/*
 * pd_session_git_setup() - `create --git`: remote add --push, the tags
 * pushed, and `origin` inside set to the host's origin (SSH URLs as https,
 * since the sandbox has no SSH keys).  Not a git repository: said, and 0.
 */
int pd_session_git_setup(const char *name, struct pd_error *err);

/*
 * pd_git_https_url() - git@host:path and ssh://[user@]host[:port]/path as
 * https; any URL's user and password dropped (heap).
 */
char *pd_git_https_url(const char *url);

#endif
