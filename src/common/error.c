/* SPDX-License-Identifier: MIT */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pd_strerror(int code)
{
	const char *s = strerrordesc_np(code);

	return s ? s : "Unknown error";
}

int pd_error_set(struct pd_error *e, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e)
		return -1;
	e->code = code;
	e->status = 0;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		e->msg[0] = '\0';
		n = 0;
	}
	if (code != 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", pd_strerror(code));
	return -1;
}

int pd_error_set_msg(struct pd_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	if (vsnprintf(e->msg, sizeof(e->msg), fmt, ap) < 0)
		e->msg[0] = '\0';
	va_end(ap);
	e->code = code;
	e->status = 0;
	return -1;
}

int pd_error_wrap(struct pd_error *e, const char *fmt, ...)
{
	char ctx[PD_ERROR_MSG_MAX];
	char old[PD_ERROR_MSG_MAX];
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	if (vsnprintf(ctx, sizeof(ctx), fmt, ap) < 0)
		ctx[0] = '\0';
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	{
		size_t cl = strnlen(ctx, sizeof(e->msg) - 1);
		size_t room = sizeof(e->msg) - 1 - cl;

		memcpy(e->msg, ctx, cl);
		if (room >= 2) {
			size_t ol = strnlen(old, room - 2);

			e->msg[cl] = ':';
			e->msg[cl + 1] = ' ';
			memcpy(e->msg + cl + 2, old, ol);
			e->msg[cl + 2 + ol] = '\0';
		} else {
			e->msg[cl] = '\0';
		}
	}
	return -1;
}

void pd_error_clear(struct pd_error *e)
{
	if (!e)
		return;
	e->code = 0;
	e->status = 0;
	e->msg[0] = '\0';
}
