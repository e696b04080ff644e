/*
 * claimload.c - the open claims of the database into a claim index, for
 * reconcile (and serve's reconcile jobs).
 *
 * Data in: abgleich.claim_ledger by COPY (id, reference, owed, open, due
 * day, plate, in id order), or the claim snapshot (engine/claimsnap.h) plus
 * what changed after its watermarks (claims above the claims watermark,
 * then per claim the sums of newer events and ledger rows:
 * abgleich.claimsnap_changes, sql/017_claimsnap.sql).  Data out: the
 * index, and a new snapshot after a full load or a delta above a twentieth
 * of the claims, written beside the run by a child process.
 * Invariants: the index is the same whichever way it was loaded (claims
 * go in in id order, so duplicates and plate chains come out alike;
 * tests/integration/t_snapshot.sh compares the rows written with and
 * without a snapshot); the state is read in one REPEATABLE READ
 * transaction; a snapshot that cannot serve (damaged, foreign, stale,
 * too small) is ignored with a reason in the log, never trusted.
 */
#include "claimload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/claimsnap.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/monotime.h"
#include "../engine/plate.h"
#include "../engine/refscan.h"

/* A claim's due day as the index keeps it, in days since 1970.  A claim
 * without a due date (a notice under objection, a closed claim) is due
 * last: 31 Dec 9999, as claimsnap_changes has it (sql/052, sql/057). */
#define DUE_DAY "coalesce(due_date, date '9999-12-31') - date '1970-01-01'"

typedef struct claimload {
    pgsink *db;
    const cli_opts *o;
    claimidx *ix;          /* the index being built; replaced by each load */
    int64_t snap_delta;    /* claims added or changed by the snapshot's delta */
    claimsnap_bg *bg;      /* the child writing a new snapshot */
} claimload;

/* A claim_ledger row as COPY text: id, reference, owed, open, due day, plate. */
static int claim_fields(char *line, size_t n, char **f, size_t *len)
{
    if (pgsink_copy_split(line, n, f, len, 6) != 6 || !f[0] || !f[1] || !f[2] || !f[3] || !f[4])
        return AB_E_DB;
    return AB_OK;
}

/* *slot: where the claim went, CLAIMIDX_NONE when it was left out. */
static int insert_claim(claimidx *ix, char **f, size_t *len, uint32_t *slot)
{
    *slot = CLAIMIDX_NONE;
    char ref[AB_REF_MAX + 1];
    size_t rn = refscan_normalise(f[1], len[1], ref);
    if (rn == 0)
        return AB_OK; /* a reference no payment text could ever name */
    int rc = claimidx_insert(ix, ref, rn, strtoll(f[0], NULL, 10), strtoll(f[2], NULL, 10),
                             strtoll(f[3], NULL, 10), (int32_t)strtol(f[4], NULL, 10), slot);
    if (rc == AB_E_DUP) {
        *slot = CLAIMIDX_NONE;
        return AB_OK;
    }
    char plate[PLATE_MAX];
    size_t pn = f[5] ? plate_normalise(f[5], len[5], plate) : 0;
    if (rc == AB_OK && pn)
        rc = claimidx_set_plate(ix, *slot, plate, pn);
    return rc;
}

static int load_claim_line(void *ctx, char *line, size_t n)
{
    char *f[6];
    size_t len[6];
    uint32_t slot;
    int rc = claim_fields(line, n, f, len);
    return rc < 0 ? rc : insert_claim(ctx, f, len, &slot);
}

/* Headroom of an index that will be saved: the next runs' new claims fit
 * into its table without a rebuild (claimidx_load refuses one that would
 * need it). */
static size_t with_headroom(size_t count)
{
    size_t c = count + count / 16 + 1024;
    return c > AB_CLAIMS_MAX ? AB_CLAIMS_MAX : c;
}

