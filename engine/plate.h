/*
 * plate.h - German licence plates as citizens write them in remittance text.
 *
 * A plate is a district code of 1-3 letters, 1-2 letters and 1-4 digits,
 * with an optional E (electric) or H (historic) suffix; citizens write
 * "HH-AB 1234", "HH AB1234", "hhab1234".  Normalised form: upper case,
 * separators dropped ("HHAB1234"), which makes every spelling the same key
 * without having to know where the district code ends.  Umlauts in district
 * codes (LÖ, TÜ, MÜ) are kept as upper-case UTF-8.  Pure functions, nothing
 * allocated.
 */
#ifndef AB_PLATE_H
#define AB_PLATE_H

#include <stddef.h>

#define PLATE_MAX 24

/* Normalised plate of a ticket field; 0 when it is not a German plate. */
size_t plate_normalise(const char *s, size_t n, char out[PLATE_MAX]);
/* Plates in free text, normalised, in text order, without duplicates. */
size_t plate_find(const char *text, size_t n, char out[][PLATE_MAX], size_t max);

/* Checks a German plate as a warden's handheld writes it ("HH-AB 1234",
 * "HH AB 1234", "HHAB1234", optional E/H suffix) against the rules of the
 * FZV (fines-domain.md §6): a known district code (data/, 776 codes), 1-2
 * letters without umlauts, 1-4 digits not starting with 0, at most 8
 * characters; authority and dealer plates (district code and digits only,
 * up to 6) are accepted.  NULL when valid, else the reason (static text). */
const char *plate_check_de(const char *s, size_t n);
/* Is code (upper-case UTF-8, n bytes) a known district code? */
int plate_district_known(const char *code, size_t n);

#endif
