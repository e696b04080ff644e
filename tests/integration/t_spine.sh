#!/bin/bash
# The spine end to end: tickets in (with every kind of rejected row), a
# CAMT.053 v08 statement with one payment of each outcome, a statement whose
# balance does not add up (rejected whole), a v02 statement, re-imports.
set -eu
. tests/integration/lib.sh
# The fixtures are dated November 2026: check them as of then (limitation).
export ABGLEICH_TODAY=2026-11-23
S=$FIXTURES/spine

$ABGLEICH init 2>/dev/null

# --- tickets ---------------------------------------------------------------
out=$($ABGLEICH --json import tickets $S/tickets.csv 2>/dev/null)
assert_eq '{"files":1,"files_imported":1,"files_skipped":0,"files_failed":0,"claims":6,"claims_cents":20500,"rejected":0}' "$out" "json summary of a clean batch"

set +e
$ABGLEICH --verbose import tickets $S/tickets_de_bad.csv 2>$TMP/err.txt
rc=$?
set -e
assert_eq 3 "$rc" "exit code 3 when rows were rejected"
for expect in \
    "$S/tickets_de_bad.csv:3: tbnr:" \
    "$S/tickets_de_bad.csv:4: reference:" \
    "$S/tickets_de_bad.csv:5: amount:" \
    "$S/tickets_de_bad.csv:6: offense_time:" \
    "$S/tickets_de_bad.csv:8: reference: 400000010121 already in this file at line 7" \
    "$S/tickets_de_bad.csv:9: reference: 400000010017 already known"; do
    grep -qF "$expect" $TMP/err.txt || fail "missing rejection '$expect' in: $(cat $TMP/err.txt)"
done
assert_eq 6 "$(grep -c "^$S/tickets_de_bad.csv:[0-9]*: " $TMP/err.txt)" "six rejections, each said once"
grep -q "a reference is known already; checking row by row" $TMP/err.txt ||
    fail "a known reference sends the batch to the stage path: $(cat $TMP/err.txt)"
assert_eq 8 "$(q 'SELECT count(*) FROM abgleich.claims')" "6 + 2 claims"
assert_eq "400000010076|2500|2026-11-13" \
    "$(q "SELECT reference, amount_cents, due_date FROM abgleich.claims WHERE line = 2 AND reference LIKE '%76'")" \
    "German row: spaces dropped, 25,00 read, due 7 days after 06.11.2026"

# The same file again changes nothing and says so.
before=$(q 'SELECT count(*) FROM abgleich.input_files')
$ABGLEICH import tickets $S/tickets.csv 2>$TMP/again.txt
grep -q "already imported" $TMP/again.txt || fail "re-import must say so"
assert_eq "$before" "$(q 'SELECT count(*) FROM abgleich.input_files')" "re-import adds no file"
assert_eq 8 "$(q 'SELECT count(*) FROM abgleich.claims')" "re-import adds no claim"

# --- statement 1: every outcome --------------------------------------------
out=$($ABGLEICH --json --threads 2 reconcile $S/statement_1.xml 2>/dev/null)
echo "$out" | grep -q '"transactions":12,"transactions_cents":47500' || fail "transactions: $out"
echo "$out" | grep -q '"allocated":7,"allocated_cents":25500' || fail "allocated: $out"
echo "$out" | grep -q '"debits":1,"debits_cents":12000' || fail "debits: $out"

assert_eq "E2E-0001|400000010017|2500|exact_reference
E2E-0002|400000010025|5500|exact_reference
E2E-0003|400000010033|2500|exact_reference
E2E-0007|400000010041|2500|exact_reference
E2E-0009|400000010050|5500|exact_reference
E2E-0009|400000010068|2000|exact_reference
400000010121|400000010121|2500|exact_reference
E2E-0010|400000010076|2500|exact_reference" \
    "$(q "SELECT end_to_end_id, reference, amount_cents, method FROM abgleich.allocation_report ORDER BY account_servicer_ref, end_to_end_id, reference")" \
    "allocations: plain, KZ with spaces, over, split over two lines, two references, batch, EndToEndId"

assert_eq "E2E-0003|500|overpayment
E2E-0004|2500|no_reference
E2E-0005|2500|unknown_reference
E2E-0008|2500|claim_already_paid
E2E-0011|2000|claim_already_paid" \
    "$(q 'SELECT end_to_end_id, amount_cents, reason FROM abgleich.clarification_report ORDER BY end_to_end_id')" \
    "clarifications with their reasons"
