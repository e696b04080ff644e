#!/bin/bash
# An MT940 collective booking (Sammler) is a batch total, as a camt.053
# entry without details is (formats/mt940_86.c, jobs/entrylink.c,
# sql/058_mt940_batches.sql): never allocated as one payment, even when its
# text names a claim (before: 25.00 of the batch's 45.00 went to that claim,
# the rest to an overpayment); a clarification batch_without_details that
# says why; settled by its camt.054 in either order, by the bank reference
# after '//' in :61: or by amount, day and count.  Without a count only by
# the bank reference (sql/064), else the clerk closes it.  (Crafted
# fixtures: PROVENANCE.md.)
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-24
B=$FIXTURES/batches
base_db=$ABGLEICH_DB

. tests/integration/bank_lib.sh
open_k() { q "SELECT coalesce(string_agg(reason || '=' || open_cents, ' ' ORDER BY id), '') FROM abgleich.open_clarifications"; }
how() { q "SELECT coalesce(string_agg(l.how || '|' || l.total, ' '), '') FROM abgleich.entry_links l"; }

# --- 1. the Sammler alone: not allocated, a clarification that says why -------
fresh alone
rec a $B/sammler940.sta
assert_eq "" "$(paid)" "the total pays no claim, though its text names 400000010033"
assert_eq "batch_without_details=4500" "$(open_k)" "the total waits for its camt.054"
assert_eq "2" "$(q "SELECT batch_txs FROM abgleich.bank_transactions")" "stored as a batch total of 2"
assert_match "Sammelbuchung über 45,00 EUR mit 2 Posten ohne Einzelangaben.*Geschäftsvorfallcode 194 als Sammelbuchung" \
    "$(q "SELECT explanation FROM abgleich.clarifications")" "says why, in German"
assert_match "Batch booking of 45.00 EUR with 2 payments and no details.*transaction code \(GVC\) 194" \
    "$(q "SELECT explanation_en FROM abgleich.clarifications")" "and in English"
$ABGLEICH --lang en explain BATCH-7 >$TMP/x.txt 2>&1 || fail "explain: $(cat $TMP/x.txt)"
grep -q "batch_without_details" $TMP/x.txt || fail "explain names the reason: $(cat $TMP/x.txt)"
grep -q "collective booking by its transaction code (GVC) 194" $TMP/x.txt || fail "explain in English: $(cat $TMP/x.txt)"
$ABGLEICH explain BATCH-7 >$TMP/x.txt 2>&1 || fail "explain: $(cat $TMP/x.txt)"
grep -q "mit dem Geschäftsvorfallcode 194 als Sammelbuchung" $TMP/x.txt || fail "explain in German: $(cat $TMP/x.txt)"
k=$(q "SELECT id FROM abgleich.clarifications")
expect_exit 3 $ABGLEICH clarify $k --claim 400000010033
expect_exit 3 $ABGLEICH clarify $k --refund

# --- 2. and its camt.054, in both orders -------------------------------------
for order in 940-054 054-940; do
    for pair in sammler940:ownref054:bank_reference sammler940_bare:ownref054_bare:amount_day_count; do
        IFS=: read -r stmt ntf want <<<"$pair"
        fresh "${stmt}_${order/-/_}"
        if [ $order = 940-054 ]; then rec a $B/$stmt.sta; rec b $B/$ntf.xml
        else rec a $B/$ntf.xml; rec b $B/$stmt.sta; fi
        grep -q '"batches_resolved":1' $TMP/b.json || fail "$stmt $order: settled: $(cat $TMP/b.json) $(cat $TMP/b.txt)"
        assert_eq "$want|true" "$(how)" "$stmt $order: tied by $want"
        assert_eq "" "$(open_k)" "$stmt $order: nothing left for a clerk"
        assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "$stmt $order: the single payments pay"
        assert_eq "400000010033:1 400000010050:1" "$(rows)" "$stmt $order: each once"
        assert_eq "4500|0" "$(q "SELECT (SELECT sum(amount_cents) FROM abgleich.allocations WHERE claim_id IS NOT NULL) || '|' || (SELECT coalesce(sum(open_cents), 0) FROM abgleich.open_clarifications)")" \
            "$stmt $order: 45.00 came once and went to claims once"
        assert_match "^Sammelbuchung über 45,00 EUR .*aufgelöst durch die Einzelzahlungen der camt.054 .*$ntf.xml" \
            "$(q "SELECT explanation FROM abgleich.allocations WHERE method = 'batch_resolved'")" "$stmt $order: the settlement says how"
        [ $want = bank_reference ] && says="the bank reference \(the MT940 :61: after //" ||
            says="amount, booking day and count"
        assert_match "of the camt.054 .*$ntf.xml \(linked by $says" \
            "$(q "SELECT explanation_en FROM abgleich.allocations WHERE method = 'batch_resolved'")" "$stmt $order: in English"
        # The morning report of the day's files counts the money once: the
        # camt.054's two credits, not the MT940's total beside them
        # (jobs/report.c, BOOKED_ONCE).
        $ABGLEICH report --date "$(q 'SELECT current_date')" -o $TMP/rep.html 2>/dev/null ||
            fail "$stmt $order: report"
        assert_eq "2|45,00" "$(grep -o 'id="count7">[^<]*</td><td class="n">[^&]*' $TMP/rep.html | sed -E 's/^id="count7">([^<]*)<\/td><td class="n">/\1|/')" \
            "$stmt $order: credits counted once in the report"
    done
