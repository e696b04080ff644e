-- 066_invoice_intraday_until.sql - 063's refusal ends when a statement has
-- spoken (a review's find after 063).
--
-- 063 stepped aside only when a statement booked a debit with the same
-- account string, day and amount as the intraday report's.  When the
-- statement booked it on another day or with another amount, wrote the
-- account otherwise (an MT942 ':25:' as bank code and account number, the
-- camt.053 an IBAN), or never booked it (the bank cancelled the transfer
-- after its morning report), the invoice stayed in payment for good, even
-- after 060 would have let it go, and the message "wait for the day's
-- statement" was false.  Now an intraday debit counts only until
--   * a statement books any debit under the EndToEndId (060 then counts), or
--   * a statement of the account (camt.053, MT940) covers its booking day
--     without it: the bank's statement is what stands.
-- Only booked, non-reversal debits of the report count, as in 060.
CREATE OR REPLACE FUNCTION abgleich.invoices_intraday_out() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    IF OLD.status <> 'in_payment' OR NEW.status <> 'open' OR OLD.end_to_end_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM abgleich.bank_transactions u
               WHERE u.end_to_end_id = OLD.end_to_end_id AND u.direction = 'D'
                 AND NOT u.provisional AND NOT u.reversal
                 AND coalesce(u.status, 'BOOK') = 'BOOK') THEN
        RETURN NEW; -- a statement booked it: 060 decides
    END IF;
    SELECT t.amount_cents, t.booking_date, f.name INTO d
    FROM abgleich.bank_transactions t
    JOIN abgleich.statements s ON s.id = t.statement_id
    JOIN abgleich.input_files f ON f.id = t.file_id
    WHERE t.end_to_end_id = OLD.end_to_end_id AND t.direction = 'D' AND NOT t.reversal
      AND coalesce(t.status, 'BOOK') = 'BOOK' AND t.provisional
      AND abgleich.message_kind(s.format) IN ('camt.052', 'MT942')
      AND NOT EXISTS (SELECT 1 FROM abgleich.statements c
                      WHERE c.account = t.account
                        AND abgleich.message_kind(c.format) IN ('camt.053', 'MT940')
                        AND c.booked_to >= t.booking_date)
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
