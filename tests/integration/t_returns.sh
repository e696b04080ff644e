#!/bin/bash
# Payments the bank takes back (a return, MS03, or a reversal, RvslInd)
# whose money no longer sits in a live claim allocation, and the money
# around them (fixtures returns/, make.py there; the review's scenarios).
# Four databases:
#  taken  (sql/072) a payment without reference, an allocation a clerk
#         reversed (reopened) and a refunded overpayment: each return or
#         reversal takes its payment back and settles its clarifications,
#         none is a "without original" and none can pay a claim; in one
#         file, a payment without reference taken back before a payment of
#         a claim with the same EndToEndId and amount, in the claim index
#         too (the claim stays paid, a new payment finds it paid);
#  offset (sql/072) the same with an overpayment: the car's next claim is
#         not paid with the money that went back;
#  same   (jobs/reconcile.c) an overpayment and its return in one file: the
#         overpayment is settled before the night's offset;
#  lower  (jobs/reconcile_rev.c) a claim lowered by a cost notice after two
#         part payments, the surplus taken from the newer: the return of the
#         older gives the surplus back to the claim.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-20
R=$FIXTURES/returns
A=400000130014 B=400000130022 C=400000130039 D=400000130047
G=400000130071 H=400000130080 J=400000130098 K=400000130102 X=400000130119
BASE_DB=$PGDATABASE
BASE_CONN=$ABGLEICH_DB

# fresh NAME: a database of its own for the next scenario (run.sh drops it).
fresh() {
    export PGDATABASE="${BASE_DB}__$1"
    psql -XAtq -d postgres -c "CREATE DATABASE \"$PGDATABASE\" TEMPLATE template0"
    export ABGLEICH_DB="$BASE_CONN dbname=$PGDATABASE"
    $ABGLEICH init 2>/dev/null
}
claim() { q "SELECT status || '|' || paid_cents || '|' || open_cents FROM abgleich.claim_status WHERE reference = '$1'"; }
# clar E2E DIRECTION [REASON]: the first clarification of that transaction
clar() { q "SELECT k.id FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = '$1' AND t.direction = '$2' AND k.reason LIKE '${3:-%}' ORDER BY k.id LIMIT 1"; }
open_of() { q "SELECT coalesce((SELECT open_cents FROM abgleich.open_clarifications WHERE id = $1), 0)"; }
opens() { q "SELECT coalesce(string_agg(reason || ':' || open_cents || ':' || end_to_end_id, ',' ORDER BY id), '-') FROM abgleich.open_clarifications"; }
orphans() { q "SELECT count(*) FROM abgleich.clarifications WHERE reason IN ('reversal_without_original', 'return_without_original')"; }
alloc_of() { q "SELECT a.id FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id WHERE c.reference = '$1' ORDER BY a.id LIMIT 1"; }
reconcile() { $ABGLEICH reconcile "$@" 2>$TMP/rec.txt >$TMP/rec.out || fail "reconcile $*: $(cat $TMP/rec.txt)"; }

# --- taken: payments whose money waits in a clarification ------------------
fresh taken
$ABGLEICH import tickets $R/tickets.csv 2>/dev/null
reconcile $R/day1.xml
k1=$(clar E-T1 C overpayment) k2=$(clar E-T2 C no_reference)
$ABGLEICH clarify $k1 --refund --by "Frau Kluge" 2>/dev/null
$ABGLEICH clarify --reverse "$(alloc_of $C)" --by "Frau Kluge" 2>/dev/null
k3=$(clar E-T3 C reopened)
assert_eq "no_reference:2500:E-T2,reopened:2500:E-T3" "$(opens)" "before: what waits (E-T1's 15.00 refunded)"
reconcile --json $R/day2.xml
assert_eq 0 "$(orphans)" "each return and reversal found its payment"
assert_eq 3 "$(q "SELECT count(*) FROM abgleich.reversal_links")" "three pairs recorded"
assert_eq 0 "$(open_of $k2)" "the payment without reference went back: nothing left to allocate"
assert_eq 0 "$(open_of $k3)" "the reopened payment went back: nothing left to allocate"
assert_eq "returned_after_refund:1500:E-T1" "$(opens)" "only the refunded overpayment waits: money to recover"
assert_eq "open|0|2500" "$(claim $C)" "C: its payment went back"
assert_eq "open|0|2500" "$(claim $A)" "A: its payment went back"
assert_eq "5000" "$(q "SELECT sum(amount_cents) FROM abgleich.allocations WHERE method = 'returned'")" \
    "E-T2's and E-T3's money settled as returned"
