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
#include "runtime.h"

/* pd_idmap_write() - write the maps of process @pid (or run newuidmap/newgidmap). */
int pd_idmap_write(const struct pd_idmap_plan *p, pid_t pid, struct pd_error *err);

/* pd_idmap_has_uid()/has_gid() - is container id @id mapped? */
bool pd_idmap_has_uid(const struct pd_idmap_plan *p, uint32_t id);
bool pd_idmap_has_gid(const struct pd_idmap_plan *p, uint32_t id);

/* pd_idmap_max() - the highest mapped container id (0 in single mode). */
uint32_t pd_idmap_max(const struct pd_idmap_plan *p);

#endif
