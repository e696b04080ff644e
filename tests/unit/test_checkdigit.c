/*
 * test_checkdigit.c - every scheme against values computed independently
 * (python3-stdnum: iso7064.mod_11_10, mod_97_10, luhn; MOD 11 by hand in
 * the comments), and the properties typo correction relies on:
 * ISO 7064 MOD 11,10 catches every single substituted digit and about 98 %
 * of swaps of two different adjacent digits - not all of them:
 * "495583227493" and "495582327493" both hold, which is why a corrected
 * reference must still be the only candidate.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../engine/checkdigit.h"

static void valid(enum cd_scheme s, const char *d)
{
    cr_assert(cd_valid(s, d, strlen(d)), "%s should accept '%s'", cd_scheme_name(s), d);
}

static void invalid(enum cd_scheme s, const char *d)
{
    cr_assert(!cd_valid(s, d, strlen(d)), "%s should refuse '%s'", cd_scheme_name(s), d);
}

/* The check digit(s) cd_compute gives for body, as a string. */
static const char *compute(enum cd_scheme s, const char *body)
{
    static char out[3];
    char cd[2];
    int k = cd_compute(s, body, strlen(body), cd);
    cr_assert_geq(k, 0, "%s has no check digit for '%s'", cd_scheme_name(s), body);
    memcpy(out, cd, (size_t)k);
    out[k] = '\0';
    return out;
}

Test(checkdigit, iso7064_11_10_vectors)
{
    /* stdnum: mod_11_10.calc_check_digit */
    cr_assert_str_eq(compute(CD_ISO7064_11_10, "40000001000"), "9");
    cr_assert_str_eq(compute(CD_ISO7064_11_10, "4000000101"), "8");
    cr_assert_str_eq(compute(CD_ISO7064_11_10, "12345678"), "8");
    cr_assert_str_eq(compute(CD_ISO7064_11_10, "123456789"), "7");
    valid(CD_ISO7064_11_10, "400000010009");
    valid(CD_ISO7064_11_10, "36574261809"); /* a German Steuer-ID (same scheme) */
    invalid(CD_ISO7064_11_10, "36574261808");
    invalid(CD_ISO7064_11_10, "400000010008");
    invalid(CD_ISO7064_11_10, "4");
    invalid(CD_ISO7064_11_10, "");
    invalid(CD_ISO7064_11_10, "40000 0010009");
    invalid(CD_ISO7064_11_10, "4000000100O9"); /* letter O */
}

Test(checkdigit, iso7064_97_10_vectors)
{
    cr_assert_str_eq(compute(CD_ISO7064_97_10, "40000001000"), "02"); /* stdnum */
    cr_assert_str_eq(compute(CD_ISO7064_97_10, "12345678"), "89");
    cr_assert_str_eq(compute(CD_ISO7064_97_10, "1"), "95");
    /* IBAN DE89 3704 0044 0532 0130 00 rearranged (BBAN, "DE"=1314, 89). */
    valid(CD_ISO7064_97_10, "370400440532013000131489");
    invalid(CD_ISO7064_97_10, "370400440532013000131488");
    valid(CD_ISO7064_97_10, "4000000100002");
    /* 4000000100099 is also 1 mod 97, but 99 is never issued (02..98). */
    invalid(CD_ISO7064_97_10, "4000000100099");
    invalid(CD_ISO7064_97_10, "02");
}

Test(checkdigit, luhn_vectors)
{
    cr_assert_str_eq(compute(CD_MOD10, "7992739871"), "3"); /* the classic example */
    cr_assert_str_eq(compute(CD_MOD10, "40000001000"), "1"); /* stdnum */
    valid(CD_MOD10, "79927398713");
    invalid(CD_MOD10, "79927398710");
    valid(CD_MOD10, "4111111111111111"); /* a well-known test card number */
    invalid(CD_MOD10, "4111111111111112");
}

Test(checkdigit, mod11_vectors)
{
    /* 12345678: from the right 8*2+7*3+6*4+5*5+4*6+3*7+2*2+1*3 = 138,
     * 138 mod 11 = 6, 11 - 6 = 5. */
    cr_assert_str_eq(compute(CD_MOD11, "12345678"), "5");
    valid(CD_MOD11, "123456785");
    invalid(CD_MOD11, "123456786");
    /* 40000001000: 0+0+0+1*5+...+4*6 = 29, 29 mod 11 = 7, 11 - 7 = 4. */
    cr_assert_str_eq(compute(CD_MOD11, "40000001000"), "4");
    /* 40000001002: 2*2+1*5+4*6 = 33 = 0 mod 11 -> 11 -> check digit 0. */
    cr_assert_str_eq(compute(CD_MOD11, "40000001002"), "0");
    valid(CD_MOD11, "400000010020");
    /* 40000001008: 8*2+1*5+4*6 = 45 = 1 mod 11 -> 10: no check digit. */
    char cd[2];
    cr_assert_lt(cd_compute(CD_MOD11, "40000001008", 11, cd), 0);
    for (char c = '0'; c <= '9'; c++) {
        char ref[13] = "40000001008";
        ref[11] = c;
        ref[12] = '\0';
        invalid(CD_MOD11, ref);
    }
}

