/*
 * metrics.h - what `serve` counts, rendered in the Prometheus text format
 * for GET /metrics.  Written by the loop thread, read by the HTTP thread;
 * a mutex keeps a scrape consistent.  The caller owns the metrics and
 * frees them with metrics_free.
 */
#ifndef AB_METRICS_H
#define AB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "matcher.h"

enum metric_kind { MK_TICKETS, MK_STATEMENTS, MK_INVOICES, MK_COUNT };
enum metric_outcome { MO_DONE, MO_FAILED, MO_RETRIED, MO_COUNT };
enum metric_counter {
    MC_CLAIMS,          /* claims created by ticket files */
    MC_REJECTED,        /* ticket rows rejected */
    MC_TRANSACTIONS,    /* bank transactions stored */
    MC_ALLOCATIONS,     /* payments allocated */
    MC_REVERSALS,       /* allocations reversed */
    MC_DB_LOST,         /* times the control connection was lost */
    MC_COUNT
};
enum metric_gauge { MG_QUEUE, MG_RUNNING, MG_DB_UP, MG_COUNT };

typedef struct metrics metrics;

int metrics_new(metrics **out) AB_MUSTCHECK;
void metrics_free(metrics *m);
/* A job ended after ms milliseconds. */
void metrics_job(metrics *m, enum metric_kind k, enum metric_outcome o, int64_t ms);
void metrics_add(metrics *m, enum metric_counter c, int64_t n);
void metrics_clarified(metrics *m, enum match_reason r, int64_t n);
void metrics_gauge(metrics *m, enum metric_gauge g, int64_t v);
int64_t metrics_get_gauge(metrics *m, enum metric_gauge g);
/* The whole exposition into buf (NUL-terminated); returns its length, or
 * 0 when cap is too small. */
size_t metrics_render(metrics *m, char *buf, size_t cap);

#endif
