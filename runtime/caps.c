/* SPDX-License-Identifier: MIT */
/*
 * caps.c - a confined process runs with no capabilities at all, or with the
 * few it was given (run --cap-add), which are its user namespace's only.
 *
 * Two steps around the uid switch, because dropping the bounding set needs
 * CAP_SETPCAP, which a switch to a non-zero uid takes away:
 *  1. pd_caps_prepare_drop(), still privileged: lock the securebits so root
 *     gains nothing at exec (NOROOT) and nothing can unlock them; empty the
 *     bounding set but for the kept capabilities; clear ambient caps.  With
 *     none kept, ambient caps can never be raised again either; with some,
 *     the uid switch must not clear them (NO_SETUID_FIXUP).
 *  2. pd_caps_set(), after setresuid: effective, permitted and inheritable
 *     are the kept set, raised as ambient so that execve keeps them (NOROOT
 *     gives root nothing by itself), and then the ambient set is locked.
 * With nothing kept, even a uid-0 exec gets nothing (CapPrm 0).
 *
 * paude's init keeps one capability, CAP_KILL (to forward signals to a
 * command of another uid), in every set it has, and nothing else:
 * pd_caps_keep_only().
 */
#include "sandbox.h"

#include <errno.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#define LOCKED_BITS \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_KEEP_CAPS_LOCKED | \
	 SECBIT_NO_SETUID_FIXUP_LOCKED)
#define AMBIENT_LOCK (SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

static bool kept(uint64_t caps, cap_value_t c)
{
	return c < 64 && (caps & (1ULL << c));
}

/* Lock the securebits @bits, empty the bounding set but @keep, clear ambient. */
static int lock_and_bound(unsigned long bits, uint64_t keep, struct pd_error *err)
{
	cap_value_t last = (cap_value_t)cap_max_bits() - 1;

	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return pd_error_set(err, errno, "capabilities: lock securebits");
	for (cap_value_t c = 0; c <= last; c++)
		if (!kept(keep, c) && prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return pd_error_set(err, errno,
					    "capabilities: drop %d from the bounding set", c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return pd_error_set(err, errno, "capabilities: clear ambient");
	return 0;
}

/* Effective, permitted and (with @inheritable) inheritable: @caps alone. */
static int set_only(uint64_t caps, bool inheritable, struct pd_error *err)
{
	cap_t c = cap_init(); /* all three sets empty */
	int r = 0;

	if (!c)
		return pd_error_set(err, errno, "capabilities: cap_init");
	for (cap_value_t v = 0; v < 64 && r == 0; v++) {
		if (!kept(caps, v))
			continue;
		r = cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET) |
		    cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET) |
		    (inheritable ? cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET) : 0);
	}
	if (r == 0)
		r = cap_set_proc(c);
	cap_free(c);
	if (r < 0)
		return pd_error_set(err, errno,
				    "capabilities: set effective/permitted/inheritable");
	return 0;
}

/* Inheritable @caps, effective and permitted as they are. */
static int set_only_inheritable(uint64_t caps, struct pd_error *err)
{
	cap_t c = cap_get_proc();
	int r = c ? cap_clear_flag(c, CAP_INHERITABLE) : -1;

	for (cap_value_t v = 0; v < 64 && r == 0; v++)
		if (kept(caps, v))
			r = cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET);
	if (r == 0)
		r = cap_set_proc(c);
	if (c)
		cap_free(c);
	if (r < 0)
		return pd_error_set(err, errno, "capabilities: set inheritable");
	return 0;
}

int pd_caps_prepare_drop(uint64_t keep, struct pd_error *err)
{
	return lock_and_bound(keep ? LOCKED_BITS | SECBIT_NO_SETUID_FIXUP
				   : LOCKED_BITS | AMBIENT_LOCK,
			      keep, err);
}

int pd_caps_set(uint64_t caps, struct pd_error *err)
{
	if (!caps)
		return set_only(0, true, err);
	/* CAP_SETPCAP until the ambient set is locked, then the kept set alone. */
	if (set_only(caps | (1ULL << CAP_SETPCAP), false, err) < 0 ||
	    set_only_inheritable(caps, err) < 0)
		return -1;
	for (cap_value_t v = 0; v < 64; v++)
		if (kept(caps, v) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)v, 0, 0) < 0)
			return pd_error_set(err, errno, "capabilities: raise %d as ambient", v);
	if (prctl(PR_SET_SECUREBITS, LOCKED_BITS | SECBIT_NO_SETUID_FIXUP | AMBIENT_LOCK, 0, 0, 0) <
	    0)
		return pd_error_set(err, errno, "capabilities: lock the ambient set");
	return set_only(caps, true, err);
}

int pd_caps_keep_only(int keep, struct pd_error *err)
{
	if (lock_and_bound(LOCKED_BITS | AMBIENT_LOCK, 1ULL << keep, err) < 0)
		return -1;
	return set_only(1ULL << keep, false, err);
}
