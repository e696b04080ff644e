-- 027_money_paths.sql - money paths an audit found wrong (tests/integration/
-- t_money.sh, tests/fixtures/money/).
--
-- 1. The surplus offset matched claims by plate key alone, so a Dutch car's
--    overpayment paid the ticket of a Belgian car whose plate has the same
--    letters.  A car is its plate and its country (nationality; none is
--    German), in the offset as on the oval sticker.
-- 2. Two ledger rows that name no claim: 'returned' settles what is left of
--    a clarification of a credit the bank has taken back (a return or a
--    reversal of it, written by reconcile), and 'closed' is a clerk closing
--    a clarification of money that left the account without an original
--    (`abgleich clarify ID --close`).  Before, the first stayed open and was
--    set off or refunded a second time, and the second could only be
--    "allocated" to a claim or "refunded", both wrong.

CREATE OR REPLACE FUNCTION abgleich.fines_offset_surplus(p_file_id bigint,
                                              OUT offsets bigint, OUT cents bigint)
LANGUAGE plpgsql AS $$
DECLARE
    k record;
    o record;
    left_cents bigint;
    take bigint;
BEGIN
    offsets := 0; cents := 0;
    IF NOT (SELECT offset_surplus FROM abgleich.fines_config WHERE id = 1) THEN
        RETURN;
    END IF;
    FOR k IN
        SELECT q.id, q.file_id, q.tx_seq, q.open_cents, c.plate_key, c.id AS claim_id, c.reference,
               coalesce(nullif(c.nationality, ''), 'D') AS nat
        FROM abgleich.open_clarifications q
        JOIN abgleich.clarifications x ON x.id = q.id
        JOIN abgleich.claims c ON c.id = x.claim_id
        WHERE (p_file_id IS NULL OR q.file_id = p_file_id) AND q.reason = 'overpayment'
          AND c.plate_key IS NOT NULL
        ORDER BY q.tx_seq, q.id
    LOOP
        left_cents := k.open_cents;
        FOR o IN
            SELECT * FROM (
                SELECT c.id, c.reference, abgleich.claim_open_cents(c.id) AS open_cents,
                       coalesce((SELECT e.due_date FROM abgleich.claim_events e
                                 WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1),
                                c.due_date) AS due
                FROM abgleich.claims c
                WHERE c.plate_key = k.plate_key AND c.id <> k.claim_id
                  AND coalesce(nullif(c.nationality, ''), 'D') = k.nat) x
            WHERE x.open_cents > 0
            ORDER BY x.due, x.id
        LOOP
            EXIT WHEN left_cents <= 0;
            take := least(left_cents, o.open_cents);
            INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method,
                confidence, explanation, explanation_en, clarification_id)
            VALUES (o.id, k.file_id, k.tx_seq, take, 'surplus_offset', 100,
                format('Überzahlung zu Kassenzeichen %s mit der offenen Forderung %s desselben Kennzeichens verrechnet',
                       k.reference, o.reference),
                format('overpayment of reference %s set off against open claim %s of the same plate',
                       k.reference, o.reference),
                k.id);
            left_cents := left_cents - take;
            offsets := offsets + 1;
            cents := cents + take;
        END LOOP;
    END LOOP;
END;
$$;

ALTER TABLE abgleich.allocations
    DROP CONSTRAINT allocations_claim_or_refund,
    ADD CONSTRAINT allocations_claim_or_refund
        CHECK (claim_id IS NOT NULL OR invoice_id IS NOT NULL
               OR method IN ('refund', 'refund_reversal', 'returned', 'closed', 'closed_reversal'));

-- 3. Which earlier credit each reversal or return of a file takes back:
--    the rule reconcile applies in memory (jobs/reconcile.c, reverse_earlier
--    and revtrack), so that the ledger and the claim index agree.  Per
--    EndToEndId, the reversals in booking order (no date first, then file
--    order) each take the first credit, in file and position order, with
--    that EndToEndId and amount (a return with charges: or the amount
--    without them) whose claim allocations are not reversed yet, and not
--    taken by an earlier reversal of this file.  Before, every reversal of
--    one EndToEndId took the same first credit, the second then found
--    nothing, and a claim the index had reopened was paid twice.
CREATE FUNCTION abgleich.reversal_pairs(p_file bigint)
RETURNS TABLE (rseq int, ofile bigint, oseq int)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r record;
    o record;
    e2e text;
    taken text[];
BEGIN
    FOR r IN
        SELECT t.seq, t.end_to_end_id, t.amount_cents,
               CASE WHEN t.returned AND t.charges_cents > 0
                    THEN t.amount_cents - t.charges_cents ELSE -1 END AS alt
        FROM abgleich.bank_transactions t
        WHERE t.file_id = p_file AND (t.reversal OR t.returned)
          AND coalesce(t.status, 'BOOK') = 'BOOK'
          AND coalesce(t.end_to_end_id, 'NOTPROVIDED') NOT IN ('NOTPROVIDED', '')
        ORDER BY t.end_to_end_id, t.booking_date NULLS FIRST, t.seq
    LOOP
        IF e2e IS DISTINCT FROM r.end_to_end_id THEN
            e2e := r.end_to_end_id;
            taken := '{}';
        END IF;
        SELECT t.file_id, t.seq INTO o
        FROM abgleich.bank_transactions t
        WHERE t.end_to_end_id = r.end_to_end_id AND t.amount_cents IN (r.amount_cents, r.alt)
          AND t.direction = 'C' AND NOT t.reversal
          AND NOT (t.file_id || ':' || t.seq) = ANY (taken)
          AND EXISTS (SELECT 1 FROM abgleich.allocations a
                      WHERE a.file_id = t.file_id AND a.tx_seq = t.seq AND a.amount_cents > 0
                        AND a.claim_id IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM abgleich.allocations x
                                        WHERE x.reverses = a.id))
        ORDER BY t.file_id, t.seq LIMIT 1;
        IF FOUND THEN
            taken := taken || (o.file_id || ':' || o.seq);
            rseq := r.seq;
            ofile := o.file_id;
            oseq := o.seq;
            RETURN NEXT;
        END IF;
    END LOOP;
END;
$$;
