#!/bin/bash
# The objection (Einspruch) against a notice (sql/048_objection.sql,
# docs/fines.md): within the objection period `case --objection` stops the
# notice from becoming final and from being dunned; a late one is refused
# (§ 70 OWiG); an objection is only against a fine or cost notice; its
# withdrawal makes the notice final that day, due 14 days later; a
# dismissal ends the case; a payment during the objection counts.
set -eu
. tests/integration/lib.sh
F=$FIXTURES/rules
K1=400000090016 K2=400000090024 K3=400000090032 K6=400000090057
life() { q "SELECT state || '|' || amount_cents || '|' || coalesce(due_date::text, '-') || '|' || coalesce(next_step_date::text, '-') || '|' || open_cents FROM abgleich.claim_lifecycle WHERE reference = '$1'"; }
events() { q "SELECT count(*) FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$1'"; }

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets --as-of 2026-11-05 $F/tickets.csv 2>/dev/null
$ABGLEICH escalate --as-of 2026-11-10 --letters /dev/null >/dev/null
$ABGLEICH case $K1 --driver-known --as-of 2026-11-10 >/dev/null
$ABGLEICH case $K6 --driver-known --as-of 2026-11-10 >/dev/null
$ABGLEICH case $K3 --driver-unknown --as-of 2026-11-10 >/dev/null
assert_eq "fine_notice|8350|2026-12-08|2026-11-25|8350" "$(life $K1)" "the fine notice: objection until 24 Nov"

# Only a notice takes an objection.
expect_exit 3 $ABGLEICH case $K2 --objection --as-of 2026-11-11
grep -q "an objection is against a fine or cost notice" $TMP/stderr || fail "why not: $(cat $TMP/stderr)"
assert_eq hearing "$(life $K2 | cut -d'|' -f1)" "the hearing stays"

# On the last day of the period: the notice is not final and not due.
out=$($ABGLEICH --lang en case $K1 --objection --as-of 2026-11-24 --by clerk1)
echo "$out" | grep -q "^$K1: objection as of 2026-11-24, owed 83,50 EUR, open 83,50 EUR, due -$" || fail "case prints: $out"
assert_eq "objection|8350|-|-|8350" "$(life $K1)" "under objection: owed, not due, no next step"
assert_eq "objection to the notice received (clerk1)" \
    "$(q "SELECT e.reason FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$K1' ORDER BY e.id DESC LIMIT 1")" "the reason names the clerk"

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

# The nights: K6 becomes final and is dunned, K1 is left alone.
$ABGLEICH escalate --as-of 2026-11-25 --letters /dev/null >/dev/null
assert_eq "final_due objection" "$(life $K6 | cut -d'|' -f1) $(life $K1 | cut -d'|' -f1)" "no objection: final; objection: not"
n=$(events $K1)
$ABGLEICH escalate --as-of 2026-12-23 --letters $TMP/d.csv >/dev/null
assert_eq "dunning" "$(life $K6 | cut -d'|' -f1)" "K6 dunned"
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
