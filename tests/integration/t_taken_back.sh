#!/bin/bash
# Money the bank took back is not a clerk's to spend again, and money of the
# city's own that came back may be closed (found by the money review):
# 1. E-TB1 40,00 pays claim A 25,00, the 15,00 overpayment is refunded, then
#    the bank returns the 40,00: A is open again and the refunded 15,00 are
#    a returned_after_refund clarification.  Reversing the refund now is
#    refused (exit 3, German, English with --lang en): it reopened the 15,00
#    for a claim while the city no longer had them.
# 2. An overpayment reopened that way before the refusal (a refund_reversal
#    row written by an older clarify) can only be closed: allocating or
#    refunding it is refused, by hand and from a sheet.
# 3. A credit reversal (RvslInd on a credit: one of our debits undone) and
#    a returned transfer without our ABG- EndToEndId are the city's own
#    money coming back, not a citizen's payment: a clerk may close them
#    (booked where the debit was), by hand or from a sheet; a citizen's
#    payment still cannot be closed.
# 4. A payment refunded in full and then returned by the bank (only its
#    link in reversal_links tells): undoing the refund or allocating the
#    money is refused too.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-20
M=$FIXTURES/takenback
A=400000070015 D=400000070040
$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $M/tickets.csv 2>/dev/null
$ABGLEICH reconcile $M/day1.xml 2>/dev/null
clar_of() { q "SELECT k.id FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = '$1' AND t.direction = '$2' ORDER BY k.id LIMIT 1"; }
open_of() { q "SELECT open_cents FROM abgleich.claim_status WHERE reference = '$1'"; }
open_clar() { q "SELECT coalesce(sum(open_cents), 0) FROM abgleich.open_clarifications WHERE id = $1"; }
ledger() { q "SELECT count(*) || '|' || sum(amount_cents) FROM abgleich.allocations"; }

# 1. Refunded, then returned by the bank.
k1=$(clar_of E-TB1 C)
assert_eq "overpayment|1500" "$(q "SELECT reason || '|' || amount_cents FROM abgleich.clarifications WHERE id = $k1")" \
    "E-TB1 overpays A by 15,00"
$ABGLEICH clarify $k1 --refund --by "Frau Kluge" >/dev/null 2>&1 || fail "the refund"
$ABGLEICH reconcile $M/day2.xml 2>/dev/null
assert_eq 2500 "$(open_of $A)" "the return reopened A"
rar=$(clar_of E-TB1 D)
assert_eq "returned_after_refund|1500" "$(q "SELECT reason || '|' || amount_cents FROM abgleich.clarifications WHERE id = $rar")" \
    "the refunded 15,00 are to be recovered"
refund=$(q "SELECT id FROM abgleich.allocations WHERE method = 'refund' AND clarification_id = $k1")
before="$(ledger)"
expect_exit 3 $ABGLEICH clarify --reverse $refund --by "Frau Kluge"
grep -q "Zuordnung #$refund (refund) kann nicht aufgehoben werden: die Bank hat die Zahlung mit End-to-End-Referenz E-TB1 am 2026-11-09 zurückgebucht (Rückgabe, Datei #[0-9]*): das Geld hat das Konto verlassen" $TMP/stderr ||
    fail "says why, in German: $(cat $TMP/stderr)"
grep -q "beim Zahler zurück (Klärfall #$rar)" $TMP/stderr || fail "names the clarification to recover: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH --lang en clarify --reverse $refund
grep -q "allocation #$refund (refund) cannot be reversed by hand: the bank took back the payment with end-to-end id E-TB1 on 2026-11-09 (a return, file #[0-9]*): the money has left the account.*recovered from the payer (clarification #$rar)" $TMP/stderr ||
    fail "says why, in English: $(cat $TMP/stderr)"
assert_eq "$before" "$(ledger)" "the refused reversal wrote nothing"
assert_eq 0 "$(open_clar $k1)" "the overpayment stays settled: no 15,00 to spend"
assert_eq 2500 "$(open_of $D)" "D unpaid"

# 2. The state an older clarify left: the refund reversed after the return.
q "INSERT INTO abgleich.allocations (file_id, tx_seq, amount_cents, method, confidence, explanation, explanation_en, reverses, clarification_id) SELECT file_id, tx_seq, -amount_cents, 'refund_reversal', 100, 'alt', 'old', id, clarification_id FROM abgleich.allocations WHERE id = $refund"
assert_eq 1500 "$(open_clar $k1)" "the 15,00 open again, as the old clarify left them"
before="$(ledger)"
expect_exit 3 $ABGLEICH clarify $k1 --claim $D
grep -q "Klärfall #$k1: die Bank hat die Zahlung mit End-to-End-Referenz E-TB1 am 2026-11-09 zurückgebucht.*schließen Sie den Klärfall (clarify $k1 --close)" $TMP/stderr ||
    fail "not to a claim: $(cat $TMP/stderr)"
