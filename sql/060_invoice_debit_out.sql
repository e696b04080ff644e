-- 060_invoice_debit_out.sql - an invoice whose transfer left the account
-- is not taken out of payment (a review's find after 051).
--
-- 051 lets an invoice in payment be set open again, for a payment file the
-- bank refused or will not execute; another login then approves it anew
-- and the next run pays it in full.  It did not look at the statements: a
-- debit carrying the invoice's EndToEndId (ABG-<id>) with another amount
-- than the invoice's (the bank executed it in part, or altered) pays
-- nothing in reconcile and becomes a clarification invoice_debit_mismatch
-- (jobs/outgoing.c, sql/030's pairs need the amount), and the invoice stays
-- in payment.  Set open then, it was paid again in full: the money left
-- twice.
--
-- What a treasury clerk expects: an invoice whose transfer the bank has
-- booked is not "not executed", whatever the amount.  Now an invoice in
-- payment is not set open while the statements hold more of its transfers
-- going out than coming back, counted under its EndToEndId:
--   going out   a booked debit of a statement (not a sighting that another
--               file booked already or an intraday report: provisional,
--               037/047), of any amount;
--   coming back a booked credit of a statement that is a reversal or that
--               reconcile found to be a transfer of ours coming back (a
--               returned_transfer clarification).  Counted, not added up:
--               the banks may keep charges on a return.
-- The refusal says which debit, of how much, and its clarification.  Once
-- the money comes back (a return or reversal on a statement), the invoice
-- may be set open.  An invoice paid, returned and approved again keeps its
-- EndToEndId, so its first transfer counts once each way.
-- A trigger of its own, as 054, so that 051's function need not be
-- restated; it only refuses, so its place among the BEFORE triggers
-- (by name) does not matter.
CREATE FUNCTION abgleich.invoices_debit_out() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    went bigint;
    came bigint;
    d record;
BEGIN
    IF OLD.status <> 'in_payment' OR NEW.status <> 'open' OR OLD.end_to_end_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT count(*) FILTER (WHERE t.direction = 'D'),
           count(*) FILTER (WHERE t.direction = 'C'
                            AND (t.reversal OR EXISTS (
                                SELECT 1 FROM abgleich.clarifications k
                                WHERE k.file_id = t.file_id AND k.tx_seq = t.seq
                                  AND k.reason = 'returned_transfer')))
    INTO went, came
    FROM abgleich.bank_transactions t
    WHERE t.end_to_end_id = OLD.end_to_end_id
      AND coalesce(t.status, 'BOOK') = 'BOOK' AND NOT t.provisional;
    IF went <= came THEN
        RETURN NEW;
    END IF;
    SELECT t.amount_cents, t.booking_date, f.name,
           (SELECT string_agg('#' || k.id, ', ' ORDER BY k.id) FROM abgleich.clarifications k
            WHERE k.file_id = t.file_id AND k.tx_seq = t.seq) AS clar
    INTO d
    FROM abgleich.bank_transactions t
    JOIN abgleich.input_files f ON f.id = t.file_id
    WHERE t.end_to_end_id = OLD.end_to_end_id AND t.direction = 'D'
      AND coalesce(t.status, 'BOOK') = 'BOOK' AND NOT t.provisional
    ORDER BY t.booking_date DESC, t.file_id DESC, t.seq DESC
    LIMIT 1;
    RAISE EXCEPTION 'invoice % cannot be set open again: its transfer went out; the bank booked a debit of % EUR with its EndToEndId % on % (clarification %), the invoice is for % EUR. Set open, it would be paid again in full. Sort it out with the bank: once the money comes back (a return or reversal on a statement), the invoice may be set open',
        OLD.invoice_number, abgleich.cents_en(d.amount_cents), OLD.end_to_end_id,
        d.booking_date, coalesce(d.clar, 'none'), abgleich.cents_en(OLD.amount_due_cents)
        USING DETAIL = format('statement file: %s; debits under the EndToEndId: %s, returns and reversals: %s',
                              d.name, went, came);
END;
$$;
CREATE TRIGGER invoices_debit_out BEFORE UPDATE OF status ON abgleich.invoices
    FOR EACH ROW EXECUTE FUNCTION abgleich.invoices_debit_out();
