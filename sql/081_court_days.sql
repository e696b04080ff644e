-- 081_court_days.sql - the days of the objection's court proceedings that
-- later checks need, and the withdrawal after a limitation ended.
--
-- 1. claim_events.act_date: the day of the act an event records where it
--    is not the day entered (event_date): for 'court' the day the court
--    received the files (case --to-court --received), for 'judgment' the
--    day of the judgment.  NULL elsewhere, and for court events entered
--    before 081 (their received day is in the reason: court_received_day
--    reads it from there).  Insertable by abgleich_fines
--    (grant_insert_but_who, 061).
-- 2. `case --judgment DATE` is refused before the files reached the court:
--    received <= DATE <= least(the day entered, the absolute limitation).
-- 3. The court event's limitation_date is the six months from the day
--    received, never after the absolute limitation (§ 33(3) sentence 2
--    OWiG); its reason says so when the absolute limitation comes first.
-- 4. `case --objection-withdrawn` (fines_case) is refused, exit 3:
--    - from 'objection' after the objection's limitation ended
--      (objection_last_day, the ledger's limitation_date): the case is
--      time-barred and escalate records it; before, a withdrawal entered
--      after that day made the notice final and enforceable for years,
--      while escalate on the day after would have barred it.  The outcome
--      no longer depends on which command runs first.
--    - from 'court' after the absolute limitation: without a judgment the
--      case is time-barred; with one (state 'judgment', or one not entered
--      yet) the objection can no longer be withdrawn.
--
-- Restated whole (their latest definitions in brackets): fines_store (057),
-- fines_court_event (080), fines_case (080).

ALTER TABLE abgleich.claim_events ADD COLUMN act_date date;
SELECT abgleich.grant_insert_but_who();

-- fines_store of 057, with the act's day.
CREATE OR REPLACE FUNCTION abgleich.fines_store(e abgleich.claim_events)
RETURNS abgleich.claim_events
LANGUAGE sql AS $$
    INSERT INTO abgleich.claim_events (claim_id, event_date, state_from, state, fine_cents,
        fee_cents, expenses_cents, due_date, next_step_date, limitation_date, reason, reason_de,
        act_date)
    VALUES (e.claim_id, e.event_date, e.state_from, e.state, e.fine_cents, e.fee_cents,
        e.expenses_cents, e.due_date, e.next_step_date, e.limitation_date, e.reason, e.reason_de,
        e.act_date)
    RETURNING *
$$;

-- The day the court received the files of claim p_claim: its latest
-- 'court' event's act_date, or for one entered before 081 the day its
-- reason names (080's "files received by the local court on YYYY-MM-DD");
-- NULL if it never went to court.
CREATE FUNCTION abgleich.court_received_day(p_claim bigint) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT coalesce(e.act_date,
                    (substring(e.reason FROM '^files received by the local court on ([0-9]{4}-[0-9]{2}-[0-9]{2})'))::date)
    FROM abgleich.claim_events e
    WHERE e.claim_id = p_claim AND e.state = 'court'
    ORDER BY e.id DESC LIMIT 1
$$;

-- fines_court_event of 080: the act's day stored (act_date); a judgment not
-- before the files reached the court; the court's limitation capped by the
-- absolute one.
CREATE OR REPLACE FUNCTION abgleich.fines_court_event(l abgleich.claim_ledger, p_answer text, p_as_of date,
                                           p_day date, p_by text)
RETURNS abgleich.claim_events
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f abgleich.fines_config;
    last_day date;
    objected date;
    absolute date := abgleich.absolute_limitation_day(l.offense_time::date);
    received date;
    six date;
    ev abgleich.claim_events;
BEGIN
    SELECT * INTO f FROM abgleich.fines_config WHERE id = 1;
    SELECT max(e.event_date) INTO last_day FROM abgleich.claim_events e WHERE e.claim_id = l.id;
    IF p_as_of < last_day THEN
        RAISE EXCEPTION 'claim % has an event of %: a case as of % would come before it',
            l.reference, last_day, p_as_of USING ERRCODE = 'P0003';
    END IF;
    IF (p_answer = 'to_court' AND l.stage <> 'objection')
       OR (p_answer = 'judgment' AND l.stage <> 'court') THEN
        RAISE EXCEPTION 'claim % is in state %: % (§ 69(3), (4) OWiG)', l.reference, l.stage,
            CASE p_answer WHEN 'to_court' THEN 'only a notice under objection goes to the court'
                          ELSE 'a judgment is recorded for a case at the court (case --to-court first)' END
            USING ERRCODE = 'P0003';
    END IF;
    SELECT max(e.event_date) INTO objected FROM abgleich.claim_events e
    WHERE e.claim_id = l.id AND e.state = 'objection';
    IF p_day > p_as_of OR p_day < objected THEN
        RAISE EXCEPTION 'claim %: a day of % lies after the day entered (%) or before the objection of %',
            l.reference, p_day, p_as_of, objected USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'to_court' AND l.limitation_date IS NULL THEN
        RAISE EXCEPTION 'claim %: the objection is against a cost notice; the court decides on it under § 25a(3) StVG, § 62 OWiG, with no prosecution limitation to record: enter its outcome with --dismiss or --objection-withdrawn',
            l.reference USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'to_court' AND p_day > l.limitation_date THEN
        -- an act after the limitation interrupts nothing (§ 33(1) OWiG)
        RAISE EXCEPTION 'claim %: the limitation ended on % (§ 31 OWiG); files reaching the court on % do not interrupt it (§ 33(1) Nr. 10 OWiG): the case is time-barred (escalate records it)',
            l.reference, l.limitation_date, p_day USING ERRCODE = 'P0003';
    END IF;
    received := abgleich.court_received_day(l.id);
    IF p_answer = 'judgment' AND p_day < received THEN
        RAISE EXCEPTION 'claim %: a judgment of % lies before the files reached the court on % (§ 69(3), (4) OWiG)',
            l.reference, p_day, received USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'judgment' AND p_day > absolute THEN
        RAISE EXCEPTION 'claim %: the absolute limitation ended on % (§ 33(3) sentence 2 OWiG); a judgment of % came after it and stays nothing (§ 32(2) OWiG): the case was time-barred, record the outcome with --dismiss',
            l.reference, absolute, p_day USING ERRCODE = 'P0003';
    END IF;
    ev := abgleich.fines_transition(l.id, CASE p_answer WHEN 'to_court' THEN 'court' ELSE 'judgment' END,
                                    p_as_of, NULL);
    ev.act_date := p_day;
    IF p_answer = 'judgment' THEN
        ev.reason := format('first-instance judgment (or decision under § 72 OWiG) of %s, before the absolute limitation ended on %s: the limitation does not end before the proceedings are concluded (§ 32(2) OWiG) (%s)',
                            p_day, absolute, p_by);
        ev.reason_de := format('Urteil im ersten Rechtszug (oder Beschluss nach § 72 OWiG) vom %s, vor Ablauf der absoluten Verjährung am %s: die Verjährung läuft nicht vor dem rechtskräftigen Abschluss des Verfahrens ab (§ 32 Abs. 2 OWiG) (%s)',
                               to_char(p_day, 'DD.MM.YYYY'), to_char(absolute, 'DD.MM.YYYY'), p_by);
        RETURN ev;
    END IF;
    -- six months again from the day the files reached the court, never
    -- after the absolute limitation (§ 33(3) sentence 2 OWiG)
    six := abgleich.limitation_last_day(p_day, 2 * f.limitation_months);
    ev.limitation_date := least(six, absolute);
    IF six <= absolute THEN
        ev.reason := format('files received by the local court on %s (§ 69(3), (4) OWiG): the limitation begins anew (§ 33(1) Nr. 10, (3) OWiG), six months (§ 26(3) StVG) to %s unless the court interrupts it again; the absolute limitation ends on %s (§ 33(3) sentence 2 OWiG) (%s)',
                            p_day, ev.limitation_date, absolute, p_by);
        ev.reason_de := format('Akten beim Amtsgericht eingegangen am %s (§ 69 Abs. 3, 4 OWiG): die Verjährung beginnt neu (§ 33 Abs. 1 Nr. 10, Abs. 3 OWiG), sechs Monate (§ 26 Abs. 3 StVG) bis %s, soweit das Gericht sie nicht erneut unterbricht; die absolute Verjährung endet am %s (§ 33 Abs. 3 Satz 2 OWiG) (%s)',
                               to_char(p_day, 'DD.MM.YYYY'), to_char(ev.limitation_date, 'DD.MM.YYYY'),
                               to_char(absolute, 'DD.MM.YYYY'), p_by);
    ELSE
        ev.reason := format('files received by the local court on %s (§ 69(3), (4) OWiG): the limitation begins anew (§ 33(1) Nr. 10, (3) OWiG); six months (§ 26(3) StVG) would end on %s, but the absolute limitation ends before, on %s (§ 33(3) sentence 2 OWiG): the limitation ends then unless a judgment comes before it (§ 32(2) OWiG) (%s)',
                            p_day, six, absolute, p_by);
        ev.reason_de := format('Akten beim Amtsgericht eingegangen am %s (§ 69 Abs. 3, 4 OWiG): die Verjährung beginnt neu (§ 33 Abs. 1 Nr. 10, Abs. 3 OWiG); sechs Monate (§ 26 Abs. 3 StVG) endeten am %s, die absolute Verjährung endet aber schon am %s (§ 33 Abs. 3 Satz 2 OWiG): dann endet die Verjährung, wenn nicht vorher ein Urteil ergeht (§ 32 Abs. 2 OWiG) (%s)',
                               to_char(p_day, 'DD.MM.YYYY'), to_char(six, 'DD.MM.YYYY'),
                               to_char(absolute, 'DD.MM.YYYY'), p_by);
    END IF;
    RETURN ev;
END;
$$;

-- fines_case of 080: a withdrawal refused once the case is time-barred
-- (with the authority: its limitation; at court: the absolute one).
CREATE OR REPLACE FUNCTION abgleich.fines_case(p_reference text, p_answer text, p_as_of date,
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
    IF p_answer IN ('to_court', 'judgment') THEN
        -- paid or not: the money waits for the outcome
        RETURN abgleich.fines_store(abgleich.fines_court_event(l, p_answer, p_as_of, received, p_by));
    END IF;
    IF p_answer IN ('driver_known', 'driver_unknown') AND l.stage <> 'hearing' THEN
        RAISE EXCEPTION 'claim % is in state %, not in a hearing: only the answer to a hearing leads to a notice',
            p_reference, l.stage USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'dismiss'
       AND l.stage NOT IN ('warning_open', 'hearing', 'fine_notice', 'cost_notice', 'objection',
                           'court', 'judgment') THEN
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
    IF p_answer = 'objection_withdrawn' AND l.stage NOT IN ('objection', 'court') THEN
        -- after the first-instance judgment the court's decision stands in
        -- the notice's place; only its outcome is recorded (--dismiss)
        RAISE EXCEPTION 'claim % is in state %, without an objection to withdraw', p_reference, l.stage
            USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'objection_withdrawn' AND l.stage = 'objection' AND p_as_of > l.limitation_date THEN
        -- the limitation ran out while the objection lay with the authority
        -- (objection_last_day): the notice can no longer become final;
        -- escalate bars it that night, whichever command comes first
        RAISE EXCEPTION 'claim %: the limitation ended on % (§ 26(3) StVG, § 31 OWiG): the case is time-barred, a withdrawal entered on % makes no notice final (escalate records the time bar)',
            p_reference, l.limitation_date, p_as_of USING ERRCODE = 'P0003';
    END IF;
    IF p_answer = 'objection_withdrawn' AND l.stage = 'court'
       AND p_as_of > abgleich.absolute_limitation_day(l.offense_time::date) THEN
        -- past the absolute limitation a case at court without a judgment
        -- is time-barred; with one in time (§ 32(2) OWiG) the objection
        -- could no longer be withdrawn (§ 71 OWiG, § 411(3) StPO)
        RAISE EXCEPTION 'claim %: the absolute limitation ended on % (§ 33(3) sentence 2 OWiG): without a judgment before it the case is time-barred (record it with --dismiss); record a judgment that came in time with --judgment DATE',
            p_reference, abgleich.absolute_limitation_day(l.offense_time::date)
            USING ERRCODE = 'P0003';
    END IF;
    -- A paid warning is effective and a paid notice settled; a notice under
    -- objection may still be withdrawn or end in an acquittal, and then
    -- what was paid goes back (the lowering step's overpayment).
    IF l.open_cents <= 0 AND NOT (l.stage IN ('objection', 'court', 'judgment')
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
    IF l.stage IN ('court', 'judgment') THEN
        -- the outcome of the court proceedings, in both languages
        ev.reason := CASE target WHEN 'final_due'
                     THEN 'objection withdrawn at court: the notice is final (' || p_by || ')'
                     ELSE 'court: acquitted or proceedings discontinued, nothing is owed (' || p_by || ')' END;
        ev.reason_de := CASE target WHEN 'final_due'
                        THEN 'Einspruch bei Gericht zurückgenommen: der Bescheid ist rechtskräftig (' || p_by || ')'
                        ELSE 'Gericht: Freispruch oder Einstellung, es ist nichts geschuldet (' || p_by || ')' END;
    END IF;
    IF target = 'objection' THEN
        -- Back to what the notice said: a reminder's fee since falls away.
        SELECT coalesce(-sum(x.fee_cents), 0), coalesce(-sum(x.expenses_cents), 0)
        INTO ev.fee_cents, ev.expenses_cents
        FROM abgleich.claim_events x WHERE x.claim_id = l.id AND x.id > notice.id;
    END IF;
    RETURN abgleich.fines_store(ev);
END;
$$;

