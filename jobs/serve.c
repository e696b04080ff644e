/*
 * serve.c - `abgleich serve`: the engine running unattended.
 *
 *   abgleich serve [--config FILE] [--inbox DIR] [--listen ADDR:PORT]
 *                  [--workers N] [--lease-seconds N] [--scan-interval-ms N]
 *   abgleich serve --check-config FILE
 *
 * One libuv loop on the main thread; it never blocks:
 *   inbox    uv_fs_event on DIR/tickets, DIR/statements, DIR/invoices brings
 *            a scan forward; a uv_timer scans every scan_interval_ms anyway
 *            (events get lost: overflow, NFS).  Listing and hashing run on
 *            the libuv thread pool.  A file is complete when two scans at
 *            least scan_interval_ms apart saw the same size and mtime.
 *            inotify through libuv reports a create and a rename-in alike,
 *            so "renamed in" cannot be told apart; writers that rename
 *            write under a name starting with '.' or ending in .part or
 *            .tmp, which the scan skips, and the file is taken one scan
 *            interval after its rename.
 *   queue    a complete file becomes a row of abgleich.jobs (job_enqueue,
 *            sql/012_jobs.sql); free worker slots claim jobs with
 *            job_claim (FOR UPDATE SKIP LOCKED) and renew their lease every
 *            lease/3.  All of it over one libpq connection in non-blocking
 *            mode on the loop (engine/loop.h), reconnected with backoff.
 *   work     a claimed job runs on the thread pool (serve_job.c) with the
 *            slot's own blocking connection: the same code as the commands.
 *   http     /healthz, /metrics, /accounts on threads of libmicrohttpd
 *            (serve_http.c).
 *   signals  SIGTERM/SIGINT: claim nothing more, finish the files in hand,
 *            exit 0.  SIGHUP: read the configuration file again.
 * Several instances may share one inbox and one database: the job table is
 * the only coordination.  Memory is bounded by SERVE_INBOX_MAX files per
 * scan and CONFIG_WORKERS_MAX jobs in flight.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <libpq-fe.h>

#include "../engine/config.h"
#include "../engine/filehash.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/loop.h"
#include "../engine/mem.h"
#include "../engine/pgsink.h"
#include "serve.h"

/* Files tracked per scan; more wait for a later scan. */
#define SERVE_INBOX_MAX AB_SERVE_INBOX_MAX
/* Files hashed per hashing task. */
#define SERVE_HASH_BATCH AB_SERVE_HASH_BATCH
/* An fs event brings the next scan this close. */
#define FS_DEBOUNCE_MS 20u
/* Jobs waiting to be handed back after the database went away. */
#define SERVE_RELEASE_MAX (4u * CONFIG_WORKERS_MAX)

enum entry_state { E_WAITING, E_HASHING, E_SUBMITTING, E_SUBMITTED };

typedef struct entry {
    char name[SERVE_NAME_MAX];   /* KIND/FILE */
    int64_t size, mtime_ns;
    uint64_t since_ms;           /* size and mtime unchanged since */
    uint64_t submitted_ms;       /* queued (or found queued) then */
    enum entry_state st;
} entry;

typedef struct scan_task {
    uv_work_t w;
    const char *inbox;
    entry *out;
    size_t n;
} scan_task;

typedef struct hash_task {
    uv_work_t w;
    const char *inbox;
    size_t n;
    char name[SERVE_HASH_BATCH][SERVE_NAME_MAX];
    char hash[SERVE_HASH_BATCH][33];
    int64_t size[SERVE_HASH_BATCH];
    char seen_after[40];         /* the server's now() received before any open; "" none */
    int ok[SERVE_HASH_BATCH];
} hash_task;

typedef struct slot {
    uv_work_t w;
    struct serve *s;
    int busy;
    pgsink *db;
    serve_job job;
    double started;
} slot;

typedef struct release { int64_t id; } release;

typedef struct serve {
    uv_loop_t *loop;
    serve_config cfg;
    const char *cfg_path;
    int argc;                    /* serve's own flags, applied again on SIGHUP */
    char **argv;
    int db_flag;                 /* --db was given: it wins over the file's url */
    cli_opts o;
    char conninfo[CONFIG_URL_MAX];
    char owner[160];
    pgloop *pg;
    serve_http *http;
    serve_metrics m;
    uv_fs_event_t ev[SK_COUNT];
    uv_timer_t scan_timer, lease_timer;
    uv_signal_t sig_term, sig_int, sig_hup;
    entry *tab, *cur;            /* the last scan (sorted by name), the next one */
    size_t ntab;
    scan_task scan;
    hash_task hash;
    int scanning, hashing, claiming, counting, stopping, closed;
    int said_enqueue, said_claim; /* an error was logged; quiet until it works again */
    int schema_ok, checking;     /* abgleich.jobs exists (sql/012_jobs.sql) */
    slot slots[CONFIG_WORKERS_MAX];
    unsigned busy;
    release rel[SERVE_RELEASE_MAX];
    unsigned nrel;
    char db_now[40];             /* the server's now() in the last answer to the count */
} serve;

