/*
 * explain.c - `abgleich explain END_TO_END_ID`: why a payment went where
 * it went, in words a clerk reads.
 *
 * Prints every stored transaction with that EndToEndId (or AcctSvcrRef),
 * its ledger rows with method, confidence, explanation, who and when, and
 * its clarifications with their ranked candidates.  Read-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/log.h"
#include "../engine/matcher.h"
#include "../engine/money.h"
#include "../engine/pgsink.h"
#include "cli.h"

static const char tx_sql[] =
    "SELECT t.file_id, t.seq, coalesce(t.booking_date::text, ''), t.amount_cents, t.direction,"
    " coalesce(t.debtor_name, ''), coalesce(t.remittance, ''), coalesce(t.end_to_end_id, ''),"
    " f.name, t.provisional,"
    /* The other sighting of the same entry (sql/047): 'b' it was booked
     * from there, 's' it was stated there again. */
    " coalesce((SELECT CASE WHEN t.provisional THEN 'b' ELSE 's' END || o.name || ' Ntry '"
    "   || CASE WHEN mine THEN l.stmt_entry ELSE l.ntf_entry END"
    "  FROM abgleich.entry_links l"
    "  CROSS JOIN LATERAL (SELECT (l.ntf_statement, l.ntf_entry) = (t.statement_id, t.entry_no)"
    "   AS mine) m"
    "  JOIN abgleich.input_files o ON o.id = CASE WHEN mine THEN l.stmt_file ELSE l.ntf_file END"
    "  WHERE NOT l.total AND (mine OR (l.stmt_statement, l.stmt_entry)"
    "   = (t.statement_id, t.entry_no))), ''),"
    " (SELECT abgleich.message_kind(s.format) IN ('camt.052', 'MT942')"
    "  FROM abgleich.statements s WHERE s.id = t.statement_id),"
    /* The earlier statement's booking, where its statement came again
     * under another Id (sql/055). */
    " coalesce((SELECT o.name FROM abgleich.input_files o WHERE o.id = t.seen_file), ''),"
    " coalesce(t.seen_seq::text, '')"
    " FROM abgleich.bank_transactions t JOIN abgleich.input_files f ON f.id = t.file_id"
    " WHERE t.end_to_end_id = $1 OR t.acct_svcr_ref = $1 ORDER BY t.file_id, t.seq";

static const char ledger_sql[] =
    "SELECT a.id, coalesce(c.reference, '-'), a.amount_cents, a.method,"
    " coalesce(a.confidence::text, ''),"
    " coalesce(CASE WHEN $3 = 'en' THEN a.explanation_en END, a.explanation, ''), a.created_by,"
    " to_char(a.created_at, 'YYYY-MM-DD HH24:MI'), coalesce(a.reverses::text, '')"
    " FROM abgleich.allocations a LEFT JOIN abgleich.claims c ON c.id = a.claim_id"
    " WHERE a.file_id = $1::bigint AND a.tx_seq = $2::int ORDER BY a.id";

static const char clar_sql[] =
    "SELECT k.id, k.reason, k.amount_cents,"
    " coalesce(CASE WHEN $3 = 'en' THEN k.explanation_en END, k.explanation, '')"
    " FROM abgleich.clarifications k WHERE k.file_id = $1::bigint AND k.tx_seq = $2::int";

static const char cand_sql[] =
    "SELECT d.rank, c.reference, d.reason, d.score FROM abgleich.clarification_candidates d"
    " JOIN abgleich.claims c ON c.id = d.claim_id"
    " WHERE d.file_id = $1::bigint AND d.tx_seq = $2::int ORDER BY d.rank";

static const char *eur(int en, const char *cents, char *b, size_t n)
{
    long long c = strtoll(cents, NULL, 10);
    if (en)
        money_format(c, b, n);
    else
        money_format_de(c, b, n);
    return b;
}

static int print_ledger(pgsink *db, int en, const char *const key[2])
{
    pgsink_result *res = NULL;
    const char *p[] = {key[0], key[1], en ? "en" : "de"};
    int rc = pgsink_query(db, ledger_sql, 3, p, &res);
    if (rc < 0)
        return rc;
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        char b[32];
        const char *v[9];
        for (int k = 0; k < 9; k++)
            v[k] = pgsink_result_value(res, i, k);
        printf(en ? "  allocation #%s: %s EUR to %s, method %s, confidence %s%%, by %s on %s%s%s\n"
                  : "  Zuordnung #%s: %s EUR an %s, Verfahren %s, Sicherheit %s %%, durch %s am %s%s%s\n",
               v[0], eur(en, v[2], b, sizeof b), v[1], v[3], v[4], v[6], v[7],
               *v[8] ? (en ? ", reverses #" : ", hebt auf #") : "", v[8]);
        if (*v[5])
            printf("    %s\n", v[5]);
    }
    pgsink_result_free(res);
    return AB_OK;
}

/* A code in a clerk's words with the code beside it; the code alone when
 * it has no words (or they are the code). */
static const char *worded(const char *words, const char *code, char *b, size_t n)
{
    if (!words || !strcmp(words, code))
        return code;
    snprintf(b, n, "%s (%s)", words, code);
    return b;
}

