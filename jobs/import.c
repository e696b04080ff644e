/*
 * import.c - `abgleich import tickets FILE...`: ticket batches become claims.
 *
 * Input: our ticket CSV or a WiNOWiG XMLMDE handheld export (by content).
 * Pipeline per file, in one PostgreSQL transaction:
 *   content hash -> already imported? say so, change nothing
 *   -> input_files row -> stream the rows (formats/tickets, formats/winowig)
 *   -> each row passes the legal checks of engine/ticketcheck (catalogue,
 *      plate, future, limitation as of --as-of), then the in-file checks of
 *      engine/ticketmemo (reference repeated, likely duplicate: same car -
 *      plate with the district boundary, and country - and TBNR within
 *      fines_config.duplicate_window_minutes)
 *   -> fast path: COPY straight into abgleich.claims, due 7 days after the
 *      offense (the next working day if that is a weekend or holiday: the
 *      database's own deadline_end, read once per file for the days a
 *      valid ticket can have); then one query asks whether any new claim
 *      duplicates a known one
 *   -> if a reference is known already (the unique index refuses the COPY)
 *      or a known claim is duplicated: back to a savepoint, and the stage
 *      path: the rows again into a temporary table, SQL reports the
 *      conflicts with the known claims by line, INSERT the rest
 *   -> COMMIT.
 * The stage path is what every file took before; the fast path saves the
 * stage and its joins for the common batch that conflicts with nothing
 * (docs/benchmarks.md, fines office).  Rejections are logged once: the
 * second pass stays quiet up to the last line the first one reached.
 * Memory is one CSV line, the COPY buffer and the in-file memo (bounded by
 * AB_TICKETS_FILE_MAX rows).  A killed process leaves the whole file or
 * nothing.
 */
#include "import.h"
#include "invoices.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/date.h"
#include "../engine/filehash.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/offense.h"
#include "../engine/plate.h"
#include "../engine/progress.h"
#include "../engine/ticketmemo.h"
#include "../engine/ticketcheck.h"
#include "../formats/jsonw.h"
#include "../formats/tickets.h"
#include "../formats/winowig.h"
#include "fines.h"

/* Server memory per sort or hash of one import transaction (bench/fines_import.sh:
 * a 1 M row batch sorts in memory). */
#define IMPORT_WORK_MEM "256MB"

/* Days between the offense and the due date of a warning (fines-domain.md). */
#define DUE_AFTER_DAYS 7

typedef struct import_ctx {
    pgsink *db;
    const char *path;
    int64_t rejected;
    size_t recoded;         /* plates and locations read as Windows-1252 */
    tcheck_cfg check;
    char dup_window[16];    /* minutes, from fines_config */
    char file_id[24];
    int64_t file_no;     /* file_id as a number, for the binary COPY */
    bool fast;              /* this pass COPYs into claims, not into the stage */
    ticketmemo *memo;       /* the in-file checks of this pass */
    unsigned long seen;     /* last line this pass reached */
    unsigned long quiet_upto; /* rejections up to this line were logged already */
    int64_t rows, cents;    /* claims this pass COPYed (fast path) */
    int32_t due_lo;         /* due_map[d - due_lo]: deadline_end(d) as a day */
    int32_t *due_map;
    size_t due_n;
} import_ctx;

static int on_reject(void *vctx, unsigned long line, const char *field, const char *reason);

/* A rejection, logged and counted unless a first pass did that already. */
__attribute__((format(printf, 4, 5)))
static int log_or_not(import_ctx *c, unsigned long line, const char *field, const char *fmt, ...)
{
    if (line <= c->quiet_upto)
        return AB_OK;
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    log_reject(c->path, line, field, "%s", why);
    c->rejected++;
    return AB_OK;
}

/* The plate as a key: a German plate normalised like the matcher does
 * (engine/plate.c), any other upper-cased without separators.  It does not
 * know where the district code ends ("H-HA 1" and "HH-A 1" are both HHA1):
 * right for finding a plate in remittance text, not for telling cars apart. */
