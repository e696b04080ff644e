/*
 * serve.c - `abgleich serve`: the engine running unattended.
 *
 * Watches INBOX/tickets/, INBOX/statements/ and INBOX/invoices/ (fs events
 * plus a periodic scan) and processes each file that arrives exactly once,
 * with the same code as `import tickets` and `reconcile`; moves it to
 * INBOX/done/ or INBOX/failed/ with NAME.log beside it saying why.
 *
 * The loop (libuv) owns the control path: scanning, the job queue in
 * PostgreSQL (sql/012_jobs.sql) over a non-blocking connection
 * (engine/pgloop), leases, signals.  A file's work runs on libuv's thread
 * pool with a blocking connection of its own, one transaction per file as
 * everywhere, so the loop never waits for a job or for the database.
 *
 * Exactly once, across instances and crashes:
 *   - a file is taken when complete: its size and mtime unchanged for
 *     stable_ms (a writer that renames its file in is complete at once);
 *   - every instance that sees it inserts (kind, name, size, mtime); the
 *     unique key leaves one job row;
 *   - an instance claims queued jobs FOR UPDATE SKIP LOCKED, with a lease
 *     it renews while the job runs; a job whose lease ran out is claimable
 *     again (its instance died or lost the database);
 *   - the job's data commits in the file's own transaction; a job run a
 *     second time after a takeover finds the content imported and changes
 *     nothing (input_files.content_hash);
 *   - the job row is marked done or failed, then the file is moved; a file
 *     still in the inbox whose job is finished is moved by the next scan.
 * A job that loses the database is put back in the queue; one whose lease
 * ran out max_attempts times is given up (failed).
 *
 * Signals: SIGTERM and SIGINT finish the files in hand, then exit 0;
 * SIGHUP reloads the configuration file (inbox, listen and database need a
 * restart).  Memory: fixed tables (AB_INBOX_SCAN_MAX files per kind,
 * AB_SERVE_MAX_PARALLEL jobs), whatever the inbox holds.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "../engine/config.h"
#include "../engine/httpd.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/metrics.h"
#include "../engine/pgloop.h"
#include "../engine/pgsink.h"
#include "cli.h"
#include "fines.h"
#include "import.h"
#include "reconcile.h"

#define NAME_CAP 256

static const char *const kind_dir[MK_COUNT] = {"tickets", "statements", "invoices"};

typedef struct seen {
    char name[NAME_CAP];
    int64_t size, mtime_ns, since_ms;
} seen;

enum job_phase { JP_FREE, JP_RUNNING, JP_REPORTING };

typedef struct serve serve;

typedef struct job {
    serve *s;
    uv_work_t work;
    enum job_phase phase;
    int64_t id;
    enum metric_kind kind;
    char name[NAME_CAP];
    int64_t t0_ms;
    /* Results, written by the worker, read by the loop after it. */
    int lost_db, ok, found_moved;
    char outcome[AB_ERRMSG_MAX];
    char logpath[PATH_MAX];
    import_summary isum;
    rec_summary rsum;
} job;

struct serve {
    uv_loop_t *loop;
    serve_cfg cfg;
    const char *cfg_path;
    cli_opts opts;
    pgloop *pl;
    metrics *m;
    httpd *http;
    uv_timer_t tick, lease;
    uv_fs_event_t ev[MK_COUNT];
    uv_signal_t sig[3];
    seen seen[MK_COUNT][AB_INBOX_SCAN_MAX];
    unsigned nseen[MK_COUNT];
    job jobs[AB_SERVE_MAX_PARALLEL];
    int busy;            /* a scan's queries are in flight */
    int stopping;
    char idbuf[24];
};

static void tick(uv_timer_t *t);
static void maybe_exit(serve *s);

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int running_jobs(const serve *s)
{
    int n = 0;
    for (unsigned i = 0; i < AB_SERVE_MAX_PARALLEL; i++)
        n += s->jobs[i].phase != JP_FREE;
    return n;
}

static int job_local(const serve *s, enum metric_kind k, const char *name)
{
    for (unsigned i = 0; i < AB_SERVE_MAX_PARALLEL; i++)
        if (s->jobs[i].phase != JP_FREE && s->jobs[i].kind == k &&
            !strcmp(s->jobs[i].name, name))
            return 1;
    return 0;
}

