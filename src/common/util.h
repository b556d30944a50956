/* SPDX-License-Identifier: MIT */
/*
 * util.h - allocation, string vectors and bounded string helpers.
 *
 * Allocation failure is not an error path: pd_x*() print and abort, as a
 * process that cannot allocate a few bytes cannot report anything useful.
 */
#ifndef PAUDE_UTIL_H
#define PAUDE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *pd_xmalloc(size_t n);
void *pd_xcalloc(size_t n, size_t size);
void *pd_xrealloc(void *p, size_t n);
/* pd_xreallocarray() - realloc to n * size bytes; aborts on overflow too. */
void *pd_xreallocarray(void *p, size_t n, size_t size);
char *pd_xstrdup(const char *s);
char *pd_xstrndup(const char *s, size_t n);
char *pd_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* String vectors: NULL-terminated arrays of heap strings. */
size_t pd_strv_len(char *const *v);
/* pd_strv_push() - append a copy of s; *v may be NULL. */
void pd_strv_push(char ***v, const char *s);
/* pd_strv_push_take() - append s itself (ownership moves into the vector). */
void pd_strv_push_take(char ***v, char *s);
char **pd_strv_dup(char *const *v);

/* pd_strlcpy() - bounded copy, always NUL-terminates; returns strlen(src). */
size_t pd_strlcpy(char *dst, const char *src, size_t size);

bool pd_str_has_prefix(const char *s, const char *prefix);

/*
 * pd_parse_u64() - parse a whole decimal string into *out.
 * Return: 0, or -1 with errno EINVAL (not a number) or ERANGE (> max).
 */
int pd_parse_u64(const char *s, uint64_t max, uint64_t *out);
int pd_parse_u32(const char *s, uint32_t *out);

/* pd_random_hex() - fill buf with 2*n lowercase hex chars from getrandom + NUL. */
void pd_random_hex(char *buf, size_t n);

/*
 * pd_assert_single_threaded() - abort when the process has more than one
 * thread (debug builds: without NDEBUG).  A raw clone or fork from a
 * threaded process can inherit a malloc lock held by another thread, and
 * setns(CLONE_NEWUSER) refuses threaded callers.
 */
void pd_assert_single_threaded(void);

#endif
