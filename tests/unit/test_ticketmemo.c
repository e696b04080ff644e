/*
 * test_ticketmemo.c - the in-file checks of a ticket batch: repeated
 * references, likely duplicates within the window (both ends included),
 * the first matching line, the rule that a repeated reference is not
 * compared further, and the cap on one car.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "../../engine/limits.h"
#include "../../engine/ticketmemo.h"

#define T0 1794000000LL /* some moment in 2026 */

Test(ticketmemo, references_and_likely_duplicates)
{
    ticketmemo *m = NULL;
    cr_assert_eq(tmemo_create(&m, 300), 0);
    unsigned long first = 0;
    cr_assert_eq(tmemo_check(m, 2, "100", "HHAB1", "141312", T0, &first), TMEMO_NEW);
    cr_assert_eq(tmemo_check(m, 3, "101", "HHAB1", "141312", T0 + 600, &first), TMEMO_NEW,
                 "10 minutes later is another ticket");
    cr_assert_eq(tmemo_check(m, 4, "100", "BXY9", "112292", T0, &first), TMEMO_REPEATED_REF);
    cr_assert_eq(first, 2);
    cr_assert_eq(tmemo_check(m, 5, "102", "HHAB1", "141312", T0 + 300, &first), TMEMO_LIKELY_DUP,
                 "exactly the window apart counts");
    cr_assert_eq(first, 2, "the first matching line is named (2 and 3 both match)");
    cr_assert_eq(tmemo_check(m, 6, "103", "HHAB1", "141313", T0, &first), TMEMO_NEW,
                 "another TBNR is another offense");
    cr_assert_eq(tmemo_check(m, 7, "104", "HHAB1", "141312", T0 + 301 + 600, &first),
                 TMEMO_NEW, "301 s after the last one (line 3) is outside the window");
    /* A likely duplicate still counts as an earlier row (as the stage SQL
     * compared every staged row): line 8 is 5 min after line 5. */
    cr_assert_eq(tmemo_check(m, 8, "105", "HHAB1", "141312", T0 + 600 - 1, &first),
                 TMEMO_LIKELY_DUP);
    cr_assert_eq(first, 3);
    cr_assert_eq(tmemo_rows(m), 6, "the repeated reference is not remembered");
    cr_assert_eq(tmemo_min_time(m), T0);
    cr_assert_eq(tmemo_max_time(m), T0 + 901, "only rows to insert widen the span");
    tmemo_destroy(m);
}

Test(ticketmemo, grows_and_caps_one_car)
{
    ticketmemo *m = NULL;
    cr_assert_eq(tmemo_create(&m, 60), 0);
    unsigned long first = 0;
    char ref[16], plate[16];
    for (int i = 0; i < 50000; i++) { /* many table doublings */
        snprintf(ref, sizeof ref, "%d", 1000000 + i);
        snprintf(plate, sizeof plate, "KZ%d", i % 20000);
        int v = tmemo_check(m, (unsigned long)i + 2, ref, plate, "112292",
                            T0 + (int64_t)(i / 20000) * 3600, &first);
        cr_assert_eq(v, TMEMO_NEW, "row %d", i);
    }
    cr_assert_eq(tmemo_check(m, 60000, "1000005", "X", "1", T0, &first), TMEMO_REPEATED_REF);
    cr_assert_eq(first, 7);
    cr_assert_eq(tmemo_check(m, 60001, "2000000", "KZ5", "112292", T0 + 7200 + 30, &first),
                 TMEMO_LIKELY_DUP);
    cr_assert_eq(first, 40007, "the third round of KZ5, an hour after the second");
    for (unsigned i = 0; i < AB_TICKETS_SAME_CAR_MAX; i++) {
        snprintf(ref, sizeof ref, "%u", 3000000 + i);
        int v = tmemo_check(m, 70000 + i, ref, "SAME1", "141312", T0 + (int64_t)i * 86400,
                            &first);
        cr_assert_eq(v, TMEMO_NEW);
    }
    cr_assert_eq(tmemo_check(m, 80000, "4000000", "SAME1", "141312", T0 - 86400 * 2, &first),
                 TMEMO_TOO_MANY);
    tmemo_destroy(m);
}
