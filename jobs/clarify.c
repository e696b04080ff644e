/*
 * clarify.c - `abgleich clarify`: a clerk's decisions on clarifications.
 *
 *   abgleich clarify                              list what is open
 *   abgleich clarify ID --claim REF [--amount EUR] [--by NAME]
 *   abgleich clarify ID --refund [--amount EUR] [--by NAME]
 *   abgleich clarify ID --close [--by NAME]       a debit, a batch total, a possible
 *                                                 duplicate, or our own money back
 *                                                 (credit reversal, returned transfer),
 *                                                 sorted out elsewhere
 *   abgleich clarify --reverse ALLOCATION_ID [--by NAME]
 *   abgleich clarify --from FILE [--by NAME]      decisions from the sheet (CSV or XLSX)
 *                                                 `abgleich clarifications` wrote
 *
 * Every decision is a new row of the allocation ledger (method "manual",
 * "refund" or "closed", naming the clarification it settles, who and when).
 * Who is the database login: created_by is set by the database, never by
 * the client (sql/056_ledger_who.sql); --by NAME (or a sheet's clerk
 * column) is the name the explanation gives, with the login beside it when
 * the two differ.
 * Money that came in is allocated to a claim or refunded; money that left
 * the account without an original (a reversal or return of nothing we
 * hold, a return of money already refunded) can only be closed, once the
 * clerk has sorted it out with the bank or the payer; so can what is
 * open of a payment the bank took back (returned or reversed), and a
 * clerk's refund, allocation or close of such a payment is not undone by
 * hand (taken_back): the money would be spent a second time while
 * returned_after_refund asks the payer for it.  A decision
 * is undone by a reversing row, never edited.  Only the engine's
 * allocations, set-offs and a clerk's own decisions can be reversed, not
 * the rows the bank's reversals and returns or the fines lifecycle wrote,
 * and not an allocation whose claim gave part of the payment to an
 * overpayment clarification since (the money would be open twice).  The checks (claim exists and
 * is open, amount not more than what is left of the clarification or of
 * the claim) run in the same transaction as the insert, under the same
 * advisory lock that reconcile holds, so a night run and a clerk cannot
 * both spend one euro.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../engine/filehash.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/matcher.h"
#include "../engine/money.h"
#include "../engine/pgsink.h"
#include "../engine/refscan.h"
#include "../formats/csv.h"
#include "../formats/jsonw.h"
#include "../formats/xlsxread.h"
#include "clarifications.h"
#include "cli.h"

typedef struct decision {
    const char *id, *claim, *amount, *by, *reverse, *from;
    const char *login; /* session_user: whom the ledger row names */
    int refund, close;
    /* From a sheet: the amount read already (has_cents), and what the sheet
     * says is open (check_open: the decision stands only if that is still
     * so). */
    int has_cents, check_open;
    int64_t cents, sheet_open;
    unsigned long line;
} decision;

static int parse(int argc, char **argv, decision *d)
{
    memset(d, 0, sizeof *d);
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--refund"))
            d->refund = 1;
        else if (!strcmp(argv[i], "--close"))
            d->close = 1;
        else if (!strcmp(argv[i], "--claim") && v)
            d->claim = argv[++i];
        else if (!strcmp(argv[i], "--amount") && v)
            d->amount = argv[++i];
        else if (!strcmp(argv[i], "--by") && v)
            d->by = argv[++i];
        else if (!strcmp(argv[i], "--reverse") && v)
            d->reverse = argv[++i];
        else if (!strcmp(argv[i], "--from") && v)
            d->from = argv[++i];
        else if (argv[i][0] != '-' && !d->id)
            d->id = argv[i];
        else
            return AB_E_USAGE;
    }
    int actions = !!d->claim + d->refund + d->close;
    if (d->from)
        return d->id || actions || d->reverse || d->amount ? AB_E_USAGE : AB_OK;
    if (d->reverse ? (d->id || actions)
                   : (d->id && actions != 1) || (!d->id && actions) || (d->close && d->amount))
        return AB_E_USAGE;
    return AB_OK;
}

static int list_open(pgsink *db, const cli_opts *o)
{
    pgsink_result *res = NULL;
    int rc = pgsink_query(db,
                          "SELECT id, coalesce(booking_date::text, ''), open_cents, reason,"
                          " coalesce(end_to_end_id, ''), coalesce(debtor_name, ''),"
                          " coalesce(replace(remittance, E'\\n', ' '), '')"
                          " FROM abgleich.open_clarifications ORDER BY booking_date, id",
                          0, NULL, &res);
    if (rc < 0)
        return rc;
    jsonw w;
    if (o->json) {
        jsonw_init(&w, stdout);
        jsonw_arr_begin(&w);
    }
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        const char *v[7];
        for (int k = 0; k < 7; k++)
            v[k] = pgsink_result_value(res, i, k);
        if (o->json) {
            jsonw_obj_begin(&w);
            jsonw_kint(&w, "id", strtoll(v[0], NULL, 10));
            jsonw_kstr(&w, "booking_date", v[1]);
            jsonw_kint(&w, "open_cents", strtoll(v[2], NULL, 10));
            jsonw_kstr(&w, "reason", v[3]);
            jsonw_kstr(&w, "end_to_end_id", v[4]);
            jsonw_obj_end(&w);
            continue;
        }
        char b[32];
        int en = !strcmp(o->lang, "en");
        (en ? money_format : money_format_de)(strtoll(v[2], NULL, 10), b, sizeof b);
        const char *words = match_reason_label(v[3], en); /* the code stays in --json */
        printf("%6s  %s  %12s EUR  %-32s %-24s %s | %s\n", v[0], v[1], b, words ? words : v[3],
               v[4], v[5], v[6]);
    }
    if (o->json)
        jsonw_arr_end(&w);
    pgsink_result_free(res);
    return AB_OK;
}

