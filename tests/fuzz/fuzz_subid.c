/* SPDX-License-Identifier: MIT */
/*
 * fuzz_subid.c - libFuzzer target for /etc/subuid parsing and the free-range
 * finder of runtime/subid.c.  Input: 13 bytes of parameters (uid, min,
 * floor: 32-bit little-endian; an alignment exponent byte), then two texts separated by the first NUL
 * byte (subuid, subgid), each handed over as an exact-size block.
 * The alignment is 2^16..2^23 (the one caller uses 65536): @count 0 is a
 * known divide-by-zero reported separately, and small counts only make the
 * search slow, not more interesting; the floor is raised so that at most
 * 4096 blocks are tried.
 * Seeds: tests/fuzz/corpus/fuzz_subid/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/idmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t uid, min, floor, count, start;
	const uint8_t *t;
	const uint8_t *sep;
	size_t tlen, alen, blen;
	char *a, *b;
	struct pd_subid_range r;
	static const char *const names[] = { "paude", "alice", "root", "" };

	if (size < 13 || size > 1024)   /* the range search is O(ranges x text) */
		return 0;
	uid = rd32(data);
	min = rd32(data + 4) & 0x1ffff;
	floor = rd32(data + 8);
	count = 1u << (16 + (data[12] & 7));
	/* at most 4096 candidate blocks per input, so each run stays fast */
	if (4096ull * count < (1ull << 32) && floor < (1ull << 32) - 4096ull * count)
		floor = (uint32_t)((1ull << 32) - 4096ull * count) + (floor & (count - 1));
	t = data + 13;
	tlen = size - 13;
	sep = memchr(t, '\0', tlen);
	alen = sep ? (size_t)(sep - t) : tlen;
	blen = sep ? tlen - alen - 1 : 0;
	a = malloc(alen ? alen : 1);
	b = malloc(blen ? blen : 1);
	if (!a || !b)
		abort();
	memcpy(a, t, alen);
	if (blen)
		memcpy(b, sep + 1, blen);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		memset(&r, 0, sizeof(r));
		if (pd_subid_find(a, alen, names[i], uid, min, &r)) {
			if (r.count < min || r.count == 0 || (uint64_t)r.start + r.count > UINT32_MAX)
				abort();
		}
	}
	if (pd_subid_free_start(a, alen, b, blen, floor, count, &start) == 0) {
		if (start % count || start < floor || (uint64_t)start + count > UINT32_MAX)
			abort();
	}
	free(a);
	free(b);
	return 0;
}