static void plate_key(const ticket *t, char out[PLATE_MAX])
{
    if ((!t->nationality || !t->nationality[0] || !strcmp(t->nationality, "D")) &&
        plate_normalise(t->plate, strlen(t->plate), out))
        return;
    plate_key_plain(t->plate, strlen(t->plate), out);
}

/* The car (claims.car_key, engine/plate.h): the plate with the district
 * boundary and the country.  A German plate passed plate_check_de, so it
 * has a key; should it not, '?' and the plate key, which names no car. */
static void car_key(const ticket *t, const char *key, char out[PLATE_CAR_MAX])
{
    if (!plate_car_key(t->plate, strlen(t->plate), t->nationality, out))
        snprintf(out, PLATE_CAR_MAX, "?%s", key);
}

static int32_t day_of(int64_t secs)
{
    return (int32_t)(secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400));
}

/* The in-file checks; AB_OK to insert the row, AB_E_REJECTED if it was
 * refused (and said so). */
static int memo_check(import_ctx *c, const ticket *t, const char *car)
{
    /* A car is its plate with the district boundary and its country:
     * "H-HA 1" and "HH-A 1", NL "AB12CD" and B "AB12CD" are two cars each
     * (the SQL's SAME_CAR says the same). */
    unsigned long first = 0;
    int v = tmemo_check(c->memo, t->line, t->reference, car, t->tbnr, t->offense_time, &first);
    int rc = AB_E_REJECTED;
    switch (v) {
    case TMEMO_NEW:
        return AB_OK;
    case TMEMO_REPEATED_REF:
        rc = log_or_not(c, t->line, "reference", "%s already in this file at line %lu",
                        t->reference, first);
        break;
    case TMEMO_LIKELY_DUP:
        rc = log_or_not(c, t->line, "plate",
                        "likely duplicate of line %lu (same plate and TBNR within %s minutes)",
                        first, c->dup_window);
        break;
    case TMEMO_TOO_MANY:
        rc = log_or_not(c, t->line, "plate", "more than %u tickets of this plate and TBNR in one file",
                        AB_TICKETS_SAME_CAR_MAX);
        break;
    case AB_E_LIMIT:
        log_error("%s:%lu: more than %u tickets in one file; split the batch", c->path, t->line,
                  AB_TICKETS_FILE_MAX);
        return AB_E_LIMIT;
    default:
        return v;
    }
    return rc < 0 ? rc : AB_E_REJECTED;
}

/* A claim row for COPY into abgleich.claims (the fast path). */
static int copy_claim(import_ctx *c, const ticket *t, const char *key, const char *car)
{
    int32_t d = day_of(t->offense_time) + DUE_AFTER_DAYS;
    if (d < c->due_lo || (size_t)(d - c->due_lo) >= c->due_n) {
        log_error("%s:%lu: no due date known for this offense day (internal error)", c->path,
                  t->line);
        return AB_E_INVAL;
    }
    pgsink_copy_i64(c->db, c->file_no);
    pgsink_copy_i32(c->db, (int32_t)t->line);
    pgsink_copy_cstr(c->db, t->reference);
    pgsink_copy_cstr(c->db, t->plate);
    pgsink_copy_cstr(c->db, t->tbnr);
    pgsink_copy_timestamp(c->db, t->offense_time);
    pgsink_copy_cstr(c->db, t->location);
    pgsink_copy_i64(c->db, t->amount_cents);
    pgsink_copy_date(c->db, c->due_map[d - c->due_lo]);
    pgsink_copy_cstr(c->db, key);
    if (t->nationality && t->nationality[0])
        pgsink_copy_cstr(c->db, t->nationality);
    else
        pgsink_copy_null(c->db);
    pgsink_copy_cstr(c->db, car);
    c->rows++;
    c->cents += t->amount_cents;
    return pgsink_copy_end_row(c->db);
}

