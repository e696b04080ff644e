/*
 * escalate.c - `abgleich escalate [--as-of DATE] [--letters FILE] [--dry-run]`:
 * the fines office's nightly step along the lifecycle (docs/fines.md).
 *
 * Data in: every unpaid claim whose next step is due by the as-of day
 * (default today; it may lie ahead, so an office can look at the nights to
 * come - with --dry-run nothing is kept).  Data out: one dated event per
 * claim moved (sql/004_fines.sql: abgleich.fines_escalate, with the
 * charges of the new state), and a CSV for the print shop of every letter
 * the as-of day's events need (those of `abgleich case` too), with the
 * amounts and deadlines the letter must state; German by default, English
 * with --lang en.  Since sql/057 also: a payment relief whose instalment is
 * unpaid past the grace lapses (the remainder due at once, a letter), a
 * deferral not paid is dunned, and a final notice past its enforcement
 * limitation (§ 34 OWiG) becomes enforcement_barred; a kept relief is not
 * dunned.  Since sql/079 a notice under objection past its prosecution
 * limitation becomes time_barred (what was paid goes to a refund); a case
 * at court is never moved, but one past its absolute limitation is counted
 * in the summary (the review list, sql/080).  One transaction; under the
 * reconcile lock, so a night run never matches against amounts that are
 * being escalated.  The lock
 * is taken before the transaction begins (fines_lock): the events' and the
 * allocations' created_at (the transaction's start) then follow the order
 * in which they were written, which the letters' amounts and the lapse day
 * of a plan (sql/065) rely on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/date.h"
#include "../engine/log.h"
#include "../engine/offense.h"
#include "../engine/pgsink.h"
#include "../engine/ticketcheck.h"
#include "../formats/jsonw.h"
#include "cli.h"

/* Room for the parking TBNRs as an array literal (581 x 7 bytes today). */
#define PARKING_ARRAY_MAX (64u * 1024u)

typedef struct esc_args {
    const char *as_of_arg, *letters;
    int dry_run;
} esc_args;

static int parse(int argc, char **argv, esc_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--as-of") && v)
            a->as_of_arg = argv[++i];
        else if (!strcmp(argv[i], "--letters") && v)
            a->letters = argv[++i];
        else if (!strcmp(argv[i], "--dry-run"))
            a->dry_run = 1;
        else
            return AB_E_USAGE;
    }
    return AB_OK;
}

static int write_line(void *ctx, char *line, size_t n)
{
    FILE *f = ctx;
    if (fwrite(line, 1, n, f) != n || fputc('\n', f) == EOF)
        return AB_E_IO;
    return AB_OK;
}

/* The letters of the day's events as CSV (';', German amounts) or, with
 * --lang en, (',' and '.'): the amounts as of each letter's event, and
 * the deadline it states (the answer's, the objection's last day; the
 * view's next_step_date is the day after it; sql/035_fines_rules.sql).
 * A plan of instalments is a row per instalment: its number and amount in
 * the last two columns, its day as the due date (sql/057).  A notice under
 * objection that became time-barred is discontinued: its letter says so
 * (sql/079).  The day is our own formatted date, safe to
 * splice into the COPY statement (COPY takes no parameters). */
