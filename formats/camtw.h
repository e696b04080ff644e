/*
 * camtw.h - a streaming writer of camt.053.001.08 statements (one
 * statement, one TxDtls per entry), valid against the ISO schema.
 *
 * Both balances are given up front because the schema puts them before the
 * entries; the generator computes them in a first pass.  The caller owns
 * the FILE; camtw_close writes the end tags, it does not close the FILE.
 */
#ifndef AB_CAMTW_H
#define AB_CAMTW_H

#include <stdint.h>
#include <stdio.h>

typedef struct camtw_header {
    const char *msg_id, *stmt_id, *created;   /* created: YYYY-MM-DDThh:mm:ss */
    uint64_t elec_seq;
    const char *iban, *bic, *date;            /* date: YYYY-MM-DD */
    int64_t opening_cents, closing_cents;     /* signed */
} camtw_header;

typedef struct camtw_tx {
    int64_t amount_cents;                     /* > 0 */
    char direction;                           /* 'C' or 'D' */
    int reversal;                             /* RvslInd true */
    const char *acct_svcr_ref, *end_to_end_id;
    const char *party_name, *party_iban;      /* debtor for credits, creditor for debits */
    const char *ustrd[4];                     /* up to four lines, NULL-terminated early */
    const char *strd_ref;                     /* NULL: none */
} camtw_tx;

void camtw_open(FILE *f, const camtw_header *h);
void camtw_entry(FILE *f, const camtw_header *h, const camtw_tx *tx);
void camtw_close(FILE *f);

#endif
