/* SPDX-License-Identifier: MIT */
/*
 * test_user.c - runtime/user.h: the bounded /etc/passwd and /etc/group
 * parsers, and `--user` resolution through a root fd.
 *
 * The resolution tests build a root filesystem in a scratch directory; the
 * files are untrusted input, so the hostile cases (a symlinked /etc/passwd
 * pointing at a host path, a directory, an oversized file) matter as much
 * as the ordinary ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "unit.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/user.h"

/* A length-delimited field equal to @want. */
#define EXPECT_FIELD(p, n, want) \
	ck_assert_msg(strlen(want) == (n) && memcmp((p), (want), (n)) == 0, \
		      "%s: expected \"%s\", got \"%.*s\"", #p, (want), (int)(n), (p))

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"# comment:x:5:5::/c:/bin/sh\n"
	"#x:x:6:6::/c:/bin/sh\n"
	"short:x:1:1\n"
	"sixf:x:11:11::/six\n"
	"badnum:x:abc:1::/b:/bin/sh\n"
	"neguid:x:-1:1::/b:/bin/sh\n"
	"badgid:x:7:x::/b:/bin/sh\n"
	"nogid:x:12::::/bin/sh\n"
	":x:8:8::/empty:/bin/sh\n"
	"agent:x:1000:1001:Agent:/home/agent:/bin/sh\n"
	"nohome:x:1002:1002::relative:/bin/sh\n"
	"dup:x:1000:5::/dup:/bin/sh\n"
	"nul\0user:x:3000:3000::/n:/bin/sh\n"
	"big:x:4294967296:1::/b:/bin/sh\n"
	"huge:x:99999999999999999999:1::/b:/bin/sh\n"
	"many:x:9:9::/m:/bin/sh:extra:more:fields\n"
	"\n"
	"last:x:2000:2000::/last:/bin/sh";

static const char group[] =
	"root:x:0:\n"
	"wheel:x:10:agent,other\n"
	"dev:x:20:other,agent,agent\n"
	"staff:x:30:agentx,xagent,agen,Agent\n"
	"docker:x:40:agent\n"
	"dupgid:x:10:agent\n"
	"bad:x:zz:agent\n"
	"short:x:50\n"
	"#comment:x:60:agent\n"
	"empty:x:70:\n"
	"trail:x:80:,agent,\n"
	"nul\0grp:x:90:agent\n"
	":x:95:agent\n"
	"agent:x:1001:";

#define PASSWD_LEN (sizeof(passwd) - 1)
#define GROUP_LEN (sizeof(group) - 1)

/* ---- pd_passwd_lookup ---- */

static void expect_pw(const char *name, uint32_t uid, const char *want_name, uint32_t want_uid,
		      uint32_t want_gid, const char *want_home)
{
	struct pd_passwd_entry e;
	int r;

	memset(&e, 0, sizeof(e));
	r = pd_passwd_lookup(passwd, PASSWD_LEN, name, uid, &e);
	ck_assert_msg(r == 1, "passwd lookup %s/%u: expected found, got %d", name ? name : "(uid)",
		      uid, r);
	EXPECT_FIELD(e.name, e.name_len, want_name);
	EXPECT_INT(e.uid, want_uid);
	EXPECT_INT(e.gid, want_gid);
	EXPECT_FIELD(e.home, e.home_len, want_home);
	ck_assert_msg(e.name >= passwd && e.name + e.name_len <= passwd + PASSWD_LEN &&
			      e.home >= passwd && e.home + e.home_len <= passwd + PASSWD_LEN,
		      "passwd lookup %s: expected fields inside the text, got outside", want_name);
}

static void expect_no_pw(const char *name, uint32_t uid)
{
	struct pd_passwd_entry e;
	int r;

	memset(&e, 0, sizeof(e));
	r = pd_passwd_lookup(passwd, PASSWD_LEN, name, uid, &e);
	ck_assert_msg(r == 0, "passwd lookup %s/%u: expected not found, got %d (\"%.*s\")",
		      name ? name : "(uid)", uid, r, (int)e.name_len, e.name ? e.name : "");
}

START_TEST(passwd_by_name)
{
	expect_pw("root", 0, "root", 0, 0, "/root");
	expect_pw("agent", 0, "agent", 1000, 1001, "/home/agent");
	expect_pw("dup", 0, "dup", 1000, 5, "/dup");
	expect_pw("nohome", 0, "nohome", 1002, 1002, "relative");
	expect_pw("many", 0, "many", 9, 9, "/m");
	expect_pw("last", 0, "last", 2000, 2000, "/last"); /* no trailing newline */
}
END_TEST

START_TEST(passwd_by_uid)
{
	expect_pw(NULL, 0, "root", 0, 0, "/root");
	expect_pw(NULL, 1000, "agent", 1000, 1001, "/home/agent"); /* first entry wins */
	expect_pw(NULL, 9, "many", 9, 9, "/m");
	expect_pw(NULL, 2000, "last", 2000, 2000, "/last");
}
END_TEST

START_TEST(passwd_skips_malformed)
{
	expect_no_pw("short", 0); /* too few fields */
	expect_no_pw(NULL, 1);
	expect_no_pw("sixf", 0); /* six fields */
	expect_no_pw(NULL, 11);
	expect_no_pw("badnum", 0); /* non-numeric uid */
	expect_no_pw("neguid", 0);
	expect_no_pw("badgid", 0); /* non-numeric gid */
	expect_no_pw(NULL, 7);
	expect_no_pw("nogid", 0); /* empty gid */
	expect_no_pw(NULL, 12);
	expect_no_pw(NULL, 8); /* empty name */
	expect_no_pw("", 0);
	expect_no_pw("# comment", 0); /* comments */
	expect_no_pw("#x", 0);
	expect_no_pw(NULL, 5);
	expect_no_pw(NULL, 6);
	expect_no_pw("nul", 0); /* NUL inside the line */
	expect_no_pw("user", 0);
	expect_no_pw(NULL, 3000);
	expect_no_pw("big", 0); /* uid overflows 32 bits */
	expect_no_pw("huge", 0);
}
END_TEST

START_TEST(passwd_no_partial_names)
{
	expect_no_pw("agen", 0);
	expect_no_pw("agentx", 0);
	expect_no_pw("agent:x", 0);
	expect_no_pw("Agent", 0);
	expect_no_pw("ghost", 0);
	expect_no_pw(NULL, 4242);
}
END_TEST

START_TEST(passwd_bounded)
{
	struct pd_passwd_entry e;
	/* A copy without NUL terminator on the heap: reads past @len are caught by ASan. */
	static const char line[] = "solo:x:1:2::/h:/bin/sh";
	char *heap = pd_xmalloc(sizeof(line) - 1);

	memcpy(heap, line, sizeof(line) - 1);
	memset(&e, 0, sizeof(e));
	EXPECT_INT(pd_passwd_lookup(heap, sizeof(line) - 1, "solo", 0, &e), 1);
	EXPECT_FIELD(e.home, e.home_len, "/h");
	/* Cut inside the line: the shell field is gone, then the home. */
	EXPECT_INT(pd_passwd_lookup(heap, sizeof(line) - 1 - 7, "solo", 0, &e), 1);
	EXPECT_INT(pd_passwd_lookup(heap, 12, "solo", 0, &e), 0);
	EXPECT_INT(pd_passwd_lookup(heap, 0, "solo", 0, &e), 0);
	EXPECT_INT(pd_passwd_lookup("", 0, NULL, 0, &e), 0);
	free(heap);
}
END_TEST

/* ---- pd_group_lookup / pd_group_members ---- */

START_TEST(group_lookup)
{
	uint32_t gid = 4242;

	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, "wheel", &gid), 1);
	EXPECT_INT(gid, 10);
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, "agent", &gid), 1); /* last line, no newline */
	EXPECT_INT(gid, 1001);
	gid = 20;
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, NULL, &gid), 1);
	EXPECT_INT(gid, 20);

	gid = 4242;
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, "bad", &gid), 0);
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, "short", &gid), 0);
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, "#comment", &gid), 0);
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, "nul", &gid), 0);
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, "whee", &gid), 0);
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, "", &gid), 0);
	EXPECT_INT(gid, 4242); /* untouched when not found */
	gid = 50;
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, NULL, &gid), 0);
	gid = 60;
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, NULL, &gid), 0);
	gid = 90;
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, NULL, &gid), 0);
	gid = 95;
	EXPECT_INT(pd_group_lookup(group, GROUP_LEN, NULL, &gid), 0);
}
END_TEST

