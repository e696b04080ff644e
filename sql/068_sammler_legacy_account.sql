-- 068_sammler_legacy_account.sql - an MT940 Sammler whose :25: names the
-- account by bank code and account number ("37040044/0532013000", the
-- pre-SEPA form) is tied to the camt.054 that names the same account by
-- its IBAN (jobs/entrylink.c, sql/047, sql/058, sql/064).
--
-- The account is one of the facts both entries must share
-- (entry_pair_level), and every lookup of the other side went by the
-- account as stated: such a Sammler never met its camt.054 and waited for
-- a clerk.  Now the facts of an entry carry its account as entries are
-- tied by it (abgleich.tie_account): an IBAN (or anything else) as
-- stated; a :25: of exactly 8 digits, '/', 1 to 10 digits (not all
-- zero) as the IBAN derived from it the plain way: DE, the ISO 7064
-- MOD 97-10 check digits, the bank code, the account number padded with
-- zeros to 10 digits.  An account of more than 10 digits, one with
-- letters, a currency suffix or blanks stays as it is (no derivation is
-- exact there), and ties as before only to the same text.
--
-- The plain derivation is not always the bank's IBAN: the Bundesbank's
-- IBAN rules (IBAN-Regeln, one per bank code where it applies) map some
-- accounts to another bank code or another account number.  The derived
-- value is therefore never stored nor shown as the account's IBAN; it is
-- only compared, and two entries are one account's only when the derived
-- IBAN equals the camt.054's IBAN exactly, check digits and all.  Where a
-- bank's rule gives another IBAN the two simply are not tied (a clerk
-- closes the total, as before), never tied to another account: an IBAN
-- names one account, and the plain IBAN of (bank code, account) equals a
-- stated IBAN only when its bank code and account number are those.
--
-- Lookups by index stay lookups by index: the stored rows are found by
-- the texts a statement may have stored for the IBAN
-- (abgleich.tie_accounts: the IBAN, and for a German IBAN bank code '/'
-- account number with and without its leading zeros, each kept only
-- when it derives to that IBAN), through the existing indexes that lead
-- with the account.

