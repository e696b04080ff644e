/*
 * mt940.h - streaming reader for SWIFT MT940 (customer statement) and MT942
 * (interim report) as German banks write them: ':TAG:' fields, Sparkasse
 * and FinTS files, SWIFT envelopes '{1:..}{2:..}{4:', pages ':28C:n/p'.
 *
 * Feed it bytes in chunks of any size; it hands records to the same sink as
 * the CAMT reader (camt.h): on_statement when a statement opens (at its
 * ':60F:', or at the first entry of an MT942), on_payment once per ':61:'
 * with its ':86:', on_statement_end after the balance check has held (MT940:
 * opening + booked credits - booked debits = closing, over all pages of one
 * statement; MT942: the ':90D:'/':90C:' totals agree with the entries).
 *
 * Data out: payment.status is "BOOK" for MT940 lines and "PDNG" for MT942
 * lines (and for EC/ED expected entries); pending entries never enter the
 * booked sums.  RC (reversal of a credit) is a debit, RD a credit, both with
 * reversal set.  A collective booking (a Sammler GVC or SAMMLER in ?00) is
 * a batch total: payment.batch set, batch_txs the count its text states or
 * 0, and no end-to-end id (mt940_86.c).  Statement ids are ':20:/number/date'
 * (the :20: reference of the first page, the :28C: statement number, the
 * opening balance date or
 * the MT942 ':13D:' time) because ':20:' alone ("STARTUMS") and the yearly
 * statement number repeat; elec_seq is left empty for the same reason.
 * All strings are valid UTF-8: a field that is valid UTF-8 stays, any other
 * is read as CP1252 (Latin-1 where CP1252 has no character).
 *
 * Memory: one line (<= 2000 bytes, the SWIFT message size), one field
 * (<= AB_REMITTANCE_MAX bytes) and one entry's strings; nothing grows with
 * the file.  The caller owns the reader and destroys it; the strings in the
 * records it passes belong to the reader and die when the callback returns.
 */
#ifndef AB_MT940_H
#define AB_MT940_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/err.h"
#include "../engine/payment.h"
#include "camt.h"

typedef struct mt940_reader mt940_reader;

/* filename is used in error messages only.  The sink's on_statement may
 * return CAMT_SKIP to pass over a statement's payments. */
int mt940_reader_create(mt940_reader **out, const camt_sink *sink, const char *filename)
    AB_MUSTCHECK;
/* Parses the next chunk; last=true on the final one (may be empty). */
int mt940_reader_feed(mt940_reader *r, const char *buf, size_t n, bool last) AB_MUSTCHECK;
/* After a failed feed: `FILE:LINE: field: reason`, the field being the tag
 * ("62F", "61") at the line where that field starts, e.g. `x.sta:22: 62F:
 * statement S/1/2023-03-01: opening balance 1.00 + credits ...`. */
const char *mt940_reader_error(const mt940_reader *r);
/* "MT940" or "MT942" of the last statement seen, "" before any. */
const char *mt940_reader_format(const mt940_reader *r);
void mt940_reader_destroy(mt940_reader *r);

/* Convenience: stream a whole file through a reader. */
int mt940_read_file(const char *path, const camt_sink *sink, char *err, size_t errlen)
    AB_MUSTCHECK;

/* The value of SEPA keyword kw ("EREF", "SVWZ", "ABWA", ... without '+')
 * in a structured ':86:' text (GVC, then ?NN subfields; line breaks as
 * sent are allowed).  The remittance subfields ?20-?29 and ?60-?63 are
 * joined first, so a keyword split across subfields ("S?25VWZ+") is found.
 * Writes the trimmed value NUL-terminated into out (cut to cap - 1 bytes)
 * and returns its length, or 0 when the keyword is absent. */
size_t mt940_sepa_keyword(const char *text, size_t n, const char *kw, char *out, size_t cap);

#endif
