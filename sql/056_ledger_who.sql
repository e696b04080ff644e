-- 056_ledger_who.sql - the name on a ledger row or a claim event is the
-- login that wrote it, and the rows that record our own transfers (an
-- e-invoice paid, its transfer back) are written only as the bank says
-- (a review's find after 051).
--
-- Clerks log in as themselves, members of abgleich_treasury or
-- abgleich_fines (009), and the binary runs as that login.  created_by of
-- abgleich.allocations (001) and abgleich.claim_events (004) was only a
-- default: a treasury login could INSERT a row under a colleague's name,
-- for example an invoice_return that 051 then trusts to let the invoice be
-- approved and paid again.  And the default was current_user, which names
-- the group after SET ROLE abgleich_treasury, and the owner inside a
-- SECURITY DEFINER function.  Now:
--   * created_by defaults to session_user, the login, as 032's imported_by
--     and approved_by on invoices; invoice_documents.received_by too;
--   * the groups may INSERT every column of these tables but id,
--     created_at and created_by (received_at, received_by; imported_at,
--     imported_by below): the database fills them, and an INSERT or COPY
--     naming one of them is refused ("permission denied").  Column privileges cost nothing per row:
--     they are checked once per statement, and the night's COPY, which
--     names its columns (jobs/reconcile_spill.c), goes on as before.
--     id is left out as well: an id chosen by hand below the sequence
--     would hide a row from the claim snapshot's watermarks (017), and
--     one above it would break the next night's inserts.  The owner keeps
--     every privilege: SECURITY DEFINER functions that copy a name from
--     an earlier row (035's fines_surplus_out: the claim event's
--     created_by on the surplus it moves) still write it.
--   * an input file (tickets, a statement, a sheet of decisions) records
--     the login that imported it (input_files.imported_by, new, the same
--     way; NULL for files imported before): its claims, statements and
--     bank transactions name their file, so they name the login too.  The
--     treasury writes bank transactions and statements itself, and a rule
--     that rests on them (the checks below) holds against a login that
--     would forge a statement only in that the forged file bears its name;
--   * `clarify --by NAME` no longer writes created_by (jobs/clarify.c): the
--     name goes into the explanation, beside the login when they differ.
-- The outbox (004, 016, 029) tells other departments that a claim became
-- paid, or open again; either group could INSERT a 'paid' row for any
-- reference by SQL, and a department closes its file on it.  Its writers
-- are triggers: the paid feedback on the ledger (now SECURITY DEFINER, its
-- names all qualified, search_path pinned) and 028/035's settling of a
-- claim event (SECURITY DEFINER already); the groups' INSERT is revoked.
-- A later migration that adds a column to one of these tables grants
-- INSERT on it to the group (a table-wide GRANT would give back the
-- columns withheld here).
--
-- Rows only the engine writes.  The binary runs as the clerk's login, so
-- what reconcile may insert, the login may insert by SQL too; privileges
-- cannot tell them apart.  For the two kinds that change what an invoice
-- may become (051 trusts them), a row trigger checks the row against the
-- bank transaction it names, whoever writes it, the owner included:
--   invoice_payment  names a booked debit of the invoice's amount (not a
--                    sighting of an intraday report, not a reversal or a
--                    return), of an invoice in payment, that carries no
--                    EndToEndId of another invoice of ours, and that pays
--                    nothing else;
--   invoice_return   of a paid invoice, reverses its invoice_payment by
--                    its full amount and names a booked credit with the invoice's
--                    EndToEndId that reconcile found to be a transfer of
--                    ours coming back (a returned_transfer clarification),
--                    of at most the payment's amount, that settles no
--                    other return.
-- It is an AFTER trigger with a WHEN clause: for every other row (the
-- night's COPY of payments to claims) the cost is the WHEN test of the
-- method, no function call; a BEFORE row trigger would have made COPY
-- insert row by row.  What a treasury login can still write by SQL: the
-- other kinds (reversal, returned, batch_resolved, ...), attributed to it;
-- docs/database.md.

ALTER TABLE abgleich.allocations ALTER COLUMN created_by SET DEFAULT session_user;
ALTER TABLE abgleich.claim_events ALTER COLUMN created_by SET DEFAULT session_user;
ALTER TABLE abgleich.invoice_documents ALTER COLUMN received_by SET DEFAULT session_user;
ALTER TABLE abgleich.input_files ADD COLUMN imported_by text;
ALTER TABLE abgleich.input_files ALTER COLUMN imported_by SET DEFAULT session_user;

DO $$
DECLARE
    g record;
    cols text;
BEGIN
    IF (SELECT count(*) FROM pg_roles
        WHERE rolname IN ('abgleich_fines', 'abgleich_treasury', 'abgleich_readonly')) < 3 THEN
        RETURN;
    END IF;
    FOR g IN SELECT * FROM (VALUES
            ('abgleich.allocations', 'abgleich_treasury', ARRAY['id', 'created_at', 'created_by']),
            ('abgleich.claim_events', 'abgleich_fines', ARRAY['id', 'created_at', 'created_by']),
            ('abgleich.invoice_documents', 'abgleich_treasury',
             ARRAY['id', 'received_at', 'received_by']),
            ('abgleich.input_files', 'abgleich_fines', ARRAY['id', 'imported_at', 'imported_by']),
            ('abgleich.input_files', 'abgleich_treasury',
             ARRAY['id', 'imported_at', 'imported_by'])) v(tab, grp, kept) LOOP
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
        FROM pg_attribute a
        WHERE a.attrelid = g.tab::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname <> ALL (g.kept);
        EXECUTE format('REVOKE INSERT ON %s FROM %I', g.tab, g.grp);
        EXECUTE format('GRANT INSERT (%s) ON %s TO %I', cols, g.tab, g.grp);
    END LOOP;
END
$$;

ALTER FUNCTION abgleich.fines_paid_feedback() SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
DO $$
BEGIN
    IF (SELECT count(*) FROM pg_roles
        WHERE rolname IN ('abgleich_fines', 'abgleich_treasury', 'abgleich_readonly')) < 3 THEN
        RETURN;
    END IF;
    REVOKE INSERT ON abgleich.outbox FROM abgleich_fines, abgleich_treasury;
END
$$;

CREATE FUNCTION abgleich.allocations_engine_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t abgleich.bank_transactions;
    i abgleich.invoices;
    p abgleich.allocations;
    why text;
BEGIN
    SELECT * INTO t FROM abgleich.bank_transactions x
    WHERE x.file_id = NEW.file_id AND x.seq = NEW.tx_seq;
    SELECT * INTO i FROM abgleich.invoices x WHERE x.id = NEW.invoice_id;
    IF NEW.method = 'invoice_payment' THEN
        why := CASE
            WHEN i.id IS NULL THEN 'it names no invoice'
            WHEN t.seq IS NULL THEN 'it names no bank transaction'
            WHEN i.status <> 'in_payment' THEN 'the invoice is ' || i.status || ', not in payment'
            WHEN NEW.reverses IS NOT NULL THEN 'a payment reverses nothing'
            WHEN t.direction <> 'D' OR t.reversal OR t.returned
                 OR coalesce(t.status, 'BOOK') <> 'BOOK' OR t.provisional
                THEN 'its bank transaction is no booked debit of a statement'
            WHEN NEW.amount_cents <> i.amount_due_cents OR t.amount_cents <> i.amount_due_cents
                THEN 'the amounts of the row, the debit and the invoice differ'
            WHEN t.end_to_end_id IS DISTINCT FROM i.end_to_end_id
                 AND EXISTS (SELECT 1 FROM abgleich.invoices j
                             WHERE j.end_to_end_id = t.end_to_end_id)
                THEN 'the debit carries the EndToEndId of another invoice'
            WHEN (SELECT count(*) FROM abgleich.allocations a
                  WHERE a.file_id = NEW.file_id AND a.tx_seq = NEW.tx_seq
                    AND a.method = 'invoice_payment') > 1
                THEN 'the debit pays another invoice already' END;
    ELSE
        SELECT * INTO p FROM abgleich.allocations x WHERE x.id = NEW.reverses;
        why := CASE
            WHEN i.id IS NULL THEN 'it names no invoice'
            WHEN t.seq IS NULL THEN 'it names no bank transaction'
            WHEN i.status <> 'paid' THEN 'the invoice is ' || i.status || ', not paid'
            WHEN p.id IS NULL OR p.method <> 'invoice_payment' OR p.invoice_id <> i.id
                THEN 'it does not reverse a payment of the invoice'
            WHEN NEW.amount_cents <> -p.amount_cents THEN 'it does not reverse the whole payment'
            WHEN t.direction <> 'C' OR coalesce(t.status, 'BOOK') <> 'BOOK' OR t.provisional
                 OR t.end_to_end_id IS DISTINCT FROM i.end_to_end_id
                 OR NOT EXISTS (SELECT 1 FROM abgleich.clarifications k
                                WHERE k.file_id = t.file_id AND k.tx_seq = t.seq
                                  AND k.reason = 'returned_transfer')
                THEN 'its bank transaction is no booked credit bringing back the invoice''s transfer ('
                     || coalesce(i.end_to_end_id, 'no EndToEndId') || ')'
            WHEN t.amount_cents > p.amount_cents THEN 'the credit is more than the payment'
            WHEN (SELECT count(*) FROM abgleich.allocations a
                  WHERE a.reverses = p.id) > 1 THEN 'the payment is reversed already'
            WHEN (SELECT count(*) FROM abgleich.allocations a
                  WHERE a.file_id = NEW.file_id AND a.tx_seq = NEW.tx_seq
                    AND a.method = 'invoice_return') > 1
                THEN 'the credit brought back another payment already' END;
    END IF;
    IF why IS NOT NULL THEN
        RAISE EXCEPTION 'ledger row % for invoice %: only reconcile writes it, as the bank statement says: %',
            NEW.method, coalesce(i.invoice_number, NEW.invoice_id::text), why
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER allocations_engine_rows AFTER INSERT ON abgleich.allocations
    FOR EACH ROW WHEN (NEW.method IN ('invoice_payment', 'invoice_return'))
    EXECUTE FUNCTION abgleich.allocations_engine_rows();
