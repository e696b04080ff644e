#!/bin/bash
# Acts after the limitation (sql/053_limitation_review.sql): a fine notice
# issued on the day named like the hearing's, which the rule before 045
# still allowed, is listed for a clerk; a notice on the last day and a
# parking keeper's cost notice after the limitation are not.  escalate and
# case themselves write none (t_fines_rules).
set -eu
. tests/integration/lib.sh
F=$FIXTURES/rules
K1=400000090016 K3=400000090032 K6=400000090057

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
