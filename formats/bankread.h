/*
 * bankread.h - one bank statement reader behind one set of calls: the file's
 * format is judged by content (detect.h) and the CAMT reader (camt.052/053/
 * 054) or the MT940/MT942 reader is chosen; both hand the same statement and
 * payment records to the same camt_sink.  bankread_path also opens ZIP
 * containers as banks deliver them (libzip), under the AB_ZIP_* caps.
 *
 * Used by reconcile and inspect so that every command reads every bank
 * format the same way.  The caller owns a bankread and destroys it; it owns
 * the reader inside.  The sink's strings die when its callback returns.
 */
#ifndef AB_BANKREAD_H
#define AB_BANKREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/err.h"
#include "camt.h"
#include "detect.h"

typedef struct bankread bankread;

/* Detects the format of path and creates the reader.  A file that is no
 * bank statement (CSV, ZIP, unknown) is AB_E_REJECTED with a reason in err;
 * an unreadable one AB_E_IO.  On error *out is NULL. */
int bankread_create(bankread **out, const char *path, const camt_sink *sink, char *err,
                    size_t errlen) AB_MUSTCHECK;
/* Parses the next chunk; last=true on the final one (may be empty). */
int bankread_feed(bankread *b, const char *buf, size_t n, bool last) AB_MUSTCHECK;
/* After a failed feed: `FILE:LINE: field: reason`. */
const char *bankread_error(const bankread *b);
/* "camt.053.001.08", "MT940", ...; the detected family before any statement. */
const char *bankread_format(const bankread *b);
void bankread_destroy(bankread *b);

/* Called with the bytes of path consumed so far (for a ZIP: estimated from
 * the members' inflated sizes). */
typedef void (*bankread_progress)(void *ctx, int64_t bytes);

/* Streams the whole file at path through sink: a statement file, or a ZIP
 * container whose members are read one after the other, each by the reader
 * its content calls for, named "PATH:MEMBER" in errors.  Members that are
 * no bank statement are skipped with a warning; nested archives, members
 * beyond the AB_ZIP_* caps and a container without any statement are
 * errors.  fmt receives the format read ("zip" for a container), err the
 * reason of a failure.  prog may be NULL. */
int bankread_path(const char *path, const camt_sink *sink, bankread_progress prog, void *pctx,
                  char *fmt, size_t fmtlen, char *err, size_t errlen) AB_MUSTCHECK;

#endif
