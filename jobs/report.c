/*
 * report.c - `abgleich report [--run FILE_ID | --date DAY] [-o FILE]`: the
 * morning report of a reconciliation, one self-contained HTML file.
 *
 * Scope: one statement file (--run, its input_files id), the statement
 * files read on one day (--date), or by default the latest one.  Sections:
 * totals and sums per outcome, clarifications by reason (with a bar chart),
 * the match rate of the last 30 statement files (a bar chart), the largest
 * amounts still waiting for a clerk, and the statements with their
 * balances.  Charts are inline SVG and the style is inline: the file opens
 * anywhere, offline, and can be mailed.  Every text that came from a bank
 * file is HTML-escaped.  German by default, English with --lang en.
 * Memory: each query returns a bounded number of rows (LIMITs below).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/log.h"
#include "../engine/matcher.h"
#include "../engine/money.h"
#include "../engine/pgsink.h"

typedef struct rep {
    pgsink *db;
    FILE *f;
    int en;
} rep;

static const char *tr(const rep *r, const char *de, const char *en)
{
    return r->en ? en : de;
}

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void eur(const rep *r, const char *cents)
{
    char b[40];
    int64_t c = cents ? strtoll(cents, NULL, 10) : 0;
    if (r->en)
        money_format(c, b, sizeof b);
    else
        money_format_de(c, b, sizeof b);
    fprintf(r->f, "%s&nbsp;€", b);
}

/* Queries name the files in scope as IN_SCOPE (the temporary table
 * report_scope, filled by set_scope). */
#define IN_SCOPE " file_id IN (SELECT id FROM report_scope) "
/* A bank transaction the account saw once, of rows t: not a provisional
 * sighting (an intraday report's, or the second file stating the same
 * transactions, sql/037 and 047), and not a batch total whose camt.054
 * parts are here (sql/047's entry_links): those parts are the money. */
#define BOOKED_ONCE                                                                        \
    " NOT t.provisional AND NOT (t.batch_txs IS NOT NULL AND EXISTS (SELECT 1"               \
    "   FROM abgleich.entry_links l WHERE l.total AND l.stmt_file = t.file_id"              \
    "   AND l.stmt_seq = t.seq)) "

static int query(rep *r, const char *sql, pgsink_result **res)
{
    return pgsink_query(r->db, sql, 0, NULL, res);
}

/* One horizontal bar per row: label, value, the largest value sets 100 %. */
static void bars(const rep *r, const char *const *labels, const int64_t *v, int n, int pct)
{
    int64_t max = 1;
    for (int i = 0; i < n; i++)
        max = v[i] > max ? v[i] : max;
    /* 250 px of label: a reason's words run to some 33 characters */
    fprintf(r->f, "<svg role=\"img\" width=\"700\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">",
            n * 24 + 4);
    for (int i = 0; i < n; i++) {
        int w = (int)(v[i] * 380 / (pct ? 1000 : max));
        fprintf(r->f, "<text x=\"0\" y=\"%d\" font-size=\"13\">", i * 24 + 17);
        esc(r->f, labels[i]);
        fprintf(r->f, "</text><rect x=\"250\" y=\"%d\" width=\"%d\" height=\"18\" fill=\"#2b6cb0\"/>"
                      "<text x=\"%d\" y=\"%d\" font-size=\"13\">",
                i * 24 + 3, w, 256 + w, i * 24 + 17);
        if (pct)
            fprintf(r->f, "%lld,%lld&nbsp;%%", (long long)v[i] / 10, (long long)v[i] % 10);
        else
            fprintf(r->f, "%lld", (long long)v[i]);
        fputs("</text>", r->f);
    }
    fputs("</svg>\n", r->f);
}