static void expect_groups(const struct pd_user *u, const uint32_t *want, size_t n)
{
	char got[512] = "", w[512] = "";

	for (size_t i = 0; i < u->n_groups; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%u ", u->groups[i]);
	for (size_t i = 0; i < n; i++)
		snprintf(w + strlen(w), sizeof(w) - strlen(w), "%u ", want[i]);
	ck_assert_msg(strcmp(got, w) == 0, "groups: expected [%s], got [%s]", w, got);
}

START_TEST(group_members)
{
	struct pd_user u;
	static const uint32_t agent[] = { 1001, 10, 20, 40, 80 };
	static const uint32_t other[] = { 10, 20 };

	memset(&u, 0, sizeof(u));
	u.groups[u.n_groups++] = 1001;
	pd_group_members(group, GROUP_LEN, "agent", &u);
	expect_groups(&u, agent, 5);

	memset(&u, 0, sizeof(u));
	pd_group_members(group, GROUP_LEN, "other", &u);
	expect_groups(&u, other, 2);

	memset(&u, 0, sizeof(u));
	pd_group_members(group, GROUP_LEN, "nobody", &u);
	pd_group_members(group, GROUP_LEN, "", &u);
	pd_group_members(group, GROUP_LEN, NULL, &u);
	pd_group_members(group, GROUP_LEN, "agentt", &u);
	pd_group_members(group, GROUP_LEN, "gent", &u);
	pd_group_members(group, GROUP_LEN, "AGENT", &u);
	pd_group_members(group, GROUP_LEN, "agent,other", &u);
	pd_group_members(group, GROUP_LEN, "wheel", &u);
	expect_groups(&u, agent, 0);

	/* near misses of "agent" in staff's list are members in their own right */
	pd_group_members(group, GROUP_LEN, "agen", &u);
	EXPECT_INT(u.n_groups, 1);
	EXPECT_INT(u.groups[0], 30);
}
END_TEST

START_TEST(group_members_bounded)
{
	struct pd_user u;
	char *text = NULL;
	size_t len;

	/* More groups than PD_USER_MAX_GROUPS name the user: the list stops at the bound. */
	for (unsigned i = 0; i < PD_USER_MAX_GROUPS + 10; i++) {
		char *t = pd_xasprintf("%sg%u:x:%u:a,u\n", text ? text : "", i, 100 + i);

		free(text);
		text = t;
	}
	len = strlen(text);
	memset(&u, 0, sizeof(u));
	pd_group_members(text, len, "u", &u);
	EXPECT_INT(u.n_groups, PD_USER_MAX_GROUPS);
	EXPECT_INT(u.groups[0], 100);
	EXPECT_INT(u.groups[PD_USER_MAX_GROUPS - 1], 100 + PD_USER_MAX_GROUPS - 1);
	free(text);
}
END_TEST

/* ---- pd_user_resolve ---- */

static char *tmp, *root;
static int rootfd = -1;

static void write_at(const char *base, const char *rel, const char *text, size_t len)
{
	char *p = pd_xasprintf("%s/%s", base, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_msg(fd >= 0, "open %s: expected an fd, got errno %d", p, errno);
	ck_assert_msg(write(fd, text, len) == (ssize_t)len,
		      "write %s: expected %zu bytes, got errno %d", p, len, errno);
	close(fd);
	free(p);
}

static void mkdir_at(const char *base, const char *rel)
{
	char *p = pd_xasprintf("%s/%s", base, rel);

	ck_assert_msg(mkdir(p, 0755) == 0, "mkdir %s: expected 0, got errno %d", p, errno);
	free(p);
}

/* mkdir -p */
static void mkdir_p(const char *path)
{
	char *p = pd_xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST,
			      "mkdir %s: expected 0, got errno %d", p, errno);
		*s = '/';
	}
	ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: expected 0, got errno %d",
		      p, errno);
	free(p);
}

