#!/bin/bash
# Ticket import with the legal checks: real TBNRs of the embedded catalogue
# (existence, validity on the offense day, catalogue amount or an
# override), German plates with district codes, foreign plates as written,
# offense time neither in the future nor time-barred, and likely
# duplicates (same plate and TBNR within 5 minutes) in the file and against
# known claims.  Every rejection as FILE:LINE: field: reason.
set -eu
. tests/integration/lib.sh
F=$FIXTURES/fines

$ABGLEICH init 2>/dev/null
set +e
$ABGLEICH --log-pii --verbose import tickets --as-of 2026-11-23 $F/tickets_checks.csv 2>$TMP/err.txt
rc=$?
set -e
assert_eq 3 "$rc" "exit 3: rows rejected"
for expect in \
    "$F/tickets_checks.csv:5: plate: unknown district code: 'QQ-AB 12'" \
    "$F/tickets_checks.csv:6: amount: 30.00 EUR is not the catalogue amount 25.00 EUR of TBNR 141312 (mark an override)" \
    "$F/tickets_checks.csv:8: tbnr: 112402 was not valid on 2026-11-03 (valid 2021-07-28 to 2021-11-08)" \
    "$F/tickets_checks.csv:9: tbnr: 999999 is not in the offense catalogue" \
    "$F/tickets_checks.csv:10: offense_time: in the future (after 2026-11-23)" \
    "$F/tickets_checks.csv:11: offense_time: time-barred: the limitation of 3 months ended on 2026-10-31" \
    "$F/tickets_checks.csv:13: plate: likely duplicate of line 2 (same plate and TBNR within 5 minutes)" \
    "$F/tickets_checks.csv:15: plate: the number starts with 0: 'HH-AB 0123'"; do
    grep -qF "$expect" $TMP/err.txt || fail "missing rejection '$expect' in: $(cat $TMP/err.txt)"
done
assert_eq 8 "$(grep -c "^$F/tickets_checks.csv:[0-9]*: " $TMP/err.txt)" "eight rejections"
! grep -q "checking row by row" $TMP/err.txt || fail "nothing known yet: the fast path alone"
# Without --log-pii a plate in a log is masked; --log-format json writes one
# object per line.  (A copy with one more line: the same bytes would be
# skipped as imported already.)
{ cat $F/tickets_checks.csv; echo "400000099992;HH-XY 1;141312;25,00;03.11.2026 10:00;Markt"; } > $TMP/again.csv
set +e; $ABGLEICH --log-format json import tickets --as-of 2026-11-23 $TMP/again.csv 2>$TMP/json.txt; set -e
grep -qF "\"file\":\"$TMP/again.csv\",\"line\":5,\"field\":\"plate\",\"reason\":\"unknown district code: 'Q*-** *2'\"" $TMP/json.txt ||
    fail "a masked plate in a JSON rejection: $(cat $TMP/json.txt)"
! grep -q "QQ-AB 12" $TMP/json.txt || fail "the plate does not appear unmasked"
grep -q '^{"ts":"[0-9T:Z-]*","level":"info","msg":' $TMP/json.txt || fail "JSON log lines: $(cat $TMP/json.txt)"
assert_eq "400000030018|HHAB1234||2500
400000030026|BXY99||5500
400000030034|MQ7||1000
400000030067|KZ2||3000
400000030114|12ABC3|NL|2500
400000030139|HHAB1234||2500" \
    "$(q 'SELECT reference, plate_key, nationality, amount_cents FROM abgleich.claims ORDER BY reference')" \
    "accepted: catalogue amounts, the override, the foreign plate, the same car two hours later"

# Against known claims: 4 minutes after a stored ticket of the same car.
set +e
$ABGLEICH --verbose import tickets --as-of 2026-11-23 $F/tickets_again.csv 2>$TMP/err2.txt
rc=$?
set -e
assert_eq 3 "$rc" "exit 3 again"
# This batch meets a known claim: the fast path (COPY straight into claims)
# steps back and the stage path reports by line, each rejection once.
grep -q "likely duplicates of known claims; checking row by row" $TMP/err2.txt ||
    fail "the stage path after the fast one: $(cat $TMP/err2.txt)"
assert_eq 1 "$(grep -c "^$F/tickets_again.csv:[0-9]*: " $TMP/err2.txt)" "one rejection, said once"
grep -qF "$F/tickets_again.csv:2: plate: likely duplicate of claim 400000030018 (same plate and TBNR within 5 minutes)" $TMP/err2.txt \
    || fail "duplicate of a known claim: $(cat $TMP/err2.txt)"
assert_eq 7 "$(q 'SELECT count(*) FROM abgleich.claims')" "one more claim"

# The window is configuration.
q "UPDATE abgleich.fines_config SET duplicate_window_minutes = 1" >/dev/null
sed 's/400000030202/400000030309/; s/400000030219/400000030317/' $F/tickets_again.csv >$TMP/again2.csv
$ABGLEICH import tickets --as-of 2026-11-23 $TMP/again2.csv 2>/dev/null || true
assert_eq 1 "$(q "SELECT count(*) FROM abgleich.claims WHERE reference = '400000030309'")" "4 minutes apart is no duplicate within a 1-minute window"
q "UPDATE abgleich.fines_config SET duplicate_window_minutes = 5" >/dev/null