expect_exit 3 $ABGLEICH --lang en clarify $k1 --refund
grep -q "clarification #$k1: the bank took back the payment with end-to-end id E-TB1.*close it (clarify $k1 --close)" $TMP/stderr ||
    fail "not refunded: $(cat $TMP/stderr)"
$ABGLEICH clarifications -o $TMP/k.csv 2>/dev/null
sed -e "s/^\($k1;.*\);;;;\r\$/\1;zuordnen;$D;;Frau Kluge\r/" $TMP/k.csv > $TMP/d1.csv
if cmp -s $TMP/k.csv $TMP/d1.csv; then fail "the sheet row for #$k1 was not filled in"; fi
expect_exit 3 $ABGLEICH clarify --from $TMP/d1.csv
grep -q "Klärfall #$k1: die Bank hat die Zahlung mit End-to-End-Referenz E-TB1" $TMP/stderr &&
    grep -q "1 rows refused; nothing was changed" $TMP/stderr || fail "not from a sheet: $(cat $TMP/stderr)"
assert_eq "$before" "$(ledger)" "nothing allocated or refunded"
assert_eq 2500 "$(open_of $D)" "D still unpaid"
$ABGLEICH clarify $k1 --close --by "Frau Kluge" >/dev/null 2>&1 || fail "closing it"
assert_eq 0 "$(open_clar $k1)" "closed"

# 3. The city's own money back: closed with the clerk's name.
kcr=$(clar_of E-TBCR C)
krt=$(clar_of E-TBRT C)
knr=$(clar_of E-TBNR C)
assert_eq "reversal_without_original returned_transfer no_reference" \
    "$(q "SELECT string_agg(reason, ' ' ORDER BY array_position(ARRAY[$kcr, $krt, $knr]::bigint[], id)) FROM abgleich.clarifications WHERE id IN ($kcr, $krt, $knr)")" \
    "a credit reversal, a returned transfer, a payment without reference"
$ABGLEICH clarify $kcr --close --by "Herr Sommer" 2>$TMP/err.txt || fail "closing the credit reversal: $(cat $TMP/err.txt)"
assert_eq "closed|1200|Klärfall #$kcr über 12,00 EUR geschlossen durch Herr Sommer (Login $(q "SELECT session_user"))." \
    "$(q "SELECT method || '|' || amount_cents || '|' || explanation FROM abgleich.allocations WHERE clarification_id = $kcr")" \
    "the close is a ledger row with the clerk's name"
$ABGLEICH clarifications -o $TMP/k2.csv 2>/dev/null
sed -e "s/^\($krt;.*\);;;;\r\$/\1;schließen;;;Herr Sommer\r/" $TMP/k2.csv > $TMP/d2.csv
$ABGLEICH clarify --from $TMP/d2.csv 2>$TMP/err.txt || fail "closing the returned transfer from a sheet: $(cat $TMP/err.txt)"
assert_eq "closed|2000" "$(q "SELECT method || '|' || amount_cents FROM abgleich.allocations WHERE clarification_id = $krt")" \
    "the returned transfer closed"
expect_exit 3 $ABGLEICH clarify $knr --close
grep -q "is money that came in: allocate it to a claim or refund it" $TMP/stderr || fail "a citizen's payment: $(cat $TMP/stderr)"
assert_eq 2500 "$(open_clar $knr)" "the payment without reference stays open"

# 4. The payment without a reference, refunded in full, and then returned
# by the bank too: nothing of it was allocated or left open, so the return
# wrote no reversal and no returned row, only its link (sql/072) and the
# returned_after_refund to recover.  Undoing the refund and allocating the
# 25,00 were accepted: 25,00 came in and 50,00 went out, and the claim was
# paid with money the city no longer had.
$ABGLEICH clarify $knr --refund --by "Frau Kluge" 2>/dev/null || fail "the payment without reference refunded"
$ABGLEICH reconcile $M/day3.xml 2>/dev/null || fail "the day of its return"
assert_eq "1" "$(q "SELECT count(*) FROM abgleich.reversal_links l JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (l.orig_file_id, l.orig_tx_seq) WHERE t.end_to_end_id = 'E-TBNR'")" \
    "the return is linked to the payment"
nr_refund=$(q "SELECT id FROM abgleich.allocations WHERE clarification_id = $knr AND method = 'refund'")
before=$(q "SELECT count(*) FROM abgleich.allocations")
expect_exit 3 $ABGLEICH clarify --reverse $nr_refund --by "Frau Kluge"
grep -q "die Bank hat die Zahlung mit End-to-End-Referenz E-TBNR am 2026-11-10 zurückgebucht" $TMP/stderr ||
    fail "the refund of a returned payment is not undone, and says why: $(cat $TMP/stderr)"
expect_exit 1 $ABGLEICH clarify $knr --claim $D --by "Frau Kluge"
grep -q "clarification #$knr is not open" $TMP/stderr || fail "the refunded money stays decided: $(cat $TMP/stderr)"
assert_eq "$before" "$(q "SELECT count(*) FROM abgleich.allocations")" "nothing written"
assert_eq 2500 "$(open_of $D)" "D still unpaid"
