/* SPDX-License-Identifier: MIT */
/*
 * idmap.h - which host ids the sandbox's user namespace maps, and writing
 * the maps.
 *
 * Three modes (see docs/ISOLATION.md):
 *  - root: container ids 0-65535 map onto a dedicated unprivileged range,
 *    the /etc/subuid and /etc/subgid entry of the (passwd-less) name "paude",
 *    which paude adds when missing; paude writes uid_map/gid_map itself.
 *    The sandbox never holds host uid 0.
 *  - subid: an unprivileged user with a >= 65536-id range in /etc/subuid and
 *    /etc/subgid and newuidmap/newgidmap installed: container 0 is the user,
 *    container 1-65536 the range (as rootless podman).
 *  - single: otherwise only container id 0 exists (the user), setgroups is
 *    denied; paude says so once.
 */
#ifndef PAUDE_IDMAP_H
#define PAUDE_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

#define PD_SUBID_COUNT 65536u
#define PD_SUBID_USER "paude"

enum pd_idmap_mode {
	PD_IDMAP_ROOT,
	PD_IDMAP_SUBID,
	PD_IDMAP_SINGLE,
};

struct pd_idmap_range {
	uint32_t inside, outside, count;
};

struct pd_idmap_plan {
	enum pd_idmap_mode mode;
	struct pd_idmap_range uid[2], gid[2];
	size_t n_uid, n_gid;
	uid_t host_uid;        /* the invoking user */
	char user_name[64];    /* their name, or their uid when it has none */
	gid_t host_gid;
	char newuidmap[256], newgidmap[256];
};

struct pd_subid_range {
	uint32_t start, count;
};

/*
 * pd_subid_find() - the first range of at least @min ids for @user (by name
 * or numeric @uid) in the text of an /etc/subuid-format file.
 * Return: 1 found, 0 none; malformed lines are skipped, as shadow does.
 */
int pd_subid_find(const char *text, size_t len, const char *user, uint32_t uid, uint32_t min,
		  struct pd_subid_range *out);

/*
 * pd_subid_free_start() - the lowest start >= @floor, aligned to @count, whose
 * [start, start+count) overlaps no range in either text.
 * Return: 0 with *start, or -1 (errno ERANGE) when the id space is full.
 */
int pd_subid_free_start(const char *a, size_t alen, const char *b, size_t blen,
			uint32_t floor, uint32_t count, uint32_t *start);

/*
 * pd_subid_root_range() - the "paude" ranges for root-mode sandboxes, added
 * to /etc/subuid and /etc/subgid when missing.  Return: 0, or -1 with @err.
 */
int pd_subid_root_range(uint32_t *ustart, uint32_t *gstart, struct pd_error *err);

/* pd_idmap_plan() - decide the mode for this invocation (reads /etc/sub[ug]id). */
int pd_idmap_plan(struct pd_idmap_plan *p, struct pd_error *err);

/* pd_idmap_write() - write the maps of process @pid (or run newuidmap/newgidmap). */
int pd_idmap_write(const struct pd_idmap_plan *p, pid_t pid, struct pd_error *err);

/* pd_idmap_has_uid()/has_gid() - is container id @id mapped? */
bool pd_idmap_has_uid(const struct pd_idmap_plan *p, uint32_t id);
bool pd_idmap_has_gid(const struct pd_idmap_plan *p, uint32_t id);

/* pd_idmap_max() - the highest mapped container id (0 in single mode). */
uint32_t pd_idmap_max(const struct pd_idmap_plan *p);

#endif
