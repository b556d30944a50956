/* SPDX-License-Identifier: MIT */
/*
 * test_run_options.c - the `paude run` option parsers (src/run_options.h).
 *
 * Every refused value must be a usage error (status PD_STATUS_USAGE, so main
 * adds the --help hint and exits 125) whose message quotes the value.  Every
 * parse is followed by pd_run_options_release() / pd_mount_release() so the
 * ASan build and valgrind check the failure paths for leaks too.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "unit.h"
#include "cli.h"
#include "run_options.h"
#include "common/cleanup.h"
#include "common/util.h"

#define EXPECT_TRUE(x) ck_assert_msg((x), "%s: expected true, got false", #x)
#define EXPECT_FALSE(x) ck_assert_msg(!(x), "%s: expected false, got true", #x)

/* A parse that must succeed. */
#define EXPECT_OK(call, e) \
	do { \
		int r_ = (call); \
		ck_assert_msg(r_ == 0, "%s: expected 0, got %d (%s)", #call, r_, (e).msg); \
	} while (0)

/* A usage error whose message contains @needle. */
#define EXPECT_USAGE(call, e, needle) \
	do { \
		int r_; \
		memset(&(e), 0, sizeof(e)); \
		r_ = (call); \
		ck_assert_msg(r_ == -1, "%s: expected -1 (usage error), got %d", #call, r_); \
		ck_assert_msg((e).status == PD_STATUS_USAGE, \
			      "%s: expected status %d (usage), got %d (%s)", #call, \
			      PD_STATUS_USAGE, (e).status, (e).msg); \
		ck_assert_msg(strstr((e).msg, (needle)) != NULL, \
			      "%s: expected a message containing \"%s\", got \"%s\"", #call, \
			      (needle), (e).msg); \
	} while (0)

/* A fake host environment for "-e NAME". */
static char env_host1[] = "HOSTVAR=hostvalue";
static char env_host2[] = "HOSTEMPTY=";
static char env_host3[] = "HOSTVARX=other";
static char *fake_environ[] = { env_host1, env_host2, env_host3, NULL };

static void expect_env(char **env, ...)
{
	va_list ap;
	size_t i = 0;
	const char *want;

	va_start(ap, env);
	while ((want = va_arg(ap, const char *)) != NULL) {
		ck_assert_msg(env && env[i], "env[%zu]: expected \"%s\", got the end", i, want);
		ck_assert_msg(strcmp(env[i], want) == 0, "env[%zu]: expected \"%s\", got \"%s\"", i,
			      want, env[i]);
		i++;
	}
	va_end(ap);
	ck_assert_msg(!env || !env[i], "env[%zu]: expected the end, got \"%s\"", i,
		      env ? env[i] : "");
}

/* ---- -e ---- */

START_TEST(env_arg)
{
	struct pd_error e = { 0 };
	char **env = NULL;

	EXPECT_OK(pd_parse_env_arg("K=V", fake_environ, &env, &e), e);
	EXPECT_OK(pd_parse_env_arg("EMPTY=", fake_environ, &env, &e), e);
	EXPECT_OK(pd_parse_env_arg("EQ=a=b", fake_environ, &env, &e), e);
	EXPECT_OK(pd_parse_env_arg("SP=a b ", fake_environ, &env, &e), e);
	EXPECT_OK(pd_parse_env_arg("HOSTVAR", fake_environ, &env, &e), e);   /* host value */
	EXPECT_OK(pd_parse_env_arg("HOSTEMPTY", fake_environ, &env, &e), e); /* set, empty */
	EXPECT_OK(pd_parse_env_arg("MISSING", fake_environ, &env, &e), e);   /* host has none */
	EXPECT_OK(pd_parse_env_arg("HOST", fake_environ, &env, &e), e);      /* no prefix match */
	EXPECT_OK(pd_parse_env_arg("K=W", fake_environ, &env, &e), e); /* later wins, in place */
	expect_env(env, "K=W", "EMPTY=", "EQ=a=b", "SP=a b ", "HOSTVAR=hostvalue",
		   "HOSTEMPTY=", NULL);
	pd_strv_free(env);

	env = NULL;
	EXPECT_OK(pd_parse_env_arg("HOSTVAR", NULL, &env, &e), e); /* no host environment */
	ck_assert_msg(env == NULL, "env: expected nothing added, got \"%s\"", env ? env[0] : "");
}
END_TEST

START_TEST(env_arg_bad_names)
{
	static const char *const bad[] = { "=x", "=", "", " x=1", "x y=1", "x\t=1", "\n", " x" };
	struct pd_error e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char **env = NULL;
		char *want = pd_xasprintf("--env: invalid environment variable \"%s\"", bad[i]);

		EXPECT_USAGE(pd_parse_env_arg(bad[i], fake_environ, &env, &e), e, want);
		ck_assert_msg(env == NULL, "-e \"%s\": expected nothing added, got \"%s\"", bad[i],
			      env ? env[0] : "");
		free(want);
	}
}
END_TEST

START_TEST(env_get_set)
{
	char **env = NULL;

	pd_env_set(&env, "A=1");
	pd_env_set(&env, "AB=2");
	pd_env_set(&env, "B=3");
	pd_env_set(&env, "A=4");
	pd_env_set(&env, "AB=");
	expect_env(env, "A=4", "AB=", "B=3", NULL);
	EXPECT_STR(pd_env_get(env, "A"), "4");
	EXPECT_STR(pd_env_get(env, "AB"), "");
	EXPECT_STR(pd_env_get(env, "C"), NULL);
	EXPECT_STR(pd_env_get(env, ""), NULL);
	EXPECT_STR(pd_env_get(NULL, "A"), NULL);
	pd_strv_free(env);
}
END_TEST

/* pd_env_merge() is pd_env_set() of each in turn... */
START_TEST(env_merge_same_as_set)
{
	static char b0[] = "A=1", b1[] = "B=2", b2[] = "C=3";
	static char a0[] = "B=x", a1[] = "D=4", a2[] = "A=y", a3[] = "D=5",
		    a4[] = "E=", a5[] = "B=z";
	char *base[] = { b0, b1, b2, NULL };
	char *adds[] = { a0, a1, a2, a3, a4, a5, NULL };
	char **merged = pd_strv_dup(base), **set = pd_strv_dup(base);

	pd_env_merge(&merged, adds, 6);
	for (size_t i = 0; adds[i]; i++)
		pd_env_set(&set, adds[i]);
	expect_env(merged, "A=y", "B=z", "C=3", "D=5", "E=", NULL);
	expect_env(set, "A=y", "B=z", "C=3", "D=5", "E=", NULL);
	pd_strv_free(merged);
	pd_strv_free(set);
}
END_TEST

/* ... in n log n: 200,000 entries, half of them names seen before, merge
 * within libcheck's timeout (a quadratic merge takes minutes). */
START_TEST(env_merge_large)
{
	enum { N = 200000 };
	char **adds = pd_xcalloc(N + 1, sizeof(char *));
	char **env = NULL;

	for (size_t i = 0; i < N; i++)
		adds[i] = pd_xasprintf("V%zu=%zu", i % (N / 2), i);
	pd_env_merge(&env, adds, N);
	ck_assert_msg(pd_strv_len(env) == N / 2, "expected %d names, got %zu", N / 2,
		      pd_strv_len(env));
	for (size_t i = 0; i < N / 2; i += 9973) {
		char name[32], value[32], kv[64];

		snprintf(name, sizeof(name), "V%zu", i);
		snprintf(value, sizeof(value), "%zu", i + N / 2);
		snprintf(kv, sizeof(kv), "V%zu=%zu", i, i + N / 2);
		EXPECT_STR(pd_env_get(env, name), value);
		EXPECT_STR(env[i], kv); /* the first position is kept */
	}
	pd_strv_free(env);
	pd_strv_free(adds);
}
END_TEST

/* ---- --env-file ---- */

static int env_file(const char *text, size_t len, char ***env, struct pd_error *e)
{
	return pd_parse_env_file(text, len, "f.env", fake_environ, env, e);
}

START_TEST(env_file_lines)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"A=1\r\n"
		"   B=2\n"
		"\t C=3 \n"
		"  # indented comment\n"
		"\r\n"
		"   \n"
		"HOSTVAR\n"
		"MISSING\n"
		"A=4\n"
		"D=x\ry\n"
		"E==\n"
		"LAST=no newline";
	struct pd_error e = { 0 };
	char **env = NULL;

	EXPECT_OK(env_file(text, sizeof(text) - 1, &env, &e), e);
	expect_env(env, "A=4", "B=2", "C=3 ", "HOSTVAR=hostvalue", "D=x\ry",
		   "E==", "LAST=no newline", NULL);
	pd_strv_free(env);

	env = NULL;
	EXPECT_OK(env_file("", 0, &env, &e), e);
	ck_assert_msg(env == NULL, "empty file: expected no variables, got \"%s\"",
		      env ? env[0] : "");
	EXPECT_OK(env_file("\n\n#x\n", 5, &env, &e), e);
	ck_assert_msg(env == NULL, "blank file: expected no variables, got \"%s\"",
		      env ? env[0] : "");
	/* only the first @len bytes count */
	EXPECT_OK(env_file("A=1\nB=2\n", 4, &env, &e), e);
	expect_env(env, "A=1", NULL);
	pd_strv_free(env);
}
END_TEST

