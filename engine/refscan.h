/*
 * refscan.h - finds payment references in the text citizens write.
 *
 * Citizens write a Kassenzeichen as "400000010009", "KZ: 4000 0001 0009",
 * "400.000.010.009", "400000-010009", split over two Ustrd lines, with words
 * and amounts around it.  The scanner takes digit groups joined by single
 * separators (space, '.', '-', '/', line break) and proposes every run of
 * consecutive groups whose digits form a string of an allowed length; a
 * candidate is kept when its check digit holds under the configured scheme.
 * RF creditor references (ISO 11649, "RF18 5390 0754 7034") are found too,
 * normalised to upper case without spaces, and valid when their mod 97
 * check holds.  Candidates are reported without duplicates: digit
 * references in text order, then RF references.  Pure and
 * thread-safe; nothing allocated.
 */
#ifndef AB_REFSCAN_H
#define AB_REFSCAN_H

#include <stddef.h>

#include "checkdigit.h"
#include "limits.h"

typedef struct refscan_cand {
    char ref[AB_REF_MAX + 1];   /* normalised: digits only, NUL-terminated */
    unsigned char len;
    unsigned char check_ok;     /* 1 when the check digit holds */
    unsigned short pos;         /* byte offset in the text where it starts */
} refscan_cand;

typedef struct refscan_opts {
    enum cd_scheme scheme;
    size_t min_len, max_len;    /* lengths of references that exist */
    int keep_invalid;           /* also report candidates failing the check digit */
} refscan_opts;

/* Scans text[0..n); writes up to max candidates; returns how many. */
size_t refscan_find(const refscan_opts *o, const char *text, size_t n,
                    refscan_cand *out, size_t max);

/* True for a valid ISO 11649 creditor reference (upper case, no spaces). */
int refscan_rf_valid(const char *s, size_t n);

/* Normalises a reference as written on a ticket: keeps letters and digits,
 * upper-cases letters, drops everything else.  Returns the length, or 0 when
 * it does not fit out (cap AB_REF_MAX). */
size_t refscan_normalise(const char *s, size_t n, char out[AB_REF_MAX + 1]);

#endif
