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

/* A '.' with exactly three digits and no ',' is German grouping to one
 * clerk and a decimal to another: refused, zeros included (the audit found
 * "1.000" read as 1,00 EUR and "1.200" as 1,20 EUR). */
Test(money, ambiguous_dot_three_digits)
{
    reject("1.000");
    reject("1.200");
    reject("1.234");
    reject("0.050");
    reject("-1.000");
    reject("12.300");
    reject("1.000.000");
    cr_assert_eq(parse("1.000,00"), 100000);
    cr_assert_eq(parse("1.200,5"), 120050);
    cr_assert_eq(parse("1000"), 100000);
    cr_assert_eq(parse("1.2000"), 120);  /* four digits: a decimal, not grouping */
    cr_assert_eq(parse("1.20"), 120);
    cr_assert_eq(parse("1,000"), 100);   /* a ',' is always the decimal mark */
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

static int64_t number(const char *s)
{
    int64_t c = -999;
    cr_assert_eq(money_parse_number(s, strlen(s), &c), AB_OK, "number '%s'", s);
    return c;
}

/* A spreadsheet's numeric cell as Excel or LibreOffice saves it: the
 * decimal text of a double, read exactly; within 1e-6 EUR of whole cents. */
Test(money, spreadsheet_numbers)
{
    cr_assert_eq(number("12.300000000000001"), 1230);
    cr_assert_eq(number("7.0000000000000007E-2"), 7);
    cr_assert_eq(number("1.2E1"), 1200);
    cr_assert_eq(number("1.2e+1"), 1200);
    cr_assert_eq(number("12.5"), 1250);
    cr_assert_eq(number("12"), 1200);
    cr_assert_eq(number("0.07"), 7);
    cr_assert_eq(number("1000"), 100000);
    cr_assert_eq(number("1.000"), 100);  /* a number's '.' is a decimal point */
    cr_assert_eq(number("99.999999999999986"), 10000);
    cr_assert_eq(number("12.339999999999998"), 1234);
    cr_assert_eq(number("5E-2"), 5);
    int64_t c;
    cr_assert_lt(money_parse_number("0.125", 5, &c), 0, "half a cent is refused, not rounded");
    cr_assert_lt(money_parse_number("12.345", 6, &c), 0);
    cr_assert_lt(money_parse_number("12.3400015", 10, &c), 0, "1.5e-6 EUR off a cent");
    cr_assert_eq(number("12.3400005"), 1234);  /* 5e-7 EUR off: the cent */
    cr_assert_lt(money_parse_number("12,5", 4, &c), 0, "a number has no comma");
    cr_assert_lt(money_parse_number("", 0, &c), 0);
    cr_assert_lt(money_parse_number("E5", 2, &c), 0);
    cr_assert_lt(money_parse_number("1E", 2, &c), 0);
    cr_assert_lt(money_parse_number("1E99", 4, &c), 0, "too large");
    cr_assert_lt(money_parse_number("1.2.3", 5, &c), 0);
    cr_assert_eq(number("-2.5"), -250);
}

Test(money, currency_mark)
{
    const char *s = "5,00 \xe2\x82\xac";
    cr_assert_eq(money_without_currency(s, strlen(s)), 4);
    s = "5,00EUR";
    cr_assert_eq(money_without_currency(s, strlen(s)), 4);
    s = "5,00\xc2\xa0\xe2\x82\xac";
    cr_assert_eq(money_without_currency(s, strlen(s)), 4);
    s = "5,00";
    cr_assert_eq(money_without_currency(s, strlen(s)), 4);
    s = "EUR";
    cr_assert_eq(money_without_currency(s, strlen(s)), 3, "a mark alone is not stripped to nothing");
}
