/*
 * test_pool.c - fork-join slices cover [0, n) exactly once for any thread
 * count, including n smaller than the pool.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <string.h>

#include "../../engine/pool.h"

static unsigned char hits[10007];

static void mark(void *ctx, size_t b, size_t e)
{
    for (size_t i = b; i < e; i++)
        hits[i]++;
}

Test(pool, slices_cover_once)
{
    unsigned threads[] = {1, 2, 3, 8};
    size_t sizes[] = {0, 1, 2, 5, 10007};
    for (size_t t = 0; t < 4; t++) {
        pool *p;
        cr_assert_eq(pool_create(&p, threads[t]), AB_OK);
        cr_assert_eq(pool_threads(p), threads[t]);
        for (size_t k = 0; k < 5; k++) {
            for (int round = 0; round < 3; round++) {
                memset(hits, 0, sizeof hits);
                pool_run(p, sizes[k], mark, NULL);
                for (size_t i = 0; i < sizeof hits; i++)
                    cr_assert_eq(hits[i], i < sizes[k] ? 1 : 0, "t=%u n=%zu i=%zu", threads[t],
                                 sizes[k], i);
            }
        }
        pool_destroy(p);
    }
}

Test(pool, default_is_the_cores)
{
    pool *p;
    cr_assert_eq(pool_create(&p, 0), AB_OK);
    cr_assert_geq(pool_threads(p), 1);
    pool_destroy(p);
}
