#!/bin/bash
# A statement met again (the bank audit): the same statement under another
# message reference (:20:) is skipped, not booked twice; a later fetch of
# the day that repeats the bookings already imported and adds more imports
# the additions (FinTS: the day fetched at noon and again in the evening),
# and the noon fetch coming late is skipped (files come in any order);
# a version that changes an imported booking is refused whole; a later
# page (:60M:) alone is refused.  Before, the evening fetch was skipped and
# its new payment lost, and the re-sent statement was booked twice.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-23
G=$FIXTURES/mt940grow
paid() { q "SELECT paid_cents FROM abgleich.claim_status WHERE reference = '$1'"; }

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $FIXTURES/matching/tickets.csv 2>/dev/null
$ABGLEICH reconcile $G/noon.sta 2>$TMP/noon.txt || fail "noon: $(cat $TMP/noon.txt)"
assert_eq "2000 0" "$(paid 400000010033) $(paid 400000010017)" "at noon, one payment"
$ABGLEICH --json reconcile $G/evening.sta >$TMP/evening.json 2>$TMP/evening.txt || fail "evening: $(cat $TMP/evening.txt)"
grep -q "statement 0/2026-11-20 of account 37050299/0001234567 grew since it was imported from .*noon.sta: 1 transactions added to the 1 imported" $TMP/evening.txt ||
    fail "the evening fetch says what it added: $(cat $TMP/evening.txt)"
assert_eq "2000 2500" "$(paid 400000010033) $(paid 400000010017)" "the evening's new payment is booked, the noon one not again"
assert_eq "1|2|4500" "$(q "SELECT count(DISTINCT s.id) || '|' || count(t.*) || '|' || max(s.closing_cents) FROM abgleich.statements s JOIN abgleich.bank_transactions t ON t.statement_id = s.id")" \
    "one statement of two transactions, with the evening's closing balance"
grep -q '"statements":1' $TMP/evening.json || fail "counted as a statement read: $(cat $TMP/evening.json)"

$ABGLEICH reconcile $G/resent.sta 2>$TMP/resent.txt || fail "resent: $(cat $TMP/resent.txt)"
grep -q "statement 0/2026-11-20 of account 37050299/0001234567 already imported; skipped" $TMP/resent.txt ||
    fail "another :20:, the same statement: $(cat $TMP/resent.txt)"
assert_eq "2000 2500 2" "$(paid 400000010033) $(paid 400000010017) $(q 'SELECT count(*) FROM abgleich.bank_transactions')" "nothing booked twice"

expect_exit 3 $ABGLEICH reconcile $G/changed.sta
grep -q "its transaction 1 is not the one imported there: a statement may only grow at its end" $TMP/stderr ||
    fail "a changed statement: $(cat $TMP/stderr)"
{ cat $G/noon.sta; printf '\r\n'; } > $TMP/noon_again.sta   # the noon fetch once more, as another file
$ABGLEICH reconcile $TMP/noon_again.sta 2>$TMP/again.txt || fail "an earlier state, later: $(cat $TMP/again.txt)"
grep -q "already imported, and grown since to 2 transactions; this file states the first 1; skipped" $TMP/again.txt ||
    fail "an earlier state of the statement, come late, is skipped: $(cat $TMP/again.txt)"
expect_exit 3 $ABGLEICH reconcile $G/page2.sta
grep -q "its first page is not in this file" $TMP/stderr || fail "a page alone: $(cat $TMP/stderr)"
assert_eq "2000 2500 0 2" "$(paid 400000010033) $(paid 400000010017) $(paid 400000010025) $(q 'SELECT count(*) FROM abgleich.bank_transactions')" \
    "neither stored anything"
