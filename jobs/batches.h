/*
 * batches.h - batch bookings without details, settled by the camt.054 that
 * resolves them (jobs/batches.c).  reconcile calls it inside each
 * statement file's transaction, after the file's clarifications are
 * written.  The caller owns the connection and the summary.
 */
#ifndef AB_BATCHES_H
#define AB_BATCHES_H

#include <stdint.h>

#include "../engine/pgsink.h"

typedef struct batches_summary {
    int64_t here, here_cents;   /* this file's batch totals settled */
    int64_t earlier;            /* earlier files' batch totals this file settled */
} batches_summary;

int batches_settle(pgsink *db, const char *file_id, batches_summary *s) AB_MUSTCHECK;

#endif
