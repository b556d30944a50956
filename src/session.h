/* SPDX-License-Identifier: MIT */
/*
 * session.h - a persistent session: what `paude create` decided, kept in
 * DATA/NAME/config.json (session_config.c), and the state-changing lock
 * every command that changes a session takes (session_lock.c).
 *
 * A session's directory (DATA/NAME, session_dirs.h) holds:
 *   config.json   this struct, written atomically (a temporary file renamed)
 *   pvc/          the persistent volume, /pvc inside; pvc/workspace is the
 *                 agent's working copy, pvc/home the agent's home
 *   layer/        the container's writable layer (installed packages survive
 *                 stop/start)
 *   audit.jsonl   session events and the proxy's decisions
 *   supervisor.log what the supervisor said
 * and its run directory (RUN/NAME) the supervisor's pid and control socket.
 */
#ifndef PAUDE_SESSION_H
#define PAUDE_SESSION_H

#include "common/error.h"
#include "runtime/runtime.h"
#include "session_dirs.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define PD_SESSION_CONFIG "config.json"
#define PD_SESSION_AGENT "paude"
#define PD_SESSION_AGENT_UID 1000u
#define PD_SESSION_WORKSPACE "/pvc/workspace"
#define PD_SESSION_HOME "/home/paude"

struct pd_session {
	char name[PD_SESSION_NAME_MAX + 1];
	char *workspace; /* the host directory it was created for */
	char *image;     /* the reference as given ("host", "dir:...", a name) */
	char *image_id;  /* a stored image's manifest digest, pinned; NULL otherwise */
	time_t created;
	char **args; /* claude's arguments (--yolo's included) */
	bool yolo;
	char **allowed_domains; /* NULL-terminated, never NULL */
	char **resolve;         /* HOST:ADDR */
	char **env;             /* K=V from --env */
	uint64_t memory, pids, cpu_quota_us, cpu_period_us;
	enum pd_idmap_mode idmap;
	uint32_t uid_start, gid_start; /* root mode: the session's host range */
	bool agent_root;               /* no subordinate ids: the agent is root (IS_SANDBOX=1) */
};

/* What a session command needs to know of the places. */
struct pd_session_paths {
	struct pd_session_dirs dirs;
	char dir[4096]; /* DATA/NAME */
	char run[4096]; /* RUN/NAME */
};

/* pd_session_paths() - the directories of session @name (checked, nothing made but DATA and RUN). */
int pd_session_paths(const char *name, struct pd_session_paths *p, struct pd_error *err);

/* session_config.c */
/* pd_session_to_json() - the config's text (heap, NUL-terminated). */
char *pd_session_to_json(const struct pd_session *s);
/* pd_session_from_json() - parse a config; anything malformed is an error naming the field. */
int pd_session_from_json(const char *text, size_t len, struct pd_session *s, struct pd_error *err);
/* pd_session_load() - DATA/NAME/config.json.  Return: 0; -1 with @err (ENOENT: no such session). */
int pd_session_load(const struct pd_session_paths *p, struct pd_session *s, struct pd_error *err);
/* pd_session_save() - write it atomically. */
int pd_session_save(const struct pd_session_paths *p, const struct pd_session *s,
		    struct pd_error *err);
void pd_session_release(struct pd_session *s);

/*
 * pd_session_names() - every session's name, sorted (the directories of
 * DATA that hold a config).  Return: 0 with *@out (NULL-terminated), or -1.
 */
int pd_session_names(const struct pd_session_dirs *d, char ***out, struct pd_error *err);

/*
 * pd_session_each() - @fn(paths, session, @data) for every session of @d
 * whose config loads, in name order; a nonzero return of @fn ends the walk
 * and is returned.  Return: 0 when every one was seen, -1 with @err.
 */
typedef int (*pd_session_fn)(const struct pd_session_paths *p, const struct pd_session *s,
			     void *data);
int pd_session_each(const struct pd_session_dirs *d, pd_session_fn fn, void *data,
		    struct pd_error *err);

/*
 * pd_session_lock() - the lock of state-changing commands on session @name
 * (RUN/NAME.lock, flock, waited for).  Return: the fd holding it, or -1.
 */
int pd_session_lock(const struct pd_session_paths *p, struct pd_error *err);

/*
 * pd_session_root_ids() - as root, a range of its own for a new session (a
 * 65536-id slot of the sessions' pool no other session holds), so two
 * sessions never share an id on disk or in the kernel.  *@lock_fd holds
 * the allocation lock: keep it until the config is saved.
 */
int pd_session_root_ids(const struct pd_session_dirs *d, struct pd_idmap_plan *ids, int *lock_fd,
			struct pd_error *err);

/* pd_session_idmap() - the id plan @s was created with, for this caller. */
int pd_session_idmap(const struct pd_session *s, struct pd_idmap_plan *ids, struct pd_error *err);

/*
 * pd_session_pinned_images() - the image ids every session of this user
 * pinned (running or stopped): `image prune` keeps them.  Never NULL.
 */
char **pd_session_pinned_images(void);
/* pd_session_pinning() - the name of a session that pinned @manifest, or NULL. */
const char *pd_session_pinning(const char *manifest);

#endif
