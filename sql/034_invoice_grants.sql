-- 034_invoice_grants.sql - the treasury may mark a document it imported as
-- a duplicate.  011 granted INSERT on invoice_documents but not UPDATE, so
-- a treasury login importing a second document of a known invoice failed
-- with "permission denied" instead of archiving it as a duplicate
-- (found by tests/integration/t_roles.sh).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT UPDATE (outcome, reason) ON abgleich.invoice_documents TO abgleich_treasury;
    END IF;
END
$$;
