-- 021_write_paths.sql - cheaper writes of a night; for the rows reconcile
-- writes, the database refuses what it refused before.
--
-- Measured on a night of 221 281 transactions against 10^6 claims, rows
-- COPYed raw into twins of their tables (docs/benchmarks.md, issue 8,
-- "Fourth day"):
--
-- 1. bank_transactions_tx_key was a unique B-tree on the 32 hex digits of
--    an XXH3-128 hash: every new transaction landed on a random leaf page of
--    an index holding every transaction ever imported (a year of nights is
--    10^8 keys, far more than shared_buffers).  The index now leads with
--    account, booking date and position, all of them inputs of that hash,
--    so a statement's keys go in one after the other at its own end of the
--    index.  For rows as reconcile writes them it refuses what the old one
--    refused: equal tx_keys mean equal hash inputs, and reconcile stores
--    exactly the hashed account, booking date (checked as YYYY-MM-DD by the
--    readers), entry and transaction number (jobs/reconcile.c,
--    write_tx_row), so equal keys meet in the new index too; NULLS NOT
--    DISTINCT keeps a missing booking date from making them distinct.  A
--    writer that stored other values could slip an equal key past it.  Rows
--    without a tx_key (imported before 007) stay outside it, as before.
--    Nothing looks a transaction up by tx_key alone.  Measured with 10^7
--    transactions of history: a night's 1.27 M rows COPY in 5.5-6.0 s
--    instead of 18.1-18.9 s; building the index takes 11-14 s per 10^7
--    rows, with bank_transactions locked meanwhile.
-- 2. allocations_clarification indexed every ledger row, though only the
--    few that decide a clarification name one; the one reader
--    (open_clarifications) asks for clarification_id IS NOT NULL.
-- 3. The paid feedback's bulk branch sends its NOTIFYs from the INSERT's
--    own result in one statement instead of a PL/pgSQL loop, one call per
--    paid claim (170 000 of them: 0.57 s in a loop, 0.14 s set-based), in
--    the same order.  The function is restated whole because CREATE OR
--    REPLACE takes no less; its per-row branch is 020's.

DROP INDEX abgleich.bank_transactions_tx_key;
CREATE UNIQUE INDEX bank_transactions_tx_key ON abgleich.bank_transactions
    (account, booking_date, entry_no, tx_no, tx_key) NULLS NOT DISTINCT
    WHERE tx_key IS NOT NULL;

DROP INDEX abgleich.allocations_clarification;
CREATE INDEX allocations_clarification ON abgleich.allocations (clarification_id)
    WHERE clarification_id IS NOT NULL;

CREATE OR REPLACE FUNCTION abgleich.fines_paid_feedback() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    tc record;
    ref text;
    owed bigint;
    paid bigint;
    notified bigint; -- only a target: PERFORM takes no data-modifying WITH
BEGIN
    IF (SELECT count(*) FROM new_rows) > 1000 THEN
        WITH touched AS MATERIALIZED (
            SELECT claim_id, sum(amount_cents)::bigint AS delta FROM new_rows
            WHERE claim_id IS NOT NULL GROUP BY claim_id ORDER BY claim_id
        ), state_now AS (
            SELECT c.id, c.reference, t.delta, c.amount_cents + ev.charges AS owed, p.paid
            FROM touched t JOIN abgleich.claims c ON c.id = t.claim_id
            CROSS JOIN LATERAL (
                SELECT coalesce(sum(e.fine_cents + e.fee_cents + e.expenses_cents), 0)::bigint
                       AS charges
                FROM abgleich.claim_events e WHERE e.claim_id = t.claim_id) ev
            CROSS JOIN LATERAL (
                SELECT coalesce(sum(a.amount_cents), 0)::bigint AS paid
                FROM abgleich.allocations a WHERE a.claim_id = t.claim_id) p
        ), ins AS (
            -- In claim order without a sort: nested loops (the only
            -- joins allowed here) keep the order of touched.
            INSERT INTO abgleich.outbox (topic, reference, claim_id, payload)
            SELECT 'paid', n.reference, n.id,
                   jsonb_build_object('reference', n.reference, 'owed_cents', n.owed,
                                      'paid_cents', n.paid, 'paid_at', now())
            FROM state_now n
            WHERE n.owed > 0 AND n.paid >= n.owed AND n.paid - n.delta < n.owed
            RETURNING reference
        ) SELECT count(pg_notify('abgleich_paid', reference)) FROM ins INTO notified;
        RETURN NULL;
    END IF;
    FOR tc IN SELECT claim_id, sum(amount_cents) AS delta FROM new_rows
             WHERE claim_id IS NOT NULL GROUP BY claim_id ORDER BY claim_id
    LOOP
        SELECT c.reference,
               c.amount_cents + coalesce((SELECT sum(e.fine_cents + e.fee_cents + e.expenses_cents)
                                          FROM abgleich.claim_events e
                                          WHERE e.claim_id = tc.claim_id), 0),
               coalesce((SELECT sum(a.amount_cents) FROM abgleich.allocations a
                         WHERE a.claim_id = tc.claim_id), 0)
        INTO ref, owed, paid
        FROM abgleich.claims c WHERE c.id = tc.claim_id;
        IF owed > 0 AND paid >= owed AND paid - tc.delta < owed THEN
            INSERT INTO abgleich.outbox (topic, reference, claim_id, payload)
            VALUES ('paid', ref, tc.claim_id,
                    jsonb_build_object('reference', ref, 'owed_cents', owed,
                                       'paid_cents', paid, 'paid_at', now()));
            PERFORM pg_notify('abgleich_paid', ref);
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$ SET work_mem = '128MB' SET enable_hashjoin = off SET enable_mergejoin = off
   SET enable_seqscan = off SET enable_bitmapscan = off;
