#!/bin/sh
# End to end beside the peers (issue 8): N open claims, a CAMT.053 paying P
# of them, `abgleich reconcile` from the bank file, and in the same run (a)
# the PostgreSQL-only peer bench/peers/sql_match.sql and (b) DuckDB
# (bench/peers/duckdb_match.mjs, npm's @duckdb/node-api, installed here
# into the scratch directory), both given the same payments already
# extracted as clean CSV.  The claims are vacuumed between the import and
# the night, as autovacuum would.  Prints the times and the ratios, reconcile's peak
# RSS, and what the claim snapshot saves the next night: the same file
# again (already imported, so only the claims are loaded) without the
# snapshot, from the snapshot with the night's allocations as its delta,
# and from the snapshot rewritten after that.  Last, the floor: the rows
# reconcile must keep, COPYed raw (binary, no triggers) into twins of their
# tables: while a file and its checks share one transaction, one backend
# must do that much, whatever the client (docs/benchmarks.md, "Why the
# floor is one backend").  The figures go to
# docs/benchmarks.md by hand.  `make bench-peers` runs it.
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
# Exit 3 (rows rejected) is expected at 10^7 rows: random plates then meet
# in the duplicate window now and then, and the import flags them.
t0=$(ms)
rc=0; bin/abgleich --quiet import tickets "$W/data/tickets.csv" 2>"$W/import.err" || rc=$?
t1=$(ms)
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { cat "$W/import.err" >&2; exit "$rc"; }
echo "import of $N tickets: $((t1 - t0)) ms ($(grep -c "^$W/data/tickets.csv:[0-9]*: " "$W/import.err") rows rejected)"
# What autovacuum does between the day's import and the night (visibility
# map, hint bits), done here so that no autovacuum worker on the new claims
# races the timed night for the two cores; the peer runs on the same table.
t0=$(ms); psql -Xq -c "VACUUM (ANALYZE) abgleich.claims"; t1=$(ms)
echo "VACUUM (ANALYZE) of the claims, as between the day's import and the night: $((t1 - t0)) ms"

# The peer's input: every payment with its first reference, as the answer
# key knows it (what an extraction step would have to produce).
awk -F, 'NR > 1 && $3 != "" { split($3, r, " "); printf "%d,%s,%s,%s\n", NR - 1, $1, r[1], $4 }' \
    "$W/data/answer_key.csv" > "$W/clean.csv"
size=$(stat -c %s "$W/data/statement.xml")

SD="$W/state"
t0=$(ms)
/usr/bin/time -f '%M %U %S' -o "$W/rss" bin/abgleich --quiet --json --state-dir "$SD" reconcile \
    "$W/data/statement.xml" > "$W/rec.json" 2>"$W/rec.err" || { cat "$W/rec.err" >&2; exit 1; }
t1=$(ms)
rec=$((t1 - t0))
t0=$(ms); psql -Xq -v csv="$W/clean.csv" -f bench/peers/sql_match.sql; t1=$(ms)
peer=$((t1 - t0))
duck=""
cp bench/peers/package.json bench/peers/duckdb_match.mjs "$W/"
if (cd "$W" && npm install --silent --no-audit --no-fund >/dev/null 2>&1); then
    duck=$(node "$W/duckdb_match.mjs" "$W/data/tickets.csv" "$W/clean.csv" "$W/duck_alloc.csv")
else
    echo "npm install of the DuckDB peer failed: (b) is skipped" >&2
fi
tx=$(psql -XAtq -c "SELECT count(*) FROM abgleich.bank_transactions")
ours=$(psql -XAtq -c "SELECT count(*) FROM abgleich.allocations")
theirs=$(psql -XAtq -c "SELECT count(*) FROM peer.allocations")
echo "reconcile ($tx transactions, $size bytes of XML, $ours allocations): $rec ms"
echo "SQL peer ($(wc -l < "$W/clean.csv") clean rows, $theirs allocations): $peer ms"
echo "ratio reconcile / SQL peer: $(awk "BEGIN{printf \"%.2f\", $rec / $peer}")"
if [ -n "$duck" ]; then
    dms=$(printf '%s' "$duck" | sed 's/.*"ms":\([0-9]*\).*/\1/')
    echo "DuckDB peer (same clean rows, in memory, CSV out): $dms ms, $duck"
    echo "ratio reconcile / DuckDB peer: $(awk "BEGIN{printf \"%.2f\", $rec / $dms}")"
fi
read -r rss usr sys < "$W/rss"
cpu=$(awk "BEGIN{printf \"%d\", ($usr + $sys) * 1000}")
echo "reconcile peak RSS: $((rss / 1024)) MB, CPU time of the process: $cpu ms"
echo "summary: $(cat "$W/rec.json")"

# load ARGS...: how long reconcile took to load the open claims.
load() {
    bin/abgleich --verbose --state-dir "$SD" "$@" reconcile "$W/data/statement.xml" 2>&1 >/dev/null |
        sed -n 's/.*loading the claims took \([0-9]*\) ms.*/\1/p'
}
echo "claim load, full (claim_ledger view): $(load --no-snapshot) ms"
echo "claim load, snapshot + the night's changes: $(load) ms"
echo "claim load, snapshot, nothing changed: $(load) ms"

# twin TABLE: the table's rows COPYed (binary) into a twin with the same
# columns, defaults, checks and indexes but no triggers; prints the ms.
twin() {
    psql -XAtq -c "COPY abgleich.$1 TO STDOUT (FORMAT binary)" > "$W/twin.bin"
    psql -XAtq -c "CREATE TABLE twin_$1 (LIKE abgleich.$1 INCLUDING ALL)" -c "CHECKPOINT"
    t0=$(ms); psql -XAtq -c "\\copy twin_$1 FROM '$W/twin.bin' WITH (FORMAT binary)"; t1=$(ms)
    rm -f "$W/twin.bin"
    echo $((t1 - t0))
}
floor=0
for t in bank_transactions allocations clarifications clarification_candidates outbox; do
    n=$(psql -XAtq -c "SELECT count(*) FROM abgleich.$t")
    m=$(twin $t)
    echo "floor: $n rows of $t COPYed raw into a twin: $m ms"
    floor=$((floor + m))
done
# A file's rows and the checks that read them share one transaction, so
# one backend: the twins' sum binds any client that keeps these rows.
echo "floor while the file is one transaction (one backend, the rows alone): $floor ms" \
     "($(awk "BEGIN{printf \"%.2f\", $floor / $peer}")x the SQL peer)"
