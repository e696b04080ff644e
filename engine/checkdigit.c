/*
 * checkdigit.c - check-digit schemes for Kassenzeichen; see checkdigit.h.
 *
 * In:  ASCII digit strings (body, or body + check digits).
 * Out: the check digit(s) of a body, or whether a whole reference holds.
 * Invariants: pure functions over digits only; no allocation, no locale,
 * no integer that can overflow (every running value is reduced modulo 11,
 * 97 or 10 after each digit, so any length is safe).
 *
 * Why these schemes: a fines office configures one per client
 * (fines-domain.md §4.1).  ISO 7064 MOD 11,10 is the default because it
 * detects every single substituted digit, which is what lets the matcher
 * treat "one digit off and the check digit fails" as a typo to correct.
 * It does not catch every swap of adjacent digits ("495583227493" and
 * "495582327493" both hold); test_checkdigit.c measures the rate.
 */
#include "checkdigit.h"

#include <string.h>

static const struct {
    const char *name;
    enum cd_scheme s;
} names[] = {
    {"none", CD_NONE},
    {"mod10", CD_MOD10},
    {"mod11", CD_MOD11},
    {"iso7064-11-10", CD_ISO7064_11_10},
    {"iso7064-97-10", CD_ISO7064_97_10},
};

int cd_scheme_parse(const char *name, enum cd_scheme *out)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i].name)) {
            *out = names[i].s;
            return AB_OK;
        }
    return AB_E_INVAL;
}

const char *cd_scheme_name(enum cd_scheme s)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].s == s)
            return names[i].name;
    return "unknown";
}

size_t cd_width(enum cd_scheme s)
{
    return s == CD_NONE ? 0 : s == CD_ISO7064_97_10 ? 2 : 1;
}

static bool all_digits(const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] < '0' || d[i] > '9')
            return false;
    return true;
}

/* Luhn: from the right, the digit next to the check digit is doubled, then
 * every second one; a doubled digit above 9 counts as its digit sum. */
static int luhn(const char *b, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(b[n - 1 - i] - '0');
        if (i % 2 == 0) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum = (sum + d) % 10;
    }
    return (int)((10 - sum) % 10);
}

/* Weights 2,3,4,5,6,7,2,3,... from the right.  A remainder that asks for
 * check digit 10 has no single-digit answer: such bodies are never issued
 * (-1), and 11 means 0. */
static int mod11(const char *b, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (sum + (unsigned)(b[n - 1 - i] - '0') * (unsigned)(2 + i % 6)) % 11;
    unsigned c = 11 - sum;
    if (c == 11)
        return 0;
    return c == 10 ? -1 : (int)c;
}

/* ISO 7064 MOD 11,10 (hybrid): p starts at 10; per digit s = (p + d) mod 10
 * with 0 read as 10, p = 2s mod 11; the check digit c makes (p + c) mod 10
 * equal 1. */
/* step_11_10[p][d]: the next p after digit d.  Every payment's candidate
 * references are checked with this (twice per scan before), and two
 * divisions per digit were a quarter of bench match at 100 k claims; one
 * table load per digit is what a 110-byte table buys.  Row p, column d:
 * s = (p + d) mod 10 with 0 read as 10, then 2s mod 11 (test_checkdigit.c
 * checks the scheme against published examples). */
static const unsigned char step_11_10[11][10] = {
    {9, 2, 4, 6, 8, 10, 1, 3, 5, 7},
    {2, 4, 6, 8, 10, 1, 3, 5, 7, 9},
    {4, 6, 8, 10, 1, 3, 5, 7, 9, 2},
    {6, 8, 10, 1, 3, 5, 7, 9, 2, 4},
    {8, 10, 1, 3, 5, 7, 9, 2, 4, 6},
    {10, 1, 3, 5, 7, 9, 2, 4, 6, 8},
    {1, 3, 5, 7, 9, 2, 4, 6, 8, 10},
    {3, 5, 7, 9, 2, 4, 6, 8, 10, 1},
    {5, 7, 9, 2, 4, 6, 8, 10, 1, 3},
    {7, 9, 2, 4, 6, 8, 10, 1, 3, 5},
    {9, 2, 4, 6, 8, 10, 1, 3, 5, 7},
};

static int iso7064_11_10(const char *b, size_t n)
{
    unsigned p = 10;
    for (size_t i = 0; i < n; i++)
        p = step_11_10[p][(unsigned)(b[i] - '0')];
    return (int)((11 - p) % 10);
}

/* ISO 7064 MOD 97-10 as in IBAN: the two digits that make body||cd equal 1
 * modulo 97, always in 02..98. */
static int iso7064_97_10(const char *b, size_t n)
{
    unsigned r = 0;
    for (size_t i = 0; i < n; i++)
        r = (r * 10 + (unsigned)(b[i] - '0')) % 97;
    r = (r * 100) % 97;
    return (int)(98 - r);
}

int cd_compute(enum cd_scheme s, const char *body, size_t n, char out[2])
{
    if (n == 0 || !all_digits(body, n))
        return AB_E_INVAL;
    int c;
    switch (s) {
    case CD_NONE:
        return 0;
    case CD_MOD10:
        c = luhn(body, n);
        break;
    case CD_MOD11:
        c = mod11(body, n);
        break;
    case CD_ISO7064_11_10:
        c = iso7064_11_10(body, n);
        break;
    case CD_ISO7064_97_10:
        c = iso7064_97_10(body, n);
        out[0] = (char)('0' + c / 10);
        out[1] = (char)('0' + c % 10);
        return 2;
    default:
        return AB_E_INVAL;
    }
    if (c < 0)
        return AB_E_INVAL;
    out[0] = (char)('0' + c);
    return 1;
}

bool cd_valid(enum cd_scheme s, const char *digits, size_t n)
{
    size_t w = cd_width(s);
    /* At least one body digit: a lone check digit checks nothing. */
    if (n <= w || !all_digits(digits, n))
        return false;
    if (w == 0)
        return true;
    char c[2];
    int k = cd_compute(s, digits, n - w, c);
    /* Recomputing (rather than testing "== 1 mod 97") also refuses the
     * check digits 00, 01 and 99, which MOD 97-10 never produces. */
    return k == (int)w && memcmp(c, digits + n - w, w) == 0;
}
