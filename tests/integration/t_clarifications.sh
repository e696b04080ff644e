#!/bin/bash
# The clerk's work list as a spreadsheet and back: the matching fixtures
# leave two clarifications (an ambiguous plate with two candidates, a
# payment with nothing usable); the CSV follows the German Excel
# convention; decisions typed into it come back through clarify --from,
# all or nothing, each bad row named as FILE:LINE: field: reason.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-23
M=$FIXTURES/matching
$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $M/tickets.csv 2>/dev/null
$ABGLEICH reconcile $M/statement.xml 2>/dev/null

$ABGLEICH clarifications -o $TMP/k.csv 2>/dev/null
assert_eq "efbbbf" "$(head -c 3 $TMP/k.csv | od -An -tx1 | tr -d ' \n')" "UTF-8 with a BOM"
head -1 $TMP/k.csv | grep -q $'^\xEF\xBB\xBFKlärfall;Datei;Umsatz;Buchungstag;Grund;Betrag;Offen;' || fail "German headers with ';': $(head -1 $TMP/k.csv)"
assert_eq 3 "$(wc -l < $TMP/k.csv)" "a header and two clarifications"
grep -q $'\r$' $TMP/k.csv || fail "CRLF line ends"
k3=$(q "SELECT k.id FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = 'M-003'")
row3=$(grep "^$k3;" $TMP/k.csv)
printf '%s\n' "$row3" | grep -q ";mehrdeutig (ambiguous);25,00;25,00;M-003;" || fail "reason in words, amounts with a decimal comma: $row3"
printf '%s\n' "$row3" | grep -q ";400000010033;50;Kennzeichen und Betrag (plate_and_amount);400000010041;50;Kennzeichen und Betrag (plate_and_amount);" || fail "ranked candidates: $row3"

$ABGLEICH --lang en clarifications -o $TMP/en.csv 2>/dev/null
head -1 $TMP/en.csv | grep -q "Clarification;File;Transaction;Booking day;Reason;Amount;Open;" || fail "English headers"
grep -q ";ambiguous;25,00;.*;plate and amount (plate_and_amount);" $TMP/en.csv || fail "English words: $(cat $TMP/en.csv)"

# The same list as XLSX: a zip with the sheet, the headers, the candidates,
# amounts as =CENTS/100 formulas.
$ABGLEICH clarifications --format xlsx -o $TMP/k.xlsx 2>/dev/null
unzip -l $TMP/k.xlsx | grep -q "xl/worksheets/sheet1.xml" || fail "an xlsx workbook"
unzip -p $TMP/k.xlsx xl/worksheets/sheet1.xml > $TMP/sheet.xml
for want in "Klärfall" "Entscheidung" "400000010041" "Kennzeichen und Betrag (plate_and_amount)" "mehrdeutig (ambiguous)" "<f>2500/100</f>"; do
    grep -q "$want" $TMP/sheet.xml || fail "xlsx holds $want"
done

# A row with a bad action: the whole sheet is refused, nothing changes.
k8=$(q "SELECT k.id FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = 'M-008'")
sed -e "s/^\($k3;.*\);;;;\r\$/\1;zuordnen;4000 0001 0033;;Frau Kluge\r/" \
    -e "s/^\($k8;.*\);;;;\r\$/\1;verschenken;;;\r/" $TMP/k.csv > $TMP/bad.csv
set +e; $ABGLEICH clarify --from $TMP/bad.csv 2>$TMP/err.txt; rc=$?; set -e
assert_eq 3 "$rc" "a sheet with a bad row is refused (exit 3: data rejected)"
grep -q "bad.csv:3: Entscheidung: not zuordnen/allocate, erstatten/refund or schließen/close" $TMP/err.txt || fail "FILE:LINE: field: reason: $(cat $TMP/err.txt)"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.allocations WHERE method IN ('manual', 'refund')")" "nothing recorded from a refused sheet"

# The same sheet with a refund: both decisions recorded, with the clerk.
sed -e "s/^\($k3;.*\);;;;\r\$/\1;zuordnen;4000 0001 0033;;Frau Kluge\r/" \
    -e "s/^\($k8;.*\);;;;\r\$/\1;erstatten;;;\r/" $TMP/k.csv > $TMP/good.csv
