-- 075_invoice_terms_by.sql - who last changed an invoice's payment terms
-- cannot approve it (a review's find; tests/integration/t_invoice_rules.sh).
--
-- 041/046 hold the payee account and the amount once an invoice is
-- approved or in payment.  Before that, while it is open or returned, the
-- treasury may change them (column grants of 032, 033, 042: iban, bic,
-- amount_due_cents), and nothing recorded who did.  So one login could
--   UPDATE abgleich.invoices SET iban = '<its own account>', bic = NULL
-- on an invoice another login imported, approve it itself and have it paid
-- there; or raise its amount to 9 999.00 and approve that.  `approve --iban`
-- (jobs/pay.c) did the same in one step after a return: the approver
-- chose the new account and approved it alone.  The importer was the only
-- login kept from approving, but the importer is no longer the one who
-- decided where the money goes.
--
-- Now the database records who last changed the terms the payment file is
-- made of (to whom and how much): the IBAN, the BIC, the payee's name, the
-- seller's name (the creditor's name when no payee is named), the currency,
-- and a higher amount due (a lower one, a credit note, takes nothing from
-- the treasury's side).  terms_by is that login (session_user, as 032's
-- imported_by and 051's reset_by), terms_at when; NULL while the invoice
-- is as imported.  That login cannot approve the invoice, nor can it go
-- into payment with it as approver: another login must, and it is the one
-- who sees the terms last (approve prints them).  Changing the terms and
-- approving in one UPDATE is refused the same way.  The groups cannot write
-- terms_by or terms_at themselves: an INSERT's values are replaced (the
-- treasury's INSERT is table-wide since 011, and the import names neither),
-- no group has UPDATE on them, and the trigger refuses an UPDATE of them
-- by anyone, the owner included, as 051 does for reset_by.
--
-- The engine's own paths: the import inserts (nothing recorded) and links
-- preceding invoices; a correction that raises what an open or returned
-- invoice of its family owes is recorded under the importing login (who
-- then does not approve that invoice alone either).  A credit note lowers;
-- pay and reconcile change status, EndToEndId and file only.
--
-- A trigger of its own, so that 046's invoices_who need not be restated.
-- BEFORE triggers fire in the order of their names: invoices_final_states,
-- invoices_paid_kept, invoices_terms, invoices_who, invoices_workflow.
-- invoices_who changes nothing of an UPDATE's row, and invoices_workflow
-- only clears the approver of an invoice set open from payment, which is
-- no approval; so the status and approver judged here are the final ones.
ALTER TABLE abgleich.invoices
    ADD COLUMN terms_by text,
    ADD COLUMN terms_at timestamptz;

CREATE FUNCTION abgleich.invoices_terms() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.terms_by := NULL;
        NEW.terms_at := NULL;
        RETURN NEW;
    END IF;
    IF NEW.terms_by IS DISTINCT FROM OLD.terms_by OR NEW.terms_at IS DISTINCT FROM OLD.terms_at THEN
        RAISE EXCEPTION 'who changed the payment terms of invoice % is recorded by the database, not set by hand',
            OLD.invoice_number;
    END IF;
    IF NEW.iban IS DISTINCT FROM OLD.iban OR NEW.bic IS DISTINCT FROM OLD.bic
       OR NEW.payee_name IS DISTINCT FROM OLD.payee_name
       OR NEW.seller_name IS DISTINCT FROM OLD.seller_name
       OR NEW.currency IS DISTINCT FROM OLD.currency
       OR NEW.amount_due_cents > OLD.amount_due_cents THEN
        NEW.terms_by := session_user;
        NEW.terms_at := now();
    END IF;
    IF NEW.status = 'approved' AND (OLD.status <> 'approved'
                                    OR NEW.approved_by IS DISTINCT FROM OLD.approved_by)
       AND NEW.approved_by = NEW.terms_by THEN
        RAISE EXCEPTION 'invoice %: its payment terms (payee account, name, currency or a higher amount) were last changed by % (%): another login approves it (four eyes)',
            OLD.invoice_number, NEW.terms_by, NEW.terms_at;
    END IF;
    IF NEW.status = 'in_payment' AND OLD.status <> 'in_payment'
       AND NEW.approved_by = NEW.terms_by THEN
        RAISE EXCEPTION 'invoice %: approved by %, who last changed its payment terms: it cannot be in payment',
            OLD.invoice_number, NEW.approved_by;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_terms BEFORE INSERT OR UPDATE ON abgleich.invoices
    FOR EACH ROW EXECUTE FUNCTION abgleich.invoices_terms();
