#!/bin/bash
# A bank statement sent again under a new statement Id pays nothing twice
# (jobs/reconcile_stmt.c, jobs/resent.c, sql/055_resent_statements.sql).
# 1. The same camt.053 under a new Stmt/Id without ElctrncSeqNb is the
#    statement met again (the same balances and first transaction): skipped;
#    with a later booking changed, refused whole.  Before, every payment was
#    matched again (the claims paid twice, or claim_already_paid).
# 2. The same camt.053 under a new Id with the same ElctrncSeqNb: skipped.
#    Before, its keys (which hashed the new Id) differed from the stored
#    ones and the file was refused as a changed statement.
# 3. A statement of other balances that states bookings of an earlier one
#    again (the same AcctSvcrRef, amount, direction and day): those are
#    stored provisional, counted already_booked, and explain names the
#    earlier file; where more than one stored booking fits, a clerk decides
#    (possible_duplicate).  A booking counts as the same only with the same
#    payer's IBAN and text (062: a bank reference reused for another
#    citizen's payment pays), and a camt.053 stored as a camt.054's second
#    sighting counts as booked.
# 4. Two different statements of the same day, balances and amounts: both
#    pay; so do two whose entries all carry one AcctSvcrRef.
# 5. MT940 under another statement number (:28C:): skipped, or grown.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-24
R=$FIXTURES/resent
base_db=$ABGLEICH_DB

. tests/integration/bank_lib.sh
clars() { q "SELECT coalesce(string_agg(reason || '=' || amount_cents, ' ' ORDER BY id), '') FROM abgleich.clarifications"; }
# A file's stored transactions: count, of them provisional, of them naming the earlier sighting.
stored() { q "SELECT count(*) || '|' || count(*) FILTER (WHERE t.provisional) || '|' || count(t.seen_file) FROM abgleich.bank_transactions t JOIN abgleich.input_files f ON f.id = t.file_id WHERE f.name LIKE '%/$1'"; }

# --- 1. a new Id, no ElctrncSeqNb --------------------------------------------
fresh camt_new_id
rec a $R/first053.xml
assert_eq "400000010017=2500 400000010050=2000" "$(paid)" "the statement pays"
rec b $R/resent053.xml
grep -q "statement STMT-20261121-031500 of account DE44500105175407324931 is statement STMT-20261120-220000 imported from .*first053.xml, sent again under another Id (the same balances and transactions); skipped" $TMP/b.txt ||
    fail "the same statement under a new Id: $(cat $TMP/b.txt)"
grep -q '"statements_skipped":1' $TMP/b.json || fail "counted as skipped: $(cat $TMP/b.json)"
assert_eq "400000010017=2500 400000010050=2000" "$(paid)" "nothing paid twice"
assert_eq "400000010017:1 400000010050:1" "$(rows)" "one ledger row each"
assert_eq "" "$(clars)" "nothing for a clerk (before: claim_already_paid twice)"
assert_eq "1|2" "$(q "SELECT (SELECT count(*) FROM abgleich.statements) || '|' || (SELECT count(*) FROM abgleich.bank_transactions)")" \
    "one statement, its two transactions, nothing stored of the second file"

# The same balances and first booking, but the second changed: refused whole.
sed -e 's/Kassenzeichen 400000010050/Kassenzeichen 400000010068/; s/STMT-20261121-031500/STMT-20261121-041500/g' \
    $R/resent053.xml >$TMP/changed053.xml
grep -q "Kassenzeichen 400000010068" $TMP/changed053.xml || fail "the second booking is changed"
expect_exit 3 $ABGLEICH reconcile $TMP/changed053.xml
grep -q "statement STMT-20261121-041500 of account .* was imported from .*first053.xml as statement STMT-20261120-220000; its transaction 2 is not the one imported there" $TMP/stderr ||
    fail "a changed statement under a new Id: $(cat $TMP/stderr)"
assert_eq "1|2" "$(q "SELECT (SELECT count(*) FROM abgleich.statements) || '|' || (SELECT count(*) FROM abgleich.bank_transactions)")" "nothing stored of it"

# --- 2. a new Id, the same ElctrncSeqNb --------------------------------------
fresh camt_seqnb
rec a $R/first053.xml
rec b $R/seqnb053.xml
grep -q "statement STMT-20261121-031500 of account DE44500105175407324931 already imported; skipped" $TMP/b.txt ||
    fail "met again by its sequence number: $(cat $TMP/b.txt)"
assert_eq "400000010017:1 400000010050:1" "$(rows)" "one ledger row each"
assert_eq "1|2" "$(q "SELECT (SELECT count(*) FROM abgleich.statements) || '|' || (SELECT count(*) FROM abgleich.bank_transactions)")" "nothing stored twice"

