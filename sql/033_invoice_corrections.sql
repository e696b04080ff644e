-- 033_invoice_corrections.sql - a corrected invoice or a credit note that
-- names the invoice it refers to (BT-25) acts on that invoice.
--
-- Before, each document was a payable of its own: a corrected invoice
-- (type 384) and the invoice it corrects were both approved and paid (the
-- second audit: paid twice), and a credit note stayed beside its invoice,
-- which was paid in full.  Now, when an accepted document names a
-- preceding invoice of the same seller (abgleich.invoice_link, called by
-- `import invoices`):
--   corrected invoice (384), the original not yet in payment
--       the original is 'superseded' and can no longer be approved or paid;
--   corrected invoice, the original in payment or paid
--       only the difference is due on the correction (negative: the seller
--       owes it back; left for a clerk);
--   credit note (any document with a negative amount due), the invoice not
--       yet in payment and owing at least the credit
--       the invoice's amount due is lowered by it and the credit note is
--       'credited' (nothing left on it); an invoice lowered to nothing is
--       'credited' too;
--   anything else (the invoice unknown, in payment, paid, or owing less)
--       stays as it was, and the import says why.
-- amount_due_cents is what is still to pay on a document; invoiced_cents
-- keeps BT-115 as the document says it.
ALTER TABLE abgleich.invoices DROP CONSTRAINT invoices_status_check,
    ADD CONSTRAINT invoices_status_check
        CHECK (status IN ('open', 'approved', 'in_payment', 'paid', 'returned', 'superseded',
                          'credited')),
    ADD COLUMN preceding_number text,
    ADD COLUMN preceding_id bigint REFERENCES abgleich.invoices,
    ADD COLUMN invoiced_cents bigint;
UPDATE abgleich.invoices SET invoiced_cents = amount_due_cents;

-- What happened, in one line for the import's log; NULL if the document
-- names no preceding invoice.
CREATE FUNCTION abgleich.invoice_link(p_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    n abgleich.invoices;
    o abgleich.invoices;
BEGIN
    SELECT * INTO n FROM abgleich.invoices WHERE id = p_id;
    IF n.preceding_number IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO o FROM abgleich.invoices
    WHERE seller_key = n.seller_key AND invoice_number = n.preceding_number AND id <> n.id
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN format('refers to invoice %s, which is not known: check it before approving',
                      n.preceding_number);
    END IF;
    UPDATE abgleich.invoices SET preceding_id = o.id WHERE id = n.id;
    IF n.amount_due_cents < 0 THEN
        IF o.status NOT IN ('open', 'approved', 'returned')
           OR o.amount_due_cents + n.amount_due_cents < 0 THEN
            RETURN format('credit note of %s EUR for invoice %s, which is %s with %s EUR due:'
                          ' left open for a clerk (the seller owes it back)',
                          abgleich.cents_en(-n.amount_due_cents), o.invoice_number, o.status,
                          abgleich.cents_en(o.amount_due_cents));
        END IF;
        UPDATE abgleich.invoices
        SET amount_due_cents = o.amount_due_cents + n.amount_due_cents,
            status = CASE WHEN o.amount_due_cents + n.amount_due_cents = 0 THEN 'credited'
                          ELSE o.status END
        WHERE id = o.id;
        UPDATE abgleich.invoices SET amount_due_cents = 0, status = 'credited' WHERE id = n.id;
        RETURN format('credit note: invoice %s now has %s EUR due (was %s EUR)', o.invoice_number,
                      abgleich.cents_en(o.amount_due_cents + n.amount_due_cents),
                      abgleich.cents_en(o.amount_due_cents));
    END IF;
    IF n.type_code <> '384' THEN
        RETURN format('refers to invoice %s (%s)', o.invoice_number, o.status);
    END IF;
    IF o.status IN ('open', 'approved', 'returned') THEN
        UPDATE abgleich.invoices SET status = 'superseded' WHERE id = o.id;
        RETURN format('corrects invoice %s of %s EUR, which is superseded and will not be paid',
                      o.invoice_number, abgleich.cents_en(o.amount_due_cents));
    ELSIF o.status IN ('in_payment', 'paid') THEN
        UPDATE abgleich.invoices SET amount_due_cents = n.amount_due_cents - o.amount_due_cents
        WHERE id = n.id;
        RETURN format('corrects invoice %s, which is %s with %s EUR: only the difference,'
                      ' %s EUR, is due', o.invoice_number, o.status,
                      abgleich.cents_en(o.amount_due_cents),
                      abgleich.cents_en(n.amount_due_cents - o.amount_due_cents));
    END IF;
    RETURN format('corrects invoice %s, which is %s: check it before approving',
                  o.invoice_number, o.status);
END;
$$;

-- The links of a newly accepted document: its own preceding invoice, and
-- the corrections and credit notes imported before it that name it (they
-- came first; the original is acted on now).
CREATE FUNCTION abgleich.invoice_links(p_id bigint) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    n abgleich.invoices;
    c record;
    m text;
BEGIN
    m := abgleich.invoice_link(p_id);
    IF m IS NOT NULL THEN
        RETURN NEXT m;
    END IF;
    SELECT * INTO n FROM abgleich.invoices WHERE id = p_id;
    FOR c IN SELECT i.id, i.invoice_number FROM abgleich.invoices i
             WHERE i.seller_key = n.seller_key AND i.preceding_number = n.invoice_number
               AND i.preceding_id IS NULL AND i.id <> n.id
             ORDER BY i.id
    LOOP
        RETURN NEXT format('named by %s, imported before: %s', c.invoice_number,
                           abgleich.invoice_link(c.id));
    END LOOP;
END;
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT UPDATE (amount_due_cents, preceding_id) ON abgleich.invoices TO abgleich_treasury;
    END IF;
END
$$;
