-- 014_bulk_keys.sql - foreign keys of the bulk tables checked per statement.
--
-- A foreign key in PostgreSQL is a row trigger: every row COPYed into
-- bank_transactions, allocations, clarifications or their candidates runs
-- a query that finds and share-locks the row it names, 5-15 µs each, which
-- made up a third of a nightly run (docs/benchmarks.md).  Here the same
-- rules hold, checked once per statement over the statement's new rows (a
-- transition table, anti-joined with the referenced table), so a COPY of
-- 200 000 rows pays one set-based check instead of 400 000 lookups.
--
-- What a foreign key also did, refuse to delete a row that others name, is
-- done by triggers on the referenced tables: input files, statements, bank
-- transactions, claims and clarifications are records and are never
-- deleted (purge_personal_data blanks fields; it deletes nothing).  The row
-- lock a foreign key took is not needed for the same reason.
--
-- Kept as real foreign keys: claim_events (written per claim by escalate)
-- and outbox (per paid claim): few rows per statement.

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.conrelid::regclass AS tab, c.conname
        FROM pg_constraint c
        WHERE c.contype = 'f'
          AND c.conrelid IN ('abgleich.claims'::regclass, 'abgleich.bank_transactions'::regclass,
                             'abgleich.allocations'::regclass, 'abgleich.clarifications'::regclass,
                             'abgleich.clarification_candidates'::regclass)
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tab, r.conname);
    END LOOP;
END
$$;

CREATE FUNCTION abgleich.key_violation(p_table text, p_what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'insert into abgleich.%: % does not exist', p_table, p_what
        USING ERRCODE = 'foreign_key_violation';
END;
$$;

CREATE FUNCTION abgleich.claims_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.file_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.input_files f WHERE f.id = n.file_id)) THEN
        PERFORM abgleich.key_violation('claims', 'the input file named');
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION abgleich.bank_transactions_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT file_id FROM new_rows) n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.input_files f WHERE f.id = n.file_id)) THEN
        PERFORM abgleich.key_violation('bank_transactions', 'the input file named');
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT statement_id FROM new_rows) n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.statements s WHERE s.id = n.statement_id)) THEN
        PERFORM abgleich.key_violation('bank_transactions', 'the statement named');
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION abgleich.allocations_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.claim_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.claims c WHERE c.id = n.claim_id)) THEN
        PERFORM abgleich.key_violation('allocations', 'the claim named');
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.file_id IS NOT NULL AND n.tx_seq IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.bank_transactions t
                               WHERE t.file_id = n.file_id AND t.seq = n.tx_seq)) THEN
        PERFORM abgleich.key_violation('allocations', 'the bank transaction named');
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.reverses IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a WHERE a.id = n.reverses)) THEN
        PERFORM abgleich.key_violation('allocations', 'the allocation reversed');
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.clarification_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.clarifications k
                               WHERE k.id = n.clarification_id)) THEN
        PERFORM abgleich.key_violation('allocations', 'the clarification named');
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION abgleich.clarifications_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.claim_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.claims c WHERE c.id = n.claim_id)) THEN
        PERFORM abgleich.key_violation(TG_TABLE_NAME, 'the claim named');
    END IF;
    IF TG_TABLE_NAME = 'clarifications' AND EXISTS (
            SELECT 1 FROM new_rows n WHERE NOT EXISTS (
                SELECT 1 FROM abgleich.bank_transactions t
                WHERE t.file_id = n.file_id AND t.seq = n.tx_seq)) THEN
        PERFORM abgleich.key_violation('clarifications', 'the bank transaction named');
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER claims_keys AFTER INSERT ON abgleich.claims
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION abgleich.claims_keys();
CREATE TRIGGER bank_transactions_keys AFTER INSERT ON abgleich.bank_transactions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.bank_transactions_keys();
CREATE TRIGGER allocations_keys AFTER INSERT ON abgleich.allocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.allocations_keys();
CREATE TRIGGER clarifications_keys AFTER INSERT ON abgleich.clarifications
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.clarifications_keys();
CREATE TRIGGER clarification_candidates_keys AFTER INSERT ON abgleich.clarification_candidates
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.clarifications_keys();

-- Records are never deleted (the ledger's own triggers already refuse it).
CREATE FUNCTION abgleich.records_are_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'abgleich.% keeps its rows: % is not allowed (purge_personal_data blanks personal fields)',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['input_files', 'statements', 'bank_transactions', 'claims',
                             'clarifications'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE DELETE ON abgleich.%I FOR EACH ROW'
                       ' EXECUTE FUNCTION abgleich.records_are_kept()', t || '_kept', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON abgleich.%I FOR EACH STATEMENT'
                       ' EXECUTE FUNCTION abgleich.records_are_kept()', t || '_kept_all', t);
    END LOOP;
END
$$;
