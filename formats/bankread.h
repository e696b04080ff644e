/*
 * bankread.h - one bank statement reader behind one set of calls: the file's
 * format is judged by content (detect.h) and the CAMT reader (camt.052/053/
 * 054) or the MT940/MT942 reader is chosen; both hand the same statement and
 * payment records to the same camt_sink.
 *
 * Used by reconcile and inspect so that every command reads every bank
 * format the same way.  The caller owns the bankread and destroys it; it owns
 * the reader inside.  The sink's strings die when its callback returns.
 */
#ifndef AB_BANKREAD_H
#define AB_BANKREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/err.h"
#include "camt.h"
#include "detect.h"

typedef struct bankread bankread;

/* Detects the format of path and creates the reader.  A file that is no
 * bank statement (CSV, unknown) is AB_E_REJECTED with a reason in err;
 * an unreadable one AB_E_IO.  On error *out is NULL. */
int bankread_create(bankread **out, const char *path, const camt_sink *sink, char *err,
                    size_t errlen) AB_MUSTCHECK;
/* Parses the next chunk; last=true on the final one (may be empty). */
int bankread_feed(bankread *b, const char *buf, size_t n, bool last) AB_MUSTCHECK;
/* After a failed feed: `FILE:LINE: field: reason`. */
const char *bankread_error(const bankread *b);
/* "camt.053.001.08", "MT940", ...; the detected family before any statement. */
const char *bankread_format(const bankread *b);
enum detect_format bankread_kind(const bankread *b);
void bankread_destroy(bankread *b);

#endif
