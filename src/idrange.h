/* SPDX-License-Identifier: MIT */
/*
 * idrange.h - deciding a sandbox's id plan, and provisioning the host for
 * it (the root-mode /etc/subuid entry): src/'s job, never the runtime's.
 */
#ifndef PAUDE_IDRANGE_H
#define PAUDE_IDRANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/runtime.h"

/*
 * pd_subid_root_range() - the "paude" ranges for root-mode sandboxes, added
 * to /etc/subuid and /etc/subgid when missing.  Return: 0, or -1 with @err.
 */
int pd_subid_root_range(uint32_t *ustart, uint32_t *gstart, struct pd_error *err);

/*
 * pd_subid_sessions_pool() - the pool root-mode sessions take their own
 * ranges from (podman's --userns=auto model): the "paude-sessions" entry of
 * PD_SESSIONS_POOL_SLOTS ranges of 65536 ids, added when missing.
 */
#define PD_SUBID_SESSIONS_USER "paude-sessions"
#define PD_SESSIONS_POOL_SLOTS 1024u
int pd_subid_sessions_pool(uint32_t *ustart, uint32_t *gstart, struct pd_error *err);

/*
 * pd_idmap_decide() - the plan for a sandbox of this caller: as root, the
 * "paude" range (added when missing); otherwise the user's own range, or a
 * single-id map.  @keep_id: podman's --userns=keep-id (rootless only).
 */
int pd_idmap_decide(struct pd_idmap_plan *p, bool keep_id, struct pd_error *err);

#endif