static void user_setup(void)
{
	tmp = pd_unit_tmpdir();
	root = pd_xasprintf("%s/root", tmp);
	mkdir_at(tmp, "root");
	mkdir_at(root, "etc");
	write_at(root, "etc/passwd", passwd, PASSWD_LEN);
	write_at(root, "etc/group", group, GROUP_LEN);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_msg(rootfd >= 0, "open %s: expected an fd, got errno %d", root, errno);
}

static void user_teardown(void)
{
	pd_close(rootfd);
	rootfd = -1;
	pd_unit_rmrf(tmp);
	free(tmp);
	free(root);
	tmp = root = NULL;
}

static void resolve_ok(const char *spec, struct pd_user *u)
{
	struct pd_error e = { 0 };
	int r = pd_user_resolve(rootfd, spec, u, &e);

	ck_assert_msg(r == 0, "resolve \"%s\": expected 0, got %d (%s)", spec ? spec : "(null)", r,
		      e.msg);
}

static void expect_user(const struct pd_user *u, uint32_t uid, uint32_t gid, const char *name,
			const char *home)
{
	EXPECT_INT(u->uid, uid);
	EXPECT_INT(u->gid, gid);
	EXPECT_STR(u->name, name);
	EXPECT_STR(u->home, home);
	ck_assert_msg(u->n_groups >= 1 && u->groups[0] == gid,
		      "groups[0]: expected the primary gid %u, got %u (of %zu)", gid,
		      u->n_groups ? u->groups[0] : 0, u->n_groups);
}

