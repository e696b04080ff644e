#!/bin/bash
# abgleich serve: two instances on one inbox and one database take 200
# ticket files dropped at once, each exactly once (one input_files row, one
# job at attempt 1, every claim once); a statement is reconciled; a broken
# file goes to failed/ with a .log of why, a document that is no e-invoice
# to done/ (archived as rejected) with its .log; the same file again
# is "already imported"; /metrics moves during the run; /accounts answers;
# SIGTERM ends both with exit 0; --check-config judges a file; an invoice
# dropped into the inbox cannot be approved by the login of its file's owner.
set -eu
. tests/integration/lib.sh
. tests/integration/serve_lib.sh
export ABGLEICH_TODAY=2026-11-20

# --check-config
cat > $TMP/good.ini <<INI
[serve]
inbox = $TMP/inbox
workers = 3
[log]
format = plain
INI
out=$($ABGLEICH serve --check-config $TMP/good.ini)
assert_match "good.ini: ok \(inbox $TMP/inbox, listen 127.0.0.1:8080, 3 workers" "$out" "check-config accepts"
$ABGLEICH serve --check-config deploy/abgleich.ini | grep -q "^deploy/abgleich.ini: ok" || fail "the example configuration is valid"
printf '[serve]\ninbox = /x\nlease_seconds = soon\n' > $TMP/bad.ini
expect_exit 3 $ABGLEICH serve --check-config $TMP/bad.ini
assert_match "bad.ini:3: lease_seconds: 'soon' is not a number" "$(cat $TMP/stderr)" "check-config names line and key"

$ABGLEICH init 2>/dev/null
$ABGLEICH gen --out $TMP/data --tickets 10000 --seed 7 --date 2026-11-20 2>/dev/null
split_tickets $TMP/data/tickets.csv 200 $TMP/stage
assert_eq 200 "$(ls $TMP/stage | wc -l)" "200 ticket files"
mkdir -p $TMP/inbox
pa=$(free_port)
pb=$(free_port)
common="--inbox $TMP/inbox --scan-interval-ms 200 --lease-seconds 30 --workers 2"
start_serve a $pa $common
start_serve b $pb $common
assert_eq 0 "$(metric $pa 'abgleich_files_total{kind="tickets",result="done"}')" "nothing done yet"

mv $TMP/stage/*.csv $TMP/inbox/tickets/
# Scrape while it runs: the count must be seen moving, not only at the end.
seen=""
for _ in $(seq 600); do
    v=$(metric $pa 'abgleich_files_total{kind="tickets",result="done"}')
    case " $seen " in *" $v "*) ;; *) seen="$seen $v" ;; esac
    [ "$(q "SELECT count(*) FROM abgleich.jobs WHERE moved_at IS NOT NULL")" = 200 ] && break
    sleep 0.05
done
wait_jobs 200 180
set -- $seen
[ $# -ge 3 ] || fail "/metrics should show the count moving, saw:$seen"

assert_eq 200 "$(q "SELECT count(*) FROM abgleich.input_files WHERE kind = 'tickets'")" "one input_files row per file"
assert_eq 10000 "$(q 'SELECT count(*) FROM abgleich.claims')" "every ticket once"
assert_eq "200|200|1|1" "$(q "SELECT count(*), count(DISTINCT name), min(attempts), max(attempts) FROM abgleich.jobs WHERE state = 'done'")" "each job done once, at its first attempt"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.jobs WHERE error IS NOT NULL")" "no job has an error"
assert_eq 200 "$(ls $TMP/inbox/tickets/done/*.csv | wc -l)" "every file in done/"
assert_eq 200 "$(ls $TMP/inbox/tickets/done/*.csv.log | wc -l)" "a .log beside each"
assert_eq 0 "$(ls $TMP/inbox/tickets/*.csv 2>/dev/null | wc -l)" "the inbox is empty"
da=$(metric $pa 'abgleich_files_total{kind="tickets",result="done"}')
db=$(metric $pb 'abgleich_files_total{kind="tickets",result="done"}')
assert_eq 200 $((da + db)) "the two instances' metrics add up to 200 files"
assert_eq 10000 $(($(metric $pa abgleich_claims_imported_total) + $(metric $pb abgleich_claims_imported_total))) "claims in the metrics"
echo "instance a did $da files, b $db"
grep -q "^result: done: 50 claims imported, 0 rows rejected" $TMP/inbox/tickets/done/part_0000.csv.log || fail "the .log says what was done"

# A statement, a broken statement, a document that is no e-invoice (it is
# archived and reported, docs/einvoices.md: done/, its .log says why).
cp $TMP/data/statement.xml $TMP/inbox/statements/day1.xml
echo 'not a statement' > $TMP/inbox/statements/broken.xml
echo '<Invoice/>' > $TMP/inbox/invoices/inv1.xml
wait_jobs 203 120
entries=$(grep -c '<Ntry>' $TMP/data/statement.xml)
assert_eq "$entries" "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "the statement, every transaction once"
[ -f $TMP/inbox/statements/done/day1.xml ] || fail "statement in done/"
[ -f $TMP/inbox/statements/failed/broken.xml ] || fail "broken statement in failed/"
grep -q "^result: failed: .*neither CAMT nor MT940" $TMP/inbox/statements/failed/broken.xml.log || fail "failed .log says why"
grep -q "inv1.xml: document: not an e-invoice: root element Invoice in namespace ''" $TMP/inbox/invoices/done/inv1.xml.log \
    || fail "invoice .log says why: $(cat $TMP/inbox/invoices/*/inv1.xml.log)"
