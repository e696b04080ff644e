/*
 * pool.c - fork-join worker threads; see pool.h.
 *
 * Threads are created once in pool_create and live until pool_destroy, so a
 * batch costs two condition-variable round trips, not thread creation.
 * Protocol (all under the one mutex):
 *   - pool_run stores the job (n, fn, ctx), sets pending = threads - 1,
 *     bumps the generation counter and broadcasts `go`;
 *   - a worker waits until the generation differs from the last one it
 *     ran, runs its slice outside the lock, then decrements pending and
 *     signals `done` when it reaches zero;
 *   - the caller runs slice 0 itself, then waits for pending == 0.
 * The job fields are written before the generation bump and read after a
 * worker has seen the bump under the same mutex, so they need no atomics;
 * the mutex also orders each worker's writes before pool_run returns.
 * Slices are contiguous and fixed by (n, threads) alone: which thread
 * handles which item never depends on timing.  One pool_run at a time per
 * pool (the reconciler calls it from its one thread).
 */
#include "pool.h"

#include <pthread.h>
#include <unistd.h>

#include "limits.h"
#include "mem.h"

typedef struct worker {
    struct pool *p;
    unsigned k;             /* slice number, 1..threads-1 */
    pthread_t t;
} worker;

struct pool {
    unsigned threads;       /* slices per run, the caller's thread included */
    unsigned started;       /* workers running: threads - 1 once created */
    worker *w;              /* w[1..threads-1]; w[0] unused (the caller) */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen;
    unsigned pending;
    int stop;
    size_t n;
    pool_fn fn;
    void *ctx;
};

/* Slice k of [0, n) in `threads` parts; the first n % threads are one longer. */
static void slice(size_t n, unsigned threads, unsigned k, size_t *b, size_t *e)
{
    size_t per = n / threads, rem = n % threads;
    *b = k * per + (k < rem ? k : rem);
    *e = *b + per + (k < rem ? 1 : 0);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    struct pool *p = w->p;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->gen == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->stop)
            break;
        seen = p->gen;
        size_t n = p->n, b, e;
        pool_fn fn = p->fn;
        void *ctx = p->ctx;
        pthread_mutex_unlock(&p->mu);
        slice(n, p->threads, w->k, &b, &e);
        if (b < e)
            fn(ctx, b, e);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static unsigned default_threads(void)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (unsigned)(c < AB_MAX_THREADS ? c : AB_MAX_THREADS) : 1u;
}

static int sync_init(pool *p)
{
    if (pthread_mutex_init(&p->mu, NULL) != 0)
        return AB_E_NOMEM;
    if (pthread_cond_init(&p->go, NULL) != 0)
        goto fail_go;
    if (pthread_cond_init(&p->done, NULL) != 0)
        goto fail_done;
    return AB_OK;
fail_done:
    pthread_cond_destroy(&p->go);
fail_go:
    pthread_mutex_destroy(&p->mu);
    return AB_E_NOMEM;
}

int pool_create(pool **out, unsigned threads)
{
    if (threads == 0)
        threads = default_threads();
    if (threads > AB_MAX_THREADS)
        threads = AB_MAX_THREADS;
    pool *p = mem_calloc(1, sizeof *p);
    if (!p)
        return AB_E_NOMEM;
    p->threads = threads;
    if (sync_init(p) < 0) {
        mem_free(p);
        return AB_E_NOMEM;
    }
    int rc = AB_E_NOMEM;
    if (threads > 1 && !(p->w = mem_calloc(threads, sizeof *p->w)))
        goto cleanup;
    for (unsigned k = 1; k < threads; k++) {
        p->w[k].p = p;
        p->w[k].k = k;
        if (pthread_create(&p->w[k].t, NULL, worker_main, &p->w[k]) != 0)
            goto cleanup;
        p->started++;
    }
    *out = p;
    return AB_OK;
cleanup:
    pool_destroy(p); /* joins the workers that did start */
    return rc;
}

void pool_run(pool *p, size_t n, pool_fn fn, void *ctx)
{
    if (n == 0)
        return;
    if (p->threads == 1 || n == 1) {
        fn(ctx, 0, n);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->n = n;
    p->fn = fn;
    p->ctx = ctx;
    p->pending = p->threads - 1;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    size_t b, e;
    slice(n, p->threads, 0, &b, &e);
    fn(ctx, b, e); /* slice 0 is never empty: n >= 2 > 0 */
    pthread_mutex_lock(&p->mu);
    while (p->pending)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

unsigned pool_threads(const pool *p)
{
    return p->threads;
}

void pool_destroy(pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (unsigned k = 1; k <= p->started; k++)
        pthread_join(p->w[k].t, NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    mem_free(p->w);
    mem_free(p);
}
