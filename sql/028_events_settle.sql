-- 028_events_settle.sql - a step of the lifecycle that lowers what a claim
-- owes settles against what was paid (an audit found both missing).
--
-- A cost notice (20 + 3.50 EUR instead of the warning), a dismissal and a
-- time bar lower a claim's amount (sql/013_deadlines.sql) without looking at
-- what was paid.  A driver who had paid 30 EUR of a 55 EUR warning before
-- the keeper got the 23.50 EUR cost notice had 6.50 EUR nobody saw: no
-- clarification, so no refund and no offset, and the account view showed
-- nothing.  And the claim had become paid without a row in the outbox.
--
-- Now each such event, as it is written:
-- - a claim that still owes something and is paid by it becomes paid like
--   one paid by a payment: an outbox row and NOTIFY abgleich_paid (the
--   payload of sql/016_paid_feedback.sql);
-- - the money that the step makes surplus becomes an 'overpayment'
--   clarification of the claim's latest bank payment, for a refund or the
--   surplus offset, as an overpaid payment does.  (Money a clerk entered
--   by hand, with no bank transaction, has nothing to name; it stays
--   visible as the claim's negative open amount.)
-- Steps that raise what is owed (hearing, fine notice, dunning) are left at
-- the first test.
--
-- claim_status called a dismissed claim with payments 'paid'; a claim that
-- owes nothing is 'closed', paid or not.

-- SECURITY DEFINER: the fines office writes events but may not write
-- clarifications (sql/009_roles.sql); what this trigger writes follows
-- from the event alone.
CREATE FUNCTION abgleich.claim_events_settle() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    delta bigint := NEW.fine_cents + NEW.fee_cents + NEW.expenses_cents;
    ref text;
    owed bigint;
    paid bigint;
    surplus bigint;
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
    IF surplus <= 0 THEN
        RETURN NULL;
    END IF;
    SELECT a.file_id, a.tx_seq INTO tx
    FROM abgleich.allocations a
    WHERE a.claim_id = NEW.claim_id AND a.file_id IS NOT NULL AND a.amount_cents > 0
    ORDER BY a.id DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents, claim_id,
                                         explanation, explanation_en)
    VALUES (tx.file_id, tx.tx_seq, 'overpayment', surplus, NEW.claim_id,
            format('Mit %s vom %s schuldet %s nur noch %s EUR; gezahlt sind %s EUR:'
                   ' %s EUR Überzahlung, zu erstatten oder zu verrechnen.',
                   CASE NEW.state WHEN 'cost_notice' THEN 'dem Kostenbescheid'
                                  WHEN 'dismissed' THEN 'der Einstellung'
                                  WHEN 'time_barred' THEN 'der Verjährung'
                                  ELSE 'dem Schritt ' || NEW.state END,
                   to_char(NEW.event_date, 'DD.MM.YYYY'), ref, abgleich.cents_de(greatest(owed, 0)),
                   abgleich.cents_de(paid), abgleich.cents_de(surplus)),
            format('With the %s of %s, %s owes only %s EUR; %s EUR were paid: %s EUR'
                   ' overpaid, to refund or set off.',
                   CASE NEW.state WHEN 'cost_notice' THEN 'cost notice'
                                  WHEN 'dismissed' THEN 'dismissal'
                                  WHEN 'time_barred' THEN 'time bar'
                                  ELSE 'step ' || NEW.state END,
                   NEW.event_date, ref,
                   abgleich.cents_en(greatest(owed, 0)), abgleich.cents_en(paid),
                   abgleich.cents_en(surplus)));
    RETURN NULL;
END;
$$;

-- Cents (c >= 0) as the explanations write euros: "6,50" and "6.50".
CREATE FUNCTION abgleich.cents_de(c bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (c / 100)::text || ',' || lpad((abs(c) % 100)::text, 2, '0')
$$;
CREATE FUNCTION abgleich.cents_en(c bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (c / 100)::text || '.' || lpad((abs(c) % 100)::text, 2, '0')
$$;

CREATE TRIGGER claim_events_settle AFTER INSERT ON abgleich.claim_events
    FOR EACH ROW EXECUTE FUNCTION abgleich.claim_events_settle();

CREATE OR REPLACE VIEW abgleich.claim_status AS
SELECT reference,
       owed_cents AS amount_cents,
       paid_cents,
       open_cents,
       CASE WHEN owed_cents <= 0 THEN 'closed'
            WHEN paid_cents = 0 THEN 'open'
            WHEN paid_cents < owed_cents THEN 'partially_paid'
            ELSE 'paid' END AS status
FROM abgleich.claim_ledger;
