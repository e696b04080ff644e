-- 018_ledger_keys.sql - the ledger's keys and the paid feedback, per statement.
--
-- Measured on a night of 221 281 transactions against 1 M claims
-- (docs/benchmarks.md, issue 8): the COPY of 179 952 allocation rows took
-- 9.1 s, of which about 4.5 s were the five row-level foreign-key triggers
-- of abgleich.allocations (a query and a row lock per key and row) and about
-- 5 s the paid feedback (4.1 s of it the query, 1.25 s of that the outbox's
-- own row-level foreign key to the claims, and sorts spilled to disk).
--
-- Keys: checked once per statement over its new rows, as 014 does for the
-- claims and bank transactions.  014 kept the ledger's real keys because a
-- statement trigger's anti-join, planned without statistics on the new
-- rows, cost seconds for the one-row statements of a clerk's decision; the
-- check here therefore looks each key up by index for a statement of up to
-- 1 000 rows and anti-joins only a bulk statement.  What a key also did,
-- refuse to delete a row that others name: claims, bank transactions and
-- clarifications are kept already (014), the ledger is append-only (001),
-- and invoices are kept from here on.
--
-- The outbox loses its key to the claims without a replacement: its only
-- writer is the feedback trigger, which takes the claim from a join with
-- abgleich.claims.
--
-- Feedback: the sums are bigint (not numeric), limited to the touched
-- claims, and the function runs with enough work_mem that a night's
-- aggregates stay in memory.

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.conrelid::regclass AS tab, c.conname
        FROM pg_constraint c
        WHERE c.contype = 'f'
          AND c.conrelid IN ('abgleich.allocations'::regclass, 'abgleich.outbox'::regclass)
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tab, r.conname);
    END LOOP;
END
$$;

CREATE TRIGGER invoices_kept BEFORE DELETE ON abgleich.invoices FOR EACH ROW
    EXECUTE FUNCTION abgleich.records_are_kept();
CREATE TRIGGER invoices_kept_all BEFORE TRUNCATE ON abgleich.invoices FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.records_are_kept();

-- One allocation row's keys, each looked up by its index.
CREATE FUNCTION abgleich.allocation_keys_of(a abgleich.allocations) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF a.claim_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM abgleich.claims c WHERE c.id = a.claim_id) THEN
        PERFORM abgleich.key_violation('allocations', 'the claim named');
    END IF;
    IF a.file_id IS NOT NULL AND a.tx_seq IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM abgleich.bank_transactions t
                       WHERE t.file_id = a.file_id AND t.seq = a.tx_seq) THEN
        PERFORM abgleich.key_violation('allocations', 'the bank transaction named');
    END IF;
    IF a.clarification_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM abgleich.clarifications k WHERE k.id = a.clarification_id) THEN
        PERFORM abgleich.key_violation('allocations', 'the clarification named');
    END IF;
    IF a.invoice_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM abgleich.invoices i WHERE i.id = a.invoice_id) THEN
        PERFORM abgleich.key_violation('allocations', 'the invoice named');
    END IF;
    IF a.reverses IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM abgleich.allocations o WHERE o.id = a.reverses) THEN
        PERFORM abgleich.key_violation('allocations', 'the allocation reversed');
    END IF;
END;
$$;

CREATE FUNCTION abgleich.allocations_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    a abgleich.allocations;
BEGIN
    IF (SELECT count(*) FROM new_rows) <= 1000 THEN
        FOR a IN SELECT * FROM new_rows LOOP
            PERFORM abgleich.allocation_keys_of(a);
        END LOOP;
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT claim_id FROM new_rows WHERE claim_id IS NOT NULL) n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.claims c WHERE c.id = n.claim_id)) THEN
        PERFORM abgleich.key_violation('allocations', 'the claim named');
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.file_id IS NOT NULL AND n.tx_seq IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.bank_transactions t
                               WHERE t.file_id = n.file_id AND t.seq = n.tx_seq)) THEN
        PERFORM abgleich.key_violation('allocations', 'the bank transaction named');
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.clarification_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.clarifications k
                               WHERE k.id = n.clarification_id)) THEN
        PERFORM abgleich.key_violation('allocations', 'the clarification named');
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.invoice_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.invoices i WHERE i.id = n.invoice_id)) THEN
        PERFORM abgleich.key_violation('allocations', 'the invoice named');
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.reverses IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM abgleich.allocations o WHERE o.id = n.reverses)) THEN
        PERFORM abgleich.key_violation('allocations', 'the allocation reversed');
    END IF;
    RETURN NULL;
