-- 057_payment_relief.sql - payment relief (§ 93 OWiG) and the enforcement
-- limitation (§ 34 OWiG): what a fines office does with a final notice
-- besides dunning it.
--
-- 1. Payment relief (Zahlungserleichterung, §§ 18, 93 OWiG).  Once a fine
--    or cost notice is final (final_due, dunning, or a relief that lapsed)
--    and not paid, `case REF --instalments N [--first DATE]
--    [--every-months M]` or `case REF --defer-to DATE` grants it
--    (abgleich.fines_relief): an event in state 'instalments' or 'deferred'
--    and its parts in abgleich.claim_relief_parts.  The amount still open
--    that day is split into N parts in cents; the remainder of the division
--    goes to the first part (100.00 EUR in 3: 33.34, 33.33, 33.33).  Part k
--    is due on the first date plus (k-1) x M months (from the first date,
--    so 31 Jan, 28 Feb, 31 Mar), moved off a Saturday, Sunday or holiday
--    (§ 193 BGB, abgleich.deadline_end).  A deferral is one part on its
--    day.  Payments count toward the parts in order: part k is paid when
--    what is open is at most the parts after it (rest_after_cents).
--    While the relief is kept the claim's due date (claim_ledger,
--    claim_lifecycle, the claim index of reconcile) is that of the first
--    unpaid part, and escalate does not dun it.  A part not paid
--    relief_grace_days (7) after its day ends the relief (the lapse clause
--    of § 18 sentence 2 OWiG, noted in the file, § 93(3)): state
--    'relief_lapsed', the whole remainder due at once, a letter that says
--    so, and dunning_after_days later the reminder as after any final
--    notice.  A deferral not paid by its day is dunned like a final notice
--    (dunning_after_days after it).  A reminder's fee already charged stays
--    (§ 93 OWiG takes nothing back; Land law has the fee).  A new relief
--    may replace a kept one or follow a lapsed one (§ 93(2), (3) sentence
--    2 OWiG); it splits what is open then.
-- 2. The enforcement limitation (Vollstreckungsverjährung, § 34 OWiG).  A
--    final fine may not be enforced after 3 years if it is at most 1 000
--    EUR, after 5 years above (§ 34(2); fines_config
--    enforcement_years_small, enforcement_years_large,
--    enforcement_large_above_cents); a § 25a StVG cost notice is enforced
--    the same way (§ 108(2) OWiG) and its fine is 0.  The period begins
--    with finality (§ 34(3)), the day after the objection period, or the
--    day an objection is withdrawn, and that day counts: it ends, like the
--    prosecution limitation, the day before the day named like its start
--    (abgleich.limitation_last_day, sql/045), and is not moved off a
--    weekend (a material period, fines-domain.md § 1.1).  It rests while a
--    payment relief is granted (§ 34(4) Nr. 3): every day from a relief's
--    grant until the next event (a deferral: until its day at most) is
--    added.  abgleich.enforcement_last_day computes it; claim_ledger and
--    claim_lifecycle show it as limitation_date of a final claim (NULL
--    while instalments are kept: it rests).  escalate moves an unpaid
--    final claim past it to 'enforcement_barred': what is still open is
--    taken off (the fine, fees, expenses not paid); what was paid before
--    stays paid.  Money arriving after it is treated as on a time-barred
--    claim: the claim owes nothing more, so the matcher makes it a
--    clarification for a clerk (claim_already_paid) to refund.  The step
--    writes no 'paid' feedback: nothing was paid.
-- 3. claim_events.reason_de: the reason in German for the account view, for
--    the events above (the older events keep their English reason).
--
-- Restated whole (their latest definitions in brackets): claim_ledger
-- (045), claim_lifecycle (004), fines_transition (048), fines_store (004),
-- fines_escalate (035), fines_letters (035, with two columns added at the
-- end), fines_offset_surplus (052), claimsnap_changes (052), account_json
-- (036), claim_events_settle (035), claim_status (028).