static int totals(rep *r)
{
    pgsink_result *q = NULL;
    int rc = query(r,
        /* Row 0: every transaction, its sum the net of credits less debits
         * (a debit added to the credits was a sum of nothing); rows 7 and 8
         * show them apart. */
        "SELECT (SELECT count(*) FROM abgleich.bank_transactions t WHERE " IN_SCOPE " AND"
        BOOKED_ONCE "),"
        " (SELECT coalesce(sum(CASE WHEN direction = 'C' THEN amount_cents ELSE -amount_cents END),"
        "   0) FROM abgleich.bank_transactions t WHERE " IN_SCOPE " AND" BOOKED_ONCE "),"
        " (SELECT count(DISTINCT (file_id, tx_seq)) FROM abgleich.allocations a WHERE " IN_SCOPE ""
        "   AND amount_cents > 0 AND method IN ('exact_reference','fuzzy_reference','plate_amount')),"
        " (SELECT coalesce(sum(amount_cents), 0) FROM abgleich.allocations WHERE " IN_SCOPE ""
        "   AND amount_cents > 0 AND method IN ('exact_reference','fuzzy_reference','plate_amount')),"
        /* Reversals and returns are bank transactions, counted once with
         * their amount: one reversal writes a row per ledger row it takes
         * back, -10 for the payment and +10 for the surplus that a
         * dismissal had moved to a clarification (sql/035), which summed
         * to 0,00 and counted 2.  Those that took a payment back, by the
         * pair (sql/072): also one whose money waited in a clarification
         * and that reversed no allocation. */
        " (SELECT count(*) FROM abgleich.bank_transactions t WHERE " IN_SCOPE " AND EXISTS (SELECT 1"
        "   FROM abgleich.reversal_links l WHERE l.file_id = t.file_id AND l.tx_seq = t.seq)),"
        " (SELECT coalesce(sum(amount_cents), 0) FROM abgleich.bank_transactions t WHERE " IN_SCOPE ""
        "   AND EXISTS (SELECT 1 FROM abgleich.reversal_links l WHERE l.file_id = t.file_id"
        "   AND l.tx_seq = t.seq)),"
        " (SELECT count(*) FROM abgleich.clarifications WHERE " IN_SCOPE "),"
        " (SELECT coalesce(sum(amount_cents), 0) FROM abgleich.clarifications WHERE " IN_SCOPE "),"
        /* Debits that paid an e-invoice are not "not matched" (row 5). */
        " (SELECT count(*) FROM abgleich.bank_transactions t WHERE " IN_SCOPE " AND direction = 'D'"
        "   AND" BOOKED_ONCE "AND NOT reversal AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a"
        "   WHERE a.file_id = t.file_id AND a.tx_seq = t.seq AND a.invoice_id IS NOT NULL)),"
        " (SELECT coalesce(sum(amount_cents), 0) FROM abgleich.bank_transactions t WHERE " IN_SCOPE ""
        "   AND direction = 'D' AND" BOOKED_ONCE "AND NOT reversal AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a"
        "   WHERE a.file_id = t.file_id AND a.tx_seq = t.seq AND a.invoice_id IS NOT NULL)),"
        " (SELECT count(*) FROM abgleich.allocations WHERE " IN_SCOPE " AND method = 'invoice_payment'),"
        " (SELECT coalesce(sum(amount_cents), 0) FROM abgleich.allocations WHERE " IN_SCOPE ""
        "   AND method = 'invoice_payment'),"
        /* Our transfers back: the invoice's payment reversed (jobs/outgoing.c). */
        " (SELECT count(*) FROM abgleich.allocations WHERE " IN_SCOPE " AND method = 'invoice_return'),"
        " (SELECT coalesce(-sum(amount_cents), 0) FROM abgleich.allocations WHERE " IN_SCOPE ""
        "   AND method = 'invoice_return'),"
        " (SELECT count(*) FROM abgleich.bank_transactions t WHERE " IN_SCOPE " AND direction = 'C'"
        "   AND" BOOKED_ONCE "),"
        " (SELECT coalesce(sum(amount_cents), 0) FROM abgleich.bank_transactions t WHERE " IN_SCOPE ""
        "   AND direction = 'C' AND" BOOKED_ONCE "),"
        " (SELECT count(*) FROM abgleich.bank_transactions t WHERE " IN_SCOPE " AND direction = 'D'"
        "   AND" BOOKED_ONCE "),"
        " (SELECT coalesce(sum(amount_cents), 0) FROM abgleich.bank_transactions t WHERE " IN_SCOPE ""
        "   AND direction = 'D' AND" BOOKED_ONCE ")", &q);
    if (rc < 0)
        return rc;
    /* A row's id (countN) is its column pair in the query and stays what
     * it is (tests and readers find rows by it); new rows get new ids and
     * are shown where they belong (order). */
    const char *names[9][2] = {{"Umsätze (Saldo)", "Transactions (net)"},
                               {"automatisch zugeordnet", "allocated automatically"},
                               {"Rückbuchungen und Rückgaben", "reversals and returns"},
                               {"Klärfälle", "clarifications"},
                               {"Abgänge (nicht abgeglichen)", "debits (not matched)"},
                               {"Abgänge für E-Rechnungen", "debits paying e-invoices"},
                               {"eigene Überweisungen zurück (E-Rechnungen)",
                                "our transfers back (e-invoices)"},
                               {"Gutschriften", "credits"},
                               {"Belastungen", "debits"}};
    static const int order[9] = {0, 7, 8, 1, 2, 3, 4, 5, 6};
    fprintf(r->f, "<h2>%s</h2><table><tr><th></th><th>%s</th><th>%s</th></tr>\n",
            tr(r, "Ergebnis", "Outcome"), tr(r, "Anzahl", "Count"), tr(r, "Summe", "Sum"));
    for (int k = 0; k < 9; k++) {
        int i = order[k];
        fprintf(r->f, "<tr><td>%s</td><td class=\"n\" id=\"count%d\">%s</td><td class=\"n\">",
                names[i][r->en], i, pgsink_result_value(q, 0, 2 * i));
        eur(r, pgsink_result_value(q, 0, 2 * i + 1));
        fputs("</td></tr>\n", r->f);
    }
    fputs("</table>\n", r->f);
    pgsink_result_free(q);
    return AB_OK;
}

