-- 019_stats.sql - planner statistics right after a bulk write.
--
-- Measured on a night of 1 273 484 transactions against 10^7 claims
-- (docs/benchmarks.md, issue 8): the surplus offset after the night, 20 000
-- overpayments each looking up the other claims of its plate, took 27 s
-- when the claims had just been imported and autovacuum had not analyzed
-- them yet, and 1 s with statistics (the same call with the statistics of
-- abgleich.claims removed by hand: 105 s).  Without statistics the planner
-- takes the default selectivity for "plate_key = $1", tens of thousands of
-- rows, and plans the per-plate lookup for that.  Autovacuum gets there,
-- but a minute or so after the import, mid-night.
--
-- abgleich.refresh_stats() therefore analyzes, right after a bulk write,
-- each ledger table that never was analyzed or has grown by more than a
-- fifth since (pages on disk against pg_class.relpages, which ANALYZE and
-- VACUUM set; the cumulative statistics counters would be simpler but
-- reach the shared counters only a while after the commit), and each that
-- the statistics say is empty while it has pages: after a run killed
-- mid-file, autovacuum finds only dead rows and, when it cannot take the
-- lock to truncate, leaves reltuples = 0 with relpages > 0, and the planner
-- then estimates no rows however many there are (a night's ledger COPY
-- planned so took minutes instead of seconds; t_kill found it).  reconcile
-- also calls it inside its transaction once the bank transactions are
-- written: ANALYZE counts the transaction's own new rows.  ANALYZE reads
-- a sample of 30 000 rows: under a second for 10^7 claims.  It runs as the
-- owner (SECURITY DEFINER): the fines and treasury roles may not ANALYZE
-- tables they do not own, and would only get a warning.  Returns the tables
-- analyzed.
CREATE FUNCTION abgleich.refresh_stats() RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    done text[] := '{}';
BEGIN
    FOR r IN
        SELECT c.oid::regclass AS tab, c.relname
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'abgleich'
          AND c.relname IN ('claims', 'claim_events', 'allocations', 'bank_transactions',
                            'clarifications', 'clarification_candidates')
          AND (c.reltuples < 0
               OR (c.reltuples = 0 AND c.relpages > 0)
               OR pg_relation_size(c.oid) / current_setting('block_size')::bigint
                  > 1.2 * c.relpages + 128)
        ORDER BY c.relname
    LOOP
        EXECUTE format('ANALYZE %s', r.tab);
        done := done || r.relname::text;
    END LOOP;
    RETURN done;
END;
$$;
