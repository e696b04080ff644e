/*
 * batches.c - a batch booking without details (a camt.053 entry with
 * Btch/NbOfTxs > 1 and no TxDtls, or an MT940 Sammler, sql/058; one
 * without a stated count tied by a bank reference only and then given the
 * camt.054's count, sql/064) is settled by the camt.054 that resolves it
 * into its single payments.
 *
 * The matcher makes such a total a clarification batch_without_details
 * and never matches it (engine/matcher.c); the camt.054's transactions pay
 * the claims.  Which camt.054 entry is the total's was decided while the
 * later of the two files was read (jobs/entrylink.c, by the strongest
 * identifier both state, sql/047_entry_links.sql).  Here, once that file's
 * clarifications are written, each batch total it linked is settled by a
 * ledger row 'batch_resolved' naming the camt.054 and how the two were
 * tied (sql/038_batches.sql); either may have come first.  Before 038 the
 * total was a clarification "no_reference" beside the single payments:
 * refunded by a clerk, the money went out twice; before 047 a camt.054
 * whose transactions carried their own AcctSvcrRef was not found.
 */
#include "batches.h"

#include <stdlib.h>

#include "../engine/log.h"

/* How a link was made, as a clerk reads it (sql/047, entry_pair_level). */
#define HOW_DE                                                                                  \
    "CASE k.how WHEN 'bank_reference' THEN CASE k.kind WHEN 'MT940' THEN 'die Bankreferenz"    \
    " (im MT940 nach // in :61:, in der camt.054 AcctSvcrRef)' ELSE"                           \
    " 'die Bankreferenz (AcctSvcrRef)' END"                                                     \
    " WHEN 'payment_information' THEN CASE k.kind WHEN 'MT940' THEN 'die Kundenreferenz des"   \
    " Sammlers (im MT940 KREF+, in der camt.054 Btch/PmtInfId)' ELSE"                           \
    " 'die Sammler-Referenz (Btch/PmtInfId)' END"                                               \
    " WHEN 'batch_message' THEN 'die Nachrichten-Referenz des Sammlers (Btch/MsgId)'"          \
    " WHEN 'end_to_end' THEN 'End-to-End-Referenzen'"                                          \
    " ELSE 'Betrag, Buchungstag und Postenzahl, die nur auf diese passen' END"
#define HOW_EN                                                                                  \
    "CASE k.how WHEN 'bank_reference' THEN CASE k.kind WHEN 'MT940' THEN 'the bank reference"  \
    " (the MT940 :61: after //, the camt.054 AcctSvcrRef)' ELSE"                               \
    " 'the bank reference (AcctSvcrRef)' END"                                                   \
    " WHEN 'payment_information' THEN CASE k.kind WHEN 'MT940' THEN 'the customer"             \
    " reference of the batch (the MT940 KREF+, the camt.054 Btch/PmtInfId)' ELSE"              \
    " 'the batch reference (Btch/PmtInfId)' END"                                                \
    " WHEN 'batch_message' THEN 'the batch message id (Btch/MsgId)'"                            \
    " WHEN 'end_to_end' THEN 'end-to-end ids'"                                                 \
    " ELSE 'amount, booking day and count, which fit these alone' END"

static const char settle_sql[] =
    "WITH k AS (SELECT k.id, k.file_id, k.tx_seq, k.amount_cents,"
    "   coalesce(abgleich.usable_id(t.acct_svcr_ref), '-') AS ref, l.how, f.name AS dname,"
    "   abgleich.message_kind(s.format) AS kind"
    "  FROM abgleich.entry_links l"
    "  JOIN abgleich.clarifications k ON (k.file_id, k.tx_seq) = (l.stmt_file, l.stmt_seq)"
    "  JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq)"
    "  JOIN abgleich.statements s ON s.id = l.stmt_statement"
    "  JOIN abgleich.input_files f ON f.id = l.ntf_file"
    "  WHERE l.file_id = $1::bigint AND l.total AND k.reason = 'batch_without_details'"
    "   AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a WHERE a.clarification_id = k.id)),"
    " ins AS (INSERT INTO abgleich.allocations (file_id, tx_seq, amount_cents, method,"
    "   confidence, explanation, explanation_en, clarification_id)"
    "  SELECT k.file_id, k.tx_seq, k.amount_cents, 'batch_resolved', 100,"
    "   format('Sammelbuchung über %s EUR (Bankreferenz %s), aufgelöst durch die"
    " Einzelzahlungen der camt.054 %s (verknüpft über %s); diese bezahlen die Forderungen.',"
    "    abgleich.cents_de(k.amount_cents), k.ref, k.dname, " HOW_DE "),"
    "   format('Batch booking of %s EUR (bank reference %s), resolved by the single payments"
    " of the camt.054 %s (linked by %s), which pay the claims.',"
    "    abgleich.cents_en(k.amount_cents), k.ref, k.dname, " HOW_EN "), k.id"
    "  FROM k ORDER BY k.id RETURNING 1)"
    " SELECT k.file_id = $1::bigint, k.amount_cents, k.ref, k.dname, k.how,"
    "  (SELECT count(*) FROM ins) FROM k ORDER BY k.id";

int batches_settle(pgsink *db, const char *file_id, batches_summary *s)
{
    *s = (batches_summary){0};
    const char *params[] = {file_id};
    pgsink_result *res = NULL;
    /* A total whose count was not stated takes its camt.054's (sql/064). */
    int rc = pgsink_query(db, "SELECT abgleich.batch_count_from_link($1::bigint)", 1, params,
                          &res);
    pgsink_result_free(res);
    res = NULL;
    if (rc < 0)
        return rc;
    rc = pgsink_query(db, settle_sql, 1, params, &res);
    if (rc < 0)
        return rc;
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        int64_t cents = strtoll(pgsink_result_value(res, i, 1), NULL, 10);
        log_info("batch booking %s resolved by the camt.054 %s (linked by %s)",
                 pgsink_result_value(res, i, 2), pgsink_result_value(res, i, 3),
                 pgsink_result_value(res, i, 4));
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
