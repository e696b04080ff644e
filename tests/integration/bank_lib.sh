# Helpers for the bank statement tests that need a database per scenario
# (t_batches, t_mt940_batches, t_resent; bash, sourced after lib.sh, with
# base_db=$ABGLEICH_DB set by the test).

# fresh NAME: a database of its own for one scenario, with the claims of
# matching/tickets.csv.
fresh() {
    export PGDATABASE="${PGDATABASE%%__*}__$1"
    psql -XAtq -d postgres -c "CREATE DATABASE \"$PGDATABASE\" TEMPLATE template0"
    export ABGLEICH_DB="$base_db dbname=$PGDATABASE" ABGLEICH_STATE_DIR="$TMP/state_$1"
    $ABGLEICH init 2>/dev/null
    $ABGLEICH import tickets $FIXTURES/matching/tickets.csv 2>/dev/null
}
rec() { # rec NAME FILE: reconciles FILE, its summary in $TMP/NAME.json, messages in .txt
    $ABGLEICH --json reconcile "$2" >"$TMP/$1.json" 2>"$TMP/$1.txt" || fail "$2: $(cat "$TMP/$1.txt")"
}
# What each claim has been paid: "REFERENCE=CENTS ...", "" when none.
paid() { q "SELECT coalesce(string_agg(reference || '=' || paid_cents, ' ' ORDER BY reference), '') FROM abgleich.claim_status WHERE paid_cents <> 0"; }
# Each claim's positive ledger rows: one per payment, never two for one.
rows() { q "SELECT string_agg(c.reference || ':' || n, ' ' ORDER BY c.reference) FROM (SELECT claim_id, count(*) n FROM abgleich.allocations WHERE amount_cents > 0 AND claim_id IS NOT NULL GROUP BY claim_id) a JOIN abgleich.claims c ON c.id = a.claim_id"; }
