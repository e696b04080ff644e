#!/bin/bash
# Rules of the fines lifecycle an audit found broken (sql/035_fines_rules.sql,
# fixtures tests/fixtures/rules/make.py):
# 1. only a hearing takes the answers driver known / unknown;
# 2. no fine notice after the limitation (its last day the day before the
#    named day, § 31(3) OWiG); a parking case's cost notice may
#    still follow (§ 25a StVG);
# 3. no event dated before the claim's last one; one step per claim and day,
#    a day run again changes nothing;
# 4. a parking hearing past its limitation gets the cost notice, not the
#    time bar (an open warning is still time-barred);
# 5. the surplus a cost notice makes leaves the claim with its clarification
#    (30 EUR paid of 55, then 23.50 EUR owed: 6.50 EUR), so the payment is
#    counted once, also after the offset; a return of the payment undoes it;
# 6. a letter states the amounts as of its event;
# 7. the letter's deadline is the deadline, not the day after it.
set -eu
. tests/integration/lib.sh
F=$FIXTURES/rules
K1=400000090016 K2=400000090024 K3=400000090032 K4=400000090049 K6=400000090057
K7=400000090065 M1=400000090073 M2=400000090081 K5=400000090090 M3=400000090104
P1=400000090112
stage() { q "SELECT stage FROM abgleich.claim_ledger WHERE reference = '$1'"; }
money() { q "SELECT stage || '|' || owed_cents || '|' || paid_cents || '|' || open_cents FROM abgleich.claim_ledger WHERE reference = '$1'"; }
events() { q "SELECT count(*) FROM abgleich.claim_events"; }
tx_sum() { q "SELECT coalesce(sum(a.amount_cents), 0) FROM abgleich.allocations a JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE t.end_to_end_id = '$1' AND t.direction = '$2'"; }

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets --as-of 2026-11-05 $F/tickets.csv 2>/dev/null
$ABGLEICH reconcile $F/day1.xml >/dev/null 2>&1
assert_eq "warning_open|5500|3000|2500" "$(money $M1)" "M1: 30 EUR of 55 paid"

# 1. No notice without a hearing; a warning may still be dismissed.
expect_exit 3 $ABGLEICH case $K1 --driver-known --as-of 2026-11-06
grep -q "not in a hearing" $TMP/stderr || fail "why not: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K1 --driver-unknown --as-of 2026-11-06
assert_eq "warning_open|0" "$(stage $K1)|$(events)" "an open warning takes no answer"
$ABGLEICH case $K7 --dismiss --as-of 2026-11-06 >/dev/null 2>&1 || fail "dismissing a warning"
assert_eq dismissed "$(stage $K7)" "a warning can be dismissed"

# The hearings.
$ABGLEICH escalate --as-of 2026-11-10 --letters $TMP/h1.csv >/dev/null
assert_eq "hearing hearing hearing hearing hearing hearing hearing" \
    "$(for r in $K1 $K2 $K3 $K4 $K6 $M1 $M2; do stage $r; done | tr '\n' ' ' | sed 's/ $//')" "the hearings"

# 3. A case dated before the claim's last event is refused.
expect_exit 3 $ABGLEICH case $K6 --driver-known --as-of 2026-11-09
grep -q "has an event of 2026-11-10" $TMP/stderr || fail "why not: $(cat $TMP/stderr)"
assert_eq hearing "$(stage $K6)" "no event before the hearing"

# 6, 7. A same-day answer, and the day's letters written again: the hearing
# letter keeps the hearing's amounts; each states its real deadline.
$ABGLEICH case $K1 --driver-known --as-of 2026-11-10 >/dev/null
$ABGLEICH case $K6 --driver-known --as-of 2026-11-10 >/dev/null
$ABGLEICH escalate --as-of 2026-11-10 --letters $TMP/h2.csv >/dev/null
grep -q "^$K1;HH-RA 1;112454;.*;Anhörung;2026-11-10;55,00;0,00;0,00;55,00;0,00;55,00;2026-11-24;2026-11-24;;$" $TMP/h2.csv ||
    fail "the hearing letter as of the hearing, answer by 24 Nov: $(cat $TMP/h2.csv)"
