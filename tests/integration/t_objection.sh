#!/bin/bash
# The objection (Einspruch) against a notice (sql/048_objection.sql,
# docs/fines.md): within the objection period `case --objection` stops the
# notice from becoming final and from being dunned; a late one is refused
# (§ 70 OWiG); an objection is only against a fine or cost notice; its
# withdrawal makes the notice final that day, due 14 days later; a
# dismissal ends the case; a payment during the objection counts.
# sql/052: an objection received in time but entered after the night made
# the notice final (or dunned it) is taken with --received, and the
# reminder's fee falls away; a claim under objection is not due, so no
# surplus is set off against it; paid in full, it can still be dismissed.
# sql/079: the prosecution limitation runs on while the objection lies with
# the authority (six months from the fine notice, § 26(3) StVG): its next
# step is the day after, when escalate makes it time_barred, paid or not
# (the money goes to a refund), with a letter; an objection against a cost
# notice has no such limitation.  sql/080: --to-court records the files
# reaching the local court (§ 33(1) Nr. 10 OWiG), which escalate never bars;
# past the absolute limitation (§ 33(3) OWiG) such a case is listed for a
# clerk until --judgment records a judgment in time (§ 32(2) OWiG); the
# outcome is --objection-withdrawn or --dismiss.
# sql/081: the day the court received the files is stored (act_date) and a
# judgment before it is refused; the court's six months stop at the absolute
# limitation; a withdrawal after the objection's limitation (with the
# authority) or the absolute one (at court) is refused: time-barred.
set -eu
. tests/integration/lib.sh
F=$FIXTURES/rules
K1=400000090016 K2=400000090024 K3=400000090032 K6=400000090057 M1=400000090073 M2=400000090081
K4=400000090049 K7=400000090065 K9=400000090104 K10=400000090112
life() { q "SELECT state || '|' || amount_cents || '|' || coalesce(due_date::text, '-') || '|' || coalesce(next_step_date::text, '-') || '|' || open_cents FROM abgleich.claim_lifecycle WHERE reference = '$1'"; }
events() { q "SELECT count(*) FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$1'"; }
last() { q "SELECT $2 FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$1' ORDER BY e.id DESC LIMIT 1"; }
lim() { q "SELECT coalesce(limitation_date::text, '-') FROM abgleich.claim_lifecycle WHERE reference = '$1'"; }
# stmt ID DAY AMOUNT REFERENCE: a camt.053 with one credit naming REFERENCE
stmt() {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
    echo "<GrpHdr><MsgId>$1</MsgId><CreDtTm>$2T22:00:00</CreDtTm></GrpHdr>"
    echo "<Stmt><Id>$1-S</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>$2T22:00:00</CreDtTm>"
    echo '<Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>'
    echo "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>$2</Dt></Dt></Bal>"
    echo "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">$3</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>$2</Dt></Dt></Bal>"
    echo "<Ntry><Amt Ccy=\"EUR\">$3</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>false</RvslInd><Sts><Cd>BOOK</Cd></Sts>"
    echo "<BookgDt><Dt>$2</Dt></BookgDt><ValDt><Dt>$2</Dt></ValDt><AcctSvcrRef>$1</AcctSvcrRef>"
    echo '<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>'
    echo "<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy=\"EUR\">$3</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
    echo "<RmtInf><Ustrd>Kassenzeichen $4</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    echo '</Stmt></BkToCstmrStmt></Document>'
}

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets --as-of 2026-11-05 $F/tickets.csv 2>/dev/null
$ABGLEICH escalate --as-of 2026-11-10 --letters /dev/null >/dev/null
$ABGLEICH case $K1 --driver-known --as-of 2026-11-10 >/dev/null
$ABGLEICH case $K6 --driver-known --as-of 2026-11-10 >/dev/null
$ABGLEICH case $K3 --driver-unknown --as-of 2026-11-10 >/dev/null
$ABGLEICH case $M2 --driver-unknown --as-of 2026-11-10 >/dev/null
$ABGLEICH case $M2 --objection --as-of 2026-11-11 >/dev/null
for k in $K4 $K7 $K9 $K10; do
    $ABGLEICH case $k --driver-known --as-of 2026-11-10 >/dev/null
    $ABGLEICH case $k --objection --as-of 2026-11-11 >/dev/null
