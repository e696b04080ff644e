#!/bin/bash
# The fines lifecycle end to end (fines-domain.md §1): warning -> hearing
# -> Bußgeldbescheid (fine + max(25 EUR, 5 %) + 3.50 EUR) or the keeper's
# Kostenbescheid (20 + 3.50 EUR) -> final -> dunning; dismissal;
# limitation; the worked totals 10 -> 38.50, 55 -> 83.50, 600 -> 633.50,
# cost notice 23.50; payments before escalation count; § 94 OWiG order of
# application; letters for the print shop; overpayment set off against the
# plate's other claim; outbox and NOTIFY abgleich_paid; the account view.
set -eu
. tests/integration/lib.sh
F=$FIXTURES/fines
A=400000050014 B=400000050022 C=400000050039 D=400000050047 E=400000050055
FF=400000050063 G=400000050071 H=400000050080 I=400000050098
state() { q "SELECT state || '|' || amount_cents || '|' || open_cents || '|' || coalesce(due_date::text, '-') || '|' || coalesce(next_step_date::text, '-') FROM abgleich.claim_lifecycle WHERE reference = '$1'"; }

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets --as-of 2026-11-05 $F/lifecycle.csv 2>/dev/null
assert_eq "warning_open|1000|1000|2026-11-09|2026-11-10" "$(state $A)" "a fresh warning: due a week after the offense, on Monday for a Sunday (§ 43 StPO)"

# Payments before any step: E in full, G in part (a clerk's manual rows).
q "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 2500, 'manual' FROM abgleich.claims WHERE reference = '$E'"
q "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 500, 'manual' FROM abgleich.claims WHERE reference = '$G'"
assert_eq "paid|2500|0|2026-11-09|-" "$(state $E)" "a paid warning is paid"
assert_eq "$E|2500|2500" "$(q "SELECT reference, payload->>'owed_cents', payload->>'paid_cents' FROM abgleich.outbox WHERE topic = 'paid'")" "outbox row for the paid claim"

# Nothing is due on the due date itself; the day after, the hearing.
out=$($ABGLEICH --json escalate --as-of 2026-11-09 --letters $TMP/l0.csv)
assert_eq '{"as_of":"2026-11-09","moved":0,"states":{},"letters":"'$TMP'/l0.csv","limitation_review":0,"dry_run":0}' "$out" "nothing moves on the due date"
$ABGLEICH escalate --as-of 2026-11-10 --letters $TMP/l1.csv >/dev/null
assert_eq "hearing|1000|1000|2026-11-24|2026-11-25" "$(state $A)" "hearing: 14 days to answer"
assert_eq "7" "$(($(wc -l <$TMP/l1.csv) - 1))" "seven hearing letters (A B C D F H I)"
grep -q "^$A;HH-AB 1;112292;2026-11-01 10:00:00;Hafenstraße 1;Anhörung;2026-11-10;10,00;0,00;0,00;10,00;0,00;10,00;2026-11-24;2026-11-24;;$" $TMP/l1.csv \
    || fail "letter of A (answer by 24 Nov): $(cat $TMP/l1.csv)"
assert_eq "2027-02-09" "$(q "SELECT limitation_date FROM abgleich.claim_lifecycle WHERE reference = '$A'")" \
    "the hearing of 10 Nov restarts the limitation; its last day is 9 Feb (the day before the named day)"
$ABGLEICH escalate --as-of 2026-11-10 --letters /dev/null >/dev/null
assert_eq 7 "$(q 'SELECT count(*) FROM abgleich.claim_events')" "the same night again moves nothing"
$ABGLEICH escalate --as-of 2026-11-11 --dry-run --letters /dev/null >/dev/null
assert_eq 7 "$(q 'SELECT count(*) FROM abgleich.claim_events')" "a dry run keeps nothing"
$ABGLEICH escalate --as-of 2026-11-11 --letters /dev/null >/dev/null
assert_eq "hearing|1000|500|2026-11-25|2026-11-26" "$(state $G)" "G: hearing, its earlier payment counts"

