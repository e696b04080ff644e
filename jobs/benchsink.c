/*
 * benchsink.c - `abgleich bench sink --rows N`: how close the pgsink COPY
 * writer comes to the wire.
 *
 * N allocation-shaped rows (claim_id, file_id, tx_seq, amount_cents, method,
 * confidence, explanation) are written twice in one run into the scratch
 * schema abgleich_bench: once field by field through pgsink_copy_* (what
 * reconcile does) into sink_rows, once as pre-rendered COPY text handed to
 * PQputCopyData in AB_COPY_BUF_BYTES pieces into raw_rows, a bare table
 * with the same columns.  Both are timed from BEGIN to COMMIT; each is run
 * --rounds times (alternating, tables truncated between) and the best is
 * kept, since 2 shared cores make single runs noisy.  The row counts are
 * read back, so the figure is for rows that really arrived.  The schema is
 * dropped at the end.  The generated fields and the rendered buffer are
 * the allocations that grow with N (about 128 + 80 bytes a row), made
 * before either clock starts.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/pgsink.h"
#include "../engine/progress.h"
#include "benchparse.h"
#include "cli.h"

#define COLS "(claim_id, file_id, tx_seq, amount_cents, method, confidence, explanation)"

static const char *const methods[] = {"exact_reference", "fuzzy_reference", "plate", "manual"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void benchsink_row(uint64_t i, benchsink_fields *f)
{
    uint64_t x = i * 0x9e3779b97f4a7c15ull + 1;
    x ^= x >> 29;
    f->claim_id = (int64_t)(x % 10000000u) + 1;
    f->file_id = (int64_t)(i / 100000u) + 1;
    f->tx_seq = (int64_t)(i % 100000u) + 1;
    f->amount_cents = 1000 + (int64_t)(x % 50) * 500;   /* 10.00 .. 255.00 EUR */
    f->method = methods[x % 4];
    f->confidence = 60 + (int64_t)(x % 41);
    snprintf(f->explanation, sizeof f->explanation,
             "Kassenzeichen %010llu im Verwendungszweck, Betrag passt",
             (unsigned long long)(x % 10000000000ull));
}

size_t benchsink_render(const benchsink_fields *f, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%lld\t%lld\t%lld\t%lld\t%s\t%lld\t%s\n", (long long)f->claim_id,
                     (long long)f->file_id, (long long)f->tx_seq, (long long)f->amount_cents,
                     f->method, (long long)f->confidence, f->explanation);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* The fields are generated before the clock starts, as the raw peer's
 * bytes are: what is timed is pgsink's formatting, escaping and sending. */
static int via_pgsink(pgsink *s, const benchsink_fields *rowv, uint64_t rows, progress *bar)
{
    int rc = pgsink_begin(s);
    if (rc == AB_OK)
        rc = pgsink_copy_begin(s, "COPY abgleich_bench.sink_rows " COLS " FROM STDIN");
    for (uint64_t i = 0; i < rows && rc == AB_OK; i++) {
        const benchsink_fields *f = &rowv[i];
        pgsink_copy_int(s, f->claim_id);
        pgsink_copy_int(s, f->file_id);
        pgsink_copy_int(s, f->tx_seq);
        pgsink_copy_int(s, f->amount_cents);
        pgsink_copy_cstr(s, f->method);
        pgsink_copy_int(s, f->confidence);
        pgsink_copy_cstr(s, f->explanation);
        rc = pgsink_copy_end_row(s);
        if ((i & 0xffff) == 0)
            progress_update(bar, (int64_t)i);
    }
    if (rc == AB_OK)
        rc = pgsink_copy_finish(s);
    if (rc == AB_OK)
        return pgsink_commit(s);
    pgsink_rollback(s);
    return rc;
}

static int exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_COPY_IN;
    if (!ok)
        log_error("bench sink: %s", PQerrorMessage(c));
    PQclear(r);
    return ok ? AB_OK : AB_E_DB;
}

/* The peer: the same bytes, already rendered, straight to libpq. */
static int via_raw(PGconn *c, const char *buf, size_t len)
{
    int rc = exec_ok(c, "BEGIN");
    if (rc == AB_OK)
        rc = exec_ok(c, "COPY abgleich_bench.raw_rows " COLS " FROM STDIN");
    for (size_t off = 0; off < len && rc == AB_OK; off += AB_COPY_BUF_BYTES) {
        size_t k = len - off < AB_COPY_BUF_BYTES ? len - off : AB_COPY_BUF_BYTES;
        if (PQputCopyData(c, buf + off, (int)k) != 1)
            rc = AB_E_DB;
    }
    if (PQputCopyEnd(c, rc == AB_OK ? NULL : "aborted") != 1)
        rc = AB_E_DB;
    PGresult *r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == AB_OK) {
        log_error("bench sink: raw COPY: %s", PQerrorMessage(c));
        rc = AB_E_DB;
    }
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
    return exec_ok(c, rc == AB_OK ? "COMMIT" : "ROLLBACK") == AB_OK ? rc : AB_E_DB;
}