grep -q "^$K1;HH-RA 1;112454;.*;Bußgeldbescheid;2026-11-10;55,00;25,00;3,50;83,50;0,00;83,50;2026-12-08;2026-11-24;;$" $TMP/h2.csv ||
    fail "the fine notice letter, objection until 24 Nov: $(cat $TMP/h2.csv)"
assert_eq "2026-11-25" "$(q "SELECT next_step_date FROM abgleich.fines_letters WHERE reference = '$K1' AND state = 'fine_notice'")" \
    "next_step_date stays the day after the objection period"
$ABGLEICH --lang en escalate --as-of 2026-11-10 --letters $TMP/h2en.csv >/dev/null
grep -q "^$K1,HH-RA 1,112454,.*,hearing,2026-11-10,55.00,0.00,0.00,55.00,0.00,55.00,2026-11-24,2026-11-24,,$" $TMP/h2en.csv ||
    fail "English letter: $(cat $TMP/h2en.csv)"

# 5. M1's keeper gets the cost notice: 23.50 EUR owed, 30 paid.  The 6.50
# over leave the claim for an overpayment clarification of the payment.
$ABGLEICH case $M1 --driver-unknown --as-of 2026-11-12 >/dev/null
assert_eq "cost_notice|2350|2350|0" "$(money $M1)" "M1 holds what it owes, not the 30 EUR"
k=$(q "SELECT id FROM abgleich.clarifications WHERE claim_id = (SELECT id FROM abgleich.claims WHERE reference = '$M1') AND reason = 'overpayment'")
assert_eq "650" "$(q "SELECT amount_cents FROM abgleich.clarifications WHERE id = $k")" "6.50 EUR to refund or set off"
assert_eq "-650|t|t" "$(q "SELECT a.amount_cents, a.reverses IS NULL AND a.clarification_id IS NULL, a.explanation LIKE '%Klärfall #$k%' AND a.explanation_en LIKE '%clarification #$k%' FROM abgleich.allocations a WHERE a.method = 'surplus_to_clarification'")" \
    "a ledger row moves the 6.50 EUR out, naming the clarification in its words"
assert_eq "3000" "$(($(tx_sum E-M1 C) + $(q "SELECT sum(k.amount_cents) FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = 'E-M1'")))" \
    "the claim's allocations and the clarification add up to the payment"
assert_eq "paid|1" "$(q "SELECT topic || '|' || count(*) FROM abgleich.outbox WHERE reference = '$M1' GROUP BY topic")" "paid once by the cost notice"
# The next run sets the 6.50 off against the car's other claim.
$ABGLEICH reconcile $F/day2.xml >/dev/null 2>&1
assert_eq "hearing|2500|650|1850" "$(money $M2)" "M2: the surplus set off"
assert_eq "3000" "$(tx_sum E-M1 C)" "30 EUR paid, 30 EUR allocated (36.50 before)"
assert_eq "3000" "$(q "SELECT abgleich.account_json('HH-RG 8', NULL)->>'paid_cents'")" "the account's paid total is what was paid"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.open_clarifications WHERE reason = 'overpayment'")" "nothing left to refund"
assert_eq "paid|1" "$(q "SELECT topic || '|' || count(*) FROM abgleich.outbox WHERE reference IN ('$M1', '$M2') GROUP BY topic")" \
    "no 'unpaid', no second 'paid'"
# P1, paid in two parts (4 EUR, then 3 EUR of 10), is dismissed: each
# payment's part leaves the claim for a clarification of that payment.
$ABGLEICH case $P1 --dismiss --as-of 2026-11-14 >/dev/null
assert_eq "dismissed|0|0|0" "$(money $P1)" "P1 holds nothing after the dismissal"
assert_eq "E-P1A|400|0 E-P1B|300|0" "$(q "SELECT string_agg(t.end_to_end_id || '|' || k.amount_cents || '|' || (SELECT sum(a.amount_cents) FROM abgleich.allocations a WHERE (a.file_id, a.tx_seq) = (k.file_id, k.tx_seq)), ' ' ORDER BY t.end_to_end_id) FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id LIKE 'E-P1%'")" \
    "a clarification per payment, of what came with it"

