#!/bin/sh
# Runs the integration tests tests/integration/t_*.sh against a throwaway
# PostgreSQL.  Builds nothing.
#
#   sh tests/integration/run.sh [NAME...]     NAME: t_init or init; default all
#
# One private cluster is started in a mktemp directory under /tmp (as the
# unprivileged user "nobody" when we are root: PostgreSQL refuses to run as
# root, and nobody can reach /tmp) and stopped on exit.  Each test runs in a
# database of its own, t_NAME, created from template0 (and dropped after it,
# with any t_NAME_* the test made beside it), with ABGLEICH (the
# binary), ABGLEICH_DB, PGHOST/PGPORT/PGUSER/PGDATABASE, TMP (scratch) and
# FIXTURES set; see lib.sh.  With $ABGLEICH set only that binary is tested;
# otherwise bin/abgleich, and build/asan/abgleich too when it exists.
# Prints "ok" or "FAIL" per test and run, the output of each failure, and
# as its last line "integration: N passed, M failed"; exits 1 on a failure.
set -u
cd "$(dirname "$0")/../.."

if [ -n "${ABGLEICH:-}" ]; then
    binaries=$ABGLEICH
else
    binaries=bin/abgleich
    [ -x build/asan/abgleich ] && binaries="$binaries build/asan/abgleich"
fi
first=${binaries%% *}
timeout_s=${IT_TIMEOUT:-900}

tests=""
if [ $# -eq 0 ]; then
    tests=$(ls tests/integration/t_*.sh)
else
    for n in "$@"; do
        t=tests/integration/t_${n#t_}.sh
        [ -f "$t" ] || { echo "no such test: $t"; exit 2; }
        tests="$tests $t"
    done
fi

work=$(mktemp -d /tmp/abgleich-it.XXXXXX) || exit 1
chmod 755 "$work"
passed=0
failed=0

cleanup() {
    "$first" pg stop --dir "$work/pg" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! conninfo=$("$first" pg start --dir "$work/pg" 2>"$work/start.err"); then
    echo "cannot start a private PostgreSQL with $first:"
    cat "$work/start.err"
    echo "integration: 0 passed, 1 failed"
    exit 1
fi
host=$(printf '%s\n' "$conninfo" | sed -n 's/.*host=\([^ ]*\).*/\1/p')
port=$(printf '%s\n' "$conninfo" | sed -n 's/.*port=\([^ ]*\).*/\1/p')
export PGHOST="$host" PGPORT="$port" PGUSER=abgleich FIXTURES=tests/fixtures
unset PGSERVICE PGOPTIONS 2>/dev/null || true

admin() {
    psql -XAtq -v ON_ERROR_STOP=1 -d postgres -c "$1" >/dev/null 2>&1
}

# Drops database $1 and the databases a test made beside it ($1_*).
drop_dbs() {
    like=$(printf '%s' "$1" | sed 's/_/\\_/g')
    psql -XAtq -d postgres -c "SELECT datname FROM pg_database WHERE datname = '$1' OR datname LIKE '${like}\\_%'" 2>/dev/null |
        while read -r d; do admin "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)"; done
}

n=0
for bin in $binaries; do
    case $bin in
    *asan*) san="ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" ;;
    *) san="" ;;
    esac
    for t in $tests; do
        n=$((n + 1))
        name=$(basename "$t" .sh)
        db="t_${name#t_}"
        tmp="$work/tmp_$n"
        mkdir -p "$tmp"
        drop_dbs "$db"
        if ! admin "CREATE DATABASE \"$db\" TEMPLATE template0"; then
            failed=$((failed + 1))
            echo "FAIL $name ($bin): cannot create database $db"
            continue
        fi
        start=$(date +%s)
        if env $san ABGLEICH="$bin" ABGLEICH_DB="host=$host port=$port user=abgleich dbname=$db" \
            PGDATABASE="$db" TMP="$tmp" ABGLEICH_STATE_DIR="$tmp/state" \
            timeout -k 10 "$timeout_s" bash "$t" >"$work/out_$n" 2>&1; then
            passed=$((passed + 1))
            echo "ok   $name ($bin, $(($(date +%s) - start))s)"
        else
            rc=$?
            failed=$((failed + 1))
            [ $rc -eq 124 ] && echo "timed out after ${timeout_s}s" >>"$work/out_$n"
            echo "FAIL $name ($bin, exit $rc)"
            tail -n 60 "$work/out_$n" | sed 's/^/     /'
        fi
        # A test that failed half-way may leave a `serve` it started running;
        # every such process names the test's scratch directory.
        pkill -KILL -f -- "$tmp/" 2>/dev/null || true
        drop_dbs "$db"
        rm -rf "$tmp"
    done
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
