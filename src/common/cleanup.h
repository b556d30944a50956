/* SPDX-License-Identifier: MIT */
/*
 * cleanup.h - scope-bound release of memory, fds and streams.
 *
 *   cleanup_free char *s = ...;      free(s) when s leaves scope
 *   cleanup_close int fd = -1;       close(fd) when >= 0
 *   cleanup_fclose FILE *f = NULL;   fclose(f) when non-NULL
 *   cleanup_closedir DIR *d = NULL;
 *   cleanup_strv char **v = NULL;    free each string, then the array
 *
 * Ownership leaves a variable explicitly: steal_fd(&fd) returns the fd and
 * sets the variable to -1; steal_ptr(&p) does the same for pointers.  Library
 * handles (scmp_filter_ctx, cJSON, cap_t) get their own helper next to the
 * code that uses them.
 */
#ifndef PAUDE_CLEANUP_H
#define PAUDE_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

void pd_freep(void *p);
void pd_closep(int *fd);
void pd_fclosep(FILE **f);
void pd_closedirp(DIR **d);
void pd_strv_freep(char ***v);

#define cleanup_free __attribute__((cleanup(pd_freep)))
#define cleanup_close __attribute__((cleanup(pd_closep)))
#define cleanup_fclose __attribute__((cleanup(pd_fclosep)))
#define cleanup_closedir __attribute__((cleanup(pd_closedirp)))
#define cleanup_strv __attribute__((cleanup(pd_strv_freep)))

static inline int steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

/* Type-checked: the dead branch makes the compiler check *pp is a pointer. */
#define steal_ptr(pp) \
	({ \
		__typeof__(*(pp)) _p = *(pp); \
		*(pp) = NULL; \
		(void)(0 ? **(pp) : *_p); \
		_p; \
	})

/* pd_close() - close exactly once; EINTR counts as closed (Linux frees the fd). */
void pd_close(int fd);

/* pd_strv_free() - free a NULL-terminated string vector. */
void pd_strv_free(char **v);

#endif
