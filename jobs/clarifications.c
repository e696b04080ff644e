/*
 * clarifications.c - `abgleich clarifications -o FILE [--format csv|xlsx]`: the
 * clerks' work list as a spreadsheet, and the decisions coming back from it
 * (`abgleich clarify --from FILE`, see clarify.c).
 *
 * The list: every open clarification with the payment (file, booking day,
 * EndToEndId, payer, remittance text), the reason and the amount still to
 * decide, the stored explanation, up to three ranked candidate claims
 * (reference, score, why), and four empty columns for the clerk's decision
 * (action, claim, amount, clerk).  The CSV follows the German Excel
 * convention: UTF-8 with a BOM, ';' between fields, a decimal comma, CRLF;
 * headers and action words German by default, English with --lang en.
 * Text that came from a bank and starts with = + - @ is written with a
 * leading apostrophe, so a spreadsheet shows it instead of running it as a
 * formula.  The reason and the candidates' why are written in the clerk's
 * words with the code beside them ("mehrdeutig (ambiguous)"), as the
 * morning report does, so a clerk who filters by the code still can.  Rows stream from a COPY: memory does
 * not grow with the list.
 * The XLSX (libxlsxwriter, with its constant-memory mode) has the same
 * columns; an amount is the formula =CENTS/100 with a two-decimal format,
 * so the sheet can sum it while abgleich never holds money as a float.
 */
#include "clarifications.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "../engine/log.h"
#include "../engine/matcher.h"
#include "../engine/pgsink.h"

#define NCOLS 23

static const char *const head_de[NCOLS] = {
    "Klärfall", "Datei", "Umsatz", "Buchungstag", "Grund", "Betrag", "Offen",
    "End-to-End-Referenz", "Zahler", "Verwendungszweck", "Erklärung",
    "Kandidat 1", "Punkte 1", "Begründung 1", "Kandidat 2", "Punkte 2", "Begründung 2",
    "Kandidat 3", "Punkte 3", "Entscheidung", "Forderung", "Betrag Entscheidung",
    "Bearbeiter"};
static const char *const head_en[NCOLS] = {
    "Clarification", "File", "Transaction", "Booking day", "Reason", "Amount", "Open",
    "End-to-end id", "Payer", "Remittance", "Explanation",
    "Candidate 1", "Score 1", "Why 1", "Candidate 2", "Score 2", "Why 2",
    "Candidate 3", "Score 3", "Decision", "Claim", "Decision amount", "Clerk"};

const char *clarifications_header(int col, int en)
{
    return col >= 0 && col < NCOLS ? (en ? head_en : head_de)[col] : NULL;
}

/* Column 18 is the third candidate's score; its reason is left out to keep
 * the decision columns in reach.  Amount columns: 5 and 6. */
static const char list_sql[] =
    "COPY (SELECT o.id, f.name, o.tx_seq, o.booking_date, o.reason, o.amount_cents,"
    " o.open_cents, o.end_to_end_id, o.debtor_name, o.remittance,"
    " CASE WHEN %s THEN k.explanation_en ELSE k.explanation END,"
    " max(c.reference) FILTER (WHERE d.rank = 1), max(d.score) FILTER (WHERE d.rank = 1),"
    " max(d.reason) FILTER (WHERE d.rank = 1),"
    " max(c.reference) FILTER (WHERE d.rank = 2), max(d.score) FILTER (WHERE d.rank = 2),"
    " max(d.reason) FILTER (WHERE d.rank = 2),"
    " max(c.reference) FILTER (WHERE d.rank = 3), max(d.score) FILTER (WHERE d.rank = 3)"
    " FROM abgleich.open_clarifications o"
    " JOIN abgleich.clarifications k ON k.id = o.id"
    " JOIN abgleich.input_files f ON f.id = o.file_id"
    " LEFT JOIN abgleich.clarification_candidates d ON d.file_id = o.file_id"
    "  AND d.tx_seq = o.tx_seq"
    " LEFT JOIN abgleich.claims c ON c.id = d.claim_id"
    " GROUP BY o.id, f.name, o.tx_seq, o.booking_date, o.reason, o.amount_cents,"
    "  o.open_cents, o.end_to_end_id, o.debtor_name, o.remittance, k.explanation,"
    "  k.explanation_en ORDER BY o.id) TO STDOUT";

typedef struct writer {
    FILE *f;
    lxw_worksheet *ws;
    lxw_format *money;
    long rows;
    int en;
} writer;

#define COL_REASON 4
#define COL_WHY1 13
#define COL_WHY2 16

/* "words (code)" for the reason and the candidates' why, or the value as
 * stored when it has no other words; other columns as they are. */
static const char *reason_text(int col, const char *code, int en, char *buf, size_t n)
{
    if (col != COL_REASON && col != COL_WHY1 && col != COL_WHY2)
        return code;
    const char *words = col == COL_REASON ? match_reason_label(code, en)
                                          : match_why_label(code, en);
    if (!words || !strcmp(words, code))
        return code; /* "ambiguous (ambiguous)" says nothing twice */
    snprintf(buf, n, "%s (%s)", words, code);
    return buf;
}

