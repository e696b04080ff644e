#!/bin/bash
# A car is its plate WITH the district boundary, and its country
# (claims.car_key, sql/036_car_key.sql; tests/fixtures/cars/make.py):
# "H-HA 1" (Hannover) and "HH-A 1" (Hamburg) share the matcher's plate key
# HHA1 but are two cars, so
# - the import's likely-duplicate check (in the file, and against known
#   claims on the fast and on the stage path) keeps them apart;
# - an overpayment of the Hannover car settles its own other claim and
#   never the Hamburg car's, nor a claim of the plate written without the
#   hyphen ("HHA1", which may be either car);
# - the account by plate shows one car's claims only; a plate that could be
#   two cars, or a foreign one without its country, shows none and says why;
# - the SQL car key (backfill, typed plates) equals the import's (C) for
#   every spelling, and the district codes in SQL are those of data/.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-20
C=$FIXTURES/cars
A1=400000360017 B1=400000360025 A2=400000360033 B2=400000360041 U1=400000360050
N1=400000360068 N2=400000360076 B3=400000360164 A3=400000360172 A4=400000360189
open_of() { q "SELECT open_cents FROM abgleich.claim_ledger WHERE reference = '$1'"; }
# The references of an account's claims, in its order, each followed by a space.
refs() { q "SELECT string_agg(x->>'reference' || ' ', '' ORDER BY n) FROM jsonb_array_elements(\$j\$$1\$j\$::jsonb->'claims') WITH ORDINALITY t(x, n)"; }

$ABGLEICH init 2>/dev/null
$ABGLEICH --log-pii import tickets $C/tickets.csv 2>$TMP/i1.txt || fail "batch 1: $(cat $TMP/i1.txt)"
assert_eq 15 "$(q "SELECT count(*) FROM abgleich.claims")" "Hamburg's ticket 2 minutes after Hannover's is no duplicate of it"
assert_eq "$A1|HHA1|H-HA1
$B1|HHA1|HH-A1
$A2|HHA1|H-HA1
$B2|HHA1|HH-A1
$U1|HHA1|?HHA1
$N1|AB12CD|NL:AB12CD
$N2|AB12CD|B:AB12CD" \
    "$(q "SELECT reference, plate_key, car_key FROM abgleich.claims WHERE reference <= '$N2' ORDER BY reference")" \
    "one plate key, three cars (and one spelling that may be either) and two foreign cars"
assert_eq "MÜ AB 123|MÜ-AB123
hhab 1234|HH-AB1234
BAB123|?BAB123
B-AB 123|B-AB123
K-Z 2 E|K-Z2E
Y 123456|Y-123456
HH 1234|?HH1234
RW-WO 888e|RW-WO888E" \
    "$(q "SELECT plate, car_key FROM abgleich.claims WHERE reference > '$N2' ORDER BY reference")" \
    "the car key of each spelling"
assert_eq 0 "$(q "SELECT count(*) FROM abgleich.claims WHERE car_key IS DISTINCT FROM abgleich.car_key(plate, nationality)")" \
    "SQL's car key (backfill, typed plates) is the import's"
sed -n 's/^ *"\([^"]*\)": *".*$/\1/p' data/unterscheidungszeichen_weg-li.json | LC_ALL=C sort >$TMP/codes.txt
q "SELECT code FROM abgleich.plate_districts ORDER BY convert_to(code, 'UTF8')" >$TMP/codes_sql.txt
cmp -s $TMP/codes.txt $TMP/codes_sql.txt || fail "district codes in SQL differ from data/: $(diff $TMP/codes.txt $TMP/codes_sql.txt | head)"

