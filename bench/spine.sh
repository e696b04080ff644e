#!/bin/sh
# The spine benchmark: index lookups/s, and end-to-end transactions/s of
# `abgleich reconcile` on the demo dataset, beside a raw COPY of the same
# rows into PostgreSQL measured in the same run (and ticket import beside a
# raw COPY of the same CSV).  Figures go to docs/benchmarks.md by hand, with
# the date and this command.
#
#   sh bench/spine.sh [TICKETS]      (default 200000)
set -eu
cd "$(dirname "$0")/.."
N=${1:-200000}
W=$(mktemp -d /tmp/abgleich-bench.XXXXXX)
chmod 755 "$W"
trap 'bin/abgleich pg stop --dir "$W/pg" >/dev/null 2>&1; rm -rf "$W"' EXIT

ms() { date +%s%N | cut -c1-13; }

echo "== claim index (build/rel/claimidx_bench 1000000)"
build/rel/claimidx_bench 1000000

conn=$(bin/abgleich pg start --dir "$W/pg")
export ABGLEICH_DB="$conn"
export PGHOST=$(printf '%s' "$conn" | sed 's/.*host=\([^ ]*\).*/\1/') PGPORT=5439 PGUSER=abgleich PGDATABASE=abgleich
bin/abgleich gen --out "$W/data" --tickets "$N" --seed 1 --date 2026-11-20 2>/dev/null
bin/abgleich init 2>/dev/null
size=$(stat -c %s "$W/data/statement.xml")

t0=$(ms); bin/abgleich --quiet import tickets "$W/data/tickets.csv" 2>/dev/null; t1=$(ms)
import_ms=$((t1 - t0))
t0=$(ms); bin/abgleich --quiet --json reconcile "$W/data/statement.xml" > "$W/rec.json"; t1=$(ms)
rec_ms=$((t1 - t0))
tx=$(psql -XAtq -c "SELECT count(*) FROM abgleich.bank_transactions")

# Peers: the same rows, COPYed raw into bare tables with no checks.
psql -XAtq -c "COPY (SELECT * FROM abgleich.bank_transactions) TO STDOUT" > "$W/tx.copy"
psql -XAtq -c "CREATE TABLE bare_tx (LIKE abgleich.bank_transactions)" \
           -c "CREATE TABLE bare_tickets (reference text, plate text, tbnr text, amount numeric, offense_time timestamp, location text)"
t0=$(ms); psql -XAtq -c "\\copy bare_tx FROM '$W/tx.copy'"; t1=$(ms)
copy_tx_ms=$((t1 - t0))
t0=$(ms); psql -XAtq -c "\\copy bare_tickets FROM '$W/data/tickets.csv' WITH (FORMAT csv, HEADER)"; t1=$(ms)
copy_tk_ms=$((t1 - t0))

echo "== end to end ($N tickets, statement of $size bytes, $tx transactions)"
echo "reconcile:           ${rec_ms} ms  ($((tx * 1000 / (rec_ms + 1))) transactions/s, $((size / 1000 / (rec_ms + 1))) MB/s)"
echo "raw COPY of its rows: ${copy_tx_ms} ms  (ratio reconcile / COPY = $(awk "BEGIN{printf \"%.2f\", $rec_ms / $copy_tx_ms}"))"
echo "import tickets:      ${import_ms} ms"
echo "raw COPY of the CSV: ${copy_tk_ms} ms  (ratio import / COPY = $(awk "BEGIN{printf \"%.2f\", $import_ms / $copy_tk_ms}"))"
echo "summary: $(cat "$W/rec.json")"
