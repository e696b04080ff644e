-- 065_relief_lapse_rest.sql - the enforcement limitation (§ 34 OWiG) rests
-- while an instalment plan is granted (§ 34(4) Nr. 3 OWiG) only until the
-- day the plan lapsed by its terms, not until the night escalate recorded
-- the lapse (a review's find after 057).
--
-- 057 counted each day from a plan's grant until the claim's next event.
-- For a lapsed plan that event is 'relief_lapsed', dated the night escalate
-- happened to run: on a night after the grace ended when escalate was not
-- run every night (a holiday, an outage, an office that runs it weekly),
-- the rest, and so the last enforceable day, reached later than the
-- granted terms allow, and the claim could be dunned and enforced after
-- the limitation had ended.  The relief ended (§ 18 sentence 2 OWiG) when
-- the missed part's grace was over: on its day + relief_grace_days it was
-- still granted, from the day after (its due day + relief_grace_days + 1,
-- the day a nightly escalate records the lapse: claim_ledger's
-- next_step_date of a plan) it was not.  Now:
--
-- 1. abgleich.relief_lapse_day(event, open): that day for the first part
--    unpaid when p_open is open; NULL when every part is paid.
-- 2. abgleich.claim_open_before_event(claim, event): what was open just
--    before the event was written (its charges not yet, the allocations
--    of earlier transactions only), so the part judged unpaid is the one
--    escalate found unpaid when it wrote the lapse (named in its reason).
-- 3. abgleich.enforcement_last_day: a plan followed by another event (its
--    lapse, a new relief replacing it, the bar) rests until the least of
--    that event's day and its lapse day by those terms.  A plan replaced
--    before any part was missed rests until the new relief, which rests
--    from its own grant on: the rest goes on without a gap.  A deferral
--    rested until its day at most already (057: day + 1, unchanged).  A
--    kept plan still rests (NULL), also once paid in full.  The function
--    now has a second argument: with p_lapse_kept a kept plan is taken as
--    lapsed on its next step (used by escalate and fines_relief once the
--    grace is over; the view shows NULL for a kept plan as before).
-- 4. fines_escalate: a kept plan whose grace is over is checked against
--    that limitation before its lapse is recorded: a run weeks late whose
--    day lies past it bars the claim (enforcement_barred) instead of
--    writing a letter that the remainder is due at once.
-- 5. fines_relief: a new relief for such a plan is refused the same way.
--
-- A relief's days already recorded are judged anew: a claim whose lapse
-- escalate recorded late gets an earlier last day, and escalate bars it on
-- its next run if that day has passed.
--
-- Restated whole (their latest definitions in brackets): enforcement_last_day
-- (057, now a wrapper of the two-argument one, which restates its body),
-- fines_relief (057), fines_escalate (057).

-- The day a plan of relief event p_event lapses by its terms when p_open
-- is open: the first unpaid part's day + the grace + 1 (as claim_ledger's
-- next_step_date and escalate have it); NULL when every part is paid.
CREATE FUNCTION abgleich.relief_lapse_day(p_event bigint, p_open bigint) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT abgleich.relief_next_due(p_event, p_open) + f.relief_grace_days + 1
    FROM abgleich.fines_config f WHERE f.id = 1
$$;

