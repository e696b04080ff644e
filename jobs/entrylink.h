/*
 * entrylink.h - a camt.054 entry and the camt.053 entry it notifies, tied
 * together while reconcile reads them (jobs/entrylink.c,
 * sql/047_entry_links.sql).
 *
 * A bank books a batch once on the statement (camt.053) and may tell its
 * single payments again in a notification (camt.054), in either order.
 * Before a batch of payments is matched, the entries of a camt.053 or
 * camt.054 statement (and the Sammler totals of an MT940 statement, which
 * stands as a camt.053) are compared with the other message's stored entries;
 * a link is recorded in abgleich.entry_links, and the payments of an entry
 * that the other message booked already are marked (payment.booked_in:
 * stored, never matched), or, when more than one entry there could be it,
 * left to a clerk (payment.maybe_booked_in).  A batch total linked to its
 * camt.054 is settled after the file's clarifications are written
 * (jobs/batches.c).
 *
 * Use: entrylink_statement when a statement begins, before its COPY opens;
 * per batch entrylink_gather, and when it returns 1, pause the COPY and
 * call entrylink_run.  The caller owns the connection.
 */
#ifndef AB_ENTRYLINK_H
#define AB_ENTRYLINK_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/err.h"
#include "../engine/payment.h"
#include "../engine/pgsink.h"

typedef struct entrylink entrylink;

/* The i-th payment of the batch, and its bank_transactions.seq. */
typedef payment *(*entrylink_at)(void *ctx, size_t i, uint32_t *seq);

int entrylink_create(entrylink **out) AB_MUSTCHECK;
void entrylink_destroy(entrylink *l);

/* A statement begins: path names the file in messages; stmt_db_id is its
 * abgleich.statements.id.  For a camt.053 it reads the days on which
 * camt.054 entries wait for their statement (none: nothing to do). */
int entrylink_statement(entrylink *l, pgsink *db, const char *path, const char *file_id,
                        const char *stmt_db_id, const statement *st) AB_MUSTCHECK;

/* 1 when the batch has entries to compare (entrylink_run then needs the
 * connection), 0 when not, or an error. */
int entrylink_gather(entrylink *l, entrylink_at at, void *ctx, size_t n) AB_MUSTCHECK;

/* Links the gathered entries and marks their payments. */
int entrylink_run(entrylink *l, pgsink *db, entrylink_at at, void *ctx, size_t n) AB_MUSTCHECK;

/* The values reconcile stores for a payment, which are those the links
 * compare: the entry's AcctSvcrRef where the transaction has its own
 * (else NULL), the entry's signed amount and count where it has more than
 * one transaction (else 0), the count of a batch total without details
 * (0 when the bank states none, sql/064; -1: no batch total, stored NULL). */
const char *entrylink_entry_ref(const payment *p);
int64_t entrylink_entry_cents(const payment *p);
uint32_t entrylink_entry_txs(const payment *p);
int64_t entrylink_batch_txs(const payment *p);

#endif