static uint64_t now_ms(const serve *s)
{
    return uv_now(s->loop);
}

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A libpq message on one line (they end in newlines and carry LINE n:). */
static const char *one_line(const char *msg, char *buf, size_t n)
{
    snprintf(buf, n, "%s", msg);
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

static int kind_of(const char *name)
{
    for (int k = 0; k < SK_COUNT; k++) {
        size_t n = strlen(serve_kind_names[k]);
        if (!strncmp(name, serve_kind_names[k], n) && name[n] == '/')
            return k;
    }
    return -1;
}

static void maybe_claim(serve *s);
static void flush_releases(serve *s);
static void shutdown_all(serve *s);

/* --- scanning the inbox (thread pool) -------------------------------- */

static int skip_name(const char *n)
{
    size_t len = strlen(n);
    return n[0] == '.' || (len > 5 && !strcmp(n + len - 5, ".part")) ||
           (len > 4 && !strcmp(n + len - 4, ".tmp"));
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static void scan_work(uv_work_t *w)
{
    scan_task *t = w->data;
    t->n = 0;
    for (int k = 0; k < SK_COUNT; k++) {
        char dir[CONFIG_PATH_MAX + 32];
        snprintf(dir, sizeof dir, "%s/%s", t->inbox, serve_kind_names[k]);
        uv_fs_t req;
        if (uv_fs_scandir(NULL, &req, dir, 0, NULL) < 0) {
            uv_fs_req_cleanup(&req);
            continue;
        }
        uv_dirent_t d;
        while (uv_fs_scandir_next(&req, &d) != UV_EOF) {
            if (t->n >= SERVE_INBOX_MAX || skip_name(d.name))
                continue;
            entry *e = &t->out[t->n];
            int len = snprintf(e->name, sizeof e->name, "%s/%s", serve_kind_names[k], d.name);
            char path[CONFIG_PATH_MAX + SERVE_NAME_MAX + 2];
            snprintf(path, sizeof path, "%s/%s", t->inbox, e->name);
            struct stat sb;
            if (len >= (int)sizeof e->name || stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
                continue;
            e->size = (int64_t)sb.st_size;
            e->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
            t->n++;
        }
        uv_fs_req_cleanup(&req);
    }
    qsort(t->out, t->n, sizeof *t->out, entry_cmp);
}

static entry *find(serve *s, const char *name)
{
    entry key;
    snprintf(key.name, sizeof key.name, "%s", name);
    return bsearch(&key, s->tab, s->ntab, sizeof *s->tab, entry_cmp);
}

static void hash_work(uv_work_t *w);
static void hash_done(uv_work_t *w, int status);

/* Starts hashing the files that were stable over a whole interval, and
 * those queued a lease ago and still here (a queue request whose answer was
 * lost, or a delivery the queue took for a stale sighting: asking again
 * costs one no-op statement). */
static void start_hashing(serve *s)
{
    if (s->hashing || s->stopping || !s->schema_ok || !pgloop_up(s->pg))
        return;
    hash_task *h = &s->hash;
    h->n = 0;
    uint64_t now = now_ms(s);
    for (size_t i = 0; i < s->ntab && h->n < SERVE_HASH_BATCH; i++) {
        entry *e = &s->tab[i];
        int stable = e->st == E_WAITING && now - e->since_ms >= s->cfg.scan_interval_ms;
        int again = e->st == E_SUBMITTED &&
                    now - e->submitted_ms >= (uint64_t)s->cfg.lease_seconds * 1000u;
        if (!stable && !again)
            continue;
        e->st = E_HASHING;
        snprintf(h->name[h->n++], SERVE_NAME_MAX, "%s", e->name);
    }
    if (!h->n)
        return;
    h->inbox = s->cfg.inbox;
    /* A time of the server's clock from before the files are opened: the
     * queue takes a sighting for a new delivery only if it is later than
     * the job's moved_at (sql/039_job_enqueue_seen_at.sql). */
    snprintf(h->seen_after, sizeof h->seen_after, "%s", s->db_now);
    h->w.data = s;
    s->hashing = 1;
    if (uv_queue_work(s->loop, &h->w, hash_work, hash_done) < 0)
        s->hashing = 0;
}

/* Merges the scan into the table: unchanged files keep their state and
 * since, new or changed ones start waiting. */
static void scan_done(uv_work_t *w, int status)
{
    serve *s = w->loop->data;
    scan_task *t = &s->scan;
    s->scanning = 0;
    uint64_t now = now_ms(s);
    size_t j = 0, waiting = 0;
    for (size_t i = 0; i < t->n; i++) {
        entry *e = &t->out[i];
        while (j < s->ntab && strcmp(s->tab[j].name, e->name) < 0)
            j++;
        entry *old = j < s->ntab && !strcmp(s->tab[j].name, e->name) ? &s->tab[j] : NULL;
        if (old && old->size == e->size && old->mtime_ns == e->mtime_ns) {
            e->since_ms = old->since_ms;
            e->submitted_ms = old->submitted_ms;
            e->st = old->st;
        } else {
            e->since_ms = now;
            e->st = E_WAITING;
        }
        waiting += e->st != E_SUBMITTED;
    }
    entry *tmp = s->tab;
    s->tab = t->out;
    s->ntab = t->n;
    s->cur = tmp;
    pthread_mutex_lock(&s->m.mu);
    s->m.inbox_waiting = (int64_t)waiting;
    pthread_mutex_unlock(&s->m.mu);
    if (status == 0)
        start_hashing(s);
}

static void start_scan(serve *s)
{
    if (s->scanning || s->stopping)
        return;
    s->scan.inbox = s->cfg.inbox;
    s->scan.out = s->cur;
    s->scan.w.data = &s->scan;
    s->scanning = 1;
    if (uv_queue_work(s->loop, &s->scan.w, scan_work, scan_done) < 0)
        s->scanning = 0;
}

/* --- the job queue over the control connection ------------------------ */

static void hash_work(uv_work_t *w)
{
    serve *s = w->data;
    hash_task *h = &s->hash;
    for (size_t i = 0; i < h->n; i++) {
        char path[CONFIG_PATH_MAX + SERVE_NAME_MAX + 2];
        snprintf(path, sizeof path, "%s/%s", h->inbox, h->name[i]);
        h->ok[i] = filehash_file(path, h->hash[i], &h->size[i]) == AB_OK;
    }
}

typedef struct enq_ctx {
    serve *s;
    char name[SERVE_NAME_MAX];
} enq_ctx;

static void enqueued(void *ctx, struct pg_result *res)
{
    enq_ctx *c = ctx;
    serve *s = c->s;
    entry *e = find(s, c->name);
    int ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
    char msg[AB_ERRMSG_MAX];
    if (res && !ok && !s->said_enqueue++)
        log_error("%s: cannot queue: %s", c->name,
                  one_line(PQresultErrorMessage(res), msg, sizeof msg));
    if (ok)
        s->said_enqueue = 0;
    if (e && e->st == E_SUBMITTING) {
        e->st = ok ? E_SUBMITTED : E_WAITING;
        e->submitted_ms = now_ms(s);
    }
    if (ok && !PQgetisnull(res, 0, 0))
        log_debug("%s: queued as job %s", c->name, PQgetvalue(res, 0, 0));
    mem_free(c);
    if (ok)
        maybe_claim(s);
}

static void submit(serve *s, const char *name, const char *hash, int64_t size,
                   const char *seen_after)
{
    entry *e = find(s, name);
    if (!e || e->st != E_HASHING || !s->pg)
        return; /* changed or gone while we hashed: the next scans decide */
    enq_ctx *c = mem_alloc(sizeof *c);
    char sz[24];
    snprintf(sz, sizeof sz, "%lld", (long long)size);
    const char *kind = serve_kind_names[kind_of(name)];
    const char *params[] = {kind, name, hash, sz, seen_after[0] ? seen_after : NULL};
    e->st = E_WAITING;
    if (!c)
        return;
    c->s = s;
    snprintf(c->name, sizeof c->name, "%s", name);
    if (pgloop_send(s->pg,
                    "SELECT abgleich.job_enqueue($1, $2, $3, $4::bigint, $5::timestamptz)", 5,
                    params, enqueued, c) < 0) {
        mem_free(c);
        return;
    }
    e->st = E_SUBMITTING;
}

static void hash_done(uv_work_t *w, int status)
{
    serve *s = w->data;
    hash_task *h = &s->hash;
    s->hashing = 0;
    for (size_t i = 0; i < h->n; i++) {
        entry *e = find(s, h->name[i]);
        if (status == 0 && h->ok[i])
            submit(s, h->name[i], h->hash[i], h->size[i], h->seen_after);
        else if (e && e->st == E_HASHING)
            e->st = E_WAITING;
    }
    start_hashing(s); /* more than one batch was stable */
}

static void job_work(uv_work_t *w)
{
    slot *sl = w->data;
    serve_job_run(&sl->job);
}

static void count_job(serve *s, const serve_job *j, double secs)
{
    static const int result_of[] = {[SO_DONE] = SR_DONE, [SO_SKIPPED] = SR_SKIPPED,
                                    [SO_FAILED] = SR_FAILED, [SO_MOVED] = -1,
                                    [SO_RETRY] = SR_RETRIED, [SO_LOST] = -1};
    serve_metrics *m = &s->m;
    pthread_mutex_lock(&m->mu);
    int r = result_of[j->outcome];
    if (r >= 0)
        m->files[j->kind][r]++;
    if (j->outcome == SO_DONE) {
        m->claims += j->isum.claims;
        m->rows_rejected += j->isum.rejected;
        m->transactions += j->rsum.transactions;
        m->transactions_cents += j->rsum.transactions_cents;
        m->allocated += j->rsum.allocated;
        m->allocated_cents += j->rsum.allocated_cents;
        m->clarified += j->rsum.clarified;
        for (int i = 0; i < REC_REASONS; i++)
            m->by_reason[i] += j->rsum.by_reason[i];
    }
    if (j->outcome == SO_DONE || j->outcome == SO_SKIPPED || j->outcome == SO_FAILED) {
        for (int b = 0; b < SERVE_DUR_BUCKETS; b++)
            m->dur_le[j->kind][b] += secs <= serve_dur_bounds[b];
        m->dur_count[j->kind]++;
        m->dur_sum[j->kind] += secs;
    }
    m->in_flight = s->busy;
    pthread_mutex_unlock(&m->mu);
}

static void job_done(uv_work_t *w, int status)
{
    slot *sl = w->data;
    serve *s = sl->s;
    serve_job *j = &sl->job;
    sl->busy = 0;
    s->busy--;
    double secs = mono_s() - sl->started;
    static const char *const said[] = {"done", "skipped", "failed", "moved", "retry later",
                                       "lost"};
    (j->outcome == SO_FAILED || j->outcome == SO_RETRY ? log_warn : log_info)(
        "%s: job %lld %s: %s (%.2f s)", j->name, (long long)j->id, said[j->outcome], j->why,
        secs);
    if (j->outcome == SO_RETRY && s->nrel < SERVE_RELEASE_MAX)
        s->rel[s->nrel++].id = j->id; /* handed back on the next tick */
    count_job(s, j, secs);
    if (s->stopping && !s->busy)
        shutdown_all(s);
    else
        maybe_claim(s);
}

static void start_job(serve *s, slot *sl, PGresult *r)
{
    serve_job *j = &sl->job;
    memset(j, 0, sizeof *j);
    j->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    int k = kind_of(PQgetvalue(r, 0, 2));
    j->kind = k < 0 ? SK_INVOICES : (enum serve_kind)k;
    snprintf(j->name, sizeof j->name, "%s", PQgetvalue(r, 0, 2));
    snprintf(j->state, sizeof j->state, "%s", PQgetvalue(r, 0, 4));
    j->attempts = (int)strtol(PQgetvalue(r, 0, 5), NULL, 10);
    snprintf(j->prev_error, sizeof j->prev_error, "%s", PQgetvalue(r, 0, 6));
    j->inbox = s->cfg.inbox;
    j->owner = s->owner;
    j->o = &s->o;
    j->db = &sl->db;
    sl->w.data = sl;
    sl->s = s;
    sl->busy = 1;
    sl->started = mono_s();
    s->busy++;
    log_debug("%s: claimed job %lld, attempt %d", j->name, (long long)j->id, j->attempts);
    if (uv_queue_work(s->loop, &sl->w, job_work, job_done) < 0) {
        sl->busy = 0;
        s->busy--;
    }
    pthread_mutex_lock(&s->m.mu);
    s->m.in_flight = s->busy;
    pthread_mutex_unlock(&s->m.mu);
}

static slot *free_slot(serve *s)
{
    for (unsigned i = 0; i < s->cfg.workers && i < CONFIG_WORKERS_MAX; i++)
        if (!s->slots[i].busy)
            return &s->slots[i];
    return NULL;
}

static void claimed(void *ctx, struct pg_result *res)
{
    serve *s = ctx;
    s->claiming = 0;
    slot *sl = free_slot(s);
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        char msg[AB_ERRMSG_MAX];
        if (res && !s->said_claim++)
            log_error("cannot claim a job: %s",
                      one_line(PQresultErrorMessage(res), msg, sizeof msg));
        return;
    }
    s->said_claim = 0;
    if (PQntuples(res) != 1)
        return; /* nothing to do */
    if (!sl || s->stopping) {
        /* The slot went away meanwhile (SIGHUP, SIGTERM): hand the job back
         * now rather than let another instance wait out the lease. */
        if (s->nrel < SERVE_RELEASE_MAX)
            s->rel[s->nrel++].id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        flush_releases(s);
        return;
    }
    start_job(s, sl, res);
    maybe_claim(s);
}

static void maybe_claim(serve *s)
{
    if (s->stopping || s->claiming || !s->schema_ok || !pgloop_up(s->pg) || !free_slot(s))
        return;
    char lease[16];
    snprintf(lease, sizeof lease, "%u", s->cfg.lease_seconds);
    const char *params[] = {s->owner, lease};
    if (pgloop_send(s->pg, "SELECT * FROM abgleich.job_claim($1, $2::int)", 2, params, claimed,
                    s) == AB_OK)
        s->claiming = 1;
}

static void ignore_result(void *ctx, struct pg_result *res)
{
    char msg[AB_ERRMSG_MAX];
    if (res && PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        log_warn("%s: %s", (const char *)ctx,
                 one_line(PQresultErrorMessage(res), msg, sizeof msg));
}

/* The queue's functions exist: else say once that init is missing, and
 * ask again on every tick (an operator may run init meanwhile). */
static void schema_checked(void *ctx, struct pg_result *res)
{
    serve *s = ctx;
    s->checking = 0;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        return;
    if (!strcmp(PQgetvalue(res, 0, 0), "t")) {
        if (s->schema_ok++ == 0 && s->said_enqueue)
            log_info("the job queue is there now");
        s->said_enqueue = 0;
        maybe_claim(s);
        return;
    }
    if (!s->said_enqueue++)
        log_error("the database has no job queue (sql/012_jobs.sql): run abgleich init");
}

static void check_schema(serve *s)
{
    if (s->schema_ok || s->checking || !pgloop_up(s->pg))
        return;
    if (pgloop_send(s->pg, "SELECT to_regprocedure('abgleich.job_claim(text,integer)')"
                           " IS NOT NULL",
                    0, NULL, schema_checked, s) == AB_OK)
        s->checking = 1;
}

/* Jobs we could not finish because the database went away: back to queued. */
static void flush_releases(serve *s)
{
    while (s->nrel && pgloop_up(s->pg)) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)s->rel[s->nrel - 1].id);
        const char *params[] = {id, s->owner};
        if (pgloop_send(s->pg, "UPDATE abgleich.jobs SET state = 'queued', owner = NULL,"
                               " lease_until = NULL WHERE id = $1::bigint AND owner = $2"
                               " AND state = 'running'",
                        2, params, ignore_result, "hand a job back") < 0)
            return;
        s->nrel--;
    }
}

