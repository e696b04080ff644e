#!/bin/bash
# make install puts the binary, the man page, the SQL and the data where
# PREFIX says; the man page renders without warnings and names every
# command of `abgleich --help`; `abgleich help COMMAND` answers.
set -eu
. tests/integration/lib.sh
make -s install PREFIX=/opt/ab DESTDIR=$TMP/stage >/dev/null 2>&1 || fail "make install"
R=$TMP/stage/opt/ab
for f in bin/abgleich share/man/man1/abgleich.1 share/abgleich/sql/001_schema.sql \
    share/abgleich/data/btkat_owi_2024-08-22_all.csv share/abgleich/data/PROVENANCE.md; do
    [ -s "$R/$f" ] || fail "installed: $f"
done
[ -x "$R/bin/abgleich" ] || fail "the binary is executable"
"$R/bin/abgleich" --version | grep -q "^abgleich " || fail "the installed binary runs"

warn=$(groff -man -Tutf8 -ww -z man/abgleich.1 2>&1)
[ -z "$warn" ] || fail "the man page renders cleanly: $warn"
for cmd in $("$ABGLEICH" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p; s/^  \([a-z][a-z]*\)$/\1/p' | sort -u); do
    grep -q "^\.B[I]* \"*$cmd\b" man/abgleich.1 || fail "the man page describes '$cmd'"
    "$ABGLEICH" help $cmd | grep -q "^  $cmd" || fail "abgleich help $cmd"
done
set +e; "$ABGLEICH" help nosuch 2>/dev/null; rc=$?; set -e
assert_eq 2 "$rc" "help for an unknown command is a usage error"
