#!/bin/sh
# End to end beside the PostgreSQL-only peer (issue 8): N open claims, a
# CAMT.053 paying P of them, `abgleich reconcile` from the bank file, and in
# the same run the peer bench/peers/sql_match.sql given the same payments
# already extracted as clean CSV (COPY, join, write allocations).  Prints
# both times and the ratio; the figures go to docs/benchmarks.md by hand.
#
#   sh bench/nightly.sh [CLAIMS] [PAYING]     (default 1000000 200000)
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
P=${2:-200000}
W=$(mktemp -d /tmp/abgleich-nightly.XXXXXX)
chmod 755 "$W"
trap 'bin/abgleich pg stop --dir "$W/pg" >/dev/null 2>&1; rm -rf "$W"' EXIT
ms() { date +%s%N | cut -c1-13; }

conn=$(bin/abgleich pg start --dir "$W/pg")
export ABGLEICH_DB="$conn" ABGLEICH_TODAY=2026-11-20
eval "$(printf '%s\n' "$conn" | tr ' ' '\n' | sed -n 's/^host=/export PGHOST=/p; s/^port=/export PGPORT=/p')"
export PGUSER=abgleich PGDATABASE=abgleich
bin/abgleich gen --out "$W/data" --tickets "$N" --paying "$P" --seed 1 --date 2026-11-20 2>/dev/null
bin/abgleich init 2>/dev/null
t0=$(ms); bin/abgleich --quiet import tickets "$W/data/tickets.csv" 2>/dev/null; t1=$(ms)
echo "import of $N tickets: $((t1 - t0)) ms"

# The peer's input: every payment with its first reference, as the answer
# key knows it (what an extraction step would have to produce).
awk -F, 'NR > 1 && $3 != "" { split($3, r, " "); printf "%d,%s,%s,%s\n", NR - 1, $1, r[1], $4 }' \
    "$W/data/answer_key.csv" > "$W/clean.csv"
size=$(stat -c %s "$W/data/statement.xml")

t0=$(ms); bin/abgleich --quiet --json reconcile "$W/data/statement.xml" > "$W/rec.json"; t1=$(ms)
rec=$((t1 - t0))
t0=$(ms); psql -Xq -v csv="$W/clean.csv" -f bench/peers/sql_match.sql; t1=$(ms)
peer=$((t1 - t0))
tx=$(psql -XAtq -c "SELECT count(*) FROM abgleich.bank_transactions")
ours=$(psql -XAtq -c "SELECT count(*) FROM abgleich.allocations")
theirs=$(psql -XAtq -c "SELECT count(*) FROM peer.allocations")
echo "reconcile ($tx transactions, $size bytes of XML, $ours allocations): $rec ms"
echo "SQL peer ($(wc -l < "$W/clean.csv") clean rows, $theirs allocations): $peer ms"
echo "ratio reconcile / peer: $(awk "BEGIN{printf \"%.2f\", $rec / $peer}")"
echo "summary: $(cat "$W/rec.json")"
