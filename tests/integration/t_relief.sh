#!/bin/bash
# Payment relief (§ 93 OWiG) and the enforcement limitation (§ 34 OWiG),
# sql/057_payment_relief.sql, docs/fines.md:
# - `case --instalments N --first DATE`: what is open split into N parts in
#   cents, the remainder cent on the first; a part's day is moved off a
#   weekend; the claim is due on its first unpaid part; a payment pays the
#   parts in order; escalate does not dun a kept plan; a part unpaid 7 days
#   (relief_grace_days) after its day ends the relief (relief_lapsed, the
#   remainder due at once, a letter), and the reminder follows 14 days on;
# - `case --defer-to DATE`: due that day (a Saturday: the Monday after);
#   not dunned before, dunned 14 days after it; paid in full: paid;
# - relief only for a final notice not paid, not dated before the claim's
#   last event, 2 parts at least;
# - the letters (one row per instalment), the account view (German,
#   English, JSON), the claim index's due day through the snapshot delta;
# - the enforcement limitation: 3 years from finality, the day before the
#   named day (final 25 Nov 2026: enforceable on 24 Nov 2029, barred from
#   25 Nov); 5 years for a fine above the configured 1 000 EUR; resting
#   while a relief is granted; the open amount taken off, payments before
#   it kept, no 'paid' feedback; money after it is a clarification;
# - sql/065: a plan's rest ends on the day it lapsed by its terms (the
#   missed part's day + 7 days of grace, the day after), not on the night
#   escalate recorded the lapse weeks later (K7: enforceable on 11 Jan
#   2030, barred on the 12th; K10); a kept plan past its grace whose
#   limitation so counted has ended is barred, not lapsed, and gets no new
#   relief (M2); a plan replaced before a miss rests on, one replaced after
#   it not in between; a plan paid in full is paid.
# - sql/070: a relief keeps the grace in force when it was granted (recorded
#   with its parts) when the office changes relief_grace_days: plans
#   granted under 7 days lapse and rest by 7 under 14, one granted under 14
#   keeps 14 under 7 (lapse, reason, account, limitation); the backfill of
#   existing reliefs from the grant's reason.
# - escalate that waited for a reconcile run's lock counts its payments in
#   the lapse letter too (the lock before the transaction, jobs/escalate.c).
set -eu
. tests/integration/lib.sh
F=$FIXTURES/rules
K1=400000090016 K2=400000090024 K3=400000090032 K4=400000090049 K6=400000090057 K9=400000090104
K10=400000090112 M1=400000090073 M2=400000090081 K7=400000090065
life() { q "SELECT state || '|' || amount_cents || '|' || coalesce(due_date::text, '-') || '|' || coalesce(next_step_date::text, '-') || '|' || open_cents FROM abgleich.claim_lifecycle WHERE reference = '$1'"; }
lim() { q "SELECT coalesce(limitation_date::text, '-') FROM abgleich.claim_lifecycle WHERE reference = '$1'"; }
events() { q "SELECT count(*) FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$1'"; }
pay() { q "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, $2, 'manual' FROM abgleich.claims WHERE reference = '$1'"; }
last_event() { q "SELECT e.$2 FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$1' ORDER BY e.id DESC LIMIT 1"; }

# escalate_racing DAY LETTERS SQL: escalate of DAY started while another
# session holds the reconcile lock (as a reconcile run does between its
# files); once escalate waits for it, that session runs SQL in a
# transaction of its own and lets go.
advisory() { q "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database() AND l.granted = $1"; }
wait_for() { local n=0; until [ "$(advisory $1)" = 1 ]; do n=$((n + 1)); [ $n -lt 300 ] || fail "no advisory lock granted=$1"; sleep 0.1; done; }
escalate_racing() {
    rm -f $TMP/holder && mkfifo $TMP/holder
    psql -XAtq -v ON_ERROR_STOP=1 <$TMP/holder >$TMP/holder.out 2>&1 &
    local hp=$! ep
    exec 3>$TMP/holder
    echo "SELECT pg_advisory_lock(hashtext('abgleich.reconcile'));" >&3
    wait_for true
    $ABGLEICH escalate --as-of $1 --letters $2 >/dev/null &
    ep=$!
    wait_for false
    printf '%s;\nSELECT pg_advisory_unlock(hashtext(%s));\n' "$3" "'abgleich.reconcile'" >&3
    exec 3>&-
    wait $hp || fail "the session holding the lock: $(cat $TMP/holder.out)"
    wait $ep || fail "escalate racing a reconcile"
}