static void put_text(FILE *f, const char *s, size_t n)
{
    int quote = 0;
    for (size_t i = 0; i < n; i++)
        quote |= s[i] == ';' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (quote)
        fputc('"', f);
    if (n && strchr("=+-@", s[0]))
        fputc('\'', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    if (quote)
        fputc('"', f);
}

/* Cents as the German spreadsheet reads a number: 1234,56 (no grouping). */
static void put_cents(FILE *f, const char *s)
{
    long long c = strtoll(s, NULL, 10);
    unsigned long long a = c < 0 ? 0ull - (unsigned long long)c : (unsigned long long)c;
    fprintf(f, "%s%llu,%02llu", c < 0 ? "-" : "", a / 100, a % 100);
}

static int on_row(void *ctx, char *line, size_t n)
{
    writer *w = ctx;
    char *f[NCOLS];
    size_t len[NCOLS];
    int k = pgsink_copy_split(line, n, f, len, NCOLS);
    if (k != 19)
        return AB_E_DB;
    for (int i = 0; i < NCOLS; i++) {
        if (i)
            fputc(';', w->f);
        if (i >= k || !f[i])
            continue; /* NULL, or a decision column: empty */
        if (i == 5 || i == 6) {
            put_cents(w->f, f[i]);
        } else {
            char buf[128];
            const char *t = reason_text(i, f[i], w->en, buf, sizeof buf);
            put_text(w->f, t, t == f[i] ? len[i] : strlen(t));
        }
    }
    fputs("\r\n", w->f);
    w->rows++;
    return AB_OK;
}

static int on_xlsx_row(void *ctx, char *line, size_t n)
{
    writer *w = ctx;
    char *f[NCOLS];
    size_t len[NCOLS];
    if (pgsink_copy_split(line, n, f, len, NCOLS) != 19)
        return AB_E_DB;
    lxw_row_t row = (lxw_row_t)(++w->rows);
    for (int i = 0; i < 19; i++) {
        lxw_error e = LXW_NO_ERROR;
        if (!f[i])
            continue;
        if (i == 5 || i == 6) {
            /* The formula's cached result is what a reader sees when the
             * sheet comes back unrecalculated (a tool that does not run
             * formulas); without it, 0, the "Offen" column said nothing was
             * open and clarify --from refused every row.  A double only
             * for display: clarify reads it back as exact cents. */
            char formula[40];
            long long c = strtoll(f[i], NULL, 10);
            snprintf(formula, sizeof formula, "=%lld/100", c);
            e = worksheet_write_formula_num(w->ws, row, (lxw_col_t)i, formula, w->money,
                                            (double)c / 100.0);
        } else {
            char buf[128];
            const char *t = reason_text(i, f[i], w->en, buf, sizeof buf);
            e = worksheet_write_string(w->ws, row, (lxw_col_t)i, t, NULL);
        }
        if (e != LXW_NO_ERROR)
            return AB_E_IO;
    }
    return AB_OK;
}

static int export_xlsx(pgsink *db, const char *path, int en, long *rows)
{
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb) {
        log_error("%s: cannot write", path);
        return AB_E_IO;
    }
    writer w = {.ws = workbook_add_worksheet(wb, en ? "Clarifications" : "Klärfälle"), .en = en};
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    w.money = workbook_add_format(wb);
    format_set_num_format(w.money, "#,##0.00");
    for (int i = 0; i < NCOLS; i++)
        worksheet_write_string(w.ws, 0, (lxw_col_t)i, clarifications_header(i, en), bold);
    char sql[sizeof list_sql + 16];
    snprintf(sql, sizeof sql, list_sql, en ? "true" : "false");
    int rc = pgsink_copy_out(db, sql, on_xlsx_row, &w);
    *rows = w.rows;
    if (workbook_close(wb) != LXW_NO_ERROR && rc == AB_OK) {
        log_error("%s: cannot write", path);
        rc = AB_E_IO;
    }
    return rc;
}

static int export_csv(pgsink *db, const char *path, int en, long *rows)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
    if (!f) {
        log_error("%s: cannot write", path);
        return AB_E_IO;
    }
    fputs("\xEF\xBB\xBF", f);
    for (int i = 0; i < NCOLS; i++) {
        if (i)
            fputc(';', f);
        fputs(clarifications_header(i, en), f);
    }
    fputs("\r\n", f);
    char sql[sizeof list_sql + 16];
    snprintf(sql, sizeof sql, list_sql, en ? "true" : "false");
    writer w = {.f = f, .en = en};
    int rc = pgsink_copy_out(db, sql, on_row, &w);
    *rows = w.rows;
    if (f != stdout && fclose(f) != 0 && rc == AB_OK)
        rc = AB_E_IO;
    return rc;
}

int job_clarifications(const cli_opts *o, int argc, char **argv)
{
    const char *out = NULL, *format = "csv";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
        else
            goto usage;
    }
    int xlsx = !strcmp(format, "xlsx");
    if (!out || (!xlsx && strcmp(format, "csv")))
        goto usage;
    pgsink *db = NULL;
    long rows = 0;
    int rc = pgsink_connect(&db, o->db);
    if (rc == AB_OK)
        rc = (xlsx ? export_xlsx : export_csv)(db, out, !strcmp(o->lang, "en"), &rows);
    if (rc == AB_E_DB)
        log_error("database: %s", pgsink_error(db));
    else if (rc == AB_OK)
        log_info("%s: %ld open clarifications written", out, rows);
    pgsink_close(db);
    return rc;
usage:
    fprintf(stderr, "usage: abgleich clarifications -o FILE [--format csv|xlsx]\n");
    return AB_E_USAGE;
}
