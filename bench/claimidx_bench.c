/*
 * claimidx_bench.c - claim index: build time, lookups per second, memory.
 *
 * Build and run standalone from the repository root (the Makefile target
 * build/rel/claimidx_bench builds the same thing against libabgleich.a):
 *
 *   gcc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -pthread -O2 -g \
 *       -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
 *       -Wformat=2 -Wundef -Wno-unused-parameter $(pkg-config --cflags libxxhash) \
 *       -o build/claimidx_bench bench/claimidx_bench.c engine/claimidx.c \
 *       engine/pool.c engine/checkdigit.c engine/mem.c $(pkg-config --libs libxxhash)
 *   build/claimidx_bench [N]        (default N = 10000000)
 *
 * What it does: draws N distinct random 12-digit Kassenzeichen ("4" + 10
 * random digits + ISO 7064 MOD 11,10 check digit), inserts them (build
 * time), then looks every one up once in a shuffled order (hits) and N
 * absent ones ("7..." prefix, same shape; misses), on 1 and on 2 threads of
 * the engine's pool.  Shuffling matters: looking keys up in insertion order
 * would walk the record array sequentially and hide its cache misses.  Each
 * rate is the best of REPS runs (the machine is shared and noisy).  Prints
 * one JSON object on stdout; exits 1 if a hit is missing or a miss found.
 * Rates are floating point: they are measurements, not money.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/checkdigit.h"
#include "../engine/claimidx.h"
#include "../engine/mem.h"
#include "../engine/pool.h"

#define REF_LEN 12u
#define REPS 3

typedef struct job {
    const claimidx *ix;
    const char *keys;       /* n references of REF_LEN bytes, back to back */
    atomic_size_t found;
} job;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* lead digit + 10 random digits + check digit into out[0..12). */
static void make_ref(char *out, char lead, uint64_t *rng)
{
    char body[16], cd[2];
    snprintf(body, sizeof body, "%c%010llu", lead,
             (unsigned long long)(splitmix(rng) % 10000000000u));
    if (cd_compute(CD_ISO7064_11_10, body, REF_LEN - 1, cd) != 1)
        cd[0] = '0'; /* MOD 11,10 always has a check digit; keeps the shape */
    memcpy(out, body, REF_LEN - 1);
    out[REF_LEN - 1] = cd[0];
}

static void lookup_slice(void *ctx, size_t b, size_t e)
{
    job *j = ctx;
    size_t f = 0;
    for (size_t i = b; i < e; i++)
        f += claimidx_find(j->ix, j->keys + i * REF_LEN, REF_LEN) != CLAIMIDX_NONE;
    atomic_fetch_add(&j->found, f);
}

/* Best rate over REPS runs; *found is what the last run found. */
static double rate(pool *p, job *j, size_t n, size_t *found)
{
    double best = 0;
    for (int r = 0; r < REPS; r++) {
        atomic_store(&j->found, 0);
        double t0 = now();
        pool_run(p, n, lookup_slice, j);
        double dt = now() - t0;
        if (dt > 0 && (double)n / dt > best)
            best = (double)n / dt;
    }
    *found = atomic_load(&j->found);
    return best;
}

/* Fisher-Yates over whole references: the lookup loop then reads its keys
 * sequentially while the index is hit in random order. */
static void shuffle(char *keys, size_t n, uint64_t *rng)
{
    char t[REF_LEN];
    for (size_t i = n; i > 1; i--) {
        size_t k = (size_t)(splitmix(rng) % i);
        memcpy(t, keys + (i - 1) * REF_LEN, REF_LEN);
        memcpy(keys + (i - 1) * REF_LEN, keys + k * REF_LEN, REF_LEN);
        memcpy(keys + k * REF_LEN, t, REF_LEN);
    }
}

static int build(claimidx *ix, char *hits, size_t n, uint64_t *rng, double *secs)
{
    for (size_t i = 0; i < n; i++)
        make_ref(hits + i * REF_LEN, '4', rng);
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        uint32_t slot;
        int rc;
        /* Redraw on a duplicate (about n^2 / 2e10 of them): the index must
         * hold n distinct claims. */
        while ((rc = claimidx_insert(ix, hits + i * REF_LEN, REF_LEN, (int64_t)i, 2500, 2500,
                                     0, &slot)) == AB_E_DUP)
            make_ref(hits + i * REF_LEN, '4', rng);
        if (rc < 0)
            return rc;
    }
    *secs = now() - t0;
    return AB_OK;
}

static int measure(const claimidx *ix, char *hits, char *miss, size_t n)
{
    printf(",\"bytes_per_claim\":%.1f", (double)claimidx_bytes(ix) / (double)n);
    for (unsigned t = 1; t <= 2; t++) {
        pool *p;
        if (pool_create(&p, t) < 0)
            return AB_E_NOMEM;
        job jh = {.ix = ix, .keys = hits}, jm = {.ix = ix, .keys = miss};
        size_t fh, fm;
        double rh = rate(p, &jh, n, &fh), rm = rate(p, &jm, n, &fm);
        pool_destroy(p);
        if (fh != n || fm != 0) {
            fprintf(stderr, "claimidx_bench: %zu of %zu hits, %zu false hits\n", fh, n, fm);
            return AB_E_INVAL;
        }
        printf(",\"hits_per_s_%ut\":%.0f,\"misses_per_s_%ut\":%.0f", t, rh, t, rm);
    }
    return AB_OK;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000u;
    uint64_t rng = 20261122;
    int rc = AB_E_NOMEM;
    claimidx *ix = NULL;
    char *hits = mem_alloc(n * REF_LEN + 1), *miss = mem_alloc(n * REF_LEN + 1);
    if (n == 0 || !hits || !miss || claimidx_create(&ix, n) < 0)
        goto cleanup;
    double secs;
    if ((rc = build(ix, hits, n, &rng, &secs)) < 0)
        goto cleanup;
    for (size_t i = 0; i < n; i++)
        make_ref(miss + i * REF_LEN, '7', &rng);
    shuffle(hits, n, &rng);
    printf("{\"bench\":\"claimidx\",\"claims\":%zu,\"build_s\":%.3f,\"inserts_per_s\":%.0f", n,
           secs, secs > 0 ? (double)n / secs : 0.0);
    rc = measure(ix, hits, miss, n);
    printf("}\n");
cleanup:
    if (rc < 0)
        fprintf(stderr, "claimidx_bench: %s\n", rc == AB_E_NOMEM ? "out of memory" : "failed");
    claimidx_destroy(ix);
    mem_free(hits);
    mem_free(miss);
    return rc < 0 ? 1 : 0;
}