assert_eq "400000010033" "$(q "SELECT c.reference FROM abgleich.clarifications k JOIN abgleich.claims c ON c.id = k.claim_id WHERE k.reason = 'overpayment'")" "the overpayment names its claim"

assert_eq 0 "$(q "SELECT count(*) FROM abgleich.allocations a JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE t.direction = 'D'")" "debits never matched"
assert_eq "Verwarnung 4000000
10041 danke" "$(q "SELECT remittance FROM abgleich.bank_transactions WHERE end_to_end_id = 'E2E-0007'")" "Ustrd lines stored as sent"
assert_eq "DE44500105175407324931|STMT-2026-0220|100000|123500|11|12|35500|12000" \
    "$(q 'SELECT account, stmt_id, opening_cents, closing_cents, entries, transactions, credit_cents, debit_cents FROM abgleich.statements')" \
    "statement row with balances and sums"

assert_eq "400000010017|2500|2500|0|paid
400000010025|5500|5500|0|paid
400000010033|2500|2500|0|paid
400000010041|2500|2500|0|paid
400000010050|5500|5500|0|paid
400000010068|2000|2000|0|paid
400000010076|2500|2500|0|paid
400000010121|2500|2500|0|paid" \
    "$(q 'SELECT * FROM abgleich.claim_status ORDER BY reference')" "claim_status after statement 1"

expl=$(q "SELECT explanation FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id WHERE c.reference = '400000010017'")
echo "$expl" | grep -q "400000010017" || fail "explanation names the reference: $expl"

# --- a statement that does not balance is rejected whole --------------------
files=$(q 'SELECT count(*) FROM abgleich.input_files')
txs=$(q 'SELECT count(*) FROM abgleich.bank_transactions')
set +e
$ABGLEICH reconcile $S/statement_bad_balance.xml 2>$TMP/bal.txt
rc=$?
set -e
assert_eq 3 "$rc" "unbalanced statement: exit 3"
grep -q "1.235,00\|1235.00" $TMP/bal.txt || fail "balance error gives the figures: $(cat $TMP/bal.txt)"
grep -q "1.300,00\|1300.00" $TMP/bal.txt || fail "balance error gives the closing figure: $(cat $TMP/bal.txt)"
assert_eq "$files|$txs" "$(q 'SELECT (SELECT count(*) FROM abgleich.input_files), (SELECT count(*) FROM abgleich.bank_transactions)')" "nothing stored"

# --- a v02 statement pays the rest; statement 1 again changes nothing -------
$ABGLEICH reconcile $S/statement_2_v02.xml $S/statement_1.xml 2>$TMP/r2.txt
grep -q "already imported" $TMP/r2.txt || fail "statement 1 again must say so"
assert_eq "E2E-0012|5500|claim_already_paid" "$(q "SELECT end_to_end_id, amount_cents, reason FROM abgleich.clarification_report WHERE end_to_end_id = 'E2E-0012'")" "v02 payment to a paid claim"
assert_eq 8 "$(q 'SELECT count(*) FROM abgleich.allocations')" "no allocation twice"
assert_eq 13 "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "12 + 1 transactions"

# Same statement content under another file name: skipped by account + id.
cp $S/statement_2_v02.xml $TMP/renamed.xml
echo "<!-- another delivery -->" >> $TMP/renamed.xml
$ABGLEICH reconcile $TMP/renamed.xml 2>$TMP/r3.txt
grep -q "STMT-2026-0221 of account DE44500105175407324931 already imported" $TMP/r3.txt || fail "duplicate statement by id: $(cat $TMP/r3.txt)"
assert_eq 13 "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "no transaction twice"
assert_eq "D|12000" "$(q "SELECT direction, amount_cents FROM abgleich.bank_transactions WHERE end_to_end_id = 'E2E-0006'")" "the debit is stored"

# Every ledger and clarification row points at a stored transaction and
# statement, and every transaction at its statement and file.
assert_eq 0 "$(q 'SELECT count(*) FROM abgleich.allocations a LEFT JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE t.seq IS NULL')" "allocations point at transactions"
assert_eq 0 "$(q 'SELECT count(*) FROM abgleich.clarifications a LEFT JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE t.seq IS NULL')" "clarifications point at transactions"
assert_eq 0 "$(q 'SELECT count(*) FROM abgleich.bank_transactions t LEFT JOIN abgleich.statements s ON s.id = t.statement_id AND s.file_id = t.file_id WHERE s.id IS NULL')" "transactions point at their statement and file"