static int load_full(claimload *r)
{
    pgsink_result *res = NULL;
    int rc = pgsink_query(r->db, "SELECT count(*) FROM abgleich.claims", 0, NULL, &res);
    if (rc < 0)
        return rc;
    size_t count = (size_t)strtoull(pgsink_result_value(res, 0, 0), NULL, 10);
    pgsink_result_free(res);
    if (count > AB_CLAIMS_MAX) {
        log_error("%zu claims exceed the index limit of %u", count, AB_CLAIMS_MAX);
        return AB_E_LIMIT;
    }
    claimidx_destroy(r->ix);
    r->ix = NULL;
    rc = claimidx_create(&r->ix, r->o->no_snapshot ? count + 1 : with_headroom(count + 1));
    if (rc < 0)
        return rc;
    /* Paid claims are loaded too, so that a second payment is recognised as
     * claim_already_paid instead of unknown_reference. */
    return pgsink_copy_out(r->db,
                           "COPY (SELECT id, reference, owed_cents, open_cents, " DUE_DAY ", plate"
                           " FROM abgleich.claim_ledger"
                           " ORDER BY id) TO STDOUT", /* owed after escalation: 004_fines.sql */
                           load_claim_line, r->ix);
}

typedef struct delta_ctx {
    claimidx *ix;
    uint32_t *slot_of;    /* claim id -> slot, CLAIMIDX_NONE if not held */
    size_t n_ids;
    int64_t added, changed;
} delta_ctx;

/* A claim above the snapshot's watermark, as it was inserted (the changes
 * follow).  In id order, after every older claim: duplicates and plate
 * chains come out as in a full load. */
static int fresh_line(void *ctx, char *line, size_t n)
{
    delta_ctx *d = ctx;
    char *f[6];
    size_t len[6];
    uint32_t slot;
    int rc = claim_fields(line, n, f, len);
    if (rc == AB_OK)
        rc = insert_claim(d->ix, f, len, &slot);
    int64_t id = rc == AB_OK ? strtoll(f[0], NULL, 10) : -1;
    if (id >= 0 && (uint64_t)id < d->n_ids)
        d->slot_of[id] = slot;
    d->added++;
    return rc;
}

/* What new events and allocations did to one claim: id, added, paid,
 * due_moved, due_day (sql/017_claimsnap.sql).  A claim the index does not
 * hold (its reference normalises to nothing, or an older claim has it)
 * was left out by the full load too. */
static int change_line(void *ctx, char *line, size_t n)
{
    delta_ctx *d = ctx;
    char *f[5];
    size_t len[5];
    if (pgsink_copy_split(line, n, f, len, 5) != 5 || !f[0] || !f[1] || !f[2] || !f[3] || !f[4])
        return AB_E_DB;
    int64_t id = strtoll(f[0], NULL, 10);
    uint32_t s = id >= 0 && (uint64_t)id < d->n_ids ? d->slot_of[id] : CLAIMIDX_NONE;
    if (s == CLAIMIDX_NONE)
        return AB_OK;
    int64_t added = strtoll(f[1], NULL, 10), paid = strtoll(f[2], NULL, 10);
    int32_t due = f[3][0] == 't' ? (int32_t)strtol(f[4], NULL, 10) : claimidx_due_day(d->ix, s);
    claimidx_update(d->ix, s, claimidx_amount(d->ix, s) + added,
                    claimidx_open(d->ix, s) + added - paid, due);
    d->changed++;
    return AB_OK;
}

/* The snapshot's index; then the claims above its watermark (inserted
 * with their own amount and due date); then, for every claim that new
 * events or allocations name, what they added (sql/017_claimsnap.sql).
 * Two statements of one REPEATABLE READ transaction: one state.
 * AB_E_PARSE or AB_E_LIMIT: the file cannot serve (damaged, or its table
 * is too small for the new claims). */
