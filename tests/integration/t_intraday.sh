#!/bin/bash
# Intraday reports and the statement: a camt.052 reports a booking the
# camt.053 of the day states again.  The report is stored, never matched
# (sql/037_intraday.sql), so 25.00 EUR that arrived once pay once; and the
# statement is not taken for the report because both carry electronic
# sequence number 5 (the bank counts each message type apart).  A camt.054
# in CHF without Acct/Ccy pays no EUR claim.  (The bank audit found all
# three: a payment counted twice, a statement skipped, CHF taken for EUR.)
# A batch total without details is settled by its camt.054, in either order.
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
# The morning report counts the booking once: the intraday report's row is
# a sighting, not a second credit (jobs/report.c, BOOKED_ONCE).
$ABGLEICH report -o $TMP/rep.html 2>/dev/null
row() { grep -o "id=\"count$1\">[^<]*</td><td class=\"n\">[^&]*" $2 | sed -E 's/^id="count[0-9]+">([^<]*)<\/td><td class="n">/\1|/'; }
all=$(q "SELECT count(*) FROM abgleich.bank_transactions WHERE direction = 'C'")
once=$(q "SELECT count(*) || '|' || abgleich.cents_de(sum(amount_cents)::bigint) FROM abgleich.bank_transactions WHERE direction = 'C' AND NOT provisional")
[ "$all" -gt "${once%%|*}" ] || fail "the fixture has a provisional credit"
assert_eq "$once" "$(row 7 $TMP/rep.html)" "credits counted once, without the intraday sighting"

# The same statement again is still known as such.
cp $I/statement053.xml $TMP/again.xml && echo >> $TMP/again.xml
$ABGLEICH reconcile $TMP/again.xml 2>$TMP/r3.txt
grep -q "already imported; skipped" $TMP/r3.txt || fail "the 053 again: $(cat $TMP/r3.txt)"

$ABGLEICH --json reconcile $I/notification054_chf.xml >$TMP/chf.json 2>$TMP/r4.txt || fail "CHF: $(cat $TMP/r4.txt)"
assert_eq "CHF|foreign_currency" "$(q "SELECT t.currency || '|' || k.reason FROM abgleich.bank_transactions t JOIN abgleich.clarifications k ON (k.file_id, k.tx_seq) = (t.file_id, t.seq) WHERE t.end_to_end_id = 'F-1'")" \
    "CHF 25.00 is a clarification, not a payment"
assert_eq "open|0" "$(q "SELECT status || '|' || paid_cents FROM abgleich.claim_status WHERE reference = '400000010025'")" "the EUR claim is untouched"

# A batch total without details (camt.053, Btch/NbOfTxs 2) and the camt.054
# that resolves it: the single payments pay the claims, the total is a
# clarification batch_without_details that the camt.054 settles (before it
# was "no_reference", and a refund of it paid the money out twice).
$ABGLEICH reconcile $I/batch053.xml 2>$TMP/b1.txt || fail "batch 053: $(cat $TMP/b1.txt)"
k=$(q "SELECT id FROM abgleich.clarifications WHERE reason = 'batch_without_details'")
[ -n "$k" ] || fail "the total is a batch clarification: $(q "SELECT reason FROM abgleich.clarifications")"
q "SELECT explanation FROM abgleich.clarifications WHERE id = $k" | grep -q "Sammelbuchung über 45,00 EUR mit 2 Posten ohne Einzelangaben" ||
    fail "says why: $(q "SELECT explanation FROM abgleich.clarifications WHERE id = $k")"
expect_exit 3 $ABGLEICH clarify $k --refund
grep -q "the total of a batch booking without details" $TMP/stderr || fail "no refund of a batch total: $(cat $TMP/stderr)"
$ABGLEICH --json reconcile $I/batch054.xml >$TMP/b2.json 2>$TMP/b2.txt || fail "batch 054: $(cat $TMP/b2.txt)"
grep -q '"batches_resolved":1' $TMP/b2.json || fail "counted: $(cat $TMP/b2.json)"
assert_eq "2500 2000" "$(q "SELECT string_agg(paid_cents::text, ' ' ORDER BY reference) FROM abgleich.claim_status WHERE reference IN ('400000010033', '400000010050')")" \
    "the single payments pay their claims"
assert_eq "0|batch_resolved|4500" "$(q "SELECT (SELECT count(*) FROM abgleich.open_clarifications WHERE id = $k) || '|' || method || '|' || amount_cents FROM abgleich.allocations WHERE clarification_id = $k")" \
    "the total is settled by the camt.054"
# The other order: the camt.054 first, then the statement with the total.
sed -e 's/BATCH-1/BATCH-2/; s/NTF-2026-11-21/NTF-2026-11-22/g; s/400000010033/400000010041/; s/<ElctrncSeqNb>6/<ElctrncSeqNb>7/' $I/batch054.xml > $TMP/b054.xml
sed -e 's/BATCH-1/BATCH-2/; s/STMT-2026-11-21/STMT-2026-11-22/g; s/<ElctrncSeqNb>6/<ElctrncSeqNb>7/' $I/batch053.xml > $TMP/b053.xml
$ABGLEICH reconcile $TMP/b054.xml 2>$TMP/b054.txt || fail "054 first: $(cat $TMP/b054.txt)"
$ABGLEICH --json reconcile $TMP/b053.xml >$TMP/b3.json 2>$TMP/b3.txt || fail "053 after: $(cat $TMP/b3.txt)"
grep -q '"batches_resolved":1' $TMP/b3.json && ! grep -q '"batch_without_details"' $TMP/b3.json || fail "settled at once: $(cat $TMP/b3.json)"
assert_eq "0" "$(q "SELECT count(*) FROM abgleich.open_clarifications WHERE reason = 'batch_without_details'")" "no batch total left open"

# A credit marked as a reversal gives back one of our debits: it never takes
# back a citizen's payment of the same EndToEndId (the bank audit).
sed -e 's/STMT-2026-11-20/STMT-2026-11-23/g; s/<ElctrncSeqNb>5/<ElctrncSeqNb>9/; s/<RvslInd>false/<RvslInd>true/' \
    $I/statement053.xml > $TMP/crdt_rvsl.xml
grep -q "<CdtDbtInd>CRDT</CdtDbtInd>" $TMP/crdt_rvsl.xml || fail "the fixture's entry is a credit"
$ABGLEICH reconcile $TMP/crdt_rvsl.xml 2>$TMP/cr.txt || fail "credit reversal: $(cat $TMP/cr.txt)"
assert_eq "paid|2500" "$(q "SELECT status || '|' || paid_cents FROM abgleich.claim_status WHERE reference = '400000010017'")" \
    "the citizen's payment stands"
assert_eq "reversal_without_original" "$(q "SELECT k.reason FROM abgleich.clarifications k JOIN abgleich.statements s ON s.stmt_id = 'STMT-2026-11-23' JOIN abgleich.bank_transactions t ON t.statement_id = s.id AND (t.file_id, t.seq) = (k.file_id, k.tx_seq)")" \
    "the credit reversal waits for a clerk"

