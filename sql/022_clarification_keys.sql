-- 022_clarification_keys.sql - the keys of clarifications and their
-- candidates, checked per statement as 018 checks the ledger's.
--
-- Measured on a night of 1 273 484 transactions against 10^7 claims
-- (docs/benchmarks.md, issue 8, "Fifth day"): reconcile's COPY of 81 955
-- clarifications and 23 350 candidates took 3.2 s.  The same rows COPYed
-- into twins without foreign keys took 0.3 s; with the three row-level keys
-- (a query and a share lock on the claim or bank transaction per key and
-- row) 3.1 s.
--
-- So, as 018 did for abgleich.allocations: a statement of up to 1 000 rows
-- (a clerk's decision in `abgleich clarify`) looks each key up by its
-- index; a bulk statement checks its keys sorted, each by index, with the
-- settings of 020 so that the cost follows the statement, not the history.
-- What a key also did:
-- - refuse to delete a named row: claims and bank transactions are kept
--   (014);
-- - refuse to change a key so that it names nothing: a clarification's
--   and a candidate's keys are fixed once written (the one UPDATE of these
--   tables, purge_personal_data, blanks explanations only), and so are
--   the keys that the ledger, clarifications and candidates name: a
--   claim's id and a bank transaction's (file_id, seq), which nothing
--   refused to change since 018 dropped the ledger's keys.

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.conrelid::regclass AS tab, c.conname
        FROM pg_constraint c
        WHERE c.contype = 'f'
          AND c.conrelid IN ('abgleich.clarifications'::regclass,
                             'abgleich.clarification_candidates'::regclass)
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tab, r.conname);
    END LOOP;
END
$$;

-- One row's keys, each looked up by its index.
CREATE FUNCTION abgleich.clarification_keys_of(p_table text, p_claim bigint, p_file bigint,
                                               p_seq int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_claim IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM abgleich.claims c WHERE c.id = p_claim) THEN
        PERFORM abgleich.key_violation(p_table, 'the claim named');
    END IF;
    IF p_file IS NOT NULL AND p_seq IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM abgleich.bank_transactions t
                       WHERE t.file_id = p_file AND t.seq = p_seq) THEN
        PERFORM abgleich.key_violation(p_table, 'the bank transaction named');
    END IF;
END;
$$;

CREATE FUNCTION abgleich.clarifications_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    IF (SELECT count(*) FROM new_rows) <= 1000 THEN
        FOR k IN SELECT claim_id, file_id, tx_seq FROM new_rows LOOP
            PERFORM abgleich.clarification_keys_of('clarifications', k.claim_id, k.file_id,
                                                   k.tx_seq);
        END LOOP;
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT claim_id FROM new_rows
                              WHERE claim_id IS NOT NULL ORDER BY claim_id) n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.claims c WHERE c.id = n.claim_id)) THEN
        PERFORM abgleich.key_violation('clarifications', 'the claim named');
    END IF;
    -- In the COPY's own order: a night's rows come in transaction order.
    IF EXISTS (SELECT 1 FROM new_rows n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.bank_transactions t
                                 WHERE t.file_id = n.file_id AND t.seq = n.tx_seq)) THEN
        PERFORM abgleich.key_violation('clarifications', 'the bank transaction named');
    END IF;
    RETURN NULL;
END;
$$ SET work_mem = '128MB' SET enable_hashjoin = off SET enable_mergejoin = off
   SET enable_seqscan = off SET enable_bitmapscan = off;

CREATE FUNCTION abgleich.clarification_candidates_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    IF (SELECT count(*) FROM new_rows) <= 1000 THEN
        FOR k IN SELECT claim_id FROM new_rows LOOP
            PERFORM abgleich.clarification_keys_of('clarification_candidates', k.claim_id,
                                                   NULL, NULL);
        END LOOP;
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT claim_id FROM new_rows ORDER BY claim_id) n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.claims c WHERE c.id = n.claim_id)) THEN
        PERFORM abgleich.key_violation('clarification_candidates', 'the claim named');
    END IF;
    RETURN NULL;
END;
$$ SET work_mem = '128MB' SET enable_hashjoin = off SET enable_mergejoin = off
   SET enable_seqscan = off SET enable_bitmapscan = off;

CREATE FUNCTION abgleich.keys_are_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'abgleich.%: keys are fixed once written', TG_TABLE_NAME
        USING ERRCODE = 'foreign_key_violation';
END;
$$;

CREATE TRIGGER clarifications_keys AFTER INSERT ON abgleich.clarifications
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.clarifications_keys();
CREATE TRIGGER clarification_candidates_keys AFTER INSERT ON abgleich.clarification_candidates
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.clarification_candidates_keys();
-- UPDATE OF fires only when a statement sets one of these columns.
CREATE TRIGGER clarifications_keys_fixed BEFORE UPDATE OF claim_id, file_id, tx_seq
    ON abgleich.clarifications FOR EACH ROW EXECUTE FUNCTION abgleich.keys_are_fixed();
CREATE TRIGGER clarification_candidates_keys_fixed BEFORE UPDATE OF claim_id, file_id, tx_seq
    ON abgleich.clarification_candidates FOR EACH ROW EXECUTE FUNCTION abgleich.keys_are_fixed();
CREATE TRIGGER claims_keys_fixed BEFORE UPDATE OF id ON abgleich.claims
    FOR EACH ROW EXECUTE FUNCTION abgleich.keys_are_fixed();
CREATE TRIGGER bank_transactions_keys_fixed BEFORE UPDATE OF file_id, seq
    ON abgleich.bank_transactions FOR EACH ROW EXECUTE FUNCTION abgleich.keys_are_fixed();
