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

/* A car is its plate WITH the boundary of the district code, and its
 * country: "H-HA 1" (Hannover) and "HH-A 1" (Hamburg) share the matcher's
 * key HHA1 but are two cars.  The car key (claims.car_key, sql/036):
 *   German (nationality NULL, "" or "D"), valid by plate_check_de: the
 *     district code, '-', the rest without separators, the E/H suffix:
 *     "HH-A1", "RW-WO888E", "MÜ-AB123".  The district code ends where the
 *     plate was written with a separator inside its letters ("HH A 1");
 *     without one, where the only split into a known district code and a
 *     valid rest puts it ("HHAB1234" is HH-AB1234: HHA is no code, H-HAB
 *     has 3 letters); when two splits are valid ("HHA1", "BAB123") the
 *     plate is ambiguous and the key is '?' and the plate key ("?HHA1"),
 *     which names no known car: it is never set off against or shown by
 *     plate, only compared with the same spelling.
 *   Foreign: the country, ':', the plate key ("NL:AB12CD").
 * abgleich.car_key (sql/036) is the same function in SQL.  Returns the
 * length, 0 when a German plate is not valid (or the country has more than
 * 3 letters). */
#define PLATE_CAR_MAX (PLATE_MAX + 8)
size_t plate_car_key(const char *s, size_t n, const char *nationality, char out[PLATE_CAR_MAX]);
/* The key of a plate that is not German (or not valid): ASCII upper case,
 * ' ' and '-' dropped, at most PLATE_MAX - 1 bytes. */
size_t plate_key_plain(const char *s, size_t n, char out[PLATE_MAX]);

#endif
