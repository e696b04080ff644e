/*
 * pool.c - worker threads for fork-join batches; see pool.h.
 *
 * The pool owns `threads` worker threads; worker k always takes slice k of
 * [0, n), so which thread handles which item never depends on timing.  A
 * run bumps a generation counter under the mutex and wakes the workers;
 * pool_wait sleeps until every worker has reported the generation done.
 * Because the caller's thread does no slice, it is free between
 * pool_start and pool_wait: reconcile applies the previous batch there
 * while the workers scan the next one.
 */
#include "pool.h"

#include <pthread.h>
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
    unsigned threads, started;
    worker *w;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen;
    unsigned pending;
    int stop;
    size_t n;
    pool_fn fn;
    void *ctx;
};

static void slice(const struct pool *p, unsigned k, size_t *b, size_t *e)
{
    size_t per = p->n / p->threads, rem = p->n % p->threads;
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
        pthread_mutex_unlock(&p->mu);
        size_t b, e;
        slice(p, w->k, &b, &e);
        if (b < e)
            p->fn(p->ctx, b, e);
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
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    if (!(p->w = mem_calloc(threads, sizeof *p->w))) {
        pool_destroy(p);
        return AB_E_NOMEM;
    }
    for (unsigned k = 0; k < threads; k++) {
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
    p->n = n;
    p->fn = fn;
    p->ctx = ctx;
    p->pending = p->threads;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
}

void pool_wait(pool *p)
{
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