static int load_delta(claimload *r, int fd, const claimsnap_meta *file, const claimsnap_meta *at)
{
    claimidx_destroy(r->ix);
    r->ix = NULL;
    if (at->max_claim > 4 * (int64_t)AB_CLAIMS_MAX)
        return AB_E_LIMIT; /* ids too sparse for a map by id */
    int rc = claimidx_load(&r->ix, fd, (size_t)(at->max_claim - file->max_claim));
    if (rc < 0)
        return rc;
    delta_ctx d = {.ix = r->ix, .n_ids = (size_t)at->max_claim + 1};
    if (!(d.slot_of = mem_alloc(d.n_ids * sizeof *d.slot_of)))
        return AB_E_NOMEM;
    memset(d.slot_of, 0xff, d.n_ids * sizeof *d.slot_of); /* CLAIMIDX_NONE */
    claimidx_id_map(r->ix, d.slot_of, d.n_ids);
    char sql[512];
    snprintf(sql, sizeof sql,
             "COPY (SELECT id, reference, amount_cents, amount_cents, " DUE_DAY ", plate"
             " FROM abgleich.claims WHERE id > %lld ORDER BY id) TO STDOUT",
             (long long)file->max_claim);
    rc = pgsink_copy_out(r->db, sql, fresh_line, &d);
    snprintf(sql, sizeof sql,
             "COPY (SELECT * FROM abgleich.claimsnap_changes(%lld, %lld)) TO STDOUT",
             (long long)file->max_alloc, (long long)file->max_event);
    if (rc == AB_OK)
        rc = pgsink_copy_out(r->db, sql, change_line, &d);
    mem_free(d.slot_of);
    if (rc == AB_OK)
        log_info("claims: %lld from the snapshot, %lld new, %lld changed by new ledger rows",
                 (long long)file->claims, (long long)d.added, (long long)d.changed);
    r->snap_delta = d.added + d.changed;
    return rc;
}

/* Why the snapshot at path cannot serve against the database in state
 * now, or NULL; *fd and *file are set when it can. */
static const char *snapshot_usable(const char *path, const claimsnap_meta *now,
                                   claimsnap_meta *file, int *fd, char *why, size_t n)
{
    int rc = claimsnap_open(path, file, fd, why, n);
    if (rc == AB_E_NOTFOUND) {
        snprintf(why, n, "none yet");
        return why;
    }
    if (rc < 0)
        return why;
    const char *stale = claimsnap_stale(file, now);
    if (stale) {
        close(*fd);
        *fd = -1;
    }
    return stale;
}

static int snap_lock(claimload *r, int *got)
{
    pgsink_result *res = NULL;
    int rc = pgsink_query(r->db, "SELECT pg_try_advisory_lock(" CLAIMSNAP_LOCK ")", 0, NULL,
                          &res);
    *got = rc == AB_OK && !strcmp(pgsink_result_value(res, 0, 0), "t");
    pgsink_result_free(res);
    return rc;
}

/* In one REPEATABLE READ transaction: the state (which fixes the
 * transaction's snapshot, taken while we hold the snapshot lock if
 * `locked`: then no writer of claims or the ledger is in flight, so the
 * watermarks are exact, and we let go at once), then the snapshot and its
 * delta, or everything.  *use: in, the snapshot is worth trying; out, it
 * was used. */
