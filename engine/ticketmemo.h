/*
 * ticketmemo.h - what a ticket batch has said so far, for the checks that
 * compare a row with the earlier rows of the same file.
 *
 * Two questions per row, answered in memory while the file streams, so that
 * the import can COPY straight into abgleich.claims instead of staging the
 * batch for SQL to compare (jobs/import.c):
 *   - is this reference already used by an earlier row of the file?
 *   - is there an earlier row with the same plate key and TBNR within the
 *     duplicate window (a likely duplicate)?
 * The answers are those of the stage path's SQL: a row repeating a reference
 * is left out of the duplicate comparison; a likely duplicate still counts
 * as an earlier row for the rows after it; the first matching line is named.
 * Memory grows with the rows remembered, up to AB_TICKETS_FILE_MAX rows
 * (about 80 bytes a row); the caller owns the memo and destroys it.
 */
#ifndef AB_TICKETMEMO_H
#define AB_TICKETMEMO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct ticketmemo ticketmemo;

enum tmemo_verdict {
    TMEMO_NEW = 0,       /* remembered; insert it */
    TMEMO_REPEATED_REF,  /* the reference was used at *first_line */
    TMEMO_LIKELY_DUP,    /* same plate key and TBNR at *first_line, within the window */
    TMEMO_TOO_MANY,      /* AB_TICKETS_SAME_CAR_MAX earlier rows of this plate and TBNR */
};

/* window_secs: the duplicate window (fines_config.duplicate_window_minutes). */
int tmemo_create(ticketmemo **out, int64_t window_secs) AB_MUSTCHECK;
void tmemo_destroy(ticketmemo *m);

/* Checks one row against the earlier ones and remembers it (unless its
 * reference repeats).  Returns a verdict >= 0, or AB_E_LIMIT past
 * AB_TICKETS_FILE_MAX rows, AB_E_NOMEM. */
int tmemo_check(ticketmemo *m, unsigned long line, const char *ref, const char *plate_key,
                const char *tbnr, int64_t offense_time, unsigned long *first_line) AB_MUSTCHECK;

/* Rows remembered, and the earliest and latest offense time among them. */
size_t tmemo_rows(const ticketmemo *m);
int64_t tmemo_min_time(const ticketmemo *m);
int64_t tmemo_max_time(const ticketmemo *m);

#endif