/* ---- moving finished files ---------------------------------------- */

/* INBOX/done/NAME, or NAME.ID when a file of that name is there already. */
static void move_out(serve *s, enum metric_kind k, const char *name, int64_t id, int ok,
                     const char *logpath)
{
    char from[PATH_MAX], to[PATH_MAX], log_to[PATH_MAX + 8];
    const char *where = ok ? "done" : "failed";
    snprintf(from, sizeof from, "%s/%s/%s", s->cfg.inbox, kind_dir[k], name);
    snprintf(to, sizeof to, "%s/%s/%s", s->cfg.inbox, where, name);
    if (access(to, F_OK) == 0)
        snprintf(to, sizeof to, "%s/%s/%s.%lld", s->cfg.inbox, where, name, (long long)id);
    if (rename(from, to) != 0 && errno != ENOENT)
        log_error("%s: cannot move to %s/: %s", from, where, strerror(errno));
    snprintf(log_to, sizeof log_to, "%s.log", to);
    if (logpath && *logpath && rename(logpath, log_to) != 0)
        log_warn("%s: cannot keep the job's log: %s", log_to, strerror(errno));
}

/* ---- the work of one file (thread pool) ---------------------------- */

static void job_tickets(job *j, pgsink *db, const char *path)
{
    int rc = import_tickets_file(db, &j->s->opts, path, &j->isum);
    if (rc == AB_E_DB && pgsink_lost(db)) {
        j->lost_db = 1;
        return;
    }
    j->ok = j->isum.files_imported + j->isum.files_skipped > 0;
    if (j->isum.files_skipped)
        snprintf(j->outcome, sizeof j->outcome, "already imported; nothing changed");
    else if (j->ok)
        snprintf(j->outcome, sizeof j->outcome, "%lld claims imported, %lld rows rejected",
                 (long long)j->isum.claims, (long long)j->isum.rejected);
    else
        snprintf(j->outcome, sizeof j->outcome, "rejected, nothing stored (%s)", ab_strerror(rc));
}

static void job_statements(job *j, pgsink *db, const char *path)
{
    reconciler *r = NULL;
    int rc = reconciler_open(&r, db, &j->s->opts);
    if (rc == AB_OK)
        rc = reconciler_file(r, path, &j->rsum);
    reconciler_close(r);
    int64_t offsets = 0, cents = 0;
    if (rc == AB_OK && j->rsum.files_reconciled)
        rc = fines_offset_surplus(db, &offsets, &cents);
    if (rc == AB_E_DB && pgsink_lost(db)) {
        j->lost_db = 1;
        return;
    }
    rec_summary *t = &j->rsum;
    j->ok = rc == AB_OK && t->files_reconciled + t->files_skipped > 0;
    if (t->files_skipped)
        snprintf(j->outcome, sizeof j->outcome, "already reconciled; nothing changed");
    else if (j->ok)
        snprintf(j->outcome, sizeof j->outcome,
                 "%lld transactions, %lld allocated, %lld to clarify, %lld reversed",
                 (long long)t->transactions, (long long)t->allocated, (long long)t->clarified,
                 (long long)t->reversed);
    else
        snprintf(j->outcome, sizeof j->outcome, "rejected, nothing stored (%s)", ab_strerror(rc));
}

/* The file is gone from the inbox: an instance moved it and died before it
 * could mark the job. */
static int job_already_moved(job *j)
{
    char p[PATH_MAX];
    for (int ok = 1; ok >= 0; ok--) {
        snprintf(p, sizeof p, "%s/%s/%s", j->s->cfg.inbox, ok ? "done" : "failed", j->name);
        if (access(p, F_OK) == 0) {
            j->ok = ok;
            j->found_moved = 1;
            snprintf(j->outcome, sizeof j->outcome, "found in %s/ after a restart",
                     ok ? "done" : "failed");
            return 1;
        }
    }
    return 0;
}

