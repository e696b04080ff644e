/*
 * sepa.h - what a SEPA payment file must respect besides its XML schema:
 * the character set of its texts and the days the euro's interbank system
 * (TARGET2) settles.
 *
 * The character set is the EPC's basic Latin set, which the DK (DFÜ-
 * Abkommen, Anlage 3) also lists: a-z A-Z 0-9 space and / - ? : ( ) . , ' +.
 * The DK additionally lets German banks take the umlauts and ß, but only
 * "if displayable", and a bank may replace what is outside the basic set or
 * refuse the whole file; the payee's bank may be abroad.  So they are
 * transliterated too (ä -> ae, ß -> ss, as the EPC's best practice and most
 * SEPA data in German statements do): a file in the basic set is accepted
 * by every bank.  Nothing is allocated.
 */
#ifndef AB_SEPA_H
#define AB_SEPA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The EPC's limits of a name (Nm) and of unstructured remittance text (Ustrd). */
enum { SEPA_NAME_MAX = 70, SEPA_USTRD_MAX = 140 };

/* UTF-8 text src in the basic SEPA set into dst (room for max + 1 bytes):
 * accented Latin letters become their base letter (é -> e), umlauts and ß
 * two letters (upper case in an upper-case word: MÜLLER -> MUELLER), € EUR,
 * & +, dashes -, typographic single quotes ', anything else (control
 * characters, line breaks, invalid UTF-8 too) a space; runs of spaces
 * become one, none leads or trails.  At most max characters; the result is
 * ASCII, so no character is cut, and no transliteration is cut in half.
 * Returns the length (0: nothing of src is left). */
size_t sepa_text(char *dst, size_t max, const char *src);

/* Whether TARGET2 settles on day (days since 1970-01-01): not on a
 * Saturday or Sunday, 1 January, Good Friday, Easter Monday, 1 May,
 * 25 or 26 December. */
bool sepa_target2_open(int32_t day);
/* day, or the next day TARGET2 settles. */
int32_t sepa_target2_next(int32_t day);

#endif
