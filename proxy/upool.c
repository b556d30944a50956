/* SPDX-License-Identifier: MIT */
/*
 * upool.c - idle upstream connections shared by every client of a proxy.
 *
 * Theory of operation.  A plain-HTTP upstream connection whose response
 * ended by its own framing, without `close`, is kept: first by its client
 * connection, for that client's next request (conn.c), then here, once the
 * client goes or asks for another place.  Any client's next request
 * without a body to the same name (or literal), port and pin takes it from
 * here, as squid's shared persistent connections work.
 *
 * An entry is a bare fd that nobody watches.  A server that closes it, or
 * sends anything unasked, is found out when it is put or taken (MSG_PEEK
 * sees a FIN, bytes or an error) and the entry is closed instead: stray
 * bytes never reach a client.  The pool is bounded (PD_UPOOL_MAX, and
 * PD_UPOOL_PER_DEST for one place); the oldest goes first when full, and
 * the proxy's sweep closes entries idle PD_UPOOL_IDLE_MS.  Whoever takes
 * an entry has its address checked against the policy in force (it may
 * have changed since the connection was made); one no longer allowed is
 * closed.  A kept connection that dies just as a request is sent on it is
 * retried once by conn.c, as for a client's own kept connection.
 */
#include "proxy/upool.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool pd_upool_clean(int fd)
{
	char b;

	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}

static bool same_place(const struct pd_upool_entry *e, const char *name, uint16_t port, bool pinned)
{
	return e->port == port && e->pinned == pinned && strcmp(e->name, name) == 0;
}

static void drop(struct pd_upool *u, size_t i)
{
	close(u->v[i].fd);
	memmove(&u->v[i], &u->v[i + 1], (u->n - i - 1) * sizeof(u->v[0]));
	u->n--;
}

void pd_upool_put(struct pd_upool *u, int fd, const char *name, uint16_t port, bool pinned,
		  const struct pd_addr *peer, uint64_t now)
{
	struct pd_upool_entry *e;
	size_t same = 0, oldest = SIZE_MAX;

	if (fd < 0)
		return;
	if (strlen(name) >= sizeof(u->v[0].name) || !pd_upool_clean(fd)) {
		close(fd);
		return;
	}
	for (size_t i = 0; i < u->n; i++)
		if (same_place(&u->v[i], name, port, pinned)) {
			same++;
			if (oldest == SIZE_MAX)
				oldest = i;
		}
	if (same >= PD_UPOOL_PER_DEST)
		drop(u, oldest);
	else if (u->n == PD_UPOOL_MAX)
		drop(u, 0);
	e = &u->v[u->n++];
	e->fd = fd;
	e->port = port;
	e->pinned = pinned;
	e->peer = *peer;
	e->since = now;
	snprintf(e->name, sizeof(e->name), "%s", name);
}

int pd_upool_take(struct pd_upool *u, const char *name, uint16_t port, bool pinned,
		  pd_upool_ok_fn ok, void *ctx, struct pd_addr *peer)
{
	for (size_t i = u->n; i-- > 0;) {
		struct pd_upool_entry *e = &u->v[i];
		int fd;

		if (!same_place(e, name, port, pinned))
			continue;
		if (!pd_upool_clean(e->fd) || !ok(&e->peer, ctx)) {
			drop(u, i);
			continue;
		}
		fd = e->fd;
		*peer = e->peer;
		memmove(&u->v[i], &u->v[i + 1], (u->n - i - 1) * sizeof(u->v[0]));
		u->n--;
		return fd;
	}
	return -1;
}

void pd_upool_expire(struct pd_upool *u, uint64_t now, uint64_t idle_ms)
{
	size_t k = 0;

	while (k < u->n && now - u->v[k].since >= idle_ms)
		close(u->v[k++].fd);
	memmove(&u->v[0], &u->v[k], (u->n - k) * sizeof(u->v[0]));
	u->n -= k;
}

void pd_upool_clear(struct pd_upool *u)
{
	for (size_t i = 0; i < u->n; i++)
		close(u->v[i].fd);
	u->n = 0;
}
