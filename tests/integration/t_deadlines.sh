#!/bin/bash
# Deadlines on weekends and holidays (§ 43(2) StPO via § 46 OWiG,
# sql/013_deadlines.sql): a period whose last day is a Saturday, Sunday or
# public holiday ends on the next working day; the holidays are federal,
# the office's Land's (fines_config.land) and its own local ones.  The
# limitation is not moved.
set -eu
. tests/integration/lib.sh
F=$FIXTURES/fines
T1=400000060010 T2=400000060028
state() { q "SELECT state || '|' || coalesce(due_date::text, '-') || '|' || coalesce(next_step_date::text, '-') FROM abgleich.claim_lifecycle WHERE reference = '$1'"; }
end() { q "SELECT abgleich.deadline_end('$1')"; }

$ABGLEICH init 2>/dev/null

# The calendar itself.
assert_eq "2024-03-31 2025-04-20 2026-04-05 2038-04-25 2285-03-22 2011-04-24" \
    "$(q "SELECT string_agg(abgleich.easter_sunday(y)::text, ' ' ORDER BY o) FROM unnest(ARRAY[2024, 2025, 2026, 2038, 2285, 2011]) WITH ORDINALITY u(y, o)")" \
    "Easter Sunday, the earliest and latest possible among them"
assert_eq "Karfreitag|Ostermontag|Christi Himmelfahrt|Pfingstmontag||Tag der Deutschen Einheit" \
    "$(q "SELECT string_agg(coalesce(abgleich.public_holiday(d, NULL), ''), '|' ORDER BY d) FROM unnest(ARRAY['2027-03-26', '2027-03-29', '2027-05-06', '2027-05-17', '2027-10-03', '2027-05-27']::date[]) d")" \
    "federal holidays; Fronleichnam is not one"
assert_eq "Fronleichnam|Buß- und Bettag|Reformationstag|Allerheiligen||Weltkindertag|Internationaler Frauentag" \
    "$(q "SELECT abgleich.public_holiday('2027-05-27', 'NW') || '|' || abgleich.public_holiday('2026-11-18', 'SN') || '|' || abgleich.public_holiday('2028-10-31', 'NI') || '|' || abgleich.public_holiday('2028-11-01', 'BY') || '|' || coalesce(abgleich.public_holiday('2026-11-18', 'BY'), '') || '|' || abgleich.public_holiday('2027-09-20', 'TH') || '|' || abgleich.public_holiday('2027-03-08', 'BE')")" \
    "holidays of the Länder"
assert_eq "2026-11-23 2026-11-23 2026-11-24 2026-12-28 2027-03-30" \
    "$(end 2026-11-21) $(end 2026-11-22) $(end 2026-11-24) $(end 2026-12-25) $(end 2027-03-26)" \
    "Saturday and Sunday move to Monday; Christmas and Easter move past the holidays"

# A warning due on Christmas Day is due on the Monday after.
$ABGLEICH import tickets --as-of 2026-12-20 $F/deadlines.csv 2>/dev/null
assert_eq "warning_open|2026-12-28|2026-12-29" "$(state $T1)" "offense Friday 18 Dec: the week ends on Christmas Day, so Monday 28 Dec"
assert_eq "warning_open|2026-12-28|2026-12-29" "$(state $T2)" "offense Saturday 19 Dec: the week ends on Boxing Day (a Saturday), so Monday"
$ABGLEICH escalate --as-of 2026-12-28 --letters /dev/null >/dev/null
assert_eq "warning_open" "$(q "SELECT state FROM abgleich.claim_lifecycle WHERE reference = '$T1'")" "nothing moves on the moved due date"

# The hearing's answer period ends on Good Friday: Tuesday after Easter.
$ABGLEICH escalate --as-of 2027-03-12 --letters $TMP/h.csv >/dev/null
assert_eq "hearing|2027-03-30|2027-03-31" "$(state $T1)" "14 days from Friday 12 March end on Good Friday: Tuesday 30 March"
grep -q "^$T1;HB-CD 10;112292;.*;Anhörung;2027-03-12;.*;2027-03-30;2027-03-30;;$" $TMP/h.csv || fail "the letter states the moved deadline: $(cat $TMP/h.csv)"
assert_eq "2027-06-11" "$(q "SELECT limitation_date FROM abgleich.claim_lifecycle WHERE reference = '$T1'")" \
    "the hearing's limitation ends with Friday 11 June, the day before the day named like 12 March"
assert_eq "2027-06-13" "$(q "SELECT abgleich.limitation_last_day('2027-03-14', 3)")" \
    "a limitation ending on a Sunday stays there (a material period)"

# Fronleichnam is a holiday in Nordrhein-Westfalen, not federally.
$ABGLEICH case $T1 --driver-known --as-of 2027-05-13 >/dev/null
assert_eq "fine_notice|2027-06-10|2027-05-28" "$(state $T1)" "no Land: the objection period ends on Thursday 27 May, payment 14 days later"
q "UPDATE abgleich.fines_config SET land = 'NW'" >/dev/null
$ABGLEICH case $T2 --driver-known --as-of 2027-05-13 >/dev/null
assert_eq "fine_notice|2027-06-11|2027-05-29" "$(state $T2)" "NW: the objection period ends on Friday 28 May, after Fronleichnam"
assert_eq "2028-10-31" "$(end 2028-10-31)" "Reformationstag is no holiday in NW"
q "UPDATE abgleich.fines_config SET land = 'NI'" >/dev/null
assert_eq "2028-11-01" "$(end 2028-10-31)" "... but in Niedersachsen"
expect_exit 1 q "UPDATE abgleich.fines_config SET land = 'XX'"

# A municipality's own holiday.
q "INSERT INTO abgleich.local_holidays VALUES ('2027-06-11', 'Stadtfest')" >/dev/null
assert_eq "2027-06-14" "$(end 2027-06-11)" "a local holiday on a Friday: Monday"