static void counted(void *ctx, struct pg_result *res)
{
    serve *s = ctx;
    s->counting = 0;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        return;
    pthread_mutex_lock(&s->m.mu);
    s->m.jobs_queued = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    s->m.jobs_running = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    pthread_mutex_unlock(&s->m.mu);
    snprintf(s->db_now, sizeof s->db_now, "%s", PQgetvalue(res, 0, 2));
}

static void on_scan_tick(uv_timer_t *t)
{
    serve *s = t->data;
    check_schema(s);
    start_scan(s);
    flush_releases(s);
    maybe_claim(s);
    if (!s->counting && s->schema_ok && pgloop_up(s->pg) &&
        pgloop_send(s->pg, "SELECT count(*) FILTER (WHERE state = 'queued'),"
                           " count(*) FILTER (WHERE state = 'running'), now()"
                           " FROM abgleich.jobs WHERE moved_at IS NULL",
                    0, NULL, counted, s) == AB_OK)
        s->counting = 1;
}

static void on_lease_tick(uv_timer_t *t)
{
    serve *s = t->data;
    char ids[CONFIG_WORKERS_MAX * 24 + 4] = "{";
    size_t len = 1;
    for (unsigned i = 0; i < CONFIG_WORKERS_MAX; i++)
        if (s->slots[i].busy)
            len += (size_t)snprintf(ids + len, sizeof ids - len, "%s%lld", len > 1 ? "," : "",
                                    (long long)s->slots[i].job.id);
    if (len == 1 || !pgloop_up(s->pg))
        return;
    snprintf(ids + len, sizeof ids - len, "}");
    char lease[16];
    snprintf(lease, sizeof lease, "%u", s->cfg.lease_seconds);
    const char *params[] = {s->owner, lease, ids};
    if (pgloop_send(s->pg, "UPDATE abgleich.jobs SET lease_until = now() +"
                           " make_interval(secs => $2::int) WHERE owner = $1"
                           " AND id = ANY($3::bigint[]) AND moved_at IS NULL",
                    3, params, ignore_result, "renew leases") < 0)
        log_warn("cannot renew the leases now; retrying in %u s", s->cfg.lease_seconds / 3);
}