done

# Two Sammler totals alike in one statement and one camt.054 that fits both:
# neither is tied, in either order (the MT940 rows compete as camt.053 ones).
sed -e '/^:61:/{N;p}' -e '/^:62F:/s/EUR45,00/EUR90,00/' $B/sammler940_bare.sta >$TMP/twototals.sta
assert_eq "2|1" "$(grep -c '^:61:' $TMP/twototals.sta)|$(grep -c 'EUR90,00' $TMP/twototals.sta)" "two totals, closing at 90,00"
fresh two_first
rec a $TMP/twototals.sta
rec b $B/ownref054_bare.xml
grep -q "could resolve more than one batch total" $TMP/b.txt || fail "warned: $(cat $TMP/b.txt)"
assert_eq "" "$(how)" "054 after: no link"
assert_eq "batch_without_details=4500 batch_without_details=4500" "$(open_k)" "both totals stay with the clerk"
assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "the camt.054 pays its payments"
fresh two_after
rec a $B/ownref054_bare.xml
rec b $TMP/twototals.sta
assert_eq "" "$(how)" "054 first: no link"
assert_eq "batch_ambiguous=4500 batch_ambiguous=4500" "$(open_k)" "both totals are left to the clerk as ambiguous"
assert_match "ownref054_bare.xml Ntry 1" "$(q "SELECT min(explanation) FROM abgleich.clarifications")" "naming the camt.054 entry"

# --- 3. a count that differs: never tied -------------------------------------
sed 's/SAMMLER-ANZAHL 2/SAMMLER-ANZAHL 3/' $B/sammler940.sta >$TMP/three.sta
grep -q "ANZAHL 3" $TMP/three.sta || fail "the count is 3"
fresh three
rec a $TMP/three.sta
rec b $B/ownref054.xml
assert_eq "" "$(how)" "three: not tied"
assert_eq "batch_without_details=4500" "$(open_k)" "three: the total stays with the clerk"
assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "three: the camt.054 pays its own"

# --- 4. no count stated: a total all the same (batch_txs 0, sql/064), tied
# by the bank reference both state (//BATCH-7 and the camt.054's
# AcctSvcrRef), in both orders, and then it has the camt.054's count.
# Before, it was stored as an ordinary credit (batch_txs NULL), never tied,
# and the report counted 3 credits of 90,00 for the 45,00 that came in.
for order in 940-054 054-940; do
    fresh "nocount_${order/-/_}"
    if [ $order = 940-054 ]; then
        rec a $B/sammler940_nocount.sta
        assert_eq "0" "$(q "SELECT batch_txs FROM abgleich.bank_transactions")" \
            "$order: stored as a total whose count is not stated"
        rec b $B/ownref054.xml
    else rec a $B/ownref054.xml; rec b $B/sammler940_nocount.sta; fi
    grep -q '"batches_resolved":1' $TMP/b.json || fail "nocount $order: settled: $(cat $TMP/b.json) $(cat $TMP/b.txt)"
    assert_eq "bank_reference|true" "$(how)" "nocount $order: tied by the bank reference"
    assert_eq "" "$(open_k)" "nocount $order: nothing left for a clerk"
    assert_eq "1" "$(q "SELECT count(*) FROM abgleich.allocations WHERE method = 'batch_resolved' AND amount_cents = 4500")" \
        "nocount $order: the total is batch_resolved"
    assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "nocount $order: the single payments pay"
    assert_eq "400000010033:1 400000010050:1" "$(rows)" "nocount $order: each once"
    assert_eq "2" "$(q "SELECT batch_txs FROM abgleich.bank_transactions t JOIN abgleich.statements s ON s.id = t.statement_id WHERE s.format = 'MT940'")" \
        "nocount $order: the camt.054's count is the total's"
    $ABGLEICH report --date "$(q 'SELECT current_date')" -o $TMP/rep.html 2>/dev/null || fail "nocount $order: report"
    assert_eq "2|45,00" "$(grep -o 'id="count7">[^<]*</td><td class="n">[^&]*' $TMP/rep.html | sed -E 's/^id="count7">([^<]*)<\/td><td class="n">/\1|/')" \
        "nocount $order: credits counted once in the report"
