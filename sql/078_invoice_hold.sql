-- 078_invoice_hold.sql - an invoice the standard lets pass but abgleich
-- does not pay unseen is held for a clerk (a review's find).
--
-- EN 16931 adds any rounding amount (BT-114) and subtracts any paid amount
-- (BT-113) in BR-CO-16: a UBL invoice with a total of 336.90 and a
-- rounding amount of 500.00, or a paid amount of -500.00, owes 836.90, and
-- was imported so and would have been paid so.  The official CII rule
-- BR-CO-15 accepts a total with VAT (BT-112) equal to the total without it
-- (BT-109) whatever VAT the invoice states: 314.86 due for 336.90 of goods
-- and VAT.  Conformant documents; the import accepts them (engine/
-- einvcheck.c, findings of severity "hold": AB-ROUNDING for |BT-114| over
-- 0.99, AB-PREPAID for BT-113 below 0, AB-VAT-TOTAL), and stores what
-- holds the invoice, in German and English, in invoices.hold.
--
-- A held invoice cannot be approved (the database refuses, whoever asks).
-- A clerk who has looked at the amounts (and lowered the amount due, if
-- that is the answer) lifts the hold: UPDATE abgleich.invoices SET hold =
-- NULL.  Who and when is recorded by the database (hold_lifted_by from
-- session_user, hold_lifted_at), not by hand, and that login cannot also
-- approve the invoice: another one does (four eyes, as for reset_by, 051).
-- The hold is the import's finding: a clerk may lift it, not write one.
-- A trigger of its own, as 054 and 060, so that no earlier function is
-- restated; BEFORE, named so that it runs before invoices_paid_kept (050),
-- invoices_who and invoices_workflow (051), none of which looks at these
-- columns.
ALTER TABLE abgleich.invoices
    ADD COLUMN hold text,
    ADD COLUMN hold_lifted_by text,
    ADD COLUMN hold_lifted_at timestamptz;

CREATE FUNCTION abgleich.invoices_hold() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.hold_lifted_by := NULL;
        NEW.hold_lifted_at := NULL;
        RETURN NEW;
    END IF;
    IF NEW.hold_lifted_by IS DISTINCT FROM OLD.hold_lifted_by
       OR NEW.hold_lifted_at IS DISTINCT FROM OLD.hold_lifted_at THEN
        RAISE EXCEPTION 'who lifted the hold on invoice % is recorded by the database when the hold is lifted (SET hold = NULL), not set by hand',
            OLD.invoice_number;
    END IF;
    IF NEW.hold IS DISTINCT FROM OLD.hold THEN
        IF NEW.hold IS NOT NULL THEN
            RAISE EXCEPTION 'the hold on invoice % is what the import found in the document; a clerk lifts it (SET hold = NULL), never writes one',
                OLD.invoice_number;
        END IF;
        NEW.hold_lifted_by := session_user;
        NEW.hold_lifted_at := now();
    END IF;
    IF NEW.status = 'approved' AND OLD.status <> 'approved' THEN
        IF NEW.hold IS NOT NULL THEN
            RAISE EXCEPTION 'invoice % is held for a clerk and cannot be approved: % -- Rechnung % ist angehalten und kann nicht freigegeben werden: erst prüft ein Sachbearbeiter die Beträge und hebt den Halt auf (UPDATE abgleich.invoices SET hold = NULL), dann gibt ein anderes Login sie frei / a clerk checks the amounts and lifts the hold (UPDATE abgleich.invoices SET hold = NULL), then another login approves it',
                OLD.invoice_number, replace(NEW.hold, E'\n', '; '), OLD.invoice_number
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.approved_by = NEW.hold_lifted_by OR session_user = NEW.hold_lifted_by THEN
            RAISE EXCEPTION 'invoice %: its hold was lifted by %, who cannot also approve it: another login does (four eyes) -- Rechnung %: den Halt hat % aufgehoben, freigeben muss ein anderes Login (Vier-Augen-Prinzip)',
                OLD.invoice_number, NEW.hold_lifted_by, OLD.invoice_number, NEW.hold_lifted_by
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_hold BEFORE INSERT OR UPDATE ON abgleich.invoices
    FOR EACH ROW EXECUTE FUNCTION abgleich.invoices_hold();

-- The payables list shows what holds an invoice (a column at the end: the
-- view's earlier columns stay as other systems read them).
CREATE OR REPLACE VIEW abgleich.payables AS
SELECT i.invoice_number, i.seller_name, i.issue_date, i.due_date, i.amount_due_cents,
       i.iban, i.status, i.payee_name, i.hold
FROM abgleich.invoices i;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT UPDATE (hold) ON abgleich.invoices TO abgleich_treasury;
    END IF;
END
$$;
