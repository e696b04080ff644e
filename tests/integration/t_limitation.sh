#!/bin/bash
# Acts after the limitation (sql/053_limitation_review.sql): a fine notice
# issued on the day named like the hearing's, which the rule before 045
# still allowed, is listed for a clerk; a notice on the last day and a
# parking keeper's cost notice after the limitation are not.  escalate and
# case themselves write none (t_fines_rules).
# sql/079: an objection with the authority is barred by the absolute
# limitation (§ 33(3) sentence 2 OWiG: two years from the act) when that
# comes before the notice's six months; sql/080: the review list's rows
# carry their reason (why).
set -eu
. tests/integration/lib.sh
F=$FIXTURES/rules
K1=400000090016 K3=400000090032 K4=400000090049 K6=400000090057

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets --as-of 2026-11-05 $F/tickets.csv 2>/dev/null
$ABGLEICH escalate --as-of 2026-11-10 --letters /dev/null >/dev/null
assert_eq "" "$(q "SELECT * FROM abgleich.limitation_review")" "nothing after the hearings"

# The last day of the hearing's limitation (9 Feb): in time.
$ABGLEICH case $K6 --driver-known --as-of 2027-02-09 >/dev/null
# A parking case past it: the keeper's cost notice.
$ABGLEICH case $K3 --driver-unknown --as-of 2027-02-11 >/dev/null
# A notice of 10 Feb as the old rule wrote it (one day late), by hand.
q "INSERT INTO abgleich.claim_events (claim_id, event_date, state_from, state, fine_cents, fee_cents,
       expenses_cents, due_date, next_step_date, limitation_date, reason)
   SELECT id, '2027-02-10', 'hearing', 'fine_notice', 0, 2500, 350, '2027-03-10', '2027-02-25',
          '2027-08-10', 'hearing: driver identified (before 045)'
   FROM abgleich.claims WHERE reference = '$K1'" >/dev/null
assert_eq "$K1|fine_notice|2027-02-10|2027-02-09" \
    "$(q "SELECT reference || '|' || state || '|' || event_date || '|' || limitation_date FROM abgleich.limitation_review")" \
    "only the notice issued after the hearing's limitation"
assert_eq "act_after_limitation" "$(q "SELECT why FROM abgleich.limitation_review")" "why it is listed"

# A notice of 1 Sep 2028 (as a database of before 045 let through): six
# months would run to 28 Feb 2029, but the act of 2 Nov 2026 is barred
# after 1 Nov 2028 whatever interrupted it.  The objection is barred then.
q "INSERT INTO abgleich.claim_events (claim_id, event_date, state_from, state, fine_cents, fee_cents,
       expenses_cents, due_date, next_step_date, limitation_date, reason)
   SELECT id, '2028-09-01', 'hearing', 'fine_notice', 0, 2500, 350, '2028-09-29', '2028-09-16',
          '2029-02-28', 'hearing: driver identified (by hand)'
   FROM abgleich.claims WHERE reference = '$K4'" >/dev/null
$ABGLEICH case $K4 --objection --as-of 2028-09-10 >/dev/null
assert_eq "objection|2028-11-01|2028-11-02" \
    "$(q "SELECT state || '|' || limitation_date || '|' || next_step_date FROM abgleich.claim_lifecycle WHERE reference = '$K4'")" \
    "the absolute limitation comes first"
$ABGLEICH escalate --as-of 2028-11-01 --letters /dev/null >/dev/null
assert_eq "objection" "$(q "SELECT state FROM abgleich.claim_lifecycle WHERE reference = '$K4'")" "its last day"
$ABGLEICH escalate --as-of 2028-11-02 --letters /dev/null >/dev/null
assert_eq "time_barred|0" "$(q "SELECT state || '|' || amount_cents FROM abgleich.claim_lifecycle WHERE reference = '$K4'")" "barred"
assert_match "^time-barred while the objection lay with the authority: the absolute limitation ended on 2028-11-01 \(§ 33\(3\) sentence 2 OWiG: two years from the act of 2026-11-02\)" \
    "$(q "SELECT e.reason FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$K4' ORDER BY e.id DESC LIMIT 1")" \
    "the reason names the absolute limitation"
assert_match "^Verfolgungsverjährung, während der Einspruch bei der Bußgeldbehörde lag: die absolute Verjährungsfrist endete am 01.11.2028 \(§ 33 Abs. 3 Satz 2 OWiG: zwei Jahre ab der Tat vom 02.11.2026\)" \
    "$(q "SELECT e.reason_de FROM abgleich.claim_events e JOIN abgleich.claims c ON c.id = e.claim_id WHERE c.reference = '$K4' ORDER BY e.id DESC LIMIT 1")" \
    "and in German"
assert_eq "$K1|act_after_limitation $K4|act_after_limitation" \
    "$(q "SELECT string_agg(reference || '|' || why, ' ' ORDER BY event_id) FROM abgleich.limitation_review")" \
    "the hand-made notice after the hearing's limitation is listed too"
