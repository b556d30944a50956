/* SPDX-License-Identifier: MIT */
/*
 * regconf.h - containers-registries.conf(5), the part a pull needs.
 *
 * Read from untrusted-format text (the user's file), bounded: version 2
 * tables only,
 *   [[registry]]
 *   location = "HOST[:PORT][/NAMESPACE]"   (or prefix = "...")
 *   insecure = true|false                  plain HTTP and unverified TLS
 *   blocked = true|false                   never pull from it
 *   [[registry.mirror]]                    tried first, in order
 *   location = "HOST[:PORT][/NAMESPACE]"
 *   insecure = true|false
 *   unqualified-search-registries = ["HOST[:PORT]", ...]   (top level)
 *   short-name-mode = "enforcing"|"permissive"|"disabled"   (top level)
 *   [aliases]
 *   "NAME" = "HOST[:PORT]/REPO"            a short name's one meaning
 * (a registry here has a '.' or a ':' or is "localhost", as podman wants).
 * Other keys and tables (pull-from-mirror, ...) are
 * accepted and ignored, as are comments; the TOML outside this subset (inline tables, multi-line
 * strings, dotted keys) is refused with the line.  A reference's registry
 * entry is the one whose prefix matches the most of "HOST/REPO" at a path
 * boundary, as containers/image picks it.
 */
#ifndef PAUDE_OCI_REGCONF_H
#define PAUDE_OCI_REGCONF_H

#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>

#define PD_REGCONF_MAX (1u << 20)   /* bytes of a file */
#define PD_REGCONF_ENTRIES 256      /* [[registry]] tables */
#define PD_REGCONF_MIRRORS 16       /* mirrors of one registry */
#define PD_REGCONF_LOCATION_MAX 256 /* a location or prefix */
#define PD_REGCONF_SEARCH 16        /* unqualified-search-registries */
#define PD_REGCONF_ALIASES 1024     /* [aliases] entries */
#define PD_REGCONF_DROPINS 256      /* files in a registries.conf.d */

struct pd_regconf_mirror {
	char location[PD_REGCONF_LOCATION_MAX];
	bool insecure;
};

struct pd_regconf_entry {
	char prefix[PD_REGCONF_LOCATION_MAX];   /* what references it applies to */
	char location[PD_REGCONF_LOCATION_MAX]; /* where they are pulled from */
	bool insecure, blocked;
	struct pd_regconf_mirror mirrors[PD_REGCONF_MIRRORS];
	size_t n_mirrors;
};

struct pd_regconf_alias {
	char name[PD_REGCONF_LOCATION_MAX];  /* a short name: "fedora", "org/tool" */
	char value[PD_REGCONF_LOCATION_MAX]; /* "registry.fedoraproject.org/fedora" */
};

/* short-name-mode: enforcing (the default) never guesses among several registries. */
enum pd_short_mode { PD_SHORT_ENFORCING, PD_SHORT_PERMISSIVE, PD_SHORT_DISABLED };

struct pd_regconf {
	struct pd_regconf_entry *entries;
	size_t n;
	char (*search)[PD_REGCONF_LOCATION_MAX]; /* n_search registries, in order */
	size_t n_search;
	bool has_search; /* the key is there (an empty list says: no search) */
	struct pd_regconf_alias *aliases;
	size_t n_aliases;
	enum pd_short_mode short_mode;
	bool has_short_mode; /* the key is there */
};

/*
 * pd_regconf_parse() - read one file's text (@len bytes, NUL not needed).
 * @what: names the file in errors ("registries.conf:12: ...")
 * Return: 0 with @out filled (release it), or -1 with @err and @out empty.
 */
int pd_regconf_parse(const char *text, size_t len, const char *what, struct pd_regconf *out,
		     struct pd_error *err);
void pd_regconf_release(struct pd_regconf *c);

/*
 * pd_regconf_find() - the entry for a reference "HOST[:PORT]/REPO" (no tag),
 * or NULL when none applies.
 */
const struct pd_regconf_entry *pd_regconf_find(const struct pd_regconf *c, const char *name);

/* pd_regconf_alias() - what [aliases] says @name (no tag, no digest) is, or NULL. */
const char *pd_regconf_alias(const struct pd_regconf *c, const char *name);

/*
 * pd_regconf_merge() - @src (a later file) over @dst, as containers/image
 * merges registries.conf.d drop-ins: a [[registry]] table replaces the one
 * of the same prefix, unqualified-search-registries and short-name-mode
 * replace when @src sets them, aliases replace name by name.
 * @what: names @src in errors.  Return: 0, or -1 with @err (too many).
 */
int pd_regconf_merge(struct pd_regconf *dst, const struct pd_regconf *src, const char *what,
		     struct pd_error *err);

/*
 * pd_regconf_load() - the configuration in effect, as containers/image
 * reads it: the main file ($CONTAINERS_REGISTRIES_CONF when set; else
 * $XDG_CONFIG_HOME/containers/registries.conf, or ~/.config/..., when it
 * exists and the caller is not root; else /etc/containers/registries.conf),
 * then the drop-ins ("*.conf" regular files, by name) of
 * $CONTAINERS_REGISTRIES_CONF_DIR or /etc/containers/registries.conf.d
 * (not when the user's own registries.conf is the main file) and, not root,
 * of the user's containers/registries.conf.d, each merged over what came
 * before (pd_regconf_merge); none at all is an empty configuration.
 * Return: 0, or -1 with @err (a file that exists but cannot be read or
 * parsed).
 */
int pd_regconf_load(struct pd_regconf *out, struct pd_error *err);

#endif
