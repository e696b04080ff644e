#!/bin/bash
# The operator bench tools: bench parse reports every format it was given
# with the records it counted; bench sink writes the rows asked through
# pgsink and as a raw COPY, and both arrive.
set -eu
. tests/integration/lib.sh
B=$FIXTURES/bank

# --- bench parse -------------------------------------------------------------
out=$($ABGLEICH --json bench parse $B/camt053/viafintech__v10_bookgdt_dttm.xml \
      $B/camt052/genkgo__v08_batch.xml $B/camt054/genkgo__v08_uetr.xml \
      $B/mt940/cmxl__de_sparkasse_999_unstructured.sta $B/mt940/wolph__mt942_mbank.sta \
      $FIXTURES/tickets/en_comma.csv $FIXTURES/fines/xmlmde_winowig.xml)
for f in camt.053.001.10 camt.052.001.08 camt.054.001.08 MT940 tickets-csv winowig-xml; do
    echo "$out" | grep -q "{\"format\":\"$f\",\"files\":[0-9]*,\"bytes\":[1-9][0-9]*,\"records\":[1-9][0-9]*,\"seconds\":[0-9.]*,\"mb_per_s\":[0-9.]*,\"records_per_s\":[0-9]*}" \
        || fail "bench parse reports $f: $out"
done
# the six tickets of en_comma.csv, counted by the parser
echo "$out" | grep -q '"format":"tickets-csv","files":1,"bytes":[0-9]*,"records":6,' \
    || fail "bench parse counts the tickets: $out"
# a file that does not parse is an error, not a rate over half a file
set +e
$ABGLEICH bench parse $B/camt053/genkgo__v08_basic.xml >/dev/null 2>$TMP/err.txt
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "bench parse of a bad statement fails"
assert_match "closing balance" "$(cat $TMP/err.txt)" "and says why"

# --- bench sink --------------------------------------------------------------
out=$($ABGLEICH --json bench sink --rows 10000)
echo "$out" | grep -q '"pgsink":{"rows_written":10000,' || fail "pgsink wrote 10000 rows: $out"
echo "$out" | grep -q '"raw_copy":{"rows_written":10000,' || fail "raw COPY wrote 10000 rows: $out"
ratio=$(echo "$out" | sed 's/.*"ratio":\([0-9.]*\).*/\1/')
awk -v r="$ratio" 'BEGIN { exit !(r > 0 && r < 100) }' || fail "a sane ratio: $out"
n=$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'abgleich_bench'")
assert_eq 0 "$n" "the scratch schema is dropped"

# --- bench nightly -----------------------------------------------------------
out=$($ABGLEICH --threads 2 --json bench nightly --claims 3000 --payments 800)
for k in '"phases":{"gen":{' '"init":{' '"import":{' '"reconcile":{"seconds":' \
         '"reconcile_phases_ms":{"loading the claims":' '"registering the file":' '"commit":' '"peak_rss_kb":' '"reconcile_last_phase_at_s":'; do
    echo "$out" | grep -qF "$k" || fail "bench nightly reports $k: $out"
done
echo "$out" | grep -q '"claims_loaded":3000,' || fail "all claims imported: $out"
tx=$(echo "$out" | sed 's/.*"transactions":\([0-9]*\).*/\1/')
al=$(echo "$out" | sed 's/.*"allocations":\([0-9]*\).*/\1/')
[ "$tx" -ge 700 ] && [ "$tx" -le 1000 ] || fail "about 800 payments (and the generator's other entries) reconciled: $out"
[ "$al" -gt 0 ] || fail "allocations written: $out"
assert_eq "$tx" "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "the rows are really there"
load=$(echo "$out" | sed 's/.*"reconcile_start_and_claim_load_s":\([0-9.-]*\).*/\1/')
awk -v l="$load" 'BEGIN { exit !(l > 0) }' || fail "the claim load was seen: $out"
rss=$(echo "$out" | sed 's/.*"peak_rss_kb":\([0-9]*\).*/\1/')
[ "$rss" -gt 1000 ] || fail "a peak RSS in kB: $out"
# a second run would measure on top of the first day's data: refused
set +e
$ABGLEICH bench nightly --claims 100 --payments 10 >/dev/null 2>$TMP/err.txt
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "bench nightly on a database with claims is refused"
assert_match "scratch database" "$(cat $TMP/err.txt)" "and says why"
