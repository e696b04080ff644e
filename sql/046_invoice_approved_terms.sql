-- 046_invoice_approved_terms.sql - what a second person approved is what
-- is paid, all of it (tests/integration/t_invoice_rules.sh).
--
-- 041 (restated by 043) refused, on an approved invoice or one in payment,
-- a change of the payee's IBAN or BIC and a higher amount due.  Everything
-- else `pay` (jobs/pay.c) writes into the pain.001 or decides by could
-- still be changed after the approval, and was paid as changed:
--   currency          pay takes only EUR and writes Ccy="EUR": an approved
--                     invoice of 1 000 USD set to EUR was paid as 1 000 EUR;
--   due_date          which run pays it (due on or before --due-by; the
--                     execution date is the run's, not the invoice's);
--   remittance        the remittance text (Ustrd) the payee's bank shows;
--   invoice_number    the remittance text when there is none, and what
--                     reconcile finds the debit by;
--   seller_name, payee_name
--                     the creditor's name (Cdtr/Nm) beside the IBAN, which
--                     the payer's bank checks against the account holder
--                     (verification of payee; below);
--   id                the EndToEndId (ABG-<id>) the bank reports back;
--   seller_key, document_id
--                     which seller's invoice it is, and the document the
--                     approver looked at.
-- In payment, the file is written: the amount due cannot be lowered
-- either (a credit note lowers only open, approved or returned invoices,
-- sql/041), nor the EndToEndId or the payment file changed (reconcile
-- pairs the bank's debit with the invoice by them).
--
-- What stays possible, because the engine does it: lowering the amount of
-- an approved invoice (a credit note), every status change the engine
-- makes (superseded and credited by 041's invoice_link, in_payment with
-- the EndToEndId and file by pay, paid and returned by reconcile, approved
-- again with a new IBAN and no BIC by approve --iban on a returned one,
-- sql/042), and linking preceding invoices (preceding_id, preceding_ids,
-- also of an approved correction).  To change anything else, set the
-- invoice open again (it then needs a new approval).
--
-- The payee (BT-59, verification of payee): an invoice may name a payee
-- other than the seller (a factoring company, a parent company's
-- collection account); the IBAN is then the payee's, and the import kept
-- no payee, so pay named the seller as the creditor beside the payee's
-- IBAN.  Under the EU instant payments regulation (2024/886) the payer's
-- bank checks that name against the account holder: a mismatch warns or
-- holds the transfer, since the file named someone other than the holder
-- of the account the money went to.  payee_name keeps BT-59 (NULL: none named, the seller is
-- paid); pay names it as the creditor, and it is held after approval like
-- the seller's name.
--
-- The trigger of 043 is restated whole (CREATE OR REPLACE takes no less)
-- with these checks added.
ALTER TABLE abgleich.invoices ADD COLUMN payee_name text;

CREATE OR REPLACE FUNCTION abgleich.invoices_who() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed text[];
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
        -- And everything else the payment file says or the run decides by.
        changed := array_remove(ARRAY[
            CASE WHEN NEW.currency IS DISTINCT FROM OLD.currency THEN 'currency' END,
            CASE WHEN NEW.due_date IS DISTINCT FROM OLD.due_date THEN 'due_date' END,
            CASE WHEN NEW.remittance IS DISTINCT FROM OLD.remittance THEN 'remittance' END,
            CASE WHEN NEW.invoice_number IS DISTINCT FROM OLD.invoice_number THEN 'invoice_number' END,
            CASE WHEN NEW.seller_name IS DISTINCT FROM OLD.seller_name THEN 'seller_name' END,
            CASE WHEN NEW.payee_name IS DISTINCT FROM OLD.payee_name THEN 'payee_name' END,
            CASE WHEN NEW.seller_key IS DISTINCT FROM OLD.seller_key THEN 'seller_key' END,
            CASE WHEN NEW.document_id IS DISTINCT FROM OLD.document_id THEN 'document_id' END,
            CASE WHEN NEW.id IS DISTINCT FROM OLD.id THEN 'id' END], NULL);
        IF OLD.status = 'in_payment' THEN
            changed := changed || array_remove(ARRAY[
                CASE WHEN NEW.amount_due_cents IS DISTINCT FROM OLD.amount_due_cents
                     THEN 'amount_due_cents' END,
                CASE WHEN NEW.end_to_end_id IS DISTINCT FROM OLD.end_to_end_id
                     THEN 'end_to_end_id' END,
                CASE WHEN NEW.payment_file IS DISTINCT FROM OLD.payment_file
                     THEN 'payment_file' END], NULL);
        END IF;
        IF cardinality(changed) > 0 THEN
            RAISE EXCEPTION 'invoice % is %: % cannot be changed: %', OLD.invoice_number,
                OLD.status, array_to_string(changed, ', '),
                CASE OLD.status
                    WHEN 'approved' THEN 'what was approved is what is paid (set it open again; it then needs a new approval)'
                    ELSE 'the payment file is written' END;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
