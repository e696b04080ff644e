-- 025_keys_fixed.sql - a claim's input file and a bank transaction's
-- statement are fixed once written, like the other keys checked per
-- statement.
--
-- 014 replaced the foreign keys of claims (file_id) and bank transactions
-- (file_id, statement_id) by checks of each statement's new rows; 022 made
-- the keys others name fixed (claims.id, bank_transactions.file_id, seq).
-- An UPDATE of claims.file_id or bank_transactions.statement_id stayed
-- unchecked: it could name a file or statement that does not exist, which
-- the foreign key had refused.  Nothing of ours changes them (purge blanks
-- personal fields only), so they are refused outright.

DROP TRIGGER claims_keys_fixed ON abgleich.claims;
CREATE TRIGGER claims_keys_fixed BEFORE UPDATE OF id, file_id ON abgleich.claims
    FOR EACH ROW EXECUTE FUNCTION abgleich.keys_are_fixed();
DROP TRIGGER bank_transactions_keys_fixed ON abgleich.bank_transactions;
CREATE TRIGGER bank_transactions_keys_fixed BEFORE UPDATE OF file_id, seq, statement_id
    ON abgleich.bank_transactions FOR EACH ROW EXECUTE FUNCTION abgleich.keys_are_fixed();
