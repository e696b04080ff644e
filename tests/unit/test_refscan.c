/*
 * test_refscan.c - references the ways citizens write them, and texts that
 * must not yield one.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/refscan.h"

static const refscan_opts opts = {.scheme = CD_ISO7064_11_10, .min_len = 12, .max_len = 12};

static size_t scan(const char *text, refscan_cand *c)
{
    return refscan_find(&opts, text, strlen(text), c, AB_REFS_PER_PAYMENT);
}

Test(refscan, citizen_spellings)
{
    static const char *const texts[] = {
        "400000010017", "KZ: 4000 0001 0017", "400.000.010.017", "400000-010017",
        "Kassenzeichen 4000/0001/0017 Betrag 25,00 EUR", "Kassenzeichen 4000000\n10017",
        "KZ400000010017", "Az. 400000010017.", "400000010017EUR danke",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        refscan_cand c[AB_REFS_PER_PAYMENT];
        size_t n = scan(texts[i], c);
        cr_assert_eq(n, 1, "'%s' gave %zu", texts[i], n);
        cr_assert_str_eq(c[0].ref, "400000010017", "'%s'", texts[i]);
        cr_assert(c[0].check_ok);
    }
}

Test(refscan, several_in_text_order)
{
    refscan_cand c[AB_REFS_PER_PAYMENT];
    size_t n = scan("400000010068 und 400000010050, nochmal 400000010068", c);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(c[0].ref, "400000010068");
    cr_assert_str_eq(c[1].ref, "400000010050");
}

Test(refscan, no_false_positives)
{
    refscan_cand c[AB_REFS_PER_PAYMENT];
    cr_assert_eq(scan("Rechnung vom 05.03.2024 ueber 25,00 EUR", c), 0);
    cr_assert_eq(scan("400000010093", c), 0, "a wrong check digit is no reference");
    cr_assert_eq(scan("", c), 0);
    refscan_opts keep = opts;
    keep.keep_invalid = 1;
    cr_assert_eq(refscan_find(&keep, "400000010093", 12, c, 4), 1);
    cr_assert_eq(c[0].check_ok, 0);
}

Test(refscan, normalise)
{
    char out[AB_REF_MAX + 1];
    cr_assert_eq(refscan_normalise(" 4000-0001 0017 ", 16, out), 12);
    cr_assert_str_eq(out, "400000010017");
    cr_assert_eq(refscan_normalise("rf18 5390", 9, out), 8);
    cr_assert_str_eq(out, "RF185390");
    char big[64];
    memset(big, '1', sizeof big);
    cr_assert_eq(refscan_normalise(big, sizeof big, out), 0);
}

Test(refscan, rf_creditor_references)
{
    refscan_cand c[AB_REFS_PER_PAYMENT];
    size_t n = scan("Zahlung RF18 5390 0754 7034 danke", c);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(c[0].ref, "RF18539007547034");
    cr_assert(c[0].check_ok);
    cr_assert_eq(scan("rf18539007547034", c), 1);
    cr_assert_eq(scan("RF18 5390 0754 7035", c), 0, "a wrong RF check is no reference");
    cr_assert(refscan_rf_valid("RF38000000000000000000552", 25));
    cr_assert(!refscan_rf_valid("RF3800000000000000000055", 24));
}
