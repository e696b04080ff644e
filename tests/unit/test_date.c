/*
 * test_date.c - day numbers against known epochs, leap years, every
 * accepted timestamp form and the near misses that must be refused.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/date.h"

static int64_t dt(const char *s)
{
    int64_t v = -1;
    cr_assert_eq(datetime_parse(s, strlen(s), &v), AB_OK, "'%s' refused", s);
    return v;
}

static int64_t ymdhms(int y, int mo, int d, int h, int mi, int s)
{
    return (int64_t)date_from_ymd(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

Test(date, known_day_numbers)
{
    cr_assert_eq(date_from_ymd(1970, 1, 1), 0);
    cr_assert_eq(date_from_ymd(1969, 12, 31), -1);
    cr_assert_eq(date_from_ymd(2000, 1, 1), 10957);  /* date -d 2000-01-01 +%s / 86400 */
    cr_assert_eq(date_from_ymd(2024, 3, 5), 19787);
    cr_assert_eq(date_from_ymd(1900, 1, 1), -25567);
    int y, m, d;
    date_to_ymd(19787, &y, &m, &d);
    cr_assert(y == 2024 && m == 3 && d == 5);
    date_to_ymd(-1, &y, &m, &d);
    cr_assert(y == 1969 && m == 12 && d == 31);
}

Test(date, leap_years)
{
    cr_assert_eq(date_from_ymd(2024, 3, 1) - date_from_ymd(2024, 2, 28), 2); /* /4 */
    cr_assert_eq(date_from_ymd(2000, 3, 1) - date_from_ymd(2000, 2, 28), 2); /* /400 */
    cr_assert_eq(date_from_ymd(2100, 3, 1) - date_from_ymd(2100, 2, 28), 1); /* /100 */
    cr_assert_eq(date_from_ymd(2023, 3, 1) - date_from_ymd(2023, 2, 28), 1);
    int32_t d;
    cr_assert_eq(date_parse_iso("2024-02-29", 10, &d), AB_OK);
    cr_assert_eq(date_parse_iso("2000-02-29", 10, &d), AB_OK);
    cr_assert_lt(date_parse_iso("2100-02-29", 10, &d), 0);
    cr_assert_lt(date_parse_iso("2023-02-29", 10, &d), 0);
    int64_t v;
    cr_assert_eq(datetime_parse("29.02.2028", 10, &v), AB_OK);
    cr_assert_lt(datetime_parse("29.02.2027", 10, &v), 0);
}

Test(date, round_trip)
{
    for (int32_t d = -30000; d < 400000; d += 3) {
        int y, m, dd;
        date_to_ymd(d, &y, &m, &dd);
        cr_assert_eq(date_from_ymd(y, m, dd), d);
    }
    char b[11];
    date_format(date_from_ymd(2024, 2, 29), b);
    cr_assert_str_eq(b, "2024-02-29");
    date_format(date_from_ymd(1969, 12, 31), b);
    cr_assert_str_eq(b, "1969-12-31");
    char t[20];
    datetime_format(ymdhms(2026, 11, 6, 9, 5, 7), t);
    cr_assert_str_eq(t, "2026-11-06 09:05:07");
    datetime_format(-1, t);
    cr_assert_str_eq(t, "1969-12-31 23:59:59");
}

Test(date, accepted_forms)
{
    int64_t base = ymdhms(2024, 3, 5, 14, 30, 0);
    cr_assert_eq(dt("2024-03-05T14:30"), base);
    cr_assert_eq(dt("2024-03-05 14:30"), base);
    cr_assert_eq(dt("2024-03-05 14:30:00"), base);
    cr_assert_eq(dt("2024-03-05T14:30:00.123+01:00"), base); /* zone kept as wall clock */
    cr_assert_eq(dt("2024-03-05T14:30:00-05:30"), base);
    cr_assert_eq(dt("2024-03-05T14:30:00Z"), base);
    cr_assert_eq(dt("2024-03-05T14:30Z"), base);
    cr_assert_eq(dt("05.03.2024 14:30"), base);
    cr_assert_eq(dt("05.03.2024 14:30:59"), base + 59);
    cr_assert_eq(dt("05.03.2024"), base - (14 * 3600 + 30 * 60));
    cr_assert_eq(dt("31.12.2024 23:59:59"), ymdhms(2024, 12, 31, 23, 59, 59));
    cr_assert_eq(dt("2024-01-01T00:00"), ymdhms(2024, 1, 1, 0, 0, 0));
    char b[20];
    datetime_format(base, b);
    cr_assert_str_eq(b, "2024-03-05 14:30:00");
}

Test(date, rejected_forms)
{
    static const char *const bad[] = {
        "", "gestern", "2024-03-05", "2024-03-05T", "2024-03-05T14", "2024-03-05T14:3",
        "2024-03-05T14:30x", "2024-03-05T14:30:0", "2024-03-05T14:30:00.", "2024-03-05T14:30.5",
        "2024-03-05T14:30:00+01", "2024-03-05T14:30:00+0100", "2024-03-05T14:30:00+24:00",
        "2024-03-05T14:30:00Zx", "2024-03-05t14:30", "2024-03-05  14:30", " 2024-03-05T14:30",
        "2024-3-05T14:30", "2024-03-5T14:30", "2024/03/05 14:30", "2024-13-01T00:00",
        "2024-00-10T00:00", "2024-04-31T00:00", "2024-03-00T00:00", "2024-03-05T24:00",
        "2024-03-05T23:60", "2024-03-05T23:59:60", "+024-03-05T14:30", "0202-03-05T14:30",
        "31.02.2026 12:00", "5.3.2024", "05.03.24", "05.03.2024T14:30", "05.03.2024 14:30Z",
        "05.03.2024 14:30:00.1", "05.03.2024 24:00", "05.03.2024 14:30 ", "05.03.2024 ",
        "05-03-2024", "05.03.2024 -1:30", "05.03.2024 14:-1", "29.02.2025",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 42;
        cr_assert_lt(datetime_parse(bad[i], strlen(bad[i]), &v), 0, "'%s' accepted", bad[i]);
        cr_assert_eq(v, 42, "'%s' wrote a result", bad[i]);
    }
    int32_t d;
    cr_assert_lt(date_parse_iso("2026-02-30", 10, &d), 0);
    cr_assert_lt(date_parse_iso("2026-02-01x", 11, &d), 0);
    cr_assert_lt(date_parse_iso("2026-02-1", 9, &d), 0);
    /* Length is honoured: bytes past n are not read as part of the value. */
    int64_t v;
    cr_assert_eq(datetime_parse("05.03.2024 14:30 trailing", 16, &v), AB_OK);
    cr_assert_lt(datetime_parse("05.03.2024 14:30", 15, &v), 0);
}
