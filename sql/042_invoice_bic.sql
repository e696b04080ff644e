-- 042_invoice_bic.sql - `approve --iban` clears the payee's old BIC.
--
-- A transfer that came back is approved again with the payee's new IBAN
-- (sql/032); the BIC of the old bank stayed and went into the next
-- pain.001 beside the new IBAN, which can misroute the transfer or bring
-- it back again.  The IBAN alone routes a SEPA transfer, so the approver
-- clears the BIC with the IBAN; the treasury may now write that column.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT UPDATE (bic) ON abgleich.invoices TO abgleich_treasury;
    END IF;
END
$$;
