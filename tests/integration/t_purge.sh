#!/bin/bash
# Retention: purge removes the personal data of closed cases before a date
# and keeps every amount; a dry run (the default) changes nothing; open
# cases and open clarifications keep theirs; the ledger still refuses any
# other change.
# sql/082: a case under objection, at court or after a judgment keeps its
# data and its payer's, paid or not.
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

# sql/082: a case whose outcome is open keeps its data, paid or not: under
# objection, at court, after a judgment an acquittal sends the money back.
R=$FIXTURES/rules
K4=400000090049 K7=400000090065 K9=400000090104 K10=400000090112
$ABGLEICH import tickets --as-of 2026-11-05 $R/tickets.csv 2>/dev/null
$ABGLEICH escalate --as-of 2026-11-10 --letters /dev/null >/dev/null
for k in $K4 $K7 $K9 $K10; do
    $ABGLEICH case $k --driver-known --as-of 2026-11-10 >/dev/null
    $ABGLEICH case $k --objection --as-of 2026-11-11 >/dev/null
done
# K7: 38.50 EUR paid by bank, then at court; K10 paid by bank, under objection;
# K9 paid by hand, at court, judgment; K4 dismissed: closed.
cat > $TMP/k7.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>PRG-7</MsgId><CreDtTm>2027-01-11T22:00:00</CreDtTm></GrpHdr>
<Stmt><Id>PRG-7-S</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>2027-01-11T22:00:00</CreDtTm>
<Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2027-01-11</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">122.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2027-01-11</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">38.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>false</RvslInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2027-01-11</Dt></BookgDt><ValDt><Dt>2027-01-11</Dt></ValDt><AcctSvcrRef>PRG-7</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>PRG-7</EndToEndId></Refs><Amt Ccy="EUR">38.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<RltdPties><Dbtr><Nm>Karl Sieben</Nm></Dbtr><DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>Kassenzeichen $K7</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">83.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>false</RvslInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2027-01-11</Dt></BookgDt><ValDt><Dt>2027-01-11</Dt></ValDt><AcctSvcrRef>PRG-10</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>PRG-10</EndToEndId></Refs><Amt Ccy="EUR">83.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<RltdPties><Dbtr><Nm>Zora Zehn</Nm></Dbtr><DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>Kassenzeichen $K10</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
XML
$ABGLEICH reconcile $TMP/k7.xml >/dev/null 2>$TMP/k7.txt || fail "reconcile: $(cat $TMP/k7.txt)"
$ABGLEICH case $K7 --to-court --as-of 2027-01-12 >/dev/null
q "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 8350, 'manual' FROM abgleich.claims WHERE reference = '$K9'"
$ABGLEICH case $K9 --to-court --as-of 2027-01-12 >/dev/null
$ABGLEICH case $K9 --judgment 2027-01-12 --as-of 2027-01-13 >/dev/null
$ABGLEICH case $K4 --dismiss --as-of 2027-01-13 >/dev/null
assert_eq "objection court judgment dismissed" \
    "$(q "SELECT string_agg(stage, ' ' ORDER BY array_position(ARRAY['$K10','$K7','$K9','$K4'], reference)) FROM abgleich.claim_ledger WHERE reference IN ('$K10','$K7','$K9','$K4') AND open_cents <= 0")" \
    "all four paid (or nothing owed)"
$ABGLEICH purge --before 2027-02-01 --execute >/dev/null 2>&1
assert_eq "$K4:0 $K7:1 $K9:1 $K10:1" \
    "$(q "SELECT string_agg(reference || ':' || (plate IS NOT NULL)::int, ' ' ORDER BY reference) FROM abgleich.claims WHERE reference IN ('$K10','$K7','$K9','$K4')")" \
    "under objection, at court, after a judgment: the plate stays; the dismissed case loses it"
assert_eq "Karl Sieben|DE89370400440532013000|Kassenzeichen $K7/Zora Zehn|DE89370400440532013000|Kassenzeichen $K10" \
    "$(q "SELECT string_agg(debtor_name || '|' || coalesce(debtor_iban, '-') || '|' || coalesce(remittance, '-'), '/' ORDER BY debtor_name) FROM abgleich.bank_transactions WHERE end_to_end_id IN ('PRG-7', 'PRG-10')")" \
    "the payers of the open cases stay"
# acquitted at court: the refund goes to a payer still known
$ABGLEICH case $K7 --dismiss --as-of 2027-03-01 >/dev/null
assert_eq "overpayment|3850|Karl Sieben" \
    "$(q "SELECT k.reason || '|' || o.open_cents || '|' || t.debtor_name FROM abgleich.clarifications k JOIN abgleich.open_clarifications o ON o.id = k.id JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) JOIN abgleich.claims c ON c.id = k.claim_id WHERE c.reference = '$K7'")" \
    "the refund after the acquittal knows whom to pay"