/* The ranked candidates of the transaction's clarification, in one line. */
static int print_candidates(pgsink *db, int en, const char *const key[2])
{
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, cand_sql, 2, key, &res);
    if (rc < 0)
        return rc;
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        char b[96];
        const char *code = pgsink_result_value(res, i, 2);
        printf(en ? "%s%s. %s: %s, %s%%" : "%s%s. %s: %s, %s %%",
               i ? "; " : (en ? "    candidates: " : "    Vorschläge: "),
               pgsink_result_value(res, i, 0), pgsink_result_value(res, i, 1),
               worded(match_why_label(code, en), code, b, sizeof b),
               pgsink_result_value(res, i, 3));
    }
    if (pgsink_result_rows(res))
        putchar('\n');
    pgsink_result_free(res);
    return AB_OK;
}

static int print_clarifications(pgsink *db, int en, const char *const key[2])
{
    pgsink_result *res = NULL;
    const char *p[] = {key[0], key[1], en ? "en" : "de"};
    int rc = pgsink_query(db, clar_sql, 3, p, &res);
    if (rc < 0)
        return rc;
    for (int i = 0; i < pgsink_result_rows(res) && rc == AB_OK; i++) {
        char b[32], w[96];
        const char *code = pgsink_result_value(res, i, 1);
        printf(en ? "  clarification #%s: %s, %s EUR\n" : "  Klärfall #%s: %s, %s EUR\n",
               pgsink_result_value(res, i, 0),
               worded(match_reason_label(code, en), code, w, sizeof w),
               eur(en, pgsink_result_value(res, i, 2), b, sizeof b));
        printf("    %s\n", pgsink_result_value(res, i, 3));
        rc = print_candidates(db, en, key);
    }
    pgsink_result_free(res);
    return rc;
}

static int explain_one(pgsink *db, int en, const char *id)
{
    const char *params[] = {id};
    pgsink_result *tx = NULL;
    int rc = pgsink_query(db, tx_sql, 1, params, &tx);
    if (rc < 0)
        return rc;
    if (pgsink_result_rows(tx) == 0) {
        log_error("no transaction with EndToEndId or AcctSvcrRef '%s'", id);
        rc = AB_E_NOTFOUND;
    }
    for (int i = 0; i < pgsink_result_rows(tx) && rc == AB_OK; i++) {
        char b[32];
        const char *key[2] = {pgsink_result_value(tx, i, 0), pgsink_result_value(tx, i, 1)};
        printf(en ? "%s %s EUR %s on %s from %s (%s, transaction %s)\n"
                  : "%s %s EUR %s am %s von %s (%s, Umsatz %s)\n",
               pgsink_result_value(tx, i, 7), eur(en, pgsink_result_value(tx, i, 3), b, sizeof b),
               *pgsink_result_value(tx, i, 4) == 'C' ? (en ? "in" : "Eingang")
                                                     : (en ? "out" : "Ausgang"),
               pgsink_result_value(tx, i, 2), pgsink_result_value(tx, i, 5),
               pgsink_result_value(tx, i, 8), key[1]);
        printf(en ? "  remittance: %s\n" : "  Verwendungszweck: %s\n", pgsink_result_value(tx, i, 6));
        const char *twice = pgsink_result_value(tx, i, 10);
        if (*twice == 'b') /* sql/047_entry_links.sql */
            printf(en ? "  booked already from %s (a camt.053 and a camt.054 state the same"
                        " entry): not matched here\n"
                      : "  bereits gebucht aus %s (camt.053 und camt.054 nennen denselben"
                        " Posten): hier nicht abgeglichen\n", twice + 1);
        else if (*twice == 's')
            printf(en ? "  stated again in %s, which is not matched\n"
                      : "  erneut genannt in %s, dort nicht abgeglichen\n", twice + 1);
        const char *seen = pgsink_result_value(tx, i, 12);
        if (*seen) /* sql/055_resent_statements.sql */
            printf(en ? "  booked already from %s, transaction %s (the same statement sent again"
                        " under another Id): not matched here\n"
                      : "  bereits gebucht aus %s, Umsatz %s (derselbe Auszug unter neuer"
                        " Kennung erneut gesandt): hier nicht abgeglichen\n", seen,
                   pgsink_result_value(tx, i, 13));
        if (*pgsink_result_value(tx, i, 11) == 't') /* sql/037_intraday.sql */
            puts(en ? "  from an intraday report (camt.052, MT942): not matched; the statement"
                      " of the day states it again and is matched"
                    : "  aus einer untertägigen Meldung (camt.052, MT942): nicht abgeglichen;"
                      " der Tagesauszug nennt den Umsatz erneut und wird abgeglichen");
        rc = print_ledger(db, en, key);
        if (rc == AB_OK)
            rc = print_clarifications(db, en, key);
    }
    pgsink_result_free(tx);
    return rc;
}

int job_explain(const cli_opts *o, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: abgleich explain END_TO_END_ID...\n");
        return AB_E_USAGE;
    }
    pgsink *db = NULL;
    int rc = pgsink_connect(&db, o->db);
    for (int i = 1; i < argc && rc == AB_OK; i++)
        rc = explain_one(db, !strcmp(o->lang, "en"), argv[i]);
    if (rc == AB_E_DB)
        log_error("database: %s", pgsink_error(db));
    pgsink_close(db);
    return rc;
}