START_TEST(resolve_numeric_without_entry)
{
	struct pd_user u;
	static const uint32_t g0[] = { 0 };

	resolve_ok("1234", &u);
	expect_user(&u, 1234, 0, "", "/");
	expect_groups(&u, g0, 1);
	resolve_ok("1234:77", &u);
	expect_user(&u, 1234, 77, "", "/");
	resolve_ok("4294967295", &u);
	EXPECT_INT(u.uid, 4294967295u);
}
END_TEST

START_TEST(resolve_root_default)
{
	struct pd_user u;

	resolve_ok(NULL, &u);
	expect_user(&u, 0, 0, "root", "/root");
	resolve_ok("", &u);
	expect_user(&u, 0, 0, "root", "/root");
	resolve_ok("root", &u);
	expect_user(&u, 0, 0, "root", "/root");
}
END_TEST

START_TEST(resolve_name)
{
	struct pd_user u;
	static const uint32_t all[] = { 1001, 10, 20, 40, 80 };
	static const uint32_t wheel[] = { 10, 20, 40, 80 };
	static const uint32_t g555[] = { 555, 10, 20, 40, 80 };

	resolve_ok("agent", &u);
	expect_user(&u, 1000, 1001, "agent", "/home/agent");
	expect_groups(&u, all, 5);

	resolve_ok("1000", &u); /* uid with an entry: its name and groups */
	expect_user(&u, 1000, 1001, "agent", "/home/agent");
	expect_groups(&u, all, 5);

	resolve_ok("agent:wheel", &u);
	expect_user(&u, 1000, 10, "agent", "/home/agent");
	expect_groups(&u, wheel, 4);

	resolve_ok("agent:555", &u);
	expect_user(&u, 1000, 555, "agent", "/home/agent");
	expect_groups(&u, g555, 5);

	resolve_ok("nohome", &u); /* a relative home is not used */
	expect_user(&u, 1002, 1002, "nohome", "/");

	resolve_ok("last", &u);
	expect_user(&u, 2000, 2000, "last", "/last");
}
END_TEST

