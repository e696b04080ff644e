#!/bin/bash
# A disk that fills while reconcile spills a night's outcomes to its
# temporary files: the run must fail with a clear message and store
# nothing, wherever the write fails, and the same file must then go in
# whole.  RLIMIT_FSIZE (ulimit -f, in KB here) makes writes past the limit
# fail with EFBIG, as a full disk fails them with ENOSPC; SIGXFSZ is
# ignored so that the write fails instead of killing the process.
set -eu
. tests/integration/lib.sh
export ABGLEICH_TODAY=2026-11-23
S=$FIXTURES/spine

# run_limited KB ARGS...: reconcile with file writes capped at KB kilobytes.
# Its stderr goes through a pipe, which the cap does not cover (a file
# would be cut at KB kilobytes, and the messages with it).
run_limited() {
    local kb=$1
    shift
    (
        set -o pipefail
        bash -c "trap '' XFSZ; ulimit -f $kb; exec \"\$@\" 2>&1 >/dev/null" limited \
            $ABGLEICH --no-snapshot "$@" | cat >&2
    )
}

nothing_stored() {
    assert_eq 0 "$(q "SELECT count(*) FROM abgleich.input_files WHERE kind = 'statement'")" "$1: no file row"
    assert_eq 0 "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "$1: no transactions"
    assert_eq 0 "$(q 'SELECT count(*) FROM abgleich.allocations')" "$1: no ledger rows"
    assert_eq 0 "$(q 'SELECT count(*) FROM abgleich.clarifications')" "$1: no clarifications"
}

$ABGLEICH init 2>/dev/null
$ABGLEICH import tickets $S/tickets.csv 2>/dev/null

# 1. A night whose outcomes fit the stdio buffer (a few KB of the 64 KB that
# reconcile gives each spill file, AB_SPILL_BUFFER): every fwrite
# succeeds and the disk refuses only the flush before the read-back.  A
# read-back that trusted rewind() would COPY the part on disk and commit it.
expect_exit 1 run_limited 1 reconcile $S/statement_1.xml
assert_match "statement_1.xml: flushing the temporary spill file: File too large" "$(cat $TMP/stderr)" "the flush names the failure"
grep -qF "statement_1.xml: rejected, nothing stored" $TMP/stderr || fail "no rejection: $(cat $TMP/stderr)"
nothing_stored "failed flush"

# 2. A night far larger than the buffer: the write itself fails.
$ABGLEICH gen --out $TMP/data --tickets 4000 --paying 3000 --seed 5 --date 2026-11-20 2>/dev/null
rc=0
ABGLEICH_TODAY=2026-11-20 $ABGLEICH import tickets $TMP/data/tickets.csv 2>/dev/null || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 3 ] || fail "import of the generated tickets: exit $rc"
[ "$(q 'SELECT count(*) FROM abgleich.claims')" -gt 3900 ] || fail "the generated tickets are not in"
expect_exit 1 run_limited 16 reconcile $TMP/data/statement.xml
assert_match "statement.xml: writing the temporary spill file: File too large" "$(cat $TMP/stderr)" "the write names the failure"
nothing_stored "failed write"

# 3. With room on the disk, the same files go in whole, once each.
$ABGLEICH --no-snapshot reconcile $S/statement_1.xml >/dev/null 2>&1
assert_eq 12 "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "every transaction of the small file"
$ABGLEICH --no-snapshot reconcile $TMP/data/statement.xml >/dev/null 2>&1
entries=$(grep -c '<Ntry>' $TMP/data/statement.xml)
assert_eq $((entries + 12)) "$(q 'SELECT count(*) FROM abgleich.bank_transactions')" "every transaction of the large file"
assert_eq 2 "$(q "SELECT count(*) FROM abgleich.input_files WHERE kind = 'statement'")" "two files in the end"
