-- 080_objection_court.sql - an objection's files at the local court: the
-- interruption the office records, the outcome, and the absolute
-- limitation the office cannot judge alone.
--
-- The law (kmein/gesetze laws/OWiG.md, laws/StVG.md; see 079's header):
-- - § 69(3) sentence 1 OWiG: an authority that neither withdraws the notice
--   nor rejects the objection sends the files via the prosecutor to the
--   local court; § 69(4): with the files' arrival at the prosecutor its
--   tasks as prosecuting authority pass to it, and it lays them before the
--   judge.
-- - § 33(1) sentence 1 Nr. 10 OWiG: the limitation is interrupted by "den
--   Eingang der Akten beim Amtsgericht gemäß § 69 Abs. 3 Satz 1 und Abs. 5
--   Satz 2"; § 33(3) sentence 1: it begins anew, and after a fine notice
--   the period is six months (§ 26(3) StVG, "danach sechs Monate").
-- - From then on the court's acts interrupt it too (Nr. 2, 11, 12, 15:
--   a judicial hearing, a date for the main hearing, the notice that it may
--   decide without one, ...), and the office is not told of them.  So the
--   relative limitation of a case at court is not the office's to apply:
--   escalate leaves state 'court' alone (079: no next step), and the
--   six months from the files' arrival are recorded in the event and its
--   reason only.
-- - § 33(3) sentence 2: the absolute limitation (079's
--   absolute_limitation_day: two years from the act) ends every case, but
--   "§ 32 bleibt unberührt" (sentence 4), and § 32(2): "Ist vor Ablauf der
--   Verjährungsfrist ein Urteil des ersten Rechtszuges oder ein Beschluß
--   nach § 72 ergangen, so läuft die Verjährungsfrist nicht vor dem
--   Zeitpunkt ab, in dem das Verfahren rechtskräftig abgeschlossen ist."
--   A case at court past the absolute limitation without a recorded
--   judgment is time-barred unless a judgment came in time that the office
--   has not heard of.  It is not barred automatically: a judgment the
--   office has not entered yet would be overridden, and the money of a
--   conviction refunded.  It is listed for a clerk instead.
--   Where an automatic bar is right: an objection still with the authority
--   past the absolute limitation (no court, so no judgment can exist; the
--   rest of § 32(1), a prosecution barred by law, e.g. immunity, does not
--   occur in parking cases).  079 bars it (objection_last_day is bounded by
--   the absolute limitation).
--
-- Now:
-- 1. `case REF --to-court [--received DATE]` (fines_case, 'to_court'): a
--    notice under objection whose files the court received on DATE
--    (default: the day entered) enters state 'court': not due, no next
--    step, not barred by escalate.  The event's limitation_date is the last
--    day of the six months from DATE; its reason names § 33(1) Nr. 10 and
--    the absolute limitation.  Refused: a claim not under objection; a day
--    before the objection or after the day entered; a day after the
--    objection's limitation ended (an act after it interrupts nothing: the
--    case is barred, escalate records it); an objection against a § 25a
--    cost notice (its court decision under § 25a(3) StVG, § 62 OWiG has no
--    prosecution limitation: its outcome is entered directly).
-- 2. `case REF --judgment DATE` (fines_case, 'judgment'): the court's
--    first-instance judgment or § 72 decision of DATE, on or before the
--    absolute limitation's last day: state 'judgment', limitation NULL
--    (079's ledger), off the review list.  Refused after the absolute
--    limitation (it stays nothing) and before the objection.
-- 3. The outcome: `--objection-withdrawn` from 'court' makes the notice
--    final that day (due payment_days later, 079's fines_transition; the
--    enforcement limitation starts that day: enforcement_last_day), and
--    `--dismiss` from 'court' or 'judgment' (an acquittal, a
--    discontinuation) takes everything off; paid money becomes an
--    overpayment to refund, as from 'objection' (052).  A withdrawal after
--    the judgment is refused: the court's decision then stands in the
--    notice's place.  Both reasons in English and German.
-- 4. abgleich.limitation_review_on(DATE): 053's rows ('act_after_limitation')
--    and the cases at court whose absolute limitation ended before DATE with
--    no event since the court's ('absolute_limitation'); the view
--    limitation_review is it as of today, with the new last column why.
--    escalate counts the list as of its --as-of day in its summary.
-- 5. fines_offset_surplus: no surplus is set off against a claim at court
--    or after a judgment: not due (§ 387 BGB), like one under objection.
--
-- Restated whole (their latest definitions in brackets): fines_case (052),
-- enforcement_last_day(bigint, boolean) (065), fines_offset_surplus (057),
-- limitation_review (053, now over limitation_review_on).

-- The event of `case --to-court` or `case --judgment` for claim l on day
-- p_day (the day the court received the files; the day of the judgment),
-- entered on p_as_of; checked against the law, reasons in both languages.
-- Not stored.
CREATE FUNCTION abgleich.fines_court_event(l abgleich.claim_ledger, p_answer text, p_as_of date,
                                           p_day date, p_by text)
RETURNS abgleich.claim_events
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f abgleich.fines_config;
    last_day date;
    objected date;
    absolute date := abgleich.absolute_limitation_day(l.offense_time::date);
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
    IF p_answer = 'judgment' AND p_day > absolute THEN
        RAISE EXCEPTION 'claim %: the absolute limitation ended on % (§ 33(3) sentence 2 OWiG); a judgment of % came after it and stays nothing (§ 32(2) OWiG): the case was time-barred, record the outcome with --dismiss',
            l.reference, absolute, p_day USING ERRCODE = 'P0003';
    END IF;
    ev := abgleich.fines_transition(l.id, CASE p_answer WHEN 'to_court' THEN 'court' ELSE 'judgment' END,
                                    p_as_of, NULL);
    IF p_answer = 'judgment' THEN
        ev.reason := format('first-instance judgment (or decision under § 72 OWiG) of %s, before the absolute limitation ended on %s: the limitation does not end before the proceedings are concluded (§ 32(2) OWiG) (%s)',
                            p_day, absolute, p_by);
        ev.reason_de := format('Urteil im ersten Rechtszug (oder Beschluss nach § 72 OWiG) vom %s, vor Ablauf der absoluten Verjährung am %s: die Verjährung läuft nicht vor dem rechtskräftigen Abschluss des Verfahrens ab (§ 32 Abs. 2 OWiG) (%s)',
                               to_char(p_day, 'DD.MM.YYYY'), to_char(absolute, 'DD.MM.YYYY'), p_by);
        RETURN ev;
    END IF;
    -- six months again from the day the files reached the court
    ev.limitation_date := abgleich.limitation_last_day(p_day, 2 * f.limitation_months);
    ev.reason := format('files received by the local court on %s (§ 69(3), (4) OWiG): the limitation begins anew (§ 33(1) Nr. 10, (3) OWiG), six months (§ 26(3) StVG) to %s unless the court interrupts it again; the absolute limitation ends on %s (§ 33(3) sentence 2 OWiG) (%s)',
                        p_day, ev.limitation_date, absolute, p_by);
    ev.reason_de := format('Akten beim Amtsgericht eingegangen am %s (§ 69 Abs. 3, 4 OWiG): die Verjährung beginnt neu (§ 33 Abs. 1 Nr. 10, Abs. 3 OWiG), sechs Monate (§ 26 Abs. 3 StVG) bis %s, soweit das Gericht sie nicht erneut unterbricht; die absolute Verjährung endet am %s (§ 33 Abs. 3 Satz 2 OWiG) (%s)',
                           to_char(p_day, 'DD.MM.YYYY'), to_char(ev.limitation_date, 'DD.MM.YYYY'),
                           to_char(absolute, 'DD.MM.YYYY'), p_by);
    RETURN ev;
END;
$$;

-- fines_case of 052: the court (to_court, judgment), and the withdrawal or
-- dismissal of a case at court.
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

-- enforcement_last_day of 065: a notice made final by a withdrawal at
-- court is final that day, as one withdrawn with the authority.
CREATE OR REPLACE FUNCTION abgleich.enforcement_last_day(p_claim bigint, p_lapse_kept boolean)
RETURNS date
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f abgleich.fines_config;
    fin abgleich.claim_events;
    start date;
    fine bigint;
    rest int := 0;
    x record;
    stop date;
BEGIN
    SELECT * INTO f FROM abgleich.fines_config WHERE id = 1;
    SELECT * INTO fin FROM abgleich.claim_events e
    WHERE e.claim_id = p_claim AND e.state = 'final_due' ORDER BY e.id DESC LIMIT 1;
    IF fin.id IS NULL THEN
        RETURN NULL;
    END IF;
    -- final the day after the objection period (the notice's next step),
    -- or the day an objection was withdrawn, with the authority or at court
    IF fin.state_from NOT IN ('objection', 'court') THEN
        SELECT n.next_step_date INTO start FROM abgleich.claim_events n
        WHERE n.claim_id = p_claim AND n.id < fin.id AND n.state IN ('fine_notice', 'cost_notice')
        ORDER BY n.id DESC LIMIT 1;
    END IF;
    start := coalesce(start, fin.event_date);
    SELECT c.amount_cents + coalesce((SELECT sum(e.fine_cents) FROM abgleich.claim_events e
                                      WHERE e.claim_id = c.id AND e.id <= fin.id), 0)
    INTO fine FROM abgleich.claims c WHERE c.id = p_claim;
    FOR x IN
        SELECT e.id, e.state, e.event_date, nx.id AS next_id, nx.event_date AS next_day,
               (SELECT max(p.due_date) FROM abgleich.claim_relief_parts p
                WHERE p.event_id = e.id) AS last_due
        FROM abgleich.claim_events e
        LEFT JOIN LATERAL (SELECT n.id, n.event_date FROM abgleich.claim_events n
                           WHERE n.claim_id = p_claim AND n.id > e.id
                           ORDER BY n.id LIMIT 1) nx ON true
        WHERE e.claim_id = p_claim AND e.id > fin.id AND e.state IN ('instalments', 'deferred')
        ORDER BY e.id
    LOOP
        stop := x.next_day;
        IF x.state = 'deferred' THEN
            stop := least(coalesce(stop, 'infinity'::date), x.last_due + 1);
        ELSIF x.next_id IS NOT NULL THEN
            -- a plan that lapsed, was replaced or barred: it rested at most
            -- until the day it lapsed by its terms, judged by what was open
            -- when the next event came (the part escalate found unpaid);
            -- least() passes over NULL, a plan with no part unpaid then
            stop := least(stop, abgleich.relief_lapse_day(x.id,
                                    abgleich.claim_open_before_event(p_claim, x.next_id)));
        ELSIF p_lapse_kept THEN
            -- a kept plan taken as lapsed on its next step (escalate's view
            -- of a plan whose grace is over)
            stop := abgleich.relief_lapse_day(x.id, abgleich.claim_open_cents(p_claim));
        END IF;
        IF stop IS NULL THEN
            RETURN NULL;   -- instalments kept: the period rests
        END IF;
        rest := rest + greatest(stop - x.event_date, 0);
    END LOOP;
    RETURN abgleich.limitation_last_day(start, 12 * CASE WHEN fine > f.enforcement_large_above_cents
                                                         THEN f.enforcement_years_large
                                                         ELSE f.enforcement_years_small END)
           + rest;
END;
$$;

-- fines_offset_surplus of 057: nor against a claim at court or after a
-- judgment.
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
            -- not a notice under objection (with the authority or at court),
            -- nor one under payment relief: not due (§ 387 BGB needs a due
            -- claim to set off against)
            WHERE x.open_cents > 0
              AND (x.state IS NULL
                   OR x.state NOT IN ('objection', 'court', 'judgment', 'instalments', 'deferred'))
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

-- The review list as of p_as_of: the acts of 053 after the limitation they
-- had to come within ('act_after_limitation'), and every case at court
-- without a recorded judgment whose absolute limitation ended before
-- p_as_of ('absolute_limitation'; its event is the court's, limitation_date
-- the absolute limitation's last day).
CREATE FUNCTION abgleich.limitation_review_on(p_as_of date)
RETURNS TABLE (reference text, state text, event_date date, limitation_date date, event_id bigint,
               why text)
LANGUAGE sql STABLE AS $$
WITH ev AS (
    SELECT e.id, e.claim_id, e.event_date, e.state,
           lag(e.limitation_date) OVER w AS previous_limitation,
           row_number() OVER w AS n
    FROM abgleich.claim_events e
    WINDOW w AS (PARTITION BY e.claim_id ORDER BY e.id))
SELECT c.reference, ev.state, ev.event_date, x.limitation_date, ev.id, 'act_after_limitation'
FROM ev
JOIN abgleich.claims c ON c.id = ev.claim_id
CROSS JOIN abgleich.fines_config f
CROSS JOIN LATERAL (SELECT CASE WHEN ev.n = 1
                                THEN abgleich.limitation_last_day(c.offense_time::date,
                                                                  f.limitation_months)
                                ELSE ev.previous_limitation END AS limitation_date) x
WHERE ev.state IN ('hearing', 'fine_notice') AND ev.event_date > x.limitation_date
UNION ALL
SELECT c.reference, e.state, e.event_date, a.day, e.id, 'absolute_limitation'
FROM abgleich.claim_events e
JOIN abgleich.claims c ON c.id = e.claim_id
CROSS JOIN LATERAL (SELECT abgleich.absolute_limitation_day(c.offense_time::date) AS day) a
WHERE e.state = 'court' AND a.day < p_as_of
  -- the claim is still at court: no judgment, withdrawal or dismissal since
  AND NOT EXISTS (SELECT 1 FROM abgleich.claim_events n WHERE n.claim_id = e.claim_id AND n.id > e.id)
$$;

-- limitation_review of 053, as of today, with the reason of each row.
CREATE OR REPLACE VIEW abgleich.limitation_review AS
SELECT * FROM abgleich.limitation_review_on(current_date);
