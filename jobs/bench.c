/*
 * bench.c - `abgleich bench quality`: how good is automatic matching?
 *
 * Generates a labelled dataset (engine/gen.h) or reads one (--data DIR),
 * builds the claim index from its tickets, runs every statement payment
 * through matcher_scan and matcher_apply in statement order, exactly as
 * reconcile does but without a database, and compares each decision with
 * the answer key:
 *   precision  allocations to a claim the payment was meant for / all
 *              automatic allocations (a wrong one duns an innocent citizen);
 *   recall     payments the rules can place (placeable=1) that were placed
 *              on a claim they were meant for / all placeable payments;
 *   top-3      clarifications of payments meant for a claim whose ranked
 *              candidates include it / all such clarifications.
 * Ratios are printed in per mille with integer arithmetic.
 *
 * `abgleich bench match [--claims N] [--payments M]` measures the matcher
 * alone: an index of N claims, M payments written the ways citizens write
 * (3 % with a typo), scan on 1 and 2 threads, apply on one; rates are
 * measurements, so they are floating point (never money).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/gen.h"
#include "../engine/log.h"
#include "../engine/matcher.h"
#include "../engine/mem.h"
#include "../engine/pool.h"
#include "../formats/camt.h"
#include "../formats/jsonw.h"
#include "../formats/tickets.h"
#include "benchparse.h"
#include "cli.h"

typedef struct per_case {
    char name[24];
    int64_t total, placed, wrong;
} per_case;

typedef struct quality {
    claimidx *ix;
    matcher_cfg cfg;
    FILE *key;
    int64_t allocs, wrong, placeable, placed, clar_meant, top3;
    per_case cases[GEN_CASE_COUNT];
    int ncases;
    int rc;
} quality;

static int add_ticket(void *ctx, const ticket *t)
{
    quality *q = ctx;
    uint32_t slot;
    int rc = claimidx_insert(q->ix, t->reference, strlen(t->reference), (int64_t)t->line,
                             t->amount_cents, t->amount_cents, (int32_t)(t->offense_time / 86400) + 7,
                             &slot);
    char plate[PLATE_MAX];
    size_t pn = plate_normalise(t->plate, strlen(t->plate), plate);
    if (rc == AB_OK && pn)
        rc = claimidx_set_plate(q->ix, slot, plate, pn);
    return rc;
}

static int bad_ticket(void *ctx, unsigned long line, const char *field, const char *reason)
{
    log_error("tickets.csv:%lu: %s: %s", line, field, reason);
    return AB_E_PARSE;
}

static int load_tickets(quality *q, const char *path, size_t count)
{
    int rc = claimidx_create(&q->ix, count);
    tickets_sink sink = {.ctx = q, .on_ticket = add_ticket, .on_reject = bad_ticket};
    tickets_reader *r = NULL;
    FILE *f = fopen(path, "rb");
    char *buf = mem_alloc(1 << 16);
    if (rc == AB_OK)
        rc = tickets_reader_create(&r, &sink, q->cfg.scheme);
    if (rc == AB_OK && (!f || !buf))
        rc = AB_E_IO;
    size_t n = 0;
    do {
        if (rc == AB_OK)
            n = fread(buf, 1, 1 << 16, f);
        if (rc == AB_OK)
            rc = tickets_reader_feed(r, buf, n, n < (1 << 16));
    } while (rc == AB_OK && n == (1 << 16));
    tickets_reader_destroy(r);
    mem_free(buf);
    if (f)
        fclose(f);
    return rc;
}

static per_case *case_of(quality *q, const char *name)
{
    for (int i = 0; i < q->ncases; i++)
        if (!strcmp(q->cases[i].name, name))
            return &q->cases[i];
    if (q->ncases == GEN_CASE_COUNT)
        return &q->cases[0];
    per_case *c = &q->cases[q->ncases++];
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

/* Is the claim in slot one of the space-separated references meant? */
static int meant(const claimidx *ix, uint32_t slot, const char *refs)
{
    size_t n;
    const char *r = claimidx_reference(ix, slot, &n);
    for (const char *p = refs; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && !memcmp(p, r, n))
            return 1;
        p += len + (p[len] == ' ');
    }
    return 0;
}

static void judge(quality *q, const payment *p, const match_scan *sc, const match_result *m,
                  const char *kase, const char *refs, int placeable)
{
    per_case *c = case_of(q, kase);
    c->total++;
    int hit = 0;
    for (unsigned i = 0; i < m->n_allocs; i++) {
        q->allocs++;
        if (meant(q->ix, m->allocs[i].slot, refs)) {
            hit = 1;
        } else {
            q->wrong++;
            c->wrong++;
        }
    }
    if (placeable) {
        q->placeable++;
        q->placed += hit;
    }
    c->placed += hit;
    if (!m->n_allocs && m->outcome == MATCH_CLARIFY && *refs) {
        q->clar_meant++;
        for (unsigned i = 0; i < m->n_cands; i++)
            if (meant(q->ix, m->cands[i].slot, refs)) {
                q->top3++;
                break;
            }
    }
}

