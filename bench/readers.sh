#!/bin/sh
# The bank reader benchmark: `abgleich inspect --json` end to end (process
# start, detection, streaming read, JSON out) on large files of each format,
# beside a peer parsing the same file in the same run, on one core
# (taskset -c 0).  Best of 3 runs each.  Figures go to docs/benchmarks.md by
# hand, with the date and this command.
#
#   sh bench/readers.sh [MEGABYTES] [TICKETS]    (default 40 MB MT940, 200000 tickets)
#
# Peers: MT940 - npm's mt940js (bench/peers/package.json), installed with npm
# into the scratch directory unless MT940JS_NODE_MODULES names a
# node_modules that holds it; CAMT - Python's ElementTree iterparse
# (bench/peers/camt_iterparse.py).  camt.052/054 files are the camt.053 file
# with the root and namespace of those messages (same element tree).
set -eu
cd "$(dirname "$0")/.."
MB=${1:-40}
N=${2:-200000}
W=$(mktemp -d /tmp/abgleich-readers.XXXXXX)
trap 'rm -rf "$W"' EXIT
ONE=""
command -v taskset >/dev/null 2>&1 && ONE="taskset -c 0"
ms() { date +%s%N | cut -c1-13; }

best() { # best wall-clock ms of 3 runs of "$@"
    b=""
    for _ in 1 2 3; do
        t0=$(ms); "$@" > "$W/out.json"; t1=$(ms)
        t=$((t1 - t0)); [ -z "$b" ] || [ "$t" -lt "$b" ] && b=$t
    done
    echo "$b"
}

python3 bench/gen_mt940.py "$W/big.sta" "$MB" >&2
bin/abgleich gen --out "$W/gen" --tickets "$N" --seed 1 --date 2026-11-20 2>/dev/null
cp "$W/gen/statement.xml" "$W/camt053.xml"
sed -e 's/camt\.053\.001/camt.054.001/g' -e 's/BkToCstmrStmt>/BkToCstmrDbtCdtNtfctn>/g' \
    -e 's/<Stmt>/<Ntfctn>/g' -e 's/<\/Stmt>/<\/Ntfctn>/g' "$W/camt053.xml" > "$W/camt054.xml"
sed -e 's/camt\.053\.001/camt.052.001/g' -e 's/BkToCstmrStmt>/BkToCstmrAcctRpt>/g' \
    -e 's/<Stmt>/<Rpt>/g' -e 's/<\/Stmt>/<\/Rpt>/g' "$W/camt053.xml" > "$W/camt052.xml"

if [ -n "${MT940JS_NODE_MODULES:-}" ]; then
    NODE_PATH=$MT940JS_NODE_MODULES
else
    cp bench/peers/package.json "$W/"
    (cd "$W" && npm install --silent --no-audit --no-fund >/dev/null 2>&1)
    NODE_PATH=$W/node_modules
fi
export NODE_PATH

tx_of() { python3 -c 'import json,sys; print(sum(s["transactions"] for l in open(sys.argv[1]) for s in json.loads(l)["statements"]))' "$1"; }

printf '| format | file MB | transactions | abgleich inspect --json ms | MB/s | tx/s | peer | peer ms | ratio |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for f in big.sta camt053.xml camt054.xml camt052.xml; do
    size=$(stat -c %s "$W/$f")
    a=$(best $ONE bin/abgleich inspect --json "$W/$f")
    tx=$(tx_of "$W/out.json")
    case $f in
        *.sta) peer="mt940js $(node -p 'require("mt940js/package.json").version')"
               p=$(best $ONE node bench/peers/mt940js_parse.js "$W/$f")
               ptx=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["transactions"])' "$W/out.json") ;;
        *) peer="python3 ElementTree iterparse"
           p=$(best $ONE python3 bench/peers/camt_iterparse.py "$W/$f")
           ptx=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["transactions"])' "$W/out.json") ;;
    esac
    [ "$ptx" = "$tx" ] || echo "warning: $f: peer counted $ptx transactions, abgleich $tx" >&2
    awk -v f="$f" -v s="$size" -v a="$a" -v tx="$tx" -v peer="$peer" -v p="$p" 'BEGIN {
        printf "| %s | %.1f | %d | %d | %.0f | %.0f | %s | %d | %.1fx |\n",
               f, s / 1048576, tx, a, s / 1048576 / (a / 1000), tx / (a / 1000), peer, p, p / a }'
done
