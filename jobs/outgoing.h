/*
 * outgoing.h - our own transfers on a bank statement (jobs/outgoing.c):
 * the debits that pay e-invoices, the debits carrying our EndToEndId that
 * pay none, and our transfers that the payee's bank sent back.  reconcile
 * calls it inside each statement file's transaction, after the file's
 * clarifications are written.  The caller owns the connection and the
 * summary; nothing is kept between calls.
 */
#ifndef AB_OUTGOING_H
#define AB_OUTGOING_H

#include <stdint.h>

#include "../engine/pgsink.h"

typedef struct outgoing_summary {
    int64_t paid, paid_cents;             /* debits that paid an invoice */
    int64_t mismatched, mismatched_cents; /* our debits paying none: clarifications */
    /* Our transfers back, invoices returned, by the clarification settled:
     * this file's returned_transfer; this file's reversal_without_original
     * (the bank reversed our debit); one of an earlier file (the return
     * came before its debit).  Each once. */
    int64_t returned, returned_cents;
    int64_t reversed, reversed_cents;
    int64_t returned_earlier, returned_earlier_cents;
} outgoing_summary;

/* The outgoing payments of statement file file_id; *s is filled. */
int outgoing_settle(pgsink *db, const char *file_id, outgoing_summary *s) AB_MUSTCHECK;

#endif
