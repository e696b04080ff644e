/*
 * benchio.c - the operator's bench tools that touch files and the database:
 *
 *   bench parse FILE...            per file: format, records, MB/s, records/s
 *                                  of the reader alone (no database)
 *   bench sink [--rows N]          N ledger-shaped rows through pgsink's COPY
 *                                  field calls, beside a raw COPY of the same
 *                                  rows pre-rendered, into twin bare tables,
 *                                  in the same run, twice each
 *   bench nightly [--claims N] [--payments M] [--seed S]
 *                                  end to end in this process against an empty
 *                                  database: gen, import, reconcile; the time
 *                                  of each step and the peak memory
 *
 * All print plain lines, or one JSON object with --json.  Times are integer
 * milliseconds and rates integer per second (no floats anywhere); ratios are
 * per mille.  A progress bar shows on a terminal (parse, gen, import,
 * reconcile draw their own).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../engine/gen.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/pgsink.h"
#include "../engine/progress.h"
#include "../formats/bankread.h"
#include "../formats/jsonw.h"
#include "../formats/tickets.h"
#include "../formats/winowig.h"
#include "benchio.h"
#include "fines.h"
#include "import.h"
#include "reconcile.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t per_s(int64_t n, int64_t ms)
{
    return ms > 0 ? n * 1000 / ms : n * 1000;
}

/* ---- bench parse ------------------------------------------------------ */

typedef struct pcount {
    int64_t records, rejected;
} pcount;

static int count_payment(void *ctx, const statement *st, const payment *p)
{
    ((pcount *)ctx)->records++;
    return 0;
}

static int count_ticket(void *ctx, const ticket *t)
{
    ((pcount *)ctx)->records++;
    return 0;
}

static int count_reject(void *ctx, unsigned long line, const char *field, const char *reason)
{
    ((pcount *)ctx)->rejected++;
    return 0;
}

/* Ticket files: our CSV, or a WiNOWiG XML export (by its first byte). */
static int parse_tickets(const char *path, pcount *c, const char **fmt)
{
    FILE *f = fopen(path, "rb");
    char *buf = mem_alloc(AB_READ_CHUNK);
    tickets_sink sink = {c, count_ticket, count_reject};
    tickets_reader *csv = NULL;
    winowig_reader *xml = NULL;
    int rc = f && buf ? AB_OK : AB_E_IO;
    size_t n = rc == AB_OK ? fread(buf, 1, AB_READ_CHUNK, f) : 0;
    if (rc == AB_OK && n && buf[strspn(buf, " \t\r\n\xef\xbb\xbf")] == '<') {
        *fmt = "winowig";
        rc = winowig_reader_create(&xml, &sink, CD_ISO7064_11_10, path);
    } else if (rc == AB_OK) {
        *fmt = "tickets_csv";
        rc = tickets_reader_create(&csv, &sink, CD_ISO7064_11_10);
    }
    while (rc == AB_OK) {
        bool last = n < AB_READ_CHUNK;
        rc = xml ? winowig_reader_feed(xml, buf, n, last) : tickets_reader_feed(csv, buf, n, last);
        if (last || rc < 0)
            break;
        n = fread(buf, 1, AB_READ_CHUNK, f);
    }
    tickets_reader_destroy(csv);
    winowig_reader_destroy(xml);
    mem_free(buf);
    if (f)
        fclose(f);
    return rc;
}

static int parse_one(const char *path, jsonw *w, bool json)
{
    pcount c = {0};
    char fmt[32] = "", err[256] = "";
    const char *tfmt = NULL;
    enum detect_format d = DETECT_UNKNOWN;
    int64_t t0 = now_ms();
    int rc = detect_file(path, &d);
    if (rc == AB_OK && (d == DETECT_CSV || d == DETECT_UNKNOWN)) {
        rc = parse_tickets(path, &c, &tfmt);
        snprintf(fmt, sizeof fmt, "%s", tfmt ? tfmt : "unknown");
    } else if (rc == AB_OK) {
        camt_sink sink = {.ctx = &c, .on_payment = count_payment};
        rc = bankread_path(path, &sink, NULL, NULL, fmt, sizeof fmt, err, sizeof err);
    }
    int64_t ms = now_ms() - t0;
    FILE *f = fopen(path, "rb");
    int64_t bytes = 0;
    if (f && fseek(f, 0, SEEK_END) == 0)
        bytes = ftell(f);
    if (f)
        fclose(f);
    if (rc < 0) {
        log_error("%s: %s", path, err[0] ? err : ab_strerror(rc));
        return rc;
    }
    if (json) {
        jsonw_obj_begin(w);
        jsonw_kstr(w, "file", path);
        jsonw_kstr(w, "format", fmt);
        jsonw_kint(w, "bytes", bytes);
        jsonw_kint(w, "records", c.records);
        jsonw_kint(w, "ms", ms);
        jsonw_kint(w, "kb_per_s", per_s(bytes / 1024, ms));
        jsonw_kint(w, "records_per_s", per_s(c.records, ms));
        jsonw_obj_end(w);
    } else {
        printf("%s: %s, %lld records, %lld KB in %lld ms: %lld KB/s, %lld records/s\n", path, fmt,
               (long long)c.records, (long long)(bytes / 1024), (long long)ms,
               (long long)per_s(bytes / 1024, ms), (long long)per_s(c.records, ms));
    }
    return AB_OK;
}