$ABGLEICH clarify --from $TMP/good.csv --by "Herr Sommer" 2>/dev/null
# The ledger names the login (sql/056); the clerk's name is in the text.
me=$(q "SELECT session_user")
assert_eq "manual|2500|$me|$k3|Frau Kluge (Login $me).
refund|1234|$me|$k8|Herr Sommer (Login $me)." \
    "$(q "SELECT method, amount_cents, created_by, clarification_id, regexp_replace(explanation, '^.* (durch|von) ', '') FROM abgleich.allocations WHERE method IN ('manual', 'refund') ORDER BY method")" \
    "decisions from the sheet, each with its clerk"
assert_eq "paid" "$(q "SELECT status FROM abgleich.claim_status WHERE reference = '400000010033'")" "the claim decided on is paid"
assert_eq 1 "$(wc -l < <($ABGLEICH clarifications -o - 2>/dev/null))" "the list is empty now (header only)"

# Decisions from an XLSX as Excel saves it (shared strings, rich text split
# into runs, the amount as a number, "Offen" as a formula with its value):
# the work list is open again after a reversal, and a sheet with two
# decisions for it is read back.
manual=$(q "SELECT id FROM abgleich.allocations WHERE method = 'manual'")
$ABGLEICH clarify --reverse $manual --by "Frau Kluge" 2>/dev/null
mkdir -p $TMP/x/xl/worksheets
cat > $TMP/x/xl/sharedStrings.xml <<XML
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="6">
<si><t>Klärfall</t></si><si><t>Entscheidung</t></si><si><t>Forderung</t></si>
<si><t>Betrag Entscheidung</t></si><si><r><t>Frau </t></r><r><t>Kluge</t></r></si><si><t>zuordnen</t></si>
<si><t>Bearbeiter</t></si><si><t>4000 0001 0041</t></si><si><t>Offen</t></si>
</sst>
XML
cat > $TMP/x/xl/worksheets/sheet1.xml <<XML
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="G1" t="s"><v>8</v></c><c r="T1" t="s"><v>1</v></c><c r="U1" t="s"><v>2</v></c><c r="V1" t="s"><v>3</v></c><c r="W1" t="s"><v>6</v></c></row>
<row r="2"><c r="A2"><v>$k3</v></c><c r="G2"><f>2500/100</f><v>25</v></c><c r="T2" t="s"><v>5</v></c><c r="U2" t="s"><v>7</v></c><c r="V2"><v>12.5</v></c><c r="W2" t="s"><v>4</v></c></row>
</sheetData></worksheet>
XML
(cd $TMP/x && zip -qr ../decisions.xlsx xl)
$ABGLEICH clarify --from $TMP/decisions.xlsx 2>$TMP/xerr.txt || fail "xlsx decisions: $(cat $TMP/xerr.txt)"
assert_eq "1250|$me|Frau Kluge (Login $me)." "$(q "SELECT amount_cents, created_by, regexp_replace(explanation, '^.* (durch|von) ', '') FROM abgleich.allocations WHERE method = 'manual' AND id > $manual ORDER BY id DESC LIMIT 1")" \
    "a decision from an XLSX: 12,50 EUR to ...041 by the clerk named in the sheet"
assert_eq "partially_paid" "$(q "SELECT status FROM abgleich.claim_status WHERE reference = '400000010041'")" "part of it"
printf 'not a zip' > $TMP/bad.xlsx
set +e; $ABGLEICH clarify --from $TMP/bad.xlsx 2>$TMP/err.txt; rc=$?; set -e
assert_eq 3 "$rc" "a damaged workbook is rejected"
grep -q "bad.xlsx: not a readable XLSX workbook" $TMP/err.txt || fail "says why: $(cat $TMP/err.txt)"

# A refund row names no claim: the next night loads the claims from the
# snapshot plus what changed since, refund included, and runs (it could not
# start while claimsnap_changes returned the refund as a change of claim NULL).
$ABGLEICH --verbose reconcile $FIXTURES/spine/statement_2_v02.xml 2>$TMP/next.txt ||
    fail "the next night after a refund: $(cat $TMP/next.txt)"
grep -q "claims: .* from the snapshot" $TMP/next.txt || fail "the snapshot served: $(grep -i snapshot $TMP/next.txt)"