/* A row of the staging table (the checked path); the server parses the text. */
static int copy_stage(import_ctx *c, const ticket *t, const char *key, const char *car)
{
    char when[20];
    datetime_format(t->offense_time, when);
    pgsink_copy_int(c->db, (int64_t)t->line);
    pgsink_copy_cstr(c->db, t->reference);
    pgsink_copy_cstr(c->db, t->plate);
    pgsink_copy_cstr(c->db, t->tbnr);
    pgsink_copy_int(c->db, t->amount_cents);
    pgsink_copy_cstr(c->db, when);
    pgsink_copy_cstr(c->db, t->location);
    pgsink_copy_cstr(c->db, key);
    if (t->nationality && t->nationality[0])
        pgsink_copy_cstr(c->db, t->nationality);
    else
        pgsink_copy_null(c->db);
    pgsink_copy_cstr(c->db, car);
    return pgsink_copy_end_row(c->db);
}

static int on_ticket(void *vctx, const ticket *t)
{
    import_ctx *c = vctx;
    c->seen = t->line;
    tcheck_in in = {.plate = t->plate, .nationality = t->nationality, .tbnr = t->tbnr,
                    .amount_cents = t->amount_cents, .amount_override = t->amount_override,
                    .offense_time = t->offense_time};
    const char *field = NULL;
    tcheck_msg msg;
    const char *why = tcheck_ticket(&c->check, &in, &field, msg);
    if (why)
        return on_reject(c, t->line, field, why);
    char key[PLATE_MAX], car[PLATE_CAR_MAX];
    plate_key(t, key);
    car_key(t, key, car);
    int rc = memo_check(c, t, car);
    if (rc == AB_E_REJECTED)
        return AB_OK;
    if (rc < 0)
        return rc;
    return c->fast ? copy_claim(c, t, key, car) : copy_stage(c, t, key, car);
}

static int on_reject(void *vctx, unsigned long line, const char *field, const char *reason)
{
    import_ctx *c = vctx;
    c->seen = line;
    return log_or_not(c, line, field, "%s", reason);
}

/* One of the two ticket readers, chosen by the file's first bytes: a
 * WiNOWiG XMLMDE export starts with '<' (after a BOM or blanks), anything
 * else is our CSV. */
typedef struct reader {
    tickets_reader *csv;
    winowig_reader *xml;
} reader;

static bool looks_like_xml(const char *b, size_t n)
{
    size_t i = n >= 3 && !memcmp(b, "\xef\xbb\xbf", 3) ? 3 : 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i < n && b[i] == '<';
}

static int reader_feed(reader *rd, import_ctx *c, const cli_opts *o, const char *buf, size_t n,
                       bool last)
{
    if (!rd->csv && !rd->xml) {
        tickets_sink sink = {.ctx = c, .on_ticket = on_ticket, .on_reject = on_reject};
        int rc = looks_like_xml(buf, n) ? winowig_reader_create(&rd->xml, &sink, o->scheme, c->path)
                                        : tickets_reader_create(&rd->csv, &sink, o->scheme);
        if (rc < 0)
            return rc;
    }
    return rd->xml ? winowig_reader_feed(rd->xml, buf, n, last)
                   : tickets_reader_feed(rd->csv, buf, n, last);
}

#define CLAIM_COLUMNS "(file_id, line, reference, plate, tbnr, offense_time, location," \
                      " amount_cents, due_date, plate_key, nationality, car_key)"