# M3 (another car, 30 of 55 paid) gets its cost notice too; its 6.50
# EUR wait for a refund.  The bank returns both 30 EUR payments; M3's driver
# pays 30 EUR again in the same statement: 23.50 for the claim, 6.50 over.
$ABGLEICH case $M3 --driver-unknown --as-of 2026-11-12 >/dev/null
assert_eq "cost_notice|2350|2350|0|650" "$(money $M3)|$(q "SELECT sum(open_cents) FROM abgleich.open_clarifications WHERE end_to_end_id = 'E-M3'")" "M3 before the return"
$ABGLEICH --json reconcile $F/day3.xml >$TMP/day3.txt 2>&1 || fail "day 3: $(cat $TMP/day3.txt)"
grep -q '"reversed":3,"reversed_cents":6650' $TMP/day3.txt ||
    fail "the summary counts what the returns took back (30 + 30 + the 6.50 offset), not the moves back: $(cat $TMP/day3.txt)"
assert_eq "cost_notice|2350|0|2350" "$(money $M1)" "after the return M1 is open for exactly the 23.50 EUR it owes"
assert_eq "hearing|2500|0|2500" "$(money $M2)" "M2 open again: the offset went back with the payment"
assert_eq "-3000" "$(tx_sum E-M1 D)" "the return takes back the payment, the offset and the move to the clarification"
assert_eq "reversal|650" "$(q "SELECT r.method || '|' || r.amount_cents FROM abgleich.allocations r JOIN abgleich.allocations a ON a.id = r.reverses JOIN abgleich.claims c ON c.id = a.claim_id WHERE a.method = 'surplus_to_clarification' AND c.reference = '$M1'")" \
    "the move to the clarification reversed"
assert_eq "paid unpaid" "$(q "SELECT string_agg(topic, ' ' ORDER BY id) FROM abgleich.outbox WHERE reference = '$M1'")" \
    "M1: paid by the cost notice, unpaid by the return"
assert_eq "0" "$(q "SELECT count(*) FROM abgleich.outbox WHERE reference = '$M2'")" "M2 was never paid"
assert_eq "cost_notice|2350|2350|0|2350|650" "$(money $M3)|$(tx_sum E-M3B C)|$(q "SELECT sum(open_cents) FROM abgleich.open_clarifications WHERE end_to_end_id = 'E-M3B'")" \
    "M3's new 30 EUR in the run of the return: 23.50 to the claim, 6.50 over (the claim index agrees with the ledger)"
assert_eq "0" "$(q "SELECT coalesce(sum(open_cents), 0) FROM abgleich.open_clarifications WHERE end_to_end_id = 'E-M3'")" \
    "M3's surplus went back with the payment: nothing to refund"

# 2, 3, 4. The limitation of the hearings of 10 Nov ends with 9 Feb, the
# day before the one named like the hearing's (sql/045).  No fine notice
# after it, not even on 10 Feb; a parking keeper's cost notice still.
assert_eq "2027-02-09" "$(q "SELECT limitation_date FROM abgleich.claim_ledger WHERE reference = '$K2'")" "the hearing's last day"
# A database of 044 stored the named day itself; 045 corrects its events.
# Its rewrite, as the migration's text has it, runs again here on dates
# set back to the old rule (only that block: applying all of 045 again
# would put back functions that later migrations replaced).
q "ALTER TABLE abgleich.claim_events DISABLE TRIGGER claim_events_no_update;
   UPDATE abgleich.claim_events SET limitation_date = '2027-02-10' WHERE claim_id IN (SELECT id FROM abgleich.claims WHERE reference IN ('$K2', '$K3'));
   UPDATE abgleich.claim_events SET limitation_date = '2027-02-12' WHERE claim_id IN (SELECT id FROM abgleich.claims WHERE reference = '$K4');
   ALTER TABLE abgleich.claim_events ENABLE TRIGGER claim_events_no_update" >/dev/null
sed -n '/^ALTER TABLE abgleich.claim_events DISABLE TRIGGER/,/^ALTER TABLE abgleich.claim_events ENABLE TRIGGER/p' \
    sql/045_limitation_day.sql >$TMP/045_rewrite.sql
