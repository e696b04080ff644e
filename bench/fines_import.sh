#!/bin/sh
# The fines office's ticket import at scale: `abgleich import tickets` of a
# generated batch (default 1,000,000 rows) with every check (catalogue,
# plate, time, references, likely duplicates) beside a raw COPY of the same
# CSV into a bare table, measured in the same run on the same private
# PostgreSQL, and the floor of any client while the file is one
# transaction: the resulting claim rows COPYed raw into a twin of the
# claims table (one backend).  Figures go to
# docs/benchmarks.md by hand, with the date and this command.
#
#   sh bench/fines_import.sh [TICKETS]
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
W=$(mktemp -d /tmp/abgleich-fines-bench.XXXXXX)
chmod 755 "$W"
trap 'bin/abgleich pg stop --dir "$W/pg" >/dev/null 2>&1; rm -rf "$W"' EXIT

ms() { date +%s%N | cut -c1-13; }

conn=$(bin/abgleich pg start --dir "$W/pg")
export ABGLEICH_DB="$conn"
PGHOST=$(printf '%s' "$conn" | sed 's/.*host=\([^ ]*\).*/\1/')
PGPORT=$(printf '%s' "$conn" | sed 's/.*port=\([^ ]*\).*/\1/')
export PGHOST PGPORT PGUSER=abgleich PGDATABASE=abgleich
bin/abgleich gen --out "$W/data" --tickets "$N" --seed 1 --date 2026-11-20 2>/dev/null
bin/abgleich init 2>/dev/null
size=$(stat -c %s "$W/data/tickets.csv")
psql -XAtq -c "CREATE TABLE bare_tickets (reference text, plate text, tbnr text, amount numeric, offense_time timestamp, location text)"

psql -XAtq -c "ALTER DATABASE abgleich SET log_min_duration_statement = 100"
# Peer first, so that neither run profits from a cache the other warmed;
# a checkpoint before each, so that neither pays for the other's writes.
psql -XAtq -c "CHECKPOINT"
t0=$(ms); psql -XAtq -c "\\copy bare_tickets FROM '$W/data/tickets.csv' WITH (FORMAT csv, HEADER)"; t1=$(ms)
copy_ms=$((t1 - t0))
psql -XAtq -c "CHECKPOINT"
t0=$(ms)
/usr/bin/time -f '%U %S' -o "$W/cpu" bin/abgleich --quiet import tickets --as-of 2026-11-20 \
    "$W/data/tickets.csv" 2>"$W/rej.txt" || true
t1=$(ms)
# GNU time puts "Command exited with non-zero status" first when rows were rejected.
set -- $(tail -n 1 "$W/cpu"); usr=$1; sys=$2
cpu_ms=$(awk "BEGIN{printf \"%d\", ($usr + $sys) * 1000}")
import_ms=$((t1 - t0))
claims=$(psql -XAtq -c "SELECT count(*) FROM abgleich.claims")

# The floor: the same claim rows COPYed raw (binary) into a twin of
# abgleich.claims with its columns, checks and indexes and no triggers -
# what writing these rows costs one backend whatever the client does.
psql -XAtq -c "COPY (SELECT * FROM abgleich.claims) TO STDOUT (FORMAT binary)" >"$W/claims.bin"
psql -XAtq -c "CREATE TABLE twin_claims (LIKE abgleich.claims INCLUDING ALL)"
psql -XAtq -c "CHECKPOINT"
t0=$(ms); psql -XAtq -c "\\copy twin_claims FROM '$W/claims.bin' WITH (FORMAT binary)"; t1=$(ms)
twin_ms=$((t1 - t0))
rejected=$(grep -c ': ' "$W/rej.txt" || true)

echo "== fines import ($N tickets, $size bytes; $claims claims, $rejected rows rejected)"
echo "raw COPY of the CSV: ${copy_ms} ms  ($((N * 1000 / (copy_ms + 1))) rows/s)"
echo "import tickets:      ${import_ms} ms  ($((N * 1000 / (import_ms + 1))) rows/s)"
echo "CPU time of the import process (parse, every check, COPY rendering): ${cpu_ms} ms"
echo "floor: raw binary COPY of the resulting claim rows into a twin of claims (indexes, no triggers): ${twin_ms} ms"
echo "the claim rows and the input file row share one transaction, so one backend:" \
     "floor ${twin_ms} ms for any client; bar (2x raw COPY) = $((2 * copy_ms)) ms"
echo "speed import / raw COPY = $(awk "BEGIN{printf \"%.2f\", $copy_ms / $import_ms}"), import / COPY into the twin = $(awk "BEGIN{printf \"%.2f\", $twin_ms / $import_ms}")"
echo "server time of the import's statements (log_min_duration_statement):"
grep -o 'duration: [0-9.]* ms  [a-z <>]*: [A-Z]* [^ ]* [^ ]* [^ ]*' "$W/pg/postgres.log" | awk '$2 > 100' | cut -c1-100
