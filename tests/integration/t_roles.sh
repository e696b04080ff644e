#!/bin/bash
# Least privilege: init creates the groups abgleich_fines, abgleich_treasury
# and abgleich_readonly; a person connecting as a member of each can do the
# work of that office and is refused the others'.  What it writes to the
# ledger and the claim events bears its own login, not a name it chose
# (sql/056).
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-23
M=$FIXTURES/matching
$ABGLEICH init 2>/dev/null
for g in fines treasury readonly; do
    psql -XAtq -d postgres -c "DO \$\$ BEGIN CREATE ROLE t_roles_$g LOGIN IN ROLE abgleich_$g;
        EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
done
as() { local who=$1; shift; ABGLEICH_DB="$ABGLEICH_DB user=t_roles_$who" "$ABGLEICH" "$@"; }
refused() { # refused WHO WHAT COMMAND...: must fail with a database error (exit 4)
    local who=$1 what=$2; shift 2
    set +e; as $who "$@" >/dev/null 2>$TMP/err.txt; local rc=$?; set -e
    [ $rc -eq 4 ] || fail "$who may not $what (exit $rc): $(cat $TMP/err.txt)"
    grep -q "permission denied" $TMP/err.txt || fail "$who/$what: says why: $(cat $TMP/err.txt)"
}

# The readonly group and the treasury cannot create claims; the fines office can.
refused readonly "import tickets" import tickets $M/tickets.csv
refused treasury "import tickets" import tickets $M/tickets.csv
as fines import tickets $M/tickets.csv 2>$TMP/err.txt
assert_eq 7 "$(q 'SELECT count(*) FROM abgleich.claims')" "the fines office imported the claims"
assert_eq "t_roles_fines" "$(q "SELECT imported_by FROM abgleich.input_files WHERE kind = 'tickets'")" \
    "the ticket file names the login that imported it (sql/056)"
# and, though it does not own the tables, analyzed them (sql/019_stats.sql)
grep -q "statistics" $TMP/err.txt && fail "refresh_stats as the fines office: $(cat $TMP/err.txt)"
assert_eq "t" "$(q "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relid = 'abgleich.claims'::regclass")" \
    "the claims were analyzed right after the import"

# Statements: the fines office and the readonly group are refused.
refused fines "reconcile" reconcile $M/statement.xml
refused readonly "reconcile" reconcile $M/statement.xml
assert_eq 0 "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "nothing of the refused runs stayed"
as treasury reconcile $M/statement.xml 2>/dev/null
assert_eq 5 "$(q "SELECT count(*) FROM abgleich.allocations WHERE amount_cents > 0")" "the treasury reconciled"

# The name on a ledger row is the login that wrote it (sql/056): the night's
# COPY names the treasury login, and a login cannot write another name, an
# id or a time of its choice, by INSERT or COPY; SET ROLE to the group does
# not hide it either.
assert_eq "t_roles_treasury" "$(q "SELECT string_agg(DISTINCT created_by, ',') FROM abgleich.allocations")" \
    "the reconcile's ledger rows name the treasury login"
sqlas() { psql -XAtq -v ON_ERROR_STOP=1 -U t_roles_$1 -c "$2" 2>&1 </dev/null; }
sql_refused() { # sql_refused WHO SQL MESSAGE: refused for want of a privilege
    local out rc
    set +e; out=$(sqlas "$1" "$2"); rc=$?; set -e
    [ $rc -ne 0 ] && echo "$out" | grep -q "permission denied" || fail "$3 ($1): ${out:-not refused}"
}
c1=$(q "SELECT id FROM abgleich.claims ORDER BY id LIMIT 1")
assert_eq "t_roles_treasury" "$(q "SELECT imported_by FROM abgleich.input_files WHERE kind = 'statement'")" \
    "the statement file names the login that imported it"
for g in treasury fines; do
    sql_refused $g "INSERT INTO abgleich.input_files (kind, name, content_hash, imported_by) VALUES ('statement', 'x', 'x', 't_roles_treasury2')" \
        "a file imported under another name"
done
sql_refused treasury "INSERT INTO abgleich.allocations (claim_id, amount_cents, method, created_by) VALUES ($c1, 100, 'manual', 't_roles_treasury2')" \
    "a ledger row under a colleague's name"
