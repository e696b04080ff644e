/*
 * test_revtrack.c - a reversal finds the earliest unreversed original with
 * its EndToEndId and amount, all of that transaction's allocations, once;
 * other ids, amounts and a full tracker find nothing.
 */
#include <criterion/criterion.h>

#include "../../engine/revtrack.h"

Test(revtrack, earliest_original_all_allocations_once)
{
    revtrack *t;
    uint32_t slots[4];
    int64_t cents[4];
    cr_assert_eq(revtrack_create(&t, 8), AB_OK);
    cr_assert_eq(revtrack_add(t, "E1", 5000, 3, 10, 3000), AB_OK);
    cr_assert_eq(revtrack_add(t, "E1", 5000, 3, 11, 2000), AB_OK); /* two claims */
    cr_assert_eq(revtrack_add(t, "E1", 5000, 7, 12, 5000), AB_OK); /* a repeat, later */
    cr_assert_eq(revtrack_add(t, "E1", 4000, 8, 13, 4000), AB_OK); /* other amount */
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
    cr_assert_eq(revtrack_add(t, "A", 1, 1, 1, 1), AB_OK);
    cr_assert_eq(revtrack_add(t, "B", 1, 2, 2, 1), AB_OK);
    cr_assert_eq(revtrack_add(t, "C", 1, 3, 3, 1), AB_E_LIMIT);
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
    cr_assert_eq(revtrack_add(t, "R1", 2500, 4, 9, 2500), AB_OK);
    cr_assert_eq(revtrack_take(t, "R1", 2800, -1, &s, &c, 1), 0, "not by the gross amount alone");
    cr_assert_eq(revtrack_take(t, "R1", 2800, 2500, &s, &c, 1), 1);
    cr_assert_eq(s, 9);
    cr_assert_eq(c, 2500);
    revtrack_destroy(t);
}