done
assert_eq "fine_notice|8350|2026-12-08|2026-11-25|8350" "$(life $K1)" "the fine notice: objection until 24 Nov"

# Only a notice takes an objection.
expect_exit 3 $ABGLEICH case $K2 --objection --as-of 2026-11-11
grep -q "an objection is against a fine or cost notice" $TMP/stderr || fail "why not: $(cat $TMP/stderr)"
assert_eq hearing "$(life $K2 | cut -d'|' -f1)" "the hearing stays"

# On the last day of the period: the notice is not final and not due.
out=$($ABGLEICH --lang en case $K1 --objection --as-of 2026-11-24 --by clerk1)
echo "$out" | grep -q "^$K1: objection as of 2026-11-24, owed 83,50 EUR, open 83,50 EUR, due -$" || fail "case prints: $out"
assert_eq "objection|8350|-|2027-05-10|8350" "$(life $K1)" \
    "under objection: owed, not due; next step the day after the notice's limitation (079)"
assert_eq "2027-05-09" "$(lim $K1)" "six months from the notice of 10 Nov 2026 (§ 26(3) StVG), the day before the named day"
assert_eq "2027-05-09|2027-05-10" "$(last $K1 "e.limitation_date || '|' || e.next_step_date")" \
    "the objection event carries the notice's limitation and its next step"
login=$(q "SELECT session_user")
assert_eq "objection to the notice received (clerk1 (Login $login))" \
    "$(q "SELECT e.reason FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$K1' ORDER BY e.id DESC LIMIT 1")" "the reason names the clerk, beside the login the event names"

$ABGLEICH account --reference $K1 >$TMP/acc.txt
grep -q "Einspruch eingelegt" $TMP/acc.txt || fail "the account names the objection: $(cat $TMP/acc.txt)"
grep -q "nächster Schritt 2027-05-10" $TMP/acc.txt || fail "the account names the day of the time bar: $(cat $TMP/acc.txt)"
$ABGLEICH --lang en account --reference $K1 >$TMP/acc_en.txt
grep -q "objection lodged" $TMP/acc_en.txt || fail "in English: $(cat $TMP/acc_en.txt)"

# The day after the period: too late.
expect_exit 3 $ABGLEICH case $K6 --objection --as-of 2026-11-25
grep -q "the objection period ended on 2026-11-24" $TMP/stderr || fail "why not: $(cat $TMP/stderr)"

# A cost notice under objection, then dismissed: nothing is owed.
$ABGLEICH case $K3 --objection --as-of 2026-11-12 >/dev/null
$ABGLEICH case $K3 --dismiss --as-of 2026-11-13 >/dev/null
assert_eq "dismissed|0|-|-|0" "$(life $K3)" "the office withdrew the cost notice"

# 80 EUR for M1 (55 owed): 25 EUR over.  The same car's M2 is under
# objection, not due: nothing is set off against it (before: 23.50 EUR).
stmt OBJ-1 2026-11-13 80.00 $M1 > $TMP/m1.xml
$ABGLEICH reconcile $TMP/m1.xml >/dev/null 2>$TMP/m1.txt || fail "reconcile: $(cat $TMP/m1.txt)"
assert_eq "0" "$(q "SELECT count(*) FROM abgleich.allocations WHERE method = 'surplus_offset'")" "no set-off against a claim under objection"
assert_eq "2500" "$(q "SELECT sum(open_cents) FROM abgleich.open_clarifications WHERE reason = 'overpayment'")" "the 25 EUR wait for a clerk"
assert_eq "objection|2350|-|-|2350" "$(life $M2)" "M2 untouched"

