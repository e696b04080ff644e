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

-- The rows of claim_ledger that reconcile loads (id, reference, owed, open,
-- due day, plate), for the claims above w_claims and those named by
-- allocations above w_allocs or events above w_events, in id order.  Per
-- claim sums through the (claim_id) indexes: the cost follows the number
-- of touched claims, not the size of the ledger (claim_ledger's GROUP BY
-- over all of allocations and claim_events cannot be narrowed by the
-- planner).  Nested loops over the touched ids are forced, and JIT is off:
-- with a few thousand touched claims the planner would rather hash-join a
-- sequential scan of all claims, and compile it.  tests/integration/t_snapshot.sh checks that with zero
-- watermarks it returns exactly what claim_ledger does.
CREATE FUNCTION abgleich.claimsnap_delta(w_claims bigint, w_allocs bigint, w_events bigint)
RETURNS TABLE (id bigint, reference text, owed_cents bigint, open_cents bigint, due_day int,
               plate text)
LANGUAGE sql STABLE
SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
    WITH touched AS (
        SELECT c.id FROM abgleich.claims c WHERE c.id > w_claims
        UNION
        SELECT a.claim_id FROM abgleich.allocations a WHERE a.id > w_allocs
        UNION
        SELECT e.claim_id FROM abgleich.claim_events e WHERE e.id > w_events)
    SELECT c.id, c.reference,
           (c.amount_cents + ev.added)::bigint,
           (c.amount_cents + ev.added - pd.paid)::bigint,
           coalesce(CASE WHEN la.state IS NULL THEN c.due_date ELSE la.due_date END,
                    date '1970-01-01') - date '1970-01-01',
           c.plate
    FROM touched t
    JOIN abgleich.claims c ON c.id = t.id
    CROSS JOIN LATERAL (SELECT coalesce(sum(e.fine_cents + e.fee_cents + e.expenses_cents), 0)
                        AS added FROM abgleich.claim_events e WHERE e.claim_id = c.id) ev
    CROSS JOIN LATERAL (SELECT coalesce(sum(a.amount_cents), 0) AS paid
                        FROM abgleich.allocations a WHERE a.claim_id = c.id) pd
    LEFT JOIN LATERAL (SELECT e.state, e.due_date FROM abgleich.claim_events e
                       WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1) la ON true
    ORDER BY c.id
$$;
