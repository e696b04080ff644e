/*
 * stmtgrow.h - a bank statement met again: the same, grown at its end, or
 * changed (jobs/stmtgrow.c, used by reconcile).
 *
 * A statement is imported once.  When a later file states it again (a bank
 * sending it anew, or a FinTS fetch of the day repeated after more
 * bookings arrived), its transactions are compared, in order, with the
 * transaction keys stored for it (engine/returns.h returns_tx_key): the
 * same ones, then perhaps more.  The more are new bookings and are
 * imported; anything else (a stored one missing, changed or moved) is
 * refused, because nothing tells which of two differing versions the
 * money followed.  The caller owns a stmtgrow and frees it with
 * stmtgrow_free.
 */
#ifndef AB_STMTGROW_H
#define AB_STMTGROW_H

#include <stddef.h>

#include "../engine/err.h"
#include "../engine/pgsink.h"

typedef struct stmtgrow stmtgrow;

/* The stored keys of statement stmt_id (abgleich.statements.id), in the
 * statement's order, and the name of the file that brought it. */
int stmtgrow_load(pgsink *db, const char *stmt_id, stmtgrow **out) AB_MUSTCHECK;
void stmtgrow_free(stmtgrow *g);

enum { STMTGROW_KNOWN = 1, STMTGROW_NEW = 0 };

/* The next transaction of the statement met again, by its key: KNOWN (the
 * stored one at this place: skip it), NEW (past the stored ones: import
 * it), or AB_E_REJECTED (it differs from the stored one here). */
int stmtgrow_next(stmtgrow *g, const char key[33]);

size_t stmtgrow_stored(const stmtgrow *g);     /* transactions stored */
size_t stmtgrow_matched(const stmtgrow *g);    /* of them met again so far */
const char *stmtgrow_file(const stmtgrow *g);  /* the file that brought them */

#endif
