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
-- Explanations are stored in both languages clerks may read: German in
-- "explanation", English in "explanation_en" (abgleich --lang en).
ALTER TABLE abgleich.allocations ADD COLUMN explanation_en text;
ALTER TABLE abgleich.clarifications ADD COLUMN explanation_en text;

CREATE INDEX allocations_clarification ON abgleich.allocations (clarification_id);
CREATE INDEX bank_transactions_reversal ON abgleich.bank_transactions (file_id) WHERE reversal;

-- Refunds name no claim: the report shows them with an empty reference.
CREATE OR REPLACE VIEW abgleich.allocation_report AS
SELECT t.end_to_end_id,
       t.acct_svcr_ref AS account_servicer_ref,
       t.booking_date,
       c.reference,
       a.amount_cents,
       a.method
FROM abgleich.allocations a
LEFT JOIN abgleich.claims c ON c.id = a.claim_id
LEFT JOIN abgleich.bank_transactions t ON t.file_id = a.file_id AND t.seq = a.tx_seq;

-- Clarifications a clerk still has to decide: what is left of each after
-- manual allocations and refunds (net of their reversals).
CREATE VIEW abgleich.open_clarifications AS
SELECT k.id, k.file_id, k.tx_seq, k.reason, k.amount_cents,
       (k.amount_cents - coalesce(d.decided, 0))::bigint AS open_cents,
       t.booking_date, t.end_to_end_id, t.debtor_name, t.remittance, k.explanation
FROM abgleich.clarifications k
JOIN abgleich.bank_transactions t ON t.file_id = k.file_id AND t.seq = k.tx_seq
LEFT JOIN (SELECT clarification_id, sum(amount_cents) AS decided FROM abgleich.allocations
           WHERE clarification_id IS NOT NULL GROUP BY clarification_id) d
       ON d.clarification_id = k.id
WHERE k.amount_cents - coalesce(d.decided, 0) > 0;