END;
$$ SET work_mem = '128MB';

CREATE TRIGGER allocations_keys AFTER INSERT ON abgleich.allocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION abgleich.allocations_keys();

-- The set-based branch of 016 with bigint sums over the touched claims only.
CREATE OR REPLACE FUNCTION abgleich.fines_paid_feedback() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    tc record;
    ref text;
    owed bigint;
    paid bigint;
BEGIN
    IF (SELECT count(*) FROM new_rows) > 1000 THEN
        FOR ref IN
            WITH touched AS MATERIALIZED (
                SELECT claim_id, sum(amount_cents)::bigint AS delta FROM new_rows
                WHERE claim_id IS NOT NULL GROUP BY claim_id
            ), paid AS (
                SELECT a.claim_id, sum(a.amount_cents)::bigint AS paid
                FROM abgleich.allocations a JOIN touched t ON t.claim_id = a.claim_id
                GROUP BY a.claim_id
            ), ev AS (
                SELECT e.claim_id,
                       sum(e.fine_cents + e.fee_cents + e.expenses_cents)::bigint AS charges
                FROM abgleich.claim_events e JOIN touched t ON t.claim_id = e.claim_id
                GROUP BY e.claim_id
            ), state_now AS (
                SELECT c.id, c.reference, t.delta,
                       c.amount_cents + coalesce(ev.charges, 0) AS owed,
                       coalesce(p.paid, 0) AS paid
                FROM touched t JOIN abgleich.claims c ON c.id = t.claim_id
                LEFT JOIN paid p ON p.claim_id = t.claim_id
                LEFT JOIN ev ON ev.claim_id = t.claim_id
            ), ins AS (
                INSERT INTO abgleich.outbox (topic, reference, claim_id, payload)
                SELECT 'paid', n.reference, n.id,
                       jsonb_build_object('reference', n.reference, 'owed_cents', n.owed,
                                          'paid_cents', n.paid, 'paid_at', now())
                FROM state_now n
                WHERE n.owed > 0 AND n.paid >= n.owed AND n.paid - n.delta < n.owed
                ORDER BY n.id
                RETURNING reference
            ) SELECT reference FROM ins
        LOOP
            PERFORM pg_notify('abgleich_paid', ref);
        END LOOP;
        RETURN NULL;
    END IF;
    FOR tc IN SELECT claim_id, sum(amount_cents) AS delta FROM new_rows
             WHERE claim_id IS NOT NULL GROUP BY claim_id ORDER BY claim_id
    LOOP
        SELECT c.reference,
               c.amount_cents + coalesce((SELECT sum(e.fine_cents + e.fee_cents + e.expenses_cents)
                                          FROM abgleich.claim_events e
                                          WHERE e.claim_id = tc.claim_id), 0),
               coalesce((SELECT sum(a.amount_cents) FROM abgleich.allocations a
                         WHERE a.claim_id = tc.claim_id), 0)
        INTO ref, owed, paid
        FROM abgleich.claims c WHERE c.id = tc.claim_id;
        IF owed > 0 AND paid >= owed AND paid - tc.delta < owed THEN
            INSERT INTO abgleich.outbox (topic, reference, claim_id, payload)
            VALUES ('paid', ref, tc.claim_id,
                    jsonb_build_object('reference', ref, 'owed_cents', owed,
                                       'paid_cents', paid, 'paid_at', now()));
            PERFORM pg_notify('abgleich_paid', ref);
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$ SET work_mem = '128MB';
