#!/bin/bash
# The morning report: one self-contained HTML file whose figures are the
# database's, in German and English; rendered by a real headless browser
# (Debian's chromium, when installed) with a screenshot.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-23
M=$FIXTURES/matching
$ABGLEICH init 2>/dev/null
set +e; $ABGLEICH report -o $TMP/none.html 2>/dev/null; rc=$?; set -e
assert_eq 1 "$rc" "no statement read yet: nothing to report (like explain of an unknown id)"
$ABGLEICH import tickets $M/tickets.csv 2>/dev/null
$ABGLEICH reconcile $M/statement.xml 2>$TMP/rec.txt
grep -Eq "^    ohne Kassenzeichen +1 +" $TMP/rec.txt || fail "the run's summary names the reason in words: $(cat $TMP/rec.txt)"

$ABGLEICH report -o $TMP/r.html 2>/dev/null
h=$TMP/r.html
grep -q '<html lang="de">' $h || fail "German by default"
grep -q "Abgleichsbericht" $h || fail "title"
! grep -Eq '(src|href)="(https?:)?//' $h || fail "no external assets"
grep -q "<svg" $h || fail "inline SVG charts"
auto=$(q "SELECT count(DISTINCT (file_id, tx_seq)) FROM abgleich.allocations WHERE amount_cents > 0 AND method IN ('exact_reference','fuzzy_reference','plate_amount')")
grep -q "id=\"count1\">$auto<" $h || fail "automatic allocations: $auto expected"
clar=$(q "SELECT count(*) FROM abgleich.clarifications")
grep -q "id=\"count3\">$clar<" $h || fail "clarifications: $clar expected"
grep -q "12,34&nbsp;€" $h || fail "the unplaced 12,34 EUR of M-008 among the largest open amounts"
grep -q "DE44500105175407324931" $h || fail "the statement's account with its balances"
grep -q "157,34&nbsp;€" $h || fail "the closing balance"

# Credits and debits apart (7 credits of 192,34, the reversal of M-006 a
# debit of 35,00), the transactions' sum their net; the reversal once.
row() { grep -o "id=\"count$1\">[^<]*</td><td class=\"n\">[^&]*" $2 | sed -E 's/^id="count[0-9]+">([^<]*)<\/td><td class="n">/\1|/'; }
assert_eq "8|157,34" "$(row 0 $h)" "transactions: all, net"
assert_eq "7|192,34" "$(row 7 $h)" "credits"
assert_eq "1|35,00" "$(row 8 $h)" "debits"
assert_eq "1|35,00" "$(row 2 $h)" "the reversal of M-006"
$ABGLEICH --lang en report -o $TMP/en.html 2>/dev/null
grep -q "Reconciliation report" $TMP/en.html || fail "English with --lang en"
grep -q "12.34&nbsp;€" $TMP/en.html || fail "English amounts"
# A clarification's reason in words a clerk reads, its code beside them.
r1=$(q "SELECT reason FROM abgleich.clarifications WHERE reason = 'no_reference' LIMIT 1")
assert_eq "no_reference" "$r1" "the statement has a payment without reference"
grep -q "<td>ohne Kassenzeichen <small>(no_reference)</small></td>" $h || fail "the reason in German words"
grep -q "<td>no reference <small>(no_reference)</small></td>" $TMP/en.html || fail "the reason in English words"

chrome=$(command -v chromium || true)
if [ -n "$chrome" ]; then
    # HOME for chromium's profile: the test may run as an unprivileged user.
    export HOME=$TMP
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --dump-dom "file://$h" \
        > $TMP/dom.html 2>/dev/null || fail "chromium could not render the report"
    grep -q "id=\"count1\">$auto<" $TMP/dom.html || fail "the rendered page shows the totals"
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --window-size=1200,1600 \
        --screenshot=$TMP/report.png "file://$h" >/dev/null 2>&1 || fail "screenshot"
    [ "$(head -c 4 $TMP/report.png | od -An -tx1 | tr -d ' \n')" = "89504e47" ] || fail "a PNG screenshot"
    [ "$(stat -c %s $TMP/report.png)" -gt 10000 ] || fail "the screenshot is not empty"
    if [ -n "${REPORT_SHOT:-}" ]; then cp $TMP/report.png "$REPORT_SHOT"; fi
else
    echo "chromium not installed: the browser check is skipped" >&2
    [ -z "${CI:-}" ] || fail "chromium must be installed in CI (deploy/install-deps.sh)"
fi

# A reversal of a payment whose claim was dismissed since: the bank takes
# back 10 EUR; the ledger takes back the allocation (-10) and the move of
# the surplus to the clarification (+10).  One reversal of 10,00 EUR (it
# was 2 of 0,00).
$ABGLEICH case 400000010050 --dismiss >/dev/null 2>&1
$ABGLEICH reconcile $M/reversal_m005.xml >/dev/null 2>&1
$ABGLEICH report -o $TMP/r2.html 2>/dev/null
assert_eq "1|10,00" "$(row 2 $TMP/r2.html)" "one reversal of 10,00 EUR"
assert_eq "1|-10,00 0|0,00 1|10,00" "$(row 0 $TMP/r2.html) $(row 7 $TMP/r2.html) $(row 8 $TMP/r2.html)" \
    "its statement: one debit of 10,00 EUR"
