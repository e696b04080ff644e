/*
 * money.c - decimal text <-> int64 cents, integer arithmetic only.
 *
 * Parsing reads digits into an int64 with an overflow check per digit, so
 * no amount can wrap.  Up to 5 fraction digits are read (ISO 20022 allows
 * 5), but the third to fifth must be zero: a sub-cent amount cannot be paid
 * and is rejected rather than rounded, because rounding money silently is
 * how books stop balancing.
 */
#include "money.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define FRACTION_MAX 5

static int add_digit(int64_t *v, char c)
{
    int d = c - '0';
    if (*v > (INT64_MAX - d) / 10)
        return AB_E_INVAL;
    *v = *v * 10 + d;
    return AB_OK;
}

/* Reads the fraction after the decimal mark into cents. */
static int parse_fraction(const char *s, size_t n, int64_t *cents)
{
    if (n == 0 || n > FRACTION_MAX)
        return AB_E_INVAL;
    int64_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return AB_E_INVAL;
        if (i < 2)
            c = c * 10 + (s[i] - '0');
        else if (s[i] != '0')
            return AB_E_INVAL;
    }
    if (n == 1)
        c *= 10;
    *cents = c;
    return AB_OK;
}

/* Integer part: digits, optionally grouped by 'group' every three digits. */
static int parse_units(const char *s, size_t n, char group, int64_t *units)
{
    int64_t v = 0;
    size_t digits_since_group = 0;
    bool grouped = false;
    if (n == 0)
        return AB_E_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (group && s[i] == group) {
            if (digits_since_group == 0 || (grouped && digits_since_group != 3) ||
                digits_since_group > 3)
                return AB_E_INVAL;
            grouped = true;
            digits_since_group = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return AB_E_INVAL;
        if (add_digit(&v, s[i]) < 0)
            return AB_E_INVAL;
        digits_since_group++;
    }
    if (grouped && digits_since_group != 3)
        return AB_E_INVAL;
    *units = v;
    return AB_OK;
}

static int combine(bool neg, int64_t units, int64_t frac, int64_t *cents)
{
    if (units > (INT64_MAX - frac) / 100)
        return AB_E_INVAL;
    int64_t v = units * 100 + frac;
    *cents = neg ? -v : v;
    return AB_OK;
}

int money_parse(const char *s, size_t n, int64_t *cents)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    bool neg = false;
    if (n && (*s == '-' || *s == '+')) {
        neg = *s == '-';
        s++;
        n--;
    }
    /* A ',' is the decimal mark (and '.' groups thousands before it); with
     * no ',' the last '.' is.  A '.' followed by exactly three digits and
     * no ',' is refused: "1.000" is a thousand euros to a German clerk and
     * one euro to an English one, and reading it either way pays the wrong
     * amount (it used to pass as 1,00 whenever the digits were zeros). */
    const char *comma = memchr(s, ',', n);
    size_t mark = n;
    char group = 0;
    if (comma) {
        mark = (size_t)(comma - s);
        group = '.';
        if (memchr(comma + 1, ',', n - mark - 1))
            return AB_E_INVAL;
    } else {
        for (size_t i = n; i-- > 0;) {
            if (s[i] == '.') {
                mark = i;
                break;
            }
        }
        if (mark < n && n - mark - 1 == 3)
            return AB_E_INVAL;
    }
    int64_t units = 0, frac = 0;
    if (parse_units(s, mark, group, &units) < 0)
        return AB_E_INVAL;
    if (mark < n && parse_fraction(s + mark + 1, n - mark - 1, &frac) < 0)
        return AB_E_INVAL;
    return combine(neg, units, frac, cents);
}

int money_parse_iso(const char *s, size_t n, int64_t *cents)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    const char *dot = memchr(s, '.', n);
    size_t mark = dot ? (size_t)(dot - s) : n;
    int64_t units = 0, frac = 0;
    if (parse_units(s, mark, 0, &units) < 0)
        return AB_E_INVAL;
    if (dot && parse_fraction(dot + 1, n - mark - 1, &frac) < 0)
        return AB_E_INVAL;
    return combine(false, units, frac, cents);
}

