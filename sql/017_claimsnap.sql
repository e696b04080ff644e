-- Claim-index snapshots (issue 8; engine/claimsnap.c, jobs/reconcile.c).
-- reconcile keeps its claim index in a file and on the next run reads only
-- what changed since: claims with an id above the snapshot's watermark, and
-- claims named by allocations or claim_events above theirs.  That is exact
-- only if every row at or below a watermark was committed when the
-- snapshot was read, and every later row gets a higher id.  Sequences hand
-- out ids in call order but transactions commit in any order, so:
--
-- 1. Every statement that inserts into claims, allocations or claim_events
--    first takes the advisory lock CLAIMSNAP_LOCK = 27411269198700912
--    ('abgsnap' as a big-endian integer) in SHARED mode, until its
--    transaction ends.  The snapshot writer takes it EXCLUSIVE with
--    pg_try_advisory_lock (never waiting; it skips the write when a writer
--    is busy), opens its REPEATABLE READ transaction, reads the watermarks
--    (which fixes its snapshot) and lets go at once: at that instant no
--    writer was in flight, and every later one draws its ids afterwards.
--    Readers take no lock.
-- 2. What moves a claim without a new row (an UPDATE of claims: purge
--    blanks plates; a DELETE of an event or ledger row, which their own
--    triggers refuse anyway) bumps claimsnap_state.epoch; a snapshot of
--    another epoch is stale and reconcile loads everything again.
CREATE TABLE abgleich.claimsnap_state (
    id    int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    epoch bigint NOT NULL DEFAULT 0
);
INSERT INTO abgleich.claimsnap_state DEFAULT VALUES;

CREATE FUNCTION abgleich.claimsnap_writer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(27411269198700912);
    RETURN NULL;
END;
$$;

-- Runs as the owner: the fines and treasury roles may not write the state.
-- Only statements that changed rows count (a purge with nothing to do does
-- not throw the snapshot away).
CREATE FUNCTION abgleich.claimsnap_bump() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        UPDATE abgleich.claimsnap_state SET epoch = epoch + 1;
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION abgleich.claimsnap_bump() FROM PUBLIC;

-- The same for the ledger, when a claim or an amount changed.
CREATE FUNCTION abgleich.claimsnap_bump_amounts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT id, claim_id, amount_cents FROM new_rows
               EXCEPT ALL SELECT id, claim_id, amount_cents FROM old_rows) THEN
        UPDATE abgleich.claimsnap_state SET epoch = epoch + 1;
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION abgleich.claimsnap_bump_amounts() FROM PUBLIC;

CREATE TRIGGER claims_snap_writer BEFORE INSERT ON abgleich.claims
    FOR EACH STATEMENT EXECUTE FUNCTION abgleich.claimsnap_writer();
CREATE TRIGGER allocations_snap_writer BEFORE INSERT ON abgleich.allocations
    FOR EACH STATEMENT EXECUTE FUNCTION abgleich.claimsnap_writer();
CREATE TRIGGER claim_events_snap_writer BEFORE INSERT ON abgleich.claim_events
    FOR EACH STATEMENT EXECUTE FUNCTION abgleich.claimsnap_writer();

CREATE TRIGGER claims_snap_epoch AFTER UPDATE ON abgleich.claims
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.claimsnap_bump();
-- The purge's UPDATE of explanations (010_purge.sql) moves no amount.
CREATE TRIGGER allocations_snap_epoch AFTER UPDATE ON abgleich.allocations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.claimsnap_bump_amounts();
CREATE TRIGGER allocations_snap_epoch_del AFTER DELETE ON abgleich.allocations
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.claimsnap_bump();
CREATE TRIGGER claim_events_snap_epoch AFTER UPDATE ON abgleich.claim_events
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.claimsnap_bump();
CREATE TRIGGER claim_events_snap_epoch_del AFTER DELETE ON abgleich.claim_events
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.claimsnap_bump();

-- What the ledgers added since a snapshot with watermarks w_allocs and
-- w_events, per claim: the sum of the new events' amounts (added_cents:
-- owed and open move by it), the sum of the new allocations (paid_cents:
-- open moves back by it), and whether a new event came (due_moved; it is
-- then the claim's latest one, and due_day is its due day).  reconcile
-- adds these to the snapshot's values, and for claims above the claims
-- watermark (all of whose rows are new: they name the claim, so they came
-- after it) to the claim's own amount and due date; tests/integration/
-- t_snapshot.sh checks that with zero watermarks that gives claim_ledger.
-- The cost follows the new rows (range scans of the primary keys), not the
-- size of the ledger, which claim_ledger aggregates whole: a filter on its
-- ids does not narrow that.  A plain SQL function with no SET clause, so
-- that the planner inlines it and plans with the watermarks' values (for a
-- parameter, "id > $1" counts as a third of the table: a full scan).
CREATE FUNCTION abgleich.claimsnap_changes(w_allocs bigint, w_events bigint)
RETURNS TABLE (claim_id bigint, added_cents bigint, paid_cents bigint, due_moved boolean,
               due_day int)
LANGUAGE sql STABLE AS $$
    WITH ev AS (
        SELECT e.claim_id, sum(e.fine_cents + e.fee_cents + e.expenses_cents) AS added,
               (array_agg(e.due_date ORDER BY e.id DESC))[1] AS due
        FROM abgleich.claim_events e WHERE e.id > w_events GROUP BY e.claim_id),
    pd AS (
        SELECT a.claim_id, sum(a.amount_cents) AS paid
        FROM abgleich.allocations a WHERE a.id > w_allocs GROUP BY a.claim_id)
    SELECT coalesce(ev.claim_id, pd.claim_id), coalesce(ev.added, 0)::bigint,
           coalesce(pd.paid, 0)::bigint, ev.claim_id IS NOT NULL,
           coalesce(ev.due, date '1970-01-01') - date '1970-01-01'
    FROM ev FULL JOIN pd ON pd.claim_id = ev.claim_id
$$;
