#!/bin/bash
# A clerk's decisions must not make money (found by the clerk audit): on
# the matching fixtures (M-005 pays claim ...050 10 EUR exactly; M-006 is
# paid and reversed by the bank; clarifications M-003 25 EUR, M-008 12,34).
# 1. an allocation of a claim lowered after the payment (its surplus moved
#    to an overpayment clarification, sql/035) is not reversed: the money
#    would be in the clerk's queue twice;
# 4. only the engine's allocations, offsets and a clerk's own decisions can
#    be reversed by hand, not the rows of the bank or the lifecycle;
# 6. a refund's limit names no claim;
# 2. a decisions sheet is read once; a row whose "Offen" is not what is open
#    now (a stale or overlapping sheet), or a second row for one
#    clarification, refuses the sheet;
# 5. amounts as Excel saves them: 12.300000000000001, 7.0000000000000007E-2,
#    1.2E1 in a numeric XLSX cell; "5,00 €" in a CSV;
# 7. a decision that waited for the reconcile lock is dated after the rows
#    written meanwhile (the lock before the transaction, fines_lock).
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-23
M=$FIXTURES/matching
$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $M/tickets.csv 2>/dev/null
$ABGLEICH reconcile $M/statement.xml 2>/dev/null
ledger() { q "SELECT count(*) || '|' || sum(amount_cents) FROM abgleich.allocations"; }
open_sum() { q "SELECT coalesce(sum(open_cents), 0) FROM abgleich.open_clarifications"; }
clar() { q "SELECT k.id FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = '$1' AND k.reason LIKE '${2:-%}'"; }
alloc() { q "SELECT a.id FROM abgleich.allocations a JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE t.end_to_end_id = '$1' AND a.method = '$2'"; }

# 1. Claim ...050 (10 EUR, paid by M-005) is dismissed: the 10 EUR leave it
# for an overpayment clarification.  Its allocation stays.
$ABGLEICH case 400000010050 --dismiss >/dev/null 2>&1
over=$(q "SELECT id FROM abgleich.clarifications WHERE reason = 'overpayment'")
[ -n "$over" ] || fail "the dismissal made an overpayment clarification"
auto=$(alloc M-005 exact_reference)
before="$(ledger)|$(open_sum)"
expect_exit 3 $ABGLEICH clarify --reverse $auto --by "Frau Kluge"
grep -q "cannot be reversed: claim 400000010050 holds only 0,00 EUR of this payment" $TMP/stderr ||
    fail "says why: $(cat $TMP/stderr)"
grep -q "overpayment clarification #$over" $TMP/stderr && grep -q "clarify $over --refund" $TMP/stderr ||
    fail "says what to do instead: $(cat $TMP/stderr)"
assert_eq "$before" "$(ledger)|$(open_sum)" "nothing changed; the 10 EUR are open once"
assert_eq "1000" "$(q "SELECT open_cents FROM abgleich.open_clarifications WHERE id = $over")" \
    "the overpayment clarification holds the 10 EUR"
# Deciding that clarification is the way: refunded, the money is gone once.
$ABGLEICH clarify $over --refund --by "Frau Kluge" 2>/dev/null
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.open_clarifications WHERE id = $over")" "the overpayment refunded"

# 4. The bank's reversal of M-006 and the lifecycle's move are not a
# clerk's to take back; each refusal says why.
rev=$(alloc M-006 reversal)
expect_exit 3 $ABGLEICH clarify --reverse $rev
grep -q "allocation #$rev (reversal) cannot be reversed by hand: it records the bank taking the money back" $TMP/stderr ||
    fail "a bank's reversal: $(cat $TMP/stderr)"
move=$(q "SELECT id FROM abgleich.allocations WHERE method = 'surplus_to_clarification'")
expect_exit 3 $ABGLEICH clarify --reverse $move
grep -q "(surplus_to_clarification) cannot be reversed by hand: .*decide that clarification instead" $TMP/stderr ||
    fail "the lifecycle's move: $(cat $TMP/stderr)"