/* Streams the ticket file (CSV or XMLMDE) into claims (fast) or the stage. */
static int run_pass(import_ctx *c, const cli_opts *o, int64_t size)
{
    reader rd = {0};
    char *buf = NULL;
    FILE *f = NULL;
    int rc = AB_E_NOMEM;
    if (!(buf = mem_alloc(AB_READ_CHUNK)))
        goto out;
    rc = AB_E_IO;
    if (!(f = fopen(c->path, "rb")))
        goto out;
    tmemo_destroy(c->memo);
    c->memo = NULL;
    int64_t window = strtoll(c->dup_window, NULL, 10) * 60;
    if ((rc = tmemo_create(&c->memo, window)) < 0)
        goto out;
    c->rows = c->cents = 0;
    /* Binary into claims: the server then parses no timestamps, dates and
     * numbers, a fifth of a claim row's cost (docs/benchmarks.md). */
    rc = c->fast ? pgsink_copy_begin_binary(c->db, "COPY abgleich.claims " CLAIM_COLUMNS
                                                   " FROM STDIN (FORMAT binary)", 12)
                 : pgsink_copy_begin(c->db, "COPY pg_temp.ticket_stage (line, reference, plate,"
                                            " tbnr, amount_cents, offense_time, location,"
                                            " plate_key, nationality, car_key) FROM STDIN");
    if (rc < 0)
        goto out;
    progress p;
    progress_start(&p, "tickets", size, o->quiet);
    size_t n;
    int64_t done = 0;
    do {
        n = fread(buf, 1, AB_READ_CHUNK, f);
        done += (int64_t)n;
        rc = reader_feed(&rd, c, o, buf, n, n < AB_READ_CHUNK);
        progress_update(&p, done);
    } while (rc == AB_OK && n == AB_READ_CHUNK);
    progress_end(&p);
    if (rc < 0) {
        if (rc != AB_E_DB && rc != AB_E_LIMIT && rc != AB_E_INVAL)
            log_error("%s: %s", c->path,
                      rd.xml ? winowig_reader_error(rd.xml)
                             : rd.csv ? tickets_reader_error(rd.csv) : ab_strerror(rc));
        /* Ends the COPY; when the server refused a row, this reads its reason
         * (and SQLSTATE) for the caller. */
        if (pgsink_copy_finish(c->db) < 0 && rc == AB_E_DB)
            rc = AB_E_DB;
        goto out;
    }
    rc = pgsink_copy_finish(c->db);
    c->recoded = rd.csv ? tickets_reader_recoded(rd.csv) : 0;
out:
    if (f)
        fclose(f);
    mem_free(buf);
    tickets_reader_destroy(rd.csv);
    winowig_reader_destroy(rd.xml);
    return rc;
}

/* The stage path's checks against the known claims (the stage holds only
 * rows that passed the in-file checks).  A known reference: reported and
 * left out of the stage. */
static int report_conflicts(import_ctx *c)
{
    static const char sql[] =
        "WITH d AS ("
        " SELECT s.line, s.reference FROM pg_temp.ticket_stage s"
        "  JOIN abgleich.claims k ON k.reference = s.reference),"
        " gone AS (DELETE FROM pg_temp.ticket_stage s USING d WHERE s.line = d.line)"
        " SELECT * FROM d ORDER BY 1";
    pgsink_result *res = NULL;
    int rc = pgsink_query(c->db, sql, 0, NULL, &res);
    if (rc < 0)
        return rc;
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        unsigned long line = strtoul(pgsink_result_value(res, i, 0), NULL, 10);
        log_reject(c->path, line, "reference", "%s already known", pgsink_result_value(res, i, 1));
        c->rejected++;
    }
    pgsink_result_free(res);
    return AB_OK;
}

/* The window as SQL compares it: the same car (car key: plate with the
 * district boundary, and country; the plate key only lets the hash index
 * narrow the rows), the same TBNR, offense times at most the window apart
 * (both ends included). */
#define SAME_CAR(k, s)                                                                         \
    k ".plate_key = " s ".plate_key AND " k ".car_key = " s ".car_key"                         \
    " AND " k ".tbnr = " s ".tbnr"                                                              \
    " AND " k ".offense_time BETWEEN " s ".offense_time - make_interval(mins => $1::int)"    \
    " AND " s ".offense_time + make_interval(mins => $1::int)"

/* Likely duplicates of a known claim (a handheld that uploaded a ticket a
 * second time, or two wardens on one car): reported and left out. */
static int drop_likely_duplicates(import_ctx *c)
{
    static const char sql[] =
        "WITH d AS ("
        " SELECT s.line, min(k.reference) AS known"
        " FROM pg_temp.ticket_stage s JOIN abgleich.claims k ON " SAME_CAR("k", "s")
        "  AND k.reference <> s.reference"
        " GROUP BY s.line),"
        " gone AS (DELETE FROM pg_temp.ticket_stage s USING d WHERE s.line = d.line)"
        " SELECT d.line, d.known FROM d ORDER BY d.line";
    const char *params[] = {c->dup_window};
    pgsink_result *res = NULL;
    int rc = pgsink_query(c->db, sql, 1, params, &res);
    if (rc < 0)
        return rc;
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        log_reject(c->path, strtoul(pgsink_result_value(res, i, 0), NULL, 10), "plate",
                   "likely duplicate of claim %s (same plate and TBNR within %s minutes)",
                   pgsink_result_value(res, i, 1), c->dup_window);
        c->rejected++;
    }
    pgsink_result_free(res);
    return AB_OK;
}