static int on_payment(void *ctx, const statement *st, const payment *p)
{
    quality *q = ctx;
    char line[512];
    if (!fgets(line, sizeof line, q->key))
        return AB_E_PARSE;
    /* end_to_end_id,case,references,amount_cents,placeable */
    char *f[5] = {line};
    for (int i = 1; i < 5; i++) {
        char *comma = f[i - 1] ? strchr(f[i - 1], ',') : NULL;
        if (!comma)
            return AB_E_PARSE;
        *comma = '\0';
        f[i] = comma + 1;
    }
    if (strcmp(f[0], p->end_to_end_id))
        return AB_E_PARSE; /* the key is out of step with the statement */
    match_scan sc;
    match_result m;
    matcher_scan(&q->cfg, q->ix, p, &sc);
    matcher_apply(q->ix, p, &sc, &m);
    if (m.outcome != MATCH_SKIPPED && m.reason != MR_REVERSAL)
        judge(q, p, &sc, &m, f[1], f[2], f[4][0] == '1');
    return AB_OK;
}

static int64_t permille(int64_t a, int64_t b)
{
    return b ? a * 1000 / b : 1000;
}

static void report(const cli_opts *o, const quality *q)
{
    int64_t prec = permille(q->allocs - q->wrong, q->allocs), rec = permille(q->placed, q->placeable),
            top = permille(q->top3, q->clar_meant);
    if (o->json) {
        jsonw w;
        jsonw_init(&w, stdout);
        jsonw_obj_begin(&w);
        jsonw_kint(&w, "allocations", q->allocs);
        jsonw_kint(&w, "wrong_allocations", q->wrong);
        jsonw_kint(&w, "precision_permille", prec);
        jsonw_kint(&w, "placeable", q->placeable);
        jsonw_kint(&w, "placed", q->placed);
        jsonw_kint(&w, "recall_permille", rec);
        jsonw_kint(&w, "clarifications_with_intended_claim", q->clar_meant);
        jsonw_kint(&w, "top3_permille", top);
        jsonw_obj_end(&w);
        return;
    }
    printf("automatic allocations  %8lld, wrong %lld: precision %lld.%lld %%\n",
           (long long)q->allocs, (long long)q->wrong, (long long)(prec / 10), (long long)(prec % 10));
    printf("placeable payments     %8lld, placed %lld: recall %lld.%lld %%\n",
           (long long)q->placeable, (long long)q->placed, (long long)(rec / 10), (long long)(rec % 10));
    printf("clarifications meant for a claim %lld, intended claim among the top 3: %lld.%lld %%\n",
           (long long)q->clar_meant, (long long)(top / 10), (long long)(top % 10));
    printf("\n%-20s %8s %8s %8s\n", "case", "payments", "placed", "wrong");
    for (int i = 0; i < q->ncases; i++)
        printf("%-20s %8lld %8lld %8lld\n", q->cases[i].name, (long long)q->cases[i].total,
               (long long)q->cases[i].placed, (long long)q->cases[i].wrong);
}

static int quality_run(const cli_opts *o, const char *dir, size_t tickets)
{
    quality q = {.cfg = {.scheme = o->scheme}};
    char p[1024];
    snprintf(p, sizeof p, "%s/tickets.csv", dir);
    int rc = load_tickets(&q, p, tickets);
    snprintf(p, sizeof p, "%s/answer_key.csv", dir);
    if (rc == AB_OK && !(q.key = fopen(p, "r")))
        rc = AB_E_IO;
    char skip[256];
    if (rc == AB_OK && !fgets(skip, sizeof skip, q.key))
        rc = AB_E_PARSE;
    if (rc == AB_OK) {
        camt_sink sink = {.ctx = &q, .on_payment = on_payment};
        char err[512];
        snprintf(p, sizeof p, "%s/statement.xml", dir);
        rc = camt_read_file(p, &sink, err, sizeof err);
        if (rc < 0)
            log_error("%s", err);
    }
    if (rc == AB_OK)
        report(o, &q);
    if (q.key)
        fclose(q.key);
    claimidx_destroy(q.ix);
    return rc;
}

/* --- bench match: the matcher's speed without I/O ------------------------- */

typedef struct mbench {
    claimidx *ix;
    matcher_cfg cfg;
    payment *pays;
    match_scan *scans;
} mbench;