# The nights: K6 becomes final and is dunned, K1 is left alone.
$ABGLEICH escalate --as-of 2026-11-25 --letters /dev/null >/dev/null
assert_eq "final_due objection" "$(life $K6 | cut -d'|' -f1) $(life $K1 | cut -d'|' -f1)" "no objection: final; objection: not"
n=$(events $K1)
q "UPDATE abgleich.fines_config SET dunning_fee_cents = 500" >/dev/null
$ABGLEICH escalate --as-of 2026-12-23 --letters $TMP/d.csv >/dev/null
assert_eq "dunning|8850" "$(life $K6 | cut -d'|' -f1,2)" "K6 dunned, with a 5 EUR fee"
assert_eq "$n" "$(events $K1)" "no step for the claim under objection"
! grep -q "^$K1;" $TMP/d.csv || fail "no letter for K1: $(cat $TMP/d.csv)"

# A payment during the objection counts.
q "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 1000, 'manual' FROM abgleich.claims WHERE reference = '$K1'"
assert_eq "objection|8350|-|2027-05-10|7350" "$(life $K1)" "10 EUR paid while objecting"

# Withdrawn: final that day, due two weeks on (Monday 18 Jan), reminder after.
expect_exit 3 $ABGLEICH case $K6 --objection-withdrawn --as-of 2027-01-04
grep -q "without an objection to withdraw" $TMP/stderr || fail "why not: $(cat $TMP/stderr)"

$ABGLEICH case $K1 --objection-withdrawn --as-of 2027-01-04 >/dev/null
assert_eq "final_due|8350|2027-01-18|2027-02-02|7350" "$(life $K1)" "the withdrawn objection: final, due 18 Jan"
expect_exit 3 $ABGLEICH case $K1 --objection-withdrawn --as-of 2027-01-05
$ABGLEICH escalate --as-of 2027-02-01 --letters /dev/null >/dev/null
assert_eq "final_due" "$(life $K1 | cut -d'|' -f1)" "not before its reminder day"
$ABGLEICH escalate --as-of 2027-02-02 --letters /dev/null >/dev/null
assert_eq "dunning" "$(life $K1 | cut -d'|' -f1)" "then the reminder"

# K6's objection came in on 24 Nov, the last day, and is entered only now,
# after the nights made the notice final and dunned it.
expect_exit 2 $ABGLEICH case $K6 --dismiss --received 2026-11-24 --as-of 2027-01-05
expect_exit 3 $ABGLEICH case $K6 --objection --received 2026-11-25 --as-of 2027-01-05
grep -q "the objection period ended on 2026-11-24" $TMP/stderr || fail "late, received the day after: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K6 --objection --received 2027-01-06 --as-of 2027-01-05
grep -q "lies after the day entered" $TMP/stderr || fail "received in the future: $(cat $TMP/stderr)"
$ABGLEICH case $K6 --objection --received 2026-11-24 --as-of 2027-01-05 --by clerk2 >/dev/null
assert_eq "objection|8350|-|2027-05-10|8350" "$(life $K6)" "in time: not final, not due, the reminder's fee gone"
assert_eq "2027-05-09" "$(lim $K6)" "the notice's limitation, not the enforcement limitation of the final notice it left"
assert_eq "objection to the notice received on 2026-11-24 (clerk2 (Login $login))|-500" \
    "$(q "SELECT e.reason || '|' || e.fee_cents FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$K6' ORDER BY e.id DESC LIMIT 1")" \
    "the day received in the reason; the fee taken back"
expect_exit 3 $ABGLEICH case $K6 --objection --received 2026-11-24 --as-of 2027-01-06
grep -q "an objection is against a fine or cost notice, once" $TMP/stderr || fail "a second objection: $(cat $TMP/stderr)"

# Paid in full while objecting, then acquitted: the dismissal is taken.
q "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 8350, 'manual' FROM abgleich.claims WHERE reference = '$K6'"
$ABGLEICH case $K6 --dismiss --as-of 2027-01-07 >/dev/null 2>$TMP/dis.txt || fail "dismissing a paid notice under objection: $(cat $TMP/dis.txt)"
assert_eq "dismissed" "$(life $K6 | cut -d'|' -f1)" "acquitted after paying"

