-- 055_resent_statements.sql - a bank statement sent again under a new
-- statement Id pays nothing twice (jobs/reconcile.c, jobs/resent.c).
--
-- A statement was known as met again only by (account, message kind, Id)
-- or (account, kind, ElctrncSeqNb in the year).  A bank that sends the same
-- camt.053 or MT940 again under a new Stmt/Id (a creation time in the Id, a
-- re-delivery after a fault at the bank) and without a matching
-- ElctrncSeqNb had every payment matched a second time: claims were paid
-- twice with one euro.  Two checks now:
-- 1. The statement: a stored statement of the account and kind with the same
--    opening and closing balance (camt.053), or the same :60F: balance and
--    date (MT940), whose first transaction is this statement's first (its
--    key under the stored statement's Id, engine/returns.c), is this one met
--    again; it is compared transaction by transaction as one met again by
--    its Id is (jobs/stmtgrow.c).  Without balances nothing is guessed.
-- 2. The transaction: a transaction of a new statement whose bank reference
--    (AcctSvcrRef; not NONREF and the like) names a booking stored on the
--    account, of the same message kind, amount, direction and booking day,
--    not provisional, is that booking seen again: stored as provisional
--    (never matched), with the earlier sighting in seen_file/seen_seq; where
--    more than one stored booking fits, a clarification possible_duplicate.
-- Cost: statement_met is the one query per statement that the statement's
-- identity cost before; it also returns the booked days of the account's
-- stored statements of the kind, so that a batch whose payments fall on
-- none of them asks nothing more (a night of new days: no further query).

ALTER TABLE abgleich.bank_transactions
    -- The earlier sighting of the same booking that paid (file, seq), where
    -- this row was stored as provisional because its statement was sent
    -- again under another Id (jobs/resent.c); NULL otherwise.
    ADD COLUMN seen_file bigint,
    ADD COLUMN seen_seq int;

-- The booked days of statements that had none stored (MT940, whose reader
-- leaves them to reconcile since this migration, and camt.053 statements
-- imported before 047): the transaction check finds stored bookings by them.
UPDATE abgleich.statements s SET booked_from = x.f, booked_to = x.l
FROM (SELECT statement_id, min(booking_date) AS f, max(booking_date) AS l
      FROM abgleich.bank_transactions GROUP BY statement_id) x
WHERE s.id = x.statement_id AND s.booked_from IS NULL AND x.f IS NOT NULL;

-- The statement being read (account, format, Id, ElctrncSeqNb, the year of
-- its creation; its balances where they identify it: p_opening NULL asks
-- no 'facts') against the stored ones.  Rows by what:
--   id     the statement met again by its Id or sequence number (at most one)
--   facts  a stored statement of the same balances (and, for MT940, the same
--          opening date p_opened), with the key of its first transaction in
--          the order it was stored and whether it is a reversal (the key
--          leaves RvslInd out) (at most 64, the newest first)
--   days   the booked days of a stored statement of the account and kind
CREATE FUNCTION abgleich.statement_met(p_account text, p_format text, p_stmt_id text,
                                       p_elec_seq text, p_year text, p_opening bigint,
                                       p_closing bigint, p_opened text)
RETURNS TABLE (what text, id bigint, stmt_id text, elec_seq text, first_key text,
               first_reversal boolean, file_name text, day_from date, day_to date)
