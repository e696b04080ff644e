#!/bin/bash
# abgleich serve (issue 7): two instances on one inbox and one database take
# 200 files dropped at once and process each exactly once; /metrics moves
# during the run; SIGTERM finishes and exits; a kill -9 in the middle of a
# file is taken over after the lease, with no duplicate and no missing row;
# --check-config and SIGHUP.  The database restart is t_serve_restart.
set -eu
. tests/integration/lib.sh

port() { echo $((20000 + RANDOM % 30000)); }
# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
    local n=$(($1 * 10))
    shift
    while ! "$@" >/dev/null 2>&1; do
        n=$((n - 1))
        [ $n -gt 0 ] || return 1
        sleep 0.1
    done
}
is_state() { [ "$(q "SELECT state FROM abgleich.jobs WHERE name = '$1'")" = "$2" ]; }
files_in() { ls "$1" 2>/dev/null | grep -cv '\.log$' || true; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k { print $2 }'; }
serve() { exec $ABGLEICH serve --inbox $IN --scan-interval-ms 200 --stable-ms 300 "$@"; }

$ABGLEICH init 2>/dev/null
export ABGLEICH_TODAY=2026-11-20
# 104 000 tickets: the first 4 000 for the 200 small files, the rest for one
# big file (the generator numbers references from the first row on).
$ABGLEICH gen --out $TMP/data --tickets 104000 --seed 7 --date 2026-11-20 2>/dev/null
mkdir -p $TMP/big
{ head -1 $TMP/data/tickets.csv; tail -n +4002 $TMP/data/tickets.csv; } > $TMP/big/tickets.csv
head -4001 $TMP/data/tickets.csv > $TMP/small.csv

# --check-config: a good file is printed back; a bad line is named.
IN=$TMP/inbox
cat > $TMP/abgleich.ini <<EOF
[serve]
inbox = $IN
listen = 127.0.0.1:$(port)
lease_seconds = 5
[engine]
lang = en
EOF
$ABGLEICH serve --check-config --config $TMP/abgleich.ini > $TMP/cfg.txt
grep -q "^lease_seconds = 5$" $TMP/cfg.txt || fail "check-config prints the file's values: $(cat $TMP/cfg.txt)"
grep -q "^lang = en$" $TMP/cfg.txt || fail "check-config prints the engine section"
printf '[serve]\ninbox = %s\nlease_secs = 5\n' "$IN" > $TMP/bad.ini
expect_exit 2 $ABGLEICH serve --check-config --config $TMP/bad.ini
grep -q "bad.ini:3: serve.lease_secs: unknown key" $TMP/stderr || fail "bad key named: $(cat $TMP/stderr)"
printf '[serve]\ninbox = %s\nparallel_jobs = 99\n' "$IN" > $TMP/bad.ini
expect_exit 2 $ABGLEICH serve --check-config --config $TMP/bad.ini
grep -q "bad.ini:3: serve.parallel_jobs: not a number in 1..8" $TMP/stderr || fail "range named: $(cat $TMP/stderr)"

# 200 files of 20 tickets each, written aside and renamed in at once.
mkdir -p $TMP/batch
tail -n +2 $TMP/small.csv | split -l 20 -d -a 3 - $TMP/batch/part_
for f in $TMP/batch/part_*; do
    { head -1 $TMP/data/tickets.csv; cat "$f"; } > "$f.csv"
    rm "$f"
done
assert_eq 200 "$(ls $TMP/batch | wc -l)" "200 files"

PA=$(port); PB=$((PA + 1))
serve --listen 127.0.0.1:$PA --instance A 2>$TMP/a.log &
A=$!
serve --listen 127.0.0.1:$PB --instance B 2>$TMP/b.log &
B=$!
wait_for 20 curl -sf http://127.0.0.1:$PA/healthz || fail "A not healthy: $(cat $TMP/a.log)"
wait_for 20 curl -sf http://127.0.0.1:$PB/healthz || fail "B not healthy: $(cat $TMP/b.log)"
mv $TMP/batch/*.csv $IN/tickets/

# Scrape A while the files are processed: the counter moves.
samples=""
for _ in $(seq 1 600); do
    samples="$samples $(metric $PA 'abgleich_files_total{kind="tickets",outcome="done"}')"
    [ "$(files_in $IN/done)" -ge 200 ] && break
    sleep 0.2
done
assert_eq 200 "$(files_in $IN/done)" "every file is in done/"
distinct=$(echo $samples | tr ' ' '\n' | sort -un | wc -l)
[ "$distinct" -ge 3 ] || fail "/metrics did not move during the run: $samples"
assert_eq "" "$(echo $samples | tr ' ' '\n' | awk 'NR > 1 && $1 < prev { print } { prev = $1 }')" "the counter never goes back"

assert_eq "200|200|4000" "$(q "SELECT count(*), count(DISTINCT content_hash), (SELECT count(*) FROM abgleich.claims) FROM abgleich.input_files")" \
    "each file imported once: 200 files, 4000 claims"
assert_eq "200|0|1" "$(q "SELECT count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state <> 'done'), max(attempts) FROM abgleich.jobs")" \
    "200 jobs done, each on the first attempt"
assert_eq 2 "$(q "SELECT count(DISTINCT owner) FROM abgleich.jobs")" "both instances took files"
assert_eq 0 "$(files_in $IN/tickets)" "the inbox is empty"
grep -q "20 claims imported, 0 rows rejected" $IN/done/part_000.csv.log || fail "the job's log: $(cat $IN/done/part_000.csv.log)"
a=$(metric $PA 'abgleich_files_total{kind="tickets",outcome="done"}')
b=$(metric $PB 'abgleich_files_total{kind="tickets",outcome="done"}')
assert_eq 200 $((a + b)) "the two instances' counters add up to 200"
assert_eq 4000 $(($(metric $PA abgleich_claims_total) + $(metric $PB abgleich_claims_total))) "claims counted"
curl -s http://127.0.0.1:$PA/metrics | grep -q '^abgleich_job_duration_seconds_bucket{kind="tickets",le="+Inf"} [1-9]' \
    || fail "a duration histogram"

# The citizen's account over HTTP.
ref=$(q "SELECT reference FROM abgleich.claims ORDER BY id LIMIT 1")
assert_eq "$(q "SELECT abgleich.account_json(NULL, '$ref')")" "$(curl -s "http://127.0.0.1:$PA/accounts?reference=$ref")" "GET /accounts?reference="
assert_eq 400 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PA/accounts")" "a plate or a reference is needed"

# The same file dropped again is recognised, nothing changes.
cp $IN/done/part_007.csv $TMP/again.csv
mv $TMP/again.csv $IN/tickets/again.csv
wait_for 30 test -f $IN/done/again.csv || fail "again.csv not done"
grep -q "already imported" $IN/done/again.csv.log || fail "the log says why: $(cat $IN/done/again.csv.log)"
assert_eq 4000 "$(q "SELECT count(*) FROM abgleich.claims")" "nothing changed"

# SIGHUP reloads the configuration file of A? A has none: it says so.
kill -HUP $A
wait_for 5 grep -q "SIGHUP: no --config file to reload" $TMP/a.log || fail "SIGHUP without a file"

# SIGTERM: both finish and exit 0.
kill -TERM $A $B
wait $A || fail "A exit $?"
wait $B || fail "B exit $?"
grep -q "serve: stopped" $TMP/a.log || fail "A said nothing: $(tail -3 $TMP/a.log)"

# kill -9 in the middle of a file: 100 000 tickets take a few seconds.
cat > $TMP/a.ini <<EOF
[serve]
inbox = $IN
listen = none
lease_seconds = 3
scan_interval_ms = 200
stable_ms = 300
instance = C
EOF
$ABGLEICH serve --config $TMP/a.ini 2>$TMP/c.log &
C=$!
cp $TMP/big/tickets.csv $TMP/big.tmp && mv $TMP/big.tmp $IN/tickets/big.csv
wait_for 30 is_state big.csv running \
    || fail "C did not take big.csv: $(cat $TMP/c.log)"
sleep 0.3
kill -9 $C
wait $C 2>/dev/null || true
before=$(q "SELECT count(*) FROM abgleich.claims")
sed -i 's/^instance = C$/instance = D/; s/^lease_seconds = 3$/lease_seconds = 30/' $TMP/a.ini
$ABGLEICH serve --config $TMP/a.ini 2>$TMP/d.log &
D=$!
wait_for 120 test -f $IN/done/big.csv || fail "D did not finish big.csv: $(cat $TMP/d.log) $(q "SELECT pid, state, wait_event, left(query, 70) FROM pg_stat_activity WHERE datname = current_database()")"
rows=$(($(wc -l < $TMP/big/tickets.csv) - 1))
new=$(q "SELECT count(*) FROM abgleich.claims c JOIN abgleich.input_files f ON f.id = c.file_id WHERE f.name LIKE '%big.csv'")
assert_eq "100000|$rows" "$new|$new" "every row of big.csv imported once ($before claims before the takeover)"
assert_eq "done|D|2" "$(q "SELECT state, owner, attempts FROM abgleich.jobs WHERE name = 'big.csv'")" "D took the job over after C's lease ran out"
assert_eq 1 "$(q "SELECT count(*) FROM abgleich.input_files WHERE name LIKE '%big.csv'")" "one import of big.csv"

# SIGHUP with a file: the new value is taken.
sed -i 's/^scan_interval_ms = 200$/scan_interval_ms = 300/' $TMP/a.ini
kill -HUP $D
wait_for 5 grep -q "SIGHUP: configuration reloaded" $TMP/d.log || fail "SIGHUP: $(tail -3 $TMP/d.log)"
kill -TERM $D
wait $D || fail "D exit $?"
