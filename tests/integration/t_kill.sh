#!/bin/bash
# A process killed at any moment leaves the whole file or nothing: reconcile
# a large statement, kill -9 it at several points, check that the database
# holds either none or all of the file, then finish it and compare.
set -eu
. tests/integration/lib.sh
# The generated tickets are dated before 2026-11-20: check them as of then (limitation).
export ABGLEICH_TODAY=2026-11-20

$ABGLEICH gen --out $TMP/data --tickets 150000 --seed 11 --date 2026-11-20 2>/dev/null
$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $TMP/data/tickets.csv 2>/dev/null || true
claims=$(q 'SELECT count(*) FROM abgleich.claims')

for delay in 0.2 0.6 1.2 2.5; do
    $ABGLEICH reconcile $TMP/data/statement.xml 2>/dev/null &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    # The server ends the dead session's transaction; wait until it has.
    for _ in $(seq 50); do
        [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'abgleich'")" = 0 ] && break
        sleep 0.1
    done
    files=$(q "SELECT count(*) FROM abgleich.input_files WHERE kind = 'statement'")
    txs=$(q 'SELECT count(*) FROM abgleich.bank_transactions')
    if [ "$files" = 0 ]; then
        assert_eq 0 "$txs" "killed after ${delay}s: no file row, so no transactions"
        assert_eq 0 "$(q 'SELECT count(*) FROM abgleich.allocations')" "killed: no allocations"
        assert_eq 0 "$(q 'SELECT count(*) FROM abgleich.statements')" "killed: no statements"
    else
        break # it finished before the kill: the whole file is there
    fi
done

# Killed runs leave dead rows, and autovacuum may then record a table as
# empty though it has pages (reltuples = 0, relpages > 0): the planner then
# expects no rows however many the next run writes, and the ledger's
# triggers took minutes.  Make that state certain for the ledger; the run
# must analyze it as soon as it has written rows (sql/019_stats.sql).
q "BEGIN; INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 1, 'manual' FROM abgleich.claims; ROLLBACK" >/dev/null
q "ANALYZE abgleich.allocations"
assert_eq "t" "$(q "SELECT reltuples = 0 AND relpages > 0 FROM pg_class WHERE oid = 'abgleich.allocations'::regclass")" "the ledger looks empty with pages"
$ABGLEICH --verbose reconcile $TMP/data/statement.xml 2>$TMP/final.log
grep -q "analyzing .*allocations" $TMP/final.log || fail "the ledger was not analyzed: $(grep took $TMP/final.log)"
assert_eq "t" "$(q "SELECT reltuples > 0 FROM pg_class WHERE oid = 'abgleich.allocations'::regclass")" "its statistics count the night's rows"
entries=$(grep -c '<Ntry>' $TMP/data/statement.xml)
assert_eq 1 "$(q "SELECT count(*) FROM abgleich.input_files WHERE kind = 'statement'")" "one file in the end"
assert_eq "$entries" "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "every transaction, once"
assert_eq "$claims" "$(q 'SELECT count(*) FROM abgleich.claims')" "claims untouched"
assert_eq 0 "$(q 'SELECT count(*) FROM (SELECT file_id, tx_seq, claim_id FROM abgleich.allocations GROUP BY 1, 2, 3 HAVING count(*) > 1) d')" "no payment allocated twice to one claim"