static int bench_parse(const cli_opts *o, int argc, char **argv)
{
    jsonw w;
    jsonw_init(&w, stdout);
    if (o->json) {
        jsonw_obj_begin(&w);
        jsonw_key(&w, "files");
        jsonw_arr_begin(&w);
    }
    int rc = AB_OK;
    for (int i = 2; i < argc; i++) {
        int frc = parse_one(argv[i], &w, o->json);
        rc = rc == AB_OK ? frc : rc;
    }
    if (o->json) {
        jsonw_arr_end(&w);
        jsonw_obj_end(&w);

    }
    return rc;
}

/* ---- bench sink ------------------------------------------------------- */

/* The columns of a ledger row as reconcile writes them. */
#define SINK_COLS "(claim_id bigint, file_id bigint, tx_seq int, amount_cents bigint," \
                  " method text, confidence smallint, explanation text)"

static void sink_row(uint64_t i, char *expl, size_t n)
{
    snprintf(expl, n, "Kassenzeichen 4%010llu im Verwendungszweck; Betrag %llu,%02llu EUR "
                      "passt zur offenen Forderung",
             (unsigned long long)i, (unsigned long long)(1000 + i % 9000) / 100,
             (unsigned long long)(1000 + i % 9000) % 100);
}

#define EXPL_CAP 160

/* The explanations are made before the clock starts, as for the raw peer:
 * what is timed is the sink, not snprintf. */
static int sink_ours(pgsink *db, uint64_t rows, const char *expls, int64_t *ms)
{
    int64_t t0 = now_ms();
    int rc = pgsink_copy_begin(db, "COPY bench_sink.ours FROM STDIN");
    for (uint64_t i = 0; rc == AB_OK && i < rows; i++) {
        const char *expl = expls + i * EXPL_CAP;
        pgsink_copy_int(db, (int64_t)(i * 7 % rows) + 1);
        pgsink_copy_int(db, 1);
        pgsink_copy_int(db, (int64_t)i);
        pgsink_copy_int(db, (int64_t)(1000 + i % 9000));
        pgsink_copy_cstr(db, "exact_reference");
        pgsink_copy_int(db, 100);
        pgsink_copy_cstr(db, expl);
        rc = pgsink_copy_end_row(db);
    }
    if (rc == AB_OK)
        rc = pgsink_copy_finish(db);
    *ms = now_ms() - t0;
    return rc;
}

/* The same rows as COPY text, rendered before the clock starts; expls
 * gets each row's explanation for the sink's run. */
static char *sink_render(uint64_t rows, size_t *len, char *expls)
{
    size_t cap = (size_t)rows * 200 + 1;
    char *buf = mem_alloc(cap);
    size_t at = 0;
    for (uint64_t i = 0; buf && i < rows; i++) {
        char *expl = expls + i * EXPL_CAP;
        sink_row(i, expl, EXPL_CAP);
        at += (size_t)snprintf(buf + at, cap - at, "%llu\t1\t%llu\t%llu\texact_reference\t100\t%s\n",
                               (unsigned long long)(i * 7 % rows) + 1, (unsigned long long)i,
                               (unsigned long long)(1000 + i % 9000), expl);
    }
    *len = at;
    return buf;
}

static int sink_raw(pgsink *db, const char *data, size_t len, int64_t *ms)
{
    int64_t t0 = now_ms();
    int rc = pgsink_copy_begin(db, "COPY bench_sink.raw FROM STDIN");
    if (rc == AB_OK)
        rc = pgsink_copy_bytes(db, data, len);
    if (rc == AB_OK)
        rc = pgsink_copy_finish(db);
    *ms = now_ms() - t0;
    return rc;
}

