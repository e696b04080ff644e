/*
 * serve_job.c - one job of `abgleich serve`, on a worker thread.
 *
 * Input: a claimed job (file name relative to the inbox, attempt, owner)
 * and the worker slot's PostgreSQL connection.  Output: the outcome, the
 * summaries for the metrics, the file moved to KIND/done/ or KIND/failed/
 * beside a NAME.log of why.
 *
 * The same code as the commands runs the file: import_tickets_file (as
 * `import tickets`) or the reconciler (as `reconcile`, then the surplus
 * offset as after a reconcile run).  Exactly once: the job is marked done
 * by a pre-commit step inside the file's own transaction, and only while
 * this instance still owns the job at the attempt it claimed; the rows and
 * "done" commit together or not at all.  Every other end (already imported,
 * rejected, lease lost) is written after, guarded the same way.  When the
 * database goes away mid-file the transaction is lost whole, the file stays
 * in the inbox and the loop hands the job back (SO_RETRY).  The file is
 * moved only after its outcome is committed; if the process dies between
 * the two, the next owner finds a finished job with moved_at empty and only
 * moves the file.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../engine/log.h"
#include "../engine/pgsink.h"
#include "fines.h"
#include "invoices.h"
#include "serve.h"

#define PATH_CAP 4096

static const char mark_sql[] =
    "UPDATE abgleich.jobs SET state = $4, finished_at = now(), error = $5"
    " WHERE id = $1::bigint AND owner = $2 AND attempts = $3::int AND state = 'running'"
    " RETURNING id";

/* Marks the job finished (state done or failed) if we still own it at our
 * attempt.  AB_E_ABORT: we do not (lease_lost is set). */
static int mark(serve_job *j, pgsink *db, const char *state, const char *error)
{
    char id[24], att[16];
    snprintf(id, sizeof id, "%lld", (long long)j->id);
    snprintf(att, sizeof att, "%d", j->attempts);
    const char *params[] = {id, j->owner, att, state, error};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, mark_sql, 5, params, &res);
    if (rc < 0)
        return rc;
    if (pgsink_result_rows(res) != 1) {
        j->lease_lost = 1;
        rc = AB_E_ABORT;
    }
    pgsink_result_free(res);
    return rc;
}

/* The pre-commit step of the file's transaction (pgsink_set_precommit). */
static int mark_done_in_tx(pgsink *db, void *ctx)
{
    serve_job *j = ctx;
    int rc = mark(j, db, "done", NULL);
    if (rc == AB_OK)
        j->committed = 1;
    else if (rc == AB_E_ABORT)
        log_error("%s: job %lld was taken over by another instance; nothing stored here",
                  j->name, (long long)j->id);
    return rc;
}

static int run_tickets(serve_job *j, pgsink *db, const char *path)
{
    return import_tickets_file(db, j->o, path, &j->isum);
}

static int run_statements(serve_job *j, pgsink *db, const char *path)
{
    reconciler *r = NULL;
    int rc = reconciler_open(&r, db, j->o);
    if (rc == AB_OK)
        rc = reconciler_file(r, path, &j->rsum);
    reconciler_close(r);
    /* reconciler_open took the session lock that queues reconcile runs:
     * this connection lives on, so give it back. */
    if (pgsink_alive(db) &&
        pgsink_exec(db, "SELECT pg_advisory_unlock_all()") < 0)
        log_warn("cannot release the reconcile lock: %s", pgsink_error(db));
    int64_t offsets = 0, cents = 0;
    if ((rc == AB_OK || rc == AB_E_REJECTED) && j->committed &&
        fines_offset_surplus(db, &offsets, &cents) < 0)
        log_warn("surplus offset: %s (the next statement runs it again)", pgsink_error(db));
    return rc;
}

/* The system user owning the file: who dropped it into the inbox (the
 * operating system sets the owner; the file's content cannot). "" if
 * unknown. */