static int write_letters(pgsink *db, const cli_opts *o, const char *day, FILE *f)
{
    int en = !strcmp(o->lang, "en");
    char amt[7][160];
    const char *col[7] = {"fine_cents", "fee_cents", "expenses_cents",   "owed_cents",
                          "paid_cents", "greatest(open_cents, 0)", "instalment_cents"};
    for (int i = 0; i < 7; i++) /* integer cents as "12,50": no float anywhere */
        snprintf(amt[i], sizeof amt[i], "(%s / 100)::text || '%c' || lpad((%s %% 100)::text, 2, '0')",
                 col[i], en ? '.' : ',', col[i]);
    char sql[6144];
    int n = snprintf(sql, sizeof sql,
             "COPY (SELECT reference AS %s, plate AS %s, tbnr, offense_time AS %s,"
             " location AS %s, CASE state %s END AS %s, event_date AS %s,"
             " %s AS %s, %s AS %s, %s AS %s, %s AS %s, %s AS %s, %s AS %s,"
             " due_date AS %s, deadline AS %s, instalment AS %s, %s AS %s"
             " FROM abgleich.fines_letters WHERE event_date = '%s'"
             " ORDER BY event_id, instalment)"
             " TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER '%c')",
             en ? "reference" : "kassenzeichen", en ? "plate" : "kennzeichen",
             en ? "offense_time" : "tatzeit", en ? "location" : "tatort",
             en ? "WHEN 'hearing' THEN 'hearing' WHEN 'fine_notice' THEN 'fine notice'"
                  " WHEN 'cost_notice' THEN 'cost notice (§ 25a StVG)'"
                  " WHEN 'dunning' THEN 'reminder' WHEN 'dismissed' THEN 'discontinuation'"
                  " WHEN 'instalments' THEN 'instalments (§ 93 OWiG)'"
                  " WHEN 'deferred' THEN 'deferral (§ 93 OWiG)'"
                  " WHEN 'relief_lapsed' THEN 'payment relief lapsed, due at once'"
                  " WHEN 'time_barred' THEN 'discontinuation (time-barred)'"
                : "WHEN 'hearing' THEN 'Anhörung' WHEN 'fine_notice' THEN 'Bußgeldbescheid'"
                  " WHEN 'cost_notice' THEN 'Kostenbescheid (§ 25a StVG)'"
                  " WHEN 'dunning' THEN 'Mahnung' WHEN 'dismissed' THEN 'Einstellung'"
                  " WHEN 'instalments' THEN 'Ratenzahlung (§ 93 OWiG)'"
                  " WHEN 'deferred' THEN 'Stundung (§ 93 OWiG)'"
                  " WHEN 'relief_lapsed' THEN 'Wegfall der Zahlungserleichterung, sofort fällig'"
                  " WHEN 'time_barred' THEN 'Einstellung (Verjährung)'",
             en ? "letter" : "schreiben", en ? "date" : "datum", amt[0],
             en ? "fine" : "geldbusse", amt[1], en ? "fees" : "gebuehren", amt[2],
             en ? "expenses" : "auslagen", amt[3], en ? "total" : "gesamt", amt[4],
             en ? "paid" : "bereits_gezahlt", amt[5], en ? "open" : "offen",
             en ? "due_date" : "zahlbar_bis", en ? "deadline" : "frist_bis",
             en ? "instalment" : "rate", amt[6], en ? "instalment_amount" : "ratenbetrag", day,
             en ? ',' : ';');
    if (n < 0 || (size_t)n >= sizeof sql)
        return AB_E_LIMIT;
    return pgsink_copy_out(db, sql, write_line, f);
}

/* The night's counts by state, and how many cases the review list holds
 * as of the day (abgleich.limitation_review_on, sql/080: a case at court
 * past its absolute limitation is the clerk's to judge, never moved). */
static void summary(const cli_opts *o, const char *day, pgsink_result *res, const char *letters,
                    int dry_run, int64_t review)
{
    int64_t total = 0;
    for (int i = 0; i < pgsink_result_rows(res); i++)
        total += strtoll(pgsink_result_value(res, i, 1), NULL, 10);
    if (o->json) {
        jsonw w;
        jsonw_init(&w, stdout);
        jsonw_obj_begin(&w);
        jsonw_kstr(&w, "as_of", day);
        jsonw_kint(&w, "moved", total);
        jsonw_key(&w, "states");
        jsonw_obj_begin(&w);
        for (int i = 0; i < pgsink_result_rows(res); i++)
            jsonw_kint(&w, pgsink_result_value(res, i, 0),
                       strtoll(pgsink_result_value(res, i, 1), NULL, 10));
        jsonw_obj_end(&w);
        jsonw_kstr(&w, "letters", letters);
        jsonw_kint(&w, "limitation_review", review);
        jsonw_kint(&w, "dry_run", dry_run);
        jsonw_obj_end(&w);
        return;
    }
    printf("%s: %lld claims moved%s\n", day, (long long)total,
           dry_run ? " (dry run, nothing kept)" : "");
    for (int i = 0; i < pgsink_result_rows(res); i++)
        printf("  %-12s %s\n", pgsink_result_value(res, i, 0), pgsink_result_value(res, i, 1));
    printf("letters: %s\n", letters);
    if (review > 0)
        printf("limitation review: %lld case(s) for a clerk (abgleich.limitation_review)\n",
               (long long)review);
}

