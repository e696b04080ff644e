/*
 * batches.c - a batch booking without details (a camt.053 entry with
 * Btch/NbOfTxs > 1 and no TxDtls) is settled by the camt.054 that resolves
 * it into its single payments.
 *
 * The matcher makes such a total a clarification batch_without_details
 * and never matches it (engine/matcher.c); the camt.054's transactions pay
 * the claims.  Here, once a file's clarifications are written, each open
 * batch clarification that this file brought, or whose camt.054 this file
 * brought, is settled by a ledger row 'batch_resolved' naming the camt.054
 * (sql/038_batches.sql).  The two belong together when the camt.054 has an
 * entry with the batch's account and bank reference (AcctSvcrRef) whose
 * transactions add up to the batch's amount; they may come in either
 * order.  Before, the total was a clarification "no_reference" beside the
 * single payments: refunded by a clerk, the money went out twice.
 */
#include "batches.h"

#include <stdlib.h>

#include "../engine/log.h"

static const char settle_sql[] =
    "WITH k AS (SELECT k.id, k.file_id, k.tx_seq, k.amount_cents, t.acct_svcr_ref,"
    "   f.name AS dname, g.file_id AS dfile"
    "  FROM abgleich.clarifications k"
    "  JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq)"
    /* An entry is its statement's (one Ntfctn of the file) entry_no. */
    "  CROSS JOIN LATERAL (SELECT c.file_id, c.statement_id, c.entry_no FROM ("
    "    SELECT DISTINCT u.file_id, u.statement_id, u.entry_no"
    "    FROM abgleich.bank_transactions u"
    "    JOIN abgleich.statements s ON s.id = u.statement_id"
    "    WHERE u.acct_svcr_ref = t.acct_svcr_ref AND u.account = t.account"
    "     AND abgleich.message_kind(s.format) = 'camt.054' AND NOT u.provisional) c"
    "   WHERE (SELECT sum(CASE WHEN v.direction = t.direction THEN v.amount_cents"
    "                     ELSE -v.amount_cents END)"
    "          FROM abgleich.bank_transactions v"
    "          WHERE v.statement_id = c.statement_id AND v.entry_no = c.entry_no"
    "           AND v.file_id = c.file_id) = t.amount_cents"
    "   ORDER BY c.file_id, c.statement_id, c.entry_no LIMIT 1) g"
    "  JOIN abgleich.input_files f ON f.id = g.file_id"
    "  WHERE k.reason = 'batch_without_details'"
    "   AND coalesce(t.acct_svcr_ref, '') NOT IN ('', 'NONREF')"
    "   AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a WHERE a.clarification_id = k.id)"
    "   AND $1::bigint IN (k.file_id, g.file_id)),"
    " ins AS (INSERT INTO abgleich.allocations (file_id, tx_seq, amount_cents, method,"
    "   confidence, explanation, explanation_en, clarification_id)"
    "  SELECT k.file_id, k.tx_seq, k.amount_cents, 'batch_resolved', 100,"
    "   format('Sammelbuchung über %s EUR (Bankreferenz %s), aufgelöst durch die"
    " Einzelzahlungen der camt.054 %s; diese bezahlen die Forderungen.',"
    "    abgleich.cents_de(k.amount_cents), k.acct_svcr_ref, k.dname),"
    "   format('Batch booking of %s EUR (bank reference %s), resolved by the single payments"
    " of the camt.054 %s, which pay the claims.',"
    "    abgleich.cents_en(k.amount_cents), k.acct_svcr_ref, k.dname), k.id"
    "  FROM k ORDER BY k.id RETURNING 1)"
    " SELECT k.file_id = $1::bigint, k.amount_cents, k.acct_svcr_ref, k.dname,"
    "  (SELECT count(*) FROM ins) FROM k ORDER BY k.id";

int batches_settle(pgsink *db, const char *file_id, batches_summary *s)
{
    *s = (batches_summary){0};
    const char *params[] = {file_id};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, settle_sql, 1, params, &res);
    if (rc < 0)
        return rc;
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        int64_t cents = strtoll(pgsink_result_value(res, i, 1), NULL, 10);
        log_info("batch booking %s resolved by the camt.054 %s", pgsink_result_value(res, i, 2),
                 pgsink_result_value(res, i, 3));
        if (*pgsink_result_value(res, i, 0) == 't') {
            s->here++;
            s->here_cents += cents;
        } else {
            s->earlier++;
        }
    }
    pgsink_result_free(res);
    return AB_OK;
}