static void file_owner(const char *path, char *out, size_t n)
{
    struct stat st;
    struct passwd pw, *found = NULL;
    char buf[1024];
    out[0] = '\0';
    if (stat(path, &st) == 0 && getpwuid_r(st.st_uid, &pw, buf, sizeof buf, &found) == 0 && found)
        snprintf(out, n, "%s", found->pw_name);
}

/* Invoices: the same import as `import invoices` (jobs/invoices.c); a
 * rejected or duplicate document is archived and reported all the same.
 * The daemon's login imports; the file's owner handed it in and may not
 * approve it (four eyes, sql/043). */
static int run_invoices(serve_job *j, pgsink *db, const char *path)
{
    invoices_summary *s = &j->vsum;
    char owner[256];
    file_owner(path, owner, sizeof owner);
    int rc = invoices_import_file(db, path, owner[0] ? owner : NULL, s);
    return rc == AB_OK && (s->rejected || s->duplicates) ? AB_E_REJECTED : rc;
}

static int (*const runners[SK_COUNT])(serve_job *, pgsink *, const char *) = {
    run_tickets, run_statements, run_invoices};

/* The first error line the job logged, as the short reason. */
static void first_error(FILE *cap, char *why, size_t n)
{
    char line[AB_ERRMSG_MAX];
    rewind(cap);
    while (fgets(line, sizeof line, cap)) {
        if (strncmp(line, "error: ", 7))
            continue;
        line[strcspn(line, "\n")] = '\0';
        snprintf(why, n, "%s", line + 7);
        break;
    }
    fseek(cap, 0, SEEK_END);
}

static void summary(serve_job *j, char *why, size_t n)
{
    if (j->kind == SK_TICKETS)
        snprintf(why, n, "%lld claims imported, %lld rows rejected", (long long)j->isum.claims,
                 (long long)j->isum.rejected);
    else if (j->kind == SK_INVOICES)
        snprintf(why, n, "invoices: %lld accepted, %lld rejected, %lld already imported",
                 (long long)j->vsum.accepted, (long long)j->vsum.rejected,
                 (long long)j->vsum.duplicates);
    else
        snprintf(why, n, "%lld transactions, %lld allocated, %lld to clarify",
                 (long long)j->rsum.transactions, (long long)j->rsum.allocated,
                 (long long)j->rsum.clarified);
}

/* KIND/NAME -> KIND/SUB/NAME (NAME.ID when taken), and NAME.log beside it. */
static int move_file(serve_job *j, const char *sub, FILE *cap)
{
    char src[PATH_CAP], dst[PATH_CAP], logp[PATH_CAP + 8];
    const char *slash = strchr(j->name, '/');
    snprintf(src, sizeof src, "%s/%s", j->inbox, j->name);
    snprintf(dst, sizeof dst, "%s/%.*s/%s/%s", j->inbox, (int)(slash - j->name), j->name, sub,
             slash + 1);
    struct stat sb;
    if (stat(dst, &sb) == 0)
        snprintf(dst + strlen(dst), sizeof dst - strlen(dst), ".%lld", (long long)j->id);
    if (rename(src, dst) < 0) {
        log_error("%s: cannot move to %s: %s", j->name, sub, strerror(errno));
        return AB_E_IO;
    }
    snprintf(logp, sizeof logp, "%s.log", dst);
    FILE *f = fopen(logp, "w");
    if (!f) {
        log_warn("%s: cannot write %s: %s", j->name, logp, strerror(errno));
        return AB_OK;
    }
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "file: %s\njob: %lld, attempt %d, instance %s, %s\nresult: %s: %s\n", j->name,
            (long long)j->id, j->attempts, j->owner, ts, sub, j->why);
    if (cap) {
        fputs("log:\n", f);
        rewind(cap);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, cap)) > 0)
            fwrite(buf, 1, n, f);
    }
    if (fclose(f) != 0)
        log_warn("%s: cannot write %s", j->name, logp);
    return AB_OK;
}