static int one_row(pgsink *db, const char *sql, int n, const char *const *p, pgsink_result **res,
                   const char *missing)
{
    int rc = pgsink_query(db, sql, n, p, res);
    if (rc < 0)
        return rc;
    if (pgsink_result_rows(*res) == 0) {
        log_error("%s", missing);
        pgsink_result_free(*res);
        *res = NULL;
        return AB_E_NOTFOUND;
    }
    return AB_OK;
}

/* The amount: as given (must fit both limits) or as much as fits. */
static int choose_amount(const decision *d, int64_t clar_open, int64_t claim_open, int64_t *out)
{
    int64_t want = clar_open < claim_open ? clar_open : claim_open;
    if (d->has_cents)
        want = d->cents;
    else if (d->amount && money_parse(d->amount, strlen(d->amount), &want) < 0) {
        log_error("--amount: not an amount in euros: '%s'", d->amount);
        return AB_E_USAGE;
    }
    if (want <= 0 || want > clar_open || want > claim_open) {
        char a[32], b[32];
        money_format_de(clar_open, a, sizeof a);
        money_format_de(claim_open, b, sizeof b);
        /* No claim named (a refund): its limit is no limit, not a number. */
        if (d->claim)
            log_error("amount must be above 0 and at most %s EUR (clarification) and %s EUR"
                      " (claim)", a, b);
        else
            log_error("amount must be above 0 and at most %s EUR (clarification)", a);
        return AB_E_INVAL;
    }
    *out = want;
    return AB_OK;
}

/* Whether the bank took back the payment of transaction (file, seq): a
 * return or reversal reversed an allocation of it ("reversal" rows,
 * jobs/reconcile_rev.c), settled what was left of clarification clar
 * ("returned"), or took it back with nothing left to reverse or settle: a
 * payment refunded in full (reversal_links, sql/072).  Its money has left the account, whatever a clerk decided
 * on it before: undoing a refund or deciding the clarification again would
 * spend it a second time.  1: taken back, with the reason for a clerk in
 * why (German, English with --lang en); 0: not; < 0: error. */
static int taken_back(pgsink *db, const cli_opts *o, const char *file, const char *seq,
                      const char *clar, char *why, size_t n)
{
    const char *p[] = {file, seq, clar};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, "SELECT coalesce(t.end_to_end_id, ''), t.booking_date::text,"
                              " t.returned, t.file_id, coalesce((SELECT string_agg(k.id::text,"
                              " ', ' ORDER BY k.id) FROM abgleich.clarifications k WHERE"
                              " k.file_id = t.file_id AND k.tx_seq = t.seq AND k.reason ="
                              " 'returned_after_refund'), '')"
                              " FROM abgleich.bank_transactions t WHERE (t.file_id, t.seq) IN"
                              " (SELECT x.file_id, x.tx_seq FROM abgleich.allocations a JOIN"
                              "  abgleich.allocations x ON x.reverses = a.id WHERE"
                              "  a.file_id = $1::bigint AND a.tx_seq = $2::int AND"
                              "  x.method = 'reversal'"
                              "  UNION SELECT r.file_id, r.tx_seq FROM abgleich.allocations r"
                              "  WHERE r.clarification_id = $3::bigint AND r.method = 'returned'"
                              "  UNION SELECT l.file_id, l.tx_seq FROM abgleich.reversal_links l"
                              "  WHERE l.orig_file_id = $1::bigint AND l.orig_tx_seq = $2::int)"
                              " ORDER BY t.file_id, t.seq LIMIT 1", 3, p, &res);
    if (rc < 0)
        return rc;
    if (pgsink_result_rows(res) == 0) {
        pgsink_result_free(res);
        return 0;
    }
    const char *e2e = pgsink_result_value(res, 0, 0), *day = pgsink_result_value(res, 0, 1);
    const char *f = pgsink_result_value(res, 0, 3), *rar = pgsink_result_value(res, 0, 4);
    int ret = pgsink_result_value(res, 0, 2)[0] == 't', en = !strcmp(o->lang, "en");
    int k = en ? snprintf(why, n, "the bank took back the payment with end-to-end id %s on %s"
                                  " (%s, file #%s): the money has left the account and can"
                                  " neither pay a claim nor be refunded", e2e, day,
                          ret ? "a return" : "a reversal", f)
               : snprintf(why, n, "die Bank hat die Zahlung mit End-to-End-Referenz %s am %s"
                                  " zurückgebucht (%s, Datei #%s): das Geld hat das Konto"
                                  " verlassen und kann weder eine Forderung bezahlen noch"
                                  " erstattet werden", e2e, day,
                          ret ? "Rückgabe" : "Rückbuchung", f);
    if (*rar && k > 0 && (size_t)k < n)
        snprintf(why + k, n - (size_t)k,
                 en ? "; what was refunded of it already is to be recovered from the payer"
                      " (clarification #%s)"
                    : "; was davon schon erstattet war, fordern Sie beim Zahler zurück"
                      " (Klärfall #%s)", rar);
    pgsink_result_free(res);
    return 1;
}

