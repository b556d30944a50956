/* SPDX-License-Identifier: MIT */
/*
 * fuzz_passwd.c - libFuzzer target for the /etc/passwd and /etc/group
 * parsers of runtime/user.c.  The first line of the input is the query
 * (a name, also read as a number for the uid/gid lookups); the rest is the
 * file text, handed over as an exact-size unterminated block.  Checks that
 * found fields lie inside the text, a name lookup returns that name, and
 * the group list stays bounded and free of duplicates.
 * Seeds: tests/fuzz/corpus/fuzz_passwd/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const char *text, size_t len, const struct pd_passwd_entry *e)
{
	if (e->name < text || e->name + e->name_len > text + len || e->name_len == 0)
		abort();
	if (e->home < text || e->home + e->home_len > text + len)
		abort();
	if (memchr(e->name, ':', e->name_len) || memchr(e->name, '\n', e->name_len) ||
	    memchr(e->name, '\0', e->name_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t qlen = nl ? (size_t)(nl - data) : size;
	size_t len = nl ? size - qlen - 1 : 0;
	char query[64];
	char *text;
	uint32_t id = 0, gid;
	struct pd_passwd_entry e;
	struct pd_user u;

	if (qlen >= sizeof(query))
		qlen = sizeof(query) - 1;
	memcpy(query, data, qlen);
	query[qlen] = '\0';
	for (size_t i = 0; i < qlen && query[i] >= '0' && query[i] <= '9'; i++)
		id = id * 10 + (uint32_t)(query[i] - '0');
	text = malloc(len ? len : 1);
	if (!text)
		return 0;
	if (len)
		memcpy(text, nl + 1, len);

	memset(&e, 0, sizeof(e));
	if (pd_passwd_lookup(text, len, query, 0, &e)) {
		check_entry(text, len, &e);
		if (e.name_len != strlen(query) || memcmp(e.name, query, e.name_len))
			abort();
	}
	memset(&e, 0, sizeof(e));
	if (pd_passwd_lookup(text, len, NULL, id, &e)) {
		check_entry(text, len, &e);
		if (e.uid != id)
			abort();
	}
	gid = 0xdeadbeef;
	if (!pd_group_lookup(text, len, query, &gid) && gid != 0xdeadbeef)
		abort();
	gid = id;
	if (pd_group_lookup(text, len, NULL, &gid) && gid != id)
		abort();

	memset(&u, 0, sizeof(u));
	u.groups[u.n_groups++] = id;
	pd_group_members(text, len, query, &u);
	pd_group_members(text, len, query, &u); /* twice: no duplicates may appear */
	if (u.n_groups < 1 || u.n_groups > PD_USER_MAX_GROUPS)
		abort();
	for (size_t i = 0; i < u.n_groups; i++)
		for (size_t j = 0; j < i; j++)
			if (u.groups[i] == u.groups[j])
				abort();
	free(text);
	return 0;
}