static void on_db_state(void *ctx, int up)
{
    serve *s = ctx;
    s->claiming = s->counting = s->checking = 0;
    pthread_mutex_lock(&s->m.mu);
    s->m.db_up = up;
    pthread_mutex_unlock(&s->m.mu);
    /* Entries whose enqueue was lost with the connection wait again. */
    for (size_t i = 0; !up && i < s->ntab; i++)
        if (s->tab[i].st == E_SUBMITTING)
            s->tab[i].st = E_WAITING;
    if (up) {
        check_schema(s);
        flush_releases(s);
        maybe_claim(s);
    }
}

/* --- fs events, signals, configuration -------------------------------- */

static void on_fs(uv_fs_event_t *h, const char *filename, int events, int status)
{
    serve *s = h->data;
    if (s->stopping || status < 0)
        return;
    if (uv_timer_get_due_in(&s->scan_timer) > FS_DEBOUNCE_MS)
        uv_timer_start(&s->scan_timer, on_scan_tick, FS_DEBOUNCE_MS, s->cfg.scan_interval_ms);
}

/* Only when the file says: else the common --log-format etc. stand. */
static void apply_log(const serve_config *c)
{
    if (!c->log_given)
        return;
    log_set_format(c->log_format);
    log_set_level(c->log_level);
    log_set_pii(c->log_pii);
}