/* The fast path's question after its COPY: does any new claim (id above
 * `before`) duplicate a known one?  First the cheap part: is any known
 * claim inside the batch's time span at all (none, for a first import or
 * a day nobody else wrote tickets for)? */
static int known_duplicates(import_ctx *c, const char *before, bool *found)
{
    char lo[20], hi[20];
    int64_t w = strtoll(c->dup_window, NULL, 10) * 60;
    datetime_format(tmemo_min_time(c->memo) - w, lo);
    datetime_format(tmemo_max_time(c->memo) + w, hi);
    const char *p1[] = {before, lo, hi};
    pgsink_result *res = NULL;
    int rc = pgsink_query(c->db,
                          "SELECT 1 FROM abgleich.claims WHERE id <= $1::bigint"
                          " AND offense_time BETWEEN $2::timestamp AND $3::timestamp LIMIT 1",
                          3, p1, &res);
    if (rc < 0)
        return rc;
    *found = pgsink_result_rows(res) > 0;
    pgsink_result_free(res);
    if (!*found)
        return AB_OK;
    const char *p2[] = {c->dup_window, before};
    rc = pgsink_query(c->db,
                      "SELECT 1 FROM abgleich.claims s JOIN abgleich.claims k ON "
                      SAME_CAR("k", "s") " AND k.id <= $2::bigint"
                      " WHERE s.id > $2::bigint LIMIT 1",
                      2, p2, &res);
    if (rc < 0)
        return rc;
    *found = pgsink_result_rows(res) > 0;
    pgsink_result_free(res);
    return AB_OK;
}

/* The due day for every day d a valid ticket's due date can fall on
 * (offense days from the limitation back to as-of, plus the 7 days): d, or
 * the next working day if d is a weekend or holiday, as
 * abgleich.deadline_end (sql/013) says.  The holidays come from the
 * database in one query (calling deadline_end per day costs ~10 ms each);
 * the step to the next working day is done here. */
static int load_due_map(import_ctx *c)
{
    int32_t lo = c->check.as_of - c->check.limitation_months * 31 - 31 + DUE_AFTER_DAYS;
    int32_t hi = c->check.as_of + DUE_AFTER_DAYS;
    char a[11], b[11];
    date_format(lo, a);
    date_format(hi + 7, b);
    const char *params[] = {a, b};
    pgsink_result *res = NULL;
    int rc = pgsink_query(c->db,
                          "SELECT d::date - date '1970-01-01'"
                          " FROM generate_series($1::date, $2::date, interval '1 day') d,"
                          "      (SELECT land FROM abgleich.fines_config WHERE id = 1) f"
                          " WHERE extract(isodow FROM d) >= 6"
                          "  OR abgleich.public_holiday(d::date, f.land) IS NOT NULL"
                          "  OR EXISTS (SELECT 1 FROM abgleich.local_holidays h"
                          "             WHERE h.day = d::date)",
                          2, params, &res);
    if (rc < 0)
        return rc;
    size_t span = (size_t)(hi + 7 - lo + 1);
    bool *off = mem_calloc(span, sizeof *off);
    mem_free(c->due_map);
    c->due_map = mem_calloc(span, sizeof *c->due_map);
    if (!off || !c->due_map) {
        mem_free(off);
        pgsink_result_free(res);
        return AB_E_NOMEM;
    }
    for (int i = 0; i < pgsink_result_rows(res); i++)
        off[strtol(pgsink_result_value(res, i, 0), NULL, 10) - lo] = true;
    pgsink_result_free(res);
    c->due_lo = lo;
    c->due_n = (size_t)(hi - lo + 1);
    for (size_t d = 0; d < c->due_n; d++) {
        size_t e = d;
        while (e <= d + 7 && off[e])
            e++;
        /* deadline_end looks 7 days ahead; no working day there cannot happen
         * with real calendars, and a claim must have a due date */
        c->due_map[d] = e <= d + 7 ? lo + (int32_t)e : lo + (int32_t)d;
    }
    mem_free(off);
    return AB_OK;
}

