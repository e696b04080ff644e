-- 020_ledger_plans.sql - the ledger triggers' bulk checks by index, in key
-- order, so that their cost follows the statement, not the history.
--
-- Measured on a night of 1 273 484 transactions against 10^7 claims
-- (docs/benchmarks.md, issue 8, "Third day"): the bulk branches of 018 were
-- planned from a transition table the planner knows nothing about (200
-- rows by default), and took hash or merge joins that read whole tables:
-- the 20 240 reversal rows of that night checked their claims by a merge
-- over all 10^7 entries of claims_pkey (0.8 s), their bank transactions and
-- reversed allocations by hashing every row ever written (0.8 s), and the
-- paid feedback walked all of claims_pkey and summed every allocation ever
-- written (2.0 s).  A year of
-- nights makes those tables 300 times larger; the checks must not grow
-- with them.  The night's own 877 993 allocations were checked against
-- the claims by index, but in the COPY's order, one random probe into
-- 10^7 claims each (4.3 s).
--
-- The bulk branches now take the new rows' keys sorted, and run with hash
-- joins, merge joins, sequential and bitmap scans off, so that every other table
-- is reached by its index from each key in turn: cost proportional to the
-- statement, and neighbouring keys hit the same index pages.  The sums per
-- claim are lateral sub-queries on allocations_claim and claim_events_claim,
-- each run once per claim.  Statements of up to 1 000 rows keep 018's per-row
-- branch.

CREATE OR REPLACE FUNCTION abgleich.allocations_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    a abgleich.allocations;
BEGIN
    IF (SELECT count(*) FROM new_rows) <= 1000 THEN
        FOR a IN SELECT * FROM new_rows LOOP
            PERFORM abgleich.allocation_keys_of(a);
        END LOOP;
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT claim_id FROM new_rows
                              WHERE claim_id IS NOT NULL ORDER BY claim_id) n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.claims c WHERE c.id = n.claim_id)) THEN
        PERFORM abgleich.key_violation('allocations', 'the claim named');
    END IF;
    -- In the COPY's own order: a night's rows come in transaction order.
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.file_id IS NOT NULL AND n.tx_seq IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.bank_transactions t
                               WHERE t.file_id = n.file_id AND t.seq = n.tx_seq)) THEN
        PERFORM abgleich.key_violation('allocations', 'the bank transaction named');
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT clarification_id FROM new_rows
                              WHERE clarification_id IS NOT NULL ORDER BY clarification_id) n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.clarifications k
                                 WHERE k.id = n.clarification_id)) THEN
        PERFORM abgleich.key_violation('allocations', 'the clarification named');
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT invoice_id FROM new_rows
                              WHERE invoice_id IS NOT NULL ORDER BY invoice_id) n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.invoices i WHERE i.id = n.invoice_id)) THEN
        PERFORM abgleich.key_violation('allocations', 'the invoice named');
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT reverses FROM new_rows
                              WHERE reverses IS NOT NULL ORDER BY reverses) n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.allocations o WHERE o.id = n.reverses)) THEN
        PERFORM abgleich.key_violation('allocations', 'the allocation reversed');
    END IF;
    RETURN NULL;
END;
$$ SET work_mem = '128MB' SET enable_hashjoin = off SET enable_mergejoin = off
   SET enable_seqscan = off SET enable_bitmapscan = off;

CREATE OR REPLACE FUNCTION abgleich.fines_paid_feedback() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    tc record;
    ref text;
    owed bigint;
    paid bigint;
BEGIN
    IF (SELECT count(*) FROM new_rows) > 1000 THEN
        FOR ref IN
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
            ) SELECT reference FROM ins
        LOOP
            PERFORM pg_notify('abgleich_paid', ref);
        END LOOP;
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