expect_exit 1 $ABGLEICH clarify --reverse $(alloc M-006 exact_reference)
grep -q "reversed already" $TMP/stderr || fail "reversed by the bank already: $(cat $TMP/stderr)"
before="$(ledger)"
expect_exit 1 $ABGLEICH clarify --reverse 999999
assert_eq "$before" "$(ledger)" "refused reversals write nothing"
# What a clerk may reverse still is: an automatic allocation of a claim
# that holds it (M-004), and a decision of their own (the refund above).
$ABGLEICH clarify --reverse $(alloc M-004 exact_reference) 2>/dev/null || fail "reversing an automatic allocation"
$ABGLEICH clarify --reverse $(q "SELECT id FROM abgleich.allocations WHERE method = 'refund'") 2>/dev/null ||
    fail "reversing a refund"
assert_eq "1000" "$(q "SELECT open_cents FROM abgleich.open_clarifications WHERE id = $over")" \
    "the refund reversed: the overpayment is open again"

# 6. A refund's limit: the clarification's, no claim's.
k8=$(clar M-008)
expect_exit 3 $ABGLEICH clarify $k8 --refund --amount 12,5
grep -q "at most 12,34 EUR (clarification)$" $TMP/stderr || fail "the clarification's limit only: $(cat $TMP/stderr)"
! grep -q "92.233.720" $TMP/stderr || fail "no limit of no claim: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH clarify $(clar M-003) --claim 400000010033 --amount 30
grep -q "at most 25,00 EUR (clarification) and 25,00 EUR (claim)" $TMP/stderr || fail "both limits with a claim: $(cat $TMP/stderr)"
# 3. "1.000" is a thousand euros to one clerk and one to another: refused.
expect_exit 2 $ABGLEICH clarify $k8 --refund --amount 1.000
grep -q "not an amount in euros: '1.000'" $TMP/stderr || fail "an ambiguous amount: $(cat $TMP/stderr)"

# 2. The work list as it is now, two decisions typed in (an amount with the
# currency a spreadsheet's format adds: 5.): read in once.
k3=$(clar M-003)
$ABGLEICH clarifications -o $TMP/k.csv 2>/dev/null
sed -e "s/^\($k8;.*\);;;;\r\$/\1;erstatten;;5,00 €;Frau Kluge\r/" \
    -e "s/^\($k3;.*\);;;;\r\$/\1;zuordnen;400000010033;10,00 EUR;Frau Kluge\r/" $TMP/k.csv > $TMP/d1.csv
$ABGLEICH clarify --from $TMP/d1.csv 2>$TMP/err.txt || fail "the sheet: $(cat $TMP/err.txt)"
assert_eq "manual|1000 refund|500" "$(q "SELECT string_agg(method || '|' || amount_cents, ' ' ORDER BY id) FROM abgleich.allocations WHERE clarification_id IN ($k8, $k3) AND created_by = session_user AND explanation LIKE '%Frau Kluge (Login ' || session_user || ').'")" \
    "5,00 € refunded, 10,00 EUR allocated"
assert_eq "decisions|$TMP/d1.csv" "$(q "SELECT kind || '|' || name FROM abgleich.input_files WHERE kind = 'decisions'")" \
    "the sheet is recorded as read"
before="$(ledger)|$(open_sum)"
expect_exit 3 $ABGLEICH clarify --from $TMP/d1.csv
grep -q "d1.csv: this sheet was read in already" $TMP/stderr || fail "the same sheet again: $(cat $TMP/stderr)"
assert_eq "$before" "$(ledger)|$(open_sum)" "the same sheet twice: nothing booked twice"
# The same decisions in a copy saved again (other bytes), or a list written
# before them: the "Offen" of the sheet is not what is open now.
sed 's/Frau Kluge/Herr Sommer/g' $TMP/d1.csv > $TMP/d1b.csv
expect_exit 3 $ABGLEICH clarify --from $TMP/d1b.csv
grep -q "clarification #$k8: the sheet says 12,34 EUR open, but 7,34 EUR are open now" $TMP/stderr ||
    fail "a stale sheet: $(cat $TMP/stderr)"