/* A reason as the clerk reads it: its words, and the code beside them (the
 * code is what docs/matching.md and the Excel list name). */
static void reason_cell(const rep *r, const char *code)
{
    const char *words = match_reason_label(code, r->en);
    if (words) {
        esc(r->f, words);
        fputs(" <small>(", r->f);
        esc(r->f, code);
        fputs(")</small>", r->f);
    } else {
        esc(r->f, code);
    }
}

static int by_reason(rep *r)
{
    pgsink_result *q = NULL;
    int rc = query(r, "SELECT reason, count(*), sum(amount_cents) FROM abgleich.clarifications"
                      " WHERE" IN_SCOPE "GROUP BY reason ORDER BY count(*) DESC, reason LIMIT 20", &q);
    if (rc < 0)
        return rc;
    int n = pgsink_result_rows(q);
    const char *labels[20];
    int64_t v[20];
    fprintf(r->f, "<h2>%s</h2>\n", tr(r, "Klärfälle nach Grund", "Clarifications by reason"));
    fprintf(r->f, "<table><tr><th>%s</th><th>%s</th><th>%s</th></tr>\n", tr(r, "Grund", "Reason"),
            tr(r, "Anzahl", "Count"), tr(r, "Summe", "Sum"));
    for (int i = 0; i < n; i++) {
        const char *words = match_reason_label(pgsink_result_value(q, i, 0), r->en);
        labels[i] = words ? words : pgsink_result_value(q, i, 0);
        v[i] = strtoll(pgsink_result_value(q, i, 1), NULL, 10);
        fputs("<tr><td>", r->f);
        reason_cell(r, pgsink_result_value(q, i, 0));
        fprintf(r->f, "</td><td class=\"n\">%lld</td><td class=\"n\">", (long long)v[i]);
        eur(r, pgsink_result_value(q, i, 2));
        fputs("</td></tr>\n", r->f);
    }
    fputs("</table>\n", r->f);
    if (n)
        bars(r, labels, v, n, 0);
    pgsink_result_free(q);
    return AB_OK;
}

