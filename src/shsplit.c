/* SPDX-License-Identifier: MIT */
/* shsplit.c - shell-like word splitting (shsplit.h). */
#include "shsplit.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int pd_shsplit(const char *s, char ***out, struct pd_error *err)
{
	char **v = pd_xcalloc(1, sizeof(char *));
	char *w = pd_xmalloc(strlen(s) + 1);
	size_t n = 0;
	bool in_word = false;

	*out = NULL;
	for (const char *c = s; *c; c++) {
		if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r') {
			if (in_word) {
				w[n] = '\0';
				pd_strv_push(&v, w);
				n = 0;
				in_word = false;
			}
			continue;
		}
		in_word = true;
		if (*c == '\\') {
			if (!c[1]) {
				free(w);
				pd_strv_free(v);
				return pd_error_set_msg(err, EINVAL, "No escaped character");
			}
			c++;
			w[n++] = *c;
		} else if (*c == '\'') {
			const char *e = strchr(c + 1, '\'');

			if (!e)
				goto unclosed;
			memcpy(w + n, c + 1, (size_t)(e - c - 1));
			n += (size_t)(e - c - 1);
			c = e;
		} else if (*c == '"') {
			for (c++; *c && *c != '"'; c++) {
				if (*c == '\\' && c[1] && strchr("\"\\$`", c[1]))
					c++;
				w[n++] = *c;
			}
			if (!*c)
				goto unclosed;
		} else {
			w[n++] = *c;
		}
	}
	if (in_word) {
		w[n] = '\0';
		pd_strv_push(&v, w);
	}
	free(w);
	*out = v;
	return 0;
unclosed:
	free(w);
	pd_strv_free(v);
	return pd_error_set_msg(err, EINVAL, "No closing quotation");
}
