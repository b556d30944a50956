/* SPDX-License-Identifier: MIT */
/* session_select.c - the session a command means (session_select.h). */
#include "session_select.h"
#include "session_client.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct selection {
	bool running_only, any;
	char cwd[PATH_MAX];
	char ***found;
};

static int consider(const struct pd_session_paths *p, const struct pd_session *s, void *data)
{
	struct selection *sel = data;

	if (!sel->any && strcmp(s->workspace, sel->cwd) != 0)
		return 0;
	if (sel->running_only && pd_session_probe(p, NULL, 0) != PD_SESSION_RUNNING)
		return 0;
	pd_strv_push(sel->found, s->name);
	return 0;
}

int pd_session_select(const char *name, bool running_only, char *out, struct pd_error *err)
{
	struct pd_session_dirs d;
	cleanup_strv char **found = pd_xcalloc(1, sizeof(char *));
	struct selection sel = { .running_only = running_only };
	char list[PD_ERROR_MSG_MAX / 2] = "";
	size_t n;

	if (name) {
		pd_strlcpy(out, name, PD_SESSION_NAME_MAX + 1);
		return pd_session_name_check(name, "/", err) < 0 ? (err->status = 2, -1) : 0;
	}
	if (pd_session_dirs_get(&d, err) < 0)
		return -1;
	if (!getcwd(sel.cwd, sizeof(sel.cwd)))
		sel.cwd[0] = '\0';
	/* the directory's own session first, else any */
	sel.found = &found;
	if (pd_session_each(&d, consider, &sel, err) < 0)
		return -1;
	if (!found[0]) {
		sel.any = true;
		if (pd_session_each(&d, consider, &sel, err) < 0)
			return -1;
	}
	n = pd_strv_len(found);
	if (n == 1) {
		pd_strlcpy(out, found[0], PD_SESSION_NAME_MAX + 1);
		return 0;
	}
	if (n == 0) {
		pd_error_set_msg(err, ENOENT,
				 running_only ? "No running sessions found. Start one with: paude "
						"start NAME"
					      : "No sessions found. Create one with: paude create");
		err->status = 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list);

		snprintf(list + l, sizeof(list) - l, "\n  %s", found[i]);
	}
	pd_error_set_msg(err, EINVAL, "Multiple %ssessions found. Specify one:%s",
			 running_only ? "running " : "", list);
	err->status = 1;
	return -1;
}
