/*
 * import.c - `abgleich import tickets FILE...`: ticket batches become claims.
 *
 * Pipeline per file, in one PostgreSQL transaction:
 *   content hash -> already imported? say so, change nothing
 *   -> input_files row -> stream CSV rows (formats/tickets) -> COPY into a
 *   temporary stage table (with each row's line number)
 *   -> SQL reports references repeated in the file or already known, by line
 *   -> INSERT the rest into abgleich.claims, due 7 days after the offense
 *   -> COMMIT.
 * Memory is one CSV line plus the COPY buffer, whatever the file's size; the
 * duplicate checks run where the references already are, in the database.
 * A killed process leaves the whole file or nothing.
 */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/date.h"
#include "../engine/filehash.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/progress.h"
#include "../formats/jsonw.h"
#include "../formats/tickets.h"

/* Days between the offense and the due date of a warning (fines-domain.md). */
#define DUE_AFTER_DAYS 7

typedef struct import_ctx {
    pgsink *db;
    const char *path;
    int64_t rejected;
} import_ctx;

static int on_ticket(void *vctx, const ticket *t)
{
    import_ctx *c = vctx;
    char when[20];
    datetime_format(t->offense_time, when);
    pgsink_copy_int(c->db, (int64_t)t->line);
    pgsink_copy_cstr(c->db, t->reference);
    pgsink_copy_cstr(c->db, t->plate);
    pgsink_copy_cstr(c->db, t->tbnr);
    pgsink_copy_int(c->db, t->amount_cents);
    pgsink_copy_cstr(c->db, when);
    pgsink_copy_cstr(c->db, t->location);
    return pgsink_copy_end_row(c->db);
}

static int on_reject(void *vctx, unsigned long line, const char *field, const char *reason)
{
    import_ctx *c = vctx;
    log_reject(c->path, line, field, "%s", reason);
    c->rejected++;
    return AB_OK;
}

/* Streams the CSV into the stage table. */
static int stage_rows(import_ctx *c, const cli_opts *o, int64_t size)
{
    tickets_sink sink = {.ctx = c, .on_ticket = on_ticket, .on_reject = on_reject};
    tickets_reader *r = NULL;
    char *buf = NULL;
    FILE *f = NULL;
    int rc = tickets_reader_create(&r, &sink, o->scheme);
    if (rc < 0)
        return rc;
    rc = AB_E_NOMEM;
    if (!(buf = mem_alloc(AB_READ_CHUNK)))
        goto out;
    rc = AB_E_IO;
    if (!(f = fopen(c->path, "rb")))
        goto out;
    rc = pgsink_copy_begin(c->db, "COPY pg_temp.ticket_stage (line, reference, plate, tbnr,"
                                  " amount_cents, offense_time, location) FROM STDIN");
    if (rc < 0)
        goto out;
    progress p;
    progress_start(&p, "tickets", size, o->quiet);
    size_t n;
    int64_t done = 0;
    do {
        n = fread(buf, 1, AB_READ_CHUNK, f);
        done += (int64_t)n;
        rc = tickets_reader_feed(r, buf, n, n < AB_READ_CHUNK);
        progress_update(&p, done);
    } while (rc == AB_OK && n == AB_READ_CHUNK);
    progress_end(&p);
    if (rc < 0) {
        log_error("%s: %s", c->path, tickets_reader_error(r));
        goto out;
    }
    rc = pgsink_copy_finish(c->db);
out:
    if (f)
        fclose(f);
    mem_free(buf);
    tickets_reader_destroy(r);
    return rc;
}

/* Rows the database refuses: repeated in this file, or known already. */
static int report_conflicts(import_ctx *c)
{
    static const char sql[] =
        "SELECT line, reference, kind, first_line FROM ("
        "  SELECT s.line, s.reference, 'file' AS kind,"
        "         min(s.line) OVER (PARTITION BY s.reference) AS first_line"
        "  FROM pg_temp.ticket_stage s) d WHERE line <> first_line "
        "UNION ALL "
        "SELECT s.line, s.reference, 'db', NULL FROM pg_temp.ticket_stage s"
        "  JOIN abgleich.claims k ON k.reference = s.reference "
        "ORDER BY 1";
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

static int insert_claims(import_ctx *c, const char *file_id, import_summary *sum)
{
    static const char sql[] =
        "WITH ins AS ("
        " INSERT INTO abgleich.claims (file_id, line, reference, plate, tbnr, offense_time,"
        "   location, amount_cents, due_date)"
        " SELECT $1::bigint, s.line, s.reference, s.plate, s.tbnr, s.offense_time, s.location,"
        "   s.amount_cents, s.offense_time::date + " AB_STR(DUE_AFTER_DAYS)
        " FROM (SELECT t.*, row_number() OVER (PARTITION BY t.reference ORDER BY t.line) AS rn"
        "       FROM pg_temp.ticket_stage t) s"
        " WHERE s.rn = 1"
        "   AND NOT EXISTS (SELECT 1 FROM abgleich.claims k WHERE k.reference = s.reference)"
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
    if (rc == AB_OK)
        rc = check_seen(db, c->path, hash);
    if (rc == AB_OK)
        rc = register_file(db, c->path, hash, size, file_id);
    if (rc == AB_OK)
        rc = pgsink_exec(db, "CREATE TEMP TABLE ticket_stage (line int, reference text,"
                             " plate text, tbnr text, amount_cents bigint,"
                             " offense_time timestamp, location text) ON COMMIT DROP");
    if (rc == AB_OK)
        rc = stage_rows(c, o, size);
    if (rc == AB_OK)
        rc = report_conflicts(c);
    if (rc == AB_OK)
        rc = insert_claims(c, file_id, sum);
    return rc;
}

int import_tickets_file(pgsink *db, const cli_opts *o, const char *path, import_summary *sum)
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
    import_ctx c = {.db = db, .path = path};
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
    if (argc < 3 || strcmp(argv[1], "tickets")) {
        fprintf(stderr, "usage: abgleich import tickets FILE...\n");
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
    for (int i = 2; i < argc; i++) {
        int r = import_tickets_file(db, o, argv[i], &sum);
        if (r < 0 && (worst == AB_OK || worst == AB_E_REJECTED))
            worst = r;
    }
    if (o->json)
        import_summary_json(&sum);
    pgsink_close(db);
    return worst;
}
