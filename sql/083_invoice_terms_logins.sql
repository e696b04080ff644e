-- 083_invoice_terms_logins.sql - every login that changed an invoice's
-- payment terms since it was last approved cannot approve it, not only the
-- last one (a review's find; tests/integration/t_invoice_rules.sh, 13).
--
-- 075 kept only the login that LAST changed the terms (terms_by), and
-- refused the approval to it alone.  So a later change by anyone else moved
-- the block off the login that chose the account: einkauf imports RV-1;
-- kassenleiterin sets the IBAN to an account of her choosing (terms_by =
-- kassenleiterin); kaemmerer adds a BIC, or corrects the payee's name
-- (terms_by = kaemmerer); kassenleiterin approves RV-1 and the run pays to
-- the IBAN she typed.  Nobody but her approved that account.
--
-- Now terms_logins holds every login that changed the terms (the same
-- changes as 075: IBAN, BIC, payee's name, seller's name, currency, a
-- higher amount due) since the invoice was imported or last left an
-- approval (set open, or returned, from approved, in payment or paid), once
-- each, in the order of their first change; and none of them approves it,
-- nor does the run pay an approval by one of them (jobs/pay.c).
--
-- When it is reset: an invoice approved, in payment or paid had its terms
-- approved by a login not in the list (the trigger saw to it), and they
-- cannot change there (041, 046, 050).  When it is set open again, or its
-- transfer comes back (returned), the changes to come are a new set of
-- terms that another login must approve: the list starts again with only
-- terms_by, the last login that changed the terms (which 075 already kept
-- from approving, and still does).  A change in the same UPDATE that sets
-- it open is recorded after the reset.  It is not reset between open and
-- returned, nor by anything else: a login that typed an IBAN and then set
-- the invoice open from returned (or returned it to open) is still in it.
-- So after an approval, a return and a new IBAN, the login that typed the
-- new IBAN is in the list again, and whoever typed any change since.
--
-- terms_by and terms_at stay as 075 has them (the last change, for
-- display); terms_by is always in terms_logins.  Like them, the groups
-- cannot write terms_logins: an INSERT's value is replaced (the treasury's
-- INSERT is table-wide since 011), no group has UPDATE on it (no column
-- grant), and the trigger refuses an UPDATE of it by anyone, the owner
-- included.  Invoices already in the database start with terms_by, the one
-- login 075 recorded: who changed their terms before it was not recorded
-- and cannot be told now.
--
-- invoices_terms is restated from 075 (078 and later did not restate it).
ALTER TABLE abgleich.invoices
    ADD COLUMN terms_logins text[] NOT NULL DEFAULT '{}';

UPDATE abgleich.invoices SET terms_logins = ARRAY[terms_by]
    WHERE terms_by IS NOT NULL;

CREATE OR REPLACE FUNCTION abgleich.invoices_terms() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.terms_by := NULL;
        NEW.terms_at := NULL;
        NEW.terms_logins := '{}';
        RETURN NEW;
    END IF;
    IF NEW.terms_by IS DISTINCT FROM OLD.terms_by OR NEW.terms_at IS DISTINCT FROM OLD.terms_at
       OR NEW.terms_logins IS DISTINCT FROM OLD.terms_logins THEN
        RAISE EXCEPTION 'who changed the payment terms of invoice % is recorded by the database, not set by hand',
            OLD.invoice_number;
    END IF;
    -- Left an approval: the terms from now on are new ones.
    IF OLD.status IN ('approved', 'in_payment', 'paid') AND NEW.status IN ('open', 'returned') THEN
        NEW.terms_logins := CASE WHEN NEW.terms_by IS NULL THEN '{}'::text[]
                                 ELSE ARRAY[NEW.terms_by] END;
    END IF;
    IF NEW.iban IS DISTINCT FROM OLD.iban OR NEW.bic IS DISTINCT FROM OLD.bic
       OR NEW.payee_name IS DISTINCT FROM OLD.payee_name
       OR NEW.seller_name IS DISTINCT FROM OLD.seller_name
       OR NEW.currency IS DISTINCT FROM OLD.currency
       OR NEW.amount_due_cents > OLD.amount_due_cents THEN
        NEW.terms_by := session_user;
        NEW.terms_at := now();
        IF NOT session_user::text = ANY (NEW.terms_logins) THEN
            NEW.terms_logins := NEW.terms_logins || session_user::text;
        END IF;
    END IF;
    IF NEW.status = 'approved' AND (OLD.status <> 'approved'
                                    OR NEW.approved_by IS DISTINCT FROM OLD.approved_by)
       AND NEW.approved_by = ANY (NEW.terms_logins) THEN
        IF NEW.approved_by = NEW.terms_by THEN
            RAISE EXCEPTION 'invoice %: its payment terms (payee account, name, currency or a higher amount) were last changed by % (%): another login approves it (four eyes)',
                OLD.invoice_number, NEW.terms_by, NEW.terms_at;
        END IF;
        RAISE EXCEPTION 'invoice %: its payment terms (payee account, name, currency or a higher amount) were changed by % since it was imported or last approved (by %, last by % at %): another login approves it (four eyes)',
            OLD.invoice_number, NEW.approved_by, array_to_string(NEW.terms_logins, ', '),
            NEW.terms_by, NEW.terms_at;
    END IF;
    IF NEW.status = 'in_payment' AND OLD.status <> 'in_payment'
       AND NEW.approved_by = ANY (NEW.terms_logins) THEN
        RAISE EXCEPTION 'invoice %: approved by %, who changed its payment terms since it was imported or last approved (%): it cannot be in payment',
            OLD.invoice_number, NEW.approved_by, array_to_string(NEW.terms_logins, ', ');
    END IF;
    RETURN NEW;
END;
$$;