static void job_work(uv_work_t *w)
{
    job *j = w->data;
    serve *s = j->s;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/%s", s->cfg.inbox, kind_dir[j->kind], j->name);
    if (access(path, F_OK) != 0) {
        if (!job_already_moved(j))
            snprintf(j->outcome, sizeof j->outcome, "the file vanished from the inbox");
        return;
    }
    snprintf(j->logpath, sizeof j->logpath, "%s/.work/%lld-%s.log", s->cfg.inbox,
             (long long)j->id, s->idbuf);
    FILE *lf = fopen(j->logpath, "w");
    if (lf) {
        setvbuf(lf, NULL, _IOLBF, 0);
        log_copy_to(lf);
    }
    log_info("%s: job %lld (attempt on %s)", path, (long long)j->id, s->cfg.instance);
    pgsink *db = NULL;
    if (pgsink_connect(&db, s->cfg.conninfo[0] ? s->cfg.conninfo : NULL) < 0) {
        log_warn("%s: database: %s; the file waits", path, pgsink_error(db));
        j->lost_db = 1;
    } else if (j->kind == MK_TICKETS) {
        job_tickets(j, db, path);
    } else if (j->kind == MK_STATEMENTS) {
        job_statements(j, db, path);
    } else {
        snprintf(j->outcome, sizeof j->outcome, "invoice import is not part of this build");
    }
    pgsink_close(db);
    if (!j->lost_db)
        log_info("%s: %s", path, j->outcome);
    log_copy_to(NULL);
    if (lf)
        fclose(lf);
}

/* ---- reporting a job's end ------------------------------------------ */

static void job_release(job *j)
{
    serve *s = j->s;
    j->phase = JP_FREE;
    metrics_gauge(s->m, MG_RUNNING, running_jobs(s));
    maybe_exit(s);
}

static void on_marked(void *arg, const PGresult *res, const char *err)
{
    job *j = arg;
    if (err) {
        log_warn("job %lld: cannot record its end yet (%s); will retry", (long long)j->id, err);
        return; /* still JP_REPORTING: the next tick tries again */
    }
    if (PQntuples(res) == 1 && !j->found_moved)
        move_out(j->s, j->kind, j->name, j->id, j->ok, j->logpath);
    else if (j->logpath[0])
        unlink(j->logpath); /* another instance took the job over meanwhile */
    job_release(j);
}

static void job_mark(job *j)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)j->id);
    const char *params[] = {id, j->ok ? "done" : "failed", j->outcome, j->s->cfg.instance};
    if (pgloop_query(j->s->pl,
                     "UPDATE abgleich.jobs SET state = $2, outcome = $3, finished_at = now(),"
                     " lease_until = NULL WHERE id = $1::bigint AND owner = $4"
                     " AND state = 'running' RETURNING id",
                     4, params, on_marked, j) < 0)
        log_warn("job %lld: control queue full; will retry", (long long)j->id);
}

static void on_requeued(void *arg, const PGresult *res, const char *err)
{
    job_release(arg); /* if this failed, the lease runs out and frees the job */
}

static void count_results(serve *s, job *j)
{
    metrics_job(s->m, j->kind, j->ok ? MO_DONE : MO_FAILED, now_ms() - j->t0_ms);
    metrics_add(s->m, MC_CLAIMS, j->isum.claims);
    metrics_add(s->m, MC_REJECTED, j->isum.rejected);
    metrics_add(s->m, MC_TRANSACTIONS, j->rsum.transactions);
    metrics_add(s->m, MC_ALLOCATIONS, j->rsum.allocated);
    metrics_add(s->m, MC_REVERSALS, j->rsum.reversed);
    for (int r = 0; r < MR_COUNT; r++)
        if (j->rsum.by_reason[r])
            metrics_clarified(s->m, (enum match_reason)r, j->rsum.by_reason[r]);
}

static void job_after(uv_work_t *w, int status)
{
    job *j = w->data;
    serve *s = j->s;
    if (!j->lost_db) {
        count_results(s, j);
        j->phase = JP_REPORTING;
        job_mark(j);
        return;
    }
    metrics_job(s->m, j->kind, MO_RETRIED, now_ms() - j->t0_ms);
    if (j->logpath[0])
        unlink(j->logpath);
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)j->id);
    const char *params[] = {id, s->cfg.instance};
    if (pgloop_query(s->pl,
                     "UPDATE abgleich.jobs SET state = 'queued', owner = NULL, lease_until = NULL,"
                     " attempts = attempts - 1 WHERE id = $1::bigint AND owner = $2"
                     " AND state = 'running'",
                     2, params, on_requeued, j) < 0)
        job_release(j);
}

