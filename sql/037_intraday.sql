-- 037_intraday.sql - intraday reports are stored, never matched; and a
-- statement is known by its message type too (the bank audit found both).
--
-- A camt.052 (or MT942) reports bookings of the day before the statement
-- (camt.053, MT940) states them again.  Both were matched: 20.00 EUR that
-- arrived once paid a claim twice (bank_transactions.provisional marks the
-- report's rows now; the matcher, the reversals and the invoice debits
-- leave them alone, and the statement pays).  And a statement was "seen"
-- when an earlier file of any type had its Id or electronic sequence
-- number, which the bank counts per message type: a camt.053 following a
-- camt.052 with ElctrncSeqNb 5 was skipped, its payments never booked.
-- The message type ("camt.053", "MT940": abgleich.message_kind) is now
-- part of a statement's identity, here and in reconcile's check.
CREATE FUNCTION abgleich.message_kind(p_format text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_format ILIKE 'camt.0%' THEN left(p_format, 8)
                ELSE upper(coalesce(p_format, '')) END
$$;

ALTER TABLE abgleich.statements DROP CONSTRAINT statements_account_stmt_id_key;
CREATE UNIQUE INDEX statements_identity
    ON abgleich.statements (account, abgleich.message_kind(format), stmt_id);

ALTER TABLE abgleich.bank_transactions
    ADD COLUMN provisional boolean NOT NULL DEFAULT false;

-- 030's pairing, leaving a report's debits out: the statement's pays.
CREATE OR REPLACE FUNCTION abgleich.invoice_debit_pairs(p_file bigint)
RETURNS TABLE (invoice_id bigint, tx_seq int, how text)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    c record;
    used_i bigint[] := '{}';
    used_d int[] := '{}';
BEGIN
    FOR c IN
        SELECT i.id AS inv, d.seq AS dseq, x.kind
        FROM abgleich.bank_transactions d
        JOIN abgleich.invoices i ON i.status = 'in_payment' AND i.amount_due_cents = d.amount_cents
        CROSS JOIN LATERAL (
            SELECT CASE
                WHEN i.end_to_end_id = d.end_to_end_id THEN 'e2e'
                WHEN coalesce(d.remittance, '') ~ ('(^|[^[:alnum:]])'
                     || regexp_replace(i.invoice_number, '([^[:alnum:][:space:]])', '\\\1', 'g')
                     || '($|[^[:alnum:]])') THEN 'number'
                WHEN replace(d.debtor_iban, ' ', '') = i.iban THEN 'iban' END AS kind) x
        WHERE d.file_id = p_file AND d.direction = 'D' AND NOT d.reversal AND NOT d.returned
          AND coalesce(d.status, 'BOOK') = 'BOOK' AND NOT d.provisional AND x.kind IS NOT NULL
          AND (x.kind = 'e2e' OR NOT EXISTS (SELECT 1 FROM abgleich.invoices j
                                             WHERE j.end_to_end_id = d.end_to_end_id))
        ORDER BY CASE x.kind WHEN 'e2e' THEN 0 WHEN 'number' THEN 1 ELSE 2 END, i.id, d.seq
    LOOP
        CONTINUE WHEN c.inv = ANY (used_i) OR c.dseq = ANY (used_d);
        used_i := used_i || c.inv;
        used_d := used_d || c.dseq;
        invoice_id := c.inv;
        tx_seq := c.dseq;
        how := c.kind;
        RETURN NEXT;
    END LOOP;
END;
$$;