/* How many rows abgleich.limitation_review_on(day) has. */
static int review_count(pgsink *db, const char *day, int64_t *n)
{
    const char *params[] = {day};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, "SELECT count(*) FROM abgleich.limitation_review_on($1::date)", 1,
                          params, &res);
    if (rc < 0)
        return rc;
    *n = strtoll(pgsink_result_value(res, 0, 0), NULL, 10);
    pgsink_result_free(res);
    return AB_OK;
}

/* The letters and the lapse of a plan date what was paid by created_at,
 * the start of a transaction (sql/035 fines_letters, sql/065
 * claim_open_before_event).  A transaction begun before it waited for the
 * lock would carry a start earlier than the payments of the reconcile run
 * it waited for, which it counts: its letter would leave them out.  So the
 * lock comes first, as a session lock (a transaction lock needs the
 * transaction); closing the connection lets it go. */
int fines_lock(pgsink *db)
{
    return pgsink_exec(db, "SELECT pg_advisory_lock(hashtext('abgleich.reconcile'))");
}

static int escalate_in_tx(pgsink *db, const cli_opts *o, const esc_args *a, const char *day)
{
    static char parking[PARKING_ARRAY_MAX];
    if (offense_load() < 0 || offense_parking_array(parking, sizeof parking) == 0)
        return AB_E_INVAL;
    const char *params[] = {day, parking};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db,
                      "SELECT state, count(*) FROM abgleich.fines_escalate($1::date, $2::text[])"
                      " GROUP BY state ORDER BY state",
                      2, params, &res);
    if (rc < 0)
        return rc;
    char path[64];
    const char *letters = a->letters;
    if (!letters) {
        snprintf(path, sizeof path, "letters_%s.csv", day);
        letters = path;
    }
    FILE *f = strcmp(letters, "-") ? fopen(letters, "w") : stdout;
    if (!f) {
        log_error("%s: cannot write the letters", letters);
        pgsink_result_free(res);
        return AB_E_IO;
    }
    rc = write_letters(db, o, day, f);
    if (f != stdout && fclose(f) != 0 && rc == AB_OK)
        rc = AB_E_IO;
    int64_t review = 0;
    if (rc == AB_OK)
        rc = review_count(db, day, &review);
    if (rc == AB_OK)
        summary(o, day, res, letters, a->dry_run, review);
    pgsink_result_free(res);
    return rc;
}

int job_escalate(const cli_opts *o, int argc, char **argv)
{
    esc_args a;
    int32_t as_of;
    if (parse(argc, argv, &a) < 0 || tcheck_as_of(a.as_of_arg, &as_of) < 0) {
        fprintf(stderr, "usage: abgleich escalate [--as-of YYYY-MM-DD] [--letters FILE|-]"
                        " [--dry-run]\n");
        return AB_E_USAGE;
    }
    char day[11];
    date_format(as_of, day);
    pgsink *db = NULL;
    int rc = pgsink_connect(&db, o->db);
    if (rc == AB_OK)
        rc = fines_lock(db);
    if (rc == AB_OK)
        rc = pgsink_begin(db);
    if (rc == AB_OK)
        rc = escalate_in_tx(db, o, &a, day);
    if (rc == AB_OK && !a.dry_run)
        rc = pgsink_commit(db);
    else
        pgsink_rollback(db);
    if (rc == AB_E_DB)
        log_error("database: %s", pgsink_error(db));
    pgsink_close(db);
    return rc;
}
