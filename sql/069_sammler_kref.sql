-- 069_sammler_kref.sql - an MT940 Sammler is tied to its camt.054 by the
-- customer's reference of the batch: KREF+ in its :86: and Btch/PmtInfId
-- in the camt.054 (formats/mt940_86.c, jobs/entrylink.c, sql/047, sql/064).
--
-- KREF+ of a collective booking is the originator's reference of the
-- submitted file (DK Anlage 3: KREF+ "Kundenreferenz", EREF+ only on a
-- transaction); giropay's reconciliation guide for Sammelbuchungen names
-- it the batch's paymentInformationId, and warns that some banks state a
-- Message-ID beside it, alike but of another value.  A camt.054 batch
-- entry states the PmtInfId in NtryDtls/Btch/PmtInfId (formats/camt.c).
-- Before, KREF+ was not read (058 called it ambiguous, MsgId or PmtInfId),
-- so a Sammler without a count and without a bank reference both state
-- waited for a clerk, and two Sammler of one day and amount could not be
-- told apart.
--
-- The MT940 row keeps it apart (bank_transactions.batch_kref, never in
-- batch_pmt_inf_id), because what a KREF+ that differs means is not what
-- a PmtInfId that differs means:
--   KREF+ = the camt.054's PmtInfId      tied, as strongly as two PmtInfIds
--                                        (payment_information), also a
--                                        total whose count is not stated
--                                        (sql/064 allowed it only the bank
--                                        reference): an exact identifier of
--                                        the batch, with account, day,
--                                        direction, currency and amount
--                                        agreeing
--   KREF+ = the camt.054's MsgId only    neither tied nor kept apart by it:
--                                        a bank that puts the MsgId there
--   KREF+ neither, the camt.054 states   two batches (as two PmtInfIds that
--   a PmtInfId                           differ): never tied by the facts
--                                        alone
-- A bank reference both state stays the strongest tie, and two that differ
-- still say two bookings, whatever KREF+ says.

ALTER TABLE abgleich.bank_transactions
    ADD COLUMN batch_kref text; -- an MT940 Sammler's KREF+ (originator's batch reference)

ALTER TYPE abgleich.entry_fact ADD ATTRIBUTE kref text;

-- 068's entry_facts, with the KREF+.
CREATE OR REPLACE FUNCTION abgleich.entry_facts(p_rows abgleich.bank_transactions[], p_kind text)
RETURNS SETOF abgleich.entry_fact
LANGUAGE sql IMMUTABLE AS $$
    SELECT t.statement_id, t.entry_no, t.file_id, t.seq, p_kind, abgleich.tie_account(t.account),
           t.booking_date,
           CASE WHEN t.entry_cents IS NULL THEN t.direction::text
                WHEN t.entry_cents < 0 THEN 'D' ELSE 'C' END,
           t.currency, coalesce(abs(t.entry_cents), t.amount_cents),
           coalesce(t.batch_txs, t.entry_txs, 1), t.batch_txs IS NOT NULL,
           abgleich.usable_id(coalesce(t.entry_ref, t.acct_svcr_ref)),
           abgleich.usable_id(t.acct_svcr_ref), abgleich.usable_id(t.end_to_end_id),
           t.amount_cents, abgleich.usable_id(t.batch_pmt_inf_id),
           abgleich.usable_id(t.batch_msg_id), abgleich.usable_id(t.batch_kref)
    FROM unnest(p_rows) t
$$;

-- Whether one entry's KREF+ names the other's batch (true), says it is
-- another batch (false), or neither (NULL); see the table above.
CREATE FUNCTION abgleich.entry_kref_fit(a abgleich.entry_fact, b abgleich.entry_fact)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN a.kref = b.pmt OR b.kref = a.pmt THEN true
        WHEN (a.kref <> b.pmt AND a.kref IS DISTINCT FROM b.msg)
          OR (b.kref <> a.pmt AND b.kref IS DISTINCT FROM a.msg) THEN false
    END
$$;

-- 064's entry_pair_level with the KREF+ (entry_kref_fit): level 2 where it
-- is the other's PmtInfId, also for a total whose count is not stated;
-- none where it says another batch.
CREATE OR REPLACE FUNCTION abgleich.entry_pair_level(a abgleich.entry_fact, b abgleich.entry_fact)
RETURNS int
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN a.account IS DISTINCT FROM b.account OR a.day IS DISTINCT FROM b.day
          OR a.dir IS DISTINCT FROM b.dir OR a.ccy IS DISTINCT FROM b.ccy
          OR a.cents <> b.cents OR (a.total AND b.total) THEN NULL
        -- A total whose count no one states (an MT940 Sammler without
        -- "Anzahl"): a bank reference both state, or its KREF+, or nothing.
        WHEN (a.total AND a.txs = 0) OR (b.total AND b.txs = 0) THEN
            CASE WHEN a.eref IN (b.eref, b.tref) OR a.tref IN (b.eref, b.tref) THEN 1
                 WHEN a.eref IS NOT NULL AND b.eref IS NOT NULL THEN NULL
                 WHEN abgleich.entry_kref_fit(a, b) THEN 2 END
        WHEN a.txs <> b.txs THEN NULL
        WHEN a.eref IN (b.eref, b.tref) OR a.tref IN (b.eref, b.tref) THEN 1
        WHEN a.eref IS NOT NULL AND b.eref IS NOT NULL THEN NULL
        WHEN a.txs = 1 AND (a.e2e <> b.e2e OR a.tref <> b.tref) THEN NULL
        WHEN abgleich.entry_kref_fit(a, b) THEN 2
        WHEN NOT abgleich.entry_kref_fit(a, b) THEN NULL
        WHEN a.pmt IS NOT NULL AND b.pmt IS NOT NULL THEN
            CASE WHEN a.pmt = b.pmt AND (a.msg IS NULL OR b.msg IS NULL OR a.msg = b.msg)
                 THEN 2 END
        WHEN a.msg IS NOT NULL AND b.msg IS NOT NULL THEN CASE WHEN a.msg = b.msg THEN 3 END
        WHEN a.e2e = b.e2e AND a.amount = b.amount THEN 4
        ELSE 5
    END
$$;

-- 067's batch_count_from_link: a total of count 0 may now be tied by its
-- KREF+ too (payment_information), and takes its camt.054 entry's count
-- then as well; nothing else changes (both rows must be the link's).
CREATE OR REPLACE FUNCTION abgleich.batch_count_from_link(p_file bigint) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    n int;
BEGIN
    UPDATE abgleich.bank_transactions t SET batch_txs = coalesce(x.entry_txs, 1)
    FROM abgleich.entry_links l
    JOIN abgleich.bank_transactions x ON (x.file_id, x.seq) = (l.ntf_file, l.ntf_seq)
    WHERE l.file_id = p_file AND l.total AND l.how IN ('bank_reference', 'payment_information')
      AND (x.statement_id, x.entry_no) = (l.ntf_statement, l.ntf_entry)
      AND (t.file_id, t.seq) = (l.stmt_file, l.stmt_seq)
      AND (t.statement_id, t.entry_no) = (l.stmt_statement, l.stmt_entry)
      AND t.batch_txs = 0;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