/* Money that left the account cannot pay a claim or be refunded (it would
 * count money twice that is gone); money that came in cannot just be
 * closed (it must go to a claim or back to the payer), unless it may be a
 * booking that another file brought already (possible_duplicate,
 * jobs/entrylink.c), or is the city's own money coming back rather than a
 * citizen's payment: a credit reversal (RvslInd on a credit, one of our
 * debits undone by the bank) or a transfer of ours returned without our
 * ABG- EndToEndId (returned_transfer; with it jobs/outgoing.c settles it).
 * Their debits were booked where they were made (the city's finance
 * system), and so is their return: the clerk closes them, with a name in
 * the ledger row.  A refund of ours that came back is still the citizen's
 * money: refunded again or allocated, which stays possible.  A
 * batch total without details is paid out by its single payments
 * (jobs/batches.c). */
static int fits_direction(const decision *d, int debit, const char *reason)
{
    int batch = !strcmp(reason, "batch_without_details") || !strcmp(reason, "batch_ambiguous");
    int twice = !strcmp(reason, "possible_duplicate");
    int own = !debit && (!strcmp(reason, "reversal_without_original") ||
                         !strcmp(reason, "returned_transfer"));
    if (batch && !d->close) {
        log_error("clarification #%s is the total of a batch booking without details: its"
                  " single payments come with the bank's camt.054, which pay the claims and"
                  " settle it (reconcile the camt.054); allocating or refunding the total would"
                  " count them twice; once sorted out otherwise, close it (clarify %s --close)",
                  d->id, d->id);
        return AB_E_INVAL;
    }
    if (debit && !d->close) {
        log_error("clarification #%s is money that left the account: it cannot pay a claim or"
                  " be refunded; once sorted out with the bank or the payer, close it"
                  " (clarify %s --close)", d->id, d->id);
        return AB_E_INVAL;
    }
    if (!debit && !batch && !twice && !own && d->close) {
        log_error("clarification #%s is money that came in: allocate it to a claim or refund"
                  " it", d->id);
        return AB_E_INVAL;
    }
    return AB_OK;
}

/* The name an explanation gives: the login, or the name the clerk gave
 * with the login beside it (the ledger's created_by is the login). */
static void who_text(const decision *d, char *out, size_t n)
{
    if (!d->by || !*d->by || !strcmp(d->by, d->login))
        snprintf(out, n, "%s", d->login);
    else
        snprintf(out, n, "%s (Login %s)", d->by, d->login);
}

static void decision_text(const decision *d, const char *de_eur, const char *en_eur, char *de,
                          char *en, size_t n)
{
    char by[192];
    who_text(d, by, sizeof by);
    if (d->close) {
        snprintf(de, n, "Klärfall #%s über %s EUR geschlossen durch %s.", d->id, de_eur, by);
        snprintf(en, n, "Clarification #%s of %s EUR closed by %s.", d->id, en_eur, by);
    } else if (d->refund) {
        snprintf(de, n, "Erstattung von %s EUR aus Klärfall #%s, entschieden von %s.", de_eur,
                 d->id, by);
        snprintf(en, n, "Refund of %s EUR from clarification #%s, decided by %s.", en_eur, d->id,
                 by);
    } else {
        snprintf(de, n, "Manuell zugeordnet: %s EUR aus Klärfall #%s an Forderung %s, durch %s.",
                 de_eur, d->id, d->claim, by);
        snprintf(en, n, "Allocated by hand: %s EUR from clarification #%s to claim %s, by %s.",
                 en_eur, d->id, d->claim, by);
    }
}

/* Whether the decision fits the clarification k (file_id, tx_seq,
 * open_cents, direction, reason) as it stands now: 0, or why not (logged). */
static int may_decide(pgsink *db, const cli_opts *o, const decision *d, pgsink_result *k)
{
    /* A clarification whose payment the bank took back is money that left
     * the account, like a debit's: it can only be closed.  (Open again only
     * where a clerk undid a refund after the return, before reverse()
     * refused that.) */
    char gone[512];
    int rc = taken_back(db, o, pgsink_result_value(k, 0, 0), pgsink_result_value(k, 0, 1), d->id,
                        gone, sizeof gone);
    if (rc < 0)
        return rc;
    if (rc > 0 && !d->close) {
        log_error(strcmp(o->lang, "en") ? "Klärfall #%s: %s; ist es mit Bank oder Zahler"
                                          " geklärt, schließen Sie den Klärfall (clarify %s"
                                          " --close)"
                                        : "clarification #%s: %s; once sorted out with the bank"
                                          " or the payer, close it (clarify %s --close)",
                  d->id, gone, d->id);
        return AB_E_INVAL;
    }
    rc = fits_direction(d, rc > 0 || pgsink_result_value(k, 0, 3)[0] == 'D',
                        pgsink_result_value(k, 0, 4));
    if (rc < 0)
        return rc;
    /* A sheet written before another decision on this clarification (an
     * older or overlapping list, one read in already) would decide money
     * that is decided: its amount may have gone to a claim or back to the
     * payer since.  The clerk writes the list again and decides on that. */
    int64_t clar_open = strtoll(pgsink_result_value(k, 0, 2), NULL, 10);
    if (d->check_open && d->sheet_open != clar_open) {
        char a[32], b[32];
        money_format_de(d->sheet_open, a, sizeof a);
        money_format_de(clar_open, b, sizeof b);
        log_error("clarification #%s: the sheet says %s EUR open, but %s EUR are open now: it"
                  " was decided since the sheet was written; write the list again (abgleich"
                  " clarifications) and decide on that", d->id, a, b);
        return AB_E_INVAL;
    }
    return AB_OK;
}

