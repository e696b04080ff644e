# Helpers for integration tests; sourced by each t_*.sh.
# The runner sets ABGLEICH (the binary), ABGLEICH_DB and PG* (a fresh
# database for this test), TMP (a scratch directory) and FIXTURES.

q() {
    psql -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

assert_eq() {
    if [ "$1" != "$2" ]; then
        printf 'FAIL: %s\n  expected: %s\n  actual:   %s\n' "$3" "$1" "$2" >&2
        exit 1
    fi
}
