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

int pd_session_select(const char *name, bool running_only, char *out, struct pd_error *err)
{
	struct pd_session_dirs d;
	cleanup_strv char **names = NULL;
	cleanup_strv char **found = pd_xcalloc(1, sizeof(char *));
	char cwd[PATH_MAX], list[PD_ERROR_MSG_MAX / 2] = "";
	size_t n;

	if (name) {
		pd_strlcpy(out, name, PD_SESSION_NAME_MAX + 1);
		return pd_session_name_check(name, "/", err) < 0 ? (err->status = 2, -1) : 0;
	}
	if (pd_session_dirs_get(&d, err) < 0 || pd_session_names(&d, &names, err) < 0)
		return -1;
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	for (int pass = 0; pass < 2 && pd_strv_len(found) == 0; pass++) {
		for (char **nm = names; *nm; nm++) {
			struct pd_session_paths p;
			struct pd_session s;
			struct pd_error ignore;
			bool match;

			if (pd_session_paths(*nm, &p, &ignore) < 0 ||
			    pd_session_load(&p, &s, &ignore) < 0)
				continue;
			match = pass == 1 || !strcmp(s.workspace, cwd);
			pd_session_release(&s);
			if (!match)
				continue;
			if (running_only && pd_session_probe(&p, NULL, 0) != PD_SESSION_RUNNING)
				continue;
			pd_strv_push(&found, *nm);
		}
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