done

# The bank reference alone does not tie: amount (or day) must agree too.
sed -e 's/CR45,00NMSC/CR45,01NMSC/' -e 's/^:62F:C261121EUR45,00/:62F:C261121EUR45,01/' \
    $B/sammler940_nocount.sta >$TMP/nocount4501.sta
grep -q "CR45,01NMSCNONREF//BATCH-7" $TMP/nocount4501.sta || fail "45,01 under BATCH-7"
sed -e 's/^:61:2611211121/:61:2611221122/' $B/sammler940_nocount.sta >$TMP/nocount22.sta
grep -q "^:61:2611221122CR45,00NMSCNONREF//BATCH-7" $TMP/nocount22.sta || fail "booked on the 22nd"
for pair in nocount4501:4501 nocount22:4500; do
    f=${pair%:*}
    fresh "$f"
    rec a $B/ownref054.xml
    rec b $TMP/$f.sta
    assert_eq "" "$(how)" "$f: the same bank reference, but not the same booking: not tied"
    assert_eq "batch_without_details=${pair#*:}" "$(open_k)" "$f: the total stays with the clerk"
    assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "$f: the camt.054 pays its own"
done

# Without a bank reference both state, never tied by amount and day alone
# (any entry of the day and amount fits a count no one states): the clerk
# closes it.  Alone, the report counts it once.
fresh nocount_alone
rec a $B/sammler940_nocount.sta
# A database of 058-063 stored such a total with NULL; 064's backfill, as
# the migration's text has it, runs again here on that value.
q "UPDATE abgleich.bank_transactions SET batch_txs = NULL" >/dev/null
sed -n '/^UPDATE abgleich.bank_transactions t SET batch_txs = 0/,/;$/p' sql/064_sammler_nocount.sql >$TMP/064_fill.sql
grep -q "batch_without_details" $TMP/064_fill.sql || fail "064's backfill not found"
psql -XAtq -v ON_ERROR_STOP=1 -f $TMP/064_fill.sql >/dev/null
assert_eq "0" "$(q "SELECT batch_txs FROM abgleich.bank_transactions")" "064 makes the stored total a total again"
$ABGLEICH report --date "$(q 'SELECT current_date')" -o $TMP/rep.html 2>/dev/null || fail "nocount alone: report"
assert_eq "1|45,00" "$(grep -o 'id="count7">[^<]*</td><td class="n">[^&]*' $TMP/rep.html | sed -E 's/^id="count7">([^<]*)<\/td><td class="n">/\1|/')" \
    "nocount alone: the total counted once in the report"
rec b $B/ownref054_bare.xml
assert_eq "" "$(how)" "nocount, no shared reference: not tied"
assert_eq "batch_without_details=4500" "$(open_k)" "nocount, no shared reference: the total stays with the clerk"
assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "nocount, no shared reference: the camt.054 pays its own"
assert_eq "0" "$(q "SELECT batch_txs FROM abgleich.bank_transactions t JOIN abgleich.statements s ON s.id = t.statement_id WHERE s.format = 'MT940'")" \
    "nocount, no shared reference: still a total whose count is not stated"
assert_match "nennt die Zahl ihrer Posten nicht.*Buchungstext „SAMMLER“ als Sammelbuchung" \
    "$(q "SELECT explanation FROM abgleich.clarifications")" "says that the count is missing"
