#!/bin/bash
# A camt.053 entry and the camt.054 that notifies it, in both orders
# (jobs/entrylink.c, jobs/batches.c, sql/047_entry_links.sql).
# 1. A batch total without details is settled by its camt.054 also when the
#    camt.054's transactions carry their own AcctSvcrRef, beside the entry's
#    or instead of it (then by the batch's PmtInfId, or by amount, day and
#    count); never when two totals fit alike or the amounts disagree.
# 2. A camt.053 with the batch's details and a camt.054 with the same
#    transactions pay each claim once; the later sighting says where it was
#    booked.  Two bookings alike and one notification go to a clerk.
# (The bank notes found both: a total left open, payments allocated twice.)
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-24
B=$FIXTURES/batches
base_db=$ABGLEICH_DB

. tests/integration/bank_lib.sh
open_batches() { q "SELECT coalesce(string_agg(reason || '=' || open_cents, ' ' ORDER BY id), '') FROM abgleich.open_clarifications WHERE reason LIKE 'batch%'"; }

# --- 1. the batch total and a camt.054 with references of its own -----------
for order in 053-054 054-053; do
    for ntf in ownref054:bank_reference ownref054_pmt:payment_information ownref054_bare:amount_day_count; do
        f=${ntf%%:*} how=${ntf#*:}
        fresh "${f}_${order/-/_}"
        if [ $order = 053-054 ]; then
            rec a $B/total053.xml
            assert_eq "batch_without_details=4500" "$(open_batches)" "$f: the total waits for its camt.054"
            rec b $B/$f.xml
        else
            rec a $B/$f.xml
            rec b $B/total053.xml
        fi
        grep -q '"batches_resolved":1' $TMP/b.json || fail "$f $order: settled: $(cat $TMP/b.json) $(cat $TMP/b.txt)"
        assert_eq "" "$(open_batches)" "$f $order: no batch total left open"
        assert_eq "batch_resolved|4500|$how" \
            "$(q "SELECT a.method || '|' || a.amount_cents || '|' || l.how FROM abgleich.allocations a JOIN abgleich.clarifications k ON k.id = a.clarification_id JOIN abgleich.entry_links l ON (l.stmt_file, l.stmt_seq) = (k.file_id, k.tx_seq) WHERE k.reason = 'batch_without_details'")" \
            "$f $order: settled once, by the link of $how"
        assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "$f $order: the single payments pay"
        assert_eq "400000010033:1 400000010050:1" "$(rows)" "$f $order: each payment allocated once"
        # No money counted twice: what the claims got plus what is open for a
        # clerk is what came in once (45.00), not the total and its parts.
        assert_eq "4500|0" "$(q "SELECT (SELECT sum(amount_cents) FROM abgleich.allocations WHERE claim_id IS NOT NULL) || '|' || (SELECT coalesce(sum(open_cents), 0) FROM abgleich.open_clarifications)")" \
            "$f $order: allocated and open add up to the 45.00 that came"
        case $how in
        bank_reference) says="the bank reference \(AcctSvcrRef\)" ;;
        payment_information) says="the batch reference \(Btch/PmtInfId\)" ;;
        *) says="amount, booking day and count" ;;
        esac
        assert_match "of the camt.054 .*$f.xml \(linked by $says" \
            "$(q "SELECT explanation_en FROM abgleich.allocations WHERE method = 'batch_resolved'")" "$f $order: says how"
    done
done
# The same camt.054 again changes nothing.
rec c $B/ownref054_bare.xml
grep -q "already imported" $TMP/c.txt || fail "again: $(cat $TMP/c.txt)"
assert_eq "1|1" "$(q "SELECT (SELECT count(*) FROM abgleich.entry_links) || '|' || (SELECT count(*) FROM abgleich.allocations WHERE method = 'batch_resolved')")" "nothing linked twice"

