# Helpers for integration tests; sourced by each t_*.sh (bash).
# The runner (run.sh) sets ABGLEICH (the binary under test), ABGLEICH_DB and
# PGHOST/PGPORT/PGUSER/PGDATABASE (a fresh database for this test), TMP (a
# scratch directory of this test) and FIXTURES (tests/fixtures); the current
# directory is the top of the checkout.
: "${FIXTURES:=tests/fixtures}"

# q SQL: runs SQL with psql, prints the rows unaligned (fields split by |),
# fails the test on an SQL error.
q() {
    psql -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# assert_eq EXPECTED ACTUAL MESSAGE
assert_eq() {
    if [ "$1" != "$2" ]; then
        printf 'FAIL: %s\n  expected: %s\n  actual:   %s\n' "$3" "$1" "$2" >&2
        exit 1
    fi
}

# assert_match REGEX ACTUAL MESSAGE (extended regular expression, grep -E)
assert_match() {
    if ! printf '%s\n' "$2" | grep -Eq -- "$1"; then
        printf 'FAIL: %s\n  expected to match: %s\n  actual: %s\n' "$3" "$1" "$2" >&2
        exit 1
    fi
}

# expect_exit CODE COMMAND...: runs COMMAND, fails unless it exits with CODE.
# Its stderr is kept in $TMP/stderr for further checks.
expect_exit() {
    local want=$1 got=0
    shift
    "$@" >/dev/null 2>"$TMP/stderr" || got=$?
    if [ "$got" != "$want" ]; then
        printf 'FAIL: exit %s instead of %s: %s\n' "$got" "$want" "$*" >&2
        sed 's/^/  /' "$TMP/stderr" >&2
        exit 1
    fi
}
