/*
 * money.h - amounts as int64 cents, parsed and printed without floating point.
 *
 * Accepted: optional sign, digits, optional thousands separators only in the
 * German form ("1.234,56") when a comma is the decimal mark, and up to 5
 * fraction digits (ISO 20022 allows 5) of which those past the second must be
 * zero.  Nothing is allocated.
 */
#ifndef AB_MONEY_H
#define AB_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Decimal with '.' or ',' as the decimal mark: "25,00", "25.00", "25", "-3.5".
 * "1.000" (a '.', three digits, no ',') is refused as ambiguous. */
int money_parse(const char *s, size_t n, int64_t *cents) AB_MUSTCHECK;
/* ISO 20022 xs:decimal: '.' only, no sign, no separators. */
int money_parse_iso(const char *s, size_t n, int64_t *cents) AB_MUSTCHECK;
/* A number as a spreadsheet saves it ('.', maybe an exponent, maybe binary
 * noise: "12.300000000000001", "7.0000000000000007E-2", "1.2E1"), read
 * exactly from its digits, not through a double; within 1e-6 EUR of whole
 * cents it is those cents, else refused. */
int money_parse_number(const char *s, size_t n, int64_t *cents) AB_MUSTCHECK;
/* n without a currency mark at the end ("25,00 €", "25,00 EUR", the euro
 * sign in UTF-8 or Windows-1252, after spaces or no-break spaces). */
size_t money_without_currency(const char *s, size_t n);
/* "1234.56" / "-0.05" into buf (>= 24 bytes); returns the length. */
size_t money_format(int64_t cents, char *buf, size_t len);
/* German form "1.234,56" into buf (>= 32 bytes); returns the length. */
size_t money_format_de(int64_t cents, char *buf, size_t len);

#endif
