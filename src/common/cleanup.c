/* SPDX-License-Identifier: MIT */
#include "cleanup.h"

#include <errno.h>
#include <unistd.h>

void pd_close(int fd)
{
	int saved = errno;

	if (fd >= 0)
		(void)close(fd);
	errno = saved;
}

void pd_freep(void *p)
{
	free(*(void **)p);
}

void pd_closep(int *fd)
{
	if (*fd >= 0)
		pd_close(*fd);
	*fd = -1;
}

void pd_fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
	*f = NULL;
}

void pd_closedirp(DIR **d)
{
	if (*d)
		(void)closedir(*d);
	*d = NULL;
}

void pd_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void pd_strv_freep(char ***v)
{
	pd_strv_free(*v);
	*v = NULL;
}
