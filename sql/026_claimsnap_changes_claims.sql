-- 026_claimsnap_changes_claims.sql - the snapshot's delta counts ledger rows
-- that name a claim, and only those.
--
-- Since 002 a ledger row may name no claim: a refund of a clarification's
-- money, its reversal, and since 011 an allocation to an e-invoice.
-- claimsnap_changes grouped every new ledger row by claim_id, so such a row
-- came back as a change of claim NULL, which reconcile's loader refused:
-- once a clerk had refunded anything after the last snapshot, reconcile
-- could not start (only --no-snapshot ran).  claim_ledger has always left
-- them out (WHERE claim_id IS NOT NULL); now the delta does the same.

CREATE OR REPLACE FUNCTION abgleich.claimsnap_changes(w_allocs bigint, w_events bigint)
RETURNS TABLE (claim_id bigint, added_cents bigint, paid_cents bigint, due_moved boolean,
               due_day int)
LANGUAGE sql STABLE AS $$
    WITH ev AS (
        SELECT e.claim_id, sum(e.fine_cents + e.fee_cents + e.expenses_cents) AS added,
               (array_agg(e.due_date ORDER BY e.id DESC))[1] AS due
        FROM abgleich.claim_events e WHERE e.id > w_events GROUP BY e.claim_id),
    pd AS (
        SELECT a.claim_id, sum(a.amount_cents) AS paid
        FROM abgleich.allocations a
        WHERE a.id > w_allocs AND a.claim_id IS NOT NULL GROUP BY a.claim_id)
    SELECT coalesce(ev.claim_id, pd.claim_id), coalesce(ev.added, 0)::bigint,
           coalesce(pd.paid, 0)::bigint, ev.claim_id IS NOT NULL,
           coalesce(ev.due, date '1970-01-01') - date '1970-01-01'
    FROM ev FULL JOIN pd ON pd.claim_id = ev.claim_id
$$;
