-- 052_objection_rules.sql - an objection entered late, and what is not due.
--
-- A review of 048 found:
-- 1. An objection received on the last day of its period but entered the
--    next morning, after the night's escalate had made the notice final,
--    was refused ("in state final_due"), so the notice was dunned.  `case
--    --objection --received DATE` now takes it while the claim is final or
--    dunned, if the notice is the latest and had no objection yet: the day
--    received decides whether it is in time, the event is dated the day it
--    is entered (no event goes before an earlier one), and a reminder's fee
--    charged since falls away.
-- 2. A claim under objection owes the notice's amount but is not due; the
--    surplus offset took its due date from the warning (the objection event
--    has none) and set other payments off against it first.  It is left
--    out now (a set-off needs a due claim, § 387 BGB).  The claim index, by
--    the same NULL, sorted it as due on 1 Jan 1970, so a payment naming it
--    with others paid it first; a claim without a due date now sorts last
--    (31 Dec 9999, here and in jobs/claimload.c).
-- 3. A notice under objection paid in full could not be dismissed or the
--    objection withdrawn ("is paid"); a court's acquittal could not be
--    recorded, and the money not go back.  Both are taken now; a dismissal
--    turns what was paid into an overpayment for a refund (035).
--
-- fines_case gains a parameter, so it is dropped and created anew.

DROP FUNCTION abgleich.fines_case(text, text, date, text[], text);

-- fines_case of 048 with 1 and 3.
CREATE FUNCTION abgleich.fines_case(p_reference text, p_answer text, p_as_of date,
                                    p_parking text[], p_by text, p_received date DEFAULT NULL)
RETURNS abgleich.claim_events
LANGUAGE plpgsql AS $$
DECLARE
    l abgleich.claim_ledger;
    last_day date;
    parking boolean;
    target text;
    why text;
    notice abgleich.claim_events;
    received date := coalesce(p_received, p_as_of);
    ev abgleich.claim_events;