/* The file's threads, check digit and language, unless a flag gave them. */
static void apply_opts(serve *s)
{
    if (!s->o.threads_given)
        s->o.threads = s->cfg.threads;
    if (!s->o.scheme_given)
        s->o.scheme = s->cfg.scheme;
    if (!s->o.lang_given)
        s->o.lang = s->cfg.lang;
    s->o.quiet = true;
    s->o.json = false;
}

static const char *const serve_flags[][2] = {
    {"--inbox", "inbox"}, {"--listen", "listen"}, {"--workers", "workers"},
    {"--lease-seconds", "lease_seconds"}, {"--scan-interval-ms", "scan_interval_ms"}};
enum { SERVE_NFLAGS = sizeof serve_flags / sizeof serve_flags[0] };

/* serve's own flags over c (which holds the file's values): flags win, at
 * the start and on every SIGHUP.  AB_E_USAGE for an unknown flag or one
 * without a value (*bad names it, err is empty), AB_E_INVAL for a bad
 * value (err says why). */
static int apply_flags(serve_config *c, int argc, char **argv, const char **bad, char *err,
                       unsigned long errlen)
{
    err[0] = '\0';
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "--check-config")) {
            i++;
            continue;
        }
        size_t f = 0;
        while (f < SERVE_NFLAGS && strcmp(argv[i], serve_flags[f][0]))
            f++;
        *bad = argv[i];
        if (f == SERVE_NFLAGS || i + 1 >= argc)
            return AB_E_USAGE;
        if (config_set(c, "serve", serve_flags[f][1], argv[++i], err, errlen) < 0)
            return AB_E_INVAL;
    }
    return AB_OK;
}

