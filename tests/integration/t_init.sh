#!/bin/bash
# init creates the schema and is idempotent (also when two run at once); the
# public views have exactly the documented columns; money is bigint; the
# allocation ledger refuses UPDATE, DELETE and TRUNCATE; an unreachable
# database and a migration recorded under another name fail with exit 4;
# a bad --log-format is refused (exit 2).
set -eu
. tests/integration/lib.sh

# --- idempotence -----------------------------------------------------------
first=$($ABGLEICH --json init 2>"$TMP/init1.err")
recorded=$(q "SELECT count(*) FROM abgleich.schema_migrations")
[ "$recorded" -gt 0 ] || fail "no migration recorded"
assert_eq "{\"applied\":$recorded}" "$first" "first init applies every migration"
assert_eq "abgleich: schema up to date ($recorded migrations applied)" "$(cat "$TMP/init1.err")" "first init message"
assert_eq '{"applied":0}' "$($ABGLEICH --json init 2>"$TMP/init2.err")" "second init applies nothing"
assert_eq "abgleich: schema up to date (0 migrations applied)" "$(cat "$TMP/init2.err")" "second init message"
assert_eq "1" "$(q "SELECT min(version) FROM abgleich.schema_migrations")" "versions start at 1"
assert_eq "001_schema.sql" "$(q "SELECT name FROM abgleich.schema_migrations WHERE version = 1")" "names recorded"

# Two inits at once on an empty database: the advisory lock lets one apply.
conc="${PGDATABASE}_conc"
psql -XAtq -d postgres -c "CREATE DATABASE \"$conc\" TEMPLATE template0"
cdb="$ABGLEICH_DB dbname=$conc"
$ABGLEICH --json --db "$cdb" init >"$TMP/c1" 2>&1 &
p1=$!
$ABGLEICH --json --db "$cdb" init >"$TMP/c2" 2>&1 &
p2=$!
wait $p1 || fail "concurrent init 1: $(cat "$TMP/c1")"
wait $p2 || fail "concurrent init 2: $(cat "$TMP/c2")"
a1=$(sed -n 's/{"applied":\([0-9]*\)}/\1/p' "$TMP/c1")
a2=$(sed -n 's/{"applied":\([0-9]*\)}/\1/p' "$TMP/c2")
assert_eq "$recorded" "$((a1 + a2))" "concurrent inits applied each migration once ($a1 + $a2)"
psql -XAtq -d postgres -c "DROP DATABASE \"$conc\" WITH (FORCE)"

# --- tables and views --------------------------------------------------------
cols() {
    q "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'abgleich' AND table_name = '$1'"
}
assert_eq "reference,amount_cents,paid_cents,open_cents,status" "$(cols claim_status)" "claim_status columns"
assert_eq "end_to_end_id,account_servicer_ref,booking_date,reference,amount_cents,method" "$(cols allocation_report)" "allocation_report columns"
assert_eq "end_to_end_id,account_servicer_ref,booking_date,amount_cents,reason" "$(cols clarification_report)" "clarification_report columns"
assert_eq "id,reference,amount_cents,open_cents,due_date" "$(cols claim_open)" "claim_open columns"
for t in input_files claims statements bank_transactions allocations clarifications schema_migrations; do
    assert_eq "BASE TABLE" "$(q "SELECT table_type FROM information_schema.tables WHERE table_schema = 'abgleich' AND table_name = '$t'")" "table $t"
done
for v in claim_status allocation_report clarification_report claim_open; do
    assert_eq "VIEW" "$(q "SELECT table_type FROM information_schema.tables WHERE table_schema = 'abgleich' AND table_name = '$v'")" "view $v"
