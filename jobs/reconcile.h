/*
 * reconcile.h - reconciliation as a library call, shared by `reconcile` and
 * `demo`.  The caller owns the connection and the session; the summary is
 * plain data.
 */
#ifndef AB_RECONCILE_H
#define AB_RECONCILE_H

#include <stdint.h>

#include "../engine/matcher.h"
#include "../engine/pgsink.h"
#include "../engine/progress.h"
#include "cli.h"

#define REC_REASONS MR_COUNT

typedef struct rec_summary {
    int64_t files, files_reconciled, files_skipped, files_failed;
    int64_t statements, statements_skipped;
    int64_t transactions, transactions_cents;
    int64_t allocated, allocated_cents;   /* payments with an allocation, cents allocated */
    int64_t reversed, reversed_cents;     /* allocations reversed by reversal entries */
    int64_t clarified, clarified_cents;
    int64_t by_reason[REC_REASONS], by_reason_cents[REC_REASONS];
    int64_t debits, debits_cents;       /* stored, matched to nothing */
    int64_t invoices, invoices_cents;   /* debits that paid e-invoices (jobs/outgoing.c) */
    int64_t invoices_returned, invoices_returned_cents; /* credits: our transfers back */
    int64_t batches_resolved;           /* batch totals settled by their camt.054 */
    int64_t not_booked, not_booked_cents; /* pending/info entries: stored, not matched */
    /* Second sightings, stored and not matched again: a camt.053/054 entry
     * the other message booked (jobs/entrylink.c), or a booking of an
     * earlier statement sent again under another Id (jobs/resent.c). */
    int64_t already_booked, already_booked_cents;
} rec_summary;

typedef struct reconciler reconciler;

/* Connects nothing: uses db.  Takes the reconcile lock and loads the claims. */
int reconciler_open(reconciler **out, pgsink *db, const cli_opts *o) AB_MUSTCHECK;
int reconciler_file(reconciler *r, const char *path, rec_summary *sum) AB_MUSTCHECK;
void reconciler_close(reconciler *r);
/* Draw progress by bytes read (the caller owns p and ends it). */
void reconciler_set_progress(reconciler *r, progress *p);
void rec_summary_json(const rec_summary *s);
/* The summary on stderr, in German, in English when en (--lang en). */
void rec_summary_print(const rec_summary *s, int en);

#endif
