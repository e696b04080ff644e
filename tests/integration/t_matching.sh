#!/bin/bash
# Matching as a careful clerk would, end to end: a typo corrected, a plate
# with its amount, two claims of one plate (ambiguous, with candidates), an
# RF creditor reference, a partial payment, a reversal that reopens its
# claim, a payment with nothing usable; explain; a clerk's decisions
# (allocate, refund, reverse) in the same ledger.
set -eu
. tests/integration/lib.sh
# The fixtures are dated November 2026: check them as of then (limitation).
export ABGLEICH_TODAY=2026-11-23
M=$FIXTURES/matching

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $M/tickets.csv 2>/dev/null
assert_eq "RF18539007547034" "$(q "SELECT reference FROM abgleich.claims WHERE plate = 'K-Z 1'")" "an RF reference as a claim's reference"
$ABGLEICH reconcile $M/statement.xml 2>/dev/null

assert_eq "M-001|400000010017|2500|fuzzy_reference
M-002|400000010025|5500|plate_amount
M-004|RF18539007547034|3000|exact_reference
M-005|400000010050|1000|exact_reference
M-006|400000010068|3500|exact_reference
M-006|400000010068|-3500|reversal" \
    "$(q 'SELECT end_to_end_id, reference, amount_cents, method FROM abgleich.allocation_report ORDER BY end_to_end_id, amount_cents DESC')" \
    "allocations, the reversal as a negative row with the same EndToEndId"
assert_eq "0" "$(q "SELECT sum(amount_cents) FROM abgleich.allocation_report WHERE end_to_end_id = 'M-006'")" "the rows of a reversed payment add up to nothing"

assert_eq "M-003|2500|ambiguous
M-008|1234|no_reference" \
    "$(q 'SELECT end_to_end_id, amount_cents, reason FROM abgleich.clarification_report ORDER BY end_to_end_id')" \
    "clarifications: ambiguous plate, nothing usable; the reversal is settled"
assert_eq "1|400000010033|50|plate_and_amount
2|400000010041|50|plate_and_amount" \
    "$(q "SELECT d.rank, c.reference, d.score, d.reason FROM abgleich.clarification_candidates d JOIN abgleich.claims c ON c.id = d.claim_id ORDER BY d.rank")" \
    "ranked candidates with score and reason"

assert_eq "400000010017|paid
400000010025|paid
400000010033|open
400000010041|open
400000010050|partially_paid
400000010068|open
RF18539007547034|paid" \
    "$(q 'SELECT reference, status FROM abgleich.claim_status ORDER BY reference')" "claim states"
assert_eq "1000" "$(q "SELECT open_cents FROM abgleich.claim_status WHERE reference = '400000010050'")" "the remainder stays due"

# Every decision explains itself, in German by default and in English.
$ABGLEICH explain M-001 > $TMP/x.txt
grep -q "falsche Prüfziffer" $TMP/x.txt || fail "explain de: $(cat $TMP/x.txt)"
grep -q "fuzzy_reference" $TMP/x.txt || fail "explain names the method"
$ABGLEICH --lang en explain M-003 > $TMP/x.txt
grep -q "Several claims come into question" $TMP/x.txt || fail "explain en: $(cat $TMP/x.txt)"
grep -q "clarification #[0-9]*: ambiguous, 25.00 EUR" $TMP/x.txt || fail "explain names the reason: $(cat $TMP/x.txt)"
grep -q "candidates: 1. 400000010033: plate and amount (plate_and_amount), 50%; 2. 400000010041" $TMP/x.txt || fail "explain lists candidates in words: $(cat $TMP/x.txt)"
$ABGLEICH explain M-003 > $TMP/x.txt
grep -q "Klärfall #[0-9]*: mehrdeutig (ambiguous), 25,00 EUR" $TMP/x.txt || fail "the reason in German words: $(cat $TMP/x.txt)"
grep -q "Vorschläge: 1. 400000010033: Kennzeichen und Betrag (plate_and_amount), 50 %" $TMP/x.txt || fail "candidates in German words: $(cat $TMP/x.txt)"
set +e; $ABGLEICH explain NOPE 2>/dev/null; rc=$?; set -e
assert_eq 1 "$rc" "explain of an unknown id fails"

# A clerk decides: M-003 to claim ...033, M-008 refunded; then one reversed.
k3=$(q "SELECT k.id FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = 'M-003'")
k8=$(q "SELECT k.id FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = 'M-008'")
assert_eq 2 "$($ABGLEICH clarify | wc -l)" "two open clarifications listed"
$ABGLEICH clarify | grep -q "^ *$k3  .*  *25,00 EUR  mehrdeutig  .*M-003" || fail "the list in a clerk's words: $($ABGLEICH clarify)"
$ABGLEICH --lang en clarify | grep -q "^ *$k3  .*  *25.00 EUR  ambiguous  .*M-003" || fail "and in English: $($ABGLEICH --lang en clarify)"
$ABGLEICH --json clarify | grep -q '"reason":"ambiguous"' || fail "the code in JSON: $($ABGLEICH --json clarify)"
$ABGLEICH clarify $k3 --claim "4000 0001 0033" --by "Frau Kluge" 2>/dev/null
assert_eq "paid" "$(q "SELECT status FROM abgleich.claim_status WHERE reference = '400000010033'")" "manual allocation pays the claim"
assert_eq "manual|t|Frau Kluge (Login $(q "SELECT session_user")).|$k3" "$(q "SELECT method, created_by = session_user, regexp_replace(explanation, '^.* (durch|von) ', ''), clarification_id FROM abgleich.allocations WHERE method = 'manual'")" "who decided (the login, and the name given), for which clarification"
set +e; $ABGLEICH clarify $k3 --claim 400000010041 2>/dev/null; rc=$?; set -e
assert_eq 1 "$rc" "a decided clarification cannot be spent twice"
$ABGLEICH clarify $k8 --refund --by "Herr Sommer" 2>/dev/null
assert_eq "refund|1234|" "$(q "SELECT method, amount_cents, coalesce(claim_id::text, '') FROM abgleich.allocations WHERE method = 'refund'")" "refund in the ledger, naming no claim"
assert_eq 0 "$($ABGLEICH clarify | wc -l)" "nothing open any more"

manual=$(q "SELECT id FROM abgleich.allocations WHERE method = 'manual'")
$ABGLEICH clarify --reverse $manual --by "Frau Kluge" 2>/dev/null
assert_eq "open" "$(q "SELECT status FROM abgleich.claim_status WHERE reference = '400000010033'")" "reversal reopens the claim"
assert_eq "manual_reversal|-2500|$manual" "$(q "SELECT method, amount_cents, reverses FROM abgleich.allocations WHERE method = 'manual_reversal'")" "a decision is reversed by a new row"
assert_eq 1 "$($ABGLEICH clarify | wc -l)" "the clarification is open again"
set +e; $ABGLEICH clarify --reverse $manual 2>/dev/null; rc=$?; set -e
assert_eq 1 "$rc" "a reversal cannot be reversed twice"