done
# Money is integer cents: no float, no numeric in the tables and public views.
money=$(q "SELECT string_agg(c.table_name || '.' || c.column_name || ':' || c.data_type, ' ')
           FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
           WHERE c.table_schema = 'abgleich' AND c.column_name LIKE '%cents' AND c.data_type <> 'bigint'
             AND (t.table_type = 'BASE TABLE' OR t.table_name IN ('claim_status', 'allocation_report',
                  'clarification_report', 'claim_open'))")
assert_eq "" "$money" "money columns are bigint"
assert_eq "0" "$(q "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'abgleich' AND data_type IN ('real', 'double precision', 'money')")" "no floats anywhere"

# --- the ledger ----------------------------------------------------------------
q "INSERT INTO abgleich.input_files (id, kind, name, content_hash) VALUES (1, 'statement', 'x', 'h')"
q "INSERT INTO abgleich.claims (id, reference, amount_cents, due_date) VALUES (1, '400000010017', 2500, '2026-11-08'), (2, '400000020015', 3500, '2026-11-09')"
q "INSERT INTO abgleich.statements (id, file_id, account, stmt_id) VALUES (1, 1, 'DE44', 'S1')"
q "INSERT INTO abgleich.bank_transactions (file_id, seq, statement_id, amount_cents, direction, end_to_end_id, acct_svcr_ref, booking_date)
   VALUES (1, 1, 1, 2500, 'C', 'E2E-1', 'REF-1', '2026-11-03'), (1, 2, 1, 1000, 'C', 'E2E-2', 'REF-2', '2026-11-03')"
q "INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method) VALUES (1, 1, 1, 2500, 'exact_reference')"
q "INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents) VALUES (1, 2, 'amount_mismatch', 1000)"
assert_eq "400000010017|2500|2500|0|paid
400000020015|3500|0|3500|open" "$(q 'SELECT * FROM abgleich.claim_status ORDER BY reference')" "paid by the ledger"
assert_eq "2|400000020015|3500|3500|2026-11-09" "$(q 'SELECT * FROM abgleich.claim_open')" "claim_open lists what is open"
assert_eq "E2E-1|REF-1|2026-11-03|400000010017|2500|exact_reference" "$(q 'SELECT * FROM abgleich.allocation_report')" "allocation_report row"
assert_eq "E2E-2|REF-2|2026-11-03|1000|amount_mismatch" "$(q 'SELECT * FROM abgleich.clarification_report')" "clarification_report row"
q "INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method) VALUES (2, 1, 2, 1000, 'manual')"
assert_eq "400000020015|3500|1000|2500|partially_paid" "$(q "SELECT * FROM abgleich.claim_status WHERE reference = '400000020015'")" "partially paid"

for sql in "UPDATE abgleich.allocations SET amount_cents = 1" "DELETE FROM abgleich.allocations" "TRUNCATE abgleich.allocations CASCADE"; do
    if out=$(q "$sql" 2>&1); then fail "ledger accepted: $sql"; fi
    assert_match "append-only" "$out" "refusal of: $sql"
done
assert_eq "2" "$(q 'SELECT count(*) FROM abgleich.allocations')" "ledger unchanged"
# A correction is a new row that reverses the old one.
q "INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method, reverses) VALUES (1, 1, 1, -2500, 'reversal', (SELECT min(id) FROM abgleich.allocations))"
assert_eq "400000010017|2500|0|2500|open" "$(q "SELECT * FROM abgleich.claim_status WHERE reference = '400000010017'")" "open again after the reversal"
if q "INSERT INTO abgleich.claims (reference, amount_cents, due_date) VALUES ('X1', 0, '2026-11-08')" 2>/dev/null; then
    fail "a claim of 0 cents was accepted"
fi
# Keys are checked per statement (sql/014_bulk_keys.sql, for the ledger
# 018_ledger_keys.sql: row by row up to 1 000 rows, by anti-join above, so
# the second statement here takes the bulk path); records are kept.
for sql in "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) VALUES (999999, 100, 'manual')" \
           "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT CASE WHEN g = 1500 THEN 999999 ELSE 1 END, 1, 'manual' FROM generate_series(1, 2000) g" \
           "INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method) SELECT 1, 1, CASE WHEN g = 1500 THEN 99 ELSE 1 END, 1, 'manual' FROM generate_series(1, 2000) g" \
           "INSERT INTO abgleich.allocations (claim_id, amount_cents, method, reverses) VALUES (1, -100, 'manual_reversal', 999999)" \
           "INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method) VALUES (1, 1, 99, 100, 'manual')" \
           "INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents) VALUES (1, 99, 'no_reference', 100)" \
           "INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents, claim_id) VALUES (1, 2, 'amount_mismatch', 100, 999999)" \
           "INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents) SELECT 1, CASE WHEN g = 1500 THEN 99 ELSE 2 END, 'no_reference', 1 FROM generate_series(1, 2000) g" \
           "INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents, claim_id) SELECT 1, 2, 'amount_mismatch', 1, CASE WHEN g = 1500 THEN 999999 ELSE 1 END FROM generate_series(1, 2000) g" \
           "INSERT INTO abgleich.clarification_candidates (file_id, tx_seq, rank, claim_id, score, reason) VALUES (1, 2, 1, 999999, 50, 'amount')" \
           "INSERT INTO abgleich.clarification_candidates (file_id, tx_seq, rank, claim_id, score, reason) SELECT 1, g, 1, CASE WHEN g = 1500 THEN 999999 ELSE 1 END, 50, 'amount' FROM generate_series(1, 2000) g" \
           "INSERT INTO abgleich.claims (id, file_id, reference, amount_cents, due_date) VALUES (999, 999, 'X2', 100, '2026-11-08')" \
           "INSERT INTO abgleich.claims (id, file_id, reference, amount_cents, due_date) SELECT 10000 + g, CASE WHEN g = 1500 THEN 999 ELSE 1 END, 'B' || g, 100, '2026-11-08' FROM generate_series(1, 2000) g"; do
    if out=$(q "$sql" 2>&1); then fail "a row naming nothing was accepted: $sql"; fi
    assert_match "does not exist|violates foreign key" "$out" "refusal of: $sql"
done
for t in claims input_files bank_transactions statements clarifications; do
    if out=$(q "DELETE FROM abgleich.$t" 2>&1); then fail "$t: rows deleted"; fi
    assert_match "keeps its rows" "$out" "refusal of DELETE FROM $t"
    if q "TRUNCATE abgleich.$t CASCADE" 2>/dev/null; then fail "$t truncated"; fi
done
assert_eq "2" "$(q 'SELECT count(*) FROM abgleich.claims')" "claims unchanged"
assert_eq "3" "$(q 'SELECT count(*) FROM abgleich.allocations')" "no refused ledger row was kept"
if out=$(q "TRUNCATE abgleich.invoices CASCADE" 2>&1); then fail "invoices truncated"; fi
assert_match "keeps its rows" "$out" "refusal of TRUNCATE abgleich.invoices"
# A bulk statement whose keys all exist passes the anti-join path.
q "INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method) SELECT 2, 1, 2, 1, 'manual' FROM generate_series(1, 1001)"
assert_eq "1004" "$(q 'SELECT count(*) FROM abgleich.allocations')" "a bulk statement with good keys"
# The same for clarifications and candidates (sql/022_clarification_keys.sql),
# whose keys are fixed once written.
assert_eq "1001|1001" "$(psql -XAtq -v ON_ERROR_STOP=1 -c "BEGIN" \
    -c "INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents, claim_id)
        SELECT 1, 2, 'amount_mismatch', 1, 2 FROM generate_series(1, 1001)" \
    -c "INSERT INTO abgleich.clarification_candidates (file_id, tx_seq, rank, claim_id, score, reason)
        SELECT 1, g, 1, 2, 50, 'amount' FROM generate_series(1, 1001) g" \
    -c "SELECT (SELECT count(*) FROM abgleich.clarifications WHERE claim_id = 2),
               (SELECT count(*) FROM abgleich.clarification_candidates)" -c "ROLLBACK")" \
    "bulk clarifications and candidates with good keys"
