/* SPDX-License-Identifier: MIT */
/*
 * test_cgroup.c - pd_cgroup_self_path(): finding a controller's path in
 * /proc/self/cgroup text (v1 "N:ctl1,ctl2:/path" and v2 "0::/path").
 * The output buffer is an exact-size heap block with a guard check, so the
 * ASan build sees any write past @outsz.
 *
 * pd_cgroup_delegate() and pd_cgroup_undelegate() on a real cgroup v2
 * hierarchy (as root; see "delegation" below).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/util.h"
#include "runtime/limits.h"

static const char hybrid[] =
	"12:pids:/p\n"
	"garbage line\n"
	"11:nocolon\n"
	"4:memory:/a/b\n"
	"3:blkio:\n"
	"2:cpu,cpuacct:/x\n"
	"5:,net_cls,net_prio,:/net\n"
	"1:name=systemd:/s\n"
	"7:devices:relative\n"
	"0::/user.slice/x\n";

static void expect_path(const char *text, const char *ctl, const char *want)
{
	char out[256];
	int r;

	memset(out, 'X', sizeof(out));
	r = pd_cgroup_self_path(text, strlen(text), ctl, out, sizeof(out));
	ck_assert_msg(r == 0, "cgroup path of \"%s\": expected 0 and \"%s\", got %d", ctl, want, r);
	ck_assert_msg(strcmp(out, want) == 0, "cgroup path of \"%s\": expected \"%s\", got \"%s\"",
		      ctl, want, out);
}

static void expect_none(const char *text, size_t len, const char *ctl)
{
	char out[64];
	int r;

	memset(out, 'X', sizeof(out));
	r = pd_cgroup_self_path(text, len, ctl, out, sizeof(out));
	ck_assert_msg(r == -1, "cgroup path of \"%s\": expected -1, got %d (\"%.64s\")", ctl, r,
		      out);
}

START_TEST(v1_controllers)
{
	expect_path(hybrid, "memory", "/a/b");
	expect_path(hybrid, "cpu", "/x");
	expect_path(hybrid, "cpuacct", "/x");
	expect_path(hybrid, "pids", "/p");
	expect_path(hybrid, "net_prio", "/net");
	expect_path(hybrid, "name=systemd", "/s");
	expect_path("4:memory:/a/b", "memory", "/a/b"); /* no trailing newline */
	expect_path("2:cpu,cpuacct:/x\n", "cpu", "/x");
	expect_path("4:memory:/\n", "memory", "/");
	expect_path("4:memory:/a:b\n", "memory", "/a:b"); /* ':' inside the path */
	expect_path("4:memory:/first\n5:memory:/second\n", "memory", "/first");
}
END_TEST

START_TEST(v1_missing_controller)
{
	size_t n = sizeof(hybrid) - 1;

	expect_none(hybrid, n, "blkio");       /* empty path */
	expect_none(hybrid, n, "devices");     /* relative path */
	expect_none(hybrid, n, "freezer");     /* absent */
	expect_none(hybrid, n, "cpuac");       /* prefix of a controller */
	expect_none(hybrid, n, "cpu,cpuacct"); /* the list is not one name */
	expect_none(hybrid, n, "mem");
	expect_none(hybrid, n, "memoryx");
	expect_none(hybrid, n, "nocolon");
	expect_none(hybrid, n, "garbage line");
	expect_none(hybrid, n, "name");
	expect_none("0::/only/v2\n", 12, "memory");
}
END_TEST

START_TEST(v2_path)
{
	expect_path(hybrid, "", "/user.slice/x");
	expect_path("0::/user.slice/x", "", "/user.slice/x");
	expect_path("0::/\n", "", "/");
	expect_path("4:memory:/a\n0::/v2\n", "", "/v2");
	expect_path("0::/a b/c\n", "", "/a b/c");
}
END_TEST