# --- 3. bookings of an earlier statement in one of other balances -----------
fresh camt_tx
rec a $R/first053.xml
rec b $R/again053.xml
grep -q "2 transactions of account DE44500105175407324931 were booked already from an earlier statement" $TMP/b.txt ||
    fail "says so: $(cat $TMP/b.txt)"
grep -q '"already_booked":2,"already_booked_cents":4500' $TMP/b.json || fail "counted: $(cat $TMP/b.json)"
# The summary's line for second sightings is true of a statement sent again
# too (it said "booked from the other file"), in German and in English.
grep -Eq "^  schon gebucht \(2\. Sichtung\) +2 +45,00 EUR" $TMP/b.txt || fail "summary, German: $(cat $TMP/b.txt)"
! grep -q "other file" $TMP/b.txt || fail "no other file here: $(cat $TMP/b.txt)"
assert_eq "400000010017=2500 400000010025=5500 400000010050=2000" "$(paid)" "its new payment pays, the others not again"
assert_eq "400000010017:1 400000010025:1 400000010050:1" "$(rows)" "one ledger row each"
assert_eq "3|2|2" "$(stored again053.xml)" "stored, two of them provisional, naming the earlier booking"
assert_eq "" "$(clars)" "nothing for a clerk"
assert_eq "1:1 2:2" "$(q "SELECT string_agg(t.entry_no || ':' || o.seq, ' ' ORDER BY t.entry_no) FROM abgleich.bank_transactions t JOIN abgleich.bank_transactions o ON (o.file_id, o.seq) = (t.seen_file, t.seen_seq) WHERE t.seen_file IS NOT NULL")" \
    "each names its own earlier booking"
$ABGLEICH explain E-1 >$TMP/x.txt 2>&1
grep -q "bereits gebucht aus .*first053.xml, Umsatz 1 (derselbe Auszug unter neuer Kennung erneut gesandt)" $TMP/x.txt ||
    fail "explained: $(cat $TMP/x.txt)"
$ABGLEICH --lang en explain E-2 >$TMP/x.txt 2>&1
grep -q "booked already from .*first053.xml, transaction 2 (the same statement sent again under another Id)" $TMP/x.txt ||
    fail "explained in English: $(cat $TMP/x.txt)"
# The same again: the statement-level check now knows it by its Id.
rec c $R/again053.xml
grep -q "already imported" $TMP/c.txt || fail "again: $(cat $TMP/c.txt)"
assert_eq "400000010017:1 400000010025:1 400000010050:1" "$(rows)" "still one ledger row each"

# A batch of two 25.00 under the entry's reference, no EndToEndIds, stated
# again: each part is its own earlier booking by the payer's text (062).
fresh camt_batch
rec a $R/batch053.xml
assert_eq "400000010033=2500 400000010041=2500" "$(paid)" "the batch pays"
rec b $R/batchagain053.xml
grep -q "2 transactions of account DE44500105175407324931 were booked already from an earlier statement" $TMP/b.txt ||
    fail "the batch's parts known: $(cat $TMP/b.txt)"
assert_eq "400000010025=5500 400000010033=2500 400000010041=2500" "$(paid)" "the new payment pays, the batch not again"
assert_eq "400000010025:1 400000010033:1 400000010041:1" "$(rows)" "one ledger row each"
assert_eq "" "$(clars)" "nothing for a clerk"
assert_eq "3|2|2" "$(stored batchagain053.xml)" "stored provisional, each naming its earlier booking"

# Two stored bookings fit (the batch's two parts alike in every field): a
# clerk decides; nothing is allocated twice.
fresh camt_maybe
rec a $R/twinbatch053.xml
assert_eq "400000010033=2500 400000010041=2500" "$(paid)" "the batch pays"
rec b $R/twinbatchagain053.xml
grep -q "2 transactions of account .* may have been booked already" $TMP/b.txt ||
    fail "warned: $(cat $TMP/b.txt)"
assert_eq "400000010025=5500 400000010033=2500 400000010041=2500" "$(paid)" "the new payment pays, the batch not again"
assert_eq "400000010025:1 400000010033:1 400000010041:1" "$(rows)" "one ledger row each"
assert_eq "possible_duplicate=2500 possible_duplicate=2500" "$(clars)" "both for a clerk"
assert_eq "3|2|0" "$(stored twinbatchagain053.xml)" "stored provisional, no earlier booking named for certain"
assert_match "Bankreferenz.*twinbatch053.xml Ntry 1, .*twinbatch053.xml Ntry 1" \
    "$(q "SELECT min(explanation) FROM abgleich.clarifications")" "naming the earlier bookings"