# Two totals the bare camt.054 fits alike: neither is linked, in either order.
fresh two_first
rec a $B/twototals053.xml
rec b $B/ownref054_bare.xml
grep -q "could resolve more than one batch total" $TMP/b.txt || fail "warned: $(cat $TMP/b.txt)"
grep -q '"batches_resolved":0' $TMP/b.json || fail "none settled: $(cat $TMP/b.json)"
assert_eq "batch_without_details=4500 batch_without_details=4500" "$(open_batches)" "both totals stay with the clerk"
assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "the camt.054 pays its payments"
assert_eq "0" "$(q "SELECT count(*) FROM abgleich.entry_links")" "no link"
fresh two_after
rec a $B/ownref054_bare.xml
rec b $B/twototals053.xml
assert_eq "batch_ambiguous=4500 batch_ambiguous=4500" "$(open_batches)" "both totals are left to the clerk as ambiguous"
assert_match "ownref054_bare.xml Ntry 1" "$(q "SELECT explanation FROM abgleich.clarifications WHERE reason = 'batch_ambiguous' LIMIT 1")" "naming the camt.054 entry"
grep -q '"batch_ambiguous":{"count":2,"cents":9000}' $TMP/b.json || fail "counted: $(cat $TMP/b.json)"
assert_eq "400000010033=2500 400000010050=2000" "$(paid)" "paid once"
k=$(q "SELECT min(id) FROM abgleich.clarifications WHERE reason = 'batch_ambiguous'")
expect_exit 3 $ABGLEICH clarify $k --refund
$ABGLEICH clarify $k --close --by kluge 2>/dev/null || fail "a clerk closes an ambiguous total"

# The total's AcctSvcrRef, but its parts add up to 50.00: not its camt.054.
for order in 053-054 054-053; do
    fresh "wrong_${order/-/_}"
    if [ $order = 053-054 ]; then rec a $B/total053.xml; rec b $B/wrong054.xml
    else rec a $B/wrong054.xml; rec b $B/total053.xml; fi
    assert_eq "batch_without_details=4500" "$(open_batches)" "$order: amounts disagree, the total stays open"
    assert_eq "0" "$(q "SELECT count(*) FROM abgleich.entry_links")" "$order: no link"
    assert_eq "400000010033=2500 400000010041=2500" "$(paid)" "$order: the camt.054 pays its own"
done
# A currency that disagrees does not link either.
sed -e 's/Ccy="EUR">45.00/Ccy="CHF">45.00/; s/STMT-T-21/STMT-C-21/g; s/<ElctrncSeqNb>21/<ElctrncSeqNb>29/' $B/total053.xml >$TMP/chf053.xml
grep -q '<Amt Ccy="CHF">45.00</Amt>' $TMP/chf053.xml || fail "the total is in CHF"
fresh chf
rec a $B/ownref054.xml
$ABGLEICH reconcile $TMP/chf053.xml 2>$TMP/chf.txt || fail "CHF total: $(cat $TMP/chf.txt)"
assert_eq "0" "$(q "SELECT count(*) FROM abgleich.entry_links")" "a total in CHF is not the camt.054's in EUR"

# --- 2. the batch's details in both files ------------------------------------
for order in 053-054 054-053; do
    fresh "details_${order/-/_}"
    if [ $order = 053-054 ]; then first=details053 second=details054; else first=details054 second=details053; fi
    rec a $B/$first.xml
    rec b $B/$second.xml
    grep -q "booked from there and are not matched again" $TMP/b.txt || fail "$order: says so: $(cat $TMP/b.txt)"
    grep -q '"already_booked":2,"already_booked_cents":6000' $TMP/b.json || fail "$order: counted: $(cat $TMP/b.json)"
    grep -Eq "^  schon gebucht \(2\. Sichtung\) +2 +60,00 EUR" $TMP/b.txt || fail "$order: summary: $(cat $TMP/b.txt)"
    # The second file pays nothing of the batch (the statement's lone 20.00 is its own).
    [ $second = details054 ] && want=0 || want=2000
    grep -q "\"allocated_cents\":$want," $TMP/b.json || fail "$order: the second file pays no part twice: $(cat $TMP/b.json)"
    assert_eq "400000010017=2500 400000010050=2000 400000010068=3500" "$(paid)" "$order: each claim paid once"
    assert_eq "400000010017:1 400000010050:1 400000010068:1" "$(rows)" "$order: one ledger row each"
    assert_eq "8000|0" "$(q "SELECT (SELECT sum(amount_cents) FROM abgleich.allocations) || '|' || (SELECT count(*) FROM abgleich.clarifications)")" \
        "$order: 80.00 came and 80.00 went to claims, nothing to a clerk"
    assert_eq "2|true|bank_reference" "$(q "SELECT count(*) || '|' || bool_and(t.provisional) || '|' || min(l.how) FROM abgleich.bank_transactions t JOIN abgleich.input_files f ON f.id = t.file_id JOIN abgleich.entry_links l ON (l.ntf_statement, l.ntf_entry) = (t.statement_id, t.entry_no) OR (l.stmt_statement, l.stmt_entry) = (t.statement_id, t.entry_no) WHERE f.name LIKE '%$second.xml'")" \
        "$order: the second sighting is stored, never matched"
    $ABGLEICH --lang en explain D-1 >$TMP/x.txt 2>&1
    grep -q "booked already from .*$first.xml Ntry 1" $TMP/x.txt || fail "$order: explained: $(cat $TMP/x.txt)"
    grep -q "stated again in .*$second.xml Ntry 1" $TMP/x.txt || fail "$order: explained: $(cat $TMP/x.txt)"
