/*
 * pgloop.h - a PostgreSQL connection driven by a libuv loop, for the
 * control path of `serve` (claiming jobs, leases, job states): libpq in
 * non-blocking mode, its socket watched with uv_poll, so that the loop
 * never waits for the database.
 *
 * Queries run one after the other in the order given; each callback gets
 * the result (NULL and a reason when the query failed or the connection is
 * down).  A broken connection is reopened with backoff (100 ms doubling to
 * 5 s); up/down changes are reported to on_state.  The pgloop owns its
 * connection and results (a callback must not keep the PGresult); the
 * caller frees the pgloop with pgloop_close, which finishes asynchronously.
 */
#ifndef AB_PGLOOP_H
#define AB_PGLOOP_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <uv.h>

#include "err.h"

typedef struct pgloop pgloop;
typedef void (*pgloop_cb)(void *arg, const PGresult *res, const char *err);
typedef void (*pgloop_state_cb)(void *arg, bool up);

int pgloop_open(pgloop **out, uv_loop_t *loop, const char *conninfo, pgloop_state_cb on_state,
                void *arg) AB_MUSTCHECK;
/* Queues a query (params are copied).  When the connection is down the
 * callback runs on the next loop turn with err set.  AB_E_NOMEM when the
 * queue (AB_PGLOOP_QUEUE) is full. */
int pgloop_query(pgloop *pl, const char *sql, int nparams, const char *const *params,
                 pgloop_cb cb, void *arg) AB_MUSTCHECK;
bool pgloop_up(const pgloop *pl);
/* Queries not yet answered (queued or in flight). */
unsigned pgloop_pending(const pgloop *pl);
/* Fails what is queued, closes the connection and the handles. */
void pgloop_close(pgloop *pl);

#endif
