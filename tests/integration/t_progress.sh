#!/bin/bash
# Progress bars on a terminal for the long commands (gen, import,
# reconcile), silent when stderr is not a terminal or with --quiet;
# --verbose adds the debug lines (the phases of a reconciliation).
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-20
$ABGLEICH init 2>/dev/null
tty() { script -qec "$*" /dev/null | tr '\r' '\n'; }
if ! script -qec true /dev/null >/dev/null 2>&1; then
    echo "no pseudo-terminal here (script failed): only the silent cases are checked" >&2
    tty() { fail "unreachable"; }
    no_pty=1
fi

if [ -z "${no_pty:-}" ]; then
tty "$ABGLEICH gen --out $TMP/d --tickets 20000 --date 2026-11-20" > $TMP/gen.txt
grep -q "^gen .*\[#*\] *100%" $TMP/gen.txt || fail "gen draws a bar on a terminal: $(head -c 400 $TMP/gen.txt)"
tty "$ABGLEICH import tickets $TMP/d/tickets.csv" > $TMP/imp.txt
grep -q "100%" $TMP/imp.txt || fail "import draws a bar: $(head -c 400 $TMP/imp.txt)"
tty "$ABGLEICH --verbose reconcile $TMP/d/statement.xml" > $TMP/rec.txt
grep -q "100%" $TMP/rec.txt || fail "reconcile draws a bar: $(head -c 400 $TMP/rec.txt)"
grep -q "debug: .*reading, matching and writing the transactions took" $TMP/rec.txt || fail "--verbose times the phases"
fi

# Not a terminal: no bar, only the lines.
$ABGLEICH gen --out $TMP/e --tickets 2000 --date 2026-11-20 2>$TMP/plain.txt
! grep -q "%" $TMP/plain.txt || fail "no bar when stderr is a file: $(cat $TMP/plain.txt)"
[ -n "${no_pty:-}" ] || tty "$ABGLEICH --quiet gen --out $TMP/f --tickets 2000 --date 2026-11-20" > $TMP/quiet.txt
[ -n "${no_pty:-}" ] || ! grep -q "%\|tickets" $TMP/quiet.txt || fail "--quiet: neither bar nor info: $(cat $TMP/quiet.txt)"
