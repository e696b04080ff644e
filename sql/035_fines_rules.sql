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
-- 5. 028's trigger wrote the surplus of a lowering step (cost notice,
--    dismissal, time bar) as an overpayment clarification but left the
--    claim's allocations as they were: the claim still held all the money
--    and the clarification offered the surplus again, for a refund or an
--    offset (30 EUR paid, 36.50 EUR allocated after the offset).  Now the
--    surplus also leaves the claim: a ledger row of -surplus on the same
--    bank transaction, method 'surplus_to_clarification', so that for each
--    transaction the claims' allocations and the clarifications add up to
--    its amount.  The row names no clarification_id: open_clarifications
--    counts the rows naming one as decisions on it.  The surplus is taken
--    from the claim's bank payments newest first, a clarification for each
--    (028 put all of it on the latest, which may have been smaller).  The
--    028 clarifications already written get their row at the end of this
--    file.  A return of the payment reverses the row with the payment
--    (jobs/reconcile.c), so the claim is open again for what it owes.
-- 6. The letters view stated a claim's amounts of today, not those of the
--    letter's event: a hearing letter written again after a later step of the
--    same day showed the fine notice's fees.  Now the charges up to that
--    event and the payments booked until it.
-- 7. The letters' frist_bis/deadline printed next_step_date, the day after
--    the deadline.  fines_letters.deadline (a new last column) is the
--    hearing's answer deadline and a notice's last day of objection.

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

-- The bank money a claim holds, per transaction and newest first: payments
-- and offsets that no ledger row took back, less surplus moved out of them.
CREATE FUNCTION abgleich.claim_bank_money(p_claim bigint)
RETURNS TABLE (file_id bigint, tx_seq int, held_cents bigint)
LANGUAGE sql STABLE AS $$
    SELECT a.file_id, a.tx_seq, sum(a.amount_cents)::bigint
    FROM abgleich.allocations a
    WHERE a.claim_id = p_claim AND a.file_id IS NOT NULL AND a.reverses IS NULL
      AND (a.amount_cents > 0 OR a.method = 'surplus_to_clarification')
      AND NOT EXISTS (SELECT 1 FROM abgleich.allocations x WHERE x.reverses = a.id)
    GROUP BY a.file_id, a.tx_seq
    HAVING sum(a.amount_cents) > 0
    ORDER BY max(a.id) DESC
$$;

