-- 058_mt940_batches.sql - an MT940 collective booking (Sammler) is a batch
-- total as a camt.053 entry without details is, and its camt.054 settles it
-- (formats/mt940.c, jobs/entrylink.c, jobs/batches.c; sql/038, sql/047).
--
-- An MT940 statement books a batch on one :61: whose :86: says it is a
-- collective booking: a Sammler GVC (191/194 SCT, 192/195 and 196/197 SDD,
-- 188/189 SCT Inst) or SAMMLER in the booking text ?00, often with its count
-- ("Anz:4", "mit 004 Zahlungen").  It went to the matcher as one payment of
-- the whole amount: a clarification that misled a clerk, or, with a
-- reference in its text, the whole batch's money allocated to one claim.
-- Now the reader marks it (payment.batch) and reconcile stores it as a
-- batch total (bank_transactions.batch_txs, its count; NULL when the
-- bank states none, and then it is never tied: the count is one of the
-- facts both sides must state).
--
-- Here: the stored entries a camt.054 may belong to are a camt.053's, and
-- now also an MT940's batch totals with their count (only those: an MT940's
-- single payments are not notified, and a :61: of one payment stays what it
-- was).  An MT940 entry's facts are its :61:'s: the account as :25: states
-- it (the camt.054 names an IBAN, so a :25: of BLZ/account number finds no
-- camt.054), the booking day, direction, amount, the bank reference after
-- '//' (bank_reference), else amount, day and count alone.

CREATE OR REPLACE FUNCTION abgleich.entry_stmt_kind(p_format text, p_batch_txs int)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT abgleich.message_kind(p_format) = 'camt.053'
        OR (abgleich.message_kind(p_format) = 'MT940' AND p_batch_txs IS NOT NULL)
$$;

CREATE OR REPLACE FUNCTION abgleich.entry_rows_053(p_account text, p_days date[], p_ids text[],
                                                   p_e2e text[])
RETURNS SETOF abgleich.bank_transactions
LANGUAGE sql STABLE AS $$
    WITH hit AS (
        SELECT t.statement_id, t.entry_no, t.booking_date FROM abgleich.bank_transactions t
        WHERE t.acct_svcr_ref = ANY (p_ids) AND t.account = p_account
          AND t.booking_date = ANY (p_days)
        UNION SELECT t.statement_id, t.entry_no, t.booking_date FROM abgleich.bank_transactions t
        WHERE t.entry_ref = ANY (p_ids) AND t.account = p_account
          AND t.booking_date = ANY (p_days)
        UNION SELECT t.statement_id, t.entry_no, t.booking_date FROM abgleich.bank_transactions t
        WHERE t.batch_pmt_inf_id = ANY (p_ids) AND t.account = p_account
          AND t.booking_date = ANY (p_days)
        UNION SELECT t.statement_id, t.entry_no, t.booking_date FROM abgleich.bank_transactions t
        WHERE t.batch_msg_id = ANY (p_ids) AND t.account = p_account
          AND t.booking_date = ANY (p_days)
        UNION SELECT t.statement_id, t.entry_no, t.booking_date FROM abgleich.bank_transactions t
        WHERE t.end_to_end_id = ANY (p_e2e) AND t.account = p_account
          AND t.booking_date = ANY (p_days)
        UNION SELECT t.statement_id, t.entry_no, t.booking_date FROM abgleich.bank_transactions t
        WHERE t.batch_txs IS NOT NULL AND t.account = p_account
          AND t.booking_date = ANY (p_days))
    -- The entry whole, by the unique index that leads with account, day and
    -- entry number (sql/021): a join planned by estimates read every row.
    SELECT t.* FROM hit h JOIN abgleich.statements s ON s.id = h.statement_id
    CROSS JOIN LATERAL (SELECT u.* FROM abgleich.bank_transactions u
                        WHERE u.account = p_account AND u.booking_date = h.booking_date
                          AND u.entry_no = h.entry_no AND u.statement_id = h.statement_id
                          AND u.tx_key IS NOT NULL OFFSET 0) t
    WHERE abgleich.entry_stmt_kind(s.format, t.batch_txs) AND NOT t.provisional
$$;

CREATE OR REPLACE FUNCTION abgleich.entry_rows_day_053(p_account text, p_day date, p_cents bigint)
RETURNS SETOF abgleich.bank_transactions
LANGUAGE sql STABLE AS $$
    SELECT t.* FROM abgleich.bank_transactions t JOIN abgleich.statements s ON s.id = t.statement_id
    WHERE t.account = p_account AND t.booking_date = p_day AND t.tx_key IS NOT NULL
      AND coalesce(abs(t.entry_cents), t.amount_cents) = p_cents
      AND abgleich.entry_stmt_kind(s.format, t.batch_txs) AND NOT t.provisional
$$;
