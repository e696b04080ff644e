/*
 * test_matcher.c - every rule of docs/matching.md on a small claim index:
 * exact, partial, over, already paid, several references, typos, plates,
 * RF references, reversals, candidates, and the explanations in both
 * languages.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/matcher.h"

static claimidx *ix;
static const matcher_cfg cfg = {.scheme = CD_ISO7064_11_10};

static uint32_t add(const char *ref, int64_t cents, int32_t due, const char *plate)
{
    uint32_t s;
    cr_assert_eq(claimidx_insert(ix, ref, strlen(ref), (int64_t)claimidx_count(ix) + 1, cents,
                                 cents, due, &s), AB_OK);
    if (plate) {
        char p[PLATE_MAX];
        size_t n = plate_normalise(plate, strlen(plate), p);
        cr_assert_gt(n, 0);
        cr_assert_eq(claimidx_set_plate(ix, s, p, n), AB_OK);
    }
    return s;
}

static uint32_t c17, c25, c33, c41, c50, c68, crf;

static void setup(void)
{
    cr_assert_eq(claimidx_create(&ix, 16), AB_OK);
    c17 = add("400000010017", 2500, 100, "HH-AB 1234");
    c25 = add("400000010025", 5500, 90, "B-XY 99");
    c33 = add("400000010033", 2500, 80, "M-Q 7");
    c41 = add("400000010041", 2500, 70, "M-Q 7");
    c50 = add("400000010050", 5500, 60, "K-Z 1");
    c68 = add("400000010068", 2000, 50, "K-Z 1");
    crf = add("RF18539007547034", 3000, 40, NULL);
}

static void teardown(void) { claimidx_destroy(ix); }

TestSuite(matcher, .init = setup, .fini = teardown);

static payment pay(int64_t cents, const char *rmt)
{
    payment p = {.amount_cents = cents, .direction = 'C', .status = "BOOK", .remittance = rmt,
                 .creditor_ref = "", .end_to_end_id = "", .acct_svcr_ref = "", .entry_info = ""};
    return p;
}

static match_result run(const payment *p, match_scan *sc)
{
    match_result r;
    matcher_scan(&cfg, ix, p, sc);
    matcher_apply(ix, p, sc, &r);
    return r;
}

static void explain_has(const payment *p, const match_scan *sc, const match_result *r,
                        const char *lang, const char *needle)
{
    char buf[512];
    matcher_explain(ix, p, sc, r, lang, buf, sizeof buf);
    cr_assert(strstr(buf, needle), "[%s] '%s' lacks '%s'", lang, buf, needle);
}

Test(matcher, exact_partial_over_and_paid)
{
    match_scan sc;
    payment p = pay(1000, "KZ 4000 0001 0017");
    match_result r = run(&p, &sc);
    cr_assert_eq(r.outcome, MATCH_ALLOCATED);
    cr_assert_str_eq(r.method, "exact_reference");
    cr_assert_eq(r.n_allocs, 1);
    cr_assert_eq(r.allocs[0].cents, 1000);
    cr_assert_eq(r.reason, MR_NONE);
    cr_assert_eq(claimidx_open(ix, c17), 1500, "the remainder stays due");
    explain_has(&p, &sc, &r, "de", "Teilzahlung: 15,00 EUR bleiben offen");
    explain_has(&p, &sc, &r, "en", "Partial payment: 15.00 EUR remain due");

    p = pay(2000, "400000010017");
    r = run(&p, &sc);
    cr_assert_eq(r.allocs[0].cents, 1500);
    cr_assert_eq(r.reason, MR_OVERPAYMENT);
    cr_assert_eq(r.clar_cents, 500);
    cr_assert_eq(r.slot, c17, "the overpayment names the claim");
    explain_has(&p, &sc, &r, "de", "Überzahlung von 5,00 EUR zur Forderung 400000010017");

    p = pay(2500, "400000010017");
    r = run(&p, &sc);
    cr_assert_eq(r.outcome, MATCH_CLARIFY);
    cr_assert_eq(r.reason, MR_CLAIM_ALREADY_PAID);
    cr_assert_eq(r.n_allocs, 0, "never a second allocation");
    cr_assert_eq(r.n_cands, 1);
    cr_assert_eq(r.cands[0].slot, c17);
    explain_has(&p, &sc, &r, "de", "Forderung 400000010017 ist bereits vollständig bezahlt");
    explain_has(&p, &sc, &r, "en", "Claim 400000010017 is already paid in full");
}

/* A claim closed with nothing owed (dismissed, time-barred): the money waits
 * for a clerk, and the text does not call the claim paid. */
