/*
 * benchparse.c - `abgleich bench parse FILE...`: parser throughput, no
 * database.
 *
 * Each file is judged by content the way reconcile and import judge it:
 * bank statements (camt.052/053/054, MT940/MT942, ZIP containers) go through
 * bankread_path into a sink that only counts payments; anything else is a
 * ticket file, WiNOWiG XMLMDE when it starts with '<', else our tickets CSV,
 * counted by a tickets_sink (rejected rows count as records too: the parser
 * did the work).  Results are summed per format name ("camt.053.001.08",
 * "MT940", "tickets-csv", "winowig-xml") and printed as MB/s and records/s;
 * rates are measurements, so floating point (never money).  A file that
 * fails to parse is an error: a rate over half a file would be a lie.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/progress.h"
#include "../formats/bankread.h"
#include "../formats/tickets.h"
#include "../formats/winowig.h"
#include "benchparse.h"
#include "cli.h"

typedef struct pcount {
    int64_t records, base;   /* base: bytes of earlier files, for the bar */
    progress *bar;
} pcount;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_payment(void *ctx, const statement *st, const payment *p)
{
    (void)st, (void)p;
    ((pcount *)ctx)->records++;
    return AB_OK;
}

static int count_ticket(void *ctx, const ticket *t)
{
    (void)t;
    ((pcount *)ctx)->records++;
    return AB_OK;
}

static int count_reject(void *ctx, unsigned long line, const char *field, const char *reason)
{
    (void)line, (void)field, (void)reason;
    ((pcount *)ctx)->records++;
    return AB_OK;
}

static void bank_progress(void *ctx, int64_t bytes)
{
    pcount *c = ctx;
    progress_update(c->bar, c->base + bytes);
}

static bool starts_xml(const char *b, size_t n)
{
    size_t i = n >= 3 && !memcmp(b, "\xef\xbb\xbf", 3) ? 3 : 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i < n && b[i] == '<';
}

/* A ticket file (CSV or XMLMDE), streamed in AB_READ_CHUNK pieces. */
static int parse_tickets(const char *path, pcount *c, enum cd_scheme scheme, char *fmt,
                         size_t fmtlen)
{
    tickets_sink sink = {.ctx = c, .on_ticket = count_ticket, .on_reject = count_reject};
    tickets_reader *csv = NULL;
    winowig_reader *xml = NULL;
    char *buf = mem_alloc(AB_READ_CHUNK);
    FILE *f = fopen(path, "rb");
    int rc = !buf ? AB_E_NOMEM : !f ? AB_E_IO : AB_OK;
    size_t n = 0;
    int64_t done = 0;
    while (rc == AB_OK) {
        n = fread(buf, 1, AB_READ_CHUNK, f);
        done += (int64_t)n;
        if (!csv && !xml) {
            bool x = starts_xml(buf, n);
            snprintf(fmt, fmtlen, "%s", x ? "winowig-xml" : "tickets-csv");
            rc = x ? winowig_reader_create(&xml, &sink, scheme, path)
                   : tickets_reader_create(&csv, &sink, scheme);
            if (rc < 0)
                break;
        }
        rc = xml ? winowig_reader_feed(xml, buf, n, n < AB_READ_CHUNK)
                 : tickets_reader_feed(csv, buf, n, n < AB_READ_CHUNK);
        progress_update(c->bar, c->base + done);
        if (n < AB_READ_CHUNK)
            break;
    }
    if (rc < 0 && (xml || csv))
        log_error("%s: %s", path, xml ? winowig_reader_error(xml) : tickets_reader_error(csv));
    else if (rc < 0)
        log_error("%s: %s", path, ab_strerror(rc));
    if (f)
        fclose(f);
    mem_free(buf);
    tickets_reader_destroy(csv);
    winowig_reader_destroy(xml);
    return rc < 0 ? rc : AB_OK;
}

