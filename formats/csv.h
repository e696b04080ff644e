/*
 * csv.h - a resumable CSV tokenizer (RFC 4180) over chunks of any size.
 *
 * Input: bytes in chunks cut anywhere (inside a quote, between CR and LF,
 * inside a UTF-8 BOM).  A UTF-8 BOM at the very start is skipped.  Fields
 * are separated by one separator byte, or - with sep 0 - by ';' or ',',
 * whichever occurs more often outside quotes in the first record (German
 * spreadsheets write ';', everything else ','; a tie means ',').
 * Quoting: a field that starts with '"' runs to the next lone '"'; "" inside
 * it is one '"'; separators, CR and LF inside it are data.  Records end at
 * LF or CRLF outside quotes.
 *
 * Output: one callback per record with the unquoted fields as views into
 * the tokenizer's own buffer, and the physical line (1-based, counting LF
 * bytes, quoted ones too) where the record's first byte is.  An empty line
 * is a record of one empty field; a final line without a line end is a
 * record too.  The result is the same for every way of cutting the input
 * into chunks.
 *
 * Limits: a record of more than AB_CSV_MAX_LINE bytes (as written, without
 * its line end) or more than AB_CSV_MAX_FIELDS fields stops the input with
 * AB_E_LIMIT.  Memory: one buffer of AB_CSV_MAX_LINE + 2 bytes, allocated
 * at create.  Malformed quoting does not stop the input; it is flagged on
 * the record so the caller can refuse that record alone.
 *
 * Ownership: the caller owns the tokenizer.  Field bytes live until the
 * callback returns; the callback may modify them in place (e.g. to trim).
 */
#ifndef AB_CSV_H
#define AB_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/err.h"

typedef struct csv_field {
    char *ptr;     /* ptr[len] is '\0', so a field is also a C string */
    size_t len;    /* bytes; data may hold NUL bytes, which strlen would miss */
} csv_field;

enum {
    CSV_STRAY_QUOTE = 1u << 0,  /* a '"' inside an unquoted field, or text after a closing '"' */
    CSV_UNTERMINATED = 1u << 1, /* the input ended inside a quoted field */
};

typedef struct csv_record {
    csv_field *fields;
    size_t nfields;         /* >= 1 */
    unsigned long line;     /* physical line of the record's first byte */
    unsigned flags;         /* CSV_STRAY_QUOTE | CSV_UNTERMINATED */
} csv_record;

/* A negative return stops csv_feed, which returns that code. */
typedef int (*csv_record_fn)(void *ctx, const csv_record *rec);

typedef struct csv csv;

/* sep: the separator byte, or 0 to detect ';' or ',' from the first record.
 * '"', CR and LF cannot be separators. */
int csv_create(csv **out, char sep) AB_MUSTCHECK;
void csv_destroy(csv *c);

/* Tokenizes buf[0..n) and calls fn for each record completed; last=true with
 * the final chunk (n may be 0) flushes a record without a line end.
 * Returns 0, AB_E_LIMIT (see csv_error), or fn's negative return.  After a
 * failure every further call returns the same code. */
int csv_feed(csv *c, const char *buf, size_t n, bool last, csv_record_fn fn,
             void *ctx) AB_MUSTCHECK;

/* The separator in use; 0 while it is still being detected. */
char csv_sep(const csv *c);
/* "line 7: record longer than 16384 bytes"; "" when the tokenizer itself
 * has not failed (e.g. the callback did). */
const char *csv_error(const csv *c);

#endif