grep -q "^UPDATE abgleich.claim_events e" $TMP/045_rewrite.sql || fail "045's rewrite block not found"
psql -XAtq -v ON_ERROR_STOP=1 -f $TMP/045_rewrite.sql >/dev/null
assert_eq "2027-02-09 2027-02-09 2027-02-12" \
    "$(for r in $K2 $K3 $K4; do q "SELECT limitation_date FROM abgleich.claim_ledger WHERE reference = '$r'"; done | tr '\n' ' ' | sed 's/ $//')" \
    "045 corrects the dates the old rule stored, and leaves others alone"
q "ALTER TABLE abgleich.claim_events DISABLE TRIGGER claim_events_no_update;
   UPDATE abgleich.claim_events SET limitation_date = '2027-02-09' WHERE claim_id IN (SELECT id FROM abgleich.claims WHERE reference = '$K4');
   ALTER TABLE abgleich.claim_events ENABLE TRIGGER claim_events_no_update" >/dev/null
expect_exit 3 $ABGLEICH case $K2 --driver-known --as-of 2027-02-10
grep -q "its limitation ended on 2027-02-09" $TMP/stderr || fail "why not on 10 Feb: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH case $K2 --driver-known --as-of 2027-02-11
grep -q "time-barred" $TMP/stderr || fail "why not: $(cat $TMP/stderr)"
assert_eq hearing "$(stage $K2)" "no fine notice after the limitation"
$ABGLEICH case $K3 --driver-unknown --as-of 2027-02-11 >/dev/null
assert_eq "cost_notice|2350|0|2350" "$(money $K3)" "driver unknown after the limitation, parking: the cost notice"
$ABGLEICH escalate --as-of 2027-02-11 --letters $TMP/l211.csv >/dev/null
assert_eq "time_barred" "$(stage $K2)" "not parking: time-barred"
assert_eq "cost_notice|2350|0|2350" "$(money $K4)" "parking hearing past its limitation: the keeper's cost notice"
assert_eq "cost_notice|2350|0|2350" "$(money $M2)" "M2 too"
assert_eq "final_due final_due" "$(stage $K1) $(stage $K6)" "the fine notices final"
grep -q "^$K4;.*;Kostenbescheid (§ 25a StVG);2027-02-11;0,00;20,00;3,50;23,50;0,00;23,50;2027-03-11;2027-02-25;;$" $TMP/l211.csv ||
    fail "the cost notice letter: $(cat $TMP/l211.csv)"
m=$(events)
$ABGLEICH escalate --as-of 2027-02-01 --letters /dev/null >/dev/null
assert_eq "$m" "$(events)" "a run of an earlier day writes nothing"
$ABGLEICH escalate --as-of 2027-02-11 --letters $TMP/l211b.csv >/dev/null
assert_eq "$m|final_due" "$(events)|$(stage $K6)" "the same day again: nothing moves a second step"
cmp -s $TMP/l211.csv $TMP/l211b.csv || fail "the day's letters written again differ: $(diff $TMP/l211.csv $TMP/l211b.csv)"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.claim_events e JOIN abgleich.claim_events p ON p.claim_id = e.claim_id AND p.id < e.id AND p.event_date > e.event_date")" \
    "no event older than one before it"
$ABGLEICH escalate --as-of 2027-02-12 --dry-run --letters $TMP/d212.csv >/dev/null
assert_eq "$m" "$(events)" "a dry run keeps nothing"
grep -q "^$K6;.*;Mahnung;2027-02-12;" $TMP/d212.csv || fail "the dry run's letters: $(cat $TMP/d212.csv)"
$ABGLEICH escalate --as-of 2027-02-12 --letters /dev/null >/dev/null
assert_eq "dunning dunning cost_notice cost_notice" "$(stage $K1) $(stage $K6) $(stage $K4) $(stage $K3)" \
    "the next day one step on; a cost notice waits for its objection period"
$ABGLEICH escalate --as-of 2027-02-26 --letters /dev/null >/dev/null
assert_eq "final_due" "$(stage $K4)" "final the day after its objection period"

# 4. An open warning past its limitation had no hearing: time-barred.
$ABGLEICH import tickets --as-of 2027-03-15 $F/late.csv 2>/dev/null
$ABGLEICH escalate --as-of 2027-03-21 --letters /dev/null >/dev/null
assert_eq "time_barred" "$(stage $K5)" "a warning past its limitation"
