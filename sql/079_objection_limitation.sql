-- 079_objection_limitation.sql - the prosecution limitation of a notice
-- under objection, and the time bar escalate records for it.
--
-- Since 048 `case --objection` puts a fine or cost notice in state
-- 'objection': not due, no next step, left to the clerk for ever.  But an
-- objection stops only the notice from becoming final; the prosecution
-- limitation runs on while the authority reviews it (§ 69(2) OWiG).  An
-- objection forgotten for seven months was a time-barred case the office
-- still treated as owed, dunned once withdrawn, or kept the money of.
--
-- The law (texts read in kmein/gesetze laws/OWiG.md and laws/StVG.md, the
-- versions of 2025; bundestag/gesetze o/owig_1968 for the older wording):
-- - § 31(1) OWiG: the limitation excludes the prosecution; § 31(3): it
--   begins when the act is completed.
-- - § 26(3) StVG: for offenses under § 24(1) StVG the period is three
--   months as long as no fine notice has been issued, "danach sechs
--   Monate".  The fine notice interrupts it (§ 33(1) sentence 1 Nr. 9
--   OWiG), and § 33(3) sentence 1: after each interruption it begins
--   anew.  So a notice under objection is time-barred six months after the
--   notice (the day before the day named like it: limitation_last_day,
--   sql/045) unless a later act interrupts it.  The notice's event stores
--   that day since 045 (fines_transition, 'fine_notice').
-- - While the objection lies with the authority (§ 69(2) OWiG: it reviews
--   whether it keeps or withdraws the notice) only the authority's own
--   acts can interrupt: the first hearing (Nr. 1) is used up, and the
--   acts of a judge (Nr. 2, 4) or after the files left it (Nr. 10 to 15)
--   need the court.  The one it hands on is the files reaching the court
--   via the prosecutor (§ 69(3) sentence 1, (4); § 33(1) Nr. 10), which
--   080 records.  Its other acts of Nr. 3 to 7 (an expert commissioned, a
--   request abroad) are rare in parking and stopping cases and recorded
--   by no command yet: an office that takes one must settle the case
--   before escalate bars it (docs/fines.md says so).  With the authority,
--   then, the notice's date is the date.
-- - § 33(3) sentence 2 OWiG, the absolute limitation: "spätestens ...
--   wenn seit dem in § 31 Abs. 3 bezeichneten Zeitpunkt das Doppelte der
--   gesetzlichen Verjährungsfrist, mindestens jedoch zwei Jahre verstrichen
--   sind"; sentence 4: § 32 (a first-instance judgment, § 32(2)) stays
--   unaffected.  The doubled period is at most 2 x the six months of a
--   notice (fines_config.limitation_months x 2, x 2), one year, so the two
--   years of the minimum apply: abgleich.absolute_limitation_day(act).
--   With the authority it never comes before the six months (a notice
--   lies at most months after the act), but it is the bound of both.
-- - A § 25a StVG cost notice is no prosecution: the person concerned may
--   apply for a court decision within two weeks (§ 25a(3) StVG, § 62(2)
--   OWiG), and no prosecution limitation runs against the keeper's costs.
--   The cost notice carries the hearing's past date (035, point 4); an
--   objection against it is not barred and stays the clerk's (NULL).
--
-- Now:
-- 1. abgleich.objection_last_day(claim): the last day of the limitation of
--    the claim's objection: least(the latest fine notice's limitation, the
--    absolute limitation); NULL when the latest notice is a cost notice.
--    claim_ledger shows it as limitation_date of an objection, and its
--    next_step_date is the day after (the night escalate acts).  So the
--    clerk sees the date where every other claim shows its next step:
--    claim_lifecycle.next_step_date and limitation_date, the account's
--    "next step" (account_json).  That is the least invasive of the three
--    places the brief named: the letters CSV is for the print shop (a
--    letter to the person about the office's own deadline would be
--    wrong), and the morning report is the treasury's (statements, not
--    claims).  The ledger computes it rather than the stored event, so
--    objections recorded before 079 (their event has no next step, and a
--    late one of 052 carried the enforcement limitation of the final
--    notice it left) get the right date too; fines_transition stores the
--    same day in new objection events.  claim_lifecycle and account_json
--    show the next step of an objection also when it is paid in full: it
--    still ends, and the money then goes back.
-- 2. fines_escalate: an objection whose day has passed becomes
--    'time_barred', paid or not, as a hearing past its limitation does: what
--    is owed comes off (fines_transition's 'time_barred' amounts, the same
--    as a dismissal's), and what was paid becomes an overpayment
--    clarification of its bank payment for a clerk to refund (the trigger
--    of 035, which `case --dismiss` of an objection uses since 052; its
--    text names "der Verjährung").  The reason says which limitation ended,
--    in English and German (reason_de).  abgleich.objection_time_bar
--    builds the event.
-- 3. fines_letters: that time bar has a letter, the discontinuation
--    (Einstellung: the notice the person objected to is withdrawn); a time
--    bar from a warning or hearing has none, as before (nothing was
--    served that needs taking back).
-- 4. claim_events.state takes 'court' and 'judgment' (080 records them;
--    the views and fines_transition of this file know them already, so
--    080 restates neither): a case at the local court, and one with a
--    first-instance judgment.  Not due, no next step; at court the
--    ledger's limitation_date is the absolute limitation, after the
--    judgment NULL (§ 32(2) OWiG: it does not end before the case is
--    concluded).  A withdrawal from court is final that day like one from
--    the authority (fines_transition, 'final_due').
--
-- Restated whole (their latest definitions in brackets): claim_ledger
-- (070), claim_lifecycle (057), fines_transition (057), fines_escalate
-- (070), fines_letters (057), account_json (070).

ALTER TABLE abgleich.claim_events DROP CONSTRAINT claim_events_state_check;
ALTER TABLE abgleich.claim_events ADD CONSTRAINT claim_events_state_check
    CHECK (state IN ('hearing', 'fine_notice', 'cost_notice', 'objection', 'court', 'judgment',
                     'final_due', 'dunning', 'instalments', 'deferred', 'relief_lapsed',
                     'enforcement_barred', 'time_barred', 'dismissed'));

-- The absolute limitation's last day for an act of p_offense (§ 33(3)
-- sentence 2 OWiG): twice the longest period (the six months after a
-- notice, § 26(3) StVG), at least two years, counted as every limitation
-- here (the day before the day named like the act's, not moved off a
-- weekend).
CREATE FUNCTION abgleich.absolute_limitation_day(p_offense date) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT abgleich.limitation_last_day(p_offense, greatest(24, 2 * 2 * f.limitation_months))
    FROM abgleich.fines_config f WHERE f.id = 1