sql_refused treasury "COPY abgleich.allocations (claim_id, amount_cents, method, created_by) FROM STDIN" \
    "a COPY naming who wrote the ledger rows"
sql_refused treasury "INSERT INTO abgleich.allocations (claim_id, amount_cents, method, created_at) VALUES ($c1, 100, 'manual', now() - interval '1 year')" \
    "a ledger row dated by hand"
sql_refused treasury "INSERT INTO abgleich.allocations (id, claim_id, amount_cents, method) VALUES (1000000, $c1, 100, 'manual')" \
    "a ledger row with an id of its choice"
# The outbox that tells departments a claim is paid is written by the
# ledger's trigger only (sql/056): the run wrote its rows as the treasury
# login, and neither group may add one by SQL.
assert_eq "paid:4 unpaid:1" "$(q "SELECT string_agg(topic || ':' || n, ' ' ORDER BY topic) FROM (SELECT topic, count(*) AS n FROM abgleich.outbox GROUP BY topic) o")" \
    "the run's feedback: four claims paid, one of them open again (its payment reversed)"
for g in treasury fines; do
    sql_refused $g "INSERT INTO abgleich.outbox (topic, reference, claim_id, payload) VALUES ('paid', 'X', $c1, '{}')" \
        "a paid notice for the departments forged by SQL"
done
assert_eq "t_roles_treasury" "$(psql -XAtq -v ON_ERROR_STOP=1 -U t_roles_treasury -c "BEGIN" -c "SET ROLE abgleich_treasury" \
    -c "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) VALUES ($c1, 1, 'manual') RETURNING created_by" -c "ROLLBACK")" \
    "a row written by SQL after SET ROLE names the login, not the group"

# A dismissal by the fines office of a claim paid in part (10 of 20 EUR): the
# money becomes a clarification for the treasury (sql/028_events_settle.sql),
# which the fines office could not write itself.
as fines case 400000010050 --dismiss --as-of 2026-11-23 >/dev/null 2>$TMP/err.txt ||
    fail "the fines office dismisses a paid claim: $(cat $TMP/err.txt)"
assert_eq "overpayment|1000" "$(q "SELECT k.reason, k.amount_cents FROM abgleich.clarifications k JOIN abgleich.claims c ON c.id = k.claim_id WHERE c.reference = '400000010050'")" \
    "its 10 EUR wait for the treasury"
# The event and the surplus it moved off the claim (written by the owner's
# SECURITY DEFINER trigger, sql/035) name the fines login; the fines login
# cannot name another.
assert_eq "t_roles_fines|t_roles_fines" "$(q "SELECT e.created_by || '|' || a.created_by FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id JOIN abgleich.allocations a ON a.claim_id = c.id AND a.method = 'surplus_to_clarification' WHERE c.reference = '400000010050' AND e.state = 'dismissed'")" \
    "who dismissed the claim, on the event and on the surplus moved"
assert_match "^dismissed by t_roles_fines$" "$(q "SELECT e.reason FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '400000010050' AND e.state = 'dismissed'")" \
    "without --by the reason names the login, not \$USER"
sql_refused fines "INSERT INTO abgleich.claim_events (claim_id, event_date, state_from, state, reason, created_by) VALUES ($c1, '2026-11-23', 'warning', 'hearing', 'x', 't_roles_treasury')" \
    "a claim event under another login's name"
sql_refused fines "INSERT INTO abgleich.claim_events (claim_id, event_date, state_from, state, reason, created_at) VALUES ($c1, '2026-11-23', 'warning', 'hearing', 'x', now() - interval '1 year')" \
    "a claim event dated by hand"
assert_eq "t_roles_fines" "$(psql -XAtq -v ON_ERROR_STOP=1 -U t_roles_fines -c "BEGIN" -c "SET ROLE abgleich_fines" \
    -c "INSERT INTO abgleich.claim_events (claim_id, event_date, state_from, state, reason) VALUES ($c1, '2026-11-23', 'warning', 'hearing', 'x') RETURNING created_by" -c "ROLLBACK")" \
    "a claim event written by SQL names the login"

