/*
 * inspect.c - `abgleich inspect FILE... [--json]`: what a bank statement
 * file holds, without a database.
 *
 * Data in: CAMT (camt.052/053/054) and MT940/MT942 files, also inside ZIP
 * containers, the format judged by content (formats/bankread.h), each
 * streamed through its reader.  Data
 * out on stdout: per statement its format and version, account, id,
 * opening and closing balance, entries, transactions, and the sums of the
 * booked credit and debit entries; a small aligned table, or with --json
 * one object per file and line:
 *   {"file","format","statements":[{"format","account","id","opening_cents",
 *    "closing_cents","entries","transactions","credit_cents","debit_cents"}]}
 * plus "error" when the file was rejected.  Only statements whose balance
 * check held are listed (the readers confirm nothing else); a rejected file
 * prints its reason `FILE:LINE: field: reason` on stderr and makes the exit
 * code 3.  Memory: the rows of the statements listed (copied strings).
 */
#include <stdio.h>
#include <string.h>

#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/money.h"
#include "../formats/bankread.h"
#include "../formats/jsonw.h"
#include "cli.h"

typedef struct row {
    const char *file;
    char format[32], account[AB_ID_MAX + 1], id[3 * AB_ID_MAX + 40];
    bool has_opening, has_closing;
    int64_t opening, closing, credit, debit;
    uint32_t entries, transactions;
} row;

typedef struct rows {
    row *v;
    size_t n, cap;
    const char *file;
} rows;

static int on_statement_end(void *ctx, const statement *st)
{
    rows *rs = ctx;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? 2 * rs->cap : 16;
        row *v = mem_realloc(rs->v, cap * sizeof *v);
        if (!v)
            return AB_E_NOMEM;
        rs->v = v;
        rs->cap = cap;
    }
    row *w = &rs->v[rs->n++];
    memset(w, 0, sizeof *w);
    w->file = rs->file;
    snprintf(w->format, sizeof w->format, "%s", st->format ? st->format : "");
    snprintf(w->account, sizeof w->account, "%s", st->account ? st->account : "");
    snprintf(w->id, sizeof w->id, "%s", st->stmt_id ? st->stmt_id : "");
    w->has_opening = st->has_opening;
    w->has_closing = st->has_closing;
    w->opening = st->opening_cents;
    w->closing = st->closing_cents;
    w->credit = st->credit_cents;
    w->debit = st->debit_cents;
    w->entries = st->entries;
    w->transactions = st->transactions;
    return AB_OK;
}

/* Detects and reads one file; rejections are printed on stderr. */
static int inspect_file(const char *path, rows *rs, char *fmt, size_t fmtlen, char *err,
                        size_t errlen)
{
    rs->file = path;
    camt_sink sink = {.ctx = rs, .on_statement_end = on_statement_end};
    int rc = bankread_path(path, &sink, NULL, NULL, fmt, fmtlen, err, errlen);
    if (rc < 0)
        log_error("%s", err[0] ? err : ab_strerror(rc));
    return rc;
}

static void json_file(const char *path, const char *fmt, const rows *rs, size_t from,
                      const char *err)
{
    jsonw w;
    jsonw_init(&w, stdout);
    jsonw_obj_begin(&w);
    jsonw_kstr(&w, "file", path);
    jsonw_kstr(&w, "format", fmt);
    jsonw_key(&w, "statements");
    jsonw_arr_begin(&w);
    for (size_t i = from; i < rs->n; i++) {
        const row *r = &rs->v[i];
        jsonw_obj_begin(&w);
        jsonw_kstr(&w, "format", r->format);
        jsonw_kstr(&w, "account", r->account);
        jsonw_kstr(&w, "id", r->id);
        jsonw_kint(&w, "opening_cents", r->opening);
        jsonw_kint(&w, "closing_cents", r->closing);
        jsonw_kint(&w, "entries", r->entries);
        jsonw_kint(&w, "transactions", r->transactions);
        jsonw_kint(&w, "credit_cents", r->credit);
        jsonw_kint(&w, "debit_cents", r->debit);
        jsonw_obj_end(&w);
    }
    jsonw_arr_end(&w);
    if (err)
        jsonw_kstr(&w, "error", err);
    jsonw_obj_end(&w); /* ends the line at the top level */
}