START_TEST(env_file_merges_with_earlier)
{
	struct pd_error e = { 0 };
	char **env = NULL;

	EXPECT_OK(pd_parse_env_arg("A=cmdline", fake_environ, &env, &e), e);
	EXPECT_OK(pd_parse_env_arg("Z=keep", fake_environ, &env, &e), e);
	EXPECT_OK(env_file("A=file\nB=file\n", 14, &env, &e), e);
	expect_env(env, "A=file", "Z=keep", "B=file", NULL);
	pd_strv_free(env);
}
END_TEST

START_TEST(env_file_refuses)
{
	static const char nul[] = "A=1\nB=x\0y\nC=3\n";
	struct pd_error e;
	char **env = NULL;

	EXPECT_USAGE(env_file(nul, sizeof(nul) - 1, &env, &e), e,
		     "--env-file \"f.env\" line 2: NUL byte");
	pd_strv_free(env);
	env = NULL;
	EXPECT_USAGE(env_file("\0", 1, &env, &e), e, "line 1: NUL byte");
	pd_strv_free(env);
	env = NULL;
	EXPECT_USAGE(env_file("A=1\n\n=bad\n", 10, &env, &e), e,
		     "--env-file \"f.env\" line 3: invalid environment variable \"=bad\"");
	pd_strv_free(env);
	env = NULL;
	EXPECT_USAGE(env_file("A B=1\n", 6, &env, &e), e,
		     "line 1: invalid environment variable \"A B=1\"");
	pd_strv_free(env);
}
END_TEST

/* ---- -v ---- */

static void expect_volume(const char *arg, const char *src, const char *dst, bool ro)
{
	struct pd_error e = { 0 };
	struct pd_mount m;
	int r = pd_parse_volume(arg, &m, &e);

	ck_assert_msg(r == 0, "-v \"%s\": expected 0, got %d (%s)", arg, r, e.msg);
	ck_assert_msg(m.type == PD_MOUNT_BIND, "-v \"%s\": expected a bind mount, got type %d", arg,
		      m.type);
	ck_assert_msg(m.source && !strcmp(m.source, src),
		      "-v \"%s\": expected source \"%s\", got \"%s\"", arg, src,
		      m.source ? m.source : "(null)");
	ck_assert_msg(m.dest && !strcmp(m.dest, dst), "-v \"%s\": expected dest \"%s\", got \"%s\"",
		      arg, dst, m.dest ? m.dest : "(null)");
	ck_assert_msg(m.read_only == ro, "-v \"%s\": expected read_only %d, got %d", arg, ro,
		      m.read_only);
	pd_mount_release(&m);
	ck_assert_msg(!m.source && !m.dest, "pd_mount_release: expected cleared pointers, got set");
}

START_TEST(volume_ok)
{
	expect_volume("/a:/b", "/a", "/b", false);
	expect_volume("/a:/b:ro", "/a", "/b", true);
	expect_volume("/a:/b:rw", "/a", "/b", false);
	expect_volume("/a:/b:ro,rw", "/a", "/b", false); /* last wins */
	expect_volume("/a:/b:rw,ro", "/a", "/b", true);
	expect_volume("/host/dir with space:/c/d", "/host/dir with space", "/c/d", false);
	expect_volume("/:/", "/", "/", false);
}
END_TEST