Test(matcher, closed_claim_owing_nothing)
{
    uint32_t c76 = add("400000010076", 0, 100, NULL);
    match_scan sc;
    payment p = pay(2000, "400000010076");
    match_result r = run(&p, &sc);
    cr_assert_eq(r.outcome, MATCH_CLARIFY);
    cr_assert_eq(r.reason, MR_CLAIM_ALREADY_PAID);
    cr_assert_eq(r.slot, c76);
    explain_has(&p, &sc, &r, "de", "Forderung 400000010076 ist abgeschlossen, es ist nichts"
                                   " geschuldet (eingestellt, verjährt oder nicht mehr"
                                   " vollstreckbar)");
    explain_has(&p, &sc, &r, "en", "Claim 400000010076 is closed and owes nothing");
}

Test(matcher, several_references)
{
    match_scan sc;
    payment p = pay(7500, "400000010050 und 400000010068");
    match_result r = run(&p, &sc);
    cr_assert_eq(r.n_allocs, 2);
    cr_assert_eq(r.reason, MR_NONE);
    cr_assert_eq(claimidx_open(ix, c50), 0);
    cr_assert_eq(claimidx_open(ix, c68), 0);

    /* Less than the sum: oldest due date first (c41 is due before c33). */
    p = pay(3000, "400000010033, 400000010041");
    r = run(&p, &sc);
    cr_assert_eq(r.n_allocs, 2);
    cr_assert_eq(r.allocs[0].slot, c41);
    cr_assert_eq(r.allocs[0].cents, 2500);
    cr_assert_eq(r.allocs[1].slot, c33);
    cr_assert_eq(r.allocs[1].cents, 500);
    explain_has(&p, &sc, &r, "de", "älteste Fälligkeit zuerst");

    /* More than the sum: all paid, the surplus is an overpayment. */
    p = pay(9000, "400000010033 400000010025");
    r = run(&p, &sc);
    cr_assert_eq(r.n_allocs, 2);
    cr_assert_eq(r.reason, MR_OVERPAYMENT);
    cr_assert_eq(r.clar_cents, 9000 - 2000 - 5500);
}

Test(matcher, typo_unique_ambiguous_and_wrong_amount)
{
    match_scan sc;
    /* One digit changed (0017 -> 0117): only c17 is one step away.  (0018
     * would be one step from c17 and from c68 too: that is ambiguous.) */
    payment p = pay(2500, "Verwarnung 400000010117");
    match_result r = run(&p, &sc);
    cr_assert_eq(r.outcome, MATCH_ALLOCATED);
    cr_assert_str_eq(r.method, "fuzzy_reference");
    cr_assert_eq(r.allocs[0].slot, c17);
    explain_has(&p, &sc, &r, "de", "falsche Prüfziffer");
    explain_has(&p, &sc, &r, "en", "fails its check digit");

    /* Adjacent digits swapped, wrong amount: amount_mismatch with the candidate. */
    p = pay(9900, "400000001025");
    r = run(&p, &sc);
    cr_assert_eq(r.outcome, MATCH_CLARIFY);
    cr_assert_eq(r.reason, MR_AMOUNT_MISMATCH);
    cr_assert_eq(r.cands[0].slot, c25);
    cr_assert_str_eq(match_why_name((enum match_why)r.cands[0].why), "reference_typo");
    cr_assert_eq(claimidx_open(ix, c25), 5500);
}

