-- 014_bulk_keys.sql - foreign keys of the bulk tables checked per statement.
--
-- A foreign key in PostgreSQL is a row trigger: every claim an import
-- inserts and every bank transaction reconcile COPYs runs a query that
-- finds and share-locks the input file (and statement) it names - rows the
-- same transaction has just written, which makes each lock costly (about
-- 4 µs a key; 1 M claims took 3.7 s longer with the key than without).
-- For these two tables the same rules hold, checked once per statement over
-- the statement's new rows (a transition table, anti-joined with the
-- referenced table).
--
-- What a foreign key also did, refuse to delete a row that others name, is
-- done by triggers on the referenced tables: input files, statements, bank
-- transactions, claims and clarifications are records and are never
-- deleted (purge_personal_data blanks fields; it deletes nothing).  The row
-- lock a foreign key took is not needed for the same reason.
--
-- Kept as real foreign keys: the ledger, clarifications, candidates, claim
-- events and the outbox.  Their rows name old rows (claims) cheaply, and
-- they are also written one row per statement (a clerk's decision, the
-- surplus offset), where a statement trigger's anti-joins cost far more
-- than a key lookup: tried, the surplus offset of 7 rows took 4 s.

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.conrelid::regclass AS tab, c.conname
        FROM pg_constraint c
        WHERE c.contype = 'f'
          AND c.conrelid IN ('abgleich.claims'::regclass, 'abgleich.bank_transactions'::regclass)
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

CREATE TRIGGER claims_keys AFTER INSERT ON abgleich.claims
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION abgleich.claims_keys();
CREATE TRIGGER bank_transactions_keys AFTER INSERT ON abgleich.bank_transactions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.bank_transactions_keys();
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
