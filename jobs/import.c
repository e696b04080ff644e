/*
 * import.c - `abgleich import tickets FILE...`: ticket batches become claims.
 *
 * Input: our ticket CSV or a WiNOWiG XMLMDE handheld export (by content).
 * Pipeline per file, in one PostgreSQL transaction:
 *   content hash -> already imported? say so, change nothing
 *   -> input_files row -> stream CSV rows (formats/tickets) -> COPY into a
 *   temporary stage table (with each row's line number)
 *   -> SQL reports references repeated in the file or already known, by line
 *   -> SQL reports likely duplicates (same plate and TBNR within
 *      fines_config.duplicate_window_minutes, in the file or known) and drops them
 *   -> INSERT the rest into abgleich.claims, due 7 days after the offense
 *      (the next working day if that is a weekend or holiday, sql/013)
 *   -> COMMIT.
 * Each row passes the legal checks of engine/ticketcheck (catalogue, plate,
 * future, limitation as of --as-of) before it is staged.
 * Memory is one CSV line plus the COPY buffer, whatever the file's size; the
 * duplicate checks run where the references already are, in the database.
 * A killed process leaves the whole file or nothing.
 */
#include "import.h"
#include "invoices.h"

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
#include "../engine/ticketcheck.h"
#include "../formats/jsonw.h"
#include "../formats/tickets.h"
#include "../formats/winowig.h"

/* Server memory per sort or hash of one import transaction (bench/fines_import.sh:
 * a 1 M row batch sorts in memory). */
#define IMPORT_WORK_MEM "256MB"

/* Days between the offense and the due date of a warning (fines-domain.md). */
#define DUE_AFTER_DAYS 7

typedef struct import_ctx {
    pgsink *db;
    const char *path;
    int64_t rejected;
    tcheck_cfg check;
    char dup_window[16];    /* minutes, from fines_config */
} import_ctx;

static int on_reject(void *vctx, unsigned long line, const char *field, const char *reason);

/* The plate as a key: a German plate normalised like the matcher does
 * (engine/plate.c), any other upper-cased without separators. */
static void plate_key(const ticket *t, char out[PLATE_MAX])
{
    if ((!t->nationality || !t->nationality[0] || !strcmp(t->nationality, "D")) &&
        plate_normalise(t->plate, strlen(t->plate), out))
        return;
    size_t o = 0;
    for (const char *p = t->plate; *p && o + 1 < PLATE_MAX; p++)
        if (*p != ' ' && *p != '-')
            out[o++] = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
    out[o] = '\0';
}

static int on_ticket(void *vctx, const ticket *t)
{
    import_ctx *c = vctx;
    tcheck_in in = {.plate = t->plate, .nationality = t->nationality, .tbnr = t->tbnr,
                    .amount_cents = t->amount_cents, .amount_override = t->amount_override,
                    .offense_time = t->offense_time};
    const char *field = NULL;
    tcheck_msg msg;
    const char *why = tcheck_ticket(&c->check, &in, &field, msg);
    if (why)
        return on_reject(c, t->line, field, why);
    char key[PLATE_MAX];
    plate_key(t, key);
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
    return pgsink_copy_end_row(c->db);
}

static int on_reject(void *vctx, unsigned long line, const char *field, const char *reason)
{
    import_ctx *c = vctx;
    log_reject(c->path, line, field, "%s", reason);
    c->rejected++;
    return AB_OK;
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

/* Streams the ticket file (CSV or XMLMDE) into the stage table. */
static int stage_rows(import_ctx *c, const cli_opts *o, int64_t size)
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
    rc = pgsink_copy_begin(c->db, "COPY pg_temp.ticket_stage (line, reference, plate, tbnr,"
                                  " amount_cents, offense_time, location, plate_key, nationality)"
                                  " FROM STDIN");
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
        log_error("%s: %s", c->path,
                  rd.xml ? winowig_reader_error(rd.xml)
                         : rd.csv ? tickets_reader_error(rd.csv) : ab_strerror(rc));
        goto out;
    }
    rc = pgsink_copy_finish(c->db);
out:
    if (f)
        fclose(f);
    mem_free(buf);
    tickets_reader_destroy(rd.csv);
    winowig_reader_destroy(rd.xml);
    return rc;
}

/* Rows the database refuses: repeated in this file, or known already.
 * Reported and left out of the stage, so that the insert need not look
 * again. */
static int report_conflicts(import_ctx *c)
{
    static const char sql[] =
        "WITH d AS ("
        " SELECT line, reference, kind, first_line FROM ("
        "  SELECT s.line, s.reference, 'file' AS kind,"
        "         min(s.line) OVER (PARTITION BY s.reference) AS first_line"
        "  FROM pg_temp.ticket_stage s) d WHERE line <> first_line "
        " UNION ALL "
        " SELECT s.line, s.reference, 'db', NULL FROM pg_temp.ticket_stage s"
        "  JOIN abgleich.claims k ON k.reference = s.reference),"
        " gone AS (DELETE FROM pg_temp.ticket_stage s USING d WHERE s.line = d.line)"
        " SELECT * FROM d ORDER BY 1";
    pgsink_result *res = NULL;
    int rc = pgsink_query(c->db, sql, 0, NULL, &res);
    if (rc < 0)
        return rc;
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        unsigned long line = strtoul(pgsink_result_value(res, i, 0), NULL, 10);
        const char *ref = pgsink_result_value(res, i, 1);
        if (!strcmp(pgsink_result_value(res, i, 2), "file"))
            log_reject(c->path, line, "reference", "%s already in this file at line %s", ref,
                       pgsink_result_value(res, i, 3));
        else
            log_reject(c->path, line, "reference", "%s already known", ref);
        c->rejected++;
    }
    pgsink_result_free(res);
    return AB_OK;
}