# What the hearings brought.
$ABGLEICH case $A --driver-known --as-of 2026-11-20 >/dev/null
$ABGLEICH case $B --driver-known --as-of 2026-11-20 >/dev/null
$ABGLEICH case "4000 0005 0098" --driver-known --as-of 2026-11-20 >/dev/null
$ABGLEICH case $G --driver-unknown --as-of 2026-11-20 >/dev/null
$ABGLEICH case $D --driver-unknown --as-of 2026-11-20 >/dev/null
$ABGLEICH case $FF --dismiss --as-of 2026-11-20 >/dev/null
expect_exit 3 $ABGLEICH case $E --dismiss --as-of 2026-11-20
grep -q "is paid" $TMP/stderr || fail "a paid warning cannot be dismissed: $(cat $TMP/stderr)"
expect_exit 1 $ABGLEICH case 400000059999 --dismiss
expect_exit 2 $ABGLEICH case $A
assert_eq "fine_notice|3850|3850|2026-12-18|2026-12-05" "$(state $A)" "10 EUR -> 38.50 EUR (fee 25 minimum, 3.50 expenses); final after 14 days, due 14 days later"
assert_eq "fine_notice|8350|8350|2026-12-18|2026-12-05" "$(state $B)" "55 EUR -> 83.50 EUR"
assert_eq "fine_notice|63350|63350|2026-12-18|2026-12-05" "$(state $I)" "600 EUR -> 633.50 EUR (fee 5 % = 30 EUR)"
assert_eq "cost_notice|2350|1850|2026-12-18|2026-12-05" "$(state $G)" "driver unknown, parking: cost notice 23.50 EUR; the 5 EUR paid before count"
assert_eq "0|2000|350" "$(q "SELECT fine_cents, fee_cents, expenses_cents FROM abgleich.claim_lifecycle WHERE reference = '$G'")" "the cost notice replaces the fine"
assert_eq "dismissed|0|0|-|-" "$(state $D)" "driver unknown, not parking: dismissed"
assert_eq "dismissed|0|0|-|-" "$(state $FF)" "dismissed by a clerk"
assert_eq "$A|hearing|fine_notice|0|2500|350" "$(q "SELECT c.reference, e.state_from, e.state, e.fine_cents, e.fee_cents, e.expenses_cents FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$A' AND e.state = 'fine_notice'")" "a dated event with the charges"

# No answer from the keeper of a parking case: cost notice; not parking: waits.
$ABGLEICH escalate --as-of 2026-11-25 --letters $TMP/l2.csv >/dev/null
assert_eq "cost_notice|2350|2350|2026-12-23|2026-12-10" "$(state $C)" "no answer, parking: cost notice 23.50 EUR"
assert_eq "hearing|1000|1000|2026-11-24|2026-11-25" "$(state $H)" "no answer, not parking: the hearing waits for a clerk"
grep -q "^$C;M-Q 3;141312;.*;Kostenbescheid (§ 25a StVG);2026-11-25;0,00;20,00;3,50;23,50;0,00;23,50;2026-12-23;2026-12-09;;$" $TMP/l2.csv || fail "cost notice letter: $(cat $TMP/l2.csv)"
grep -q "^$A;.*;Bußgeldbescheid;" $TMP/l2.csv && fail "a letter of another day"
$ABGLEICH --lang en escalate --as-of 2026-11-20 --letters $TMP/l3.csv >/dev/null
head -1 $TMP/l3.csv | grep -q "^reference,plate,tbnr,offense_time,location,letter,date,fine,fees,expenses,total,paid,open,due_date,deadline,instalment,instalment_amount$" || fail "English letters header: $(head -1 $TMP/l3.csv)"
grep -q "^$A,HH-AB 1,112292,.*,fine notice,2026-11-20,10.00,25.00,3.50,38.50,0.00,38.50,2026-12-18,2026-12-04,,$" $TMP/l3.csv || fail "the clerk's cases of the day: $(cat $TMP/l3.csv)"

# Payments after escalation: A overpaid (57 EUR for 38.50), B in part.
$ABGLEICH reconcile $F/statement.xml 2>$TMP/rec.txt
assert_eq "paid|3850|0" "$(q "SELECT state, amount_cents, open_cents FROM abgleich.claim_lifecycle WHERE reference = '$A'")" "the matcher sees the escalated amount"
assert_eq "paid|2350|0" "$(q "SELECT state, amount_cents, open_cents FROM abgleich.claim_lifecycle WHERE reference = '$G'")" "A's surplus (18.50) settles G of the same plate"
assert_eq "surplus_offset|1850" "$(q "SELECT a.method, a.amount_cents FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id WHERE c.reference = '$G' AND a.method = 'surplus_offset'")" "the offset is a ledger row"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.open_clarifications WHERE reason = 'overpayment'")" "nothing left to refund"
assert_eq "2000|2000|0|0" "$(q "SELECT paid_cents, fine_paid_cents, fee_paid_cents, expenses_paid_cents FROM abgleich.claim_components WHERE reference = '$B'")" "§ 94 OWiG: 20 EUR go to the fine first"
q "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 4000, 'manual' FROM abgleich.claims WHERE reference = '$B'"
assert_eq "5500|500|0" "$(q "SELECT fine_paid_cents, fee_paid_cents, expenses_paid_cents FROM abgleich.claim_components WHERE reference = '$B'")" "§ 94 OWiG: then the fees"
assert_eq "$E $A $G" "$(q "SELECT string_agg(reference, ' ' ORDER BY id) FROM abgleich.outbox")" "outbox: a row per claim that became paid"

# NOTIFY abgleich_paid with the reference, to a listener.
out=$(psql -X -v ON_ERROR_STOP=1 2>&1 <<SQL
LISTEN abgleich_paid;
INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 2350, 'manual' FROM abgleich.claims WHERE reference = '$C';
SQL
)
echo "$out" | grep -q "notification \"abgleich_paid\" with payload \"$C\"" || fail "no NOTIFY: $out"