Test(matcher, typo_with_two_candidates_is_ambiguous)
{
    match_scan sc0;
    payment p0 = pay(2500, "400000010018"); /* near c17 and c68 */
    cr_assert_eq(run(&p0, &sc0).reason, MR_AMBIGUOUS);
    /* 4000000100X? with a wrong last digit is one step from every claim
     * whose body is the same: c17's body 40000001001 and c25's 40000001002
     * differ in one digit, so "400000010027" is near both. */
    match_scan sc;
    payment p = pay(2500, "400000010027");
    match_result r = run(&p, &sc);
    cr_assert_eq(r.outcome, MATCH_CLARIFY);
    cr_assert_eq(r.reason, MR_AMBIGUOUS, "reason %s", match_reason_name(r.reason));
    cr_assert_geq(r.n_cands, 2);
    explain_has(&p, &sc, &r, "de", "Vorschläge:");
}

Test(matcher, plates)
{
    match_scan sc;
    payment p = pay(2500, "Knoellchen hhab1234 danke");
    match_result r = run(&p, &sc);
    cr_assert_eq(r.outcome, MATCH_ALLOCATED);
    cr_assert_str_eq(r.method, "plate_amount");
    cr_assert_eq(r.allocs[0].slot, c17);
    explain_has(&p, &sc, &r, "en", "plate HHAB1234");

    /* Two open claims of M-Q 7 with 25,00: ambiguous, both proposed. */
    p = pay(2500, "M Q7");
    r = run(&p, &sc);
    cr_assert_eq(r.reason, MR_AMBIGUOUS);
    cr_assert_eq(r.n_cands, 2);
    cr_assert_str_eq(match_why_name((enum match_why)r.cands[0].why), "plate_and_amount");

    /* Plate with another amount: the one open claim, amount_mismatch. */
    p = pay(100, "B XY 99");
    r = run(&p, &sc);
    cr_assert_eq(r.reason, MR_AMOUNT_MISMATCH);
    cr_assert_eq(r.slot, c25);
}

Test(matcher, rf_reference_claim_and_other_fields)
{
    match_scan sc;
    payment p = pay(3000, "");
    p.creditor_ref = "RF18539007547034";
    cr_assert_eq(run(&p, &sc).outcome, MATCH_ALLOCATED);
    p = pay(5500, "");
    p.end_to_end_id = "400000010025";
    cr_assert_eq(run(&p, &sc).outcome, MATCH_ALLOCATED);
}

Test(matcher, nothing_usable_and_not_matched)
{
    match_scan sc;
    payment p = pay(100, "Strafzettel");
    cr_assert_eq(run(&p, &sc).reason, MR_NO_REFERENCE);
    p = pay(100, "400000099992");
    cr_assert_eq(run(&p, &sc).reason, MR_UNKNOWN_REFERENCE);
    p = pay(5500, "400000010025");
    p.direction = 'D';
    cr_assert_eq(run(&p, &sc).outcome, MATCH_SKIPPED);
    p.direction = 'C';
    strcpy(p.status, "PDNG");
    cr_assert_eq(run(&p, &sc).outcome, MATCH_SKIPPED);
    strcpy(p.status, "BOOK");
    p.reversal = true;
    match_result r = run(&p, &sc);
    cr_assert_eq(r.reason, MR_REVERSAL, "resolved later against the ledger");
    cr_assert_eq(claimidx_open(ix, c25), 5500, "nothing but an allocation moves an open amount");
}

Test(matcher, every_reason_explains_itself)
{
    for (int reason = MR_NO_REFERENCE; reason < MR_COUNT; reason++) {
        match_scan sc = {.first_token = "400000099992", .fuzzy_token = "400000010117"};
        match_result r = {.outcome = MATCH_CLARIFY, .reason = (enum match_reason)reason,
                          .slot = c17, .clar_cents = 1234};
        payment p = pay(1234, "");
        char de[512], en[512];
        cr_assert_gt(matcher_explain(ix, &p, &sc, &r, "de", de, sizeof de), 20, "%d", reason);
        cr_assert_gt(matcher_explain(ix, &p, &sc, &r, "en", en, sizeof en), 20, "%d", reason);
        cr_assert_str_neq(de, en);
    }
    cr_assert_str_eq(match_reason_name(MR_AMOUNT_MISMATCH), "amount_mismatch");
}

