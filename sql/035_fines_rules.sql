-- 035_fines_rules.sql - what an audit of the fines office found wrong
-- (tests/integration/t_fines_rules.sh, tests/fixtures/rules/).
--
-- 1. `case --driver-known|--driver-unknown` was taken in warning_open (004's
--    fines_case): a fine or cost notice without any hearing, which § 55 OWiG
--    and § 25a StVG require first.  Only a hearing takes these answers;
--    --dismiss stays as it was.
-- 2. `case --driver-known` after the limitation had ended issued a fine
--    notice with a fresh limitation: a time-barred offense prosecuted.  It is
--    refused; escalate records the time bar.  A parking case answered
--    "driver unknown" then still gets the cost notice: § 25a StVG is for
--    exactly that, no driver found before the limitation ended.
-- 3. Events went back in time: `case --as-of D` with D before the claim's
--    last event, and `escalate --as-of D` after a run of a later day, wrote
--    events older than those before them; and escalate run twice for one day
--    moved a claim two steps (fine notice -> final -> dunning).  A case dated
--    before the claim's latest event is refused; escalate leaves a claim that
--    has an event on or after its day: one step per claim and day, and a day
--    run again changes nothing.
-- 4. A parking hearing whose limitation ended became time_barred: the time
--    bar was tested before the parking path.  Limitation reached, driver not
--    identified, keeper heard: the cost notice (fines-domain.md § 1.1).  An
--    open warning past its limitation had no hearing and stays time-barred.
--    The limitation makes escalate look at warnings and hearings only: a
--    cost notice keeps the hearing's (past) limitation date and would else
--    be made final the next night, before its objection period ended.

-- 004's fines_case with the rules 1 to 3 above.
CREATE OR REPLACE FUNCTION abgleich.fines_case(p_reference text, p_answer text, p_as_of date,
                                               p_parking text[], p_by text)
RETURNS abgleich.claim_events
LANGUAGE plpgsql AS $$
DECLARE
    l abgleich.claim_ledger;
    last_day date;
    parking boolean;
    target text;
    why text;
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
       AND l.stage NOT IN ('warning_open', 'hearing', 'fine_notice', 'cost_notice') THEN
        RAISE EXCEPTION 'claim % is in state %, which cannot be dismissed', p_reference, l.stage
            USING ERRCODE = 'P0003';
    END IF;
    IF l.open_cents <= 0 THEN
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
    ELSIF p_answer = 'driver_unknown' THEN
        target := 'dismissed'; why := 'hearing: driver unknown, not a parking offense (' || p_by || ')';
    ELSE
        target := 'dismissed'; why := 'dismissed by ' || p_by;
    END IF;
    RETURN abgleich.fines_store(abgleich.fines_transition(l.id, target, p_as_of, why));
END;
$$;

-- 004's nightly step with the rules 3 and 4 above.
CREATE OR REPLACE FUNCTION abgleich.fines_escalate(p_as_of date, p_parking text[])
RETURNS SETOF abgleich.claim_events
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    barred boolean;
    parking boolean;
    target text;
    why text;
BEGIN
    FOR r IN
        SELECT l.id, l.stage, l.tbnr, l.limitation_date
        FROM abgleich.claim_ledger l
        WHERE l.open_cents > 0
          AND l.stage IN ('warning_open', 'hearing', 'fine_notice', 'cost_notice', 'final_due')
          AND (l.next_step_date <= p_as_of
               OR (l.stage IN ('warning_open', 'hearing') AND l.limitation_date < p_as_of))
          AND NOT EXISTS (SELECT 1 FROM abgleich.claim_events e
                          WHERE e.claim_id = l.id AND e.event_date >= p_as_of)
        ORDER BY l.id
    LOOP
        barred := r.stage IN ('warning_open', 'hearing') AND r.limitation_date < p_as_of;
        parking := r.tbnr = ANY (p_parking);
        target := NULL;
        IF barred AND NOT (r.stage = 'hearing' AND parking) THEN
            target := 'time_barred';
            why := 'limitation ended ' || r.limitation_date;
        ELSIF r.stage = 'warning_open' THEN
            target := 'hearing';
            why := 'warning not paid by its due date';
        ELSIF r.stage = 'hearing' AND parking AND barred THEN
            target := 'cost_notice';
            why := 'limitation ended ' || r.limitation_date
                   || ', driver not identified: keeper bears the costs (§ 25a StVG)';
        ELSIF r.stage = 'hearing' AND parking THEN
            target := 'cost_notice';
            why := 'no answer to the hearing: keeper bears the costs (§ 25a StVG)';
        ELSIF r.stage IN ('fine_notice', 'cost_notice') THEN
            target := 'final_due';
            why := 'no objection within the period: final';
        ELSIF r.stage = 'final_due' THEN
            target := 'dunning';
            why := 'not paid after the notice became final';
        END IF;
        IF target IS NOT NULL THEN
            RETURN NEXT abgleich.fines_store(
                abgleich.fines_transition(r.id, target, p_as_of, why));
        END IF;
    END LOOP;
END;
$$;
