-- 064_sammler_nocount.sql - an MT940 Sammler whose text states no count is
-- stored as a batch total (batch_txs 0), is tied to its camt.054 by a bank
-- reference both state, and takes the camt.054's count when it is
-- (formats/mt940_86.c, jobs/reconcile.c, jobs/entrylink.c, jobs/batches.c).
--
-- 058 stored such a total with batch_txs NULL, as if it were an ordinary
-- credit: never tied (the count is one of the facts both sides state),
-- and the morning report (jobs/report.c, BOOKED_ONCE) counted its money
-- beside its camt.054's single payments (45.00 that came in as 90.00).
-- Now batch_txs 0 says "a batch total, its count not stated".  Such a
-- total is tied to a camt.054 entry only at the strongest level, an
-- AcctSvcrRef both state (bank_reference: the MT940 :61: after //), and
-- only when account, day, direction, currency and amount agree; never by
-- a batch id, end-to-end ids or the facts alone (any entry of the day and
-- amount would fit a count no one states).  Once tied, the camt.054
-- entry's number of transactions becomes the total's
-- (abgleich.batch_count_from_link, called when the link's file is
-- settled).

-- Totals stored before without their count: a clarification
-- batch_without_details is what the engine makes of a batch total only.
UPDATE abgleich.bank_transactions t SET batch_txs = 0
FROM abgleich.clarifications k
WHERE k.reason = 'batch_without_details' AND (t.file_id, t.seq) = (k.file_id, k.tx_seq)
  AND t.batch_txs IS NULL;

CREATE OR REPLACE FUNCTION abgleich.entry_pair_level(a abgleich.entry_fact, b abgleich.entry_fact)
RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN a.account IS DISTINCT FROM b.account OR a.day IS DISTINCT FROM b.day
          OR a.dir IS DISTINCT FROM b.dir OR a.ccy IS DISTINCT FROM b.ccy
          OR a.cents <> b.cents OR (a.total AND b.total) THEN NULL
        -- A total whose count no one states (an MT940 Sammler without
        -- "Anzahl"): a bank reference both state, or nothing.
        WHEN (a.total AND a.txs = 0) OR (b.total AND b.txs = 0) THEN
            CASE WHEN a.eref IN (b.eref, b.tref) OR a.tref IN (b.eref, b.tref) THEN 1 END
        WHEN a.txs <> b.txs THEN NULL
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

-- Whether two entries' counts may be one booking's: equal, or one of them
-- a total whose count is not stated (entry_pair_level decides the rest).
CREATE FUNCTION abgleich.entry_txs_fit(a int, b int) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT a = b OR a = 0 OR b = 0
$$;

-- A total of count 0 tied by this file's links takes its camt.054 entry's
-- count.  SECURITY DEFINER: the treasury login inserts bank transactions
-- but may not update them (sql/009_roles.sql); this changes nothing but
-- the count of such a total, and only from 0.
CREATE FUNCTION abgleich.batch_count_from_link(p_file bigint) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    n int;
BEGIN
    UPDATE abgleich.bank_transactions t SET batch_txs = coalesce(x.entry_txs, 1)
    FROM abgleich.entry_links l
    JOIN abgleich.bank_transactions x ON (x.file_id, x.seq) = (l.ntf_file, l.ntf_seq)
    WHERE l.file_id = p_file AND l.total AND (t.file_id, t.seq) = (l.stmt_file, l.stmt_seq)
      AND t.batch_txs = 0;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION abgleich.batch_count_from_link(bigint) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT EXECUTE ON FUNCTION abgleich.batch_count_from_link(bigint) TO abgleich_treasury;
    END IF;
END
$$;

-- link_entries as in 047, its pairs of entries joined by entry_txs_fit
-- (was: equal counts), so that a total of count 0 meets its candidates.
CREATE OR REPLACE FUNCTION abgleich.link_entries(p_file bigint, p_statement bigint, p_kind text,
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
          ON o.day = c.day AND o.cents = c.cents AND abgleich.entry_txs_fit(o.txs, c.txs)
        GROUP BY 1, 2, 3 HAVING min(abgleich.entry_pair_level(c, o)) IS NOT NULL),
    po AS ( -- the candidates' candidates on this side: this batch's and stored entries
        SELECT x.statement_id AS xs, x.entry_no AS xe, o.statement_id AS os,
               o.entry_no AS oe, min(abgleich.entry_pair_level(x, o)) AS lvl
        FROM unnest(cur || comp) x JOIN unnest(opp) o
          ON o.day = x.day AND o.cents = x.cents AND abgleich.entry_txs_fit(o.txs, x.txs)
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
