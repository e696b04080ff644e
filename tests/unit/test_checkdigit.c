/*
 * test_checkdigit.c - every scheme against known values, and the property
 * typo correction relies on: ISO 7064 MOD 11,10 catches every single
 * substituted digit, and nearly every swap of two different adjacent digits
 * (not all: "495583227493" and "495582327493" both hold, which is why a
 * corrected reference must still be the only candidate).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../engine/checkdigit.h"

static void valid(enum cd_scheme s, const char *d) { cr_assert(cd_valid(s, d, strlen(d)), "%s %s", cd_scheme_name(s), d); }
static void invalid(enum cd_scheme s, const char *d) { cr_assert(!cd_valid(s, d, strlen(d)), "%s %s", cd_scheme_name(s), d); }

Test(checkdigit, known_values)
{
    valid(CD_ISO7064_11_10, "400000010017");   /* computed independently (Python) */
    valid(CD_ISO7064_11_10, "400000010121");
    invalid(CD_ISO7064_11_10, "400000010093");
    valid(CD_MOD10, "79927398713");             /* the classic Luhn example */
    invalid(CD_MOD10, "79927398710");
    valid(CD_ISO7064_97_10, "370400440532013000131489"); /* IBAN DE89 3704 0044 0532 0130 00, rearranged */
    valid(CD_MOD11, "123456785");               /* weights 2..7 from the right: sum 138, 11 - 138 mod 11 = 5 */
    invalid(CD_MOD11, "123456786");
    valid(CD_NONE, "12345");
    invalid(CD_NONE, "12a45");
    invalid(CD_ISO7064_11_10, "");
    invalid(CD_ISO7064_11_10, "4");
}

Test(checkdigit, scheme_names)
{
    enum cd_scheme s;
    cr_assert_eq(cd_scheme_parse("iso7064-11-10", &s), AB_OK);
    cr_assert_eq(s, CD_ISO7064_11_10);
    cr_assert_eq(cd_scheme_parse("mod10", &s), AB_OK);
    cr_assert_eq(s, CD_MOD10);
    cr_assert_lt(cd_scheme_parse("crc32", &s), 0);
    cr_assert_str_eq(cd_scheme_name(CD_ISO7064_97_10), "iso7064-97-10");
}

Test(checkdigit, compute_then_valid_and_typos_detected)
{
    unsigned long long x = 88172645463325252ull;
    long swaps = 0, swaps_caught = 0;
    for (int round = 0; round < 2000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char ref[16];
        int n = snprintf(ref, sizeof ref, "4%010llu", x % 10000000000ull);
        char cd[2];
        cr_assert_eq(cd_compute(CD_ISO7064_11_10, ref, (size_t)n, cd), 1);
        ref[n] = cd[0];
        ref[n + 1] = '\0';
        valid(CD_ISO7064_11_10, ref);
        for (int i = 0; i <= n; i++) {
            char t[16];
            memcpy(t, ref, sizeof t);
            for (char d = '0'; d <= '9'; d++) {
                if (d == ref[i])
                    continue;
                t[i] = d;
                invalid(CD_ISO7064_11_10, t);
            }
            if (i < n && ref[i] != ref[i + 1]) {
                memcpy(t, ref, sizeof t);
                t[i] = ref[i + 1];
                t[i + 1] = ref[i];
                swaps++;
                swaps_caught += !cd_valid(CD_ISO7064_11_10, t, (size_t)n + 1);
            }
        }
    }
    cr_assert_gt(swaps_caught * 100, swaps * 95, "%ld of %ld swaps caught", swaps_caught, swaps);
    invalid(CD_ISO7064_11_10, "495583227494");
    valid(CD_ISO7064_11_10, "495583227493");
    valid(CD_ISO7064_11_10, "495582327493");
}

Test(checkdigit, mod11_without_digit)
{
    char cd[2];
    /* Bodies whose remainder leaves 10 have no check digit under MOD 11. */
    int none = 0;
    for (int b = 0; b < 100; b++) {
        char body[8];
        snprintf(body, sizeof body, "10%03d", b);
        if (cd_compute(CD_MOD11, body, 5, cd) < 0)
            none++;
    }
    cr_assert_gt(none, 0);
}
