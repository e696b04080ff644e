/*
 * case.c - `abgleich case REFERENCE --driver-known | --driver-unknown |
 * --objection | --objection-withdrawn | --dismiss | --to-court | --judgment
 * DATE [--as-of DATE] [--by NAME]`:
 * a clerk records what the hearing brought, or an objection to a notice
 * (docs/fines.md).
 *
 * driver known    -> Bußgeldbescheid: fine + fee (5 %, at least 25 EUR)
 *                    + 3.50 EUR expenses (fines_config);
 * driver unknown  -> parking offense: Kostenbescheid of the keeper (§ 25a
 *                    StVG, 20 + 3.50 EUR) instead of the fine; any other
 *                    offense: the case is dismissed;
 * objection       -> a fine or cost notice within its objection period is
 *                    not final and not due; escalate leaves it (sql/048).
 *                    --received DATE: the day it came in, when it is
 *                    entered later, also after the night made the notice
 *                    final or dunned it (sql/052);
 * objection withdrawn -> the notice is final that day (also from court);
 * dismiss         -> nothing is owed any more (also an acquittal at court);
 * to-court        -> the objection's files reached the local court
 *                    (--received DATE, default the day entered): the
 *                    limitation begins anew (§ 33(1) Nr. 10 OWiG), the
 *                    court's acts interrupt it too, so escalate leaves the
 *                    case alone (sql/080);
 * judgment DATE   -> the court's first-instance judgment before the
 *                    absolute limitation: it does not end before the case
 *                    is concluded (§ 32(2) OWiG; off abgleich.limitation_review);
 * instalments N [--first DATE] [--every-months M], defer-to DATE
 *                 -> payment relief (§ 93 OWiG) for a final notice not
 *                    paid: what is open split into N parts in cents (the
 *                    remainder on the first), the first on DATE (default
 *                    M months on), then every M (1) months; or one
 *                    deferred date.  escalate does not dun it while it is
 *                    kept and ends it when a part is late (sql/057).
 * The answers are a hearing's only; a fine notice is refused once the
 * limitation has ended, and no case is dated before the claim's last event
 * (sql/035_fines_rules.sql).
 * One dated event (sql/004_fines.sql: abgleich.fines_case; a relief:
 * abgleich.fines_relief with its parts, sql/057), in one
 * transaction under the reconcile lock, taken before it begins
 * (fines_lock, escalate.c); the letter goes out with the
 * day's `abgleich escalate`.  Prints the new state and amounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/date.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/money.h"
#include "../engine/offense.h"
#include "../engine/pgsink.h"
#include "../engine/ticketcheck.h"
#include "../formats/jsonw.h"
#include "cli.h"

#define WHO_MAX 256 /* "NAME (Login LOGIN)" */
#define PARKING_ARRAY_MAX (64u * 1024u)

typedef struct case_args {
    const char *reference, *answer, *as_of_arg, *by, *received;
    char judgment_day[11];             /* --judgment DATE, checked */
    const char *parts, *first, *every; /* a relief's, as typed */
    char first_day[11];                /* --first or --defer-to, checked */
    int first_given;                   /* --first, which --instalments alone takes */
} case_args;

/* A positive count as typed ("6"), nothing else. */
static int positive(const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    return *v && !*end && n > 0 && n <= 1000;
}

/* The options of a payment relief at argv[i]: how many arguments they
 * took, 0 if argv[i] is none of them, AB_E_USAGE when malformed. */
static int parse_relief(int argc, char **argv, int i, case_args *a)
{
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int is_inst = !strcmp(argv[i], "--instalments"), is_defer = !strcmp(argv[i], "--defer-to");
    int is_first = !strcmp(argv[i], "--first"), is_every = !strcmp(argv[i], "--every-months");
    if (!is_inst && !is_defer && !is_first && !is_every)
        return 0;
    if (!v || ((is_inst || is_defer) && a->answer))
        return AB_E_USAGE;
    if (is_inst || is_every) {
        if (!positive(v))
            return AB_E_USAGE;
        *(is_inst ? &a->parts : &a->every) = v;
        if (is_inst)
            a->answer = "instalments";
        return 2;
    }
    int32_t d;
    if (date_parse_iso(v, strlen(v), &d) < 0)
        return AB_E_USAGE;
    date_format(d, a->first_day);
    a->first = a->first_day;
    a->first_given |= is_first;
    if (is_defer)
        a->answer = "deferred";
    return 2;
}