static int64_t count_rows(pgsink *s, const char *table)
{
    char sql[96];
    pgsink_result *r = NULL;
    int64_t n = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM abgleich_bench.%s", table);
    if (pgsink_query(s, sql, 0, NULL, &r) == AB_OK && pgsink_result_rows(r) == 1)
        n = strtoll(pgsink_result_value(r, 0, 0), NULL, 10);
    pgsink_result_free(r);
    return n;
}

static char *render_all(benchsink_fields *rowv, uint64_t rows, size_t *len)
{
    size_t cap = (size_t)rows * 128 + 1, n = 0;
    char *buf = mem_alloc(cap);
    for (uint64_t i = 0; buf && i < rows; i++) {
        benchsink_row(i, &rowv[i]);
        n += benchsink_render(&rowv[i], buf + n, cap - n);
    }
    *len = n;
    return buf;
}

static const char setup_sql[] =
    "DROP SCHEMA IF EXISTS abgleich_bench CASCADE; CREATE SCHEMA abgleich_bench;"
    "CREATE TABLE abgleich_bench.sink_rows (claim_id bigint NOT NULL, file_id bigint,"
    " tx_seq int, amount_cents bigint NOT NULL, method text NOT NULL, confidence smallint,"
    " explanation text);"
    "CREATE TABLE abgleich_bench.raw_rows (LIKE abgleich_bench.sink_rows)";

/* rounds of (raw, pgsink) alternating; best seconds of each. */
static int measure(pgsink *s, PGconn *raw, uint64_t rows, int rounds, double best[2],
                   bool quiet)
{
    size_t len = 0;
    benchsink_fields *rowv = mem_calloc((size_t)rows, sizeof *rowv);
    char *buf = rowv ? render_all(rowv, rows, &len) : NULL;
    int rc = buf ? AB_OK : AB_E_NOMEM;
    best[0] = best[1] = 1e300;
    for (int r = 0; r < rounds && rc == AB_OK; r++) {
        progress bar;
        rc = pgsink_exec(s, "TRUNCATE abgleich_bench.sink_rows, abgleich_bench.raw_rows");
        double t0 = now_s();
        if (rc == AB_OK)
            rc = via_raw(raw, buf, len);
        double t1 = now_s();
        progress_start(&bar, "sink", (int64_t)rows, quiet);
        if (rc == AB_OK)
            rc = via_pgsink(s, rowv, rows, &bar);
        progress_end(&bar);
        double t2 = now_s();
        best[0] = t2 - t1 < best[0] ? t2 - t1 : best[0];
        best[1] = t1 - t0 < best[1] ? t1 - t0 : best[1];
    }
    mem_free(buf);
    mem_free(rowv);
    return rc;
}

int bench_sink(const cli_opts *o, uint64_t rows, int rounds)
{
    const char *ci = o->db ? o->db : getenv("ABGLEICH_DB") ? getenv("ABGLEICH_DB") : "";
    pgsink *s = NULL;
    PGconn *raw = NULL;
    double best[2] = {0, 0};
    int rc = pgsink_connect(&s, o->db);
    if (rc < 0) {
        log_error("database: %s", pgsink_error(s));
        goto out;
    }
    raw = PQconnectdb(ci);
    rc = PQstatus(raw) == CONNECTION_OK ? pgsink_exec(s, setup_sql) : AB_E_DB;
    if (rc == AB_OK)
        rc = measure(s, raw, rows, rounds, best, o->quiet || o->json);
    if (rc < 0) {
        log_error("bench sink: %s", PQstatus(raw) == CONNECTION_OK ? pgsink_error(s)
                                                                   : PQerrorMessage(raw));
        goto out;
    }
    int64_t got_sink = count_rows(s, "sink_rows"), got_raw = count_rows(s, "raw_rows");
    double sink_rps = benchparse_rate((double)got_sink, best[0]);
    double raw_rps = benchparse_rate((double)got_raw, best[1]);
    double ratio = raw_rps > 0 ? sink_rps / raw_rps : 0;
    if (o->json)
        printf("{\"rows\":%llu,\"rounds\":%d,\"pgsink\":{\"rows_written\":%lld,\"seconds\":%.3f,"
               "\"rows_per_s\":%.0f},\"raw_copy\":{\"rows_written\":%lld,\"seconds\":%.3f,"
               "\"rows_per_s\":%.0f},\"ratio\":%.3f}\n",
               (unsigned long long)rows, rounds, (long long)got_sink, best[0], sink_rps,
               (long long)got_raw, best[1], raw_rps, ratio);
    else
        printf("pgsink   %lld rows  %.3f s  %.0f rows/s\nraw COPY %lld rows  %.3f s  %.0f "
               "rows/s\npgsink / raw COPY: %.3f\n",
               (long long)got_sink, best[0], sink_rps, (long long)got_raw, best[1], raw_rps,
               ratio);
    rc = got_sink == (int64_t)rows && got_raw == (int64_t)rows ? AB_OK : AB_E_DB;
    if (pgsink_exec(s, "DROP SCHEMA abgleich_bench CASCADE") < 0 && rc == AB_OK)
        rc = AB_E_DB;
out:
    PQfinish(raw);
    pgsink_close(s);
    return rc;
}