ALTER TABLE abgleich.fines_config
    ADD COLUMN relief_grace_days int NOT NULL DEFAULT 7,          -- office's choice: a part late this long ends the relief
    ADD COLUMN enforcement_years_small int NOT NULL DEFAULT 3,    -- § 34(2) Nr. 2 OWiG
    ADD COLUMN enforcement_years_large int NOT NULL DEFAULT 5,    -- § 34(2) Nr. 1 OWiG
    ADD COLUMN enforcement_large_above_cents bigint NOT NULL DEFAULT 100000; -- fine above 1 000 EUR

ALTER TABLE abgleich.claim_events DROP CONSTRAINT claim_events_state_check;
ALTER TABLE abgleich.claim_events ADD CONSTRAINT claim_events_state_check
    CHECK (state IN ('hearing', 'fine_notice', 'cost_notice', 'objection', 'final_due', 'dunning',
                     'instalments', 'deferred', 'relief_lapsed', 'enforcement_barred',
                     'time_barred', 'dismissed'));
ALTER TABLE abgleich.claim_events ADD COLUMN reason_de text;

-- The parts of a relief, per event: append-only like the events.
CREATE TABLE abgleich.claim_relief_parts (
    event_id         bigint NOT NULL REFERENCES abgleich.claim_events,
    claim_id         bigint NOT NULL REFERENCES abgleich.claims,
    n                int NOT NULL CHECK (n >= 1),
    due_date         date NOT NULL,
    amount_cents     bigint NOT NULL CHECK (amount_cents > 0),
    rest_after_cents bigint NOT NULL CHECK (rest_after_cents >= 0), -- the parts after this one
    PRIMARY KEY (event_id, n)
);
CREATE INDEX claim_relief_parts_claim ON abgleich.claim_relief_parts (claim_id);

CREATE FUNCTION abgleich.claim_relief_parts_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'abgleich.claim_relief_parts is append-only: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER claim_relief_parts_no_update BEFORE UPDATE OR DELETE ON abgleich.claim_relief_parts
    FOR EACH ROW EXECUTE FUNCTION abgleich.claim_relief_parts_append_only();
CREATE TRIGGER claim_relief_parts_no_truncate BEFORE TRUNCATE ON abgleich.claim_relief_parts
    FOR EACH STATEMENT EXECUTE FUNCTION abgleich.claim_relief_parts_append_only();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_fines') THEN
        GRANT INSERT ON abgleich.claim_relief_parts TO abgleich_fines;
    END IF;
END
$$;

-- The day the first unpaid part of relief event p_event is due when
-- p_open is open; NULL when every part is paid.
CREATE FUNCTION abgleich.relief_next_due(p_event bigint, p_open bigint) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT min(p.due_date) FROM abgleich.claim_relief_parts p
    WHERE p.event_id = p_event AND p.rest_after_cents < p_open
$$;

-- The last day on which claim p_claim may still be enforced (§ 34 OWiG),
-- NULL before it is final and while instalments are kept (the period
-- rests).  By index lookups on the claim's events.
CREATE FUNCTION abgleich.enforcement_last_day(p_claim bigint) RETURNS date
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
        SELECT e.state, e.event_date,
               (SELECT n.event_date FROM abgleich.claim_events n
                WHERE n.claim_id = p_claim AND n.id > e.id ORDER BY n.id LIMIT 1) AS next_day,
               (SELECT max(p.due_date) FROM abgleich.claim_relief_parts p
                WHERE p.event_id = e.id) AS last_due
        FROM abgleich.claim_events e
        WHERE e.claim_id = p_claim AND e.id > fin.id AND e.state IN ('instalments', 'deferred')
        ORDER BY e.id
    LOOP
        stop := x.next_day;
        IF x.state = 'deferred' THEN
            stop := least(coalesce(stop, 'infinity'::date), x.last_due + 1);
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

-- claim_ledger of 045: the due date and next step of a relief follow its
-- first unpaid part; a final claim's limitation_date is the enforcement
-- limitation's last day.
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
            THEN abgleich.relief_next_due(l.id,
                     c.amount_cents + coalesce(e.fine, 0) + coalesce(e.fee, 0)
                     + coalesce(e.expenses, 0) - coalesce(p.paid, 0)) + f.relief_grace_days + 1
            ELSE l.next_step_date END AS next_step_date,
       CASE WHEN l.state IS NULL
            THEN abgleich.limitation_last_day(c.offense_time::date, f.limitation_months)
            WHEN l.state IN ('final_due', 'dunning', 'instalments', 'deferred', 'relief_lapsed')
            THEN abgleich.enforcement_last_day(c.id)
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

