-- 050_invoice_paid_kept.sql - a paid invoice is the record of a payment.
--
-- 041/046 hold what a second person approved while the invoice is
-- approved or in payment.  Once reconcile has booked the debit that paid
-- it, the invoice could still be changed at will: its amount, payee,
-- number, even its status back to open, after which a new approval and
-- run would pay it a second time.  A paid invoice now changes in the ways
-- the engine changes it only:
--   status paid -> returned   the transfer came back (jobs/outgoing.c); the
--                             invoice is then approved again and paid anew;
--   preceding_id, preceding_ids
--                             a correction or credit note naming it that
--                             arrives later is linked (041's invoice_link),
--                             which changes nothing owed on a paid invoice.
-- A second trigger, so that 046's whole function need not be restated;
-- BEFORE triggers fire by name, and both refuse before anything is written.
CREATE FUNCTION abgleich.invoices_paid_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed text;
BEGIN
    IF OLD.status <> 'paid' THEN
        RETURN NEW;
    END IF;
    IF NEW.status NOT IN ('paid', 'returned') THEN
        RAISE EXCEPTION 'invoice % is paid: it cannot become % (a transfer that came back makes it returned)',
            OLD.invoice_number, NEW.status;
    END IF;
    SELECT string_agg(n.key, ', ' ORDER BY n.key) INTO changed
    FROM jsonb_each(to_jsonb(NEW)) n
    JOIN jsonb_each(to_jsonb(OLD)) o USING (key)
    WHERE n.value IS DISTINCT FROM o.value
      AND n.key NOT IN ('status', 'preceding_id', 'preceding_ids');
    IF changed IS NOT NULL THEN
        RAISE EXCEPTION 'invoice % is paid: % cannot be changed: it is the record of what was paid',
            OLD.invoice_number, changed;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_paid_kept BEFORE UPDATE ON abgleich.invoices
    FOR EACH ROW EXECUTE FUNCTION abgleich.invoices_paid_kept();
