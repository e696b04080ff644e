/*
 * fines.h - the fines office's hooks into the treasury's jobs.
 * The caller owns the connection; nothing is kept between calls.
 */
#ifndef AB_FINES_H
#define AB_FINES_H

#include <stdint.h>

#include "../engine/pgsink.h"

/* After a reconcile run: overpayments still waiting for a clerk settle the
 * other open claims of the same plate (fines_config.offset_surplus), in a
 * transaction of their own.  *offsets, *cents: what was set off. */
int fines_offset_surplus(pgsink *db, int64_t *offsets, int64_t *cents) AB_MUSTCHECK;

/* After a bulk write has committed (a ticket batch, a night's ledger):
 * ANALYZE the ledger tables that grew by more than a fifth since their
 * statistics (sql/019_stats.sql), so that the next statements are planned
 * for the data as it is.  Outside a transaction.  Best effort: a failure
 * is logged as a warning and changes nothing stored, so there is nothing
 * to return. */
void fines_refresh_stats(pgsink *db);

/* The same inside the caller's open transaction, under a savepoint: ANALYZE
 * counts the transaction's own new rows, so its next statements (the
 * ledger's triggers) are planned for them.  A failure of the refresh is a
 * warning and leaves the transaction as it was; an error here means the
 * transaction itself is broken. */
int fines_refresh_stats_tx(pgsink *db) AB_MUSTCHECK;

#endif
