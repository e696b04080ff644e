/*
 * checkdigit.h - check-digit schemes for Kassenzeichen (payment references).
 *
 * A reference is a string of digits whose last digit checks the ones before
 * it.  The scheme is configured per office (fines-domain.md §4.1); the
 * default is ISO 7064 MOD 11,10.  Pure functions, nothing allocated.
 */
#ifndef AB_CHECKDIGIT_H
#define AB_CHECKDIGIT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum cd_scheme {
    CD_NONE = 0,       /* no check digit: every digit string is valid */
    CD_MOD10,          /* Luhn */
    CD_MOD11,          /* weights 2,3,4,...,7 repeating from the right; 10 -> invalid, 11 -> 0 */
    CD_ISO7064_11_10,  /* ISO 7064 MOD 11,10 (hybrid) */
    CD_ISO7064_97_10,  /* ISO 7064 MOD 97-10, two trailing check digits */
};

/* "none", "mod10", "mod11", "iso7064-11-10", "iso7064-97-10". */
int cd_scheme_parse(const char *name, enum cd_scheme *out) AB_MUSTCHECK;
const char *cd_scheme_name(enum cd_scheme s);
/* True when digits[0..n) are all digits and the trailing check digit(s) hold. */
bool cd_valid(enum cd_scheme s, const char *digits, size_t n);
/* Computes the check digit(s) for body[0..n) and writes them to out
 * (1 char, 2 for MOD 97-10).  Returns the count written, or a negative code
 * when no check digit exists for this body (MOD 11 remainder 10). */
int cd_compute(enum cd_scheme s, const char *body, size_t n, char out[2]) AB_MUSTCHECK;
/* Check digits at the end of a reference under this scheme (0, 1 or 2). */
size_t cd_width(enum cd_scheme s);

#endif