# camt ID DATE AMOUNT REFERENCE: a statement with one credit naming REFERENCE.
camt() {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
    echo "<GrpHdr><MsgId>$1</MsgId><CreDtTm>$2T22:00:00</CreDtTm></GrpHdr>"
    echo "<Stmt><Id>$1</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>$2T22:00:00</CreDtTm>"
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
for k in $K1 $K4 $K6 $K7 $K9 $K10 $M2; do $ABGLEICH case $k --driver-known --as-of 2026-11-10 >/dev/null; done
$ABGLEICH escalate --as-of 2026-11-25 --letters /dev/null >/dev/null
assert_eq "final_due|8350|2026-12-08|2026-12-23|8350" "$(life $K1)" "final on 25 Nov, due 8 Dec"
assert_eq "2029-11-24" "$(lim $K6)" "final on 25 Nov 2026: enforceable until 24 Nov 2029 (3 years, the day before the named day)"

# Refused: not final, before the last event, one part, --first alone, a
# deferral to a day not ahead.
expect_exit 3 $ABGLEICH case $K2 --instalments 3 --as-of 2026-12-01
grep -q "payment relief (§ 93 OWiG) is granted for a final fine or cost notice only" $TMP/stderr || fail "not final: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K1 --instalments 3 --as-of 2026-11-24
grep -q "has an event of 2026-11-25" $TMP/stderr || fail "before the last event: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K1 --instalments 1 --as-of 2026-12-01
grep -q "give 2 to 120 instalments" $TMP/stderr || fail "one part: $(cat $TMP/stderr)"
expect_exit 2 $ABGLEICH case $K1 --first 2027-01-15 --as-of 2026-12-01
expect_exit 2 $ABGLEICH case $K1 --defer-to 2027-02-30 --as-of 2026-12-01
expect_exit 3 $ABGLEICH case $K1 --defer-to 2026-12-01 --as-of 2026-12-01
grep -q "a deferral to 2026-12-01 must lie after the day entered (2026-12-01)" $TMP/stderr || fail "deferral not ahead: $(cat $TMP/stderr)"
assert_eq 3 "$(events $K1)" "nothing written by the refusals"

# 83.50 EUR in 3 parts: 27.84 (the remainder cent first), 27.83, 27.83.
out=$($ABGLEICH case $K1 --instalments 3 --first 2027-01-15 --as-of 2026-12-01 --by clerk1)
echo "$out" | grep -q "^$K1: instalments zum 2026-12-01, Forderung 83,50 EUR, offen 83,50 EUR, fällig 2027-01-15$" || fail "case prints: $out"
assert_eq "1|2027-01-15|2784|5566 2|2027-02-15|2783|2783 3|2027-03-15|2783|0" \
    "$(q "SELECT string_agg(p.n || '|' || p.due_date || '|' || p.amount_cents || '|' || p.rest_after_cents, ' ' ORDER BY p.n) FROM abgleich.claim_relief_parts p JOIN abgleich.claims c ON c.id = p.claim_id WHERE c.reference = '$K1'")" \
    "three parts a month apart, 1 cent of remainder on the first"
assert_eq "instalments|8350|2027-01-15|2027-01-23|8350" "$(life $K1)" "due on the first part; the relief ends if it is unpaid on 22 Jan"
assert_eq "-" "$(lim $K1)" "the enforcement limitation rests while the plan is kept (§ 34(4) Nr. 3)"
assert_match "^Ratenzahlung bewilligt \(§ 93 OWiG\): 83,50 EUR in 3 Raten, die erste über 27,84 EUR fällig am 15.01.2027 \(mit den 1 Cent Rest der Teilung\), dann 27,83 EUR monatlich" \
    "$(last_event $K1 reason_de)" "the German reason states the plan"

# A deferral to a Saturday is due the Monday after (§ 193 BGB).
$ABGLEICH case $K9 --defer-to 2027-02-06 --as-of 2026-12-01 >/dev/null
assert_eq "deferred|8350|2027-02-08|2027-02-23|8350" "$(life $K9)" "deferred to Sat 6 Feb: due Mon 8 Feb, reminder 14 days on"
$ABGLEICH case $K4 --defer-to 2027-06-01 --as-of 2026-12-01 >/dev/null

# Month ends and weekends: from Sun 31 Jan monthly, 31 Jan -> Mon 1 Feb,
# 28 Feb (a Sunday) -> Mon 1 Mar, 31 Mar.  Without --first: one interval
# (2 months) after the grant; 38.50 EUR in 4: 2 cents of remainder first.
$ABGLEICH case $M2 --instalments 3 --first 2027-01-31 --as-of 2026-12-01 >/dev/null
assert_eq "2027-02-01|1784 2027-03-01|1783 2027-03-31|1783" \
    "$(q "SELECT string_agg(p.due_date || '|' || p.amount_cents, ' ' ORDER BY p.n) FROM abgleich.claim_relief_parts p JOIN abgleich.claims c ON c.id = p.claim_id WHERE c.reference = '$M2'")" \
    "53.50 EUR in 3: days off the weekend, the month end kept"
# ... granted by a login of the fines office (sql/009_roles.sql); the
# readonly group may not.
for g in fines readonly; do
    psql -XAtq -d postgres -c "DO \$\$ BEGIN CREATE ROLE t_relief_$g LOGIN IN ROLE abgleich_$g;
        EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
done
ABGLEICH_DB="$ABGLEICH_DB user=t_relief_readonly" expect_exit 4 $ABGLEICH case $K10 --instalments 4 --every-months 2 --as-of 2026-12-01
grep -q "permission denied" $TMP/stderr || fail "readonly: $(cat $TMP/stderr)"
ABGLEICH_DB="$ABGLEICH_DB user=t_relief_fines" $ABGLEICH case $K10 --instalments 4 --every-months 2 --as-of 2026-12-01 >/dev/null
assert_eq "2027-02-01|964 2027-04-01|962 2027-06-01|962 2027-08-02|962" \
    "$(q "SELECT string_agg(p.due_date || '|' || p.amount_cents, ' ' ORDER BY p.n) FROM abgleich.claim_relief_parts p JOIN abgleich.claims c ON c.id = p.claim_id WHERE c.reference = '$K10'")" \
    "every 2 months from 1 Feb; Sun 1 Aug -> Mon 2 Aug"

# The same car's M1 (a 23.50 EUR cost notice) is paid 50 EUR: the 26.50
# EUR over are not set off against M2 under payment relief.
camt REL-2026-1 2026-12-01 50.00 $M1 > $TMP/m1.xml
$ABGLEICH reconcile $TMP/m1.xml >/dev/null 2>$TMP/m1.txt || fail "reconcile: $(cat $TMP/m1.txt)"
assert_eq "paid|2350|0" "$(life $M1 | cut -d'|' -f1,2,5)" "M1 paid"
assert_eq "0" "$(q "SELECT count(*) FROM abgleich.allocations WHERE method = 'surplus_offset'")" "no set-off against a claim under payment relief"
assert_eq "2650" "$(q "SELECT sum(open_cents) FROM abgleich.open_clarifications WHERE reason = 'overpayment'")" "the 26.50 EUR wait for a clerk"

# The plan's letter: a row per instalment, with its day and amount.
$ABGLEICH escalate --as-of 2026-12-01 --letters $TMP/plan.csv >/dev/null
head -1 $TMP/plan.csv | grep -q ";zahlbar_bis;frist_bis;rate;ratenbetrag$" || fail "letters header: $(head -1 $TMP/plan.csv)"
assert_eq 3 "$(grep -c "^$K1;.*;Ratenzahlung (§ 93 OWiG);2026-12-01;" $TMP/plan.csv)" "three rows of the plan letter"
grep -q "^$K1;HH-RA 1;112454;2026-11-02 10:00:00;Rathausmarkt 9;Ratenzahlung (§ 93 OWiG);2026-12-01;55,00;25,00;3,50;83,50;0,00;83,50;2027-01-15;;1;27,84$" $TMP/plan.csv \
    || fail "first instalment's row: $(cat $TMP/plan.csv)"
grep -q "^$K1;.*;83,50;2027-03-15;;3;27,83$" $TMP/plan.csv || fail "third instalment's row: $(cat $TMP/plan.csv)"
grep -q "^$K9;.*;Stundung (§ 93 OWiG);2026-12-01;.*;83,50;2027-02-08;;;$" $TMP/plan.csv || fail "deferral letter: $(cat $TMP/plan.csv)"
$ABGLEICH --lang en escalate --as-of 2026-12-01 --letters $TMP/plan_en.csv >/dev/null
head -1 $TMP/plan_en.csv | grep -q ",due_date,deadline,instalment,instalment_amount$" || fail "English header: $(head -1 $TMP/plan_en.csv)"
grep -q "^$K1,.*,instalments (§ 93 OWiG),2026-12-01,.*,2027-02-15,,2,27.83$" $TMP/plan_en.csv || fail "English plan row: $(cat $TMP/plan_en.csv)"

# The night a final notice is dunned: the plan and the deferrals are not.
n1=$(events $K1) n4=$(events $K4) n9=$(events $K9)
$ABGLEICH escalate --as-of 2026-12-23 --letters /dev/null >/dev/null
assert_eq "dunning" "$(life $K6 | cut -d'|' -f1)" "K6 without relief is dunned"
assert_eq "$n1 $n4 $n9" "$(events $K1) $(events $K4) $(events $K9)" "no reminder under payment relief"

# K3: the keeper's cost notice of 25 Nov, final on 10 Dec (escalate
# recorded it only on 23 Dec: the day of finality counts, not the run's);
# dunned with a 5 EUR fee, then given two instalments.
assert_eq "final_due|2029-12-09" "$(life $K3 | cut -d'|' -f1)|$(lim $K3)" "a cost notice: 3 years from its finality"
q "UPDATE abgleich.fines_config SET dunning_fee_cents = 500" >/dev/null
$ABGLEICH escalate --as-of 2027-01-07 --letters /dev/null >/dev/null
q "UPDATE abgleich.fines_config SET dunning_fee_cents = 0" >/dev/null
assert_eq "dunning|2850|2027-01-14|-|2850" "$(life $K3)" "dunned with a 5 EUR fee"
$ABGLEICH case $K3 --instalments 2 --as-of 2027-01-08 >/dev/null
assert_eq "instalments|2850|2027-02-08|2027-02-16|2850" "$(life $K3)" "two parts of 14.25 EUR, the first a month on"
# K7 (HH-RH 7, a fine notice final on 25 Nov like K6, dunned on 23 Dec):
# two parts, the first on Wed 17 Feb; unpaid, the relief lapses by its
# terms on 25 Feb (7 days' grace to the 24th), but escalate is not run
# from 16 Feb to 22 Mar (sql/065).
assert_eq "dunning|3850" "$(life $K7 | cut -d'|' -f1,2)" "K7 dunned"
$ABGLEICH case $K7 --instalments 2 --first 2027-02-17 --as-of 2027-01-08 >/dev/null
assert_eq "instalments|3850|2027-02-17|2027-02-25|3850" "$(life $K7)" "K7: the relief ends if the first part is unpaid on 24 Feb"

# sql/070: the office lengthens the grace to 14 days on 8 Jan.  The reliefs
# granted before keep the 7 days they were granted with: K1, K3, K7, K10
# and M2 lapse by them below, and the limitation rests by them (before 070
# all of them moved: K3 was still kept on 16 Feb, K10's and M2's rest grew
# by 7 days).  It goes back to 7 before M2's new plan of 2030; a plan
# granted under 14 days keeps them (the database of its own at the end).
grace() { q "SELECT string_agg(DISTINCT p.grace_days::text, ',') FROM abgleich.claim_relief_parts p JOIN abgleich.claims c ON c.id = p.claim_id WHERE c.reference = '$1'"; }
q "UPDATE abgleich.fines_config SET relief_grace_days = 14" >/dev/null
assert_eq "instalments|3850|2027-02-17|2027-02-25|3850" "$(life $K7)" "K7 keeps its 7 days of grace"
assert_eq "instalments|2850|2027-02-08|2027-02-16|2850" "$(life $K3)" "K3 keeps its 7 days of grace"
# 070's backfill, run again on values made wrong: a plan gets the grace its
# grant's reason states (7), a deferral (no grace in its reason, none to
# lapse by) the setting of now.
q "ALTER TABLE abgleich.claim_relief_parts DISABLE TRIGGER claim_relief_parts_no_update;
   UPDATE abgleich.claim_relief_parts SET grace_days = 99;
   ALTER TABLE abgleich.claim_relief_parts ENABLE TRIGGER claim_relief_parts_no_update" >/dev/null
sed -n '/^ALTER TABLE abgleich.claim_relief_parts DISABLE TRIGGER/,/^ALTER TABLE abgleich.claim_relief_parts ENABLE TRIGGER/p' \
    sql/070_relief_grace_granted.sql >$TMP/070_backfill.sql
grep -q "^UPDATE abgleich.claim_relief_parts p" $TMP/070_backfill.sql || fail "070's backfill block not found"
psql -XAtq -v ON_ERROR_STOP=1 -f $TMP/070_backfill.sql >/dev/null
assert_eq "7 7 7 7 7 14 14" "$(for r in $K1 $K3 $K7 $K10 $M2 $K4 $K9; do grace $r; done | tr '\n' ' ' | sed 's/ $//')" \
    "the backfill: a plan's grace from its grant's reason, a deferral's the setting"
expect_exit 1 q "UPDATE abgleich.claim_relief_parts SET grace_days = 14"

# 55.67 EUR pay the first two parts: due on the third now.  The claim
# index's delta (the snapshot's path) gives the same due day as a full load.
wa=$(q "SELECT coalesce(max(id), 0) FROM abgleich.allocations")
we=$(q "SELECT max(id) FROM abgleich.claim_events")
pay $K1 5567
assert_eq "instalments|8350|2027-03-15|2027-03-23|2783" "$(life $K1)" "two parts paid: due on the third"
assert_eq "true|$(q "SELECT date '2027-03-15' - date '1970-01-01'")" \
    "$(q "SELECT s.due_moved || '|' || s.due_day FROM abgleich.claimsnap_changes($wa, $we) s JOIN abgleich.claims c ON c.id = s.claim_id WHERE c.reference = '$K1'")" \
    "claimsnap_changes: a payment moves the due day of a plan"
assert_eq "$(q "SELECT due_date - date '1970-01-01' FROM abgleich.claim_ledger WHERE reference = '$K4'")" \
    "$(q "SELECT s.due_day FROM abgleich.claimsnap_changes(0, 0) s JOIN abgleich.claims c ON c.id = s.claim_id WHERE c.reference = '$K4'")" \
    "a deferral's due day, delta and full load alike"

$ABGLEICH account --reference $K1 >$TMP/acc.txt
grep -q "Stand: Ratenzahlung bewilligt (§ 93 OWiG); Forderung 83,50 EUR .* offen 27,83; fällig 2027-03-15; nächster Schritt 2027-03-23" $TMP/acc.txt || fail "German claim line: $(cat $TMP/acc.txt)"
grep -q "^  Ratenzahlung (§ 93 OWiG) bewilligt am 2026-12-01:$" $TMP/acc.txt || fail "German plan heading: $(cat $TMP/acc.txt)"
grep -q "^    Rate 1 von 3: 27,84 EUR fällig 2027-01-15 - bezahlt$" $TMP/acc.txt || fail "German part 1: $(cat $TMP/acc.txt)"
grep -q "^    Rate 2 von 3: 27,83 EUR fällig 2027-02-15 - bezahlt$" $TMP/acc.txt || fail "German part 2: $(cat $TMP/acc.txt)"
grep -q "^    Rate 3 von 3: 27,83 EUR fällig 2027-03-15 - offen$" $TMP/acc.txt || fail "German part 3: $(cat $TMP/acc.txt)"
grep -q "Ratenzahlung bewilligt (§ 93 OWiG): .* - Ratenzahlung bewilligt (§ 93 OWiG): 83,50 EUR in 3 Raten" $TMP/acc.txt || fail "German history reason: $(cat $TMP/acc.txt)"
$ABGLEICH --lang en account --reference $K1 >$TMP/acc_en.txt
grep -q "^  instalments (§ 93 OWiG) granted 2026-12-01:$" $TMP/acc_en.txt || fail "English plan heading: $(cat $TMP/acc_en.txt)"
grep -q "^    instalment 2 of 3: 27.83 EUR due 2027-02-15 - paid$" $TMP/acc_en.txt || fail "English part 2: $(cat $TMP/acc_en.txt)"
grep -q "^    instalment 3 of 3: 27.83 EUR due 2027-03-15 - open$" $TMP/acc_en.txt || fail "English part 3: $(cat $TMP/acc_en.txt)"
$ABGLEICH --json account --reference $K1 >$TMP/acc.json
assert_eq "instalments|2026-12-01|true|false|2783|0" \
    "$(q "SELECT j->>'kind' || '|' || (j->>'granted') || '|' || (j->'parts'->1->>'paid') || '|' || (j->'parts'->2->>'paid') || '|' || (j->'parts'->2->>'amount_cents') || '|' || (j->'parts'->2->>'paid_cents') FROM (SELECT '$(cat $TMP/acc.json)'::jsonb->'claims'->0->'relief' AS j) x")" \
    "the plan in the JSON account"

# A part partly paid shows what was paid on it.
pay $K1 1000
$ABGLEICH account --reference $K1 >$TMP/acc2.txt
grep -q "^    Rate 3 von 3: 27,83 EUR fällig 2027-03-15 - offen (10,00 EUR gezahlt)$" $TMP/acc2.txt || fail "part paid in part: $(cat $TMP/acc2.txt)"

# The deferral paid in full closes as paid, with its feedback.
pay $K9 8350
assert_eq "paid|8350|2027-02-08|-|0" "$(life $K9)" "a deferral paid in full"
assert_eq 1 "$(q "SELECT count(*) FROM abgleich.outbox WHERE topic = 'paid' AND reference = '$K9'")" "paid feedback"

# K3 pays nothing: on 16 Feb the relief lapses; the reminder's fee stays.
$ABGLEICH escalate --as-of 2027-02-16 --letters /dev/null >/dev/null
assert_eq "relief_lapsed|2850|2027-02-16|2027-03-03|2850" "$(life $K3)" "lapsed, the fee kept"
assert_eq "2500" "$(q "SELECT fee_cents FROM abgleich.claim_lifecycle WHERE reference = '$K3'")" "20 EUR cost fee + 5 EUR reminder fee"
assert_eq "2030-01-17" "$(lim $K3)" "rested the 39 days from 8 Jan to 16 Feb"
# K10's plan lapsed the same night (its first part was due 1 Feb); a new
# relief may follow (§ 93(3) sentence 2 OWiG): a deferral of all that is open.
assert_eq "relief_lapsed|3850" "$(life $K10 | cut -d'|' -f1,5)" "K10 lapsed"
$ABGLEICH case $K10 --defer-to 2027-04-01 --as-of 2027-02-17 >/dev/null
assert_eq "deferred|3850|2027-04-01|2027-04-16|3850" "$(life $K10)" "deferred after the lapse"
expect_exit 2 $ABGLEICH case $K10 --instalments 3 --every-months 0 --as-of 2027-02-17
expect_exit 2 $ABGLEICH case $K10 --instalments x3 --as-of 2027-02-17
expect_exit 2 $ABGLEICH case $K10 --instalments 3 --defer-to 2027-05-01 --as-of 2027-02-17

assert_eq "instalments|-" "$(life $K7 | cut -d'|' -f1)|$(lim $K7)" "K7 kept on 16 Feb: the limitation rests"
# K10's rest (sql/065): from the grant on 1 Dec to the day its plan lapsed
# by its terms (part 1 of 1 Feb, 7 days' grace: 9 Feb), not to the night
# escalate recorded it (16 Feb): 70 days, not 77; then the deferral's 44
# days (17 Feb to its day, 1 Apr): 24 Nov 2029 + 114.
assert_eq "2030-03-18" "$(lim $K10)" "a lapse recorded a week late: the rest ends on the terms' lapse day; a new relief rests again"

# The third part (17.83 EUR left) unpaid 7 days after 15 Mar: on the 23rd
# the relief lapses, the remainder due at once, the reminder 14 days on.
$ABGLEICH escalate --as-of 2027-03-22 --letters /dev/null >/dev/null
assert_eq "instalments" "$(life $K1 | cut -d'|' -f1)" "within the grace the plan is kept"
$ABGLEICH escalate --as-of 2027-03-23 --letters $TMP/lapse.csv >/dev/null
assert_eq "relief_lapsed|8350|2027-03-23|2027-04-07|1783" "$(life $K1)" "lapsed: the remainder due at once"
grep -q "^$K1;.*;Wegfall der Zahlungserleichterung, sofort fällig;2027-03-23;55,00;25,00;3,50;83,50;65,67;17,83;2027-03-23;;;$" $TMP/lapse.csv \
    || fail "the letter that the relief lapsed: $(cat $TMP/lapse.csv)"
n1=$(events $K1)
$ABGLEICH escalate --as-of 2027-03-23 --letters $TMP/lapse2.csv >/dev/null
cmp -s $TMP/lapse.csv $TMP/lapse2.csv || fail "the same day again, other letters: $(diff $TMP/lapse.csv $TMP/lapse2.csv)"
assert_eq "$n1" "$(events $K1)" "the same day again writes nothing"
assert_eq "0|0|0" "$(last_event $K1 "fine_cents || '|' || e.fee_cents || '|' || e.expenses_cents")" "the lapse charges nothing"
assert_match "^die Rate fällig am 15.03.2027 ist nicht innerhalb von 7 Tagen bezahlt: die Zahlungserleichterung ist entfallen" \
    "$(last_event $K1 reason_de)" "the lapse explains itself"
# K7's lapse, recorded on 22 Mar, four weeks late: its reason names the
# part escalate found unpaid (17 Feb), and the limitation rested only from
# the grant on 8 Jan to the day the relief lapsed by its terms (25 Feb, the
# grace over): 48 days, not the 73 to 22 Mar.  Final on 25 Nov 2026
# (24 Nov 2029) + 48 = 11 Jan 2030.
assert_eq "relief_lapsed|3850|2027-03-22|2027-04-06|3850" "$(life $K7)" "K7 lapsed on the night escalate ran"
assert_match "^die Rate fällig am 17.02.2027 ist nicht innerhalb von 7 Tagen bezahlt" "$(last_event $K7 reason_de)" "the part escalate found unpaid"
assert_eq "2030-01-11" "$(lim $K7)" "the rest ends on the lapse day of the terms (25 Feb), not on the night of 22 Mar"
$ABGLEICH escalate --as-of 2027-04-06 --letters /dev/null >/dev/null
assert_eq "relief_lapsed" "$(life $K1 | cut -d'|' -f1)" "no reminder before 7 Apr"
$ABGLEICH escalate --as-of 2027-04-07 --letters /dev/null >/dev/null
assert_eq "dunning" "$(life $K1 | cut -d'|' -f1)" "then the reminder"

# A deferral not paid: the reminder 14 days after its day.
$ABGLEICH escalate --as-of 2027-06-15 --letters /dev/null >/dev/null
assert_eq "deferred" "$(life $K4 | cut -d'|' -f1)" "deferred to 1 Jun: no reminder on 15 Jun"
$ABGLEICH escalate --as-of 2027-06-16 --letters /dev/null >/dev/null
assert_eq "dunning" "$(life $K4 | cut -d'|' -f1)" "the reminder on 16 Jun, as 14 days after a final notice's due date"
assert_eq "bis zum Stundungstermin 01.06.2027 nicht bezahlt" "$(last_event $K4 reason_de)" "why"

# The limitation rested: K1 for the 112 days of its plan (1 Dec to the
# lapse on 23 Mar), K4 for the 183 days to its deferred day (1 Dec to 1 Jun).
assert_eq "2029-11-24 2030-03-16 2030-05-26" "$(lim $K6) $(lim $K1) $(lim $K4)" "3 years, plus the days of relief"
q "UPDATE abgleich.fines_config SET enforcement_large_above_cents = 5000" >/dev/null
assert_eq "2031-11-24" "$(lim $K6)" "a fine of 55 EUR above a threshold of 50 EUR: 5 years"
q "UPDATE abgleich.fines_config SET enforcement_large_above_cents = 100000" >/dev/null

# K6: 10 EUR paid, then its last enforceable day.
pay $K6 1000
$ABGLEICH escalate --as-of 2029-11-24 --letters /dev/null >/dev/null
assert_eq "dunning" "$(life $K6 | cut -d'|' -f1)" "enforceable on its last day"
outbox=$(q "SELECT count(*) FROM abgleich.outbox")
$ABGLEICH escalate --as-of 2029-11-25 --letters /dev/null >/dev/null
assert_eq "enforcement_barred|1000|-|-|0" "$(life $K6)" "barred: the open 73.50 EUR taken off, the 10 EUR paid stay"
assert_eq "-4500|-2500|-350" "$(last_event $K6 "fine_cents || '|' || e.fee_cents || '|' || e.expenses_cents")" "what was not paid, by component (§ 94)"
assert_eq "$outbox" "$(q "SELECT count(*) FROM abgleich.outbox")" "no 'paid' feedback for a barred claim"
assert_eq "closed" "$(q "SELECT status FROM abgleich.claim_status WHERE reference = '$K6'")" "claim_status: closed, not paid"
assert_eq "dunning dunning" "$(life $K1 | cut -d'|' -f1) $(life $K4 | cut -d'|' -f1)" "their limitation rested"
# K7 on its last day, 11 Jan 2030, and barred on the 12th (before 065 its
# rest ran to the night of the lapse: enforceable until 5 Feb 2030).
$ABGLEICH escalate --as-of 2030-01-11 --letters /dev/null >/dev/null
assert_eq "dunning" "$(life $K7 | cut -d'|' -f1)" "K7 enforceable on 11 Jan 2030"
$ABGLEICH escalate --as-of 2030-01-12 --letters /dev/null >/dev/null
assert_eq "enforcement_barred|0|-|-|0" "$(life $K7)" "K7 barred on 12 Jan 2030"
assert_match "^Vollstreckungsverjährung \(§ 34 OWiG\): die Frist endete am 11.01.2030;" "$(last_event $K7 reason_de)" "the day in K7's reason"
# M2 (dunned since its plan lapsed by its terms on 9 Feb 2027: 70 days of
# rest, enforceable until 2 Feb 2030) gets a new plan on 13 Jan 2030, its
# first part on Mon 21 Jan.  Unpaid, it lapses by its terms on 29 Jan: 16
# more days, so enforceable until 18 Feb 2030.  No escalate runs until
# 16 Mar: a new relief on 1 Mar is refused, and the night of 16 Mar bars
# the claim instead of writing that the remainder is due at once.
assert_eq "dunning|2030-02-02" "$(life $M2 | cut -d'|' -f1)|$(lim $M2)" "M2: 70 days of rest"
q "UPDATE abgleich.fines_config SET relief_grace_days = 7" >/dev/null
$ABGLEICH case $M2 --instalments 2 --first 2030-01-21 --as-of 2030-01-13 >/dev/null
assert_eq "instalments|5350|2030-01-21|2030-01-29|5350|-" "$(life $M2)|$(lim $M2)" "M2's new plan rests the limitation"
expect_exit 3 $ABGLEICH case $M2 --defer-to 2030-06-01 --as-of 2030-03-01
grep -q "the enforcement limitation ended on 2030-02-18 (§ 34 OWiG)" $TMP/stderr || fail "a plan lapsed by its terms, the limitation over since: $(cat $TMP/stderr)"
$ABGLEICH escalate --as-of 2030-03-16 --letters /dev/null >/dev/null
assert_eq "dunning" "$(life $K1 | cut -d'|' -f1)" "K1 on its last day"
assert_eq "enforcement_barred|0|-|-|0" "$(life $M2)" "M2 barred, not lapsed, on the night after its limitation ended"
assert_match "^Vollstreckungsverjährung \(§ 34 OWiG\): die Frist endete am 18.02.2030;" "$(last_event $M2 reason_de)" "the day in M2's reason"
assert_eq "2030-02-18" "$(last_event $M2 limitation_date)" "the barred event keeps that day"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$M2' AND e.state = 'relief_lapsed' AND e.event_date > '2029-01-01'")" "no lapse letter for M2"
$ABGLEICH escalate --as-of 2030-03-17 --letters /dev/null >/dev/null
assert_eq "enforcement_barred|6567|-|-|0" "$(life $K1)" "K1 barred the day after"

$ABGLEICH account --reference $K6 >$TMP/acc6.txt
grep -q "Stand: Vollstreckung verjährt (§ 34 OWiG)" $TMP/acc6.txt || fail "German state: $(cat $TMP/acc6.txt)"
grep -q "Vollstreckungsverjährung (§ 34 OWiG): die Frist endete am 24.11.2029; .* die offenen 73,50 EUR werden ausgebucht$" $TMP/acc6.txt || fail "German reason: $(cat $TMP/acc6.txt)"
$ABGLEICH --lang en account --reference $K6 >$TMP/acc6_en.txt
grep -q "state: enforcement time-barred (§ 34 OWiG)" $TMP/acc6_en.txt || fail "English state: $(cat $TMP/acc6_en.txt)"
grep -q "enforcement limitation ended 2029-11-24 (§ 34 OWiG)" $TMP/acc6_en.txt || fail "English reason: $(cat $TMP/acc6_en.txt)"
assert_eq "false" "$(q "SELECT '$($ABGLEICH --json account --reference $K6)'::jsonb->'claims'->0->>'open'")" "closed in the JSON account"
# K4's last day is 26 May 2030; on the 27th no relief is granted any more,
# also before the night has recorded the bar.
expect_exit 3 $ABGLEICH case $K4 --instalments 2 --as-of 2030-05-27
grep -q "the enforcement limitation ended on 2030-05-26 (§ 34 OWiG)" $TMP/stderr || fail "past the limitation: $(cat $TMP/stderr)"
$ABGLEICH escalate --as-of 2030-05-26 --letters /dev/null >/dev/null
assert_eq "dunning" "$(life $K4 | cut -d'|' -f1)" "K4 on its last day"
$ABGLEICH escalate --as-of 2030-05-27 --letters /dev/null >/dev/null
assert_eq "enforcement_barred|0|-|-|0" "$(life $K4)" "K4 barred the day after; nothing was paid"
expect_exit 3 $ABGLEICH case $K6 --instalments 2 --as-of 2029-11-26
grep -q "is in state enforcement_barred" $TMP/stderr || fail "no relief for a barred claim: $(cat $TMP/stderr)"

# 20 EUR arriving for K6 afterwards: as on a time-barred claim, a
# clarification for a clerk (to refund), nothing allocated.
camt REL-2029-1 2029-11-27 20.00 $K6 > $TMP/k6.xml
$ABGLEICH reconcile $TMP/k6.xml >/dev/null 2>$TMP/k6.txt || fail "reconcile: $(cat $TMP/k6.txt)"
assert_eq "claim_already_paid|2000" "$(q "SELECT reason || '|' || open_cents FROM abgleich.open_clarifications ORDER BY id DESC LIMIT 1")" "money after the bar waits for a clerk"
assert_eq "enforcement_barred|1000|-|-|0" "$(life $K6)" "nothing allocated to the barred claim"

# A plan replaced by a new relief (sql/065), in a database of its own: K1's
# plan (first part 15 Jan) replaced on 10 Jan by a deferral to 1 Mar rests
# without a gap: 40 days to the replacement, 51 of the deferral (10 Jan to
# 1 Mar): 24 Nov 2029 + 91.  K6's plan (first part Mon 4 Jan) lapsed by its
# terms on 12 Jan, escalate not run; replaced on 20 Jan it rested 42 days
# (to 12 Jan), the deferral 41 (20 Jan to 1 Mar), the days between not:
# + 83 (before 065: + 91).  A plan paid in full: paid, nothing to enforce.
export PGDATABASE="${PGDATABASE}__replaced"
psql -XAtq -d postgres -c "CREATE DATABASE \"$PGDATABASE\" TEMPLATE template0"
export ABGLEICH_DB="$ABGLEICH_DB dbname=$PGDATABASE"
$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets --as-of 2026-11-05 $F/tickets.csv 2>/dev/null
$ABGLEICH escalate --as-of 2026-11-10 --letters /dev/null >/dev/null
for k in $K1 $K4 $K6 $K9; do $ABGLEICH case $k --driver-known --as-of 2026-11-10 >/dev/null; done
$ABGLEICH escalate --as-of 2026-11-25 --letters /dev/null >/dev/null
$ABGLEICH case $K1 --instalments 3 --first 2027-01-15 --as-of 2026-12-01 >/dev/null
$ABGLEICH case $K1 --defer-to 2027-03-01 --as-of 2027-01-10 >/dev/null
assert_eq "deferred|2030-02-23" "$(life $K1 | cut -d'|' -f1)|$(lim $K1)" "a plan replaced before a part was missed: the rest goes on"
$ABGLEICH case $K6 --instalments 2 --first 2027-01-04 --as-of 2026-12-01 >/dev/null
$ABGLEICH case $K6 --defer-to 2027-03-01 --as-of 2027-01-20 >/dev/null
assert_eq "deferred|2030-02-15" "$(life $K6 | cut -d'|' -f1)|$(lim $K6)" "a plan lapsed by its terms, then replaced: not rested in between"
$ABGLEICH case $K9 --instalments 2 --first 2027-01-15 --as-of 2026-12-01 >/dev/null
pay $K9 8350
$ABGLEICH escalate --as-of 2027-06-01 --letters /dev/null >/dev/null
assert_eq "paid|8350|2027-01-15|-|0|-" "$(life $K9)|$(lim $K9)" "a plan paid in full"

# A plan granted under 14 days of grace keeps them when the office goes
# back to 7 (sql/070): K4, dunned on 1 Jun, in 2 parts from Thu 15 Jul.
# Kept on 29 Jul (under 7 days it lapsed on the 23rd), lapsed on the 30th;
# the limitation rested the 58 days from 2 Jun to 30 Jul.
q "UPDATE abgleich.fines_config SET relief_grace_days = 14" >/dev/null
$ABGLEICH case $K4 --instalments 2 --first 2027-07-15 --as-of 2027-06-02 >/dev/null
q "UPDATE abgleich.fines_config SET relief_grace_days = 7" >/dev/null
assert_eq "14" "$(grace $K4)" "the grace of the grant recorded with the parts"
assert_match "a part unpaid 14 days after its day ends the relief" "$(last_event $K4 reason)" "the grant states its grace"
assert_eq "instalments|8350|2027-07-15|2027-07-30|8350|-" "$(life $K4)|$(lim $K4)" "14 days of grace, as granted"
$ABGLEICH --json account --reference $K4 >$TMP/acc4.json
assert_eq "2027-07-30" "$(q "SELECT '$(cat $TMP/acc4.json)'::jsonb->'claims'->0->>'next_step_date'")" "the account's next step, as granted"
$ABGLEICH escalate --as-of 2027-07-29 --letters /dev/null >/dev/null
assert_eq "instalments" "$(life $K4 | cut -d'|' -f1)" "kept within the 14 days"
# The night of the lapse a reconcile run holds the lock when escalate
# starts and books 10 EUR for K4 meanwhile (escalate_racing): escalate,
# which waits for it, sees them, and so must the lapse's letter, which is
# dated by the event's created_at (before the fix escalate's transaction
# began before it waited: the letter left the 10 EUR out and asked for
# 83.50 EUR, while the reason said 73.50).
escalate_racing 2027-07-30 $TMP/race.csv \
    "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 1000, 'manual' FROM abgleich.claims WHERE reference = '$K4'"
assert_eq "relief_lapsed|8350|2027-07-30|2027-08-14|7350" "$(life $K4)" "lapsed after the 14 days"
assert_match "the remaining 73.50 EUR are due at once" "$(last_event $K4 reason)" "the lapse counts the 10 EUR"
grep -q "^$K4;.*;Wegfall der Zahlungserleichterung, sofort fällig;2027-07-30;55,00;25,00;3,50;83,50;10,00;73,50;2027-07-30;;;$" $TMP/race.csv \
    || fail "the lapse letter counts the payment escalate saw: $(cat $TMP/race.csv)"
assert_match "^die Rate fällig am 15.07.2027 ist nicht innerhalb von 14 Tagen bezahlt" "$(last_event $K4 reason_de)" "the lapse names the grace granted"
assert_eq "2030-01-21" "$(lim $K4)" "rested from the grant to the lapse by its terms, 58 days"