static int sink_tables(pgsink *db)
{
    int rc = pgsink_exec(db, "DROP SCHEMA IF EXISTS bench_sink CASCADE");
    if (rc == AB_OK)
        rc = pgsink_exec(db, "CREATE SCHEMA bench_sink");
    if (rc == AB_OK)
        rc = pgsink_exec(db, "CREATE TABLE bench_sink.ours " SINK_COLS);
    if (rc == AB_OK)
        rc = pgsink_exec(db, "CREATE TABLE bench_sink.raw " SINK_COLS);
    return rc;
}

static int bench_sink(const cli_opts *o, uint64_t rows)
{
    pgsink *db = NULL;
    size_t len = 0;
    char *data = NULL, *expls = mem_alloc((size_t)rows * EXPL_CAP);
    int64_t ours[2] = {0}, raw[2] = {0};
    int rc = pgsink_connect(&db, o->db);
    if (rc == AB_OK && (!expls || !(data = sink_render(rows, &len, expls))))
        rc = AB_E_NOMEM;
    /* Raw first, then ours, twice: neither profits alone from a warm cache. */
    for (int round = 0; rc == AB_OK && round < 2; round++) {
        rc = sink_tables(db);
        if (rc == AB_OK)
            rc = sink_raw(db, data, len, &raw[round]);
        if (rc == AB_OK)
            rc = sink_ours(db, rows, expls, &ours[round]);
    }
    if (rc == AB_OK)
        rc = pgsink_exec(db, "DROP SCHEMA bench_sink CASCADE");
    if (rc < 0)
        log_error("bench sink: %s", pgsink_error(db));
    mem_free(data);
    mem_free(expls);
    pgsink_close(db);
    if (rc < 0)
        return rc;
    int64_t best_ours = ours[0] < ours[1] ? ours[0] : ours[1];
    int64_t best_raw = raw[0] < raw[1] ? raw[0] : raw[1];
    int64_t permille = best_ours > 0 ? best_raw * 1000 / best_ours : 1000;
    if (o->json) {
        jsonw w;
        jsonw_init(&w, stdout);
        jsonw_obj_begin(&w);
        jsonw_kint(&w, "rows", (int64_t)rows);
        jsonw_kint(&w, "bytes", (int64_t)len);
        jsonw_kint(&w, "sink_ms", best_ours);
        jsonw_kint(&w, "raw_copy_ms", best_raw);
        jsonw_kint(&w, "sink_rows_per_s", per_s((int64_t)rows, best_ours));
        jsonw_kint(&w, "raw_copy_rows_per_s", per_s((int64_t)rows, best_raw));
        jsonw_kint(&w, "ratio_permille", permille);
        jsonw_obj_end(&w);

    } else {
        printf("sink: %llu rows in %lld ms (%lld rows/s); raw COPY of the same rows: %lld ms "
               "(%lld rows/s); sink speed = %lld.%01lld %% of raw COPY (best of 2 each)\n",
               (unsigned long long)rows, (long long)best_ours,
               (long long)per_s((int64_t)rows, best_ours), (long long)best_raw,
               (long long)per_s((int64_t)rows, best_raw), (long long)(permille / 10),
               (long long)(permille % 10));
    }
    return AB_OK;
}

/* ---- bench nightly ---------------------------------------------------- */

typedef struct nightly {
    int64_t gen_ms, import_ms, reconcile_ms, rss_kb;
    import_summary is;
    rec_summary rs;
} nightly;

static int nightly_empty(pgsink *db)
{
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, "SELECT count(*) FROM abgleich.claims", 0, NULL, &res);
    if (rc == AB_OK && strcmp(pgsink_result_value(res, 0, 0), "0")) {
        log_error("bench nightly wants an empty database (abgleich pg start, init); this one "
                  "has %s claims", pgsink_result_value(res, 0, 0));
        rc = AB_E_INVAL;
    }
    pgsink_result_free(res);
    return rc;
}

