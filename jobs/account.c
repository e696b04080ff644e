/*
 * account.c - `abgleich account --plate P | --reference R [--json]`: the
 * citizen's account as OpenR@thaus shows it - every claim of a plate (or
 * one claim), open and settled, with due dates, amounts by component,
 * payments, state and history, and a payment relief's plan (sql/057:
 * each instalment, its day, paid or not).
 *
 * The data is one SQL function, abgleich.account_json(plate, reference)
 * (sql/004_fines.sql; by plate one car since sql/036_car_key.sql), which the HTTP server also answers GET /accounts
 * with; --json prints its result unchanged, otherwise the same data is read
 * back as rows and printed as text for a clerk at the counter (German, or
 * English with --lang en).  Read-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/log.h"
#include "../engine/money.h"
#include "../engine/pgsink.h"
#include "cli.h"

/* One row per claim (kind 0), payment (1), event (2) and part of a
 * payment relief (3, sql/057), in claim order; first (kind -1) why no car
 * was looked up, when the plate named none. */
static const char rows_sql[] =
    "WITH a AS (SELECT abgleich.account_json($1, $2) AS j),"
    " c AS (SELECT x, n FROM a, jsonb_array_elements(a.j->'claims') WITH ORDINALITY t(x, n))"
    " SELECT n, 0 AS kind, 0 AS m, x->>'reference', x->>'state', x->>'amount_cents',"
    "  x->>'paid_cents', x->>'open_cents', x->>'due_date', x->>'next_step_date', x->>'plate',"
    "  x->>'tbnr', replace(x->>'offense_time', 'T', ' '), x->>'location', x->>'fine_cents', x->>'fee_cents',"
    "  x->>'expenses_cents' FROM c"
    " UNION ALL"
    " SELECT n, 1, m, p->>'date', p->>'method', p->>'amount_cents', p->>'end_to_end_id',"
    "  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    " FROM c, jsonb_array_elements(x->'payments') WITH ORDINALITY u(p, m)"
    " UNION ALL"
    " SELECT n, 2, m, e->>'date', e->>'state', e->>'fine_cents', e->>'fee_cents',"
    "  e->>'expenses_cents', e->>'due_date', e->>'reason', e->>'reason_de', NULL, NULL, NULL,"
    "  NULL, NULL, NULL FROM c, jsonb_array_elements(x->'history') WITH ORDINALITY u(e, m)"
    " UNION ALL"
    " SELECT n, 3, m, q->>'due_date', x->'relief'->>'kind', q->>'amount_cents',"
    "  q->>'paid_cents', q->>'paid', x->'relief'->>'granted',"
    "  jsonb_array_length(x->'relief'->'parts')::text, q->>'n', NULL, NULL, NULL, NULL, NULL,"
    "  NULL FROM c, jsonb_array_elements(x->'relief'->'parts') WITH ORDINALITY u(q, m)"
    " WHERE jsonb_typeof(x->'relief') = 'object'"
    " UNION ALL"
    " SELECT 0, -1, 0, j->>'message', j->>'message_en', NULL, NULL, NULL, NULL, NULL, NULL,"
    "  NULL, NULL, NULL, NULL, NULL, NULL FROM a WHERE j ? 'message'"
    " ORDER BY 1, 2, 3";

