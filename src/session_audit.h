/* SPDX-License-Identifier: MIT */
/*
 * session_audit.h - session events (create, start, stop, connect, exec,
 * remote, policy) as lines of the session's audit log, next to the proxy's
 * decisions (kind "session", the event in "method", its detail in "reason").
 */
#ifndef PAUDE_SESSION_AUDIT_H
#define PAUDE_SESSION_AUDIT_H

#include "session.h"

/* pd_session_event() - append one event; a log that cannot be written is said, not fatal. */
void pd_session_event(const struct pd_session_paths *p, const char *event, const char *detail);

/* pd_session_audit_path() - DATA/NAME/audit.jsonl into @out. */
void pd_session_audit_path(const struct pd_session_paths *p, char *out, size_t cap);

/* pd_session_audit_of() - the audit log's path of the existing session @name (else an error). */
int pd_session_audit_of(const char *name, char *path, size_t cap, struct pd_error *err);

#endif