static void job_start(serve *s, int64_t id, const char *kind, const char *name)
{
    job *j = NULL;
    for (unsigned i = 0; i < AB_SERVE_MAX_PARALLEL && !j; i++)
        if (s->jobs[i].phase == JP_FREE)
            j = &s->jobs[i];
    assert(j); /* the claim asked for free slots only */
    memset(j, 0, sizeof *j);
    j->s = s;
    j->id = id;
    j->kind = !strcmp(kind, "tickets") ? MK_TICKETS
              : !strcmp(kind, "statements") ? MK_STATEMENTS : MK_INVOICES;
    snprintf(j->name, sizeof j->name, "%s", name);
    j->t0_ms = now_ms();
    j->phase = JP_RUNNING;
    j->work.data = j;
    if (uv_queue_work(s->loop, &j->work, job_work, job_after) != 0) {
        j->lost_db = 1;
        job_after(&j->work, 0);
    }
    metrics_gauge(s->m, MG_RUNNING, running_jobs(s));
}

/* ---- scanning the inbox --------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const seen *)a)->name, ((const seen *)b)->name);
}

static int skip_name(const char *n)
{
    size_t len = strlen(n);
    if (n[0] == '.' || len >= NAME_CAP)
        return 1; /* hidden (and our .work), or a name we cannot queue */
    static const char *const partial[] = {".part", ".tmp", ".filepart", "~"};
    for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++) {
        size_t pl = strlen(partial[i]);
        if (len >= pl && !strcmp(n + len - pl, partial[i]))
            return 1; /* still being written, by convention */
    }
    return 0;
}

/* Lists one kind's folder into s->seen[k], keeping since_ms of files that
 * did not change since the last scan. */
