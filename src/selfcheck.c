/* SPDX-License-Identifier: MIT */
/*
 * selfcheck.c - paude refuses to run with more privilege than its caller.
 *
 * paude is made to run as the user who calls it (rootless sandboxes come
 * from user namespaces and newuidmap, which is setuid itself) or as root.
 * A setuid or setgid paude, or one with file capabilities, would hand every
 * user root's powers over mounts, id maps and cgroups: it refuses to start.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

int pd_selfcheck(struct pd_error *err)
{
	static const char fix[] =
		"paude runs with its caller's privileges only (it uses user "
		"namespaces): remove them (chmod u-s,g-s; setcap -r)";
	char path[4096];
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	path[n > 0 ? n : 0] = '\0';
	if (getauxval(AT_SECURE))
		return pd_error_set_msg(
			err, EPERM,
			"paude was started with more privilege than its "
			"caller (setuid, setgid or file capabilities on \"%s\"): %s",
			path, fix);
	if (stat("/proc/self/exe", &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)))
		return pd_error_set_msg(err, EPERM, "paude's binary \"%s\" is set%sid: %s", path,
					st.st_mode & S_ISUID ? "u" : "g", fix);
	if (getxattr("/proc/self/exe", "security.capability", NULL, 0) > 0)
		return pd_error_set_msg(
			err, EPERM, "paude's binary \"%s\" has file capabilities: %s", path, fix);
	return 0;
}
