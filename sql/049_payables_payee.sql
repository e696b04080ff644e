-- 049_payables_payee.sql - the approver sees who is paid.
--
-- 046 keeps the invoice's payee (BT-59), whose name pay writes beside the
-- IBAN when it is not the seller's (a factoring bank, a parent company).
-- The list a second person approves from, abgleich.payables, showed the
-- seller and the IBAN only, so the approver could not see that the money
-- goes to someone else.  payee_name is added as its last column (NULL: the
-- seller is paid); CREATE OR REPLACE keeps what is built on the view.
CREATE OR REPLACE VIEW abgleich.payables AS
SELECT i.invoice_number, i.seller_name, i.issue_date, i.due_date, i.amount_due_cents,
       i.iban, i.status, i.payee_name
FROM abgleich.invoices i;
