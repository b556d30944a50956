/* SPDX-License-Identifier: MIT */
/*
 * audit.h - the network audit log: every decision of the proxy and the DNS
 * resolver (allowed or denied) as one JSON object per line.
 *
 *	a = pd_audit_open(cfg_path, 0, 0, err);          // defaults: 10 MiB, 3 old files
 *	pd_audit_write(a, &(struct pd_audit_record){ .sandbox = "s1", .kind = "dns", ... });
 *	pd_audit_close(a);
 *
 * A line (one line here, wrapped for reading; keys always in this order):
 *
 *	{"time":"2026-12-07T03:38:31.123Z","sandbox":"s1","kind":"connect",
 *	 "method":"CONNECT","host":"example.com","port":443,"addr":"93.184.215.14",
 *	 "rule":".example.com","verdict":"allow","reason":null,"bytes_up":517,
 *	 "bytes_down":6120,"duration_ms":840}
 *
 * Every key is always present: a NULL string (or an addr of family 0) is
 * written as null, numbers as they are.  Strings are escaped for JSON and
 * for terminals: '"' and '\' with a backslash, bytes 0x00-0x1f, 0x7f and the
 * C1 controls U+0080-U+009F as \u00XX, each byte that is not part of valid
 * UTF-8 (overlong forms, surrogates and values over U+10FFFF included) as
 * U+FFFD; other UTF-8 is kept as it is.  A string whose escaped form
 * exceeds PD_AUDIT_STR_MAX bytes is cut at a character boundary and ends in
 * "...", so a line never exceeds PD_AUDIT_LINE_MAX bytes.
 *
 * Each line is written by a single write(2) on an O_APPEND fd: lines of
 * several processes appending to one file never interleave.  See audit.c
 * for rotation.
 */
#ifndef PAUDE_PROXY_AUDIT_H
#define PAUDE_PROXY_AUDIT_H

#include "common/error.h"
#include "proxy/addr.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define PD_AUDIT_DEFAULT_MAX_BYTES (10u << 20) /* 10 MiB */
#define PD_AUDIT_DEFAULT_KEEP 3u
#define PD_AUDIT_KEEP_MAX 1000u
/* Escaped bytes of one string value, quotes not counted. */
#define PD_AUDIT_STR_MAX 512
/* A line with its newline; at most PIPE_BUF, so stderr on a pipe stays atomic too. */
#define PD_AUDIT_LINE_MAX 4096

struct pd_audit;

/* One decision.  Strings may be NULL (written as null) unless noted. */
struct pd_audit_record {
	struct timespec when;       /* CLOCK_REALTIME; {0, 0}: now */
	const char *sandbox;        /* the sandbox's name */
	const char *kind;           /* "connect", "http", "transparent", "dns" */
	const char *method;         /* CONNECT, GET, ...; for dns the qtype ("AAAA") */
	const char *host;           /* the name asked for, as the client sent it */
	uint16_t port;              /* 0 for dns */
	const struct pd_addr *addr; /* the upstream address; NULL or family 0: null */
	const char *rule;           /* the allowlist entry that matched */
	const char *reason;         /* why, for a denial or a failure */
	bool allowed;               /* "verdict": "allow" or "deny" */
	uint64_t bytes_up, bytes_down;
	uint64_t duration_ms;
};

/*
 * pd_audit_open() - open (create) the audit log.
 * @path: the log file; NULL writes lines to stderr (fd 2, never rotated,
 *        never closed).  Missing parent directories are created with mode
 *        0700 (existing ones, symbolic links included, are followed: the
 *        path is the user's own configuration); the file itself is created
 *        with mode 0600 (less if the umask says so) and must be a regular
 *        file: a symbolic link there is refused (ELOOP), even a dangling one.
 * @max_bytes: rotate when a line would take the file past this size; 0:
 *             PD_AUDIT_DEFAULT_MAX_BYTES.  A line longer than it gets a file
 *             of its own.
 * @keep: how many rotated files (path.1 newest ... path.keep oldest) to
 *        keep; 0: PD_AUDIT_DEFAULT_KEEP; at most PD_AUDIT_KEEP_MAX (EINVAL)
 * @err: filled on failure, naming the path
 *
 * The handle belongs to one process: a child that writes to the same log
 * opens its own (rotation locks with flock(2), which a shared open file
 * description does not separate).
 *
 * Return: the handle, or NULL with @err set.
 */
struct pd_audit *pd_audit_open(const char *path, uint64_t max_bytes, unsigned keep,
			       struct pd_error *err);

/*
 * pd_audit_write() - append one record as a line, rotating first when due.
 * @a: the log
 * @r: the record
 *
 * Unlike most of paude, this returns a negative errno rather than filling a
 * struct pd_error: it runs once per connection and per DNS query, and its
 * caller only counts or notes failures (errno is set to the same value).
 *
 * Return: 0 when the line was written; -errno when it was not (a failed or
 * short write: -EIO for a short one, whose line may be cut), or when it was
 * written but the rotation due before it failed (the line then went to the
 * current file, which grows past max_bytes; the next write retries).
 */
int pd_audit_write(struct pd_audit *a, const struct pd_audit_record *r);

/*
 * pd_audit_format() - the line pd_audit_write() would write for @r,
 * newline included, NUL-terminated (for tests and for callers that log
 * elsewhere).
 * @r: the record
 * @buf: PD_AUDIT_LINE_MAX bytes
 *
 * Return: the line's length without the NUL (always < PD_AUDIT_LINE_MAX).
 */
size_t pd_audit_format(const struct pd_audit_record *r, char buf[PD_AUDIT_LINE_MAX]);

/*
 * pd_audit_close() - close the log (not stderr) and free the handle.
 * @a: may be NULL
 */
void pd_audit_close(struct pd_audit *a);

#endif
