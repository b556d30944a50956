/* SPDX-License-Identifier: MIT */
/*
 * test_proctitle.c - pd_proctitle_init()/pd_proctitle_set().
 *
 * On a fake argv area: init hands back an independent heap copy of argv;
 * set zeroes the area, puts the title (cut to fit, NUL-terminated) at its
 * start and a non-NUL byte in the area's last byte (the kernel's sign that
 * the title was rewritten), and writes nothing outside the area.  The fake
 * area lives inside a static buffer with guard bytes on both sides; the
 * module keeps pointers into it after the test, so it is never freed.
 *
 * On the real one: a forked child finds its own argv area (arg_start and
 * arg_end in /proc/self/stat), sets a title and reads /proc/self/cmdline
 * back, which must then be exactly the title: the host paths that were in
 * paude's argv are what this module hides from the sandbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "common/cleanup.h"
#include "common/proctitle.h"

#define GUARD 16
#define GUARD_BYTE 'G'
#define NARGS 4

static char mem[GUARD + 64 + GUARD];
static const char *const args[NARGS] = { "paude", "run", "--volume", "/host/secret:/c" };

/* Lay out args NUL-separated after the front guard; returns the area size. */
static size_t layout(char **argv)
{
	char *p = mem + GUARD;

	memset(mem, GUARD_BYTE, sizeof(mem));
	for (size_t i = 0; i < NARGS; i++) {
		size_t n = strlen(args[i]) + 1;

		memcpy(p, args[i], n);
		argv[i] = p;
		p += n;
	}
	argv[NARGS] = NULL;
	return (size_t)(p - (mem + GUARD)); /* bytes including every NUL */
}

static void expect_guards(size_t area)
{
	for (size_t i = 0; i < GUARD; i++)
		ck_assert_msg(mem[i] == GUARD_BYTE, "front guard[%zu]: expected '%c', got 0x%02x",
			      i, GUARD_BYTE, (unsigned char)mem[i]);
	for (size_t i = GUARD + area; i < sizeof(mem); i++)
		ck_assert_msg(mem[i] == GUARD_BYTE, "back guard at +%zu: expected '%c', got 0x%02x",
			      i - GUARD - area, GUARD_BYTE, (unsigned char)mem[i]);
}

/* The area after set(): @title, NULs up to the last byte, which is not NUL. */
static void expect_area(const char *title, size_t area)
{
	const char *a = mem + GUARD;
	size_t t = strlen(title);

	ck_assert_msg(memcmp(a, title, t) == 0, "area: expected to start with \"%s\", got \"%.*s\"",
		      title, (int)t, a);
	for (size_t i = t; i + 1 < area; i++)
		ck_assert_msg(a[i] == '\0', "area[%zu]: expected 0 (old argv erased), got 0x%02x",
			      i, (unsigned char)a[i]);
	ck_assert_msg(a[area - 1] != '\0', "area[%zu] (last byte): expected non-NUL, got NUL",
		      area - 1);
	expect_guards(area);
}

START_TEST(init_returns_copy)
{
	char *argv[NARGS + 1];
	char **copy;

	layout(argv);
	copy = pd_proctitle_init(NARGS, argv);
	ck_assert_msg(copy != NULL, "pd_proctitle_init: expected a copy, got NULL");
	for (size_t i = 0; i < NARGS; i++) {
		ck_assert_msg(copy[i] && strcmp(copy[i], args[i]) == 0,
			      "copy[%zu]: expected \"%s\", got \"%s\"", i, args[i],
			      copy[i] ? copy[i] : "(null)");
		ck_assert_msg(copy[i] < mem || copy[i] >= mem + sizeof(mem),
			      "copy[%zu]: expected a heap string, got a pointer into the argv area",
			      i);
	}
	ck_assert_msg(copy[NARGS] == NULL, "copy[%d]: expected NULL, got \"%s\"", NARGS,
		      copy[NARGS]);
	pd_proctitle_set("paude-init");
	for (size_t i = 0; i < NARGS; i++) /* the copy survives the overwrite */
		ck_assert_msg(strcmp(copy[i], args[i]) == 0,
			      "copy[%zu] after set: expected \"%s\", got \"%s\"", i, args[i],
			      copy[i]);
	pd_strv_free(copy);
}
END_TEST

START_TEST(title_zero_fills)
{
	char *argv[NARGS + 1];
	size_t area = layout(argv);

	pd_strv_free(pd_proctitle_init(NARGS, argv));
	pd_proctitle_set("paude-init");
	expect_area("paude-init", area);
	ck_assert_msg(memmem(mem, sizeof(mem), "secret", 6) == NULL,
		      "argv: expected \"/host/secret\" erased, got it still in memory");
}
END_TEST

