/* SPDX-License-Identifier: MIT */
/*
 * caps.c - the command runs with no capabilities at all.
 *
 * Two steps around the uid switch, because dropping the bounding set needs
 * CAP_SETPCAP, which a switch to a non-zero uid takes away:
 *  1. pd_caps_prepare_drop(), still privileged: lock the securebits so root
 *     gains nothing at exec (NOROOT), ambient caps can never be raised, and
 *     nothing can unlock them; empty the bounding set; clear ambient caps.
 *  2. pd_caps_clear(), after setresuid: clear the effective, permitted and
 *     inheritable sets.
 * With an empty bounding set, even a uid-0 exec gets nothing (CapPrm 0).
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

/* Lock the securebits, empty the bounding set but @keep (-1: none), clear ambient. */
static int lock_and_bound(cap_value_t keep, struct pd_error *err)
{
	unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
			     SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED |
			     SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED;
	cap_value_t last = (cap_value_t)cap_max_bits() - 1;

	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return pd_error_set(err, errno, "capabilities: lock securebits");
	for (cap_value_t c = 0; c <= last; c++)
		if (c != keep && prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0 && errno != EINVAL)
			return pd_error_set(err, errno, "capabilities: drop %d from the bounding set", c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return pd_error_set(err, errno, "capabilities: clear ambient");
	return 0;
}

/* Effective and permitted: @keep alone (-1: nothing); inheritable empty. */
static int set_only(cap_value_t keep, struct pd_error *err)
{
	cap_t caps = cap_init();   /* all three sets empty */
	int r = 0;

	if (!caps)
		return pd_error_set(err, errno, "capabilities: cap_init");
	if (keep >= 0 && (cap_set_flag(caps, CAP_EFFECTIVE, 1, &keep, CAP_SET) < 0 ||
			  cap_set_flag(caps, CAP_PERMITTED, 1, &keep, CAP_SET) < 0))
		r = -1;
	if (r == 0)
		r = cap_set_proc(caps);
	cap_free(caps);
	if (r < 0)
		return pd_error_set(err, errno, "capabilities: clear effective/permitted/inheritable");
	return 0;
}

int pd_caps_prepare_drop(struct pd_error *err)
{
	return lock_and_bound(-1, err);
}

int pd_caps_clear(struct pd_error *err)
{
	return set_only(-1, err);
}

int pd_caps_keep_only(int keep, struct pd_error *err)
{
	if (lock_and_bound((cap_value_t)keep, err) < 0)
		return -1;
	return set_only((cap_value_t)keep, err);
}
