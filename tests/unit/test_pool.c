/*
 * test_pool.c - fork-join: the slices cover [0, n) exactly once for any
 * thread count, including n smaller than the pool and n = 0, and the sum
 * over the chunks is the same for every thread count; the caller helps.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "../../engine/limits.h"
#include "../../engine/pool.h"

#define N_MAX 10007u

typedef struct job {
    atomic_uchar hits[N_MAX];
    atomic_ullong sum;
    atomic_uint calls;
} job;

static void work(void *ctx, size_t b, size_t e)
{
    job *j = ctx;
    cr_assert_lt(b, e, "no empty slices are handed out");
    unsigned long long s = 0;
    for (size_t i = b; i < e; i++) {
        atomic_fetch_add(&j->hits[i], 1);
        s += i * i + 1;
    }
    atomic_fetch_add(&j->sum, s);
    atomic_fetch_add(&j->calls, 1);
}

static unsigned long long expected(size_t n)
{
    unsigned long long s = 0;
    for (size_t i = 0; i < n; i++)
        s += i * i + 1;
    return s;
}

Test(pool, slices_cover_once_and_sums_agree)
{
    static job j;
    unsigned threads[] = {1, 2, 3, 8};
    size_t sizes[] = {0, 1, 2, 5, 7, 8, 9, 1000, N_MAX};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        pool *p;
        cr_assert_eq(pool_create(&p, threads[t]), AB_OK);
        cr_assert_eq(pool_threads(p), threads[t]);
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            for (int round = 0; round < 5; round++) {
                memset(&j, 0, sizeof j);
                pool_run(p, n, work, &j);
                cr_assert_eq(atomic_load(&j.sum), expected(n), "t=%u n=%zu", threads[t], n);
                unsigned calls = atomic_load(&j.calls);
                cr_assert(n == 0 ? calls == 0 : calls >= 1 && calls <= n, "t=%u n=%zu", threads[t], n);
                for (size_t i = 0; i < N_MAX; i++)
                    cr_assert_eq(atomic_load(&j.hits[i]), i < n ? 1 : 0, "t=%u n=%zu i=%zu",
                                 threads[t], n, i);
            }
        }
        pool_destroy(p);
    }
}

Test(pool, default_is_the_cores_capped)
{
    pool *p;
    cr_assert_eq(pool_create(&p, 0), AB_OK);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned want = cores > (long)AB_MAX_THREADS ? AB_MAX_THREADS : (unsigned)(cores > 0 ? cores : 1);
    cr_assert_eq(pool_threads(p), want);
    pool_destroy(p);
    cr_assert_eq(pool_create(&p, 1000), AB_OK);
    cr_assert_eq(pool_threads(p), AB_MAX_THREADS);
    pool_destroy(p);
    pool_destroy(NULL);
}

Test(pool, start_wait_leaves_the_caller_free)
{
    static job j;
    pool *p;
    cr_assert_eq(pool_create(&p, 3), AB_OK);
    pool_wait(p); /* nothing started: returns at once */
    for (int round = 0; round < 20; round++) {
        memset(&j, 0, sizeof j);
        size_t n = (size_t)round * 499 % N_MAX;
        pool_start(p, n, work, &j);
        unsigned long long mine = expected(n); /* the caller works meanwhile */
        pool_wait(p);
        cr_assert_eq(atomic_load(&j.sum), mine, "n=%zu", n);
    }
    pool_start(p, 0, work, &j);
    pool_wait(p);
    pool_destroy(p);
}

Test(pool, start_work_then_wait_covers_once)
{
    /* pool_start, other work on the caller's thread, then pool_wait (where
     * the caller joins in): every item once, also with no worker at all. */
    static job j;
    for (unsigned t = 1; t <= 3; t++) {
        pool *p;
        cr_assert_eq(pool_create(&p, t), AB_OK);
        for (size_t n = 0; n < 3000; n += 977) {
            memset(&j, 0, sizeof j);
            pool_start(p, n, work, &j);
            usleep(100);
            pool_wait(p);
            cr_assert_eq(atomic_load(&j.sum), expected(n), "t=%u n=%zu", t, n);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(atomic_load(&j.hits[i]), 1, "t=%u n=%zu i=%zu", t, n, i);
        }
        pool_destroy(p);
    }
}