LANGUAGE sql STABLE AS $$
    (SELECT 'id', s.id, s.stmt_id, coalesce(s.elec_seq, ''), NULL::text, NULL::boolean,
            NULL::text, NULL::date, NULL::date
     FROM abgleich.statements s
     WHERE s.account = p_account
       AND abgleich.message_kind(s.format) = abgleich.message_kind(p_format)
       AND (s.stmt_id = p_stmt_id OR (p_elec_seq <> '' AND s.elec_seq = p_elec_seq
            AND left(coalesce(s.created, ''), 4) = p_year))
     ORDER BY s.id LIMIT 1)
    UNION ALL
    (SELECT 'facts', s.id, s.stmt_id, coalesce(s.elec_seq, ''), k.tx_key, k.reversal, f.name,
            NULL::date, NULL::date
     FROM abgleich.statements s
     JOIN abgleich.input_files f ON f.id = s.file_id
     -- The statement's first row by the primary key of its file.
     CROSS JOIN LATERAL (SELECT u.tx_key, u.reversal FROM abgleich.bank_transactions u
                         WHERE u.file_id = s.file_id AND u.statement_id = s.id
                         ORDER BY u.seq LIMIT 1) k
     WHERE p_opening IS NOT NULL AND s.account = p_account
       AND abgleich.message_kind(s.format) = abgleich.message_kind(p_format)
       AND s.opening_cents = p_opening
       AND (p_closing IS NULL OR s.closing_cents = p_closing)
       AND (p_opened IS NULL OR s.created = p_opened)
       AND s.transactions > 0 AND k.tx_key IS NOT NULL
     ORDER BY s.id DESC LIMIT 64)
    UNION ALL
    (SELECT 'days', s.id, NULL, NULL, NULL, NULL, NULL, s.booked_from, s.booked_to
     FROM abgleich.statements s
     WHERE s.account = p_account
       AND abgleich.message_kind(s.format) = abgleich.message_kind(p_format)
       AND s.booked_from IS NOT NULL)
$$;

-- The bookings the transactions of a batch (p_rows: JSON objects i, ref,
-- day, cents, dir, rvsl, e2e) name by their bank reference: rows stored on
-- the account with that AcctSvcrRef and booking day, in a statement of the
-- kind other than p_statement, booked, not provisional.  Of them, those that
-- fit (the same amount, direction and reversal mark, no EndToEndId that says
-- otherwise).  One row per transaction with at least one that fits: how many
-- fit, how many
-- stored entries the reference names that day (more than one: no bank's own
-- reference of one booking), the first that fits (file, seq), and the files
-- named.  Each transaction costs a probe of the AcctSvcrRef index (sql/003).
CREATE FUNCTION abgleich.resent_bookings(p_account text, p_format text, p_statement bigint,
                                         p_rows jsonb)
RETURNS TABLE (i int, fits int, entries int, seen_file bigint, seen_seq int, others text)
LANGUAGE sql STABLE AS $$
    WITH x AS (SELECT * FROM jsonb_to_recordset(p_rows)
                 AS x(i int, ref text, day date, cents bigint, dir text, rvsl boolean,
                      e2e text)),
    hit AS (SELECT x.i, t.file_id, t.seq, t.statement_id, t.entry_no,
                   (t.amount_cents = x.cents AND t.direction = x.dir AND t.reversal = x.rvsl
                    AND (coalesce(x.e2e, '') IN ('', 'NOTPROVIDED')
                         OR coalesce(t.end_to_end_id, '') IN ('', 'NOTPROVIDED')
                         OR t.end_to_end_id = x.e2e)) AS fit
            -- By the reference alone (OFFSET 0 keeps the other conditions
            -- out): the index behind tx_key, which leads with account and
            -- day, would read the whole day of a big statement per probe.
            FROM x CROSS JOIN LATERAL (
                SELECT u.file_id, u.seq, u.statement_id, u.entry_no, u.amount_cents,
                       u.direction, u.reversal, u.end_to_end_id, u.account, u.booking_date,
                       u.provisional, u.status
                FROM abgleich.bank_transactions u WHERE u.acct_svcr_ref = x.ref
                OFFSET 0) t
            JOIN abgleich.statements s ON s.id = t.statement_id
            WHERE t.account = p_account AND t.booking_date = x.day
              AND t.statement_id <> p_statement
              AND NOT t.provisional AND coalesce(t.status, 'BOOK') = 'BOOK'
              AND abgleich.message_kind(s.format) = abgleich.message_kind(p_format))
    SELECT h.i, (count(*) FILTER (WHERE h.fit))::int,
           (count(DISTINCT (h.statement_id, h.entry_no)))::int,
           (array_agg(h.file_id ORDER BY h.file_id, h.seq) FILTER (WHERE h.fit))[1],
           (array_agg(h.seq ORDER BY h.file_id, h.seq) FILTER (WHERE h.fit))[1],
           string_agg(f.name || ' Ntry ' || h.entry_no, ', ' ORDER BY h.file_id, h.seq)
               FILTER (WHERE h.fit)
    FROM hit h JOIN abgleich.input_files f ON f.id = h.file_id
    GROUP BY h.i HAVING count(*) FILTER (WHERE h.fit) > 0 ORDER BY h.i
$$ SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off;
