#!/bin/bash
# Generated statements validate against the ISO 20022 schema, and the
# generator is deterministic for a seed.
set -eu
. tests/integration/lib.sh
$ABGLEICH gen --out $TMP/a --tickets 3000 --seed 5 --date 2026-11-20 2>/dev/null
$ABGLEICH gen --out $TMP/b --tickets 3000 --seed 5 --date 2026-11-20 2>/dev/null
xmllint --noout --schema $FIXTURES/xsd/camt.053.001.08.xsd $TMP/a/statement.xml 2>$TMP/x.txt ||
    fail "statement does not validate: $(head -5 $TMP/x.txt)"
cmp -s $TMP/a/statement.xml $TMP/b/statement.xml || fail "same seed, different statement"
cmp -s $TMP/a/tickets.csv $TMP/b/tickets.csv || fail "same seed, different tickets"
rows=$(($(wc -l < $TMP/a/answer_key.csv) - 1))
assert_eq "$rows" "$(grep -c '<Ntry>' $TMP/a/statement.xml)" "one answer-key row per entry"
