-- 007_bank.sql: returns, charges and transaction keys of bank transactions
-- (issue 3).  A return (R-transaction) is a debit that gives back an earlier
-- credit: CAMT RtrInf, an ISO return sub-family, a German return GVC, or an
-- MT940 ?34 key; return_reason holds its ISO code (MS03, AC04, ...) when the
-- bank sent one.  charges_cents are the bank's charges on the transaction,
-- kept apart from the amount (a returned 50.00 booked as 53.00 carries
-- 3.00 here).  tx_key identifies a transaction across imports (statement
-- and position and content, see engine/returns.h); it stays unique where
-- EndToEndId is NOTPROVIDED and AcctSvcrRef NONREF.
ALTER TABLE abgleich.bank_transactions
    ADD COLUMN returned      boolean NOT NULL DEFAULT false,
    ADD COLUMN return_reason text,
    ADD COLUMN charges_cents bigint NOT NULL DEFAULT 0 CHECK (charges_cents >= 0),
    ADD COLUMN tx_key        text;

CREATE UNIQUE INDEX bank_transactions_tx_key ON abgleich.bank_transactions (tx_key);
CREATE INDEX bank_transactions_returned ON abgleich.bank_transactions (file_id) WHERE returned;