assert_match "does not state how many payments.*close it once its payments are booked" \
    "$(q "SELECT explanation_en FROM abgleich.clarifications")" "in English too"
k=$(q "SELECT id FROM abgleich.clarifications")
expect_exit 3 $ABGLEICH clarify $k --refund
$ABGLEICH clarify $k --close --by kluge 2>/dev/null || fail "a clerk closes the total"
assert_eq "" "$(open_k)" "closed"

# --- 5. a count-less total of a statement sent again under another number,
# which two stored totals alike could be (jobs/resent.c): batch_ambiguous,
# and its explanation says what is true (was: camt.054 entries, "mit 0
# Posten").
sed -e '/^:61:/{N;p}' -e '/^:62F:/s/EUR45,00/EUR90,00/' $B/sammler940_nocount.sta >$TMP/twins_nc.sta
sed -e 's/^:28C:00021/:28C:00022/' -e 's/^:60F:C261118EUR0,00/:60F:C261121EUR90,00/' \
    -e 's/^:62F:C261121EUR45,00/:62F:C261121EUR135,00/' $B/sammler940_nocount.sta >$TMP/again_nc.sta
assert_eq "2|1" "$(grep -c '^:61:' $TMP/twins_nc.sta)|$(grep -c '^:61:' $TMP/again_nc.sta)" "two totals, then one"
fresh resent_nocount
rec a $TMP/twins_nc.sta
rec b $TMP/again_nc.sta
assert_eq "batch_without_details=4500 batch_without_details=4500 batch_ambiguous=4500" "$(open_k)" \
    "the total sent again is left to the clerk"
assert_eq "" "$(paid)" "nothing paid"
k=$(q "SELECT id FROM abgleich.clarifications WHERE reason = 'batch_ambiguous'")
assert_match "^Sammelbuchung über 45,00 EUR \(Postenzahl nicht genannt\) ohne Einzelangaben, womöglich schon aus einem früheren Auszug des Kontos gebucht .*twins_nc.sta Ntry 1, .*twins_nc.sta Ntry 2\. Nicht abgeglichen; die Summe schließen\.$" \
    "$(q "SELECT explanation FROM abgleich.clarifications WHERE id = $k")" "says what it may be, in German"
assert_match "^Batch booking of 45.00 EUR \(count not stated\) and no details that may have been booked already from an earlier statement" \
    "$(q "SELECT explanation_en FROM abgleich.clarifications WHERE id = $k")" "and in English"
assert_eq "0" "$(q "SELECT count(*) FROM abgleich.clarifications WHERE id = $k AND (explanation LIKE '%camt.054%' OR explanation LIKE '% 0 Posten%')")" \
    "no camt.054, no '0 Posten'"
$ABGLEICH clarify $k --close --by kluge 2>/dev/null || fail "a clerk closes it"

# 067 takes 064's 0 back from camt totals (they stated their count) and
# leaves the MT940 Sammler's: a camt.053 total stored before 047 (NULL),
# which 064 made 0, beside it.
fresh count_guard
rec a $B/sammler940_nocount.sta
$ABGLEICH reconcile $FIXTURES/batches/total053.xml >/dev/null 2>&1 || fail "a camt.053 total beside it"
q "UPDATE abgleich.bank_transactions t SET batch_txs = 0 FROM abgleich.statements s WHERE s.id = t.statement_id AND s.format LIKE 'camt%' AND t.batch_txs IS NOT NULL" >/dev/null
sed -n '/^UPDATE abgleich.bank_transactions t SET batch_txs = NULL/,/;$/p' sql/067_sammler_count_guard.sql >$TMP/067_fill.sql
grep -q "MT940" $TMP/067_fill.sql || fail "067's backfill not found"
psql -XAtq -v ON_ERROR_STOP=1 -f $TMP/067_fill.sql >/dev/null
assert_eq "MT940:0 camt:" "$(q "SELECT string_agg(CASE WHEN s.format = 'MT940' THEN 'MT940' ELSE 'camt' END || ':' || coalesce(t.batch_txs::text, ''), ' ' ORDER BY s.format = 'MT940' DESC) FROM abgleich.bank_transactions t JOIN abgleich.statements s ON s.id = t.statement_id")" \
    "067: the MT940 Sammler keeps its 0, the camt.053 total has no stated count stored as 0"