static int parse(int argc, char **argv, case_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int took = parse_relief(argc, argv, i, a);
        if (took < 0)
            return took;
        if (took > 0) {
            i += took - 1;
            continue;
        }
        const char *ans = !strcmp(argv[i], "--driver-known")          ? "driver_known"
                          : !strcmp(argv[i], "--driver-unknown")      ? "driver_unknown"
                          : !strcmp(argv[i], "--objection")           ? "objection"
                          : !strcmp(argv[i], "--objection-withdrawn") ? "objection_withdrawn"
                          : !strcmp(argv[i], "--dismiss")             ? "dismiss"
                          : !strcmp(argv[i], "--to-court")            ? "to_court"
                                                                 : NULL;
        int32_t d;
        if (ans) {
            if (a->answer)
                return AB_E_USAGE;
            a->answer = ans;
        } else if (!strcmp(argv[i], "--judgment") && v) {
            /* the day of the court's judgment: sql/080 checks it against
             * the absolute limitation */
            if (a->answer || date_parse_iso(v, strlen(v), &d) < 0)
                return AB_E_USAGE;
            date_format(d, a->judgment_day);
            a->answer = "judgment";
            i++;
        } else if (!strcmp(argv[i], "--as-of") && v) {
            a->as_of_arg = argv[++i];
        } else if (!strcmp(argv[i], "--received") && v) {
            a->received = argv[++i];
        } else if (!strcmp(argv[i], "--by") && v) {
            a->by = argv[++i];
        } else if (argv[i][0] != '-' && !a->reference) {
            a->reference = argv[i];
        } else {
            return AB_E_USAGE;
        }
    }
    if (a->received && (!a->answer || (strcmp(a->answer, "objection") != 0
                                       && strcmp(a->answer, "to_court") != 0)))
        return AB_E_USAGE; /* the day an objection or the files came in, for them alone */
    int inst = a->answer && !strcmp(a->answer, "instalments");
    if ((a->every || a->first_given) && !inst)
        return AB_E_USAGE; /* --first and --every-months belong to --instalments */
    return a->reference && a->answer ? AB_OK : AB_E_USAGE;
}

static void print_event(const cli_opts *o, const pgsink_result *res)
{
    const char *name[] = {"reference", "state", "event_date", "fine_cents", "fee_cents",
                          "expenses_cents", "owed_cents", "open_cents", "due_date"};
    if (o->json) {
        jsonw w;
        jsonw_init(&w, stdout);
        jsonw_obj_begin(&w);
        for (int c = 0; c < 9; c++) {
            const char *v = pgsink_result_isnull(res, 0, c) ? "" : pgsink_result_value(res, 0, c);
            if (c >= 3 && c <= 7)
                jsonw_kint(&w, name[c], strtoll(v, NULL, 10));
            else
                jsonw_kstr(&w, name[c], v);
        }
        jsonw_obj_end(&w);
        return;
    }
    int en = !strcmp(o->lang, "en");
    char owed[32], open[32];
    money_format_de(strtoll(pgsink_result_value(res, 0, 6), NULL, 10), owed, sizeof owed);
    money_format_de(strtoll(pgsink_result_value(res, 0, 7), NULL, 10), open, sizeof open);
    printf(en ? "%s: %s as of %s, owed %s EUR, open %s EUR, due %s\n"
              : "%s: %s zum %s, Forderung %s EUR, offen %s EUR, fällig %s\n",
           pgsink_result_value(res, 0, 0), pgsink_result_value(res, 0, 1),
           pgsink_result_value(res, 0, 2), owed, open,
           pgsink_result_isnull(res, 0, 8) ? "-" : pgsink_result_value(res, 0, 8));
}

/* The reference as stored: without the separators people write, upper case. */
static void normalise_ref(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 1 < cap; in++)
        if (*in != ' ' && *in != '.' && *in != '-' && *in != '/')
            out[o++] = *in >= 'a' && *in <= 'z' ? (char)(*in - 'a' + 'A') : *in;
    out[o] = '\0';
}

/* The name the event's reason gives: the login (the event's created_by,
 * sql/056), or the name the clerk gave with --by and the login beside it. */
