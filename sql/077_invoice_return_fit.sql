-- 077_invoice_return_fit.sql - a ledger row invoice_return only for money
-- that brings the whole payment back (a review's find after 056).
--
-- 056 checks the rows that change what an invoice may become.  An
-- invoice_return had to reverse the whole payment, but the credit it names
-- had only to be no more than the payment: the banks may keep charges on a
-- return.  So a credit of 1.00 EUR with a return code and the invoice's
-- EndToEndId reversed a payment of 107.00; the invoice became returned,
-- another login approved it again, and the next run paid 107.00 again:
-- 213.00 out, 1.00 back.  What the bank keeps on a return it states
-- (camt Chrgs, stored as bank_transactions.charges_cents, 007): the credit
-- and those charges make up the payment, or it is not the whole transfer
-- coming back, and a clerk sorts it out with the bank (jobs/outgoing.c
-- leaves the clarification open and says why; the invoice stays paid).
--
-- A bank reversal of our debit (a booked credit with RvslInd, the
-- invoice's EndToEndId and the payment's amount) is the transfer coming
-- back too: 060 counts it as money back already, and jobs/outgoing.c now
-- settles it like a returned transfer.  Before, the invoice stayed paid
-- for good and nobody could set it right.  So the credit an invoice_return
-- names is a booked credit of a statement with the invoice's EndToEndId
-- that reconcile found to be a transfer of ours coming back (a
-- returned_transfer clarification) or that is a reversal, and its amount
-- plus its charges is the payment's amount.
--
-- The function is 056's, restated whole; only the branch of
-- invoice_return changed (the credit, and its amount).
CREATE OR REPLACE FUNCTION abgleich.allocations_engine_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t abgleich.bank_transactions;
    i abgleich.invoices;
    p abgleich.allocations;
    why text;
BEGIN
    SELECT * INTO t FROM abgleich.bank_transactions x
    WHERE x.file_id = NEW.file_id AND x.seq = NEW.tx_seq;
    SELECT * INTO i FROM abgleich.invoices x WHERE x.id = NEW.invoice_id;
    IF NEW.method = 'invoice_payment' THEN
        why := CASE
            WHEN i.id IS NULL THEN 'it names no invoice'
            WHEN t.seq IS NULL THEN 'it names no bank transaction'
            WHEN i.status <> 'in_payment' THEN 'the invoice is ' || i.status || ', not in payment'
            WHEN NEW.reverses IS NOT NULL THEN 'a payment reverses nothing'
            WHEN t.direction <> 'D' OR t.reversal OR t.returned
                 OR coalesce(t.status, 'BOOK') <> 'BOOK' OR t.provisional
                THEN 'its bank transaction is no booked debit of a statement'
            WHEN NEW.amount_cents <> i.amount_due_cents OR t.amount_cents <> i.amount_due_cents
                THEN 'the amounts of the row, the debit and the invoice differ'
            WHEN t.end_to_end_id IS DISTINCT FROM i.end_to_end_id
                 AND EXISTS (SELECT 1 FROM abgleich.invoices j
                             WHERE j.end_to_end_id = t.end_to_end_id)
                THEN 'the debit carries the EndToEndId of another invoice'
            WHEN (SELECT count(*) FROM abgleich.allocations a
                  WHERE a.file_id = NEW.file_id AND a.tx_seq = NEW.tx_seq
                    AND a.method = 'invoice_payment') > 1
                THEN 'the debit pays another invoice already' END;
    ELSE
        SELECT * INTO p FROM abgleich.allocations x WHERE x.id = NEW.reverses;
        why := CASE
            WHEN i.id IS NULL THEN 'it names no invoice'
            WHEN t.seq IS NULL THEN 'it names no bank transaction'
            WHEN i.status <> 'paid' THEN 'the invoice is ' || i.status || ', not paid'
            WHEN p.id IS NULL OR p.method <> 'invoice_payment' OR p.invoice_id <> i.id
                THEN 'it does not reverse a payment of the invoice'
            WHEN NEW.amount_cents <> -p.amount_cents THEN 'it does not reverse the whole payment'
            WHEN t.direction <> 'C' OR coalesce(t.status, 'BOOK') <> 'BOOK' OR t.provisional
                 OR t.end_to_end_id IS DISTINCT FROM i.end_to_end_id
                 OR NOT (t.reversal OR EXISTS (SELECT 1 FROM abgleich.clarifications k
                                               WHERE k.file_id = t.file_id AND k.tx_seq = t.seq
                                                 AND k.reason = 'returned_transfer'))
                THEN 'its bank transaction is no booked credit bringing back the invoice''s transfer ('
                     || coalesce(i.end_to_end_id, 'no EndToEndId') || ')'
            WHEN t.amount_cents + t.charges_cents <> p.amount_cents
                THEN format('the credit of %s EUR and the charges of %s EUR the bank states on it'
                            ' are not the payment of %s EUR: a part of it coming back is for a clerk',
                            abgleich.cents_en(t.amount_cents), abgleich.cents_en(t.charges_cents),
                            abgleich.cents_en(p.amount_cents))
            WHEN (SELECT count(*) FROM abgleich.allocations a
                  WHERE a.reverses = p.id) > 1 THEN 'the payment is reversed already'
            WHEN (SELECT count(*) FROM abgleich.allocations a
                  WHERE a.file_id = NEW.file_id AND a.tx_seq = NEW.tx_seq
                    AND a.method = 'invoice_return') > 1
                THEN 'the credit brought back another payment already' END;
    END IF;
    IF why IS NOT NULL THEN
        RAISE EXCEPTION 'ledger row % for invoice %: only reconcile writes it, as the bank statement says: %',
            NEW.method, coalesce(i.invoice_number, NEW.invoice_id::text), why
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

-- Which credits may bring the transfer of a paid invoice back, for the
-- statement file p_file (jobs/outgoing.c, step 3), with the invoice's
-- payment they would reverse (its latest unreversed invoice_payment).  Open
-- clarifications (nothing decided on them) of a booked credit of a
-- statement carrying the invoice's EndToEndId: one the matcher found to be
-- a transfer of ours coming back (returned_transfer), or a bank reversal
-- of our debit (reversal_without_original: the matcher finds no citizen's
-- credit it undoes).  Of this file; and of earlier files, for an invoice
-- this file paid: the bank may book a return before the debit it gives
-- back (or the statements come in that order); before, such a return
-- stayed a clarification for good while the invoice became paid.  Whether
-- a credit fits (back + charges = paid) the caller decides; one function,
-- so that the return applied and the return left for a clerk are chosen
-- among the same credits.
CREATE FUNCTION abgleich.invoice_return_candidates(p_file bigint)
RETURNS TABLE (kid bigint, file_id bigint, tx_seq int, earlier boolean, reversal boolean,
               back bigint, chg bigint, inv bigint, invoice_number text, seller_name text,
               why text, aid bigint, paid bigint)
LANGUAGE sql STABLE AS $$
    WITH c AS (
        SELECT k.id AS kid, k.file_id, k.tx_seq, k.reason
        FROM abgleich.clarifications k
        WHERE k.file_id = p_file
          AND k.reason IN ('returned_transfer', 'reversal_without_original')
        UNION
        SELECT k.id, k.file_id, k.tx_seq, k.reason
        FROM abgleich.allocations a
        JOIN abgleich.invoices i ON i.id = a.invoice_id
        JOIN abgleich.bank_transactions t ON t.end_to_end_id = i.end_to_end_id
                                         AND t.file_id <> p_file
        JOIN abgleich.clarifications k ON k.file_id = t.file_id AND k.tx_seq = t.seq
        WHERE a.file_id = p_file AND a.method = 'invoice_payment'
          AND k.reason IN ('returned_transfer', 'reversal_without_original'))
    SELECT c.kid, c.file_id, c.tx_seq, c.file_id <> p_file, t.reversal, t.amount_cents,
           t.charges_cents, i.id, i.invoice_number, i.seller_name,
           coalesce(nullif(t.return_reason, ''), '-'), a.id, a.amount_cents
    FROM c
    JOIN abgleich.bank_transactions t ON t.file_id = c.file_id AND t.seq = c.tx_seq
    JOIN abgleich.invoices i ON i.end_to_end_id = t.end_to_end_id AND i.status = 'paid'
    CROSS JOIN LATERAL (
        SELECT a.id, a.amount_cents FROM abgleich.allocations a
        WHERE a.invoice_id = i.id AND a.method = 'invoice_payment'
          AND NOT EXISTS (SELECT 1 FROM abgleich.allocations x WHERE x.reverses = a.id)
        ORDER BY a.id DESC LIMIT 1) a
    WHERE t.direction = 'C' AND coalesce(t.status, 'BOOK') = 'BOOK' AND NOT t.provisional
      AND (c.reason = 'returned_transfer' OR t.reversal)
      AND NOT EXISTS (SELECT 1 FROM abgleich.allocations d WHERE d.clarification_id = c.kid)
$$;

-- A credit bringing back only part of a paid invoice's transfer reverses
-- nothing; its clarification stays for a clerk and says why, in German and
-- English (once, also when the invoice is paid again later).  SECURITY
-- DEFINER: the treasury may not rewrite clarifications (009); this writes
-- only the engine's sentence.  Returns how many it marked.
CREATE FUNCTION abgleich.invoice_part_back(p_file bigint) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int;
BEGIN
    UPDATE abgleich.clarifications q SET
        explanation = q.explanation || format(' Sie trägt die End-to-End-Referenz unserer'
            ' Zahlung der Rechnung %s an %s über %s EUR; zurück kamen %s EUR, die Bank nennt'
            ' %s EUR Gebühren: nicht die ganze Zahlung. Die Rechnung bleibt bezahlt (als'
            ' zurückgekommen würde sie erneut voll gezahlt). Mit der Bank klären, dann'
            ' entscheiden.', c.invoice_number, c.seller_name, abgleich.cents_de(c.paid),
            abgleich.cents_de(c.back), abgleich.cents_de(c.chg)),
        explanation_en = q.explanation_en || format(' It carries the end-to-end id of our'
            ' payment of invoice %s to %s of %s EUR; %s EUR came back, the bank states %s EUR'
            ' of charges: not the whole payment. The invoice stays paid (returned, it would be'
            ' paid again in full). Sort it out with the bank, then decide.',
            c.invoice_number, c.seller_name, abgleich.cents_en(c.paid),
            abgleich.cents_en(c.back), abgleich.cents_en(c.chg))
    FROM abgleich.invoice_return_candidates(p_file) c
    WHERE q.id = c.kid AND c.back + c.chg <> c.paid
      AND strpos(q.explanation_en, ' It carries the end-to-end id of our payment') = 0;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION abgleich.invoice_part_back(bigint) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT EXECUTE ON FUNCTION abgleich.invoice_part_back(bigint) TO abgleich_treasury;
    END IF;
END
$$;
