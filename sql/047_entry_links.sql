-- 047_entry_links.sql - a camt.054 entry and the camt.053 entry it notifies
-- are tied together by the strongest identifier both state, never by a
-- guess between two (jobs/entrylink.c, jobs/batches.c; the bank notes).
--
-- Two defects had one cause: the engine knew the two messages only by the
-- AcctSvcrRef stored per transaction, which is the transaction's own where
-- it has one.
-- 1. A batch total without details (a camt.053 entry with Btch/NbOfTxs 2
--    and no TxDtls, sql/038) was settled by its camt.054 only when the
--    camt.054's transactions carried no AcctSvcrRef of their own: PostFinance
--    gives each one (TxDtls/Refs/AcctSvcrRef), and the total stayed open
--    for a clerk.
-- 2. A camt.053 that resolves a batch in its TxDtls and a camt.054 with the
--    same transactions were both matched: each payment was allocated twice
--    (the second time as claim_already_paid or an overpayment).
--
-- What the messages state, per ISO 20022 and the DK rules (DFÜ-Abkommen
-- Anlage 3: "Betrag, CdtDbtInd, BookgDt, ValDt und AcctSvcrRef der
-- Sammlerbuchung sind immer auf Entry-Ebene"): the entry's account, booked
-- amount and currency, direction, booking day and AcctSvcrRef; the
-- batch's Btch/PmtInfId and Btch/MsgId (the originator's pain file); the
-- number of transactions (Btch/NbOfTxs, or the TxDtls a camt.054 lists);
-- and per transaction its own AcctSvcrRef and EndToEndId.  NtryRef is not
-- used: PostFinance's camt.054 gives one NtryRef to every entry of the
-- file (its participant number, shared/samples/bank/camt054), so it names
-- no entry.
--
-- So the reader now keeps the entry's facts apart from the transaction's
-- (bank_transactions.entry_ref and the columns below), and two entries
-- belong together when account, booking day, direction, currency, booked
-- amount and count agree and, by strength (entry_pair_level):
--   1 bank_reference       an AcctSvcrRef both state, of the entry or of a
--                          transaction (the bank's own key of the booking)
--   2 payment_information  Btch/PmtInfId (and Btch/MsgId where both have it)
--   3 batch_message        Btch/MsgId
--   4 end_to_end           a transaction of each with one EndToEndId and amount
--   5 amount_day_count     nothing but the facts (a statement books every
--                          entry of its day, so the one entry that fits is it)
-- An identifier both state differently says they are two bookings (an
-- entry AcctSvcrRef, unless a bank reference is shared; a PmtInfId; a
-- MsgId; of a lone transaction its EndToEndId or AcctSvcrRef).  An entry is linked only to its one best candidate, and only
-- when it is that candidate's one best too, and neither is linked yet
-- (link_entries); anything else is left to a clerk: a batch total as
-- batch_ambiguous, a payment as possible_duplicate.  A link to a batch
-- total settles the total (sql/038, batch_resolved); a link of two
-- entries with details marks the later sighting's transactions as
-- booked already: stored as provisional (like an intraday report's rows,
-- sql/037: never matched, never a reversal's original or return, never an
-- invoice's debit), paid by the first.

ALTER TABLE abgleich.bank_transactions
    -- Ntry/AcctSvcrRef where the transaction has its own (acct_svcr_ref),
    -- '' where only the transaction has one; NULL: the entry's is acct_svcr_ref.
    ADD COLUMN entry_ref text,
    -- The entry's booked amount, negative for a debit entry, and its number
    -- of transactions, where it has more than one; NULL: the entry is this row.
    ADD COLUMN entry_cents bigint,
    ADD COLUMN entry_txs int,
    -- Btch/NbOfTxs of a batch total without details (this row is the total).
    ADD COLUMN batch_txs int,
    ADD COLUMN batch_msg_id text,      -- Btch/MsgId
    ADD COLUMN batch_pmt_inf_id text;  -- Btch/PmtInfId

-- The days a statement's entries were booked on (CAMT), by which a
-- statement finds the camt.054 entries of its days.
ALTER TABLE abgleich.statements ADD COLUMN booked_from date, ADD COLUMN booked_to date;

-- Few rows carry these; the indexes hold only those.
CREATE INDEX bank_transactions_entry_ref ON abgleich.bank_transactions (entry_ref)
    WHERE entry_ref IS NOT NULL;
CREATE INDEX bank_transactions_batch_pmt ON abgleich.bank_transactions (batch_pmt_inf_id)
    WHERE batch_pmt_inf_id IS NOT NULL;
CREATE INDEX bank_transactions_batch_msg ON abgleich.bank_transactions (batch_msg_id)
    WHERE batch_msg_id IS NOT NULL;
CREATE INDEX bank_transactions_batch_total ON abgleich.bank_transactions (account, booking_date)
    WHERE batch_txs IS NOT NULL;

CREATE TABLE abgleich.entry_links (
    id             bigserial PRIMARY KEY,
    file_id        bigint NOT NULL REFERENCES abgleich.input_files, -- whose reconcile linked
    ntf_statement  bigint NOT NULL REFERENCES abgleich.statements,  -- the camt.054 and its entry
    ntf_entry      int NOT NULL,
    ntf_file       bigint NOT NULL,    -- the entry's first transaction (bank_transactions)
    ntf_seq        int NOT NULL,
    stmt_statement bigint NOT NULL REFERENCES abgleich.statements,  -- the camt.053 and its entry
    stmt_entry     int NOT NULL,
    stmt_file      bigint NOT NULL,
    stmt_seq       int NOT NULL,
    total          boolean NOT NULL,   -- the camt.053 entry is a batch total without details
    how            text NOT NULL CHECK (how IN ('bank_reference', 'payment_information',
                       'batch_message', 'end_to_end', 'amount_day_count')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (ntf_statement, ntf_entry),
    UNIQUE (stmt_statement, stmt_entry)
);
CREATE INDEX entry_links_file ON abgleich.entry_links (file_id);
CREATE TRIGGER entry_links_kept BEFORE DELETE ON abgleich.entry_links FOR EACH ROW
    EXECUTE FUNCTION abgleich.records_are_kept();
CREATE TRIGGER entry_links_kept_all BEFORE TRUNCATE ON abgleich.entry_links FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.records_are_kept();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT INSERT ON abgleich.entry_links TO abgleich_treasury;
    END IF;
END
$$;

-- What the engine had stored before: the open batch totals get their count
-- back (reconcile wrote it into the explanation only), and the camt.054
-- statements their booked days and entry facts, so that the files that
-- come after this migration find them.  (A camt.054 transaction with its
-- own AcctSvcrRef stored before keeps it as its entry's: the entry's was
-- not kept.)
UPDATE abgleich.bank_transactions t SET batch_txs = x.n
FROM (SELECT k.file_id, k.tx_seq,
             (substring(k.explanation FROM 'mit ([0-9]+) Posten ohne Einzelangaben'))::int AS n
      FROM abgleich.clarifications k
      WHERE k.reason = 'batch_without_details'
        AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a WHERE a.clarification_id = k.id)) x
WHERE (t.file_id, t.seq) = (x.file_id, x.tx_seq) AND x.n > 1;

UPDATE abgleich.statements s SET booked_from = x.f, booked_to = x.l
FROM (SELECT t.statement_id, min(t.booking_date) AS f, max(t.booking_date) AS l
      FROM abgleich.statements s2 JOIN abgleich.bank_transactions t
        ON t.file_id = s2.file_id AND t.statement_id = s2.id
      WHERE abgleich.message_kind(s2.format) = 'camt.054' GROUP BY t.statement_id) x
WHERE s.id = x.statement_id;

UPDATE abgleich.bank_transactions t SET entry_cents = x.cents, entry_txs = x.n
FROM (SELECT u.statement_id, u.entry_no, count(*)::int AS n,
             sum(CASE WHEN u.direction = 'C' THEN u.amount_cents ELSE -u.amount_cents END) AS cents
      FROM abgleich.statements s JOIN abgleich.bank_transactions u
        ON u.file_id = s.file_id AND u.statement_id = s.id
      WHERE abgleich.message_kind(s.format) = 'camt.054'
      GROUP BY u.statement_id, u.entry_no HAVING count(*) > 1) x
WHERE t.statement_id = x.statement_id AND t.entry_no = x.entry_no;

-- An identifier that names something: not empty, not a bank's "none".
CREATE FUNCTION abgleich.usable_id(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN upper(btrim(p)) IN ('', 'NONREF', 'NOTPROVIDED', 'NOT PROVIDED') THEN NULL
                ELSE p END
$$;

-- A transaction row as its entry's facts and its own identifiers.
CREATE TYPE abgleich.entry_fact AS (
    statement_id bigint, entry_no int, file_id bigint, seq int, kind text,
    account text, day date, dir text, ccy text, cents bigint, txs int, total boolean,
    eref text, tref text, e2e text, amount bigint, pmt text, msg text);

-- Rows as their entries' facts; set-based (one query for a batch of 8 192
-- rows, not a function call per row).
CREATE FUNCTION abgleich.entry_facts(p_rows abgleich.bank_transactions[], p_kind text)
RETURNS SETOF abgleich.entry_fact
LANGUAGE sql IMMUTABLE AS $$
    SELECT t.statement_id, t.entry_no, t.file_id, t.seq, p_kind, t.account, t.booking_date,
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

-- How strongly a transaction of one entry and one of another say that the
-- two entries are one booking (1 strongest), NULL when they do not.  The
-- facts are the entry's on every row, so the pair of entries is as
-- strong as its strongest pair of rows.
CREATE FUNCTION abgleich.entry_pair_level(a abgleich.entry_fact, b abgleich.entry_fact)
RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN a.account IS DISTINCT FROM b.account OR a.day IS DISTINCT FROM b.day
          OR a.dir IS DISTINCT FROM b.dir OR a.ccy IS DISTINCT FROM b.ccy
          OR a.cents <> b.cents OR a.txs <> b.txs OR (a.total AND b.total) THEN NULL
        WHEN a.eref IN (b.eref, b.tref) OR a.tref IN (b.eref, b.tref) THEN 1
        WHEN a.eref IS NOT NULL AND b.eref IS NOT NULL THEN NULL
        WHEN a.txs = 1 AND (a.e2e <> b.e2e OR a.tref <> b.tref) THEN NULL
        WHEN a.pmt IS NOT NULL AND b.pmt IS NOT NULL THEN
            CASE WHEN a.pmt = b.pmt AND (a.msg IS NULL OR b.msg IS NULL OR a.msg = b.msg)
                 THEN 2 END
        WHEN a.msg IS NOT NULL AND b.msg IS NOT NULL THEN CASE WHEN a.msg = b.msg THEN 3 END
        WHEN a.e2e = b.e2e AND a.amount = b.amount THEN 4
        ELSE 5
    END
$$;

CREATE FUNCTION abgleich.entry_link_how(p_level int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (ARRAY['bank_reference', 'payment_information', 'batch_message', 'end_to_end',
                  'amount_day_count'])[p_level]
$$;

-- The camt.053 transactions that may be the other side of camt.054 facts:
-- each found by an index (a bank reference, a batch id, an EndToEndId, a
-- batch total of the day), then its entry whole.
CREATE FUNCTION abgleich.entry_rows_053(p_account text, p_days date[], p_ids text[],
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
    WHERE abgleich.message_kind(s.format) = 'camt.053' AND NOT t.provisional
$$;

-- The camt.053 transactions of the entries of an account, day and booked
-- amount: for an entry that names nothing an index finds (the day's
-- statement rows are read, which only such an entry costs).
CREATE FUNCTION abgleich.entry_rows_day_053(p_account text, p_day date, p_cents bigint)
RETURNS SETOF abgleich.bank_transactions
LANGUAGE sql STABLE AS $$
    SELECT t.* FROM abgleich.bank_transactions t JOIN abgleich.statements s ON s.id = t.statement_id
    WHERE t.account = p_account AND t.booking_date = p_day AND t.tx_key IS NOT NULL
      AND coalesce(abs(t.entry_cents), t.amount_cents) = p_cents
      AND abgleich.message_kind(s.format) = 'camt.053' AND NOT t.provisional
$$;

-- The camt.054 transactions of an account booked on the days given
-- (camt.054 files are small; their statements say their days).
CREATE FUNCTION abgleich.entry_rows_054(p_account text, p_days date[])
RETURNS SETOF abgleich.bank_transactions
LANGUAGE sql STABLE AS $$
    -- Each statement's rows by the primary key of its file (a join planned
    -- by estimates read every transaction of the account).
    SELECT t.* FROM abgleich.statements s
    CROSS JOIN LATERAL (SELECT u.* FROM abgleich.bank_transactions u
                        WHERE u.file_id = s.file_id AND u.statement_id = s.id OFFSET 0) t
    WHERE s.account = p_account AND abgleich.message_kind(s.format) = 'camt.054'
      AND (s.booked_from IS NULL OR (s.booked_from <= (SELECT max(d) FROM unnest(p_days) d)
                                     AND s.booked_to >= (SELECT min(d) FROM unnest(p_days) d)))
      AND t.booking_date = ANY (p_days) AND NOT t.provisional
$$;

-- The account's camt.054 entries not yet linked, among statements booked in
-- the window, by what a camt.053 entry must share with them (day,
-- direction, amount, count): a camt.053 sends only the entries that fit one
-- (jobs/entrylink.c), so that a night without a camt.054 waiting costs this
-- one query, and a night with one a query per batch of 8 192 payments.
CREATE FUNCTION abgleich.entry_waiting_054(p_account text, p_from date, p_to date)
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
        WHERE s.account = p_account AND abgleich.message_kind(s.format) = 'camt.054'
          AND (p_from IS NULL OR s.booked_to IS NULL OR s.booked_to >= p_from)
          AND (p_to IS NULL OR s.booked_from IS NULL OR s.booked_from <= p_to)),
        'camt.054') f
    ORDER BY 1, 2, 3, 4
$$ SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off;

-- Ties the entries of one batch of a camt.053 or camt.054 statement being
-- read (p_rows: its transactions as bank_transactions rows in JSON, not yet
-- stored) to the other message's stored entries, and records each link.
-- An entry is linked to its one best candidate when it is that
-- candidate's one best as well (among this batch and the stored entries of
-- its own kind) and the candidate is not linked yet; an entry linked by an
-- earlier batch of the same statement (a long entry) stays linked.
-- Every table is reached by an index from this batch's few candidates, so
-- the cost follows them, whatever the statistics say: while a statement
-- of 10^5 transactions is read, its own rows are not in them yet, and a
-- plan by estimates read them all per batch (as in reconcile's reversals,
-- sql/020_ledger_plans.sql).  No JIT: the scans switched off make every
-- estimate huge, and compiling each query took a second per batch.
-- Returns one row per entry that has a candidate: linked, how, whether it
-- is a batch total (cur_total), whether all its best candidates are
-- (other_total), and the entries in question (file name and Ntry number).
CREATE FUNCTION abgleich.link_entries(p_file bigint, p_statement bigint, p_kind text,
                                      p_rows jsonb)