static void scan_kind(serve *s, enum metric_kind k, int64_t now, seen *next)
{
    char dir[PATH_MAX], p[PATH_MAX + NAME_CAP];
    snprintf(dir, sizeof dir, "%s/%s", s->cfg.inbox, kind_dir[k]);
    DIR *d = opendir(dir);
    unsigned n = 0;
    struct dirent *e;
    while (d && n < AB_INBOX_SCAN_MAX && (e = readdir(d))) {
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (skip_name(e->d_name) || stat(p, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        seen *x = &next[n++];
        snprintf(x->name, sizeof x->name, "%s", e->d_name);
        x->size = st.st_size;
        x->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        x->since_ms = now;
        seen *old = bsearch(x, s->seen[k], s->nseen[k], sizeof *x, by_name);
        if (old && old->size == x->size && old->mtime_ns == x->mtime_ns)
            x->since_ms = old->since_ms;
    }
    if (d)
        closedir(d);
    qsort(next, n, sizeof *next, by_name);
    memcpy(s->seen[k], next, n * sizeof *next);
    s->nseen[k] = n;
}

/* Four PostgreSQL array literals (kinds, names, sizes, mtimes) of the
 * complete files of one scan: the parameters of one enqueue statement. */
typedef struct arrays {
    char *a[4];
    size_t len[4], cap;
    unsigned n;
} arrays;

static void arr_add(arrays *ar, int i, const char *v)
{
    char *b = ar->a[i];
    size_t at = ar->len[i];
    assert(at + 2 * strlen(v) + 4 < ar->cap); /* sized for AB_INBOX_SCAN_MAX names */
    b[at++] = ar->n ? ',' : '{';
    b[at++] = '"';
    for (const char *c = v; *c; c++) {
        if (*c == '"' || *c == '\\')
            b[at++] = '\\';
        b[at++] = *c;
    }
    b[at++] = '"';
    ar->len[i] = at;
}

static void on_depth(void *arg, const PGresult *res, const char *err)
{
    serve *s = arg;
    if (!err && PQntuples(res) == 1)
        metrics_gauge(s->m, MG_QUEUE, strtoll(PQgetvalue(res, 0, 0), NULL, 10));
    s->busy = 0;
}

static void on_claimed(void *arg, const PGresult *res, const char *err)
{
    serve *s = arg;
    if (err)
        log_warn("job queue: %s", err);
    for (int i = 0; !err && res && i < PQntuples(res); i++)
        job_start(s, strtoll(PQgetvalue(res, i, 0), NULL, 10), PQgetvalue(res, i, 1),
                  PQgetvalue(res, i, 2));
    if (pgloop_query(s->pl, "SELECT count(*) FROM abgleich.jobs WHERE state = 'queued'", 0, NULL,
                     on_depth, s) < 0)
        s->busy = 0;
}

static void claim(serve *s)
{
    int free_slots = s->cfg.parallel_jobs - running_jobs(s);
    if (free_slots <= 0 || s->stopping) {
        on_claimed(s, NULL, NULL);
        return;
    }
    char lease[16], limit[16], maxa[16];
    snprintf(lease, sizeof lease, "%d", s->cfg.lease_seconds);
    snprintf(limit, sizeof limit, "%d", free_slots);
    snprintf(maxa, sizeof maxa, "%d", s->cfg.max_attempts);
    const char *params[] = {s->cfg.instance, lease, limit, maxa};
    static const char sql[] =
        "WITH gone AS (UPDATE abgleich.jobs SET state = 'failed', finished_at = now(),"
        "   lease_until = NULL, outcome = 'given up after ' || attempts || ' attempts'"
        "   || ' (the instance working on it stopped each time)'"
        "   WHERE state = 'running' AND lease_until < now() AND attempts >= $4::int)"
        " UPDATE abgleich.jobs j SET state = 'running', owner = $1, attempts = j.attempts + 1,"
        "   lease_until = now() + make_interval(secs => $2::int), started_at = now()"
        " WHERE j.id IN (SELECT id FROM abgleich.jobs WHERE state = 'queued'"
        "   OR (state = 'running' AND lease_until < now() AND attempts < $4::int)"
        "   ORDER BY id LIMIT $3::int FOR UPDATE SKIP LOCKED)"
        " RETURNING j.id, j.kind, j.name";
    if (pgloop_query(s->pl, sql, 4, params, on_claimed, s) < 0)
        s->busy = 0;
}

/* Files whose job is finished but which are still in the inbox: their
 * instance stopped between marking the job and moving the file. */
static void on_enqueued(void *arg, const PGresult *res, const char *err)
{
    serve *s = arg;
    if (err) {
        log_warn("job queue: %s", err);
        s->busy = 0;
        return;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        const char *kind = PQgetvalue(res, i, 1), *name = PQgetvalue(res, i, 2);
        enum metric_kind k = !strcmp(kind, "tickets") ? MK_TICKETS
                             : !strcmp(kind, "statements") ? MK_STATEMENTS : MK_INVOICES;
        if (!job_local(s, k, name))
            move_out(s, k, name, strtoll(PQgetvalue(res, i, 0), NULL, 10),
                     !strcmp(PQgetvalue(res, i, 3), "t"), NULL);
    }
    claim(s);
}

static void enqueue(serve *s, arrays *ar)
{
    for (int i = 0; i < 4; i++) {
        ar->a[i][ar->len[i]++] = '}';
        ar->a[i][ar->len[i]] = '\0';
    }
    static const char sql[] =
        "WITH f AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])"
        "   AS f(kind, name, size_bytes, mtime)),"
        " ins AS (INSERT INTO abgleich.jobs (kind, name, size_bytes, mtime)"
        "   SELECT kind, name, size_bytes, mtime FROM f WHERE NOT EXISTS (SELECT 1"
        "     FROM abgleich.jobs j WHERE (j.kind, j.name, j.size_bytes, j.mtime)"
        "       = (f.kind, f.name, f.size_bytes, f.mtime))"
        "   ON CONFLICT DO NOTHING)"
        " SELECT j.id, j.kind, j.name, j.state = 'done' FROM abgleich.jobs j"
        " JOIN f USING (kind, name, size_bytes, mtime)"
        " WHERE j.state IN ('done', 'failed') AND j.finished_at < now() - interval '10 seconds'";
    const char *params[] = {ar->a[0], ar->a[1], ar->a[2], ar->a[3]};
    if (pgloop_query(s->pl, sql, 4, params, on_enqueued, s) < 0)
        s->busy = 0;
}

/* ---- the tick: scan, enqueue, claim ---------------------------------- */

static void retry_reports(serve *s)
{
    for (unsigned i = 0; i < AB_SERVE_MAX_PARALLEL; i++) {
        job *j = &s->jobs[i];
        if (j->phase != JP_REPORTING || pgloop_pending(s->pl) > AB_PGLOOP_QUEUE / 2)
            continue;
        if (s->stopping && !pgloop_up(s->pl) && now_ms() - j->t0_ms > 30000) {
            log_warn("job %lld: database still gone; leaving it to the lease", (long long)j->id);
            job_release(j);
            continue;
        }
        job_mark(j);
    }
}

static void scan_and_claim(serve *s, arrays *ar)
{
    static seen next[AB_INBOX_SCAN_MAX];
    int64_t now = now_ms();
    char size[24], mtime[24];
    for (int k = 0; k < MK_COUNT; k++) {
        scan_kind(s, (enum metric_kind)k, now, next);
        for (unsigned i = 0; i < s->nseen[k]; i++) {
            seen *x = &s->seen[k][i];
            if (now - x->since_ms < s->cfg.stable_ms || job_local(s, k, x->name))
                continue;
            snprintf(size, sizeof size, "%lld", (long long)x->size);
            snprintf(mtime, sizeof mtime, "%lld", (long long)(x->mtime_ns / 1000000000));
            arr_add(ar, 0, kind_dir[k]);
            arr_add(ar, 1, x->name);
            arr_add(ar, 2, size);
            arr_add(ar, 3, mtime);
            ar->n++;
        }
    }
    if (ar->n)
        enqueue(s, ar);
    else
        claim(s);
}

static arrays scan_arrays;

static void tick(uv_timer_t *t)
{
    serve *s = t->data;
    retry_reports(s);
    if (s->stopping) {
        maybe_exit(s);
        return;
    }
    if (s->busy || !pgloop_up(s->pl))
        return;
    s->busy = 1;
    arrays *ar = &scan_arrays;
    ar->n = 0;
    for (int i = 0; i < 4; i++)
        ar->len[i] = 0;
    scan_and_claim(s, ar);
}

static void on_fs_event(uv_fs_event_t *h, const char *name, int events, int status)
{
    serve *s = h->data;
    if (!s->stopping && s->cfg.stable_ms == 0)
        uv_timer_start(&s->tick, tick, 20, (uint64_t)s->cfg.scan_interval_ms);
    else if (!s->stopping)
        uv_timer_start(&s->tick, tick, (uint64_t)s->cfg.stable_ms + 20,
                       (uint64_t)s->cfg.scan_interval_ms);
}

static void on_lease(uv_timer_t *t)
{
    serve *s = t->data;
    if (!running_jobs(s) || !pgloop_up(s->pl))
        return;
    char lease[16];
    snprintf(lease, sizeof lease, "%d", s->cfg.lease_seconds);
    const char *params[] = {s->cfg.instance, lease};
    int rc = pgloop_query(s->pl,
                          "UPDATE abgleich.jobs SET lease_until = now() + make_interval(secs =>"
                          " $2::int) WHERE owner = $1 AND state = 'running'",
                          2, params, NULL, NULL);
    if (rc < 0)
        log_warn("lease renewal: control queue full");
}

static void on_db_state(void *arg, bool up)
{
    serve *s = arg;
    metrics_gauge(s->m, MG_DB_UP, up);
    if (!up)
        metrics_add(s->m, MC_DB_LOST, 1);
}

/* ---- signals and the end --------------------------------------------- */

static void close_all(serve *s)
{
    uv_timer_stop(&s->tick);
    uv_timer_stop(&s->lease);
    uv_close((uv_handle_t *)&s->tick, NULL);
    uv_close((uv_handle_t *)&s->lease, NULL);
    for (int k = 0; k < MK_COUNT; k++)
        if (!uv_is_closing((uv_handle_t *)&s->ev[k]))
            uv_close((uv_handle_t *)&s->ev[k], NULL);
    for (int i = 0; i < 3; i++)
        uv_close((uv_handle_t *)&s->sig[i], NULL);
    httpd_stop(s->http);
    s->http = NULL;
    pgloop_close(s->pl);
    s->pl = NULL;
}

static void maybe_exit(serve *s)
{
    if (s->stopping == 1 && running_jobs(s) == 0) {
        s->stopping = 2;
        log_info("serve: stopped");
        close_all(s);
    }
}

static void reload(serve *s)
{
    serve_cfg c = s->cfg;
    char err[AB_ERRMSG_MAX];
    if (!s->cfg_path || config_load(&c, s->cfg_path, err, sizeof err) < 0) {
        log_error("SIGHUP: %s; the configuration stays as it was",
                  s->cfg_path ? err : "no --config file to reload");
        return;
    }
    if (strcmp(c.inbox, s->cfg.inbox) || strcmp(c.listen, s->cfg.listen) ||
        strcmp(c.conninfo, s->cfg.conninfo))
        log_warn("SIGHUP: inbox, listen and conninfo take effect at the next start");
    snprintf(c.inbox, sizeof c.inbox, "%s", s->cfg.inbox);
    snprintf(c.listen, sizeof c.listen, "%s", s->cfg.listen);
    snprintf(c.conninfo, sizeof c.conninfo, "%s", s->cfg.conninfo);
    snprintf(c.instance, sizeof c.instance, "%s", s->cfg.instance);
    s->cfg = c;
    s->opts.threads = c.threads;
    s->opts.lang = s->cfg.lang;
    s->opts.scheme = c.scheme;
    log_set_format(!strcmp(c.log_format, "json") ? LOG_JSON : LOG_PLAIN);
    uv_timer_start(&s->tick, tick, 0, (uint64_t)c.scan_interval_ms);
    log_info("SIGHUP: configuration reloaded from %s", s->cfg_path);
}

static void on_signal(uv_signal_t *h, int signum)
{
    serve *s = h->data;
    if (signum == SIGHUP) {
        reload(s);
        return;
    }
    if (s->stopping) {
        log_info("serve: already stopping (%d files in hand)", running_jobs(s));
        return;
    }
    s->stopping = 1;
    for (int k = 0; k < MK_COUNT; k++)
        uv_fs_event_stop(&s->ev[k]);
    log_info("serve: %s: finishing %d files in hand, then stopping",
             signum == SIGTERM ? "SIGTERM" : "SIGINT", running_jobs(s));
    uv_timer_start(&s->tick, tick, 0, 200);
}

/* ---- setting up ------------------------------------------------------ */

static int make_dirs(const serve_cfg *c)
{
    static const char *const sub[] = {"", "/tickets", "/statements", "/invoices",
                                      "/done", "/failed", "/.work"};
    char p[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        snprintf(p, sizeof p, "%s%s", c->inbox, sub[i]);
        if (mkdir(p, 0750) != 0 && errno != EEXIST) {
            log_error("%s: cannot create: %s", p, strerror(errno));
            return AB_E_IO;
        }
    }
    return AB_OK;
}

/* The schema must be there before the queue is; at start, blocking is fine. */
static void migrate_once(const serve_cfg *c)
{
    pgsink *db = NULL;
    int applied = 0;
    if (pgsink_connect(&db, c->conninfo[0] ? c->conninfo : NULL) < 0)
        log_warn("database: %s; serving anyway, the queue waits for it", pgsink_error(db));
    else if (pgsink_migrate(db, &applied) < 0)
        log_error("database: cannot bring the schema up to date: %s", pgsink_error(db));
    else if (applied)
        log_info("database: %d migrations applied", applied);
    pgsink_close(db);
}

static int start_loop(serve *s)
{
    s->loop = uv_default_loop();
    int rc = metrics_new(&s->m);
    if (rc == AB_OK)
        rc = pgloop_open(&s->pl, s->loop, s->cfg.conninfo, on_db_state, s);
    if (rc == AB_OK && s->cfg.listen[0] && strcmp(s->cfg.listen, "none"))
        rc = httpd_start(&s->http, s->cfg.listen, s->cfg.conninfo, s->m);
    if (rc < 0)
        return rc;
    uv_timer_init(s->loop, &s->tick);
    uv_timer_init(s->loop, &s->lease);
    s->tick.data = s->lease.data = s;
    uv_timer_start(&s->tick, tick, 0, (uint64_t)s->cfg.scan_interval_ms);
    uint64_t renew = (uint64_t)s->cfg.lease_seconds * 1000 / 3;
    uv_timer_start(&s->lease, on_lease, renew, renew);
    for (int k = 0; k < MK_COUNT; k++) {
        char dir[PATH_MAX + 16];
        snprintf(dir, sizeof dir, "%s/%s", s->cfg.inbox, kind_dir[k]);
        uv_fs_event_init(s->loop, &s->ev[k]);
        s->ev[k].data = s;
        if (uv_fs_event_start(&s->ev[k], on_fs_event, dir, 0) != 0)
            log_warn("%s: no fs events; the periodic scan finds the files", dir);
    }
    static const int signums[] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(s->loop, &s->sig[i]);
        s->sig[i].data = s;
        uv_signal_start(&s->sig[i], on_signal, signums[i]);
    }
    log_info("serve: instance %s watching %s/{tickets,statements,invoices}", s->cfg.instance,
             s->cfg.inbox);
    uv_run(s->loop, UV_RUN_DEFAULT);
    return AB_OK;
}

static const char serve_usage[] =
    "usage: abgleich serve [--config FILE] [--inbox DIR] [--listen ADDR:PORT|none]\n"
    "                      [--instance NAME] [--lease-seconds N] [--scan-interval-ms N]\n"
    "                      [--stable-ms N] [--parallel-jobs N] [--max-attempts N]\n"
    "       abgleich serve --check-config [--config FILE] [options]\n";

/* Flags are the [serve] keys with dashes: --lease-seconds N. */
static int parse_flags(serve *s, int argc, char **argv, int *check)
{
    char err[AB_ERRMSG_MAX];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--check-config")) {
            *check = 1;
            continue;
        }
        if (strncmp(argv[i], "--", 2) || i + 1 >= argc) {
            fputs(serve_usage, stderr);
            return AB_E_USAGE;
        }
        if (!strcmp(argv[i], "--config")) {
            s->cfg_path = argv[++i];
            if (config_load(&s->cfg, s->cfg_path, err, sizeof err) < 0)
                goto bad;
            continue;
        }
        char key[64];
        snprintf(key, sizeof key, "%s", argv[i] + 2);
        for (char *c = key; *c; c++)
            *c = *c == '-' ? '_' : *c;
        if (config_set(&s->cfg, "serve", key, argv[++i], err, sizeof err) < 0)
            goto bad;
    }
    return AB_OK;