Test(checkdigit, none_and_bad_input)
{
    valid(CD_NONE, "12345");
    invalid(CD_NONE, "12a45");
    invalid(CD_NONE, "");
    char cd[2];
    cr_assert_eq(cd_compute(CD_NONE, "123", 3, cd), 0);
    cr_assert_lt(cd_compute(CD_ISO7064_11_10, "", 0, cd), 0);
    cr_assert_lt(cd_compute(CD_MOD10, "12-3", 4, cd), 0);
    cr_assert_lt(cd_compute((enum cd_scheme)99, "123", 3, cd), 0);
    cr_assert(!cd_valid((enum cd_scheme)99, "1234", 4));
    cr_assert_eq(cd_width(CD_NONE), 0);
    cr_assert_eq(cd_width(CD_MOD11), 1);
    cr_assert_eq(cd_width(CD_ISO7064_97_10), 2);
}

Test(checkdigit, scheme_names)
{
    static const enum cd_scheme all[] = {CD_NONE, CD_MOD10, CD_MOD11, CD_ISO7064_11_10,
                                         CD_ISO7064_97_10};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        enum cd_scheme s;
        cr_assert_eq(cd_scheme_parse(cd_scheme_name(all[i]), &s), AB_OK);
        cr_assert_eq(s, all[i]);
    }
    enum cd_scheme s;
    cr_assert_lt(cd_scheme_parse("crc32", &s), 0);
    cr_assert_lt(cd_scheme_parse("MOD10", &s), 0);
    cr_assert_str_eq(cd_scheme_name(CD_ISO7064_97_10), "iso7064-97-10");
}

static unsigned long long xorshift(unsigned long long *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* compute -> valid holds for random bodies of random length, every scheme. */
Test(checkdigit, compute_then_valid)
{
    static const enum cd_scheme all[] = {CD_MOD10, CD_MOD11, CD_ISO7064_11_10,
                                         CD_ISO7064_97_10};
    unsigned long long x = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 5000; round++) {
        char ref[40];
        size_t n = 1 + xorshift(&x) % 30;
        for (size_t i = 0; i < n; i++)
            ref[i] = (char)('0' + xorshift(&x) % 10);
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
            char cd[2];
            int w = cd_compute(all[k], ref, n, cd);
            if (w < 0) {
                cr_assert_eq(all[k], CD_MOD11); /* only MOD 11 has bodies without */
                continue;
            }
            cr_assert_eq((size_t)w, cd_width(all[k]));
            memcpy(ref + n, cd, (size_t)w);
            cr_assert(cd_valid(all[k], ref, n + (size_t)w), "%s %.*s", cd_scheme_name(all[k]),
                      (int)(n + (size_t)w), ref);
        }
    }
}

/* Every single substituted digit is caught; adjacent swaps nearly all. */
Test(checkdigit, iso7064_11_10_catches_typos)
{
    unsigned long long x = 88172645463325252ull;
    long swaps = 0, swaps_caught = 0;
    for (int round = 0; round < 3000; round++) {
        char ref[16];
        int n = snprintf(ref, sizeof ref, "4%010llu", xorshift(&x) % 10000000000ull);
        ref[n] = compute(CD_ISO7064_11_10, ref)[0];
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
    /* stdnum over 200k random references: 97.8 % of swaps caught. */
    cr_assert_gt(swaps_caught * 1000, swaps * 970, "%ld of %ld swaps caught", swaps_caught,
                 swaps);
    valid(CD_ISO7064_11_10, "495583227493");
    valid(CD_ISO7064_11_10, "495582327493"); /* the swap of 3 and 2 goes unseen */
}

/* MOD 97-10 catches every single substitution and every adjacent swap. */
Test(checkdigit, iso7064_97_10_catches_typos)
{
    unsigned long long x = 12345;
    for (int round = 0; round < 2000; round++) {
        char ref[16];
        int n = snprintf(ref, sizeof ref, "4%010llu", xorshift(&x) % 10000000000ull);
        memcpy(ref + n, compute(CD_ISO7064_97_10, ref), 2);
        ref[n + 2] = '\0';
        for (int i = 0; i < n + 2; i++) {
            char t[16];
            memcpy(t, ref, sizeof t);
            t[i] = (char)('0' + (ref[i] - '0' + 1 + (int)(xorshift(&x) % 9)) % 10);
            invalid(CD_ISO7064_97_10, t);
            if (i + 1 < n + 2 && ref[i] != ref[i + 1]) {
                memcpy(t, ref, sizeof t);
                t[i] = ref[i + 1];
                t[i + 1] = ref[i];
                invalid(CD_ISO7064_97_10, t);
            }
        }
    }
}
