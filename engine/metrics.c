/*
 * metrics.c - counters, gauges and one duration histogram per job kind,
 * rendered as Prometheus text (exposition format 0.0.4).  Durations are
 * kept in integer milliseconds and printed as seconds; the buckets are
 * those a job of a few files a night to a busy inbox spans.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

static const int64_t bucket_ms[] = {100, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000};
#define NBUCKETS (sizeof bucket_ms / sizeof bucket_ms[0])

static const char *const kind_name[MK_COUNT] = {"tickets", "statements", "invoices"};
static const char *const outcome_name[MO_COUNT] = {"done", "failed", "retried"};

struct metrics {
    pthread_mutex_t mu;
    int64_t files[MK_COUNT][MO_COUNT];
    int64_t bucket[MK_COUNT][NBUCKETS];
    int64_t count[MK_COUNT], sum_ms[MK_COUNT];
    int64_t counter[MC_COUNT];
    int64_t clarified[MR_COUNT];
    int64_t gauge[MG_COUNT];
};

int metrics_new(metrics **out)
{
    *out = mem_calloc(1, sizeof **out);
    if (!*out)
        return AB_E_NOMEM;
    pthread_mutex_init(&(*out)->mu, NULL);
    return AB_OK;
}

void metrics_free(metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->mu);
    mem_free(m);
}

void metrics_job(metrics *m, enum metric_kind k, enum metric_outcome o, int64_t ms)
{
    pthread_mutex_lock(&m->mu);
    m->files[k][o]++;
    for (size_t i = 0; i < NBUCKETS; i++)
        if (ms <= bucket_ms[i])
            m->bucket[k][i]++;
    m->count[k]++;
    m->sum_ms[k] += ms;
    pthread_mutex_unlock(&m->mu);
}

void metrics_add(metrics *m, enum metric_counter c, int64_t n)
{
    pthread_mutex_lock(&m->mu);
    m->counter[c] += n;
    pthread_mutex_unlock(&m->mu);
}

void metrics_clarified(metrics *m, enum match_reason r, int64_t n)
{
    pthread_mutex_lock(&m->mu);
    m->clarified[r] += n;
    pthread_mutex_unlock(&m->mu);
}

void metrics_gauge(metrics *m, enum metric_gauge g, int64_t v)
{
    pthread_mutex_lock(&m->mu);
    m->gauge[g] = v;
    pthread_mutex_unlock(&m->mu);
}

int64_t metrics_get_gauge(metrics *m, enum metric_gauge g)
{
    pthread_mutex_lock(&m->mu);
    int64_t v = m->gauge[g];
    pthread_mutex_unlock(&m->mu);
    return v;
}

typedef struct out {
    char *p;
    size_t len, cap;
    int full;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...)
{
    if (o->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->full = 1;
    else
        o->len += (size_t)n;
}

static void head(out *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_jobs(metrics *m, out *o)
{
    head(o, "abgleich_files_total", "counter", "Inbox files processed, by kind and outcome.");
    for (int k = 0; k < MK_COUNT; k++)
        for (int r = 0; r < MO_COUNT; r++)
            put(o, "abgleich_files_total{kind=\"%s\",outcome=\"%s\"} %lld\n", kind_name[k],
                outcome_name[r], (long long)m->files[k][r]);
    head(o, "abgleich_job_duration_seconds", "histogram", "Time from claiming a file to its end.");
    for (int k = 0; k < MK_COUNT; k++) {
        for (size_t i = 0; i < NBUCKETS; i++)
            put(o, "abgleich_job_duration_seconds_bucket{kind=\"%s\",le=\"%lld.%03lld\"} %lld\n",
                kind_name[k], (long long)(bucket_ms[i] / 1000), (long long)(bucket_ms[i] % 1000),
                (long long)m->bucket[k][i]);
        put(o, "abgleich_job_duration_seconds_bucket{kind=\"%s\",le=\"+Inf\"} %lld\n",
            kind_name[k], (long long)m->count[k]);
        put(o, "abgleich_job_duration_seconds_sum{kind=\"%s\"} %lld.%03lld\n", kind_name[k],
            (long long)(m->sum_ms[k] / 1000), (long long)(m->sum_ms[k] % 1000));
        put(o, "abgleich_job_duration_seconds_count{kind=\"%s\"} %lld\n", kind_name[k],
            (long long)m->count[k]);
    }
}

static void render_counters(metrics *m, out *o)
{
    static const struct {
        const char *name, *help;
    } c[MC_COUNT] = {
        {"abgleich_claims_total", "Claims created from ticket files."},
        {"abgleich_rejected_rows_total", "Ticket rows rejected."},
        {"abgleich_transactions_total", "Bank transactions stored."},
        {"abgleich_allocations_total", "Payments allocated to claims."},
        {"abgleich_reversals_total", "Allocations reversed by reversal entries."},
        {"abgleich_database_lost_total", "Times the control connection to PostgreSQL broke."},
    };
    for (int i = 0; i < MC_COUNT; i++) {
        head(o, c[i].name, "counter", c[i].help);
        put(o, "%s %lld\n", c[i].name, (long long)m->counter[i]);
    }
    head(o, "abgleich_clarifications_total", "counter",
         "Payments parked for a clerk, by reason.");
    for (int r = 0; r < MR_COUNT; r++)
        put(o, "abgleich_clarifications_total{reason=\"%s\"} %lld\n",
            match_reason_name((enum match_reason)r), (long long)m->clarified[r]);
}

static void render_gauges(metrics *m, out *o)
{
    head(o, "abgleich_queue_depth", "gauge", "Jobs queued in the database, all instances.");
    put(o, "abgleich_queue_depth %lld\n", (long long)m->gauge[MG_QUEUE]);
    head(o, "abgleich_jobs_running", "gauge", "Jobs this instance works on.");
    put(o, "abgleich_jobs_running %lld\n", (long long)m->gauge[MG_RUNNING]);
    head(o, "abgleich_database_up", "gauge", "1 while the control connection works.");
    put(o, "abgleich_database_up %lld\n", (long long)m->gauge[MG_DB_UP]);
}

size_t metrics_render(metrics *m, char *buf, size_t cap)
{
    out o = {buf, 0, cap, 0};
    pthread_mutex_lock(&m->mu);
    render_jobs(m, &o);
    render_counters(m, &o);
    render_gauges(m, &o);
    pthread_mutex_unlock(&m->mu);
    return o.full ? 0 : o.len;
}