# --- sql/079: the limitation while the objection lies with the authority ---
# K4: fine notice of 10 Nov 2026 (83.50 EUR), objection of 11 Nov; 30 EUR
# paid by bank.  Its limitation ends on 9 May 2027; on 10 May escalate bars it.
assert_eq "objection|8350|-|2027-05-10|8350" "$(life $K4)" "K4 under objection"
stmt OBJ-4 2027-01-11 30.00 $K4 > $TMP/k4.xml
$ABGLEICH reconcile $TMP/k4.xml >/dev/null 2>$TMP/k4.txt || fail "reconcile: $(cat $TMP/k4.txt)"
assert_eq "objection|8350|-|2027-05-10|5350" "$(life $K4)" "30 EUR paid while objecting"
# M2's objection is against a § 25a StVG cost notice: no prosecution limitation.
assert_eq "objection|2350|-|-|2350|-" "$(life $M2)|$(lim $M2)" "a cost notice's objection has no time bar"
# The files cannot reach the court after the limitation ended: that interrupts nothing.
expect_exit 3 $ABGLEICH case $K4 --to-court --received 2027-05-10 --as-of 2027-05-10
grep -q "the limitation ended on 2027-05-09" $TMP/stderr || fail "to court after the limitation: $(cat $TMP/stderr)"
# sql/080, before K4's night: the files of K9, K7, K10 reach the court.
expect_exit 3 $ABGLEICH case $M2 --to-court --as-of 2027-03-03
grep -q "§ 25a(3) StVG, § 62 OWiG" $TMP/stderr || fail "a cost notice's objection: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K1 --to-court --as-of 2027-03-03
grep -q "only a notice under objection goes to the court" $TMP/stderr || fail "not under objection: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K9 --judgment 2027-03-01 --as-of 2027-03-03
grep -q "a judgment is recorded for a case at the court" $TMP/stderr || fail "judgment before court: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K9 --to-court --received 2026-11-10 --as-of 2027-03-03
grep -q "before the objection of 2026-11-11" $TMP/stderr || fail "received before the objection: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K9 --to-court --received 2027-03-04 --as-of 2027-03-03
grep -q "lies after the day entered" $TMP/stderr || fail "received in the future: $(cat $TMP/stderr)"
expect_exit 2 $ABGLEICH case $K9 --judgment
expect_exit 2 $ABGLEICH case $K9 --judgment 2027-13-01
expect_exit 2 $ABGLEICH case $K9 --judgment 2027-03-01 --received 2027-03-01
# K9: the files reached the court on 1 Mar 2027, entered on 3 Mar.
$ABGLEICH case $K9 --to-court --received 2027-03-01 --as-of 2027-03-03 --by clerk3 >/dev/null
assert_eq "court|8350|-|-|8350|2028-11-01" "$(life $K9)|$(lim $K9)" \
    "at court: not due, no next step; the office sees the absolute limitation (two years from 2 Nov 2026)"
assert_eq "court|objection|2027-03-03|2027-08-31" "$(last $K9 "e.state || '|' || e.state_from || '|' || e.event_date || '|' || e.limitation_date")" \
    "the limitation begins anew on 1 Mar: six months, last day 31 Aug"
assert_eq "2027-03-01|2027-03-01" "$(last $K9 "e.act_date || '|' || abgleich.court_received_day(e.claim_id)")" \
    "sql/081: the day the files were received is stored with the event"
assert_eq "Akten beim Amtsgericht eingegangen am 01.03.2027 (§ 69 Abs. 3, 4 OWiG): die Verjährung beginnt neu (§ 33 Abs. 1 Nr. 10, Abs. 3 OWiG), sechs Monate (§ 26 Abs. 3 StVG) bis 31.08.2027, soweit das Gericht sie nicht erneut unterbricht; die absolute Verjährung endet am 01.11.2028 (§ 33 Abs. 3 Satz 2 OWiG) (clerk3 (Login $login))" \
    "$(last $K9 e.reason_de)" "the German reason"
assert_match "^files received by the local court on 2027-03-01 .*six months \(§ 26\(3\) StVG\) to 2027-08-31 .*absolute limitation ends on 2028-11-01" \
    "$(last $K9 e.reason)" "the English reason"