# --- 6. a :25: of bank code and account number (50010517/5407324931, the
# pre-SEPA form): tied to the camt.054 of its IBAN DE44500105175407324931,
# which is the plain derivation of it (sql/068), in both orders, with and
# without a count; the derived IBAN is compared, never stored or shown.
# Before 068 it was never tied (the account is one of the shared facts).
assert_eq "DE89370400440532013000|DE44500105175407324931|DE44500105175407324931" \
    "$(q "SELECT abgleich.tie_account('37040044/0532013000') || '|' || abgleich.tie_account('50010517/5407324931') || '|' || abgleich.tie_account('DE44500105175407324931')")" \
    "the plain derivation (DE89 3704 0044 0532 0130 00 is the well-known example)"
assert_eq "10020030/12345678901|DE1234|37040044/0000000000|37040044/05320130EUR|1234/0532013000" \
    "$(q "SELECT concat_ws('|', abgleich.tie_account('10020030/12345678901'), abgleich.tie_account('DE1234'), abgleich.tie_account('37040044/0000000000'), abgleich.tie_account('37040044/05320130EUR'), abgleich.tie_account('1234/0532013000'))")" \
    "no derivation where it is not exact: 11 digits, no BLZ form, all zeros, letters, a short bank code"
assert_eq "50010517/5407324931 DE44500105175407324931" \
    "$(q "SELECT array_to_string(abgleich.tie_accounts('DE44500105175407324931'), ' ')")" "its stored forms"
assert_eq "10020030/1234567 10020030/01234567 10020030/001234567 10020030/0001234567" \
    "$(q "SELECT string_agg(a, ' ' ORDER BY length(a)) FROM unnest(abgleich.tie_accounts(abgleich.tie_account('10020030/1234567'))) a WHERE a LIKE '%/%'")" \
    "an account number with and without its leading zeros"
for order in 940-054 054-940; do
    for pair in sammler940_blz:ownref054:bank_reference sammler940_blz_nocount:ownref054:bank_reference \
                sammler940_blz:ownref054_bare:amount_day_count; do
        IFS=: read -r stmt ntf want <<<"$pair"
        fresh "${stmt}_${ntf}_${order/-/_}"
        if [ $order = 940-054 ]; then rec a $B/$stmt.sta; rec b $B/$ntf.xml
        else rec a $B/$ntf.xml; rec b $B/$stmt.sta; fi
        grep -q '"batches_resolved":1' $TMP/b.json || fail "$stmt $ntf $order: settled: $(cat $TMP/b.json) $(cat $TMP/b.txt)"
        assert_eq "$want|true" "$(how)" "$stmt $ntf $order: tied by $want"
        assert_eq "" "$(open_k)" "$stmt $ntf $order: nothing left for a clerk"
        assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "$stmt $ntf $order: the single payments pay"
        assert_eq "50010517/5407324931" \
            "$(q "SELECT string_agg(DISTINCT t.account, ' ') FROM abgleich.bank_transactions t JOIN abgleich.statements s ON s.id = t.statement_id WHERE s.format = 'MT940'")" \
            "$stmt $ntf $order: the MT940's account is stored as stated, never as the derived IBAN"
        assert_eq "50010517/5407324931" "$(q "SELECT account FROM abgleich.statements WHERE format = 'MT940'")" \
            "$stmt $ntf $order: the statement too"
    done
done
# Another account number (its derived IBAN is not the camt.054's), and an
# account of 13 digits that has no plain derivation: never tied.
sed 's#^:25:.*#:25:50010517/5407324932#' $B/sammler940.sta >$TMP/blz_other.sta
sed 's#^:25:.*#:25:50010517/5407324931001#' $B/sammler940.sta >$TMP/blz_long.sta
for f in blz_other blz_long; do
    fresh "$f"
    rec a $B/ownref054.xml
    rec b $TMP/$f.sta
    assert_eq "" "$(how)" "$f: another account: not tied"
    assert_eq "batch_without_details=4500" "$(open_k)" "$f: the total stays with the clerk"
done