START_TEST(garbage)
{
	static const char *const texts[] = {
		"",         "\n",          "garbage",        "::",
		"0::",      "0::\n",       "0::relative\n",  "1::/x\n",
		"00::/x\n", ":0::/x\n",    "0:/x\n",         "0\n",
		":::::\n",  "4:memory:\n", "4:memory:rel\n", "0:memory:/x\n",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char out[64];
		int r;

		memset(out, 'X', sizeof(out));
		r = pd_cgroup_self_path(texts[i], strlen(texts[i]), "", out, sizeof(out));
		ck_assert_msg(r == -1, "v2 path in \"%s\": expected -1, got %d (\"%.64s\")",
			      texts[i], r, out);
	}
	expect_none("4:memory:\n", 10, "memory");
	expect_none("4:memory:rel\n", 13, "memory");
	expect_none("", 0, "memory");
	/* Only @len bytes count: the path is cut to nothing. */
	expect_none("0::/x", 3, "");
	expect_none("4:memory:/a", 9, "memory");
}
END_TEST

START_TEST(bounded_output)
{
	static const char text[] = "0::/abcdef\n";
	char *out;

	/* exactly fits: 7 chars + NUL */
	out = pd_xmalloc(8);
	EXPECT_INT(pd_cgroup_self_path(text, sizeof(text) - 1, "", out, 8), 0);
	ck_assert_msg(strcmp(out, "/abcdef") == 0, "out: expected \"/abcdef\", got \"%s\"", out);
	free(out);

	/* one byte short: refused, nothing written past the block */
	out = pd_xmalloc(7);
	memset(out, 'X', 7);
	EXPECT_INT(pd_cgroup_self_path(text, sizeof(text) - 1, "", out, 7), -1);
	free(out);

	out = pd_xmalloc(1);
	EXPECT_INT(pd_cgroup_self_path(text, sizeof(text) - 1, "", out, 1), -1);
	free(out);

	/* the input itself is an exact-size block without NUL */
	{
		char *in = pd_xmalloc(sizeof(text) - 2);
		char buf[32];

		memcpy(in, text, sizeof(text) - 2); /* no '\n', no NUL */
		EXPECT_INT(pd_cgroup_self_path(in, sizeof(text) - 2, "", buf, sizeof(buf)), 0);
		ck_assert_msg(strcmp(buf, "/abcdef") == 0, "buf: expected \"/abcdef\", got \"%s\"",
			      buf);
		free(in);
	}
}
END_TEST

/* ---- delegation ---- */

/*
 * A scratch cgroup pd-unit-<pid> under the cgroup2 root stands for paude's
 * own cgroup, and a domain controller (hugetlb first: on the CI host the
 * unified hierarchy has no other) for the ones paude needs: cgroup v2
 * refuses it to the children of a cgroup holding processes, as it refuses
 * memory.  Each "run" is a forked child that moves itself into the scratch
 * cgroup, as paude lives in its own, and calls the functions with the
 * scratch directory.  The children report over a pipe (no ck_* in them:
 * with CK_FORK=no a failed assertion would jump back into the runner's
 * copy); the test cleans up whatever happened, then asserts.
 */
#define REPORT_SZ 512

struct cg {
	char root[64], dir[128], ctl[16];
	bool root_enabled; /* we enabled ctl in the root's subtree_control */
	int lock;          /* flock on the root: one such test at a time */
	char why[1024];    /* the first failure */
};

struct run {
	pid_t pid;
	int go;     /* write a byte: the child goes on */
	int report; /* the child's reports, REPORT_SZ bytes each ("" = fine) */
};

typedef void (*run_fn)(const struct cg *c, int go, int rep);