static int load_consistent(claimload *r, int fd, const claimsnap_meta *file, int *use,
                           int locked, claimsnap_meta *at)
{
    int rc = pgsink_exec(r->db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (rc == AB_OK)
        rc = claimsnap_db_state(r->db, at);
    if (locked && pgsink_exec(r->db, "SELECT pg_advisory_unlock(" CLAIMSNAP_LOCK ")") < 0 &&
        rc == AB_OK)
        rc = AB_E_DB;
    const char *stale = rc == AB_OK && *use ? claimsnap_stale(file, at) : NULL;
    if (stale) {
        log_info("claim snapshot ignored: %s", stale);
        *use = 0;
    }
    if (rc == AB_OK && *use) {
        rc = load_delta(r, fd, file, at);
        if (rc == AB_E_PARSE || rc == AB_E_LIMIT) {
            log_info("claim snapshot ignored: %s", rc == AB_E_PARSE
                         ? "its index is damaged or truncated"
                         : "its table has no room for the new claims");
            *use = 0;
            rc = AB_OK;
        }
    }
    if (rc == AB_OK && !*use)
        rc = load_full(r);
    if (rc == AB_OK)
        rc = pgsink_exec(r->db, "COMMIT"); /* not pgsink_commit: no pre-commit step here */
    if (rc < 0)
        pgsink_rollback(r->db);
    return rc;
}

/* Snapshot and delta when a usable snapshot exists; else everything, and
 * then a new snapshot (also after a delta above 1/20 of the claims), if
 * the snapshot lock was free. */
static int load_with_snapshot(claimload *r)
{
    char dir[CLAIMSNAP_PATH_MAX], path[CLAIMSNAP_PATH_MAX], why[160];
    claimsnap_meta now, file, at;
    if (claimsnap_dir(r->o->state_dir, dir, sizeof dir) < 0) {
        log_info("claim snapshot: no state directory (--state-dir, ABGLEICH_STATE_DIR, HOME)");
        return load_full(r);
    }
    if (claimsnap_db_state(r->db, &now) < 0) {
        log_info("claim snapshot: no state in the database (%s); run abgleich init",
                 pgsink_error(r->db));
        return load_full(r);
    }
    if (claimsnap_path(dir, &now, path, sizeof path) < 0)
        return load_full(r);
    int fd = -1;
    const char *stale = snapshot_usable(path, &now, &file, &fd, why, sizeof why);
    if (stale)
        log_info("claim snapshot %s ignored: %s", path, stale);
    int use = !stale;
    int64_t behind = use ? (now.max_claim - file.max_claim) + (now.max_alloc - file.max_alloc) +
                               (now.max_event - file.max_event)
                         : 0;
    int want = !use || behind > file.claims / 20, locked = 0;
    int rc = want ? snap_lock(r, &locked) : AB_OK;
    if (rc == AB_OK)
        rc = load_consistent(r, fd, &file, &use, locked, &at);
    if (fd >= 0)
        close(fd);
    if (rc < 0 || !want)
        return rc;
    if (!locked) {
        log_info("claim snapshot not written: claims or the ledger are being written right now");
        return AB_OK;
    }
    if (use && r->snap_delta <= (int64_t)claimidx_count(r->ix) / 20)
        return AB_OK; /* fewer changes than the estimate said */
    /* The night goes on while a child writes the file; claimload_wait
     * reports it.  Without a child it was written here. */
    double t0 = monotime_s();
    int src = claimsnap_save_bg(path, &at, r->ix, r->bg);
    double ms = (monotime_s() - t0) * 1000;
    if (src < 0)
        log_warn("claim snapshot %s not written: %s", path, ab_strerror(src));
    else if (r->bg->pid)
        log_debug("claim snapshot: writer forked in %.0f ms", ms);
    else
        log_info("claim snapshot %s written: %zu claims in %.0f ms", path,
                 claimidx_count(r->ix), ms);
    return AB_OK;
}

void claimload_wait(claimsnap_bg *bg)
{
    if (bg->pid == 0)
        return;
    int64_t ms;
    int rc = claimsnap_wait(bg, &ms); /* leaves path and claims as they were */
    if (rc < 0)
        log_warn("claim snapshot %s not written: %s", bg->path, ab_strerror(rc));
    else
        log_info("claim snapshot %s written: %zu claims in %lld ms, beside the run", bg->path,
                 bg->claims, (long long)ms);
}

int claimload_run(pgsink *db, const cli_opts *o, claimidx **ix, claimsnap_bg *bg)
{
    double t0 = monotime_s();
    claimload_wait(bg); /* one writer at a time */
    claimload r = {.db = db, .o = o, .ix = *ix, .bg = bg};
    int rc = o->no_snapshot ? load_full(&r) : load_with_snapshot(&r);
    *ix = r.ix;
    if (rc == AB_OK)
        log_debug("loading the claims took %.0f ms", (monotime_s() - t0) * 1000);
    return rc;
}

