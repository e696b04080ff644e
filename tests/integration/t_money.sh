#!/bin/bash
# Money paths an audit found wrong (tests/fixtures/money/make.py):
# - a return of a payment whose surplus was set off against another claim
#   settles its overpayment clarification, so the surplus is not spent again;
# - a return of a payment whose surplus a clerk already refunded is stored
#   (it was refused, the whole file every night), the refund stays, and the
#   refunded part is a clarification of the return: money to recover;
# - a surplus is set off only against claims of a car of the same country;
# - two reversals with one EndToEndId reverse two originals, not one twice;
# - a debit without an original can be closed by a clerk, never allocated
#   to a claim or refunded;
# - a cost notice or a dismissal that lowers a claim below what was paid
#   makes the claim paid (outbox) and the surplus a clarification;
# - departments hear "unpaid" when a paid claim is open again, and a clerk
#   who takes an offset back is not overruled by the next run.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-20
M=$FIXTURES/money
R1=400000080019 R2=400000080027 R3=400000080035 N1=400000080043 N2=400000080051
R5=400000080060 R6=400000080078 C1=400000080086 D1=400000080094
open_of() { q "SELECT open_cents FROM abgleich.claim_ledger WHERE reference = '$1'"; }
clar_of() { q "SELECT k.id FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = '$1' AND t.direction = '$2' ORDER BY k.id LIMIT 1"; }
open_clar() { q "SELECT coalesce(sum(q.open_cents), 0) FROM abgleich.open_clarifications q WHERE q.end_to_end_id = '$1'"; }

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $M/tickets.csv 2>/dev/null
$ABGLEICH reconcile $M/day1.xml >/dev/null 2>&1

# Day 1: 60 EUR for R1 (25): 25 to R1, 25 of the surplus to R2 of the same
# plate, 10 left; 40 for R3: 15 over; 50 for the Dutch N1: its 25 over stay,
# the Belgian N2 with the same letters is another car.
assert_eq "0|0" "$(open_of $R1)|$(open_of $R2)" "day 1: R1 paid, R2 paid by R1's surplus"
assert_eq 1000 "$(open_clar E-OVER)" "day 1: 10 EUR of R1's surplus open"
assert_eq "0|2500" "$(open_of $N1)|$(open_of $N2)" "no offset between a Dutch and a Belgian car"
assert_eq 2500 "$(open_clar E-NAT)" "the Dutch surplus stays for a refund"
$ABGLEICH clarify "$(clar_of E-REFD C)" --refund --by "Frau Kluge" >/dev/null 2>&1
assert_eq 0 "$(open_clar E-REFD)" "R3's surplus refunded"

# Day 2: both returns, two reversals of E-SAME, R6 paid anew, a reversal of
# nothing we know.
$ABGLEICH reconcile $M/day2.xml >$TMP/day2.txt 2>&1 || fail "day 2 refused: $(cat $TMP/day2.txt)"
assert_eq "2500|2500" "$(open_of $R1)|$(open_of $R2)" "the return takes back R1's payment and the offset to R2"
assert_eq 0 "$(open_clar E-OVER)" "the returned surplus is no longer open"
assert_eq 1 "$(q "SELECT count(*) FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id WHERE c.reference = '$R2' AND a.method = 'surplus_offset'")" \
    "the returned surplus is not set off again"
assert_eq 2500 "$(open_of $R3)" "R3's payment returned"
assert_eq "refund|1500" "$(q "SELECT method, sum(amount_cents) FROM abgleich.allocations WHERE method LIKE 'refund%' GROUP BY method")" \
    "the refund, paid out, is not reversed"
assert_eq "returned_after_refund|1500" "$(q "SELECT reason, amount_cents FROM abgleich.clarifications WHERE id = '$(clar_of E-REFD D)'")" \
    "the refunded 15 EUR are a clarification of the return: to recover from the payer"
assert_eq "2500|0" "$(open_of $R5)|$(open_of $R6)" "two reversals, two originals: R5 open again, R6 paid anew"
assert_eq 2500 "$(q "SELECT sum(a.amount_cents) FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id WHERE c.reference = '$R6'")" \
    "R6 paid once"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = 'E-SAME' AND k.reason LIKE 'reversal%'")" \
    "no reversal without original"

# A debit without an original: never a payment of a claim, never a refund;
# a clerk closes it.
k=$(clar_of E-NONE D)
assert_eq "reversal_without_original" "$(q "SELECT reason FROM abgleich.clarifications WHERE id = $k")" "the unknown reversal"
expect_exit 3 $ABGLEICH clarify $k --claim $R5
grep -q "money that left the account" $TMP/stderr || fail "why not: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH clarify $k --refund
$ABGLEICH clarify $k --close --by "Herr Sommer" >/dev/null 2>&1 || fail "close"
assert_eq 0 "$(open_clar E-NONE)" "closed"
assert_eq "closed|1200|t|Herr Sommer (Login $(q "SELECT session_user"))." "$(q "SELECT method, amount_cents, created_by = session_user, regexp_replace(explanation, '^.* (durch|von) ', '') FROM abgleich.allocations WHERE clarification_id = $k")" "the close is a ledger row with the login and the clerk's name"
assert_eq 2500 "$(open_of $R5)" "no claim touched"
expect_exit 3 $ABGLEICH clarify "$(clar_of E-NAT C)" --close

