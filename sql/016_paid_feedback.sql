-- 016_paid_feedback.sql - the paid feedback of small ledger statements by
-- key lookups.
--
-- fines_paid_feedback (004) answered a statement of few rows (a clerk's
-- decision, one surplus offset) with one query joining the new rows to the
-- claims; with no statistics on the transition table the planner walked
-- the claims' primary key with a sub-query per claim, 0.6 s per statement,
-- so that the 7 offsets of a 4 400-payment night took 4 s.  Up to 1 000 rows
-- each touched claim is now looked up by its id; a night's COPY keeps the
-- set-based path.
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
            WITH touched AS (
                SELECT claim_id, sum(amount_cents) AS delta FROM new_rows
                WHERE claim_id IS NOT NULL GROUP BY claim_id
            ), paid AS (
                SELECT a.claim_id, sum(a.amount_cents) AS paid FROM abgleich.allocations a
                WHERE a.claim_id IS NOT NULL GROUP BY a.claim_id
            ), ev AS (
                SELECT e.claim_id, sum(e.fine_cents + e.fee_cents + e.expenses_cents) AS charges
                FROM abgleich.claim_events e GROUP BY e.claim_id
            ), state_now AS (
                SELECT c.id, c.reference, t.delta,
                       c.amount_cents + coalesce(ev.charges, 0) AS owed,
                       coalesce(p.paid, 0) AS paid
                FROM touched t JOIN abgleich.claims c ON c.id = t.claim_id
                LEFT JOIN paid p ON p.claim_id = t.claim_id
                LEFT JOIN ev ON ev.claim_id = t.claim_id
            ), ins AS (
                INSERT INTO abgleich.outbox (topic, reference, claim_id, payload)
                SELECT 'paid', n.reference, n.id,
                       jsonb_build_object('reference', n.reference, 'owed_cents', n.owed,
                                          'paid_cents', n.paid, 'paid_at', now())
                FROM state_now n
                WHERE n.owed > 0 AND n.paid >= n.owed AND n.paid - n.delta < n.owed
                ORDER BY n.id
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
$$;
