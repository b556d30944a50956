/* SPDX-License-Identifier: MIT */
/*
 * synth.h - synthetic addresses for allowlisted names (the transparent path).
 *
 * The sandbox's DNS answers an allowlisted name with an address from a
 * range routed to the gateway (198.18.0.0/16 by default), one address per
 * name; a connection to that address, accepted by the gateway's listener
 * for its port, is routed by the name it stands for.  The table is bounded:
 * once full, the oldest mapping is reused (a connection to an address that
 * was reused goes to the name it stands for now, which is allowlisted too,
 * and SNI or Host must still agree with it).
 */
#ifndef PAUDE_PROXY_SYNTH_H
#define PAUDE_PROXY_SYNTH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_synth;

/* @base/@prefix: the range (prefix 8-30); @max: mappings kept (0: 4096). */
struct pd_synth *pd_synth_new(struct in_addr base, uint8_t prefix, size_t max);
void pd_synth_free(struct pd_synth *s);

/* pd_synth_addr() - the address standing for the normalized name @name (made if new). */
int pd_synth_addr(struct pd_synth *s, const char *name, struct in_addr *out);

/* pd_synth_name() - the name @a stands for, or NULL (not in the range, or unmapped). */
const char *pd_synth_name(const struct pd_synth *s, struct in_addr a);

/* pd_synth_contains() - whether @a is in the range. */
bool pd_synth_contains(const struct pd_synth *s, struct in_addr a);

#endif
