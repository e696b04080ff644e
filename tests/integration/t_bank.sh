#!/bin/bash
# MT940 and camt.054 through reconcile (format by content): payments matched
# against claims; returns (GVC 109 with ?34 914, camt.054 RtrInf MS03 with
# PMNT/RDDT/UPDD) reverse their original's allocation and reopen the claim;
# charges stay apart from the returned amount; a return without original
# goes to the clarifications; a camt.054 batch books each payment with its
# own amount; transaction keys are unique, and the database refuses a
# stored key again (also without a booking date); the files arrive in a
# ZIP, and importing them again unzipped changes nothing; a zip bomb is
# refused.
set -eu
. tests/integration/lib.sh
B=$FIXTURES/bank/reconcile

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $FIXTURES/matching/tickets.csv 2>/dev/null
# Both statement files as a bank delivers them: in one ZIP (with a text
# member that is skipped), one transaction for the container.
$ABGLEICH reconcile $FIXTURES/bank/zip/statements_de.zip 2>/dev/null

assert_eq "B-001|400000010017|2500|exact_reference
B-002|400000010025|5500|exact_reference
B-006|400000010068|3500|exact_reference
B-006|400000010068|-3500|reversal
C-1|400000010033|2500|exact_reference
C-2|400000010050|2000|exact_reference
C-2|400000010050|-2000|reversal" \
    "$(q 'SELECT end_to_end_id, reference, amount_cents, method FROM abgleich.allocation_report ORDER BY end_to_end_id, amount_cents DESC')" \
    "MT940 and camt.054 payments allocated, each return as a negative row"

assert_eq "B-999|1200|return_without_original" \
    "$(q 'SELECT end_to_end_id, amount_cents, reason FROM abgleich.clarification_report ORDER BY end_to_end_id')" \
    "the return without an original is a clarification; the others are settled"

assert_eq "B-006|D|t|MS03|0
B-999|D|t|AC04|0
C-2|D|t|MS03|300" \
    "$(q "SELECT end_to_end_id, direction, returned, return_reason, charges_cents FROM abgleich.bank_transactions WHERE returned ORDER BY end_to_end_id")" \
    "returns with their ISO reasons (?34 914 -> MS03, 902 -> AC04) and charges apart"

assert_eq "400000010017|paid
400000010025|paid
400000010033|paid
400000010041|open
400000010050|open
400000010068|open" \
    "$(q "SELECT reference, status FROM abgleich.claim_status WHERE reference LIKE '4%' ORDER BY reference")" \
    "returned payments reopen their claims"

q "SELECT explanation FROM abgleich.allocations WHERE method = 'reversal' ORDER BY id" > $TMP/x.txt
grep -q "Rückgabe (Grund MS03) der Zahlung mit End-to-End-Referenz B-006" $TMP/x.txt \
    || fail "reversal explains the return: $(cat $TMP/x.txt)"

assert_eq "8|8" "$(q 'SELECT count(*), count(DISTINCT tx_key) FROM abgleich.bank_transactions')" \
    "one unique transaction key per transaction, NONREF and all"

before=$(q 'SELECT count(*) FROM abgleich.allocations')
$ABGLEICH reconcile $B/returns_de.sta $B/batch_returns_de.xml 2>/dev/null || true
assert_eq "$before|8" "$(q 'SELECT count(*) FROM abgleich.allocations')|$(q 'SELECT count(*) FROM abgleich.bank_transactions')" \
    "importing the same statements again (unzipped) changes nothing"

# A CSV is no bank statement: rejected with a reason, nothing stored.
set +e; $ABGLEICH reconcile $FIXTURES/matching/tickets.csv 2>$TMP/err.txt; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "reconcile of a CSV must fail"
grep -q "a CSV file, not a bank statement" $TMP/err.txt || fail "reason: $(cat $TMP/err.txt)"

# An intraday camt.052 in ISO-8859-1: the pending (PDNG) credit is stored,
# in UTF-8, and never allocated; its claim stays open.
$ABGLEICH reconcile $B/intraday_pending.xml 2>/dev/null
assert_eq "PDNG|Jürgen Müller|Kassenzeichen 400000010041 Grüße" \
    "$(q "SELECT status, debtor_name, remittance FROM abgleich.bank_transactions WHERE end_to_end_id = 'P-1'")" \
    "the pending camt.052 entry, decoded from ISO-8859-1"
assert_eq "0|open" "$(q "SELECT count(*) FROM abgleich.allocation_report WHERE end_to_end_id = 'P-1'")|$(q "SELECT status FROM abgleich.claim_status WHERE reference = '400000010041'")" \
    "a pending entry is never allocated"

# The database refuses a transaction whose key is stored already, also
# where the booking date is missing, as for the pending P-1 (021: the
# unique index leads with the key's hash inputs, NULLS NOT DISTINCT), and
# takes a key no row has.  Each probe copies a stored transaction as a new
# row (another seq); the probe rows go again at the end.
again() { # $1: EndToEndId of the row to copy, $2: jsonb of the fields to change besides seq
    q "INSERT INTO abgleich.bank_transactions SELECT (jsonb_populate_record(t,
           jsonb_build_object('seq', 9000 + t.seq) || $2)).*
       FROM abgleich.bank_transactions t WHERE end_to_end_id = '$1'" 2>&1 || true
}
assert_eq "" "$(q "SELECT booking_date FROM abgleich.bank_transactions WHERE end_to_end_id = 'P-1'")" \
    "P-1 has no booking date"
again B-002 "'{}'::jsonb" | grep -q 'bank_transactions_tx_key' || fail "a stored tx_key was taken again"
again P-1 "'{}'::jsonb" | grep -q 'bank_transactions_tx_key' \
    || fail "a stored tx_key without a booking date was taken again"
assert_eq "" "$(again B-002 "jsonb_build_object('tx_key', 'f00d')")" "a tx_key no row has is taken"
# Records are never deleted; the probe row goes past that trigger.
q "SET session_replication_role = replica;
   DELETE FROM abgleich.bank_transactions WHERE seq >= 9000" >/dev/null
assert_eq "0" "$(q 'SELECT count(*) FROM abgleich.bank_transactions WHERE seq >= 9000')" \
    "the probe row is gone again"

nfiles=$(q 'SELECT count(*) FROM abgleich.input_files')
set +e; $ABGLEICH reconcile $FIXTURES/bank/zip/bomb.zip 2>$TMP/err.txt; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "reconcile of a zip bomb must fail"
grep -q "zip bomb" $TMP/err.txt || fail "bomb reason: $(cat $TMP/err.txt)"
assert_eq "$nfiles" "$(q 'SELECT count(*) FROM abgleich.input_files')" "the refused bomb left no trace"
