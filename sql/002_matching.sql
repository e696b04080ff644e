-- 002_matching.sql - what careful matching needs to remember.
--
-- Clarifications carry up to three ranked candidate claims, each with a
-- score and the reason it was proposed. The ledger learns who decided
-- (a clerk's manual allocation or refund names the clarification it
-- settles) and allows refund rows, which pay out money and name no claim.

CREATE TABLE abgleich.clarification_candidates (
    file_id  bigint NOT NULL,
    tx_seq   int NOT NULL,
    rank     smallint NOT NULL CHECK (rank BETWEEN 1 AND 3),
    claim_id bigint NOT NULL REFERENCES abgleich.claims,
    score    smallint NOT NULL CHECK (score BETWEEN 0 AND 100),
    reason   text NOT NULL,
    PRIMARY KEY (file_id, tx_seq, rank)
);

ALTER TABLE abgleich.allocations
    ADD COLUMN clarification_id bigint REFERENCES abgleich.clarifications,
    ALTER COLUMN claim_id DROP NOT NULL,
    ADD CONSTRAINT allocations_claim_or_refund
        CHECK (claim_id IS NOT NULL OR method IN ('refund', 'refund_reversal'));
CREATE INDEX allocations_clarification ON abgleich.allocations (clarification_id);
CREATE INDEX bank_transactions_reversal ON abgleich.bank_transactions (file_id) WHERE reversal;