START_TEST(resolve_errors)
{
	struct pd_error e = { 0 };
	struct pd_user u;

	EXPECT_INT(pd_user_resolve(rootfd, "ghost", &u, &e), -1);
	EXPECT_INT(e.code, ENOENT);
	EXPECT_STR(e.msg, "user \"ghost\" not found in the image's /etc/passwd");

	EXPECT_INT(pd_user_resolve(rootfd, "agent:ghosts", &u, &e), -1);
	EXPECT_INT(e.code, ENOENT);
	EXPECT_STR(e.msg, "group \"ghosts\" not found in the image's /etc/group");

	EXPECT_INT(pd_user_resolve(rootfd, "1000:ghosts", &u, &e), -1);
	EXPECT_STR(e.msg, "group \"ghosts\" not found in the image's /etc/group");

	EXPECT_INT(pd_user_resolve(rootfd, "99999999999", &u, &e), -1);
	EXPECT_INT(e.code, ERANGE);
	EXPECT_STR(e.msg, "user \"99999999999\": Numerical result out of range");

	EXPECT_INT(pd_user_resolve(rootfd, "0:4294967296", &u, &e), -1);
	EXPECT_INT(e.code, ERANGE);
	EXPECT_STR(e.msg, "group \"4294967296\": Numerical result out of range");

	EXPECT_INT(pd_user_resolve(rootfd, "badnum", &u, &e),
		   -1); /* malformed lines do not count */
	EXPECT_INT(e.code, ENOENT);
	EXPECT_INT(pd_user_resolve(rootfd, "agent:bad", &u, &e), -1);
	EXPECT_INT(e.code, ENOENT);
}
END_TEST

START_TEST(resolve_missing_files)
{
	struct pd_user u;
	struct pd_error e = { 0 };
	char *p = pd_xasprintf("%s/etc/passwd", root);
	char *g = pd_xasprintf("%s/etc/group", root);

	ck_assert_msg(unlink(p) == 0 && unlink(g) == 0, "unlink: expected 0, got errno %d", errno);
	resolve_ok("0", &u);
	expect_user(&u, 0, 0, "", "/");
	resolve_ok("1000:10", &u);
	expect_user(&u, 1000, 10, "", "/");
	EXPECT_INT(pd_user_resolve(rootfd, "root", &u, &e), -1);
	EXPECT_STR(e.msg, "user \"root\" not found in the image's /etc/passwd");
	EXPECT_INT(pd_user_resolve(rootfd, "0:wheel", &u, &e), -1);
	EXPECT_STR(e.msg, "group \"wheel\" not found in the image's /etc/group");

	/* No /etc at all. */
	mkdir_at(tmp, "bare");
	{
		char *bare = pd_xasprintf("%s/bare", tmp);
		int fd = open(bare, O_PATH | O_DIRECTORY | O_CLOEXEC);

		EXPECT_INT(pd_user_resolve(fd, "7:8", &u, &e), 0);
		expect_user(&u, 7, 8, "", "/");
		close(fd);
		free(bare);
	}
	free(p);
	free(g);
}
END_TEST

