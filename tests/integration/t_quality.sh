#!/bin/bash
# The quality bar of automatic matching on the generator's default mix: no
# wrong automatic allocation, and at least 98 % of the payments the rules
# can place are placed (bench quality runs without a database).
set -eu
. tests/integration/lib.sh
out=$($ABGLEICH --json bench quality --tickets 20000 --seed 3)
echo "$out" | grep -q '"wrong_allocations":0,' || fail "wrong automatic allocations: $out"
rec=$(echo "$out" | sed 's/.*"recall_permille":\([0-9]*\).*/\1/')
[ "$rec" -ge 980 ] || fail "recall below 98 %: $out"
alloc=$(echo "$out" | sed 's/.*"allocations":\([0-9]*\).*/\1/')
[ "$alloc" -gt 15000 ] || fail "too few allocations for the mix: $out"
