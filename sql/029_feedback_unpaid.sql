-- 029_feedback_unpaid.sql - departments hear when a paid claim is open
-- again, and a clerk's decision against an offset stands.
--
-- 1. The paid feedback (sql/016, 021) told departments when a claim became
--    paid, never when a reversal or a return took the payment back: a
--    department that had closed its file on "paid" went on believing it,
--    and after a new payment heard "paid" a second time.  Now a claim whose
--    ledger rows take it from paid to not paid gets an outbox row with topic
--    'unpaid' (payload "unpaid_at" instead of "paid_at") and NOTIFY
--    abgleich_unpaid with its reference.  A reversal and a new payment of
--    the same claim in one statement cancel out: nothing is sent.  The
--    function is restated whole (CREATE OR REPLACE takes no less); only the
--    two conditions and the topic changed.
-- 2. The surplus offset (sql/027) set an overpayment off again on the next
--    run after a clerk had reversed that offset (clarify --reverse), undoing
--    the clerk's decision every night.  A clarification with such a
--    reversal is left to the clerk (a refund, or an allocation by hand).

CREATE OR REPLACE FUNCTION abgleich.fines_paid_feedback() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    tc record;
    ref text;
    owed bigint;
    paid bigint;
    notified bigint; -- only a target: PERFORM takes no data-modifying WITH
    kind text; -- 'paid' or 'unpaid' (not "topic": the outbox's column)
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
            SELECT w.topic, n.reference, n.id,
                   jsonb_build_object('reference', n.reference, 'owed_cents', n.owed,
                                      'paid_cents', n.paid, w.topic || '_at', now())
            FROM state_now n
            CROSS JOIN LATERAL (SELECT CASE WHEN n.paid >= n.owed THEN 'paid'
                                            ELSE 'unpaid' END AS topic) w
            WHERE n.owed > 0 AND (n.paid >= n.owed) <> (n.paid - n.delta >= n.owed)
            RETURNING topic, reference
        ) SELECT count(pg_notify('abgleich_' || topic, reference)) FROM ins INTO notified;
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
        IF owed > 0 AND (paid >= owed) <> (paid - tc.delta >= owed) THEN
            kind := CASE WHEN paid >= owed THEN 'paid' ELSE 'unpaid' END;
            INSERT INTO abgleich.outbox (topic, reference, claim_id, payload)
            VALUES (kind, ref, tc.claim_id,
                    jsonb_build_object('reference', ref, 'owed_cents', owed,
                                       'paid_cents', paid, kind || '_at', now()));
            PERFORM pg_notify('abgleich_' || kind, ref);
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$ SET work_mem = '128MB' SET enable_hashjoin = off SET enable_mergejoin = off
   SET enable_seqscan = off SET enable_bitmapscan = off;

CREATE OR REPLACE FUNCTION abgleich.fines_offset_surplus(p_file_id bigint,
                                              OUT offsets bigint, OUT cents bigint)
LANGUAGE plpgsql AS $$
DECLARE
    k record;
    o record;
    left_cents bigint;
    take bigint;
BEGIN
    offsets := 0; cents := 0;
    IF NOT (SELECT offset_surplus FROM abgleich.fines_config WHERE id = 1) THEN
        RETURN;
    END IF;
    FOR k IN
        SELECT q.id, q.file_id, q.tx_seq, q.open_cents, c.plate_key, c.id AS claim_id, c.reference,
               coalesce(nullif(c.nationality, ''), 'D') AS nat
        FROM abgleich.open_clarifications q
        JOIN abgleich.clarifications x ON x.id = q.id
        JOIN abgleich.claims c ON c.id = x.claim_id
        WHERE (p_file_id IS NULL OR q.file_id = p_file_id) AND q.reason = 'overpayment'
          AND c.plate_key IS NOT NULL
          -- a clerk who took an offset of it back decides it by hand
          AND NOT EXISTS (SELECT 1 FROM abgleich.allocations m
                          WHERE m.clarification_id = q.id AND m.method = 'manual_reversal')
        ORDER BY q.tx_seq, q.id
    LOOP
        left_cents := k.open_cents;
        FOR o IN
            SELECT * FROM (
                SELECT c.id, c.reference, abgleich.claim_open_cents(c.id) AS open_cents,
                       coalesce((SELECT e.due_date FROM abgleich.claim_events e
                                 WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1),
                                c.due_date) AS due
                FROM abgleich.claims c
                WHERE c.plate_key = k.plate_key AND c.id <> k.claim_id
                  AND coalesce(nullif(c.nationality, ''), 'D') = k.nat) x
            WHERE x.open_cents > 0
            ORDER BY x.due, x.id
        LOOP
            EXIT WHEN left_cents <= 0;
            take := least(left_cents, o.open_cents);
            INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method,
                confidence, explanation, explanation_en, clarification_id)
            VALUES (o.id, k.file_id, k.tx_seq, take, 'surplus_offset', 100,
                format('Überzahlung zu Kassenzeichen %s mit der offenen Forderung %s desselben Kennzeichens verrechnet',
                       k.reference, o.reference),
                format('overpayment of reference %s set off against open claim %s of the same plate',
                       k.reference, o.reference),
                k.id);
            left_cents := left_cents - take;
            offsets := offsets + 1;
            cents := cents + take;
        END LOOP;
    END LOOP;
END;
$$;
