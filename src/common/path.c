/* SPDX-License-Identifier: MIT */
#include "path.h"

#include <errno.h>
#include <string.h>

int pd_path_clean(const char *in, char *out, size_t outsz)
{
	size_t len = 0; /* bytes of out in use, excluding the NUL */
	const char *p = in;

	if (!in || in[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	if (outsz < 2) {
		errno = ENAMETOOLONG;
		return -1;
	}
	out[0] = '/';
	len = 1;
	while (*p) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			/* back to the previous slash; "/" stays "/" */
			while (len > 1 && out[len - 1] != '/')
				len--;
			if (len > 1)
				len--;
		} else {
			if (len + (len > 1) + n + 1 > outsz) {
				errno = ENAMETOOLONG;
				return -1;
			}
			if (len > 1)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
	}
	out[len] = '\0';
	return 0;
}

bool pd_path_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}
