/*
 * test_refscan.c - references the ways citizens write them, and texts that
 * must not yield one.  References are built with cd_compute so that their
 * ISO 7064 MOD 11,10 check digit is right by construction.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../engine/refscan.h"

static const refscan_opts opts = {.scheme = CD_ISO7064_11_10, .min_len = 12, .max_len = 12};

/* body (11 digits) + its check digit into out (13 bytes). */
static void mkref(const char *body, char out[13])
{
    char cd[2];
    cr_assert_eq(cd_compute(CD_ISO7064_11_10, body, 11, cd), 1);
    snprintf(out, 13, "%s%c", body, cd[0]);
    cr_assert(cd_valid(CD_ISO7064_11_10, out, 12));
}

static size_t scan_o(const refscan_opts *o, const char *text, refscan_cand *c)
{
    return refscan_find(o, text, strlen(text), c, AB_REFS_PER_PAYMENT);
}

static size_t scan(const char *text, refscan_cand *c) { return scan_o(&opts, text, c); }

/* Exactly one candidate, the reference. */
static void finds_only(const char *text, const char *ref)
{
    refscan_cand c[AB_REFS_PER_PAYMENT];
    size_t n = scan(text, c);
    cr_assert_eq(n, 1, "'%s' gave %zu", text, n);
    cr_assert_str_eq(c[0].ref, ref, "'%s'", text);
    cr_assert_eq(c[0].len, 12);
    cr_assert(c[0].check_ok);
}

Test(refscan, citizen_spellings)
{
    char r[13], t[128];
    mkref("40000001000", r);
    const char *d = r;
    finds_only(r, r);
    snprintf(t, sizeof t, "KZ: %.4s %.4s %.4s", d, d + 4, d + 8);
    finds_only(t, r);
    snprintf(t, sizeof t, "%.3s.%.3s.%.3s.%.3s", d, d + 3, d + 6, d + 9);
    finds_only(t, r);
    snprintf(t, sizeof t, "%.6s-%.6s", d, d + 6);
    finds_only(t, r);
    snprintf(t, sizeof t, "Kassenzeichen %.4s/%.4s/%.4s Betrag 25,00 EUR", d, d + 4, d + 8);
    finds_only(t, r);
    snprintf(t, sizeof t, "Kassenzeichen %.7s\n%.5s", d, d + 7); /* two Ustrd lines */
    finds_only(t, r);
    snprintf(t, sizeof t, "KZ%s", d);
    finds_only(t, r);
    snprintf(t, sizeof t, "Bitte verbuchen auf %s.", d);
    finds_only(t, r);
    snprintf(t, sizeof t, "%sEUR danke", d);
    finds_only(t, r);
    snprintf(t, sizeof t, "Az.:%s,Knoellchen", d);
    finds_only(t, r);
}

Test(refscan, line_wraps)
{
    char r[13], t[128];
    mkref("40000001000", r);
    snprintf(t, sizeof t, "Kassenzeichen %.7s    \n%.5s", r, r + 7); /* padded line */
    finds_only(t, r);
    snprintf(t, sizeof t, "KZ %.4s %.4s \n%.4s", r, r + 4, r + 8); /* blank kept at the cut */
    finds_only(t, r);
    snprintf(t, sizeof t, "KZ %.6s\r\n%.6s", r, r + 6);
    finds_only(t, r);
    refscan_cand c[AB_REFS_PER_PAYMENT];
    snprintf(t, sizeof t, "KZ %.6s\n\n%.6s", r, r + 6);
    cr_assert_eq(scan(t, c), 0, "an empty line parts two numbers");
}

Test(refscan, gaps_that_part)
{
    char r[13], t[128];
    refscan_cand c[AB_REFS_PER_PAYMENT];
    mkref("40000001000", r);
    static const char *const gaps[] = {"  ", ", ", ". ", ":", "a", "--", " - ", "_", "\t"};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++) {
        snprintf(t, sizeof t, "%.6s%s%.6s", r, gaps[i], r + 6);
        cr_assert_eq(scan(t, c), 0, "'%s'", t);
    }
}

