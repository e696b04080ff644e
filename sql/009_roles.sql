-- Least privilege (issue 9): three group roles, created once per cluster.
--   abgleich_fines     the fines office: ticket batches, escalation, cases
--   abgleich_treasury  the treasury: statements, reconciliation, clarifications
--   abgleich_readonly  reports and the account view
-- A person logs in as a role of their own that is a member of one of these
-- (CREATE ROLE kluge LOGIN IN ROLE abgleich_treasury); docs/database.md.
-- Every group reads everything (clerks need the whole picture); each may
-- write only what its own commands write.  The ledger stays append-only for
-- all of them (its triggers refuse UPDATE and DELETE).  Roles are
-- cluster-wide: creating them tolerates a concurrent init in another
-- database, and an owner without CREATEROLE gets a notice instead (a DBA
-- then creates the three roles and runs init again).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['abgleich_fines', 'abgleich_treasury', 'abgleich_readonly'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN NULL;
                WHEN insufficient_privilege THEN
                    RAISE NOTICE 'cannot create role %: ask a DBA to create it, then run init again', r;
            END;
        END IF;
    END LOOP;
END
$$;

DO $$
BEGIN
    IF (SELECT count(*) FROM pg_roles
        WHERE rolname IN ('abgleich_fines', 'abgleich_treasury', 'abgleich_readonly')) < 3 THEN
        RETURN;
    END IF;
    GRANT USAGE ON SCHEMA abgleich TO abgleich_fines, abgleich_treasury, abgleich_readonly;
    GRANT SELECT ON ALL TABLES IN SCHEMA abgleich
        TO abgleich_fines, abgleich_treasury, abgleich_readonly;
    -- Tables of later migrations are readable by all three as well; what a
    -- group may write is granted by the migration that adds the table.
    ALTER DEFAULT PRIVILEGES IN SCHEMA abgleich
        GRANT SELECT ON TABLES TO abgleich_fines, abgleich_treasury, abgleich_readonly;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA abgleich TO abgleich_fines, abgleich_treasury;
    ALTER DEFAULT PRIVILEGES IN SCHEMA abgleich
        GRANT USAGE ON SEQUENCES TO abgleich_fines, abgleich_treasury;

    GRANT INSERT ON abgleich.input_files, abgleich.claims, abgleich.claim_events,
        abgleich.outbox TO abgleich_fines;

    GRANT INSERT ON abgleich.input_files, abgleich.statements, abgleich.bank_transactions,
        abgleich.allocations, abgleich.clarifications, abgleich.clarification_candidates,
        abgleich.outbox TO abgleich_treasury;
    GRANT UPDATE ON abgleich.statements TO abgleich_treasury;
END
$$;
