/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sizes.c - libFuzzer target for the single-value option parsers:
 * the input (cut at its first NUL) goes through pd_parse_bytes,
 * pd_parse_cpus, pd_parse_ulimit, pd_parse_volume, pd_parse_tmpfs,
 * pd_parse_pids_limit, pd_check_hostname, pd_check_user_spec and
 * pd_parse_env_arg.  Failures must be usage errors with a message; successes
 * must be in range; mounts are released.
 * Seeds: tests/fuzz/corpus/fuzz_sizes/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_options.h"
#include "common/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(int r, const struct pd_error *e)
{
	if (r != 0 && r != -1)
		abort();
	if (r < 0 && (e->status != PD_STATUS_USAGE || e->msg[0] == '\0' ||
		      !memchr(e->msg, '\0', sizeof(e->msg))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct pd_error e;
	struct pd_mount m;
	struct pd_rlimit rl;
	uint64_t v, q, p;
	char **env = NULL;
	int r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(&e, 0, sizeof(e));
	r = pd_parse_bytes(s, &v, &e);
	check_err(r, &e);
	if (r == 0 && v >= 9200000000000000000ull)
		abort();

	memset(&e, 0, sizeof(e));
	r = pd_parse_cpus(s, &q, &p, &e);
	check_err(r, &e);
	if (r == 0 && (p != 100000 || q < 1000 || q > 102400000))
		abort();

	memset(&e, 0, sizeof(e));
	r = pd_parse_ulimit(s, &rl, &e);
	check_err(r, &e);
	if (r == 0 && rl.soft > rl.hard)
		abort();

	memset(&e, 0, sizeof(e));
	r = pd_parse_volume(s, &m, &e);
	check_err(r, &e);
	if (r == 0 && (m.type != PD_MOUNT_BIND || !m.source || m.source[0] != '/' || !m.dest ||
		       m.dest[0] != '/'))
		abort();
	pd_mount_release(&m);

	memset(&e, 0, sizeof(e));
	r = pd_parse_tmpfs(s, &m, &e);
	check_err(r, &e);
	if (r == 0 &&
	    (m.type != PD_MOUNT_TMPFS || !m.dest || m.dest[0] != '/' || m.tmpfs_mode > 07777))
		abort();
	pd_mount_release(&m);

	memset(&e, 0, sizeof(e));
	r = pd_parse_pids_limit(s, &v, &e);
	check_err(r, &e);
	if (r == 0 && v > (1u << 22))
		abort();

	memset(&e, 0, sizeof(e));
	check_err(pd_check_hostname(s, &e), &e);
	memset(&e, 0, sizeof(e));
	check_err(pd_check_user_spec(s, &e), &e);
	memset(&e, 0, sizeof(e));
	check_err(pd_parse_env_arg(s, NULL, &env, &e), &e);
	pd_strv_free(env);
	free(s);
	return 0;
}
