/* SPDX-License-Identifier: MIT */
/*
 * fuzz_regconf.c - libFuzzer target for registries.conf (oci/regconf.c)
 * over arbitrary bytes.
 *
 * Oracles: an accepted file has at most PD_REGCONF_ENTRIES entries, each
 * with a non-empty prefix, every string NUL-terminated inside its buffer and
 * free of control bytes, at most PD_REGCONF_MIRRORS mirrors with a location;
 * pd_regconf_find() of each entry's own prefix finds an entry whose prefix
 * is at least as long (the longest match); the search registries and
 * aliases are within their bounds, each alias found by its own name, with
 * no '/' in a search registry and a '/' in every alias's value; a refusal
 * leaves no entries and a message naming the file.  Seeds: tests/fuzz/corpus/fuzz_regconf/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/regconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, bool nonempty)
{
	size_t n = strnlen(s, PD_REGCONF_LOCATION_MAX);

	if (n == PD_REGCONF_LOCATION_MAX || (nonempty && n == 0))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_regconf c;
	struct pd_error e = { 0 };

	if (pd_regconf_parse((const char *)data, size, "f.conf", &c, &e) < 0) {
		if (c.entries || c.n || c.search || c.aliases || strncmp(e.msg, "f.conf", 6) != 0)
			abort();
		return 0;
	}
	if (c.n > PD_REGCONF_ENTRIES)
		abort();
	for (size_t i = 0; i < c.n; i++) {
		const struct pd_regconf_entry *x = &c.entries[i], *f;

		check_str(x->prefix, true);
		check_str(x->location, false);
		if (x->n_mirrors > PD_REGCONF_MIRRORS)
			abort();
		for (size_t j = 0; j < x->n_mirrors; j++)
			check_str(x->mirrors[j].location, true);
		if (x->prefix[0] != '*') {
			f = pd_regconf_find(&c, x->prefix);
			if (!f || strlen(f->prefix) < strlen(x->prefix))
				abort();
		}
	}
	if (c.n_search > PD_REGCONF_SEARCH || (c.n_search && !c.has_search) ||
	    c.n_aliases > PD_REGCONF_ALIASES)
		abort();
	for (size_t i = 0; i < c.n_search; i++) {
		check_str(c.search[i], true);
		if (strchr(c.search[i], '/'))
			abort();
	}
	for (size_t i = 0; i < c.n_aliases; i++) {
		check_str(c.aliases[i].name, true);
		check_str(c.aliases[i].value, true);
		if (!strchr(c.aliases[i].value, '/') ||
		    pd_regconf_alias(&c, c.aliases[i].name) != c.aliases[i].value)
			abort();
	}
	pd_regconf_release(&c);
	return 0;
}
