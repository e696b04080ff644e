/*
 * claimidx_bench.c - index lookups per second (`make bench` runs it).
 *
 * Builds a claim index of N Kassenzeichen (default 1 000 000), then looks up
 * every reference once (hits) and as many absent ones (misses), on 1 and on
 * 2 threads of the engine's pool.  Prints one JSON object.  Rates are
 * computed in floating point: they are measurements, not money.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../engine/checkdigit.h"
#include "../engine/claimidx.h"
#include "../engine/mem.h"
#include "../engine/pool.h"

typedef struct job {
    const claimidx *ix;
    const char *refs;       /* N references of 12 bytes, back to back */
    size_t n;
    size_t found[64];
} job;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void lookup_slice(void *ctx, size_t b, size_t e)
{
    job *j = ctx;
    size_t f = 0;
    for (size_t i = b; i < e; i++)
        f += claimidx_find(j->ix, j->refs + i * 12, 12) != CLAIMIDX_NONE;
    j->found[b * 64 / j->n] += f; /* one slot per slice: keeps the work observable */
}

static void make_refs(char *out, size_t n, unsigned long long salt)
{
    for (size_t i = 0; i < n; i++) {
        char body[16], cd[2];
        unsigned long long x = (i * 2654435761ull + salt) % 10000000000ull;
        snprintf(body, sizeof body, "4%010llu", x);
        if (cd_compute(CD_ISO7064_11_10, body, 11, cd) != 1)
            cd[0] = '0';
        for (int k = 0; k < 11; k++)
            out[i * 12 + k] = body[k];
        out[i * 12 + 11] = cd[0];
    }
}

static double rate(pool *p, job *j, size_t n)
{
    double t0 = now();
    pool_run(p, n, lookup_slice, j);
    return (double)n / (now() - t0);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    char *hits = mem_alloc(n * 12), *miss = mem_alloc(n * 12);
    claimidx *ix;
    if (!hits || !miss || claimidx_create(&ix, n) < 0)
        return 1;
    make_refs(hits, n, 17);
    make_refs(miss, n, 5000000017ull);
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        uint32_t s;
        if (claimidx_insert(ix, hits + i * 12, 12, (int64_t)i, 2500, 2500, 0, &s) < 0)
            return 1;
    }
    double build = now() - t0;
    printf("{\"claims\":%zu,\"build_s\":%.3f,\"bytes_per_claim\":%zu", n, build,
           claimidx_bytes(ix) / n);
    for (unsigned t = 1; t <= 2; t++) {
        pool *p;
        if (pool_create(&p, t) < 0)
            return 1;
        job jh = {.ix = ix, .refs = hits, .n = n}, jm = {.ix = ix, .refs = miss, .n = n};
        rate(p, &jh, n); /* warm the caches once */
        printf(",\"hits_per_s_%ut\":%.0f,\"misses_per_s_%ut\":%.0f", t, rate(p, &jh, n), t,
               rate(p, &jm, n));
        pool_destroy(p);
    }
    printf("}\n");
    claimidx_destroy(ix);
    mem_free(hits);
    mem_free(miss);
    return 0;
}
