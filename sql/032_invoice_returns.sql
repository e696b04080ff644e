-- 032_invoice_returns.sql - who approves an invoice, and our transfers that
-- come back (the second audit found both).
--
-- Four eyes: 011 refused an approval by whoever imported the invoice, but
-- `approve --as NAME` took any name, so one clerk could import and approve
-- alone.  Who imported and who approves are now the database logins that
-- did it (session_user, which PostgreSQL authenticated), set here, not by
-- the client; 011's CHECK then refuses the one person doing both.
--
-- A transfer of ours that the payee's bank sends back (account closed,
-- AC04) arrives as a credit with a return code and the EndToEndId of our
-- payment order.  It was a clarification "returned_transfer" and the
-- invoice stayed paid.  reconcile now reverses the invoice's payment
-- (method invoice_return), settles the credit's clarification (returned),
-- and the invoice becomes 'returned': approved again, after the payee's
-- bank details were checked (`approve --iban`), it is paid again.
ALTER TABLE abgleich.invoices DROP CONSTRAINT invoices_status_check,
    ADD CONSTRAINT invoices_status_check
        CHECK (status IN ('open', 'approved', 'in_payment', 'paid', 'returned'));

CREATE FUNCTION abgleich.invoices_who() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.imported_by := session_user;
        NEW.approved_by := NULL;
    ELSIF NEW.imported_by IS DISTINCT FROM OLD.imported_by THEN
        RAISE EXCEPTION 'who imported invoice % cannot be changed', OLD.invoice_number;
    ELSIF NEW.approved_by IS DISTINCT FROM OLD.approved_by AND NEW.approved_by IS NOT NULL
          AND NEW.approved_by <> session_user THEN
        RAISE EXCEPTION 'invoice % can only be approved by the login approving it (%), not as %',
            OLD.invoice_number, session_user, NEW.approved_by;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_who BEFORE INSERT OR UPDATE ON abgleich.invoices
    FOR EACH ROW EXECUTE FUNCTION abgleich.invoices_who();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT UPDATE (iban) ON abgleich.invoices TO abgleich_treasury;
    END IF;
END
$$;