# Against known claims, on the fast path: Hamburg 4 minutes before
# Hannover's A1 (6 before its own B1) is a ticket of its own.
$ABGLEICH --verbose import tickets $C/tickets2.csv 2>$TMP/i2.txt || fail "batch 2: $(cat $TMP/i2.txt)"
! grep -q "checking row by row" $TMP/i2.txt || fail "the Hamburg car meets no known claim of itself: $(cat $TMP/i2.txt)"
assert_eq "HH-A1" "$(q "SELECT car_key FROM abgleich.claims WHERE reference = '$B3'")" "B3 imported"
# On the stage path: Hannover 3 minutes before A1 is a likely duplicate;
# Hannover 5 minutes before Hamburg's B3 (9 before A1) is not.
set +e
$ABGLEICH --verbose import tickets $C/tickets3.csv 2>$TMP/i3.txt
rc=$?
set -e
assert_eq 3 "$rc" "batch 3: one rejection"
assert_eq "$C/tickets3.csv:2: plate: likely duplicate of claim $A1 (same plate and TBNR within 5 minutes)" \
    "$(grep "^$C/tickets3.csv:" $TMP/i3.txt)" "the same car minutes apart, and only it"
assert_eq "H-HA1" "$(q "SELECT car_key FROM abgleich.claims WHERE reference = '$A4'")" "A4 imported"

# 60 EUR for A1 (25): 25 of the surplus to Hannover's A2, the other 10 to
# its A4; Hamburg's claims and the ambiguous HHA1 keep theirs open.
$ABGLEICH reconcile $C/day1.xml >$TMP/r1.txt 2>&1 || fail "reconcile: $(cat $TMP/r1.txt)"
assert_eq "0|0|1500" "$(open_of $A1)|$(open_of $A2)|$(open_of $A4)" "A1 paid, A2 and A4 in part by A1's surplus"
assert_eq "2500|2500|2500|2500" "$(open_of $B1)|$(open_of $B2)|$(open_of $B3)|$(open_of $U1)" \
    "no offset onto the Hamburg car, nor onto HHA1 without the hyphen"
assert_eq "$A2|2500
$A4|1000" "$(q "SELECT c.reference, a.amount_cents FROM abgleich.allocations a JOIN abgleich.claims c ON c.id = a.claim_id WHERE a.method = 'surplus_offset' ORDER BY a.id")" \
    "two offsets, within the Hannover car"

# The account by plate: one car.
acct=$($ABGLEICH --json account --plate "HH-A 1")
assert_eq "$B3 $B1 $B2 " "$(refs "$acct")" "HH-A 1: the Hamburg claims only"
assert_match '"car": "HH-A1"' "$acct" "the car matched"
assert_eq "$A4 $A1 $A2 " "$(refs "$($ABGLEICH --json account --plate "h ha 1")")" "h ha 1: the Hannover claims only"
acct=$($ABGLEICH --json account --plate "HHA1")
assert_eq "" "$(refs "$acct")" "HHA1 may be either car: no claims"
assert_match '"message": "Kennzeichen mehrdeutig' "$acct" "and why, in German"
assert_match '"message_en": "Ambiguous plate' "$acct" "and in English"
$ABGLEICH --lang en account --plate "HHA1" >$TMP/a.txt
grep -q "^Ambiguous plate: give it with a hyphen" $TMP/a.txt || fail "the clerk reads why: $(cat $TMP/a.txt)"
grep -q "0 claims" $TMP/a.txt || fail "no claims: $(cat $TMP/a.txt)"
assert_eq "$U1 " "$(refs "$($ABGLEICH --json account --reference $U1)")" "a claim of an ambiguous plate by its reference"
assert_eq "$N1 " "$(refs "$($ABGLEICH --json account --plate "nl:ab-12-cd")")" "NL:AB-12-CD: the Dutch car, not the Belgian"
assert_eq "$N2 " "$(refs "$($ABGLEICH --json account --plate "B: AB 12 CD")")" "B: AB 12 CD: the Belgian car"
acct=$($ABGLEICH --json account --plate "AB-12-CD")
assert_eq "" "$(refs "$acct")" "a foreign plate without its country: no claims"
assert_match '"message": "Kein gültiges deutsches Kennzeichen' "$acct" "and why"
assert_eq "$(q "SELECT reference FROM abgleich.claims WHERE plate = 'hhab 1234'") " \
    "$(refs "$($ABGLEICH --json account --plate "HHAB1234")")" "HHAB1234 has one valid split: HH-AB 1234"
