/* SPDX-License-Identifier: MIT */
/*
 * shsplit.h - split a string into words as a POSIX shell (and Python's
 * shlex.split, which the predecessor used for --args) would: blanks
 * separate, '...' is literal, "..." keeps \" \\ \$ \` escapes, a backslash
 * outside quotes escapes the next character.  No expansion of any kind.
 */
#ifndef PAUDE_SHSPLIT_H
#define PAUDE_SHSPLIT_H

#include "common/error.h"

/* pd_shsplit() - the words of @s in *@out (NULL-terminated); an unclosed quote is an error. */
int pd_shsplit(const char *s, char ***out, struct pd_error *err);

#endif