static void set_moved(serve_job *j, pgsink *db)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)j->id);
    const char *params[] = {id, j->owner};
    if (pgsink_query(db, "UPDATE abgleich.jobs SET moved_at = now()"
                         " WHERE id = $1::bigint AND owner = $2", 2, params, NULL) < 0)
        log_warn("%s: moved, but the queue does not know yet (%s); the next owner will see",
                 j->name, pgsink_error(db));
}

static int connect_slot(serve_job *j)
{
    if (*j->db && pgsink_alive(*j->db))
        return AB_OK;
    pgsink_close(*j->db);
    *j->db = NULL;
    int rc = pgsink_connect(j->db, j->o->db);
    if (rc < 0) {
        snprintf(j->why, sizeof j->why, "database: %s", pgsink_error(*j->db));
        pgsink_close(*j->db);
        *j->db = NULL;
    }
    return rc;
}

/* A finished job whose file an earlier owner did not move: move it. */
static void move_only(serve_job *j)
{
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/%s", j->inbox, j->name);
    snprintf(j->why, sizeof j->why, "%s (finished by an earlier owner)",
             j->prev_error[0] ? j->prev_error : "stored");
    j->outcome = SO_MOVED;
    if (access(path, F_OK) == 0 &&
        move_file(j, !strcmp(j->state, "failed") ? "failed" : "done", NULL) < 0)
        return;
    set_moved(j, *j->db);
}

/* The file's transaction and what follows from its end. */
static void process(serve_job *j, FILE *cap)
{
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/%s", j->inbox, j->name);
    pgsink *db = *j->db;
    if (access(path, F_OK) < 0) {
        snprintf(j->why, sizeof j->why, "the file left the inbox before it was processed");
        int rc = mark(j, db, "failed", j->why);
        j->outcome = rc == AB_OK ? SO_MOVED : rc == AB_E_ABORT ? SO_LOST : SO_RETRY;
        if (j->outcome == SO_MOVED)
            set_moved(j, db);
        return;
    }
    pgsink_set_precommit(db, mark_done_in_tx, j);
    int rc = runners[j->kind](j, db, path);
    pgsink_set_precommit(db, NULL, NULL);
    if (j->committed && (rc == AB_OK || rc == AB_E_REJECTED)) {
        j->outcome = SO_DONE;
        summary(j, j->why, sizeof j->why);
    } else if (j->lease_lost) {
        j->outcome = SO_LOST;
        snprintf(j->why, sizeof j->why, "taken over by another instance");
        return;
    } else if (!pgsink_alive(db)) {
        j->outcome = SO_RETRY;
        snprintf(j->why, sizeof j->why, "database: %s", pgsink_error(db));
        return;
    } else if (rc == AB_OK) {
        j->outcome = SO_SKIPPED;
        snprintf(j->why, sizeof j->why, "already imported; nothing changed");
    } else {
        j->outcome = SO_FAILED;
        snprintf(j->why, sizeof j->why, "nothing stored: %s", ab_strerror(rc));
        first_error(cap, j->why, sizeof j->why);
    }
    if (j->outcome != SO_DONE) {
        rc = mark(j, db, j->outcome == SO_FAILED ? "failed" : "done", j->why);
        if (rc < 0) {
            j->outcome = rc == AB_E_ABORT ? SO_LOST : SO_RETRY;
            return;
        }
    }
    if (move_file(j, j->outcome == SO_FAILED ? "failed" : "done", cap) == AB_OK)
        set_moved(j, db);
}

void serve_job_run(serve_job *j)
{
    j->committed = j->lease_lost = 0;
    j->why[0] = '\0';
    if (connect_slot(j) < 0) {
        j->outcome = SO_RETRY;
        return;
    }
    if (strcmp(j->state, "running")) {
        move_only(j);
        return;
    }
    FILE *cap = tmpfile();
    log_capture(cap);
    process(j, cap);
    log_capture(NULL);
    if (cap)
        fclose(cap);
    if (j->outcome == SO_RETRY || !pgsink_alive(*j->db)) {
        pgsink_close(*j->db); /* reconnect for the next job */
        *j->db = NULL;
    }
}