/* Match rate per statement file: credits placed automatically per credit. */
static int match_rate(rep *r)
{
    pgsink_result *q = NULL;
    int rc = pgsink_query(r->db,
        "SELECT left(regexp_replace(f.name, '^.*/', ''), 22) || ' #' || f.id, (1000 * (SELECT count(DISTINCT a.tx_seq) FROM"
        " abgleich.allocations a WHERE a.file_id = f.id AND a.amount_cents > 0 AND a.method IN"
        " ('exact_reference','fuzzy_reference','plate_amount')) / greatest(1, (SELECT count(*)"
        " FROM abgleich.bank_transactions t WHERE t.file_id = f.id AND t.direction = 'C'"
        " AND NOT t.reversal AND" BOOKED_ONCE ")))::bigint FROM (SELECT * FROM abgleich.input_files WHERE kind ="
        " 'statement' ORDER BY id DESC LIMIT 30) f ORDER BY f.id", 0, NULL, &q);
    if (rc < 0)
        return rc;
    int n = pgsink_result_rows(q);
    const char *labels[30];
    int64_t v[30];
    for (int i = 0; i < n && i < 30; i++) {
        labels[i] = pgsink_result_value(q, i, 0);
        v[i] = strtoll(pgsink_result_value(q, i, 1), NULL, 10);
    }
    fprintf(r->f, "<h2>%s</h2>\n", tr(r, "Quote automatischer Zuordnung, letzte 30 Dateien",
                                      "Automatic match rate, last 30 files"));
    if (n)
        bars(r, labels, v, n < 30 ? n : 30, 1);
    pgsink_result_free(q);
    return AB_OK;
}

static int largest_open(rep *r)
{
    pgsink_result *q = NULL;
    int rc = query(r, "SELECT booking_date, coalesce(end_to_end_id, ''), coalesce(debtor_name,"
                      " ''), reason, open_cents FROM abgleich.open_clarifications o WHERE"
                      IN_SCOPE "ORDER BY open_cents DESC, id LIMIT 10", &q);
    if (rc < 0)
        return rc;
    fprintf(r->f, "<h2>%s</h2><table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                  "<th>%s</th></tr>\n",
            tr(r, "Größte offene Beträge", "Largest amounts waiting for a clerk"),
            tr(r, "Buchungstag", "Booked"), "End-to-End", tr(r, "Zahler", "Payer"),
            tr(r, "Grund", "Reason"), tr(r, "Betrag", "Amount"));
    for (int i = 0; i < pgsink_result_rows(q); i++) {
        fputs("<tr>", r->f);
        for (int c = 0; c < 4; c++) {
            fputs("<td>", r->f);
            if (c == 3)
                reason_cell(r, pgsink_result_value(q, i, c));
            else
                esc(r->f, pgsink_result_value(q, i, c));
            fputs("</td>", r->f);
        }
        fputs("<td class=\"n\">", r->f);
        eur(r, pgsink_result_value(q, i, 4));
        fputs("</td></tr>\n", r->f);
    }
    fputs("</table>\n", r->f);
    pgsink_result_free(q);
    return AB_OK;
}

static int balances(rep *r)
{
    pgsink_result *q = NULL;
    int rc = query(r, "SELECT account, stmt_id, opening_cents, credit_cents, debit_cents,"
                      " closing_cents FROM abgleich.statements s WHERE" IN_SCOPE
                      "ORDER BY id LIMIT 200",
                   &q);
    if (rc < 0)
        return rc;
    fprintf(r->f, "<h2>%s</h2><table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                  "<th>%s</th></tr>\n",
            tr(r, "Kontoauszüge", "Statements"), tr(r, "Konto", "Account"),
            tr(r, "Auszug", "Statement"), tr(r, "Anfangssaldo", "Opening"),
            tr(r, "Gutschriften", "Credits"), tr(r, "Belastungen", "Debits"),
            tr(r, "Endsaldo", "Closing"));
    for (int i = 0; i < pgsink_result_rows(q); i++) {
        fputs("<tr>", r->f);
        for (int c = 0; c < 6; c++) {
            fputs(c < 2 ? "<td>" : "<td class=\"n\">", r->f);
            if (c < 2)
                esc(r->f, pgsink_result_value(q, i, c));
            else
                eur(r, pgsink_result_value(q, i, c));
            fputs("</td>", r->f);
        }
        fputs("</tr>\n", r->f);
    }
    fputs("</table>\n", r->f);
    pgsink_result_free(q);
    return AB_OK;
}

