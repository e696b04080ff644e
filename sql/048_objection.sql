-- 048_objection.sql - the objection (Einspruch) against a notice.
--
-- A fine notice or a § 25a cost notice becomes final two weeks after it is
-- served unless the person concerned objects (§ 67 OWiG).  Until now
-- escalate made every notice final when its objection period ended, and
-- dunned it two weeks after it fell due, also when the citizen had
-- objected: enforcement of a notice that is not final (§ 89 OWiG).
--
-- `case REFERENCE --objection` records an objection within the period: the
-- claim enters 'objection', owes what the notice says but is not due
-- (due_date and next_step_date NULL), and escalate leaves it alone; a
-- payment still counts.  What follows is the clerk's:
--   --objection-withdrawn  the notice is final that day; the payment
--                          period runs from it;
--   --dismiss              the office withdraws the notice, or the case ends
--                          otherwise (§ 69(2) OWiG, a court's acquittal):
--                          nothing is owed.
-- An objection after the period is refused: it is inadmissible (§ 70
-- OWiG); reinstatement (§ 52 OWiG) is a decision this engine does not take.

ALTER TABLE abgleich.claim_events DROP CONSTRAINT claim_events_state_check;
ALTER TABLE abgleich.claim_events ADD CONSTRAINT claim_events_state_check
    CHECK (state IN ('hearing', 'fine_notice', 'cost_notice', 'objection', 'final_due', 'dunning',
                     'time_barred', 'dismissed'));

-- fines_transition of 045, with the objection and the final notice after it.
CREATE OR REPLACE FUNCTION abgleich.fines_transition(p_claim bigint, p_state text,
                                                     p_as_of date, p_reason text)
RETURNS abgleich.claim_events
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f abgleich.fines_config;
    l abgleich.claim_ledger;
    e abgleich.claim_events;
    objection_end date;
BEGIN
    SELECT * INTO f FROM abgleich.fines_config WHERE id = 1;
    SELECT * INTO l FROM abgleich.claim_ledger WHERE id = p_claim;
    e.claim_id := p_claim; e.event_date := p_as_of; e.state_from := l.stage;
    e.state := p_state; e.reason := p_reason;
    e.fine_cents := 0; e.fee_cents := 0; e.expenses_cents := 0;
    e.limitation_date := l.limitation_date;
    objection_end := abgleich.deadline_end(p_as_of + f.objection_days);
    CASE p_state
    WHEN 'hearing' THEN
        e.due_date := abgleich.deadline_end(p_as_of + f.hearing_days);
        e.next_step_date := e.due_date + 1;
        e.limitation_date := abgleich.limitation_last_day(p_as_of, f.limitation_months);
    WHEN 'fine_notice' THEN
        e.fee_cents := abgleich.fines_fee(l.fine_cents);
        e.expenses_cents := f.expenses_cents;
        e.due_date := abgleich.deadline_end(objection_end + f.payment_days);
        e.next_step_date := objection_end + 1;
        e.limitation_date := abgleich.limitation_last_day(p_as_of, 2 * f.limitation_months);
    WHEN 'cost_notice' THEN
        e.fine_cents := -l.fine_cents;
        e.fee_cents := f.cost_fee_cents - l.fee_cents;
        e.expenses_cents := f.cost_expenses_cents - l.expenses_cents;
        e.due_date := abgleich.deadline_end(objection_end + f.payment_days);
        e.next_step_date := objection_end + 1;
    WHEN 'objection' THEN
        e.due_date := NULL;          -- not due while the objection is pending
        e.next_step_date := NULL;    -- escalate leaves it to the clerk
    WHEN 'final_due' THEN
        -- after a withdrawn objection the payment period runs from that day
        e.due_date := CASE WHEN l.stage = 'objection'
                           THEN abgleich.deadline_end(p_as_of + f.payment_days)
                           ELSE l.due_date END;
        e.next_step_date := e.due_date + f.dunning_after_days + 1;
        e.limitation_date := NULL;   -- final: enforcement limitation (§ 34 OWiG) only
    WHEN 'dunning' THEN
        e.fee_cents := f.dunning_fee_cents;
        e.due_date := abgleich.deadline_end(p_as_of + f.dunning_days);
        e.next_step_date := NULL;
        e.limitation_date := NULL;
    WHEN 'time_barred', 'dismissed' THEN
        e.fine_cents := -l.fine_cents;
        e.fee_cents := -l.fee_cents;
        e.expenses_cents := -l.expenses_cents;
        e.due_date := NULL;
        e.next_step_date := NULL;
    END CASE;
    RETURN e;
END;
$$;


-- fines_case of 035, with the objection, its withdrawal, and a dismissal
-- from an objection.
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
       AND l.stage NOT IN ('warning_open', 'hearing', 'fine_notice', 'cost_notice', 'objection') THEN
        RAISE EXCEPTION 'claim % is in state %, which cannot be dismissed', p_reference, l.stage
            USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'objection' AND l.stage NOT IN ('fine_notice', 'cost_notice') THEN
        RAISE EXCEPTION 'claim % is in state %: an objection is against a fine or cost notice not yet final',
            p_reference, l.stage USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'objection' AND p_as_of >= l.next_step_date THEN
        RAISE EXCEPTION 'claim %: the objection period ended on % (§ 67 OWiG); a late objection is inadmissible (§ 70 OWiG)',
            p_reference, l.next_step_date - 1 USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'objection_withdrawn' AND l.stage <> 'objection' THEN
        RAISE EXCEPTION 'claim % is in state %, without an objection to withdraw', p_reference, l.stage
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
    ELSIF p_answer = 'objection' THEN
        target := 'objection'; why := 'objection to the notice received (' || p_by || ')';
    ELSIF p_answer = 'objection_withdrawn' THEN
        target := 'final_due'; why := 'objection withdrawn: the notice is final (' || p_by || ')';
    ELSIF p_answer = 'driver_unknown' THEN
        target := 'dismissed'; why := 'hearing: driver unknown, not a parking offense (' || p_by || ')';
    ELSE
        target := 'dismissed'; why := 'dismissed by ' || p_by;
    END IF;
    RETURN abgleich.fines_store(abgleich.fines_transition(l.id, target, p_as_of, why));
END;
$$;