/* SIGHUP: the file again; what a running loop can change changes now,
 * the rest is named and waits for a restart. */
static void reload(serve *s)
{
    if (!s->cfg_path) {
        log_warn("SIGHUP: no --config file to read again");
        return;
    }
    serve_config c = s->cfg;
    char err[AB_ERRMSG_MAX];
    const char *bad;
    if (config_load(&c, s->cfg_path, err, sizeof err) < 0 ||
        apply_flags(&c, s->argc, s->argv, &bad, err, sizeof err) < 0 ||
        config_check(&c, err, sizeof err) < 0) {
        log_error("SIGHUP: %s; keeping the running configuration", err);
        return;
    }
    if (s->db_flag) /* --db wins over the file, as at the start */
        snprintf(c.db, sizeof c.db, "%s", s->cfg.db);
    if (strcmp(c.inbox, s->cfg.inbox) || strcmp(c.listen, s->cfg.listen) || strcmp(c.db, s->cfg.db))
        log_warn("SIGHUP: inbox, listen and database url change on restart only");
    snprintf(c.inbox, sizeof c.inbox, "%s", s->cfg.inbox);
    snprintf(c.listen, sizeof c.listen, "%s", s->cfg.listen);
    snprintf(c.db, sizeof c.db, "%s", s->cfg.db);
    s->cfg = c;
    apply_log(&s->cfg);
    apply_opts(s);
    uv_timer_start(&s->scan_timer, on_scan_tick, s->cfg.scan_interval_ms, s->cfg.scan_interval_ms);
    uv_timer_start(&s->lease_timer, on_lease_tick, s->cfg.lease_seconds * 1000u / 3,
                   s->cfg.lease_seconds * 1000u / 3);
    log_info("configuration read again from %s (flags win): %u workers, scans every %u ms,"
             " lease %u s, %u matcher threads (0: the cores), check digit %s, language %s",
             s->cfg_path, s->cfg.workers, s->cfg.scan_interval_ms, s->cfg.lease_seconds,
             s->o.threads, cd_scheme_name(s->o.scheme), s->o.lang);
    maybe_claim(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
    serve *s = h->data;
    if (signum == SIGHUP) {
        reload(s);
        return;
    }
    if (s->stopping) {
        log_info("still finishing %u file(s)", s->busy);
        return;
    }
    log_info("%s: finishing %u file(s) in hand, then exiting", strsignal(signum), s->busy);
    s->stopping = 1;
    uv_timer_stop(&s->scan_timer);
    for (int k = 0; k < SK_COUNT; k++)
        uv_fs_event_stop(&s->ev[k]);
    if (!s->busy)
        shutdown_all(s);
}

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

/* Everything closed, so that uv_run returns.  Jobs handed back on the way
 * out are left to their lease (no connection to wait for). */
static void shutdown_all(serve *s)
{
    if (s->closed)
        return;
    s->closed = 1;
    serve_http_stop(s->http);
    s->http = NULL;
    pgloop_close(s->pg);
    s->pg = NULL;
    uv_handle_t *hs[] = {(uv_handle_t *)&s->scan_timer, (uv_handle_t *)&s->lease_timer,
                         (uv_handle_t *)&s->sig_term, (uv_handle_t *)&s->sig_int,
                         (uv_handle_t *)&s->sig_hup, (uv_handle_t *)&s->ev[0],
                         (uv_handle_t *)&s->ev[1], (uv_handle_t *)&s->ev[2]};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], close_cb);
}