static void scan_slice(void *ctx, size_t b, size_t e)
{
    mbench *m = ctx;
    matcher_scan_many(&m->cfg, m->ix, m->pays + b, m->scans + b, e - b);
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void bench_ref(enum cd_scheme s, uint64_t k, char out[16])
{
    char cd[2];
    snprintf(out, 16, "4%010llu", (unsigned long long)(k + 1));
    if (cd_compute(s, out, 11, cd) == 1) {
        out[11] = cd[0];
        out[12] = '\0';
    }
}

static int build_claims(mbench *m, size_t n)
{
    int rc = claimidx_create(&m->ix, n);
    char ref[16];
    for (size_t k = 0; k < n && rc == AB_OK; k++) {
        uint32_t slot;
        bench_ref(m->cfg.scheme, k, ref);
        rc = claimidx_insert(m->ix, ref, strlen(ref), (int64_t)k, 2500, 2500, 0, &slot);
    }
    return rc;
}

/* Payments as citizens write them; 3 % with a typo.  Texts live in one
 * block of 64 bytes per payment. */
static int build_payments(mbench *m, size_t n, size_t claims, char **texts)
{
    const char *tp = getenv("ABGLEICH_BENCH_TYPO_PCT");
    int typo_pct = tp ? atoi(tp) : 3;
    m->pays = mem_calloc(n, sizeof *m->pays);
    m->scans = mem_calloc(2 * AB_MATCH_BATCH, sizeof *m->scans);
    *texts = mem_alloc(n * 64);
    if (!m->pays || !m->scans || !*texts)
        return AB_E_NOMEM;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char ref[16], *t = *texts + i * 64;
        bench_ref(m->cfg.scheme, x % claims, ref);
        if (x % 100 < (uint64_t)typo_pct)
            ref[3] = (char)('0' + (ref[3] - '0' + 1) % 10);
        if (x % 3 == 1)
            snprintf(t, 64, "KZ %.4s %.4s %s", ref, ref + 4, ref + 8);
        else if (x % 3 == 2)
            snprintf(t, 64, "Verwarnung %s danke", ref);
        else
            snprintf(t, 64, "%s", ref);
        m->pays[i] = (payment){.amount_cents = 2500, .direction = 'C', .status = "BOOK",
                               .remittance = t, .creditor_ref = "", .end_to_end_id = "",
                               .entry_info = "", .acct_svcr_ref = "", .debtor_name = ""};
    }
    return AB_OK;
}

static void apply_batch(mbench *m, const payment *pays, const match_scan *scans, size_t k,
                        int64_t *allocated)
{
    for (size_t i = 0; i < k; i++) {
        match_result r;
        if (i + MATCH_APPLY_AHEAD < k)
            matcher_prefetch_apply(m->ix, &scans[i + MATCH_APPLY_AHEAD]);
        matcher_apply(m->ix, &pays[i], &scans[i], &r);
        *allocated += r.n_allocs;
    }
}

/* The reconcile loop without I/O: batches of AB_MATCH_BATCH; the workers
 * scan batch i+1 while this thread applies batch i in order.  Returns
 * payments per second. */
static double pipeline(mbench *m, pool *p, size_t n, int64_t *allocated)
{
    double t0 = seconds();
    mbench cur = *m, prev = *m;
    size_t prev_k = 0;
    for (size_t b = 0, half = 0; b < n; b += AB_MATCH_BATCH, half ^= 1) {
        size_t k = n - b < AB_MATCH_BATCH ? n - b : AB_MATCH_BATCH;
        cur.pays = m->pays + b;
        cur.scans = m->scans + half * AB_MATCH_BATCH;
        pool_start(p, k, scan_slice, &cur);
        if (prev_k)
            apply_batch(m, prev.pays, prev.scans, prev_k, allocated);
        pool_wait(p);
        prev = cur;
        prev_k = k;
    }
    if (prev_k)
        apply_batch(m, prev.pays, prev.scans, prev_k, allocated);
    return (double)n / (seconds() - t0);
}

/* The scaling curve: 1, 2, ... threads (the caller's thread counts: with
 * 2, one worker scans while the caller applies, then helps scanning). */
