-- 051_invoice_payment_guard.sql - paid and returned follow the ledger, and
-- an invoice taken out of payment needs another login to approve it again
-- (a review found one treasury login paying an invoice twice;
-- tests/integration/t_invoice_rules.sh).
--
-- Two ways, both by SQL that the treasury's column grants allow (011):
--   a paid invoice set 'returned' although no transfer came back (050
--   let paid -> returned through for anyone), approved by the same login
--   (any login but the importer may) and paid again;
--   an invoice in payment set 'open' again (046 held its terms, not its
--   status), approved again by the login that had approved it and paid
--   again: a second pain.001 with the same EndToEndId ABG-<id>.
-- Now:
--   paid      only from in_payment, and only while the ledger holds an
--             invoice_payment row of the invoice that nothing reverses:
--             the debit reconcile booked (jobs/outgoing.c);
--   returned  only from paid, and only when no such row is left: reconcile
--             wrote the invoice_return reversal first, because the bank
--             sent the transfer back;
--   in_payment -> only paid (above) or open.  Set open again (a payment
--             file the bank refused), the invoice keeps who did it and
--             when (reset_by, reset_at, set here from session_user like
--             032's imported_by and approved_by, never by the client), its
--             approval is cleared, and that login cannot approve it again:
--             another one must (the importer and the submitter cannot
--             either, 041/043).  The block stays until the next time it is
--             taken out of payment: the login that took it back is never its
--             approver.
-- Whoever asks, the owner included: what decides is the ledger.
-- jobs/outgoing.c writes the ledger rows and the status in two statements
-- now (sub-statements of one statement do not see each other's rows, so
-- this check would not see the new ledger row).
--
-- A third BEFORE trigger, so that 046's whole function need not be
-- restated.  BEFORE triggers fire in the order of their names, each seeing
-- NEW as the one before left it: invoices_paid_kept (050), invoices_who
-- (032..046), invoices_workflow.  This one is last on purpose: it judges
-- the row as the others passed it (none of them changes NEW on an UPDATE),
-- and what it sets on the way back to open (reset_by, reset_at, no
-- approver) is the final word, whatever the UPDATE itself said about
-- approved_by.  Clearing the approver is nothing 046 or 050 would refuse:
-- 050 looks at paid invoices only, and 046 checks only an approver that is
-- set and the terms of the payment file, which stay as they were.
ALTER TABLE abgleich.invoices
    ADD COLUMN reset_by text,
    ADD COLUMN reset_at timestamptz;

CREATE FUNCTION abgleich.invoices_workflow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    booked boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.reset_by := NULL;
        NEW.reset_at := NULL;
        RETURN NEW;
    END IF;
    IF NEW.reset_by IS DISTINCT FROM OLD.reset_by OR NEW.reset_at IS DISTINCT FROM OLD.reset_at THEN
        RAISE EXCEPTION 'who took invoice % out of payment is recorded by the database when it is set open again, not set by hand',
            OLD.invoice_number;
    END IF;
    IF NEW.status <> OLD.status THEN
        IF NEW.status IN ('paid', 'returned') THEN
            -- A payment of the invoice in the ledger that nothing reverses.
            SELECT EXISTS (SELECT 1 FROM abgleich.allocations a
                           WHERE a.invoice_id = OLD.id AND a.method = 'invoice_payment'
                             AND NOT EXISTS (SELECT 1 FROM abgleich.allocations x
                                             WHERE x.reverses = a.id))
            INTO booked;
        END IF;
        IF NEW.status = 'paid' AND (OLD.status <> 'in_payment' OR NOT booked) THEN
            RAISE EXCEPTION 'invoice % is %: it becomes paid only when reconcile books the debit that paid it (a payment in the ledger), and only from in_payment',
                OLD.invoice_number, OLD.status;
        END IF;
        IF NEW.status = 'returned' AND (OLD.status <> 'paid' OR booked) THEN
            RAISE EXCEPTION 'invoice % is %: it becomes returned only when reconcile finds its transfer came back and reverses the payment in the ledger; %',
                OLD.invoice_number, OLD.status,
                CASE WHEN OLD.status = 'paid' THEN 'its payment stands (no transfer came back)'
                     ELSE 'it was not paid' END;
        END IF;
        IF OLD.status = 'in_payment' AND NEW.status NOT IN ('paid', 'open') THEN
            RAISE EXCEPTION 'invoice % is in payment: it becomes paid (reconcile) or is set open again (another login then approves it anew), not %',
                OLD.invoice_number, NEW.status;
        END IF;
        IF OLD.status = 'in_payment' AND NEW.status = 'open' THEN
            NEW.reset_by := session_user;
            NEW.reset_at := now();
            NEW.approved_by := NULL;
            NEW.approved_at := NULL;
        END IF;
    END IF;
    IF NEW.status = 'approved' AND (OLD.status <> 'approved'
                                    OR NEW.approved_by IS DISTINCT FROM OLD.approved_by)
       AND OLD.reset_by IN (session_user, NEW.approved_by) THEN
        RAISE EXCEPTION 'invoice % was taken out of payment by % (%): another login approves it again (four eyes)',
            OLD.invoice_number, OLD.reset_by, OLD.reset_at;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_workflow BEFORE INSERT OR UPDATE ON abgleich.invoices
    FOR EACH ROW EXECUTE FUNCTION abgleich.invoices_workflow();
