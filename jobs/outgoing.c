/*
 * outgoing.c - our own transfers on a bank statement: what reconcile does
 * with the money the city sent (jobs/pay.c writes the pain.001).
 *
 * Three steps per statement file, in the file's transaction, after its
 * ledger rows and clarifications are written.  Where a step writes ledger
 * rows and changes invoices, the invoices change in a statement after the
 * rows': the database lets an invoice become paid or returned only as the
 * ledger says (sql/051), and a statement does not see its own rows.
 *   1. A booked debit pays an invoice in payment when it carries the
 *      EndToEndId of our pain.001 (ABG-<id>), or names the invoice number
 *      as a word of its remittance text, or goes to the invoice's IBAN;
 *      the amount must be the invoice's, and each debit pays one invoice at
 *      most (sql/030).  A ledger row names the invoice; it becomes paid.
 *   2. A booked debit that carries the EndToEndId of one of our payment
 *      orders and paid nothing in 1 (another amount, or an invoice not in
 *      payment: paid twice?) becomes a clarification
 *      invoice_debit_mismatch; before, nobody heard of it.  An invoice in
 *      payment whose debit went out with another amount is not set open
 *      again until the money comes back (sql/060).
 *   3. A credit the matcher found to be a transfer of ours that came back
 *      (clarification returned_transfer), or a bank reversal of our debit
 *      (RvslInd; reversal_without_original, as the matcher finds no
 *      citizen's credit it undoes), that carries the EndToEndId of a paid
 *      invoice reverses that invoice's payment (ledger row invoice_return),
 *      settles its clarification (returned), and the invoice becomes
 *      'returned': approved again, it is paid again (sql/032).  Only when
 *      the credit and the charges the bank states on it (camt Chrgs) make
 *      up the whole payment (sql/077): a part coming back stays a
 *      clarification that says why, and the invoice stays paid.  A return
 *      an earlier file brought, while the invoice was still in payment,
 *      is applied when the debit comes.
 * Every row says why in German and English.
 */
#include "outgoing.h"

#include <stdbool.h>
#include <stdlib.h>

#include "../engine/log.h"

static const char pay_sql[] =
    "WITH m AS (SELECT i.id, i.invoice_number, $1::bigint AS file_id,"
    "     CASE WHEN coalesce(i.payee_name, '') IN ('', i.seller_name) THEN i.seller_name"
    "          ELSE i.payee_name || ' (' || i.seller_name || ')' END AS seller_name,"
    "     p.tx_seq AS seq, i.amount_due_cents AS amount_cents, p.how"
    "   FROM abgleich.invoice_debit_pairs($1::bigint) p"
    "   JOIN abgleich.invoices i ON i.id = p.invoice_id"
    /* Locked, and still in payment once locked: a clerk who set the
     * invoice open meanwhile (sql/051) wins, and its debit is a
     * clarification (2.) rather than a payment of an open invoice. */
    "   WHERE i.status = 'in_payment' FOR UPDATE OF i),"
    " ins AS (INSERT INTO abgleich.allocations (invoice_id, file_id, tx_seq, amount_cents,"
    "     method, confidence, explanation, explanation_en)"
    "   SELECT m.id, m.file_id, m.seq, m.amount_cents, 'invoice_payment',"
    "     CASE m.how WHEN 'e2e' THEN 100 WHEN 'number' THEN 90 ELSE 80 END,"
    "     format('Zahlung der Rechnung %s an %s: %s', m.invoice_number, m.seller_name,"
    "       CASE m.how WHEN 'e2e' THEN 'die Bank meldet die EndToEndId unseres Zahlungsauftrags zurück'"
    "            WHEN 'number' THEN 'die Rechnungsnummer steht im Verwendungszweck, der Betrag stimmt'"
    "            ELSE 'Betrag und IBAN des Empfängers stimmen mit der Rechnung überein' END),"
    "     format('payment of invoice %s to %s: %s', m.invoice_number, m.seller_name,"
    "       CASE m.how WHEN 'e2e' THEN 'the bank reports the EndToEndId of our payment order back'"
    "            WHEN 'number' THEN 'the invoice number is in the remittance text and the amount matches'"
    "            ELSE 'the amount and the payee IBAN match the invoice' END)"
    "   FROM m RETURNING invoice_id, amount_cents)"
    " SELECT count(*), coalesce(sum(amount_cents), 0) FROM ins";

/* The invoices the ledger rows of pay_sql paid, in a statement of their
 * own: sql/051's trigger lets an invoice become paid only with such a row,
 * and the sub-statements of one statement do not see each other's rows. */
static const char paid_sql[] =
    "UPDATE abgleich.invoices SET status = 'paid'"
    " WHERE id IN (SELECT a.invoice_id FROM abgleich.allocations a"
    "  WHERE a.file_id = $1::bigint AND a.method = 'invoice_payment')";

/* An invoice's status in the clerk's words. */
#define STATUS_DE(s)                                                                       \
    "CASE " s " WHEN 'open' THEN 'noch nicht freigegeben' WHEN 'approved' THEN 'freigegeben,"   \
    " aber nicht in Zahlung' WHEN 'paid' THEN 'schon bezahlt' ELSE 'zurückgekommen' END"
