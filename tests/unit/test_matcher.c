/*
 * test_matcher.c - every outcome of the exact-matching stage, in both
 * languages of the explanation.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/matcher.h"

static claimidx *ix;
static const matcher_cfg cfg = {.scheme = CD_ISO7064_11_10};

static void setup(void)
{
    uint32_t s;
    cr_assert_eq(claimidx_create(&ix, 4), AB_OK);
    cr_assert_eq(claimidx_insert(ix, "400000010017", 12, 1, 2500, 2500, 0, &s), AB_OK);
    cr_assert_eq(claimidx_insert(ix, "400000010025", 12, 2, 5500, 5500, 0, &s), AB_OK);
}

static void teardown(void) { claimidx_destroy(ix); }

static payment pay(int64_t cents, char dir, const char *rmt)
{
    payment p = {.amount_cents = cents, .direction = dir, .status = "BOOK", .remittance = rmt,
                 .creditor_ref = "", .end_to_end_id = "", .acct_svcr_ref = ""};
    return p;
}

static match_result run(const payment *p, match_scan *sc)
{
    match_result r;
    matcher_scan(&cfg, ix, p, sc);
    matcher_apply(ix, p, sc, &r);
    return r;
}

TestSuite(matcher, .init = setup, .fini = teardown);

Test(matcher, outcomes)
{
    match_scan sc;
    payment p = pay(2500, 'C', "KZ 4000 0001 0017");
    match_result r = run(&p, &sc);
    cr_assert_eq(r.outcome, MATCH_ALLOCATED);
    cr_assert_str_eq(r.method, "exact_reference");
    cr_assert_eq(r.alloc_cents, 2500);
    char buf[512];
    matcher_explain(ix, &p, &sc, &r, "de", buf, sizeof buf);
    cr_assert(strstr(buf, "400000010017") && strstr(buf, "25,00 EUR"), "%s", buf);
    matcher_explain(ix, &p, &sc, &r, "en", buf, sizeof buf);
    cr_assert(strstr(buf, "Allocated in full") && strstr(buf, "25.00 EUR"), "%s", buf);

    r = run(&p, &sc); /* the same again: the claim is paid now */
    cr_assert_eq(r.outcome, MATCH_CLARIFY);
    cr_assert_eq(r.reason, MR_CLAIM_ALREADY_PAID);

    p = pay(3000, 'C', "400000010025");
    r = run(&p, &sc);
    cr_assert_eq(r.reason, MR_AMOUNT_MISMATCH);
    matcher_explain(ix, &p, &sc, &r, "de", buf, sizeof buf);
    cr_assert(strstr(buf, "30,00 EUR") && strstr(buf, "55,00 EUR"), "%s", buf);

    p = pay(100, 'C', "Strafzettel HH-AB 123");
    cr_assert_eq(run(&p, &sc).reason, MR_NO_REFERENCE);
    p = pay(100, 'C', "400000099992");
    cr_assert_eq(run(&p, &sc).reason, MR_UNKNOWN_REFERENCE);
    p = pay(8000, 'C', "400000010017 400000010025");
    cr_assert_eq(run(&p, &sc).reason, MR_MULTIPLE_REFERENCES);
    p = pay(5500, 'D', "400000010025");
    cr_assert_eq(run(&p, &sc).outcome, MATCH_SKIPPED);
    p = pay(5500, 'C', "400000010025");
    strcpy(p.status, "PDNG");
    cr_assert_eq(run(&p, &sc).outcome, MATCH_SKIPPED);
    p = pay(5500, 'C', "400000010025");
    p.reversal = true;
    cr_assert_eq(run(&p, &sc).reason, MR_REVERSAL);
    cr_assert_eq(claimidx_open(ix, claimidx_find(ix, "400000010025", 12)), 5500,
                 "nothing but an allocation moves an open amount");
}

Test(matcher, reference_in_e2e_or_strd)
{
    match_scan sc;
    payment p = pay(5500, 'C', "");
    p.end_to_end_id = "400000010025";
    cr_assert_eq(run(&p, &sc).outcome, MATCH_ALLOCATED);
    p = pay(2500, 'C', "danke");
    p.creditor_ref = "400000010017";
    cr_assert_eq(run(&p, &sc).outcome, MATCH_ALLOCATED);
}

Test(matcher, every_phrase_prints)
{
    for (int reason = MR_NO_REFERENCE; reason <= MR_REVERSAL; reason++) {
        match_scan sc = {.n_slots = 2, .first_token = "400000099992"};
        match_result r = {.outcome = MATCH_CLARIFY, .reason = (enum match_reason)reason,
                          .slot = 0};
        payment p = pay(1234, 'C', "");
        char de[512], en[512];
        cr_assert_gt(matcher_explain(ix, &p, &sc, &r, "de", de, sizeof de), 20);
        cr_assert_gt(matcher_explain(ix, &p, &sc, &r, "en", en, sizeof en), 20);
        cr_assert_str_neq(de, en);
        cr_assert_str_eq(match_reason_name(r.reason), match_reason_name(r.reason));
    }
    cr_assert_str_eq(match_reason_name(MR_AMOUNT_MISMATCH), "amount_mismatch");
}
