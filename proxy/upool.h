/* SPDX-License-Identifier: MIT */
/*
 * upool.h - idle upstream connections shared by every client of a proxy
 * (internal to proxy/; upool.c says how).
 */
#ifndef PAUDE_PROXY_UPOOL_H
#define PAUDE_PROXY_UPOOL_H

#include "proxy/addr.h"
#include "proxy/name.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Idle connections kept: in all, and to one name (or literal), port and pin
 * (a parallel client's own pool, npm's 15 or pip's 10, is kept whole). */
#define PD_UPOOL_MAX 64
#define PD_UPOOL_PER_DEST 16
#define PD_UPOOL_IDLE_MS 30000 /* closed after this long unused */

struct pd_upool_entry {
	int fd;
	uint16_t port;
	bool pinned;
	struct pd_addr peer;
	uint64_t since; /* put here at (ms) */
	char name[PD_NAME_MAX + 3];
};

/* Oldest first. */
struct pd_upool {
	struct pd_upool_entry v[PD_UPOOL_MAX];
	size_t n;
};

/* pd_upool_clean() - nothing is waiting on @fd (no FIN, no stray bytes, no error). */
bool pd_upool_clean(int fd);

/*
 * pd_upool_put() - keep connection @fd (to @peer, for @name, @port, @pinned)
 * for whoever asks next; it is closed instead when not clean.  @fd is the
 * pool's from now on.
 */
void pd_upool_put(struct pd_upool *u, int fd, const char *name, uint16_t port, bool pinned,
		  const struct pd_addr *peer, uint64_t now);

typedef bool (*pd_upool_ok_fn)(const struct pd_addr *peer, void *ctx);

/*
 * pd_upool_take() - the most recently kept clean connection for @name,
 * @port and @pinned whose address @ok (the policy in force) allows; the
 * others met on the way (unclean, or no longer allowed) are closed.
 * Return: the fd (the caller's now) with *@peer, or -1.
 */
int pd_upool_take(struct pd_upool *u, const char *name, uint16_t port, bool pinned,
		  pd_upool_ok_fn ok, void *ctx, struct pd_addr *peer);

/* pd_upool_expire() - close what was kept @idle_ms or longer before @now. */
void pd_upool_expire(struct pd_upool *u, uint64_t now, uint64_t idle_ms);

/* pd_upool_clear() - close everything kept. */
void pd_upool_clear(struct pd_upool *u);

#endif
