/*
 * returns.h - which booked payments are returns (R-transactions) and which
 * key identifies a transaction across imports.
 *
 * A return gives back money that came in: the debtor's bank returns a direct
 * debit (Rücklastschrift) or a credit transfer comes back (Retoure).  It is a
 * debit and carries one of: an ISO reason (CAMT RtrInf/Rsn, or an MT940 ?34
 * key 901-917 mapped to it), an ISO bank transaction sub-family for returns
 * (RRTN, UPDD, RPCR, ARET), or a German GVC for returns (059, 109, 159) in
 * the DK form "TYPE+GVC+..." that both readers produce.  Pure functions;
 * nothing allocated.
 */
#ifndef AB_RETURNS_H
#define AB_RETURNS_H

#include <stdbool.h>
#include <stddef.h>

#include "payment.h"

/* True when p is a booked-or-not debit that returns an earlier credit. */
bool returns_is_return(const payment *p);
/* True when p is a credit with the same signals: a transfer the treasury
 * sent that came back (a refund to a closed account, say).  It is not a
 * citizen's payment, so it never pays a claim. */
bool returns_is_returned_transfer(const payment *p);

/* The ISO reason of a DK ?34 return key ("902" -> "AC04"), NULL when the
 * key is no return key. */
const char *returns_textkey_reason(const char *key, size_t n);

/* A transaction key for idempotent import, 32 hex digits: XXH3-128 over the
 * statement (format family, account, id, sequence number) and the
 * transaction (entry and transaction number, bank reference, EndToEndId,
 * amount, direction, dates, counterparty, remittance).  Positions make it
 * unique inside a statement where EndToEndId is NOTPROVIDED and the bank
 * reference NONREF; the statement fields make it unique across statements.
 * The database's unique index leads with the stored account, booking date
 * and positions (sql/021_write_paths.sql): a writer must store exactly the
 * values hashed here, or equal keys stop being refused. */
void returns_tx_key(const statement *st, const payment *p, char hex[33]);

#endif