/* The office's settings that the checks use (sql/004_fines.sql). */
static int read_config(import_ctx *c)
{
    pgsink_result *res = NULL;
    int rc = pgsink_query(c->db, "SELECT limitation_months, duplicate_window_minutes"
                                 " FROM abgleich.fines_config WHERE id = 1",
                          0, NULL, &res);
    if (rc < 0)
        return rc;
    if (pgsink_result_rows(res) != 1) {
        pgsink_result_free(res);
        log_error("abgleich.fines_config has no row; run abgleich init");
        return AB_E_DB;
    }
    c->check.limitation_months = (int)strtol(pgsink_result_value(res, 0, 0), NULL, 10);
    snprintf(c->dup_window, sizeof c->dup_window, "%s", pgsink_result_value(res, 0, 1));
    pgsink_result_free(res);
    return AB_OK;
}

static int insert_claims(import_ctx *c, const char *file_id, import_summary *sum)
{
    static const char sql[] =
        "WITH due AS MATERIALIZED ("
        " SELECT d AS raw, abgleich.deadline_end(d) AS due FROM (SELECT DISTINCT"
        "   offense_time::date + " AB_STR(DUE_AFTER_DAYS) " AS d FROM pg_temp.ticket_stage) r),"
        " ins AS ("
        " INSERT INTO abgleich.claims (file_id, line, reference, plate, tbnr, offense_time,"
        "   location, amount_cents, due_date, plate_key, nationality, car_key)"
        " SELECT $1::bigint, s.line, s.reference, s.plate, s.tbnr, s.offense_time, s.location,"
        "   s.amount_cents, due.due, s.plate_key, s.nationality, s.car_key"
        " FROM pg_temp.ticket_stage s"
        " JOIN due ON due.raw = s.offense_time::date + " AB_STR(DUE_AFTER_DAYS)
        " ORDER BY s.line RETURNING amount_cents)"
        " SELECT count(*), coalesce(sum(amount_cents), 0) FROM ins";
    const char *params[] = {file_id};
    pgsink_result *res = NULL;
    int rc = pgsink_query(c->db, sql, 1, params, &res);
    if (rc < 0)
        return rc;
    sum->claims += strtoll(pgsink_result_value(res, 0, 0), NULL, 10);
    sum->claims_cents += strtoll(pgsink_result_value(res, 0, 1), NULL, 10);
    pgsink_result_free(res);
    return AB_OK;
}

/* Returns AB_E_DUP (after saying so) when this content was imported before. */
static int check_seen(pgsink *db, const char *path, const char *hash)
{
    const char *params[] = {hash};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db,
                          "SELECT id, to_char(imported_at, 'YYYY-MM-DD HH24:MI') FROM"
                          " abgleich.input_files WHERE kind = 'tickets' AND content_hash = $1",
                          1, params, &res);
    if (rc < 0)
        return rc;
    if (pgsink_result_rows(res) > 0) {
        log_info("%s: already imported as file #%s on %s; nothing changed", path,
                 pgsink_result_value(res, 0, 0), pgsink_result_value(res, 0, 1));
        rc = AB_E_DUP;
    }
    pgsink_result_free(res);
    return rc;
}

static int register_file(pgsink *db, const char *path, const char *hash, int64_t size,
                         char file_id[24])
{
    char sz[24];
    snprintf(sz, sizeof sz, "%lld", (long long)size);
    const char *params[] = {path, hash, sz};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db,
                          "INSERT INTO abgleich.input_files (kind, name, content_hash, size_bytes)"
                          " VALUES ('tickets', $1, $2, $3::bigint) RETURNING id",
                          3, params, &res);
    if (rc < 0)
        return rc;
    snprintf(file_id, 24, "%s", pgsink_result_value(res, 0, 0));
    pgsink_result_free(res);
    return AB_OK;
}

