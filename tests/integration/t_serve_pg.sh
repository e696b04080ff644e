#!/bin/bash
# PostgreSQL restarted in the middle of a serve run: /healthz turns 503 and
# abgleich_database_up 0 while it is gone, serve reconnects with backoff,
# the files in flight are retried, and the rows equal a clean run's (the
# same files through `import tickets` and `reconcile` into another
# database).  serve runs against a private cluster of its own (pg start),
# so that stopping it leaves the harness's cluster alone.  Also: SIGHUP
# reads the configuration file again; flags win over the file, at the start
# and after SIGHUP (the common --threads, --check-digit, --lang as well).
set -eu
. tests/integration/lib.sh
. tests/integration/serve_lib.sh
export ABGLEICH_TODAY=2026-11-20

$ABGLEICH gen --out $TMP/data --tickets 20000 --seed 5 --date 2026-11-20 2>/dev/null
split_tickets $TMP/data/tickets.csv 100 $TMP/stage
cp -r $TMP/stage $TMP/clean

conn=$($ABGLEICH pg start --dir $TMP/pg 2>/dev/null)
trap '$ABGLEICH pg stop --dir $TMP/pg >/dev/null 2>&1 || true' EXIT
$ABGLEICH --db "$conn" init 2>/dev/null
mkdir -p $TMP/inbox
port=$(free_port)
cat > $TMP/serve.ini <<INI
[serve]
inbox = $TMP/inbox
workers = 2
scan_interval_ms = 100
lease_seconds = 5
threads = 1
check_digit = none
lang = en
[database]
url = $conn application_name=from_the_file
reconnect_max_ms = 400
INI
start_serve a $port --config $TMP/serve.ini --db "$conn" --workers 2 --threads 2 --check-digit iso7064-11-10 --lang de
grep -q "2 workers, .* 2 matcher threads (0: the cores), check digit iso7064-11-10, language de" $TMP/a.log \
    || fail "the flags win over the file: $(grep serving $TMP/a.log)"

mv $TMP/stage/*.csv $TMP/inbox/tickets/
for _ in $(seq 300); do
    [ "$(psql -XAtq "$conn" -c "SELECT count(*) FROM abgleich.jobs WHERE moved_at IS NOT NULL")" -ge 15 ] && break
    sleep 0.05
done
$ABGLEICH pg stop --dir $TMP/pg >/dev/null 2>&1
down=0
for _ in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/healthz)
    [ "$code" = 503 ] && { down=1; break; }
    sleep 0.05
done
assert_eq 1 "$down" "/healthz turns 503 while the database is gone"
assert_eq 0 "$(metric $port abgleich_database_up)" "abgleich_database_up is 0"
sleep 1
$ABGLEICH pg start --dir $TMP/pg >/dev/null 2>&1
wait_jobs 100 90 "$conn"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/healthz)" "/healthz ok again"
grep -q "connected again" $TMP/a.log || fail "serve says it reconnected"

# Again in the middle of the statement: its transaction is lost whole and
# the job runs again once the database is back.
cp $TMP/data/statement.xml $TMP/inbox/statements/day1.xml
for _ in $(seq 300); do
    [ "$(psql -XAtq "$conn" -c "SELECT count(*) FROM abgleich.jobs WHERE state = 'running'" 2>/dev/null)" = 1 ] && break
    sleep 0.02
done
sleep 0.2
$ABGLEICH pg stop --dir $TMP/pg >/dev/null 2>&1
sleep 0.5
$ABGLEICH pg start --dir $TMP/pg >/dev/null 2>&1
wait_jobs 101 90 "$conn"
assert_eq 1 "$(psql -XAtq "$conn" -c "SELECT count(*) FROM abgleich.input_files WHERE kind = 'statement'")" "the statement stored once"
assert_eq 2 "$(psql -XAtq "$conn" -c "SELECT attempts FROM abgleich.jobs WHERE kind = 'statements'")" "the statement ran again after the restart"
notdone=$(psql -XAtq "$conn" -c "SELECT kind || ' ' || name || ' ' || state || ' after ' || attempts || ': ' || coalesce(error, '-') FROM abgleich.jobs WHERE state <> 'done'")
[ -z "$notdone" ] || fail "every job done, but: $notdone; serve said: $(tail -30 $TMP/a.log)"

# SIGHUP: a new scan interval and log level from the file; what a flag
# gave stays (the file's workers = 3 yields to --workers 2).
sed -i 's/scan_interval_ms = 100/scan_interval_ms = 150/; s/workers = 2/workers = 3/' $TMP/serve.ini
kill -HUP "$(cat $TMP/a.pid)"
for _ in $(seq 50); do
    grep -q "configuration read again .* scans every 150 ms" $TMP/a.log && break
    sleep 0.1
done
grep -q "configuration read again .* scans every 150 ms" $TMP/a.log || fail "SIGHUP reads the file again"
grep -q "configuration read again .* (flags win): 2 workers, .* 2 matcher threads (0: the cores), check digit iso7064-11-10, language de" $TMP/a.log \
    || fail "flags still win after SIGHUP: $(grep 'read again' $TMP/a.log)"
! grep -q "change on restart only" $TMP/a.log || fail "--db wins over the file's url: SIGHUP sees no change to warn of"
stop_serve a

# The clean run, in the harness's database.
$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $TMP/clean/*.csv 2>/dev/null || true
$ABGLEICH reconcile $TMP/data/statement.xml >/dev/null 2>&1
for sql in "SELECT reference, plate, amount_cents, due_date FROM abgleich.claims ORDER BY 1" \
    "SELECT seq, entry_no, tx_no, amount_cents, direction, end_to_end_id FROM abgleich.bank_transactions ORDER BY 1" \
    "SELECT a.tx_seq, c.reference, a.amount_cents, a.method FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id ORDER BY 1, 2, 3, 4" \
    "SELECT tx_seq, reason, amount_cents FROM abgleich.clarifications ORDER BY 1, 2, 3"; do
    psql -XAtq "$conn" -v ON_ERROR_STOP=1 -c "$sql" > $TMP/served
    q "$sql" > $TMP/clean.out
    n=$(wc -l < $TMP/clean.out)
    [ "$n" -gt 0 ] || fail "the clean run has rows: $sql"
    cmp -s $TMP/served $TMP/clean.out || { diff $TMP/served $TMP/clean.out | head -5; fail "differs from a clean run: $sql"; }
done
