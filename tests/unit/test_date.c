/*
 * test_date.c - strict dates and times, both German and ISO forms.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/date.h"

static int64_t dt(const char *s)
{
    int64_t v = -1;
    cr_assert_eq(datetime_parse(s, strlen(s), &v), AB_OK, "'%s'", s);
    return v;
}

Test(date, round_trip_and_leap_years)
{
    cr_assert_eq(date_from_ymd(1970, 1, 1), 0);
    cr_assert_eq(date_from_ymd(2000, 3, 1) - date_from_ymd(2000, 2, 28), 2);
    cr_assert_eq(date_from_ymd(2100, 3, 1) - date_from_ymd(2100, 2, 28), 1);
    for (int32_t d = -1000; d < 60000; d += 7) {
        int y, m, dd;
        date_to_ymd(d, &y, &m, &dd);
        cr_assert_eq(date_from_ymd(y, m, dd), d);
    }
    char b[11];
    date_format(date_from_ymd(2024, 2, 29), b);
    cr_assert_str_eq(b, "2024-02-29");
}

Test(date, accepted_forms)
{
    int64_t base = dt("2026-11-06T12:00");
    cr_assert_eq(dt("06.11.2026 12:00"), base);
    cr_assert_eq(dt("2026-11-06 12:00:00"), base);
    cr_assert_eq(dt("2026-11-06T12:00:00.123+01:00"), base);
    cr_assert_eq(dt("2026-11-06T12:00:00Z"), base);
    cr_assert_eq(dt("06.11.2026"), base - 12 * 3600);
    cr_assert_eq(dt("06.11.2026 12:00:59"), base + 59);
    char b[20];
    datetime_format(base, b);
    cr_assert_str_eq(b, "2026-11-06 12:00:00");
}

Test(date, rejected_forms)
{
    static const char *const bad[] = {"31.02.2026 12:00", "2026-13-01", "2026-11-06x",
                                      "6.11.2026 12:00",  "06.11.2026 24:00", "06.11.2026T12:00",
                                      "2026-11-06T12:60", "", "gestern", "2025-02-29"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v;
        cr_assert_lt(datetime_parse(bad[i], strlen(bad[i]), &v), 0, "'%s' accepted", bad[i]);
    }
    int32_t d;
    cr_assert_lt(date_parse_iso("2026-02-30", 10, &d), 0);
    cr_assert_eq(date_parse_iso("2028-02-29", 10, &d), AB_OK);
}