-- What was open on claim p_claim just before event p_event was written:
-- the charges of the events before it, less the allocations of the
-- transactions before its own (created_at is the transaction's start).
CREATE FUNCTION abgleich.claim_open_before_event(p_claim bigint, p_event bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT c.amount_cents
           + coalesce((SELECT sum(e.fine_cents + e.fee_cents + e.expenses_cents)
                       FROM abgleich.claim_events e
                       WHERE e.claim_id = c.id AND e.id < p_event), 0)
           - coalesce((SELECT sum(a.amount_cents) FROM abgleich.allocations a
                       WHERE a.claim_id = c.id AND a.created_at < n.created_at), 0)
    FROM abgleich.claims c
    JOIN abgleich.claim_events n ON n.id = p_event AND n.claim_id = c.id
    WHERE c.id = p_claim
$$;

-- The last day on which claim p_claim may still be enforced (§ 34 OWiG),
-- NULL before it is final and while instalments are kept (the period
-- rests), unless p_lapse_kept: then a kept plan counts as lapsed on its
-- next step.  By index lookups on the claim's events.
CREATE FUNCTION abgleich.enforcement_last_day(p_claim bigint, p_lapse_kept boolean)
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
    -- or the day an objection was withdrawn
    IF fin.state_from <> 'objection' THEN
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

-- enforcement_last_day of 057: the claim's last enforceable day as the
-- ledger shows it (a kept plan rests: NULL).
CREATE OR REPLACE FUNCTION abgleich.enforcement_last_day(p_claim bigint) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT abgleich.enforcement_last_day(p_claim, false)
$$;

-- fines_relief of 057: refused once the limitation ended, also for a kept
-- plan whose grace is over (it lapsed by its terms then).
CREATE OR REPLACE FUNCTION abgleich.fines_relief(p_reference text, p_kind text, p_parts int, p_first date,
                                      p_every int, p_as_of date, p_by text)
RETURNS abgleich.claim_events
LANGUAGE plpgsql AS $$
DECLARE
    l abgleich.claim_ledger;
    last_day date;
    lim date;
    ev abgleich.claim_events;
    rest bigint;
    part bigint;
BEGIN
    p_every := coalesce(p_every, 1);
    SELECT * INTO l FROM abgleich.claim_ledger WHERE reference = p_reference;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no claim with reference %', p_reference USING ERRCODE = 'P0002';
    END IF;
    IF l.stage NOT IN ('final_due', 'dunning', 'relief_lapsed', 'instalments', 'deferred') THEN
        RAISE EXCEPTION 'claim % is in state %: payment relief (§ 93 OWiG) is granted for a final fine or cost notice only',
            p_reference, l.stage USING ERRCODE = 'P0003';
    END IF;
    IF l.open_cents <= 0 THEN
        RAISE EXCEPTION 'claim % is paid: nothing to defer or split', p_reference
            USING ERRCODE = 'P0003';
    END IF;
    SELECT max(e.event_date) INTO last_day FROM abgleich.claim_events e WHERE e.claim_id = l.id;
    IF p_as_of < last_day THEN
        RAISE EXCEPTION 'claim % has an event of %: a case as of % would come before it',
            p_reference, last_day, p_as_of USING ERRCODE = 'P0003';
    END IF;
    -- a kept plan whose grace is over lapsed by its terms (the period
    -- rested until its next step), also before escalate recorded it
    lim := CASE WHEN l.stage = 'instalments' AND l.next_step_date <= p_as_of
                THEN abgleich.enforcement_last_day(l.id, true)
                ELSE l.limitation_date END;
    IF lim < p_as_of THEN
        RAISE EXCEPTION 'claim %: the enforcement limitation ended on % (§ 34 OWiG); it may no longer be enforced (escalate records it)',
            p_reference, lim USING ERRCODE = 'P0003';
    END IF;
    IF p_kind = 'instalments' AND (p_parts NOT BETWEEN 2 AND 120 OR p_every NOT BETWEEN 1 AND 12
                                   OR p_parts > l.open_cents) THEN
        RAISE EXCEPTION 'claim %: % instalments every % months: give 2 to 120 instalments of at least a cent, 1 to 12 months apart',
            p_reference, p_parts, p_every USING ERRCODE = 'P0003';
    END IF;
    IF p_kind = 'deferred' AND p_first <= p_as_of THEN
        RAISE EXCEPTION 'claim %: a deferral to % must lie after the day entered (%)',
            p_reference, p_first, p_as_of USING ERRCODE = 'P0003';
    END IF;
    -- the first part, unless given: one interval after the grant
    p_first := coalesce(p_first, (p_as_of + make_interval(months => p_every))::date);
    IF p_first < p_as_of THEN
        RAISE EXCEPTION 'claim %: the first instalment on % lies before the day entered (%)',
            p_reference, p_first, p_as_of USING ERRCODE = 'P0003';
    END IF;
    p_parts := CASE p_kind WHEN 'deferred' THEN 1 ELSE p_parts END;
    ev := abgleich.fines_store(abgleich.fines_relief_event(l, p_kind, p_parts,
              abgleich.deadline_end(p_first), p_every, p_as_of, p_by));
    rest := l.open_cents;
    FOR k IN 1 .. p_parts LOOP
        part := l.open_cents / p_parts + CASE WHEN k = 1 THEN l.open_cents % p_parts ELSE 0 END;
        rest := rest - part;
        INSERT INTO abgleich.claim_relief_parts (event_id, claim_id, n, due_date, amount_cents,
                                                 rest_after_cents)
        VALUES (ev.id, l.id, k, abgleich.deadline_end(
                    (p_first + make_interval(months => (k - 1) * p_every))::date), part, rest);
    END LOOP;
    RETURN ev;
END;
$$;

-- fines_escalate of 057: a kept plan whose grace is over is barred, not
-- lapsed, when the limitation counted to its lapse day has passed.
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
BEGIN
    SELECT * INTO f FROM abgleich.fines_config WHERE id = 1;
    FOR r IN
        SELECT l.id, l.stage, l.tbnr, l.limitation_date, l.due_date, l.open_cents,
               l.next_step_date
        FROM abgleich.claim_ledger l
        WHERE l.open_cents > 0
          AND l.stage IN ('warning_open', 'hearing', 'fine_notice', 'cost_notice', 'final_due',
                          'dunning', 'instalments', 'deferred', 'relief_lapsed')
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
            why := format('the instalment due %s was not paid within %s days: the payment relief lapsed (§ 18 sentence 2, § 93(3) OWiG); the remaining %s EUR are due at once',
                          r.due_date, f.relief_grace_days, abgleich.cents_en(r.open_cents));
            why_de := format('die Rate fällig am %s ist nicht innerhalb von %s Tagen bezahlt: die Zahlungserleichterung ist entfallen (§ 18 Satz 2, § 93 Abs. 3 OWiG); die restlichen %s EUR sind sofort fällig',
                             to_char(r.due_date, 'DD.MM.YYYY'), f.relief_grace_days,
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