-- claim_lifecycle of 004: an enforcement-barred claim stays so, also when
-- part of it was paid before.
CREATE OR REPLACE VIEW abgleich.claim_lifecycle AS
SELECT l.reference,
       CASE WHEN l.stage IN ('dismissed', 'time_barred', 'enforcement_barred') THEN l.stage
            WHEN l.owed_cents > 0 AND l.open_cents <= 0 THEN 'paid'
            ELSE l.stage END AS state,
       l.owed_cents AS amount_cents,
       l.due_date,
       CASE WHEN l.stage IN ('dismissed', 'time_barred', 'enforcement_barred', 'dunning')
                 OR l.open_cents <= 0
            THEN NULL ELSE l.next_step_date END AS next_step_date,
       l.fine_cents, l.fee_cents, l.expenses_cents, l.paid_cents, l.open_cents,
       l.limitation_date, l.id AS claim_id
FROM abgleich.claim_ledger l;

-- fines_store of 004, with the German reason.
CREATE OR REPLACE FUNCTION abgleich.fines_store(e abgleich.claim_events)
RETURNS abgleich.claim_events
LANGUAGE sql AS $$
    INSERT INTO abgleich.claim_events (claim_id, event_date, state_from, state, fine_cents,
        fee_cents, expenses_cents, due_date, next_step_date, limitation_date, reason, reason_de)
    VALUES (e.claim_id, e.event_date, e.state_from, e.state, e.fine_cents, e.fee_cents,
        e.expenses_cents, e.due_date, e.next_step_date, e.limitation_date, e.reason, e.reason_de)
    RETURNING *
$$;

-- fines_transition of 048, with the relief, its lapse and the enforcement
-- limitation.  A relief's due date and next step are the caller's (they
-- come from its parts).
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

-- The event of a relief (p_kind 'instalments' or 'deferred') of what is
-- open on claim l, due first on p_first_due, with its reason in English
-- and German; the next step is the lapse (instalments) or the reminder
-- (a deferral).  Not stored.
CREATE FUNCTION abgleich.fines_relief_event(l abgleich.claim_ledger, p_kind text, p_parts int,
                                            p_first_due date, p_every int, p_as_of date,
                                            p_by text)
RETURNS abgleich.claim_events
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f abgleich.fines_config;
    ev abgleich.claim_events;
    base bigint := l.open_cents / p_parts;
    rem bigint := l.open_cents % p_parts;
BEGIN
    SELECT * INTO f FROM abgleich.fines_config WHERE id = 1;
    ev := abgleich.fines_transition(l.id, p_kind, p_as_of, 'relief');
    ev.due_date := p_first_due;
    ev.next_step_date := p_first_due + CASE p_kind WHEN 'deferred' THEN f.dunning_after_days
                                                   ELSE f.relief_grace_days END + 1;
    IF p_kind = 'deferred' THEN
        ev.reason := format('payment deferred to %s (§ 93 OWiG): %s EUR (%s)', p_first_due,
                            abgleich.cents_en(l.open_cents), p_by);
        ev.reason_de := format('Stundung bis %s (§ 93 OWiG): %s EUR (%s)',
                               to_char(p_first_due, 'DD.MM.YYYY'), abgleich.cents_de(l.open_cents),
                               p_by);
        RETURN ev;
    END IF;
    ev.reason := format('%s instalments granted (§ 93 OWiG) of %s EUR: the first %s EUR due %s (with the %s cents left by the division), then %s EUR %s; a part unpaid %s days after its day ends the relief (%s)',
                        p_parts, abgleich.cents_en(l.open_cents), abgleich.cents_en(base + rem),
                        p_first_due, rem, abgleich.cents_en(base),
                        CASE p_every WHEN 1 THEN 'monthly' ELSE 'every ' || p_every || ' months' END,
                        f.relief_grace_days, p_by);
    ev.reason_de := format('Ratenzahlung bewilligt (§ 93 OWiG): %s EUR in %s Raten, die erste über %s EUR fällig am %s (mit den %s Cent Rest der Teilung), dann %s EUR %s; eine Rate, die %s Tage nach ihrem Termin nicht bezahlt ist, beendet die Zahlungserleichterung (%s)',
                           abgleich.cents_de(l.open_cents), p_parts, abgleich.cents_de(base + rem),
                           to_char(p_first_due, 'DD.MM.YYYY'), rem, abgleich.cents_de(base),
                           CASE p_every WHEN 1 THEN 'monatlich' ELSE 'alle ' || p_every || ' Monate' END,
                           f.relief_grace_days, p_by);
    RETURN ev;