$ABGLEICH --lang en account --reference $K9 >$TMP/acc9.txt
grep -q "state: at the local court (§ 69 OWiG)" $TMP/acc9.txt || fail "the account: $(cat $TMP/acc9.txt)"
# K7 and K10 go to the court too (their outcome below); at court the
# relative limitation is not the office's to apply.
$ABGLEICH case $K7 --to-court --as-of 2027-03-03 >/dev/null
assert_eq "court|3850|-|-|3850" "$(life $K7)" "K7 at court"
q "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 3850, 'manual' FROM abgleich.claims WHERE reference = '$K10'"
# sql/081: six months from the files' arrival never run past the absolute
# limitation.  With the default periods a notice comes too soon after the
# act for that; the event of K10 as if its act had been on 20 May 2025
# (absolute limitation 19 May 2027), computed, not stored:
assert_eq "2027-05-19|files received by the local court on 2027-02-01 (§ 69(3), (4) OWiG): the limitation begins anew (§ 33(1) Nr. 10, (3) OWiG); six months (§ 26(3) StVG) would end on 2027-07-31, but the absolute limitation ends before, on 2027-05-19 (§ 33(3) sentence 2 OWiG): the limitation ends then unless a judgment comes before it (§ 32(2) OWiG) (clerk)" \
    "$(q "SELECT e.limitation_date || '|' || e.reason FROM abgleich.claim_ledger l, abgleich.fines_court_event(jsonb_populate_record(l, '{\"offense_time\": \"2025-05-20 10:00\"}'), 'to_court', '2027-03-03', '2027-02-01', 'clerk') e WHERE l.reference = '$K10'")" \
    "the court's limitation capped at the absolute one, and the reason says so"
assert_match "endet aber schon am 19.05.2027 \(§ 33 Abs. 3 Satz 2 OWiG\)" \
    "$(q "SELECT e.reason_de FROM abgleich.claim_ledger l, abgleich.fines_court_event(jsonb_populate_record(l, '{\"offense_time\": \"2025-05-20 10:00\"}'), 'to_court', '2027-03-03', '2027-02-01', 'clerk') e WHERE l.reference = '$K10'")" \
    "in German"
$ABGLEICH case $K10 --to-court --received 2027-02-01 --as-of 2027-03-03 >/dev/null
assert_eq "2027-07-31" "$(last $K10 e.limitation_date)" "six months from 1 Feb"
n=$(events $K4)
$ABGLEICH escalate --as-of 2027-05-09 --letters /dev/null >/dev/null
assert_eq "objection|$n" "$(life $K4 | cut -d'|' -f1)|$(events $K4)" "on its last day the case still stands"
# sql/081: a withdrawal after the limitation ended, before the night: refused
# as escalate would bar it (the outcome does not depend on the order).
expect_exit 3 $ABGLEICH case $K4 --objection-withdrawn --as-of 2027-05-10
grep -q "the limitation ended on 2027-05-09 .* the case is time-barred" $TMP/stderr || fail "withdrawn after the limitation: $(cat $TMP/stderr)"
assert_eq "objection|$n" "$(life $K4 | cut -d'|' -f1)|$(events $K4)" "nothing recorded"
$ABGLEICH escalate --as-of 2027-05-10 --letters $TMP/tb.csv >$TMP/tb.txt
assert_eq "time_barred|0|-|-|0" "$(life $K4)" "time-barred: nothing owed, the 30 EUR moved out of the claim"
grep -q "^  time_barred  *1$" $TMP/tb.txt || fail "escalate counts the time bar: $(cat $TMP/tb.txt)"
assert_eq "objection|-5500|-2500|-350|2027-05-09" "$(last $K4 "e.state_from || '|' || e.fine_cents || '|' || e.fee_cents || '|' || e.expenses_cents || '|' || e.limitation_date")" \
    "the step takes off all 83.50 owed (fine, fee, expenses) and names the limitation's last day"
assert_eq "Verfolgungsverjährung, während der Einspruch bei der Bußgeldbehörde lag: die Verjährungsfrist endete am 09.05.2027 (§ 26 Abs. 3 StVG, § 33 Abs. 1 Nr. 9 OWiG: sechs Monate ab dem Bußgeldbescheid vom 10.11.2026); der Bescheid kann nicht rechtskräftig werden, das Verfahren wird eingestellt (§ 31 Abs. 1 OWiG); die offenen 53,50 EUR werden ausgebucht, die gezahlten 30,00 EUR sind zu erstatten" \
    "$(last $K4 e.reason_de)" "the German reason"