static int decide(pgsink *db, const cli_opts *o, const decision *d)
{
    pgsink_result *k = NULL, *c = NULL;
    char msg[160];
    snprintf(msg, sizeof msg, "clarification #%s is not open (unknown, or decided already)", d->id);
    const char *kp[] = {d->id};
    int rc = one_row(db, "SELECT q.file_id, q.tx_seq, q.open_cents, t.direction, q.reason"
                         " FROM abgleich.open_clarifications q JOIN abgleich.bank_transactions t"
                         " ON t.file_id = q.file_id AND t.seq = q.tx_seq WHERE q.id = $1::bigint",
                     1, kp, &k, msg);
    if (rc < 0)
        return rc;
    rc = may_decide(db, o, d, k);
    if (rc < 0) {
        pgsink_result_free(k);
        return rc;
    }
    int64_t clar_open = strtoll(pgsink_result_value(k, 0, 2), NULL, 10), claim_open = INT64_MAX;
    const char *claim_id = NULL;
    char ref[AB_REF_MAX + 1];
    if (d->claim) {
        /* The clerk may type the reference as it is printed: "4000 0001 0033". */
        if (!refscan_normalise(d->claim, strlen(d->claim), ref))
            snprintf(ref, sizeof ref, "%s", "-");
        snprintf(msg, sizeof msg, "no claim with the reference %s", d->claim);
        const char *cp[] = {ref};
        rc = one_row(db, "SELECT c.id, s.open_cents FROM abgleich.claims c JOIN"
                         " abgleich.claim_status s ON s.reference = c.reference"
                         " WHERE c.reference = $1", 1, cp, &c, msg);
        if (rc == AB_OK) {
            claim_id = pgsink_result_value(c, 0, 0);
            claim_open = strtoll(pgsink_result_value(c, 0, 1), NULL, 10);
        }
    }
    int64_t cents = 0;
    if (rc == AB_OK)
        rc = choose_amount(d, clar_open, claim_open, &cents);
    if (rc == AB_OK) {
        char amt[24], de_eur[32], en_eur[32], de[256], en[256];
        snprintf(amt, sizeof amt, "%lld", (long long)cents);
        money_format_de(cents, de_eur, sizeof de_eur);
        money_format(cents, en_eur, sizeof en_eur);
        decision_text(d, de_eur, en_eur, de, en, sizeof de);
        const char *ip[] = {claim_id, pgsink_result_value(k, 0, 0), pgsink_result_value(k, 0, 1),
                            amt, d->close ? "closed" : d->refund ? "refund" : "manual", de, en,
                            d->id};
        rc = pgsink_query(db, "INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq,"
                              " amount_cents, method, confidence, explanation, explanation_en,"
                              " clarification_id) VALUES ($1::bigint, $2::bigint,"
                              " $3::int, $4::bigint, $5, 100, $6, $7, $8::bigint)",
                          8, ip, NULL);
        if (rc == AB_OK)
            log_info("%s", strcmp(o->lang, "en") ? de : en);
    }
    pgsink_result_free(c);
    pgsink_result_free(k);
    return rc;
}

/* The ledger rows a clerk may take back: the engine's allocations of a
 * payment to a claim, a set-off of an overpayment, and a clerk's own
 * decisions.  Every other row records what the bank did or what follows
 * from another row, and taking it back by hand would book money that is not
 * there (a bank's reversal taken back pays the claim again with money that
 * went back to the payer); NULL: reversible, else why not. */
static const char *not_reversible(const char *method)
{
    static const char *const ok[] = {"exact_reference", "fuzzy_reference", "plate_amount",
                                     "manual", "refund", "closed", "surplus_offset"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(method, ok[i]))
            return NULL;
    if (!strcmp(method, "reversal") || !strcmp(method, "returned"))
        return "it records the bank taking the money back (a reversal or return on the"
               " statement); only the bank can undo that";
    if (!strcmp(method, "surplus_to_clarification"))
        return "it moved a lowered claim's surplus into an overpayment clarification; decide"
               " that clarification instead (refund it or allocate it to a claim)";
    if (!strcmp(method, "invoice_payment") || !strcmp(method, "invoice_return"))
        return "it records an e-invoice's payment or its return found on the statement; it"
               " follows the invoice and the bank, not a clerk";
    if (!strcmp(method, "batch_resolved"))
        return "it settles a batch total by the single payments of the bank's camt.054;"
               " those payments are reversed one by one if they are wrong";
    if (strlen(method) > 9 && !strcmp(method + strlen(method) - 9, "_reversal"))
        return "it is itself a reversal; decide the clarification again instead";
    return "it was written by the engine, not decided by a clerk";
}