END;
$$;

-- A relief granted by a clerk (`abgleich case REF --instalments N
-- [--first DATE] [--every-months M]` or `--defer-to DATE`): p_kind
-- 'instalments' (p_parts >= 2 parts, the first on p_first, default
-- p_every months on, then every p_every months) or 'deferred' (one part
-- on p_first).  The event and its parts; the remainder of the division on
-- the first part.
CREATE FUNCTION abgleich.fines_relief(p_reference text, p_kind text, p_parts int, p_first date,
                                      p_every int, p_as_of date, p_by text)
RETURNS abgleich.claim_events
LANGUAGE plpgsql AS $$
DECLARE
    l abgleich.claim_ledger;
    last_day date;
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
    IF l.limitation_date < p_as_of THEN
        RAISE EXCEPTION 'claim %: the enforcement limitation ended on % (§ 34 OWiG); it may no longer be enforced (escalate records it)',
            p_reference, l.limitation_date USING ERRCODE = 'P0003';
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

-- fines_escalate of 035: the enforcement limitation first; a kept relief
-- is not dunned, a part unpaid after the grace ends it; a lapsed relief
-- and a deferral not paid are dunned like a final notice.
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
BEGIN
    SELECT * INTO f FROM abgleich.fines_config WHERE id = 1;
    FOR r IN
        SELECT l.id, l.stage, l.tbnr, l.limitation_date, l.due_date, l.open_cents
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
        IF r.stage IN ('final_due', 'dunning', 'instalments', 'deferred', 'relief_lapsed')
           AND r.limitation_date < p_as_of THEN
            target := 'enforcement_barred';
            why := format('enforcement limitation ended %s (§ 34 OWiG): the final notice may no longer be enforced; the %s EUR open are taken off',
                          r.limitation_date, abgleich.cents_en(r.open_cents));
            why_de := format('Vollstreckungsverjährung (§ 34 OWiG): die Frist endete am %s; der rechtskräftige Bescheid darf nicht mehr vollstreckt werden, die offenen %s EUR werden ausgebucht',
                             to_char(r.limitation_date, 'DD.MM.YYYY'), abgleich.cents_de(r.open_cents));
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
            RETURN NEXT abgleich.fines_store(ev);
        END IF;
    END LOOP;
END;
$$;

-- fines_letters of 035 with the letters of a relief: the plan's letter is
-- one row per instalment (its number and amount in the two new last
-- columns, its day in due_date), a deferral's one row (due_date its day),
-- and the letter that the relief lapsed (due at once).
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
                  'instalments', 'deferred', 'relief_lapsed');

-- fines_offset_surplus of 052: nor against a claim under payment relief;
-- its parts not yet due are not due (§ 387 BGB), and the citizen pays by
-- the plan.  The surplus waits for a clerk instead.
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
            -- not a notice under objection, nor one under payment relief:
            -- not due (§ 387 BGB needs a due claim to set off against)
            WHERE x.open_cents > 0
              AND (x.state IS NULL OR x.state NOT IN ('objection', 'instalments', 'deferred'))
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

