-- 063_invoice_intraday_out.sql - an invoice whose transfer an intraday
-- report shows booked is not taken out of payment either (a review's find
-- after 060).
--
-- 060 counts only the debits of statements (camt.053, MT940): an intraday
-- report's rows (camt.052, MT942) are provisional (037) and were left out,
-- so that a debit the report and then the statement both show is not
-- counted twice.  But on the day of execution, before the evening's
-- statement, a clerk could set the invoice open while the morning's
-- camt.052 already showed its transfer booked, and the next payment run
-- paid it again.  Now a booked debit of an intraday report under the
-- invoice's EndToEndId that no statement has booked yet (the same account,
-- day and amount) refuses it too; once the statement comes, 060's count of
-- the statements decides alone.  A trigger of its own beside 060's.
CREATE FUNCTION abgleich.invoices_intraday_out() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    IF OLD.status <> 'in_payment' OR NEW.status <> 'open' OR OLD.end_to_end_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT t.amount_cents, t.booking_date, f.name INTO d
    FROM abgleich.bank_transactions t
    JOIN abgleich.statements s ON s.id = t.statement_id
    JOIN abgleich.input_files f ON f.id = t.file_id
    WHERE t.end_to_end_id = OLD.end_to_end_id AND t.direction = 'D' AND NOT t.reversal
      AND coalesce(t.status, 'BOOK') = 'BOOK' AND t.provisional
      AND abgleich.message_kind(s.format) IN ('camt.052', 'MT942')
      AND NOT EXISTS (SELECT 1 FROM abgleich.bank_transactions u
                      WHERE u.end_to_end_id = t.end_to_end_id AND u.direction = 'D'
                        AND NOT u.provisional AND u.account = t.account
                        AND u.booking_date IS NOT DISTINCT FROM t.booking_date
                        AND u.amount_cents = t.amount_cents)
    ORDER BY t.booking_date DESC, t.file_id DESC, t.seq DESC
    LIMIT 1;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'invoice % cannot be set open again: the intraday report % shows its transfer booked, a debit of % EUR with its EndToEndId % on %. Wait for the day''s statement: if the money went out, the invoice stays in payment until it comes back',
        OLD.invoice_number, d.name, abgleich.cents_en(d.amount_cents), OLD.end_to_end_id,
        d.booking_date;
END;
$$;
CREATE TRIGGER invoices_intraday_out BEFORE UPDATE OF status ON abgleich.invoices
    FOR EACH ROW EXECUTE FUNCTION abgleich.invoices_intraday_out();
