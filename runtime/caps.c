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
 */
#include "sandbox.h"

#include <errno.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int pd_caps_prepare_drop(struct pd_error *err)
{
	unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
			     SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED |
			     SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED;
	cap_value_t last = (cap_value_t)cap_max_bits() - 1;

	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return pd_error_set(err, errno, "capabilities: lock securebits");
	for (cap_value_t c = 0; c <= last; c++)
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0 && errno != EINVAL)
			return pd_error_set(err, errno, "capabilities: drop %d from the bounding set", c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return pd_error_set(err, errno, "capabilities: clear ambient");
	return 0;
}

int pd_caps_clear(struct pd_error *err)
{
	cap_t none = cap_init();   /* all three sets empty */
	int r;

	if (!none)
		return pd_error_set(err, errno, "capabilities: cap_init");
	r = cap_set_proc(none);
	cap_free(none);
	if (r < 0)
		return pd_error_set(err, errno, "capabilities: clear effective/permitted/inheritable");
	return 0;
}
