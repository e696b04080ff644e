#!/bin/bash
# init creates the schema, is idempotent, the public views have exactly the
# documented columns, and the allocation ledger refuses UPDATE and DELETE.
set -eu
. tests/integration/lib.sh

first=$($ABGLEICH --json init 2>/dev/null)
[ "$first" != '{"applied":0}' ] || fail "first init must apply migrations"
assert_eq '{"applied":0}' "$($ABGLEICH --json init 2>/dev/null)" "second init applies nothing"

cols() {
    q "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'abgleich' AND table_name = '$1'"
}
assert_eq "reference,amount_cents,paid_cents,open_cents,status" "$(cols claim_status)" "claim_status columns"
assert_eq "end_to_end_id,account_servicer_ref,booking_date,reference,amount_cents,method" "$(cols allocation_report)" "allocation_report columns"
assert_eq "end_to_end_id,account_servicer_ref,booking_date,amount_cents,reason" "$(cols clarification_report)" "clarification_report columns"
for t in input_files claims statements bank_transactions allocations clarifications schema_migrations; do
    [ -n "$(cols $t)" ] || fail "table $t missing"
done

q "INSERT INTO abgleich.input_files (id, kind, name, content_hash) VALUES (1, 'statement', 'x', 'h')"
q "INSERT INTO abgleich.claims (id, reference, amount_cents, due_date) VALUES (1, '400000010017', 2500, '2026-11-08')"
q "INSERT INTO abgleich.statements (id, file_id, account, stmt_id) VALUES (1, 1, 'DE44', 'S1')"
q "INSERT INTO abgleich.bank_transactions (file_id, seq, statement_id, amount_cents, direction) VALUES (1, 1, 1, 2500, 'C')"
q "INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method) VALUES (1, 1, 1, 2500, 'exact_reference')"
assert_eq "400000010017|2500|2500|0|paid" "$(q 'SELECT * FROM abgleich.claim_status')" "paid by the ledger"

for sql in "UPDATE abgleich.allocations SET amount_cents = 1" "DELETE FROM abgleich.allocations" "TRUNCATE abgleich.allocations CASCADE"; do
    if out=$(q "$sql" 2>&1); then fail "ledger accepted: $sql"; fi
    echo "$out" | grep -q "append-only" || fail "wrong refusal for $sql: $out"
done
# A correction is a new row that reverses the old one.
q "INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method, reverses) VALUES (1, 1, 1, -2500, 'reversal', (SELECT min(id) FROM abgleich.allocations))"
assert_eq "400000010017|2500|0|2500|open" "$(q 'SELECT * FROM abgleich.claim_status')" "open again after the reversal"
