-- 003_lookups.sql - the open claims as one view, and indexes for lookups.
--
-- abgleich.claim_open lists every claim with money still open, with what
-- the engine needs to match against it (the claim_status view stays
-- exactly its five public columns). The two indexes serve the lookups of
-- explain (a payment by AcctSvcrRef) and of reversals (is this ledger row
-- reversed already?); there are no others, because every index slows the
-- COPY of a night's statement.

CREATE VIEW abgleich.claim_open AS
SELECT c.id,
       c.reference,
       c.amount_cents,
       (c.amount_cents - coalesce(p.paid, 0))::bigint AS open_cents,
       c.due_date
FROM abgleich.claims c
LEFT JOIN (SELECT claim_id, sum(amount_cents) AS paid
           FROM abgleich.allocations WHERE claim_id IS NOT NULL
           GROUP BY claim_id) p ON p.claim_id = c.id
WHERE c.amount_cents - coalesce(p.paid, 0) > 0;

CREATE INDEX allocations_reverses ON abgleich.allocations (reverses)
    WHERE reverses IS NOT NULL;
CREATE INDEX bank_transactions_acct_svcr_ref ON abgleich.bank_transactions (acct_svcr_ref);