static const char *const states[][3] = {
    {"warning_open", "Verwarnung offen", "warning open"},
    {"hearing", "Anhörung", "hearing"},
    {"fine_notice", "Bußgeldbescheid", "fine notice"},
    {"cost_notice", "Kostenbescheid (§ 25a StVG)", "cost notice (§ 25a StVG)"},
    {"objection", "Einspruch eingelegt", "objection lodged"},
    {"court", "beim Amtsgericht (§ 69 OWiG)", "at the local court (§ 69 OWiG)"},
    {"judgment", "Urteil im ersten Rechtszug (§ 32 Abs. 2 OWiG)",
     "first-instance judgment (§ 32(2) OWiG)"},
    {"final_due", "rechtskräftig, zu zahlen", "final, payable"},
    {"dunning", "Mahnung", "reminder"},
    {"instalments", "Ratenzahlung bewilligt (§ 93 OWiG)", "instalments granted (§ 93 OWiG)"},
    {"deferred", "gestundet (§ 93 OWiG)", "payment deferred (§ 93 OWiG)"},
    {"relief_lapsed", "Zahlungserleichterung entfallen, Rest sofort fällig",
     "payment relief lapsed, remainder due at once"},
    {"enforcement_barred", "Vollstreckung verjährt (§ 34 OWiG)",
     "enforcement time-barred (§ 34 OWiG)"},
    {"paid", "bezahlt", "paid"},
    {"time_barred", "verjährt", "time-barred"},
    {"dismissed", "eingestellt", "dismissed"},
};

static const char *state_name(const char *s, int en)
{
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (!strcmp(states[i][0], s))
            return states[i][en ? 2 : 1];
    return s;
}

/* Euro text of a cents column ("25,00" or "25.00"); "" when NULL. */
static const char *eur(const pgsink_result *r, int row, int col, int en, char buf[32])
{
    if (pgsink_result_isnull(r, row, col))
        return "";
    int64_t c = strtoll(pgsink_result_value(r, row, col), NULL, 10);
    if (en)
        money_format(c, buf, 32);
    else
        money_format_de(c, buf, 32);
    return buf;
}

static const char *val(const pgsink_result *r, int row, int col)
{
    return pgsink_result_isnull(r, row, col) ? "-" : pgsink_result_value(r, row, col);
}

static void print_claim(const pgsink_result *r, int i, int en)
{
    char a[32], b[32], c[32], d[32], e[32], f[32];
    printf(en ? "\nReference %s  plate %s  TBNR %s  offense %s  %s\n"
              : "\nKassenzeichen %s  Kennzeichen %s  TBNR %s  Tatzeit %s  %s\n",
           val(r, i, 3), val(r, i, 10), val(r, i, 11), val(r, i, 12), val(r, i, 13));
    printf(en ? "  state: %s; owed %s EUR (fine %s, fees %s, expenses %s); paid %s; open %s;"
                " due %s; next step %s\n"
              : "  Stand: %s; Forderung %s EUR (Geldbuße %s, Gebühren %s, Auslagen %s);"
                " gezahlt %s; offen %s; fällig %s; nächster Schritt %s\n",
           state_name(val(r, i, 4), en), eur(r, i, 5, en, a), eur(r, i, 14, en, b),
           eur(r, i, 15, en, c), eur(r, i, 16, en, d), eur(r, i, 6, en, e), eur(r, i, 7, en, f),
           val(r, i, 8), val(r, i, 9));
}

/* A history line; the reason in English, and in German where the event
 * has one (the steps of sql/057). */
static void print_event(const pgsink_result *r, int i, int en)
{
    char x[32], y[32], z[32];
    int de_why = !en && !pgsink_result_isnull(r, i, 10);
    printf(en ? "  %s  %s: fine %s, fees %s, expenses %s; due %s - %s\n"
              : "  %s  %s: Geldbuße %s, Gebühren %s, Auslagen %s; fällig %s%s%s\n",
           val(r, i, 3), state_name(val(r, i, 4), en), eur(r, i, 5, en, x), eur(r, i, 6, en, y),
           eur(r, i, 7, en, z), val(r, i, 8), en ? val(r, i, 9) : de_why ? " - " : "",
           de_why ? val(r, i, 10) : "");
}

