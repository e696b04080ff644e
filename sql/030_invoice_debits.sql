-- 030_invoice_debits.sql - one bank debit pays at most one e-invoice, and
-- only a booked one (an audit found both broken; tests/integration/t_invoices.sh).
--
-- reconcile matched each invoice in payment to a debit of the file by our
-- EndToEndId, the invoice number in the text, or the payee's IBAN, with the
-- invoice's amount, one debit per invoice but not one invoice per debit:
-- two rent invoices of equal amount to one IBAN were both paid by the first
-- month's debit (673.80 EUR in the ledger for 336.90 EUR that left), and
-- that debit paid R-2 although it carried the EndToEndId of R-1.  A pending
-- entry (camt.052, MT942) paid invoices too, and "R-1" was found in "R-12".
--
-- Now the pairs are chosen one by one, strongest first (our EndToEndId,
-- then the number as a word of the text, then the IBAN), each invoice and
-- each debit used once; a debit carrying the EndToEndId of one of our
-- transfers pays that transfer's invoice or none; only booked debits count.
CREATE FUNCTION abgleich.invoice_debit_pairs(p_file bigint)
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
          AND coalesce(d.status, 'BOOK') = 'BOOK' AND x.kind IS NOT NULL
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