# Clarifications: only the treasury decides.
k8=$(q "SELECT k.id FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = 'M-008'")
refused fines "decide a clarification" clarify $k8 --refund
refused readonly "decide a clarification" clarify $k8 --refund
as treasury clarify $k8 --refund --by "Herr Sommer" 2>/dev/null
assert_eq 1 "$(q "SELECT count(*) FROM abgleich.allocations WHERE method = 'refund'")" "the treasury decided"
assert_eq "t_roles_treasury|Herr Sommer (Login t_roles_treasury)." "$(q "SELECT created_by, regexp_replace(explanation, '^.* von ', '') FROM abgleich.allocations WHERE method = 'refund'")" \
    "the decision names the login; the name given to --by is in its text, beside the login"

# Reading is open to all three: report, explain, the account view, the list.
for g in readonly fines treasury; do
    as $g report -o $TMP/r_$g.html 2>/dev/null || fail "$g may read the report"
    as $g explain M-001 >/dev/null 2>&1 || fail "$g may read an explanation"
    as $g account --reference 400000010050 >/dev/null 2>&1 || fail "$g may read an account"
done
as readonly clarifications -o $TMP/k.csv 2>/dev/null || fail "readonly may export the work list"

# Nobody may rewrite the ledger, whatever the group.
set +e; psql -XAtq -U t_roles_treasury -c "UPDATE abgleich.allocations SET amount_cents = 1" >/dev/null 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "the ledger refuses an UPDATE from the treasury"

# E-invoices are the treasury's: it imports them (a duplicate too), a second
# treasury login approves (never the importing one), and it pays them.
E=$FIXTURES/einvoice
refused fines "import invoices" import invoices $E/ubl/xrts__xr30_380_basic_sepa58.xml
as treasury import invoices $E/ubl/xrts__xr30_380_basic_sepa58.xml 2>/dev/null ||
    fail "the treasury imports an invoice"
assert_eq "t_roles_treasury" "$(q "SELECT string_agg(DISTINCT received_by, ',') FROM abgleich.invoice_documents")" "who received the document"
sql_refused treasury "INSERT INTO abgleich.invoice_documents (name, sha256, size_bytes, content, outcome, received_by) VALUES ('x', 'x', 1, 'x', 'rejected', 't_roles_treasury2')" \
    "a document received under another name"
set +e; as treasury import invoices $E/cii/xrts__xr30_380_basic_sepa58.xml 2>$TMP/err.txt; rc=$?; set -e
[ $rc -eq 3 ] && grep -q "duplicate: invoice 123456XX" $TMP/err.txt || fail "the treasury's duplicate is archived as one (exit $rc): $(cat $TMP/err.txt)"
psql -XAtq -d postgres -c "DO \$\$ BEGIN CREATE ROLE t_roles_treasury2 LOGIN IN ROLE abgleich_treasury;
    EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
set +e; as treasury approve 123456XX 2>$TMP/err.txt; rc=$?; set -e
[ $rc -eq 3 ] && grep -q "four eyes" $TMP/err.txt || fail "the importing login may not approve (exit $rc): $(cat $TMP/err.txt)"
refused readonly "approve" approve 123456XX
# Who last changed an invoice's payment terms is the database's to write
# (sql/075): a treasury login naming another, so as to approve its own
# change of the payee account, is refused, as is every other group.
for g in treasury treasury2 fines readonly; do
    sql_refused $g "UPDATE abgleich.invoices SET terms_by = 't_roles_treasury' WHERE invoice_number = '123456XX'" \
        "who changed the payment terms named by hand"
done
# Nor the list of every login that changed them (sql/083).
for g in treasury treasury2 fines readonly; do
    sql_refused $g "UPDATE abgleich.invoices SET terms_logins = '{}' WHERE invoice_number = '123456XX'" \
        "the list of who changed the payment terms emptied by hand"
done
as treasury2 approve 123456XX 2>/dev/null || fail "a second treasury login approves"
assert_eq "approved|t_roles_treasury2|t_roles_treasury" "$(q "SELECT status || '|' || approved_by || '|' || imported_by FROM abgleich.invoices WHERE invoice_number = '123456XX'")" \
    "who imported and who approved, as the database knows them"
as treasury pay --due-by 2026-12-31 --out $TMP/pain.xml --account DE02120300000000202051 --name X 2>$TMP/err.txt ||
    fail "the treasury pays: $(cat $TMP/err.txt)"
assert_eq "in_payment" "$(q "SELECT status FROM abgleich.invoices WHERE invoice_number = '123456XX'")" "in payment"
