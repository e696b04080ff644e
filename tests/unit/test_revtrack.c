/*
 * test_revtrack.c - a reversal finds the earliest unreversed original with
 * its EndToEndId and amount, all of that transaction's allocations, once;
 * other ids, amounts and a full tracker find nothing; a transaction whose
 * allocations do not all fit is not tracked at all.
 */
#include <criterion/criterion.h>

#include "../../engine/revtrack.h"

/* One transaction with one allocation. */
static int add1(revtrack *t, const char *e2e, int64_t amount, uint32_t seq, uint32_t slot,
                int64_t cents)
{
    return revtrack_add(t, e2e, amount, seq, &slot, &cents, 1);
}

Test(revtrack, earliest_original_all_allocations_once)
{
    revtrack *t;
    uint32_t slots[4];
    int64_t cents[4];
    cr_assert_eq(revtrack_create(&t, 8), AB_OK);
    cr_assert_eq(revtrack_add(t, "E1", 5000, 3, (uint32_t[]){10, 11}, (int64_t[]){3000, 2000},
                              2), AB_OK); /* two claims */
    cr_assert_eq(add1(t, "E1", 5000, 7, 12, 5000), AB_OK); /* a repeat, later */
    cr_assert_eq(add1(t, "E1", 4000, 8, 13, 4000), AB_OK); /* other amount */
    cr_assert_eq(revtrack_take(t, "E2", 5000, -1, slots, cents, 4), 0, "other id");
    cr_assert_eq(revtrack_take(t, "E1", 1, -1, slots, cents, 4), 0, "other amount");
    size_t k = revtrack_take(t, "E1", 5000, -1, slots, cents, 4);
    cr_assert_eq(k, 2, "both allocations of transaction 3");
    cr_assert_eq(cents[0] + cents[1], 5000);
    cr_assert((slots[0] == 10 && slots[1] == 11) || (slots[0] == 11 && slots[1] == 10));
    k = revtrack_take(t, "E1", 5000, -1, slots, cents, 4);
    cr_assert_eq(k, 1, "the second reversal takes the later original");
    cr_assert_eq(slots[0], 12);
    cr_assert_eq(revtrack_take(t, "E1", 5000, -1, slots, cents, 4), 0, "nothing left to reverse");
    revtrack_reset(t);
    cr_assert_eq(revtrack_take(t, "E1", 4000, -1, slots, cents, 4), 0, "reset forgets");
    revtrack_destroy(t);
}

Test(revtrack, full_tracker_refuses)
{
    revtrack *t;
    cr_assert_eq(revtrack_create(&t, 2), AB_OK);
    cr_assert_eq(add1(t, "A", 1, 1, 1, 1), AB_OK);
    cr_assert_eq(add1(t, "B", 1, 2, 2, 1), AB_OK);
    cr_assert_eq(add1(t, "C", 1, 3, 3, 1), AB_E_LIMIT);
    uint32_t s;
    int64_t c;
    cr_assert_eq(revtrack_take(t, "C", 1, -1, &s, &c, 1), 0);
    cr_assert_eq(revtrack_take(t, "A", 1, -1, &s, &c, 1), 1);
    revtrack_destroy(t);
}

Test(revtrack, a_return_with_charges_finds_the_original_without_them)
{
    /* A return of 25.00 plus 3.00 charges: the original credit is 25.00. */
    revtrack *t;
    uint32_t s;
    int64_t c;
    cr_assert_eq(revtrack_create(&t, 4), AB_OK);
    cr_assert_eq(add1(t, "R1", 2500, 4, 9, 2500), AB_OK);
    cr_assert_eq(revtrack_take(t, "R1", 2800, -1, &s, &c, 1), 0, "not by the gross amount alone");
    cr_assert_eq(revtrack_take(t, "R1", 2800, 2500, &s, &c, 1), 1);
    cr_assert_eq(s, 9);
    cr_assert_eq(c, 2500);
    revtrack_destroy(t);
}

/* The tracker fills up between the two allocations of one payment (claims
 * A and B): tracking A alone would let a reversal later in the file reopen
 * A in the claim index while the ledger reopens both and, the reversal
 * being settled in place, B stays paid in the index.  None is tracked:
 * the reversal finds no original here and is settled after the file, for
 * both claims. */
Test(revtrack, a_payment_that_does_not_fit_whole_is_not_tracked)
{
    revtrack *t;
    uint32_t s[4];
    int64_t c[4];
    cr_assert_eq(revtrack_create(&t, 3), AB_OK);
    cr_assert_eq(add1(t, "E0", 900, 1, 5, 900), AB_OK);
    cr_assert_eq(add1(t, "E9", 900, 2, 6, 900), AB_OK);
    cr_assert_eq(revtrack_add(t, "E2", 5000, 3, (uint32_t[]){7, 8}, (int64_t[]){2500, 2500}, 2),
                 AB_E_LIMIT, "two allocations, room for one");
    cr_assert_eq(revtrack_take(t, "E2", 5000, -1, s, c, 4), 0,
                 "no part of the payment is tracked");
    /* The room left is still there for a payment that fits. */
    cr_assert_eq(add1(t, "E3", 2500, 4, 9, 2500), AB_OK);
    cr_assert_eq(revtrack_take(t, "E3", 2500, -1, s, c, 4), 1);
    cr_assert_eq(s[0], 9);
    revtrack_destroy(t);
}
