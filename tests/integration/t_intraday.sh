#!/bin/bash
# Intraday reports and the statement: a camt.052 reports a booking the
# camt.053 of the day states again.  The report is stored, never matched
# (sql/037_intraday.sql), so 25.00 EUR that arrived once pay once; and the
# statement is not taken for the report because both carry electronic
# sequence number 5 (the bank counts each message type apart).  A camt.054
# in CHF without Acct/Ccy pays no EUR claim.  (The bank audit found all
# three: a payment counted twice, a statement skipped, CHF taken for EUR.)
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-23
I=$FIXTURES/intraday

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $FIXTURES/matching/tickets.csv 2>/dev/null
$ABGLEICH reconcile $I/report052.xml 2>$TMP/r1.txt || fail "the report: $(cat $TMP/r1.txt)"
assert_eq "open|0" "$(q "SELECT status || '|' || paid_cents FROM abgleich.claim_status WHERE reference = '400000010017'")" \
    "the intraday report pays nothing"
assert_eq "t|0" "$(q "SELECT t.provisional::text::char || '|' || (SELECT count(*) FROM abgleich.allocations a WHERE (a.file_id, a.tx_seq) = (t.file_id, t.seq)) FROM abgleich.bank_transactions t")" \
    "its booking is stored as provisional, with no ledger row"
$ABGLEICH --lang en explain E-1 >$TMP/x.txt 2>&1 || true
grep -q "from an intraday report (camt.052, MT942)" $TMP/x.txt || fail "explained: $(cat $TMP/x.txt)"
$ABGLEICH reconcile $I/statement053.xml 2>$TMP/r2.txt || fail "the statement: $(cat $TMP/r2.txt)"
! grep -q "already imported; skipped" $TMP/r2.txt || fail "the statement is not the report: $(cat $TMP/r2.txt)"
assert_eq "paid|2500" "$(q "SELECT status || '|' || paid_cents FROM abgleich.claim_status WHERE reference = '400000010017'")" \
    "the statement pays, once"
assert_eq "camt.052|1|0 camt.053|1|1" \
    "$(q "SELECT string_agg(abgleich.message_kind(s.format) || '|' || (SELECT count(*) FROM abgleich.bank_transactions t WHERE t.statement_id = s.id) || '|' || (SELECT count(*) FROM abgleich.allocations a JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE t.statement_id = s.id), ' ' ORDER BY s.id) FROM abgleich.statements s")" \
    "two statements, one ledger row"
# The same statement again is still known as such.
cp $I/statement053.xml $TMP/again.xml && echo >> $TMP/again.xml
$ABGLEICH reconcile $TMP/again.xml 2>$TMP/r3.txt
grep -q "already imported; skipped" $TMP/r3.txt || fail "the 053 again: $(cat $TMP/r3.txt)"

$ABGLEICH --json reconcile $I/notification054_chf.xml >$TMP/chf.json 2>$TMP/r4.txt || fail "CHF: $(cat $TMP/r4.txt)"
assert_eq "CHF|foreign_currency" "$(q "SELECT t.currency || '|' || k.reason FROM abgleich.bank_transactions t JOIN abgleich.clarifications k ON (k.file_id, k.tx_seq) = (t.file_id, t.seq) WHERE t.end_to_end_id = 'F-1'")" \
    "CHF 25.00 is a clarification, not a payment"
assert_eq "open|0" "$(q "SELECT status || '|' || paid_cents FROM abgleich.claim_status WHERE reference = '400000010025'")" "the EUR claim is untouched"