static int who_text(pgsink *db, const char *by, char *out, size_t n)
{
    char login[64];
    int rc = pgsink_session_user(db, login, sizeof login);
    if (rc < 0)
        return rc;
    if (!by || !*by || !strcmp(by, login))
        snprintf(out, n, "%s", login);
    else
        snprintf(out, n, "%s (Login %s)", by, login);
    return AB_OK;
}

static int case_in_tx(pgsink *db, const cli_opts *o, const case_args *a, const char *day)
{
    static char parking[PARKING_ARRAY_MAX];
    if (offense_load() < 0 || offense_parking_array(parking, sizeof parking) == 0)
        return AB_E_INVAL;
    char ref[AB_REF_MAX + 1], who[WHO_MAX];
    normalise_ref(a->reference, ref, sizeof ref);
    int rc = who_text(db, a->by, who, sizeof who);
    if (rc < 0)
        return rc;
    /* the day it happened: an objection or the files received, a judgment */
    const char *params[] = {ref, a->answer, day, parking, who,
                            a->judgment_day[0] ? a->judgment_day : a->received};
    pgsink_result *res = NULL;
    if (!strcmp(a->answer, "instalments") || !strcmp(a->answer, "deferred")) {
        const char *rp[] = {ref, a->answer, a->parts, a->first, a->every ? a->every : "1", day,
                            who};
        rc = pgsink_query(db,
                          "SELECT id FROM abgleich.fines_relief($1, $2, $3::int, $4::date,"
                          " $5::int, $6::date, $7)",
                          7, rp, &res);
    } else {
        rc = pgsink_query(db,
                          "SELECT id FROM abgleich.fines_case($1, $2, $3::date, $4::text[], $5,"
                          " $6::date)",
                          6, params, &res);
    }
    if (rc < 0)
        return rc;
    pgsink_result_free(res);
    res = NULL;
    /* A statement of its own: the one above cannot see the event it wrote. */
    rc = pgsink_query(db,
                      "SELECT l.reference, e.state, e.event_date, l.fine_cents, l.fee_cents,"
                      " l.expenses_cents, l.owed_cents, l.open_cents, e.due_date"
                      " FROM abgleich.claim_ledger l JOIN abgleich.claim_events e"
                      "   ON e.claim_id = l.id"
                      " WHERE l.reference = $1 ORDER BY e.id DESC LIMIT 1",
                      1, params, &res);
    if (rc < 0)
        return rc;
    print_event(o, res);
    pgsink_result_free(res);
    return AB_OK;
}

int job_case(const cli_opts *o, int argc, char **argv)
{
    case_args a;
    int32_t as_of;
    if (parse(argc, argv, &a) < 0 || tcheck_as_of(a.as_of_arg, &as_of) < 0) {
        fprintf(stderr, "usage: abgleich case REFERENCE --driver-known|--driver-unknown"
                        "|--objection [--received YYYY-MM-DD]|--objection-withdrawn|--dismiss"
                        "|--to-court [--received YYYY-MM-DD]|--judgment YYYY-MM-DD"
                        "|--instalments N [--first YYYY-MM-DD] [--every-months M]"
                        "|--defer-to YYYY-MM-DD [--as-of YYYY-MM-DD] [--by NAME]\n");
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
        rc = case_in_tx(db, o, &a, day);
    if (rc == AB_OK)
        rc = pgsink_commit(db);
    else
        pgsink_rollback(db);
    if (rc == AB_E_DB) {
        /* The function's own refusals (no such claim, wrong state) are
         * the clerk's input, not a database failure. */
        const char *e = pgsink_error(db);
        const char *msg = strstr(e, "ERROR:") ? strstr(e, "ERROR:") + 6 : e;
        const char *ctx = strstr(msg, "CONTEXT:");
        while (*msg == ' ')
            msg++;
        log_error("%s: %.*s", a.reference, ctx ? (int)(ctx - msg) : (int)strlen(msg), msg);
        /* P0003: wrong state, paid, time-barred, or dated before the claim's
         * last event (sql/035_fines_rules.sql); a relief's refusals (sql/057). */
        if (!strcmp(pgsink_sqlstate(db), "P0002"))
            rc = AB_E_NOTFOUND;
        else if (!strcmp(pgsink_sqlstate(db), "P0003"))
            rc = AB_E_INVAL;
    }
    pgsink_close(db);
    return rc;
}