START_TEST(resolve_symlink_stays_in_root)
{
	struct pd_user u;
	struct pd_error e = { 0 };
	char *host_passwd = pd_xasprintf("%s/outside/passwd", tmp);
	char *link = pd_xasprintf("%s/etc/passwd", root);
	static const char evil[] = "evil:x:0:0::/evil:/bin/sh\n";
	static const char good[] = "good:x:7:8::/good:/bin/sh\n";

	/* The "host" file the link names, with an entry that must never be seen. */
	mkdir_at(tmp, "outside");
	write_at(tmp, "outside/passwd", evil, sizeof(evil) - 1);
	unlink(link);
	ck_assert_msg(symlink(host_passwd, link) == 0, "symlink: expected 0, got errno %d", errno);

	/* Resolved inside the root, the target does not exist: /etc/passwd reads empty. */
	EXPECT_INT(pd_user_resolve(rootfd, "evil", &u, &e), -1);
	EXPECT_STR(e.msg, "user \"evil\" not found in the image's /etc/passwd");
	resolve_ok("0", &u);
	expect_user(&u, 0, 0, "", "/");

	/* Give the root its own file at that path: that one is read. */
	{
		char *d = pd_xasprintf("%s%s/outside", root, tmp);

		mkdir_p(d);
		write_at(d, "passwd", good, sizeof(good) - 1);
		free(d);
	}
	resolve_ok("good", &u);
	expect_user(&u, 7, 8, "good", "/good");
	EXPECT_INT(pd_user_resolve(rootfd, "evil", &u, &e), -1);
	EXPECT_INT(e.code, ENOENT);

	/* A relative climb out of the root is clamped the same way. */
	unlink(link);
	ck_assert_msg(symlink("../../../../../../../outside/passwd", link) == 0,
		      "symlink: expected 0, got errno %d", errno);
	EXPECT_INT(pd_user_resolve(rootfd, "evil", &u, &e), -1);
	EXPECT_INT(e.code, ENOENT);
	free(host_passwd);
	free(link);
}
END_TEST

START_TEST(resolve_hostile_files)
{
	struct pd_user u;
	struct pd_error e = { 0 };
	char *p = pd_xasprintf("%s/etc/passwd", root);
	int fd;

	/* A directory where the file should be. */
	unlink(p);
	ck_assert_msg(mkdir(p, 0755) == 0, "mkdir: expected 0, got errno %d", errno);
	EXPECT_INT(pd_user_resolve(rootfd, "0", &u, &e), -1);
	EXPECT_INT(e.code, EISDIR);
	EXPECT_STR(e.msg, "the image's /etc/passwd: read \"/etc/passwd\": Is a directory");
	rmdir(p);

	/* Larger than the 8 MiB cap (a sparse file). */
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0 && ftruncate(fd, (8 << 20) + 1) == 0,
		      "ftruncate: expected 0, got errno %d", errno);
	close(fd);
	EXPECT_INT(pd_user_resolve(rootfd, "0", &u, &e), -1);
	EXPECT_INT(e.code, EFBIG);

	/* A link through /proc/self/root (the host's / when followed outside) stays in the root. */
	unlink(p);
	ck_assert_msg(symlink("/proc/self/root/etc/passwd", p) == 0,
		      "symlink: expected 0, got errno %d", errno);
	resolve_ok("0", &u); /* root/proc does not exist: reads as empty */
	expect_user(&u, 0, 0, "", "/");
	free(p);
}
END_TEST

static Suite *user_suite(void)
{
	Suite *s = suite_create("user");
	TCase *tp = tcase_create("parse");
	TCase *tr;

	tcase_add_test(tp, passwd_by_name);
	tcase_add_test(tp, passwd_by_uid);
	tcase_add_test(tp, passwd_skips_malformed);
	tcase_add_test(tp, passwd_no_partial_names);
	tcase_add_test(tp, passwd_bounded);
	tcase_add_test(tp, group_lookup);
	tcase_add_test(tp, group_members);
	tcase_add_test(tp, group_members_bounded);
	suite_add_tcase(s, tp);

	if (!pd_unit_have_openat2()) {
		fprintf(stderr,
			"note: openat2 unavailable (ENOSYS): pd_user_resolve tests left out\n");
		return s;
	}
	tr = tcase_create("resolve");
	tcase_add_checked_fixture(tr, user_setup, user_teardown);
	tcase_add_test(tr, resolve_numeric_without_entry);
	tcase_add_test(tr, resolve_root_default);
	tcase_add_test(tr, resolve_name);
	tcase_add_test(tr, resolve_errors);
	tcase_add_test(tr, resolve_missing_files);
	tcase_add_test(tr, resolve_symlink_stays_in_root);
	tcase_add_test(tr, resolve_hostile_files);
	suite_add_tcase(s, tr);
	return s;
}

PD_UNIT_SUITE(user_suite);