bad:
    fprintf(stderr, "abgleich serve: %s\n", err);
    return AB_E_USAGE;
}

static int check_config(const serve_cfg *c)
{
    struct stat st;
    if (!c->inbox[0]) {
        fprintf(stderr, "abgleich serve: serve.inbox: not set (--inbox DIR or the file)\n");
        return AB_E_USAGE;
    }
    if (stat(c->inbox, &st) == 0 && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "abgleich serve: serve.inbox: %s is not a directory\n", c->inbox);
        return AB_E_USAGE;
    }
    if (c->listen[0] && strcmp(c->listen, "none") && !strchr(c->listen, ':')) {
        fprintf(stderr, "abgleich serve: serve.listen: %s is not ADDR:PORT\n", c->listen);
        return AB_E_USAGE;
    }
    return AB_OK;
}

int job_serve(const cli_opts *o, int argc, char **argv)
{
    static serve s; /* one per process: signal handlers and the loop point at it */
    int check = 0;
    config_defaults(&s.cfg);
    if (o->db)
        snprintf(s.cfg.conninfo, sizeof s.cfg.conninfo, "%s", o->db);
    int rc = parse_flags(&s, argc, argv, &check);
    if (rc == AB_OK)
        rc = check_config(&s.cfg);
    if (rc < 0 || check) {
        if (rc == AB_OK)
            config_print(&s.cfg, stdout);
        return rc;
    }
    s.opts = *o;
    s.opts.quiet = true;
    s.opts.json = false;
    if (o->threads == 0)
        s.opts.threads = s.cfg.threads;
    if (!strcmp(s.cfg.log_format, "json"))
        log_set_format(LOG_JSON);
    if (s.cfg.log_pii)
        log_set_pii(1);
    snprintf(s.idbuf, sizeof s.idbuf, "%ld", (long)getpid());
    for (int i = 0; i < 4; i++)
        if (!(scan_arrays.a[i] = mem_alloc(MK_COUNT * AB_INBOX_SCAN_MAX * (2 * NAME_CAP + 4))))
            return AB_E_NOMEM;
    scan_arrays.cap = MK_COUNT * AB_INBOX_SCAN_MAX * (2 * NAME_CAP + 4);
    if ((rc = make_dirs(&s.cfg)) < 0)
        return rc;
    migrate_once(&s.cfg);
    rc = start_loop(&s);
    uv_loop_close(s.loop);
    metrics_free(s.m);
    for (int i = 0; i < 4; i++)
        mem_free(scan_arrays.a[i]);
    return rc;
}
