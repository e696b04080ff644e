#!/bin/bash
# Retention: purge removes the personal data of closed cases before a date
# and keeps every amount; a dry run (the default) changes nothing; open
# cases and open clarifications keep theirs; the ledger still refuses any
# other change.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-23
M=$FIXTURES/matching
$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $M/tickets.csv 2>/dev/null
$ABGLEICH reconcile $M/statement.xml 2>/dev/null
sums() { q "SELECT (SELECT sum(amount_cents) FROM abgleich.allocations) || '/' || (SELECT string_agg(reference || ':' || status || ':' || open_cents, ',' ORDER BY reference) FROM abgleich.claim_status) || '/' || (SELECT sum(amount_cents) FROM abgleich.bank_transactions)"; }
before=$(sums)

$ABGLEICH purge --before 2026-11-01 > $TMP/p0.txt 2>/dev/null
grep -q "von 0 abgeschlossenen Forderungen, 0 Bankumsätzen" $TMP/p0.txt || fail "nothing is that old: $(cat $TMP/p0.txt)"
$ABGLEICH purge --before 2027-01-01 > $TMP/p1.txt 2>/dev/null
grep -q "Probelauf" $TMP/p1.txt || fail "a dry run by default: $(cat $TMP/p1.txt)"
assert_eq "HH-AB 1234|HH-AB1234" "$(q "SELECT plate, car_key FROM abgleich.claims WHERE reference = '400000010017'")" "the dry run changed nothing"

$ABGLEICH --lang en purge --before 2027-01-01 --execute > $TMP/p2.txt 2>/dev/null
grep -q "^Purged before 2027-01-01" $TMP/p2.txt || fail "executed: $(cat $TMP/p2.txt)"
assert_eq "||" "$(q "SELECT coalesce(plate, '') || '|' || coalesce(location, '') || '|' || coalesce(car_key, '') FROM abgleich.claims WHERE reference = '400000010017'")" "a paid claim lost plate, place and car key"
assert_eq "400000010017" "$(q "SELECT reference FROM abgleich.claims WHERE reference = '400000010017'")" "its reference stays"
assert_eq "D-EF 5" "$(q "SELECT plate FROM abgleich.claims WHERE reference = '400000010050'")" "a partly paid claim keeps its data"
assert_eq "||" "$(q "SELECT coalesce(debtor_name, '') || '|' || coalesce(debtor_iban, '') || '|' || coalesce(remittance, '') FROM abgleich.bank_transactions WHERE end_to_end_id = 'M-001'")" "the payer of a settled payment is gone"
assert_eq "(gelöscht)" "$(q "SELECT explanation FROM abgleich.allocations a JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE t.end_to_end_id = 'M-001'")" "its explanation too"
assert_eq "Clara Weiß" "$(q "SELECT debtor_name FROM abgleich.bank_transactions WHERE end_to_end_id = 'M-003'")" "an open clarification keeps its payer"
assert_eq "$before" "$(sums)" "every amount and every claim state as before"

$ABGLEICH purge --before 2027-01-01 --execute > $TMP/p3.txt 2>/dev/null
grep -q "von 0 abgeschlossenen Forderungen, 0 Bankumsätzen, 0 Journal" $TMP/p3.txt || fail "a second purge finds nothing: $(cat $TMP/p3.txt)"
set +e; psql -XAtq -c "UPDATE abgleich.allocations SET explanation = 'x'" >/dev/null 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "outside a purge the ledger refuses an UPDATE"
set +e; psql -XAtq -c "BEGIN; SET LOCAL abgleich.purge = 'on'; UPDATE abgleich.allocations SET amount_cents = amount_cents + 1; COMMIT" >/dev/null 2>&1; rc=$?; set -e
assert_eq "$before" "$(sums)" "even inside a purge an amount cannot change"
set +e; $ABGLEICH purge --before tomorrow 2>/dev/null; rc=$?; set -e
assert_eq 2 "$rc" "a bad date is a usage error"
