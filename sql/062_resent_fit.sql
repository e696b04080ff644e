-- 062_resent_fit.sql - a second sighting of a booking is the same booking
-- in every field the bank repeats, and a sighting that entrylink stored
-- counts as a sighting (a review's two finds after 055).
--
-- 1. 055 took a stored booking for the same one when AcctSvcrRef, amount,
--    direction, reversal mark and day agreed and no EndToEndId said
--    otherwise.  A bank reference is not unique at every bank (a posting
--    run's number), citizens' transfers mostly carry NOTPROVIDED, and
--    fines come in fixed amounts: a second citizen's 25.00 under the same
--    reference in the day's second statement was stored as a sighting of
--    the first and never matched, its claim left open to be dunned.  Now
--    the payer's IBAN and the remittance text must be equal too, as they
--    are when a bank sends a booking again (the statement-level check of
--    055 relies on the same equality: both are in tx_key).
-- 2. 055 looked only at stored rows that were not provisional.  A camt.053
--    entry whose payments a camt.054 had paid before is stored
--    provisional (047); the same camt.053 sent again under a new Id then
--    found nothing, entrylink found its camt.054 linked already, and its
--    payments were matched again.  Now every stored booking counts except
--    the sightings 055 itself marked (seen_file set: they name their
--    first); intraday reports stay out by their message kind.

CREATE OR REPLACE FUNCTION abgleich.resent_bookings(p_account text, p_format text,
                                                    p_statement bigint, p_rows jsonb)
RETURNS TABLE (i int, fits int, entries int, seen_file bigint, seen_seq int, others text)
LANGUAGE sql STABLE AS $$
    WITH x AS (SELECT * FROM jsonb_to_recordset(p_rows)
                 AS x(i int, ref text, day date, cents bigint, dir text, rvsl boolean,
                      e2e text, iban text, rmt text)),
    hit AS (SELECT x.i, t.file_id, t.seq, t.statement_id, t.entry_no,
                   (t.amount_cents = x.cents AND t.direction = x.dir AND t.reversal = x.rvsl
                    AND coalesce(t.debtor_iban, '') = coalesce(x.iban, '')
                    AND coalesce(t.remittance, '') = coalesce(x.rmt, '')
                    AND (coalesce(x.e2e, '') IN ('', 'NOTPROVIDED')
                         OR coalesce(t.end_to_end_id, '') IN ('', 'NOTPROVIDED')
                         OR t.end_to_end_id = x.e2e)) AS fit
            -- By the reference alone (OFFSET 0 keeps the other conditions
            -- out): the index behind tx_key, which leads with account and
            -- day, would read the whole day of a big statement per probe.
            FROM x CROSS JOIN LATERAL (
                SELECT u.file_id, u.seq, u.statement_id, u.entry_no, u.amount_cents,
                       u.direction, u.reversal, u.end_to_end_id, u.account, u.booking_date,
                       u.seen_file, u.status, u.debtor_iban, u.remittance
                FROM abgleich.bank_transactions u WHERE u.acct_svcr_ref = x.ref
                OFFSET 0) t
            JOIN abgleich.statements s ON s.id = t.statement_id
            WHERE t.account = p_account AND t.booking_date = x.day
              AND t.statement_id <> p_statement
              AND t.seen_file IS NULL AND coalesce(t.status, 'BOOK') = 'BOOK'
              AND abgleich.message_kind(s.format) = abgleich.message_kind(p_format))
    SELECT h.i, (count(*) FILTER (WHERE h.fit))::int,
           (count(DISTINCT (h.statement_id, h.entry_no)))::int,
           (array_agg(h.file_id ORDER BY h.file_id, h.seq) FILTER (WHERE h.fit))[1],
           (array_agg(h.seq ORDER BY h.file_id, h.seq) FILTER (WHERE h.fit))[1],
           string_agg(f.name || ' Ntry ' || h.entry_no, ', ' ORDER BY h.file_id, h.seq)
               FILTER (WHERE h.fit)
    FROM hit h JOIN abgleich.input_files f ON f.id = h.file_id
    GROUP BY h.i HAVING count(*) FILTER (WHERE h.fit) > 0 ORDER BY h.i
$$ SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off;