/* --- setup ------------------------------------------------------------ */

static const char serve_usage[] =
    "usage: abgleich serve [--config FILE] [--inbox DIR] [--listen ADDR:PORT|off]\n"
    "                      [--workers N] [--lease-seconds N] [--scan-interval-ms N]\n"
    "       abgleich serve --check-config FILE\n";

/* Flags over the file over the defaults (common flags: apply_opts). */
static int parse_args(serve *s, int argc, char **argv, const char **check)
{
    char err[AB_ERRMSG_MAX];
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "--check-config")) {
            if (i + 1 >= argc)
                goto usage;
            if (argv[i][2] == 'c' && argv[i][3] == 'h')
                *check = argv[i + 1];
            s->cfg_path = argv[++i];
        }
    if (s->cfg_path && config_load(&s->cfg, s->cfg_path, err, sizeof err) < 0) {
        fprintf(stderr, "abgleich serve: %s\n", err);
        return AB_E_INVAL;
    }
    const char *bad = NULL;
    int rc = apply_flags(&s->cfg, argc, argv, &bad, err, sizeof err);
    if (rc == AB_E_USAGE)
        goto usage;
    if (rc < 0) {
        fprintf(stderr, "abgleich serve: %s: %s\n", bad, err);
        return AB_E_USAGE;
    }
    s->argc = argc;
    s->argv = argv;
    if (s->o.db && *s->o.db) {
        snprintf(s->cfg.db, sizeof s->cfg.db, "%s", s->o.db);
        s->db_flag = 1;
    }
    if (config_check(&s->cfg, err, sizeof err) < 0) {
        fprintf(stderr, "abgleich serve: %s\n", err);
        return AB_E_INVAL;
    }
    return AB_OK;
usage:
    fputs(serve_usage, stderr);
    return AB_E_USAGE;
}

