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
set -eu
. tests/integration/lib.sh
F=$FIXTURES/rules
K1=400000090016 K2=400000090024 K3=400000090032 K6=400000090057 M1=400000090073 M2=400000090081
life() { q "SELECT state || '|' || amount_cents || '|' || coalesce(due_date::text, '-') || '|' || coalesce(next_step_date::text, '-') || '|' || open_cents FROM abgleich.claim_lifecycle WHERE reference = '$1'"; }
events() { q "SELECT count(*) FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$1'"; }

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets --as-of 2026-11-05 $F/tickets.csv 2>/dev/null
$ABGLEICH escalate --as-of 2026-11-10 --letters /dev/null >/dev/null
$ABGLEICH case $K1 --driver-known --as-of 2026-11-10 >/dev/null
$ABGLEICH case $K6 --driver-known --as-of 2026-11-10 >/dev/null
$ABGLEICH case $K3 --driver-unknown --as-of 2026-11-10 >/dev/null
$ABGLEICH case $M2 --driver-unknown --as-of 2026-11-10 >/dev/null
$ABGLEICH case $M2 --objection --as-of 2026-11-11 >/dev/null
assert_eq "fine_notice|8350|2026-12-08|2026-11-25|8350" "$(life $K1)" "the fine notice: objection until 24 Nov"

# Only a notice takes an objection.
expect_exit 3 $ABGLEICH case $K2 --objection --as-of 2026-11-11
grep -q "an objection is against a fine or cost notice" $TMP/stderr || fail "why not: $(cat $TMP/stderr)"
assert_eq hearing "$(life $K2 | cut -d'|' -f1)" "the hearing stays"

# On the last day of the period: the notice is not final and not due.
out=$($ABGLEICH --lang en case $K1 --objection --as-of 2026-11-24 --by clerk1)
echo "$out" | grep -q "^$K1: objection as of 2026-11-24, owed 83,50 EUR, open 83,50 EUR, due -$" || fail "case prints: $out"
assert_eq "objection|8350|-|-|8350" "$(life $K1)" "under objection: owed, not due, no next step"
login=$(q "SELECT session_user")
assert_eq "objection to the notice received (clerk1 (Login $login))" \
    "$(q "SELECT e.reason FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$K1' ORDER BY e.id DESC LIMIT 1")" "the reason names the clerk, beside the login the event names"

$ABGLEICH account --reference $K1 >$TMP/acc.txt
grep -q "Einspruch eingelegt" $TMP/acc.txt || fail "the account names the objection: $(cat $TMP/acc.txt)"
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
{
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
    echo '<GrpHdr><MsgId>OBJ-1</MsgId><CreDtTm>2026-11-13T22:00:00</CreDtTm></GrpHdr>'
    echo '<Stmt><Id>OBJ-2026-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>2026-11-13T22:00:00</CreDtTm>'
    echo '<Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>'
    echo '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-13</Dt></Dt></Bal>'
    echo '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-13</Dt></Dt></Bal>'
    echo '<Ntry><Amt Ccy="EUR">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>false</RvslInd><Sts><Cd>BOOK</Cd></Sts>'
    echo '<BookgDt><Dt>2026-11-13</Dt></BookgDt><ValDt><Dt>2026-11-13</Dt></ValDt><AcctSvcrRef>OBJ1</AcctSvcrRef>'
    echo '<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>'
    echo "<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy=\"EUR\">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
    echo "<RmtInf><Ustrd>Kassenzeichen $M1</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    echo '</Stmt></BkToCstmrStmt></Document>'
} > $TMP/m1.xml
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
assert_eq "objection|8350|-|-|7350" "$(life $K1)" "10 EUR paid while objecting"

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
assert_eq "objection|8350|-|-|8350" "$(life $K6)" "in time: not final, not due, the reminder's fee gone"
assert_eq "objection to the notice received on 2026-11-24 (clerk2 (Login $login))|-500" \
    "$(q "SELECT e.reason || '|' || e.fee_cents FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$K6' ORDER BY e.id DESC LIMIT 1")" \
    "the day received in the reason; the fee taken back"
expect_exit 3 $ABGLEICH case $K6 --objection --received 2026-11-24 --as-of 2027-01-06
grep -q "an objection is against a fine or cost notice, once" $TMP/stderr || fail "a second objection: $(cat $TMP/stderr)"

# Paid in full while objecting, then acquitted: the dismissal is taken.
q "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 8350, 'manual' FROM abgleich.claims WHERE reference = '$K6'"
$ABGLEICH case $K6 --dismiss --as-of 2027-01-07 >/dev/null 2>$TMP/dis.txt || fail "dismissing a paid notice under objection: $(cat $TMP/dis.txt)"
assert_eq "dismissed" "$(life $K6 | cut -d'|' -f1)" "acquitted after paying"