static int nightly_db(const cli_opts *o, const char *dir, nightly *n)
{
    char path[PATH_MAX];
    pgsink *db = NULL;
    reconciler *r = NULL;
    int applied = 0;
    int rc = pgsink_connect(&db, o->db);
    if (rc == AB_OK)
        rc = pgsink_migrate(db, &applied);
    if (rc == AB_OK)
        rc = nightly_empty(db);
    int64_t t0 = now_ms();
    snprintf(path, sizeof path, "%s/tickets.csv", dir);
    if (rc == AB_OK)
        rc = import_tickets_file(db, o, path, &n->is);
    n->import_ms = now_ms() - t0;
    t0 = now_ms();
    snprintf(path, sizeof path, "%s/statement.xml", dir);
    if (rc == AB_OK)
        rc = reconciler_open(&r, db, o);
    if (rc == AB_OK)
        rc = reconciler_file(r, path, &n->rs);
    reconciler_close(r);
    int64_t offsets, cents;
    if (rc == AB_OK)
        rc = fines_offset_surplus(db, &offsets, &cents);
    n->reconcile_ms = now_ms() - t0;
    if (rc == AB_E_DB)
        log_error("bench nightly: %s", pgsink_error(db));
    pgsink_close(db);
    return rc;
}

static void nightly_print(const cli_opts *o, uint64_t claims, uint64_t pays, const nightly *n)
{
    if (!o->json) {
        printf("nightly: %llu claims, %llu paying; gen %lld ms, import %lld ms (%lld claims/s), "
               "reconcile %lld ms (%lld transactions, %lld/s, %lld allocated), peak RSS %lld MB\n",
               (unsigned long long)claims, (unsigned long long)pays, (long long)n->gen_ms,
               (long long)n->import_ms, (long long)per_s(n->is.claims, n->import_ms),
               (long long)n->reconcile_ms, (long long)n->rs.transactions,
               (long long)per_s(n->rs.transactions, n->reconcile_ms),
               (long long)n->rs.allocated, (long long)(n->rss_kb / 1024));
        return;
    }
    jsonw w;
    jsonw_init(&w, stdout);
    jsonw_obj_begin(&w);
    jsonw_kint(&w, "claims", (int64_t)claims);
    jsonw_kint(&w, "paying", (int64_t)pays);
    jsonw_kint(&w, "gen_ms", n->gen_ms);
    jsonw_kint(&w, "import_ms", n->import_ms);
    jsonw_kint(&w, "claims_imported", n->is.claims);
    jsonw_kint(&w, "reconcile_ms", n->reconcile_ms);
    jsonw_kint(&w, "transactions", n->rs.transactions);
    jsonw_kint(&w, "allocated", n->rs.allocated);
    jsonw_kint(&w, "clarified", n->rs.clarified);
    jsonw_kint(&w, "peak_rss_kb", n->rss_kb);
    jsonw_obj_end(&w);
}

static int bench_nightly(const cli_opts *o, uint64_t claims, uint64_t pays, uint64_t seed)
{
    char dir[] = "/tmp/abgleich-nightly-XXXXXX";
    nightly n = {0};
    if (!mkdtemp(dir))
        return AB_E_IO;
    progress p;
    progress_start(&p, "gen", (int64_t)claims * 3, o->quiet || o->json);
    gen_opts g = {.out_dir = dir, .tickets = claims, .paying = pays, .seed = seed,
                  .scheme = o->scheme, .date = "2026-11-20", .prog = &p};
    gen_result gr;
    int64_t t0 = now_ms();
    int rc = gen_dataset(&g, &gr);
    progress_end(&p);
    n.gen_ms = now_ms() - t0;
    if (rc == AB_OK)
        rc = nightly_db(o, dir, &n);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    n.rss_kb = ru.ru_maxrss;
    static const char *const files[] = {"tickets.csv", "statement.xml", "answer_key.csv"};
    char path[PATH_MAX];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        remove(path);
    }
    remove(dir);
    if (rc == AB_OK)
        nightly_print(o, claims, pays, &n);
    return rc;
}

/* ---- the subcommands -------------------------------------------------- */

int benchio_main(const cli_opts *o, int argc, char **argv)
{
    if (!strcmp(argv[1], "parse"))
        return argc > 2 ? bench_parse(o, argc, argv) : AB_E_USAGE;
    uint64_t rows = 1000000, claims = 1000000, pays = 200000, seed = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        uint64_t v = strtoull(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--rows"))
            rows = v;
        else if (!strcmp(argv[i], "--claims"))
            claims = v;
        else if (!strcmp(argv[i], "--payments"))
            pays = v;
        else if (!strcmp(argv[i], "--seed"))
            seed = v;
        else
            return AB_E_USAGE;
    }
    if (argc % 2 || !rows || !claims || pays > claims)
        return AB_E_USAGE;
    if (!strcmp(argv[1], "sink"))
        return bench_sink(o, rows);
    return bench_nightly(o, claims, pays, seed);
}
