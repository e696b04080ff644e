#!/bin/bash
# Booking order (docs/matching.md): payments are applied by booking date,
# statement order for ties, and a reversal reopens its claim at its place
# in that order, so a payment booked after it can settle the claim again.
# day2.xml lists its entries out of booking order on purpose; applied in
# listing order, every assertion below about K, L and M would fail.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-20 # the fixtures' tickets are of November 2026
O=$FIXTURES/order
K=400000030018 L=400000030026 M=400000030034 N=400000030042

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $O/tickets.csv 2>/dev/null
$ABGLEICH reconcile $O/day1.xml 2>/dev/null
assert_eq "O-N1|$N|2500|exact_reference
O-P1|$L|2500|exact_reference" \
    "$(q 'SELECT end_to_end_id, reference, amount_cents, method FROM abgleich.allocation_report ORDER BY 1')" \
    "day 1: L and N paid"

$ABGLEICH --threads 2 reconcile $O/day2.xml 2>/dev/null

assert_eq "O-B|$K|2500|exact_reference" \
    "$(q "SELECT end_to_end_id, reference, amount_cents, method FROM abgleich.allocation_report WHERE reference = '$K'")" \
    "K: the payment booked on the 17th is applied first, though listed second"
assert_eq "O-A|claim_already_paid" \
    "$(q "SELECT end_to_end_id, reason FROM abgleich.clarification_report ORDER BY end_to_end_id")" \
    "K: the one booked on the 18th finds the claim paid; no other clarification"

assert_eq "O-P1|2500|exact_reference
O-P1|-2500|reversal
O-P2|2500|exact_reference" \
    "$(q "SELECT end_to_end_id, amount_cents, method FROM abgleich.allocation_report WHERE reference = '$L' ORDER BY booking_date, amount_cents DESC")" \
    "L: the reversal (17th) of day 1's payment reopens L before the new payment (18th) settles it"

assert_eq "O-P3|2500|exact_reference
O-P3|-2500|reversal
O-P4|2500|exact_reference" \
    "$(q "SELECT end_to_end_id, amount_cents, method FROM abgleich.allocation_report WHERE reference = '$M' ORDER BY booking_date, end_to_end_id, amount_cents DESC")" \
    "M: a reversal of a payment of the same file, then a new payment"

assert_eq "O-N1|2500|exact_reference
O-N1|-2500|reversal
O-N2|2500|exact_reference" \
    "$(q "SELECT end_to_end_id, amount_cents, method FROM abgleich.allocation_report WHERE reference = '$N' ORDER BY booking_date, amount_cents DESC")" \
    "N: a return (MS03, listed last, booked on the 17th) reopens N before the new payment of the 18th"

assert_eq "$K|paid
$L|paid
$M|paid
$N|paid" \
    "$(q "SELECT reference, status FROM abgleich.claim_status ORDER BY reference")" \
    "every claim paid exactly once in the end"
assert_eq "10000" "$(q 'SELECT sum(amount_cents) FROM abgleich.allocations')" "the ledger adds up to the four claims"