-- The account as entries are tied by it; see above.
CREATE FUNCTION abgleich.tie_account(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p ~ '^[0-9]{8}/[0-9]{1,10}$' AND ltrim(substr(p, 10), '0') <> '' THEN
            'DE' || lpad((98 - mod((substr(p, 1, 8) || lpad(substr(p, 10), 10, '0')
                                    || '131400')::numeric, 97))::text, 2, '0')
                 || substr(p, 1, 8) || lpad(substr(p, 10), 10, '0')
        ELSE p END
$$;

-- The texts a statement may have stored for the account p (as tie_account
-- gives it): p, and of a German IBAN the bank code and account number
-- whose plain derivation it is, with the account's leading zeros or
-- without any of them.
CREATE FUNCTION abgleich.tie_accounts(p text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_agg(DISTINCT f.a) FROM (
        SELECT p AS a
        UNION ALL
        SELECT substr(p, 5, 8) || '/' || right(substr(p, 13), k)
        FROM generate_series(1, 10) k
        WHERE p ~ '^DE[0-9]{20}$' AND k >= length(ltrim(substr(p, 13), '0'))) f
    WHERE abgleich.tie_account(f.a) = p
$$;

-- 047's entry_facts, the account as entries are tied by it.
CREATE OR REPLACE FUNCTION abgleich.entry_facts(p_rows abgleich.bank_transactions[], p_kind text)
RETURNS SETOF abgleich.entry_fact
LANGUAGE sql IMMUTABLE AS $$
    SELECT t.statement_id, t.entry_no, t.file_id, t.seq, p_kind, abgleich.tie_account(t.account),
           t.booking_date,
           CASE WHEN t.entry_cents IS NULL THEN t.direction::text
                WHEN t.entry_cents < 0 THEN 'D' ELSE 'C' END,
           t.currency, coalesce(abs(t.entry_cents), t.amount_cents),
           coalesce(t.batch_txs, t.entry_txs, 1), t.batch_txs IS NOT NULL,
           abgleich.usable_id(coalesce(t.entry_ref, t.acct_svcr_ref)),
           abgleich.usable_id(t.acct_svcr_ref), abgleich.usable_id(t.end_to_end_id),
           t.amount_cents, abgleich.usable_id(t.batch_pmt_inf_id),
           abgleich.usable_id(t.batch_msg_id)
    FROM unnest(p_rows) t
$$;

-- 058's entry_rows_053: p_account is a tied account (an entry fact's);
-- the rows are found under every text stored for it, and each entry whole
-- under the text its hit was stored with.
CREATE OR REPLACE FUNCTION abgleich.entry_rows_053(p_account text, p_days date[], p_ids text[],
                                                   p_e2e text[])
RETURNS SETOF abgleich.bank_transactions
LANGUAGE sql STABLE AS $$
    WITH acct AS (SELECT abgleich.tie_accounts(p_account) AS a),
    hit AS (
        SELECT t.statement_id, t.entry_no, t.booking_date, t.account
        FROM abgleich.bank_transactions t, acct
        WHERE t.acct_svcr_ref = ANY (p_ids) AND t.account = ANY (acct.a)
          AND t.booking_date = ANY (p_days)
        UNION SELECT t.statement_id, t.entry_no, t.booking_date, t.account
        FROM abgleich.bank_transactions t, acct
        WHERE t.entry_ref = ANY (p_ids) AND t.account = ANY (acct.a)
          AND t.booking_date = ANY (p_days)
        UNION SELECT t.statement_id, t.entry_no, t.booking_date, t.account
        FROM abgleich.bank_transactions t, acct
        WHERE t.batch_pmt_inf_id = ANY (p_ids) AND t.account = ANY (acct.a)
          AND t.booking_date = ANY (p_days)
        UNION SELECT t.statement_id, t.entry_no, t.booking_date, t.account
        FROM abgleich.bank_transactions t, acct
        WHERE t.batch_msg_id = ANY (p_ids) AND t.account = ANY (acct.a)
          AND t.booking_date = ANY (p_days)
        UNION SELECT t.statement_id, t.entry_no, t.booking_date, t.account
        FROM abgleich.bank_transactions t, acct
        WHERE t.end_to_end_id = ANY (p_e2e) AND t.account = ANY (acct.a)
          AND t.booking_date = ANY (p_days)
        UNION SELECT t.statement_id, t.entry_no, t.booking_date, t.account
        FROM abgleich.bank_transactions t, acct
        WHERE t.batch_txs IS NOT NULL AND t.account = ANY (acct.a)
          AND t.booking_date = ANY (p_days))
    -- The entry whole, by the unique index that leads with account, day and
    -- entry number (sql/021): a join planned by estimates read every row.
    SELECT t.* FROM hit h JOIN abgleich.statements s ON s.id = h.statement_id
    CROSS JOIN LATERAL (SELECT u.* FROM abgleich.bank_transactions u
                        WHERE u.account = h.account AND u.booking_date = h.booking_date
                          AND u.entry_no = h.entry_no AND u.statement_id = h.statement_id
                          AND u.tx_key IS NOT NULL OFFSET 0) t
    WHERE abgleich.entry_stmt_kind(s.format, t.batch_txs) AND NOT t.provisional
$$;

CREATE OR REPLACE FUNCTION abgleich.entry_rows_day_053(p_account text, p_day date, p_cents bigint)
RETURNS SETOF abgleich.bank_transactions
LANGUAGE sql STABLE AS $$
    SELECT t.* FROM abgleich.bank_transactions t JOIN abgleich.statements s ON s.id = t.statement_id
    WHERE t.account = ANY (abgleich.tie_accounts(p_account)) AND t.booking_date = p_day
      AND t.tx_key IS NOT NULL
      AND coalesce(abs(t.entry_cents), t.amount_cents) = p_cents
      AND abgleich.entry_stmt_kind(s.format, t.batch_txs) AND NOT t.provisional
$$;

-- 047's entry_rows_054, under every text stored for the tied account.
CREATE OR REPLACE FUNCTION abgleich.entry_rows_054(p_account text, p_days date[])
RETURNS SETOF abgleich.bank_transactions
LANGUAGE sql STABLE AS $$
    SELECT t.* FROM abgleich.statements s
    CROSS JOIN LATERAL (SELECT u.* FROM abgleich.bank_transactions u
                        WHERE u.file_id = s.file_id AND u.statement_id = s.id OFFSET 0) t
    WHERE s.account = ANY (abgleich.tie_accounts(p_account))
      AND abgleich.message_kind(s.format) = 'camt.054'
      AND (s.booked_from IS NULL OR (s.booked_from <= (SELECT max(d) FROM unnest(p_days) d)
                                     AND s.booked_to >= (SELECT min(d) FROM unnest(p_days) d)))
      AND t.booking_date = ANY (p_days) AND NOT t.provisional
$$;

-- 047's entry_waiting_054; p_account is a statement's account as stated
-- (jobs/entrylink.c): an MT940's "BLZ/account" finds the camt.054 entries
-- of its IBAN.
CREATE OR REPLACE FUNCTION abgleich.entry_waiting_054(p_account text, p_from date, p_to date)
RETURNS TABLE (day date, dir text, cents bigint, txs int)
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT f.day, f.dir, f.cents, f.txs
    FROM abgleich.entry_facts(ARRAY(
        SELECT x.u FROM abgleich.statements s
        CROSS JOIN LATERAL (
            SELECT u FROM abgleich.bank_transactions u
            WHERE u.file_id = s.file_id AND u.statement_id = s.id
              AND NOT u.provisional AND u.booking_date IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM abgleich.entry_links l
                              WHERE l.ntf_statement = u.statement_id AND l.ntf_entry = u.entry_no)
            OFFSET 0) x
        WHERE s.account = ANY (abgleich.tie_accounts(abgleich.tie_account(p_account)))
          AND abgleich.message_kind(s.format) = 'camt.054'
          AND (p_from IS NULL OR s.booked_to IS NULL OR s.booked_to >= p_from)
          AND (p_to IS NULL OR s.booked_from IS NULL OR s.booked_from <= p_to)),
        'camt.054') f
    ORDER BY 1, 2, 3, 4
$$ SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off;
