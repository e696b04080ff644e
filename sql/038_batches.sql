-- 038_batches.sql - a batch booking without details is settled by the
-- camt.054 that resolves it (jobs/batches.c; found by the bank audit).
--
-- A camt.053 entry with Btch/NbOfTxs > 1 and no TxDtls carries only the
-- total of a batch (a Sammler); the bank's camt.054 brings its single
-- payments, which are matched to claims.  The total was a clarification
-- "no_reference" beside them, and a clerk who refunded it paid the money
-- out twice.  It is now a clarification batch_without_details that only
-- the camt.054 (a ledger row 'batch_resolved', no claim) or a clerk's
-- close settles; `clarify` refuses to allocate or refund it.
ALTER TABLE abgleich.allocations DROP CONSTRAINT allocations_claim_or_refund,
    ADD CONSTRAINT allocations_claim_or_refund
        CHECK (claim_id IS NOT NULL OR invoice_id IS NOT NULL
               OR method IN ('refund', 'refund_reversal', 'returned', 'closed',
                             'closed_reversal', 'batch_resolved'));

-- The open batch totals are few; the nightly settlement finds them by this.
CREATE INDEX clarifications_batch ON abgleich.clarifications (id)
    WHERE reason = 'batch_without_details';
