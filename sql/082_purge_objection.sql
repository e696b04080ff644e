-- 082_purge_objection.sql - the purge keeps the personal data of cases
-- whose outcome is open.
--
-- purge_personal_data (latest: 036) took every claim that owed nothing any
-- more, among them a notice paid in full while the objection against it lay
-- with the authority (stage 'objection'), at the local court ('court') or
-- after a first-instance judgment ('judgment').  Such a case may still end
-- in a withdrawal of the notice or an acquittal, and then what was paid
-- goes back to the payer (052, 080: an overpayment clarification): the
-- plate and the bank row's payer (name, IBAN, remittance) are needed for
-- that refund.  A claim whose ledger stage is one of the three is no longer
-- purged, nor therefore the bank rows that paid it (purge_tx keeps every
-- row with an allocation to a claim not purged).
--
-- Restated whole from 036.

-- purge_personal_data of 036: not a claim under objection, at court or
-- after a judgment.
CREATE OR REPLACE FUNCTION abgleich.purge_personal_data(p_before date, p_execute boolean,
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
      AND (c.plate IS NOT NULL OR c.location IS NOT NULL)
      -- not a case whose outcome is open (its ledger stage: the last
      -- event's state): paid or not, an objection, the court or an appeal
      -- may still end it with a refund to the payer
      AND coalesce((SELECT e.state FROM abgleich.claim_events e WHERE e.claim_id = c.id
                    ORDER BY e.id DESC LIMIT 1), 'warning_open')
          NOT IN ('objection', 'court', 'judgment');
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
    UPDATE abgleich.claims c SET plate = NULL, plate_key = NULL, nationality = NULL, car_key = NULL,
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
