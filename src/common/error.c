/* SPDX-License-Identifier: MIT */
/*
 * error.c - the error contract (error.h).
 *
 * A message that does not fit PD_ERROR_MSG_MAX loses its middle, never its
 * ends: the beginning (the outermost context) and the end (the failing
 * operation's object and the errno text) are kept, joined by "...".  Each
 * wrap cuts again in the middle, so the errno text set at the bottom
 * survives any number of wraps.  A cut never splits a UTF-8 sequence.
 * Nothing here allocates: it runs in the sandbox child before execve.
 */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Formatted text is produced in a buffer this large; longer text has its tail cut. */
#define FMT_MAX (4 * PD_ERROR_MSG_MAX)
#define ELLIPSIS "..."
#define ELLIPSIS_LEN (sizeof(ELLIPSIS) - 1)

const char *pd_strerror(int code)
{
	const char *s = strerrordesc_np(code);

	return s ? s : "Unknown error";
}

/* The concatenation of up to three byte ranges. */
struct text {
	const char *s[3];
	size_t n[3];
};

static size_t text_len(const struct text *t)
{
	return t->n[0] + t->n[1] + t->n[2];
}

static unsigned char text_at(const struct text *t, size_t i)
{
	for (int k = 0; k < 3; k++) {
		if (i < t->n[k])
			return (unsigned char)t->s[k][i];
		i -= t->n[k];
	}
	return 0;
}

/* Copy bytes [@from, @from + @len) of @t to @dst; returns @dst + @len. */
static char *text_copy(char *dst, const struct text *t, size_t from, size_t len)
{
	for (int k = 0; k < 3 && len > 0; k++) {
		size_t take;

		if (from >= t->n[k]) {
			from -= t->n[k];
			continue;
		}
		take = t->n[k] - from < len ? t->n[k] - from : len;
		memcpy(dst, t->s[k] + from, take);
		dst += take;
		len -= take;
		from = 0;
	}
	return dst;
}

static bool utf8_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Write @t into @msg (PD_ERROR_MSG_MAX bytes, NUL-terminated).  @first_whole
 * is false when t->s[0] is only a prefix of the real text: then nothing past
 * that prefix may be shown as an end.  @msg may not overlap @t.
 */
static void fit(char *msg, const struct text *t, bool first_whole)
{
	const size_t room = PD_ERROR_MSG_MAX - 1, keep = room - ELLIPSIS_LEN;
	size_t total = text_len(t), head, tail, known_tail = t->n[1] + t->n[2];
	char *w;

	if (first_whole && total <= room) {
		*text_copy(msg, t, 0, total) = '\0';
		return;
	}
	head = keep / 2;
	tail = keep - head;
	if (!first_whole && tail > known_tail) {
		tail = known_tail;
		head = keep - tail;
	}
	/* t->s[0] holds at least room bytes when it is not whole: head fits in it. */
	for (int i = 0; i < 3 && head > 0 && utf8_cont(text_at(t, head)); i++)
		head--;
	for (int i = 0; i < 3 && tail > 0 && utf8_cont(text_at(t, total - tail)); i++)
		tail--;
	w = text_copy(msg, t, 0, head);
	memcpy(w, ELLIPSIS, ELLIPSIS_LEN);
	w = text_copy(w + ELLIPSIS_LEN, t, total - tail, tail);
	*w = '\0';
}

/*
 * Format into @buf (FMT_MAX bytes).  Returns the length of the text kept;
 * *whole is false when the text was longer than the buffer.
 */
static size_t format(char *buf, bool *whole, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static size_t format(char *buf, bool *whole, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, FMT_MAX, fmt, ap);
	size_t len;

	if (n < 0) {
		buf[0] = '\0';
		n = 0;
	}
	len = strnlen(buf, FMT_MAX - 1);
	/* A NUL from the format (%c of 0) ends the text where it is. */
	*whole = (size_t)n < FMT_MAX || len < FMT_MAX - 1;
	return len;
}

static void set_va(struct pd_error *e, int code, bool with_text, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void set_va(struct pd_error *e, int code, bool with_text, const char *fmt, va_list ap)
{
	char buf[FMT_MAX];
	struct text t = { { buf, ": ", "" }, { 0, 0, 0 } };
	bool whole;

	t.n[0] = format(buf, &whole, fmt, ap);
	if (with_text && code != 0) {
		t.s[2] = pd_strerror(code);
		t.n[1] = 2;
		t.n[2] = strlen(t.s[2]);
	}
	fit(e->msg, &t, whole);
	e->code = code;
	e->status = 0;
}

int pd_error_set(struct pd_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	set_va(e, code, true, fmt, ap);
	va_end(ap);
	return -1;
}

int pd_error_set_msg(struct pd_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	set_va(e, code, false, fmt, ap);
	va_end(ap);
	return -1;
}

int pd_error_wrap(struct pd_error *e, const char *fmt, ...)
{
	char ctx[FMT_MAX];
	char old[PD_ERROR_MSG_MAX];
	struct text t = { { ctx, ": ", old }, { 0, 2, 0 } };
	va_list ap;
	bool whole;

	if (!e)
		return -1;
	va_start(ap, fmt);
	t.n[0] = format(ctx, &whole, fmt, ap);
	va_end(ap);
	/* The old message may come unterminated (a struct never set). */
	memcpy(old, e->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	t.n[2] = strlen(old);
	fit(e->msg, &t, whole);
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