size_t money_without_currency(const char *s, size_t n)
{
    static const struct {
        const char *m;
        size_t n;
    } marks[] = {{"\xe2\x82\xac", 3}, {"\x80", 1}, {"EUR", 3}};
    for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++) {
        if (n <= marks[k].n || memcmp(s + n - marks[k].n, marks[k].m, marks[k].n))
            continue;
        n -= marks[k].n;
        for (;;) {
            if (n >= 2 && !memcmp(s + n - 2, "\xc2\xa0", 2))
                n -= 2;
            else if (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\xa0'))
                n--;
            else
                return n;
        }
    }
    return n;
}

/* A spreadsheet's number is a binary double written back as decimal text,
 * so 12,30 EUR may come as "12.300000000000001" and 0,07 EUR as
 * "7.0000000000000007E-2".  The text is read exactly, as its digits D and
 * a power of ten e (value = D * 10^e), never through a double: the cents
 * are the digits before the cents' point, and what follows it must be less
 * than 1e-6 EUR (1e-4 cents) from a whole cent, else the amount is not one
 * a person typed and is refused rather than rounded. */
#define NUMBER_DIGITS_MAX 64
#define NUMBER_EXP_MAX 400

int money_parse_number(const char *s, size_t n, int64_t *cents)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    bool neg = false;
    if (n && (*s == '-' || *s == '+')) {
        neg = *s == '-';
        s++;
        n--;
    }
    char d[NUMBER_DIGITS_MAX];
    size_t nd = 0, i = 0;
    long e = 0;
    bool any = false, point = false;
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.' && !point) {
            point = true;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return AB_E_INVAL;
        any = true;
        if (nd == 0 && s[i] == '0') {
            if (point)
                e--; /* a leading zero after the point: one place smaller */
            continue;
        }
        if (nd == NUMBER_DIGITS_MAX)
            return AB_E_INVAL;
        d[nd++] = s[i];
        if (point)
            e--;
    }
    if (!any)
        return AB_E_INVAL;
    if (i < n) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        if (i == n)
            return AB_E_INVAL;
        long x = 0;
        for (; i < n; i++) {
            if (s[i] < '0' || s[i] > '9' || x > NUMBER_EXP_MAX)
                return AB_E_INVAL;
            x = x * 10 + (s[i] - '0');
        }
        e += eneg ? -x : x;
    }
    if (nd == 0) {
        *cents = 0;
        return AB_OK;
    }
    /* In cents: D * 10^(e + 2).  whole: the digits before the cents'
     * point; the rest are the fraction of a cent. */
    long k = e + 2;
    if (k > 18)
        return AB_E_INVAL;
    long whole = (long)nd + k;     /* digits of D before the point */
    int64_t v = 0;
    for (long j = 0; j < whole; j++)
        if (add_digit(&v, j < (long)nd ? d[j] : '0') < 0)
            return AB_E_INVAL;
    /* The first four digits of the fraction of a cent: "0000" is less than
     * 1e-4 cent above v, "9999" less than 1e-4 below v + 1. */
    char f[4];
    for (long j = 0; j < 4; j++) {
        long at = whole + j;
        f[j] = at < 0 || at >= (long)nd ? '0' : d[at];
    }
    if (!memcmp(f, "9999", 4)) {
        if (v == INT64_MAX)
            return AB_E_INVAL;
        v++;
    } else if (memcmp(f, "0000", 4)) {
        return AB_E_INVAL;
    }
    *cents = neg ? -v : v;
    return AB_OK;
}

size_t money_format(int64_t cents, char *buf, size_t len)
{
    /* Work on the magnitude as unsigned so INT64_MIN cannot overflow. */
    uint64_t mag = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    int w = snprintf(buf, len, "%s%llu.%02llu", cents < 0 ? "-" : "",
                     (unsigned long long)(mag / 100), (unsigned long long)(mag % 100));
    return w < 0 ? 0 : (size_t)w;
}

size_t money_format_de(int64_t cents, char *buf, size_t len)
{
    uint64_t mag = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)(mag / 100));
    char out[48];
    size_t o = 0;
    if (cents < 0)
        out[o++] = '-';
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            out[o++] = '.';
        out[o++] = digits[i];
    }
    int w = snprintf(buf, len, "%.*s,%02llu", (int)o, out, (unsigned long long)(mag % 100));
    return w < 0 ? 0 : (size_t)w;
}