Test(refscan, two_references_in_text_order)
{
    char a[13], b[13], t[128];
    refscan_cand c[AB_REFS_PER_PAYMENT];
    mkref("40000001006", a);
    mkref("40000001005", b);
    snprintf(t, sizeof t, "KZ %s und %.4s %.4s %.4s, nochmal %s", a, b, b + 4, b + 8, a);
    size_t n = scan(t, c);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(c[0].ref, a);
    cr_assert_str_eq(c[1].ref, b);
    cr_assert_eq(c[0].pos, 3, "the first occurrence is reported");
    cr_assert_lt(c[0].pos, c[1].pos);
    /* Adjacent references parted by one blank form one chain of 24 digits;
     * both 12-digit runs are still proposed. */
    snprintf(t, sizeof t, "%s %s", b, a);
    n = scan(t, c);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(c[0].ref, b);
    cr_assert_str_eq(c[1].ref, a);
}

Test(refscan, wrong_check_digit)
{
    char r[13];
    refscan_cand c[AB_REFS_PER_PAYMENT];
    mkref("40000001009", r);
    r[11] = (char)(r[11] == '9' ? '0' : r[11] + 1);
    cr_assert_eq(scan(r, c), 0, "a wrong check digit is no reference");
    refscan_opts keep = opts;
    keep.keep_invalid = 1;
    cr_assert_eq(scan_o(&keep, r, c), 1);
    cr_assert_str_eq(c[0].ref, r);
    cr_assert_eq(c[0].check_ok, 0);
}

Test(refscan, no_false_positives)
{
    refscan_cand c[AB_REFS_PER_PAYMENT];
    cr_assert_eq(scan("Rechnung vom 05.03.2024 über 25,00", c), 0);
    cr_assert_eq(scan("Rechnung vom 05.03.2024 ueber 1.025,00 EUR", c), 0);
    cr_assert_eq(scan("", c), 0);
    cr_assert_eq(scan("NOTPROVIDED", c), 0);
    refscan_opts keep = opts;
    keep.keep_invalid = 1;
    cr_assert_eq(scan_o(&keep, "Rechnung vom 05.03.2024 über 25,00", c), 0,
                 "dates and amounts are too short to be proposed at all");
    /* An office with 8-digit Kassenzeichen: a date has as many digits, and
     * passes the check digit one time in ten (11032024 and 20240314 do
     * under MOD 11,10). */
    refscan_opts eight = {.scheme = CD_ISO7064_11_10, .min_len = 8, .max_len = 8};
    cr_assert(cd_valid(CD_ISO7064_11_10, "11032024", 8), "the test's date has a valid check digit");
    cr_assert(cd_valid(CD_ISO7064_11_10, "20240314", 8), "so has the ISO one");
    cr_assert_eq(scan_o(&eight, "11032024", c), 1, "the same digits unparted are a reference");
    cr_assert_eq(scan_o(&eight, "Rechnung vom 11.03.2024 über 25,00", c), 0, "a date is not a reference");
    cr_assert_eq(scan_o(&eight, "Zahlung 11/03/2024", c), 0);
    cr_assert_eq(scan_o(&eight, "Tattag 11-03-2024", c), 0);
    cr_assert_eq(scan_o(&eight, "vom 2024-03-14 Parken", c), 0, "an ISO date either");
    cr_assert_eq(scan_o(&eight, "vom 11.03.2024 1103 2024", c), 1, "the reference beside a date is found");
    cr_assert_str_eq(c[0].ref, "11032024");
    cr_assert_eq(scan_o(&eight, "KZ 1103.2024", c), 1, "two groups are no date");
    cr_assert_eq(scan_o(&eight, "KZ 11.29.2024", c), 1, "no month 29: no date");
    refscan_opts none = {.scheme = CD_ISO7064_11_10, .min_len = 0, .max_len = 0};
    cr_assert_eq(scan_o(&none, "400000010017", c), 0, "empty index: nothing to look for");
}

