-- 043_invoice_submitter.sql - four eyes on the invoices `serve` imports.
--
-- `serve` imports an invoice dropped into its inbox on the daemon's own
-- login, so imported_by named the daemon and whoever dropped the file
-- could approve it alone (the e-invoice audit).  The file's owner (its
-- system user, set by the operating system, not by the file) is now kept
-- as submitted_by, and the login of that name cannot approve the invoice,
-- as the importing login cannot (sql/032, 041).  This relies on what
-- PostgreSQL's peer authentication assumes: a clerk's login is their
-- system user name.  A `import invoices` on the command line leaves it
-- NULL: the importing login is the person.  The trigger of 041 is restated
-- whole (CREATE OR REPLACE takes no less) with the submitter added.
ALTER TABLE abgleich.invoices ADD COLUMN submitted_by text;

CREATE OR REPLACE FUNCTION abgleich.invoices_who() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- Only the import sets who imported; an invoice begins open, so
        -- that approval is always an UPDATE this trigger sees.
        NEW.imported_by := session_user;
        NEW.approved_by := NULL;
        NEW.approved_at := NULL;
        IF NEW.status <> 'open' THEN
            RAISE EXCEPTION 'invoice % is imported open, not %', NEW.invoice_number, NEW.status;
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.imported_by IS DISTINCT FROM OLD.imported_by
       OR NEW.submitted_by IS DISTINCT FROM OLD.submitted_by THEN
        RAISE EXCEPTION 'who imported invoice % cannot be changed', OLD.invoice_number;
    END IF;
    IF NEW.approved_by IS DISTINCT FROM OLD.approved_by AND NEW.approved_by IS NOT NULL
       AND NEW.approved_by <> session_user THEN
        RAISE EXCEPTION 'invoice % can only be approved by the login approving it (%), not as %',
            OLD.invoice_number, session_user, NEW.approved_by;
    END IF;
    IF NEW.status = 'approved' AND (OLD.status <> 'approved'
                                    OR NEW.approved_by IS DISTINCT FROM OLD.approved_by)
       AND (NEW.approved_by IS DISTINCT FROM session_user
            OR NEW.approved_by = NEW.imported_by
            OR NEW.approved_by = NEW.submitted_by) THEN
        RAISE EXCEPTION 'invoice % is approved only with approved_by = the login approving it, who is not its importer (%): four eyes',
            OLD.invoice_number, OLD.imported_by;
    END IF;
    IF NEW.status = 'in_payment' AND OLD.status <> 'in_payment'
       AND (OLD.status <> 'approved' OR NEW.approved_by IS NULL
            OR NEW.approved_by = NEW.imported_by OR NEW.approved_by = NEW.submitted_by) THEN
        RAISE EXCEPTION 'invoice % is %, not approved by a second login: it cannot be in payment',
            OLD.invoice_number, OLD.status;
    END IF;
    -- What the second person approved is what is paid: to whom and at
    -- most how much.  Lowering stays possible (a credit note, 033).
    IF OLD.status IN ('approved', 'in_payment') THEN
        IF NEW.iban IS DISTINCT FROM OLD.iban OR NEW.bic IS DISTINCT FROM OLD.bic THEN
            RAISE EXCEPTION 'invoice % is %: its payee account cannot be changed (set it open again; it then needs a new approval)',
                OLD.invoice_number, OLD.status;
        END IF;
        IF NEW.amount_due_cents > OLD.amount_due_cents THEN
            RAISE EXCEPTION 'invoice % is %: its amount due cannot be raised from % to % cents (set it open again; it then needs a new approval)',
                OLD.invoice_number, OLD.status, OLD.amount_due_cents, NEW.amount_due_cents;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