Test(matcher, foreign_currency_is_never_allocated)
{
    match_scan sc;
    payment p = pay(2500, "400000010017");
    strcpy(p.currency, "CHF");
    match_result r = run(&p, &sc);
    cr_assert_eq(r.outcome, MATCH_CLARIFY);
    cr_assert_eq(r.reason, MR_FOREIGN_CURRENCY);
    cr_assert_eq(claimidx_open(ix, c17), 2500);
    explain_has(&p, &sc, &r, "de", "nicht in Euro");
    strcpy(p.currency, "EUR");
    cr_assert_eq(run(&p, &sc).outcome, MATCH_ALLOCATED);
}

Test(matcher, one_plate_per_claim)
{
    char p[PLATE_MAX];
    size_t n = plate_normalise("HH-AB 1234", 10, p);
    cr_assert_eq(claimidx_set_plate(ix, c17, p, n), AB_E_DUP);
    uint32_t s = claimidx_plate_first(ix, p, n);
    cr_assert_eq(s, c17);
    cr_assert_eq(claimidx_plate_next(ix, s), CLAIMIDX_NONE);
}

Test(matcher, a_returned_transfer_pays_no_claim)
{
    /* A credit with a return code (GVC 159, or RtrInf) is our own transfer
     * coming back; even when its text names a claim it is not a payment. */
    match_scan sc;
    payment p = pay(2500, "RETOURE 400000010017");
    p.bank_tx_code = "NRTI+159+9310+914";
    match_result r = run(&p, &sc);
    cr_assert_eq(r.n_allocs, 0);
    cr_assert_eq(r.reason, MR_RETURNED_TRANSFER);
    cr_assert_eq(claimidx_open(ix, c17), 2500, "the claim stays open");
    explain_has(&p, &sc, &r, "de", "eine eigene Überweisung kam zurück");
    p.bank_tx_code = "";
    p.return_reason = "AC04";
    r = run(&p, &sc);
    cr_assert_eq(r.reason, MR_RETURNED_TRANSFER);
    explain_has(&p, &sc, &r, "en", "(reason AC04): a transfer of ours came back");
}

Test(matcher, an_mt940_sammler_is_a_batch_total_never_one_payment)
{
    /* An MT940 collective booking (GVC 194) whose bank text happens to
     * name a claim with the total's amount: before, the whole batch's money
     * went to that one claim. */
    match_scan sc;
    payment p = pay(2500, "SAMMLER 400000010017");
    p.batch = PAY_BATCH_GVC;
    memcpy(p.gvc, "194", 4);
    match_result r = run(&p, &sc);
    cr_assert_eq(r.n_allocs, 0);
    cr_assert_eq(r.outcome, MATCH_CLARIFY);
    cr_assert_eq(r.reason, MR_BATCH);
    cr_assert_eq(claimidx_open(ix, c17), 2500, "the claim stays open");
    explain_has(&p, &sc, &r, "de", "nennt die Zahl ihrer Posten nicht");
    explain_has(&p, &sc, &r, "de", "mit dem Geschäftsvorfallcode 194 als Sammelbuchung");
    explain_has(&p, &sc, &r, "en", "does not state how many payments");
    p.batch_txs = 2;
    r = run(&p, &sc);
    explain_has(&p, &sc, &r, "de", "Sammelbuchung über 25,00 EUR mit 2 Posten ohne Einzelangaben");
    p.batch = PAY_BATCH_TEXT;
    p.entry_info = "SAMMEL-LS";
    r = run(&p, &sc);
    cr_assert_eq(r.reason, MR_BATCH);
    explain_has(&p, &sc, &r, "en", "by its booking text 'SAMMEL-LS'");
    p.batch = PAY_BATCH_NONE;
    cr_assert_eq(run(&p, &sc).outcome, MATCH_ALLOCATED, "the same payment, no batch: paid");
}