START_TEST(volume_bad)
{
	static const struct {
		const char *arg, *needle;
	} bad[] = {
		{ "a:/b", "the source must be an absolute host path" },
		{ ":/b", "the source must be an absolute host path" },
		{ "/a:b", "the destination must be an absolute path" },
		{ "/a:", "the destination must be an absolute path" },
		{ "/a", "expected SRC:DST[:ro|rw]" },
		{ "", "expected SRC:DST[:ro|rw]" },
		{ "/a:/b:x", "unknown option \"x\" (ro, rw)" },
		{ "/a:/b:ro,x", "unknown option \"x\"" },
		{ "/a:/b:RO", "unknown option \"RO\"" },
		{ "/a:/b:ro:x", "expected SRC:DST[:ro|rw]" },
		{ "/a:/b:c:d:e", "expected SRC:DST[:ro|rw]" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_error e;
		struct pd_mount m;
		char *quoted = pd_xasprintf("--volume \"%s\"", bad[i].arg);

		memset(&m, 0x5a, sizeof(m));
		EXPECT_USAGE(pd_parse_volume(bad[i].arg, &m, &e), e, bad[i].needle);
		EXPECT_USAGE(pd_parse_volume(bad[i].arg, &m, &e), e, quoted);
		ck_assert_msg(!m.source && !m.dest,
			      "-v \"%s\": expected nothing allocated, got set", bad[i].arg);
		pd_mount_release(&m);
		free(quoted);
	}
}
END_TEST

/* ---- --tmpfs ---- */

START_TEST(tmpfs_ok)
{
	struct pd_error e = { 0 };
	struct pd_mount m;

	EXPECT_OK(pd_parse_tmpfs("/t", &m, &e), e);
	EXPECT_INT(m.type, PD_MOUNT_TMPFS);
	EXPECT_STR(m.dest, "/t");
	EXPECT_STR(m.source, NULL);
	EXPECT_STR(m.tmpfs_size, NULL);
	EXPECT_UINT(m.tmpfs_mode, 01777);
	EXPECT_TRUE(m.noexec);
	EXPECT_FALSE(m.read_only);
	pd_mount_release(&m);

	EXPECT_OK(pd_parse_tmpfs("/t:size=1m,mode=755,exec", &m, &e), e);
	EXPECT_STR(m.dest, "/t");
	EXPECT_STR(m.tmpfs_size, "1048576");
	EXPECT_UINT(m.tmpfs_mode, 0755);
	EXPECT_FALSE(m.noexec);
	pd_mount_release(&m);

	EXPECT_OK(pd_parse_tmpfs("/run/x:ro,nosuid,nodev,exec,noexec,size=64k,size=2k,mode=0", &m,
				 &e),
		  e);
	EXPECT_STR(m.dest, "/run/x");
	EXPECT_STR(m.tmpfs_size, "2048"); /* last wins */
	EXPECT_UINT(m.tmpfs_mode, 0);
	EXPECT_TRUE(m.noexec);
	EXPECT_TRUE(m.read_only);
	pd_mount_release(&m);

	EXPECT_OK(pd_parse_tmpfs("/t:nr_inodes=100,size=1g", &m, &e), e);
	EXPECT_STR(m.tmpfs_size, "1073741824");
	EXPECT_UINT(m.tmpfs_inodes, 100);
	pd_mount_release(&m);

	EXPECT_OK(pd_parse_tmpfs("/t:ro,rw,mode=7777", &m, &e), e);
	EXPECT_FALSE(m.read_only);
	EXPECT_UINT(m.tmpfs_mode, 07777);
	pd_mount_release(&m);
}
END_TEST

START_TEST(tmpfs_bad)
{
	static const struct {
		const char *arg, *needle;
	} bad[] = {
		{ "t", "--tmpfs \"t\": the destination must be an absolute path" },
		{ "", "the destination must be an absolute path" },
		{ ":size=1m", "the destination must be an absolute path" },
		{ "/t:foo", "--tmpfs \"/t:foo\": unknown option \"foo\"" },
		{ "/t:size=1m,bogus", "unknown option \"bogus\"" },
		{ "/t:suid", "unknown option \"suid\"" },
		{ "/t:size=1x", "--tmpfs \"/t:size=1x\": invalid size \"1x\"" },
		{ "/t:size=", "invalid size \"\"" },
		{ "/t:size=-1", "invalid size \"-1\"" },
		{ "/t:mode=789", "--tmpfs \"/t:mode=789\": bad mode \"789\"" },
		{ "/t:mode=", "bad mode \"\"" },
		{ "/t:mode=17777", "bad mode \"17777\"" },
		{ "/t:mode=abc", "bad mode \"abc\"" },
		{ "/t:mode=-1", "bad mode \"-1\"" },
		{ "/t:mode=99999999999999999999999", "bad mode" },
		{ "/t:exec,mode=75x", "bad mode \"75x\"" },
		/* 0 means "unlimited" to tmpfs: never accepted */
		{ "/t:size=0", "--tmpfs \"/t:size=0\": size=0 would be unlimited" },
		{ "/t:size=0k", "size=0 would be unlimited" },
		{ "/t:nr_inodes=0", "nr_inodes= takes a number of inodes from 1" },
		{ "/t:nr_inodes=x", "nr_inodes= takes a number of inodes from 1" },
		{ "/t:nr_inodes=", "nr_inodes= takes a number of inodes from 1" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_error e;
		struct pd_mount m;

		EXPECT_USAGE(pd_parse_tmpfs(bad[i].arg, &m, &e), e, bad[i].needle);
		ck_assert_msg(!m.dest && !m.tmpfs_size,
			      "--tmpfs \"%s\": expected released fields, got set", bad[i].arg);
		pd_mount_release(&m);
	}
}
END_TEST

/* ---- sizes, cpus, ulimits, pids ---- */

#define EXPECT_BYTES(arg, want) \
	do { \
		struct pd_error e_ = { 0 }; \
		uint64_t v_ = 77; \
		int r_ = pd_parse_bytes((arg), &v_, &e_); \
		ck_assert_msg(r_ == 0, "bytes \"%s\": expected 0, got %d (%s)", (arg), r_, \
			      e_.msg); \
		ck_assert_msg(v_ == (uint64_t)(want), "bytes \"%s\": expected %llu, got %llu", \
			      (arg), (unsigned long long)(want), (unsigned long long)v_); \
	} while (0)

START_TEST(bytes_ok)
{
	EXPECT_BYTES("100", 100);
	EXPECT_BYTES("0", 0);
	EXPECT_BYTES("2b", 2);
	EXPECT_BYTES("1k", 1024);
	EXPECT_BYTES("1K", 1024);
	EXPECT_BYTES("1kb", 1024);
	EXPECT_BYTES("3KiB", 3072);
	EXPECT_BYTES("1.5g", 1610612736ull);
	EXPECT_BYTES("1.5G", 1610612736ull);
	EXPECT_BYTES("64MiB", 64ull << 20);
	EXPECT_BYTES("64mb", 64ull << 20);
	EXPECT_BYTES("1t", 1ull << 40);
	EXPECT_BYTES("2tib", 2ull << 40);
	EXPECT_BYTES("0.5k", 512);
	EXPECT_BYTES("1.0001", 1); /* fractions of a byte are cut */
	EXPECT_BYTES("8000000000g", 8000000000ull << 30);
}
END_TEST

START_TEST(bytes_bad)
{
	static const struct {
		const char *arg, *needle;
	} bad[] = {
		{ "1x", "invalid size \"1x\": unknown unit" },
		{ "1kx", "unknown unit" },
		{ "1 k", "unknown unit" },
		{ ".5", "invalid size \".5\"" },
		{ "k", "invalid size \"k\"" },
		{ "", "invalid size \"\"" },
		{ "1.", "invalid size \"1.\"" },
		{ "1.5.5", "invalid size" },
		{ "-1", "invalid size \"-1\"" },
		{ " 1", "invalid size" },
		{ "1e3", "invalid size" },
		{ "0x10", "invalid size" },
		{ "1kibibyte", "invalid size \"1kibibyte\"" },
		{ "99999999999t", "size \"99999999999t\" is too large" },
		{ "8589934592g", "is too large" }, /* exactly 2^63 */
		{ "100000000000000000000", "is too large" },
		{ "99999999999999999999999999999999999999999999999999999999999999999999999999999999"
		  "99999999999999999999999999999999999999999999999999999999999999999999999999999999"
		  "99999999999999999999999999999999999999999999999999999999999999999999999999999999"
		  "99999999999999999999999999999999999999999999999999999999999999999999999999999999",
		  "is too large" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_error e;
		uint64_t v = 77;

		EXPECT_USAGE(pd_parse_bytes(bad[i].arg, &v, &e), e, bad[i].needle);
		ck_assert_msg(v == 77, "bytes \"%s\": expected the output untouched, got %llu",
			      bad[i].arg, (unsigned long long)v);
	}
}
END_TEST

START_TEST(cpus)
{
	static const struct {
		const char *arg;
		uint64_t quota;
	} ok[] = {
		{ "1", 100000 },   { "1.5", 150000 },     { "0.01", 1000 }, { "2", 200000 },
		{ "0.25", 25000 }, { "1024", 102400000 }, { "1.", 100000 }, { ".5", 50000 },
	};
	static const struct {
		const char *arg, *needle;
	} bad[] = {
		{ "0.001", "--cpus \"0.001\": must be between 0.01 and 1024" },
		{ "0", "must be between 0.01 and 1024" },
		{ "0.009", "must be between" },
		{ "1024.5", "must be between" },
		{ "99999999999999999999999999", "must be between" },
		{ "abc", "--cpus \"abc\": expected a number such as 1.5" },
		{ "", "expected a number" },
		{ ".", "expected a number" },
		{ "1.5.", "expected a number" },
		{ "-1", "expected a number" },
		{ "1e2", "expected a number" },
		{ "1,5", "expected a number" },
		{ "inf", "expected a number" },
		{ "nan", "expected a number" },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct pd_error e = { 0 };
		uint64_t q = 0, p = 0;
		int r = pd_parse_cpus(ok[i].arg, &q, &p, &e);

		ck_assert_msg(r == 0, "--cpus \"%s\": expected 0, got %d (%s)", ok[i].arg, r,
			      e.msg);
		ck_assert_msg(q == ok[i].quota && p == 100000,
			      "--cpus \"%s\": expected %llu/100000, got %llu/%llu", ok[i].arg,
			      (unsigned long long)ok[i].quota, (unsigned long long)q,
			      (unsigned long long)p);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_error e;
		uint64_t q = 7, p = 7;

		EXPECT_USAGE(pd_parse_cpus(bad[i].arg, &q, &p, &e), e, bad[i].needle);
		ck_assert_msg(q == 7 && p == 7,
			      "--cpus \"%s\": expected outputs untouched, got %llu/%llu",
			      bad[i].arg, (unsigned long long)q, (unsigned long long)p);
	}
}
END_TEST

START_TEST(ulimit)
{
	static const struct {
		const char *arg;
		int res;
		uint64_t soft, hard;
	} ok[] = {
		{ "nofile=10", RLIMIT_NOFILE, 10, 10 },
		{ "nofile=10:20", RLIMIT_NOFILE, 10, 20 },
		{ "nproc=unlimited", RLIMIT_NPROC, RLIM_INFINITY, RLIM_INFINITY },
		{ "core=-1", RLIMIT_CORE, RLIM_INFINITY, RLIM_INFINITY },
		{ "stack=8:unlimited", RLIMIT_STACK, 8, RLIM_INFINITY },
		{ "as=0", RLIMIT_AS, 0, 0 },
		{ "memlock=5:5", RLIMIT_MEMLOCK, 5, 5 },
		{ "rttime=18446744073709551614", RLIMIT_RTTIME, 18446744073709551614ull,
		  18446744073709551614ull },
	};
	static const struct {
		const char *arg, *needle;
	} bad[] = {
		{ "nofile=20:10", "--ulimit \"nofile=20:10\": soft limit above hard limit" },
		{ "nofile=unlimited:10", "soft limit above hard limit" },
		{ "bogus=1", "--ulimit \"bogus=1\": unknown limit \"bogus\"" },
		{ "nofil=1", "unknown limit \"nofil\"" },
		{ "nofilex=1", "unknown limit \"nofilex\"" },
		{ "NOFILE=1", "unknown limit \"NOFILE\"" },
		{ "=1", "unknown limit \"\"" },
		{ "nofile", "--ulimit \"nofile\": expected NAME=SOFT[:HARD]" },
		{ "", "expected NAME=SOFT[:HARD]" },
		{ "nofile=", "bad soft limit" },
		{ "nofile=x", "bad soft limit" },
		{ "nofile=:5", "bad soft limit" },
		{ "nofile=-2", "bad soft limit" },
		{ "nofile=18446744073709551615", "bad soft limit" },
		{ "nofile=1:", "bad hard limit" },
		{ "nofile=1:x", "bad hard limit" },
		{ "nofile=1:2:3", "bad hard limit" },
		{ "nofile=123456789012345678901234567890123", "bad soft limit" },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct pd_error e = { 0 };
		struct pd_rlimit rl = { 0 };
		int r = pd_parse_ulimit(ok[i].arg, &rl, &e);

		ck_assert_msg(r == 0, "--ulimit \"%s\": expected 0, got %d (%s)", ok[i].arg, r,
			      e.msg);
		ck_assert_msg(
			rl.resource == ok[i].res && rl.soft == ok[i].soft && rl.hard == ok[i].hard,
			"--ulimit \"%s\": expected %d %llu:%llu, got %d %llu:%llu", ok[i].arg,
			ok[i].res, (unsigned long long)ok[i].soft, (unsigned long long)ok[i].hard,
			rl.resource, (unsigned long long)rl.soft, (unsigned long long)rl.hard);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_error e;
		struct pd_rlimit rl = { 0 };

		EXPECT_USAGE(pd_parse_ulimit(bad[i].arg, &rl, &e), e, bad[i].needle);
	}
}
END_TEST

START_TEST(pids_limit)
{
	static const struct {
		const char *arg;
		uint64_t want;
	} ok[] = {
		{ "-1", 0 }, { "0", 0 }, { "100", 100 }, { "1", 1 }, { "4194304", 4194304 },
	};
	static const char *const bad[] = { "junk",    "",     "-2", "1.5",
					   "4194305", "100k", " 1", "99999999999999999999999" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct pd_error e = { 0 };
		uint64_t v = 77;
		int r = pd_parse_pids_limit(ok[i].arg, &v, &e);

		ck_assert_msg(r == 0 && v == ok[i].want,
			      "--pids-limit \"%s\": expected 0 and %llu, got %d and %llu (%s)",
			      ok[i].arg, (unsigned long long)ok[i].want, r, (unsigned long long)v,
			      e.msg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_error e;
		uint64_t v = 77;
		char *want =
			pd_xasprintf("--pids-limit \"%s\": expected a number of processes", bad[i]);

		EXPECT_USAGE(pd_parse_pids_limit(bad[i], &v, &e), e, want);
		free(want);
	}
}
END_TEST

/* ---- names ---- */

START_TEST(hostname)
{
	static const char *const ok[] = {
		"box",  "my-host.local",
		"a",    "A1",
		"x--y", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
	};
	static const char *const bad[] = {
		"",
		"-x",
		".x",
		"a_b",
		"a b",
		"a/b",
		"a\n",
		"h\xc3\xa9",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct pd_error e = { 0 };
		int r = pd_check_hostname(ok[i], &e);

		ck_assert_msg(r == 0, "--hostname \"%s\": expected 0, got %d (%s)", ok[i], r,
			      e.msg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_error e;
		char *want = pd_xasprintf("--hostname \"%s\": invalid host name", bad[i]);

		EXPECT_USAGE(pd_check_hostname(bad[i], &e), e, want);
		free(want);
	}
}
END_TEST

START_TEST(user_spec)
{
	static const char *const ok[] = { "1000", "agent",     "agent:wheel",
					  "0:0",  "1000:1000", "a-b_c.d" };
	static const char *const bad[] = { ":x", "a:",  "a:b:c", "a b", "",
					   ":",  "a/b", "a:b/c", "a\t", "::" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct pd_error e = { 0 };
		int r = pd_check_user_spec(ok[i], &e);

		ck_assert_msg(r == 0, "--user \"%s\": expected 0, got %d (%s)", ok[i], r, e.msg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pd_error e;
		char *want = pd_xasprintf("--user \"%s\": expected NAME|UID[:GROUP|GID]", bad[i]);

		EXPECT_USAGE(pd_check_user_spec(bad[i], &e), e, want);
		free(want);
	}
}
END_TEST

/* ---- the whole command line ---- */

struct run {
	char **argv;
	int argc;
	struct pd_run_options o;
	struct pd_error e;
	int r;
};

static struct run R;

/* Parse "run" followed by the NULL-terminated arguments, into R. */
static int parse(const char *first, ...)
{
	va_list ap;
	const char *a;

	pd_run_options_release(&R.o);
	pd_strv_free(R.argv);
	memset(&R, 0, sizeof(R));
	pd_strv_push(&R.argv, "run");
	va_start(ap, first);
	for (a = first; a; a = va_arg(ap, const char *))
		pd_strv_push(&R.argv, a);
	va_end(ap);
	R.argc = (int)pd_strv_len(R.argv);
	R.r = pd_run_options_parse(R.argc, R.argv, fake_environ, &R.o, &R.e);
	return R.r;
}

static void run_teardown(void)
{
	pd_run_options_release(&R.o);
	pd_strv_free(R.argv);
	memset(&R, 0, sizeof(R));
}

static void expect_command(char **cmd, ...)
{
	va_list ap;
	size_t i = 0;
	const char *want;

	ck_assert_msg(cmd != NULL, "command: expected a vector, got NULL");
	va_start(ap, cmd);
	while ((want = va_arg(ap, const char *)) != NULL) {
		ck_assert_msg(cmd[i], "command[%zu]: expected \"%s\", got the end", i, want);
		ck_assert_msg(strcmp(cmd[i], want) == 0,
			      "command[%zu]: expected \"%s\", got \"%s\"", i, want, cmd[i]);
		i++;
	}
	va_end(ap);
	ck_assert_msg(!cmd[i], "command[%zu]: expected the end, got \"%s\"", i, cmd[i]);
}

#define EXPECT_PARSE_OK() ck_assert_msg(R.r == 0, "parse: expected 0, got %d (%s)", R.r, R.e.msg)

START_TEST(parse_everything)
{
	parse("-e", "A=1", "--env", "B=2", "--env=C=3", "-eD=4", "-v", "/h:/c:ro", "--tmpfs",
	      "/t:size=1m", "--volume=/h2:/c2", "--read-only", "-t", "-i", "--hostname", "hn", "-w",
	      "/work", "-u", "1000:1000", "--cpus", "1.5", "--memory", "64m", "--pids-limit", "100",
	      "--ulimit", "nofile=10:20", "--ulimit", "nproc=5", "--network", "none",
	      "--seccomp-profile", "/p.json", "img", "ls", "-la", NULL);
	EXPECT_PARSE_OK();
	expect_env(R.o.env, "A=1", "B=2", "C=3", "D=4", NULL);
	EXPECT_UINT(R.o.n_mounts, 3);
	EXPECT_INT(R.o.mounts[0].type, PD_MOUNT_BIND);
	EXPECT_STR(R.o.mounts[0].source, "/h");
	EXPECT_TRUE(R.o.mounts[0].read_only);
	EXPECT_INT(R.o.mounts[1].type, PD_MOUNT_TMPFS);
	EXPECT_STR(R.o.mounts[1].tmpfs_size, "1048576");
	EXPECT_STR(R.o.mounts[2].dest, "/c2");
	EXPECT_FALSE(R.o.mounts[2].read_only);
	EXPECT_TRUE(R.o.read_only);
	EXPECT_TRUE(R.o.tty);
	EXPECT_TRUE(R.o.interactive);
	EXPECT_FALSE(R.o.help);
	EXPECT_STR(R.o.hostname, "hn");
	EXPECT_STR(R.o.workdir, "/work");
	EXPECT_STR(R.o.user, "1000:1000");
	EXPECT_UINT(R.o.limits.cpu_quota_us, 150000);
	EXPECT_UINT(R.o.limits.cpu_period_us, 100000);
	EXPECT_UINT(R.o.limits.memory, 64ull << 20);
	EXPECT_UINT(R.o.limits.pids, 100);
	EXPECT_UINT(R.o.limits.n_rlimits, 2);
	EXPECT_INT(R.o.limits.rlimits[0].resource, RLIMIT_NOFILE);
	EXPECT_UINT(R.o.limits.rlimits[0].hard, 20);
	EXPECT_INT(R.o.limits.rlimits[1].resource, RLIMIT_NPROC);
	EXPECT_UINT(R.o.limits.rlimits[1].soft, 5);
	EXPECT_STR(R.o.network, "none");
	EXPECT_STR(R.o.seccomp_profile, "/p.json");
	EXPECT_STR(R.o.image, "img");
	expect_command(R.o.command, "ls", "-la", NULL);
}
END_TEST

START_TEST(parse_defaults)
{
	parse("img", NULL);
	EXPECT_PARSE_OK();
	EXPECT_STR(R.o.image, "img");
	expect_command(R.o.command, NULL);
	EXPECT_STR(R.o.network, "proxy");
	ck_assert_ptr_null(R.o.allowed_domains);
	ck_assert_ptr_null(R.o.resolve);
	ck_assert_ptr_null(R.o.audit_log);
	ck_assert_msg(R.o.env == NULL && R.o.n_mounts == 0 && R.o.limits.n_rlimits == 0,
		      "defaults: expected no env, mounts or rlimits, got %p %zu %zu",
		      (void *)R.o.env, R.o.n_mounts, R.o.limits.n_rlimits);
	EXPECT_UINT(R.o.limits.memory, 0);
	EXPECT_UINT(R.o.limits.pids, 2048); /* podman's default task limit */
	ck_assert_msg(R.o.limits.pids_default, "the default task limit is marked as such");
	EXPECT_UINT(R.o.limits.cpu_quota_us, 0);
	EXPECT_STR(R.o.user, NULL);
	EXPECT_STR(R.o.workdir, NULL);
	EXPECT_STR(R.o.hostname, NULL);
	EXPECT_FALSE(R.o.tty || R.o.interactive || R.o.read_only || R.o.help);
}
END_TEST

START_TEST(parse_stops_at_image)
{
	parse("img", "ls", "-la", NULL);
	EXPECT_PARSE_OK();
	EXPECT_STR(R.o.image, "img");
	expect_command(R.o.command, "ls", "-la", NULL);

	parse("-t", "img", "-e", "X=1", "--help", "--", "-v", NULL);
	EXPECT_PARSE_OK();
	EXPECT_TRUE(R.o.tty);
	EXPECT_FALSE(R.o.help);
	ck_assert_msg(R.o.env == NULL, "env: expected none (-e belongs to the command), got \"%s\"",
		      R.o.env ? R.o.env[0] : "");
	expect_command(R.o.command, "-e", "X=1", "--help", "--", "-v", NULL);

	parse("img", "-h", NULL);
	EXPECT_PARSE_OK();
	EXPECT_FALSE(R.o.help);
	expect_command(R.o.command, "-h", NULL);
}
END_TEST

START_TEST(parse_double_dash)
{
	parse("--", "img", "-e", "X", NULL);
	EXPECT_PARSE_OK();
	EXPECT_STR(R.o.image, "img");
	expect_command(R.o.command, "-e", "X", NULL);

	parse("-e", "A=1", "--", "-img", "--", NULL);
	EXPECT_PARSE_OK();
	EXPECT_STR(R.o.image, "-img");
	expect_command(R.o.command, "--", NULL);
	expect_env(R.o.env, "A=1", NULL);
}
END_TEST

START_TEST(parse_order_and_later_wins)
{
	parse("-e", "A=1", "-v", "/a:/b", "--tmpfs", "/t", "-e", "B=2", "-v", "/c:/d:ro", "-e",
	      "A=3", "--ulimit", "nofile=1", "--ulimit", "nofile=2", "-w", "/x", "-w", "/y", "img",
	      NULL);
	EXPECT_PARSE_OK();
	expect_env(R.o.env, "A=3", "B=2", NULL);
	EXPECT_UINT(R.o.n_mounts, 3);
	EXPECT_STR(R.o.mounts[0].dest, "/b");
	EXPECT_STR(R.o.mounts[1].dest, "/t");
	EXPECT_STR(R.o.mounts[2].dest, "/d");
	EXPECT_UINT(R.o.limits.n_rlimits, 2);
	EXPECT_UINT(R.o.limits.rlimits[1].soft, 2);
	EXPECT_STR(R.o.workdir, "/y");
}
END_TEST

START_TEST(parse_network)
{
	parse("--network", "none", "img", NULL);
	EXPECT_PARSE_OK();
	EXPECT_STR(R.o.network, "none");
	parse("--net=none", "img", NULL);
	EXPECT_PARSE_OK();
	parse("--network=proxy", "img", NULL);
	EXPECT_PARSE_OK();
	EXPECT_STR(R.o.network, "proxy");
	parse("--allowed-domains", "ok.test:8080", "--allowed-domains", "default", "--resolve",
	      "ok.test:127.0.0.1", "--resolve", "v6.test:[::1]", "--audit-log", "/tmp/a", "img",
	      NULL);
	EXPECT_PARSE_OK();
	EXPECT_STR(R.o.allowed_domains[0], "ok.test:8080");
	EXPECT_STR(R.o.allowed_domains[1], "default");
	ck_assert_ptr_null(R.o.allowed_domains[2]);
	EXPECT_STR(R.o.resolve[1], "v6.test:[::1]");
	EXPECT_STR(R.o.audit_log, "/tmp/a");
	EXPECT_USAGE(parse("--resolve", "ok.test", "img", NULL), R.e, "--resolve");
	EXPECT_USAGE(parse("--resolve", "ok.test:not-an-ip", "img", NULL), R.e, "--resolve");
	EXPECT_USAGE(parse("--resolve", "1.2.3.4:1.2.3.4", "img", NULL), R.e, "--resolve");
	EXPECT_USAGE(parse("--allowed-domains=", "img", NULL), R.e, "--allowed-domains: empty");
	EXPECT_USAGE(parse("--audit-log=", "img", NULL), R.e, "--audit-log: empty");
}
END_TEST

START_TEST(parse_image_options)
{
	parse("img", NULL);
	EXPECT_PARSE_OK();
	ck_assert(R.o.tls_verify);
	ck_assert_ptr_null(R.o.pull);
	ck_assert_ptr_null(R.o.entrypoint);
	parse("--pull", "never", "--platform", "linux/arm64", "--tls-verify=false", "--entrypoint",
	      "", "img", NULL);
	EXPECT_PARSE_OK();
	EXPECT_STR(R.o.pull, "never");
	EXPECT_STR(R.o.platform, "linux/arm64");
	ck_assert(!R.o.tls_verify);
	EXPECT_STR(R.o.entrypoint, "");
	parse("--tls-verify", "img", NULL);
	EXPECT_PARSE_OK();
	ck_assert(R.o.tls_verify);
	EXPECT_USAGE(parse("--pull", "sometimes", "img", NULL), R.e, "--pull \"sometimes\"");
	EXPECT_USAGE(parse("--platform", "linux", "img", NULL), R.e, "--platform \"linux\"");
	EXPECT_USAGE(parse("--tls-verify=maybe", "img", NULL), R.e, "--tls-verify=\"maybe\"");
	EXPECT_USAGE(parse("--network", "host", "img", NULL), R.e,
		     "--network \"host\": unsupported network mode");
	EXPECT_USAGE(parse("--net", "bridge", "img", NULL), R.e, "--network \"bridge\"");
	EXPECT_USAGE(parse("--network=", "img", NULL), R.e, "--network \"\"");
}
END_TEST

START_TEST(parse_help)
{
	parse("-h", NULL);
	EXPECT_PARSE_OK();
	EXPECT_TRUE(R.o.help);
	parse("--help", "img", NULL);
	EXPECT_PARSE_OK();
	EXPECT_TRUE(R.o.help);
	parse("-e", "A=1", "-h", "--bogus", NULL); /* help stops parsing */
	EXPECT_PARSE_OK();
	EXPECT_TRUE(R.o.help);
	parse("-ti", "-h", NULL);
	EXPECT_PARSE_OK();
	EXPECT_TRUE(R.o.help);
}
END_TEST

START_TEST(parse_missing_image)
{
	EXPECT_USAGE(parse(NULL), R.e, "run: missing IMAGE");
	EXPECT_USAGE(parse("-e", "A=1", NULL), R.e, "run: missing IMAGE");
	EXPECT_USAGE(parse("--", NULL), R.e, "run: missing IMAGE");
	EXPECT_USAGE(parse("-t", "-i", "--", NULL), R.e, "run: missing IMAGE");
}
END_TEST

START_TEST(parse_bad_options)
{
	EXPECT_USAGE(parse("--bogus", "img", NULL), R.e,
		     "run: unknown or incomplete option \"--bogus\"");
	EXPECT_USAGE(parse("-x", "img", NULL), R.e, "run: unknown or incomplete option \"-x\"");
	EXPECT_USAGE(parse("-tx", "img", NULL), R.e, "unknown or incomplete option \"-x\"");
	EXPECT_USAGE(parse("-e", NULL), R.e, "unknown or incomplete option \"-e\"");
	EXPECT_USAGE(parse("--env", NULL), R.e, "unknown or incomplete option");
	EXPECT_USAGE(parse("--cpus", NULL), R.e, "unknown or incomplete option \"--cpus\"");
	EXPECT_USAGE(parse("--tty=yes", "img", NULL), R.e, "unknown or incomplete option");
	EXPECT_USAGE(parse("--e", "A=1", "img", NULL), R.e,
		     "unknown or incomplete option"); /* ambiguous */
}
END_TEST

START_TEST(parse_bad_values)
{
	static const struct {
		const char *opt, *val, *needle;
	} bad[] = {
		{ "-e", "=x", "--env: invalid environment variable \"=x\"" },
		{ "-v", "a:/b", "--volume \"a:/b\"" },
		{ "--tmpfs", "t", "--tmpfs \"t\"" },
		{ "-w", "rel", "--workdir \"rel\": must be an absolute path" },
		{ "-u", "a:", "--user \"a:\"" },
		{ "--hostname", "-x", "--hostname \"-x\"" },
		{ "--cpus", "0", "--cpus \"0\"" },
		{ "--memory", "1x", "--memory: invalid size \"1x\"" },
		{ "--memory", "1m", "--memory \"1m\": the minimum is 6m" },
		{ "--memory", "6291455", "the minimum is 6m" },
		{ "--pids-limit", "x", "--pids-limit \"x\"" },
		{ "--ulimit", "x", "--ulimit \"x\"" },
		{ "--ulimit", "nofile=2:1", "soft limit above hard limit" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_USAGE(parse("-v", "/ok:/ok", "-e", "OK=1", bad[i].opt, bad[i].val, "img",
				   NULL),
			     R.e, bad[i].needle);
	parse("--memory", "6m", "img", NULL);
	EXPECT_PARSE_OK();
	EXPECT_UINT(R.o.limits.memory, 6u << 20);
}
END_TEST

START_TEST(parse_twice_resets_getopt)
{
	/* A failure in the middle of a cluster must not leak into the next parse. */
	EXPECT_USAGE(parse("-tx", "img", NULL), R.e, "\"-x\"");
	parse("-i", "img2", "arg", NULL);
	EXPECT_PARSE_OK();
	EXPECT_FALSE(R.o.tty);
	EXPECT_TRUE(R.o.interactive);
	EXPECT_STR(R.o.image, "img2");
	expect_command(R.o.command, "arg", NULL);
	parse("-ti", "img3", NULL);
	EXPECT_PARSE_OK();
	EXPECT_TRUE(R.o.tty && R.o.interactive);
	EXPECT_STR(R.o.image, "img3");
}
END_TEST

START_TEST(parse_env_from_host)
{
	parse("-e", "HOSTVAR", "-e", "NOPE", "--env", "HOSTEMPTY", "img", NULL);
	EXPECT_PARSE_OK();
	expect_env(R.o.env, "HOSTVAR=hostvalue", "HOSTEMPTY=", NULL);
}
END_TEST

START_TEST(parse_env_file)
{
	char *dir = pd_unit_tmpdir();
	char *path = pd_xasprintf("%s/e.env", dir);
	char *missing = pd_xasprintf("%s/missing.env", dir);
	char *want = NULL;
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "fopen %s: expected success, got errno %d", path, errno);
	fputs("# vars\nA=file\r\nB=2\nHOSTVAR\n", f);
	fclose(f);

	parse("-e", "A=cmd", "--env-file", path, "-e", "C=3", "img", NULL);
	EXPECT_PARSE_OK();
	expect_env(R.o.env, "A=file", "B=2", "HOSTVAR=hostvalue", "C=3", NULL);

	parse("--env-file", missing, "img", NULL);
	ck_assert_msg(R.r == -1 && R.e.code == ENOENT,
		      "--env-file missing: expected -1/ENOENT, got %d/%d (%s)", R.r, R.e.code,
		      R.e.msg);
	want = pd_xasprintf("--env-file: open \"%s\": No such file or directory", missing);
	EXPECT_STR(R.e.msg, want);
	free(want);

	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "fopen %s: expected success, got errno %d", path, errno);
	fputs("A=1\n=bad\n", f);
	fclose(f);
	want = pd_xasprintf("--env-file \"%s\" line 2: invalid environment variable \"=bad\"",
			    path);
	EXPECT_USAGE(parse("--env-file", path, "img", NULL), R.e, want);
	free(want);

	pd_unit_rmrf(dir);
	free(dir);
	free(path);
	free(missing);
}
END_TEST

/* ---- pd_usage_error itself ---- */

START_TEST(usage_error_contract)
{
	struct pd_error e;

	memset(&e, 0, sizeof(e));
	e.code = EIO;
	EXPECT_INT(pd_usage_error(&e, "bad \"%s\"", "x"), -1);
	EXPECT_STR(e.msg, "bad \"x\"");
	EXPECT_INT(e.status, PD_STATUS_USAGE);
	EXPECT_INT(e.code, 0);
	EXPECT_INT(pd_usage_error(NULL, "x"), -1);
	/* wrapping keeps the usage status */
	pd_error_wrap(&e, "--memory");
	EXPECT_INT(e.status, PD_STATUS_USAGE);
	EXPECT_STR(e.msg, "--memory: bad \"x\"");
}
END_TEST

static Suite *run_options_suite(void)
{
	Suite *s = suite_create("run_options");
	TCase *tc = tcase_create("single");
	TCase *tp = tcase_create("parse");

	tcase_add_test(tc, env_arg);
	tcase_add_test(tc, env_arg_bad_names);
	tcase_add_test(tc, env_get_set);
	tcase_add_test(tc, env_merge_same_as_set);
	tcase_add_test(tc, env_merge_large);
	tcase_add_test(tc, env_file_lines);
	tcase_add_test(tc, env_file_merges_with_earlier);
	tcase_add_test(tc, env_file_refuses);
	tcase_add_test(tc, volume_ok);
	tcase_add_test(tc, volume_bad);
	tcase_add_test(tc, tmpfs_ok);
	tcase_add_test(tc, tmpfs_bad);
	tcase_add_test(tc, bytes_ok);
	tcase_add_test(tc, bytes_bad);
	tcase_add_test(tc, cpus);
	tcase_add_test(tc, ulimit);
	tcase_add_test(tc, pids_limit);
	tcase_add_test(tc, hostname);
	tcase_add_test(tc, user_spec);
	tcase_add_test(tc, usage_error_contract);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tp, NULL, run_teardown);
	tcase_add_test(tp, parse_everything);
	tcase_add_test(tp, parse_defaults);
	tcase_add_test(tp, parse_stops_at_image);
	tcase_add_test(tp, parse_double_dash);
	tcase_add_test(tp, parse_order_and_later_wins);
	tcase_add_test(tp, parse_network);
	tcase_add_test(tp, parse_image_options);
	tcase_add_test(tp, parse_help);
	tcase_add_test(tp, parse_missing_image);
	tcase_add_test(tp, parse_bad_options);
	tcase_add_test(tp, parse_bad_values);
	tcase_add_test(tp, parse_twice_resets_getopt);
	tcase_add_test(tp, parse_env_from_host);
	if (pd_unit_have_openat2())
		tcase_add_test(tp, parse_env_file);
	else
		fprintf(stderr, "note: openat2 unavailable (ENOSYS): --env-file test left out\n");
	suite_add_tcase(s, tp);
	return s;
}

PD_UNIT_SUITE(run_options_suite);