k=$(q "SELECT min(id) FROM abgleich.clarifications")
$ABGLEICH clarify $k --close --by kluge 2>/dev/null || fail "a clerk closes a sighting booked already"

# A bank reference reused for another citizen's booking of the same amount
# and day, in the day's second statement: a payment of its own (before 062:
# stored as a sighting of the first, never matched, its claim left open).
fresh reused
rec a $R/reused_a053.xml
rec b $R/reused_b053.xml
assert_eq "400000010017=2500 400000010033=2500" "$(paid)" "both citizens' payments pay"
assert_eq "0|" "$(q "SELECT count(*) FROM abgleich.bank_transactions WHERE provisional")|$(clars)" "no sighting, nothing for a clerk"

# A camt.054 paid first; its camt.053 came and was stored as the second
# sighting (047); the camt.053 sent again under a new Id with a new payment:
# its two bookings are known (before 062: matched again, 45.00 to refund).
fresh camt054_first
rec n $R/first054.xml
assert_eq "400000010017=2500 400000010050=2000" "$(paid)" "the camt.054 pays"
rec a $R/first053.xml
assert_eq "2" "$(q "SELECT count(*) FROM abgleich.bank_transactions t JOIN abgleich.input_files f ON f.id = t.file_id WHERE f.name LIKE '%/first053.xml' AND t.provisional")" \
    "the camt.053 is the camt.054's second sighting"
rec b $R/again053.xml
assert_eq "400000010017=2500 400000010025=5500 400000010050=2000" "$(paid)" "only the new payment pays"
assert_eq "400000010017:1 400000010025:1 400000010050:1" "$(rows)" "one ledger row each"
assert_eq "" "$(clars)" "nothing for a clerk"

# --- 4. two statements alike, but other bookings -----------------------------
for order in first-other other-first; do
    fresh "alike_${order/-/_}"
    rec a $R/${order%-*}053.xml
    rec b $R/${order#*-}053.xml
    assert_eq "400000010017=2500 400000010033=2500 400000010050=2000 400000010068=2000" "$(paid)" "$order: both statements pay"
    assert_eq "2|0" "$(q "SELECT (SELECT count(*) FROM abgleich.statements) || '|' || (SELECT count(*) FROM abgleich.bank_transactions WHERE provisional)")" \
        "$order: two statements, no second sighting"
done

# A bank that gives every entry one AcctSvcrRef (and no EndToEndIds): no
# booking's own reference, so the amounts alike of the second statement of
# the day are payments of their own.
fresh generic
rec a $R/generic_a053.xml
rec b $R/generic_b053.xml
assert_eq "400000010017=2500 400000010033=2500 400000010050=2000 400000010068=2000" "$(paid)" "both statements pay"
assert_eq "0|" "$(q "SELECT count(*) FROM abgleich.bank_transactions WHERE provisional")|$(clars)" "no second sighting, nothing for a clerk"

# --- 5. MT940 under another statement number ---------------------------------
fresh mt940
rec a $FIXTURES/mt940grow/noon.sta
rec b $R/renumbered.sta
grep -q "statement 5/2026-11-20 of account 37050299/0001234567 is statement 0/2026-11-20 imported from .*noon.sta, sent again under another Id" $TMP/b.txt ||
    fail "renumbered: $(cat $TMP/b.txt)"
assert_eq "400000010033=2000" "$(paid)" "nothing paid twice"
rec c $R/evening_renumbered.sta
grep -q "statement 6/2026-11-20 of account 37050299/0001234567 grew since it was imported from .*noon.sta: 1 transactions added to the 1 imported" $TMP/c.txt ||
    fail "grown under another number: $(cat $TMP/c.txt)"
assert_eq "400000010017=2500 400000010033=2000" "$(paid)" "its new payment pays, the first not again"
assert_eq "1|2|4500" "$(q "SELECT count(DISTINCT s.id) || '|' || count(t.*) || '|' || max(s.closing_cents) FROM abgleich.statements s JOIN abgleich.bank_transactions t ON t.statement_id = s.id")" \
    "one statement of two transactions, with the evening's closing balance"

# The summary's line for second sightings in English (--lang en).
fresh camt_tx_en
rec a $R/first053.xml
$ABGLEICH --lang en reconcile $R/again053.xml 2>$TMP/en.txt || fail "again, English: $(cat $TMP/en.txt)"
grep -Eq "^  already booked \(2nd sighting\) +2 +45.00 EUR" $TMP/en.txt || fail "summary, English: $(cat $TMP/en.txt)"