RETURNS TABLE (entry_no int, linked boolean, how text, cur_total boolean, other_total boolean,
               others text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    ntf boolean := p_kind = 'camt.054';
    cur abgleich.entry_fact[];
    opp abgleich.entry_fact[];
    comp abgleich.entry_fact[];
    acct text;
    days date[];
    mine int[];
BEGIN
    cur := ARRAY(SELECT f FROM abgleich.entry_facts(ARRAY(
                     SELECT x FROM jsonb_populate_recordset(NULL::abgleich.bank_transactions,
                                                            p_rows) x), p_kind) f);
    IF cardinality(cur) = 0 THEN
        RETURN;
    END IF;
    acct := (cur[1]).account;
    days := ARRAY(SELECT DISTINCT f.day FROM unnest(cur) f WHERE f.day IS NOT NULL);
    mine := ARRAY(SELECT DISTINCT f.entry_no FROM unnest(cur) f);
    IF ntf THEN
        opp := ARRAY(SELECT f FROM abgleich.entry_facts(ARRAY(
                     SELECT t FROM abgleich.entry_rows_053(acct, days,
                          ARRAY(SELECT v FROM unnest(cur) f, LATERAL (VALUES (f.eref), (f.tref),
                                (f.pmt), (f.msg)) i(v) WHERE v IS NOT NULL),
                          ARRAY(SELECT f.e2e FROM unnest(cur) f WHERE f.e2e IS NOT NULL)) t),
                     'camt.053') f);
        -- An entry no index found a candidate for: the entries of its day and amount.
        opp := opp || ARRAY(SELECT f FROM abgleich.entry_facts(ARRAY(
            SELECT t
            FROM (SELECT DISTINCT f.day, f.cents FROM unnest(cur) f
                  WHERE NOT EXISTS (SELECT 1 FROM unnest(cur) g, unnest(opp) o
                                    WHERE g.entry_no = f.entry_no
                                      AND abgleich.entry_pair_level(g, o) IS NOT NULL)) b,
                 LATERAL abgleich.entry_rows_day_053(acct, b.day, b.cents) t
            WHERE NOT EXISTS (SELECT 1 FROM unnest(opp) o
                              WHERE (o.file_id, o.seq) = (t.file_id, t.seq))), 'camt.053') f);
        comp := ARRAY(SELECT f FROM abgleich.entry_facts(ARRAY(
                      SELECT t FROM abgleich.entry_rows_054(acct, days) t
                      WHERE NOT (t.statement_id = p_statement AND t.entry_no = ANY (mine))),
                      'camt.054') f);
    ELSE
        opp := ARRAY(SELECT f FROM abgleich.entry_facts(ARRAY(
                     SELECT t FROM abgleich.entry_rows_054(acct, days) t), 'camt.054') f);
        comp := ARRAY(SELECT f FROM abgleich.entry_facts(ARRAY(
                      SELECT t FROM abgleich.entry_rows_053(acct, days,
                           ARRAY(SELECT v FROM unnest(opp) f, LATERAL (VALUES (f.eref), (f.tref),
                                 (f.pmt), (f.msg)) i(v) WHERE v IS NOT NULL),
                           ARRAY(SELECT f.e2e FROM unnest(opp) f WHERE f.e2e IS NOT NULL)) t
                      WHERE NOT (t.statement_id = p_statement AND t.entry_no = ANY (mine))),
                      'camt.053') f);
        -- A camt.054 entry that fits this batch by its facts alone: the stored
        -- entries of its day and amount compete for it.
        comp := comp || ARRAY(SELECT f FROM abgleich.entry_facts(ARRAY(
            SELECT t
            FROM (SELECT DISTINCT o.day, o.cents FROM unnest(cur) c JOIN unnest(opp) o
                    ON o.day = c.day AND o.cents = c.cents AND o.txs = c.txs
                  WHERE abgleich.entry_pair_level(c, o) = 5) b,
                 LATERAL abgleich.entry_rows_day_053(acct, b.day, b.cents) t
            WHERE NOT (t.statement_id = p_statement AND t.entry_no = ANY (mine))
              AND NOT EXISTS (SELECT 1 FROM unnest(comp) m
                              WHERE (m.file_id, m.seq) = (t.file_id, t.seq))), 'camt.053') f);
    END IF;
    IF cardinality(opp) = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH pc AS ( -- this batch's entries and their candidates, with the strength of each
        SELECT c.entry_no AS ce, o.statement_id AS os, o.entry_no AS oe,
               min(abgleich.entry_pair_level(c, o)) AS lvl
        FROM unnest(cur) c JOIN unnest(opp) o
          ON o.day = c.day AND o.cents = c.cents AND o.txs = c.txs
        GROUP BY 1, 2, 3 HAVING min(abgleich.entry_pair_level(c, o)) IS NOT NULL),
    po AS ( -- the candidates' candidates on this side: this batch's and stored entries
        SELECT x.statement_id AS xs, x.entry_no AS xe, o.statement_id AS os,
               o.entry_no AS oe, min(abgleich.entry_pair_level(x, o)) AS lvl
        FROM unnest(cur || comp) x JOIN unnest(opp) o
          ON o.day = x.day AND o.cents = x.cents AND o.txs = x.txs
        WHERE (o.statement_id, o.entry_no) IN (SELECT os, oe FROM pc)
        GROUP BY 1, 2, 3, 4 HAVING min(abgleich.entry_pair_level(x, o)) IS NOT NULL),
    bc AS (SELECT p.*, count(*) OVER (PARTITION BY p.ce) AS n FROM pc p
           WHERE p.lvl = (SELECT min(q.lvl) FROM pc q WHERE q.ce = p.ce)),
    bo AS (SELECT p.*, count(*) OVER (PARTITION BY p.os, p.oe) AS n FROM po p
           WHERE p.lvl = (SELECT min(q.lvl) FROM po q WHERE (q.os, q.oe) = (p.os, p.oe))),
    prev AS ( -- linked by an earlier batch of this statement
        SELECT CASE WHEN ntf THEN l.ntf_entry ELSE l.stmt_entry END AS ce,
               CASE WHEN ntf THEN l.stmt_statement ELSE l.ntf_statement END AS os,
               CASE WHEN ntf THEN l.stmt_entry ELSE l.ntf_entry END AS oe, l.how, l.total
        FROM abgleich.entry_links l
        WHERE CASE WHEN ntf THEN l.ntf_statement = p_statement AND l.ntf_entry = ANY (mine)
                   ELSE l.stmt_statement = p_statement AND l.stmt_entry = ANY (mine) END),
    taken AS ( -- candidates linked to another entry already, and to which
        SELECT b.os, b.oe,
               CASE WHEN ntf THEN l.ntf_statement ELSE l.stmt_statement END AS xs,
               CASE WHEN ntf THEN l.ntf_entry ELSE l.stmt_entry END AS xe
        FROM bc b JOIN abgleich.entry_links l
          ON CASE WHEN ntf THEN (l.stmt_statement, l.stmt_entry) = (b.os, b.oe)
                  ELSE (l.ntf_statement, l.ntf_entry) = (b.os, b.oe) END),
    dec AS (
        SELECT b.ce, b.os, b.oe, b.lvl,
               b.n = 1 AND NOT EXISTS (SELECT 1 FROM taken t WHERE (t.os, t.oe) = (b.os, b.oe))
               AND EXISTS (SELECT 1 FROM bo WHERE (bo.os, bo.oe) = (b.os, b.oe) AND bo.n = 1
                           AND bo.lvl = b.lvl AND bo.xs = p_statement AND bo.xe = b.ce) AS link
        FROM bc b WHERE b.ce NOT IN (SELECT ce FROM prev)),
    cf AS (SELECT f.entry_no AS ce, min(f.file_id) AS file, min(f.seq) AS seq,
                  bool_or(f.total) AS total
           FROM unnest(cur) f GROUP BY f.entry_no),
    ofc AS (SELECT f.statement_id AS os, f.entry_no AS oe, min(f.file_id) AS file,
                   min(f.seq) AS seq, bool_or(f.total) AS total
            FROM unnest(opp) f GROUP BY f.statement_id, f.entry_no),
    ins AS (
        INSERT INTO abgleich.entry_links (file_id, ntf_statement, ntf_entry, ntf_file, ntf_seq,
            stmt_statement, stmt_entry, stmt_file, stmt_seq, total, how)
        SELECT p_file,
               CASE WHEN ntf THEN p_statement ELSE d.os END,
               CASE WHEN ntf THEN d.ce ELSE d.oe END,
               CASE WHEN ntf THEN c.file ELSE o.file END,
               CASE WHEN ntf THEN c.seq ELSE o.seq END,
               CASE WHEN ntf THEN d.os ELSE p_statement END,
               CASE WHEN ntf THEN d.oe ELSE d.ce END,
               CASE WHEN ntf THEN o.file ELSE c.file END,
               CASE WHEN ntf THEN o.seq ELSE c.seq END,
               c.total OR o.total, abgleich.entry_link_how(d.lvl)
        FROM dec d JOIN cf c ON c.ce = d.ce JOIN ofc o ON (o.os, o.oe) = (d.os, d.oe)
        WHERE d.link ORDER BY d.ce
        RETURNING 1), -- a data-modifying WITH runs whether read or not
    named AS ( -- the entries in question, as a clerk finds them: file and Ntry
        SELECT d.ce, d.os AS ns, d.oe AS ne FROM dec d
        UNION SELECT d.ce, bo.xs, bo.xe FROM dec d JOIN bo ON (bo.os, bo.oe) = (d.os, d.oe)
        WHERE NOT d.link AND NOT (bo.xs = p_statement AND bo.xe = d.ce)
        UNION SELECT d.ce, t.xs, t.xe FROM dec d JOIN taken t ON (t.os, t.oe) = (d.os, d.oe)
        WHERE NOT d.link
        UNION SELECT p.ce, p.os, p.oe FROM prev p),
    names AS (
        SELECT m.ce, string_agg(f.name || ' Ntry ' || m.ne, '; ' ORDER BY m.ns, m.ne) AS others
        FROM named m JOIN abgleich.statements s ON s.id = m.ns
        JOIN abgleich.input_files f ON f.id = s.file_id GROUP BY m.ce)
    SELECT d.ce, bool_or(d.link), abgleich.entry_link_how(min(d.lvl)), bool_or(c.total),
           bool_and(o.total), n.others
    FROM dec d JOIN cf c ON c.ce = d.ce JOIN ofc o ON (o.os, o.oe) = (d.os, d.oe)
    JOIN names n ON n.ce = d.ce
    GROUP BY d.ce, n.others
    UNION ALL
    SELECT p.ce, true, p.how, bool_or(c.total), p.total AND NOT bool_or(c.total), n.others
    FROM prev p JOIN cf c ON c.ce = p.ce JOIN names n ON n.ce = p.ce
    GROUP BY p.ce, p.how, p.total, n.others
    ORDER BY 1;
END
$$ SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off;
