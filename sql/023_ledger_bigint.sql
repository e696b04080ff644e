-- 023_ledger_bigint.sql - claim_ledger adds up in bigint, not numeric.
--
-- sum() of a bigint column is numeric in PostgreSQL, so claim_ledger added
-- each claim's amount to its event and payment sums in numeric and cast
-- the result back: a handful of numeric operations per claim and row read.
-- reconcile's full claim load reads the view for every claim; measured on
-- 10^7 claims with a night's 900 593 ledger rows (docs/benchmarks.md, issue
-- 8, "Fifth day"), its COPY to /dev/null took 13.5-17.3 s, the same rows of
-- the claims table alone 4.6 s, and this definition 10.1 s.
--
-- Now each group's sum is cast to bigint once, where it is formed, and the
-- per-claim arithmetic is bigint.  The columns, their types and values are
-- the same (cents of one claim are far below 2^63, where both forms would
-- fail alike); CREATE OR REPLACE keeps the views and functions built on it.

CREATE OR REPLACE VIEW abgleich.claim_ledger AS
SELECT c.id, c.reference, c.plate, c.plate_key, c.tbnr, c.offense_time, c.location,
       (c.amount_cents + coalesce(e.fine, 0))::bigint AS fine_cents,
       coalesce(e.fee, 0)::bigint AS fee_cents,
       coalesce(e.expenses, 0)::bigint AS expenses_cents,
       (c.amount_cents + coalesce(e.fine, 0) + coalesce(e.fee, 0)
        + coalesce(e.expenses, 0))::bigint AS owed_cents,
       coalesce(p.paid, 0)::bigint AS paid_cents,
       (c.amount_cents + coalesce(e.fine, 0) + coalesce(e.fee, 0) + coalesce(e.expenses, 0)
        - coalesce(p.paid, 0))::bigint AS open_cents,
       coalesce(l.state, 'warning_open') AS stage,
       CASE WHEN l.state IS NULL THEN c.due_date ELSE l.due_date END AS due_date,
       CASE WHEN l.state IS NULL THEN c.due_date + 1 ELSE l.next_step_date END AS next_step_date,
       CASE WHEN l.state IS NULL
            THEN (c.offense_time::date + make_interval(months => f.limitation_months))::date
            ELSE l.limitation_date END AS limitation_date
FROM abgleich.claims c
CROSS JOIN abgleich.fines_config f
LEFT JOIN (SELECT claim_id, sum(fine_cents)::bigint AS fine, sum(fee_cents)::bigint AS fee,
                  sum(expenses_cents)::bigint AS expenses
           FROM abgleich.claim_events GROUP BY claim_id) e ON e.claim_id = c.id
LEFT JOIN (SELECT DISTINCT ON (claim_id) claim_id, state, due_date, next_step_date,
                  limitation_date
           FROM abgleich.claim_events ORDER BY claim_id, id DESC) l ON l.claim_id = c.id
LEFT JOIN (SELECT claim_id, sum(amount_cents)::bigint AS paid FROM abgleich.allocations
           WHERE claim_id IS NOT NULL GROUP BY claim_id) p ON p.claim_id = c.id;