/* Whether allocation a (the row reverse() read) may be taken back by hand:
 * 0, or why not (logged): AB_E_NOTFOUND if it is reversed already,
 * AB_E_INVAL if it is not a clerk's to reverse. */
static int may_reverse(pgsink *db, const cli_opts *o, const decision *d, pgsink_result *a)
{
    const char *method = pgsink_result_value(a, 0, 4);
    const char *why = not_reversible(method);
    int64_t amount = strtoll(pgsink_result_value(a, 0, 3), NULL, 10);
    int64_t held = strtoll(pgsink_result_value(a, 0, 7), NULL, 10);
    /* A row taken back already, or a reversal: nothing to reverse (exit 1,
     * as for an unknown id); a row of the bank or the engine: refused. */
    int gone = !why && (amount <= 0 || pgsink_result_value(a, 0, 6)[0] == 't');
    if (!why && amount <= 0)
        why = "it is itself a reversal; decide the clarification again instead";
    else if (gone)
        why = "it was reversed already";
    if (why) {
        log_error("allocation #%s (%s) cannot be reversed by hand: %s", d->reverse, method, why);
        return gone ? AB_E_NOTFOUND : AB_E_INVAL;
    }
    /* The bank took the payment back after this decision: a refund undone
     * now would open money for a claim that the city no longer has, while
     * returned_after_refund asks the payer for it (a manual allocation or a
     * close likewise).  Exit 3: refused, not unknown. */
    char bank[512];
#define OR_NULL(col) (pgsink_result_isnull(a, 0, col) ? NULL : pgsink_result_value(a, 0, col))
    int rc = taken_back(db, o, OR_NULL(1), OR_NULL(2), OR_NULL(5), bank, sizeof bank);
#undef OR_NULL
    if (rc != 0) {
        if (rc > 0)
            log_error(strcmp(o->lang, "en") ? "Zuordnung #%s (%s) kann nicht aufgehoben werden:"
                                              " %s"
                                            : "allocation #%s (%s) cannot be reversed by hand: %s",
                      d->reverse, method, bank);
        return rc > 0 ? AB_E_INVAL : rc;
    }
    /* A claim lowered after the payment (dismissed, time-barred, a cost
     * notice) gave its surplus to an overpayment clarification (sql/035):
     * the claim holds less of the payment than the allocation says.  Its
     * reversal would hand the whole amount back to the clerk's queue while
     * the overpayment clarification still holds part of it: money made
     * twice, both refundable. */
    if (!pgsink_result_isnull(a, 0, 0) && held < amount) {
        char h[32], w[32], m[32];
        money_format_de(held < 0 ? 0 : held, h, sizeof h);
        money_format_de(amount, w, sizeof w);
        money_format_de(amount - (held < 0 ? 0 : held), m, sizeof m);
        const char *over = *pgsink_result_value(a, 0, 8) ? pgsink_result_value(a, 0, 8) : "ID";
        log_error("allocation #%s of %s EUR cannot be reversed: claim %s holds only %s EUR of"
                  " this payment now; %s EUR left it when the claim was lowered (dismissed,"
                  " time-barred or a cost notice) and wait in overpayment clarification #%s."
                  " Reversing the allocation would hand that money out twice; decide the"
                  " overpayment clarification instead (abgleich clarify %s --refund, or --claim"
                  " REF)", d->reverse, w, pgsink_result_value(a, 0, 9), h, m, over, over);
        return AB_E_INVAL;
    }
    return AB_OK;
}

