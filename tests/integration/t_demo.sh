#!/bin/bash
# The embedded default: demo with nothing configured starts its own
# PostgreSQL, runs the whole path, prints counts and sums; run again it
# reuses cluster and data and changes nothing.
set -eu
. tests/integration/lib.sh
unset ABGLEICH_DB PGHOST PGPORT PGUSER PGDATABASE
D=$TMP/demo
trap '$ABGLEICH pg stop --dir $D/pg >/dev/null 2>&1 || true' EXIT

$ABGLEICH demo --dir $D --tickets 3000 > $TMP/out1.txt 2> $TMP/err1.txt || fail "demo failed: $(tail -5 $TMP/err1.txt)"
grep -q "allocated (exact_reference)" $TMP/out1.txt || fail "no allocation line: $(cat $TMP/out1.txt)"
grep -q "clarification no_reference" $TMP/out1.txt || fail "no clarification line"
grep -q "starting a private PostgreSQL" $TMP/err1.txt || fail "did not start its own cluster"

$ABGLEICH demo --dir $D --tickets 3000 > $TMP/out2.txt 2> $TMP/err2.txt || fail "second demo failed"
assert_eq 2 "$(grep -c 'already imported' $TMP/err2.txt)" "second run: both files already imported"
cmp -s $TMP/out1.txt $TMP/out2.txt || fail "second run changed the figures"
assert_eq running "$($ABGLEICH pg status --dir $D/pg)" "cluster reported running"