#define STATUS_EN(s)                                                                       \
    "CASE " s " WHEN 'open' THEN 'not approved yet' WHEN 'approved' THEN 'approved, but not"   \
    " in payment' WHEN 'paid' THEN 'already paid' ELSE 'returned' END"

static const char mismatch_sql[] =
    "WITH d AS (SELECT t.file_id, t.seq, t.amount_cents, t.end_to_end_id, i.invoice_number,"
    "   i.seller_name, i.amount_due_cents AS due, i.status"
    "  FROM abgleich.bank_transactions t"
    "  JOIN abgleich.invoices i ON i.end_to_end_id = t.end_to_end_id"
    "  WHERE t.file_id = $1::bigint AND t.direction = 'D' AND NOT t.reversal AND NOT t.returned"
    "   AND coalesce(t.status, 'BOOK') = 'BOOK' AND NOT t.provisional"
    "   AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a WHERE a.file_id = t.file_id"
    "                   AND a.tx_seq = t.seq AND a.invoice_id IS NOT NULL)),"
    " ins AS (INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents,"
    "   explanation, explanation_en)"
    "  SELECT d.file_id, d.seq, 'invoice_debit_mismatch', d.amount_cents,"
    "   format('Abgang über %s EUR mit der End-to-End-Referenz %s unseres Zahlungsauftrags für"
    " die Rechnung %s an %s über %s EUR, ' || CASE WHEN d.status = 'in_payment'"
    " THEN 'aber mit anderem Betrag: die Rechnung gilt nicht als bezahlt und bleibt in Zahlung,"
    " bis das Geld zurückkommt (wieder geöffnet würde sie ein zweites Mal voll gezahlt).'"
    " ELSE 'die ' || " STATUS_DE("d.status") " || ' ist: womöglich doppelt gezahlt.' END"
    " || ' Mit der Bank klären, dann den Klärfall schließen.',"
    "    abgleich.cents_de(d.amount_cents), d.end_to_end_id, d.invoice_number, d.seller_name,"
    "    abgleich.cents_de(d.due)),"
    "   format('Debit of %s EUR with the end-to-end id %s of our payment order for invoice %s"
    " to %s of %s EUR, ' || CASE WHEN d.status = 'in_payment'"
    " THEN 'but of another amount: the invoice is not taken as paid and stays in payment until"
    " the money comes back (set open, it would be paid in full a second time).'"
    " ELSE 'which is ' || " STATUS_EN("d.status") " || ': perhaps paid twice.' END"
    " || ' Sort it out with the bank, then close the clarification.',"
    "    abgleich.cents_en(d.amount_cents), d.end_to_end_id, d.invoice_number, d.seller_name,"
    "    abgleich.cents_en(d.due))"
    "  FROM d ORDER BY d.seq RETURNING amount_cents)"
    " SELECT count(*), coalesce(sum(amount_cents), 0) FROM ins";

/* Step 3, among the credits abgleich.invoice_return_candidates names
 * (sql/077: this file's returns and bank reversals of our debits, and the
 * returns of earlier files whose debit this file brought).  Only a credit
 * that, with the charges the bank states on it (camt Chrgs,
 * charges_cents), makes up the whole payment reverses it: a return of 1.00
 * EUR reversed a payment of 107.00, and the invoice, approved again, was
 * paid again in full.  One credit per invoice, the earliest; a credit's
 * EndToEndId names one invoice, so each is used once. */
static const char returned_sql[] =
    "WITH k AS (SELECT DISTINCT ON (ct.inv) ct.*"
    "  FROM abgleich.invoice_return_candidates($1::bigint) ct WHERE ct.back + ct.chg = ct.paid"
    "  ORDER BY ct.inv, ct.file_id, ct.tx_seq),"
    " rev AS (INSERT INTO abgleich.allocations (invoice_id, file_id, tx_seq, amount_cents,"
    "   method, confidence, explanation, explanation_en, reverses)"
    "  SELECT k.inv, k.file_id, k.tx_seq, -k.paid, 'invoice_return', 100,"
    "   CASE WHEN k.reversal THEN format('Die Bank hat die Belastung unserer Überweisung für die"
    " Rechnung %s an %s storniert (Rückbuchung);', k.invoice_number, k.seller_name)"
    "   ELSE format('Unsere Überweisung für die Rechnung %s an %s kam zurück (Grund %s);',"
    "    k.invoice_number, k.seller_name, k.why) END"
    "   || format(' die Zahlung über %s EUR (Zuordnung #%s) ist aufgehoben. Die Rechnung ist"
    " zurückgekommen: Bankverbindung des Empfängers prüfen und erneut freigeben.',"
    "    abgleich.cents_de(k.paid), k.aid),"
    "   CASE WHEN k.reversal THEN format('The bank reversed the debit of our transfer for"
    " invoice %s to %s;', k.invoice_number, k.seller_name)"
    "   ELSE format('Our transfer for invoice %s to %s came back (reason %s);',"
    "    k.invoice_number, k.seller_name, k.why) END"
    "   || format(' the payment of %s EUR (allocation #%s) is reversed. The invoice is"
    " returned: check the payee''s bank details and approve it again.',"
    "    abgleich.cents_en(k.paid), k.aid), k.aid"
    "  FROM k ORDER BY k.file_id, k.tx_seq RETURNING invoice_id),"
    " stl AS (INSERT INTO abgleich.allocations (file_id, tx_seq, amount_cents, method,"
    "   confidence, explanation, explanation_en, clarification_id)"
    "  SELECT k.file_id, k.tx_seq, k.back, 'returned', 100,"
    "   format('Die Gutschrift ist unsere Zahlung der Rechnung %s, die zurückkam; damit"
    " erledigt.', k.invoice_number)"
    "   || CASE WHEN k.chg > 0 THEN format(' Die Bank hat %s EUR einbehalten.',"
    "    abgleich.cents_de(k.chg)) ELSE '' END,"
    "   format('The credit is our payment of invoice %s coming back; settled with it.',"
    "    k.invoice_number)"
    "   || CASE WHEN k.chg > 0 THEN format(' The banks kept %s EUR.',"
    "    abgleich.cents_en(k.chg)) ELSE '' END, k.kid"
    "  FROM k ORDER BY k.file_id, k.tx_seq RETURNING 1)"
    " SELECT k.invoice_number, k.seller_name, k.back, k.why, k.earlier, k.reversal FROM k"
    " ORDER BY k.file_id, k.tx_seq";

