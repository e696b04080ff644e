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

#endif