assert_eq "time-barred while the objection lay with the authority: the limitation ended on 2027-05-09 (§ 26(3) StVG, § 33(1) Nr. 9 OWiG: six months from the fine notice of 2026-11-10); the notice cannot become final and the case is discontinued (§ 31(1) OWiG); the 53.50 EUR open are taken off, the 30.00 EUR paid are to be refunded" \
    "$(last $K4 e.reason)" "the English reason"
assert_eq "3000|3000" "$(q "SELECT k.amount_cents || '|' || o.open_cents FROM abgleich.clarifications k JOIN abgleich.open_clarifications o ON o.id = k.id JOIN abgleich.claims c ON c.id = k.claim_id WHERE c.reference = '$K4' AND k.reason = 'overpayment'")" \
    "the 30 EUR paid wait for a clerk to refund"
assert_match "^Mit der Verjährung vom 10.05.2027 schuldet $K4 nur noch 0,00 EUR" \
    "$(q "SELECT k.explanation FROM abgleich.clarifications k JOIN abgleich.claims c ON c.id = k.claim_id WHERE c.reference = '$K4'")" "the clarification says why"
grep -q "^$K4;HH-RD 4;112454;2026-11-02 10:00:00;Rathausmarkt 9;Einstellung (Verjährung);2027-05-10;0,00;0,00;0,00;0,00;0,00;0,00;;;;$" $TMP/tb.csv \
    || fail "the letter: the proceedings discontinued: $(cat $TMP/tb.csv)"
$ABGLEICH --lang en escalate --as-of 2027-05-10 --letters $TMP/tb_en.csv >/dev/null
grep -q "^$K4,.*,discontinuation (time-barred),2027-05-10," $TMP/tb_en.csv || fail "in English: $(cat $TMP/tb_en.csv)"
assert_eq "objection|2350|-|-|2350" "$(life $M2)" "the cost notice's objection stays the clerk's"
$ABGLEICH account --reference $K4 >$TMP/acc4.txt
assert_eq "court court court" "$(life $K9 | cut -d'|' -f1) $(life $K7 | cut -d'|' -f1) $(last $K10 e.state)" "the night bars no case at court (K10 paid)"
grep -q "Stand: verjährt" $TMP/acc4.txt || fail "the account: $(cat $TMP/acc4.txt)"
grep -q "Verfolgungsverjährung, während der Einspruch" $TMP/acc4.txt || fail "the account's history: $(cat $TMP/acc4.txt)"
$ABGLEICH escalate --as-of 2027-05-11 --letters /dev/null >/dev/null
assert_eq "$((n + 1))" "$(events $K4)" "barred once"

# --- sql/080: the court's cases ---
# K7 (38.50 EUR): at court, the objection withdrawn on 1 Apr 2027: final that
# day, due two weeks on, enforceable for three years from that day.
$ABGLEICH case $K7 --objection-withdrawn --as-of 2027-04-01 >/dev/null
assert_eq "final_due|3850|2027-04-15|2027-04-30|3850|2030-03-31" "$(life $K7)|$(lim $K7)" \
    "withdrawn at court: final on 1 Apr, due 15 Apr, reminder from 30 Apr; enforcement limitation from 1 Apr"
assert_eq "court|Einspruch bei Gericht zurückgenommen: der Bescheid ist rechtskräftig ($login)" \
    "$(last $K7 "e.state_from || '|' || e.reason_de")" "the withdrawal's reason"
assert_match "^objection withdrawn at court: the notice is final" "$(last $K7 e.reason)" "in English"

# K10: paid in full while at court, then acquitted: the dismissal is taken.
$ABGLEICH case $K10 --dismiss --as-of 2027-06-01 >/dev/null 2>$TMP/dis10.txt || fail "dismissing a paid case at court: $(cat $TMP/dis10.txt)"
assert_eq "dismissed|0|-|-|-3850" "$(life $K10)" "acquitted after paying: the manual payment is for a clerk to refund"