/* One part of a payment relief, under a heading before the first. */
static void print_part(const pgsink_result *r, int i, int en)
{
    char a[32], b[32];
    int deferred = !strcmp(val(r, i, 4), "deferred");
    if (!strcmp(val(r, i, 2), "1")) {
        if (deferred)
            printf(en ? "  deferral (§ 93 OWiG) granted %s:\n"
                      : "  Stundung (§ 93 OWiG) bewilligt am %s:\n", val(r, i, 8));
        else
            printf(en ? "  instalments (§ 93 OWiG) granted %s:\n"
                      : "  Ratenzahlung (§ 93 OWiG) bewilligt am %s:\n", val(r, i, 8));
    }
    int paid = !strcmp(val(r, i, 7), "true");
    int64_t part_paid = strtoll(val(r, i, 6), NULL, 10);
    if (en)
        printf("    %s %s of %s: %s EUR due %s - %s", deferred ? "payment" : "instalment",
               val(r, i, 10), val(r, i, 9), eur(r, i, 5, en, a), val(r, i, 3),
               paid ? "paid" : "open");
    else
        printf("    %s %s von %s: %s EUR fällig %s - %s", deferred ? "Zahlung" : "Rate",
               val(r, i, 10), val(r, i, 9), eur(r, i, 5, en, a), val(r, i, 3),
               paid ? "bezahlt" : "offen");
    if (!paid && part_paid > 0)
        printf(en ? " (%s EUR paid)" : " (%s EUR gezahlt)", eur(r, i, 6, en, b));
    printf("\n");
}

static void print_text(const pgsink_result *r, const char *what, int en)
{
    int claims = 0;
    int64_t open = 0, paid = 0;
    for (int i = 0; i < pgsink_result_rows(r); i++)
        if (!strcmp(pgsink_result_value(r, i, 1), "0")) {
            claims++;
            int64_t o = strtoll(pgsink_result_value(r, i, 7), NULL, 10);
            open += o > 0 ? o : 0;
            paid += strtoll(pgsink_result_value(r, i, 6), NULL, 10);
        }
    char a[32], b[32];
    en ? (void)money_format(open, a, sizeof a) : (void)money_format_de(open, a, sizeof a);
    en ? (void)money_format(paid, b, sizeof b) : (void)money_format_de(paid, b, sizeof b);
    printf(en ? "Account %s: %d claims, open %s EUR, paid %s EUR\n"
              : "Konto %s: %d Forderungen, offen %s EUR, gezahlt %s EUR\n",
           what, claims, a, b);
    for (int i = 0; i < pgsink_result_rows(r); i++) {
        const char *kind = pgsink_result_value(r, i, 1);
        char x[32];
        if (!strcmp(kind, "-1"))
            printf("%s\n", val(r, i, en ? 4 : 3));
        else if (!strcmp(kind, "0"))
            print_claim(r, i, en);
        else if (!strcmp(kind, "1"))
            printf(en ? "  payment %s  %s EUR  (%s)\n" : "  Zahlung %s  %s EUR  (%s)\n",
                   val(r, i, 3), eur(r, i, 5, en, x), val(r, i, 4));
        else if (!strcmp(kind, "2"))
            print_event(r, i, en);
        else
            print_part(r, i, en);
    }
}

int job_account(const cli_opts *o, int argc, char **argv)
{
    const char *plate = NULL, *ref = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--plate"))
            plate = argv[i + 1];
        else if (!strcmp(argv[i], "--reference"))
            ref = argv[i + 1];
        else
            plate = ref = NULL, argc = 0;
    }
    if (argc % 2 != 1 || !plate == !ref) {
        fprintf(stderr, "usage: abgleich account --plate PLATE | --reference REF [--json]\n");
        return AB_E_USAGE;
    }
    pgsink *db = NULL;
    pgsink_result *res = NULL;
    const char *params[] = {plate, ref};
    int rc = pgsink_connect(&db, o->db);
    if (rc == AB_OK)
        rc = pgsink_query(db, o->json ? "SELECT abgleich.account_json($1, $2)" : rows_sql, 2,
                          params, &res);
    if (rc < 0) {
        log_error("database: %s", pgsink_error(db));
        pgsink_close(db);
        return rc;
    }
    if (o->json)
        printf("%s\n", pgsink_result_value(res, 0, 0));
    else
        print_text(res, plate ? plate : ref, !strcmp(o->lang, "en"));
    pgsink_result_free(res);
    pgsink_close(db);
    return AB_OK;
}