Test(matcher, a_batch_total_left_to_a_clerk_says_what_it_may_be)
{
    /* A total that may be booked already: of a camt.054 entry, or (sent
     * again under another Id, jobs/resent.c) of an earlier statement; and
     * an MT940 Sammler that states no count says so, not "0 items". */
    match_scan sc;
    payment p = pay(4500, "SAMMLER");
    p.batch = PAY_BATCH_TEXT;
    p.entry_info = "SAMMLER";
    p.maybe_booked_in = "earlier.sta Ntry 1; earlier.sta Ntry 2";
    p.resent = true;
    p.provisional = true;
    match_result r = run(&p, &sc);
    cr_assert_eq(r.reason, MR_BATCH_AMBIGUOUS);
    explain_has(&p, &sc, &r, "de", "Sammelbuchung über 45,00 EUR (Postenzahl nicht genannt) ohne"
                                   " Einzelangaben, womöglich schon aus einem früheren Auszug");
    explain_has(&p, &sc, &r, "de", "kommt in Frage: earlier.sta Ntry 1; earlier.sta Ntry 2.");
    explain_has(&p, &sc, &r, "en", "45.00 EUR (count not stated) and no details that may have"
                                   " been booked already from an earlier statement");
    char buf[512];
    matcher_explain(ix, &p, &sc, &r, "de", buf, sizeof buf);
    cr_assert(!strstr(buf, "camt.054"), "a re-sent total is no camt.054 matter: %s", buf);
    cr_assert(!strstr(buf, " 0 Posten"), "%s", buf);
    p.resent = false;
    p.batch_txs = 2;
    r = run(&p, &sc);
    cr_assert_eq(r.reason, MR_BATCH_AMBIGUOUS);
    explain_has(&p, &sc, &r, "de", "45,00 EUR mit 2 Posten ohne Einzelangaben. Mehr als ein"
                                   " Posten einer camt.054");
    explain_has(&p, &sc, &r, "en", "45.00 EUR with 2 payments and no details. More than one"
                                   " camt.054 entry");
    p.batch_txs = 0;
    matcher_explain(ix, &p, &sc, &r, "en", buf, sizeof buf);
    cr_assert(strstr(buf, "(count not stated)") && !strstr(buf, "0 payments"), "%s", buf);
    p.maybe_booked_in = NULL;
    p.provisional = false;
    r = run(&p, &sc);
    cr_assert_eq(r.reason, MR_BATCH);
    explain_has(&p, &sc, &r, "de", "nur, wenn sie dieselbe Bankreferenz nennt");
    explain_has(&p, &sc, &r, "en", "only when it states the same bank reference");
}

/* Every reason the matcher writes has words for the clerk in German and
 * English (the report and the summary show them beside the code). */
Test(matcher, every_reason_has_words)
{
    for (int i = MR_NONE + 1; i < MR_COUNT; i++) {
        const char *code = match_reason_name((enum match_reason)i);
        const char *de = match_reason_label(code, 0), *en = match_reason_label(code, 1);
        cr_assert_not_null(de, "%s: German words", code);
        cr_assert_not_null(en, "%s: English words", code);
        cr_assert_str_neq(de, en, "%s: two languages", code);
    }
    cr_assert_str_eq(match_reason_label("reopened", 0), "wieder geöffnet");
    cr_assert_null(match_reason_label("no_such_reason", 0));
}

/* So does every why of a candidate (the clarification list shows them). */
Test(matcher, every_why_has_words)
{
    for (int i = MW_REFERENCE; i <= MW_PLATE; i++) {
        const char *code = match_why_name((enum match_why)i);
        const char *de = match_why_label(code, 0), *en = match_why_label(code, 1);
        cr_assert_not_null(de, "%s: German words", code);
        cr_assert_not_null(en, "%s: English words", code);
        cr_assert_str_neq(de, code, "%s: words, not the code", code);
    }
    cr_assert_str_eq(match_why_label("plate_and_amount", 0), "Kennzeichen und Betrag");
    cr_assert_null(match_why_label("no_such_why", 1));
}
