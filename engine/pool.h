/*
 * pool.h - a fixed pool of worker threads for fork-join batches.
 *
 * pool_run hands [0, n) out in contiguous chunks to the worker threads and
 * the caller, runs fn on each chunk and returns when all are done;
 * pool_start and pool_wait do the same in two halves, so the caller can
 * work in between and then joins the run (one run at a time).  A pool of
 * `threads` runs threads - 1 workers plus the caller.  Workers never touch
 * the event loop or the database; they write only into the slots of their
 * own chunk, so results must not depend on which thread ran a chunk.  The creator owns the pool and
 * destroys it (which joins the threads).
 */
#ifndef AB_POOL_H
#define AB_POOL_H

#include <stddef.h>

#include "err.h"

typedef struct pool pool;
typedef void (*pool_fn)(void *ctx, size_t begin, size_t end);

/* threads: 1..AB_MAX_THREADS; 0 means the number of online CPUs. */
int pool_create(pool **out, unsigned threads) AB_MUSTCHECK;
void pool_run(pool *p, size_t n, pool_fn fn, void *ctx);
void pool_start(pool *p, size_t n, pool_fn fn, void *ctx);
void pool_wait(pool *p);
unsigned pool_threads(const pool *p);
void pool_destroy(pool *p);

#endif