static int reverse(pgsink *db, const cli_opts *o, const decision *d)
{
    pgsink_result *a = NULL;
    char msg[160];
    snprintf(msg, sizeof msg, "allocation #%s does not exist", d->reverse);
    const char *ap[] = {d->reverse};
    /* held: what the claim's rows on this bank transaction add up to now
     * (payments, reversals, surplus moved out to a clarification); over:
     * the overpayment clarifications that took the rest. */
    int rc = one_row(db, "SELECT a.claim_id, a.file_id, a.tx_seq, a.amount_cents, a.method,"
                         " a.clarification_id, EXISTS (SELECT 1 FROM abgleich.allocations x"
                         " WHERE x.reverses = a.id),"
                         " (SELECT coalesce(sum(h.amount_cents), 0) FROM abgleich.allocations h"
                         "  WHERE h.claim_id = a.claim_id AND h.file_id IS NOT DISTINCT FROM"
                         "  a.file_id AND h.tx_seq IS NOT DISTINCT FROM a.tx_seq),"
                         " coalesce((SELECT string_agg(k.id::text, ', ' ORDER BY k.id) FROM"
                         "  abgleich.clarifications k WHERE k.file_id = a.file_id AND"
                         "  k.tx_seq = a.tx_seq AND k.claim_id = a.claim_id AND"
                         "  k.reason = 'overpayment'), ''),"
                         " coalesce(c.reference, '')"
                         " FROM abgleich.allocations a LEFT JOIN abgleich.claims c"
                         " ON c.id = a.claim_id WHERE a.id = $1::bigint", 1, ap, &a, msg);
    if (rc < 0)
        return rc;
    const char *method = pgsink_result_value(a, 0, 4);
    rc = may_reverse(db, o, d, a);
    if (rc < 0) {
        pgsink_result_free(a);
        return rc;
    }
    char neg[24], by[192], de[256], en[256];
    snprintf(neg, sizeof neg, "-%s", pgsink_result_value(a, 0, 3));
    who_text(d, by, sizeof by);
    snprintf(de, sizeof de, "Zuordnung #%s aufgehoben durch %s.", d->reverse, by);
    snprintf(en, sizeof en, "Allocation #%s reversed by %s.", d->reverse, by);
    int refund = !strcmp(method, "refund"), closed = !strcmp(method, "closed");
    const char *ip[] = {pgsink_result_isnull(a, 0, 0) ? NULL : pgsink_result_value(a, 0, 0),
                        pgsink_result_value(a, 0, 1), pgsink_result_value(a, 0, 2), neg,
                        refund ? "refund_reversal" : closed ? "closed_reversal" : "manual_reversal",
                        de, en, d->reverse,
                        pgsink_result_isnull(a, 0, 5) ? NULL : pgsink_result_value(a, 0, 5)};
    rc = pgsink_query(db, "INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq,"
                          " amount_cents, method, confidence, explanation, explanation_en,"
                          " reverses, clarification_id) VALUES ($1::bigint,"
                          " $2::bigint, $3::int, $4::bigint, $5, 100, $6, $7, $8::bigint,"
                          " $9::bigint)", 9, ip, NULL);
    /* Money of an automatic allocation goes back to the clerk's queue. */
    if (rc == AB_OK && pgsink_result_isnull(a, 0, 5))
        rc = pgsink_query(db, "INSERT INTO abgleich.clarifications (file_id, tx_seq, reason,"
                              " amount_cents, claim_id, explanation, explanation_en) VALUES"
                              " ($2::bigint, $3::int, 'reopened', $4::bigint, $1::bigint, $5, $6)",
                          6, (const char *const[]){ip[0], ip[1], ip[2],
                                                   pgsink_result_value(a, 0, 3), de, en}, NULL);
    const char *expl = strcmp(o->lang, "en") ? de : en;
    if (rc == AB_OK)
        log_info("%s", expl);
    pgsink_result_free(a);
    return rc;
}

/* --- decisions from the sheet ------------------------------------------ */

/* The clarifications a sheet decides, to find a second row for one of
 * them: open addressing on the id, key 0 empty (ids start at 1). */
typedef struct seen_set {
    int64_t *id;
    unsigned long *line;
    size_t cap, n;
} seen_set;

static int seen_grow(seen_set *h)
{
    size_t cap = h->cap ? h->cap * 2 : 256;
    int64_t *id = mem_calloc(cap, sizeof *id);
    unsigned long *line = mem_calloc(cap, sizeof *line);
    if (!id || !line) {
        mem_free(id);
        mem_free(line);
        return AB_E_NOMEM;
    }
    for (size_t i = 0; i < h->cap; i++) {
        if (!h->id[i])
            continue;
        size_t j = (size_t)h->id[i] * 0x9E3779B97F4A7C15ull & (cap - 1);
        while (id[j])
            j = (j + 1) & (cap - 1);
        id[j] = h->id[i], line[j] = h->line[i];
    }
    mem_free(h->id);
    mem_free(h->line);
    h->id = id, h->line = line, h->cap = cap;
    return AB_OK;
}

/* 0: first row for the id (now recorded); else the line of the first. */
static int seen_add(seen_set *h, int64_t id, unsigned long line, unsigned long *first)
{
    *first = 0;
    if (2 * (h->n + 1) > h->cap && seen_grow(h) < 0)
        return AB_E_NOMEM;
    size_t j = (size_t)id * 0x9E3779B97F4A7C15ull & (h->cap - 1);
    for (; h->id[j]; j = (j + 1) & (h->cap - 1))
        if (h->id[j] == id) {
            *first = h->line[j];
            return AB_OK;
        }
    h->id[j] = id, h->line[j] = line, h->n++;
    return AB_OK;
}

typedef struct sheet {
    pgsink *db;
    const cli_opts *o;
    const char *path, *by, *login;
    int col[6];          /* id, action, claim, amount, clerk, open; -1: absent */
    int header_done;
    long decided, errors;
    seen_set seen;
} sheet;

static int find_columns(sheet *sh, unsigned long line, const char *const *cells, size_t n)
{
    static const int want[6] = {CLAR_COL_ID, CLAR_COL_ACTION, CLAR_COL_CLAIM, CLAR_COL_AMOUNT,
                                CLAR_COL_CLERK, CLAR_COL_OPEN};
    for (int k = 0; k < 6; k++) {
        sh->col[k] = -1;
        for (size_t i = 0; i < n; i++)
            for (int en = 0; en < 2; en++)
                if (!strcmp(cells[i], clarifications_header(want[k], en)))
                    sh->col[k] = (int)i;
    }
    if (sh->col[0] < 0 || sh->col[1] < 0) {
        log_error("%s:%lu: header: not a clarification sheet (no \"%s\" and \"%s\" columns)",
                  sh->path, line, clarifications_header(CLAR_COL_ID, 0),
                  clarifications_header(CLAR_COL_ACTION, 0));
        return AB_E_PARSE;
    }
    /* Without what was open when the list was written, a stale sheet
     * cannot be told from a current one. */
    if (sh->col[5] < 0) {
        log_error("%s:%lu: header: no \"%s\" (\"%s\") column: the amount open when the list"
                  " was written tells whether the sheet is still current; write the list again"
                  " (abgleich clarifications)", sh->path, line,
                  clarifications_header(CLAR_COL_OPEN, 0), clarifications_header(CLAR_COL_OPEN, 1));
        return AB_E_PARSE;
    }
    return AB_OK;
}

