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
#    1.2E1 in a numeric XLSX cell; "5,00 €" in a CSV.
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
