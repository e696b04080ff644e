#!/bin/bash
# The claim snapshot (engine/claimsnap.c, sql/017_claimsnap.sql): reconcile
# writes it after a full load, the next run loads it and only what changed
# since (new claims, escalation fees, payments of earlier runs), and the
# result is row for row what a run without snapshot writes into a twin
# database; a purge makes it stale, a damaged file is ignored, a writer in
# flight keeps it from being written, and the file is private (0600).
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-23
M=$FIXTURES/matching F=$FIXTURES/fines
REF=${PGDATABASE}_ref
SNAPLOCK=27411269198700912
SD=$TMP/state
q "SELECT 1" >/dev/null
psql -XAtq -d postgres -c "CREATE DATABASE \"$REF\" TEMPLATE template0" >/dev/null
REFDB="${ABGLEICH_DB%dbname=*}dbname=$REF"

# both ARGS...: the same command on the snapshot database and on the twin
# that never uses one; the first's stderr is kept in $TMP/log.
both() {
    $ABGLEICH --verbose --state-dir "$SD" "$@" >/dev/null 2>"$TMP/log"
    $ABGLEICH --no-snapshot --db "$REFDB" "$@" >/dev/null 2>"$TMP/log_ref"
}
qr() { PGDATABASE=$REF q "$1"; }

