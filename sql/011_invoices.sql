-- 011_invoices.sql - e-invoices in, payments out (issue 6).
--
-- Every document received is archived whole with its SHA-256 and what
-- became of it (accepted, rejected with its rules, duplicate); importing
-- the same file again changes nothing.  An accepted document becomes an
-- invoice, unique per seller and number, that moves open -> approved (by
-- someone other than the importer) -> in_payment (in a pain.001 file, with
-- the EndToEndId the bank will report back) -> paid (its debit found on a
-- statement, a ledger row).  The public view abgleich.payables lists the
-- invoices accepted for payment and nothing else.  Money: bigint cents;
-- amount_due_cents is BT-115 with the credit-note sign (negative: the
-- seller owes us).
CREATE TABLE abgleich.invoice_documents (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    sha256      text NOT NULL UNIQUE,
    size_bytes  bigint NOT NULL,
    content     bytea NOT NULL,
    attachment  text,                    -- the XML taken out of a PDF
    outcome     text NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'duplicate')),
    reason      text,                    -- why rejected or duplicate, one line
    findings    jsonb NOT NULL DEFAULT '[]',
    received_at timestamptz NOT NULL DEFAULT now(),
    received_by text NOT NULL DEFAULT current_user
);

CREATE TABLE abgleich.invoices (
    id               bigserial PRIMARY KEY,
    document_id      bigint NOT NULL REFERENCES abgleich.invoice_documents,
    invoice_number   text NOT NULL,
    type_code        text NOT NULL,
    profile          text,
    seller_key       text NOT NULL,      -- VAT id, else the name: who "the same seller" is
    seller_name      text NOT NULL,
    issue_date       date,
    due_date         date,
    currency         text NOT NULL,
    buyer_reference  text,               -- Leitweg-ID as sent
    leitweg_ok       boolean,
    iban             text,
    bic              text,
    remittance       text,
    amount_due_cents bigint NOT NULL,
    status           text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'approved', 'in_payment', 'paid')),
    imported_by      text NOT NULL DEFAULT current_user,
    approved_by      text,
    approved_at      timestamptz,
    end_to_end_id    text UNIQUE,
    payment_file     text,
    CHECK (approved_by IS NULL OR approved_by <> imported_by),
    UNIQUE (seller_key, invoice_number)
);
CREATE INDEX invoices_status ON abgleich.invoices (status);

CREATE VIEW abgleich.payables AS
SELECT i.invoice_number, i.seller_name, i.issue_date, i.due_date, i.amount_due_cents,
       i.iban, i.status
FROM abgleich.invoices i;

-- Outgoing payments in the same ledger as incoming ones: a debit paying
-- an invoice is a row naming the invoice, not a claim.
ALTER TABLE abgleich.allocations
    ADD COLUMN invoice_id bigint REFERENCES abgleich.invoices,
    DROP CONSTRAINT allocations_claim_or_refund,
    ADD CONSTRAINT allocations_claim_or_refund
        CHECK (claim_id IS NOT NULL OR invoice_id IS NOT NULL
               OR method IN ('refund', 'refund_reversal'));
CREATE INDEX allocations_invoice ON abgleich.allocations (invoice_id) WHERE invoice_id IS NOT NULL;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT INSERT ON abgleich.invoice_documents, abgleich.invoices TO abgleich_treasury;
        GRANT UPDATE (status, approved_by, approved_at, end_to_end_id, payment_file)
            ON abgleich.invoices TO abgleich_treasury;
    END IF;
END
$$;
