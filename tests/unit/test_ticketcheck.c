/*
 * test_ticketcheck.c - the embedded offense catalogue on real TBNRs, plate
 * rules with district codes, and the legal checks of a ticket.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/date.h"
#include "../../engine/offense.h"
#include "../../engine/plate.h"
#include "../../engine/ticketcheck.h"

static int64_t at(int y, int m, int d)
{
    return (int64_t)date_from_ymd(y, m, d) * 86400 + 10 * 3600;
}

Test(offense, catalogue_loads_real_tbnrs)
{
    cr_assert_eq(offense_load(), 0);
    cr_assert_eq(offense_count(), 3261);
    const offense *o = offense_find("141312", 6);   /* absolute no-stopping zone */
    cr_assert_not_null(o);
    cr_assert_eq(o->cents, 2500);
    cr_assert_eq(o->klass, OFFENSE_CLASS_PARKING);
    cr_assert_eq(o->valid_from, date_from_ymd(2021, 11, 9));
    o = offense_find("112454", 6);                  /* pavement, since the 2021 reform */
    cr_assert_eq(o->cents, 5500);
    o = offense_find("112402", 6);                  /* pavement, retired 2021-11-08 */
    cr_assert_eq(o->cents, 2000);
    cr_assert_eq(o->valid_to, date_from_ymd(2021, 11, 8));
    o = offense_find("101000", 6);                  /* an accident: not parking */
    cr_assert_eq(o->klass, 4);
    cr_assert_null(offense_find("999999", 6));
    cr_assert_null(offense_find("14131", 5));
    char arr[8192];
    size_t n = offense_parking_array(arr, sizeof arr);
    cr_assert_gt(n, 0);
    cr_assert_not_null(strstr(arr, "141312"));
    cr_assert_null(strstr(arr, "101000"));
    cr_assert_eq(offense_parking_array(arr, 16), 0, "too small a buffer is refused");
}