# stmt ID SEQ E2E:CENTS:TEXT...: a CAMT.053 with one credit per payment.
stmt() {
    local id=$1 seq=$2 sum=0 p e c t
    shift 2
    for p in "$@"; do c=${p#*:}; sum=$((sum + ${c%%:*})); done
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
    printf '<GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-11-21T22:00:00</CreDtTm></GrpHdr>' "$id"
    printf '<Stmt><Id>%s</Id><ElctrncSeqNb>%s</ElctrncSeqNb><CreDtTm>2026-11-21T22:00:00</CreDtTm>' "$id" "$seq"
    printf '<Acct><Id><IBAN>DE44500105175407324931</IBAN></Id><Ccy>EUR</Ccy></Acct>'
    printf '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-21</Dt></Dt></Bal>'
    printf '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%d.%02d</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-21</Dt></Dt></Bal>' $((sum / 100)) $((sum % 100))
    for p in "$@"; do
        e=${p%%:*}; c=${p#*:}; t=${c#*:}; c=${c%%:*}
        printf '<Ntry><Amt Ccy="EUR">%d.%02d</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>false</RvslInd>' $((c / 100)) $((c % 100))
        printf '<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-21</Dt></BookgDt><ValDt><Dt>2026-11-21</Dt></ValDt>'
        printf '<AcctSvcrRef>%s</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>%s</EndToEndId></Refs>' "$e" "$e"
        printf '<Amt Ccy="EUR">%d.%02d</Amt><CdtDbtInd>CRDT</CdtDbtInd>' $((c / 100)) $((c % 100))
        printf '<RltdPties><Dbtr><Pty><Nm>Zahler %s</Nm></Pty></Dbtr></RltdPties><RmtInf><Ustrd>%s</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>' "$e" "$t"
    done
    printf '</Stmt></BkToCstmrStmt></Document>\n'
}

# What reconcile decided, in a form that does not depend on ids.
ledger() {
    "$1" "SELECT coalesce(t.end_to_end_id, '-') || '|' || c.reference || '|' || a.amount_cents || '|' || a.method || '|' || coalesce(a.confidence::text, '-') FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id LEFT JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) ORDER BY 1"
    "$1" "SELECT t.end_to_end_id || '|' || k.reason || '|' || k.amount_cents || '|' || coalesce(c.reference, '-') FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) LEFT JOIN abgleich.claims c ON c.id = k.claim_id ORDER BY 1"
}
same_ledger() {
    assert_eq "$(ledger qr)" "$(ledger q)" "$1: the same rows as without a snapshot"
}
snapfile() { ls "$SD"/claims-*.snap 2>/dev/null; }

both init
both import tickets $M/tickets.csv
assert_eq "" "$(snapfile)" "no snapshot before the first reconcile"

# Night 1: no snapshot yet: everything is loaded, then written down.
both reconcile $M/statement.xml
grep -q "claim snapshot .* ignored: none yet" $TMP/log || fail "first run: $(cat $TMP/log)"
grep -q "claim snapshot .* written: 7 claims" $TMP/log || fail "written after the full load: $(cat $TMP/log)"
f=$(snapfile)
[ -n "$f" ] || fail "no snapshot file in $SD"
assert_eq "600" "$(stat -c %a "$f")" "the snapshot holds plates: private to its user"
assert_eq "700" "$(stat -c %a "$SD")" "and so is its directory"
same_ledger "night 1"

# The day: new tickets, the hearing for all due warnings, then fine
# notices for the new A (10 EUR -> 38.50 EUR with fee and expenses) and
# for 400000010033 of night 1's snapshot (25 EUR -> 53.50 EUR).
both import tickets --as-of 2026-11-05 $F/lifecycle.csv
both escalate --as-of 2026-11-11 --letters /dev/null
both case 400000050014 --driver-known --as-of 2026-11-20
both case 400000010033 --driver-known --as-of 2026-11-20
assert_eq "3850" "$(q "SELECT open_cents FROM abgleich.claim_ledger WHERE reference = '400000050014'")" "A owes the escalated amount"
assert_eq "5350" "$(q "SELECT open_cents FROM abgleich.claim_ledger WHERE reference = '400000010033'")" "so does the old claim"

# Night 2 pays: both escalated amounts, the new claim C, a claim paid in
# night 1 (already paid), and the rest of the partly paid one.
stmt SNAP-2 402 "S-1:3850:Bussgeld 400000050014" "S-2:2500:Verwarnung 400000050039" "S-10:5350:Bussgeld 400000010033" \
    "S-3:2500:Verwarnung 400000010017" "S-4:1000:Rest 400000010050" "S-5:5500:Verwarnung 400000050022" >$TMP/s2.xml
both reconcile $TMP/s2.xml
grep -q "claims: 7 from the snapshot, 9 new, [1-9][0-9]* changed by new ledger rows" $TMP/log \
    || fail "night 2 loads the snapshot and the delta: $(cat $TMP/log)"
grep -q "ignored" $TMP/log && fail "night 2 must use the snapshot: $(cat $TMP/log)"
assert_eq "S-1|400000050014|3850|exact_reference|100" "$(q "SELECT t.end_to_end_id || '|' || c.reference || '|' || a.amount_cents || '|' || a.method || '|' || a.confidence FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE t.end_to_end_id = 'S-1'")" \
    "the escalated new claim is paid in full"
assert_eq "S-10|400000010033|5350|exact_reference|100" "$(q "SELECT t.end_to_end_id || '|' || c.reference || '|' || a.amount_cents || '|' || a.method || '|' || a.confidence FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE t.end_to_end_id = 'S-10'")" \
    "the escalated old claim is paid in full: its fees came with the delta"
assert_eq "S-3|claim_already_paid" "$(q "SELECT t.end_to_end_id || '|' || k.reason FROM abgleich.clarifications k JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (k.file_id, k.tx_seq) WHERE t.end_to_end_id = 'S-3'")" \
    "a claim paid in night 1 is known as paid: the allocations came with the delta"
assert_eq "1000" "$(q "SELECT sum(a.amount_cents) FROM abgleich.allocations a JOIN abgleich.bank_transactions t ON (t.file_id, t.seq) = (a.file_id, a.tx_seq) WHERE t.end_to_end_id = 'S-4'")" "the rest of a partly paid claim"
same_ledger "night 2"
grep -q "claim snapshot .* written: 16 claims" $TMP/log || fail "a delta above 5 % writes a new snapshot: $(cat $TMP/log)"

# Night 3 starts from night 2's snapshot.
stmt SNAP-3 403 "S-6:1000:Verwarnung 400000050047" >$TMP/s3.xml
both reconcile $TMP/s3.xml
grep -q "claims: 16 from the snapshot" $TMP/log || fail "night 3 from the snapshot: $(cat $TMP/log)"
same_ledger "night 3"

# The claims with what claimsnap_changes(0, 0) adds to them are exactly
# claim_ledger, for all claims.
rebuilt="SELECT c.id, c.reference, c.amount_cents + coalesce(ch.added_cents, 0),
                c.amount_cents + coalesce(ch.added_cents, 0) - coalesce(ch.paid_cents, 0),
                CASE WHEN ch.due_moved THEN ch.due_day
                     ELSE coalesce(c.due_date, date '9999-12-31') - date '1970-01-01' END, c.plate
         FROM abgleich.claims c LEFT JOIN abgleich.claimsnap_changes(0, 0) ch ON ch.claim_id = c.id"
ledger_rows="SELECT id, reference, owed_cents, open_cents, coalesce(due_date, date '9999-12-31') - date '1970-01-01', plate FROM abgleich.claim_ledger"
assert_eq "0|0" "$(q "SELECT (SELECT count(*) FROM ($ledger_rows EXCEPT ALL $rebuilt) x) || '|' || (SELECT count(*) FROM ($rebuilt EXCEPT ALL $ledger_rows) y)")" \
    "claims + claimsnap_changes(0, 0) = claim_ledger"
assert_eq "16" "$(q "SELECT count(*) FROM ($rebuilt) z")" "every claim"

# A purge changes claims in place: the epoch moves and the snapshot is
# stale; a dry run moves nothing.
epoch=$(q "SELECT epoch FROM abgleich.claimsnap_state")
both purge --before 2027-01-01
assert_eq "$epoch" "$(q "SELECT epoch FROM abgleich.claimsnap_state")" "a dry run keeps the epoch"
both purge --before 2027-01-01 --execute
assert_eq "$((epoch + 1))" "$(q "SELECT epoch FROM abgleich.claimsnap_state")" "the purge moved the epoch"
assert_eq "" "$(q "SELECT plate FROM abgleich.claims WHERE reference = '400000010017'")" "and removed a plate"
stmt SNAP-4 404 "S-7:1000:Verwarnung 400000050080" >$TMP/s4.xml
both reconcile $TMP/s4.xml
grep -q "claim snapshot .* ignored: claims were changed in place since" $TMP/log \
    || fail "after a purge the snapshot is not used: $(cat $TMP/log)"
grep -q "claim snapshot .* written: 16 claims" $TMP/log || fail "a fresh one after the full load: $(cat $TMP/log)"
same_ledger "after the purge"

# A damaged snapshot is ignored, and the run is right all the same.
f=$(snapfile)
truncate -s -100 "$f"
stmt SNAP-5 405 "S-8:1000:Verwarnung 400000050071" >$TMP/s5.xml
both reconcile $TMP/s5.xml
grep -q "claim snapshot ignored: its index is damaged or truncated" $TMP/log || fail "truncated: $(cat $TMP/log)"
same_ledger "with a truncated snapshot"
printf 'XXXXXXXX' | dd of="$f" conv=notrunc 2>/dev/null
stmt SNAP-6 406 "S-9:2500:Verwarnung 400000050055" >$TMP/s6.xml
both reconcile $TMP/s6.xml
grep -q "ignored: not a claim snapshot" $TMP/log || fail "wrong magic: $(cat $TMP/log)"
same_ledger "with a foreign file"
chmod 644 "$f"
$ABGLEICH --verbose --state-dir "$SD" reconcile $TMP/s6.xml >/dev/null 2>$TMP/log
grep -q "ignored: not private to this user" $TMP/log || fail "a readable file is not trusted: $(cat $TMP/log)"
assert_eq "600" "$(stat -c %a "$(snapfile)")" "and replaced by a private one"

# A writer in flight (a transaction that inserted into the ledger and has
# not committed) keeps the snapshot from being written; reading is fine.
rm -f "$(snapfile)"
psql -XAtq -c "BEGIN; SELECT pg_advisory_xact_lock_shared($SNAPLOCK); SELECT pg_sleep(4); COMMIT" >/dev/null &
writer=$!
sleep 1
$ABGLEICH --verbose --state-dir "$SD" reconcile $TMP/s6.xml >/dev/null 2>$TMP/log
wait $writer
grep -q "claim snapshot not written: claims or the ledger are being written right now" $TMP/log \
    || fail "busy writers: $(cat $TMP/log)"
assert_eq "" "$(snapfile)" "no snapshot while a writer was in flight"

# The triggers take the lock: an insert waits while the snapshot lock is held.
psql -XAtq -c "SELECT pg_advisory_lock($SNAPLOCK), pg_sleep(2)" >/dev/null &
holder=$!
sleep 0.5
t0=$(date +%s%N)
q "INSERT INTO abgleich.allocations (claim_id, amount_cents, method) SELECT id, 1, 'manual' FROM abgleich.claims WHERE reference = '400000050098'"
waited=$((($(date +%s%N) - t0) / 1000000))
wait $holder
[ "$waited" -ge 800 ] || fail "the insert did not wait for the snapshot lock (${waited} ms)"
echo "ok"