/* Likely duplicates: the same plate and TBNR within the configured window,
 * earlier in this file or already a claim (a handheld that uploaded a
 * ticket twice, or two wardens on one car).  Reported and left out. */
static int drop_likely_duplicates(import_ctx *c)
{
    static const char sql[] =
        "WITH d AS ("
        " SELECT s.line, min(p.line) AS first_line, NULL::text AS known"
        " FROM pg_temp.ticket_stage s JOIN pg_temp.ticket_stage p"
        "   ON p.plate_key = s.plate_key AND p.tbnr = s.tbnr AND p.line < s.line"
        "  AND p.reference <> s.reference"
        "  AND p.offense_time BETWEEN s.offense_time - make_interval(mins => $1::int)"
        "                         AND s.offense_time + make_interval(mins => $1::int)"
        " GROUP BY s.line"
        " UNION ALL"
        " SELECT s.line, NULL, min(k.reference)"
        " FROM pg_temp.ticket_stage s JOIN abgleich.claims k"
        "   ON k.plate_key = s.plate_key AND k.tbnr = s.tbnr"
        "  AND k.offense_time BETWEEN s.offense_time - make_interval(mins => $1::int)"
        "                         AND s.offense_time + make_interval(mins => $1::int)"
        "  AND k.reference <> s.reference"
        " GROUP BY s.line),"
        " gone AS (DELETE FROM pg_temp.ticket_stage s USING d WHERE s.line = d.line)"
        " SELECT d.line, d.first_line, d.known"
        " FROM d ORDER BY d.line";
    const char *params[] = {c->dup_window};
    pgsink_result *res = NULL;
    int rc = pgsink_query(c->db, sql, 1, params, &res);
    if (rc < 0)
        return rc;
    unsigned long last = 0;
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        unsigned long line = strtoul(pgsink_result_value(res, i, 0), NULL, 10);
        if (line == last)
            continue; /* a duplicate in the file and of a known claim: said once */
        last = line;
        if (!pgsink_result_isnull(res, i, 1))
            log_reject(c->path, line, "plate",
                       "likely duplicate of line %s (same plate and TBNR within %s minutes)",
                       pgsink_result_value(res, i, 1), c->dup_window);
        else
            log_reject(c->path, line, "plate",
                       "likely duplicate of claim %s (same plate and TBNR within %s minutes)",
                       pgsink_result_value(res, i, 2), c->dup_window);
        c->rejected++;
    }
    pgsink_result_free(res);
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
        "   location, amount_cents, due_date, plate_key, nationality)"
        " SELECT $1::bigint, s.line, s.reference, s.plate, s.tbnr, s.offense_time, s.location,"
        "   s.amount_cents, due.due, s.plate_key, s.nationality"
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

static int import_in_tx(pgsink *db, const cli_opts *o, import_ctx *c, const char *hash,
                        int64_t size, import_summary *sum)
{
    char file_id[24];
    /* One importer at a time: two batches naming one reference would
     * otherwise race past the duplicate check. */
    int rc = pgsink_exec(db, "SELECT pg_advisory_xact_lock(hashtext('abgleich.claims'))");
    /* The duplicate checks and the ordered insert sort the whole batch;
     * with the default 4 MB they spill to disk at a few 100k rows. */
    if (rc == AB_OK)
        rc = pgsink_exec(db, "SET LOCAL work_mem = '" IMPORT_WORK_MEM "'");
    if (rc == AB_OK)
        rc = check_seen(db, c->path, hash);
    if (rc == AB_OK)
        rc = register_file(db, c->path, hash, size, file_id);
    if (rc == AB_OK)
        rc = pgsink_exec(db, "CREATE TEMP TABLE ticket_stage (line int, reference text,"
                             " plate text, tbnr text, amount_cents bigint,"
                             " offense_time timestamp, location text, plate_key text,"
                             " nationality text) ON COMMIT DROP");
    if (rc == AB_OK)
        rc = read_config(c);
    if (rc == AB_OK)
        rc = stage_rows(c, o, size);
    if (rc == AB_OK)
        rc = report_conflicts(c);
    if (rc == AB_OK)
        rc = drop_likely_duplicates(c);
    if (rc == AB_OK)
        rc = insert_claims(c, file_id, sum);
    return rc;
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
    if (offense_load() < 0) {
        log_error("the embedded offense catalogue is broken");
        sum->files_failed++;
        return AB_E_INVAL;
    }
    int64_t before = sum->claims;
    rc = pgsink_begin(db);
    if (rc == AB_OK)
        rc = import_in_tx(db, o, &c, hash, size, sum);
    if (rc == AB_OK)
        rc = pgsink_commit(db);
    if (rc < 0) {
        pgsink_rollback(db);
        sum->claims = before;
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
    sum->rejected += c.rejected;
    log_info("%s: %lld claims imported, %lld rows rejected", path,
             (long long)(sum->claims - before), (long long)c.rejected);
    return c.rejected ? AB_E_REJECTED : AB_OK;
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
