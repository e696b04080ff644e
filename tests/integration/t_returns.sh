#!/bin/bash
# Payments the bank takes back (a return, MS03, or a reversal, RvslInd)
# whose money no longer sits in a live claim allocation, and the money
# around them (fixtures returns/, make.py there; the review's scenarios).
# Databases of their own:
#  same   (jobs/reconcile.c) an overpayment and its return in one file: the
#         overpayment is settled before the night's offset.
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

# --- same: a payment and its return in one file ----------------------------
fresh same
$ABGLEICH import tickets $R/tickets_j.csv 2>/dev/null
reconcile $R/j1.xml
assert_eq "open|0|2500" "$(claim $J)" "J: its payment went back"
assert_eq "open|0|2500" "$(claim $K)" "K not paid with money that went back"
assert_eq "-" "$(opens)" "the overpayment went back with its payment"
assert_eq "1500|returned" "$(q "SELECT amount_cents || '|' || method FROM abgleich.allocations WHERE clarification_id IS NOT NULL")" \
    "the overpayment settled as returned, not set off"