/* The invoices whose payment returned_sql reversed, after it (as paid_sql
 * after pay_sql): sql/051 lets a paid invoice become returned only when no
 * payment of it is left in the ledger.  The return may be of an earlier
 * file than the payment it reverses (sql/077). */
static const char returned_status_sql[] =
    "UPDATE abgleich.invoices SET status = 'returned'"
    " WHERE status = 'paid' AND id IN (SELECT a.invoice_id FROM abgleich.allocations a"
    "  WHERE a.method = 'invoice_return' AND (a.file_id = $1::bigint"
    "   OR a.reverses IN (SELECT p.id FROM abgleich.allocations p"
    "    WHERE p.file_id = $1::bigint AND p.method = 'invoice_payment')))";

/* A credit bringing back part of a paid invoice's transfer reverses
 * nothing (returned_sql); its clarification stays for a clerk and says
 * why (sql/077, as the owner: the treasury may not rewrite
 * clarifications).  Before, it reversed the whole payment. */
static const char part_back_sql[] = "SELECT abgleich.invoice_part_back($1::bigint)";

/* A statement whose one row is (count, cents). */
static int count_query(pgsink *db, const char *sql, const char *file_id, int64_t *n,
                       int64_t *cents)
{
    const char *params[] = {file_id};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, sql, 1, params, &res);
    if (rc == AB_OK) {
        *n = strtoll(pgsink_result_value(res, 0, 0), NULL, 10);
        *cents = strtoll(pgsink_result_value(res, 0, 1), NULL, 10);
    }
    pgsink_result_free(res);
    return rc;
}

static int settle_returns(pgsink *db, const char *file_id, outgoing_summary *s)
{
    const char *params[] = {file_id};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, returned_sql, 1, params, &res);
    if (rc < 0) {
        pgsink_result_free(res);
        return rc;
    }
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        bool reversal = pgsink_result_value(res, i, 5)[0] == 't';
        int64_t cents = strtoll(pgsink_result_value(res, i, 2), NULL, 10);
        log_warn("invoice %s of %s: our transfer came back (%s%s); check the payee's"
                 " bank details and approve it again",
                 pgsink_result_value(res, i, 0), pgsink_result_value(res, i, 1),
                 reversal ? "the bank reversed the debit" : "reason ",
                 reversal ? "" : pgsink_result_value(res, i, 3));
        /* Which clarification count of this file it leaves (reconcile.c):
         * one of an earlier file was counted there. */
        if (pgsink_result_value(res, i, 4)[0] == 't') {
            s->returned_earlier++;
            s->returned_earlier_cents += cents;
        } else if (reversal) {
            s->reversed++;
            s->reversed_cents += cents;
        } else {
            s->returned++;
            s->returned_cents += cents;
        }
    }
    pgsink_result_free(res);
    rc = pgsink_query(db, returned_status_sql, 1, params, NULL);
    if (rc == AB_OK)
        rc = pgsink_query(db, part_back_sql, 1, params, NULL);
    return rc;
}

int outgoing_settle(pgsink *db, const char *file_id, outgoing_summary *s)
{
    *s = (outgoing_summary){0};
    const char *params[] = {file_id};
    int rc = count_query(db, pay_sql, file_id, &s->paid, &s->paid_cents);
    if (rc == AB_OK)
        rc = pgsink_query(db, paid_sql, 1, params, NULL);
    if (rc == AB_OK)
        rc = count_query(db, mismatch_sql, file_id, &s->mismatched, &s->mismatched_cents);
    if (rc == AB_OK)
        rc = settle_returns(db, file_id, s);
    return rc;
}