assert_eq "rejected" "$(q "SELECT outcome FROM abgleich.invoice_documents WHERE name LIKE '%inv1.xml'")" "the document archived as rejected"
assert_eq "failed" "$(q "SELECT state FROM abgleich.jobs WHERE name = 'statements/broken.xml'")" "the broken file's job failed"
alloc=$(q 'SELECT count(*) FROM abgleich.allocations')
[ "$alloc" -gt 1000 ] || fail "the statement matched payments ($alloc allocations)"
# The metric counts payments with an allocation; a payment may be split.
m_alloc=$(($(metric $pa abgleich_allocations_total) + $(metric $pb abgleich_allocations_total)))
[ "$m_alloc" -gt 1000 ] && [ "$m_alloc" -le "$alloc" ] || fail "allocations in the metrics: $m_alloc of $alloc rows"
assert_eq "$entries" "$(($(metric $pa abgleich_transactions_total) + $(metric $pb abgleich_transactions_total)))" "transactions in the metrics"

# The same file again under the same name: already imported, nothing changes.
# The job row is queued again (the queue keeps the latest delivery of a
# name and content; input_files keeps the history).
cp $TMP/inbox/tickets/done/part_0007.csv $TMP/inbox/tickets/part_0007.csv
for _ in $(seq 300); do
    ls $TMP/inbox/tickets/done/part_0007.csv.*.log >/dev/null 2>&1 && break
    sleep 0.1
done
wait_jobs 203 30
assert_eq 1 "$(q "SELECT count(*) FROM abgleich.jobs WHERE name = 'tickets/part_0007.csv' AND state = 'done' AND error LIKE 'already imported%'")" "the job says already imported"
assert_eq 10000 "$(q 'SELECT count(*) FROM abgleich.claims')" "a second delivery changes nothing"
grep -q "already imported" $TMP/inbox/tickets/done/part_0007.csv.*.log || fail "second delivery's .log says so"

# /accounts: the account view's JSON; a bad query is 400.
ref=$(sed -n 2p $TMP/data/tickets.csv | cut -d, -f1)
curl -sf "http://127.0.0.1:$pa/accounts?reference=$ref" | grep -q "\"reference\": \"$ref\"" || fail "/accounts?reference"
assert_eq 400 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pa/accounts")" "/accounts without a key"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pa/nothing")" "unknown path"

# Four eyes on what serve imports: the daemon's login imports an invoice,
# but the system user who dropped the file handed it in and may not
# approve it (sql/043); another login may.
me=$(id -un)
cp $FIXTURES/einvoice/ubl/xrts__xr30_380_basic_sepa58.xml $TMP/inbox/invoices/inv2.xml
wait_jobs 204 60
grep -q "invoices: 1 accepted, 0 rejected, 0 already imported" $TMP/inbox/invoices/done/inv2.xml.log \
    || fail "the invoice's .log counts invoices: $(cat $TMP/inbox/invoices/done/inv2.xml*.log)"
assert_eq "$me|abgleich|open" "$(q "SELECT submitted_by || '|' || imported_by || '|' || status FROM abgleich.invoices WHERE invoice_number = '123456XX'")" \
    "the file's owner is kept as who handed it in"
for who in "$me" kl_serve; do
    psql -XAtq -d postgres -c "DO \$\$ BEGIN CREATE ROLE \"$who\" LOGIN IN ROLE abgleich_treasury;
        EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
done
set +e; ABGLEICH_DB="$ABGLEICH_DB user=$me" $ABGLEICH approve 123456XX 2>$TMP/ap.txt; rc=$?; set -e
assert_eq 3 "$rc" "who dropped the file cannot approve it"
grep -q "was handed in by this login" $TMP/ap.txt || fail "says why: $(cat $TMP/ap.txt)"
ABGLEICH_DB="$ABGLEICH_DB user=kl_serve" $ABGLEICH approve 123456XX 2>/dev/null || fail "a second login approves"
assert_eq "approved|kl_serve" "$(q "SELECT status || '|' || approved_by FROM abgleich.invoices WHERE invoice_number = '123456XX'")" "approved by the second login"

stop_serve a
stop_serve b
grep -q "stopped" $TMP/a.log || fail "a says it stopped"