static const char *cell(const sheet *sh, const char *const *cells, size_t n, int k)
{
    int i = sh->col[k];
    return i >= 0 && (size_t)i < n ? cells[i] : "";
}

/* An amount cell: a number as the spreadsheet saved it (XLSX numeric
 * cells), or text as a clerk types it, "5,00", "5,00 €", "5,00 EUR". */
static int sheet_amount(const sheet *sh, const char *const *cells, const unsigned char *numeric,
                        size_t n, int k, int64_t *cents)
{
    const char *v = cell(sh, cells, n, k);
    size_t len = strlen(v);
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (numeric && *v && numeric[sh->col[k]])
        return money_parse_number(v, len, cents);
    return money_parse(v, money_without_currency(v, len), cents);
}

/* One row of the sheet, from the CSV or the XLSX reader; damaged: the CSV
 * reader flagged its quoting; numeric: the XLSX cells that are numbers
 * (NULL for a CSV). */
static int sheet_cells(sheet *sh, unsigned long line, const char *const *cells,
                       const unsigned char *numeric, size_t n, int damaged)
{
    if (!sh->header_done) {
        sh->header_done = 1;
        return find_columns(sh, line, cells, n);
    }
    const char *action = cell(sh, cells, n, 1);
    if (!*action)
        return AB_OK; /* no decision on this row */
    decision d = {.id = cell(sh, cells, n, 0), .claim = cell(sh, cells, n, 2),
                  .amount = cell(sh, cells, n, 3),
                  .by = *cell(sh, cells, n, 4) ? cell(sh, cells, n, 4) : sh->by,
                  .login = sh->login, .line = line};
    if (!*d.amount)
        d.amount = NULL;
    const char *why = NULL, *field = clarifications_header(CLAR_COL_ACTION, 0);
    if (!strcasecmp(action, "zuordnen") || !strcasecmp(action, "allocate"))
        why = *d.claim ? NULL : "allocate needs a claim reference";
    else if (!strcasecmp(action, "erstatten") || !strcasecmp(action, "refund"))
        d.refund = 1, d.claim = NULL;
    else if (!strcasecmp(action, "schliessen") || !strcasecmp(action, "schließen") ||
             !strcasecmp(action, "close"))
        d.close = 1, d.claim = NULL, d.amount = NULL;
    else
        why = "not zuordnen/allocate, erstatten/refund or schließen/close";
    if (!why && (damaged || strspn(d.id, "0123456789") != strlen(d.id) || !*d.id ||
                 strlen(d.id) > 18))
        why = "the row is damaged (clarification number or quoting)";
    if (!why && d.amount) {
        if (sheet_amount(sh, cells, numeric, n, 3, &d.cents) < 0) {
            field = clarifications_header(CLAR_COL_AMOUNT, 0);
            why = "not an amount in euros (e.g. 12,50)";
        }
        d.has_cents = 1;
    }
    if (!why) {
        if (sheet_amount(sh, cells, numeric, n, 5, &d.sheet_open) < 0) {
            field = clarifications_header(CLAR_COL_OPEN, 0);
            why = "not an amount: what was open when the list was written is needed";
        }
        d.check_open = 1;
    }
    /* Two rows for one clarification: each checked alone against what is
     * open would together decide more than that, or the second would be
     * refused as stale for the first one's sake. */
    unsigned long first = 0;
    if (!why && seen_add(&sh->seen, strtoll(d.id, NULL, 10), line, &first) < 0)
        return AB_E_NOMEM;
    char dup[96];
    if (!why && first) {
        snprintf(dup, sizeof dup, "clarification #%s is decided on line %lu already; one row"
                                  " each", d.id, first);
        field = clarifications_header(CLAR_COL_ID, 0);
        why = dup;
    }
    int rc = why ? AB_E_PARSE : decide(sh->db, sh->o, &d);
    if (rc == AB_E_DB || rc == AB_E_NOMEM)
        return rc;
    if (rc < 0) {
        log_error("%s:%lu: %s: %s", sh->path, line, why ? field : "decision",
                  why ? why : "refused (see above)");
        sh->errors++;
        return AB_OK; /* report every bad row, then change nothing */
    }
    sh->decided++;
    return AB_OK;
}

static int csv_row(void *ctx, const csv_record *rec)
{
    const char *cells[64];
    size_t n = rec->nfields < 64 ? rec->nfields : 64;
    for (size_t i = 0; i < n; i++)
        cells[i] = rec->fields[i].ptr;
    return sheet_cells(ctx, rec->line, cells, NULL, n, rec->flags != 0);
}

static int xlsx_row(void *ctx, unsigned long row, const char *const *cells,
                    const unsigned char *numeric, size_t n)
{
    return sheet_cells(ctx, row, cells, numeric, n, 0);
}