BEGIN
    SELECT * INTO l FROM abgleich.claim_ledger WHERE reference = p_reference;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no claim with reference %', p_reference USING ERRCODE = 'P0002';
    END IF;
    IF p_answer IN ('driver_known', 'driver_unknown') AND l.stage <> 'hearing' THEN
        RAISE EXCEPTION 'claim % is in state %, not in a hearing: only the answer to a hearing leads to a notice',
            p_reference, l.stage USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'dismiss'
       AND l.stage NOT IN ('warning_open', 'hearing', 'fine_notice', 'cost_notice', 'objection') THEN
        RAISE EXCEPTION 'claim % is in state %, which cannot be dismissed', p_reference, l.stage
            USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'objection' THEN
        -- The notice it is against: the latest one.  A notice made final
        -- or dunned by the nights since may still have had an objection in
        -- time, entered after them: the day it was received decides.
        SELECT * INTO notice FROM abgleich.claim_events n
        WHERE n.claim_id = l.id AND n.state IN ('fine_notice', 'cost_notice')
        ORDER BY n.id DESC LIMIT 1;
        IF l.stage NOT IN ('fine_notice', 'cost_notice', 'final_due', 'dunning') OR notice.id IS NULL
           OR EXISTS (SELECT 1 FROM abgleich.claim_events x
                      WHERE x.claim_id = l.id AND x.id > notice.id AND x.state = 'objection') THEN
            RAISE EXCEPTION 'claim % is in state %: an objection is against a fine or cost notice, once',
                p_reference, l.stage USING ERRCODE = 'P0003';
        END IF;
        IF received > p_as_of OR received < notice.event_date THEN
            RAISE EXCEPTION 'claim %: an objection received on % lies after the day entered (%) or before the notice of %',
                p_reference, received, p_as_of, notice.event_date USING ERRCODE = 'P0003';
        END IF;
        IF received >= notice.next_step_date THEN
            RAISE EXCEPTION 'claim %: the objection period ended on % (§ 67 OWiG); a late objection is inadmissible (§ 70 OWiG)',
                p_reference, notice.next_step_date - 1 USING ERRCODE = 'P0003';
        END IF;
    END IF;
    IF p_answer = 'objection_withdrawn' AND l.stage <> 'objection' THEN
        RAISE EXCEPTION 'claim % is in state %, without an objection to withdraw', p_reference, l.stage
            USING ERRCODE = 'P0003';
    END IF;
    -- A paid warning is effective and a paid notice settled; a notice under
    -- objection may still be withdrawn or end in an acquittal, and then
    -- what was paid goes back (the lowering step's overpayment).
    IF l.open_cents <= 0 AND NOT (l.stage = 'objection'
                                  AND p_answer IN ('dismiss', 'objection_withdrawn')) THEN
        -- a paid warning is effective (§ 56(4) OWiG); a paid notice is settled
        RAISE EXCEPTION 'claim % is paid', p_reference USING ERRCODE = 'P0003';
    END IF;
    SELECT max(e.event_date) INTO last_day FROM abgleich.claim_events e WHERE e.claim_id = l.id;
    IF p_as_of < last_day THEN
        RAISE EXCEPTION 'claim % has an event of %: a case as of % would come before it',
            p_reference, last_day, p_as_of USING ERRCODE = 'P0003';
    END IF;
    parking := l.tbnr = ANY (p_parking);
    IF p_answer = 'driver_known' AND p_as_of > l.limitation_date THEN
        RAISE EXCEPTION 'claim % is time-barred: its limitation ended on %, no fine notice may follow (escalate records the time bar)',
            p_reference, l.limitation_date USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'driver_known' THEN
        target := 'fine_notice'; why := 'hearing: driver identified (' || p_by || ')';
    ELSIF p_answer = 'driver_unknown' AND parking THEN
        target := 'cost_notice'; why := 'hearing: driver unknown, keeper bears the costs (' || p_by || ')';
    ELSIF p_answer = 'objection' THEN
        target := 'objection';
        why := 'objection to the notice received'
               || CASE WHEN received <> p_as_of THEN ' on ' || received ELSE '' END
               || ' (' || p_by || ')';
    ELSIF p_answer = 'objection_withdrawn' THEN
        target := 'final_due'; why := 'objection withdrawn: the notice is final (' || p_by || ')';
    ELSIF p_answer = 'driver_unknown' THEN
        target := 'dismissed'; why := 'hearing: driver unknown, not a parking offense (' || p_by || ')';
    ELSE
        target := 'dismissed'; why := 'dismissed by ' || p_by;
    END IF;
    ev := abgleich.fines_transition(l.id, target, p_as_of, why);
    IF target = 'objection' THEN
        -- Back to what the notice said: a reminder's fee since falls away.
        SELECT coalesce(-sum(x.fee_cents), 0), coalesce(-sum(x.expenses_cents), 0)
        INTO ev.fee_cents, ev.expenses_cents
        FROM abgleich.claim_events x WHERE x.claim_id = l.id AND x.id > notice.id;
    END IF;
    RETURN abgleich.fines_store(ev);
END;
$$;

-- fines_offset_surplus of 036 with 2.
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
        SELECT q.id, q.file_id, q.tx_seq, q.open_cents, c.plate_key, c.car_key,
               c.id AS claim_id, c.reference
        FROM abgleich.open_clarifications q
        JOIN abgleich.clarifications x ON x.id = q.id
        JOIN abgleich.claims c ON c.id = x.claim_id
        WHERE (p_file_id IS NULL OR q.file_id = p_file_id) AND q.reason = 'overpayment'
          AND c.plate_key IS NOT NULL
          -- a car we know: an ambiguous plate ('?') may be either of two
          AND c.car_key IS NOT NULL AND c.car_key NOT LIKE '?%'
          -- a clerk who took an offset of it back decides it by hand
          AND NOT EXISTS (SELECT 1 FROM abgleich.allocations m
                          WHERE m.clarification_id = q.id AND m.method = 'manual_reversal')
        ORDER BY q.tx_seq, q.id
    LOOP
        left_cents := k.open_cents;
        FOR o IN
            SELECT * FROM (
                SELECT c.id, c.reference, abgleich.claim_open_cents(c.id) AS open_cents,
                       coalesce(le.due_date, c.due_date) AS due, le.state
                FROM abgleich.claims c
                LEFT JOIN LATERAL (SELECT e.due_date, e.state FROM abgleich.claim_events e
                                   WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1) le ON true
                WHERE c.plate_key = k.plate_key AND c.car_key = k.car_key
                  AND c.id <> k.claim_id) x
            -- not a notice under objection: it is not due (§ 387 BGB needs
            -- a due claim to set off against)
            WHERE x.open_cents > 0 AND x.state IS DISTINCT FROM 'objection'
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

-- claimsnap_changes of 026 with 2.
CREATE OR REPLACE FUNCTION abgleich.claimsnap_changes(w_allocs bigint, w_events bigint)
RETURNS TABLE (claim_id bigint, added_cents bigint, paid_cents bigint, due_moved boolean,
               due_day int)
LANGUAGE sql STABLE AS $$
    WITH ev AS (
        SELECT e.claim_id, sum(e.fine_cents + e.fee_cents + e.expenses_cents) AS added,
               (array_agg(e.due_date ORDER BY e.id DESC))[1] AS due
        FROM abgleich.claim_events e WHERE e.id > w_events GROUP BY e.claim_id),
    pd AS (
        SELECT a.claim_id, sum(a.amount_cents) AS paid
        FROM abgleich.allocations a
        WHERE a.id > w_allocs AND a.claim_id IS NOT NULL GROUP BY a.claim_id)
    SELECT coalesce(ev.claim_id, pd.claim_id), coalesce(ev.added, 0)::bigint,
           coalesce(pd.paid, 0)::bigint, ev.claim_id IS NOT NULL,
           coalesce(ev.due, date '9999-12-31') - date '1970-01-01'
    FROM ev FULL JOIN pd ON pd.claim_id = ev.claim_id
$$;