static void cg_fail(struct cg *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cg_fail(struct cg *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

/* @dir/@file's text ("" when unreadable; freed by the caller). */
static char *cg_read(const char *dir, const char *file)
{
	char path[256];
	char *text = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (pd_read_file_at(AT_FDCWD, path, 0, 4096, &text, &len, NULL) < 0)
		return pd_xstrdup("");
	text[strcspn(text, "\n")] = '\0';
	return text;
}

/* Whether the word list @dir/@file holds @word. */
static bool cg_has(const char *dir, const char *file, const char *word)
{
	cleanup_free char *text = cg_read(dir, file);

	for (char *save = NULL, *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (!strcmp(w, word))
			return true;
	return false;
}

static bool cg_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The names of @dir's child cgroups, space-separated ("" when none). */
static void cg_children(const char *dir, char *out, size_t outsz)
{
	cleanup_closedir DIR *d = opendir(dir);
	struct dirent *de;
	size_t off = 0;

	out[0] = '\0';
	while (d && (de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 && off < outsz)
			off += (size_t)snprintf(out + off, outsz - off, "%s%s", off ? " " : "",
						de->d_name);
}

/* The cgroup v2 directory this process is in. */
static void self_cgroup(const struct cg *c, char *out, size_t outsz)
{
	cleanup_free char *text = NULL;
	char path[160];
	size_t len;

	out[0] = '\0';
	if (pd_read_file_at(AT_FDCWD, "/proc/self/cgroup", 0, 1u << 16, &text, &len, NULL) < 0 ||
	    pd_cgroup_self_path(text, len, "", path, sizeof(path)) < 0)
		return;
	snprintf(out, outsz, "%s%s", c->root, strcmp(path, "/") ? path : "");
}

/* ---- in a child ---- */

static void report(int rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int rep, const char *fmt, ...)
{
	char buf[REPORT_SZ] = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (pd_write_all(rep, buf, sizeof(buf)) < 0)
		_exit(1);
}

#define CHILD_FAIL(...) \
	do { \
		report(rep, __VA_ARGS__); \
		return; \
	} while (0)

static void wait_go(int go)
{
	char b;

	if (pd_read_all(go, &b, 1) != 1)
		_exit(1); /* the test gave up */
}

/* Move into @dir, as paude is in its own cgroup. */
static int join(const char *dir, int rep)
{
	struct pd_error e;

	if (pd_cgroup_write(dir, "cgroup.procs", "0", &e) == 0)
		return 0;
	report(rep, "join %s: %s", dir, e.msg);
	return -1;
}

/*
 * After the undo: this process back in @c->dir, which has no child and
 * hands out no controller.  "" when so, else what is wrong, in @why.
 */
static void check_undone(const struct cg *c, const char *leaf, char *why, size_t whysz)
{
	cleanup_free char *sub = cg_read(c->dir, "cgroup.subtree_control");
	char self[256], kids[256];

	self_cgroup(c, self, sizeof(self));
	cg_children(c->dir, kids, sizeof(kids));
	why[0] = '\0';
	if (strcmp(self, c->dir) != 0)
		snprintf(why, whysz, "after the undo: in \"%s\", expected back in \"%s\"", self,
			 c->dir);
	else if (cg_exists(leaf))
		snprintf(why, whysz, "after the undo: the leaf \"%s\" is still there", leaf);
	else if (kids[0])
		snprintf(why, whysz, "after the undo: child cgroups left in %s: %s", c->dir, kids);
	else if (sub[0])
		snprintf(why, whysz,
			 "after the undo: %s/cgroup.subtree_control is \"%s\", expected empty",
			 c->dir, sub);
}

/*
 * A run: delegate with paude's cgroup holding only itself, make a
 * sandbox-like child cgroup; on "go" remove it and undo.  @last: whether
 * the undo should put everything back (no other run) or leave it all.
 */
static void run_delegating(const struct cg *c, int go, int rep, bool last)
{
	const char *const ctl[] = { c->ctl };
	struct pd_cgroup_deleg d;
	struct pd_error e;
	char self[256], sb[256], leaf[256], prefix[256], why[REPORT_SZ];

	if (join(c->dir, rep) < 0)
		return;
	if (pd_cgroup_delegate(c->dir, ctl, 1, &d, &e) < 0)
		CHILD_FAIL("pd_cgroup_delegate(%s, {%s}): expected 0, got -1: %s", c->dir, c->ctl,
			   e.msg);
	snprintf(prefix, sizeof(prefix), "%s/paude-%ld-", c->dir, (long)getpid());
	if (!d.leaf || !pd_str_has_prefix(d.leaf, prefix) || !cg_exists(d.leaf))
		CHILD_FAIL("the leaf: expected an existing \"%s*\", got \"%s\"", prefix,
			   d.leaf ? d.leaf : "(none)");
	pd_strlcpy(leaf, d.leaf, sizeof(leaf));
	if (!d.parent || strcmp(d.parent, c->dir) != 0 || d.pid != getpid())
		CHILD_FAIL("recorded parent \"%s\" pid %ld, expected \"%s\" pid %ld",
			   d.parent ? d.parent : "(none)", (long)d.pid, c->dir, (long)getpid());
	self_cgroup(c, self, sizeof(self));
	if (strcmp(self, leaf) != 0)
		CHILD_FAIL("after pd_cgroup_delegate: in \"%s\", expected the leaf \"%s\"", self,
			   leaf);
	if (!cg_has(c->dir, "cgroup.subtree_control", c->ctl))
		CHILD_FAIL("%s not in %s/cgroup.subtree_control", c->ctl, c->dir);
	if (d.n_added != 1 || strcmp(d.added[0], c->ctl) != 0)
		CHILD_FAIL("recorded %zu added controllers (\"%s\"), expected 1 (\"%s\")",
			   d.n_added, d.n_added ? d.added[0] : "", c->ctl);
	/* The sandbox's cgroup, with the controller. */
	snprintf(sb, sizeof(sb), "%s/paude-%ld-sandbox", c->dir, (long)getpid());
	if (mkdir(sb, 0755) < 0)
		CHILD_FAIL("mkdir %s: %s", sb, pd_strerror(errno));
	if (!cg_has(sb, "cgroup.controllers", c->ctl))
		CHILD_FAIL("%s not in %s/cgroup.controllers", c->ctl, sb);
	report(rep, "%s", "");
	wait_go(go);
	if (rmdir(sb) < 0)
		CHILD_FAIL("rmdir %s: %s", sb, pd_strerror(errno));
	pd_cgroup_undelegate(&d);
	if (d.leaf || d.parent || d.n_added)
		CHILD_FAIL("pd_cgroup_undelegate left the record set (leaf \"%s\")",
			   d.leaf ? d.leaf : "(none)");
	if (last) {
		check_undone(c, leaf, why, sizeof(why));
		CHILD_FAIL("%s", why);
	}
	self_cgroup(c, self, sizeof(self));
	if (strcmp(self, leaf) != 0)
		CHILD_FAIL("another run is there, yet the undo moved this one to \"%s\"", self);
	if (!cg_exists(leaf))
		CHILD_FAIL("another run is there, yet the undo removed the leaf \"%s\"", leaf);
	if (!cg_has(c->dir, "cgroup.subtree_control", c->ctl))
		CHILD_FAIL("another run is there, yet the undo disabled %s", c->ctl);
	report(rep, "%s", "");
}

static void run_alone(const struct cg *c, int go, int rep)
{
	run_delegating(c, go, rep, true);
}

static void run_first_of_two(const struct cg *c, int go, int rep)
{
	run_delegating(c, go, rep, false);
}

/*
 * A second run, in a leaf of its own next to the first's.  Two real runs
 * cannot both get there (each needs the parent free of other processes to
 * enable a domain controller), so its record is what pd_cgroup_delegate()
 * writes when it moves.  On "go" (the first run has ended) its undo must
 * put everything back: the first run's leaf included.
 */
static void run_second(const struct cg *c, int go, int rep)
{
	struct pd_cgroup_deleg d = { 0 };
	char leaf[256], why[REPORT_SZ];

	snprintf(leaf, sizeof(leaf), "%s/paude-%ld-second", c->dir, (long)getpid());
	if (mkdir(leaf, 0755) < 0)
		CHILD_FAIL("mkdir %s: %s", leaf, pd_strerror(errno));
	if (join(leaf, rep) < 0)
		return;
	d.parent = pd_xstrdup(c->dir);
	d.leaf = pd_xstrdup(leaf);
	d.pid = getpid();
	report(rep, "%s", "");
	wait_go(go);
	pd_cgroup_undelegate(&d);
	check_undone(c, leaf, why, sizeof(why));
	report(rep, "%s", why);
}

/* Another process in paude's cgroup: moving into a leaf cannot help. */
static void run_occupant(const struct cg *c, int go, int rep)
{
	if (join(c->dir, rep) < 0)
		return;
	report(rep, "%s", "");
	wait_go(go);
}

static void run_refused(const struct cg *c, int go, int rep)
{
	const char *const ctl[] = { c->ctl };
	struct pd_cgroup_deleg d;
	struct pd_error e = { 0 };
	char why[REPORT_SZ];
	int r;

	(void)go;
	if (join(c->dir, rep) < 0)
		return;
	r = pd_cgroup_delegate(c->dir, ctl, 1, &d, &e);
	if (r != -1 || e.code != EBUSY)
		CHILD_FAIL(
			"pd_cgroup_delegate with another process there: expected -1 EBUSY, got "
			"%d (%s)",
			r, r < 0 ? e.msg : "delegated");
	if (d.leaf || d.parent)
		CHILD_FAIL("the failed pd_cgroup_delegate left a record (leaf \"%s\")",
			   d.leaf ? d.leaf : "(none)");
	check_undone(c, "/nonexistent", why, sizeof(why));
	report(rep, "%s", why);
}

/* ---- in the test ---- */

static bool run_start(struct cg *c, struct run *r, run_fn fn)
{
	int go[2] = { -1, -1 }, rep[2];

	r->pid = -1;
	r->go = r->report = -1;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		cg_fail(c, "pipe2: %s", pd_strerror(errno));
		pd_close(go[0]);
		pd_close(go[1]);
		return false;
	}
	r->pid = fork();
	if (r->pid == 0) {
		close(go[1]);
		close(rep[0]);
		fn(c, go[0], rep[1]);
		_exit(0);
	}
	close(go[0]);
	close(rep[1]);
	r->go = go[1];
	r->report = rep[0];
	if (r->pid < 0)
		cg_fail(c, "fork: %s", pd_strerror(errno));
	return r->pid > 0;
}

/* The next report of @r; false (and the failure recorded) unless fine. */
static bool run_report(struct cg *c, struct run *r, const char *what)
{
	char buf[REPORT_SZ];

	if (pd_read_all(r->report, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		cg_fail(c, "%s: the child ended without a report", what);
		return false;
	}
	buf[sizeof(buf) - 1] = '\0';
	if (buf[0])
		cg_fail(c, "%s: %s", what, buf);
	return !buf[0];
}

static void run_go(struct run *r)
{
	(void)pd_write_all(r->go, "g", 1);
}

/* Reap @r; killed first when the test already failed (it may be waiting). */
static void run_end(struct cg *c, struct run *r)
{
	if (r->pid > 0) {
		if (c->why[0])
			kill(r->pid, SIGKILL);
		pd_close(r->go);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
	} else {
		pd_close(r->go);
	}
	pd_close(r->report);
	r->pid = -1;
	r->go = r->report = -1;
}

/*
 * 1: usable (the scratch cgroup made); 0: left out here, with a note (not
 * root, where CI never is, or no openat2 under valgrind); -1: as root the
 * hierarchy is not usable (c->why says why): a failure, never a silent pass.
 */
static int cg_setup(struct cg *c)
{
	static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	/* Domain controllers (threaded ones such as pids meet no EBUSY). */
	static const char *const ctls[] = { "hugetlb", "misc", "rdma", "io", "memory" };
	cleanup_free char *avail = NULL;
	struct pd_error e;
	char add[32];

	memset(c, 0, sizeof(*c));
	c->lock = -1;
	if (geteuid() != 0) {
		fprintf(stderr,
			"note: test_cgroup: not root: cgroup v2 delegation tests left out\n");
		return 0;
	}
	if (!pd_unit_have_openat2()) {
		fprintf(stderr,
			"note: openat2 unavailable (ENOSYS): cgroup v2 delegation tests "
			"left out\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]) && !c->root[0]; i++) {
		struct statfs sf;

		if (statfs(roots[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			pd_strlcpy(c->root, roots[i], sizeof(c->root));
	}
	if (!c->root[0]) {
		cg_fail(c,
			"as root, the cgroup v2 delegation tests need a cgroup2 hierarchy at "
			"/sys/fs/cgroup or /sys/fs/cgroup/unified: there is none");
		return -1;
	}
	c->lock = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->lock < 0 || flock(c->lock, LOCK_EX) < 0) {
		cg_fail(c, "lock %s: %s", c->root, pd_strerror(errno));
		return -1;
	}
	avail = cg_read(c->root, "cgroup.controllers");
	for (size_t i = 0; i < sizeof(ctls) / sizeof(ctls[0]) && !c->ctl[0]; i++)
		if (cg_has(c->root, "cgroup.controllers", ctls[i]))
			pd_strlcpy(c->ctl, ctls[i], sizeof(c->ctl));
	if (!c->ctl[0]) {
		cg_fail(c,
			"as root, the cgroup v2 delegation tests need one of hugetlb, misc, rdma, "
			"io, memory in %s/cgroup.controllers; it has \"%s\"",
			c->root, avail);
		return -1;
	}
	if (!cg_has(c->root, "cgroup.subtree_control", c->ctl)) {
		snprintf(add, sizeof(add), "+%s", c->ctl);
		if (pd_cgroup_write(c->root, "cgroup.subtree_control", add, &e) < 0) {
			cg_fail(c,
				"as root, the cgroup v2 delegation tests need %s for the children "
				"of %s: %s",
				c->ctl, c->root, e.msg);
			return -1;
		}
		c->root_enabled = true;
	}
	snprintf(c->dir, sizeof(c->dir), "%s/pd-unit-%ld", c->root, (long)getpid());
	if (mkdir(c->dir, 0755) < 0) {
		cg_fail(c, "mkdir %s: %s", c->dir, pd_strerror(errno));
		c->dir[0] = '\0';
		return -1;
	}
	return 1;
}

/* The scratch cgroup, all runs ended: nothing left in it, and it goes. */
static void cg_check_gone(struct cg *c)
{
	cleanup_free char *sub = cg_read(c->dir, "cgroup.subtree_control");
	char kids[512];

	cg_children(c->dir, kids, sizeof(kids));
	if (kids[0])
		cg_fail(c, "child cgroups left in %s: %s", c->dir, kids);
	if (sub[0])
		cg_fail(c, "%s/cgroup.subtree_control left as \"%s\"", c->dir, sub);
	if (rmdir(c->dir) < 0)
		cg_fail(c, "rmdir %s: %s", c->dir, pd_strerror(errno));
}

/* Whatever a failure left: the scratch cgroup's children and itself, the root's controller. */
static void cg_teardown(struct cg *c)
{
	char add[32];

	if (c->dir[0] && cg_exists(c->dir)) {
		cleanup_closedir DIR *d = opendir(c->dir);
		cleanup_free char *sub = cg_read(c->dir, "cgroup.subtree_control");
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				(void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
		for (char *save = NULL, *w = strtok_r(sub, " ", &save); w;
		     w = strtok_r(NULL, " ", &save)) {
			snprintf(add, sizeof(add), "-%s", w);
			(void)pd_cgroup_write(c->dir, "cgroup.subtree_control", add, NULL);
		}
		(void)rmdir(c->dir);
	}
	if (c->root_enabled) {
		snprintf(add, sizeof(add), "-%s", c->ctl);
		(void)pd_cgroup_write(c->root, "cgroup.subtree_control", add, NULL);
	}
	pd_close(c->lock);
	c->lock = -1;
}

/* Wait (5 s at most) until @pid waits for a flock (/proc/locks: "N: -> FLOCK ... PID ..."). */
static bool waits_for_flock(pid_t pid)
{
	for (int i = 0; i < 5000; i++) {
		cleanup_fclose FILE *f = fopen("/proc/locks", "re");
		char line[256];

		while (f && fgets(line, sizeof(line), f)) {
			/* "1:" "->" "FLOCK" "ADVISORY" "WRITE" "<pid>" ... */
			char *tok[6] = { 0 }, *save = NULL;
			uint32_t p;

			tok[0] = strtok_r(line, " \n", &save);
			for (int k = 1; k < 6 && tok[k - 1]; k++)
				tok[k] = strtok_r(NULL, " \n", &save);
			if (tok[5] && !strcmp(tok[1], "->") && !strcmp(tok[2], "FLOCK") &&
			    pd_parse_u32(tok[5], &p) == 0 && p == (uint32_t)pid)
				return true;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}
	return false;
}

/* One run: the leaf is made, used, and removed by the run itself. */
START_TEST(delegate_and_undo)
{
	struct cg c;
	struct run a = { .pid = -1, .go = -1, .report = -1 };
	int r = cg_setup(&c);

	if (r == 0)
		return;
	if (r > 0 && run_start(&c, &a, run_alone) && run_report(&c, &a, "the run, delegating")) {
		/* The undo takes the lock on the parent: held here, it waits. */
		cleanup_close int lock = open(c.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char kids[512];

		if (lock < 0 || flock(lock, LOCK_EX) < 0)
			cg_fail(&c, "lock %s: %s", c.dir, pd_strerror(errno));
		run_go(&a);
		if (!c.why[0] && !waits_for_flock(a.pid))
			cg_fail(&c, "the undo did not wait for the lock on %s", c.dir);
		cg_children(c.dir, kids, sizeof(kids));
		if (!c.why[0] && (!kids[0] || strchr(kids, ' ')))
			cg_fail(&c,
				"while the undo waits for the lock: expected the leaf alone in "
				"%s, got \"%s\"",
				c.dir, kids);
		pd_close(steal_fd(&lock));
		if (!c.why[0])
			run_report(&c, &a, "the run, undoing");
	}
	run_end(&c, &a);
	if (r > 0 && !c.why[0])
		cg_check_gone(&c);
	cg_teardown(&c);
	ck_assert_msg(!c.why[0], "%s", c.why);
}
END_TEST

/* Another process in paude's cgroup: the retry fails, paude is back, no leaf. */
START_TEST(delegate_refused_moves_back)
{
	struct cg c;
	struct run occ = { .pid = -1, .go = -1, .report = -1 };
	struct run a = { .pid = -1, .go = -1, .report = -1 };
	int r = cg_setup(&c);

	if (r == 0)
		return;
	if (r > 0 && run_start(&c, &occ, run_occupant) &&
	    run_report(&c, &occ, "the other process, joining") && run_start(&c, &a, run_refused))
		run_report(&c, &a, "the run");
	run_end(&c, &a);
	if (occ.pid > 0)
		run_go(&occ);
	run_end(&c, &occ);
	if (r > 0 && !c.why[0])
		cg_check_gone(&c);
	cg_teardown(&c);
	ck_assert_msg(!c.why[0], "%s", c.why);
}
END_TEST

/* Two runs: the first to end leaves everything; the last one out cleans up both leaves. */
START_TEST(undo_waits_for_last_run)
{
	struct cg c;
	struct run a = { .pid = -1, .go = -1, .report = -1 };
	struct run b = { .pid = -1, .go = -1, .report = -1 };
	int r = cg_setup(&c);

	if (r == 0)
		return;
	if (r > 0 && run_start(&c, &a, run_first_of_two) &&
	    run_report(&c, &a, "the first run, delegating") && run_start(&c, &b, run_second) &&
	    run_report(&c, &b, "the second run, joining its leaf")) {
		run_go(&a);
		if (run_report(&c, &a, "the first run, undoing")) {
			run_end(&c, &a); /* reaped: its leaf is a finished run's */
			run_go(&b);
			run_report(&c, &b, "the second run, undoing");
		}
	}
	run_end(&c, &a);
	run_end(&c, &b);
	if (r > 0 && !c.why[0])
		cg_check_gone(&c);
	cg_teardown(&c);
	ck_assert_msg(!c.why[0], "%s", c.why);
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("self_path");

	tcase_add_test(tc, v1_controllers);
	tcase_add_test(tc, v1_missing_controller);
	tcase_add_test(tc, v2_path);
	tcase_add_test(tc, garbage);
	tcase_add_test(tc, bounded_output);
	suite_add_tcase(s, tc);

	tc = tcase_create("delegate");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, delegate_and_undo);
	tcase_add_test(tc, delegate_refused_moves_back);
	tcase_add_test(tc, undo_waits_for_last_run);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(cgroup_suite);