# K9 stays at court.
n=$(events $K9)
$ABGLEICH escalate --as-of 2027-09-01 --letters /dev/null >/dev/null
assert_eq "court|$n" "$(life $K9 | cut -d'|' -f1)|$(events $K9)" "past the six months the court's own acts may have interrupted it: not barred"
# The absolute limitation: listed for a clerk from 2 Nov 2028, never barred.
assert_eq "0" "$(q "SELECT count(*) FROM abgleich.limitation_review_on('2028-11-01')")" "not before its last day"
assert_eq "$K9|court|2027-03-03|2028-11-01|absolute_limitation" \
    "$(q "SELECT reference || '|' || state || '|' || event_date || '|' || limitation_date || '|' || why FROM abgleich.limitation_review_on('2028-11-02')")" \
    "a case at court past its absolute limitation, no judgment recorded"
assert_eq "$(q "SELECT count(*) FROM abgleich.limitation_review_on(current_date)")" \
    "$(q "SELECT count(*) FROM abgleich.limitation_review")" "the view is the list as of today"
out=$($ABGLEICH --json escalate --as-of 2028-11-02 --letters /dev/null)
assert_match '"limitation_review":1,' "$out" "escalate counts the review list as of its day"
$ABGLEICH escalate --as-of 2028-11-02 --dry-run --letters /dev/null >$TMP/rv.txt
grep -q "^limitation review: 1 case(s) for a clerk" $TMP/rv.txt || fail "the nightly text: $(cat $TMP/rv.txt)"
assert_eq "court|$n" "$(life $K9 | cut -d'|' -f1)|$(events $K9)" "still at court: the office may not know of a judgment"
# sql/081: past the absolute limitation the objection at court is not withdrawn
# (no judgment: time-barred; a judgment: too late to withdraw).
expect_exit 3 $ABGLEICH case $K9 --objection-withdrawn --as-of 2028-11-03
grep -q "the absolute limitation ended on 2028-11-01 .*time-barred" $TMP/stderr || fail "withdrawn at court too late: $(cat $TMP/stderr)"
# sql/081: a judgment before the files reached the court (1 Mar 2027) is refused.
expect_exit 3 $ABGLEICH case $K9 --judgment 2027-02-28 --as-of 2028-11-03
grep -q "a judgment of 2027-02-28 lies before the files reached the court on 2027-03-01" $TMP/stderr || fail "a judgment before the court had the files: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K9 --judgment 2028-11-02 --as-of 2028-11-03
grep -q "the absolute limitation ended on 2028-11-01" $TMP/stderr || fail "a judgment too late: $(cat $TMP/stderr)"
$ABGLEICH case $K9 --judgment 2028-10-15 --as-of 2028-11-03 >/dev/null
assert_eq "2028-10-15" "$(last $K9 e.act_date)" "the judgment's day stored"
assert_eq "judgment|8350|-|-|8350|-" "$(life $K9)|$(lim $K9)" "the judgment in time: the limitation rests until the end (§ 32(2) OWiG)"
assert_eq "Urteil im ersten Rechtszug (oder Beschluss nach § 72 OWiG) vom 15.10.2028, vor Ablauf der absoluten Verjährung am 01.11.2028: die Verjährung läuft nicht vor dem rechtskräftigen Abschluss des Verfahrens ab (§ 32 Abs. 2 OWiG) ($login)" \
    "$(last $K9 e.reason_de)" "the judgment's German reason"
assert_eq "0" "$(q "SELECT count(*) FROM abgleich.limitation_review_on('2028-11-04')")" "off the list"
expect_exit 3 $ABGLEICH case $K9 --objection-withdrawn --as-of 2028-11-04
grep -q "without an objection to withdraw" $TMP/stderr || fail "withdrawn after the judgment: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K9 --to-court --as-of 2028-11-04
$ABGLEICH case $K9 --dismiss --as-of 2028-11-05 >/dev/null
assert_eq "dismissed|0|-|-|0" "$(life $K9)" "acquitted on appeal: nothing owed"
assert_eq "Gericht: Freispruch oder Einstellung, es ist nichts geschuldet ($login)" "$(last $K9 e.reason_de)" "the outcome's reason"