# --- 7. KREF+ in the Sammler's :86: is the customer's reference of the batch
# (the PmtInfId of its pain file), which the camt.054 states as
# Btch/PmtInfId (ownref054_pmt.xml: PMT-7, MsgId MSG-7, no bank reference
# of the entry): it ties them (payment_information, sql/069), even without
# a count, in both orders.  Before, KREF+ was not read: a total without a
# count and a bank reference both state was never tied.
for order in 940-054 054-940; do
    fresh "kref_${order/-/_}"
    if [ $order = 940-054 ]; then
        rec a $B/sammler940_kref.sta
        assert_eq "0|PMT-7" "$(q "SELECT batch_txs || '|' || batch_kref FROM abgleich.bank_transactions")" \
            "kref $order: a total without count, its KREF+ stored"
        rec b $B/ownref054_pmt.xml
    else rec a $B/ownref054_pmt.xml; rec b $B/sammler940_kref.sta; fi
    grep -q '"batches_resolved":1' $TMP/b.json || fail "kref $order: settled: $(cat $TMP/b.json) $(cat $TMP/b.txt)"
    assert_eq "payment_information|true" "$(how)" "kref $order: tied by the batch's reference"
    assert_eq "" "$(open_k)" "kref $order: nothing left for a clerk"
    assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "kref $order: the single payments pay"
    assert_eq "2" "$(q "SELECT batch_txs FROM abgleich.bank_transactions t JOIN abgleich.statements s ON s.id = t.statement_id WHERE s.format = 'MT940'")" \
        "kref $order: the camt.054's count is the total's"
    assert_match "verknüpft über die Kundenreferenz des Sammlers \(im MT940 KREF\+, in der camt.054 Btch/PmtInfId\)" \
        "$(q "SELECT explanation FROM abgleich.allocations WHERE method = 'batch_resolved'")" "kref $order: says how"
done

# KREF+ that is the camt.054's MsgId (a bank that puts it there) neither ties
# nor parts them: without a count not tied, with one tied by the facts.
# KREF+ that is neither says another batch: not tied even by the facts
# (before: amount_day_count).
sed 's/KREF+PMT-7/KREF+MSG-7/' $B/sammler940_kref.sta >$TMP/kref_msg.sta
sed 's/KREF+PMT-7?21Kassenzeichen/KREF+MSG-7?21SAMMLER-ANZAHL 2 Kassenzeichen/' $B/sammler940_kref.sta >$TMP/kref_msg2.sta
sed 's/KREF+PMT-7?21Kassenzeichen/KREF+PMT-9?21SAMMLER-ANZAHL 2 Kassenzeichen/' $B/sammler940_kref.sta >$TMP/kref_other2.sta
grep -q "KREF+MSG-7?21SAMMLER-ANZAHL 2" $TMP/kref_msg2.sta && grep -q "KREF+PMT-9?21SAMMLER-ANZAHL 2" $TMP/kref_other2.sta ||
    fail "the KREF+ variants"
for pair in kref_msg: kref_msg2:amount_day_count kref_other2:; do
    f=${pair%:*} want=${pair#*:}
    for order in 940-054 054-940; do
        fresh "${f}_${order/-/_}"
        if [ $order = 940-054 ]; then rec a $TMP/$f.sta; rec b $B/ownref054_pmt.xml
        else rec a $B/ownref054_pmt.xml; rec b $TMP/$f.sta; fi
        if [ -n "$want" ]; then
            assert_eq "$want|true" "$(how)" "$f $order: tied by $want"
            assert_eq "" "$(open_k)" "$f $order: nothing left for a clerk"
        else
            assert_eq "" "$(how)" "$f $order: not tied"
            assert_eq "batch_without_details=4500" "$(open_k)" "$f $order: the total stays with the clerk"
        fi
        assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "$f $order: the camt.054 pays its own"
    done
done

# Two Sammler of one day, amount and count, KREF+PMT-8 and KREF+PMT-7: the
# camt.054 of PMT-7 settles the second (before: neither, ambiguous), in both
# orders; the first stays with the clerk.
for order in 940-054 054-940; do
    fresh "kref_two_${order/-/_}"
    if [ $order = 940-054 ]; then rec a $B/sammler940_kref2.sta; rec b $B/ownref054_pmt.xml
    else rec a $B/ownref054_pmt.xml; rec b $B/sammler940_kref2.sta; fi
    assert_eq "payment_information|true" "$(how)" "kref two $order: one tied"
    assert_eq "2" "$(q "SELECT l.stmt_entry FROM abgleich.entry_links l")" "kref two $order: the one of PMT-7"
    assert_eq "batch_without_details=4500" "$(open_k)" "kref two $order: the other stays with the clerk"
    assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "kref two $order: the single payments pay"
done