# C1 and D1 (55 EUR each, parking) paid 30 EUR each on day 1.  The hearing;
# then C1's keeper gets the cost notice (23.50 EUR): paid, 6.50 over; D1 is
# dismissed: 30 over.  Both surpluses are clarifications of the payments.
assert_eq "2500|2500" "$(open_of $C1)|$(open_of $D1)" "C1 and D1 paid in part"
$ABGLEICH escalate --as-of 2026-11-13 --letters /dev/null >/dev/null 2>&1
$ABGLEICH case $C1 --driver-unknown --as-of 2026-11-20 >/dev/null 2>&1
$ABGLEICH case $D1 --dismiss --as-of 2026-11-20 >/dev/null 2>&1
assert_eq "cost_notice|2350|2350|0" "$(q "SELECT l.stage, l.owed_cents, l.paid_cents, l.open_cents FROM abgleich.claim_ledger l WHERE reference = '$C1'")" \
    "the cost notice: 23.50 EUR owed, 30 paid, the 6.50 over moved out of the claim (sql/035)"
assert_eq 1 "$(q "SELECT count(*) FROM abgleich.outbox WHERE reference = '$C1' AND payload->>'owed_cents' = '2350' AND payload->>'paid_cents' = '3000'")" \
    "C1 became paid by the cost notice: an outbox row"
assert_eq 650 "$(open_clar E-C1)" "C1's 6.50 EUR over are a clarification of its payment"
assert_eq "overpayment|$C1" "$(q "SELECT k.reason, c.reference FROM abgleich.clarifications k JOIN abgleich.claims c ON c.id = k.claim_id WHERE k.id = $(clar_of E-C1 C)")" \
    "an overpayment of C1"
assert_eq 3000 "$(open_clar E-D1)" "D1's 30 EUR are a clarification after the dismissal"
assert_eq "closed" "$(q "SELECT status FROM abgleich.claim_status WHERE reference = '$D1'")" "a dismissed claim is closed, not paid"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.outbox WHERE reference = '$D1'")" "a dismissed claim is not paid"
$ABGLEICH clarify "$(clar_of E-D1 C)" --refund --by "Frau Kluge" >/dev/null 2>&1 || fail "refund of the dismissed claim's money"
assert_eq 0 "$(open_clar E-D1)" "refunded"

# The returns and reversals of day 2 took four paid claims back: "unpaid"
# for each; R6, reversed and paid anew, stayed paid: nothing.
assert_eq "$R1 $R2 $R3 $R5" "$(q "SELECT string_agg(reference, ' ' ORDER BY reference) FROM abgleich.outbox WHERE topic = 'unpaid'")" \
    "an unpaid row per claim a return or reversal opened again"
assert_eq 1 "$(q "SELECT count(*) FROM abgleich.outbox WHERE topic = 'paid' AND reference = '$R6'")" "R6: paid once, never unpaid"
assert_eq "2500|2500" "$(q "SELECT payload->>'owed_cents', payload->>'paid_cents' FROM abgleich.outbox WHERE topic = 'paid' AND reference = '$R1'")" "the paid payload"
assert_eq "t" "$(q "SELECT payload ? 'unpaid_at' FROM abgleich.outbox WHERE topic = 'unpaid' AND reference = '$R1'")" "the unpaid payload"

# Day 3: 50 EUR for R1 again: R1 paid, 25 set off against R2.  A clerk takes
# the offset back to refund it instead; the next run leaves it to the clerk.
$ABGLEICH reconcile $M/day3.xml >/dev/null 2>&1
assert_eq "0|0" "$(open_of $R1)|$(open_of $R2)" "day 3: R1 paid, R2 by the offset"
off=$(q "SELECT a.id FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id WHERE c.reference = '$R2' AND a.method = 'surplus_offset' ORDER BY a.id DESC LIMIT 1")
$ABGLEICH clarify --reverse $off --by "Frau Kluge" >/dev/null 2>&1
assert_eq "2500|2500" "$(open_of $R2)|$(open_clar E-OVR3)" "the offset taken back: R2 open, the surplus open"
q "SELECT abgleich.fines_offset_surplus(NULL)" >/dev/null
assert_eq "2500|2500" "$(open_of $R2)|$(open_clar E-OVR3)" "the next run's offset leaves the clerk's case alone"
assert_eq "unpaid" "$(q "SELECT topic FROM abgleich.outbox WHERE reference = '$R2' ORDER BY id DESC LIMIT 1")" "R2 unpaid again, told"
