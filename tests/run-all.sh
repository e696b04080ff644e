#!/bin/sh
# Runs every test suite and closes with one line "tests: N passed, M failed".
# Unit tests: one Criterion binary per build flavour (release, ASan+UBSan).
# Integration tests: the real binary against a throwaway PostgreSQL.
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
log=$(mktemp)

run_unit() {
    name=$1; shift
    echo "== unit tests ($name)"
    "$@" --jobs 2 2>&1 | tee "$log"
    synth=$(grep -a 'Synthesis:' "$log" | tail -n 1)
    p=$(printf '%s' "$synth" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(printf '%s' "$synth" | sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 \2/p')
    [ -n "$p" ] || { echo "unit tests ($name) did not report"; failed=$((failed + 1)); return; }
    passed=$((passed + p))
    for x in $f; do failed=$((failed + x)); done
}

run_unit release build/rel/unit_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_unit asan build/asan/unit_tests

echo "== integration tests"
sh tests/integration/run.sh 2>&1 | tee "$log"
line=$(grep -a '^integration: [0-9]* passed, [0-9]* failed' "$log" | tail -n 1)
if [ -n "$line" ]; then
    p=$(printf '%s' "$line" | sed 's/integration: \([0-9]*\) passed.*/\1/')
    f=$(printf '%s' "$line" | sed 's/.* \([0-9]*\) failed.*/\1/')
    passed=$((passed + p))
    failed=$((failed + f))
else
    echo "integration tests did not report"
    failed=$((failed + 1))
fi
rm -f "$log"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