# Final, then dunning; limitation.
$ABGLEICH escalate --as-of 2026-12-05 --letters /dev/null >/dev/null
assert_eq "final_due|8350|2350|2026-12-18|2027-01-02" "$(state $B)" "no objection: final, due 2026-12-18; reminder not before 14 days after"
# Fees are configuration (Länder differ): a reminder fee of 5 EUR here.
q "UPDATE abgleich.fines_config SET dunning_fee_cents = 500" >/dev/null
$ABGLEICH escalate --as-of 2027-01-02 --letters $TMP/l4.csv >/dev/null
assert_eq "dunning|8850|2850|2027-01-11|-" "$(state $B)" "reminder with the configured fee; its week ends on Saturday, so Monday"
grep -q "^$B;.*;Mahnung;2027-01-02;55,00;30,00;3,50;88,50;60,00;28,50;2027-01-11;;;$" $TMP/l4.csv || fail "reminder letter: $(cat $TMP/l4.csv)"
assert_eq "2500 750000 3000 3000" "$(q "SELECT abgleich.fines_fee(1000) || ' ' || abgleich.fines_fee(100000000)") $(q "UPDATE abgleich.fines_config SET fee_min_cents = 3000"; q "SELECT abgleich.fines_fee(1000) || ' ' || abgleich.fines_fee(60000)")" \
    "fee: minimum 25 EUR, maximum 7 500 EUR; a Land's minimum of 30 EUR is taken"
assert_eq "3008 3007" "$(q "SELECT abgleich.fines_fee(60150) || ' ' || abgleich.fines_fee(60149)")" \
    "fee of a fine with cents: 5 % of 601.50 EUR is 30.075 EUR, rounded half up to 30.08 EUR; of 601.49 EUR, 30.07 EUR"
$ABGLEICH escalate --as-of 2027-02-09 --letters /dev/null >/dev/null
assert_eq "hearing" "$(q "SELECT state FROM abgleich.claim_lifecycle WHERE reference = '$H'")" "the last day of the limitation"
$ABGLEICH escalate --as-of 2027-02-10 --letters /dev/null >/dev/null
assert_eq "time_barred|0|0|-|-" "$(state $H)" "time-barred on the day named like the hearing's, three months on"

# The citizen's account.
assert_eq "2|$A $G|paid paid|0" "$(q "SELECT jsonb_array_length(j->'claims'), (SELECT string_agg(c->>'reference', ' ') FROM jsonb_array_elements(j->'claims') c), (SELECT string_agg(c->>'state', ' ') FROM jsonb_array_elements(j->'claims') c), j->>'open_cents' FROM (SELECT abgleich.account_json('hh-ab 1', NULL) j) x")" "account by plate, however written"
assert_eq "fine_notice|2500|3850|F-001|2026-12-01" "$(q "SELECT j->'claims'->0->'history'->1->>'state', j->'claims'->0->'history'->1->>'fee_cents', j->'claims'->0->'payments'->0->>'amount_cents', j->'claims'->0->'payments'->0->>'end_to_end_id', j->'claims'->0->'payments'->0->>'date' FROM (SELECT abgleich.account_json(NULL, '$A') j) x")" "history and payments"
json=$($ABGLEICH --json account --plate "HH-AB 1")
assert_eq "$(q "SELECT abgleich.account_json('HH-AB 1', NULL)")" "$json" "--json prints the function's result"
$ABGLEICH account --plate "HH-AB 1" >$TMP/acct.txt
grep -q "^Konto HH-AB 1: 2 Forderungen, offen 0,00 EUR, gezahlt 62,00 EUR$" $TMP/acct.txt || fail "account text: $(cat $TMP/acct.txt)"
grep -q "Stand: bezahlt; Forderung 38,50 EUR (Geldbuße 10,00, Gebühren 25,00, Auslagen 3,50)" $TMP/acct.txt || fail "account claim: $(cat $TMP/acct.txt)"
$ABGLEICH --lang en account --reference $B | grep -q "state: reminder; owed 88.50 EUR (fine 55.00, fees 30.00, expenses 3.50)" || fail "English account"
expect_exit 2 $ABGLEICH account --plate X --reference Y

# The rule of the claim snapshot's delta (jobs/claimload.c): a claim's row
# plus what its events and ledger rows did (claimsnap_changes) is what
# claim_ledger says - here from the start, so for every claim, escalated,
# paid and reminded ones included.
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.claim_ledger l JOIN abgleich.claims c USING (id)
    LEFT JOIN abgleich.claimsnap_changes(0, 0) ch ON ch.claim_id = c.id
    WHERE l.owed_cents <> c.amount_cents + coalesce(ch.added_cents, 0)
       OR l.open_cents <> c.amount_cents + coalesce(ch.added_cents, 0) - coalesce(ch.paid_cents, 0)
       OR coalesce(l.due_date, date '9999-12-31') - date '1970-01-01'
          <> CASE WHEN ch.due_moved THEN ch.due_day
                  ELSE coalesce(c.due_date, date '9999-12-31') - date '1970-01-01' END")" \
    "claims and their changes say what claim_ledger says"
[ "$(q "SELECT count(*) FROM abgleich.claimsnap_changes(0, 0) WHERE due_moved AND paid_cents > 0")" -gt 0 ] ||
    fail "the check above saw no claim with both events and payments"
