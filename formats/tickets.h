/*
 * tickets.h - streaming reader of ticket batches (CSV) from the wardens'
 * handheld devices.
 *
 * Input: UTF-8 (an optional BOM is skipped; a plate or location that is not
 * UTF-8 is read as Windows-1252), a header row, ';' or ',' separated
 * (detected from the header), RFC 4180 quoting, CRLF or LF.
 * Columns by header name, canonical English or German:
 *   reference|kassenzeichen, plate|kennzeichen, tbnr, amount|betrag,
 *   offense_time|tatzeit, location|tatort; optional nationality|nationalitaet
 *   (international vehicle code, empty = German) and override|abweichung
 *   (yes/no: the amount differs from the catalogue's on purpose).
 * Amounts as "25,00" or "25.00", a currency mark after them allowed
 * ("25,00 €", "25,00 EUR"); times ISO 8601 or "dd.mm.yyyy hh:mm".
 * Each valid row goes to on_ticket; each invalid one to on_reject with the
 * physical line number (the header is line 1) and is skipped.  Checks here:
 * missing field, bad check digit (configured scheme; a reference starting
 * with RF is an ISO 11649 creditor reference and checked as such), bad
 * amount, bad date.
 * Whether a reference is already known is the database's question, not this
 * reader's.  Memory: one line, capped by AB_CSV_MAX_LINE, and the row's
 * plate and location recoded (about 1.6 KB).  The caller owns
 * the reader; strings in a ticket die when the callback returns.
 */
#ifndef AB_TICKETS_H
#define AB_TICKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/checkdigit.h"
#include "../engine/err.h"
#include "../engine/limits.h"

typedef struct ticket {
    unsigned long line;       /* physical line of the row's first byte */
    const char *reference;    /* normalised: digits, or an RF reference in upper case */
    const char *plate;        /* as written, trimmed (in UTF-8 if it was Windows-1252) */
    const char *tbnr;         /* trimmed */
    const char *location;     /* trimmed, may be "" */
    const char *nationality;  /* upper case, "" = German */
    bool amount_override;     /* the amount is not the catalogue's on purpose */
    int64_t amount_cents;     /* > 0 */
    int64_t offense_time;     /* seconds, see date.h */
} ticket;

typedef struct tickets_sink {
    void *ctx;
    int (*on_ticket)(void *ctx, const ticket *t);
    /* field: the canonical column name ("reference", ...) or "line". */
    int (*on_reject)(void *ctx, unsigned long line, const char *field, const char *reason);
} tickets_sink;

typedef struct tickets_reader tickets_reader;

int tickets_reader_create(tickets_reader **out, const tickets_sink *sink,
                          enum cd_scheme scheme) AB_MUSTCHECK;
/* Any chunking; last=true with the final chunk.  A negative return is a
 * failure of the whole file (no header, line too long, sink error). */
int tickets_reader_feed(tickets_reader *r, const char *buf, size_t n, bool last) AB_MUSTCHECK;
/* After a failed feed: a reason such as "line 1: no reference column". */
const char *tickets_reader_error(const tickets_reader *r);
/* How many plates and locations so far were not UTF-8 and were read as
 * Windows-1252. */
size_t tickets_reader_recoded(const tickets_reader *r);
void tickets_reader_destroy(tickets_reader *r);

/* The reference check of a row, for other ticket formats (winowig.c):
 * NULL when v[0..n) is a valid Kassenzeichen under scheme or a valid RF
 * reference, normalised into out; else the reason (static or in msg). */
const char *tickets_check_reference(const char *v, size_t n, enum cd_scheme scheme,
                                    char out[AB_REF_MAX + 1], char msg[128]);

#endif
