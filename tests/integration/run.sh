#!/bin/sh
# Runs every tests/integration/t_*.sh against a throwaway PostgreSQL.
#
# One private cluster is started under /tmp (as the unprivileged user
# "nobody" when we are root: PostgreSQL refuses to run as root); each test
# gets a fresh database.  The suite runs once with the release binary and
# once with the ASan+UBSan binary when it exists.  The last line is
# "integration: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/abgleich-it.XXXXXX)
chmod 755 "$work"
passed=0
failed=0

cleanup() {
    bin/abgleich pg stop --dir "$work/pg" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

conninfo=$(bin/abgleich pg start --dir "$work/pg") || {
    echo "cannot start a PostgreSQL cluster:"; cat "$work/pg/postgres.log" 2>/dev/null
    echo "integration: 0 passed, 1 failed"; exit 1; }
host=$(printf '%s' "$conninfo" | sed 's/.*host=\([^ ]*\).*/\1/')
port=$(printf '%s' "$conninfo" | sed 's/.*port=\([^ ]*\).*/\1/')
export PGHOST=$host PGPORT=$port PGUSER=abgleich FIXTURES=tests/fixtures

binaries="bin/abgleich"
[ -x build/asan/abgleich ] && binaries="$binaries build/asan/abgleich"
n=0
for bin in $binaries; do
    for t in tests/integration/t_*.sh; do
        n=$((n + 1))
        name=$(basename "$t" .sh)
        db="it_${n}"
        psql -XAtq -d postgres -c "CREATE DATABASE $db" >/dev/null
        mkdir -p "$work/tmp_$n"
        start=$(date +%s)
        if env ABGLEICH="$bin" ABGLEICH_DB="host=$host port=$port user=abgleich dbname=$db" \
               PGDATABASE="$db" TMP="$work/tmp_$n" \
               ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
               bash "$t" > "$work/out_$n" 2>&1; then
            passed=$((passed + 1))
            echo "ok   $name ($bin, $(( $(date +%s) - start ))s)"
        else
            failed=$((failed + 1))
            echo "FAIL $name ($bin)"
            sed 's/^/     /' "$work/out_$n" | tail -n 40
        fi
        psql -XAtq -d postgres -c "DROP DATABASE $db" >/dev/null 2>&1
    done
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
