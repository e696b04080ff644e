-- 070_relief_grace_granted.sql - a relief's grace is the one in force when
-- it was granted, recorded with its parts (a review's find after 057/065).
--
-- 057 and 065 read fines_config.relief_grace_days each time a lapse was
-- judged: claim_ledger's next_step_date of a plan (so escalate's lapse,
-- and case's refusal past the limitation), relief_lapse_day (so the rest
-- of the enforcement limitation, § 34(4) Nr. 3 OWiG), account_json's next
-- step and escalate's reason for the lapse.  When the office changed the
-- setting, the terms of every relief granted before changed with it: a
-- plan that had lapsed under 7 days of grace was kept again under 14 (and
-- was no longer due at once), a plan kept under 14 lapsed at once under 7,
-- and the last enforceable day of claims whose plan had lapsed long ago
-- moved after the fact.  The grace is part of the terms the clerk granted
-- and the grant's reason states ("a part unpaid 7 days after its day ends
-- the relief"); § 18 sentence 2 OWiG lets only those terms end it.  Now:
--
-- 1. abgleich.claim_relief_parts.grace_days: the grace in force at the
--    grant, on each part of the relief (the relief's own rows, append-only
--    as its terms are; every part of one relief has the same).  A deferral
--    records it too but has no lapse clause: it is dunned
--    dunning_after_days after its day, which its event's next_step_date
--    has held since the grant.
-- 2. abgleich.relief_lapse_day(event, open): the first unpaid part's day +
--    its recorded grace + 1.  enforcement_last_day (065) reads the lapse
--    through it and is not restated.
-- 3. claim_ledger, account_json: the next step of a kept plan is that day
--    (it was the same sum with the grace read from fines_config).
-- 4. fines_relief: records the grace with the parts, the very value the
--    event's reason and next step state (fines_relief_event read it).
-- 5. fines_escalate: the lapse's reason names the recorded grace.
--
-- The letters CSV states neither the grace nor the lapse day (its columns:
-- amounts, due day, a hearing's or notice's deadline, the instalment's
-- number and amount), so nothing there changes.
--
-- Existing reliefs: the grace is taken from the grant's own reason, which
-- fines_relief_event has written with the grace in force that day since
-- 057 ("a part unpaid N days after its day ends the relief", the same
-- words in every version of 057).  That is the value granted, better than
-- any guess; what fines_config holds now is only the fallback for a relief
-- whose reason does not state it (a deferral, which has no grace to lapse
-- by, or an event not written by fines_relief_event).  For an office that
-- never changed the setting the two are the same.  The block between
-- DISABLE and ENABLE TRIGGER sets every part, so it may run again
-- (t_relief runs it on values made wrong on purpose).
--
-- Restated whole (their latest definitions in brackets): relief_lapse_day
-- (065), claim_ledger (057), account_json (057), fines_relief (065),
-- fines_escalate (065).

ALTER TABLE abgleich.claim_relief_parts
    ADD COLUMN grace_days int CHECK (grace_days >= 0);  -- relief_grace_days at the grant

ALTER TABLE abgleich.claim_relief_parts DISABLE TRIGGER claim_relief_parts_no_update;
UPDATE abgleich.claim_relief_parts p
SET grace_days = coalesce(
        (regexp_match(e.reason, 'a part unpaid ([0-9]{1,4}) days after its day ends the relief'))[1]::int,
        f.relief_grace_days)
FROM abgleich.claim_events e, abgleich.fines_config f
WHERE e.id = p.event_id AND f.id = 1;
ALTER TABLE abgleich.claim_relief_parts ENABLE TRIGGER claim_relief_parts_no_update;

ALTER TABLE abgleich.claim_relief_parts ALTER COLUMN grace_days SET NOT NULL;

-- relief_lapse_day of 065: the day a plan of relief event p_event lapses
-- by its terms when p_open is open: the first unpaid part's day + the
-- grace recorded with it + 1 (claim_ledger's next_step_date, the night
-- escalate records the lapse); NULL when every part is paid.
CREATE OR REPLACE FUNCTION abgleich.relief_lapse_day(p_event bigint, p_open bigint) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT p.due_date + p.grace_days + 1 FROM abgleich.claim_relief_parts p
    WHERE p.event_id = p_event AND p.rest_after_cents < p_open
    ORDER BY p.due_date, p.n LIMIT 1
$$;

-- claim_ledger of 057: a kept plan's next step is the day it lapses by its
-- terms, with the grace recorded at the grant (relief_lapse_day), not the
-- one fines_config holds today.
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

-- account_json of 057: a kept plan's next step as claim_ledger has it, with
-- the grace recorded at the grant.
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

-- fines_relief of 065: the parts record the grace of the grant.  For a plan
-- it is the one fines_relief_event put into the event's reason and next
-- step (its first part's day + the grace + 1), taken from the stored event
-- rather than read again, so the three cannot differ; a deferral records
-- the office's setting of the day (it has no lapse clause).
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
    grace int;
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
    grace := CASE p_kind WHEN 'instalments' THEN ev.next_step_date - ev.due_date - 1
                         ELSE (SELECT f.relief_grace_days FROM abgleich.fines_config f WHERE f.id = 1)
             END;
    rest := l.open_cents;
    FOR k IN 1 .. p_parts LOOP
        part := l.open_cents / p_parts + CASE WHEN k = 1 THEN l.open_cents % p_parts ELSE 0 END;
        rest := rest - part;
        INSERT INTO abgleich.claim_relief_parts (event_id, claim_id, n, due_date, amount_cents,
                                                 rest_after_cents, grace_days)
        VALUES (ev.id, l.id, k, abgleich.deadline_end(
                    (p_first + make_interval(months => (k - 1) * p_every))::date), part, rest,
                grace);
    END LOOP;
    RETURN ev;
END;
$$;

-- fines_escalate of 065: the lapse's reason names the grace recorded with
-- the plan (its next step, and so whether it lapses tonight, comes from
-- claim_ledger, which reads the same).
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