assert_match '"clarified":0,' "$(cat $TMP/rec.out)" "no clarification for a paired reversal"
$ABGLEICH report --run "$(q "SELECT id FROM abgleich.input_files WHERE name LIKE '%day2.xml'")" -o $TMP/day2.html 2>/dev/null
grep -q 'id="count2">3<' $TMP/day2.html || fail "the morning report counts the three as reversals and returns"
if $ABGLEICH clarify $k2 --claim $B 2>/dev/null; then fail "a payment taken back paid B"; fi
if $ABGLEICH clarify $k3 --claim $C 2>/dev/null; then fail "a payment taken back paid C"; fi
assert_eq "open|0|2500" "$(claim $B)" "B unpaid"
# One file: E-T7 without reference, E-T7 paying D, the return of E-T7 (the
# first, as the ledger takes it), E-T8 paying D again.  The claim index
# must take back the same E-T7: D stays paid, E-T8 finds it paid.
reconcile $R/day3.xml
assert_eq 0 "$(orphans)" "the return of E-T7 found its payment"
assert_eq 0 "$(open_of "$(clar E-T7 C no_reference)")" "E-T7 without reference went back"
assert_eq "paid|2500|0" "$(claim $D)" "D paid once, by the E-T7 that stayed"
assert_eq "claim_already_paid" "$(q "SELECT k.reason FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = 'E-T8'")" \
    "E-T8: D is paid in the claim index too"

# --- offset: the overpayment of a payment taken back is not set off ------
fresh offset
$ABGLEICH import tickets $R/tickets_g.csv 2>/dev/null
reconcile $R/g1.xml
$ABGLEICH clarify --reverse "$(alloc_of $G)" 2>/dev/null
$ABGLEICH import tickets $R/tickets_h.csv 2>/dev/null
reconcile $R/g2.xml
assert_eq 0 "$(orphans)" "the return found E-T4"
assert_eq "-" "$(opens)" "the overpayment and the reopened money went back"
assert_eq "open|0|2500" "$(claim $H)" "H not paid with money that went back"
assert_eq "open|0|2500" "$(claim $G)" "G open"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.allocations WHERE method = 'surplus_offset'")" "no offset"

# --- same: a payment and its return in one file ----------------------------
fresh same
$ABGLEICH import tickets $R/tickets_j.csv 2>/dev/null
reconcile $R/j1.xml
assert_eq "open|0|2500" "$(claim $J)" "J: its payment went back"
assert_eq "open|0|2500" "$(claim $K)" "K not paid with money that went back"
assert_eq "-" "$(opens)" "the overpayment went back with its payment"
assert_eq "1500|returned" "$(q "SELECT amount_cents || '|' || method FROM abgleich.allocations WHERE clarification_id IS NOT NULL")" \
    "the overpayment settled as returned, not set off"

# --- lower: a return after the claim was lowered ---------------------------
fresh lower
$ABGLEICH import tickets $R/tickets_x.csv 2>/dev/null
reconcile $R/x1.xml
$ABGLEICH escalate --as-of 2026-11-13 --letters /dev/null >/dev/null 2>&1
$ABGLEICH case $X --driver-unknown --as-of 2026-11-20 >/dev/null 2>&1
assert_eq "paid|2350|0" "$(claim $X)" "the cost notice: 23.50 owed, paid"
kx=$(clar E-X2 C overpayment)
assert_eq 1650 "$(open_of $kx)" "the surplus, from the newer payment"
export ABGLEICH_TODAY=2026-11-26
reconcile $R/x2.xml
assert_eq "partially_paid|2000|350" "$(claim $X)" "X holds E-X2's 20.00 of 23.50"
assert_eq "-" "$(opens)" "no overpayment left"
assert_eq "1650|surplus_offset|$kx" "$(q "SELECT a.amount_cents || '|' || a.method || '|' || a.clarification_id FROM abgleich.allocations a JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) JOIN abgleich.claims c ON c.id = a.claim_id WHERE t.end_to_end_id = 'E-X2' AND a.amount_cents > 0 AND a.clarification_id IS NOT NULL AND c.reference = '$X'")" \
    "the surplus given back on E-X2, from its clarification"
assert_match "E-X1.*$X.*wieder mit 20,00 EUR offen.*16,50 EUR.*#$kx" \
    "$(q "SELECT explanation FROM abgleich.allocations WHERE method = 'surplus_offset'")" "German explanation"
assert_match "E-X1.*$X.*open again with 20.00 EUR.*16.50 EUR.*#$kx" \
    "$(q "SELECT explanation_en FROM abgleich.allocations WHERE method = 'surplus_offset'")" "English explanation"
reconcile $R/x3.xml
assert_eq "paid|2350|0" "$(claim $X)" "the rest paid: the claim index agrees"
assert_eq "-" "$(opens)" "3.50 paid exactly what was open"
reconcile $R/x4.xml
assert_eq "partially_paid|350|2000" "$(claim $X)" "E-X2 went back too, with the surplus given back"
assert_eq "-" "$(opens)" "nothing left over"
assert_eq 0 "$(orphans)" "both returns found their payments"
