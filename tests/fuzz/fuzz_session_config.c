/* SPDX-License-Identifier: MIT */
/*
 * fuzz_session_config.c - libFuzzer target for a session's config.json
 * (src/session_config.c) over arbitrary bytes.
 *
 * Oracles: a refusal leaves the struct all zero and says why; an accepted
 * config has a name of at most PD_SESSION_NAME_MAX, an absolute workspace,
 * an image, vectors that are never NULL, a mapping mode that exists and
 * numbers in their ranges; and pd_session_to_json() of it is accepted again
 * as the same struct.  Numbers from 2^52 on are compared to within a
 * double's precision: cJSON prints them with 15 digits when its (inexact)
 * check says that is enough, so their last digits may change.
 * Seeds: tests/fuzz/corpus/fuzz_session_config/.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_str(const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
		abort();
}

static void same_strv(char *const *a, char *const *b)
{
	size_t i;

	if (!a || !b)
		abort();
	for (i = 0; a[i] && b[i]; i++)
		same_str(a[i], b[i]);
	if (a[i] || b[i])
		abort();
}

static void same_num(uint64_t a, uint64_t b)
{
	uint64_t d = a > b ? a - b : b - a, m = a > b ? a : b;

	if (d != 0 && (m < (1ull << 52) || (double)d > (double)m * DBL_EPSILON))
		abort();
}

static void check(const struct pd_session *s)
{
	if (strnlen(s->name, sizeof(s->name)) > PD_SESSION_NAME_MAX || !s->workspace ||
	    s->workspace[0] != '/' || !s->image || !s->args || !s->allowed_domains || !s->resolve ||
	    !s->env || s->created < 0 || s->pids > UINT32_MAX || s->cpu_quota_us > UINT32_MAX ||
	    s->cpu_period_us > UINT32_MAX || s->memory > UINT64_MAX / 2 + 1 ||
	    (s->idmap != PD_IDMAP_ROOT && s->idmap != PD_IDMAP_SUBID &&
	     s->idmap != PD_IDMAP_SINGLE))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_session s, t;
	struct pd_error e = { 0 };
	char *text;

	/* data is exactly @size bytes, unterminated: ASan sees any overread */
	if (pd_session_from_json((const char *)data, size, &s, &e) < 0) {
		for (size_t i = 0; i < sizeof(s); i++)
			if (((const unsigned char *)&s)[i])
				abort();
		if (e.msg[0] == '\0')
			abort();
		return 0;
	}
	check(&s);
	text = pd_session_to_json(&s);
	if (pd_session_from_json(text, strlen(text), &t, &e) < 0)
		abort();
	check(&t);
	same_str(s.name, t.name);
	same_str(s.workspace, t.workspace);
	same_str(s.image, t.image);
	same_str(s.image_id, t.image_id);
	same_num((uint64_t)s.created, (uint64_t)t.created);
	same_strv(s.args, t.args);
	same_strv(s.allowed_domains, t.allowed_domains);
	same_strv(s.resolve, t.resolve);
	same_strv(s.env, t.env);
	same_num(s.memory, t.memory);
	if (s.yolo != t.yolo || s.pids != t.pids || s.cpu_quota_us != t.cpu_quota_us ||
	    s.cpu_period_us != t.cpu_period_us || s.idmap != t.idmap ||
	    s.uid_start != t.uid_start || s.gid_start != t.gid_start ||
	    s.agent_root != t.agent_root)
		abort();
	free(text);
	pd_session_release(&s);
	pd_session_release(&t);
	return 0;
}