assert_eq "0" "$(q "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN
    ('abgleich.clarifications'::regclass, 'abgleich.clarification_candidates'::regclass)")" \
    "their row-level keys are gone"
for sql in "INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents, claim_id) SELECT 1, 2, 'amount_mismatch', 1, CASE WHEN g = 1500 THEN 999999 ELSE 1 END FROM generate_series(1, 2000) g" \
           "INSERT INTO abgleich.clarification_candidates (file_id, tx_seq, rank, claim_id, score, reason) VALUES (1, 2, 1, 999999, 50, 'amount')"; do
    out=$(q "$sql" 2>&1) || true
    assert_match "the claim named does not exist" "$out" "the statement check refuses: $sql"
done
out=$(q "INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents) SELECT 1, CASE WHEN g = 1500 THEN 99 ELSE 2 END, 'no_reference', 1 FROM generate_series(1, 2000) g" 2>&1) || true
assert_match "the bank transaction named does not exist" "$out" "the bulk check refuses a missing transaction"
q "INSERT INTO abgleich.clarification_candidates (file_id, tx_seq, rank, claim_id, score, reason) VALUES (1, 2, 1, 2, 50, 'amount')"
for sql in "UPDATE abgleich.clarifications SET claim_id = 1" "UPDATE abgleich.clarifications SET tx_seq = 1" \
           "UPDATE abgleich.clarification_candidates SET claim_id = 1" \
           "UPDATE abgleich.claims SET id = 7 WHERE id = 2" "UPDATE abgleich.bank_transactions SET seq = 9 WHERE seq = 2" \
           "UPDATE abgleich.claims SET file_id = 99999 WHERE id = 2" \
           "UPDATE abgleich.bank_transactions SET statement_id = 99999 WHERE seq = 2"; do
    if out=$(q "$sql" 2>&1); then fail "a key was changed: $sql"; fi
    assert_match "keys are fixed once written" "$out" "refusal of: $sql"
done
q "DELETE FROM abgleich.clarification_candidates"

# --- failures ----------------------------------------------------------------------
expect_exit 4 $ABGLEICH --db "host=$TMP/nowhere port=1 user=abgleich dbname=abgleich" init
assert_eq 1 "$(wc -l <"$TMP/stderr")" "an unreachable database is reported on one line"
assert_match "^abgleich: error: database: .*nowhere" "$(cat "$TMP/stderr")" "the message names the socket"

# A newer database (a migration this binary does not know) is only a warning.
q "INSERT INTO abgleich.schema_migrations (version, name) VALUES (999, '999_future.sql')"
assert_eq '{"applied":0}' "$($ABGLEICH --json init 2>"$TMP/w.err")" "init with a future migration"
assert_match "999_future.sql" "$(cat "$TMP/w.err")" "the unknown migration is named"
q "DELETE FROM abgleich.schema_migrations WHERE version = 999"
# A version recorded under another file name is an error, not a skip.
q "UPDATE abgleich.schema_migrations SET name = '001_other.sql' WHERE version = 1"
expect_exit 4 $ABGLEICH init
assert_match "migration 1 is recorded as 001_other.sql" "$(cat "$TMP/stderr")" "name mismatch reported"
q "UPDATE abgleich.schema_migrations SET name = '001_schema.sql' WHERE version = 1"
expect_exit 0 $ABGLEICH init

# A common option with a bad value is refused before anything runs.
expect_exit 2 $ABGLEICH --log-format xml init
assert_match "--log-format takes plain or json" "$(cat $TMP/stderr)" "a bad --log-format is named"
