/*
 * pool.c - worker threads for fork-join batches; see pool.h.
 *
 * A pool of `threads` has threads - 1 worker threads: the caller is the
 * last one.  A run hands out [0, n) in chunks from an atomic cursor; the
 * workers start at pool_start, the caller joins in pool_wait once it is
 * free.  So reconcile can apply batch i on its own thread while the
 * workers scan batch i+1, and then help finish that scan: with 2 threads
 * both cores stay busy instead of a third thread competing for them.
 * Which thread handles which item depends on timing; callers must (and
 * do) make each item's result depend on the item alone.
 */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "limits.h"
#include "mem.h"

struct pool;

typedef struct worker {
    struct pool *p;
    unsigned k;
    pthread_t t;
} worker;

struct pool {
    unsigned threads, nworkers, started;
    worker *w;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen;
    unsigned pending;
    int stop;
    size_t n, grain;
    _Atomic size_t next;
    pool_fn fn;
    void *ctx;
};

/* Runs chunks of the current run until none is left. */
static void take(struct pool *p)
{
    for (;;) {
        size_t b = atomic_fetch_add_explicit(&p->next, p->grain, memory_order_relaxed);
        if (b >= p->n)
            return;
        size_t e = p->n - b < p->grain ? p->n : b + p->grain;
        p->fn(p->ctx, b, e);
    }
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
        pthread_mutex_unlock(&p->mu);
        take(p);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int pool_create(pool **out, unsigned threads)
{
    if (threads == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        threads = c > 0 ? (unsigned)c : 1;
    }
    if (threads > AB_MAX_THREADS)
        threads = AB_MAX_THREADS;
    pool *p = mem_calloc(1, sizeof *p);
    if (!p)
        return AB_E_NOMEM;
    p->threads = threads;
    p->nworkers = threads - 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    if (!(p->w = mem_calloc(threads, sizeof *p->w))) { /* threads >= 1: never empty */
        pool_destroy(p);
        return AB_E_NOMEM;
    }
    for (unsigned k = 0; k < p->nworkers; k++) {
        p->w[k].p = p;
        p->w[k].k = k;
        if (pthread_create(&p->w[k].t, NULL, worker_main, &p->w[k]) != 0) {
            pool_destroy(p);
            return AB_E_NOMEM;
        }
        p->started++;
    }
    *out = p;
    return AB_OK;
}

void pool_start(pool *p, size_t n, pool_fn fn, void *ctx)
{
    pthread_mutex_lock(&p->mu);
    /* Chunks small enough to balance, large enough for the scan's
     * prefetch groups (a multiple of 16) and to keep the cursor cold. */
    size_t g = n / ((size_t)p->threads * 8);
    g = g < 16 ? 16 : g > 1024 ? 1024 : (g + 15) & ~(size_t)15;
    p->n = n;
    p->grain = g;
    atomic_store(&p->next, 0);
    p->fn = fn;
    p->ctx = ctx;
    p->pending = p->nworkers;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
}

void pool_wait(pool *p)
{
    take(p);
    pthread_mutex_lock(&p->mu);
    while (p->pending)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void pool_run(pool *p, size_t n, pool_fn fn, void *ctx)
{
    if (n == 0)
        return;
    pool_start(p, n, fn, ctx);
    pool_wait(p);
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
    for (unsigned k = 0; k < p->started; k++)
        pthread_join(p->w[k].t, NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    mem_free(p->w);
    mem_free(p);
}