static int match_run(const cli_opts *o, size_t claims, size_t n)
{
    mbench m = {.cfg = {.scheme = o->scheme}};
    char *texts = NULL;
    unsigned tmax = o->threads ? o->threads : 2;
    if (tmax > AB_MAX_THREADS)
        tmax = AB_MAX_THREADS;
    double rate[AB_MAX_THREADS + 1] = {0}, build = 0;
    int64_t allocated = 0;
    int rc = build_payments(&m, n, claims, &texts);
    for (unsigned t = 1; t <= tmax && rc == AB_OK; t++) {
        pool *p = NULL;
        double t0 = seconds();
        claimidx_destroy(m.ix); /* every run starts from unpaid claims */
        m.ix = NULL;
        rc = build_claims(&m, claims);
        build = seconds() - t0;
        if (rc == AB_OK)
            rc = pool_create(&p, t);
        allocated = 0;
        if (rc == AB_OK)
            rate[t] = pipeline(&m, p, n, &allocated);
        pool_destroy(p);
    }
    if (rc == AB_OK) {
        printf("{\"claims\":%zu,\"payments\":%zu,\"index_build_s\":%.2f,\"bytes_per_claim\":%zu,"
               "\"match_per_s\":{",
               claims, n, build, claimidx_bytes(m.ix) / claims);
        for (unsigned t = 1; t <= tmax; t++)
            printf("%s\"%u\":%.0f", t > 1 ? "," : "", t, rate[t]);
        printf("},\"speedup_max_vs_1\":%.2f,\"allocated\":%lld}\n", rate[tmax] / rate[1],
               (long long)allocated);
    }
    claimidx_destroy(m.ix);
    mem_free(m.pays);
    mem_free(m.scans);
    mem_free(texts);
    return rc;
}

int job_bench(const cli_opts *o, int argc, char **argv)
{
    uint64_t tickets = 100000, seed = 1, claims = 10000000, payments = 1000000, rows = 0;
    uint64_t rounds = 1;
    const char *data = NULL;
    if (argc >= 2 && !strcmp(argv[1], "parse")) {
        int rc = bench_parse(o, argc - 2, argv + 2);
        if (rc != AB_E_USAGE)
            return rc;
        goto usage;
    }
    int match = argc >= 2 && !strcmp(argv[1], "match");
    int sink = argc >= 2 && !strcmp(argv[1], "sink");
    int nightly = argc >= 2 && !strcmp(argv[1], "nightly");
    if (argc < 2 || (strcmp(argv[1], "quality") && !match && !sink && !nightly) || argc % 2)
        goto usage;
    for (int i = 2; i + 1 < argc; i += 2) {
        uint64_t v = strtoull(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--tickets"))
            tickets = v;
        else if (!strcmp(argv[i], "--seed"))
            seed = v;
        else if (!strcmp(argv[i], "--claims"))
            claims = v;
        else if (!strcmp(argv[i], "--payments"))
            payments = v;
        else if (sink && !strcmp(argv[i], "--rows"))
            rows = v;
        else if (sink && !strcmp(argv[i], "--rounds"))
            rounds = v;
        else if (nightly && !strcmp(argv[i], "--dir"))
            data = argv[i + 1];
        else if (!strcmp(argv[i], "--data"))
            data = argv[i + 1];
        else
            goto usage;
    }
    if (nightly) {
        nightly_args na = {.claims = claims, .payments = payments, .threads = o->threads,
                           .dir = data};
        if (claims == 0 || payments == 0 || payments > claims)
            goto usage;
        return bench_nightly(o, &na);
    }
    if (sink) {
        if (rows == 0 || rounds == 0 || rounds > 100)
            goto usage;
        return bench_sink(o, rows, (int)rounds);
    }
    if (match)
        return claims && payments ? match_run(o, (size_t)claims, (size_t)payments) : AB_E_USAGE;
    if (tickets == 0)
        goto usage;
    char tmp[] = "/tmp/abgleich-quality-XXXXXX";
    if (!data) {
        if (!mkdtemp(tmp))
            return AB_E_IO;
        gen_opts g = {.out_dir = tmp, .tickets = tickets, .seed = seed, .scheme = o->scheme,
                      .date = "2026-11-20"};
        gen_result r;
        int rc = gen_dataset(&g, &r);
        if (rc < 0)
            return rc;
        data = tmp;
    }
    int rc = quality_run(o, data, (size_t)tickets);
    if (data == tmp) {
        char path[64];
        const char *files[] = {"tickets.csv", "statement.xml", "answer_key.csv"};
        for (size_t i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/%s", tmp, files[i]);
            remove(path);
        }
        remove(tmp);
    }
    return rc;
usage:
    fprintf(stderr, "usage: abgleich bench quality [--tickets N] [--seed S] [--data DIR]\n"
                    "       abgleich [--threads T] bench match [--claims N] [--payments M]\n"
                    "       abgleich [--json] bench parse FILE...\n"
                    "       abgleich [--db CONNINFO] [--json] bench sink --rows N [--rounds R]\n"
                    "       abgleich [--db CONNINFO] [--threads T] [--json] bench nightly [--claims N]\n"
                    "                [--payments M] [--dir GEN_OUTPUT]\n");
    return AB_E_USAGE;
}
