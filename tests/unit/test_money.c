/*
 * test_money.c - amounts parse to exact cents and print back.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/money.h"

static int64_t parse(const char *s)
{
    int64_t c = -999;
    cr_assert_eq(money_parse(s, strlen(s), &c), AB_OK, "parse '%s'", s);
    return c;
}

static void reject(const char *s)
{
    int64_t c;
    cr_assert_lt(money_parse(s, strlen(s), &c), 0, "'%s' must be rejected", s);
}

Test(money, german_and_english_marks)
{
    cr_assert_eq(parse("25,00"), 2500);
    cr_assert_eq(parse("25.00"), 2500);
    cr_assert_eq(parse("25"), 2500);
    cr_assert_eq(parse("25,5"), 2550);
    cr_assert_eq(parse(" 0,05 "), 5);
    cr_assert_eq(parse("1.234,56"), 123456);
    cr_assert_eq(parse("1.234.567,89"), 123456789);
    cr_assert_eq(parse("-3.50"), -350);
}

Test(money, rejects)
{
    reject("");
    reject("abc");
    reject("25,0x");
    reject("25,001");  /* a sub-cent amount cannot be paid */
    reject("1,2,3");
    reject("12.34.56");
    reject("1.23,45");  /* grouping must be by three */
    reject("99999999999999999999");
}

Test(money, iso_decimal)
{
    int64_t c;
    cr_assert_eq(money_parse_iso("1234.5", 6, &c), AB_OK);
    cr_assert_eq(c, 123450);
    cr_assert_eq(money_parse_iso("10.00000", 8, &c), AB_OK);
    cr_assert_eq(c, 1000);
    cr_assert_lt(money_parse_iso("10.00001", 8, &c), 0);
    cr_assert_lt(money_parse_iso("10,00", 5, &c), 0);
    cr_assert_lt(money_parse_iso("-1.00", 5, &c), 0);
}

Test(money, format)
{
    char b[32];
    money_format(123456, b, sizeof b);
    cr_assert_str_eq(b, "1234.56");
    money_format(-5, b, sizeof b);
    cr_assert_str_eq(b, "-0.05");
    money_format_de(123456789, b, sizeof b);
    cr_assert_str_eq(b, "1.234.567,89");
    money_format_de(2500, b, sizeof b);
    cr_assert_str_eq(b, "25,00");
    money_format_de(INT64_MIN, b, sizeof b);
    cr_assert_str_eq(b, "-92.233.720.368.547.758,08");
}