/* The stage path (see the file's header): the second pass, quiet for the
 * lines the first one reported. */
static int stage_path(import_ctx *c, const cli_opts *o, int64_t size, import_summary *sum)
{
    c->fast = false;
    c->quiet_upto = c->seen;
    int rc = pgsink_exec(c->db, "CREATE TEMP TABLE ticket_stage (line int, reference text,"
                                " plate text, tbnr text, amount_cents bigint,"
                                " offense_time timestamp, location text, plate_key text,"
                                " nationality text, car_key text) ON COMMIT DROP");
    if (rc == AB_OK)
        rc = run_pass(c, o, size);
    if (rc == AB_OK)
        rc = report_conflicts(c);
    if (rc == AB_OK)
        rc = drop_likely_duplicates(c);
    if (rc == AB_OK)
        rc = insert_claims(c, c->file_id, sum);
    return rc;
}

/* The fast path; *fallback when the batch meets the known claims. */
static int fast_path(import_ctx *c, const cli_opts *o, int64_t size, import_summary *sum,
                     bool *fallback)
{
    pgsink_result *res = NULL;
    int rc = pgsink_query(c->db, "SELECT coalesce(max(id), 0) FROM abgleich.claims", 0, NULL,
                          &res);
    if (rc < 0)
        return rc;
    char before[24];
    snprintf(before, sizeof before, "%s", pgsink_result_value(res, 0, 0));
    pgsink_result_free(res);
    if ((rc = pgsink_exec(c->db, "SAVEPOINT fast")) < 0)
        return rc;
    c->fast = true;
    rc = run_pass(c, o, size);
    if (rc == AB_E_DB && !strcmp(pgsink_sqlstate(c->db), "23505")) {
        *fallback = true; /* a reference the unique index knows: the stage path says which */
        log_debug("%s: a reference is known already; checking row by row", c->path);
    } else if (rc == AB_OK && tmemo_rows(c->memo) > 0) {
        rc = known_duplicates(c, before, fallback);
        if (rc == AB_OK && *fallback)
            log_debug("%s: likely duplicates of known claims; checking row by row", c->path);
    }
    if (*fallback)
        return pgsink_exec(c->db, "ROLLBACK TO SAVEPOINT fast");
    if (rc == AB_OK) {
        sum->claims += c->rows;
        sum->claims_cents += c->cents;
    }
    return rc;
}

static int import_in_tx(pgsink *db, const cli_opts *o, import_ctx *c, const char *hash,
                        int64_t size, import_summary *sum)
{
    /* One importer at a time: two batches naming one reference would
     * otherwise race past the duplicate check. */
    int rc = pgsink_exec(db, "SELECT pg_advisory_xact_lock(hashtext('abgleich.claims'))");
    /* The stage path's checks and ordered insert sort the whole batch;
     * with the default 4 MB they spill to disk at a few 100k rows. */
    if (rc == AB_OK)
        rc = pgsink_exec(db, "SET LOCAL work_mem = '" IMPORT_WORK_MEM "'");
    if (rc == AB_OK)
        rc = check_seen(db, c->path, hash);
    if (rc == AB_OK)
        rc = register_file(db, c->path, hash, size, c->file_id);
    if (rc == AB_OK)
        c->file_no = strtoll(c->file_id, NULL, 10);
    if (rc == AB_OK)
        rc = read_config(c);
    if (rc == AB_OK)
        rc = load_due_map(c);
    bool fallback = false;
    if (rc == AB_OK)
        rc = fast_path(c, o, size, sum, &fallback);
    if (rc == AB_OK && fallback)
        rc = stage_path(c, o, size, sum);
    return rc;
}