grep -q "d1b.csv:[0-9]*: decision: refused" $TMP/stderr && grep -q "2 rows refused; nothing was changed" $TMP/stderr ||
    fail "each row named, nothing changed: $(cat $TMP/stderr)"
assert_eq "$before" "$(ledger)|$(open_sum)" "a stale sheet changes nothing"
# A fresh list with two rows for one clarification: refused.
$ABGLEICH clarifications -o $TMP/k2.csv 2>/dev/null
row8=$(grep "^$k8;" $TMP/k2.csv | sed "s/;;;;\r\$/;erstatten;;1,00;K\r/")
{ cat $TMP/k2.csv; printf '%s\n' "$row8"; } | sed "s/^\($k8;.*\);;;;\r\$/\1;erstatten;;2,00;K\r/" > $TMP/d2.csv
expect_exit 3 $ABGLEICH clarify --from $TMP/d2.csv
grep -Eq "d2.csv:[0-9]+: Klärfall: clarification #$k8 is decided on line [0-9]+ already" $TMP/stderr ||
    fail "two rows for one clarification: $(cat $TMP/stderr)"
assert_eq "$before" "$(ledger)|$(open_sum)" "nothing from a sheet with a repeated clarification"
# A sheet without the "Offen" column cannot be checked: refused.
cut -d';' -f1-6,8- $TMP/k2.csv > $TMP/noopen.csv
expect_exit 3 $ABGLEICH clarify --from $TMP/noopen.csv
grep -q 'header: no "Offen" ("Open") column' $TMP/stderr || fail "no Offen column: $(cat $TMP/stderr)"

# 5. The XLSX abgleich writes carries the amounts' values for a reader that
# does not recalculate (it had 0: every row would look stale).
$ABGLEICH clarifications --format xlsx -o $TMP/k.xlsx 2>/dev/null
unzip -p $TMP/k.xlsx xl/worksheets/sheet1.xml | grep -q "<f>734/100</f><v>7.34</v>" ||
    fail "the formula's cached value: $(unzip -p $TMP/k.xlsx xl/worksheets/sheet1.xml | grep -o '<f>734/100</f>.\{0,12\}')"
# Decisions in numeric cells as Excel saves them: binary noise and
# exponents; "Offen" as numbers too.
k4=$(clar M-004 reopened)
mkdir -p $TMP/x/xl/worksheets
cat > $TMP/x/xl/sharedStrings.xml <<XML
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<si><t>Klärfall</t></si><si><t>Offen</t></si><si><t>Entscheidung</t></si><si><t>Forderung</t></si>
<si><t>Betrag Entscheidung</t></si><si><t>Bearbeiter</t></si><si><t>erstatten</t></si>
<si><t>zuordnen</t></si><si><t>400000010033</t></si><si><t>RF18539007547034</t></si><si><t>Frau Kluge</t></si>
</sst>
XML
cat > $TMP/x/xl/worksheets/sheet1.xml <<XML
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="G1" t="s"><v>1</v></c><c r="T1" t="s"><v>2</v></c><c r="U1" t="s"><v>3</v></c><c r="V1" t="s"><v>4</v></c><c r="W1" t="s"><v>5</v></c></row>
<row r="2"><c r="A2"><v>$k8</v></c><c r="G2"><f>734/100</f><v>7.3399999999999999</v></c><c r="T2" t="s"><v>6</v></c><c r="V2"><v>7.0000000000000007E-2</v></c><c r="W2" t="s"><v>10</v></c></row>
<row r="3"><c r="A3"><v>$k3</v></c><c r="G3" t="n"><v>1.5E1</v></c><c r="T3" t="s"><v>7</v></c><c r="U3" t="s"><v>8</v></c><c r="V3"><v>12.300000000000001</v></c><c r="W3" t="s"><v>10</v></c></row>
<row r="4"><c r="A4"><v>$k4</v></c><c r="G4"><v>30</v></c><c r="T4" t="s"><v>7</v></c><c r="U4" t="s"><v>9</v></c><c r="V4"><v>1.2E1</v></c><c r="W4" t="s"><v>10</v></c></row>
</sheetData></worksheet>
XML
(cd $TMP/x && zip -qr ../d3.xlsx xl)
$ABGLEICH clarify --from $TMP/d3.xlsx 2>$TMP/err.txt || fail "numbers as Excel saves them: $(cat $TMP/err.txt)"
assert_eq "$k8|refund|7 $k3|manual|1230 $k4|manual|1200" \
    "$(q "SELECT string_agg(clarification_id || '|' || method || '|' || amount_cents, ' ' ORDER BY id) FROM abgleich.allocations WHERE id > (SELECT max(id) - 3 FROM abgleich.allocations)")" \
    "0,07 EUR refunded, 12,30 and 12,00 EUR allocated"
