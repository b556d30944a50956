/* SPDX-License-Identifier: MIT */
/* session_audit.c - session events in the audit log (session_audit.h). */
#include "session_audit.h"
#include "common/log.h"
#include "proxy/audit.h"

#include <stdio.h>
#include <string.h>

void pd_session_audit_path(const struct pd_session_paths *p, char *out, size_t cap)
{
	snprintf(out, cap, "%s/audit.jsonl", p->dir);
}

void pd_session_event(const struct pd_session_paths *p, const char *event, const char *detail)
{
	struct pd_error err = { 0 };
	struct pd_audit *a;
	char path[4200];

	pd_session_audit_path(p, path, sizeof(path));
	a = pd_audit_open(path, 0, 0, &err);
	if (!a) {
		pd_note("audit log: %s", err.msg);
		return;
	}
	pd_audit_write(a, &(struct pd_audit_record){
				  .sandbox = strrchr(p->dir, '/') + 1,
				  .kind = "session",
				  .method = event,
				  .reason = detail,
				  .allowed = true,
			  });
	pd_audit_close(a);
}

int pd_session_audit_of(const char *name, char *path, size_t cap, struct pd_error *err)
{
	struct pd_session_paths p;
	struct pd_session s;

	if (pd_session_paths(name, &p, err) < 0 || pd_session_load(&p, &s, err) < 0)
		return -1;
	pd_session_release(&s);
	pd_session_audit_path(&p, path, cap);
	return 0;
}