Test(plate, check_de_accepts_real_plates)
{
    static const char *const ok[] = {"HH-AB 1234", "HH AB 1234", "HHAB1234", "B-X 1",
                                     "M-Q 7",      "LÖ-AB 12",   "TÖL-A 99",  "MUC-AB 123",
                                     "K-Z 1E",     "S-GH 6 H",   "Y-123456",  "BW 12345",
                                     "DO-OP 9",    "ÖHR-A 1"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_assert_null(plate_check_de(ok[i], strlen(ok[i])), "%s: %s", ok[i],
                       plate_check_de(ok[i], strlen(ok[i])));
}

Test(plate, check_de_refuses_with_reasons)
{
    struct { const char *p, *why; } bad[] = {
        {"QQ-AB 123", "unknown district code"},
        {"HH-AB 0123", "the number starts with 0"},
        {"HH-AB 12345", "more than 4 digits"},
        {"TÖL-AB 1234", "more than 8 characters"},
        {"HH-ÄB 12", "umlaut in the identification letters"},
        {"HH-ABC 12", "more than 2 letters after the district code"},
        {"1234", "not a German plate"},
        {"HH-AB", "not a German plate"},
        {"HH-AB 12X3", "not a German plate"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = plate_check_de(bad[i].p, strlen(bad[i].p));
        cr_assert_not_null(why, "%s accepted", bad[i].p);
        cr_assert(strstr(why, bad[i].why), "%s: %s", bad[i].p, why);
    }
    cr_assert(plate_district_known("MÜ", strlen("MÜ")));
    cr_assert(!plate_district_known("MX", 2));
}

static const char *check(const tcheck_in *in, const char **field)
{
    static tcheck_msg msg;
    tcheck_cfg c = {.as_of = date_from_ymd(2026, 11, 23), .limitation_months = 3};
    cr_assert_eq(offense_load(), 0);
    return tcheck_ticket(&c, in, field, msg);
}

Test(ticketcheck, real_tickets_pass_and_fail_where_the_law_says)
{
    const char *field = NULL;
    tcheck_in t = {.plate = "HH-AB 1234", .tbnr = "141312", .amount_cents = 2500,
                   .offense_time = at(2026, 11, 1)};
    cr_assert_null(check(&t, &field));

    t.amount_cents = 3000;
    cr_assert_not_null(check(&t, &field));
    cr_assert_str_eq(field, "amount");
    t.amount_override = true;
    cr_assert_null(check(&t, &field), "an override takes the amount as written");
    t.amount_override = false;
    t.amount_cents = 2500;

    t.tbnr = "112402";   /* retired before the offense */
    const char *why = check(&t, &field);
    cr_assert_str_eq(field, "tbnr");
    cr_assert(strstr(why, "not valid on 2026-11-01 (valid 2021-07-28 to 2021-11-08)"), "%s", why);
    t.offense_time = at(2021, 10, 1);
    t.amount_cents = 2000;
    why = check(&t, &field);
    cr_assert_str_eq(field, "offense_time", "catalogue: valid, 20 EUR then; only time-barred: %s",
                     why);
    t.offense_time = at(2026, 11, 1);
    t.amount_cents = 2500;
    t.tbnr = "123456";
    cr_assert(strstr(check(&t, &field), "not in the offense catalogue"));
    t.tbnr = "141312";

    t.plate = "XX-AB 1";
    cr_assert_not_null(check(&t, &field));
    cr_assert_str_eq(field, "plate");
    t.nationality = "NL";
    t.plate = "12-ABC-3";
    cr_assert_null(check(&t, &field), "a foreign plate is taken as written");
    t.nationality = "";
    t.plate = "B-X 1";

    t.offense_time = at(2026, 11, 24);
    why = check(&t, &field);
    cr_assert_str_eq(field, "offense_time");
    cr_assert(strstr(why, "in the future"), "%s", why);
    t.offense_time = at(2026, 8, 24);
    cr_assert_null(check(&t, &field), "the last day of the limitation still counts");
    t.offense_time = at(2026, 8, 23);
    why = check(&t, &field);
    cr_assert(strstr(why, "limitation of 3 months ended on 2026-11-22"),
              "an offense on 23 Aug is barred after 22 Nov, not 23 Nov: %s", why);
}

Test(ticketcheck, months_clamp_to_the_month_end)
{
    cr_assert_eq(tcheck_add_months(date_from_ymd(2026, 11, 30), 3), date_from_ymd(2027, 2, 28));
    cr_assert_eq(tcheck_add_months(date_from_ymd(2027, 11, 30), 3), date_from_ymd(2028, 2, 29));
    cr_assert_eq(tcheck_add_months(date_from_ymd(2026, 8, 22), 3), date_from_ymd(2026, 11, 22));
    cr_assert_eq(tcheck_add_months(date_from_ymd(2026, 1, 31), -2), date_from_ymd(2025, 11, 30));
}

/* The examples of the commentary (Haufe, Deutsches Anwalt Office, Rz. 40;
 * OLG Karlsruhe 2 Rb 8 Ss 486/19: a notice of 22 Nov 2017 with 6 months
 * was barred after 21 May 2018). */
Test(ticketcheck, limitation_ends_the_day_before_the_named_day)
{
    cr_assert_eq(tcheck_limitation_last_day(date_from_ymd(2026, 4, 5), 3),
                 date_from_ymd(2026, 7, 4));
    cr_assert_eq(tcheck_limitation_last_day(date_from_ymd(2026, 11, 30), 3),
                 date_from_ymd(2027, 2, 28));
    cr_assert_eq(tcheck_limitation_last_day(date_from_ymd(2027, 11, 30), 3),
                 date_from_ymd(2028, 2, 29));
    cr_assert_eq(tcheck_limitation_last_day(date_from_ymd(2027, 11, 29), 3),
                 date_from_ymd(2028, 2, 28));
    cr_assert_eq(tcheck_limitation_last_day(date_from_ymd(2026, 3, 1), 3),
                 date_from_ymd(2026, 5, 31));
    cr_assert_eq(tcheck_limitation_last_day(date_from_ymd(2026, 12, 31), 3),
                 date_from_ymd(2027, 3, 30));
    cr_assert_eq(tcheck_limitation_last_day(date_from_ymd(2017, 11, 22), 6),
                 date_from_ymd(2018, 5, 21));
}