static int read_csv(const char *path, sheet *sh)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        log_error("%s: cannot read", path);
        return AB_E_IO;
    }
    csv *c = NULL;
    int rc = csv_create(&c, 0);
    char buf[65536];
    size_t n;
    while (rc == AB_OK && (n = fread(buf, 1, sizeof buf, f)) > 0)
        rc = csv_feed(c, buf, n, false, csv_row, sh);
    if (rc == AB_OK)
        rc = csv_feed(c, buf, 0, true, csv_row, sh);
    if (rc == AB_E_LIMIT)
        log_error("%s: %s", path, csv_error(c));
    csv_destroy(c);
    fclose(f);
    return rc;
}

/* A sheet is read in once: its content hash is recorded with the
 * decisions (input_files, kind 'decisions', sql/040), as tickets and
 * statements are; the same sheet again would apply its amounts again
 * (refund 5,00 twice).  A sheet saved again by Excel has other bytes: what
 * catches it is the "Offen" column (decide). */
static int sheet_seen(pgsink *db, const char *path, const char *hash)
{
    const char *p[] = {hash};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, "SELECT id, name, to_char(imported_at, 'YYYY-MM-DD HH24:MI')"
                              " FROM abgleich.input_files WHERE kind = 'decisions' AND"
                              " content_hash = $1", 1, p, &res);
    if (rc < 0)
        return rc;
    if (pgsink_result_rows(res) > 0) {
        log_error("%s: this sheet was read in already (as %s, file #%s, on %s); its decisions"
                  " stand and are not made twice; nothing was changed", path,
                  pgsink_result_value(res, 0, 1), pgsink_result_value(res, 0, 0),
                  pgsink_result_value(res, 0, 2));
        rc = AB_E_REJECTED;
    }
    pgsink_result_free(res);
    return rc;
}

/* One transaction for the whole sheet: a sheet with any bad row changes
 * nothing, so the clerk fixes it and reads it in again. */
static int from_sheet(pgsink *db, const cli_opts *o, const decision *d)
{
    sheet sh = {.db = db, .o = o, .path = d->from, .by = d->by, .login = d->login};
    size_t len = strlen(d->from);
    char hash[33];
    int64_t size = 0;
    int rc = filehash_file(d->from, hash, &size);
    if (rc < 0) {
        log_error("%s: cannot read", d->from);
        return rc;
    }
    rc = sheet_seen(db, d->from, hash);
    if (rc < 0)
        return rc;
    if (len > 5 && !strcasecmp(d->from + len - 5, ".xlsx")) {
        rc = xlsx_read_rows(d->from, xlsx_row, &sh);
        if (rc == AB_E_IO || rc == AB_E_PARSE || rc == AB_E_LIMIT)
            log_error("%s: %s", d->from, rc == AB_E_IO ? "cannot read"
                                         : rc == AB_E_LIMIT ? "larger than a work list may be"
                                                            : "not a readable XLSX workbook");
    } else {
        rc = read_csv(d->from, &sh);
    }
    mem_free(sh.seen.id);
    mem_free(sh.seen.line);
    if (rc == AB_OK && sh.errors) {
        log_error("%s: %ld rows refused; nothing was changed", d->from, sh.errors);
        rc = AB_E_PARSE;
    }
    if (rc == AB_OK) {
        char sz[24];
        snprintf(sz, sizeof sz, "%lld", (long long)size);
        const char *p[] = {d->from, hash, sz};
        rc = pgsink_query(db, "INSERT INTO abgleich.input_files (kind, name, content_hash,"
                              " size_bytes) VALUES ('decisions', $1, $2, $3::bigint)", 3, p, NULL);
    }
    if (rc == AB_OK)
        log_info("%s: %ld decisions recorded", d->from, sh.decided);
    return rc;
}

int job_clarify(const cli_opts *o, int argc, char **argv)
{
    decision d;
    if (parse(argc, argv, &d) < 0) {
        fprintf(stderr, "usage: abgleich clarify [ID (--claim REF | --refund) [--amount EUR]"
                        " [--by NAME]] | --reverse ALLOCATION_ID [--by NAME]"
                        " | --from FILE [--by NAME]\n");
        return AB_E_USAGE;
    }
    pgsink *db = NULL;
    char login[64];
    int rc = pgsink_connect(&db, o->db);
    if (rc == AB_OK && !d.id && !d.reverse && !d.from) {
        rc = list_open(db, o);
    } else if (rc == AB_OK) {
        rc = pgsink_session_user(db, login, sizeof login);
        d.login = login;
        /* The lock before the transaction, as escalate takes it: a
         * decision that waited behind escalate or a night run is dated
         * (created_at, the transaction's start) after their rows, which the
         * letters' "already paid" counts by (fines_lock, escalate.c). */
        if (rc == AB_OK)
            rc = fines_lock(db);
        if (rc == AB_OK)
            rc = pgsink_begin(db);
        if (rc == AB_OK)
            rc = d.from ? from_sheet(db, o, &d) : d.reverse ? reverse(db, o, &d) : decide(db, o, &d);
        if (rc == AB_OK)
            rc = pgsink_commit(db);
        else
            pgsink_rollback(db);
    }
    if (rc == AB_E_DB)
        log_error("database: %s", pgsink_error(db));
    pgsink_close(db);
    return rc;
}