/* One file in one transaction; c's memo and map are freed by the caller. */
static int import_one(import_ctx *c, const cli_opts *o, const char *hash, int64_t size,
                      import_summary *sum)
{
    const char *path = c->path;
    pgsink *db = c->db;
    int rc;
    if (offense_load() < 0) {
        log_error("the embedded offense catalogue is broken");
        sum->files_failed++;
        return AB_E_INVAL;
    }
    int64_t before = sum->claims, cents_before = sum->claims_cents;
    rc = pgsink_begin(db);
    if (rc == AB_OK)
        rc = import_in_tx(db, o, c, hash, size, sum);
    if (rc == AB_OK)
        rc = pgsink_commit(db);
    if (rc < 0) {
        pgsink_rollback(db);
        sum->claims = before;
        sum->claims_cents = cents_before;
        if (rc == AB_E_DUP) {
            sum->files_skipped++;
            return AB_OK;
        }
        if (rc == AB_E_DB)
            log_error("%s: %s", path, pgsink_error(db));
        sum->files_failed++;
        return rc;
    }
    sum->files_imported++;
    sum->rejected += c->rejected;
    fines_refresh_stats(db); /* the night's lookups by plate need them */
    log_info("%s: %lld claims imported, %lld rows rejected", path,
             (long long)(sum->claims - before), (long long)c->rejected);
    if (c->recoded)
        log_info("%s: %zu plates and locations were not UTF-8 and were read as Windows-1252",
                 path, c->recoded);
    return c->rejected ? AB_E_REJECTED : AB_OK;
}

int import_tickets_file(pgsink *db, const cli_opts *o, const char *path, import_summary *sum)
{
    int32_t today;
    if (tcheck_as_of(NULL, &today) < 0) {
        log_error("ABGLEICH_TODAY is not a date (YYYY-MM-DD)");
        return AB_E_USAGE;
    }
    return import_tickets_file_as_of(db, o, path, today, sum);
}

int import_tickets_file_as_of(pgsink *db, const cli_opts *o, const char *path, int32_t as_of,
                              import_summary *sum)
{
    char hash[33];
    int64_t size = 0;
    sum->files++;
    int rc = filehash_file(path, hash, &size);
    if (rc < 0) {
        log_error("%s: cannot read file", path);
        sum->files_failed++;
        return rc;
    }
    import_ctx c = {.db = db, .path = path, .check = {.as_of = as_of}};
    rc = import_one(&c, o, hash, size, sum);
    tmemo_destroy(c.memo);
    mem_free(c.due_map);
    return rc;
}

void import_summary_json(const import_summary *s)
{
    jsonw w;
    jsonw_init(&w, stdout);
    jsonw_obj_begin(&w);
    jsonw_kint(&w, "files", s->files);
    jsonw_kint(&w, "files_imported", s->files_imported);
    jsonw_kint(&w, "files_skipped", s->files_skipped);
    jsonw_kint(&w, "files_failed", s->files_failed);
    jsonw_kint(&w, "claims", s->claims);
    jsonw_kint(&w, "claims_cents", s->claims_cents);
    jsonw_kint(&w, "rejected", s->rejected);
    jsonw_obj_end(&w);
}

int job_import(const cli_opts *o, int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "invoices"))
        return invoices_import(o, argc, argv);
    const char *as_of_arg = NULL;
    int nfiles = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--as-of") && i + 1 < argc)
            as_of_arg = argv[++i];
        else
            argv[2 + nfiles++] = argv[i];
    }
    int32_t as_of;
    if (argc < 3 || strcmp(argv[1], "tickets") || nfiles == 0 ||
        tcheck_as_of(as_of_arg, &as_of) < 0) {
        fprintf(stderr, "usage: abgleich import tickets [--as-of YYYY-MM-DD] FILE...\n");
        return AB_E_USAGE;
    }
    pgsink *db = NULL;
    int rc = pgsink_connect(&db, o->db);
    if (rc < 0) {
        log_error("database: %s", pgsink_error(db));
        pgsink_close(db);
        return rc;
    }
    import_summary sum = {0};
    int worst = AB_OK;
    for (int i = 2; i < 2 + nfiles; i++) {
        int r = import_tickets_file_as_of(db, o, argv[i], as_of, &sum);
        if (r < 0 && (worst == AB_OK || worst == AB_E_REJECTED))
            worst = r;
    }
    if (o->json)
        import_summary_json(&sum);
    pgsink_close(db);
    return worst;
}