enum { COL_FILE, COL_FORMAT, COL_ACCOUNT, COL_ID, COL_OPEN, COL_CLOSE, COL_ENTRIES, COL_TX,
       COL_CREDIT, COL_DEBIT, NCOLS };

static const char *const heads[NCOLS] = {"FILE",    "FORMAT",  "ACCOUNT", "STATEMENT",
                                         "OPENING", "CLOSING", "ENTRIES", "TX",
                                         "CREDITS", "DEBITS"};

/* The cells of one row as text; amounts in units with two decimals. */
static void cells(const row *r, char c[NCOLS][AB_ID_MAX * 3 + 48])
{
    size_t n = AB_ID_MAX * 3 + 48;
    snprintf(c[COL_FILE], n, "%s", r->file);
    snprintf(c[COL_FORMAT], n, "%s", r->format);
    snprintf(c[COL_ACCOUNT], n, "%s", r->account);
    snprintf(c[COL_ID], n, "%s", r->id);
    if (r->has_opening)
        money_format(r->opening, c[COL_OPEN], n);
    else
        snprintf(c[COL_OPEN], n, "-");
    if (r->has_closing)
        money_format(r->closing, c[COL_CLOSE], n);
    else
        snprintf(c[COL_CLOSE], n, "-");
    snprintf(c[COL_ENTRIES], n, "%u", r->entries);
    snprintf(c[COL_TX], n, "%u", r->transactions);
    money_format(r->credit, c[COL_CREDIT], n);
    money_format(r->debit, c[COL_DEBIT], n);
}

/* Text columns left-aligned, numbers right-aligned, widths from the data. */
static void print_table(const rows *rs)
{
    static char c[NCOLS][AB_ID_MAX * 3 + 48];
    int w[NCOLS];
    for (int k = 0; k < NCOLS; k++)
        w[k] = (int)strlen(heads[k]);
    for (size_t i = 0; i < rs->n; i++) {
        cells(&rs->v[i], c);
        for (int k = 0; k < NCOLS; k++)
            if ((int)strlen(c[k]) > w[k])
                w[k] = (int)strlen(c[k]);
    }
    for (size_t i = 0; i <= rs->n; i++) {
        if (i > 0)
            cells(&rs->v[i - 1], c);
        for (int k = 0; k < NCOLS; k++) {
            const char *v = i == 0 ? heads[k] : c[k];
            int right = k >= COL_OPEN;
            printf("%s%*s%s", k ? "  " : "", right ? w[k] : -w[k], v,
                   k == NCOLS - 1 ? "\n" : "");
        }
    }
}

int job_inspect(const cli_opts *o, int argc, char **argv)
{
    int nfiles = 0, first_rc = AB_OK;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "abgleich inspect: unknown option %s\n", argv[i]);
            return AB_E_USAGE;
        }
        nfiles++;
    }
    if (nfiles == 0) {
        fprintf(stderr, "usage: abgleich inspect FILE... [--json]\n");
        return AB_E_USAGE;
    }
    rows rs = {0};
    for (int i = 1; i < argc; i++) {
        char fmt[64], err[AB_ERRMSG_MAX] = "";
        size_t from = rs.n;
        int rc = inspect_file(argv[i], &rs, fmt, sizeof fmt, err, sizeof err);
        if (rc < 0 && first_rc == AB_OK)
            first_rc = rc;
        if (o->json)
            json_file(argv[i], fmt, &rs, from, rc < 0 ? (err[0] ? err : ab_strerror(rc)) : NULL);
        if (rc == AB_E_NOMEM)
            break;
    }
    if (!o->json)
        print_table(&rs);
    fflush(stdout);
    mem_free(rs.v);
    return first_rc;
}