START_TEST(title_longer_than_area)
{
	char *argv[NARGS + 1];
	size_t area = layout(argv);
	char title[200];

	memset(title, 'T', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';
	pd_strv_free(pd_proctitle_init(NARGS, argv));
	pd_proctitle_set(title);
	/* area - 2 bytes of title, its NUL, then the non-NUL last byte */
	for (size_t i = 0; i + 2 < area; i++)
		ck_assert_msg(mem[GUARD + i] == 'T', "area[%zu]: expected 'T', got 0x%02x", i,
			      (unsigned char)mem[GUARD + i]);
	ck_assert_msg(mem[GUARD + area - 2] == '\0',
		      "area[%zu]: expected the title's NUL, got 0x%02x", area - 2,
		      (unsigned char)mem[GUARD + area - 2]);
	ck_assert_msg(mem[GUARD + area - 1] != '\0', "area[%zu]: expected non-NUL, got NUL",
		      area - 1);
	expect_guards(area);
}
END_TEST

START_TEST(small_areas)
{
	char *argv[2];

	/* one argument "paude": 6 bytes */
	memset(mem, GUARD_BYTE, sizeof(mem));
	memcpy(mem + GUARD, "paude", 6);
	argv[0] = mem + GUARD;
	argv[1] = NULL;
	pd_strv_free(pd_proctitle_init(1, argv));
	pd_proctitle_set("");
	expect_area("", 6);

	pd_proctitle_set("init-with-a-long-name");
	expect_area("init", 6);

	/* argc 0 records nothing: the last area stays in use */
	pd_strv_free(pd_proctitle_init(0, argv));
	pd_proctitle_set("x");
	expect_area("x", 6);

	/* an empty argv[0] is a one-byte area: nothing to write at all */
	memset(mem, GUARD_BYTE, sizeof(mem));
	mem[GUARD] = '\0';
	pd_strv_free(pd_proctitle_init(1, argv));
	pd_proctitle_set("title");
	ck_assert_msg(mem[GUARD] == '\0', "1-byte area: expected untouched NUL, got 0x%02x",
		      (unsigned char)mem[GUARD]);
	expect_guards(1);
}
END_TEST

/* ---- the real argv area, in a child ---- */

enum { REAL_OK = 0, REAL_SKIP = 77 };

static size_t read_cmdline(char *buf, size_t size)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t r;

	if (fd < 0)
		return 0;
	while (got < size && (r = read(fd, buf + got, size - got)) > 0)
		got += (size_t)r;
	close(fd);
	return got;
}

/* arg_start and arg_end are fields 48 and 49 of /proc/self/stat. */
static int argv_area(uintptr_t *start, uintptr_t *end)
{
	char buf[4096];
	size_t n;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	char *p;
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	n = (size_t)r;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold spaces */
	if (!p)
		return -1;
	p++;
	{
		unsigned long long v[50] = { 0 };
		char *q = p;

		for (int field = 3; field <= 49; field++) {
			while (*q == ' ')
				q++;
			if (field == 3) { /* the state letter */
				while (*q && *q != ' ')
					q++;
				continue;
			}
			v[field] = strtoull(q, &q, 10);
		}
		*start = (uintptr_t)v[48];
		*end = (uintptr_t)v[49];
	}
	return *start && *end > *start ? 0 : -1;
}

/* Runs in the child: 0 when /proc/self/cmdline became the title, 77 to skip. */
static int real_child(int report)
{
	static char before[8192], after[8192];
	char *argv[256];
	int argc = 0;
	uintptr_t s, e;
	size_t len, got;
	char **copy;

	if (argv_area(&s, &e) < 0)
		return REAL_SKIP;
	len = (size_t)(e - s);
	got = read_cmdline(before, sizeof(before));
	/* Only when the area is ours and as the kernel shows it (not under valgrind). */
	if (len == 0 || len > sizeof(before) || got != len || memcmp((char *)s, before, len) != 0 ||
	    ((char *)s)[len - 1] != '\0')
		return REAL_SKIP;
	for (size_t off = 0; off < len && argc < 255; off += strlen((char *)s + off) + 1)
		argv[argc++] = (char *)s + off;
	argv[argc] = NULL;
	if (len < sizeof("paude-init"))
		return REAL_SKIP;
	copy = pd_proctitle_init(argc, argv);
	pd_proctitle_set("paude-init");
	got = read_cmdline(after, sizeof(after));
	(void)!write(report, after, got);
	pd_strv_free(copy);
	return REAL_OK;
}

START_TEST(real_cmdline_is_the_title)
{
	int p[2];
	pid_t pid;
	int st = 0;
	char got[8192];
	ssize_t n = 0, r;

	ck_assert_msg(pipe2(p, O_CLOEXEC) == 0, "pipe2: expected 0, got errno %d", errno);
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: expected a child, got errno %d", errno);
	if (pid == 0) {
		close(p[0]);
		_exit(real_child(p[1]));
	}
	close(p[1]);
	while ((r = read(p[0], got + n, sizeof(got) - (size_t)n)) > 0)
		n += r;
	close(p[0]);
	ck_assert_msg(waitpid(pid, &st, 0) == pid, "waitpid: expected the child, got errno %d",
		      errno);
	ck_assert_msg(WIFEXITED(st), "child: expected an exit, got wait status 0x%x", st);
	if (WEXITSTATUS(st) == REAL_SKIP) {
		fprintf(stderr,
			"note: proctitle: argv area not reachable here (valgrind?): real test skipped\n");
		return;
	}
	ck_assert_msg(WEXITSTATUS(st) == REAL_OK, "child: expected exit 0, got %d",
		      WEXITSTATUS(st));
	ck_assert_msg((n == 10 || n == 11) && memcmp(got, "paude-init", 10) == 0 &&
			      (n == 10 || got[10] == '\0'),
		      "/proc/self/cmdline: expected \"paude-init\", got %zd bytes \"%.*s\"", n,
		      (int)n, got);
}
END_TEST

static Suite *proctitle_suite(void)
{
	Suite *s = suite_create("proctitle");
	TCase *tc = tcase_create("proctitle");

	tcase_add_test(tc, init_returns_copy);
	tcase_add_test(tc, title_zero_fills);
	tcase_add_test(tc, title_longer_than_area);
	tcase_add_test(tc, small_areas);
	tcase_add_test(tc, real_cmdline_is_the_title);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(proctitle_suite);
