#!/bin/bash
# One file: a payment, then a credit marked as a reversal and a debit
# reversal with its EndToEndId, then a new payment of the claim (fixture
# intraday/reversals.xml): only the debit takes the payment back (a ledger
# row), and the new payment pays the claim once.  sql/044 keeps credits out
# of the pairing, as the reversal SQL and the claim index's rule do; this
# scenario, the review's, gave the right rows before 044 too here (the
# claim index's in-file path settles it), and guards them.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-25
I=$FIXTURES/intraday
$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $FIXTURES/matching/tickets.csv 2>/dev/null
$ABGLEICH reconcile $I/reversals.xml 2>$TMP/rv.txt || fail "reversals: $(cat $TMP/rv.txt)"
assert_eq "paid|2500" "$(q "SELECT status || '|' || paid_cents FROM abgleich.claim_status WHERE reference = '400000010041'")" \
    "paid once: E-7 taken back, E-8 pays"
assert_eq "-2500" "$(q "SELECT sum(a.amount_cents) FROM abgleich.allocations a JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE a.method = 'reversal' AND t.direction = 'D' AND t.end_to_end_id = 'E-7'")" \
    "the debit reversal's ledger row"
assert_eq "reversal_without_original" "$(q "SELECT k.reason FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.direction = 'C' AND t.reversal")" \
    "the credit reversal waits for a clerk"