-- A lowering step's name in a clerk's sentence: "dem Kostenbescheid",
-- "cost notice".
CREATE FUNCTION abgleich.fines_step_words(p_state text, p_en boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_en THEN CASE p_state WHEN 'cost_notice' THEN 'cost notice'
                                            WHEN 'dismissed' THEN 'dismissal'
                                            WHEN 'time_barred' THEN 'time bar'
                                            ELSE 'step ' || p_state END
                ELSE CASE p_state WHEN 'cost_notice' THEN 'dem Kostenbescheid'
                                  WHEN 'dismissed' THEN 'der Einstellung'
                                  WHEN 'time_barred' THEN 'der Verjährung'
                                  ELSE 'dem Schritt ' || p_state END END
$$;

-- One part of a step's surplus, p_part of the payment (p_file, p_seq): an
-- overpayment clarification (028's text), and the ledger row that takes
-- the part off the claim, in the words of the clerk who reads the payment.
CREATE FUNCTION abgleich.fines_surplus_out(e abgleich.claim_events, p_ref text, p_owed bigint,
                                           p_paid bigint, p_surplus bigint, p_file bigint,
                                           p_seq int, p_part bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    k bigint;
BEGIN
    INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents, claim_id,
                                         explanation, explanation_en)
    VALUES (p_file, p_seq, 'overpayment', p_part, e.claim_id,
            format('Mit %s vom %s schuldet %s nur noch %s EUR; gezahlt sind %s EUR:'
                   ' %s EUR Überzahlung%s, zu erstatten oder zu verrechnen.',
                   abgleich.fines_step_words(e.state, false), to_char(e.event_date, 'DD.MM.YYYY'),
                   p_ref, abgleich.cents_de(p_owed), abgleich.cents_de(p_paid),
                   abgleich.cents_de(p_surplus),
                   CASE WHEN p_part < p_surplus
                        THEN format(', davon %s EUR aus dieser Zahlung', abgleich.cents_de(p_part))
                        ELSE '' END),
            format('With the %s of %s, %s owes only %s EUR; %s EUR were paid: %s EUR'
                   ' overpaid%s, to refund or set off.',
                   abgleich.fines_step_words(e.state, true), e.event_date, p_ref,
                   abgleich.cents_en(p_owed), abgleich.cents_en(p_paid), abgleich.cents_en(p_surplus),
                   CASE WHEN p_part < p_surplus
                        THEN format(', %s EUR of it from this payment', abgleich.cents_en(p_part))
                        ELSE '' END))
    RETURNING id INTO k;
    INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method, confidence,
                                      explanation, explanation_en, created_by)
    VALUES (e.claim_id, p_file, p_seq, -p_part, 'surplus_to_clarification', 100,
            format('Nach %s vom %s sind %s EUR dieser Zahlung zu Kassenzeichen %s zu viel gezahlt:'
                   ' umgebucht in den Klärfall #%s (Überzahlung), zu erstatten oder zu verrechnen.',
                   abgleich.fines_step_words(e.state, false), to_char(e.event_date, 'DD.MM.YYYY'),
                   abgleich.cents_de(p_part), p_ref, k),
            format('After the %s of %s, %s EUR of this payment for reference %s are overpaid:'
                   ' moved to overpayment clarification #%s, to refund or set off.',
                   abgleich.fines_step_words(e.state, true), e.event_date,
                   abgleich.cents_en(p_part), p_ref, k),
            e.created_by);
END;
$$;
REVOKE ALL ON FUNCTION abgleich.fines_surplus_out(abgleich.claim_events, text, bigint, bigint,
                                                  bigint, bigint, int, bigint) FROM PUBLIC;

-- 028's trigger; the outbox part is unchanged, the surplus now leaves the
-- claim with each clarification it becomes.
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
    IF owed > 0 AND paid >= owed AND paid < owed - delta THEN
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

-- Letters with what each letter must state as of its event (rules 6, 7).
-- Same columns as 004, deadline added at the end.
CREATE OR REPLACE VIEW abgleich.fines_letters AS
SELECT e.event_date, e.id AS event_id, c.reference, c.plate, c.tbnr, c.offense_time,
       c.location, e.state, e.state_from,
       (c.amount_cents + s.fine)::bigint AS fine_cents,
       s.fee AS fee_cents,
       s.expenses AS expenses_cents,
       (c.amount_cents + s.fine + s.fee + s.expenses)::bigint AS owed_cents,
       p.paid AS paid_cents,
       (c.amount_cents + s.fine + s.fee + s.expenses - p.paid)::bigint AS open_cents,
       e.due_date, e.next_step_date,
       CASE WHEN e.state = 'hearing' THEN e.due_date
            WHEN e.state IN ('fine_notice', 'cost_notice') THEN e.next_step_date - 1
       END AS deadline
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
WHERE e.state IN ('hearing', 'fine_notice', 'cost_notice', 'dunning', 'dismissed');

-- Rule 5 for the surplus 028 already made an overpayment clarification: the
-- row it should have written, where the claim still holds that money (not
-- where a return took the payment back since: the claim holds none of it).
-- 028's clarifications are those with its text; in the order written.
DO $$
DECLARE
    k record;
BEGIN
    FOR k IN
        SELECT q.id, q.file_id, q.tx_seq, q.amount_cents, q.claim_id, c.reference
        FROM abgleich.clarifications q
        JOIN abgleich.claims c ON c.id = q.claim_id
        WHERE q.reason = 'overpayment'
          AND q.explanation LIKE 'Mit % vom % schuldet % nur noch % EUR; gezahlt sind % EUR:%'
        ORDER BY q.id
    LOOP
        CONTINUE WHEN abgleich.claim_open_cents(k.claim_id) > -k.amount_cents
            OR coalesce((SELECT m.held_cents FROM abgleich.claim_bank_money(k.claim_id) m
                         WHERE m.file_id = k.file_id AND m.tx_seq = k.tx_seq), 0)
               < k.amount_cents;
        INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method,
                                          confidence, explanation, explanation_en)
        VALUES (k.claim_id, k.file_id, k.tx_seq, -k.amount_cents, 'surplus_to_clarification', 100,
                format('%s EUR dieser Zahlung zu Kassenzeichen %s sind zu viel gezahlt:'
                       ' umgebucht in den Klärfall #%s (Überzahlung), zu erstatten oder zu'
                       ' verrechnen (nachgetragen mit 035).',
                       abgleich.cents_de(k.amount_cents), k.reference, k.id),
                format('%s EUR of this payment for reference %s are overpaid: moved to'
                       ' overpayment clarification #%s, to refund or set off (added by 035).',
                       abgleich.cents_en(k.amount_cents), k.reference, k.id));
    END LOOP;
END
$$;
