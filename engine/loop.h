/*
 * loop.h - a PostgreSQL connection driven by a libuv loop (the control path
 * of `abgleich serve`): libpq in non-blocking mode, watched with uv_poll on
 * its socket, requests queued and sent one at a time, reconnected with
 * exponential backoff when the server goes away.
 *
 * Everything here runs on the loop's thread and never blocks it.  The
 * pgloop is owned by its creator and freed by pgloop_close (the memory goes
 * once libuv has closed the handles, on a later loop iteration).  A
 * result handed to a callback belongs to the callback only for the call.
 */
#ifndef AB_LOOP_H
#define AB_LOOP_H

#include <uv.h>

#include "err.h"
#include "limits.h"

typedef struct pgloop pgloop;
struct pg_result;

/* Requests waiting for the connection at most, and parameters of one. */
#define PGLOOP_QUEUE AB_PGLOOP_QUEUE
#define PGLOOP_PARAMS AB_PGLOOP_PARAMS
/* A connection attempt that takes longer than this is abandoned and retried. */
#define PGLOOP_CONNECT_TIMEOUT_MS 10000u

/* res is NULL when the request did not complete: the connection was lost
 * before or while it ran (the caller retries when it matters). */
typedef void (*pgloop_result_fn)(void *ctx, struct pg_result *res);
/* Called when the connection comes up (up = 1) or goes down (up = 0). */
typedef void (*pgloop_state_fn)(void *ctx, int up);

/* Starts connecting at once.  conninfo: a conninfo string or URL ("" for
 * PG* variables).  Backoff starts at 100 ms and doubles up to backoff_max_ms. */
int pgloop_create(pgloop **out, uv_loop_t *loop, const char *conninfo,
                  unsigned backoff_max_ms, pgloop_state_fn on_state, void *ctx) AB_MUSTCHECK;

/* Queues a parameterised query (text parameters, copied).  AB_E_DB while the
 * connection is down, AB_E_LIMIT when PGLOOP_QUEUE requests wait already. */
int pgloop_send(pgloop *p, const char *sql, int nparams, const char *const *params,
                pgloop_result_fn cb, void *ctx) AB_MUSTCHECK;

int pgloop_up(const pgloop *p);
/* Requests queued or in flight. */
unsigned pgloop_pending(const pgloop *p);

/* Drops queued requests without calling them back, closes the connection
 * and the handles. */
void pgloop_close(pgloop *p);

#endif
