-- 004_fines.sql - the fines office: the lifecycle of a ticket's claim from
-- the warning to the fine notice or the keeper's cost notice, what is owed
-- in each state, the paid-feedback outbox and the citizen's account view.
--
-- What is owed is the claim's amount (the warning fine as ticketed) plus
-- the dated charges of abgleich.claim_events, one row per transition with
-- the change of each component (fine, fee, expenses; a cost notice removes
-- the fine and adds the § 25a StVG costs, a dismissal removes everything).
-- Events are append-only like the allocation ledger.  Payments are the
-- allocations; they are applied to the components in the order of § 94
-- OWiG: fine, then fees, then expenses.  Deadlines and fees are the one row
-- of abgleich.fines_config (Länder differ; the defaults are federal law,
-- fines-domain.md §1.1).  The matcher reads open amounts through
-- abgleich.claim_ledger (and claim_open, claim_status, redefined here on
-- it), so an escalated amount is what reconciliation expects.

CREATE TABLE abgleich.fines_config (
    id                       int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    limitation_months        int NOT NULL DEFAULT 3,      -- § 26(3) StVG, restarted by the hearing
    duplicate_window_minutes int NOT NULL DEFAULT 5,      -- same plate, TBNR: a likely double upload
    hearing_days             int NOT NULL DEFAULT 14,     -- answer period of the hearing (Anhörung)
    fee_percent              int NOT NULL DEFAULT 5,      -- § 107(1) OWiG
    fee_min_cents            bigint NOT NULL DEFAULT 2500,
    fee_max_cents            bigint NOT NULL DEFAULT 750000,
    expenses_cents           bigint NOT NULL DEFAULT 350, -- § 107(3) Nr. 2 OWiG, one formal service
    cost_fee_cents           bigint NOT NULL DEFAULT 2000, -- § 107(2) OWiG in a § 25a StVG case
    cost_expenses_cents      bigint NOT NULL DEFAULT 350,
    objection_days           int NOT NULL DEFAULT 14,     -- § 67 OWiG: then the notice is final
    payment_days             int NOT NULL DEFAULT 14,     -- § 66(2) Nr. 2 OWiG: due after finality
    dunning_after_days       int NOT NULL DEFAULT 14,     -- § 95(1) OWiG: enforcement not earlier
    dunning_fee_cents        bigint NOT NULL DEFAULT 0,   -- Land law (VwVG); none by default
    dunning_days             int NOT NULL DEFAULT 7,      -- payment period stated in the reminder
    offset_surplus           boolean NOT NULL DEFAULT true -- overpayments settle the plate's other claims
);
INSERT INTO abgleich.fines_config DEFAULT VALUES;

-- The plate as a key (upper case, no separators; engine/plate.c) and the
-- nationality of a foreign plate; filled by `import tickets`.
ALTER TABLE abgleich.claims ADD COLUMN plate_key text, ADD COLUMN nationality text;
CREATE INDEX claims_plate_key ON abgleich.claims (plate_key);

CREATE TABLE abgleich.claim_events (
    id              bigserial PRIMARY KEY,
    claim_id        bigint NOT NULL REFERENCES abgleich.claims,
    event_date      date NOT NULL,
    state_from      text NOT NULL,
    state           text NOT NULL CHECK (state IN ('hearing', 'fine_notice', 'cost_notice',
                        'final_due', 'dunning', 'time_barred', 'dismissed')),
    fine_cents      bigint NOT NULL DEFAULT 0,   -- change of the fine
    fee_cents       bigint NOT NULL DEFAULT 0,   -- change of the fees
    expenses_cents  bigint NOT NULL DEFAULT 0,   -- change of the expenses
    due_date        date,                        -- payment due in the new state
    next_step_date  date,                        -- escalate looks again on this day
    limitation_date date,                        -- prosecution limitation from now on
    reason          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text NOT NULL DEFAULT current_user
);
CREATE INDEX claim_events_claim ON abgleich.claim_events (claim_id, id);
CREATE INDEX claim_events_date ON abgleich.claim_events (event_date);

CREATE FUNCTION abgleich.claim_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'abgleich.claim_events is append-only: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER claim_events_no_update BEFORE UPDATE OR DELETE ON abgleich.claim_events
    FOR EACH ROW EXECUTE FUNCTION abgleich.claim_events_append_only();
