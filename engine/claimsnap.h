/*
 * claimsnap.h - the claim index kept on disk between runs, with what it
 * describes: which database, which epoch, up to which ids.
 *
 * A snapshot file is a header (magic, version, the claimsnap_meta below,
 * an XXH3 of the header) followed by the claim index (claimidx_save).  It
 * lies in a state directory (claimsnap_dir) under a name derived from the
 * cluster's system identifier and the database name, is written whole or
 * not at all (temporary file, fsync, rename) and is private (0600 in a 0700
 * directory: it holds plates).  Whether its rows are still true, and how
 * the watermarks are made exact, is the database's part: sql/017_claimsnap.sql.
 * The caller owns the claimidx, the fd and the claimsnap_bg of a write
 * done by a child process, which it must wait for.
 */
#ifndef AB_CLAIMSNAP_H
#define AB_CLAIMSNAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "claimidx.h"
#include "err.h"
#include "pgsink.h"

/* The advisory lock of sql/017_claimsnap.sql ('abgsnap'). */
#define CLAIMSNAP_LOCK "27411269198700912"
#define CLAIMSNAP_PATH_MAX 4096u

typedef struct claimsnap_meta {
    char system_id[24];   /* pg_control_system().system_identifier */
    char db_name[72];     /* current_database() */
    int64_t db_oid;       /* a database dropped and made again gets a new one */
    int64_t migrations;   /* rows of abgleich.schema_migrations */
    int64_t last_migration; /* and the highest version among them */
    int64_t epoch;        /* abgleich.claimsnap_state.epoch */
    int64_t max_claim, max_alloc, max_event; /* watermarks: max(id) of each */
    int64_t claims;       /* claims in the index (filled when saving) */
} claimsnap_meta;

/* The state directory: opt (--state-dir) if given, else $ABGLEICH_STATE_DIR,
 * else $XDG_STATE_HOME/abgleich, else $HOME/.local/state/abgleich.
 * AB_E_NOTFOUND when none can be named. */
int claimsnap_dir(const char *opt, char *out, size_t n) AB_MUSTCHECK;
/* DIR/claims-SYSID-DBNAME-HASH.snap (DBNAME with unsafe bytes replaced). */
int claimsnap_path(const char *dir, const claimsnap_meta *m, char *out, size_t n) AB_MUSTCHECK;

/* What the database says now, in one statement (in the caller's
 * transaction, whose snapshot it then fixes under REPEATABLE READ). */
int claimsnap_db_state(pgsink *db, claimsnap_meta *m) AB_MUSTCHECK;

/* Opens a snapshot and reads its header; *fd then stands at the index for
 * claimidx_load and the caller closes it.  AB_E_NOTFOUND: no file;
 * AB_E_PARSE: not a usable snapshot, and why says why (not private,
 * truncated, another format or a damaged header). */
int claimsnap_open(const char *path, claimsnap_meta *m, int *fd, char *why, size_t n)
    AB_MUSTCHECK;
/* NULL if a snapshot with header `file` still describes the database in
 * state `now` up to its watermarks, else the reason it does not. */
const char *claimsnap_stale(const claimsnap_meta *file, const claimsnap_meta *now);

/* Writes m and ix to path atomically, creating the directory (0700). */
int claimsnap_save(const char *path, const claimsnap_meta *m, const claimidx *ix) AB_MUSTCHECK;

/* A snapshot being written by a child process.  The caller owns it (plain
 * data, on its stack or in its struct) and must claimsnap_wait for it
 * before it exits or starts another. */
typedef struct claimsnap_bg {
    pid_t pid;            /* 0: nothing in flight */
    struct claimsnap_done *done; /* shared with the child: its result */
    size_t claims;
    char path[CLAIMSNAP_PATH_MAX];
} claimsnap_bg;

/* claimsnap_save in a child forked here, at idle CPU priority, so that the
 * caller goes on at once: the child writes the index as it is at this call
 * (the pages are copied on write), whatever the caller changes in it
 * afterwards, and dies with the caller.  First removes what killed writers
 * of the same path left; the caller keeps other writers of that path out
 * (reconcile's lock).  If no child can be forked, saves here and now and
 * returns that result; bg->pid is then 0. */
int claimsnap_save_bg(const char *path, const claimsnap_meta *m, const claimidx *ix,
                      claimsnap_bg *bg) AB_MUSTCHECK;
/* Waits for bg's child, raised to normal priority if it is still writing;
 * its result and how long the write took (ms).  AB_OK with *ms = -1 when
 * nothing was in flight.  bg->path and bg->claims stay, for the report. */
int claimsnap_wait(claimsnap_bg *bg, int64_t *ms) AB_MUSTCHECK;

#endif
