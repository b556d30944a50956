/* SPDX-License-Identifier: MIT */
/*
 * error.h - paude's one error contract.
 *
 * Every fallible function returns a negative int (or NULL) and fills a
 * struct pd_error: the errno-style code and a message that names the object
 * it failed on, e.g.  mount "/proc": Permission denied.  Callers add context
 * on the way up with pd_error_wrap(); only main() prints and exits.
 *
 * The message lives inside the struct (no allocation), so an error can be
 * copied byte for byte over the sync socket from a child after clone and be
 * rebuilt in the parent.  `status` carries an exit-status hint for run/exec
 * (126/127 when exec itself failed); 0 means "use the caller's default".
 *
 * Too long: a message that does not fit PD_ERROR_MSG_MAX - 1 bytes loses
 * its middle, replaced by "...": the beginning (the outermost context) and
 * the end (the object and the errno text) always survive, through any
 * number of wraps.
 */
#ifndef PAUDE_ERROR_H
#define PAUDE_ERROR_H

#include <stddef.h>

#define PD_ERROR_MSG_MAX 1024

struct pd_error {
	int code;                   /* errno value, or 0 when none applies */
	int status;                 /* exit-status hint, 0 when none */
	char msg[PD_ERROR_MSG_MAX]; /* NUL-terminated; see "Too long" above */
};

/*
 * pd_error_set() - record a failure.
 * @e: error to fill (may be NULL: the failure is then only returned)
 * @code: errno value; when non-zero, ": strerror(code)" is appended
 * @fmt: printf format naming the operation and its object
 *
 * Arguments may point into @e->msg (the text is formatted aside first).
 *
 * Return: always -1, so `return pd_error_set(...)` is a whole failure path.
 */
int pd_error_set(struct pd_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * pd_error_set_msg() - like pd_error_set(), for a message that is already a
 * whole sentence: @code is recorded but its text is not appended.
 */
int pd_error_set_msg(struct pd_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * pd_error_wrap() - prepend "context: " to an error set further down; when
 * the result is too long its middle is cut (see "Too long" above).
 * Return: -1
 */
int pd_error_wrap(struct pd_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* pd_error_clear() - reset to "no error". */
void pd_error_clear(struct pd_error *e);

/* pd_strerror() - errno text without touching global state (never NULL). */
const char *pd_strerror(int code);

#endif