CREATE TRIGGER claim_events_no_truncate BEFORE TRUNCATE ON abgleich.claim_events
    FOR EACH STATEMENT EXECUTE FUNCTION abgleich.claim_events_append_only();

-- Every claim with what is owed per component, what is paid and how it is
-- applied (§ 94 OWiG), and its current stage (the last event's state; a
-- claim without events is an open warning).
CREATE VIEW abgleich.claim_ledger AS
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
            THEN (c.offense_time::date + make_interval(months => f.limitation_months))::date
            ELSE l.limitation_date END AS limitation_date
FROM abgleich.claims c
CROSS JOIN abgleich.fines_config f
LEFT JOIN (SELECT claim_id, sum(fine_cents) AS fine, sum(fee_cents) AS fee,
                  sum(expenses_cents) AS expenses
           FROM abgleich.claim_events GROUP BY claim_id) e ON e.claim_id = c.id
LEFT JOIN (SELECT DISTINCT ON (claim_id) claim_id, state, due_date, next_step_date,
                  limitation_date
           FROM abgleich.claim_events ORDER BY claim_id, id DESC) l ON l.claim_id = c.id
LEFT JOIN (SELECT claim_id, sum(amount_cents) AS paid FROM abgleich.allocations
           WHERE claim_id IS NOT NULL GROUP BY claim_id) p ON p.claim_id = c.id;

-- Payments applied in the order of § 94 OWiG: fine, fees, expenses.
CREATE VIEW abgleich.claim_components AS
SELECT l.*,
       least(greatest(l.paid_cents, 0), l.fine_cents) AS fine_paid_cents,
       least(greatest(l.paid_cents - l.fine_cents, 0), l.fee_cents) AS fee_paid_cents,
       least(greatest(l.paid_cents - l.fine_cents - l.fee_cents, 0), l.expenses_cents)
           AS expenses_paid_cents
FROM abgleich.claim_ledger l;

-- The public lifecycle view: the state, what is owed in it, when it is
-- due and when the next step comes.  'paid' wins over the stage once the
-- owed amount is covered; dismissed and time-barred claims owe nothing.
CREATE VIEW abgleich.claim_lifecycle AS
SELECT l.reference,
       CASE WHEN l.stage IN ('dismissed', 'time_barred') THEN l.stage
            WHEN l.owed_cents > 0 AND l.open_cents <= 0 THEN 'paid'
            ELSE l.stage END AS state,
       l.owed_cents AS amount_cents,
       l.due_date,
       CASE WHEN l.stage IN ('dismissed', 'time_barred', 'dunning') OR l.open_cents <= 0
            THEN NULL ELSE l.next_step_date END AS next_step_date,
       l.fine_cents, l.fee_cents, l.expenses_cents, l.paid_cents, l.open_cents,
       l.limitation_date, l.id AS claim_id
FROM abgleich.claim_ledger l;

-- The matcher's views, now on what is owed after escalation (same columns
-- as in 001/003; a claim that owes nothing any more is 'closed').
CREATE OR REPLACE VIEW abgleich.claim_open AS
SELECT id, reference, owed_cents AS amount_cents, open_cents, due_date
FROM abgleich.claim_ledger
WHERE open_cents > 0;

CREATE OR REPLACE VIEW abgleich.claim_status AS
SELECT reference,
       owed_cents AS amount_cents,
       paid_cents,
       open_cents,
       CASE WHEN owed_cents <= 0 AND paid_cents = 0 THEN 'closed'
            WHEN paid_cents = 0 THEN 'open'
            WHEN paid_cents < owed_cents THEN 'partially_paid'
            ELSE 'paid' END AS status
FROM abgleich.claim_ledger;