$$;

-- The last day of the prosecution limitation of claim p_claim while an
-- objection lies with the authority: six months from the latest fine
-- notice (its event's limitation_date), never after the absolute
-- limitation; NULL when the latest notice is a § 25a StVG cost notice (no
-- prosecution limitation runs against it).  By index lookups.
CREATE FUNCTION abgleich.objection_last_day(p_claim bigint) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN n.state = 'fine_notice'
                THEN least(n.limitation_date,
                           abgleich.absolute_limitation_day(c.offense_time::date)) END
    FROM abgleich.claims c
    CROSS JOIN LATERAL (SELECT e.state, e.limitation_date FROM abgleich.claim_events e
                        WHERE e.claim_id = c.id AND e.state IN ('fine_notice', 'cost_notice')
                        ORDER BY e.id DESC LIMIT 1) n
    WHERE c.id = p_claim
$$;

-- claim_ledger of 070: an objection's limitation and next step
-- (objection_last_day), the limitation of a case at court (the absolute
-- one) and after a judgment (none: it rests, § 32(2) OWiG).
CREATE OR REPLACE VIEW abgleich.claim_ledger AS
SELECT c.id, c.reference, c.plate, c.plate_key, c.tbnr, c.offense_time, c.location,
       (c.amount_cents + coalesce(e.fine, 0))::bigint AS fine_cents,
       coalesce(e.fee, 0)::bigint AS fee_cents,
       coalesce(e.expenses, 0)::bigint AS expenses_cents,
       (c.amount_cents + coalesce(e.fine, 0) + coalesce(e.fee, 0)
        + coalesce(e.expenses, 0))::bigint AS owed_cents,
       coalesce(p.paid, 0)::bigint AS paid_cents,
       (c.amount_cents + coalesce(e.fine, 0) + coalesce(e.fee, 0) + coalesce(e.expenses, 0)
        - coalesce(p.paid, 0))::bigint AS open_cents,
       coalesce(l.state, 'warning_open') AS stage,
       CASE WHEN l.state IS NULL THEN c.due_date
            WHEN l.state IN ('instalments', 'deferred')
            THEN coalesce(abgleich.relief_next_due(l.id,
                     c.amount_cents + coalesce(e.fine, 0) + coalesce(e.fee, 0)
                     + coalesce(e.expenses, 0) - coalesce(p.paid, 0)), l.due_date)
            ELSE l.due_date END AS due_date,
       CASE WHEN l.state IS NULL THEN c.due_date + 1
            WHEN l.state = 'instalments'
            THEN abgleich.relief_lapse_day(l.id,
                     c.amount_cents + coalesce(e.fine, 0) + coalesce(e.fee, 0)
                     + coalesce(e.expenses, 0) - coalesce(p.paid, 0))
            -- an objection with the authority: escalate looks again the day
            -- after its limitation (NULL against a cost notice: none runs)
            WHEN l.state = 'objection' THEN abgleich.objection_last_day(c.id) + 1
            ELSE l.next_step_date END AS next_step_date,
       CASE WHEN l.state IS NULL
            THEN abgleich.limitation_last_day(c.offense_time::date, f.limitation_months)
            WHEN l.state IN ('final_due', 'dunning', 'instalments', 'deferred', 'relief_lapsed')
            THEN abgleich.enforcement_last_day(c.id)
            WHEN l.state = 'objection' THEN abgleich.objection_last_day(c.id)
            -- at court the office sees only the absolute limitation; after a
            -- first-instance judgment it rests until the end (§ 32(2) OWiG)
            WHEN l.state = 'court' THEN abgleich.absolute_limitation_day(c.offense_time::date)
            WHEN l.state = 'judgment' THEN NULL
            ELSE l.limitation_date END AS limitation_date
FROM abgleich.claims c
CROSS JOIN abgleich.fines_config f
LEFT JOIN (SELECT claim_id, sum(fine_cents)::bigint AS fine, sum(fee_cents)::bigint AS fee,
                  sum(expenses_cents)::bigint AS expenses
           FROM abgleich.claim_events GROUP BY claim_id) e ON e.claim_id = c.id
LEFT JOIN (SELECT DISTINCT ON (claim_id) claim_id, state, due_date, next_step_date,
                  limitation_date, id
           FROM abgleich.claim_events ORDER BY claim_id, id DESC) l ON l.claim_id = c.id
LEFT JOIN (SELECT claim_id, sum(amount_cents)::bigint AS paid FROM abgleich.allocations
           WHERE claim_id IS NOT NULL GROUP BY claim_id) p ON p.claim_id = c.id;

-- claim_lifecycle of 057: an objection paid in full keeps its next step.
CREATE OR REPLACE VIEW abgleich.claim_lifecycle AS
SELECT l.reference,
       CASE WHEN l.stage IN ('dismissed', 'time_barred', 'enforcement_barred') THEN l.stage
            WHEN l.owed_cents > 0 AND l.open_cents <= 0 THEN 'paid'
            ELSE l.stage END AS state,
       l.owed_cents AS amount_cents,
       l.due_date,
       -- an objection paid in full still has its day: the time bar, and
       -- then a refund
       CASE WHEN l.stage IN ('dismissed', 'time_barred', 'enforcement_barred', 'dunning')
                 OR (l.open_cents <= 0 AND l.stage <> 'objection')
            THEN NULL ELSE l.next_step_date END AS next_step_date,
       l.fine_cents, l.fee_cents, l.expenses_cents, l.paid_cents, l.open_cents,
       l.limitation_date, l.id AS claim_id
FROM abgleich.claim_ledger l;

-- fines_transition of 057: an objection carries the notice's limitation
-- and has its next step the day after; the court and the judgment (080);
-- a withdrawal from court is final that day like one from the authority.
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
        -- the notice's limitation, not the ledger's date of the stage left
        -- (a final notice's is the enforcement limitation); escalate bars
        -- the case the day after it (none against a cost notice)
        e.limitation_date := abgleich.objection_last_day(p_claim);
        e.next_step_date := e.limitation_date + 1;
    WHEN 'court' THEN
        -- the files reached the court (§ 33(1) Nr. 10 OWiG): six months
        -- again (§ 26(3) StVG); fines_case counts them from the day received
        e.due_date := NULL;
        e.next_step_date := NULL;    -- the court's acts, which the office does not see
        e.limitation_date := abgleich.limitation_last_day(p_as_of, 2 * f.limitation_months);
    WHEN 'judgment' THEN
        e.due_date := NULL;
        e.next_step_date := NULL;
        e.limitation_date := NULL;   -- does not end before the case is concluded (§ 32(2) OWiG)
    WHEN 'final_due' THEN
        -- after a withdrawn objection the payment period runs from that day
        e.due_date := CASE WHEN l.stage IN ('objection', 'court')
                           THEN abgleich.deadline_end(p_as_of + f.payment_days)
                           ELSE l.due_date END;
        e.next_step_date := e.due_date + f.dunning_after_days + 1;
        e.limitation_date := NULL;   -- final: enforcement limitation (§ 34 OWiG) only
    WHEN 'dunning' THEN
        e.fee_cents := f.dunning_fee_cents;
        e.due_date := abgleich.deadline_end(p_as_of + f.dunning_days);
        e.next_step_date := NULL;
        e.limitation_date := NULL;
    WHEN 'instalments', 'deferred' THEN
        e.due_date := NULL;          -- the caller's, from the parts
        e.next_step_date := NULL;
        e.limitation_date := NULL;   -- computed: abgleich.enforcement_last_day
    WHEN 'relief_lapsed' THEN
        e.due_date := p_as_of;       -- the whole remainder at once
        e.next_step_date := p_as_of + f.dunning_after_days + 1;
        e.limitation_date := NULL;
    WHEN 'enforcement_barred' THEN
        -- what is not paid (§ 94 order: the fine first, then fees, expenses)
        e.fine_cents := -(l.fine_cents - least(greatest(l.paid_cents, 0), l.fine_cents));
        e.fee_cents := -(l.fee_cents - least(greatest(l.paid_cents - l.fine_cents, 0), l.fee_cents));
        e.expenses_cents := -(l.expenses_cents
                              - least(greatest(l.paid_cents - l.fine_cents - l.fee_cents, 0),
                                      l.expenses_cents));
        e.due_date := NULL;
        e.next_step_date := NULL;
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

-- The time bar of claim p_claim's objection as of p_as_of (not stored):
-- everything owed comes off (fines_transition), and the reason says which
-- limitation ended, the notice's six months or the absolute one, what is
-- taken off and what was paid and goes back, in English and German.
CREATE FUNCTION abgleich.objection_time_bar(p_claim bigint, p_as_of date)
RETURNS abgleich.claim_events
LANGUAGE plpgsql STABLE AS $$
DECLARE
    l abgleich.claim_ledger;
    n abgleich.claim_events;
    ev abgleich.claim_events;
    why text;
    why_de text;
BEGIN
    SELECT * INTO l FROM abgleich.claim_ledger WHERE id = p_claim;
    SELECT * INTO n FROM abgleich.claim_events e
    WHERE e.claim_id = p_claim AND e.state = 'fine_notice' ORDER BY e.id DESC LIMIT 1;
    ev := abgleich.fines_transition(p_claim, 'time_barred', p_as_of, NULL);
    IF l.limitation_date < n.limitation_date THEN
        why := format('the absolute limitation ended on %s (§ 33(3) sentence 2 OWiG: two years from the act of %s)',
                      l.limitation_date, l.offense_time::date);
        why_de := format('die absolute Verjährungsfrist endete am %s (§ 33 Abs. 3 Satz 2 OWiG: zwei Jahre ab der Tat vom %s)',
                         to_char(l.limitation_date, 'DD.MM.YYYY'),
                         to_char(l.offense_time::date, 'DD.MM.YYYY'));
    ELSE
        why := format('the limitation ended on %s (§ 26(3) StVG, § 33(1) Nr. 9 OWiG: six months from the fine notice of %s)',
                      l.limitation_date, n.event_date);
        why_de := format('die Verjährungsfrist endete am %s (§ 26 Abs. 3 StVG, § 33 Abs. 1 Nr. 9 OWiG: sechs Monate ab dem Bußgeldbescheid vom %s)',
                         to_char(l.limitation_date, 'DD.MM.YYYY'), to_char(n.event_date, 'DD.MM.YYYY'));
    END IF;
    ev.reason := format('time-barred while the objection lay with the authority: %s; the notice cannot become final and the case is discontinued (§ 31(1) OWiG); the %s EUR open are taken off',
                        why, abgleich.cents_en(greatest(l.open_cents, 0)))
                 || CASE WHEN l.paid_cents > 0
                         THEN format(', the %s EUR paid are to be refunded', abgleich.cents_en(l.paid_cents))
                         ELSE '' END;
    ev.reason_de := format('Verfolgungsverjährung, während der Einspruch bei der Bußgeldbehörde lag: %s; der Bescheid kann nicht rechtskräftig werden, das Verfahren wird eingestellt (§ 31 Abs. 1 OWiG); die offenen %s EUR werden ausgebucht',
                           why_de, abgleich.cents_de(greatest(l.open_cents, 0)))
                    || CASE WHEN l.paid_cents > 0
                            THEN format(', die gezahlten %s EUR sind zu erstatten', abgleich.cents_de(l.paid_cents))
                            ELSE '' END;
    RETURN ev;
END;
$$;

-- fines_escalate of 070: an objection whose limitation ended is time-barred,
-- also when it was paid in full (the money goes back).
CREATE OR REPLACE FUNCTION abgleich.fines_escalate(p_as_of date, p_parking text[])
RETURNS SETOF abgleich.claim_events
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    barred boolean;
    parking boolean;
    target text;
    why text;
    why_de text;
    ev abgleich.claim_events;
    f abgleich.fines_config;
    lim date;
    grace int;
BEGIN
    SELECT * INTO f FROM abgleich.fines_config WHERE id = 1;
    FOR r IN
        SELECT l.id, l.stage, l.tbnr, l.limitation_date, l.due_date, l.open_cents,
               l.next_step_date
        FROM abgleich.claim_ledger l
        WHERE (l.open_cents > 0 OR l.stage = 'objection')
          AND l.stage IN ('warning_open', 'hearing', 'fine_notice', 'cost_notice', 'objection',
                          'final_due', 'dunning', 'instalments', 'deferred', 'relief_lapsed')
          AND (l.next_step_date <= p_as_of
               -- prosecution limitation before a notice
               OR (l.stage IN ('warning_open', 'hearing') AND l.limitation_date < p_as_of)
               -- enforcement limitation once final (a notice's carried date
               -- is neither); its last day lies at least the shorter period
               -- after the offense, so younger claims skip its lookups
               OR (l.stage IN ('final_due', 'dunning', 'instalments', 'deferred', 'relief_lapsed')
                   AND CASE WHEN l.offense_time::date
                                 >= (p_as_of - make_interval(years => least(
                                        f.enforcement_years_small, f.enforcement_years_large)))::date + 2
                            THEN false
                            ELSE l.limitation_date < p_as_of END))
          AND NOT EXISTS (SELECT 1 FROM abgleich.claim_events e
                          WHERE e.claim_id = l.id AND e.event_date >= p_as_of)
        ORDER BY l.id
    LOOP
        barred := r.stage IN ('warning_open', 'hearing') AND r.limitation_date < p_as_of;
        parking := r.tbnr = ANY (p_parking);
        target := NULL;
        why_de := NULL;
        lim := r.limitation_date;
        IF r.stage = 'instalments' AND r.next_step_date <= p_as_of THEN
            -- the plan lapsed by its terms on its next step, however late
            -- this run comes: the period rested only until then, and may
            -- have ended since (then barred, not a letter 'due at once')
            lim := abgleich.enforcement_last_day(r.id, true);
        END IF;
        IF r.stage = 'objection' THEN
            -- its only next step: the limitation ended (a paid one too: the
            -- money goes back)
            RETURN NEXT abgleich.fines_store(abgleich.objection_time_bar(r.id, p_as_of));
            CONTINUE;
        END IF;
        IF r.stage IN ('final_due', 'dunning', 'instalments', 'deferred', 'relief_lapsed')
           AND lim < p_as_of THEN
            target := 'enforcement_barred';
            why := format('enforcement limitation ended %s (§ 34 OWiG): the final notice may no longer be enforced; the %s EUR open are taken off',
                          lim, abgleich.cents_en(r.open_cents));
            why_de := format('Vollstreckungsverjährung (§ 34 OWiG): die Frist endete am %s; der rechtskräftige Bescheid darf nicht mehr vollstreckt werden, die offenen %s EUR werden ausgebucht',
                             to_char(lim, 'DD.MM.YYYY'), abgleich.cents_de(r.open_cents));
        ELSIF barred AND NOT (r.stage = 'hearing' AND parking) THEN
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
        ELSIF r.stage = 'instalments' THEN
            target := 'relief_lapsed';
            SELECT p.grace_days INTO grace FROM abgleich.claim_relief_parts p
            WHERE p.event_id = (SELECT e.id FROM abgleich.claim_events e
                                WHERE e.claim_id = r.id ORDER BY e.id DESC LIMIT 1)
            ORDER BY p.n LIMIT 1;
            why := format('the instalment due %s was not paid within %s days: the payment relief lapsed (§ 18 sentence 2, § 93(3) OWiG); the remaining %s EUR are due at once',
                          r.due_date, grace, abgleich.cents_en(r.open_cents));
            why_de := format('die Rate fällig am %s ist nicht innerhalb von %s Tagen bezahlt: die Zahlungserleichterung ist entfallen (§ 18 Satz 2, § 93 Abs. 3 OWiG); die restlichen %s EUR sind sofort fällig',
                             to_char(r.due_date, 'DD.MM.YYYY'), grace,
                             abgleich.cents_de(r.open_cents));
        ELSIF r.stage = 'deferred' THEN
            target := 'dunning';
            why := format('not paid by the deferred date %s', r.due_date);
            why_de := format('bis zum Stundungstermin %s nicht bezahlt', to_char(r.due_date, 'DD.MM.YYYY'));
        ELSIF r.stage = 'relief_lapsed' THEN
            target := 'dunning';
            why := 'not paid after the payment relief lapsed';
            why_de := 'nach Wegfall der Zahlungserleichterung nicht bezahlt';
        END IF;
        IF target IS NOT NULL THEN
            ev := abgleich.fines_transition(r.id, target, p_as_of, why);
            ev.reason_de := why_de;
            IF target = 'enforcement_barred' THEN
                ev.limitation_date := lim;   -- a kept plan's is NULL in the ledger
            END IF;
            RETURN NEXT abgleich.fines_store(ev);
        END IF;
    END LOOP;
END;
$$;

-- fines_letters of 057: the discontinuation of a notice under objection
-- that became time-barred.
CREATE OR REPLACE VIEW abgleich.fines_letters AS
SELECT e.event_date, e.id AS event_id, c.reference, c.plate, c.tbnr, c.offense_time,
       c.location, e.state, e.state_from,
       (c.amount_cents + s.fine)::bigint AS fine_cents,
       s.fee AS fee_cents,
       s.expenses AS expenses_cents,
       (c.amount_cents + s.fine + s.fee + s.expenses)::bigint AS owed_cents,
       p.paid AS paid_cents,
       (c.amount_cents + s.fine + s.fee + s.expenses - p.paid)::bigint AS open_cents,
       coalesce(r.due_date, e.due_date) AS due_date, e.next_step_date,
       CASE WHEN e.state = 'hearing' THEN e.due_date
            WHEN e.state IN ('fine_notice', 'cost_notice') THEN e.next_step_date - 1
       END AS deadline,
       r.n AS instalment,
       r.amount_cents AS instalment_cents
FROM abgleich.claim_events e
JOIN abgleich.claims c ON c.id = e.claim_id
CROSS JOIN LATERAL (
    SELECT coalesce(sum(x.fine_cents), 0)::bigint AS fine,
           coalesce(sum(x.fee_cents), 0)::bigint AS fee,
           coalesce(sum(x.expenses_cents), 0)::bigint AS expenses
    FROM abgleich.claim_events x WHERE x.claim_id = e.claim_id AND x.id <= e.id) s
CROSS JOIN LATERAL (
    -- created_at is the transaction's start: rows a step writes with it count
    SELECT coalesce(sum(a.amount_cents), 0)::bigint AS paid
    FROM abgleich.allocations a
    WHERE a.claim_id = e.claim_id AND a.created_at <= e.created_at) p
LEFT JOIN abgleich.claim_relief_parts r ON r.event_id = e.id AND e.state = 'instalments'
WHERE e.state IN ('hearing', 'fine_notice', 'cost_notice', 'dunning', 'dismissed',
                  'instalments', 'deferred', 'relief_lapsed', 'time_barred')
  -- the discontinuation of a notice under objection is told to the person;
  -- a warning or hearing that ran out had no notice to take back
  AND (e.state <> 'time_barred' OR e.state_from = 'objection');

-- account_json of 070: an objection's next step is its time bar, also
-- when it is paid in full.
CREATE OR REPLACE FUNCTION abgleich.account_json(p_plate text, p_reference text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH typed AS (
    -- the car the typed plate names: "NL:AB-12-CD" (a country first) a
    -- foreign one, anything else a German one
    SELECT CASE WHEN m IS NULL THEN abgleich.car_key(p_plate, NULL)
                ELSE abgleich.car_key(m[2], upper(m[1])) END AS car
    FROM (SELECT regexp_match(p_plate, '^[[:space:]]*([A-Za-z]{1,3})[[:space:]]*:[[:space:]]*(.*)$')
          AS m) x
    WHERE p_plate IS NOT NULL
), car AS (
    -- its plate key, for the hash index; none for an unknown or ambiguous plate
    SELECT t.car, CASE WHEN t.car IS NULL OR t.car LIKE '?%' THEN NULL
                       ELSE replace(regexp_replace(t.car, '^[A-Z]{1,3}:', ''), '-', '')
                  END AS plate_key
    FROM typed t
), wanted AS (
    SELECT c.id FROM car k JOIN abgleich.claims c
      ON c.plate_key = k.plate_key AND c.car_key = k.car
    UNION
    SELECT c.id FROM abgleich.claims c WHERE p_reference IS NOT NULL
      AND c.reference = upper(regexp_replace(p_reference, '[[:space:].-]', '', 'g'))
), amounts AS (
    -- per claim by index lookups (the views aggregate over every claim)
    SELECT c.id, c.reference, c.plate, c.tbnr, c.offense_time, c.location,
           c.amount_cents + coalesce(ev.fine, 0) AS fine_cents,
           coalesce(ev.fee, 0) AS fee_cents, coalesce(ev.expenses, 0) AS expenses_cents,
           coalesce(p.paid, 0) AS paid_cents,
           coalesce(le.state, 'warning_open') AS stage, le.id AS event_id,
           CASE WHEN le.state IS NULL THEN c.due_date ELSE le.due_date END AS event_due,
           CASE WHEN le.state IS NULL THEN c.due_date + 1 ELSE le.next_step_date END AS event_next
    FROM wanted w
    JOIN abgleich.claims c ON c.id = w.id
    LEFT JOIN LATERAL (SELECT sum(e.fine_cents) AS fine, sum(e.fee_cents) AS fee,
                              sum(e.expenses_cents) AS expenses
                       FROM abgleich.claim_events e WHERE e.claim_id = c.id) ev ON true
    LEFT JOIN LATERAL (SELECT e.id, e.state, e.due_date, e.next_step_date
                       FROM abgleich.claim_events e
                       WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1) le ON true
    LEFT JOIN LATERAL (SELECT sum(a.amount_cents) AS paid FROM abgleich.allocations a
                       WHERE a.claim_id = c.id) p ON true
), owed AS (
    SELECT m.*, m.fine_cents + m.fee_cents + m.expenses_cents AS owed_cents,
           m.fine_cents + m.fee_cents + m.expenses_cents - m.paid_cents AS open_cents
    FROM amounts m
), acct AS (
    -- the rules of claim_ledger, claim_lifecycle and claim_components, for these claims
    SELECT o.*,
           CASE WHEN o.stage IN ('dismissed', 'time_barred', 'enforcement_barred') THEN o.stage
                WHEN o.owed_cents > 0 AND o.open_cents <= 0 THEN 'paid'
                ELSE o.stage END AS state,
           CASE WHEN o.stage IN ('instalments', 'deferred')
                THEN coalesce(abgleich.relief_next_due(o.event_id, o.open_cents::bigint), o.event_due)
                ELSE o.event_due END AS due_date,
           CASE WHEN o.stage = 'instalments'
                THEN abgleich.relief_lapse_day(o.event_id, o.open_cents::bigint)
                WHEN o.stage = 'objection' THEN abgleich.objection_last_day(o.id) + 1
                ELSE o.event_next END AS next_step,
           least(greatest(o.paid_cents, 0), o.fine_cents) AS fine_paid_cents,
           least(greatest(o.paid_cents - o.fine_cents, 0), o.fee_cents) AS fee_paid_cents,
           least(greatest(o.paid_cents - o.fine_cents - o.fee_cents, 0), o.expenses_cents)
               AS expenses_paid_cents
    FROM owed o
)
SELECT jsonb_build_object(
    'plate', p_plate,
    'reference', p_reference,
    'car', (SELECT k.car FROM car k WHERE k.plate_key IS NOT NULL),
    'open_cents', coalesce(sum(greatest(r.open_cents, 0)), 0),
    'paid_cents', coalesce(sum(r.paid_cents), 0),
    'claims', coalesce(jsonb_agg(jsonb_build_object(
        'reference', r.reference, 'plate', r.plate, 'tbnr', r.tbnr,
        'offense_time', r.offense_time, 'location', r.location,
        'state', r.state,
        'open', r.state NOT IN ('paid', 'dismissed', 'time_barred', 'enforcement_barred'),
        'amount_cents', r.owed_cents, 'fine_cents', r.fine_cents, 'fee_cents', r.fee_cents,
        'expenses_cents', r.expenses_cents, 'paid_cents', r.paid_cents,
        'open_cents', r.open_cents, 'fine_paid_cents', r.fine_paid_cents,
        'fee_paid_cents', r.fee_paid_cents, 'expenses_paid_cents', r.expenses_paid_cents,
        'due_date', r.due_date,
        'next_step_date', CASE WHEN r.stage IN ('dismissed', 'time_barred', 'enforcement_barred',
                                                'dunning')
                                    OR (r.open_cents <= 0 AND r.stage <> 'objection')
                               THEN NULL ELSE r.next_step END,
        'relief', CASE WHEN r.stage IN ('instalments', 'deferred') THEN (
            SELECT jsonb_build_object(
                'kind', r.stage, 'granted', e.event_date,
                'parts', (SELECT jsonb_agg(jsonb_build_object(
                              'n', q.n, 'due_date', q.due_date, 'amount_cents', q.amount_cents,
                              -- what the payments since the grant put on this part
                              'paid_cents', least(q.amount_cents, greatest(0,
                                  q.amount_cents + q.rest_after_cents - r.open_cents)),
                              'paid', r.open_cents <= q.rest_after_cents) ORDER BY q.n)
                          FROM abgleich.claim_relief_parts q WHERE q.event_id = e.id))
            FROM abgleich.claim_events e WHERE e.id = r.event_id) END,
        'payments', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                         'date', coalesce(t.booking_date, a.created_at::date),
                         'amount_cents', a.amount_cents, 'method', a.method,
                         'end_to_end_id', t.end_to_end_id) ORDER BY a.id), '[]'::jsonb)
                     FROM abgleich.allocations a
                     LEFT JOIN abgleich.bank_transactions t
                            ON t.file_id = a.file_id AND t.seq = a.tx_seq
                     WHERE a.claim_id = r.id),
        'history', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'date', e.event_date, 'state', e.state, 'fine_cents', e.fine_cents,
                        'fee_cents', e.fee_cents, 'expenses_cents', e.expenses_cents,
                        'due_date', e.due_date, 'reason', e.reason,
                        'reason_de', e.reason_de) ORDER BY e.id), '[]'::jsonb)
                    FROM abgleich.claim_events e WHERE e.claim_id = r.id)
    ) ORDER BY r.offense_time, r.reference), '[]'::jsonb))
    || coalesce((SELECT CASE
        WHEN k.car IS NULL THEN jsonb_build_object(
            'message', 'Kein gültiges deutsches Kennzeichen. Ein ausländisches Kennzeichen mit dem Land davor angeben, z. B. NL:AB-12-CD.',
            'message_en', 'Not a valid German plate. Give a foreign plate with its country first, e.g. NL:AB-12-CD.')
        WHEN k.car LIKE '?%' THEN jsonb_build_object(
            'message', 'Kennzeichen mehrdeutig: bitte mit Bindestrich oder Leerzeichen nach dem Unterscheidungszeichen angeben, z. B. HH-A 1 (Hamburg) oder H-HA 1 (Hannover).',
            'message_en', 'Ambiguous plate: give it with a hyphen or space after the district code, e.g. HH-A 1 (Hamburg) or H-HA 1 (Hannover).')
        END FROM typed k), '{}'::jsonb)
FROM acct r
$$;