-- claimsnap_changes of 052: the due day of a claim under payment relief
-- moves with its payments (the first unpaid part), not only with events;
-- for such a claim it is recomputed as claim_ledger has it, so a snapshot
-- and its delta give the index a full load gives.
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
        WHERE a.id > w_allocs AND a.claim_id IS NOT NULL GROUP BY a.claim_id),
    ch AS (
        SELECT coalesce(ev.claim_id, pd.claim_id) AS claim_id, coalesce(ev.added, 0) AS added,
               coalesce(pd.paid, 0) AS paid, ev.claim_id IS NOT NULL AS moved, ev.due
        FROM ev FULL JOIN pd ON pd.claim_id = ev.claim_id),
    had AS MATERIALIZED (
        -- the changed claims that ever had a relief (few: a hash semi-join),
        -- before any per-claim lookup
        SELECT ch.claim_id FROM ch
        WHERE ch.claim_id IN (SELECT r.claim_id FROM abgleich.claim_relief_parts r)),
    relief AS (
        -- those whose latest event is a relief
        SELECT h.claim_id, le.id AS event_id, le.due_date
        FROM had h
        CROSS JOIN LATERAL (SELECT e.id, e.state, e.due_date FROM abgleich.claim_events e
                            WHERE e.claim_id = h.claim_id ORDER BY e.id DESC LIMIT 1) le
        WHERE le.state IN ('instalments', 'deferred'))
    SELECT ch.claim_id, ch.added::bigint, ch.paid::bigint, ch.moved OR r.claim_id IS NOT NULL,
           coalesce(CASE WHEN r.claim_id IS NOT NULL
                         THEN coalesce(abgleich.relief_next_due(r.event_id,
                                           abgleich.claim_open_cents(ch.claim_id)), r.due_date)
                         ELSE ch.due END,
                    date '9999-12-31') - date '1970-01-01'
    FROM ch LEFT JOIN relief r ON r.claim_id = ch.claim_id
$$;

-- claim_events_settle of 035: the enforcement limitation takes off what
-- is open, which leaves a partly paid claim with paid = owed; that is no
-- payment, so no 'paid' feedback (the surplus part is unchanged: the step
-- makes none).
CREATE OR REPLACE FUNCTION abgleich.claim_events_settle() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    delta bigint := NEW.fine_cents + NEW.fee_cents + NEW.expenses_cents;
    ref text;
    owed bigint;
    paid bigint;
    surplus bigint;
    left_cents bigint;
    tx record;
BEGIN
    IF delta >= 0 THEN
        RETURN NULL;
    END IF;
    SELECT l.reference, l.owed_cents, l.paid_cents INTO ref, owed, paid
    FROM abgleich.claim_ledger l WHERE l.id = NEW.claim_id;
    IF owed > 0 AND paid >= owed AND paid < owed - delta
       AND NEW.state <> 'enforcement_barred' THEN
        INSERT INTO abgleich.outbox (topic, reference, claim_id, payload)
        VALUES ('paid', ref, NEW.claim_id,
                jsonb_build_object('reference', ref, 'owed_cents', owed, 'paid_cents', paid,
                                   'paid_at', now()));
        PERFORM pg_notify('abgleich_paid', ref);
    END IF;
    surplus := greatest(paid - greatest(owed, 0), 0) - greatest(paid - (owed - delta), 0);
    left_cents := surplus;
    FOR tx IN SELECT * FROM abgleich.claim_bank_money(NEW.claim_id) LOOP
        EXIT WHEN left_cents <= 0;
        PERFORM abgleich.fines_surplus_out(NEW, ref, greatest(owed, 0), paid, surplus,
                                           tx.file_id, tx.tx_seq, least(left_cents, tx.held_cents));
        left_cents := left_cents - least(left_cents, tx.held_cents);
    END LOOP;
    RETURN NULL;
END;
$$;

-- account_json of 036: an enforcement-barred claim is closed; a claim under
-- payment relief is due on its first unpaid part and shows its plan
-- ('relief': kind, granted, parts with day, amount, paid cents and
-- whether paid); the history gives the German reason where there is one.
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
                THEN abgleich.relief_next_due(o.event_id, o.open_cents::bigint)
                     + (SELECT f.relief_grace_days FROM abgleich.fines_config f)  + 1
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
                                    OR r.open_cents <= 0 THEN NULL ELSE r.next_step END,
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

-- claim_status of 028: an enforcement-barred claim owes what was paid
-- before the bar and is 'closed', not 'paid'.
CREATE OR REPLACE VIEW abgleich.claim_status AS
SELECT reference,
       owed_cents AS amount_cents,
       paid_cents,
       open_cents,
       CASE WHEN owed_cents <= 0 OR stage = 'enforcement_barred' THEN 'closed'
            WHEN paid_cents = 0 THEN 'open'
            WHEN paid_cents < owed_cents THEN 'partially_paid'
            ELSE 'paid' END AS status
FROM abgleich.claim_ledger;
