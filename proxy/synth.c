/* SPDX-License-Identifier: MIT */
/*
 * synth.c - the name <-> synthetic address table (see synth.h).  Slots are
 * handed out round-robin from the range's first usable address; slot i is
 * address base + 1 + i, so an address finds its name without a search, and
 * a small open-addressing hash of the names finds a name's slot.
 */
#include "synth.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 254

struct slot {
	char name[NAME_MAX_LEN];
	bool used;
};

struct pd_synth {
	uint32_t base; /* host order */
	uint32_t mask;
	size_t nslots, next;
	struct slot *slots;
	size_t hcap;    /* power of two, > 2 * nslots */
	uint32_t *hash; /* slot index + 1, 0 empty */
};

static uint32_t fnv(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

struct pd_synth *pd_synth_new(struct in_addr base, uint8_t prefix, size_t max)
{
	struct pd_synth *s;
	size_t range;

	if (prefix < 8 || prefix > 30)
		return NULL;
	range = ((size_t)1 << (32 - prefix)) - 2; /* not the network, not broadcast */
	if (!max)
		max = 4096;
	if (max > range)
		max = range;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->mask = prefix ? ~0u << (32 - prefix) : 0;
	s->base = ntohl(base.s_addr) & s->mask;
	s->nslots = max;
	for (s->hcap = 16; s->hcap < 2 * max + 1; s->hcap <<= 1)
		;
	s->slots = calloc(max, sizeof(*s->slots));
	s->hash = calloc(s->hcap, sizeof(*s->hash));
	if (!s->slots || !s->hash) {
		pd_synth_free(s);
		return NULL;
	}
	return s;
}

void pd_synth_free(struct pd_synth *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s->hash);
	free(s);
}

/* The hash position holding @name, or the empty one where it would go. */
static size_t find(const struct pd_synth *s, const char *name, bool *found)
{
	size_t i = fnv(name) & (s->hcap - 1);

	for (;; i = (i + 1) & (s->hcap - 1)) {
		uint32_t v = s->hash[i];

		if (!v) {
			*found = false;
			return i;
		}
		if (!strcmp(s->slots[v - 1].name, name)) {
			*found = true;
			return i;
		}
	}
}

/* Remove hash position @i, re-placing the run after it (linear probing). */
static void hash_remove(struct pd_synth *s, size_t i)
{
	s->hash[i] = 0;
	for (size_t j = (i + 1) & (s->hcap - 1); s->hash[j]; j = (j + 1) & (s->hcap - 1)) {
		uint32_t v = s->hash[j];
		bool f;
		size_t k;

		s->hash[j] = 0;
		k = find(s, s->slots[v - 1].name, &f);
		s->hash[k] = v;
	}
}

static struct in_addr addr_of(const struct pd_synth *s, size_t slot)
{
	return (struct in_addr){ .s_addr = htonl(s->base + 1 + (uint32_t)slot) };
}

int pd_synth_addr(struct pd_synth *s, const char *name, struct in_addr *out)
{
	size_t len = strlen(name), slot, h;
	bool found;

	if (len == 0 || len >= NAME_MAX_LEN)
		return -1;
	h = find(s, name, &found);
	if (found) {
		*out = addr_of(s, s->hash[h] - 1);
		return 0;
	}
	slot = s->next;
	s->next = (s->next + 1) % s->nslots;
	if (s->slots[slot].used) {
		bool f;
		size_t old = find(s, s->slots[slot].name, &f);

		if (f)
			hash_remove(s, old);
		h = find(s, name, &found);
	}
	memcpy(s->slots[slot].name, name, len + 1);
	s->slots[slot].used = true;
	s->hash[h] = (uint32_t)slot + 1;
	*out = addr_of(s, slot);
	return 0;
}

bool pd_synth_contains(const struct pd_synth *s, struct in_addr a)
{
	return (ntohl(a.s_addr) & s->mask) == s->base;
}

const char *pd_synth_name(const struct pd_synth *s, struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);
	size_t slot;

	if (!pd_synth_contains(s, a) || h <= s->base)
		return NULL;
	slot = h - s->base - 1;
	if (slot >= s->nslots || !s->slots[slot].used)
		return NULL;
	return s->slots[slot].name;
}
