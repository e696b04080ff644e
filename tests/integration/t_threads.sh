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

# The paid feedback of a night's bulk statements (sql/020_ledger_plans.sql):
# one outbox row each time a claim's running sum of ledger rows reaches what
# it owes, in claim order within a statement, the same for any --threads.
for t in 1 2; do
    psql -XAtq -v ON_ERROR_STOP=1 -d ${PGDATABASE}_t$t -c "
        WITH r AS (
            SELECT a.claim_id, a.id, c.amount_cents AS owed,
                   sum(a.amount_cents) OVER (PARTITION BY a.claim_id ORDER BY a.id) AS run
            FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id),
        x AS (
            SELECT claim_id, id, owed, run,
                   lag(run, 1, 0::numeric) OVER (PARTITION BY claim_id ORDER BY id) AS prev
            FROM r)
        SELECT claim_id, owed, run FROM x WHERE run >= owed AND prev < owed ORDER BY claim_id, id" \
        > $TMP/expected_paid.$t
    psql -XAtq -v ON_ERROR_STOP=1 -d ${PGDATABASE}_t$t -c "
        SELECT claim_id, payload->>'owed_cents', payload->>'paid_cents' FROM abgleich.outbox
        WHERE topic = 'paid' ORDER BY claim_id, id" > $TMP/outbox.$t
    cmp -s $TMP/expected_paid.$t $TMP/outbox.$t ||
        fail "outbox (threads $t) differs from the claims that became paid: $(diff $TMP/expected_paid.$t $TMP/outbox.$t | head -5)"
    psql -XAtq -d ${PGDATABASE}_t$t -c "SELECT claim_id FROM abgleich.outbox ORDER BY id" > $TMP/outbox_order.$t
done
cmp -s $TMP/outbox_order.1 $TMP/outbox_order.2 || fail "outbox order differs between --threads 1 and 2"
n=$(wc -l < $TMP/outbox.1)
[ "$n" -gt 5000 ] || fail "expected a bulk feedback, got $n outbox rows"
