/*
 * serve.h - what serve's loop (serve.c) shares with its HTTP endpoint
 * (serve_http.c): the metrics, and starting and stopping the endpoint.
 *
 * serve owns the serve_metrics; the loop thread and the workers' completion
 * callbacks write it under mu, the HTTP thread reads it under mu.  db_up is
 * written by the loop only.
 */
#ifndef AB_SERVE_H
#define AB_SERVE_H

#include <pthread.h>
#include <stdint.h>

#include "../engine/err.h"
#include "import.h"
#include "invoices.h"
#include "reconcile.h"

enum serve_kind { SK_TICKETS, SK_STATEMENTS, SK_INVOICES, SK_COUNT };
enum serve_result { SR_DONE, SR_FAILED, SR_SKIPPED, SR_RETRIED, SR_COUNT };

/* Upper bounds of the file duration histogram, seconds. */
#define SERVE_DUR_BUCKETS 12

typedef struct serve_metrics {
    pthread_mutex_t mu;
    int64_t files[SK_COUNT][SR_COUNT];
    int64_t claims, rows_rejected;
    int64_t transactions, transactions_cents, allocated, allocated_cents;
    int64_t clarified, by_reason[REC_REASONS];
    uint64_t dur_le[SK_COUNT][SERVE_DUR_BUCKETS]; /* cumulative: files at or under bound */
    uint64_t dur_count[SK_COUNT];
    double dur_sum[SK_COUNT];
    int64_t jobs_queued, jobs_running;            /* in the shared queue, all instances */
    int64_t in_flight, inbox_waiting;             /* this instance */
    int db_up;
} serve_metrics;

extern const double serve_dur_bounds[SERVE_DUR_BUCKETS];
extern const char *const serve_kind_names[SK_COUNT];

/* A file's name relative to the inbox ("tickets/x.csv"), at most. */
#define SERVE_NAME_MAX 512u

enum serve_outcome {
    SO_DONE,     /* rows committed with the job marked done; file in done/ */
    SO_SKIPPED,  /* already imported before: nothing changed; file in done/ */
    SO_FAILED,   /* input rejected as a whole: nothing stored; file in failed/ */
    SO_MOVED,    /* a finished job whose file an earlier owner left: now moved */
    SO_RETRY,    /* the database went away: nothing stored, the job goes back */
    SO_LOST,     /* another instance took the job over: nothing stored here */
};

/* One claimed job, handed to a worker thread.  The loop fills the input
 * part, the worker the output part; nobody else touches it meanwhile. */
typedef struct serve_job {
    int64_t id;
    enum serve_kind kind;
    char name[SERVE_NAME_MAX];
    char state[12];             /* as claimed: running, or done/failed to move only */
    int attempts;
    char prev_error[AB_ERRMSG_MAX];
    const char *inbox, *owner;
    const cli_opts *o;          /* o->db is the resolved conninfo */
    struct pgsink **db;         /* the worker slot's connection, kept between jobs */
    /* out */
    enum serve_outcome outcome;
    char why[AB_ERRMSG_MAX];
    int committed, lease_lost;
    import_summary isum;
    rec_summary rsum;
    invoices_summary vsum;
} serve_job;

/* Runs one job on the calling (worker) thread: imports or reconciles the
 * file in one transaction that also marks the job done, records a failure,
 * moves the file to done/ or failed/ with its .log. */
void serve_job_run(serve_job *j);

typedef struct serve_http serve_http;

/* listen: "ADDR:PORT"; db: conninfo for /accounts (connects per request,
 * on the HTTP thread).  Serves until serve_http_stop. */
int serve_http_start(serve_http **out, const char *listen, const char *db,
                     serve_metrics *m) AB_MUSTCHECK;
void serve_http_stop(serve_http *h);

/* The Prometheus text exposition of m into buf (cap bytes); returns the
 * length, or 0 when it does not fit. */
size_t serve_metrics_render(serve_metrics *m, char *buf, size_t cap);

#endif