/* DIR/KIND/{done,failed} for every kind; the inbox itself must exist. */
static int make_dirs(const char *inbox)
{
    struct stat sb;
    if (stat(inbox, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        log_error("inbox %s: not a directory", inbox);
        return AB_E_IO;
    }
    for (int k = 0; k < SK_COUNT; k++) {
        const char *subs[] = {"", "/done", "/failed"};
        for (int i = 0; i < 3; i++) {
            char d[CONFIG_PATH_MAX + 32];
            snprintf(d, sizeof d, "%s/%s%s", inbox, serve_kind_names[k], subs[i]);
            if (mkdir(d, 0750) < 0 && errno != EEXIST) {
                log_error("%s: %s", d, strerror(errno));
                return AB_E_IO;
            }
        }
    }
    return AB_OK;
}

static int start_handles(serve *s)
{
    uv_loop_t *l = s->loop;
    uv_timer_init(l, &s->scan_timer);
    uv_timer_init(l, &s->lease_timer);
    uv_signal_init(l, &s->sig_term);
    uv_signal_init(l, &s->sig_int);
    uv_signal_init(l, &s->sig_hup);
    s->scan_timer.data = s->lease_timer.data = s;
    s->sig_term.data = s->sig_int.data = s->sig_hup.data = s;
    for (int k = 0; k < SK_COUNT; k++) {
        char d[CONFIG_PATH_MAX + 32];
        snprintf(d, sizeof d, "%s/%s", s->cfg.inbox, serve_kind_names[k]);
        uv_fs_event_init(l, &s->ev[k]);
        s->ev[k].data = s;
        if (uv_fs_event_start(&s->ev[k], on_fs, d, 0) < 0)
            log_warn("%s: no file system events; scanning every %u ms only", d,
                     s->cfg.scan_interval_ms);
    }
    uv_signal_start(&s->sig_term, on_signal, SIGTERM);
    uv_signal_start(&s->sig_int, on_signal, SIGINT);
    uv_signal_start(&s->sig_hup, on_signal, SIGHUP);
    uv_timer_start(&s->scan_timer, on_scan_tick, 0, s->cfg.scan_interval_ms);
    uv_timer_start(&s->lease_timer, on_lease_tick, s->cfg.lease_seconds * 1000u / 3,
                   s->cfg.lease_seconds * 1000u / 3);
    return pgloop_create(&s->pg, l, s->conninfo, s->cfg.reconnect_max_ms, on_db_state, s);
}

static int run(serve *s)
{
    char host[128] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(s->owner, sizeof s->owner, "%s:%d:%lld", host, (int)getpid(), (long long)time(NULL));
    const char *env = getenv("ABGLEICH_DB");
    snprintf(s->conninfo, sizeof s->conninfo, "%s", s->cfg.db[0] ? s->cfg.db : env ? env : "");
    s->o.db = s->conninfo;
    apply_opts(s);
    /* Job slots plus the scan and hash tasks, so that neither waits for a
     * worker (libuv reads this once, at the first uv_queue_work). */
    char pool[8];
    snprintf(pool, sizeof pool, "%u", CONFIG_WORKERS_MAX + 2);
    setenv("UV_THREADPOOL_SIZE", pool, 1);
    int rc = make_dirs(s->cfg.inbox);
    if (rc < 0)
        return rc;
    if (!(s->tab = mem_calloc(SERVE_INBOX_MAX, sizeof *s->tab)) ||
        !(s->cur = mem_calloc(SERVE_INBOX_MAX, sizeof *s->cur)))
        return AB_E_NOMEM;
    if (s->cfg.listen[0] && strcmp(s->cfg.listen, "off") &&
        (rc = serve_http_start(&s->http, s->cfg.listen, s->conninfo, &s->m)) < 0)
        return rc;
    s->loop = uv_default_loop();
    s->loop->data = s;
    if ((rc = start_handles(s)) < 0)
        return rc;
    log_info("serving %s as %s: %u workers, listening on %s, %u matcher threads (0: the"
             " cores), check digit %s, language %s", s->cfg.inbox, s->owner, s->cfg.workers,
             s->http ? s->cfg.listen : "nothing", s->o.threads, cd_scheme_name(s->o.scheme),
             s->o.lang);
    uv_run(s->loop, UV_RUN_DEFAULT);
    return AB_OK;
}

int job_serve(const cli_opts *o, int argc, char **argv)
{
    serve *s = mem_calloc(1, sizeof *s);
    if (!s)
        return AB_E_NOMEM;
    s->o = *o;
    config_defaults(&s->cfg);
    pthread_mutex_init(&s->m.mu, NULL);
    const char *check = NULL;
    int rc = parse_args(s, argc, argv, &check);
    if (rc == AB_OK && check) {
        printf("%s: ok (inbox %s, listen %s, %u workers, lease %u s, scans every %u ms)\n",
               check, s->cfg.inbox, s->cfg.listen[0] ? s->cfg.listen : "off", s->cfg.workers,
               s->cfg.lease_seconds, s->cfg.scan_interval_ms);
    } else if (rc == AB_OK) {
        apply_log(&s->cfg);
        rc = run(s);
        if (s->loop) {
            if (!s->closed)
                shutdown_all(s);
            uv_run(s->loop, UV_RUN_DEFAULT); /* the close callbacks */
            uv_loop_close(s->loop);
        }
        for (unsigned i = 0; i < CONFIG_WORKERS_MAX; i++)
            pgsink_close(s->slots[i].db);
        log_info("stopped");
    }
    mem_free(s->tab);
    mem_free(s->cur);
    pthread_mutex_destroy(&s->m.mu);
    mem_free(s);
    return rc;
}
