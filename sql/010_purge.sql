-- Retention (issue 9): `abgleich purge` removes the personal data of closed
-- claims past the retention date and keeps every amount.  The ledger stays
-- append-only with one controlled exception: inside a purge (the
-- transaction-local setting abgleich.purge = 'on', set only by
-- abgleich.purge_personal_data) an UPDATE may replace the explanation texts
-- and nothing else; amounts, claims, methods and links are compared and
-- must stay as they were.
CREATE OR REPLACE FUNCTION abgleich.ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('abgleich.purge', true) = 'on'
       AND (to_jsonb(OLD) - 'explanation' - 'explanation_en')
           = (to_jsonb(NEW) - 'explanation' - 'explanation_en') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'abgleich.allocations is append-only: % is not allowed; insert a reversing row instead', TG_OP;
END;
$$;

-- What a purge before p_before touches, as counts; with p_execute the
-- personal data goes: of claims that owe nothing (paid, closed, dismissed,
-- time-barred) and whose last event, payment and offense all lie before
-- p_before, the plate, its key, the nationality and the location; of bank
-- transactions booked before p_before that no open clarification holds and
-- whose allocations all went to such claims (or were refunds), the payer's
-- name and IBAN, the remittance text and the entry information; and the
-- explanations of their ledger rows and clarifications, which quote
-- plates.  References, amounts, dates and reasons stay: the accounts still
-- add up, and a payment can still be found by its reference.
CREATE FUNCTION abgleich.purge_personal_data(p_before date, p_execute boolean,
    OUT claims bigint, OUT transactions bigint, OUT ledger_rows bigint,
    OUT clarifications bigint)
LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE purge_claims ON COMMIT DROP AS
    SELECT l.claim_id AS id FROM abgleich.claim_lifecycle l
    JOIN abgleich.claims c ON c.id = l.claim_id
    WHERE (l.state IN ('paid', 'dismissed', 'time_barred') OR l.open_cents <= 0)
      AND coalesce(c.offense_time::date, c.due_date) < p_before
      AND c.due_date < p_before
      AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a WHERE a.claim_id = c.id
                      AND a.created_at::date >= p_before)
      AND NOT EXISTS (SELECT 1 FROM abgleich.claim_events e WHERE e.claim_id = c.id
                      AND e.event_date >= p_before)
      AND (c.plate IS NOT NULL OR c.location IS NOT NULL);
    CREATE TEMP TABLE purge_tx ON COMMIT DROP AS
    SELECT t.file_id, t.seq FROM abgleich.bank_transactions t
    WHERE t.booking_date < p_before
      AND (t.debtor_name IS NOT NULL OR t.debtor_iban IS NOT NULL OR t.remittance IS NOT NULL
           OR t.entry_info IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM abgleich.open_clarifications o
                      WHERE o.file_id = t.file_id AND o.tx_seq = t.seq)
      AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a
                      WHERE a.file_id = t.file_id AND a.tx_seq = t.seq AND a.claim_id IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM abgleich.claims c
                                        WHERE c.id = a.claim_id
                                          AND (c.id IN (SELECT id FROM purge_claims)
                                               OR (c.plate IS NULL AND c.location IS NULL))));
    SELECT count(*) INTO claims FROM purge_claims;
    SELECT count(*) INTO transactions FROM purge_tx;
    SELECT count(*) INTO ledger_rows FROM abgleich.allocations a JOIN purge_tx p
        ON p.file_id = a.file_id AND p.seq = a.tx_seq
        WHERE a.explanation IS DISTINCT FROM '(gelöscht)';
    SELECT count(*) INTO clarifications FROM abgleich.clarifications k JOIN purge_tx p
        ON p.file_id = k.file_id AND p.seq = k.tx_seq
        WHERE k.explanation IS DISTINCT FROM '(gelöscht)';
    IF NOT p_execute THEN
        RETURN;
    END IF;
    UPDATE abgleich.claims c SET plate = NULL, plate_key = NULL, nationality = NULL,
        location = NULL WHERE c.id IN (SELECT id FROM purge_claims);
    UPDATE abgleich.bank_transactions t SET debtor_name = NULL, debtor_iban = NULL,
        remittance = NULL, entry_info = NULL
        FROM purge_tx p WHERE p.file_id = t.file_id AND p.seq = t.seq;
    PERFORM set_config('abgleich.purge', 'on', true);
    UPDATE abgleich.allocations a SET explanation = '(gelöscht)', explanation_en = '(purged)'
        FROM purge_tx p WHERE p.file_id = a.file_id AND p.seq = a.tx_seq
          AND a.explanation IS DISTINCT FROM '(gelöscht)';
    PERFORM set_config('abgleich.purge', 'off', true);
    UPDATE abgleich.clarifications k SET explanation = '(gelöscht)', explanation_en = '(purged)'
        FROM purge_tx p WHERE p.file_id = k.file_id AND p.seq = k.tx_seq
          AND k.explanation IS DISTINCT FROM '(gelöscht)';
END;
$$;
REVOKE ALL ON FUNCTION abgleich.purge_personal_data(date, boolean) FROM PUBLIC;
