-- 045_limitation_day.sql - the limitation ends the day before the named day.
--
-- The prosecution limitation starts on the day of the act (§ 31(3) OWiG),
-- or on the day of an act that interrupts it (the hearing ordered, the
-- fine notice issued), and that day counts.  So a period of months ends
-- with the day before the day named like the first (§ 188(2), (3) BGB by
-- analogy): an act on 5 April is barred after 4 July, one on 30 November
-- after 28 February (29 in a leap year).  OLG Karlsruhe 2 Rb 8 Ss 486/19:
-- a fine notice of 22.11.2017 (six months) was barred after 21.05.2018,
-- and the act of 22.05.2018 came a day too late.  004 and 013 took the
-- named day itself as the last one, one day late, so a notice could be
-- issued on a day the case was already barred.
--
-- limitation_date keeps its meaning, the last day on which the case still
-- stands (the time bar comes the day after), and only its computation
-- changes: in claim_ledger (an open warning, from the offense), in
-- fines_transition (hearing, fine notice), and in the ticket import's
-- check (engine/ticketcheck.c, the same rule in C).
--
-- Stored events: claim_events is append-only, but the limitation date of
-- an event is a deadline derived from the event's own date, not money and
-- not a state, and a stored wrong one would let escalate and case act on a
-- barred day.  So this migration, and nothing else, rewrites it where it
-- is exactly what the old rule computed; amounts, states and dates of the
-- events stay as they were.

CREATE OR REPLACE FUNCTION abgleich.limitation_last_day(p_start date, p_months int) RETURNS date
LANGUAGE sql IMMUTABLE STRICT AS $$
    -- From the day before the first, clamped to the month's end; the day
    -- before the 1st is the last of the month before the named one.
    SELECT CASE WHEN extract(day FROM p_start) = 1
                THEN (p_start + make_interval(months => p_months))::date - 1
                ELSE ((p_start - 1) + make_interval(months => p_months))::date END
$$;

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
       CASE WHEN l.state IS NULL THEN c.due_date ELSE l.due_date END AS due_date,
       CASE WHEN l.state IS NULL THEN c.due_date + 1 ELSE l.next_step_date END AS next_step_date,
       CASE WHEN l.state IS NULL
            THEN abgleich.limitation_last_day(c.offense_time::date, f.limitation_months)
            ELSE l.limitation_date END AS limitation_date
FROM abgleich.claims c
CROSS JOIN abgleich.fines_config f
LEFT JOIN (SELECT claim_id, sum(fine_cents)::bigint AS fine, sum(fee_cents)::bigint AS fee,
                  sum(expenses_cents)::bigint AS expenses
           FROM abgleich.claim_events GROUP BY claim_id) e ON e.claim_id = c.id
LEFT JOIN (SELECT DISTINCT ON (claim_id) claim_id, state, due_date, next_step_date,
                  limitation_date
           FROM abgleich.claim_events ORDER BY claim_id, id DESC) l ON l.claim_id = c.id
LEFT JOIN (SELECT claim_id, sum(amount_cents)::bigint AS paid FROM abgleich.allocations
           WHERE claim_id IS NOT NULL GROUP BY claim_id) p ON p.claim_id = c.id;

-- fines_transition of 013, with the limitation of the hearing and of the
-- fine notice ending on its last day.
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
    WHEN 'final_due' THEN
        e.due_date := l.due_date;
        e.next_step_date := l.due_date + f.dunning_after_days + 1;
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

-- The stored dates: each event's limitation was set by the last hearing
-- or fine notice up to it (those two restart it; the other states carry it
-- on), or else by the offense.
ALTER TABLE abgleich.claim_events DISABLE TRIGGER claim_events_no_update;
UPDATE abgleich.claim_events e
SET limitation_date = abgleich.limitation_last_day(s.start_day, s.months)
FROM (SELECT ev.id,
             coalesce(st.event_date, c.offense_time::date) AS start_day,
             CASE st.state WHEN 'fine_notice' THEN 2 ELSE 1 END * f.limitation_months AS months
      FROM abgleich.claim_events ev
      JOIN abgleich.claims c ON c.id = ev.claim_id
      CROSS JOIN abgleich.fines_config f
      LEFT JOIN LATERAL (SELECT s2.event_date, s2.state FROM abgleich.claim_events s2
                         WHERE s2.claim_id = ev.claim_id AND s2.id <= ev.id
                           AND s2.state IN ('hearing', 'fine_notice')
                         ORDER BY s2.id DESC LIMIT 1) st ON true
      WHERE ev.limitation_date IS NOT NULL AND c.offense_time IS NOT NULL) s
WHERE e.id = s.id
  AND e.limitation_date = (s.start_day + make_interval(months => s.months))::date
  AND e.limitation_date <> abgleich.limitation_last_day(s.start_day, s.months);
ALTER TABLE abgleich.claim_events ENABLE TRIGGER claim_events_no_update;
