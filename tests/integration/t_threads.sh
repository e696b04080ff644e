#!/bin/bash
# The rows written are identical for any --threads: the same generated data
# reconciled with 1 and with 2 threads into two databases, compared row by row.
set -eu
. tests/integration/lib.sh
# The generated tickets are dated before 2026-11-20: check them as of then (limitation).
export ABGLEICH_TODAY=2026-11-20

$ABGLEICH gen --out $TMP/data --tickets 20000 --seed 7 --date 2026-11-20 2>/dev/null
base=$ABGLEICH_DB
for t in 1 2; do
    q "CREATE DATABASE ${PGDATABASE}_t$t" >/dev/null
    export ABGLEICH_DB="$base dbname=${PGDATABASE}_t$t"
    $ABGLEICH init 2>/dev/null
    $ABGLEICH import tickets $TMP/data/tickets.csv 2>/dev/null || true
    $ABGLEICH --threads $t reconcile $TMP/data/statement.xml 2>/dev/null
    for tbl in "claims (reference, amount_cents, due_date)" \
               "bank_transactions (seq, entry_no, tx_no, amount_cents, direction, end_to_end_id, remittance)" \
               "allocations (claim_id, tx_seq, amount_cents, method, explanation)" \
               "clarifications (tx_seq, reason, amount_cents, claim_id, explanation)"; do
        name=${tbl%% *}
        cols=${tbl#* }
        cols=${cols#(}
        cols=${cols%)}
        psql -XAtq -v ON_ERROR_STOP=1 -d ${PGDATABASE}_t$t \
            -c "SELECT $cols FROM abgleich.$name ORDER BY $cols" > $TMP/$name.$t
    done
done
export ABGLEICH_DB=$base
for name in claims bank_transactions allocations clarifications; do
    cmp -s $TMP/$name.1 $TMP/$name.2 || fail "$name differ between --threads 1 and 2"
done
n=$(wc -l < $TMP/allocations.1)
[ "$n" -gt 10000 ] || fail "expected a real workload, got $n allocations"
