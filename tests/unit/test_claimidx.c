/*
 * test_claimidx.c - the claim index: inserts, lookups, duplicates, limits,
 * open amounts, at a size where probing chains really form.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../engine/claimidx.h"

Test(claimidx, basic)
{
    claimidx *ix;
    uint32_t s;
    cr_assert_eq(claimidx_create(&ix, 2), AB_OK);
    cr_assert_eq(claimidx_insert(ix, "400000010017", 12, 7, 2500, 2500, 100, &s), AB_OK);
    cr_assert_eq(claimidx_insert(ix, "400000010017", 12, 8, 2500, 2500, 100, &s), AB_E_DUP);
    cr_assert_eq(claimidx_insert(ix, "12345", 5, 9, 100, 0, 1, &s), AB_OK);
    cr_assert_eq(claimidx_insert(ix, "54321", 5, 10, 100, 0, 1, &s), AB_E_LIMIT);
    uint32_t a = claimidx_find(ix, "400000010017", 12);
    cr_assert_neq(a, CLAIMIDX_NONE);
    cr_assert_eq(claimidx_claim_id(ix, a), 7);
    cr_assert_eq(claimidx_find(ix, "400000010025", 12), CLAIMIDX_NONE);
    cr_assert_eq(claimidx_find(ix, "40000001001", 11), CLAIMIDX_NONE);
    claimidx_apply(ix, a, 2500);
    cr_assert_eq(claimidx_open(ix, a), 0);
    claimidx_apply(ix, a, -1000);
    cr_assert_eq(claimidx_open(ix, a), 1000);
    cr_assert_eq(claimidx_min_len(ix), 5);
    cr_assert_eq(claimidx_max_len(ix), 12);
    size_t n;
    const char *r = claimidx_reference(ix, a, &n);
    cr_assert_eq(n, 12);
    cr_assert_eq(memcmp(r, "400000010017", 12), 0);
    claimidx_destroy(ix);
}

Test(claimidx, hundred_thousand)
{
    enum { N = 100000 };
    claimidx *ix;
    cr_assert_eq(claimidx_create(&ix, N), AB_OK);
    char ref[16];
    for (int i = 0; i < N; i++) {
        uint32_t s;
        snprintf(ref, sizeof ref, "4%011d", i * 7);
        cr_assert_eq(claimidx_insert(ix, ref, 12, i, 100 + i, 100 + i, 0, &s), AB_OK);
        cr_assert_eq(s, (uint32_t)i);
    }
    for (int i = 0; i < N; i++) {
        snprintf(ref, sizeof ref, "4%011d", i * 7);
        uint32_t s = claimidx_find(ix, ref, 12);
        cr_assert_eq(s, (uint32_t)i);
        cr_assert_eq(claimidx_amount(ix, s), 100 + i);
        snprintf(ref, sizeof ref, "4%011d", i * 7 + 1);
        cr_assert_eq(claimidx_find(ix, ref, 12), CLAIMIDX_NONE);
    }
    cr_assert_eq(claimidx_count(ix), N);
    cr_assert_lt(claimidx_bytes(ix) / N, 128, "bytes per claim: %zu", claimidx_bytes(ix) / N);
    claimidx_destroy(ix);
}
