-- 072_reversal_links.sql - a reversal or return takes back its original
-- payment whatever became of the payment's money, and says which payment
-- it took back (found by the session's review, tests/integration/
-- t_returns.sh).
--
-- 027/044 paired a reversal (RvslInd) or return only with a credit that
-- still had an unreversed claim allocation.  A payment whose money waited
-- in a clarification (no_reference, reopened after a clerk reversed its
-- allocation, an overpayment) had none: the return became
-- return_without_original or reversal_without_original, and the money the
-- bank had taken back stayed open in the payment's clarification, to be
-- allocated to a claim, refunded or set off against the car's next ticket.
--
-- So a reversal now takes the first booked, non-provisional credit (not
-- itself a reversal) with its EndToEndId and amount (a return with
-- charges: or the amount without them) that no reversal has taken back
-- yet, in file and position order as before; the reversal SQL of reconcile
-- (jobs/reconcile_rev.c) reverses the claim allocations it still has and
-- settles what is left of each of its clarifications ('returned'; what a
-- clerk refunded, 'returned_after_refund').  Which payments were taken
-- back is no longer told by their allocations (a payment may have none),
-- so each pair is a record: abgleich.reversal_links, one row per reversal
-- and per original, written by the reconcile that paired them.

CREATE TABLE abgleich.reversal_links (
    file_id      bigint NOT NULL,   -- the reversal or return (bank_transactions)
    tx_seq       int NOT NULL,
    orig_file_id bigint NOT NULL,   -- the credit it takes back
    orig_tx_seq  int NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (file_id, tx_seq),
    UNIQUE (orig_file_id, orig_tx_seq),
    FOREIGN KEY (file_id, tx_seq) REFERENCES abgleich.bank_transactions (file_id, seq),
    FOREIGN KEY (orig_file_id, orig_tx_seq) REFERENCES abgleich.bank_transactions (file_id, seq)
);
CREATE TRIGGER reversal_links_kept BEFORE DELETE ON abgleich.reversal_links FOR EACH ROW
    EXECUTE FUNCTION abgleich.records_are_kept();
CREATE TRIGGER reversal_links_kept_all BEFORE TRUNCATE ON abgleich.reversal_links
    FOR EACH STATEMENT EXECUTE FUNCTION abgleich.records_are_kept();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT INSERT ON abgleich.reversal_links TO abgleich_treasury;
    END IF;
END
$$;

-- The pairs made before: each reversed a claim allocation of its original
-- with a 'reversal' row on the reversal's transaction.  The first pair of
-- an original wins (044 could pair one a second time, after a clerk gave
-- its money to a claim again).
INSERT INTO abgleich.reversal_links (file_id, tx_seq, orig_file_id, orig_tx_seq)
SELECT x.file_id, x.tx_seq, a.file_id, a.tx_seq
FROM abgleich.allocations x
JOIN abgleich.allocations a ON a.id = x.reverses
WHERE x.method = 'reversal' AND x.file_id IS NOT NULL AND a.file_id IS NOT NULL
ORDER BY x.id
ON CONFLICT DO NOTHING;

-- 044's function, restated whole with the new rule for the original.
CREATE OR REPLACE FUNCTION abgleich.reversal_pairs(p_file bigint)
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
          AND coalesce(t.status, 'BOOK') = 'BOOK' AND NOT t.provisional
          AND t.direction = 'D'
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
          AND coalesce(t.status, 'BOOK') = 'BOOK' AND NOT t.provisional
          AND NOT (t.file_id || ':' || t.seq) = ANY (taken)
          AND NOT EXISTS (SELECT 1 FROM abgleich.reversal_links l
                          WHERE l.orig_file_id = t.file_id AND l.orig_tx_seq = t.seq)
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
