-- The PostgreSQL-only peer of `abgleich reconcile` (issue 8, peer a): what
-- a user does without abgleich.  The payments arrive already extracted as
-- clean CSV (one reference each, no typos to correct, no plates); they are
-- COPYed into a table, joined with the claims on the reference, and the
-- allocations written as rows.  Deliberately favourable to the peer: no
-- open-amount bookkeeping across payments, no clarifications, no
-- explanations beyond one string.  psql variable :csv names the file.
\set ON_ERROR_STOP 1
BEGIN;
CREATE SCHEMA IF NOT EXISTS peer;
SET client_min_messages = warning;
DROP TABLE IF EXISTS peer.allocations, peer.payments;
CREATE TABLE peer.payments (seq int, end_to_end_id text, reference text, amount_cents bigint);
CREATE TABLE peer.allocations (
    id           bigserial PRIMARY KEY,
    claim_id     bigint NOT NULL REFERENCES abgleich.claims,
    tx_seq       int,
    amount_cents bigint NOT NULL CHECK (amount_cents <> 0),
    method       text NOT NULL,
    explanation  text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
COPY peer.payments FROM :'csv' WITH (FORMAT csv);
INSERT INTO peer.allocations (claim_id, tx_seq, amount_cents, method, explanation)
SELECT c.id, p.seq, least(p.amount_cents, c.amount_cents), 'exact_reference',
       'Kassenzeichen ' || c.reference
FROM peer.payments p JOIN abgleich.claims c ON c.reference = p.reference
WHERE p.amount_cents > 0;
COMMIT;
