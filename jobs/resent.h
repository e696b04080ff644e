/*
 * resent.h - a transaction that an earlier statement of the same account
 * and message kind booked already, found by the bank's reference
 * (jobs/resent.c, sql/055_resent_statements.sql; used by reconcile).
 *
 * A bank may send a statement again under a new statement Id; when the
 * statement is not recognised as a whole (jobs/reconcile_stmt.c: by its Id, its
 * sequence number, or its balances and first transaction), its
 * transactions are: one whose bank reference (AcctSvcrRef; not NONREF and
 * the like, not one repeated over several entries of the batch) names a
 * stored, booked transaction of the account in another statement of the
 * same kind (not itself a sighting marked here; one entrylink stored as
 * provisional counts), with the same amount, direction, booking day,
 * payer's IBAN and remittance text (sql/062), is that booking seen again.  One stored booking fits: the payment is
 * marked booked (payment.booked_in, .seen_file/.seen_seq; stored as
 * provisional, never matched, counted already_booked).  More than one fits:
 * payment.maybe_booked_in, provisional (a clarification possible_duplicate).
 * Amount and day alone never tie two transactions.
 *
 * Cost: the stored statements' booked days come with the statement's one
 * identity query (resent_add_days); a batch none of whose payments falls
 * on such a day asks nothing.  Else one query per batch, a probe of the
 * AcctSvcrRef index per payment asked about.
 *
 * Use: resent_statement when a statement begins, resent_add_days per
 * stored range, resent_gather per batch, and when it returns 1 pause the
 * COPY and call resent_run.  Payments entrylink marked already are left.
 */
#ifndef AB_RESENT_H
#define AB_RESENT_H

#include <stddef.h>

#include "../engine/err.h"
#include "../engine/payment.h"
#include "../engine/pgsink.h"
#include "entrylink.h"

typedef struct resent resent;

int resent_create(resent **out) AB_MUSTCHECK;
void resent_destroy(resent *s);

/* A statement begins (path names the file in messages); forgets the days. */
void resent_statement(resent *s, const char *path, const statement *st);

/* The booked days of a stored statement of the account and kind
 * (YYYY-MM-DD each). */
int resent_add_days(resent *s, const char *from, const char *to) AB_MUSTCHECK;

/* 1 when the batch has payments to ask about, 0 when not, or an error. */
int resent_gather(resent *s, entrylink_at at, void *ctx, size_t n) AB_MUSTCHECK;

/* Asks about the gathered payments (stmt_db_id: the statement being read,
 * whose own rows are never an earlier sighting) and marks them. */
int resent_run(resent *s, pgsink *db, const char *stmt_db_id, entrylink_at at, void *ctx,
               size_t n) AB_MUSTCHECK;

#endif
