/* SPDX-License-Identifier: MIT */
/*
 * session_creds.h - what of the user's credentials and settings a session
 * gets, as the predecessor's security table says and no further
 * (session_creds.c):
 *   ~/.gitconfig (without credentials), ~/.config/git/ignore, gcloud's ADC
 *       file: copied at each start into DATA/NAME/creds/ and bound
 *       read-only into the agent's home;
 *   ~/.claude/ (without history, projects, todos, caches, debug, ...) and
 *       ~/.claude.json: copied in at the first start, plugin paths rewritten
 *       for the agent's home, never copied back;
 *   nothing else: no ~/.ssh, no git credentials, no gh config.
 */
#ifndef PAUDE_SESSION_CREDS_H
#define PAUDE_SESSION_CREDS_H

#include "common/error.h"
#include "runtime/runtime.h"

#include <stddef.h>

/*
 * pd_creds_stage() - copy the read-only files of @home that exist into
 * @dir (made 0700; the copies 0644, @dir keeps them private on the host) and
 * append their read-only binds under @agent_home to *@mounts.
 */
int pd_creds_stage(const char *home, const char *dir, const char *agent_home,
		   struct pd_mount **mounts, size_t *n, struct pd_error *err);

/*
 * pd_creds_claude_seed() - a memfd holding a tar of @home's .claude/ (only
 * directories and regular files, never through a symlink, without the
 * excluded entries) and .claude.json, to extract in @agent_home; plugin
 * paths rewritten from @home to @agent_home.  *@out is -1 when there is
 * nothing to copy.
 */
int pd_creds_claude_seed(const char *home, const char *agent_home, int *out, struct pd_error *err);

/*
 * pd_gitconfig_filter() - @text (a gitconfig) without what carries
 * credentials or host paths: the credential, http, url (insteadOf may hold a
 * token), github, hub, gh, include, includeIf and sendemail sections, and
 * any key naming a token, password, secret, askpass or extraHeader (heap).
 */
char *pd_gitconfig_filter(const char *text, size_t len, size_t *out_len);

#endif
