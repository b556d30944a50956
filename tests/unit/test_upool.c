/* SPDX-License-Identifier: MIT */
/*
 * test_upool.c - the proxy's pool of idle upstream connections (upool.c),
 * with socket pairs as connections: what is kept, taken, refused, bounded,
 * expired, and that each connection let go is closed (its other end sees
 * EOF or a reset).
 */
#include "unit.h"
#include "proxy/upool.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NPAIRS (PD_UPOOL_MAX + 8)

struct pairs {
	int mine[NPAIRS];  /* given to the pool */
	int other[NPAIRS]; /* the "server" end */
	size_t n;
};

static int pair(struct pairs *p)
{
	int sv[2];

	ck_assert_uint_lt(p->n, NPAIRS);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	p->mine[p->n] = sv[0];
	p->other[p->n] = sv[1];
	return (int)p->n++;
}

/* The pool closed pair @i's end: its other end reads EOF. */
static bool closed(const struct pairs *p, int i)
{
	char b;
	ssize_t r = recv(p->other[i], &b, 1, MSG_DONTWAIT);

	return r == 0 || (r < 0 && errno == ECONNRESET);
}

static void pairs_fini(struct pairs *p)
{
	for (size_t i = 0; i < p->n; i++)
		close(p->other[i]);
}

static const struct pd_addr addr1 = { .family = AF_INET, .v4 = { .s_addr = 0x0100007f } };

static bool allow_all(const struct pd_addr *peer, void *ctx)
{
	(void)peer;
	(void)ctx;
	return true;
}

static bool allow_none(const struct pd_addr *peer, void *ctx)
{
	(*(int *)ctx)++;
	(void)peer;
	return false;
}

START_TEST(test_put_take)
{
	static struct pd_upool u;
	struct pairs p = { .n = 0 };
	struct pd_addr peer;
	int a = pair(&p), b = pair(&p), c = pair(&p), fd;

	memset(&u, 0, sizeof(u));
	pd_upool_put(&u, p.mine[a], "ok.test", 80, false, &addr1, 1);
	pd_upool_put(&u, p.mine[b], "ok.test", 80, false, &addr1, 2);
	pd_upool_put(&u, p.mine[c], "ok.test", 8080, false, &addr1, 3);
	ck_assert_uint_eq(u.n, 3);
	/* another name, port or pin: nothing */
	ck_assert_int_eq(pd_upool_take(&u, "other.test", 80, false, allow_all, NULL, &peer), -1);
	ck_assert_int_eq(pd_upool_take(&u, "ok.test", 81, false, allow_all, NULL, &peer), -1);
	ck_assert_int_eq(pd_upool_take(&u, "ok.test", 80, true, allow_all, NULL, &peer), -1);
	/* the most recently kept first */
	fd = pd_upool_take(&u, "ok.test", 80, false, allow_all, NULL, &peer);
	ck_assert_int_eq(fd, p.mine[b]);
	ck_assert_int_eq(peer.family, AF_INET);
	ck_assert_uint_eq(peer.v4.s_addr, addr1.v4.s_addr);
	close(fd);
	fd = pd_upool_take(&u, "ok.test", 80, false, allow_all, NULL, &peer);
	ck_assert_int_eq(fd, p.mine[a]);
	close(fd);
	ck_assert_int_eq(pd_upool_take(&u, "ok.test", 80, false, allow_all, NULL, &peer), -1);
	ck_assert_uint_eq(u.n, 1);
	ck_assert(!closed(&p, c));
	pd_upool_clear(&u);
	ck_assert_uint_eq(u.n, 0);
	ck_assert(closed(&p, c));
	pairs_fini(&p);
}
END_TEST