/* The files in scope, as a condition on the column file_id. */
static int set_scope(rep *r, const char *run, const char *day, char *title, size_t tn)
{
    pgsink_result *q = NULL;
    const char *p[] = {run ? run : day};
    const char *sql = run ? "SELECT string_agg(id::text, ','), string_agg(name, ', ')"
                            " FROM abgleich.input_files WHERE kind = 'statement' AND id = $1::bigint"
                      : day ? "SELECT string_agg(id::text, ','), string_agg(name, ', ')"
                              " FROM abgleich.input_files WHERE kind = 'statement'"
                              " AND imported_at::date = $1::date"
                            : "SELECT max(id)::text, max(name) FROM abgleich.input_files"
                              " WHERE kind = 'statement' AND id = (SELECT max(id) FROM"
                              " abgleich.input_files WHERE kind = 'statement')";
    int rc = pgsink_query(r->db, sql, run || day ? 1 : 0, p, &q);
    if (rc < 0)
        return rc;
    if (pgsink_result_isnull(q, 0, 0)) {
        log_error("no statement file %s%s", run ? "#" : day ? "read on " : "read yet",
                  run ? run : day ? day : "");
        pgsink_result_free(q);
        return AB_E_NOTFOUND;
    }
    snprintf(title, tn, "%s", pgsink_result_value(q, 0, 1));
    const char *ids[] = {pgsink_result_value(q, 0, 0)};
    rc = pgsink_exec(r->db, "CREATE TEMP TABLE report_scope (id bigint PRIMARY KEY)");
    if (rc == AB_OK)
        rc = pgsink_query(r->db, "INSERT INTO report_scope SELECT unnest(string_to_array($1,"
                                 " ','))::bigint", 1, ids, NULL);
    pgsink_result_free(q);
    return rc;
}

static const char style[] =
    "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
    "margin-bottom:1em}td,th{border-bottom:1px solid #ccc;padding:4px 10px;text-align:left}"
    ".n{text-align:right;font-variant-numeric:tabular-nums}h1{font-size:1.5em}"
    "h2{font-size:1.15em;margin-top:1.5em}</style>";

static int write_report(rep *r, const char *title)
{
    fprintf(r->f, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                  "<title>%s</title>%s</head><body>\n<h1>%s</h1><p>",
            r->en ? "en" : "de", tr(r, "Abgleichsbericht", "Reconciliation report"), style,
            tr(r, "Abgleichsbericht", "Reconciliation report"));
    esc(r->f, title);
    fputs("</p>\n", r->f);
    int rc = totals(r);
    if (rc == AB_OK)
        rc = by_reason(r);
    if (rc == AB_OK)
        rc = match_rate(r);
    if (rc == AB_OK)
        rc = largest_open(r);
    if (rc == AB_OK)
        rc = balances(r);
    fputs("</body></html>\n", r->f);
    return rc;
}

int job_report(const cli_opts *o, int argc, char **argv)
{
    const char *run = NULL, *day = NULL, *out = "-";
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--run") && v && !day && strspn(v, "0123456789") == strlen(v))
            run = argv[++i];
        else if (!strcmp(argv[i], "--date") && v && !run && strlen(v) == 10)
            day = argv[++i];
        else if (!strcmp(argv[i], "-o") && v)
            out = argv[++i];
        else {
            fprintf(stderr, "usage: abgleich report [--run FILE_ID | --date YYYY-MM-DD] [-o FILE]\n");
            return AB_E_USAGE;
        }
    }
    rep r = {.en = !strcmp(o->lang, "en")};
    char title[512];
    int rc = pgsink_connect(&r.db, o->db);
    if (rc == AB_OK)
        rc = set_scope(&r, run, day, title, sizeof title);
    if (rc == AB_OK && !(r.f = strcmp(out, "-") ? fopen(out, "w") : stdout)) {
        log_error("%s: cannot write", out);
        rc = AB_E_IO;
    }
    if (rc == AB_OK)
        rc = write_report(&r, title);
    if (r.f && r.f != stdout && fclose(r.f) != 0 && rc == AB_OK)
        rc = AB_E_IO;
    if (rc == AB_E_DB)
        log_error("database: %s", pgsink_error(r.db));
    pgsink_close(r.db);
    return rc;
}