-- The fee of a fine notice: p% of the fine within [min, max] (§ 107(1) OWiG).
CREATE FUNCTION abgleich.fines_fee(p_fine bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT least(f.fee_max_cents, greatest(f.fee_min_cents, p_fine * f.fee_percent / 100))
    FROM abgleich.fines_config f
$$;

-- One transition of one claim, as of p_as_of: the event row (not yet
-- stored) for entering p_state from the claim's current stage, with the
-- charges and deadlines the law and the configuration give.
CREATE FUNCTION abgleich.fines_transition(p_claim bigint, p_state text, p_as_of date,
                                          p_reason text)
RETURNS abgleich.claim_events
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f abgleich.fines_config;
    l abgleich.claim_ledger;
    e abgleich.claim_events;
BEGIN
    SELECT * INTO f FROM abgleich.fines_config WHERE id = 1;
    SELECT * INTO l FROM abgleich.claim_ledger WHERE id = p_claim;
    e.claim_id := p_claim; e.event_date := p_as_of; e.state_from := l.stage;
    e.state := p_state; e.reason := p_reason;
    e.fine_cents := 0; e.fee_cents := 0; e.expenses_cents := 0;
    e.limitation_date := l.limitation_date;
    CASE p_state
    WHEN 'hearing' THEN
        e.due_date := p_as_of + f.hearing_days;
        e.next_step_date := p_as_of + f.hearing_days + 1;
        e.limitation_date := (p_as_of + make_interval(months => f.limitation_months))::date;
    WHEN 'fine_notice' THEN
        e.fee_cents := abgleich.fines_fee(l.fine_cents);
        e.expenses_cents := f.expenses_cents;
        e.due_date := p_as_of + f.objection_days + f.payment_days;
        e.next_step_date := p_as_of + f.objection_days + 1;
        e.limitation_date := (p_as_of + make_interval(months => 2 * f.limitation_months))::date;
    WHEN 'cost_notice' THEN
        e.fine_cents := -l.fine_cents;
        e.fee_cents := f.cost_fee_cents - l.fee_cents;
        e.expenses_cents := f.cost_expenses_cents - l.expenses_cents;
        e.due_date := p_as_of + f.objection_days + f.payment_days;
        e.next_step_date := p_as_of + f.objection_days + 1;
    WHEN 'final_due' THEN
        e.due_date := l.due_date;
        e.next_step_date := l.due_date + f.dunning_after_days + 1;
        e.limitation_date := NULL;   -- final: enforcement limitation (§ 34 OWiG) only
    WHEN 'dunning' THEN
        e.fee_cents := f.dunning_fee_cents;
        e.due_date := p_as_of + f.dunning_days;
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

CREATE FUNCTION abgleich.fines_store(e abgleich.claim_events) RETURNS abgleich.claim_events
LANGUAGE sql AS $$
    INSERT INTO abgleich.claim_events (claim_id, event_date, state_from, state, fine_cents,
        fee_cents, expenses_cents, due_date, next_step_date, limitation_date, reason)
    VALUES (e.claim_id, e.event_date, e.state_from, e.state, e.fine_cents, e.fee_cents,
        e.expenses_cents, e.due_date, e.next_step_date, e.limitation_date, e.reason)
    RETURNING *
$$;

-- The nightly step: every unpaid claim whose next step is due by p_as_of
-- moves one state on.  p_parking: the TBNRs of stopping and parking
-- offenses (the embedded catalogue's class 5), which alone may take the
-- keeper cost-notice path when the hearing brings no answer.  Returns the
-- events written.
CREATE FUNCTION abgleich.fines_escalate(p_as_of date, p_parking text[])
RETURNS SETOF abgleich.claim_events
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    target text;
    why text;
BEGIN
    FOR r IN
        SELECT l.id, l.stage, l.tbnr, l.limitation_date
        FROM abgleich.claim_ledger l
        WHERE l.open_cents > 0
          AND l.stage IN ('warning_open', 'hearing', 'fine_notice', 'cost_notice', 'final_due')
          AND (l.next_step_date <= p_as_of OR l.limitation_date < p_as_of)
        ORDER BY l.id
    LOOP
        target := NULL;
        IF r.stage IN ('warning_open', 'hearing') AND r.limitation_date < p_as_of THEN
            target := 'time_barred';
            why := 'limitation ended ' || r.limitation_date;
        ELSIF r.stage = 'warning_open' THEN
            target := 'hearing';
            why := 'warning not paid by its due date';
        ELSIF r.stage = 'hearing' AND r.tbnr = ANY (p_parking) THEN
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

-- A clerk's record of what the hearing brought (`abgleich case`).
-- p_answer: driver_known, driver_unknown, dismiss.
CREATE FUNCTION abgleich.fines_case(p_reference text, p_answer text, p_as_of date,
                                    p_parking text[], p_by text)
RETURNS abgleich.claim_events
LANGUAGE plpgsql AS $$
DECLARE
    l abgleich.claim_ledger;
    target text;
    why text;
BEGIN
    SELECT * INTO l FROM abgleich.claim_ledger WHERE reference = p_reference;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no claim with reference %', p_reference USING ERRCODE = 'P0002';
    END IF;
    IF p_answer IN ('driver_known', 'driver_unknown')
       AND l.stage NOT IN ('warning_open', 'hearing') THEN
        RAISE EXCEPTION 'claim % is in state %, not before a notice', p_reference, l.stage
            USING ERRCODE = 'P0003';
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
    IF p_answer = 'driver_known' THEN
        target := 'fine_notice'; why := 'hearing: driver identified (' || p_by || ')';
    ELSIF p_answer = 'driver_unknown' AND l.tbnr = ANY (p_parking) THEN
        target := 'cost_notice'; why := 'hearing: driver unknown, keeper bears the costs (' || p_by || ')';
    ELSIF p_answer = 'driver_unknown' THEN
        target := 'dismissed'; why := 'hearing: driver unknown, not a parking offense (' || p_by || ')';
    ELSE
        target := 'dismissed'; why := 'dismissed by ' || p_by;
    END IF;
    RETURN abgleich.fines_store(abgleich.fines_transition(l.id, target, p_as_of, why));
END;
$$;

-- Letters the print shop sends for the events of one day.
CREATE VIEW abgleich.fines_letters AS
SELECT e.event_date, e.id AS event_id, c.reference, c.plate, c.tbnr, c.offense_time,
       c.location, e.state, e.state_from, l.fine_cents, l.fee_cents, l.expenses_cents,
       l.owed_cents, l.paid_cents, l.open_cents, e.due_date, e.next_step_date
FROM abgleich.claim_events e
JOIN abgleich.claims c ON c.id = e.claim_id
JOIN abgleich.claim_ledger l ON l.id = e.claim_id
WHERE e.state IN ('hearing', 'fine_notice', 'cost_notice', 'dunning', 'dismissed');

-- Feedback to departments: a row per claim that became paid, and
-- NOTIFY abgleich_paid with its reference (docs/fines.md).
CREATE TABLE abgleich.outbox (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL,
    reference   text NOT NULL,
    claim_id    bigint REFERENCES abgleich.claims,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    consumed_at timestamptz
);
CREATE INDEX outbox_unconsumed ON abgleich.outbox (id) WHERE consumed_at IS NULL;

-- Per statement: the claims the new ledger rows touched, what each owes and
-- has been paid now; a claim is newly paid when paid >= owed now but not
-- before these rows.  A night's COPY touches 10^5 claims (hash joins over
-- whole tables are cheapest), a clerk's decision one (index lookups are);
-- the two paths are the same query planned for each case.
CREATE FUNCTION abgleich.fines_paid_feedback() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ref text;
    many boolean;
BEGIN
    SELECT count(*) > 1000 INTO many FROM new_rows;
    IF many THEN
        FOR ref IN
            WITH touched AS (
                SELECT claim_id, sum(amount_cents) AS delta FROM new_rows
                WHERE claim_id IS NOT NULL GROUP BY claim_id
            ), paid AS (
                SELECT a.claim_id, sum(a.amount_cents) AS paid FROM abgleich.allocations a
                WHERE a.claim_id IS NOT NULL GROUP BY a.claim_id
            ), ev AS (
                SELECT e.claim_id, sum(e.fine_cents + e.fee_cents + e.expenses_cents) AS charges
                FROM abgleich.claim_events e GROUP BY e.claim_id
            ), state_now AS (
                SELECT c.id, c.reference, t.delta,
                       c.amount_cents + coalesce(ev.charges, 0) AS owed,
                       coalesce(p.paid, 0) AS paid
                FROM touched t JOIN abgleich.claims c ON c.id = t.claim_id
                LEFT JOIN paid p ON p.claim_id = t.claim_id
                LEFT JOIN ev ON ev.claim_id = t.claim_id
            ), ins AS (
                INSERT INTO abgleich.outbox (topic, reference, claim_id, payload)
                SELECT 'paid', n.reference, n.id,
                       jsonb_build_object('reference', n.reference, 'owed_cents', n.owed,
                                          'paid_cents', n.paid, 'paid_at', now())
                FROM state_now n
                WHERE n.owed > 0 AND n.paid >= n.owed AND n.paid - n.delta < n.owed
                ORDER BY n.id
                RETURNING reference
            ) SELECT reference FROM ins
        LOOP
            PERFORM pg_notify('abgleich_paid', ref);
        END LOOP;
    ELSE
        FOR ref IN
            WITH touched AS (
                SELECT claim_id, sum(amount_cents) AS delta FROM new_rows
                WHERE claim_id IS NOT NULL GROUP BY claim_id
            ), state_now AS (
                SELECT c.id, c.reference, t.delta, c.owed, c.paid
                FROM touched t, LATERAL (
                    SELECT k.id, k.reference,
                           k.amount_cents + coalesce((SELECT sum(e.fine_cents + e.fee_cents
                                                                 + e.expenses_cents)
                                                      FROM abgleich.claim_events e
                                                      WHERE e.claim_id = k.id), 0) AS owed,
                           coalesce((SELECT sum(a.amount_cents) FROM abgleich.allocations a
                                     WHERE a.claim_id = k.id), 0) AS paid
                    FROM abgleich.claims k WHERE k.id = t.claim_id) c
            ), ins AS (
                INSERT INTO abgleich.outbox (topic, reference, claim_id, payload)
                SELECT 'paid', n.reference, n.id,
                       jsonb_build_object('reference', n.reference, 'owed_cents', n.owed,
                                          'paid_cents', n.paid, 'paid_at', now())
                FROM state_now n
                WHERE n.owed > 0 AND n.paid >= n.owed AND n.paid - n.delta < n.owed
                ORDER BY n.id
                RETURNING reference
            ) SELECT reference FROM ins
        LOOP
            PERFORM pg_notify('abgleich_paid', ref);
        END LOOP;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER allocations_paid_feedback AFTER INSERT ON abgleich.allocations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION abgleich.fines_paid_feedback();

-- What one claim still owes, by index lookups only (the views aggregate
-- over all claims, which a per-claim loop cannot afford).
CREATE FUNCTION abgleich.claim_open_cents(p_claim bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT c.amount_cents
           + coalesce((SELECT sum(e.fine_cents + e.fee_cents + e.expenses_cents)
                       FROM abgleich.claim_events e WHERE e.claim_id = c.id), 0)
           - coalesce((SELECT sum(a.amount_cents) FROM abgleich.allocations a
                       WHERE a.claim_id = c.id), 0)
    FROM abgleich.claims c WHERE c.id = p_claim
$$;

-- Overpayments of one statement file (NULL: of all files) settle the other open claims of the
-- same plate (oldest due first) before anything is refunded, when
-- fines_config.offset_surplus is on.  Each offset is an allocation naming
-- the overpayment's clarification, so the clarification's open amount
-- (open_clarifications) shrinks by what was offset.  Returns the rows and
-- cents offset.
CREATE FUNCTION abgleich.fines_offset_surplus(p_file_id bigint,
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
        SELECT q.id, q.file_id, q.tx_seq, q.open_cents, c.plate_key, c.id AS claim_id, c.reference
        FROM abgleich.open_clarifications q
        JOIN abgleich.clarifications x ON x.id = q.id
        JOIN abgleich.claims c ON c.id = x.claim_id
        WHERE (p_file_id IS NULL OR q.file_id = p_file_id) AND q.reason = 'overpayment'
          AND c.plate_key IS NOT NULL
        ORDER BY q.tx_seq, q.id
    LOOP
        left_cents := k.open_cents;
        FOR o IN
            SELECT * FROM (
                SELECT c.id, c.reference, abgleich.claim_open_cents(c.id) AS open_cents,
                       coalesce((SELECT e.due_date FROM abgleich.claim_events e
                                 WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1),
                                c.due_date) AS due
                FROM abgleich.claims c
                WHERE c.plate_key = k.plate_key AND c.id <> k.claim_id) x
            WHERE x.open_cents > 0
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

-- The citizen's account (as OpenR@thaus shows it): every claim of a plate
-- or of one reference, open and settled, with due dates, amounts by
-- component, payments, state and history.  The HTTP server answers
-- GET /accounts with exactly this; `abgleich account` prints it.
CREATE FUNCTION abgleich.account_json(p_plate text, p_reference text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH wanted AS (
    SELECT c.id FROM abgleich.claims c
    WHERE p_plate IS NOT NULL
      AND c.plate_key = upper(translate(regexp_replace(p_plate, '[[:space:]-]', '', 'g'),
                                        'äöü', 'ÄÖÜ'))
    UNION
    SELECT c.id FROM abgleich.claims c WHERE p_reference IS NOT NULL
      AND c.reference = upper(regexp_replace(p_reference, '[[:space:].-]', '', 'g'))
), amounts AS (
    -- per claim by index lookups (the views aggregate over every claim)
    SELECT c.id, c.reference, c.plate, c.tbnr, c.offense_time, c.location,
           c.amount_cents + coalesce(ev.fine, 0) AS fine_cents,
           coalesce(ev.fee, 0) AS fee_cents, coalesce(ev.expenses, 0) AS expenses_cents,
           coalesce(p.paid, 0) AS paid_cents,
           coalesce(le.state, 'warning_open') AS stage,
           CASE WHEN le.state IS NULL THEN c.due_date ELSE le.due_date END AS due_date,
           CASE WHEN le.state IS NULL THEN c.due_date + 1 ELSE le.next_step_date END AS next_step
    FROM wanted w
    JOIN abgleich.claims c ON c.id = w.id
    LEFT JOIN LATERAL (SELECT sum(e.fine_cents) AS fine, sum(e.fee_cents) AS fee,
                              sum(e.expenses_cents) AS expenses
                       FROM abgleich.claim_events e WHERE e.claim_id = c.id) ev ON true
    LEFT JOIN LATERAL (SELECT e.state, e.due_date, e.next_step_date FROM abgleich.claim_events e
                       WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1) le ON true
    LEFT JOIN LATERAL (SELECT sum(a.amount_cents) AS paid FROM abgleich.allocations a
                       WHERE a.claim_id = c.id) p ON true
), owed AS (
    SELECT m.*, m.fine_cents + m.fee_cents + m.expenses_cents AS owed_cents,
           m.fine_cents + m.fee_cents + m.expenses_cents - m.paid_cents AS open_cents
    FROM amounts m
), acct AS (
    -- the rules of claim_lifecycle and claim_components, for these claims
    SELECT o.*,
           CASE WHEN o.stage IN ('dismissed', 'time_barred') THEN o.stage
                WHEN o.owed_cents > 0 AND o.open_cents <= 0 THEN 'paid'
                ELSE o.stage END AS state,
           least(greatest(o.paid_cents, 0), o.fine_cents) AS fine_paid_cents,
           least(greatest(o.paid_cents - o.fine_cents, 0), o.fee_cents) AS fee_paid_cents,
           least(greatest(o.paid_cents - o.fine_cents - o.fee_cents, 0), o.expenses_cents)
               AS expenses_paid_cents
    FROM owed o
)
SELECT jsonb_build_object(
    'plate', p_plate,
    'reference', p_reference,
    'open_cents', coalesce(sum(greatest(r.open_cents, 0)), 0),
    'paid_cents', coalesce(sum(r.paid_cents), 0),
    'claims', coalesce(jsonb_agg(jsonb_build_object(
        'reference', r.reference, 'plate', r.plate, 'tbnr', r.tbnr,
        'offense_time', r.offense_time, 'location', r.location,
        'state', r.state, 'open', r.state NOT IN ('paid', 'dismissed', 'time_barred'),
        'amount_cents', r.owed_cents, 'fine_cents', r.fine_cents, 'fee_cents', r.fee_cents,
        'expenses_cents', r.expenses_cents, 'paid_cents', r.paid_cents,
        'open_cents', r.open_cents, 'fine_paid_cents', r.fine_paid_cents,
        'fee_paid_cents', r.fee_paid_cents, 'expenses_paid_cents', r.expenses_paid_cents,
        'due_date', r.due_date,
        'next_step_date', CASE WHEN r.stage IN ('dismissed', 'time_barred', 'dunning')
                                    OR r.open_cents <= 0 THEN NULL ELSE r.next_step END,
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
                        'due_date', e.due_date, 'reason', e.reason) ORDER BY e.id), '[]'::jsonb)
                    FROM abgleich.claim_events e WHERE e.claim_id = r.id)
    ) ORDER BY r.offense_time, r.reference), '[]'::jsonb))
FROM acct r
$$;