# Half a cent is not an amount anybody typed: refused, not rounded.
sed -e 's|<v>7.0000000000000007E-2</v>|<v>0.125</v>|' -e 's|7.3399999999999999|7.27|' \
    -e "s|<row r=\"3\">.*</row>||; s|<row r=\"4\">.*</row>||" $TMP/x/xl/worksheets/sheet1.xml > $TMP/s.xml
mv $TMP/s.xml $TMP/x/xl/worksheets/sheet1.xml
(cd $TMP/x && zip -qr ../d4.xlsx xl)
expect_exit 3 $ABGLEICH clarify --from $TMP/d4.xlsx
grep -q "d4.xlsx:2: Betrag Entscheidung: not an amount" $TMP/stderr || fail "half a cent: $(cat $TMP/stderr)"

# 7. A decision that waited for the reconcile lock (a night run, escalate)
# is dated after what the holder wrote meanwhile: the lock is taken before
# the decision's transaction begins (fines_lock), so its created_at (the
# transaction's start) follows theirs, which the letters' "already paid"
# counts by.  Before, the transaction began first and the allocation came
# out dated before the rows it had waited for.
advisory() { q "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database() AND l.granted = $1"; }
wait_for() { local n=0; until [ "$(advisory $1)" = 1 ]; do n=$((n + 1)); [ $n -lt 300 ] || fail "no advisory lock granted=$1"; sleep 0.1; done; }
rm -f $TMP/holder && mkfifo $TMP/holder
psql -XAtq -v ON_ERROR_STOP=1 <$TMP/holder >$TMP/holder.out 2>&1 &
hp=$!
exec 3>$TMP/holder
echo "SELECT pg_advisory_lock(hashtext('abgleich.reconcile'));" >&3
wait_for true
$ABGLEICH clarify $k8 --refund --amount 0,01 --by "Frau Kluge" >/dev/null 2>$TMP/race.txt &
cp=$!
wait_for false
sleep 0.3 # the clerk's process is waiting; what the holder writes now comes first
echo "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 100, 'manual' FROM abgleich.claims WHERE reference = '400000010033';" >&3
echo "SELECT pg_advisory_unlock(hashtext('abgleich.reconcile'));" >&3
exec 3>&-
wait $hp || fail "the session holding the lock: $(cat $TMP/holder.out)"
wait $cp || fail "the decision that waited: $(cat $TMP/race.txt)"
assert_eq "t" "$(q "SELECT (SELECT created_at FROM abgleich.allocations WHERE clarification_id = $k8 AND amount_cents = 1 AND method = 'refund') > (SELECT max(created_at) FROM abgleich.allocations WHERE claim_id IS NOT NULL AND method = 'manual' AND amount_cents = 100)")" \
    "the decision is dated after the rows it waited for"