int benchparse_add(benchparse_row *rows, int *nrows, int cap, const char *format, int64_t bytes,
                   int64_t records, double secs)
{
    int i = 0;
    while (i < *nrows && strcmp(rows[i].format, format))
        i++;
    if (i == *nrows) {
        if (*nrows == cap)
            return AB_E_LIMIT;
        memset(&rows[i], 0, sizeof rows[i]);
        snprintf(rows[i].format, sizeof rows[i].format, "%s", format);
        (*nrows)++;
    }
    rows[i].files++;
    rows[i].bytes += bytes;
    rows[i].records += records;
    rows[i].seconds += secs;
    return AB_OK;
}

double benchparse_rate(double amount, double secs)
{
    /* a tiny file can parse below the clock's resolution */
    return secs > 1e-9 ? amount / secs : 0.0;
}

static int parse_one(const char *path, pcount *c, enum cd_scheme scheme, char *fmt,
                     size_t fmtlen)
{
    enum detect_format d;
    int rc = detect_file(path, &d);
    if (rc < 0) {
        log_error("%s: %s", path, ab_strerror(rc));
        return rc;
    }
    if (d == DETECT_CAMT || d == DETECT_MT940 || d == DETECT_ZIP) {
        camt_sink sink = {.ctx = c, .on_payment = count_payment};
        char err[256] = "";
        rc = bankread_path(path, &sink, bank_progress, c, fmt, fmtlen, err, sizeof err);
        if (rc < 0)
            log_error("%s", err[0] ? err : ab_strerror(rc));
        return rc;
    }
    return parse_tickets(path, c, scheme, fmt, fmtlen);
}

static void print_rows(const benchparse_row *rows, int n, bool json)
{
    if (json)
        printf("{\"formats\":[");
    for (int i = 0; i < n; i++) {
        const benchparse_row *r = &rows[i];
        double mbs = benchparse_rate((double)r->bytes / 1e6, r->seconds);
        double rps = benchparse_rate((double)r->records, r->seconds);
        if (json)
            printf("%s{\"format\":\"%s\",\"files\":%d,\"bytes\":%lld,\"records\":%lld,"
                   "\"seconds\":%.6f,\"mb_per_s\":%.2f,\"records_per_s\":%.0f}",
                   i ? "," : "", r->format, r->files, (long long)r->bytes,
                   (long long)r->records, r->seconds, mbs, rps);
        else
            printf("%-18s %4d files %12lld bytes %10lld records %9.3f s %9.1f MB/s %11.0f "
                   "records/s\n",
                   r->format, r->files, (long long)r->bytes, (long long)r->records, r->seconds,
                   mbs, rps);
    }
    if (json)
        printf("]}\n");
}

int bench_parse(const cli_opts *o, int argc, char **argv)
{
    benchparse_row rows[BENCHPARSE_MAX_FORMATS];
    int nrows = 0, rc = AB_OK;
    int64_t total = 0;
    if (argc < 1)
        return AB_E_USAGE;
    for (int i = 0; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            log_error("%s: cannot read", argv[i]);
            return AB_E_IO;
        }
        total += (int64_t)sb.st_size;
    }
    progress bar;
    progress_start(&bar, "parse", total, o->quiet || o->json);
    pcount c = {.bar = &bar};
    for (int i = 0; i < argc && rc == AB_OK; i++) {
        struct stat sb;
        char fmt[32] = "";
        c.records = 0;
        double t0 = now_s();
        rc = parse_one(argv[i], &c, o->scheme, fmt, sizeof fmt);
        double dt = now_s() - t0;
        if (rc == AB_OK && stat(argv[i], &sb) == 0)
            rc = benchparse_add(rows, &nrows, BENCHPARSE_MAX_FORMATS, fmt, (int64_t)sb.st_size,
                                c.records, dt);
        c.base += rc == AB_OK ? (int64_t)sb.st_size : 0;
    }
    progress_end(&bar);
    if (rc == AB_OK)
        print_rows(rows, nrows, o->json);
    return rc;
}
