/*
 * camt.h - streaming reader for ISO 20022 bank-to-customer cash management
 * messages: camt.053 (statement), and the same element tree of camt.052 and
 * camt.054, versions .001.02 to .001.13, matched by local name.
 *
 * Feed it bytes in chunks of any size; it calls the sink as it goes:
 * on_statement when a statement's header (Id, account, and the balances
 * that precede the entries) is known and before its first entry, on_payment once per transaction of a finished entry, and
 * on_statement_end after the statement's balance check has held.  The
 * document is never held whole: memory is one entry's transactions, capped by
 * AB_TX_PER_ENTRY and AB_ENTRY_ARENA_BYTES.  External entities and DTDs are
 * never loaded.  The caller owns the reader and destroys it; the strings in
 * the records it passes belong to the reader and die when the callback
 * returns.
 */
#ifndef AB_CAMT_H
#define AB_CAMT_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/err.h"
#include "../engine/payment.h"

typedef struct camt_sink {
    void *ctx;
    /* Return 0 to go on, CAMT_SKIP to ignore this statement's entries
     * (already imported), or a negative code to stop the parse. */
    int (*on_statement)(void *ctx, const statement *st);
    int (*on_payment)(void *ctx, const statement *st, const payment *p);
    int (*on_statement_end)(void *ctx, const statement *st);
} camt_sink;

#define CAMT_SKIP 1

typedef struct camt_reader camt_reader;

/* filename is used in error messages only. */
int camt_reader_create(camt_reader **out, const camt_sink *sink, const char *filename) AB_MUSTCHECK;
/* Parses the next chunk; last=true on the final one (may be empty). */
int camt_reader_feed(camt_reader *r, const char *buf, size_t n, bool last) AB_MUSTCHECK;
/* After a failed feed: `FILE:LINE: field: reason`. */
const char *camt_reader_error(const camt_reader *r);
/* The message type and version seen in the namespace, e.g. "camt.053.001.02". */
const char *camt_reader_format(const camt_reader *r);
void camt_reader_destroy(camt_reader *r);

/* Convenience: stream a whole file through a reader. */
int camt_read_file(const char *path, const camt_sink *sink, char *err, size_t errlen) AB_MUSTCHECK;

#endif