done
# Without any AcctSvcrRef the EndToEndIds tie the camt.054 to the statement.
fresh details_e2e
rec a $B/details053.xml
rec b $B/details054_e2e.xml
assert_eq "end_to_end" "$(q "SELECT how FROM abgleich.entry_links")" "linked by the EndToEndIds"
assert_eq "400000010017:1 400000010050:1 400000010068:1" "$(rows)" "one ledger row each"

# Two bookings alike (25.00, no reference, no EndToEndId) and a camt.054 of
# one of them: which one, nothing tells.  In either order nothing is paid
# twice; what is in question goes to a clerk as possible_duplicate.
fresh twins_first
rec a $B/twins053.xml
rec b $B/twin054.xml
assert_eq "400000010017=2500 400000010033=2500" "$(paid)" "053 first: the statement pays"
assert_eq "possible_duplicate|2500|true" "$(q "SELECT k.reason || '|' || k.amount_cents || '|' || t.provisional FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq)")" \
    "053 first: the notification waits for a clerk"
k=$(q "SELECT id FROM abgleich.clarifications WHERE reason = 'possible_duplicate'")
$ABGLEICH clarify $k --close --by kluge 2>/dev/null || fail "a clerk closes a sighting booked already"
assert_eq "400000010017=2500 400000010033=2500" "$(paid)" "closed, nothing paid"
fresh twins_after
rec a $B/twin054.xml
rec b $B/twins053.xml
assert_eq "400000010017=2500" "$(paid)" "054 first: it pays; the statement's two do not"
assert_eq "possible_duplicate=2500 possible_duplicate=2500" "$(q "SELECT string_agg(reason || '=' || amount_cents, ' ') FROM abgleich.clarifications")" \
    "054 first: both alike wait for a clerk"
assert_match "twin054.xml Ntry 1" "$(q "SELECT min(explanation) FROM abgleich.clarifications")" "naming the notification"
k=$(q "SELECT max(id) FROM abgleich.clarifications")
$ABGLEICH clarify $k --claim 400000010033 --by kluge 2>/dev/null || fail "a clerk allocates the one that is new"
assert_eq "400000010017=2500 400000010033=2500" "$(paid)" "each paid once"

# A treasury clerk's own login (sql/009_roles.sql) links and settles too.
psql -XAtq -d postgres -c "DO \$\$ BEGIN CREATE ROLE t_batches_kasse LOGIN IN ROLE abgleich_treasury;
    EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
fresh roles
for f in ownref054 total053 details054 details053; do
    ABGLEICH_DB="$ABGLEICH_DB user=t_batches_kasse" $ABGLEICH reconcile $B/$f.xml 2>$TMP/kasse.txt ||
        fail "as the treasury: $f: $(cat $TMP/kasse.txt)"
done
assert_eq "2" "$(q "SELECT count(*) FROM abgleich.entry_links")" "linked by the treasury's login"
assert_eq "" "$(open_batches)" "the total settled"
assert_eq "400000010017:1 400000010033:1 400000010050:1 400000010068:1" "$(rows)" \
    "one ledger row per payment (the statement's own 20.00 finds 400000010050 paid by the batch)"
assert_eq "claim_already_paid=2000" "$(q "SELECT string_agg(reason || '=' || amount_cents, ' ') FROM abgleich.open_clarifications")" \
    "and nothing else waits"
