#!/bin/bash
# kill -9 of a serve instance in the middle of a file: the database holds
# none of it, the file stays in the inbox, and a second instance takes the
# job over once the lease ran out and finishes it: one input_files row,
# every transaction once, no allocation twice, the job at attempt 2.
# SIGTERM to that instance while it holds the file: it finishes the file,
# then exits 0.
set -eu
. tests/integration/lib.sh
. tests/integration/serve_lib.sh
export ABGLEICH_TODAY=2026-11-20

$ABGLEICH gen --out $TMP/data --tickets 60000 --seed 11 --date 2026-11-20 2>/dev/null
$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $TMP/data/tickets.csv 2>/dev/null || true
claims=$(q 'SELECT count(*) FROM abgleich.claims')
mkdir -p $TMP/inbox/statements
common="--inbox $TMP/inbox --scan-interval-ms 100 --lease-seconds 3 --workers 1"
start_serve a off $common
cp $TMP/data/statement.xml $TMP/inbox/statements/.day1.xml.part
mv $TMP/inbox/statements/.day1.xml.part $TMP/inbox/statements/day1.xml

# Until the job runs, then a moment into the file, then kill -9.
for _ in $(seq 300); do
    [ "$(q "SELECT count(*) FROM abgleich.jobs WHERE state = 'running'")" = 1 ] && break
    sleep 0.05
done
assert_eq running "$(q "SELECT state FROM abgleich.jobs")" "instance a runs the job"
sleep 0.3
kill -9 "$(cat $TMP/a.pid)"
wait "$(cat $TMP/a.pid)" 2>/dev/null || true
for _ in $(seq 50); do
    [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'abgleich' AND pid <> pg_backend_pid()")" = 0 ] && break
    sleep 0.1
done
# The file takes seconds; 0.3 s in, it is still running.
assert_eq running "$(q "SELECT state FROM abgleich.jobs")" "killed in the middle of the file"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.input_files WHERE kind = 'statement'")" "killed mid-file: nothing of it stored"
assert_eq 0 "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "killed mid-file: no transactions"
[ -f $TMP/inbox/statements/day1.xml ] || fail "killed mid-file: the file stays in the inbox"

# Instance b takes the job over once a's lease ran out.  SIGTERM as soon
# as it holds the job: b finishes that file, then exits 0.
start_serve b off $common
bpid=$(cat $TMP/b.pid)
for _ in $(seq 200); do
    q "SELECT owner FROM abgleich.jobs WHERE state = 'running'" | grep -q ":$bpid:" && break
    sleep 0.05
done
q "SELECT owner FROM abgleich.jobs WHERE state = 'running'" | grep -q ":$bpid:" || fail "b took the job over"
stop_serve b
grep -q "finishing 1 file(s) in hand" $TMP/b.log || fail "b said it finishes the file in hand"
wait_jobs 1 5
entries=$(grep -c '<Ntry>' $TMP/data/statement.xml)
assert_eq 1 "$(q "SELECT count(*) FROM abgleich.input_files WHERE kind = 'statement'")" "one file in the end"
assert_eq "$entries" "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "every transaction, once"
assert_eq "$claims" "$(q 'SELECT count(*) FROM abgleich.claims')" "claims untouched"
assert_eq 0 "$(q 'SELECT count(*) FROM (SELECT file_id, tx_seq, claim_id FROM abgleich.allocations GROUP BY 1, 2, 3 HAVING count(*) > 1) d')" "no payment allocated twice to one claim"
assert_eq "done|2" "$(q "SELECT state, attempts FROM abgleich.jobs")" "taken over at attempt 2"
q "SELECT owner FROM abgleich.jobs" | grep -q ":$bpid:" || fail "instance b finished it"
[ -f $TMP/inbox/statements/done/day1.xml ] || fail "the file is in done/"
grep -q "^result: done: $entries transactions" $TMP/inbox/statements/done/day1.xml.log || fail "its .log"
