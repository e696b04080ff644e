#!/bin/bash
# abgleich serve while PostgreSQL restarts (issue 7): a private cluster is
# stopped in the middle of a run of 20 ticket files; /healthz turns
# unhealthy while it is gone; serve reconnects, the file in flight is
# retried, and the result (claims, then the allocations of a statement)
# equals a clean run's with the command line tools in another database.
set -eu
. tests/integration/lib.sh

port() { echo $((20000 + RANDOM % 30000)); }
wait_for() {
    local n=$(($1 * 10))
    shift
    while ! "$@" >/dev/null 2>&1; do
        n=$((n - 1))
        [ $n -gt 0 ] || return 1
        sleep 0.1
    done
}
files_in() { ls "$1" 2>/dev/null | grep -cv '\.log$' || true; }
health() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/healthz"; }
is_health() { [ "$(health)" = "$1" ]; }
in_hand() { [ "$(psql -XAtq -d "$conn" -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY pg_temp.ticket_stage%'")" -ge 1 ]; }
at_least() { [ "$(files_in $1)" -ge "$2" ]; }
fingerprint() {
    psql -XAtq -v ON_ERROR_STOP=1 -d "$1" -c "
        SELECT (SELECT count(*) || '/' || sum(amount_cents) || '/' || md5(string_agg(reference || due_date, ',' ORDER BY reference)) FROM abgleich.claims)
        || ' ' || (SELECT count(*) || '/' || coalesce(sum(a.amount_cents), 0) || '/' || md5(string_agg(c.reference || ':' || a.amount_cents || ':' || a.method, ',' ORDER BY c.reference, a.amount_cents, a.method))
                   FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id)
        || ' ' || (SELECT count(*) FROM abgleich.clarifications)"
}

export ABGLEICH_TODAY=2026-11-20
$ABGLEICH gen --out $TMP/data --tickets 20000 --paying 3000 --seed 11 --date 2026-11-20 2>/dev/null
mkdir -p $TMP/batch
tail -n +2 $TMP/data/tickets.csv | split -l 1000 -d -a 2 - $TMP/batch/t_
for f in $TMP/batch/t_*; do
    { head -1 $TMP/data/tickets.csv; cat "$f"; } > "$f.csv"
    rm "$f"
done

# The clean run, in this test's database, with the command line tools.
$ABGLEICH init 2>/dev/null
$ABGLEICH --quiet import tickets $TMP/batch/*.csv 2>/dev/null
$ABGLEICH --quiet reconcile $TMP/data/statement.xml 2>/dev/null
clean=$(fingerprint "$ABGLEICH_DB")

# serve against a private cluster that is restarted in the middle.
conn=$($ABGLEICH pg start --dir $TMP/pg2)
trap '$ABGLEICH pg stop --dir $TMP/pg2 >/dev/null 2>&1 || true' EXIT
ABGLEICH_DB="$conn" $ABGLEICH init 2>/dev/null
IN=$TMP/inbox P=$(port)
ABGLEICH_DB="$conn" $ABGLEICH serve --inbox $IN --listen 127.0.0.1:$P --lease-seconds 3 \
    --scan-interval-ms 200 --stable-ms 300 2>$TMP/serve.log &
S=$!
wait_for 20 is_health 200 || fail "not healthy: $(cat $TMP/serve.log)"
mv $TMP/batch/*.csv $IN/tickets/
wait_for 60 at_least $IN/done 3 || fail "no progress: $(cat $TMP/serve.log)"
# Stop the server while a file is in hand (its transaction is open).
wait_for 30 in_hand || fail "no file in hand"
$ABGLEICH pg stop --dir $TMP/pg2 >/dev/null
wait_for 10 is_health 503 || fail "/healthz stayed $(health) without the database"
curl -s http://127.0.0.1:$P/healthz | grep -q "database unreachable" || fail "healthz says why"
curl -s http://127.0.0.1:$P/metrics | grep -q "^abgleich_database_up 0$" || fail "database_up 0"
sleep 2
$ABGLEICH pg start --dir $TMP/pg2 >/dev/null
wait_for 30 is_health 200 || fail "not healthy again: $(tail -5 $TMP/serve.log)"
wait_for 120 at_least $IN/done 20 || fail "only $(files_in $IN/done) of 20 done: $(tail -20 $TMP/serve.log)"
cp $TMP/data/statement.xml $TMP/st.tmp && mv $TMP/st.tmp $IN/statements/statement.xml
wait_for 60 at_least $IN/done 21 || fail "statement not done: $(tail -20 $TMP/serve.log)"

assert_eq 0 "$(files_in $IN/failed)" "nothing failed"
grep -q "connection lost" $TMP/serve.log || fail "the loss is logged: $(cat $TMP/serve.log)"
[ "$(curl -s http://127.0.0.1:$P/metrics | awk '$1 == "abgleich_database_lost_total" { print $2 }')" -ge 1 ] \
    || fail "database_lost_total counts the outage"
assert_eq "$clean" "$(fingerprint "$conn")" "the result equals the clean run's"
assert_eq "20|1" "$(psql -XAtq -d "$conn" -c "SELECT count(*) FILTER (WHERE kind = 'tickets'), count(*) FILTER (WHERE kind = 'statement') FROM abgleich.input_files")" \
    "each file once"
[ "$(curl -s http://127.0.0.1:$P/metrics | awk '$1 == "abgleich_files_total{kind=\"tickets\",outcome=\"retried\"}" { print $2 }')" -ge 1 ] \
    || fail "the file in hand was retried: $(grep -E 'waits|job' $TMP/serve.log)"
kill -TERM $S
wait $S || fail "serve exit $?"