# A car is its plate and its country: a Belgian car with a Dutch car's plate
# text is not a duplicate of it, in the file or against known claims.
set +e
$ABGLEICH --log-pii import tickets --as-of 2026-11-23 $F/tickets_cars.csv 2>$TMP/cars.txt
rc=$?
set -e
assert_eq 3 "$rc" "cars: one rejection"
assert_eq "$F/tickets_cars.csv:4: plate: likely duplicate of line 2 (same plate and TBNR within 5 minutes)" \
    "$(grep "^$F/tickets_cars.csv:" $TMP/cars.txt)" "NL AB12CD twice is a duplicate; B AB 12 CD between them is another car"
assert_eq "400000210014|NL
400000210022|B" "$(q "SELECT reference, nationality FROM abgleich.claims WHERE reference LIKE '40000021%' ORDER BY 1")" "the Dutch and the Belgian ticket"
$ABGLEICH --verbose import tickets --as-of 2026-11-23 $F/tickets_cars2.csv 2>$TMP/cars2.txt
! grep -q "checking row by row" $TMP/cars2.txt || fail "a French car meets no known car: $(cat $TMP/cars2.txt)"
assert_eq "F" "$(q "SELECT nationality FROM abgleich.claims WHERE reference = '400000210047'")" "the French ticket, a minute after the Dutch one"

# The as-of day moves the limitation: the same file a year later is all time-barred.
{ cat $F/tickets_checks.csv; echo; } >$TMP/later.csv   # another file (hash), same rows
set +e
$ABGLEICH import tickets --as-of 2027-11-23 $TMP/later.csv 2>$TMP/err3.txt
set -e
assert_eq 11 "$(q 'SELECT count(*) FROM abgleich.claims')" "nothing imported a year later"
grep -qF "$TMP/later.csv:2: offense_time: time-barred" $TMP/err3.txt || fail "time-barred a year later: $(cat $TMP/err3.txt)"

# A WiNOWiG XMLMDE handheld export (ISO-8859-1), recognised by content.
set +e
$ABGLEICH import tickets --as-of 2026-11-23 $F/xmlmde_winowig.xml 2>$TMP/x.txt
rc=$?
set -e
assert_eq 3 "$rc" "XMLMDE: exit 3, some cases rejected"
for expect in \
    "$F/xmlmde_winowig.xml:83: tbnr: not in the offense catalogue (BT-KAT-OWi 2024-08-22), and no Geldbusse given" \
    "$F/xmlmde_winowig.xml:121: tbnr: more than one Tatbestand in one case is not supported" \
    "$F/xmlmde_winowig.xml:164: reference: check digit does not match (iso7064-11-10 expects 3)" \
    "$F/xmlmde_winowig.xml:202: amount: 30.00 EUR is not the catalogue amount 25.00 EUR of TBNR 141312"; do
    grep -qF "$expect" $TMP/x.txt || fail "missing XMLMDE rejection '$expect' in: $(cat $TMP/x.txt)"
done
assert_eq "400000060010|RW-WO 888 E|RWWO888E|D|113300|2000|2026-11-02 09:05:00|Musterstadt, August-Bebel-Platz, auf dem PPL|5
400000060028|12-ABC-3|12ABC3|NL|112454|5500|2026-11-02 10:00:00|Königsallee 6|45" \
    "$(q "SELECT reference, plate, plate_key, nationality, tbnr, amount_cents, offense_time, location, line FROM abgleich.claims WHERE reference LIKE '4000000600%' ORDER BY reference")" \
    "XMLMDE cases: catalogue amount, plate with its E suffix, foreign plate, places joined, umlauts from ISO-8859-1"
printf '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<OWIGMDEData/>\n' >$TMP/evil.xml
expect_exit 3 $ABGLEICH import tickets $TMP/evil.xml
grep -q "DOCTYPE" $TMP/stderr || fail "a DOCTYPE is refused: $(cat $TMP/stderr)"

# Excel's "CSV" on German Windows: plates and locations in Windows-1252 are
# stored as the same text in UTF-8, and the plate is found as written.
$ABGLEICH import tickets --as-of 2026-11-23 $FIXTURES/tickets/de_cp1252.csv 2>$TMP/cp.txt
grep -qF "de_cp1252.csv: 6 plates and locations were not UTF-8 and were read as Windows-1252" $TMP/cp.txt ||
    fail "the recoding is not reported: $(cat $TMP/cp.txt)"
assert_eq "MÜ-AB 123|Hauptstraße 5
LÖ-XY 7|Parkplatz Süd (€-Automat)
B-AB 1|Unter den Linden 1
TÜ-Z 99|Königsplatz" \
    "$(q "SELECT plate, location FROM abgleich.claims WHERE reference LIKE '4000001910%' ORDER BY reference")" \
    "Windows-1252 plates and locations stored as UTF-8"
acct=$($ABGLEICH --json account --plate "MÜ-AB 123")
assert_match '400000191010' "$acct" "the account view finds the plate written in UTF-8"
