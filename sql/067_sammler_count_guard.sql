-- 067_sammler_count_guard.sql - two narrowings of 064 (a review's finds).
--
-- 1. 064's backfill set batch_txs to 0 on every stored batch total with a
--    batch_without_details clarification and no count.  A count of 0 means
--    "an MT940 Sammler that states none"; camt.053 totals stored before 047
--    stated theirs (047 did not fill it for them) and now read "count not
--    stated".  Those go back to NULL: only MT940 rows keep the 0.
-- 2. batch_count_from_link (SECURITY DEFINER) took a count from any
--    entry_links row of the file, and the treasury may insert entry_links
--    rows (047): a forged link could set a total's count at will, past the
--    rule that the treasury does not update bank transactions.  Now only a
--    link made by a bank reference (the one level 064 allows a total
--    without count) counts, and both of its rows must be the entries the
--    link names.
UPDATE abgleich.bank_transactions t SET batch_txs = NULL
FROM abgleich.statements s
WHERE s.id = t.statement_id AND t.batch_txs = 0
  AND abgleich.message_kind(s.format) <> 'MT940';

CREATE OR REPLACE FUNCTION abgleich.batch_count_from_link(p_file bigint) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    n int;
BEGIN
    UPDATE abgleich.bank_transactions t SET batch_txs = coalesce(x.entry_txs, 1)
    FROM abgleich.entry_links l
    JOIN abgleich.bank_transactions x ON (x.file_id, x.seq) = (l.ntf_file, l.ntf_seq)
    WHERE l.file_id = p_file AND l.total AND l.how = 'bank_reference'
      AND (x.statement_id, x.entry_no) = (l.ntf_statement, l.ntf_entry)
      AND (t.file_id, t.seq) = (l.stmt_file, l.stmt_seq)
      AND (t.statement_id, t.entry_no) = (l.stmt_statement, l.stmt_entry)
      AND t.batch_txs = 0;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