/* A connection with something waiting (bytes, a FIN) is closed, not kept or handed out. */
START_TEST(test_unclean)
{
	static struct pd_upool u;
	struct pairs p = { .n = 0 };
	struct pd_addr peer;
	int a = pair(&p), b = pair(&p), c = pair(&p), d = pair(&p), fd, refused = 0;
	char name[PD_NAME_MAX + 8];

	memset(&u, 0, sizeof(u));
	ck_assert_int_eq(write(p.other[a], "x", 1), 1);
	pd_upool_put(&u, p.mine[a], "ok.test", 80, false, &addr1, 1);
	ck_assert_uint_eq(u.n, 0);
	ck_assert(closed(&p, a)); /* its peer sees EOF or a reset */
	/* kept clean, then the server closes: taking it finds out */
	pd_upool_put(&u, p.mine[b], "ok.test", 80, false, &addr1, 1);
	ck_assert_uint_eq(u.n, 1);
	shutdown(p.other[b], SHUT_WR);
	ck_assert_int_eq(pd_upool_take(&u, "ok.test", 80, false, allow_all, NULL, &peer), -1);
	ck_assert_uint_eq(u.n, 0);
	ck_assert(closed(&p, b));
	/* no longer allowed by the policy: closed */
	pd_upool_put(&u, p.mine[c], "ok.test", 80, false, &addr1, 1);
	ck_assert_int_eq(pd_upool_take(&u, "ok.test", 80, false, allow_none, &refused, &peer), -1);
	ck_assert_int_eq(refused, 1);
	ck_assert_uint_eq(u.n, 0);
	ck_assert(closed(&p, c));
	/* a name too long to keep: closed */
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	pd_upool_put(&u, p.mine[d], name, 80, false, &addr1, 1);
	ck_assert_uint_eq(u.n, 0);
	ck_assert(closed(&p, d));
	fd = pd_upool_take(&u, "ok.test", 80, false, allow_all, NULL, &peer);
	ck_assert_int_eq(fd, -1);
	pairs_fini(&p);
}
END_TEST

/* At most PD_UPOOL_PER_DEST to one place and PD_UPOOL_MAX in all: the oldest goes. */
START_TEST(test_bounds)
{
	static struct pd_upool u;
	struct pairs p = { .n = 0 };
	int first[PD_UPOOL_PER_DEST + 1];

	memset(&u, 0, sizeof(u));
	for (int i = 0; i <= PD_UPOOL_PER_DEST; i++) {
		first[i] = pair(&p);
		pd_upool_put(&u, p.mine[first[i]], "ok.test", 80, false, &addr1, (uint64_t)i);
	}
	ck_assert_uint_eq(u.n, PD_UPOOL_PER_DEST);
	ck_assert(closed(&p, first[0]));
	ck_assert(!closed(&p, first[1]));
	pd_upool_clear(&u);
	pairs_fini(&p);

	p.n = 0;
	for (int i = 0; i <= PD_UPOOL_MAX; i++) {
		char name[32];
		int k = pair(&p);

		snprintf(name, sizeof(name), "h%d.test", i);
		pd_upool_put(&u, p.mine[k], name, 80, false, &addr1, (uint64_t)i);
	}
	ck_assert_uint_eq(u.n, PD_UPOOL_MAX);
	ck_assert(closed(&p, 0));
	ck_assert(!closed(&p, 1));
	ck_assert_str_eq(u.v[0].name, "h1.test");
	ck_assert_str_eq(u.v[PD_UPOOL_MAX - 1].name, "h64.test");
	pd_upool_clear(&u);
	for (int i = 1; i <= PD_UPOOL_MAX; i++)
		ck_assert(closed(&p, i));
	pairs_fini(&p);
}
END_TEST

/* Entries idle for the limit are closed by the sweep; younger ones stay. */
START_TEST(test_expire)
{
	static struct pd_upool u;
	struct pairs p = { .n = 0 };
	int a = pair(&p), b = pair(&p), c = pair(&p);

	memset(&u, 0, sizeof(u));
	pd_upool_put(&u, p.mine[a], "a.test", 80, false, &addr1, 1000);
	pd_upool_put(&u, p.mine[b], "b.test", 80, false, &addr1, 2000);
	pd_upool_put(&u, p.mine[c], "c.test", 80, false, &addr1, 3000);
	pd_upool_expire(&u, 1000 + PD_UPOOL_IDLE_MS - 1, PD_UPOOL_IDLE_MS);
	ck_assert_uint_eq(u.n, 3);
	pd_upool_expire(&u, 2000 + PD_UPOOL_IDLE_MS, PD_UPOOL_IDLE_MS);
	ck_assert_uint_eq(u.n, 1);
	ck_assert(closed(&p, a));
	ck_assert(closed(&p, b));
	ck_assert(!closed(&p, c));
	ck_assert_str_eq(u.v[0].name, "c.test");
	pd_upool_clear(&u);
	pd_upool_put(&u, -1, "c.test", 80, false, &addr1, 1); /* nothing to keep */
	ck_assert_uint_eq(u.n, 0);
	pairs_fini(&p);
}
END_TEST

static Suite *upool_suite(void)
{
	Suite *s = suite_create("upool");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_put_take);
	tcase_add_test(tc, test_unclean);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_expire);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(upool_suite);
