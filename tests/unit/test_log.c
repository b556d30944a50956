/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common/log.c: notes go to the owner's sink, once each. */
#include "unit.h"
#include "common/log.h"

#include <stdio.h>
#include <string.h>

struct captured {
	char lines[4][256];
	int n;
};

static void capture(const char *line, void *data)
{
	struct captured *c = data;

	if (c->n < 4)
		snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s", line);
	c->n++;
}

START_TEST(test_sink_gets_each_note_once)
{
	struct captured c = { .n = 0 };

	pd_log_set_sink(capture, &c);
	pd_note("sink note %d", 1);
	pd_note("sink note %d", 1); /* said once per process */
	pd_note("sink note %d", 2);
	pd_log_quiet(1);
	pd_note("sink note %d", 3); /* quiet: nothing */
	pd_log_quiet(0);
	pd_log_set_sink(NULL, NULL);
	ck_assert_msg(c.n == 2, "expected 2 notes in the sink, got %d", c.n);
	ck_assert_msg(!strcmp(c.lines[0], "sink note 1"), "first note: got \"%s\"", c.lines[0]);
	ck_assert_msg(!strcmp(c.lines[1], "sink note 2"), "second note: got \"%s\"", c.lines[1]);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("sink");

	tcase_add_test(tc, test_sink_gets_each_note_once);
	suite_add_tcase(s, tc);
	return s;
}

PD_UNIT_SUITE(log_suite);