Test(refscan, scheme_none_and_length_window)
{
    refscan_opts o = {.scheme = CD_NONE, .min_len = 8, .max_len = 12};
    refscan_cand c[AB_REFS_PER_PAYMENT];
    size_t n = scan_o(&o, "Az 4000 0001 0009", c);
    /* runs of 8..12 digits at group boundaries, in order of their start */
    cr_assert_eq(n, 3);
    cr_assert_str_eq(c[0].ref, "40000001");
    cr_assert_str_eq(c[1].ref, "400000010009", "same start: shorter first");
    cr_assert_str_eq(c[2].ref, "00010009");
    for (size_t i = 0; i < n; i++)
        cr_assert(c[i].check_ok, "CD_NONE: every digit string is valid");
    cr_assert_leq(c[0].pos, c[1].pos);
    cr_assert_lt(c[1].pos, c[2].pos);
    cr_assert_eq(refscan_find(&o, "Az 4000 0001 0009", 17, c, 1), 1, "max is respected");
}

/* A chain longer than the group array: the reference straddles the point
 * where the array is full and must still be found, in order. */
Test(refscan, long_chain)
{
    char r[13], t[1024];
    mkref("40000001000", r);
    size_t o = 0;
    for (int i = 0; i < 62; i++)
        o += (size_t)snprintf(t + o, sizeof t - o, "%d ", i % 10);
    snprintf(t + o, sizeof t - o, "%.4s %.4s %.4s", r, r + 4, r + 8);
    refscan_cand c[AB_REFS_PER_PAYMENT];
    size_t n = scan(t, c);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(c[i].ref, r))
            seen = 1;
        if (i)
            cr_assert_leq(c[i - 1].pos, c[i].pos, "text order");
    }
    cr_assert(seen, "'%s'", t);
    /* 1000 one-digit groups: bounded work, no overflow, ordered output */
    char big[2001];
    unsigned x = 1;
    for (int i = 0; i < 1000; i++) {
        x = x * 1103515245u + 12345u;
        big[2 * i] = (char)('0' + (x >> 16) % 10);
        big[2 * i + 1] = ' ';
    }
    big[2000] = '\0';
    refscan_opts keep = opts;
    keep.keep_invalid = 1;
    n = scan_o(&keep, big, c);
    cr_assert_eq(n, AB_REFS_PER_PAYMENT);
    size_t valid = 0;
    for (size_t i = 1; i < n; i++)
        cr_assert_leq(c[i - 1].pos, c[i].pos);
    for (size_t i = 0; i < n; i++)
        valid += c[i].check_ok;
    cr_assert_gt(valid, 0, "valid candidates are not crowded out by invalid ones");
}

Test(refscan, normalise)
{
    char out[AB_REF_MAX + 1];
    cr_assert_eq(refscan_normalise(" 4000-0001 0017 ", 16, out), 12);
    cr_assert_str_eq(out, "400000010017");
    cr_assert_eq(refscan_normalise("rf18 5390", 9, out), 8);
    cr_assert_str_eq(out, "RF185390");
    cr_assert_eq(refscan_normalise("-- / --", 7, out), 0, "nothing left");
    cr_assert_str_eq(out, "");
    char big[64];
    memset(big, '1', sizeof big);
    cr_assert_eq(refscan_normalise(big, AB_REF_MAX, out), AB_REF_MAX);
    cr_assert_eq(refscan_normalise(big, AB_REF_MAX + 1, out), 0, "too long");
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
    /* digit references first, then RF references */
    char r[13], t[128];
    mkref("40000001000", r);
    snprintf(t, sizeof t, "RF18 5390 0754 7034 und %s", r);
    cr_assert_eq(scan(t, c), 2);
    cr_assert_str_eq(c[0].ref, r);
    cr_assert_str_eq(c[1].ref, "RF18539007547034");
}
