/* SPDX-License-Identifier: MIT */
/*
 * user.h - resolve `--user NAME|UID[:GROUP|GID]` against the sandbox's own
 * /etc/passwd and /etc/group, read through the root fd (never NSS, never the
 * host's files), with a bounded parser.
 */
#ifndef PAUDE_USER_H
#define PAUDE_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define PD_USER_MAX_GROUPS 64

struct pd_user {
	uint32_t uid, gid;
	uint32_t groups[PD_USER_MAX_GROUPS]; /* supplementary, includes gid */
	size_t n_groups;
	char name[256];  /* "" when the uid has no entry */
	char home[1024]; /* "/" when unknown */
};

struct pd_passwd_entry {
	const char *name;
	size_t name_len;
	uint32_t uid, gid;
	const char *home;
	size_t home_len;
};

/*
 * pd_passwd_lookup() - find an entry of a passwd-format text by name (when
 * @name is non-NULL) or by uid.  Return: 1 found, 0 not found.
 */
int pd_passwd_lookup(const char *text, size_t len, const char *name, uint32_t uid,
		     struct pd_passwd_entry *out);

/*
 * pd_group_lookup() - find a group by name (non-NULL @name) or gid.
 * Return: 1 found (with *gid), 0 not found.
 */
int pd_group_lookup(const char *text, size_t len, const char *name, uint32_t *gid);

/*
 * pd_group_members() - gids of the groups whose member list names @user,
 * appended to @u->groups (deduplicated, bounded).
 */
void pd_group_members(const char *text, size_t len, const char *user, struct pd_user *u);

/*
 * pd_user_resolve() - resolve @spec (NULL: root) inside the tree at @rootfd.
 * Return: 0, or -1 with @err naming what was not found.
 */
int pd_user_resolve(int rootfd, const char *spec, struct pd_user *u, struct pd_error *err);

#endif
