-- 001_schema.sql - the system of record of abgleich.
--
-- Input files are recorded with their content hash (importing a file twice
-- changes nothing). Claims come from ticket batches; bank statements and
-- their transactions from CAMT files. The allocation ledger is append-only:
-- a correction is a new row that reverses an old one, never an UPDATE or a
-- DELETE (enforced by triggers). Money is bigint cents everywhere.
-- `abgleich init` creates the schema before it runs this file; the line
-- below only lets the file be run by hand as well.

CREATE SCHEMA IF NOT EXISTS abgleich;

CREATE TABLE abgleich.input_files (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('tickets', 'statement')),
    name         text NOT NULL,
    content_hash text NOT NULL,
    size_bytes   bigint,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, content_hash)
);

CREATE TABLE abgleich.claims (
    id           bigserial PRIMARY KEY,
    file_id      bigint REFERENCES abgleich.input_files,
    line         int,
    reference    text NOT NULL UNIQUE,
    plate        text,
    tbnr         text,
    offense_time timestamp,
    location     text,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    due_date     date NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE abgleich.statements (
    id            bigserial PRIMARY KEY,
    file_id       bigint NOT NULL REFERENCES abgleich.input_files,
    format        text,
    account       text NOT NULL,
    stmt_id       text NOT NULL,
    elec_seq      text,
    created       text,
    opening_cents bigint,
    closing_cents bigint,
    entries       int,
    transactions  int,
    credit_cents  bigint,
    debit_cents   bigint,
    UNIQUE (account, stmt_id)
);

CREATE TABLE abgleich.bank_transactions (
    file_id       bigint NOT NULL REFERENCES abgleich.input_files,
    seq           int NOT NULL,
    statement_id  bigint NOT NULL REFERENCES abgleich.statements,
    entry_no      int,
    tx_no         int,
    account       text,
    booking_date  date,
    value_date    date,
    amount_cents  bigint NOT NULL CHECK (amount_cents >= 0),
    direction     char(1) NOT NULL CHECK (direction IN ('C', 'D')),
    reversal      boolean NOT NULL DEFAULT false,
    status        text,
    currency      text,
    acct_svcr_ref text,
    end_to_end_id text,
    debtor_name   text,
    debtor_iban   text,
    remittance    text,
    creditor_ref  text,
    bank_tx_code  text,
    entry_info    text,
    PRIMARY KEY (file_id, seq)
);
CREATE INDEX bank_transactions_e2e ON abgleich.bank_transactions (end_to_end_id);

CREATE TABLE abgleich.allocations (
    id           bigserial PRIMARY KEY,
    claim_id     bigint NOT NULL REFERENCES abgleich.claims,
    file_id      bigint,
    tx_seq       int,
    amount_cents bigint NOT NULL CHECK (amount_cents <> 0),
    method       text NOT NULL,
    confidence   smallint CHECK (confidence BETWEEN 0 AND 100),
    explanation  text,
    reverses     bigint REFERENCES abgleich.allocations,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL DEFAULT current_user,
    FOREIGN KEY (file_id, tx_seq) REFERENCES abgleich.bank_transactions
);
CREATE INDEX allocations_claim ON abgleich.allocations (claim_id);
CREATE INDEX allocations_tx ON abgleich.allocations (file_id, tx_seq);

CREATE FUNCTION abgleich.ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'abgleich.allocations is append-only: % is not allowed; insert a reversing row instead', TG_OP;
END;
$$;
CREATE TRIGGER allocations_no_update BEFORE UPDATE OR DELETE ON abgleich.allocations
    FOR EACH ROW EXECUTE FUNCTION abgleich.ledger_append_only();
CREATE TRIGGER allocations_no_truncate BEFORE TRUNCATE ON abgleich.allocations
    FOR EACH STATEMENT EXECUTE FUNCTION abgleich.ledger_append_only();

CREATE TABLE abgleich.clarifications (
    id           bigserial PRIMARY KEY,
    file_id      bigint NOT NULL,
    tx_seq       int NOT NULL,
    reason       text NOT NULL,
    amount_cents bigint NOT NULL,
    claim_id     bigint REFERENCES abgleich.claims,
    explanation  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (file_id, tx_seq) REFERENCES abgleich.bank_transactions
);
CREATE INDEX clarifications_tx ON abgleich.clarifications (file_id, tx_seq);

-- Public, stable interface: other municipal systems read these three views.

CREATE VIEW abgleich.claim_status AS
SELECT c.reference,
       c.amount_cents,
       coalesce(p.paid, 0)::bigint AS paid_cents,
       (c.amount_cents - coalesce(p.paid, 0))::bigint AS open_cents,
       CASE WHEN coalesce(p.paid, 0) = 0 THEN 'open'
            WHEN p.paid < c.amount_cents THEN 'partially_paid'
            ELSE 'paid' END AS status
FROM abgleich.claims c
LEFT JOIN (SELECT claim_id, sum(amount_cents) AS paid
           FROM abgleich.allocations GROUP BY claim_id) p ON p.claim_id = c.id;

CREATE VIEW abgleich.allocation_report AS
SELECT t.end_to_end_id,
       t.acct_svcr_ref AS account_servicer_ref,
       t.booking_date,
       c.reference,
       a.amount_cents,
       a.method
FROM abgleich.allocations a
JOIN abgleich.claims c ON c.id = a.claim_id
LEFT JOIN abgleich.bank_transactions t ON t.file_id = a.file_id AND t.seq = a.tx_seq;

CREATE VIEW abgleich.clarification_report AS
SELECT t.end_to_end_id,
       t.acct_svcr_ref AS account_servicer_ref,
       t.booking_date,
       k.amount_cents,
       k.reason
FROM abgleich.clarifications k
JOIN abgleich.bank_transactions t ON t.file_id = k.file_id AND t.seq = k.tx_seq;
